//! The GDB remote stub: `hspt run --gdb tcp::1234 [--gdb-wait]`, as QEMU's `-gdb`/`-s -S`.
//!
//! The protocol is the `gdbstub` crate's state machine; the VM itself is its
//! `Target`. Everything happens at block boundaries in the dispatcher, so it works
//! whichever engine runs a block:
//! - the dispatcher calls `gdb_boundary` before it looks up the block at the PC;
//!   that is where breakpoints hit (the PC is compared with the breakpoint set, no
//!   BKPT is ever written into guest memory), single steps end, watchpoints fire,
//!   and the connection is polled for Ctrl-C (every `POLL_EVERY` boundaries);
//! - a block must never run past a breakpoint: `must_split` rejects a translated
//!   block that holds a breakpoint after its first instruction, and `block_limit`
//!   makes the new translation end just before it. Single steps and watchpoints
//!   run one-instruction blocks (steps are not cached, so the cache keeps its full
//!   blocks). A tier that chains blocks must not chain while `gdb_attached()`.
//! - While gdb holds the guest stopped, `gdb_serve` reads packets (blocking) and
//!   answers them; registers and memory are read and written in place. gdb resumes
//!   the guest from inside the boundary hook, so the block at the PC runs next:
//!   continuing from a breakpoint does not stop at it again, and a step ends at
//!   the following boundary (interrupts are held off meanwhile, as QEMU does).
//!
//! Memory goes through the guest's current translation regime: the stub walks the
//! page tables as the MMU would (`mem::walk`), with every domain treated as
//! manager so that a debugger sees through permissions (as a JTAG probe does) and
//! Linux's software PAN. A translation fault or a physical address that is not RAM
//! is an error for gdb, never a guest exception (device registers are not read
//! behind the guest's back; the empty flash window of QEMU's virt board reads as
//! zeros, see `FLASH_WINDOW_END`). Writes go to RAM through the physical view, then
//! start a new block-cache epoch so translations of the changed bytes are checked.
//!
//! Watchpoints (write watchpoints, `watch`): the guest runs one instruction per
//! block and the watched bytes are compared after each; when they changed, the
//! instruction is undone (its registers and the watched bytes restored) so gdb
//! sees the CPU stopped *before* the store, as ARM hardware watchpoints do (gdb
//! steps over it itself). Like gdb's own watchpoints, a store of the same value
//! is not reported. Read and access watchpoints are not supported.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, RawFd};

use gdbstub::arch::{Arch, RegId, Registers};
use gdbstub::common::Signal;
use gdbstub::conn::Connection;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, GdbStub, SingleThreadStopReason};
use gdbstub::target::ext::base::single_register_access::{SingleRegisterAccess, SingleRegisterAccessOps};
use gdbstub::target::ext::base::singlethread::{
    SingleThreadBase, SingleThreadResume, SingleThreadResumeOps, SingleThreadSingleStep, SingleThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint,
    SwBreakpointOps, WatchKind,
};
use gdbstub::target::{Target, TargetError, TargetResult};

use super::{Stop, Vm};
use crate::board::Board;
use crate::ir::Block;
use crate::mem::walk::{self, Access, WalkRegs};

/// QEMU's virt board has two (here empty) flash banks below 128 MiB, which a debugger
/// reads as zeros. gdb's frame unwinder reads through stale frame pointers there with the
/// MMU off (at the kernel's entry, r11 holds a small number): an error would make it
/// refuse even to single-step.
const FLASH_WINDOW_END: u32 = 0x0800_0000;

/// A running guest looks at the connection (Ctrl-C, a new gdb) every this many block boundaries.
const POLL_EVERY: u32 = 1024;

/// Where the stub listens, from QEMU-style syntax: `tcp::1234`, `tcp:HOST:1234`,
/// `HOST:1234`, `:1234` or `1234`. An empty host means localhost (QEMU listens on
/// every interface; give `tcp:0.0.0.0:1234` for that). Port 0 picks a free port.
pub fn parse_listen_addr(spec: &str) -> Result<String, String> {
    let rest = spec.strip_prefix("tcp:").unwrap_or(spec);
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p),
        None => ("", rest),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port
        .parse()
        .map_err(|_| format!("--gdb {spec}: expected tcp::PORT or HOST:PORT (for example tcp::1234)"))?;
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    Ok(if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") })
}

// ----- the register file gdb sees (target description and packet layout) -----

/// ARMv7-A with VFPv3-D16, as gdb's `org.gnu.gdb.arm.core` and `org.gnu.gdb.arm.vfp` features describe it.
pub enum ArmVfp {}

/// gdb's feature XML: r0–r15, CPSR (remote register 25, after the place the
/// FPA registers once had), d0–d15 (26–41) and FPSCR (42).
const TARGET_XML: &str = r#"<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>arm</architecture>
  <feature name="org.gnu.gdb.arm.core">
    <reg name="r0" bitsize="32" type="uint32"/>
    <reg name="r1" bitsize="32" type="uint32"/>
    <reg name="r2" bitsize="32" type="uint32"/>
    <reg name="r3" bitsize="32" type="uint32"/>
    <reg name="r4" bitsize="32" type="uint32"/>
    <reg name="r5" bitsize="32" type="uint32"/>
    <reg name="r6" bitsize="32" type="uint32"/>
    <reg name="r7" bitsize="32" type="uint32"/>
    <reg name="r8" bitsize="32" type="uint32"/>
    <reg name="r9" bitsize="32" type="uint32"/>
    <reg name="r10" bitsize="32" type="uint32"/>
    <reg name="r11" bitsize="32" type="uint32"/>
    <reg name="r12" bitsize="32" type="uint32"/>
    <reg name="sp" bitsize="32" type="data_ptr"/>
    <reg name="lr" bitsize="32"/>
    <reg name="pc" bitsize="32" type="code_ptr"/>
    <reg name="cpsr" bitsize="32" regnum="25"/>
  </feature>
  <feature name="org.gnu.gdb.arm.vfp">
    <reg name="d0" bitsize="64" type="ieee_double"/>
    <reg name="d1" bitsize="64" type="ieee_double"/>
    <reg name="d2" bitsize="64" type="ieee_double"/>
    <reg name="d3" bitsize="64" type="ieee_double"/>
    <reg name="d4" bitsize="64" type="ieee_double"/>
    <reg name="d5" bitsize="64" type="ieee_double"/>
    <reg name="d6" bitsize="64" type="ieee_double"/>
    <reg name="d7" bitsize="64" type="ieee_double"/>
    <reg name="d8" bitsize="64" type="ieee_double"/>
    <reg name="d9" bitsize="64" type="ieee_double"/>
    <reg name="d10" bitsize="64" type="ieee_double"/>
    <reg name="d11" bitsize="64" type="ieee_double"/>
    <reg name="d12" bitsize="64" type="ieee_double"/>
    <reg name="d13" bitsize="64" type="ieee_double"/>
    <reg name="d14" bitsize="64" type="ieee_double"/>
    <reg name="d15" bitsize="64" type="ieee_double"/>
    <reg name="fpscr" bitsize="32" type="int" group="float"/>
  </feature>
</target>
"#;

/// Raw gdb register numbers.
const REG_CPSR: usize = 25;
const REG_D0: usize = 26;
const REG_FPSCR: usize = 42;
/// Bytes in a `g` packet: r0–r15, CPSR, d0–d15, FPSCR.
const G_BYTES: usize = 16 * 4 + 4 + 16 * 8 + 4;
/// Bytes of the core registers alone (a client without the VFP feature).
const G_CORE_BYTES: usize = 16 * 4 + 4;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ArmVfpRegs {
    pub r: [u32; 16],
    pub cpsr: u32,
    pub d: [u64; 16],
    pub fpscr: u32,
    /// Whether `d` and `fpscr` were given (a `G` packet may carry the core registers only).
    pub has_vfp: bool,
}

impl Registers for ArmVfpRegs {
    type ProgramCounter = u32;

    fn pc(&self) -> u32 {
        self.r[15]
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        let mut put = |b: &[u8]| b.iter().for_each(|&x| write_byte(Some(x)));
        for r in &self.r {
            put(&r.to_le_bytes());
        }
        put(&self.cpsr.to_le_bytes());
        for d in &self.d {
            put(&d.to_le_bytes());
        }
        put(&self.fpscr.to_le_bytes());
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        if bytes.len() != G_BYTES && bytes.len() != G_CORE_BYTES {
            return Err(());
        }
        let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or([0; 4]));
        for (i, r) in self.r.iter_mut().enumerate() {
            *r = word(4 * i);
        }
        self.cpsr = word(64);
        self.has_vfp = bytes.len() == G_BYTES;
        if self.has_vfp {
            for (i, d) in self.d.iter_mut().enumerate() {
                *d = u64::from_le_bytes(bytes[68 + 8 * i..76 + 8 * i].try_into().unwrap_or([0; 8]));
            }
            self.fpscr = word(68 + 128);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmVfpRegId {
    R(u8),
    Cpsr,
    D(u8),
    Fpscr,
}

impl RegId for ArmVfpRegId {
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        let (reg, size) = match id {
            0..=15 => (ArmVfpRegId::R(id as u8), 4),
            REG_CPSR => (ArmVfpRegId::Cpsr, 4),
            REG_D0..=41 => (ArmVfpRegId::D((id - REG_D0) as u8), 8),
            REG_FPSCR => (ArmVfpRegId::Fpscr, 4),
            _ => return None,
        };
        Some((reg, NonZeroUsize::new(size)))
    }

    fn to_raw_id(&self) -> Option<usize> {
        Some(match *self {
            ArmVfpRegId::R(r) => r as usize,
            ArmVfpRegId::Cpsr => REG_CPSR,
            ArmVfpRegId::D(d) => REG_D0 + d as usize,
            ArmVfpRegId::Fpscr => REG_FPSCR,
        })
    }
}

impl Arch for ArmVfp {
    type Usize = u32;
    type Registers = ArmVfpRegs;
    /// 2 (Thumb), 3 (32-bit Thumb) or 4 (ARM): irrelevant here, nothing is written to memory.
    type BreakpointKind = usize;
    type RegId = ArmVfpRegId;

    fn target_description_xml() -> Option<&'static str> {
        Some(TARGET_XML)
    }
}

// ----- the connection -----

/// A TCP connection with buffered output (gdbstub writes byte by byte) and input
/// that can be polled without blocking.
pub(super) struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
    inbuf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn { stream, out: Vec::with_capacity(4096), inbuf: vec![0; 4096], start: 0, end: 0 }
    }

    /// The next byte from gdb, waiting up to `timeout_ms` (-1: forever); `None` when
    /// nothing came in time. A closed connection is an error.
    fn next_byte(&mut self, timeout_ms: i32) -> io::Result<Option<u8>> {
        if self.start == self.end {
            if !wait_readable(self.stream.as_raw_fd(), timeout_ms)? {
                return Ok(None);
            }
            let n = loop {
                match self.stream.read(&mut self.inbuf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "gdb closed the connection"));
            }
            (self.start, self.end) = (0, n);
        }
        let b = self.inbuf[self.start];
        self.start += 1;
        Ok(Some(b))
    }
}

impl Connection for Conn {
    type Error = io::Error;

    fn write(&mut self, byte: u8) -> io::Result<()> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let r = Write::write_all(&mut self.stream, &self.out);
        self.out.clear();
        r
    }

    fn on_session_start(&mut self) -> io::Result<()> {
        self.stream.set_nodelay(true)
    }
}

/// Waits until `fd` is readable (or hung up): true, or `timeout_ms` passed: false.
fn wait_readable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    loop {
        // SAFETY: `p` is one valid pollfd for the duration of the call.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if r >= 0 {
            return Ok(r > 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

type Session = GdbStubStateMachine<'static, Vm, Conn>;

fn conn_of(sm: &mut Session) -> &mut Conn {
    match sm {
        GdbStubStateMachine::Idle(g) => g.borrow_conn(),
        GdbStubStateMachine::Running(g) => g.borrow_conn(),
        GdbStubStateMachine::CtrlCInterrupt(g) => g.borrow_conn(),
        GdbStubStateMachine::Disconnected(g) => g.borrow_conn(),
    }
}

// ----- debugger state kept in the VM -----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunMode {
    Continue,
    /// One instruction: gdb resumed at a boundary, whose block runs next; the next boundary ends the step.
    Step,
}

struct Watch {
    addr: u32,
    len: u32,
    /// The bytes at the last boundary (None: not mapped then).
    old: Option<Vec<u8>>,
}

/// The CPU state a store may change, to undo the instruction that hit a watchpoint.
#[derive(Clone, Copy)]
struct Undo {
    r: [u32; 16],
    it: u8,
    cpsr: u32,
    excl: (u32, u32),
    insns: u64,
    bank_sp: [u32; 8],
    bank_lr: [u32; 8],
}

/// The stub's state in the VM (`Vm::debug`): the listener, the session, breakpoints.
pub(super) struct Debugger {
    listener: TcpListener,
    /// `--gdb-wait`: wait for gdb before the first instruction.
    wait: bool,
    /// The protocol state machine while gdb is attached (taken out while it runs).
    session: Option<Session>,
    run: RunMode,
    sw: BTreeSet<u32>,
    hw: BTreeSet<u32>,
    watch: Vec<Watch>,
    undo: Option<Undo>,
    /// One-instruction blocks were cached for watchpoints: drop them when the last goes.
    narrowed: bool,
    poll: u32,
}

impl Debugger {
    fn poll_due(&mut self) -> bool {
        self.poll = self.poll.wrapping_add(1);
        self.poll & (POLL_EVERY - 1) == 0
    }

    /// The guest idles (WFI): look at the connection at the next boundary.
    pub(super) fn poll_soon(&mut self) {
        self.poll = POLL_EVERY - 1;
    }

    fn stepping(&self) -> bool {
        self.session.is_some() && matches!(self.run, RunMode::Step)
    }

    fn is_bp(&self, pc: u32) -> bool {
        self.sw.contains(&pc) || self.hw.contains(&pc)
    }

    /// First breakpoint in (`from`, `to`].
    fn next_bp(&self, from: u32, to: u32) -> Option<u32> {
        if from >= to {
            return None;
        }
        let a = self.sw.range(from + 1..=to).next().copied();
        let b = self.hw.range(from + 1..=to).next().copied();
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (x, None) | (None, x) => x,
        }
    }

    /// Whether the translated block `b`, about to run at virtual `pc`, must not run
    /// as a whole: it holds a breakpoint after its first instruction, or gdb wants
    /// one instruction at a time.
    pub(super) fn must_split(&self, pc: u32, b: &Block) -> bool {
        if b.insns.len() <= 1 {
            return false;
        }
        if matches!(self.run, RunMode::Step) || !self.watch.is_empty() {
            return true;
        }
        !(self.sw.is_empty() && self.hw.is_empty())
            && b.insns[1..].iter().any(|i| self.is_bp(pc.wrapping_add(i.off)))
    }

    /// How many instructions the block at virtual `pc` (physical `pa`) may hold,
    /// and whether it may be cached.
    pub(super) fn block_limit(&mut self, board: &Board, pa: u32, pc: u32, thumb: bool, max: usize) -> (usize, bool) {
        if matches!(self.run, RunMode::Step) {
            return (1, false);
        }
        if !self.watch.is_empty() {
            self.narrowed = true;
            return (1, true);
        }
        let Some(bp) = self.next_bp(pc, pc | 0xfff) else { return (max, true) };
        let n = if !thumb {
            (bp - pc).div_ceil(4) as usize
        } else {
            let (mut a, mut n) = (pc, 0usize);
            while a < bp && n < max {
                let mut hw = [0u8; 2];
                if !board.read_phys(pa.wrapping_add(a - pc), &mut hw) {
                    break;
                }
                a += if crate::arm::is_t32_prefix(u16::from_le_bytes(hw)) { 4 } else { 2 };
                n += 1;
            }
            n
        };
        (n.clamp(1, max.max(1)), true)
    }
}

type StopReason = SingleThreadStopReason<u32>;

impl Vm {
    /// Listens for gdb on `spec` (`tcp::1234`...); with `wait`, the guest does not
    /// start before gdb attaches. Returns the address listened on.
    pub fn listen_gdb(&mut self, spec: &str, wait: bool) -> Result<SocketAddr, String> {
        let addr = parse_listen_addr(spec)?;
        let mut addrs = addr.to_socket_addrs().map_err(|e| format!("--gdb {spec}: {e}"))?;
        let sa = addrs.next().ok_or_else(|| format!("--gdb {spec}: no address"))?;
        let listener = TcpListener::bind(sa).map_err(|e| format!("--gdb {spec}: cannot listen on {sa}: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| format!("--gdb {spec}: {e}"))?;
        let local = listener.local_addr().map_err(|e| format!("--gdb {spec}: {e}"))?;
        self.debug = Some(Box::new(Debugger {
            listener,
            wait,
            session: None,
            run: RunMode::Continue,
            sw: BTreeSet::new(),
            hw: BTreeSet::new(),
            watch: Vec::new(),
            undo: None,
            narrowed: false,
            poll: 0,
        }));
        Ok(local)
    }

    /// Whether gdb is attached: blocks must then be dispatched one by one
    /// (no chaining between translated blocks), see the module documentation.
    pub fn gdb_attached(&self) -> bool {
        self.debug.as_ref().is_some_and(|d| d.session.is_some())
    }

    /// Whether gdb is single-stepping (interrupts are then held off, as QEMU does).
    #[inline]
    pub(super) fn gdb_stepping(&self) -> bool {
        self.debug.as_ref().is_some_and(|d| d.stepping())
    }

    fn dbg(&mut self) -> &mut Debugger {
        self.debug.as_deref_mut().expect("the gdb stub is set up")
    }

    /// Called by the dispatcher at every block boundary while a stub is listening.
    /// Returns a reason to stop the VM (gdb killed it).
    pub(super) fn gdb_boundary(&mut self) -> Option<Stop> {
        let pc = self.cpu.r[15];
        let d = self.debug.as_deref_mut()?;
        let Some(sm) = d.session.take() else {
            let wait = std::mem::take(&mut d.wait);
            if !wait && !d.poll_due() {
                return None;
            }
            if wait {
                eprintln!("hspt: waiting for gdb to attach on {}", d.listener.local_addr().map(|a| a.to_string()).unwrap_or_default());
            }
            let stream = accept(&d.listener, wait)?;
            return self.gdb_attach(stream);
        };
        // Attached and running: does the guest stop before this block?
        let mut reason: Option<StopReason> = None;
        match d.run {
            RunMode::Step => reason = Some(SingleThreadStopReason::DoneStep),
            RunMode::Continue => {
                if !d.watch.is_empty() {
                    reason = self.gdb_check_watch();
                }
                let d = self.dbg();
                if reason.is_none() {
                    if d.hw.contains(&pc) {
                        reason = Some(SingleThreadStopReason::HwBreak(()));
                    } else if d.sw.contains(&pc) {
                        reason = Some(SingleThreadStopReason::SwBreak(()));
                    }
                }
            }
        }
        if let Some(r) = reason {
            let next = match sm {
                GdbStubStateMachine::Running(g) => g.report_stop(self, r).map_err(|e| e.to_string()),
                other => Ok(other),
            };
            return self.gdb_serve(next);
        }
        // Ctrl-C (or anything else gdb sends while the guest runs).
        if self.dbg().poll_due() {
            return self.gdb_serve(Ok(sm));
        }
        self.dbg().session = Some(sm);
        self.gdb_snapshot();
        None
    }

    fn gdb_attach(&mut self, stream: TcpStream) -> Option<Stop> {
        let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into());
        if let Err(e) = stream.set_nonblocking(false) {
            eprintln!("hspt: gdb connection from {peer}: {e}");
            return None;
        }
        eprintln!("hspt: gdb attached from {peer}; the guest is stopped at 0x{:08x}", self.cpu.r[15]);
        let d = self.dbg();
        d.run = RunMode::Continue;
        let sm = GdbStub::<Vm, Conn>::new(Conn::new(stream)).run_state_machine(self);
        self.gdb_serve(sm.map_err(|e| e.to_string()))
    }

    /// Serves gdb: while the guest is stopped, until gdb resumes it (None), detaches
    /// (None) or kills it; while it runs, what gdb has sent (Ctrl-C).
    fn gdb_serve(&mut self, mut next: Result<Session, String>) -> Option<Stop> {
        loop {
            let mut sm = match next {
                Ok(sm) => sm,
                Err(e) => return self.gdb_lost(e),
            };
            if let Err(e) = conn_of(&mut sm).flush() {
                return self.gdb_lost(e.to_string());
            }
            next = match sm {
                GdbStubStateMachine::Running(mut g) => match g.borrow_conn().next_byte(0) {
                    Ok(Some(byte)) => g.incoming_data(self, byte).map_err(|e| e.to_string()),
                    Ok(None) => {
                        self.dbg().session = Some(g.into());
                        self.gdb_snapshot();
                        return None;
                    }
                    Err(e) => return self.gdb_lost(e.to_string()),
                },
                GdbStubStateMachine::Idle(mut g) => match g.borrow_conn().next_byte(-1) {
                    Ok(Some(byte)) => g.incoming_data(self, byte).map_err(|e| e.to_string()),
                    Ok(None) => Ok(g.into()),
                    Err(e) => return self.gdb_lost(e.to_string()),
                },
                GdbStubStateMachine::CtrlCInterrupt(g) => {
                    g.interrupt_handled(self, Some(SingleThreadStopReason::Signal(Signal::SIGINT))).map_err(|e| e.to_string())
                }
                GdbStubStateMachine::Disconnected(g) => {
                    let reason = g.get_reason();
                    self.gdb_detach();
                    return match reason {
                        DisconnectReason::Kill => Some(Stop::Halted("killed from gdb".into())),
                        _ => {
                            eprintln!("hspt: gdb detached; the guest runs on");
                            None
                        }
                    };
                }
            };
        }
    }

    fn gdb_lost(&mut self, why: String) -> Option<Stop> {
        eprintln!("hspt: gdb connection lost ({why}); the guest runs on");
        self.gdb_detach();
        None
    }

    /// Forgets the session and everything gdb set; the guest runs on.
    fn gdb_detach(&mut self) {
        let d = self.dbg();
        d.session = None;
        d.sw.clear();
        d.hw.clear();
        d.watch.clear();
        d.run = RunMode::Continue;
        d.undo = None;
        if std::mem::take(&mut d.narrowed) {
            self.cache.clear();
        }
    }

    /// The VM stops: tell an attached gdb how it ended.
    pub(super) fn gdb_finish(&mut self, stop: &Stop) {
        let Some(d) = self.debug.as_deref_mut() else { return };
        let Some(sm) = d.session.take() else { return };
        if let GdbStubStateMachine::Running(g) = sm {
            let reason = match stop {
                Stop::Timeout(_) => SingleThreadStopReason::Terminated(Signal::SIGALRM),
                s => SingleThreadStopReason::Exited(s.exit_code() as u8),
            };
            if let Ok(mut sm) = g.report_stop(self, reason) {
                let _ = conn_of(&mut sm).flush();
            }
        }
        self.gdb_detach();
    }

    // ----- watchpoints -----

    /// Before a block runs with watchpoints set: what the instruction may change.
    fn gdb_snapshot(&mut self) {
        if self.debug.as_ref().is_some_and(|d| d.watch.is_empty() && d.undo.is_none()) {
            return;
        }
        let c = &*self.cpu;
        let snap = Undo {
            r: c.r,
            it: c.it,
            cpsr: c.cpsr(),
            excl: (c.excl_addr, c.excl_valid),
            insns: c.insns,
            bank_sp: c.bank_sp,
            bank_lr: c.bank_lr,
        };
        let d = self.dbg();
        d.undo = (!d.watch.is_empty() && d.run == RunMode::Continue).then_some(snap);
    }

    /// After an instruction ran with watchpoints set: did it change a watched value?
    /// If so, undo it when that is safe, so gdb sees the CPU before the store.
    fn gdb_check_watch(&mut self) -> Option<StopReason> {
        let d = self.debug.as_deref()?;
        let mut hit = None;
        for (i, w) in d.watch.iter().enumerate() {
            let now = self.debug_read_exact(w.addr, w.len);
            if now != w.old {
                hit = Some((i, now));
                break;
            }
        }
        let (i, now) = hit?;
        let undo = self.dbg().undo.take();
        let addr = self.dbg().watch[i].addr;
        let old = self.dbg().watch[i].old.clone();
        let c = &mut *self.cpu;
        let undoable = undo.filter(|u| {
            let step = c.r[15].wrapping_sub(u.r[15]);
            // The store completed without an exception: same CPSR (IT aside), sequential PC.
            (step == 2 || step == 4) && (c.cpsr() ^ u.cpsr) & !0x0600_fc00 == 0
        });
        match (undoable, old) {
            (Some(u), Some(old)) => {
                c.r = u.r;
                c.it = u.it;
                (c.excl_addr, c.excl_valid) = u.excl;
                c.insns = u.insns;
                c.bank_sp = u.bank_sp;
                c.bank_lr = u.bank_lr;
                self.debug_write(addr, &old);
            }
            _ => self.dbg().watch[i].old = now,
        }
        Some(SingleThreadStopReason::Watch { tid: (), kind: WatchKind::Write, addr })
    }

    fn refresh_watches(&mut self) {
        let Some(d) = self.debug.as_deref() else { return };
        let vals: Vec<_> = d.watch.iter().map(|w| self.debug_read_exact(w.addr, w.len)).collect();
        for (w, v) in self.dbg().watch.iter_mut().zip(vals) {
            w.old = v;
        }
    }

    // ----- memory as the debugger sees it -----

    /// Physical address of `va` in the current translation regime, permissions aside.
    fn debug_pa(&self, va: u32) -> Option<u32> {
        let c = &self.cpu.cp15;
        if !c.sctlr_m() {
            return Some(va);
        }
        // Every domain as manager: no permission or domain checks, only the translation.
        let regs = WalkRegs { ttbr0: c.ttbr0, ttbr1: c.ttbr1, ttbcr: c.ttbcr, dacr: u32::MAX };
        walk::walk(&regs, va, Access::Read, true, |pa| self.board.read_phys_u32(pa)).ok().map(|t| t.pa)
    }

    /// Reads guest virtual memory; returns how many bytes could be read.
    fn debug_read(&self, va: u32, out: &mut [u8]) -> usize {
        let mut done = 0usize;
        while done < out.len() {
            let a = va.wrapping_add(done as u32);
            let n = (out.len() - done).min(0x1000 - (a & 0xfff) as usize);
            match self.debug_pa(a) {
                Some(pa) if self.board.read_phys(pa, &mut out[done..done + n]) => done += n,
                Some(pa) if pa < FLASH_WINDOW_END => {
                    out[done..done + n].fill(0);
                    done += n;
                }
                _ => break,
            }
        }
        done
    }

    fn debug_read_exact(&self, va: u32, len: u32) -> Option<Vec<u8>> {
        let mut v = vec![0u8; len as usize];
        (self.debug_read(va, &mut v) == v.len()).then_some(v)
    }

    /// Writes guest virtual memory (RAM only); false if some byte could not be written.
    fn debug_write(&mut self, va: u32, data: &[u8]) -> bool {
        let mut done = 0usize;
        let mut ok = true;
        while done < data.len() {
            let a = va.wrapping_add(done as u32);
            let n = (data.len() - done).min(0x1000 - (a & 0xfff) as usize);
            match self.debug_pa(a) {
                Some(pa) if self.board.write_phys(pa, &data[done..done + n]) => done += n,
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if done > 0 {
            // Translations of the changed bytes are checked before they run again.
            self.cache.new_epoch();
        }
        ok
    }

    fn set_cpsr_from_gdb(&mut self, v: u32) {
        // No big-endian data on this machine: CPSR.E stays 0.
        self.cpu.set_cpsr(v & !(1 << 9), u32::MAX);
        // Mode and masks pick the memory view.
        let _ = self.board.select(&mut self.cpu);
    }
}

/// Takes a connection from gdb, waiting for one if `wait`.
fn accept(l: &TcpListener, wait: bool) -> Option<TcpStream> {
    loop {
        match l.accept() {
            Ok((s, _)) => return Some(s),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && wait => {
                if wait_readable(l.as_raw_fd(), -1).is_err() {
                    return None;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) => {
                eprintln!("hspt: gdb: accept failed: {e}");
                return None;
            }
        }
    }
}

// ----- gdbstub's view of the VM -----

impl Target for Vm {
    type Arch = ArmVfp;
    type Error = &'static str;

    fn base_ops(&mut self) -> BaseOps<'_, ArmVfp, &'static str> {
        BaseOps::SingleThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadBase for Vm {
    fn read_registers(&mut self, regs: &mut ArmVfpRegs) -> TargetResult<(), Self> {
        let c = &*self.cpu;
        regs.r = c.r;
        regs.cpsr = c.cpsr();
        regs.d.copy_from_slice(&c.d[..16]);
        regs.fpscr = c.fpscr;
        regs.has_vfp = true;
        Ok(())
    }

    fn write_registers(&mut self, regs: &ArmVfpRegs) -> TargetResult<(), Self> {
        // Registers of the current mode first, then the CPSR (which may change the mode).
        self.cpu.r = regs.r;
        if regs.has_vfp {
            self.cpu.d[..16].copy_from_slice(&regs.d);
            self.cpu.fpscr = regs.fpscr;
        }
        if regs.cpsr != self.cpu.cpsr() {
            self.set_cpsr_from_gdb(regs.cpsr);
        }
        Ok(())
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, (), Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, start: u32, data: &mut [u8]) -> TargetResult<usize, Self> {
        match self.debug_read(start, data) {
            0 if !data.is_empty() => Err(TargetError::Errno(14)), // EFAULT
            n => Ok(n),
        }
    }

    fn write_addrs(&mut self, start: u32, data: &[u8]) -> TargetResult<(), Self> {
        let ok = self.debug_write(start, data);
        self.refresh_watches();
        if ok {
            Ok(())
        } else {
            Err(TargetError::Errno(14))
        }
    }

    fn support_resume(&mut self) -> Option<SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<()> for Vm {
    fn read_register(&mut self, _tid: (), reg: ArmVfpRegId, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let c = &*self.cpu;
        let bytes: Vec<u8> = match reg {
            ArmVfpRegId::R(r) => c.r[r as usize].to_le_bytes().to_vec(),
            ArmVfpRegId::Cpsr => c.cpsr().to_le_bytes().to_vec(),
            ArmVfpRegId::D(d) => c.d[d as usize].to_le_bytes().to_vec(),
            ArmVfpRegId::Fpscr => c.fpscr.to_le_bytes().to_vec(),
        };
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn write_register(&mut self, _tid: (), reg: ArmVfpRegId, val: &[u8]) -> TargetResult<(), Self> {
        let w = |v: &[u8]| v.try_into().map(u32::from_le_bytes).map_err(|_| TargetError::NonFatal);
        match reg {
            ArmVfpRegId::R(r) => self.cpu.r[r as usize] = w(val)?,
            ArmVfpRegId::Cpsr => {
                let v = w(val)?;
                self.set_cpsr_from_gdb(v);
            }
            ArmVfpRegId::D(d) => {
                self.cpu.d[d as usize] = val.try_into().map(u64::from_le_bytes).map_err(|_| TargetError::NonFatal)?
            }
            ArmVfpRegId::Fpscr => self.cpu.fpscr = w(val)?,
        }
        Ok(())
    }
}

impl SingleThreadResume for Vm {
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), &'static str> {
        // Signals mean nothing to a bare machine: they are dropped.
        let d = self.dbg();
        d.run = RunMode::Continue;
        if d.watch.is_empty() && std::mem::take(&mut d.narrowed) {
            self.cache.clear();
        }
        self.refresh_watches();
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<SingleThreadSingleStepOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadSingleStep for Vm {
    fn step(&mut self, _signal: Option<Signal>) -> Result<(), &'static str> {
        self.dbg().run = RunMode::Step;
        Ok(())
    }
}

impl Breakpoints for Vm {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for Vm {
    fn add_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        self.dbg().sw.insert(addr & !1);
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.dbg().sw.remove(&(addr & !1)))
    }
}

impl HwBreakpoint for Vm {
    fn add_hw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        self.dbg().hw.insert(addr & !1);
        Ok(true)
    }

    fn remove_hw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.dbg().hw.remove(&(addr & !1)))
    }
}

impl HwWatchpoint for Vm {
    fn add_hw_watchpoint(&mut self, addr: u32, len: u32, kind: WatchKind) -> TargetResult<bool, Self> {
        if kind != WatchKind::Write || len == 0 || len > 4096 {
            return Ok(false);
        }
        let old = self.debug_read_exact(addr, len);
        self.dbg().watch.push(Watch { addr, len, old });
        Ok(true)
    }

    fn remove_hw_watchpoint(&mut self, addr: u32, len: u32, kind: WatchKind) -> TargetResult<bool, Self> {
        if kind != WatchKind::Write {
            return Ok(false);
        }
        let d = self.dbg();
        match d.watch.iter().position(|w| w.addr == addr && w.len == len) {
            Some(i) => {
                d.watch.remove(i);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_parse_like_qemu() {
        assert_eq!(parse_listen_addr("tcp::1234").unwrap(), "127.0.0.1:1234");
        assert_eq!(parse_listen_addr("tcp:0.0.0.0:1234").unwrap(), "0.0.0.0:1234");
        assert_eq!(parse_listen_addr("localhost:99").unwrap(), "localhost:99");
        assert_eq!(parse_listen_addr(":0").unwrap(), "127.0.0.1:0");
        assert_eq!(parse_listen_addr("1234").unwrap(), "127.0.0.1:1234");
        assert_eq!(parse_listen_addr("tcp:[::1]:5").unwrap(), "[::1]:5");
        assert!(parse_listen_addr("tcp::x").is_err());
        assert!(parse_listen_addr("tcp::70000").is_err());
    }

    #[test]
    fn register_packets_follow_the_target_description() {
        let mut r = ArmVfpRegs { cpsr: 0x6000_01d3, fpscr: 0x0300_0000, ..Default::default() };
        r.r[15] = 0x4001_0000;
        r.d[15] = 0x3ff0_0000_0000_0000;
        let mut bytes = Vec::new();
        r.gdb_serialize(|b| bytes.push(b.unwrap()));
        assert_eq!(bytes.len(), G_BYTES);
        assert_eq!(&bytes[60..64], &0x4001_0000u32.to_le_bytes());
        assert_eq!(&bytes[64..68], &0x6000_01d3u32.to_le_bytes());
        let mut back = ArmVfpRegs::default();
        back.gdb_deserialize(&bytes).unwrap();
        r.has_vfp = true;
        assert_eq!(back, r);
        assert!(back.gdb_deserialize(&bytes[..G_CORE_BYTES]).is_ok());
        assert!(back.gdb_deserialize(&bytes[..10]).is_err());
        assert_eq!(ArmVfpRegId::from_raw_id(25).map(|r| r.0), Some(ArmVfpRegId::Cpsr));
        assert_eq!(ArmVfpRegId::from_raw_id(41).map(|r| r.0), Some(ArmVfpRegId::D(15)));
        assert_eq!(ArmVfpRegId::from_raw_id(42).map(|r| r.0), Some(ArmVfpRegId::Fpscr));
        assert!(ArmVfpRegId::from_raw_id(16).is_none());
        // The XML names exactly these registers.
        assert_eq!(TARGET_XML.matches("<reg ").count(), 16 + 1 + 16 + 1);
    }
}
