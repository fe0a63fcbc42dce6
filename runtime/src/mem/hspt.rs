//! HSPT shadow regions (Wang et al., VEE 2015; ../DESIGN.md "HSPT memory
//! virtualisation"): every guest address space view is a 4 GiB host region in
//! which guest page `va` is mapped from the RAM memfd at `base + va`, filled on
//! demand by the SIGSEGV handler (`fault.rs`) walking the guest page table.
//!
//! Organisation here: *private* — a set of views per address space (ASID and
//! TTBR0), one per permission context (privileged or user, and the DACR value:
//! Linux's software PAN flips the user domain on every uaccess, which becomes a
//! switch of `base` rather than remapping). A bounded pool of views is recycled
//! least-recently-used. The physical view (MMU off) maps all RAM up front.
//!
//! The state the fault handler touches lives in `HsptState`, reached through a
//! raw pointer registered for the current thread; Rust code never holds a
//! reference into it while a guest access routine runs.

use std::io;

use super::walk::{self, Access, Translation, WalkRegs};
use super::{GuestRam, MemFault};
use crate::cpu::{CpuState, Mode};
use crate::sys::TlbOp;

const VIEW_BYTES: usize = (1usize << 32) + 0x1000;
/// Views kept at most (each reserves 4 GiB of host address space, no memory).
pub const MAX_VIEWS: usize = 48;

/// What a view shows: one address space in one permission context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewKey {
    pub mmu: bool,
    pub asid: u8,
    pub ttbr0: u32,
    pub ttbr1: u32,
    pub ttbcr: u32,
    pub privileged: bool,
    pub dacr: u32,
}

pub(super) struct ViewSlot {
    pub base: *mut u8,
    pub key: Option<ViewKey>,
    pub last_use: u64,
    /// 1 MiB regions mapped as sections (so TLB maintenance by MVA unmaps all of them).
    pub sections: [u64; 64],
    /// 64 KiB chunks holding any mapping (so TLB maintenance skips views without one).
    pub chunks: Box<[u64; 1024]>,
    /// Whether anything is mapped at all.
    pub dirty: bool,
}

impl ViewSlot {
    fn new(base: *mut u8) -> ViewSlot {
        ViewSlot { base, key: None, last_use: 0, sections: [0; 64], chunks: Box::new([0; 1024]), dirty: false }
    }
    fn chunk_mapped(&self, va: u32) -> bool {
        let c = (va >> 16) as usize;
        self.chunks[c / 64] & (1 << (c % 64)) != 0
    }
    fn mark(&mut self, va: u32, len: u32) {
        let first = (va >> 16) as usize;
        let last = ((va as u64 + len as u64 - 1) >> 16) as usize;
        for c in first..=last {
            self.chunks[c / 64] |= 1 << (c % 64);
        }
        self.dirty = true;
    }
    fn clear_marks(&mut self) {
        self.chunks.fill(0);
        self.sections = [0; 64];
        self.dirty = false;
    }
}

/// Everything the fault handler needs, at a stable address.
pub struct HsptState {
    pub(super) ram_fd: i32,
    pub(super) ram_start: u32,
    pub(super) ram_size: u32,
    /// Base of the physical view (RAM at its physical addresses), used to read page tables.
    pub(super) phys_base: *mut u8,
    pub(super) views: Vec<ViewSlot>,
    /// Index of the physical view in `views`.
    pub(super) phys_view: usize,
    /// Result of the last failed access (valid after STATUS_GUEST_FAULT).
    pub fault: MemFault,
    /// Physical address of the last device access (valid after STATUS_MMIO).
    pub mmio_pa: u32,
    // Statistics and host-mapping accounting.
    pub fills: u64,
    pub guest_aborts: u64,
    pub flushes: u64,
    pub regions_recycled: u64,
    pub mappings: u64,
    pub peak_mappings: u64,
    pub max_mappings: u64,
    pub mmio_faults: u64,
    clock: u64,
}

fn reserve() -> io::Result<*mut u8> {
    // SAFETY: anonymous PROT_NONE reservation at a kernel-chosen address.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            VIEW_BYTES,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(p as *mut u8)
}

/// Reads the host's `vm.max_map_count` (65530 by default).
fn host_max_map_count() -> u64 {
    std::fs::read_to_string("/proc/sys/vm/max_map_count").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(65530)
}

impl HsptState {
    /// Creates the state with the physical view of `ram` (all RAM mapped).
    pub fn new(ram: &GuestRam) -> io::Result<Box<HsptState>> {
        let base = reserve()?;
        let mut st = Box::new(HsptState {
            ram_fd: ram.fd(),
            ram_start: ram.start,
            ram_size: ram.size,
            phys_base: base,
            views: Vec::new(),
            phys_view: 0,
            fault: MemFault::new(0, 0),
            mmio_pa: 0,
            fills: 0,
            guest_aborts: 0,
            flushes: 0,
            regions_recycled: 0,
            mappings: 0,
            peak_mappings: 0,
            // Leave room for the rest of the process (libraries, heap, JIT code).
            max_mappings: host_max_map_count().saturating_sub(4096).max(1024),
            mmio_faults: 0,
            clock: 0,
        });
        let mut phys = ViewSlot::new(base);
        phys.last_use = u64::MAX;
        st.views.push(phys);
        st.map_raw(base, ram.start, ram.start, ram.size, true)?;
        Ok(st)
    }

    pub fn phys_base(&self) -> *mut u8 {
        self.phys_base
    }

    pub(super) fn ram_contains(&self, pa: u32, len: u32) -> bool {
        pa >= self.ram_start && (pa - self.ram_start) as u64 + len as u64 <= self.ram_size as u64
    }

    /// Reads a page-table word from guest physical memory.
    pub fn read_pt(&self, pa: u32) -> Option<u32> {
        if pa & 3 != 0 || !self.ram_contains(pa, 4) {
            return None;
        }
        // SAFETY: [pa, pa+4) is RAM, mapped readable in the physical view for the
        // lifetime of this state; page tables are plain guest RAM.
        Some(unsafe { std::ptr::read_volatile(self.phys_base.add(pa as usize) as *const u32) })
    }

    fn map_raw(&mut self, base: *mut u8, va: u32, pa: u32, len: u32, writable: bool) -> io::Result<()> {
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        // SAFETY: [base+va, base+va+len) lies inside a view reservation we own
        // (va + len <= 4 GiB is checked by callers), and the file range is RAM.
        let p = unsafe {
            libc::mmap(
                base.add(va as usize) as *mut libc::c_void,
                len as usize,
                prot,
                libc::MAP_SHARED | libc::MAP_FIXED,
                self.ram_fd,
                (pa - self.ram_start) as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        self.mappings += 1;
        self.peak_mappings = self.peak_mappings.max(self.mappings);
        Ok(())
    }

    /// Replaces a range of a view with an inaccessible reservation.
    fn unmap_raw(base: *mut u8, va: usize, len: usize) {
        // SAFETY: the range is inside a view reservation we own; MAP_FIXED over it
        // drops whatever was mapped there and keeps the address space reserved.
        unsafe {
            libc::mmap(
                base.add(va) as *mut libc::c_void,
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            );
        }
    }

    fn flush_view(&mut self, i: usize) {
        let v = &mut self.views[i];
        if !v.dirty {
            return;
        }
        Self::unmap_raw(v.base, 0, VIEW_BYTES);
        v.clear_marks();
        self.flushes += 1;
    }

    /// Unmaps every MMU view (TLBIALL, or running out of host mappings).
    pub fn flush_all(&mut self) {
        for i in 0..self.views.len() {
            if i != self.phys_view && self.views[i].key.is_some() {
                self.flush_view(i);
            }
        }
        self.mappings = 1;
    }

    /// Applies guest TLB maintenance (Arm ARM B4.2.2) to the shadow regions.
    pub fn tlb_maintenance(&mut self, op: TlbOp) {
        match op {
            TlbOp::All => self.flush_all(),
            TlbOp::Asid(asid) => {
                for i in 0..self.views.len() {
                    if self.views[i].key.is_some_and(|k| k.mmu && k.asid == asid) {
                        self.flush_view(i);
                    }
                }
            }
            // Global entries match any ASID, so unmapping the page everywhere is exact enough.
            TlbOp::Mva { va, .. } | TlbOp::MvaAllAsids(va) => {
                for v in self.views.iter_mut().filter(|v| v.key.is_some_and(|k| k.mmu) && v.chunk_mapped(va)) {
                    let mb = (va >> 20) as usize;
                    if v.sections[mb / 64] & (1 << (mb % 64)) != 0 {
                        Self::unmap_raw(v.base, (va & !0xf_ffff) as usize, 0x10_0000);
                        v.sections[mb / 64] &= !(1 << (mb % 64));
                    } else {
                        // A large page covers 64 KiB: unmap that much (always safe).
                        Self::unmap_raw(v.base, (va & !0xffff) as usize, 0x1_0000);
                    }
                }
            }
        }
    }

    /// Finds or makes the view for `key`, recycling the least recently used one.
    pub fn view_for(&mut self, key: ViewKey) -> io::Result<usize> {
        self.clock += 1;
        if !key.mmu {
            return Ok(self.phys_view);
        }
        if let Some(i) = self.views.iter().position(|v| v.key == Some(key)) {
            self.views[i].last_use = self.clock;
            return Ok(i);
        }
        let i = if self.views.len() < MAX_VIEWS {
            let base = reserve()?;
            self.views.push(ViewSlot::new(base));
            self.views.len() - 1
        } else {
            let i = (0..self.views.len())
                .filter(|&i| i != self.phys_view)
                .min_by_key(|&i| self.views[i].last_use)
                .expect("at least one MMU view");
            self.flush_view(i);
            self.regions_recycled += 1;
            i
        };
        self.views[i].key = Some(key);
        self.views[i].last_use = self.clock;
        Ok(i)
    }

    pub fn view_base(&self, i: usize) -> *mut u8 {
        self.views[i].base
    }

    /// The view a host address falls in, and the guest address it stands for.
    pub(super) fn locate(&self, host: usize) -> Option<(usize, u32)> {
        self.views.iter().enumerate().find_map(|(i, v)| {
            let b = v.base as usize;
            (host >= b && host < b + (1usize << 32)).then(|| (i, (host - b) as u32))
        })
    }

    /// Resolves a miss at guest `va` in view `i` for a read or write: maps the
    /// page (Ok(None)), or reports a device address (Ok(Some(pa))) or a guest fault.
    pub(super) fn fill(&mut self, i: usize, va: u32, write: bool) -> Result<Option<u32>, MemFault> {
        let Some(key) = self.views[i].key else {
            // Physical view: everything that is RAM is already mapped.
            return Ok(Some(va));
        };
        let regs = WalkRegs { ttbr0: key.ttbr0, ttbr1: key.ttbr1, ttbcr: key.ttbcr, dacr: key.dacr };
        let acc = if write { Access::Write } else { Access::Read };
        let tr: Translation = walk::walk(&regs, va, acc, key.privileged, |pa| self.read_pt(pa))?;
        let (vbase, pbase) = tr.base(va);
        if !self.ram_contains(pbase, tr.size) {
            if self.ram_contains(tr.pa, 1) {
                // Partly RAM (a section straddling the end of RAM): map just the page.
                let (v4, p4) = (va & !0xfff, tr.pa & !0xfff);
                self.map_checked(i, v4, p4, 0x1000, tr.writable);
                self.views[i].mark(v4, 0x1000);
                return Ok(None);
            }
            return Ok(Some(tr.pa));
        }
        if self.mappings + 1 >= self.max_mappings {
            self.flush_all();
        }
        self.map_checked(i, vbase, pbase, tr.size, tr.writable);
        self.views[i].mark(vbase, tr.size);
        if tr.size >= 0x10_0000 {
            let v = &mut self.views[i];
            for mb in (vbase >> 20)..((vbase as u64 + tr.size as u64) >> 20) as u32 {
                v.sections[mb as usize / 64] |= 1 << (mb % 64);
            }
        }
        self.fills += 1;
        Ok(None)
    }

    fn map_checked(&mut self, i: usize, va: u32, pa: u32, len: u32, writable: bool) {
        let base = self.views[i].base;
        if self.map_raw(base, va, pa, len, writable).is_err() {
            // ENOMEM (host mapping limit): drop everything and map again.
            self.flush_all();
            let _ = self.map_raw(base, va, pa, len, writable);
        }
    }
}

impl Drop for HsptState {
    fn drop(&mut self) {
        for v in &self.views {
            // SAFETY: unmapping exactly the reservations this state made.
            unsafe { libc::munmap(v.base as *mut libc::c_void, VIEW_BYTES) };
        }
    }
}

/// The view key for the CPU's current state (`user` forces the unprivileged view, LDRT/STRT).
pub fn key_for(cpu: &CpuState, user: bool) -> ViewKey {
    let c = &cpu.cp15;
    ViewKey {
        mmu: c.sctlr_m(),
        asid: c.contextidr as u8,
        ttbr0: c.ttbr0,
        ttbr1: c.ttbr1,
        ttbcr: c.ttbcr,
        privileged: !user && cpu.current_mode() != Mode::Usr,
        dacr: c.dacr,
    }
}
