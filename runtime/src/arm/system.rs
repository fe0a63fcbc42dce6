//! System instructions: status register access (MRS, MSR and their banked-register
//! forms), CPS, SETEND, SRS, RFE, the exception-generating instructions (SVC, HVC,
//! SMC, BKPT, UDF), coprocessor register transfers to CP14/CP15 (MRC, MCR, MRRC,
//! MCRR), barriers and hints (Arm ARM A8.8, B9.3).
//!
//! What depends on the mode (privilege, which SPSR exists) is only known at run
//! time, so those checks live in the helpers below; a helper that finds an
//! UNDEFINED (or UNPREDICTABLE, for which we choose UNDEFINED) case raises an
//! Undefined Instruction exception through `CpuState::raise_undefined`.
//!
//! Choices where the architecture leaves room:
//! - Little-endian only: SETEND BE is UNDEFINED, and MSR leaves CPSR.E at 0.
//! - No Monitor or Hyp mode: MSR/CPS to those modes leave the mode unchanged, and
//!   the banked-register forms naming their registers are UNDEFINED (as on QEMU
//!   without EL2/EL3).
//! - UNPREDICTABLE run-time cases (MRS/MSR SPSR in User/System mode, SRS/RFE in
//!   User mode, banked accesses to the current mode's own registers) raise
//!   Undefined.
//! - CP10/CP11 belong to `vfp.rs`: the coprocessor rows here fix coproc = 111x, so
//!   they only ever see CP14 and CP15; LDC/STC/CDP to CP14/CP15 have no rows
//!   (UNDEFINED), and neither do MRC2/MCR2/MRRC2/MCRR2.
//! - WFI and WFE end the block with `ExitReason::Wfi`; YIELD, SEV and DBG are NOPs.
//!   DMB and DSB are no-ops on this uniprocessor; ISB ends the block.

use super::{Fail, Fields, Res, Row, Translator};
use crate::cpu::{CpuState, ExitReason, Mode, SYS_ATS, SYS_ICACHE, SYS_MMU, SYS_TIMER, SYS_TLB};
use crate::ir::{BinOp, Flag, Helper, MemSize, Op, PcWrite, RaiseKind, Tmp, UnOp};
use crate::row;
use crate::sys::{self, SysEffect, SysReg};

// ----- helpers (run-time semantics) -----

/// What MRS returns of the CPSR: the execution state bits (IT, J, T) read as zero.
const MRS_CPSR_MASK: u32 = 0xf80f_03df;

fn privileged(cpu: &CpuState) -> bool {
    cpu.current_mode().is_privileged()
}

extern "C" fn read_cpsr(cpu: &mut CpuState, _: u64, _: u64, _: u64) -> u64 {
    (cpu.cpsr() & MRS_CPSR_MASK) as u64
}
/// MRS Rd, CPSR/APSR.
pub static H_READ_CPSR: Helper = Helper { name: "mrs_cpsr", f: read_cpsr, may_raise: false };

extern "C" fn read_spsr(cpu: &mut CpuState, _: u64, _: u64, _: u64) -> u64 {
    if !cpu.current_mode().has_spsr() {
        cpu.raise_undefined();
        return 0;
    }
    cpu.spsr() as u64
}
/// MRS Rd, SPSR (and SRS's SPSR). UNPREDICTABLE in User and System mode: Undefined.
pub static H_READ_SPSR: Helper = Helper { name: "mrs_spsr", f: read_spsr, may_raise: true };

extern "C" fn write_cpsr(cpu: &mut CpuState, value: u64, bytemask: u64, _: u64) -> u64 {
    let before = (cpu.mode, cpu.eaif);
    cpu.write_cpsr_by_instr(value as u32, bytemask as u32, false);
    cpu.psr_write_needs_dispatcher(before)
}
/// MSR CPSR_<fields>, value: CPSRWriteByInstr(value, bytemask, FALSE). Returns whether the
/// dispatcher must run next (`CpuState::psr_write_needs_dispatcher`).
pub static H_WRITE_CPSR: Helper = Helper { name: "msr_cpsr", f: write_cpsr, may_raise: false };

extern "C" fn write_spsr(cpu: &mut CpuState, value: u64, bytemask: u64, _: u64) -> u64 {
    if !cpu.current_mode().has_spsr() {
        cpu.raise_undefined();
        return 0;
    }
    cpu.write_spsr_by_instr(value as u32, bytemask as u32);
    0
}
/// MSR SPSR_<fields>, value. UNPREDICTABLE in User and System mode: Undefined.
pub static H_WRITE_SPSR: Helper = Helper { name: "msr_spsr", f: write_spsr, may_raise: true };

extern "C" fn write_q(cpu: &mut CpuState, value: u64, _: u64, _: u64) -> u64 {
    cpu.q = ((value >> 27) & 1) as u8;
    0
}
/// Sets CPSR.Q to bit 27 of the argument (the `Flag::Q` op only ORs into it).
pub static H_WRITE_Q: Helper = Helper { name: "write_q", f: write_q, may_raise: false };

/// Register number of the SPSR in the banked-register helpers (8–14 are core registers).
const BANKED_SPSR: u32 = 16;

/// Run-time check of the banked-register forms (BankedRegisterAccessValid,
/// SPSRAccessValid): UNPREDICTABLE in User mode and for the current mode's own
/// registers (including User registers that are not banked from the current mode).
fn banked_access_ok(cpu: &CpuState, mode: Mode, reg: u32) -> bool {
    let cur = cpu.current_mode();
    if cur == Mode::Usr || cur == mode {
        return false;
    }
    if mode == Mode::Usr {
        return match reg {
            8..=12 => cur == Mode::Fiq,
            _ => cur != Mode::Sys,
        };
    }
    true
}

fn unpack_banked(a: u64) -> (Mode, u32) {
    (Mode::from_bits((a >> 8) as u32).unwrap_or(Mode::Usr), (a & 0xff) as u32)
}

extern "C" fn mrs_banked(cpu: &mut CpuState, a: u64, _: u64, _: u64) -> u64 {
    let (mode, reg) = unpack_banked(a);
    if !banked_access_ok(cpu, mode, reg) {
        cpu.raise_undefined();
        return 0;
    }
    if reg == BANKED_SPSR {
        cpu.spsr[mode.bank()] as u64
    } else {
        cpu.reg_in_mode(mode, reg as usize) as u64
    }
}
/// MRS Rd, <banked register>: `a` = mode << 8 | register (16 = SPSR).
pub static H_MRS_BANKED: Helper = Helper { name: "mrs_banked", f: mrs_banked, may_raise: true };

extern "C" fn msr_banked(cpu: &mut CpuState, a: u64, value: u64, _: u64) -> u64 {
    let (mode, reg) = unpack_banked(a);
    if !banked_access_ok(cpu, mode, reg) {
        cpu.raise_undefined();
        return 0;
    }
    if reg == BANKED_SPSR {
        cpu.spsr[mode.bank()] = value as u32 & !0x00f0_0000;
    } else {
        cpu.set_reg_in_mode(mode, reg as usize, value as u32);
    }
    0
}
/// MSR <banked register>, Rn: `a` as for `H_MRS_BANKED`.
pub static H_MSR_BANKED: Helper = Helper { name: "msr_banked", f: msr_banked, may_raise: true };

/// CPS argument bits: A/I/F (4/2/1) in bits 2:0, then these; the mode in bits 12:8.
const CPS_ENABLE: u32 = 1 << 3;
const CPS_DISABLE: u32 = 1 << 4;
const CPS_CHANGEMODE: u32 = 1 << 5;

extern "C" fn cps(cpu: &mut CpuState, a: u64, _: u64, _: u64) -> u64 {
    let a = a as u32;
    if !privileged(cpu) {
        return 0; // CPS is a NOP in User mode
    }
    let mut v = cpu.cpsr();
    let aif = (a & 7) << 6; // A, I, F are CPSR bits 8, 7, 6
    if a & CPS_ENABLE != 0 {
        v &= !aif;
    }
    if a & CPS_DISABLE != 0 {
        v |= aif;
    }
    if a & CPS_CHANGEMODE != 0 {
        v = (v & !0x1f) | ((a >> 8) & 0x1f);
    }
    let before = (cpu.mode, cpu.eaif);
    cpu.write_cpsr_by_instr(v, 0xf, false);
    cpu.psr_write_needs_dispatcher(before)
}
/// CPS{IE,ID} / CPS #mode (see the argument bits above).
pub static H_CPS: Helper = Helper { name: "cps", f: cps, may_raise: false };

/// SRS's target mode, or None when the access is UNPREDICTABLE (User/System mode
/// has no SPSR to store; Hyp and Monitor do not exist here; invalid mode numbers).
fn srs_mode(cpu: &CpuState, mode: u64) -> Option<Mode> {
    let m = Mode::from_bits(mode as u32).filter(|&m| m as u32 == mode as u32)?;
    if !cpu.current_mode().has_spsr() || matches!(m, Mode::Hyp | Mode::Mon) {
        return None;
    }
    Some(m)
}

extern "C" fn srs_base(cpu: &mut CpuState, mode: u64, _: u64, _: u64) -> u64 {
    match srs_mode(cpu, mode) {
        Some(m) => cpu.reg_in_mode(m, 13) as u64,
        None => {
            cpu.raise_undefined();
            0
        }
    }
}
/// SRS: the SP of the target mode (the base of the stores).
pub static H_SRS_BASE: Helper = Helper { name: "srs_base", f: srs_base, may_raise: true };

extern "C" fn srs_writeback(cpu: &mut CpuState, mode: u64, value: u64, _: u64) -> u64 {
    if let Some(m) = srs_mode(cpu, mode) {
        cpu.set_reg_in_mode(m, 13, value as u32);
    }
    0
}
/// SRS with writeback: sets the target mode's SP.
pub static H_SRS_WRITEBACK: Helper = Helper { name: "srs_writeback", f: srs_writeback, may_raise: false };

extern "C" fn rfe(cpu: &mut CpuState, pc: u64, psr: u64, _: u64) -> u64 {
    if matches!(cpu.current_mode(), Mode::Usr | Mode::Hyp) {
        cpu.raise_undefined();
        return 0;
    }
    cpu.write_cpsr_by_instr(psr as u32, 0xf, true);
    let pc = pc as u32;
    let pc = if cpu.t != 0 { pc & !1 } else { pc & !3 };
    (pc | cpu.t as u32) as u64
}
/// RFE: CPSR <- the loaded PSR (an exception return), then returns the new PC with
/// bit 0 = the new T bit (for an interworking PC write). UNPREDICTABLE in User mode.
pub static H_RFE: Helper = Helper { name: "rfe", f: rfe, may_raise: true };

extern "C" fn hvc_check(cpu: &mut CpuState, _: u64, _: u64, _: u64) -> u64 {
    if !privileged(cpu) {
        cpu.raise_undefined();
    }
    0
}
/// HVC is UNDEFINED in User mode; at PL1 it goes to the dispatcher (PSCI).
pub static H_HVC_CHECK: Helper = Helper { name: "hvc_check", f: hvc_check, may_raise: true };

/// Packs a coprocessor register access for the helpers: coproc << 16 | SysReg::pack.
fn pack_cp(cp: u32, r: SysReg) -> u32 {
    cp << 16 | r.pack()
}

/// Records what a system register write means for the dispatcher.
fn note_effect(cpu: &mut CpuState, e: SysEffect) {
    match e {
        SysEffect::None | SysEffect::Other => {}
        SysEffect::MmuChanged => {
            cpu.sys_effects |= SYS_MMU;
            cpu.dc_last_va = u32::MAX;
        }
        SysEffect::DCache(va) => {
            let (regs, mmu) = (crate::mem::walk::WalkRegs::of(cpu), cpu.cp15.sctlr_m());
            cpu.dc_record(va, |va| crate::mem::fault::with_active(|st| st.translate_privileged(&regs, mmu, va)).flatten());
        }
        SysEffect::TlbFlush(op) => {
            cpu.dc_last_va = u32::MAX;
            cpu.sys_effects |= SYS_TLB;
            cpu.tlb_op = Some(cpu.tlb_op.map_or(op, |o| o.merge(op)));
        }
        SysEffect::ICacheFlush(_) => cpu.sys_effects |= SYS_ICACHE,
        SysEffect::Timer => cpu.sys_effects |= SYS_TIMER,
        SysEffect::AddressTranslation(req) => {
            cpu.sys_effects |= SYS_ATS;
            cpu.ats = Some(req);
        }
    }
}

extern "C" fn mrc(cpu: &mut CpuState, a: u64, _: u64, _: u64) -> u64 {
    let r = SysReg::unpack(a as u32 & 0xffff);
    let p = privileged(cpu);
    let v = if a >> 16 == 15 {
        let counter = if r.crn == 14 { sys::system_counter() } else { 0 };
        cpu.cp15.read(r, p, counter)
    } else {
        sys::cp14_read(r, p)
    };
    match v {
        Some(v) => v as u64,
        None => {
            cpu.raise_undefined();
            0
        }
    }
}
/// MRC p14/p15: `a` = coproc << 16 | SysReg::pack.
pub static H_MRC: Helper = Helper { name: "mrc", f: mrc, may_raise: true };

extern "C" fn mcr(cpu: &mut CpuState, a: u64, value: u64, _: u64) -> u64 {
    let r = SysReg::unpack(a as u32 & 0xffff);
    let p = privileged(cpu);
    let e = if a >> 16 == 15 {
        let counter = if r.crn == 14 { sys::system_counter() } else { 0 };
        cpu.cp15.write(r, value as u32, p, counter)
    } else {
        sys::cp14_write(r, p)
    };
    match e {
        Some(e) => note_effect(cpu, e),
        None => cpu.raise_undefined(),
    }
    if a >> 16 == 15 && (r.crn, r.opc1, r.crm, r.opc2) == (1, 0, 0, 0) {
        // SCTLR: with the caches turned off or on, stores may have reached memory without maintenance.
        cpu.dc_all = true;
    }
    0
}
/// MCR p14/p15: `a` as for `H_MRC`.
pub static H_MCR: Helper = Helper { name: "mcr", f: mcr, may_raise: true };

extern "C" fn mrrc(cpu: &mut CpuState, a: u64, _: u64, _: u64) -> u64 {
    let (cp, opc1, crm) = ((a >> 16) as u32, ((a >> 4) & 0xf) as u8, (a & 0xf) as u8);
    let v = if cp == 15 { cpu.cp15.read64(opc1, crm, privileged(cpu), sys::system_counter()) } else { None };
    match v {
        Some(v) => v,
        None => {
            cpu.raise_undefined();
            0
        }
    }
}
/// MRRC p14/p15: `a` = coproc << 16 | opc1 << 4 | CRm; returns Rt2:Rt.
pub static H_MRRC: Helper = Helper { name: "mrrc", f: mrrc, may_raise: true };

extern "C" fn mcrr(cpu: &mut CpuState, a: u64, lo: u64, hi: u64) -> u64 {
    let (cp, opc1, crm) = ((a >> 16) as u32, ((a >> 4) & 0xf) as u8, (a & 0xf) as u8);
    let v = (hi << 32) | (lo & 0xffff_ffff);
    let p = privileged(cpu);
    let e = if cp == 15 { cpu.cp15.write64(opc1, crm, v, p) } else { None };
    match e {
        Some(e) => note_effect(cpu, e),
        None => cpu.raise_undefined(),
    }
    0
}
/// MCRR p14/p15: `a` as for `H_MRRC`, then Rt, Rt2.
pub static H_MCRR: Helper = Helper { name: "mcrr", f: mcrr, may_raise: true };

// ----- shared semantics (ARM, T32, T16 decode into these) -----

fn zero(t: &mut Translator) -> Tmp {
    t.konst(0)
}

/// MRS Rd, CPSR / SPSR.
fn mrs(t: &mut Translator, spsr: bool, rd: u8) -> Res {
    let z = zero(t);
    let v = t.call(if spsr { &H_READ_SPSR } else { &H_READ_CPSR }, z, z, z);
    t.set_reg(rd, v);
    Ok(())
}

/// MSR CPSR/SPSR_<mask>, value. Flag-only CPSR writes stay in IR; writes that may
/// change the mode or the interrupt masks go through the helper and end the block.
fn msr(t: &mut Translator, spsr: bool, mask: u32, v: Tmp) -> Res {
    if mask == 0 {
        return Err(Fail::Unpredictable);
    }
    let m = t.konst(mask);
    let z = zero(t);
    if spsr {
        t.call(&H_WRITE_SPSR, v, m, z);
    } else if mask & 3 == 0 {
        if mask & 8 != 0 {
            t.push(Op::SetNZCV { s: v });
            t.call(&H_WRITE_Q, v, z, z);
        }
        if mask & 4 != 0 {
            let ge = t.bini(BinOp::Lsr, v, 16);
            let ge = t.bini(BinOp::And, ge, 0xf);
            t.set_flag(Flag::Ge, ge);
        }
    } else {
        let need = t.call(&H_WRITE_CPSR, v, m, z);
        t.end_block_sys_if(need);
    }
    Ok(())
}

/// The mode and register a banked-register SYSm (R:M:M1) names (B9.2.3), as the
/// helpers' argument. Hyp and Monitor registers are UNDEFINED (no such modes here).
fn banked_arg(r: bool, sysm: u32) -> Result<u32, Fail> {
    let (mode, reg) = if r {
        let mode = match sysm {
            0b01110 => Mode::Fiq,
            0b10000 => Mode::Irq,
            0b10010 => Mode::Svc,
            0b10100 => Mode::Abt,
            0b10110 => Mode::Und,
            0b11100 | 0b11110 => return Err(Fail::Undefined), // SPSR_mon, SPSR_hyp
            _ => return Err(Fail::Unpredictable),
        };
        (mode, BANKED_SPSR)
    } else {
        match sysm {
            0b00000..=0b00110 => (Mode::Usr, 8 + sysm),
            0b01000..=0b01110 => (Mode::Fiq, sysm),
            0b10000..=0b10111 => {
                let mode = [Mode::Irq, Mode::Svc, Mode::Abt, Mode::Und][((sysm >> 1) & 3) as usize];
                (mode, if sysm & 1 != 0 { 13 } else { 14 })
            }
            0b11100..=0b11111 => return Err(Fail::Undefined), // LR/SP_mon, ELR/SP_hyp
            _ => return Err(Fail::Unpredictable),
        }
    };
    Ok((mode as u32) << 8 | reg)
}

/// MRS Rd, <banked register>.
fn mrs_banked_op(t: &mut Translator, r: bool, sysm: u32, rd: u8) -> Res {
    let a = banked_arg(r, sysm)?;
    let a = t.konst(a);
    let z = zero(t);
    let v = t.call(&H_MRS_BANKED, a, z, z);
    t.set_reg(rd, v);
    Ok(())
}

/// MSR <banked register>, Rn.
fn msr_banked_op(t: &mut Translator, r: bool, sysm: u32, rn: u8) -> Res {
    let a = banked_arg(r, sysm)?;
    let a = t.konst(a);
    let v = t.reg(rn);
    let z = zero(t);
    t.call(&H_MSR_BANKED, a, v, z);
    Ok(())
}

/// CPS with the A32/T32 operand checks: imod 10 = enable, 11 = disable.
fn cps_op(t: &mut Translator, imod: u32, m: bool, aif: u32, mode: u32) -> Res {
    if (mode != 0 && !m) || (imod & 2 != 0 && aif == 0) || (imod & 2 == 0 && aif != 0) || imod == 1 || (imod == 0 && !m) {
        return Err(Fail::Unpredictable);
    }
    let mut a = aif;
    if imod == 2 {
        a |= CPS_ENABLE;
    }
    if imod == 3 {
        a |= CPS_DISABLE;
    }
    if m {
        a |= CPS_CHANGEMODE | mode << 8;
    }
    let k = t.konst(a);
    let z = zero(t);
    let need = t.call(&H_CPS, k, z, z);
    t.end_block_sys_if(need);
    Ok(())
}

/// SETEND: only little-endian data is supported.
fn setend(big: bool) -> Res {
    if big {
        Err(Fail::Undefined)
    } else {
        Ok(())
    }
}

/// SRS{DA,DB,IA,IB} SP{!}, #mode: stores LR and SPSR of the current mode on the
/// stack of `mode`. The stores come before the SP writeback (precise faults).
fn srs(t: &mut Translator, p: bool, u: bool, w: bool, mode: u32) -> Res {
    let m = t.konst(mode);
    let z = zero(t);
    let base = t.call(&H_SRS_BASE, m, z, z);
    let lr = t.reg(14);
    let spsr = t.call(&H_READ_SPSR, z, z, z);
    let mut off = if u { 0 } else { 8u32.wrapping_neg() };
    if p == u {
        off = off.wrapping_add(4);
    }
    let a0 = t.bini(BinOp::Add, base, off);
    let a1 = t.bini(BinOp::Add, a0, 4);
    t.store_ex(a0, lr, MemSize::U32, false, true);
    t.store_ex(a1, spsr, MemSize::U32, false, true);
    if w {
        let nb = t.bini(BinOp::Add, base, if u { 8 } else { 8u32.wrapping_neg() });
        t.call(&H_SRS_WRITEBACK, m, nb, z);
    }
    Ok(())
}

/// RFE{DA,DB,IA,IB} Rn{!}: loads PC and CPSR, writes back Rn (in the old mode),
/// then returns from the exception; ends the block.
fn rfe_op(t: &mut Translator, p: bool, u: bool, w: bool, n: u8) -> Res {
    if n == 15 {
        return Err(Fail::Unpredictable);
    }
    let base = t.reg(n);
    let mut off = if u { 0 } else { 8u32.wrapping_neg() };
    if p == u {
        off = off.wrapping_add(4);
    }
    let a0 = t.bini(BinOp::Add, base, off);
    let a1 = t.bini(BinOp::Add, a0, 4);
    let pc = t.load_ex(a0, MemSize::U32, false, true);
    let psr = t.load_ex(a1, MemSize::U32, false, true);
    if w {
        let nb = t.bini(BinOp::Add, base, if u { 8 } else { 8u32.wrapping_neg() });
        t.set_reg(n, nb);
    }
    let z = zero(t);
    let target = t.call(&H_RFE, pc, psr, z);
    // The helper restored T and ITSTATE: write the PC for that state, no SetIt.
    t.push(Op::WritePc { s: target, kind: PcWrite::Interwork });
    t.push(Op::Exit { reason: ExitReason::SysChange });
    t.ended = true;
    Ok(())
}

fn svc(t: &mut Translator) -> Res {
    t.raise(RaiseKind::Svc);
    Ok(())
}

fn hvc(t: &mut Translator) -> Res {
    let z = zero(t);
    t.call(&H_HVC_CHECK, z, z, z);
    t.raise(RaiseKind::Hvc);
    Ok(())
}

fn smc(t: &mut Translator) -> Res {
    t.raise(RaiseKind::Smc);
    Ok(())
}

fn bkpt(t: &mut Translator) -> Res {
    t.raise(RaiseKind::Bkpt);
    Ok(())
}

/// NOP, YIELD, WFE, WFI, SEV, DBG and the reserved hints (which execute as NOPs).
fn hint(t: &mut Translator, op: u32) -> Res {
    match op {
        3 => t.end_block(ExitReason::Wfi),
        // WFE: a uniprocessor has no other agent to send an event, and WFE may
        // complete at any time (Arm ARM B1.8.13): end the block so a pending
        // interrupt is seen, and go on.
        2 => t.end_block(ExitReason::Branch),
        _ => {}
    }
    Ok(())
}

/// DMB (5), DSB (4), ISB (6).
fn barrier(t: &mut Translator, op: u32) -> Res {
    if op == 6 {
        t.end_block(ExitReason::Branch);
    }
    Ok(())
}

/// Whether an MCR to this register needs no block end: registers whose writes
/// neither change how code runs nor concern the dispatcher.
fn mcr_keeps_block(cp: u32, r: SysReg) -> bool {
    if cp == 14 {
        return true;
    }
    matches!(
        (r.crn, r.opc1, r.crm, r.opc2),
        (0, 2, 0, 0)                 // CSSELR
        | (1, 0, 0, 1)               // ACTLR
        | (5, 0, 0 | 1, 0 | 1)       // DFSR, IFSR, ADFSR, AIFSR
        | (6, 0, 0, 0 | 2)           // DFAR, IFAR
        | (7, 0, 4, 0)               // PAR
        | (7, 0, 1 | 5, 6)           // BPIALLIS, BPIALL
        | (7, 0, 5, 7)               // BPIMVA
        | (7, 0, 6 | 10 | 11 | 14, 1 | 2) // data cache maintenance
        | (7, 0, 10, 4 | 5)          // CP15DSB, CP15DMB
        | (9, _, _, _)               // PMU, L2 control
        | (12, 0, 0, 0)              // VBAR (read when an exception is taken)
        | (13, 0, 0, 0 | 2 | 3 | 4)  // FCSEIDR, TPIDRURW, TPIDRURO, TPIDRPRW
        | (14, 0, 0 | 1, 0)          // CNTFRQ, CNTKCTL
        | (15, _, _, _) // implementation defined
    )
}

/// MRC/MCR to CP14/CP15. `cp` is 14 or 15 (the rows fix coproc = 111x).
fn mrc_mcr(t: &mut Translator, read: bool, cp: u32, r: SysReg, rt: u8) -> Res {
    if t.thumb && rt == 13 {
        return Err(Fail::Unpredictable);
    }
    let a = t.konst(pack_cp(cp, r));
    let z = zero(t);
    if read {
        let v = t.call(&H_MRC, a, z, z);
        if rt == 15 {
            // MRC to APSR_nzcv: the flags from bits 31:28.
            t.push(Op::SetNZCV { s: v });
        } else {
            t.set_reg(rt, v);
        }
    } else {
        if rt == 15 {
            return Err(Fail::Unpredictable);
        }
        let v = t.reg(rt);
        t.call(&H_MCR, a, v, z);
        if cp == 15 && (r.crn, r.opc1, r.crm, r.opc2) == (7, 0, 5, 4) {
            t.end_block(ExitReason::Branch); // CP15ISB
        } else if !mcr_keeps_block(cp, r) {
            t.end_block_sys();
        }
    }
    Ok(())
}

/// MRRC/MCRR to CP14/CP15.
fn mrrc_mcrr(t: &mut Translator, read: bool, cp: u32, opc1: u32, crm: u32, rt: u8, rt2: u8) -> Res {
    if rt == 15 || rt2 == 15 || (t.thumb && (rt == 13 || rt2 == 13)) || (read && rt == rt2) {
        return Err(Fail::Unpredictable);
    }
    let a = t.konst(cp << 16 | opc1 << 4 | crm);
    if read {
        let z = zero(t);
        let v = t.call(&H_MRRC, a, z, z);
        let lo = t.un(UnOp::Lo, v);
        let hi = t.un(UnOp::Hi, v);
        t.set_reg(rt, lo);
        t.set_reg(rt2, hi);
    } else {
        let lo = t.reg(rt);
        let hi = t.reg(rt2);
        t.call(&H_MCRR, a, lo, hi);
        t.end_block_sys();
    }
    Ok(())
}

fn coproc(f: &Fields) -> u32 {
    0b1110 | f.get('k')
}

fn sysreg(f: &Fields) -> SysReg {
    SysReg { opc1: f.get('a') as u8, crn: f.get('n') as u8, crm: f.get('m') as u8, opc2: f.get('p') as u8 }
}

// ----- ARM -----

/// The R bit (SPSR rather than CPSR) of the ARM MRS/MSR encodings, bit 22. The
/// CPSR and SPSR forms are separate rows (the SPSR forms are privileged-only).
fn arm_r(f: &Fields) -> bool {
    f.insn & (1 << 22) != 0
}

/// The R bit of the T32 MRS/MSR encodings, bit 4 of the first halfword.
fn t32_r(f: &Fields) -> bool {
    f.insn & (1 << 20) != 0
}

fn arm_mrs(t: &mut Translator, f: Fields) -> Res {
    let rd = f.reg('d');
    if rd == 15 {
        return Err(Fail::Unpredictable);
    }
    mrs(t, arm_r(&f), rd)
}

fn arm_msr_reg(t: &mut Translator, f: Fields) -> Res {
    let rn = f.reg('n');
    if rn == 15 {
        return Err(Fail::Unpredictable);
    }
    let v = t.reg(rn);
    msr(t, arm_r(&f), f.get('k'), v)
}

fn arm_msr_imm(t: &mut Translator, f: Fields) -> Res {
    let (v, _) = super::arm_expand_imm_c(f.get('i'));
    let v = t.konst(v);
    msr(t, arm_r(&f), f.get('k'), v)
}

fn arm_mrs_banked(t: &mut Translator, f: Fields) -> Res {
    let rd = f.reg('d');
    if rd == 15 {
        return Err(Fail::Unpredictable);
    }
    mrs_banked_op(t, f.bit('R'), f.get('M') << 4 | f.get('m'), rd)
}

fn arm_msr_banked(t: &mut Translator, f: Fields) -> Res {
    let rn = f.reg('n');
    if rn == 15 {
        return Err(Fail::Unpredictable);
    }
    msr_banked_op(t, f.bit('R'), f.get('M') << 4 | f.get('m'), rn)
}

fn arm_cps(t: &mut Translator, f: Fields) -> Res {
    let aif = f.get('A') << 2 | f.get('I') << 1 | f.get('F');
    cps_op(t, f.get('q'), f.bit('M'), aif, f.get('m'))
}

fn arm_setend(_: &mut Translator, f: Fields) -> Res {
    setend(f.bit('E'))
}

fn arm_srs(t: &mut Translator, f: Fields) -> Res {
    srs(t, f.bit('P'), f.bit('U'), f.bit('W'), f.get('m'))
}

fn arm_rfe(t: &mut Translator, f: Fields) -> Res {
    rfe_op(t, f.bit('P'), f.bit('U'), f.bit('W'), f.reg('n'))
}

fn arm_svc(t: &mut Translator, _: Fields) -> Res {
    svc(t)
}

/// HVC and BKPT must be unconditional in ARM state (cond != AL is UNPREDICTABLE).
fn arm_always(f: &Fields) -> Res {
    if f.get('c') != 0xe {
        Err(Fail::Unpredictable)
    } else {
        Ok(())
    }
}

fn arm_hvc(t: &mut Translator, f: Fields) -> Res {
    arm_always(&f)?;
    hvc(t)
}

fn arm_smc(t: &mut Translator, _: Fields) -> Res {
    smc(t)
}

fn arm_bkpt(t: &mut Translator, f: Fields) -> Res {
    arm_always(&f)?;
    bkpt(t)
}

fn udf(_: &mut Translator, _: Fields) -> Res {
    Err(Fail::Undefined)
}

fn hint_op(t: &mut Translator, f: Fields) -> Res {
    hint(t, f.get('h'))
}

fn mrc_op(t: &mut Translator, f: Fields) -> Res {
    mrc_mcr(t, true, coproc(&f), sysreg(&f), f.reg('t'))
}

fn mcr_op(t: &mut Translator, f: Fields) -> Res {
    mrc_mcr(t, false, coproc(&f), sysreg(&f), f.reg('t'))
}

fn mrrc_op(t: &mut Translator, f: Fields) -> Res {
    mrrc_mcrr(t, true, coproc(&f), f.get('a'), f.get('m'), f.reg('t'), f.reg('u'))
}

fn mcrr_op(t: &mut Translator, f: Fields) -> Res {
    mrrc_mcrr(t, false, coproc(&f), f.get('a'), f.get('m'), f.reg('t'), f.reg('u'))
}

pub(crate) const ARM: &[Row] = &[
    row!("MRS A1", "cccc 0001 0000 oooo dddd zz0z 0000 zzzz", arm_mrs),
    row!("MRS SPSR A1", "cccc 0001 0100 oooo dddd zz0z 0000 zzzz", arm_mrs),
    row!("MRS (banked register) A1", "cccc 0001 0R00 mmmm dddd zz1M 0000 zzzz", arm_mrs_banked),
    row!("MSR (register) A1", "cccc 0001 0010 kkkk oooo zz0z 0000 nnnn", arm_msr_reg),
    row!("MSR (register) SPSR A1", "cccc 0001 0110 kkkk oooo zz0z 0000 nnnn", arm_msr_reg),
    row!("MSR (banked register) A1", "cccc 0001 0R10 mmmm oooo zz1M 0000 nnnn", arm_msr_banked),
    row!("MSR (immediate) A1", "cccc 0011 0010 kkkk oooo iiii iiii iiii", arm_msr_imm),
    row!("MSR (immediate) SPSR A1", "cccc 0011 0110 kkkk oooo iiii iiii iiii", arm_msr_imm),
    row!("NOP/YIELD/WFE/WFI/SEV/DBG (hints) A1", "cccc 0011 0010 0000 oooo zzzz hhhh hhhh", hint_op),
    row!("CPS A1", "1111 0001 0000 qqM0 zzzz zzzA IF0m mmmm", arm_cps),
    row!("SETEND A1", "1111 0001 0000 0001 zzzz zzEz 0000 zzzz", arm_setend),
    row!("SRS A1", "1111 100P U1W0 oozo zzzz zozo zzzm mmmm", arm_srs),
    row!("RFE A1", "1111 100P U0W1 nnnn zzzz ozoz zzzz zzzz", arm_rfe),
    row!("SVC A1", "cccc 1111 iiii iiii iiii iiii iiii iiii", arm_svc),
    row!("HVC A1", "cccc 0001 0100 iiii iiii iiii 0111 iiii", arm_hvc),
    row!("SMC A1", "cccc 0001 0110 zzzz zzzz zzzz 0111 iiii", arm_smc),
    row!("BKPT A1", "cccc 0001 0010 iiii iiii iiii 0111 iiii", arm_bkpt),
    row!("UDF A1", "cccc 0111 1111 iiii iiii iiii 1111 iiii", udf),
    row!("DSB A1", "1111 0101 0111 oooo oooo zzzz 0100 bbbb", barrier_dsb),
    row!("DMB A1", "1111 0101 0111 oooo oooo zzzz 0101 bbbb", barrier_dmb),
    row!("ISB A1", "1111 0101 0111 oooo oooo zzzz 0110 bbbb", barrier_isb),
    row!("MRC A1", "cccc 1110 aaa1 nnnn tttt 111k ppp1 mmmm", mrc_op),
    row!("MCR A1", "cccc 1110 aaa0 nnnn tttt 111k ppp1 mmmm", mcr_op),
    row!("MRRC A1", "cccc 1100 0101 uuuu tttt 111k aaaa mmmm", mrrc_op),
    row!("MCRR A1", "cccc 1100 0100 uuuu tttt 111k aaaa mmmm", mcrr_op),
];

fn barrier_dsb(t: &mut Translator, _: Fields) -> Res {
    barrier(t, 4)
}
fn barrier_dmb(t: &mut Translator, _: Fields) -> Res {
    barrier(t, 5)
}
fn barrier_isb(t: &mut Translator, _: Fields) -> Res {
    barrier(t, 6)
}

// ----- T32 -----

fn bad_reg(r: u8) -> bool {
    r == 13 || r == 15
}

fn t32_mrs(t: &mut Translator, f: Fields) -> Res {
    let rd = f.reg('d');
    if bad_reg(rd) {
        return Err(Fail::Unpredictable);
    }
    mrs(t, t32_r(&f), rd)
}

fn t32_msr(t: &mut Translator, f: Fields) -> Res {
    let rn = f.reg('n');
    if bad_reg(rn) {
        return Err(Fail::Unpredictable);
    }
    let v = t.reg(rn);
    msr(t, t32_r(&f), f.get('k'), v)
}

fn t32_mrs_banked(t: &mut Translator, f: Fields) -> Res {
    let rd = f.reg('d');
    if bad_reg(rd) {
        return Err(Fail::Unpredictable);
    }
    mrs_banked_op(t, f.bit('R'), f.get('M') << 4 | f.get('m'), rd)
}

fn t32_msr_banked(t: &mut Translator, f: Fields) -> Res {
    let rn = f.reg('n');
    if bad_reg(rn) {
        return Err(Fail::Unpredictable);
    }
    msr_banked_op(t, f.bit('R'), f.get('M') << 4 | f.get('m'), rn)
}

fn t32_cps(t: &mut Translator, f: Fields) -> Res {
    if t.in_it_block() {
        return Err(Fail::Unpredictable);
    }
    arm_cps(t, f)
}

/// SRSDB (T1) and SRSIA (T2), with the ARM encoding's P and U.
fn t32_srs_db(t: &mut Translator, f: Fields) -> Res {
    srs(t, true, false, f.bit('W'), f.get('m'))
}

fn t32_srs_ia(t: &mut Translator, f: Fields) -> Res {
    srs(t, false, true, f.bit('W'), f.get('m'))
}

fn t32_rfe(t: &mut Translator, f: Fields, ia: bool) -> Res {
    if t.in_it_block() && !t.last_in_it_block() {
        return Err(Fail::Unpredictable);
    }
    rfe_op(t, !ia, ia, f.bit('W'), f.reg('n'))
}

fn t32_rfe_db(t: &mut Translator, f: Fields) -> Res {
    t32_rfe(t, f, false)
}

fn t32_rfe_ia(t: &mut Translator, f: Fields) -> Res {
    t32_rfe(t, f, true)
}

fn t32_hvc(t: &mut Translator, _: Fields) -> Res {
    if t.in_it_block() {
        return Err(Fail::Unpredictable);
    }
    hvc(t)
}

fn t32_smc(t: &mut Translator, _: Fields) -> Res {
    if t.in_it_block() && !t.last_in_it_block() {
        return Err(Fail::Unpredictable);
    }
    smc(t)
}

pub(crate) const T32: &[Row] = &[
    row!("MRS T1", "1111 0011 1110 oooo 10z0 dddd zz0z zzzz", t32_mrs),
    row!("MRS SPSR T1", "1111 0011 1111 oooo 10z0 dddd zz0z zzzz", t32_mrs),
    row!("MRS (banked register) T1", "1111 0011 111R mmmm 10z0 dddd zz1M zzzz", t32_mrs_banked),
    row!("MSR (register) T1", "1111 0011 1000 nnnn 10z0 kkkk zz0z zzzz", t32_msr),
    row!("MSR (register) SPSR T1", "1111 0011 1001 nnnn 10z0 kkkk zz0z zzzz", t32_msr),
    row!("MSR (banked register) T1", "1111 0011 100R nnnn 10z0 mmmm zz1M zzzz", t32_msr_banked),
    row!("NOP/YIELD/WFE/WFI/SEV/DBG (hints) T2", "1111 0011 1010 oooo 10z0 z000 hhhh hhhh", hint_op),
    row!("CPS T2", "1111 0011 1010 oooo 10z0 zqqM AIFm mmmm", t32_cps),
    row!("DSB T1", "1111 0011 1011 oooo 10z0 oooo 0100 bbbb", barrier_dsb),
    row!("DMB T1", "1111 0011 1011 oooo 10z0 oooo 0101 bbbb", barrier_dmb),
    row!("ISB T1", "1111 0011 1011 oooo 10z0 oooo 0110 bbbb", barrier_isb),
    row!("SRS T1 (SRSDB)", "1110 1000 00W0 oozo oozz zzzz zzzm mmmm", t32_srs_db),
    row!("SRS T2 (SRSIA)", "1110 1001 10W0 oozo oozz zzzz zzzm mmmm", t32_srs_ia),
    row!("RFE T1 (RFEDB)", "1110 1000 00W1 nnnn oozz zzzz zzzz zzzz", t32_rfe_db),
    row!("RFE T2 (RFEIA)", "1110 1001 10W1 nnnn oozz zzzz zzzz zzzz", t32_rfe_ia),
    row!("HVC T1", "1111 0111 1110 iiii 1000 iiii iiii iiii", t32_hvc),
    row!("SMC T1", "1111 0111 1111 iiii 1000 zzzz zzzz zzzz", t32_smc),
    row!("UDF T2", "1111 0111 1111 iiii 1010 iiii iiii iiii", udf),
    row!("MRC T1", "1110 1110 aaa1 nnnn tttt 111k ppp1 mmmm", mrc_op),
    row!("MCR T1", "1110 1110 aaa0 nnnn tttt 111k ppp1 mmmm", mcr_op),
    row!("MRRC T1", "1110 1100 0101 uuuu tttt 111k aaaa mmmm", mrrc_op),
    row!("MCRR T1", "1110 1100 0100 uuuu tttt 111k aaaa mmmm", mcrr_op),
];

// ----- T16 -----

fn t16_cps(t: &mut Translator, f: Fields) -> Res {
    let aif = f.get('A') << 2 | f.get('I') << 1 | f.get('F');
    if aif == 0 || t.in_it_block() {
        return Err(Fail::Unpredictable);
    }
    cps_op(t, if f.bit('q') { 3 } else { 2 }, false, aif, 0)
}

fn t16_setend(t: &mut Translator, f: Fields) -> Res {
    if t.in_it_block() {
        return Err(Fail::Unpredictable);
    }
    setend(f.bit('E'))
}

fn t16_svc(t: &mut Translator, _: Fields) -> Res {
    svc(t)
}

fn t16_bkpt(t: &mut Translator, _: Fields) -> Res {
    bkpt(t)
}

pub(crate) const T16: &[Row] = &[
    row!("CPS T1", "1011 0110 011q zAIF", t16_cps),
    row!("SETEND T1", "1011 0110 010o Ezzz", t16_setend),
    row!("SVC T1", "1101 1111 iiii iiii", t16_svc),
    row!("UDF T1", "1101 1110 iiii iiii", udf),
    row!("BKPT T1", "1011 1110 iiii iiii", t16_bkpt),
    row!("NOP/YIELD/WFE/WFI/SEV (hints) T1", "1011 1111 hhhh 0000", hint_op),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::check_insn;
    use crate::arm::testutil::{run_arm, run_thumb, CODE, DATA};
    use crate::cpu::{Exception, EAIF_A, EAIF_F, EAIF_I};

    fn svc_cpu() -> CpuState {
        CpuState::new()
    }

    fn user_cpu() -> CpuState {
        let mut c = CpuState::new();
        c.set_cpsr(0x10, 0x1ff);
        c
    }

    fn hw(insn: u32) -> [u16; 2] {
        [(insn >> 16) as u16, insn as u16]
    }

    /// The undefined-instruction exception a run ended with, at `pc`.
    fn assert_undef(c: &CpuState, r: ExitReason, pc: u32) {
        assert_eq!(r, ExitReason::Exception);
        assert_eq!(c.pending, Some(Exception::Undefined));
        assert_eq!(c.pending_return, pc);
        assert_eq!(c.r[15], pc);
        assert_eq!(c.undefined_insns, 1);
    }

    // ----- MRS / MSR -----

    #[test]
    fn mrs_reads_cpsr_without_execution_state() {
        let mut c = svc_cpu();
        (c.n, c.z, c.c, c.v, c.q, c.ge) = (1, 0, 1, 0, 1, 0xa);
        let (r, _) = run_arm(&mut c, &[0xe10f_0000]); // mrs r0, apsr
        assert_eq!(r, ExitReason::Branch);
        assert_eq!(c.r[0], 0xa800_0000 | 0xa << 16 | 0x1d3);
        // Thumb: T reads as 0.
        let mut c = svc_cpu();
        c.eaif = 0;
        run_thumb(&mut c, &hw(0xf3ef_8000));
        assert_eq!(c.r[0], 0x13);
    }

    #[test]
    fn msr_apsr_writes_flags_q_and_ge() {
        let mut c = svc_cpu();
        c.q = 1;
        c.r[2] = 0x5000_0000 | 0x5 << 16;
        run_arm(&mut c, &[0xe128_f002]); // msr APSR_nzcvq, r2
        assert_eq!((c.n, c.z, c.c, c.v, c.q, c.ge), (0, 1, 0, 1, 0, 0));
        run_arm(&mut c, &[0xe124_f002]); // msr APSR_g, r2
        assert_eq!(c.ge, 5);
        c.r[2] = 0xf800_0000 | 0xa << 16;
        run_arm(&mut c, &[0xe12c_f002]); // msr APSR_nzcvqg, r2
        assert_eq!((c.n, c.z, c.c, c.v, c.q, c.ge), (1, 1, 1, 1, 1, 0xa));
        assert_eq!(c.current_mode(), Mode::Svc);
        run_arm(&mut c, &[0xe328_f20f]); // msr CPSR_f, #0xf0000000
        assert_eq!((c.n, c.z, c.c, c.v, c.q), (1, 1, 1, 1, 0));
        // Thumb: msr APSR_nzcvq, r2 keeps the IR path too.
        let mut c = svc_cpu();
        c.r[2] = 0x8800_0000;
        run_thumb(&mut c, &hw(0xf382_8800));
        assert_eq!((c.n, c.z, c.c, c.v, c.q), (1, 0, 0, 0, 1));
    }

    #[test]
    fn msr_cpsr_c_switches_mode_and_banks() {
        let mut c = svc_cpu();
        c.r[13] = 0x5000;
        c.bank_sp[Mode::Irq.bank()] = 0x6000;
        c.r[3] = 0x92; // IRQ mode, I set, F clear
        run_arm(&mut c, &[0xe121_f003, 0xe1a0_000d]); // msr cpsr_c, r3; mov r0, sp
        assert_eq!(c.current_mode(), Mode::Irq);
        assert_eq!(c.r[0], 0x6000);
        assert_eq!(c.eaif & (EAIF_I | EAIF_F), EAIF_I);
        assert_eq!(c.bank_sp[Mode::Svc.bank()], 0x5000);
        // msr cpsr_c, #0xd3 back to SVC, masks set.
        run_arm(&mut c, &[0xe321_f0d3]);
        assert_eq!(c.current_mode(), Mode::Svc);
        assert_eq!(c.r[13], 0x5000);
        assert_eq!(c.eaif & (EAIF_I | EAIF_F), EAIF_I | EAIF_F);
        // Thumb: msr cpsr_c, r3 -> System mode; T stays set.
        let mut c = svc_cpu();
        c.r[3] = 0x1f;
        run_thumb(&mut c, &hw(0xf383_8100));
        assert_eq!((c.current_mode(), c.t), (Mode::Sys, 1));
    }

    #[test]
    fn msr_ignores_monitor_hyp_and_invalid_modes() {
        for m in [0x16u32, 0x1a, 0x15] {
            let mut c = svc_cpu();
            c.r[3] = m;
            run_arm(&mut c, &[0xe121_f003]);
            assert_eq!(c.current_mode(), Mode::Svc, "mode {m:#x}");
            assert_eq!(c.eaif & (EAIF_I | EAIF_F), 0, "masks written");
        }
    }

    #[test]
    fn user_mode_msr_changes_only_flags() {
        let mut c = user_cpu();
        c.r[3] = 0xf00f_01d3; // flags, GE, E?, masks, SVC mode
        run_arm(&mut c, &[0xe12f_f003]); // msr cpsr_fsxc, r3
        assert_eq!(c.current_mode(), Mode::Usr);
        assert_eq!(c.eaif, 0, "masks (and E) unchanged");
        assert_eq!((c.n, c.z, c.c, c.v, c.ge), (1, 1, 1, 1, 0xf));
    }

    #[test]
    fn mrs_msr_spsr() {
        let mut c = svc_cpu();
        c.r[4] = 0xfff0_01d0;
        run_arm(&mut c, &[0xe16f_f004, 0xe14f_1000]); // msr spsr_fsxc, r4; mrs r1, spsr
        assert_eq!(c.spsr[Mode::Svc.bank()], 0xff00_01d0, "bits 23:20 reserved");
        assert_eq!(c.r[1], 0xff00_01d0);
        c.r[4] = 0x13;
        run_arm(&mut c, &[0xe161_f004]);
        assert_eq!(c.spsr[Mode::Svc.bank()], 0xff00_0113);
        run_arm(&mut c, &[0xe362_fc01]); // msr spsr_x, #0x100
        assert_eq!(c.spsr[Mode::Svc.bank()], 0xff00_0113);
        // Thumb msr spsr_fsxc, r4; mrs r1, spsr.
        let mut c = svc_cpu();
        c.r[4] = 0x2000_0010;
        let h = [hw(0xf394_8f00), hw(0xf3ff_8100)].concat();
        run_thumb(&mut c, &h);
        assert_eq!(c.r[1], 0x2000_0010);
    }

    #[test]
    fn spsr_access_without_spsr_is_undefined() {
        let mut c = user_cpu();
        let (r, _) = run_arm(&mut c, &[0xe14f_1000]); // mrs r1, spsr
        assert_undef(&c, r, CODE);
        let mut c = svc_cpu();
        c.set_cpsr(0x1f, 0x1f);
        c.r[4] = 5;
        let (r, _) = run_arm(&mut c, &[0xe1a0_0000, 0xe16f_f004]); // nop; msr spsr_fsxc, r4
        assert_undef(&c, r, CODE + 4);
    }

    #[test]
    fn msr_encoding_checks() {
        assert_eq!(check_insn(0xe120_f002, false, 4, 0).err(), Some(Fail::Unpredictable), "mask 0");
        assert_eq!(check_insn(0xe10f_f000, false, 4, 0).err(), Some(Fail::Unpredictable), "mrs pc");
        assert_eq!(check_insn(0xf3ef_8d00, true, 4, 0).err(), Some(Fail::Unpredictable), "mrs sp (T32)");
        assert_eq!(check_insn(0xf38d_8800, true, 4, 0).err(), Some(Fail::Unpredictable), "msr from sp (T32)");
        assert!(check_insn(0xe128_f002, false, 4, 0).is_ok());
    }

    // ----- banked registers -----

    #[test]
    fn banked_register_reads_and_writes() {
        // mrs r2, sp_irq; mrs r3, lr_fiq... from SVC.
        let mut c = svc_cpu();
        c.bank_sp[Mode::Irq.bank()] = 0x1234;
        c.bank_lr[Mode::Fiq.bank()] = 0x4321;
        c.bank_r8_12[1][0] = 0x88;
        c.spsr[Mode::Irq.bank()] = 0x1d2;
        // mrs r2, SP_irq; mrs r4, LR_fiq (e10e4200); mrs r5, R8_fiq (e1085200); mrs r6, SPSR_irq
        run_arm(&mut c, &[0xe101_2300, 0xe10e_4200, 0xe108_5200, 0xe140_6300]);
        assert_eq!((c.r[2], c.r[4], c.r[5], c.r[6]), (0x1234, 0x4321, 0x88, 0x1d2));
        // msr SP_usr, r3; msr SPSR_irq, r3
        c.r[3] = 0x00f0_0077;
        run_arm(&mut c, &[0xe125_f203, 0xe160_f303]);
        assert_eq!(c.bank_sp[0], 0x00f0_0077);
        assert_eq!(c.spsr[Mode::Irq.bank()], 0x77);
        // From FIQ: r8_usr is the user copy.
        let mut c = svc_cpu();
        c.r[8] = 0x800;
        c.switch_mode(Mode::Fiq);
        c.r[8] = 0xf8;
        run_arm(&mut c, &[0xe100_2200]); // mrs r2, R8_usr
        assert_eq!(c.r[2], 0x800);
        // Thumb: mrs r2, SP_irq; mrs r2, SPSR_svc from IRQ; msr SP_usr, r3.
        let mut c = svc_cpu();
        c.bank_sp[Mode::Irq.bank()] = 0x99;
        run_thumb(&mut c, &hw(0xf3e1_8230));
        assert_eq!(c.r[2], 0x99);
        c.switch_mode(Mode::Irq);
        c.spsr[Mode::Svc.bank()] = 0x1f3;
        c.r[3] = 0x700;
        run_thumb(&mut c, &[hw(0xf3f2_8230), hw(0xf383_8520)].concat());
        assert_eq!((c.r[2], c.bank_sp[0]), (0x1f3, 0x700));
    }

    #[test]
    fn banked_register_unpredictable_cases() {
        // Own mode's register (SP_svc from SVC), User mode, r8_usr from a non-FIQ mode.
        for (cpu, insn) in [(svc_cpu(), 0xe103_2300u32), (user_cpu(), 0xe101_2300), (svc_cpu(), 0xe100_2200)] {
            let mut c = cpu;
            let (r, _) = run_arm(&mut c, &[insn]);
            assert_undef(&c, r, CODE);
        }
        // SP_usr from System mode (the same registers).
        let mut c = svc_cpu();
        c.switch_mode(Mode::Sys);
        let (r, _) = run_arm(&mut c, &[0xe105_2200]);
        assert_undef(&c, r, CODE);
        // Hyp and Monitor registers do not exist here; reserved SYSm values.
        assert_eq!(check_insn(0xe10e_2300, false, 4, 0).err(), Some(Fail::Undefined), "ELR_hyp");
        assert_eq!(check_insn(0xe10d_2300, false, 4, 0).err(), Some(Fail::Undefined), "SP_mon");
        assert_eq!(check_insn(0xe14c_2300, false, 4, 0).err(), Some(Fail::Undefined), "SPSR_mon");
        assert_eq!(check_insn(0xe107_2200, false, 4, 0).err(), Some(Fail::Unpredictable), "SYSm 00111");
        assert_eq!(check_insn(0xe140_2200, false, 4, 0).err(), Some(Fail::Unpredictable), "SPSR SYSm 00000");
    }

    // ----- CPS, SETEND -----

    #[test]
    fn cps_masks_and_mode() {
        let mut c = svc_cpu();
        run_arm(&mut c, &[0xf108_0080]); // cpsie i
        assert_eq!(c.eaif, EAIF_A | EAIF_F);
        run_arm(&mut c, &[0xf10c_01c0]); // cpsid aif
        assert_eq!(c.eaif, EAIF_A | EAIF_I | EAIF_F);
        c.r[13] = 0x100;
        run_arm(&mut c, &[0xf102_001f]); // cps #0x1f
        assert_eq!((c.current_mode(), c.r[13]), (Mode::Sys, 0));
        run_arm(&mut c, &[0xf10e_00d3]); // cpsid if, #0x13
        assert_eq!((c.current_mode(), c.r[13]), (Mode::Svc, 0x100));
        // Flags are untouched.
        c.n = 1;
        run_arm(&mut c, &[0xf108_0040]); // cpsie f
        assert_eq!((c.n, c.eaif), (1, EAIF_A | EAIF_I));
        // Thumb: cpsie i; cpsid aif; cpsid if, #0x13 from System.
        let mut c = svc_cpu();
        run_thumb(&mut c, &[0xb662]);
        assert_eq!(c.eaif, EAIF_A | EAIF_F);
        run_thumb(&mut c, &[0xb677]);
        assert_eq!(c.eaif, EAIF_A | EAIF_I | EAIF_F);
        c.switch_mode(Mode::Sys);
        c.eaif = 0;
        run_thumb(&mut c, &hw(0xf3af_8773));
        assert_eq!((c.current_mode(), c.eaif, c.t), (Mode::Svc, EAIF_I | EAIF_F, 1));
    }

    #[test]
    fn cps_is_a_nop_in_user_mode() {
        let mut c = user_cpu();
        let (r, _) = run_arm(&mut c, &[0xf102_0013, 0xf10c_01c0]); // cps #0x13; cpsid aif
        assert_eq!(r, ExitReason::Branch);
        assert_eq!((c.current_mode(), c.eaif), (Mode::Usr, 0));
    }

    #[test]
    fn cps_encoding_checks() {
        assert_eq!(check_insn(0xf10a_0090, false, 4, 0).err(), None, "cpsie i, #0x10");
        assert_eq!(check_insn(0xf100_0000, false, 4, 0).err(), Some(Fail::Unpredictable), "imod 00, M 0");
        assert_eq!(check_insn(0xf104_0080, false, 4, 0).err(), Some(Fail::Unpredictable), "imod 01");
        assert_eq!(check_insn(0xf108_0000, false, 4, 0).err(), Some(Fail::Unpredictable), "cpsie with no flags");
        assert_eq!(check_insn(0xf100_0013, false, 4, 0).err(), Some(Fail::Unpredictable), "mode without M");
        assert_eq!(check_insn(0xb660, true, 2, 0).err(), Some(Fail::Unpredictable), "T16 with no flags");
        assert_eq!(check_insn(0xb662, true, 2, 0x08).err(), Some(Fail::Unpredictable), "T16 in an IT block");
    }

    #[test]
    fn setend() {
        let mut c = svc_cpu();
        let (r, _) = run_arm(&mut c, &[0xf101_0000]); // setend le
        assert_eq!(r, ExitReason::Branch);
        let (r, _) = run_arm(&mut c, &[0xf101_0200]); // setend be
        assert_undef(&c, r, CODE);
        let mut c = svc_cpu();
        assert_eq!(run_thumb(&mut c, &[0xb650]).0, ExitReason::Branch);
        let (r, _) = run_thumb(&mut c, &[0xb658]);
        assert_undef(&c, r, CODE);
    }

    // ----- SRS, RFE -----

    #[test]
    fn srs_stores_lr_and_spsr_on_the_target_stack() {
        // srsdb sp!, #0x13 from SVC.
        let mut c = svc_cpu();
        c.r[13] = DATA + 0x100;
        c.r[14] = 0x1234_5679;
        c.spsr[Mode::Svc.bank()] = 0x6000_01d3;
        let (_, mem) = run_arm(&mut c, &[0xf96d_0513]);
        assert_eq!((mem.read_u32(DATA + 0xf8), mem.read_u32(DATA + 0xfc)), (0x1234_5679, 0x6000_01d3));
        assert_eq!(c.r[13], DATA + 0xf8);
        // srsia sp, #0x13 from IRQ: the SVC stack, no writeback; IRQ's SP untouched.
        let mut c = svc_cpu();
        c.r[13] = DATA + 0x200;
        c.switch_mode(Mode::Irq);
        c.r[13] = 0x4444;
        c.r[14] = 0x10;
        c.spsr[Mode::Irq.bank()] = 0x1f;
        let (_, mem) = run_arm(&mut c, &[0xf8cd_0513]);
        assert_eq!((mem.read_u32(DATA + 0x200), mem.read_u32(DATA + 0x204)), (0x10, 0x1f));
        assert_eq!((c.r[13], c.bank_sp[Mode::Svc.bank()]), (0x4444, DATA + 0x200));
        // srsda / srsib with writeback.
        let mut c = svc_cpu();
        c.r[13] = DATA + 0x100;
        let (_, mem) = run_arm(&mut c, &[0xf84d_0513]); // srsda sp, #19 (no writeback)
        c.r[14] = 7;
        let _ = mem;
        let (_, mem) = run_arm(&mut c, &[0xf9ed_0513]); // srsib sp!, #19
        assert_eq!(mem.read_u32(DATA + 0x104), 7);
        assert_eq!(c.r[13], DATA + 0x108);
        // Thumb srsdb sp!, #0x13.
        let mut c = svc_cpu();
        c.r[13] = DATA + 0x100;
        c.r[14] = 0x55;
        c.spsr[Mode::Svc.bank()] = 0x33;
        let (_, mem) = run_thumb(&mut c, &hw(0xe82d_c013));
        assert_eq!((mem.read_u32(DATA + 0xf8), mem.read_u32(DATA + 0xfc), c.r[13]), (0x55, 0x33, DATA + 0xf8));
    }

    #[test]
    fn srs_faults_precisely_and_is_undefined_in_user_mode() {
        let mut c = svc_cpu();
        c.r[13] = 0xffff_0000; // outside FlatMem
        let (r, _) = run_arm(&mut c, &[0xf96d_0513]);
        assert_eq!((r, c.pending), (ExitReason::Exception, Some(Exception::DataAbort)));
        assert_eq!(c.r[13], 0xffff_0000, "no writeback before the stores");
        let mut c = user_cpu();
        let (r, _) = run_arm(&mut c, &[0xf96d_0513]);
        assert_undef(&c, r, CODE);
    }

    #[test]
    fn rfe_returns_to_loaded_pc_and_cpsr() {
        // rfeia r0 from SVC into User mode with N V set.
        let mut c = svc_cpu();
        c.r[0] = DATA;
        let mut mem_words = [0xe1a0_0000u32; 4];
        mem_words[0] = 0xf890_0a00;
        let target = CODE + 0x40;
        let mut cpu_mem = crate::arm::testutil::FlatMem::new(0, 0x10000);
        for (i, w) in mem_words.iter().enumerate() {
            cpu_mem.write_u32(CODE + 4 * i as u32, *w);
        }
        cpu_mem.write_u32(DATA, target);
        cpu_mem.write_u32(DATA + 4, 0x9000_0010);
        c.r[15] = CODE;
        let r = crate::arm::testutil::run_until(&mut c, &mut cpu_mem, target, 10);
        assert_eq!(r, ExitReason::Branch);
        assert_eq!((c.r[15], c.current_mode(), c.n, c.v, c.eaif), (target, Mode::Usr, 1, 1, 0));
        // rfedb r1! into Thumb with an IT state; r1 written back in the old mode.
        let mut c = svc_cpu();
        c.r[1] = DATA + 8;
        cpu_mem.write_u32(CODE, 0xf931_0a00);
        cpu_mem.write_u32(DATA, target | 1);
        cpu_mem.write_u32(DATA + 4, 0x0600_0030 | 0x1f); // IT[1:0] = 11, T, System
        c.r[15] = CODE;
        crate::arm::testutil::run_until(&mut c, &mut cpu_mem, target, 1);
        assert_eq!((c.r[15], c.t, c.it & 3, c.current_mode()), (target, 1, 3, Mode::Sys));
        assert_eq!(c.r[1], DATA, "System shares User's r1: written back before the switch");
        // User mode: UNPREDICTABLE, Undefined here.
        let mut c = user_cpu();
        c.r[0] = DATA;
        cpu_mem.write_u32(CODE, 0xf890_0a00);
        c.r[15] = CODE;
        let r = crate::arm::testutil::run_until(&mut c, &mut cpu_mem, target, 1);
        assert_undef(&c, r, CODE);
    }

    #[test]
    fn rfe_thumb() {
        // rfeia r0 (T32) back to ARM state in SVC mode.
        let mut c = svc_cpu();
        c.r[0] = DATA;
        let mut mem = crate::arm::testutil::FlatMem::new(0, 0x10000);
        mem.write_bytes(CODE, &[0x90, 0xe9, 0x00, 0xc0]);
        mem.write_u32(DATA, CODE + 0x102); // misaligned for ARM: aligned down
        mem.write_u32(DATA + 4, 0x4000_01d3);
        c.r[15] = CODE;
        c.t = 1;
        crate::arm::testutil::run_until(&mut c, &mut mem, CODE + 0x100, 1);
        assert_eq!((c.r[15], c.t, c.z, c.current_mode()), (CODE + 0x100, 0, 1, Mode::Svc));
        assert_eq!(check_insn(0xe990_c000, true, 4, 0x04).err(), Some(Fail::Unpredictable), "in IT, not last");
        assert_eq!(check_insn(0xf89f_0a00, false, 4, 0).err(), Some(Fail::Unpredictable), "rfe pc");
    }

    // ----- exception-generating instructions -----

    #[test]
    fn svc_hvc_smc_bkpt_udf() {
        let mut c = svc_cpu();
        let (r, _) = run_arm(&mut c, &[0xef12_3456]);
        assert_eq!((r, c.pending, c.pending_return), (ExitReason::Exception, Some(Exception::Svc), CODE + 4));
        let mut c = svc_cpu();
        let (r, _) = run_arm(&mut c, &[0xe141_2374]); // hvc
        assert_eq!((r, c.r[15]), (ExitReason::Hvc, CODE));
        let mut c = user_cpu();
        let (r, _) = run_arm(&mut c, &[0xe141_2374]);
        assert_undef(&c, r, CODE);
        let mut c = svc_cpu();
        assert_eq!(run_arm(&mut c, &[0xe160_0075]).0, ExitReason::Smc);
        let mut c = svc_cpu();
        assert_eq!(run_arm(&mut c, &[0xe121_2374]).0, ExitReason::Bkpt);
        let mut c = svc_cpu();
        let (r, _) = run_arm(&mut c, &[0xe7fa_bcfd]); // udf
        assert_undef(&c, r, CODE);
        // Conditional SVC that fails: falls through.
        let mut c = svc_cpu();
        c.z = 1;
        assert_eq!(run_arm(&mut c, &[0x1f00_0000]).0, ExitReason::Branch);
        assert_eq!(check_insn(0x1141_2374, false, 4, 0).err(), Some(Fail::Unpredictable), "hvcne");
        assert_eq!(check_insn(0x1121_2374, false, 4, 0).err(), Some(Fail::Unpredictable), "bkptne");
        assert_eq!(check_insn(0x17fa_bcfd, false, 4, 0).err(), Some(Fail::Undefined), "udf with cond");
    }

    #[test]
    fn exception_generating_thumb() {
        let mut c = svc_cpu();
        let (r, _) = run_thumb(&mut c, &[0xdf12]); // svc 18
        assert_eq!((r, c.pending, c.pending_return), (ExitReason::Exception, Some(Exception::Svc), CODE + 2));
        let mut c = svc_cpu();
        let (r, _) = run_thumb(&mut c, &[0xdeab]); // udf
        assert_undef(&c, r, CODE);
        let mut c = svc_cpu();
        let (r, _) = run_thumb(&mut c, &hw(0xf7fa_abcd)); // udf.w
        assert_undef(&c, r, CODE);
        let mut c = svc_cpu();
        assert_eq!(run_thumb(&mut c, &[0xbe12]).0, ExitReason::Bkpt);
        let mut c = svc_cpu();
        assert_eq!(run_thumb(&mut c, &hw(0xf7e1_8234)).0, ExitReason::Hvc);
        let mut c = svc_cpu();
        assert_eq!(run_thumb(&mut c, &hw(0xf7f5_8000)).0, ExitReason::Smc);
        assert_eq!(check_insn(0xf7e1_8234, true, 4, 0x08).err(), Some(Fail::Unpredictable), "hvc in IT");
    }

    // ----- coprocessor transfers -----

    #[test]
    fn mrc_mcr_cp15() {
        let mut c = svc_cpu();
        run_arm(&mut c, &[0xee11_0f10]); // mrc SCTLR
        assert_eq!(c.r[0], 0x00c5_0078);
        c.r[0] = 0x00c5_007d;
        let (r, _) = run_arm(&mut c, &[0xee01_0f10]); // mcr SCTLR
        assert_eq!(r, ExitReason::Branch);
        assert_eq!(c.cp15.sctlr, 0x00c5_007d);
        assert_eq!(c.sys_effects, SYS_MMU);
        c.sys_effects = 0;
        c.r[0] = 0x1234_5042;
        run_arm(&mut c, &[0xee08_0f37]); // TLBIMVA
        assert_eq!((c.sys_effects, c.tlb_op), (SYS_TLB, Some(sys::TlbOp::Mva { va: 0x1234_5000, asid: 0x42 })));
        run_arm(&mut c, &[0xee07_0f15]); // ICIALLU
        assert_eq!(c.sys_effects, SYS_TLB | SYS_ICACHE);
        c.r[0] = 0x9001_abc4;
        run_arm(&mut c, &[0xee07_0f18]); // ATS1CPR
        assert_eq!(c.sys_effects & SYS_ATS, SYS_ATS);
        assert_eq!(c.ats, Some(sys::AtsRequest { va: 0x9001_abc4, user: false, write: false }));
        // Thumb mrc/mcr.
        let mut c = svc_cpu();
        c.r[0] = 0xcafe;
        run_thumb(&mut c, &[hw(0xee01_0f10), hw(0xee11_0f10)].concat());
        assert_eq!(c.r[0], 0x00c5_0058 | (0xcafe & 0x7038_7c27));
    }

    #[test]
    fn mcr_block_ends() {
        use crate::ir::Op;
        let ends = |insn: u32| check_insn(insn, false, 4, 0).unwrap().iter().any(|op| matches!(op, Op::Exit { .. } | Op::ExitTo { .. }));
        assert!(ends(0xee01_0f10), "SCTLR");
        assert!(ends(0xee08_0f37), "TLBIMVA");
        assert!(ends(0xee0e_0f12), "CNTP_TVAL");
        assert!(ends(0xee07_0f95), "CP15ISB");
        assert!(ends(0xee07_0f18), "ATS1CPR: the dispatcher fills PAR");
        assert!(!ends(0xee0d_0f90), "TPIDRPRW");
        assert!(!ends(0xee1e_0f32), "MRC CNTP_CTL");
        assert!(!ends(0xf57f_f05b), "DMB");
        assert!(ends(0xf57f_f06f), "ISB");
        assert!(ends(0xe320_f003), "WFI");
        assert!(!ends(0xe320_f001), "YIELD");
    }

    #[test]
    fn user_mode_cp15_access() {
        let mut c = user_cpu();
        c.cp15.tpidruro = 0x5566;
        c.r[1] = 0xabab;
        run_arm(&mut c, &[0xee1d_1f70]); // mrc TPIDRURO -> r1
        assert_eq!(c.r[1], 0x5566);
        let mut c = user_cpu();
        c.r[0] = 0xabab;
        let (r, _) = run_arm(&mut c, &[0xe1a0_0000, 0xee11_0f10]); // nop; mrc SCTLR
        assert_undef(&c, r, CODE + 4);
        assert_eq!(c.r[0], 0xabab, "destination untouched");
        let mut c = user_cpu();
        let (r, _) = run_arm(&mut c, &[0xee0d_0f70]); // mcr TPIDRURO
        assert_undef(&c, r, CODE);
        // Thumb: the undefined MRC reports the instruction's own address.
        let mut c = user_cpu();
        let (r, _) = run_thumb(&mut c, &[[0xbf00].as_slice(), &hw(0xee11_0f10)].concat());
        assert_undef(&c, r, CODE + 2);
    }

    #[test]
    fn cp14_debug_and_other_coprocessors() {
        let mut c = svc_cpu();
        c.r[1] = 0xffff;
        (c.n, c.z, c.c, c.v) = (1, 1, 1, 1);
        run_arm(&mut c, &[0xee10_1e10, 0xee10_fe11]); // mrc p14 DBGDIDR; mrc p14 APSR_nzcv, DBGDSCRint
        assert_eq!((c.r[1], c.n, c.z, c.c, c.v), (0, 0, 0, 0, 0));
        // Coprocessors other than 10, 11, 14, 15 and the "2" forms: UNDEFINED.
        assert_eq!(check_insn(0xee10_0510, false, 4, 0).err(), Some(Fail::Undefined), "mrc p5");
        assert!(crate::arm::decode_arm(0xfe11_0f10).is_none(), "mrc2");
        assert!(crate::arm::decode_arm(0xee02_1f83).is_none(), "cdp p15");
        assert_eq!(check_insn(0xee10_0f10, false, 4, 0).map(|_| ()), Ok(()), "MIDR");
        assert_eq!(check_insn(0xee00_ff10, false, 4, 0).err(), Some(Fail::Unpredictable), "mcr from pc");
        assert_eq!(check_insn(0xee11_df10, true, 4, 0).err(), Some(Fail::Unpredictable), "mrc to sp (T32)");
    }

    #[test]
    fn generic_timer_via_mrrc_mcrr() {
        let mut c = svc_cpu();
        let before = sys::system_counter();
        run_arm(&mut c, &[0xec51_0f1e]); // mrrc p15, 1, r0, r1, c14 (CNTVCT)
        let after = sys::system_counter();
        let v = (c.r[1] as u64) << 32 | c.r[0] as u64;
        assert!(before <= v && v <= after, "{before} {v} {after}");
        c.r[0] = 0x89ab_cdef;
        c.r[1] = 0x1;
        run_arm(&mut c, &[0xec41_0f2e]); // mcrr CNTP_CVAL
        assert_eq!(c.cp15.cntp_cval, 0x1_89ab_cdef);
        assert_eq!(c.sys_effects, SYS_TIMER);
        // User mode without CNTKCTL.PL0VCTEN: UNDEFINED; with it: readable (the vDSO's path).
        let mut c = user_cpu();
        let (r, _) = run_arm(&mut c, &[0xec51_0f1e]);
        assert_undef(&c, r, CODE);
        let mut c = user_cpu();
        c.cp15.cntkctl = 2;
        let (r, _) = run_thumb(&mut c, &hw(0xec51_0f1e));
        assert_eq!(r, ExitReason::Branch);
        assert_eq!(check_insn(0xec50_0f1e, false, 4, 0).err(), Some(Fail::Unpredictable), "mrrc rt == rt2");
    }

    // ----- barriers and hints -----

    #[test]
    fn barriers_and_hints() {
        let mut c = svc_cpu();
        // dmb ish; dsb sy; isb sy; nop; yield; sev; dbg #5
        let (r, _) = run_arm(&mut c, &[0xf57f_f05b, 0xf57f_f04f, 0xf57f_f06f, 0xe320_f000, 0xe320_f001, 0xe320_f004, 0xe320_f0f5]);
        assert_eq!(r, ExitReason::Branch);
        let mut c = svc_cpu();
        let (r, _) = run_arm(&mut c, &[0xe320_f003]); // wfi
        assert_eq!((r, c.r[15]), (ExitReason::Wfi, CODE + 4));
        let mut c = svc_cpu();
        let (r, _) = run_arm(&mut c, &[0xe320_f002]); // wfe
        assert_eq!((r, c.r[15]), (ExitReason::Branch, CODE + 4));
        let mut c = svc_cpu();
        let (r, _) = run_thumb(&mut c, &[0xbf00, 0xbf10, 0xbf40, 0xf3bf, 0x8f5b, 0xf3bf, 0x8f6f, 0xf3af, 0x8000]);
        assert_eq!(r, ExitReason::Branch);
        let mut c = svc_cpu();
        let (r, _) = run_thumb(&mut c, &[0xbf30]);
        assert_eq!((r, c.r[15]), (ExitReason::Wfi, CODE + 2));
        let mut c = svc_cpu();
        let (r, _) = run_thumb(&mut c, &hw(0xf3af_8002));
        assert_eq!((r, c.r[15]), (ExitReason::Branch, CODE + 4));
    }
}
