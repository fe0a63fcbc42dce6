//! A small harness for instruction tests: flat memory, run code until the PC
//! reaches a stop address. Used by the unit tests of every instruction class and
//! by the differential tester.

use crate::cpu::{CpuState, ExitReason};
use crate::ir::interp::{run_block, Temps};
use crate::ir::MemSize;
use crate::mem::{fsr, GuestMemory, MemFault};

/// Flat little-endian memory covering `[base, base + bytes.len())`; other
/// addresses fault with a synchronous external abort.
pub struct FlatMem {
    pub base: u32,
    pub bytes: Vec<u8>,
    /// Instruction fetches at or above this address fail, so blocks end there
    /// (the test's code ends exactly where it should).
    pub fetch_limit: u32,
}

impl FlatMem {
    pub fn new(base: u32, size: usize) -> Self {
        FlatMem { base, bytes: vec![0; size], fetch_limit: u32::MAX }
    }
    fn range(&self, addr: u32, n: u32) -> Option<usize> {
        let off = addr.wrapping_sub(self.base) as usize;
        if addr >= self.base && off + n as usize <= self.bytes.len() {
            Some(off)
        } else {
            None
        }
    }
    pub fn write_bytes(&mut self, addr: u32, b: &[u8]) {
        let o = self.range(addr, b.len() as u32).expect("write_bytes outside FlatMem");
        self.bytes[o..o + b.len()].copy_from_slice(b);
    }
    pub fn write_u32(&mut self, addr: u32, v: u32) {
        self.write_bytes(addr, &v.to_le_bytes())
    }
    pub fn read_u32(&self, addr: u32) -> u32 {
        let o = self.range(addr, 4).expect("read_u32 outside FlatMem");
        u32::from_le_bytes(self.bytes[o..o + 4].try_into().unwrap())
    }
}

impl GuestMemory for FlatMem {
    fn load(&mut self, _cpu: &mut CpuState, addr: u32, size: MemSize, _user: bool) -> Result<u64, MemFault> {
        let n = size.bytes();
        let o = self.range(addr, n).ok_or(MemFault::new(fsr::SYNC_EXTERNAL, addr))?;
        let mut b = [0u8; 8];
        b[..n as usize].copy_from_slice(&self.bytes[o..o + n as usize]);
        Ok(u64::from_le_bytes(b))
    }
    fn store(&mut self, _cpu: &mut CpuState, addr: u32, size: MemSize, val: u64, _user: bool) -> Result<(), MemFault> {
        let n = size.bytes() as usize;
        let o = self.range(addr, n as u32).ok_or(MemFault::new(fsr::SYNC_EXTERNAL, addr))?;
        self.bytes[o..o + n].copy_from_slice(&val.to_le_bytes()[..n]);
        Ok(())
    }
    fn fetch(&mut self, cpu: &mut CpuState, addr: u32, size: u32) -> Result<u32, MemFault> {
        if addr >= self.fetch_limit {
            return Err(MemFault::new(fsr::SYNC_EXTERNAL, addr));
        }
        let s = if size == 2 { MemSize::U16 } else { MemSize::U32 };
        self.load(cpu, addr, s, false).map(|v| v as u32)
    }
}

/// Runs from `cpu.r[15]` (in `cpu.t`'s state) until the PC equals `stop`, an
/// exception is pending, or `max_blocks` blocks have run. Returns the last exit.
pub fn run_until(cpu: &mut CpuState, mem: &mut FlatMem, stop: u32, max_blocks: usize) -> ExitReason {
    let mut temps = Temps::default();
    for _ in 0..max_blocks {
        if cpu.r[15] == stop {
            return ExitReason::Branch;
        }
        let pc = cpu.r[15];
        let b = match super::translate_block(mem, cpu, pc, cpu.t != 0, cpu.it) {
            Ok(b) => b,
            Err(_) => return ExitReason::Exception,
        };
        let r = run_block(cpu, mem, &b, &mut temps);
        if r != ExitReason::Branch && r != ExitReason::SysChange {
            return r;
        }
    }
    ExitReason::Branch
}

/// Code is placed here by `run_arm`/`run_thumb`; data may go at DATA.
pub const CODE: u32 = 0x1000;
pub const DATA: u32 = 0x8000;

/// Runs ARM words from CODE with `cpu`'s registers; stops after the last word.
pub fn run_arm(cpu: &mut CpuState, words: &[u32]) -> (ExitReason, FlatMem) {
    let mut mem = FlatMem::new(0, 0x10000);
    for (i, w) in words.iter().enumerate() {
        mem.write_u32(CODE + 4 * i as u32, *w);
    }
    cpu.r[15] = CODE;
    cpu.t = 0;
    let stop = CODE + 4 * words.len() as u32;
    mem.fetch_limit = stop;
    let r = run_until(cpu, &mut mem, stop, 1000);
    (r, mem)
}

/// Runs Thumb halfwords from CODE (32-bit instructions as two halfwords, first halfword first).
pub fn run_thumb(cpu: &mut CpuState, halfwords: &[u16]) -> (ExitReason, FlatMem) {
    let mut mem = FlatMem::new(0, 0x10000);
    for (i, h) in halfwords.iter().enumerate() {
        mem.write_bytes(CODE + 2 * i as u32, &h.to_le_bytes());
    }
    cpu.r[15] = CODE;
    cpu.t = 1;
    let stop = CODE + 2 * halfwords.len() as u32;
    mem.fetch_limit = stop;
    let r = run_until(cpu, &mut mem, stop, 1000);
    (r, mem)
}
