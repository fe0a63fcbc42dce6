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

/// What a view shows: one address space in one permission context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ViewKey {
    pub mmu: bool,
    pub asid: u8,
    pub ttbr0: u32,
    pub ttbr1: u32,
    pub ttbcr: u32,
    pub privileged: bool,
    pub dacr: u32,
}

/// How shadow regions are shared between guest address spaces (the paper's three organisations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SptOrganisation {
    /// One set of views for every address space; a context switch unmaps every non-global page.
    Shared,
    /// A set of views per address space (ASID, TTBR0); a context switch only changes the base.
    Private,
    /// At most N views, handed out least-recently-used first; recycling one flushes it.
    Group(usize),
}

impl SptOrganisation {
    pub fn name(self) -> &'static str {
        match self {
            SptOrganisation::Shared => "shared",
            SptOrganisation::Private => "private",
            SptOrganisation::Group(_) => "group",
        }
    }
}

impl std::str::FromStr for SptOrganisation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "shared" => Ok(SptOrganisation::Shared),
            "private" => Ok(SptOrganisation::Private),
            _ => match s.strip_prefix("group=").map(str::parse::<usize>) {
                Some(Ok(n)) if (1..=MAX_VIEWS_PRIVATE).contains(&n) => Ok(SptOrganisation::Group(n)),
                _ => Err(format!("expected shared, private or group=N (1 <= N <= {MAX_VIEWS_PRIVATE}), not {s:?}")),
            },
        }
    }
}

/// Views kept at most by the private organisation (each reserves 4 GiB of host
/// address space but no memory; 1024 of them use 4 TiB of the 128 TiB).
pub const MAX_VIEWS_PRIVATE: usize = 1024;

/// Why views were flushed (statistics).
#[derive(Clone, Copy, Debug, Default)]
pub struct FlushCounts {
    /// TLBIALL / TLBIASID.
    pub tlb: u64,
    /// Shared organisation: a context switch dropped the non-global pages.
    pub context_switch: u64,
    /// A view was recycled for another address space (group, or private at its cap).
    pub recycle: u64,
    /// Near the host's mapping limit (vm.max_map_count) or mmap ENOMEM.
    pub host_limit: u64,
}

pub(super) struct ViewSlot {
    pub base: *mut u8,
    pub key: Option<ViewKey>,
    pub last_use: u64,
    /// 1 MiB regions mapped as sections (so TLB maintenance by MVA unmaps all of them).
    pub sections: [u64; 64],
    /// 64 KiB chunks holding any mapping (so TLB maintenance skips views without one).
    pub chunks: Box<[u64; 1024]>,
    /// Small pages mapped, 16 bits per 64 KiB chunk, meaningful only while the chunk is marked in
    /// `chunks` (a chunk's bits start again when it is marked anew). Every mapping sets its pages'
    /// bits (`mark`), so a clear bit is a page not mapped: TLB maintenance by MVA skips it. A set
    /// bit may be stale (a page unmapped by a path that does not clear it): prefill then skips a
    /// neighbour that faults and is filled when touched, and maintenance makes one needless unmapping.
    pub page_bits: Box<[u16]>,
    /// 64 KiB chunks holding a large-page (64 KiB) mapping: TLB maintenance by MVA unmaps all of it.
    pub large: Box<[u64; 1024]>,
    /// Whether anything is mapped at all.
    pub dirty: bool,
    /// The address space (ASID, TTBR0) whose pages the view holds (shared organisation).
    pub owner: (u8, u32),
    /// Non-global mappings (shared organisation: unmapped on a context switch).
    pub nonglobal: Vec<(u32, u32)>,
    /// Pages currently mapped (approximate: remaps count again).
    pub pages: u64,
    /// Host mappings (VMAs) this view's reservation holds, its inaccessible parts included: an upper
    /// bound (each mmap into it counts 2, the most a MAP_FIXED can add by splitting), made exact by
    /// `HsptState::recount_mappings`.
    pub maps: u64,
    /// Scratch for `HsptState::recount_mappings`.
    counted: u64,
}

impl ViewSlot {
    fn new(base: *mut u8) -> ViewSlot {
        ViewSlot {
            base,
            key: None,
            last_use: 0,
            sections: [0; 64],
            chunks: Box::new([0; 1024]),
            page_bits: vec![0u16; 1 << 16].into_boxed_slice(),
            large: Box::new([0; 1024]),
            dirty: false,
            owner: (0, 0),
            nonglobal: Vec::new(),
            pages: 0,
            maps: 1,
            counted: 0,
        }
    }
    fn chunk_mapped(&self, va: u32) -> bool {
        let c = (va >> 16) as usize;
        self.chunks[c / 64] & (1 << (c % 64)) != 0
    }
    fn mark(&mut self, va: u32, len: u32) {
        let first = (va >> 16) as usize;
        let last = ((va as u64 + len as u64 - 1) >> 16) as usize;
        for c in first..=last {
            if self.chunks[c / 64] & (1 << (c % 64)) == 0 {
                self.page_bits[c] = 0;
            }
            self.chunks[c / 64] |= 1 << (c % 64);
        }
        for p in (va >> 12) as u64..(va as u64 + len as u64 + 0xfff) >> 12 {
            self.page_bits[(p >> 4) as usize] |= 1 << (p & 15);
        }
        self.dirty = true;
    }
    /// Whether the small page at `va` is mapped (see `page_bits`).
    fn page_mapped(&self, va: u32) -> bool {
        self.chunk_mapped(va) && self.page_bits[(va >> 16) as usize] & (1 << ((va >> 12) & 15)) != 0
    }
    /// Forgets the pages of [va, va + len), now unmapped.
    fn forget_pages(&mut self, va: u32, len: u64) {
        for p in (va >> 12) as u64..(va as u64 + len + 0xfff) >> 12 {
            self.page_bits[(p >> 4) as usize] &= !(1 << (p & 15));
        }
    }
    /// Forgets the marks of the 64 KiB chunks in [va, va + len) (chunk-aligned), now unmapped.
    fn unmark(&mut self, va: u32, len: u32) {
        let first = (va >> 16) as usize;
        let last = ((va as u64 + len as u64 - 1) >> 16) as usize;
        for c in first..=last {
            self.chunks[c / 64] &= !(1 << (c % 64));
            self.large[c / 64] &= !(1 << (c % 64));
        }
    }
    fn clear_marks(&mut self) {
        self.chunks.fill(0);
        self.large.fill(0);
        self.sections = [0; 64];
        self.dirty = false;
        self.nonglobal.clear();
        self.pages = 0;
        // the reservation itself, one inaccessible mapping again
        self.maps = 1;
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
    /// Index of `views` by key.
    index: std::collections::HashMap<ViewKey, usize>,
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
    /// Pages mapped by prefill (neighbours of a filled page, HSPT paper §4.2.2).
    pub prefilled: u64,
    pub pages_mapped: u64,
    pub pages_unmapped: u64,
    pub flush_causes: FlushCounts,
    /// Organisation of the shadow regions.
    pub org: SptOrganisation,
    /// Prefill window in pages (0 or 1: no prefill).
    pub prefill: u32,
    /// Times a shared view changed address space (callers drop per-view caches).
    pub owner_switches: u64,
    /// The view in use by the CPU: never recycled (an LDRT's user view must not evict it).
    pub pinned: usize,
    clock: u64,
    /// `mappings` at which the count is next made exact (`recount_mappings`).
    next_recount: u64,
    /// Times the count was made exact from /proc/self/maps.
    pub recounts: u64,
    /// Buffer for reading /proc/self/maps (allocated here: the recount runs in the fault handler).
    maps_buf: Box<[u8; 16384]>,
    /// The software TLB (`--mmu soft`); here so that compiled code's miss helper
    /// reaches it the way the fault handler reaches this state.
    pub soft: Option<crate::mem::softmmu::SoftTlb>,
}

/// The running count of host mappings is an upper bound between recounts: every mmap into a view counts 2
/// (the most a MAP_FIXED mapping can add, splitting one mapping in three), though it may replace or merge
/// with others. It is made exact every time it has grown by this much, or doubled, or gone half the way
/// to the cap, whichever is most: reading /proc/self/maps costs about a microsecond per mapping (4 % of
/// the VM thread on xz when recounts came every doubling).
const RECOUNT_EVERY: u64 = 1024;

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
            index: std::collections::HashMap::new(),
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
            prefilled: 0,
            pages_mapped: 0,
            pages_unmapped: 0,
            flush_causes: FlushCounts::default(),
            org: SptOrganisation::Private,
            prefill: 16,
            owner_switches: 0,
            pinned: 0,
            clock: 0,
            next_recount: RECOUNT_EVERY,
            recounts: 0,
            maps_buf: Box::new([0; 16384]),
            soft: None,
        });
        let mut phys = ViewSlot::new(base);
        phys.last_use = u64::MAX;
        st.views.push(phys);
        st.map_raw(base, ram.start, ram.start, ram.size, true)?;
        st.count_op(0);
        Ok(st)
    }

    pub fn phys_base(&self) -> *mut u8 {
        self.phys_base
    }

    /// The soft-TLB miss of compiled code (`softmmu::fill`); false without a soft TLB.
    pub fn soft_fill(&mut self, cpu: &crate::cpu::CpuState, va: u32, bytes: u32, write: bool) -> bool {
        let Some(mut tlb) = self.soft.take() else { return false };
        let ok = crate::mem::softmmu::fill(&mut tlb, cpu, |pa| self.read_pt(pa), |pa, n| self.ram_contains(pa, n), va, bytes, write);
        self.soft = Some(tlb);
        ok
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
        self.pages_mapped += (len / 0x1000) as u64;
        Ok(())
    }

    /// Accounts for one mmap into view `i` (a mapping or an unmapping of part of it): at most 2 more
    /// host mappings.
    fn count_op(&mut self, i: usize) {
        self.views[i].maps += 2;
        self.mappings += 2;
    }

    /// Keeps the count honest and under the cap, with room for `room` more: when it has grown enough since
    /// the last recount, or nears the cap, makes it exact; when the exact count is past 3/4 of the cap
    /// (so that a count hovering just under it does not recount on every call), flushes every view.
    /// Without /proc the bound decides, at the cap. Then records the peak.
    fn settle(&mut self, room: u64) {
        if self.mappings + room >= self.next_recount || self.mappings + room >= self.max_mappings {
            let exact = self.recount_mappings();
            let limit = if exact { self.max_mappings * 3 / 4 } else { self.max_mappings };
            if self.mappings + room >= limit {
                self.flush_all();
                self.flush_causes.host_limit += 1;
            }
            let halfway = self.max_mappings.saturating_sub(self.mappings) / 2;
            self.next_recount = self.mappings + self.mappings.max(RECOUNT_EVERY).max(halfway);
        }
        self.peak_mappings = self.peak_mappings.max(self.mappings);
    }

    /// Makes the mapping count exact: counts, from /proc/self/maps, the host mappings (VMAs) inside each
    /// view's reservation, its inaccessible parts included, and sets the views' and the total count to
    /// them. Only system calls and the preallocated buffer: safe in the fault handler. False (counts left
    /// as they were) when /proc/self/maps cannot be read.
    fn recount_mappings(&mut self) -> bool {
        // SAFETY: open(2) of a NUL-terminated constant path.
        let fd = unsafe { libc::open(c"/proc/self/maps".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return false;
        }
        for v in self.views.iter_mut() {
            v.counted = 0;
        }
        // Each line starts with the mapping's start address in hex.
        let (mut line_start, mut in_addr, mut addr, mut ok) = (true, false, 0u64, true);
        loop {
            let buf = &mut self.maps_buf;
            // SAFETY: read(2) into our own buffer of that length.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
            if n < 0 {
                if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                ok = false;
                break;
            }
            if n == 0 {
                break;
            }
            for k in 0..n as usize {
                let b = self.maps_buf[k];
                if line_start {
                    (line_start, in_addr, addr) = (false, true, 0);
                }
                if in_addr {
                    match (b as char).to_digit(16) {
                        Some(d) => addr = addr << 4 | d as u64,
                        None => {
                            in_addr = false;
                            let a = addr as usize;
                            if let Some(v) = self.views.iter_mut().find(|v| a >= v.base as usize && a < v.base as usize + VIEW_BYTES) {
                                v.counted += 1;
                            }
                        }
                    }
                }
                if b == b'\n' {
                    line_start = true;
                }
            }
        }
        // SAFETY: closing the fd opened above.
        unsafe { libc::close(fd) };
        if !ok {
            return false;
        }
        let mut total = 0;
        for v in self.views.iter_mut() {
            v.maps = v.counted;
            total += v.counted;
        }
        self.mappings = total;
        self.peak_mappings = self.peak_mappings.max(total);
        self.recounts += 1;
        true
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
        self.pages_unmapped += v.pages;
        self.mappings = self.mappings.saturating_sub(v.maps);
        v.clear_marks();
        self.mappings += v.maps;
        self.flushes += 1;
    }

    /// Unmaps every MMU view (TLBIALL, or running out of host mappings).
    pub fn flush_all(&mut self) {
        for i in 0..self.views.len() {
            if i != self.phys_view && self.views[i].key.is_some() {
                self.flush_view(i);
            }
        }
        self.mappings = self.views.iter().map(|v| v.maps).sum::<u64>();
    }

    /// Shared organisation: the view changes hands to address space `owner`;
    /// unmap the previous owner's non-global pages in bulk.
    fn switch_owner(&mut self, i: usize, owner: (u8, u32)) {
        let v = &mut self.views[i];
        if v.owner == owner {
            return;
        }
        v.owner = owner;
        // Instruction-side translations cached per view are stale now too.
        self.owner_switches += 1;
        if self.drop_nonglobal(i) {
            tracing::trace!(view = i, owner = ?owner, "HSPT: shared view changed hands, non-global pages unmapped");
            self.flush_causes.context_switch += 1;
        }
    }

    /// Unmaps view `i`'s non-global pages in bulk; its global ones stay. False if it had none.
    fn drop_nonglobal(&mut self, i: usize) -> bool {
        let v = &mut self.views[i];
        if v.nonglobal.is_empty() {
            return false;
        }
        Self::unmap_mirror(v.base);
        let mut ops = 1u64;
        let mut ranges = std::mem::take(&mut v.nonglobal);
        ranges.sort_unstable();
        // Merge adjacent ranges so the unmapping takes few system calls.
        let mut cur: Option<(u32, u64)> = None;
        for (va, len) in ranges {
            v.forget_pages(va, len as u64);
            match cur {
                Some((s, e)) if va as u64 <= e => cur = Some((s, e.max(va as u64 + len as u64))),
                _ => {
                    if let Some((s, e)) = cur {
                        Self::unmap_raw(v.base, s as usize, (e - s as u64) as usize);
                        ops += 1;
                    }
                    cur = Some((va, va as u64 + len as u64));
                }
            }
            self.pages_unmapped += (len / 0x1000) as u64;
        }
        if let Some((s, e)) = cur {
            Self::unmap_raw(v.base, s as usize, (e - s as u64) as usize);
            ops += 1;
        }
        // each unmapping may split a mapping it cuts into
        self.views[i].maps += 2 * ops;
        self.mappings += 2 * ops;
        self.settle(0);
        self.flushes += 1;
        true
    }

    /// Applies guest TLB maintenance (Arm ARM B4.2.2) to the shadow regions.
    pub fn tlb_maintenance(&mut self, op: TlbOp) {
        match op {
            TlbOp::All => {
                tracing::trace!(mappings = self.mappings, "HSPT: TLBIALL flushes every view");
                self.flush_all();
                self.flush_causes.tlb += 1;
            }
            // A shared view holds global pages, which TLBIASID leaves alone, and non-global pages of
            // its owner only (`switch_owner` drops the previous owner's): only those go, and only if
            // the owner is that address space, whichever process the view serves when the operation
            // comes (a kernel flushing the parent's address space at a fork, for instance).
            TlbOp::Asid(asid) if self.org == SptOrganisation::Shared => {
                for i in 0..self.views.len() {
                    let v = &self.views[i];
                    if v.key.is_some_and(|k| k.mmu) && v.owner.0 == asid && self.drop_nonglobal(i) {
                        tracing::trace!(view = i, asid, "HSPT: TLBIASID unmaps the owner's non-global pages");
                        self.flush_causes.tlb += 1;
                    }
                }
            }
            TlbOp::Asid(asid) => {
                for i in 0..self.views.len() {
                    let hit = self.views[i].key.is_some_and(|k| k.mmu && k.asid == asid);
                    if hit && self.views[i].dirty {
                        tracing::trace!(view = i, asid, pages = self.views[i].pages, "HSPT: TLBIASID flushes a view");
                        self.flush_view(i);
                        self.flush_causes.tlb += 1;
                    }
                }
            }
            // Global entries match any ASID, so unmapping the page everywhere is exact enough.
            TlbOp::Mva { va, .. } | TlbOp::MvaAllAsids(va) => {
                let mut ops = 0;
                for v in self.views.iter_mut().filter(|v| v.key.is_some_and(|k| k.mmu) && v.chunk_mapped(va)) {
                    if va < 0x10_0000 {
                        Self::unmap_mirror(v.base);
                        v.maps += 2;
                        ops += 1;
                    }
                    let mb = (va >> 20) as usize;
                    // A section or a large page goes whole; otherwise the one page, if mapped.
                    // Either way, Linux's page-by-page flush of a range then costs a system call
                    // only for the pages still mapped.
                    let c = (va >> 16) as usize;
                    if v.sections[mb / 64] & (1 << (mb % 64)) != 0 {
                        Self::unmap_raw(v.base, (va & !0xf_ffff) as usize, 0x10_0000);
                        v.sections[mb / 64] &= !(1 << (mb % 64));
                        v.unmark(va & !0xf_ffff, 0x10_0000);
                    } else if v.large[c / 64] & (1 << (c % 64)) != 0 {
                        // A large page covers 64 KiB: unmap that much.
                        Self::unmap_raw(v.base, (va & !0xffff) as usize, 0x1_0000);
                        v.unmark(va & !0xffff, 0x1_0000);
                    } else if v.page_mapped(va) {
                        // Small pages only: just this one. Its neighbours stay mapped, so the refill
                        // after a copy-on-write maps one page, not the prefill window again. (Every
                        // mapping sets its pages' bits, so a clear bit is a page not mapped.)
                        Self::unmap_raw(v.base, (va & !0xfff) as usize, 0x1000);
                        v.forget_pages(va & !0xfff, 0x1000);
                    } else {
                        continue;
                    }
                    // A hole in a longer mapping splits it.
                    v.maps += 2;
                    ops += 1;
                }
                self.mappings += 2 * ops;
                self.settle(0);
            }
        }
    }

    /// Finds or makes the view for `key`, recycling the least recently used one.
    pub fn view_for(&mut self, key: ViewKey) -> io::Result<usize> {
        self.clock += 1;
        if !key.mmu {
            return Ok(self.phys_view);
        }
        let owner = (key.asid, key.ttbr0);
        // The shared organisation keeps one view per permission context for all address spaces.
        let ckey = if self.org == SptOrganisation::Shared { ViewKey { asid: 0, ttbr0: 0, ..key } } else { key };
        if let Some(&i) = self.index.get(&ckey) {
            self.views[i].last_use = self.clock;
            if self.org == SptOrganisation::Shared {
                self.switch_owner(i, owner);
            }
            return Ok(i);
        }
        let i = match self.org {
            SptOrganisation::Group(n) => self.group_slot(owner, n)?,
            SptOrganisation::Private | SptOrganisation::Shared => self.private_slot(&ckey)?,
        };
        self.views[i].key = Some(ckey);
        self.index.insert(ckey, i);
        self.views[i].owner = owner;
        self.views[i].last_use = self.clock;
        Ok(i)
    }

    /// A region for a new view, up to `MAX_VIEWS_PRIVATE` views, then the least recently used one's.
    fn private_slot(&mut self, ckey: &ViewKey) -> io::Result<usize> {
        let limit = MAX_VIEWS_PRIVATE + 1; // + the physical view
        let victim = (0..self.views.len())
            .filter(|&i| i != self.phys_view && i != self.pinned)
            .min_by_key(|&i| self.views[i].last_use);
        let i = match victim.filter(|_| self.views.len() >= limit) {
            None => {
                // (Over the limit only when the one view allowed is in use: group=1 and an LDRT.)
                let base = reserve()?;
                tracing::debug!(view = self.views.len(), key = ?ckey, base = ?base, "HSPT: new shadow region");
                self.views.push(ViewSlot::new(base));
                self.mappings += 1;
                self.settle(0);
                self.views.len() - 1
            }
            Some(i) => {
                if self.views[i].dirty {
                    self.flush_causes.recycle += 1;
                }
                if let Some(old) = self.views[i].key {
                    self.index.remove(&old);
                }
                tracing::debug!(view = i, old = ?self.views[i].key, new = ?ckey, "HSPT: shadow region recycled for another address space");
                self.flush_view(i);
                self.regions_recycled += 1;
                i
            }
        };
        Ok(i)
    }

    /// Group organisation: a region for a new view of address space `owner`. The pool holds the regions
    /// of at most `n` address spaces, each with as many views as it uses (privileged, unprivileged, one
    /// per DACR state), so that a process's system calls and interrupts never recycle its own regions.
    /// A further address space takes the regions of the least recently used one, flushed; those of the
    /// address space in use (`pinned`) only when it is the only one held (group=1: the CPU is switching
    /// away from it; an LDRT's unprivileged view is the same address space's and never gets here).
    fn group_slot(&mut self, owner: (u8, u32), n: usize) -> io::Result<usize> {
        let phys = self.phys_view;
        let owner_of = |v: &ViewSlot| v.key.map(|k| (k.asid, k.ttbr0));
        // Address spaces held, with the last use of any of their views.
        let mut held: Vec<((u8, u32), u64)> = Vec::new();
        for (i, v) in self.views.iter().enumerate() {
            let Some(o) = owner_of(v).filter(|_| i != phys) else { continue };
            match held.iter_mut().find(|h| h.0 == o) {
                Some(h) => h.1 = h.1.max(v.last_use),
                None => held.push((o, v.last_use)),
            }
        }
        if !held.iter().any(|h| h.0 == owner) && held.len() >= n {
            let in_use = (self.pinned != phys).then(|| owner_of(&self.views[self.pinned])).flatten();
            let lru = |it: &mut dyn Iterator<Item = &((u8, u32), u64)>| it.min_by_key(|h| h.1).map(|h| h.0);
            let victim = lru(&mut held.iter().filter(|h| Some(h.0) != in_use)).or_else(|| lru(&mut held.iter()));
            for i in 0..self.views.len() {
                if i == phys || victim.is_none() || owner_of(&self.views[i]) != victim {
                    continue;
                }
                if self.views[i].dirty {
                    self.flush_causes.recycle += 1;
                }
                let old = self.views[i].key.take().expect("held views have keys");
                self.index.remove(&old);
                tracing::debug!(view = i, old = ?old, new_owner = ?owner, "HSPT: shadow region recycled for another address space");
                self.flush_view(i);
                self.regions_recycled += 1;
            }
        }
        if let Some(i) = (0..self.views.len()).find(|&i| i != phys && self.views[i].key.is_none()) {
            return Ok(i);
        }
        let base = reserve()?;
        tracing::debug!(view = self.views.len(), base = ?base, "HSPT: new shadow region");
        self.views.push(ViewSlot::new(base));
        self.mappings += 1;
        self.settle(0);
        Ok(self.views.len() - 1)
    }

    /// The physical address of `va` as a privileged read sees it under the translation registers `regs`
    /// (`mmu`: SCTLR.M), which is how data-cache maintenance by MVA names its line; None if it does not
    /// translate.
    pub fn translate_privileged(&self, regs: &WalkRegs, mmu: bool, va: u32) -> Option<u32> {
        if !mmu {
            return Some(va);
        }
        walk::walk(regs, va, Access::Read, true, |pa| self.read_pt(pa)).ok().map(|t| t.pa)
    }

    pub fn view_base(&self, i: usize) -> *mut u8 {
        self.views[i].base
    }

    /// The view a host address falls in, and the guest address it stands for.
    pub(super) fn locate(&self, host: usize) -> Option<(usize, u32)> {
        // The guard page after 4 GiB mirrors guest page 0, so an access that wraps
        // past 0xffff_ffff reads the wrapped bytes (as QEMU does; UNPREDICTABLE in
        // the Arm ARM): a fault there fills page 0 and its mirror.
        self.views.iter().enumerate().find_map(|(i, v)| {
            let b = v.base as usize;
            (host >= b && host < b + VIEW_BYTES).then(|| (i, (host - b) as u32))
        })
    }

    /// Maps the guard page after 4 GiB to guest page 0's physical page.
    fn map_mirror(&mut self, i: usize, pa: u32, writable: bool) {
        let base = self.views[i].base;
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        // SAFETY: the guard page [base + 4 GiB, + 4 KiB) belongs to this view's reservation.
        let p = unsafe {
            libc::mmap(
                base.add(1usize << 32) as *mut libc::c_void,
                0x1000,
                prot,
                libc::MAP_SHARED | libc::MAP_FIXED,
                self.ram_fd,
                (pa - self.ram_start) as libc::off_t,
            )
        };
        if p != libc::MAP_FAILED {
            self.count_op(i);
        }
    }

    fn unmap_mirror(base: *mut u8) {
        Self::unmap_raw(base, 1usize << 32, 0x1000);
    }

    /// Resolves a miss at guest `va` in view `i` for a read or write: maps the
    /// page (Ok(None)), or reports a device address (Ok(Some(pa))) or a guest fault.
    pub(crate) fn fill(&mut self, i: usize, va: u32, write: bool) -> Result<Option<u32>, MemFault> {
        let Some(key) = self.views[i].key else {
            // Physical view: everything that is RAM is already mapped.
            return Ok(Some(va));
        };
        // The address space the view currently holds (for shared views, its owner).
        let ttbr0 = self.views[i].owner.1;
        let regs = WalkRegs { ttbr0, ttbr1: key.ttbr1, ttbcr: key.ttbcr, dacr: key.dacr };
        let acc = if write { Access::Write } else { Access::Read };
        let tr: Translation = walk::walk(&regs, va, acc, key.privileged, |pa| self.read_pt(pa))?;
        let (vbase, pbase) = tr.base(va);
        if !self.ram_contains(pbase, tr.size) {
            if self.ram_contains(tr.pa, 1) {
                // Partly RAM (a section straddling the end of RAM): map just the page.
                let (v4, p4) = (va & !0xfff, tr.pa & !0xfff);
                self.settle(2);
                self.map_checked(i, v4, p4, 0x1000, tr.writable);
                self.count_op(i);
                self.peak_mappings = self.peak_mappings.max(self.mappings);
                self.views[i].mark(v4, 0x1000);
                return Ok(None);
            }
            return Ok(Some(tr.pa));
        }
        // Prefill may add a mapping per page of its window (at most 64), and the mirror of page 0 one:
        // room for what this fill may add to the count.
        let window = if tr.size == 0x1000 && self.prefill > 1 { (self.prefill as u64).next_power_of_two().min(64) } else { 1 };
        self.settle(2 * (window + 1));
        if va < 0x1000 {
            let pa0 = tr.pa & !0xfff;
            self.map_mirror(i, pa0, tr.writable);
        }
        if tr.size == 0x1000 && self.prefill > 1 {
            self.fill_with_neighbours(i, &regs, key.privileged, va, pbase, tr.writable, tr.global);
        } else {
            self.map_checked(i, vbase, pbase, tr.size, tr.writable);
            self.note_mapping(i, vbase, tr.size, tr.global);
        }
        if tr.size >= 0x10_0000 {
            let v = &mut self.views[i];
            for mb in (vbase >> 20)..((vbase as u64 + tr.size as u64) >> 20) as u32 {
                v.sections[mb as usize / 64] |= 1 << (mb % 64);
            }
        } else if tr.size == 0x1_0000 {
            let c = (vbase >> 16) as usize;
            self.views[i].large[c / 64] |= 1 << (c % 64);
        }
        self.fills += 1;
        self.peak_mappings = self.peak_mappings.max(self.mappings);
        Ok(None)
    }

    fn note_mapping(&mut self, i: usize, va: u32, len: u32, global: bool) {
        let shared = self.org == SptOrganisation::Shared;
        self.count_op(i);
        let v = &mut self.views[i];
        v.mark(va, len);
        v.pages += (len / 0x1000) as u64;
        if shared && !global {
            v.nonglobal.push((va, len));
        }
    }

    /// Prefill (HSPT paper §4.2.2): maps the faulting small page together with the
    /// valid small pages of its aligned window that the same tables map, merging
    /// runs of consecutive physical pages into single mmaps. Bounded, no allocation.
    #[allow(clippy::too_many_arguments)]
    fn fill_with_neighbours(&mut self, i: usize, regs: &WalkRegs, privileged: bool, va: u32, pa: u32, writable: bool, global: bool) {
        const MAX_WINDOW: usize = 64;
        let n = (self.prefill as usize).clamp(1, MAX_WINDOW).next_power_of_two() as u32;
        let start = (va >> 12) & !(n - 1);
        // (physical page, writable, global) for each page of the window; u32::MAX = leave alone.
        let mut pages = [(u32::MAX, false, false); MAX_WINDOW];
        for k in 0..n {
            let vp = (start + k) << 12;
            if vp == va & !0xfff {
                pages[k as usize] = (pa >> 12, writable, global);
                continue;
            }
            if self.views[i].page_mapped(vp) {
                // Mapped already (by an earlier fill of this window): mapping it again would cost an mmap.
                continue;
            }
            if let Ok(t) = walk::walk(regs, vp, Access::Read, privileged, |a| self.read_pt(a)) {
                if t.size == 0x1000 && self.ram_contains(t.pa & !0xfff, 0x1000) {
                    pages[k as usize] = (t.pa >> 12, t.writable, t.global);
                }
            }
        }
        let mut k = 0;
        while k < n as usize {
            let (p0, w0, g0) = pages[k];
            if p0 == u32::MAX {
                k += 1;
                continue;
            }
            let mut e = k + 1;
            while e < n as usize && pages[e] == (p0 + (e - k) as u32, w0, g0) {
                e += 1;
            }
            let vstart = (start + k as u32) << 12;
            let len = ((e - k) as u32) << 12;
            self.map_checked(i, vstart, p0 << 12, len, w0);
            self.note_mapping(i, vstart, len, g0);
            let faulting = (vstart..vstart + len).contains(&(va & !0xfff));
            self.prefilled += ((e - k) as u64).saturating_sub(faulting as u64);
            k = e;
        }
    }

    fn map_checked(&mut self, i: usize, va: u32, pa: u32, len: u32, writable: bool) {
        let base = self.views[i].base;
        if self.map_raw(base, va, pa, len, writable).is_err() {
            // ENOMEM (host mapping limit): drop everything and map again.
            // (No log event: fill runs in the SIGSEGV handler; the stats count these flushes.)
            self.flush_all();
            self.flush_causes.host_limit += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    const TTB: u32 = 0x4000_4000;
    const L2: u32 = 0x4000_8000;

    fn key(asid: u8, ttbr0: u32, privileged: bool) -> ViewKey {
        ViewKey { mmu: true, asid, ttbr0, ttbr1: 0, ttbcr: 0, privileged, dacr: 0x5 }
    }

    fn poke(st: &HsptState, pa: u32, v: u32) {
        assert!(st.ram_contains(pa, 4));
        // SAFETY: pa is RAM, mapped writable in the physical view.
        unsafe { std::ptr::write(st.phys_base.add(pa as usize) as *mut u32, v) };
    }

    /// RAM with a table at TTB: VA 0x0010_0000 is a page table whose pages 0..16
    /// map to consecutive RAM pages (user RW, non-global); VA 0x0040_0000 is a section.
    fn setup() -> (GuestRam, Box<HsptState>) {
        let ram = GuestRam::new(0x4000_0000, 0x40_0000).unwrap();
        let st = HsptState::new(&ram).unwrap();
        poke(&st, TTB + (0x001 << 2), L2 | 0b01);
        for k in 0..16 {
            poke(&st, L2 + (k << 2), (0x4010_0000 + (k << 12)) | (1 << 11) | (0b11 << 4) | 0b10);
        }
        poke(&st, TTB + (0x004 << 2), 0x4020_0000 | (0b11 << 10) | 0b10);
        poke(&st, 0x4010_3000, 0xfeed_f00d);
        (ram, st)
    }

    #[test]
    fn private_views_per_address_space_and_context() {
        let (_ram, mut st) = setup();
        let a = st.view_for(key(1, TTB, true)).unwrap();
        assert_eq!(st.view_for(key(1, TTB, true)).unwrap(), a);
        let b = st.view_for(key(2, TTB, true)).unwrap();
        let u = st.view_for(key(1, TTB, false)).unwrap();
        assert!(a != b && a != u && b != u);
        assert_eq!(st.view_for(ViewKey { mmu: false, ..key(1, TTB, true) }).unwrap(), st.phys_view);
    }

    #[test]
    fn fill_maps_the_page_with_prefill_and_counts() {
        let (_ram, mut st) = setup();
        st.prefill = 16;
        let i = st.view_for(key(1, TTB, true)).unwrap();
        assert_eq!(st.fill(i, 0x0010_3004, false), Ok(None));
        // SAFETY: the fill just mapped this page of the view.
        let v = unsafe { std::ptr::read(st.view_base(i).add(0x0010_3000) as *const u32) };
        assert_eq!(v, 0xfeed_f00d);
        // The 16 pages of the window are physically consecutive: one mapping, 15 prefilled; the view's
        // count is its reservation plus at most 2 for the one mmap.
        assert_eq!((st.fills, st.prefilled, st.views[i].maps), (1, 15, 3));
        // A section fills in one go and is recorded for TLB maintenance.
        assert_eq!(st.fill(i, 0x0041_2345, true), Ok(None));
        assert!(st.views[i].sections[0] & (1 << 4) != 0);
        // Unmapped VA: a translation fault; device PA: reported as such.
        assert!(st.fill(i, 0x0080_0000, false).is_err());
        poke(&st, TTB + (0x090 << 2), 0x0900_0000 | (0b11 << 10) | 0b10);
        assert_eq!(st.fill(i, 0x0900_0010, false), Ok(Some(0x0900_0010)));
        // TLBIALL empties the view: its count is the bare reservation again.
        st.tlb_maintenance(TlbOp::All);
        assert_eq!((st.views[i].maps, st.views[i].dirty), (1, false));
        assert_eq!(st.flush_causes.tlb, 1);
    }

    #[test]
    fn maintenance_by_mva_unmaps_the_page_or_the_large_page() {
        let (_ram, mut st) = setup();
        st.prefill = 16;
        let i = st.view_for(key(1, TTB, true)).unwrap();
        assert_eq!(st.fill(i, 0x0010_3004, false), Ok(None));
        assert!(st.views[i].page_mapped(0x0010_3000) && st.views[i].page_mapped(0x0010_4000));
        // Small pages: the page alone is unmapped; its neighbours stay.
        let maps = st.views[i].maps;
        st.tlb_maintenance(TlbOp::Mva { va: 0x0010_3000, asid: 1 });
        assert!(!st.views[i].page_mapped(0x0010_3000));
        assert!(st.views[i].chunk_mapped(0x0010_3000) && st.views[i].page_mapped(0x0010_4000));
        assert_eq!(st.views[i].maps, maps + 2, "one hole");
        // Maintenance of a page not mapped (Linux flushes ranges page by page) changes nothing.
        st.tlb_maintenance(TlbOp::Mva { va: 0x0010_3000, asid: 1 });
        assert_eq!(st.views[i].maps, maps + 2, "no more unmappings");
        // The page faults again when touched, and only it is mapped again.
        let (fills, mapped) = (st.fills, st.pages_mapped);
        assert_eq!(st.fill(i, 0x0010_3004, false), Ok(None));
        assert_eq!((st.fills, st.pages_mapped), (fills + 1, mapped + 1));
        // SAFETY: the neighbour page is still mapped in this view.
        let w = unsafe { std::ptr::read(st.view_base(i).add(0x0010_3000) as *const u32) };
        assert_eq!(w, 0xfeed_f00d);
        // A large page (64 KiB) is unmapped whole, whichever of its pages is named.
        for k in 16..32 {
            poke(&st, L2 + (k << 2), 0x4011_0000 | (1 << 11) | (0b11 << 4) | 0b01);
        }
        assert_eq!(st.fill(i, 0x0011_0004, false), Ok(None));
        assert!(st.views[i].chunk_mapped(0x0011_0000));
        st.tlb_maintenance(TlbOp::Mva { va: 0x0011_2000, asid: 1 });
        assert!(!st.views[i].chunk_mapped(0x0011_0000) && !st.views[i].page_mapped(0x0011_0000));
    }

    #[test]
    fn prefill_maps_only_the_pages_of_its_window_not_mapped_yet() {
        let (_ram, mut st) = setup();
        st.prefill = 16;
        // Page 0x105 invalid at first: the window maps the other 15.
        poke(&st, L2 + (5 << 2), 0);
        let i = st.view_for(key(1, TTB, true)).unwrap();
        let before = st.pages_mapped;
        assert_eq!(st.fill(i, 0x0010_3004, false), Ok(None));
        assert_eq!(st.pages_mapped - before, 15);
        // The guest maps it and touches it: that page alone is mapped, not the window again.
        poke(&st, L2 + (5 << 2), 0x4010_5000 | (1 << 11) | (0b11 << 4) | 0b10);
        assert_eq!(st.fill(i, 0x0010_5008, true), Ok(None));
        assert_eq!(st.pages_mapped - before, 16);
        // TLB maintenance unmaps that page: a fill of another page of the window maps it (the
        // faulting page is always mapped, whatever the hint says) and that page, nothing else.
        st.tlb_maintenance(TlbOp::Mva { va: 0x0010_5000, asid: 1 });
        assert_eq!(st.fill(i, 0x0010_3004, false), Ok(None));
        assert_eq!(st.pages_mapped - before, 18);
        // SAFETY: the fill just mapped this page of the view.
        let v = unsafe { std::ptr::read(st.view_base(i).add(0x0010_3000) as *const u32) };
        assert_eq!(v, 0xfeed_f00d);
    }

    #[test]
    fn recount_makes_the_mapping_count_exact() {
        let (_ram, mut st) = setup();
        st.prefill = 16;
        let i = st.view_for(key(1, TTB, true)).unwrap();
        assert_eq!(st.fill(i, 0x0010_3004, false), Ok(None));
        let bound = st.mappings;
        assert!(st.recount_mappings());
        // The view: inaccessible below, the 16 mapped pages, inaccessible above; the physical view: RAM
        // between two inaccessible parts (or fewer, when RAM starts or ends at the edge).
        assert_eq!(st.views[i].maps, 3);
        assert!((1..=3).contains(&st.views[st.phys_view].maps), "{}", st.views[st.phys_view].maps);
        assert!(st.mappings <= bound, "the running count is an upper bound: {} > {bound}", st.mappings);
        assert_eq!(st.mappings, st.views.iter().map(|v| v.maps).sum::<u64>());
    }

    #[test]
    fn shared_views_change_hands_and_drop_non_global_pages() {
        let (_ram, mut st) = setup();
        st.org = SptOrganisation::Shared;
        let a = st.view_for(key(1, TTB, true)).unwrap();
        st.fill(a, 0x0010_0000, false).unwrap();
        assert!(!st.views[a].nonglobal.is_empty());
        let b = st.view_for(key(2, TTB, true)).unwrap();
        assert_eq!(a, b, "one view for every address space");
        assert_eq!((st.flush_causes.context_switch, st.owner_switches), (1, 1));
        assert!(st.views[a].nonglobal.is_empty());
    }

    #[test]
    fn tlbiasid_on_a_shared_view_drops_only_its_owners_non_global_pages() {
        let (_ram, mut st) = setup();
        st.org = SptOrganisation::Shared;
        st.prefill = 1;
        let a = st.view_for(key(1, TTB, true)).unwrap();
        // A non-global small page of address space 1, and a global section.
        st.fill(a, 0x0010_3000, false).unwrap();
        st.fill(a, 0x0040_0000, false).unwrap();
        assert!(st.views[a].page_mapped(0x0010_3000) && st.views[a].chunk_mapped(0x0040_0000));
        // Another address space's flush (Linux's at a fork in another process): nothing to do.
        let before = (st.pages_unmapped, st.flushes);
        st.tlb_maintenance(TlbOp::Asid(2));
        assert_eq!((st.pages_unmapped, st.flushes), before);
        assert!(st.views[a].page_mapped(0x0010_3000));
        // The owner's: its page goes, the global section stays, readable.
        st.tlb_maintenance(TlbOp::Asid(1));
        assert!(!st.views[a].page_mapped(0x0010_3000));
        assert_eq!(st.pages_unmapped, before.0 + 1);
        assert_eq!(st.flush_causes.tlb, 1);
        // SAFETY: the section is still mapped in the view (it was not unmapped above).
        let _ = unsafe { std::ptr::read_volatile(st.view_base(a).add(0x0040_0000) as *const u32) };
        // TLBIALL still unmaps everything.
        st.tlb_maintenance(TlbOp::All);
        assert!(!st.views[a].chunk_mapped(0x0040_0000));
    }

    #[test]
    fn group_recycles_the_least_recently_used_address_space() {
        let (_ram, mut st) = setup();
        st.org = SptOrganisation::Group(2);
        let a = st.view_for(key(1, TTB, true)).unwrap();
        let b = st.view_for(key(2, TTB, true)).unwrap();
        st.fill(a, 0x0010_0000, false).unwrap();
        st.pinned = a;
        st.view_for(key(1, TTB, true)).unwrap(); // a is the most recent now
        let c = st.view_for(key(3, TTB, true)).unwrap();
        assert_eq!(c, b, "the least recently used view is recycled");
        assert_eq!(st.regions_recycled, 1);
        // With a pinned and b recycled as c: asking for a 4th space recycles c, not a.
        let d = st.view_for(key(4, TTB, true)).unwrap();
        assert_ne!(d, a);
        assert_eq!(d, c);
        // Another view of the address space in use (its unprivileged one) recycles nothing.
        st.pinned = d;
        let before = st.regions_recycled;
        let u = st.view_for(key(4, TTB, false)).unwrap();
        assert!(u != a && u != d);
        assert_eq!(st.regions_recycled, before, "an address space's own views never evict each other");
        // A 5th address space takes both of the least recently used one's regions... which is space 1
        // (a), since 4 is in use: a's region is flushed and reused.
        let e = st.view_for(key(5, TTB, true)).unwrap();
        assert_eq!(e, a);
        assert_eq!(st.regions_recycled, before + 1);
        assert!(!st.views[a].dirty, "recycled regions are flushed");
        // Then space 4 (2 views) is the least recently used once 5 is pinned: both its regions go, one is
        // taken, the other stays free for the next view.
        st.pinned = e;
        let f = st.view_for(key(6, TTB, true)).unwrap();
        assert!(f == d || f == u);
        assert_eq!(st.regions_recycled, before + 3);
        let g = st.view_for(key(6, TTB, false)).unwrap();
        assert!((g == d || g == u) && g != f, "the freed region is reused");
        assert_eq!(st.views.len(), 4, "physical view + 3 regions");
        // group=1: switching to another address space recycles the one in use.
        let (_ram, mut st) = setup();
        st.org = SptOrganisation::Group(1);
        let a = st.view_for(key(1, TTB, true)).unwrap();
        st.pinned = a;
        assert_eq!(st.view_for(key(1, TTB, false)).unwrap(), a + 1, "its own second view");
        let b = st.view_for(key(2, TTB, true)).unwrap();
        assert!(b == a || b == a + 1);
        assert_eq!(st.regions_recycled, 2);
        assert_eq!(st.views.len(), 3);
        assert_eq!("group=2".parse::<SptOrganisation>(), Ok(SptOrganisation::Group(2)));
        assert!("group=0".parse::<SptOrganisation>().is_err());
        assert!("sharde".parse::<SptOrganisation>().is_err());
    }
}
