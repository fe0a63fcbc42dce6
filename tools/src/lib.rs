//! hspt-aot: the offline translator. Finds ARM code in ELF files, directories,
//! initramfs archives and zImage kernels (`inputs`), discovers its blocks by
//! recursive descent (`discover`), compiles them in parallel with the LLVM
//! backend (rayon, several blocks per LLVM module) and merges them into a
//! translation cache (hspt_runtime::exec::tcache). `hspt aot` calls `run`.

pub mod cache;
pub mod discover;
pub mod inputs;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use hspt_runtime::exec::backend::Backend;
use hspt_runtime::exec::tcache::{self, NewEntry};

/// Whether the LLVM backend this tool would use is linked and working.
pub fn backend_ready() -> bool {
    hspt_llvm::jit_smoke_add(1, 2) == Ok(3)
}

/// Blocks per `compile_batch` call (one LLVM module).
pub const BATCH: usize = 64;
/// Stack of the compile threads (LLVM recurses deeply on large functions).
const STACK: usize = 64 << 20;

pub struct AotOptions {
    pub output: PathBuf,
    pub jobs: Option<usize>,
    pub profiles: Vec<PathBuf>,
    pub inputs: Vec<PathBuf>,
    pub progress: bool,
}

/// What a run did.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files: u64,
    pub skipped: u64,
    pub blocks: u64,
    pub failed: u64,
    pub guest_bytes: u64,
    pub code_bytes: u64,
    pub discover_s: f64,
    pub compile_s: f64,
    pub total_s: f64,
    /// CPU time of the process (all threads).
    pub cpu_s: f64,
    pub jobs: usize,
    pub cache_entries: usize,
    pub cache_added: usize,
    pub cache_bytes: u64,
    pub output: PathBuf,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "hspt aot: {} files ({} skipped), {} blocks ({} not compiled), {:.2} MB of ARM code -> {:.2} MB of x86-64, {:.1} s \
             (CPU {:.1} s; discovery {:.1} s, compile {:.1} s on {} threads: {:.3} MB/s of ARM code); {}: {} entries ({} new), {:.1} MB",
            self.files,
            self.skipped,
            self.blocks,
            self.failed,
            self.guest_bytes as f64 / 1e6,
            self.code_bytes as f64 / 1e6,
            self.total_s,
            self.cpu_s,
            self.discover_s,
            self.compile_s,
            self.jobs,
            self.guest_bytes as f64 / 1e6 / self.total_s.max(1e-9),
            self.output.display(),
            self.cache_entries,
            self.cache_added,
            self.cache_bytes as f64 / 1e6,
        )
    }
}

/// `hspt aot`: inputs and profiles -> blocks -> code -> merged into the output cache.
pub fn run(o: &AotOptions) -> Result<Summary, String> {
    let t0 = Instant::now();
    let jobs = o.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).stack_size(STACK).build().map_err(|e| e.to_string())?;
    let mut s = Summary { jobs, output: o.output.clone(), ..Default::default() };

    let found = inputs::read_inputs(&o.inputs, std::env::var_os("HSPT_SYSTEM_MAP").map(PathBuf::from).as_deref())?;
    s.files = found.files + o.profiles.len() as u64;
    s.skipped = found.skipped;
    let mut blocks = pool.install(|| discover::discover_all(&found.images));
    // Benchmarking aid: HSPT_AOT_COVERAGE=PROFILE reports how many of a run's blocks static discovery found.
    if let Some(p) = std::env::var_os("HSPT_AOT_COVERAGE") {
        let recs = tcache::read_profile(std::path::Path::new(&p)).map_err(|e| format!("profile: {e}"))?;
        let hit = recs.iter().filter(|r| blocks.contains_key(&r.key())).count();
        eprintln!(
            "hspt aot: static discovery found {hit} of the {} blocks the profiled run executed ({:.1}%)",
            recs.len(),
            hit as f64 * 100.0 / recs.len().max(1) as f64
        );
    }
    for p in &o.profiles {
        let recs = tcache::read_profile(p).map_err(|e| format!("profile {}: {e}", p.display()))?;
        discover::add_profile(&recs, &mut blocks);
    }
    let mut list: Vec<discover::Found> = blocks.into_values().collect();
    // Benchmarking aid: HSPT_AOT_SAMPLE=k keeps every k-th block (by key, so a fair sample).
    if let Some(k) = std::env::var("HSPT_AOT_SAMPLE").ok().and_then(|v| v.parse::<u128>().ok()).filter(|&k| k > 1) {
        list.retain(|f| f.key.0 % k == 0);
    }
    // Big blocks first keeps the threads busy to the end.
    list.sort_by_key(|b| std::cmp::Reverse(b.block.ops.len()));
    s.discover_s = t0.elapsed().as_secs_f64();
    s.blocks = list.len() as u64;
    s.guest_bytes = list.iter().map(|b| b.block.len as u64).sum();
    if o.progress || std::env::var_os("HSPT_AOT_DISCOVER_ONLY").is_some() {
        let code: u64 = found.images.iter().map(|i| i.bytes()).sum();
        eprintln!(
            "hspt aot: {} images ({:.1} MB of code ranges): {} blocks, {:.2} MB, found in {:.1} s",
            found.images.len(),
            code as f64 / 1e6,
            s.blocks,
            s.guest_bytes as f64 / 1e6,
            s.discover_s
        );
    }
    if std::env::var_os("HSPT_AOT_DISCOVER_ONLY").is_some() {
        return Ok(s);
    }

    let t1 = Instant::now();
    // Cached code counts its runs: the JIT compiles the blocks that get hot again, as the
    // quick tier's (so a cache made for a short compile does not hold the VM to its code).
    let backend = hspt_llvm::LlvmBackend { count_runs: true, ..hspt_llvm::LlvmBackend::default() };
    let fingerprint = tcache::fingerprint(&backend);
    let bar = if o.progress {
        let b = indicatif::ProgressBar::new(list.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} compiling [{bar:40}] {pos}/{len} blocks, {per_sec}, eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let failed = AtomicU64::new(0);
    let chunks: Vec<&[discover::Found]> = list.chunks(BATCH).collect();
    let entries: Vec<NewEntry> = pool.install(|| {
        chunks
            .par_iter()
            .flat_map_iter(|chunk| {
                let bl: Vec<hspt_runtime::ir::Block> = chunk.iter().map(|f| f.block.clone()).collect();
                let res = backend.compile_batch(&bl);
                bar.inc(chunk.len() as u64);
                let mut out = Vec::with_capacity(chunk.len());
                for (f, r) in chunk.iter().zip(res) {
                    match r {
                        Ok(code) => out.push(NewEntry { key: f.key, isa: f.isa, guest_len: f.block.len, code }),
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                out.into_iter()
            })
            .collect()
    });
    bar.finish_and_clear();
    s.failed = failed.into_inner();
    s.code_bytes = entries.iter().map(|e| e.code.code.len() as u64).sum();
    s.compile_s = t1.elapsed().as_secs_f64();
    let r = tcache::merge_into(&o.output, &fingerprint, entries, &mut |w| eprintln!("{w}"))?;
    s.cache_entries = r.after;
    s.cache_added = r.added;
    s.cache_bytes = std::fs::metadata(&o.output).map(|m| m.len()).unwrap_or(0);
    s.total_s = t0.elapsed().as_secs_f64();
    s.cpu_s = cpu_seconds();
    Ok(s)
}

/// User + system CPU time of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct we pass; RUSAGE_SELF is always valid.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// Compiles blocks with any backend (tests use it with a fake one).
pub fn compile_all(backend: &dyn Backend, list: &[discover::Found]) -> Vec<NewEntry> {
    list.chunks(BATCH)
        .flat_map(|chunk| {
            let bl: Vec<hspt_runtime::ir::Block> = chunk.iter().map(|f| f.block.clone()).collect();
            let res = backend.compile_batch(&bl);
            chunk.iter().zip(res).filter_map(|(f, r)| r.ok().map(|code| NewEntry { key: f.key, isa: f.isa, guest_len: f.block.len, code })).collect::<Vec<_>>()
        })
        .collect()
}
