//! The compiled-code tier's contract with the runtime: the `Backend` trait that
//! the LLVM crate implements, and the ABI of the code it produces
//! (../DESIGN.md "CpuState and the translated-code ABI").
//!
//! A compiled block is `unsafe extern "C" fn(*mut CpuState) -> u32`, entered only
//! through `jit_entry::enter`. It returns an `ExitReason` as its `u32` value, or
//! `EXIT_RETRY`. Its contract:
//! - It reads its guest PC from `cpu.r[15]` at entry and forms every PC-relative
//!   value from it (position independent), like the interpreter.
//! - Guest state lives in `CpuState`; every IR write of guest state is stored
//!   there in program order. Before each guest memory access (and helper call)
//!   the block stores `cpu.pc_off` = the offset of the instruction making it from
//!   `ChainCtx::cur_pc0` (an immediate: the dispatcher forms the PC of an
//!   EXIT_RETRY from the two); before a helper call also `cpu.r[15]` = that
//!   instruction's address, which helpers may read.
//! - A guest access is one host load or store at `cpu.mem_base + zext(addr)`
//!   (under the software MMU, `Backend::soft_mmu`: at `addr + addend` of a hit in
//!   the soft TLB, mem/softmmu.rs; a miss calls its fill helper, and an access the
//!   TLB cannot serve returns `EXIT_RETRY`).
//!   If it misses, the HSPT fault handler fills the page and resumes; if it
//!   cannot (device memory or a guest abort), it makes the block return
//!   `EXIT_RETRY` (see `jit_entry`). Accesses the code shape cannot make directly
//!   (an alignment check that fails, an unprivileged access from a privileged
//!   mode) return `EXIT_RETRY` themselves. Then the dispatcher runs that one
//!   instruction in the interpreter, which performs the device access or raises
//!   the precise abort.
//! - Helpers (`ir::Helper`) are called with the same arguments as the
//!   interpreter passes. (For now the JIT embeds their absolute addresses; the
//!   AOT cache will need CpuState's helper table instead.)

use crate::cpu::Exception;
use crate::ir::Block;

/// The block stopped before the guest instruction at `cur_pc0 + cpu.pc_off`
/// (the dispatcher puts it in `cpu.r[15]`), which the interpreter must execute (it made a device access, or
/// faults). Every instruction before it has completed; `cpu.insns` and ITSTATE
/// are not yet updated (the dispatcher derives them from the block's `insns`).
pub const EXIT_RETRY: u32 = 0x100;

/// Code produced by a backend: position-independent x86-64 with every
/// relocation resolved, ready to be copied anywhere in executable memory.
#[derive(Clone, Debug)]
pub struct CompiledCode {
    pub code: Vec<u8>,
    /// Offset of the entry point (`fn(*mut CpuState) -> u32`) in `code`.
    pub entry: usize,
    /// Alignment the start of `code` needs (constant pools), a power of two.
    pub align: usize,
}

/// A compiler of IR blocks into machine code (the LLVM JIT; AOT uses the same).
pub trait Backend: Send + Sync {
    fn name(&self) -> &'static str;
    /// Compiles `block`, or says why it cannot (the block then stays interpreted).
    fn compile(&self, block: &Block) -> Result<CompiledCode, String>;
    /// Compiles several blocks at once (cheaper per block where a backend has a
    /// fixed cost per compilation); one result per block, in order.
    fn compile_batch(&self, blocks: &[Block]) -> Vec<Result<CompiledCode, String>> {
        blocks.iter().map(|b| self.compile(b)).collect()
    }
    /// What the code depends on besides the IR (pass pipeline, host CPU and
    /// features): a translation cache records it and is refused by a backend
    /// whose fingerprint differs. Empty: the code cannot be cached.
    fn fingerprint(&self) -> String {
        String::new()
    }
    /// The code reaches guest memory through the software TLB (`--mmu soft`,
    /// mem/softmmu.rs) instead of at `mem_base + addr`. The VM runs compiled code
    /// only when this matches its board's MMU mode.
    fn soft_mmu(&self) -> bool {
        false
    }
    /// CPU seconds spent compiling outside this process so far (`remote.rs`'s child).
    fn process_cpu_s(&self) -> f64 {
        0.0
    }
    /// The VM is done with the backend: a compilation in progress elsewhere may stop
    /// at once (its results are not wanted), instead of holding up the VM's exit.
    fn shutdown(&self) {}
}

/// The byte `CpuState::pending` holds for `p` (compiled code tests
/// `pending.is_some()` after helpers that may raise, and raises exceptions).
pub fn pending_byte(p: Option<Exception>) -> u8 {
    const _: () = assert!(std::mem::size_of::<Option<Exception>>() == 1);
    // SAFETY: Option<Exception> is one byte (checked above), so it is the same
    // size as u8, and every byte of it is initialised.
    unsafe { std::mem::transmute::<Option<Exception>, u8>(p) }
}

// ----- chaining (blocks jumping straight to the next compiled block) -----
//
// A compiled block is entered as `fn(*mut CpuState, *mut ChainCtx, *mut ExitSlot) -> u32`
// (the third argument: its own exit slots, `exit_slots` of them). At
// entry a block that may leave with EXIT_RETRY (one with guest accesses or helper
// calls) stores its own entry address and its PC in `cur_code`/`cur_pc0` (so
// that an EXIT_RETRY can be traced to the block that made it). When it leaves
// with `ExitReason::Branch` and `budget > 0`, it looks the next (PC, T, ITSTATE,
// memory view) up — first in the exit's own slot for a branch to a fixed PC,
// then in `table` — and, on a hit, decrements `budget` and tail-calls the entry
// found, instead of returning. The dispatcher fills the table with
// every compiled block it enters and invalidates it (`key_gen`) whenever the
// guest's code or mappings may have changed (instruction-cache and TLB
// maintenance, translation-regime changes, recycled views, a cleared block
// cache). Interrupts are checked when the budget runs out.

/// log2 of the number of `ChainEntry`s.
pub const CHAIN_BITS: u32 = 16;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ChainEntry {
    /// `chain_key` of the block.
    pub key: u64,
    /// `CpuState::mem_base` it was entered with (the memory view: address space and permissions).
    pub base: u64,
    /// Entry address.
    pub code: u64,
    /// The block's exit slots (its third argument).
    pub slots: u64,
}

/// A per-exit slot: where a block's static exit (a branch to a fixed PC) went
/// last time. The same layout as a `ChainEntry`: the block compares `key` and
/// `base` and tail-calls `code(cpu, ctx, slots)`; on a miss it looks in the
/// chain table and, on a hit there, fills the slot. Slots of older generations
/// never match (the generation is part of the key), so invalidation is the
/// same as for the table.
///
/// Each block's slots follow a header entry (at `slots - 1`). LLVM's code never
/// reads it; for quick code (`quick.rs`) it is the block's per-block state, next to
/// the exit slots its exits read anyway (so in the same cache lines):
/// - `code`: the inner entry (0 once LLVM code replaces the block, or for LLVM code):
///   quick code chaining to quick code jumps there and keeps its frame;
/// - `key`, `base`: the LLVM code that replaces the quick code and its exit slots
///   (0: none yet); the quick code's entry forwards to them;
/// - `slots`: the runs left before the block is hot for the LLVM tier (low 32 bits,
///   signed, counting below zero after) and the block's id (high 32 bits).
pub type ExitSlot = ChainEntry;

/// Where, from a block's exit slots, its header keeps (see `ExitSlot`) the inner entry, ...
pub const H_INNER: i32 = -(std::mem::size_of::<ChainEntry>() as i32) + std::mem::offset_of!(ChainEntry, code) as i32;
/// ... the newer code that replaces the block and its exit slots (0: none yet), ...
pub const H_FWD_CODE: i32 = -(std::mem::size_of::<ChainEntry>() as i32) + std::mem::offset_of!(ChainEntry, key) as i32;
pub const H_FWD_SLOTS: i32 = -(std::mem::size_of::<ChainEntry>() as i32) + std::mem::offset_of!(ChainEntry, base) as i32;
/// ... the runs left (i32) and the block's id (u32). Quick code and `hspt aot`'s code
/// (llvm/src/lower.rs `counting_entry`) use them.
pub const H_COUNT: i32 = -(std::mem::size_of::<ChainEntry>() as i32) + std::mem::offset_of!(ChainEntry, slots) as i32;
pub const H_ID: i32 = H_COUNT + 4;

/// Exit slots block `b` uses: one per `Op::ExitTo` with `ExitReason::Branch`,
/// numbered in op order (the backend uses the same numbering).
pub fn exit_slots(b: &Block) -> usize {
    b.ops.iter().filter(|op| matches!(op, crate::ir::Op::ExitTo { reason: crate::cpu::ExitReason::Branch, .. })).count()
}

#[repr(C)]
#[derive(Debug)]
pub struct ChainCtx {
    /// Chained jumps left before control returns to the dispatcher.
    pub budget: i64,
    /// Chained jumps made (statistics; the dispatcher adds up the budget spent).
    pub hits: u64,
    /// The current generation, shifted into place (`chain_key`).
    pub key_gen: u64,
    pub table: *mut ChainEntry,
    /// Entry address and guest PC of the block running (or that returned last).
    pub cur_code: u64,
    pub cur_pc0: u32,
    pub _pad: u32,
    /// Address of `jit_entry::chain_lookup`, which compiled code calls when an
    /// exit's slot misses (or for an indirect branch): it returns the next
    /// block's entry and slots, or a null entry (then the block returns to the
    /// dispatcher), and spends the budget on a hit.
    pub lookup: u64,
    /// The addresses of the code quick blocks share (`quick::stubs`); LLVM's code uses
    /// `quick::S_LLVM_MISS` too. (Near the start: quick code reaches them with an 8-bit
    /// displacement.)
    pub stubs: [u64; super::quick::NSTUB],
    /// Quick code that got hot (`quick.rs`): how many ids `hot` lists; the
    /// dispatcher takes them to the LLVM tier.
    pub hot_n: u32,
    pub hot: [u32; super::quick::HOT_MAX as usize],
}

/// What `chain_lookup` returns (in RAX:RDX).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ChainTarget {
    pub code: u64,
    pub slots: u64,
}

/// The key of a block in the chain table: its PC, T and ITSTATE, and the generation.
#[inline]
pub fn chain_key(pc: u32, t: u8, it: u8, key_gen: u64) -> u64 {
    pc as u64 | (t as u64 & 1) << 32 | (it as u64) << 33 | key_gen
}

/// Shift of the generation inside a key.
pub const CHAIN_GEN_SHIFT: u32 = 41;

/// The table slot of a PC.
#[inline]
pub fn chain_index(pc: u32) -> usize {
    ((pc >> 1) ^ (pc >> (CHAIN_BITS + 1))) as usize & ((1 << CHAIN_BITS) - 1)
}

/// Test support: a backend and a block for the executors' tests (jit.rs, remote.rs).
#[cfg(test)]
pub(crate) mod testing {
    use super::{Backend, CompiledCode};
    use crate::ir::Block;

    /// A backend whose "code" is the block's PC as bytes (and fails odd PCs).
    pub(crate) struct Echo;
    impl Backend for Echo {
        fn name(&self) -> &'static str {
            "echo"
        }
        fn compile(&self, b: &Block) -> Result<CompiledCode, String> {
            if b.pc & 1 != 0 {
                return Err(format!("odd {:#x}", b.pc));
            }
            Ok(CompiledCode { code: b.pc.to_le_bytes().to_vec(), entry: 0, align: 16 })
        }
    }

    /// A one-instruction ARM block at `pc` that branches to the next instruction.
    pub(crate) fn block(pc: u32) -> Block {
        let exit = crate::ir::Op::ExitTo { off: 4, kind: crate::ir::PcWrite::Branch, reason: crate::cpu::ExitReason::Branch };
        Block { pc, thumb: false, it: 0, ops: vec![exit], insns: vec![crate::ir::InsnInfo { off: 0, size: 4, it: 0 }], ntmp: 0, len: 4 }
    }
}
