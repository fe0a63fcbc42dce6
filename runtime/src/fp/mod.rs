//! Bit-exact software implementation of the ARMv7 VFP floating-point
//! arithmetic (ARM DDI 0406C, A2.7 "Floating-point data types and arithmetic"
//! and the VFP instruction pseudocode).
//!
//! Everything is computed with integer arithmetic; host floating point is
//! never used, so the results do not depend on the host's rounding mode or
//! tininess detection.  Values are passed as raw bit patterns.
//!
//! Every function takes the guest FPSCR by `&mut u32`: the control bits
//! (RMode, FZ, DN, AHP) are read from it and the cumulative exception bits
//! (IOC, DZC, OFC, UFC, IXC, IDC) are OR-ed into it.  Exception trapping is
//! not supported (Cortex-A15 implements no trap-enable bits; FPSCR[15,12:8]
//! are RAZ/WI there), so `FPSCR.UFE` is ignored by `FPRound`; the caller
//! should keep those bits clear.
//!
//! Mapping from the Arm ARM pseudocode:
//!
//! | function                         | pseudocode                                     |
//! |----------------------------------|------------------------------------------------|
//! | `add*`, `sub*`, `mul*`, `div*`   | `FPAdd`, `FPSub`, `FPMul`, `FPDiv`             |
//! | `sqrt*`                          | `FPSqrt`                                       |
//! | `muladd*`                        | `FPMulAdd` (VFPv4 fused VFMA/VFMS/VFNMA/VFNMS) |
//! | `cmp*`                           | `FPCompare` (VCMP / VCMPE)                     |
//! | `f32_to_f64`, `f64_to_f32`       | `FPSingleToDouble`, `FPDoubleToSingle`         |
//! | `f16_to_f32`, `f32_to_f16`       | `FPHalfToSingle`, `FPSingleToHalf` (VCVTB/T)   |
//! | `f*_to_int`, `f*_to_fixed`       | `FPToFixed`                                    |
//! | `int_to_f*`, `fixed_to_f*`       | `FixedToFP`                                    |
//!
//! The non-fused multiply-accumulates are provided as `vmla*`, `vmls*`,
//! `vnmla*`, `vnmls*`, `vnmul*`: they are `FPMul` then `FPAdd` with `FPNeg`
//! applied exactly where the pseudocode applies it (note that VMLS is
//! `FPAdd(d, FPNeg(product))`, not `FPSub(d, product)`: the two differ in the
//! sign of a propagated NaN).  VNEG/VABS/VMOV are pure bit operations
//! (`FPNeg`/`FPAbs` never process NaNs) and are left to the translator.

#![forbid(unsafe_code)]

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------
// FPSCR bits
// ---------------------------------------------------------------------------

/// Invalid Operation cumulative exception bit.
pub const FPSCR_IOC: u32 = 1 << 0;
/// Division by Zero cumulative exception bit.
pub const FPSCR_DZC: u32 = 1 << 1;
/// Overflow cumulative exception bit.
pub const FPSCR_OFC: u32 = 1 << 2;
/// Underflow cumulative exception bit.
pub const FPSCR_UFC: u32 = 1 << 3;
/// Inexact cumulative exception bit.
pub const FPSCR_IXC: u32 = 1 << 4;
/// Input Denormal cumulative exception bit.
pub const FPSCR_IDC: u32 = 1 << 7;
/// All cumulative exception bits.
pub const FPSCR_EXC_MASK: u32 =
    FPSCR_IOC | FPSCR_DZC | FPSCR_OFC | FPSCR_UFC | FPSCR_IXC | FPSCR_IDC;
/// Shift of the 2-bit rounding mode field.
pub const FPSCR_RMODE_SHIFT: u32 = 22;
/// Mask of the rounding mode field.
pub const FPSCR_RMODE_MASK: u32 = 3 << FPSCR_RMODE_SHIFT;
/// Flush-to-zero.
pub const FPSCR_FZ: u32 = 1 << 24;
/// Default NaN.
pub const FPSCR_DN: u32 = 1 << 25;
/// Alternative half-precision.
pub const FPSCR_AHP: u32 = 1 << 26;

/// Rounding modes (value of FPSCR.RMode).
pub const RMODE_RN: u32 = 0;
/// Round towards plus infinity.
pub const RMODE_RP: u32 = 1;
/// Round towards minus infinity.
pub const RMODE_RM: u32 = 2;
/// Round towards zero.
pub const RMODE_RZ: u32 = 3;

/// NZCV results of [`cmp32`]/[`cmp64`] (already in bits 31..28).
pub const NZCV_EQUAL: u32 = 0b0110 << 28;
/// `a < b`.
pub const NZCV_LESS: u32 = 0b1000 << 28;
/// `a > b`.
pub const NZCV_GREATER: u32 = 0b0010 << 28;
/// Unordered (at least one NaN).
pub const NZCV_UNORDERED: u32 = 0b0011 << 28;

/// `FPDefaultNaN(16)`.
pub const DEFAULT_NAN16: u16 = 0x7E00;
/// `FPDefaultNaN(32)`.
pub const DEFAULT_NAN32: u32 = 0x7FC0_0000;
/// `FPDefaultNaN(64)`.
pub const DEFAULT_NAN64: u64 = 0x7FF8_0000_0000_0000;

// ---------------------------------------------------------------------------
// Formats and unpacked values
// ---------------------------------------------------------------------------

/// An IEEE binary format: `e` exponent bits, `f` fraction bits.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fmt {
    e: u32,
    f: u32,
}

const H: Fmt = Fmt { e: 5, f: 10 };
const S: Fmt = Fmt { e: 8, f: 23 };
const D: Fmt = Fmt { e: 11, f: 52 };

impl Fmt {
    #[inline(always)]
    const fn bias(self) -> i32 {
        (1 << (self.e - 1)) - 1
    }
    /// Minimum normal exponent (`minimum_exp` in `FPRound`).
    #[inline(always)]
    const fn min_exp(self) -> i32 {
        1 - self.bias()
    }
    #[inline(always)]
    const fn exp_ones(self) -> u64 {
        (1 << self.e) - 1
    }
    #[inline(always)]
    const fn frac_mask(self) -> u64 {
        (1 << self.f) - 1
    }
    #[inline(always)]
    const fn sign_bit(self) -> u64 {
        1 << (self.e + self.f)
    }
    #[inline(always)]
    const fn quiet_bit(self) -> u64 {
        1 << (self.f - 1)
    }
    #[inline(always)]
    const fn inf(self) -> u64 {
        self.exp_ones() << self.f
    }
    #[inline(always)]
    const fn default_nan(self) -> u64 {
        self.inf() | self.quiet_bit()
    }
    #[inline(always)]
    const fn max_normal(self) -> u64 {
        ((self.exp_ones() - 1) << self.f) | self.frac_mask()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Zero,
    /// Non-zero finite value `sig / 2^63 * 2^exp` with `sig` bit 63 set.
    Finite,
    Inf,
    QNaN,
    SNaN,
}

#[derive(Clone, Copy, Debug)]
struct Unp {
    kind: Kind,
    sign: bool,
    /// Exponent of the leading one (unbiased, unbounded).  Finite only.
    exp: i32,
    /// Significand normalised so that bit 63 is set.  Finite only.
    sig: u64,
}

impl Unp {
    #[inline(always)]
    fn is_nan(&self) -> bool {
        matches!(self.kind, Kind::QNaN | Kind::SNaN)
    }
}

/// Decoded control bits of the FPSCR.
#[derive(Clone, Copy)]
struct Ctl {
    rmode: u32,
    fz: bool,
    dn: bool,
    ahp: bool,
}

#[inline(always)]
fn ctl(fpscr: u32) -> Ctl {
    Ctl {
        rmode: (fpscr >> FPSCR_RMODE_SHIFT) & 3,
        fz: fpscr & FPSCR_FZ != 0,
        dn: fpscr & FPSCR_DN != 0,
        ahp: fpscr & FPSCR_AHP != 0,
    }
}

/// `FPUnpack`.  `fz` selects flushing of denormal inputs (which raises IDC).
#[inline(always)]
fn unpack(bits: u64, fmt: Fmt, fz: bool, fpscr: &mut u32) -> Unp {
    let sign = bits & fmt.sign_bit() != 0;
    let ef = (bits >> fmt.f) & fmt.exp_ones();
    let frac = bits & fmt.frac_mask();
    let mut u = Unp { kind: Kind::Zero, sign, exp: 0, sig: 0 };
    if ef == 0 {
        if frac != 0 {
            if fz {
                *fpscr |= FPSCR_IDC;
            } else {
                let lz = frac.leading_zeros();
                u.kind = Kind::Finite;
                u.sig = frac << lz;
                u.exp = fmt.min_exp() - fmt.f as i32 + 63 - lz as i32;
            }
        }
    } else if ef == fmt.exp_ones() {
        u.kind = if frac == 0 {
            Kind::Inf
        } else if frac & fmt.quiet_bit() != 0 {
            Kind::QNaN
        } else {
            Kind::SNaN
        };
    } else {
        u.kind = Kind::Finite;
        u.sig = ((1 << fmt.f) | frac) << (63 - fmt.f);
        u.exp = ef as i32 - fmt.bias();
    }
    u
}

/// `FPProcessNaN`.
#[inline(always)]
fn process_nan(kind: Kind, bits: u64, fmt: Fmt, c: Ctl, fpscr: &mut u32) -> u64 {
    let mut r = bits;
    if kind == Kind::SNaN {
        r |= fmt.quiet_bit();
        *fpscr |= FPSCR_IOC;
    }
    if c.dn {
        r = fmt.default_nan();
    }
    r
}

/// `FPProcessNaNs`.
#[inline(always)]
fn process_nans(
    a: &Unp,
    b: &Unp,
    abits: u64,
    bbits: u64,
    fmt: Fmt,
    c: Ctl,
    fpscr: &mut u32,
) -> Option<u64> {
    if a.kind == Kind::SNaN {
        Some(process_nan(a.kind, abits, fmt, c, fpscr))
    } else if b.kind == Kind::SNaN {
        Some(process_nan(b.kind, bbits, fmt, c, fpscr))
    } else if a.kind == Kind::QNaN {
        Some(process_nan(a.kind, abits, fmt, c, fpscr))
    } else if b.kind == Kind::QNaN {
        Some(process_nan(b.kind, bbits, fmt, c, fpscr))
    } else {
        None
    }
}

/// `FPProcessNaNs3` (operand order: addend, op1, op2).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn process_nans3(
    a: &Unp,
    b: &Unp,
    d: &Unp,
    abits: u64,
    bbits: u64,
    dbits: u64,
    fmt: Fmt,
    c: Ctl,
    fpscr: &mut u32,
) -> Option<u64> {
    for (u, bits) in [(a, abits), (b, bbits), (d, dbits)] {
        if u.kind == Kind::SNaN {
            return Some(process_nan(u.kind, bits, fmt, c, fpscr));
        }
    }
    for (u, bits) in [(a, abits), (b, bbits), (d, dbits)] {
        if u.kind == Kind::QNaN {
            return Some(process_nan(u.kind, bits, fmt, c, fpscr));
        }
    }
    None
}

#[inline(always)]
fn zero(sign: bool, fmt: Fmt) -> u64 {
    if sign {
        fmt.sign_bit()
    } else {
        0
    }
}

#[inline(always)]
fn infinity(sign: bool, fmt: Fmt) -> u64 {
    zero(sign, fmt) | fmt.inf()
}

#[inline(always)]
fn invalid(fmt: Fmt, fpscr: &mut u32) -> u64 {
    *fpscr |= FPSCR_IOC;
    fmt.default_nan()
}

/// Sign of an exact zero sum: `-0` only when rounding towards minus infinity.
#[inline(always)]
fn exact_zero_sum(c: Ctl, fmt: Fmt) -> u64 {
    zero(c.rmode == RMODE_RM, fmt)
}

/// Splits `sig` into the integer part `sig >> k` and a rounding-error
/// descriptor `(rem, half)`: the discarded fraction is `rem / (2 * half)`
/// (only its comparison with one half and with zero matters).
#[inline(always)]
fn split(sig: u64, k: u32) -> (u64, u64, u64) {
    if k == 0 {
        (sig, 0, 1)
    } else if k < 64 {
        (sig >> k, sig & ((1u64 << k) - 1), 1u64 << (k - 1))
    } else if k == 64 {
        // int part 0; error = sig / 2^64, half = 2^63.
        (0, sig, 1u64 << 63)
    } else {
        // error < 1/2 and non-zero (when sig != 0).
        (0, (sig != 0) as u64, 2)
    }
}

/// Rounding decision of `FPRound` / `FPToFixed` applied to a magnitude.
#[inline(always)]
fn round_up(rmode: u32, sign: bool, int_mant: u64, rem: u64, half: u64) -> bool {
    match rmode {
        RMODE_RN => rem > half || (rem == half && int_mant & 1 != 0),
        RMODE_RP => rem != 0 && !sign,
        RMODE_RM => rem != 0 && sign,
        _ => false,
    }
}

/// `FPRound` of the non-zero value `(-1)^sign * sig / 2^63 * 2^exp`
/// (`sig` bit 63 set; bit 0 may be a sticky bit as long as at least two
/// bits below the result's LSB are present, which is always the case here).
///
/// `fz` enables output flushing (it must be false for half precision);
/// `ahp` selects alternative half precision (half precision only).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn round_pack(
    sign: bool,
    exp: i32,
    sig: u64,
    fmt: Fmt,
    rmode: u32,
    fz: bool,
    ahp: bool,
    fpscr: &mut u32,
) -> u64 {
    debug_assert!(sig >> 63 == 1);
    let sbit = zero(sign, fmt);
    let min_exp = fmt.min_exp();
    if fz && exp < min_exp {
        // Flush-to-zero: UFC, no IXC.
        *fpscr |= FPSCR_UFC;
        return sbit;
    }
    let (mut biased, mut int_mant, rem, half);
    if exp >= min_exp {
        biased = (exp - min_exp + 1) as i64;
        let k = 63 - fmt.f; // constant: keeps the common path branch-free
        int_mant = sig >> k;
        rem = sig & ((1u64 << k) - 1);
        half = 1u64 << (k - 1);
    } else {
        // Denormal: shifts beyond 65 all mean "tiny, non-zero, < half".
        let extra = (min_exp - exp) as u32;
        biased = 0;
        (int_mant, rem, half) = split(sig, (63 - fmt.f + extra.min(128)).min(65));
        if rem != 0 {
            // Tiny before rounding and inexact.
            *fpscr |= FPSCR_UFC;
        }
    }
    let mut inexact = rem != 0;
    if round_up(rmode, sign, int_mant, rem, half) {
        int_mant += 1;
        if int_mant == 1 << fmt.f {
            biased = 1;
        }
        if int_mant == 1 << (fmt.f + 1) {
            biased += 1;
            int_mant >>= 1;
        }
    }
    let result;
    if !(fmt == H && ahp) {
        if biased >= fmt.exp_ones() as i64 {
            let overflow_to_inf = match rmode {
                RMODE_RN => true,
                RMODE_RP => !sign,
                RMODE_RM => sign,
                _ => false,
            };
            result = sbit | if overflow_to_inf { fmt.inf() } else { fmt.max_normal() };
            *fpscr |= FPSCR_OFC;
            inexact = true;
        } else {
            result = sbit | ((biased as u64) << fmt.f) | (int_mant & fmt.frac_mask());
        }
    } else if biased >= 1 << fmt.e {
        result = sbit | (fmt.sign_bit() - 1);
        *fpscr |= FPSCR_IOC;
        inexact = false;
    } else {
        result = sbit | ((biased as u64) << fmt.f) | (int_mant & fmt.frac_mask());
    }
    if inexact {
        *fpscr |= FPSCR_IXC;
    }
    result
}

/// Right shift with the shifted-out bits OR-ed into bit 0.
#[inline(always)]
fn shr_jam64(x: u64, n: u32) -> u64 {
    if n == 0 {
        x
    } else if n < 64 {
        (x >> n) | ((x << (64 - n) != 0) as u64)
    } else {
        (x != 0) as u64
    }
}

#[inline(always)]
fn shr_jam128(x: u128, n: u32) -> u128 {
    if n == 0 {
        x
    } else if n < 128 {
        (x >> n) | ((x << (128 - n) != 0) as u128)
    } else {
        (x != 0) as u128
    }
}

/// Returns a normalised (bit 63 set) 64-bit significand of the non-zero
/// `x`, with the bits below it folded into a sticky bit, together with the
/// left-shift count applied (may be negative).
#[inline(always)]
fn norm128(x: u128) -> (u64, i32) {
    let lz = x.leading_zeros();
    let y = x << lz;
    let hi = (y >> 64) as u64;
    let lo = y as u64;
    (hi | (lo != 0) as u64, lz as i32)
}

// ---------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------

/// Exact sum of two finite non-zero values, rounded.
#[inline(always)]
fn add_finite(mut x: Unp, mut y: Unp, fmt: Fmt, c: Ctl, fpscr: &mut u32) -> u64 {
    if x.exp < y.exp {
        core::mem::swap(&mut x, &mut y);
    }
    let d = (x.exp - y.exp) as u32;
    // Two bits of headroom; the significands have >= 11 trailing zeros.
    let xs = x.sig >> 2;
    let ys = shr_jam64(y.sig >> 2, d);
    let (sign, v) = if x.sign == y.sign {
        (x.sign, xs + ys)
    } else if xs >= ys {
        (x.sign, xs - ys)
    } else {
        (y.sign, ys - xs)
    };
    if v == 0 {
        return exact_zero_sum(c, fmt);
    }
    let lz = v.leading_zeros();
    round_pack(sign, x.exp + 2 - lz as i32, v << lz, fmt, c.rmode, c.fz, false, fpscr)
}

#[inline(always)]
fn addsub(abits: u64, bbits: u64, sub: bool, fmt: Fmt, fpscr: &mut u32) -> u64 {
    let c = ctl(*fpscr);
    let a = unpack(abits, fmt, c.fz, fpscr);
    let mut b = unpack(bbits, fmt, c.fz, fpscr);
    if let Some(r) = process_nans(&a, &b, abits, bbits, fmt, c, fpscr) {
        return r;
    }
    b.sign ^= sub;
    let (ainf, binf) = (a.kind == Kind::Inf, b.kind == Kind::Inf);
    let (azero, bzero) = (a.kind == Kind::Zero, b.kind == Kind::Zero);
    if ainf && binf && a.sign != b.sign {
        invalid(fmt, fpscr)
    } else if ainf {
        infinity(a.sign, fmt)
    } else if binf {
        infinity(b.sign, fmt)
    } else if azero && bzero {
        if a.sign == b.sign {
            zero(a.sign, fmt)
        } else {
            exact_zero_sum(c, fmt)
        }
    } else if azero {
        // Exact: the other operand (possibly a denormal, which can only
        // survive unpacking when FZ == 0) is returned unchanged.
        (bbits & !fmt.sign_bit()) | zero(b.sign, fmt)
    } else if bzero {
        abits
    } else {
        add_finite(a, b, fmt, c, fpscr)
    }
}

#[inline(always)]
fn mul(abits: u64, bbits: u64, fmt: Fmt, fpscr: &mut u32) -> u64 {
    let c = ctl(*fpscr);
    let a = unpack(abits, fmt, c.fz, fpscr);
    let b = unpack(bbits, fmt, c.fz, fpscr);
    if let Some(r) = process_nans(&a, &b, abits, bbits, fmt, c, fpscr) {
        return r;
    }
    let sign = a.sign != b.sign;
    let (ainf, binf) = (a.kind == Kind::Inf, b.kind == Kind::Inf);
    let (azero, bzero) = (a.kind == Kind::Zero, b.kind == Kind::Zero);
    if (ainf && bzero) || (azero && binf) {
        invalid(fmt, fpscr)
    } else if ainf || binf {
        infinity(sign, fmt)
    } else if azero || bzero {
        zero(sign, fmt)
    } else {
        let p = a.sig as u128 * b.sig as u128; // in [2^126, 2^128)
        let (sig, lz) = norm128(p);
        round_pack(sign, a.exp + b.exp + 1 - lz, sig, fmt, c.rmode, c.fz, false, fpscr)
    }
}

#[inline(always)]
fn div(abits: u64, bbits: u64, fmt: Fmt, fpscr: &mut u32) -> u64 {
    let c = ctl(*fpscr);
    let a = unpack(abits, fmt, c.fz, fpscr);
    let b = unpack(bbits, fmt, c.fz, fpscr);
    if let Some(r) = process_nans(&a, &b, abits, bbits, fmt, c, fpscr) {
        return r;
    }
    let sign = a.sign != b.sign;
    let (ainf, binf) = (a.kind == Kind::Inf, b.kind == Kind::Inf);
    let (azero, bzero) = (a.kind == Kind::Zero, b.kind == Kind::Zero);
    if (ainf && binf) || (azero && bzero) {
        invalid(fmt, fpscr)
    } else if ainf || bzero {
        if !ainf {
            *fpscr |= FPSCR_DZC;
        }
        infinity(sign, fmt)
    } else if azero || binf {
        zero(sign, fmt)
    } else {
        let mut exp = a.exp - b.exp;
        let sig = if fmt.f <= 23 {
            // 24-bit significands: a 64-bit division gives 40 quotient bits.
            let (x, y) = (a.sig >> 40, b.sig >> 40);
            let num = if x >= y {
                x << 39
            } else {
                exp -= 1;
                x << 40
            };
            let q = num / y; // in [2^39, 2^40)
            (q << 24) | ((num % y != 0) as u64)
        } else {
            let (x, y) = (a.sig as u128, b.sig as u128);
            let num = if x >= y {
                x << 63
            } else {
                exp -= 1;
                x << 64
            };
            let q = num / y; // in [2^63, 2^64)
            (q as u64) | ((num % y != 0) as u64)
        };
        round_pack(sign, exp, sig, fmt, c.rmode, c.fz, false, fpscr)
    }
}

/// `floor(sqrt(x))`.
#[inline]
fn isqrt64(x: u64) -> u64 {
    if x == 0 {
        return 0;
    }
    // Newton iteration from above converges monotonically to floor(sqrt).
    let bits = 64 - x.leading_zeros();
    let mut s = 1u64 << bits.div_ceil(2); // >= sqrt(x)
    loop {
        let t = (s + x / s) >> 1;
        if t >= s {
            return s;
        }
        s = t;
    }
}

/// `floor(sqrt(x))` for `x >= 2^126` (result in `[2^63, 2^64)`).
#[inline]
fn isqrt128_big(x: u128) -> u64 {
    // Estimate from the top 64 bits, then Newton steps from above.
    let hi = (x >> 64) as u64;
    let s0 = isqrt64(hi) as u128; // floor(sqrt(hi)) in [2^31, 2^32)
    let mut s: u128 = (s0 + 1) << 32; // > sqrt(x)
    loop {
        let t = (s + x / s) >> 1;
        if t >= s {
            break;
        }
        s = t;
    }
    debug_assert!(s * s <= x && x - s * s <= 2 * s); // s^2 <= x < (s+1)^2
    s as u64
}

#[inline(always)]
fn sqrt(abits: u64, fmt: Fmt, fpscr: &mut u32) -> u64 {
    let c = ctl(*fpscr);
    let a = unpack(abits, fmt, c.fz, fpscr);
    match a.kind {
        Kind::QNaN | Kind::SNaN => process_nan(a.kind, abits, fmt, c, fpscr),
        Kind::Zero => zero(a.sign, fmt),
        Kind::Inf if !a.sign => fmt.inf(),
        _ if a.sign => invalid(fmt, fpscr),
        _ => {
            let exp = a.exp >> 1; // floor(e / 2)
            let sig = if fmt.f <= 23 {
                let m = a.sig >> 40; // 24 bits
                let r = if a.exp & 1 == 0 { m << 39 } else { m << 40 };
                let s = isqrt64(r); // in [2^31, 2^32)
                (s << 32) | ((s * s != r) as u64)
            } else {
                let m = a.sig as u128;
                let r = if a.exp & 1 == 0 { m << 63 } else { m << 64 };
                let s = isqrt128_big(r);
                s | (((s as u128) * (s as u128) != r) as u64)
            };
            round_pack(false, exp, sig, fmt, c.rmode, c.fz, false, fpscr)
        }
    }
}

/// `FPMulAdd(addend, op1, op2)`: `addend + op1 * op2` with a single rounding.
#[inline(always)]
fn muladd(abits: u64, bbits: u64, dbits: u64, fmt: Fmt, fpscr: &mut u32) -> u64 {
    let c = ctl(*fpscr);
    let a = unpack(abits, fmt, c.fz, fpscr);
    let x = unpack(bbits, fmt, c.fz, fpscr);
    let y = unpack(dbits, fmt, c.fz, fpscr);
    let (xinf, yinf) = (x.kind == Kind::Inf, y.kind == Kind::Inf);
    let (xzero, yzero) = (x.kind == Kind::Zero, y.kind == Kind::Zero);
    let inf_times_zero = (xinf && yzero) || (xzero && yinf);
    let nan = process_nans3(&a, &x, &y, abits, bbits, dbits, fmt, c, fpscr);
    if a.kind == Kind::QNaN && inf_times_zero {
        return invalid(fmt, fpscr);
    }
    if let Some(r) = nan {
        return r;
    }
    let ainf = a.kind == Kind::Inf;
    let azero = a.kind == Kind::Zero;
    let psign = x.sign != y.sign;
    let pinf = xinf || yinf;
    let pzero = xzero || yzero;
    if inf_times_zero || (ainf && pinf && a.sign != psign) {
        invalid(fmt, fpscr)
    } else if (ainf && !a.sign) || (pinf && !psign) {
        fmt.inf()
    } else if (ainf && a.sign) || (pinf && psign) {
        infinity(true, fmt)
    } else if azero && pzero {
        if a.sign == psign {
            zero(a.sign, fmt)
        } else {
            exact_zero_sum(c, fmt)
        }
    } else if pzero {
        // addend + 0: exact.
        abits
    } else {
        // Exact product, MSB at bit 127 of a u128 (low 22+ bits are zero).
        let p = x.sig as u128 * y.sig as u128;
        let (p, pexp) = if p >> 127 != 0 {
            (p, x.exp + y.exp + 1)
        } else {
            (p << 1, x.exp + y.exp)
        };
        if azero {
            let (sig, lz) = norm128(p);
            debug_assert!(lz == 0);
            return round_pack(psign, pexp, sig, fmt, c.rmode, c.fz, false, fpscr);
        }
        let q = (a.sig as u128) << 64;
        // Align (two bits of headroom; both values have >= 22 trailing zeros).
        let (hs, he, ls, le, hsign, lsign) = if pexp >= a.exp {
            (p >> 2, pexp, q >> 2, a.exp, psign, a.sign)
        } else {
            (q >> 2, a.exp, p >> 2, pexp, a.sign, psign)
        };
        let ls = shr_jam128(ls, (he - le) as u32);
        let (sign, v) = if hsign == lsign {
            (hsign, hs + ls)
        } else if hs >= ls {
            (hsign, hs - ls)
        } else {
            (lsign, ls - hs)
        };
        if v == 0 {
            return exact_zero_sum(c, fmt);
        }
        let (sig, lz) = norm128(v);
        round_pack(sign, he + 2 - lz, sig, fmt, c.rmode, c.fz, false, fpscr)
    }
}

/// `FPCompare`.
#[inline(always)]
fn cmp(abits: u64, bbits: u64, quiet_nan_exc: bool, fmt: Fmt, fpscr: &mut u32) -> u32 {
    let c = ctl(*fpscr);
    let a = unpack(abits, fmt, c.fz, fpscr);
    let b = unpack(bbits, fmt, c.fz, fpscr);
    if a.is_nan() || b.is_nan() {
        if a.kind == Kind::SNaN || b.kind == Kind::SNaN || quiet_nan_exc {
            *fpscr |= FPSCR_IOC;
        }
        return NZCV_UNORDERED;
    }
    use core::cmp::Ordering;
    let sgn = |u: &Unp| -> i32 {
        if u.kind == Kind::Zero {
            0
        } else if u.sign {
            -1
        } else {
            1
        }
    };
    let mag = |u: &Unp| (u.kind == Kind::Inf, u.exp, u.sig);
    let (sa, sb) = (sgn(&a), sgn(&b));
    let ord = if sa != sb {
        sa.cmp(&sb)
    } else if sa == 0 {
        Ordering::Equal
    } else if sa > 0 {
        mag(&a).cmp(&mag(&b))
    } else {
        mag(&b).cmp(&mag(&a))
    };
    match ord {
        Ordering::Equal => NZCV_EQUAL,
        Ordering::Less => NZCV_LESS,
        Ordering::Greater => NZCV_GREATER,
    }
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

/// `FPToFixed` returning the `size`-bit result extended to 32 bits as the
/// VCVT pseudocode does (sign-extended if signed, zero-extended otherwise).
#[inline(always)]
fn to_fixed(
    bits: u64,
    fmt: Fmt,
    size: u32,
    frac_bits: u32,
    signed: bool,
    rmode: u32,
    fpscr: &mut u32,
) -> u32 {
    debug_assert!((size == 16 || size == 32) && frac_bits <= size);
    let c = ctl(*fpscr);
    let u = unpack(bits, fmt, c.fz, fpscr);
    let (max, min): (i64, i64) = if signed {
        ((1i64 << (size - 1)) - 1, -(1i64 << (size - 1)))
    } else {
        ((1i64 << size) - 1, 0)
    };
    let sat = |neg: bool, fpscr: &mut u32| -> u32 {
        *fpscr |= FPSCR_IOC;
        (if neg { min } else { max }) as u32
    };
    match u.kind {
        Kind::QNaN | Kind::SNaN => {
            *fpscr |= FPSCR_IOC;
            0
        }
        Kind::Zero => 0,
        Kind::Inf => sat(u.sign, fpscr),
        Kind::Finite => {
            let e = u.exp + frac_bits as i32;
            if e >= 34 {
                // |value| >= 2^34: overflows whatever the rounding.
                return sat(u.sign, fpscr);
            }
            let (mut m, rem, half) = split(u.sig, (63 - e) as u32);
            if round_up(rmode, u.sign, m, rem, half) {
                m += 1;
            }
            let v = if u.sign { -(m as i64) } else { m as i64 };
            if v > max {
                sat(false, fpscr)
            } else if v < min {
                sat(true, fpscr)
            } else {
                if rem != 0 {
                    *fpscr |= FPSCR_IXC;
                }
                v as u32
            }
        }
    }
}

/// `FixedToFP` of the `size`-bit fixed-point value in the low bits of `a`.
#[inline(always)]
fn from_fixed(
    a: u32,
    size: u32,
    frac_bits: u32,
    signed: bool,
    fmt: Fmt,
    rmode: u32,
    fpscr: &mut u32,
) -> u64 {
    debug_assert!((size == 16 || size == 32) && frac_bits <= size);
    let c = ctl(*fpscr);
    let v: i64 = match (size, signed) {
        (16, true) => a as u16 as i16 as i64,
        (16, false) => a as u16 as i64,
        (_, true) => a as i32 as i64,
        (_, false) => a as i64,
    };
    if v == 0 {
        return 0; // FPZero('0')
    }
    let mag = v.unsigned_abs();
    let lz = mag.leading_zeros();
    let exp = 63 - lz as i32 - frac_bits as i32;
    round_pack(v < 0, exp, mag << lz, fmt, rmode, c.fz, false, fpscr)
}

/// `FPSingleToDouble` / `FPDoubleToSingle` (FPConvert between S and D).
#[inline(always)]
fn convert(bits: u64, from: Fmt, to: Fmt, fpscr: &mut u32) -> u64 {
    let c = ctl(*fpscr);
    let u = unpack(bits, from, c.fz, fpscr);
    match u.kind {
        Kind::QNaN | Kind::SNaN => {
            if u.kind == Kind::SNaN {
                *fpscr |= FPSCR_IOC;
            }
            if c.dn {
                to.default_nan()
            } else {
                // FPConvertNaN: keep the sign and the top fraction bits.
                let frac = bits & from.frac_mask();
                let frac = if to.f >= from.f {
                    frac << (to.f - from.f)
                } else {
                    frac >> (from.f - to.f)
                };
                zero(u.sign, to) | to.inf() | to.quiet_bit() | frac
            }
        }
        Kind::Inf => infinity(u.sign, to),
        Kind::Zero => zero(u.sign, to),
        Kind::Finite => round_pack(u.sign, u.exp, u.sig, to, c.rmode, c.fz, false, fpscr),
    }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// VADD.F32 (`FPAdd`).
pub fn add32(a: u32, b: u32, fpscr: &mut u32) -> u32 {
    addsub(a as u64, b as u64, false, S, fpscr) as u32
}
/// VSUB.F32 (`FPSub`).
pub fn sub32(a: u32, b: u32, fpscr: &mut u32) -> u32 {
    addsub(a as u64, b as u64, true, S, fpscr) as u32
}
/// VMUL.F32 (`FPMul`).
pub fn mul32(a: u32, b: u32, fpscr: &mut u32) -> u32 {
    mul(a as u64, b as u64, S, fpscr) as u32
}
/// VDIV.F32 (`FPDiv`).
pub fn div32(a: u32, b: u32, fpscr: &mut u32) -> u32 {
    div(a as u64, b as u64, S, fpscr) as u32
}
/// VSQRT.F32 (`FPSqrt`).
pub fn sqrt32(a: u32, fpscr: &mut u32) -> u32 {
    sqrt(a as u64, S, fpscr) as u32
}
/// `FPMulAdd(addend, op1, op2)` = `addend + op1 * op2`, single rounding
/// (VFMA: `muladd32(d, n, m)`; VFMS: `muladd32(d, neg(n), m)`;
/// VFNMA: `muladd32(neg(d), neg(n), m)`; VFNMS: `muladd32(neg(d), n, m)`,
/// where `neg` flips bit 31 — `FPNeg` — before the call).
pub fn muladd32(addend: u32, op1: u32, op2: u32, fpscr: &mut u32) -> u32 {
    muladd(addend as u64, op1 as u64, op2 as u64, S, fpscr) as u32
}

/// VMLA.F32: `FPAdd(d, FPMul(n, m))`.
pub fn vmla32(d: u32, n: u32, m: u32, fpscr: &mut u32) -> u32 {
    let p = mul32(n, m, fpscr);
    add32(d, p, fpscr)
}
/// VMLS.F32: `FPAdd(d, FPNeg(FPMul(n, m)))`.
pub fn vmls32(d: u32, n: u32, m: u32, fpscr: &mut u32) -> u32 {
    let p = mul32(n, m, fpscr);
    add32(d, p ^ 1 << 31, fpscr)
}
/// VNMLA.F32: `FPAdd(FPNeg(d), FPNeg(FPMul(n, m)))`.
pub fn vnmla32(d: u32, n: u32, m: u32, fpscr: &mut u32) -> u32 {
    let p = mul32(n, m, fpscr);
    add32(d ^ 1 << 31, p ^ 1 << 31, fpscr)
}
/// VNMLS.F32: `FPAdd(FPNeg(d), FPMul(n, m))`.
pub fn vnmls32(d: u32, n: u32, m: u32, fpscr: &mut u32) -> u32 {
    let p = mul32(n, m, fpscr);
    add32(d ^ 1 << 31, p, fpscr)
}
/// VNMUL.F32: `FPNeg(FPMul(n, m))` (a NaN result is negated too).
pub fn vnmul32(n: u32, m: u32, fpscr: &mut u32) -> u32 {
    mul32(n, m, fpscr) ^ 1 << 31
}

/// VADD.F64 (`FPAdd`).
pub fn add64(a: u64, b: u64, fpscr: &mut u32) -> u64 {
    if let Some(r) = host_add64(a, b, *fpscr) {
        *fpscr |= r.1;
        return r.0;
    }
    addsub(a, b, false, D, fpscr)
}
/// VSUB.F64 (`FPSub`).
pub fn sub64(a: u64, b: u64, fpscr: &mut u32) -> u64 {
    if let Some(r) = host_add64(a, b ^ 1 << 63, *fpscr) {
        *fpscr |= r.1;
        return r.0;
    }
    addsub(a, b, true, D, fpscr)
}
/// VMUL.F64 (`FPMul`).
pub fn mul64(a: u64, b: u64, fpscr: &mut u32) -> u64 {
    if let Some(r) = host_mul64(a, b, *fpscr) {
        *fpscr |= r.1;
        return r.0;
    }
    mul(a, b, D, fpscr)
}

/// The host's double arithmetic where it must give what [`addsub`] and [`mul`] give:
/// round to nearest, both operands normal, and a result well inside the normal range
/// (so neither flush-to-zero, default NaN, overflow nor underflow, tiny before
/// rounding, can play a part). IEEE 754 then fixes the result bit for bit; the only
/// flag is inexact. Anything else: None, and the software path decides.
fn host_fast_ok(a: u64, b: u64, fpscr: u32) -> bool {
    let normal = |x: u64| {
        let e = (x >> 52) & 0x7ff;
        e != 0 && e != 0x7ff
    };
    (fpscr >> FPSCR_RMODE_SHIFT) & 3 == RMODE_RN && normal(a) && normal(b)
}
/// A result the fast paths keep: finite, and at least 2^-968 in magnitude (the
/// error terms below are then exact, and nothing is near the underflow threshold).
fn host_result_ok(r: f64) -> bool {
    let e = (r.to_bits() >> 52) & 0x7ff;
    (55..0x7ff).contains(&e)
}
/// a + b on the host: (result, IXC if inexact), by the exact error term of the sum.
fn host_add64(a: u64, b: u64, fpscr: u32) -> Option<(u64, u32)> {
    if !host_fast_ok(a, b, fpscr) {
        return None;
    }
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    let s = x + y;
    if !host_result_ok(s) {
        return None;
    }
    // TwoSum: s + err == x + y exactly.
    let yy = s - x;
    let err = (x - (s - yy)) + (y - yy);
    if !err.is_finite() {
        return None;
    }
    Some((s.to_bits(), if err != 0.0 { FPSCR_IXC } else { 0 }))
}
/// a × b on the host: (result, IXC if inexact), by the exact error term of the product.
fn host_mul64(a: u64, b: u64, fpscr: u32) -> Option<(u64, u32)> {
    if !host_fast_ok(a, b, fpscr) {
        return None;
    }
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    let p = x * y;
    if !host_result_ok(p) {
        return None;
    }
    let err = x.mul_add(y, -p);
    Some((p.to_bits(), if err != 0.0 { FPSCR_IXC } else { 0 }))
}
/// VDIV.F64 (`FPDiv`).
pub fn div64(a: u64, b: u64, fpscr: &mut u32) -> u64 {
    div(a, b, D, fpscr)
}
/// VSQRT.F64 (`FPSqrt`).
pub fn sqrt64(a: u64, fpscr: &mut u32) -> u64 {
    sqrt(a, D, fpscr)
}
/// `FPMulAdd(addend, op1, op2)` for doubles; see [`muladd32`].
pub fn muladd64(addend: u64, op1: u64, op2: u64, fpscr: &mut u32) -> u64 {
    muladd(addend, op1, op2, D, fpscr)
}

/// VMLA.F64; see [`vmla32`].
pub fn vmla64(d: u64, n: u64, m: u64, fpscr: &mut u32) -> u64 {
    let p = mul64(n, m, fpscr);
    add64(d, p, fpscr)
}
/// VMLS.F64; see [`vmls32`].
pub fn vmls64(d: u64, n: u64, m: u64, fpscr: &mut u32) -> u64 {
    let p = mul64(n, m, fpscr);
    add64(d, p ^ 1 << 63, fpscr)
}
/// VNMLA.F64; see [`vnmla32`].
pub fn vnmla64(d: u64, n: u64, m: u64, fpscr: &mut u32) -> u64 {
    let p = mul64(n, m, fpscr);
    add64(d ^ 1 << 63, p ^ 1 << 63, fpscr)
}
/// VNMLS.F64; see [`vnmls32`].
pub fn vnmls64(d: u64, n: u64, m: u64, fpscr: &mut u32) -> u64 {
    let p = mul64(n, m, fpscr);
    add64(d ^ 1 << 63, p, fpscr)
}
/// VNMUL.F64; see [`vnmul32`].
pub fn vnmul64(n: u64, m: u64, fpscr: &mut u32) -> u64 {
    mul64(n, m, fpscr) ^ 1 << 63
}

/// VCMP/VCMPE (`FPCompare`): returns NZCV in bits 31..28 (equal 0110,
/// less 1000, greater 0010, unordered 0011), all other bits zero.
/// `quiet_nan_exc` is true for VCMPE (any NaN raises IOC), false for VCMP
/// (only a signalling NaN does).  The "with zero" forms pass `b = 0`.
pub fn cmp32(a: u32, b: u32, quiet_nan_exc: bool, fpscr: &mut u32) -> u32 {
    cmp(a as u64, b as u64, quiet_nan_exc, S, fpscr)
}
/// See [`cmp32`].
pub fn cmp64(a: u64, b: u64, quiet_nan_exc: bool, fpscr: &mut u32) -> u32 {
    cmp(a, b, quiet_nan_exc, D, fpscr)
}

/// VCVT.F64.F32.
pub fn f32_to_f64(a: u32, fpscr: &mut u32) -> u64 {
    convert(a as u64, S, D, fpscr)
}
/// VCVT.F32.F64.
pub fn f64_to_f32(a: u64, fpscr: &mut u32) -> u32 {
    convert(a, D, S, fpscr) as u32
}

/// VCVT{R}.{S32,U32}.F32: float -> 32-bit integer.  `round_zero` = VCVT
/// (round towards zero), false = VCVTR (FPSCR rounding mode).  Saturates
/// and raises IOC on overflow or NaN (NaN -> 0); IXC when inexact.
pub fn f32_to_int(a: u32, signed: bool, round_zero: bool, fpscr: &mut u32) -> u32 {
    let rmode = if round_zero { RMODE_RZ } else { ctl(*fpscr).rmode };
    to_fixed(a as u64, S, 32, 0, signed, rmode, fpscr)
}
/// VCVT{R}.{S32,U32}.F64; see [`f32_to_int`].
pub fn f64_to_int(a: u64, signed: bool, round_zero: bool, fpscr: &mut u32) -> u32 {
    let rmode = if round_zero { RMODE_RZ } else { ctl(*fpscr).rmode };
    to_fixed(a, D, 32, 0, signed, rmode, fpscr)
}
/// VCVT.F32.{S32,U32} (FPSCR rounding mode).
pub fn int_to_f32(a: u32, signed: bool, fpscr: &mut u32) -> u32 {
    let rmode = ctl(*fpscr).rmode;
    from_fixed(a, 32, 0, signed, S, rmode, fpscr) as u32
}
/// VCVT.F64.{S32,U32} (always exact).
pub fn int_to_f64(a: u32, signed: bool, fpscr: &mut u32) -> u64 {
    let rmode = ctl(*fpscr).rmode;
    from_fixed(a, 32, 0, signed, D, rmode, fpscr)
}

/// VCVT.{S16,U16,S32,U32}.F32 #fbits (floating-point to fixed-point, always
/// round towards zero).  `size` is 16 or 32, `frac_bits` in `0..=size`.
/// The `size`-bit result is returned sign-extended (signed) or
/// zero-extended (unsigned) to 32 bits, as the VCVT pseudocode writes it.
pub fn f32_to_fixed(a: u32, size: u32, frac_bits: u32, signed: bool, fpscr: &mut u32) -> u32 {
    to_fixed(a as u64, S, size, frac_bits, signed, RMODE_RZ, fpscr)
}
/// VCVT.{S16,U16,S32,U32}.F64 #fbits; see [`f32_to_fixed`].  The caller
/// writes the 32-bit result to `D[d]` sign-extended (signed) or
/// zero-extended (unsigned) to 64 bits.
pub fn f64_to_fixed(a: u64, size: u32, frac_bits: u32, signed: bool, fpscr: &mut u32) -> u32 {
    to_fixed(a, D, size, frac_bits, signed, RMODE_RZ, fpscr)
}
/// VCVT.F32.{S16,U16,S32,U32} #fbits (fixed-point to floating-point).  The
/// operand is the low `size` bits of `a`.  Per the Arm ARM this always rounds
/// to nearest (`FixedToFP(.., FPRounding_TIEEVEN)` / `round_to_nearest =
/// TRUE`), regardless of FPSCR.RMode.
pub fn fixed_to_f32(a: u32, size: u32, frac_bits: u32, signed: bool, fpscr: &mut u32) -> u32 {
    from_fixed(a, size, frac_bits, signed, S, RMODE_RN, fpscr) as u32
}
/// VCVT.F64.{S16,U16,S32,U32} #fbits (always exact); see [`fixed_to_f32`].
pub fn fixed_to_f64(a: u32, size: u32, frac_bits: u32, signed: bool, fpscr: &mut u32) -> u64 {
    from_fixed(a, size, frac_bits, signed, D, RMODE_RN, fpscr)
}

/// VCVTB/VCVTT.F32.F16 (`FPHalfToSingle`): honours FPSCR.AHP and DN.  Half
/// precision denormal inputs are never flushed (FZ does not apply).
pub fn f16_to_f32(a: u16, fpscr: &mut u32) -> u32 {
    let c = ctl(*fpscr);
    let sign = (a as u32 & 0x8000) << 16;
    let exp = (a >> 10) & 0x1F;
    let mant = (a & 0x3FF) as u32;
    if exp == 0x1F && !c.ahp {
        if mant == 0 {
            sign | 0x7F80_0000
        } else {
            if mant & 0x200 == 0 {
                *fpscr |= FPSCR_IOC;
            }
            if c.dn {
                DEFAULT_NAN32
            } else {
                sign | 0x7FC0_0000 | (mant << 13)
            }
        }
    } else if exp == 0 {
        if mant == 0 {
            sign
        } else {
            // Denormal half: exactly representable as a normal single.
            let lz = mant.leading_zeros() - 22; // leading zeros within 10 bits
            // value = mant * 2^-24; MSB at bit (9 - lz) -> exponent -15 - lz
            let e = (-15 - lz as i32 + 127) as u32;
            let frac = (mant << (lz + 1 + 13)) & 0x7F_FFFF;
            sign | (e << 23) | frac
        }
    } else {
        // Normal (or, with AHP, exponent 31 which is a normal number too).
        sign | ((exp as u32 + (127 - 15)) << 23) | (mant << 13)
    }
}

/// VCVTB/VCVTT.F16.F32 (`FPSingleToHalf`): honours FPSCR.AHP, DN, FZ (for the
/// single-precision input only) and RMode.
pub fn f32_to_f16(a: u32, fpscr: &mut u32) -> u16 {
    let c = ctl(*fpscr);
    let u = unpack(a as u64, S, c.fz, fpscr);
    let sign = ((a >> 16) & 0x8000) as u16;
    match u.kind {
        Kind::QNaN | Kind::SNaN => {
            if u.kind == Kind::SNaN || c.ahp {
                *fpscr |= FPSCR_IOC;
            }
            if c.ahp {
                sign
            } else if c.dn {
                DEFAULT_NAN16
            } else {
                sign | 0x7E00 | ((a >> 13) & 0x1FF) as u16
            }
        }
        Kind::Inf => {
            if c.ahp {
                *fpscr |= FPSCR_IOC;
                sign | 0x7FFF
            } else {
                sign | 0x7C00
            }
        }
        Kind::Zero => sign,
        Kind::Finite => round_pack(u.sign, u.exp, u.sig, H, c.rmode, false, c.ahp, fpscr) as u16,
    }
}
