//! End-to-end: Debian's armmp kernel boots under hspt with the smoke initramfs
//! (busybox utilities, a fork-heavy shell loop, parallel processes, lua, xz,
//! sqlite, gzip, 7-Zip), and the workload's console output equals QEMU's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn debian() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/debian")
}

/// The console text between the workload markers (kernel timestamps excluded).
fn workload_output(console: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in console.lines() {
        if line.starts_with("HSPT-WORKLOAD-BEGIN") {
            inside = true;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
        if line.starts_with("HSPT-WORKLOAD-END") {
            break;
        }
    }
    out
}

#[test]
fn debian_kernel_runs_the_smoke_workload_like_qemu() {
    let d = debian();
    let kernel = d.join("out/vmlinuz");
    let initrd = d.join("out/initramfs-smoke.cpio.gz");
    assert!(
        kernel.exists() && initrd.exists(),
        "{} or {} missing: run scripts/setup.sh (it runs guest-images/debian/fetch.sh)",
        kernel.display(),
        initrd.display()
    );
    let t = Instant::now();
    let stats = std::env::temp_dir().join(format!("hspt-linux-smoke-{}.json", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "-m", "512", "--timeout", "900", "--append", "console=ttyAMA0 cryptomgr.notests quiet panic=-1"])
        .arg("--stats")
        .arg(&stats)
        .arg("--kernel")
        .arg(&kernel)
        .arg("--initrd")
        .arg(&initrd)
        .output()
        .expect("spawn hspt");
    let hspt_s = t.elapsed().as_secs_f64();
    let console = String::from_utf8_lossy(&o.stdout);
    let ours = workload_output(&console);
    assert_eq!(
        o.status.code(),
        Some(0),
        "hspt did not power off cleanly: {}\n--- console tail:\n{}",
        String::from_utf8_lossy(&o.stderr),
        console.chars().rev().take(3000).collect::<String>().chars().rev().collect::<String>()
    );
    assert!(ours.contains("HSPT-WORKLOAD-END smoke.sh status=0"), "workload failed:\n{ours}");
    // Linux's page faults are mostly mapped by its handler: their pages are filled as it returns
    // (Board::note_data_abort), not by one more host fault each.
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).expect("--stats")).unwrap();
    std::fs::remove_file(&stats).ok();
    let (refills, aborts) = (json["hspt"]["abort_refills"].as_u64().unwrap(), json["hspt"]["guest_aborts"].as_u64().unwrap());
    assert!(refills > aborts / 2 && refills <= aborts, "{refills} of {aborts} guest aborts refilled");

    let t = Instant::now();
    let q = Command::new("bash").arg(d.join("run-qemu.sh")).arg(&initrd).output().expect("spawn run-qemu.sh");
    let qemu_s = t.elapsed().as_secs_f64();
    let theirs = workload_output(&String::from_utf8_lossy(&q.stdout));
    assert!(theirs.contains("status=0"), "the QEMU reference run failed: {}", String::from_utf8_lossy(&q.stderr));
    eprintln!("boot + smoke workload: hspt {hspt_s:.1} s, qemu-system-arm {qemu_s:.1} s");
    assert_eq!(ours, theirs, "workload output differs from QEMU's");
}

/// The quick workload (processes, pipes, lua, sqlite) in every memory configuration:
/// HSPT private/shared/group and the software MMU (interpreted and compiled), each compared with QEMU (issue 4).
#[test]
fn quick_workload_in_every_memory_configuration() {
    let d = debian();
    let kernel = d.join("out/vmlinuz");
    let initrd = d.join("out/initramfs.cpio.gz");
    assert!(kernel.exists() && initrd.exists(), "run scripts/setup.sh (it runs guest-images/debian/fetch.sh)");
    let append = "console=ttyAMA0 cryptomgr.notests quiet panic=-1 hspt.script=quick";
    let q = Command::new("bash")
        .arg(d.join("run-qemu.sh"))
        .args(["--append", "hspt.script=quick"])
        .arg(&initrd)
        .output()
        .expect("spawn run-qemu.sh");
    let theirs = workload_output(&String::from_utf8_lossy(&q.stdout));
    assert!(theirs.contains("HSPT-WORKLOAD-END quick.sh status=0"), "QEMU reference run failed:\n{theirs}");
    // And the JIT tier (issue 5): interpreter first, hot blocks compiled in the background
    // (the default tier); the software MMU under the interpreter and under the JIT.
    let configs: [&[&str]; 9] = [
        &["--spt", "private"],
        &["--spt", "shared"],
        &["--spt", "group=3"],
        &["--spt", "group=1"],
        &["--mmu", "soft", "--tier", "interp"],
        &["--mmu", "soft", "--tier", "auto"],
        &["--prefill", "0"],
        &["--tier", "auto", "--jit-threshold", "50"],
        &["--tier", "quick"],
    ];
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(config) = configs.get(i) else { break };
                let t = Instant::now();
                let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
                    .args(["run", "-m", "256", "--timeout", "600", "--append", append])
                    .args(*config)
                    .arg("--kernel")
                    .arg(&kernel)
                    .arg("--initrd")
                    .arg(&initrd)
                    .output()
                    .expect("spawn hspt");
                let ours = workload_output(&String::from_utf8_lossy(&o.stdout));
                eprintln!("quick workload {}: {:.1} s", config.join(" "), t.elapsed().as_secs_f64());
                if o.status.code() != Some(0) || ours != theirs {
                    failures.lock().unwrap().push(format!(
                        "{}: status {:?}, {}\n--- qemu\n{theirs}--- hspt\n{ours}",
                        config.join(" "),
                        o.status.code(),
                        String::from_utf8_lossy(&o.stderr).trim()
                    ));
                }
            });
        }
    });
    let f = failures.into_inner().unwrap();
    assert!(f.is_empty(), "{}", f.join("\n"));
}

/// The README's way to script the shell: commands piped to stdin at once, before
/// the guest has even booted, reach the shell (the console holds them until the
/// guest's driver receives), run, and `exit` powers off.
#[test]
fn a_script_piped_to_the_console_runs_in_the_shell() {
    use std::io::Write;
    let d = debian();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "-m", "512", "--timeout", "600", "--append", "console=ttyAMA0 cryptomgr.notests quiet"])
        .arg("--kernel")
        .arg(d.join("out/vmlinuz"))
        .arg("--initrd")
        .arg(d.join("out/initramfs.cpio.gz"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn hspt");
    child.stdin.take().unwrap().write_all(b"echo hello-from-pipe $((6*7)); uname -m; exit\n").unwrap();
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}\n{out}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("hello-from-pipe 42") && out.contains("armv7l"), "the piped commands did not run:\n{out}");
}
