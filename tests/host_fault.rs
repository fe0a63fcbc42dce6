//! A SIGSEGV in the VM's own code (not caused by the guest) is not swallowed by
//! HSPT's fault handler: the process dies by SIGSEGV, with a report and a
//! backtrace on stderr (issue 9, containment). The hidden hook
//! `HSPT_TEST_HOST_FAULT` makes `hspt self-check` fault with a VM's handler live.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

fn provoke(kind: &str) -> (Option<i32>, Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .arg("self-check")
        .env("HSPT_TEST_HOST_FAULT", kind)
        .output()
        .expect("spawn hspt");
    (o.status.code(), o.status.signal(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_host_fault_inside_a_shadow_region_crashes_loudly() {
    // The address is in a live shadow region, but the code is plain Rust, not a
    // guest access routine: a host bug, never a guest page to fill.
    let (code, signal, err) = provoke("shadow");
    assert_eq!((code, signal), (None, Some(libc::SIGSEGV)), "stderr: {err}");
    assert!(err.contains("SIGSEGV in the VM itself"), "{err}");
    assert!(err.contains("backtrace") && err.lines().count() > 3, "a backtrace: {err}");
}

#[test]
fn a_null_pointer_in_the_vm_crashes_loudly() {
    let (code, signal, err) = provoke("null");
    assert_eq!((code, signal), (None, Some(libc::SIGSEGV)), "stderr: {err}");
    assert!(err.contains("SIGSEGV in the VM itself") && err.contains("address 0x0000000000000000"), "{err}");
}
