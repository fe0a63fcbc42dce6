//! The compiled tiers against the interpreter: the same guest code runs on a board
//! through the interpreter alone, through the LLVM JIT and through the quick code
//! generator (every block compiled before its first run); the final states must agree. Random cases
//! come from the differential tester's generator (runtime/src/arm/gen.rs), which
//! is itself checked against QEMU, so agreement here extends that check to the JIT.

use std::sync::Arc;

use hspt_llvm::LlvmBackend;
use hspt_runtime::arm::gen::{self, Case, Generator, State};
use hspt_runtime::board::{RAM_BASE, UART_BASE};
use hspt_runtime::cpu::{ArchSnapshot, CpuState, Exception, ExitReason};
use hspt_runtime::devices::CapturedConsole;
use hspt_runtime::exec::jit::Harness;
use hspt_runtime::exec::JitOptions;

/// RAM up to 0x4a00_0000: covers the generator's scratch page and code area.
const RAM: u64 = 0x0a00_0000;

/// The engines compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Interp,
    Llvm,
    /// Quick code alone (runtime/src/exec/quick.rs), as `--tier quick`.
    Quick,
}

fn harness(e: Engine) -> (Harness, CapturedConsole) {
    let sink = CapturedConsole::default();
    let backend = Arc::new(LlvmBackend::default());
    let opts = match e {
        Engine::Interp => None,
        Engine::Llvm => Some(JitOptions { backend, threshold: 0, log: true, quick: None }),
        Engine::Quick => Some(JitOptions { backend, threshold: u32::MAX, log: true, quick: Some(0) }),
    };
    let h = Harness::new(RAM, Box::new(sink.clone()), opts).expect("board");
    (h, sink)
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

/// Places a generator case in the board's RAM as the runner lays it out.
fn place(h: &mut Harness, case: &Case) {
    let m = gen::DiffMem::new(case);
    assert!(h.board.write_phys(gen::SCRATCH, &m.scratch));
    assert!(h.board.write_phys(m.win_base, &m.win));
    h.forget_code();
}

fn unplace(h: &mut Harness, case: &Case) {
    let m = gen::DiffMem::new(case);
    assert!(h.board.write_phys(gen::SCRATCH, &vec![0; m.scratch.len()]));
    assert!(h.board.write_phys(m.win_base, &vec![0; m.win.len()]));
}

/// Runs a case; returns the final state and scratch memory.
fn run_case(h: &mut Harness, case: &Case) -> (ArchSnapshot, Option<ExitReason>, Vec<u8>) {
    place(h, case);
    let mut cpu = gen::user_cpu();
    load_state(&mut cpu, &case.init);
    cpu.r[15] = case.code_addr;
    cpu.t = case.thumb as u8;
    let r = h.run(&mut cpu, (case.code_addr, case.end()), case.end(), 256);
    let mut scratch = vec![0; gen::SCRATCH_LEN];
    assert!(h.board.read_phys(gen::SCRATCH, &mut scratch));
    unplace(h, case);
    (cpu.snapshot(), r, scratch)
}

fn count(default: usize) -> usize {
    std::env::var("HSPT_JIT_DIFF_COUNT").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[test]
fn random_cases_agree_with_the_interpreter() {
    random_cases(Engine::Llvm);
}

#[test]
fn random_cases_agree_with_the_interpreter_in_quick_code() {
    random_cases(Engine::Quick);
}

fn random_cases(engine: Engine) {
    let seed = std::env::var("HSPT_JIT_DIFF_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x4a49_5400_0000_0001);
    let n = count(1500);
    let mut g = Generator::new(seed);
    let (mut hi, _) = harness(Engine::Interp);
    let (mut hj, _) = harness(engine);
    let mut bad = Vec::new();
    for i in 0..n {
        let case = g.case();
        let a = run_case(&mut hi, &case);
        let b = run_case(&mut hj, &case);
        if a != b {
            bad.push(format!(
                "case {i} ({} at {:#x}: {:?}):\n  interp {:?}\n  jit    {:?}",
                if case.thumb { "Thumb" } else { "ARM" },
                case.code_addr,
                case.insns.iter().map(|x| format!("{:x} {}", x.word, x.name)).collect::<Vec<_>>(),
                a,
                b
            ));
        }
    }
    let st = hj.jit_stats().unwrap();
    eprintln!(
        "{engine:?} difftest: seed {seed:#x}: {n} cases, {} blocks compiled ({} failed), {:.2} ms/block, {} quick ({:.1} us/block), {} retries",
        st.compiled,
        st.failed,
        st.compile_s * 1e3 / st.compiled.max(1) as f64,
        st.quick_compiled,
        st.quick_compile_s * 1e6 / st.quick_compiled.max(1) as f64,
        st.retries
    );
    assert_eq!(st.failed, 0, "every block compiles");
    assert_eq!(st.quick_failed, 0, "every block gets quick code");
    let made = if engine == Engine::Quick { st.quick_compiled } else { st.compiled };
    assert!(made > 0, "{engine:?}: no block was compiled");
    assert!(bad.is_empty(), "{} of {n} cases diverge:\n{}", bad.len(), bad[..bad.len().min(10)].join("\n"));
}

/// ARM words at RAM_BASE + 0x1000, run until they end, on the interpreter, the LLVM JIT and quick code.
fn run_arm(words: &[u32], init: impl Fn(&mut CpuState)) -> [(ArchSnapshot, Option<ExitReason>, Vec<u8>); 3] {
    let code = RAM_BASE + 0x1000;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    [Engine::Interp, Engine::Llvm, Engine::Quick].map(|e| {
        let (mut h, sink) = harness(e);
        assert!(h.board.write_phys(code, &bytes));
        let mut cpu = CpuState::new();
        init(&mut cpu);
        cpu.r[15] = code;
        let end = code + bytes.len() as u32;
        let r = h.run(&mut cpu, (code, end), end, 10_000);
        h.board.flush();
        let out = sink.bytes();
        (cpu.snapshot(), r, out)
    })
}

#[test]
fn device_access_in_compiled_code_goes_through_the_interpreter() {
    // mov r2, #0x48 ('H'); str r2, [r0]; add r3, r3, #1; mov r2, #0x69; strb r2, [r0]; ldr r4, [r0, #0x18]; add r5, r4, #1
    let words = [0xe3a02048, 0xe5802000, 0xe2833001, 0xe3a02069, 0xe5c02000, 0xe5904018, 0xe2845001];
    let [a, b, q] = run_arm(&words, |c| {
        c.r[0] = UART_BASE;
        c.r[3] = 7;
    });
    assert_eq!(a.2, b"Hi", "interpreter output");
    assert_eq!(a, b);
    assert_eq!(a, q, "quick code");
    assert_eq!(b.0.r[3], 8);
}

#[test]
fn guest_abort_in_compiled_code_is_precise() {
    // add r1, r1, #1; ldr r2, [r0]  (no memory there: external abort); add r3, r3, #1
    let words = [0xe2811001, 0xe5902000, 0xe2833001];
    let [a, b, q] = run_arm(&words, |c| {
        c.r[0] = 0x2000_0000;
    });
    assert_eq!(a.1, Some(ExitReason::Exception));
    assert_eq!(a.0.pending, Some(Exception::DataAbort));
    assert_eq!(a.0.r[1], 1);
    assert_eq!(a.0.r[3], 0);
    assert_eq!(a, b);
    assert_eq!(a, q, "quick code");
}

#[test]
fn alignment_faults_and_exclusives() {
    // ldrex r2, [r0]; add r2, r2, #1; strex r3, r2, [r0]; ldrd r4, r5, [r1] (r1 unaligned by 2: alignment fault)
    let words = [0xe1902f9f, 0xe2822001, 0xe1803f92, 0xe1c140d0];
    let [a, b, q] = run_arm(&words, |c| {
        c.r[0] = RAM_BASE + 0x8000;
        c.r[1] = RAM_BASE + 0x8002;
    });
    assert_eq!(a.0.r[3], 0, "strex succeeded");
    assert_eq!(a.0.pending, Some(Exception::DataAbort));
    assert_eq!(a, b);
    assert_eq!(a, q, "quick code");
}

#[test]
fn exceptions_raised_after_other_instructions_count_every_retired_one() {
    // add r1, r1, #1; add r2, r2, #1; add r3, r3, #1; svc #0x100 (4 retired), and the same with
    // udf at the end (3 retired: the undefined instruction does not retire).
    for last in [0xef00_0100u32, 0xe7f0_00f0] {
        let words = [0xe2811001, 0xe2822001, 0xe2833001, last];
        let [a, b, q] = run_arm(&words, |_| {});
        assert_eq!(a.1, Some(ExitReason::Exception));
        assert_eq!(a.0.insns, if last >> 24 == 0xef { 4 } else { 3 }, "interpreter");
        assert_eq!(a, b, "LLVM code");
        assert_eq!(a, q, "quick code");
    }
}

#[test]
fn a_compiled_crossing_block_entered_by_a_chained_jump_checks_its_second_page() {
    // Thumb: nop at the end of a page, then movw r0, #0x1234 with its second halfword on the
    // next page. After a first run, that halfword changes behind the code's back (no cache
    // maintenance, as when another mapping of the page comes in): the nop's block jumps to the
    // crossing block's code directly (chained), and its check must send it back, at its start,
    // without running the stale movw. (The VM's dispatcher then checks the bytes and translates
    // it again; this harness has no such check, so the block stays where it is.)
    let code = RAM_BASE + 0x1ffc;
    let words: [u16; 3] = [0xbf00, 0xf241, 0x2034];
    for e in [Engine::Llvm, Engine::Quick, Engine::Interp] {
        let (mut h, _) = harness(e);
        assert!(h.board.write_phys(code, &words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()));
        let mut cpu = CpuState::new();
        let end = code + 6;
        for round in 0..2 {
            cpu.r[0] = 0;
            cpu.r[15] = code;
            cpu.t = 1;
            let r = h.run(&mut cpu, (code, end), end, 16);
            if round == 0 {
                assert_eq!((r, cpu.r[0]), (Some(ExitReason::Branch), 0x1234), "{e:?}: first run");
                assert!(h.board.write_phys(code + 4, &0x2077u16.to_le_bytes()), "movw r0, #0x1277");
            } else {
                assert_eq!((r, cpu.r[0], cpu.r[15]), (None, 0, code + 2), "{e:?}: the stale movw ran, or the block did not stop at its start");
            }
        }
    }
}

#[test]
fn loops_and_conditional_code() {
    // mov r0, #0; mov r1, #100; loop: add r0, r0, r1; subs r1, r1, #1; bne loop; movs r2, r0, lsl #3; addcs r3, r3, #1
    let words = [0xe3a00000, 0xe3a01064, 0xe0800001, 0xe2511001, 0x1afffffc, 0xe1b02180, 0x22833001];
    let [a, b, q] = run_arm(&words, |_| {});
    assert_eq!(a.0.r[0], 5050);
    assert_eq!(a, b);
    assert_eq!(a, q, "quick code");
}

#[test]
fn every_condition_right_after_every_flag_setter() {
    // Compiled code may test a condition on the host's flags when it directly follows
    // the op that set them (quick.rs `HostFlags`): every ARM condition after CMP, CMN,
    // SUBS, ADDS, ADCS (with C set) and TST, on operands at the edges of each flag.
    let orr = |cond: u32, rd: u32, bit: u32| {
        let (rot, imm8) = if bit < 8 { (0, 1 << bit) } else { (12, 1 << (bit - 8)) };
        cond << 28 | 0x0380_0000 | rd << 16 | rd << 12 | rot << 8 | imm8
    };
    // (flag setter words, the register collecting the conditions that passed)
    let setters: [(&[u32], u32); 6] = [
        (&[0xe1500001], 2),             // cmp r0, r1
        (&[0xe1700001], 3),             // cmn r0, r1
        (&[0xe0504001], 5),             // subs r4, r0, r1
        (&[0xe0904001], 6),             // adds r4, r0, r1
        (&[0xe1500000, 0xe0b04001], 7), // cmp r0, r0 (C=1); adcs r4, r0, r1
        (&[0xe1100001], 8),             // tst r0, r1
    ];
    let mut words = Vec::new();
    for (setter, rd) in setters {
        for cond in 0..14 {
            words.extend_from_slice(setter);
            words.push(orr(cond, rd, cond));
        }
    }
    let pairs = [(0, 0), (1, 2), (2, 1), (5, 5), (0x8000_0000, 1), (0x7fff_ffff, 1), (0xffff_ffff, 1), (0x8000_0000, 0x8000_0000), (0xffff_ffff, 0xffff_ffff)];
    for (x, y) in pairs {
        let [a, b, q] = run_arm(&words, |c| {
            c.r[0] = x;
            c.r[1] = y;
        });
        assert_eq!(a.1, b.1, "{x:#x}, {y:#x}");
        assert_eq!(a, b, "LLVM code, r0={x:#x} r1={y:#x}");
        assert_eq!(a, q, "quick code, r0={x:#x} r1={y:#x}");
        // EQ/NE, CS/CC... pairs: exactly one of each passes.
        for rd in [2, 3, 5, 6, 7, 8] {
            let v = a.0.r[rd];
            for p in 0..7 {
                let two = (v >> (2 * p)) & 3;
                assert!(two == 1 || two == 2, "r{rd}={v:#x}: condition pair {p}");
            }
        }
    }
}

#[test]
fn more_blocks_getting_hot_at_once_than_the_hot_list_holds_all_reach_llvm() {
    // 100 blocks of `add r0, r0, #1; b next`, then `subs r1, r1, #1; bne start`: in quick code they count
    // down together, and all reach zero within one pass, between two visits of the dispatcher (chaining
    // runs up to 8192 blocks), while the hot list holds 64 (quick.rs HOT_MAX). The others must list
    // themselves later, or they would stay in quick code for good.
    const BLOCKS: usize = 100;
    let code = RAM_BASE + 0x1000;
    let mut words = Vec::new();
    for _ in 0..BLOCKS {
        words.extend([0xe280_0001u32, 0xeaff_ffff]); // add r0, r0, #1; b <next instruction>
    }
    let back = -((words.len() as i32 + 1) + 2); // bne start, from the word after subs
    words.extend([0xe251_1001, 0x1a00_0000 | (back as u32 & 0x00ff_ffff)]); // subs r1, r1, #1; bne start
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let backend = Arc::new(LlvmBackend::default());
    let opts = JitOptions { backend, threshold: 50, log: true, quick: Some(0) };
    let mut h = Harness::new(RAM, Box::new(CapturedConsole::default()), Some(opts)).expect("board");
    assert!(h.board.write_phys(code, &bytes));
    let end = code + bytes.len() as u32;
    let mut total = 0u32;
    for _ in 0..200 {
        let mut cpu = CpuState::new();
        cpu.r[1] = 100;
        cpu.r[15] = code;
        h.run(&mut cpu, (code, end), end, 100_000);
        assert_eq!(cpu.r[0], 100 * BLOCKS as u32, "every pass adds one per block");
        total += 1;
        // The compiles finish on another thread; the dispatcher installs them as it goes.
        if h.llvm_pcs().len() > BLOCKS {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Alone or in a region (several of the loop's blocks in one function).
    let pcs = h.llvm_pcs();
    assert_eq!(pcs.len(), BLOCKS + 1, "every block of the loop gets LLVM code ({total} runs of the loop)");
}

/// A loop of four blocks on one page: the hot one is compiled with the others as one region
/// (`Jit::region_for`), whose branches between them are jumps inside one function. One member
/// that is not the region's first writes to the UART: the device access leaves the region's code
/// (EXIT_RETRY) and the interpreter must finish that member's instruction, not another's.
fn region_loop(quick: Option<u32>) {
    let code = RAM_BASE + 0x1000;
    let data = RAM_BASE + 0x8000;
    let words = [
        0xe490_2004u32, // loop: ldr r2, [r0], #4
        0xe083_3002,    //       add r3, r3, r2
        0xe312_0001,    //       tst r2, #1
        0x1a00_0001,    //       bne odd
        0xe284_4001,    //       add r4, r4, #1
        0xea00_0001,    //       b next
        0xe285_5001,    // odd:  add r5, r5, #1
        0xe5c6_7000,    //       strb r7, [r6]   (the UART)
        0xe251_1001,    // next: subs r1, r1, #1
        0x1aff_fff5,    //       bne loop
    ];
    // Every other value odd: when the first block gets hot, both paths are warm, and in its region.
    let values: Vec<u32> = (0..64u32).map(|i| if i % 2 == 0 { 2 * i + 1 } else { 2 * i }).collect();
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let sink = CapturedConsole::default();
    let opts = JitOptions { backend: Arc::new(LlvmBackend::default()), threshold: 20, log: true, quick };
    let mut h = Harness::new(RAM, Box::new(sink.clone()), Some(opts)).expect("board");
    assert!(h.board.write_phys(code, &bytes));
    assert!(h.board.write_phys(data, &values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()));
    let end = code + bytes.len() as u32;
    let loop_pcs = [code, code + 0x10, code + 0x18, code + 0x20];
    let mut passes = 0;
    for _ in 0..300 {
        let mut cpu = CpuState::new();
        (cpu.r[0], cpu.r[1], cpu.r[6], cpu.r[7]) = (data, 64, UART_BASE, b'o' as u32);
        cpu.r[15] = code;
        assert_eq!(h.run(&mut cpu, (code, end), end, 100_000), Some(ExitReason::Branch));
        passes += 1;
        assert_eq!(cpu.r[3], values.iter().sum::<u32>(), "pass {passes}: the sum");
        assert_eq!((cpu.r[4], cpu.r[5]), (32, 32), "pass {passes}: even and odd counts");
        assert_eq!(cpu.r[0], data + 256);
        let st = h.jit_stats().unwrap();
        if st.regions > 0 && loop_pcs.iter().all(|pc| h.llvm_pcs().contains(pc)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // One more pass, all in LLVM code.
    let mut cpu = CpuState::new();
    (cpu.r[0], cpu.r[1], cpu.r[6], cpu.r[7]) = (data, 64, UART_BASE, b'o' as u32);
    cpu.r[15] = code;
    let retries = h.jit_stats().unwrap().retries;
    assert_eq!(h.run(&mut cpu, (code, end), end, 100_000), Some(ExitReason::Branch));
    passes += 1;
    assert_eq!((cpu.r[3], cpu.r[4], cpu.r[5]), (values.iter().sum::<u32>(), 32, 32));
    let st = h.jit_stats().unwrap();
    assert!(st.regions > 0 && st.region_blocks >= 4, "the loop was compiled as a region: {st:?}");
    assert_eq!(st.retries - retries, 32, "each UART write left the region's code once: {st:?}");
    h.board.flush();
    assert_eq!(sink.bytes(), b"o".repeat(32 * passes), "every pass wrote 32 bytes");
}

#[test]
fn a_loop_of_several_blocks_runs_as_one_region() {
    region_loop(None);
}

#[test]
fn a_loop_of_several_blocks_runs_as_one_region_after_quick_code() {
    region_loop(Some(0));
}
