//! Bad input gets a one-line error and a distinct exit status, never a panic or a
//! hang past --timeout (README "Exit status").

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hspt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hspt")).args(args).output().expect("spawn hspt")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hspt-bad-input-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A minimal ELF32 executable: one PT_LOAD segment holding `code` at `pa`.
fn elf(pa: u32, machine: u16, code: &[u32]) -> Vec<u8> {
    let code: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut v = vec![0u8; 84];
    v[..4].copy_from_slice(b"\x7fELF");
    v[4] = 1;
    v[5] = 1;
    v[6] = 1;
    v[16..18].copy_from_slice(&2u16.to_le_bytes());
    v[18..20].copy_from_slice(&machine.to_le_bytes());
    v[20..24].copy_from_slice(&1u32.to_le_bytes());
    v[24..28].copy_from_slice(&pa.to_le_bytes());
    v[28..32].copy_from_slice(&52u32.to_le_bytes());
    v[40..42].copy_from_slice(&52u16.to_le_bytes());
    v[42..44].copy_from_slice(&32u16.to_le_bytes());
    v[44..46].copy_from_slice(&1u16.to_le_bytes());
    v[46..48].copy_from_slice(&40u16.to_le_bytes());
    let ph = 52;
    v[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
    v[ph + 4..ph + 8].copy_from_slice(&84u32.to_le_bytes());
    v[ph + 8..ph + 12].copy_from_slice(&pa.to_le_bytes());
    v[ph + 12..ph + 16].copy_from_slice(&pa.to_le_bytes());
    v[ph + 16..ph + 20].copy_from_slice(&(code.len() as u32).to_le_bytes());
    v[ph + 20..ph + 24].copy_from_slice(&(code.len() as u32).to_le_bytes());
    v.extend_from_slice(&code);
    v
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// Asserts a clean failure: the given status, one line on stderr containing `needle`, nothing on stdout.
fn expect_error(o: &Output, status: i32, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(status), "status; stderr: {err}");
    assert!(err.contains(needle), "stderr should mention {needle:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error expected: {err}");
    assert!(o.stdout.is_empty(), "nothing on the guest console");
}

#[test]
fn malformed_and_foreign_images_are_refused() {
    let d = tmpdir("images");
    let add_loop = [0xe280_0001, 0xeaff_fffd]; // add r0, r0, #1; b .-4
    let x86 = write(&d, "x86.elf", &elf(0x4001_0000, 62, &add_loop));
    expect_error(&hspt(&["run", "--kernel", &x86]), 2, "not an ARM ELF");
    let good = elf(0x4001_0000, 40, &add_loop);
    let trunc = write(&d, "trunc.elf", &good[..60]);
    expect_error(&hspt(&["run", "--kernel", &trunc]), 2, "truncated");
    let trunc2 = write(&d, "trunc2.elf", &good[..86]);
    expect_error(&hspt(&["run", "--kernel", &trunc2]), 2, "truncated");
    let outside = write(&d, "outside.elf", &elf(0x0900_0000, 40, &add_loop));
    expect_error(&hspt(&["run", "--kernel", &outside]), 2, "outside RAM");
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let random = write(&d, "random.bin", &noise);
    expect_error(&hspt(&["run", "--kernel", &random]), 2, "not an ELF");
    expect_error(&hspt(&["run", "--kernel", d.to_str().unwrap()]), 2, "is a directory");
    expect_error(&hspt(&["run", "--kernel", "/nonexistent/hspt-kernel"]), 2, "cannot read");
    let ok = write(&d, "ok.elf", &good);
    expect_error(&hspt(&["run", "-m", "0", "--kernel", &ok]), 2, "-m 0");
    expect_error(&hspt(&["run", "-m", "100000", "--kernel", &ok]), 2, "MiB");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_guest_that_never_powers_off_ends_at_the_timeout() {
    let d = tmpdir("timeout");
    let g = write(&d, "loop.elf", &elf(0x4001_0000, 40, &[0xe280_0001, 0xeaff_fffd]));
    let t = std::time::Instant::now();
    let o = hspt(&["run", "--timeout", "1", "--kernel", &g]);
    assert!(t.elapsed().as_secs_f64() < 10.0, "timeout not honoured");
    expect_error(&o, 124, "timeout");
    // A guest that spins on `b .` with interrupts impossible is reported as halted at once.
    let s = write(&d, "spin.elf", &elf(0x4001_0000, 40, &[0xeaff_fffe]));
    expect_error(&hspt(&["run", "--timeout", "30", "--kernel", &s]), 125, "spinning");
    std::fs::remove_dir_all(&d).ok();
}

/// Regression: 3000 system calls in a row (each returning at once) are not an
/// "exception loop"; a vector that faults on itself is (the runaway check used to
/// count consecutive exceptions at one vector, and stopped Linux during xz).
#[test]
fn many_system_calls_are_not_an_exception_loop() {
    let d = tmpdir("svc");
    let code = [
        0xea00_0006, // 0x00: b start (reset slot)
        0xeaff_fffe, // 0x04: undefined: b .
        0xe1b0_f00e, // 0x08: svc: movs pc, lr
        0xeaff_fffe, 0xeaff_fffe, 0xeaff_fffe, 0xeaff_fffe, 0xeaff_fffe,
        0xe300_0000, // 0x20 start: movw r0, #0
        0xe344_0001, //   movt r0, #0x4001
        0xee0c_0f10, //   mcr p15, 0, r0, c12, c0, 0 (VBAR)
        0xe300_1bb8, //   movw r1, #3000
        0xef00_0000, // loop: svc #0
        0xe251_1001, //   subs r1, r1, #1
        0x1aff_fffc, //   bne loop
        0xe300_0008, //   movw r0, #8
        0xe348_0400, //   movt r0, #0x8400
        0xe140_0070, //   hvc #0 (PSCI SYSTEM_OFF)
    ];
    let g = write(&d, "svc.elf", &elf(0x4001_0000, 40, &code));
    let o = hspt(&["run", "--timeout", "30", "--kernel", &g]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::remove_dir_all(&d).ok();
}
