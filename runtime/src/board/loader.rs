//! Loading guest images into RAM: ARM ELF files by their program headers (as QEMU
//! loads `-kernel guest.elf`), and Linux zImages with the boot protocol of
//! Documentation/arch/arm/booting.rst, placed where QEMU's hw/arm/boot.c puts them.

use goblin::elf::{header, program_header, Elf};

use super::{fdt, Board, RAM_BASE};

/// A problem with a guest image, reported to the user in one line.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// What loading produced: where to start and with what in r0-r2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub entry: u32,
    /// Thumb entry point (bit 0 of e_entry set).
    pub thumb: bool,
    /// Lowest and highest physical addresses of the kernel image.
    pub low: u32,
    pub high: u32,
    /// r0, r1, r2 at entry: for Linux 0, 0xffffffff (no machine number: DT boot), the
    /// DTB's address; for an ELF the same with r2 = 0, as QEMU does for a bare ELF.
    pub regs: [u32; 3],
    /// Physical [start, end) of the initrd and of the DTB, when loaded.
    pub initrd: Option<(u32, u32)>,
    pub dtb: Option<(u32, u32)>,
}

/// Whether `bytes` look like an ELF file.
pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && &bytes[..4] == b"\x7fELF"
}

/// Loads a 32-bit little-endian ARM ELF executable's PT_LOAD segments at their
/// physical addresses.
pub fn load_elf(board: &mut Board, bytes: &[u8], name: &str) -> Result<Loaded, LoadError> {
    let err = |m: String| LoadError(format!("{name}: {m}"));
    if bytes.len() < 52 {
        return Err(err("truncated ELF file (shorter than an ELF header)".into()));
    }
    if bytes[4] != header::ELFCLASS32 {
        return Err(err("not a 32-bit ELF file (hspt runs 32-bit ARM guests)".into()));
    }
    if bytes[5] != header::ELFDATA2LSB {
        return Err(err("big-endian ELF files are not supported (the guest is little-endian ARM)".into()));
    }
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as u64;
    let u32_at = |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as u64;
    let (phoff, phentsize, phnum) = (u32_at(28), u16_at(42), u16_at(44));
    if phoff + phentsize * phnum > bytes.len() as u64 {
        return Err(err(format!(
            "truncated ELF file: its program headers end at byte {} but the file has {} bytes",
            phoff + phentsize * phnum,
            bytes.len()
        )));
    }
    let elf = Elf::parse(bytes).map_err(|e| err(format!("malformed ELF file: {e}")))?;
    if elf.header.e_machine != header::EM_ARM {
        return Err(err(format!(
            "not an ARM ELF file (e_machine = {}, {})",
            elf.header.e_machine,
            header::machine_to_str(elf.header.e_machine)
        )));
    }
    let mut low = u32::MAX;
    let mut high = 0u32;
    let mut any = false;
    for ph in elf.program_headers.iter().filter(|p| p.p_type == program_header::PT_LOAD) {
        if ph.p_memsz == 0 {
            continue;
        }
        let (off, filesz, memsz, pa) = (ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_paddr);
        if filesz > memsz {
            return Err(err(format!("segment at 0x{pa:x} has p_filesz > p_memsz")));
        }
        let data = off
            .checked_add(filesz)
            .and_then(|end| bytes.get(off as usize..end as usize))
            .ok_or_else(|| err(format!("truncated ELF file: segment at 0x{pa:x} extends past the end of the file")))?;
        let end = pa.checked_add(memsz).filter(|&e| e <= 1 << 32).ok_or_else(|| {
            err(format!("segment at 0x{pa:x} (0x{memsz:x} bytes) wraps past 4 GiB"))
        })?;
        let (pa32, end32) = (pa as u32, (end - 1) as u32);
        if let Some((dev_base, dev)) = DEVICES.iter().find(|(b, _)| pa < *b as u64 + 0x1000 && end > *b as u64) {
            return Err(err(format!(
                "segment 0x{pa32:08x}-0x{end32:08x} overlaps the {dev} registers at 0x{dev_base:08x}, not RAM; is it linked for QEMU's virt board?"
            )));
        }
        let ram_start = board.ram.start as u64;
        if pa >= ram_start && pa < ram_start + board.ram.size as u64 && !board.ram.contains(pa32, memsz as u32) {
            let mib = (end - ram_start).div_ceil(MIB);
            return Err(err(if end - ram_start <= super::RAM_MAX {
                format!(
                    "-m {} is too small: segment 0x{pa32:08x}-0x{end32:08x} ends past the end of RAM; it needs at least -m {mib}",
                    (board.ram.size as u64).div_ceil(MIB)
                )
            } else {
                format!(
                    "segment 0x{pa32:08x}-0x{end32:08x} ({} MiB) does not fit in the largest RAM hspt offers ({} MiB)",
                    memsz.div_ceil(MIB),
                    super::RAM_MAX / MIB
                )
            }));
        }
        if !board.ram.contains(pa32, memsz as u32) {
            return Err(err(format!(
                "segment 0x{pa32:08x}-0x{end32:08x} is outside RAM (0x{:08x}-0x{:08x}); is it linked for QEMU's virt board?",
                board.ram.start,
                board.ram.start as u64 + board.ram.size as u64 - 1
            )));
        }
        if !board.write_phys(pa32, data) {
            return Err(err(format!("cannot write segment at 0x{pa32:08x}")));
        }
        let zeros = vec![0u8; (memsz - filesz) as usize];
        if !board.write_phys(pa32 + filesz as u32, &zeros) {
            return Err(err(format!("cannot clear .bss at 0x{pa32:08x}")));
        }
        tracing::debug!(
            segment = format_args!("0x{pa32:08x}-0x{end32:08x}"),
            file_bytes = filesz,
            bss_bytes = memsz - filesz,
            "ELF: loaded a PT_LOAD segment"
        );
        low = low.min(pa32);
        high = high.max(end32);
        any = true;
    }
    if !any {
        return Err(err("ELF file has no loadable segments".into()));
    }
    let e = elf.header.e_entry as u32;
    // A bare ELF gets no boot protocol: QEMU enters it with r0-r2 = 0.
    Ok(Loaded { entry: e & !1, thumb: e & 1 != 0, low, high, regs: [0, 0, 0], initrd: None, dtb: None })
}

/// The board's device register windows (a page each is enough to name them).
const DEVICES: [(u32, &str); 5] = [
    (super::GIC_DIST_BASE, "GIC distributor"),
    (super::GIC_CPU_BASE, "GIC CPU interface"),
    (super::UART_BASE, "PL011 UART"),
    (super::RTC_BASE, "PL031 RTC"),
    (super::VIRTIO_BASE, "virtio-mmio"),
];

// zImage header (arch/arm/boot/compressed/head.S): a magic word, the image's link-time
// start and end (end - start = the image's size), an endianness word, and a pointer to
// an extension table of tags whose `KLSZ` tag gives the decompressed size.
const ZIMAGE_MAGIC: u32 = 0x016f_2818;
const ZIMAGE_MAGIC_OFF: usize = 0x24;
const ZIMAGE_TABLE_MAGIC: u32 = 0x4545_4545;
const ZIMAGE_TAG_KLSZ: u32 = 0x5a53_4c4b;

/// QEMU loads a raw kernel at RAM + KERNEL_LOAD_ADDR (64 KiB). Where the zImage sits
/// does not matter to it (it is position-independent and decompresses the kernel to
/// RAM + TEXT_OFFSET); being where QEMU puts it keeps instruction traces comparable.
pub const ZIMAGE_OFFSET: u32 = 0x1_0000;
const PAGE: u64 = 0x1000;
const MIB: u64 = 1 << 20;
/// Room the decompressor needs beyond its copy of itself when it relocates past the
/// decompressed kernel: its stack (4 KiB), bss, the relocation code and 256-byte
/// alignment, generously rounded.
const DECOMPRESSOR_SLACK: u64 = 0x1_0000;
/// The page directory the decompressor builds just below the kernel's destination.
const DECOMPRESSOR_PGDIR: u64 = 0x4000;

/// Whether `bytes` look like an ARM zImage (either endianness).
pub fn is_zimage(bytes: &[u8]) -> bool {
    matches!(le32(bytes, ZIMAGE_MAGIC_OFF), Some(m) if m == ZIMAGE_MAGIC || m == ZIMAGE_MAGIC.swap_bytes())
}

fn le32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off.checked_add(4)?)?.try_into().ok()?))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB as f64)
}

/// What the zImage header tells about the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ZImage {
    /// Bytes to load: the whole file (an appended DTB follows the image proper).
    len: u64,
    /// From the `KLSZ` tag: (decompressed size, kernel .bss size, TEXT_OFFSET, the
    /// decompressor's malloc arena), when the image has one (Linux 4.x and later).
    klsz: Option<(u64, u64, u64, u64)>,
}

fn parse_zimage(k: &[u8]) -> Result<ZImage, LoadError> {
    let err = |m: String| LoadError(format!("corrupt zImage: {m}"));
    match le32(k, ZIMAGE_MAGIC_OFF) {
        Some(ZIMAGE_MAGIC) => {}
        Some(m) if m == ZIMAGE_MAGIC.swap_bytes() => {
            return Err(LoadError("big-endian zImage: hspt runs little-endian guests".into()))
        }
        _ => {
            return Err(LoadError(
                "neither an ARM ELF file nor a zImage (no zImage magic 0x016f2818 at offset 0x24)".into(),
            ))
        }
    }
    let (start, end) = match (le32(k, 0x28), le32(k, 0x2c)) {
        (Some(s), Some(e)) => (s, e),
        _ => return Err(err(format!("file of {} bytes is too short for the header", k.len()))),
    };
    if end <= start {
        return Err(err(format!("header end 0x{end:x} is not above start 0x{start:x}")));
    }
    let size = (end - start) as u64;
    if size > k.len() as u64 {
        return Err(err(format!(
            "its header says the image is {size} bytes but the file has {} (truncated download?)",
            k.len()
        )));
    }
    if size < 0x30 {
        return Err(err(format!("header size {size} is smaller than the header itself")));
    }
    // The extension table: optional; ignored when malformed, since the kernel does not
    // rely on it (bootloaders use it to place things clear of the decompressed kernel).
    let mut klsz = None;
    if le32(k, 0x34) == Some(ZIMAGE_TABLE_MAGIC) {
        let mut off = le32(k, 0x38).unwrap_or(0) as usize;
        for _ in 0..16 {
            let Some(hdr) = le32(k, off) else { break };
            let words = (hdr & 0xffff) as usize;
            if hdr == 0 || words < 2 {
                break;
            }
            if le32(k, off + 4) == Some(ZIMAGE_TAG_KLSZ) && words >= 6 {
                let f = |i: usize| le32(k, off + 4 * i).map(u64::from);
                if let (Some(piggy_size_at), Some(bss), Some(text_offset), Some(malloc)) = (f(2), f(3), f(4), f(5)) {
                    let inflated = le32(k, piggy_size_at as usize).map(u64::from);
                    if let Some(inflated) = inflated.filter(|&n| n > 0) {
                        klsz = Some((inflated, bss, text_offset, malloc));
                    }
                }
                break;
            }
            off += 4 * words;
        }
    }
    tracing::debug!(
        file_bytes = k.len(),
        image_bytes = size,
        klsz = ?klsz.map(|(inflated, bss, text_offset, malloc)| format!(
            "decompressed 0x{inflated:x}, bss 0x{bss:x}, TEXT_OFFSET 0x{text_offset:x}, malloc 0x{malloc:x}"
        )),
        "zImage header"
    );
    Ok(ZImage { len: k.len() as u64, klsz })
}

/// Where the pieces of a Linux boot go (physical addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    kernel: u64,
    initrd: u64,
    dtb: u64,
}

/// Places a zImage, an initrd of `initrd_len` bytes and a DTB of `dtb_len` bytes in
/// `ram_size` bytes of RAM, or says what does not fit.
fn layout(ram_size: u64, z: &ZImage, initrd_len: Option<u64>, dtb_len: u64) -> Result<Layout, String> {
    let ram_start = RAM_BASE as u64;
    let ram_end = ram_start + ram_size;
    let align = |a: u64| a.div_ceil(PAGE) * PAGE;
    let kernel = ram_start + ZIMAGE_OFFSET as u64;
    let kernel_end = kernel + z.len;
    if kernel_end > ram_end {
        return Err(format!("the zImage ({}) does not fit in RAM", mib(z.len)));
    }
    // Memory the boot will overwrite: the zImage, the decompressed kernel and its .bss at
    // RAM + TEXT_OFFSET (CONFIG_AUTO_ZRELADDR: RAM_BASE is 128 MiB aligned), and the copy
    // of the decompressor that it moves past the decompressed kernel when the two overlap.
    let mut footprint_end = kernel_end;
    if let Some((inflated, bss, text_offset, malloc)) = z.klsz {
        let dest = ram_start + text_offset;
        let image_end = dest + inflated;
        footprint_end = footprint_end.max(image_end + bss);
        let decompressor_end = kernel_end + malloc + DECOMPRESSOR_SLACK;
        if decompressor_end + DECOMPRESSOR_PGDIR > dest && image_end > kernel {
            footprint_end = footprint_end.max(image_end + z.len + malloc + DECOMPRESSOR_SLACK);
        }
        if footprint_end > ram_end {
            return Err(format!(
                "the kernel decompresses to {} and needs {} of RAM to start",
                mib(inflated),
                mib(footprint_end - ram_start)
            ));
        }
    }
    // QEMU's choice: clear of the decompressed kernel on big boards, yet low enough to
    // leave room for the initrd on small ones, and inside lowmem on huge ones.
    let qemu_initrd = align(ram_start + (ram_size / 2).min(128 * MIB));
    let initrd = align((ram_start + (ram_size / 2).min(128 * MIB)).max(footprint_end));
    if initrd != qemu_initrd && initrd_len.is_some() {
        tracing::debug!(
            qemu = format_args!("0x{qemu_initrd:08x}"),
            moved_to = format_args!("0x{initrd:08x}"),
            "the initrd moves up, clear of the decompressor's footprint"
        );
    }
    let initrd_end = initrd + initrd_len.unwrap_or(0);
    if initrd_end > ram_end {
        return Err(format!(
            "the initrd ({}) does not fit in RAM after the kernel (at 0x{initrd:08x})",
            mib(initrd_len.unwrap_or(0))
        ));
    }
    // QEMU: "some 32bit kernels will trash anything in the 4K page the initrd ends in".
    let dtb = align(initrd_end);
    if dtb + dtb_len > ram_end {
        return Err(format!("no room for the device tree after the initrd (at 0x{dtb:08x})"));
    }
    Ok(Layout { kernel, initrd, dtb })
}

/// Loads a Linux zImage with the ARM boot protocol (booting.rst; placement as QEMU's
/// `arm_setup_direct_kernel_boot` for a DTB boot):
/// - the zImage at RAM + 64 KiB, entered in ARM state (SVC mode, IRQ/FIQ masked, MMU
///   off: the CPU's reset state);
/// - the initrd at RAM + min(RAM/2, 128 MiB), or higher when that would be under the
///   zImage — or, unlike QEMU, under the memory that the decompressor and the
///   decompressed kernel's .bss overwrite, when the zImage says how much that is;
/// - the DTB (generated, or `dtb` patched with the RAM size, `cmdline` and initrd range)
///   on the next 4 KiB boundary after the initrd (where the initrd would go, without
///   one);
/// - r0 = 0, r1 = 0xffffffff, r2 = the DTB's address.
///
/// Errors say what is wrong in one line: a corrupt zImage, RAM too small (`-m`, with the
/// size that would do) for the kernel, the initrd or the DTB, a --dtb that is not a
/// device tree, a command line that is too long.
pub fn load_linux(
    board: &mut Board,
    kernel: &[u8],
    initrd: Option<&[u8]>,
    dtb: Option<&[u8]>,
    cmdline: &str,
) -> Result<Loaded, LoadError> {
    let z = parse_zimage(kernel)?;
    let ram_size = board.ram.size as u64;
    debug_assert_eq!(board.ram.start, RAM_BASE);
    let make_dtb = |range: Option<(u32, u32)>| match dtb {
        Some(user) => fdt::patch_dtb(user, ram_size, cmdline, range).map_err(|e| LoadError(format!("--dtb: {e}"))),
        None => fdt::build_dtb(ram_size, cmdline, range).map_err(LoadError),
    };
    // The blob's size does not depend on the initrd's address, only on whether there is one.
    let dtb_len = make_dtb(initrd.map(|_| (0, 0)))?.len() as u64;
    let initrd_len = initrd.map(|rd| rd.len() as u64);
    let at = layout(ram_size, &z, initrd_len, dtb_len).map_err(|what| {
        let need = (ram_size.div_ceil(MIB) + 1..=super::RAM_MAX / MIB)
            .find(|&m| layout(m * MIB, &z, initrd_len, dtb_len).is_ok());
        LoadError(match need {
            Some(m) => format!("-m {} is too small: {what}; it needs at least -m {m}", ram_size.div_ceil(MIB)),
            None => format!("{what}, even with the largest RAM hspt offers ({} MiB)", super::RAM_MAX / MIB),
        })
    })?;
    let initrd_range = initrd_len.map(|n| (at.initrd as u32, (at.initrd + n) as u32));
    let blob = make_dtb(initrd_range)?;
    debug_assert_eq!(blob.len() as u64, dtb_len);

    let write = |board: &mut Board, at: u64, bytes: &[u8], what: &str| {
        if board.write_phys(at as u32, bytes) {
            Ok(())
        } else {
            Err(LoadError(format!("cannot write the {what} to RAM at 0x{at:08x}")))
        }
    };
    write(board, at.kernel, kernel, "zImage")?;
    if let Some(rd) = initrd {
        write(board, at.initrd, rd, "initrd")?;
    }
    write(board, at.dtb, &blob, "device tree")?;
    Ok(Loaded {
        entry: at.kernel as u32,
        thumb: false,
        low: at.kernel as u32,
        high: (at.kernel + z.len - 1) as u32,
        regs: [0, 0xffff_ffff, at.dtb as u32],
        initrd: initrd_range,
        dtb: Some((at.dtb as u32, (at.dtb + dtb_len) as u32)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Board {
        Board::new(1 << 20, Box::new(std::io::sink())).unwrap()
    }

    /// A minimal ELF32 ARM executable with one PT_LOAD segment at `pa`.
    fn tiny_elf(pa: u32, machine: u16, code: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; 52 + 32];
        v[..4].copy_from_slice(b"\x7fELF");
        v[4] = 1; // 32-bit
        v[5] = 1; // little-endian
        v[6] = 1;
        v[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        v[18..20].copy_from_slice(&machine.to_le_bytes());
        v[20..24].copy_from_slice(&1u32.to_le_bytes());
        v[24..28].copy_from_slice(&pa.to_le_bytes()); // entry
        v[28..32].copy_from_slice(&52u32.to_le_bytes()); // phoff
        v[40..42].copy_from_slice(&52u16.to_le_bytes()); // ehsize
        v[42..44].copy_from_slice(&32u16.to_le_bytes()); // phentsize
        v[44..46].copy_from_slice(&1u16.to_le_bytes()); // phnum
        v[46..48].copy_from_slice(&40u16.to_le_bytes()); // shentsize
        let ph = 52;
        v[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        v[ph + 4..ph + 8].copy_from_slice(&84u32.to_le_bytes()); // offset
        v[ph + 8..ph + 12].copy_from_slice(&pa.to_le_bytes());
        v[ph + 12..ph + 16].copy_from_slice(&pa.to_le_bytes());
        v[ph + 16..ph + 20].copy_from_slice(&(code.len() as u32).to_le_bytes());
        v[ph + 20..ph + 24].copy_from_slice(&(code.len() as u32 + 16).to_le_bytes());
        v.extend_from_slice(code);
        v
    }

    #[test]
    fn loads_segments_and_clears_bss() {
        let mut b = board();
        let e = tiny_elf(0x4001_0000, header::EM_ARM, &[1, 2, 3, 4]);
        let l = load_elf(&mut b, &e, "t").unwrap();
        assert_eq!(l.entry, 0x4001_0000);
        assert_eq!(b.read_phys_u32(0x4001_0000), Some(0x0403_0201));
        assert_eq!(b.read_phys_u32(0x4001_0004), Some(0));
    }

    #[test]
    fn rejects_bad_files_with_a_reason() {
        let mut b = board();
        let x86 = tiny_elf(0x4001_0000, header::EM_X86_64, &[0; 4]);
        assert!(load_elf(&mut b, &x86, "t").unwrap_err().0.contains("not an ARM ELF"));
        let e = tiny_elf(0x4001_0000, header::EM_ARM, &[0; 4]);
        assert!(load_elf(&mut b, &e[..40], "t").unwrap_err().0.contains("truncated"));
        assert!(load_elf(&mut b, &e[..86], "t").unwrap_err().0.contains("truncated"));
        let out = tiny_elf(0x1000, header::EM_ARM, &[0; 4]);
        assert!(load_elf(&mut b, &out, "t").unwrap_err().0.contains("outside RAM"));
        let mut be = e.clone();
        be[5] = 2;
        assert!(load_elf(&mut b, &be, "t").unwrap_err().0.contains("big-endian"));
    }

    /// A synthetic zImage of `len` bytes; with `klsz`, an extension table whose KLSZ tag
    /// says (decompressed size, bss, TEXT_OFFSET, malloc).
    fn zimage(len: usize, klsz: Option<(u32, u32, u32, u32)>) -> Vec<u8> {
        let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let mut put = |off: usize, w: u32| v[off..off + 4].copy_from_slice(&w.to_le_bytes());
        put(0x24, ZIMAGE_MAGIC);
        put(0x28, 0);
        put(0x2c, len as u32);
        put(0x30, 0x0403_0201);
        if let Some((inflated, bss, text_offset, malloc)) = klsz {
            put(0x34, ZIMAGE_TABLE_MAGIC);
            put(0x38, 0x40);
            for (i, w) in [6, ZIMAGE_TAG_KLSZ, len as u32 - 4, bss, text_offset, malloc, 0].into_iter().enumerate() {
                put(0x40 + 4 * i, w);
            }
            put(len - 4, inflated);
        }
        v
    }

    fn read_ram(b: &Board, pa: u32, len: u32) -> Vec<u8> {
        (0..len.div_ceil(4)).flat_map(|i| b.read_phys_u32(pa + 4 * i).unwrap().to_le_bytes()).take(len as usize).collect()
    }

    fn dtb_in_ram(b: &Board, l: &Loaded) -> fdt::Node {
        let (s, e) = l.dtb.unwrap();
        assert_eq!(l.regs[2], s);
        fdt::Fdt::parse(&read_ram(b, s, e - s)).unwrap().root
    }

    #[test]
    fn detects_zimages() {
        assert!(is_zimage(&zimage(0x100, None)));
        assert!(!is_zimage(&tiny_elf(0x4001_0000, header::EM_ARM, &[0; 4])));
        assert!(!is_zimage(&[0u8; 0x27]));
    }

    #[test]
    fn zimage_initrd_and_dtb_go_where_qemu_puts_them() {
        let mut b = Board::new(128 << 20, Box::new(std::io::sink())).unwrap();
        let k = zimage(0x2_0000, None);
        let rd: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let l = load_linux(&mut b, &k, Some(&rd), None, "console=ttyAMA0").unwrap();
        assert_eq!((l.entry, l.thumb), (0x4001_0000, false));
        assert_eq!((l.low, l.high), (0x4001_0000, 0x4002_ffff));
        assert_eq!(read_ram(&b, 0x4001_0000, k.len() as u32), k);
        // RAM/2 = 64 MiB < 128 MiB; the DTB on the page after the initrd.
        assert_eq!(l.initrd, Some((0x4400_0000, 0x4400_0000 + 5000)));
        assert_eq!(read_ram(&b, 0x4400_0000, 5000), rd);
        assert_eq!(l.regs, [0, 0xffff_ffff, 0x4400_2000]);
        let t = dtb_in_ram(&b, &l);
        let c = t.at("/chosen").unwrap();
        assert_eq!(c.prop_strings("bootargs"), Some(vec!["console=ttyAMA0"]));
        assert_eq!(c.prop_u32("linux,initrd-start"), Some(0x4400_0000));
        assert_eq!(c.prop_u32("linux,initrd-end"), Some(0x4400_0000 + 5000));
        assert_eq!(t.at("/memory@40000000").unwrap().prop_cells("reg"), Some(vec![0, 0x4000_0000, 0, 0x800_0000]));

        // Large RAM: the initrd at 128 MiB; no initrd: the DTB goes there.
        let mut b = Board::new(512 << 20, Box::new(std::io::sink())).unwrap();
        let l = load_linux(&mut b, &k, Some(&rd), None, "").unwrap();
        assert_eq!(l.initrd.unwrap().0, 0x4800_0000);
        let l = load_linux(&mut b, &k, None, None, "").unwrap();
        assert_eq!((l.initrd, l.regs[2]), (None, 0x4800_0000));
        assert!(dtb_in_ram(&b, &l).at("/chosen").unwrap().prop("linux,initrd-start").is_none());
    }

    #[test]
    fn initrd_stays_clear_of_the_decompressed_kernel() {
        // 32 MiB of RAM, a 1 MiB zImage that decompresses to 20 MiB: QEMU would put the
        // initrd at 16 MiB, inside the kernel.
        let k = zimage(1 << 20, Some((20 << 20, 0x6_0000, 0x8000, 0x1_0000)));
        assert_eq!(parse_zimage(&k).unwrap().klsz, Some((20 << 20, 0x6_0000, 0x8000, 0x1_0000)));
        let mut b = Board::new(32 << 20, Box::new(std::io::sink())).unwrap();
        let l = load_linux(&mut b, &k, Some(&[1; 100]), None, "").unwrap();
        let (start, _) = l.initrd.unwrap();
        // Past the decompressed kernel and the relocated decompressor.
        assert!(start as u64 >= 0x4000_8000 + (20 << 20) + (1 << 20) + 0x1_0000, "{start:x}");
        assert_eq!(start % 0x1000, 0);
        // A big board needs no adjustment.
        let mut b = Board::new(256 << 20, Box::new(std::io::sink())).unwrap();
        assert_eq!(load_linux(&mut b, &k, Some(&[1; 100]), None, "").unwrap().initrd.unwrap().0, 0x4800_0000);
    }

    #[test]
    fn too_little_ram_says_how_much_would_do() {
        let mut b = board(); // 1 MiB
        let e = load_linux(&mut b, &zimage(2 << 20, None), None, None, "").unwrap_err().0;
        assert!(e.contains("-m 1 is too small") && e.contains("zImage (2.0 MiB) does not fit"), "{e}");
        assert!(e.contains("at least -m 3"), "{e}");
        let k = zimage(1 << 20, Some((20 << 20, 0, 0x8000, 0x1_0000)));
        let mut b = Board::new(16 << 20, Box::new(std::io::sink())).unwrap();
        let e = load_linux(&mut b, &k, None, None, "").unwrap_err().0;
        assert!(e.contains("decompresses to 20.0 MiB"), "{e}");
        let mut b = Board::new(4 << 20, Box::new(std::io::sink())).unwrap();
        let e = load_linux(&mut b, &zimage(0x1000, None), Some(&vec![0; 3 << 20]), None, "").unwrap_err().0;
        assert!(e.contains("initrd (3.0 MiB) does not fit"), "{e}");
        // With 6 MiB: the initrd at RAM/2 = 3 MiB fills the RAM, leaving no room for the DTB.
        assert!(e.contains("at least -m 7"), "{e}");
        // And the suggestion is right.
        let mut b = Board::new(7 << 20, Box::new(std::io::sink())).unwrap();
        assert!(load_linux(&mut b, &zimage(0x1000, None), Some(&vec![0; 3 << 20]), None, "").is_ok());
    }

    #[test]
    fn corrupt_zimages_are_refused() {
        let mut b = board();
        let k = zimage(0x1000, None);
        let e = load_linux(&mut b, &k[..0x800], None, None, "").unwrap_err().0;
        assert!(e.contains("corrupt zImage") && e.contains("4096 bytes but the file has 2048"), "{e}");
        let mut bad = k.clone();
        bad[0x2c..0x30].copy_from_slice(&0u32.to_le_bytes());
        assert!(load_linux(&mut b, &bad, None, None, "").unwrap_err().0.contains("corrupt zImage"));
        let mut be = k.clone();
        be[0x24..0x28].copy_from_slice(&ZIMAGE_MAGIC.to_be_bytes());
        assert!(load_linux(&mut b, &be, None, None, "").unwrap_err().0.contains("big-endian"));
        let e = load_linux(&mut b, &[0x55; 0x1000], None, None, "").unwrap_err().0;
        assert!(e.contains("neither an ARM ELF file nor a zImage"), "{e}");
        assert!(load_linux(&mut b, &k[..0x2a], None, None, "").unwrap_err().0.contains("too short"));
        // A table pointing anywhere is ignored, not trusted.
        let mut t = zimage(0x1000, Some((1 << 30, 0, 0x8000, 0)));
        t[0x38..0x3c].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert_eq!(parse_zimage(&t).unwrap().klsz, None);
    }

    #[test]
    fn user_dtb_is_checked_and_patched() {
        let mut b = Board::new(64 << 20, Box::new(std::io::sink())).unwrap();
        let k = zimage(0x1000, None);
        let e = load_linux(&mut b, &k, None, Some(b"not a dtb at all, no"), "").unwrap_err().0;
        assert!(e.starts_with("--dtb: not a device tree blob"), "{e}");
        let mine = fdt::build_dtb(512 << 20, "from the file", None).unwrap();
        let e = load_linux(&mut b, &k, None, Some(&mine[..100]), "").unwrap_err().0;
        assert!(e.contains("--dtb: truncated"), "{e}");
        let l = load_linux(&mut b, &k, Some(&[9; 10]), Some(&mine), "new").unwrap();
        let t = dtb_in_ram(&b, &l);
        assert_eq!(t.at("/chosen").unwrap().prop_strings("bootargs"), Some(vec!["new"]));
        assert_eq!(t.at("/chosen").unwrap().prop_u32("linux,initrd-start"), Some(l.initrd.unwrap().0));
        assert_eq!(t.at("/memory@40000000").unwrap().prop_cells("reg"), Some(vec![0, 0x4000_0000, 0, 0x400_0000]));
        let e = load_linux(&mut b, &k, None, None, &"x".repeat(5000)).unwrap_err().0;
        assert!(e.contains("--append too long"), "{e}");
    }
}
