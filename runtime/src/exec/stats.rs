//! `--stats` JSON. The keys of ../DESIGN.md are a contract; more may be added.

use serde::Serialize;

#[derive(Default, Debug, Serialize)]
pub struct BlockStats {
    pub distinct: u64,
    pub interpreted: u64,
    pub jit_compiled: u64,
    pub from_cache: u64,
    pub jit_compile_s: f64,
    /// CPU time of the compile thread (and of the compiler process it talks to).
    pub jit_thread_cpu_s: f64,
    /// Compile latency per block (ms): mean and 99th percentile.
    pub jit_compile_mean_ms: f64,
    pub jit_compile_p99_ms: f64,
    pub jit_failed: u64,
    /// Bytes of machine code installed.
    pub jit_code_bytes: u64,
    /// Block executions in compiled code and in the interpreter (with a JIT tier).
    pub jit_runs: u64,
    pub interp_runs: u64,
    /// Exits of compiled code to the dispatcher: all of them, and those that
    /// handed one instruction to the interpreter (device access, abort).
    pub jit_exits: u64,
    pub jit_retries: u64,
    /// `jit_exits` by why compiled code returned: a branch whose target was not found by chaining, the
    /// chain budget spent (the dispatcher's turn: interrupts, devices), a system-state change (CPS, MSR,
    /// CP15 writes, exception returns), an exception (SVC, abort, undefined), and the rest (WFI, HVC...).
    pub jit_exits_by_reason: ExitCounts,
    /// Compiled blocks entered straight from another (chaining) instead of the dispatcher.
    pub jit_chain_hits: u64,
    /// Compiled blocks freed because their guest code changed, and the code
    /// memory in use at the end.
    pub jit_freed: u64,
    pub jit_code_live_bytes: u64,
    /// The quick tier: blocks given quick code, the time it took (on the VM's thread) and its bytes.
    pub quick_compiled: u64,
    /// Blocks the quick code generator refused (they stay interpreted until LLVM takes them).
    pub quick_failed: u64,
    pub quick_compile_s: f64,
    pub quick_code_bytes: u64,
    /// Of `jit_compiled`: regions (hot blocks and the warm blocks they branch to on their page, in
    /// one function), and the blocks in them.
    pub jit_regions: u64,
    pub jit_region_blocks: u64,
    /// Of `jit_compiled`: blocks that had the translation cache's code, compiled again because
    /// they got hot (`hspt aot`'s code counts its runs).
    pub jit_cache_promoted: u64,
    /// Runs of blocks of one Thumb instruction across a page boundary (`Block::crosses_page`):
    /// each is checked against the guest's bytes and interpreted, never compiled.
    pub page_crossing_runs: u64,
}

#[derive(Default, Debug, Clone, Copy, Serialize)]
pub struct ExitCounts {
    pub branch_unchained: u64,
    pub chain_budget: u64,
    pub sys_change: u64,
    pub exception: u64,
    pub retry: u64,
    pub other: u64,
}

#[derive(Default, Debug, Serialize)]
pub struct HsptStats {
    pub organisation: &'static str,
    pub fills: u64,
    pub prefilled: u64,
    pub guest_aborts: u64,
    /// Pages of a data abort mapped as the guest returned from its handler (saving a host fault each).
    pub abort_refills: u64,
    pub flushes: u64,
    pub flushes_by_cause: FlushCauses,
    /// Views emptied (one flush event may empty many).
    pub views_flushed: u64,
    pub regions_recycled: u64,
    pub pages_mapped: u64,
    pub pages_unmapped: u64,
    pub peak_host_mappings: u64,
}

#[derive(Default, Debug, Serialize)]
pub struct FlushCauses {
    pub tlb_maintenance: u64,
    pub context_switch: u64,
    pub region_recycled: u64,
    pub host_mapping_limit: u64,
}

#[derive(Default, Debug, Serialize)]
pub struct SoftMmuStats {
    pub hits: u64,
    pub misses: u64,
}

#[derive(Default, Debug, Serialize)]
pub struct Stats {
    pub wall_s: f64,
    /// CPU time of the VM's own thread (what runs the guest), and of the JIT
    /// compile thread: comparable across runs on a busy machine, where wall time is not.
    pub vm_thread_cpu_s: f64,
    pub guest_insns: u64,
    /// "hspt" or "soft".
    pub mmu: &'static str,
    /// Guest MIPS over the whole run.
    pub mips: f64,
    pub blocks: BlockStats,
    pub hspt: HsptStats,
    pub softmmu: SoftMmuStats,
    pub undefined_insns: u64,
    pub exceptions: u64,
    pub icache_flushes: u64,
    /// Instruction-cache invalidations after which no page's code could have changed (no data-cache
    /// maintenance since the one before, caches on): nothing was checked.
    pub icache_unchanged: u64,
    /// Pages named for checking by the other invalidations (those that named pages, not all of memory).
    pub icache_pages: u64,
    pub tlb_flushes: u64,
    pub interrupts: u64,
    pub wfi_sleeps: u64,
    pub stop: String,
    /// The VM's own memory use when the guest asked (an `HSPT-SAMPLE label` console line).
    pub samples: Vec<Sample>,
}

/// One sample of the host process's memory use (tests/soak.rs: it must stay flat).
#[derive(Default, Debug, Serialize)]
pub struct Sample {
    pub label: String,
    pub wall_s: f64,
    pub guest_insns: u64,
    /// /proc/self/status: VmRSS, and its parts: anonymous memory (the VM's heap and
    /// JIT code) and shared memory (guest RAM pages the guest has touched).
    pub rss_kib: u64,
    pub rss_anon_kib: u64,
    pub rss_shmem_kib: u64,
    /// Lines of /proc/self/maps: the host mappings (VMAs) of the whole process.
    pub host_maps: u64,
    /// Blocks translated so far, and bytes of JIT code installed so far.
    pub blocks: u64,
    pub jit_code_bytes: u64,
    /// JIT code memory in use (freed code of changed guest code not counted).
    pub jit_code_live_bytes: u64,
}

impl Sample {
    /// Reads the process's memory figures (outside any signal handler: it allocates).
    pub fn of_this_process(label: String) -> Sample {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key)?.trim().strip_suffix("kB")?.trim().parse().ok())
                .unwrap_or(0)
        };
        let maps = std::fs::read("/proc/self/maps").map(|m| m.iter().filter(|&&b| b == b'\n').count() as u64);
        Sample {
            label,
            rss_kib: kib("VmRSS:"),
            rss_anon_kib: kib("RssAnon:"),
            rss_shmem_kib: kib("RssShmem:"),
            host_maps: maps.unwrap_or(0),
            ..Sample::default()
        }
    }
}

impl Stats {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }
}

/// CPU time the calling thread has used, in seconds (from /proc/thread-self/schedstat:
/// nanoseconds on the CPU first; 0 where it cannot be read).
pub fn thread_cpu_s() -> f64 {
    schedstat_cpu_s("/proc/thread-self/schedstat")
}

/// CPU seconds from a schedstat file (/proc/.../schedstat: nanoseconds on a CPU first);
/// 0 where it cannot be read.
pub fn schedstat_cpu_s(path: &str) -> f64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .map_or(0.0, |ns| ns as f64 * 1e-9)
}
