//! Differential tester: runs random VFP operations through `vfp_oracle`
//! (under qemu-arm, or natively on an ARMv7 board) and through
//! `runtime/src/fp`, and reports every difference in result or FPSCR.
//! Not part of the cargo build; see README.md in this directory.
//!
//! usage: compare <oracle command...> [-- N_PER_OP [SEED [OP,OP,...]]]
//!   e.g. compare qemu-arm -cpu cortex-a15 ./vfp_oracle -- 200000 1

#[path = "../mod.rs"]
#[allow(dead_code)]
mod fp;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn frac(&mut self, f: u32) -> u64 {
        let mask = (1u64 << f) - 1;
        match self.below(8) {
            0 => 0,
            1 => mask,
            2 => 1 << self.below(f as u64),
            3 => mask ^ (1 << self.below(f as u64)),
            4 => (1 << self.below(f as u64)) - 1,
            5 => mask & !((1 << self.below(f as u64)) - 1),
            _ => self.next() & mask,
        }
    }
    /// Edge-biased value incl. NaNs; `near` clusters the biased exponent.
    fn val(&mut self, e: u32, f: u32, near: Option<i64>) -> u64 {
        let max = (1i64 << e) - 1;
        let sign = self.below(2) << (e + f);
        let exp = match (near, self.below(20)) {
            (Some(n), 0..=8) => (n + self.below(7) as i64 - 3).clamp(0, max),
            (_, 9) => 0,
            (_, 10) => self.below(3) as i64,
            (_, 11) => max - 1 - self.below(3) as i64,
            (_, 12) => max,
            (_, 13) => (max >> 1) + self.below(8) as i64 - 4,
            _ => self.below(max as u64 + 1) as i64,
        } as u64;
        let frac = if exp == max as u64 && self.below(3) == 0 { 0 } else { self.frac(f) };
        let mut v = sign | (exp << f) | frac;
        if exp == max as u64 && frac == 0 && self.below(2) == 0 {
            v |= 1 << self.below(f as u64); // make NaN more likely than inf
        }
        v
    }
    fn v32(&mut self, near: Option<u64>) -> u64 {
        self.val(8, 23, near.map(|b| ((b >> 23) & 0xFF) as i64))
    }
    fn v64(&mut self, near: Option<u64>) -> u64 {
        self.val(11, 52, near.map(|b| ((b >> 52) & 0x7FF) as i64))
    }
    fn fpscr(&mut self, ahp: bool) -> u32 {
        let mut s = (self.below(4) as u32) << 22;
        if self.below(4) == 0 {
            s |= fp::FPSCR_FZ;
        }
        if self.below(4) == 0 {
            s |= fp::FPSCR_DN;
        }
        if ahp && self.below(3) == 0 {
            s |= fp::FPSCR_AHP;
        }
        s
    }
    fn int(&mut self) -> u64 {
        let x = self.next() as u32;
        (match self.below(4) {
            0 => x,
            1 => x >> self.below(32),
            2 => ((x as i32) >> self.below(32)) as u32,
            _ => x | 0x8000_0000,
        }) as u64
    }
}

const NAMES: [&str; 58] = [
    "add32", "sub32", "mul32", "div32", "sqrt32", "fma32", "add64", "sub64", "mul64", "div64",
    "sqrt64", "fma64", "cmp32", "cmpe32", "cmp64", "cmpe64", "f32_to_f64", "f64_to_f32",
    "f32_to_s32", "f32_to_u32", "f32_to_s32r", "f32_to_u32r", "f64_to_s32", "f64_to_u32",
    "f64_to_s32r", "f64_to_u32r", "s32_to_f32", "u32_to_f32", "s32_to_f64", "u32_to_f64",
    "f16_to_f32", "f32_to_f16", "f32_to_s16x", "f32_to_u16x", "f32_to_s32x", "f32_to_u32x",
    "f64_to_s16x", "f64_to_u16x", "f64_to_s32x", "f64_to_u32x", "s16x_to_f32", "u16x_to_f32",
    "s32x_to_f32", "u32x_to_f32", "s16x_to_f64", "u16x_to_f64", "s32x_to_f64", "u32x_to_f64",
    "vmla32", "vmls32", "vnmla32", "vnmls32", "vnmul32", "vmla64", "vmls64", "vnmla64", "vnmls64",
    "vnmul64",
];
const NOPS: usize = NAMES.len();

#[derive(Clone, Copy)]
struct Rec {
    op: u32,
    fpscr: u32,
    a: u64,
    b: u64,
    c: u64,
}

fn gen(r: &mut Rng, op: u32) -> Rec {
    let dbl = matches!(op, 6..=11 | 14 | 15 | 17 | 22..=25 | 36..=39 | 53..=57);
    let (a, b, c) = if dbl {
        let a = r.v64(None);
        let near = if r.below(2) == 0 { Some(a) } else { None };
        let b = r.v64(near);
        // Addend near the product's exponent for cancellation.
        let pe = (((a >> 52) & 0x7FF) + ((b >> 52) & 0x7FF)).saturating_sub(1023) << 52;
        let near = if r.below(2) == 0 { Some(pe) } else { None };
        let c = r.v64(near);
        (a, b, c)
    } else {
        let a = r.v32(None);
        let near = if r.below(2) == 0 { Some(a) } else { None };
        let b = r.v32(near);
        let pe = (((a >> 23) & 0xFF) + ((b >> 23) & 0xFF)).saturating_sub(127) << 23;
        let near = if r.below(2) == 0 { Some(pe) } else { None };
        let c = r.v32(near);
        (a, b, c)
    };
    let mut rec = Rec { op, fpscr: r.fpscr(false), a, b, c };
    match op {
        2 | 3 | 5 | 8 | 9 | 11 | 48..=57 if r.below(3) == 0 => {
            // Results near the bottom of the normal range (underflow, FZ).
            let (bias, f, w) = if dbl { (1023i64, 52u32, 0x7FFi64) } else { (127, 23, 0xFF) };
            let ea = ((rec.a >> f) as i64) & w;
            let target = 1 + r.below(7) as i64 - 4 - if r.below(4) == 0 { r.below(f as u64 + 2) as i64 } else { 0 };
            let eb = if op == 3 || op == 9 { ea - target + bias } else { target - ea + bias };
            if (1..w).contains(&eb) {
                rec.b = (rec.b & !((w as u64) << f)) | ((eb as u64) << f);
            }
        }
        17 if r.below(2) == 0 => {
            // Near the single-precision range limits.
            let e = [1023 - 126, 1023 - 150, 1023 + 127][r.below(3) as usize] + r.below(8) as i64 - 4;
            rec.a = (r.below(2) << 63) | ((e as u64) << 52) | r.frac(52);
        }
        18..=25 | 32..=39 if r.below(2) == 0 => {
            // Values around the integer range.
            let (bias, f) = if dbl { (1023u64, 52) } else { (127, 23) };
            let e = bias + r.below(36) - 3;
            rec.a = (r.below(2) << (if dbl { 63 } else { 31 })) | (e << f) | r.frac(f);
        }
        26..=29 | 40..=47 => rec.a = r.int(),
        30 => {
            rec.a = r.next() & 0xFFFF;
            rec.fpscr = r.fpscr(true);
        }
        31 => {
            if r.below(4) != 0 {
                let e = 127 - 27 + r.below(46);
                rec.a = (r.below(2) << 31) | (e << 23) | r.frac(23);
            }
            rec.fpscr = r.fpscr(true);
        }
        _ => {}
    }
    if (32..=47).contains(&op) {
        let size = if matches!(op, 32 | 33 | 36 | 37 | 40 | 41 | 44 | 45) { 16 } else { 32 };
        let fb = if size == 16 { r.below(17) } else { 1 + r.below(32) };
        rec.op |= (fb as u32) << 8;
    }
    rec
}

/// Our result for a record: (result as the oracle reports it, FPSCR after).
fn ours(x: &Rec) -> (u64, u32) {
    use fp::*;
    let mut s = x.fpscr;
    let (a, b, c) = (x.a, x.b, x.c);
    let (a32, b32, c32) = (a as u32, b as u32, c as u32);
    let fb = x.op >> 8;
    let sext = |v: u32, signed: bool| if signed { v as i32 as i64 as u64 } else { v as u64 };
    let r: u64 = match x.op & 0xFF {
        0 => add32(a32, b32, &mut s) as u64,
        1 => sub32(a32, b32, &mut s) as u64,
        2 => mul32(a32, b32, &mut s) as u64,
        3 => div32(a32, b32, &mut s) as u64,
        4 => sqrt32(a32, &mut s) as u64,
        5 => muladd32(c32, a32, b32, &mut s) as u64,
        6 => add64(a, b, &mut s),
        7 => sub64(a, b, &mut s),
        8 => mul64(a, b, &mut s),
        9 => div64(a, b, &mut s),
        10 => sqrt64(a, &mut s),
        11 => muladd64(c, a, b, &mut s),
        op @ 12..=15 => {
            let nzcv = if op < 14 {
                cmp32(a32, b32, op == 13, &mut s)
            } else {
                cmp64(a, b, op == 15, &mut s)
            };
            s = (s & 0x0FFF_FFFF) | nzcv;
            0
        }
        16 => f32_to_f64(a32, &mut s),
        17 => f64_to_f32(a, &mut s) as u64,
        18 => f32_to_int(a32, true, true, &mut s) as u64,
        19 => f32_to_int(a32, false, true, &mut s) as u64,
        20 => f32_to_int(a32, true, false, &mut s) as u64,
        21 => f32_to_int(a32, false, false, &mut s) as u64,
        22 => f64_to_int(a, true, true, &mut s) as u64,
        23 => f64_to_int(a, false, true, &mut s) as u64,
        24 => f64_to_int(a, true, false, &mut s) as u64,
        25 => f64_to_int(a, false, false, &mut s) as u64,
        26 => int_to_f32(a32, true, &mut s) as u64,
        27 => int_to_f32(a32, false, &mut s) as u64,
        28 => int_to_f64(a32, true, &mut s),
        29 => int_to_f64(a32, false, &mut s),
        30 => f16_to_f32(a as u16, &mut s) as u64,
        31 => f32_to_f16(a32, &mut s) as u64,
        32 => f32_to_fixed(a32, 16, fb, true, &mut s) as u64,
        33 => f32_to_fixed(a32, 16, fb, false, &mut s) as u64,
        34 => f32_to_fixed(a32, 32, fb, true, &mut s) as u64,
        35 => f32_to_fixed(a32, 32, fb, false, &mut s) as u64,
        36 => sext(f64_to_fixed(a, 16, fb, true, &mut s), true),
        37 => sext(f64_to_fixed(a, 16, fb, false, &mut s), false),
        38 => sext(f64_to_fixed(a, 32, fb, true, &mut s), true),
        39 => sext(f64_to_fixed(a, 32, fb, false, &mut s), false),
        40 => fixed_to_f32(a32, 16, fb, true, &mut s) as u64,
        41 => fixed_to_f32(a32, 16, fb, false, &mut s) as u64,
        42 => fixed_to_f32(a32, 32, fb, true, &mut s) as u64,
        43 => fixed_to_f32(a32, 32, fb, false, &mut s) as u64,
        44 => fixed_to_f64(a32, 16, fb, true, &mut s),
        45 => fixed_to_f64(a32, 16, fb, false, &mut s),
        46 => fixed_to_f64(a32, 32, fb, true, &mut s),
        47 => fixed_to_f64(a32, 32, fb, false, &mut s),
        48 => vmla32(c32, a32, b32, &mut s) as u64,
        49 => vmls32(c32, a32, b32, &mut s) as u64,
        50 => vnmla32(c32, a32, b32, &mut s) as u64,
        51 => vnmls32(c32, a32, b32, &mut s) as u64,
        52 => vnmul32(a32, b32, &mut s) as u64,
        53 => vmla64(c, a, b, &mut s),
        54 => vmls64(c, a, b, &mut s),
        55 => vnmla64(c, a, b, &mut s),
        56 => vnmls64(c, a, b, &mut s),
        57 => vnmul64(a, b, &mut s),
        _ => unreachable!(),
    };
    (r, s)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sep = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let cmd = &args[..sep];
    let rest = if sep < args.len() { &args[sep + 1..] } else { &[][..] };
    let n: usize = rest.first().map(|s| s.parse().unwrap()).unwrap_or(100_000);
    let seed: u64 = rest.get(1).map(|s| s.parse().unwrap()).unwrap_or(1);
    let ops: Vec<u32> = match rest.get(2) {
        Some(s) => s.split(',').map(|x| x.parse().unwrap()).collect(),
        None => (0..NOPS as u32).collect(),
    };
    let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut recs = Vec::new();
    for &op in &ops {
        if op == 30 {
            // Exhaustive: every half value under every relevant FPSCR setting.
            for ctl in 0..8u32 {
                let fpscr = (ctl & 1) * fp::FPSCR_AHP + (ctl >> 1 & 1) * fp::FPSCR_DN + (ctl >> 2) * fp::FPSCR_FZ;
                for h in 0..=0xFFFFu64 {
                    recs.push(Rec { op, fpscr, a: h, b: 0, c: 0 });
                }
            }
            continue;
        }
        for _ in 0..n {
            recs.push(gen(&mut r, op));
        }
    }
    let mut input = Vec::with_capacity(recs.len() * 32);
    for x in &recs {
        input.extend_from_slice(&x.op.to_le_bytes());
        input.extend_from_slice(&x.fpscr.to_le_bytes());
        input.extend_from_slice(&x.a.to_le_bytes());
        input.extend_from_slice(&x.b.to_le_bytes());
        input.extend_from_slice(&x.c.to_le_bytes());
    }
    let mut child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn oracle");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).unwrap();
    });
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success(), "oracle failed");
    assert_eq!(out.len(), recs.len() * 16, "short oracle output");

    let mut bad = vec![0usize; NOPS];
    let mut total = vec![0usize; NOPS];
    let mut shown = vec![0usize; NOPS];
    let mut flagged = vec![[0usize; 6]; NOPS];
    for (i, x) in recs.iter().enumerate() {
        let o = &out[i * 16..];
        let qr = u64::from_le_bytes(o[0..8].try_into().unwrap());
        let qs = u32::from_le_bytes(o[8..12].try_into().unwrap());
        let (mr, ms) = ours(x);
        let op = (x.op & 0xFF) as usize;
        total[op] += 1;
        for (k, bit) in [0u32, 1, 2, 3, 4, 7].iter().enumerate() {
            if ms & (1 << bit) != 0 {
                flagged[op][k] += 1;
            }
        }
        if (qr, qs) != (mr, ms) {
            bad[op] += 1;
            if shown[op] < 8 {
                shown[op] += 1;
                println!(
                    "{} fb={} fpscr={:#010x} a={:#x} b={:#x} c={:#x}: qemu {:#x} fpscr {:#010x}, ours {:#x} fpscr {:#010x}",
                    NAMES[op], x.op >> 8, x.fpscr, x.a, x.b, x.c, qr, qs, mr, ms
                );
            }
        }
    }
    let mut all = 0;
    for op in 0..NOPS {
        if total[op] > 0 {
            let f = flagged[op];
            println!(
                "{:12} {:8} cases, {:6} mismatches  (IOC {} DZC {} OFC {} UFC {} IXC {} IDC {})",
                NAMES[op], total[op], bad[op], f[0], f[1], f[2], f[3], f[4], f[5]
            );
            all += total[op];
        }
    }
    println!("total {} cases, {} mismatches", all, bad.iter().sum::<usize>());
}
