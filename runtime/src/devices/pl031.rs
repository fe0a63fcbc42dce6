//! ARM PrimeCell real-time clock (PL031 TRM, DDI 0224) at 0x0901_0000, SPI 2 on
//! QEMU's `virt`: a 32-bit seconds counter that follows the host's wall clock,
//! with a match register that raises an interrupt (Linux's rtc-pl031 alarm).
//!
//! The counter is the host's Unix time plus an offset that RTCLR writes set. The
//! match interrupt is latched when the counter reaches RTCMR; the board calls
//! `irq_level` (which checks the clock) when it polls device lines.

use std::time::{SystemTime, UNIX_EPOCH};

use super::Device;

const RTCDR: u32 = 0x000;
const RTCMR: u32 = 0x004;
const RTCLR: u32 = 0x008;
const RTCCR: u32 = 0x00c;
const RTCIMSC: u32 = 0x010;
const RTCRIS: u32 = 0x014;
const RTCMIS: u32 = 0x018;
const RTCICR: u32 = 0x01c;

/// PrimeCell identification registers at 0xfe0..0xffc.
const ID: [u32; 8] = [0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/// RTCCR.RTCStart: the counter runs (it always does here; the bit reads back as 1).
const CR_START: u32 = 1 << 0;
/// The one interrupt (RTCIMSC/RTCRIS/RTCMIS/RTCICR bit 0).
const INT_MATCH: u32 = 1 << 0;

/// Host wall-clock seconds since the Unix epoch (wraps in 2106, as the register does).
fn host_seconds() -> u32 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as u32)
}

pub struct Pl031 {
    clock: fn() -> u32,
    /// RTCDR = clock + offset (mod 2^32).
    offset: u32,
    mr: u32,
    lr: u32,
    imsc: u32,
    ris: u32,
    /// Counter value at the last match check: a match is the counter passing RTCMR.
    checked: u32,
}

impl Default for Pl031 {
    fn default() -> Self {
        Self::new()
    }
}

impl Pl031 {
    pub fn new() -> Pl031 {
        Self::with_clock(host_seconds)
    }

    /// An RTC reading seconds from `clock` (tests use a fake clock).
    pub fn with_clock(clock: fn() -> u32) -> Pl031 {
        let now = clock();
        Pl031 { clock, offset: 0, mr: 0, lr: 0, imsc: 0, ris: 0, checked: now }
    }

    fn count(&self) -> u32 {
        (self.clock)().wrapping_add(self.offset)
    }

    /// Latches the match interrupt if the counter has reached RTCMR since the last check.
    fn check_match(&mut self) {
        let now = self.count();
        // Seconds elapsed since the last check, and how far ahead the match was then.
        let elapsed = now.wrapping_sub(self.checked);
        let until = self.mr.wrapping_sub(self.checked);
        if until != 0 && until <= elapsed {
            self.ris |= INT_MATCH;
        }
        self.checked = now;
    }

    /// Whether the RTC's interrupt line (SPI 2) is asserted.
    pub fn irq_level(&mut self) -> bool {
        self.check_match();
        self.ris & self.imsc != 0
    }
}

impl Device for Pl031 {
    fn name(&self) -> &'static str {
        "pl031"
    }

    fn read(&mut self, offset: u32, _size: u32) -> u32 {
        self.check_match();
        match offset {
            RTCDR => self.count(),
            RTCMR => self.mr,
            RTCLR => self.lr,
            RTCCR => CR_START,
            RTCIMSC => self.imsc,
            RTCRIS => self.ris,
            RTCMIS => self.ris & self.imsc,
            0xfe0..=0xffc => ID[((offset - 0xfe0) / 4) as usize],
            _ => 0,
        }
    }

    fn write(&mut self, offset: u32, _size: u32, val: u32) {
        self.check_match();
        match offset {
            RTCMR => {
                self.mr = val;
                // A match value equal to the counter now matches at once.
                if val == self.count() {
                    self.ris |= INT_MATCH;
                }
            }
            RTCLR => {
                self.lr = val;
                self.offset = val.wrapping_sub((self.clock)());
                self.checked = val;
            }
            RTCCR => {} // the counter cannot be stopped (writing 0 has no effect on a PL031)
            RTCIMSC => self.imsc = val & INT_MATCH,
            RTCICR => self.ris &= !(val & INT_MATCH),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    static FAKE_NOW: AtomicU32 = AtomicU32::new(1_000);
    fn fake_clock() -> u32 {
        FAKE_NOW.load(Ordering::Relaxed)
    }

    #[test]
    fn host_clock_and_ids() {
        let mut r = Pl031::new();
        let t = r.read(RTCDR, 4);
        assert!(t > 1_700_000_000, "{t}: Unix time");
        assert_eq!(r.read(RTCCR, 4), 1);
        assert_eq!(r.read(0xfe0, 4), 0x31);
        assert_eq!(r.read(0xfe8, 4), 0x04);
        assert_eq!(r.read(0xffc, 4), 0xb1);
    }

    // One test uses the fake clock, so no other test races on it.
    #[test]
    fn load_and_match_interrupt() {
        FAKE_NOW.store(1_000, Ordering::Relaxed);
        let mut r = Pl031::with_clock(fake_clock);
        assert_eq!(r.read(RTCDR, 4), 1_000);
        r.write(RTCLR, 4, 50);
        assert_eq!(r.read(RTCDR, 4), 50);
        assert_eq!(r.read(RTCLR, 4), 50);
        FAKE_NOW.store(1_005, Ordering::Relaxed);
        assert_eq!(r.read(RTCDR, 4), 55);
        // Alarm in 3 seconds.
        r.write(RTCMR, 4, 58);
        r.write(RTCIMSC, 4, 1);
        assert!(!r.irq_level());
        FAKE_NOW.store(1_007, Ordering::Relaxed);
        assert!(!r.irq_level());
        FAKE_NOW.store(1_010, Ordering::Relaxed); // passed the match between polls
        assert!(r.irq_level());
        assert_eq!(r.read(RTCRIS, 4), 1);
        assert_eq!(r.read(RTCMIS, 4), 1);
        r.write(RTCICR, 4, 1);
        assert!(!r.irq_level());
        FAKE_NOW.store(1_020, Ordering::Relaxed);
        assert!(!r.irq_level(), "a match fires once");
        // Masked: raw status only.
        r.write(RTCIMSC, 4, 0);
        let now = r.read(RTCDR, 4);
        r.write(RTCMR, 4, now);
        assert_eq!(r.read(RTCRIS, 4), 1);
        assert!(!r.irq_level());
    }
}
