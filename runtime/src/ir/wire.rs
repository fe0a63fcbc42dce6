//! Blocks and compile results as bytes, for a compiler in another process
//! (`exec/remote.rs`): the LLVM tier compiles in a child process so that its
//! work never shares the VM's address space (each HSPT mapping change would
//! otherwise interrupt the compiling CPU to flush its TLB).
//!
//! Little-endian fields; an op is a tag byte and its fields; helpers travel as
//! their index in `arm::helpers::HELPERS`. Decoding checks everything (tags,
//! enum values, helper indices, lengths) and reports bad input as an error.

use super::{BinOp, Block, Flag, InsnInfo, MemSize, Op, PcWrite, RaiseKind, ShiftKind, UnOp};
use crate::arm::helpers::{self, HELPERS};
use crate::cpu::ExitReason;
use crate::exec::backend::CompiledCode;

// An enum value travels as its discriminant; these tables, in declaration order (the tests
// check), turn it back. A variant added to the IR but not here fails to decode: its block
// is not compiled (an error the JIT counts), never compiled as another variant.
const FLAGS: [Flag; 6] = [Flag::N, Flag::Z, Flag::C, Flag::V, Flag::Q, Flag::Ge];
const BINOPS: [BinOp; 21] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::And,
    BinOp::Or,
    BinOp::Xor,
    BinOp::Bic,
    BinOp::Mul,
    BinOp::Lsl,
    BinOp::Lsr,
    BinOp::Asr,
    BinOp::Ror,
    BinOp::UDiv,
    BinOp::SDiv,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::LtU,
    BinOp::LtS,
    BinOp::Add64,
    BinOp::Sub64,
    BinOp::Mul64,
    BinOp::Pair,
];
const UNOPS: [UnOp; 14] = [
    UnOp::Not,
    UnOp::Neg,
    UnOp::Clz,
    UnOp::Rbit,
    UnOp::Rev,
    UnOp::Rev16,
    UnOp::Revsh,
    UnOp::Sxtb,
    UnOp::Sxth,
    UnOp::Uxtb,
    UnOp::Uxth,
    UnOp::Lo,
    UnOp::Hi,
    UnOp::Sext32,
];
const SHIFTS: [ShiftKind; 5] = [ShiftKind::Lsl, ShiftKind::Lsr, ShiftKind::Asr, ShiftKind::Ror, ShiftKind::Rrx];
const SIZES: [MemSize; 6] = [MemSize::U8, MemSize::S8, MemSize::U16, MemSize::S16, MemSize::U32, MemSize::U64];
const RAISES: [RaiseKind; 5] = [RaiseKind::Undefined, RaiseKind::Svc, RaiseKind::Hvc, RaiseKind::Smc, RaiseKind::Bkpt];
const REASONS: [ExitReason; 7] = [
    ExitReason::Branch,
    ExitReason::SysChange,
    ExitReason::Exception,
    ExitReason::Wfi,
    ExitReason::Hvc,
    ExitReason::Smc,
    ExitReason::Bkpt,
];

fn pc_write(k: PcWrite) -> u8 {
    match k {
        PcWrite::Branch => 0,
        PcWrite::Interwork => 1,
        PcWrite::SetThumb(false) => 2,
        PcWrite::SetThumb(true) => 3,
    }
}

/// Appends little-endian fields.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
}

/// Reads what `Writer` wrote; every read checks the length.
pub struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader { b }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.b.len() < n {
            return Err("truncated".into());
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("2 bytes")))
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn is_empty(&self) -> bool {
        self.b.is_empty()
    }
    fn pick<T: Copy>(&mut self, table: &[T], what: &str) -> Result<T, String> {
        let i = self.u8()? as usize;
        table.get(i).copied().ok_or_else(|| format!("bad {what} {i}"))
    }
    fn bool(&mut self) -> Result<bool, String> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(format!("bad flag byte {v}")),
        }
    }
    fn pc_write(&mut self) -> Result<PcWrite, String> {
        match self.u8()? {
            0 => Ok(PcWrite::Branch),
            1 => Ok(PcWrite::Interwork),
            2 => Ok(PcWrite::SetThumb(false)),
            3 => Ok(PcWrite::SetThumb(true)),
            v => Err(format!("bad PC write kind {v}")),
        }
    }
}

/// Appends `b` to `w`. Fails only for a helper outside the helper table.
pub fn put_block(w: &mut Writer, b: &Block) -> Result<(), String> {
    w.u32(b.pc);
    w.u8(b.thumb as u8);
    w.u8(b.it);
    w.u16(b.ntmp);
    w.u32(b.len);
    w.u32(b.insns.len() as u32);
    for i in &b.insns {
        w.u32(i.off);
        w.u8(i.size);
        w.u8(i.it);
    }
    w.u32(b.ops.len() as u32);
    for op in &b.ops {
        put_op(w, op)?;
    }
    Ok(())
}

fn put_op(w: &mut Writer, op: &Op) -> Result<(), String> {
    match *op {
        Op::Const { d, v } => {
            w.u8(0);
            w.u16(d);
            w.u64(v);
        }
        Op::PcRel { d, off } => {
            w.u8(1);
            w.u16(d);
            w.u32(off);
        }
        Op::GetReg { d, r } => {
            w.u8(2);
            w.u16(d);
            w.u8(r);
        }
        Op::SetReg { r, s } => {
            w.u8(3);
            w.u8(r);
            w.u16(s);
        }
        Op::GetFlag { d, f } => {
            w.u8(4);
            w.u16(d);
            w.u8(f as u8);
        }
        Op::SetFlag { f, s } => {
            w.u8(5);
            w.u8(f as u8);
            w.u16(s);
        }
        Op::SetNZ { s } => {
            w.u8(6);
            w.u16(s);
        }
        Op::GetNZCV { d } => {
            w.u8(7);
            w.u16(d);
        }
        Op::SetNZCV { s } => {
            w.u8(8);
            w.u16(s);
        }
        Op::Cond { d, cond } => {
            w.u8(9);
            w.u16(d);
            w.u8(cond);
        }
        Op::Bin { d, op, a, b } => {
            w.u8(10);
            w.u16(d);
            w.u8(op as u8);
            w.u16(a);
            w.u16(b);
        }
        Op::BinImm { d, op, a, imm } => {
            w.u8(11);
            w.u16(d);
            w.u8(op as u8);
            w.u16(a);
            w.u32(imm);
        }
        Op::Un { d, op, a } => {
            w.u8(12);
            w.u16(d);
            w.u8(op as u8);
            w.u16(a);
        }
        Op::AddFlags { d, a, b, cin } => {
            w.u8(13);
            for t in [d, a, b, cin] {
                w.u16(t);
            }
        }
        Op::SubFlags { d, a, b } => {
            w.u8(14);
            for t in [d, a, b] {
                w.u16(t);
            }
        }
        Op::ShiftC { d, dc, kind, a, amt, cin } => {
            w.u8(15);
            w.u8(kind as u8);
            for t in [d, dc, a, amt, cin] {
                w.u16(t);
            }
        }
        Op::Select { d, c, a, b } => {
            w.u8(16);
            for t in [d, c, a, b] {
                w.u16(t);
            }
        }
        Op::MulL { d, a, b, signed } => {
            w.u8(17);
            for t in [d, a, b] {
                w.u16(t);
            }
            w.u8(signed as u8);
        }
        Op::GetS { d, r } => {
            w.u8(18);
            w.u16(d);
            w.u8(r);
        }
        Op::SetS { r, s } => {
            w.u8(19);
            w.u8(r);
            w.u16(s);
        }
        Op::GetD { d, r } => {
            w.u8(20);
            w.u16(d);
            w.u8(r);
        }
        Op::SetD { r, s } => {
            w.u8(21);
            w.u8(r);
            w.u16(s);
        }
        Op::Load { d, addr, size, insn, user, align } => {
            w.u8(22);
            for t in [d, addr, insn] {
                w.u16(t);
            }
            w.u8(size as u8);
            w.u8(user as u8);
            w.u8(align as u8);
        }
        Op::Store { addr, s, size, insn, user, align } => {
            w.u8(23);
            for t in [addr, s, insn] {
                w.u16(t);
            }
            w.u8(size as u8);
            w.u8(user as u8);
            w.u8(align as u8);
        }
        Op::LoadExcl { d, addr, size, insn } => {
            w.u8(24);
            for t in [d, addr, insn] {
                w.u16(t);
            }
            w.u8(size as u8);
        }
        Op::StoreExcl { d, addr, s, size, insn } => {
            w.u8(25);
            for t in [d, addr, s, insn] {
                w.u16(t);
            }
            w.u8(size as u8);
        }
        Op::ClearExcl => w.u8(26),
        Op::Member { delta, ninsn, it } => {
            w.u8(35);
            w.u32(delta);
            w.u16(ninsn);
            w.u8(it);
        }
        Op::Call { d, h, a, b, c, insn } => {
            let i = helpers::index(h).ok_or_else(|| format!("helper {} is not in the helper table", h.name))?;
            w.u8(27);
            w.u16(i as u16);
            for t in [d, a, b, c, insn] {
                w.u16(t);
            }
        }
        Op::SkipUnless { c, n } => {
            w.u8(28);
            w.u16(c);
            w.u16(n);
        }
        Op::SkipUnlessCond { cond, n } => {
            w.u8(29);
            w.u8(cond);
            w.u16(n);
        }
        Op::WritePc { s, kind } => {
            w.u8(30);
            w.u16(s);
            w.u8(pc_write(kind));
        }
        Op::SetIt { v } => {
            w.u8(31);
            w.u8(v);
        }
        Op::Raise { kind, insn } => {
            w.u8(32);
            w.u8(kind as u8);
            w.u16(insn);
        }
        Op::Exit { reason } => {
            w.u8(33);
            w.u8(reason as u8);
        }
        Op::ExitTo { off, kind, reason } => {
            w.u8(34);
            w.u32(off);
            w.u8(pc_write(kind));
            w.u8(reason as u8);
        }
    }
    Ok(())
}

/// Reads a block `put_block` wrote. Temporaries, skips and instruction indices are
/// checked to stay inside the block, as the engines assume.
pub fn get_block(r: &mut Reader<'_>) -> Result<Block, String> {
    let pc = r.u32()?;
    let thumb = r.bool()?;
    let it = r.u8()?;
    let ntmp = r.u16()?;
    let len = r.u32()?;
    let ninsns = r.u32()? as usize;
    if ninsns > 4096 {
        return Err(format!("{ninsns} instructions"));
    }
    let mut insns = Vec::with_capacity(ninsns);
    for _ in 0..ninsns {
        insns.push(InsnInfo { off: r.u32()?, size: r.u8()?, it: r.u8()? });
    }
    let nops = r.u32()? as usize;
    if nops > 1 << 16 {
        return Err(format!("{nops} ops"));
    }
    let mut ops = Vec::with_capacity(nops);
    for _ in 0..nops {
        ops.push(get_op(r)?);
    }
    let b = Block { pc, thumb, it, ops, insns, ntmp, len };
    check(&b)?;
    Ok(b)
}

fn get_op(r: &mut Reader<'_>) -> Result<Op, String> {
    Ok(match r.u8()? {
        0 => Op::Const { d: r.u16()?, v: r.u64()? },
        1 => Op::PcRel { d: r.u16()?, off: r.u32()? },
        2 => Op::GetReg { d: r.u16()?, r: r.u8()? },
        3 => Op::SetReg { r: r.u8()?, s: r.u16()? },
        4 => Op::GetFlag { d: r.u16()?, f: r.pick(&FLAGS, "flag")? },
        5 => Op::SetFlag { f: r.pick(&FLAGS, "flag")?, s: r.u16()? },
        6 => Op::SetNZ { s: r.u16()? },
        7 => Op::GetNZCV { d: r.u16()? },
        8 => Op::SetNZCV { s: r.u16()? },
        9 => Op::Cond { d: r.u16()?, cond: r.u8()? },
        10 => Op::Bin { d: r.u16()?, op: r.pick(&BINOPS, "binary op")?, a: r.u16()?, b: r.u16()? },
        11 => Op::BinImm { d: r.u16()?, op: r.pick(&BINOPS, "binary op")?, a: r.u16()?, imm: r.u32()? },
        12 => Op::Un { d: r.u16()?, op: r.pick(&UNOPS, "unary op")?, a: r.u16()? },
        13 => Op::AddFlags { d: r.u16()?, a: r.u16()?, b: r.u16()?, cin: r.u16()? },
        14 => Op::SubFlags { d: r.u16()?, a: r.u16()?, b: r.u16()? },
        15 => {
            let kind = r.pick(&SHIFTS, "shift")?;
            Op::ShiftC { d: r.u16()?, dc: r.u16()?, kind, a: r.u16()?, amt: r.u16()?, cin: r.u16()? }
        }
        16 => Op::Select { d: r.u16()?, c: r.u16()?, a: r.u16()?, b: r.u16()? },
        17 => Op::MulL { d: r.u16()?, a: r.u16()?, b: r.u16()?, signed: r.bool()? },
        18 => Op::GetS { d: r.u16()?, r: r.u8()? },
        19 => Op::SetS { r: r.u8()?, s: r.u16()? },
        20 => Op::GetD { d: r.u16()?, r: r.u8()? },
        21 => Op::SetD { r: r.u8()?, s: r.u16()? },
        22 => {
            let (d, addr, insn) = (r.u16()?, r.u16()?, r.u16()?);
            Op::Load { d, addr, insn, size: r.pick(&SIZES, "size")?, user: r.bool()?, align: r.bool()? }
        }
        23 => {
            let (addr, s, insn) = (r.u16()?, r.u16()?, r.u16()?);
            Op::Store { addr, s, insn, size: r.pick(&SIZES, "size")?, user: r.bool()?, align: r.bool()? }
        }
        24 => {
            let (d, addr, insn) = (r.u16()?, r.u16()?, r.u16()?);
            Op::LoadExcl { d, addr, insn, size: r.pick(&SIZES, "size")? }
        }
        25 => {
            let (d, addr, s, insn) = (r.u16()?, r.u16()?, r.u16()?, r.u16()?);
            Op::StoreExcl { d, addr, s, insn, size: r.pick(&SIZES, "size")? }
        }
        26 => Op::ClearExcl,
        27 => {
            let i = r.u16()? as usize;
            let h = *HELPERS.get(i).ok_or_else(|| format!("bad helper {i}"))?;
            Op::Call { h, d: r.u16()?, a: r.u16()?, b: r.u16()?, c: r.u16()?, insn: r.u16()? }
        }
        28 => Op::SkipUnless { c: r.u16()?, n: r.u16()? },
        29 => Op::SkipUnlessCond { cond: r.u8()?, n: r.u16()? },
        30 => Op::WritePc { s: r.u16()?, kind: r.pc_write()? },
        31 => Op::SetIt { v: r.u8()? },
        32 => Op::Raise { kind: r.pick(&RAISES, "exception")?, insn: r.u16()? },
        33 => Op::Exit { reason: r.pick(&REASONS, "exit reason")? },
        34 => Op::ExitTo { off: r.u32()?, kind: r.pc_write()?, reason: r.pick(&REASONS, "exit reason")? },
        35 => Op::Member { delta: r.u32()?, ninsn: r.u16()?, it: r.u8()? },
        t => return Err(format!("bad op tag {t}")),
    })
}

/// What the engines assume of a block: temporaries below `ntmp`, instruction
/// indices inside `insns`, registers in range, skips inside the block.
fn check(b: &Block) -> Result<(), String> {
    if b.ntmp as usize > super::MAX_TMPS {
        return Err(format!("{} temporaries", b.ntmp));
    }
    let tmp = |t: u16| if t < b.ntmp { Ok(()) } else { Err(format!("temporary {t} of {}", b.ntmp)) };
    let members = b.members();
    let region = b.ops.iter().any(|op| matches!(op, Op::Member { .. }));
    if members.last().is_some_and(|m| m.insns.end > b.insns.len()) || (region && !matches!(b.ops.first(), Some(Op::Member { .. }))) {
        return Err("region members do not match the block".into());
    }
    // Each member of a region (a plain block is one) on its own: its instructions, its skips.
    for m in &members {
        let n = m.insns.len();
        let insn = |i: u16| if (i as usize) < n { Ok(()) } else { Err(format!("instruction {i} of {n}")) };
        for k in m.ops.clone() {
            let op = &b.ops[k];
            match *op {
                Op::GetReg { r, .. } | Op::SetReg { r, .. } if r > 15 => return Err(format!("register {r}")),
                Op::GetS { r, .. } | Op::SetS { r, .. } if r > 31 => return Err(format!("register s{r}")),
                Op::GetD { r, .. } | Op::SetD { r, .. } if r > 31 => return Err(format!("register d{r}")),
                Op::SkipUnless { n, .. } | Op::SkipUnlessCond { n, .. } if k + 1 + n as usize > m.ops.end => return Err("skip past the end".into()),
                Op::Load { insn: i, .. } | Op::Store { insn: i, .. } | Op::LoadExcl { insn: i, .. } | Op::StoreExcl { insn: i, .. } => insn(i)?,
                Op::Call { insn: i, .. } | Op::Raise { insn: i, .. } => insn(i)?,
                _ => {}
            }
            let mut named: Vec<u16> = op.dests().collect();
            op.for_each_read(|t| named.push(t));
            for t in named {
                tmp(t)?;
            }
        }
    }
    Ok(())
}

/// Appends a compile result.
pub fn put_result(w: &mut Writer, r: &Result<CompiledCode, String>) {
    match r {
        Ok(c) => {
            w.u8(1);
            w.bytes(&c.code);
            w.u64(c.entry as u64);
            w.u64(c.align as u64);
        }
        Err(e) => {
            w.u8(0);
            w.bytes(e.as_bytes());
        }
    }
}

/// Reads a compile result `put_result` wrote.
pub fn get_result(r: &mut Reader<'_>) -> Result<Result<CompiledCode, String>, String> {
    Ok(match r.u8()? {
        1 => {
            let code = r.bytes()?.to_vec();
            let entry = r.u64()? as usize;
            let align = r.u64()? as usize;
            if entry >= code.len() || align > 4096 {
                return Err(format!("bad code: entry {entry} in {} bytes, alignment {align}", code.len()));
            }
            Ok(CompiledCode { code, entry, align })
        }
        0 => Err(String::from_utf8_lossy(r.bytes()?).into_owned()),
        v => return Err(format!("bad result tag {v}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_turn_discriminants_back() {
        macro_rules! in_order {
            ($($t:ident),*) => {$(
                for (i, v) in $t.iter().enumerate() {
                    assert_eq!(*v as usize, i, "{} is not in declaration order", stringify!($t));
                }
            )*};
        }
        in_order!(FLAGS, BINOPS, UNOPS, SHIFTS, SIZES, RAISES, REASONS);
    }

    /// The block a generated test case starts with.
    fn block_of(case: &crate::arm::gen::Case) -> Option<Block> {
        let mut mem = crate::arm::gen::DiffMem::new(case);
        let mut cpu = crate::arm::gen::user_cpu();
        crate::arm::translate_block(&mut mem, &mut cpu, case.code_addr, case.thumb, 0).ok()
    }

    #[test]
    fn generated_blocks_round_trip() {
        let mut g = crate::arm::gen::Generator::new(0x5749_5245);
        let mut n = 0;
        for _ in 0..3000 {
            let case = g.case();
            let Some(b) = block_of(&case) else { continue };
            let mut w = Writer::default();
            put_block(&mut w, &b).expect("encodes");
            let mut r = Reader::new(&w.0);
            let back = get_block(&mut r).expect("decodes");
            assert!(r.is_empty());
            assert_eq!(format!("{b:?}"), format!("{back:?}"));
            n += 1;
        }
        assert!(n > 1000, "only {n} blocks");
    }

    #[test]
    fn bad_bytes_are_refused_not_trusted() {
        let mut g = crate::arm::gen::Generator::new(7);
        let b = loop {
            if let Some(b) = block_of(&g.case()) {
                if b.ops.len() > 4 {
                    break b;
                }
            }
        };
        let mut w = Writer::default();
        put_block(&mut w, &b).unwrap();
        // Every truncation is an error.
        for n in 0..w.0.len() {
            assert!(get_block(&mut Reader::new(&w.0[..n])).is_err(), "truncated to {n}");
        }
        // Flipped bytes decode to an error or to a block that passes the checks.
        let mut rng = 0x1234_5678u64;
        for _ in 0..2000 {
            let mut v = w.0.clone();
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let i = (rng as usize) % v.len();
            v[i] ^= (rng >> 32) as u8 | 1;
            if let Ok(b) = get_block(&mut Reader::new(&v)) {
                check(&b).expect("decoded blocks pass the checks");
            }
        }
        let mut w = Writer::default();
        put_result(&mut w, &Ok(CompiledCode { code: vec![0xc3], entry: 5, align: 16 }));
        assert!(get_result(&mut Reader::new(&w.0)).is_err(), "entry outside the code");
    }

    /// A region travels whole, and the checks see each member on its own: its instructions and
    /// skips are its own, and a member marker anywhere but at the start is refused.
    #[test]
    fn regions_round_trip_and_their_members_are_checked() {
        let load = |insn| Op::Load { d: 0, addr: 0, size: MemSize::U32, insn, user: false, align: false };
        let exit = Op::ExitTo { off: 4, kind: PcWrite::Branch, reason: ExitReason::Branch };
        let one = |pc, ops: Vec<Op>, n: usize| Block {
            pc,
            thumb: false,
            it: 0,
            ops,
            insns: (0..n as u32).map(|k| InsnInfo { off: 4 * k, size: 4, it: 0 }).collect(),
            ntmp: 1,
            len: 4 * n as u32,
        };
        let a = one(0x1000, vec![Op::Const { d: 0, v: 0 }, load(1), exit], 2);
        let b = one(0x1040, vec![Op::Const { d: 0, v: 0 }, load(0), exit], 1);
        let r = Block::region(&[&a, &b]);
        let mut w = Writer::default();
        put_block(&mut w, &r).unwrap();
        let got = get_block(&mut Reader::new(&w.0)).unwrap();
        let m = got.members();
        assert_eq!((m.len(), m[1].delta, m[1].insns.clone(), m[1].ops.clone()), (2, 0x40, 2..3, 5..8));
        // The second member's instruction 1 is past its own one instruction (not the region's three).
        let mut bad = r.clone();
        bad.ops[6] = load(1);
        assert!(check(&bad).unwrap_err().contains("instruction 1 of 1"));
        // A skip out of its member.
        let mut bad = r.clone();
        bad.ops[1] = Op::SkipUnlessCond { cond: 0, n: 3 };
        assert!(check(&bad).unwrap_err().contains("skip"));
        // A marker in the middle of a block that does not start with one.
        let mut bad = a.clone();
        bad.ops.insert(1, Op::Member { delta: 0, ninsn: 1, it: 0 });
        assert!(check(&bad).unwrap_err().contains("region"));
        // Members that claim more instructions than there are.
        let mut bad = r.clone();
        bad.ops[4] = Op::Member { delta: 0x40, ninsn: 2, it: 0 };
        assert!(check(&bad).is_err());
    }
}
