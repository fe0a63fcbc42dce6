//! The HSPT SIGSEGV handler.
//!
//! A fault is ours only if the faulting address lies in a shadow region of the
//! VM running on this thread AND the faulting instruction is one of the guest
//! access routines (`access.rs`) or compiled guest code (`exec::jit_entry`). Then the handler fills the page from the guest
//! page table and resumes, or resumes at the routine's fixup with a status. Any
//! other SIGSEGV is a host bug: it is reported on stderr with a backtrace and
//! re-raised with the previous disposition, so it still crashes loudly
//! (`tests/host_fault.rs`).

use std::cell::Cell;
use std::sync::OnceLock;

use super::access::{fixup_pc, is_access_pc, STATUS_GUEST_FAULT, STATUS_MMIO};
use super::hspt::HsptState;

thread_local! {
    static ACTIVE: Cell<*mut HsptState> = const { Cell::new(std::ptr::null_mut()) };
}

struct Prev(libc::sigaction);
// SAFETY: a plain C struct that is written once before the handler is installed.
unsafe impl Send for Prev {}
// SAFETY: as above; only read afterwards.
unsafe impl Sync for Prev {}

static PREV: OnceLock<Prev> = OnceLock::new();

// glibc's <execinfo.h>: the backtrace of a host fault is written from the handler
// with these (backtrace_symbols_fd does not allocate; backtrace's one-time loading
// of the unwinder is done in `install`, outside any handler).
extern "C" {
    fn backtrace(buffer: *mut *mut libc::c_void, size: libc::c_int) -> libc::c_int;
    fn backtrace_symbols_fd(buffer: *const *mut libc::c_void, size: libc::c_int, fd: libc::c_int);
}

/// Installs the handler for the process (idempotent).
pub fn install() {
    PREV.get_or_init(|| {
        let mut frames = [std::ptr::null_mut(); 4];
        // SAFETY: fills at most 4 entries of a local array; the first call loads the
        // unwinder (it allocates), which must not happen first inside the handler.
        unsafe { backtrace(frames.as_mut_ptr(), frames.len() as libc::c_int) };
        // SAFETY: sigaction with a zeroed struct filled with our handler; the old
        // action is saved for chaining. SA_ONSTACK uses the thread's alternate
        // stack when it has one (Rust threads do).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
            libc::sigemptyset(&mut sa.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGSEGV, &sa, &mut old);
            Prev(old)
        }
    });
}

/// While alive, faults on this thread are resolved against `state`.
pub struct ActiveGuard {
    prev: *mut HsptState,
}

impl ActiveGuard {
    /// Registers `state` for the current thread.
    ///
    /// # Safety
    /// `state` must stay valid, and not be accessed through a Rust reference while
    /// a guest access routine runs, until the guard is dropped.
    pub unsafe fn new(state: *mut HsptState) -> ActiveGuard {
        install();
        let prev = ACTIVE.with(|c| c.replace(state));
        ActiveGuard { prev }
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        ACTIVE.with(|c| c.set(self.prev));
    }
}

/// Runs `f` on the state active on this thread (`ActiveGuard`), if any: how the
/// runtime helpers compiled code calls reach the VM's memory state (the soft-TLB
/// miss helper, `softmmu::H_SOFT_FILL`).
pub fn with_active<R>(f: impl FnOnce(&mut HsptState) -> R) -> Option<R> {
    let st = ACTIVE.with(|c| c.get());
    if st.is_null() {
        return None;
    }
    // SAFETY: ActiveGuard's contract: the state is valid while registered and not
    // borrowed while guest code (compiled code, which called us) runs; the Board
    // methods that borrow it are not running (compiled code runs inside none).
    Some(f(unsafe { &mut *st }))
}

/// Writes a host-bug report without allocating (async-signal-safe).
fn report_host_fault(addr: usize, pc: usize) {
    let mut buf = [0u8; 128];
    let mut n = 0;
    let mut put = |s: &[u8]| {
        for &b in s {
            if n < buf.len() {
                buf[n] = b;
                n += 1;
            }
        }
    };
    let hex = |v: usize| {
        let mut h = [0u8; 18];
        h[0] = b'0';
        h[1] = b'x';
        for i in 0..16 {
            let d = ((v >> ((15 - i) * 4)) & 0xf) as u8;
            h[2 + i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
        }
        h
    };
    put(b"hspt: SIGSEGV in the VM itself (a host bug, not the guest): address ");
    put(&hex(addr));
    put(b" pc ");
    put(&hex(pc));
    put(b"\n");
    // SAFETY: write(2) on stderr with a stack buffer is async-signal-safe.
    unsafe { libc::write(2, buf.as_ptr() as *const libc::c_void, n) };
    let head = b"hspt: backtrace (symbolise the +0x offsets with addr2line -f -e hspt):\n";
    let mut frames = [std::ptr::null_mut(); 48];
    // SAFETY: write(2) of a static string; backtrace fills at most 48 entries of the
    // stack array (the unwinder was loaded by `install`) and backtrace_symbols_fd
    // writes them to stderr without allocating.
    unsafe {
        libc::write(2, head.as_ptr() as *const libc::c_void, head.len());
        let n = backtrace(frames.as_mut_ptr(), frames.len() as libc::c_int);
        backtrace_symbols_fd(frames.as_ptr(), n, 2);
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext for SA_SIGINFO handlers.
    let (addr, uc) = unsafe { ((*info).si_addr() as usize, &mut *(ctx as *mut libc::ucontext_t)) };
    let gregs = &mut uc.uc_mcontext.gregs;
    let pc = gregs[libc::REG_RIP as usize] as usize;
    let st = ACTIVE.with(|c| c.get());
    if !st.is_null() && crate::exec::jit_entry::is_jit_pc(pc) {
        // A guest access in compiled code (exec/backend.rs): fill and resume, or
        // leave the block with EXIT_RETRY so the interpreter redoes the
        // instruction (device access or precise abort). Never emulated here.
        // SAFETY: as below; compiled code holds no reference to the state.
        let st = unsafe { &mut *st };
        if let Some((view, va)) = st.locate(addr) {
            let write = gregs[libc::REG_ERR as usize] & 2 != 0;
            match st.fill(view, va, write) {
                Ok(None) => return,
                Ok(Some(_)) => st.mmio_faults += 1,
                Err(_) => {} // the interpreter raises (and counts) the abort
            }
            crate::exec::jit_entry::redirect_to_retry(gregs);
            return;
        }
    }
    if !st.is_null() && is_access_pc(pc) {
        // SAFETY: ActiveGuard's contract: the state is valid and not borrowed
        // while an access routine runs (we are inside one).
        let st = unsafe { &mut *st };
        if let Some((view, va)) = st.locate(addr) {
            let write = gregs[libc::REG_ERR as usize] & 2 != 0;
            match st.fill(view, va, write) {
                Ok(None) => return, // mapped: retry the access
                Ok(Some(pa)) => {
                    st.mmio_pa = pa;
                    st.mmio_faults += 1;
                    gregs[libc::REG_RDX as usize] = STATUS_MMIO as i64;
                }
                Err(f) => {
                    st.fault = f;
                    st.guest_aborts += 1;
                    gregs[libc::REG_RDX as usize] = STATUS_GUEST_FAULT as i64;
                }
            }
            gregs[libc::REG_RAX as usize] = 0;
            gregs[libc::REG_RIP as usize] = fixup_pc() as i64;
            return;
        }
    }
    report_host_fault(addr, pc);
    chain(sig, info, ctx);
}

/// Hands a foreign fault to the previous handler, or restores the default
/// action so that returning re-raises it.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let prev = PREV.get().map(|p| p.0);
    match prev {
        Some(p) if p.sa_sigaction != libc::SIG_DFL && p.sa_sigaction != libc::SIG_IGN => {
            if p.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: calling the previously installed SA_SIGINFO handler with our arguments.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig, info, ctx);
            } else {
                // SAFETY: calling the previously installed plain handler.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig);
            }
        }
        _ => {
            // SAFETY: resetting SIGSEGV to its default action; returning re-executes
            // the faulting instruction, which then terminates the process.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut());
            }
        }
    }
}

/// Which host bug [`provoke_host_fault`] simulates.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostFault {
    /// A plain Rust load from an unmapped page of a live shadow region: the
    /// address is HSPT's, the code is not an access routine nor compiled code.
    ShadowRegion,
    /// A store through a null pointer while a VM is active.
    Null,
}

/// Test hook (`HSPT_TEST_HOST_FAULT`, see `hspt self-check`): makes a VM's fault
/// handler live on this thread, then faults in the VM's own code. The handler
/// must not take it for a guest access: the process dies by SIGSEGV with a
/// report on stderr. Never returns normally.
#[doc(hidden)]
pub fn provoke_host_fault(kind: HostFault) -> std::io::Result<()> {
    let ram = super::ram::GuestRam::new(0x4000_0000, 0x10_0000)?;
    let mut st = super::hspt::HsptState::new(&ram)?;
    let base = st.phys_base();
    // SAFETY: `st` outlives the guard (both live to the end of this function) and
    // is not borrowed while the handler could run.
    let _guard = unsafe { ActiveGuard::new(&mut *st) };
    match kind {
        HostFault::ShadowRegion => {
            // Physical address 0 is not RAM, so this page of the physical view is
            // never mapped. SAFETY: deliberately invalid: the fault is the point.
            let v = unsafe { std::ptr::read_volatile(base as *const u32) };
            std::hint::black_box(v);
        }
        HostFault::Null => {
            let p: *mut u32 = std::hint::black_box(std::ptr::null_mut());
            // SAFETY: deliberately invalid: the fault is the point.
            unsafe { std::ptr::write_volatile(p, 1) };
        }
    }
    Err(std::io::Error::other("the provoked host fault did not happen"))
}
