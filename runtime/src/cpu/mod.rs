//! The guest CPU's architectural state (`CpuState`), processor modes, banked
//! registers, PSRs and exception entry (Arm ARM B1.3, B1.8, B1.9).
//!
//! `CpuState` is `#[repr(C)]`: translated code reads and writes it at fixed
//! offsets. `r[0..16]` always holds the registers of the *current* mode; the other
//! modes' banked copies live in `bank_*` and are swapped on every mode change.

pub mod psr;

pub use psr::*;

use crate::sys::{AtsRequest, Cp15, TlbOp};

/// Processor modes (CPSR.M), Arm ARM B1.3.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Usr = 0x10,
    Fiq = 0x11,
    Irq = 0x12,
    Svc = 0x13,
    Mon = 0x16,
    Abt = 0x17,
    Hyp = 0x1a,
    Und = 0x1b,
    Sys = 0x1f,
}

impl Mode {
    pub fn from_bits(m: u32) -> Option<Mode> {
        Some(match m & 0x1f {
            0x10 => Mode::Usr,
            0x11 => Mode::Fiq,
            0x12 => Mode::Irq,
            0x13 => Mode::Svc,
            0x16 => Mode::Mon,
            0x17 => Mode::Abt,
            0x1a => Mode::Hyp,
            0x1b => Mode::Und,
            0x1f => Mode::Sys,
            _ => return None,
        })
    }

    /// Index into the banked SP/LR/SPSR arrays. User and System share bank 0.
    pub fn bank(self) -> usize {
        match self {
            Mode::Usr | Mode::Sys => 0,
            Mode::Fiq => 1,
            Mode::Irq => 2,
            Mode::Svc => 3,
            Mode::Abt => 4,
            Mode::Und => 5,
            Mode::Mon => 6,
            Mode::Hyp => 7,
        }
    }

    pub fn is_privileged(self) -> bool {
        self != Mode::Usr
    }

    pub fn has_spsr(self) -> bool {
        !matches!(self, Mode::Usr | Mode::Sys)
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Usr => "usr",
            Mode::Fiq => "fiq",
            Mode::Irq => "irq",
            Mode::Svc => "svc",
            Mode::Mon => "mon",
            Mode::Abt => "abt",
            Mode::Hyp => "hyp",
            Mode::Und => "und",
            Mode::Sys => "sys",
        }
    }
}

/// The exceptions of Arm ARM B1.8, with what the dispatcher needs to take them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    Reset,
    Undefined,
    Svc,
    PrefetchAbort,
    DataAbort,
    Irq,
    Fiq,
}

impl Exception {
    fn vector_offset(self) -> u32 {
        match self {
            Exception::Reset => 0x00,
            Exception::Undefined => 0x04,
            Exception::Svc => 0x08,
            Exception::PrefetchAbort => 0x0c,
            Exception::DataAbort => 0x10,
            Exception::Irq => 0x18,
            Exception::Fiq => 0x1c,
        }
    }
    fn target_mode(self) -> Mode {
        match self {
            Exception::Reset | Exception::Svc => Mode::Svc,
            Exception::Undefined => Mode::Und,
            Exception::PrefetchAbort | Exception::DataAbort => Mode::Abt,
            Exception::Irq => Mode::Irq,
            Exception::Fiq => Mode::Fiq,
        }
    }
}

/// Why a block (or the interpreter) handed control back to the dispatcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u32)]
pub enum ExitReason {
    /// Normal block end: PC (and T) hold the next instruction.
    #[default]
    Branch = 0,
    /// System state changed (mode, MMU, CP15...): re-evaluate before going on.
    SysChange = 1,
    /// An exception must be taken; `CpuState::pending` says which.
    Exception = 2,
    /// WFI/WFE: wait for an interrupt.
    Wfi = 3,
    /// HVC: hypervisor call (PSCI conduit), `r[15]` is the HVC's own address.
    Hvc = 4,
    /// SMC: secure monitor call.
    Smc = 5,
    /// BKPT: debug breakpoint, `r[15]` is the BKPT's address.
    Bkpt = 6,
}

/// `CpuState::sys_effects`: instruction-cache maintenance happened.
pub const SYS_ICACHE: u32 = 1 << 0;
/// TLB maintenance happened.
pub const SYS_TLB: u32 = 1 << 1;
/// The translation regime changed (SCTLR, TTBRs, TTBCR, DACR, CONTEXTIDR).
pub const SYS_MMU: u32 = 1 << 2;
/// A generic timer register changed (CNTP_*/CNTV_*): re-evaluate timer interrupts.
pub const SYS_TIMER: u32 = 1 << 3;
/// An address translation operation (ATS*) waits in `CpuState::ats`: the
/// dispatcher walks the tables and calls `Cp15::complete_ats` before going on.
pub const SYS_ATS: u32 = 1 << 4;

/// The guest CPU. See the module documentation for the layout rules.
#[repr(C)]
pub struct CpuState {
    /// r0–r15 of the current mode. During a block, r15 holds the address of the
    /// block's first instruction; blocks write the next PC before they exit.
    pub r: [u32; 16],
    /// NZCV flags, one byte each, 0 or 1.
    pub n: u8,
    pub z: u8,
    pub c: u8,
    pub v: u8,
    /// Sticky saturation flag (0/1).
    pub q: u8,
    /// GE[3:0] of the parallel add/subtract instructions.
    pub ge: u8,
    /// ITSTATE (Thumb IT blocks), the 8-bit value of Arm ARM A2.5.2.
    pub it: u8,
    /// Thumb state bit (0/1).
    pub t: u8,
    /// CPSR.E (big-endian data), CPSR.A/I/F masks, as bits E=0x8 A=0x4 I=0x2 F=0x1.
    pub eaif: u8,
    /// CPSR.M as a raw 5-bit value (always a valid `Mode`).
    pub mode: u8,
    /// The interrupt controller's IRQ output as the dispatcher last saw it (1: asserted): lets an
    /// MSR/CPS that unmasks IRQs go on without the dispatcher when nothing is pending.
    pub irq_line: u8,
    pub _pad0: u8,
    /// Compiled code's record of the guest access (or helper call) it is making: the
    /// instruction's offset from the start of the block that is running (`ChainCtx::cur_pc0`).
    /// The code stores this immediate instead of computing the instruction's PC into r15; the
    /// dispatcher forms r15 from it when the code leaves with EXIT_RETRY (backend.rs).
    pub pc_off: u32,
    /// Host address added to a guest address for a direct access (the current
    /// view's shadow region); 0 when the software path must be used.
    pub mem_base: u64,
    /// VFP registers d0–d31 (s0–s31 alias d0–d15, little-endian halves).
    pub d: [u64; 32],
    pub fpscr: u32,
    pub fpexc: u32,
    /// Banked r8–r12: [0] user/other modes, [1] FIQ.
    pub bank_r8_12: [[u32; 5]; 2],
    /// Banked SP and LR by `Mode::bank()`.
    pub bank_sp: [u32; 8],
    pub bank_lr: [u32; 8],
    /// SPSRs by `Mode::bank()` (index 0 unused).
    pub spsr: [u32; 8],
    /// Exclusive monitor (LDREX/STREX): address and whether it is open.
    pub excl_addr: u32,
    pub excl_valid: u32,
    /// Exception the dispatcher must take (valid when a block exits with `ExitReason::Exception`).
    pub pending: Option<Exception>,
    /// Preferred return address of the pending exception (Arm ARM B1.8.3).
    pub pending_return: u32,
    /// Guest instructions retired (approximate inside blocks, exact at block ends).
    pub insns: u64,
    /// Undefined instructions encountered (stats).
    pub undefined_insns: u64,
    /// System effects requested by helpers (`SYS_*` bits), handled by the
    /// dispatcher when the block exits.
    pub sys_effects: u32,
    /// With `SYS_TLB`: what the TLB maintenance named (several operations before the
    /// dispatcher looked are merged, at worst into `TlbOp::All`). The dispatcher takes it.
    pub tlb_op: Option<TlbOp>,
    /// With `SYS_ATS`: the address translation operation to perform. The dispatcher takes it.
    pub ats: Option<AtsRequest>,
    /// CP15 system control registers.
    pub cp15: Cp15,
    /// Address of `arm::helpers::HELPERS`: compiled code calls helpers through it.
    pub helpers: usize,
    /// Software MMU (`--mmu soft`, mem/softmmu.rs): the address of the TLB's entry
    /// array (0 under HSPT) and the current context's tag bits (`softmmu::ctx_bits`
    /// of the view index; 0 under HSPT), kept up to date by `Board::select`.
    pub soft_tlb: u64,
    pub soft_ctx: u64,
    /// The soft TLB's index mask (its entries - 1).
    pub soft_mask: u64,
    /// Data-cache maintenance since the last instruction-cache invalidation (`dc_record`): the physical
    /// pages (pa >> 12) that maintenance by MVA named, the first `dc_n` of `dc_pages`. Code written with the
    /// caches on reaches instruction fetch only through such maintenance (Arm ARM B2.2.9, "Ordering of
    /// cache maintenance"), so only these pages' translations need checking at the invalidation.
    pub dc_pages: [u32; DC_PAGES],
    pub dc_n: u32,
    /// Any page may have changed: set/way maintenance, more pages than `dc_pages` holds, an address that
    /// did not translate, or the caches off (then stores reach memory directly).
    pub dc_all: bool,
    /// The virtual page of the last maintenance by MVA (Linux cleans a page one 64-byte line at a time);
    /// u32::MAX after anything that may have remapped it.
    pub dc_last_va: u32,
}

/// How many distinct pages of data-cache maintenance `CpuState` remembers between instruction-cache
/// invalidations before it assumes every page changed.
pub const DC_PAGES: usize = 64;

/// The architectural state two engines must agree on after running the same
/// code (registers, flags, VFP, exclusive monitor, a pending exception and the
/// fault registers, retired and undefined instructions, mode): what the
/// differential tests and fuzzers compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchSnapshot {
    pub r: [u32; 16],
    /// N Z C V Q GE IT T.
    pub flags: [u8; 8],
    pub d: [u64; 32],
    pub fpscr: u32,
    pub excl: (u32, u32),
    pub pending: Option<Exception>,
    pub pending_return: u32,
    /// DFSR, DFAR, IFSR, IFAR.
    pub fault: (u32, u32, u32, u32),
    pub insns: u64,
    pub undefined: u64,
    pub mode: u8,
}

/// Where flag `f` lives in `CpuState` (the compiled tiers address it directly).
pub fn flag_offset(f: crate::ir::Flag) -> usize {
    use crate::ir::Flag;
    match f {
        Flag::N => std::mem::offset_of!(CpuState, n),
        Flag::Z => std::mem::offset_of!(CpuState, z),
        Flag::C => std::mem::offset_of!(CpuState, c),
        Flag::V => std::mem::offset_of!(CpuState, v),
        Flag::Q => std::mem::offset_of!(CpuState, q),
        Flag::Ge => std::mem::offset_of!(CpuState, ge),
    }
}

impl CpuState {
    pub fn snapshot(&self) -> ArchSnapshot {
        ArchSnapshot {
            r: self.r,
            flags: [self.n, self.z, self.c, self.v, self.q, self.ge, self.it, self.t],
            d: self.d,
            fpscr: self.fpscr,
            excl: (self.excl_addr, self.excl_valid),
            pending: self.pending,
            pending_return: self.pending_return,
            fault: (self.cp15.dfsr, self.cp15.dfar, self.cp15.ifsr, self.cp15.ifar),
            insns: self.insns,
            undefined: self.undefined_insns,
            mode: self.mode,
        }
    }
}

impl Default for CpuState {
    fn default() -> Self {
        Self::new()
    }
}

impl CpuState {
    /// State at reset (Arm ARM B1.9.2): SVC mode, IRQ/FIQ/async aborts masked, ARM state.
    pub fn new() -> Self {
        CpuState {
            r: [0; 16],
            n: 0,
            z: 0,
            c: 0,
            v: 0,
            q: 0,
            ge: 0,
            it: 0,
            t: 0,
            eaif: EAIF_A | EAIF_I | EAIF_F,
            mode: Mode::Svc as u8,
            irq_line: 0,
            _pad0: 0,
            pc_off: 0,
            mem_base: 0,
            d: [0; 32],
            fpscr: 0,
            fpexc: 0,
            bank_r8_12: [[0; 5]; 2],
            bank_sp: [0; 8],
            bank_lr: [0; 8],
            spsr: [0; 8],
            excl_addr: 0,
            excl_valid: 0,
            pending: None,
            pending_return: 0,
            insns: 0,
            undefined_insns: 0,
            sys_effects: 0,
            tlb_op: None,
            ats: None,
            cp15: Cp15::new(),
            helpers: crate::arm::helpers::HELPERS.as_ptr() as usize,
            soft_tlb: 0,
            soft_ctx: 0,
            soft_mask: 0,
            dc_pages: [0; DC_PAGES],
            dc_n: 0,
            dc_all: true,
            dc_last_va: u32::MAX,
        }
    }

    /// Notes data-cache maintenance: by MVA (`Some(va)`, translated to its physical page by `translate`,
    /// the current regime's privileged view), or by set/way (`None`: every page).
    pub fn dc_record(&mut self, va: Option<u32>, translate: impl FnOnce(u32) -> Option<u32>) {
        let Some(va) = va else {
            self.dc_all = true;
            return;
        };
        if self.dc_all || va >> 12 == self.dc_last_va {
            return;
        }
        self.dc_last_va = va >> 12;
        let Some(pa) = translate(va) else {
            self.dc_all = true;
            return;
        };
        let page = pa >> 12;
        let n = self.dc_n as usize;
        if self.dc_pages[..n].contains(&page) {
            return;
        }
        if n == DC_PAGES {
            self.dc_all = true;
            return;
        }
        self.dc_pages[n] = page;
        self.dc_n += 1;
    }

    /// The pages whose code may have changed since the last call (None: any page), for an
    /// instruction-cache invalidation; starts recording again. The caches off (SCTLR.C or M clear) means
    /// any store may have reached memory unseen.
    pub fn dc_take(&mut self) -> Option<Vec<u32>> {
        let sctlr = self.cp15.sctlr;
        let all = self.dc_all || sctlr & 1 == 0 || sctlr & 4 == 0;
        let pages = self.dc_pages[..self.dc_n as usize].to_vec();
        self.dc_n = 0;
        self.dc_all = false;
        self.dc_last_va = u32::MAX;
        (!all).then_some(pages)
    }

    pub fn current_mode(&self) -> Mode {
        Mode::from_bits(self.mode as u32).unwrap_or(Mode::Svc)
    }

    pub fn pc(&self) -> u32 {
        self.r[15]
    }

    /// Reads CPSR as an architectural 32-bit value.
    pub fn cpsr(&self) -> u32 {
        psr::pack(self)
    }

    /// Writes the CPSR fields selected by `mask` (a byte mask of the 32-bit word is
    /// not required: any bit mask), switching banked registers on a mode change.
    /// Invalid modes are ignored (Arm ARM: UNPREDICTABLE; we keep the old mode).
    pub fn set_cpsr(&mut self, value: u32, mask: u32) {
        let new = (self.cpsr() & !mask) | (value & mask);
        if let Some(m) = Mode::from_bits(new) {
            self.switch_mode(m);
        }
        psr::unpack_non_mode(self, new);
    }

    /// CPSRWriteByInstr (Arm ARM B1.3.3 pseudocode): an MSR, CPS or exception-return
    /// write of the CPSR bytes selected by `bytemask` (bit 3 = bits 31:24 ... bit 0 =
    /// bits 7:0). In User mode only the flags (NZCVQ, GE) change. The execution state
    /// bits (IT, J, T) change only on an exception return. This machine has no
    /// Monitor or Hyp mode and no big-endian support: writes of those modes leave
    /// the mode unchanged (UNPREDICTABLE) and CPSR.E stays 0. An invalid mode is
    /// UNPREDICTABLE too: the mode is left unchanged.
    /// After an MSR or CPS changed the CPSR from `before` (`mode`, `eaif`): 1 if the dispatcher must
    /// look before the next instruction runs (the mode changed: banked registers and the memory view;
    /// the endianness changed; or a mask was lifted from an interrupt that is pending (IRQ, by
    /// `irq_line`) or might be (FIQ and asynchronous aborts are not tracked)), else 0: the guest runs on.
    pub fn psr_write_needs_dispatcher(&self, before: (u8, u8)) -> u64 {
        let (mode, eaif) = before;
        let lifted = eaif & !self.eaif;
        let need = self.mode != mode
            || (eaif ^ self.eaif) & 0x8 != 0
            || lifted & 0x5 != 0
            || (lifted & 0x2 != 0 && self.irq_line != 0);
        need as u64
    }

    pub fn write_cpsr_by_instr(&mut self, value: u32, bytemask: u32, exception_return: bool) {
        let privileged = self.current_mode().is_privileged();
        let mut mask = 0u32;
        if bytemask & 8 != 0 {
            mask |= 0xf800_0000; // N Z C V Q
            if exception_return {
                mask |= 0x0700_0000; // IT[1:0], J
            }
        }
        if bytemask & 4 != 0 {
            mask |= 0x000f_0000; // GE[3:0]
        }
        if bytemask & 2 != 0 {
            if exception_return {
                mask |= 0x0000_fc00; // IT[7:2]
            }
            if privileged {
                mask |= PSR_A;
            }
        }
        if bytemask & 1 != 0 {
            if privileged {
                mask |= PSR_I | PSR_F;
                if matches!(Mode::from_bits(value), Some(m) if m != Mode::Mon && m != Mode::Hyp) {
                    mask |= 0x1f;
                }
            }
            if exception_return {
                mask |= PSR_T;
            }
        }
        self.set_cpsr(value & !PSR_J, mask);
    }

    /// SPSRWriteByInstr (B1.3.3): writes the current mode's SPSR bytes selected by
    /// `bytemask`. The caller has checked that the mode has an SPSR.
    pub fn write_spsr_by_instr(&mut self, value: u32, bytemask: u32) {
        let mut mask = 0u32;
        for i in 0..4 {
            if bytemask & (1 << i) != 0 {
                mask |= 0xff << (8 * i);
            }
        }
        // Bits 23:20 are reserved (RAZ/SBZP).
        mask &= !0x00f0_0000;
        let old = self.spsr();
        self.set_spsr((old & !mask) | (value & mask));
    }

    /// Makes the current instruction raise an Undefined Instruction exception from a
    /// helper (`Helper::may_raise`): `r[15]` holds the instruction's address while a
    /// helper runs.
    pub fn raise_undefined(&mut self) {
        self.pending = Some(Exception::Undefined);
        self.pending_return = self.r[15];
        self.undefined_insns += 1;
    }

    /// Switches to `new` mode, swapping banked registers (Arm ARM B1.3.2).
    pub fn switch_mode(&mut self, new: Mode) {
        let old = self.current_mode();
        if old == new {
            return;
        }
        let ob = old.bank();
        let nb = new.bank();
        if ob != nb {
            self.bank_sp[ob] = self.r[13];
            self.bank_lr[ob] = self.r[14];
            self.r[13] = self.bank_sp[nb];
            self.r[14] = self.bank_lr[nb];
        }
        let old_fiq = old == Mode::Fiq;
        let new_fiq = new == Mode::Fiq;
        if old_fiq != new_fiq {
            let (save, load) = if new_fiq { (0, 1) } else { (1, 0) };
            self.bank_r8_12[save].copy_from_slice(&self.r[8..13]);
            let src = self.bank_r8_12[load];
            self.r[8..13].copy_from_slice(&src);
        }
        self.mode = new as u8;
    }

    /// Reads register `r` (0–14) as seen from `mode` (for LDM^/STM^ and the banked MRS/MSR forms).
    pub fn reg_in_mode(&self, mode: Mode, r: usize) -> u32 {
        let cur = self.current_mode();
        if mode == cur || (r < 8) {
            return self.r[r];
        }
        match r {
            8..=12 => {
                let want_fiq = mode == Mode::Fiq;
                if want_fiq == (cur == Mode::Fiq) {
                    self.r[r]
                } else {
                    self.bank_r8_12[want_fiq as usize][r - 8]
                }
            }
            13 | 14 => {
                if mode.bank() == cur.bank() {
                    self.r[r]
                } else if r == 13 {
                    self.bank_sp[mode.bank()]
                } else {
                    self.bank_lr[mode.bank()]
                }
            }
            _ => self.r[r],
        }
    }

    /// Writes register `r` (0–14) as seen from `mode`.
    pub fn set_reg_in_mode(&mut self, mode: Mode, r: usize, v: u32) {
        let cur = self.current_mode();
        if mode == cur || !(8..=14).contains(&r) {
            self.r[r] = v;
            return;
        }
        match r {
            8..=12 => {
                let want_fiq = mode == Mode::Fiq;
                if want_fiq == (cur == Mode::Fiq) {
                    self.r[r] = v
                } else {
                    self.bank_r8_12[want_fiq as usize][r - 8] = v
                }
            }
            _ => {
                if mode.bank() == cur.bank() {
                    self.r[r] = v
                } else if r == 13 {
                    self.bank_sp[mode.bank()] = v
                } else {
                    self.bank_lr[mode.bank()] = v
                }
            }
        }
    }

    /// SPSR of the current mode (0 in User/System, where it does not exist).
    pub fn spsr(&self) -> u32 {
        let m = self.current_mode();
        if m.has_spsr() {
            self.spsr[m.bank()]
        } else {
            0
        }
    }

    pub fn set_spsr(&mut self, v: u32) {
        let m = self.current_mode();
        if m.has_spsr() {
            self.spsr[m.bank()] = v;
        }
    }

    /// Exception return: CPSR <- SPSR (Arm ARM B1.9.10 "exception return", through
    /// CPSRWriteByInstr), then PC. The new PC is aligned for the restored instruction set.
    pub fn exception_return(&mut self, new_pc: u32) {
        let spsr = self.spsr();
        self.write_cpsr_by_instr(spsr, 0xf, true);
        self.r[15] = if self.t != 0 { new_pc & !1 } else { new_pc & !3 };
    }

    /// Takes exception `e` (Arm ARM B1.8.3-B1.9): `pref_return` is the exception's
    /// preferred return address; LR gets it plus the architectural offset.
    pub fn take_exception(&mut self, e: Exception, pref_return: u32) {
        let thumb = self.t != 0;
        let lr_offset = match e {
            Exception::Reset => 0,
            Exception::Undefined => {
                if thumb {
                    2
                } else {
                    4
                }
            }
            Exception::Svc => 0, // preferred return is already the next instruction
            Exception::PrefetchAbort => 4,
            Exception::DataAbort => 8,
            Exception::Irq | Exception::Fiq => 4,
        };
        let old_cpsr = self.cpsr();
        let mode = e.target_mode();
        self.switch_mode(mode);
        self.spsr[mode.bank()] = old_cpsr;
        self.r[14] = pref_return.wrapping_add(lr_offset);
        // CPSR updates: I always; F for FIQ and reset; A for all but Undefined and SVC
        // (A is set for aborts, IRQ, FIQ and reset).
        self.eaif |= EAIF_I;
        if matches!(e, Exception::Fiq | Exception::Reset) {
            self.eaif |= EAIF_F;
        }
        if !matches!(e, Exception::Undefined | Exception::Svc) {
            self.eaif |= EAIF_A;
        }
        self.it = 0;
        self.t = self.cp15.sctlr_te() as u8;
        if self.cp15.sctlr_ee() {
            self.eaif |= EAIF_E;
        } else {
            self.eaif &= !EAIF_E;
        }
        let base = if self.cp15.sctlr_v() { 0xffff_0000 } else { self.cp15.vbar & !0x1f };
        self.r[15] = base.wrapping_add(e.vector_offset());
        self.excl_valid = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CPU with the MMU and caches on and nothing recorded yet.
    fn caches_on() -> CpuState {
        let mut c = CpuState::new();
        c.cp15.sctlr |= 0b101;
        assert_eq!(c.dc_take(), None, "the start counts as a change of everything");
        c
    }

    #[test]
    fn data_cache_maintenance_names_pages_once_each() {
        let mut c = caches_on();
        let mut walks = 0;
        for line in (0..0x1000).step_by(64) {
            c.dc_record(Some(0xc010_0000 + line), |va| {
                walks += 1;
                Some(va - 0x8000_0000)
            });
        }
        assert_eq!(walks, 1, "one walk for a page's 64 lines");
        c.dc_record(Some(0x0001_0040), |_| Some(0x4010_0000));
        c.dc_record(Some(0x0002_0000), |_| Some(0x4020_0000));
        assert_eq!(c.dc_take(), Some(vec![0x40100, 0x40200]), "an alias of a page is named once");
        assert_eq!(c.dc_take(), Some(vec![]), "nothing since");
    }

    #[test]
    fn data_cache_maintenance_falls_back_to_every_page() {
        let mut c = caches_on();
        c.dc_record(None, |_| unreachable!());
        assert_eq!(c.dc_take(), None, "set/way maintenance");
        c.dc_record(Some(0x1000), |_| None);
        assert_eq!(c.dc_take(), None, "an address that does not translate");
        for p in 0..=DC_PAGES as u32 {
            c.dc_record(Some(p << 12), Some);
        }
        assert_eq!(c.dc_take(), None, "more pages than are remembered");
        c.cp15.sctlr &= !0b100;
        assert_eq!(c.dc_take(), None, "data cache off: stores reach memory unseen");
        c.cp15.sctlr |= 0b100;
        c.dc_record(Some(0x5000), Some);
        c.dc_last_va = u32::MAX; // what TLB maintenance does
        c.dc_record(Some(0x5000), |_| Some(0x6000));
        assert_eq!(c.dc_take(), Some(vec![5, 6]), "a page remapped in between is translated again");
    }

    #[test]
    fn banked_registers_follow_mode_changes() {
        let mut c = CpuState::new();
        c.r[13] = 0x1000;
        c.r[14] = 0x2000;
        c.r[8] = 8;
        c.switch_mode(Mode::Fiq);
        c.r[13] = 0x3000;
        c.r[8] = 88;
        c.switch_mode(Mode::Irq);
        assert_eq!(c.r[8], 8);
        c.r[13] = 0x4000;
        c.switch_mode(Mode::Svc);
        assert_eq!((c.r[13], c.r[14], c.r[8]), (0x1000, 0x2000, 8));
        assert_eq!(c.reg_in_mode(Mode::Fiq, 8), 88);
        assert_eq!(c.reg_in_mode(Mode::Fiq, 13), 0x3000);
        assert_eq!(c.reg_in_mode(Mode::Irq, 13), 0x4000);
        c.switch_mode(Mode::Sys);
        c.r[13] = 0x5000;
        c.switch_mode(Mode::Usr);
        assert_eq!(c.r[13], 0x5000);
    }

    #[test]
    fn exception_entry_and_return() {
        let mut c = CpuState::new();
        c.set_cpsr(0x6000_0010, 0xffff_ffff); // user mode, Z and C set
        c.r[15] = 0x8000;
        c.take_exception(Exception::Svc, 0x8004);
        assert_eq!(c.current_mode(), Mode::Svc);
        assert_eq!(c.r[14], 0x8004);
        assert_eq!(c.r[15], 0x8);
        assert_eq!(c.spsr() & 0xf000_001f, 0x6000_0010);
        assert_ne!(c.eaif & EAIF_I, 0);
        c.exception_return(c.r[14]);
        assert_eq!(c.current_mode(), Mode::Usr);
        assert_eq!((c.z, c.c, c.r[15]), (1, 1, 0x8004));
    }

    #[test]
    fn cpsr_roundtrips_through_fields() {
        let mut c = CpuState::new();
        let v = 0xf80f_0000 | (0b101 << 25) | (0b110011 << 10) | 0x1d3 | (1 << 5);
        // mode svc (0x13) with A,I,F... 0x1d3 = I F + mode 0x13 + bit 8 (A)
        c.set_cpsr(v, 0xffff_ffff);
        assert_eq!(c.cpsr(), v);
    }

    #[test]
    fn undefined_entry_from_arm_and_thumb() {
        // ARM: LR = address + 4; A and F unchanged, I set; SPSR = old CPSR.
        let mut c = CpuState::new();
        c.set_cpsr(0x8000_0010, 0xffff_ffff); // user, N, no masks
        c.take_exception(Exception::Undefined, 0x8000);
        assert_eq!((c.current_mode(), c.r[14], c.r[15]), (Mode::Und, 0x8004, 0x4));
        assert_eq!(c.spsr(), 0x8000_0010);
        assert_eq!(c.eaif, EAIF_I);
        assert_eq!(c.n, 1, "flags are kept");
        // Thumb in an IT block: LR = address + 2, SPSR holds T and ITSTATE, both cleared after.
        let mut c = CpuState::new();
        c.set_cpsr(0x13, 0x1f);
        c.t = 1;
        c.it = 0x0c;
        c.take_exception(Exception::Undefined, 0x9002);
        assert_eq!((c.r[14], c.t, c.it), (0x9004, 0, 0));
        assert_eq!(c.spsr() & (PSR_T | 0x0600_fc00), PSR_T | psr::it_to_psr(0x0c));
    }

    #[test]
    fn abort_irq_fiq_entry() {
        let mut c = CpuState::new();
        c.set_cpsr(0x10, 0xffff_ffff);
        c.r[8] = 8;
        c.take_exception(Exception::DataAbort, 0x1000);
        assert_eq!((c.current_mode(), c.r[14], c.r[15]), (Mode::Abt, 0x1008, 0x10));
        assert_eq!(c.eaif, EAIF_A | EAIF_I);
        c.exception_return(c.r[14] - 8);
        assert_eq!((c.current_mode(), c.r[15], c.eaif), (Mode::Usr, 0x1000, 0));
        c.take_exception(Exception::PrefetchAbort, 0x2000);
        assert_eq!((c.r[14], c.r[15]), (0x2004, 0x0c));
        c.exception_return(0x2000);
        c.take_exception(Exception::Irq, 0x3000);
        assert_eq!((c.current_mode(), c.r[14], c.r[15], c.eaif), (Mode::Irq, 0x3004, 0x18, EAIF_A | EAIF_I));
        c.exception_return(0x3000);
        c.take_exception(Exception::Fiq, 0x4000);
        assert_eq!((c.current_mode(), c.r[14], c.r[15]), (Mode::Fiq, 0x4004, 0x1c));
        assert_eq!(c.eaif, EAIF_A | EAIF_I | EAIF_F);
        c.r[8] = 88;
        c.exception_return(0x4000);
        assert_eq!((c.r[8], c.r[15]), (8, 0x4000), "FIQ r8 banked");
    }

    #[test]
    fn vectors_follow_vbar_sctlr_v_and_te() {
        let mut c = CpuState::new();
        c.cp15.vbar = 0x8000_0000;
        c.take_exception(Exception::Svc, 0x100);
        assert_eq!(c.r[15], 0x8000_0008);
        c.cp15.sctlr |= 1 << 13; // V: high vectors
        c.take_exception(Exception::Irq, 0x100);
        assert_eq!(c.r[15], 0xffff_0018);
        c.cp15.sctlr |= 1 << 30; // TE: handlers in Thumb
        c.take_exception(Exception::Undefined, 0x100);
        assert_eq!((c.t, c.r[15]), (1, 0xffff_0004));
    }

    #[test]
    fn cpsr_write_by_instr_rules() {
        // User mode: only NZCVQ and GE.
        let mut c = CpuState::new();
        c.set_cpsr(0x10, 0xffff_ffff);
        c.write_cpsr_by_instr(0xf80f_03df, 0xf, false);
        assert_eq!(c.cpsr(), 0xf80f_0010);
        // Privileged, not an exception return: masks and mode, never T, IT or E.
        let mut c = CpuState::new();
        c.write_cpsr_by_instr(0x0600_fe3f, 0xf, false); // IT, E, T set; A, I, F clear; System
        assert_eq!(c.cpsr(), 0x1f);
        // Exception return: T and IT too.
        let mut c = CpuState::new();
        c.write_cpsr_by_instr(0x0600_fc30 | 0x1f, 0xf, true);
        assert_eq!((c.t, c.it, c.current_mode()), (1, 0xff, Mode::Sys));
        // Monitor, Hyp and invalid modes leave the mode unchanged.
        for m in [0x16, 0x1a, 0x00, 0x1e] {
            let mut c = CpuState::new();
            c.write_cpsr_by_instr(m, 1, false);
            assert_eq!(c.current_mode(), Mode::Svc, "mode {m:#x}");
        }
        // Byte mask: only the flags byte.
        let mut c = CpuState::new();
        c.write_cpsr_by_instr(0xf000_0010, 8, false);
        assert_eq!((c.current_mode(), c.n, c.v), (Mode::Svc, 1, 1));
    }

    #[test]
    fn spsr_write_by_instr_and_exception_return_to_thumb() {
        let mut c = CpuState::new();
        c.write_spsr_by_instr(0xffff_ffff, 0b1001);
        assert_eq!(c.spsr(), 0xff00_00ff);
        c.write_spsr_by_instr(0x0000_0030 | 0x1f | 0x0200_0000, 0xf);
        c.exception_return(0x5003);
        assert_eq!((c.current_mode(), c.t, c.it, c.r[15]), (Mode::Sys, 1, 0x01, 0x5002));
        // An exception return never sets CPSR.E here (little-endian only).
        let mut c = CpuState::new();
        c.set_spsr(0x13 | PSR_E);
        c.exception_return(0x100);
        assert_eq!(c.eaif & EAIF_E, 0);
    }

    #[test]
    fn raise_undefined_from_a_helper() {
        let mut c = CpuState::new();
        c.r[15] = 0x1234;
        c.raise_undefined();
        assert_eq!((c.pending, c.pending_return, c.undefined_insns), (Some(Exception::Undefined), 0x1234, 1));
    }
}
