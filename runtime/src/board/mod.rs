//! The machine: QEMU `virt`'s memory map (../DESIGN.md "The machine"), the system
//! bus that routes guest accesses to RAM or devices, and image loading.

pub mod fdt;
pub mod loader;

use crate::cpu::CpuState;
use crate::devices::gic::{self, Gic};
use crate::devices::pl011::Pl011;
use crate::devices::pl031::Pl031;
use crate::devices::Device;
use crate::ir::MemSize;
use crate::mem::access::{self, STATUS_MMIO};
use crate::mem::fault::ActiveGuard;
use crate::mem::hspt::{self, HsptState, SptOrganisation};
use crate::mem::softmmu::{self, SoftTlb};
use crate::mem::walk::{self, Access, WalkRegs};
use crate::mem::{fsr, GuestMemory, GuestRam, MemFault};
use crate::sys::TlbOp;

pub const GIC_DIST_BASE: u32 = 0x0800_0000;
pub const GIC_CPU_BASE: u32 = 0x0801_0000;
pub const UART_BASE: u32 = 0x0900_0000;
pub const RTC_BASE: u32 = 0x0901_0000;
pub const VIRTIO_BASE: u32 = 0x0a00_0000;
pub const RAM_BASE: u32 = 0x4000_0000;
/// Highest RAM size the 32-bit map allows (RAM ends at 4 GiB - 1 page at most).
pub const RAM_MAX: u64 = 0xc000_0000 - 0x1000;
const DEVICE_WINDOW: u32 = 0x1000;

/// Guest RAM, the HSPT shadow regions, and the devices.
pub struct Board {
    pub ram: GuestRam,
    /// HSPT state shared with the fault handler (owned; freed in Drop).
    hspt: *mut HsptState,
    /// Base of the view the CPU's accesses currently use.
    cur_base: *mut u8,
    cur_view: usize,
    /// Instruction-side translation cache: (view << 20 | vpage) + 1 -> ppage.
    itlb: Box<[(u64, u32)]>,
    /// Part of every `itlb` tag: bumping it empties the table (`flush_itlb`) without
    /// touching its 16 KiB (Linux issues a TLB operation for almost every page it remaps).
    itlb_gen: u64,
    recycled_seen: u64,
    owner_switches_seen: u64,
    pub uart: Pl011,
    pub gic: Gic,
    pub rtc: Pl031,
    /// Running with the software MMU (its TLB is `HsptState::soft`) instead of HSPT.
    soft: bool,
    /// The access of the last data abort (view key, address, write), filled as soon as the CPU is back in
    /// that view: the guest's handler has mapped the page by then, and the retried access would otherwise
    /// fault again on the host just to fill it.
    refill: Option<(hspt::ViewKey, u32, bool)>,
    /// Pages that refill mapped (`--stats` hspt.abort_refills).
    pub abort_refills: u64,
}

/// How guest virtual memory is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmuMode {
    /// HSPT shadow regions: host loads/stores at base + guest address.
    Hspt,
    /// A software TLB and table walks (the ablation).
    Soft,
}

/// GIC interrupt IDs of the board's devices (SPI n is ID 32 + n).
pub const UART_IRQ: u32 = 33;
pub const RTC_IRQ: u32 = 34;

const ITLB: usize = 1024;
/// Where the generation starts in an instruction-TLB tag (below: the view index and the page).
const ITLB_GEN_SHIFT: u32 = 40;

impl Board {
    /// A board with `ram_bytes` of RAM and the console writing to `console`.
    pub fn new(ram_bytes: u64, console: Box<dyn std::io::Write>) -> std::io::Result<Board> {
        if ram_bytes == 0 || ram_bytes > RAM_MAX {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("RAM size must be between 4 KiB and {} MiB", RAM_MAX >> 20),
            ));
        }
        let ram = GuestRam::new(RAM_BASE, (ram_bytes as u32 + 0xfff) & !0xfff)?;
        let hspt = Box::into_raw(HsptState::new(&ram)?);
        // SAFETY: just allocated, valid.
        let phys = unsafe { (*hspt).phys_base() };
        Ok(Board {
            ram,
            hspt,
            cur_base: phys,
            cur_view: 0,
            itlb: vec![(0, 0); ITLB].into_boxed_slice(),
            itlb_gen: 0,
            refill: None,
            abort_refills: 0,
            recycled_seen: 0,
            owner_switches_seen: 0,
            uart: Pl011::new(console),
            gic: Gic::new(),
            rtc: Pl031::new(),
            soft: false,
        })
    }

    /// Chooses the memory virtualisation, the shadow-region organisation and the
    /// prefill window (pages). Call before running.
    /// Caps the host mappings HSPT may hold (default: the host's vm.max_map_count
    /// minus a margin for the rest of the process). Near the cap it flushes views.
    pub fn limit_host_mappings(&mut self, max: u64) {
        let st = self.st_mut();
        st.max_mappings = st.max_mappings.min(max.max(16));
    }

    pub fn configure_memory(&mut self, mode: MmuMode, org: SptOrganisation, prefill: u32) {
        self.soft = mode == MmuMode::Soft;
        let st = self.st_mut();
        st.soft = (mode == MmuMode::Soft).then(|| SoftTlb::new(st.phys_base() as u64, softmmu::DEFAULT_ENTRIES));
        // The software TLB tags entries with the view index, which must name one
        // address space: views are private then (and nothing is mapped in them).
        st.org = if mode == MmuMode::Soft { SptOrganisation::Private } else { org };
        st.prefill = prefill;
    }

    /// Software MMU: sets the TLB's number of entries (a power of two; see
    /// `softmmu::DEFAULT_ENTRIES`). Call after `configure_memory`, before running.
    pub fn set_soft_tlb_entries(&mut self, n: usize) {
        let st = self.st_mut();
        if st.soft.is_some() {
            st.soft = Some(SoftTlb::new(st.phys_base() as u64, n));
        }
    }

    pub fn mmu_mode(&self) -> MmuMode {
        if self.soft {
            MmuMode::Soft
        } else {
            MmuMode::Hspt
        }
    }

    /// Software-MMU statistics (hits, misses).
    pub fn softmmu_stats(&self) -> (u64, u64) {
        self.st().soft.as_ref().map_or((0, 0), |t| (t.hits, t.misses))
    }

    /// HSPT statistics beyond `hspt_stats`: (prefilled, pages mapped, pages unmapped, flush causes, organisation).
    pub fn hspt_detail(&self) -> (u64, u64, u64, hspt::FlushCounts, &'static str) {
        let s = self.st();
        (s.prefilled, s.pages_mapped, s.pages_unmapped, s.flush_causes, s.org.name())
    }

    fn st(&self) -> &HsptState {
        // SAFETY: `hspt` is valid for the board's lifetime; no access routine is
        // running while Board methods run (they are not re-entrant).
        unsafe { &*self.hspt }
    }

    fn st_mut(&mut self) -> &mut HsptState {
        // SAFETY: as in `st`, and `&mut self` makes this the only reference.
        unsafe { &mut *self.hspt }
    }

    /// Makes this board's shadow regions the ones the fault handler serves on the
    /// current thread, for as long as the guard lives.
    pub fn activate(&mut self) -> ActiveGuard {
        // SAFETY: the state outlives the guard (the guard is dropped before the
        // board by callers: `Vm::run` keeps both in scope), and Board methods never
        // hold a reference to it across an access routine.
        unsafe { ActiveGuard::new(self.hspt) }
    }

    /// Selects the view for the CPU's current translation regime, mode and DACR;
    /// sets `cpu.mem_base`. Call after anything that may change them.
    pub fn select(&mut self, cpu: &mut CpuState) -> std::io::Result<()> {
        let key = hspt::key_for(cpu, false);
        let i = self.st_mut().view_for(key)?;
        self.st_mut().pinned = i;
        if let Some((_, va, write)) = self.refill.filter(|r| r.0 == key) {
            self.refill = None;
            // Whatever else the walk finds (still unmapped, a device): the access, retried, sorts it out.
            if let Ok(None) = self.st_mut().fill(i, va, write) {
                self.abort_refills += 1;
            }
        }
        if self.cur_view != i || self.st().owner_switches != self.owner_switches_seen {
            self.owner_switches_seen = self.st().owner_switches;
            if self.st().org == SptOrganisation::Shared {
                self.flush_itlb();
            }
        }
        self.cur_view = i;
        self.cur_base = self.st().view_base(i);
        // Also in soft mode: compiled code's chaining tells views apart by it.
        cpu.mem_base = self.cur_base as u64;
        self.check_recycled();
        if let Some(t) = self.st().soft.as_ref() {
            // What compiled code's inline TLB lookup needs (softmmu.rs).
            cpu.soft_tlb = t.entries_addr();
            cpu.soft_mask = t.mask();
            cpu.soft_ctx = softmmu::ctx_bits(i);
        }
        Ok(())
    }

    /// A data abort is being taken for the CPU's current access (DFAR, DFSR.WnR): its page is filled when the
    /// CPU next selects the same view (`select`), normally as the abort handler returns.
    pub fn note_data_abort(&mut self, cpu: &CpuState) {
        if !self.soft {
            self.refill = Some((hspt::key_for(cpu, false), cpu.cp15.dfar, cpu.cp15.dfsr & 1 << 11 != 0));
        }
    }

    /// A view was recycled for another key since we last looked: per-view caches
    /// (the instruction TLB, the software TLB, tagged by view index) are stale.
    fn check_recycled(&mut self) {
        let rec = self.st().regions_recycled;
        if rec != self.recycled_seen {
            self.recycled_seen = rec;
            self.flush_itlb();
            if let Some(t) = self.st_mut().soft.as_mut() {
                t.flush();
            }
        }
    }

    /// Applies guest TLB maintenance to the shadow regions.
    pub fn tlb_maintenance(&mut self, op: TlbOp) {
        if let Some(t) = self.st_mut().soft.as_mut() {
            t.maintenance(op);
            self.flush_itlb();
            return;
        }
        self.st_mut().tlb_maintenance(op);
        self.flush_itlb();
    }

    /// Counts the times a shadow view started serving another translation regime (recycled, or a shared
    /// view that changed address space): code reached through a view's base may differ from then on.
    pub fn views_repurposed(&self) -> u64 {
        let s = self.st();
        s.regions_recycled + s.owner_switches
    }

    /// HSPT statistics for `--stats`.
    pub fn hspt_stats(&self) -> (u64, u64, u64, u64, u64) {
        let s = self.st();
        (s.fills, s.guest_aborts, s.flushes, s.regions_recycled, s.peak_mappings)
    }

    /// Copies `bytes` into RAM at physical `pa`; false if it does not fit.
    pub fn write_phys(&mut self, pa: u32, bytes: &[u8]) -> bool {
        if !self.ram.contains(pa, bytes.len() as u32) {
            return false;
        }
        // SAFETY: the range is RAM, which the physical view maps read/write at phys_base + pa.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.st().phys_base().add(pa as usize), bytes.len()) };
        true
    }

    /// Reads RAM at physical `pa`.
    pub fn read_phys(&self, pa: u32, out: &mut [u8]) -> bool {
        if !self.ram.contains(pa, out.len() as u32) {
            return false;
        }
        // SAFETY: as in `write_phys`.
        unsafe { std::ptr::copy_nonoverlapping(self.st().phys_base().add(pa as usize), out.as_mut_ptr(), out.len()) };
        true
    }

    /// Whether RAM at physical `pa` holds `want` (false outside RAM). Compares in
    /// place: instruction-cache maintenance checks thousands of blocks this way.
    pub fn same_phys(&self, pa: u32, want: &[u8]) -> bool {
        if !self.ram.contains(pa, want.len() as u32) {
            return false;
        }
        // SAFETY: the range is RAM, mapped readable at phys_base + pa for the board's
        // lifetime; only this thread writes guest memory, and not during the call.
        let now = unsafe { std::slice::from_raw_parts(self.st().phys_base().add(pa as usize), want.len()) };
        now == want
    }

    pub fn read_phys_u32(&self, pa: u32) -> Option<u32> {
        let mut b = [0u8; 4];
        self.read_phys(pa, &mut b).then(|| u32::from_le_bytes(b))
    }

    fn device(&mut self, pa: u32) -> Option<(&mut dyn Device, u32)> {
        if (UART_BASE..UART_BASE + DEVICE_WINDOW).contains(&pa) {
            return Some((&mut self.uart, pa - UART_BASE));
        }
        if (GIC_DIST_BASE..GIC_DIST_BASE + gic::WINDOW).contains(&pa) {
            return Some((&mut self.gic, pa - GIC_DIST_BASE));
        }
        if (RTC_BASE..RTC_BASE + DEVICE_WINDOW).contains(&pa) {
            return Some((&mut self.rtc, pa - RTC_BASE));
        }
        None
    }

    /// Drives the devices' interrupt lines into the GIC.
    pub fn update_irq_lines(&mut self) {
        let u = self.uart.irq_level();
        self.gic.set_level(UART_IRQ, u);
        let r = self.rtc.irq_level();
        self.gic.set_level(RTC_IRQ, r);
    }

    /// Flushes device output (console) when the VM stops.
    pub fn flush(&mut self) {
        self.uart.flush();
    }

    fn mmio_read(&mut self, pa: u32, n: u32) -> Result<u64, MemFault> {
        let r = self.mmio_read_inner(pa, n);
        self.update_irq_lines();
        r
    }

    fn mmio_write(&mut self, pa: u32, n: u32, val: u64) -> Result<(), MemFault> {
        let r = self.mmio_write_inner(pa, n, val);
        self.update_irq_lines();
        r
    }

    fn mmio_read_inner(&mut self, pa: u32, n: u32) -> Result<u64, MemFault> {
        match self.device(pa) {
            Some((d, off)) if n <= 4 => Ok(d.read(off, n) as u64),
            Some((d, off)) => {
                let lo = d.read(off, 4) as u64;
                let hi = d.read(off + 4, 4) as u64;
                Ok(lo | hi << 32)
            }
            None => Err(MemFault::new(fsr::SYNC_EXTERNAL, pa)),
        }
    }

    fn mmio_write_inner(&mut self, pa: u32, n: u32, val: u64) -> Result<(), MemFault> {
        match self.device(pa) {
            Some((d, off)) if n <= 4 => {
                d.write(off, n, val as u32);
                Ok(())
            }
            Some((d, off)) => {
                d.write(off, 4, val as u32);
                d.write(off + 4, 4, (val >> 32) as u32);
                Ok(())
            }
            None => Err(MemFault::new(fsr::SYNC_EXTERNAL, pa)),
        }
    }

    /// Base for an access: the current view, or the user view for LDRT/STRT from a privileged mode.
    #[inline]
    fn base_for(&mut self, cpu: &CpuState, user: bool) -> *mut u8 {
        if user && cpu.current_mode() != crate::cpu::Mode::Usr {
            let key = hspt::key_for(cpu, true);
            match self.st_mut().view_for(key) {
                Ok(i) => self.st().view_base(i),
                Err(_) => self.cur_base,
            }
        } else {
            self.cur_base
        }
    }

    /// Empties the instruction TLB: a new generation, so no old tag matches (the table is
    /// cleared for real only when the generation wraps).
    fn flush_itlb(&mut self) {
        self.itlb_gen += 1;
        if self.itlb_gen >= 1 << (64 - ITLB_GEN_SHIFT - 1) {
            self.itlb_gen = 0;
            self.itlb.fill((0, 0));
        }
    }

    /// Translates an instruction address (Arm ARM B3.12: prefetch permission checks).
    pub fn translate_fetch(&mut self, cpu: &CpuState, va: u32) -> Result<u32, MemFault> {
        if !cpu.cp15.sctlr_m() {
            return Ok(va);
        }
        let tag = (self.itlb_gen << ITLB_GEN_SHIFT | (self.cur_view as u64) << 20 | (va >> 12) as u64) + 1;
        let slot = ((va >> 12) as usize ^ (self.cur_view * 7)) & (ITLB - 1);
        let (t, ppage) = self.itlb[slot];
        if t == tag {
            return Ok(ppage << 12 | (va & 0xfff));
        }
        let privileged = cpu.current_mode() != crate::cpu::Mode::Usr;
        let st = self.st();
        let tr = walk::walk(&WalkRegs::of(cpu), va, Access::Fetch, privileged, |pa| st.read_pt(pa))?;
        self.itlb[slot] = (tag, tr.pa >> 12);
        Ok(tr.pa)
    }
}

impl Board {
    /// Performs an ATS1C* address translation operation for the CPU (B4.2.6) and writes PAR.
    pub fn address_translation(&mut self, cpu: &mut CpuState, req: crate::sys::AtsRequest) {
        let acc = if req.write { Access::Write } else { Access::Read };
        let res = if !cpu.cp15.sctlr_m() {
            Ok(req.va)
        } else {
            let st = self.st();
            walk::walk(&WalkRegs::of(cpu), req.va, acc, !req.user, |pa| st.read_pt(pa)).map(|t| t.pa).map_err(|f| f.fsr)
        };
        cpu.cp15.complete_ats(res);
    }
}

impl Board {
    /// Software MMU: translates `va` for a data access (TLB, else a walk).
    /// Ok(pa) may be RAM or a device address.
    fn soft_translate(&mut self, cpu: &CpuState, va: u32, write: bool, user: bool) -> Result<u32, MemFault> {
        if !cpu.cp15.sctlr_m() {
            return Ok(va);
        }
        let privileged = !user && cpu.current_mode() != crate::cpu::Mode::Usr;
        // Context: the view index stands for (address space, permission context).
        let ctx = if privileged == (cpu.current_mode() != crate::cpu::Mode::Usr) {
            self.cur_view
        } else {
            let key = hspt::key_for(cpu, true);
            let i = self.st_mut().view_for(key).unwrap_or(self.cur_view);
            self.check_recycled();
            i
        };
        if let Some(pa) = self.st_mut().soft.as_mut().and_then(|t| t.lookup(ctx, va, write)) {
            return Ok(pa);
        }
        let acc = if write { Access::Write } else { Access::Read };
        let st = self.st();
        let tr = walk::walk(&WalkRegs::of(cpu), va, acc, privileged, |pa| st.read_pt(pa))?;
        if self.ram.contains(tr.pa & !0xfff, 0x1000) {
            if let Some(t) = self.st_mut().soft.as_mut() {
                t.insert(ctx, va, tr.pa, tr.writable);
            }
        }
        Ok(tr.pa)
    }

    fn soft_load(&mut self, cpu: &CpuState, addr: u32, n: u32, user: bool) -> Result<u64, MemFault> {
        if (addr & 0xfff) + n > 0x1000 {
            // Crosses a page: byte by byte (each byte translated on its own).
            let mut v = 0u64;
            for k in 0..n {
                v |= self.soft_load(cpu, addr.wrapping_add(k), 1, user)? << (8 * k);
            }
            return Ok(v);
        }
        let pa = self.soft_translate(cpu, addr, false, user)?;
        let mut b = [0u8; 8];
        if self.read_phys(pa, &mut b[..n as usize]) {
            return Ok(u64::from_le_bytes(b));
        }
        self.mmio_read(pa, n).map_err(|f| MemFault::new(f.fsr, addr))
    }

    fn soft_store(&mut self, cpu: &CpuState, addr: u32, n: u32, val: u64, user: bool) -> Result<(), MemFault> {
        if (addr & 0xfff) + n > 0x1000 {
            // Check every byte's translation first so a fault leaves memory unchanged.
            for k in 0..n {
                self.soft_translate(cpu, addr.wrapping_add(k), true, user)?;
            }
            for k in 0..n {
                self.soft_store(cpu, addr.wrapping_add(k), 1, val >> (8 * k), user)?;
            }
            return Ok(());
        }
        let pa = self.soft_translate(cpu, addr, true, user)?;
        if self.write_phys(pa, &val.to_le_bytes()[..n as usize]) {
            return Ok(());
        }
        self.mmio_write(pa, n, val).map_err(|f| MemFault::new(f.fsr | fsr::WNR, addr))
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        // SAFETY: created by Box::into_raw in `new`, dropped exactly once here.
        drop(unsafe { Box::from_raw(self.hspt) });
    }
}

impl GuestMemory for Board {
    #[inline]
    fn load(&mut self, cpu: &mut CpuState, addr: u32, size: MemSize, user: bool) -> Result<u64, MemFault> {
        if self.soft {
            return self.soft_load(cpu, addr, size.bytes(), user);
        }
        let base = self.base_for(cpu, user);
        let n = size.bytes();
        // SAFETY: base + addr (+ n <= 8) lies inside a 4 GiB + guard view whose faults
        // the handler activated by `activate` resolves.
        let r = unsafe { access::load(base.add(addr as usize), n) };
        match r.status {
            0 => Ok(r.value),
            STATUS_MMIO => {
                let pa = self.st().mmio_pa;
                self.mmio_read(pa, n).map_err(|f| MemFault::new(f.fsr, addr))
            }
            _ => Err(self.st().fault),
        }
    }

    #[inline]
    fn store(&mut self, cpu: &mut CpuState, addr: u32, size: MemSize, val: u64, user: bool) -> Result<(), MemFault> {
        if self.soft {
            return self.soft_store(cpu, addr, size.bytes(), val, user);
        }
        let base = self.base_for(cpu, user);
        let n = size.bytes();
        // SAFETY: as in `load`.
        let r = unsafe { access::store(base.add(addr as usize), val, n) };
        match r.status {
            0 => Ok(()),
            STATUS_MMIO => {
                let pa = self.st().mmio_pa;
                self.mmio_write(pa, n, val).map_err(|f| MemFault::new(f.fsr | fsr::WNR, addr))
            }
            _ => Err(self.st().fault),
        }
    }

    fn fetch(&mut self, cpu: &mut CpuState, addr: u32, size: u32) -> Result<u32, MemFault> {
        let pa = self.translate_fetch(cpu, addr)?;
        // Instructions come from RAM only: executing device memory is a Prefetch Abort.
        let mut b = [0u8; 4];
        if !self.read_phys(pa, &mut b[..size as usize]) {
            return Err(MemFault::new(fsr::SYNC_EXTERNAL, addr));
        }
        Ok(u32::from_le_bytes(b))
    }
}
