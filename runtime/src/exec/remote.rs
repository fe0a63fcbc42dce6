//! The LLVM tier's compiler in a child process (`hspt jit-server`).
//!
//! Why: a compile thread shares the VM's address space, so every HSPT mapping
//! change (a fill, an unmap, a TLB flush) while it runs must interrupt its CPU
//! to flush that CPU's TLB (an IPI, dear inside a virtual machine: 12 % of the
//! VM thread's time on xz). A child process has its own address space; the
//! compile thread only waits on a pipe, and a waiting CPU is not interrupted.
//!
//! The protocol (`ir::wire`): a request is a u32 length and then a u32 count and
//! that many blocks; the answer, a u32 length and then one result per block.
//! The child exits when its input closes. Anything unexpected from the child
//! (it died, it answered garbage) stops its use: the blocks are compiled in this
//! process from then on, with one warning.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::backend::{Backend, CompiledCode};
use crate::ir::wire::{self, Reader, Writer};
use crate::ir::Block;

/// Largest message either side accepts.
const MAX_MESSAGE: usize = 256 << 20;
/// Most blocks in one request (the JIT sends batches of tens).
const MAX_BATCH: usize = 1 << 16;

/// A backend that compiles in a child process running `program args...` (which
/// must serve `serve`'s protocol with a backend like `local`). `local` names the
/// code (fingerprint) and compiles whatever cannot go to the child.
pub struct RemoteBackend {
    local: Arc<dyn Backend>,
    program: std::path::PathBuf,
    args: Vec<String>,
    child: Mutex<Link>,
    /// The child process, apart from its pipes (which a compile holds while it waits for an
    /// answer), so that `shutdown` can stop it in the middle of one.
    process: Mutex<Option<Child>>,
    /// `shutdown` was called: nothing compiles any more, here or there.
    closing: AtomicBool,
}

enum Link {
    NotStarted,
    Up { to: ChildStdin, from: ChildStdout },
    /// The child could not start or failed: everything compiles locally.
    Down,
}

impl RemoteBackend {
    pub fn new(local: Arc<dyn Backend>, program: std::path::PathBuf, args: Vec<String>) -> Self {
        RemoteBackend { local, program, args, child: Mutex::new(Link::NotStarted), process: Mutex::new(None), closing: AtomicBool::new(false) }
    }

    fn start(&self) -> std::io::Result<Link> {
        let mut child = Command::new(&self.program).args(&self.args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
        let to = child.stdin.take().ok_or_else(|| std::io::Error::other("no pipe to the child"))?;
        let from = child.stdout.take().ok_or_else(|| std::io::Error::other("no pipe from the child"))?;
        if let Ok(mut p) = self.process.lock() {
            *p = Some(child);
        }
        Ok(Link::Up { to, from })
    }

    /// Sends the request `w` for `n` blocks to the child; Err if the child cannot answer (then
    /// it is not used again).
    fn remote(&self, link: &mut Link, w: &Writer, n: usize) -> Result<Vec<Result<CompiledCode, String>>, String> {
        if matches!(link, Link::NotStarted) {
            *link = self.start().map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        }
        let Link::Up { to, from, .. } = link else { return Err("no compiler process".into()) };
        send(to, &w.0).map_err(|e| format!("writing to the compiler process: {e}"))?;
        let answer = receive(from).map_err(|e| format!("reading from the compiler process: {e}"))?;
        let mut r = Reader::new(&answer);
        let results = (0..n).map(|_| wire::get_result(&mut r)).collect::<Result<Vec<_>, _>>()?;
        if !r.is_empty() {
            return Err("the compiler process answered more than asked".into());
        }
        Ok(results)
    }

    /// Stops the child (killed if `kill`, else by closing its input) and reaps it; after a
    /// kill, only if it is already gone (else init reaps it once we exit: its teardown need
    /// not hold up ours).
    fn stop_child(&self, link: &mut Link, kill: bool) {
        // Closing its input ends the child.
        *link = Link::Down;
        if let Ok(mut p) = self.process.lock() {
            if let Some(mut child) = p.take() {
                if kill {
                    let _ = child.kill();
                    let _ = child.try_wait();
                } else {
                    let _ = child.wait();
                }
            }
        }
    }
}

impl Drop for RemoteBackend {
    fn drop(&mut self) {
        let closing = self.closing.load(Ordering::Relaxed);
        if let Ok(mut link) = self.child.lock() {
            self.stop_child(&mut link, closing);
        }
    }
}

impl Backend for RemoteBackend {
    fn name(&self) -> &'static str {
        self.local.name()
    }

    fn fingerprint(&self) -> String {
        self.local.fingerprint()
    }

    fn soft_mmu(&self) -> bool {
        self.local.soft_mmu()
    }

    fn shutdown(&self) {
        self.closing.store(true, Ordering::Relaxed);
        // Not through `child`'s lock: a compile may hold it, waiting for the child's answer.
        if let Ok(mut p) = self.process.lock() {
            if let Some(c) = p.as_mut() {
                let _ = c.kill();
            }
        }
    }

    fn process_cpu_s(&self) -> f64 {
        let pid = match self.process.lock().as_deref() {
            Ok(Some(child)) => child.id(),
            _ => return 0.0,
        };
        // The child is one thread: its schedstat is the process's.
        super::stats::schedstat_cpu_s(&format!("/proc/{pid}/schedstat"))
    }

    fn compile(&self, block: &Block) -> Result<CompiledCode, String> {
        self.compile_batch(std::slice::from_ref(block)).pop().unwrap_or_else(|| Err("no result".into()))
    }

    fn compile_batch(&self, blocks: &[Block]) -> Vec<Result<CompiledCode, String>> {
        let closed = || blocks.iter().map(|_| Err("the VM is shutting down".to_string())).collect();
        if self.closing.load(Ordering::Relaxed) {
            return closed();
        }
        let mut link = match self.child.lock() {
            Ok(l) => l,
            Err(_) => return self.local.compile_batch(blocks),
        };
        if matches!(*link, Link::Down) {
            return self.local.compile_batch(blocks);
        }
        let mut w = Writer::default();
        w.u32(blocks.len() as u32);
        if let Err(why) = blocks.iter().try_for_each(|b| wire::put_block(&mut w, b)) {
            // Not the child's fault (a helper outside the table): this batch compiles here.
            tracing::debug!("a batch cannot travel to the compiler process ({why})");
            return self.local.compile_batch(blocks);
        }
        match self.remote(&mut link, &w, blocks.len()) {
            Ok(results) => results,
            // `shutdown` killed the child while it compiled this batch: nobody wants it.
            Err(_) if self.closing.load(Ordering::Relaxed) => closed(),
            Err(why) => {
                tracing::warn!("the LLVM compiler process failed ({why}); compiling in this process from now on");
                self.stop_child(&mut link, true);
                self.local.compile_batch(blocks)
            }
        }
    }
}

fn send(to: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    to.write_all(&(payload.len() as u32).to_le_bytes())?;
    to.write_all(payload)?;
    to.flush()
}

/// One message, or None at a clean end of input.
fn receive_opt(from: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match from.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_le_bytes(len) as usize;
    if n > MAX_MESSAGE {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a message of {n} bytes")));
    }
    let mut v = vec![0u8; n];
    from.read_exact(&mut v)?;
    Ok(Some(v))
}

fn receive(from: &mut impl Read) -> std::io::Result<Vec<u8>> {
    receive_opt(from)?.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the compiler process exited"))
}

/// The child's side: answers requests from `input` with `backend` on `output`
/// until `input` ends. A request that does not decode is answered with an error
/// for each block it claims (or ends the service if even the count is unreadable).
pub fn serve(backend: &dyn Backend, input: &mut impl Read, output: &mut impl Write) -> std::io::Result<()> {
    while let Some(msg) = receive_opt(input)? {
        let mut r = Reader::new(&msg);
        let n = r.u32().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))? as usize;
        if n > MAX_BATCH {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a request for {n} blocks")));
        }
        let blocks: Result<Vec<Block>, String> = (0..n).map(|_| wire::get_block(&mut r)).collect();
        let results = match blocks {
            Ok(blocks) => backend.compile_batch(&blocks),
            Err(why) => (0..n).map(|_| Err(format!("undecodable request: {why}"))).collect(),
        };
        let mut w = Writer::default();
        for res in &results {
            wire::put_result(&mut w, res);
        }
        send(output, &w.0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::exec::backend::testing::{block, Echo};

    #[test]
    fn serve_answers_each_block_in_order() {
        let mut w = Writer::default();
        w.u32(3);
        for pc in [0x1000, 0x1001, 0x2000] {
            wire::put_block(&mut w, &block(pc)).unwrap();
        }
        let mut input = Vec::new();
        send(&mut input, &w.0).unwrap();
        let mut out = Vec::new();
        serve(&Echo, &mut input.as_slice(), &mut out).unwrap();
        let answer = receive(&mut out.as_slice()).unwrap();
        let mut r = Reader::new(&answer);
        let got: Vec<_> = (0..3).map(|_| wire::get_result(&mut r).unwrap()).collect();
        assert_eq!(got[0].as_ref().unwrap().code, 0x1000u32.to_le_bytes());
        assert!(got[1].as_ref().unwrap_err().contains("odd"));
        assert_eq!(got[2].as_ref().unwrap().code, 0x2000u32.to_le_bytes());
        assert!(r.is_empty());
    }

    #[test]
    fn serve_refuses_a_request_for_too_many_blocks() {
        let mut w = Writer::default();
        w.u32(u32::MAX);
        let mut input = Vec::new();
        send(&mut input, &w.0).unwrap();
        let mut out = Vec::new();
        assert!(serve(&Echo, &mut input.as_slice(), &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn shutdown_ends_a_compile_waiting_for_the_child_without_compiling_here() {
        // A child that never answers: the batch waits for it until `shutdown` kills it.
        let rb = Arc::new(RemoteBackend::new(Arc::new(Echo), "/bin/sleep".into(), vec!["600".into()]));
        let rb2 = rb.clone();
        let waiting = std::thread::spawn(move || rb2.compile_batch(&[block(0x4000), block(0x4004)]));
        while rb.process.lock().unwrap().is_none() {
            std::thread::yield_now();
        }
        rb.shutdown();
        let r = waiting.join().unwrap();
        // Not the local backend's answer (which would be Ok): the results are not wanted.
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|x| x.as_ref().is_err_and(|e| e.contains("shutting down"))), "{r:?}");
        // Nothing compiles after it either.
        assert!(rb.compile_batch(&[block(0x4008)])[0].is_err());
    }

    #[test]
    fn a_missing_compiler_process_falls_back_to_this_process() {
        let rb = RemoteBackend::new(Arc::new(Echo), "/nonexistent/hspt-compiler".into(), vec![]);
        let r = rb.compile_batch(&[block(0x3000), block(0x3001)]);
        assert_eq!(r[0].as_ref().unwrap().code, 0x3000u32.to_le_bytes());
        assert!(r[1].is_err());
        assert!(matches!(*rb.child.lock().unwrap(), Link::Down));
    }

    #[test]
    fn a_block_that_cannot_travel_compiles_here_and_keeps_the_child() {
        extern "C" fn nothing(_: &mut crate::cpu::CpuState, _: u64, _: u64, _: u64) -> u64 {
            0
        }
        static OUTSIDE: crate::ir::Helper = crate::ir::Helper { name: "outside-the-table", f: nothing, may_raise: false };
        let mut b = block(0x5000);
        b.ntmp = 1;
        b.ops.insert(0, crate::ir::Op::Call { d: 0, h: &OUTSIDE, a: 0, b: 0, c: 0, insn: 0 });
        // A child that would answer garbage is never asked.
        let rb = RemoteBackend::new(Arc::new(Echo), "/bin/cat".into(), vec![]);
        let r = rb.compile_batch(&[b]);
        assert_eq!(r[0].as_ref().unwrap().code, 0x5000u32.to_le_bytes());
        assert!(matches!(*rb.child.lock().unwrap(), Link::NotStarted));
    }

    #[test]
    fn a_child_that_answers_garbage_is_dropped() {
        // `cat` echoes the request back: not a valid answer.
        let rb = RemoteBackend::new(Arc::new(Echo), "/bin/cat".into(), vec![]);
        let r = rb.compile_batch(&[block(0x4000)]);
        assert_eq!(r[0].as_ref().unwrap().code, 0x4000u32.to_le_bytes());
        assert!(matches!(*rb.child.lock().unwrap(), Link::Down));
    }
}
