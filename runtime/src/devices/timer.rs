//! The ARM generic timer of one CPU (Arm ARM B8): the system counter, and the
//! physical (CNTP_*) and virtual (CNTV_*) timers with their interrupt outputs.
//!
//! The timer's registers live in `crate::sys::Cp15` (they are CP15 registers,
//! reached by MRC/MCR/MRRC/MCRR through `Cp15::read`/`write`/`read64`/`write64`,
//! which check PL0 access with CNTKCTL and delegate the register semantics here).
//! Time is not simulated: the counter is the host's monotonic clock at `CNTFRQ_HZ`
//! (62.5 MHz, as QEMU's `virt`), so a guest sees real time pass however fast or
//! slow its code is translated.
//!
//! The outputs are levels, recomputed from the registers and the counter: the
//! dispatcher calls `sync_gic` (or `levels` and `Gic::set_level`) after a timer
//! register write (`SysEffect::Timer`) and while time passes (at block boundaries,
//! or on waking from WFI at `next_deadline`).
//!
//! No Security or Virtualization Extensions: the secure physical timer (PPI 13)
//! and the Hyp timer (PPI 10) stay low, and CNTVOFF is 0 (it is Hyp-only).

use std::time::Duration;

use super::gic::Gic;
use crate::sys::{self, Cp15, CNT_CTL_ENABLE, CNT_CTL_IMASK, CNT_CTL_ISTATUS};

/// Interrupt IDs of the timer outputs (PPIs 10, 11, 13, 14 = IDs 26, 27, 29, 30).
pub const HYP_TIMER_IRQ: u32 = 26;
pub const VIRT_TIMER_IRQ: u32 = 27;
pub const SECURE_PHYS_TIMER_IRQ: u32 = 29;
pub const PHYS_TIMER_IRQ: u32 = 30;

/// Counter frequency (CNTFRQ's reset value).
pub const CNTFRQ_HZ: u32 = sys::CNTFRQ_HZ;

/// The generic timer's registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerReg {
    /// CNTFRQ (c14, 0, c0, 0).
    Frq,
    /// CNTKCTL (c14, 0, c1, 0).
    Kctl,
    /// CNTP_TVAL (c14, 0, c2, 0): signed 32-bit view of CNTP_CVAL - CNTPCT.
    PTval,
    /// CNTP_CTL (c14, 0, c2, 1).
    PCtl,
    /// CNTV_TVAL (c14, 0, c3, 0).
    VTval,
    /// CNTV_CTL (c14, 0, c3, 1).
    VCtl,
    /// CNTPCT (MRRC opc1 0, c14), read-only.
    Pct,
    /// CNTVCT (MRRC opc1 1, c14), read-only.
    Vct,
    /// CNTP_CVAL (MRRC/MCRR opc1 2, c14).
    PCval,
    /// CNTV_CVAL (MRRC/MCRR opc1 3, c14).
    VCval,
    /// CNTVOFF (MRRC/MCRR opc1 4, c14), Hyp only.
    Voff,
}

impl TimerReg {
    /// The 32-bit register at (CRm, opc2) of CRn = c14, opc1 = 0.
    pub fn from_cp15(crm: u8, opc2: u8) -> Option<TimerReg> {
        Some(match (crm, opc2) {
            (0, 0) => TimerReg::Frq,
            (1, 0) => TimerReg::Kctl,
            (2, 0) => TimerReg::PTval,
            (2, 1) => TimerReg::PCtl,
            (3, 0) => TimerReg::VTval,
            (3, 1) => TimerReg::VCtl,
            _ => return None,
        })
    }
    /// The 64-bit register at opc1 of CRm = c14.
    pub fn from_cp15_64(opc1: u8) -> Option<TimerReg> {
        Some(match opc1 {
            0 => TimerReg::Pct,
            1 => TimerReg::Vct,
            2 => TimerReg::PCval,
            3 => TimerReg::VCval,
            4 => TimerReg::Voff,
            _ => return None,
        })
    }
    /// Whether the register can be written (CNTPCT and CNTVCT cannot).
    pub fn writable(self) -> bool {
        !matches!(self, TimerReg::Pct | TimerReg::Vct)
    }
}

/// The system counter now (CNTPCT): ticks at `CNTFRQ_HZ` of the host's monotonic
/// clock since a process-wide start instant.
pub fn counter() -> u64 {
    sys::system_counter()
}

/// Host time for `ticks` of the counter (how long to sleep until a deadline).
pub fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / CNTFRQ_HZ as u64))
}

/// Condition met (ISTATUS, B8.1.4): enabled and the count has reached CVAL.
fn istatus(ctl: u32, count: u64, cval: u64) -> bool {
    ctl & CNT_CTL_ENABLE != 0 && count >= cval
}

fn ctl_value(ctl: u32, count: u64, cval: u64) -> u32 {
    ctl | if istatus(ctl, count, cval) { CNT_CTL_ISTATUS } else { 0 }
}

/// Reads a timer register at counter value `now`. CNTP/CNTV_CTL include ISTATUS;
/// TVAL is CVAL minus the count, truncated to 32 bits (zero-extended here).
pub fn read_reg(cp15: &Cp15, reg: TimerReg, now: u64) -> u64 {
    let vnow = now.wrapping_sub(cp15.cntvoff);
    match reg {
        TimerReg::Frq => cp15.cntfrq as u64,
        TimerReg::Kctl => cp15.cntkctl as u64,
        TimerReg::PTval => cp15.cntp_cval.wrapping_sub(now) as u32 as u64,
        TimerReg::PCtl => ctl_value(cp15.cntp_ctl, now, cp15.cntp_cval) as u64,
        TimerReg::VTval => cp15.cntv_cval.wrapping_sub(vnow) as u32 as u64,
        TimerReg::VCtl => ctl_value(cp15.cntv_ctl, vnow, cp15.cntv_cval) as u64,
        TimerReg::Pct => now,
        TimerReg::Vct => vnow,
        TimerReg::PCval => cp15.cntp_cval,
        TimerReg::VCval => cp15.cntv_cval,
        TimerReg::Voff => cp15.cntvoff,
    }
}

/// Writes a timer register at counter value `now`. TVAL writes set CVAL to the
/// count plus the sign-extended value; ISTATUS and the counters are read-only.
pub fn write_reg(cp15: &mut Cp15, reg: TimerReg, val: u64, now: u64) {
    let tval = val as u32 as i32 as i64 as u64;
    match reg {
        // CNTFRQ only tells software the frequency; the counter keeps CNTFRQ_HZ.
        TimerReg::Frq => cp15.cntfrq = val as u32,
        // PL0PCTEN, PL0VCTEN, EVNTEN, EVNTDIR, EVNTI, PL0VTEN, PL0PTEN.
        TimerReg::Kctl => cp15.cntkctl = val as u32 & 0x3ff,
        TimerReg::PTval => cp15.cntp_cval = now.wrapping_add(tval),
        TimerReg::PCtl => cp15.cntp_ctl = val as u32 & (CNT_CTL_ENABLE | CNT_CTL_IMASK),
        TimerReg::VTval => cp15.cntv_cval = now.wrapping_sub(cp15.cntvoff).wrapping_add(tval),
        TimerReg::VCtl => cp15.cntv_ctl = val as u32 & (CNT_CTL_ENABLE | CNT_CTL_IMASK),
        TimerReg::PCval => cp15.cntp_cval = val,
        TimerReg::VCval => cp15.cntv_cval = val,
        TimerReg::Voff => cp15.cntvoff = val,
        TimerReg::Pct | TimerReg::Vct => {}
    }
}

/// The interrupt outputs at counter value `now`: (physical non-secure timer,
/// ID 30; virtual timer, ID 27). A timer asserts while ISTATUS is set and IMASK clear.
pub fn levels(cp15: &Cp15, now: u64) -> (bool, bool) {
    let fires = |ctl: u32, count: u64, cval: u64| istatus(ctl, count, cval) && ctl & CNT_CTL_IMASK == 0;
    (
        fires(cp15.cntp_ctl, now, cp15.cntp_cval),
        fires(cp15.cntv_ctl, now.wrapping_sub(cp15.cntvoff), cp15.cntv_cval),
    )
}

/// The earliest physical count after `now` at which an output that is low now
/// will rise (an enabled, unmasked timer whose CVAL is still ahead), or None if
/// no output will rise by the passing of time alone. For sleeping in WFI.
pub fn next_deadline(cp15: &Cp15, now: u64) -> Option<u64> {
    let armed = |ctl: u32| ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK) == CNT_CTL_ENABLE;
    let mut deadline: Option<u64> = None;
    if armed(cp15.cntp_ctl) && cp15.cntp_cval > now {
        deadline = Some(cp15.cntp_cval);
    }
    let vnow = now.wrapping_sub(cp15.cntvoff);
    if armed(cp15.cntv_ctl) && cp15.cntv_cval > vnow {
        // The virtual count reaches CVAL after CVAL - CNTVCT more ticks.
        let at = now.saturating_add(cp15.cntv_cval - vnow);
        deadline = Some(deadline.map_or(at, |d| d.min(at)));
    }
    deadline
}

/// Drives the timer's interrupt lines into the GIC at counter value `now`.
pub fn sync_gic(cp15: &Cp15, gic: &mut Gic, now: u64) {
    let (phys, virt) = levels(cp15, now);
    gic.set_level(PHYS_TIMER_IRQ, phys);
    gic.set_level(VIRT_TIMER_IRQ, virt);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tval_is_a_signed_view_of_cval() {
        let mut c = Cp15::new();
        write_reg(&mut c, TimerReg::PTval, 1000, 500);
        assert_eq!(c.cntp_cval, 1500);
        assert_eq!(read_reg(&c, TimerReg::PCval, 0), 1500);
        assert_eq!(read_reg(&c, TimerReg::PTval, 1400), 100);
        assert_eq!(read_reg(&c, TimerReg::PTval, 1600), (-100i32) as u32 as u64);
        write_reg(&mut c, TimerReg::PTval, (-10i32) as u32 as u64, 500);
        assert_eq!(c.cntp_cval, 490);
        // Only the low 32 bits of a TVAL write count, sign-extended.
        write_reg(&mut c, TimerReg::VTval, 0xdead_0000_0000_0010, 0x1_0000_0000);
        assert_eq!(c.cntv_cval, 0x1_0000_0010);
        assert_eq!(read_reg(&c, TimerReg::VTval, 0x1_0000_0000), 0x10);
        write_reg(&mut c, TimerReg::VCval, 0x2_0000_0000, 0);
        assert_eq!(read_reg(&c, TimerReg::VTval, 0x1_ffff_fff0), 0x10);
    }

    #[test]
    fn istatus_and_imask() {
        let mut c = Cp15::new();
        write_reg(&mut c, TimerReg::PCval, 100, 0);
        assert_eq!(read_reg(&c, TimerReg::PCtl, 200), 0, "disabled: no ISTATUS");
        assert_eq!(levels(&c, 200), (false, false));
        write_reg(&mut c, TimerReg::PCtl, 0xffff_ffff, 0);
        assert_eq!(c.cntp_ctl, 3, "ISTATUS is read-only");
        assert_eq!(read_reg(&c, TimerReg::PCtl, 99), 3);
        assert_eq!(read_reg(&c, TimerReg::PCtl, 100), 7);
        assert_eq!(levels(&c, 100), (false, false), "masked");
        write_reg(&mut c, TimerReg::PCtl, CNT_CTL_ENABLE as u64, 0);
        assert_eq!(levels(&c, 99), (false, false));
        assert_eq!(levels(&c, 100), (true, false));
        // The virtual timer compares the virtual count.
        write_reg(&mut c, TimerReg::VCval, 50, 0);
        write_reg(&mut c, TimerReg::VCtl, 1, 0);
        assert_eq!(levels(&c, 60), (false, true));
        c.cntvoff = 20;
        assert_eq!(read_reg(&c, TimerReg::Vct, 60), 40);
        assert_eq!(read_reg(&c, TimerReg::VCtl, 60), 1);
        assert_eq!(levels(&c, 70), (false, true));
    }

    #[test]
    fn counters_are_read_only() {
        let mut c = Cp15::new();
        write_reg(&mut c, TimerReg::Pct, 5, 10);
        write_reg(&mut c, TimerReg::Vct, 5, 10);
        assert_eq!(read_reg(&c, TimerReg::Pct, 10), 10);
        assert_eq!(read_reg(&c, TimerReg::Vct, 10), 10);
        assert!(!TimerReg::Pct.writable() && TimerReg::PCval.writable());
        assert_eq!(read_reg(&c, TimerReg::Frq, 0), 62_500_000);
        write_reg(&mut c, TimerReg::Kctl, 0xffff_ffff, 0);
        assert_eq!(read_reg(&c, TimerReg::Kctl, 0), 0x3ff);
    }

    #[test]
    fn encodings() {
        assert_eq!(TimerReg::from_cp15(2, 1), Some(TimerReg::PCtl));
        assert_eq!(TimerReg::from_cp15(3, 0), Some(TimerReg::VTval));
        assert_eq!(TimerReg::from_cp15(2, 2), None);
        assert_eq!(TimerReg::from_cp15_64(1), Some(TimerReg::Vct));
        assert_eq!(TimerReg::from_cp15_64(3), Some(TimerReg::VCval));
        assert_eq!(TimerReg::from_cp15_64(5), None);
    }

    #[test]
    fn deadlines() {
        let mut c = Cp15::new();
        assert_eq!(next_deadline(&c, 0), None, "disabled");
        write_reg(&mut c, TimerReg::VTval, 1000, 100);
        write_reg(&mut c, TimerReg::VCtl, 1, 100);
        assert_eq!(next_deadline(&c, 100), Some(1100));
        write_reg(&mut c, TimerReg::PTval, 500, 100);
        write_reg(&mut c, TimerReg::PCtl, 3, 100);
        assert_eq!(next_deadline(&c, 100), Some(1100), "masked physical timer never rises");
        write_reg(&mut c, TimerReg::PCtl, 1, 100);
        assert_eq!(next_deadline(&c, 100), Some(600));
        assert_eq!(next_deadline(&c, 700), Some(1100), "physical output is already high");
        assert_eq!(next_deadline(&c, 1100), None);
        c.cntvoff = 100;
        assert_eq!(next_deadline(&c, 700), Some(1200), "virtual count lags by CNTVOFF");
        assert_eq!(ticks_to_duration(CNTFRQ_HZ as u64), Duration::from_secs(1));
    }

    #[test]
    fn drives_the_gic() {
        use super::super::Device;
        let mut g = Gic::new();
        g.write(0x000, 4, 1); // GICD_CTLR
        g.write(0x100, 4, 1 << VIRT_TIMER_IRQ); // GICD_ISENABLER0
        g.write(0x1_0004, 4, 0xff); // GICC_PMR
        g.write(0x1_0000, 4, 1); // GICC_CTLR
        let mut c = Cp15::new();
        write_reg(&mut c, TimerReg::VTval, 10, 0);
        write_reg(&mut c, TimerReg::VCtl, 1, 0);
        sync_gic(&c, &mut g, 5);
        assert!(!g.irq_line());
        sync_gic(&c, &mut g, 10);
        assert!(g.irq_line());
        assert_eq!(g.read(0x1_000c, 4), VIRT_TIMER_IRQ); // GICC_IAR
        // Linux's handler masks the timer, then the next event re-arms it.
        write_reg(&mut c, TimerReg::VCtl, 3, 11);
        sync_gic(&c, &mut g, 11);
        g.write(0x1_0010, 4, VIRT_TIMER_IRQ); // GICC_EOIR
        assert!(!g.irq_line());
    }

    #[test]
    fn counter_runs_at_cntfrq() {
        let a = counter();
        std::thread::sleep(Duration::from_millis(2));
        let b = counter();
        assert!(b - a >= 2 * (CNTFRQ_HZ as u64 / 1000), "{a} {b}");
    }
}
