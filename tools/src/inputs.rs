//! Reading AOT inputs into code images: ARM ELF files, directories, initramfs
//! archives (newc cpio, optionally gzip-compressed) and zImage kernels (their
//! xz or gzip payload, run at 0xC0008000).

use std::io::Read;
use std::path::{Path, PathBuf};

use goblin::elf::section_header::SHF_EXECINSTR;
use goblin::elf::Elf;

/// Virtual address of the Linux kernel's text (PAGE_OFFSET + TEXT_OFFSET) on ARM.
pub const KERNEL_VIRT: u32 = 0xC000_8000;

/// Guest code to discover blocks in.
#[derive(Debug, Default)]
pub struct Image {
    pub name: String,
    /// Fetchable memory: (virtual address, bytes).
    pub segs: Vec<(u32, Vec<u8>)>,
    /// Address ranges holding code (fall-through and seeds are kept inside them).
    pub code: Vec<(u32, u32)>,
    /// Starting points: (address, Thumb).
    pub seeds: Vec<(u32, bool)>,
    /// ARM mapping symbols, sorted by address: b'a' (ARM), b't' (Thumb), b'd' (data).
    pub maps: Vec<(u32, u8)>,
}

impl Image {
    pub fn in_code(&self, a: u32) -> bool {
        if self.code.len() > 8 {
            let i = self.code.partition_point(|&(lo, _)| lo <= a);
            return i > 0 && a < self.code[i - 1].1;
        }
        self.code.iter().any(|&(lo, hi)| a >= lo && a < hi)
    }
    /// The mapping symbol in force at `a`, if any.
    pub fn map_at(&self, a: u32) -> Option<u8> {
        let i = self.maps.partition_point(|&(x, _)| x <= a);
        (i > 0).then(|| self.maps[i - 1].1)
    }
    pub fn bytes(&self) -> u64 {
        self.code.iter().map(|&(lo, hi)| (hi - lo) as u64).sum()
    }
}

/// What reading the inputs found.
#[derive(Debug, Default)]
pub struct Found {
    pub images: Vec<Image>,
    /// Files looked at, and those skipped (not ARM ELF / not recognised).
    pub files: u64,
    pub skipped: u64,
}

const EM_ARM: u16 = 40;

/// Reads every input (recursing into directories and archives).
pub fn read_inputs(paths: &[PathBuf], system_map: Option<&Path>) -> Result<Found, String> {
    let mut f = Found::default();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut f);
        } else {
            let data = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let map = system_map.map(Path::to_path_buf).or_else(|| sibling_system_map(p));
            if !add_file(&p.display().to_string(), &data, map.as_deref(), &mut f, 0) {
                return Err(format!("{}: not an ARM ELF file, directory, initramfs archive or zImage", p.display()));
            }
        }
    }
    Ok(f)
}

fn sibling_system_map(p: &Path) -> Option<PathBuf> {
    let m = p.parent()?.join("System.map");
    m.exists().then_some(m)
}

fn walk(dir: &Path, f: &mut Found) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(ty) = e.file_type() else { continue };
        let p = e.path();
        if ty.is_dir() {
            walk(&p, f);
        } else if ty.is_file() {
            match std::fs::read(&p) {
                Ok(data) => {
                    if !add_file(&p.display().to_string(), &data, None, f, 0) {
                        f.files += 1;
                        f.skipped += 1;
                    }
                }
                Err(_) => {
                    f.files += 1;
                    f.skipped += 1;
                }
            }
        }
    }
}

/// Adds one file's code; false if it is none of the known kinds.
fn add_file(name: &str, data: &[u8], system_map: Option<&Path>, f: &mut Found, depth: u32) -> bool {
    if data.starts_with(b"\x7fELF") {
        f.files += 1;
        match elf_image(name, data) {
            Some(img) => f.images.push(img),
            None => f.skipped += 1,
        }
        return true;
    }
    if depth < 2 && data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out).is_ok() && out.starts_with(b"070701") {
            return cpio(name, &out, f, depth + 1);
        }
        return false;
    }
    if depth < 2 && data.starts_with(b"070701") {
        return cpio(name, data, f, depth + 1);
    }
    if data.len() > 0x30 && u32::from_le_bytes(data[0x24..0x28].try_into().expect("4 bytes")) == 0x016f_2818 {
        f.files += 1;
        match zimage(name, data, system_map) {
            Ok(img) => f.images.push(img),
            Err(e) => {
                eprintln!("hspt aot: {name}: {e}");
                f.skipped += 1;
            }
        }
        return true;
    }
    false
}

/// Walks a newc cpio archive.
fn cpio(name: &str, a: &[u8], f: &mut Found, depth: u32) -> bool {
    let mut o = 0usize;
    let hex = |s: &[u8]| std::str::from_utf8(s).ok().and_then(|s| u32::from_str_radix(s, 16).ok());
    while o + 110 <= a.len() && &a[o..o + 6] == b"070701" {
        let h = &a[o..o + 110];
        let (Some(mode), Some(size), Some(nsize)) = (hex(&h[14..22]), hex(&h[54..62]), hex(&h[94..102])) else { break };
        let name_at = o + 110;
        let Some(fname) = a.get(name_at..name_at + nsize as usize) else { break };
        let fname = String::from_utf8_lossy(fname.strip_suffix(&[0]).unwrap_or(fname)).to_string();
        let data_at = (name_at + nsize as usize + 3) & !3;
        let Some(data) = a.get(data_at..data_at + size as usize) else { break };
        if fname == "TRAILER!!!" {
            break;
        }
        if mode & 0o170000 == 0o100000 && !data.is_empty() {
            let inner = format!("{name}:{fname}");
            if !add_file(&inner, data, None, f, depth) {
                f.files += 1;
                f.skipped += 1;
            }
        }
        o = (data_at + size as usize + 3) & !3;
    }
    true
}

/// Code of an ARM ELF file (None for other machines or malformed files).
pub fn elf_image(name: &str, data: &[u8]) -> Option<Image> {
    let elf = Elf::parse(data).ok()?;
    if elf.header.e_machine != EM_ARM || elf.is_64 || !elf.little_endian {
        return None;
    }
    let mut img = Image { name: name.to_string(), ..Default::default() };
    for ph in &elf.program_headers {
        if ph.p_type == goblin::elf::program_header::PT_LOAD && ph.is_executable() && ph.p_filesz > 0 {
            let r = data.get(ph.p_offset as usize..(ph.p_offset + ph.p_filesz) as usize)?;
            img.segs.push((ph.p_vaddr as u32, r.to_vec()));
        }
    }
    if img.segs.is_empty() {
        // A relocatable object or a file without program headers: use its code sections as they lie.
        for sh in &elf.section_headers {
            if sh.sh_flags & SHF_EXECINSTR as u64 != 0 && sh.sh_size > 0 && sh.sh_type != goblin::elf::section_header::SHT_NOBITS {
                if let Some(r) = data.get(sh.sh_offset as usize..(sh.sh_offset + sh.sh_size) as usize) {
                    img.segs.push((sh.sh_addr as u32, r.to_vec()));
                }
            }
        }
    }
    if img.segs.is_empty() {
        return None;
    }
    // Code ranges: executable sections if there are section headers, else the executable segments.
    for sh in &elf.section_headers {
        if sh.sh_flags & SHF_EXECINSTR as u64 != 0 && sh.sh_size > 0 {
            img.code.push((sh.sh_addr as u32, (sh.sh_addr + sh.sh_size) as u32));
        }
    }
    if img.code.is_empty() {
        img.code = img.segs.iter().map(|(a, b)| (*a, a.wrapping_add(b.len() as u32))).collect();
    }
    img.code.sort_unstable();
    let e = elf.header.e_entry as u32;
    if e != 0 {
        img.seeds.push((e & !1, e & 1 != 0));
    }
    // Symbols: functions (bit 0 = Thumb), mapping symbols.
    for (syms, strs) in [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)] {
        for s in syms.iter() {
            if s.st_shndx == 0 {
                continue;
            }
            let v = s.st_value as u32;
            let nm = strs.get_at(s.st_name).unwrap_or("");
            if let Some(kind) = nm.strip_prefix('$').and_then(|k| k.bytes().next()) {
                if matches!(kind, b'a' | b't' | b'd') && (nm.len() == 2 || nm.as_bytes()[2] == b'.') {
                    img.maps.push((v, kind));
                    if kind != b'd' {
                        img.seeds.push((v, kind == b't'));
                    }
                }
                continue;
            }
            if s.st_type() == goblin::elf::sym::STT_FUNC || (s.st_type() == goblin::elf::sym::STT_NOTYPE && s.st_bind() == goblin::elf::sym::STB_GLOBAL) {
                img.seeds.push((v & !1, v & 1 != 0));
            }
        }
    }
    // The unwind index (PT_ARM_EXIDX): function starts, even in stripped files.
    // It does not say ARM or Thumb: take the entry point's state.
    let thumb_default = e & 1 != 0;
    for ph in &elf.program_headers {
        if ph.p_type == 0x7000_0001 {
            if let Some(t) = data.get(ph.p_offset as usize..(ph.p_offset + ph.p_filesz) as usize) {
                for f in exidx_entries(t, ph.p_vaddr as u32) {
                    img.seeds.push((f & !1, thumb_default || f & 1 != 0));
                }
            }
        }
    }
    img.maps.sort_unstable();
    img.maps.dedup_by_key(|m| m.0);
    for sh in &elf.section_headers {
        let sname = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("");
        let addr = sh.sh_addr as u32;
        match sname {
            // PLT: PLT0 (20 bytes) then 12-byte ARM entries.
            ".plt" => {
                img.seeds.push((addr, false));
                let mut a = 20;
                while a + 12 <= sh.sh_size as u32 {
                    img.seeds.push((addr + a, false));
                    a += 12;
                }
            }
            ".init" | ".fini" | ".text" => img.seeds.push((addr, img.map_at(addr) == Some(b't'))),
            _ => {}
        }
        // Code pointers in data (function tables, init arrays, GOT, vtables): words that point into code.
        let data_sec = sh.sh_flags & SHF_EXECINSTR as u64 == 0
            && sh.sh_flags & goblin::elf::section_header::SHF_ALLOC as u64 != 0
            && sh.sh_type != goblin::elf::section_header::SHT_NOBITS;
        if data_sec {
            if let Some(r) = data.get(sh.sh_offset as usize..(sh.sh_offset + sh.sh_size) as usize) {
                for w in r.chunks_exact(4) {
                    let v = u32::from_le_bytes(w.try_into().expect("4 bytes"));
                    if v != 0 && img.in_code(v & !1) && (v & 1 != 0 || v & 3 == 0) {
                        img.seeds.push((v & !1, v & 1 != 0));
                    }
                }
            }
        }
    }
    Some(img)
}

/// A zImage's kernel: finds the compressed payload (xz or gzip), unpacks it to
/// 0xC0008000, and takes seeds from a System.map if there is one.
pub fn zimage(name: &str, data: &[u8], system_map: Option<&Path>) -> Result<Image, String> {
    let kernel = unpack_payload(data)?;
    let mut img = Image { name: name.to_string(), ..Default::default() };
    let mut syms: Vec<(u32, String, String)> = Vec::new();
    if let Some(m) = system_map {
        let text = std::fs::read_to_string(m).map_err(|e| format!("{}: {e}", m.display()))?;
        for line in text.lines() {
            let mut it = line.split_whitespace();
            let (Some(a), Some(t), Some(n)) = (it.next(), it.next(), it.next()) else { continue };
            let Ok(a) = u32::from_str_radix(a, 16) else { continue };
            syms.push((a, t.to_string(), n.to_string()));
        }
    }
    // Where the image runs: `_text` if the System.map says (Debian's armmp: 0xC0208000, TEXT_OFFSET
    // 0x208000), else 0xC0008000. Keys depend only on page offsets, which agree either way.
    let base = syms.iter().find(|s| s.2 == "_text").map_or(KERNEL_VIRT, |s| s.0);
    let end = base.wrapping_add(kernel.len() as u32);
    img.seeds.push((base, false));
    let mut code = Vec::new();
    let sym: std::collections::HashMap<&str, u32> = syms.iter().map(|s| (s.2.as_str(), s.0)).collect();
    for (a, t, _) in &syms {
        if matches!(t.as_str(), "T" | "t" | "W" | "w") && *a >= base && *a < end && a & 3 == 0 {
            img.seeds.push((*a, false));
        }
    }
    for (lo, hi) in [("_stext", "_etext"), ("_sinittext", "_einittext"), ("__exception_text_start", "__exception_text_end")] {
        if let (Some(&l), Some(&h)) = (sym.get(lo), sym.get(hi)) {
            if l < h {
                code.push((l, h));
            }
        }
    }
    code.sort_unstable();
    // The unwind index (.ARM.exidx, CONFIG_ARM_UNWIND): one entry per function.
    let fns = find_exidx(&kernel, base);
    if code.is_empty() && !fns.is_empty() {
        code = clusters(&fns);
    }
    img.seeds.extend(fns.iter().map(|&a| (a, false)));
    if code.is_empty() {
        eprintln!("hspt aot: {name}: no System.map with symbols and no unwind index: only code reachable from the entry is found");
        code.push((base, end));
    }
    img.code = code;
    img.segs.push((base, kernel));
    Ok(img)
}

/// Decodes a prel31 field at address `at`.
fn prel31(at: u32, w: u32) -> u32 {
    at.wrapping_add((((w << 1) as i32) >> 1) as u32)
}

/// Function start addresses from an ARM unwind index (8-byte entries) at `vaddr`.
pub fn exidx_entries(table: &[u8], vaddr: u32) -> Vec<u32> {
    table
        .chunks_exact(8)
        .enumerate()
        .filter_map(|(i, e)| {
            let w0 = u32::from_le_bytes(e[0..4].try_into().expect("4 bytes"));
            (w0 & 0x8000_0000 == 0).then(|| prel31(vaddr.wrapping_add(i as u32 * 8), w0))
        })
        .collect()
}

/// Finds unwind index tables in a raw image at `base`: runs of at least 64
/// entries whose prel31 function addresses increase and stay inside the image.
fn find_exidx(img: &[u8], base: u32) -> Vec<u32> {
    let end = base as u64 + img.len() as u64;
    let word = |o: usize| u32::from_le_bytes(img[o..o + 4].try_into().expect("4 bytes"));
    let mut out = Vec::new();
    for phase in [0usize, 4] {
        let mut run: Vec<u32> = Vec::new();
        let mut o = phase;
        while o + 8 <= img.len() {
            let at = base.wrapping_add(o as u32);
            let (w0, w1) = (word(o), word(o + 4));
            let f = prel31(at, w0);
            let w1_ok = w1 == 1 || w1 & 0x8000_0000 != 0 || (prel31(at + 4, w1) as u64) < end && prel31(at + 4, w1) >= base;
            // The index lies after the code it describes (negative offsets); zero words are not entries.
            let w1_ok = w1_ok && w1 != 0;
            let entry = w0 != 0 && w0 & 0x8000_0000 == 0 && f < at && f >= base && f & 3 == 0 && w1_ok;
            let ok = entry && run.last().is_none_or(|&l| f > l);
            if ok {
                run.push(f);
            } else {
                if run.len() >= 64 {
                    out.append(&mut run);
                }
                run.clear();
                // An entry that failed only because it did not increase may start a new run.
                if entry {
                    run.push(f);
                }
            }
            o += 8;
        }
        if run.len() >= 64 {
            out.append(&mut run);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Code ranges around sorted function addresses (a gap over 256 KiB starts a new range).
fn clusters(fns: &[u32]) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = Vec::new();
    for &f in fns {
        match v.last_mut() {
            Some(r) if f <= r.1 || f - r.1 < 256 << 10 => r.1 = r.1.max(f + 4096),
            _ => v.push((f, f + 4096)),
        }
    }
    v
}

fn unpack_payload(z: &[u8]) -> Result<Vec<u8>, String> {
    const XZ: &[u8] = b"\xfd7zXZ\x00";
    let mut from = 0;
    while let Some(i) = find(&z[from..], XZ) {
        let at = from + i;
        from = at + 1;
        // The decompressor's own code holds the magic too: a stream starts with valid stream flags.
        if z.get(at + 6) != Some(&0) || z.get(at + 7).is_none_or(|f| *f > 0x0f) {
            continue;
        }
        let mut out = Vec::new();
        let mut dec = xz2::stream::Stream::new_stream_decoder(u64::MAX, 0).map_err(|e| e.to_string())?;
        let mut input = &z[at..];
        out.reserve(z.len() * 4);
        loop {
            if out.capacity() - out.len() < 1 << 20 {
                out.reserve(4 << 20);
            }
            let before_in = dec.total_in();
            let st = dec.process_vec(input, &mut out, xz2::stream::Action::Run);
            let used = (dec.total_in() - before_in) as usize;
            input = &input[used..];
            match st {
                Ok(xz2::stream::Status::StreamEnd) => return Ok(out),
                Ok(_) if input.is_empty() && used == 0 => return Err("the xz payload is truncated".into()),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    let mut at = 0;
    while let Some(i) = find(&z[at..], &[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&z[at + i..]).read_to_end(&mut out).is_ok() && out.len() > 4096 {
            return Ok(out);
        }
        at += i + 1;
    }
    Err("no xz or gzip payload found in the zImage".into())
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}
