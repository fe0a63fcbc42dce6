//! `--stats` JSON. The keys of ../DESIGN.md are a contract; more may be added.

use serde::Serialize;

#[derive(Default, Debug, Serialize)]
pub struct BlockStats {
    pub distinct: u64,
    pub interpreted: u64,
    pub jit_compiled: u64,
    pub from_cache: u64,
    pub jit_compile_s: f64,
    /// CPU time of the compile thread.
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
    /// Compiled blocks entered straight from another (chaining) instead of the dispatcher.
    pub jit_chain_hits: u64,
}

#[derive(Default, Debug, Serialize)]
pub struct HsptStats {
    pub organisation: &'static str,
    pub fills: u64,
    pub prefilled: u64,
    pub guest_aborts: u64,
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
    pub tlb_flushes: u64,
    pub interrupts: u64,
    pub wfi_sleeps: u64,
    pub stop: String,
}

impl Stats {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }
}

/// CPU time the calling thread has used, in seconds.
pub fn thread_cpu_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec we pass it.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
