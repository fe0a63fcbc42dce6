//! CP15 system control registers of a uniprocessor Cortex-A15 without NEON or LPAE,
//! the CP14 debug/Jazelle registers, the generic timer's system counter, and the ID
//! registers of the VFPv3-D16 unit (Arm ARM B4.1, B8, C6; Cortex-A15 TRM).
//!
//! MRC/MCR/MRRC/MCRR are routed here by the helpers of `crate::arm::system`.
//! Register writes that affect the rest of the machine (translation regime, TLB
//! and cache maintenance, the timer) report a `SysEffect` so the dispatcher can
//! act on them.
//!
//! What this machine reports (kept consistent with what it implements, like QEMU's
//! `virt` board without `secure=on`/`virtualization=on`):
//! - MIDR/CTR/cache geometry of a Cortex-A15 r2p2;
//! - VFPv3-D16 with no Advanced SIMD (FPSID, MVFR0, MVFR1, CPACR.ASEDIS/D32DIS RAO);
//! - no Security or Virtualization Extensions (no Monitor or Hyp mode), no LPAE,
//!   no PXN, no ThumbEE, trivial Jazelle, generic timer present;
//! - little-endian only: SCTLR.EE is RAZ/WI;
//! - no CP14 debug architecture: DBGDIDR reads as 0 ("debug architecture
//!   unsupported"), so Linux's hw_breakpoint code leaves the other debug
//!   registers alone; the CP14 debug registers read as zero and ignore writes.

use std::sync::OnceLock;
use std::time::Instant;

use crate::devices::timer::{self, TimerReg};

/// MIDR of a Cortex-A15 r2p2.
pub const MIDR: u32 = 0x412f_c0f2;
/// FPSID of the Cortex-A15's VFP: implementer ARM, subarchitecture 4 (VFPv3 or
/// later, common subarchitecture v3), part 0x30, variant 0xf, revision 0.
pub const FPSID: u32 = 0x4104_30f0;
/// MVFR0: 16 double registers (A_SIMD = 1), single and double precision VFPv3
/// (2, 2), no exception trapping, divide and square root (1, 1), no short vectors,
/// all rounding modes (1).
pub const MVFR0: u32 = 0x1011_0221;
/// MVFR1: no Advanced SIMD (bits 23:8 = 0), no half-precision conversion and no
/// fused multiply-add (VFPv3, not VFPv4: bits 31:24 = 0); default NaN and full
/// denormal arithmetic supported (D_NaN = 1, FtZ = 1).
pub const MVFR1: u32 = 0x0000_0011;

/// Frequency of the generic timer's system counter (the CNTFRQ reset value, as on
/// QEMU's virt board for a Cortex-A15): one tick every 16 ns.
pub const CNTFRQ_HZ: u32 = 62_500_000;

/// The system counter (CNTPCT): ticks at `CNTFRQ_HZ` since the first call in this
/// process, from the host's monotonic clock.
pub fn system_counter() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let ns = EPOCH.get_or_init(Instant::now).elapsed().as_nanos();
    (ns / (1_000_000_000 / CNTFRQ_HZ as u128)) as u64
}

/// The CP15 state this machine keeps.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct Cp15 {
    pub sctlr: u32,
    pub actlr: u32,
    pub cpacr: u32,
    pub ttbr0: u32,
    pub ttbr1: u32,
    pub ttbcr: u32,
    pub dacr: u32,
    pub dfsr: u32,
    pub ifsr: u32,
    pub dfar: u32,
    pub ifar: u32,
    pub prrr: u32,
    pub nmrr: u32,
    pub contextidr: u32,
    pub tpidrurw: u32,
    pub tpidruro: u32,
    pub tpidrprw: u32,
    pub vbar: u32,
    pub csselr: u32,
    pub par: u32,
    pub cntfrq: u32,
    pub cntkctl: u32,
    /// CNTP_CTL/CNTV_CTL: ENABLE (bit 0) and IMASK (bit 1); ISTATUS is computed on reads.
    pub cntp_ctl: u32,
    pub cntv_ctl: u32,
    pub cntp_cval: u64,
    pub cntv_cval: u64,
    pub cntvoff: u64,
}

const SCTLR_M: u32 = 1 << 0;
const SCTLR_A: u32 = 1 << 1;
const SCTLR_CP15BEN: u32 = 1 << 5;
const SCTLR_V: u32 = 1 << 13;
const SCTLR_EE: u32 = 1 << 25;
const SCTLR_TE: u32 = 1 << 30;
/// SCTLR bits that read as one (B4.1.130, VMSA): 3, 4, 6, 16, 18, 22 (U), 23 (XP).
const SCTLR_RAO: u32 = 0x00c5_0058;
/// SCTLR bits software can change: M A C CP15BEN SW Z I V RR WXN UWXN FI TRE AFE TE.
/// EE (big-endian exceptions) is RAZ/WI on this little-endian-only machine; NMFI is 0.
const SCTLR_WRITABLE: u32 = 0x7038_7c27;

/// CPACR: cp10/cp11 access fields are writable; ASEDIS and D32DIS are RAO/WI
/// (no Advanced SIMD, 16 double registers).
const CPACR_CP10_11: u32 = 0x00f0_0000;
const CPACR_RAO: u32 = 0xc000_0000;

/// CNTKCTL bits (B8.1.5): PL0 access to the counters and timers.
const CNTKCTL_PL0PCTEN: u32 = 1 << 0;
const CNTKCTL_PL0VCTEN: u32 = 1 << 1;
const CNTKCTL_PL0VTEN: u32 = 1 << 8;
const CNTKCTL_PL0PTEN: u32 = 1 << 9;

/// Timer control bits.
pub const CNT_CTL_ENABLE: u32 = 1 << 0;
pub const CNT_CTL_IMASK: u32 = 1 << 1;
pub const CNT_CTL_ISTATUS: u32 = 1 << 2;

impl Default for Cp15 {
    fn default() -> Self {
        Self::new()
    }
}

impl Cp15 {
    pub fn new() -> Self {
        Cp15 {
            // Cortex-A15 reset value: the RAO bits and CP15BEN.
            sctlr: 0x00c5_0078,
            actlr: 0,
            cpacr: CPACR_RAO,
            ttbr0: 0,
            ttbr1: 0,
            ttbcr: 0,
            dacr: 0,
            dfsr: 0,
            ifsr: 0,
            dfar: 0,
            ifar: 0,
            prrr: 0x0009_8aa4,
            nmrr: 0x44e0_48e0,
            contextidr: 0,
            tpidrurw: 0,
            tpidruro: 0,
            tpidrprw: 0,
            vbar: 0,
            csselr: 0,
            par: 0,
            cntfrq: CNTFRQ_HZ,
            cntkctl: 0,
            cntp_ctl: 0,
            cntv_ctl: 0,
            cntp_cval: 0,
            cntv_cval: 0,
            cntvoff: 0,
        }
    }
    pub fn sctlr_m(&self) -> bool {
        self.sctlr & SCTLR_M != 0
    }
    /// SCTLR.A: alignment checking of every data access.
    pub fn sctlr_a(&self) -> bool {
        self.sctlr & SCTLR_A != 0
    }
    pub fn sctlr_v(&self) -> bool {
        self.sctlr & SCTLR_V != 0
    }
    pub fn sctlr_ee(&self) -> bool {
        self.sctlr & SCTLR_EE != 0
    }
    pub fn sctlr_te(&self) -> bool {
        self.sctlr & SCTLR_TE != 0
    }

    /// The virtual counter (CNTVCT) for a physical count.
    pub fn virtual_count(&self, counter: u64) -> u64 {
        counter.wrapping_sub(self.cntvoff)
    }
    /// Whether the physical timer's condition is met (CNTP_CTL.ISTATUS) at `counter`.
    pub fn cntp_istatus(&self, counter: u64) -> bool {
        self.cntp_ctl & CNT_CTL_ENABLE != 0 && counter >= self.cntp_cval
    }
    /// Whether the virtual timer's condition is met (CNTV_CTL.ISTATUS) at `counter`.
    pub fn cntv_istatus(&self, counter: u64) -> bool {
        self.cntv_ctl & CNT_CTL_ENABLE != 0 && self.virtual_count(counter) >= self.cntv_cval
    }
    /// Whether the physical timer asserts its interrupt (ISTATUS and not IMASK).
    pub fn cntp_irq(&self, counter: u64) -> bool {
        self.cntp_istatus(counter) && self.cntp_ctl & CNT_CTL_IMASK == 0
    }
    /// Whether the virtual timer asserts its interrupt (ISTATUS and not IMASK).
    pub fn cntv_irq(&self, counter: u64) -> bool {
        self.cntv_istatus(counter) && self.cntv_ctl & CNT_CTL_IMASK == 0
    }
}

/// A TLB maintenance operation (B4.2.2), for the MMU to unmap exactly what it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbOp {
    /// TLBIALL (and the instruction/data/inner-shareable variants).
    All,
    /// TLBIMVA: one page of one address space. `va` is page aligned.
    Mva { va: u32, asid: u8 },
    /// TLBIASID: every non-global entry of one address space.
    Asid(u8),
    /// TLBIMVAA: one page in every address space. `va` is page aligned.
    MvaAllAsids(u32),
}

impl TlbOp {
    /// One operation covering both `self` and `other` (when two arrive before the
    /// dispatcher has seen the first).
    pub fn merge(self, other: TlbOp) -> TlbOp {
        if self == other {
            self
        } else {
            TlbOp::All
        }
    }
}

/// An address translation operation (ATS1CPR/CPW/CUR/CUW, B4.2.6): translate `va`
/// as a privileged or user read or write through the current stage 1 tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtsRequest {
    pub va: u32,
    pub user: bool,
    pub write: bool,
}

impl Cp15 {
    /// Writes PAR with the result of an `AtsRequest` (short-descriptor PAR format):
    /// `Ok(pa)` gives PA[31:12] with F = 0 (the memory attributes read as 0: no
    /// caches are modelled); `Err(fsr)` gives F = 1 and FS in PAR[6:1] from the
    /// DFSR-format status (FS[4] is DFSR bit 10).
    pub fn complete_ats(&mut self, result: Result<u32, u32>) {
        self.par = match result {
            Ok(pa) => pa & !0xfff,
            Err(fsr) => {
                let fs = (fsr & 0xf) | ((fsr >> 6) & 0x10);
                1 | fs << 1
            }
        };
    }
}

/// What a CP15 write means for the rest of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysEffect {
    None,
    /// Translation regime changed (SCTLR, TTBRx, TTBCR, DACR, CONTEXTIDR, PRRR/NMRR).
    MmuChanged,
    /// TLB maintenance.
    TlbFlush(TlbOp),
    /// Instruction-cache maintenance: translated blocks may be stale. `Some(va)`
    /// names one cache line (ICIMVAU), `None` all of them (ICIALLU, ICIALLUIS).
    ICacheFlush(Option<u32>),
    /// Data-cache maintenance: `Some(va)` by MVA (one line), `None` by set/way (every line).
    DCache(Option<u32>),
    /// A generic timer register changed: re-evaluate the timer interrupts.
    Timer,
    /// Some other system state changed that translated code may depend on (CPACR).
    Other,
    /// An address translation operation: the dispatcher must walk and write PAR.
    AddressTranslation(AtsRequest),
}

/// Encodes a CP15 register as (opc1, CRn, CRm, opc2), the MRC/MCR operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysReg {
    pub opc1: u8,
    pub crn: u8,
    pub crm: u8,
    pub opc2: u8,
}

impl SysReg {
    /// From the 32-bit MRC/MCR encoding (the same bits in ARM and Thumb-2).
    pub fn from_insn(insn: u32) -> SysReg {
        SysReg {
            opc1: ((insn >> 21) & 7) as u8,
            crn: ((insn >> 16) & 0xf) as u8,
            crm: (insn & 0xf) as u8,
            opc2: ((insn >> 5) & 7) as u8,
        }
    }
    /// Packs into one integer for the helper calls.
    pub fn pack(self) -> u32 {
        (self.opc1 as u32) << 12 | (self.crn as u32) << 8 | (self.crm as u32) << 4 | self.opc2 as u32
    }
    pub fn unpack(v: u32) -> SysReg {
        SysReg {
            opc1: ((v >> 12) & 0xf) as u8,
            crn: ((v >> 8) & 0xf) as u8,
            crm: ((v >> 4) & 0xf) as u8,
            opc2: (v & 0xf) as u8,
        }
    }
}

/// Result of an MRC: a value, or UNDEFINED (the access must raise an Undefined Instruction exception).
pub type SysRead = Option<u32>;

/// ID registers (CRn = 0, opc1 = 0, CRm = 1..7): a Cortex-A15 with the features
/// this machine lacks taken out (see the module documentation).
fn id_register(crm: u8, opc2: u8) -> u32 {
    match (crm, opc2) {
        (1, 0) => 0x0000_0131, // ID_PFR0: ARM, Thumb-2, trivial Jazelle, no ThumbEE
        (1, 1) => 0x0001_0001, // ID_PFR1: programmers' model, generic timer; no Security/Virtualization
        (1, 2) => 0x0000_0000, // ID_DFR0: no debug model advertised (DBGDIDR reads 0), no PMU
        (1, 3) => 0,           // ID_AFR0
        (1, 4) => 0x1020_1103, // ID_MMFR0: VMSAv7 with TEX remap and access flag (no PXN, no LPAE)
        (1, 5) => 0x2000_0000, // ID_MMFR1
        (1, 6) => 0x0124_0000, // ID_MMFR2
        (1, 7) => 0x0210_2211, // ID_MMFR3
        (2, 0) => 0x0210_1110, // ID_ISAR0: SDIV/UDIV in ARM and Thumb
        (2, 1) => 0x1311_2111, // ID_ISAR1
        (2, 2) => 0x2123_2041, // ID_ISAR2
        (2, 3) => 0x0111_2131, // ID_ISAR3: no ThumbEE extension instructions
        (2, 4) => 0x1001_0142, // ID_ISAR4: no SMC (no Security Extensions)
        _ => 0,                // ID_ISAR5 and the reserved ID encodings
    }
}

impl Cp15 {
    /// Whether PL0 may access the 32-bit generic timer register at (CRm, opc2) of CRn = 14.
    fn timer_pl0_ok(&self, crm: u8, opc2: u8) -> bool {
        match (crm, opc2) {
            (0, 0) => self.cntkctl & (CNTKCTL_PL0PCTEN | CNTKCTL_PL0VCTEN) != 0, // CNTFRQ
            (2, 0 | 1) => self.cntkctl & CNTKCTL_PL0PTEN != 0,                   // CNTP_TVAL/CTL
            (3, 0 | 1) => self.cntkctl & CNTKCTL_PL0VTEN != 0,                   // CNTV_TVAL/CTL
            _ => false,
        }
    }

    /// MRC p15. `privileged` is whether the CPU is at PL1; `counter` is the system
    /// counter now (for the timer registers).
    pub fn read(&self, r: SysReg, privileged: bool, counter: u64) -> SysRead {
        let SysReg { opc1, crn, crm, opc2 } = r;
        if !privileged {
            // The registers PL0 may read (B4.1.1 "PL0 access"); everything else is UNDEFINED.
            let ok = match (crn, opc1, crm, opc2) {
                (13, 0, 0, 2) | (13, 0, 0, 3) => true, // TPIDRURW, TPIDRURO
                (14, 0, _, _) => self.timer_pl0_ok(crm, opc2),
                _ => false,
            };
            if !ok {
                return None;
            }
        }
        Some(match (crn, opc1, crm, opc2) {
            (0, 0, 0, 0) | (0, 0, 0, 4) | (0, 0, 0, 7) => MIDR, // MIDR and its aliases
            (0, 0, 0, 1) => 0x8444_c004, // CTR: 64-byte lines, PIPT I-cache
            (0, 0, 0, 2) => 0,           // TCMTR: no TCMs
            (0, 0, 0, 3) => 0,           // TLBTR: unified TLB
            (0, 0, 0, 5) => 0x8000_0000, // MPIDR: multiprocessing extensions format, CPU 0
            (0, 0, 0, 6) => 0,           // REVIDR
            (0, 0, _, _) => id_register(crm, opc2),
            (0, 1, 0, 0) => {
                // CCSIDR of the cache CSSELR selects: L1D and L1I 32 KiB 2-way, L2 1 MiB 16-way, 64-byte lines.
                match self.csselr {
                    0 => 0x701f_e00a,
                    1 => 0x201f_e00a,
                    2 => 0x707f_e07a,
                    _ => 0,
                }
            }
            (0, 1, 0, 1) => 0x0a20_0023, // CLIDR: L1 I+D, L2 unified; LoUIS 1, LoC 2, LoUU 1
            (0, 1, 0, 7) => 0,           // AIDR
            (0, 2, 0, 0) => self.csselr,
            (1, 0, 0, 0) => self.sctlr,
            (1, 0, 0, 1) => self.actlr,
            (1, 0, 0, 2) => self.cpacr,
            (2, 0, 0, 0) => self.ttbr0,
            (2, 0, 0, 1) => self.ttbr1,
            (2, 0, 0, 2) => self.ttbcr,
            (3, 0, 0, 0) => self.dacr,
            (5, 0, 0, 0) => self.dfsr,
            (5, 0, 0, 1) => self.ifsr,
            (5, 0, 1, 0 | 1) => 0, // ADFSR/AIFSR
            (6, 0, 0, 0) => self.dfar,
            (6, 0, 0, 2) => self.ifar,
            (7, 0, 4, 0) => self.par,
            (9, _, _, _) => 0, // PMU (no counters: PMCR.N = 0) and L2 control: read as zero
            (10, 0, 2, 0) => self.prrr,
            (10, 0, 2, 1) => self.nmrr,
            (10, 0, 3, 0 | 1) => 0, // AMAIR0/1
            (10, 0, 0, _) => 0,     // TLB lockdown
            (12, 0, 0, 0) => self.vbar,
            (12, 0, 1, 0) => 0, // ISR: the dispatcher takes interrupts between blocks
            (13, 0, 0, 0) => 0, // FCSEIDR: FCSE not implemented
            (13, 0, 0, 1) => self.contextidr,
            (13, 0, 0, 2) => self.tpidrurw,
            (13, 0, 0, 3) => self.tpidruro,
            (13, 0, 0, 4) => self.tpidrprw,
            // Generic timer: semantics in devices::timer.
            (14, 0, _, _) => timer::read_reg(self, TimerReg::from_cp15(crm, opc2)?, counter) as u32,
            (15, _, _, _) => 0, // implementation defined (L2 control, CBAR...): read as zero
            _ => return None,
        })
    }

    /// MCR p15. Returns None for UNDEFINED, otherwise what the write means.
    pub fn write(&mut self, r: SysReg, v: u32, privileged: bool, counter: u64) -> Option<SysEffect> {
        let SysReg { opc1, crn, crm, opc2 } = r;
        // CP15 barrier operations (CP15ISB, CP15DSB, CP15DMB): PL0 and PL1, enabled by SCTLR.CP15BEN.
        if (crn, opc1, crm, opc2) == (7, 0, 5, 4) || (crn == 7 && opc1 == 0 && crm == 10 && (opc2 == 4 || opc2 == 5)) {
            return if self.sctlr & SCTLR_CP15BEN != 0 { Some(SysEffect::None) } else { None };
        }
        if !privileged {
            let ok = match (crn, opc1, crm, opc2) {
                (13, 0, 0, 2) => true, // TPIDRURW
                (14, 0, 2 | 3, 0 | 1) => self.timer_pl0_ok(crm, opc2),
                _ => false,
            };
            if !ok {
                return None;
            }
        }
        Some(match (crn, opc1, crm, opc2) {
            (0, 2, 0, 0) => {
                self.csselr = v & 0xf;
                SysEffect::None
            }
            (1, 0, 0, 0) => {
                self.sctlr = (v & SCTLR_WRITABLE) | SCTLR_RAO;
                SysEffect::MmuChanged
            }
            (1, 0, 0, 1) => {
                self.actlr = v;
                SysEffect::None
            }
            (1, 0, 0, 2) => {
                self.cpacr = (v & CPACR_CP10_11) | CPACR_RAO;
                SysEffect::Other
            }
            (2, 0, 0, 0) => {
                self.ttbr0 = v;
                SysEffect::MmuChanged
            }
            (2, 0, 0, 1) => {
                self.ttbr1 = v;
                SysEffect::MmuChanged
            }
            (2, 0, 0, 2) => {
                // N, PD0, PD1; EAE (LPAE) is RAZ/WI.
                self.ttbcr = v & 0x37;
                SysEffect::MmuChanged
            }
            (3, 0, 0, 0) => {
                self.dacr = v;
                SysEffect::MmuChanged
            }
            (5, 0, 0, 0) => {
                self.dfsr = v;
                SysEffect::None
            }
            (5, 0, 0, 1) => {
                self.ifsr = v;
                SysEffect::None
            }
            (5, 0, 1, 0 | 1) => SysEffect::None, // ADFSR/AIFSR: write ignored
            (6, 0, 0, 0) => {
                self.dfar = v;
                SysEffect::None
            }
            (6, 0, 0, 2) => {
                self.ifar = v;
                SysEffect::None
            }
            (7, 0, 4, 0) => {
                self.par = v;
                SysEffect::None
            }
            // ICIALLUIS, ICIALLU: every translated block may be stale.
            (7, 0, 1, 0) | (7, 0, 5, 0) => SysEffect::ICacheFlush(None),
            // ICIMVAU: one line (by virtual address).
            (7, 0, 5, 1) => SysEffect::ICacheFlush(Some(v & !0x3f)),
            // Branch predictor maintenance (BPIALLIS, BPIALL, BPIMVA): no predictor to maintain.
            (7, 0, 1, 6) | (7, 0, 5, 6) | (7, 0, 5, 7) => SysEffect::None,
            // Data and unified cache maintenance: caches are not modelled, but what is cleaned (or
            // invalidated) tells which pages' code may have changed (`CpuState::dc_record`).
            // DCIMVAC, DCCMVAC, DCCMVAU, DCCIMVAC by MVA; DCISW, DCCSW, DCCISW by set/way.
            (7, 0, 6 | 10 | 11 | 14, 1) => SysEffect::DCache(Some(v)),
            (7, 0, 6 | 10 | 14, 2) => SysEffect::DCache(None),
            // ATS1CPR, ATS1CPW, ATS1CUR, ATS1CUW: the walk needs guest memory, so the
            // dispatcher performs it (PAR reads as a fault until it has). The
            // ATS12NSO* forms (opc2 4-7) need the Security Extensions: UNDEFINED.
            (7, 0, 8, op @ 0..=3) => {
                self.par = 1;
                SysEffect::AddressTranslation(AtsRequest { va: v, user: op >= 2, write: op & 1 != 0 })
            }
            // TLB maintenance: CRm 3 (inner shareable), 5 (instruction), 6 (data), 7 (unified).
            (8, 0, 3 | 5 | 6 | 7, op) if op <= 3 => SysEffect::TlbFlush(match op {
                0 => TlbOp::All,
                1 => TlbOp::Mva { va: v & !0xfff, asid: v as u8 },
                2 => TlbOp::Asid(v as u8),
                _ => TlbOp::MvaAllAsids(v & !0xfff),
            }),
            (9, _, _, _) => SysEffect::None, // PMU and L2 control: write ignored
            (10, 0, 2, 0) => {
                self.prrr = v;
                SysEffect::MmuChanged
            }
            (10, 0, 2, 1) => {
                self.nmrr = v;
                SysEffect::MmuChanged
            }
            (10, 0, 3, 0 | 1) | (10, 0, 0, _) => SysEffect::None, // AMAIR, TLB lockdown
            (12, 0, 0, 0) => {
                self.vbar = v & !0x1f;
                SysEffect::None
            }
            (13, 0, 0, 0) => SysEffect::None, // FCSEIDR: RAZ/WI
            (13, 0, 0, 1) => {
                self.contextidr = v;
                SysEffect::MmuChanged
            }
            (13, 0, 0, 2) => {
                self.tpidrurw = v;
                SysEffect::None
            }
            (13, 0, 0, 3) => {
                self.tpidruro = v;
                SysEffect::None
            }
            (13, 0, 0, 4) => {
                self.tpidrprw = v;
                SysEffect::None
            }
            // Generic timer: semantics in devices::timer. CNTFRQ and CNTKCTL change no output.
            (14, 0, _, _) => {
                let t = TimerReg::from_cp15(crm, opc2)?;
                timer::write_reg(self, t, v as u64, counter);
                if matches!(t, TimerReg::Frq | TimerReg::Kctl) { SysEffect::None } else { SysEffect::Timer }
            }
            (15, _, _, _) => SysEffect::None, // implementation defined (errata, L2 control)
            _ => return None,
        })
    }

    /// Whether PL0 may access the 64-bit generic timer register with `opc1` (CRm = 14).
    fn timer64_pl0_ok(&self, opc1: u8) -> bool {
        match opc1 {
            0 => self.cntkctl & CNTKCTL_PL0PCTEN != 0, // CNTPCT
            1 => self.cntkctl & CNTKCTL_PL0VCTEN != 0, // CNTVCT
            2 => self.cntkctl & CNTKCTL_PL0PTEN != 0,  // CNTP_CVAL
            3 => self.cntkctl & CNTKCTL_PL0VTEN != 0,  // CNTV_CVAL
            _ => false,
        }
    }

    /// MRRC p15 (opc1, CRm). Only the generic timer's 64-bit registers exist here:
    /// the 64-bit TTBR and PAR forms belong to LPAE. CNTVOFF is Hyp-only: UNDEFINED.
    pub fn read64(&self, opc1: u8, crm: u8, privileged: bool, counter: u64) -> Option<u64> {
        if crm != 14 || (!privileged && !self.timer64_pl0_ok(opc1)) {
            return None;
        }
        match TimerReg::from_cp15_64(opc1)? {
            TimerReg::Voff => None,
            t => Some(timer::read_reg(self, t, counter)),
        }
    }

    /// MCRR p15 (opc1, CRm). The counters are read-only: writing them is UNDEFINED.
    pub fn write64(&mut self, opc1: u8, crm: u8, v: u64, privileged: bool) -> Option<SysEffect> {
        if crm != 14 || (!privileged && !self.timer64_pl0_ok(opc1)) {
            return None;
        }
        match TimerReg::from_cp15_64(opc1)? {
            t @ (TimerReg::PCval | TimerReg::VCval) => timer::write_reg(self, t, v, 0),
            _ => return None,
        }
        Some(SysEffect::Timer)
    }
}

/// MRC p14 (B3.17 / C6): the debug registers (opc1 = 0) and the trivial Jazelle
/// registers (opc1 = 7). No debug architecture is implemented: DBGDIDR and the
/// others read as zero. ThumbEE (opc1 = 6) is not implemented: UNDEFINED.
pub fn cp14_read(r: SysReg, privileged: bool) -> SysRead {
    let SysReg { opc1, crn, crm, opc2 } = r;
    match (opc1, crn, crm, opc2) {
        // PL0-readable debug registers: DBGDIDR, DBGDSCRint, DBGDTRRXint, DBGDRAR, DBGDSAR.
        (0, 0, 0, 0) | (0, 0, 1, 0) | (0, 0, 5, 0) | (0, 1, 0, 0) | (0, 2, 0, 0) => Some(0),
        (0, _, _, _) if privileged => Some(0),
        // Jazelle: JIDR (PL0 and PL1), JOSCR and JMCR (PL1).
        (7, 0, 0, 0) => Some(0),
        (7, 1 | 2, 0, 0) if privileged => Some(0),
        _ => None,
    }
}

/// MCR p14: writes to the debug and Jazelle registers are ignored; see `cp14_read`.
pub fn cp14_write(r: SysReg, privileged: bool) -> Option<SysEffect> {
    let SysReg { opc1, crn, crm, opc2 } = r;
    match (opc1, crn, crm, opc2) {
        (0, 0, 5, 0) => Some(SysEffect::None), // DBGDTRTXint: PL0 and PL1
        (0, _, _, _) if privileged => Some(SysEffect::None),
        (7, 1 | 2, 0, 0) if privileged => Some(SysEffect::None),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(opc1: u8, crn: u8, crm: u8, opc2: u8) -> SysReg {
        SysReg { opc1, crn, crm, opc2 }
    }

    #[test]
    fn id_registers_say_cortex_a15_vfpv3_d16_without_neon() {
        let c = Cp15::new();
        let midr = c.read(reg(0, 0, 0, 0), true, 0).unwrap();
        assert_eq!(midr >> 24, 0x41);
        assert_eq!((midr >> 4) & 0xfff, 0xc0f);
        assert_eq!((midr >> 16) & 0xf, 0xf, "ARMv7 CPUID scheme");
        assert_eq!(c.read(reg(0, 0, 0, 7), true, 0), Some(midr), "MIDR alias");
        assert_eq!(MVFR0 & 0xf, 1, "16 double registers");
        assert_eq!((MVFR0 >> 4) & 0xf, 2, "VFPv3 single precision");
        assert_eq!((MVFR0 >> 8) & 0xf, 2, "VFPv3 double precision");
        assert_eq!(MVFR1 & 0x000f_ff00, 0, "no Advanced SIMD");
        assert_eq!(MVFR1 >> 28, 0, "no VFPv4 fused multiply-add");
        const { assert!((FPSID >> 16) & 0x7f >= 2, "Linux: VFPv3 needs FPSID subarchitecture >= 2") };
        const { assert!(FPSID & (1 << 20) == 0, "double precision present") };
        // ID_ISAR0.Divide = 2: SDIV/UDIV in both instruction sets.
        assert_eq!((c.read(reg(0, 0, 2, 0), true, 0).unwrap() >> 24) & 0xf, 2);
        // ID_MMFR0.VMSA < 5: no LPAE (a non-LPAE kernel must not see it).
        assert!(c.read(reg(0, 0, 1, 4), true, 0).unwrap() & 0xf < 5);
        // ID_PFR1: generic timer present.
        assert_eq!((c.read(reg(0, 0, 1, 1), true, 0).unwrap() >> 16) & 0xf, 1);
        // ID_PFR0: no ThumbEE, so Linux does not touch the ThumbEE CP14 registers.
        assert_eq!((c.read(reg(0, 0, 1, 0), true, 0).unwrap() >> 12) & 0xf, 0);
        // CPACR: ASEDIS and D32DIS read as one.
        assert_eq!(c.read(reg(0, 1, 0, 2), true, 0), Some(0xc000_0000));
    }

    #[test]
    fn cache_geometry_is_consistent() {
        let mut c = Cp15::new();
        for (sel, size) in [(0, 32 << 10), (1, 32 << 10), (2, 1 << 20)] {
            c.write(reg(2, 0, 0, 0), sel, true, 0).unwrap();
            let ccsidr = c.read(reg(1, 0, 0, 0), true, 0).unwrap();
            let line = 16 << (ccsidr & 7);
            let ways = ((ccsidr >> 3) & 0x3ff) + 1;
            let sets = ((ccsidr >> 13) & 0x7fff) + 1;
            assert_eq!(line * ways * sets, size, "CSSELR {sel}");
        }
    }

    #[test]
    fn user_mode_cannot_touch_sctlr() {
        let mut c = Cp15::new();
        let sctlr = reg(0, 1, 0, 0);
        assert_eq!(c.read(sctlr, false, 0), None);
        assert_eq!(c.write(sctlr, 1, false, 0), None);
        assert_eq!(c.write(sctlr, 1, true, 0), Some(SysEffect::MmuChanged));
        assert_eq!(c.sctlr, 0x00c5_0059, "M set, CP15BEN cleared, RAO bits kept");
        c.write(sctlr, 0xffff_ffff, true, 0).unwrap();
        assert_eq!(c.sctlr & (1 << 25), 0, "EE is RAZ/WI (little-endian only)");
    }

    #[test]
    fn user_mode_thread_registers() {
        let mut c = Cp15::new();
        let (urw, uro, prw) = (reg(0, 13, 0, 2), reg(0, 13, 0, 3), reg(0, 13, 0, 4));
        assert_eq!(c.write(urw, 5, false, 0), Some(SysEffect::None));
        assert_eq!(c.write(uro, 6, false, 0), None);
        assert_eq!(c.write(uro, 6, true, 0), Some(SysEffect::None));
        assert_eq!(c.write(prw, 7, true, 0), Some(SysEffect::None));
        assert_eq!((c.read(urw, false, 0), c.read(uro, false, 0), c.read(prw, false, 0)), (Some(5), Some(6), None));
        assert_eq!(c.read(prw, true, 0), Some(7));
    }

    #[test]
    fn cp15_barriers_follow_cp15ben() {
        let mut c = Cp15::new();
        let dmb = reg(0, 7, 10, 5);
        assert_eq!(c.write(dmb, 0, false, 0), Some(SysEffect::None));
        c.write(reg(0, 1, 0, 0), 0, true, 0).unwrap();
        assert_eq!(c.write(dmb, 0, true, 0), None);
    }

    #[test]
    fn maintenance_effects() {
        let mut c = Cp15::new();
        assert_eq!(c.write(reg(0, 8, 7, 0), 0, true, 0), Some(SysEffect::TlbFlush(TlbOp::All)));
        assert_eq!(
            c.write(reg(0, 8, 7, 1), 0x1234_5042, true, 0),
            Some(SysEffect::TlbFlush(TlbOp::Mva { va: 0x1234_5000, asid: 0x42 }))
        );
        assert_eq!(c.write(reg(0, 8, 3, 2), 7, true, 0), Some(SysEffect::TlbFlush(TlbOp::Asid(7))));
        assert_eq!(c.write(reg(0, 8, 7, 3), 0x8000_0fff, true, 0), Some(SysEffect::TlbFlush(TlbOp::MvaAllAsids(0x8000_0000))));
        assert_eq!(c.write(reg(0, 7, 5, 0), 0, true, 0), Some(SysEffect::ICacheFlush(None)));
        assert_eq!(c.write(reg(0, 7, 5, 1), 0x1047, true, 0), Some(SysEffect::ICacheFlush(Some(0x1040))));
        assert_eq!(c.write(reg(0, 7, 5, 6), 0, true, 0), Some(SysEffect::None), "BPIALL");
        assert_eq!(c.write(reg(0, 7, 11, 1), 0x8000_1040, true, 0), Some(SysEffect::DCache(Some(0x8000_1040))), "DCCMVAU");
        assert_eq!(c.write(reg(0, 7, 14, 1), 0x8000_1040, true, 0), Some(SysEffect::DCache(Some(0x8000_1040))), "DCCIMVAC");
        assert_eq!(c.write(reg(0, 7, 10, 2), 0x40, true, 0), Some(SysEffect::DCache(None)), "DCCSW");
        assert_eq!(c.write(reg(0, 7, 6, 2), 0x40, true, 0), Some(SysEffect::DCache(None)), "DCISW");
        assert_eq!(c.write(reg(0, 7, 14, 1), 0, false, 0), None, "DCCIMVAC is PL1 only");
        assert_eq!(
            c.write(reg(0, 7, 8, 3), 0x9001_abc4, true, 0),
            Some(SysEffect::AddressTranslation(AtsRequest { va: 0x9001_abc4, user: true, write: true }))
        );
        assert_eq!(c.write(reg(0, 7, 8, 4), 0, true, 0), None, "ATS12NSOPR");
        c.complete_ats(Ok(0x4083_a123));
        assert_eq!(c.read(reg(0, 7, 4, 0), true, 0), Some(0x4083_a000));
        c.complete_ats(Err(0x05)); // section translation fault
        assert_eq!(c.par & 0x7f, 0x0b);
        c.complete_ats(Err(0x406)); // FS = 0b10110 (async external, FS[4] in bit 10)
        assert_eq!(c.par & 0x7f, 0x2d);
        assert_eq!(TlbOp::Asid(1).merge(TlbOp::Asid(1)), TlbOp::Asid(1));
        assert_eq!(TlbOp::Asid(1).merge(TlbOp::Asid(2)), TlbOp::All);
    }

    #[test]
    fn generic_timer_registers() {
        let mut c = Cp15::new();
        let (frq, kctl) = (reg(0, 14, 0, 0), reg(0, 14, 1, 0));
        let (ptval, pctl, vtval, vctl) = (reg(0, 14, 2, 0), reg(0, 14, 2, 1), reg(0, 14, 3, 0), reg(0, 14, 3, 1));
        assert_eq!(c.read(frq, true, 0), Some(62_500_000));
        assert_eq!(c.read(frq, false, 0), None, "CNTFRQ at PL0 needs CNTKCTL.PL0*CTEN");
        assert_eq!(c.read64(1, 14, false, 5), None, "CNTVCT at PL0 needs PL0VCTEN");
        c.write(kctl, CNTKCTL_PL0VCTEN, true, 0).unwrap();
        assert_eq!(c.read(frq, false, 0), Some(62_500_000));
        assert_eq!(c.read64(1, 14, false, 5), Some(5));
        assert_eq!(c.read64(0, 14, false, 5), None, "CNTPCT still closed at PL0");
        assert_eq!(c.read(pctl, false, 0), None);

        // TVAL: a signed 32-bit down-counter view of CVAL.
        assert_eq!(c.write(ptval, 1000, true, 500), Some(SysEffect::Timer));
        assert_eq!(c.cntp_cval, 1500);
        assert_eq!(c.read(ptval, true, 1400), Some(100));
        assert_eq!(c.read(ptval, true, 1600), Some((-100i32) as u32));
        c.write(ptval, (-10i32) as u32, true, 500).unwrap();
        assert_eq!(c.cntp_cval, 490);
        // CTL: ISTATUS only while enabled and CVAL reached; IMASK gates the interrupt.
        c.write(pctl, 0xffff_ffff, true, 0).unwrap();
        assert_eq!(c.cntp_ctl, 3);
        assert_eq!(c.read(pctl, true, 489), Some(3));
        assert_eq!(c.read(pctl, true, 490), Some(7));
        assert!(!c.cntp_irq(490), "masked");
        c.write(pctl, 1, true, 0).unwrap();
        assert!(c.cntp_irq(490) && !c.cntp_irq(489));
        // 64-bit CVAL accesses.
        assert_eq!(c.write64(3, 14, 0x1_0000_0000, true), Some(SysEffect::Timer));
        assert_eq!(c.read64(3, 14, true, 0), Some(0x1_0000_0000));
        assert_eq!(c.read(vtval, true, 0xffff_fff0), Some(0x10));
        c.write(vctl, 1, true, 0).unwrap();
        assert!(c.cntv_irq(0x1_0000_0000));
        assert_eq!(c.write64(0, 14, 0, true), None, "CNTPCT is read-only");
        assert_eq!(c.read64(4, 14, true, 0), None, "CNTVOFF is Hyp-only");
        assert_eq!(c.read64(0, 2, true, 0), None, "64-bit TTBR0 needs LPAE");
    }

    #[test]
    fn system_counter_runs_forward() {
        let a = system_counter();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = system_counter();
        assert!(b > a && b - a >= 2 * (CNTFRQ_HZ as u64 / 1000), "{a} {b}");
    }

    #[test]
    fn cp14_debug_registers() {
        // DBGDIDR reads 0 at PL0 and PL1 (no debug architecture).
        assert_eq!(cp14_read(reg(0, 0, 0, 0), false), Some(0));
        assert_eq!(cp14_read(reg(0, 0, 0, 0), true), Some(0));
        // DBGBVR0 (c0, c0, 4) is PL1 only.
        assert_eq!(cp14_read(reg(0, 0, 0, 4), false), None);
        assert_eq!(cp14_read(reg(0, 0, 0, 4), true), Some(0));
        assert_eq!(cp14_write(reg(0, 1, 0, 4), true), Some(SysEffect::None), "DBGOSLAR");
        assert_eq!(cp14_write(reg(0, 1, 0, 4), false), None);
        // ThumbEE registers: not implemented.
        assert_eq!(cp14_read(reg(6, 0, 0, 0), true), None);
        assert_eq!(cp14_read(reg(7, 0, 0, 0), false), Some(0), "JIDR");
    }
}
