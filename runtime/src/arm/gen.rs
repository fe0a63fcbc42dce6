//! Random instruction sequences for differential testing against QEMU
//! (runtime/tests/difftest.rs runs them through guest-images/difftest's runner
//! under `qemu-arm` and through hspt, and compares the final states).
//!
//! The generator is driven by the decode tables, so it covers exactly the
//! encodings that exist: it picks a row, fills its fields at random and keeps the
//! word only if it decodes back to that row, translates without UNDEFINED or
//! UNPREDICTABLE, and does not raise. Memory instructions are steered into a
//! scratch page: the registers their address depends on (found by a dataflow
//! walk over the IR) are set by MOVW/MOVT right before them, to values found by
//! a dry run of the instruction on hspt with a recording memory. Branches go
//! forward to the start of a later unit of the case: immediate offsets are
//! solved for (`solve_branch`), register targets set up like addresses, and
//! loaded targets (LDR PC, POP {PC}, TBB) written into the scratch memory.
//! Encodings that hit a known QEMU difference are not generated
//! (guest-images/difftest/KNOWN-DIFFERENCES.md).
//!
//! The memory layout and the binary case/result formats are shared with the
//! runner (guest-images/difftest/runner.c).

use crate::arm::{check_insn, decode_arm, decode_t16, decode_t32, it_advance, translate_block, Row};
use crate::cpu::{CpuState, Exception, ExitReason, Mode};
use crate::ir::interp::{run_block, Temps};
use crate::ir::{MemSize, Op};
use crate::mem::{fsr, GuestMemory, MemFault};

/// The scratch page (data accesses of the cases); its first SCRATCH_LEN bytes
/// are part of each case and of each result.
pub const SCRATCH: u32 = 0x4800_0000;
pub const SCRATCH_LEN: usize = 1024;
pub const SCRATCH_PAGE: usize = 4096;
/// A page the runner maps with no access, right after the scratch page: some
/// single accesses are sent there to test precise Data Aborts (SIGSEGV).
pub const GUARD: u32 = SCRATCH + SCRATCH_PAGE as u32;
/// The runner's code area (16 MiB, zero but for the current case) and the save
/// stub its terminators jump to.
pub const CODE_AREA: u32 = 0x4900_0000;
pub const STUB: u32 = 0x49ff_0000;
/// Cases are placed in [CODE_LO, CODE_HI).
const CODE_LO: u32 = CODE_AREA + 0x4000;
const CODE_HI: u32 = 0x49f0_0000;
/// Loads may also read the code and this much zero memory around it (literals).
pub const WINDOW: u32 = 0x2000;
/// Longest code of a case, terminator included.
pub const MAX_CODE: u32 = 0x200;

pub const MAGIC_CASE: u32 = 0x4553_4143;
pub const MAGIC_RSLT: u32 = 0x544c_5352;
pub const MAGIC_FALT: u32 = 0x544c_4146;
/// Bytes of an encoded `State` (registers, PSRs, d-regs, scratch).
pub const STATE_BYTES: usize = 15 * 4 + 8 + 16 * 8 + SCRATCH_LEN;
/// APSR bits a case sets and compares: N Z C V Q and GE[3:0].
pub const APSR_MASK: u32 = 0xf80f_0000;

pub const SIGILL: u32 = 4;
pub const SIGBUS: u32 = 7;
pub const SIGSEGV: u32 = 11;

/// Encodings never generated: no observable user-level effect, or an effect on
/// the runner itself, or a known difference (guest-images/difftest/KNOWN-DIFFERENCES.md).
/// Matched as substrings of the row names.
/// (WFI/WFE need no entry: their IR exits with `ExitReason::Wfi`, which `analyse`
/// rejects, while the NOP-like hints of the same rows are generated.)
const EXCLUDED_NAMES: &[&str] = &[
    "SVC", "BKPT", "SETEND", "HVC", "SMC", "SRS", "RFE", "CPS", "MRC", "MCR", "MRRC", "MCRR", "CDP", "LDC",
    "STC", "ERET", "exception return", "user registers", "banked", "UDF", "SPSR",
];

// ----- random numbers -----

/// SplitMix64: small, fast, good enough, and reproducible from one seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn u32(&mut self) -> u32 {
        (self.u64() >> 32) as u32
    }
    /// Uniform in [0, n).
    pub fn below(&mut self, n: u32) -> u32 {
        ((self.u32() as u64 * n as u64) >> 32) as u32
    }
    /// True with probability num/den.
    pub fn chance(&mut self, num: u32, den: u32) -> bool {
        self.below(den) < num
    }
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u32) as usize]
    }
}

// ----- cases, states and their binary encoding -----

/// The architectural state a case starts from and a run ends with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub r: [u32; 15],
    /// N Z C V Q (bits 31..27) and GE (bits 19..16).
    pub apsr: u32,
    pub fpscr: u32,
    pub d: [u64; 16],
    pub scratch: Vec<u8>,
}

impl State {
    pub fn encode(&self, out: &mut Vec<u8>) {
        for r in self.r {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&self.apsr.to_le_bytes());
        out.extend_from_slice(&self.fpscr.to_le_bytes());
        for d in self.d {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&self.scratch[..SCRATCH_LEN]);
    }
    /// Decodes STATE_BYTES bytes.
    pub fn decode(b: &[u8]) -> State {
        let w = |i: usize| u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap());
        let mut r = [0; 15];
        for (i, x) in r.iter_mut().enumerate() {
            *x = w(i);
        }
        let mut d = [0; 16];
        for (i, x) in d.iter_mut().enumerate() {
            *x = u64::from_le_bytes(b[68 + 8 * i..76 + 8 * i].try_into().unwrap());
        }
        State { r, apsr: w(15), fpscr: w(16), d, scratch: b[196..196 + SCRATCH_LEN].to_vec() }
    }
}

/// One instruction of a case, for reports.
#[derive(Clone, Debug)]
pub struct CaseInsn {
    pub addr: u32,
    /// 2 or 4.
    pub size: u32,
    /// The ARM word, the Thumb halfword, or `hw1 << 16 | hw2`.
    pub word: u32,
    pub name: &'static str,
    /// Part of the setup the generator put before a memory instruction.
    pub setup: bool,
    /// Instructions with the same unit number belong together: a memory
    /// instruction and its setup, an IT instruction and its block.
    pub unit: u32,
    /// A branch's target (the start of a later unit).
    pub target: Option<u32>,
}

/// A test case: code placed at `code_addr`, run from `init` until the PC reaches
/// `code_addr + code.len()`.
#[derive(Clone, Debug)]
pub struct Case {
    pub thumb: bool,
    pub code_addr: u32,
    pub code: Vec<u8>,
    pub init: State,
    pub insns: Vec<CaseInsn>,
}

impl Case {
    pub fn end(&self) -> u32 {
        self.code_addr + self.code.len() as u32
    }
    pub fn encode(&self, out: &mut Vec<u8>) {
        for w in [MAGIC_CASE, self.thumb as u32, self.code_addr, self.code.len() as u32] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        self.init.encode(out);
        out.extend_from_slice(&self.code);
    }
    /// The names of the (non-setup) instructions, for summaries.
    pub fn names(&self) -> Vec<&'static str> {
        self.insns.iter().filter(|i| !i.setup && i.name != "IT" && i.name != "pad NOP").map(|i| i.name).collect()
    }
    pub fn units(&self) -> u32 {
        self.insns.last().map_or(0, |i| i.unit + 1)
    }
    /// The case made of unit `u` alone, at the same address and from the same
    /// initial state: used to find which instruction of a diverging case diverges.
    pub fn unit_case(&self, u: u32) -> Case {
        let insns: Vec<CaseInsn> =
            self.insns.iter().filter(|i| i.unit == u).map(|i| CaseInsn { unit: 0, ..i.clone() }).collect();
        let code_addr = insns[0].addr;
        let mut insns = insns;
        // A branch must still land inside the code: pad up to its target.
        let far = insns.iter().filter_map(|i| i.target).max().unwrap_or(0);
        let mut end = insns.last().map_or(code_addr, |i| i.addr + i.size);
        while end < far {
            let (word, size) = if self.thumb { (0xbf00, 2) } else { (0xe320_f000, 4) };
            insns.push(CaseInsn { addr: end, size, word, name: "pad NOP", setup: false, unit: 0, target: None });
            end += size;
        }
        let mut code = Vec::new();
        for i in &insns {
            code.extend(insn_bytes(i.word, i.size, self.thumb));
        }
        Case { thumb: self.thumb, code_addr, code, init: self.init.clone(), insns }
    }
}

/// The bytes the runner places at `end` to jump to STUB (verified encodings:
/// ARM `LDR PC, [PC, #-4]`; Thumb `NOP` to align, `LDR.W PC, [PC, #0]`).
pub fn terminator(thumb: bool, end: u32) -> Vec<u8> {
    let mut v = Vec::new();
    if thumb {
        if end & 2 != 0 {
            v.extend_from_slice(&0xbf00u16.to_le_bytes());
        }
        v.extend_from_slice(&[0xdf, 0xf8, 0x00, 0xf0]);
    } else {
        v.extend_from_slice(&0xe51f_f004u32.to_le_bytes());
    }
    v.extend_from_slice(&STUB.to_le_bytes());
    v
}

// ----- running a case on hspt -----

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Reached the end of the code.
    Done(State),
    /// An exception, as the Linux signal a user process would get, with the
    /// state at the faulting instruction.
    Fault { signal: u32, state: State },
    /// hspt left the code or stopped for another reason (a bug: cases only
    /// branch forward inside their code).
    Stuck { pc: u32, why: String, state: State },
}

impl Outcome {
    pub fn state(&self) -> &State {
        match self {
            Outcome::Done(s) | Outcome::Fault { state: s, .. } | Outcome::Stuck { state: s, .. } => s,
        }
    }
}

/// The memory of a case: the scratch page and a zero window around the code that
/// holds the code and its terminator. Instructions are fetched only from the code.
pub struct DiffMem {
    pub scratch: Vec<u8>,
    pub win_base: u32,
    pub win: Vec<u8>,
    code: (u32, u32),
}

impl DiffMem {
    pub fn new(case: &Case) -> DiffMem {
        let mut scratch = vec![0; SCRATCH_PAGE];
        scratch[..SCRATCH_LEN].copy_from_slice(&case.init.scratch[..SCRATCH_LEN]);
        // Larger than the window the generator checks accesses against, so that a
        // unit of a case moved to its own start (`unit_case`) still fits.
        let win_base = case.code_addr - WINDOW - MAX_CODE;
        let mut win = vec![0; (2 * WINDOW + 3 * MAX_CODE) as usize];
        let o = (WINDOW + MAX_CODE) as usize;
        win[o..o + case.code.len()].copy_from_slice(&case.code);
        let t = terminator(case.thumb, case.end());
        let o = o + case.code.len();
        win[o..o + t.len()].copy_from_slice(&t);
        DiffMem { scratch, win_base, win, code: (case.code_addr, case.end()) }
    }
    fn slot(&mut self, addr: u32, n: u32) -> Option<&mut [u8]> {
        let s = addr.wrapping_sub(SCRATCH) as usize;
        if s < SCRATCH_PAGE && s + n as usize <= SCRATCH_PAGE {
            return Some(&mut self.scratch[s..s + n as usize]);
        }
        let w = addr.wrapping_sub(self.win_base) as usize;
        if w < self.win.len() && w + n as usize <= self.win.len() {
            return Some(&mut self.win[w..w + n as usize]);
        }
        None
    }
}

impl GuestMemory for DiffMem {
    fn load(&mut self, _cpu: &mut CpuState, addr: u32, size: MemSize, _user: bool) -> Result<u64, MemFault> {
        let n = size.bytes();
        let s = self.slot(addr, n).ok_or(MemFault::new(fsr::TRANSLATION_PAGE, addr))?;
        let mut b = [0u8; 8];
        b[..n as usize].copy_from_slice(s);
        Ok(u64::from_le_bytes(b))
    }
    fn store(&mut self, _cpu: &mut CpuState, addr: u32, size: MemSize, val: u64, _user: bool) -> Result<(), MemFault> {
        let n = size.bytes();
        let s = self.slot(addr, n).ok_or(MemFault::new(fsr::TRANSLATION_PAGE, addr))?;
        s.copy_from_slice(&val.to_le_bytes()[..n as usize]);
        Ok(())
    }
    fn fetch(&mut self, cpu: &mut CpuState, addr: u32, size: u32) -> Result<u32, MemFault> {
        // Fetching stops at the end of the code, so blocks end exactly there.
        if addr < self.code.0 || addr + size > self.code.1 {
            return Err(MemFault::new(fsr::TRANSLATION_PAGE, addr));
        }
        let s = if size == 2 { MemSize::U16 } else { MemSize::U32 };
        self.load(cpu, addr, s, false).map(|v| v as u32)
    }
}

/// A CPU in User mode with VFP enabled, as a Linux process sees it.
pub fn user_cpu() -> CpuState {
    let mut cpu = CpuState::new();
    cpu.mode = Mode::Usr as u8;
    cpu.eaif = 0;
    cpu.fpexc = 1 << 30;
    cpu.cp15.cpacr = 0x00f0_0000;
    cpu
}

fn load_state(cpu: &mut CpuState, s: &State) {
    cpu.r[..15].copy_from_slice(&s.r);
    cpu.n = (s.apsr >> 31) as u8 & 1;
    cpu.z = (s.apsr >> 30) as u8 & 1;
    cpu.c = (s.apsr >> 29) as u8 & 1;
    cpu.v = (s.apsr >> 28) as u8 & 1;
    cpu.q = (s.apsr >> 27) as u8 & 1;
    cpu.ge = ((s.apsr >> 16) & 0xf) as u8;
    cpu.fpscr = s.fpscr;
    cpu.d[..16].copy_from_slice(&s.d);
}

fn save_state(cpu: &CpuState, mem: &DiffMem) -> State {
    let mut r = [0; 15];
    r.copy_from_slice(&cpu.r[..15]);
    let apsr = (cpu.n as u32) << 31
        | (cpu.z as u32) << 30
        | (cpu.c as u32) << 29
        | (cpu.v as u32) << 28
        | (cpu.q as u32) << 27
        | ((cpu.ge & 0xf) as u32) << 16;
    let mut d = [0; 16];
    d.copy_from_slice(&cpu.d[..16]);
    State { r, apsr, fpscr: cpu.fpscr, d, scratch: mem.scratch[..SCRATCH_LEN].to_vec() }
}

/// Runs a case on hspt's translator and interpreter.
pub fn run_hspt(case: &Case) -> Outcome {
    let mut cpu = user_cpu();
    load_state(&mut cpu, &case.init);
    cpu.r[15] = case.code_addr;
    cpu.t = case.thumb as u8;
    let mut mem = DiffMem::new(case);
    let stop = case.end();
    let mut temps = Temps::default();
    for _ in 0..256 {
        if cpu.r[15] == stop && cpu.t == case.thumb as u8 && cpu.it == 0 {
            return Outcome::Done(save_state(&cpu, &mem));
        }
        let pc = cpu.r[15];
        let stuck = |cpu: &CpuState, mem: &DiffMem, why: String| Outcome::Stuck {
            pc: cpu.r[15],
            why,
            state: save_state(cpu, mem),
        };
        if pc < case.code_addr || pc > stop {
            return stuck(&cpu, &mem, "PC left the code".into());
        }
        let (thumb, it) = (cpu.t != 0, cpu.it);
        let b = match translate_block(&mut mem, &mut cpu, pc, thumb, it) {
            Ok(b) => b,
            Err(_) => return stuck(&cpu, &mem, "prefetch abort".into()),
        };
        match run_block(&mut cpu, &mut mem, &b, &mut temps) {
            ExitReason::Branch | ExitReason::SysChange => {}
            ExitReason::Exception => {
                let signal = match cpu.pending {
                    Some(Exception::Undefined) => SIGILL,
                    Some(Exception::DataAbort) if cpu.cp15.dfsr & 0x40f == fsr::ALIGNMENT => SIGBUS,
                    Some(Exception::DataAbort) => SIGSEGV,
                    p => return stuck(&cpu, &mem, format!("exception {p:?}")),
                };
                return Outcome::Fault { signal, state: save_state(&cpu, &mem) };
            }
            r => return stuck(&cpu, &mem, format!("exit {r:?}")),
        }
    }
    let pc = cpu.r[15];
    Outcome::Stuck { pc, why: "too many blocks".into(), state: save_state(&cpu, &mem) }
}

// ----- IR analysis -----

const DEP_PC: u32 = 1 << 15;
const DEP_FLAGS: u32 = 1 << 16;
const DEP_LOADED: u32 = 1 << 17;
const DEP_VFP: u32 = 1 << 18;
const DEP_CALL: u32 = 1 << 19;

/// What an instruction's IR says about it.
struct Analysis {
    /// Whether it accesses memory.
    mem: bool,
    /// Whether it is a store exclusive (see KNOWN-DIFFERENCES.md: unaligned ones are not generated).
    store_excl: bool,
    /// Whether it is a load exclusive.
    load_excl: bool,
    /// Whether it may write the PC (other than to the next instruction), and what
    /// the written value depends on (DEP_* bits as for addresses).
    branch: bool,
    branch_deps: u32,
    /// The sources memory addresses depend on: bit r for GetReg r (0–14), DEP_* bits.
    addr_deps: u32,
}

fn analyse(ops: &[Op], size: u32) -> Option<Analysis> {
    let mut dep: Vec<u32> = Vec::new();
    fn set(dep: &mut Vec<u32>, t: u16, v: u32) {
        if dep.len() <= t as usize {
            dep.resize(t as usize + 1, 0);
        }
        dep[t as usize] = v;
    }
    let get = |dep: &Vec<u32>, t: u16| dep.get(t as usize).copied().unwrap_or(0);
    let mut mem = false;
    let mut store_excl = false;
    let mut load_excl = false;
    let mut branch = false;
    let mut branch_deps = 0;
    let mut addr_deps = 0;
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Const { d, .. } => set(&mut dep, d, 0),
            Op::PcRel { d, .. } => set(&mut dep, d, DEP_PC),
            Op::GetReg { d, r } => set(&mut dep, d, 1 << r),
            Op::GetFlag { d, .. } | Op::GetNZCV { d } | Op::Cond { d, .. } => set(&mut dep, d, DEP_FLAGS),
            Op::Bin { d, a, b, .. }
            | Op::AddFlags { d, a, b, .. }
            | Op::SubFlags { d, a, b }
            | Op::MulL { d, a, b, .. } => {
                let v = get(&dep, a) | get(&dep, b);
                set(&mut dep, d, v)
            }
            Op::Un { d, a, .. } | Op::BinImm { d, a, .. } => {
                let v = get(&dep, a);
                set(&mut dep, d, v)
            }
            Op::ShiftC { d, dc, a, amt, cin, .. } => {
                let v = get(&dep, a) | get(&dep, amt) | get(&dep, cin);
                set(&mut dep, d, v);
                set(&mut dep, dc, v)
            }
            Op::Select { d, c, a, b } => {
                let v = get(&dep, c) | get(&dep, a) | get(&dep, b);
                set(&mut dep, d, v)
            }
            Op::GetS { d, .. } | Op::GetD { d, .. } => set(&mut dep, d, DEP_VFP),
            Op::Load { d, addr, .. } | Op::LoadExcl { d, addr, .. } | Op::StoreExcl { d, addr, .. } => {
                mem = true;
                store_excl |= matches!(op, Op::StoreExcl { .. });
                load_excl |= matches!(op, Op::LoadExcl { .. });
                addr_deps |= get(&dep, addr);
                set(&mut dep, d, DEP_LOADED)
            }
            Op::Store { addr, .. } => {
                mem = true;
                addr_deps |= get(&dep, addr);
            }
            Op::Call { h, .. } if h.name.contains("exception_return") => return None,
            Op::Call { d, a, b, c, .. } => {
                // Helpers that may raise are allowed: in practice they check
                // that VFP is enabled, which it is; if one raises, it is compared
                // with QEMU's signal like any other fault.
                let v = DEP_CALL | get(&dep, a) | get(&dep, b) | get(&dep, c);
                set(&mut dep, d, v)
            }
            Op::Raise { .. } => return None,
            Op::WritePc { s, kind } => {
                // Ending the block with the next instruction's address is not a branch.
                let next = ops[..i].iter().rev().find_map(|o| match *o {
                    Op::PcRel { d, off } if d == s => Some(off),
                    _ => None,
                });
                if next != Some(size) || kind != crate::ir::PcWrite::Branch {
                    branch = true;
                    branch_deps |= get(&dep, s);
                }
            }
            Op::Exit { reason } => {
                if !matches!(reason, ExitReason::SysChange | ExitReason::Branch) {
                    return None;
                }
            }
            Op::ExitTo { off, kind, reason } => {
                if !matches!(reason, ExitReason::SysChange | ExitReason::Branch) {
                    return None;
                }
                // Ending the block with the next instruction's address is not a branch.
                if off != size || kind != crate::ir::PcWrite::Branch {
                    branch = true;
                }
            }
            Op::SetReg { .. }
            | Op::SetFlag { .. }
            | Op::SetNZ { .. }
            | Op::SetNZCV { .. }
            | Op::SetS { .. }
            | Op::SetD { .. }
            | Op::ClearExcl
            | Op::SkipUnless { .. }
            | Op::SkipUnlessCond { .. }
            | Op::SetIt { .. } => {}
            // An op this analysis does not know might define a temporary it
            // cannot follow: leave the instruction out rather than guess.
            #[allow(unreachable_patterns)]
            _ => return None,
        }
    }
    Some(Analysis { mem, store_excl, load_excl, branch, branch_deps, addr_deps })
}

// ----- dry runs of memory instructions -----

#[derive(Clone, Copy, Debug)]
struct Access {
    addr: u32,
    n: u32,
    store: bool,
}

struct DryMem<'a> {
    code_base: u32,
    code: Vec<u8>,
    acc: Vec<Access>,
    /// What the n-th access loads (0 beyond the list).
    loaded: &'a [u64],
}

impl GuestMemory for DryMem<'_> {
    fn load(&mut self, _cpu: &mut CpuState, addr: u32, size: MemSize, _user: bool) -> Result<u64, MemFault> {
        let v = self.loaded.get(self.acc.len()).copied().unwrap_or(0);
        self.acc.push(Access { addr, n: size.bytes(), store: false });
        Ok(v)
    }
    fn store(&mut self, _cpu: &mut CpuState, addr: u32, size: MemSize, _val: u64, _user: bool) -> Result<(), MemFault> {
        self.acc.push(Access { addr, n: size.bytes(), store: true });
        Ok(())
    }
    fn fetch(&mut self, _cpu: &mut CpuState, addr: u32, size: u32) -> Result<u32, MemFault> {
        let o = addr.wrapping_sub(self.code_base) as usize;
        if o + size as usize > self.code.len() {
            return Err(MemFault::new(fsr::TRANSLATION_PAGE, addr));
        }
        let mut b = [0u8; 4];
        b[..size as usize].copy_from_slice(&self.code[o..o + size as usize]);
        Ok(u32::from_le_bytes(b))
    }
}

/// Runs one instruction at `pc` with the given registers (the rest zero), its
/// condition forced to pass, and returns its accesses, or Err if it faulted
/// (alignment) or raised.
fn dry_run(word: u32, size: u32, thumb: bool, pc: u32, regs: &[(u8, u32)]) -> Result<Vec<Access>, ()> {
    dry_run_full(word, size, thumb, pc, Dry { regs, ..Dry::default() }).map(|d| d.0)
}

/// The state of a dry run: registers preset to `fill`, then `regs`; NZCV;
/// what the loads return. With `raw_pc` the PC after the run is the value the
/// instruction wrote, before alignment and interworking.
#[derive(Clone, Copy, Default)]
struct Dry<'a> {
    regs: &'a [(u8, u32)],
    fill: u32,
    nzcv: u32,
    raw_pc: bool,
    loaded: &'a [u64],
}

/// Runs one instruction at `pc` (its condition forced to pass) from `st`;
/// returns the accesses and the PC and T after it.
fn dry_run_full(word: u32, size: u32, thumb: bool, pc: u32, st: Dry<'_>) -> Result<(Vec<Access>, u32, bool), ()> {
    let Dry { regs, fill, nzcv, raw_pc, loaded } = st;
    let mut cpu = user_cpu();
    cpu.r[..15].fill(fill);
    for &(r, v) in regs {
        cpu.r[r as usize] = v;
    }
    (cpu.n, cpu.z, cpu.c, cpu.v) = ((nzcv >> 3) as u8 & 1, (nzcv >> 2) as u8 & 1, (nzcv >> 1) as u8 & 1, nzcv as u8 & 1);
    cpu.r[15] = pc;
    cpu.t = thumb as u8;
    let word = if !thumb && word >> 28 != 0xf { (word & 0x0fff_ffff) | 0xe000_0000 } else { word };
    let mut mem = DryMem { code_base: pc, code: insn_bytes(word, size, thumb), acc: Vec::new(), loaded };
    let mut b = translate_block(&mut mem, &mut cpu, pc, thumb, 0).map_err(|_| ())?;
    for op in b.ops.iter_mut() {
        match *op {
            // A store exclusive stores only if the monitor is open: make it store always.
            Op::StoreExcl { addr, s, size, insn, .. } => {
                *op = Op::Store { addr, s, size, insn, user: false, align: true };
            }
            // The value written to the PC, unmasked (but for bit 0, which
            // decides the state and is checked apart): the caller checks it is clean.
            Op::WritePc { s, .. } if raw_pc => *op = Op::SetReg { r: 15, s },
            Op::ExitTo { off, reason, .. } if raw_pc => {
                *op = Op::ExitTo { off, kind: crate::ir::PcWrite::SetThumb(true), reason }
            }
            _ => {}
        }
    }
    let mut temps = Temps::default();
    match run_block(&mut cpu, &mut mem, &b, &mut temps) {
        ExitReason::Branch | ExitReason::SysChange => Ok((mem.acc, cpu.r[15], cpu.t != 0)),
        _ => Err(()),
    }
}

/// Whether the instruction run from `st` branches to `want` in the current
/// instruction set with a clean written value: an ARM-state interworking write
/// with bits 1:0 = 0b10 is UNPREDICTABLE (A2.3.1, BXWritePC).
fn lands(word: u32, size: u32, thumb: bool, at: u32, st: Dry<'_>, want: u32) -> bool {
    let raw = dry_run_full(word, size, thumb, at, Dry { raw_pc: true, ..st }).map(|d| d.1);
    let Ok((_, to, t)) = dry_run_full(word, size, thumb, at, st) else { return false };
    let clean = raw.is_ok_and(|r| if thumb { r & !1 == to } else { r == to });
    to == want && t == thumb && clean
}

/// Where a branch goes when taken: dry runs under a few flag and register
/// states until one leaves the fall-through path. None if none does.
fn taken_target(word: u32, size: u32, thumb: bool, pc: u32) -> Option<(u32, bool)> {
    taken_state(word, size, thumb, pc).map(|x| (x.0, x.1))
}

/// The states `taken_target` tries.
fn dry_states() -> impl Iterator<Item = Dry<'static>> {
    (0..32u32).map(|v| Dry { fill: v & 1, nzcv: v >> 1, ..Dry::default() })
}

/// `taken_target`, with the state that takes the branch.
fn taken_state(word: u32, size: u32, thumb: bool, pc: u32) -> Option<(u32, bool, Dry<'static>)> {
    for st in dry_states() {
        let (_, to, t) = dry_run_full(word, size, thumb, pc, st).ok()?;
        if to != pc + size || t != thumb {
            return Some((to, t, st));
        }
    }
    None
}

/// Rewrites the offset bits of the immediate branch `w0` at `at` so that it
/// branches to `want`. The offset is a GF(2)-affine function of the encoding's
/// field bits (sign extension, I1 = NOT(J1 XOR S)...), so flipping each bit
/// once and solving a linear system finds the encoding, whatever the row.
fn solve_branch(row: &'static Row, w0: u32, size: u32, thumb: bool, it: u8, at: u32, want: u32) -> Option<u32> {
    let pc_op = at + if thumb { 4 } else { 8 };
    let valid = |w: u32| {
        let d = if !thumb {
            decode_arm(w)
        } else if size == 4 {
            decode_t32(w)
        } else {
            decode_t16(w as u16)
        };
        // Flipping a bit may turn PC into another register (SUB PC, PC, PC -> SUB PC, PC, R7):
        // the target must stay a function of the PC alone.
        d.is_some_and(|d| std::ptr::eq(d, row))
            && check_insn(w, thumb, size, it)
                .ok()
                .and_then(|ops| analyse(&ops, size))
                .is_some_and(|a| !a.mem && a.branch_deps & !DEP_PC == 0)
    };
    let (t0, th0) = taken_target(w0, size, thumb, at)?;
    if th0 != thumb {
        return None;
    }
    let o0 = t0.wrapping_sub(pc_op);
    let bits: Vec<u8> = row.pattern.bytes().filter(|&b| b != b' ').collect();
    let n = bits.len();
    let (mut cols, mut idx) = (Vec::new(), Vec::new());
    for (i, &b) in bits.iter().enumerate() {
        if matches!(b, b'0' | b'1' | b'z' | b'o' | b'c') {
            continue;
        }
        let bit = 1u32 << (n - 1 - i);
        let w = w0 ^ bit;
        if !valid(w) {
            continue;
        }
        match taken_target(w, size, thumb, at) {
            Some((t, th)) if th == thumb => {
                cols.push(t.wrapping_sub(pc_op) ^ o0);
                idx.push(bit);
            }
            _ => {}
        }
    }
    let m = gf2_solve(&cols, want.wrapping_sub(pc_op) ^ o0)?;
    let w = idx.iter().enumerate().filter(|(j, _)| m >> j & 1 != 0).fold(w0, |w, (_, &bit)| w ^ bit);
    if !valid(w) {
        return None;
    }
    // The written value must be clean too (ADD PC, PC, #imm with bits 1:0 = 0b10).
    let ok = match taken_state(w, size, thumb, at) {
        Some((_, _, st)) => lands(w, size, thumb, at, st, want),
        None => want == at + size && dry_states().all(|st| lands(w, size, thumb, at, st, want)),
    };
    ok.then_some(w)
}

/// Solves `cols · x = want` over GF(2): which columns XOR to `want` (a bit mask
/// of column indices), if any.
fn gf2_solve(cols: &[u32], want: u32) -> Option<u64> {
    let mut piv: [Option<(u32, u64)>; 32] = [None; 32];
    for (j, &c) in cols.iter().enumerate() {
        let (mut v, mut m) = (c, 1u64 << j);
        for b in (0..32).rev() {
            if v >> b & 1 == 0 {
                continue;
            }
            match piv[b] {
                Some((pv, pm)) => {
                    v ^= pv;
                    m ^= pm;
                }
                None => {
                    piv[b] = Some((v, m));
                    break;
                }
            }
        }
    }
    let (mut v, mut m) = (want, 0u64);
    for b in (0..32).rev() {
        if v >> b & 1 != 0 {
            let (pv, pm) = piv[b]?;
            v ^= pv;
            m ^= pm;
        }
    }
    (v == 0).then_some(m)
}

fn insn_bytes(word: u32, size: u32, thumb: bool) -> Vec<u8> {
    if thumb && size == 4 {
        let mut v = ((word >> 16) as u16).to_le_bytes().to_vec();
        v.extend_from_slice(&(word as u16).to_le_bytes());
        v
    } else if size == 2 {
        (word as u16).to_le_bytes().to_vec()
    } else {
        word.to_le_bytes().to_vec()
    }
}

// ----- setup instructions (MOVW/MOVT) -----

fn arm_movw(rd: u8, imm: u32, top: bool) -> u32 {
    let base = if top { 0xe340_0000 } else { 0xe300_0000 };
    base | ((imm >> 12) & 0xf) << 16 | (rd as u32) << 12 | (imm & 0xfff)
}

fn t32_movw(rd: u8, imm: u32, top: bool) -> u32 {
    let hw1 = if top { 0xf2c0 } else { 0xf240 } | ((imm >> 11) & 1) << 10 | ((imm >> 12) & 0xf);
    let hw2 = ((imm >> 8) & 7) << 12 | (rd as u32) << 8 | (imm & 0xff);
    hw1 << 16 | hw2
}

/// T16 `MOV SP, Rm`.
fn t16_mov_sp(rm: u8) -> u32 {
    0x4600 | 0x80 | (rm as u32) << 3 | 5
}

/// Setup instructions that give `regs` their values. `base` gets MOVW+MOVT, the
/// others (small values) only MOVW. Thumb SP goes through `tmp`.
fn setup_insns(thumb: bool, regs: &[(u8, u32)], base: u8, tmp: u8) -> Vec<(u32, u32, &'static str)> {
    let mut v = Vec::new();
    for &(r, val) in regs {
        let (rd, via) = if thumb && r == 13 { (tmp, true) } else { (r, false) };
        let full = r == base || val > 0xffff;
        if thumb {
            v.push((t32_movw(rd, val & 0xffff, false), 4, "setup MOVW"));
            if full {
                v.push((t32_movw(rd, val >> 16, true), 4, "setup MOVT"));
            }
            if via {
                v.push((t16_mov_sp(tmp), 2, "setup MOV SP"));
            }
        } else {
            v.push((arm_movw(rd, val & 0xffff, false), 4, "setup MOVW"));
            if full {
                v.push((arm_movw(rd, val >> 16, true), 4, "setup MOVT"));
            }
        }
    }
    v
}

fn setup_len(thumb: bool, regs: &[(u8, u32)], base: u8) -> u32 {
    setup_insns(thumb, regs, base, 0).iter().map(|i| i.1).sum()
}

// ----- the generator -----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    Arm,
    T32,
    T16,
}

/// One generated instruction and the setup it needs before it.
struct Gen {
    word: u32,
    size: u32,
    name: &'static str,
    /// Registers to set right before it (memory instructions), and which is the base.
    setup: Vec<(u8, u32)>,
    base: u8,
    tmp: u8,
    /// Its memory accesses (from the dry run).
    acc: Vec<Access>,
    /// Where it branches to when taken (a later unit of the case).
    target: Option<u32>,
    /// Bytes the case's scratch memory must hold for it (a loaded branch target).
    patch: Option<(u32, Vec<u8>)>,
}

/// Counts of what the generator produced and rejected (for the test's summary).
#[derive(Clone, Debug, Default)]
pub struct GenStats {
    pub cases: u64,
    pub insns: u64,
    pub mem_insns: u64,
    pub rejected: u64,
    /// Instructions generated per row name.
    pub per_row: std::collections::BTreeMap<&'static str, u64>,
}

/// Produces random cases. Deterministic for a given seed and set of tables.
pub struct Generator {
    rng: Rng,
    arm: Vec<&'static Row>,
    t32: Vec<&'static Row>,
    t16: Vec<&'static Row>,
    /// Whether hspt translates the MOVW/MOVT setup (else memory instructions are skipped).
    setup_arm: bool,
    setup_thumb: bool,
    /// Start of the case being generated.
    code_addr: u32,
    /// Whether the case being generated has a VMSR (then no VMRS may follow).
    seen_vmsr: bool,
    /// The case's load exclusives so far (address, size, number of `stores` before
    /// it) and plain stores (address, size): see `exclusive_ok`.
    excl_loads: Vec<(u32, u32, usize)>,
    stores: Vec<(u32, u32)>,
    /// Scratch bytes the case's loaded branch targets need (address, bytes).
    patches: Vec<(u32, Vec<u8>)>,
    /// Consecutive failures per instruction set; one that never works is dropped.
    fails: [u32; 2],
    pub stats: GenStats,
}

fn excluded(row: &Row) -> bool {
    EXCLUDED_NAMES.iter().any(|x| row.name.contains(x))
}

/// Encodings of an included row that hit a known difference (KNOWN-DIFFERENCES.md).
fn known_difference(row: &Row, word: u32) -> bool {
    let f = super::Fields { insn: word, pattern: row.pattern };
    // MSR CPSR with mask<1> writes CPSR.E, user-writable: hspt is little-endian only.
    (row.name.starts_with("MSR (register) ") || row.name.starts_with("MSR (immediate) "))
        && !row.name.contains("SPSR")
        && f.get('k') & 2 != 0
}

fn setup_supported(thumb: bool) -> bool {
    let words = if thumb {
        [t32_movw(1, 0x1234, false), t32_movw(1, 0x4800, true)]
    } else {
        [arm_movw(1, 0x1234, false), arm_movw(1, 0x4800, true)]
    };
    words.iter().all(|&w| check_insn(w, thumb, 4, 0).is_ok_and(|ops| analyse(&ops, 4).is_some()))
        && (!thumb || check_insn(t16_mov_sp(1), true, 2, 0).is_ok())
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Self::with_filter(seed, None, None)
    }

    /// A generator restricted to the rows whose name contains one of the
    /// comma-separated `only` strings and none of the `skip` strings.
    pub fn with_filter(seed: u64, only: Option<&str>, skip: Option<&str>) -> Generator {
        let any = |list: Option<&str>, name: &str| list.is_some_and(|l| l.split(',').any(|x| name.contains(x)));
        let keep = |t: &'static [Row]| {
            t.iter()
                .filter(|r| !excluded(r) && (only.is_none() || any(only, r.name)) && !any(skip, r.name))
                .collect::<Vec<_>>()
        };
        Generator {
            rng: Rng::new(seed),
            arm: keep(crate::arm::arm_table()),
            t32: keep(crate::arm::t32_table()),
            t16: keep(crate::arm::t16_table())
                .into_iter()
                .filter(|r| !(r.mask & 0xff00 == 0xff00 && r.value & 0xff00 == 0xbf00 && r.mask & 0xf == 0))
                .collect(),
            setup_arm: setup_supported(false),
            setup_thumb: setup_supported(true),
            code_addr: CODE_LO,
            seen_vmsr: false,
            excl_loads: Vec::new(),
            stores: Vec::new(),
            patches: Vec::new(),
            fails: [0; 2],
            stats: GenStats::default(),
        }
    }

    /// A case of one random encoding that hspt treats as UNDEFINED (no row, or
    /// the handler says `Fail::Undefined`), outside the Advanced SIMD space that
    /// hspt leaves out on purpose: for probing what QEMU runs and hspt does not.
    pub fn undefined_case(&mut self, thumb: bool) -> Case {
        loop {
            let (word, size) = if !thumb {
                // AL: with a failing condition QEMU skips an encoding without
                // looking at it (the Arm ARM leaves that IMPLEMENTATION DEFINED).
                let cond = if self.rng.chance(1, 4) { 0xf } else { 0xe };
                ((self.rng.u32() & 0x0fff_ffff) | cond << 28, 4)
            } else if self.rng.chance(1, 2) {
                let hw = self.rng.u32() & 0xffff;
                if crate::arm::is_t32_prefix(hw as u16) {
                    continue;
                }
                (hw, 2)
            } else {
                (0xe800_0000 | (self.rng.u32() & 0x1fff_ffff), 4)
            };
            let simd = if thumb {
                size == 4 && ((word >> 24) & 0xef == 0xef || word & 0xff10_0000 == 0xf900_0000)
            } else {
                word >> 25 == 0b111_1001 || word & 0xff10_0000 == 0xf400_0000
            };
            if simd || !matches!(check_insn(word, thumb, size, 0), Err(crate::arm::Fail::Undefined)) {
                continue;
            }
            let init = self.state();
            let mut code_addr = CODE_LO + self.rng.below((CODE_HI - CODE_LO - MAX_CODE) / 4) * 4;
            if thumb && self.rng.chance(1, 2) {
                code_addr += 2;
            }
            let insns =
                vec![CaseInsn { addr: code_addr, size, word, name: "undefined", setup: false, unit: 0, target: None }];
            return Case { thumb, code_addr, code: insn_bytes(word, size, thumb), init, insns };
        }
    }

    /// Whether there is anything to generate at all.
    pub fn has_rows(&self) -> bool {
        !self.arm.is_empty() || !self.t32.is_empty() || !self.t16.is_empty()
    }

    /// A random initial state.
    pub fn state(&mut self) -> State {
        let rng = &mut self.rng;
        let mut r = [0u32; 15];
        for x in r.iter_mut() {
            *x = random_word32(rng);
        }
        let apsr = rng.u32() & APSR_MASK;
        // FPSCR: random NZCV, AHP, DN, FZ and rounding mode; no traps, vector
        // length or stride; cumulative flags clear.
        let fpscr = rng.u32() & 0xf7c0_0000;
        let mut d = [0u64; 16];
        for x in d.iter_mut() {
            *x = random_fp64(rng);
        }
        let mut scratch = vec![0u8; SCRATCH_LEN];
        for chunk in scratch.chunks_mut(8) {
            chunk.copy_from_slice(&random_fp64(rng).to_le_bytes());
        }
        State { r, apsr, fpscr, d, scratch }
    }

    /// A random case: 1–8 instructions, ARM or Thumb.
    /// Panics if no instruction of the tables can be generated.
    pub fn case(&mut self) -> Case {
        loop {
            let arm_ok = !self.arm.is_empty() && self.fails[0] < 50;
            let thumb_ok = !(self.t32.is_empty() && self.t16.is_empty()) && self.fails[1] < 50;
            let thumb = match (arm_ok, thumb_ok) {
                (true, true) => self.rng.chance(1, 2),
                (false, true) => true,
                (true, false) => false,
                (false, false) => panic!("difftest generator: no instruction of the decode tables can be generated"),
            };
            match self.try_case(thumb) {
                Some(c) => {
                    self.fails[thumb as usize] = 0;
                    self.stats.cases += 1;
                    return c;
                }
                None => self.fails[thumb as usize] += 1,
            }
        }
    }

    fn try_case(&mut self, thumb: bool) -> Option<Case> {
        let mut code_addr = CODE_LO + self.rng.below((CODE_HI - CODE_LO - MAX_CODE) / 4) * 4;
        if thumb && self.rng.chance(1, 2) {
            code_addr += 2;
        }
        self.code_addr = code_addr;
        let init = self.state();
        // Mostly short sequences; some long ones for the translator's optimisations.
        let n = if self.rng.chance(1, 4) { 1 + self.rng.below(20) } else { 1 + self.rng.below(8) };
        let mut insns: Vec<CaseInsn> = Vec::new();
        let mut pc = code_addr;
        let mut count = 0;
        let mut unit = 0;
        self.seen_vmsr = false;
        self.excl_loads.clear();
        self.stores.clear();
        self.patches.clear();
        // Branches go forward to the start of a later unit.
        let mut unit_starts: Vec<u32> = Vec::new();
        let mut targets: Vec<u32> = Vec::new();
        let emit = |insns: &mut Vec<CaseInsn>, pc: &mut u32, g: (u32, u32, &'static str, Option<u32>), setup, unit| {
            let (word, size, name, target) = g;
            insns.push(CaseInsn { addr: *pc, size, word, name, setup, unit, target });
            *pc += size;
        };
        while count < n {
            if pc - code_addr > MAX_CODE - 96 {
                break;
            }
            unit_starts.push(pc);
            if thumb && self.rng.chance(1, 6) {
                // An IT block of 1–4 instructions.
                let k = 1 + self.rng.below(4);
                let fc = if self.rng.chance(1, 8) { 0xe } else { self.rng.below(14) };
                let mut mask = 0u32;
                for i in 1..k {
                    let then = fc == 0xe || self.rng.chance(1, 2);
                    let bit = if then { fc & 1 } else { !fc & 1 };
                    mask |= bit << (4 - i);
                }
                mask |= 1 << (4 - k);
                let it_word = 0xbf00 | fc << 4 | mask;
                let mut it = (fc << 4 | mask) as u8;
                let mut body: Vec<Gen> = Vec::new();
                let mut at = pc;
                for i in 0..k {
                    // Only the first instruction may have a setup: it goes before
                    // the IT (2 bytes), at `pc`.
                    let g = if i == 0 { self.insn(thumb, it, pc, Some(2))? } else { self.insn(thumb, it, at, None)? };
                    if i == 0 {
                        at = pc + setup_len(true, &g.setup, g.base) + 2;
                    }
                    at += g.size;
                    body.push(g);
                    it = it_advance(it);
                }
                let first = &body[0];
                for (w, s, name) in setup_insns(true, &first.setup, first.base, first.tmp) {
                    emit(&mut insns, &mut pc, (w, s, name, None), true, unit);
                }
                emit(&mut insns, &mut pc, (it_word, 2, "IT", None), false, unit);
                for g in body {
                    targets.extend(g.target);
                    emit(&mut insns, &mut pc, (g.word, g.size, g.name, g.target), false, unit);
                }
                count += k + 1;
                unit += 1;
            } else {
                let g = self.insn(thumb, 0, pc, Some(0))?;
                for (w, s, name) in setup_insns(thumb, &g.setup, g.base, g.tmp) {
                    emit(&mut insns, &mut pc, (w, s, name, None), true, unit);
                }
                targets.extend(g.target);
                emit(&mut insns, &mut pc, (g.word, g.size, g.name, g.target), false, unit);
                count += 1;
                unit += 1;
            }
        }
        // Pad with NOPs up to the farthest branch target; every target must start a unit.
        let far = targets.iter().copied().max().unwrap_or(0);
        while pc < far {
            unit_starts.push(pc);
            let nop = if thumb { (0xbf00, 2) } else { (0xe320_f000, 4) };
            emit(&mut insns, &mut pc, (nop.0, nop.1, "pad NOP", None), false, unit);
            unit += 1;
        }
        unit_starts.push(pc);
        if targets.iter().any(|t| !unit_starts.contains(t)) {
            return None;
        }
        let mut init = init;
        for (addr, bytes) in &self.patches {
            let o = (addr - SCRATCH) as usize;
            init.scratch[o..o + bytes.len()].copy_from_slice(bytes);
        }
        let mut code = Vec::new();
        for i in &insns {
            code.extend(insn_bytes(i.word, i.size, thumb));
        }
        self.stats.insns += count as u64;
        Some(Case { thumb, code_addr, code, init, insns })
    }

    /// One instruction valid with ITSTATE `it`. With `extra` = Some(n) it may have
    /// a setup, placed at `pc` and followed by n bytes (the IT instruction) and
    /// the instruction; with None it is at `pc` and has no setup. None after too
    /// many failed tries.
    fn insn(&mut self, thumb: bool, it: u8, pc: u32, extra: Option<u32>) -> Option<Gen> {
        for _ in 0..200 {
            let isa = if !thumb {
                Isa::Arm
            } else if self.t16.is_empty() || (!self.t32.is_empty() && self.rng.chance(1, 2)) {
                Isa::T32
            } else {
                Isa::T16
            };
            let rows = match isa {
                Isa::Arm => &self.arm,
                Isa::T32 => &self.t32,
                Isa::T16 => &self.t16,
            };
            if rows.is_empty() {
                continue;
            }
            let row = rows[self.rng.below(rows.len() as u32) as usize];
            let word = self.fill(row, isa);
            let size = if isa == Isa::T16 { 2 } else { 4 };
            let decoded = match isa {
                Isa::Arm => decode_arm(word),
                Isa::T32 => decode_t32(word),
                Isa::T16 => decode_t16(word as u16),
            };
            if !decoded.is_some_and(|d| std::ptr::eq(d, row)) || known_difference(row, word) {
                self.stats.rejected += 1;
                continue;
            }
            let Some(a) = check_insn(word, thumb, size, it).ok().and_then(|ops| analyse(&ops, size)) else {
                self.stats.rejected += 1;
                continue;
            };
            // KNOWN-DIFFERENCES.md (FPSCR.QC): a VMRS must not see what a VMSR wrote.
            if row.name.starts_with("VMRS") && self.seen_vmsr {
                continue;
            }
            let mut g =
                Gen { word, size, name: row.name, setup: Vec::new(), base: 0, tmp: 0, acc: Vec::new(), target: None, patch: None };
            if a.branch && a.mem {
                let setup_ok = if thumb { self.setup_thumb } else { self.setup_arm };
                let placed = match extra {
                    Some(extra) if setup_ok && a.branch_deps & !(0xffff | DEP_LOADED) == 0 => {
                        self.place_load_branch(&mut g, thumb, pc, extra, &a)
                    }
                    _ => None,
                };
                if placed.is_none() || !self.exclusive_ok(&g, &a) {
                    self.stats.rejected += 1;
                    continue;
                }
                self.stats.mem_insns += 1;
                self.track_exclusive(&g, &a);
                if let Some(p) = &g.patch {
                    self.patches.push(p.clone());
                }
            } else if a.branch {
                if self.place_branch(row, &mut g, thumb, it, pc, extra, &a).is_none() {
                    self.stats.rejected += 1;
                    continue;
                }
            } else if a.mem {
                let setup_ok = if thumb { self.setup_thumb } else { self.setup_arm };
                let Some(extra) = extra else { continue };
                if !setup_ok {
                    continue;
                }
                if self.place(&mut g, thumb, pc, extra, &a, true).is_none() || !self.exclusive_ok(&g, &a) {
                    self.stats.rejected += 1;
                    continue;
                }
                self.stats.mem_insns += 1;
                self.track_exclusive(&g, &a);
            }
            self.seen_vmsr |= row.name.starts_with("VMSR");
            *self.stats.per_row.entry(row.name).or_default() += 1;
            return Some(g);
        }
        None
    }

    /// The names of the rows the generator may pick (after exclusions and the filter).
    pub fn row_names(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.arm.iter().chain(&self.t32).chain(&self.t16).map(|r| r.name).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Makes a branch go forward to `delta` bytes after its unit: immediate
    /// targets by solving for the offset bits, register targets by a setup.
    #[allow(clippy::too_many_arguments)]
    fn place_branch(
        &mut self,
        row: &'static Row,
        g: &mut Gen,
        thumb: bool,
        it: u8,
        pc: u32,
        extra: Option<u32>,
        a: &Analysis,
    ) -> Option<()> {
        let deps = a.branch_deps;
        if deps & !0xffff != 0 {
            return None;
        }
        let unit = if thumb { 2 } else { 4 };
        let delta = unit * self.rng.below(9);
        let regs: Vec<u8> = (0..15u8).filter(|r| deps & (1 << r) != 0).collect();
        if regs.is_empty() {
            let at = pc + extra.unwrap_or(0);
            let want = at + g.size + delta;
            g.word = solve_branch(row, g.word, g.size, thumb, it, at, want)?;
            g.target = Some(want);
            return Some(());
        }
        let extra = extra?;
        if !(if thumb { self.setup_thumb } else { self.setup_arm }) {
            return None;
        }
        for _ in 0..4 {
            let base = self.rng.pick(&regs);
            let tmp = (0..13u8).find(|r| deps & (1 << r) == 0).unwrap_or(12);
            let mut vals: Vec<(u8, u32)> = Vec::new();
            for &r in &regs {
                let v = if r == base { thumb as u32 } else { self.rng.below(8) };
                vals.push((r, v));
            }
            let at = pc + setup_len(thumb, &vals, base) + extra;
            let want = at + g.size + delta;
            let (_, to, _) = dry_run_full(g.word, g.size, thumb, at, Dry { regs: &vals, ..Dry::default() }).ok()?;
            for v in vals.iter_mut() {
                if v.0 == base {
                    v.1 = v.1.wrapping_add(want.wrapping_sub(to));
                }
            }
            if lands(g.word, g.size, thumb, at, Dry { regs: &vals, ..Dry::default() }, want) {
                (g.setup, g.base, g.tmp, g.target) = (vals, base, tmp, Some(want));
                return Some(());
            }
        }
        None
    }

    /// A branch to a loaded value (LDR PC, POP {..., PC}, LDM, TBB/TBH): places
    /// the accesses like any memory instruction's, finds the load that feeds the
    /// PC and chooses the bytes it reads so that the branch goes forward to a
    /// later unit. Fills `g.patch`.
    fn place_load_branch(&mut self, g: &mut Gen, thumb: bool, pc: u32, extra: u32, a: &Analysis) -> Option<()> {
        self.place(g, thumb, pc, extra, a, false)?;
        if g.acc.is_empty() {
            return None; // an alignment fault
        }
        let at = pc + setup_len(thumb, &g.setup, g.base) + extra;
        let unit = if thumb { 2 } else { 4 };
        let want = at + g.size + unit * self.rng.below(9);
        let regs = g.setup.clone();
        let raw = |loaded: &[u64]| {
            dry_run_full(g.word, g.size, thumb, at, Dry { regs: &regs, raw_pc: true, loaded, ..Dry::default() })
                .ok()
                .map(|d| d.1)
        };
        let r0 = raw(&[])?;
        for (k, x) in g.acc.iter().enumerate() {
            if x.store || x.addr.wrapping_sub(SCRATCH) >= SCRATCH_LEN as u32 {
                continue;
            }
            let mut loaded = vec![0u64; k + 1];
            loaded[k] = 0x100;
            let r1 = raw(&loaded)?;
            let step = r1.wrapping_sub(r0);
            if step == 0 || step % 0x100 != 0 {
                continue;
            }
            let slope = step / 0x100;
            // The value to write: the target, with bit 0 set for a Thumb interworking load.
            for cand in [want, want | thumb as u32] {
                let d = cand.wrapping_sub(r0);
                if d % slope != 0 {
                    continue;
                }
                let v = (d / slope) as u64;
                if x.n < 8 && v >> (8 * x.n) != 0 {
                    continue;
                }
                loaded[k] = v;
                if !lands(g.word, g.size, thumb, at, Dry { regs: &regs, loaded: &loaded, ..Dry::default() }, want) {
                    continue;
                }
                // Earlier stores of the case must not overwrite the bytes, nor may
                // they overlap another patch.
                let (pa, pn) = (x.addr, x.n);
                let overlaps = |&(a, n): &(u32, u32)| a < pa + pn && pa < a + n;
                if self.stores.iter().any(overlaps) || self.patches.iter().any(|p| overlaps(&(p.0, p.1.len() as u32))) {
                    return None;
                }
                g.patch = Some((pa, v.to_le_bytes()[..pn as usize].to_vec()));
                g.target = Some(want);
                return Some(());
            }
        }
        None
    }

    /// Whether a store exclusive may run here without hitting a difference that
    /// the Arm ARM leaves open (KNOWN-DIFFERENCES.md): a Store-Exclusive to the
    /// address of an earlier Load-Exclusive must have its size, and no plain
    /// store may have touched the location in between.
    fn exclusive_ok(&self, g: &Gen, a: &Analysis) -> bool {
        if !a.store_excl {
            return true;
        }
        g.acc.iter().filter(|x| x.store).all(|st| {
            self.excl_loads.iter().filter(|l| l.0 == st.addr).all(|&(addr, n, since)| {
                n == st.n
                    && self.stores[since..].iter().all(|&(sa, sn)| sa + sn <= addr || addr + n <= sa)
            })
        })
    }

    fn track_exclusive(&mut self, g: &Gen, a: &Analysis) {
        for x in &g.acc {
            if a.load_excl && !x.store {
                self.excl_loads.push((x.addr, x.n, self.stores.len()));
            } else if x.store && !a.store_excl {
                self.stores.push((x.addr, x.n));
            }
        }
    }

    /// Fills a row's fields at random.
    fn fill(&mut self, row: &Row, isa: Isa) -> u32 {
        let bits: Vec<u8> = row.pattern.bytes().filter(|&b| b != b' ').collect();
        let n = bits.len();
        // Runs of one field letter: (letter, first bit index, length).
        let mut runs: Vec<(u8, usize, usize)> = Vec::new();
        for (i, &b) in bits.iter().enumerate() {
            match runs.last_mut() {
                Some(r) if r.0 == b && r.1 + r.2 == i => r.2 += 1,
                _ => runs.push((b, i, 1)),
            }
        }
        let cond = if self.rng.chance(1, 2) { 0xe } else { self.rng.below(14) };
        let mut word = 0u32;
        let mut first_run: Vec<(u8, usize, u32)> = Vec::new();
        for &(b, at, len) in &runs {
            let mask = if len >= 32 { u32::MAX } else { (1 << len) - 1 };
            let v: u32 = match b {
                b'0' | b'z' => 0,
                b'1' | b'o' => mask,
                b'c' if isa == Isa::Arm && at == 0 && len == 4 => cond,
                _ => {
                    // A field that repeats (Rm twice in REV T2...) is often required
                    // to repeat exactly: copy the first run half of the time.
                    let again = first_run.iter().find(|r| r.0 == b && r.1 == len).map(|r| r.2);
                    // Registers (3- and 4-bit fields) alias an earlier one now and then,
                    // which also satisfies encodings that name one register twice.
                    let regs: Vec<u32> =
                        first_run.iter().filter(|r| r.1 == len && (len == 3 || len == 4)).map(|r| r.2).collect();
                    match again {
                        Some(v) if self.rng.chance(1, 2) => v,
                        _ if !regs.is_empty() && self.rng.chance(1, 5) => self.rng.pick(&regs),
                        // Small values a quarter of the time (shift amounts, counts, offsets).
                        _ if len > 4 && self.rng.chance(1, 4) => self.rng.below(8),
                        _ => self.rng.u32() & mask,
                    }
                }
            };
            if !matches!(b, b'0' | b'1' | b'z' | b'o') {
                first_run.push((b, len, v));
            }
            word |= v << (n - at - len);
        }
        word
    }

    /// Chooses the values of the registers a memory instruction's addresses
    /// depend on so that it reads the scratch page or the code window and writes
    /// only the scratch page. Fills `g.setup`.
    fn place(&mut self, g: &mut Gen, thumb: bool, pc: u32, extra: u32, a: &Analysis, allow_fault: bool) -> Option<()> {
        let deps = a.addr_deps;
        if deps & !(0xffff) != 0 {
            return None;
        }
        let regs: Vec<u8> = (0..15u8).filter(|r| deps & (1 << r) != 0).collect();
        let win_base = self.code_addr - WINDOW;
        let store_excl = a.store_excl;
        let ok = |acc: &[Access]| {
            acc.iter().all(|a| {
                let s = a.addr.wrapping_sub(SCRATCH);
                let in_scratch = s < SCRATCH_LEN as u32 && s + a.n <= SCRATCH_LEN as u32;
                let w = a.addr.wrapping_sub(win_base);
                let in_window = w < 2 * WINDOW + MAX_CODE && w + a.n <= 2 * WINDOW + MAX_CODE;
                // QEMU checks a store exclusive's alignment only if the monitor passes.
                let aligned = !store_excl || a.addr % a.n == 0;
                aligned && (in_scratch || (!a.store && in_window))
            })
        };
        if regs.is_empty() {
            // PC-relative (literal) addressing.
            let acc = dry_run(g.word, g.size, thumb, pc + extra, &[]).ok()?;
            let r = ok(&acc).then_some(());
            g.acc = acc;
            return r;
        }
        for _ in 0..4 {
            let base = self.rng.pick(&regs);
            let tmp = (0..13u8).find(|r| deps & (1 << r) == 0).unwrap_or(12);
            let mut vals: Vec<(u8, u32)> = regs
                .iter()
                .map(|&r| {
                    let any = self.rng.below(64);
                    let v = if r == base { SCRATCH + 512 } else { self.rng.pick(&[0, 1, 2, 3, 4, 8, 16, 0xffff_fffc, any]) };
                    (r, v)
                })
                .collect();
            let at = pc + setup_len(thumb, &vals, base) + extra;
            let Ok(acc) = dry_run(g.word, g.size, thumb, at, &vals) else { continue };
            if acc.is_empty() {
                return None;
            }
            let lo = acc.iter().map(|a| a.addr).min().unwrap();
            let hi = acc.iter().map(|a| a.addr as u64 + a.n as u64).max().unwrap();
            let span = (hi - lo as u64) as u32;
            if span > SCRATCH_LEN as u32 {
                continue;
            }
            // Now and then, send a single access to the guard page: a precise Data Abort.
            if allow_fault && acc.len() == 1 && !store_excl && self.rng.chance(1, 24) {
                let n = acc[0].n;
                let new_lo = GUARD + self.rng.below(4096 / n) * n;
                for v in vals.iter_mut() {
                    if v.0 == base {
                        v.1 = v.1.wrapping_add(new_lo.wrapping_sub(lo));
                    }
                }
                match dry_run(g.word, g.size, thumb, at, &vals) {
                    Ok(acc) if acc.len() == 1 && acc[0].addr.wrapping_sub(GUARD) < 4096 => {}
                    _ => continue,
                }
                (g.acc, g.setup, g.base, g.tmp) = (Vec::new(), vals, base, tmp);
                return Some(());
            }
            // Move the accesses to a random place in the scratch area, mostly 8-aligned.
            let room = SCRATCH_LEN as u32 - span;
            let mut new_lo = SCRATCH + self.rng.below(room / 8 + 1) * 8;
            if self.rng.chance(1, 4) {
                new_lo += self.rng.below(8);
            }
            if new_lo + span > SCRATCH + SCRATCH_LEN as u32 {
                new_lo = SCRATCH + room;
            }
            for v in vals.iter_mut() {
                if v.0 == base {
                    v.1 = v.1.wrapping_add(new_lo.wrapping_sub(lo));
                }
            }
            match dry_run(g.word, g.size, thumb, at, &vals) {
                Ok(acc) if ok(&acc) => g.acc = acc,
                // An alignment fault now and then, to test those too.
                Err(()) if !store_excl && self.rng.chance(1, 8) => g.acc = Vec::new(),
                _ => continue,
            }
            g.setup = vals;
            g.base = base;
            g.tmp = tmp;
            return Some(());
        }
        None
    }
}

/// Register values: random, small, boundary, or made of interesting bytes.
fn random_word32(rng: &mut Rng) -> u32 {
    const EDGES: &[u32] = &[
        0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fffe, 0x8000_0001, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        0x1_0000, 0x7f, 0x80, 31, 32, 33,
    ];
    match rng.below(10) {
        0..=3 => rng.u32(),
        4 | 5 => rng.below(33),
        6 | 7 => rng.pick(EDGES),
        _ => {
            let mut v = 0;
            for _ in 0..4 {
                let any = rng.u32() & 0xff;
                let b = rng.pick(&[0x00, 0x01, 0x7f, 0x80, 0xff, any]);
                v = v << 8 | b;
            }
            v
        }
    }
}

fn random_fp32(rng: &mut Rng) -> u32 {
    const SPECIAL: &[u32] = &[
        0x0000_0000, 0x8000_0000, 0x3f80_0000, 0xbf80_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0xffc0_0000,
        0x7f80_0001, 0x7fa0_0000, 0x0000_0001, 0x807f_ffff, 0x0080_0000, 0x7f7f_ffff, 0x4f00_0000, 0xcf00_0000,
        0x4f80_0000, 0x3f00_0000, 0x4040_0000, 0x3fc0_0000,
    ];
    match rng.below(6) {
        0 | 1 => rng.pick(SPECIAL) ^ (rng.below(2) << 31),
        2 => rng.u32(),
        3 => rng.u32() & 0x807f_ffff, // zero or denormal
        4 => random_word32(rng),      // integers for VCVT
        // A normal number of moderate magnitude.
        _ => (rng.u32() & 0x807f_ffff) | (100 + rng.below(56)) << 23,
    }
}

fn random_fp64(rng: &mut Rng) -> u64 {
    const SPECIAL: &[u64] = &[
        0,
        0x3ff0_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0x7ff0_0000_0000_0001,
        0x7ff4_0000_0000_0000,
        0x0000_0000_0000_0001,
        0x000f_ffff_ffff_ffff,
        0x0010_0000_0000_0000,
        0x7fef_ffff_ffff_ffff,
        0x41e0_0000_0000_0000,
        0x41f0_0000_0000_0000,
        0x3fe0_0000_0000_0000,
        0x4008_0000_0000_0000,
        0x3ff8_0000_0000_0000,
        0x47ef_ffff_e000_0000,
        0x3810_0000_0000_0000,
        0x36a0_0000_0000_0000,
    ];
    match rng.below(6) {
        0 | 1 => rng.pick(SPECIAL) ^ ((rng.below(2) as u64) << 63),
        2 => rng.u64(),
        3 => (random_fp32(rng) as u64) << 32 | random_fp32(rng) as u64,
        4 => rng.u64() & 0x800f_ffff_ffff_ffff,
        _ => (rng.u64() & 0x800f_ffff_ffff_ffff) | ((900 + rng.below(250)) as u64) << 52,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::RaiseKind;

    #[test]
    fn setup_encodings() {
        // From arm-linux-gnueabihf-as: movw r3, #0x1234 / movt r3, #0x4800 (Thumb), movw/movt sp (ARM).
        assert_eq!(t32_movw(3, 0x1234, false), 0xf241_2334);
        assert_eq!(t32_movw(3, 0x4800, true), 0xf6c4_0300);
        assert_eq!(arm_movw(13, 0x1234, false), 0xe301_d234);
        assert_eq!(arm_movw(13, 0x4800, true), 0xe344_d800);
        assert_eq!(t16_mov_sp(12), 0x46e5);
    }

    #[test]
    fn state_round_trips() {
        let mut g = Generator::new(1);
        let s = g.state();
        let mut b = Vec::new();
        s.encode(&mut b);
        assert_eq!(b.len(), STATE_BYTES);
        assert_eq!(State::decode(&b), s);
    }

    #[test]
    fn generation_is_deterministic() {
        let mut a = Generator::new(7);
        let mut b = Generator::new(7);
        if !a.has_rows() {
            return;
        }
        for _ in 0..50 {
            let (x, y) = (a.case(), b.case());
            assert_eq!((x.code, x.code_addr, x.init), (y.code, y.code_addr, y.init));
        }
    }

    #[test]
    fn gf2_solver() {
        // Columns 0b011, 0b110, 0b100: 0b101 = c0 ^ c1.
        assert_eq!(gf2_solve(&[0b011, 0b110, 0b100], 0b101).map(|m| {
            let v: u32 = (0..3).filter(|j| m >> j & 1 != 0).map(|j| [0b011, 0b110, 0b100][j]).fold(0, |a, c| a ^ c);
            v
        }), Some(0b101));
        assert_eq!(gf2_solve(&[0b01, 0b01], 0b10), None);
    }

    #[test]
    fn branches_are_solved_to_their_targets() {
        let Some(row) = crate::arm::decode_arm(0xea00_0000) else { return };
        let at = 0x4900_1000;
        // B to 3 instructions later, and to the very next one.
        for want in [at + 16, at + 4] {
            let w = solve_branch(row, 0xeaff_1234, 4, false, 0, at, want).expect("B A1 solves");
            let target = (at + 8).wrapping_add((((w & 0x00ff_ffff) << 8) as i32 >> 6) as u32);
            assert_eq!(target, want, "{w:08x}");
        }
    }

    #[test]
    fn analysis_finds_address_sources() {
        let ops = [
            Op::GetReg { d: 0, r: 3 },
            Op::Const { d: 1, v: 8 },
            Op::Bin { d: 2, op: crate::ir::BinOp::Add, a: 0, b: 1 },
            Op::GetReg { d: 3, r: 5 },
            Op::Store { addr: 2, s: 3, size: MemSize::U32, insn: 0, user: false, align: false },
        ];
        let a = analyse(&ops, 4).unwrap();
        assert!(a.mem);
        assert_eq!(a.addr_deps, 1 << 3);
        assert!(analyse(&[Op::Raise { kind: RaiseKind::Undefined, insn: 0 }], 4).is_none());
    }
}
