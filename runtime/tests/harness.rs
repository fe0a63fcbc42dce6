//! Regression (found by the `exec` fuzz target, fuzz/fuzz_targets/exec.rs): with two
//! harnesses on one thread, a guest access that faults on the OLDER one (device
//! memory, unbacked addresses) reached the fault handler while the newer board was
//! the one registered, and was taken for a host bug (SIGSEGV). Each run now makes
//! its own board the one the handler serves.

use hspt_runtime::board::RAM_BASE;
use hspt_runtime::cpu::{CpuState, Exception, ExitReason, Mode};
use hspt_runtime::exec::jit::Harness;

fn user_cpu() -> CpuState {
    let mut cpu = CpuState::new();
    cpu.mode = Mode::Usr as u8;
    cpu.eaif = 0;
    cpu
}

#[test]
fn a_fault_on_the_older_of_two_harnesses_is_a_guest_abort() {
    let mut older = Harness::new(1 << 20, Box::new(std::io::sink()), None).unwrap();
    let mut newer = Harness::new(1 << 20, Box::new(std::io::sink()), None).unwrap();
    let code = RAM_BASE + 0x1000;
    for h in [&mut older, &mut newer] {
        assert!(h.board.write_phys(code, &0xe591_0000u32.to_le_bytes())); // ldr r0, [r1]
    }
    for which in [0, 1, 0] {
        let h = if which == 0 { &mut older } else { &mut newer };
        let mut cpu = user_cpu();
        cpu.r[1] = 0x0000_1000; // neither RAM nor a device
        cpu.r[15] = code;
        let exit = h.run(&mut cpu, (code, code + 4), code + 4, 4);
        assert_eq!(exit, Some(ExitReason::Exception));
        assert_eq!(cpu.pending, Some(Exception::DataAbort));
        assert_eq!(cpu.cp15.dfar, 0x1000);
    }
}
