//! The block map: translated blocks keyed by (PC, Thumb, ITSTATE), with a small
//! direct-mapped front table so the common lookup is one compare.
//! (With the MMU the key becomes the physical address; see ../DESIGN.md.)

use std::collections::HashMap;

use crate::ir::Block;

const FRONT: usize = 4096;

/// Index of a block in the cache.
pub type BlockId = u32;

pub struct BlockCache {
    blocks: Vec<Block>,
    map: HashMap<u64, BlockId>,
    front: Box<[(u64, BlockId)]>,
}

impl Default for BlockCache {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn key(pc: u32, thumb: bool, it: u8) -> u64 {
    pc as u64 | (thumb as u64) << 32 | (it as u64) << 40 | 1 << 63
}

#[inline]
fn slot(k: u64) -> usize {
    ((k as u32 >> 1) ^ (k >> 32) as u32) as usize & (FRONT - 1)
}

impl BlockCache {
    pub fn new() -> Self {
        BlockCache { blocks: Vec::new(), map: HashMap::new(), front: vec![(0, 0); FRONT].into_boxed_slice() }
    }

    #[inline]
    pub fn get(&mut self, pc: u32, thumb: bool, it: u8) -> Option<BlockId> {
        let k = key(pc, thumb, it);
        let s = slot(k);
        let (fk, id) = self.front[s];
        if fk == k {
            return Some(id);
        }
        let id = *self.map.get(&k)?;
        self.front[s] = (k, id);
        Some(id)
    }

    pub fn insert(&mut self, b: Block) -> BlockId {
        let k = key(b.pc, b.thumb, b.it);
        let id = self.blocks.len() as BlockId;
        self.blocks.push(b);
        self.map.insert(k, id);
        self.front[slot(k)] = (k, id);
        id
    }

    #[inline]
    pub fn block(&self, id: BlockId) -> &Block {
        &self.blocks[id as usize]
    }

    /// Drops every translation (instruction-cache maintenance, reset).
    pub fn clear(&mut self) {
        self.blocks.clear();
        self.map.clear();
        self.front.fill((0, 0));
    }

    pub fn distinct(&self) -> usize {
        self.map.len()
    }
}
