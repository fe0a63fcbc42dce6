//! Device models. Each device is a `Device` on the system bus, one file each with
//! its register constants at the top and its tests at the bottom.

pub mod gic;
pub mod pl011;
pub mod pl031;
pub mod psci;
pub mod timer;

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
