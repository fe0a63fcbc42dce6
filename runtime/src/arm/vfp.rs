//! VFPv3-D16 floating point (Arm ARM A7, A8.8 "V..." entries; B6.1 for the
//! system registers) plus the half-precision conversions VCVTB/VCVTT, in ARM
//! and T32 (the T32 encodings are the ARM ones with `cond` replaced by 1110).
//!
//! - data processing: VMLA VMLS VNMLA VNMLS VMUL VNMUL VADD VSUB VDIV, VMOV
//!   (immediate, register) VABS VNEG VSQRT, VCMP{E} (register, with zero),
//!   VCVT (double <-> single, float <-> integer, VCVTR, float <-> fixed point),
//!   VCVTB/VCVTT (half <-> single);
//! - transfers: VMOV core <-> single, two cores <-> two singles / one double,
//!   core <-> scalar (.32), VMRS (incl. APSR_nzcv), VMSR;
//! - loads and stores: VLDR VSTR (incl. literal), VLDM VSTM (IA, IA!, DB!;
//!   VPUSH/VPOP are aliases), FLDMX/FSTMX (odd imm8).
//!
//! The arithmetic is `crate::fp` (bit exact, integer only); each operation is
//! wrapped in a `Helper` here (`vfp_*`). The non-fused multiply-accumulates
//! are `FPMul` then `FPAdd`, both accumulating FPSCR flags, with the sign
//! flips of the Arm ARM pseudocode. VABS/VNEG/VMOV are plain bit operations.
//!
//! Access control (B1.11.x, B6.1.x): every instruction first calls a `vfp_check*`
//! helper that raises Undefined when CPACR denies cp10 (cp11 must match it),
//! when FPEXC.EN is 0 (except for VMRS/VMSR of FPSID/FPEXC/MVFRx, which need a
//! privileged mode instead) and, for the instructions that could be short
//! vector operations, when FPSCR.LEN or FPSCR.STRIDE is non-zero (Cortex-A15 has
//! no short vectors: MVFR0.ShortVectors = 0, such operations are UNDEFINED). A
//! check is omitted when an earlier, unconditional check of the same block
//! already covers it (nothing but our pure helpers ran in between).
//!
//! D16: any encoding that names d16-d31 is UNDEFINED.

use super::{Fail, Fields, Res, Row, Translator};
use crate::cpu::{CpuState, Exception};
use crate::fp;
use crate::ir::{BinOp, Helper, MemSize, Op, Tmp, UnOp};
use crate::row;
use crate::sys;

// ----- helpers -----

/// Defines a `Helper` static around a closure-like body.
macro_rules! helper {
    ($(#[$m:meta])* $name:ident, $label:literal, $raise:expr, |$cpu:ident, $a:ident, $b:ident, $c:ident| $body:expr) => {
        $(#[$m])*
        pub static $name: Helper = Helper {
            name: $label,
            f: {
                #[allow(unused_variables)]
                extern "C" fn f($cpu: &mut CpuState, $a: u64, $b: u64, $c: u64) -> u64 {
                    $body
                }
                f
            },
            may_raise: $raise,
        };
    };
}

const SIGN32: u32 = 0x8000_0000;
const SIGN64: u64 = 1 << 63;

/// FPSCR.LEN (bits 18:16) and FPSCR.STRIDE (bits 21:20).
const FPSCR_LEN_STRIDE: u32 = 0x0037_0000;
/// FPSCR bits that exist on a VFPv3 Cortex-A15 without Advanced SIMD: NZCV,
/// AHP DN FZ RMode Stride Len, and the cumulative exception bits (no trap
/// enables, no QC).
const FPSCR_WRITABLE: u32 = 0xf7f7_009f;
/// FPEXC.EN; EX, DEX and the other fields are RAZ/WI (no trapped exceptions).
const FPEXC_EN: u32 = 1 << 30;

/// VMRS/VMSR register numbers (the `reg` field).
const REG_FPSID: u32 = 0b0000;
const REG_FPSCR: u32 = 0b0001;
const REG_MVFR1: u32 = 0b0110;
const REG_MVFR0: u32 = 0b0111;
const REG_FPEXC: u32 = 0b1000;

/// What an instruction needs to be enabled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Check {
    /// CheckVFPEnabled(TRUE): CPACR and FPEXC.EN.
    En,
    /// As `En`, and FPSCR.LEN = STRIDE = 0 (the operations that have short vector forms).
    Dp,
    /// VMRS/VMSR of FPSID, FPEXC, MVFR0/1: a privileged mode and CPACR, FPEXC.EN ignored.
    Sys,
}

/// Whether the VFP is usable for an instruction of kind `k` right now.
fn vfp_enabled(cpu: &CpuState, k: Check) -> bool {
    let privileged = cpu.current_mode().is_privileged();
    // CPACR.cp10 (cp11 must hold the same value, else UNPREDICTABLE: cp10 decides).
    let cp10_ok = match (cpu.cp15.cpacr >> 20) & 3 {
        0b01 => privileged,
        0b11 => true,
        _ => false,
    };
    if !cp10_ok {
        return false;
    }
    match k {
        Check::Sys => privileged,
        Check::En => cpu.fpexc & FPEXC_EN != 0,
        Check::Dp => cpu.fpexc & FPEXC_EN != 0 && cpu.fpscr & FPSCR_LEN_STRIDE == 0,
    }
}

fn check_helper(cpu: &mut CpuState, k: Check) -> u64 {
    if !vfp_enabled(cpu, k) {
        // Helpers run with r[15] = the calling instruction's address.
        cpu.pending = Some(Exception::Undefined);
        cpu.pending_return = cpu.r[15];
        cpu.undefined_insns += 1;
    }
    0
}

helper!(
    /// Raises Undefined unless CPACR and FPEXC.EN allow VFP instructions.
    H_CHECK, "vfp_check", true, |cpu, a, b, c| check_helper(cpu, Check::En));
helper!(
    /// `H_CHECK`, and FPSCR.LEN/STRIDE must be zero.
    H_CHECK_DP, "vfp_check_dp", true, |cpu, a, b, c| check_helper(cpu, Check::Dp));
helper!(
    /// Access check of VMRS/VMSR to FPSID, FPEXC, MVFR0/1.
    H_CHECK_SYS, "vfp_check_sys", true, |cpu, a, b, c| check_helper(cpu, Check::Sys));

// Arithmetic: (n, m, d) -> result. Single precision values are in the low 32 bits.
helper!(H_ADD32, "vfp_add32", false, |cpu, a, b, c| fp::add32(a as u32, b as u32, &mut cpu.fpscr) as u64);
helper!(H_SUB32, "vfp_sub32", false, |cpu, a, b, c| fp::sub32(a as u32, b as u32, &mut cpu.fpscr) as u64);
helper!(H_MUL32, "vfp_mul32", false, |cpu, a, b, c| fp::mul32(a as u32, b as u32, &mut cpu.fpscr) as u64);
helper!(H_DIV32, "vfp_div32", false, |cpu, a, b, c| fp::div32(a as u32, b as u32, &mut cpu.fpscr) as u64);
helper!(H_NMUL32, "vfp_nmul32", false, |cpu, a, b, c| (fp::mul32(a as u32, b as u32, &mut cpu.fpscr) ^ SIGN32) as u64);
helper!(H_MLA32, "vfp_mla32", false, |cpu, a, b, c| {
    let p = fp::mul32(a as u32, b as u32, &mut cpu.fpscr);
    fp::add32(c as u32, p, &mut cpu.fpscr) as u64
});
helper!(H_MLS32, "vfp_mls32", false, |cpu, a, b, c| {
    let p = fp::mul32(a as u32, b as u32, &mut cpu.fpscr);
    fp::add32(c as u32, p ^ SIGN32, &mut cpu.fpscr) as u64
});
helper!(H_NMLA32, "vfp_nmla32", false, |cpu, a, b, c| {
    let p = fp::mul32(a as u32, b as u32, &mut cpu.fpscr);
    fp::add32(c as u32 ^ SIGN32, p ^ SIGN32, &mut cpu.fpscr) as u64
});
helper!(H_NMLS32, "vfp_nmls32", false, |cpu, a, b, c| {
    let p = fp::mul32(a as u32, b as u32, &mut cpu.fpscr);
    fp::add32(c as u32 ^ SIGN32, p, &mut cpu.fpscr) as u64
});
helper!(H_ADD64, "vfp_add64", false, |cpu, a, b, c| fp::add64(a, b, &mut cpu.fpscr));
helper!(H_SUB64, "vfp_sub64", false, |cpu, a, b, c| fp::sub64(a, b, &mut cpu.fpscr));
helper!(H_MUL64, "vfp_mul64", false, |cpu, a, b, c| fp::mul64(a, b, &mut cpu.fpscr));
helper!(H_DIV64, "vfp_div64", false, |cpu, a, b, c| fp::div64(a, b, &mut cpu.fpscr));
helper!(H_NMUL64, "vfp_nmul64", false, |cpu, a, b, c| fp::mul64(a, b, &mut cpu.fpscr) ^ SIGN64);
helper!(H_MLA64, "vfp_mla64", false, |cpu, a, b, c| {
    let p = fp::mul64(a, b, &mut cpu.fpscr);
    fp::add64(c, p, &mut cpu.fpscr)
});
helper!(H_MLS64, "vfp_mls64", false, |cpu, a, b, c| {
    let p = fp::mul64(a, b, &mut cpu.fpscr);
    fp::add64(c, p ^ SIGN64, &mut cpu.fpscr)
});
helper!(H_NMLA64, "vfp_nmla64", false, |cpu, a, b, c| {
    let p = fp::mul64(a, b, &mut cpu.fpscr);
    fp::add64(c ^ SIGN64, p ^ SIGN64, &mut cpu.fpscr)
});
helper!(H_NMLS64, "vfp_nmls64", false, |cpu, a, b, c| {
    let p = fp::mul64(a, b, &mut cpu.fpscr);
    fp::add64(c ^ SIGN64, p, &mut cpu.fpscr)
});
helper!(H_SQRT32, "vfp_sqrt32", false, |cpu, a, b, c| fp::sqrt32(a as u32, &mut cpu.fpscr) as u64);
helper!(H_SQRT64, "vfp_sqrt64", false, |cpu, a, b, c| fp::sqrt64(a, &mut cpu.fpscr));

/// FPSCR.NZCV <- nzcv (bits 31..28).
fn set_fpscr_nzcv(cpu: &mut CpuState, nzcv: u32) -> u64 {
    cpu.fpscr = (cpu.fpscr & 0x0fff_ffff) | (nzcv & 0xf000_0000);
    0
}
helper!(
/// VCMP{E}.F32: (a, b, e) sets FPSCR.NZCV.
H_CMP32, "vfp_cmp32", false, |cpu, a, b, c| {
    let r = fp::cmp32(a as u32, b as u32, c != 0, &mut cpu.fpscr);
    set_fpscr_nzcv(cpu, r)
});
helper!(
/// VCMP{E}.F64: (a, b, e) sets FPSCR.NZCV.
H_CMP64, "vfp_cmp64", false, |cpu, a, b, c| {
    let r = fp::cmp64(a, b, c != 0, &mut cpu.fpscr);
    set_fpscr_nzcv(cpu, r)
});

helper!(H_F32_TO_F64, "vfp_f32_to_f64", false, |cpu, a, b, c| fp::f32_to_f64(a as u32, &mut cpu.fpscr));
helper!(H_F64_TO_F32, "vfp_f64_to_f32", false, |cpu, a, b, c| fp::f64_to_f32(a, &mut cpu.fpscr) as u64);
// Float -> integer: b = signed, c = round towards zero.
helper!(H_F32_TO_INT, "vfp_f32_to_int", false, |cpu, a, b, c| fp::f32_to_int(a as u32, b != 0, c != 0, &mut cpu.fpscr)
    as u64);
helper!(H_F64_TO_INT, "vfp_f64_to_int", false, |cpu, a, b, c| fp::f64_to_int(a, b != 0, c != 0, &mut cpu.fpscr) as u64);
// Integer -> float: b = signed.
helper!(H_INT_TO_F32, "vfp_int_to_f32", false, |cpu, a, b, c| fp::int_to_f32(a as u32, b != 0, &mut cpu.fpscr) as u64);
helper!(H_INT_TO_F64, "vfp_int_to_f64", false, |cpu, a, b, c| fp::int_to_f64(a as u32, b != 0, &mut cpu.fpscr));

/// Fixed-point conversions: b = size (16/32) | unsigned << 8, c = fraction bits.
fn fixed_args(b: u64) -> (u32, bool) {
    ((b & 0xff) as u32, b & 0x100 == 0)
}
helper!(
/// VCVT.{S,U}{16,32}.F32 #fbits: the result sign- or zero-extended to 32 bits.
H_F32_TO_FIXED, "vfp_f32_to_fixed", false, |cpu, a, b, c| {
    let (size, signed) = fixed_args(b);
    fp::f32_to_fixed(a as u32, size, c as u32, signed, &mut cpu.fpscr) as u64
});
helper!(
/// VCVT.{S,U}{16,32}.F64 #fbits: the result sign- or zero-extended to 64 bits.
H_F64_TO_FIXED, "vfp_f64_to_fixed", false, |cpu, a, b, c| {
    let (size, signed) = fixed_args(b);
    let r = fp::f64_to_fixed(a, size, c as u32, signed, &mut cpu.fpscr);
    if signed {
        r as i32 as i64 as u64
    } else {
        r as u64
    }
});
helper!(H_FIXED_TO_F32, "vfp_fixed_to_f32", false, |cpu, a, b, c| {
    let (size, signed) = fixed_args(b);
    fp::fixed_to_f32(a as u32, size, c as u32, signed, &mut cpu.fpscr) as u64
});
helper!(H_FIXED_TO_F64, "vfp_fixed_to_f64", false, |cpu, a, b, c| {
    let (size, signed) = fixed_args(b);
    fp::fixed_to_f64(a as u32, size, c as u32, signed, &mut cpu.fpscr)
});
helper!(H_F16_TO_F32, "vfp_f16_to_f32", false, |cpu, a, b, c| fp::f16_to_f32(a as u16, &mut cpu.fpscr) as u64);
helper!(H_F32_TO_F16, "vfp_f32_to_f16", false, |cpu, a, b, c| fp::f32_to_f16(a as u32, &mut cpu.fpscr) as u64);

helper!(
    /// VMRS: reads the system register `a` (access already checked).
    H_VMRS, "vfp_vmrs", false, |cpu, a, b, c| (match a as u32 {
        REG_FPSID => sys::FPSID,
        REG_FPSCR => cpu.fpscr,
        REG_MVFR1 => sys::MVFR1,
        REG_MVFR0 => sys::MVFR0,
        REG_FPEXC => cpu.fpexc,
        _ => 0,
    }) as u64);
helper!(
/// VMSR: writes `b` to the system register `a` (access already checked).
/// FPSID writes are ignored.
H_VMSR, "vfp_vmsr", false, |cpu, a, b, c| {
    match a as u32 {
        REG_FPSCR => cpu.fpscr = b as u32 & FPSCR_WRITABLE,
        REG_FPEXC => cpu.fpexc = b as u32 & FPEXC_EN,
        _ => {}
    }
    0
});

// ----- translation building blocks -----

/// Whether an earlier check of this block already covers `k`: an unconditional
/// call of a check at least as strict, with only pure VFP helpers called since
/// (anything else — VMSR, CP15 writes, mode changes — may change the answer).
fn already_checked(t: &Translator, k: Check) -> bool {
    let mut skipped_until = 0usize; // ops before this index may be skipped
    let mut covered = false;
    for (i, op) in t.ops.iter().enumerate() {
        match *op {
            Op::SkipUnless { n, .. } | Op::SkipUnlessCond { n, .. } => skipped_until = skipped_until.max(i + 1 + n as usize),
            Op::Call { h, .. } => {
                let is_check = std::ptr::eq(h, &H_CHECK) || std::ptr::eq(h, &H_CHECK_DP);
                if is_check {
                    if i >= skipped_until && (std::ptr::eq(h, &H_CHECK_DP) || k == Check::En) {
                        covered = true;
                    }
                } else if !h.name.starts_with("vfp_") || std::ptr::eq(h, &H_VMSR) {
                    covered = false;
                }
            }
            _ => {}
        }
    }
    covered
}

/// Emits the access check of an instruction (first thing it does).
fn check(t: &mut Translator, k: Check) {
    if k != Check::Sys && already_checked(t, k) {
        return;
    }
    let h = match k {
        Check::En => &H_CHECK,
        Check::Dp => &H_CHECK_DP,
        Check::Sys => &H_CHECK_SYS,
    };
    let z = t.konst(0);
    t.call(h, z, z, z);
}

/// Register number of a VFP operand: `Vx:b` for singles, `b:Vx` for doubles
/// (d16-d31 do not exist in D16: UNDEFINED).
fn vreg(dp: bool, v: u32, b: bool) -> Result<u8, Fail> {
    if dp {
        if b {
            Err(Fail::Undefined)
        } else {
            Ok(v as u8)
        }
    } else {
        Ok(((v << 1) | b as u32) as u8)
    }
}

fn get(t: &mut Translator, dp: bool, r: u8) -> Tmp {
    if dp {
        t.get_d(r)
    } else {
        t.get_s(r)
    }
}

fn set(t: &mut Translator, dp: bool, r: u8, v: Tmp) {
    if dp {
        t.set_d(r, v)
    } else {
        t.set_s(r, v)
    }
}

/// A core register operand that may be neither PC nor (Thumb) SP.
fn check_core(t: &Translator, r: u8) -> Res {
    if r == 15 || (t.thumb && r == 13) {
        Err(Fail::Unpredictable)
    } else {
        Ok(())
    }
}

/// Applies a 32-bit bit operation with `mask` to the sign word of a value.
fn sign_op(t: &mut Translator, dp: bool, v: Tmp, op: BinOp, mask: u32) -> Tmp {
    if dp {
        let hi = t.un(UnOp::Hi, v);
        let lo = t.un(UnOp::Lo, v);
        let h2 = t.bini(op, hi, mask);
        t.bin(BinOp::Pair, h2, lo)
    } else {
        t.bini(op, v, mask)
    }
}

/// VFPExpandImm (A7.5.1).
fn vfp_expand_imm(imm8: u32, dp: bool) -> u64 {
    let sign = (imm8 >> 7) as u64 & 1;
    let b6 = (imm8 >> 6) as u64 & 1;
    let low = (imm8 >> 4) as u64 & 3;
    let frac = imm8 as u64 & 0xf;
    if dp {
        // exp = NOT(b6) : Replicate(b6, 8) : imm8<5:4>
        let exp = ((b6 ^ 1) << 10) | (if b6 != 0 { 0xff << 2 } else { 0 }) | low;
        (sign << 63) | (exp << 52) | (frac << 48)
    } else {
        let exp = ((b6 ^ 1) << 7) | (if b6 != 0 { 0x1f << 2 } else { 0 }) | low;
        (sign << 31) | (exp << 23) | (frac << 19)
    }
}

// ----- data-processing operations -----

/// The two- and three-operand arithmetic operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Nmul,
    Mla,
    Mls,
    Nmla,
    Nmls,
}

impl Arith {
    fn helper(self, dp: bool) -> &'static Helper {
        use Arith::*;
        match (self, dp) {
            (Add, false) => &H_ADD32,
            (Sub, false) => &H_SUB32,
            (Mul, false) => &H_MUL32,
            (Div, false) => &H_DIV32,
            (Nmul, false) => &H_NMUL32,
            (Mla, false) => &H_MLA32,
            (Mls, false) => &H_MLS32,
            (Nmla, false) => &H_NMLA32,
            (Nmls, false) => &H_NMLS32,
            (Add, true) => &H_ADD64,
            (Sub, true) => &H_SUB64,
            (Mul, true) => &H_MUL64,
            (Div, true) => &H_DIV64,
            (Nmul, true) => &H_NMUL64,
            (Mla, true) => &H_MLA64,
            (Mls, true) => &H_MLS64,
            (Nmla, true) => &H_NMLA64,
            (Nmls, true) => &H_NMLS64,
        }
    }
    fn accumulates(self) -> bool {
        matches!(self, Arith::Mla | Arith::Mls | Arith::Nmla | Arith::Nmls)
    }
}

/// Vd = op(Vn, Vm[, Vd]).
fn arith(t: &mut Translator, op: Arith, dp: bool, d: u8, n: u8, m: u8) -> Res {
    check(t, Check::Dp);
    let a = get(t, dp, n);
    let b = get(t, dp, m);
    let c = if op.accumulates() { get(t, dp, d) } else { a };
    let r = t.call(op.helper(dp), a, b, c);
    set(t, dp, d, r);
    Ok(())
}

/// The one-operand operations with short vector forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unary {
    Mov,
    Abs,
    Neg,
    Sqrt,
}

/// Vd = op(Vm).
fn unary(t: &mut Translator, op: Unary, dp: bool, d: u8, m: u8) -> Res {
    check(t, Check::Dp);
    let v = get(t, dp, m);
    let r = match op {
        Unary::Mov => v,
        Unary::Abs => sign_op(t, dp, v, BinOp::And, !SIGN32),
        Unary::Neg => sign_op(t, dp, v, BinOp::Xor, SIGN32),
        Unary::Sqrt => t.call(if dp { &H_SQRT64 } else { &H_SQRT32 }, v, v, v),
    };
    set(t, dp, d, r);
    Ok(())
}

/// VMOV (immediate): Vd = VFPExpandImm(imm8).
fn vmov_imm(t: &mut Translator, dp: bool, d: u8, imm8: u32) -> Res {
    check(t, Check::Dp);
    let v = t.konst64(vfp_expand_imm(imm8, dp));
    set(t, dp, d, v);
    Ok(())
}

/// VCMP{E}: FPSCR.NZCV = FPCompare(Vd, Vm or +0).
fn vcmp(t: &mut Translator, dp: bool, d: u8, m: Option<u8>, e: bool) -> Res {
    check(t, Check::En);
    let a = get(t, dp, d);
    let b = match m {
        Some(m) => get(t, dp, m),
        None => t.konst(0),
    };
    let e = t.konst(e as u32);
    t.call(if dp { &H_CMP64 } else { &H_CMP32 }, a, b, e);
    Ok(())
}

/// VCVT between double and single: `to_single` = VCVT.F32.F64 (Sd = Dm).
fn vcvt_ds(t: &mut Translator, to_single: bool, d: u8, m: u8) -> Res {
    check(t, Check::En);
    let v = get(t, to_single, m);
    let r = t.call(if to_single { &H_F64_TO_F32 } else { &H_F32_TO_F64 }, v, v, v);
    set(t, !to_single, d, r);
    Ok(())
}

/// VCVT{R} float -> integer: Sd = int(Vm).
fn vcvt_to_int(t: &mut Translator, dp: bool, d: u8, m: u8, signed: bool, round_zero: bool) -> Res {
    check(t, Check::En);
    let v = get(t, dp, m);
    let s = t.konst(signed as u32);
    let rz = t.konst(round_zero as u32);
    let r = t.call(if dp { &H_F64_TO_INT } else { &H_F32_TO_INT }, v, s, rz);
    t.set_s(d, r);
    Ok(())
}

/// VCVT integer -> float: Vd = float(Sm).
fn vcvt_from_int(t: &mut Translator, dp: bool, d: u8, m: u8, signed: bool) -> Res {
    check(t, Check::En);
    let v = t.get_s(m);
    let s = t.konst(signed as u32);
    let r = t.call(if dp { &H_INT_TO_F64 } else { &H_INT_TO_F32 }, v, s, s);
    set(t, dp, d, r);
    Ok(())
}

/// VCVT between float and fixed point, in place in Vd.
fn vcvt_fixed(t: &mut Translator, dp: bool, d: u8, to_fixed: bool, size: u32, frac_bits: u32, unsigned: bool) -> Res {
    check(t, Check::En);
    let v = get(t, dp, d);
    let b = t.konst(size | (unsigned as u32) << 8);
    let c = t.konst(frac_bits);
    let h = match (to_fixed, dp) {
        (true, false) => &H_F32_TO_FIXED,
        (true, true) => &H_F64_TO_FIXED,
        (false, false) => &H_FIXED_TO_F32,
        (false, true) => &H_FIXED_TO_F64,
    };
    let r = t.call(h, v, b, c);
    set(t, dp, d, r);
    Ok(())
}

/// VCVTB/VCVTT: half precision in the bottom (`top` false) or top half of a single register.
fn vcvt_half(t: &mut Translator, to_half: bool, top: bool, d: u8, m: u8) -> Res {
    check(t, Check::En);
    let v = t.get_s(m);
    if to_half {
        let h = t.call(&H_F32_TO_F16, v, v, v);
        let old = t.get_s(d);
        let r = if top {
            let keep = t.bini(BinOp::And, old, 0xffff);
            let hi = t.bini(BinOp::Lsl, h, 16);
            t.bin(BinOp::Or, keep, hi)
        } else {
            let keep = t.bini(BinOp::And, old, 0xffff_0000);
            let lo = t.bini(BinOp::And, h, 0xffff);
            t.bin(BinOp::Or, keep, lo)
        };
        t.set_s(d, r);
    } else {
        let half = if top { t.bini(BinOp::Lsr, v, 16) } else { t.bini(BinOp::And, v, 0xffff) };
        let r = t.call(&H_F16_TO_F32, half, half, half);
        t.set_s(d, r);
    }
    Ok(())
}

// ----- register transfers -----

/// VMOV between a core register and a single register.
fn vmov_core_single(t: &mut Translator, to_core: bool, rt: u8, s: u8) -> Res {
    check_core(t, rt)?;
    check(t, Check::En);
    if to_core {
        let v = t.get_s(s);
        t.set_reg(rt, v);
    } else {
        let v = t.reg(rt);
        t.set_s(s, v);
    }
    Ok(())
}

/// VMOV between two core registers and two consecutive singles (`dp` false) or one double.
fn vmov_core_pair(t: &mut Translator, to_core: bool, dp: bool, rt: u8, rt2: u8, m: u8) -> Res {
    check_core(t, rt)?;
    check_core(t, rt2)?;
    if (!dp && m == 31) || (to_core && rt == rt2) {
        return Err(Fail::Unpredictable);
    }
    check(t, Check::En);
    if to_core {
        let (lo, hi) = if dp {
            let v = t.get_d(m);
            (t.un(UnOp::Lo, v), t.un(UnOp::Hi, v))
        } else {
            (t.get_s(m), t.get_s(m + 1))
        };
        t.set_reg(rt, lo);
        t.set_reg(rt2, hi);
    } else {
        let lo = t.reg(rt);
        let hi = t.reg(rt2);
        if dp {
            let v = t.bin(BinOp::Pair, hi, lo);
            t.set_d(m, v);
        } else {
            t.set_s(m, lo);
            t.set_s(m + 1, hi);
        }
    }
    Ok(())
}

/// VMOV.32 between a core register and Dd[x] (the single s(2d+x)).
fn vmov_scalar(t: &mut Translator, to_core: bool, rt: u8, dreg: u8, x: u32) -> Res {
    vmov_core_single(t, to_core, rt, dreg * 2 + x as u8)
}

/// VMRS Rt, <reg> (Rt = 15: APSR_nzcv, FPSCR only).
fn vmrs(t: &mut Translator, rt: u8, reg: u32) -> Res {
    if (t.thumb && rt == 13) || (rt == 15 && reg != REG_FPSCR) {
        return Err(Fail::Unpredictable);
    }
    match reg {
        REG_FPSCR => check(t, Check::En),
        REG_FPSID | REG_MVFR0 | REG_MVFR1 | REG_FPEXC => check(t, Check::Sys),
        // FPINST/FPINST2 are absent without trapped exceptions (VFPv3).
        _ => return Err(Fail::Undefined),
    }
    let r = t.konst(reg);
    let v = t.call(&H_VMRS, r, r, r);
    if rt == 15 {
        t.push(Op::SetNZCV { s: v });
    } else {
        t.set_reg(rt, v);
    }
    Ok(())
}

/// VMSR <reg>, Rt.
fn vmsr(t: &mut Translator, rt: u8, reg: u32) -> Res {
    check_core(t, rt)?;
    match reg {
        REG_FPSCR => check(t, Check::En),
        REG_FPSID | REG_FPEXC => check(t, Check::Sys),
        _ => return Err(Fail::Undefined),
    }
    let r = t.konst(reg);
    let v = t.reg(rt);
    t.call(&H_VMSR, r, v, v);
    Ok(())
}

// ----- loads and stores -----

/// Loads register `r` (all loads of an instruction come before its register writes).
fn load_vreg(t: &mut Translator, dp: bool, addr: Tmp) -> Tmp {
    let lo = t.load_ex(addr, MemSize::U32, false, true);
    if dp {
        let a2 = t.bini(BinOp::Add, addr, 4);
        let hi = t.load_ex(a2, MemSize::U32, false, true);
        t.bin(BinOp::Pair, hi, lo)
    } else {
        lo
    }
}

fn store_vreg(t: &mut Translator, dp: bool, addr: Tmp, r: u8) {
    let v = get(t, dp, r);
    if dp {
        let lo = t.un(UnOp::Lo, v);
        let hi = t.un(UnOp::Hi, v);
        t.store_ex(addr, lo, MemSize::U32, false, true);
        let a2 = t.bini(BinOp::Add, addr, 4);
        t.store_ex(a2, hi, MemSize::U32, false, true);
    } else {
        t.store_ex(addr, v, MemSize::U32, false, true);
    }
}

/// Base address of VLDR/VSTR/VLDM/VSTM: Align(PC, 4) for the PC.
fn base(t: &mut Translator, n: u8) -> Tmp {
    if n == 15 {
        t.pc_aligned()
    } else {
        t.reg(n)
    }
}

/// VLDR/VSTR: Vd <-> [Rn +/- imm8*4].
fn vldr_vstr(t: &mut Translator, load: bool, dp: bool, d: u8, n: u8, add: bool, imm8: u32) -> Res {
    if !load && n == 15 && t.thumb {
        return Err(Fail::Unpredictable);
    }
    check(t, Check::En);
    let b = base(t, n);
    let addr = t.bini(if add { BinOp::Add } else { BinOp::Sub }, b, imm8 << 2);
    if load {
        let v = load_vreg(t, dp, addr);
        set(t, dp, d, v);
    } else {
        store_vreg(t, dp, addr, d);
    }
    Ok(())
}

/// Addressing modes of VLDM/VSTM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Multi {
    /// Increment after, no writeback.
    Ia,
    /// Increment after, writeback (VPOP).
    IaWb,
    /// Decrement before, writeback (VPUSH).
    DbWb,
}

/// VLDM/VSTM (and FLDMX/FSTMX): consecutive registers from Vd at Rn
/// (increment after) or Rn - imm8*4 (decrement before).
fn vldm_vstm(t: &mut Translator, load: bool, dp: bool, d: u8, n: u8, mode: Multi, imm8: u32) -> Res {
    let inc = mode != Multi::DbWb;
    let wback = mode != Multi::Ia;
    // FLDMX/FSTMX: an odd imm8 with doubles transfers imm8/2 registers.
    let regs = if dp { imm8 / 2 } else { imm8 } as u8;
    if n == 15 && (wback || t.thumb) {
        return Err(Fail::Unpredictable);
    }
    let limit = if dp { 16 } else { 32 };
    if regs == 0 || d as u32 + regs as u32 > limit {
        return Err(Fail::Unpredictable);
    }
    check(t, Check::En);
    let b = base(t, n);
    let size = imm8 << 2;
    let start = if inc { b } else { t.bini(BinOp::Sub, b, size) };
    let step = if dp { 8 } else { 4 };
    if load {
        let vals: Vec<Tmp> = (0..regs as u32)
            .map(|i| {
                let a = if i == 0 { start } else { t.bini(BinOp::Add, start, i * step) };
                load_vreg(t, dp, a)
            })
            .collect();
        for (i, v) in vals.into_iter().enumerate() {
            set(t, dp, d + i as u8, v);
        }
    } else {
        for i in 0..regs as u32 {
            let a = if i == 0 { start } else { t.bini(BinOp::Add, start, i * step) };
            store_vreg(t, dp, a, d + i as u8);
        }
    }
    if wback {
        let nb = if inc { t.bini(BinOp::Add, b, size) } else { start };
        t.set_reg(n, nb);
    }
    Ok(())
}

// ----- handlers (shared by ARM and T32: the fields sit at the same places) -----

/// (dp, d, n, m) of a data-processing encoding.
fn dp_regs(f: &Fields) -> Result<(bool, u8, u8, u8), Fail> {
    let dp = f.bit('s');
    Ok((dp, vreg(dp, f.get('d'), f.bit('D'))?, vreg(dp, f.get('n'), f.bit('N'))?, vreg(dp, f.get('m'), f.bit('M'))?))
}

fn h_vmla(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, n, m) = dp_regs(&f)?;
    arith(t, if f.bit('p') { Arith::Mls } else { Arith::Mla }, dp, d, n, m)
}
fn h_vnmla(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, n, m) = dp_regs(&f)?;
    arith(t, if f.bit('p') { Arith::Nmla } else { Arith::Nmls }, dp, d, n, m)
}
fn h_vmul(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, n, m) = dp_regs(&f)?;
    arith(t, Arith::Mul, dp, d, n, m)
}
fn h_vnmul(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, n, m) = dp_regs(&f)?;
    arith(t, Arith::Nmul, dp, d, n, m)
}
fn h_vadd(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, n, m) = dp_regs(&f)?;
    arith(t, Arith::Add, dp, d, n, m)
}
fn h_vsub(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, n, m) = dp_regs(&f)?;
    arith(t, Arith::Sub, dp, d, n, m)
}
fn h_vdiv(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, n, m) = dp_regs(&f)?;
    arith(t, Arith::Div, dp, d, n, m)
}
fn h_vmov_imm(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, _, _) = dp_regs(&f)?;
    vmov_imm(t, dp, d, f.get('h') << 4 | f.get('l'))
}
fn h_vmov_reg(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, _, m) = dp_regs(&f)?;
    unary(t, Unary::Mov, dp, d, m)
}
fn h_vabs(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, _, m) = dp_regs(&f)?;
    unary(t, Unary::Abs, dp, d, m)
}
fn h_vneg(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, _, m) = dp_regs(&f)?;
    unary(t, Unary::Neg, dp, d, m)
}
fn h_vsqrt(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, _, m) = dp_regs(&f)?;
    unary(t, Unary::Sqrt, dp, d, m)
}
fn h_vcvtb_t(t: &mut Translator, f: Fields) -> Res {
    let (_, d, _, m) = dp_regs(&f)?;
    vcvt_half(t, f.bit('p'), f.bit('T'), d, m)
}
fn h_vcmp(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, _, m) = dp_regs(&f)?;
    vcmp(t, dp, d, Some(m), f.bit('E'))
}
fn h_vcmp_zero(t: &mut Translator, f: Fields) -> Res {
    let (dp, d, _, _) = dp_regs(&f)?;
    vcmp(t, dp, d, None, f.bit('E'))
}
fn h_vcvt_ds(t: &mut Translator, f: Fields) -> Res {
    // sz = 1: double -> single (Sd = Dm); sz = 0: single -> double (Dd = Sm).
    let to_single = f.bit('s');
    let d = vreg(!to_single, f.get('d'), f.bit('D'))?;
    let m = vreg(to_single, f.get('m'), f.bit('M'))?;
    vcvt_ds(t, to_single, d, m)
}
fn h_vcvt_from_int(t: &mut Translator, f: Fields) -> Res {
    let dp = f.bit('s');
    let d = vreg(dp, f.get('d'), f.bit('D'))?;
    let m = vreg(false, f.get('m'), f.bit('M'))?;
    vcvt_from_int(t, dp, d, m, f.bit('g'))
}
fn h_vcvt_to_int(t: &mut Translator, f: Fields) -> Res {
    let dp = f.bit('s');
    let d = vreg(false, f.get('d'), f.bit('D'))?;
    let m = vreg(dp, f.get('m'), f.bit('M'))?;
    vcvt_to_int(t, dp, d, m, f.bit('g'), f.bit('r'))
}
fn h_vcvt_fixed(t: &mut Translator, f: Fields) -> Res {
    let dp = f.bit('s');
    let d = vreg(dp, f.get('d'), f.bit('D'))?;
    let size = if f.bit('x') { 32 } else { 16 };
    let imm5 = f.get('j') << 1 | f.get('i');
    if imm5 > size {
        return Err(Fail::Unpredictable);
    }
    vcvt_fixed(t, dp, d, f.bit('p'), size, size - imm5, f.bit('U'))
}
fn h_vmov_core_single(t: &mut Translator, f: Fields) -> Res {
    vmov_core_single(t, f.bit('L'), f.reg('t'), vreg(false, f.get('n'), f.bit('N'))?)
}
fn h_vmov_core_pair(t: &mut Translator, f: Fields) -> Res {
    let dp = f.bit('s');
    let m = vreg(dp, f.get('m'), f.bit('M'))?;
    vmov_core_pair(t, f.bit('L'), dp, f.reg('t'), f.reg('u'), m)
}
fn h_vmov_to_scalar(t: &mut Translator, f: Fields) -> Res {
    let d = vreg(true, f.get('d'), f.bit('D'))?;
    vmov_scalar(t, false, f.reg('t'), d, f.get('x'))
}
fn h_vmov_from_scalar(t: &mut Translator, f: Fields) -> Res {
    let n = vreg(true, f.get('n'), f.bit('N'))?;
    vmov_scalar(t, true, f.reg('t'), n, f.get('x'))
}
fn h_vmrs(t: &mut Translator, f: Fields) -> Res {
    vmrs(t, f.reg('t'), f.get('r'))
}
fn h_vmsr(t: &mut Translator, f: Fields) -> Res {
    vmsr(t, f.reg('t'), f.get('r'))
}
fn h_vldr(t: &mut Translator, f: Fields) -> Res {
    let dp = f.bit('s');
    let d = vreg(dp, f.get('d'), f.bit('D'))?;
    vldr_vstr(t, f.bit('L'), dp, d, f.reg('n'), f.bit('U'), f.get('k'))
}
fn h_vldm_ia(t: &mut Translator, f: Fields) -> Res {
    let dp = f.bit('s');
    let d = vreg(dp, f.get('d'), f.bit('D'))?;
    let mode = if f.bit('W') { Multi::IaWb } else { Multi::Ia };
    vldm_vstm(t, f.bit('L'), dp, d, f.reg('n'), mode, f.get('k'))
}
fn h_vldm_db(t: &mut Translator, f: Fields) -> Res {
    let dp = f.bit('s');
    let d = vreg(dp, f.get('d'), f.bit('D'))?;
    vldm_vstm(t, f.bit('L'), dp, d, f.reg('n'), Multi::DbWb, f.get('k'))
}
/// Unallocated encodings of the cp10/cp11 space (NEON-only forms, VFPv4/v8 additions).
fn h_undefined(_: &mut Translator, _: Fields) -> Res {
    Err(Fail::Undefined)
}

// ----- tables -----

/// Builds the ARM (cond) and T32 (1110) tables from one list: each pattern is
/// given without its first four bits.
macro_rules! vfp_tables {
    ($( $name:literal, $enc:literal, $pat:literal, $h:expr; )*) => {
        pub(crate) const ARM: &[Row] = &[ $( row!(concat!($name, " A", $enc), concat!("cccc ", $pat), $h), )* ];
        pub(crate) const T32: &[Row] = &[ $( row!(concat!($name, " T", $enc), concat!("1110 ", $pat), $h), )* ];
    };
}

vfp_tables! {
    "VMLA/VMLS (floating-point)",     "2", "1110 0D00 nnnn dddd 101s NpM0 mmmm", h_vmla;
    "VNMLA/VNMLS",                    "1", "1110 0D01 nnnn dddd 101s NpM0 mmmm", h_vnmla;
    "VMUL (floating-point)",          "2", "1110 0D10 nnnn dddd 101s N0M0 mmmm", h_vmul;
    "VNMUL",                          "2", "1110 0D10 nnnn dddd 101s N1M0 mmmm", h_vnmul;
    "VADD (floating-point)",          "2", "1110 0D11 nnnn dddd 101s N0M0 mmmm", h_vadd;
    "VSUB (floating-point)",          "2", "1110 0D11 nnnn dddd 101s N1M0 mmmm", h_vsub;
    "VDIV",                           "1", "1110 1D00 nnnn dddd 101s N0M0 mmmm", h_vdiv;
    "VMOV (immediate)",               "2", "1110 1D11 hhhh dddd 101s z0z0 llll", h_vmov_imm;
    "VMOV (register)",                "2", "1110 1D11 0000 dddd 101s 01M0 mmmm", h_vmov_reg;
    "VABS",                           "2", "1110 1D11 0000 dddd 101s 11M0 mmmm", h_vabs;
    "VNEG",                           "2", "1110 1D11 0001 dddd 101s 01M0 mmmm", h_vneg;
    "VSQRT",                          "1", "1110 1D11 0001 dddd 101s 11M0 mmmm", h_vsqrt;
    "VCVTB/VCVTT",                    "1", "1110 1D11 001p dddd 1010 T1M0 mmmm", h_vcvtb_t;
    "VCMP/VCMPE",                     "1", "1110 1D11 0100 dddd 101s E1M0 mmmm", h_vcmp;
    "VCMP/VCMPE (with zero)",         "2", "1110 1D11 0101 dddd 101s E1z0 zzzz", h_vcmp_zero;
    "VCVT (double/single)",           "1", "1110 1D11 0111 dddd 101s 11M0 mmmm", h_vcvt_ds;
    "VCVT (integer to float)",        "1", "1110 1D11 1000 dddd 101s g1M0 mmmm", h_vcvt_from_int;
    "VCVT{R} (float to integer)",     "1", "1110 1D11 110g dddd 101s r1M0 mmmm", h_vcvt_to_int;
    "VCVT (float/fixed-point)",       "1", "1110 1D11 1p1U dddd 101s x1i0 jjjj", h_vcvt_fixed;
    "VMOV (core/single)",             "1", "1110 000L nnnn tttt 1010 Nzz1 zzzz", h_vmov_core_single;
    "VMOV (core to scalar .32)",      "1", "1110 00x0 dddd tttt 1011 D001 zzzz", h_vmov_to_scalar;
    "VMOV (scalar .32 to core)",      "1", "1110 00x1 nnnn tttt 1011 N001 zzzz", h_vmov_from_scalar;
    "VMSR",                           "1", "1110 1110 rrrr tttt 1010 zzz1 zzzz", h_vmsr;
    "VMRS",                           "1", "1110 1111 rrrr tttt 1010 zzz1 zzzz", h_vmrs;
    "VMOV (two cores/singles/double)","1", "1100 010L uuuu tttt 101s 00M1 mmmm", h_vmov_core_pair;
    "VLDR/VSTR",                      "1", "1101 UD0L nnnn dddd 101s kkkk kkkk", h_vldr;
    "VLDM/VSTM (IA)",                 "1", "1100 1DWL nnnn dddd 101s kkkk kkkk", h_vldm_ia;
    "VLDM/VSTM (DB!)",                "2", "1101 0D1L nnnn dddd 101s kkkk kkkk", h_vldm_db;
    // The rest of the cp10/cp11 space is UNDEFINED here (rows less specific than all the above).
    "cp10/11 data processing (unallocated)", "0", "1110 xxxx xxxx xxxx 101x xxx0 xxxx", h_undefined;
    "cp10/11 register transfer (unallocated)", "0", "1110 xxxx xxxx xxxx 101x xxx1 xxxx", h_undefined;
    "cp10/11 64-bit transfer (unallocated)", "0", "1100 010x xxxx xxxx 101x xxxx xxxx", h_undefined;
    "cp10/11 load/store (unallocated)", "0", "110x xxx0 xxxx xxxx 101x xxxx xxxx", h_undefined;
    "cp10/11 load/store (unallocated)", "0", "110x xxx1 xxxx xxxx 101x xxxx xxxx", h_undefined;
}

pub(crate) const T16: &[Row] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::testutil::{run_arm, run_thumb, run_until, FlatMem, CODE, DATA};
    use crate::cpu::{ExitReason, Mode};

    /// A CPU with the VFP enabled (FPEXC.EN, CPACR full access to cp10/cp11).
    fn vfp_cpu() -> CpuState {
        let mut c = CpuState::new();
        c.fpexc = 1 << 30;
        c.cp15.cpacr = 0x00f0_0000;
        c
    }

    fn s(c: &CpuState, r: usize) -> u32 {
        (c.d[r / 2] >> (32 * (r % 2))) as u32
    }

    fn set_s(c: &mut CpuState, r: usize, v: u32) {
        let sh = 32 * (r % 2);
        c.d[r / 2] = (c.d[r / 2] & !(0xffff_ffffu64 << sh)) | ((v as u64) << sh);
    }

    fn f(x: f32) -> u32 {
        x.to_bits()
    }

    fn d(x: f64) -> u64 {
        x.to_bits()
    }

    /// Runs ARM code with memory prepared by `setup`.
    fn run_arm_mem(c: &mut CpuState, words: &[u32], setup: impl FnOnce(&mut FlatMem)) -> (ExitReason, FlatMem) {
        let mut mem = FlatMem::new(0, 0x10000);
        for (i, w) in words.iter().enumerate() {
            mem.write_u32(CODE + 4 * i as u32, *w);
        }
        setup(&mut mem);
        c.r[15] = CODE;
        c.t = 0;
        let r = run_until(c, &mut mem, CODE + 4 * words.len() as u32, 100);
        (r, mem)
    }

    fn assert_undefined_at(c: &CpuState, r: ExitReason, pc: u32) {
        assert_eq!(r, ExitReason::Exception);
        assert_eq!(c.pending, Some(Exception::Undefined));
        assert_eq!(c.r[15], pc);
        assert_eq!(c.pending_return, pc);
    }

    #[test]
    fn vfp_expand_imm_values() {
        assert_eq!(vfp_expand_imm(0x70, false), 0x3f80_0000); // 1.0
        assert_eq!(vfp_expand_imm(0x84, true), d(-2.5));
        assert_eq!(vfp_expand_imm(0x00, false), f(2.0) as u64);
        assert_eq!(vfp_expand_imm(0x7f, true), d(1.9375));
        assert_eq!(vfp_expand_imm(0x30, false), f(16.0) as u64);
        assert_eq!(vfp_expand_imm(0xc0, true), d(-0.125));
    }

    #[test]
    fn add_sub_mul_div() {
        let mut c = vfp_cpu();
        set_s(&mut c, 1, f(1.5));
        set_s(&mut c, 2, f(2.25));
        c.d[3] = d(10.0);
        c.d[4] = d(0.5);
        set_s(&mut c, 4, f(3.0));
        set_s(&mut c, 5, f(-2.0));
        c.d[6] = d(1.0);
        c.d[7] = d(3.0);
        let code = [
            0xee621a22, // vmul.f32 s3, s4, s5 (before d2 = s4:s5 is overwritten)
            0xee300a81, // vadd.f32 s0, s1, s2
            0xee332b44, // vsub.f64 d2, d3, d4
        ];
        let (r, _) = run_arm(&mut c, &code);
        assert_eq!(r, ExitReason::Branch);
        assert_eq!(s(&c, 0), f(3.75));
        assert_eq!(c.d[2], d(9.5));
        assert_eq!(s(&c, 3), f(-6.0));
        assert_eq!(c.fpscr, 0, "exact results raise nothing");
        run_arm(&mut c, &[0xee865b07]); // vdiv.f64 d5, d6, d7
        assert_eq!(c.d[5], 0x3fd5_5555_5555_5555);
        assert_eq!(c.fpscr, fp::FPSCR_IXC);
    }

    #[test]
    fn multiply_accumulate_forms() {
        let mut c = vfp_cpu();
        set_s(&mut c, 1, f(2.0));
        set_s(&mut c, 2, f(3.0));
        for r in [0, 3, 4, 5] {
            set_s(&mut c, r, f(1.0));
        }
        let code = [
            0xee000a81, // vmla.f32 s0, s1, s2
            0xee401ac1, // vmls.f32 s3, s1, s2
            0xee102ac1, // vnmla.f32 s4, s1, s2
            0xee502a81, // vnmls.f32 s5, s1, s2
            0xee203ac1, // vnmul.f32 s6, s1, s2
        ];
        run_arm(&mut c, &code);
        assert_eq!([s(&c, 0), s(&c, 3), s(&c, 4), s(&c, 5), s(&c, 6)], [f(7.0), f(-5.0), f(-7.0), f(5.0), f(-6.0)]);
        c.d[1] = d(2.0);
        c.d[2] = d(3.0);
        for r in 4..8 {
            c.d[r] = d(1.0);
        }
        let code = [
            0xee014b02, // vmla.f64 d4, d1, d2
            0xee015b42, // vmls.f64 d5, d1, d2
            0xee116b42, // vnmla.f64 d6, d1, d2
            0xee117b02, // vnmls.f64 d7, d1, d2
            0xee218b42, // vnmul.f64 d8, d1, d2
        ];
        run_arm(&mut c, &code);
        assert_eq!([c.d[4], c.d[5], c.d[6], c.d[7], c.d[8]], [d(7.0), d(-5.0), d(-7.0), d(5.0), d(-6.0)]);
    }

    #[test]
    fn multiply_accumulate_is_not_fused() {
        // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 rounds (tie to even) to 1 + 2^-11;
        // adding -(1 + 2^-11) then gives +0 (a fused operation would give 2^-24).
        let mut c = vfp_cpu();
        set_s(&mut c, 1, 0x3f80_0800);
        set_s(&mut c, 2, 0x3f80_0800);
        set_s(&mut c, 0, 0xbf80_1000);
        run_arm(&mut c, &[0xee000a81]); // vmla.f32 s0, s1, s2
        assert_eq!(s(&c, 0), 0);
        assert_eq!(c.fpscr, fp::FPSCR_IXC, "the multiply's inexact flag accumulates");
    }

    #[test]
    fn multiply_accumulate_nan_signs() {
        // The product is a quiet NaN; the FPNeg steps flip its sign (Arm ARM pseudocode).
        let mut c = vfp_cpu();
        set_s(&mut c, 1, 0x7fc0_0001);
        set_s(&mut c, 2, f(3.0));
        for r in [0, 3, 4, 5] {
            set_s(&mut c, r, f(1.0));
        }
        let code = [0xee000a81, 0xee401ac1, 0xee102ac1, 0xee502a81, 0xee203ac1];
        run_arm(&mut c, &code);
        assert_eq!(
            [s(&c, 0), s(&c, 3), s(&c, 4), s(&c, 5), s(&c, 6)],
            [0x7fc0_0001, 0xffc0_0001, 0xffc0_0001, 0x7fc0_0001, 0xffc0_0001]
        );
        assert_eq!(c.fpscr, 0, "quiet NaNs raise nothing");
        // A signalling NaN raises IOC once per operation and is quietened.
        c.fpscr = 0;
        set_s(&mut c, 1, 0x7f80_0001);
        set_s(&mut c, 0, f(1.0));
        run_arm(&mut c, &[0xee000a81]);
        assert_eq!(s(&c, 0), 0x7fc0_0001);
        assert_eq!(c.fpscr, fp::FPSCR_IOC);
    }

    #[test]
    fn moves_abs_neg_sqrt() {
        let mut c = vfp_cpu();
        set_s(&mut c, 7, 0xffc0_0001);
        set_s(&mut c, 9, f(2.0));
        c.d[6] = d(4.0);
        let code = [
            0xeeb70a00, // vmov.f32 s0, #1.0
            0xeeb81b04, // vmov.f64 d1, #-2.5
            0xeeb12b41, // vneg.f64 d2, d1
            0xeeb03ae3, // vabs.f32 s6, s7
            0xeeb14ae4, // vsqrt.f32 s8, s9
            0xeeb15bc6, // vsqrt.f64 d5, d6
        ];
        run_arm(&mut c, &code);
        assert_eq!(s(&c, 0), f(1.0));
        assert_eq!(c.d[1], d(-2.5));
        assert_eq!(c.d[2], d(2.5));
        assert_eq!(s(&c, 6), 0x7fc0_0001, "VABS clears the sign of a NaN, no IOC");
        assert_eq!(s(&c, 8), 0x3fb5_04f3);
        assert_eq!(c.d[5], d(2.0));
        run_arm(&mut c, &[0xeeb05a40, 0xeeb06b41]); // vmov.f32 s10, s0; vmov.f64 d6, d1
        assert_eq!(s(&c, 10), f(1.0));
        assert_eq!(s(&c, 11), 0x4000_0000, "the other half of d5 (2.0) is kept");
        assert_eq!(c.d[6], d(-2.5));
        assert_eq!(c.fpscr, fp::FPSCR_IXC, "only sqrt(2) is inexact");
        // VNEG of a signalling NaN is a bit operation.
        c.d[1] = 0x7ff0_0000_0000_0001;
        run_arm(&mut c, &[0xeeb12b41]);
        assert_eq!(c.d[2], 0xfff0_0000_0000_0001);
        assert_eq!(c.fpscr & fp::FPSCR_IOC, 0);
    }

    #[test]
    fn compare_and_vmrs_apsr() {
        let mut c = vfp_cpu();
        set_s(&mut c, 0, f(1.0));
        set_s(&mut c, 1, f(2.0));
        // vcmp.f32 s0, s1; vmrs APSR_nzcv, fpscr
        run_arm(&mut c, &[0xeeb40a60, 0xeef1fa10]);
        assert_eq!((c.n, c.z, c.c, c.v), (1, 0, 0, 0));
        assert_eq!(c.fpscr >> 28, 0b1000);
        // vcmp.f32 s0, s0: equal
        run_arm(&mut c, &[0xeeb40a40, 0xeef1fa10]);
        assert_eq!((c.n, c.z, c.c, c.v), (0, 1, 1, 0));
        // Quiet NaN with zero: VCMP unordered without IOC, VCMPE with IOC.
        c.d[1] = 0x7ff8_0000_0000_0000;
        run_arm(&mut c, &[0xeeb51b40, 0xeef1fa10]); // vcmp.f64 d1, #0
        assert_eq!((c.n, c.z, c.c, c.v), (0, 0, 1, 1));
        assert_eq!(c.fpscr & fp::FPSCR_IOC, 0);
        run_arm(&mut c, &[0xeeb51bc0]); // vcmpe.f64 d1, #0
        assert_eq!(c.fpscr, 0x3000_0000 | fp::FPSCR_IOC);
        // Greater than zero.
        c.d[1] = d(0.5);
        run_arm(&mut c, &[0xeeb51b40, 0xeef1fa10]);
        assert_eq!((c.n, c.z, c.c, c.v), (0, 0, 1, 0));
    }

    #[test]
    fn conversions() {
        let mut c = vfp_cpu();
        set_s(&mut c, 0, f(1.5));
        c.d[2] = d(1.0 / 3.0);
        set_s(&mut c, 3, f(-2.7));
        c.d[4] = d(-1.0);
        set_s(&mut c, 6, -7i32 as u32);
        set_s(&mut c, 8, 0xffff_ffff);
        let code = [
            0xeeb71ac0, // vcvt.f64.f32 d1, s0
            0xeef70bc2, // vcvt.f32.f64 s1, d2
        ];
        run_arm(&mut c, &code);
        assert_eq!(c.d[1], d(1.5));
        set_s(&mut c, 3, f(-2.7));
        let code = [
            0xeebd1ae1, // vcvt.s32.f32 s2, s3
            0xeebd2a61, // vcvtr.s32.f32 s4, s3
            0xeeb85bc3, // vcvt.f64.s32 d5, s6
        ];
        run_arm(&mut c, &code);
        assert_eq!(s(&c, 1), 0x3eaa_aaab);
        assert_eq!(s(&c, 2), -2i32 as u32);
        assert_eq!(s(&c, 4), -3i32 as u32);
        assert_eq!(c.d[5], d(-7.0));
        assert_eq!(c.fpscr, fp::FPSCR_IXC);
        c.fpscr = 0;
        run_arm(&mut c, &[0xeefc2bc4]); // vcvt.u32.f64 s5, d4 (-1.0)
        assert_eq!(s(&c, 5), 0);
        assert_eq!(c.fpscr, fp::FPSCR_IOC);
        c.fpscr = 0;
        run_arm(&mut c, &[0xeef83a44]); // vcvt.f32.u32 s7, s8
        assert_eq!(s(&c, 7), 0x4f80_0000);
        assert_eq!(c.fpscr, fp::FPSCR_IXC);
        // VCVTR follows FPSCR.RMode: round towards plus infinity.
        c.fpscr = fp::RMODE_RP << fp::FPSCR_RMODE_SHIFT;
        set_s(&mut c, 3, f(2.1));
        run_arm(&mut c, &[0xeebd2a61, 0xeebd1ae1]);
        assert_eq!((s(&c, 4), s(&c, 2)), (3, 2));
    }

    #[test]
    fn fixed_point_conversions() {
        let mut c = vfp_cpu();
        set_s(&mut c, 10, f(-1.5));
        c.d[6] = d(0.5);
        c.d[7] = d(-1.0);
        set_s(&mut c, 11, 0x8000_0000);
        c.d[3] = 0xffff_ffff_ffff_8000;
        let code = [
            0xeebe5a66, // vcvt.s16.f32 s10, s10, #3
            0xeebf6bc6, // vcvt.u32.f64 d6, d6, #20
            0xeebe7bef, // vcvt.s32.f64 d7, d7, #1
            0xeefa5ac0, // vcvt.f32.s32 s11, s11, #32
            0xeebb3b40, // vcvt.f64.u16 d3, d3, #16
        ];
        run_arm(&mut c, &code);
        assert_eq!(s(&c, 10), -12i32 as u32);
        assert_eq!(c.d[6], 0x8_0000);
        assert_eq!(c.d[7], -2i64 as u64, "signed results are sign-extended to 64 bits");
        assert_eq!(s(&c, 11), f(-0.5));
        assert_eq!(c.d[3], d(0.5));
        assert_eq!(c.fpscr, 0);
    }

    #[test]
    fn half_precision() {
        let mut c = vfp_cpu();
        set_s(&mut c, 13, 0xc000_3c00);
        set_s(&mut c, 15, 0x1234_5678);
        set_s(&mut c, 16, f(1.0));
        set_s(&mut c, 17, f(-2.0));
        let code = [
            0xeeb26a66, // vcvtb.f32.f16 s12, s13
            0xeeb27ae6, // vcvtt.f32.f16 s14, s13
            0xeef37a48, // vcvtb.f16.f32 s15, s16
        ];
        run_arm(&mut c, &code);
        assert_eq!(s(&c, 12), f(1.0));
        assert_eq!(s(&c, 14), f(-2.0));
        assert_eq!(s(&c, 15), 0x1234_3c00);
        run_arm(&mut c, &[0xeef37ae8]); // vcvtt.f16.f32 s15, s17
        assert_eq!(s(&c, 15), 0xc000_3c00);
    }

    #[test]
    fn core_register_transfers() {
        let mut c = vfp_cpu();
        c.r[1] = 0x1111_1111;
        c.r[3] = 0x3333_3333;
        c.r[4] = 0x4444_4444;
        c.r[7] = 0x7777_7777;
        c.r[8] = 0x8888_8888;
        c.r[11] = 0xbbbb_bbbb;
        let code = [
            0xee011a90, // vmov s3, r1
            0xee112a90, // vmov r2, s3
            0xec443a12, // vmov s4, s5, r3, r4
            0xec565a12, // vmov r5, r6, s4, s5
            0xec487b14, // vmov d4, r7, r8
            0xec5a9b14, // vmov r9, r10, d4
            0xee25bb10, // vmov.32 d5[1], r11
            0xee35cb10, // vmov.32 r12, d5[1]
        ];
        run_arm(&mut c, &code);
        assert_eq!(s(&c, 3), 0x1111_1111);
        assert_eq!(c.r[2], 0x1111_1111);
        assert_eq!((s(&c, 4), s(&c, 5)), (0x3333_3333, 0x4444_4444));
        assert_eq!((c.r[5], c.r[6]), (0x3333_3333, 0x4444_4444));
        assert_eq!(c.d[4], 0x8888_8888_7777_7777);
        assert_eq!((c.r[9], c.r[10]), (0x7777_7777, 0x8888_8888));
        assert_eq!(c.d[5] >> 32, 0xbbbb_bbbb);
        assert_eq!(c.r[12], 0xbbbb_bbbb);
    }

    #[test]
    fn system_registers() {
        let mut c = vfp_cpu();
        c.r[1] = 0xffff_ffff;
        let code = [
            0xeee11a10, // vmsr fpscr, r1
            0xeef10a10, // vmrs r0, fpscr
            0xeef02a10, // vmrs r2, fpsid
            0xeef73a10, // vmrs r3, mvfr0
            0xeef64a10, // vmrs r4, mvfr1
            0xeef85a10, // vmrs r5, fpexc
        ];
        run_arm(&mut c, &code);
        assert_eq!(c.r[0], FPSCR_WRITABLE);
        assert_eq!(c.fpscr, FPSCR_WRITABLE);
        assert_eq!((c.r[2], c.r[3], c.r[4], c.r[5]), (sys::FPSID, sys::MVFR0, sys::MVFR1, 1 << 30));
        // VMSR FPEXC: EN is the only writable bit.
        c.r[0] = 0xffff_ffff;
        run_arm(&mut c, &[0xeee80a10]);
        assert_eq!(c.fpexc, 1 << 30);
    }

    #[test]
    fn loads_and_stores() {
        let mut c = vfp_cpu();
        c.r[0] = DATA + 0x100;
        c.r[1] = DATA + 0x200;
        c.r[13] = DATA + 0x400;
        c.r[2] = DATA + 0x300;
        c.r[3] = DATA + 0x500;
        for r in 4..8 {
            set_s(&mut c, r, 0x4000_0000 + r as u32);
        }
        c.d[0] = 0x0a0a_0a0a_0b0b_0b0b;
        c.d[1] = 0x1a1a_1a1a_1b1b_1b1b;
        let code = [
            0xed500a01, // vldr s1, [r0, #-4]
            0xed901b02, // vldr d1, [r0, #8]
            0xedc00a04, // vstr s1, [r0, #16]
            0xed801b06, // vstr d1, [r0, #24]
            0xed212a04, // vstmdb r1!, {s4-s7}
            0xed2d2b04, // vpush {d2-d3}
            0xecbd4b04, // vpop {d4-d5}
            0xed1f6b02, // vldr d6, [pc, #-8]   (literal: the two words at CODE + 0x20)
            0xec93aa04, // vldmia r3, {s20-s23}
        ];
        let (r, mem) = run_arm_mem(&mut c, &code, |m| {
            m.write_u32(DATA + 0xfc, 0xdead_beef);
            m.write_u32(DATA + 0x108, 0x0123_4567);
            m.write_u32(DATA + 0x10c, 0x89ab_cdef);
            for i in 0..4 {
                m.write_u32(DATA + 0x500 + 4 * i, 0x5000_0000 + i);
            }
        });
        assert_eq!(r, ExitReason::Branch);
        assert_eq!(s(&c, 1), 0xdead_beef);
        assert_eq!(c.d[1], 0x89ab_cdef_0123_4567, "low word at the lower address");
        assert_eq!(mem.read_u32(DATA + 0x110), 0xdead_beef);
        assert_eq!((mem.read_u32(DATA + 0x118), mem.read_u32(DATA + 0x11c)), (0x0123_4567, 0x89ab_cdef));
        assert_eq!(c.r[1], DATA + 0x200 - 16);
        for i in 0..4 {
            assert_eq!(mem.read_u32(DATA + 0x1f0 + 4 * i), 0x4000_0004 + i);
        }
        assert_eq!(c.r[13], DATA + 0x400, "vpush then vpop");
        // d2:d3 alias s4-s7.
        assert_eq!((c.d[4], c.d[5]), (0x4000_0005_4000_0004, 0x4000_0007_4000_0006));
        assert_eq!(mem.read_u32(DATA + 0x3f0), 0x4000_0004);
        // Literal: PC = CODE + 0x1c + 8 = CODE + 0x24, minus 8.
        assert_eq!(c.d[6], (0xec93aa04u64 << 32) | 0xed1f6b02);
        assert_eq!([s(&c, 20), s(&c, 21), s(&c, 22), s(&c, 23)], [0x5000_0000, 0x5000_0001, 0x5000_0002, 0x5000_0003]);
        assert_eq!(c.r[3], DATA + 0x500, "no writeback");
    }

    #[test]
    fn fstmx_fldmx() {
        let mut c = vfp_cpu();
        c.r[2] = DATA + 0x100;
        c.d[0] = 0x0000_0001_0000_0002;
        c.d[1] = 0x0000_0003_0000_0004;
        // fstmdbx r2!, {d0-d1}: 5 words below r2, registers from the lowest address.
        let (_, mem) = run_arm(&mut c, &[0xed220b05]);
        assert_eq!(c.r[2], DATA + 0x100 - 20);
        assert_eq!(mem.read_u32(DATA + 0x100 - 20), 2);
        assert_eq!(mem.read_u32(DATA + 0x100 - 8), 3);
        // fldmiax r2!, {d6-d7}: reads them back, writeback by 5 words.
        c.r[2] = DATA + 0x100 - 20;
        let (_, _) = run_arm_mem(&mut c, &[0xecb26b05], |m| {
            for (i, w) in [2u32, 1, 4, 3].iter().enumerate() {
                m.write_u32(DATA + 0x100 - 20 + 4 * i as u32, *w);
            }
        });
        assert_eq!((c.d[6], c.d[7]), (0x0000_0001_0000_0002, 0x0000_0003_0000_0004));
        assert_eq!(c.r[2], DATA + 0x100);
    }

    #[test]
    fn unaligned_and_faulting_accesses_are_precise() {
        let mut c = vfp_cpu();
        c.r[0] = DATA + 2;
        let (r, _) = run_arm(&mut c, &[0xed901b02]); // vldr d1, [r0, #8]
        assert_eq!(r, ExitReason::Exception);
        assert_eq!(c.pending, Some(Exception::DataAbort));
        assert_eq!(c.cp15.dfar, DATA + 10);
        // vldmia r0!, {d2-d3} with the second double outside memory: nothing written.
        let mut c = vfp_cpu();
        c.r[0] = 0x10000 - 8;
        c.d[2] = 5;
        let (r, _) = run_arm(&mut c, &[0xecb02b04]);
        assert_eq!(r, ExitReason::Exception);
        assert_eq!(c.pending, Some(Exception::DataAbort));
        assert_eq!((c.r[0], c.d[2]), (0x10000 - 8, 5));
    }

    #[test]
    fn disabled_vfp_is_undefined() {
        // FPEXC.EN = 0.
        let mut c = vfp_cpu();
        c.fpexc = 0;
        let (r, _) = run_arm(&mut c, &[0xe1a00000, 0xee300a81]); // nop; vadd.f32
        assert_undefined_at(&c, r, CODE + 4);
        assert_eq!(c.undefined_insns, 1);
        // ...but VMRS/VMSR of FPEXC work in a privileged mode.
        let mut c = vfp_cpu();
        c.fpexc = 0;
        c.r[0] = 1 << 30;
        let (r, _) = run_arm(&mut c, &[0xeef85a10, 0xeee80a10, 0xee300a81]); // vmrs r5, fpexc; vmsr fpexc, r0; vadd
        assert_eq!(r, ExitReason::Branch);
        assert_eq!((c.r[5], c.fpexc), (0, 1 << 30));
        // VMRS FPSCR needs EN.
        let mut c = vfp_cpu();
        c.fpexc = 0;
        let (r, _) = run_arm(&mut c, &[0xeef10a10]);
        assert_undefined_at(&c, r, CODE);
        // User mode: FPEXC is privileged; CPACR privileged-only access denies everything.
        let mut c = vfp_cpu();
        c.switch_mode(Mode::Usr);
        let (r, _) = run_arm(&mut c, &[0xeef85a10]);
        assert_undefined_at(&c, r, CODE);
        let mut c = vfp_cpu();
        c.switch_mode(Mode::Usr);
        let (r, _) = run_arm(&mut c, &[0xee300a81, 0xeef10a10]);
        assert_eq!(r, ExitReason::Branch, "user mode may use the VFP with full CPACR access");
        c.cp15.cpacr = 0x0050_0000;
        let (r, _) = run_arm(&mut c, &[0xee300a81]);
        assert_undefined_at(&c, r, CODE);
        // CPACR without cp10/cp11 access.
        let mut c = vfp_cpu();
        c.cp15.cpacr = 0;
        let (r, _) = run_arm(&mut c, &[0xeef85a10]);
        assert_undefined_at(&c, r, CODE);
    }

    #[test]
    fn short_vectors_are_undefined_for_data_processing() {
        let mut c = vfp_cpu();
        c.fpscr = 1 << 16; // LEN = 1
        set_s(&mut c, 1, f(1.0));
        c.r[1] = 7;
        // vmov s3, r1; vcvt.f64.f32 d1, s0; vcmp.f32 s0, s1 are not vector operations.
        let (r, _) = run_arm(&mut c, &[0xee061a90, 0xeeb71ac0, 0xeeb40a60]); // vmov s13, r1; ...
        assert_eq!(r, ExitReason::Branch);
        assert_eq!(s(&c, 13), 7);
        let (r, _) = run_arm(&mut c, &[0xee011a90, 0xee300a81]);
        assert_undefined_at(&c, r, CODE + 4);
        let mut c = vfp_cpu();
        c.fpscr = 1 << 20; // STRIDE = 1
        let (r, _) = run_arm(&mut c, &[0xeeb70a00]); // vmov.f32 s0, #1.0
        assert_undefined_at(&c, r, CODE);
    }

    #[test]
    fn upper_double_registers_are_undefined() {
        for insn in [0xeef00b40u32, 0xee310b81, 0xedd00b00, 0xec510b31, 0xee000b90] {
            assert_eq!(check_insn(insn, false, 4, 0).err(), Some(Fail::Undefined), "{insn:08x}");
        }
        // VFPv4 fused multiply-accumulate is not part of VFPv3.
        assert_eq!(check_insn(0xeea00a81, false, 4, 0).err(), Some(Fail::Undefined));
        let mut c = vfp_cpu();
        let (r, _) = run_arm(&mut c, &[0xeef00b40]);
        assert_undefined_at(&c, r, CODE);
    }

    #[test]
    fn unpredictable_register_uses() {
        assert_eq!(check_insn(0xee00fa10, false, 4, 0).err(), Some(Fail::Unpredictable)); // vmov s0, pc
        assert_eq!(check_insn(0xec500b10, false, 4, 0).err(), Some(Fail::Unpredictable)); // vmov r0, r0, d0
        assert_eq!(check_insn(0xee00da10, true, 4, 0).err(), Some(Fail::Unpredictable)); // T32 vmov s0, sp
        assert!(check_insn(0xee00da10, false, 4, 0).is_ok(), "ARM allows SP");
        assert_eq!(check_insn(0xecbf0b04, false, 4, 0).err(), Some(Fail::Unpredictable)); // vldmia pc!, {d0-d1}
        assert_eq!(check_insn(0xecb00b00, false, 4, 0).err(), Some(Fail::Unpredictable)); // no registers
        assert_eq!(check_insn(0xecb0eb06, false, 4, 0).err(), Some(Fail::Unpredictable)); // d14-d16
        assert!(check_insn(0xeef1ea10, false, 4, 0).is_ok()); // vmrs lr, fpscr
        assert_eq!(check_insn(0xeef8fa10, false, 4, 0).err(), Some(Fail::Unpredictable)); // vmrs APSR, fpexc
        assert_eq!(check_insn(0xeef90a10, false, 4, 0).err(), Some(Fail::Undefined));
        // vmrs r0, FPINST
    }

    fn count_checks(b: &crate::ir::Block) -> usize {
        b.ops.iter().filter(|o| matches!(o, Op::Call { h, .. } if h.name.starts_with("vfp_check"))).count()
    }

    #[test]
    fn one_check_per_block() {
        let mut c = vfp_cpu();
        let mut mem = FlatMem::new(0, 0x10000);
        // vadd.f32; vmov s3, r1; vadd.f32; nop (end)
        for (i, w) in [0xee300a81u32, 0xee011a90, 0xee300a81].iter().enumerate() {
            mem.write_u32(CODE + 4 * i as u32, *w);
        }
        let b = crate::arm::translate_block(&mut mem, &mut c, CODE, false, 0).unwrap();
        assert_eq!(count_checks(&b), 1);
        // vmov s3, r1 (En) does not cover a later vadd (Dp).
        mem.write_u32(CODE, 0xee011a90);
        let b = crate::arm::translate_block(&mut mem, &mut c, CODE, false, 0).unwrap();
        assert_eq!(count_checks(&b), 2);
    }

    #[test]
    fn vmsr_fpexc_takes_effect_within_a_block() {
        let mut c = vfp_cpu();
        c.r[0] = 0;
        // vadd; vmsr fpexc, r0 (disable); vadd -> the second vadd is undefined.
        let (r, _) = run_arm(&mut c, &[0xee300a81, 0xeee80a10, 0xee300a81]);
        assert_undefined_at(&c, r, CODE + 8);
    }

    #[test]
    fn conditional_check_does_not_cover_later_instructions() {
        // Thumb: it eq; vaddeq.f32 s0, s1, s2; vadd.f32 s0, s1, s2 with Z clear and FPEXC.EN = 0:
        // the first is skipped, the second must still raise.
        let mut c = vfp_cpu();
        c.fpexc = 0;
        c.z = 0;
        let (r, _) = run_thumb(&mut c, &[0xbf08, 0xee30, 0x0a81, 0xee30, 0x0a81]);
        assert_undefined_at(&c, r, CODE + 6);
        // The same in ARM: vaddeq; vadd.
        let mut c = vfp_cpu();
        c.fpexc = 0;
        c.z = 0;
        let (r, _) = run_arm(&mut c, &[0x0e300a81, 0xee300a81]);
        assert_undefined_at(&c, r, CODE + 4);
    }

    #[test]
    fn thumb_encodings() {
        let mut c = vfp_cpu();
        set_s(&mut c, 1, f(1.0));
        set_s(&mut c, 2, f(2.0));
        c.r[13] = DATA + 0x100;
        c.d[8] = 0x1234;
        c.z = 1;
        let code = [
            0xee30, 0x0a81, // vadd.f32 s0, s1, s2
            0xed9f, 0x3b01, // vldr d3, [pc, #4]  -> Align(CODE+4+4, 4) + 4 = CODE + 12
            0xec51, 0x0b13, // vmov r0, r1, d3
            0xbf08, // it eq
            0xee30, 0x0a81, // vaddeq.f32 s0, s1, s2
            0xeef1, 0xfa10, // vmrs APSR_nzcv, fpscr
            0xed2d, 0x8b02, // vpush {d8}
            0xecbd, 0x8b02, // vpop {d8}
        ];
        let (r, mem) = run_thumb(&mut c, &code);
        assert_eq!(r, ExitReason::Branch);
        assert_eq!(s(&c, 0), f(3.0));
        assert_eq!(c.r[0], 0xee30_bf08);
        assert_eq!(c.r[1], 0xeef1_0a81);
        assert_eq!((c.n, c.z, c.c, c.v), (0, 0, 0, 0), "FPSCR.NZCV copied to APSR");
        assert_eq!(mem.read_u32(DATA + 0xf8), 0x1234);
        assert_eq!((c.r[13], c.d[8]), (DATA + 0x100, 0x1234));
        // vcvt.s32.f64 s0, d1; vmov s0 -> r1 via vmov r1? (vmov s0, r1 writes s0)
        c.d[1] = d(-3.5);
        c.r[1] = 0;
        run_thumb(&mut c, &[0xeebd, 0x0bc1]);
        assert_eq!(s(&c, 0), -3i32 as u32);
        c.r[0] = DATA;
        let (_, mem) = run_thumb(&mut c, &[0xed80, 0x0a01]); // vstr s0, [r0, #4]
        assert_eq!(mem.read_u32(DATA + 4), -3i32 as u32);
    }

    #[test]
    fn t32_store_with_pc_base_is_unpredictable() {
        // vstr s0, [pc, #4] in T32.
        assert_eq!(check_insn(0xed8f_0a01, true, 4, 0).err(), Some(Fail::Unpredictable));
        assert!(check_insn(0xed8f_0a01, false, 4, 0).is_ok());
    }

    /// Every VFPv3-D16 instruction form the assembler produces decodes to a
    /// real row (not an "unallocated" one) in ARM and T32 (same words with cond = AL).
    #[test]
    fn assembler_encodings_decode() {
        let words: &[u32] = &[
            0xee000a81, // vmla.f32 s0, s1, s2
            0xee000ac1, // vmls.f32 s0, s1, s2
            0xee100ac1, // vnmla.f32 s0, s1, s2
            0xee100a81, // vnmls.f32 s0, s1, s2
            0xee221b03, // vmul.f64 d1, d2, d3
            0xee621a62, // vnmul.f32 s3, s4, s5
            0xee7ffa2e, // vadd.f32 s31, s30, s29
            0xee3efb4d, // vsub.f64 d15, d14, d13
            0xee800a81, // vdiv.f32 s0, s1, s2
            0xeeb70a00, // vmov.f32 s0, #112
            0xeeb80b04, // vmov.f64 d0, #132
            0xeef00a41, // vmov.f32 s1, s2
            0xeeb01bc2, // vabs.f64 d1, d2
            0xeef10a41, // vneg.f32 s1, s2
            0xeeb11bc2, // vsqrt.f64 d1, d2
            0xeef20a41, // vcvtb.f32.f16 s1, s2
            0xeef20ac1, // vcvtt.f32.f16 s1, s2
            0xeef30a41, // vcvtb.f16.f32 s1, s2
            0xeef30ac1, // vcvtt.f16.f32 s1, s2
            0xeef40a41, // vcmp.f32 s1, s2
            0xeeb41bc2, // vcmpe.f64 d1, d2
            0xeef50a40, // vcmp.f32 s1, #0.0
            0xeeb51bc0, // vcmpe.f64 d1, #0.0
            0xeeb71ae1, // vcvt.f64.f32 d1, s3
            0xeef71bc1, // vcvt.f32.f64 s3, d1
            0xeeb80ae0, // vcvt.f32.s32 s0, s1
            0xeeb80b60, // vcvt.f64.u32 d0, s1
            0xeebd0ae0, // vcvt.s32.f32 s0, s1
            0xeebd0a60, // vcvtr.s32.f32 s0, s1
            0xeebc0bc1, // vcvt.u32.f64 s0, d1
            0xeebc0b41, // vcvtr.u32.f64 s0, d1
            0xeebe0a66, // vcvt.s16.f32 s0, s0, #3
            0xeebf0bc6, // vcvt.u32.f64 d0, d0, #20
            0xeeba0ac0, // vcvt.f32.s32 s0, s0, #32
            0xeebb0b40, // vcvt.f64.u16 d0, d0, #16
            0xee001a10, // vmov s0, r1
            0xee111a90, // vmov r1, s3
            0xec421a10, // vmov s0, s1, r1, r2
            0xec521a1f, // vmov r1, r2, s30, s31
            0xec421b13, // vmov d3, r1, r2
            0xec521b13, // vmov r1, r2, d3
            0xee234b10, // vmov.32 d3[1], r4
            0xee134b10, // vmov.32 r4, d3[0]
            0xeef10a10, // vmrs r0, fpscr
            0xeef1fa10, // vmrs APSR_nzcv, fpscr
            0xeef80a10, // vmrs r0, fpexc
            0xeef00a10, // vmrs r0, fpsid
            0xeef70a10, // vmrs r0, mvfr0
            0xeef60a10, // vmrs r0, mvfr1
            0xeee10a10, // vmsr fpscr, r0
            0xeee80a10, // vmsr fpexc, r0
            0xed500a01, // vldr s1, [r0, #-4]
            0xed901bff, // vldr d1, [r0, #1020]
            0xedc00a01, // vstr s1, [r0, #4]
            0xed801b00, // vstr d1, [r0]
            0xed9f2b02, // vldr d2, [pc, #8]
            0xec901a04, // vldmia r0, {s2-s5}
            0xecb02b08, // vldmia r0!, {d2-d5}
            0xed302b08, // vldmdb r0!, {d2-d5}
            0xec801a04, // vstmia r0, {s2-s5}
            0xed2d8b10, // vpush {d8-d15}
            0xed2d8b10, // vpush {d8-d15}
            0xecbd0a04, // vpop {s0-s3}
            0xecb00b09, // fldmiax r0!, {d0-d3}
            0xed200b09, // fstmdbx r0!, {d0-d3}
        ];
        for &w in words {
            let row = crate::arm::decode_arm(w).unwrap();
            assert!(!row.name.contains("unallocated"), "{w:08x} decodes as {row:?}");
            assert!(row.name.starts_with('V') || row.name.starts_with("cp"), "{w:08x} decodes as {row:?}");
            let rt = crate::arm::decode_t32(w).unwrap();
            assert_eq!(rt.mask & 0x0fff_ffff, row.mask, "{w:08x}: {rt:?} vs {row:?}");
            let thumb_ok = check_insn(w, true, 4, 0);
            assert!(check_insn(w, false, 4, 0).is_ok(), "{w:08x} ({row:?})");
            assert!(thumb_ok.is_ok(), "{w:08x} ({rt:?})");
        }
    }

    /// VMLA VMLS VNMLA VNMLS VNMUL (s0 = op(s0, s1, s2)) on NaN, rounding and
    /// invalid cases; expected values from qemu-arm running the same instructions.
    #[test]
    fn multiply_accumulate_matches_qemu() {
        let inputs: [[u32; 3]; 5] = [
            [0x3f80_0000, 0x7fc0_0001, 0x4040_0000],
            [0x7fc0_0002, 0x3f80_0000, 0x4040_0000],
            [0x7fc0_0002, 0x7f80_0001, 0x4040_0000],
            [0xbf80_1000, 0x3f80_0800, 0x3f80_0800],
            [0x3f80_0000, 0x7f80_0000, 0],
        ];
        let ops = [0xee000a81u32, 0xee000ac1, 0xee100ac1, 0xee100a81, 0xee200ac1];
        // (result, FPSCR) per input row and operation.
        let expect: [[(u32, u32); 5]; 5] = [
            [(0x7fc0_0001, 0x0), (0xffc0_0001, 0x0), (0xffc0_0001, 0x0), (0x7fc0_0001, 0x0), (0xffc0_0001, 0x0)],
            [(0x7fc0_0002, 0x0), (0x7fc0_0002, 0x0), (0xffc0_0002, 0x0), (0xffc0_0002, 0x0), (0xc040_0000, 0x0)],
            [(0x7fc0_0002, 0x1), (0x7fc0_0002, 0x1), (0xffc0_0002, 0x1), (0xffc0_0002, 0x1), (0xffc0_0001, 0x1)],
            [(0x0000_0000, 0x10), (0xc000_1000, 0x10), (0x0000_0000, 0x10), (0x4000_1000, 0x10), (0xbf80_1000, 0x10)],
            [(0x7fc0_0000, 0x1), (0xffc0_0000, 0x1), (0xffc0_0000, 0x1), (0x7fc0_0000, 0x1), (0xffc0_0000, 0x1)],
        ];
        for (i, inp) in inputs.iter().enumerate() {
            for (k, &op) in ops.iter().enumerate() {
                let mut c = vfp_cpu();
                for (r, &v) in inp.iter().enumerate() {
                    set_s(&mut c, r, v);
                }
                run_arm(&mut c, &[op]);
                assert_eq!((s(&c, 0), c.fpscr), expect[i][k], "input {i}, insn {op:08x}");
            }
        }
    }

    use crate::arm::check_insn;
}
