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

/// `elf` with the segment's p_memsz set to `memsz` (the rest is .bss).
fn elf_memsz(pa: u32, code: &[u32], memsz: u32) -> Vec<u8> {
    let mut v = elf(pa, 40, code);
    v[52 + 20..52 + 24].copy_from_slice(&memsz.to_le_bytes());
    v
}

/// Runs hspt, killing it (and failing) if it is still running after `secs`.
fn hspt_within(args: &[&str], secs: u64) -> Output {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hspt");
    let t = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed().as_secs() >= secs {
            child.kill().ok();
            let o = child.wait_with_output().unwrap();
            panic!("hspt {args:?} still running after {secs} s; stderr: {}", String::from_utf8_lossy(&o.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
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
    let outside = write(&d, "outside.elf", &elf(0x0100_0000, 40, &add_loop));
    expect_error(&hspt(&["run", "--kernel", &outside]), 2, "outside RAM");
    let mut be = good.clone();
    be[5] = 2; // ELFDATA2MSB
    let be = write(&d, "be.elf", &be);
    expect_error(&hspt(&["run", "--kernel", &be]), 2, "big-endian ELF");
    let mut elf64 = good.clone();
    elf64[4] = 2; // ELFCLASS64
    let elf64 = write(&d, "64.elf", &elf64);
    expect_error(&hspt(&["run", "--kernel", &elf64]), 2, "not a 32-bit ELF");
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let random = write(&d, "random.bin", &noise);
    expect_error(&hspt(&["run", "--kernel", &random]), 2, "not an ELF");
    expect_error(&hspt(&["run", "--kernel", d.to_str().unwrap()]), 2, "is a directory");
    expect_error(&hspt(&["run", "--kernel", "/nonexistent/hspt-kernel"]), 2, "cannot read");
    let ok = write(&d, "ok.elf", &good);
    expect_error(&hspt(&["run", "-m", "0", "--kernel", &ok]), 2, "-m 0");
    expect_error(&hspt(&["run", "-m", "100000", "--kernel", &ok]), 2, "MiB");
    // An option for the software MMU is not silently dropped under HSPT.
    expect_error(&hspt(&["run", "--soft-tlb", "64", "--kernel", &ok]), 2, "needs --mmu soft");
    // Nor the quick tier's threshold outside --tier auto.
    expect_error(&hspt(&["run", "--tier", "jit", "--quick-threshold", "4", "--kernel", &ok]), 2, "needs --tier auto");
    // Quick code has no software-MMU form: asking for it there is refused, not ignored.
    expect_error(&hspt(&["run", "--tier", "quick", "--mmu", "soft", "--kernel", &ok]), 2, "needs HSPT memory");
    expect_error(&hspt(&["run", "--mmu", "soft", "--quick-threshold", "4", "--kernel", &ok]), 2, "needs HSPT memory");
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

/// Segments over device registers or past the end of RAM, and images too big for
/// any RAM, are refused before the guest starts, saying what would do.
#[test]
fn oversized_elf_files_and_segments_over_devices_are_refused() {
    let d = tmpdir("oversized");
    let code = [0xe280_0001, 0xeaff_fffd];
    let uart = write(&d, "uart.elf", &elf(0x0900_0000, 40, &code));
    expect_error(&hspt(&["run", "--kernel", &uart]), 2, "overlaps the PL011 UART registers at 0x09000000");
    // Starts below the GIC and runs into it.
    let gic = write(&d, "gic.elf", &elf_memsz(0x07ff_f000, &code, 0x2000));
    expect_error(&hspt(&["run", "--kernel", &gic]), 2, "overlaps the GIC distributor");
    // 200 MiB of .bss from the start of RAM: -m 128 is too small, -m 201 would do.
    let big = write(&d, "big.elf", &elf_memsz(0x4000_0000, &code, 200 << 20));
    let o = hspt(&["run", "--kernel", &big]);
    expect_error(&o, 2, "-m 128 is too small");
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least -m 200"), "{}", String::from_utf8_lossy(&o.stderr));
    // 3 GiB: more than any RAM hspt offers; 3.5 GiB wraps past the 32-bit address space.
    let huge = write(&d, "huge.elf", &elf_memsz(0x4000_0000, &code, 0xc000_0000));
    expect_error(&hspt(&["run", "--kernel", &huge]), 2, "does not fit in the largest RAM");
    let wrap = write(&d, "wrap.elf", &elf_memsz(0x4000_0000, &code, 0xe000_0000));
    expect_error(&hspt(&["run", "--kernel", &wrap]), 2, "wraps past 4 GiB");
    // A 3 GiB file (sparse: no disk used) is refused by its size, without reading it.
    let sparse = d.join("sparse.elf");
    let f = std::fs::File::create(&sparse).unwrap();
    f.set_len(3 << 30).unwrap();
    drop(f);
    expect_error(&hspt(&["run", "--kernel", sparse.to_str().unwrap()]), 2, "too large (3072 MiB; at most 2048 MiB)");
    std::fs::remove_dir_all(&d).ok();
}

/// Paths that cannot be read as a file: inside a non-directory, a device that never
/// ends, a socket, a FIFO nobody writes to (it must not block), an unreadable file.
/// A pipe with an image in it still works (`--kernel <(...)`).
#[test]
fn unreadable_and_special_paths_are_refused_without_blocking() {
    let d = tmpdir("special");
    let file = write(&d, "plain", b"x");
    expect_error(&hspt_within(&["run", "--kernel", &format!("{file}/kernel")], 30), 2, "Not a directory");
    expect_error(&hspt_within(&["run", "--kernel", "/dev/zero"], 30), 2, "is a device, not a file");
    let sock = d.join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    expect_error(&hspt_within(&["run", "--kernel", sock.to_str().unwrap()], 30), 2, "is a socket, not a file");
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    expect_error(&hspt_within(&["run", "--kernel", fifo.to_str().unwrap()], 30), 2, "is empty");
    let mut z = vec![0u8; 0x1000]; // a zImage header: magic, start 0, end 0x1000
    z[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
    z[0x2c..0x30].copy_from_slice(&0x1000u32.to_le_bytes());
    let z = write(&d, "z", &z);
    let dtb_dev = ["run", "--kernel", &z, "--dtb", "/dev/urandom"];
    expect_error(&hspt_within(&dtb_dev, 30), 2, "is a device");
    // Permissions: root reads a mode-000 file anyway, so hspt can only be refused when
    // this test itself cannot read it.
    let locked = write(&d, "locked.elf", &elf(0x4001_0000, 40, &[0xeaff_fffe]));
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        expect_error(&hspt_within(&["run", "--kernel", &locked], 30), 2, "Permission denied");
    }
    // A FIFO with a writer: the image arrives through it and the guest runs.
    let w = d.join("fifo2");
    assert!(Command::new("mkfifo").arg(&w).status().unwrap().success());
    let image = elf(0x4001_0000, 40, &[0xe300_0008, 0xe348_0400, 0xe140_0070]); // PSCI SYSTEM_OFF
    let writer = {
        let w = w.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&w).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(200)); // a slow producer
            std::io::Write::write_all(&mut f, &image).unwrap();
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(100)); // let the writer reach its open()
    let o = loop {
        let o = hspt_within(&["run", "--timeout", "30", "--kernel", w.to_str().unwrap()], 60);
        if !String::from_utf8_lossy(&o.stderr).contains("is empty") {
            break o; // (an empty read means hspt opened the FIFO before the writer did)
        }
    };
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::remove_dir_all(&d).ok();
}

/// -m beyond what the host can give: beyond its memory (the check reads /proc/meminfo
/// and the cgroup limit; `HSPT_HOST_MEMORY_MIB` stands in for a small host), and
/// beyond the address space the process may use (RLIMIT_AS): a one-line error each.
#[test]
fn memory_beyond_the_host_is_refused() {
    let d = tmpdir("hostmem");
    let ok = write(&d, "ok.elf", &elf(0x4001_0000, 40, &[0xeaff_fffe]));
    let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "-m", "512", "--kernel", &ok])
        .env("HSPT_HOST_MEMORY_MIB", "256")
        .output()
        .unwrap();
    expect_error(&o, 2, "-m 512: more than this host's memory (256 MiB)");
    // The address space: 1 GiB cannot hold 512 MiB of RAM and its 4 GiB shadow regions.
    let o = Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .arg(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "-m", "512", "--kernel", &ok])
        .output()
        .expect("prlimit (util-linux)");
    expect_error(&o, 1, "cannot create guest RAM of 512 MiB");
    std::fs::remove_dir_all(&d).ok();
}

/// Output files: a bad --stats/--trace path fails before the guest runs; after a run
/// that ends badly (here a timeout) the stats file is whole JSON and no temporary
/// file is left behind.
#[test]
fn output_files_are_checked_first_and_written_whole() {
    let d = tmpdir("outputs");
    let spin = write(&d, "loop.elf", &elf(0x4001_0000, 40, &[0xe280_0001, 0xeaff_fffd]));
    let dir = d.to_str().unwrap();
    expect_error(&hspt(&["run", "--stats", "/nonexistent/dir/s.json", "--kernel", &spin]), 2, "no directory /nonexistent/dir");
    expect_error(&hspt(&["run", "--stats", dir, "--kernel", &spin]), 2, "is a directory");
    expect_error(&hspt(&["run", "--trace", "/nonexistent/dir/t.txt", "--kernel", &spin]), 2, "cannot create trace file");
    // A bad --gdb address is found after the trace file was created: it is removed.
    let t0 = d.join("t0.txt");
    expect_error(&hspt(&["run", "--trace", t0.to_str().unwrap(), "--gdb", "tcp:no-such-host.invalid:x", "--kernel", &spin]), 2, "gdb");
    assert!(!t0.exists(), "no trace file from a run that never started");
    let out = tempfile_dir(&d, "out");
    let stats = out.join("stats.json");
    let trace = out.join("trace.txt");
    let o = hspt(&["run", "--timeout", "1", "--stats", stats.to_str().unwrap(), "--trace", trace.to_str().unwrap(), "--kernel", &spin]);
    expect_error(&o, 124, "timeout");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).expect("whole JSON");
    assert!(json["stop"].as_str().unwrap().contains("timeout"), "{json}");
    assert!(json["guest_insns"].as_u64().unwrap() > 0);
    let t = std::fs::read_to_string(&trace).unwrap();
    assert!(t.ends_with('\n') && t.lines().count() > 10, "the trace ends with a whole line");
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["stats.json", "trace.txt"], "no temporary files left");
    std::fs::remove_dir_all(&d).ok();
}

fn tempfile_dir(d: &Path, name: &str) -> PathBuf {
    let p = d.join(name);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// `hspt jit-server` (the LLVM compiler process `run` starts) with bad requests: an
/// error answer for blocks it cannot decode, a one-line error and exit for a broken
/// stream, never a panic.
#[test]
fn the_compiler_process_refuses_bad_requests() {
    use std::io::Write;
    use std::process::Stdio;
    let serve = |input: &[u8]| -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hspt")).arg("jit-server").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        c.stdin.take().unwrap().write_all(input).unwrap();
        c.wait_with_output().unwrap()
    };
    // One "block" of garbage: answered with one error result, then a clean end at EOF.
    let mut msg = 1u32.to_le_bytes().to_vec();
    msg.extend_from_slice(&[0xff; 40]);
    let mut req = (msg.len() as u32).to_le_bytes().to_vec();
    req.extend_from_slice(&msg);
    let o = serve(&req);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out = &o.stdout;
    let n = u32::from_le_bytes(out[..4].try_into().unwrap()) as usize;
    assert_eq!(out.len(), 4 + n, "one answer");
    assert_eq!(out[4], 0, "an error result");
    assert!(String::from_utf8_lossy(&out[9..]).contains("undecodable request"));
    // A message longer than the limit, and a truncated one: a one-line error.
    for bad in [u32::MAX.to_le_bytes().to_vec(), vec![100, 0, 0, 0, 1, 2, 3]] {
        let o = serve(&bad);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.starts_with("hspt jit-server: ") && err.trim_end().lines().count() == 1, "{err}");
        assert!(o.stdout.is_empty());
    }
}
