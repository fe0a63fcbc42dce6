//! `hspt`: the command line. Thin: parses options, builds the VM from
//! hspt-runtime, reports. See README.md for usage and exit statuses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

mod bench;
mod console;

use clap::{Parser, Subcommand, ValueEnum};
use hspt_runtime::board::{fdt, loader, Board};
use hspt_runtime::exec::{Config, JitOptions, Stop, Vm};

/// Exit status for bad input (unreadable or malformed images, bad options).
const EXIT_BAD_INPUT: u8 = 2;
/// Interpreted executions before `--tier auto` gives a block quick code.
const AUTO_QUICK_THRESHOLD: u32 = 16;

#[derive(Clone, Copy, Debug)]
enum QuickThreshold {
    Off,
    Runs(u32),
}

fn parse_quick_threshold(s: &str) -> Result<QuickThreshold, String> {
    if s == "off" {
        return Ok(QuickThreshold::Off);
    }
    s.parse::<u32>().map(QuickThreshold::Runs).map_err(|_| format!("`{s}`: a number of executions or `off`"))
}

/// Executions (interpreted and in quick code) before `--tier auto` compiles a block with LLVM
/// when there is a quick tier: quick code is about half as fast as LLVM's, and LLVM takes about
/// 3 ms per block, so only blocks that run very often repay it.
const AUTO_JIT_THRESHOLD_AFTER_QUICK: u32 = 3_000;

/// Interpreted executions before `--tier auto` compiles a block (without the quick tier).
const AUTO_JIT_THRESHOLD: u32 = 1000;
/// Exit status for a host-side failure (out of memory, mmap failure...).
const EXIT_HOST_ERROR: u8 = 1;

#[derive(Parser)]
#[command(name = "hspt", version, about = "A cross-ISA system VM: 32-bit ARMv7-A guests on x86-64 Linux")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Boot a guest (a bare-metal ARM ELF, or a Linux kernel).
    Run(RunArgs),
    /// Check that the LLVM backend is linked and works.
    SelfCheck,
    /// Compare engines and configurations on standard workloads (writes a table, JSON and a plot).
    Bench(bench::BenchArgs),
    /// Translate ARM code ahead of time into a translation cache (for `run --cache`).
    Aot(AotArgs),
    /// Inspect, verify or merge translation caches.
    #[command(subcommand)]
    Cache(CacheCmd),
    /// (Internal) The LLVM tier's compiler process: `run` starts it and talks to it
    /// over stdin/stdout (runtime/src/exec/remote.rs).
    #[command(hide = true)]
    JitServer {
        /// Code for the software MMU.
        #[arg(long)]
        soft: bool,
    },
}

#[derive(clap::Args)]
struct AotArgs {
    /// The cache file to write (merged into if it exists).
    #[arg(short = 'o', long = "output", value_name = "CACHE")]
    output: PathBuf,
    /// Parallel compile jobs (default: the number of CPUs).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Compile exactly the blocks of a profile written by `hspt run --profile-out`.
    #[arg(long, value_name = "FILE")]
    profile: Vec<PathBuf>,
    /// No progress bar.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// LLVM code generation level for the cached code (0-3; the JIT uses 2). 0 (fast
    /// instruction selection) compiles about 3.5 times faster, for code about 2.5 times larger.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
    codegen: u8,
    /// ARM ELF files (executables, shared libraries, vmlinux), directories (searched recursively),
    /// initramfs archives (.cpio, .cpio.gz) and zImage kernels.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum CacheCmd {
    /// Print a cache's header, counts and sizes.
    Inspect { file: PathBuf },
    /// Check a cache completely (exit status 1 if it is bad).
    Verify { file: PathBuf },
    /// Merge caches into one.
    Merge {
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: PathBuf,
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Tier {
    Interp,
    /// The quick code generator alone, for every block before it first runs.
    Quick,
    Jit,
    Auto,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Mmu {
    Hspt,
    Soft,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Guest kernel: an ARM ELF file (loaded by its program headers at their physical addresses)
    /// or a Linux zImage (booted with the Linux boot protocol and a generated device tree).
    #[arg(long)]
    kernel: PathBuf,
    /// Initial ramdisk (zImage kernels).
    #[arg(long)]
    initrd: Option<PathBuf>,
    /// Kernel command line (zImage kernels; at most 1023 bytes).
    #[arg(long)]
    append: Option<String>,
    /// Device tree blob to pass instead of the generated one (zImage kernels; its memory
    /// node and /chosen are updated for -m, --append and --initrd, as QEMU does).
    #[arg(long)]
    dtb: Option<PathBuf>,
    /// Guest RAM in MiB.
    #[arg(short = 'm', long = "memory", default_value_t = 128)]
    memory: u64,
    /// Execution tier: the interpreter alone; quick code (a template code generator, no LLVM) for
    /// every block; the LLVM JIT for every block (threshold 0 unless --jit-threshold says
    /// otherwise); or auto, the interpreter first, quick code for blocks that ran a few times
    /// (--quick-threshold) and the LLVM JIT (on a background thread) for blocks that got hot (the
    /// default: see the README for the measurements).
    #[arg(long, value_enum)]
    tier: Option<Tier>,
    /// Executions of a block in the interpreter before the JIT compiles it (0: compile every block
    /// before it first runs, on the VM's thread). Default: 0 with --tier jit; with auto, 3000
    /// (runs in the interpreter and in quick code), or 1000 with --quick-threshold off.
    #[arg(long, value_name = "N")]
    jit_threshold: Option<u32>,
    /// Executions of a block in the interpreter before it gets quick code (--tier auto; default
    /// 16; 0: before its first run). `off`: no quick tier. Quick code needs HSPT memory: under
    /// --mmu soft, auto goes from the interpreter straight to LLVM.
    #[arg(long, value_name = "N|off", value_parser = parse_quick_threshold)]
    quick_threshold: Option<QuickThreshold>,
    /// Memory virtualisation: HSPT shadow regions or a software MMU.
    #[arg(long, value_enum, default_value_t = Mmu::Hspt)]
    mmu: Mmu,
    /// Entries of the software MMU's direct-mapped TLB (--mmu soft; a power of two, 1 to 1048576;
    /// default 1024).
    #[arg(long, value_name = "N", value_parser = parse_soft_tlb)]
    soft_tlb: Option<usize>,
    /// Organisation of HSPT shadow regions: shared (one set of regions; a context switch unmaps the
    /// non-global pages), private (a set per address space), or group=N (the regions of N address spaces,
    /// recycled least recently used first). Default shared: the fastest on many short processes, within a few per cent of the others elsewhere
    /// (README, "Memory organisations").
    #[arg(long, default_value = "shared", value_parser = parse_spt)]
    spt: hspt_runtime::mem::hspt::SptOrganisation,
    /// HSPT prefill window: on a miss, also map the valid neighbouring pages of this
    /// aligned window of small pages (0 or 1 = off; at most 64).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=64))]
    prefill: u32,
    /// Cap on the host mappings (VMAs) HSPT may hold; the default is the host's
    /// vm.max_map_count minus a margin. Near the cap, shadow regions are flushed.
    #[arg(long)]
    max_host_mappings: Option<u64>,
    /// Stop the guest after this many seconds (exit status 124).
    #[arg(long)]
    timeout: Option<f64>,
    /// Write one line per executed instruction (state before it) to FILE.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Write run statistics as JSON to FILE, or '-' for stderr.
    #[arg(long)]
    stats: Option<String>,
    /// Wait for gdb on ADDR: tcp::PORT (localhost), tcp:HOST:PORT or HOST:PORT, as QEMU's -gdb.
    /// Attaching stops the guest; detaching lets it run on.
    #[arg(long, value_name = "ADDR")]
    gdb: Option<String>,
    /// Shorthand for --gdb tcp::1234 (QEMU's -s).
    #[arg(short = 's')]
    gdb_default: bool,
    /// Hold the guest at reset until gdb attaches (QEMU's -S); implies -s without --gdb.
    #[arg(long, short = 'S')]
    gdb_wait: bool,
    /// Translation cache (from `hspt aot` or --cache-write): blocks found in it run its code
    /// instead of being compiled. Implies --tier auto unless --tier says otherwise; a bad or
    /// foreign cache is refused with a warning and the run goes on with the JIT.
    #[arg(long, value_name = "FILE")]
    cache: Option<PathBuf>,
    /// At exit, merge the blocks the JIT compiled in this run into the --cache file.
    #[arg(long, requires = "cache")]
    cache_write: bool,
    /// At exit, write the blocks this run executed (keys, bytes, ISA state) to FILE, for
    /// `hspt aot --profile FILE`. Implies --tier auto unless --tier says otherwise.
    #[arg(long, value_name = "FILE")]
    profile_out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.cmd {
        Cmd::Run(a) => run(a),
        Cmd::Bench(a) => bench::main(a),
        Cmd::Aot(a) => aot(a),
        Cmd::Cache(c) => cache_cmd(c),
        Cmd::JitServer { soft } => {
            let backend = hspt_llvm::LlvmBackend::for_mmu(soft);
            match hspt_runtime::exec::remote::serve(&backend, &mut std::io::stdin().lock(), &mut std::io::stdout().lock()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("hspt jit-server: {e}");
                    ExitCode::from(EXIT_HOST_ERROR)
                }
            }
        }
        Cmd::SelfCheck => {
            // Hidden test hook: a fault in the VM's own code must crash loudly (tests/host_fault.rs).
            if let Some(kind) = std::env::var_os("HSPT_TEST_HOST_FAULT") {
                use hspt_runtime::mem::fault::{provoke_host_fault, HostFault};
                let kind = if kind == "null" { HostFault::Null } else { HostFault::ShadowRegion };
                if let Err(e) = provoke_host_fault(kind) {
                    eprintln!("hspt: HSPT_TEST_HOST_FAULT: {e}");
                }
                return ExitCode::from(EXIT_HOST_ERROR);
            }
            if hspt_aot::backend_ready() {
                eprintln!("hspt: LLVM backend OK");
                ExitCode::SUCCESS
            } else {
                eprintln!("hspt: LLVM backend failed its smoke test");
                ExitCode::from(EXIT_HOST_ERROR)
            }
        }
    }
}

/// The VM's own diagnostics go through `tracing` to stderr, filtered by `RUST_LOG`
/// (e.g. `RUST_LOG=hspt=debug`; `hspt` matches every hspt crate); without it, only
/// warnings and errors are shown. Stdout stays the guest console's alone.
fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::{filter::LevelFilter, EnvFilter};
    let ansi = std::io::stderr().is_terminal();
    if std::env::var_os("RUST_LOG").is_some() {
        let filter = EnvFilter::builder().with_default_directive(LevelFilter::WARN.into()).from_env_lossy();
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_max_level(LevelFilter::WARN)
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .without_time()
            .with_target(false)
            .init();
    }
}

fn parse_spt(s: &str) -> Result<hspt_runtime::mem::hspt::SptOrganisation, String> {
    s.parse()
}

fn bad_input(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("hspt: {msg}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Reads an input file of at most `limit` bytes. Regular files and pipes (`<(...)`)
/// only: a directory, a device (`/dev/zero` would never end) or a socket is refused,
/// and so is a FIFO with no writer (it reads as empty) rather than blocking for one.
fn read_file(what: &str, p: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let cannot = |e: std::io::Error| format!("cannot read {what} {}: {e}", p.display());
    let meta = std::fs::metadata(p).map_err(cannot)?;
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(format!("{what} {}: is a directory", p.display()));
    }
    if !(ft.is_file() || ft.is_fifo()) {
        let kind = if ft.is_char_device() || ft.is_block_device() { "a device" } else { "a socket" };
        return Err(format!("{what} {}: is {kind}, not a file", p.display()));
    }
    let too_big = |n: u64| {
        format!("{what} {} is too large ({} MiB; at most {} MiB)", p.display(), n.div_ceil(1 << 20), limit >> 20)
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    // O_NONBLOCK: opening a FIFO does not wait for a writer; reading one with no
    // writer gives EOF (an empty file), and one whose writer is slow is polled.
    let mut f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(p).map_err(cannot)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                if bytes.len() as u64 > limit {
                    return Err(too_big(bytes.len() as u64));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(2)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cannot(e)),
        }
    }
    Ok(bytes)
}

/// The memory this host can give the guest: physical memory plus swap, or the
/// process's cgroup limit when that is lower. `HSPT_HOST_MEMORY_MIB` overrides
/// it (a test hook: tests/bad_input.rs cannot shrink the host).
fn host_memory_mib() -> Option<u64> {
    if let Some(v) = std::env::var_os("HSPT_HOST_MEMORY_MIB") {
        return v.to_str().and_then(|v| v.parse().ok());
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| {
        meminfo.lines().find_map(|l| l.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
    };
    let mut mib = (field("MemTotal:")? + field("SwapTotal:").unwrap_or(0)) >> 10;
    // cgroup v2: the limit of this process's group ("max" when unlimited).
    if let Ok(cg) = std::fs::read_to_string("/proc/self/cgroup") {
        if let Some(path) = cg.lines().find_map(|l| l.strip_prefix("0::")) {
            let max = std::fs::read_to_string(format!("/sys/fs/cgroup{}/memory.max", path.trim()));
            if let Some(limit) = max.ok().and_then(|m| m.trim().parse::<u64>().ok()) {
                mib = mib.min(limit >> 20);
            }
        }
    }
    Some(mib)
}

/// Checks that an output file can be created before the guest runs, so a typo in
/// the path fails at once rather than after a long run.
fn check_output(what: &str, p: &Path) -> Result<(), String> {
    if p.is_dir() {
        return Err(format!("{what} {}: is a directory", p.display()));
    }
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("cannot create {what} {}: no directory {}", p.display(), dir.display()));
    }
    Ok(())
}

/// Upper bounds on input files (the kernel: an ELF may carry debug information
/// beyond what it loads; a device tree: arm64's boot protocol caps it at 2 MiB and
/// QEMU's virt blob is 1 MiB; an initrd must fit in the guest's RAM).
const KERNEL_MAX: u64 = 1 << 31;
const DTB_MAX: u64 = 2 << 20;

fn aot(a: AotArgs) -> ExitCode {
    if a.inputs.is_empty() && a.profile.is_empty() {
        return bad_input("hspt aot: give input files, directories or --profile FILE");
    }
    // Read by the LLVM backend when each compile thread creates its target machine.
    std::env::set_var("HSPT_LLVM_CODEGEN", a.codegen.to_string());
    let opts = hspt_aot::AotOptions { output: a.output, jobs: a.jobs, profiles: a.profile, inputs: a.inputs, progress: !a.quiet };
    match hspt_aot::run(&opts) {
        Ok(s) => {
            eprintln!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(e),
    }
}

fn cache_cmd(c: CacheCmd) -> ExitCode {
    let r = match c {
        CacheCmd::Inspect { file } => hspt_aot::cache::inspect(&file).map(|s| print!("{s}")),
        CacheCmd::Verify { file } => match hspt_aot::cache::verify(&file) {
            Ok(s) => {
                println!("{s}");
                Ok(())
            }
            Err(e) => {
                eprintln!("hspt: {}: bad translation cache: {e}", file.display());
                return ExitCode::from(EXIT_HOST_ERROR);
            }
        },
        CacheCmd::Merge { output, inputs } => hspt_aot::cache::merge(&output, &inputs).map(|s| eprintln!("{s}")),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => bad_input(e),
    }
}

fn parse_soft_tlb(v: &str) -> Result<usize, String> {
    let n: usize = v.parse().map_err(|e| format!("{e}"))?;
    if n == 0 || !n.is_power_of_two() || n > hspt_runtime::mem::softmmu::MAX_ENTRIES {
        return Err(format!("{n}: a power of two from 1 to {}", hspt_runtime::mem::softmmu::MAX_ENTRIES));
    }
    Ok(n)
}

fn run(a: RunArgs) -> ExitCode {
    let uses_cache = a.cache.is_some() || a.profile_out.is_some();
    let tier = a.tier.unwrap_or(Tier::Auto);
    if a.soft_tlb.is_some() && a.mmu != Mmu::Soft {
        return bad_input("--soft-tlb sizes the software MMU's TLB: it needs --mmu soft");
    }
    if uses_cache && tier == Tier::Interp {
        return bad_input("--cache/--profile-out need the JIT tier (--tier auto or jit)");
    }
    if tier == Tier::Interp && a.jit_threshold.is_some() {
        return bad_input("--jit-threshold needs --tier jit or auto");
    }
    if tier != Tier::Auto && a.quick_threshold.is_some() {
        return bad_input("--quick-threshold sets when --tier auto makes quick code: it needs --tier auto");
    }
    // Quick code reaches memory at mem_base + address only: it has no software-TLB form.
    if a.mmu == Mmu::Soft && (tier == Tier::Quick || matches!(a.quick_threshold, Some(QuickThreshold::Runs(_)))) {
        return bad_input("quick code needs HSPT memory: --mmu soft runs the interpreter and LLVM (--tier interp, jit or auto)");
    }
    if a.memory == 0 {
        return bad_input("-m 0: the guest needs some RAM");
    }
    if a.memory > 3 * 1024 - 1 {
        return bad_input(format!("-m {}: at most 3071 MiB fit in the 32-bit guest memory map", a.memory));
    }
    if let Some(host) = host_memory_mib() {
        if a.memory > host {
            return bad_input(format!("-m {}: more than this host's memory ({host} MiB)", a.memory));
        }
    }
    if let Some(p) = a.stats.as_deref().filter(|&s| s != "-") {
        if let Err(e) = check_output("stats file", Path::new(p)) {
            return bad_input(e);
        }
    }
    if let Some(p) = &a.trace {
        if let Err(e) = check_output("trace file", p) {
            return bad_input(e);
        }
    }
    let timeout = match a.timeout {
        Some(t) if !(t > 0.0 && t.is_finite()) => return bad_input("--timeout must be a positive number of seconds"),
        Some(t) => Some(Duration::from_secs_f64(t)),
        None => None,
    };
    let image = match read_file("kernel", &a.kernel, KERNEL_MAX) {
        Ok(b) => b,
        Err(e) => return bad_input(e),
    };
    let name = a.kernel.display().to_string();
    if image.is_empty() {
        return bad_input(format!("kernel {name} is empty"));
    }
    let linux = !loader::is_elf(&image);
    if !linux && (a.initrd.is_some() || a.dtb.is_some() || a.append.is_some()) {
        // As QEMU: an ELF kernel is loaded as is, without the Linux boot protocol.
        return bad_input(format!(
            "--initrd/--append/--dtb apply to zImage kernels; {name} is an ELF file, which is started without the Linux boot protocol"
        ));
    }
    if linux && !loader::is_zimage(&image) {
        return bad_input(format!(
            "{name}: neither an ARM ELF file nor a zImage (not an ELF file, and no zImage magic at offset 0x24)"
        ));
    }
    let initrd = match &a.initrd {
        Some(p) => match read_file("initrd", p, a.memory << 20) {
            Ok(b) if b.is_empty() => return bad_input(format!("initrd {} is empty", p.display())),
            Ok(b) => Some(b),
            Err(e) => return bad_input(e),
        },
        None => None,
    };
    let dtb = match &a.dtb {
        Some(p) => match read_file("device tree", p, DTB_MAX) {
            Ok(b) => match fdt::Fdt::parse(&b) {
                Ok(_) => Some(b),
                Err(e) => return bad_input(format!("--dtb {}: {e}", p.display())),
            },
            Err(e) => return bad_input(e),
        },
        None => None,
    };
    let console = Box::new(std::io::stdout());
    let mut board = match Board::new(a.memory << 20, console) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("hspt: cannot create guest RAM of {} MiB: {e}", a.memory);
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    };
    let loaded = if linux {
        let cmdline = a.append.as_deref().unwrap_or("");
        loader::load_linux(&mut board, &image, initrd.as_deref(), dtb.as_deref(), cmdline)
    } else {
        loader::load_elf(&mut board, &image, &name)
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => return bad_input(e),
    };
    tracing::debug!(
        kernel = %name,
        kind = if linux { "zImage" } else { "ELF" },
        entry = format_args!("0x{:08x}{}", loaded.entry, if loaded.thumb { " (Thumb)" } else { "" }),
        image = format_args!("0x{:08x}-0x{:08x}", loaded.low, loaded.high),
        initrd = ?loaded.initrd.map(|(s, e)| format!("0x{s:08x}-0x{e:08x}")),
        dtb = ?loaded.dtb.map(|(s, e)| format!("0x{s:08x}-0x{e:08x}")),
        regs = ?loaded.regs,
        "guest loaded"
    );
    let trace: Option<Box<dyn std::io::Write>> = match &a.trace {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Some(Box::new(std::io::BufWriter::new(f))),
            Err(e) => return bad_input(format!("cannot create trace file {}: {e}", p.display())),
        },
        None => None,
    };
    let console_input = console::stdin_can_deliver();
    let (_raw_mode, input) = if console_input { let (g, p) = console::start(); (Some(g), Some(p)) } else { (None, None) };
    let mode = if a.mmu == Mmu::Soft { hspt_runtime::board::MmuMode::Soft } else { hspt_runtime::board::MmuMode::Hspt };
    board.configure_memory(mode, a.spt, a.prefill);
    if let Some(n) = a.soft_tlb {
        board.set_soft_tlb_entries(n);
    }
    if let Some(m) = a.max_host_mappings {
        board.limit_host_mappings(m);
    }
    let mut vm = Vm::new(board, Config { timeout, trace, log_undefined: std::env::var_os("HSPT_LOG_UNDEF").is_some(), dump_ir: std::env::var_os("HSPT_DUMP_IR").is_some(), console_input, input });
    // r0 = 0, r1 = 0xffffffff (no machine number), r2 = the DTB (Linux) or 0 (a bare ELF), as QEMU.
    vm.reset(loaded.entry, loaded.thumb, loaded.regs);
    let mut fingerprint = String::new();
    if tier != Tier::Interp {
        let quick = match (tier, a.quick_threshold) {
            (Tier::Quick, _) => Some(0),
            (Tier::Auto, Some(QuickThreshold::Off)) => None,
            (Tier::Auto, Some(QuickThreshold::Runs(n))) => Some(n),
            (Tier::Auto, None) => Some(AUTO_QUICK_THRESHOLD),
            _ => None,
        };
        let threshold = match tier {
            // No LLVM code at all.
            Tier::Quick => u32::MAX,
            Tier::Jit => a.jit_threshold.unwrap_or(0),
            _ if quick.is_some() => a.jit_threshold.unwrap_or(AUTO_JIT_THRESHOLD_AFTER_QUICK),
            _ => a.jit_threshold.unwrap_or(AUTO_JIT_THRESHOLD),
        };
        // Under the software MMU compiled code reaches memory through its TLB (a
        // backend in soft mode, with its own translation-cache fingerprint).
        let soft = a.mmu == Mmu::Soft;
        let local: std::sync::Arc<dyn hspt_runtime::exec::backend::Backend> = std::sync::Arc::new(hspt_llvm::LlvmBackend::for_mmu(soft));
        // LLVM compiles in a child process (exec/remote.rs: no TLB-flush interrupts for
        // the VM's mapping changes), unless HSPT_LLVM_IN_PROCESS is set.
        let backend: std::sync::Arc<dyn hspt_runtime::exec::backend::Backend> = match std::env::current_exe() {
            Ok(exe) if std::env::var_os("HSPT_LLVM_IN_PROCESS").is_none() => {
                let args = ["jit-server"].into_iter().chain(soft.then_some("--soft")).map(String::from).collect();
                std::sync::Arc::new(hspt_runtime::exec::remote::RemoteBackend::new(local, exe, args))
            }
            _ => local,
        };
        fingerprint = hspt_runtime::exec::tcache::fingerprint(&*backend);
        let log = std::env::var_os("HSPT_LOG_JIT").is_some();
        if let Err(e) = vm.set_jit(JitOptions { backend, threshold, log, quick }) {
            eprintln!("hspt: cannot reserve memory for JIT code: {e}");
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    }
    if uses_cache {
        let mut setup = hspt_runtime::exec::tcache::CacheSetup { cache: None, keep_compiled: a.cache_write, profile: a.profile_out.is_some() };
        if let Some(p) = &a.cache {
            if p.exists() || !a.cache_write {
                match hspt_runtime::exec::tcache::TCache::open(p, &fingerprint) {
                    Ok(c) => setup.cache = Some(c),
                    Err(why) => eprintln!("hspt: warning: translation cache {} not used: {why}", p.display()),
                }
            }
        }
        if let Err(e) = vm.set_translation_cache(setup) {
            return bad_input(e);
        }
    }
    let gdb = a.gdb.clone().or_else(|| (a.gdb_default || a.gdb_wait).then(|| "tcp::1234".to_string()));
    if let Some(spec) = gdb {
        match vm.listen_gdb(&spec, a.gdb_wait) {
            Ok(addr) => eprintln!("hspt: gdb stub listening on {addr} (target remote {addr})"),
            Err(e) => {
                // The guest never ran: leave no empty trace file behind.
                if let Some(p) = &a.trace {
                    let _ = std::fs::remove_file(p);
                }
                return bad_input(e);
            }
        }
    }
    tracing::debug!(
        ram_mib = a.memory,
        tier = ?tier,
        mmu = ?a.mmu,
        spt = ?a.spt,
        prefill = a.prefill,
        timeout = ?a.timeout,
        "starting the guest"
    );
    let stop = vm.run();
    tracing::debug!(
        stop = %stop.describe(),
        status = stop.exit_code(),
        guest_insns = vm.stats.guest_insns,
        wall_s = vm.stats.wall_s,
        "the guest stopped"
    );
    if let (Some(p), true) = (&a.cache, a.cache_write) {
        let new = vm.take_compiled();
        match hspt_runtime::exec::tcache::merge_into(p, &fingerprint, new, &mut |w| eprintln!("{w}")) {
            Ok(r) => {
                if std::env::var_os("HSPT_LOG_CACHE").is_some() {
                    eprintln!("hspt: translation cache {}: {} entries, {} added", p.display(), r.after, r.added);
                }
            }
            Err(e) => eprintln!("hspt: warning: cannot write the translation cache back: {e}"),
        }
    }
    if let Some(p) = &a.profile_out {
        let recs = vm.take_profile();
        if let Err(e) = hspt_runtime::exec::tcache::write_profile(p, &recs) {
            eprintln!("hspt: warning: cannot write the profile {}: {e}", p.display());
        }
    }
    vm.stats.stop = stop.describe();
    vm.stats.mips = if vm.stats.wall_s > 0.0 { vm.stats.guest_insns as f64 / vm.stats.wall_s / 1e6 } else { 0.0 };
    if let Some(dest) = &a.stats {
        let json = vm.stats.to_json();
        if dest == "-" {
            eprintln!("{json}");
        } else if let Err(e) = write_atomically(Path::new(dest), json.as_bytes()) {
            eprintln!("hspt: cannot write stats to {dest}: {e}");
        }
    }
    if stop != Stop::PowerOff {
        eprintln!("hspt: {}", stop.describe());
    }
    ExitCode::from(stop.exit_code() as u8)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers never see a partial file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.tmp{}", path.file_name().and_then(|s| s.to_str()).unwrap_or("out"), std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
