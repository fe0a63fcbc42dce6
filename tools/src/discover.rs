//! Block discovery by recursive descent: translate the block at each seed with
//! the runtime's translator (on a flat memory holding the image at its virtual
//! addresses), follow its direct branch targets, fall-through successors and
//! call return sites, and key each block exactly as the VM will
//! (`tcache::block_key`: ISA state, page offset, bytes).

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use hspt_runtime::arm;
use hspt_runtime::cpu::CpuState;
use hspt_runtime::exec::tcache::{block_key, BlockKey, Isa, ProfileRecord};
use hspt_runtime::ir::{Block, MemSize, Op, PcWrite};
use hspt_runtime::mem::{fsr, GuestMemory, MemFault};

use crate::inputs::Image;

/// A discovered block.
#[derive(Clone, Debug)]
pub struct Found {
    pub key: BlockKey,
    pub isa: Isa,
    pub block: Block,
}

/// Instruction memory: the image's segments (fetch only; the translator never loads data).
struct Mem<'a> {
    segs: &'a [(u32, Vec<u8>)],
    /// Fetches at or past this address fail (profiles: the block's own end).
    limit: u32,
}

impl Mem<'_> {
    fn read(&self, addr: u32, n: u32) -> Option<&[u8]> {
        if addr.checked_add(n).is_none_or(|e| e > self.limit) {
            return None;
        }
        self.segs.iter().find_map(|(base, b)| {
            let off = addr.checked_sub(*base)? as usize;
            b.get(off..off + n as usize)
        })
    }
}

impl GuestMemory for Mem<'_> {
    fn load(&mut self, _cpu: &mut CpuState, addr: u32, _size: MemSize, _user: bool) -> Result<u64, MemFault> {
        Err(MemFault::new(fsr::SYNC_EXTERNAL, addr))
    }
    fn store(&mut self, _cpu: &mut CpuState, addr: u32, _size: MemSize, _val: u64, _user: bool) -> Result<(), MemFault> {
        Err(MemFault::new(fsr::SYNC_EXTERNAL, addr))
    }
    fn fetch(&mut self, _cpu: &mut CpuState, addr: u32, size: u32) -> Result<u32, MemFault> {
        let b = self.read(addr, size).ok_or(MemFault::new(fsr::TRANSLATION_PAGE, addr))?;
        Ok(if size == 2 { u16::from_le_bytes([b[0], b[1]]) as u32 } else { u32::from_le_bytes([b[0], b[1], b[2], b[3]]) })
    }
}

fn cpu_for(strict_align: bool) -> CpuState {
    let mut cpu = CpuState::new();
    if strict_align {
        cpu.cp15.sctlr |= 2;
    } else {
        cpu.cp15.sctlr &= !2;
    }
    cpu
}

/// Translates one block; None if the first instruction cannot be fetched (or the translator refuses).
fn translate(mem: &mut Mem<'_>, cpu: &mut CpuState, pc: u32, thumb: bool, it: u8) -> Option<Block> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| arm::translate_block(mem, cpu, pc, thumb, it).ok())).ok().flatten()
}

/// Where control can go after `b` (address, Thumb, ITSTATE).
fn successors(b: &Block, out: &mut Vec<(u32, bool, u8)>) {
    let mut it = 0u8;
    let mut call = false;
    for op in &b.ops {
        match *op {
            Op::SetIt { v } => it = v,
            Op::SetReg { r: 14, .. } => call = true,
            Op::ExitTo { off, kind, .. } => {
                let t = b.pc.wrapping_add(off);
                let fall = off == b.len;
                let (t, thumb) = match kind {
                    PcWrite::Branch => (t, b.thumb),
                    PcWrite::Interwork => (t & !1, t & 1 != 0),
                    PcWrite::SetThumb(x) => (t, x),
                };
                let it_here = if fall && thumb == b.thumb { it } else { 0 };
                out.push((t, thumb, it_here));
            }
            _ => {}
        }
    }
    let raises = matches!(b.ops.last(), Some(Op::Raise { .. }));
    if call || raises {
        // The return site of a call, or of a supervisor call / exception.
        out.push((b.pc.wrapping_add(b.len), b.thumb, 0));
    }
}

/// Discovers the blocks of one image.
pub fn discover(img: &Image) -> Vec<Found> {
    let mut mem = Mem { segs: &img.segs, limit: u32::MAX };
    let mut cpu = cpu_for(false);
    let mut seen: HashSet<(u32, bool, u8)> = HashSet::new();
    let mut work: Vec<(u32, bool, u8)> = img.seeds.iter().map(|&(a, t)| (a, t, 0)).collect();
    let mut out = Vec::new();
    let mut succ = Vec::new();
    while let Some((pc, thumb, it)) = work.pop() {
        if !seen.insert((pc, thumb, it)) {
            continue;
        }
        if !img.in_code(pc) || (pc & if thumb { 1 } else { 3 }) != 0 {
            continue;
        }
        match img.map_at(pc) {
            Some(b'd') => continue,
            Some(b'a') if thumb => continue,
            Some(b't') if !thumb => continue,
            _ => {}
        }
        let Some(block) = translate(&mut mem, &mut cpu, pc, thumb, it) else { continue };
        let Some(bytes) = mem.read(pc, block.len) else { continue };
        let isa = Isa::new(pc, thumb, it, false);
        let key = block_key(isa, bytes);
        succ.clear();
        successors(&block, &mut succ);
        work.extend(succ.iter().copied().filter(|s| !seen.contains(s)));
        out.push(Found { key, isa, block });
    }
    out
}

/// Discovers every image's blocks (in parallel) and merges them by key.
pub fn discover_all(images: &[Image]) -> HashMap<BlockKey, Found> {
    let per: Vec<Vec<Found>> = images.par_iter().map(discover).collect();
    let mut m = HashMap::new();
    for v in per {
        for f in v {
            m.entry(f.key).or_insert(f);
        }
    }
    m
}

/// Adds the blocks of a run's profile: each translated from its recorded bytes
/// alone (fetches stop at its end, as the block did).
pub fn add_profile(recs: &[ProfileRecord], m: &mut HashMap<BlockKey, Found>) -> (u64, u64) {
    let (mut added, mut bad) = (0, 0);
    for r in recs {
        let key = r.key();
        if m.contains_key(&key) {
            continue;
        }
        let segs = [(r.pc, r.bytes.clone())];
        let mut mem = Mem { segs: &segs, limit: r.pc.wrapping_add(r.bytes.len() as u32) };
        let mut cpu = cpu_for(r.isa.strict_align);
        match translate(&mut mem, &mut cpu, r.pc, r.isa.thumb, r.isa.it) {
            Some(block) if block.len as usize == r.bytes.len() => {
                m.insert(key, Found { key, isa: r.isa, block });
                added += 1;
            }
            _ => bad += 1,
        }
    }
    (added, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small ARM program: a call, a conditional branch, a Thumb function reached by BLX.
    fn image() -> Image {
        let words: [u32; 8] = [
            0xe3a00005, // 0x8000 mov r0, #5
            0xeb000002, // 0x8004 bl 0x8014
            0xe3500000, // 0x8008 cmp r0, #0
            0x1afffffc, // 0x800c bne 0x8004
            0xef000000, // 0x8010 svc 0
            0xe2400001, // 0x8014 sub r0, r0, #1
            0xe12fff1e, // 0x8018 bx lr
            0x00000000,
        ];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        Image { name: "t".into(), code: vec![(0x8000, 0x8000 + bytes.len() as u32)], segs: vec![(0x8000, bytes)], seeds: vec![(0x8000, false)], maps: vec![] }
    }

    #[test]
    fn recursive_descent_finds_calls_returns_and_branches() {
        let found = discover(&image());
        let mut pcs: Vec<u32> = found.iter().map(|f| f.block.pc).collect();
        pcs.sort();
        pcs.dedup();
        // entry, the callee, the return site (cmp; bne), the svc after the loop.
        for pc in [0x8000, 0x8014, 0x8008, 0x8010] {
            assert!(pcs.contains(&pc), "block at {pc:#x} not found in {pcs:x?}");
        }
    }

    #[test]
    fn keys_match_the_vm_and_profiles_reproduce_blocks() {
        let img = image();
        let found = discover(&img);
        let entry = found.iter().find(|f| f.block.pc == 0x8000).unwrap();
        let bytes = &img.segs[0].1[..entry.block.len as usize];
        assert_eq!(entry.key, block_key(Isa::new(0x8000, false, 0, false), bytes));
        // The same bytes recorded at another address with the same page offset give the same key.
        let rec = ProfileRecord { pc: 0x4000_0000, isa: Isa::new(0x4000_0000, false, 0, false), bytes: bytes.to_vec() };
        let mut m = HashMap::new();
        assert_eq!(add_profile(&[rec], &mut m), (1, 0));
        assert!(m.contains_key(&entry.key));
    }
}
