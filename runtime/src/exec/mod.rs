//! The dispatcher: finds or translates the block at the current PC, runs it,
//! handles what it exits with (exceptions, PSCI calls, system changes), and keeps
//! the statistics. Engines sit behind `Backend` (the interpreter is built in; the
//! LLVM JIT and the AOT cache come later) so devices never know which one ran.

mod cache;
pub mod stats;
mod trace;

use std::io::Write;
use std::time::{Duration, Instant};

use crate::arm;
use crate::board::Board;
use crate::cpu::{CpuState, Exception, ExitReason, Mode, SYS_ICACHE, SYS_TLB};
use crate::devices::psci::{self, PsciAction};
use crate::ir::interp::{run_block, Temps};

pub use cache::BlockCache;
pub use stats::Stats;

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
}

impl Stop {
    /// Process exit status for this stop (documented in the README).
    pub fn exit_code(&self) -> i32 {
        match self {
            Stop::PowerOff => 0,
            Stop::Reset => 0,
            Stop::Timeout(_) => 124,
            Stop::Halted(_) => 125,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Stop::PowerOff => "guest powered off".into(),
            Stop::Reset => "guest requested a reset (stopping, as QEMU -no-reboot does)".into(),
            Stop::Timeout(d) => format!("timeout: the guest was still running after {:.1} s", d.as_secs_f64()),
            Stop::Halted(why) => format!("guest halted: {why}"),
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
}

impl Vm {
    pub fn new(board: Board, config: Config) -> Vm {
        Vm { cpu: Box::new(CpuState::new()), board, cache: BlockCache::new(), stats: Stats::default(), config, temps: Temps::default(), last_exception_pc: None, repeat_exceptions: 0, last_sctlr: 0 }
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
        self.cache.clear();
    }

    /// Runs until the guest powers off, halts, or the timeout expires.
    pub fn run(&mut self) -> Stop {
        let start = Instant::now();
        let stop = self.run_loop(start);
        self.stats.wall_s = start.elapsed().as_secs_f64();
        self.stats.guest_insns = self.cpu.insns;
        self.stats.undefined_insns = self.cpu.undefined_insns;
        self.stats.blocks.distinct = self.cache.distinct() as u64;
        let (fills, aborts, flushes, recycled, peak) = self.board.hspt_stats();
        self.stats.hspt.organisation = "private";
        self.stats.hspt.fills = fills;
        self.stats.hspt.guest_aborts = aborts;
        self.stats.hspt.flushes = flushes;
        self.stats.hspt.regions_recycled = recycled;
        self.stats.hspt.peak_host_mappings = peak;
        self.board.flush();
        if let Some(t) = self.config.trace.as_mut() {
            let _ = t.flush();
        }
        stop
    }

    fn run_loop(&mut self, start: Instant) -> Stop {
        // Guest accesses fault into HSPT's handler, which serves this board's regions.
        let _active = self.board.activate();
        if let Err(e) = self.board.select(&mut self.cpu) {
            return Stop::Halted(format!("host error: cannot create a shadow region: {e}"));
        }
        let max_insns = if self.config.trace.is_some() { 1 } else { arm::MAX_BLOCK_INSNS };
        let mut countdown: u32 = 0;
        loop {
            if countdown == 0 {
                countdown = 4096;
                if let Some(limit) = self.config.timeout {
                    if start.elapsed() >= limit {
                        return Stop::Timeout(limit);
                    }
                }
            }
            countdown -= 1;

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
            let block = match self.cache.get(pa, thumb, it) {
                Some(b) => b,
                None => match arm::translate_block_limited(&mut self.board, cpu, pc, thumb, it, max_insns) {
                    Ok(mut b) => {
                        self.stats.blocks.interpreted += 1;
                        if self.config.dump_ir {
                            eprintln!("block 0x{pc:08x} ({}):", if thumb { "Thumb" } else { "ARM" });
                            for op in &b.ops {
                                eprintln!("    {op:?}");
                            }
                        }
                        b.pc = pa;
                        self.cache.insert(b)
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
            if let Some(t) = self.config.trace.as_mut() {
                trace::line(t, cpu);
            }
            let b = self.cache.block(block);
            let exit = run_block(cpu, &mut self.board, b, &mut self.temps);
            match exit {
                ExitReason::Branch => {
                    // `b .` with nothing that could ever interrupt it.
                    if cpu.r[15] == pc && b.insns.len() == 1 && b.ops.iter().all(|op| !is_side_effect(op)) {
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
                            eprintln!(
                                "hspt: undefined instruction at 0x{ret:08x} ({} state, word at aligned address 0x{word:08x})",
                                if cpu.t != 0 { "Thumb" } else { "ARM" }
                            );
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
                    // Nothing can raise an interrupt yet (no GIC/timer until the system-machine work).
                    return Stop::Halted(format!(
                        "WFI at 0x{:08x} with no interrupt source: the guest would sleep forever",
                        cpu.r[15].wrapping_sub(if cpu.t != 0 { 2 } else { 4 })
                    ));
                }
            }
        }
    }

    /// An exception whose handler immediately faults again (no vectors loaded)
    /// would loop forever: detect the vector faulting on itself.
    fn check_runaway(&mut self, _from: u32) -> Option<Stop> {
        self.stats.exceptions += 1;
        let pc = self.cpu.r[15];
        if self.last_exception_pc == Some(pc) {
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

    /// Mode and masks changed: pick the memory view again.
    fn after_exception(&mut self) {
        // A failure to reserve a view leaves the old one in place; it is retried next time.
        let _ = self.board.select(&mut self.cpu);
    }

    fn sys_change(&mut self) {
        let fx = std::mem::take(&mut self.cpu.sys_effects);
        if fx & SYS_ICACHE != 0 {
            self.cache.clear();
            self.stats.icache_flushes += 1;
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
