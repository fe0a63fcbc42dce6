//! End-to-end: the translation cache (issue 6). Bad caches are refused with a
//! warning and the run stays correct; a cache made for one guest does no harm
//! to another; concurrent writers and a writer killed mid-write leave a valid
//! cache; a warm Linux boot prints exactly what the cold one printed.
//!
//! The expected output of a bare-metal guest is the interpreter's, which
//! tests/baremetal.rs checks against QEMU.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hspt_runtime::exec::tcache;

fn guest(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/baremetal/build").join(name);
    assert!(p.exists(), "{}: run scripts/setup.sh (it builds the guests)", p.display());
    p
}

fn tmpdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tcache-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn hspt(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hspt"));
    c.args(args);
    for p in paths {
        c.arg(p);
    }
    c.output().expect("spawn hspt")
}

/// Runs a bare-metal guest; returns (exit status, stdout, stderr, stats JSON).
fn run_guest(elf: &Path, extra: &[&str], dir: &Path) -> (i32, String, String, serde_json::Value) {
    let stats = dir.join("stats.json");
    let _ = std::fs::remove_file(&stats);
    let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "--timeout", "120"])
        .args(extra)
        .arg("--stats")
        .arg(&stats)
        .arg("--kernel")
        .arg(elf)
        .output()
        .expect("spawn hspt");
    let s = std::fs::read_to_string(&stats).map(|t| serde_json::from_str(&t).unwrap()).unwrap_or(serde_json::Value::Null);
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into(), s)
}

fn from_cache(s: &serde_json::Value) -> u64 {
    s["blocks"]["from_cache"].as_u64().unwrap_or(0)
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn bad_caches_are_refused_with_a_warning_and_the_run_stays_correct() {
    let d = tmpdir("bad");
    let elf = guest("sort-arm.elf");
    let (code, expected, _, _) = run_guest(&elf, &[], &d);
    assert_eq!(code, 0, "the reference run failed");

    // A good cache, written back by a JIT run, is used by the next run.
    let good = d.join("good.htc");
    let g = good.to_str().unwrap();
    let (code, out, err, _) = run_guest(&elf, &["--tier", "jit", "--cache", g, "--cache-write"], &d);
    assert_eq!((code, out.as_str()), (0, expected.as_str()), "{err}");
    let (code, out, err, s) = run_guest(&elf, &["--tier", "jit", "--cache", g], &d);
    assert_eq!((code, out.as_str()), (0, expected.as_str()), "{err}");
    assert!(err.is_empty(), "a good cache gives no warning: {err}");
    assert!(from_cache(&s) > 0, "the good cache was not used: {s}");
    let image = std::fs::read(&good).unwrap();

    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    let mut flipped = image.clone();
    let mid = image.len() / 2;
    flipped[mid] ^= 0x10;
    cases.push(("corrupt", flipped, "checksum"));
    cases.push(("truncated", image[..image.len() - 4096].to_vec(), "truncated"));
    cases.push(("short", image[..100].to_vec(), "truncated"));
    let mut v = image.clone();
    v[12..16].copy_from_slice(&(tcache::TRANSLATOR_VERSION + 1).to_le_bytes());
    cases.push(("foreign translator version", v, "translator version"));
    let mut v = image.clone();
    v[8..12].copy_from_slice(&(tcache::FORMAT_VERSION + 1).to_le_bytes());
    cases.push(("foreign format version", v, "format version"));
    let entries = tcache::parse(&image).unwrap().entries;
    cases.push(("foreign host", tcache::build("llvm;x86_64;some other CPU", entries).unwrap(), "another host"));
    cases.push(("garbage", vec![0x5a; 10000], "magic"));
    for (what, bytes, reason) in cases {
        let p = d.join(format!("{}.htc", what.replace(' ', "-")));
        std::fs::write(&p, &bytes).unwrap();
        set_mode(&p, 0o600);
        for tier in ["jit", "auto"] {
            let (code, out, err, s) = run_guest(&elf, &["--tier", tier, "--cache", p.to_str().unwrap()], &d);
            assert_eq!(code, 0, "{what} cache, --tier {tier}: {err}");
            assert_eq!(out, expected, "{what} cache, --tier {tier}: wrong output");
            assert!(err.contains("warning") && err.contains(p.to_str().unwrap()) && err.contains(reason), "{what}: the warning should name the file and say '{reason}': {err}");
            assert_eq!(err.lines().count(), 1, "one line of warning: {err}");
            assert_eq!(from_cache(&s), 0);
        }
    }

    // Files other users could write are refused.
    let p = d.join("shared.htc");
    std::fs::write(&p, &image).unwrap();
    for mode in [0o664, 0o606] {
        set_mode(&p, mode);
        let (code, out, err, _) = run_guest(&elf, &["--cache", p.to_str().unwrap()], &d);
        assert_eq!((code, out.as_str()), (0, expected.as_str()));
        assert!(err.contains("writable by group or others"), "{err}");
    }
    // `hspt cache verify` agrees: good is good, the others are not.
    assert!(hspt(&["cache", "verify"], &[&good]).status.success());
    assert!(!hspt(&["cache", "verify"], &[&d.join("corrupt.htc")]).status.success());
    assert!(!hspt(&["cache", "verify"], &[&d.join("truncated.htc")]).status.success());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_cache_made_for_one_guest_does_no_harm_to_another() {
    let d = tmpdir("other-guest");
    let cache = d.join("c.htc");
    // AOT of some guests, plus the JIT's code from running others.
    let o = hspt(&["aot", "-q", "-o"], &[&cache, &guest("crc-arm.elf"), &guest("crc-thumb.elf"), &guest("hello-arm.elf")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for g in ["muldiv-arm.elf", "bits-thumb.elf"] {
        let (code, _, err, _) = run_guest(&guest(g), &["--tier", "jit", "--cache", cache.to_str().unwrap(), "--cache-write"], &d);
        assert_eq!(code, 0, "{err}");
    }
    assert!(hspt(&["cache", "verify"], &[&cache]).status.success());
    // Other guests run with it and print what the interpreter prints.
    for g in ["sort-arm.elf", "sort-thumb.elf", "cond-arm.elf", "cond-thumb.elf", "ldmstm-thumb.elf", "exceptions-arm.elf", "mmu-arm.elf"] {
        let elf = guest(g);
        let (code, expected, _, _) = run_guest(&elf, &[], &d);
        for tier in ["jit", "auto"] {
            let (c2, out, err, _) = run_guest(&elf, &["--tier", tier, "--cache", cache.to_str().unwrap()], &d);
            assert_eq!((c2, out.as_str()), (code, expected.as_str()), "{g} --tier {tier} with another guest's cache: {err}");
            assert!(err.is_empty(), "{g}: {err}");
        }
    }
    // The AOT'd guest itself runs from the cache.
    let (code, expected, _, _) = run_guest(&guest("crc-arm.elf"), &[], &d);
    let (c2, out, _, s) = run_guest(&guest("crc-arm.elf"), &["--tier", "jit", "--cache", cache.to_str().unwrap()], &d);
    assert_eq!((c2, out), (code, expected));
    assert!(from_cache(&s) > 0, "the AOT cache was not used by the guest it was made from: {s}");
    let _ = std::fs::remove_dir_all(&d);
}

/// Two caches of different guests, to merge.
fn two_caches(d: &Path) -> (PathBuf, PathBuf, usize) {
    let a = d.join("a.htc");
    let b = d.join("b.htc");
    assert!(hspt(&["aot", "-q", "-o"], &[&a, &guest("crc-arm.elf"), &guest("sort-arm.elf")]).status.success());
    assert!(hspt(&["aot", "-q", "-o"], &[&b, &guest("crc-thumb.elf"), &guest("sort-thumb.elf")]).status.success());
    let ka: std::collections::HashSet<_> = tcache::read(&a).unwrap().entries.iter().map(|e| e.key).collect();
    let kb: std::collections::HashSet<_> = tcache::read(&b).unwrap().entries.iter().map(|e| e.key).collect();
    (a, b, ka.union(&kb).count())
}

#[test]
fn concurrent_writers_leave_a_valid_cache_with_the_union() {
    let d = tmpdir("concurrent");
    let (a, b, union) = two_caches(&d);
    let out = d.join("out.htc");
    for _ in 0..3 {
        let _ = std::fs::remove_file(&out);
        let kids: Vec<_> = (0..4)
            .map(|i| {
                Command::new(env!("CARGO_BIN_EXE_hspt"))
                    .args(["cache", "merge", "-o"])
                    .arg(&out)
                    .arg(if i % 2 == 0 { &a } else { &b })
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut k in kids {
            assert!(k.wait().unwrap().success());
        }
        let c = tcache::read(&out).expect("a valid cache");
        assert_eq!(c.entries.len(), union, "the merged cache holds both writers' entries");
        assert!(hspt(&["cache", "verify"], &[&out]).status.success());
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn kill_9_during_a_write_leaves_the_old_cache_valid() {
    let d = tmpdir("kill");
    let (a, b, union) = two_caches(&d);
    let out = d.join("out.htc");
    assert!(hspt(&["cache", "merge", "-o"], &[&out, &a]).status.success());
    let old = std::fs::read(&out).unwrap();
    // The writer stops half-way through its temporary file for a second; kill it there.
    let mut k = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .env("HSPT_TCACHE_TEST_PAUSE_MS", "1000")
        .args(["cache", "merge", "-o"])
        .arg(&out)
        .arg(&b)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let tmp_seen = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::read_dir(&d).unwrap().flatten().any(|e| e.file_name().to_string_lossy().contains(".tmp."))
    });
    assert!(tmp_seen, "the writer never started its temporary file");
    k.kill().unwrap(); // SIGKILL
    k.wait().unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), old, "the old cache is untouched");
    assert!(hspt(&["cache", "verify"], &[&out]).status.success());
    // The lock died with the writer: the next merge completes.
    assert!(hspt(&["cache", "merge", "-o"], &[&out, &b]).status.success());
    assert_eq!(tcache::read(&out).unwrap().entries.len(), union);
    let _ = std::fs::remove_dir_all(&d);
}

/// Debian's kernel and the quick workload: a cold run writes its JIT code back
/// (and a profile); the warm run uses it and prints the same.
#[test]
fn warm_linux_boot_prints_what_the_cold_one_printed() {
    let deb = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/debian/out");
    let (kernel, initrd) = (deb.join("vmlinuz"), deb.join("initramfs.cpio.gz"));
    assert!(kernel.exists() && initrd.exists(), "run scripts/setup.sh (it runs guest-images/debian/fetch.sh)");
    let d = tmpdir("linux");
    let cache = d.join("linux.htc");
    let profile = d.join("linux.prof");
    let append = "console=ttyAMA0 cryptomgr.notests quiet panic=-1 hspt.script=quick";
    let boot = |extra: &[&str]| {
        let stats = d.join("stats.json");
        let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
            .args(["run", "-m", "256", "--timeout", "600", "--tier", "auto", "--append", append])
            .args(extra)
            .arg("--stats")
            .arg(&stats)
            .arg("--kernel")
            .arg(&kernel)
            .arg("--initrd")
            .arg(&initrd)
            .output()
            .expect("spawn hspt");
        let console = String::from_utf8_lossy(&o.stdout).to_string();
        let begin = console.find("HSPT-WORKLOAD-BEGIN").unwrap_or(console.len());
        let end = console.find("HSPT-WORKLOAD-END").map_or(console.len(), |e| e + console[e..].find('\n').unwrap_or(0));
        let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
        (o.status.code(), console[begin..end].to_string(), String::from_utf8_lossy(&o.stderr).to_string(), s)
    };
    let c = cache.to_str().unwrap();
    let (code, cold, err, _) = boot(&["--cache", c, "--cache-write", "--profile-out", profile.to_str().unwrap()]);
    assert_eq!(code, Some(0), "cold run: {err}");
    assert!(cold.contains("HSPT-WORKLOAD-END quick.sh status=0"), "cold run:\n{cold}");
    assert!(tcache::read(&cache).unwrap().entries.len() > 100, "the cold run wrote its code back");
    assert!(tcache::read_profile(&profile).unwrap().len() > 1000, "the cold run wrote its profile");
    let (code, warm, err, s) = boot(&["--cache", c]);
    assert_eq!(code, Some(0), "warm run: {err}");
    assert_eq!(warm, cold, "the warm run printed something else");
    assert!(from_cache(&s) > 100, "the warm run did not use the cache: {s}");

    // Ahead of time: `hspt aot` of what the kernel and the initramfs ran (the profile), then a
    // warm launch from that cache alone prints the same and compiles almost nothing itself.
    let aot = d.join("aot.htc");
    let o = hspt(&["aot", "-q", "-o"], &[&aot, Path::new("--profile"), &profile]);
    assert!(o.status.success(), "hspt aot: {}", String::from_utf8_lossy(&o.stderr));
    let (code, warm, err, s) = boot(&["--cache", aot.to_str().unwrap()]);
    assert_eq!(code, Some(0), "AOT-warm run: {err}");
    assert_eq!(warm, cold, "the AOT-warm run printed something else");
    let compiled = s["blocks"]["jit_compiled"].as_u64().unwrap();
    let distinct = s["blocks"]["distinct"].as_u64().unwrap();
    // The blocks that got hot are compiled again (the cache's code counts its runs and forwards
    // to the JIT's once it exists); the others came from the cache.
    let promoted = s["blocks"]["jit_cache_promoted"].as_u64().unwrap();
    assert!(promoted > 0, "no hot block of the cache was compiled again: {s}");
    let missing = compiled.checked_sub(promoted).expect("promotions are counted among the compiles");
    assert!(missing * 20 < distinct, "the AOT-warm launch JIT-compiled {missing} of {distinct} blocks the cache lacked (5 % or more)");
    let _ = std::fs::remove_dir_all(&d);
}
