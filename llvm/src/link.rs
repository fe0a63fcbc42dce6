//! A minimal static linker for the one-function relocatable objects LLVM emits:
//! lays the allocated sections (code, constant pools) out in one buffer and
//! resolves the PC-relative relocations between them, giving position-independent
//! bytes that can be copied anywhere (JIT arena now, the AOT cache later).

use goblin::elf::section_header::{SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS};
use goblin::elf::Elf;
use hspt_runtime::exec::backend::CompiledCode;

const R_X86_64_PC32: u32 = 2;
const R_X86_64_PLT32: u32 = 4;
const R_X86_64_PC64: u32 = 24;

/// Links `obj` and returns the code with `symbol` as its entry point.
pub fn link(obj: &[u8], symbol: &str) -> Result<CompiledCode, String> {
    let elf = Elf::parse(obj).map_err(|e| format!("object: {e}"))?;
    link_one(&elf, obj, symbol, None)
}

/// Links each of `symbols` (each function in its own section) into a separate
/// unit: its code section plus the object's data sections (constant pools).
pub fn link_each(obj: &[u8], symbols: &[String]) -> Vec<Result<CompiledCode, String>> {
    match Elf::parse(obj) {
        Ok(elf) => symbols
            .iter()
            .map(|s| {
                let sym = elf.syms.iter().find(|x| elf.strtab.get_at(x.st_name) == Some(s.as_str()));
                match sym {
                    Some(x) => link_one(&elf, obj, s, Some(x.st_shndx)),
                    None => Err(format!("no symbol {s} in the object")),
                }
            })
            .collect(),
        Err(e) => symbols.iter().map(|_| Err(format!("object: {e}"))).collect(),
    }
}

/// Lays out the allocated sections but the unwind tables (with `code_section`:
/// of the executable ones, only that one) and resolves the relocations.
fn link_one(elf: &Elf<'_>, obj: &[u8], symbol: &str, code_section: Option<usize>) -> Result<CompiledCode, String> {
    let mut place: Vec<Option<usize>> = vec![None; elf.section_headers.len()];
    let mut out: Vec<u8> = Vec::new();
    let mut max_align = 16usize;
    for (i, sh) in elf.section_headers.iter().enumerate() {
        let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("");
        if sh.sh_flags & SHF_ALLOC as u64 == 0 || name == ".eh_frame" || sh.sh_size == 0 {
            continue;
        }
        if code_section.is_some_and(|c| c != i) && sh.sh_flags & SHF_EXECINSTR as u64 != 0 {
            continue;
        }
        let align = sh.sh_addralign.max(1) as usize;
        max_align = max_align.max(align);
        let at = out.len().div_ceil(align) * align;
        out.resize(at, 0);
        if sh.sh_type == SHT_NOBITS {
            out.resize(at + sh.sh_size as usize, 0);
        } else {
            let range = sh.file_range().ok_or("section outside the object")?;
            out.extend_from_slice(obj.get(range).ok_or("section outside the object")?);
        }
        place[i] = Some(at);
    }
    let sym_addr = |idx: usize| -> Result<usize, String> {
        let s = elf.syms.get(idx).ok_or("bad symbol index")?;
        let sec = s.st_shndx;
        match place.get(sec).copied().flatten() {
            Some(base) => Ok(base + s.st_value as usize),
            None => Err(format!(
                "relocation against an unplaced symbol '{}'",
                elf.strtab.get_at(s.st_name).unwrap_or("?")
            )),
        }
    };
    for (rel_idx, relocs) in &elf.shdr_relocs {
        let target = elf.section_headers[*rel_idx].sh_info as usize;
        let Some(tbase) = place.get(target).copied().flatten() else { continue };
        for r in relocs.iter() {
            let p = tbase + r.r_offset as usize;
            let s = sym_addr(r.r_sym)? as i64;
            let a = r.r_addend.unwrap_or(0);
            let v = s + a - p as i64;
            match r.r_type {
                R_X86_64_PC32 | R_X86_64_PLT32 => {
                    let v32 = i32::try_from(v).map_err(|_| "PC32 relocation out of range")?;
                    out.get_mut(p..p + 4).ok_or("relocation outside its section")?.copy_from_slice(&v32.to_le_bytes());
                }
                R_X86_64_PC64 => {
                    out.get_mut(p..p + 8).ok_or("relocation outside its section")?.copy_from_slice(&v.to_le_bytes());
                }
                t => return Err(format!("unsupported relocation type {t} (code would not be position independent)")),
            }
        }
    }
    let entry = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(symbol))
        .ok_or_else(|| format!("no symbol {symbol} in the object"))?;
    let base = place.get(entry.st_shndx).copied().flatten().ok_or("entry symbol in an unplaced section")?;
    Ok(CompiledCode { code: out, entry: base + entry.st_value as usize, align: max_align })
}
