//! The Linux boot path of `hspt run` (zImage, --initrd, --append, --dtb, -m): bad input
//! gets a one-line error and exit status 2 before the guest starts; good input boots with
//! the boot protocol's registers and a device tree.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hspt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hspt")).args(args).output().expect("spawn hspt")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hspt-bad-input-linux-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// Asserts a clean failure: the given status, one line on stderr containing every
/// needle, nothing on stdout.
fn expect_error(o: &Output, status: i32, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(status), "status; stderr: {err}");
    for needle in needles {
        assert!(err.contains(needle), "stderr should mention {needle:?}: {err}");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error expected: {err}");
    assert!(o.stdout.is_empty(), "nothing on the guest console");
}

/// A zImage of `len` bytes (at least 0x90) whose code checks the boot protocol — r0 = 0,
/// r1 = 0xffffffff, r2 pointing at a DTB (its magic) — prints "OK" on the PL011 and powers
/// off through PSCI; on a mismatch it spins. Code from `arm-linux-gnueabihf-as`:
/// ```text
///  0: b 0x40                   40: ldr r3, [r2]          44: ldr r4, =0xedfe0dd0
///  48: cmp r3, r4; bne fail    50: cmp r0, #0; bne fail  58: cmn r1, #1; bne fail
///  60: mov r5, #0x09000000     64: mov r6, #'O'; str r6, [r5]; 'K'; '\n'
///  7c: ldr r0, =0x84000008     80: hvc #0                84: fail: b fail
/// ```
fn zimage(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    let mut put = |off: usize, w: u32| v[off..off + 4].copy_from_slice(&w.to_le_bytes());
    put(0, 0xea00_000e);
    put(0x24, 0x016f_2818); // zImage magic
    put(0x28, 0); // start
    put(0x2c, len as u32); // end
    put(0x30, 0x0403_0201); // little-endian
    let code = [
        0xe592_3000, 0xe59f_403c, 0xe153_0004, 0x1a00_000c, 0xe350_0000, 0x1a00_000a, 0xe371_0001, 0x1a00_0008,
        0xe3a0_5409, 0xe3a0_604f, 0xe585_6000, 0xe3a0_604b, 0xe585_6000, 0xe3a0_600a, 0xe585_6000, 0xe59f_0008,
        0xe140_0070, 0xeaff_fffe, 0xedfe_0dd0, 0x8400_0008,
    ];
    for (i, w) in code.into_iter().enumerate() {
        put(0x40 + 4 * i, w);
    }
    v
}

#[test]
fn corrupt_and_foreign_kernels_are_refused() {
    let d = tmpdir("kernels");
    // The header says 64 KiB, the file stops at 4 KiB: a truncated download.
    let mut trunc = zimage(0x1_0000);
    trunc.truncate(0x1000);
    let t = write(&d, "trunc.zImage", &trunc);
    expect_error(&hspt(&["run", "--kernel", &t]), 2, &["corrupt zImage", "65536 bytes but the file has 4096"]);
    let mut bad = zimage(0x1000);
    bad[0x2c..0x30].copy_from_slice(&0x10u32.to_le_bytes()); // end below the header
    let b = write(&d, "bad.zImage", &bad);
    expect_error(&hspt(&["run", "--kernel", &b]), 2, &["corrupt zImage"]);
    let mut be = zimage(0x1000);
    be[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_be_bytes());
    let be = write(&d, "be.zImage", &be);
    expect_error(&hspt(&["run", "--kernel", &be]), 2, &["big-endian"]);
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let random = write(&d, "random.bin", &noise);
    expect_error(&hspt(&["run", "--kernel", &random]), 2, &["random.bin", "neither an ARM ELF file nor a zImage"]);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bad_initrd_append_dtb_and_memory_are_refused() {
    let d = tmpdir("options");
    let k = write(&d, "ok.zImage", &zimage(0x1000));
    let long = "x".repeat(2000);
    expect_error(&hspt(&["run", "--kernel", &k, "--append", &long]), 2, &["--append too long", "2000 bytes"]);
    let junk = write(&d, "junk.dtb", b"this is not a flattened device tree");
    expect_error(&hspt(&["run", "--kernel", &k, "--dtb", &junk]), 2, &["--dtb", "junk.dtb", "not a device tree blob"]);
    // A real header claiming more bytes than the file has.
    let mut short = vec![0u8; 64];
    short[..4].copy_from_slice(&0xd00d_feedu32.to_be_bytes());
    short[4..8].copy_from_slice(&4096u32.to_be_bytes());
    let short = write(&d, "short.dtb", &short);
    expect_error(&hspt(&["run", "--kernel", &k, "--dtb", &short]), 2, &["--dtb", "truncated"]);
    expect_error(&hspt(&["run", "--kernel", &k, "--dtb", "/nonexistent/x.dtb"]), 2, &["cannot read device tree"]);
    expect_error(&hspt(&["run", "--kernel", &k, "--initrd", "/nonexistent/initrd"]), 2, &["cannot read initrd"]);
    let empty = write(&d, "empty.cpio", b"");
    expect_error(&hspt(&["run", "--kernel", &k, "--initrd", &empty]), 2, &["empty"]);
    // -m too small: for the kernel, then for the initrd; the message says what would do.
    let big = write(&d, "big.zImage", &zimage(3 << 20));
    expect_error(&hspt(&["run", "-m", "2", "--kernel", &big]), 2, &["-m 2 is too small", "zImage", "at least -m 4"]);
    let rd = write(&d, "big.cpio", &vec![0x5a; 3 << 20]);
    expect_error(&hspt(&["run", "-m", "4", "--kernel", &k, "--initrd", &rd]), 2, &["-m 4 is too small", "initrd", "at least -m 7"]);
    // An ELF kernel gets no boot protocol, so these options would be silently lost.
    let mut e = vec![0u8; 84];
    e[..4].copy_from_slice(b"\x7fELF");
    e[4] = 1;
    e[5] = 1;
    let e = write(&d, "k.elf", &e);
    expect_error(&hspt(&["run", "--kernel", &e, "--append", "console=ttyAMA0"]), 2, &["apply to zImage kernels"]);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_zimage_boots_with_the_linux_registers_and_a_device_tree() {
    let d = tmpdir("boot");
    let k = write(&d, "ok.zImage", &zimage(0x1000));
    let rd = write(&d, "initrd", &[1, 2, 3, 4]);
    for extra in [&[][..], &["--initrd", &rd, "--append", "console=ttyAMA0", "-m", "64"][..]] {
        let mut args = vec!["run", "--timeout", "30", "--kernel", &k];
        args.extend_from_slice(extra);
        let o = hspt(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: stderr {err}");
        assert_eq!(String::from_utf8_lossy(&o.stdout), "OK\n", "{extra:?}: stderr {err}");
    }
    std::fs::remove_dir_all(&d).ok();
}

/// A corrupt initramfs makes Debian's kernel panic ("VFS: Unable to mount root
/// fs"): hspt notices the panic on the console and stops with status 3, at once,
/// rather than waiting for --timeout.
#[test]
fn a_guest_kernel_panic_stops_the_vm_with_its_own_status() {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/debian/out");
    let (kernel, initrd) = (d.join("vmlinuz"), d.join("initramfs.cpio.gz"));
    assert!(kernel.exists() && initrd.exists(), "run scripts/setup.sh (it fetches the Debian guest)");
    let bytes = std::fs::read(&initrd).unwrap();
    let bad = std::env::temp_dir().join(format!("hspt-bad-initrd-{}.gz", std::process::id()));
    std::fs::write(&bad, &bytes[..bytes.len().min(100_000)]).unwrap();
    let t = std::time::Instant::now();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "-m", "256", "--timeout", "600", "--append", "console=ttyAMA0 cryptomgr.notests quiet", "--kernel"])
        .arg(&kernel)
        .arg("--initrd")
        .arg(&bad)
        .output()
        .expect("spawn hspt");
    std::fs::remove_file(&bad).ok();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "stderr: {err}");
    assert!(err.contains("kernel panicked") && err.contains("Unable to mount root fs"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(t.elapsed().as_secs() < 500, "stopped at the panic, not at the timeout");
}

/// The command line's limit is exact: 1023 bytes boot (the kernel's COMMAND_LINE_SIZE
/// is 1024 with its NUL), 1024 are refused; an initrd bigger than the RAM is refused
/// by its size; a device given as the initrd is refused rather than read forever.
#[test]
fn append_and_initrd_limits() {
    let d = tmpdir("limits");
    let k = write(&d, "ok.zImage", &zimage(0x1000));
    let o = hspt(&["run", "--timeout", "30", "--kernel", &k, "--append", &"a".repeat(1023)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "OK\n");
    expect_error(&hspt(&["run", "--kernel", &k, "--append", &"a".repeat(1024)]), 2, &["--append too long", "1024 bytes"]);
    let big = d.join("big.cpio");
    std::fs::File::create(&big).unwrap().set_len(65 << 20).unwrap();
    expect_error(&hspt(&["run", "-m", "64", "--kernel", &k, "--initrd", big.to_str().unwrap()]), 2, &["initrd", "too large (65 MiB; at most 64 MiB)"]);
    expect_error(&hspt(&["run", "--kernel", &k, "--initrd", "/dev/zero"]), 2, &["initrd /dev/zero: is a device"]);
    std::fs::remove_dir_all(&d).ok();
}

/// A zImage whose compressed payload is corrupt (64 KiB flipped in the middle of
/// Debian's kernel; the header is intact, so only the decompressor can tell): the
/// decompressor gives up and spins, which hspt reports as a halted guest (status 125)
/// as soon as it sees it, not at --timeout. A zImage cut short of its header's size
/// is refused before it runs (`corrupt_and_foreign_kernels_are_refused`).
#[test]
fn a_corrupt_zimage_payload_halts_the_guest() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/debian/out");
    let kernel = dir.join("vmlinuz");
    assert!(kernel.exists(), "run scripts/setup.sh (it fetches the Debian guest)");
    let mut k = std::fs::read(&kernel).unwrap();
    let mid = k.len() / 2 & !0xfff;
    for b in &mut k[mid..mid + 0x1_0000] {
        *b ^= 0x5a;
    }
    let d = tmpdir("payload");
    let bad = write(&d, "corrupt-vmlinuz", &k);
    // (Status 125, not 124: it stopped when it halted, not at the timeout.)
    let o = hspt(&["run", "--timeout", "300", "--append", "console=ttyAMA0", "--kernel", &bad]);
    expect_error(&o, 125, &["guest halted", "spinning"]);
    std::fs::remove_dir_all(&d).ok();
}
