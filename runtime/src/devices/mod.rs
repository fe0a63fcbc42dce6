//! Device models. Each device is a `Device` on the system bus, one file each with
//! its register constants at the top and its tests at the bottom.

pub mod gic;
pub mod pl011;
pub mod pl031;
pub mod psci;
pub mod timer;

/// A console output that keeps what the guest wrote, shared with whoever holds
/// a clone (tests, fuzzers, harnesses comparing engines).
#[derive(Clone, Default)]
pub struct CapturedConsole(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedConsole {
    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }

    /// Everything written so far, emptying the buffer.
    pub fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
}

impl std::io::Write for CapturedConsole {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A memory-mapped device. Offsets are relative to the device's window.
pub trait Device {
    fn name(&self) -> &'static str;
    /// Reads `size` bytes (1, 2 or 4) at `offset`.
    fn read(&mut self, offset: u32, size: u32) -> u32;
    /// Writes the low `size` bytes of `val` at `offset`.
    fn write(&mut self, offset: u32, size: u32, val: u32);
    /// Called when the VM stops, to flush buffered output.
    fn flush(&mut self) {}
}
