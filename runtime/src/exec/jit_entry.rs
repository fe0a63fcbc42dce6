//! Entering compiled code, leaving it from the fault handler, and the
//! executable memory it lives in.
//!
//! Compiled blocks hold no Rust frames, so a guest access in them that the HSPT
//! handler cannot complete (device memory, a guest abort) is left by pointing the
//! interrupted context at `hspt_jit_return` with the stack pointer the entry
//! trampoline saved: to the dispatcher it looks as if the block had returned
//! `EXIT_RETRY` (../DESIGN.md "Leaving a fault safely"). Nothing is unwound.
//!
//! Code memory is written while read/write and then made read/execute, never
//! both at once. Each VM owns its arena; only the VM's thread writes or runs it.

use std::arch::global_asm;
use std::cell::Cell;
use std::io;

use super::backend::{ChainCtx, CompiledCode, EXIT_RETRY};
use crate::cpu::CpuState;

global_asm!(
    r#"
    .text
    .p2align 4
    .globl hspt_jit_enter
// u32 hspt_jit_enter(CpuState *cpu /* rdi */, code /* rsi */, usize *saved_sp /* rdx */, ChainCtx *ctx /* rcx */)
// calls code(cpu, ctx)
hspt_jit_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    mov qword ptr [rdx], rsp
    mov rax, rsi
    mov rsi, rcx
    call rax
    .globl hspt_jit_return
// Also the fault handler's landing point: RSP = the saved value, EAX = the exit code.
hspt_jit_return:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
"#
);

extern "C" {
    fn hspt_jit_enter(cpu: *mut u8, code: usize, saved_sp: *mut usize, ctx: *mut ChainCtx) -> u32;
    fn hspt_jit_return();
}

thread_local! {
    /// Host address range of the code arena in use on this thread.
    static RANGE: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// Host address range of the translation cache's code in use on this thread (tcache.rs).
    static EXTRA: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// Stack pointer of the entry trampoline while compiled code runs (0 outside).
    static SAVED_SP: Cell<usize> = const { Cell::new(0) };
}

/// Runs compiled code at `entry` (inside `arena`) on `cpu`; returns its exit code.
///
/// # Safety
/// `entry` must be the entry point of a block compiled under the ABI of
/// `backend.rs` and installed in `arena`; `cpu.mem_base` must be a view served
/// by the HSPT fault handler active on this thread.
#[inline]
pub unsafe fn enter(cpu: &mut CpuState, arena: &CodeArena, entry: usize, ctx: &mut ChainCtx) -> u32 {
    RANGE.with(|r| r.set(arena.range()));
    EXTRA.with(|r| r.set(arena.extra));
    let code = SAVED_SP.with(|s| {
        // SAFETY: the caller's contract; the trampoline saves the host registers
        // the SysV ABI asks it to, and `s` lives as long as the thread.
        unsafe { hspt_jit_enter(cpu as *mut CpuState as *mut u8, entry, s.as_ptr(), ctx) }
    });
    SAVED_SP.with(|s| s.set(0));
    code
}

/// Whether a faulting host PC is inside compiled guest code running on this thread.
pub fn is_jit_pc(pc: usize) -> bool {
    let (lo, hi) = RANGE.with(|r| r.get());
    let (xlo, xhi) = EXTRA.with(|r| r.get());
    SAVED_SP.with(|s| s.get()) != 0 && ((pc >= lo && pc < hi) || (pc >= xlo && pc < xhi))
}

/// Makes the interrupted compiled code return `EXIT_RETRY` to `enter`'s caller
/// (called by the fault handler, for a PC for which `is_jit_pc` holds).
pub fn redirect_to_retry(gregs: &mut [libc::greg_t; 23]) {
    let sp = SAVED_SP.with(|s| s.get());
    gregs[libc::REG_RSP as usize] = sp as i64;
    gregs[libc::REG_RAX as usize] = EXIT_RETRY as i64;
    gregs[libc::REG_RIP as usize] = hspt_jit_return as *const () as usize as i64;
}

/// Executable memory for compiled blocks: one reservation, filled upwards.
/// (Code is never freed: translations of changed guest code become unreachable.)
pub struct CodeArena {
    base: *mut u8,
    size: usize,
    top: usize,
    /// Another range of code that runs with this arena's (a mapped translation cache).
    extra: (usize, usize),
}

const PAGE: usize = 4096;

impl CodeArena {
    /// Reserves `size` bytes of address space (no memory until used).
    pub fn new(size: usize) -> io::Result<CodeArena> {
        let size = (size + PAGE - 1) & !(PAGE - 1);
        // SAFETY: a fresh anonymous PROT_NONE reservation at a kernel-chosen address.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(CodeArena { base: p as *mut u8, size, top: 0, extra: (0, 0) })
    }

    /// Declares mapped code outside the arena that is entered like the arena's
    /// (the fault handler must recognise its PCs).
    pub fn set_extra_range(&mut self, r: Option<(usize, usize)>) {
        self.extra = r.unwrap_or((0, 0));
    }

    pub fn range(&self) -> (usize, usize) {
        (self.base as usize, self.base as usize + self.size)
    }

    /// Copies `c` in; returns the host address of its entry point, or None when
    /// the arena is full or the host refuses the protection change.
    pub fn install(&mut self, c: &CompiledCode) -> Option<usize> {
        if c.code.is_empty() || c.entry >= c.code.len() {
            return None;
        }
        let align = c.align.clamp(16, PAGE);
        if !align.is_power_of_two() {
            return None;
        }
        let start = (self.top + align - 1) & !(align - 1);
        let end = start.checked_add(c.code.len())?;
        if end > self.size {
            return None;
        }
        let lo = start & !(PAGE - 1);
        let hi = (end + PAGE - 1) & !(PAGE - 1);
        // SAFETY: [lo, hi) lies inside our reservation. Only this thread runs code
        // from the arena, and none runs while we write (W^X: the pages are
        // read/write while written, read/execute after).
        unsafe {
            let p = self.base.add(lo) as *mut libc::c_void;
            if libc::mprotect(p, hi - lo, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                return None;
            }
            std::ptr::copy_nonoverlapping(c.code.as_ptr(), self.base.add(start), c.code.len());
            if libc::mprotect(p, hi - lo, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                return None;
            }
        }
        self.top = end;
        Some(self.base as usize + start + c.entry)
    }
}

impl Drop for CodeArena {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly our reservation; no code from it runs any more.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.size) };
        RANGE.with(|r| {
            if r.get().0 == self.base as usize {
                r.set((0, 0))
            }
        });
        EXTRA.with(|r| {
            if r.get() == self.extra {
                r.set((0, 0))
            }
        });
    }
}

// SAFETY: the arena is a plain owned mapping; moving it to another thread moves
// the only handle to it.
unsafe impl Send for CodeArena {}
