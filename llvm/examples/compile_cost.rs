//! Measures what one block costs to compile through the LLVM backend, alone and
//! in batches: `cargo run --release -p hspt-llvm --example compile_cost [N]`.
//! The block is the bare-metal bench guest's hashing loop (15 ARM instructions).

use std::time::Instant;

use hspt_llvm::LlvmBackend;
use hspt_runtime::arm::testutil::FlatMem;
use hspt_runtime::cpu::CpuState;
use hspt_runtime::exec::backend::Backend;

const LOOP: [u32; 15] = [
    0xe0252825, 0xe2855001, 0xe1550001, 0xe0020297, 0xe02226a2, 0xe0020296, 0xe0223822, 0xe0030398, 0xe1a038e3,
    0xe003039e, 0xe0233009, 0xe1a039e3, 0xe0833103, 0xe083900c, 0x1afffff0,
];

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(64);
    let base = 0x4000_0000u32;
    let mut mem = FlatMem::new(base, 0x1000);
    for (i, w) in LOOP.iter().enumerate() {
        mem.write_u32(base + 4 * i as u32, *w);
    }
    let mut cpu = CpuState::default();
    let block = hspt_runtime::arm::translate_block(&mut mem, &mut cpu, base, false, 0).expect("translates");
    let be = LlvmBackend::default();
    be.compile(&block).expect("compiles"); // warm-up: target machine, LLVM's statics
    let t = Instant::now();
    for _ in 0..n {
        be.compile(&block).expect("compiles");
    }
    let one = t.elapsed().as_secs_f64() / n as f64;
    println!("one at a time: {:.3} ms per block", one * 1e3);
    for batch in [4, 16, 64] {
        let blocks: Vec<_> = (0..batch).map(|_| block.clone()).collect();
        let t = Instant::now();
        let rounds = (n / batch).max(1);
        for _ in 0..rounds {
            for r in be.compile_batch(&blocks) {
                r.expect("compiles");
            }
        }
        println!("batches of {batch}: {:.3} ms per block", t.elapsed().as_secs_f64() / (rounds * batch) as f64 * 1e3);
    }
}
