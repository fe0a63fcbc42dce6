//! The block IR: the one representation every engine consumes (interpreter, LLVM
//! JIT, AOT). The ARM/Thumb translator (`crate::arm`) is the only producer.
//!
//! A block is a straight list of `Op`s over numbered temporaries (`Tmp`), each a
//! 64-bit value (32-bit operations use and produce the low half, zero-extended).
//! Control flow inside a block is forward only (`SkipUnless`), used for
//! conditional execution; a block leaves through `Exit` after writing the PC.
//!
//! Guest state is touched only through explicit accessors (`GetReg`, `SetReg`,
//! flag ops), which keeps later passes (get/set elimination, lazy flags) possible.
//! Position independence: PC-relative values are `PcRel` offsets from the
//! block's start address, never absolute constants.

pub mod interp;
pub mod opt;
pub mod wire;

use crate::cpu::{CpuState, ExitReason};

/// A temporary. Each is assigned once (SSA), in order.
pub type Tmp = u16;

/// Most temporaries a block may use (the translator ends blocks before this).
pub const MAX_TMPS: usize = 1024;

/// Access sizes of loads and stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemSize {
    U8,
    S8,
    U16,
    S16,
    U32,
    U64,
}

impl MemSize {
    pub fn bytes(self) -> u32 {
        match self {
            MemSize::U8 | MemSize::S8 => 1,
            MemSize::U16 | MemSize::S16 => 2,
            MemSize::U32 => 4,
            MemSize::U64 => 8,
        }
    }
}

/// Two-operand 32-bit operations without flag effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    And,
    Or,
    Xor,
    /// a & !b
    Bic,
    Mul,
    /// Shifts by a register amount, ARM style: only the low byte of `b` counts,
    /// and amounts >= 32 give 0 (LSL/LSR) or the sign fill (ASR).
    Lsl,
    Lsr,
    Asr,
    /// Rotate right by `b & 31`.
    Ror,
    /// Unsigned / signed division, rounding toward zero; divide by zero gives 0
    /// (ARMv7-R/A15 with SCTLR.DZ=0), and INT_MIN / -1 gives INT_MIN.
    UDiv,
    SDiv,
    /// Equality and comparisons producing 0/1.
    Eq,
    Ne,
    LtU,
    LtS,
    /// 64-bit operations on the full temporaries.
    Add64,
    Sub64,
    Mul64,
    /// (a as u64) << 32 | (b as u32) — builds a 64-bit value from two halves (a = high).
    Pair,
}

/// One-operand operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
    Clz,
    Rbit,
    Rev,
    Rev16,
    Revsh,
    Sxtb,
    Sxth,
    Uxtb,
    Uxth,
    /// Low / high 32 bits of a 64-bit temporary.
    Lo,
    Hi,
    /// Sign-extends the low 32 bits to 64.
    Sext32,
}

/// Shift kinds of the barrel shifter (DecodeImmShift/DecodeRegShift).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShiftKind {
    Lsl,
    Lsr,
    Asr,
    Ror,
    /// Rotate right with extend (through carry), amount 1.
    Rrx,
}

/// How a write to the PC changes the instruction set state (Arm ARM A2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcWrite {
    /// BranchWritePC: stays in the current state (aligned to 4 in ARM, 2 in Thumb).
    Branch,
    /// BXWritePC: bit 0 selects Thumb.
    Interwork,
    /// Explicitly switch state (BLX immediate): to ARM if the flag is false.
    SetThumb(bool),
}

/// A runtime helper the IR can call: `fn(cpu, a, b, c) -> result`.
/// Helpers implement what is awkward to express as ops (VFP arithmetic,
/// coprocessor accesses, PSR writes). They are part of the one semantics: the
/// translator decides when to call them; every engine calls the same function.
pub type HelperFn = extern "C" fn(&mut CpuState, u64, u64, u64) -> u64;

/// A named helper. Translated code refers to helpers by their descriptor so
/// that compiled code can call them through a table (no relocations).
#[derive(Debug)]
pub struct Helper {
    pub name: &'static str,
    pub f: HelperFn,
    /// The helper may request an exception or a system-state exit by setting
    /// `CpuState::pending`; the engine must check after the call.
    pub may_raise: bool,
}

/// The operations. `d*` fields are destinations.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Const { d: Tmp, v: u64 },
    /// d = block start PC + off (32-bit wrapping).
    PcRel { d: Tmp, off: u32 },
    GetReg { d: Tmp, r: u8 },
    /// Sets r0–r14. The PC is written with `WritePc`.
    SetReg { r: u8, s: Tmp },
    /// Flag accessors (0/1 values).
    GetFlag { d: Tmp, f: Flag },
    SetFlag { f: Flag, s: Tmp },
    /// N and Z from a 32-bit result.
    SetNZ { s: Tmp },
    /// NZCV from / to bits 31..28.
    GetNZCV { d: Tmp },
    SetNZCV { s: Tmp },
    /// d = 1 if the condition code passes.
    Cond { d: Tmp, cond: u8 },
    Bin { d: Tmp, op: BinOp, a: Tmp, b: Tmp },
    /// `Bin` with an immediate right operand.
    BinImm { d: Tmp, op: BinOp, a: Tmp, imm: u32 },
    Un { d: Tmp, op: UnOp, a: Tmp },
    /// d = a + b + cin (32-bit); sets NZCV as AddWithCarry (Arm ARM A2.2.1). `cin` is 0 or 1
    /// (a constant or the C flag; the code generators use its bit 0).
    AddFlags { d: Tmp, a: Tmp, b: Tmp, cin: Tmp },
    /// d = a - b = AddWithCarry(a, NOT b, 1), setting NZCV (SUBS, CMP).
    SubFlags { d: Tmp, a: Tmp, b: Tmp },
    /// Barrel shifter with carry out: d = shift(a, amt), dc = carry out. `cin` is
    /// the carry used when the amount is 0. `amt` is a register amount (low byte
    /// used, may exceed 32) for Lsl/Lsr/Asr/Ror; Rrx ignores it.
    ShiftC { d: Tmp, dc: Tmp, kind: ShiftKind, a: Tmp, amt: Tmp, cin: Tmp },
    /// d = c != 0 ? a : b
    Select { d: Tmp, c: Tmp, a: Tmp, b: Tmp },
    /// d = 64-bit product of two 32-bit values, signed or unsigned.
    MulL { d: Tmp, a: Tmp, b: Tmp, signed: bool },
    /// VFP registers: single (s0–s31) and double (d0–d31) views.
    GetS { d: Tmp, r: u8 },
    SetS { r: u8, s: Tmp },
    GetD { d: Tmp, r: u8 },
    SetD { r: u8, s: Tmp },
    /// Memory. `insn` indexes `Block::insns` (for precise faults). `user` makes a
    /// privileged access behave as unprivileged (LDRT/STRT). `align` faults on an
    /// unaligned address (LDRD, LDM, LDREX, VLDR...).
    Load { d: Tmp, addr: Tmp, size: MemSize, insn: u16, user: bool, align: bool },
    Store { addr: Tmp, s: Tmp, size: MemSize, insn: u16, user: bool, align: bool },
    /// LDREX*: load and open the exclusive monitor.
    LoadExcl { d: Tmp, addr: Tmp, size: MemSize, insn: u16 },
    /// STREX*: d = 0 if the store happened, 1 if the monitor was not open for addr.
    StoreExcl { d: Tmp, addr: Tmp, s: Tmp, size: MemSize, insn: u16 },
    ClearExcl,
    /// Calls a runtime helper. `insn` is used if the helper raises.
    Call { d: Tmp, h: &'static Helper, a: Tmp, b: Tmp, c: Tmp, insn: u16 },
    /// If `c` == 0, skip the next `n` ops (forward only).
    SkipUnless { c: Tmp, n: u16 },
    /// If condition code `cond` fails, skip the next `n` ops (conditional execution).
    SkipUnlessCond { cond: u8, n: u16 },
    /// Writes the PC (and T, per the kind).
    WritePc { s: Tmp, kind: PcWrite },
    /// Sets ITSTATE (Thumb) before the block exits.
    SetIt { v: u8 },
    /// Raises a synchronous exception at instruction `insn` (PC set to its address).
    /// `ret` is the preferred return offset from the instruction (e.g. SVC: size).
    Raise { kind: RaiseKind, insn: u16 },
    /// Leaves the block; PC has been written.
    Exit { reason: ExitReason },
    /// `WritePc` of block start + `off`, then `Exit` (direct branches and fall-through).
    ExitTo { off: u32, kind: PcWrite, reason: ExitReason },
    /// Only in a region (`Block::region`, for the LLVM backend): the ops up to the next `Member`
    /// are the block at the region's start PC + `delta` (entered with ITSTATE `it`, in the
    /// region's instruction set) with `ninsn` instructions. Its `insn` fields, `PcRel` and
    /// `ExitTo` offsets are its own: relative to its start, and to its own run of `insns`
    /// (after the earlier members' runs). No engine but the LLVM backend runs regions.
    Member { delta: u32, ninsn: u16, it: u8 },
}

impl Op {
    /// Calls `f` on every temporary the op reads.
    pub fn for_each_read(&self, mut f: impl FnMut(Tmp)) {
        match *self {
            Op::SetReg { s, .. } | Op::SetFlag { s, .. } | Op::SetNZ { s } | Op::SetNZCV { s } => f(s),
            Op::SetS { s, .. } | Op::SetD { s, .. } | Op::WritePc { s, .. } => f(s),
            Op::Bin { a, b, .. } | Op::SubFlags { a, b, .. } | Op::MulL { a, b, .. } => {
                f(a);
                f(b)
            }
            Op::BinImm { a, .. } | Op::Un { a, .. } => f(a),
            Op::AddFlags { a, b, cin, .. } => {
                f(a);
                f(b);
                f(cin)
            }
            Op::ShiftC { a, amt, cin, .. } => {
                f(a);
                f(amt);
                f(cin)
            }
            Op::Select { c, a, b, .. } => {
                f(c);
                f(a);
                f(b)
            }
            Op::Load { addr, .. } | Op::LoadExcl { addr, .. } => f(addr),
            Op::Store { addr, s, .. } | Op::StoreExcl { addr, s, .. } => {
                f(addr);
                f(s)
            }
            Op::Call { a, b, c, .. } => {
                f(a);
                f(b);
                f(c)
            }
            Op::SkipUnless { c, .. } => f(c),
            Op::Const { .. }
            | Op::PcRel { .. }
            | Op::GetReg { .. }
            | Op::GetFlag { .. }
            | Op::GetNZCV { .. }
            | Op::Cond { .. }
            | Op::GetS { .. }
            | Op::GetD { .. }
            | Op::ClearExcl
            | Op::SkipUnlessCond { .. }
            | Op::SetIt { .. }
            | Op::Raise { .. }
            | Op::Exit { .. }
            | Op::ExitTo { .. }
            | Op::Member { .. } => {}
        }
    }

    /// The temporaries the op writes.
    pub fn dests(&self) -> impl Iterator<Item = Tmp> {
        let (a, b) = match *self {
            Op::Const { d, .. }
            | Op::PcRel { d, .. }
            | Op::GetReg { d, .. }
            | Op::GetFlag { d, .. }
            | Op::GetNZCV { d }
            | Op::Cond { d, .. }
            | Op::Bin { d, .. }
            | Op::BinImm { d, .. }
            | Op::Un { d, .. }
            | Op::AddFlags { d, .. }
            | Op::SubFlags { d, .. }
            | Op::Select { d, .. }
            | Op::MulL { d, .. }
            | Op::GetS { d, .. }
            | Op::GetD { d, .. }
            | Op::Load { d, .. }
            | Op::LoadExcl { d, .. }
            | Op::StoreExcl { d, .. }
            | Op::Call { d, .. } => (Some(d), None),
            Op::ShiftC { d, dc, .. } => (Some(d), Some(dc)),
            _ => (None, None),
        };
        a.into_iter().chain(b)
    }
}

/// Flags with single-bit accessors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    N,
    Z,
    C,
    V,
    /// Q: `SetFlag` ORs into it (sticky).
    Q,
    /// GE[3:0] as a 4-bit value.
    Ge,
}

/// Synchronous exceptions an instruction raises by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaiseKind {
    Undefined,
    Svc,
    Hvc,
    Smc,
    Bkpt,
}

/// Per guest instruction metadata (for precise faults and tracing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsnInfo {
    /// Offset of the instruction from the block's start PC.
    pub off: u32,
    /// Size in bytes (2 or 4).
    pub size: u8,
    /// ITSTATE in effect for the instruction (Thumb).
    pub it: u8,
}

/// A translated block.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// Guest address of the first instruction.
    pub pc: u32,
    /// Thumb state at entry.
    pub thumb: bool,
    /// ITSTATE at entry.
    pub it: u8,
    pub ops: Vec<Op>,
    pub insns: Vec<InsnInfo>,
    /// Number of temporaries used.
    pub ntmp: u16,
    /// Guest bytes covered (from `pc`).
    pub len: u32,
}

impl Block {
    /// Whether the block's bytes run onto the next page: only a block of one Thumb
    /// instruction whose second halfword is there (the translator ends every other
    /// block before such an instruction). Its physical address names only the first
    /// page, so such a block is checked against the guest's bytes at every run from the
    /// dispatcher (exec/mod.rs), starts with a check of the second halfword that leaves
    /// on a change (arm `Translator::code_guard`: for chained jumps into its compiled
    /// code), and is never cached.
    pub fn crosses_page(&self) -> bool {
        (self.pc & 0xfff) + self.len > 0x1000
    }

    pub fn insn_pc(&self, insn: u16) -> u32 {
        self.pc.wrapping_add(self.insns[insn as usize].off)
    }

    /// A region: `members[0]` (its entry) and blocks it branches to, in one unit for the
    /// LLVM backend, which turns their branches to each other into jumps inside one function
    /// (`Op::Member`). Every member must be in the first's instruction set; a member other
    /// than the first is entered with ITSTATE 0.
    pub fn region(members: &[&Block]) -> Block {
        let head = members[0];
        let mut ops = Vec::new();
        let mut insns = Vec::new();
        for m in members {
            ops.push(Op::Member { delta: m.pc.wrapping_sub(head.pc), ninsn: m.insns.len() as u16, it: m.it });
            ops.extend_from_slice(&m.ops);
            insns.extend_from_slice(&m.insns);
        }
        let ntmp = members.iter().map(|m| m.ntmp).max().unwrap_or(0);
        Block { pc: head.pc, thumb: head.thumb, it: head.it, ops, insns, ntmp, len: head.len }
    }

    /// The members of a region (`Block::region`); a plain block is a region of one, itself.
    pub fn members(&self) -> Vec<Member> {
        let mut out: Vec<Member> = Vec::new();
        let mut insn_base = 0usize;
        for (i, op) in self.ops.iter().enumerate() {
            if let Op::Member { delta, ninsn, it } = *op {
                if let Some(last) = out.last_mut() {
                    last.ops.end = i;
                }
                out.push(Member { delta, it, ops: i + 1..self.ops.len(), insns: insn_base..insn_base + ninsn as usize });
                insn_base += ninsn as usize;
            }
        }
        if out.is_empty() {
            out.push(Member { delta: 0, it: self.it, ops: 0..self.ops.len(), insns: 0..self.insns.len() });
        }
        out
    }
}

/// One block of a region (`Block::members`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its start PC minus the region's.
    pub delta: u32,
    /// ITSTATE at its entry.
    pub it: u8,
    /// Its ops (after its `Op::Member`) and its instructions, in the region's vectors.
    pub ops: std::ops::Range<usize>,
    pub insns: std::ops::Range<usize>,
}
