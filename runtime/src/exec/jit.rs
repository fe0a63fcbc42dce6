//! The tier policy: blocks run in the interpreter first; a block that has run
//! `threshold` times is compiled by the `Backend` (on a background thread, while
//! the guest keeps running in the interpreter; with threshold 0 at once, on the
//! VM's thread, so that every block runs compiled from its first execution).
//! Compiled code is installed in the VM's `CodeArena` and run through
//! `jit_entry::enter`; an `EXIT_RETRY` is finished by running that one
//! instruction in the interpreter.

use std::sync::{mpsc, Arc};
use std::time::Instant;

use super::backend::{chain_index, chain_key, exit_slots, Backend, ChainCtx, ChainEntry, CompiledCode, ExitSlot, CHAIN_BITS, CHAIN_GEN_SHIFT, EXIT_RETRY};
use super::cache::{BlockCache, BlockId};
use super::jit_entry::{self, CodeArena};
use super::quick;
use crate::arm;
use crate::board::Board;
use crate::cpu::{CpuState, Exception, ExitReason};
use crate::ir::interp::{run_block, Temps};
use crate::ir::Block;

/// Address space reserved for compiled code per VM.
const ARENA_BYTES: usize = 1 << 30;
/// Stack of the compile thread: LLVM recurses deeply on large functions (the
/// default 2 MiB of a spawned thread is not enough and overflows silently).
const WORKER_STACK: usize = 64 << 20;
/// Self-modifying code (see `Jit::eager`): after this many changes of the code
/// at one address, threshold 0 waits for this many runs of each new version.
const VOLATILE_AFTER: u32 = 8;
const VOLATILE_THRESHOLD: u32 = 16;
/// `Slot::chunk` of code that lives outside the arena (a mapped translation cache).
const NOT_IN_ARENA: usize = usize::MAX;
/// Most blocks compiled together in one backend call (background compilation).
const BATCH: usize = 32;
/// Regions (`Jit::region_for`): most blocks in one, most guest instructions in one, and the runs a
/// block needs to join one (a fraction of the threshold: rarely taken paths stay outside).
const REGION_MEMBERS: usize = 8;
const REGION_INSNS: usize = 160;
const REGION_WARM_DIV: i64 = 4;
/// Beyond those limits a region takes, up to these, the blocks of a loop through its first block
/// (that lead back to it): a loop body of more than 8 blocks then runs inside one function instead
/// of leaving it every round.
const REGION_LOOP_MEMBERS: usize = 16;
const REGION_LOOP_INSNS: usize = 320;
/// A block released from a region's wait (`Jit::release_members`) gets hot again after this
/// fraction of the threshold of its own runs: the region's code runs it inside, so only entries
/// from elsewhere count.
const REGION_LEFT_DIV: u32 = 8;
/// Interpreted runs of blocks whose quick code is staged before the staging window is sealed.
const STAGE_WAITS: u32 = 256;
/// Chained block executions between two visits of the dispatcher (interrupts, timer, console):
/// at about ten nanoseconds a block, under 100 microseconds, far below a timer tick; the
/// dispatcher polls the timer after every budget's worth (`Vm::run_loop`). (256 sent a Linux
/// session to the dispatcher about 1.6 million times; 2048: sqlite 0.98 -> 0.90 s; 8192: xz and
/// sqlite a few per cent faster again.)
pub(crate) const CHAIN_BUDGET: i64 = 8192;

/// How the VM uses a backend.
#[derive(Clone)]
pub struct JitOptions {
    pub backend: Arc<dyn Backend>,
    /// Interpreted executions before a block is compiled (0: compile before its first run).
    pub threshold: u32,
    /// Report compile failures on stderr.
    pub log: bool,
    /// The quick tier (`quick.rs`): interpreted executions before a block gets quick code
    /// (0: before its first run); None: no quick tier. Hot quick code goes on to the
    /// backend after `threshold` runs in all. Not under the software MMU.
    pub quick: Option<u32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Cold,
    /// Hot, waiting for the compile thread.
    Candidate,
    Queued,
    Compiled,
    Failed,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    count: u32,
    state: State,
    entry: usize,
    /// The code's chunk in the arena (start offset, length).
    chunk: (usize, usize),
    /// Its exit slots (their address, in `Jit::exits`).
    exits: usize,
    /// The chain generation in which it was entered from the dispatcher (and listed in `Jit::linked`).
    linked_gen: u32,
    /// Its quick code (`quick.rs`; 0: none): entry, chunk, exit slots. Or the code the
    /// translation cache has for it, the same first tier below the JIT's (chunk
    /// `NOT_IN_ARENA`).
    q_entry: usize,
    q_chunk: (usize, usize),
    q_exits: usize,
    /// The number (in `Jit::exits`) of the header before `q_exits` (the quick code's state:
    /// `backend::ExitSlot`).
    q_header: usize,
    /// Quick code was tried (made, or refused).
    q_tried: bool,
    /// Its runs when the candidates were last ranked (`Jit::send_hottest`).
    seen: i64,
    /// In a region being compiled (not its first block): not a candidate meanwhile (it runs as
    /// often as the region's first block, and would be compiled again for nothing).
    region_wait: bool,
}

/// Memory that never moves (compiled code holds addresses into it): the blocks'
/// exit slots and their headers. Runs of elements are handed out upwards in
/// chunks, and reset with the block cache.
struct Pinned<T> {
    chunks: Vec<Box<[T]>>,
    chunk: usize,
    used: usize,
}

const PINNED_CHUNK: usize = 4096;

/// Exit slots for a block with `n` static exits, after their header
/// (see `backend::ExitSlot`) naming `inner`, the block's inner entry if it is
/// quick code (else 0): the address of the first slot.
fn alloc_exit_slots(pool: &mut Pinned<ExitSlot>, n: usize, inner: u64) -> usize {
    alloc_exit_slots_at(pool, n, inner).1
}

/// `alloc_exit_slots`, also returning the header's number in the pool.
fn alloc_exit_slots_at(pool: &mut Pinned<ExitSlot>, n: usize, inner: u64) -> (usize, usize) {
    let i = pool.alloc(n.max(1) + 1);
    pool.chunks[i / PINNED_CHUNK][i % PINNED_CHUNK].code = inner;
    (i, pool.addr(i + 1))
}

/// The runs left in a quick block's header (`backend::ExitSlot`): the low half of `slots`, signed.
/// (Quick code counts it down while it runs, never while the dispatcher looks.)
fn count(h: &ExitSlot) -> i32 {
    h.slots as u32 as i32
}

fn set_count(h: &mut ExitSlot, n: i32) {
    h.slots = h.slots & !0xffff_ffff | n as u32 as u64;
}

impl<T: Default> Pinned<T> {
    fn new() -> Self {
        Pinned { chunks: Vec::new(), chunk: 0, used: 0 }
    }

    /// `n` (1 to `PINNED_CHUNK`) fresh elements in a row: the number of the first.
    fn alloc(&mut self, n: usize) -> usize {
        let n = n.clamp(1, PINNED_CHUNK);
        if self.chunks.is_empty() || self.used + n > PINNED_CHUNK {
            if !self.chunks.is_empty() {
                self.chunk += 1;
            }
            self.used = 0;
            if self.chunk == self.chunks.len() {
                self.chunks.push((0..PINNED_CHUNK).map(|_| T::default()).collect());
            }
        }
        for x in &mut self.chunks[self.chunk][self.used..self.used + n] {
            *x = T::default();
        }
        self.used += n;
        self.chunk * PINNED_CHUNK + self.used - n
    }

    fn get(&self, i: usize) -> &T {
        &self.chunks[i / PINNED_CHUNK][i % PINNED_CHUNK]
    }

    fn get_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / PINNED_CHUNK][i % PINNED_CHUNK]
    }

    /// The address of element `i` (what compiled code is given).
    fn addr(&self, i: usize) -> usize {
        self.get(i) as *const T as usize
    }

    /// Starts again from the first chunk (no compiled code may run any more).
    fn reset(&mut self) {
        self.chunk = 0;
        self.used = 0;
    }

    /// Resets every element (the chain generation wrapped: old keys in exit slots could match again).
    fn clear_all(&mut self) {
        for x in self.chunks.iter_mut().flat_map(|c| c.iter_mut()) {
            *x = T::default();
        }
    }
}

/// Blocks compiled as one unit (`Block::region`), entered at the first.
struct Region {
    /// The blocks, the first one included (all on the first one's page).
    members: Vec<BlockId>,
    /// The region's exit slots (`exit_slots` of the region's block).
    exit_slots: usize,
}

struct Job {
    generation: u64,
    id: BlockId,
    block: Block,
}

struct Done {
    generation: u64,
    id: BlockId,
    result: Result<CompiledCode, String>,
    secs: f64,
}

struct Worker {
    /// The backend the thread compiles with (`shutdown` when the worker goes).
    backend: Arc<dyn Backend>,
    jobs: Option<mpsc::Sender<Vec<Job>>>,
    done: mpsc::Receiver<Done>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Worker {
    /// Stops the compile thread and waits for it: LLVM must not be compiling
    /// while the process exits (its static destructors would run under it).
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // A batch in flight elsewhere is dropped, not waited for (a compiler process: tens of
        // milliseconds at the exit of every run). One compiling in this thread has to finish.
        self.backend.shutdown();
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Counters of the compiled tier (`--stats`).
#[derive(Default, Debug)]
pub struct JitStats {
    pub compiled: u64,
    pub failed: u64,
    pub compile_s: f64,
    pub compile_times: Vec<f32>,
    pub code_bytes: u64,
    /// Block executions in compiled code, and in the interpreter.
    pub runs_compiled: u64,
    pub runs_interpreted: u64,
    /// Compiled blocks that handed an instruction to the interpreter.
    pub retries: u64,
    /// Chained jumps between compiled blocks (without the dispatcher).
    pub chain_hits: u64,
    /// Compiled blocks whose code was freed (their guest code changed).
    pub freed: u64,
    pub exits: super::stats::ExitCounts,
    /// Blocks given quick code (and refused it), its compile time and bytes.
    pub quick_compiled: u64,
    pub quick_failed: u64,
    pub quick_compile_s: f64,
    pub quick_code_bytes: u64,
    /// Compiled regions (counted in `compiled` too), and the blocks in them.
    pub regions: u64,
    pub region_blocks: u64,
    /// Compiled blocks that had translation-cache code (counted in `compiled` too).
    pub cache_promoted: u64,
}

pub(crate) struct Jit {
    backend: Arc<dyn Backend>,
    /// The backend's code reaches memory through the software TLB (`Backend::soft_mmu`).
    soft_mmu: bool,
    threshold: u32,
    /// The quick tier's threshold (None: no quick tier).
    quick: Option<u32>,
    /// Interpreted runs of blocks with staged quick code since the window was last sealed.
    stage_waits: u32,
    /// The host refused to seal a window (reported once).
    seal_refused: bool,
    log: bool,
    arena: CodeArena,
    slots: Vec<Slot>,
    generation: u64,
    worker: Option<Worker>,
    in_flight: usize,
    /// CPU seconds the compile thread has used (f64 bits).
    worker_cpu: Arc<std::sync::atomic::AtomicU64>,
    /// Set by the compile thread when results wait in the channel.
    ready: Arc<std::sync::atomic::AtomicBool>,
    /// Blocks that got hot and wait to be sent to the compile thread.
    candidates: Vec<BlockId>,
    arena_full: bool,
    /// Chaining: the context compiled code sees, its table, entry address -> block.
    ctx: Box<ChainCtx>,
    table: Box<[ChainEntry]>,
    exits: Pinned<ExitSlot>,
    /// Times the code at a physical address was found changed (see `eager`).
    rewritten: std::collections::HashMap<u32, u32>,
    gen: u64,
    by_entry: std::collections::HashMap<u64, BlockId>,
    /// What the chain table was valid for: block cache generation, recycled views.
    token: (u64, u64),
    /// Whether the last compiled run chained into other blocks.
    chained: bool,
    /// Chained jumps in the last run of compiled code (`hops`).
    last_hops: u64,
    /// Chaining allowed (HSPT_JIT_NOCHAIN=1 turns it off, for diagnosis).
    chaining: bool,
    /// Per virtual page (PC >> 12): the chain generation in which compiled code on it was entered from
    /// the dispatcher, i.e. could become a chain target (every link starts as a chain-table entry made
    /// there). A page whose mark is not the current generation has no links into it.
    link_pages: Vec<u32>,
    /// The blocks entered from the dispatcher in the current chain generation: the only possible chain
    /// targets (see `icache_maintenance`).
    linked: Vec<BlockId>,
    /// Most blocks per compile batch (HSPT_JIT_BATCH overrides `BATCH`).
    batch: usize,
    /// Regions sent to the compiler or compiled, by their first block.
    regions: std::collections::HashMap<BlockId, Region>,
    /// Most blocks per region (HSPT_JIT_REGION overrides `REGION_MEMBERS`; 1: single blocks).
    region_members: usize,
    /// `perf`'s map of JIT code (/tmp/perf-PID.map), when HSPT_PERF_MAP is set.
    perf_map: Option<std::fs::File>,
    pub stats: JitStats,
    /// The translation cache's hooks (`tcache.rs`), when a run uses one or records.
    pub(crate) tc: Option<Box<super::tcache::Hook>>,
}

impl Jit {
    pub fn new(opts: JitOptions) -> std::io::Result<Jit> {
        let mut jit = Jit {
            soft_mmu: opts.backend.soft_mmu(),
            quick: opts.quick.filter(|_| !opts.backend.soft_mmu()),
            stage_waits: 0,
            seal_refused: false,
            backend: opts.backend,
            threshold: opts.threshold,
            log: opts.log,
            arena: CodeArena::new(ARENA_BYTES)?,
            slots: Vec::new(),
            generation: 0,
            worker: None,
            in_flight: 0,
            worker_cpu: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            ready: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            candidates: Vec::new(),
            arena_full: false,
            ctx: Box::new(ChainCtx {
                budget: 0,
                hits: 0,
                key_gen: 1 << CHAIN_GEN_SHIFT,
                table: std::ptr::null_mut(),
                cur_code: 0,
                cur_pc0: 0,
                _pad: 0,
                lookup: jit_entry::chain_lookup as *const () as usize as u64,
                hot_n: 0,
                hot: [0; super::quick::HOT_MAX as usize],
                stubs: quick::stubs()?,
            }),
            table: vec![ChainEntry::default(); 1 << CHAIN_BITS].into_boxed_slice(),
            exits: Pinned::new(),
            rewritten: std::collections::HashMap::new(),
            gen: 1,
            by_entry: std::collections::HashMap::new(),
            token: (0, 0),
            chained: false,
            last_hops: 0,
            chaining: std::env::var_os("HSPT_JIT_NOCHAIN").is_none(),
            link_pages: Vec::new(),
            linked: Vec::new(),
            batch: std::env::var("HSPT_JIT_BATCH").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(BATCH),
            regions: std::collections::HashMap::new(),
            region_members: std::env::var("HSPT_JIT_REGION").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(REGION_MEMBERS),
            perf_map: std::env::var_os("HSPT_PERF_MAP")
                .and_then(|_| std::fs::File::create(format!("/tmp/perf-{}.map", std::process::id())).ok()),
            stats: JitStats::default(),
            tc: None,
        };
        if let Some(f) = jit.perf_map.as_mut() {
            use std::io::Write;
            let _ = writeln!(f, "{:x} 400 quick_stubs", jit.ctx.stubs[0]);
        }
        Ok(jit)
    }

    /// Uses a translation cache / records for one (tcache.rs): its code may run too.
    pub(crate) fn attach_cache(&mut self, hook: super::tcache::Hook) {
        self.arena.set_extra_range(hook.code_range());
        self.tc = Some(Box::new(hook));
    }

    /// Forgets every chain link (guest code or mappings may have changed).
    pub fn flush_chains(&mut self) {
        self.linked.clear();
        self.gen += 1;
        if self.gen >= 1 << (64 - CHAIN_GEN_SHIFT) {
            self.table.fill(ChainEntry::default());
            // The quick blocks' headers hold their state, not links: they stay.
            let headers: Vec<(usize, ExitSlot)> = self.slots.iter().filter(|s| s.q_entry != 0).map(|s| (s.q_header, *self.exits.get(s.q_header))).collect();
            self.exits.clear_all();
            for (h, e) in headers {
                *self.exits.get_mut(h) = e;
            }
            self.gen = 1;
            // Generations start again: no old mark may pass for a new one.
            for s in &mut self.slots {
                s.linked_gen = 0;
            }
            self.link_pages.fill(0);
        }
        self.ctx.key_gen = self.gen << CHAIN_GEN_SHIFT;
    }

    fn worker(&mut self) -> &Worker {
        if self.worker.is_none() {
            let (jtx, jrx) = mpsc::channel::<Vec<Job>>();
            let (dtx, drx) = mpsc::channel::<Done>();
            let backend = self.backend.clone();
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let stop2 = stop.clone();
            let cpu2 = self.worker_cpu.clone();
            let ready2 = self.ready.clone();
            let spawned = std::thread::Builder::new().name("hspt-jit".into()).stack_size(WORKER_STACK).spawn(move || {
                while let Ok(mut jobs) = jrx.recv() {
                    if stop2.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let t = Instant::now();
                    let blocks: Vec<Block> = jobs.iter_mut().map(|j| std::mem::take(&mut j.block)).collect();
                    let results = backend.compile_batch(&blocks);
                    let secs = t.elapsed().as_secs_f64() / jobs.len() as f64;
                    cpu2.store((super::stats::thread_cpu_s() + backend.process_cpu_s()).to_bits(), std::sync::atomic::Ordering::Relaxed);
                    for (job, result) in jobs.into_iter().zip(results) {
                        if dtx.send(Done { generation: job.generation, id: job.id, result, secs }).is_err() {
                            return;
                        }
                    }
                    ready2.store(true, std::sync::atomic::Ordering::Release);
                }
            });
            let thread = spawned.ok();
            if thread.is_none() {
                // No thread: nothing is compiled from now on.
                tracing::warn!("cannot start the JIT compile thread; hot code stays interpreted");
            }
            self.worker = Some(Worker { backend: self.backend.clone(), jobs: thread.as_ref().map(|_| jtx), done: drx, stop, thread });
        }
        self.worker.as_ref().expect("worker just created")
    }

    fn install(&mut self, id: BlockId, result: Result<CompiledCode, String>, secs: f64, block: &Block) {
        self.release_members(id);
        self.stats.compile_s += secs;
        self.stats.compile_times.push(secs as f32);
        let slot = &mut self.slots[id as usize];
        match result {
            Ok(code) => match self.arena.install(&code) {
                Some((entry, start, len)) => {
                    slot.state = State::Compiled;
                    slot.entry = entry;
                    slot.chunk = (start, len);
                    let region = self.regions.get(&id);
                    slot.exits = alloc_exit_slots(&mut self.exits, region.map_or_else(|| exit_slots(block), |r| r.exit_slots), 0);
                    if slot.q_entry != 0 && slot.q_chunk.0 == NOT_IN_ARENA {
                        self.stats.cache_promoted += 1;
                    }
                    if slot.q_entry != 0 {
                        // Links into the quick code now go on to this code: its entry
                        // forwards, and quick code no longer takes the inner entry
                        // (so the forwarding jump is the entry's own, not a shared one).
                        let h = self.exits.get_mut(slot.q_header);
                        h.key = entry as u64;
                        h.base = slot.exits as u64;
                        h.code = 0;
                    }
                    self.by_entry.insert(entry as u64, id);
                    let in_region = self.regions.get(&id).map_or(0, |r| r.members.len());
                    if let Some(f) = self.perf_map.as_mut() {
                        use std::io::Write;
                        let kind = if in_region > 0 { "region" } else { "guest" };
                        let _ = writeln!(f, "{entry:x} {:x} {kind}_{:08x}{}", code.code.len(), block.pc, if block.thumb { "_t" } else { "" });
                    }
                    if in_region > 0 {
                        self.stats.regions += 1;
                        self.stats.region_blocks += in_region as u64;
                    } else if let Some(tc) = self.tc.as_deref_mut() {
                        // A region's code depends on more than its first block's bytes (the cache's key).
                        tc.compiled(id, block.len, &code);
                    }
                    self.stats.compiled += 1;
                    self.stats.code_bytes += code.code.len() as u64;
                }
                None => {
                    slot.state = State::Failed;
                    if !self.arena_full {
                        self.arena_full = true;
                        tracing::warn!("the JIT code area is full; new code stays interpreted");
                    }
                }
            },
            Err(why) => {
                slot.state = State::Failed;
                self.regions.remove(&id);
                self.stats.failed += 1;
                if slot.q_entry != 0 {
                    // The quick code keeps running; it will not count down to zero again.
                    set_count(self.exits.get_mut(slot.q_header), i32::MIN / 2);
                }
                if self.log {
                    tracing::warn!("JIT: block 0x{:08x} not compiled: {why}", block.pc);
                } else {
                    tracing::debug!("JIT: block 0x{:08x} not compiled: {why}", block.pc);
                }
            }
        }
    }

    fn poll(&mut self, cache: &BlockCache) {
        // One relaxed load per block while compiles are in flight; the channel only when something arrived.
        if !self.ready.swap(false, std::sync::atomic::Ordering::Acquire) {
            return;
        }
        loop {
            let Some(w) = self.worker.as_ref() else { return };
            let Ok(d) = w.done.try_recv() else { break };
            self.in_flight -= 1;
            if d.generation != self.generation || self.slots.get(d.id as usize).is_none_or(|s| s.state != State::Queued) {
                continue;
            }
            self.install(d.id, d.result, d.secs, cache.block(d.id));
        }
        // The next batch, now that the compile thread is idle (else the candidates would wait for another
        // block to get hot, and code that already runs compiled may never make one).
        if self.in_flight == 0 && !self.candidates.is_empty() {
            self.send_hottest(cache);
        }
    }

    /// With threshold 0: whether the block at physical address `pa` is compiled
    /// before it runs. Not when the code there has changed again and again
    /// (self-modifying code: every version would cost a compilation, about
    /// a thousand times one interpretation) until this version got warm.
    fn eager(&self, pa: u32, count: u32) -> bool {
        match self.rewritten.get(&pa) {
            Some(&n) if n >= VOLATILE_AFTER => count >= VOLATILE_THRESHOLD,
            _ => true,
        }
    }

    /// Instruction-cache maintenance: chain links may only lead into blocks entered from the dispatcher
    /// in this generation (`linked`); if none of those has changed in guest memory, every link still
    /// leads to the code of the bytes there, and they stay (Linux invalidates the whole instruction
    /// cache each time it maps an executable page; the code already running rarely changed). Else, or
    /// when there are too many to check, every link goes. `pages`: the only physical pages whose code
    /// may have changed (None: any); blocks elsewhere need no check.
    fn icache_maintenance(&mut self, cache: &BlockCache, board: &Board, pages: Option<&[u32]>) {
        const MAX_CHECKED: usize = 4096;
        let named = |id: BlockId| {
            let (first, last) = cache.pages(id);
            pages.is_none_or(|p| p.contains(&first) || p.contains(&last))
        };
        let unchanged = self.linked.len() <= MAX_CHECKED
            && self.linked.iter().all(|&id| {
                let want = cache.bytes(id);
                !named(id) || (!want.is_empty() && board.same_phys(cache.block(id).pc, want) && self.region_current(cache, board, id))
            });
        if !unchanged {
            self.flush_chains();
        }
    }

    /// JIT code memory in use.
    pub(crate) fn code_live_bytes(&self) -> u64 {
        self.arena.live_bytes() as u64
    }

    /// Block `id` (at physical address `pa`) went stale (its guest code changed):
    /// frees its compiled code. Chain links to it are already gone (the
    /// instruction-cache maintenance that made it stale started a new chain generation).
    fn forget(&mut self, id: BlockId, pa: u32) {
        let n = self.rewritten.entry(pa).or_insert(0);
        *n = n.saturating_add(1);
        self.release_members(id);
        self.regions.remove(&id);
        let Some(slot) = self.slots.get_mut(id as usize) else { return };
        if slot.state == State::Compiled {
            self.by_entry.remove(&(slot.entry as u64));
            if slot.chunk.0 != NOT_IN_ARENA {
                self.arena.free(slot.chunk.0, slot.chunk.1);
            }
            self.stats.freed += 1;
        }
        if slot.q_entry != 0 {
            self.by_entry.remove(&(slot.q_entry as u64));
            if slot.q_chunk.0 != NOT_IN_ARENA {
                self.arena.free(slot.q_chunk.0, slot.q_chunk.1);
            }
            slot.q_entry = 0;
        }
        if slot.state == State::Candidate {
            self.candidates.retain(|&c| c != id);
        }
        // Never compiled again (the id is not looked up any more); a compile in
        // flight for it is dropped on arrival.
        slot.state = State::Failed;
    }

    /// Gives block `id` quick code (`quick.rs`); false if it cannot have any.
    fn install_quick(&mut self, id: BlockId, block: &Block) -> bool {
        let i = id as usize;
        self.slots[i].q_tried = true;
        // Runs left before the backend's threshold (never, without a backend tier).
        let left = if self.threshold == u32::MAX { i32::MAX } else { self.threshold.saturating_sub(self.slots[i].count).clamp(1, i32::MAX as u32) as i32 };
        let t = Instant::now();
        let quick = match quick::compile(block) {
            Ok(c) => c,
            Err(why) => {
                self.stats.quick_failed += 1;
                if self.log {
                    tracing::warn!("quick: block 0x{:08x} not compiled: {why}", block.pc);
                } else {
                    tracing::debug!("quick: block 0x{:08x} not compiled: {why}", block.pc);
                }
                return false;
            }
        };
        self.stats.quick_compile_s += t.elapsed().as_secs_f64();
        let code = &quick.code;
        if let Some(dir) = std::env::var_os("HSPT_DUMP_QUICK") {
            // Raw code for `objdump -D -b binary -m i386:x86-64` (diagnosis).
            let _ = std::fs::write(std::path::Path::new(&dir).join(format!("{:08x}.bin", block.pc)), &code.code);
        }
        let Some((entry, start, len)) = self.arena.stage(code) else {
            if !self.arena_full {
                self.arena_full = true;
                tracing::warn!("the JIT code area is full; new code stays interpreted");
            }
            return false;
        };
        let s = &mut self.slots[i];
        s.q_entry = entry;
        s.q_chunk = (start, len);
        (s.q_header, s.q_exits) = alloc_exit_slots_at(&mut self.exits, exit_slots(block), (entry + quick.inner) as u64);
        // The header's state: the id above the count.
        self.exits.get_mut(s.q_header).slots = (id as u64) << 32 | left as u32 as u64;
        self.by_entry.insert(entry as u64, id);
        self.stats.quick_compiled += 1;
        self.stats.quick_code_bytes += code.code.len() as u64;
        if let Some(f) = self.perf_map.as_mut() {
            use std::io::Write;
            let _ = writeln!(f, "{entry:x} {:x} quick_{:08x}{}", code.code.len(), block.pc, if block.thumb { "_t" } else { "" });
        }
        true
    }

    /// Makes the staged quick code runnable (`CodeArena::seal`).
    fn seal_staged(&mut self) {
        self.stage_waits = 0;
        if !self.arena.seal() && !self.seal_refused {
            self.seal_refused = true;
            tracing::warn!("the host refused to make quick code executable; those blocks stay interpreted");
        }
    }

    /// Quick code that counted down to zero listed its block in `ChainCtx::hot`:
    /// those become candidates for the backend.
    fn take_hot(&mut self, cache: &BlockCache) {
        let n = (self.ctx.hot_n as usize).min(self.ctx.hot.len());
        self.ctx.hot_n = 0;
        if self.threshold == u32::MAX {
            return;
        }
        for k in 0..n {
            let id = self.ctx.hot[k];
            if let Some(s) = self.slots.get_mut(id as usize) {
                if s.state == State::Cold && s.q_entry != 0 && !s.region_wait {
                    s.state = State::Candidate;
                    self.candidates.push(id);
                }
            }
        }
        if self.in_flight == 0 && !self.candidates.is_empty() {
            self.send_hottest(cache);
        }
    }

    /// Sends the hottest candidates (by executions so far) to the compile thread,
    /// as one batch: the code that matters most is compiled first, however long
    /// the list of merely warm blocks grows.
    fn send_hottest(&mut self, cache: &BlockCache) {
        let (slots, exits, threshold) = (&mut self.slots, &self.exits, self.threshold as i64);
        // Runs so far: counted by the dispatcher, or (quick code) in the block's header.
        let runs = |s: &Slot| {
            if s.q_entry != 0 {
                threshold - count(exits.get(s.q_header)) as i64
            } else {
                s.count as i64
            }
        };
        let n = self.candidates.len().min(self.batch);
        if self.candidates.len() > n {
            // The backend gets through a few hundred blocks a second, far fewer than a program's
            // hot set, so the order matters: the guest instructions each candidate ran since the
            // last ranking (code hot during boot that no longer runs waits behind what runs now).
            let mut ranked: Vec<(i64, BlockId)> = self
                .candidates
                .iter()
                .map(|&id| {
                    let s = &mut slots[id as usize];
                    let r = runs(s);
                    let heat = (r - s.seen).max(0) * cache.block(id).insns.len().max(1) as i64;
                    s.seen = r;
                    (heat, id)
                })
                .collect();
            ranked.select_nth_unstable_by_key(n - 1, |&(heat, _)| std::cmp::Reverse(heat));
            // The hottest first: a batch of regions may fill up before the last of the n.
            ranked[..n].sort_unstable_by_key(|&(heat, _)| std::cmp::Reverse(heat));
            self.candidates.clear();
            self.candidates.extend(ranked.iter().map(|&(_, id)| id));
        }
        let mut chosen: Vec<BlockId> = self.candidates.drain(..n).collect();
        let generation = self.generation;
        let mut jobs: Vec<Job> = Vec::with_capacity(chosen.len());
        let mut claimed: Vec<BlockId> = Vec::new();
        // The batch holds `batch` blocks, those in regions included (the results come back when the
        // whole batch is done: more would keep the hottest code waiting longer).
        let mut blocks = 0;
        chosen.retain(|&id| {
            if claimed.contains(&id) {
                // In a region of this batch already.
                self.wait_for_region(id);
                return false;
            }
            if blocks >= self.batch {
                self.candidates.push(id);
                return false;
            }
            let members = self.region_for(cache, id);
            blocks += members.len();
            let block = if members.len() > 1 {
                let blocks: Vec<&Block> = members.iter().map(|&m| cache.block(m)).collect();
                let region = Block::region(&blocks);
                for &m in &members[1..] {
                    match self.slots.get(m as usize).map_or(State::Failed, |s| s.state) {
                        State::Candidate => {
                            self.candidates.retain(|&c| c != m);
                            self.wait_for_region(m);
                        }
                        State::Cold => self.wait_for_region(m),
                        _ => {}
                    }
                }
                claimed.extend_from_slice(&members[1..]);
                self.regions.insert(id, Region { exit_slots: exit_slots(&region), members });
                region
            } else {
                cache.block(id).clone()
            };
            jobs.push(Job { generation, id, block });
            true
        });
        let sent = self.worker().jobs.as_ref().is_some_and(|j| j.send(jobs).is_ok());
        for id in chosen {
            self.slots[id as usize].state = if sent { State::Queued } else { State::Failed };
            self.in_flight += sent as usize;
        }
    }

    /// A block that joined a region being compiled: no candidate until the region is done
    /// (`release_members`).
    fn wait_for_region(&mut self, id: BlockId) {
        let s = &mut self.slots[id as usize];
        s.state = State::Cold;
        s.region_wait = true;
        if s.q_entry != 0 {
            set_count(self.exits.get_mut(s.q_header), i32::MAX / 2);
        }
    }

    /// Region `id`'s compile is over (or its code gone): its other blocks count their runs again
    /// from zero, and get hot on their own only if they keep running outside the region's code.
    fn release_members(&mut self, id: BlockId) {
        let left = (self.threshold / REGION_LEFT_DIV).clamp(1, self.threshold.max(1));
        let Some(r) = self.regions.get(&id) else { return };
        for &m in &r.members[1..] {
            let Some(s) = self.slots.get_mut(m as usize) else { continue };
            if s.region_wait {
                s.region_wait = false;
                s.count = self.threshold - left;
                s.seen = 0;
                if s.q_entry != 0 {
                    set_count(self.exits.get_mut(s.q_header), left as i32);
                }
            }
        }
    }

    /// The blocks to compile with hot block `id` as one region: it, and the blocks its branches
    /// lead to (theirs, and so on) that start and end on its page, in its instruction set, with
    /// ITSTATE 0, and have run at least a quarter of the threshold (or are hot themselves). So a
    /// loop of several blocks runs inside one function, with direct jumps between its blocks
    /// instead of chained exits (which store the registers, count, check a slot and jump
    /// indirectly). The first eight blocks found (breadth first, 160 instructions) stay; up to 16
    /// (320 instructions), so do those that lead back to `id`: a longer loop body is not cut. (All
    /// 16 at once compiled more code that rarely runs, and gzip was slower for it; xz, whose loops
    /// are longer, was 14 % faster with the loops kept whole.) A block with code of its own (a
    /// region's head, or compiled alone) joins only a loop through `id`; otherwise the region
    /// exits to that code. Hot code entered at several blocks (a switch, a call returning into a
    /// loop) made regions that overlapped: in xz, 30 % of the members' instructions were another
    /// region's head. Without those, xz's hot regions were compiled sooner (runs 6 % faster).
    fn region_for(&self, cache: &BlockCache, id: BlockId) -> Vec<BlockId> {
        let mut members = vec![id];
        // Not in a run that writes its code back to a translation cache: the cache's entries are
        // single blocks (keyed by one block's bytes), so it would write back only the few blocks
        // compiled alone. (Reading one is fine: its hot blocks are compiled again, as regions.)
        if self.region_members <= 1 || self.threshold == 0 || self.tc.as_deref().is_some_and(|t| t.writes_back()) {
            return members;
        }
        // Up to the loop limits (more when the member limit was raised for diagnosis), breadth
        // first; then the first REGION_MEMBERS (REGION_INSNS) stay, and of the others the blocks
        // that lead back to the first.
        let (first_n, first_insns) = (self.region_members, REGION_INSNS * self.region_members / REGION_MEMBERS);
        let (cap, cap_insns) = if self.region_members == REGION_MEMBERS { (REGION_LOOP_MEMBERS, REGION_LOOP_INSNS) } else { (first_n, first_insns) };
        let head = cache.block(id);
        let page = head.pc >> 12;
        let warm = (self.threshold as i64 / REGION_WARM_DIV).max(1);
        let mut insns = head.insns.len();
        // Whether each candidate has code of its own (compiled or queued: it was hot itself). Such a
        // block stays out unless it leads back to `id`: the region exits to its code instead.
        let mut code = vec![false];
        // Branches between candidate members (indices into `members`).
        let mut edges: Vec<(usize, usize)> = Vec::new();
        let mut k = 0;
        while k < members.len() {
            let from = cache.block(members[k]);
            k += 1;
            for op in &from.ops {
                let crate::ir::Op::ExitTo { off, kind: crate::ir::PcWrite::Branch, reason: ExitReason::Branch } = *op else { continue };
                let pa = from.pc.wrapping_add(off);
                if pa >> 12 != page {
                    continue;
                }
                if pa == head.pc {
                    edges.push((k - 1, 0));
                    continue;
                }
                let Some(m) = cache.peek(pa, head.thumb, 0) else { continue };
                if let Some(j) = members.iter().position(|&x| x == m) {
                    edges.push((k - 1, j));
                    continue;
                }
                let b = cache.block(m);
                // A block that never ran here has no slot yet (and is not warm).
                let Some(&s) = self.slots.get(m as usize) else { continue };
                let runs = if s.q_entry != 0 { self.threshold as i64 - count(self.exits.get(s.q_header)) as i64 } else { s.count as i64 };
                let hot = s.region_wait || matches!(s.state, State::Candidate | State::Queued | State::Compiled);
                if b.pc.wrapping_add(b.len.max(1) - 1) >> 12 != page
                    || cache.bytes(m).is_empty()
                    || !(hot || runs >= warm)
                    || insns + b.insns.len() > cap_insns
                    || members.len() >= cap
                {
                    continue;
                }
                insns += b.insns.len();
                edges.push((k - 1, members.len()));
                members.push(m);
                code.push(matches!(s.state, State::Compiled | State::Queued));
            }
        }
        // The blocks that lead back to the first (a loop through it), by the branches found.
        let mut back = vec![false; members.len()];
        back[0] = true;
        let mut grew = true;
        while grew {
            grew = false;
            for &(a, b) in &edges {
                if back[b] && !back[a] {
                    back[a] = true;
                    grew = true;
                }
            }
        }
        let mut keep = vec![false; members.len()];
        let (mut n_first, mut n_insns, mut open) = (0, 0, true);
        for i in 0..members.len() {
            let len = cache.block(members[i]).insns.len();
            let reached = i == 0 || edges.iter().any(|&(a, b)| b == i && a < i && keep[a]);
            if open && !code[i] && reached && n_first < first_n && n_insns + len <= first_insns {
                keep[i] = true;
                n_first += 1;
                n_insns += len;
            } else if !code[i] {
                open = false;
            }
            keep[i] |= back[i];
        }
        members.iter().zip(&keep).filter(|&(_, &k)| k).map(|(&m, _)| m).collect()
    }

    /// Whether the other blocks of the region that block `id` heads (if any) still have the guest
    /// bytes they were translated from (`id`'s own are the dispatcher's to check).
    fn region_current(&self, cache: &BlockCache, board: &Board, id: BlockId) -> bool {
        self.regions.get(&id).is_none_or(|r| r.members[1..].iter().all(|&m| board.same_phys(cache.block(m).pc, cache.bytes(m))))
    }

    /// After the block cache was cleared (ids start again): forgets everything keyed by id.
    fn sync_generation(&mut self, cache: &BlockCache) {
        if cache.generation() == self.generation {
            return;
        }
        self.generation = cache.generation();
        self.slots.clear();
        self.by_entry.clear();
        self.candidates.clear();
        // An old region under a reused id would give a new block its members and exit slots.
        self.regions.clear();
        // No id names the old code any more, and none of it runs.
        self.arena.reset();
        self.exits.reset();
        if let Some(tc) = self.tc.as_deref_mut() {
            tc.reset_ids();
        }
    }

    /// Runs block `id` in the tier it has reached, compiling it when it gets hot.
    pub fn run(&mut self, cache: &BlockCache, id: BlockId, cpu: &mut CpuState, board: &mut Board, temps: &mut Temps, chain: bool) -> ExitReason {
        self.sync_generation(cache);
        let token = (cache.generation(), board.views_repurposed());
        if token != self.token {
            self.token = token;
            self.flush_chains();
        }
        self.chained = false;
        let chain = chain && self.chaining;
        if self.in_flight > 0 {
            self.poll(cache);
        }
        let i = id as usize;
        if i >= self.slots.len() {
            self.slots.resize(i + 1, Slot::default());
        }
        let slot = self.slots[i];
        if cpu.mem_base == 0 || self.soft_mmu != (cpu.soft_tlb != 0) {
            // No direct-access view, or code made for the other MMU mode (HSPT's
            // code under the software MMU or the reverse): it cannot run. (A block
            // that crosses into the next page is compiled: its key names only the
            // first page, but the dispatcher checks its bytes before every run, and
            // its code checks the second page's halfword itself: `code_guard`.)
            self.stats.runs_interpreted += 1;
            return run_block(cpu, board, cache.block(id), temps);
        }
        if slot.state == State::Cold && slot.count == 0 && slot.q_entry == 0 {
            if let Some(entry) = self.tc.as_deref_mut().and_then(|tc| tc.first_seen(cache.block(id), cache.bytes(id), cpu.cp15.sctlr & 2 != 0, id)) {
                // Code from the translation cache (tcache.rs), mapped executable: the block's
                // first tier, as quick code is. `hspt aot`'s code counts its runs in the header
                // as quick code does, and forwards to the JIT's code once that replaces it
                // (code the JIT wrote back does neither: it is already the JIT's).
                let (header, exits) = alloc_exit_slots_at(&mut self.exits, exit_slots(cache.block(id)), 0);
                let left = if self.threshold == 0 || self.threshold == u32::MAX { i32::MIN / 2 } else { self.threshold.min(i32::MAX as u32) as i32 };
                self.exits.get_mut(header).slots = (id as u64) << 32 | left as u32 as u64;
                self.slots[i] = Slot { q_entry: entry, q_chunk: (NOT_IN_ARENA, 0), q_header: header, q_exits: exits, q_tried: true, ..Slot::default() };
                self.by_entry.insert(entry as u64, id);
                return self.run_compiled(cache, id, entry, exits, cpu, board, temps, chain);
            }
        }
        match slot.state {
            State::Compiled => return self.run_compiled(cache, id, slot.entry, slot.exits, cpu, board, temps, chain),
            _ if slot.q_entry != 0 => {
                if !self.arena.runnable(slot.q_entry) {
                    // Quick code waits in the staging window (CodeArena::stage) until enough
                    // blocks wait there, or have run in the interpreter meanwhile.
                    self.stage_waits += 1;
                    if self.stage_waits >= STAGE_WAITS || self.quick == Some(0) {
                        self.seal_staged();
                    }
                }
                if self.arena.runnable(slot.q_entry) {
                    return self.run_compiled(cache, id, slot.q_entry, slot.q_exits, cpu, board, temps, chain);
                }
            }
            State::Cold
                if !slot.q_tried
                    && self.quick.is_some_and(|q| slot.count >= q && (q > 0 || self.eager(cache.block(id).pc, slot.count))) =>
            {
                if self.install_quick(id, cache.block(id)) {
                    if self.quick == Some(0) {
                        // Every block runs as quick code from its first run (--tier quick).
                        self.seal_staged();
                    }
                    let s = self.slots[i];
                    if self.arena.runnable(s.q_entry) {
                        return self.run_compiled(cache, id, s.q_entry, s.q_exits, cpu, board, temps, chain);
                    }
                }
                self.slots[i].count = slot.count.saturating_add(1);
            }
            State::Cold if slot.count >= self.threshold && !slot.region_wait && (self.threshold > 0 || self.eager(cache.block(id).pc, slot.count)) => {
                let block = cache.block(id);
                if self.threshold == 0 {
                    let t = Instant::now();
                    let r = self.backend.compile(block);
                    self.install(id, r, t.elapsed().as_secs_f64(), block);
                    if let Slot { state: State::Compiled, entry, exits, .. } = self.slots[i] {
                        return self.run_compiled(cache, id, entry, exits, cpu, board, temps, chain);
                    }
                } else {
                    // Hot: a candidate; the hottest candidates go to the compile
                    // thread whenever it is idle.
                    self.slots[i].state = State::Candidate;
                    self.candidates.push(id);
                }
            }
            State::Cold | State::Candidate => self.slots[i].count = slot.count.saturating_add(1),
            State::Queued | State::Failed => {}
        }
        if self.in_flight == 0 && !self.candidates.is_empty() {
            self.send_hottest(cache);
        }
        self.stats.runs_interpreted += 1;
        run_block(cpu, board, cache.block(id), temps)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_compiled(&mut self, cache: &BlockCache, id: BlockId, entry: usize, exits: usize, cpu: &mut CpuState, board: &mut Board, temps: &mut Temps, chain: bool) -> ExitReason {
        self.stats.runs_compiled += 1;
        let pc0 = cpu.r[15];
        if chain {
            if self.link_pages.is_empty() {
                self.link_pages = vec![0; 1 << 20];
            }
            self.link_pages[(pc0 >> 12) as usize] = self.gen as u32;
            let s = &mut self.slots[id as usize];
            if s.linked_gen != self.gen as u32 {
                s.linked_gen = self.gen as u32;
                self.linked.push(id);
            }
            let e = &mut self.table[chain_index(pc0)];
            *e = ChainEntry { key: chain_key(pc0, cpu.t, cpu.it, self.ctx.key_gen), base: cpu.mem_base, code: entry as u64, slots: exits as u64 };
            self.ctx.budget = CHAIN_BUDGET;
        } else {
            self.ctx.budget = 0;
        }
        self.ctx.table = self.table.as_mut_ptr();
        let budget = self.ctx.budget;
        // SAFETY: `entry` was installed in our arena from code compiled for this
        // block's IR, `exits` are its exit slots (allocated for its IR), and so
        // were every entry of the chain table and of filled exit slots; the VM
        // activated its board's fault handler for this thread.
        let code = unsafe { jit_entry::enter(cpu, &self.arena, entry, &mut self.ctx, exits as *mut ExitSlot) };
        if self.ctx.hot_n > 0 {
            self.take_hot(cache);
        }
        // Every chained jump (and every loop round inside a block) spent one unit.
        let spent = (budget - self.ctx.budget).max(0) as u64;
        self.chained = spent != 0;
        self.last_hops = spent;
        self.ctx.hits += spent;
        self.stats.chain_hits = self.ctx.hits;
        let x = &mut self.stats.exits;
        match code {
            0 if chain && self.ctx.budget <= 0 => x.chain_budget += 1,
            0 => x.branch_unchained += 1,
            1 => x.sys_change += 1,
            2 => x.exception += 1,
            EXIT_RETRY => x.retry += 1,
            _ => x.other += 1,
        }
        match code {
            0 => ExitReason::Branch,
            1 => ExitReason::SysChange,
            2 => ExitReason::Exception,
            3 => ExitReason::Wfi,
            4 => ExitReason::Hvc,
            5 => ExitReason::Smc,
            6 => ExitReason::Bkpt,
            EXIT_RETRY => {
                self.stats.retries += 1;
                // The block that stopped may be a later one of the chain.
                let id = *self.by_entry.get(&self.ctx.cur_code).expect("EXIT_RETRY from an installed block");
                // In a region: the member that started at cur_pc0 (they are all on one page).
                let pc0 = self.ctx.cur_pc0;
                // The code records the instruction as its offset from there (backend.rs).
                cpu.r[15] = pc0.wrapping_add(cpu.pc_off);
                let id = self.regions.get(&id).and_then(|r| r.members.iter().copied().find(|&m| cache.block(m).pc & 0xfff == pc0 & 0xfff)).unwrap_or(id);
                retry_one(cache.block(id), cache.bytes(id), pc0, cpu, board, temps)
            }
            other => panic!("compiled block 0x{pc0:08x} returned an unknown exit code {other:#x}"),
        }
    }
}

/// Board memory whose instruction fetches come from elsewhere: the bytes a block was translated
/// from (a retry runs the instruction the block was made of, even if the block's own stores have
/// rewritten it since, as the interpreter, which runs the block as translated, would), or only a
/// range (so that a test's blocks end exactly at the end of its code).
struct CodeFrom<'a> {
    board: &'a mut Board,
    code: Code<'a>,
}

enum Code<'a> {
    /// Guest code at `pc0` is `bytes`; fetches elsewhere go to the board.
    Bytes { pc0: u32, bytes: &'a [u8] },
    /// Fetches only inside [start, end).
    Fenced(u32, u32),
}

impl crate::mem::GuestMemory for CodeFrom<'_> {
    fn load(&mut self, cpu: &mut CpuState, addr: u32, size: crate::ir::MemSize, user: bool) -> Result<u64, crate::mem::MemFault> {
        self.board.load(cpu, addr, size, user)
    }
    fn store(&mut self, cpu: &mut CpuState, addr: u32, size: crate::ir::MemSize, val: u64, user: bool) -> Result<(), crate::mem::MemFault> {
        self.board.store(cpu, addr, size, val, user)
    }
    fn fetch(&mut self, cpu: &mut CpuState, addr: u32, size: u32) -> Result<u32, crate::mem::MemFault> {
        match self.code {
            Code::Bytes { pc0, bytes } => {
                let off = addr.wrapping_sub(pc0) as usize;
                if let Some(b) = bytes.get(off..off + size as usize) {
                    return Ok(b.iter().rev().fold(0u32, |v, &x| v << 8 | x as u32));
                }
            }
            Code::Fenced(start, end) => {
                if addr < start || addr.wrapping_add(size) > end {
                    return Err(crate::mem::MemFault::new(crate::mem::fsr::TRANSLATION_PAGE, addr));
                }
            }
        }
        self.board.fetch(cpu, addr, size)
    }
}

/// Finishes an `EXIT_RETRY` of block `b` (translated from `bytes`) entered at `pc0`: the
/// instructions before the one at `cpu.r[15]` completed; that one runs in the interpreter.
pub(crate) fn retry_one(b: &Block, bytes: &[u8], pc0: u32, cpu: &mut CpuState, board: &mut Board, temps: &mut Temps) -> ExitReason {
    let off = cpu.r[15].wrapping_sub(pc0);
    let idx = b.insns.iter().position(|i| i.off == off).expect("EXIT_RETRY at an instruction of the block");
    cpu.insns += idx as u64;
    cpu.it = b.insns[idx].it;
    let (pc, thumb, it) = (cpu.r[15], cpu.t != 0, cpu.it);
    let mut mem = CodeFrom { board, code: Code::Bytes { pc0, bytes } };
    match arm::translate_block_limited(&mut mem, cpu, pc, thumb, it, 1) {
        Ok(one) => run_block(cpu, board, &one, temps),
        Err(fault) => {
            // The page was executable a moment ago; if it no longer is, this is the Prefetch Abort.
            cpu.cp15.ifsr = fault.fsr;
            cpu.cp15.ifar = fault.far;
            cpu.pending = Some(Exception::PrefetchAbort);
            cpu.pending_return = pc;
            ExitReason::Exception
        }
    }
}

/// Runs block `id` through the JIT tier if there is one, else the interpreter.
/// `chain`: compiled blocks may run on into other blocks without returning
/// (not while a debugger or a trace watches every block).
#[inline]
pub(crate) fn run(
    jit: &mut Option<Box<Jit>>,
    cache: &BlockCache,
    id: BlockId,
    cpu: &mut CpuState,
    board: &mut Board,
    temps: &mut Temps,
    chain: bool,
) -> ExitReason {
    match jit.as_deref_mut() {
        Some(j) => j.run(cache, id, cpu, board, temps, chain),
        None => run_block(cpu, board, cache.block(id), temps),
    }
}

impl super::Vm {
    /// Adds the compiled tier (see `JitOptions`). Without it the VM interprets.
    pub fn set_jit(&mut self, opts: JitOptions) -> std::io::Result<()> {
        self.jit = Some(Box::new(Jit::new(opts)?));
        Ok(())
    }

    /// Copies the tier's counters into `stats`.
    pub(super) fn jit_stats(&mut self) {
        let Some(j) = self.jit.as_deref() else { return };
        let s = &j.stats;
        let b = &mut self.stats.blocks;
        b.jit_compiled = s.compiled;
        b.jit_compile_s = s.compile_s;
        b.jit_thread_cpu_s = f64::from_bits(j.worker_cpu.load(std::sync::atomic::Ordering::Relaxed));
        b.jit_failed = s.failed;
        b.jit_code_bytes = s.code_bytes;
        b.jit_runs = s.runs_compiled;
        b.interp_runs = s.runs_interpreted;
        b.jit_exits = s.runs_compiled;
        b.jit_retries = s.retries;
        b.jit_exits_by_reason = s.exits;
        b.jit_chain_hits = s.chain_hits;
        b.jit_freed = s.freed;
        b.jit_code_live_bytes = j.arena.live_bytes() as u64;
        b.quick_compiled = s.quick_compiled;
        b.quick_failed = s.quick_failed;
        b.quick_compile_s = s.quick_compile_s;
        b.quick_code_bytes = s.quick_code_bytes;
        b.jit_regions = s.regions;
        b.jit_region_blocks = s.region_blocks;
        b.jit_cache_promoted = s.cache_promoted;
        b.from_cache = j.tc.as_deref().map_or(0, |t| t.hits);
        let mut t = s.compile_times.clone();
        if !t.is_empty() {
            t.sort_by(|a, b| a.total_cmp(b));
            b.jit_compile_mean_ms = t.iter().map(|&x| x as f64).sum::<f64>() / t.len() as f64 * 1e3;
            b.jit_compile_p99_ms = t[(t.len() * 99 / 100).min(t.len() - 1)] as f64 * 1e3;
        }
    }
}

/// Runs guest code on a board through the tiers without the dispatcher's
/// devices, interrupts and exception entry: for tests that compare engines on
/// instruction sequences (the JIT against the interpreter).
pub struct Harness {
    pub board: Board,
    cache: BlockCache,
    jit: Option<Box<Jit>>,
    temps: Temps,
    _active: crate::mem::fault::ActiveGuard,
}

impl Harness {
    /// A board with `ram_bytes` of RAM (console output to `console`), and the
    /// compiled tier if `jit` is given. Use it on the thread that created it.
    pub fn new(ram_bytes: u64, console: Box<dyn std::io::Write>, jit: Option<JitOptions>) -> std::io::Result<Harness> {
        let mut board = Board::new(ram_bytes, console)?;
        let active = board.activate();
        let jit = match jit {
            Some(o) => Some(Box::new(Jit::new(o)?)),
            None => None,
        };
        Ok(Harness { board, cache: BlockCache::new(), jit, temps: Temps::default(), _active: active })
    }

    /// Forgets every translation (call after changing code in guest memory).
    pub fn forget_code(&mut self) {
        self.cache.clear();
    }

    pub fn jit_stats(&self) -> Option<&JitStats> {
        self.jit.as_deref().map(|j| &j.stats)
    }

    /// The physical PCs of the blocks that have LLVM code: compiled alone or in a compiled region.
    pub fn llvm_pcs(&self) -> std::collections::BTreeSet<u32> {
        let Some(j) = self.jit.as_deref() else { return Default::default() };
        let mut pcs = std::collections::BTreeSet::new();
        for (id, s) in j.slots.iter().enumerate() {
            if s.state == State::Compiled {
                let id = [id as BlockId];
                let members = j.regions.get(&id[0]).map_or(&id[..], |r| &r.members[..]);
                pcs.extend(members.iter().map(|&m| self.cache.block(m).pc));
            }
        }
        pcs
    }

    /// Runs from `cpu.r[15]` until the PC is `stop` (returns Branch), a block exits
    /// with something other than Branch/SysChange (returned; an exception stays
    /// pending in `cpu`), or `max_blocks` blocks ran (returns None). Instructions
    /// are fetched only from `[fetch.0, fetch.1)`; a fetch outside is reported as
    /// a pending Prefetch Abort.
    pub fn run(&mut self, cpu: &mut CpuState, fetch: (u32, u32), stop: u32, max_blocks: usize) -> Option<ExitReason> {
        // The fault handler serves one board per thread: this one, while it runs (a
        // test may hold several harnesses; the last one created was registered).
        let _active = self.board.activate();
        if let Err(e) = self.board.select(cpu) {
            panic!("cannot select a memory view: {e}");
        }
        for _ in 0..max_blocks {
            if cpu.r[15] == stop {
                return Some(ExitReason::Branch);
            }
            let (pc, thumb, it) = (cpu.r[15], cpu.t != 0, cpu.it);
            let pa = match self.board.translate_fetch(cpu, pc) {
                Ok(pa) => pa,
                Err(f) => return Some(self.prefetch_abort(cpu, f)),
            };
            let id = match self.cache.get(pa, thumb, it) {
                Some(id) => id,
                None => {
                    let mut mem = CodeFrom { board: &mut self.board, code: Code::Fenced(fetch.0, fetch.1) };
                    match arm::translate_block(&mut mem, cpu, pc, thumb, it) {
                        Ok(mut b) => {
                            b.pc = pa;
                            // The bytes it was made from, as the VM keeps them (a retry decodes from them).
                            let bytes = super::code_bytes(&mut self.board, cpu, pc, &b);
                            self.cache.insert(b, bytes)
                        }
                        Err(f) => return Some(self.prefetch_abort(cpu, f)),
                    }
                }
            };
            let r = run(&mut self.jit, &self.cache, id, cpu, &mut self.board, &mut self.temps, true);
            match r {
                ExitReason::Branch => {}
                ExitReason::SysChange => {
                    let _ = self.board.select(cpu);
                }
                other => return Some(other),
            }
        }
        None
    }

    fn prefetch_abort(&mut self, cpu: &mut CpuState, f: crate::mem::MemFault) -> ExitReason {
        cpu.cp15.ifsr = f.fsr;
        cpu.cp15.ifar = f.far;
        cpu.pending = Some(Exception::PrefetchAbort);
        cpu.pending_return = cpu.r[15];
        ExitReason::Exception
    }
}

/// Whether the last block run went on into other blocks (so the PC after it
/// says nothing about that block alone).
#[inline]
pub(crate) fn chained(jit: &Option<Box<Jit>>) -> bool {
    jit.as_deref().is_some_and(|j| j.chained)
}

/// Chained jumps (and loop rounds) in the last run of compiled code.
pub(crate) fn hops(jit: &Option<Box<Jit>>) -> u64 {
    jit.as_deref().map_or(0, |j| j.last_hops)
}

/// Whether chain links may lead into code on the virtual page of `va` (else a change of that page's
/// mapping leaves every link valid).
pub(crate) fn links_into_page(jit: &Option<Box<Jit>>, va: u32) -> bool {
    jit.as_deref().is_some_and(|j| j.link_pages.get((va >> 12) as usize).is_some_and(|&g| g == j.gen as u32))
}

/// Instruction-cache maintenance happened (see `Jit::icache_maintenance`).
pub(crate) fn icache_maintenance(jit: &mut Option<Box<Jit>>, cache: &BlockCache, board: &Board, pages: Option<&[u32]>) {
    if let Some(j) = jit.as_deref_mut() {
        j.icache_maintenance(cache, board, pages);
    }
}

/// Frees the compiled code of block `id`, which went stale.
/// Whether block `id`'s compiled code, if it is a region's, was made from the guest code there now.
pub(crate) fn region_current(jit: &Option<Box<Jit>>, cache: &BlockCache, board: &Board, id: BlockId) -> bool {
    jit.as_deref().is_none_or(|j| j.region_current(cache, board, id))
}

pub(crate) fn forget(jit: &mut Option<Box<Jit>>, id: BlockId, pa: u32) {
    if let Some(j) = jit.as_deref_mut() {
        j.forget(id, pa);
    }
}

/// Forgets chain links: guest code or mappings may have changed.
pub(crate) fn flush_chains(jit: &mut Option<Box<Jit>>) {
    if let Some(j) = jit.as_deref_mut() {
        j.flush_chains();
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::RAM_BASE;
    use crate::exec::backend::testing::{block, Echo};

    /// A JIT whose threshold is never reached (nothing is compiled) and two one-instruction
    /// blocks, `mov r0, r0` at `HEAD_PA` and `MEMBER_PA`, in its block cache.
    fn two_blocks() -> (Harness, BlockId, BlockId) {
        let opts = JitOptions { backend: Arc::new(Echo), threshold: 100, log: false, quick: None };
        let mut h = Harness::new(0x10_0000, Box::new(std::io::sink()), Some(opts)).unwrap();
        assert!(h.board.write_phys(HEAD_PA, &MOV) && h.board.write_phys(MEMBER_PA, &MOV));
        let head = h.cache.insert(block(HEAD_PA), MOV.to_vec());
        let member = h.cache.insert(block(MEMBER_PA), MOV.to_vec());
        (h, head, member)
    }
    const HEAD_PA: u32 = RAM_BASE + 0x1000;
    const MEMBER_PA: u32 = RAM_BASE + 0x1040;
    const MOV: [u8; 4] = 0xe1a0_0000u32.to_le_bytes(); // mov r0, r0

    #[test]
    fn a_region_is_current_only_while_every_member_has_its_bytes() {
        let (mut h, head, member) = two_blocks();
        let j = h.jit.as_deref_mut().unwrap();
        assert!(j.region_current(&h.cache, &h.board, head), "a block that heads no region");
        j.regions.insert(head, Region { members: vec![head, member], exit_slots: 2 });
        assert!(j.region_current(&h.cache, &h.board, head), "unchanged members");
        // The member's code changes (the head's does not): the region's code is stale.
        assert!(h.board.write_phys(MEMBER_PA + 3, &[0xe0]));
        let j = h.jit.as_deref().unwrap();
        assert!(!j.region_current(&h.cache, &h.board, head), "a member changed");
        // As the dispatcher does at revalidation: the head is translated again, under a new id.
        h.cache.discard(head);
        assert_eq!(h.cache.peek(HEAD_PA, false, 0), None);
    }

    /// `n` blocks of one ARM instruction each from `CHAIN_PA` on: a `b` to the next one, and the
    /// last a `b` back to the first (`loop_back`) or a `bx lr`. Translated by the runtime's
    /// translator, in the cache, and each warm (run as often as the threshold, in the interpreter).
    fn branch_chain(n: usize, loop_back: bool) -> (Harness, Vec<BlockId>) {
        let opts = JitOptions { backend: Arc::new(Echo), threshold: 100, log: false, quick: None };
        let mut h = Harness::new(0x10_0000, Box::new(std::io::sink()), Some(opts)).unwrap();
        let words: Vec<u32> = (0..n)
            .map(|k| match (k + 1 == n, loop_back) {
                // b .+4 (imm24 = -1: the target is PC + 8 - 4)
                (false, _) => 0xeaff_ffff,
                (true, true) => 0xea00_0000 | ((-(k as i32) - 2) as u32 & 0x00ff_ffff),
                (true, false) => 0xe12f_ff1e,
            })
            .collect();
        assert!(h.board.write_phys(CHAIN_PA, &words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()));
        let mut cpu = crate::cpu::CpuState::new();
        let ids: Vec<BlockId> = (0..n as u32)
            .map(|k| {
                let pc = CHAIN_PA + 4 * k;
                let b = arm::translate_block(&mut h.board, &mut cpu, pc, false, 0).unwrap();
                assert_eq!(b.insns.len(), 1);
                h.cache.insert(b, words[k as usize].to_le_bytes().to_vec())
            })
            .collect();
        let j = h.jit.as_deref_mut().unwrap();
        j.slots.resize(ids.len(), Slot::default());
        for &id in &ids {
            j.slots[id as usize].count = 100;
        }
        (h, ids)
    }
    const CHAIN_PA: u32 = RAM_BASE + 0x2000;

    #[test]
    fn a_region_takes_a_loop_through_its_first_block_beyond_eight_blocks() {
        let (h, ids) = branch_chain(12, true);
        let j = h.jit.as_deref().unwrap();
        assert_eq!(j.region_for(&h.cache, ids[0]), ids, "the whole loop");
        // Longer than the loop limit: no way back is found, the first eight stay.
        let (h, ids) = branch_chain(REGION_LOOP_MEMBERS + 2, true);
        let j = h.jit.as_deref().unwrap();
        assert_eq!(j.region_for(&h.cache, ids[0]), ids[..REGION_MEMBERS]);
    }

    #[test]
    fn a_region_without_a_loop_keeps_eight_blocks() {
        let (h, ids) = branch_chain(12, false);
        let j = h.jit.as_deref().unwrap();
        assert_eq!(j.region_for(&h.cache, ids[0]), ids[..REGION_MEMBERS]);
        // A cold block ends the way: the region stops before it.
        let (mut h, ids) = branch_chain(12, true);
        let j = h.jit.as_deref_mut().unwrap();
        j.slots[ids[5] as usize].count = 1;
        assert_eq!(j.region_for(&h.cache, ids[0]), ids[..5]);
    }

    #[test]
    fn a_region_exits_to_a_block_with_code_of_its_own_unless_it_loops_back() {
        let (mut h, ids) = branch_chain(12, false);
        let j = h.jit.as_deref_mut().unwrap();
        j.slots[ids[3] as usize].state = State::Compiled;
        assert_eq!(j.region_for(&h.cache, ids[0]), ids[..3], "the blocks after it are its code's");
        j.slots[ids[3] as usize].state = State::Queued;
        assert_eq!(j.region_for(&h.cache, ids[0]), ids[..3], "queued counts as code");
        // On a loop through the first block it stays: the loop runs inside the region.
        let (mut h, ids) = branch_chain(12, true);
        let j = h.jit.as_deref_mut().unwrap();
        j.slots[ids[3] as usize].state = State::Compiled;
        assert_eq!(j.region_for(&h.cache, ids[0]), ids);
    }

    #[test]
    fn a_cleared_block_cache_leaves_no_region_under_a_reused_id() {
        let (mut h, head, member) = two_blocks();
        let j = h.jit.as_deref_mut().unwrap();
        j.sync_generation(&h.cache);
        j.regions.insert(head, Region { members: vec![head, member], exit_slots: 2 });
        // A reset (or an SCTLR.A change, or gdb) clears the block cache: ids are handed out again.
        h.forget_code();
        let other = h.cache.insert(block(MEMBER_PA), MOV.to_vec());
        assert_eq!(other, head, "the cache reuses the id");
        let j = h.jit.as_deref_mut().unwrap();
        j.sync_generation(&h.cache);
        assert!(j.regions.get(&other).is_none(), "the old region's members and exit slots would be the new block's");
    }
}
