//! The block map: translated blocks keyed by (physical PC, Thumb, ITSTATE), with
//! a small direct-mapped front table so the common lookup is one compare.
//!
//! Instruction-cache maintenance does not drop translations: it starts a new
//! *epoch*, and a block from an older epoch is checked against the guest bytes it
//! was translated from before it runs again (kept if unchanged). Linux issues
//! ICIALLU every time it maps an executable page, so this matters. When the
//! maintenance names the pages whose code may have changed (`code_changed`: the
//! pages the data-cache maintenance before it cleaned), only blocks on those pages
//! are compared; the others are current again at the cost of a page lookup.

use std::collections::HashMap;

use crate::ir::Block;

/// Entries of the direct-mapped front of the map (every dispatch looks there first).
const FRONT: usize = 16384;

/// Index of a block in the cache.
pub type BlockId = u32;

struct Entry {
    block: Block,
    /// The guest instruction bytes the block was translated from.
    bytes: Vec<u8>,
}

pub struct BlockCache {
    entries: Vec<Entry>,
    /// Per block: the epoch it was translated or last found current in (apart from
    /// `entries`, whose large elements cost every dispatch a cache miss to check it).
    epochs: Vec<u64>,
    map: KeyMap,
    front: Box<[(u64, BlockId)]>,
    epoch: u64,
    /// The epoch of the last maintenance that may have changed any page.
    all_changed: u64,
    /// Per physical page (pa >> 12): the epoch of the last maintenance that named it.
    page_changed: HashMap<u32, u64>,
    /// Bumped by `clear` (block ids start again; the JIT tier drops its per-id state).
    generation: u64,
    pub revalidated: u64,
    pub stale: u64,
}

impl Default for BlockCache {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn key(pa: u32, thumb: bool, it: u8) -> u64 {
    pa as u64 | (thumb as u64) << 32 | (it as u64) << 40 | 1 << 63
}

/// A multiplicative hash of the whole key: the page bits count as much as the offset
/// (code hot in many pages at the same offsets used to evict itself from the front).
#[inline]
fn mix(k: u64) -> u64 {
    let h = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 32)
}

#[inline]
fn slot(k: u64) -> usize {
    mix(k) as usize & (FRONT - 1)
}

/// The map's hasher: `mix` (keys are block keys, not attacker-chosen strings; SipHash
/// cost more than the rest of a dispatch's lookup).
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0 ^ b as u64);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = mix(self.0 ^ k);
    }
}

type KeyMap = HashMap<u64, BlockId, std::hash::BuildHasherDefault<KeyHasher>>;

impl BlockCache {
    pub fn new() -> Self {
        BlockCache {
            entries: Vec::new(),
            epochs: Vec::new(),
            map: KeyMap::default(),
            front: vec![(0, 0); FRONT].into_boxed_slice(),
            epoch: 0,
            all_changed: 0,
            page_changed: HashMap::new(),
            generation: 0,
            revalidated: 0,
            stale: 0,
        }
    }

    #[inline]
    pub fn get(&mut self, pa: u32, thumb: bool, it: u8) -> Option<BlockId> {
        let k = key(pa, thumb, it);
        let s = slot(k);
        let (fk, id) = self.front[s];
        if fk == k {
            return Some(id);
        }
        let id = *self.map.get(&k)?;
        self.front[s] = (k, id);
        Some(id)
    }

    /// Whether the block was translated (or checked) since the last instruction-cache maintenance, or
    /// none since then named its pages (then it is marked current).
    #[inline]
    pub fn is_current(&mut self, id: BlockId) -> bool {
        let epoch = self.epochs[id as usize];
        if epoch == self.epoch {
            return true;
        }
        let e = &self.entries[id as usize];
        if epoch < self.all_changed || e.bytes.is_empty() {
            return false;
        }
        let (first, last) = (e.block.pc >> 12, e.block.pc.wrapping_add(e.bytes.len() as u32 - 1) >> 12);
        let changed = |p: u32| self.page_changed.get(&p).is_some_and(|&c| c > epoch);
        if changed(first) || changed(last) {
            return false;
        }
        self.epochs[id as usize] = self.epoch;
        true
    }

    /// Checks an old-epoch block against the bytes now in memory: keeps it if they
    /// are the same, forgets it otherwise (the caller then translates again).
    pub fn revalidate(&mut self, id: BlockId, current: &[u8]) -> bool {
        let e = &self.entries[id as usize];
        if e.bytes == current {
            self.epochs[id as usize] = self.epoch;
            self.revalidated += 1;
            true
        } else {
            self.discard(id);
            false
        }
    }

    /// Forgets block `id`: lookups no longer find it (its PC gets a new translation and id).
    pub fn discard(&mut self, id: BlockId) {
        let b = &self.entries[id as usize].block;
        let k = key(b.pc, b.thumb, b.it);
        if self.map.get(&k) == Some(&id) {
            self.map.remove(&k);
            self.front[slot(k)] = (0, 0);
        }
        self.stale += 1;
    }

    /// The block at (physical PC, Thumb, ITSTATE), if one is cached (without `get`'s front-table update).
    pub fn peek(&self, pa: u32, thumb: bool, it: u8) -> Option<BlockId> {
        self.map.get(&key(pa, thumb, it)).copied()
    }

    /// The guest bytes block `id` was translated from (empty if they were not RAM).
    pub fn bytes(&self, id: BlockId) -> &[u8] {
        &self.entries[id as usize].bytes
    }

    pub fn bytes_len(&self, id: BlockId) -> usize {
        self.entries[id as usize].bytes.len()
    }

    /// Adds a block translated from `bytes` (its `pc` is the physical address).
    pub fn insert(&mut self, b: Block, bytes: Vec<u8>) -> BlockId {
        let k = key(b.pc, b.thumb, b.it);
        let id = self.entries.len() as BlockId;
        self.entries.push(Entry { block: b, bytes });
        self.epochs.push(self.epoch);
        self.map.insert(k, id);
        self.front[slot(k)] = (k, id);
        id
    }

    /// Adds a block that lookups never find (a gdb single step's one-instruction
    /// block): it gets an id to run under, and the full block at its PC stays cached.
    pub fn insert_uncached(&mut self, b: Block, bytes: Vec<u8>) -> BlockId {
        let id = self.entries.len() as BlockId;
        self.entries.push(Entry { block: b, bytes });
        self.epochs.push(self.epoch);
        id
    }

    #[inline]
    pub fn block(&self, id: BlockId) -> &Block {
        &self.entries[id as usize].block
    }

    /// Instruction-cache maintenance after which any code may have changed: every block must be checked
    /// before it runs again.
    pub fn new_epoch(&mut self) {
        self.epoch += 1;
        self.all_changed = self.epoch;
    }

    /// Instruction-cache maintenance after which only the code on `pages` (physical page numbers) may have
    /// changed: the blocks on them must be checked before they run again. No pages: nothing to do.
    pub fn code_changed(&mut self, pages: &[u32]) {
        if pages.is_empty() {
            return;
        }
        self.epoch += 1;
        for &p in pages {
            self.page_changed.insert(p, self.epoch);
        }
    }

    /// The physical pages block `id`'s bytes lie on (first, last).
    pub fn pages(&self, id: BlockId) -> (u32, u32) {
        let e = &self.entries[id as usize];
        (e.block.pc >> 12, e.block.pc.wrapping_add((e.bytes.len() as u32).max(1) - 1) >> 12)
    }

    /// Drops every translation (reset, alignment mode change).
    pub fn clear(&mut self) {
        self.generation += 1;
        self.entries.clear();
        self.epochs.clear();
        self.map.clear();
        self.front.fill((0, 0));
    }

    /// Changes whenever block ids are reused (`clear`).
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn distinct(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(c: &mut BlockCache, pc: u32, len: u32) -> BlockId {
        c.insert(Block { pc, len, ..Block::default() }, vec![0xaa; len as usize])
    }

    #[test]
    fn maintenance_naming_pages_leaves_blocks_elsewhere_current() {
        let mut c = BlockCache::new();
        let a = add(&mut c, 0x4000_0ff8, 16); // on pages 0x40000 and 0x40001
        let b = add(&mut c, 0x4000_5000, 8);
        let d = add(&mut c, 0x4000_7000, 8);
        c.code_changed(&[]);
        assert!(c.is_current(a) && c.is_current(b) && c.is_current(d), "no page named: nothing to check");
        c.code_changed(&[0x40001, 0x40007]);
        assert!(!c.is_current(a), "a block's last page named");
        assert!(c.is_current(b), "a block elsewhere");
        assert!(!c.is_current(d));
        assert!(c.revalidate(d, &[0xaa; 8]), "same bytes: kept");
        assert!(c.is_current(d));
        c.code_changed(&[0x40005]);
        assert!(!c.is_current(b));
        assert!(c.is_current(d), "checked after the earlier change, not named by this one");
        c.new_epoch();
        assert!(!c.is_current(d), "anything may have changed");
        assert!(!c.revalidate(d, &[0xbb; 8]), "changed bytes: forgotten");
        assert_eq!(c.get(0x4000_7000, false, 0), None);
    }
}
