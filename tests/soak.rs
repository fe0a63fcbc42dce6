//! Soak (issue 9): Debian's kernel boots and runs the same light workload 20 times in
//! one VM (guest-images/debian/workloads/soak.sh: fork/exec, pipelines, parallel jobs,
//! xz and gzip round trips, lua) under `--tier auto`. After each iteration the guest
//! prints `HSPT-SAMPLE soak N`, on which hspt records its own VmRSS (and its anonymous
//! and shared parts) from /proc/self/status and its host mappings from
//! /proc/self/maps (`--stats` "samples"). Once warm (iteration 5) the host process
//! must stay flat to the end: the guest's work must not leak host memory or mappings.

use std::path::Path;
use std::process::Command;

#[test]
fn twenty_workload_iterations_keep_host_memory_and_mappings_flat() {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/debian/out");
    let kernel = d.join("vmlinuz");
    let initrd = std::env::var_os("HSPT_SOAK_INITRD").map_or(d.join("initramfs.cpio.gz"), Into::into);
    assert!(kernel.exists() && initrd.exists(), "run scripts/setup.sh (it builds the Debian guest's images)");
    let stats = std::env::temp_dir().join(format!("hspt-soak-{}.json", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "-m", "256", "--tier", "auto", "--timeout", "1500", "--stats"])
        .arg(&stats)
        .args(["--append", "console=ttyAMA0 cryptomgr.notests quiet panic=-1 hspt.script=soak", "--kernel"])
        .arg(&kernel)
        .arg("--initrd")
        .arg(&initrd)
        .output()
        .expect("spawn hspt");
    let console = String::from_utf8_lossy(&o.stdout);
    let tail: String = console.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    assert_eq!(o.status.code(), Some(0), "{}\n--- console tail:\n{tail}", String::from_utf8_lossy(&o.stderr));
    assert!(
        console.contains("HSPT-WORKLOAD-END soak.sh status=0"),
        "the soak workload failed (an initramfs without workloads/soak.sh? run scripts/setup.sh):\n{tail}"
    );
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    std::fs::remove_file(&stats).ok();
    let samples = json["samples"].as_array().expect("samples");
    let labels: Vec<&str> = samples.iter().map(|s| s["label"].as_str().unwrap()).collect();
    let want: Vec<String> = (1..=20).map(|n| format!("soak {n}")).collect();
    assert_eq!(labels, want, "one sample per iteration");
    let get = |i: usize, key: &str| samples[i][key].as_u64().unwrap();
    for s in samples {
        eprintln!(
            "{}: {:.1} s, VmRSS {} KiB (anon {}, shmem {}), {} host mappings, {} blocks, {} bytes of JIT code installed",
            s["label"].as_str().unwrap(),
            s["wall_s"].as_f64().unwrap(),
            s["rss_kib"],
            s["rss_anon_kib"],
            s["rss_shmem_kib"],
            s["host_maps"],
            s["blocks"],
            s["jit_code_bytes"]
        );
    }
    // Flat: from iteration 5 to 20, at most 10 % more (+ a little slack for allocator noise).
    let (warm, last) = (4, 19);
    for (key, slack) in [("rss_kib", 8192), ("rss_anon_kib", 8192), ("host_maps", 32)] {
        let (a, b) = (get(warm, key), get(last, key));
        assert!(b <= a + a / 10 + slack, "{key} grew from {a} after iteration 5 to {b} after iteration 20");
    }
    // JIT code memory in use (code of guest code that changed is freed and reused) grows while
    // blocks warm up past the compile threshold, run after run of the same work: on an idle host
    // the compile thread is busy through all 20 iterations (60,000 distinct blocks, a few
    // thousand hot), so it need not level off here. What must hold is that it only grows by code
    // compiled in the meantime: over the last five iterations, at most twice (the arena's size
    // classes round up) the bytes newly installed, + 256 KiB; code that is no longer used but not
    // given back would show as growth beyond that.
    let live = |i: usize| get(i, "jit_code_live_bytes");
    let installed = |i: usize| get(i, "jit_code_bytes");
    let (a, b) = (live(last - 5), live(last));
    let new_code = installed(last) - installed(last - 5);
    assert!(
        b <= a + 2 * new_code + (256 << 10),
        "JIT code in use grew from {a} bytes after iteration 15 to {b} after iteration 20, with only {new_code} bytes compiled in between"
    );
    // And the same work reached the same memory in each iteration: no sample after the
    // warm-up is far above the warm one (a leak shows as a steady climb).
    let peak = (warm..=last).map(|i| get(i, "rss_anon_kib")).max().unwrap();
    assert!(peak <= get(warm, "rss_anon_kib") + get(warm, "rss_anon_kib") / 10 + 8192, "anonymous memory peaked at {peak} KiB");
}
