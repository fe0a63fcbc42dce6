//! Execution: an arbitrary instruction stream (ARM or Thumb) with arbitrary
//! registers runs on a board through the interpreter, again through the LLVM
//! JIT and again through quick code (every block compiled before it runs); the final CPU state, the data
//! window, the code area and the console output must agree when both runs end
//! within their budget (not in an endless loop). The interpreter is
//! the reference (it is differential-tested against QEMU in runtime/tests).
//!
//! Input: byte 0 = flags (bit 0: Thumb), bytes 1..61 = r0-r14, byte 61 = NZCVQ,
//! the rest = code (at most 64 bytes). A register whose top bit is clear is
//! pointed into the data window, so that loads and stores mostly hit RAM.
#![no_main]

use std::cell::RefCell;
use std::sync::Arc;

use hspt_llvm::LlvmBackend;
use hspt_runtime::board::RAM_BASE;
use hspt_runtime::cpu::{ArchSnapshot, CpuState, Mode};
use hspt_runtime::devices::CapturedConsole;
use hspt_runtime::exec::jit::Harness;
use hspt_runtime::exec::JitOptions;
use libfuzzer_sys::fuzz_target;

const RAM: u64 = 4 << 20;
const CODE: u32 = RAM_BASE + 0x10_0000;
const CODE_MAX: usize = 64;
const DATA: u32 = RAM_BASE + 0x20_0000;
const DATA_LEN: usize = 0x2000;


struct Engines {
    interp: (Harness, CapturedConsole),
    jit: (Harness, CapturedConsole),
    quick: (Harness, CapturedConsole),
}

thread_local! {
    static ENGINES: RefCell<Option<Engines>> = const { RefCell::new(None) };
}

/// 0: the interpreter, 1: the LLVM JIT, 2: quick code alone.
fn harness(engine: u8) -> (Harness, CapturedConsole) {
    let sink = CapturedConsole::default();
    let backend = Arc::new(LlvmBackend::default());
    let opts = match engine {
        0 => None,
        1 => Some(JitOptions { backend, threshold: 0, log: false, quick: None }),
        _ => Some(JitOptions { backend, threshold: u32::MAX, log: false, quick: Some(0) }),
    };
    (Harness::new(RAM, Box::new(sink.clone()), opts).expect("board"), sink)
}


fn user_cpu(data: &[u8]) -> CpuState {
    let mut cpu = CpuState::new();
    cpu.mode = Mode::Usr as u8;
    cpu.eaif = 0;
    cpu.fpexc = 1 << 30;
    cpu.cp15.cpacr = 0x00f0_0000;
    for i in 0..15 {
        let v = u32::from_le_bytes(data[1 + 4 * i..5 + 4 * i].try_into().unwrap());
        cpu.r[i] = if v & 0x8000_0000 != 0 { v } else { DATA + (v % (DATA_LEN as u32 - 0x100)) };
    }
    let f = data[61];
    [cpu.n, cpu.z, cpu.c, cpu.v, cpu.q] = [f & 1, f >> 1 & 1, f >> 2 & 1, f >> 3 & 1, f >> 4 & 1];
    for (i, d) in cpu.d.iter_mut().enumerate().take(16) {
        *d = 0x3ff0_0000_0000_0000 + i as u64 * 0x1_0000_0001;
    }
    cpu
}

/// Runs the case; returns the state, the exit, the data window, the code area and new console output.
fn run(h: &mut (Harness, CapturedConsole), thumb: bool, data: &[u8], code: &[u8]) -> (ArchSnapshot, String, Vec<u8>, Vec<u8>, Vec<u8>) {
    let (h, sink) = h;
    let pattern: Vec<u8> = (0..DATA_LEN).map(|i| (i as u8).wrapping_mul(151).wrapping_add(7)).collect();
    assert!(h.board.write_phys(DATA, &pattern));
    let mut area = vec![0u8; CODE_MAX + 16];
    area[..code.len()].copy_from_slice(code);
    assert!(h.board.write_phys(CODE, &area));
    h.forget_code();
    sink.take();
    let mut cpu = user_cpu(data);
    cpu.r[15] = CODE;
    cpu.t = thumb as u8;
    let end = CODE + code.len() as u32;
    let exit = h.run(&mut cpu, (CODE, end), end, 64);
    let mut window = vec![0u8; DATA_LEN];
    assert!(h.board.read_phys(DATA, &mut window));
    let mut after = vec![0u8; area.len()];
    assert!(h.board.read_phys(CODE, &mut after));
    let out = sink.take();
    (cpu.snapshot(), format!("{exit:?}"), window, after, out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 62 + 2 {
        return;
    }
    let thumb = data[0] & 1 != 0;
    let code = &data[62..];
    let code = &code[..code.len().min(CODE_MAX) & !if thumb { 1 } else { 3 }];
    if code.is_empty() {
        return;
    }
    ENGINES.with(|e| {
        let mut e = e.borrow_mut();
        let e = e.get_or_insert_with(|| Engines { interp: harness(0), jit: harness(1), quick: harness(2) });
        let a = run(&mut e.interp, thumb, data, code);
        let b = run(&mut e.jit, thumb, data, code);
        let q = run(&mut e.quick, thumb, data, code);
        // A run that used up its budget of dispatcher rounds (a loop) stopped at a
        // point that depends on the engine: compiled blocks chain into each other
        // without returning, so the JIT gets further in as many rounds. Only runs
        // that ended (at the end of the code, or on an exception) are compared.
        if a.1 == "None" || b.1 == "None" || q.1 == "None" {
            return;
        }
        for (name, b) in [("JIT", &b), ("quick code", &q)] {
            if a == *b {
                continue;
            }
            panic!(
                "interpreter and {name} disagree ({} code {:02x?}):\n  interp {:?} exit {}\n  other  {:?} exit {}\n  data window equal: {}, code area equal: {}, console equal: {}",
                if thumb { "Thumb" } else { "ARM" },
                code,
                a.0,
                a.1,
                b.0,
                b.1,
                a.2 == b.2,
                a.3 == b.3,
                a.4 == b.4
            );
        }
    });
});
