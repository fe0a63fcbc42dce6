//! Loads and stores (Arm ARM A5.3, A5.2.8, A5.5, A6.2.4, A6.3.7-A6.3.10): LDR/STR and
//! their byte, halfword, signed, doubleword and unprivileged (…T) forms with every
//! addressing mode, LDM/STM (IA/IB/DA/DB, PUSH/POP, the user-register and
//! exception-return forms), the exclusives (LDREX/STREX…, CLREX) and the preload
//! hints (PLD/PLDW/PLI, no-ops here), in ARM, 32-bit Thumb and 16-bit Thumb.
//!
//! Every encoding decodes its fields and calls one of a few semantic functions
//! (`load`, `store`, `load_dual`, `store_dual`, `load_multiple`, …).
//! Precise faults: each of them does all of its memory accesses before it writes
//! any register, so a Data Abort leaves the registers as they were.

use super::{decode_imm_shift, Fail, Fields, Res, Row, Translator};
use crate::cpu::{CpuState, Mode};
use crate::ir::{BinOp, Flag, Helper, MemSize, Op, ShiftKind, Tmp, UnOp};
use crate::row;

// ----- decoding helpers -----

fn unpredictable_if(c: bool) -> Res {
    if c {
        Err(Fail::Unpredictable)
    } else {
        Ok(())
    }
}

fn undefined_if(c: bool) -> Res {
    if c {
        Err(Fail::Undefined)
    } else {
        Ok(())
    }
}

fn bit(insn: u32, n: u32) -> bool {
    (insn >> n) & 1 != 0
}

fn in_list(regs: u16, r: u8) -> bool {
    regs >> r & 1 != 0
}

/// Whether a write to the PC is allowed here: outside an IT block or as its last instruction.
fn pc_write_ok(t: &Translator) -> Res {
    unpredictable_if(t.in_it_block() && !t.last_in_it_block())
}

// ----- addressing -----

/// The offset of a single load/store.
#[derive(Clone, Copy, Debug)]
enum Offset {
    Imm(u32),
    /// Rm shifted by an immediate amount (DecodeImmShift already applied).
    Reg {
        m: u8,
        kind: ShiftKind,
        amount: u32,
    },
}

/// Addressing of a single load/store, in the Arm ARM's terms (index, add, wback).
#[derive(Clone, Copy, Debug)]
struct Addr {
    n: u8,
    off: Offset,
    index: bool,
    add: bool,
    wback: bool,
}

impl Addr {
    /// The ARM P/U/W forms: P = 0 is post-indexed and always writes back.
    fn puw(n: u8, off: Offset, p: bool, u: bool, w: bool) -> Addr {
        Addr { n, off, index: p, add: u, wback: !p || w }
    }
    /// Offset addressing [Rn, +off] without writeback.
    fn plain(n: u8, off: Offset) -> Addr {
        Addr { n, off, index: true, add: true, wback: false }
    }
}

/// Rm shifted by an immediate amount (Shift(R[m], type, n, APSR.C)).
fn shifted_reg(t: &mut Translator, m: u8, kind: ShiftKind, amount: u32) -> Tmp {
    let v = t.reg(m);
    match kind {
        ShiftKind::Lsl if amount == 0 => v,
        ShiftKind::Lsl => t.bini(BinOp::Lsl, v, amount),
        ShiftKind::Lsr => t.bini(BinOp::Lsr, v, amount),
        ShiftKind::Asr => t.bini(BinOp::Asr, v, amount),
        ShiftKind::Ror => t.bini(BinOp::Ror, v, amount),
        ShiftKind::Rrx => {
            let c = t.flag(Flag::C);
            let one = t.konst(1);
            t.shift_c(ShiftKind::Rrx, v, one, c).0
        }
    }
}

/// (address, offset_addr). A base of r15 is Align(PC, 4) (literal addressing).
fn address(t: &mut Translator, a: Addr) -> (Tmp, Tmp) {
    let base = if a.n == 15 { t.pc_aligned() } else { t.reg(a.n) };
    let off = match a.off {
        Offset::Imm(0) => return (base, base),
        Offset::Imm(v) => t.konst(v),
        Offset::Reg { m, kind, amount } => shifted_reg(t, m, kind, amount),
    };
    let oa = t.bin(if a.add { BinOp::Add } else { BinOp::Sub }, base, off);
    (if a.index { oa } else { base }, oa)
}

// ----- semantics -----

/// LDR/LDRB/LDRH/LDRSB/LDRSH and the unprivileged forms (`user`). Rt = 15 is LoadWritePC.
fn load(t: &mut Translator, rt: u8, a: Addr, size: MemSize, user: bool) -> Res {
    let (addr, oa) = address(t, a);
    let v = t.load_ex(addr, size, user, false);
    if a.wback {
        t.set_reg(a.n, oa);
    }
    if rt == 15 {
        t.load_write_pc(v);
    } else {
        t.set_reg(rt, v);
    }
    Ok(())
}

/// STR/STRB/STRH and the unprivileged forms. Rt = 15 stores the PC operand (PC + 8 in ARM).
fn store(t: &mut Translator, rt: u8, a: Addr, size: MemSize, user: bool) -> Res {
    let v = t.reg(rt);
    let (addr, oa) = address(t, a);
    t.store_ex(addr, v, size, user, false);
    if a.wback {
        t.set_reg(a.n, oa);
    }
    Ok(())
}

/// LDRD: two word-aligned word loads.
fn load_dual(t: &mut Translator, rt: u8, rt2: u8, a: Addr) -> Res {
    let (addr, oa) = address(t, a);
    let addr2 = t.bini(BinOp::Add, addr, 4);
    let v1 = t.load_ex(addr, MemSize::U32, false, true);
    let v2 = t.load_ex(addr2, MemSize::U32, false, true);
    t.set_reg(rt, v1);
    t.set_reg(rt2, v2);
    if a.wback {
        t.set_reg(a.n, oa);
    }
    Ok(())
}

/// STRD: two word-aligned word stores.
fn store_dual(t: &mut Translator, rt: u8, rt2: u8, a: Addr) -> Res {
    let v1 = t.reg(rt);
    let v2 = t.reg(rt2);
    let (addr, oa) = address(t, a);
    let addr2 = t.bini(BinOp::Add, addr, 4);
    t.store_ex(addr, v1, MemSize::U32, false, true);
    t.store_ex(addr2, v2, MemSize::U32, false, true);
    if a.wback {
        t.set_reg(a.n, oa);
    }
    Ok(())
}

/// Addressing of LDM/STM: increment (U) / before (P).
#[derive(Clone, Copy, Debug)]
struct Multi {
    n: u8,
    regs: u16,
    inc: bool,
    before: bool,
    wback: bool,
}

impl Multi {
    /// (the word addresses in register order, the base after writeback).
    fn addresses(self, t: &mut Translator) -> (Vec<(u8, Tmp)>, Tmp) {
        let count = self.regs.count_ones();
        let base = t.reg(self.n);
        let start = match (self.inc, self.before) {
            (true, false) => 0,
            (true, true) => 4,
            (false, false) => 4u32.wrapping_sub(4 * count),
            (false, true) => 0u32.wrapping_sub(4 * count),
        };
        let first = if start == 0 { base } else { t.bini(BinOp::Add, base, start) };
        let mut addrs = Vec::with_capacity(count as usize);
        for (k, r) in (0..16u8).filter(|&r| in_list(self.regs, r)).enumerate() {
            let a = if k == 0 { first } else { t.bini(BinOp::Add, first, 4 * k as u32) };
            addrs.push((r, a));
        }
        let delta = if self.inc { 4 * count } else { 0u32.wrapping_sub(4 * count) };
        let wb = if self.wback { t.bini(BinOp::Add, base, delta) } else { base };
        (addrs, wb)
    }
}

/// Loads every register of the list into temporaries (all accesses first).
fn load_words(t: &mut Translator, addrs: &[(u8, Tmp)]) -> Vec<(u8, Tmp)> {
    addrs.iter().map(|&(r, a)| (r, t.load_ex(a, MemSize::U32, false, true))).collect()
}

/// LDM (all forms of the current mode's registers); the PC last, as LoadWritePC.
fn load_multiple(t: &mut Translator, m: Multi) -> Res {
    let (addrs, wb) = m.addresses(t);
    let vals = load_words(t, &addrs);
    let mut pc = None;
    for (r, v) in vals {
        if r == 15 {
            pc = Some(v);
        } else {
            t.set_reg(r, v);
        }
    }
    if m.wback {
        t.set_reg(m.n, wb);
    }
    if let Some(v) = pc {
        t.load_write_pc(v);
    }
    Ok(())
}

/// STM. Registers are read before anything is stored, so a base register in the
/// list stores its original value (the architected value when it is the lowest
/// register, and an allowed choice for the UNKNOWN value otherwise).
fn store_multiple(t: &mut Translator, m: Multi) -> Res {
    let vals: Vec<Tmp> = (0..16u8).filter(|&r| in_list(m.regs, r)).map(|r| t.reg(r)).collect();
    let (addrs, wb) = m.addresses(t);
    for (&(_, a), &v) in addrs.iter().zip(&vals) {
        t.store_ex(a, v, MemSize::U32, false, true);
    }
    if m.wback {
        t.set_reg(m.n, wb);
    }
    Ok(())
}

extern "C" fn usr_reg_helper(cpu: &mut CpuState, r: u64, _: u64, _: u64) -> u64 {
    cpu.reg_in_mode(Mode::Usr, r as usize) as u64
}

extern "C" fn set_usr_reg_helper(cpu: &mut CpuState, r: u64, v: u64, _: u64) -> u64 {
    cpu.set_reg_in_mode(Mode::Usr, r as usize, v as u32);
    0
}

/// Reads r0–r14 of User mode (STM (user registers)).
pub static H_USR_REG: Helper = Helper { name: "usr_reg", f: usr_reg_helper, may_raise: false };
/// Writes r0–r14 of User mode (LDM (user registers)).
pub static H_SET_USR_REG: Helper = Helper { name: "set_usr_reg", f: set_usr_reg_helper, may_raise: false };

/// STM (user registers), B9.3.15: stores the User mode registers.
fn store_multiple_user(t: &mut Translator, m: Multi) -> Res {
    let z = t.konst(0);
    let vals: Vec<Tmp> = (0..16u8)
        .filter(|&r| in_list(m.regs, r))
        .map(|r| {
            if r == 15 {
                t.reg(15)
            } else {
                let rr = t.konst(r as u32);
                t.call(&H_USR_REG, rr, z, z)
            }
        })
        .collect();
    let (addrs, _) = m.addresses(t);
    for (&(_, a), &v) in addrs.iter().zip(&vals) {
        t.store_ex(a, v, MemSize::U32, false, true);
    }
    Ok(())
}

/// LDM (user registers), B9.3.6: loads the User mode registers (no PC, no writeback).
fn load_multiple_user(t: &mut Translator, m: Multi) -> Res {
    let (addrs, _) = m.addresses(t);
    let vals = load_words(t, &addrs);
    let z = t.konst(0);
    for (r, v) in vals {
        let rr = t.konst(r as u32);
        t.call(&H_SET_USR_REG, rr, v, z);
    }
    Ok(())
}

/// LDM (exception return), B9.3.5: loads the current mode's registers, writes back,
/// then CPSR <- SPSR and branches to the loaded PC (ends the block).
fn load_multiple_exception_return(t: &mut Translator, m: Multi) -> Res {
    let (addrs, wb) = m.addresses(t);
    let vals = load_words(t, &addrs);
    let mut pc = None;
    for (r, v) in vals {
        if r == 15 {
            pc = Some(v);
        } else {
            t.set_reg(r, v);
        }
    }
    if m.wback {
        t.set_reg(m.n, wb);
    }
    let pc = pc.expect("exception-return LDM loads the PC");
    exception_return_exit(t, pc);
    Ok(())
}

/// CPSR <- SPSR, PC <- `value` for the restored state, end of block. The helper is
/// the data-processing class's (SUBS PC, LR): one semantics for every exception
/// return. It restores ITSTATE itself, so no SetIt follows.
fn exception_return_exit(t: &mut Translator, value: Tmp) {
    let z = t.konst(0);
    let pc = t.call(&super::dp::H_EXCEPTION_RETURN, value, z, z);
    t.push(Op::WritePc { s: pc, kind: crate::ir::PcWrite::Interwork });
    t.push(Op::Exit { reason: crate::cpu::ExitReason::SysChange });
    t.ended = true;
}

/// LDREX/LDREXB/LDREXH: address R[n] + imm.
fn load_exclusive(t: &mut Translator, rt: u8, n: u8, imm: u32, size: MemSize) -> Res {
    let (addr, _) = address(t, Addr::plain(n, Offset::Imm(imm)));
    let v = t.load_excl(addr, size);
    t.set_reg(rt, v);
    Ok(())
}

/// STREX/STREXB/STREXH: Rd <- 0 if stored, 1 if not.
fn store_exclusive(t: &mut Translator, rd: u8, rt: u8, n: u8, imm: u32, size: MemSize) -> Res {
    let v = t.reg(rt);
    let (addr, _) = address(t, Addr::plain(n, Offset::Imm(imm)));
    let st = t.store_excl(addr, v, size);
    t.set_reg(rd, st);
    Ok(())
}

/// LDREXD: one doubleword-aligned exclusive access; Rt gets the word at the lower address.
fn load_exclusive_dual(t: &mut Translator, rt: u8, rt2: u8, n: u8) -> Res {
    let addr = t.reg(n);
    let v = t.load_excl(addr, MemSize::U64);
    let lo = t.un(UnOp::Lo, v);
    let hi = t.un(UnOp::Hi, v);
    t.set_reg(rt, lo);
    t.set_reg(rt2, hi);
    Ok(())
}

/// STREXD.
fn store_exclusive_dual(t: &mut Translator, rd: u8, rt: u8, rt2: u8, n: u8) -> Res {
    let lo = t.reg(rt);
    let hi = t.reg(rt2);
    let v = t.bin(BinOp::Pair, hi, lo);
    let addr = t.reg(n);
    let st = t.store_excl(addr, v, MemSize::U64);
    t.set_reg(rd, st);
    Ok(())
}

fn clrex(t: &mut Translator, _: Fields) -> Res {
    t.push(Op::ClearExcl);
    Ok(())
}

/// PLD, PLDW, PLI and the unallocated memory hints: no-ops (no caches to warm).
fn hint(_: &mut Translator, _: Fields) -> Res {
    Ok(())
}

// ----- ARM -----

/// LDR/STR/LDRB/STRB (immediate, literal, register), A8.8.
fn arm_word_byte(t: &mut Translator, f: Fields, off: Offset) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    let byte = bit(f.insn, 22);
    let a = Addr::puw(n, off, f.bit('P'), f.bit('U'), f.bit('W'));
    if let Offset::Reg { m, .. } = off {
        unpredictable_if(m == 15)?;
    }
    // Also covers the literal forms, which never write back.
    unpredictable_if(a.wback && (n == 15 || n == rt))?;
    unpredictable_if(byte && rt == 15)?;
    let size = if byte { MemSize::U8 } else { MemSize::U32 };
    if bit(f.insn, 20) {
        load(t, rt, a, size, false)
    } else {
        store(t, rt, a, size, false)
    }
}

fn arm_imm12(f: &Fields) -> Offset {
    Offset::Imm(f.get('i'))
}

fn arm_shifted(f: &Fields) -> Offset {
    let (kind, amount) = decode_imm_shift(f.get('y'), f.get('i'));
    Offset::Reg { m: f.reg('m'), kind, amount }
}

fn arm_ldst_imm(t: &mut Translator, f: Fields) -> Res {
    arm_word_byte(t, f, arm_imm12(&f))
}

fn arm_ldst_reg(t: &mut Translator, f: Fields) -> Res {
    arm_word_byte(t, f, arm_shifted(&f))
}

/// LDRT/STRT/LDRBT/STRBT: post-indexed, unprivileged.
fn arm_word_byte_t(t: &mut Translator, f: Fields, off: Offset) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    let (byte, ld) = (bit(f.insn, 22), bit(f.insn, 20));
    unpredictable_if(n == 15 || n == rt || ((byte || ld) && rt == 15))?;
    if let Offset::Reg { m, .. } = off {
        unpredictable_if(m == 15)?;
    }
    let a = Addr { n, off, index: false, add: f.bit('U'), wback: true };
    let size = if byte { MemSize::U8 } else { MemSize::U32 };
    if ld {
        load(t, rt, a, size, true)
    } else {
        store(t, rt, a, size, true)
    }
}

fn arm_ldst_t_imm(t: &mut Translator, f: Fields) -> Res {
    arm_word_byte_t(t, f, arm_imm12(&f))
}

fn arm_ldst_t_reg(t: &mut Translator, f: Fields) -> Res {
    arm_word_byte_t(t, f, arm_shifted(&f))
}

/// Size of an extra load/store from op2 (bits 6:5) and L (bit 20).
fn arm_extra_size(insn: u32) -> (MemSize, bool) {
    let ld = bit(insn, 20);
    let size = match (insn >> 5) & 3 {
        1 => MemSize::U16,
        2 => MemSize::S8,
        _ => MemSize::S16,
    };
    (size, ld)
}

/// STRH/LDRH/LDRSB/LDRSH (immediate, literal, register), A5.2.8.
fn arm_half(t: &mut Translator, f: Fields, off: Offset) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    let a = Addr::puw(n, off, f.bit('P'), f.bit('U'), f.bit('W'));
    if let Offset::Reg { m, .. } = off {
        unpredictable_if(m == 15)?;
    }
    unpredictable_if(rt == 15 || (a.wback && (n == 15 || n == rt)))?;
    let (size, ld) = arm_extra_size(f.insn);
    if ld {
        load(t, rt, a, size, false)
    } else {
        store(t, rt, a, size, false)
    }
}

fn arm_half_imm(t: &mut Translator, f: Fields) -> Res {
    arm_half(t, f, Offset::Imm(f.get('i')))
}

fn arm_half_reg(t: &mut Translator, f: Fields) -> Res {
    arm_half(t, f, Offset::Reg { m: f.reg('m'), kind: ShiftKind::Lsl, amount: 0 })
}

/// STRHT/LDRHT/LDRSBT/LDRSHT: post-indexed, unprivileged.
fn arm_half_t(t: &mut Translator, f: Fields, off: Offset) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    unpredictable_if(rt == 15 || n == 15 || n == rt)?;
    if let Offset::Reg { m, .. } = off {
        unpredictable_if(m == 15)?;
    }
    let a = Addr { n, off, index: false, add: f.bit('U'), wback: true };
    let (size, ld) = arm_extra_size(f.insn);
    if ld {
        load(t, rt, a, size, true)
    } else {
        store(t, rt, a, size, true)
    }
}

fn arm_half_t_imm(t: &mut Translator, f: Fields) -> Res {
    arm_half_t(t, f, Offset::Imm(f.get('i')))
}

fn arm_half_t_reg(t: &mut Translator, f: Fields) -> Res {
    arm_half_t(t, f, Offset::Reg { m: f.reg('m'), kind: ShiftKind::Lsl, amount: 0 })
}

/// LDRD/STRD (immediate, literal, register): Rt even, Rt2 = Rt + 1.
fn arm_dual(t: &mut Translator, f: Fields, off: Offset) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    let (p, w) = (f.bit('P'), f.bit('W'));
    let rt2 = rt + 1;
    // op2 = 10 is LDRD, 11 is STRD (both with L = 0).
    let ld = (f.insn >> 5) & 3 == 2;
    unpredictable_if(rt & 1 != 0 || (!p && w) || rt2 == 15)?;
    let a = Addr::puw(n, off, p, f.bit('U'), w);
    unpredictable_if(a.wback && (n == 15 || n == rt || n == rt2))?;
    if let Offset::Reg { m, .. } = off {
        unpredictable_if(m == 15 || (ld && (m == rt || m == rt2)))?;
    }
    if ld {
        load_dual(t, rt, rt2, a)
    } else {
        store_dual(t, rt, rt2, a)
    }
}

fn arm_dual_imm(t: &mut Translator, f: Fields) -> Res {
    arm_dual(t, f, Offset::Imm(f.get('i')))
}

fn arm_dual_reg(t: &mut Translator, f: Fields) -> Res {
    arm_dual(t, f, Offset::Reg { m: f.reg('m'), kind: ShiftKind::Lsl, amount: 0 })
}

/// Size of an ARM exclusive from bits 22:21.
fn arm_excl_size(insn: u32) -> MemSize {
    match (insn >> 21) & 3 {
        0 => MemSize::U32,
        1 => MemSize::U64,
        2 => MemSize::U8,
        _ => MemSize::U16,
    }
}

fn arm_ldrex(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    let size = arm_excl_size(f.insn);
    if size == MemSize::U64 {
        unpredictable_if(rt & 1 != 0 || rt == 14 || n == 15)?;
        load_exclusive_dual(t, rt, rt + 1, n)
    } else {
        unpredictable_if(rt == 15 || n == 15)?;
        load_exclusive(t, rt, n, 0, size)
    }
}

fn arm_strex(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, rd) = (f.reg('n'), f.reg('t'), f.reg('d'));
    let size = arm_excl_size(f.insn);
    unpredictable_if(rd == 15 || n == 15 || rd == n || rd == rt)?;
    if size == MemSize::U64 {
        unpredictable_if(rt & 1 != 0 || rt == 14 || rd == rt + 1)?;
        store_exclusive_dual(t, rd, rt, rt + 1, n)
    } else {
        unpredictable_if(rt == 15)?;
        store_exclusive(t, rd, rt, n, 0, size)
    }
}

fn arm_multi(f: &Fields, wback: bool) -> Multi {
    Multi { n: f.reg('n'), regs: f.get('r') as u16, inc: bit(f.insn, 23), before: bit(f.insn, 24), wback }
}

/// LDM/STM (IA, IB, DA, DB; PUSH and POP A1 are STMDB/LDMIA SP!).
fn arm_ldm_stm(t: &mut Translator, f: Fields) -> Res {
    let m = arm_multi(&f, f.bit('W'));
    unpredictable_if(m.n == 15 || m.regs == 0)?;
    if bit(f.insn, 20) {
        unpredictable_if(m.wback && in_list(m.regs, m.n))?;
        load_multiple(t, m)
    } else {
        store_multiple(t, m)
    }
}

/// STM (user registers).
fn arm_stm_user(t: &mut Translator, f: Fields) -> Res {
    let m = arm_multi(&f, false);
    unpredictable_if(m.n == 15 || m.regs == 0 || f.bit('W'))?;
    store_multiple_user(t, m)
}

/// LDM (user registers): the list has no PC.
fn arm_ldm_user(t: &mut Translator, f: Fields) -> Res {
    let m = arm_multi(&f, false);
    unpredictable_if(m.n == 15 || m.regs == 0 || f.bit('W'))?;
    load_multiple_user(t, m)
}

/// LDM (exception return): the list has the PC.
fn arm_ldm_exception_return(t: &mut Translator, f: Fields) -> Res {
    let m = arm_multi(&f, f.bit('W'));
    let m = Multi { regs: m.regs | 0x8000, ..m };
    unpredictable_if(m.n == 15 || (m.wback && in_list(m.regs, m.n)))?;
    load_multiple_exception_return(t, m)
}

pub(crate) const ARM: &[Row] = &[
    // A5.3 load/store word and unsigned byte
    row!("STR (immediate) A1", "cccc010PU0W0nnnnttttiiiiiiiiiiii", arm_ldst_imm),
    row!("LDR (immediate, literal) A1", "cccc010PU0W1nnnnttttiiiiiiiiiiii", arm_ldst_imm),
    row!("STRB (immediate) A1", "cccc010PU1W0nnnnttttiiiiiiiiiiii", arm_ldst_imm),
    row!("LDRB (immediate, literal) A1", "cccc010PU1W1nnnnttttiiiiiiiiiiii", arm_ldst_imm),
    row!("STR (register) A1", "cccc011PU0W0nnnnttttiiiiiyy0mmmm", arm_ldst_reg),
    row!("LDR (register) A1", "cccc011PU0W1nnnnttttiiiiiyy0mmmm", arm_ldst_reg),
    row!("STRB (register) A1", "cccc011PU1W0nnnnttttiiiiiyy0mmmm", arm_ldst_reg),
    row!("LDRB (register) A1", "cccc011PU1W1nnnnttttiiiiiyy0mmmm", arm_ldst_reg),
    row!("STRT A1", "cccc0100U010nnnnttttiiiiiiiiiiii", arm_ldst_t_imm),
    row!("LDRT A1", "cccc0100U011nnnnttttiiiiiiiiiiii", arm_ldst_t_imm),
    row!("STRBT A1", "cccc0100U110nnnnttttiiiiiiiiiiii", arm_ldst_t_imm),
    row!("LDRBT A1", "cccc0100U111nnnnttttiiiiiiiiiiii", arm_ldst_t_imm),
    row!("STRT A2", "cccc0110U010nnnnttttiiiiiyy0mmmm", arm_ldst_t_reg),
    row!("LDRT A2", "cccc0110U011nnnnttttiiiiiyy0mmmm", arm_ldst_t_reg),
    row!("STRBT A2", "cccc0110U110nnnnttttiiiiiyy0mmmm", arm_ldst_t_reg),
    row!("LDRBT A2", "cccc0110U111nnnnttttiiiiiyy0mmmm", arm_ldst_t_reg),
    // A5.2.8 extra load/store
    row!("STRH (register) A1", "cccc000PU0W0nnnnttttzzzz1011mmmm", arm_half_reg),
    row!("LDRH (register) A1", "cccc000PU0W1nnnnttttzzzz1011mmmm", arm_half_reg),
    row!("LDRSB (register) A1", "cccc000PU0W1nnnnttttzzzz1101mmmm", arm_half_reg),
    row!("LDRSH (register) A1", "cccc000PU0W1nnnnttttzzzz1111mmmm", arm_half_reg),
    row!("STRH (immediate) A1", "cccc000PU1W0nnnnttttiiii1011iiii", arm_half_imm),
    row!("LDRH (immediate, literal) A1", "cccc000PU1W1nnnnttttiiii1011iiii", arm_half_imm),
    row!("LDRSB (immediate, literal) A1", "cccc000PU1W1nnnnttttiiii1101iiii", arm_half_imm),
    row!("LDRSH (immediate, literal) A1", "cccc000PU1W1nnnnttttiiii1111iiii", arm_half_imm),
    row!("LDRD (register) A1", "cccc000PU0W0nnnnttttzzzz1101mmmm", arm_dual_reg),
    row!("STRD (register) A1", "cccc000PU0W0nnnnttttzzzz1111mmmm", arm_dual_reg),
    row!("LDRD (immediate, literal) A1", "cccc000PU1W0nnnnttttiiii1101iiii", arm_dual_imm),
    row!("STRD (immediate) A1", "cccc000PU1W0nnnnttttiiii1111iiii", arm_dual_imm),
    row!("STRHT A2", "cccc0000U010nnnnttttzzzz1011mmmm", arm_half_t_reg),
    row!("LDRHT A2", "cccc0000U011nnnnttttzzzz1011mmmm", arm_half_t_reg),
    row!("LDRSBT A2", "cccc0000U011nnnnttttzzzz1101mmmm", arm_half_t_reg),
    row!("LDRSHT A2", "cccc0000U011nnnnttttzzzz1111mmmm", arm_half_t_reg),
    row!("STRHT A1", "cccc0000U110nnnnttttiiii1011iiii", arm_half_t_imm),
    row!("LDRHT A1", "cccc0000U111nnnnttttiiii1011iiii", arm_half_t_imm),
    row!("LDRSBT A1", "cccc0000U111nnnnttttiiii1101iiii", arm_half_t_imm),
    row!("LDRSHT A1", "cccc0000U111nnnnttttiiii1111iiii", arm_half_t_imm),
    // A5.2.10 synchronization primitives
    row!("STREX A1", "cccc00011000nnnnddddoooo1001tttt", arm_strex),
    row!("LDREX A1", "cccc00011001nnnnttttoooo1001oooo", arm_ldrex),
    row!("STREXD A1", "cccc00011010nnnnddddoooo1001tttt", arm_strex),
    row!("LDREXD A1", "cccc00011011nnnnttttoooo1001oooo", arm_ldrex),
    row!("STREXB A1", "cccc00011100nnnnddddoooo1001tttt", arm_strex),
    row!("LDREXB A1", "cccc00011101nnnnttttoooo1001oooo", arm_ldrex),
    row!("STREXH A1", "cccc00011110nnnnddddoooo1001tttt", arm_strex),
    row!("LDREXH A1", "cccc00011111nnnnttttoooo1001oooo", arm_ldrex),
    row!("CLREX A1", "111101010111oooooooozzzz0001oooo", clrex),
    // A5.5 block data transfer
    row!("STMDA A1", "cccc100000W0nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("LDMDA A1", "cccc100000W1nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("STM (STMIA, STMEA) A1", "cccc100010W0nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("LDM (LDMIA, LDMFD, POP) A1", "cccc100010W1nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("STMDB (STMFD, PUSH) A1", "cccc100100W0nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("LDMDB A1", "cccc100100W1nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("STMIB A1", "cccc100110W0nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("LDMIB A1", "cccc100110W1nnnnrrrrrrrrrrrrrrrr", arm_ldm_stm),
    row!("STM (user registers) A1", "cccc100PU1W0nnnnrrrrrrrrrrrrrrrr", arm_stm_user),
    row!("LDM (user registers) A1", "cccc100PU1W1nnnn0rrrrrrrrrrrrrrr", arm_ldm_user),
    row!("LDM (exception return) A1", "cccc100PU1W1nnnn1rrrrrrrrrrrrrrr", arm_ldm_exception_return),
    // A5.7.1 memory hints
    row!("PLD, PLDW (immediate, literal) A1", "11110101UR01nnnnooooiiiiiiiiiiii", hint),
    row!("PLD, PLDW (register) A1", "11110111UR01nnnnooooiiiiiyy0mmmm", hint),
    row!("PLI (immediate, literal) A1", "11110100U101nnnnooooiiiiiiiiiiii", hint),
    row!("PLI (register) A1", "11110110U101nnnnooooiiiiiyy0mmmm", hint),
    row!("Unallocated memory hint A1", "11110100U001nnnnooooiiiiiiiiiiii", hint),
    row!("Unallocated memory hint A1", "11110110U001nnnnooooiiiiiyy0mmmm", hint),
];

// ----- 32-bit Thumb -----

/// Size of a T32 single load/store: S = bit 24, size = bits 22:21.
fn t32_size(insn: u32) -> MemSize {
    match (bit(insn, 24), (insn >> 21) & 3) {
        (false, 0) => MemSize::U8,
        (false, 1) => MemSize::U16,
        (true, 0) => MemSize::S8,
        (true, 1) => MemSize::S16,
        _ => MemSize::U32,
    }
}

/// Rt restrictions of T32 loads (byte/halfword loads to the PC are hints, decoded elsewhere).
fn t32_load_rt(t: &Translator, size: MemSize, rt: u8) -> Res {
    if size == MemSize::U32 {
        if rt == 15 {
            pc_write_ok(t)?;
        }
        Ok(())
    } else {
        unpredictable_if(rt == 13 || rt == 15)
    }
}

fn t32_store_rt(size: MemSize, rt: u8) -> Res {
    unpredictable_if(rt == 15 || (size != MemSize::U32 && rt == 13))
}

/// LDR/LDRB/LDRH/LDRSB/LDRSH (literal): [Align(PC, 4) +/- imm12]. Also reached from
/// the other forms when Rn = PC (their low 12 bits are then imm12, U = 0).
fn t32_load_literal_insn(t: &mut Translator, insn: u32) -> Res {
    let rt = ((insn >> 12) & 15) as u8;
    let size = t32_size(insn);
    t32_load_rt(t, size, rt)?;
    let a = Addr { n: 15, off: Offset::Imm(insn & 0xfff), index: true, add: bit(insn, 23), wback: false };
    load(t, rt, a, size, false)
}

fn t32_ld_literal(t: &mut Translator, f: Fields) -> Res {
    t32_load_literal_insn(t, f.insn)
}

fn t32_ld_imm12(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    if n == 15 {
        return t32_load_literal_insn(t, f.insn);
    }
    let size = t32_size(f.insn);
    t32_load_rt(t, size, rt)?;
    load(t, rt, Addr::plain(n, Offset::Imm(f.get('i'))), size, false)
}

fn t32_ld_imm8(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    if n == 15 {
        return t32_load_literal_insn(t, f.insn);
    }
    let (p, w) = (f.bit('P'), f.bit('W'));
    undefined_if(!p && !w)?;
    let size = t32_size(f.insn);
    t32_load_rt(t, size, rt)?;
    unpredictable_if(w && n == rt)?;
    load(t, rt, Addr::puw(n, Offset::Imm(f.get('i')), p, f.bit('U'), w), size, false)
}

fn t32_ld_t(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    if n == 15 {
        return t32_load_literal_insn(t, f.insn);
    }
    unpredictable_if(rt == 13 || rt == 15)?;
    load(t, rt, Addr::plain(n, Offset::Imm(f.get('i'))), t32_size(f.insn), true)
}

fn t32_ld_reg(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, m) = (f.reg('n'), f.reg('t'), f.reg('m'));
    if n == 15 {
        return t32_load_literal_insn(t, f.insn);
    }
    unpredictable_if(m == 13 || m == 15)?;
    let size = t32_size(f.insn);
    t32_load_rt(t, size, rt)?;
    let off = Offset::Reg { m, kind: ShiftKind::Lsl, amount: f.get('i') };
    load(t, rt, Addr::plain(n, off), size, false)
}

fn t32_st_imm12(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    undefined_if(n == 15)?;
    let size = t32_size(f.insn);
    t32_store_rt(size, rt)?;
    store(t, rt, Addr::plain(n, Offset::Imm(f.get('i'))), size, false)
}

fn t32_st_imm8(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    let (p, w) = (f.bit('P'), f.bit('W'));
    undefined_if(n == 15 || (!p && !w))?;
    let size = t32_size(f.insn);
    t32_store_rt(size, rt)?;
    unpredictable_if(w && n == rt)?;
    store(t, rt, Addr::puw(n, Offset::Imm(f.get('i')), p, f.bit('U'), w), size, false)
}

fn t32_st_t(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    undefined_if(n == 15)?;
    unpredictable_if(rt == 13 || rt == 15)?;
    store(t, rt, Addr::plain(n, Offset::Imm(f.get('i'))), t32_size(f.insn), true)
}

fn t32_st_reg(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, m) = (f.reg('n'), f.reg('t'), f.reg('m'));
    undefined_if(n == 15)?;
    unpredictable_if(m == 13 || m == 15)?;
    let size = t32_size(f.insn);
    t32_store_rt(size, rt)?;
    let off = Offset::Reg { m, kind: ShiftKind::Lsl, amount: f.get('i') };
    store(t, rt, Addr::plain(n, off), size, false)
}

/// LDRD/STRD (immediate, literal) T1: [Rn, #+/-imm8*4], Rt and Rt2 free.
fn t32_dual(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, rt2) = (f.reg('n'), f.reg('t'), f.reg('s'));
    let (p, w) = (f.bit('P'), f.bit('W'));
    // P = W = 0 is the exclusive/table-branch space.
    undefined_if(!p && !w)?;
    let ld = bit(f.insn, 20);
    let bad = |r: u8| r == 13 || r == 15;
    unpredictable_if(bad(rt) || bad(rt2) || (w && (n == rt || n == rt2)))?;
    let a = Addr::puw(n, Offset::Imm(f.get('i') << 2), p, f.bit('U'), w);
    if ld {
        unpredictable_if(rt == rt2 || (n == 15 && w))?;
        load_dual(t, rt, rt2, a)
    } else {
        unpredictable_if(n == 15)?;
        store_dual(t, rt, rt2, a)
    }
}

fn t32_ldrex(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    unpredictable_if(rt == 13 || rt == 15 || n == 15)?;
    load_exclusive(t, rt, n, f.get('i') << 2, MemSize::U32)
}

fn t32_strex(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, rd) = (f.reg('n'), f.reg('t'), f.reg('d'));
    let bad = |r: u8| r == 13 || r == 15;
    unpredictable_if(bad(rd) || bad(rt) || n == 15 || rd == n || rd == rt)?;
    store_exclusive(t, rd, rt, n, f.get('i') << 2, MemSize::U32)
}

/// LDREXB/LDREXH (op3 = bits 7:4).
fn t32_ldrex_bh(t: &mut Translator, f: Fields) -> Res {
    let (n, rt) = (f.reg('n'), f.reg('t'));
    unpredictable_if(rt == 13 || rt == 15 || n == 15)?;
    let size = if bit(f.insn, 4) { MemSize::U16 } else { MemSize::U8 };
    load_exclusive(t, rt, n, 0, size)
}

fn t32_strex_bh(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, rd) = (f.reg('n'), f.reg('t'), f.reg('d'));
    let bad = |r: u8| r == 13 || r == 15;
    unpredictable_if(bad(rd) || bad(rt) || n == 15 || rd == n || rd == rt)?;
    let size = if bit(f.insn, 4) { MemSize::U16 } else { MemSize::U8 };
    store_exclusive(t, rd, rt, n, 0, size)
}

fn t32_ldrexd(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, rt2) = (f.reg('n'), f.reg('t'), f.reg('s'));
    let bad = |r: u8| r == 13 || r == 15;
    unpredictable_if(bad(rt) || bad(rt2) || rt == rt2 || n == 15)?;
    load_exclusive_dual(t, rt, rt2, n)
}

fn t32_strexd(t: &mut Translator, f: Fields) -> Res {
    let (n, rt, rt2, rd) = (f.reg('n'), f.reg('t'), f.reg('s'), f.reg('d'));
    let bad = |r: u8| r == 13 || r == 15;
    unpredictable_if(bad(rd) || bad(rt) || bad(rt2) || n == 15)?;
    unpredictable_if(rd == n || rd == rt || rd == rt2)?;
    store_exclusive_dual(t, rd, rt, rt2, n)
}

/// LDM/LDMDB/STM/STMDB (.W), PUSH.W/POP.W with several registers. Bit 13 of the
/// list (and bit 15 for stores) is (0): SP (PC) cannot be in the list; a 1 there
/// is UNPREDICTABLE (QEMU would transfer the register).
fn t32_ldm_stm(t: &mut Translator, f: Fields) -> Res {
    let ld = bit(f.insn, 20);
    let inc = bit(f.insn, 23);
    let regs = f.insn as u16;
    unpredictable_if(regs & if ld { 0x2000 } else { 0xa000 } != 0)?;
    let m = Multi { n: f.reg('n'), regs, inc, before: !inc, wback: f.bit('W') };
    unpredictable_if(m.n == 15 || regs.count_ones() < 2 || (m.wback && in_list(regs, m.n)))?;
    if ld {
        unpredictable_if(in_list(regs, 15) && in_list(regs, 14))?;
        if in_list(regs, 15) {
            pc_write_ok(t)?;
        }
        load_multiple(t, m)
    } else {
        store_multiple(t, m)
    }
}

pub(crate) const T32: &[Row] = &[
    // A6.3.10 store single data item
    row!("STRB (immediate) T2", "111110001000nnnnttttiiiiiiiiiiii", t32_st_imm12),
    row!("STRH (immediate) T2", "111110001010nnnnttttiiiiiiiiiiii", t32_st_imm12),
    row!("STR (immediate) T3", "111110001100nnnnttttiiiiiiiiiiii", t32_st_imm12),
    row!("STRB (immediate) T3", "111110000000nnnntttt1PUWiiiiiiii", t32_st_imm8),
    row!("STRH (immediate) T3", "111110000010nnnntttt1PUWiiiiiiii", t32_st_imm8),
    row!("STR (immediate) T4, PUSH T3", "111110000100nnnntttt1PUWiiiiiiii", t32_st_imm8),
    row!("STRBT T1", "111110000000nnnntttt1110iiiiiiii", t32_st_t),
    row!("STRHT T1", "111110000010nnnntttt1110iiiiiiii", t32_st_t),
    row!("STRT T1", "111110000100nnnntttt1110iiiiiiii", t32_st_t),
    row!("STRB (register) T2", "111110000000nnnntttt000000iimmmm", t32_st_reg),
    row!("STRH (register) T2", "111110000010nnnntttt000000iimmmm", t32_st_reg),
    row!("STR (register) T2", "111110000100nnnntttt000000iimmmm", t32_st_reg),
    // A6.3.9 load byte, A6.3.8 load halfword, A6.3.7 load word
    row!("LDRB (immediate) T2", "111110001001nnnnttttiiiiiiiiiiii", t32_ld_imm12),
    row!("LDRH (immediate) T2", "111110001011nnnnttttiiiiiiiiiiii", t32_ld_imm12),
    row!("LDR (immediate) T3", "111110001101nnnnttttiiiiiiiiiiii", t32_ld_imm12),
    row!("LDRSB (immediate) T1", "111110011001nnnnttttiiiiiiiiiiii", t32_ld_imm12),
    row!("LDRSH (immediate) T1", "111110011011nnnnttttiiiiiiiiiiii", t32_ld_imm12),
    row!("LDRB (immediate) T3", "111110000001nnnntttt1PUWiiiiiiii", t32_ld_imm8),
    row!("LDRH (immediate) T3", "111110000011nnnntttt1PUWiiiiiiii", t32_ld_imm8),
    row!("LDR (immediate) T4, POP T3", "111110000101nnnntttt1PUWiiiiiiii", t32_ld_imm8),
    row!("LDRSB (immediate) T2", "111110010001nnnntttt1PUWiiiiiiii", t32_ld_imm8),
    row!("LDRSH (immediate) T2", "111110010011nnnntttt1PUWiiiiiiii", t32_ld_imm8),
    row!("LDRBT T1", "111110000001nnnntttt1110iiiiiiii", t32_ld_t),
    row!("LDRHT T1", "111110000011nnnntttt1110iiiiiiii", t32_ld_t),
    row!("LDRT T1", "111110000101nnnntttt1110iiiiiiii", t32_ld_t),
    row!("LDRSBT T1", "111110010001nnnntttt1110iiiiiiii", t32_ld_t),
    row!("LDRSHT T1", "111110010011nnnntttt1110iiiiiiii", t32_ld_t),
    row!("LDRB (register) T2", "111110000001nnnntttt000000iimmmm", t32_ld_reg),
    row!("LDRH (register) T2", "111110000011nnnntttt000000iimmmm", t32_ld_reg),
    row!("LDR (register) T2", "111110000101nnnntttt000000iimmmm", t32_ld_reg),
    row!("LDRSB (register) T2", "111110010001nnnntttt000000iimmmm", t32_ld_reg),
    row!("LDRSH (register) T2", "111110010011nnnntttt000000iimmmm", t32_ld_reg),
    row!("LDRB (literal) T1", "11111000U0011111ttttiiiiiiiiiiii", t32_ld_literal),
    row!("LDRH (literal) T1", "11111000U0111111ttttiiiiiiiiiiii", t32_ld_literal),
    row!("LDR (literal) T2", "11111000U1011111ttttiiiiiiiiiiii", t32_ld_literal),
    row!("LDRSB (literal) T1", "11111001U0011111ttttiiiiiiiiiiii", t32_ld_literal),
    row!("LDRSH (literal) T1", "11111001U0111111ttttiiiiiiiiiiii", t32_ld_literal),
    // Memory hints: the byte/halfword loads with Rt = PC.
    row!("PLD, PLDW (immediate) T1", "1111100010W1nnnn1111iiiiiiiiiiii", hint),
    row!("PLD, PLDW (immediate) T2", "1111100000W1nnnn11111100iiiiiiii", hint),
    row!("PLD (literal) T1", "11111000U0W111111111iiiiiiiiiiii", hint),
    row!("PLD, PLDW (register) T1", "1111100000W1nnnn1111000000iimmmm", hint),
    row!("PLI (immediate, literal) T1", "111110011001nnnn1111iiiiiiiiiiii", hint),
    row!("PLI (immediate, literal) T2", "111110010001nnnn11111100iiiiiiii", hint),
    row!("PLI (immediate, literal) T3", "11111001U00111111111iiiiiiiiiiii", hint),
    row!("PLI (register) T1", "111110010001nnnn1111000000iimmmm", hint),
    row!("Unallocated memory hint (LDRSH Rt=PC)", "111110011011nnnn1111iiiiiiiiiiii", hint),
    row!("Unallocated memory hint (LDRSH Rt=PC)", "111110010011nnnn11111100iiiiiiii", hint),
    row!("Unallocated memory hint (LDRSH Rt=PC)", "11111001U01111111111iiiiiiiiiiii", hint),
    row!("Unallocated memory hint (LDRSH Rt=PC)", "111110010011nnnn1111000000iimmmm", hint),
    // A6.3.6 load/store dual, exclusive
    row!("STRD (immediate) T1", "1110100PU1W0nnnnttttssssiiiiiiii", t32_dual),
    row!("LDRD (immediate, literal) T1", "1110100PU1W1nnnnttttssssiiiiiiii", t32_dual),
    row!("STREX T1", "111010000100nnnnttttddddiiiiiiii", t32_strex),
    row!("LDREX T1", "111010000101nnnnttttooooiiiiiiii", t32_ldrex),
    row!("STREXB T1", "111010001100nnnnttttoooo0100dddd", t32_strex_bh),
    row!("STREXH T1", "111010001100nnnnttttoooo0101dddd", t32_strex_bh),
    row!("STREXD T1", "111010001100nnnnttttssss0111dddd", t32_strexd),
    row!("LDREXB T1", "111010001101nnnnttttoooo0100oooo", t32_ldrex_bh),
    row!("LDREXH T1", "111010001101nnnnttttoooo0101oooo", t32_ldrex_bh),
    row!("LDREXD T1", "111010001101nnnnttttssss0111oooo", t32_ldrexd),
    row!("CLREX T1", "111100111011oooo10z0oooo0010oooo", clrex),
    // A6.3.5 load/store multiple
    row!("STM (STMIA, STMEA) T2", "1110100010W0nnnnrrrrrrrrrrrrrrrr", t32_ldm_stm),
    row!("LDM (LDMIA, LDMFD) T2, POP T2", "1110100010W1nnnnrrrrrrrrrrrrrrrr", t32_ldm_stm),
    row!("STMDB (STMFD) T1, PUSH T2", "1110100100W0nnnnrrrrrrrrrrrrrrrr", t32_ldm_stm),
    row!("LDMDB (LDMEA) T1", "1110100100W1nnnnrrrrrrrrrrrrrrrr", t32_ldm_stm),
];

// ----- 16-bit Thumb -----

/// STR/STRH/STRB/LDRSB/LDR/LDRH/LDRB/LDRSH (register) T1: opB = bits 11:9.
fn t16_reg(t: &mut Translator, f: Fields) -> Res {
    let a = Addr::plain(f.reg('n'), Offset::Reg { m: f.reg('m'), kind: ShiftKind::Lsl, amount: 0 });
    let rt = f.reg('t');
    match (f.insn >> 9) & 7 {
        0 => store(t, rt, a, MemSize::U32, false),
        1 => store(t, rt, a, MemSize::U16, false),
        2 => store(t, rt, a, MemSize::U8, false),
        3 => load(t, rt, a, MemSize::S8, false),
        4 => load(t, rt, a, MemSize::U32, false),
        5 => load(t, rt, a, MemSize::U16, false),
        6 => load(t, rt, a, MemSize::U8, false),
        _ => load(t, rt, a, MemSize::S16, false),
    }
}

/// STR/LDR/STRB/LDRB (immediate) T1: bits 12 = B, 11 = L; word offsets are imm5 * 4.
fn t16_imm5(t: &mut Translator, f: Fields) -> Res {
    let byte = bit(f.insn, 12);
    let (size, imm) = if byte { (MemSize::U8, f.get('i')) } else { (MemSize::U32, f.get('i') << 2) };
    let a = Addr::plain(f.reg('n'), Offset::Imm(imm));
    if bit(f.insn, 11) {
        load(t, f.reg('t'), a, size, false)
    } else {
        store(t, f.reg('t'), a, size, false)
    }
}

/// STRH/LDRH (immediate) T1: imm5 * 2.
fn t16_half_imm5(t: &mut Translator, f: Fields) -> Res {
    let a = Addr::plain(f.reg('n'), Offset::Imm(f.get('i') << 1));
    if bit(f.insn, 11) {
        load(t, f.reg('t'), a, MemSize::U16, false)
    } else {
        store(t, f.reg('t'), a, MemSize::U16, false)
    }
}

/// STR/LDR (SP-relative) T2, LDR (literal) T1: [SP or Align(PC, 4), #imm8 * 4].
fn t16_imm8(t: &mut Translator, f: Fields) -> Res {
    let n = if f.insn >> 11 == 0b01001 { 15 } else { 13 };
    let a = Addr::plain(n, Offset::Imm(f.get('i') << 2));
    if bit(f.insn, 11) {
        load(t, f.reg('t'), a, MemSize::U32, false)
    } else {
        store(t, f.reg('t'), a, MemSize::U32, false)
    }
}

fn t16_push(t: &mut Translator, f: Fields) -> Res {
    let regs = (f.get('r') as u16) | ((f.get('M') as u16) << 14);
    unpredictable_if(regs == 0)?;
    store_multiple(t, Multi { n: 13, regs, inc: false, before: true, wback: true })
}

fn t16_pop(t: &mut Translator, f: Fields) -> Res {
    let regs = (f.get('r') as u16) | ((f.get('P') as u16) << 15);
    unpredictable_if(regs == 0)?;
    if in_list(regs, 15) {
        pc_write_ok(t)?;
    }
    load_multiple(t, Multi { n: 13, regs, inc: true, before: false, wback: true })
}

/// STM (STMIA) T1: always writes back.
fn t16_stm(t: &mut Translator, f: Fields) -> Res {
    let regs = f.get('r') as u16;
    unpredictable_if(regs == 0)?;
    store_multiple(t, Multi { n: f.reg('n'), regs, inc: true, before: false, wback: true })
}

/// LDM (LDMIA) T1: writes back unless the base is in the list.
fn t16_ldm(t: &mut Translator, f: Fields) -> Res {
    let (n, regs) = (f.reg('n'), f.get('r') as u16);
    unpredictable_if(regs == 0)?;
    load_multiple(t, Multi { n, regs, inc: true, before: false, wback: !in_list(regs, n) })
}

pub(crate) const T16: &[Row] = &[
    row!("STR (register) T1", "0101000mmmnnnttt", t16_reg),
    row!("STRH (register) T1", "0101001mmmnnnttt", t16_reg),
    row!("STRB (register) T1", "0101010mmmnnnttt", t16_reg),
    row!("LDRSB (register) T1", "0101011mmmnnnttt", t16_reg),
    row!("LDR (register) T1", "0101100mmmnnnttt", t16_reg),
    row!("LDRH (register) T1", "0101101mmmnnnttt", t16_reg),
    row!("LDRB (register) T1", "0101110mmmnnnttt", t16_reg),
    row!("LDRSH (register) T1", "0101111mmmnnnttt", t16_reg),
    row!("STR (immediate) T1", "01100iiiiinnnttt", t16_imm5),
    row!("LDR (immediate) T1", "01101iiiiinnnttt", t16_imm5),
    row!("STRB (immediate) T1", "01110iiiiinnnttt", t16_imm5),
    row!("LDRB (immediate) T1", "01111iiiiinnnttt", t16_imm5),
    row!("STRH (immediate) T1", "10000iiiiinnnttt", t16_half_imm5),
    row!("LDRH (immediate) T1", "10001iiiiinnnttt", t16_half_imm5),
    row!("STR (immediate) T2", "10010tttiiiiiiii", t16_imm8),
    row!("LDR (immediate) T2", "10011tttiiiiiiii", t16_imm8),
    row!("LDR (literal) T1", "01001tttiiiiiiii", t16_imm8),
    row!("PUSH T1", "1011010Mrrrrrrrr", t16_push),
    row!("POP T1", "1011110Prrrrrrrr", t16_pop),
    row!("STM (STMIA, STMEA) T1", "11000nnnrrrrrrrr", t16_stm),
    row!("LDM (LDMIA, LDMFD) T1", "11001nnnrrrrrrrr", t16_ldm),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::check_insn;
    use crate::arm::testutil::{run_until, FlatMem, CODE};
    use crate::cpu::{Exception, ExitReason};
    use crate::mem::fsr;

    /// Runs code (ARM words or Thumb halfwords) from CODE with registers `regs` and
    /// memory words `data` preset; stops after the last instruction. A branch to
    /// itself follows the code, so that a block never runs past the stop address.
    fn run(cpu: &mut CpuState, code: &[u8], thumb: bool, data: &[(u32, u32)]) -> (ExitReason, FlatMem) {
        let mut mem = FlatMem::new(0, 0x10000);
        mem.write_bytes(CODE, code);
        let stop = CODE + code.len() as u32;
        if thumb {
            mem.write_bytes(stop, &0xe7feu16.to_le_bytes()); // b .
        } else {
            mem.write_u32(stop, 0xeaff_fffe); // b .
        }
        for &(a, v) in data {
            assert!(a + 4 <= stop || a >= stop + 4, "data over the final branch");
            mem.write_u32(a, v);
        }
        cpu.r[15] = CODE;
        cpu.t = thumb as u8;
        let r = run_until(cpu, &mut mem, CODE + code.len() as u32, 100);
        (r, mem)
    }

    fn cpu_with(regs: &[(usize, u32)]) -> CpuState {
        let mut c = CpuState::new();
        for &(r, v) in regs {
            c.r[r] = v;
        }
        c
    }

    fn arm(words: &[u32], regs: &[(usize, u32)], data: &[(u32, u32)]) -> (CpuState, FlatMem) {
        let mut c = cpu_with(regs);
        let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let (r, m) = run(&mut c, &code, false, data);
        assert_eq!(r, ExitReason::Branch, "{words:x?}: pending {:?} at {:#x}", c.pending, c.r[15]);
        (c, m)
    }

    fn thumb(hws: &[u16], regs: &[(usize, u32)], data: &[(u32, u32)]) -> (CpuState, FlatMem) {
        let mut c = cpu_with(regs);
        let code: Vec<u8> = hws.iter().flat_map(|h| h.to_le_bytes()).collect();
        let (r, m) = run(&mut c, &code, true, data);
        assert_eq!(r, ExitReason::Branch, "{hws:x?}: pending {:?} at {:#x}", c.pending, c.r[15]);
        (c, m)
    }

    /// Runs code that must fault; returns the state.
    fn faulting(code: &[u8], thumb: bool, regs: &[(usize, u32)], data: &[(u32, u32)]) -> CpuState {
        let mut c = cpu_with(regs);
        let (r, _) = run(&mut c, code, thumb, data);
        assert_eq!(r, ExitReason::Exception, "{code:x?}");
        assert_eq!(c.pending, Some(Exception::DataAbort));
        c
    }

    fn words(w: &[u32]) -> Vec<u8> {
        w.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn arm_word_and_byte_addressing() {
        // ldr r0, [r1, #4]
        let (c, _) = arm(&[0xe5910004], &[(1, 0x8010)], &[(0x8014, 0xdead_beef)]);
        assert_eq!((c.r[0], c.r[1]), (0xdead_beef, 0x8010));
        // ldr r2, [r1, #-4]!
        let (c, _) = arm(&[0xe5312004], &[(1, 0x8010)], &[(0x800c, 5)]);
        assert_eq!((c.r[2], c.r[1]), (5, 0x800c));
        // ldr r3, [r4], #8
        let (c, _) = arm(&[0xe4943008], &[(4, 0x8000)], &[(0x8000, 7), (0x8008, 9)]);
        assert_eq!((c.r[3], c.r[4]), (7, 0x8008));
        // str r5, [r6, #-8]
        let (c, m) = arm(&[0xe5065008], &[(5, 0x1234_5678), (6, 0x8010)], &[]);
        assert_eq!((m.read_u32(0x8008), c.r[6]), (0x1234_5678, 0x8010));
        // strb r7, [r6, #1]!
        let (c, m) = arm(&[0xe5e67001], &[(7, 0x1ab), (6, 0x8010)], &[(0x8010, 0x1111_1111)]);
        assert_eq!((m.read_u32(0x8010), c.r[6]), (0x1111_ab11, 0x8011));
        // ldrb r8, [r1, #3]
        let (c, _) = arm(&[0xe5d18003], &[(1, 0x8010)], &[(0x8010, 0x8070_6050)]);
        assert_eq!(c.r[8], 0x80);
        // ldr r0, [r1, #4] from an unaligned address (allowed for LDR)
        let (c, _) = arm(&[0xe5910004], &[(1, 0x8011)], &[(0x8014, 0x4433_2211), (0x8018, 0x55)]);
        assert_eq!(c.r[0], 0x5544_3322);
    }

    #[test]
    fn arm_register_offsets() {
        let data = [(0x8008, 8), (0x800c, 12), (0x8010, 16)];
        // ldr r0, [r1, r2, lsl #2]
        let (c, _) = arm(&[0xe7910102], &[(1, 0x8000), (2, 3)], &data);
        assert_eq!(c.r[0], 12);
        // ldr r3, [r1, -r2]
        let (c, _) = arm(&[0xe7113002], &[(1, 0x8010), (2, 8)], &data);
        assert_eq!(c.r[3], 8);
        // ldr r4, [r1, r2, rrx]: the carry flag becomes bit 31 of the offset
        let (c, _) = arm(&[0xe7914062], &[(1, 0x8000), (2, 0x20)], &data);
        assert_eq!(c.r[4], 16);
        let mut c = cpu_with(&[(1, 0x8000_8000), (2, 0x20)]);
        c.c = 1;
        let (r, _) = run(&mut c, &words(&[0xe7914062]), false, &data);
        assert_eq!((r, c.r[4]), (ExitReason::Branch, 16));
        // str r5, [r1, r2, lsl #2]!
        let (c, m) = arm(&[0xe7a15102], &[(1, 0x8000), (2, 2), (5, 0x55)], &[]);
        assert_eq!((m.read_u32(0x8008), c.r[1]), (0x55, 0x8008));
        // ldr r6, [r1], -r2, asr #1: post-indexed, subtracting -8
        let (c, _) = arm(&[0xe61160c2], &[(1, 0x8010), (2, 0xffff_fff0)], &data);
        assert_eq!((c.r[6], c.r[1]), (16, 0x8018));
    }

    #[test]
    fn arm_halfword_and_signed() {
        let data = [(0x8010, 0x8765_4321)];
        // ldrh r0, [r1, #2]; ldrsh r2, [r1, #2]
        let (c, _) = arm(&[0xe1d100b2], &[(1, 0x800e)], &data);
        assert_eq!(c.r[0], 0x4321);
        let (c, _) = arm(&[0xe1d120f2], &[(1, 0x8010)], &data);
        assert_eq!(c.r[2], 0xffff_8765);
        // ldrsb r3, [r1, #-1]!
        let (c, _) = arm(&[0xe17130d1], &[(1, 0x8014)], &data);
        assert_eq!((c.r[3], c.r[1]), (0xffff_ff87, 0x8013));
        // strh r4, [r5], #-6
        let (c, m) = arm(&[0xe04540b6], &[(4, 0xabcd_1234), (5, 0x8010)], &data);
        assert_eq!((m.read_u32(0x8010), c.r[5]), (0x8765_1234, 0x800a));
        // ldrh r6, [r1, r7]
        let (c, _) = arm(&[0xe19160b7], &[(1, 0x8000), (7, 0x12)], &data);
        assert_eq!(c.r[6], 0x8765);
        // ldrsb r8, [r1], r7
        let (c, _) = arm(&[0xe09180d7], &[(1, 0x8010), (7, 3)], &data);
        assert_eq!((c.r[8], c.r[1]), (0x21, 0x8013));
        // ldrsh r9, [r1, -r7]!
        let (c, _) = arm(&[0xe13190f7], &[(1, 0x8014), (7, 2)], &data);
        assert_eq!((c.r[9], c.r[1]), (0xffff_8765, 0x8012));
    }

    #[test]
    fn arm_literals_and_the_pc() {
        // ldr r0, [pc, #4]: PC + 8 + 4
        let (c, _) = arm(&[0xe59f0004], &[], &[(CODE + 12, 0xcafe_f00d)]);
        assert_eq!(c.r[0], 0xcafe_f00d);
        // ldrh r1, [pc, #-8]: reads the instruction itself
        let (c, _) = arm(&[0xe15f10b8], &[], &[]);
        assert_eq!(c.r[1], 0x10b8);
        // str pc, [r1] stores PC + 8
        let (_, m) = arm(&[0xe581f000], &[(1, 0x8000)], &[]);
        assert_eq!(m.read_u32(0x8000), CODE + 8);
        // ldr pc, [r1]: LoadWritePC interworks
        let (c, _) = arm(&[0xe591f000], &[(1, 0x8000)], &[(0x8000, (CODE + 4) | 1)]);
        assert_eq!((c.r[15], c.t), (CODE + 4, 1));
        // pop {r1} / push {r1} (the LDR/STR forms)
        let (c, _) = arm(&[0xe49d1004], &[(13, 0x8000)], &[(0x8000, 42)]);
        assert_eq!((c.r[1], c.r[13]), (42, 0x8004));
        let (c, m) = arm(&[0xe52d1004], &[(1, 43), (13, 0x8004)], &[]);
        assert_eq!((m.read_u32(0x8000), c.r[13]), (43, 0x8000));
    }

    #[test]
    fn arm_doubleword() {
        let data = [(0x8008, 1), (0x800c, 2), (0x8010, 3), (0x8014, 4)];
        // ldrd r2, r3, [r1, #8]
        let (c, _) = arm(&[0xe1c120d8], &[(1, 0x8000)], &data);
        assert_eq!((c.r[2], c.r[3]), (1, 2));
        // strd r4, r5, [r1, #-8]!
        let (c, m) = arm(&[0xe16140f8], &[(1, 0x8010), (4, 0xa), (5, 0xb)], &[]);
        assert_eq!((m.read_u32(0x8008), m.read_u32(0x800c), c.r[1]), (0xa, 0xb, 0x8008));
        // ldrd r6, r7, [r1, r0]
        let (c, _) = arm(&[0xe18160d0], &[(0, 0x10), (1, 0x8000)], &data);
        assert_eq!((c.r[6], c.r[7]), (3, 4));
        // strd r8, r9, [r1], -r0
        let (c, m) = arm(&[0xe00180f0], &[(0, 0x10), (1, 0x8010), (8, 0xc), (9, 0xd)], &[]);
        assert_eq!((m.read_u32(0x8010), m.read_u32(0x8014), c.r[1]), (0xc, 0xd, 0x8000));
        // LDRD needs word alignment
        let c = faulting(&words(&[0xe1c120d8]), false, &[(1, 0x8002)], &[]);
        assert_eq!((c.cp15.dfsr & 0xf, c.cp15.dfar, c.r[15]), (fsr::ALIGNMENT, 0x800a, CODE));
    }

    #[test]
    fn arm_load_store_multiple() {
        // push {r0-r3, lr}
        let (c, m) = arm(&[0xe92d400f], &[(0, 1), (1, 2), (2, 3), (3, 4), (13, 0x8100), (14, 0x55)], &[]);
        assert_eq!(c.r[13], 0x80ec);
        let got: Vec<u32> = (0..5).map(|i| m.read_u32(0x80ec + 4 * i)).collect();
        assert_eq!(got, [1, 2, 3, 4, 0x55]);
        let data = [(0x8000, 10), (0x8004, 11), (0x8008, 12), (0x800c, 13)];
        // ldmia r1!, {r4-r6}
        let (c, _) = arm(&[0xe8b10070], &[(1, 0x8000)], &data);
        assert_eq!((c.r[4], c.r[5], c.r[6], c.r[1]), (10, 11, 12, 0x800c));
        // ldmib r1, {r4, r5}
        let (c, _) = arm(&[0xe9910030], &[(1, 0x8000)], &data);
        assert_eq!((c.r[4], c.r[5], c.r[1]), (11, 12, 0x8000));
        // ldmda r1!, {r4, r5}
        let (c, _) = arm(&[0xe8310030], &[(1, 0x8008)], &data);
        assert_eq!((c.r[4], c.r[5], c.r[1]), (11, 12, 0x8000));
        // stmib r2!, {r7, r8}
        let (c, m) = arm(&[0xe9a20180], &[(2, 0x8000), (7, 7), (8, 8)], &[]);
        assert_eq!((m.read_u32(0x8004), m.read_u32(0x8008), c.r[2]), (7, 8, 0x8008));
        // stmda r2, {r7, r8}
        let (c, m) = arm(&[0xe8020180], &[(2, 0x8008), (7, 7), (8, 8)], &[]);
        assert_eq!((m.read_u32(0x8004), m.read_u32(0x8008), c.r[2]), (7, 8, 0x8008));
        // stmia r1!, {r1, r2}: the base is the lowest register, its original value is stored
        let (c, m) = arm(&[0xe8a10006], &[(1, 0x8000), (2, 2)], &[]);
        assert_eq!((m.read_u32(0x8000), m.read_u32(0x8004), c.r[1]), (0x8000, 2, 0x8008));
        // pop {r0, pc}: to ARM, then to Thumb
        let (c, _) = arm(&[0xe8bd8001], &[(13, 0x8000)], &[(0x8000, 9), (0x8004, CODE + 4)]);
        assert_eq!((c.r[0], c.r[13], c.r[15], c.t), (9, 0x8008, CODE + 4, 0));
        let (c, _) = arm(&[0xe8bd8001], &[(13, 0x8000)], &[(0x8000, 9), (0x8004, (CODE + 4) | 1)]);
        assert_eq!((c.r[15], c.t), (CODE + 4, 1));
        // stm with the PC stores PC + 8
        let (_, m) = arm(&[0xe8818000], &[(1, 0x8000)], &[]);
        assert_eq!(m.read_u32(0x8000), CODE + 8);
    }

    #[test]
    fn arm_exclusives() {
        // ldrex r0, [r1]; strex r2, r3, [r1]
        let (c, m) = arm(&[0xe1910f9f, 0xe1812f93], &[(1, 0x8000), (2, 7), (3, 0x33)], &[(0x8000, 0x11)]);
        assert_eq!((c.r[0], c.r[2], m.read_u32(0x8000)), (0x11, 0, 0x33));
        // ldrex; clrex; strex fails
        let (c, m) = arm(&[0xe1910f9f, 0xf57ff01f, 0xe1812f93], &[(1, 0x8000), (3, 0x33)], &[(0x8000, 0x11)]);
        assert_eq!((c.r[2], m.read_u32(0x8000)), (1, 0x11));
        // strex without a monitor fails
        let (c, m) = arm(&[0xe1812f93], &[(1, 0x8000), (3, 0x33)], &[(0x8000, 0x11)]);
        assert_eq!((c.r[2], m.read_u32(0x8000)), (1, 0x11));
        // ldrexd r4, r5, [r1]
        let (c, _) = arm(&[0xe1b14f9f], &[(1, 0x8000)], &[(0x8000, 0xa), (0x8004, 0xb)]);
        assert_eq!((c.r[4], c.r[5]), (0xa, 0xb));
        // ldrexb r0, [r1]; strexd r6, r4, r5, [r1]: a STREX of another size than the
        // LDREX fails (UNPREDICTABLE in the Arm ARM; QEMU fails it and so do we).
        let (c, m) = arm(&[0xe1d10f9f, 0xe1a16f94], &[(1, 0x8000), (4, 0xc), (5, 0xd)], &[(0x8000, 0x1ff)]);
        assert_eq!((c.r[0], c.r[6], m.read_u32(0x8000), m.read_u32(0x8004)), (0xff, 1, 0x1ff, 0));
        // ldrexd r4, r5, [r1]; strexd r6, r4, r5, [r1] succeeds
        let (c, m) = arm(&[0xe1b14f9f, 0xe1a16f94], &[(1, 0x8000)], &[(0x8000, 0xc), (0x8004, 0xd)]);
        assert_eq!((c.r[6], m.read_u32(0x8000), m.read_u32(0x8004)), (0, 0xc, 0xd));
        // ldrexh r0, [r1]; strexb r2, r3, [r1]: size mismatch, the store fails
        let (c, m) = arm(&[0xe1f10f9f, 0xe1c12f93], &[(1, 0x8000), (3, 0x1ee)], &[(0x8000, 0x1234_5678)]);
        assert_eq!((c.r[0], c.r[2], m.read_u32(0x8000)), (0x5678, 1, 0x1234_5678));
        // ldrexd must be doubleword aligned
        faulting(&words(&[0xe1b14f9f]), false, &[(1, 0x8004)], &[]);
    }

    #[test]
    fn arm_unprivileged_forms() {
        // ldrt r0, [r1], #4
        let (c, _) = arm(&[0xe4b10004], &[(1, 0x8000)], &[(0x8000, 5)]);
        assert_eq!((c.r[0], c.r[1]), (5, 0x8004));
        // strbt r2, [r1], #1
        let (c, m) = arm(&[0xe4e12001], &[(1, 0x8000), (2, 0x1ff)], &[]);
        assert_eq!((m.read_u32(0x8000), c.r[1]), (0xff, 0x8001));
        // ldrt r3, [r1], -r2, lsl #1
        let (c, _) = arm(&[0xe6313082], &[(1, 0x8010), (2, 4)], &[(0x8010, 6)]);
        assert_eq!((c.r[3], c.r[1]), (6, 0x8008));
        // strht r4, [r1], #-2; ldrsht r5, [r1], #2; ldrsbt r6, [r1], r7
        let (c, m) = arm(&[0xe06140b2], &[(1, 0x8010), (4, 0x18765)], &[]);
        assert_eq!((m.read_u32(0x8010), c.r[1]), (0x8765, 0x800e));
        let (c, _) = arm(&[0xe0f150f2], &[(1, 0x8010)], &[(0x8010, 0x8765)]);
        assert_eq!((c.r[5], c.r[1]), (0xffff_8765, 0x8012));
        let (c, _) = arm(&[0xe0b160d7], &[(1, 0x8010), (7, 3)], &[(0x8010, 0x80)]);
        assert_eq!((c.r[6], c.r[1]), (0xffff_ff80, 0x8013));
        // The accesses are marked unprivileged.
        for insn in [0xe4b10004, 0xe4e12001, 0xe6313082, 0xe06140b2, 0xe0f150f2, 0xe0b160d7] {
            let ops = check_insn(insn, false, 4, 0).unwrap();
            assert!(ops.iter().any(|o| matches!(o, Op::Load { user: true, .. } | Op::Store { user: true, .. })));
        }
        let ops = check_insn(0xe5910004, false, 4, 0).unwrap();
        assert!(ops.iter().all(|o| !matches!(o, Op::Load { user: true, .. })));
    }

    #[test]
    fn arm_user_registers() {
        let mut c = CpuState::new();
        c.r[8] = 0x888; // shared by SVC and User
        c.switch_mode(Mode::Fiq);
        c.bank_sp[Mode::Usr.bank()] = 0x5500;
        c.r[8] = 0xf8;
        c.r[13] = 0xf13;
        c.r[0] = 0x8000;
        // stm r0, {r8, sp}^
        let (r, m) = run(&mut c, &words(&[0xe8c02100]), false, &[]);
        assert_eq!(r, ExitReason::Branch);
        assert_eq!((m.read_u32(0x8000), m.read_u32(0x8004)), (0x888, 0x5500));
        // ldm r0, {r8, sp}^
        let (r, _) = run(&mut c, &words(&[0xe8d02100]), false, &[(0x8000, 0x1111), (0x8004, 0x2222)]);
        assert_eq!(r, ExitReason::Branch);
        assert_eq!((c.r[8], c.r[13]), (0xf8, 0xf13));
        assert_eq!((c.reg_in_mode(Mode::Usr, 8), c.reg_in_mode(Mode::Usr, 13)), (0x1111, 0x2222));
    }

    #[test]
    fn arm_exception_return() {
        // ldmia sp!, {r0, pc}^ from SVC to User mode in Thumb state, with Z set
        let mut c = cpu_with(&[(13, 0x8000)]);
        c.spsr[Mode::Svc.bank()] = 0x4000_0030;
        c.bank_sp[Mode::Usr.bank()] = 0x7000;
        let data = [(0x8000, 0x77), (0x8004, (CODE + 4) | 1)];
        let (r, _) = run(&mut c, &words(&[0xe8fd8001]), false, &data);
        assert_eq!(r, ExitReason::Branch);
        assert_eq!((c.current_mode(), c.t, c.z, c.r[15]), (Mode::Usr, 1, 1, CODE + 4));
        assert_eq!((c.r[0], c.r[13], c.bank_sp[Mode::Svc.bank()]), (0x77, 0x7000, 0x8008));
        // ldmdb r1, {r0, r1, pc}^ to ARM state in SYS mode
        let mut c = cpu_with(&[(1, 0x800c)]);
        c.spsr[Mode::Svc.bank()] = 0x1f;
        let data = [(0x8000, 1), (0x8004, 2), (0x8008, CODE + 4)];
        let (r, _) = run(&mut c, &words(&[0xe9518003]), false, &data);
        assert_eq!(r, ExitReason::Branch);
        assert_eq!((c.current_mode(), c.t, c.r[0], c.r[1], c.r[15]), (Mode::Sys, 0, 1, 2, CODE + 4));
    }

    #[test]
    fn faults_are_precise() {
        // ldr r0, [r1], #4 to an unmapped address: nothing written
        let c = faulting(&words(&[0xe4910004]), false, &[(0, 5), (1, 0x20000)], &[]);
        assert_eq!((c.r[0], c.r[1], c.r[15], c.cp15.dfar), (5, 0x20000, CODE, 0x20000));
        // ldmia r1!, {r2-r4} whose third word faults
        let c = faulting(&words(&[0xe8b1001c]), false, &[(1, 0xfff8), (2, 2), (3, 3)], &[]);
        assert_eq!((c.r[1], c.r[2], c.r[3], c.cp15.dfar), (0xfff8, 2, 3, 0x10000));
        // pop {r0, pc} with the PC word faulting
        let c = faulting(&words(&[0xe8bd8001]), false, &[(13, 0xfffc), (0, 1)], &[]);
        assert_eq!((c.r[0], c.r[13]), (1, 0xfffc));
        // strd whose second word faults stores nothing in registers
        let c = faulting(&words(&[0xe16140f8]), false, &[(1, 0x10004)], &[]);
        assert_eq!(c.r[1], 0x10004);
        assert_ne!(c.cp15.dfsr & fsr::WNR, 0);
        // Thumb push {r0, r1, lr} faulting: SP unchanged
        let c = faulting(&[0x03, 0xb5], true, &[(13, 0x20000)], &[]);
        assert_eq!(c.r[13], 0x20000);
    }

    #[test]
    fn unpredictable_and_undefined_encodings() {
        let arm_cases: &[(u32, Option<Fail>)] = &[
            (0xe4911004, Some(Fail::Unpredictable)), // ldr r1, [r1], #4
            (0xe8b00003, Some(Fail::Unpredictable)), // ldm r0!, {r0, r1}
            (0xe8900000, Some(Fail::Unpredictable)), // ldm r0, {}
            (0xe1c110d8, Some(Fail::Unpredictable)), // ldrd r1, r2, [r1, #8]
            (0xe1821f91, Some(Fail::Unpredictable)), // strex r1, r1, [r2]
            (0xe5c0f000, Some(Fail::Unpredictable)), // strb pc, [r0]
            (0xe0d1f0b2, Some(Fail::Unpredictable)), // ldrh pc, [r1], #2
            (0xe49f0004, Some(Fail::Unpredictable)), // ldr r0, [pc], #4
            (0xe8f08001, Some(Fail::Unpredictable)), // ldm r0!, {r0, pc}^
            (0xe8e02100, Some(Fail::Unpredictable)), // stm r0!, {r8, sp}^
            (0xe581f000, None),                      // str pc, [r1]
        ];
        for &(insn, want) in arm_cases {
            assert_eq!(check_insn(insn, false, 4, 0).err(), want, "{insn:#010x}");
        }
        // ldm r1!, {r1, r2} is UNPREDICTABLE in ARMv7.
        assert_eq!(check_insn(0xe8b10006, false, 4, 0).err(), Some(Fail::Unpredictable));
        // stm r1!, {r0, r1}: base not lowest, stores an UNKNOWN value (allowed)
        assert!(check_insn(0xe8a10003, false, 4, 0).is_ok());
        let t32: &[(u32, u8, Option<Fail>)] = &[
            (0xe8900002, 0, Some(Fail::Unpredictable)),    // ldm.w r0, {r1}
            (0xe8bdc001, 0, Some(Fail::Unpredictable)),    // ldm.w sp!, {r0, lr, pc}
            (0xe8b00003, 0, Some(Fail::Unpredictable)),    // ldm.w r0!, {r0, r1}
            (0xe9052c78, 0, Some(Fail::Unpredictable)),    // stmdb r5, {.., sp}: bit 13 is (0) (difftest)
            (0xe8b02003, 0, Some(Fail::Unpredictable)),    // ldm.w r0!, {r0, r1, sp}
            (0xf8d1f004, 0x04, Some(Fail::Unpredictable)), // ldr.w pc, [r1, #4] in IT, not last
            (0xf8d1f004, 0x08, None),                      // ... as the last instruction of an IT block
            (0xf88f0000, 0, Some(Fail::Undefined)),        // strb.w r0, [pc]
            (0xf8110800, 0, Some(Fail::Undefined)),        // ldrb r0, [r1], P = W = 0
            (0xf8b1d000, 0, Some(Fail::Unpredictable)),    // ldrh.w sp, [r1]
            (0xe9d12200, 0, Some(Fail::Unpredictable)),    // ldrd r2, r2, [r1]
            (0xe8421100, 0, Some(Fail::Unpredictable)),    // strex r1, r1, [r2]
        ];
        for &(insn, it, want) in t32 {
            assert_eq!(check_insn(insn, true, 4, it).err(), want, "{insn:#010x}");
        }
        assert_eq!(check_insn(0xb400, true, 2, 0).err(), Some(Fail::Unpredictable)); // push {}
        assert_eq!(check_insn(0xbd00, true, 2, 0x04).err(), Some(Fail::Unpredictable));
        // pop {pc} in IT
    }

    #[test]
    fn t16_single() {
        // str r0, [r1, #4]; ldr r2, [r1, #4]; strb r3, [r1, #5]; ldrb r4, [r1, #5]; strh r5, [r1, #6]; ldrh r6, [r1, #6]
        let (c, m) = thumb(
            &[0x6048, 0x684a, 0x714b, 0x794c, 0x80cd, 0x88ce],
            &[(0, 0xabcd_ef01), (1, 0x8000), (3, 0x1ff), (5, 0x12345)],
            &[],
        );
        assert_eq!((c.r[2], c.r[4], c.r[6], m.read_u32(0x8004)), (0xabcd_ef01, 0xff, 0x2345, 0x2345_ff01));
        // ldr r3, [r1, r2]; ldrsb r4, [r1, r7]; ldrsh r5, [r1, r7]
        let (c, _) =
            thumb(&[0x588b, 0x57cc, 0x5fcd], &[(1, 0x8000), (2, 4), (7, 2)], &[(0x8000, 0x8180_1234), (0x8004, 42)]);
        assert_eq!((c.r[3], c.r[4], c.r[5]), (42, 0xffff_ff80, 0xffff_8180));
        // str r0, [r1, r2]; strh r0, [r1, r2]... at three addresses
        let (_, m) = thumb(&[0x5088], &[(0, 0x1234_5678), (1, 0x8000), (2, 8)], &[]);
        assert_eq!(m.read_u32(0x8008), 0x1234_5678);
        let (_, m) = thumb(&[0x5288, 0x5488], &[(0, 0x1234_5678), (1, 0x8000), (2, 8)], &[]);
        assert_eq!(m.read_u32(0x8008), 0x5678);
        // ldrh r0, [r1, r2]; ldrb r0, [r1, r2]
        let (c, _) = thumb(&[0x5a88], &[(1, 0x8000), (2, 2)], &[(0x8000, 0x8765_4321)]);
        assert_eq!(c.r[0], 0x8765);
        let (c, _) = thumb(&[0x5c88], &[(1, 0x8000), (2, 3)], &[(0x8000, 0x8765_4321)]);
        assert_eq!(c.r[0], 0x87);
        // str r4, [sp, #8]; ldr r5, [sp, #8]
        let (c, m) = thumb(&[0x9402, 0x9d02], &[(4, 0x44), (13, 0x8100)], &[]);
        assert_eq!((c.r[5], m.read_u32(0x8108)), (0x44, 0x44));
        // ldr r6, [pc, #4] at CODE + 2: Align(PC, 4) + 4
        let (c, _) = thumb(&[0x6048, 0x4e01], &[(1, 0x8000)], &[(CODE + 8, 0x600d_f00d)]);
        assert_eq!(c.r[6], 0x600d_f00d);
    }

    #[test]
    fn t16_multiple() {
        // push {r0, r1, lr}; pop {r2, r3, r4}
        let (c, m) = thumb(&[0xb503, 0xbc1c], &[(0, 1), (1, 2), (13, 0x8100), (14, 0xe)], &[]);
        assert_eq!((c.r[2], c.r[3], c.r[4], c.r[13]), (1, 2, 0xe, 0x8100));
        assert_eq!((m.read_u32(0x80f4), m.read_u32(0x80fc)), (1, 0xe));
        // stmia r0!, {r1, r2}
        let (c, m) = thumb(&[0xc006], &[(0, 0x8000), (1, 1), (2, 2)], &[]);
        assert_eq!((m.read_u32(0x8000), m.read_u32(0x8004), c.r[0]), (1, 2, 0x8008));
        // ldmia r3, {r3, r4}: no writeback, base in the list
        let (c, _) = thumb(&[0xcb18], &[(3, 0x8000)], &[(0x8000, 7), (0x8004, 8)]);
        assert_eq!((c.r[3], c.r[4]), (7, 8));
        // ldmia r5!, {r6}
        let (c, _) = thumb(&[0xcd40], &[(5, 0x8000)], &[(0x8000, 7)]);
        assert_eq!((c.r[6], c.r[5]), (7, 0x8004));
        // pop {pc}: interworking to ARM
        let (c, _) = thumb(&[0xbd00, 0x6048], &[(13, 0x8000), (1, 0x8100)], &[(0x8000, CODE + 4)]);
        assert_eq!((c.r[15], c.t, c.r[13]), (CODE + 4, 0, 0x8004));
    }

    #[test]
    fn t32_single() {
        let data = [(0x8000, 0x8765_4321), (0x8004, 4), (0x8008, 8), (0x800c, 12)];
        // ldr.w r0, [r1, #4095]
        let (c, _) = thumb(&[0xf8d1, 0x0fff], &[(1, 0x7001)], &data);
        assert_eq!(c.r[0], 0x8765_4321);
        // ldr r2, [r1, #-4]!
        let (c, _) = thumb(&[0xf851, 0x2d04], &[(1, 0x8010)], &data);
        assert_eq!((c.r[2], c.r[1]), (12, 0x800c));
        // ldr r3, [r4], #8
        let (c, _) = thumb(&[0xf854, 0x3b08], &[(4, 0x8000)], &data);
        assert_eq!((c.r[3], c.r[4]), (0x8765_4321, 0x8008));
        // ldr.w r5, [r1, r2, lsl #2]
        let (c, _) = thumb(&[0xf851, 0x5022], &[(1, 0x8000), (2, 3)], &data);
        assert_eq!(c.r[5], 12);
        // ldrsh.w r6, [r1, #2]; ldrsb.w r7, [r1, #-1]; ldrb.w r8, [r1, r2, lsl #1]; ldrh.w r9, [r1], #2
        let (c, _) = thumb(
            &[0xf9b1, 0x6002, 0xf911, 0x7c01, 0xf811, 0x8012],
            &[(1, 0x8000 - 2 + 2), (2, 1)],
            &[(0x7ffc, 0x8000_0000), (0x8000, 0x8765_4321)],
        );
        assert_eq!((c.r[6], c.r[7], c.r[8]), (0xffff_8765, 0xffff_ff80, 0x65));
        let (c, _) = thumb(&[0xf831, 0x9b02], &[(1, 0x8000)], &data);
        assert_eq!((c.r[9], c.r[1]), (0x4321, 0x8002));
        // ldr.w r10, [pc, #-4]: Align(PC, 4) - 4 = CODE; ldrb.w r11, [pc, #7]
        let (c, _) = thumb(&[0xf85f, 0xa004, 0xf89f, 0xb007], &[], &[(CODE + 12, 0x4433_2211)]);
        assert_eq!((c.r[10], c.r[11]), (0xa004_f85f, 0x44));
        // str.w r0, [r1, #8]; strb.w r2, [r1, #-1]!
        let (c, m) = thumb(&[0xf8c1, 0x0008, 0xf801, 0x2d01], &[(0, 0x1234_5678), (1, 0x8010), (2, 0xaa)], &[]);
        assert_eq!((m.read_u32(0x8018), m.read_u32(0x800c), c.r[1]), (0x1234_5678, 0xaa00_0000, 0x800f));
        // strh.w r3, [r1, r2, lsl #3]; str r4, [r1], #-4
        let (_, m) = thumb(&[0xf821, 0x3032], &[(1, 0x8000), (2, 1), (3, 0x1beef)], &[]);
        assert_eq!(m.read_u32(0x8008), 0xbeef);
        let (c, m) = thumb(&[0xf841, 0x4904], &[(1, 0x8010), (4, 0x44)], &[]);
        assert_eq!((m.read_u32(0x8010), c.r[1]), (0x44, 0x800c));
        // ldr.w pc, [r1, #4]; ldr.w pc, [sp], #4 (POP T3); str.w r1, [sp, #-4]! (PUSH T3)
        let (c, _) = thumb(&[0xf8d1, 0xf004], &[(1, 0x8000)], &[(0x8004, (CODE + 4) | 1)]);
        assert_eq!((c.r[15], c.t), (CODE + 4, 1));
        let (c, _) = thumb(&[0xf85d, 0xfb04], &[(13, 0x8000)], &[(0x8000, CODE + 4)]);
        assert_eq!((c.r[15], c.t, c.r[13]), (CODE + 4, 0, 0x8004));
        let (c, m) = thumb(&[0xf84d, 0x1d04], &[(1, 9), (13, 0x8004)], &[]);
        assert_eq!((m.read_u32(0x8000), c.r[13]), (9, 0x8000));
    }

    #[test]
    fn t32_dual_unprivileged_hints() {
        // strd r2, r3, [r1, #8]
        let (_, m) = thumb(&[0xe9c1, 0x2302], &[(1, 0x8000), (2, 2), (3, 3)], &[]);
        assert_eq!((m.read_u32(0x8008), m.read_u32(0x800c)), (2, 3));
        // ldrd r4, r5, [r1, #-8]!; ldrd r6, r7, [r1], #16
        let data = [(0x8000, 10), (0x8004, 11), (0x8008, 12), (0x800c, 13)];
        let (c, _) = thumb(&[0xe971, 0x4502, 0xe8f1, 0x6704], &[(1, 0x8008)], &data);
        assert_eq!((c.r[4], c.r[5], c.r[6], c.r[7], c.r[1]), (10, 11, 10, 11, 0x8010));
        // ldrd r8, r9, [pc, #-16]
        let (c, _) = thumb(&[0xe95f, 0x8904], &[], &[(CODE - 12, 1), (CODE - 8, 2)]);
        assert_eq!((c.r[8], c.r[9]), (1, 2));
        // ldrt r0, [r1, #4]; strbt r2, [r1, #1]; ldrsht r3, [r1, #2]
        let (c, m) = thumb(
            &[0xf851, 0x0e04, 0xf801, 0x2e01, 0xf931, 0x3e02],
            &[(1, 0x8000), (2, 0x1ff)],
            &[(0x8000, 0x8000_0000), (0x8004, 5)],
        );
        assert_eq!((c.r[0], c.r[3], c.r[1], m.read_u32(0x8000)), (5, 0xffff_8000, 0x8000, 0x8000_ff00));
        for insn in [0xf8510e04, 0xf8012e01, 0xf9313e02] {
            let ops = check_insn(insn, true, 4, 0).unwrap();
            assert!(ops.iter().any(|o| matches!(o, Op::Load { user: true, .. } | Op::Store { user: true, .. })));
        }
        // pld [r1, #4]; pld [r1, #-4]; pldw [r1, r2]; pli [r1, #8]; pld [pc, #8]: no-ops, even unmapped
        let hints = [0xf891, 0xf004, 0xf811, 0xfc04, 0xf831, 0xf002, 0xf991, 0xf008, 0xf89f, 0xf008];
        let (c, _) = thumb(&hints, &[(1, 0x40000)], &[]);
        assert_eq!(c.r[15], CODE + 20);
        for insn in [0xf891f004, 0xf811fc04, 0xf831f002, 0xf991f008, 0xf89ff008] {
            assert!(check_insn(insn, true, 4, 0).unwrap().is_empty());
        }
        for insn in [0xf5d1f004, 0xf791f002, 0xf451f004] {
            assert!(check_insn(insn, false, 4, 0).unwrap().is_empty());
        }
    }

    #[test]
    fn t32_exclusives_and_multiple() {
        // ldrex r0, [r1, #4]; strex r2, r3, [r1, #4]
        let (c, m) = thumb(&[0xe851, 0x0f01, 0xe841, 0x3201], &[(1, 0x8000), (2, 9), (3, 0x33)], &[(0x8004, 5)]);
        assert_eq!((c.r[0], c.r[2], m.read_u32(0x8004)), (5, 0, 0x33));
        // ldrexb r4, [r1]; strexh r5, r6, [r1]: size mismatch, the store fails
        let (c, m) = thumb(&[0xe8d1, 0x4f4f, 0xe8c1, 0x6f55], &[(1, 0x8000), (6, 0x1beef)], &[(0x8000, 0x1234_5678)]);
        assert_eq!((c.r[4], c.r[5], m.read_u32(0x8000)), (0x78, 1, 0x1234_5678));
        // ldrexd r6, r7, [r1]; clrex; strexd r8, r6, r7, [r1] fails
        let (c, m) =
            thumb(&[0xe8d1, 0x677f, 0xf3bf, 0x8f2f, 0xe8c1, 0x6778], &[(1, 0x8000)], &[(0x8000, 1), (0x8004, 2)]);
        assert_eq!((c.r[6], c.r[7], c.r[8], m.read_u32(0x8000)), (1, 2, 1, 1));
        // push.w {r4, r8, lr}; pop.w {r4, r8, pc}
        let (c, m) =
            thumb(&[0xe92d, 0x4110, 0xe8bd, 0x8110], &[(4, 4), (8, 8), (13, 0x8100), (14, (CODE + 8) | 1)], &[]);
        assert_eq!((c.r[15], c.t, c.r[13]), (CODE + 8, 1, 0x8100));
        assert_eq!((m.read_u32(0x80f4), m.read_u32(0x80f8), m.read_u32(0x80fc)), (4, 8, (CODE + 8) | 1));
        // ldmdb r0!, {r1, r2}; stmia.w r0!, {r1, r8}
        let (c, m) = thumb(&[0xe930, 0x0006, 0xe8a0, 0x0102], &[(0, 0x8008), (8, 0x88)], &[(0x8000, 1), (0x8004, 2)]);
        assert_eq!((c.r[1], c.r[2], c.r[0]), (1, 2, 0x8008));
        assert_eq!((m.read_u32(0x8000), m.read_u32(0x8004)), (1, 0x88));
        // ldmia.w r0, {r0, r1}
        let (c, _) = thumb(&[0xe890, 0x0003], &[(0, 0x8000)], &[(0x8000, 5), (0x8004, 6)]);
        assert_eq!((c.r[0], c.r[1]), (5, 6));
    }
}
