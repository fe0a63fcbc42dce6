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

use super::backend::{chain_index, chain_key, ChainCtx, ChainTarget, CompiledCode, ExitSlot, EXIT_RETRY};
use crate::cpu::CpuState;

global_asm!(
    r#"
    .text
    .p2align 4
    .globl hspt_jit_enter
// u32 hspt_jit_enter(CpuState *cpu /* rdi */, code /* rsi */, usize *saved_sp /* rdx */, ChainCtx *ctx /* rcx */,
//                    ExitSlot *slots /* r8 */)
// calls code(cpu, ctx, slots)
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
    mov rdx, r8
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
    fn hspt_jit_enter(cpu: *mut u8, code: usize, saved_sp: *mut usize, ctx: *mut ChainCtx, slots: *mut ExitSlot) -> u32;
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
/// by the HSPT fault handler active on this thread; `slots` must point to the
/// block's exit slots (`backend::exit_slots` of them), valid while it runs.
#[inline]
pub unsafe fn enter(cpu: &mut CpuState, arena: &CodeArena, entry: usize, ctx: &mut ChainCtx, slots: *mut ExitSlot) -> u32 {
    RANGE.with(|r| r.set(arena.range()));
    EXTRA.with(|r| r.set(arena.extra));
    let code = SAVED_SP.with(|s| {
        // SAFETY: the caller's contract; the trampoline saves the host registers
        // the SysV ABI asks it to, and `s` lives as long as the thread.
        unsafe { hspt_jit_enter(cpu as *mut CpuState as *mut u8, entry, s.as_ptr(), ctx, slots) }
    });
    SAVED_SP.with(|s| s.set(0));
    code
}

/// The chain table lookup compiled code calls (through `ChainCtx::lookup`) when
/// a block leaves with a branch whose exit slot missed (`slot` non-null: filled
/// on a hit) or that has no slot (an indirect branch: `slot` null). The next
/// PC, T and ITSTATE are in `cpu`. On a hit it spends one unit of budget and
/// returns the block's entry and exit slots; otherwise a null entry.
pub extern "C" fn chain_lookup(cpu: *const CpuState, ctx: *mut ChainCtx, slot: *mut ExitSlot) -> ChainTarget {
    const MISS: ChainTarget = ChainTarget { code: 0, slots: 0 };
    // SAFETY: only compiled code calls this, with the CpuState and ChainCtx it
    // was entered with (both live and not otherwise accessed during the call).
    let (cpu, ctx) = unsafe { (&*cpu, &mut *ctx) };
    if ctx.budget <= 0 {
        return MISS;
    }
    let pc = cpu.r[15];
    let key = chain_key(pc, cpu.t, cpu.it, ctx.key_gen);
    // SAFETY: the table has 1 << CHAIN_BITS entries and chain_index is below that.
    let e = unsafe { *ctx.table.add(chain_index(pc)) };
    if e.key != key || e.base != cpu.mem_base {
        return MISS;
    }
    if !slot.is_null() {
        // SAFETY: `slot` is one of the running block's exit slots (ExitPool memory).
        unsafe { *slot = e };
    }
    ctx.budget -= 1;
    ChainTarget { code: e.code, slots: e.slots }
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

/// Executable memory for compiled blocks: one reservation, filled upwards, with
/// the space of freed code (translations of guest code that changed) reused by
/// size class.
pub struct CodeArena {
    base: *mut u8,
    size: usize,
    top: usize,
    /// Free chunks by size class (`class_of`): offsets into the arena.
    free: Vec<Vec<usize>>,
    /// Bytes in use (allocated chunks, rounded to their class).
    live: usize,
    /// Another range of code that runs with this arena's (a mapped translation cache).
    extra: (usize, usize),
    /// The open staging window [start, end) (`stage`): read/write, nothing in it runs until
    /// `seal` makes it read/execute. (0, 0): none open.
    window: (usize, usize),
    /// Windows the host refused to make executable: their code never runs.
    dead: Vec<(usize, usize)>,
}

/// Size of a staging window: quick code for about 70 blocks per pair of protection changes.
const WINDOW: usize = 64 << 10;

/// Smallest chunk: code is handed out in power-of-two chunks from 64 bytes up.
const MIN_CHUNK: usize = 64;

/// The size class of a piece of `len` bytes (chunk = MIN_CHUNK << class).
fn class_of(len: usize) -> usize {
    let chunk = len.max(MIN_CHUNK).next_power_of_two();
    (chunk / MIN_CHUNK).trailing_zeros() as usize
}

const PAGE: usize = 4096;

/// Maps `code` read/execute for the rest of the process (code every JIT shares,
/// such as quick code's stubs): written while read/write, then sealed, never
/// writable and executable at once. Returns its address.
pub fn map_static_code(code: &[u8]) -> io::Result<usize> {
    if code.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no code"));
    }
    let len = (code.len() + PAGE - 1) & !(PAGE - 1);
    // SAFETY: a fresh anonymous read/write mapping at a kernel-chosen address.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `p` is our fresh mapping of `len` >= code.len() bytes; nothing runs
    // from it until the protection change below succeeds.
    let sealed = unsafe {
        std::ptr::copy_nonoverlapping(code.as_ptr(), p as *mut u8, code.len());
        libc::mprotect(p, len, libc::PROT_READ | libc::PROT_EXEC) == 0
    };
    if !sealed {
        let e = io::Error::last_os_error();
        // SAFETY: unmapping the mapping made above, which nothing uses.
        unsafe { libc::munmap(p, len) };
        return Err(e);
    }
    Ok(p as usize)
}

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
        Ok(CodeArena { base: p as *mut u8, size, top: 0, free: Vec::new(), live: 0, extra: (0, 0), window: (0, 0), dead: Vec::new() })
    }

    /// Declares mapped code outside the arena that is entered like the arena's
    /// (the fault handler must recognise its PCs).
    pub fn set_extra_range(&mut self, r: Option<(usize, usize)>) {
        self.extra = r.unwrap_or((0, 0));
    }

    pub fn range(&self) -> (usize, usize) {
        (self.base as usize, self.base as usize + self.size)
    }

    /// Bytes of code memory in use.
    pub fn live_bytes(&self) -> usize {
        self.live
    }

    /// Copies `c` in; returns (host address of its entry point, start of the
    /// chunk, chunk length) or None when the arena is full or the host refuses
    /// the protection change. The chunk goes back with `free`.
    pub fn install(&mut self, c: &CompiledCode) -> Option<(usize, usize, usize)> {
        if c.code.is_empty() || c.entry >= c.code.len() {
            return None;
        }
        // What this writes may share pages with the window: close it first.
        self.seal();
        let align = c.align.clamp(16, PAGE);
        if !align.is_power_of_two() {
            return None;
        }
        // A chunk is aligned to its own size up to a page, so any alignment up
        // to that is met by a reused chunk too.
        let class = class_of(c.code.len().max(align));
        let chunk = MIN_CHUNK << class;
        let start = match self.free.get_mut(class).and_then(|v| v.pop()) {
            Some(off) => off,
            None => {
                let a = chunk.min(PAGE).max(align);
                let start = (self.top + a - 1) & !(a - 1);
                let end = start.checked_add(chunk)?;
                if end > self.size {
                    return None;
                }
                self.top = end;
                start
            }
        };
        let end = start + c.code.len();
        let lo = start & !(PAGE - 1);
        let hi = (end + PAGE - 1) & !(PAGE - 1);
        // SAFETY: [lo, hi) lies inside our reservation. Only this thread runs code
        // from the arena, and none runs while we write (W^X: the pages are
        // read/write while written, read/execute after). Other code on the same
        // pages is not running either (we are in the dispatcher).
        let ok = unsafe {
            let p = self.base.add(lo) as *mut libc::c_void;
            libc::mprotect(p, hi - lo, libc::PROT_READ | libc::PROT_WRITE) == 0 && {
                std::ptr::copy_nonoverlapping(c.code.as_ptr(), self.base.add(start), c.code.len());
                libc::mprotect(p, hi - lo, libc::PROT_READ | libc::PROT_EXEC) == 0
            }
        };
        if !ok {
            self.free_chunk(start, chunk);
            return None;
        }
        self.live += chunk;
        Some((self.base as usize + start + c.entry, start, chunk))
    }

    /// Like `install`, but without changing protections: the code goes into the open
    /// staging window (read/write; a new one is opened when it is full) and must not
    /// run before `seal`. Two protection changes per window instead of two per block.
    pub fn stage(&mut self, c: &CompiledCode) -> Option<(usize, usize, usize)> {
        if c.code.len() > WINDOW {
            // Larger than a window: installed on its own (runnable at once).
            return self.install(c);
        }
        if c.code.is_empty() || c.entry >= c.code.len() {
            return None;
        }
        let align = c.align.clamp(16, PAGE);
        if !align.is_power_of_two() {
            return None;
        }
        let class = class_of(c.code.len().max(align));
        let chunk = MIN_CHUNK << class;
        let a = chunk.min(PAGE).max(align);
        let mut start = (self.top + a - 1) & !(a - 1);
        if self.window == (0, 0) || start + chunk > self.window.1 {
            self.seal();
            // A window never shares a page with code that may run.
            let lo = (self.top + PAGE - 1) & !(PAGE - 1);
            let hi = lo.checked_add(WINDOW)?;
            if hi > self.size {
                return None;
            }
            // SAFETY: [lo, hi) lies inside our reservation, above every chunk handed out,
            // so no code there can run; it stays unrunnable (read/write) until `seal`.
            if unsafe { libc::mprotect(self.base.add(lo) as *mut libc::c_void, hi - lo, libc::PROT_READ | libc::PROT_WRITE) } != 0 {
                return None;
            }
            self.window = (lo, hi);
            self.top = lo;
            start = lo;
        }
        // SAFETY: [start, start + len) lies inside the open window, which is read/write
        // and holds no code that runs.
        unsafe { std::ptr::copy_nonoverlapping(c.code.as_ptr(), self.base.add(start), c.code.len()) };
        self.top = start + chunk;
        self.live += chunk;
        Some((self.base as usize + start + c.entry, start, chunk))
    }

    /// Makes the staging window's code runnable (read/execute, never writable again
    /// except through `install`'s reuse of freed chunks); false if the host refused.
    pub fn seal(&mut self) -> bool {
        let (lo, hi) = std::mem::take(&mut self.window);
        if lo == hi {
            return true;
        }
        // SAFETY: [lo, hi) is the window `stage` opened inside our reservation.
        let ok = unsafe { libc::mprotect(self.base.add(lo) as *mut libc::c_void, hi - lo, libc::PROT_READ | libc::PROT_EXEC) == 0 };
        if !ok {
            self.dead.push((lo, hi));
        }
        ok
    }

    /// Whether code at host address `addr` can run (it is not in the open window).
    pub fn runnable(&self, addr: usize) -> bool {
        let off = addr.wrapping_sub(self.base as usize);
        !(self.window.0..self.window.1).contains(&off) && !self.dead.iter().any(|&(lo, hi)| (lo..hi).contains(&off))
    }

    /// Gives back a chunk from `install` (its code must never run again).
    pub fn free(&mut self, start: usize, chunk: usize) {
        self.live = self.live.saturating_sub(chunk);
        self.free_chunk(start, chunk);
    }

    fn free_chunk(&mut self, start: usize, chunk: usize) {
        let class = class_of(chunk);
        if self.free.len() <= class {
            self.free.resize_with(class + 1, Vec::new);
        }
        self.free[class].push(start);
    }

    /// Frees everything (no compiled code may run any more).
    pub fn reset(&mut self) {
        self.seal();
        self.dead.clear();
        self.top = 0;
        self.live = 0;
        self.free.clear();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn code(len: usize) -> CompiledCode {
        // `ret`, padded with int3.
        let mut code = vec![0xcc; len];
        code[0] = 0xc3;
        CompiledCode { code, entry: 0, align: 16 }
    }

    /// The protection of the page holding `addr`, from /proc/self/maps ("r-xp"...).
    fn prot(addr: usize) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        for l in maps.lines() {
            let (range, rest) = l.split_once(' ').unwrap();
            let (lo, hi) = range.split_once('-').unwrap();
            let (lo, hi) = (usize::from_str_radix(lo, 16).unwrap(), usize::from_str_radix(hi, 16).unwrap());
            if (lo..hi).contains(&addr) {
                return rest[..4].to_string();
            }
        }
        panic!("{addr:#x} is not mapped");
    }

    #[test]
    fn staged_code_runs_only_once_sealed_and_is_never_writable_and_executable() {
        let mut a = CodeArena::new(16 << 20).unwrap();
        let (e1, _, _) = a.stage(&code(900)).unwrap();
        let (e2, _, _) = a.stage(&code(900)).unwrap();
        assert!(!a.runnable(e1) && !a.runnable(e2), "staged code waits for the seal");
        assert_eq!(prot(e1), "rw-p");
        assert!(a.seal());
        assert!(a.runnable(e1) && a.runnable(e2));
        assert_eq!(prot(e1), "r-xp");
        // The next window starts on a fresh page: the sealed code stays executable.
        let (e3, _, _) = a.stage(&code(100)).unwrap();
        assert_ne!(e3 & !(PAGE - 1), e1 & !(PAGE - 1));
        assert_eq!(prot(e1), "r-xp");
        // Installing closes the window first.
        let (e4, _, _) = a.install(&code(100)).unwrap();
        assert!(a.runnable(e3) && a.runnable(e4));
        assert_eq!(prot(e3), "r-xp");
        // Code larger than a window is installed on its own, runnable at once.
        let (e5, _, _) = a.stage(&code(WINDOW + 1)).unwrap();
        assert!(a.runnable(e5));
        assert_eq!(prot(e5), "r-xp");
    }
}
