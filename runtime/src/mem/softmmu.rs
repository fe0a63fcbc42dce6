//! The software-MMU ablation (`--mmu soft`): a QEMU-style software TLB in front of
//! the same table walker, with guest RAM reached through the physical view. It
//! exists so HSPT's benefit can be measured inside one binary on the same guest.

/// Entries of the direct-mapped TLB (QEMU uses 256 per MMU mode as a start).
pub const ENTRIES: usize = 256;

#[derive(Clone, Copy, Default)]
struct Entry {
    /// Context (view index + 1; 0 = invalid) and virtual page for reads / writes.
    ctx: u32,
    vpage_read: u32,
    vpage_write: u32,
    ppage: u32,
}

/// A software TLB: virtual page -> physical page per context.
pub struct SoftTlb {
    entries: Box<[Entry; ENTRIES]>,
    pub hits: u64,
    pub misses: u64,
}

impl Default for SoftTlb {
    fn default() -> Self {
        SoftTlb { entries: Box::new([Entry::default(); ENTRIES]), hits: 0, misses: 0 }
    }
}

const INVALID: u32 = u32::MAX;

impl SoftTlb {
    /// Looks `va` up for context `ctx`; returns the physical address on a hit.
    #[inline]
    pub fn lookup(&mut self, ctx: usize, va: u32, write: bool) -> Option<u32> {
        let e = &self.entries[(va >> 12) as usize % ENTRIES];
        let want = if write { e.vpage_write } else { e.vpage_read };
        if e.ctx == ctx as u32 + 1 && want == va >> 12 {
            self.hits += 1;
            Some(e.ppage << 12 | (va & 0xfff))
        } else {
            self.misses += 1;
            None
        }
    }

    /// Records a translation after a walk.
    pub fn insert(&mut self, ctx: usize, va: u32, pa: u32, writable: bool) {
        let e = &mut self.entries[(va >> 12) as usize % ENTRIES];
        let vp = va >> 12;
        // Keep the other permission if the same page is refilled.
        let same = e.ctx == ctx as u32 + 1 && (e.vpage_read == vp || e.vpage_write == vp) && e.ppage == pa >> 12;
        *e = Entry {
            ctx: ctx as u32 + 1,
            vpage_read: vp,
            vpage_write: if writable || (same && e.vpage_write == vp) { vp } else { INVALID },
            ppage: pa >> 12,
        };
    }

    /// TLB maintenance: forget everything.
    pub fn flush(&mut self) {
        self.entries.fill(Entry::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_after_insert_and_respects_write_permission_and_context() {
        let mut t = SoftTlb::default();
        assert_eq!(t.lookup(1, 0x1234, false), None);
        t.insert(1, 0x1234, 0x4000_5234, false);
        assert_eq!(t.lookup(1, 0x1ff0, false), Some(0x4000_5ff0));
        assert_eq!(t.lookup(1, 0x1ff0, true), None, "read-only entry");
        assert_eq!(t.lookup(2, 0x1ff0, false), None, "other context");
        t.insert(1, 0x1000, 0x4000_5000, true);
        assert_eq!(t.lookup(1, 0x1004, true), Some(0x4000_5004));
        t.flush();
        assert_eq!(t.lookup(1, 0x1004, false), None);
        assert_eq!((t.hits, t.misses), (2, 4));
    }
}
