//! End-to-end: the gdb stub (`hspt run --gdb tcp::0 --gdb-wait`) driven by Debian's
//! `gdb-multiarch` in batch mode, as a user would: breakpoints (software and
//! hardware, at a block start and in the middle of a block that already ran,
//! translated or compiled), single steps in ARM and Thumb (IT blocks), a write
//! watchpoint, registers (core and VFP) and memory read and written, Ctrl-C,
//! attaching to a running guest, detach (the guest runs to its end) and kill.
//! Guests: a small ARM/Thumb program assembled here, the bare-metal hello guests,
//! and Debian's armmp kernel (zImage entry, the decompressed kernel's entry with
//! the MMU off, the IRQ vector and kernel text through the MMU).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tool_ok(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn require_gdb() {
    assert!(tool_ok("gdb-multiarch"), "gdb-multiarch is not installed: run scripts/setup.sh");
}

/// The tiers to check: the interpreter, and the JIT when this build has it.
fn tiers() -> Vec<&'static str> {
    let hello = root().join("guest-images/baremetal/build/hello-arm.elf");
    let o = Command::new(env!("CARGO_BIN_EXE_hspt"))
        .args(["run", "--tier", "jit", "--timeout", "60", "--kernel"])
        .arg(&hello)
        .output()
        .expect("spawn hspt");
    if String::from_utf8_lossy(&o.stderr).contains("not available") {
        eprintln!("note: this build has no JIT tier: gdb is checked under the interpreter only");
        vec!["interp"]
    } else {
        vec!["interp", "jit"]
    }
}

/// A VM with its gdb stub, its console and messages collected.
struct Vm {
    child: Child,
    port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn collect(r: impl Read + Send + 'static, into: Arc<Mutex<String>>, port_tx: Option<std::sync::mpsc::Sender<u16>>) {
    std::thread::spawn(move || {
        let mut lines = BufReader::new(r);
        let mut line = String::new();
        while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
            if let Some(tx) = &port_tx {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    if let Some(p) = rest.split_whitespace().next().and_then(|a| a.rsplit(':').next()) {
                        let _ = tx.send(p.parse().unwrap_or(0));
                    }
                }
            }
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
}

impl Vm {
    /// Starts `hspt run --gdb tcp::0 ARGS` (a free port) and waits until it listens.
    fn start(args: &[&str]) -> Vm {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hspt"))
            .arg("run")
            .args(["--gdb", "tcp::0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hspt");
        let (stdout, stderr) = (Arc::new(Mutex::new(String::new())), Arc::new(Mutex::new(String::new())));
        let (tx, rx) = std::sync::mpsc::channel();
        collect(child.stdout.take().unwrap(), stdout.clone(), None);
        collect(child.stderr.take().unwrap(), stderr.clone(), Some(tx));
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(p) if p != 0 => p,
            _ => {
                let _ = child.kill();
                panic!("hspt did not say where its gdb stub listens: {}", stderr.lock().unwrap());
            }
        };
        Vm { child, port, stdout, stderr }
    }

    /// Waits for the VM to end by itself: (exit status, console, messages).
    fn finish(mut self, limit: Duration) -> (ExitStatus, String, String) {
        let status = wait_for(&mut self.child, limit);
        std::thread::sleep(Duration::from_millis(100)); // let the readers drain the pipes
        let out = self.stdout.lock().unwrap().clone();
        let err = self.stderr.lock().unwrap().clone();
        match status {
            Some(s) => (s, out, err),
            None => panic!("hspt still runs after {limit:?} (the guest should have finished)\n--- stderr\n{err}\n--- console tail\n{}", tail(&out)),
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let t = Instant::now();
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A gdb-multiarch batch session attached to `port` running `cmds`; with
/// `interrupt_after`, it gets a SIGINT (Ctrl-C) that long after it started.
/// Returns everything gdb printed (stdout and stderr, in order).
fn gdb(port: u16, cmds: &[String], interrupt_after: Option<Duration>) -> String {
    let dir = std::env::temp_dir().join(format!("hspt-gdb-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join(format!("gdb-{port}-{}.log", cmds.len()));
    let f = File::create(&log).unwrap();
    let mut c = Command::new("gdb-multiarch");
    c.args(["-nx", "-batch", "-ex", "set architecture arm", "-ex", "set confirm off"]);
    c.args(["-ex", &format!("target remote 127.0.0.1:{port}")]);
    for cmd in cmds {
        c.args(["-ex", cmd]);
    }
    let mut child = c.stdin(Stdio::null()).stdout(f.try_clone().unwrap()).stderr(f).spawn().expect("spawn gdb-multiarch");
    if let Some(d) = interrupt_after {
        std::thread::sleep(d);
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    }
    let done = wait_for(&mut child, Duration::from_secs(240));
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_dir(&dir); // when no other session still logs there
    assert!(done.is_some(), "gdb-multiarch did not finish:\n{out}");
    out
}

fn cmds(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Asserts that `needles` appear in `hay` in this order.
fn assert_in_order(hay: &str, needles: &[String], what: &str) {
    let mut at = 0;
    for n in needles {
        match hay[at..].find(n.as_str()) {
            Some(i) => at += i + n.len(),
            None => panic!("{what}: expected {n:?} (after what came before) in gdb's output:\n{hay}"),
        }
    }
}

/// Symbol addresses of an ELF file (arm-linux-gnueabihf-nm).
fn symbols(elf: &Path) -> std::collections::HashMap<String, u32> {
    let o = Command::new("arm-linux-gnueabihf-nm").arg(elf).output().expect("arm-linux-gnueabihf-nm (scripts/setup.sh installs it)");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let addr = u32::from_str_radix(f.next()?, 16).ok()?;
            let _kind = f.next()?;
            Some((f.next()?.to_string(), addr & !1))
        })
        .collect()
}

/// The 32-bit words an ELF file loads at physical `pa` (program headers).
fn elf_words(elf: &[u8], pa: u32, n: usize) -> Vec<u32> {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
    let (phoff, phentsize, phnum) = (u32_at(0x1c) as usize, u16_at(0x2a), u16_at(0x2c));
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let (off, paddr, filesz) = (u32_at(ph + 4), u32_at(ph + 12), u32_at(ph + 16));
        if u32_at(ph) == 1 && pa >= paddr && pa + 4 * n as u32 <= paddr + filesz {
            let o = (off + pa - paddr) as usize;
            return (0..n).map(|k| u32_at(o + 4 * k)).collect();
        }
    }
    panic!("0x{pa:08x} is not loaded by the ELF file");
}

/// A gdb command printing `TAG pc=.. mode=.. r0=..` (mode: CPSR.M and T, in hex).
fn printf_pc(tag: &str) -> String {
    format!("printf \"{tag} pc=%x mode=%x r0=%d\\n\", (unsigned)$pc, (unsigned)$cpsr & 0x3f, $r0")
}

/// A guest with an ARM loop (a store to a watched word), then Thumb code with an
/// IT block, then PSCI SYSTEM_OFF. Built with binutils into a temporary folder.
fn build_test_guest() -> (PathBuf, std::collections::HashMap<String, u32>) {
    const SRC: &str = r#"
    .syntax unified
    .arch armv7-a
    .arch_extension virt
    .text
    .global _start
    .arm
_start:
    ldr sp, =0x40100000
    mov r0, #0
    ldr r4, =counter
loop:
    add r0, r0, #1
    str r0, [r4]
    add r1, r0, r0
    cmp r0, #100
    bne loop
    adr r12, thumb_part + 1
    bx r12
    .thumb
    .thumb_func
thumb_part:
    movs r2, #5
    mov.w r3, #7
    cmp r2, r3
    ite lt
    movlt r5, #1
    movge r5, #2
    ldr r0, =0x84000008
    hvc #0
    b .
    .pool
    .data
    .align 2
counter: .word 0
"#;
    let dir = std::env::temp_dir().join(format!("hspt-gdb-guest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, obj, elf) = (dir.join("guest.S"), dir.join("guest.o"), dir.join("guest.elf"));
    std::fs::write(&src, SRC).unwrap();
    let ok = |c: &mut Command| {
        let o = c.output().expect("binutils for arm-linux-gnueabihf (scripts/setup.sh installs them)");
        assert!(o.status.success(), "{:?}: {}", c, String::from_utf8_lossy(&o.stderr));
    };
    ok(Command::new("arm-linux-gnueabihf-as").arg("-o").arg(&obj).arg(&src));
    ok(Command::new("arm-linux-gnueabihf-ld")
        .args(["-N", "-Ttext=0x40000000", "-Tdata=0x40001000", "--no-warn-rwx-segments", "-o"])
        .arg(&elf)
        .arg(&obj));
    let syms = symbols(&elf);
    (elf, syms)
}

#[test]
fn breakpoints_steps_watchpoints_registers_and_memory_on_a_small_guest() {
    require_gdb();
    let (elf, s) = build_test_guest();
    let (start, lp, thumb, counter) = (s["_start"], s["loop"], s["thumb_part"], s["counter"]);
    for tier in tiers() {
        let vm = Vm::start(&["--gdb-wait", "--tier", tier, "--timeout", "120", "--kernel", elf.to_str().unwrap()]);
        let out = gdb(
            vm.port,
            &[
                printf_pc("reset"),
                format!("break *0x{lp:x}"),
                "continue".into(),
                "continue".into(),
                printf_pc("second"),
                "delete".into(),
                // In the middle of the loop's block, which has run (and may be compiled) by now.
                format!("break *0x{:x}", lp + 8),
                "continue".into(),
                printf_pc("mid-block"),
                "delete".into(),
                format!("watch *(int *)0x{counter:x}"),
                "continue".into(),
                printf_pc("watch"),
                "delete".into(),
                format!("hbreak *0x{thumb:x}"),
                "continue".into(),
                printf_pc("thumb"),
                format!("printf \"counter=%d\\n\", *(int *)0x{counter:x}"),
                "stepi".into(),
                printf_pc("step16"),
                "stepi".into(),
                printf_pc("step32"),
                "stepi".into(),
                "stepi".into(),
                "printf \"it pc=%x itstate=%x\\n\", (unsigned)$pc, (unsigned)$cpsr & 0x0600fc00".into(),
                "stepi".into(),
                "stepi".into(),
                "printf \"after-it pc=%x r5=%d\\n\", (unsigned)$pc, $r5".into(),
                "set var $r6 = 0x1234".into(),
                "set var $d3 = 1.5".into(),
                format!("set var *(int *)0x{counter:x} = 77"),
                format!("printf \"written r6=%x s7=%f counter=%d\\n\", $r6, $s7, *(int *)0x{counter:x}"),
                "p $d3".into(),
                // MMU off: nothing at 0x20000000; the UART's registers are not read behind the guest's back.
                "x/xw 0x20000000".into(),
                "x/xw 0x09000000".into(),
                "detach".into(),
            ],
            None,
        );
        let expect: Vec<String> = vec![
            format!("reset pc={start:x} mode=13 r0=0"),
            format!("Breakpoint 1, 0x{lp:08x}"),
            format!("Breakpoint 1, 0x{lp:08x}"),
            format!("second pc={lp:x} mode=13 r0=1"),
            format!("Breakpoint 2, 0x{:08x}", lp + 8),
            format!("mid-block pc={:x} mode=13 r0=2", lp + 8),
            "Old value = 2".into(),
            "New value = 3".into(),
            // gdb steps over the store that hit (ARM watchpoints stop before it) and shows the next instruction.
            format!("watch pc={:x} mode=13 r0=3", lp + 8),
            format!("Breakpoint 4, 0x{thumb:08x}"),
            format!("thumb pc={thumb:x} mode=33 r0=100"),
            "counter=100".into(),
            format!("step16 pc={:x}", thumb + 2),
            format!("step32 pc={:x}", thumb + 6),
            // ITE LT: ITSTATE (CPSR bits 15:10, 26:25) before the first instruction of the block.
            format!("it pc={:x} itstate=b400", thumb + 10),
            format!("after-it pc={:x} r5=1", thumb + 14),
            // d3 = 1.5 is 0x3ff8000000000000: s7, its high half, is 1.9375.
            "written r6=1234 s7=1.937500 counter=77".into(),
            " = 1.5\n".into(),
            "Cannot access memory at address 0x20000000".into(),
            "Cannot access memory at address 0x9000000".into(),
            "detached".into(),
        ];
        assert_in_order(&out, &expect, &format!("small guest, --tier {tier}"));
        let (status, _, err) = vm.finish(Duration::from_secs(60));
        assert_eq!(status.code(), Some(0), "--tier {tier}: the guest did not run to its power-off after detach: {err}");
    }
    let _ = std::fs::remove_dir_all(elf.parent().unwrap());
}

#[test]
fn bare_metal_hello_guests_arm_and_thumb() {
    require_gdb();
    let build = root().join("guest-images/baremetal/build");
    for (name, thumb) in [("hello-arm.elf", false), ("hello-thumb.elf", true)] {
        let elf = build.join(name);
        let bytes = std::fs::read(&elf).unwrap_or_else(|e| panic!("{}: {e}; run scripts/setup.sh", elf.display()));
        let s = symbols(&elf);
        let (start, main) = (s["_start"], s["main"]);
        let words = elf_words(&bytes, main, 2);
        for tier in tiers() {
            let vm = Vm::start(&["--gdb-wait", "--tier", tier, "--timeout", "120", "--kernel", elf.to_str().unwrap()]);
            let out = gdb(
                vm.port,
                &[
                    printf_pc("reset"),
                    "info registers".into(),
                    format!("break *0x{main:x}"),
                    "continue".into(),
                    printf_pc("main"),
                    format!("x/2xw 0x{main:x}"),
                    "stepi".into(),
                    printf_pc("step"),
                    "stepi".into(),
                    printf_pc("step"),
                    "detach".into(),
                ],
                None,
            );
            let t = if thumb { 0x20 } else { 0 };
            // main starts with two 4-byte instructions in both (Thumb: MOVW, STRD).
            let (s1, s2) = (main + 4, main + 8);
            let expect: Vec<String> = vec![
                format!("reset pc={start:x} mode=13 r0=0"),
                "cpsr           0x".into(),
                format!("Breakpoint 1, 0x{main:08x}"),
                format!("main pc={main:x} mode={:x}", 0x13 | t),
                format!("0x{main:x}:\t0x{:08x}\t0x{:08x}", words[0], words[1]),
                format!("step pc={s1:x}"),
                format!("step pc={s2:x}"),
                "detached".into(),
            ];
            assert_in_order(&out, &expect, &format!("{name}, --tier {tier}"));
            let (status, console, err) = vm.finish(Duration::from_secs(60));
            assert_eq!(status.code(), Some(0), "{name} --tier {tier} after detach: {err}");
            assert!(console.contains("Hello"), "{name} --tier {tier}: no greeting after detach: {console}");
        }
    }
}

#[test]
fn kill_from_gdb_stops_the_vm() {
    require_gdb();
    let elf = root().join("guest-images/baremetal/build/hello-thumb.elf");
    let vm = Vm::start(&["--gdb-wait", "--timeout", "120", "--kernel", elf.to_str().unwrap()]);
    let out = gdb(vm.port, &cmds(&["stepi", "kill"]), None);
    assert!(out.contains("killed") || out.contains("Remote connection closed"), "{out}");
    let (status, console, err) = vm.finish(Duration::from_secs(30));
    assert_ne!(status.code(), Some(0), "a killed guest should not look like a clean power-off");
    assert!(err.contains("killed from gdb"), "{err}");
    assert!(!console.contains("Hello"), "the guest ran on after kill: {console}");
}

/// TEXT_OFFSET from the zImage's `KLSZ` tag: the decompressed kernel runs at RAM + TEXT_OFFSET.
fn zimage_text_offset(k: &[u8]) -> u32 {
    let le = |o: usize| u32::from_le_bytes(k[o..o + 4].try_into().unwrap());
    assert_eq!(le(0x24), 0x016f_2818, "not a zImage");
    assert_eq!(le(0x34), 0x4545_4545, "the zImage has no tag table");
    let mut off = le(0x38) as usize;
    loop {
        let (hdr, tag) = (le(off), le(off + 4));
        assert!(hdr != 0, "no KLSZ tag in the zImage");
        if tag == 0x5a53_4c4b {
            return le(off + 16);
        }
        off += 4 * (hdr & 0xffff) as usize;
    }
}

#[test]
fn debian_kernel_zimage_entry_decompressed_entry_mmu_ctrl_c_and_detach() {
    require_gdb();
    let d = root().join("guest-images/debian/out");
    let (kernel, initrd) = (d.join("vmlinuz"), d.join("initramfs.cpio.gz"));
    let image = std::fs::read(&kernel).unwrap_or_else(|e| panic!("{}: {e}; run scripts/setup.sh", kernel.display()));
    assert!(initrd.exists(), "{} missing: run scripts/setup.sh", initrd.display());
    // QEMU's layout: the zImage at RAM + 64 KiB; the kernel at RAM + TEXT_OFFSET
    // (0x208000 for Debian's armmp, not the usual 0x8000), later at 0xc0000000 + TEXT_OFFSET.
    let zimage = 0x4001_0000u32;
    let text_offset = zimage_text_offset(&image);
    let entry = 0x4000_0000 + text_offset;
    let head: Vec<u32> = (0..4).map(|i| u32::from_le_bytes(image[4 * i..4 * i + 4].try_into().unwrap())).collect();
    let hex = |w: &[u32]| w.iter().map(|x| format!("0x{x:08x}")).collect::<Vec<_>>().join("\t");
    for tier in tiers() {
        // An initramfs that powers off at once: no workload of that name.
        let append = "console=ttyAMA0 cryptomgr.notests quiet panic=-1 hspt.script=gdb-test-none";
        let vm = Vm::start(&[
            "--gdb-wait", "--tier", if tier == "jit" { "auto" } else { tier }, "-m", "256", "--timeout", "600",
            "--append", append, "--initrd", initrd.to_str().unwrap(), "--kernel", kernel.to_str().unwrap(),
        ]);
        let out = gdb(
            vm.port,
            &[
                printf_pc("reset"),
                "printf \"boot r1=%x r2=%x\\n\", $r1, $r2".into(),
                format!("x/4xw 0x{zimage:x}"),
                "stepi".into(),
                "stepi".into(),
                printf_pc("steps"),
                format!("hbreak *0x{entry:x}"),
                "continue".into(),
                printf_pc("kernel"),
                "printf \"kernel r1=%x r2=%x\\n\", $r1, $r2".into(),
                format!("x/4xw 0x{entry:x}"),
                "stepi".into(),
                printf_pc("kernel-step"),
                "delete".into(),
                // The IRQ vector (high vectors, MMU on): the first interrupt the kernel takes.
                "break *0xffff0018".into(),
                "continue".into(),
                printf_pc("irq"),
                format!("x/4xw 0x{:x}", 0xc000_0000u32 + text_offset),
                "x/xw 0".into(),
                "stepi".into(),
                printf_pc("irq-step"),
                "delete".into(),
                "detach".into(),
            ],
            None,
        );
        let entry_words = out
            .split(&format!("0x{entry:x}:\t"))
            .nth(1)
            .and_then(|s| s.lines().next())
            .unwrap_or_else(|| panic!("no memory dump at the kernel entry:\n{out}"))
            .to_string();
        let expect: Vec<String> = vec![
            format!("reset pc={zimage:x} mode=13 r0=0"),
            "boot r1=ffffffff r2=".into(),
            format!("0x{zimage:x}:\t{}", hex(&head)),
            format!("steps pc={:x}", zimage + 8),
            format!("Breakpoint 1, 0x{entry:08x}"),
            // The Linux boot protocol: SVC mode, r0 = 0, r1 = ~0 (DT), r2 = the DTB.
            format!("kernel pc={entry:x} mode=13 r0=0"),
            "kernel r1=ffffffff r2=".into(),
            "kernel-step pc=".into(),
            "Breakpoint 2, 0xffff0018".into(),
            "irq pc=ffff0018 mode=12".into(),
            // Kernel text read through the guest's page tables: the bytes seen at its physical entry.
            format!("0x{:x}:\t{entry_words}", 0xc000_0000u32 + text_offset),
            "Cannot access memory at address 0x0".into(),
            "irq-step pc=ffff1".into(),
            "detached".into(),
        ];
        assert_in_order(&out, &expect, &format!("kernel, --tier {tier}"));

        // A second gdb attaches to the running guest (which stops), lets it go, and interrupts it.
        let out = gdb(
            vm.port,
            &[printf_pc("attached"), "continue".into(), printf_pc("interrupted"), "x/2i $pc".into(), "detach".into()],
            Some(Duration::from_secs(3)),
        );
        assert_in_order(
            &out,
            &cmds(&["attached pc=", "Program received signal SIGINT", "interrupted pc=", "=> 0x", "detached"]),
            &format!("kernel, attach and Ctrl-C, --tier {tier}"),
        );
        let (status, console, err) = vm.finish(Duration::from_secs(600));
        assert_eq!(status.code(), Some(0), "--tier {tier}: the kernel did not power off after detach: {err}\n{}", tail(&console));
        assert!(console.contains("HSPT-WORKLOAD-END"), "--tier {tier}: init did not run:\n{}", tail(&console));
    }
}
