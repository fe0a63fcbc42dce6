//! The dispatcher: finds or translates the block at the current PC, runs it,
//! handles what it exits with (exceptions, PSCI calls, system changes), and keeps
//! the statistics. Engines sit behind `Backend` (the interpreter is built in; the
//! LLVM JIT and the AOT cache come later) so devices never know which one ran.

pub mod backend;
mod cache;
mod gdb;
pub mod jit;
pub mod quick;
pub mod remote;
pub(crate) mod jit_entry;
pub mod stats;
pub mod tcache;
mod trace;

use std::io::Write;
use std::time::{Duration, Instant};

use crate::arm;
use crate::board::Board;
use crate::cpu::{CpuState, Exception, ExitReason, Mode, EAIF_I, SYS_ATS, SYS_ICACHE, SYS_MMU, SYS_TIMER, SYS_TLB};
use crate::devices::timer;
use crate::devices::psci::{self, PsciAction};
use crate::ir::interp::Temps;

pub use cache::BlockCache;
pub use jit::JitOptions;
pub use stats::Stats;
pub use tcache::TRANSLATOR_VERSION;

/// Why the VM stopped. Each has its own process exit status (see `exit_code`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// PSCI SYSTEM_OFF.
    PowerOff,
    /// PSCI SYSTEM_RESET (reboot is not emulated: the VM stops, like QEMU -no-reboot).
    Reset,
    /// `--timeout` expired.
    Timeout(Duration),
    /// The guest can no longer make progress (e.g. waits for an interrupt that can never come).
    Halted(String),
    /// The guest kernel panicked (its console said so).
    GuestPanic(String),
}

impl Stop {
    /// Process exit status for this stop (documented in the README).
    pub fn exit_code(&self) -> i32 {
        match self {
            Stop::PowerOff => 0,
            Stop::Reset => 0,
            Stop::Timeout(_) => 124,
            Stop::Halted(_) => 125,
            Stop::GuestPanic(_) => 3,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Stop::PowerOff => "guest powered off".into(),
            Stop::Reset => "guest requested a reset (stopping, as QEMU -no-reboot does)".into(),
            Stop::Timeout(d) => format!("timeout: the guest was still running after {:.1} s", d.as_secs_f64()),
            Stop::Halted(why) => format!("guest halted: {why}"),
            Stop::GuestPanic(line) => format!("the guest kernel panicked: {line}"),
        }
    }
}

/// Run-time options of the VM.
#[derive(Default)]
pub struct Config {
    pub timeout: Option<Duration>,
    /// One line per executed instruction (state before it), for differential debugging.
    pub trace: Option<Box<dyn Write>>,
    /// Report every Undefined Instruction exception on stderr (HSPT_LOG_UNDEF=1).
    pub log_undefined: bool,
    /// Print the IR of every block translated (HSPT_DUMP_IR=1).
    pub dump_ir: bool,
    /// Whether console input can arrive (then a WFI with no timer armed just waits).
    pub console_input: bool,
    /// Polls the host console for bytes typed since the last call.
    pub input: Option<Box<dyn FnMut() -> Vec<u8>>>,
}

/// A virtual machine: one CPU, its board, the block cache.
pub struct Vm {
    pub cpu: Box<CpuState>,
    pub board: Board,
    pub cache: BlockCache,
    pub stats: Stats,
    config: Config,
    temps: Temps,
    last_exception_pc: Option<u32>,
    repeat_exceptions: u32,
    last_sctlr: u32,
    /// Retired instructions when the last exception was taken.
    last_exception_insns: u64,
    /// Dispatcher rounds left after a kernel panic message before stopping.
    panic_grace: u32,
    /// The compiled tier (None: interpreter only).
    jit: Option<Box<jit::Jit>>,
    /// The gdb stub, when `--gdb` listens (see gdb.rs).
    debug: Option<Box<gdb::Debugger>>,
}

/// Dispatches between two polls of the timer, the console and the run's limits (`Vm::run_loop`);
/// a run of chained compiled code counts as many as its share of the chain budget.
const POLL_EVERY: u32 = 256;

impl Vm {
    pub fn new(board: Board, config: Config) -> Vm {
        Vm { cpu: Box::new(CpuState::new()), board, cache: BlockCache::new(), stats: Stats::default(), config, temps: Temps::default(), last_exception_pc: None, repeat_exceptions: 0, last_sctlr: 0, last_exception_insns: 0, panic_grace: 20_000, jit: None, debug: None }
    }

    /// Enters the guest like QEMU enters a bare ELF or kernel: SVC mode, IRQ/FIQ
    /// masked, MMU off, at `entry` (Thumb if `thumb`), with r0–r2 given.
    pub fn reset(&mut self, entry: u32, thumb: bool, regs: [u32; 3]) {
        *self.cpu = CpuState::new();
        self.cpu.r[0] = regs[0];
        self.cpu.r[1] = regs[1];
        self.cpu.r[2] = regs[2];
        self.cpu.r[15] = entry;
        self.cpu.t = thumb as u8;
        // The flags are UNKNOWN at reset; QEMU's reset state has Z set, and matching it
        // keeps instruction traces comparable from the first instruction.
        self.cpu.z = 1;
        self.cache.clear();
    }

    /// Runs until the guest powers off, halts, or the timeout expires.
    pub fn run(&mut self) -> Stop {
        let start = Instant::now();
        let cpu0 = stats::thread_cpu_s();
        let mut stop = self.run_loop(start);
        self.stats.vm_thread_cpu_s = stats::thread_cpu_s() - cpu0;
        // A panicking kernel reboots (panic=-1), spins or halts: report the panic instead.
        if let Some(line) = self.board.uart.panic_line.clone() {
            if stop != Stop::PowerOff {
                stop = Stop::GuestPanic(line);
            }
        }
        self.gdb_finish(&stop);
        self.stats.wall_s = start.elapsed().as_secs_f64();
        self.stats.guest_insns = self.cpu.insns;
        self.stats.undefined_insns = self.cpu.undefined_insns;
        self.stats.blocks.distinct = self.cache.distinct() as u64;
        let (fills, aborts, flushes, recycled, peak) = self.board.hspt_stats();
        let (prefilled, mapped, unmapped, causes, org) = self.board.hspt_detail();
        self.stats.hspt.organisation = org;
        self.stats.hspt.prefilled = prefilled;
        self.stats.hspt.pages_mapped = mapped;
        self.stats.hspt.pages_unmapped = unmapped;
        self.stats.hspt.flushes_by_cause = stats::FlushCauses {
            tlb_maintenance: causes.tlb,
            context_switch: causes.context_switch,
            region_recycled: causes.recycle,
            host_mapping_limit: causes.host_limit,
        };
        let (hits, misses) = self.board.softmmu_stats();
        self.stats.softmmu.hits = hits;
        self.stats.softmmu.misses = misses;
        self.stats.mmu = match self.board.mmu_mode() {
            crate::board::MmuMode::Hspt => "hspt",
            crate::board::MmuMode::Soft => "soft",
        };
        self.stats.hspt.fills = fills;
        self.stats.hspt.guest_aborts = aborts;
        self.stats.hspt.abort_refills = self.board.abort_refills;
        // Flush events (a TLBIALL counts once however many views it empties).
        self.stats.hspt.flushes = causes_total(self.board.hspt_detail().3);
        self.stats.hspt.views_flushed = flushes;
        self.stats.hspt.regions_recycled = recycled;
        self.stats.hspt.peak_host_mappings = peak;
        self.jit_stats();
        self.board.flush();
        if let Some(t) = self.config.trace.as_mut() {
            let _ = t.flush();
        }
        stop
    }

    fn run_loop(&mut self, start: Instant) -> Stop {
        // Guest accesses fault into HSPT's handler, which serves this board's regions.
        let _active = self.board.activate();
        tracing::debug!(pc = format_args!("0x{:08x}", self.cpu.r[15]), thumb = self.cpu.t != 0, "dispatcher starts");
        if let Err(e) = self.board.select(&mut self.cpu) {
            return Stop::Halted(format!("host error: cannot create a shadow region: {e}"));
        }
        let max_insns = if self.config.trace.is_some() { 1 } else { arm::MAX_BLOCK_INSNS };
        let mut countdown: u32 = 0;
        loop {
            if countdown == 0 {
                countdown = POLL_EVERY;
                if let Some(limit) = self.config.timeout {
                    if start.elapsed() >= limit {
                        return Stop::Timeout(limit);
                    }
                }
                timer::sync_gic(&self.cpu.cp15, &mut self.board.gic, timer::counter());
                if !self.board.uart.sample_requests.is_empty() {
                    self.take_samples(start);
                }
                if let Some(line) = &self.board.uart.panic_line {
                    // Give the kernel a moment to print the rest of its report, then stop.
                    if self.panic_grace == 0 {
                        return Stop::GuestPanic(line.clone());
                    }
                    self.panic_grace -= 1;
                }
                if let Some(poll) = self.config.input.as_mut() {
                    let bytes = poll();
                    if !bytes.is_empty() {
                        self.board.uart.push_input(&bytes);
                        self.board.update_irq_lines();
                    }
                }
            }
            countdown -= 1;
            // gdb: breakpoints, steps, watchpoints and Ctrl-C, before the block at the PC runs.
            if self.debug.is_some() {
                if let Some(stop) = self.gdb_boundary() {
                    return stop;
                }
            }
            // Interrupts are taken at block boundaries (not during a gdb single step, as QEMU).
            let irq = self.board.gic.irq_line();
            self.cpu.irq_line = irq as u8;
            if irq && self.cpu.eaif & EAIF_I == 0 && !self.gdb_stepping() {
                let ret = self.cpu.r[15];
                self.cpu.take_exception(Exception::Irq, ret);
                self.stats.interrupts += 1;
                self.after_exception();
                continue;
            }

            let cpu = &mut *self.cpu;
            let (pc, thumb, it) = (cpu.r[15], cpu.t != 0, cpu.it);
            // Blocks are keyed by the physical address of their code.
            let pa = match self.board.translate_fetch(cpu, pc) {
                Ok(pa) => pa,
                Err(fault) => {
                    cpu.cp15.ifsr = fault.fsr & !crate::mem::fsr::WNR;
                    cpu.cp15.ifar = pc;
                    cpu.take_exception(Exception::PrefetchAbort, pc);
                    if let Some(stop) = self.check_runaway(pc) {
                        return stop;
                    }
                    self.after_exception();
                    continue;
                }
            };
            let mut found = self.cache.get(pa, thumb, it);
            if let Some(id) = found {
                if self.cache.block(id).crosses_page() {
                    // Its key names the first page only: the bytes are checked at every run
                    // (all of its runs come here, since it is never compiled).
                    let len = self.cache.block(id).len;
                    if fetched_bytes(&mut self.board, cpu, pc, len).as_deref() != Some(self.cache.bytes(id)) {
                        self.cache.discard(id);
                        found = None;
                        jit::forget(&mut self.jit, id, pa);
                        // Its code may be compiled and linked to (chained jumps that its guard
                        // sent back here): no link may lead to the memory given back.
                        jit::flush_chains(&mut self.jit);
                    }
                } else if !self.cache.is_current(id) {
                    let mut bytes = vec![0u8; self.cache.bytes_len(id)];
                    let readable = self.board.read_phys(pa, &mut bytes);
                    if !(readable && self.cache.revalidate(id, &bytes)) {
                        found = None;
                        // Its code can never run again: give the memory back.
                        jit::forget(&mut self.jit, id, pa);
                    } else if !jit::region_current(&self.jit, &self.cache, &self.board, id) {
                        // Its own code is unchanged, but its compiled code is a region's, and
                        // another block in it has changed: translate it again, as a new block.
                        self.cache.discard(id);
                        found = None;
                        jit::forget(&mut self.jit, id, pa);
                    }
                }
            }
            // gdb: a block must not run past a breakpoint (nor more than one instruction of a step).
            let (limit, cacheable) = match self.debug.as_deref_mut() {
                Some(d) => {
                    if found.is_some_and(|id| d.must_split(pc, self.cache.block(id))) {
                        found = None;
                    }
                    d.block_limit(&self.board, pa, pc, thumb, max_insns)
                }
                None => (max_insns, true),
            };
            let block = match found {
                Some(b) => b,
                None => match arm::translate_block_limited(&mut self.board, cpu, pc, thumb, it, limit) {
                    Ok(mut b) => {
                        self.stats.blocks.interpreted += 1;
                        if self.config.dump_ir {
                            eprintln!("block 0x{pc:08x} ({}):", if thumb { "Thumb" } else { "ARM" });
                            for op in &b.ops {
                                eprintln!("    {op:?}");
                            }
                        }
                        b.pc = pa;
                        let bytes = code_bytes(&mut self.board, cpu, pc, &b);
                        if cacheable {
                            self.cache.insert(b, bytes)
                        } else {
                            self.cache.insert_uncached(b, bytes)
                        }
                    }
                    Err(fault) => {
                        // Prefetch Abort on the first instruction (B3.13).
                        cpu.cp15.ifsr = fault.fsr;
                        cpu.cp15.ifar = fault.far;
                        cpu.take_exception(Exception::PrefetchAbort, pc);
                        if let Some(stop) = self.check_runaway(pc) {
                            return stop;
                        }
                        self.after_exception();
                        continue;
                    }
                },
            };
            if self.cache.block(block).crosses_page() {
                self.stats.blocks.page_crossing_runs += 1;
            }
            if let Some(t) = self.config.trace.as_mut() {
                trace::line(t, cpu);
            }
            let chain = self.debug.is_none() && self.config.trace.is_none();
            let exit = jit::run(&mut self.jit, &self.cache, block, cpu, &mut self.board, &mut self.temps, chain);
            // Long runs of chained code count towards the next poll: the timer is looked at
            // after at most one chain budget's worth of blocks, however few the dispatches.
            let hops = jit::hops(&self.jit);
            if hops > 0 {
                let per_poll = (jit::CHAIN_BUDGET as u64 / POLL_EVERY as u64).max(1);
                countdown = countdown.saturating_sub((hops / per_poll) as u32);
            }
            let b = self.cache.block(block);
            match exit {
                ExitReason::Branch => {
                    // `b .` with nothing that could ever interrupt it.
                    if cpu.r[15] == pc && b.insns.len() == 1 && b.ops.iter().all(|op| !is_side_effect(op)) && self.debug.is_none() && !jit::chained(&self.jit) {
                        return Stop::Halted(format!(
                            "the guest is spinning at 0x{:08x} ({} mode) and no interrupt can arrive",
                            pc,
                            cpu.current_mode().name()
                        ));
                    }
                }
                ExitReason::SysChange => self.sys_change(),
                ExitReason::Exception => {
                    if let Some(e) = cpu.pending.take() {
                        let ret = cpu.pending_return;
                        if e == Exception::Undefined && self.config.log_undefined {
                            let word = self.board.read_phys_u32(ret & !3).unwrap_or(0);
                            tracing::warn!(
                                "undefined instruction at 0x{ret:08x} ({} state, word at aligned address 0x{word:08x})",
                                if cpu.t != 0 { "Thumb" } else { "ARM" }
                            );
                        }
                        if e == Exception::DataAbort {
                            self.board.note_data_abort(cpu);
                        }
                        cpu.take_exception(e, ret);
                        if let Some(stop) = self.check_runaway(ret) {
                            return stop;
                        }
                    }
                    self.sys_change();
                    self.after_exception();
                }
                ExitReason::Hvc => {
                    let pc = cpu.r[15];
                    match psci::call(cpu.r[0], cpu.r[1]) {
                        PsciAction::Return(v) => cpu.r[0] = v,
                        PsciAction::PowerOff => return Stop::PowerOff,
                        PsciAction::Reset => return Stop::Reset,
                        PsciAction::Suspend => {
                            return Stop::Halted("PSCI CPU_OFF/CPU_SUSPEND with no interrupt source".into())
                        }
                    }
                    cpu.r[15] = pc.wrapping_add(4);
                    cpu.it = arm::it_advance(cpu.it);
                }
                ExitReason::Smc => {
                    // No Security Extensions monitor here: SMC is UNDEFINED (as on QEMU's virt).
                    cpu.undefined_insns += 1;
                    let pc = cpu.r[15];
                    cpu.take_exception(Exception::Undefined, pc);
                    self.after_exception();
                }
                ExitReason::Bkpt => {
                    // No debugger attached: a BKPT is a Prefetch Abort debug event (IFSR 0x2).
                    let pc = cpu.r[15];
                    cpu.cp15.ifsr = 0x2;
                    cpu.cp15.ifar = pc;
                    cpu.take_exception(Exception::PrefetchAbort, pc);
                    self.after_exception();
                }
                ExitReason::Wfi => {
                    if let Some(stop) = self.wait_for_interrupt(start) {
                        return stop;
                    }
                }
            }
        }
    }

    /// An exception whose handler immediately faults again (no vectors loaded)
    /// would loop forever: detect the vector faulting on itself.
    /// Records the VM's memory use for each `HSPT-SAMPLE` line the guest printed.
    fn take_samples(&mut self, start: Instant) {
        for label in std::mem::take(&mut self.board.uart.sample_requests) {
            let mut s = stats::Sample::of_this_process(label);
            s.wall_s = start.elapsed().as_secs_f64();
            s.guest_insns = self.cpu.insns;
            s.blocks = self.cache.distinct() as u64;
            // Both compiled tiers' code (LLVM's and quick code) lives in the arena.
            s.jit_code_bytes = self.jit.as_deref().map_or(0, |j| j.stats.code_bytes + j.stats.quick_code_bytes);
            s.jit_code_live_bytes = self.jit.as_deref().map_or(0, |j| j.code_live_bytes());
            tracing::debug!(label = %s.label, rss_kib = s.rss_kib, rss_anon_kib = s.rss_anon_kib, host_maps = s.host_maps, "memory sample");
            self.stats.samples.push(s);
        }
    }

    fn check_runaway(&mut self, _from: u32) -> Option<Stop> {
        self.stats.exceptions += 1;
        let pc = self.cpu.r[15];
        // A runaway takes the same exception again and again with nothing retired in
        // between (a vector that faults on itself). Many system calls in a row are
        // not one: instructions run between them.
        let progressed = self.cpu.insns != self.last_exception_insns;
        self.last_exception_insns = self.cpu.insns;
        if self.last_exception_pc == Some(pc) && !progressed {
            self.repeat_exceptions += 1;
            if self.repeat_exceptions > 1000 {
                return Some(Stop::Halted(format!(
                    "exception loop: the exception vector at 0x{pc:08x} keeps faulting (no vector table?)"
                )));
            }
        } else {
            self.repeat_exceptions = 0;
            self.last_exception_pc = Some(pc);
        }
        None
    }

    /// WFI: sleep until an interrupt is pending (even if masked, B1.8.13), the
    /// timer fires, or the timeout; a guest that waits with nothing to wake it is halted.
    fn wait_for_interrupt(&mut self, start: Instant) -> Option<Stop> {
        loop {
            let now = timer::counter();
            timer::sync_gic(&self.cpu.cp15, &mut self.board.gic, now);
            self.board.update_irq_lines();
            if self.board.gic.irq_line() {
                return None;
            }
            let mut wait = Duration::from_millis(10);
            match timer::next_deadline(&self.cpu.cp15, now) {
                Some(deadline) => wait = wait.min(timer::ticks_to_duration(deadline.saturating_sub(now))),
                None if !self.config.console_input && self.debug.is_none() => {
                    let pc = self.cpu.r[15].wrapping_sub(if self.cpu.t != 0 { 2 } else { 4 });
                    return Some(Stop::Halted(format!(
                        "WFI at 0x{pc:08x} with no interrupt source armed: the guest would sleep forever"
                    )));
                }
                None => {}
            }
            if let Some(limit) = self.config.timeout {
                let left = limit.saturating_sub(start.elapsed());
                if left.is_zero() {
                    return Some(Stop::Timeout(limit));
                }
                wait = wait.min(left);
            }
            self.stats.wfi_sleeps += 1;
            std::thread::sleep(wait);
            if let Some(d) = self.debug.as_deref_mut() {
                // Wake up (WFI may end spuriously) so the dispatcher hears gdb's Ctrl-C.
                d.poll_soon();
                return None;
            }
            if let Some(poll) = self.config.input.as_mut() {
                let bytes = poll();
                if !bytes.is_empty() {
                    self.board.uart.push_input(&bytes);
                    self.board.update_irq_lines();
                }
            }
        }
    }

    /// Mode and masks changed: pick the memory view again.
    fn after_exception(&mut self) {
        // A failure to reserve a view leaves the old one in place; it is retried next time.
        let _ = self.board.select(&mut self.cpu);
    }

    fn sys_change(&mut self) {
        let fx = std::mem::take(&mut self.cpu.sys_effects);
        // Chain links are keyed by virtual PC and view base. A change of translation regime (SYS_MMU:
        // TTBRs, ASID, DACR, SCTLR) selects another view, whose base keys other links; a view that
        // starts serving another regime (recycled, a shared view changing hands) makes the JIT forget
        // its links itself (`Jit::run`'s token). The software MMU has no per-regime base: it forgets.
        // TLB maintenance of single pages (most of it: Linux invalidates a page at a time as it unmaps
        // or remaps data) only matters to links into code on those pages.
        let soft = self.board.mmu_mode() == crate::board::MmuMode::Soft;
        let tlb_cuts_links = fx & SYS_TLB != 0
            && match self.cpu.tlb_op {
                Some(crate::sys::TlbOp::Mva { va, .. }) | Some(crate::sys::TlbOp::MvaAllAsids(va)) => jit::links_into_page(&self.jit, va),
                _ => true,
            };
        // Instruction-cache maintenance: the pages whose code may have changed are those the data-cache
        // maintenance since the last one named (None: any page). Linux cleans a page before it first maps
        // it executable, and then invalidates the whole instruction cache at every executable mapping;
        // most of those name no page, and then nothing has to be checked.
        let changed = if fx & SYS_ICACHE != 0 { Some(self.cpu.dc_take()) } else { None };
        let icache_work = changed.as_ref().is_some_and(|c| c.as_ref().is_none_or(|p| !p.is_empty()));
        if tlb_cuts_links || (fx & SYS_MMU != 0 && soft) {
            jit::flush_chains(&mut self.jit);
        } else if icache_work {
            let pages = changed.as_ref().and_then(|c| c.as_deref());
            jit::icache_maintenance(&mut self.jit, &self.cache, &self.board, pages);
        }
        if let Some(c) = changed {
            match c {
                None => self.cache.new_epoch(),
                Some(pages) => {
                    self.stats.icache_pages += pages.len() as u64;
                    if pages.is_empty() {
                        self.stats.icache_unchanged += 1;
                    }
                    self.cache.code_changed(&pages);
                }
            }
            self.stats.icache_flushes += 1;
        }
        if fx & SYS_ATS != 0 {
            if let Some(req) = self.cpu.ats.take() {
                self.board.address_translation(&mut self.cpu, req);
            }
        }
        if fx & SYS_TIMER != 0 {
            timer::sync_gic(&self.cpu.cp15, &mut self.board.gic, timer::counter());
        }
        if fx & SYS_TLB != 0 {
            if let Some(op) = self.cpu.tlb_op.take() {
                self.board.tlb_maintenance(op);
            }
            self.stats.tlb_flushes += 1;
        }
        // Alignment checking (SCTLR.A) is decided at translation time.
        let sctlr = self.cpu.cp15.sctlr;
        if (sctlr ^ self.last_sctlr) & 2 != 0 {
            self.cache.clear();
        }
        self.last_sctlr = sctlr;
        let _ = self.board.select(&mut self.cpu);
    }

    /// Current mode, for diagnostics.
    pub fn mode(&self) -> Mode {
        self.cpu.current_mode()
    }
}

fn is_side_effect(op: &crate::ir::Op) -> bool {
    use crate::ir::Op;
    matches!(op, Op::Store { .. } | Op::StoreExcl { .. } | Op::Load { .. } | Op::Call { .. } | Op::SetReg { .. })
}

fn causes_total(c: crate::mem::hspt::FlushCounts) -> u64 {
    c.tlb + c.context_switch + c.recycle + c.host_limit
}

/// The guest bytes block `b` (at virtual `pc`, physical `b.pc`) was translated from, as the
/// block map keeps them: read from RAM at its physical address, or, for a block that crosses
/// into the next page, fetched through the MMU (empty if not all of them are RAM: such a block
/// is never revalidated).
pub(crate) fn code_bytes(board: &mut Board, cpu: &mut CpuState, pc: u32, b: &crate::ir::Block) -> Vec<u8> {
    if b.crosses_page() {
        // The next page is not the physical page after the first.
        return fetched_bytes(board, cpu, pc, b.len).unwrap_or_default();
    }
    let mut bytes = vec![0u8; b.len as usize];
    if !board.read_phys(b.pc, &mut bytes) {
        bytes.clear();
    }
    bytes
}

/// The `len` bytes of Thumb code at `pc` as the guest's instruction fetches see them now
/// (None if one of them faults): the bytes of a block that crosses into the next page,
/// whose physical page need not follow the first's.
fn fetched_bytes(board: &mut Board, cpu: &mut CpuState, pc: u32, len: u32) -> Option<Vec<u8>> {
    use crate::mem::GuestMemory;
    let mut v = Vec::with_capacity(len as usize);
    for off in (0..len).step_by(2) {
        let h = board.fetch(cpu, pc.wrapping_add(off), 2).ok()?;
        v.extend_from_slice(&(h as u16).to_le_bytes());
    }
    Some(v)
}
