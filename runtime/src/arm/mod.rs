//! ARM (A32) and Thumb-2 (T32) decoding and translation into the block IR: the
//! one place where instruction semantics live.
//!
//! Decoding is table-driven (../STYLE.md): each instruction class module lists
//! its encodings as `Row`s — the Arm ARM's encoding name, a 32- or 16-character
//! bit pattern and a handler. In a pattern `0`/`1` are fixed bits, `z`/`o` are
//! should-be-zero/should-be-one bits (don't-care when matching, as QEMU treats
//! them), and any other letter is a field the handler reads by name through
//! `Fields`. Spaces are ignored. Rows are matched most-specific first (more
//! fixed bits first, as dynarmic orders them).
//!
//! A handler emits IR through the `Translator` and returns `Err(Fail)` for
//! UNDEFINED/UNPREDICTABLE encodings; the translator then emits an Undefined
//! Instruction exception in place of whatever the handler had emitted.

pub mod branch;
pub mod dp;
pub mod ldst;
pub mod media;
pub mod mul;
pub mod system;
pub mod vfp;
pub mod testutil;
pub mod gen;
pub mod helpers;

use std::sync::OnceLock;

use crate::cpu::{CpuState, ExitReason};
use crate::ir::*;
use crate::mem::{GuestMemory, MemFault};

/// Why an encoding cannot be translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// UNDEFINED in the Arm ARM.
    Undefined,
    /// UNPREDICTABLE: we raise Undefined (a permitted behaviour); the random
    /// instruction generator never produces these.
    Unpredictable,
}

pub type Res = Result<(), Fail>;
pub type Handler = fn(&mut Translator, Fields) -> Res;

/// One encoding of the decode tables.
#[derive(Clone, Copy)]
pub struct Row {
    pub name: &'static str,
    pub pattern: &'static str,
    pub mask: u32,
    pub value: u32,
    /// Bits that should be zero/one (SBZ/SBO) — not checked when decoding.
    pub sbz: u32,
    pub sbo: u32,
    pub handler: Handler,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.name, self.pattern)
    }
}

impl Row {
    pub const fn new(name: &'static str, pattern: &'static str, handler: Handler) -> Row {
        let b = pattern.as_bytes();
        let mut mask = 0u32;
        let mut value = 0u32;
        let mut sbz = 0u32;
        let mut sbo = 0u32;
        let mut i = 0;
        let mut nbits = 0;
        while i < b.len() {
            let c = b[i];
            i += 1;
            if c == b' ' {
                continue;
            }
            mask <<= 1;
            value <<= 1;
            sbz <<= 1;
            sbo <<= 1;
            nbits += 1;
            match c {
                b'0' => mask |= 1,
                b'1' => {
                    mask |= 1;
                    value |= 1
                }
                b'z' => sbz |= 1,
                b'o' => sbo |= 1,
                _ => {}
            }
        }
        assert!(nbits == 32 || nbits == 16, "pattern must have 16 or 32 bits");
        Row { name, pattern, mask, value, sbz, sbo, handler }
    }

    pub fn matches(&self, insn: u32) -> bool {
        insn & self.mask == self.value
    }

    /// Width of the encoding in bits (16 or 32).
    pub fn bits(&self) -> u32 {
        self.pattern.bytes().filter(|&c| c != b' ').count() as u32
    }
}

/// Builds a table row: `row!("ADD (immediate) A1", "cccc0010100Snnnnddddiiiiiiiiiiii", handler)`.
#[macro_export]
macro_rules! row {
    ($name:expr, $pat:expr, $h:expr) => {
        $crate::arm::Row::new($name, $pat, $h)
    };
}
pub use row;

/// Named fields of a matched encoding.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub insn: u32,
    pub pattern: &'static str,
}

impl Fields {
    /// The bits of field `c` (a letter in the pattern), concatenated MSB first.
    pub fn get(&self, c: char) -> u32 {
        let c = c as u8;
        // Pattern characters from the most significant bit down; spaces are for reading only.
        // (No allocation: the translator asks for several fields of every instruction.)
        let mut bit = self.pattern.bytes().filter(|&b| b != b' ').count() as u32;
        let mut v = 0u32;
        for b in self.pattern.bytes().filter(|&b| b != b' ') {
            bit -= 1;
            if b == c {
                v = (v << 1) | ((self.insn >> bit) & 1);
            }
        }
        v
    }
    /// Field `c` as a bool (single-bit fields).
    pub fn bit(&self, c: char) -> bool {
        self.get(c) != 0
    }
    /// Field `c` as a register number.
    pub fn reg(&self, c: char) -> u8 {
        self.get(c) as u8
    }
}

fn build_table(parts: &[&[Row]]) -> Vec<Row> {
    let mut v: Vec<Row> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    v.sort_by_key(|r| std::cmp::Reverse(r.mask.count_ones()));
    v
}

pub fn arm_table() -> &'static [Row] {
    static T: OnceLock<Vec<Row>> = OnceLock::new();
    T.get_or_init(|| build_table(&[dp::ARM, mul::ARM, media::ARM, ldst::ARM, branch::ARM, system::ARM, vfp::ARM]))
}

pub fn t32_table() -> &'static [Row] {
    static T: OnceLock<Vec<Row>> = OnceLock::new();
    T.get_or_init(|| build_table(&[dp::T32, mul::T32, media::T32, ldst::T32, branch::T32, system::T32, vfp::T32]))
}

pub fn t16_table() -> &'static [Row] {
    static T: OnceLock<Vec<Row>> = OnceLock::new();
    T.get_or_init(|| build_table(&[dp::T16, mul::T16, media::T16, ldst::T16, branch::T16, system::T16, vfp::T16]))
}

/// Finds the row for an ARM instruction. cond = 0b1111 selects the unconditional space.
pub fn decode_arm(insn: u32) -> Option<&'static Row> {
    let uncond = insn >> 28 == 0xf;
    arm_table().iter().find(|r| r.matches(insn) && (!uncond || r.mask >> 28 == 0xf))
}

/// Finds the row for a 32-bit Thumb instruction (`hw1 << 16 | hw2`).
pub fn decode_t32(insn: u32) -> Option<&'static Row> {
    t32_table().iter().find(|r| r.matches(insn))
}

/// Finds the row for a 16-bit Thumb instruction.
pub fn decode_t16(insn: u16) -> Option<&'static Row> {
    t16_table().iter().find(|r| r.matches(insn as u32))
}

/// Whether a Thumb halfword starts a 32-bit instruction (Arm ARM A6.1).
pub fn is_t32_prefix(hw1: u16) -> bool {
    matches!(hw1 >> 11, 0b11101..=0b11111)
}

/// ITAdvance (Arm ARM A2.5.2).
pub fn it_advance(it: u8) -> u8 {
    if it & 0x7 == 0 {
        0
    } else {
        (it & 0xe0) | ((it << 1) & 0x1f)
    }
}

/// Most guest instructions in one block.
pub const MAX_BLOCK_INSNS: usize = 64;

/// Builds one block of IR.
pub struct Translator {
    pub ops: Vec<Op>,
    pub insns: Vec<InsnInfo>,
    ntmp: u16,
    block_pc: u32,
    /// Address of the instruction being translated.
    pub pc: u32,
    /// Size in bytes of the instruction being translated.
    pub size: u32,
    pub thumb: bool,
    /// ITSTATE of the instruction being translated.
    pub it: u8,
    /// ITSTATE for the next instruction if the current one sets it (the IT instruction).
    pub it_next: Option<u8>,
    /// Whether any instruction of the block ran inside or started an IT block.
    it_dirty: bool,
    entry_it: u8,
    /// Set when the current instruction ended the block.
    pub ended: bool,
    cur: u16,
    /// SCTLR.A: every data access must be aligned (decided at translation time;
    /// the dispatcher drops translations when SCTLR.A changes).
    pub strict_align: bool,
    /// Temporary holding each register's current value, or NO_TMP.
    reg_cache: [Tmp; 15],
    /// What is known about each temporary at translation time (constant folding).
    known: Vec<Known>,
}

const NO_TMP: Tmp = Tmp::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    Nothing,
    Const(u32),
    /// Block start + offset.
    PcRel(u32),
    /// Bitwise NOT of another temporary.
    Not(Tmp),
}

fn is_64bit(op: BinOp) -> bool {
    matches!(op, BinOp::Add64 | BinOp::Sub64 | BinOp::Mul64 | BinOp::Pair)
}

impl Translator {
    pub fn new(pc: u32, thumb: bool, it: u8) -> Self {
        Translator {
            ops: Vec::with_capacity(128),
            insns: Vec::new(),
            ntmp: 0,
            block_pc: pc,
            pc,
            size: 4,
            thumb,
            it,
            it_next: None,
            it_dirty: it != 0,
            entry_it: it,
            ended: false,
            cur: 0,
            strict_align: false,
            reg_cache: [NO_TMP; 15],
            known: Vec::new(),
        }
    }

    // ----- temporaries and plain ops -----

    pub fn tmp(&mut self) -> Tmp {
        let t = self.ntmp;
        self.ntmp += 1;
        self.known.push(Known::Nothing);
        t
    }
    fn known(&self, t: Tmp) -> Known {
        self.known.get(t as usize).copied().unwrap_or(Known::Nothing)
    }
    pub fn push(&mut self, op: Op) {
        // Control flow and helper calls end what is known about register values.
        if matches!(op, Op::SkipUnless { .. } | Op::SkipUnlessCond { .. } | Op::Exit { .. } | Op::WritePc { .. } | Op::Call { .. }) {
            self.forget_regs();
        }
        self.ops.push(op);
    }
    /// Drops the cached register values (see `reg`).
    pub fn forget_regs(&mut self) {
        self.reg_cache = [NO_TMP; 15];
    }
    pub fn konst(&mut self, v: u32) -> Tmp {
        let d = self.tmp();
        self.push(Op::Const { d, v: v as u64 });
        self.known[d as usize] = Known::Const(v);
        d
    }
    pub fn konst64(&mut self, v: u64) -> Tmp {
        let d = self.tmp();
        self.push(Op::Const { d, v });
        d
    }
    pub fn bin(&mut self, op: BinOp, a: Tmp, b: Tmp) -> Tmp {
        if !is_64bit(op) {
            if let Known::Const(y) = self.known(b) {
                return self.bini(op, a, y);
            }
            if let Known::Const(x) = self.known(a) {
                if matches!(op, BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul | BinOp::Eq | BinOp::Ne) {
                    return self.bini(op, b, x);
                }
            }
        }
        let d = self.tmp();
        self.push(Op::Bin { d, op, a, b });
        d
    }
    /// Binary op with an immediate right operand (folded when the left is known).
    pub fn bini(&mut self, op: BinOp, a: Tmp, imm: u32) -> Tmp {
        if !is_64bit(op) {
            match self.known(a) {
                Known::Const(x) => {
                    return self.konst(crate::ir::interp::bin(op, x as u64, imm as u64) as u32);
                }
                Known::PcRel(off) => {
                    // The block's address modulo the page is fixed (blocks are keyed by
                    // physical address, and VA and PA agree below bit 12), so
                    // PC-relative arithmetic, alignment included, folds.
                    let abs = self.block_pc.wrapping_add(off);
                    let folded = match op {
                        BinOp::Add => Some(abs.wrapping_add(imm)),
                        BinOp::Sub => Some(abs.wrapping_sub(imm)),
                        BinOp::And if imm | 0xfff == 0xffff_ffff => Some(abs & imm),
                        _ => None,
                    };
                    if let Some(v) = folded {
                        return self.pc_rel(v);
                    }
                }
                Known::Nothing | Known::Not(_) => {}
            }
            if imm == 0 && matches!(op, BinOp::Add | BinOp::Sub | BinOp::Or | BinOp::Xor) {
                return a;
            }
        }
        let d = self.tmp();
        self.push(Op::BinImm { d, op, a, imm });
        d
    }
    pub fn un(&mut self, op: UnOp, a: Tmp) -> Tmp {
        if let (Known::Const(x), false) = (self.known(a), matches!(op, UnOp::Sext32 | UnOp::Hi)) {
            return self.konst(crate::ir::interp::un(op, x as u64) as u32);
        }
        let d = self.tmp();
        self.push(Op::Un { d, op, a });
        if op == UnOp::Not {
            self.known[d as usize] = Known::Not(a);
        }
        d
    }
    pub fn select(&mut self, c: Tmp, a: Tmp, b: Tmp) -> Tmp {
        let d = self.tmp();
        self.push(Op::Select { d, c, a, b });
        d
    }
    /// d = a + b + cin, setting NZCV.
    /// With a carry in of 1 and one operand inverted (SUBS, CMP, RSBS; an immediate operand
    /// is inverted already) it is a subtraction: `Op::SubFlags`, which the backends compile
    /// to one subtract that sets the flags.
    pub fn add_flags(&mut self, a: Tmp, b: Tmp, cin: Tmp) -> Tmp {
        if let Known::Const(1) = self.known(cin) {
            let sub = match (self.known(a), self.known(b)) {
                (_, Known::Not(x)) => Some((a, x)),
                (Known::Not(x), _) => Some((b, x)),
                (_, Known::Const(c)) => Some((a, self.konst(!c))),
                _ => None,
            };
            if let Some((a, b)) = sub {
                let d = self.tmp();
                self.push(Op::SubFlags { d, a, b });
                return d;
            }
        }
        let d = self.tmp();
        self.push(Op::AddFlags { d, a, b, cin });
        d
    }
    /// (result, carry out) of the barrel shifter.
    pub fn shift_c(&mut self, kind: ShiftKind, a: Tmp, amt: Tmp, cin: Tmp) -> (Tmp, Tmp) {
        let d = self.tmp();
        let dc = self.tmp();
        self.push(Op::ShiftC { d, dc, kind, a, amt, cin });
        (d, dc)
    }
    pub fn mull(&mut self, a: Tmp, b: Tmp, signed: bool) -> Tmp {
        let d = self.tmp();
        self.push(Op::MulL { d, a, b, signed });
        d
    }

    // ----- guest state -----

    /// Value of the PC as an operand: the instruction's address + 8 (ARM) or + 4 (Thumb).
    pub fn pc_operand(&self) -> u32 {
        self.pc.wrapping_add(if self.thumb { 4 } else { 8 })
    }
    /// A temporary holding `addr`, formed relative to the block start.
    pub fn pc_rel(&mut self, addr: u32) -> Tmp {
        let d = self.tmp();
        let off = addr.wrapping_sub(self.block_pc);
        self.push(Op::PcRel { d, off });
        self.known[d as usize] = Known::PcRel(off);
        d
    }
    /// Align(PC, 4), the base of Thumb literal loads and ADR.
    pub fn pc_aligned(&mut self) -> Tmp {
        let p = self.pc_rel(self.pc_operand());
        self.bini(BinOp::And, p, !3)
    }
    /// Reads a core register; r15 reads as the PC operand.
    pub fn reg(&mut self, r: u8) -> Tmp {
        if r == 15 {
            self.pc_rel(self.pc_operand())
        } else {
            // Within straight-line code a register read after a read or write of
            // the same register reuses the temporary (temporaries are SSA).
            let c = self.reg_cache[r as usize];
            if c != NO_TMP {
                return c;
            }
            let d = self.tmp();
            self.push(Op::GetReg { d, r });
            self.reg_cache[r as usize] = d;
            d
        }
    }
    /// Writes r0–r14. For the PC use one of the `*_write_pc` methods.
    pub fn set_reg(&mut self, r: u8, s: Tmp) {
        debug_assert!(r < 15, "use a *_write_pc method for the PC");
        self.push(Op::SetReg { r, s });
        self.reg_cache[r as usize] = s;
    }
    pub fn flag(&mut self, f: Flag) -> Tmp {
        let d = self.tmp();
        self.push(Op::GetFlag { d, f });
        d
    }
    pub fn set_flag(&mut self, f: Flag, s: Tmp) {
        self.push(Op::SetFlag { f, s });
    }
    pub fn set_nz(&mut self, s: Tmp) {
        self.push(Op::SetNZ { s });
    }
    pub fn get_s(&mut self, r: u8) -> Tmp {
        let d = self.tmp();
        self.push(Op::GetS { d, r });
        d
    }
    pub fn set_s(&mut self, r: u8, s: Tmp) {
        self.push(Op::SetS { r, s });
    }
    pub fn get_d(&mut self, r: u8) -> Tmp {
        let d = self.tmp();
        self.push(Op::GetD { d, r });
        d
    }
    pub fn set_d(&mut self, r: u8, s: Tmp) {
        self.push(Op::SetD { r, s });
    }
    pub fn call(&mut self, h: &'static Helper, a: Tmp, b: Tmp, c: Tmp) -> Tmp {
        let d = self.tmp();
        self.push(Op::Call { d, h, a, b, c, insn: self.cur });
        d
    }

    // ----- memory -----

    pub fn load(&mut self, addr: Tmp, size: MemSize) -> Tmp {
        self.load_ex(addr, size, false, false)
    }
    pub fn load_ex(&mut self, addr: Tmp, size: MemSize, user: bool, align: bool) -> Tmp {
        let d = self.tmp();
        let align = align || self.strict_align;
        self.push(Op::Load { d, addr, size, insn: self.cur, user, align });
        d
    }
    pub fn store(&mut self, addr: Tmp, s: Tmp, size: MemSize) {
        self.store_ex(addr, s, size, false, false)
    }
    pub fn store_ex(&mut self, addr: Tmp, s: Tmp, size: MemSize, user: bool, align: bool) {
        let align = align || self.strict_align;
        self.push(Op::Store { addr, s, size, insn: self.cur, user, align });
    }
    pub fn load_excl(&mut self, addr: Tmp, size: MemSize) -> Tmp {
        let d = self.tmp();
        self.push(Op::LoadExcl { d, addr, size, insn: self.cur });
        d
    }
    pub fn store_excl(&mut self, addr: Tmp, s: Tmp, size: MemSize) -> Tmp {
        let d = self.tmp();
        self.push(Op::StoreExcl { d, addr, s, size, insn: self.cur });
        d
    }

    // ----- control flow -----

    /// Whether the current Thumb instruction is inside an IT block.
    pub fn in_it_block(&self) -> bool {
        self.it & 0xf != 0
    }
    /// Whether the current instruction is the last one of an IT block.
    pub fn last_in_it_block(&self) -> bool {
        self.it & 0xf == 0x8
    }
    /// Address of the next sequential instruction.
    pub fn next_pc(&self) -> u32 {
        self.pc.wrapping_add(self.size)
    }

    fn emit_exit(&mut self, reason: ExitReason) {
        if self.thumb && self.it_dirty {
            let v = self.it_next.unwrap_or_else(|| it_advance(self.it));
            self.push(Op::SetIt { v });
        }
        self.push(Op::Exit { reason });
        self.ended = true;
    }
    fn write_pc(&mut self, s: Tmp, kind: PcWrite) {
        self.exit_with_pc(s, kind, ExitReason::Branch)
    }
    /// Writes the PC and leaves the block; a PC-relative target becomes one `ExitTo`.
    fn exit_with_pc(&mut self, s: Tmp, kind: PcWrite, reason: ExitReason) {
        if let Known::PcRel(off) = self.known(s) {
            if self.thumb && self.it_dirty {
                let v = self.it_next.unwrap_or_else(|| it_advance(self.it));
                self.push(Op::SetIt { v });
            }
            self.push(Op::ExitTo { off, kind, reason });
            self.ended = true;
        } else {
            self.push(Op::WritePc { s, kind });
            self.emit_exit(reason);
        }
    }
    /// BranchWritePC: a branch within the current instruction set.
    pub fn branch_write_pc(&mut self, s: Tmp) {
        self.write_pc(s, PcWrite::Branch)
    }
    /// BXWritePC: bit 0 selects the instruction set.
    pub fn bx_write_pc(&mut self, s: Tmp) {
        self.write_pc(s, PcWrite::Interwork)
    }
    /// LoadWritePC (ARMv7: interworking).
    pub fn load_write_pc(&mut self, s: Tmp) {
        self.write_pc(s, PcWrite::Interwork)
    }
    /// ALUWritePC (ARMv7: interworking in ARM state, a plain branch in Thumb).
    pub fn alu_write_pc(&mut self, s: Tmp) {
        if self.thumb {
            self.write_pc(s, PcWrite::Branch)
        } else {
            self.write_pc(s, PcWrite::Interwork)
        }
    }
    /// Branch that selects the instruction set explicitly (BLX immediate).
    pub fn select_write_pc(&mut self, s: Tmp, thumb: bool) {
        self.write_pc(s, PcWrite::SetThumb(thumb))
    }
    /// Ends the block after this instruction because system state changed
    /// (mode, CP15, interrupt masks...). Execution resumes at the next instruction.
    pub fn end_block_sys(&mut self) {
        self.end_block(ExitReason::SysChange)
    }
    /// Ends the block after this instruction: through the dispatcher (`SysChange`) if `need` is
    /// nonzero, else as a plain branch to the next instruction, which compiled code may chain to
    /// (Linux masks and unmasks interrupts all the time; most of those writes change nothing the
    /// dispatcher has to act on).
    pub fn end_block_sys_if(&mut self, need: Tmp) {
        self.push(Op::SkipUnless { c: need, n: 0 });
        let at = self.ops.len() - 1;
        self.end_block(ExitReason::SysChange);
        let n = (self.ops.len() - at - 1) as u16;
        self.ops[at] = Op::SkipUnless { c: need, n };
        self.end_block(ExitReason::Branch);
    }
    /// Ends the block after this instruction with `reason`; PC = next instruction.
    pub fn end_block(&mut self, reason: ExitReason) {
        let n = self.pc_rel(self.next_pc());
        self.exit_with_pc(n, PcWrite::Branch, reason);
    }
    /// Raises a synchronous exception at this instruction.
    pub fn raise(&mut self, kind: RaiseKind) {
        self.push(Op::Raise { kind, insn: self.cur });
        self.ended = true;
    }

    /// Emits `Cond`+`SkipUnless` for `cond` and returns the position to patch, or
    /// None for "always".
    pub fn begin_cond(&mut self, cond: u8) -> Option<usize> {
        if cond >= 0xe {
            return None;
        }
        self.push(Op::SkipUnlessCond { cond, n: 0 });
        Some(self.ops.len() - 1)
    }
    /// Closes a region opened by `begin_cond`.
    pub fn end_cond(&mut self, at: Option<usize>) {
        if let Some(at) = at {
            let n = (self.ops.len() - at - 1) as u16;
            match self.ops[at] {
                Op::SkipUnless { c, .. } => self.ops[at] = Op::SkipUnless { c, n },
                Op::SkipUnlessCond { cond, .. } => self.ops[at] = Op::SkipUnlessCond { cond, n },
                _ => {}
            }
            self.forget_regs();
        }
    }

    fn finish(self, len: u32) -> Block {
        let ops = crate::ir::opt::remove_dead(self.ops, self.ntmp);
        Block {
            pc: self.block_pc,
            thumb: self.thumb,
            it: self.entry_it,
            ops,
            insns: self.insns,
            ntmp: self.ntmp,
            len,
        }
    }

    /// Translates one fetched instruction (`insn` is the 32-bit ARM word, the
    /// 16-bit Thumb halfword, or `hw1 << 16 | hw2` for 32-bit Thumb).
    fn translate_insn(&mut self, insn: u32, size: u32) {
        self.size = size;
        self.it_next = None;
        let off = self.pc.wrapping_sub(self.block_pc);
        self.insns.push(InsnInfo { off, size: size as u8, it: self.it });
        self.cur = (self.insns.len() - 1) as u16;
        let (row, cond) = if !self.thumb {
            (decode_arm(insn), (insn >> 28) as u8)
        } else {
            let cond = if self.in_it_block() { self.it >> 4 } else { 0xe };
            if size == 2 {
                (decode_t16(insn as u16), cond)
            } else {
                (decode_t32(insn), cond)
            }
        };
        if self.in_it_block() {
            self.it_dirty = true;
        }
        let cond = if !self.thumb && cond == 0xf { 0xe } else { cond };
        let at = self.begin_cond(cond);
        let mark = self.ops.len();
        let ntmp = self.ntmp;
        let res = match row {
            Some(r) => (r.handler)(self, Fields { insn, pattern: r.pattern }),
            None => Err(Fail::Undefined),
        };
        if res.is_err() {
            self.ops.truncate(mark);
            self.forget_regs();
            self.ntmp = ntmp.max(self.ntmp);
            self.ended = false;
            self.it_next = None;
            self.raise(RaiseKind::Undefined);
        }
        self.end_cond(at);
        if self.it_next.is_some() {
            self.it_dirty = true;
        }
        if self.ended && at.is_some() {
            // The condition may fail: fall through to the next instruction.
            self.ended = false;
            self.end_block(ExitReason::Branch);
        }
    }
}

/// Translates the block at `pc` in the given instruction set state.
/// Fails only if the very first instruction cannot be fetched (a Prefetch Abort).
pub fn translate_block<M: GuestMemory + ?Sized>(
    mem: &mut M,
    cpu: &mut CpuState,
    pc: u32,
    thumb: bool,
    it: u8,
) -> Result<Block, MemFault> {
    translate_block_limited(mem, cpu, pc, thumb, it, MAX_BLOCK_INSNS)
}

/// `translate_block` with at most `max_insns` instructions (1 for tracing and single-stepping).
pub fn translate_block_limited<M: GuestMemory + ?Sized>(
    mem: &mut M,
    cpu: &mut CpuState,
    pc: u32,
    thumb: bool,
    it: u8,
    max_insns: usize,
) -> Result<Block, MemFault> {
    let mut t = Translator::new(pc, thumb, it);
    t.strict_align = cpu.cp15.sctlr & 2 != 0;
    let page = pc & !0xfff;
    loop {
        let at = t.pc;
        let fetched = if !thumb {
            mem.fetch(cpu, at, 4).map(|w| (w, 4))
        } else {
            match mem.fetch(cpu, at, 2) {
                // A 32-bit instruction whose second halfword is on the next page starts a
                // block of its own (`Block::crosses_page`): the others stay on one page.
                Ok(hw1) if is_t32_prefix(hw1 as u16) && at & 0xfff == 0xffe && !t.insns.is_empty() => {
                    t.end_block_at_current();
                    break;
                }
                Ok(hw1) if is_t32_prefix(hw1 as u16) => mem.fetch(cpu, at.wrapping_add(2), 2).map(|hw2| {
                    if at & 0xfff == 0xffe {
                        t.code_guard(hw2 as u16);
                    }
                    ((hw1 << 16) | hw2, 4)
                }),
                Ok(hw1) => Ok((hw1, 2)),
                Err(e) => Err(e),
            }
        };
        let (insn, size) = match fetched {
            Ok(x) => x,
            Err(e) if t.insns.is_empty() => return Err(e),
            Err(_) => {
                t.end_block_at_current();
                break;
            }
        };
        t.translate_insn(insn, size);
        if t.ended {
            break;
        }
        t.pc = t.pc.wrapping_add(size);
        t.it = t.it_next.unwrap_or_else(|| it_advance(t.it));
        if t.insns.len() >= max_insns.max(1) || t.pc & !0xfff != page || t.ntmp as usize > MAX_TMPS - 256 {
            t.end_block_at_current();
            break;
        }
    }
    let len = t.pc.wrapping_sub(pc).wrapping_add(if t.ended { t.size } else { 0 });
    Ok(t.finish(len))
}

impl Translator {
    /// The start of a block whose first instruction's second halfword, `hw2`, is on the next
    /// page (`Block::crosses_page`), which the block's physical address does not name: the
    /// block goes on only if that halfword, read through the current mapping, is still `hw2`;
    /// else it leaves to the dispatcher (not chained), which checks a crossing block's bytes
    /// before each run and translates it again. So a compiled crossing block stays right when
    /// a chained jump enters it under another mapping of the second page. A data read of code
    /// that the fetch could read never faults (the same permissions); the interpreter runs it
    /// too, right after the dispatcher's check.
    fn code_guard(&mut self, hw2: u16) {
        let a = self.tmp();
        self.push(Op::PcRel { d: a, off: 2 });
        let h = self.tmp();
        self.push(Op::Load { d: h, addr: a, size: MemSize::U16, insn: 0, user: false, align: false });
        let x = self.tmp();
        self.push(Op::BinImm { d: x, op: BinOp::Xor, a: h, imm: hw2 as u32 });
        self.push(Op::SkipUnless { c: x, n: 1 });
        self.push(Op::ExitTo { off: 0, kind: PcWrite::Branch, reason: ExitReason::SysChange });
    }

    /// Ends the block before the instruction at `self.pc` (not yet translated).
    fn end_block_at_current(&mut self) {
        if self.thumb && self.it_dirty {
            let v = self.it;
            self.push(Op::SetIt { v });
        }
        let off = self.pc.wrapping_sub(self.block_pc);
        self.push(Op::ExitTo { off, kind: PcWrite::Branch, reason: ExitReason::Branch });
        self.ended = true;
        self.size = 0;
    }
}

// ----- shared decoding helpers (Arm ARM pseudocode functions) -----

/// ARMExpandImm_C (A5.2.4): (value, carry out or None when unchanged).
pub fn arm_expand_imm_c(imm12: u32) -> (u32, Option<u32>) {
    let rot = (imm12 >> 8) * 2;
    let v = (imm12 & 0xff).rotate_right(rot);
    if rot == 0 {
        (v, None)
    } else {
        (v, Some(v >> 31))
    }
}

/// ThumbExpandImm_C (A6.3.2). Err for the UNPREDICTABLE zero patterns.
pub fn thumb_expand_imm_c(imm12: u32) -> Result<(u32, Option<u32>), Fail> {
    let b = imm12 & 0xff;
    if imm12 >> 10 == 0 {
        let v = match (imm12 >> 8) & 3 {
            0 => b,
            1 => {
                if b == 0 {
                    return Err(Fail::Unpredictable);
                }
                (b << 16) | b
            }
            2 => {
                if b == 0 {
                    return Err(Fail::Unpredictable);
                }
                (b << 24) | (b << 8)
            }
            _ => {
                if b == 0 {
                    return Err(Fail::Unpredictable);
                }
                (b << 24) | (b << 16) | (b << 8) | b
            }
        };
        Ok((v, None))
    } else {
        let unrot = 0x80 | (imm12 & 0x7f);
        let v = unrot.rotate_right(imm12 >> 7);
        Ok((v, Some(v >> 31)))
    }
}

/// DecodeImmShift (A8.4.3): (kind, amount). ROR #0 is RRX; LSR/ASR #0 mean 32.
pub fn decode_imm_shift(ty: u32, imm5: u32) -> (ShiftKind, u32) {
    match ty & 3 {
        0 => (ShiftKind::Lsl, imm5),
        1 => (ShiftKind::Lsr, if imm5 == 0 { 32 } else { imm5 }),
        2 => (ShiftKind::Asr, if imm5 == 0 { 32 } else { imm5 }),
        _ => {
            if imm5 == 0 {
                (ShiftKind::Rrx, 1)
            } else {
                (ShiftKind::Ror, imm5)
            }
        }
    }
}

/// DecodeRegShift (A8.4.3).
pub fn decode_reg_shift(ty: u32) -> ShiftKind {
    match ty & 3 {
        0 => ShiftKind::Lsl,
        1 => ShiftKind::Lsr,
        2 => ShiftKind::Asr,
        _ => ShiftKind::Ror,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_give_mask_and_value() {
        fn h(_: &mut Translator, _: Fields) -> Res {
            Ok(())
        }
        let r = Row::new("x", "cccc 0010 100S nnnn dddd iiii iiii iiii", h);
        assert_eq!(r.mask, 0x0fe0_0000);
        assert_eq!(r.value, 0x0280_0000);
        let f = Fields { insn: 0xe291_2003, pattern: r.pattern };
        assert_eq!((f.get('n'), f.get('d'), f.get('i'), f.get('S'), f.get('c')), (1, 2, 3, 1, 0xe));
        // A field in three pieces (Thumb's i:imm3:imm8), read most significant piece first.
        let t = Row::new("t", "11110 i 0 1000 S nnnn 0 iii dddd iiiiiiii", h);
        let f = Fields { insn: 1 << 26 | 0b101 << 12 | 0x3 << 8 | 0xab, pattern: t.pattern };
        assert_eq!((f.get('i'), f.get('d'), f.get('n')), (0xdab, 3, 0));
        let r16 = Row::new("y", "010001zz 1 o mmm ddd", h);
        assert_eq!(r16.bits(), 16);
        assert_eq!(r16.sbz, 0x0300);
    }

    #[test]
    fn expand_imm() {
        assert_eq!(arm_expand_imm_c(0x4ff), (0xff00_0000, Some(1)));
        assert_eq!(arm_expand_imm_c(0x0ff), (0xff, None));
        assert_eq!(thumb_expand_imm_c(0x1ab).unwrap(), (0x00ab_00ab, None));
        assert_eq!(thumb_expand_imm_c(0x3ab).unwrap(), (0xabab_abab, None));
        assert_eq!(thumb_expand_imm_c(0x4ff).unwrap().0, 0x7f80_0000);
        assert_eq!(thumb_expand_imm_c(0x100), Err(Fail::Unpredictable));
    }

    /// Thumb code at 0x1ffc: nop; movw r0, #0x1234 across the page boundary at 0x2000; bx lr.
    fn crossing_code() -> super::testutil::FlatMem {
        let mut m = super::testutil::FlatMem::new(0x1000, 0x2000);
        m.write_bytes(0x1ffc, &[0x00, 0xbf, 0x41, 0xf2]); // nop; movw r0, #0x1234 (first halfword)
        m.write_bytes(0x2000, &[0x34, 0x20, 0x70, 0x47]); // (second halfword); bx lr
        m
    }

    /// A 32-bit Thumb instruction whose second halfword is on the next page ends the block
    /// before it, and is a block of its own, the only kind that crosses a page.
    #[test]
    fn a_thumb_instruction_across_pages_is_a_block_of_its_own() {
        let mut m = crossing_code();
        let mut cpu = CpuState::new();
        let b = translate_block(&mut m, &mut cpu, 0x1ffc, true, 0).unwrap();
        assert_eq!((b.len, b.insns.len(), b.crosses_page()), (2, 1, false));
        let b = translate_block(&mut m, &mut cpu, 0x1ffe, true, 0).unwrap();
        assert_eq!((b.len, b.insns.len(), b.crosses_page()), (4, 1, true));
        let b = translate_block(&mut m, &mut cpu, 0x1ff8, false, 0).unwrap();
        assert!(!b.crosses_page(), "ARM code never crosses: {} bytes", b.len);
    }

    /// The crossing block reads its second halfword (as data, through the mapping of the moment)
    /// before it runs: if that changed since the translation, it leaves at its own start, not
    /// chained, for the dispatcher to translate it again, and runs nothing.
    #[test]
    fn a_crossing_block_leaves_untouched_when_its_second_halfword_changed() {
        let mut m = crossing_code();
        let mut cpu = CpuState::new();
        let b = translate_block(&mut m, &mut cpu, 0x1ffe, true, 0).unwrap();
        let mut temps = crate::ir::interp::Temps::default();
        let run = |m: &mut super::testutil::FlatMem, cpu: &mut CpuState, temps: &mut crate::ir::interp::Temps| {
            cpu.r[0] = 7;
            cpu.r[15] = 0x1ffe;
            cpu.t = 1;
            crate::ir::interp::run_block(cpu, m, &b, temps)
        };
        assert_eq!(run(&mut m, &mut cpu, &mut temps), ExitReason::Branch);
        assert_eq!((cpu.r[0], cpu.r[15]), (0x1234, 0x2002), "unchanged: the MOVW ran");
        m.write_bytes(0x2000, &[0x77, 0x20]); // movw r0, #0x1277 now
        assert_eq!(run(&mut m, &mut cpu, &mut temps), ExitReason::SysChange);
        assert_eq!((cpu.r[0], cpu.r[15]), (7, 0x1ffe), "changed: nothing ran, the PC is the block's");
    }

    #[test]
    fn it_advance_ends_blocks() {
        // ITTE EQ: firstcond=0000, mask=0110... ITSTATE after IT = 0x06? use Arm ARM example:
        assert_eq!(it_advance(0x08), 0); // last instruction
        assert_eq!(it_advance(0x04 | 0x00), 0x08);
    }

    /// No two rows of a table may match the same encoding with the same number of
    /// fixed bits (that would make decoding depend on table order).
    #[test]
    fn tables_have_no_ambiguous_rows() {
        for table in [arm_table(), t32_table(), t16_table()] {
            for (i, a) in table.iter().enumerate() {
                for b in &table[i + 1..] {
                    if a.mask.count_ones() != b.mask.count_ones() {
                        continue;
                    }
                    let common = a.mask & b.mask;
                    if a.value & common == b.value & common && a.mask == b.mask && a.value == b.value {
                        panic!("duplicate rows {a:?} and {b:?}");
                    }
                }
            }
        }
    }
}

/// Decodes and translates a single instruction in isolation and reports what the
/// handler said: used by the random instruction generator and the tests.
/// `insn` as in `Translator::translate_insn`; `size` is 2 or 4 (Thumb) or 4 (ARM).
pub fn check_insn(insn: u32, thumb: bool, size: u32, it: u8) -> Result<Vec<Op>, Fail> {
    let mut t = Translator::new(0x1000, thumb, it);
    t.size = size;
    t.insns.push(InsnInfo { off: 0, size: size as u8, it });
    let row = if !thumb {
        decode_arm(insn)
    } else if size == 2 {
        decode_t16(insn as u16)
    } else {
        decode_t32(insn)
    };
    let row = row.ok_or(Fail::Undefined)?;
    (row.handler)(&mut t, Fields { insn, pattern: row.pattern })?;
    Ok(t.ops)
}
