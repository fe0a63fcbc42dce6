//! Guest memory access routines in assembly, listed in an exception table.
//!
//! Rust code never dereferences guest memory itself: it calls these routines
//! with a host address inside a shadow region. If the access faults, the HSPT
//! SIGSEGV handler either fills the page and resumes (the access then completes),
//! or resumes at `hspt_access_fixup` with RAX = 0 and RDX = a non-zero status, so
//! the routine returns an error to its caller instead. No Rust frame is ever
//! unwound or jumped over (../DESIGN.md "Leaving a fault safely").
//!
//! Every routine returns `Access { value, status }` in RAX:RDX (SysV: a 16-byte
//! struct of two integers).

use std::arch::global_asm;

/// Result of an access routine.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub value: u64,
    /// 0: done. Otherwise a `STATUS_*` set by the fault handler.
    pub status: u64,
}

/// The guest access faulted architecturally: see `HsptState::fault`.
pub const STATUS_GUEST_FAULT: u64 = 1;
/// The address translates to a device: see `HsptState::mmio_pa`.
pub const STATUS_MMIO: u64 = 2;

global_asm!(
    r#"
    .text
    .p2align 4
    .globl hspt_access_begin
hspt_access_begin:
    .globl hspt_ld8
hspt_ld8:
    xor edx, edx
    movzx eax, byte ptr [rdi]
    ret
    .globl hspt_ld16
hspt_ld16:
    xor edx, edx
    movzx eax, word ptr [rdi]
    ret
    .globl hspt_ld32
hspt_ld32:
    xor edx, edx
    mov eax, dword ptr [rdi]
    ret
    .globl hspt_ld64
hspt_ld64:
    xor edx, edx
    mov rax, qword ptr [rdi]
    ret
    .globl hspt_st8
hspt_st8:
    xor edx, edx
    xor eax, eax
    mov byte ptr [rdi], sil
    ret
    .globl hspt_st16
hspt_st16:
    xor edx, edx
    xor eax, eax
    mov word ptr [rdi], si
    ret
    .globl hspt_st32
hspt_st32:
    xor edx, edx
    xor eax, eax
    mov dword ptr [rdi], esi
    ret
    .globl hspt_st64
hspt_st64:
    xor edx, edx
    xor eax, eax
    mov qword ptr [rdi], rsi
    ret
    .globl hspt_access_fixup
hspt_access_fixup:
    ret
    .globl hspt_access_end
hspt_access_end:
    nop
"#
);

extern "C" {
    fn hspt_access_begin();
    fn hspt_access_end();
    fn hspt_access_fixup();
    fn hspt_ld8(a: *const u8) -> Access;
    fn hspt_ld16(a: *const u8) -> Access;
    fn hspt_ld32(a: *const u8) -> Access;
    fn hspt_ld64(a: *const u8) -> Access;
    fn hspt_st8(a: *mut u8, v: u64) -> Access;
    fn hspt_st16(a: *mut u8, v: u64) -> Access;
    fn hspt_st32(a: *mut u8, v: u64) -> Access;
    fn hspt_st64(a: *mut u8, v: u64) -> Access;
}

/// Whether a faulting host instruction address is one of the access routines.
pub fn is_access_pc(pc: usize) -> bool {
    (hspt_access_begin as *const () as usize..hspt_access_end as *const () as usize).contains(&pc)
}

/// Where the fault handler resumes a failed access.
pub fn fixup_pc() -> usize {
    hspt_access_fixup as *const () as usize
}

/// Loads `bytes` (1, 2, 4 or 8) at host address `a` inside a shadow region.
///
/// # Safety
/// `a .. a + bytes` must lie inside a shadow region registered with the HSPT
/// fault handler of the current thread (so any fault is handled, never fatal).
#[inline]
pub unsafe fn load(a: *const u8, bytes: u32) -> Access {
    // SAFETY: the caller guarantees the address is in a shadow region whose
    // faults the handler resolves; the routines touch nothing else.
    unsafe {
        match bytes {
            1 => hspt_ld8(a),
            2 => hspt_ld16(a),
            4 => hspt_ld32(a),
            _ => hspt_ld64(a),
        }
    }
}

/// Stores the low `bytes` of `v` at host address `a` inside a shadow region.
///
/// # Safety
/// As for `load`.
#[inline]
pub unsafe fn store(a: *mut u8, v: u64, bytes: u32) -> Access {
    // SAFETY: as in `load`.
    unsafe {
        match bytes {
            1 => hspt_st8(a, v),
            2 => hspt_st16(a, v),
            4 => hspt_st32(a, v),
            _ => hspt_st64(a, v),
        }
    }
}
