//! ARM PrimeCell UART (PL011), the console (PL011 TRM, DDI 0183).
//! Transmitted bytes go to the console writer (stdout for the VM); received bytes
//! are queued by the host side with `push_input`.

use std::collections::VecDeque;
use std::io::Write;

use super::Device;

const DR: u32 = 0x000;
const RSR: u32 = 0x004;
const FR: u32 = 0x018;
const ILPR: u32 = 0x020;
const IBRD: u32 = 0x024;
const FBRD: u32 = 0x028;
const LCR_H: u32 = 0x02c;
const CR: u32 = 0x030;
const IFLS: u32 = 0x034;
const IMSC: u32 = 0x038;
const RIS: u32 = 0x03c;
const MIS: u32 = 0x040;
const ICR: u32 = 0x044;
const DMACR: u32 = 0x048;

const FR_RXFE: u32 = 1 << 4;
const FR_TXFE: u32 = 1 << 7;
const FR_RXFF: u32 = 1 << 6;

/// Interrupt bits (RIS/MIS/IMSC/ICR).
const INT_RX: u32 = 1 << 4;
const INT_TX: u32 = 1 << 5;
const INT_RT: u32 = 1 << 6;

/// PrimeCell identification registers at 0xfe0..0xffc.
const ID: [u32; 8] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

pub struct Pl011 {
    out: Box<dyn Write>,
    rx: VecDeque<u8>,
    /// Host input that arrived before the guest opened the port for input
    /// (see `read` of FR): held back, since a driver empties the FIFO when it
    /// starts receiving (Linux's pl011_startup drains it), and bytes a script
    /// piped in at once would be lost.
    pending: VecDeque<u8>,
    accepting: bool,
    ibrd: u32,
    fbrd: u32,
    lcr_h: u32,
    cr: u32,
    ifls: u32,
    imsc: u32,
    ris: u32,
    dmacr: u32,
    ilpr: u32,
    /// Bytes transmitted (stats, tests).
    pub tx_bytes: u64,
    /// The line being transmitted (for spotting a kernel panic message).
    line: Vec<u8>,
    /// The first line that announced a guest kernel panic.
    pub panic_line: Option<String>,
    /// Labels of `HSPT-SAMPLE label` lines the guest printed, not yet taken by the
    /// VM (which then records its own memory use: `--stats` "samples").
    pub sample_requests: Vec<String>,
}

/// A console line starting with this asks the VM to sample its memory use.
pub const SAMPLE_MARKER: &[u8] = b"HSPT-SAMPLE";

/// What Linux prints when it panics.
const PANIC_MARKER: &[u8] = b"Kernel panic - not syncing";

impl Pl011 {
    pub fn new(out: Box<dyn Write>) -> Self {
        Pl011 {
            out,
            rx: VecDeque::new(),
            pending: VecDeque::new(),
            accepting: false,
            ibrd: 0,
            fbrd: 0,
            lcr_h: 0,
            cr: 0x300,
            ifls: 0x12,
            imsc: 0,
            ris: 0,
            dmacr: 0,
            ilpr: 0,
            tx_bytes: 0,
            line: Vec::new(),
            panic_line: None,
            sample_requests: Vec::new(),
        }
    }

    /// Queues bytes typed on the host console.
    pub fn push_input(&mut self, bytes: &[u8]) {
        if !self.accepting {
            self.pending.extend(bytes);
            return;
        }
        self.rx.extend(bytes);
        if !self.rx.is_empty() {
            self.ris |= INT_RX | INT_RT;
        }
    }

    /// Whether the UART's interrupt line is asserted.
    pub fn irq_level(&self) -> bool {
        self.ris & self.imsc != 0
    }
}

impl Device for Pl011 {
    fn name(&self) -> &'static str {
        "pl011"
    }

    fn read(&mut self, offset: u32, _size: u32) -> u32 {
        match offset {
            DR => {
                let b = self.rx.pop_front().unwrap_or(0) as u32;
                if self.rx.is_empty() {
                    self.ris &= !(INT_RX | INT_RT);
                }
                b
            }
            RSR => 0,
            FR => {
                let mut f = FR_TXFE;
                if self.rx.is_empty() {
                    f |= FR_RXFE;
                } else if self.rx.len() >= 16 {
                    f |= FR_RXFF;
                }
                // The guest receives from now on: it unmasked the receive
                // interrupts and sees the FIFO empty (after its drain, if any).
                if !self.accepting && self.imsc & (INT_RX | INT_RT) != 0 && self.rx.is_empty() {
                    self.accepting = true;
                    let held: Vec<u8> = self.pending.drain(..).collect();
                    self.push_input(&held);
                }
                f
            }
            ILPR => self.ilpr,
            IBRD => self.ibrd,
            FBRD => self.fbrd,
            LCR_H => self.lcr_h,
            CR => self.cr,
            IFLS => self.ifls,
            IMSC => self.imsc,
            RIS => self.ris,
            MIS => self.ris & self.imsc,
            DMACR => self.dmacr,
            0xfe0..=0xffc => ID[((offset - 0xfe0) / 4) as usize],
            _ => 0,
        }
    }

    fn write(&mut self, offset: u32, _size: u32, val: u32) {
        match offset {
            DR => {
                let b = val as u8;
                // Console output errors (a closed pipe) must not stop the guest.
                let _ = self.out.write_all(&[b]);
                if b == b'\n' {
                    let _ = self.out.flush();
                }
                self.tx_bytes += 1;
                if b == b'\n' {
                    if self.panic_line.is_none() && self.line.windows(PANIC_MARKER.len()).any(|w| w == PANIC_MARKER) {
                        self.panic_line = Some(String::from_utf8_lossy(&self.line).trim().to_string());
                    }
                    if self.line.starts_with(SAMPLE_MARKER) && self.sample_requests.len() < 10_000 {
                        let label = String::from_utf8_lossy(&self.line[SAMPLE_MARKER.len()..]).trim().to_string();
                        self.sample_requests.push(label);
                    }
                    self.line.clear();
                } else if self.line.len() < 512 {
                    self.line.push(b);
                }
                // The transmit FIFO drains instantly.
                self.ris |= INT_TX;
            }
            RSR => {}
            ILPR => self.ilpr = val,
            IBRD => self.ibrd = val & 0xffff,
            FBRD => self.fbrd = val & 0x3f,
            LCR_H => self.lcr_h = val & 0xff,
            CR => self.cr = val & 0xffff,
            IFLS => self.ifls = val & 0x3f,
            IMSC => self.imsc = val & 0x7ff,
            ICR => self.ris &= !val,
            DMACR => self.dmacr = val & 7,
            _ => {}
        }
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::CapturedConsole as Sink;

    #[test]
    fn transmit_and_receive() {
        let sink = Sink::default();
        let mut u = Pl011::new(Box::new(sink.clone()));
        for b in b"hi\n" {
            u.write(DR, 4, *b as u32);
        }
        assert_eq!(sink.bytes(), b"hi\n");
        assert_eq!(u.read(FR, 4) & FR_RXFE, FR_RXFE);
        // Input before the guest receives is held back ...
        u.push_input(b"x");
        assert_eq!(u.read(FR, 4) & FR_RXFE, FR_RXFE);
        assert!(!u.irq_level());
        // ... until it unmasks the receive interrupt and finds the FIFO empty.
        u.write(IMSC, 4, INT_RX);
        assert_eq!(u.read(FR, 4) & FR_RXFE, FR_RXFE);
        assert!(u.irq_level());
        assert_eq!(u.read(FR, 4) & FR_RXFE, 0);
        assert_eq!(u.read(DR, 4), b'x' as u32);
        assert!(!u.irq_level());
        assert_eq!(u.read(0xfe0, 4), 0x11);
        assert_eq!(u.panic_line, None);
        for b in b"[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs\n" {
            u.write(DR, 4, *b as u32);
        }
        assert!(u.panic_line.as_deref().unwrap().contains("Unable to mount root fs"));
        // Sample requests: whole lines starting with the marker, in order.
        for b in b"HSPT-SAMPLE soak 1\nsay HSPT-SAMPLE no\nHSPT-SAMPLE  two \n" {
            u.write(DR, 4, *b as u32);
        }
        assert_eq!(u.sample_requests, ["soak 1", "two"]);
    }
}
