//! The host side of the guest console: stdin feeds the PL011's receiver.
//! On a terminal, stdin is put in raw mode (restored at exit) and Ctrl-A x quits,
//! Ctrl-A Ctrl-A sends a Ctrl-A, as QEMU's -nographic does.

use std::io::Read;
use std::sync::mpsc::{self, Receiver};

const CTRL_A: u8 = 0x01;

/// Saved terminal state, restored on drop.
pub struct RawMode(Option<libc::termios>);

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = self.0 {
            restore(&t);
        }
    }
}

fn restore(t: &libc::termios) {
    // SAFETY: tcsetattr on fd 0 with a termios previously read from it.
    unsafe { libc::tcsetattr(0, libc::TCSANOW, t) };
}

/// Whether stdin can deliver input at all (a terminal, pipe or file; not /dev/null).
pub fn stdin_can_deliver() -> bool {
    // SAFETY: isatty/fstat on fd 0 with a zeroed stat buffer.
    unsafe {
        if libc::isatty(0) == 1 {
            return true;
        }
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(0, &mut st) != 0 {
            return false;
        }
        let kind = st.st_mode & libc::S_IFMT;
        kind == libc::S_IFIFO || kind == libc::S_IFREG || kind == libc::S_IFSOCK
    }
}

/// Starts reading stdin on a thread; returns the terminal guard and a poll function.
pub fn start() -> (RawMode, Box<dyn FnMut() -> Vec<u8>>) {
    // SAFETY: isatty on fd 0.
    let tty = unsafe { libc::isatty(0) } == 1;
    let mut saved = None;
    if tty {
        // SAFETY: reading and modifying the terminal attributes of fd 0.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) == 0 {
                saved = Some(t);
                let mut raw = t;
                libc::cfmakeraw(&mut raw);
                // Keep output processing so host messages stay readable.
                raw.c_oflag |= libc::OPOST;
                libc::tcsetattr(0, libc::TCSANOW, &raw);
            }
        }
    }
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let saved_copy = saved;
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 256];
        let mut escape = false;
        loop {
            let n = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let mut out = Vec::with_capacity(n);
            for &b in &buf[..n] {
                if tty && escape {
                    escape = false;
                    match b {
                        b'x' | b'X' => {
                            if let Some(t) = saved_copy.as_ref() {
                                restore(t);
                            }
                            eprintln!("\r\nhspt: terminated (Ctrl-A x)");
                            std::process::exit(0);
                        }
                        CTRL_A => out.push(CTRL_A),
                        _ => {}
                    }
                } else if tty && b == CTRL_A {
                    escape = true;
                } else {
                    out.push(b);
                }
            }
            if !out.is_empty() && tx.send(out).is_err() {
                return;
            }
        }
    });
    (RawMode(saved), Box::new(move || poll(&rx)))
}

fn poll(rx: &Receiver<Vec<u8>>) -> Vec<u8> {
    let mut v = Vec::new();
    while let Ok(b) = rx.try_recv() {
        v.extend_from_slice(&b);
    }
    v
}
