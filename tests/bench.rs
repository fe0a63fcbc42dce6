//! `hspt bench` end to end, quickly: the bare-metal workload with the small guests (--quick), one run,
//! against QEMU; the three output files exist and the table has a column per configuration.

use std::path::Path;
use std::process::Command;

#[test]
fn bench_bare_metal_quick_writes_table_json_and_plot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for isa in ["arm", "thumb"] {
        let elf = root.join(format!("guest-images/baremetal/build/crc-{isa}.elf"));
        assert!(elf.exists(), "{} missing: run scripts/setup.sh (it builds the bare-metal guests)", elf.display());
    }
    let out = std::env::temp_dir().join(format!("hspt-bench-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["bench", "bare-metal", "--runs", "1", "--against", "qemu", "--quick", "--timeout", "50", "--out"])
        .arg(&out)
        .current_dir(root)
        .output()
        .expect("spawn hspt bench");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "hspt bench failed: {stderr}");
    assert!(stderr.contains("run 1/1 · bare-metal · interp"), "no progress display on stderr: {stderr}");

    let md = std::fs::read_to_string(out.join("results.md")).expect("results.md");
    let header = md.lines().find(|l| l.starts_with("| workload |")).expect("a table header");
    let columns: Vec<&str> = header.trim_matches('|').split('|').map(str::trim).collect();
    for c in ["workload", "qemu", "interp", "jit", "aot-warm", "mmu-soft", "spt-shared", "spt-private", "spt-group2"] {
        assert!(columns.contains(&c), "column {c} missing from {header}");
    }
    assert!(!columns.contains(&"native"), "--against qemu leaves the native column out: {header}");
    let row = md.lines().find(|l| l.starts_with("| bare-metal |")).expect("a bare-metal row");
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(cells.len(), columns.len(), "{row}");
    let cell = |name: &str| cells[columns.iter().position(|c| *c == name).unwrap()];
    // warm starts are measured on the Linux workloads only
    assert_eq!(cell("aot-warm"), "–", "{row}");
    // interp is the reference engine: it must have run (a failure is reported, but not here)
    assert!(cell("interp").ends_with(" s"), "interp: {row}\n{md}");
    // every other cell is a time, n/a, not run, or a marked failure: never empty
    for (c, v) in columns.iter().zip(&cells).skip(1) {
        assert!(v.ends_with(" s") || v.ends_with('×') || ["n/a", "–"].contains(v) || v.starts_with("failed ["), "{c}: {v:?}");
    }

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).expect("results.json")).expect("valid JSON");
    let cells = json["cells"].as_array().expect("cells");
    let interp = cells.iter().find(|c| c["config"] == "interp").expect("interp cell");
    assert_eq!(interp["status"], "ok", "{interp}");
    let stats = &interp["runs"][0]["stats"];
    assert_eq!(stats.as_array().map(|a| a.len()), Some(2), "stats of both guests: {stats}");
    assert!(stats[0]["hspt"]["peak_host_mappings"].is_number(), "{stats}");

    let svg = std::fs::read_to_string(out.join("plot.svg")).expect("plot.svg");
    assert!(svg.starts_with("<svg") && svg.contains("interp"), "plot.svg is not an SVG plot with the configurations");
    let _ = std::fs::remove_dir_all(&out);
}
