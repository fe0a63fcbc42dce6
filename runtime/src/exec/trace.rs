//! `--trace`: one line per executed instruction with the state before it, in a
//! fixed format that `guest-images/tools/qemu-trace.py` also produces from
//! QEMU's `-d exec,cpu,nochain -accel tcg,one-insn-per-tb=on` log, so the two can
//! be diffed to find the first divergence.

use std::io::Write;

use crate::cpu::CpuState;

pub fn line(out: &mut dyn Write, c: &CpuState) {
    let mut s = String::with_capacity(200);
    use std::fmt::Write as _;
    let _ = write!(s, "pc={:08x} {} ", c.r[15], c.current_mode().name());
    for (i, r) in c.r[..15].iter().enumerate() {
        let _ = write!(s, "r{i}={r:08x} ");
    }
    let _ = writeln!(s, "cpsr={:08x}", c.cpsr());
    let _ = out.write_all(s.as_bytes());
}
