//! hspt-aot: the offline translator (ELF files, directories, initramfs, zImage ->
//! translation cache). Filled in by the AOT issue; for now it only exposes the
//! backend's availability so the command line can report it.

/// Whether the LLVM backend this tool would use is linked and working.
pub fn backend_ready() -> bool {
    hspt_llvm::jit_smoke_add(1, 2) == Ok(3)
}
