//! The block map: translated blocks keyed by (physical PC, Thumb, ITSTATE), with
//! a small direct-mapped front table so the common lookup is one compare.
//!
//! Instruction-cache maintenance does not drop translations: it starts a new
//! *epoch*, and a block from an older epoch is checked against the guest bytes it
//! was translated from before it runs again (kept if unchanged). Linux issues
//! ICIALLU on every context switch, so this matters.

use std::collections::HashMap;

use crate::ir::Block;

const FRONT: usize = 4096;

/// Index of a block in the cache.
pub type BlockId = u32;

struct Entry {
    block: Block,
    /// The guest instruction bytes the block was translated from.
    bytes: Vec<u8>,
    epoch: u32,
}

pub struct BlockCache {
    entries: Vec<Entry>,
    map: HashMap<u64, BlockId>,
    front: Box<[(u64, BlockId)]>,
    epoch: u32,
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

#[inline]
fn slot(k: u64) -> usize {
    ((k as u32 >> 1) ^ (k >> 32) as u32) as usize & (FRONT - 1)
}

impl BlockCache {
    pub fn new() -> Self {
        BlockCache {
            entries: Vec::new(),
            map: HashMap::new(),
            front: vec![(0, 0); FRONT].into_boxed_slice(),
            epoch: 0,
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

    /// Whether the block was translated (or checked) since the last instruction-cache maintenance.
    #[inline]
    pub fn is_current(&self, id: BlockId) -> bool {
        self.entries[id as usize].epoch == self.epoch
    }

    /// Checks an old-epoch block against the bytes now in memory: keeps it if they
    /// are the same, forgets it otherwise (the caller then translates again).
    pub fn revalidate(&mut self, id: BlockId, current: &[u8]) -> bool {
        let e = &mut self.entries[id as usize];
        if e.bytes == current {
            e.epoch = self.epoch;
            self.revalidated += 1;
            true
        } else {
            let k = key(e.block.pc, e.block.thumb, e.block.it);
            self.map.remove(&k);
            self.front[slot(k)] = (0, 0);
            self.stale += 1;
            false
        }
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
        self.entries.push(Entry { block: b, bytes, epoch: self.epoch });
        self.map.insert(k, id);
        self.front[slot(k)] = (k, id);
        id
    }

    /// Adds a block that lookups never find (a gdb single step's one-instruction
    /// block): it gets an id to run under, and the full block at its PC stays cached.
    pub fn insert_uncached(&mut self, b: Block, bytes: Vec<u8>) -> BlockId {
        let id = self.entries.len() as BlockId;
        self.entries.push(Entry { block: b, bytes, epoch: self.epoch });
        id
    }

    #[inline]
    pub fn block(&self, id: BlockId) -> &Block {
        &self.entries[id as usize].block
    }

    /// Instruction-cache maintenance: every block must be checked before it runs again.
    pub fn new_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Drops every translation (reset, alignment mode change).
    pub fn clear(&mut self) {
        self.generation += 1;
        self.entries.clear();
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
