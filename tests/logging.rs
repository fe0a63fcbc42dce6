//! The VM's own diagnostics go through `tracing` to stderr, selected by RUST_LOG;
//! the guest console (stdout) stays byte-for-byte the guest's (issue 9, logging).

use std::path::Path;
use std::process::{Command, Output};

fn run(guest: &str, rust_log: Option<&str>) -> Output {
    let elf = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-images/baremetal/build").join(guest);
    assert!(elf.exists(), "{} missing: run scripts/setup.sh", elf.display());
    let mut c = Command::new(env!("CARGO_BIN_EXE_hspt"));
    c.args(["run", "--timeout", "120", "--spt", "group=1", "--kernel"]).arg(&elf).env_remove("RUST_LOG");
    if let Some(v) = rust_log {
        c.env("RUST_LOG", v);
    }
    c.output().expect("spawn hspt")
}

#[test]
fn rust_log_goes_to_stderr_and_the_console_stays_the_guests() {
    // mmu-arm switches address spaces: with group=1 a shadow region is recycled.
    let quiet = run("mmu-arm.elf", None);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stderr.is_empty(), "no diagnostics by default: {}", String::from_utf8_lossy(&quiet.stderr));
    let out = String::from_utf8_lossy(&quiet.stdout).into_owned();
    assert!(out.contains("PASS mmu"), "{out}");

    let loud = run("mmu-arm.elf", Some("hspt=trace"));
    assert_eq!(loud.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&loud.stdout), out, "stdout is the guest console alone");
    let err = String::from_utf8_lossy(&loud.stderr);
    for event in ["guest loaded", "ELF: loaded a PT_LOAD segment", "starting the guest", "dispatcher starts",
        "shadow region recycled", "TLBIALL", "the guest stopped stop=guest powered off status=0"]
    {
        assert!(err.contains(event), "stderr should have {event:?}:\n{err}");
    }
    assert!(err.lines().all(|l| l.contains("DEBUG") || l.contains("TRACE")), "{err}");

    // Levels filter: debug shows the recycle but not the per-flush trace events.
    let debug = run("mmu-arm.elf", Some("hspt=debug"));
    let err = String::from_utf8_lossy(&debug.stderr);
    assert!(err.contains("shadow region recycled") && !err.contains("TLBIALL"), "{err}");
    assert_eq!(String::from_utf8_lossy(&debug.stdout), out);
}
