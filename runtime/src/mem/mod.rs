//! Guest memory.
//!
//! Guest RAM is one `memfd`. A *view* is a 4 GiB (+ guard) reservation of host
//! address space in which guest address `a` lives at `base + a`; RAM pages are
//! mapped into it from the memfd (HSPT, ../DESIGN.md). The physical view maps all
//! of RAM at its physical addresses and serves the MMU-off guest. Device windows
//! are never mapped: accesses to them go to the device model.
//!
//! This module is one of the few allowed `unsafe` code: it owns the host mappings.

pub mod access;
pub mod fault;
pub mod hspt;
pub mod softmmu;
mod ram;
pub mod walk;

pub use ram::{GuestRam, View};

use crate::cpu::CpuState;
use crate::ir::MemSize;

/// A failed guest access, as the Data/Prefetch Abort reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemFault {
    /// Fault status in the short-descriptor DFSR/IFSR format (FS[4] in bit 10, FS[3:0] in bits 3:0).
    pub fsr: u32,
    /// Faulting virtual address.
    pub far: u32,
}

/// Fault status codes (Arm ARM B3.13.3, short-descriptor format).
pub mod fsr {
    pub const ALIGNMENT: u32 = 0x01;
    pub const SYNC_EXTERNAL: u32 = 0x08;
    pub const TRANSLATION_SECTION: u32 = 0x05;
    pub const TRANSLATION_PAGE: u32 = 0x07;
    pub const DOMAIN_SECTION: u32 = 0x09;
    pub const DOMAIN_PAGE: u32 = 0x0b;
    pub const PERMISSION_SECTION: u32 = 0x0d;
    pub const PERMISSION_PAGE: u32 = 0x0f;
    /// DFSR.WnR: the abort was caused by a write.
    pub const WNR: u32 = 1 << 11;
}

impl MemFault {
    pub fn new(fsr: u32, far: u32) -> Self {
        MemFault { fsr, far }
    }
}

/// What every engine uses to reach guest memory. The board implements it over
/// RAM views and the device models.
pub trait GuestMemory {
    /// Loads `size` bytes (zero- or sign-extended per `size`) at virtual `addr`.
    fn load(&mut self, cpu: &mut CpuState, addr: u32, size: MemSize, user: bool) -> Result<u64, MemFault>;
    /// Stores the low `size` bytes of `val` at virtual `addr`.
    fn store(&mut self, cpu: &mut CpuState, addr: u32, size: MemSize, val: u64, user: bool) -> Result<(), MemFault>;
    /// Fetches an instruction halfword/word for translation (`size` 2 or 4).
    fn fetch(&mut self, cpu: &mut CpuState, addr: u32, size: u32) -> Result<u32, MemFault>;
    /// The host base of the direct-access view for the current state, if any:
    /// guest address `a` is at `base + a` for every page the view maps.
    fn direct_base(&self) -> Option<*mut u8> {
        None
    }
}

/// Sign/zero extension of a loaded value per access size.
#[inline]
pub fn extend(v: u64, size: MemSize) -> u64 {
    match size {
        MemSize::U8 => v & 0xff,
        MemSize::S8 => v as u8 as i8 as i32 as u32 as u64,
        MemSize::U16 => v & 0xffff,
        MemSize::S16 => v as u16 as i16 as i32 as u32 as u64,
        MemSize::U32 => v & 0xffff_ffff,
        MemSize::U64 => v,
    }
}
