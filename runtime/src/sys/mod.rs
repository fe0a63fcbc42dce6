//! CP15 system control registers of a uniprocessor Cortex-A15 without NEON or LPAE,
//! and the ID registers of its VFPv3-D16 unit (Arm ARM B4.1, Cortex-A15 TRM).
//!
//! MRC/MCR are routed here by the `SysRegRead`/`SysRegWrite` helpers. Registers
//! that affect translation or memory (SCTLR, TTBRs, TLB and cache maintenance)
//! report a `SysEffect` so the dispatcher can re-evaluate.

/// MIDR of a Cortex-A15 r2p2.
pub const MIDR: u32 = 0x412f_c0f2;
/// FPSID: VFPv3 (subarchitecture 3), implementer ARM, part 0x30, variant 0xf, rev 0.
pub const FPSID: u32 = 0x4103_30f0;
/// MVFR0: VFPv3 D16 (A_SIMD regs = 1: 16 x 64-bit), single+double, divide, sqrt, short vectors 0, rounding modes all.
pub const MVFR0: u32 = 0x1011_0221;
/// MVFR1: no Advanced SIMD; FP16 conversions (bits 27:24 = 1 would need NEON for the SIMD variant; keep VFP half-precision only),
/// FTZ and default-NaN supported (D_NaN bits 7:4 = 1, FtZ bits 3:0 = 1).
pub const MVFR1: u32 = 0x0000_0011;

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
    pub cntp_ctl: u32,
    pub cntv_ctl: u32,
    pub cntp_cval: u64,
    pub cntv_cval: u64,
    pub cntvoff: u64,
}

const SCTLR_M: u32 = 1 << 0;
const SCTLR_V: u32 = 1 << 13;
const SCTLR_EE: u32 = 1 << 25;
const SCTLR_TE: u32 = 1 << 30;

impl Default for Cp15 {
    fn default() -> Self {
        Self::new()
    }
}

impl Cp15 {
    pub fn new() -> Self {
        Cp15 {
            // Reset value of a Cortex-A15: RES1 bits 23, 22, 18, 16, 11(Z off), 4, 3.
            sctlr: 0x00c5_0078,
            actlr: 0,
            cpacr: 0,
            ttbr0: 0,
            ttbr1: 0,
            ttbcr: 0,
            dacr: 0,
            dfsr: 0,
            ifsr: 0,
            dfar: 0,
            ifar: 0,
            prrr: 0x00098aa4,
            nmrr: 0x44e048e0,
            contextidr: 0,
            tpidrurw: 0,
            tpidruro: 0,
            tpidrprw: 0,
            vbar: 0,
            csselr: 0,
            par: 0,
            cntfrq: 62_500_000,
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
    pub fn sctlr_v(&self) -> bool {
        self.sctlr & SCTLR_V != 0
    }
    pub fn sctlr_ee(&self) -> bool {
        self.sctlr & SCTLR_EE != 0
    }
    pub fn sctlr_te(&self) -> bool {
        self.sctlr & SCTLR_TE != 0
    }
}

/// What a CP15 write means for the rest of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysEffect {
    None,
    /// Translation regime changed (SCTLR.M, TTBRx, TTBCR, DACR, CONTEXTIDR).
    MmuChanged,
    /// TLB maintenance.
    TlbFlush,
    /// Instruction-cache maintenance: translated blocks may be stale.
    ICacheFlush,
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

impl Cp15 {
    /// MRC p15. `privileged` is whether the CPU is at PL1.
    pub fn read(&self, r: SysReg, privileged: bool, counter: u64) -> SysRead {
        let SysReg { opc1, crn, crm, opc2 } = r;
        // User-accessible registers first.
        match (crn, opc1, crm, opc2) {
            (13, 0, 0, 2) => return Some(self.tpidrurw),
            (13, 0, 0, 3) => return Some(self.tpidruro),
            (14, 0, 0, 0) => return Some(self.cntfrq),
            (14, 0, 2, 0) | (14, 0, 2, 1) | (14, 0, 3, 0) | (14, 0, 3, 1) if self.cntkctl & 3 != 0 || privileged => {}
            _ if !privileged => return None,
            _ => {}
        }
        let _ = counter;
        Some(match (crn, opc1, crm, opc2) {
            (0, 0, 0, 0) => MIDR,
            (0, 0, 0, 1) => 0x8444_c004, // CTR: 64-byte lines, PIPT I-cache
            (0, 0, 0, 2) => 0,           // TCMTR
            (0, 0, 0, 3) => 0,           // TLBTR: unified TLB
            (0, 0, 0, 5) => 0x8000_0000, // MPIDR: multiprocessing extensions, uniprocessor... cpu 0
            (0, 0, 0, 6) => 0,           // REVIDR
            (0, 0, 1, 0) => 0x0000_1131, // ID_PFR0: ARM, Thumb-2, ThumbEE, Jazelle (trivial)
            (0, 0, 1, 1) => 0x0000_1011, // ID_PFR1: security + generic timer, no virtualisation
            (0, 0, 1, 2) => 0x0201_0555, // ID_DFR0
            (0, 0, 1, 3) => 0,           // ID_AFR0
            (0, 0, 1, 4) => 0x1020_1105, // ID_MMFR0: VMSAv7, no LPAE
            (0, 0, 1, 5) => 0x4000_0000, // ID_MMFR1
            (0, 0, 1, 6) => 0x0124_0000, // ID_MMFR2
            (0, 0, 1, 7) => 0x0210_2211, // ID_MMFR3
            (0, 0, 2, 0) => 0x0210_1110, // ID_ISAR0: includes SDIV/UDIV
            (0, 0, 2, 1) => 0x1311_2111, // ID_ISAR1
            (0, 0, 2, 2) => 0x2123_2041, // ID_ISAR2
            (0, 0, 2, 3) => 0x1111_2131, // ID_ISAR3
            (0, 0, 2, 4) => 0x1001_1142, // ID_ISAR4
            (0, 0, 2, 5) => 0,           // ID_ISAR5
            (0, 0, _, _) => 0,
            (0, 1, 0, 0) => {
                // CCSIDR for the cache CSSELR selects: L1D 32 KiB 2-way 64 B, L1I same, L2 1 MiB 16-way.
                match self.csselr {
                    0 => 0x701f_e00a,
                    1 => 0x201f_e00a,
                    2 => 0x711f_e07a,
                    _ => 0,
                }
            }
            (0, 1, 0, 1) => 0x0a20_0023, // CLIDR: L1 I+D, L2 unified
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
            (5, 0, 1, _) => 0, // ADFSR/AIFSR
            (6, 0, 0, 0) => self.dfar,
            (6, 0, 0, 2) => self.ifar,
            (7, 0, 4, 0) => self.par,
            (9, _, _, _) => 0, // PMU and L2 control: read as zero
            (10, 0, 2, 0) => self.prrr,
            (10, 0, 2, 1) => self.nmrr,
            (10, _, _, _) => 0,
            (12, 0, 0, 0) => self.vbar,
            (12, 0, 1, 0) => 0, // ISR
            (13, 0, 0, 0) => 0, // FCSEIDR
            (13, 0, 0, 1) => self.contextidr,
            (13, 0, 0, 4) => self.tpidrprw,
            (14, 0, 1, 0) => self.cntkctl,
            (14, 0, 2, 1) => self.cntp_ctl,
            (14, 0, 3, 1) => self.cntv_ctl,
            (15, _, _, _) => 0, // implementation defined
            _ => return None,
        })
    }

    /// MCR p15. Returns None for UNDEFINED, otherwise what the write means.
    pub fn write(&mut self, r: SysReg, v: u32, privileged: bool) -> Option<SysEffect> {
        let SysReg { opc1, crn, crm, opc2 } = r;
        if crn == 13 && opc1 == 0 && crm == 0 && opc2 == 2 {
            self.tpidrurw = v;
            return Some(SysEffect::None);
        }
        if crn == 7 && opc1 == 0 && crm == 5 && opc2 == 4 {
            return Some(SysEffect::None); // CP15ISB
        }
        if crn == 7 && opc1 == 0 && crm == 10 && (opc2 == 4 || opc2 == 5) {
            return Some(SysEffect::None); // CP15DSB, CP15DMB
        }
        if !privileged {
            return None;
        }
        Some(match (crn, opc1, crm, opc2) {
            (0, 2, 0, 0) => {
                self.csselr = v & 0xf;
                SysEffect::None
            }
            (1, 0, 0, 0) => {
                self.sctlr = v;
                SysEffect::MmuChanged
            }
            (1, 0, 0, 1) => {
                self.actlr = v;
                SysEffect::None
            }
            (1, 0, 0, 2) => {
                self.cpacr = v & 0x00f0_0000 | (v & 0xc000_0000);
                SysEffect::None
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
            // I-cache and branch predictor maintenance.
            (7, 0, 1, 0) | (7, 0, 5, 0) | (7, 0, 5, 1) | (7, 0, 1, 6) | (7, 0, 5, 6) | (7, 0, 5, 7) => {
                SysEffect::ICacheFlush
            }
            // Data cache maintenance: caches are not modelled.
            (7, 0, 6, 1) | (7, 0, 6, 2) | (7, 0, 10, 1) | (7, 0, 10, 2) | (7, 0, 11, 1) | (7, 0, 14, 1)
            | (7, 0, 14, 2) => SysEffect::None,
            // Address translation operations (ATS*): handled by the MMU issue; PAR reports a fault.
            (7, 0, 8, _) => {
                self.par = 1;
                SysEffect::None
            }
            // TLB maintenance.
            (8, 0, _, _) => SysEffect::TlbFlush,
            (9, _, _, _) => SysEffect::None, // PMU: write ignored
            (10, 0, 2, 0) => {
                self.prrr = v;
                SysEffect::MmuChanged
            }
            (10, 0, 2, 1) => {
                self.nmrr = v;
                SysEffect::MmuChanged
            }
            (10, _, _, _) => SysEffect::None, // TLB lockdown etc.
            (12, 0, 0, 0) => {
                self.vbar = v & !0x1f;
                SysEffect::None
            }
            (13, 0, 0, 0) => SysEffect::None,
            (13, 0, 0, 1) => {
                self.contextidr = v;
                SysEffect::MmuChanged
            }
            (13, 0, 0, 3) => {
                self.tpidruro = v;
                SysEffect::None
            }
            (13, 0, 0, 4) => {
                self.tpidrprw = v;
                SysEffect::None
            }
            (14, 0, 0, 0) => {
                self.cntfrq = v;
                SysEffect::None
            }
            (14, 0, 1, 0) => {
                self.cntkctl = v;
                SysEffect::None
            }
            (14, 0, 2, 1) => {
                self.cntp_ctl = v & 3;
                SysEffect::None
            }
            (14, 0, 3, 1) => {
                self.cntv_ctl = v & 3;
                SysEffect::None
            }
            (15, _, _, _) => SysEffect::None, // implementation defined (errata, L2 control)
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_registers_say_cortex_a15_vfpv3_d16_without_neon() {
        let c = Cp15::new();
        let midr = c.read(SysReg { opc1: 0, crn: 0, crm: 0, opc2: 0 }, true, 0).unwrap();
        assert_eq!(midr >> 24, 0x41);
        assert_eq!((midr >> 4) & 0xfff, 0xc0f);
        assert_eq!(MVFR0 & 0xf, 1, "16 double registers");
        assert_eq!(MVFR1 & 0x000f_ff00, 0, "no Advanced SIMD");
    }

    #[test]
    fn user_mode_cannot_touch_sctlr() {
        let mut c = Cp15::new();
        let sctlr = SysReg { opc1: 0, crn: 1, crm: 0, opc2: 0 };
        assert_eq!(c.read(sctlr, false, 0), None);
        assert_eq!(c.write(sctlr, 1, false), None);
        assert_eq!(c.write(sctlr, 1, true), Some(SysEffect::MmuChanged));
    }
}
