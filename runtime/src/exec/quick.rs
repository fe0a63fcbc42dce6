//! The quick tier: a template code generator from the block IR straight to
//! x86-64, about a thousand times cheaper per block than LLVM. It sits between
//! the interpreter and the LLVM tier (`jit.rs`): a block that has run a few
//! times gets quick code at once, on the VM's thread, and runs it (chained like
//! LLVM's) until it has run often enough to be worth LLVM's time; then the
//! LLVM code replaces it and the quick code forwards to it.
//!
//! Code shape (the ABI of `backend.rs`, as LLVM's code has it):
//! - `fn(cpu: rdi, ctx: rsi, slots: rdx) -> eax`. Pinned while it runs: rbx =
//!   CpuState, rbp = ChainCtx, r12 = the exit slots, r13 = `mem_base`, r14 = the
//!   block's PC at entry (PC-relative values derive from it). A temporary that
//!   lives past the next op has r8, r9, r10 or r15 for its life if one is free
//!   (`homes`), else a stack-frame slot of 8 bytes; ops load them into scratch
//!   registers.
//! - Guest state is read and written in `CpuState` in program order; before each
//!   guest access and helper call the instruction's PC is stored. A guest access
//!   is one host load or store at r13 + the zero-extended address, so the HSPT
//!   fault handler treats it exactly like LLVM's (fill and resume, or leave
//!   with `EXIT_RETRY`).
//! - Chaining through the block's exit slots and `ChainCtx::lookup`, with the
//!   same keys and budget as LLVM's code; a branch to the block's own start loops.
//!   Every quick block has the same frame (`FRAME`), so quick code jumps into
//!   quick code at its inner entry without leaving the frame (`Gen::prologue`).
//! - A condition right after the op that set the flags tests the host's flags
//!   (`HostFlags`). Register values reach their temporaries' slots only while
//!   something still reads them (`Gen::materialize`).
//! - The header before the block's exit slots (`backend::ExitSlot`) holds its
//!   state: the entry forwards to the LLVM code once that exists, and the body
//!   counts the block's runs down; at zero it lists itself in `ChainCtx::hot` for
//!   the dispatcher to send to the LLVM tier. (In a separate array, this state
//!   cost a cache miss at most block entries of a cold program.)
//!
//! Operations that are rare and long (division, CLZ, RBIT, the barrel shifter
//! with carry out by a register amount) call the interpreter's own functions, so
//! they cannot differ.

use std::mem::offset_of;

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

use super::backend::{pending_byte, ChainCtx, ChainEntry, CompiledCode, CHAIN_BITS, EXIT_RETRY, H_COUNT, H_FWD_CODE, H_FWD_SLOTS, H_ID, H_INNER};
use crate::cpu::{CpuState, Exception, ExitReason};
use crate::ir::{interp, BinOp, Block, Flag, MemSize, Op, PcWrite, RaiseKind, ShiftKind, UnOp};

/// Most blocks listed in `ChainCtx::hot` between two visits of the dispatcher.
pub const HOT_MAX: u32 = 64;

/// Runs after which a block that found `ChainCtx::hot` full tries to list itself again.
pub const HOT_RETRY: i32 = 64;

/// Compiled code runs only under `jit_entry::hspt_jit_enter`, which saves and
/// restores every callee-saved register itself (its fault landing relies on that
/// too), so quick code saves none: its frame is `FRAME` bytes of temporaries.
///
/// The stubs: code every quick block shares instead of carrying its own copy
/// (blocks stay small, and the shared parts stay in the instruction cache). Quick
/// code jumps to them through `ChainCtx::stubs`. They run in a
/// block's frame (`FRAME`) with the registers of the module doc.
/// (Jumps between blocks are each block's own: one shared indirect jump for them
/// all would be mispredicted.)
pub const NSTUB: usize = 5;
/// Leaves the frame and returns eax.
const S_RET: usize = 0;
/// The exit slot at rcx missed (the PC is stored): chains through `ChainCtx::lookup`
/// (which fills the slot) or returns `Branch`. (The hit path is in each block: an
/// indirect jump per exit predicts far better than one shared jump.)
const S_MISS: usize = 1;
/// Called when a block's count reaches zero, with rax = its exit slots (the header is below them, at
/// the `H_*` offsets): lists the block in `ChainCtx::hot`.
const S_HOT: usize = 2;
/// The chain budget ran out (a chain took it below zero): gives the unit back and
/// returns `Branch`.
const S_SPENT: usize = 3;
/// For LLVM's code, reached by a tail call from a static exit whose slot missed, with
/// rdi = CpuState, rsi = ChainCtx, rdx = the slot: looks the next block up
/// (`ChainCtx::lookup`, which fills the slot) and jumps there, or returns `Branch`. One
/// shared miss path instead of a call and two more basic blocks in every exit.
pub const S_LLVM_MISS: usize = 4;

const MODE_USR: i8 = 0x10;

type Asm = VecAssembler<X64Relocation>;

fn r_off(r: usize) -> i32 {
    (offset_of!(CpuState, r) + 4 * r) as i32
}
fn off_of(f: Flag) -> i32 {
    crate::cpu::flag_offset(f) as i32
}
const PC: i32 = (offset_of!(CpuState, r) + 60) as i32;
const PC_OFF: i32 = offset_of!(CpuState, pc_off) as i32;
const T: i32 = offset_of!(CpuState, t) as i32;
const IT: i32 = offset_of!(CpuState, it) as i32;
const MODE: i32 = offset_of!(CpuState, mode) as i32;
const INSNS: i32 = offset_of!(CpuState, insns) as i32;
const MEM_BASE: i32 = offset_of!(CpuState, mem_base) as i32;
const PENDING: i32 = offset_of!(CpuState, pending) as i32;
const PENDING_RET: i32 = offset_of!(CpuState, pending_return) as i32;
const UNDEF: i32 = offset_of!(CpuState, undefined_insns) as i32;
const EXCL_ADDR: i32 = offset_of!(CpuState, excl_addr) as i32;
const EXCL_VALID: i32 = offset_of!(CpuState, excl_valid) as i32;
const DREGS: i32 = offset_of!(CpuState, d) as i32;
const BUDGET: i32 = offset_of!(ChainCtx, budget) as i32;
const KEY_GEN: i32 = offset_of!(ChainCtx, key_gen) as i32;
const CUR_CODE: i32 = offset_of!(ChainCtx, cur_code) as i32;
const CUR_PC0: i32 = offset_of!(ChainCtx, cur_pc0) as i32;
const LOOKUP: i32 = offset_of!(ChainCtx, lookup) as i32;
const TABLE: i32 = offset_of!(ChainCtx, table) as i32;
const CTX_STUBS: i32 = offset_of!(ChainCtx, stubs) as i32;
/// Where quick code finds stub `k`.
const fn stub(k: usize) -> i32 {
    CTX_STUBS + 8 * k as i32
}
/// `stub(k)` as an 8-bit displacement.
const fn stub_b(k: usize) -> i8 {
    stub(k) as i8
}
const _: () = assert!(stub(NSTUB - 1) < 128);
// Fields quick code addresses with an 8-bit displacement (`[BYTE reg + X as i8]`).
const _: () = assert!(
    PC < 128 && PC_OFF < 128 && T < 128 && IT < 128 && MODE < 128 && MEM_BASE < 128
        && offset_of!(CpuState, n) < 128 && offset_of!(CpuState, z) < 128 && offset_of!(CpuState, c) < 128
        && offset_of!(CpuState, v) < 128 && offset_of!(CpuState, q) < 128 && offset_of!(CpuState, ge) < 128
        && BUDGET < 128 && KEY_GEN < 128 && TABLE < 128 && CUR_CODE < 128 && CUR_PC0 < 128
        && H_INNER >= -128 && H_COUNT >= -128 && H_FWD_CODE >= -128 && H_FWD_SLOTS >= -128
);
// The inline chain-table lookup scales the index by 32 (`shl 5`) and hashes as `backend::chain_index`.
const _: () = assert!(std::mem::size_of::<ChainEntry>() == 32);
const HOT_N: i32 = offset_of!(ChainCtx, hot_n) as i32;
const HOT_IDS: i32 = offset_of!(ChainCtx, hot) as i32;
const E_KEY: i32 = offset_of!(ChainEntry, key) as i32;
const E_BASE: i32 = offset_of!(ChainEntry, base) as i32;
const E_CODE: i32 = offset_of!(ChainEntry, code) as i32;
const E_SLOTS: i32 = offset_of!(ChainEntry, slots) as i32;

// ----- the interpreter's functions, callable from quick code -----

extern "C" fn q_bin(op: u64, a: u64, b: u64) -> u64 {
    interp::bin(BINOPS[op as usize], a, b)
}
extern "C" fn q_un(op: u64, a: u64) -> u64 {
    interp::un(UNOPS[op as usize], a)
}
/// Shift_C: the result in the low half, the carry out in bit 32.
extern "C" fn q_shift_c(kind: u64, a: u64, amt: u64, cin: u64) -> u64 {
    let (r, c) = interp::shift_c(SHIFTS[kind as usize], a as u32, amt as u32, cin as u32);
    r as u64 | (c as u64) << 32
}
const BINOPS: [BinOp; 2] = [BinOp::UDiv, BinOp::SDiv];
const UNOPS: [UnOp; 4] = [UnOp::Clz, UnOp::Rbit, UnOp::Rev16, UnOp::Revsh];
const SHIFTS: [ShiftKind; 5] = [ShiftKind::Lsl, ShiftKind::Lsr, ShiftKind::Asr, ShiftKind::Ror, ShiftKind::Rrx];

struct Gen<'a> {
    a: Asm,
    b: &'a Block,
    /// Thumb state while known at compile time (until a helper call or interworking write).
    thumb: Option<bool>,
    exit_no: i32,
    retry: DynamicLabel,
    entry: DynamicLabel,
    body: DynamicLabel,
    inner: DynamicLabel,
    /// Temporaries whose value is not in their frame slot yet (see `Pend`), and where each is.
    pend: Vec<Pend>,
    pending: Vec<u16>,
    /// Uses of each temporary by this op and the ops after it.
    left: Vec<u16>,
    /// ITSTATE while known at compile time (until a helper call, or where paths join
    /// after a `SetIt`).
    it_now: Option<u8>,
    /// The instruction whose offset `cpu.pc_off` holds, while known (stores of it are skipped).
    pc_now: Option<u16>,
    /// The temporary the previous op left in rax, and whether its slot still lacks it.
    rax: Option<(u16, bool)>,
    /// What this op may take from rax instead of loading it (consumed by the first `ld` into rax).
    rax_in: Option<u16>,
    /// What the host flags hold right after the previous op (see `HostFlags`).
    hflags: Option<HostFlags>,
    /// The host register each temporary lives in instead of its frame slot, if any (`homes`).
    home: Vec<Option<u8>>,
    /// Per op: the flags (`F_N`..`F_V`) whose stores it can skip (`dead_flag_stores`).
    dead: Vec<u8>,
}

/// The guest flags the host's flags still mirror after the op that set them, so a
/// condition right after it is one `jcc`/`setcc` instead of reading flag bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HostFlags {
    /// After `sub`: N, Z, V as ARM's, C inverted (x86's borrow).
    Sub,
    /// After `adc`: N, Z, C, V as ARM's.
    Add,
    /// After `test`: N and Z only.
    Logic,
}

/// The x86 condition (the `cc` nibble of `jcc`) that holds exactly when ARM
/// condition `cond` passes, given what the host flags mirror; None when no single
/// x86 condition does.
fn host_cond(f: HostFlags, cond: u8) -> Option<u8> {
    const O: u8 = 0x0;
    const B: u8 = 0x2;
    const E: u8 = 0x4;
    const BE: u8 = 0x6;
    const S: u8 = 0x8;
    const L: u8 = 0xc;
    const LE: u8 = 0xe;
    // Conditions come in pairs (even passes, odd is its negation), as x86's do.
    let base = match (f, cond >> 1) {
        (_, 0) => E,
        (_, 2) => S,
        (HostFlags::Sub, 1) => B ^ 1,
        (HostFlags::Add, 1) => B,
        (HostFlags::Sub | HostFlags::Add, 3) => O,
        (HostFlags::Sub, 4) => BE ^ 1,
        (HostFlags::Sub | HostFlags::Add, 5) => L ^ 1,
        (HostFlags::Sub | HostFlags::Add, 6) => LE ^ 1,
        _ => return None,
    };
    (cond < 0xe).then_some(base ^ (cond & 1))
}

/// Where a temporary's value is. `GetReg`, `Const` and `PcRel` emit nothing: the ops
/// that read the temporary load the register (or the constant) themselves. A
/// register's value goes to its slot (`materialize`) when the register is written,
/// a helper is called, or control flow splits or joins, if something still reads
/// it; constants never need to (they are the same on every path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pend {
    Slot,
    Reg(u8),
    Const(u64),
    PcRel(u32),
}

/// Scratch registers by number (x86-64 encoding).
const RAX: u8 = 0;
const RCX: u8 = 1;
const RDX: u8 = 2;
const RSI: u8 = 6;
const R8: u8 = 8;
const R9: u8 = 9;
const R10: u8 = 10;
const R11: u8 = 11;
const R15: u8 = 15;

/// Whether `op`'s code calls out (to a helper or the interpreter's functions),
/// which may change every caller-saved register.
fn calls_out(op: &Op) -> bool {
    match *op {
        Op::Call { .. } | Op::ShiftC { .. } => true,
        Op::Bin { op, .. } | Op::BinImm { op, .. } => matches!(op, BinOp::UDiv | BinOp::SDiv),
        Op::Un { op, .. } => matches!(op, UnOp::Clz | UnOp::Rbit | UnOp::Rev16 | UnOp::Revsh),
        _ => false,
    }
}

/// Whether `op`'s code (with the settling and materializing around it) is only
/// moves, or nothing, so that the host flags survive it.
fn flag_neutral(op: &Op) -> bool {
    match *op {
        Op::Const { .. } | Op::PcRel { .. } | Op::GetFlag { .. } => true,
        Op::GetReg { r, .. } | Op::SetReg { r, .. } => r < 15,
        _ => false,
    }
}

/// Whether `op` may end its block with `EXIT_RETRY`: a guest access (which may fault,
/// or fail its checks) or a call out (helpers access guest memory too).
fn may_retry(op: &Op) -> bool {
    matches!(op, Op::Load { .. } | Op::Store { .. } | Op::LoadExcl { .. } | Op::StoreExcl { .. }) || calls_out(op)
}

const F_N: u8 = 1;
const F_Z: u8 = 2;
const F_C: u8 = 4;
const F_V: u8 = 8;

/// Per op that sets flags: those of them that no one can see before a later op sets
/// them again, so their stores are skipped. Between the two there may be only ops that
/// neither read the flags nor leave the block (no guest access, whose fault would let
/// the interpreter see them; no helper, skip, join or exit): Thumb code sets flags at
/// almost every 16-bit instruction, and most of them are never read.
fn dead_flag_stores(ops: &[Op], label_at: impl Fn(usize) -> bool) -> Vec<u8> {
    let sets = |op: &Op| match *op {
        Op::AddFlags { .. } | Op::SubFlags { .. } | Op::SetNZCV { .. } => F_N | F_Z | F_C | F_V,
        Op::SetNZ { .. } => F_N | F_Z,
        _ => 0,
    };
    let mut dead = vec![0u8; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        let mine = sets(op);
        if mine == 0 {
            continue;
        }
        let mut killed = 0u8;
        for (j, later) in ops.iter().enumerate().skip(i + 1) {
            if label_at(j) || killed & mine == mine {
                break;
            }
            let transparent = match *later {
                Op::Const { .. } | Op::PcRel { .. } | Op::Select { .. } | Op::MulL { .. } => true,
                Op::GetS { .. } | Op::SetS { .. } | Op::GetD { .. } | Op::SetD { .. } => true,
                Op::GetReg { r, .. } | Op::SetReg { r, .. } => r < 15,
                Op::Bin { .. } | Op::BinImm { .. } | Op::Un { .. } => !calls_out(later),
                _ => false,
            };
            let w = sets(later);
            if w != 0 {
                killed |= w;
            } else if !transparent {
                break;
            }
        }
        dead[i] = killed & mine;
    }
    dead
}

/// Host registers for temporaries (a linear scan over the ops' order): a temporary
/// that lives past the op after the one that makes it gets r8, r9, r10 or r15 for
/// its whole life, if one is free then, instead of its frame slot; r15 only, the
/// callee-saved one, if it lives across an op that calls out. The templates never
/// write these four. Skips go forward only, so along every path the ops run in
/// this order, and a register holds one live temporary at any point on it.
/// Deferred temporaries (`Pend`: constants, PC-relative values, guest registers)
/// get none: they reach a slot only if materialised.
fn homes(b: &Block) -> Vec<Option<u8>> {
    let n = b.ntmp as usize;
    let mut def = vec![usize::MAX; n];
    let mut last = vec![0usize; n];
    let mut uses = vec![0u32; n];
    let mut deferred = vec![false; n];
    let mut calls = Vec::new();
    for (i, op) in b.ops.iter().enumerate() {
        op.for_each_read(|t| {
            if let Some(l) = last.get_mut(t as usize) {
                *l = (*l).max(i);
                uses[t as usize] += 1;
            }
        });
        for d in op.dests() {
            if let Some(x) = def.get_mut(d as usize) {
                if *x == usize::MAX {
                    *x = i;
                }
            }
        }
        if let Op::Const { d, .. } | Op::PcRel { d, .. } | Op::GetReg { d, .. } = *op {
            if let Some(x) = deferred.get_mut(d as usize) {
                *x = true;
            }
        }
        if calls_out(op) {
            calls.push(i);
        }
    }
    let mut home = vec![None; n];
    let mut order: Vec<usize> = (0..n).filter(|&t| def[t] != usize::MAX && uses[t] > 0 && !deferred[t]).collect();
    // A single read by the next op, as the first value it loads into rax, takes the
    // value from rax (`settle_rax`): no home needed.
    order.retain(|&t| !(uses[t] == 1 && last[t] == def[t] + 1 && first_rax(&b.ops[last[t]]) == Some(t as u16)));
    order.sort_by_key(|&t| def[t]);
    // (register, last use of the temporary holding it)
    let mut busy: Vec<(u8, usize)> = Vec::new();
    for t in order {
        busy.retain(|&(_, l)| l >= def[t]);
        let across_call = calls.iter().any(|&c| c > def[t] && c < last[t]);
        let pool: &[u8] = if across_call { &[R15] } else { &[R8, R9, R10, R15] };
        if let Some(&r) = pool.iter().find(|r| !busy.iter().any(|&(b, _)| b == **r)) {
            home[t] = Some(r);
            busy.push((r, last[t]));
        }
    }
    home
}

/// The stack frame for `ntmp` temporaries: 8 bytes each, and 8 mod 16 in all, since
/// the return address leaves RSP at 8 mod 16 at the entry and helper calls need it at 0.
const fn frame_bytes(ntmp: u16) -> i32 {
    (ntmp as i32 * 8) | 8
}

/// The shared stubs' addresses (mapped once per process, see `S_RET`...).
pub fn stubs() -> std::io::Result<[u64; NSTUB]> {
    static MAPPED: std::sync::OnceLock<Result<[u64; NSTUB], String>> = std::sync::OnceLock::new();
    MAPPED
        .get_or_init(|| {
            let (code, at) = build_stubs()?;
            let base = super::jit_entry::map_static_code(&code).map_err(|e| format!("quick code's stubs: {e}"))?;
            Ok(at.map(|o| (base + o) as u64))
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// The stubs' code and the offset of each.
fn build_stubs() -> Result<(Vec<u8>, [usize; NSTUB]), String> {
    let mut a = Asm::new(0);
    let labels: [DynamicLabel; NSTUB] = std::array::from_fn(|_| a.new_dynamic_label());
    let ret = labels[S_RET];
    // Leaves the frame and tail-calls rax with exit slots rdx (for `S_MISS`).
    let tail = a.new_dynamic_label();
    dynasm!(a
        ; .arch x64
        ; =>ret
        ; add rsp, FRAME
        ; ret
        ; .align 16
        ; =>tail
        ; mov rdi, rbx
        ; mov rsi, rbp
        ; add rsp, FRAME
        ; jmp rax
        ; .align 16
        ; =>labels[S_MISS]
        ; mov rdx, rcx
        ; mov rdi, rbx
        ; mov rsi, rbp
        ; call QWORD [rbp + LOOKUP]
        ; test rax, rax
        ; jz >out
        ; mov rcx, QWORD [BYTE rdx + H_INNER as i8]
        ; test rcx, rcx
        ; jz =>tail
        // Quick code: into its inner entry, keeping the frame.
        ; jmp rcx
        ; out:
        ; mov eax, ExitReason::Branch as i32
        ; jmp =>ret
        ; .align 16
        ; =>labels[S_LLVM_MISS]
        // No frame: the stack is as at the entry of the block that tail-called here.
        ; push rdi
        ; push rsi
        ; sub rsp, 8
        ; call QWORD [rsi + LOOKUP]
        ; add rsp, 8
        ; pop rsi
        ; pop rdi
        ; test rax, rax
        ; jz >none
        ; jmp rax
        ; none:
        ; mov eax, ExitReason::Branch as i32
        ; ret
        ; .align 16
        ; =>labels[S_SPENT]
        ; inc QWORD [BYTE rbp + BUDGET as i8]
        ; mov eax, ExitReason::Branch as i32
        ; jmp =>ret
        ; .align 16
        ; =>labels[S_HOT]
        ; mov ecx, DWORD [rbp + HOT_N]
        ; cmp ecx, HOT_MAX as i32
        ; jae >full
        ; mov eax, DWORD [rax + H_ID]
        ; mov DWORD [rbp + rcx * 4 + HOT_IDS], eax
        ; add DWORD [rbp + HOT_N], 1
        ; ret
        ; full:
        // The list is full until the dispatcher takes it: count down again and ask later (left at zero,
        // the count would go negative and the block would never be listed, so never reach LLVM).
        ; mov DWORD [BYTE rax + H_COUNT as i8], HOT_RETRY
        ; ret
    );
    let mut at = [0usize; NSTUB];
    for (k, l) in labels.iter().enumerate() {
        at[k] = a.labels().resolve_dynamic(*l).map_err(|e| format!("quick stubs: {e:?}"))?.0;
    }
    let code = a.finalize().map_err(|e| format!("quick stubs: {e:?}"))?;
    Ok((code, at))
}

/// Quick code for a block: the code (entered at `code.entry` with the backend ABI)
/// and the offset of its inner entry, where other quick code jumps with its frame
/// kept (see `Gen::prologue`).
pub struct QuickCode {
    pub code: CompiledCode,
    pub inner: usize,
}

/// The stack frame of every quick block: room for the most temporaries a block
/// may have, so that quick code can jump into other quick code with its frame.
const FRAME: i32 = frame_bytes(crate::ir::MAX_TMPS as u16);

/// Compiles `b` to quick code.
pub fn compile(b: &Block) -> Result<QuickCode, String> {
    if b.ops.is_empty() || b.insns.is_empty() {
        return Err("empty block".into());
    }
    if b.ntmp as usize > crate::ir::MAX_TMPS {
        return Err("too many temporaries".into());
    }
    if b.ops.iter().any(|op| matches!(op, Op::Member { .. })) {
        return Err("a region (only the LLVM backend compiles those)".into());
    }
    let mut a = Asm::new(0);
    let retry = a.new_dynamic_label();
    let entry = a.new_dynamic_label();
    let body = a.new_dynamic_label();
    let inner = a.new_dynamic_label();
    let pend = vec![Pend::Slot; b.ntmp as usize];
    let mut uses = vec![0u16; b.ntmp as usize];
    for op in &b.ops {
        op.for_each_read(|t| {
            if let Some(u) = uses.get_mut(t as usize) {
                *u = u.saturating_add(1);
            }
        });
    }
    let mut g = Gen {
        a,
        b,
        thumb: Some(b.thumb),
        exit_no: 0,
        retry,
        entry,
        body,
        inner,
        pend,
        pending: Vec::new(),
        left: uses,
        pc_now: None,
        it_now: Some(b.it),
        rax: None,
        rax_in: None,
        hflags: None,
        home: homes(b),
        dead: Vec::new(),
    };
    g.prologue();
    g.ops()?;
    g.epilogue_parts();
    let inner_at = g.a.labels().resolve_dynamic(inner).map_err(|e| format!("quick code: {e:?}"))?.0;
    let code = g.a.finalize().map_err(|e| format!("quick code: {e:?}"))?;
    Ok(QuickCode { code: CompiledCode { code, entry: 0, align: 16 }, inner: inner_at })
}

impl Gen<'_> {
    fn t(&self, t: u16) -> i32 {
        t as i32 * 8
    }

    /// The host register temporary `t` lives in, if it has one (`homes`).
    fn home(&self, t: u16) -> Option<u8> {
        self.home.get(t as usize).copied().flatten()
    }

    /// Register `r` (a number, `RAX`...) = the 64-bit value of temporary `t`.
    fn ld(&mut self, r: u8, t: u16) {
        if r == RAX {
            // The op's first load into rax: the previous op's result may be there already.
            if self.rax_in.take() == Some(t) {
                return;
            }
        }
        match self.pend.get(t as usize).copied().unwrap_or(Pend::Slot) {
            Pend::Slot => {
                let o = self.t(t);
                if let Some(h) = self.home(t) {
                    dynasm!(self.a ; .arch x64 ; mov Rq(r), Rq(h));
                } else if short(o) {
                    dynasm!(self.a ; .arch x64 ; mov Rq(r), QWORD [BYTE rsp + o as i8]);
                } else {
                    dynasm!(self.a ; .arch x64 ; mov Rq(r), QWORD [rsp + o]);
                }
            }
            Pend::Reg(g) => self.load_cpu32(r, r_off(g as usize)),
            Pend::Const(v) => {
                if v >> 32 == 0 {
                    // A 32-bit move zero-extends (and is the shortest form).
                    dynasm!(self.a ; .arch x64 ; mov Rd(r), v as i32);
                } else if v as i64 == v as i32 as i64 {
                    dynasm!(self.a ; .arch x64 ; mov Rq(r), v as i32);
                } else {
                    dynasm!(self.a ; .arch x64 ; mov Rq(r), QWORD v as i64);
                }
            }
            Pend::PcRel(off) => {
                if short(off as i32) {
                    dynasm!(self.a ; .arch x64 ; lea Rd(r), [BYTE r14 + off as i8]);
                } else {
                    dynasm!(self.a ; .arch x64 ; lea Rd(r), [r14 + off as i32]);
                }
            }
        }
    }

    /// Register `r` (a number) = the low 32 bits of temporary `t`, zero-extended.
    fn ld32(&mut self, r: u8, t: u16) {
        match self.pend.get(t as usize).copied().unwrap_or(Pend::Slot) {
            Pend::Slot => {
                let o = self.t(t);
                if let Some(h) = self.home(t) {
                    dynasm!(self.a ; .arch x64 ; mov Rd(r), Rd(h));
                } else if short(o) {
                    dynasm!(self.a ; .arch x64 ; mov Rd(r), DWORD [BYTE rsp + o as i8]);
                } else {
                    dynasm!(self.a ; .arch x64 ; mov Rd(r), DWORD [rsp + o]);
                }
            }
            Pend::Const(v) => dynasm!(self.a ; .arch x64 ; mov Rd(r), v as u32 as i32),
            // Both are 32-bit loads already.
            Pend::Reg(_) | Pend::PcRel(_) => self.ld(r, t),
        }
    }

    /// Temporary `d` = rax (a result). The store to its slot waits for the next op,
    /// which may take the value from rax and be its only reader.
    fn st(&mut self, d: u16) {
        self.rax = Some((d, true));
    }

    /// Before each op (and at labels): where the previous op's result in rax goes.
    /// `first`: the temporary the op loads into rax first, before writing rax
    /// otherwise (`first_rax`); None at a label, where paths join.
    fn settle_rax(&mut self, first: Option<u16>) {
        self.rax_in = None;
        if let Some((d, unstored)) = self.rax.take() {
            // Readers still to come that cannot take it from rax (this op's first load can).
            let left = self.left.get(d as usize).copied().unwrap_or(u16::MAX);
            let later = left.saturating_sub((first == Some(d)) as u16);
            if unstored && later > 0 {
                self.store_slot(d, RAX);
            }
            if first == Some(d) {
                self.rax_in = Some(d);
            }
        }
    }

    /// Temporary `d` = the 32-bit (zero-extended) or 64-bit field of `CpuState` at `off`.
    fn get_field(&mut self, d: u16, off: i32, wide: bool) {
        if wide {
            dynasm!(self.a ; .arch x64 ; mov rax, QWORD [rbx + off]);
        } else {
            self.load_cpu32(RAX, off);
        }
        self.st(d);
    }

    /// The 32-bit or 64-bit field of `CpuState` at `off` = temporary `s`.
    fn set_field(&mut self, s: u16, off: i32, wide: bool) {
        self.ld(RAX, s);
        if wide {
            dynasm!(self.a ; .arch x64 ; mov QWORD [rbx + off], rax);
        } else {
            dynasm!(self.a ; .arch x64 ; mov DWORD [rbx + off], eax);
        }
    }

    /// Defers temporary `d` (see `Pend`).
    fn defer(&mut self, d: u16, p: Pend) {
        if let Some(x) = self.pend.get_mut(d as usize) {
            *x = p;
            self.pending.push(d);
        }
    }

    /// Puts the deferred temporaries that `keep` rejects into their slots (through r11: rax is kept).
    fn materialize(&mut self, keep: impl Fn(Pend) -> bool) {
        let list = std::mem::take(&mut self.pending);
        let mut left = Vec::new();
        for t in list {
            let p = self.pend[t as usize];
            if p == Pend::Slot {
                continue;
            }
            if keep(p) {
                left.push(t);
                continue;
            }
            if self.left.get(t as usize) == Some(&0) {
                // Nothing reads it any more.
                self.pend[t as usize] = Pend::Slot;
                continue;
            }
            self.ld(R11, t);
            self.store_slot(t, R11);
            self.pend[t as usize] = Pend::Slot;
        }
        self.pending = left;
    }

    /// Puts the register values deferred temporaries stand for into their slots (before
    /// the registers may change, or where paths split or join); constants stay deferred.
    fn materialize_regs(&mut self) {
        self.materialize(|p| !matches!(p, Pend::Reg(_)));
    }

    /// Two entries. The entry (the backend ABI, from the dispatcher and LLVM code)
    /// makes the frame (`FRAME`, the same in every quick block); the inner entry,
    /// where quick code chains to quick code (found through the exit-slot header),
    /// takes the frame, rbx, rbp and r13 as they are and the exit slots in rdx.
    /// The entry goes to the LLVM code once it replaces this code; the inner entry
    /// need not check, since `Jit::install` then takes it out of the slot header, the
    /// only place quick code finds it. A block that may leave with `EXIT_RETRY` (it
    /// accesses guest memory or calls out) names itself in `cur_code`/`cur_pc0`.
    fn prologue(&mut self) {
        let (entry, body, inner) = (self.entry, self.body, self.inner);
        dynasm!(self.a
            ; .arch x64
            ; =>entry
            ; mov rcx, QWORD [BYTE rdx + H_FWD_CODE as i8]
            ; test rcx, rcx
            ; jnz ->forward
            ; sub rsp, FRAME
            ; mov rbx, rdi
            ; mov rbp, rsi
            ; mov r13, QWORD [BYTE rbx + MEM_BASE as i8]
            // On into the inner entry.
            ; =>inner
            ; mov r12, rdx
            ; mov r14d, DWORD [BYTE rbx + PC as i8]
        );
        if self.b.ops.iter().any(may_retry) {
            dynasm!(self.a
                ; .arch x64
                ; lea rax, [=>entry]
                ; mov QWORD [BYTE rbp + CUR_CODE as i8], rax
                ; mov DWORD [BYTE rbp + CUR_PC0 as i8], r14d
            );
        }
        dynasm!(self.a
            ; .arch x64
            ; =>body
            ; dec DWORD [BYTE r12 + H_COUNT as i8]
            ; jnz BYTE >counted
            ; mov rax, r12
            ; call QWORD [BYTE rbp + stub_b(S_HOT)]
            ; counted:
        );
    }

    /// The out-of-line parts after the body: retry and forwarding.
    fn epilogue_parts(&mut self) {
        let retry = self.retry;
        dynasm!(self.a
            ; .arch x64
            ; =>retry
            ; mov eax, EXIT_RETRY as i32
            ; jmp QWORD [BYTE rbp + stub_b(S_RET)]
            // The arguments are still in place at the entry.
            ; ->forward:
            ; mov rdx, QWORD [BYTE rdx + H_FWD_SLOTS as i8]
            ; jmp rcx
        );
    }

    /// Stores the host's O, S and Z flags as V, N and Z, those of `sets` not in `dead`
    /// (C is stored by the op: its sense differs after `sub` and `adc`).
    fn store_flags(&mut self, sets: u8, dead: u8) {
        let (n, z, v) = (off_of(Flag::N), off_of(Flag::Z), off_of(Flag::V));
        let live = sets & !dead;
        if live & F_V != 0 {
            dynasm!(self.a ; .arch x64 ; seto BYTE [BYTE rbx + v as i8]);
        }
        if live & F_N != 0 {
            dynasm!(self.a ; .arch x64 ; sets BYTE [BYTE rbx + n as i8]);
        }
        if live & F_Z != 0 {
            dynasm!(self.a ; .arch x64 ; sete BYTE [BYTE rbx + z as i8]);
        }
    }

    /// Leaves with exit code `code`.
    fn ret_code(&mut self, code: u32) {
        if code == 0 {
            dynasm!(self.a ; .arch x64 ; xor eax, eax);
        } else {
            dynasm!(self.a ; .arch x64 ; mov eax, code as i32);
        }
        dynasm!(self.a ; .arch x64 ; jmp QWORD [BYTE rbp + stub_b(S_RET)]);
    }

    fn add_insns(&mut self, n: u64) {
        if n > 0 {
            if n < 128 {
                // `add QWORD [rbx + INSNS], imm8` (REX.W 83 /0 disp32 ib): dynasm picks the
                // imm32 form for a memory operand whatever the immediate's size.
                let d = INSNS.to_le_bytes();
                let bytes = [0x48, 0x83, 0x83, d[0], d[1], d[2], d[3], n as u8];
                dynasm!(self.a ; .arch x64 ; .bytes bytes.iter());
            } else {
                dynasm!(self.a ; .arch x64 ; add QWORD [rbx + INSNS], n as i32);
            }
        }
    }

    /// `cpu.pc_off` = instruction `insn`'s offset in the block: where an EXIT_RETRY
    /// stopped (the dispatcher adds `ChainCtx::cur_pc0`; backend.rs).
    fn store_pc_off(&mut self, insn: u16) {
        let off = self.b.insns[insn as usize].off as i32;
        dynasm!(self.a ; .arch x64 ; mov DWORD [BYTE rbx + PC_OFF as i8], off);
    }

    /// r11d = the PC of instruction `insn`; stored as the guest PC and its offset as
    /// `cpu.pc_off` (rax untouched).
    fn store_insn_pc(&mut self, insn: u16) {
        self.store_pc_off(insn);
        let off = self.b.insns[insn as usize].off as i32;
        if short(off) {
            dynasm!(self.a ; .arch x64 ; lea r11d, [BYTE r14 + off as i8]);
        } else {
            dynasm!(self.a ; .arch x64 ; lea r11d, [r14 + off]);
        }
        self.store_cpu32(PC, R11);
    }

    /// Slot of temporary `t` = register `r` (shorter code for the first 16 slots).
    fn store_slot(&mut self, t: u16, r: u8) {
        if let Some(h) = self.home(t) {
            if h != r {
                dynasm!(self.a ; .arch x64 ; mov Rq(h), Rq(r));
            }
            return;
        }
        let o = self.t(t);
        if short(o) {
            dynasm!(self.a ; .arch x64 ; mov QWORD [BYTE rsp + o as i8], Rq(r));
        } else {
            dynasm!(self.a ; .arch x64 ; mov QWORD [rsp + o], Rq(r));
        }
    }

    /// Register `r` = the 32-bit field of `CpuState` at `off` (zero-extended).
    fn load_cpu32(&mut self, r: u8, off: i32) {
        if short(off) {
            dynasm!(self.a ; .arch x64 ; mov Rd(r), DWORD [BYTE rbx + off as i8]);
        } else {
            dynasm!(self.a ; .arch x64 ; mov Rd(r), DWORD [rbx + off]);
        }
    }

    /// The 32-bit field of `CpuState` at `off` = register `r`.
    fn store_cpu32(&mut self, off: i32, r: u8) {
        if short(off) {
            dynasm!(self.a ; .arch x64 ; mov DWORD [BYTE rbx + off as i8], Rd(r));
        } else {
            dynasm!(self.a ; .arch x64 ; mov DWORD [rbx + off], Rd(r));
        }
    }

    /// Whether `ShiftC` of `kind` by temporary `amt` can be inline: RRX, or a constant
    /// amount of 1 to 31 (after ARM's use of its low byte), where `shift_c` is the plain shift.
    fn shift_inline(&self, kind: ShiftKind, amt: u16) -> bool {
        match self.pend.get(amt as usize) {
            _ if kind == ShiftKind::Rrx => true,
            Some(Pend::Const(v)) => (1..=31).contains(&(v & 0xff)),
            _ => false,
        }
    }

    /// Jumps to `l` if x86 condition `cc` (a `jcc` nibble) holds.
    fn jcc(&mut self, cc: u8, l: DynamicLabel) {
        match cc & 0xf {
            0x0 => dynasm!(self.a ; .arch x64 ; jo =>l),
            0x1 => dynasm!(self.a ; .arch x64 ; jno =>l),
            0x2 => dynasm!(self.a ; .arch x64 ; jb =>l),
            0x3 => dynasm!(self.a ; .arch x64 ; jae =>l),
            0x4 => dynasm!(self.a ; .arch x64 ; je =>l),
            0x5 => dynasm!(self.a ; .arch x64 ; jne =>l),
            0x6 => dynasm!(self.a ; .arch x64 ; jbe =>l),
            0x7 => dynasm!(self.a ; .arch x64 ; ja =>l),
            0x8 => dynasm!(self.a ; .arch x64 ; js =>l),
            0x9 => dynasm!(self.a ; .arch x64 ; jns =>l),
            0xa => dynasm!(self.a ; .arch x64 ; jp =>l),
            0xb => dynasm!(self.a ; .arch x64 ; jnp =>l),
            0xc => dynasm!(self.a ; .arch x64 ; jl =>l),
            0xd => dynasm!(self.a ; .arch x64 ; jge =>l),
            0xe => dynasm!(self.a ; .arch x64 ; jle =>l),
            _ => dynasm!(self.a ; .arch x64 ; jg =>l),
        }
    }

    /// al = 1 if x86 condition `cc` holds, else 0 (flags untouched).
    fn setcc_al(&mut self, cc: u8) {
        match cc & 0xf {
            0x0 => dynasm!(self.a ; .arch x64 ; seto al),
            0x1 => dynasm!(self.a ; .arch x64 ; setno al),
            0x2 => dynasm!(self.a ; .arch x64 ; setb al),
            0x3 => dynasm!(self.a ; .arch x64 ; setae al),
            0x4 => dynasm!(self.a ; .arch x64 ; sete al),
            0x5 => dynasm!(self.a ; .arch x64 ; setne al),
            0x6 => dynasm!(self.a ; .arch x64 ; setbe al),
            0x7 => dynasm!(self.a ; .arch x64 ; seta al),
            0x8 => dynasm!(self.a ; .arch x64 ; sets al),
            0x9 => dynasm!(self.a ; .arch x64 ; setns al),
            0xa => dynasm!(self.a ; .arch x64 ; setp al),
            0xb => dynasm!(self.a ; .arch x64 ; setnp al),
            0xc => dynasm!(self.a ; .arch x64 ; setl al),
            0xd => dynasm!(self.a ; .arch x64 ; setge al),
            0xe => dynasm!(self.a ; .arch x64 ; setle al),
            _ => dynasm!(self.a ; .arch x64 ; setg al),
        }
    }

    /// eax = 1 if condition `cond` passes, else 0 (`condition_passed`).
    fn cond_eax(&mut self, cond: u8) {
        let (z, c, n, v) = (off_of(Flag::Z), off_of(Flag::C), off_of(Flag::N), off_of(Flag::V));
        if cond >= 0xe {
            dynasm!(self.a ; .arch x64 ; mov eax, 1);
            return;
        }
        match cond >> 1 {
            0 => dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbx + z as i8], 0 ; setne al),
            1 => dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbx + c as i8], 0 ; setne al),
            2 => dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbx + n as i8], 0 ; setne al),
            3 => dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbx + v as i8], 0 ; setne al),
            4 => dynasm!(self.a ; .arch x64
                ; cmp BYTE [BYTE rbx + c as i8], 0 ; setne al
                ; cmp BYTE [BYTE rbx + z as i8], 0 ; sete cl
                ; and al, cl),
            5 => dynasm!(self.a ; .arch x64
                ; cmp BYTE [BYTE rbx + n as i8], 0 ; setne al
                ; cmp BYTE [BYTE rbx + v as i8], 0 ; setne cl
                ; cmp al, cl ; sete al),
            _ => dynasm!(self.a ; .arch x64
                ; cmp BYTE [BYTE rbx + n as i8], 0 ; setne al
                ; cmp BYTE [BYTE rbx + v as i8], 0 ; setne cl
                ; cmp al, cl ; sete al
                ; cmp BYTE [BYTE rbx + z as i8], 0 ; sete cl
                ; and al, cl),
        }
        if cond & 1 != 0 {
            dynasm!(self.a ; .arch x64 ; xor al, 1);
        }
        dynasm!(self.a ; .arch x64 ; movzx eax, al);
    }

    /// BranchWritePC / BXWritePC of eax (`interp::write_pc`).
    fn write_pc(&mut self, kind: PcWrite) {
        match kind {
            PcWrite::Branch => match self.thumb {
                Some(th) => {
                    let m = if th { !1i32 } else { !3i32 };
                    dynasm!(self.a ; .arch x64 ; and eax, m);
                }
                None => dynasm!(self.a ; .arch x64
                    ; mov edx, !3i32
                    ; mov ecx, !1i32
                    ; cmp BYTE [BYTE rbx + T as i8], 0
                    ; cmovne edx, ecx
                    ; and eax, edx),
            },
            PcWrite::Interwork => {
                dynasm!(self.a ; .arch x64
                    ; mov ecx, eax
                    ; and ecx, 1
                    ; mov BYTE [BYTE rbx + T as i8], cl
                    ; mov edx, !3i32
                    ; mov esi, !1i32
                    ; test ecx, ecx
                    ; cmovne edx, esi
                    ; and eax, edx);
                self.thumb = None;
            }
            PcWrite::SetThumb(th) => {
                let m = if th { !1i32 } else { !3i32 };
                dynasm!(self.a ; .arch x64 ; mov BYTE [BYTE rbx + T as i8], th as i8 ; and eax, m);
                self.thumb = Some(th);
            }
        }
        dynasm!(self.a ; .arch x64 ; mov DWORD [BYTE rbx + PC as i8], eax);
    }

    /// Chains to the next block (`backend.rs` "chaining"): through exit slot `slot`
    /// if given (on a miss, `S_MISS`), else through the chain table, inline
    /// (`jit_entry::chain_lookup` without the call); returns `Branch` when there is
    /// nowhere to go. The PC is stored.
    fn chain(&mut self, slot: Option<i32>, key_hi: Option<u64>) {
        let out = self.a.new_dynamic_label();
        let miss = self.a.new_dynamic_label();
        // rcx = the entry to try.
        match slot {
            Some(k) => {
                let at = k * std::mem::size_of::<ChainEntry>() as i32;
                if short(at) {
                    dynasm!(self.a ; .arch x64 ; lea rcx, [BYTE r12 + at as i8]);
                } else {
                    dynasm!(self.a ; .arch x64 ; lea rcx, [r12 + at]);
                }
            }
            None => dynasm!(self.a ; .arch x64
                ; mov ecx, DWORD [BYTE rbx + PC as i8]
                ; mov edx, ecx
                ; shr ecx, 1
                ; shr edx, (CHAIN_BITS + 1) as i8
                ; xor ecx, edx
                ; and ecx, ((1u32 << CHAIN_BITS) - 1) as i32
                ; shl rcx, 5
                ; add rcx, QWORD [BYTE rbp + TABLE as i8]),
        }
        // rax = the key of the next (PC, T, ITSTATE) in this generation (`backend::chain_key`).
        // `key_hi`: eax holds the PC (zero-extended) and these are the key's T and ITSTATE bits.
        if let Some(hi) = key_hi {
            if hi == 1 << 32 {
                dynasm!(self.a ; .arch x64 ; bts rax, 32);
            } else if hi != 0 {
                dynasm!(self.a ; .arch x64 ; mov rdx, QWORD hi as i64 ; or rax, rdx);
            }
        } else {
            dynasm!(self.a ; .arch x64 ; mov eax, DWORD [BYTE rbx + PC as i8]);
            match self.thumb {
                Some(true) => dynasm!(self.a ; .arch x64 ; mov rdx, QWORD 1i64 << 32 ; or rax, rdx),
                Some(false) => {}
                None => dynasm!(self.a ; .arch x64 ; movzx edx, BYTE [BYTE rbx + T as i8] ; and edx, 1 ; shl rdx, 32 ; or rax, rdx),
            }
            dynasm!(self.a ; .arch x64 ; movzx edx, BYTE [BYTE rbx + IT as i8] ; shl rdx, 33 ; or rax, rdx);
        }
        // A table miss leaves; a slot miss may still hit in the table.
        let missed = if slot.is_some() { miss } else { out };
        dynasm!(self.a ; .arch x64
            ; or rax, QWORD [BYTE rbp + KEY_GEN as i8]
            ; cmp rax, QWORD [BYTE rcx + E_KEY as i8]
            ; jne BYTE =>missed
            ; cmp r13, QWORD [BYTE rcx + E_BASE as i8]
            ; jne BYTE =>missed
            ; dec QWORD [BYTE rbp + BUDGET as i8]
            ; jl BYTE >spent
            ; mov rdx, QWORD [BYTE rcx + E_SLOTS as i8]
            ; mov rax, QWORD [BYTE rdx + H_INNER as i8]
            ; test rax, rax
            ; jz BYTE >plain
            // Quick code: into its inner entry, keeping the frame.
            ; jmp rax
            ; plain:
            ; mov rax, QWORD [BYTE rcx + E_CODE as i8]
            ; mov rdi, rbx
            ; mov rsi, rbp
            ; add rsp, FRAME
            ; jmp rax
        );
        dynasm!(self.a ; .arch x64 ; spent: ; jmp QWORD [BYTE rbp + stub_b(S_SPENT)]);
        if slot.is_some() {
            dynasm!(self.a ; .arch x64 ; =>miss ; jmp QWORD [BYTE rbp + stub_b(S_MISS)]);
        }
        dynasm!(self.a ; .arch x64 ; =>out);
        self.ret_code(ExitReason::Branch as u32);
    }

    fn exit(&mut self, reason: ExitReason) {
        self.add_insns(self.b.insns.len() as u64);
        if reason == ExitReason::Branch {
            self.chain(None, None);
        } else {
            self.ret_code(reason as u32);
        }
    }

    /// Loads the guest address of an access into ecx after storing the PC and
    /// checking what the direct access cannot (alignment, LDRT/STRT from a
    /// privileged mode): those leave with EXIT_RETRY.
    fn pre_access(&mut self, addr: u16, insn: u16, align: Option<u32>, user: bool) {
        if self.pc_now != Some(insn) {
            self.store_pc_off(insn);
            self.pc_now = Some(insn);
        }
        let retry = self.retry;
        self.ld32(RCX, addr);
        if let Some(n) = align.filter(|&n| n > 1) {
            dynasm!(self.a ; .arch x64 ; test ecx, (n - 1) as i32 ; jnz =>retry);
        }
        if user {
            dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbx + MODE as i8], MODE_USR ; jne =>retry);
        }
    }

    /// rax = the guest load at ecx, extended as the temporary holds it.
    fn load(&mut self, size: MemSize) {
        match size {
            MemSize::U8 => dynasm!(self.a ; .arch x64 ; movzx eax, BYTE [r13 + rcx]),
            MemSize::S8 => dynasm!(self.a ; .arch x64 ; movsx eax, BYTE [r13 + rcx]),
            MemSize::U16 => dynasm!(self.a ; .arch x64 ; movzx eax, WORD [r13 + rcx]),
            MemSize::S16 => dynasm!(self.a ; .arch x64 ; movsx eax, WORD [r13 + rcx]),
            MemSize::U32 => dynasm!(self.a ; .arch x64 ; mov eax, DWORD [r13 + rcx]),
            MemSize::U64 => dynasm!(self.a ; .arch x64 ; mov rax, QWORD [r13 + rcx]),
        }
    }

    /// The guest store of temporary `s` at ecx.
    fn store(&mut self, s: u16, size: MemSize) {
        self.ld(RAX, s);
        match size {
            MemSize::U8 | MemSize::S8 => dynasm!(self.a ; .arch x64 ; mov BYTE [r13 + rcx], al),
            MemSize::U16 | MemSize::S16 => dynasm!(self.a ; .arch x64 ; mov WORD [r13 + rcx], ax),
            MemSize::U32 => dynasm!(self.a ; .arch x64 ; mov DWORD [r13 + rcx], eax),
            MemSize::U64 => dynasm!(self.a ; .arch x64 ; mov QWORD [r13 + rcx], rax),
        }
    }

    /// Calls `f(rdi, rsi, rdx, rcx)` (arguments already loaded).
    fn call_abs(&mut self, f: u64) {
        dynasm!(self.a ; .arch x64 ; mov rax, QWORD f as i64 ; call rax);
    }

    /// eax/rax = `op`(rax, rcx) as `interp::bin` (operands loaded).
    fn bin(&mut self, op: BinOp) {
        match op {
            BinOp::Add => dynasm!(self.a ; .arch x64 ; add eax, ecx),
            BinOp::Sub => dynasm!(self.a ; .arch x64 ; sub eax, ecx),
            BinOp::And => dynasm!(self.a ; .arch x64 ; and eax, ecx),
            BinOp::Or => dynasm!(self.a ; .arch x64 ; or eax, ecx),
            BinOp::Xor => dynasm!(self.a ; .arch x64 ; xor eax, ecx),
            BinOp::Bic => dynasm!(self.a ; .arch x64 ; not ecx ; and eax, ecx),
            BinOp::Mul => dynasm!(self.a ; .arch x64 ; imul eax, ecx),
            BinOp::Lsl => dynasm!(self.a ; .arch x64
                ; and ecx, 0xff ; xor edx, edx ; shl eax, cl ; cmp ecx, 32 ; cmovae eax, edx),
            BinOp::Lsr => dynasm!(self.a ; .arch x64
                ; and ecx, 0xff ; xor edx, edx ; shr eax, cl ; cmp ecx, 32 ; cmovae eax, edx),
            BinOp::Asr => dynasm!(self.a ; .arch x64
                ; and ecx, 0xff ; mov edx, 31 ; cmp ecx, 31 ; cmova ecx, edx ; sar eax, cl),
            BinOp::Ror => dynasm!(self.a ; .arch x64 ; ror eax, cl),
            BinOp::UDiv | BinOp::SDiv => {
                let k = BINOPS.iter().position(|&o| o == op).expect("division op") as i32;
                dynasm!(self.a ; .arch x64 ; mov rsi, rax ; mov rdx, rcx ; mov edi, k);
                self.call_abs(q_bin as *const () as u64);
            }
            BinOp::Eq => dynasm!(self.a ; .arch x64 ; cmp eax, ecx ; sete al ; movzx eax, al),
            BinOp::Ne => dynasm!(self.a ; .arch x64 ; cmp eax, ecx ; setne al ; movzx eax, al),
            BinOp::LtU => dynasm!(self.a ; .arch x64 ; cmp eax, ecx ; setb al ; movzx eax, al),
            BinOp::LtS => dynasm!(self.a ; .arch x64 ; cmp eax, ecx ; setl al ; movzx eax, al),
            BinOp::Add64 => dynasm!(self.a ; .arch x64 ; add rax, rcx),
            BinOp::Sub64 => dynasm!(self.a ; .arch x64 ; sub rax, rcx),
            BinOp::Mul64 => dynasm!(self.a ; .arch x64 ; imul rax, rcx),
            BinOp::Pair => dynasm!(self.a ; .arch x64 ; shl rax, 32 ; mov ecx, ecx ; or rax, rcx),
        }
    }

    fn un(&mut self, op: UnOp) {
        match op {
            UnOp::Not => dynasm!(self.a ; .arch x64 ; not eax),
            UnOp::Neg => dynasm!(self.a ; .arch x64 ; neg eax),
            UnOp::Rev => dynasm!(self.a ; .arch x64 ; bswap eax),
            UnOp::Sxtb => dynasm!(self.a ; .arch x64 ; movsx eax, al),
            UnOp::Sxth => dynasm!(self.a ; .arch x64 ; movsx eax, ax),
            UnOp::Uxtb => dynasm!(self.a ; .arch x64 ; movzx eax, al),
            UnOp::Uxth => dynasm!(self.a ; .arch x64 ; movzx eax, ax),
            UnOp::Lo => dynasm!(self.a ; .arch x64 ; mov eax, eax),
            UnOp::Hi => dynasm!(self.a ; .arch x64 ; shr rax, 32),
            UnOp::Sext32 => dynasm!(self.a ; .arch x64 ; movsxd rax, eax),
            UnOp::Clz | UnOp::Rbit | UnOp::Rev16 | UnOp::Revsh => {
                let k = UNOPS.iter().position(|&o| o == op).expect("unary op") as i32;
                dynasm!(self.a ; .arch x64 ; mov rsi, rax ; mov edi, k);
                self.call_abs(q_un as *const () as u64);
            }
        }
    }

    fn ops(&mut self) -> Result<(), String> {
        let ops = &self.b.ops;
        let n = ops.len();
        // Labels at the targets of forward skips.
        let mut labels: Vec<Option<DynamicLabel>> = vec![None; n + 1];
        for (i, op) in ops.iter().enumerate() {
            if let Op::SkipUnless { n: k, .. } | Op::SkipUnlessCond { n: k, .. } = *op {
                let t = (i + 1 + k as usize).min(n);
                if labels[t].is_none() {
                    labels[t] = Some(self.a.new_dynamic_label());
                }
            }
        }
        self.dead = dead_flag_stores(ops, |i| labels[i].is_some());
        // Whether an op so far may have changed T: then it is unknown where paths join.
        let mut t_changed = false;
        // Whether an op so far may have changed ITSTATE.
        let mut it_changed = false;
        for (i, &op) in ops.iter().enumerate() {
            if let Some(l) = labels[i] {
                self.join(l, t_changed, it_changed);
            }
            self.settle_rax(first_rax(&op));
            let flags_before = self.hflags.take();
            if matches!(op, Op::SkipUnlessCond { .. } | Op::Cond { .. } | Op::GetFlag { .. }) {
                self.hflags = flags_before;
            }
            self.op(op, &labels, i)?;
            // Ops whose code is moves only (or nothing) leave the host flags as they were: a
            // flag-setting op's result written back (`SUBS r0, ...`) before the condition.
            if flags_before.is_some() && flag_neutral(&op) {
                self.hflags = flags_before;
            }
            let left = &mut self.left;
            op.for_each_read(|t| {
                if let Some(n) = left.get_mut(t as usize) {
                    *n = n.saturating_sub(1);
                }
            });
            if matches!(op, Op::WritePc { .. } | Op::ExitTo { .. } | Op::Call { .. } | Op::Raise { .. }) {
                self.pc_now = None;
            }
            if matches!(op, Op::Call { .. }) {
                self.it_now = None;
            }
            it_changed |= matches!(op, Op::Call { .. } | Op::SetIt { .. });
            t_changed |= matches!(
                op,
                Op::Call { .. }
                    | Op::WritePc { kind: PcWrite::Interwork | PcWrite::SetThumb(_), .. }
                    | Op::ExitTo { kind: PcWrite::Interwork | PcWrite::SetThumb(_), .. }
            );
        }
        // The interpreter's fall-off-the-end behaviour (the translator always exits),
        // where the end can be reached: by a skip to it, or past a last op that does
        // not leave.
        let leaves = matches!(ops.last(), Some(Op::Exit { .. } | Op::ExitTo { .. } | Op::Raise { .. }));
        if labels[n].is_some() || !leaves {
            if let Some(l) = labels[n] {
                self.join(l, t_changed, it_changed);
            }
            self.settle_rax(None);
            self.exit(ExitReason::Branch);
        }
        Ok(())
    }

    /// Label `l`, where a forward skip's paths join: every value goes to its slot
    /// first, and T is unknown after it if an op so far may have changed it.
    fn join(&mut self, l: DynamicLabel, t_changed: bool, it_changed: bool) {
        self.settle_rax(None);
        self.materialize_regs();
        dynasm!(self.a ; .arch x64 ; =>l);
        self.hflags = None;
        self.pc_now = None;
        if it_changed {
            self.it_now = None;
        }
        if t_changed {
            self.thumb = None;
        }
    }

    fn op(&mut self, op: Op, labels: &[Option<DynamicLabel>], i: usize) -> Result<(), String> {
        match op {
            Op::Const { d, v } => self.defer(d, Pend::Const(v)),
            Op::PcRel { d, off } => self.defer(d, Pend::PcRel(off)),
            // r15 is not deferred: the block stores instruction PCs there.
            Op::GetReg { d, r } if r < 15 => self.defer(d, Pend::Reg(r)),
            Op::GetReg { d, r } => self.get_field(d, r_off(r as usize), false),
            Op::SetReg { r, s } => {
                // Temporaries that still stand for the register's old value take it now
                // (with rax: before the value is loaded).
                self.materialize(|p| p != Pend::Reg(r));
                self.ld(RAX, s);
                self.store_cpu32(r_off(r as usize), RAX);
            }
            Op::GetFlag { d, f } => {
                // N, Z, C and V are 1 exactly when MI, EQ, CS and VS pass: from the host's
                // flags if they mirror it (no reload of the byte just stored).
                let cond = match f {
                    Flag::N => Some(4),
                    Flag::Z => Some(0),
                    Flag::C => Some(2),
                    Flag::V => Some(6),
                    _ => None,
                };
                match cond.zip(self.hflags).and_then(|(c, hf)| host_cond(hf, c)) {
                    Some(cc) => {
                        self.setcc_al(cc);
                        dynasm!(self.a ; .arch x64 ; movzx eax, al);
                    }
                    None => {
                        let fo = off_of(f);
                        dynasm!(self.a ; .arch x64 ; movzx eax, BYTE [BYTE rbx + fo as i8]);
                    }
                }
                self.st(d);
            }
            Op::SetFlag { f, s } => {
                let fo = off_of(f);
                self.ld(RAX, s);
                match f {
                    Flag::Q => dynasm!(self.a ; .arch x64 ; test al, al ; setne al ; or BYTE [BYTE rbx + fo as i8], al),
                    Flag::Ge => dynasm!(self.a ; .arch x64 ; and al, 0xf ; mov BYTE [BYTE rbx + fo as i8], al),
                    _ => dynasm!(self.a ; .arch x64 ; and al, 1 ; mov BYTE [BYTE rbx + fo as i8], al),
                }
            }
            Op::SetNZ { s } => {
                self.ld(RAX, s);
                dynasm!(self.a ; .arch x64 ; test eax, eax);
                self.store_flags(F_N | F_Z, self.dead[i]);
                self.hflags = Some(HostFlags::Logic);
            }
            Op::GetNZCV { d } => {
                dynasm!(self.a ; .arch x64 ; xor eax, eax);
                for (f, sh) in [(Flag::N, 31i8), (Flag::Z, 30), (Flag::C, 29), (Flag::V, 28)] {
                    let fo = off_of(f);
                    dynasm!(self.a ; .arch x64 ; movzx ecx, BYTE [BYTE rbx + fo as i8] ; shl ecx, sh ; or eax, ecx);
                }
                self.st(d);
            }
            Op::SetNZCV { s } => {
                self.ld(RAX, s);
                for (f, sh) in [(Flag::N, 31i8), (Flag::Z, 30), (Flag::C, 29), (Flag::V, 28)] {
                    let fo = off_of(f);
                    dynasm!(self.a ; .arch x64 ; mov ecx, eax ; shr ecx, sh ; and ecx, 1 ; mov BYTE [BYTE rbx + fo as i8], cl);
                }
            }
            Op::Cond { d, cond } => {
                match self.hflags.and_then(|f| host_cond(f, cond)) {
                    Some(cc) => {
                        self.setcc_al(cc);
                        dynasm!(self.a ; .arch x64 ; movzx eax, al);
                    }
                    None => {
                        self.cond_eax(cond);
                        self.hflags = None;
                    }
                }
                self.st(d);
            }
            Op::Bin { d, op, a, b } => {
                self.ld(RAX, a);
                self.ld(RCX, b);
                self.bin(op);
                self.st(d);
            }
            Op::BinImm { d, op, a, imm } => {
                self.ld(RAX, a);
                match op {
                    BinOp::Add => dynasm!(self.a ; .arch x64 ; add eax, imm as i32),
                    BinOp::Sub => dynasm!(self.a ; .arch x64 ; sub eax, imm as i32),
                    BinOp::And => dynasm!(self.a ; .arch x64 ; and eax, imm as i32),
                    BinOp::Or => dynasm!(self.a ; .arch x64 ; or eax, imm as i32),
                    BinOp::Xor => dynasm!(self.a ; .arch x64 ; xor eax, imm as i32),
                    BinOp::Lsl if imm < 32 => dynasm!(self.a ; .arch x64 ; shl eax, imm as i8),
                    BinOp::Lsr if imm < 32 => dynasm!(self.a ; .arch x64 ; shr eax, imm as i8),
                    BinOp::Asr if imm < 32 => dynasm!(self.a ; .arch x64 ; sar eax, imm as i8),
                    BinOp::Ror => dynasm!(self.a ; .arch x64 ; ror eax, (imm & 31) as i8),
                    _ => {
                        dynasm!(self.a ; .arch x64 ; mov ecx, imm as i32);
                        self.bin(op);
                    }
                }
                self.st(d);
            }
            Op::Un { d, op, a } => {
                self.ld(RAX, a);
                self.un(op);
                self.st(d);
            }
            Op::AddFlags { d, a, b, cin } => {
                let c = off_of(Flag::C);
                self.ld(RAX, a);
                self.ld(RCX, b);
                // A constant carry in (ADDS, CMN: 0; a few 1) needs no register and no `bt`.
                match self.pend.get(cin as usize).copied() {
                    Some(Pend::Const(v)) if v & 1 == 0 => dynasm!(self.a ; .arch x64 ; add eax, ecx),
                    Some(Pend::Const(_)) => dynasm!(self.a ; .arch x64 ; stc ; adc eax, ecx),
                    _ => {
                        self.ld(RDX, cin);
                        dynasm!(self.a ; .arch x64 ; bt edx, 0 ; adc eax, ecx);
                    }
                }
                let dead = self.dead[i];
                if dead & F_C == 0 {
                    dynasm!(self.a ; .arch x64 ; setc BYTE [BYTE rbx + c as i8]);
                }
                self.store_flags(F_N | F_Z | F_V, dead);
                self.st(d);
                self.hflags = Some(HostFlags::Add);
            }
            Op::SubFlags { d, a, b } => {
                let c = off_of(Flag::C);
                self.ld(RAX, a);
                self.ld(RCX, b);
                dynasm!(self.a ; .arch x64 ; sub eax, ecx);
                let dead = self.dead[i];
                if dead & F_C == 0 {
                    dynasm!(self.a ; .arch x64 ; setae BYTE [BYTE rbx + c as i8]);
                }
                self.store_flags(F_N | F_Z | F_V, dead);
                self.st(d);
                self.hflags = Some(HostFlags::Sub);
            }
            Op::ShiftC { d, dc, kind, a, amt, cin } if self.shift_inline(kind, amt) => {
                // By a constant 1 to 31 (or RRX): x86's shifts leave ARM's carry out in CF.
                let n = match self.pend.get(amt as usize) {
                    Some(Pend::Const(v)) => (*v & 0xff) as i8,
                    _ => 1,
                };
                self.ld(RAX, a);
                match kind {
                    ShiftKind::Lsl => dynasm!(self.a ; .arch x64 ; shl eax, n),
                    ShiftKind::Lsr => dynasm!(self.a ; .arch x64 ; shr eax, n),
                    ShiftKind::Asr => dynasm!(self.a ; .arch x64 ; sar eax, n),
                    ShiftKind::Ror => dynasm!(self.a ; .arch x64 ; ror eax, n),
                    ShiftKind::Rrx => {
                        self.ld(RCX, cin);
                        dynasm!(self.a ; .arch x64 ; bt ecx, 0 ; rcr eax, 1);
                    }
                }
                dynasm!(self.a ; .arch x64 ; setc cl ; movzx ecx, cl);
                self.store_slot(d, RAX);
                self.store_slot(dc, RCX);
            }
            Op::ShiftC { d, dc, kind, a, amt, cin } => {
                let k = SHIFTS.iter().position(|&s| s == kind).expect("shift kind") as i32;
                self.ld(RSI, a);
                self.ld(RDX, amt);
                self.ld(RCX, cin);
                dynasm!(self.a ; .arch x64 ; mov edi, k);
                self.call_abs(q_shift_c as *const () as u64);
                dynasm!(self.a ; .arch x64 ; mov ecx, eax ; shr rax, 32);
                self.store_slot(d, RCX);
                self.store_slot(dc, RAX);
            }
            Op::Select { d, c, a, b } => {
                self.ld(RAX, a);
                self.ld(RCX, b);
                self.ld(RDX, c);
                dynasm!(self.a ; .arch x64 ; test rdx, rdx ; cmove rax, rcx);
                self.st(d);
            }
            Op::MulL { d, a, b, signed } => {
                self.ld(RAX, a);
                self.ld(RCX, b);
                if signed {
                    dynasm!(self.a ; .arch x64 ; movsxd rax, eax ; movsxd rcx, ecx);
                } else {
                    dynasm!(self.a ; .arch x64 ; mov eax, eax ; mov ecx, ecx);
                }
                dynasm!(self.a ; .arch x64 ; imul rax, rcx);
                self.st(d);
            }
            Op::GetS { d, r } => self.get_field(d, DREGS + 4 * r as i32, false),
            Op::SetS { r, s } => self.set_field(s, DREGS + 4 * r as i32, false),
            Op::GetD { d, r } => self.get_field(d, DREGS + 8 * r as i32, true),
            Op::SetD { r, s } => self.set_field(s, DREGS + 8 * r as i32, true),
            Op::Load { d, addr, size, insn, user, align } => {
                let al = align.then(|| if size == MemSize::U64 { 4 } else { size.bytes() });
                self.pre_access(addr, insn, al, user);
                self.load(size);
                self.st(d);
            }
            Op::Store { addr, s, size, insn, user, align } => {
                let al = align.then(|| if size == MemSize::U64 { 4 } else { size.bytes() });
                self.pre_access(addr, insn, al, user);
                self.store(s, size);
            }
            Op::LoadExcl { d, addr, size, insn } => {
                self.pre_access(addr, insn, Some(size.bytes()), false);
                self.load(size);
                let nb = size.bytes() as i32;
                self.store_slot(d, RAX);
                dynasm!(self.a ; .arch x64
                    ; mov DWORD [rbx + EXCL_ADDR], ecx
                    ; mov DWORD [rbx + EXCL_VALID], nb);
            }
            Op::StoreExcl { d, addr, s, size, insn } => {
                self.pre_access(addr, insn, Some(size.bytes()), false);
                let nb = size.bytes() as i32;
                let fail = self.a.new_dynamic_label();
                let done = self.a.new_dynamic_label();
                dynasm!(self.a ; .arch x64
                    ; cmp DWORD [rbx + EXCL_VALID], nb
                    ; jne =>fail
                    ; cmp DWORD [rbx + EXCL_ADDR], ecx
                    ; jne =>fail);
                self.store(s, size);
                dynasm!(self.a ; .arch x64 ; xor eax, eax ; jmp =>done ; =>fail ; mov eax, 1 ; =>done);
                self.store_slot(d, RAX);
                dynasm!(self.a ; .arch x64 ; mov DWORD [rbx + EXCL_VALID], 0);
            }
            Op::ClearExcl => dynasm!(self.a ; .arch x64 ; mov DWORD [rbx + EXCL_VALID], 0),
            Op::Call { d, h, a, b, c, insn } => {
                // The helper may change any register: deferred reads of them happen now.
                self.materialize_regs();
                self.store_insn_pc(insn);
                self.ld(RSI, a);
                self.ld(RDX, b);
                self.ld(RCX, c);
                dynasm!(self.a ; .arch x64 ; mov rdi, rbx);
                self.call_abs(h.f as *const () as u64);
                self.st(d);
                // Helpers may change anything, the instruction set state included.
                self.thumb = None;
                if h.may_raise {
                    let cont = self.a.new_dynamic_label();
                    let none = pending_byte(None) as i8;
                    let it = self.b.insns[insn as usize].it as i8;
                    dynasm!(self.a ; .arch x64
                        ; cmp BYTE [rbx + PENDING], none
                        ; je =>cont
                        ; mov BYTE [BYTE rbx + IT as i8], it);
                    self.add_insns(insn as u64);
                    self.ret_code(ExitReason::Exception as u32);
                    dynasm!(self.a ; .arch x64 ; =>cont);
                }
            }
            Op::SkipUnless { c, n } => {
                let target = labels[(i + 1 + n as usize).min(self.b.ops.len())].ok_or("skip label")?;
                // Paths split: every value in its slot on both.
                self.materialize_regs();
                self.ld(RAX, c);
                dynasm!(self.a ; .arch x64 ; test rax, rax ; je =>target);
            }
            Op::SkipUnlessCond { cond, n } => {
                let target = labels[(i + 1 + n as usize).min(self.b.ops.len())].ok_or("skip label")?;
                // Moves only (materializing): the host flags survive them.
                self.materialize_regs();
                match self.hflags.and_then(|f| host_cond(f, cond)) {
                    Some(cc) => self.jcc(cc ^ 1, target),
                    None => {
                        self.cond_eax(cond);
                        dynasm!(self.a ; .arch x64 ; test eax, eax ; jz =>target);
                        self.hflags = None;
                    }
                }
            }
            Op::WritePc { s, kind } => {
                self.ld(RAX, s);
                self.write_pc(kind);
            }
            Op::SetIt { v } => {
                dynasm!(self.a ; .arch x64 ; mov BYTE [BYTE rbx + IT as i8], v as i8);
                self.it_now = Some(v);
            }
            Op::Raise { kind, insn } => {
                let info = self.b.insns[insn as usize];
                self.store_insn_pc(insn);
                dynasm!(self.a ; .arch x64 ; mov BYTE [BYTE rbx + IT as i8], info.it as i8);
                self.add_insns(insn as u64);
                match kind {
                    RaiseKind::Undefined => {
                        let p = pending_byte(Some(Exception::Undefined)) as i8;
                        dynasm!(self.a ; .arch x64
                            ; add QWORD [rbx + UNDEF], 1
                            ; mov BYTE [rbx + PENDING], p
                            ; mov DWORD [rbx + PENDING_RET], r11d);
                        self.ret_code(ExitReason::Exception as u32);
                    }
                    RaiseKind::Svc => {
                        self.add_insns(1);
                        let p = pending_byte(Some(Exception::Svc)) as i8;
                        let it2 = crate::arm::it_advance(info.it) as i8;
                        let sz = info.size as i32;
                        dynasm!(self.a ; .arch x64
                            ; mov BYTE [rbx + PENDING], p
                            ; add r11d, sz
                            ; mov DWORD [rbx + PENDING_RET], r11d
                            ; mov BYTE [BYTE rbx + IT as i8], it2);
                        self.ret_code(ExitReason::Exception as u32);
                    }
                    RaiseKind::Hvc => self.ret_code(ExitReason::Hvc as u32),
                    RaiseKind::Smc => self.ret_code(ExitReason::Smc as u32),
                    RaiseKind::Bkpt => self.ret_code(ExitReason::Bkpt as u32),
                }
            }
            Op::Exit { reason } => self.exit(reason),
            Op::Member { .. } => unreachable!("quick::compile refuses regions"),
            Op::ExitTo { off, kind, reason } => {
                let slot = self.exit_no;
                if reason == ExitReason::Branch {
                    self.exit_no += 1;
                }
                let self_loop = off == 0
                    && reason == ExitReason::Branch
                    && matches!(kind, PcWrite::Branch)
                    && self.b.it == 0
                    && self.it_now == Some(0)
                    && self.thumb == Some(self.b.thumb);
                dynasm!(self.a ; .arch x64 ; lea eax, [r14 + off as i32]);
                // A branch in the block's own state to an offset aligned for it needs no
                // masking when the block's PC (r14) is aligned: its low bits are those of the
                // block's physical address (a page offset is the same in both).
                let align = if self.b.thumb { 2 } else { 4 };
                let aligned = (self.b.pc | off) & (align - 1) == 0;
                if matches!(kind, PcWrite::Branch) && self.thumb == Some(self.b.thumb) && aligned {
                    dynasm!(self.a ; .arch x64 ; mov DWORD [BYTE rbx + PC as i8], eax);
                } else {
                    self.write_pc(kind);
                }
                self.add_insns(self.b.insns.len() as u64);
                if self_loop {
                    // Loops inside the function while the chain budget lasts.
                    let body = self.body;
                    dynasm!(self.a ; .arch x64
                        ; dec QWORD [BYTE rbp + BUDGET as i8]
                        ; jl BYTE >spent
                        ; jmp =>body
                        ; spent:
                        ; jmp QWORD [BYTE rbp + stub_b(S_SPENT)]);
                } else if reason == ExitReason::Branch {
                    // eax holds the new PC (`write_pc`): the key's other parts may be known.
                    let hi = match (self.thumb, self.it_now) {
                        (Some(th), Some(it)) => Some(super::backend::chain_key(0, th as u8, it, 0)),
                        _ => None,
                    };
                    self.chain(Some(slot), hi);
                } else {
                    self.ret_code(reason as u32);
                }
            }
        }
        Ok(())
    }
}

/// The temporary an op's code loads into rax first, before anything else writes rax
/// (so it may come from the previous op's rax); see `Gen::settle_rax`.
fn first_rax(op: &Op) -> Option<u16> {
    match *op {
        Op::SetReg { s, .. }
        | Op::SetFlag { s, .. }
        | Op::SetNZ { s }
        | Op::SetNZCV { s }
        | Op::SetS { s, .. }
        | Op::SetD { s, .. }
        | Op::WritePc { s, .. }
        | Op::Store { s, .. } => Some(s),
        Op::Bin { a, .. } | Op::BinImm { a, .. } | Op::Un { a, .. } | Op::AddFlags { a, .. } | Op::SubFlags { a, .. } => Some(a),
        Op::Select { a, .. } | Op::MulL { a, .. } => Some(a),
        Op::SkipUnless { c, .. } => Some(c),
        _ => None,
    }
}


/// Whether a displacement fits the one-byte form.
fn short(o: i32) -> bool {
    (-128..128).contains(&o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_hold_every_temporary_and_keep_calls_aligned() {
        for ntmp in 0..=crate::ir::MAX_TMPS as u16 {
            let f = frame_bytes(ntmp);
            assert!(f >= ntmp as i32 * 8 && f < ntmp as i32 * 8 + 16, "{ntmp} temporaries: frame {f}");
            // Entry RSP is 8 mod 16 (the return address); the frame must bring it to 0.
            assert_eq!((8 + f) % 16, 0, "{ntmp} temporaries: frame {f}");
        }
        // Every block has the frame of the most temporaries (quick code jumps into quick code with it).
        assert_eq!(FRAME, frame_bytes(crate::ir::MAX_TMPS as u16));
    }

    #[test]
    fn blocks_without_code_or_with_too_many_temporaries_are_refused() {
        let exit = Op::ExitTo { off: 4, kind: PcWrite::Branch, reason: ExitReason::Branch };
        let info = crate::ir::InsnInfo { off: 0, size: 4, it: 0 };
        let ok = Block { pc: 0x1000, thumb: false, it: 0, ops: vec![exit], insns: vec![info], ntmp: 3, len: 4 };
        let q = compile(&ok).expect("compiles");
        assert_eq!(q.code.entry, 0);
        assert!(q.inner > 0 && q.inner < q.code.code.len(), "inner entry {} in {} bytes", q.inner, q.code.code.len());
        assert!(compile(&Block { ops: vec![], ..ok.clone() }).is_err());
        assert!(compile(&Block { ntmp: crate::ir::MAX_TMPS as u16 + 1, ..ok }).is_err());
    }
    #[test]
    fn flag_stores_are_skipped_only_where_nothing_can_see_them() {
        let adds = Op::AddFlags { d: 2, a: 0, b: 1, cin: 3 };
        let subs = Op::SubFlags { d: 2, a: 0, b: 1 };
        let movs = Op::SetNZ { s: 2 };
        let set_r0 = Op::SetReg { r: 0, s: 2 };
        let load = Op::Load { d: 4, addr: 0, size: MemSize::U32, insn: 1, user: false, align: false };
        let exit = Op::Exit { reason: ExitReason::Branch };
        let all = F_N | F_Z | F_C | F_V;
        let none = |_| false;
        // ADDS r0; SUBS r0: the first one's flags are never seen; the last ones leave the block.
        assert_eq!(dead_flag_stores(&[adds, set_r0, subs, set_r0, exit], none), vec![all, 0, 0, 0, 0]);
        // MOVS after ADDS sets only N and Z: C and V of the ADDS stay.
        assert_eq!(dead_flag_stores(&[adds, movs, exit], none)[0], F_N | F_Z);
        // A guest access may fault, and the interpreter then sees the flags.
        assert_eq!(dead_flag_stores(&[adds, load, subs, exit], none)[0], 0);
        // A condition reads them; a join may bring another path's.
        assert_eq!(dead_flag_stores(&[adds, Op::Cond { d: 5, cond: 0 }, subs, exit], none)[0], 0);
        assert_eq!(dead_flag_stores(&[adds, set_r0, subs, exit], |i| i == 2)[0], 0);
    }
}
