//! The software-MMU ablation (`--mmu soft`): a QEMU-style software TLB in front of
//! the same table walker, with guest RAM reached through the physical view. It
//! exists so HSPT's benefit can be measured inside one binary on the same guest.
//!
//! The TLB has the layout compiled code reads (llvm/src/lower.rs, soft mode):
//! a flat array of [`TlbEntry`]s at `CpuState::soft_tlb`, a power of two of them
//! (`DEFAULT_ENTRIES` unless `--soft-tlb` says otherwise), indexed by
//! `(va >> 12) & CpuState::soft_mask`. An entry's tags are `CpuState::soft_ctx | va >> 12`
//! (see [`tag`]): the context (the view index + 1, which names the address space
//! and the permission context, in the high half) and the virtual page; 0 is never
//! a tag. `addend` is the host address of the physical page minus the virtual
//! page, so a hit is one host access at `va + addend`. Only RAM pages are cached;
//! with the MMU off the translation is the identity (cached too, under the
//! physical view's context). A miss in compiled code calls [`H_SOFT_FILL`].

use crate::cpu::CpuState;
use crate::ir::Helper;
use crate::mem::walk::{self, Access, WalkRegs};

/// Entries of the direct-mapped TLB by default (a power of two). QEMU starts at
/// 256 per MMU mode and resizes its TLB by use (up to 2^20 entries for a 32-bit
/// guest); a fixed 1024 entries (4 MiB of reach) is the default here, and
/// `--soft-tlb N` sets another size.
pub const DEFAULT_ENTRIES: usize = 1024;
/// Most entries `--soft-tlb` accepts (QEMU's largest TLB for a 32-bit guest).
pub const MAX_ENTRIES: usize = 1 << 20;

/// One TLB entry, as compiled code reads it (`#[repr(C)]`, 32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    /// `tag(ctx, va)` if the page may be read, else 0.
    pub tag_read: u64,
    /// `tag(ctx, va)` if the page may be written, else 0.
    pub tag_write: u64,
    /// Host address of the page's RAM minus the virtual page address (wrapping).
    pub addend: u64,
    pub _pad: u64,
}

/// The high half of a tag: the context. Kept in `CpuState::soft_ctx`.
#[inline]
pub fn ctx_bits(ctx: usize) -> u64 {
    (ctx as u64 + 1) << 32
}

/// The tag of `va`'s page in context `ctx` (never 0).
#[inline]
pub fn tag(ctx: usize, va: u32) -> u64 {
    ctx_bits(ctx) | (va >> 12) as u64
}


/// A software TLB: virtual page -> host address of the physical page, per context.
pub struct SoftTlb {
    entries: Box<[TlbEntry]>,
    /// entries.len() - 1.
    mask: usize,
    /// Host address of guest physical address 0 (the physical view).
    phys_base: u64,
    pub hits: u64,
    pub misses: u64,
}

impl SoftTlb {
    /// A TLB of `entries` entries (a power of two, at least 1) pointing into the
    /// physical view at `phys_base`.
    pub fn new(phys_base: u64, entries: usize) -> SoftTlb {
        let n = entries.clamp(1, MAX_ENTRIES).next_power_of_two();
        SoftTlb { entries: vec![TlbEntry::default(); n].into_boxed_slice(), mask: n - 1, phys_base, hits: 0, misses: 0 }
    }

    /// The index mask compiled code applies to `va >> 12`: `CpuState::soft_mask`.
    pub fn mask(&self) -> u64 {
        self.mask as u64
    }

    /// The entry index of `va`.
    #[inline]
    pub fn index(&self, va: u32) -> usize {
        (va >> 12) as usize & self.mask
    }

    /// Address of the entry array (it never moves): `CpuState::soft_tlb`.
    pub fn entries_addr(&self) -> u64 {
        self.entries.as_ptr() as u64
    }

    /// Looks `va` up for context `ctx`; returns the physical address on a hit.
    #[inline]
    pub fn lookup(&mut self, ctx: usize, va: u32, write: bool) -> Option<u32> {
        let e = &self.entries[self.index(va)];
        let want = if write { e.tag_write } else { e.tag_read };
        if want == tag(ctx, va) {
            self.hits += 1;
            let host = (va as u64).wrapping_add(e.addend);
            Some(host.wrapping_sub(self.phys_base) as u32)
        } else {
            self.misses += 1;
            None
        }
    }

    /// Records a translation (`pa` must be RAM) after a walk.
    pub fn insert(&mut self, ctx: usize, va: u32, pa: u32, writable: bool) {
        let t = tag(ctx, va);
        let addend = self.phys_base.wrapping_add((pa & !0xfff) as u64).wrapping_sub((va & !0xfff) as u64);
        let i = self.index(va);
        let e = &mut self.entries[i];
        // Keep the write permission a refill of the same translation learnt before.
        let keep_write = e.tag_write == t && e.addend == addend;
        *e = TlbEntry { tag_read: t, tag_write: if writable || keep_write { t } else { 0 }, addend, _pad: 0 };
    }

    /// Forget everything.
    pub fn flush(&mut self) {
        self.entries.fill(TlbEntry::default());
    }

    /// Guest TLB maintenance. By MVA: the one entry `va` can occupy is cleared,
    /// whatever its context (an entry holds one page of one context, so this
    /// covers every address space; global pages included). By ASID, or all: everything.
    pub fn maintenance(&mut self, op: crate::sys::TlbOp) {
        use crate::sys::TlbOp;
        match op {
            TlbOp::Mva { va, .. } | TlbOp::MvaAllAsids(va) => {
                let i = self.index(va);
                self.entries[i] = TlbEntry::default();
            }
            TlbOp::Asid(_) | TlbOp::All => self.flush(),
        }
    }
}

/// Fills the entry for a data access at `va` in the CPU's current context
/// (`cpu.soft_ctx`) for compiled code. False when the access cannot be made from
/// the TLB: it crosses a page, the page is not RAM (a device), or the walk
/// faults; the compiled block then leaves with EXIT_RETRY and the interpreter
/// makes the access (or raises the abort).
pub fn fill(
    tlb: &mut SoftTlb,
    cpu: &CpuState,
    read_pt: impl Fn(u32) -> Option<u32>,
    ram_contains: impl Fn(u32, u32) -> bool,
    va: u32,
    bytes: u32,
    write: bool,
) -> bool {
    tlb.misses += 1;
    if bytes == 0 || (va & 0xfff) + bytes > 0x1000 || cpu.soft_ctx < 1 << 32 {
        return false;
    }
    let ctx = ((cpu.soft_ctx >> 32) - 1) as usize;
    let (pa, writable) = if !cpu.cp15.sctlr_m() {
        (va, true)
    } else {
        let regs = WalkRegs::of(cpu);
        let acc = if write { Access::Write } else { Access::Read };
        match walk::walk(&regs, va, acc, cpu.current_mode() != crate::cpu::Mode::Usr, read_pt) {
            Ok(tr) => (tr.pa, tr.writable),
            Err(_) => return false,
        }
    };
    if !ram_contains(pa & !0xfff, 0x1000) {
        return false;
    }
    tlb.insert(ctx, va, pa, writable);
    true
}

extern "C" fn soft_fill_helper(cpu: &mut CpuState, va: u64, bytes: u64, write: u64) -> u64 {
    crate::mem::fault::with_active(|st| st.soft_fill(cpu, va as u32, bytes as u32, write != 0)).unwrap_or(false) as u64
}

/// The soft-TLB miss helper of compiled code: (va, bytes, write) -> 1 if the entry
/// for `va` now holds the translation, 0 if the access must be retried in the
/// interpreter. Reaches the TLB through the fault handler's per-thread state.
pub static H_SOFT_FILL: Helper = Helper { name: "soft_fill", f: soft_fill_helper, may_raise: false };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_after_insert_and_respects_write_permission_and_context() {
        let mut t = SoftTlb::new(0x7000_0000_0000, DEFAULT_ENTRIES);
        assert_eq!(t.lookup(1, 0x1234, false), None);
        t.insert(1, 0x1234, 0x4000_5234, false);
        assert_eq!(t.lookup(1, 0x1ff0, false), Some(0x4000_5ff0));
        assert_eq!(t.lookup(1, 0x1ff0, true), None, "read-only entry");
        assert_eq!(t.lookup(2, 0x1ff0, false), None, "other context");
        t.insert(1, 0x1000, 0x4000_5000, true);
        assert_eq!(t.lookup(1, 0x1004, true), Some(0x4000_5004));
        t.insert(1, 0x1000, 0x4000_5000, false);
        assert_eq!(t.lookup(1, 0x1004, true), Some(0x4000_5004), "a read refill keeps the write permission");
        t.flush();
        assert_eq!(t.lookup(1, 0x1004, false), None);
        assert_eq!((t.hits, t.misses), (3, 4));
    }

    /// The layout compiled code relies on: 32-byte entries, tags at 0 and 8, the
    /// addend at 16; tag = ctx_bits | vpage; host = va + addend.
    #[test]
    fn layout_seen_by_compiled_code() {
        assert_eq!(std::mem::size_of::<TlbEntry>(), 32);
        assert_eq!(std::mem::offset_of!(TlbEntry, tag_read), 0);
        assert_eq!(std::mem::offset_of!(TlbEntry, tag_write), 8);
        assert_eq!(std::mem::offset_of!(TlbEntry, addend), 16);
        let phys = 0x7f00_0000_0000u64;
        let mut t = SoftTlb::new(phys, 1000);
        assert_eq!(t.mask(), 1023, "rounded up to a power of two");
        let va = 0xc012_3456u32;
        t.insert(3, va, 0x4567_8000, true);
        let e = t.entries[(va as usize >> 12) & 1023];
        assert_eq!(e.tag_read, ctx_bits(3) | (va >> 12) as u64);
        assert_eq!(e.tag_write, e.tag_read);
        assert_eq!((va as u64).wrapping_add(e.addend), phys + 0x4567_8456);
        assert_ne!(tag(0, 0), 0, "no tag is 0 (the invalid value)");
        assert_eq!(t.index(va), (va as usize >> 12) & 1023);
        // TLBIMVA clears that page's entry only (any context); TLBIASID everything.
        t.insert(0, 0x1000, 0x4000_1000, true);
        t.maintenance(crate::sys::TlbOp::Mva { va: va & !0xfff, asid: 7 });
        assert_eq!(t.lookup(3, va, false), None);
        assert_eq!(t.lookup(0, 0x1000, false), Some(0x4000_1000));
        t.maintenance(crate::sys::TlbOp::Asid(1));
        assert_eq!(t.lookup(0, 0x1000, false), None);
    }

    #[test]
    fn fill_identity_with_mmu_off_and_refuses_devices_and_page_crossings() {
        let phys = 0x7f00_0000_0000u64;
        let mut t = SoftTlb::new(phys, 16);
        let mut cpu = CpuState::new();
        cpu.soft_ctx = ctx_bits(0);
        let ram = |pa: u32, n: u32| pa >= 0x4000_0000 && pa as u64 + n as u64 <= 0x4100_0000;
        assert!(fill(&mut t, &cpu, |_| None, ram, 0x4000_1004, 4, true));
        assert_eq!(t.lookup(0, 0x4000_1008, true), Some(0x4000_1008));
        assert!(!fill(&mut t, &cpu, |_| None, ram, 0x0900_0000, 4, false), "a device is not cached");
        assert!(!fill(&mut t, &cpu, |_| None, ram, 0x4000_1ffe, 4, false), "crosses a page");
        cpu.soft_ctx = 0;
        assert!(!fill(&mut t, &cpu, |_| None, ram, 0x4000_1004, 4, false), "no context: HSPT mode");
    }
}
