//! The persistent translation cache (../DESIGN.md "Translation cache"): block
//! keys, the file format, its loader (mapped at launch, no entry parsed), its
//! writer (temporary file, fsync, rename; merges under a lock), and run
//! profiles (the blocks a run executed, with their bytes, for `hspt aot --profile`).
//!
//! # Block keys
//! A block's translation is a deterministic function of the guest instruction
//! bytes it covers, the ISA state at its entry (Thumb, ITSTATE), the
//! strict-alignment flag (SCTLR.A) and the block's offset in its page (the
//! translator folds PC-relative alignment and ends blocks at page boundaries
//! from it; ELF segments and the kernel keep page offsets, so this costs no
//! sharing; the one block that crosses a page, a single Thumb instruction across
//! the boundary, is never cached). Compiled code reads the guest PC from `cpu.r[15]`, so one entry
//! serves every address with the same key. The key is a 128-bit xxh3 of all
//! that plus `TRANSLATOR_VERSION`.
//!
//! # File layout (all little endian)
//! ```text
//! 0      header (HEADER_BYTES): magic, format version, translator version,
//!        record size, entry count, offsets and lengths of the sections,
//!        the backend fingerprint's hash, file length, xxh3-64 checksum of
//!        everything after the header
//! H      meta: the backend fingerprint as UTF-8 (pass pipeline, host CPU, features)
//! I      index: `count` records of RECORD_BYTES sorted by key (binary searched in place)
//! C      code (page aligned): position-independent x86-64, each entry aligned as it asks
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use super::backend::CompiledCode;

/// Bumped whenever translation (arm/, ir/) or code generation (the LLVM
/// lowering, CpuState's layout, the helper ABI) changes: old caches are then refused.
/// 2: blocks take their exit slots as a third argument and call `ChainCtx::lookup`.
/// 3: the soft-TLB miss helper joins the helper table; CpuState::soft_tlb/soft_ctx.
/// 4: MSR CPSR / CPS end their block as a plain branch unless the dispatcher must look.
/// 5: the chain key after BX / BLX uses the T bit the write set, not the block's.
/// 6: a static exit's slot miss tail-calls the shared stub `quick::S_LLVM_MISS`.
/// 7: a Thumb block ends before a 32-bit instruction that crosses into the next page
///    (profiles of older versions recorded such blocks with the wrong page's bytes).
/// 8: `hspt aot`'s code counts its runs and forwards to newer code in its exit slots' header.
/// 9: guest accesses record their instruction as `cpu.pc_off` instead of r15; loop rounds
///    of a region count instructions and budget in registers.
/// 10: SUBS, CMP and RSBS with an immediate operand are `Op::SubFlags`.
pub const TRANSLATOR_VERSION: u32 = 10;
/// Version of the file layout below.
pub const FORMAT_VERSION: u32 = 1;
pub const MAGIC: [u8; 8] = *b"HSPTTC\r\n";
pub const HEADER_BYTES: usize = 128;
pub const RECORD_BYTES: usize = 48;
const PAGE: u64 = 4096;
/// Largest code alignment an entry may ask for.
const MAX_ALIGN: u32 = 4096;

/// What compiled code depends on in this runtime besides `TRANSLATOR_VERSION`:
/// CpuState's size and the helper table (order and names). Added to the
/// backend's fingerprint, so a forgotten version bump cannot load wrong code.
pub fn runtime_fingerprint() -> String {
    let mut h = Xxh3::new();
    for f in crate::arm::helpers::HELPERS.iter() {
        h.update(f.name.as_bytes());
        h.update(&[0]);
    }
    format!(
        "hspt-translator-{TRANSLATOR_VERSION};cpustate={};chainctx={};exitslot={};helpers={}:{:016x}",
        std::mem::size_of::<crate::cpu::CpuState>(),
        std::mem::size_of::<super::backend::ChainCtx>(),
        std::mem::size_of::<super::backend::ExitSlot>(),
        crate::arm::helpers::HELPERS.len(),
        h.digest()
    )
}

/// The fingerprint a cache made with `backend` carries (empty: it cannot cache code).
pub fn fingerprint(backend: &dyn super::backend::Backend) -> String {
    let b = backend.fingerprint();
    if b.is_empty() {
        return b;
    }
    format!("{};{b}", runtime_fingerprint())
}

/// ISA state a block was translated under (part of its key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Isa {
    pub thumb: bool,
    /// ITSTATE at entry.
    pub it: u8,
    /// SCTLR.A: unaligned accesses fault.
    pub strict_align: bool,
    /// Offset of the block's first instruction in its 4 KiB page.
    pub page_off: u16,
}

impl Isa {
    pub fn new(pc: u32, thumb: bool, it: u8, strict_align: bool) -> Isa {
        Isa { thumb, it, strict_align, page_off: (pc & 0xfff) as u16 }
    }
}

/// Content key of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockKey(pub u128);

/// The key of the block translated under `isa` from exactly `bytes`.
pub fn block_key(isa: Isa, bytes: &[u8]) -> BlockKey {
    let mut h = Xxh3::new();
    h.update(&TRANSLATOR_VERSION.to_le_bytes());
    h.update(&[isa.thumb as u8 | (isa.strict_align as u8) << 1, isa.it]);
    h.update(&isa.page_off.to_le_bytes());
    h.update(&(bytes.len() as u32).to_le_bytes());
    h.update(bytes);
    BlockKey(h.digest128())
}

/// A compiled block to be written to a cache.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub key: BlockKey,
    pub isa: Isa,
    /// Guest bytes the block covers.
    pub guest_len: u32,
    pub code: CompiledCode,
}

/// One index record, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub key: BlockKey,
    /// Offset of the code in the code section.
    pub code_off: u64,
    pub code_len: u32,
    /// Entry point, relative to `code_off`.
    pub entry: u32,
    pub align: u32,
    pub guest_len: u32,
    pub isa: Isa,
}

impl Record {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key.0.to_le_bytes());
        out.extend_from_slice(&self.code_off.to_le_bytes());
        out.extend_from_slice(&self.code_len.to_le_bytes());
        out.extend_from_slice(&self.entry.to_le_bytes());
        out.extend_from_slice(&self.align.to_le_bytes());
        out.extend_from_slice(&self.guest_len.to_le_bytes());
        out.extend_from_slice(&[self.isa.thumb as u8, self.isa.it, self.isa.strict_align as u8, 0]);
        out.extend_from_slice(&self.isa.page_off.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
    }
    fn decode(b: &[u8]) -> Record {
        let u32at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        Record {
            key: BlockKey(u128::from_le_bytes(b[0..16].try_into().expect("16 bytes"))),
            code_off: u64::from_le_bytes(b[16..24].try_into().expect("8 bytes")),
            code_len: u32at(24),
            entry: u32at(28),
            align: u32at(32),
            guest_len: u32at(36),
            isa: Isa { thumb: b[40] != 0, it: b[41], strict_align: b[42] != 0, page_off: u16::from_le_bytes([b[44], b[45]]) },
        }
    }
    /// Whether the record describes code inside a code section of `code_len` bytes.
    fn in_bounds(&self, code_len: u64) -> bool {
        self.code_len > 0
            && self.entry < self.code_len
            && self.align.is_power_of_two()
            && self.align <= MAX_ALIGN
            && self.code_off.is_multiple_of(self.align as u64)
            && self.code_off.checked_add(self.code_len as u64).is_some_and(|e| e <= code_len)
    }
}

/// The fixed-size header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub format_version: u32,
    pub translator_version: u32,
    pub record_bytes: u32,
    pub count: u64,
    pub meta_off: u64,
    pub meta_len: u64,
    pub index_off: u64,
    pub code_off: u64,
    pub code_len: u64,
    pub fingerprint_hash: u64,
    pub file_len: u64,
    pub checksum: u64,
}

impl Header {
    fn encode(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(HEADER_BYTES);
        h.extend_from_slice(&MAGIC);
        h.extend_from_slice(&self.format_version.to_le_bytes());
        h.extend_from_slice(&self.translator_version.to_le_bytes());
        h.extend_from_slice(&self.record_bytes.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        for v in [self.count, self.meta_off, self.meta_len, self.index_off, self.code_off, self.code_len, self.fingerprint_hash, self.file_len, self.checksum] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.resize(HEADER_BYTES, 0);
        h
    }
    /// Decodes a header (checks the magic and the format version only).
    fn decode(b: &[u8]) -> Result<Header, String> {
        if b.len() < HEADER_BYTES {
            return Err(format!("truncated: {} bytes, shorter than the header", b.len()));
        }
        if b[0..8] != MAGIC {
            return Err("not an hspt translation cache (bad magic)".into());
        }
        let u32at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let h = Header {
            format_version: u32at(8),
            translator_version: u32at(12),
            record_bytes: u32at(16),
            count: u64at(24),
            meta_off: u64at(32),
            meta_len: u64at(40),
            index_off: u64at(48),
            code_off: u64at(56),
            code_len: u64at(64),
            fingerprint_hash: u64at(72),
            file_len: u64at(80),
            checksum: u64at(88),
        };
        if h.format_version != FORMAT_VERSION {
            return Err(format!("file format version {} (this hspt reads version {FORMAT_VERSION})", h.format_version));
        }
        Ok(h)
    }
}

/// Checks a whole file image: header, versions, fingerprint (if given), section
/// bounds, checksum. Returns the header and the fingerprint text.
fn check_image(b: &[u8], fingerprint: Option<&str>) -> Result<(Header, String), String> {
    let h = Header::decode(b)?;
    if h.translator_version != TRANSLATOR_VERSION {
        return Err(format!("made by translator version {} (this hspt is version {TRANSLATOR_VERSION})", h.translator_version));
    }
    if h.record_bytes as usize != RECORD_BYTES {
        return Err(format!("index records of {} bytes (expected {RECORD_BYTES})", h.record_bytes));
    }
    if h.file_len != b.len() as u64 {
        return Err(format!("truncated or extended: {} bytes, the header says {}", b.len(), h.file_len));
    }
    let len = b.len() as u64;
    let within = |off: u64, n: u64| off >= HEADER_BYTES as u64 && off.checked_add(n).is_some_and(|e| e <= len);
    let index_len = h.count.checked_mul(RECORD_BYTES as u64).ok_or("absurd entry count")?;
    if !within(h.meta_off, h.meta_len) || !within(h.index_off, index_len) || !within(h.code_off, h.code_len) || h.code_off % PAGE != 0 {
        return Err("section offsets outside the file".into());
    }
    let sum = xxh3_64(&b[HEADER_BYTES..]);
    if sum != h.checksum {
        return Err(format!("checksum mismatch (stored {:016x}, computed {sum:016x}): the file is corrupt", h.checksum));
    }
    let meta = std::str::from_utf8(&b[h.meta_off as usize..(h.meta_off + h.meta_len) as usize])
        .map_err(|_| "fingerprint is not UTF-8")?
        .to_string();
    if xxh3_64(meta.as_bytes()) != h.fingerprint_hash {
        return Err("fingerprint hash mismatch".into());
    }
    if let Some(fp) = fingerprint {
        if meta != fp {
            return Err(format!("made for another host CPU or code generator ({})", short(&meta)));
        }
    }
    Ok((h, meta))
}

fn short(s: &str) -> String {
    if s.len() > 80 {
        format!("{}...", &s[..s.char_indices().nth(77).map(|(i, _)| i).unwrap_or(s.len())])
    } else {
        s.to_string()
    }
}

/// Refuses a file that another user owns or that group/others may write (it is executable code).
fn check_trust(meta: &std::fs::Metadata) -> Result<(), String> {
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!("owned by uid {}, not by this user (uid {me})", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("writable by group or others (mode {:o})", meta.mode() & 0o7777));
    }
    Ok(())
}

/// A cache mapped for a run: the header and index read-only, the code
/// section read+execute. Lookups binary-search the mapped index.
pub struct TCache {
    path: PathBuf,
    file: memmap2::Mmap,
    code: memmap2::Mmap,
    header: Header,
}

impl std::fmt::Debug for TCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TCache({}, {} entries)", self.path.display(), self.header.count)
    }
}

impl TCache {
    /// Opens and checks a cache made for `fingerprint` (the backend's). Any
    /// problem is an error naming the reason (the caller warns and runs without it).
    pub fn open(path: &Path, fingerprint: &str) -> Result<TCache, String> {
        let f = File::open(path).map_err(|e| e.to_string())?;
        let meta = f.metadata().map_err(|e| e.to_string())?;
        check_trust(&meta)?;
        if meta.len() < HEADER_BYTES as u64 {
            return Err(format!("truncated: {} bytes, shorter than the header", meta.len()));
        }
        // SAFETY: a private read-only mapping. The file is ours and not writable by
        // others (checked above); our own writers replace it by rename, never in place,
        // so the mapped contents do not change under us.
        let map = unsafe { memmap2::MmapOptions::new().map(&f) }.map_err(|e| format!("cannot map: {e}"))?;
        let (header, _) = check_image(&map, Some(fingerprint))?;
        if header.code_len == 0 {
            return Err("no code".into());
        }
        // SAFETY: as above; the code section is mapped read+execute (never writable),
        // at a page-aligned offset inside the file (checked by check_image).
        let code = unsafe { memmap2::MmapOptions::new().offset(header.code_off).len(header.code_len as usize).map_exec(&f) }
            .map_err(|e| format!("cannot map the code executable: {e}"))?;
        // The contents were checked through the first mapping; make sure the second shows the same bytes.
        if xxh3_64(&code[..]) != xxh3_64(&map[header.code_off as usize..(header.code_off + header.code_len) as usize]) {
            return Err("the file changed while it was being opened".into());
        }
        Ok(TCache { path: path.to_path_buf(), file: map, code, header })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.header.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.header.count == 0
    }

    fn record(&self, i: usize) -> Record {
        let o = self.header.index_off as usize + i * RECORD_BYTES;
        Record::decode(&self.file[o..o + RECORD_BYTES])
    }

    /// Finds `key`: the host address of its entry point (inside the executable mapping).
    pub fn lookup(&self, key: BlockKey) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let o = self.header.index_off as usize + mid * RECORD_BYTES;
            let k = u128::from_le_bytes(self.file[o..o + 16].try_into().expect("16 bytes"));
            match k.cmp(&key.0) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let r = self.record(mid);
                    if !r.in_bounds(self.header.code_len) {
                        return None;
                    }
                    return Some(self.code.as_ptr() as usize + r.code_off as usize + r.entry as usize);
                }
            }
        }
        None
    }

    /// Host address range of the executable code.
    pub fn code_range(&self) -> (usize, usize) {
        let p = self.code.as_ptr() as usize;
        (p, p + self.code.len())
    }
}

// ----- reading whole caches (merge, inspect, verify) -----

/// A cache read into memory.
#[derive(Debug, Default)]
pub struct Contents {
    pub header: Header,
    pub fingerprint: String,
    pub entries: Vec<NewEntry>,
}

/// Reads and fully checks a cache file (every record in bounds, keys sorted and unique).
pub fn read(path: &Path) -> Result<Contents, String> {
    let b = std::fs::read(path).map_err(|e| e.to_string())?;
    parse(&b)
}

/// `read` on an image in memory.
pub fn parse(b: &[u8]) -> Result<Contents, String> {
    let (header, fingerprint) = check_image(b, None)?;
    let mut entries = Vec::with_capacity(header.count as usize);
    let code = &b[header.code_off as usize..(header.code_off + header.code_len) as usize];
    let mut last: Option<BlockKey> = None;
    for i in 0..header.count as usize {
        let o = header.index_off as usize + i * RECORD_BYTES;
        let r = Record::decode(&b[o..o + RECORD_BYTES]);
        if !r.in_bounds(header.code_len) {
            return Err(format!("index record {i} points outside the code section"));
        }
        if last.is_some_and(|k| k >= r.key) {
            return Err(format!("index not sorted at record {i}"));
        }
        last = Some(r.key);
        let c = &code[r.code_off as usize..r.code_off as usize + r.code_len as usize];
        entries.push(NewEntry {
            key: r.key,
            isa: r.isa,
            guest_len: r.guest_len,
            code: CompiledCode { code: c.to_vec(), entry: r.entry as usize, align: r.align as usize },
        });
    }
    Ok(Contents { header, fingerprint, entries })
}

/// Lays a cache file out (entries sorted by key; the first of duplicate keys wins).
pub fn build(fingerprint: &str, mut entries: Vec<NewEntry>) -> Result<Vec<u8>, String> {
    entries.sort_by_key(|e| e.key);
    entries.dedup_by_key(|e| e.key);
    entries.retain(|e| !e.code.code.is_empty() && e.code.entry < e.code.code.len());
    let meta_off = HEADER_BYTES as u64;
    let meta_len = fingerprint.len() as u64;
    let index_off = (meta_off + meta_len + 15) & !15;
    let index_len = entries.len() as u64 * RECORD_BYTES as u64;
    let code_off = (index_off + index_len + PAGE - 1) & !(PAGE - 1);
    let mut code: Vec<u8> = Vec::new();
    let mut index: Vec<u8> = Vec::with_capacity(index_len as usize);
    for e in &entries {
        let align = e.code.align.clamp(16, MAX_ALIGN as usize);
        if !align.is_power_of_two() {
            return Err(format!("entry {:032x}: alignment {} is not a power of two", e.key.0, e.code.align));
        }
        let at = (code.len() + align - 1) & !(align - 1);
        code.resize(at, 0xcc);
        code.extend_from_slice(&e.code.code);
        let r = Record {
            key: e.key,
            code_off: at as u64,
            code_len: u32::try_from(e.code.code.len()).map_err(|_| "code entry over 4 GiB")?,
            entry: e.code.entry as u32,
            align: align as u32,
            guest_len: e.guest_len,
            isa: e.isa,
        };
        r.encode(&mut index);
    }
    // At least one page of code, so the executable mapping is never empty.
    let code_len = ((code.len() as u64).max(1) + PAGE - 1) & !(PAGE - 1);
    code.resize(code_len as usize, 0xcc);
    let file_len = code_off + code_len;
    let mut out = vec![0u8; file_len as usize];
    out[meta_off as usize..(meta_off + meta_len) as usize].copy_from_slice(fingerprint.as_bytes());
    out[index_off as usize..(index_off + index_len) as usize].copy_from_slice(&index);
    out[code_off as usize..].copy_from_slice(&code);
    let h = Header {
        format_version: FORMAT_VERSION,
        translator_version: TRANSLATOR_VERSION,
        record_bytes: RECORD_BYTES as u32,
        count: entries.len() as u64,
        meta_off,
        meta_len,
        index_off,
        code_off,
        code_len,
        fingerprint_hash: xxh3_64(fingerprint.as_bytes()),
        file_len,
        checksum: xxh3_64(&out[HEADER_BYTES..]),
    };
    out[..HEADER_BYTES].copy_from_slice(&h.encode());
    Ok(out)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory
/// (mode 0600), fsync, rename, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("cache");
    let tmp = dir.join(format!(".{name}.tmp.{}.{}", std::process::id(), xxh3_64(&std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos().to_le_bytes()) & 0xffff));
    let r = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        // Tests of interrupted writes (tests/tcache.rs) stop half-way here for a while.
        if let Some(ms) = std::env::var("HSPT_TCACHE_TEST_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
            f.write_all(&bytes[..bytes.len() / 2])?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
            f.write_all(&bytes[bytes.len() / 2..])?;
        } else {
            f.write_all(bytes)?;
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// An exclusive advisory lock on `<path>.lock`, held while it lives.
pub struct Lock {
    _file: File,
}

pub fn lock(path: &Path) -> io::Result<Lock> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(PathBuf::from(p))?;
    loop {
        // SAFETY: flock on a descriptor we own; it is released when the file closes.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
        if r == 0 {
            return Ok(Lock { _file: f });
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// What a merge did.
#[derive(Debug, Default, Clone, Copy)]
pub struct MergeReport {
    pub before: usize,
    pub added: usize,
    pub after: usize,
    /// The existing file was unusable (corrupt, foreign) and was replaced.
    pub replaced_bad: bool,
}

/// Merges `new` into the cache at `path` (created if missing) under the lock:
/// re-reads the current file, keeps its entries (if it is valid and for the
/// same fingerprint), adds the new keys, writes atomically. `warn` receives a
/// reason if the existing file had to be discarded.
pub fn merge_into(path: &Path, fingerprint: &str, new: Vec<NewEntry>, warn: &mut dyn FnMut(String)) -> Result<MergeReport, String> {
    let _lock = lock(path).map_err(|e| format!("cannot lock {}.lock: {e}", path.display()))?;
    let mut report = MergeReport::default();
    let mut entries = Vec::new();
    match std::fs::metadata(path) {
        Ok(m) => {
            let old = check_trust(&m).and_then(|_| read(path)).and_then(|c| {
                if c.fingerprint != fingerprint {
                    Err(format!("made for another host CPU or code generator ({})", short(&c.fingerprint)))
                } else {
                    Ok(c)
                }
            });
            match old {
                Ok(c) => entries = c.entries,
                Err(why) => {
                    warn(format!("hspt: translation cache {}: {why}; replacing it", path.display()));
                    report.replaced_bad = true;
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", path.display())),
    }
    report.before = entries.len();
    let known: std::collections::HashSet<BlockKey> = entries.iter().map(|e| e.key).collect();
    for e in new {
        if !known.contains(&e.key) {
            entries.push(e);
        }
    }
    let bytes = build(fingerprint, entries)?;
    report.after = (u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"))) as usize;
    report.added = report.after - report.before;
    write_atomic(path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(report)
}

/// A human summary of a cache (`hspt cache inspect`).
pub fn describe(c: &Contents, file_len: u64) -> String {
    let h = &c.header;
    let mut s = String::new();
    let arm = c.entries.iter().filter(|e| !e.isa.thumb).count();
    let thumb = c.entries.len() - arm;
    let in_it = c.entries.iter().filter(|e| e.isa.it != 0).count();
    let strict = c.entries.iter().filter(|e| e.isa.strict_align).count();
    let guest: u64 = c.entries.iter().map(|e| e.guest_len as u64).sum();
    let code: u64 = c.entries.iter().map(|e| e.code.code.len() as u64).sum();
    let arm_guest: u64 = c.entries.iter().filter(|e| !e.isa.thumb).map(|e| e.guest_len as u64).sum();
    s += &format!("format version      {}\n", h.format_version);
    s += &format!("translator version  {}\n", h.translator_version);
    s += &format!("backend fingerprint {}\n", c.fingerprint);
    s += &format!("file size           {file_len} bytes (index {} B, code section {} B)\n", h.count * RECORD_BYTES as u64, h.code_len);
    s += &format!("checksum            {:016x} (xxh3-64)\n", h.checksum);
    s += &format!("entries             {}\n", h.count);
    s += &format!("  ARM               {arm} blocks, {arm_guest} guest bytes\n");
    s += &format!("  Thumb             {thumb} blocks, {} guest bytes\n", guest - arm_guest);
    s += &format!("  inside IT blocks  {in_it}\n");
    s += &format!("  strict alignment  {strict}\n");
    s += &format!("guest bytes         {guest}\n");
    s += &format!("code bytes          {code} ({:.1} host bytes per guest byte)\n", code as f64 / guest.max(1) as f64);
    s
}

// ----- profiles -----

const PROFILE_MAGIC: [u8; 8] = *b"HSPTPRF1";

/// A block a run executed: enough to translate it again without the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileRecord {
    /// Guest (physical) address of the block; only its page offset matters.
    pub pc: u32,
    pub isa: Isa,
    pub bytes: Vec<u8>,
}

impl ProfileRecord {
    pub fn key(&self) -> BlockKey {
        block_key(self.isa, &self.bytes)
    }
}

pub fn write_profile(path: &Path, recs: &[ProfileRecord]) -> io::Result<()> {
    let mut out = Vec::new();
    out.extend_from_slice(&PROFILE_MAGIC);
    out.extend_from_slice(&TRANSLATOR_VERSION.to_le_bytes());
    out.extend_from_slice(&(recs.len() as u32).to_le_bytes());
    for r in recs {
        out.extend_from_slice(&r.pc.to_le_bytes());
        out.extend_from_slice(&[r.isa.thumb as u8, r.isa.it, r.isa.strict_align as u8, 0]);
        out.extend_from_slice(&(r.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&r.bytes);
    }
    out.extend_from_slice(&xxh3_64(&out).to_le_bytes());
    write_atomic(path, &out)
}

pub fn read_profile(path: &Path) -> Result<Vec<ProfileRecord>, String> {
    let mut b = Vec::new();
    File::open(path).and_then(|mut f| f.read_to_end(&mut b)).map_err(|e| e.to_string())?;
    if b.len() < 24 || b[..8] != PROFILE_MAGIC {
        return Err("not an hspt profile".into());
    }
    let (body, sum) = b.split_at(b.len() - 8);
    if xxh3_64(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err("checksum mismatch: the profile is corrupt".into());
    }
    let ver = u32::from_le_bytes(body[8..12].try_into().expect("4 bytes"));
    if ver != TRANSLATOR_VERSION {
        return Err(format!("recorded by translator version {ver} (this hspt is version {TRANSLATOR_VERSION})"));
    }
    let n = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes")) as usize;
    let mut recs = Vec::with_capacity(n.min(1 << 20));
    let mut o = 16;
    for _ in 0..n {
        let hdr = body.get(o..o + 12).ok_or("truncated")?;
        let pc = u32::from_le_bytes(hdr[0..4].try_into().expect("4 bytes"));
        let len = u32::from_le_bytes(hdr[8..12].try_into().expect("4 bytes")) as usize;
        let bytes = body.get(o + 12..o + 12 + len).ok_or("truncated")?.to_vec();
        recs.push(ProfileRecord { pc, isa: Isa::new(pc, hdr[4] != 0, hdr[5], hdr[6] != 0), bytes });
        o += 12 + len;
    }
    Ok(recs)
}

// ----- the run-time side: what the JIT tier consults and records -----

/// Options of a run's translation cache (`hspt run --cache/--cache-write/--profile-out`).
#[derive(Default)]
pub struct CacheSetup {
    /// A cache to use (already opened and checked).
    pub cache: Option<TCache>,
    /// Keep the code the JIT compiles, for writing back.
    pub keep_compiled: bool,
    /// Record the blocks executed.
    pub profile: bool,
}

/// Per-VM state of the cache hooks in the JIT tier.
pub(crate) struct Hook {
    cache: Option<TCache>,
    keep_compiled: bool,
    profile: bool,
    /// Key of each block id seen (by the current block-cache generation).
    keys: Vec<Option<(BlockKey, Isa)>>,
    pub new_code: Vec<NewEntry>,
    profiled: HashMap<BlockKey, ProfileRecord>,
    pub hits: u64,
}

impl Hook {
    pub fn new(s: CacheSetup) -> Hook {
        Hook { cache: s.cache, keep_compiled: s.keep_compiled, profile: s.profile, keys: Vec::new(), new_code: Vec::new(), profiled: HashMap::new(), hits: 0 }
    }

    pub fn code_range(&self) -> Option<(usize, usize)> {
        self.cache.as_ref().map(|c| c.code_range())
    }

    /// Whether the JIT's code is kept for writing back (`--cache-write`).
    pub fn writes_back(&self) -> bool {
        self.keep_compiled
    }

    /// Block ids were reused (the block cache was cleared).
    pub fn reset_ids(&mut self) {
        self.keys.clear();
    }

    /// A block the JIT tier sees for the first time: records it and returns its
    /// cached code's entry address, if the cache has it.
    pub fn first_seen(&mut self, block: &crate::ir::Block, bytes: &[u8], strict_align: bool, id: u32) -> Option<usize> {
        if bytes.is_empty() || bytes.len() != block.len as usize || block.crosses_page() {
            return None; // not readable as RAM, or its key would not name all of its code: never cached
        }
        let isa = Isa::new(block.pc, block.thumb, block.it, strict_align);
        let key = block_key(isa, bytes);
        let i = id as usize;
        if self.keys.len() <= i {
            self.keys.resize(i + 1, None);
        }
        self.keys[i] = Some((key, isa));
        if self.profile {
            self.profiled.entry(key).or_insert_with(|| ProfileRecord { pc: block.pc, isa, bytes: bytes.to_vec() });
        }
        let hit = self.cache.as_ref()?.lookup(key);
        self.hits += hit.is_some() as u64;
        hit
    }

    /// The JIT compiled block `id` into `code`.
    pub fn compiled(&mut self, id: u32, guest_len: u32, code: &CompiledCode) {
        if !self.keep_compiled {
            return;
        }
        if let Some(Some((key, isa))) = self.keys.get(id as usize) {
            self.new_code.push(NewEntry { key: *key, isa: *isa, guest_len, code: code.clone() });
        }
    }

    pub fn take_profile(&mut self) -> Vec<ProfileRecord> {
        let mut v: Vec<ProfileRecord> = self.profiled.drain().map(|(_, r)| r).collect();
        v.sort_by_key(|r| (r.pc, r.isa.thumb, r.isa.it));
        v
    }
}

impl super::Vm {
    /// Uses a translation cache and/or records for one (needs the JIT tier, `set_jit` first).
    pub fn set_translation_cache(&mut self, s: CacheSetup) -> Result<(), String> {
        let jit = self.jit.as_deref_mut().ok_or("a translation cache needs the JIT tier (--tier jit or auto)")?;
        jit.attach_cache(Hook::new(s));
        Ok(())
    }

    /// The blocks the JIT compiled in this run, keyed (with `keep_compiled`).
    pub fn take_compiled(&mut self) -> Vec<NewEntry> {
        self.jit.as_deref_mut().and_then(|j| j.tc.as_deref_mut()).map(|t| std::mem::take(&mut t.new_code)).unwrap_or_default()
    }

    /// The distinct blocks this run executed (with `profile`).
    pub fn take_profile(&mut self) -> Vec<ProfileRecord> {
        self.jit.as_deref_mut().and_then(|j| j.tc.as_deref_mut()).map(|t| t.take_profile()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8, thumb: bool) -> NewEntry {
        let bytes = [n, 0, 0xa0, 0xe3];
        let isa = Isa::new(0x8000 + n as u32 * 4, thumb, 0, false);
        NewEntry { key: block_key(isa, &bytes), isa, guest_len: 4, code: CompiledCode { code: vec![0x31, 0xc0, 0xc3, n], entry: 0, align: 16 } }
    }

    #[test]
    fn keys_depend_on_every_input() {
        let b = [1u8, 2, 3, 4];
        let base = Isa::new(0x1000, false, 0, false);
        let k = block_key(base, &b);
        assert_eq!(k, block_key(Isa::new(0x7000, false, 0, false), &b), "same page offset: same key");
        assert_ne!(k, block_key(Isa::new(0x1004, false, 0, false), &b));
        assert_ne!(k, block_key(Isa { thumb: true, ..base }, &b));
        assert_ne!(k, block_key(Isa { it: 0x18, ..base }, &b));
        assert_ne!(k, block_key(Isa { strict_align: true, ..base }, &b));
        assert_ne!(k, block_key(base, &[1, 2, 3, 5]));
        assert_ne!(k, block_key(base, &[1, 2, 3]));
    }

    #[test]
    fn build_and_parse_round_trip() {
        let es: Vec<NewEntry> = (0..50).map(|n| entry(n, n % 3 == 0)).collect();
        let img = build("fp", es.clone()).unwrap();
        let c = parse(&img).unwrap();
        assert_eq!(c.fingerprint, "fp");
        assert_eq!(c.entries.len(), 50);
        for e in &es {
            let got = c.entries.iter().find(|x| x.key == e.key).unwrap();
            assert_eq!(got.code.code, e.code.code);
            assert_eq!(got.isa, e.isa);
        }
    }

    #[test]
    fn damaged_images_are_refused() {
        let img = build("fp", (0..10).map(|n| entry(n, false)).collect()).unwrap();
        assert!(parse(&img).is_ok());
        // Any flipped byte after the header breaks the checksum.
        for at in [HEADER_BYTES, HEADER_BYTES + 5, img.len() / 2, img.len() - 1] {
            let mut b = img.clone();
            b[at] ^= 0x40;
            assert!(parse(&b).unwrap_err().contains("checksum"), "byte {at}");
        }
        // Truncation, a wrong magic, another translator or format version.
        assert!(parse(&img[..img.len() - 100]).unwrap_err().contains("truncated"));
        assert!(parse(&img[..50]).unwrap_err().contains("truncated"));
        let mut b = img.clone();
        b[0] = b'X';
        assert!(parse(&b).unwrap_err().contains("magic"));
        let mut b = img.clone();
        b[12..16].copy_from_slice(&(TRANSLATOR_VERSION + 1).to_le_bytes());
        assert!(parse(&b).unwrap_err().contains("translator version"));
        let mut b = img.clone();
        b[8..12].copy_from_slice(&(FORMAT_VERSION + 7).to_le_bytes());
        assert!(parse(&b).unwrap_err().contains("format version"));
        // Section offsets pointing outside the file.
        let mut b = img.clone();
        b[56..64].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(parse(&b).is_err());
    }

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hspt-tcache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn open_maps_and_finds_entries_and_checks_trust() {
        use std::os::unix::fs::PermissionsExt;
        let d = tmpdir("open");
        let p = d.join("c.htc");
        let es: Vec<NewEntry> = (0..20).map(|n| entry(n, false)).collect();
        write_atomic(&p, &build("fp", es.clone()).unwrap()).unwrap();
        let c = TCache::open(&p, "fp").unwrap();
        assert_eq!(c.len(), 20);
        let (lo, hi) = c.code_range();
        for e in &es {
            let a = c.lookup(e.key).expect("entry found");
            assert!(a >= lo && a < hi);
            // SAFETY: reading bytes inside the mapping just checked.
            let first = unsafe { std::ptr::read(a as *const [u8; 4]) };
            assert_eq!(first.to_vec(), e.code.code);
        }
        assert!(c.lookup(BlockKey(12345)).is_none());
        assert!(TCache::open(&p, "other").unwrap_err().contains("another host"));
        drop(c);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o664)).unwrap();
        assert!(TCache::open(&p, "fp").unwrap_err().contains("writable by group"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o646)).unwrap();
        assert!(TCache::open(&p, "fp").unwrap_err().contains("writable by group or others"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn merges_keep_the_union_under_concurrency() {
        let d = tmpdir("merge");
        let p = d.join("c.htc");
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                let p = p.clone();
                std::thread::spawn(move || {
                    for round in 0..5u8 {
                        let es = (0..8).map(|n| entry(t * 64 + round * 8 + n, false)).collect();
                        merge_into(&p, "fp", es, &mut |w| panic!("{w}")).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let c = read(&p).unwrap();
        assert_eq!(c.entries.len(), 4 * 5 * 8, "every writer's entries are kept");
        // A bad file is replaced, with a warning.
        std::fs::write(&p, b"garbage").unwrap();
        let mut warned = Vec::new();
        let r = merge_into(&p, "fp", vec![entry(1, true)], &mut |w| warned.push(w)).unwrap();
        assert!(r.replaced_bad && warned.len() == 1 && warned[0].contains("c.htc"));
        assert_eq!(read(&p).unwrap().entries.len(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }

    /// A block that crosses into the next page is neither profiled nor looked up: its
    /// bytes there are on a page its key does not name.
    #[test]
    fn blocks_across_pages_are_never_profiled_or_cached() {
        let mut h = Hook::new(CacheSetup { cache: None, keep_compiled: false, profile: true });
        let mut b = crate::ir::Block { pc: 0x4000_0ffc, thumb: true, it: 0, ops: Vec::new(), insns: Vec::new(), ntmp: 0, len: 2 };
        assert!(h.first_seen(&b, &[0, 0xbf], false, 0).is_none());
        assert_eq!(h.take_profile().len(), 1, "a block inside its page is profiled");
        b.pc = 0x4000_0ffe;
        b.len = 4;
        assert!(h.first_seen(&b, &[0x41, 0xf2, 0x34, 0x20], false, 1).is_none());
        assert!(h.take_profile().is_empty(), "a block across pages is not");
    }

    #[test]
    fn profiles_round_trip() {
        let d = tmpdir("profile");
        let p = d.join("p.prof");
        let recs = vec![
            ProfileRecord { pc: 0xc000_8004, isa: Isa::new(0xc000_8004, false, 0, false), bytes: vec![1, 2, 3, 4] },
            ProfileRecord { pc: 0x0001_0002, isa: Isa::new(0x0001_0002, true, 0x18, true), bytes: vec![5, 6] },
        ];
        write_profile(&p, &recs).unwrap();
        assert_eq!(read_profile(&p).unwrap(), recs);
        let mut b = std::fs::read(&p).unwrap();
        b[20] ^= 1;
        std::fs::write(&p, &b).unwrap();
        assert!(read_profile(&p).is_err());
        let _ = std::fs::remove_dir_all(&d);
    }
}
