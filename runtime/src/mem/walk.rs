//! The VMSAv7 short-descriptor translation table walk (Arm ARM B3.5): sections,
//! supersections, large and small pages, domains (DACR), AP[2:0] access
//! permissions (SCTLR.AFE = 0), XN, nG. Pure: page-table words are read through a
//! closure, so the HSPT fault handler, the instruction fetcher and the software
//! MMU share it.

use super::{fsr, MemFault};

/// The registers a walk depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkRegs {
    pub ttbr0: u32,
    pub ttbr1: u32,
    pub ttbcr: u32,
    pub dacr: u32,
}

impl WalkRegs {
    /// The CPU's current translation registers.
    pub fn of(cpu: &crate::cpu::CpuState) -> WalkRegs {
        let c = &cpu.cp15;
        WalkRegs { ttbr0: c.ttbr0, ttbr1: c.ttbr1, ttbcr: c.ttbcr, dacr: c.dacr }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Fetch,
}

/// A successful translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address of `va`.
    pub pa: u32,
    /// Size of the mapping that contains `va` (4 KiB, 64 KiB, 1 MiB or 16 MiB).
    pub size: u32,
    /// Whether the entry is global (nG = 0).
    pub global: bool,
    /// What the requesting privilege level may do on this mapping.
    pub readable: bool,
    pub writable: bool,
    pub executable: bool,
}

impl Translation {
    /// Virtual and physical base of the mapping holding `va`.
    pub fn base(&self, va: u32) -> (u32, u32) {
        let m = self.size - 1;
        (va & !m, self.pa & !m)
    }
}

/// (privileged may read, write), (user may read, write) for AP[2:0] (Arm ARM table B3-8).
fn ap_perms(ap: u32) -> ((bool, bool), (bool, bool)) {
    match ap & 7 {
        0b000 => ((false, false), (false, false)),
        0b001 => ((true, true), (false, false)),
        0b010 => ((true, true), (true, false)),
        0b011 => ((true, true), (true, true)),
        0b101 => ((true, false), (false, false)),
        0b110 | 0b111 => ((true, false), (true, false)),
        _ => ((false, false), (false, false)), // 0b100 reserved
    }
}

fn fault(code: u32, domain: u32, va: u32, write: bool) -> MemFault {
    MemFault::new(code | (domain << 4) | if write { fsr::WNR } else { 0 }, va)
}

/// Translates `va` for an access of kind `acc` at the given privilege.
/// `read_pt(pa)` returns the 32-bit page-table word at physical `pa`, or None
/// when `pa` is not memory (a translation table walk external abort).
pub fn walk(
    regs: &WalkRegs,
    va: u32,
    acc: Access,
    privileged: bool,
    mut read_pt: impl FnMut(u32) -> Option<u32>,
) -> Result<Translation, MemFault> {
    let write = acc == Access::Write;
    let n = regs.ttbcr & 7;
    let (l1_addr, disabled) = if n == 0 || va >> (32 - n) == 0 {
        let base = regs.ttbr0 & !((1u32 << (14 - n)) - 1);
        let index = (va << n) >> (20 + n);
        (base | (index << 2), regs.ttbcr & (1 << 4) != 0)
    } else {
        (regs.ttbr1 & !0x3fff | ((va >> 20) << 2), regs.ttbcr & (1 << 5) != 0)
    };
    if disabled {
        return Err(fault(fsr::TRANSLATION_SECTION, 0, va, write));
    }
    // Level-1 external abort on walk: FS = 0b01100.
    let l1 = read_pt(l1_addr).ok_or_else(|| fault(0x0c, 0, va, write))?;
    let (pa, size, ap, xn, ng, domain, is_section) = match l1 & 3 {
        0b01 => {
            let domain = (l1 >> 5) & 0xf;
            let l2_addr = (l1 & 0xffff_fc00) | (((va >> 12) & 0xff) << 2);
            let l2 = read_pt(l2_addr).ok_or_else(|| fault(0x0e, domain, va, write))?;
            match l2 & 3 {
                0b00 => return Err(fault(fsr::TRANSLATION_PAGE, domain, va, write)),
                0b01 => {
                    // Large page (64 KiB).
                    let pa = (l2 & 0xffff_0000) | (va & 0xffff);
                    let ap = ((l2 >> 7) & 4) | ((l2 >> 4) & 3);
                    (pa, 0x1_0000, ap, l2 & (1 << 15) != 0, l2 & (1 << 11) != 0, domain, false)
                }
                _ => {
                    // Small page (4 KiB).
                    let pa = (l2 & 0xffff_f000) | (va & 0xfff);
                    let ap = ((l2 >> 7) & 4) | ((l2 >> 4) & 3);
                    (pa, 0x1000, ap, l2 & 1 != 0, l2 & (1 << 11) != 0, domain, false)
                }
            }
        }
        0b10 => {
            let ap = ((l1 >> 13) & 4) | ((l1 >> 10) & 3);
            let xn = l1 & (1 << 4) != 0;
            let ng = l1 & (1 << 17) != 0;
            if l1 & (1 << 18) == 0 {
                let domain = (l1 >> 5) & 0xf;
                ((l1 & 0xfff0_0000) | (va & 0xf_ffff), 0x10_0000, ap, xn, ng, domain, true)
            } else {
                // Supersection: domain 0; extended base address bits must be zero for a 32-bit PA.
                ((l1 & 0xff00_0000) | (va & 0xff_ffff), 0x100_0000, ap, xn, ng, 0, true)
            }
        }
        _ => return Err(fault(fsr::TRANSLATION_SECTION, 0, va, write)),
    };
    let (dom_fault, perm_fault) = if is_section {
        (fsr::DOMAIN_SECTION, fsr::PERMISSION_SECTION)
    } else {
        (fsr::DOMAIN_PAGE, fsr::PERMISSION_PAGE)
    };
    let (readable, writable) = match (regs.dacr >> (2 * domain)) & 3 {
        0b01 => {
            let (p, u) = ap_perms(ap);
            if privileged {
                p
            } else {
                u
            }
        }
        0b11 => (true, true), // manager: no permission checks
        _ => return Err(fault(dom_fault, domain, va, write)),
    };
    let manager = (regs.dacr >> (2 * domain)) & 3 == 0b11;
    let executable = readable && (manager || !xn);
    let ok = match acc {
        Access::Read => readable,
        Access::Write => writable,
        Access::Fetch => executable,
    };
    if !ok {
        return Err(fault(perm_fault, domain, va, write));
    }
    Ok(Translation { pa, size, global: !ng, readable, writable, executable })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Tables(HashMap<u32, u32>);
    impl Tables {
        fn read(&self, pa: u32) -> Option<u32> {
            if pa >= 0x4000_0000 {
                Some(*self.0.get(&pa).unwrap_or(&0))
            } else {
                None
            }
        }
    }

    const TTB: u32 = 0x4000_4000;
    const L2: u32 = 0x4000_8000;

    fn setup() -> (WalkRegs, Tables) {
        let mut t = HashMap::new();
        // VA 0x0010_0000: section -> PA 0x4010_0000, domain 0, AP=011 (full), XN.
        t.insert(TTB + (0x001 << 2), 0x4010_0000 | (0b11 << 10) | (1 << 4) | 0b10);
        // VA 0x0020_0000: page table in domain 1.
        t.insert(TTB + (0x002 << 2), L2 | (1 << 5) | 0b01);
        // VA 0x0020_3000: small page -> 0x4050_3000, AP=010 (user read-only), nG.
        t.insert(L2 + (0x03 << 2), 0x4050_3000 | (1 << 11) | (0b10 << 4) | 0b10);
        // VA 0x0021_0000..: large page -> 0x4060_0000, AP=001 (privileged only).
        for i in 0x10..0x20 {
            t.insert(L2 + (i << 2), 0x4060_0000 | (0b01 << 4) | 0b01);
        }
        // VA 0xc000_0000: supersection -> 0x4000_0000, AP=101 (privileged read-only).
        for i in 0xc00..0xc10 {
            t.insert(TTB + (i << 2), 0x4000_0000 | (1 << 18) | (1 << 15) | (0b01 << 10) | 0b10);
        }
        // VA 0x0030_0000: page table at a non-RAM address -> external abort on walk.
        t.insert(TTB + (0x003 << 2), 0x0010_0000 | 0b01);
        (WalkRegs { ttbr0: TTB, ttbr1: 0, ttbcr: 0, dacr: 0b01_01 }, Tables(t))
    }

    #[test]
    fn sections_pages_and_supersections_translate() {
        let (r, t) = setup();
        let s = walk(&r, 0x0012_3456, Access::Read, false, |a| t.read(a)).unwrap();
        assert_eq!((s.pa, s.size, s.global, s.executable), (0x4012_3456, 0x10_0000, true, false));
        let p = walk(&r, 0x0020_3abc, Access::Read, false, |a| t.read(a)).unwrap();
        assert_eq!((p.pa, p.size, p.global, p.writable), (0x4050_3abc, 0x1000, false, false));
        let l = walk(&r, 0x0021_1234, Access::Write, true, |a| t.read(a)).unwrap();
        assert_eq!((l.pa, l.size), (0x4060_1234, 0x1_0000));
        let ss = walk(&r, 0xc0ab_cdef, Access::Read, true, |a| t.read(a)).unwrap();
        assert_eq!((ss.pa, ss.size), (0x40ab_cdef, 0x100_0000));
        assert_eq!(ss.base(0xc0ab_cdef), (0xc000_0000, 0x4000_0000));
    }

    #[test]
    fn faults_carry_the_architectural_status() {
        let (mut r, t) = setup();
        // Unmapped section: translation fault, section.
        let f = walk(&r, 0x0500_0000, Access::Read, true, |a| t.read(a)).unwrap_err();
        assert_eq!((f.fsr, f.far), (fsr::TRANSLATION_SECTION, 0x0500_0000));
        // Unmapped page in domain 1: translation fault, page, domain 1, write.
        let f = walk(&r, 0x0020_4000, Access::Write, true, |a| t.read(a)).unwrap_err();
        assert_eq!(f.fsr, fsr::TRANSLATION_PAGE | (1 << 4) | fsr::WNR);
        // User write to a user read-only page: permission fault (page).
        let f = walk(&r, 0x0020_3000, Access::Write, false, |a| t.read(a)).unwrap_err();
        assert_eq!(f.fsr & 0x40f, fsr::PERMISSION_PAGE);
        // User read of a privileged-only large page.
        assert!(walk(&r, 0x0021_0000, Access::Read, false, |a| t.read(a)).is_err());
        // Privileged write to read-only supersection.
        let f = walk(&r, 0xc000_0000, Access::Write, true, |a| t.read(a)).unwrap_err();
        assert_eq!(f.fsr & 0xf, fsr::PERMISSION_SECTION);
        // XN section: fetch faults.
        assert!(walk(&r, 0x0010_0000, Access::Fetch, true, |a| t.read(a)).is_err());
        // External abort on the second-level walk.
        let f = walk(&r, 0x0030_0000, Access::Read, true, |a| t.read(a)).unwrap_err();
        assert_eq!(f.fsr & 0xf, 0x0e);
        // Domain 1 set to no access: domain fault; to manager: everything allowed.
        r.dacr = 0b00_01;
        let f = walk(&r, 0x0020_3000, Access::Read, true, |a| t.read(a)).unwrap_err();
        assert_eq!(f.fsr, fsr::DOMAIN_PAGE | (1 << 4));
        r.dacr = 0b11_01;
        assert!(walk(&r, 0x0020_3000, Access::Write, false, |a| t.read(a)).unwrap().writable);
    }

    #[test]
    fn ttbcr_n_splits_between_ttbr0_and_ttbr1() {
        let mut t = HashMap::new();
        let ttb1 = 0x4001_0000;
        let ttb0 = 0x4002_0000; // N = 2: TTBR0 covers 0..1 GiB with a 4 KiB table
        t.insert(ttb0 + (0x001 << 2), 0x4100_0000 | (0b11 << 10) | 0b10);
        t.insert(ttb1 + (0xc00 << 2), 0x4200_0000 | (0b11 << 10) | 0b10);
        let tables = Tables(t);
        let r = WalkRegs { ttbr0: ttb0, ttbr1: ttb1, ttbcr: 2, dacr: 1 };
        assert_eq!(walk(&r, 0x0010_0004, Access::Read, true, |a| tables.read(a)).unwrap().pa, 0x4100_0004);
        assert_eq!(walk(&r, 0xc000_0008, Access::Read, true, |a| tables.read(a)).unwrap().pa, 0x4200_0008);
        let pd1 = WalkRegs { ttbcr: 2 | (1 << 5), ..r };
        assert!(walk(&pd1, 0xc000_0008, Access::Read, true, |a| tables.read(a)).is_err());
    }
}
