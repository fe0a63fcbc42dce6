//! Loading guest images into RAM: ARM ELF files by their program headers (as QEMU
//! loads `-kernel guest.elf`). zImage/Image loading comes with the Linux boot.

use goblin::elf::{header, program_header, Elf};

use super::Board;

/// A problem with a guest image, reported to the user in one line.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// What loading produced: where to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub entry: u32,
    /// Thumb entry point (bit 0 of e_entry set).
    pub thumb: bool,
    /// Lowest and highest physical addresses written.
    pub low: u32,
    pub high: u32,
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
        low = low.min(pa32);
        high = high.max(end32);
        any = true;
    }
    if !any {
        return Err(err("ELF file has no loadable segments".into()));
    }
    let e = elf.header.e_entry as u32;
    Ok(Loaded { entry: e & !1, thumb: e & 1 != 0, low, high })
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
}
