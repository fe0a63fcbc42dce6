//! The IR interpreter: the reference engine, and the first tier.

use super::*;
use crate::cpu::{condition_passed, psr, Exception};
use crate::mem::{extend, GuestMemory, MemFault};

/// Scratch space for temporaries, reused across blocks. Indexing masks with
/// `MAX_TMPS - 1`, which lets the compiler drop bounds checks; the translator
/// never uses more than `MAX_TMPS` temporaries in a block.
pub struct Temps(Box<[u64; MAX_TMPS]>);

impl Default for Temps {
    fn default() -> Self {
        Temps(Box::new([0; MAX_TMPS]))
    }
}

/// Arm ARM Shift_C for register amounts (only the low byte of `amt` counts).
#[inline]
pub fn shift_c(kind: ShiftKind, a: u32, amt: u32, cin: u32) -> (u32, u32) {
    let amt = amt & 0xff;
    match kind {
        ShiftKind::Lsl => match amt {
            0 => (a, cin),
            1..=31 => (a << amt, (a >> (32 - amt)) & 1),
            32 => (0, a & 1),
            _ => (0, 0),
        },
        ShiftKind::Lsr => match amt {
            0 => (a, cin),
            1..=31 => (a >> amt, (a >> (amt - 1)) & 1),
            32 => (0, a >> 31),
            _ => (0, 0),
        },
        ShiftKind::Asr => match amt {
            0 => (a, cin),
            1..=31 => (((a as i32) >> amt) as u32, (a >> (amt - 1)) & 1),
            _ => (((a as i32) >> 31) as u32, a >> 31),
        },
        ShiftKind::Ror => {
            if amt == 0 {
                (a, cin)
            } else {
                let r = a.rotate_right(amt & 31);
                (r, r >> 31)
            }
        }
        ShiftKind::Rrx => ((cin << 31) | (a >> 1), a & 1),
    }
}

#[inline]
pub fn bin(op: BinOp, a: u64, b: u64) -> u64 {
    let (x, y) = (a as u32, b as u32);
    (match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::And => x & y,
        BinOp::Or => x | y,
        BinOp::Xor => x ^ y,
        BinOp::Bic => x & !y,
        BinOp::Mul => x.wrapping_mul(y),
        BinOp::Lsl => {
            let s = y & 0xff;
            if s >= 32 {
                0
            } else {
                x << s
            }
        }
        BinOp::Lsr => {
            let s = y & 0xff;
            if s >= 32 {
                0
            } else {
                x >> s
            }
        }
        BinOp::Asr => {
            let s = (y & 0xff).min(31);
            ((x as i32) >> s) as u32
        }
        BinOp::Ror => x.rotate_right(y & 31),
        BinOp::UDiv => x.checked_div(y).unwrap_or(0),
        BinOp::SDiv => {
            if y == 0 {
                0
            } else {
                (x as i32).wrapping_div(y as i32) as u32
            }
        }
        BinOp::Eq => (x == y) as u32,
        BinOp::Ne => (x != y) as u32,
        BinOp::LtU => (x < y) as u32,
        BinOp::LtS => ((x as i32) < (y as i32)) as u32,
        BinOp::Add64 => return a.wrapping_add(b),
        BinOp::Sub64 => return a.wrapping_sub(b),
        BinOp::Mul64 => return a.wrapping_mul(b),
        BinOp::Pair => return (a << 32) | (b & 0xffff_ffff),
    }) as u64
}

#[inline]
pub fn un(op: UnOp, a: u64) -> u64 {
    let x = a as u32;
    (match op {
        UnOp::Not => !x,
        UnOp::Neg => x.wrapping_neg(),
        UnOp::Clz => x.leading_zeros(),
        UnOp::Rbit => x.reverse_bits(),
        UnOp::Rev => x.swap_bytes(),
        UnOp::Rev16 => ((x & 0x00ff_00ff) << 8) | ((x >> 8) & 0x00ff_00ff),
        UnOp::Revsh => (((x & 0xff) << 8) | ((x >> 8) & 0xff)) as u16 as i16 as i32 as u32,
        UnOp::Sxtb => x as u8 as i8 as i32 as u32,
        UnOp::Sxth => x as u16 as i16 as i32 as u32,
        UnOp::Uxtb => x & 0xff,
        UnOp::Uxth => x & 0xffff,
        UnOp::Lo => x,
        UnOp::Hi => (a >> 32) as u32,
        UnOp::Sext32 => return x as i32 as i64 as u64,
    }) as u64
}

/// AddWithCarry (Arm ARM A2.2.1): result and NZCV.
#[inline]
pub fn add_with_carry(x: u32, y: u32, cin: u32) -> (u32, u8, u8, u8, u8) {
    let usum = x as u64 + y as u64 + cin as u64;
    let ssum = x as i32 as i64 + y as i32 as i64 + cin as i64;
    let r = usum as u32;
    let c = (usum >> 32) as u8;
    let v = (r as i32 as i64 != ssum) as u8;
    ((r), (r >> 31) as u8, (r == 0) as u8, c, v)
}

fn alignment_ok(addr: u32, size: MemSize, excl: bool) -> bool {
    let a = match size {
        MemSize::U8 | MemSize::S8 => 1,
        MemSize::U16 | MemSize::S16 => 2,
        MemSize::U32 => 4,
        MemSize::U64 => {
            if excl {
                8
            } else {
                4
            }
        }
    };
    addr & (a - 1) == 0
}

/// Runs one block. On return the PC (and all state) is architecturally exact.
pub fn run_block<M: GuestMemory + ?Sized>(cpu: &mut CpuState, mem: &mut M, b: &Block, temps: &mut Temps) -> ExitReason {
    debug_assert!((b.ntmp as usize) <= MAX_TMPS);
    let t = &mut *temps.0;
    let ops = &b.ops[..];
    // Blocks are position independent: PC-relative values come from the address
    // the block runs at (CpuState's PC at entry), not the one it was translated at.
    let pc0 = cpu.r[15];
    const M: usize = MAX_TMPS - 1;
    let mut i = 0usize;
    while i < ops.len() {
        match ops[i] {
            Op::Const { d, v } => t[d as usize & M] = v,
            Op::PcRel { d, off } => t[d as usize & M] = pc0.wrapping_add(off) as u64,
            Op::GetReg { d, r } => t[d as usize & M] = cpu.r[r as usize] as u64,
            Op::SetReg { r, s } => cpu.r[r as usize] = t[s as usize & M] as u32,
            Op::GetFlag { d, f } => {
                t[d as usize & M] = match f {
                    Flag::N => cpu.n,
                    Flag::Z => cpu.z,
                    Flag::C => cpu.c,
                    Flag::V => cpu.v,
                    Flag::Q => cpu.q,
                    Flag::Ge => cpu.ge,
                } as u64
            }
            Op::SetFlag { f, s } => {
                let v = t[s as usize & M] as u8;
                match f {
                    Flag::N => cpu.n = v & 1,
                    Flag::Z => cpu.z = v & 1,
                    Flag::C => cpu.c = v & 1,
                    Flag::V => cpu.v = v & 1,
                    Flag::Q => cpu.q |= (v != 0) as u8,
                    Flag::Ge => cpu.ge = v & 0xf,
                }
            }
            Op::SetNZ { s } => {
                let v = t[s as usize & M] as u32;
                cpu.n = (v >> 31) as u8;
                cpu.z = (v == 0) as u8;
            }
            Op::GetNZCV { d } => t[d as usize & M] = psr::nzcv(cpu) as u64,
            Op::SetNZCV { s } => psr::set_nzcv(cpu, t[s as usize & M] as u32),
            Op::Cond { d, cond } => t[d as usize & M] = condition_passed(cpu, cond) as u64,
            Op::Bin { d, op, a, b: bb } => t[d as usize & M] = bin(op, t[a as usize & M], t[bb as usize & M]),
            Op::BinImm { d, op, a, imm } => t[d as usize & M] = bin(op, t[a as usize & M], imm as u64),
            Op::Un { d, op, a } => t[d as usize & M] = un(op, t[a as usize & M]),
            Op::AddFlags { d, a, b: bb, cin } => {
                let (r, n, z, c, v) = add_with_carry(t[a as usize & M] as u32, t[bb as usize & M] as u32, t[cin as usize & M] as u32);
                t[d as usize & M] = r as u64;
                cpu.n = n;
                cpu.z = z;
                cpu.c = c;
                cpu.v = v;
            }
            Op::SubFlags { d, a, b: bb } => {
                let (r, n, z, c, v) = add_with_carry(t[a as usize & M] as u32, !(t[bb as usize & M] as u32), 1);
                t[d as usize & M] = r as u64;
                cpu.n = n;
                cpu.z = z;
                cpu.c = c;
                cpu.v = v;
            }
            Op::ShiftC { d, dc, kind, a, amt, cin } => {
                let (r, c) = shift_c(kind, t[a as usize & M] as u32, t[amt as usize & M] as u32, t[cin as usize & M] as u32);
                t[d as usize & M] = r as u64;
                t[dc as usize & M] = c as u64;
            }
            Op::Select { d, c, a, b: bb } => {
                t[d as usize & M] = if t[c as usize & M] != 0 { t[a as usize & M] } else { t[bb as usize & M] }
            }
            Op::MulL { d, a, b: bb, signed } => {
                let (x, y) = (t[a as usize & M] as u32, t[bb as usize & M] as u32);
                t[d as usize & M] =
                    if signed { (x as i32 as i64).wrapping_mul(y as i32 as i64) as u64 } else { x as u64 * y as u64 };
            }
            Op::GetS { d, r } => {
                let dr = cpu.d[(r >> 1) as usize];
                t[d as usize & M] = if r & 1 == 0 { dr & 0xffff_ffff } else { dr >> 32 };
            }
            Op::SetS { r, s } => {
                let dr = &mut cpu.d[(r >> 1) as usize];
                let v = t[s as usize & M] & 0xffff_ffff;
                *dr = if r & 1 == 0 { (*dr & !0xffff_ffff) | v } else { (*dr & 0xffff_ffff) | (v << 32) };
            }
            Op::GetD { d, r } => t[d as usize & M] = cpu.d[r as usize],
            Op::SetD { r, s } => cpu.d[r as usize] = t[s as usize & M],
            Op::Load { d, addr, size, insn, user, align } => {
                let a = t[addr as usize & M] as u32;
                let r = if align && !alignment_ok(a, size, false) {
                    Err(MemFault::new(crate::mem::fsr::ALIGNMENT, a))
                } else {
                    mem.load(cpu, a, size, user)
                };
                match r {
                    Ok(v) => t[d as usize & M] = extend(v, size),
                    Err(f) => return data_abort(cpu, pc0, b, insn, f, false),
                }
            }
            Op::Store { addr, s, size, insn, user, align } => {
                let a = t[addr as usize & M] as u32;
                let r = if align && !alignment_ok(a, size, false) {
                    Err(MemFault::new(crate::mem::fsr::ALIGNMENT, a))
                } else {
                    mem.store(cpu, a, size, t[s as usize & M], user)
                };
                if let Err(f) = r {
                    return data_abort(cpu, pc0, b, insn, f, true);
                }
            }
            Op::LoadExcl { d, addr, size, insn } => {
                let a = t[addr as usize & M] as u32;
                let r = if !alignment_ok(a, size, true) {
                    Err(MemFault::new(crate::mem::fsr::ALIGNMENT, a))
                } else {
                    mem.load(cpu, a, size, false)
                };
                match r {
                    Ok(v) => {
                        t[d as usize & M] = extend(v, size);
                        cpu.excl_addr = a;
                        // The monitor remembers the size: a STREX of another size fails (as QEMU does).
                        cpu.excl_valid = size.bytes();
                    }
                    Err(f) => return data_abort(cpu, pc0, b, insn, f, false),
                }
            }
            Op::StoreExcl { d, addr, s, size, insn } => {
                let a = t[addr as usize & M] as u32;
                if !alignment_ok(a, size, true) {
                    return data_abort(cpu, pc0, b, insn, MemFault::new(crate::mem::fsr::ALIGNMENT, a), true);
                }
                if cpu.excl_valid == size.bytes() && cpu.excl_addr == a {
                    if let Err(f) = mem.store(cpu, a, size, t[s as usize & M], false) {
                        return data_abort(cpu, pc0, b, insn, f, true);
                    }
                    t[d as usize & M] = 0;
                } else {
                    t[d as usize & M] = 1;
                }
                cpu.excl_valid = 0;
            }
            Op::ClearExcl => cpu.excl_valid = 0,
            // Regions are for the LLVM backend only (the JIT never hands one to another engine).
            Op::Member { .. } => unreachable!("the interpreter was given a region"),
            Op::Call { d, h, a, b: bb, c, insn } => {
                // Helpers see the precise PC of the calling instruction.
                let saved_pc = cpu.r[15];
                cpu.r[15] = pc0.wrapping_add(b.insns[insn as usize].off);
                let r = (h.f)(cpu, t[a as usize & M], t[bb as usize & M], t[c as usize & M]);
                t[d as usize & M] = r;
                if h.may_raise && cpu.pending.is_some() {
                    let info = b.insns[insn as usize];
                    cpu.it = info.it;
                    cpu.insns += insn as u64;
                    return ExitReason::Exception;
                }
                cpu.r[15] = saved_pc;
            }
            Op::SkipUnless { c, n } => {
                if t[c as usize & M] == 0 {
                    i += n as usize;
                }
            }
            Op::SkipUnlessCond { cond, n } => {
                if !condition_passed(cpu, cond) {
                    i += n as usize;
                }
            }
            Op::ExitTo { off, kind, reason } => {
                write_pc(cpu, pc0.wrapping_add(off), kind);
                cpu.insns += b.insns.len() as u64;
                return reason;
            }
            Op::WritePc { s, kind } => write_pc(cpu, t[s as usize & M] as u32, kind),
            Op::SetIt { v } => cpu.it = v,
            Op::Raise { kind, insn } => {
                let info = b.insns[insn as usize];
                let pc = pc0.wrapping_add(info.off);
                cpu.r[15] = pc;
                cpu.it = info.it;
                cpu.insns += insn as u64;
                return match kind {
                    RaiseKind::Undefined => {
                        cpu.undefined_insns += 1;
                        cpu.pending = Some(Exception::Undefined);
                        cpu.pending_return = pc;
                        ExitReason::Exception
                    }
                    RaiseKind::Svc => {
                        cpu.insns += 1;
                        cpu.pending = Some(Exception::Svc);
                        cpu.pending_return = pc.wrapping_add(info.size as u32);
                        // SVC inside an IT block: the return state is the next instruction's.
                        cpu.it = crate::arm::it_advance(info.it);
                        ExitReason::Exception
                    }
                    RaiseKind::Hvc => ExitReason::Hvc,
                    RaiseKind::Smc => ExitReason::Smc,
                    RaiseKind::Bkpt => ExitReason::Bkpt,
                };
            }
            Op::Exit { reason } => {
                cpu.insns += b.insns.len() as u64;
                return reason;
            }
        }
        i += 1;
    }
    // Translator always terminates blocks with Exit; reaching here is a translator bug.
    cpu.insns += b.insns.len() as u64;
    ExitReason::Branch
}

fn data_abort(cpu: &mut CpuState, pc0: u32, b: &Block, insn: u16, f: MemFault, write: bool) -> ExitReason {
    let info = b.insns[insn as usize];
    let pc = pc0.wrapping_add(info.off);
    cpu.r[15] = pc;
    cpu.it = info.it;
    cpu.insns += insn as u64;
    cpu.cp15.dfsr = f.fsr | if write { crate::mem::fsr::WNR } else { 0 };
    cpu.cp15.dfar = f.far;
    cpu.pending = Some(Exception::DataAbort);
    cpu.pending_return = pc;
    ExitReason::Exception
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifter_carry_rules() {
        assert_eq!(shift_c(ShiftKind::Lsl, 0x8000_0001, 1, 0), (2, 1));
        assert_eq!(shift_c(ShiftKind::Lsl, 1, 32, 0), (0, 1));
        assert_eq!(shift_c(ShiftKind::Lsl, 1, 33, 1), (0, 0));
        assert_eq!(shift_c(ShiftKind::Lsr, 0x8000_0000, 32, 0), (0, 1));
        assert_eq!(shift_c(ShiftKind::Asr, 0x8000_0000, 40, 0), (0xffff_ffff, 1));
        assert_eq!(shift_c(ShiftKind::Ror, 0x8000_0000, 32, 0), (0x8000_0000, 1));
        assert_eq!(shift_c(ShiftKind::Ror, 3, 1, 0), (0x8000_0001, 1));
        assert_eq!(shift_c(ShiftKind::Rrx, 3, 0, 1), (0x8000_0001, 1));
        assert_eq!(shift_c(ShiftKind::Lsl, 5, 256, 1), (5, 1), "only the low byte counts");
    }

    #[test]
    fn add_with_carry_flags() {
        assert_eq!(add_with_carry(0x7fff_ffff, 1, 0), (0x8000_0000, 1, 0, 0, 1));
        assert_eq!(add_with_carry(0xffff_ffff, 1, 0), (0, 0, 1, 1, 0));
        // SUBS r, 5, 5 = 5 + !5 + 1
        assert_eq!(add_with_carry(5, !5, 1), (0, 0, 1, 1, 0));
        assert_eq!(add_with_carry(0x8000_0000, !1, 1), (0x7fff_ffff, 0, 0, 1, 1));
    }

    #[test]
    fn division_edge_cases() {
        assert_eq!(bin(BinOp::SDiv, 0x8000_0000, 0xffff_ffff), 0x8000_0000);
        assert_eq!(bin(BinOp::SDiv, 7, 0), 0);
        assert_eq!(bin(BinOp::UDiv, 7, 0), 0);
        assert_eq!(bin(BinOp::SDiv, (-7i32) as u32 as u64, 2), (-3i32) as u32 as u64);
    }
}

/// BranchWritePC / BXWritePC (Arm ARM A2.3.1).
#[inline]
fn write_pc(cpu: &mut CpuState, v: u32, kind: PcWrite) {
    match kind {
        PcWrite::Branch => cpu.r[15] = if cpu.t != 0 { v & !1 } else { v & !3 },
        PcWrite::Interwork => {
            if v & 1 != 0 {
                cpu.t = 1;
                cpu.r[15] = v & !1;
            } else {
                cpu.t = 0;
                // BXWritePC to an address with bits [1:0] = 0b10 is UNPREDICTABLE; align.
                cpu.r[15] = v & !3;
            }
        }
        PcWrite::SetThumb(th) => {
            cpu.t = th as u8;
            cpu.r[15] = if th { v & !1 } else { v & !3 };
        }
    }
}
