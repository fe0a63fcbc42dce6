//! Decoder and ARM → IR translation on arbitrary bytes, in ARM and Thumb state
//! (every IT state the first byte selects), then one interpretation of the block
//! on flat memory: no input may panic the translator or the interpreter.
#![no_main]

use hspt_runtime::arm::testutil::FlatMem;
use hspt_runtime::arm::{translate_block, MAX_BLOCK_INSNS};
use hspt_runtime::cpu::CpuState;
use hspt_runtime::ir::interp::{run_block, Temps};
use libfuzzer_sys::fuzz_target;

const CODE: u32 = 0x1000;

fuzz_target!(|data: &[u8]| {
    let Some((&it, code)) = data.split_first() else { return };
    let code = &code[..code.len().min(4 * MAX_BLOCK_INSNS)];
    let mut mem = FlatMem::new(0, 0x4000);
    mem.write_bytes(CODE, code);
    for (thumb, it) in [(false, 0), (true, 0), (true, it)] {
        // FlatMem checks a fetch's first byte against the limit: whole instructions only.
        let len = code.len() & if thumb { !1 } else { !3 };
        mem.fetch_limit = CODE + len as u32;
        let mut cpu = CpuState::new();
        cpu.t = thumb as u8;
        cpu.it = it;
        for r in 0..15 {
            cpu.r[r] = 0x2000 + 0x100 * r as u32; // inside the flat memory
        }
        cpu.r[15] = CODE;
        let Ok(block) = translate_block(&mut mem, &mut cpu, CODE, thumb, it) else { continue };
        assert!(block.len as usize <= len, "a block covers only fetched bytes: len {} of {} thumb {thumb} it {it:#x} insns {:?}", block.len, len, block.insns);
        assert!(!block.insns.is_empty());
        let mut temps = Temps::default();
        let _ = run_block(&mut cpu, &mut mem, &block, &mut temps);
    }
});
