//! Tests for the VFP soft-float library.
//!
//! * Randomised comparison against host IEEE arithmetic (round to nearest,
//!   FZ = 0, non-NaN operands incl. denormals/infinities): results must match
//!   bit for bit.  `HSPT_FP_ITERS` scales the iteration count.
//! * Directed rounding modes for single precision checked against the exact
//!   value computed in double precision.
//! * Hand-written cases (many of them discrepancies found while validating
//!   against qemu-arm, see `oracle/`) for NaN handling, DN, FZ, flags,
//!   conversions and half precision.

use super::*;

const RN: u32 = RMODE_RN << FPSCR_RMODE_SHIFT;
const RP: u32 = RMODE_RP << FPSCR_RMODE_SHIFT;
const RM: u32 = RMODE_RM << FPSCR_RMODE_SHIFT;
const RZ: u32 = RMODE_RZ << FPSCR_RMODE_SHIFT;
const FZ: u32 = FPSCR_FZ;
const DN: u32 = FPSCR_DN;
const AHP: u32 = FPSCR_AHP;
const IOC: u32 = FPSCR_IOC;
const DZC: u32 = FPSCR_DZC;
const OFC: u32 = FPSCR_OFC;
const UFC: u32 = FPSCR_UFC;
const IXC: u32 = FPSCR_IXC;
const IDC: u32 = FPSCR_IDC;

fn iters(base: usize) -> usize {
    let scale = std::env::var("HSPT_FP_ITERS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    ((base as f64) * scale) as usize
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// An interesting fraction of `f` bits.
    fn frac(&mut self, f: u32) -> u64 {
        let mask = (1u64 << f) - 1;
        match self.below(8) {
            0 => 0,
            1 => mask,
            2 => 1 << self.below(f as u64),
            3 => mask ^ (1 << self.below(f as u64)),
            4 => (1 << self.below(f as u64)) - 1,
            _ => self.next() & mask,
        }
    }
    /// A random non-NaN value of the format (`e` exponent bits, `f` fraction
    /// bits), biased towards edge cases.  `near` is a biased exponent to
    /// cluster around (for cancellation), if any.
    fn val(&mut self, e: u32, f: u32, near: Option<u64>) -> u64 {
        let max = (1u64 << e) - 1;
        let sign = self.below(2) << (e + f);
        let exp = match (near, self.below(16)) {
            (Some(n), 0..=7) => (n as i64 + self.below(5) as i64 - 2).clamp(0, max as i64 - 1) as u64,
            (_, 8) => 0,
            (_, 9) => self.below(4),
            (_, 10) => max - 1 - self.below(3),
            (_, 11) => {
                if self.below(8) == 0 {
                    max
                } else {
                    1
                }
            }
            (_, 12) => (max >> 1) + self.below(8) - 4,
            _ => self.below(max),
        };
        let frac = if exp == max { 0 } else { self.frac(f) };
        sign | (exp << f) | frac
    }
    fn v32(&mut self, near: Option<u32>) -> u32 {
        self.val(8, 23, near.map(|b| ((b >> 23) & 0xFF) as u64)) as u32
    }
    fn v64(&mut self, near: Option<u64>) -> u64 {
        self.val(11, 52, near.map(|b| (b >> 52) & 0x7FF))
    }
}

fn same32(ours: u32, host: f32) -> bool {
    if host.is_nan() {
        ours == DEFAULT_NAN32
    } else {
        ours == host.to_bits()
    }
}
fn same64(ours: u64, host: f64) -> bool {
    if host.is_nan() {
        ours == DEFAULT_NAN64
    } else {
        ours == host.to_bits()
    }
}

#[test]
fn random_vs_host_f32() {
    let mut r = Rng(0x1234_5678_9ABC_DEF1);
    for i in 0..iters(300_000) {
        let a = r.v32(None);
        let b = r.v32(if i & 1 == 0 { Some(a) } else { None });
        let c = r.v32(None);
        let (fa, fb, fc) = (f32::from_bits(a), f32::from_bits(b), f32::from_bits(c));
        let mut s = RN;
        let check = |name: &str, ours: u32, host: f32| {
            assert!(same32(ours, host), "{name}({a:#010x}, {b:#010x}) = {ours:#010x}, host {:#010x}", host.to_bits());
        };
        check("add", add32(a, b, &mut s), fa + fb);
        check("sub", sub32(a, b, &mut s), fa - fb);
        check("mul", mul32(a, b, &mut s), fa * fb);
        check("div", div32(a, b, &mut s), fa / fb);
        check("sqrt", sqrt32(a, &mut s), fa.sqrt());
        let ours = muladd32(c, a, b, &mut s);
        let host = fa.mul_add(fb, fc);
        assert!(same32(ours, host), "muladd({c:#x}, {a:#x}, {b:#x}) = {ours:#x}, host {:#x}", host.to_bits());
        // Conversions.
        assert_eq!(f32_to_f64(a, &mut s), (fa as f64).to_bits());
        let d = r.v64(None);
        assert!(same32(f64_to_f32(d, &mut s), f64::from_bits(d) as f32), "f64_to_f32({d:#x})");
        assert_eq!(f32_to_int(a, true, true, &mut s), fa as i32 as u32, "s32 {a:#x}");
        assert_eq!(f32_to_int(a, false, true, &mut s), fa as u32, "u32 {a:#x}");
        let n = r.next() as u32 >> r.below(32);
        assert_eq!(int_to_f32(n, true, &mut s), (n as i32 as f32).to_bits());
        assert_eq!(int_to_f32(n, false, &mut s), (n as f32).to_bits());
        assert_eq!(int_to_f64(n, true, &mut s), (n as i32 as f64).to_bits());
        assert_eq!(int_to_f64(n, false, &mut s), (n as f64).to_bits());
        // Comparison.
        let want = match fa.partial_cmp(&fb) {
            None => NZCV_UNORDERED,
            Some(core::cmp::Ordering::Less) => NZCV_LESS,
            Some(core::cmp::Ordering::Equal) => NZCV_EQUAL,
            Some(core::cmp::Ordering::Greater) => NZCV_GREATER,
        };
        assert_eq!(cmp32(a, b, false, &mut s), want);
        assert_eq!(s & (IOC | DZC | IDC), s & (IOC | DZC), "no IDC with FZ=0");
    }
}

#[test]
fn random_vs_host_f64() {
    let mut r = Rng(0x0DDB_1A5E_5BAD_5EED);
    for i in 0..iters(300_000) {
        let a = r.v64(None);
        let b = r.v64(if i & 1 == 0 { Some(a) } else { None });
        let c = r.v64(if i & 2 == 0 { Some(a ^ b) } else { None });
        let (fa, fb, fc) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
        let mut s = RN;
        let check = |name: &str, ours: u64, host: f64| {
            assert!(same64(ours, host), "{name}({a:#018x}, {b:#018x}) = {ours:#018x}, host {:#018x}", host.to_bits());
        };
        check("add", add64(a, b, &mut s), fa + fb);
        check("sub", sub64(a, b, &mut s), fa - fb);
        check("mul", mul64(a, b, &mut s), fa * fb);
        check("div", div64(a, b, &mut s), fa / fb);
        check("sqrt", sqrt64(a, &mut s), fa.sqrt());
        let ours = muladd64(c, a, b, &mut s);
        let host = fa.mul_add(fb, fc);
        assert!(same64(ours, host), "muladd({c:#x}, {a:#x}, {b:#x}) = {ours:#x}, host {:#x}", host.to_bits());
        assert_eq!(f64_to_int(a, true, true, &mut s), fa as i32 as u32, "s32 {a:#x}");
        assert_eq!(f64_to_int(a, false, true, &mut s), fa as u32, "u32 {a:#x}");
        let want = match fa.partial_cmp(&fb) {
            None => NZCV_UNORDERED,
            Some(core::cmp::Ordering::Less) => NZCV_LESS,
            Some(core::cmp::Ordering::Equal) => NZCV_EQUAL,
            Some(core::cmp::Ordering::Greater) => NZCV_GREATER,
        };
        assert_eq!(cmp64(a, b, true, &mut s), want);
    }
}

/// Products / quotients with results near the denormal range, sums with
/// heavy cancellation: the inputs that exercise the sticky-bit logic.
#[test]
fn random_vs_host_tiny_results() {
    let mut r = Rng(77);
    for _ in 0..iters(200_000) {
        // Exponents summing to around the denormal range.
        let ea = 1 + r.below(1022);
        let eb = (1022 + 30 - r.below(90)).saturating_sub(ea).clamp(1, 2046);
        let a = (r.below(2) << 63) | (ea << 52) | r.frac(52);
        let b = (r.below(2) << 63) | (eb << 52) | r.frac(52);
        let mut s = RN;
        let (fa, fb) = (f64::from_bits(a), f64::from_bits(b));
        assert!(same64(mul64(a, b, &mut s), fa * fb), "mul {a:#x} {b:#x}");
        let b2 = (r.below(2) << 63) | ((2046 - eb) << 52) | r.frac(52);
        assert!(same64(div64(a, b2, &mut s), fa / f64::from_bits(b2)), "div {a:#x} {b2:#x}");
        let a32 = (r.below(2) << 31) as u32 | ((1 + r.below(126)) << 23) as u32 | r.frac(23) as u32;
        let e32 = (126 + 12 - r.below(40)).saturating_sub((a32 >> 23 & 0xFF) as u64).clamp(1, 254);
        let b32 = (r.below(2) << 31) as u32 | (e32 << 23) as u32 | r.frac(23) as u32;
        let (fa, fb) = (f32::from_bits(a32), f32::from_bits(b32));
        assert!(same32(mul32(a32, b32, &mut s), fa * fb), "mul32 {a32:#x} {b32:#x}");
    }
}

fn next_up32(x: u32) -> u32 {
    // Next representable value towards +inf (x not NaN, not +inf).
    if x == 0x8000_0000 {
        1
    } else if x >> 31 == 0 {
        x + 1
    } else {
        x - 1
    }
}
fn next_down32(x: u32) -> u32 {
    next_up32(x ^ 0x8000_0000) ^ 0x8000_0000
}

/// Directed rounding for single precision: the exact add/sub/mul result is
/// computed in double precision (exact for these operand ranges) and the
/// expected result derived from the round-to-nearest one.
#[test]
fn directed_rounding_f32() {
    let mut r = Rng(99);
    let mut n = 0;
    while n < iters(200_000) {
        let a = r.v32(None);
        let b = r.v32(Some(a));
        let (fa, fb) = (f32::from_bits(a) as f64, f32::from_bits(b) as f64);
        if !fa.is_finite() || !fb.is_finite() {
            continue;
        }
        let ea = (a >> 23) & 0xFF;
        let eb = (b >> 23) & 0xFF;
        for op in 0..3 {
            let exact = match op {
                0 => {
                    if ea.abs_diff(eb) > 26 {
                        continue;
                    }
                    fa + fb
                }
                1 => {
                    if ea.abs_diff(eb) > 26 {
                        continue;
                    }
                    fa - fb
                }
                _ => fa * fb,
            };
            let rn = exact as f32;
            if rn.is_infinite() || exact == 0.0 {
                continue;
            }
            let rn = rn.to_bits();
            let is_exact = f32::from_bits(rn) as f64 == exact;
            let up = if is_exact || f32::from_bits(rn) as f64 > exact { rn } else { next_up32(rn) };
            let down = if is_exact || (f32::from_bits(rn) as f64) < exact { rn } else { next_down32(rn) };
            let zero = if exact > 0.0 { down } else { up };
            if f32::from_bits(up).is_infinite() || f32::from_bits(down).is_infinite() {
                continue;
            }
            for (mode, want) in [(RN, rn), (RP, up), (RM, down), (RZ, zero)] {
                let mut s = mode;
                let got = match op {
                    0 => add32(a, b, &mut s),
                    1 => sub32(a, b, &mut s),
                    _ => mul32(a, b, &mut s),
                };
                assert_eq!(got, want, "op{op} {a:#x} {b:#x} mode {:#x}", mode >> 22);
                assert_eq!(s & IXC != 0, !is_exact);
            }
            n += 1;
        }
    }
}

// ---------------------------------------------------------------------------
// Hand-written cases
// ---------------------------------------------------------------------------

fn run32(f: fn(u32, u32, &mut u32) -> u32, a: u32, b: u32, fpscr: u32) -> (u32, u32) {
    let mut s = fpscr;
    let r = f(a, b, &mut s);
    (r, s & FPSCR_EXC_MASK)
}
fn run64(f: fn(u64, u64, &mut u32) -> u64, a: u64, b: u64, fpscr: u32) -> (u64, u32) {
    let mut s = fpscr;
    let r = f(a, b, &mut s);
    (r, s & FPSCR_EXC_MASK)
}

const QNAN_A: u32 = 0x7FC0_1234;
const QNAN_B: u32 = 0xFFC0_0567;
const SNAN_A: u32 = 0x7F80_1234;
const SNAN_B: u32 = 0xFF80_0567;
const ONE32: u32 = 0x3F80_0000;
const INF32: u32 = 0x7F80_0000;
const NINF32: u32 = 0xFF80_0000;
const NZERO32: u32 = 0x8000_0000;
const DENORM32: u32 = 0x0000_0001;

#[test]
fn nan_propagation() {
    // First SNaN wins (quieted), else first QNaN.
    assert_eq!(run32(add32, QNAN_A, QNAN_B, RN), (QNAN_A, 0));
    assert_eq!(run32(add32, QNAN_B, QNAN_A, RN), (QNAN_B, 0));
    assert_eq!(run32(add32, QNAN_A, SNAN_B, RN), (SNAN_B | 0x40_0000, IOC));
    assert_eq!(run32(mul32, SNAN_A, SNAN_B, RN), (SNAN_A | 0x40_0000, IOC));
    assert_eq!(run32(div32, ONE32, SNAN_B, RN), (SNAN_B | 0x40_0000, IOC));
    assert_eq!(run32(sub32, ONE32, QNAN_B, RN), (QNAN_B, 0)); // no sign flip
    assert_eq!(run32(sub32, QNAN_B, INF32, RN), (QNAN_B, 0));
    // Default NaN mode.
    assert_eq!(run32(add32, QNAN_A, ONE32, DN), (DEFAULT_NAN32, 0));
    assert_eq!(run32(add32, SNAN_A, ONE32, DN), (DEFAULT_NAN32, IOC));
    // Invalid operations give the default NaN.
    assert_eq!(run32(add32, INF32, NINF32, RN), (DEFAULT_NAN32, IOC));
    assert_eq!(run32(sub32, INF32, INF32, RN), (DEFAULT_NAN32, IOC));
    assert_eq!(run32(mul32, 0, NINF32, RN), (DEFAULT_NAN32, IOC));
    assert_eq!(run32(div32, NZERO32, 0, RN), (DEFAULT_NAN32, IOC));
    assert_eq!(run32(div32, INF32, NINF32, RN), (DEFAULT_NAN32, IOC));
    let mut s = 0;
    assert_eq!((sqrt32(0xBF80_0000, &mut s), s), (DEFAULT_NAN32, IOC));
    let mut s = 0;
    assert_eq!((sqrt32(SNAN_B, &mut s), s), (SNAN_B | 0x40_0000, IOC));
    let mut s = 0;
    assert_eq!((sqrt32(QNAN_B, &mut s), s), (QNAN_B, 0));
    // Doubles.
    let q = 0xFFF8_0000_0000_0ABCu64;
    let sn = 0x7FF0_0000_0000_0001u64;
    assert_eq!(run64(add64, q, sn, RN), (sn | 1 << 51, IOC));
    assert_eq!(run64(mul64, q, 0x3FF0_0000_0000_0000, RN), (q, 0));
    assert_eq!(run64(div64, 0, 0, RN), (DEFAULT_NAN64, IOC));
    assert_eq!(run64(add64, sn, q, DN), (DEFAULT_NAN64, IOC));
}

#[test]
fn muladd_special() {
    let mut s = 0;
    // Addend QNaN with inf*0 -> default NaN + IOC (ARM-specific).
    assert_eq!(muladd32(QNAN_A, INF32, 0, &mut s), DEFAULT_NAN32);
    assert_eq!(s, IOC);
    let mut s = 0;
    assert_eq!(muladd32(SNAN_A, INF32, 0, &mut s), SNAN_A | 0x40_0000);
    assert_eq!(s, IOC);
    let mut s = 0;
    assert_eq!(muladd32(QNAN_A, QNAN_B, ONE32, &mut s), QNAN_A);
    assert_eq!(s, 0);
    let mut s = 0;
    assert_eq!(muladd32(QNAN_A, SNAN_B, ONE32, &mut s), SNAN_B | 0x40_0000);
    assert_eq!(s, IOC);
    // inf + -inf from product.
    let mut s = 0;
    assert_eq!(muladd32(INF32, NINF32, ONE32, &mut s), DEFAULT_NAN32);
    assert_eq!(s, IOC);
    // Exact zero: (+0) + (+1 * -0)  -> +0 in RN, -0 in RM.
    let mut s = RN;
    assert_eq!(muladd32(0, ONE32, NZERO32, &mut s), 0);
    let mut s = RM;
    assert_eq!(muladd32(0, ONE32, NZERO32, &mut s), NZERO32);
    // 1 + 1*-1 = 0.
    let mut s = RM;
    assert_eq!(muladd32(ONE32, ONE32, 0xBF80_0000, &mut s), NZERO32);
    let mut s = RN;
    assert_eq!(muladd32(ONE32, ONE32, 0xBF80_0000, &mut s), 0);
}

#[test]
fn zero_signs() {
    // x + (-x) = +0 except in RM.
    for (mode, want) in [(RN, 0), (RP, 0), (RZ, 0), (RM, NZERO32)] {
        assert_eq!(run32(add32, ONE32, 0xBF80_0000, mode), (want, 0));
        assert_eq!(run32(sub32, ONE32, ONE32, mode), (want, 0));
        assert_eq!(run32(add32, 0, NZERO32, mode), (want, 0));
        assert_eq!(run32(sub32, 0, 0, mode), (want, 0));
        assert_eq!(run32(add32, NZERO32, NZERO32, mode), (NZERO32, 0));
        assert_eq!(run32(sub32, NZERO32, 0, mode), (NZERO32, 0));
    }
    assert_eq!(run32(mul32, NZERO32, ONE32, RN), (NZERO32, 0));
    assert_eq!(run32(div32, 0, 0xBF80_0000, RN), (NZERO32, 0));
    let mut s = 0;
    assert_eq!(sqrt32(NZERO32, &mut s), NZERO32);
    let mut s = 0;
    assert_eq!(sqrt64(1 << 63, &mut s), 1 << 63);
    assert_eq!(s, 0);
    // -0 + denormal returns the denormal exactly.
    assert_eq!(run32(add32, NZERO32, 0x8000_0003, RN), (0x8000_0003, 0));
}

#[test]
fn div_by_zero() {
    assert_eq!(run32(div32, ONE32, NZERO32, RN), (NINF32, DZC));
    assert_eq!(run32(div32, NINF32, 0, RN), (NINF32, 0));
    assert_eq!(run64(div64, 0xC000_0000_0000_0000, 0, RN), (0xFFF0_0000_0000_0000, DZC));
    // FZ: a denormal divisor is a zero divisor.
    assert_eq!(run32(div32, ONE32, DENORM32, FZ), (INF32, DZC | IDC));
}

#[test]
fn overflow_by_mode() {
    let max = 0x7F7F_FFFF;
    let nmax = 0xFF7F_FFFF;
    for (mode, pos, neg) in [(RN, INF32, NINF32), (RP, INF32, nmax), (RM, max, NINF32), (RZ, max, nmax)] {
        assert_eq!(run32(mul32, max, 0x4000_0000, mode), (pos, OFC | IXC));
        assert_eq!(run32(mul32, nmax, 0x4000_0000, mode), (neg, OFC | IXC));
        assert_eq!(run32(add32, max, max, mode), (pos, OFC | IXC));
    }
    // Rounding up into overflow: max + half an ulp.
    assert_eq!(run32(add32, max, 0x7300_0000, RN), (INF32, OFC | IXC));
    assert_eq!(run32(add32, max, 0x72FF_FFFF, RN), (max, IXC));
    assert_eq!(run32(add32, max, 0x7200_0000, RP), (INF32, OFC | IXC));
    let dmax = 0x7FEF_FFFF_FFFF_FFFFu64;
    assert_eq!(run64(add64, dmax, dmax, RZ), (dmax, OFC | IXC));
    assert_eq!(run64(mul64, dmax, dmax, RP), (0x7FF0 << 48, OFC | IXC));
}

#[test]
fn underflow_and_flush() {
    let min_norm = 0x0080_0000u32;
    let half = 0x3F00_0000u32;
    // Exact denormal result: no UFC (tiny but exact).
    assert_eq!(run32(mul32, min_norm, half, RN), (0x0040_0000, 0));
    // Inexact denormal result: UFC + IXC.
    assert_eq!(run32(mul32, 0x0080_0001, half, RN), (0x0040_0000, UFC | IXC));
    // Tininess is detected before rounding: rounds up to min normal, still UFC.
    let just_below = 0x3F7F_FFFF; // 1 - 2^-24
    assert_eq!(run32(mul32, min_norm, just_below, RN), (min_norm, UFC | IXC));
    assert_eq!(run32(mul32, min_norm, just_below, RZ), (0x007F_FFFF, UFC | IXC));
    // Flush-to-zero output: UFC, no IXC, signed zero.
    assert_eq!(run32(mul32, min_norm, half, FZ), (0, UFC));
    assert_eq!(run32(mul32, min_norm | 1 << 31, half, FZ), (NZERO32, UFC));
    // Flushed even though it would round to the minimum normal.
    assert_eq!(run32(mul32, min_norm, just_below, FZ), (0, UFC));
    // Flush-to-zero inputs: IDC.
    assert_eq!(run32(add32, DENORM32, ONE32, FZ), (ONE32, IDC));
    assert_eq!(run32(add32, DENORM32, 0x8000_0002, FZ), (0, IDC));
    assert_eq!(run32(add32, 0x8000_0001, 0x8000_0002, FZ), (NZERO32, IDC));
    assert_eq!(run32(add32, 0x8000_0001, 0x0000_0002, FZ | RM), (NZERO32, IDC));
    assert_eq!(run32(mul32, DENORM32, INF32, FZ), (DEFAULT_NAN32, IDC | IOC));
    assert_eq!(run32(add32, DENORM32, QNAN_A, FZ), (QNAN_A, IDC));
    // Without FZ denormals are ordinary operands.
    assert_eq!(run32(add32, DENORM32, DENORM32, RN), (2, 0));
    assert_eq!(run32(sub32, 0x0080_0000, 0x0000_0001, RN), (0x007F_FFFF, 0));
    // FZ with sub giving a tiny result from normal operands.
    assert_eq!(run32(sub32, 0x0080_0001, 0x0080_0000, FZ), (0, UFC));
    let mut s = FZ;
    assert_eq!(sqrt32(DENORM32, &mut s), 0);
    assert_eq!(s & FPSCR_EXC_MASK, IDC);
    let mut s = FZ;
    assert_eq!(sqrt32(0x8000_0001, &mut s), NZERO32);
    assert_eq!(s & FPSCR_EXC_MASK, IDC);
    // Double.
    let dmin = 0x0010_0000_0000_0000u64;
    assert_eq!(run64(mul64, dmin, 0x3FE0_0000_0000_0000, FZ), (0, UFC));
    assert_eq!(run64(mul64, dmin + 1, 0x3FE0_0000_0000_0000, RN), (dmin >> 1, UFC | IXC));
    assert_eq!(run64(add64, 1, 0x3FF0_0000_0000_0000, FZ), (0x3FF0_0000_0000_0000, IDC));
    // Smallest denormal times tiny: rounds to 0 or min denormal per mode.
    assert_eq!(run64(mul64, 1, 0x3C90_0000_0000_0000, RN), (0, UFC | IXC));
    assert_eq!(run64(mul64, 1, 0x3FE0_0000_0000_0001, RN), (1, UFC | IXC));
    assert_eq!(run64(mul64, 1, 0x3FE0_0000_0000_0000, RN), (0, UFC | IXC));
    assert_eq!(run64(mul64, 1, 0x0010_0000_0000_0000, RP), (1, UFC | IXC));
    assert_eq!(run64(mul64, 1 | 1 << 63, 0x0010_0000_0000_0000, RM), (1 | 1 << 63, UFC | IXC));
    assert_eq!(run64(mul64, 1 | 1 << 63, 0x0010_0000_0000_0000, RP), (1 << 63, UFC | IXC));
}

#[test]
fn compare() {
    let c = |a: u32, b: u32, e: bool, fpscr: u32| {
        let mut s = fpscr;
        let r = cmp32(a, b, e, &mut s);
        (r, s & FPSCR_EXC_MASK)
    };
    assert_eq!(c(ONE32, ONE32, false, 0), (NZCV_EQUAL, 0));
    assert_eq!(c(0, NZERO32, false, 0), (NZCV_EQUAL, 0));
    assert_eq!(c(NINF32, ONE32, false, 0), (NZCV_LESS, 0));
    assert_eq!(c(INF32, INF32, false, 0), (NZCV_EQUAL, 0));
    assert_eq!(c(0xBF80_0000, 0xC000_0000, false, 0), (NZCV_GREATER, 0));
    assert_eq!(c(QNAN_A, ONE32, false, 0), (NZCV_UNORDERED, 0));
    assert_eq!(c(QNAN_A, ONE32, true, 0), (NZCV_UNORDERED, IOC));
    assert_eq!(c(ONE32, SNAN_B, false, 0), (NZCV_UNORDERED, IOC));
    assert_eq!(c(DENORM32, 0, false, 0), (NZCV_GREATER, 0));
    assert_eq!(c(DENORM32, 0, false, FZ), (NZCV_EQUAL, IDC));
    assert_eq!(c(0x8000_0005, 0x0000_0003, false, FZ), (NZCV_EQUAL, IDC));
    assert_eq!(c(0x8000_0005, 0x0000_0003, false, 0), (NZCV_LESS, 0));
    let mut s = 0;
    assert_eq!(cmp64(0x8000_0000_0000_0001, 0, false, &mut s), NZCV_LESS);
    assert_eq!(cmp64(0x7FF0_0000_0000_0001, 0, false, &mut s), NZCV_UNORDERED);
    assert_eq!(s, IOC);
}

#[test]
fn float_to_int() {
    let t = |a: u32, signed: bool, rz: bool, fpscr: u32| {
        let mut s = fpscr;
        let r = f32_to_int(a, signed, rz, &mut s);
        (r, s & FPSCR_EXC_MASK)
    };
    let f = |x: f32| x.to_bits();
    assert_eq!(t(f(1.5), true, true, RN), (1, IXC));
    assert_eq!(t(f(1.5), true, false, RN), (2, IXC));
    assert_eq!(t(f(2.5), true, false, RN), (2, IXC));
    assert_eq!(t(f(-2.5), true, false, RN), (-2i32 as u32, IXC));
    assert_eq!(t(f(-2.5), true, false, RM), (-3i32 as u32, IXC));
    assert_eq!(t(f(-2.5), true, false, RP), (-2i32 as u32, IXC));
    assert_eq!(t(f(2.25), true, false, RP), (3, IXC));
    assert_eq!(t(f(-0.3), false, true, RN), (0, IXC));
    assert_eq!(t(f(-0.7), false, false, RN), (0, IOC));
    assert_eq!(t(f(-0.3), false, false, RM), (0, IOC));
    assert_eq!(t(f(-1.0), false, true, RN), (0, IOC));
    assert_eq!(t(f(3e9), true, true, RN), (0x7FFF_FFFF, IOC));
    assert_eq!(t(f(3e9), false, true, RN), (3_000_000_000, 0));
    assert_eq!(t(f(-3e9), true, true, RN), (0x8000_0000, IOC));
    assert_eq!(t(f(-2147483648.0), true, true, RN), (0x8000_0000, 0));
    assert_eq!(t(f(4294967296.0), false, true, RN), (0xFFFF_FFFF, IOC));
    assert_eq!(t(INF32, false, true, RN), (0xFFFF_FFFF, IOC));
    assert_eq!(t(NINF32, true, true, RN), (0x8000_0000, IOC));
    assert_eq!(t(QNAN_B, true, true, RN), (0, IOC));
    assert_eq!(t(SNAN_A, false, false, RN), (0, IOC));
    assert_eq!(t(DENORM32, true, false, RP), (1, IXC));
    assert_eq!(t(DENORM32, true, false, RP | FZ), (0, IDC));
    assert_eq!(t(0x3F00_0000, true, false, RN), (0, IXC)); // 0.5 -> 0 (even)
    assert_eq!(t(0x3F00_0001, true, false, RN), (1, IXC));
    assert_eq!(t(0x3FC0_0000, true, false, RN), (2, IXC)); // 1.5 -> 2
    let mut s = RN;
    assert_eq!(f64_to_int(0x41DF_FFFF_FFE0_0000, true, false, &mut s), 0x7FFF_FFFF); // 2^31-0.5 -> 2^31 overflow
    assert_eq!(s, RN | IOC);
    let mut s = RN;
    assert_eq!(f64_to_int(0x41DF_FFFF_FFC0_0000, true, false, &mut s), 0x7FFF_FFFF); // 2^31-1 exactly
    assert_eq!(s, RN);
    let mut s = RZ;
    assert_eq!(f64_to_int(0xC1E0_0000_0010_0000, true, false, &mut s), 0x8000_0000); // -2^31 - tiny, RZ
    assert_eq!(s, RZ | IXC);
}

#[test]
fn int_to_float_rounding() {
    let t = |a: u32, signed: bool, fpscr: u32| {
        let mut s = fpscr;
        let r = int_to_f32(a, signed, &mut s);
        (r, s & FPSCR_EXC_MASK)
    };
    assert_eq!(t(0, true, RN), (0, 0));
    assert_eq!(t(0x8000_0000, true, RN), (0xCF00_0000, 0));
    assert_eq!(t(0xFFFF_FFFF, false, RN), (0x4F80_0000, IXC));
    assert_eq!(t(0xFFFF_FFFF, false, RZ), (0x4F7F_FFFF, IXC));
    assert_eq!(t(0x0100_0001, false, RP), (0x4B80_0001, IXC));
    assert_eq!(t(0x0100_0001, false, RN), (0x4B80_0000, IXC));
    assert_eq!(t(-0x0100_0001i32 as u32, true, RM), (0xCB80_0001, IXC));
    assert_eq!(t(-0x0100_0001i32 as u32, true, RP), (0xCB80_0000, IXC));
    let mut s = RM;
    assert_eq!(int_to_f64(0xFFFF_FFFF, true, &mut s), (-1.0f64).to_bits());
    assert_eq!(s, RM);
}

#[test]
fn fixed_point() {
    let mut s = 0;
    // f -> fixed, round towards zero.
    assert_eq!(f32_to_fixed(1.75f32.to_bits(), 16, 1, true, &mut s), 3);
    assert_eq!(s, IXC);
    let mut s = 0;
    assert_eq!(f32_to_fixed((-1.75f32).to_bits(), 16, 1, true, &mut s), -3i32 as u32); // sign-extended
    assert_eq!(s, IXC);
    let mut s = 0;
    assert_eq!(f32_to_fixed(1000.0f32.to_bits(), 16, 8, true, &mut s), 0x7FFF);
    assert_eq!(s, IOC);
    let mut s = 0;
    assert_eq!(f32_to_fixed((-1000.0f32).to_bits(), 16, 8, true, &mut s), 0xFFFF_8000);
    assert_eq!(s, IOC);
    let mut s = 0;
    assert_eq!(f32_to_fixed(255.5f32.to_bits(), 16, 8, false, &mut s), 0xFF80);
    assert_eq!(s, 0);
    let mut s = 0;
    assert_eq!(f32_to_fixed(0.999f32.to_bits(), 32, 32, false, &mut s), (0.999f32 as f64 * 4294967296.0) as u32);
    let mut s = 0;
    assert_eq!(f64_to_fixed(0.5f64.to_bits(), 32, 32, true, &mut s), 0x7FFF_FFFF);
    assert_eq!(s, IOC);
    let mut s = 0;
    assert_eq!(f64_to_fixed((-0.5f64).to_bits(), 32, 32, true, &mut s), 0x8000_0000);
    assert_eq!(s, 0);
    // Ignores RMode (always towards zero).
    let mut s = RP;
    assert_eq!(f32_to_fixed(1.1f32.to_bits(), 32, 0, true, &mut s), 1);
    // fixed -> f: operand is the low `size` bits.
    let mut s = 0;
    assert_eq!(fixed_to_f32(0xDEAD_FFFF, 16, 0, true, &mut s), (-1.0f32).to_bits());
    assert_eq!(fixed_to_f32(0xDEAD_FFFF, 16, 4, false, &mut s), (65535.0f32 / 16.0).to_bits());
    assert_eq!(fixed_to_f64(0x8000_0000, 32, 32, true, &mut s), (-0.5f64).to_bits());
    assert_eq!(fixed_to_f64(0x8000_0000, 32, 32, false, &mut s), 0.5f64.to_bits());
    assert_eq!(s, 0);
    // Always round to nearest, whatever FPSCR.RMode says.
    for mode in [RN, RP, RM, RZ] {
        let mut s = mode;
        assert_eq!(fixed_to_f32(0xFFFF_FFFF, 32, 0, false, &mut s), 0x4F80_0000);
        assert_eq!(s, mode | IXC);
        let mut s = mode;
        assert_eq!(fixed_to_f32(0x0100_0003, 32, 1, true, &mut s), 0x4B00_0002);
    }
}

#[test]
fn single_double_conversion() {
    let mut s = 0;
    assert_eq!(f32_to_f64(SNAN_B, &mut s), 0xFFF8_0000_0000_0000 | (0x567u64 << 29));
    assert_eq!(s, IOC);
    let mut s = DN;
    assert_eq!(f32_to_f64(QNAN_A, &mut s), DEFAULT_NAN64);
    assert_eq!(s, DN);
    let mut s = 0;
    assert_eq!(f64_to_f32(0x7FF0_0000_2000_0001, &mut s), 0x7FC0_0001);
    assert_eq!(s, IOC);
    let mut s = FZ;
    assert_eq!(f32_to_f64(0x8000_0001, &mut s), 1 << 63);
    assert_eq!(s, FZ | IDC);
    let mut s = 0;
    assert_eq!(f32_to_f64(0x8000_0001, &mut s), (-f32::from_bits(1) as f64).to_bits());
    assert_eq!(s, 0);
    // f64 -> f32 rounding & flush.
    let mut s = FZ;
    assert_eq!(f64_to_f32(0x3800_0000_0000_0000, &mut s), 0); // 2^-127
    assert_eq!(s, FZ | UFC);
    let mut s = 0;
    assert_eq!(f64_to_f32(0x3800_0000_0000_0000, &mut s), 0x0040_0000);
    assert_eq!(s, 0);
    let mut s = RZ;
    assert_eq!(f64_to_f32(0x47F0_0000_0000_0000, &mut s), 0x7F7F_FFFF);
    assert_eq!(s, RZ | OFC | IXC);
    let mut s = RP;
    assert_eq!(f64_to_f32(0x3FF0_0000_0000_0001, &mut s), 0x3F80_0001);
    assert_eq!(s, RP | IXC);
}

fn h2f(h: u16, fpscr: u32) -> (u32, u32) {
    let mut s = fpscr;
    let r = f16_to_f32(h, &mut s);
    (r, s & FPSCR_EXC_MASK)
}
fn f2h(f: u32, fpscr: u32) -> (u16, u32) {
    let mut s = fpscr;
    let r = f32_to_f16(f, &mut s);
    (r, s & FPSCR_EXC_MASK)
}

#[test]
fn half_precision() {
    assert_eq!(h2f(0x3C00, 0), (ONE32, 0));
    assert_eq!(h2f(0xC000, 0), (0xC000_0000, 0));
    assert_eq!(h2f(0x7BFF, 0), (65504.0f32.to_bits(), 0));
    assert_eq!(h2f(0x0001, FZ), ((2.0f32).powi(-24).to_bits(), 0)); // never flushed
    assert_eq!(h2f(0x83FF, 0), ((-1023.0f32 * 2.0f32.powi(-24)).to_bits(), 0));
    assert_eq!(h2f(0x7C00, 0), (INF32, 0));
    assert_eq!(h2f(0xFE01, 0), (0xFFC0_2000, 0));
    assert_eq!(h2f(0x7C01, 0), (0x7FC0_2000, IOC));
    assert_eq!(h2f(0x7C01, DN), (DEFAULT_NAN32, IOC));
    assert_eq!(h2f(0x7C00, AHP), (65536.0f32.to_bits(), 0));
    assert_eq!(h2f(0xFFFF, AHP), ((-131008.0f32).to_bits(), 0));
    assert_eq!(h2f(0x8000, 0), (NZERO32, 0));

    assert_eq!(f2h(ONE32, 0), (0x3C00, 0));
    assert_eq!(f2h(65504.0f32.to_bits(), 0), (0x7BFF, 0));
    assert_eq!(f2h(65519.0f32.to_bits(), 0), (0x7BFF, IXC));
    assert_eq!(f2h(65520.0f32.to_bits(), 0), (0x7C00, OFC | IXC));
    assert_eq!(f2h(65520.0f32.to_bits(), RZ), (0x7BFF, IXC)); // truncation: no overflow
    assert_eq!(f2h(65536.0f32.to_bits(), RZ), (0x7BFF, OFC | IXC));
    assert_eq!(f2h(1e6f32.to_bits(), AHP), (0x7FFF, IOC));
    assert_eq!(f2h(131008.0f32.to_bits(), AHP), (0x7FFF, 0));
    assert_eq!(f2h(131071.0f32.to_bits(), AHP | RZ), (0x7FFF, IXC));
    assert_eq!(f2h(131072.0f32.to_bits(), AHP), (0x7FFF, IOC));
    assert_eq!(f2h(65536.0f32.to_bits(), AHP), (0x7C00, 0));
    assert_eq!(f2h(INF32, 0), (0x7C00, 0));
    assert_eq!(f2h(NINF32, AHP), (0xFFFF, IOC));
    assert_eq!(f2h(QNAN_B, 0), (0xFE00 | ((QNAN_B >> 13) & 0x1FF) as u16, 0));
    assert_eq!(f2h(SNAN_A, 0), (0x7E00 | ((SNAN_A >> 13) & 0x1FF) as u16, IOC));
    assert_eq!(f2h(QNAN_B, DN), (DEFAULT_NAN16, 0));
    assert_eq!(f2h(QNAN_B, AHP | DN), (0x8000, IOC));
    // Denormal results are not flushed (FZ only affects the single input).
    assert_eq!(f2h(2.0f32.powi(-24).to_bits(), FZ), (0x0001, 0));
    assert_eq!(f2h(2.0f32.powi(-25).to_bits(), 0), (0x0000, UFC | IXC));
    assert_eq!(f2h(2.0f32.powi(-25).to_bits(), RP), (0x0001, UFC | IXC));
    assert_eq!(f2h(0x3380_0001, 0), (0x0001, UFC | IXC)); // just above 2^-25
    assert_eq!(f2h(DENORM32, FZ), (0, IDC));
    assert_eq!(f2h(DENORM32, 0), (0, UFC | IXC));
    assert_eq!(f2h(0x8000_0001, RM), (0x8001, UFC | IXC));
    // Round trip of every half value (IEEE and AHP).
    for h in 0..=0xFFFFu16 {
        let exp = (h >> 10) & 0x1F;
        let (f, _) = h2f(h, 0);
        if exp != 0x1F {
            assert_eq!(f2h(f, 0), (h, 0), "{h:#x}");
        }
        let (f, fl) = h2f(h, AHP);
        assert_eq!(fl, 0);
        assert_eq!(f2h(f, AHP), (h, 0), "ahp {h:#x}");
    }
}

#[test]
fn sqrt_exhaustive_small_range() {
    // sqrt of every f32 in a few binades against the host (RN).
    let mut s = 0;
    for a in (0x3F00_0000u32..0x4080_0000).step_by(7).chain(0..0x0100_0000u32.min(iters(0x0100_0000) as u32)) {
        let got = sqrt32(a, &mut s);
        assert_eq!(got, f32::from_bits(a).sqrt().to_bits(), "sqrt {a:#x}");
    }
}

#[test]
fn sqrt_directed_modes() {
    let mut r = Rng(5);
    for _ in 0..iters(100_000) {
        let a = r.v64(None) & !(1 << 63);
        if a >= 0x7FF0_0000_0000_0000 || a == 0 {
            continue;
        }
        let mut s = RN;
        let rn = sqrt64(a, &mut s);
        let inexact = s & IXC != 0;
        // Square the RN result exactly via muladd: rn*rn - a has the sign of
        // (rn - sqrt(a)).
        let mut t = RN;
        let diff = muladd64(a | 1 << 63, rn, rn, &mut t);
        // When inexact the exact difference is non-zero, and its sign
        // survives rounding (even to a signed zero).
        let above = inexact && diff >> 63 == 0;
        if !inexact {
            assert_eq!(diff & !(1 << 63), 0, "{a:#x}");
        }
        let (up, down) = if !inexact {
            (rn, rn)
        } else if above {
            (rn, rn - 1)
        } else {
            (rn + 1, rn)
        };
        for (mode, want) in [(RP, up), (RM, down), (RZ, down)] {
            let mut s = mode;
            assert_eq!(sqrt64(a, &mut s), want, "{a:#x}");
        }
    }
}

#[test]
fn non_fused_multiply_accumulate() {
    let run = |f: fn(u32, u32, u32, &mut u32) -> u32, d: u32, n: u32, m: u32, fpscr: u32| {
        let mut s = fpscr;
        let r = f(d, n, m, &mut s);
        (r, s & FPSCR_EXC_MASK)
    };
    // VMLS is FPAdd(d, FPNeg(product)): a NaN product has its sign flipped
    // (found by the qemu oracle when VMLS was written as FPSub).
    assert_eq!(run(vmls32, 0x000D_A9C3, 0xBF80_0040, 0x7F80_07FF, FZ | RP), (0xFFC0_07FF, IOC | IDC));
    assert_eq!(run(vmls32, 0x6D56_21CB, 0xABFF_FFFF, 0x7F80_0003, RM), (0xFFC0_0003, IOC));
    assert_eq!(run(vmls32, 0x0D80_0008, 0xFF80_0010, 0xAB7F_FFFF, RM), (0x7FC0_0010, IOC));
    // VNMLA negates the accumulator before NaN propagation.
    assert_eq!(run(vnmla32, QNAN_A, ONE32, ONE32, 0), (QNAN_A | 1 << 31, 0));
    assert_eq!(run(vnmls32, QNAN_B, ONE32, ONE32, 0), (QNAN_B & !(1 << 31), 0));
    // The product NaN is quiet by the time FPAdd sees it, so the accumulator wins.
    assert_eq!(run(vmla32, QNAN_B, SNAN_A, ONE32, 0), (QNAN_B, IOC));
    // VNMUL negates even the default NaN.
    let mut s = 0;
    assert_eq!(vnmul32(INF32, 0, &mut s), DEFAULT_NAN32 | 1 << 31);
    assert_eq!(s, IOC);
    let mut s = 0;
    assert_eq!(vnmul64(0x4000_0000_0000_0000, 0x4000_0000_0000_0000, &mut s), 0xC010_0000_0000_0000);
    // Two roundings, unlike VFMA: (1 + 2^-23) * (1 - 2^-23) - 1.
    let (a, b) = (0x3F80_0001, 0x3F7F_FFFE);
    assert_eq!(run(vmla32, 0xBF80_0000, a, b, 0), (0, IXC));
    assert_eq!(run(muladd32, 0xBF80_0000, a, b, 0), (0xA880_0000, 0)); // -2^-46 exactly
    // Random RN check against the host (non-fused).
    let mut r = Rng(4242);
    for _ in 0..iters(50_000) {
        let (d, n, m) = (r.v64(None), r.v64(None), r.v64(None));
        let mut s = RN;
        let got = vmla64(d, n, m, &mut s);
        let want = f64::from_bits(d) + f64::from_bits(n) * f64::from_bits(m);
        if !want.is_nan() {
            assert_eq!(got, want.to_bits());
        }
    }
}

fn soft_add64(a: u64, b: u64, f: &mut u32) -> u64 {
    addsub(a, b, false, D, f)
}
fn soft_sub64(a: u64, b: u64, f: &mut u32) -> u64 {
    addsub(a, b, true, D, f)
}
fn soft_mul64(a: u64, b: u64, f: &mut u32) -> u64 {
    mul(a, b, D, f)
}

/// `add64`, `sub64` and `mul64` take the host's arithmetic where it must agree with
/// the software path: they give its result and its flags, in every mode.
#[test]
fn host_fast_paths_match_the_software_path() {
    type F = fn(u64, u64, &mut u32) -> u64;
    let ops: [(&str, F, F); 3] = [("add", add64, soft_add64), ("sub", sub64, soft_sub64), ("mul", mul64, soft_mul64)];
    let mut r = Rng(0x5EED_FA57_0000_0001);
    let mut fast = 0u64;
    for i in 0..iters(200_000) {
        let a = r.v64(None);
        let b = r.v64(if i & 1 == 0 { Some(a) } else { None });
        for mode in [RN, RN | FZ, RN | DN, RN | FZ | DN, RP, RM, RZ] {
            for (name, ours, soft) in ops {
                let (mut f1, mut f2) = (mode, mode);
                let (x, y) = (ours(a, b, &mut f1), soft(a, b, &mut f2));
                assert_eq!((x, f1), (y, f2), "{name}({a:#018x}, {b:#018x}) fpscr {mode:#x}");
            }
        }
        fast += host_add64(a, b, RN).is_some() as u64 + host_mul64(a, b, RN).is_some() as u64;
    }
    // The cases above reach the fast paths, not only the fallback.
    assert!(fast > iters(200_000) as u64 / 4, "{fast} fast-path results");
}
