//! IR block -> LLVM IR. Semantics follow `hspt_runtime::ir::interp` exactly (the
//! reference); the code shape follows `hspt_runtime::exec::backend`.
//!
//! Temporaries are allocas (promoted to SSA by the pass pipeline, which also
//! builds the phis the forward skips need). So are the guest registers r0–r14
//! and the flags N, Z, C, V the block touches (the shadows, `sh_get`/`sh_set`): loaded from `CpuState`
//! once at the function's entry, they stay in host registers through the block
//! and around its own loop, and what the block changed since the last
//! synchronisation is stored back (`sync`) before each guest access (precise
//! faults), helper call, exception and exit. Guest memory accesses are volatile,
//! after a compiler barrier that reads all memory, so no state store is moved
//! across one or dropped; the shadows, allocas that never escape, need no
//! reload after it.

use std::cell::Cell;
use std::mem::offset_of;

use inkwell::basic_block::BasicBlock;
use inkwell::builder::{Builder, BuilderError};
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::Module;
use inkwell::types::{IntType, PointerType};
use inkwell::values::{FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use hspt_runtime::cpu::{CpuState, Exception, ExitReason};
use hspt_runtime::exec::backend::{pending_byte, ChainCtx, ChainEntry, CHAIN_BITS, EXIT_RETRY};
use hspt_runtime::ir::{BinOp, Block, Flag, Helper, InsnInfo, MemSize, Member, Op, PcWrite, RaiseKind, ShiftKind, Tmp, UnOp};

type R<T> = Result<T, BuilderError>;

/// Name of the block's function in the module.
pub const FN_NAME: &str = "hspt_block";

const MODE_USR: u64 = 0x10;

pub struct Lower<'a, 'ctx> {
    ctx: &'ctx Context,
    module: &'a Module<'ctx>,
    b: Builder<'ctx>,
    func: FunctionValue<'ctx>,
    block: &'a Block,
    i1: IntType<'ctx>,
    i8: IntType<'ctx>,
    i16: IntType<'ctx>,
    i32: IntType<'ctx>,
    i64: IntType<'ctx>,
    ptr: PointerType<'ctx>,
    cpu: PointerValue<'ctx>,
    ctx_ptr: PointerValue<'ctx>,
    /// The block's exit slots (third argument).
    slots_ptr: PointerValue<'ctx>,
    /// Static exits lowered so far (the next one's slot number, `backend::exit_slots`).
    exit_no: u64,
    pc0: IntValue<'ctx>,
    mem_base: IntValue<'ctx>,
    tmps: Vec<Option<PointerValue<'ctx>>>,
    retry_bb: Option<BasicBlock<'ctx>>,
    /// The blocks of a region (`Block::members`; a plain block is a region of one), the start
    /// of each one's code, and the one being built. A branch to a member's first instruction
    /// (its own included: a loop) jumps there instead of leaving the function.
    members: Vec<Member>,
    member_bbs: Vec<BasicBlock<'ctx>>,
    m: usize,
    /// `cpu.insns` and `ChainCtx::budget` as of the last member jump (allocas loaded at entry,
    /// promoted to SSA): a loop round adds and decrements in registers and only stores the
    /// results, so the rounds do not form a chain through memory (a load-modify-store of each
    /// per round). Nothing else writes either field while the code runs (helpers do not).
    insns_var: Option<PointerValue<'ctx>>,
    budget_var: Option<PointerValue<'ctx>>,
    /// Loop rounds leave CpuState to the exit (a region with no guest access or helper call).
    defer_sync: bool,
    /// Thumb state while it is known at compile time (until a helper call).
    thumb_known: Option<bool>,
    /// ITSTATE while it is known at compile time (until a helper call).
    it_known: Option<u8>,
    /// Soft-MMU mode: guest accesses go through the software TLB (softmmu.rs).
    soft: bool,
    /// `CpuState::soft_tlb`, `soft_ctx` and `soft_mask` (soft mode; loaded at entry).
    soft_tlb: IntValue<'ctx>,
    soft_ctx: IntValue<'ctx>,
    soft_mask: IntValue<'ctx>,
    /// The shadows of guest state (indices as `NSH` says), for what the block touches.
    shadow: [Option<PointerValue<'ctx>>; NSH],
    /// Shadows changed since `CpuState` last got them, on the path being built (a bit per index).
    dirty: Cell<u32>,
    /// What `cpu.pc_off` holds on the path being built, if known: the accesses of one instruction
    /// (LDM, STM, PUSH, POP) store it once. (Guest stores never reach CpuState.)
    pc_off_known: Cell<Option<u32>>,
    /// Shadows dirty on some skip to op i (indexed by the op the skip goes to).
    label_dirty: Vec<u32>,
    /// What is known of T and ITSTATE on the skips to op i, merged (None: no skip goes there yet).
    label_known: Vec<Option<Known>>,
}

/// Shadowed guest state: r0–r14 (indices 0–14) and the flags N, Z, C, V (15–18).
const NSH: usize = 19;
/// Bits of `Lower::dirty` past the shadows: `cpu.insns` and `ChainCtx::budget` differ from
/// their variables (`insns_var`, `budget_var`) after a loop round.
const D_INSNS: u32 = 1 << NSH;
const D_BUDGET: u32 = 1 << (NSH + 1);

/// The shadowed flags, from index 15.
const SH_FLAGS: [Flag; 4] = [Flag::N, Flag::Z, Flag::C, Flag::V];

fn sh_flag(f: Flag) -> Option<usize> {
    SH_FLAGS.iter().position(|&g| g == f).map(|k| 15 + k)
}

/// T and ITSTATE as far as they are known at compile time on a path.
type Known = (Option<bool>, Option<u8>);

/// What is known on both of two paths that join.
fn merge_known(a: Known, b: Known) -> Known {
    ((a.0 == b.0).then_some(a.0).flatten(), (a.1 == b.1).then_some(a.1).flatten())
}

/// The shadows `op` reads or writes (a bit per index).
fn shadow_uses(op: &Op) -> u32 {
    const NZCV: u32 = 0xf << 15;
    shadow_writes(op)
        | match *op {
            Op::GetReg { r, .. } if r < 15 => 1 << r,
            Op::GetFlag { f, .. } => sh_flag(f).map_or(0, |i| 1 << i),
            Op::GetNZCV { .. } => NZCV,
            Op::Cond { cond, .. } | Op::SkipUnlessCond { cond, .. } if cond < 0xe => NZCV,
            _ => 0,
        }
}

/// The shadows `op` writes (a bit per index).
fn shadow_writes(op: &Op) -> u32 {
    const NZCV: u32 = 0xf << 15;
    match *op {
        Op::SetReg { r, .. } if r < 15 => 1 << r,
        Op::SetFlag { f, .. } => sh_flag(f).map_or(0, |i| 1 << i),
        Op::SetNZ { .. } => 3 << 15,
        Op::SetNZCV { .. } | Op::AddFlags { .. } | Op::SubFlags { .. } => NZCV,
        _ => 0,
    }
}

fn sh_off(i: usize) -> u64 {
    if i < 15 {
        r_off(i)
    } else {
        hspt_runtime::cpu::flag_offset(SH_FLAGS[i - 15]) as u64
    }
}

fn r_off(r: usize) -> u64 {
    (offset_of!(CpuState, r) + 4 * r) as u64
}

impl<'a, 'ctx> Lower<'a, 'ctx> {
    /// Builds the function for `block` in `module`.
    pub fn build(ctx: &'ctx Context, module: &'a Module<'ctx>, block: &'a Block, soft: bool, count: bool) -> R<FunctionValue<'ctx>> {
        Self::build_named(ctx, module, block, FN_NAME, soft, count)
    }

    /// Builds the function for `block` in `module` under the symbol `name`.
    /// `soft`: reach guest memory through the software TLB (`--mmu soft`). `count`: the
    /// block counts its runs and forwards to newer code (`counting_entry`).
    pub fn build_named(ctx: &'ctx Context, module: &'a Module<'ctx>, block: &'a Block, name: &str, soft: bool, count: bool) -> R<FunctionValue<'ctx>> {
        let i32t = ctx.i32_type();
        let ptr = ctx.ptr_type(AddressSpace::default());
        let fty = i32t.fn_type(&[ptr.into(), ptr.into(), ptr.into()], false);
        let func = module.add_function(name, fty, None);
        // Hidden: references to itself are PC-relative (no GOT), the code stays position independent.
        func.as_global_value().set_visibility(inkwell::GlobalVisibility::Hidden);
        let nounwind = ctx.create_enum_attribute(inkwell::attributes::Attribute::get_named_enum_kind_id("nounwind"), 0);
        func.add_attribute(inkwell::attributes::AttributeLoc::Function, nounwind);
        // Blocks run only under `jit_entry::hspt_jit_enter`, which saves every
        // callee-saved register itself, and chain by tail calls: saving them again in
        // each block would cost pushes and pops at every block boundary.
        func.add_attribute(inkwell::attributes::AttributeLoc::Function, ctx.create_string_attribute("no_callee_saved_registers", ""));
        let b = ctx.create_builder();
        let entry = ctx.append_basic_block(func, "entry");
        b.position_at_end(entry);
        let cpu = func.get_nth_param(0).expect("cpu parameter").into_pointer_value();
        let ctx_ptr = func.get_nth_param(1).expect("chain context parameter").into_pointer_value();
        let slots_ptr = func.get_nth_param(2).expect("exit slots parameter").into_pointer_value();
        let mut l = Lower {
            ctx,
            module,
            b,
            func,
            block,
            i1: ctx.bool_type(),
            i8: ctx.i8_type(),
            i16: ctx.i16_type(),
            i32: i32t,
            i64: ctx.i64_type(),
            ptr,
            cpu,
            ctx_ptr,
            slots_ptr,
            exit_no: 0,
            pc0: i32t.const_zero(),
            mem_base: ctx.i64_type().const_zero(),
            tmps: vec![None; block.ntmp as usize],
            retry_bb: None,
            members: block.members(),
            member_bbs: Vec::new(),
            m: 0,
            insns_var: None,
            budget_var: None,
            defer_sync: false,
            thumb_known: Some(block.thumb),
            it_known: Some(block.it),
            soft,
            soft_tlb: ctx.i64_type().const_zero(),
            soft_ctx: ctx.i64_type().const_zero(),
            soft_mask: ctx.i64_type().const_zero(),
            shadow: [None; NSH],
            dirty: Cell::new(0),
            pc_off_known: Cell::new(None),
            label_dirty: vec![0; block.ops.len() + 1],
            label_known: vec![None; block.ops.len() + 1],
        };
        // Allocas for every temporary written, in the entry block.
        for op in &block.ops {
            for d in op.dests() {
                if l.tmps[d as usize].is_none() {
                    l.tmps[d as usize] = Some(l.b.build_alloca(l.i64, "")?);
                }
            }
        }
        let used = block.ops.iter().fold(0u32, |m, op| m | shadow_uses(op));
        for i in 0..NSH {
            if used & (1 << i) != 0 {
                let ty = if i < 15 { l.i32 } else { l.i8 };
                l.shadow[i] = Some(l.b.build_alloca(ty, "")?);
            }
        }
        if count {
            l.counting_entry()?;
        }
        l.reload()?;
        let iv = l.b.build_alloca(l.i64, "insns")?;
        l.b.build_store(iv, l.load(l.i64, offset_of!(CpuState, insns) as u64)?)?;
        l.insns_var = Some(iv);
        let bv = l.b.build_alloca(l.i64, "budget")?;
        l.b.build_store(bv, l.load_ctx(l.i64, offset_of!(ChainCtx, budget) as u64)?)?;
        l.budget_var = Some(bv);
        let entry_pc0 = l.load(l.i32, r_off(15))?;
        l.mem_base = l.load(l.i64, offset_of!(CpuState, mem_base) as u64)?;
        if soft {
            l.soft_tlb = l.load(l.i64, offset_of!(CpuState, soft_tlb) as u64)?;
            l.soft_ctx = l.load(l.i64, offset_of!(CpuState, soft_ctx) as u64)?;
            l.soft_mask = l.load(l.i64, offset_of!(CpuState, soft_mask) as u64)?;
        }
        // Who is running, for an EXIT_RETRY (backend.rs "chaining"): only a block that can
        // leave with one (a guest access, or a helper, which reads guest memory) says so, with
        // its start PC. In a region with several such members, each says so where it starts.
        let may_retry = |m: &Member| {
            block.ops[m.ops.clone()].iter().any(|op| matches!(op, Op::Load { .. } | Op::Store { .. } | Op::LoadExcl { .. } | Op::StoreExcl { .. } | Op::Call { .. }))
        };
        let retrying: Vec<bool> = l.members.iter().map(may_retry).collect();
        let per_member = retrying.iter().filter(|&&r| r).count() > 1;
        if let Some(k) = retrying.iter().position(|&r| r) {
            let me = l.b.build_ptr_to_int(func.as_global_value().as_pointer_value(), l.i64, "")?;
            l.store_ctx(offset_of!(ChainCtx, cur_code) as u64, me)?;
            if !per_member {
                let pc0 = l.b.build_int_add(entry_pc0, l.c32(l.members[k].delta), "")?;
                l.store_ctx(offset_of!(ChainCtx, cur_pc0) as u64, pc0)?;
            }
        }
        // In a region that makes no guest access and calls no helper, loop rounds do not
        // synchronise CpuState at the jump back (exit_to_member): a member a jump may lead to
        // starts with everything the region writes dirty, and with the round's instruction count
        // and budget to store, at the exit. So such a loop stores nothing per round. (With
        // accesses, the stores would only move to the first access, and with a region's worth
        // of dirty state instead of the path's.)
        l.defer_sync = retrying.iter().all(|&r| !r);
        let written = block.ops.iter().fold(0u32, |m, op| m | shadow_writes(op)) | D_INSNS | D_BUDGET;
        let mut target = vec![false; l.members.len()];
        for m in 0..l.members.len() {
            for op in &block.ops[l.members[m].ops.clone()] {
                if let Op::ExitTo { off, kind: PcWrite::Branch, reason: ExitReason::Branch } = *op {
                    if let Some(j) = l.member_at(m, off) {
                        target[j] = true;
                    }
                }
            }
        }
        l.member_bbs = (0..l.members.len()).map(|k| l.new_bb(&format!("member{k}"))).collect();
        l.b.build_unconditional_branch(l.member_bbs[0])?;
        for (k, &retries) in retrying.iter().enumerate() {
            l.m = k;
            l.b.position_at_end(l.member_bbs[k]);
            // A member's code starts with CpuState current, but for what a loop round left.
            l.dirty.set(if target[k] && l.defer_sync { written } else { 0 });
            l.thumb_known = Some(block.thumb);
            l.it_known = Some(l.members[k].it);
            l.pc0 = l.b.build_int_add(entry_pc0, l.c32(l.members[k].delta), "")?;
            if per_member && retries {
                l.store_ctx(offset_of!(ChainCtx, cur_pc0) as u64, l.pc0)?;
            }
            l.body()?;
        }
        Ok(func)
    }

    /// The entry of code that a later tier replaces (the translation cache's AOT code,
    /// `LlvmBackend::count_runs`), with the protocol of quick code's entry (its exit
    /// slots' header, `backend::ExitSlot`): once the header names newer code, go there;
    /// else count this run down, and at zero list the block in `ChainCtx::hot` for the
    /// dispatcher to send to the JIT. Leaves the builder in the block that goes on.
    fn counting_entry(&mut self) -> R<()> {
        use hspt_runtime::exec::backend::{H_COUNT, H_FWD_CODE, H_FWD_SLOTS, H_ID};
        let at = |l: &Self, off: i32| -> R<PointerValue<'ctx>> {
            // SAFETY: (LLVM IR semantics, not Rust) the runtime gives every block a header before its slots.
            unsafe { l.b.build_gep(l.i8, l.slots_ptr, &[l.i64.const_int(off as i64 as u64, true)], "") }
        };
        let fwd = self.b.build_load(self.i64, at(self, H_FWD_CODE)?, "")?.into_int_value();
        let (go, stay) = (self.new_bb("forward"), self.new_bb("count"));
        let has = self.icmp(IntPredicate::NE, fwd, self.c64(0))?;
        self.b.build_conditional_branch(has, go, stay)?;
        self.b.position_at_end(go);
        let fwd_slots = self.b.build_load(self.i64, at(self, H_FWD_SLOTS)?, "")?.into_int_value();
        self.tail_call(fwd, fwd_slots)?;
        self.b.position_at_end(stay);
        let count_p = at(self, H_COUNT)?;
        let n = self.b.build_load(self.i32, count_p, "")?.into_int_value();
        let n = self.b.build_int_sub(n, self.c32(1), "")?;
        self.b.build_store(count_p, n)?;
        let (hot, list, full, cont) = (self.new_bb("hot"), self.new_bb("list"), self.new_bb("full"), self.new_bb("counted"));
        let zero = self.icmp(IntPredicate::EQ, n, self.c32(0))?;
        self.b.build_conditional_branch(zero, hot, cont)?;
        self.b.position_at_end(hot);
        let hot_n = self.load_ctx(self.i32, offset_of!(ChainCtx, hot_n) as u64)?;
        let room = self.icmp(IntPredicate::ULT, hot_n, self.c32(hspt_runtime::exec::quick::HOT_MAX))?;
        self.b.build_conditional_branch(room, list, full)?;
        self.b.position_at_end(list);
        let id = self.b.build_load(self.i32, at(self, H_ID)?, "")?.into_int_value();
        let idx = self.b.build_int_z_extend(hot_n, self.i64, "")?;
        let byte = self.b.build_int_add(self.b.build_int_mul(idx, self.c64(4), "")?, self.c64(offset_of!(ChainCtx, hot) as u64), "")?;
        // SAFETY: (LLVM IR semantics, not Rust) hot_n < HOT_MAX, the length of `hot`.
        let slot = unsafe { self.b.build_gep(self.i8, self.ctx_ptr, &[byte], "")? };
        self.b.build_store(slot, id)?;
        self.store_ctx(offset_of!(ChainCtx, hot_n) as u64, self.b.build_int_add(hot_n, self.c32(1), "")?)?;
        self.b.build_unconditional_branch(cont)?;
        self.b.position_at_end(full);
        // The list is full until the dispatcher takes it: count down again and ask later.
        self.b.build_store(count_p, self.c32(hspt_runtime::exec::quick::HOT_RETRY as u32))?;
        self.b.build_unconditional_branch(cont)?;
        self.b.position_at_end(cont);
        Ok(())
    }

    /// Instruction `insn` of the member being built.
    fn insn_info(&self, insn: u16) -> InsnInfo {
        self.block.insns[self.members[self.m].insns.start + insn as usize]
    }

    /// The member (entered with ITSTATE 0) that starts at offset `off` from member `from`'s start.
    fn member_at(&self, from: usize, off: u32) -> Option<usize> {
        let delta = self.members[from].delta.wrapping_add(off);
        self.members.iter().position(|m| m.delta == delta && m.it == 0)
    }

    /// The number of instructions of the member being built.
    fn ninsn(&self) -> u64 {
        self.members[self.m].insns.len() as u64
    }

    // ----- small helpers -----

    fn field(&self, off: u64) -> R<PointerValue<'ctx>> {
        // SAFETY: (LLVM IR semantics, not Rust) an in-bounds offset into CpuState.
        unsafe { self.b.build_in_bounds_gep(self.i8, self.cpu, &[self.i64.const_int(off, false)], "") }
    }
    fn ctx_field(&self, off: u64) -> R<PointerValue<'ctx>> {
        // SAFETY: (LLVM IR semantics, not Rust) an in-bounds offset into ChainCtx.
        unsafe { self.b.build_in_bounds_gep(self.i8, self.ctx_ptr, &[self.i64.const_int(off, false)], "") }
    }
    fn store_ctx(&self, off: u64, v: IntValue<'ctx>) -> R<()> {
        let p = self.ctx_field(off)?;
        self.b.build_store(p, v)?;
        Ok(())
    }
    fn load_ctx(&self, ty: IntType<'ctx>, off: u64) -> R<IntValue<'ctx>> {
        let p = self.ctx_field(off)?;
        Ok(self.b.build_load(ty, p, "")?.into_int_value())
    }
    fn load(&self, ty: IntType<'ctx>, off: u64) -> R<IntValue<'ctx>> {
        let p = self.field(off)?;
        Ok(self.b.build_load(ty, p, "")?.into_int_value())
    }
    fn store(&self, off: u64, v: IntValue<'ctx>) -> R<()> {
        let p = self.field(off)?;
        self.b.build_store(p, v)?;
        Ok(())
    }

    // ----- shadowed guest state -----

    fn sh_ty(&self, i: usize) -> IntType<'ctx> {
        if i < 15 {
            self.i32
        } else {
            self.i8
        }
    }
    /// Shadow `i`'s value (from `CpuState` if the block has no shadow for it).
    fn sh_get(&self, i: usize) -> R<IntValue<'ctx>> {
        match self.shadow[i] {
            Some(p) => Ok(self.b.build_load(self.sh_ty(i), p, "")?.into_int_value()),
            None => self.load(self.sh_ty(i), sh_off(i)),
        }
    }
    /// Shadow `i` = `v` (dirty until the next `sync`).
    fn sh_set(&self, i: usize, v: IntValue<'ctx>) -> R<()> {
        match self.shadow[i] {
            Some(p) => {
                self.b.build_store(p, v)?;
                self.dirty.set(self.dirty.get() | 1 << i);
                Ok(())
            }
            None => self.store(sh_off(i), v),
        }
    }
    /// `CpuState` gets every shadow changed since the last synchronisation on this path.
    fn sync(&self) -> R<()> {
        let d = self.dirty.get();
        for i in 0..NSH {
            if d & (1 << i) != 0 {
                if let Some(p) = self.shadow[i] {
                    let v = self.b.build_load(self.sh_ty(i), p, "")?.into_int_value();
                    self.store(sh_off(i), v)?;
                }
            }
        }
        if d & D_INSNS != 0 {
            let v = self.b.build_load(self.i64, self.insns_var.expect("insns var"), "")?.into_int_value();
            self.store(offset_of!(CpuState, insns) as u64, v)?;
        }
        if d & D_BUDGET != 0 {
            self.store_ctx(offset_of!(ChainCtx, budget) as u64, self.budget()?)?;
        }
        self.dirty.set(0);
        Ok(())
    }
    /// Every shadow = `CpuState`'s value (at the entry, and after a helper, which may change any).
    fn reload(&self) -> R<()> {
        for i in 0..NSH {
            if let Some(p) = self.shadow[i] {
                let v = self.load(self.sh_ty(i), sh_off(i))?;
                self.b.build_store(p, v)?;
            }
        }
        self.dirty.set(0);
        Ok(())
    }

    fn c32(&self, v: u32) -> IntValue<'ctx> {
        self.i32.const_int(v as u64, false)
    }
    fn c64(&self, v: u64) -> IntValue<'ctx> {
        self.i64.const_int(v, false)
    }
    fn c8(&self, v: u8) -> IntValue<'ctx> {
        self.i8.const_int(v as u64, false)
    }
    fn t64(&self, t: Tmp) -> R<IntValue<'ctx>> {
        match self.tmps.get(t as usize).copied().flatten() {
            Some(p) => Ok(self.b.build_load(self.i64, p, "")?.into_int_value()),
            // Read but never written (a translator bug): the interpreter would read stale data.
            None => Ok(self.c64(0)),
        }
    }
    fn t32(&self, t: Tmp) -> R<IntValue<'ctx>> {
        let v = self.t64(t)?;
        self.b.build_int_truncate(v, self.i32, "")
    }
    fn set64(&self, d: Tmp, v: IntValue<'ctx>) -> R<()> {
        let p = self.tmps[d as usize].expect("alloca for every destination");
        self.b.build_store(p, v)?;
        Ok(())
    }
    /// Sets a temporary from a 32-bit (or narrower) value, zero-extended.
    fn set32(&self, d: Tmp, v: IntValue<'ctx>) -> R<()> {
        let v = self.b.build_int_z_extend_or_bit_cast(v, self.i64, "")?;
        self.set64(d, v)
    }
    fn zext32(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b.build_int_z_extend_or_bit_cast(v, self.i32, "")
    }
    fn icmp(&self, p: IntPredicate, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b.build_int_compare(p, a, b, "")
    }
    fn select(&self, c: IntValue<'ctx>, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        Ok(self.b.build_select(c, a, b, "")?.into_int_value())
    }
    /// `llvm.<name>.with.overflow` of two 32-bit values: the result and the overflow bit (an i1).
    /// x86 code generation turns the bit into one `seto`/`setc` after the arithmetic itself.
    fn with_overflow(&self, name: &str, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let i = Intrinsic::find(&format!("llvm.{name}.with.overflow")).expect("LLVM intrinsic");
        let f = i.get_declaration(self.module, &[self.i32.into()]).expect("intrinsic declaration");
        let call = self.b.build_call(f, &[a.into(), b.into()], "")?;
        let pair = basic(call.try_as_basic_value()).into_struct_value();
        let r = self.b.build_extract_value(pair, 0, "")?.into_int_value();
        let o = self.b.build_extract_value(pair, 1, "")?.into_int_value();
        Ok((r, o))
    }
    fn intrinsic(&self, name: &str, args: &[IntValue<'ctx>], extra: &[IntValue<'ctx>]) -> R<IntValue<'ctx>> {
        let i = Intrinsic::find(name).expect("LLVM intrinsic");
        let ty = args[0].get_type();
        let f = i.get_declaration(self.module, &[ty.into()]).expect("intrinsic declaration");
        let all: Vec<_> = args.iter().chain(extra.iter()).map(|v| (*v).into()).collect();
        let call = self.b.build_call(f, &all, "")?;
        Ok(basic(call.try_as_basic_value()).into_int_value())
    }
    fn new_bb(&self, name: &str) -> BasicBlock<'ctx> {
        self.ctx.append_basic_block(self.func, name)
    }
    fn terminated(&self) -> bool {
        self.b.get_insert_block().and_then(|bb| bb.get_terminator()).is_some()
    }
    fn insn_pc(&self, insn: u16) -> R<IntValue<'ctx>> {
        let off = self.insn_info(insn).off;
        self.b.build_int_add(self.pc0, self.c32(off), "")
    }
    fn ret(&self, code: u32) -> R<()> {
        self.b.build_return(Some(&self.c32(code)))?;
        Ok(())
    }
    /// `cpu.pc_off` = instruction `insn`'s offset in the member (its PC for an EXIT_RETRY:
    /// `ChainCtx::cur_pc0` + this): an immediate, where the PC itself would take a register
    /// or an address computation.
    fn store_pc_off(&self, insn: u16) -> R<()> {
        let off = self.insn_info(insn).off;
        // (Soft-MMU accesses may call the TLB fill helper between two of them: no assumption there.)
        if !self.soft && self.pc_off_known.get() == Some(off) {
            return Ok(());
        }
        self.pc_off_known.set(Some(off));
        self.store(offset_of!(CpuState, pc_off) as u64, self.c32(off))
    }
    /// Stores `cpu.insns` = the count at the last member jump + `n` (on the way out; not
    /// cumulative: a second call on the same path replaces the first).
    fn add_insns(&self, n: u64) -> R<()> {
        if n == 0 {
            return Ok(());
        }
        let v = self.b.build_load(self.i64, self.insns_var.expect("insns var"), "")?.into_int_value();
        let v = self.b.build_int_add(v, self.c64(n), "")?;
        self.store(offset_of!(CpuState, insns) as u64, v)
    }
    fn budget(&self) -> R<IntValue<'ctx>> {
        Ok(self.b.build_load(self.i64, self.budget_var.expect("budget var"), "")?.into_int_value())
    }
    fn retry_bb(&mut self) -> R<BasicBlock<'ctx>> {
        if let Some(bb) = self.retry_bb {
            return Ok(bb);
        }
        let here = self.b.get_insert_block().expect("insert block");
        let bb = self.new_bb("retry");
        self.b.position_at_end(bb);
        self.ret(EXIT_RETRY)?;
        self.b.position_at_end(here);
        self.retry_bb = Some(bb);
        Ok(bb)
    }
    /// Continues in a fresh block if `c` (i1) holds, else leaves with EXIT_RETRY.
    fn retry_unless(&mut self, ok: IntValue<'ctx>) -> R<()> {
        let retry = self.retry_bb()?;
        let cont = self.new_bb("");
        self.b.build_conditional_branch(ok, cont, retry)?;
        self.b.position_at_end(cont);
        Ok(())
    }

    // ----- flags -----

    fn flag_off(f: Flag) -> u64 {
        hspt_runtime::cpu::flag_offset(f) as u64
    }
    /// Flag as i1 (`!= 0`, as `condition_passed` reads it).
    fn flag_set(&self, f: Flag) -> R<IntValue<'ctx>> {
        let v = self.flag_get8(f)?;
        self.icmp(IntPredicate::NE, v, self.c8(0))
    }
    fn store_flag_i1(&self, f: Flag, v: IntValue<'ctx>) -> R<()> {
        let b = self.b.build_int_z_extend(v, self.i8, "")?;
        self.flag_put8(f, b)
    }
    /// Flag byte `f` (its shadow for N, Z, C, V).
    fn flag_get8(&self, f: Flag) -> R<IntValue<'ctx>> {
        match sh_flag(f) {
            Some(i) => self.sh_get(i),
            None => self.load(self.i8, Self::flag_off(f)),
        }
    }
    fn flag_put8(&self, f: Flag, v: IntValue<'ctx>) -> R<()> {
        match sh_flag(f) {
            Some(i) => self.sh_set(i, v),
            None => self.store(Self::flag_off(f), v),
        }
    }
    /// `condition_passed` as i1.
    fn cond(&self, cond: u8) -> R<IntValue<'ctx>> {
        if cond >= 0xe {
            return Ok(self.i1.const_int(1, false));
        }
        let b = &self.b;
        let r = match cond >> 1 {
            0 => self.flag_set(Flag::Z)?,
            1 => self.flag_set(Flag::C)?,
            2 => self.flag_set(Flag::N)?,
            3 => self.flag_set(Flag::V)?,
            4 => {
                let c = self.flag_set(Flag::C)?;
                let z = self.flag_set(Flag::Z)?;
                let nz = b.build_not(z, "")?;
                b.build_and(c, nz, "")?
            }
            5 => {
                let n = self.flag_set(Flag::N)?;
                let v = self.flag_set(Flag::V)?;
                self.icmp(IntPredicate::EQ, n, v)?
            }
            _ => {
                let n = self.flag_set(Flag::N)?;
                let v = self.flag_set(Flag::V)?;
                let z = self.flag_set(Flag::Z)?;
                let ge = self.icmp(IntPredicate::EQ, n, v)?;
                let nz = b.build_not(z, "")?;
                b.build_and(nz, ge, "")?
            }
        };
        if cond & 1 != 0 {
            b.build_not(r, "")
        } else {
            Ok(r)
        }
    }

    // ----- operations -----

    fn bin(&self, op: BinOp, a64: IntValue<'ctx>, b64: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let bd = &self.b;
        match op {
            BinOp::Add64 => return bd.build_int_add(a64, b64, ""),
            BinOp::Sub64 => return bd.build_int_sub(a64, b64, ""),
            BinOp::Mul64 => return bd.build_int_mul(a64, b64, ""),
            BinOp::Pair => {
                let hi = bd.build_left_shift(a64, self.c64(32), "")?;
                let lo = bd.build_and(b64, self.c64(0xffff_ffff), "")?;
                return bd.build_or(hi, lo, "");
            }
            _ => {}
        }
        let x = bd.build_int_truncate(a64, self.i32, "")?;
        let y = bd.build_int_truncate(b64, self.i32, "")?;
        let zero = self.c32(0);
        let r = match op {
            BinOp::Add => bd.build_int_add(x, y, "")?,
            BinOp::Sub => bd.build_int_sub(x, y, "")?,
            BinOp::And => bd.build_and(x, y, "")?,
            BinOp::Or => bd.build_or(x, y, "")?,
            BinOp::Xor => bd.build_xor(x, y, "")?,
            BinOp::Bic => {
                let ny = bd.build_not(y, "")?;
                bd.build_and(x, ny, "")?
            }
            BinOp::Mul => bd.build_int_mul(x, y, "")?,
            BinOp::Lsl | BinOp::Lsr => {
                let s = bd.build_and(y, self.c32(0xff), "")?;
                let s31 = bd.build_and(s, self.c32(31), "")?;
                let sh = if op == BinOp::Lsl {
                    bd.build_left_shift(x, s31, "")?
                } else {
                    bd.build_right_shift(x, s31, false, "")?
                };
                let big = self.icmp(IntPredicate::UGE, s, self.c32(32))?;
                self.select(big, zero, sh)?
            }
            BinOp::Asr => {
                let s = bd.build_and(y, self.c32(0xff), "")?;
                let big = self.icmp(IntPredicate::UGT, s, self.c32(31))?;
                let s = self.select(big, self.c32(31), s)?;
                bd.build_right_shift(x, s, true, "")?
            }
            BinOp::Ror => {
                let s = bd.build_and(y, self.c32(31), "")?;
                self.intrinsic("llvm.fshr", &[x, x, s], &[])?
            }
            BinOp::UDiv => {
                let z = self.icmp(IntPredicate::EQ, y, zero)?;
                let ys = self.select(z, self.c32(1), y)?;
                let q = bd.build_int_unsigned_div(x, ys, "")?;
                self.select(z, zero, q)?
            }
            BinOp::SDiv => {
                let z = self.icmp(IntPredicate::EQ, y, zero)?;
                let xmin = self.icmp(IntPredicate::EQ, x, self.c32(0x8000_0000))?;
                let ym1 = self.icmp(IntPredicate::EQ, y, self.c32(u32::MAX))?;
                let ovf = bd.build_and(xmin, ym1, "")?;
                let bad = bd.build_or(z, ovf, "")?;
                // INT_MIN / -1 = INT_MIN = INT_MIN / 1; x / 0 = 0.
                let ys = self.select(bad, self.c32(1), y)?;
                let q = bd.build_int_signed_div(x, ys, "")?;
                self.select(z, zero, q)?
            }
            BinOp::Eq => self.zext32(self.icmp(IntPredicate::EQ, x, y)?)?,
            BinOp::Ne => self.zext32(self.icmp(IntPredicate::NE, x, y)?)?,
            BinOp::LtU => self.zext32(self.icmp(IntPredicate::ULT, x, y)?)?,
            BinOp::LtS => self.zext32(self.icmp(IntPredicate::SLT, x, y)?)?,
            BinOp::Add64 | BinOp::Sub64 | BinOp::Mul64 | BinOp::Pair => unreachable!(),
        };
        bd.build_int_z_extend(r, self.i64, "")
    }

    fn un(&self, op: UnOp, a64: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let bd = &self.b;
        let x = bd.build_int_truncate(a64, self.i32, "")?;
        let r = match op {
            UnOp::Not => bd.build_not(x, "")?,
            UnOp::Neg => bd.build_int_neg(x, "")?,
            UnOp::Clz => self.intrinsic("llvm.ctlz", &[x], &[self.i1.const_int(0, false)])?,
            UnOp::Rbit => self.intrinsic("llvm.bitreverse", &[x], &[])?,
            UnOp::Rev => self.intrinsic("llvm.bswap", &[x], &[])?,
            UnOp::Rev16 => {
                let m = self.c32(0x00ff_00ff);
                let lo = bd.build_and(x, m, "")?;
                let lo = bd.build_left_shift(lo, self.c32(8), "")?;
                let hi = bd.build_right_shift(x, self.c32(8), false, "")?;
                let hi = bd.build_and(hi, m, "")?;
                bd.build_or(lo, hi, "")?
            }
            UnOp::Revsh => {
                let h = bd.build_int_truncate(x, self.i16, "")?;
                let s = self.intrinsic("llvm.bswap", &[h], &[])?;
                bd.build_int_s_extend(s, self.i32, "")?
            }
            UnOp::Sxtb => {
                let t = bd.build_int_truncate(x, self.i8, "")?;
                bd.build_int_s_extend(t, self.i32, "")?
            }
            UnOp::Sxth => {
                let t = bd.build_int_truncate(x, self.i16, "")?;
                bd.build_int_s_extend(t, self.i32, "")?
            }
            UnOp::Uxtb => bd.build_and(x, self.c32(0xff), "")?,
            UnOp::Uxth => bd.build_and(x, self.c32(0xffff), "")?,
            UnOp::Lo => x,
            UnOp::Hi => {
                let h = bd.build_right_shift(a64, self.c64(32), false, "")?;
                bd.build_int_truncate(h, self.i32, "")?
            }
            UnOp::Sext32 => return bd.build_int_s_extend(x, self.i64, ""),
        };
        bd.build_int_z_extend(r, self.i64, "")
    }

    /// AddWithCarry: sets NZCV, returns the 32-bit result. In 32 bits: the carry
    /// out is r < x, or r == x with a carry in; the overflow is (x ^ r) & (y ^ r) < 0.
    /// `cin` is 0 or 1 (`Op::AddFlags`); bit 0 is used, as quick code's `bt` does.
    fn add_with_carry(&self, x: IntValue<'ctx>, y: IntValue<'ctx>, cin: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let bd = &self.b;
        let cin = bd.build_and(cin, self.c32(1), "")?;
        // x + y, then + cin: the whole sum carries (overflows) iff one of the two steps does; the
        // unsigned carries cannot both happen, and the signed overflows both happen only when
        // they cancel (x + y below INT_MIN by one, wrapped to INT_MAX, then + 1), hence the xor.
        let (s, c1) = self.with_overflow("uadd", x, y)?;
        let (_, v1) = self.with_overflow("sadd", x, y)?;
        let (r, c2) = self.with_overflow("uadd", s, cin)?;
        let (_, v2) = self.with_overflow("sadd", s, cin)?;
        let c = bd.build_or(c1, c2, "")?;
        let v = bd.build_xor(v1, v2, "")?;
        self.set_nzcv(r, c, v)?;
        Ok(r)
    }

    /// SUBS: x - y with NZCV as AddWithCarry(x, NOT y, 1): C is x >= y (unsigned),
    /// V the signed overflow of the subtraction.
    fn sub_flags(&self, x: IntValue<'ctx>, y: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let (r, v) = self.with_overflow("ssub", x, y)?;
        let c = self.icmp(IntPredicate::UGE, x, y)?;
        self.set_nzcv(r, c, v)?;
        Ok(r)
    }

    /// N and Z from the 32-bit `r`, C and V from the i1s `c` and `v`.
    fn set_nzcv(&self, r: IntValue<'ctx>, c: IntValue<'ctx>, v: IntValue<'ctx>) -> R<()> {
        let n = self.icmp(IntPredicate::SLT, r, self.c32(0))?;
        let z = self.icmp(IntPredicate::EQ, r, self.c32(0))?;
        self.store_flag_i1(Flag::N, n)?;
        self.store_flag_i1(Flag::Z, z)?;
        self.store_flag_i1(Flag::C, c)?;
        self.store_flag_i1(Flag::V, v)
    }

    fn shift_c(&self, kind: ShiftKind, a: IntValue<'ctx>, amt: IntValue<'ctx>, cin: IntValue<'ctx>) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let bd = &self.b;
        let one = self.c32(1);
        let zero = self.c32(0);
        let amt = bd.build_and(amt, self.c32(0xff), "")?;
        let is0 = self.icmp(IntPredicate::EQ, amt, zero)?;
        let (r, c) = match kind {
            ShiftKind::Lsl => {
                let s31 = bd.build_and(amt, self.c32(31), "")?;
                let sh = bd.build_left_shift(a, s31, "")?;
                let lt32 = self.icmp(IntPredicate::ULT, amt, self.c32(32))?;
                let r = self.select(lt32, sh, zero)?;
                let back = bd.build_int_sub(self.c32(32), amt, "")?;
                let back = bd.build_and(back, self.c32(31), "")?;
                let cb = bd.build_right_shift(a, back, false, "")?;
                let cb = bd.build_and(cb, one, "")?;
                let le32 = self.icmp(IntPredicate::ULE, amt, self.c32(32))?;
                let c = self.select(le32, cb, zero)?;
                (r, c)
            }
            ShiftKind::Lsr => {
                let s31 = bd.build_and(amt, self.c32(31), "")?;
                let sh = bd.build_right_shift(a, s31, false, "")?;
                let lt32 = self.icmp(IntPredicate::ULT, amt, self.c32(32))?;
                let r = self.select(lt32, sh, zero)?;
                let m1 = bd.build_int_sub(amt, one, "")?;
                let m1 = bd.build_and(m1, self.c32(31), "")?;
                let cb = bd.build_right_shift(a, m1, false, "")?;
                let cb = bd.build_and(cb, one, "")?;
                let le32 = self.icmp(IntPredicate::ULE, amt, self.c32(32))?;
                let c = self.select(le32, cb, zero)?;
                (r, c)
            }
            ShiftKind::Asr => {
                let big = self.icmp(IntPredicate::UGT, amt, self.c32(31))?;
                let s = self.select(big, self.c32(31), amt)?;
                let r = bd.build_right_shift(a, s, true, "")?;
                let big32 = self.icmp(IntPredicate::UGT, amt, self.c32(32))?;
                let s32 = self.select(big32, self.c32(32), amt)?;
                let m1 = bd.build_int_sub(s32, one, "")?;
                let m1 = bd.build_and(m1, self.c32(31), "")?;
                let cb = bd.build_right_shift(a, m1, false, "")?;
                let c = bd.build_and(cb, one, "")?;
                (r, c)
            }
            ShiftKind::Ror => {
                let s = bd.build_and(amt, self.c32(31), "")?;
                let r = self.intrinsic("llvm.fshr", &[a, a, s], &[])?;
                let c = bd.build_right_shift(r, self.c32(31), false, "")?;
                (r, c)
            }
            ShiftKind::Rrx => {
                let hi = bd.build_left_shift(cin, self.c32(31), "")?;
                let lo = bd.build_right_shift(a, one, false, "")?;
                let r = bd.build_or(hi, lo, "")?;
                let c = bd.build_and(a, one, "")?;
                return Ok((r, c));
            }
        };
        Ok((self.select(is0, a, r)?, self.select(is0, cin, c)?))
    }

    // ----- memory -----

    fn host_addr(&self, addr: IntValue<'ctx>) -> R<PointerValue<'ctx>> {
        let a = self.b.build_int_z_extend(addr, self.i64, "")?;
        let h = self.b.build_int_add(self.mem_base, a, "")?;
        self.b.build_int_to_ptr(h, self.ptr, "")
    }

    fn mem_ty(&self, size: MemSize) -> IntType<'ctx> {
        match size {
            MemSize::U8 | MemSize::S8 => self.i8,
            MemSize::U16 | MemSize::S16 => self.i16,
            MemSize::U32 => self.i32,
            MemSize::U64 => self.i64,
        }
    }

    /// `extend` of the runtime: a loaded value as the temporary holds it.
    fn extend(&self, v: IntValue<'ctx>, size: MemSize) -> R<IntValue<'ctx>> {
        match size {
            MemSize::S8 | MemSize::S16 => {
                let s = self.b.build_int_s_extend(v, self.i32, "")?;
                self.b.build_int_z_extend(s, self.i64, "")
            }
            MemSize::U64 => Ok(v),
            _ => self.b.build_int_z_extend(v, self.i64, ""),
        }
    }

    /// Everything before a guest access: the instruction's PC for a precise
    /// fault, the alignment check and the unprivileged-access check. Returns the
    /// 32-bit guest address.
    fn pre_access(&mut self, addr: Tmp, insn: u16, align: Option<u32>, user: bool) -> R<IntValue<'ctx>> {
        // A fault (or EXIT_RETRY) leaves the block here: CpuState must be current.
        self.sync()?;
        self.store_pc_off(insn)?;
        let a = self.t32(addr)?;
        if let Some(n) = align {
            if n > 1 {
                let low = self.b.build_and(a, self.c32(n - 1), "")?;
                let ok = self.icmp(IntPredicate::EQ, low, self.c32(0))?;
                self.retry_unless(ok)?;
            }
        }
        if user {
            // LDRT/STRT from a privileged mode use another view: the interpreter does those.
            let m = self.load(self.i8, offset_of!(CpuState, mode) as u64)?;
            let usr = self.icmp(IntPredicate::EQ, m, self.c8(MODE_USR as u8))?;
            self.retry_unless(usr)?;
        }
        Ok(a)
    }

    /// A compiler barrier that reads all memory: every state store before it is
    /// done before the guest access that follows (which may fault and leave the
    /// block), and none is dropped as overwritten later. LLVM does not model the
    /// trap, so without this it would drop the PC store before the access.
    fn state_barrier(&self) -> R<()> {
        let fty = self.ctx.void_type().fn_type(&[], false);
        let asm = self.ctx.create_inline_asm(fty, String::new(), String::new(), true, false, None, false);
        let call = self.b.build_indirect_call(fty, asm, &[], "")?;
        // memory(read): Ref (1) for argument, inaccessible and other memory.
        let kind = inkwell::attributes::Attribute::get_named_enum_kind_id("memory");
        call.add_attribute(inkwell::attributes::AttributeLoc::Function, self.ctx.create_enum_attribute(kind, 0b01_01_01));
        Ok(())
    }

    /// Soft-MMU mode: the host address of a guest access through the software
    /// TLB (softmmu.rs), QEMU-style: the entry at (va >> 12) & soft_mask hits
    /// if its read (write) tag is `soft_ctx | va >> 12` and the access stays in
    /// the page; then host = va + addend. On a miss the fill helper walks the
    /// guest tables and fills the entry, or says the interpreter must make the
    /// access (device, fault, page crossing): the block leaves with EXIT_RETRY.
    fn soft_host_addr(&mut self, a: IntValue<'ctx>, size: MemSize, write: bool) -> R<PointerValue<'ctx>> {
        use hspt_runtime::mem::softmmu::{TlbEntry, H_SOFT_FILL};
        let n = size.bytes();
        let a64 = self.b.build_int_z_extend(a, self.i64, "")?;
        let vpage = self.b.build_right_shift(a64, self.c64(12), false, "")?;
        let idx = self.b.build_and(vpage, self.soft_mask, "")?;
        let off = self.b.build_int_mul(idx, self.c64(std::mem::size_of::<TlbEntry>() as u64), "")?;
        let entry = self.b.build_int_add(self.soft_tlb, off, "")?;
        let entry = self.b.build_int_to_ptr(entry, self.ptr, "")?;
        let tag_off = if write { offset_of!(TlbEntry, tag_write) } else { offset_of!(TlbEntry, tag_read) } as u64;
        // SAFETY: (LLVM IR semantics) fields of one entry of the TLB array.
        let tag_p = unsafe { self.b.build_in_bounds_gep(self.i8, entry, &[self.c64(tag_off)], "")? };
        // SAFETY: (LLVM IR semantics) as above.
        let add_p = unsafe { self.b.build_in_bounds_gep(self.i8, entry, &[self.c64(offset_of!(TlbEntry, addend) as u64)], "")? };
        let etag = self.b.build_load(self.i64, tag_p, "")?.into_int_value();
        let want = self.b.build_or(self.soft_ctx, vpage, "")?;
        let mut hit = self.icmp(IntPredicate::EQ, etag, want)?;
        if n > 1 {
            let low = self.b.build_and(a, self.c32(0xfff), "")?;
            let inside = self.icmp(IntPredicate::ULE, low, self.c32(0x1000 - n))?;
            hit = self.b.build_and(hit, inside, "")?;
        }
        let fast = self.new_bb("tlb_hit");
        let slow = self.new_bb("tlb_miss");
        self.b.build_conditional_branch(hit, fast, slow)?;
        self.b.position_at_end(slow);
        let filled = self.call_helper(&H_SOFT_FILL, [a64, self.c64(n as u64), self.c64(write as u64)])?;
        let ok = self.icmp(IntPredicate::NE, filled, self.c64(0))?;
        let retry = self.retry_bb()?;
        self.b.build_conditional_branch(ok, fast, retry)?;
        self.b.position_at_end(fast);
        let addend = self.b.build_load(self.i64, add_p, "")?.into_int_value();
        let h = self.b.build_int_add(a64, addend, "")?;
        self.b.build_int_to_ptr(h, self.ptr, "")
    }

    /// Calls `h` through the helper table (no host address in the code).
    fn call_helper(&self, h: &Helper, args: [IntValue<'ctx>; 3]) -> R<IntValue<'ctx>> {
        let fty = self.i64.fn_type(&[self.ptr.into(), self.i64.into(), self.i64.into(), self.i64.into()], false);
        let idx = hspt_runtime::arm::helpers::index(h).expect("helper in the helper table");
        let table = self.b.build_int_to_ptr(self.load(self.i64, offset_of!(CpuState, helpers) as u64)?, self.ptr, "")?;
        // SAFETY: (LLVM IR semantics, not Rust) `idx` is in bounds of HELPERS.
        let slot = unsafe { self.b.build_in_bounds_gep(self.ptr, table, &[self.c64(idx as u64)], "")? };
        let desc = self.b.build_load(self.ptr, slot, "")?.into_pointer_value();
        // SAFETY: (LLVM IR semantics) the `f` field of a `Helper`.
        let fslot = unsafe { self.b.build_in_bounds_gep(self.i8, desc, &[self.c64(offset_of!(Helper, f) as u64)], "")? };
        let fp = self.b.build_load(self.ptr, fslot, "")?.into_pointer_value();
        let call = self.b.build_indirect_call(fty, fp, &[self.cpu.into(), args[0].into(), args[1].into(), args[2].into()], "")?;
        Ok(basic(call.try_as_basic_value()).into_int_value())
    }

    fn guest_load(&mut self, a: IntValue<'ctx>, size: MemSize) -> R<IntValue<'ctx>> {
        let p = if self.soft {
            self.soft_host_addr(a, size, false)?
        } else {
            self.state_barrier()?;
            self.host_addr(a)?
        };
        let v = self.b.build_load(self.mem_ty(size), p, "")?.into_int_value();
        let inst = v.as_instruction().expect("load instruction");
        let _ = inst.set_volatile(true);
        let _ = inst.set_alignment(1);
        self.extend(v, size)
    }

    fn guest_store(&mut self, a: IntValue<'ctx>, v64: IntValue<'ctx>, size: MemSize) -> R<()> {
        let p = if self.soft {
            self.soft_host_addr(a, size, true)?
        } else {
            self.state_barrier()?;
            self.host_addr(a)?
        };
        let v = if size == MemSize::U64 { v64 } else { self.b.build_int_truncate(v64, self.mem_ty(size), "")? };
        let st = self.b.build_store(p, v)?;
        let _ = st.set_volatile(true);
        let _ = st.set_alignment(1);
        Ok(())
    }

    // ----- PC writes and exits -----

    fn write_pc(&self, v: IntValue<'ctx>, kind: PcWrite) -> R<()> {
        let bd = &self.b;
        let t_off = offset_of!(CpuState, t) as u64;
        let pc = match kind {
            PcWrite::Branch => match self.thumb_known {
                Some(th) => bd.build_and(v, self.c32(if th { !1 } else { !3 }), "")?,
                None => {
                    let t = self.load(self.i8, t_off)?;
                    let th = self.icmp(IntPredicate::NE, t, self.c8(0))?;
                    let m = self.select(th, self.c32(!1), self.c32(!3))?;
                    bd.build_and(v, m, "")?
                }
            },
            PcWrite::Interwork => {
                let bit = bd.build_and(v, self.c32(1), "")?;
                let th = self.icmp(IntPredicate::NE, bit, self.c32(0))?;
                self.store(t_off, bd.build_int_truncate(bit, self.i8, "")?)?;
                let m = self.select(th, self.c32(!1), self.c32(!3))?;
                bd.build_and(v, m, "")?
            }
            PcWrite::SetThumb(th) => {
                self.store(t_off, self.c8(th as u8))?;
                bd.build_and(v, self.c32(if th { !1 } else { !3 }), "")?
            }
        };
        self.store(r_off(15), pc)
    }

    /// What a PC write of `kind` tells about T from here on (the chain key uses it).
    fn note_pc_write(&mut self, kind: PcWrite) {
        match kind {
            PcWrite::Branch => {}
            PcWrite::Interwork => self.thumb_known = None,
            PcWrite::SetThumb(th) => self.thumb_known = Some(th),
        }
    }

    fn raise(&self, kind: RaiseKind, insn: u16) -> R<()> {
        self.sync()?;
        let info = self.insn_info(insn);
        let pc = self.insn_pc(insn)?;
        self.store(r_off(15), pc)?;
        let it_off = offset_of!(CpuState, it) as u64;
        self.store(it_off, self.c8(info.it))?;
        // The instructions before this one retired; an SVC retires too (add_insns sets the
        // count from the loop's variable: one call per path).
        self.add_insns(insn as u64 + (kind == RaiseKind::Svc) as u64)?;
        let pend = offset_of!(CpuState, pending) as u64;
        let pret = offset_of!(CpuState, pending_return) as u64;
        match kind {
            RaiseKind::Undefined => {
                let off = offset_of!(CpuState, undefined_insns) as u64;
                let u = self.load(self.i64, off)?;
                self.store(off, self.b.build_int_add(u, self.c64(1), "")?)?;
                self.store(pend, self.c8(pending_byte(Some(Exception::Undefined))))?;
                self.store(pret, pc)?;
                self.ret(ExitReason::Exception as u32)
            }
            RaiseKind::Svc => {
                self.store(pend, self.c8(pending_byte(Some(Exception::Svc))))?;
                self.store(pret, self.b.build_int_add(pc, self.c32(info.size as u32), "")?)?;
                self.store(it_off, self.c8(hspt_runtime::arm::it_advance(info.it)))?;
                self.ret(ExitReason::Exception as u32)
            }
            RaiseKind::Hvc => self.ret(ExitReason::Hvc as u32),
            RaiseKind::Smc => self.ret(ExitReason::Smc as u32),
            RaiseKind::Bkpt => self.ret(ExitReason::Bkpt as u32),
        }
    }

    fn exit(&self, reason: ExitReason) -> R<()> {
        self.sync()?;
        self.add_insns(self.ninsn())?;
        if reason == ExitReason::Branch {
            self.chain(None)?;
        }
        self.ret(reason as u32)
    }

    /// A branch to the start of member `to` of the region (its own start: a loop; CpuState is
    /// current, the PC written): a jump while the chain budget lasts, as a chained jump to another
    /// block's code would be. So the dispatcher sees interrupts when it runs out, and with no
    /// budget (a trace, a debugger) every block returns to the dispatcher, as single blocks do.
    fn exit_to_member(&self, to: usize, pc: IntValue<'ctx>) -> R<()> {
        let bd = &self.b;
        if !self.defer_sync {
            // CpuState current for a fault in the next round.
            self.sync()?;
            self.write_pc(pc, PcWrite::Branch)?;
        }
        let budget = self.budget()?;
        let ok = self.icmp(IntPredicate::SGT, budget, self.c64(0))?;
        let again = self.new_bb("loop");
        let leave = self.new_bb("loop_exit");
        bd.build_conditional_branch(ok, again, leave)?;
        bd.position_at_end(again);
        // The round's state, count and budget stay in registers (the member's start counts them
        // dirty): CpuState gets them before the next guest access, helper call or exit.
        let n = bd.build_load(self.i64, self.insns_var.expect("insns var"), "")?.into_int_value();
        let n = bd.build_int_add(n, self.c64(self.ninsn()), "")?;
        bd.build_store(self.insns_var.expect("insns var"), n)?;
        let b = bd.build_int_sub(budget, self.c64(1), "")?;
        bd.build_store(self.budget_var.expect("budget var"), b)?;
        if !self.defer_sync {
            // Stored, not counted dirty: the member's start takes CpuState as current.
            self.store(offset_of!(CpuState, insns) as u64, n)?;
            self.store_ctx(offset_of!(ChainCtx, budget) as u64, b)?;
        }
        bd.build_unconditional_branch(self.member_bbs[to])?;
        bd.position_at_end(leave);
        if self.defer_sync {
            self.sync()?;
            self.write_pc(pc, PcWrite::Branch)?;
        }
        self.add_insns(self.ninsn())?;
        self.ret(ExitReason::Branch as u32)
    }

    /// Jumps to the next block if it is compiled (backend.rs "chaining"): for a
    /// static exit (`slot`) through the exit's own slot, inline, and on a miss
    /// through `ChainCtx::lookup` out of line, which fills the slot; for an
    /// indirect branch through the chain table, probed inline. Falls through (to a
    /// return to the dispatcher) when there is nowhere to go.
    fn chain(&self, slot: Option<u64>) -> R<()> {
        let bd = &self.b;
        let size = std::mem::size_of::<ChainEntry>() as u64;
        let pc = self.load(self.i32, r_off(15))?;
        // The entry to try: the exit's slot, or (an indirect branch) the chain table's
        // entry for the PC, probed inline (`jit_entry::chain_lookup` without the call).
        let entry = match slot {
            // SAFETY: (LLVM IR semantics) inside the block's slot array.
            Some(k) => unsafe { bd.build_in_bounds_gep(self.i8, self.slots_ptr, &[self.c64(k * size)], "")? },
            None => {
                let i = bd.build_xor(
                    bd.build_right_shift(pc, self.c32(1), false, "")?,
                    bd.build_right_shift(pc, self.c32(CHAIN_BITS + 1), false, "")?,
                    "",
                )?;
                let i = bd.build_and(i, self.c32((1 << CHAIN_BITS) - 1), "")?;
                let at = bd.build_int_mul(bd.build_int_z_extend(i, self.i64, "")?, self.c64(size), "")?;
                let table = bd.build_int_to_ptr(self.load_ctx(self.i64, offset_of!(ChainCtx, table) as u64)?, self.ptr, "")?;
                // SAFETY: (LLVM IR semantics) inside the table of 1 << CHAIN_BITS entries.
                unsafe { bd.build_in_bounds_gep(self.i8, table, &[at], "")? }
            }
        };
        let budget_off = offset_of!(ChainCtx, budget) as u64;
        // The key of the next (PC, T, ITSTATE) in this generation (`backend::chain_key`).
        let t = match self.thumb_known {
            Some(th) => self.c64((th as u64) << 32),
            None => {
                let t = bd.build_int_z_extend(self.load(self.i8, offset_of!(CpuState, t) as u64)?, self.i64, "")?;
                bd.build_left_shift(bd.build_and(t, self.c64(1), "")?, self.c64(32), "")?
            }
        };
        let it = match self.it_known {
            Some(it) => self.c64((it as u64) << 33),
            None => {
                let it = bd.build_int_z_extend(self.load(self.i8, offset_of!(CpuState, it) as u64)?, self.i64, "")?;
                bd.build_left_shift(it, self.c64(33), "")?
            }
        };
        let gen = self.load_ctx(self.i64, offset_of!(ChainCtx, key_gen) as u64)?;
        let key = bd.build_or(bd.build_int_z_extend(pc, self.i64, "")?, t, "")?;
        let key = bd.build_or(bd.build_or(key, it, "")?, gen, "")?;
        let at = |off: usize| -> R<PointerValue<'ctx>> {
            // SAFETY: (LLVM IR semantics) a field of the entry.
            Ok(unsafe { bd.build_in_bounds_gep(self.i8, entry, &[self.c64(off as u64)], "")? })
        };
        let ek = bd.build_load(self.i64, at(offset_of!(ChainEntry, key))?, "")?.into_int_value();
        let eb = bd.build_load(self.i64, at(offset_of!(ChainEntry, base))?, "")?.into_int_value();
        let budget = self.budget()?;
        let hit = bd.build_and(self.icmp(IntPredicate::EQ, ek, key)?, self.icmp(IntPredicate::EQ, eb, self.mem_base)?, "")?;
        let hit = bd.build_and(hit, self.icmp(IntPredicate::SGT, budget, self.c64(0))?, "")?;
        let fast = self.new_bb("chain_hit");
        let slow = self.new_bb("chain_miss");
        bd.build_conditional_branch(hit, fast, slow)?;
        bd.position_at_end(fast);
        self.store_ctx(budget_off, bd.build_int_sub(budget, self.c64(1), "")?)?;
        let code = bd.build_load(self.i64, at(offset_of!(ChainEntry, code))?, "")?.into_int_value();
        let next = bd.build_load(self.i64, at(offset_of!(ChainEntry, slots))?, "")?.into_int_value();
        self.tail_call(code, next)?;
        bd.position_at_end(slow);
        if slot.is_none() {
            // The table missed: there is nowhere else to look.
            return Ok(());
        }
        // A slot that misses may still hit in the table (the lookup fills the slot): out of line,
        // in the stub all blocks share (`quick::S_LLVM_MISS`), which jumps on or returns `Branch`.
        let stub_off = offset_of!(ChainCtx, stubs) + 8 * hspt_runtime::exec::quick::S_LLVM_MISS;
        let stub = self.load_ctx(self.i64, stub_off as u64)?;
        let slot_addr = bd.build_ptr_to_int(entry, self.i64, "")?;
        self.tail_call(stub, slot_addr)?;
        // The caller's return goes in a block nothing reaches (the tail call ended this one).
        let after = self.new_bb("chain_done");
        bd.position_at_end(after);
        Ok(())
    }

    /// Tail-calls `code(cpu, ctx, slots)` (the budget is already spent).
    fn tail_call(&self, code: IntValue<'ctx>, slots: IntValue<'ctx>) -> R<()> {
        let bd = &self.b;
        let code = bd.build_int_to_ptr(code, self.ptr, "")?;
        let slots = bd.build_int_to_ptr(slots, self.ptr, "")?;
        let fty = self.i32.fn_type(&[self.ptr.into(), self.ptr.into(), self.ptr.into()], false);
        let call = bd.build_indirect_call(fty, code, &[self.cpu.into(), self.ctx_ptr.into(), slots.into()], "")?;
        call.set_tail_call_kind(inkwell::values::LLVMTailCallKind::LLVMTailCallKindMustTail);
        let r = basic(call.try_as_basic_value()).into_int_value();
        bd.build_return(Some(&r))?;
        Ok(())
    }

    // ----- the block -----

    /// A skip to op `to` leaves from here: what is known here holds there only if every path agrees.
    fn note_skip(&mut self, to: usize) {
        let here = (self.thumb_known, self.it_known);
        self.label_known[to] = Some(self.label_known[to].map_or(here, |k| merge_known(k, here)));
    }

    /// At op `i`, where skips join the fall-through path (if it is still open): what all of them know.
    fn join_known(&mut self, i: usize) {
        let fall = (!self.terminated()).then_some((self.thumb_known, self.it_known));
        let k = match (self.label_known[i], fall) {
            (Some(a), Some(b)) => merge_known(a, b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return,
        };
        (self.thumb_known, self.it_known) = k;
    }

    /// The code of the member being built (`self.m`).
    fn body(&mut self) -> R<()> {
        let ops = &self.block.ops;
        let range = self.members[self.m].ops.clone();
        let end = range.end;
        // Basic blocks at the targets of forward skips (indexed by op, in the whole region).
        let mut labels: Vec<Option<BasicBlock<'ctx>>> = vec![None; ops.len() + 1];
        for i in range.clone() {
            if let Op::SkipUnless { n, .. } | Op::SkipUnlessCond { n, .. } = ops[i] {
                let t = (i + 1 + n as usize).min(end);
                if labels[t].is_none() {
                    labels[t] = Some(self.new_bb(&format!("op{t}")));
                }
            }
        }
        self.pc_off_known.set(None);
        for i in range {
            let op = &ops[i];
            if labels[i].is_some() || self.terminated() {
                // Paths join (or a new one starts): what the other paths stored is not known.
                self.pc_off_known.set(None);
            }
            if let Some(bb) = labels[i] {
                // Dirty where the paths join: on any of them.
                let fall = if self.terminated() { 0 } else { self.dirty.get() };
                self.dirty.set(fall | self.label_dirty[i]);
                self.join_known(i);
                if !self.terminated() {
                    self.b.build_unconditional_branch(bb)?;
                }
                self.b.position_at_end(bb);
            } else if self.terminated() {
                self.dirty.set(0);
                // Unreachable ops after an exit: give them a block (removed later).
                let bb = self.new_bb("dead");
                self.b.position_at_end(bb);
            }
            self.op(i, *op, &labels)?;
        }
        if let Some(bb) = labels[end] {
            let fall = if self.terminated() { 0 } else { self.dirty.get() };
            self.dirty.set(fall | self.label_dirty[end]);
            self.join_known(end);
            if !self.terminated() {
                self.b.build_unconditional_branch(bb)?;
            }
            self.b.position_at_end(bb);
        }
        if !self.terminated() {
            // The interpreter's fall-off-the-end behaviour (the translator always exits).
            self.exit(ExitReason::Branch)?;
        }
        Ok(())
    }

    fn op(&mut self, i: usize, op: Op, labels: &[Option<BasicBlock<'ctx>>]) -> R<()> {
        let bd = &self.b;
        match op {
            Op::Const { d, v } => self.set64(d, self.c64(v))?,
            Op::PcRel { d, off } => {
                let v = bd.build_int_add(self.pc0, self.c32(off), "")?;
                self.set32(d, v)?
            }
            Op::GetReg { d, r } => {
                let v = if r < 15 { self.sh_get(r as usize)? } else { self.load(self.i32, r_off(r as usize))? };
                self.set32(d, v)?
            }
            Op::SetReg { r, s } => {
                let v = self.t32(s)?;
                if r < 15 {
                    self.sh_set(r as usize, v)?
                } else {
                    self.store(r_off(r as usize), v)?
                }
            }
            Op::GetFlag { d, f } => {
                let v = self.flag_get8(f)?;
                self.set32(d, v)?
            }
            Op::SetFlag { f, s } => {
                let v = self.t64(s)?;
                let v8 = bd.build_int_truncate(v, self.i8, "")?;
                match f {
                    Flag::Q => {
                        let nz = self.icmp(IntPredicate::NE, v8, self.c8(0))?;
                        let nz = bd.build_int_z_extend(nz, self.i8, "")?;
                        let q = self.load(self.i8, Self::flag_off(Flag::Q))?;
                        self.store(Self::flag_off(Flag::Q), bd.build_or(q, nz, "")?)?
                    }
                    Flag::Ge => self.store(Self::flag_off(f), bd.build_and(v8, self.c8(0xf), "")?)?,
                    _ => self.flag_put8(f, bd.build_and(v8, self.c8(1), "")?)?,
                }
            }
            Op::SetNZ { s } => {
                let v = self.t32(s)?;
                let n = self.icmp(IntPredicate::SLT, v, self.c32(0))?;
                let z = self.icmp(IntPredicate::EQ, v, self.c32(0))?;
                self.store_flag_i1(Flag::N, n)?;
                self.store_flag_i1(Flag::Z, z)?
            }
            Op::GetNZCV { d } => {
                let mut acc = self.c32(0);
                for (f, sh) in [(Flag::N, 31), (Flag::Z, 30), (Flag::C, 29), (Flag::V, 28)] {
                    let v = self.flag_get8(f)?;
                    let v = bd.build_int_z_extend(v, self.i32, "")?;
                    let v = bd.build_left_shift(v, self.c32(sh), "")?;
                    acc = bd.build_or(acc, v, "")?;
                }
                self.set32(d, acc)?
            }
            Op::SetNZCV { s } => {
                let v = self.t32(s)?;
                for (f, sh) in [(Flag::N, 31), (Flag::Z, 30), (Flag::C, 29), (Flag::V, 28)] {
                    let b = bd.build_right_shift(v, self.c32(sh), false, "")?;
                    let b = bd.build_and(b, self.c32(1), "")?;
                    self.flag_put8(f, bd.build_int_truncate(b, self.i8, "")?)?;
                }
            }
            Op::Cond { d, cond } => {
                let c = self.cond(cond)?;
                self.set32(d, c)?
            }
            Op::Bin { d, op, a, b } => {
                let v = self.bin(op, self.t64(a)?, self.t64(b)?)?;
                self.set64(d, v)?
            }
            Op::BinImm { d, op, a, imm } => {
                let v = self.bin(op, self.t64(a)?, self.c64(imm as u64))?;
                self.set64(d, v)?
            }
            Op::Un { d, op, a } => {
                let v = self.un(op, self.t64(a)?)?;
                self.set64(d, v)?
            }
            Op::AddFlags { d, a, b, cin } => {
                let r = self.add_with_carry(self.t32(a)?, self.t32(b)?, self.t32(cin)?)?;
                self.set32(d, r)?
            }
            Op::SubFlags { d, a, b } => {
                let r = self.sub_flags(self.t32(a)?, self.t32(b)?)?;
                self.set32(d, r)?
            }
            Op::ShiftC { d, dc, kind, a, amt, cin } => {
                let (r, c) = self.shift_c(kind, self.t32(a)?, self.t32(amt)?, self.t32(cin)?)?;
                self.set32(d, r)?;
                self.set32(dc, c)?
            }
            Op::Select { d, c, a, b } => {
                let cv = self.t64(c)?;
                let nz = self.icmp(IntPredicate::NE, cv, self.c64(0))?;
                let v = self.select(nz, self.t64(a)?, self.t64(b)?)?;
                self.set64(d, v)?
            }
            Op::MulL { d, a, b, signed } => {
                let (x, y) = (self.t32(a)?, self.t32(b)?);
                let (x, y) = if signed {
                    (bd.build_int_s_extend(x, self.i64, "")?, bd.build_int_s_extend(y, self.i64, "")?)
                } else {
                    (bd.build_int_z_extend(x, self.i64, "")?, bd.build_int_z_extend(y, self.i64, "")?)
                };
                self.set64(d, bd.build_int_mul(x, y, "")?)?
            }
            Op::GetS { d, r } => {
                let off = offset_of!(CpuState, d) as u64 + 4 * r as u64;
                let v = self.load(self.i32, off)?;
                self.set32(d, v)?
            }
            Op::SetS { r, s } => {
                let off = offset_of!(CpuState, d) as u64 + 4 * r as u64;
                let v = self.t32(s)?;
                self.store(off, v)?
            }
            Op::GetD { d, r } => {
                let v = self.load(self.i64, offset_of!(CpuState, d) as u64 + 8 * r as u64)?;
                self.set64(d, v)?
            }
            Op::SetD { r, s } => {
                let v = self.t64(s)?;
                self.store(offset_of!(CpuState, d) as u64 + 8 * r as u64, v)?
            }
            Op::Load { d, addr, size, insn, user, align } => {
                let al = align.then(|| if size == MemSize::U64 { 4 } else { size.bytes() });
                let a = self.pre_access(addr, insn, al, user)?;
                let v = self.guest_load(a, size)?;
                self.set64(d, v)?
            }
            Op::Store { addr, s, size, insn, user, align } => {
                let al = align.then(|| if size == MemSize::U64 { 4 } else { size.bytes() });
                let a = self.pre_access(addr, insn, al, user)?;
                let v = self.t64(s)?;
                self.guest_store(a, v, size)?
            }
            Op::LoadExcl { d, addr, size, insn } => {
                let a = self.pre_access(addr, insn, Some(size.bytes()), false)?;
                let v = self.guest_load(a, size)?;
                self.set64(d, v)?;
                self.store(offset_of!(CpuState, excl_addr) as u64, a)?;
                self.store(offset_of!(CpuState, excl_valid) as u64, self.c32(size.bytes()))?
            }
            Op::StoreExcl { d, addr, s, size, insn } => {
                let a = self.pre_access(addr, insn, Some(size.bytes()), false)?;
                let valid_off = offset_of!(CpuState, excl_valid) as u64;
                let valid = self.load(self.i32, valid_off)?;
                let ea = self.load(self.i32, offset_of!(CpuState, excl_addr) as u64)?;
                let v_ok = self.icmp(IntPredicate::EQ, valid, self.c32(size.bytes()))?;
                let a_ok = self.icmp(IntPredicate::EQ, ea, a)?;
                let open = self.b.build_and(v_ok, a_ok, "")?;
                let yes = self.new_bb("strex");
                let no = self.new_bb("strex_fail");
                let join = self.new_bb("strex_done");
                self.b.build_conditional_branch(open, yes, no)?;
                self.b.position_at_end(yes);
                let v = self.t64(s)?;
                self.guest_store(a, v, size)?;
                self.set64(d, self.c64(0))?;
                self.b.build_unconditional_branch(join)?;
                self.b.position_at_end(no);
                self.set64(d, self.c64(1))?;
                self.b.build_unconditional_branch(join)?;
                self.b.position_at_end(join);
                self.store(valid_off, self.c32(0))?
            }
            Op::ClearExcl => self.store(offset_of!(CpuState, excl_valid) as u64, self.c32(0))?,
            Op::Call { d, h, a, b, c, insn } => {
                // The helper reads and may change guest state in CpuState.
                self.sync()?;
                let pc = self.insn_pc(insn)?;
                self.store(r_off(15), pc)?;
                self.store_pc_off(insn)?;
                let args = [self.t64(a)?, self.t64(b)?, self.t64(c)?];
                // Through the helper table (no host address in the code; checked by check_helpers).
                let r = self.call_helper(h, args)?;
                self.pc_off_known.set(None);
                self.set64(d, r)?;
                self.reload()?;
                // Helpers may change anything, the instruction set state included.
                self.thumb_known = None;
                self.it_known = None;
                if h.may_raise {
                    let p = self.load(self.i8, offset_of!(CpuState, pending) as u64)?;
                    let none = self.icmp(IntPredicate::EQ, p, self.c8(pending_byte(None)))?;
                    let raise = self.new_bb("raised");
                    let cont = self.new_bb("");
                    self.b.build_conditional_branch(none, cont, raise)?;
                    self.b.position_at_end(raise);
                    let info = self.insn_info(insn);
                    self.store(offset_of!(CpuState, it) as u64, self.c8(info.it))?;
                    self.add_insns(insn as u64)?;
                    self.ret(ExitReason::Exception as u32)?;
                    self.b.position_at_end(cont);
                }
            }
            Op::SkipUnless { c, n } => {
                let to = (i + 1 + n as usize).min(self.members[self.m].ops.end);
                self.label_dirty[to] |= self.dirty.get();
                self.note_skip(to);
                let target = labels[to].expect("skip label");
                let cv = self.t64(c)?;
                let go = self.icmp(IntPredicate::NE, cv, self.c64(0))?;
                let cont = self.new_bb("");
                self.b.build_conditional_branch(go, cont, target)?;
                self.b.position_at_end(cont);
            }
            Op::SkipUnlessCond { cond, n } => {
                let to = (i + 1 + n as usize).min(self.members[self.m].ops.end);
                self.label_dirty[to] |= self.dirty.get();
                self.note_skip(to);
                let target = labels[to].expect("skip label");
                let go = self.cond(cond)?;
                let cont = self.new_bb("");
                self.b.build_conditional_branch(go, cont, target)?;
                self.b.position_at_end(cont);
            }
            Op::WritePc { s, kind } => {
                let v = self.t32(s)?;
                self.write_pc(v, kind)?;
                self.note_pc_write(kind);
            }
            Op::SetIt { v } => {
                self.store(offset_of!(CpuState, it) as u64, self.c8(v))?;
                self.it_known = Some(v);
            }
            Op::Raise { kind, insn } => self.raise(kind, insn)?,
            Op::Exit { reason } => self.exit(reason)?,
            Op::Member { .. } => unreachable!("members' ops exclude their markers (Block::members)"),
            Op::ExitTo { off, kind, reason } => {
                // Leaving, or looping to the entry's state (all in CpuState). Each exit keeps its own
                // chaining sequence: one shared by the block's exits compiled a fifth faster but cost
                // gzip 12 % in alternating runs, also with the stores in each exit, and also with a
                // switch back to one indirect jump per exit (docs/bench/session9-2026-11-26.md).
                let slot = self.exit_no;
                if reason == ExitReason::Branch {
                    self.exit_no += 1;
                }
                let v = bd.build_int_add(self.pc0, self.c32(off), "")?;
                // A branch to a member's start (its own: a loop) in the state it is entered in.
                let member = (reason == ExitReason::Branch
                    && matches!(kind, PcWrite::Branch)
                    && self.it_known == Some(0)
                    && self.thumb_known == Some(self.block.thumb))
                .then(|| self.member_at(self.m, off))
                .flatten();
                if let Some(to) = member {
                    // Synchronises and writes the PC only on the way out.
                    return self.exit_to_member(to, v);
                }
                self.sync()?;
                self.write_pc(v, kind)?;
                self.note_pc_write(kind);
                if reason == ExitReason::Branch {
                    self.add_insns(self.ninsn())?;
                    self.chain(Some(slot))?;
                    self.ret(reason as u32)?
                } else {
                    self.exit(reason)?
                }
            }
        }
        Ok(())
    }
}

/// Checks that every helper `block` calls is in the helper table (compiled code
/// can reach helpers only through it).
pub fn check_helpers(block: &Block) -> Result<(), String> {
    for op in &block.ops {
        if let Op::Call { h, .. } = op {
            if hspt_runtime::arm::helpers::index(h).is_none() {
                return Err(format!("helper {} is not in the helper table", h.name));
            }
        }
    }
    Ok(())
}

fn basic(v: inkwell::values::ValueKind<'_>) -> inkwell::values::BasicValueEnum<'_> {
    match v {
        inkwell::values::ValueKind::Basic(b) => b,
        inkwell::values::ValueKind::Instruction(_) => panic!("a call with a result has a basic value"),
    }
}
