//! `hspt bench`: the side-by-side comparison. Runs each workload under each configuration (hspt's
//! engines and memory organisations, qemu-system-arm, and the same programs built for the host) N times,
//! each run a separate process, and writes a markdown table, JSON with every figure and an SVG plot.
//!
//! A run that fails (bad exit status, timeout, missing result line) is recorded as failed with its reason;
//! it never stops the bench. Configurations that cannot run here (QEMU when it is not installed, aot-warm
//! when its training run or `hspt aot` failed) are shown as n/a.
//!
//! The translation-cache configurations (issue 6) are prepared before the measured runs: `aot-warm` from a
//! training run that records a profile (`--profile-out`) and `hspt aot --profile` of it; `jit-writeback`
//! from a cold training run with `--cache-write`. The measured runs then only read their cache.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use serde_json::{json, Value};

/// The kernel command line of the Debian guest, as guest-images/debian/run-qemu.sh gives it to QEMU.
const APPEND: &str = "console=ttyAMA0 cryptomgr.notests quiet panic=-1";
/// Guest RAM for the Debian guest (as run-qemu.sh) and for the bare-metal guests (QEMU's default).
const LINUX_MIB: &str = "512";
const BAREMETAL_MIB: &str = "128";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, ValueEnum)]
pub enum Workload {
    /// The CPU-bound bare-metal guests bench-arm.elf and bench-thumb.elf (time: the whole run).
    BareMetal,
    /// Debian's armmp kernel booting to /init (time: from start to /init's first console line).
    Boot,
    /// xz -6 compression and decompression in the Debian guest.
    Xz,
    /// Memory-heavy random access in one process: memrand (guest-images/debian/memrand.c) in the Debian guest.
    Memrand,
    /// gzip -6/-9 and gunzip in the Debian guest.
    Gzip,
    /// A CPU-bound Lua 5.4 program in the Debian guest.
    Lua,
    /// sqlite3: inserts, indexes, joins, updates in the Debian guest.
    Sqlite,
    /// 7-Zip's benchmark, `7zz b`, in the Debian guest.
    #[value(name = "7z")]
    SevenZip,
    /// Many short processes: fork/exec, pipelines, parallel jobs in the Debian guest.
    Multi,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::BareMetal => "bare-metal",
            Workload::Boot => "boot",
            Workload::Xz => "xz",
            Workload::Memrand => "memrand",
            Workload::Gzip => "gzip",
            Workload::Lua => "lua",
            Workload::Sqlite => "sqlite",
            Workload::SevenZip => "7z",
            Workload::Multi => "multi",
        }
    }
    fn is_debian(self) -> bool {
        !matches!(self, Workload::BareMetal)
    }
    /// What the figure in the table measures.
    fn measure(self) -> &'static str {
        match self {
            Workload::BareMetal => "host wall time of the whole run (both guests)",
            Workload::Boot => "host time from start to /init's first console line",
            Workload::SevenZip => "10000 / 7-Zip total rating (MIPS), by the guest's clock",
            _ => "guest clock, between the workload's start and end",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Against {
    Qemu,
    Native,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Workloads to run (default: all).
    #[arg(value_enum)]
    workloads: Vec<Workload>,
    /// Runs of each workload in each configuration (the table shows the median).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Directory for results.md, results.json and plot.svg.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
    /// References to compare with: qemu (qemu-system-arm), native (the same programs built for the host);
    /// default qemu,native (none with --suite spt).
    #[arg(long, value_enum, value_delimiter = ',')]
    against: Option<Vec<Against>>,
    /// hspt configurations to run (default: all): interp, jit, quick, auto, auto-noquick, aot-warm,
    /// jit-writeback, mmu-soft, spt-shared,
    /// spt-private, spt-group1, spt-group2, spt-group4, spt-group8, spt-group16 (all --tier interp), and
    /// under --tier auto mmu-soft-auto, mmu-soft-auto-tlb64k (--soft-tlb 65536), spt-private-auto,
    /// spt-shared-auto, spt-group1-auto ... spt-group16-auto. The spt-* and mmu-soft-auto* ones run the boot,
    /// memrand, xz and multi workloads only.
    #[arg(long, value_delimiter = ',')]
    configs: Vec<String>,
    /// A preset: `spt` sets the workloads, configurations and references of the memory-organisation bench
    /// (explicit workloads, --configs and --against still win).
    #[arg(long, value_enum, default_value = "all")]
    suite: Suite,
    /// Seconds before one run is stopped and marked failed.
    #[arg(long, default_value_t = 1200.0)]
    timeout: f64,
    /// Small guests for a quick check of the bench itself (bare-metal: the crc guests instead of bench).
    #[arg(long)]
    quick: bool,
    /// hspt configurations run the selected Debian workloads one after another in one guest per run
    /// (guest-images/debian/workloads/bench-session.sh): one boot instead of one per workload, and boot's
    /// figure is that boot. The --stats counters are then the whole session's. --suite spt sets it.
    #[arg(long)]
    one_guest: bool,
    /// With --one-guest: how many sessions (configurations) run at the same time within each run. More than
    /// 1 gets the bench more of a busy host's CPUs; the configurations still alternate run by run, and the
    /// CPU-time columns are the figures to read then.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=8))]
    jobs: u32,
}

// ------------------------------------------------------------------------------------------ configurations

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Hspt,
    Qemu,
    Native,
}

#[derive(Clone)]
struct Config {
    name: String,
    kind: Kind,
    /// Options added to `hspt run`.
    args: Vec<String>,
    /// Why the configuration cannot run here (shown as n/a).
    unavailable: Option<String>,
    /// What has to be made before its runs (a translation cache).
    prep: Prep,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prep {
    None,
    /// A profile from a training run, compiled by `hspt aot --profile`, used with `--cache`.
    Aot,
    /// A cold training run that writes its JIT code back (`--cache-write`), then used with `--cache`.
    WriteBack,
}

impl Config {
    fn hspt(name: &str, args: &[&str]) -> Config {
        Config { name: name.into(), kind: Kind::Hspt, args: args.iter().map(|s| s.to_string()).collect(), unavailable: None, prep: Prep::None }
    }
    fn applies_to(&self, w: Workload) -> bool {
        match self.kind {
            // The memory organisations matter where there are many address spaces (boot, multi) or much
            // memory traffic (memrand, xz); elsewhere they would only double the bench's time.
            Kind::Hspt if self.name.starts_with("spt-") || self.name.starts_with("mmu-soft-auto") => {
                matches!(w, Workload::Boot | Workload::Multi | Workload::Memrand | Workload::Xz)
            }
            // A warm start is a Linux matter (boot and the programs after it).
            Kind::Hspt if self.prep != Prep::None => w.is_debian(),
            Kind::Native => w != Workload::Boot,
            _ => true,
        }
    }
}

const SPT_GROUPS: [u32; 5] = [1, 2, 4, 8, 16];

fn all_hspt_configs() -> Vec<Config> {
    let mut v = vec![
        Config::hspt("interp", &["--tier", "interp"]),
        Config::hspt("jit", &["--tier", "jit"]),
        // Quick code alone (the template code generator, no LLVM), and the default tiering without it.
        Config::hspt("quick", &["--tier", "quick"]),
        Config::hspt("auto-noquick", &["--tier", "auto", "--quick-threshold", "off"]),
        // The default tiering, cold (no translation cache), and warm from one of the two kinds of cache.
        Config::hspt("auto", &["--tier", "auto"]),
        // Their --cache FILE is added once the cache is made (see `prepare_cache`).
        Config { prep: Prep::Aot, ..Config::hspt("aot-warm", &["--tier", "auto"]) },
        Config { prep: Prep::WriteBack, ..Config::hspt("jit-writeback", &["--tier", "auto"]) },
        Config::hspt("mmu-soft", &["--tier", "interp", "--mmu", "soft"]),
        Config::hspt("spt-shared", &["--tier", "interp", "--spt", "shared"]),
        Config::hspt("spt-private", &["--tier", "interp", "--spt", "private"]),
    ];
    v.extend(SPT_GROUPS.map(|n| Config::hspt(&format!("spt-group{n}"), &["--tier", "interp", "--spt", &format!("group={n}")])));
    // The same under the default tiering (interpreter, then the JIT for hot blocks): what a user gets. The
    // software MMU's compiled code looks its TLB up inline (as QEMU's does), so the comparison holds there too.
    v.push(Config::hspt("mmu-soft-auto", &["--tier", "auto", "--mmu", "soft"]));
    // ... and with a TLB of 65536 entries (256 MiB of reach: QEMU's TLB grows towards that under pressure).
    v.push(Config::hspt("mmu-soft-auto-tlb64k", &["--tier", "auto", "--mmu", "soft", "--soft-tlb", "65536"]));
    v.push(Config::hspt("spt-private-auto", &["--tier", "auto", "--spt", "private"]));
    v.push(Config::hspt("spt-shared-auto", &["--tier", "auto", "--spt", "shared"]));
    v.extend(SPT_GROUPS.map(|n| Config::hspt(&format!("spt-group{n}-auto"), &["--tier", "auto", "--spt", &format!("group={n}")])));
    v
}

/// `--suite spt` (issue 4): every memory organisation and the software MMU under the same tier, on the
/// workloads where memory virtualisation matters.
const SPT_SUITE_WORKLOADS: [Workload; 4] = [Workload::Boot, Workload::Memrand, Workload::Xz, Workload::Multi];
const SPT_SUITE_CONFIGS: [&str; 17] = [
    "mmu-soft",
    "spt-private",
    "spt-shared",
    "spt-group1",
    "spt-group2",
    "spt-group4",
    "spt-group8",
    "spt-group16",
    "mmu-soft-auto",
    "mmu-soft-auto-tlb64k",
    "spt-private-auto",
    "spt-shared-auto",
    "spt-group1-auto",
    "spt-group2-auto",
    "spt-group4-auto",
    "spt-group8-auto",
    "spt-group16-auto",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Suite {
    /// Every workload and configuration (the default).
    All,
    /// The memory organisations: boot, memrand, xz and multi under mmu-soft, spt-private, spt-shared,
    /// spt-group1/2/4/8/16 (all --tier interp) and mmu-soft-auto, mmu-soft-auto-tlb64k, spt-private-auto,
    /// spt-shared-auto, spt-group1/2/4/8/16-auto (--tier auto); no qemu/native unless --against.
    Spt,
}

// ------------------------------------------------------------------------------------------ running one process

/// What a finished (or stopped) process left: its console lines with the host time each arrived.
struct Captured {
    status: Option<ExitStatus>,
    timed_out: bool,
    wall_s: f64,
    lines: Vec<(f64, String)>,
    /// For the marker lines (those starting "HSPT-"): the process's CPU time (user + system, all its
    /// threads) when the line arrived, by its /proc/PID/stat.
    marks: Vec<(String, f64)>,
    stderr: String,
}

/// CPU time (user + system) of process `pid` so far, in seconds, from /proc/PID/stat.
fn process_cpu_s(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // after "pid (comm) ": state is field 3, utime and stime are fields 14 and 15
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some(ticks as f64 / if hz > 0 { hz as f64 } else { 100.0 })
}

impl Captured {
    /// The process CPU time (s) at the first marker line satisfying `pred`.
    fn mark_cpu(&self, pred: impl Fn(&str) -> bool) -> Option<f64> {
        self.marks.iter().find(|(l, _)| pred(l)).map(|(_, c)| *c)
    }
    fn first_line(&self, pred: impl Fn(&str) -> bool) -> Option<(f64, &str)> {
        self.lines.iter().find(|(_, l)| pred(l)).map(|(t, l)| (*t, l.as_str()))
    }
    /// Stopped by our deadline, or by hspt's or timeout(1)'s own (exit status 124).
    fn stopped_by_timeout(&self) -> bool {
        self.timed_out || self.status.and_then(|s| s.code()) == Some(124)
    }
    /// A one-line reason for a failed run: the exit, and the last thing it said.
    fn failure(&self, timeout: f64) -> String {
        let last = self
            .stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .or_else(|| self.lines.iter().rev().map(|(_, l)| l.as_str()).find(|l| !l.trim().is_empty()))
            .unwrap_or("")
            .trim();
        let what = if self.stopped_by_timeout() {
            format!("timed out after {timeout} s")
        } else {
            match self.status.and_then(|s| s.code()) {
                Some(c) => format!("exit status {c}"),
                None => match self.status.and_then(|s| std::os::unix::process::ExitStatusExt::signal(&s)) {
                    Some(sig) => format!("killed by signal {sig}"),
                    None => "no exit status".to_string(),
                },
            }
        };
        if last.is_empty() { what } else { format!("{what}: {}", truncate(last, 160)) }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}

/// Runs `cmd` in its own process group with stdin from /dev/null, reading its stdout line by line as it
/// streams (each line stamped with the host time since the start), killing the group after `timeout`.
fn run_captured(cmd: &mut Command, timeout: f64) -> std::io::Result<Captured> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_thread = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut marks = Vec::new();
        let mut r = BufReader::new(stdout);
        let mut buf = Vec::new();
        while let Ok(n) = r.read_until(b'\n', &mut buf) {
            if n == 0 {
                break;
            }
            let t = start.elapsed().as_secs_f64();
            let s = String::from_utf8_lossy(&buf);
            let s = s.trim_end_matches(['\n', '\r']).to_string();
            if s.starts_with("HSPT-") && marks.len() < 1000 {
                if let Some(c) = process_cpu_s(pid) {
                    marks.push((s.clone(), c));
                }
            }
            if lines.len() < 100_000 {
                lines.push((t, s));
            }
            buf.clear();
        }
        (lines, marks)
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        let s = String::from_utf8_lossy(&s).into_owned();
        // the end is what explains a failure
        let cut = s.len().saturating_sub(8192);
        let cut = (cut..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(s.len());
        s[cut..].to_string()
    });
    let deadline = Duration::from_secs_f64(timeout);
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break Some(st);
        }
        if start.elapsed() > deadline {
            timed_out = true;
            // SAFETY: kill(2) on the child's own process group (process_group(0) above); no memory involved.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall_s = start.elapsed().as_secs_f64();
    // Anything the process left behind in its group goes too, so the pipes close.
    // SAFETY: as above.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    let (lines, marks) = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Captured { status, timed_out, wall_s, lines, marks, stderr })
}

// ------------------------------------------------------------------------------------------ one run

#[derive(Default, Clone)]
struct RunResult {
    /// The figure the table uses (seconds), when the run succeeded.
    value_s: Option<f64>,
    failure: Option<String>,
    /// Host wall time of the whole run (all its processes).
    host_s: f64,
    /// What the workload's HSPT-BENCH line said (guest clock).
    guest_s: Option<f64>,
    /// Host time from the start to /init's first console line (Debian guest).
    init_s: Option<f64>,
    /// CPU time of the process (all its threads) between the workload's HSPT-BENCH-BEGIN and HSPT-BENCH
    /// lines; for boot, from the start to /init's first line.
    work_cpu_s: Option<f64>,
    /// HSPT-BENCH-INFO lines.
    info: Vec<String>,
    /// hspt's --stats JSON, one per process.
    stats: Vec<Value>,
    /// The run was stopped by --timeout.
    timed_out: bool,
    /// The end of the console when the run failed (what the guest was doing).
    console_tail: Vec<String>,
}

impl RunResult {
    /// CPU time of hspt's VM thread(s), from --stats (summed over the run's processes).
    fn cpu_s(&self) -> Option<f64> {
        let v: Vec<f64> = self.stats.iter().filter_map(|s| s["vm_thread_cpu_s"].as_f64()).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    }
    fn failed(reason: impl Into<String>) -> RunResult {
        RunResult { failure: Some(reason.into()), ..Default::default() }
    }
    fn to_json(&self) -> Value {
        json!({
            "ok": self.failure.is_none(),
            "value_s": self.value_s,
            "failure": self.failure,
            "host_s": self.host_s,
            "guest_s": self.guest_s,
            "init_s": self.init_s,
            "vm_thread_cpu_s": self.cpu_s(),
            "work_cpu_s": self.work_cpu_s,
            "info": self.info,
            "stats": self.stats,
            "console_tail": self.console_tail,
        })
    }
}

/// Paths and tools found before the runs start.
struct Env {
    hspt: PathBuf,
    root: PathBuf,
    timeout: f64,
    quick: bool,
    scratch: PathBuf,
    /// The Debian kernel and the bench initramfs, or why they are missing.
    debian: Result<(PathBuf, PathBuf), String>,
    /// The extracted amd64 tree for the native column, or why it is missing.
    native_root: Result<PathBuf, String>,
    /// The bare-metal bench built for the host, or why not.
    native_baremetal: Result<PathBuf, String>,
    /// memrand built for the host, or why not.
    native_memrand: Result<PathBuf, String>,
}

impl Env {
    fn debian_dir(&self) -> PathBuf {
        self.root.join("guest-images/debian")
    }
    fn baremetal_guests(&self) -> Vec<PathBuf> {
        let name = if self.quick { "crc" } else { "bench" };
        ["arm", "thumb"].iter().map(|isa| self.root.join(format!("guest-images/baremetal/build/{name}-{isa}.elf"))).collect()
    }
}

/// Marker of the first line /init prints (the kernel's own "Run /init" is hidden by `quiet`).
fn is_init_line(l: &str) -> bool {
    l.starts_with("HSPT-WORKLOAD-BEGIN") || l.contains("Run /init as init process")
}

/// Reads the workload's result lines from a Debian guest's (or the native script's) output.
fn debian_result(w: Workload, cap: &Captured, timeout: f64, mut r: RunResult) -> RunResult {
    r.host_s = cap.wall_s;
    r.init_s = cap.first_line(is_init_line).map(|(t, _)| t);
    let tag = format!("HSPT-BENCH {} ", w.name());
    r.guest_s = cap.first_line(|l| l.starts_with(&tag)).and_then(|(_, l)| l[tag.len()..].trim().parse::<f64>().ok());
    r.info = cap.lines.iter().filter(|(_, l)| l.starts_with("HSPT-BENCH-INFO ")).map(|(_, l)| l.clone()).collect();
    r.work_cpu_s = if w == Workload::Boot {
        cap.mark_cpu(is_init_line)
    } else {
        let begin = format!("HSPT-BENCH-BEGIN {}", w.name());
        match (cap.mark_cpu(|l| l.trim_end() == begin), cap.mark_cpu(|l| l.starts_with(&tag))) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        }
    };
    let end_status = cap
        .first_line(|l| l.starts_with("HSPT-WORKLOAD-END"))
        .and_then(|(_, l)| l.rsplit("status=").next().and_then(|s| s.trim().parse::<i32>().ok()));
    let ok_exit = cap.status.map(|s| s.success()).unwrap_or(false);
    r.timed_out = cap.stopped_by_timeout();
    if !ok_exit {
        r.failure = Some(cap.failure(timeout));
    } else if end_status.is_some_and(|s| s != 0) {
        let last = cap.lines.iter().rev().map(|(_, l)| l.as_str()).find(|l| !l.starts_with("HSPT-WORKLOAD-END"));
        r.failure = Some(format!("workload exit status {}: {}", end_status.unwrap_or(-1), truncate(last.unwrap_or(""), 160)));
    } else if w == Workload::Boot {
        match r.init_s {
            Some(t) => r.value_s = Some(t),
            None => r.failure = Some("/init never printed its first line".into()),
        }
    } else {
        match r.guest_s {
            Some(t) => r.value_s = Some(t),
            None => r.failure = Some(format!("no '{}' line in the output", tag.trim())),
        }
    }
    if r.failure.is_some() {
        r.console_tail = console_tail(cap);
    }
    r
}

fn console_tail(cap: &Captured) -> Vec<String> {
    cap.lines.iter().rev().take(20).rev().map(|(_, l)| l.clone()).collect()
}

fn read_stats(path: &Path) -> Option<Value> {
    let s = std::fs::read_to_string(path).ok()?;
    let _ = std::fs::remove_file(path);
    serde_json::from_str(&s).ok()
}

fn run_once(env: &Env, w: Workload, c: &Config, run: u32) -> RunResult {
    match c.kind {
        Kind::Hspt => run_hspt(env, w, c, run),
        Kind::Qemu => run_qemu(env, w),
        Kind::Native => run_native(env, w),
    }
}

fn run_hspt(env: &Env, w: Workload, c: &Config, run: u32) -> RunResult {
    let stats_path = env.scratch.join(format!("stats-{}-{}-{run}.json", w.name(), c.name));
    let base = |cmd: &mut Command| {
        cmd.arg("run").args(&c.args).arg("--timeout").arg(format!("{}", env.timeout)).arg("--stats").arg(&stats_path);
    };
    if w == Workload::BareMetal {
        let mut r = RunResult::default();
        for elf in env.baremetal_guests() {
            let mut cmd = Command::new(&env.hspt);
            base(&mut cmd);
            cmd.args(["-m", BAREMETAL_MIB]).arg("--kernel").arg(&elf);
            let cap = match run_captured(&mut cmd, env.timeout + 30.0) {
                Ok(c) => c,
                Err(e) => return RunResult::failed(format!("cannot start {}: {e}", env.hspt.display())),
            };
            r.host_s += cap.wall_s;
            r.stats.extend(read_stats(&stats_path));
            if let Some(f) = baremetal_failure(&cap, env.timeout, &elf) {
                r.failure = Some(f);
                r.console_tail = console_tail(&cap);
                return r;
            }
        }
        r.value_s = Some(r.host_s);
        return r;
    }
    let (kernel, initrd) = match &env.debian {
        Ok(p) => p,
        Err(e) => return RunResult::failed(e.clone()),
    };
    let mut cmd = Command::new(&env.hspt);
    base(&mut cmd);
    cmd.args(["-m", LINUX_MIB]).arg("--kernel").arg(kernel).arg("--initrd").arg(initrd);
    cmd.arg("--append").arg(format!("{APPEND} hspt.script=bench-{}", w.name()));
    let cap = match run_captured(&mut cmd, env.timeout + 30.0) {
        Ok(c) => c,
        Err(e) => return RunResult::failed(format!("cannot start {}: {e}", env.hspt.display())),
    };
    let mut r = RunResult::default();
    r.stats.extend(read_stats(&stats_path));
    debian_result(w, &cap, env.timeout, r)
}

/// One guest boot running several Debian workloads in turn (`--one-guest`): a result for each, read from
/// the same console; each carries the whole session's --stats.
fn run_hspt_session(env: &Env, ws: &[Workload], c: &Config, run: u32) -> Vec<(Workload, RunResult)> {
    let (kernel, initrd) = match &env.debian {
        Ok(p) => p,
        Err(e) => return ws.iter().map(|&w| (w, RunResult::failed(e.clone()))).collect(),
    };
    let stats_path = env.scratch.join(format!("stats-session-{}-{run}.json", c.name));
    let list: Vec<&str> = ws.iter().map(|w| w.name()).collect();
    let mut cmd = Command::new(&env.hspt);
    cmd.arg("run").args(&c.args).arg("--timeout").arg(format!("{}", env.timeout)).arg("--stats").arg(&stats_path);
    cmd.args(["-m", LINUX_MIB]).arg("--kernel").arg(kernel).arg("--initrd").arg(initrd);
    cmd.arg("--append").arg(format!("{APPEND} hspt.script=bench-session hspt.bench={}", list.join(",")));
    let cap = match run_captured(&mut cmd, env.timeout + 30.0) {
        Ok(c) => c,
        Err(e) => {
            let why = format!("cannot start {}: {e}", env.hspt.display());
            return ws.iter().map(|&w| (w, RunResult::failed(why.clone()))).collect();
        }
    };
    let stats: Vec<Value> = read_stats(&stats_path).into_iter().collect();
    ws.iter()
        .map(|&w| {
            let r = RunResult { stats: stats.clone(), ..Default::default() };
            (w, debian_result(w, &cap, env.timeout, r))
        })
        .collect()
}

/// Makes the translation cache of configuration `c` (aot-warm or jit-writeback) for workloads `ws` by
/// training runs (one guest for all of them with --one-guest, else one per workload), and for aot-warm
/// `hspt aot --profile` of what they ran. Returns the options that make a run use it, and what was done.
fn prepare_cache(env: &Env, c: &Config, ws: &[Workload], one_guest: bool) -> Result<(Vec<String>, String), String> {
    let cache = env.scratch.join(format!("{}.cache", c.name));
    let _ = std::fs::remove_file(&cache);
    let started = Instant::now();
    let mut profiles = Vec::new();
    let mut trainings: Vec<(String, Config)> = Vec::new();
    let groups: Vec<Vec<Workload>> = if one_guest { vec![ws.to_vec()] } else { ws.iter().map(|&w| vec![w]).collect() };
    for (i, g) in groups.iter().enumerate() {
        let mut t = Config { name: format!("{}-training{i}", c.name), prep: Prep::None, ..c.clone() };
        match c.prep {
            Prep::Aot => {
                let p = env.scratch.join(format!("{}-{i}.profile", c.name));
                let _ = std::fs::remove_file(&p);
                t.args.extend(["--profile-out".to_string(), p.display().to_string()]);
                profiles.push(p);
            }
            Prep::WriteBack => t.args.extend(["--cache".to_string(), cache.display().to_string(), "--cache-write".to_string()]),
            Prep::None => {}
        }
        trainings.push((g.iter().map(|w| w.name()).collect::<Vec<_>>().join(","), t));
    }
    for ((names, t), g) in trainings.iter().zip(&groups) {
        let results = if one_guest {
            run_hspt_session(env, g, t, 0)
        } else {
            g.iter().map(|&w| (w, run_hspt(env, w, t, 0))).collect()
        };
        if let Some((w, f)) = results.iter().find_map(|(w, r)| r.failure.as_ref().map(|f| (w, f))) {
            return Err(format!("its training run ({names}) failed on {}: {}", w.name(), truncate(f, 160)));
        }
    }
    let trained = started.elapsed().as_secs_f64();
    let mut note = format!("training run(s) {trained:.1} s");
    if c.prep == Prep::Aot {
        let mut cmd = Command::new(&env.hspt);
        cmd.args(["aot", "-q", "-o"]).arg(&cache);
        for p in &profiles {
            cmd.arg("--profile").arg(p);
        }
        let t = Instant::now();
        let out = cmd.output().map_err(|e| format!("cannot start hspt aot: {e}"))?;
        let wall = t.elapsed().as_secs_f64();
        let err = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("hspt aot failed: {}", truncate(err.trim(), 200)));
        }
        let summary = err.lines().rev().find(|l| l.starts_with("hspt aot:")).unwrap_or("").trim_start_matches("hspt aot: ");
        note.push_str(&format!("; `hspt aot --profile` {wall:.1} s wall: {summary}"));
    }
    let size = std::fs::metadata(&cache).map_err(|e| format!("no cache was written ({}: {e})", cache.display()))?.len();
    note.push_str(&format!("; cache {:.1} MB", size as f64 / 1e6));
    Ok((vec!["--cache".into(), cache.display().to_string()], note))
}

/// None when a bare-metal guest passed its self-check and powered off.
fn baremetal_failure(cap: &Captured, timeout: f64, elf: &Path) -> Option<String> {
    let name = elf.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if !cap.status.map(|s| s.success()).unwrap_or(false) {
        return Some(format!("{name}: {}", cap.failure(timeout)));
    }
    if cap.first_line(|l| l.starts_with("PASS ")).is_none() {
        let last = cap.lines.last().map(|(_, l)| l.as_str()).unwrap_or("no output");
        return Some(format!("{name}: no PASS line ({})", truncate(last, 120)));
    }
    None
}

fn run_qemu(env: &Env, w: Workload) -> RunResult {
    if w == Workload::BareMetal {
        let mut r = RunResult::default();
        for elf in env.baremetal_guests() {
            // as guest-images/baremetal/run-qemu.sh
            let mut cmd = Command::new("qemu-system-arm");
            cmd.args(["-M", "virt", "-cpu", "cortex-a15", "-m", BAREMETAL_MIB, "-nographic", "-monitor", "none"]);
            cmd.args(["-serial", "stdio", "-nodefaults", "-no-reboot", "-kernel"]).arg(&elf);
            let cap = match run_captured(&mut cmd, env.timeout) {
                Ok(c) => c,
                Err(e) => return RunResult::failed(format!("cannot start qemu-system-arm: {e}")),
            };
            r.host_s += cap.wall_s;
            if let Some(f) = baremetal_failure(&cap, env.timeout, &elf) {
                r.failure = Some(f);
                return r;
            }
        }
        r.value_s = Some(r.host_s);
        return r;
    }
    let (_, initrd) = match &env.debian {
        Ok(p) => p,
        Err(e) => return RunResult::failed(e.clone()),
    };
    // The reference command line lives in run-qemu.sh (which execs QEMU, so the timing is QEMU's own).
    let mut cmd = Command::new("bash");
    cmd.arg(env.debian_dir().join("run-qemu.sh")).arg("--script").arg(format!("bench-{}", w.name()));
    cmd.arg("--timeout").arg(format!("{}", env.timeout.ceil() as u64)).arg(initrd);
    match run_captured(&mut cmd, env.timeout + 30.0) {
        Ok(cap) => debian_result(w, &cap, env.timeout, RunResult::default()),
        Err(e) => RunResult::failed(format!("cannot start run-qemu.sh: {e}")),
    }
}

fn run_native(env: &Env, w: Workload) -> RunResult {
    if w == Workload::BareMetal {
        let exe = match &env.native_baremetal {
            Ok(p) => p,
            Err(e) => return RunResult::failed(e.clone()),
        };
        // The same program twice, as the guest side runs it twice (ARM and Thumb builds).
        let mut r = RunResult::default();
        for _ in 0..2 {
            let cap = match run_captured(&mut Command::new(exe), env.timeout) {
                Ok(c) => c,
                Err(e) => return RunResult::failed(format!("cannot start {}: {e}", exe.display())),
            };
            r.host_s += cap.wall_s;
            if let Some(f) = baremetal_failure(&cap, env.timeout, exe) {
                r.failure = Some(f);
                return r;
            }
        }
        r.value_s = Some(r.host_s);
        return r;
    }
    let root = match &env.native_root {
        Ok(p) => p,
        Err(e) => return RunResult::failed(e.clone()),
    };
    let dir = env.scratch.join(format!("native-{}", w.name()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return RunResult::failed(format!("cannot create {}: {e}", dir.display()));
    }
    let script = env.debian_dir().join(format!("workloads/bench-{}.sh", w.name()));
    let mut cmd = Command::new(root.join("bin/busybox"));
    cmd.arg("sh").arg(&script).current_dir(&dir).env("HSPT_NATIVE_ROOT", root);
    if w == Workload::Memrand {
        match &env.native_memrand {
            Ok(p) => {
                cmd.env("HSPT_NATIVE_MEMRAND", p);
            }
            Err(e) => return RunResult::failed(e.clone()),
        }
    }
    let r = match run_captured(&mut cmd, env.timeout) {
        Ok(cap) => debian_result(w, &cap, env.timeout, RunResult::default()),
        Err(e) => RunResult::failed(format!("cannot start {}: {e}", root.join("bin/busybox").display())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    r
}

// ------------------------------------------------------------------------------------------ preparation

/// The repository (for guest-images/): searched upwards from the current directory and from the
/// executable, then where this binary was built from.
fn find_root() -> Option<PathBuf> {
    let has = |p: &Path| p.join("guest-images/debian/workloads").is_dir();
    let mut starts = Vec::new();
    if let Ok(d) = std::env::current_dir() {
        starts.push(d);
    }
    if let Ok(e) = std::env::current_exe() {
        starts.push(e);
    }
    for s in starts {
        if let Some(p) = s.ancestors().find(|p| has(p)) {
            return Some(p.to_path_buf());
        }
    }
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    has(&built).then_some(built)
}

fn newest_mtime(paths: &[PathBuf]) -> Option<std::time::SystemTime> {
    paths.iter().filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok()).max()
}

/// The Debian kernel and an initramfs holding the current bench workloads (rebuilt when a workload
/// script, /init or the image builder is newer than it).
fn prepare_debian(root: &Path) -> Result<(PathBuf, PathBuf), String> {
    let d = root.join("guest-images/debian");
    let kernel = d.join("out/vmlinuz");
    if !kernel.exists() || !d.join("work/rootfs/bin/busybox").exists() {
        return Err(format!("{} missing: run guest-images/debian/fetch.sh (or scripts/setup.sh)", kernel.display()));
    }
    let image = d.join("out/initramfs-bench.cpio.gz");
    let mut inputs = vec![
        d.join("init"),
        d.join("build-initramfs.sh"),
        d.join("imgtool.py"),
        d.join("memrand.c"),
        d.join("out/manifest.txt"),
    ];
    if let Ok(rd) = std::fs::read_dir(d.join("workloads")) {
        inputs.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    let image_time = std::fs::metadata(&image).and_then(|m| m.modified()).ok();
    if image_time.is_none() || newest_mtime(&inputs) > image_time {
        eprintln!("bench: building {} (the Debian guest with the bench workloads)", image.display());
        let o = Command::new("bash")
            .arg(d.join("build-initramfs.sh"))
            .arg("-o")
            .arg(&image)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run build-initramfs.sh: {e}"))?;
        if !o.status.success() {
            return Err(format!("build-initramfs.sh failed: {}", String::from_utf8_lossy(&o.stderr).trim()));
        }
    }
    Ok((kernel, image))
}

/// The amd64 tree for the native column, fetched by fetch-native.sh the first time.
fn prepare_native(root: &Path, log: &Path) -> Result<PathBuf, String> {
    let d = root.join("guest-images/debian");
    let tree = d.join("work/native/rootfs");
    if !tree.join("bin/busybox").exists() {
        eprintln!("bench: fetching Debian's amd64 builds of the programs (guest-images/debian/fetch-native.sh)");
        let f = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let st = Command::new("bash")
            .arg(d.join("fetch-native.sh"))
            .stdin(Stdio::null())
            .stdout(f.try_clone().map_err(|e| e.to_string())?)
            .stderr(f)
            .status()
            .map_err(|e| format!("cannot run fetch-native.sh: {e}"))?;
        if !st.success() {
            let tail = std::fs::read_to_string(log).unwrap_or_default();
            let last = tail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_string();
            return Err(format!("guest-images/debian/fetch-native.sh failed: {}", truncate(&last, 160)));
        }
    }
    Ok(tree)
}

/// The bare-metal bench program compiled for the host (as guest-images/baremetal/gen/host-run.sh does).
fn prepare_native_baremetal(root: &Path, out: &Path, quick: bool) -> Result<PathBuf, String> {
    let b = root.join("guest-images/baremetal");
    let name = if quick { "crc" } else { "bench" };
    let exe = out.join(format!("native-{name}"));
    let o = Command::new("gcc")
        .args(["-DHOST", "-O2", "-funsigned-char", "-fno-builtin", "-fno-math-errno", "-ffp-contract=off"])
        .arg("-fno-strict-aliasing")
        .arg("-I")
        .arg(b.join("rt"))
        .arg(b.join("rt/rt.c"))
        .arg(b.join(format!("tests/{name}.c")))
        .arg("-o")
        .arg(&exe)
        .arg("-lm")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run gcc (needed to build the bare-metal bench for the host): {e}"))?;
    if !o.status.success() {
        return Err(format!("gcc failed on tests/{name}.c: {}", truncate(String::from_utf8_lossy(&o.stderr).trim(), 200)));
    }
    Ok(exe)
}

/// memrand (guest-images/debian/memrand.c) compiled for the host.
fn prepare_native_memrand(root: &Path, out: &Path) -> Result<PathBuf, String> {
    let exe = out.join("memrand-host"); // not native-memrand: the workload's scratch directory is called that
    let o = Command::new("gcc")
        .arg("-O2")
        .arg(root.join("guest-images/debian/memrand.c"))
        .arg("-o")
        .arg(&exe)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run gcc (needed to build memrand for the host): {e}"))?;
    if !o.status.success() {
        return Err(format!("gcc failed on memrand.c: {}", truncate(String::from_utf8_lossy(&o.stderr).trim(), 200)));
    }
    Ok(exe)
}

/// The host's vm.max_map_count (what HSPT's mappings are held under).
fn host_max_map_count() -> u64 {
    std::fs::read_to_string("/proc/sys/vm/max_map_count").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(65530)
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(program).args(args).stdin(Stdio::null()).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim().to_string())
}

fn host_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string())))
        .unwrap_or_else(|| "Linux".into());
    // other work on the host slows every column; say how busy it was when the bench started
    let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next().map(str::to_string));
    format!("{cpu}, {n} CPUs, {os}{}", load.map(|l| format!(", load average {l} at the start")).unwrap_or_default())
}

// ------------------------------------------------------------------------------------------ cells and report

enum Cell {
    /// The configuration does not apply to this workload (not run, by design).
    NotRun,
    /// The configuration cannot run here.
    NotAvailable(String),
    Runs(Vec<RunResult>),
}

struct Summary {
    median: f64,
    min: f64,
    max: f64,
}

impl Cell {
    /// The figures of the successful runs, or the first failure when any run failed.
    fn summary(&self) -> Option<Result<Summary, String>> {
        let Cell::Runs(runs) = self else { return None };
        if runs.is_empty() {
            return None;
        }
        if let Some(f) = runs.iter().find_map(|r| r.failure.clone()) {
            let n = runs.iter().filter(|r| r.failure.is_some()).count();
            return Some(Err(if runs.len() > 1 { format!("{n} of {} runs failed; {f}", runs.len()) } else { f }));
        }
        let mut v: Vec<f64> = runs.iter().filter_map(|r| r.value_s).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        if v.is_empty() {
            return Some(Err("no figure".into()));
        }
        let m = v.len() / 2;
        let median = if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 };
        Some(Ok(Summary { median, min: v[0], max: v[v.len() - 1] }))
    }
}

struct Bench {
    workloads: Vec<Workload>,
    configs: Vec<Config>,
    /// cells[(workload index, config index)]
    cells: BTreeMap<(usize, usize), Cell>,
    runs: u32,
    date: String,
    host: String,
    qemu_version: Option<String>,
    hspt_version: String,
    quick: bool,
    /// hspt configurations ran the Debian workloads in one guest per run (--one-guest).
    one_guest: bool,
    /// How the translation caches were made (configuration name, what was done).
    cache_notes: Vec<(String, String)>,
}

impl Bench {
    fn reference(&self, wi: usize) -> Option<(String, f64)> {
        for kind in [Kind::Native, Kind::Qemu] {
            if let Some(ci) = self.configs.iter().position(|c| c.kind == kind) {
                if let Some(Some(Ok(s))) = self.cells.get(&(wi, ci)).map(|c| c.summary()) {
                    return Some((self.configs[ci].name.clone(), s.median));
                }
            }
        }
        None
    }

    fn native_median(&self, wi: usize) -> Option<f64> {
        let ci = self.configs.iter().position(|c| c.kind == Kind::Native)?;
        match self.cells.get(&(wi, ci)).map(|c| c.summary()) {
            Some(Some(Ok(s))) => Some(s.median),
            _ => None,
        }
    }

    fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# hspt bench\n");
        let _ = writeln!(
            s,
            "{} · {} · {} · {} run{} per cell{}\n",
            self.date,
            self.host,
            self.qemu_version.as_deref().unwrap_or("qemu-system-arm not installed"),
            self.runs,
            if self.runs == 1 { "" } else { "s" },
            if self.quick { " · --quick (small bare-metal guests)" } else { "" }
        );
        let _ = writeln!(s, "{}\n", self.hspt_version);
        let _ = writeln!(
            s,
            "Median seconds (lower is better) and, in parentheses, the ratio to native. \
             n/a: cannot run here; –: not run for this workload; failed: see the notes.\n"
        );
        s.push_str("| workload |");
        for c in &self.configs {
            let _ = write!(s, " {} |", c.name);
        }
        s.push_str("\n| --- |");
        for _ in &self.configs {
            s.push_str(" ---: |");
        }
        s.push('\n');
        let mut notes: Vec<String> = Vec::new();
        for (wi, w) in self.workloads.iter().enumerate() {
            let _ = write!(s, "| {} |", w.name());
            let native = self.native_median(wi);
            for (ci, c) in self.configs.iter().enumerate() {
                let text = match self.cells.get(&(wi, ci)) {
                    None | Some(Cell::NotRun) => "–".to_string(),
                    Some(Cell::NotAvailable(_)) => "n/a".to_string(),
                    Some(cell) => match cell.summary() {
                        None => "–".to_string(),
                        Some(Ok(sm)) => match native {
                            Some(n) if n > 0.0 && c.kind != Kind::Native => format!("{:.2} s ({:.1}×)", sm.median, sm.median / n),
                            _ => format!("{:.2} s", sm.median),
                        },
                        Some(Err(reason)) => {
                            notes.push(format!("{} / {}: {}", w.name(), c.name, reason));
                            format!("failed [{}]", notes.len())
                        }
                    },
                };
                let _ = write!(s, " {text} |");
            }
            s.push('\n');
        }
        s.push_str("\nWhat each row measures:\n\n");
        for w in &self.workloads {
            let _ = writeln!(s, "- {}: {}", w.name(), w.measure());
        }
        s.push_str("\nConfigurations:\n\n");
        for c in &self.configs {
            let what = match (&c.unavailable, c.kind) {
                (Some(why), _) => format!("n/a: {why}"),
                (None, Kind::Hspt) => format!("`hspt run {}`", c.args.join(" ")),
                (None, Kind::Qemu) => "qemu-system-arm -M virt -cpu cortex-a15 (guest-images/debian/run-qemu.sh)".into(),
                (None, Kind::Native) => {
                    "Debian's amd64 builds of the same programs, the same scripts under busybox sh \
                     (guest-images/debian/fetch-native.sh); bare-metal: its C source built with gcc -O2"
                        .into()
                }
            };
            let _ = writeln!(s, "- {}: {what}", c.name);
        }
        s.push_str(&self.memory_section());
        s.push_str(&self.cache_section());
        if !notes.is_empty() {
            s.push_str("\nFailures:\n\n");
            for (i, n) in notes.iter().enumerate() {
                let _ = writeln!(s, "{}. {}", i + 1, n.replace('|', "\\|"));
            }
        }
        s
    }

    /// The successful runs of a cell.
    fn ok_runs(&self, wi: usize, ci: usize) -> Vec<&RunResult> {
        match self.cells.get(&(wi, ci)) {
            Some(Cell::Runs(v)) => v.iter().filter(|r| r.failure.is_none()).collect(),
            _ => vec![],
        }
    }

    fn median_of(mut v: Vec<f64>) -> Option<f64> {
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let m = v.len() / 2;
        Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
    }

    fn median_time(&self, wi: usize, ci: usize) -> Option<f64> {
        Self::median_of(self.ok_runs(wi, ci).iter().filter_map(|r| r.value_s).collect())
    }

    fn median_cpu(&self, wi: usize, ci: usize) -> Option<f64> {
        Self::median_of(self.ok_runs(wi, ci).iter().filter_map(|r| r.cpu_s()).collect())
    }

    fn median_work_cpu(&self, wi: usize, ci: usize) -> Option<f64> {
        Self::median_of(self.ok_runs(wi, ci).iter().filter_map(|r| r.work_cpu_s).collect())
    }

    /// Median over the successful runs of a counter of hspt's --stats (summed over a run's processes).
    fn median_stat(&self, wi: usize, ci: usize, path: &[&str]) -> Option<f64> {
        let per_run = |r: &&RunResult| -> Option<f64> {
            let v: Vec<f64> = r
                .stats
                .iter()
                .filter_map(|st| path.iter().try_fold(st, |v, k| v.get(*k)).and_then(|v| v.as_f64()))
                .collect();
            (!v.is_empty()).then(|| v.iter().sum())
        };
        Self::median_of(self.ok_runs(wi, ci).iter().filter_map(per_run).collect())
    }

    /// Cold JIT against the warm starts (issue 6): per Debian workload, time, time to /init, and the blocks
    /// JIT-compiled as a share of the distinct blocks the run executed.
    fn cache_section(&self) -> String {
        let mut s = String::new();
        let names = ["auto", "aot-warm", "jit-writeback"];
        let cols: Vec<usize> = names.iter().filter_map(|n| self.configs.iter().position(|c| c.name == *n)).collect();
        if !cols.iter().any(|&ci| self.configs[ci].prep != Prep::None) {
            return s;
        }
        let _ = writeln!(
            s,
            "\n## Translation cache\n\n\
             A cold start under the default tiering (`auto`: no cache) against a warm start from `hspt aot --profile` (`aot-warm`) and from the JIT's own \
             code written back by a cold run (`jit-writeback`). Medians over the runs: the workload's time (as in \
             the table), the host time from the start to /init's first line, the whole run's wall time, and the \
             blocks the JIT compiled during the run against the distinct blocks it executed (--stats).\n"
        );
        s.push_str("| workload | configuration | time | to /init | whole run | JIT-compiled / distinct blocks | from the cache |\n");
        s.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (wi, w) in self.workloads.iter().enumerate() {
            for &ci in &cols {
                let runs = self.ok_runs(wi, ci);
                if runs.is_empty() {
                    continue;
                }
                let secs = |v: Option<f64>| v.map(|v| format!("{v:.2} s")).unwrap_or_else(|| "–".into());
                let init = Self::median_of(runs.iter().filter_map(|r| r.init_s).collect());
                let whole = Self::median_of(runs.iter().map(|r| r.host_s).collect());
                let st = |k: &[&str]| self.median_stat(wi, ci, k);
                let (jc, dist, hits) = (st(&["blocks", "jit_compiled"]), st(&["blocks", "distinct"]), st(&["blocks", "from_cache"]));
                let share = match (jc, dist) {
                    (Some(j), Some(d)) if d > 0.0 => format!("{j:.0} / {d:.0} ({:.2} %)", 100.0 * j / d),
                    _ => "–".into(),
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {share} | {} |",
                    w.name(),
                    self.configs[ci].name,
                    secs(self.median_time(wi, ci)),
                    secs(init),
                    secs(whole),
                    hits.map(|h| format!("{h:.0}")).unwrap_or_else(|| "–".into())
                );
            }
        }
        if !self.cache_notes.is_empty() {
            s.push_str("\nHow the caches were made:\n\n");
            for (name, note) in &self.cache_notes {
                let _ = writeln!(s, "- {name}: {note}");
            }
        }
        s
    }

    /// The largest peak_host_mappings of any run (failed ones too: the limit holds in every run).
    fn max_peak(&self, wi: usize, ci: usize) -> Option<u64> {
        let Some(Cell::Runs(v)) = self.cells.get(&(wi, ci)) else { return None };
        v.iter().flat_map(|r| r.stats.iter()).filter_map(|st| st["hspt"]["peak_host_mappings"].as_u64()).max()
    }

    /// Per workload, the memory-virtualisation figures of each hspt configuration (from --stats), and
    /// the floors of issue 4 when the cells they need ran.
    fn memory_section(&self) -> String {
        let mut s = String::new();
        let limit = host_max_map_count();
        let hspt: Vec<usize> = (0..self.configs.len()).filter(|&ci| self.configs[ci].kind == Kind::Hspt).collect();
        let find = |name: &str| self.configs.iter().position(|c| c.name == name);
        // The execution tier of a configuration, and the software-MMU configuration of that tier.
        let tier_of = |ci: usize| {
            let a = &self.configs[ci].args;
            a.windows(2).find(|w| w[0] == "--tier").map(|w| w[1].clone()).unwrap_or_else(|| "auto".into())
        };
        let is_soft_cfg = |ci: usize| self.configs[ci].args.windows(2).any(|a| a[0] == "--mmu" && a[1] == "soft");
        let soft_for = |ci: usize| {
            let t = tier_of(ci);
            (0..self.configs.len()).find(|&si| self.configs[si].kind == Kind::Hspt && is_soft_cfg(si) && tier_of(si) == t)
        };
        let mut any = false;
        for (wi, w) in self.workloads.iter().enumerate() {
            let rows: Vec<usize> = hspt.iter().copied().filter(|&ci| !self.ok_runs(wi, ci).is_empty()).collect();
            if rows.len() < 2 {
                continue;
            }
            if !any {
                let _ = writeln!(
                    s,
                    "\n## Memory virtualisation\n\n\
                     Per workload and hspt configuration: the median time (as in the table above) and its ratio \
                     to the software MMU under the same tier (mmu-soft for --tier interp, mmu-soft-auto for \
                     --tier auto; > 1: faster than the software MMU); the median CPU time hspt's process spent on \
                     the workload (user + system, all threads, from /proc/PID/stat when the guest's \
                     HSPT-BENCH-BEGIN and HSPT-BENCH lines arrived; for boot, from the start to /init's first \
                     line) and its ratio to that software-MMU configuration -- the figure to trust when the host is busy, since the time \
                     is wall-clock; the median CPU time of the VM thread for the whole run (boot included, \
                     `vm_thread_cpu_s` of --stats); then medians of hspt's --stats counters over the runs and the \
                     largest peak of host mappings of any run; soft TLB hits are the \
                     interpreter's lookups only (compiled code's inline hits are not counted, its misses are). Host limit (vm.max_map_count): {limit}.\n"
                );
                if self.one_guest {
                    s.push_str(
                        "\nThe hspt configurations ran the Debian workloads one after another in one guest per run \
                         (--one-guest): the counters are the whole session's (boot and every workload), the same \
                         in each table; the times and workload CPU are each workload's own.\n",
                    );
                }
                any = true;
            }
            let soft_of = |ci: usize| soft_for(ci).filter(|&si| !self.ok_runs(wi, si).is_empty());
            let _ = writeln!(s, "\n### {}\n", w.name());
            s.push_str(
                "| configuration | time | vs soft | workload CPU | vs soft | VM CPU, whole run | fills | prefilled | guest aborts \
                 | flushes: tlb / switch / recycle / limit | regions recycled | pages mapped | peak mappings \
                 | soft TLB hits / misses |\n",
            );
            s.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for ci in rows {
                let c = &self.configs[ci];
                let soft = soft_of(ci);
                let soft_t = soft.and_then(|si| self.median_time(wi, si));
                let soft_wcpu = soft.and_then(|si| self.median_work_cpu(wi, si));
                let t = self.median_time(wi, ci);
                let cpu = self.median_cpu(wi, ci);
                let wcpu = self.median_work_cpu(wi, ci);
                let st = |k: &[&str]| self.median_stat(wi, ci, k);
                let int = |v: Option<f64>| v.map(|v| format!("{:.0}", v)).unwrap_or_else(|| "–".into());
                let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
                    _ => "–".into(),
                };
                let secs = |v: Option<f64>| v.map(|v| format!("{v:.2} s")).unwrap_or_else(|| "–".into());
                let is_soft = c.args.windows(2).any(|a| a[0] == "--mmu" && a[1] == "soft");
                let (fills, pre, aborts, flushes, recycled, mapped, peak) = if is_soft {
                    ("–".into(), "–".into(), "–".into(), "–".into(), "–".into(), "–".into(), "–".into())
                } else {
                    let f = |k: &str| int(st(&["hspt", "flushes_by_cause", k]));
                    (
                        int(st(&["hspt", "fills"])),
                        int(st(&["hspt", "prefilled"])),
                        int(st(&["hspt", "guest_aborts"])),
                        format!(
                            "{} ({} / {} / {} / {})",
                            int(st(&["hspt", "flushes"])),
                            f("tlb_maintenance"),
                            f("context_switch"),
                            f("region_recycled"),
                            f("host_mapping_limit")
                        ),
                        int(st(&["hspt", "regions_recycled"])),
                        int(st(&["hspt", "pages_mapped"])),
                        self.max_peak(wi, ci).map(|p| p.to_string()).unwrap_or_else(|| "–".into()),
                    )
                };
                let softc = if is_soft {
                    format!("{} / {}", int(st(&["softmmu", "hits"])), int(st(&["softmmu", "misses"])))
                } else {
                    "–".into()
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {fills} | {pre} | {aborts} | {flushes} | {recycled} | {mapped} | {peak} | {softc} |",
                    c.name,
                    secs(t),
                    if is_soft { "1.00×".into() } else { ratio(soft_t, t) },
                    secs(wcpu),
                    if is_soft { "1.00×".into() } else { ratio(soft_wcpu, wcpu) },
                    secs(cpu),
                );
            }
        }
        if !any {
            return s;
        }
        // The floors of issue 4.
        let mut floors = Vec::new();
        // (a), under each tier that has a software-MMU configuration: the best HSPT organisation of that tier.
        let hspt_of_tier = |ci: usize, tier: &str| {
            let c = &self.configs[ci];
            c.kind == Kind::Hspt && tier_of(ci) == tier && !c.args.iter().any(|a| a == "--mmu")
        };
        // (a) is a memory-heavy single process: memrand (ours) and xz (a real one), each judged on its own.
        let heavy = self.workloads.iter().enumerate().filter(|(_, &w)| matches!(w, Workload::Memrand | Workload::Xz));
        for (wi, wname) in heavy.map(|(i, w)| (i, w.name())) {
            for soft in hspt.iter().copied().filter(|&si| is_soft_cfg(si)) {
                let tier = tier_of(soft);
                let best = hspt
                    .iter()
                    .copied()
                    .filter(|&ci| hspt_of_tier(ci, &tier))
                    .filter_map(|ci| Some((ci, self.median_time(wi, ci)?)))
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                if let (Some((ci, t)), Some(st)) = (best, self.median_time(wi, soft)) {
                    let r = st / t;
                    // the same comparison by the process's CPU time on the workload (robust to host load)
                    let by_cpu = match (self.median_work_cpu(wi, soft), self.median_work_cpu(wi, ci)) {
                        (Some(a), Some(b)) if b > 0.0 => format!("; by the process's CPU time on the workload: {a:.2} s against {b:.2} s, {:.2}×", a / b),
                        _ => String::new(),
                    };
                    let verdict = if r >= 2.0 { "met, and the 2× goal" } else if r >= 1.5 { "met (goal 2×: not reached)" } else { "NOT met" };
                    floors.push(format!(
                        "(a) {wname}, --tier {tier}: the best organisation, {}, {:.2} s against {} {:.2} s: \
                         {r:.2}× faster (floor 1.5×): {verdict}{by_cpu}",
                        self.configs[ci].name, t, self.configs[soft].name, st
                    ));
                }
            }
        }
        // (b), under each tier: group(16) against private.
        for (gname, pname) in [("spt-group16", "spt-private"), ("spt-group16-auto", "spt-private-auto")] {
            if let (Some(wi), Some(g), Some(p)) =
                (self.workloads.iter().position(|&w| w == Workload::Multi), find(gname), find(pname))
            {
                if let (Some(tg), Some(tp)) = (self.median_time(wi, g), self.median_time(wi, p)) {
                    let d = tg / tp - 1.0;
                    let by_cpu = match (self.median_work_cpu(wi, g), self.median_work_cpu(wi, p)) {
                        (Some(a), Some(b)) if b > 0.0 => {
                            format!("; by the process's CPU time on the workload: {a:.2} s against {b:.2} s, {:+.1} %", (a / b - 1.0) * 100.0)
                        }
                        _ => String::new(),
                    };
                    floors.push(format!(
                        "(b) multi: {gname} {tg:.2} s against {pname} {tp:.2} s: {:+.1} % (floor: within 10 %): {}{by_cpu}",
                        d * 100.0,
                        if d <= 0.10 { "met" } else { "NOT met" }
                    ));
                }
            }
        }
        let peak = (0..self.workloads.len()).flat_map(|wi| hspt.iter().filter_map(move |&ci| self.max_peak(wi, ci))).max();
        if let Some(p) = peak {
            floors.push(format!(
                "peak host mappings: at most {p} in any run, limit {limit}: {}",
                if p < limit { "met" } else { "NOT met" }
            ));
        }
        if !floors.is_empty() {
            s.push_str("\n### Floors (issue 4)\n\n");
            for f in floors {
                let _ = writeln!(s, "- {f}");
            }
        }
        s
    }

    fn json(&self) -> Value {
        let mut cells = Vec::new();
        for (wi, w) in self.workloads.iter().enumerate() {
            let native = self.native_median(wi);
            for (ci, c) in self.configs.iter().enumerate() {
                let cell = self.cells.get(&(wi, ci));
                let (status, reason, runs) = match cell {
                    None | Some(Cell::NotRun) => ("not run", None, vec![]),
                    Some(Cell::NotAvailable(why)) => ("n/a", Some(why.clone()), vec![]),
                    Some(Cell::Runs(runs)) => {
                        let sm = cell.and_then(|c| c.summary());
                        let (st, why) = match sm {
                            Some(Ok(_)) => ("ok", None),
                            Some(Err(e)) => ("failed", Some(e)),
                            None => ("not run", None),
                        };
                        (st, why, runs.iter().map(|r| r.to_json()).collect())
                    }
                };
                let sm = cell.and_then(|c| c.summary()).and_then(|s| s.ok());
                cells.push(json!({
                    "workload": w.name(),
                    "config": c.name,
                    "status": status,
                    "reason": reason,
                    "median_s": sm.as_ref().map(|s| s.median),
                    "min_s": sm.as_ref().map(|s| s.min),
                    "max_s": sm.as_ref().map(|s| s.max),
                    "ratio_to_native": match (&sm, native) { (Some(s), Some(n)) if n > 0.0 => Some(s.median / n), _ => None },
                    "runs": runs,
                }));
            }
        }
        json!({
            "date": self.date,
            "host": self.host,
            "qemu_version": self.qemu_version,
            "hspt_version": self.hspt_version,
            "runs_per_cell": self.runs,
            "quick": self.quick,
            "one_guest": self.one_guest,
            "workloads": self.workloads.iter().map(|w| json!({"name": w.name(), "measure": w.measure()})).collect::<Vec<_>>(),
            "configs": self.configs.iter().map(|c| json!({
                "name": c.name,
                "kind": match c.kind { Kind::Hspt => "hspt", Kind::Qemu => "qemu", Kind::Native => "native" },
                "hspt_args": c.args,
                "unavailable": c.unavailable,
            })).collect::<Vec<_>>(),
            "translation_caches": self.cache_notes.iter().map(|(n, what)| json!({"config": n, "made": what})).collect::<Vec<_>>(),
            "cells": cells,
        })
    }

    /// Time relative to native (or to QEMU where there is no native figure), per workload and configuration.
    fn plot(&self, path: &Path) -> Result<(), String> {
        use plotters::prelude::*;
        let series: Vec<usize> = (0..self.configs.len()).filter(|&ci| self.configs[ci].kind != Kind::Native).collect();
        // (workload index, label, [(series position, ratio)])
        let mut groups = Vec::new();
        for (wi, w) in self.workloads.iter().enumerate() {
            let Some((refname, refv)) = self.reference(wi) else { continue };
            if refv <= 0.0 {
                continue;
            }
            let mut bars = Vec::new();
            for (si, &ci) in series.iter().enumerate() {
                if self.configs[ci].name == refname {
                    continue;
                }
                if let Some(Some(Ok(s))) = self.cells.get(&(wi, ci)).map(|c| c.summary()) {
                    bars.push((si, s.median / refv));
                }
            }
            if !bars.is_empty() {
                let label = if refname == "native" { w.name().to_string() } else { format!("{} (vs {refname})", w.name()) };
                groups.push((label, bars));
            }
        }
        let ymax = groups.iter().flat_map(|(_, b)| b.iter().map(|&(_, r)| r)).fold(2.0f64, f64::max) * 1.5;
        let ymin = groups.iter().flat_map(|(_, b)| b.iter().map(|&(_, r)| r)).fold(0.5f64, f64::min) * 0.8;
        let width = 1200u32.max(140 * groups.len() as u32 + 300);
        let root = SVGBackend::new(path, (width, 640)).into_drawing_area();
        let e = |e: DrawingAreaErrorKind<_>| format!("plot: {e:?}");
        root.fill(&WHITE).map_err(e)?;
        let ng = groups.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("hspt bench {}: time relative to native (log scale)", self.date), ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..ng, (ymin..ymax).log_scale())
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("time / native time")
            .y_label_formatter(&|v| if *v >= 10.0 { format!("{v:.0}×") } else { format!("{v:.1}×") })
            .draw()
            .map_err(e)?;
        // bars side by side within each workload's group, centred, as many as that workload has
        let most = groups.iter().map(|(_, b)| b.len()).max().unwrap_or(1).max(1) as f64;
        let slot = 0.8 / most;
        for (si, &ci) in series.iter().enumerate() {
            let color = Palette99::pick(si).to_rgba();
            let rects: Vec<_> = groups
                .iter()
                .enumerate()
                .flat_map(|(gi, (_, bars))| {
                    let left = gi as f64 + 0.1 + (0.8 - bars.len() as f64 * slot) / 2.0;
                    bars.iter().enumerate().filter(|(_, (s, _))| *s == si).map(move |(k, &(_, r))| {
                        let x0 = left + k as f64 * slot;
                        Rectangle::new([(x0, ymin), (x0 + slot * 0.9, r)], color.filled())
                    })
                })
                .collect();
            if rects.is_empty() {
                continue;
            }
            chart
                .draw_series(rects)
                .map_err(e)?
                .label(self.configs[ci].name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        // the 1× line: as fast as the reference
        chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 1.0), (ng, 1.0)], BLACK.stroke_width(1)))).map_err(e)?;
        for (gi, (label, _)) in groups.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(gi as f64 + 0.5, ymin));
            root.draw(&Text::new(label.clone(), (px, py + 8), ("sans-serif", 16).into_font().color(&BLACK).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Top,
                ),
            )))
            .map_err(e)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(e)?;
        root.present().map_err(e)?;
        Ok(())
    }

    fn write(&self, out: &Path) -> Result<(), String> {
        let w = |name: &str, bytes: &[u8]| -> Result<(), String> {
            let p = out.join(name);
            let tmp = out.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &p)).map_err(|e| format!("cannot write {}: {e}", p.display()))
        };
        w("results.md", self.markdown().as_bytes())?;
        w("results.json", serde_json::to_string_pretty(&self.json()).unwrap_or_default().as_bytes())?;
        let tmp = out.join(".plot.svg.tmp");
        self.plot(&tmp)?;
        std::fs::rename(&tmp, out.join("plot.svg")).map_err(|e| format!("cannot write plot.svg: {e}"))
    }
}

// ------------------------------------------------------------------------------------------ the command

pub fn main(a: BenchArgs) -> ExitCode {
    if !(a.timeout > 0.0 && a.timeout.is_finite()) {
        eprintln!("hspt bench: --timeout must be a positive number of seconds");
        return ExitCode::from(2);
    }
    let Some(root) = find_root() else {
        eprintln!("hspt bench: cannot find the hspt repository (guest-images/): run it from the repository");
        return ExitCode::from(2);
    };
    let mut workloads = if a.workloads.is_empty() {
        match a.suite {
            Suite::All => Workload::value_variants().to_vec(),
            Suite::Spt => SPT_SUITE_WORKLOADS.to_vec(),
        }
    } else {
        a.workloads.clone()
    };
    workloads.sort();
    workloads.dedup();

    let mut configs: Vec<Config> = all_hspt_configs();
    let wanted: Vec<String> = match (a.configs.is_empty(), a.suite) {
        (false, _) => a.configs.clone(),
        (true, Suite::Spt) => SPT_SUITE_CONFIGS.iter().map(|s| s.to_string()).collect(),
        (true, Suite::All) => vec![],
    };
    if !wanted.is_empty() {
        for name in &wanted {
            if !configs.iter().any(|c| &c.name == name) {
                let known: Vec<_> = configs.iter().map(|c| c.name.clone()).collect();
                eprintln!("hspt bench: unknown configuration '{name}' (known: {})", known.join(", "));
                return ExitCode::from(2);
            }
        }
        // in the order asked for
        configs = wanted.iter().filter_map(|n| configs.iter().position(|c| &c.name == n)).map(|i| configs[i].clone()).collect();
        configs.dedup_by(|x, y| x.name == y.name);
    }
    let against = a.against.clone().unwrap_or(match a.suite {
        Suite::All => vec![Against::Qemu, Against::Native],
        Suite::Spt => vec![],
    });
    let qemu_version = command_line("qemu-system-arm", &["--version"]);
    if against.contains(&Against::Qemu) {
        configs.push(Config {
            name: "qemu".into(),
            kind: Kind::Qemu,
            args: vec![],
            unavailable: qemu_version.is_none().then(|| "qemu-system-arm is not installed".to_string()),
            prep: Prep::None,
        });
    }
    if against.contains(&Against::Native) {
        configs.push(Config { name: "native".into(), kind: Kind::Native, args: vec![], unavailable: None, prep: Prep::None });
    }
    // references first: they are the columns the others are read against
    configs.sort_by_key(|c| match c.kind {
        Kind::Native => 0,
        Kind::Qemu => 1,
        Kind::Hspt => 2,
    });

    if let Err(e) = std::fs::create_dir_all(&a.out) {
        eprintln!("hspt bench: cannot create {}: {e}", a.out.display());
        return ExitCode::from(1);
    }
    let scratch = a.out.join("work");
    let _ = std::fs::create_dir_all(&scratch);
    let hspt = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("hspt"));

    let needs_debian = workloads.iter().any(|w| w.is_debian());
    let debian = if needs_debian { prepare_debian(&root) } else { Err("not needed".into()) };
    if let Err(e) = &debian {
        if needs_debian {
            eprintln!("bench: the Debian workloads will fail: {e}");
        }
    }
    let has_native = configs.iter().any(|c| c.kind == Kind::Native);
    let native_root = if has_native && needs_debian {
        prepare_native(&root, &scratch.join("fetch-native.log"))
    } else {
        Err("not needed".into())
    };
    if let (true, true, Err(e)) = (has_native, needs_debian, &native_root) {
        eprintln!("bench: the native column will fail for the Debian workloads: {e}");
    }
    let native_baremetal = if has_native && workloads.contains(&Workload::BareMetal) {
        prepare_native_baremetal(&root, &scratch, a.quick)
    } else {
        Err("not needed".into())
    };
    let native_memrand = if has_native && workloads.contains(&Workload::Memrand) {
        prepare_native_memrand(&root, &scratch)
    } else {
        Err("not needed".into())
    };
    let env = Env {
        hspt,
        root: root.clone(),
        timeout: a.timeout,
        quick: a.quick,
        scratch,
        debian,
        native_root,
        native_baremetal,
        native_memrand,
    };

    let hspt_version = {
        let rev = command_line("git", &["-C", &root.display().to_string(), "rev-parse", "--short", "HEAD"]);
        format!("hspt {}{}", env!("CARGO_PKG_VERSION"), rev.map(|r| format!(" (git {r})")).unwrap_or_default())
    };
    let date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let mut bench = Bench {
        workloads: workloads.clone(),
        configs,
        cells: BTreeMap::new(),
        runs: a.runs,
        date,
        host: host_description(),
        qemu_version,
        hspt_version,
        quick: a.quick,
        one_guest: a.one_guest || a.suite == Suite::Spt,
        cache_notes: Vec::new(),
    };
    // what runs, and what is n/a or left out
    let mut plan = Vec::new();
    for (wi, &w) in workloads.iter().enumerate() {
        for (ci, c) in bench.configs.iter().enumerate() {
            let cell = if !c.applies_to(w) {
                Cell::NotRun
            } else if let Some(why) = &c.unavailable {
                Cell::NotAvailable(why.clone())
            } else {
                plan.push((wi, ci));
                Cell::Runs(Vec::new())
            };
            bench.cells.insert((wi, ci), cell);
        }
    }
    // The translation caches of aot-warm and jit-writeback, before any measured run.
    for ci in 0..bench.configs.len() {
        if bench.configs[ci].prep == Prep::None {
            continue;
        }
        let ws: Vec<Workload> = plan.iter().filter(|&&(_, cj)| cj == ci).map(|&(wi, _)| workloads[wi]).collect();
        if ws.is_empty() {
            continue;
        }
        let name = bench.configs[ci].name.clone();
        eprintln!("bench: making the translation cache of {name} (training runs of {}) …", ws.iter().map(|w| w.name()).collect::<Vec<_>>().join(", "));
        match prepare_cache(&env, &bench.configs[ci], &ws, bench.one_guest) {
            Ok((args, note)) => {
                eprintln!("bench: {name}: {note}");
                bench.configs[ci].args.extend(args);
                bench.cache_notes.push((name, note));
            }
            Err(why) => {
                eprintln!("bench: {name} cannot run: {why}");
                plan.retain(|&(_, cj)| cj != ci);
                for (&(_, cj), cell) in bench.cells.iter_mut() {
                    if cj == ci && matches!(cell, Cell::Runs(_)) {
                        *cell = Cell::NotAvailable(why.clone());
                    }
                }
                bench.configs[ci].unavailable = Some(why);
            }
        }
    }
    let total = plan.len() * a.runs as usize;
    eprintln!(
        "bench: {} workload(s) × {} configuration(s), {} run(s) each: {total} runs; results in {}",
        workloads.len(),
        bench.configs.len(),
        a.runs,
        a.out.display()
    );
    let started = Instant::now();
    let mut done = 0usize;
    let one_guest = bench.one_guest;
    // --one-guest: the results of a configuration's session in the current run, by workload
    let mut session: BTreeMap<(usize, u32), BTreeMap<Workload, RunResult>> = BTreeMap::new();
    // A configuration that ran out of time in the Debian guest would only do so again: its other Debian
    // cells are marked failed without running (the bench would otherwise spend hours timing out).
    let mut gave_up: BTreeMap<usize, &'static str> = BTreeMap::new();
    // Run by run, so that a drift in the host's speed spreads over every cell instead of a few.
    for run in 1..=a.runs {
        if one_guest && a.jobs > 1 {
            // this run's sessions, `jobs` at a time, in the plan's order
            let mut todo: Vec<usize> = Vec::new();
            for &(wi, ci) in &plan {
                if bench.configs[ci].kind == Kind::Hspt && workloads[wi].is_debian() && !todo.contains(&ci) && !gave_up.contains_key(&ci) {
                    todo.push(ci);
                }
            }
            let next = std::sync::atomic::AtomicUsize::new(0);
            let results = std::sync::Mutex::new(Vec::new());
            std::thread::scope(|sc| {
                for _ in 0..a.jobs {
                    sc.spawn(|| loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&ci) = todo.get(k) else { break };
                        let c = &bench.configs[ci];
                        let ws: Vec<Workload> = plan
                            .iter()
                            .filter(|&&(wj, cj)| cj == ci && workloads[wj].is_debian())
                            .map(|&(wj, _)| workloads[wj])
                            .collect();
                        let t = Instant::now();
                        let r: BTreeMap<Workload, RunResult> = run_hspt_session(&env, &ws, c, run).into_iter().collect();
                        eprintln!("bench: run {run}/{} · session {} done in {:.1} s", a.runs, c.name, t.elapsed().as_secs_f64());
                        results.lock().unwrap().push((ci, r));
                    });
                }
            });
            for (ci, r) in results.into_inner().unwrap() {
                session.insert((ci, run), r);
            }
        }
        for &(wi, ci) in &plan {
            done += 1;
            let w = workloads[wi];
            let c = &bench.configs[ci];
            eprint!("bench: [{done}/{total}] run {run}/{} · {} · {} … ", a.runs, w.name(), c.name);
            let t = Instant::now();
            let r = match gave_up.get(&ci) {
                Some(prev) if w.is_debian() => {
                    RunResult::failed(format!("not run: timed out on the {prev} workload, in the same guest, before"))
                }
                _ if one_guest && c.kind == Kind::Hspt && w.is_debian() => {
                    let results = session.entry((ci, run)).or_insert_with(|| {
                        let ws: Vec<Workload> = plan
                            .iter()
                            .filter(|&&(wj, cj)| cj == ci && workloads[wj].is_debian())
                            .map(|&(wj, _)| workloads[wj])
                            .collect();
                        run_hspt_session(&env, &ws, c, run).into_iter().collect()
                    });
                    results.remove(&w).unwrap_or_else(|| RunResult::failed("not in the session"))
                }
                _ => run_once(&env, w, c, run),
            };
            if r.timed_out && w.is_debian() {
                gave_up.entry(ci).or_insert(w.name());
            }
            match (&r.failure, r.value_s) {
                (Some(f), _) => eprintln!("FAILED after {:.1} s: {}", t.elapsed().as_secs_f64(), truncate(f, 200)),
                (None, Some(v)) => eprintln!("{v:.2} s (run took {:.1} s)", t.elapsed().as_secs_f64()),
                (None, None) => eprintln!("done"),
            }
            if let Some(Cell::Runs(v)) = bench.cells.get_mut(&(wi, ci)) {
                v.push(r);
            }
            // results so far, so an interrupted bench still leaves them
            if let Err(e) = bench.write(&a.out) {
                eprintln!("bench: {e}");
            }
        }
    }
    if let Err(e) = bench.write(&a.out) {
        eprintln!("hspt bench: {e}");
        return ExitCode::from(1);
    }
    let _ = std::fs::remove_dir_all(&env.scratch);
    eprintln!("bench: done in {:.0} s", started.elapsed().as_secs_f64());
    print!("{}", bench.markdown());
    ExitCode::SUCCESS
}
