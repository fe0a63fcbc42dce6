//! hspt's LLVM backend: implements the runtime's `Backend` (IR block -> LLVM IR
//! (`lower`) -> O2 -> x86-64 object -> position-independent bytes (`link`)).
//! Also a smoke test proving that LLVM 19 is linked and can run code on this host.

mod link;
mod lower;

use std::cell::RefCell;
use std::sync::Once;

use inkwell::context::Context;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine};
use inkwell::OptimizationLevel;

use hspt_runtime::exec::backend::{Backend, CompiledCode};
use hspt_runtime::ir::Block;

/// The LLVM backend (stateless: each compile uses its own LLVM context, so it
/// can run on any thread).
#[derive(Clone, Debug)]
pub struct LlvmBackend {
    /// New pass manager pipeline (`DEFAULT_PIPELINE`; HSPT_LLVM_PIPELINE overrides it, e.g. "default<O2>").
    pub pipeline: &'static str,
    /// Print each block's LLVM IR after optimisation (HSPT_DUMP_LLVM=1).
    pub dump: bool,
    /// Code for the software MMU (`--mmu soft`): guest accesses through the soft
    /// TLB instead of at `mem_base + addr` (lower.rs `soft_host_addr`).
    pub soft_mmu: bool,
    /// Code that counts its runs and forwards to newer code (`hspt aot`'s: the JIT
    /// compiles the hot blocks of a translation cache again, see lower.rs `counting_entry`).
    pub count_runs: bool,
}

/// The pass pipeline: what pays on blocks of straight-line guest code (promote the
/// temporaries, fold, clean up the skips, drop dead state stores) at about half
/// the compile time of `default<O2>` and the same code speed on the CPU benchmark.
pub const DEFAULT_PIPELINE: &str = "function(sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg,dse)";

impl Default for LlvmBackend {
    fn default() -> Self {
        let pipeline = match std::env::var("HSPT_LLVM_PIPELINE") {
            Ok(p) if !p.is_empty() => Box::leak(p.into_boxed_str()),
            _ => DEFAULT_PIPELINE,
        };
        LlvmBackend { pipeline, dump: std::env::var_os("HSPT_DUMP_LLVM").is_some(), soft_mmu: false, count_runs: false }
    }
}

/// The CPU LLVM tunes for (HSPT_LLVM_CPU overrides it). The instruction set is the host's
/// (its full feature list goes with it), but the scheduling model is the generic x86-64-v3
/// one rather than the host's own: with the host's (znver4 on the machine we measured),
/// `hspt aot` of a Linux boot's 61,933 blocks took 180-184 s of CPU, with x86-64-v3 145-159 s,
/// and the bare-metal guests ran as fast (0.759 s against 0.790 s, medians of 5 alternating).
fn tuning_cpu() -> String {
    std::env::var("HSPT_LLVM_CPU").ok().filter(|c| !c.is_empty()).unwrap_or_else(|| "x86-64-v3".to_string())
}

/// LLVM's own options for the code generator, set once per process. Two of its passes
/// cost more compile time than they gain here: loop strength reduction and the machine
/// instruction scheduler (x86 cores reorder by themselves). Without them a Linux
/// workload's blocks (428 functions of xz's run, through `llc`) compiled in 3.47 s of
/// CPU instead of 4.07 s, to 531 KB of code instead of 533 KB. HSPT_LLVM_ARGS adds more
/// (for diagnosis, e.g. "-time-passes"; a later option overrides an earlier one). LLVM's C API
/// parses them without reporting errors: a misspelt option is ignored, silently (check with
/// HSPT_LLVM_ARGS="-debug-pass=Structure", which lists the passes that run).
const CODEGEN_ARGS: &str = "-disable-lsr -enable-misched=false";

fn codegen_args() -> String {
    match std::env::var("HSPT_LLVM_ARGS") {
        Ok(extra) if !extra.trim().is_empty() => format!("{CODEGEN_ARGS} {}", extra.trim()),
        _ => CODEGEN_ARGS.to_string(),
    }
}

fn init_target() -> Result<(), String> {
    static INIT: Once = Once::new();
    static mut ERR: Option<String> = None;
    INIT.call_once(|| {
        let args = codegen_args();
        let owned: Vec<std::ffi::CString> = std::iter::once("hspt").chain(args.split_whitespace()).filter_map(|a| std::ffi::CString::new(a).ok()).collect();
        let ptrs: Vec<*const std::ffi::c_char> = owned.iter().map(|a| a.as_ptr()).collect();
        // SAFETY: `ptrs` points at NUL-terminated strings that outlive the call; called once, before any compile.
        unsafe { llvm_sys::support::LLVMParseCommandLineOptions(ptrs.len() as i32, ptrs.as_ptr(), std::ptr::null()) };
        if let Err(e) = Target::initialize_native(&InitializationConfig::default()) {
            // SAFETY: written once inside call_once, read only after it.
            unsafe { ERR = Some(e) };
        }
    });
    // SAFETY: call_once has completed; nobody writes ERR any more.
    match unsafe { (*std::ptr::addr_of!(ERR)).clone() } {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

thread_local! {
    static MACHINE: RefCell<Option<TargetMachine>> = const { RefCell::new(None) };
}

fn with_machine<T>(f: impl FnOnce(&TargetMachine) -> Result<T, String>) -> Result<T, String> {
    init_target()?;
    MACHINE.with(|m| {
        let mut m = m.borrow_mut();
        if m.is_none() {
            let triple = TargetMachine::get_default_triple();
            let target = Target::from_triple(&triple).map_err(|e| e.to_string())?;
            let features = TargetMachine::get_host_cpu_features();
            let feat_o = std::env::var("HSPT_LLVM_FEATURES").ok();
            let tm = target
                .create_target_machine(
                    &triple,
                    &tuning_cpu(),
                    feat_o.as_deref().unwrap_or(features.to_str().unwrap_or("")),
                    match std::env::var("HSPT_LLVM_CODEGEN").as_deref() {
                        Ok("0") => OptimizationLevel::None,
                        Ok("1") => OptimizationLevel::Less,
                        Ok("3") => OptimizationLevel::Aggressive,
                        _ => OptimizationLevel::Default,
                    },
                    RelocMode::PIC,
                    CodeModel::Small,
                )
                .ok_or("cannot create the x86-64 target machine")?;
            if std::env::var("HSPT_LLVM_FASTISEL").as_deref() == Ok("1") {
                // SAFETY: `tm` is a valid target machine we own; the call only sets an option on it.
                unsafe { llvm_sys::target_machine::LLVMSetTargetMachineFastISel(tm.as_mut_ptr(), 1) };
            }
            *m = Some(tm);
        }
        f(m.as_ref().expect("machine just created"))
    })
}

impl LlvmBackend {
    /// The default backend, for the software MMU (`soft`) or HSPT.
    pub fn for_mmu(soft: bool) -> Self {
        LlvmBackend { soft_mmu: soft, ..Self::default() }
    }

    /// The optimised LLVM IR of `block`, as text (for tests and HSPT_DUMP_LLVM).
    pub fn llvm_ir(&self, block: &Block) -> Result<String, String> {
        with_machine(|tm| {
            let ctx = Context::create();
            let module = ctx.create_module("block");
            lower::Lower::build(&ctx, &module, block, self.soft_mmu, self.count_runs).map_err(|e| e.to_string())?;
            module.verify().map_err(|e| e.to_string())?;
            module.run_passes(self.pipeline, tm, PassBuilderOptions::create()).map_err(|e| e.to_string())?;
            Ok(module.print_to_string().to_string())
        })
    }
}

impl Backend for LlvmBackend {
    fn name(&self) -> &'static str {
        "llvm"
    }

    fn fingerprint(&self) -> String {
        // What the code depends on besides the IR: target, pass pipeline, host CPU and
        // features, and the MMU mode the code is for (never mixed in one cache).
        format!(
            "llvm;{};{};{};{};{}{}",
            TargetMachine::get_default_triple().as_str().to_string_lossy(),
            self.pipeline,
            codegen_args(),
            tuning_cpu(),
            TargetMachine::get_host_cpu_features().to_string_lossy(),
            if self.soft_mmu { ";mmu=soft" } else { "" },
        )
    }

    fn soft_mmu(&self) -> bool {
        self.soft_mmu
    }

    fn compile(&self, block: &Block) -> Result<CompiledCode, String> {
        with_machine(|tm| {
            let t0 = std::time::Instant::now();
            let ctx = Context::create();
            let module = ctx.create_module("block");
            module.set_triple(&tm.get_triple());
            module.set_data_layout(&tm.get_target_data().get_data_layout());
            lower::check_helpers(block)?;
            lower::Lower::build(&ctx, &module, block, self.soft_mmu, self.count_runs).map_err(|e| format!("lowering: {e}"))?;
            let t1 = std::time::Instant::now();
            module.verify().map_err(|e| format!("invalid LLVM IR: {e}"))?;
            let t2 = std::time::Instant::now();
            module.run_passes(self.pipeline, tm, PassBuilderOptions::create()).map_err(|e| e.to_string())?;
            let t3 = std::time::Instant::now();
            if self.dump {
                eprintln!("; block 0x{:08x}\n{}", block.pc, module.print_to_string().to_string());
            }
            if std::env::var_os("HSPT_DUMP_ASM").is_some() {
                if let Ok(asm) = tm.write_to_memory_buffer(&module, FileType::Assembly) {
                    eprintln!("; block 0x{:08x}\n{}", block.pc, String::from_utf8_lossy(asm.as_slice()));
                }
            }
            let buf = tm.write_to_memory_buffer(&module, FileType::Object).map_err(|e| e.to_string())?;
            let t4 = std::time::Instant::now();
            let r = link::link(buf.as_slice(), lower::FN_NAME);
            let t5 = std::time::Instant::now();
            if std::env::var_os("HSPT_LLVM_TIMING").is_some() {
                eprintln!("TIMING lower {:?} verify {:?} passes {:?} codegen {:?} link {:?} insns {}", t1-t0, t2-t1, t3-t2, t4-t3, t5-t4, block.insns.len());
            }
            r
        })
    }

    /// All of `blocks` in one LLVM module (one pass-manager and code generator
    /// run): the fixed cost of a compilation, which dominates for the small
    /// functions blocks are, is paid once. Each function gets its own section,
    /// so each result is a separate position-independent unit.
    fn compile_batch(&self, blocks: &[Block]) -> Vec<Result<CompiledCode, String>> {
        if blocks.len() <= 1 {
            return blocks.iter().map(|b| self.compile(b)).collect();
        }
        let batch = with_machine(|tm| {
            let t0 = std::time::Instant::now();
            let ctx = Context::create();
            let module = ctx.create_module("blocks");
            module.set_triple(&tm.get_triple());
            module.set_data_layout(&tm.get_target_data().get_data_layout());
            let mut names = Vec::with_capacity(blocks.len());
            for (i, block) in blocks.iter().enumerate() {
                lower::check_helpers(block)?;
                let name = format!("{}_{i}", lower::FN_NAME);
                let f = lower::Lower::build_named(&ctx, &module, block, &name, self.soft_mmu, self.count_runs).map_err(|e| format!("lowering: {e}"))?;
                f.set_section(Some(&format!(".text.{name}")));
                names.push(name);
            }
            let t1 = std::time::Instant::now();
            module.verify().map_err(|e| format!("invalid LLVM IR: {e}"))?;
            let t2 = std::time::Instant::now();
            module.run_passes(self.pipeline, tm, PassBuilderOptions::create()).map_err(|e| e.to_string())?;
            let t3 = std::time::Instant::now();
            if let Some(dir) = std::env::var_os("HSPT_DUMP_MODULES") {
                // Each batch's optimised module, for `llc` (diagnosis: e.g. `llc -O2 -time-passes`).
                let _ = module.print_to_file(std::path::Path::new(&dir).join(format!("{:08x}-{}.ll", blocks[0].pc, blocks.len())));
            }
            let buf = tm.write_to_memory_buffer(&module, FileType::Object).map_err(|e| e.to_string())?;
            let t4 = std::time::Instant::now();
            let r = link::link_each(buf.as_slice(), &names);
            if std::env::var_os("HSPT_LLVM_TIMING").is_some() {
                eprintln!("BTIMING n {} lower {:?} verify {:?} passes {:?} codegen {:?} insns {}", blocks.len(), t1-t0, t2-t1, t3-t2, t4-t3, blocks.iter().map(|b| b.insns.len()).sum::<usize>());
            }
            Ok(r)
        });
        match batch {
            Ok(results) => results,
            // One block spoiled the module: compile them one by one, so only it fails.
            Err(_) => blocks.iter().map(|b| self.compile(b)).collect(),
        }
    }
}

/// Compiles `fn(u32, u32) -> u32 { a + b }` through LLVM's JIT and calls it.
/// Used by `hspt --version`-style diagnostics and the smoke test.
pub fn jit_smoke_add(a: u32, b: u32) -> Result<u32, String> {
    inkwell::targets::Target::initialize_native(&Default::default())?;
    let ctx = Context::create();
    let module = ctx.create_module("smoke");
    let i32t = ctx.i32_type();
    let fnty = i32t.fn_type(&[i32t.into(), i32t.into()], false);
    let f = module.add_function("add", fnty, None);
    let bb = ctx.append_basic_block(f, "entry");
    let bld = ctx.create_builder();
    bld.position_at_end(bb);
    let x = f.get_nth_param(0).ok_or("param")?.into_int_value();
    let y = f.get_nth_param(1).ok_or("param")?.into_int_value();
    let s = bld.build_int_add(x, y, "s").map_err(|e| e.to_string())?;
    bld.build_return(Some(&s)).map_err(|e| e.to_string())?;
    let ee = module
        .create_jit_execution_engine(OptimizationLevel::Default)
        .map_err(|e| e.to_string())?;
    // SAFETY: the function was built above with exactly this signature.
    let func = unsafe { ee.get_function::<unsafe extern "C" fn(u32, u32) -> u32>("add") }
        .map_err(|e| e.to_string())?;
    // SAFETY: calling JIT code with the signature it was compiled with.
    Ok(unsafe { func.call(a, b) })
}

#[cfg(test)]
mod tests {
    use hspt_runtime::cpu::ExitReason;
    use hspt_runtime::ir::{Block, InsnInfo, Op, PcWrite};

    /// ARM code ending `blxeq <thumb target>` (an exit that switches to Thumb, skipped unless EQ)
    /// then a branch in ARM state. Each static exit's chain key has the T and ITSTATE known there
    /// (lower.rs `chain`): the fall-through path never ran the BLX, so its key must say T=0.
    fn blx_then_branch() -> Block {
        let insn = |off| InsnInfo { off, size: 4, it: 0 };
        Block {
            pc: 0x4000_0000,
            thumb: false,
            it: 0,
            ops: vec![
                Op::SkipUnlessCond { cond: 0, n: 1 },
                Op::ExitTo { off: 0x101, kind: PcWrite::SetThumb(true), reason: ExitReason::Branch },
                Op::ExitTo { off: 0x200, kind: PcWrite::Branch, reason: ExitReason::Branch },
            ],
            insns: vec![insn(0), insn(4)],
            ntmp: 0,
            len: 8,
        }
    }

    #[test]
    fn what_is_known_of_t_does_not_leak_past_a_skipped_exit() {
        let ir = super::LlvmBackend::default().llvm_ir(&blx_then_branch()).unwrap();
        // Each exit tail-calls twice (the slot's hit, the shared miss stub).
        assert_eq!(ir.matches("musttail call").count(), 4, "{ir}");
        // T=1 (bit 32 of the key) only in the Thumb exit's key.
        assert_eq!(ir.matches("4294967296").count(), 1, "{ir}");
    }

    /// The block of ARM instructions `words`, as the runtime translates it.
    fn translated(words: &[u32]) -> Block {
        use hspt_runtime::board::RAM_BASE;
        let pc = RAM_BASE + 0x1000;
        let mut h = hspt_runtime::exec::jit::Harness::new(1 << 20, Box::new(std::io::sink()), None).unwrap();
        assert!(h.board.write_phys(pc, &words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()));
        let mut cpu = hspt_runtime::cpu::CpuState::new();
        let b = hspt_runtime::arm::translate_block(&mut h.board, &mut cpu, pc, false, 0).unwrap();
        assert_eq!(b.insns.len(), words.len(), "one block: {b:?}");
        b
    }

    /// `loop: subs r1, r1, #1; bne loop`: a loop that makes no guest access.
    fn countdown_loop() -> Block {
        translated(&[0xe251_1001, 0x1aff_fffd])
    }

    #[test]
    fn the_accesses_of_one_instruction_store_its_pc_offset_once() {
        // push {r4-r7}; ldr r0, [r1]; bx lr: five accesses of two instructions.
        let ir = super::LlvmBackend::default().llvm_ir(&translated(&[0xe92d_00f0, 0xe591_0000, 0xe12f_ff1e])).unwrap();
        let off = std::mem::offset_of!(hspt_runtime::cpu::CpuState, pc_off);
        let field = ir
            .lines()
            .find_map(|l| l.trim().strip_suffix(&format!("= getelementptr inbounds i8, ptr %0, i64 {off}")).map(|v| v.trim().to_string()))
            .expect("the pc_off field is addressed");
        let stores = ir.lines().filter(|l| l.trim().starts_with("store i32") && l.contains(&format!("ptr {field},"))).count();
        assert_eq!(stores, 2, "{ir}");
        assert_eq!(ir.matches("store volatile").count(), 4, "{ir}");
        assert_eq!(ir.matches("load volatile").count(), 1, "{ir}");
    }

    /// The basic blocks of the function in `ir` that lie on a cycle, with their text.
    fn blocks_on_cycles(ir: &str) -> Vec<String> {
        let body = &ir[ir.find("define ").expect("a function")..];
        let mut blocks: Vec<(String, String)> = vec![("entry".into(), String::new())];
        for line in body.lines().skip(1) {
            let t = line.trim_end();
            if !t.starts_with(' ') && t.contains(':') && !t.starts_with(';') && !t.starts_with('}') {
                let name = t.split(':').next().unwrap_or("").to_string();
                blocks.push((name, String::new()));
            } else if let Some(b) = blocks.last_mut() {
                b.1.push_str(t);
                b.1.push('\n');
            }
        }
        let succ = |text: &str| -> Vec<String> {
            text.split("label %").skip(1).map(|r| r.split(|c: char| c == ',' || c == ' ' || c == ']' || c == '\n').next().unwrap_or("").to_string()).collect()
        };
        let index = |n: &str| blocks.iter().position(|b| b.0 == n);
        let reaches = |from: usize, to: usize| {
            let mut seen = vec![false; blocks.len()];
            let mut work: Vec<usize> = succ(&blocks[from].1).iter().filter_map(|n| index(n)).collect();
            while let Some(b) = work.pop() {
                if b == to {
                    return true;
                }
                if !std::mem::replace(&mut seen[b], true) {
                    work.extend(succ(&blocks[b].1).iter().filter_map(|n| index(n)));
                }
            }
            false
        };
        (0..blocks.len()).filter(|&b| reaches(b, b)).map(|b| blocks[b].1.clone()).collect()
    }

    #[test]
    fn a_loop_without_guest_accesses_stores_no_state_per_round() {
        let ir = super::LlvmBackend::default().llvm_ir(&countdown_loop()).unwrap();
        let cycle = blocks_on_cycles(&ir);
        assert!(!cycle.is_empty(), "the loop is a cycle in the function: {ir}");
        // r1, the flags, the PC, the instruction count and the budget reach memory on the way
        // out only (the round counts and decrements in registers).
        assert!(cycle.iter().all(|b| !b.contains("store ")), "a store inside the loop: {ir}");
        assert!(ir.contains("store"), "the exits store the state: {ir}");
    }

    #[test]
    fn llvm_jit_compiles_and_runs_an_add() {
        assert_eq!(super::jit_smoke_add(40, 2).unwrap(), 42);
        assert_eq!(super::jit_smoke_add(u32::MAX, 1).unwrap(), 0);
    }
}
