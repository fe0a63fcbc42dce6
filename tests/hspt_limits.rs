//! HSPT lives within the host's mapping limit: with an artificially small cap the
//! guest that touches 65,536 scattered pages and all 4 GiB still runs correctly,
//! and the peak number of host mappings stays under the cap (issue 4).

use std::path::Path;
use std::process::Command;

#[test]
fn host_mappings_stay_under_a_small_limit() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/baremetal/build");
    let stats = std::env::temp_dir().join(format!("hspt-limit-{}.json", std::process::id()));
    for (guest, cap) in [("contain-arm.elf", 300u64), ("mas-thumb.elf", 64)] {
        let elf = dir.join(guest);
        assert!(elf.exists(), "{} missing: run scripts/setup.sh", elf.display());
        for org in ["private", "shared", "group=2"] {
            let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
                .args(["run", "--timeout", "120", "--spt", org, "--max-host-mappings", &cap.to_string(), "--stats"])
                .arg(&stats)
                .arg("--kernel")
                .arg(&elf)
                .output()
                .expect("spawn hspt");
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(o.status.code(), Some(0), "{guest} {org}: {}", String::from_utf8_lossy(&o.stderr));
            assert!(out.contains("PASS"), "{guest} {org} failed under the cap:\n{out}");
            let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
            let peak = json["hspt"]["peak_host_mappings"].as_u64().unwrap();
            let limit_flushes = json["hspt"]["flushes_by_cause"]["host_mapping_limit"].as_u64().unwrap();
            assert!(peak <= cap, "{guest} {org}: peak {peak} host mappings over the cap {cap}");
            eprintln!("{guest} {org}: peak {peak} mappings (cap {cap}), {limit_flushes} flushes at the cap");
        }
    }
    std::fs::remove_file(&stats).ok();
}
