//! Saturation, parallel arithmetic, packing, extension, bitfield and bit/byte
//! reversal (Arm ARM A5.2.6, A5.2.12, A5.4.1-A5.4.3, A5.4.5-A5.4.6; A6.3.3,
//! A6.3.12-A6.3.15, A6.3.16 (USAD8), A6.2.2, A6.2.5):
//! QADD QSUB QDADD QDSUB, SSAT USAT SSAT16 USAT16, the parallel add/subtract
//! family (S/Q/SH/U/UQ/UH x ADD16 ASX SAX SUB16 ADD8 SUB8), SEL, USAD8 USADA8,
//! PKHBT PKHTB, SXT*/UXT* and their add forms, BFC BFI UBFX SBFX, CLZ RBIT REV
//! REV16 REVSH.
//!
//! The common operations are plain IR. The parallel add/subtract family, SSAT16/
//! USAT16 and USAD8 are rarely hot and have many lanes: they are helpers here.

use super::mul::check_regs;
use super::{decode_imm_shift, Fail, Fields, Res, Row, Translator};
use crate::cpu::CpuState;
use crate::ir::{BinOp, Flag, Helper, ShiftKind, Tmp, UnOp};
use crate::row;

// ----- saturating add/subtract -----

/// The value a signed 32-bit overflow saturates to, given the sign of the first operand.
fn sat_limit(t: &mut Translator, first: Tmp) -> Tmp {
    let sign = t.bini(BinOp::Lsr, first, 31);
    // 0x7fffffff for positive, 0x80000000 for negative.
    t.bini(BinOp::Add, sign, 0x7fff_ffff)
}

/// SignedSat(a +/- b, 32), setting Q on saturation.
fn sat_add_sub(t: &mut Translator, a: Tmp, b: Tmp, sub: bool) -> Tmp {
    let r = t.bin(if sub { BinOp::Sub } else { BinOp::Add }, a, b);
    let x1 = t.bin(BinOp::Xor, a, r);
    let x2 = if sub { t.bin(BinOp::Xor, a, b) } else { t.bin(BinOp::Xor, b, r) };
    let both = t.bin(BinOp::And, x1, x2);
    let ovf = t.bini(BinOp::Lsr, both, 31);
    let lim = sat_limit(t, a);
    t.set_flag(Flag::Q, ovf);
    t.select(ovf, lim, r)
}

/// QADD/QSUB/QDADD/QDSUB: Rd = sat(Rm +/- [sat(2 * ]Rn[)]).
fn qaddsub(t: &mut Translator, d: u8, m: u8, n: u8, sub: bool, double: bool) -> Res {
    let vm = t.reg(m);
    let mut vn = t.reg(n);
    if double {
        vn = sat_add_sub(t, vn, vn, false);
    }
    let r = sat_add_sub(t, vm, vn, sub);
    t.set_reg(d, r);
    Ok(())
}

fn h_qaddsub(t: &mut Translator, f: Fields, sub: bool, double: bool) -> Res {
    let (d, n, m) = (f.reg('d'), f.reg('n'), f.reg('m'));
    check_regs(t, &[d, n, m])?;
    qaddsub(t, d, m, n, sub, double)
}

// ----- SSAT, USAT -----

/// SignedSat(v, bits) (1 <= bits <= 32) or UnsignedSat(v, bits) (0 <= bits <= 31), setting Q.
fn saturate(t: &mut Translator, v: Tmp, bits: u32, signed: bool) -> Tmp {
    if signed && bits == 32 {
        return v;
    }
    let (lo, hi) = if signed {
        (-(1i64 << (bits - 1)) as u32, ((1u64 << (bits - 1)) - 1) as u32)
    } else {
        (0, ((1u64 << bits) - 1) as u32)
    };
    let klo = t.konst(lo);
    let khi = t.konst(hi);
    let over = t.bin(BinOp::LtS, khi, v);
    let under = t.bin(BinOp::LtS, v, klo);
    let r = t.select(over, khi, v);
    let r = t.select(under, klo, r);
    let q = t.bin(BinOp::Or, over, under);
    t.set_flag(Flag::Q, q);
    r
}

/// SSAT/USAT Rd, #bits, Rn {, LSL/ASR #amt}: `sh` and `imm5` as DecodeImmShift(sh:'0', imm5).
fn ssat_usat(t: &mut Translator, d: u8, n: u8, bits: u32, sh: bool, imm5: u32, signed: bool) -> Res {
    check_regs(t, &[d, n])?;
    let (kind, amt) = decode_imm_shift(if sh { 2 } else { 0 }, imm5);
    let mut v = t.reg(n);
    if amt != 0 {
        v = t.bini(if kind == ShiftKind::Asr { BinOp::Asr } else { BinOp::Lsl }, v, amt);
    }
    let r = saturate(t, v, bits, signed);
    t.set_reg(d, r);
    Ok(())
}

/// SSAT16/USAT16 helper: a = Rn, b = saturation bit width, c = signed. Sets Q.
extern "C" fn sat16_helper(cpu: &mut CpuState, a: u64, b: u64, c: u64) -> u64 {
    let bits = b as u32;
    let signed = c != 0;
    let (lo, hi) = if signed { (-(1i32 << (bits - 1)), (1i32 << (bits - 1)) - 1) } else { (0, (1i32 << bits) - 1) };
    let mut r = 0u32;
    for i in 0..2 {
        let h = (a as u32 >> (16 * i)) as u16 as i16 as i32;
        let s = h.clamp(lo, hi);
        if s != h {
            cpu.q = 1;
        }
        r |= (s as u32 & 0xffff) << (16 * i);
    }
    r as u64
}

pub static H_SAT16: Helper = Helper { name: "sat16", f: sat16_helper, may_raise: false };

fn sat16(t: &mut Translator, d: u8, n: u8, bits: u32, signed: bool) -> Res {
    check_regs(t, &[d, n])?;
    let vn = t.reg(n);
    let kb = t.konst(bits);
    let ks = t.konst(signed as u32);
    let r = t.call(&H_SAT16, vn, kb, ks);
    t.set_reg(d, r);
    Ok(())
}

fn arm_ssat(t: &mut Translator, f: Fields, signed: bool) -> Res {
    let x = f.get('x');
    let bits = if signed { x + 1 } else { x };
    ssat_usat(t, f.reg('d'), f.reg('n'), bits, f.bit('h'), f.get('i'), signed)
}

fn arm_sat16(t: &mut Translator, f: Fields, signed: bool) -> Res {
    let x = f.get('x');
    sat16(t, f.reg('d'), f.reg('n'), if signed { x + 1 } else { x }, signed)
}

// ----- parallel add/subtract -----

/// The prefix of a parallel add/subtract: signed/unsigned modulo (setting GE),
/// saturating, halving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pfx {
    S = 0,
    Q = 1,
    Sh = 2,
    U = 3,
    Uq = 4,
    Uh = 5,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum POp {
    Add16 = 0,
    Asx = 1,
    Sax = 2,
    Sub16 = 3,
    Add8 = 4,
    Sub8 = 5,
}

/// The whole family in one function (Arm ARM A8.8.* pseudocode): returns the
/// result and, for the S and U prefixes, GE[3:0].
fn parallel(n: u32, m: u32, pfx: u32, op: u32) -> (u32, Option<u8>) {
    let signed = pfx <= Pfx::Sh as u32;
    let (bits, lanes) = if op >= POp::Add8 as u32 { (8u32, 4u32) } else { (16, 2) };
    let mask = (1u32 << bits) - 1;
    let lane = |v: u32, i: u32| -> i64 {
        let x = (v >> (i * bits)) & mask;
        if signed {
            ((x << (32 - bits)) as i32 >> (32 - bits)) as i64
        } else {
            x as i64
        }
    };
    let mut res = 0u32;
    let mut ge = 0u8;
    for i in 0..lanes {
        // ASX: lane 0 = n.lo - m.hi, lane 1 = n.hi + m.lo; SAX the other way round.
        let (b, sub) = match op {
            0 | 4 => (lane(m, i), false),
            1 => (lane(m, 1 - i), i == 0),
            2 => (lane(m, 1 - i), i == 1),
            _ => (lane(m, i), true),
        };
        let a = lane(n, i);
        let r = if sub { a - b } else { a + b };
        let ge_lane = if signed || sub { r >= 0 } else { r >= 1 << bits };
        let v = match pfx {
            1 => r.clamp(-(1 << (bits - 1)), (1 << (bits - 1)) - 1),
            4 => r.clamp(0, (1 << bits) - 1),
            2 | 5 => r >> 1,
            _ => r,
        };
        res |= (v as u32 & mask) << (i * bits);
        if ge_lane {
            ge |= if bits == 16 { 3 << (2 * i) } else { 1 << i };
        }
    }
    let sets_ge = pfx == Pfx::S as u32 || pfx == Pfx::U as u32;
    (res, if sets_ge { Some(ge) } else { None })
}

/// a = Rn, b = Rm, c = prefix * 8 + op.
extern "C" fn parallel_helper(cpu: &mut CpuState, a: u64, b: u64, c: u64) -> u64 {
    let (r, ge) = parallel(a as u32, b as u32, (c >> 3) as u32, (c & 7) as u32);
    if let Some(ge) = ge {
        cpu.ge = ge;
    }
    r as u64
}

pub static H_PARALLEL: Helper = Helper { name: "parallel_add_sub", f: parallel_helper, may_raise: false };

fn h_parallel(t: &mut Translator, f: Fields, pfx: Pfx, op: POp) -> Res {
    let (d, n, m) = (f.reg('d'), f.reg('n'), f.reg('m'));
    check_regs(t, &[d, n, m])?;
    let vn = t.reg(n);
    let vm = t.reg(m);
    let k = t.konst((pfx as u32) * 8 + op as u32);
    let r = t.call(&H_PARALLEL, vn, vm, k);
    t.set_reg(d, r);
    Ok(())
}

// ----- SEL, USAD8 -----

/// SEL: each byte from Rn where its GE bit is set, else from Rm.
fn sel(t: &mut Translator, d: u8, n: u8, m: u8) -> Res {
    check_regs(t, &[d, n, m])?;
    let vn = t.reg(n);
    let vm = t.reg(m);
    let ge = t.flag(Flag::Ge);
    // Spread GE bit i to bit 8i (the shifted copies never overlap), then fill bytes.
    let spread = t.bini(BinOp::Mul, ge, 0x0020_4081);
    let ones = t.bini(BinOp::And, spread, 0x0101_0101);
    let mask = t.bini(BinOp::Mul, ones, 0xff);
    let a = t.bin(BinOp::And, vn, mask);
    let b = t.bin(BinOp::Bic, vm, mask);
    let r = t.bin(BinOp::Or, a, b);
    t.set_reg(d, r);
    Ok(())
}

/// Sum of absolute differences of the four bytes of a and b.
extern "C" fn usad8_helper(_cpu: &mut CpuState, a: u64, b: u64, _c: u64) -> u64 {
    (0..4).map(|i| ((a >> (8 * i)) as u8).abs_diff((b >> (8 * i)) as u8) as u64).sum()
}

pub static H_USAD8: Helper = Helper { name: "usad8", f: usad8_helper, may_raise: false };

/// USAD8 / USADA8: Rd = SAD(Rn, Rm) [+ Ra].
fn usad8(t: &mut Translator, d: u8, n: u8, m: u8, a: Option<u8>) -> Res {
    check_regs(t, &[d, n, m])?;
    if let Some(a) = a {
        check_regs(t, &[a])?;
    }
    let vn = t.reg(n);
    let vm = t.reg(m);
    let z = t.konst(0);
    let mut r = t.call(&H_USAD8, vn, vm, z);
    if let Some(a) = a {
        let va = t.reg(a);
        r = t.bin(BinOp::Add, r, va);
    }
    t.set_reg(d, r);
    Ok(())
}

// ----- packing and extension -----

/// PKHBT (tb = false: Rn[15:0], (Rm LSL imm)[31:16]) / PKHTB (tb: Rn[31:16], (Rm ASR imm)[15:0]).
fn pkh(t: &mut Translator, d: u8, n: u8, m: u8, tb: bool, imm5: u32) -> Res {
    check_regs(t, &[d, n, m])?;
    let (kind, amt) = decode_imm_shift(if tb { 2 } else { 0 }, imm5);
    let vn = t.reg(n);
    let vm = t.reg(m);
    let op2 = if amt == 0 {
        vm
    } else {
        // ASR #32 has the same low half as ASR #31.
        t.bini(if kind == ShiftKind::Asr { BinOp::Asr } else { BinOp::Lsl }, vm, amt.min(31))
    };
    let (top, bottom) = if tb { (vn, op2) } else { (op2, vn) };
    let hi = t.bini(BinOp::And, top, 0xffff_0000);
    let lo = t.bini(BinOp::And, bottom, 0xffff);
    let r = t.bin(BinOp::Or, hi, lo);
    t.set_reg(d, r);
    Ok(())
}

/// What an extend instruction extracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ext {
    /// SXTB/UXTB: byte 0.
    B,
    /// SXTH/UXTH: halfword 0.
    H,
    /// SXTB16/UXTB16: bytes 0 and 2, into the two halfwords.
    B16,
}

/// SXT*/UXT* (n = None) and SXTA*/UXTA* (Rd = Rn + extended value; B16 adds per halfword).
fn extend(t: &mut Translator, d: u8, n: Option<u8>, m: u8, rot: u32, ext: Ext, signed: bool) -> Res {
    check_regs(t, &[d, m])?;
    if let Some(n) = n {
        check_regs(t, &[n])?;
    }
    let mut v = t.reg(m);
    if rot != 0 {
        v = t.bini(BinOp::Ror, v, rot);
    }
    let byte = if signed { UnOp::Sxtb } else { UnOp::Uxtb };
    let r = match ext {
        Ext::B | Ext::H => {
            let op = match (ext, signed) {
                (Ext::H, true) => UnOp::Sxth,
                (Ext::H, false) => UnOp::Uxth,
                _ => byte,
            };
            let x = t.un(op, v);
            match n {
                Some(n) => {
                    let vn = t.reg(n);
                    t.bin(BinOp::Add, vn, x)
                }
                None => x,
            }
        }
        Ext::B16 => {
            let b0 = t.un(byte, v);
            let v2 = t.bini(BinOp::Lsr, v, 16);
            let b2 = t.un(byte, v2);
            let b2 = t.bini(BinOp::Lsl, b2, 16);
            let (lo, hi) = match n {
                Some(n) => {
                    let vn = t.reg(n);
                    let lo = t.bin(BinOp::Add, vn, b0);
                    let nhi = t.bini(BinOp::And, vn, 0xffff_0000);
                    let hi = t.bin(BinOp::Add, nhi, b2);
                    (lo, hi)
                }
                None => (b0, b2),
            };
            let lo = t.un(UnOp::Uxth, lo);
            let hi = t.bini(BinOp::And, hi, 0xffff_0000);
            t.bin(BinOp::Or, lo, hi)
        }
    };
    t.set_reg(d, r);
    Ok(())
}

/// ARM and T32 extends: fields d, m, r (rotation / 8) and, for the add forms, n.
fn h_extend(t: &mut Translator, f: Fields, ext: Ext, signed: bool, add: bool) -> Res {
    let n = if add { Some(f.reg('n')) } else { None };
    extend(t, f.reg('d'), n, f.reg('m'), f.get('r') * 8, ext, signed)
}

fn t16_extend(t: &mut Translator, f: Fields, ext: Ext, signed: bool) -> Res {
    extend(t, f.reg('d'), None, f.reg('m'), 0, ext, signed)
}

// ----- bitfields -----

/// UBFX/SBFX Rd, Rn, #lsb, #width.
fn bfx(t: &mut Translator, d: u8, n: u8, lsb: u32, widthm1: u32, signed: bool) -> Res {
    check_regs(t, &[d, n])?;
    if lsb + widthm1 > 31 {
        return Err(Fail::Unpredictable);
    }
    let width = widthm1 + 1;
    let vn = t.reg(n);
    let r = if signed {
        let up = t.bini(BinOp::Lsl, vn, 32 - lsb - width);
        t.bini(BinOp::Asr, up, 32 - width)
    } else {
        let down = t.bini(BinOp::Lsr, vn, lsb);
        t.bini(BinOp::And, down, ((1u64 << width) - 1) as u32)
    };
    t.set_reg(d, r);
    Ok(())
}

/// BFI Rd, Rn, #lsb, #width (n = Some) / BFC Rd, #lsb, #width (n = None).
fn bfi(t: &mut Translator, d: u8, n: Option<u8>, lsb: u32, msb: u32) -> Res {
    check_regs(t, &[d])?;
    if let Some(n) = n {
        check_regs(t, &[n])?;
    }
    if msb < lsb {
        return Err(Fail::Unpredictable);
    }
    let mask = (((1u64 << (msb - lsb + 1)) - 1) as u32) << lsb;
    let vd = t.reg(d);
    let kept = t.bini(BinOp::And, vd, !mask);
    let r = match n {
        Some(n) => {
            let vn = t.reg(n);
            let ins = t.bini(BinOp::Lsl, vn, lsb);
            let ins = t.bini(BinOp::And, ins, mask);
            t.bin(BinOp::Or, kept, ins)
        }
        None => kept,
    };
    t.set_reg(d, r);
    Ok(())
}

fn h_bfx(t: &mut Translator, f: Fields, signed: bool) -> Res {
    bfx(t, f.reg('d'), f.reg('n'), f.get('i'), f.get('w'), signed)
}

fn h_bfi(t: &mut Translator, f: Fields) -> Res {
    bfi(t, f.reg('d'), Some(f.reg('n')), f.get('i'), f.get('k'))
}

fn h_bfc(t: &mut Translator, f: Fields) -> Res {
    bfi(t, f.reg('d'), None, f.get('i'), f.get('k'))
}

// ----- CLZ, RBIT, REV, REV16, REVSH -----

fn unary(t: &mut Translator, d: u8, m: u8, op: UnOp) -> Res {
    check_regs(t, &[d, m])?;
    let v = t.reg(m);
    let r = t.un(op, v);
    t.set_reg(d, r);
    Ok(())
}

fn h_unary(t: &mut Translator, f: Fields, op: UnOp) -> Res {
    unary(t, f.reg('d'), f.reg('m'), op)
}

/// T32 forms name Rm twice (hw1 and hw2); they must agree.
fn t32_unary(t: &mut Translator, f: Fields, op: UnOp) -> Res {
    if f.reg('k') != f.reg('m') {
        return Err(Fail::Unpredictable);
    }
    unary(t, f.reg('d'), f.reg('m'), op)
}

// ----- T32 field adapters -----

fn t32_ssat(t: &mut Translator, f: Fields, signed: bool) -> Res {
    arm_ssat(t, f, signed)
}

fn t32_pkh(t: &mut Translator, f: Fields) -> Res {
    if f.bit('S') || f.bit('u') {
        return Err(Fail::Undefined);
    }
    pkh(t, f.reg('d'), f.reg('n'), f.reg('m'), f.bit('T'), f.get('i'))
}

fn arm_pkh(t: &mut Translator, f: Fields) -> Res {
    pkh(t, f.reg('d'), f.reg('n'), f.reg('m'), f.bit('T'), f.get('i'))
}

fn h_sel(t: &mut Translator, f: Fields) -> Res {
    sel(t, f.reg('d'), f.reg('n'), f.reg('m'))
}

fn h_usad8(t: &mut Translator, f: Fields, acc: bool) -> Res {
    usad8(t, f.reg('d'), f.reg('n'), f.reg('m'), if acc { Some(f.reg('a')) } else { None })
}

pub(crate) const ARM: &[Row] = &[
    row!("QADD A1", "cccc 0001 0000 nnnn dddd zzzz 0101 mmmm", |t, f| h_qaddsub(t, f, false, false)),
    row!("QSUB A1", "cccc 0001 0010 nnnn dddd zzzz 0101 mmmm", |t, f| h_qaddsub(t, f, true, false)),
    row!("QDADD A1", "cccc 0001 0100 nnnn dddd zzzz 0101 mmmm", |t, f| h_qaddsub(t, f, false, true)),
    row!("QDSUB A1", "cccc 0001 0110 nnnn dddd zzzz 0101 mmmm", |t, f| h_qaddsub(t, f, true, true)),
    row!("CLZ A1", "cccc 0001 0110 oooo dddd oooo 0001 mmmm", |t, f| h_unary(t, f, UnOp::Clz)),
    row!("SSAT A1", "cccc 0110 101x xxxx dddd iiii ih01 nnnn", |t, f| arm_ssat(t, f, true)),
    row!("USAT A1", "cccc 0110 111x xxxx dddd iiii ih01 nnnn", |t, f| arm_ssat(t, f, false)),
    row!("SSAT16 A1", "cccc 0110 1010 xxxx dddd oooo 0011 nnnn", |t, f| arm_sat16(t, f, true)),
    row!("USAT16 A1", "cccc 0110 1110 xxxx dddd oooo 0011 nnnn", |t, f| arm_sat16(t, f, false)),
    row!("PKH A1", "cccc 0110 1000 nnnn dddd iiii iT01 mmmm", arm_pkh),
    row!("SEL A1", "cccc 0110 1000 nnnn dddd oooo 1011 mmmm", h_sel),
    row!("SXTAB16 A1", "cccc 0110 1000 nnnn dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B16, true, true)),
    row!("SXTB16 A1", "cccc 0110 1000 1111 dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B16, true, false)),
    row!("SXTAB A1", "cccc 0110 1010 nnnn dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B, true, true)),
    row!("SXTB A1", "cccc 0110 1010 1111 dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B, true, false)),
    row!("SXTAH A1", "cccc 0110 1011 nnnn dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::H, true, true)),
    row!("SXTH A1", "cccc 0110 1011 1111 dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::H, true, false)),
    row!("UXTAB16 A1", "cccc 0110 1100 nnnn dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B16, false, true)),
    row!("UXTB16 A1", "cccc 0110 1100 1111 dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B16, false, false)),
    row!("UXTAB A1", "cccc 0110 1110 nnnn dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B, false, true)),
    row!("UXTB A1", "cccc 0110 1110 1111 dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::B, false, false)),
    row!("UXTAH A1", "cccc 0110 1111 nnnn dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::H, false, true)),
    row!("UXTH A1", "cccc 0110 1111 1111 dddd rrzz 0111 mmmm", |t, f| h_extend(t, f, Ext::H, false, false)),
    row!("REV A1", "cccc 0110 1011 oooo dddd oooo 0011 mmmm", |t, f| h_unary(t, f, UnOp::Rev)),
    row!("REV16 A1", "cccc 0110 1011 oooo dddd oooo 1011 mmmm", |t, f| h_unary(t, f, UnOp::Rev16)),
    row!("RBIT A1", "cccc 0110 1111 oooo dddd oooo 0011 mmmm", |t, f| h_unary(t, f, UnOp::Rbit)),
    row!("REVSH A1", "cccc 0110 1111 oooo dddd oooo 1011 mmmm", |t, f| h_unary(t, f, UnOp::Revsh)),
    row!("USAD8 A1", "cccc 0111 1000 dddd 1111 mmmm 0001 nnnn", |t, f| h_usad8(t, f, false)),
    row!("USADA8 A1", "cccc 0111 1000 dddd aaaa mmmm 0001 nnnn", |t, f| h_usad8(t, f, true)),
    row!("SBFX A1", "cccc 0111 101w wwww dddd iiii i101 nnnn", |t, f| h_bfx(t, f, true)),
    row!("UBFX A1", "cccc 0111 111w wwww dddd iiii i101 nnnn", |t, f| h_bfx(t, f, false)),
    row!("BFI A1", "cccc 0111 110k kkkk dddd iiii i001 nnnn", h_bfi),
    row!("BFC A1", "cccc 0111 110k kkkk dddd iiii i001 1111", h_bfc),
    row!("SADD16 A1", "cccc 0110 0001 nnnn dddd oooo 0001 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Add16)),
    row!("SASX A1", "cccc 0110 0001 nnnn dddd oooo 0011 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Asx)),
    row!("SSAX A1", "cccc 0110 0001 nnnn dddd oooo 0101 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Sax)),
    row!("SSUB16 A1", "cccc 0110 0001 nnnn dddd oooo 0111 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Sub16)),
    row!("SADD8 A1", "cccc 0110 0001 nnnn dddd oooo 1001 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Add8)),
    row!("SSUB8 A1", "cccc 0110 0001 nnnn dddd oooo 1111 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Sub8)),
    row!("QADD16 A1", "cccc 0110 0010 nnnn dddd oooo 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Add16)),
    row!("QASX A1", "cccc 0110 0010 nnnn dddd oooo 0011 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Asx)),
    row!("QSAX A1", "cccc 0110 0010 nnnn dddd oooo 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Sax)),
    row!("QSUB16 A1", "cccc 0110 0010 nnnn dddd oooo 0111 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Sub16)),
    row!("QADD8 A1", "cccc 0110 0010 nnnn dddd oooo 1001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Add8)),
    row!("QSUB8 A1", "cccc 0110 0010 nnnn dddd oooo 1111 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Sub8)),
    row!("SHADD16 A1", "cccc 0110 0011 nnnn dddd oooo 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Add16)),
    row!("SHASX A1", "cccc 0110 0011 nnnn dddd oooo 0011 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Asx)),
    row!("SHSAX A1", "cccc 0110 0011 nnnn dddd oooo 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Sax)),
    row!("SHSUB16 A1", "cccc 0110 0011 nnnn dddd oooo 0111 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Sub16)),
    row!("SHADD8 A1", "cccc 0110 0011 nnnn dddd oooo 1001 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Add8)),
    row!("SHSUB8 A1", "cccc 0110 0011 nnnn dddd oooo 1111 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Sub8)),
    row!("UADD16 A1", "cccc 0110 0101 nnnn dddd oooo 0001 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Add16)),
    row!("UASX A1", "cccc 0110 0101 nnnn dddd oooo 0011 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Asx)),
    row!("USAX A1", "cccc 0110 0101 nnnn dddd oooo 0101 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Sax)),
    row!("USUB16 A1", "cccc 0110 0101 nnnn dddd oooo 0111 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Sub16)),
    row!("UADD8 A1", "cccc 0110 0101 nnnn dddd oooo 1001 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Add8)),
    row!("USUB8 A1", "cccc 0110 0101 nnnn dddd oooo 1111 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Sub8)),
    row!("UQADD16 A1", "cccc 0110 0110 nnnn dddd oooo 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Add16)),
    row!("UQASX A1", "cccc 0110 0110 nnnn dddd oooo 0011 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Asx)),
    row!("UQSAX A1", "cccc 0110 0110 nnnn dddd oooo 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Sax)),
    row!("UQSUB16 A1", "cccc 0110 0110 nnnn dddd oooo 0111 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Sub16)),
    row!("UQADD8 A1", "cccc 0110 0110 nnnn dddd oooo 1001 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Add8)),
    row!("UQSUB8 A1", "cccc 0110 0110 nnnn dddd oooo 1111 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Sub8)),
    row!("UHADD16 A1", "cccc 0110 0111 nnnn dddd oooo 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Add16)),
    row!("UHASX A1", "cccc 0110 0111 nnnn dddd oooo 0011 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Asx)),
    row!("UHSAX A1", "cccc 0110 0111 nnnn dddd oooo 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Sax)),
    row!("UHSUB16 A1", "cccc 0110 0111 nnnn dddd oooo 0111 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Sub16)),
    row!("UHADD8 A1", "cccc 0110 0111 nnnn dddd oooo 1001 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Add8)),
    row!("UHSUB8 A1", "cccc 0110 0111 nnnn dddd oooo 1111 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Sub8)),
];

pub(crate) const T32: &[Row] = &[
    row!("QADD T1", "1111 1010 1000 nnnn 1111 dddd 1000 mmmm", |t, f| h_qaddsub(t, f, false, false)),
    row!("QDADD T1", "1111 1010 1000 nnnn 1111 dddd 1001 mmmm", |t, f| h_qaddsub(t, f, false, true)),
    row!("QSUB T1", "1111 1010 1000 nnnn 1111 dddd 1010 mmmm", |t, f| h_qaddsub(t, f, true, false)),
    row!("QDSUB T1", "1111 1010 1000 nnnn 1111 dddd 1011 mmmm", |t, f| h_qaddsub(t, f, true, true)),
    row!("REV T2", "1111 1010 1001 kkkk 1111 dddd 1000 mmmm", |t, f| t32_unary(t, f, UnOp::Rev)),
    row!("REV16 T2", "1111 1010 1001 kkkk 1111 dddd 1001 mmmm", |t, f| t32_unary(t, f, UnOp::Rev16)),
    row!("RBIT T1", "1111 1010 1001 kkkk 1111 dddd 1010 mmmm", |t, f| t32_unary(t, f, UnOp::Rbit)),
    row!("REVSH T2", "1111 1010 1001 kkkk 1111 dddd 1011 mmmm", |t, f| t32_unary(t, f, UnOp::Revsh)),
    row!("SEL T1", "1111 1010 1010 nnnn 1111 dddd 1000 mmmm", h_sel),
    row!("CLZ T1", "1111 1010 1011 kkkk 1111 dddd 1000 mmmm", |t, f| t32_unary(t, f, UnOp::Clz)),
    row!("SXTAH T1", "1111 1010 0000 nnnn 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::H, true, true)),
    row!("SXTH T2", "1111 1010 0000 1111 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::H, true, false)),
    row!("UXTAH T1", "1111 1010 0001 nnnn 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::H, false, true)),
    row!("UXTH T2", "1111 1010 0001 1111 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::H, false, false)),
    row!("SXTAB16 T1", "1111 1010 0010 nnnn 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B16, true, true)),
    row!("SXTB16 T1", "1111 1010 0010 1111 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B16, true, false)),
    row!("UXTAB16 T1", "1111 1010 0011 nnnn 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B16, false, true)),
    row!("UXTB16 T1", "1111 1010 0011 1111 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B16, false, false)),
    row!("SXTAB T1", "1111 1010 0100 nnnn 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B, true, true)),
    row!("SXTB T2", "1111 1010 0100 1111 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B, true, false)),
    row!("UXTAB T1", "1111 1010 0101 nnnn 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B, false, true)),
    row!("UXTB T2", "1111 1010 0101 1111 1111 dddd 1zrr mmmm", |t, f| h_extend(t, f, Ext::B, false, false)),
    row!("USADA8 T1", "1111 1011 0111 nnnn aaaa dddd 0000 mmmm", |t, f| h_usad8(t, f, true)),
    row!("USAD8 T1", "1111 1011 0111 nnnn 1111 dddd 0000 mmmm", |t, f| h_usad8(t, f, false)),
    row!("PKH T1", "1110 1010 110S nnnn ziii dddd iiTu mmmm", t32_pkh),
    row!("SSAT T1", "1111 0z11 00h0 nnnn 0iii dddd iizx xxxx", |t, f| t32_ssat(t, f, true)),
    row!("SSAT16 T1", "1111 0z11 0010 nnnn 0000 dddd 00zz xxxx", |t, f| arm_sat16(t, f, true)),
    row!("SBFX T1", "1111 0z11 0100 nnnn 0iii dddd iizw wwww", |t, f| h_bfx(t, f, true)),
    row!("BFI T1", "1111 0z11 0110 nnnn 0iii dddd iizk kkkk", h_bfi),
    row!("BFC T1", "1111 0z11 0110 1111 0iii dddd iizk kkkk", h_bfc),
    row!("USAT T1", "1111 0z11 10h0 nnnn 0iii dddd iizx xxxx", |t, f| t32_ssat(t, f, false)),
    row!("USAT16 T1", "1111 0z11 1010 nnnn 0000 dddd 00zz xxxx", |t, f| arm_sat16(t, f, false)),
    row!("UBFX T1", "1111 0z11 1100 nnnn 0iii dddd iizw wwww", |t, f| h_bfx(t, f, false)),
    row!("SADD16 T1", "1111 1010 1001 nnnn 1111 dddd 0000 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Add16)),
    row!("SASX T1", "1111 1010 1010 nnnn 1111 dddd 0000 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Asx)),
    row!("SSAX T1", "1111 1010 1110 nnnn 1111 dddd 0000 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Sax)),
    row!("SSUB16 T1", "1111 1010 1101 nnnn 1111 dddd 0000 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Sub16)),
    row!("SADD8 T1", "1111 1010 1000 nnnn 1111 dddd 0000 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Add8)),
    row!("SSUB8 T1", "1111 1010 1100 nnnn 1111 dddd 0000 mmmm", |t, f| h_parallel(t, f, Pfx::S, POp::Sub8)),
    row!("QADD16 T1", "1111 1010 1001 nnnn 1111 dddd 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Add16)),
    row!("QASX T1", "1111 1010 1010 nnnn 1111 dddd 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Asx)),
    row!("QSAX T1", "1111 1010 1110 nnnn 1111 dddd 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Sax)),
    row!("QSUB16 T1", "1111 1010 1101 nnnn 1111 dddd 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Sub16)),
    row!("QADD8 T1", "1111 1010 1000 nnnn 1111 dddd 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Add8)),
    row!("QSUB8 T1", "1111 1010 1100 nnnn 1111 dddd 0001 mmmm", |t, f| h_parallel(t, f, Pfx::Q, POp::Sub8)),
    row!("SHADD16 T1", "1111 1010 1001 nnnn 1111 dddd 0010 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Add16)),
    row!("SHASX T1", "1111 1010 1010 nnnn 1111 dddd 0010 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Asx)),
    row!("SHSAX T1", "1111 1010 1110 nnnn 1111 dddd 0010 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Sax)),
    row!("SHSUB16 T1", "1111 1010 1101 nnnn 1111 dddd 0010 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Sub16)),
    row!("SHADD8 T1", "1111 1010 1000 nnnn 1111 dddd 0010 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Add8)),
    row!("SHSUB8 T1", "1111 1010 1100 nnnn 1111 dddd 0010 mmmm", |t, f| h_parallel(t, f, Pfx::Sh, POp::Sub8)),
    row!("UADD16 T1", "1111 1010 1001 nnnn 1111 dddd 0100 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Add16)),
    row!("UASX T1", "1111 1010 1010 nnnn 1111 dddd 0100 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Asx)),
    row!("USAX T1", "1111 1010 1110 nnnn 1111 dddd 0100 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Sax)),
    row!("USUB16 T1", "1111 1010 1101 nnnn 1111 dddd 0100 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Sub16)),
    row!("UADD8 T1", "1111 1010 1000 nnnn 1111 dddd 0100 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Add8)),
    row!("USUB8 T1", "1111 1010 1100 nnnn 1111 dddd 0100 mmmm", |t, f| h_parallel(t, f, Pfx::U, POp::Sub8)),
    row!("UQADD16 T1", "1111 1010 1001 nnnn 1111 dddd 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Add16)),
    row!("UQASX T1", "1111 1010 1010 nnnn 1111 dddd 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Asx)),
    row!("UQSAX T1", "1111 1010 1110 nnnn 1111 dddd 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Sax)),
    row!("UQSUB16 T1", "1111 1010 1101 nnnn 1111 dddd 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Sub16)),
    row!("UQADD8 T1", "1111 1010 1000 nnnn 1111 dddd 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Add8)),
    row!("UQSUB8 T1", "1111 1010 1100 nnnn 1111 dddd 0101 mmmm", |t, f| h_parallel(t, f, Pfx::Uq, POp::Sub8)),
    row!("UHADD16 T1", "1111 1010 1001 nnnn 1111 dddd 0110 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Add16)),
    row!("UHASX T1", "1111 1010 1010 nnnn 1111 dddd 0110 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Asx)),
    row!("UHSAX T1", "1111 1010 1110 nnnn 1111 dddd 0110 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Sax)),
    row!("UHSUB16 T1", "1111 1010 1101 nnnn 1111 dddd 0110 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Sub16)),
    row!("UHADD8 T1", "1111 1010 1000 nnnn 1111 dddd 0110 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Add8)),
    row!("UHSUB8 T1", "1111 1010 1100 nnnn 1111 dddd 0110 mmmm", |t, f| h_parallel(t, f, Pfx::Uh, POp::Sub8)),
];

pub(crate) const T16: &[Row] = &[
    row!("SXTH T1", "1011 0010 00mm mddd", |t, f| t16_extend(t, f, Ext::H, true)),
    row!("SXTB T1", "1011 0010 01mm mddd", |t, f| t16_extend(t, f, Ext::B, true)),
    row!("UXTH T1", "1011 0010 10mm mddd", |t, f| t16_extend(t, f, Ext::H, false)),
    row!("UXTB T1", "1011 0010 11mm mddd", |t, f| t16_extend(t, f, Ext::B, false)),
    row!("REV T1", "1011 1010 00mm mddd", |t, f| h_unary(t, f, UnOp::Rev)),
    row!("REV16 T1", "1011 1010 01mm mddd", |t, f| h_unary(t, f, UnOp::Rev16)),
    row!("REVSH T1", "1011 1010 11mm mddd", |t, f| h_unary(t, f, UnOp::Revsh)),
];

#[cfg(test)]
mod tests {
    use super::parallel;
    use crate::arm::mul::tests::{check_vectors, run_a, run_t, Vector};
    use crate::arm::{check_insn, Fail};
    use crate::cpu::CpuState;

    /// Expected values from qemu-arm (cortex-a15) running the same instructions;
    /// operands: r1 = Rd, r2 = Rn (the source of SSAT, SXT*, REV...), r3 = Rm, r4 = Ra.
    /// Inputs are `mul::tests::INPUTS`.
    #[rustfmt::skip]
    const VECTORS: &[Vector] = &[
    (false, 0xe1031052, &[0, 1, 2, 3, 4, 5], &[0xaaaaaa99, 0x0, 0xffffffff, 0x20000000, 0x80000000, 0xf80f0000, 0xff80fe, 0x50000, 0x80000000, 0x180a0000, 0x10000, 0x40000000]), // qadd r1, r2, r3
    (true, 0xfa83f182, &[0, 6], &[0xaaaaaa99, 0x0, 0x19455b1b, 0x60030000]), // qadd r1, r2, r3
    (false, 0xe1231052, &[0, 1, 2, 3, 4, 5], &[0x8acf1347, 0x0, 0x7fffffff, 0x28000000, 0x0, 0xf80f0000, 0xff007f00, 0x50000, 0x80000001, 0x100a0000, 0x10000, 0x40000000]), // qsub r1, r2, r3
    (true, 0xfa83f1a2, &[0, 6], &[0x8acf1347, 0x0, 0xcc0940ad, 0x60030000]), // qsub r1, r2, r3
    (false, 0xe1431052, &[0, 1, 2, 3, 4, 5], &[0xba987642, 0x0, 0xffff8000, 0x28000000, 0x80000000, 0xf80f0000, 0x1ff01fd, 0x50000, 0x80000000, 0x180a0000, 0x10000, 0x40000000]), // qdadd r1, r2, r3
    (true, 0xfa83f192, &[0, 6], &[0xba987642, 0x0, 0x3fe36852, 0x60030000]), // qdadd r1, r2, r3
    (false, 0xe1631052, &[0, 1, 2, 3, 4, 5], &[0x80000000, 0x8000000, 0x7fffffff, 0x28000000, 0x8000, 0xf80f0000, 0xfe00fe01, 0x50000, 0x80000002, 0x100a0000, 0x10000, 0x40000000]), // qdsub r1, r2, r3
    (true, 0xfa83f1b2, &[0, 6], &[0x80000000, 0x8000000, 0xa56b3376, 0x60030000]), // qdsub r1, r2, r3
    (false, 0xe6a71012, &[0, 1, 2, 3, 4, 5], &[0xffffff80, 0x8000000, 0x7f, 0x28000000, 0xffffff80, 0xf80f0000, 0xffffffff, 0x50000, 0xffffff80, 0x180a0000, 0x7f, 0x48000000]), // ssat r1, #8, r2
    (true, 0xf3020107, &[0, 6], &[0xffffff80, 0x8000000, 0xffffff80, 0x68030000]), // ssat r1, #8, r2
    (false, 0xe6a01012, &[0, 1, 2, 3, 4, 5], &[0xffffffff, 0x8000000, 0x0, 0x28000000, 0xffffffff, 0xf80f0000, 0xffffffff, 0x50000, 0xffffffff, 0x180a0000, 0x0, 0x48000000]), // ssat r1, #1, r2
    (true, 0xf3020100, &[0, 6], &[0xffffffff, 0x8000000, 0xffffffff, 0x68030000]), // ssat r1, #1, r2
    (false, 0xe6bf1012, &[0, 1, 2, 3, 4, 5], &[0x9abcdef0, 0x0, 0x7fff8000, 0x20000000, 0x80008000, 0xf80f0000, 0xffffffff, 0x50000, 0x80000000, 0x100a0000, 0x10000, 0x40000000]), // ssat r1, #32, r2
    (true, 0xf302011f, &[0, 6], &[0x9abcdef0, 0x0, 0xf2a74de4, 0x60030000]), // ssat r1, #32, r2
    (false, 0xe6af11d2, &[0, 1, 2, 3, 4, 5], &[0xffff8000, 0x8000000, 0x7fff, 0x28000000, 0xffff8000, 0xf80f0000, 0xffffffff, 0x50000, 0xffff8000, 0x180a0000, 0x2000, 0x40000000]), // ssat r1, #16, r2, asr #3
    (true, 0xf32201cf, &[0, 6], &[0xffff8000, 0x8000000, 0xffff8000, 0x68030000]), // ssat r1, #16, r2, asr #3
    (false, 0xe6af1212, &[0, 1, 2, 3, 4, 5], &[0xffff8000, 0x8000000, 0xffff8000, 0x28000000, 0x7fff, 0xf80f0000, 0xfffffff0, 0x50000, 0x0, 0x100a0000, 0x7fff, 0x48000000]), // ssat r1, #16, r2, lsl #4
    (true, 0xf302110f, &[0, 6], &[0xffff8000, 0x8000000, 0x7fff, 0x68030000]), // ssat r1, #16, r2, lsl #4
    (false, 0xe6af1052, &[0, 1, 2, 3, 4, 5], &[0xffffffff, 0x0, 0x0, 0x20000000, 0xffffffff, 0xf80f0000, 0xffffffff, 0x50000, 0xffffffff, 0x100a0000, 0x0, 0x40000000]), // ssat r1, #16, r2, asr #32
    (false, 0xe6b71fd2, &[0, 1, 2, 3, 4, 5], &[0xffffffff, 0x0, 0x0, 0x20000000, 0xffffffff, 0xf80f0000, 0xffffffff, 0x50000, 0xffffffff, 0x100a0000, 0x0, 0x40000000]), // ssat r1, #24, r2, asr #31
    (true, 0xf32271d7, &[0, 6], &[0xffffffff, 0x0, 0xffffffff, 0x60030000]), // ssat r1, #24, r2, asr #31
    (false, 0xe6e81012, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0xff, 0x28000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0xff, 0x48000000]), // usat r1, #8, r2
    (true, 0xf3820108, &[0, 6], &[0x0, 0x8000000, 0x0, 0x68030000]), // usat r1, #8, r2
    (false, 0xe6e01012, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0x0, 0x28000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0x0, 0x48000000]), // usat r1, #0, r2
    (true, 0xf3820100, &[0, 6], &[0x0, 0x8000000, 0x0, 0x68030000]), // usat r1, #0, r2
    (false, 0xe6ff1012, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0x7fff8000, 0x20000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0x10000, 0x40000000]), // usat r1, #31, r2
    (true, 0xf382011f, &[0, 6], &[0x0, 0x8000000, 0x0, 0x68030000]), // usat r1, #31, r2
    (false, 0xe6f01192, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0x0, 0x28000000, 0xffff, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x100a0000, 0xffff, 0x48000000]), // usat r1, #16, r2, lsl #3
    (true, 0xf38201d0, &[0, 6], &[0x0, 0x8000000, 0x0, 0x68030000]), // usat r1, #16, r2, lsl #3
    (false, 0xe6f013d2, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0xffff, 0x28000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0x200, 0x40000000]), // usat r1, #16, r2, asr #7
    (true, 0xf3a211d0, &[0, 6], &[0x0, 0x8000000, 0x0, 0x68030000]), // usat r1, #16, r2, asr #7
    (false, 0xe6e81052, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0x0, 0x20000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0x0, 0x40000000]), // usat r1, #8, r2, asr #32
    (false, 0xe6a71f32, &[0, 1, 2, 3, 4, 5], &[0xff80ff80, 0x8000000, 0x7fff80, 0x28000000, 0xff80ff80, 0xf80f0000, 0xffffffff, 0x50000, 0xff800000, 0x180a0000, 0x10000, 0x40000000]), // ssat16 r1, #8, r2
    (true, 0xf3220107, &[0, 6], &[0xff80ff80, 0x8000000, 0xff80007f, 0x68030000]), // ssat16 r1, #8, r2
    (false, 0xe6a01f32, &[0, 1, 2, 3, 4, 5], &[0xffffffff, 0x8000000, 0xffff, 0x28000000, 0xffffffff, 0xf80f0000, 0xffffffff, 0x50000, 0xffff0000, 0x180a0000, 0x0, 0x48000000]), // ssat16 r1, #1, r2
    (true, 0xf3220100, &[0, 6], &[0xffffffff, 0x8000000, 0xffff0000, 0x68030000]), // ssat16 r1, #1, r2
    (false, 0xe6af1f32, &[0, 1, 2, 3, 4, 5], &[0x9abcdef0, 0x0, 0x7fff8000, 0x20000000, 0x80008000, 0xf80f0000, 0xffffffff, 0x50000, 0x80000000, 0x100a0000, 0x10000, 0x40000000]), // ssat16 r1, #16, r2
    (true, 0xf322010f, &[0, 6], &[0x9abcdef0, 0x0, 0xf2a74de4, 0x60030000]), // ssat16 r1, #16, r2
    (false, 0xe6e81f32, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0xff0000, 0x28000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0x10000, 0x40000000]), // usat16 r1, #8, r2
    (true, 0xf3a20108, &[0, 6], &[0x0, 0x8000000, 0xff, 0x68030000]), // usat16 r1, #8, r2
    (false, 0xe6e01f32, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0x0, 0x28000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0x0, 0x48000000]), // usat16 r1, #0, r2
    (true, 0xf3a20100, &[0, 6], &[0x0, 0x8000000, 0x0, 0x68030000]), // usat16 r1, #0, r2
    (false, 0xe6ef1f32, &[0, 1, 2, 3, 4, 5], &[0x0, 0x8000000, 0x7fff0000, 0x28000000, 0x0, 0xf80f0000, 0x0, 0x8050000, 0x0, 0x180a0000, 0x10000, 0x40000000]), // usat16 r1, #15, r2
    (true, 0xf3a2010f, &[0, 6], &[0x0, 0x8000000, 0x4de4, 0x68030000]), // usat16 r1, #15, r2
    (false, 0xe6821fb3, &[0, 1, 2, 3, 4, 5], &[0xfedcba9, 0x0, 0x80007fff, 0x20000000, 0x80008000, 0xf80f0000, 0xff80ff, 0x50000, 0x80ff00ff, 0x100a0000, 0x0, 0x40000000]), // sel r1, r2, r3
    (true, 0xfaa2f183, &[0, 6], &[0xfedcba9, 0x0, 0x269e4de4, 0x60030000]), // sel r1, r2, r3
    (false, 0xe781f312, &[0, 1, 2, 3, 4, 5], &[0x116, 0x0, 0x200, 0x20000000, 0x0, 0xf80f0000, 0x17e, 0x50000, 0x37c, 0x100a0000, 0x1, 0x40000000]), // usad8 r1, r2, r3
    (true, 0xfb72f103, &[0, 6], &[0x116, 0x0, 0x1c2, 0x60030000]), // usad8 r1, r2, r3
    (false, 0xe7814312, &[0, 1, 2, 3, 4, 5], &[0x87654437, 0x0, 0x800001ff, 0x20000000, 0x80000000, 0xf80f0000, 0x101027f, 0x50000, 0x7fff037d, 0x100a0000, 0xffff0002, 0x40000000]), // usada8 r1, r2, r3, r4
    (true, 0xfb724103, &[0, 6], &[0x87654437, 0x0, 0x651328d0, 0x60030000]), // usada8 r1, r2, r3, r4
    (false, 0xe6821013, &[0, 1, 2, 3, 4, 5], &[0xfeddef0, 0x0, 0x80008000, 0x20000000, 0x80008000, 0xf80f0000, 0xffffff, 0x50000, 0xffff0000, 0x100a0000, 0x0, 0x40000000]), // pkhbt r1, r2, r3
    (true, 0xeac20103, &[0, 6], &[0xfeddef0, 0x0, 0x269e4de4, 0x60030000]), // pkhbt r1, r2, r3
    (false, 0xe6821213, &[0, 1, 2, 3, 4, 5], &[0xfedcdef0, 0x0, 0x78000, 0x20000000, 0x88000, 0xf80f0000, 0xff8ffff, 0x50000, 0xffff0000, 0x100a0000, 0x0, 0x40000000]), // pkhbt r1, r2, r3, lsl #4
    (true, 0xeac21103, &[0, 6], &[0xfedcdef0, 0x0, 0x69e04de4, 0x60030000]), // pkhbt r1, r2, r3, lsl #4
    (false, 0xe6821253, &[0, 1, 2, 3, 4, 5], &[0x9abcdcba, 0x0, 0x7fff07ff, 0x20000000, 0x80000800, 0xf80f0000, 0xfffff80f, 0x50000, 0x8000ffff, 0x100a0000, 0x10000, 0x40000000]), // pkhtb r1, r2, r3, asr #4
    (true, 0xeac21123, &[0, 6], &[0x9abcdcba, 0x0, 0xf2a7e0d3, 0x60030000]), // pkhtb r1, r2, r3, asr #4
    (false, 0xe6821fd3, &[0, 1, 2, 3, 4, 5], &[0x9abc0000, 0x0, 0x7fffffff, 0x20000000, 0x8000ffff, 0xf80f0000, 0xffff0000, 0x50000, 0x8000ffff, 0x100a0000, 0x10000, 0x40000000]), // pkhtb r1, r2, r3, asr #31
    (true, 0xeac271e3, &[0, 6], &[0x9abc0000, 0x0, 0xf2a70000, 0x60030000]), // pkhtb r1, r2, r3, asr #31
    (false, 0xe6821053, &[0, 1, 2, 3, 4, 5], &[0x9abc0000, 0x0, 0x7fffffff, 0x20000000, 0x8000ffff, 0xf80f0000, 0xffff0000, 0x50000, 0x8000ffff, 0x100a0000, 0x10000, 0x40000000]), // pkhtb r1, r2, r3, asr #32
    (true, 0xeac20123, &[0, 6], &[0x9abc0000, 0x0, 0xf2a70000, 0x60030000]), // pkhtb r1, r2, r3, asr #32
    (false, 0xe6821f93, &[0, 1, 2, 3, 4, 5], &[0x8000def0, 0x0, 0x80008000, 0x20000000, 0x8000, 0xf80f0000, 0x8000ffff, 0x50000, 0x80000000, 0x100a0000, 0x0, 0x40000000]), // pkhbt r1, r2, r3, lsl #31
    (true, 0xeac271c3, &[0, 6], &[0x8000def0, 0x0, 0x80004de4, 0x60030000]), // pkhbt r1, r2, r3, lsl #31
    (false, 0xe6af1072, &[0, 1, 2, 3, 4, 5], &[0xfffffff0, 0x0, 0x0, 0x20000000, 0x0, 0xf80f0000, 0xffffffff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // sxtb r1, r2
    (true, 0xb251, &[0, 6], &[0xfffffff0, 0x0, 0xffffffe4, 0x60030000]), // sxtb r1, r2
    (false, 0xe6af1472, &[0, 1, 2, 3, 4, 5], &[0xffffffde, 0x0, 0xffffff80, 0x20000000, 0xffffff80, 0xf80f0000, 0xffffffff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // sxtb r1, r2, ror #8
    (true, 0xfa4ff192, &[0, 6], &[0xffffffde, 0x0, 0x4d, 0x60030000]), // sxtb r1, r2, ror #8
    (false, 0xe6bf1872, &[0, 1, 2, 3, 4, 5], &[0xffff9abc, 0x0, 0x7fff, 0x20000000, 0xffff8000, 0xf80f0000, 0xffffffff, 0x50000, 0xffff8000, 0x100a0000, 0x1, 0x40000000]), // sxth r1, r2, ror #16
    (true, 0xfa0ff1a2, &[0, 6], &[0xffff9abc, 0x0, 0xfffff2a7, 0x60030000]), // sxth r1, r2, ror #16
    (false, 0xe6bf1072, &[0, 1, 2, 3, 4, 5], &[0xffffdef0, 0x0, 0xffff8000, 0x20000000, 0xffff8000, 0xf80f0000, 0xffffffff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // sxth r1, r2
    (true, 0xb211, &[0, 6], &[0xffffdef0, 0x0, 0x4de4, 0x60030000]), // sxth r1, r2
    (false, 0xe68f1072, &[0, 1, 2, 3, 4, 5], &[0xffbcfff0, 0x0, 0xffff0000, 0x20000000, 0x0, 0xf80f0000, 0xffffffff, 0x50000, 0x0, 0x100a0000, 0x10000, 0x40000000]), // sxtb16 r1, r2
    (true, 0xfa2ff182, &[0, 6], &[0xffbcfff0, 0x0, 0xffa7ffe4, 0x60030000]), // sxtb16 r1, r2
    (false, 0xe68f1c72, &[0, 1, 2, 3, 4, 5], &[0xffdeff9a, 0x0, 0xff80007f, 0x20000000, 0xff80ff80, 0xf80f0000, 0xffffffff, 0x50000, 0xff80, 0x100a0000, 0x0, 0x40000000]), // sxtb16 r1, r2, ror #24
    (true, 0xfa2ff1b2, &[0, 6], &[0xffdeff9a, 0x0, 0x4dfff2, 0x60030000]), // sxtb16 r1, r2, ror #24
    (false, 0xe6ef1c72, &[0, 1, 2, 3, 4, 5], &[0x9a, 0x0, 0x7f, 0x20000000, 0x80, 0xf80f0000, 0xff, 0x50000, 0x80, 0x100a0000, 0x0, 0x40000000]), // uxtb r1, r2, ror #24
    (true, 0xfa5ff1b2, &[0, 6], &[0x9a, 0x0, 0xf2, 0x60030000]), // uxtb r1, r2, ror #24
    (false, 0xe6ff1072, &[0, 1, 2, 3, 4, 5], &[0xdef0, 0x0, 0x8000, 0x20000000, 0x8000, 0xf80f0000, 0xffff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // uxth r1, r2
    (true, 0xb291, &[0, 6], &[0xdef0, 0x0, 0x4de4, 0x60030000]), // uxth r1, r2
    (false, 0xe6ff1472, &[0, 1, 2, 3, 4, 5], &[0xbcde, 0x0, 0xff80, 0x20000000, 0x80, 0xf80f0000, 0xffff, 0x50000, 0x0, 0x100a0000, 0x100, 0x40000000]), // uxth r1, r2, ror #8
    (true, 0xfa1ff192, &[0, 6], &[0xbcde, 0x0, 0xa74d, 0x60030000]), // uxth r1, r2, ror #8
    (false, 0xe6cf1072, &[0, 1, 2, 3, 4, 5], &[0xbc00f0, 0x0, 0xff0000, 0x20000000, 0x0, 0xf80f0000, 0xff00ff, 0x50000, 0x0, 0x100a0000, 0x10000, 0x40000000]), // uxtb16 r1, r2
    (true, 0xfa3ff182, &[0, 6], &[0xbc00f0, 0x0, 0xa700e4, 0x60030000]), // uxtb16 r1, r2
    (false, 0xe6cf1472, &[0, 1, 2, 3, 4, 5], &[0x9a00de, 0x0, 0x7f0080, 0x20000000, 0x800080, 0xf80f0000, 0xff00ff, 0x50000, 0x800000, 0x100a0000, 0x0, 0x40000000]), // uxtb16 r1, r2, ror #8
    (true, 0xfa3ff192, &[0, 6], &[0x9a00de, 0x0, 0xf2004d, 0x60030000]), // uxtb16 r1, r2, ror #8
    (false, 0xe6a21073, &[0, 1, 2, 3, 4, 5], &[0x9abcde99, 0x0, 0x7fff7fff, 0x20000000, 0x80008000, 0xf80f0000, 0xfffffffe, 0x50000, 0x7fffffff, 0x100a0000, 0x10000, 0x40000000]), // sxtab r1, r2, r3
    (true, 0xfa42f183, &[0, 6], &[0x9abcde99, 0x0, 0xf2a74e1b, 0x60030000]), // sxtab r1, r2, r3
    (false, 0xe6b21473, &[0, 1, 2, 3, 4, 5], &[0x9abcccbb, 0x0, 0x7fff807f, 0x20000000, 0x80008080, 0xf80f0000, 0xffffff7f, 0x50000, 0x7fffffff, 0x100a0000, 0x10000, 0x40000000]), // sxtah r1, r2, r3, ror #8
    (true, 0xfa02f193, &[0, 6], &[0x9abcccbb, 0x0, 0xf2a6ebf1, 0x60030000]), // sxtah r1, r2, r3, ror #8
    (false, 0xe6821073, &[0, 1, 2, 3, 4, 5], &[0x9aa9de99, 0x0, 0x7fff7fff, 0x20000000, 0x80008000, 0xf80f0000, 0xfffefffe, 0x50000, 0x7fffffff, 0x100a0000, 0x10000, 0x40000000]), // sxtab16 r1, r2, r3
    (true, 0xfa22f183, &[0, 6], &[0x9aa9de99, 0x0, 0xf2454e1b, 0x60030000]), // sxtab16 r1, r2, r3
    (false, 0xe6821873, &[0, 1, 2, 3, 4, 5], &[0x9a65dedd, 0x0, 0x7ffe8000, 0x20000000, 0x80008000, 0xf80f0000, 0xfffefffe, 0x50000, 0x7fffffff, 0x100a0000, 0x10000, 0x40000000]), // sxtab16 r1, r2, r3, ror #16
    (true, 0xfa22f1a3, &[0, 6], &[0x9a65dedd, 0x0, 0xf2de4d82, 0x60030000]), // sxtab16 r1, r2, r3, ror #16
    (false, 0xe6e21873, &[0, 1, 2, 3, 4, 5], &[0x9abcdfdd, 0x0, 0x7fff8000, 0x20000000, 0x80008000, 0xf80f0000, 0xfe, 0x50000, 0x800000ff, 0x100a0000, 0x10000, 0x40000000]), // uxtab r1, r2, r3, ror #16
    (true, 0xfa52f1a3, &[0, 6], &[0x9abcdfdd, 0x0, 0xf2a74e82, 0x60030000]), // uxtab r1, r2, r3, ror #16
    (false, 0xe6f21073, &[0, 1, 2, 3, 4, 5], &[0x9abdaa99, 0x0, 0x7fffffff, 0x20000000, 0x80010000, 0xf80f0000, 0x80fe, 0x50000, 0x8000ffff, 0x100a0000, 0x10000, 0x40000000]), // uxtah r1, r2, r3
    (true, 0xfa12f183, &[0, 6], &[0x9abdaa99, 0x0, 0xf2a75b1b, 0x60030000]), // uxtah r1, r2, r3
    (false, 0xe6c21073, &[0, 1, 2, 3, 4, 5], &[0x9ba9df99, 0x0, 0x7fff80ff, 0x20000000, 0x80008000, 0xf80f0000, 0xfe00fe, 0x50000, 0x80ff00ff, 0x100a0000, 0x10000, 0x40000000]), // uxtab16 r1, r2, r3
    (true, 0xfa32f183, &[0, 6], &[0x9ba9df99, 0x0, 0xf3454e1b, 0x60030000]), // uxtab16 r1, r2, r3
    (false, 0xe6c21c73, &[0, 1, 2, 3, 4, 5], &[0x9b87deff, 0x0, 0x807e8080, 0x20000000, 0x80808080, 0xf80f0000, 0x7fffff, 0x50000, 0x80ff00ff, 0x100a0000, 0x10000, 0x40000000]), // uxtab16 r1, r2, r3, ror #24
    (true, 0xfa32f1b3, &[0, 6], &[0x9b87deff, 0x0, 0xf2b44e0a, 0x60030000]), // uxtab16 r1, r2, r3, ror #24
    (false, 0xe7cb121f, &[0, 1, 2, 3, 4, 5], &[0x12345008, 0x0, 0x7ffff00f, 0x20000000, 0x80000000, 0xf80f0000, 0x0, 0x50000, 0x1, 0x100a0000, 0xdeadb00f, 0x40000000]), // bfc r1, #4, #8
    (true, 0xf36f110b, &[0, 6], &[0x12345008, 0x0, 0x52e6b008, 0x60030000]), // bfc r1, #4, #8
    (false, 0xe7df101f, &[0, 1, 2, 3, 4, 5], &[0x0, 0x0, 0x0, 0x20000000, 0x0, 0xf80f0000, 0x0, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // bfc r1, #0, #32
    (true, 0xf36f011f, &[0, 6], &[0x0, 0x0, 0x0, 0x60030000]), // bfc r1, #0, #32
    (false, 0xe7cb1212, &[0, 1, 2, 3, 4, 5], &[0x12345f08, 0x0, 0x7ffff00f, 0x20000000, 0x80000000, 0xf80f0000, 0xff0, 0x50000, 0x1, 0x100a0000, 0xdeadb00f, 0x40000000]), // bfi r1, r2, #4, #8
    (true, 0xf362110b, &[0, 6], &[0x12345f08, 0x0, 0x52e6be48, 0x60030000]), // bfi r1, r2, #4, #8
    (false, 0xe7df1012, &[0, 1, 2, 3, 4, 5], &[0x9abcdef0, 0x0, 0x7fff8000, 0x20000000, 0x80008000, 0xf80f0000, 0xffffffff, 0x50000, 0x80000000, 0x100a0000, 0x10000, 0x40000000]), // bfi r1, r2, #0, #32
    (true, 0xf362011f, &[0, 6], &[0x9abcdef0, 0x0, 0xf2a74de4, 0x60030000]), // bfi r1, r2, #0, #32
    (false, 0xe7df1f92, &[0, 1, 2, 3, 4, 5], &[0x12345678, 0x0, 0x7fffffff, 0x20000000, 0x0, 0xf80f0000, 0x80000000, 0x50000, 0x1, 0x100a0000, 0x5eadbeef, 0x40000000]), // bfi r1, r2, #31, #1
    (true, 0xf36271df, &[0, 6], &[0x12345678, 0x0, 0x52e6b438, 0x60030000]), // bfi r1, r2, #31, #1
    (false, 0xe7e71252, &[0, 1, 2, 3, 4, 5], &[0xef, 0x0, 0x0, 0x20000000, 0x0, 0xf80f0000, 0xff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // ubfx r1, r2, #4, #8
    (true, 0xf3c21107, &[0, 6], &[0xef, 0x0, 0xde, 0x60030000]), // ubfx r1, r2, #4, #8
    (false, 0xe7ff1052, &[0, 1, 2, 3, 4, 5], &[0x9abcdef0, 0x0, 0x7fff8000, 0x20000000, 0x80008000, 0xf80f0000, 0xffffffff, 0x50000, 0x80000000, 0x100a0000, 0x10000, 0x40000000]), // ubfx r1, r2, #0, #32
    (true, 0xf3c2011f, &[0, 6], &[0x9abcdef0, 0x0, 0xf2a74de4, 0x60030000]), // ubfx r1, r2, #0, #32
    (false, 0xe7e01fd2, &[0, 1, 2, 3, 4, 5], &[0x1, 0x0, 0x0, 0x20000000, 0x1, 0xf80f0000, 0x1, 0x50000, 0x1, 0x100a0000, 0x0, 0x40000000]), // ubfx r1, r2, #31, #1
    (true, 0xf3c271c0, &[0, 6], &[0x1, 0x0, 0x1, 0x60030000]), // ubfx r1, r2, #31, #1
    (false, 0xe7a71252, &[0, 1, 2, 3, 4, 5], &[0xffffffef, 0x0, 0x0, 0x20000000, 0x0, 0xf80f0000, 0xffffffff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // sbfx r1, r2, #4, #8
    (true, 0xf3421107, &[0, 6], &[0xffffffef, 0x0, 0xffffffde, 0x60030000]), // sbfx r1, r2, #4, #8
    (false, 0xe7bf1052, &[0, 1, 2, 3, 4, 5], &[0x9abcdef0, 0x0, 0x7fff8000, 0x20000000, 0x80008000, 0xf80f0000, 0xffffffff, 0x50000, 0x80000000, 0x100a0000, 0x10000, 0x40000000]), // sbfx r1, r2, #0, #32
    (true, 0xf342011f, &[0, 6], &[0x9abcdef0, 0x0, 0xf2a74de4, 0x60030000]), // sbfx r1, r2, #0, #32
    (false, 0xe7a31e52, &[0, 1, 2, 3, 4, 5], &[0xfffffff9, 0x0, 0x7, 0x20000000, 0xfffffff8, 0xf80f0000, 0xffffffff, 0x50000, 0xfffffff8, 0x100a0000, 0x0, 0x40000000]), // sbfx r1, r2, #28, #4
    (true, 0xf3427103, &[0, 6], &[0xfffffff9, 0x0, 0xffffffff, 0x60030000]), // sbfx r1, r2, #28, #4
    (false, 0xe16f1f12, &[0, 1, 2, 3, 4, 5], &[0x0, 0x0, 0x1, 0x20000000, 0x0, 0xf80f0000, 0x0, 0x50000, 0x0, 0x100a0000, 0xf, 0x40000000]), // clz r1, r2
    (true, 0xfab2f182, &[0, 6], &[0x0, 0x0, 0x0, 0x60030000]), // clz r1, r2
    (false, 0xe16f1f14, &[0, 1, 2, 3, 4, 5], &[0x0, 0x0, 0x1, 0x20000000, 0x0, 0xf80f0000, 0x7, 0x50000, 0x1, 0x100a0000, 0x0, 0x40000000]), // clz r1, r4
    (true, 0xfab4f184, &[0, 6], &[0x0, 0x0, 0x1, 0x60030000]), // clz r1, r4
    (false, 0xe16f1f11, &[0, 1, 2, 3, 4, 5], &[0x3, 0x0, 0x1, 0x20000000, 0x0, 0xf80f0000, 0x20, 0x50000, 0x1f, 0x100a0000, 0x0, 0x40000000]), // clz r1, r1
    (true, 0xfab1f181, &[0, 6], &[0x3, 0x0, 0x1, 0x60030000]), // clz r1, r1
    (false, 0xe6ff1f33, &[0, 1, 2, 3, 4, 5], &[0x95d3b7f0, 0x0, 0xfffe0001, 0x20000000, 0x10001, 0xf80f0000, 0xff01ff00, 0x50000, 0xffffffff, 0x100a0000, 0x0, 0x40000000]), // rbit r1, r3
    (true, 0xfa93f1a3, &[0, 6], &[0x95d3b7f0, 0x0, 0xecb07964, 0x60030000]), // rbit r1, r3
    (false, 0xe6bf1f33, &[0, 1, 2, 3, 4, 5], &[0xa9cbed0f, 0x0, 0xff7f0080, 0x20000000, 0x800080, 0xf80f0000, 0xff80ff00, 0x50000, 0xffffffff, 0x100a0000, 0x0, 0x40000000]), // rev r1, r3
    (true, 0xba19, &[0, 6], &[0xa9cbed0f, 0x0, 0x370d9e26, 0x60030000]), // rev r1, r3
    (false, 0xe6ff1fb3, &[0, 1, 2, 3, 4, 5], &[0xffffa9cb, 0x0, 0xffffff7f, 0x20000000, 0x80, 0xf80f0000, 0xffffff80, 0x50000, 0xffffffff, 0x100a0000, 0x0, 0x40000000]), // revsh r1, r3
    (true, 0xbad9, &[0, 6], &[0xffffa9cb, 0x0, 0x370d, 0x60030000]), // revsh r1, r3
    (false, 0xe6ff1f32, &[0, 1, 2, 3, 4, 5], &[0xf7b3d59, 0x0, 0x1fffe, 0x20000000, 0x10001, 0xf80f0000, 0xffffffff, 0x50000, 0x1, 0x100a0000, 0x8000, 0x40000000]), // rbit r1, r2
    (true, 0xfa92f1a2, &[0, 6], &[0xf7b3d59, 0x0, 0x27b2e54f, 0x60030000]), // rbit r1, r2
    (false, 0xe6bf1f32, &[0, 1, 2, 3, 4, 5], &[0xf0debc9a, 0x0, 0x80ff7f, 0x20000000, 0x800080, 0xf80f0000, 0xffffffff, 0x50000, 0x80, 0x100a0000, 0x100, 0x40000000]), // rev r1, r2
    (true, 0xba11, &[0, 6], &[0xf0debc9a, 0x0, 0xe44da7f2, 0x60030000]), // rev r1, r2
    (false, 0xe6bf1fb2, &[0, 1, 2, 3, 4, 5], &[0xbc9af0de, 0x0, 0xff7f0080, 0x20000000, 0x800080, 0xf80f0000, 0xffffffff, 0x50000, 0x800000, 0x100a0000, 0x1000000, 0x40000000]), // rev16 r1, r2
    (true, 0xba51, &[0, 6], &[0xbc9af0de, 0x0, 0xa7f2e44d, 0x60030000]), // rev16 r1, r2
    (false, 0xe6ff1fb2, &[0, 1, 2, 3, 4, 5], &[0xfffff0de, 0x0, 0x80, 0x20000000, 0x80, 0xf80f0000, 0xffffffff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000]), // revsh r1, r2
    (true, 0xbad1, &[0, 6], &[0xfffff0de, 0x0, 0xffffe44d, 0x60030000]), // revsh r1, r2
    (false, 0xe6121f13, &[0, 1, 2, 3, 4, 5], &[0xaaa9aa99, 0x0, 0xffffffff, 0x20000000, 0x0, 0xf8000000, 0xfe80fe, 0xc0000, 0x7fffffff, 0x10000000, 0x10000, 0x400f0000]), // sadd16 r1, r2, r3
    (true, 0xfa92f103, &[0, 6], &[0xaaa9aa99, 0x0, 0x19455b1b, 0x600f0000]), // sadd16 r1, r2, r3
    (false, 0xe6121f33, &[0, 1, 2, 3, 4, 5], &[0x6665cf03, 0x0, 0xfffe0000, 0x200f0000, 0x0, 0xf8030000, 0x80feff00, 0x0, 0x7fff0001, 0x10030000, 0x10000, 0x400f0000]), // sasx r1, r2, r3
    (true, 0xfaa2f103, &[0, 6], &[0x6665cf03, 0x0, 0xffde2746, 0x60030000]), // sasx r1, r2, r3
    (false, 0xe6121f53, &[0, 1, 2, 3, 4, 5], &[0xcf13eedd, 0x0, 0x0, 0x200c0000, 0x0, 0xf80c0000, 0x7f0000fe, 0xf0000, 0x8001ffff, 0x10000000, 0x10000, 0x400f0000]), // ssax r1, r2, r3
    (true, 0xfae2f103, &[0, 6], &[0xcf13eedd, 0x0, 0xe5707482, 0x60030000]), // ssax r1, r2, r3
    (false, 0xe6121f73, &[0, 1, 2, 3, 4, 5], &[0x8acf1347, 0x30000, 0xffff0001, 0x200c0000, 0x0, 0xf80f0000, 0xff007f00, 0x30000, 0x80010001, 0x10030000, 0x10000, 0x400f0000]), // ssub16 r1, r2, r3
    (true, 0xfad2f103, &[0, 6], &[0x8acf1347, 0x30000, 0xcc0940ad, 0x60030000]), // ssub16 r1, r2, r3
    (false, 0xe6121f93, &[0, 1, 2, 3, 4, 5], &[0xa9a9a999, 0x0, 0xffffffff, 0x20000000, 0x0, 0xf8050000, 0xfffe7ffe, 0x0, 0x7fffffff, 0x10000000, 0x10000, 0x400f0000]), // sadd8 r1, r2, r3
    (true, 0xfa82f103, &[0, 6], &[0xa9a9a999, 0x0, 0x18455a1b, 0x600b0000]), // sadd8 r1, r2, r3
    (false, 0xe6121ff3, &[0, 1, 2, 3, 4, 5], &[0x8bcf1347, 0x30000, 0xffff0101, 0x20090000, 0x0, 0xf80f0000, 0xff007f00, 0x70000, 0x81010101, 0x10070000, 0x10000, 0x400f0000]), // ssub8 r1, r2, r3
    (true, 0xfac2f103, &[0, 6], &[0x8bcf1347, 0x30000, 0xcc0940ad, 0x60060000]), // ssub8 r1, r2, r3
    (false, 0xe6221f13, &[0, 1, 2, 3, 4, 5], &[0xaaa9aa99, 0x0, 0xffffffff, 0x20000000, 0x80008000, 0xf80f0000, 0xfe80fe, 0x50000, 0x8000ffff, 0x100a0000, 0x10000, 0x40000000]), // qadd16 r1, r2, r3
    (true, 0xfa92f113, &[0, 6], &[0xaaa9aa99, 0x0, 0x19455b1b, 0x60030000]), // qadd16 r1, r2, r3
    (false, 0xe6221f33, &[0, 1, 2, 3, 4, 5], &[0x8000cf03, 0x0, 0x7fff0000, 0x20000000, 0x80000000, 0xf80f0000, 0x80feff00, 0x50000, 0x80000001, 0x100a0000, 0x10000, 0x40000000]), // qasx r1, r2, r3
    (true, 0xfaa2f113, &[0, 6], &[0x8000cf03, 0x0, 0xffde2746, 0x60030000]), // qasx r1, r2, r3
    (false, 0xe6221f53, &[0, 1, 2, 3, 4, 5], &[0xcf13eedd, 0x0, 0x8000, 0x20000000, 0x8000, 0xf80f0000, 0x7f0000fe, 0x50000, 0x8001ffff, 0x100a0000, 0x10000, 0x40000000]), // qsax r1, r2, r3
    (true, 0xfae2f113, &[0, 6], &[0xcf13eedd, 0x0, 0xe5707482, 0x60030000]), // qsax r1, r2, r3
    (false, 0xe6221f73, &[0, 1, 2, 3, 4, 5], &[0x8acf1347, 0x0, 0x7fff8000, 0x20000000, 0x0, 0xf80f0000, 0xff007f00, 0x50000, 0x80010001, 0x100a0000, 0x10000, 0x40000000]), // qsub16 r1, r2, r3
    (true, 0xfad2f113, &[0, 6], &[0x8acf1347, 0x0, 0xcc0940ad, 0x60030000]), // qsub16 r1, r2, r3
    (false, 0xe6221f93, &[0, 1, 2, 3, 4, 5], &[0xa9a9a999, 0x0, 0xffffffff, 0x20000000, 0x80008000, 0xf80f0000, 0xfffe80fe, 0x50000, 0x80ffffff, 0x100a0000, 0x10000, 0x40000000]), // qadd8 r1, r2, r3
    (true, 0xfa82f113, &[0, 6], &[0xa9a9a999, 0x0, 0x18805a1b, 0x60030000]), // qadd8 r1, r2, r3
    (false, 0xe6221ff3, &[0, 1, 2, 3, 4, 5], &[0x8bcf1347, 0x0, 0x7fff8001, 0x20000000, 0x0, 0xf80f0000, 0xff007f00, 0x50000, 0x81010101, 0x100a0000, 0x10000, 0x40000000]), // qsub8 r1, r2, r3
    (true, 0xfac2f113, &[0, 6], &[0x8bcf1347, 0x0, 0xcc0940ad, 0x60030000]), // qsub8 r1, r2, r3
    (false, 0xe6321f13, &[0, 1, 2, 3, 4, 5], &[0xd554d54c, 0x0, 0xffffffff, 0x20000000, 0x80008000, 0xf80f0000, 0x7fc07f, 0x50000, 0xbfffffff, 0x100a0000, 0x0, 0x40000000]), // shadd16 r1, r2, r3
    (true, 0xfa92f123, &[0, 6], &[0xd554d54c, 0x0, 0xca22d8d, 0x60030000]), // shadd16 r1, r2, r3
    (false, 0xe6321f33, &[0, 1, 2, 3, 4, 5], &[0xb332e781, 0x0, 0x7fff0000, 0x20000000, 0x80000000, 0xf80f0000, 0xc07fff80, 0x50000, 0xbfff0000, 0x100a0000, 0x0, 0x40000000]), // shasx r1, r2, r3
    (true, 0xfaa2f123, &[0, 6], &[0xb332e781, 0x0, 0xffef13a3, 0x60030000]), // shasx r1, r2, r3
    (false, 0xe6321f53, &[0, 1, 2, 3, 4, 5], &[0xe789f76e, 0x0, 0x8000, 0x20000000, 0x8000, 0xf80f0000, 0x3f80007f, 0x50000, 0xc000ffff, 0x100a0000, 0x0, 0x40000000]), // shsax r1, r2, r3
    (true, 0xfae2f123, &[0, 6], &[0xe789f76e, 0x0, 0xf2b83a41, 0x60030000]), // shsax r1, r2, r3
    (false, 0xe6321f73, &[0, 1, 2, 3, 4, 5], &[0xc56709a3, 0x0, 0x7fff8000, 0x20000000, 0x0, 0xf80f0000, 0xff803f80, 0x50000, 0xc0000000, 0x100a0000, 0x0, 0x40000000]), // shsub16 r1, r2, r3
    (true, 0xfad2f123, &[0, 6], &[0xc56709a3, 0x0, 0xe6042056, 0x60030000]), // shsub16 r1, r2, r3
    (false, 0xe6321f93, &[0, 1, 2, 3, 4, 5], &[0xd4d4d4cc, 0x0, 0xffffffff, 0x20000000, 0x80008000, 0xf80f0000, 0xffffbfff, 0x50000, 0xbfffffff, 0x100a0000, 0x0, 0x40000000]), // shadd8 r1, r2, r3
    (true, 0xfa82f123, &[0, 6], &[0xd4d4d4cc, 0x0, 0xca22d0d, 0x60030000]), // shadd8 r1, r2, r3
    (false, 0xe6321ff3, &[0, 1, 2, 3, 4, 5], &[0xc5e70923, 0x0, 0x7fff8000, 0x20000000, 0x0, 0xf80f0000, 0xff003f00, 0x50000, 0xc0000000, 0x100a0000, 0x0, 0x40000000]), // shsub8 r1, r2, r3
    (true, 0xfac2f123, &[0, 6], &[0xc5e70923, 0x0, 0xe60420d6, 0x60030000]), // shsub8 r1, r2, r3
    (false, 0xe6521f13, &[0, 1, 2, 3, 4, 5], &[0xaaa9aa99, 0x30000, 0xffffffff, 0x20000000, 0x0, 0xf80f0000, 0xfe80fe, 0xf0000, 0x7fffffff, 0x100c0000, 0x10000, 0x40000000]), // uadd16 r1, r2, r3
    (true, 0xfa92f143, &[0, 6], &[0xaaa9aa99, 0x30000, 0x19455b1b, 0x600c0000]), // uadd16 r1, r2, r3
    (false, 0xe6521f33, &[0, 1, 2, 3, 4, 5], &[0x6665cf03, 0xf0000, 0xfffe0000, 0x20030000, 0x0, 0xf80f0000, 0x80feff00, 0xf0000, 0x7fff0001, 0x100c0000, 0x10000, 0x40030000]), // uasx r1, r2, r3
    (true, 0xfaa2f143, &[0, 6], &[0x6665cf03, 0xf0000, 0xffde2746, 0x60030000]), // uasx r1, r2, r3
    (false, 0xe6521f53, &[0, 1, 2, 3, 4, 5], &[0xcf13eedd, 0x0, 0x0, 0x200f0000, 0x0, 0xf80f0000, 0x7f0000fe, 0xf0000, 0x8001ffff, 0x10000000, 0x10000, 0x400c0000]), // usax r1, r2, r3
    (true, 0xfae2f143, &[0, 6], &[0xcf13eedd, 0x0, 0xe5707482, 0x600c0000]), // usax r1, r2, r3
    (false, 0xe6521f73, &[0, 1, 2, 3, 4, 5], &[0x8acf1347, 0xf0000, 0xffff0001, 0x20030000, 0x0, 0xf80f0000, 0xff007f00, 0xf0000, 0x80010001, 0x10000000, 0x10000, 0x400f0000]), // usub16 r1, r2, r3
    (true, 0xfad2f143, &[0, 6], &[0x8acf1347, 0xf0000, 0xcc0940ad, 0x600f0000]), // usub16 r1, r2, r3
    (false, 0xe6521f93, &[0, 1, 2, 3, 4, 5], &[0xa9a9a999, 0x70000, 0xffffffff, 0x20000000, 0x0, 0xf80a0000, 0xfffe7ffe, 0x70000, 0x7fffffff, 0x10080000, 0x10000, 0x40000000]), // uadd8 r1, r2, r3
    (true, 0xfa82f143, &[0, 6], &[0xa9a9a999, 0x70000, 0x18455a1b, 0x600d0000]), // uadd8 r1, r2, r3
    (false, 0xe6521ff3, &[0, 1, 2, 3, 4, 5], &[0x8bcf1347, 0xb0000, 0xffff0101, 0x20060000, 0x0, 0xf80f0000, 0xff007f00, 0xf0000, 0x81010101, 0x10000000, 0x10000, 0x400f0000]), // usub8 r1, r2, r3
    (true, 0xfac2f143, &[0, 6], &[0x8bcf1347, 0xb0000, 0xcc0940ad, 0x600f0000]), // usub8 r1, r2, r3
    (false, 0xe6621f13, &[0, 1, 2, 3, 4, 5], &[0xaaa9ffff, 0x0, 0xffffffff, 0x20000000, 0xffffffff, 0xf80f0000, 0xffffffff, 0x50000, 0xffffffff, 0x100a0000, 0x10000, 0x40000000]), // uqadd16 r1, r2, r3
    (true, 0xfa92f153, &[0, 6], &[0xaaa9ffff, 0x0, 0xffff5b1b, 0x60030000]), // uqadd16 r1, r2, r3
    (false, 0xe6621f33, &[0, 1, 2, 3, 4, 5], &[0xffffcf03, 0x0, 0xfffe0000, 0x20000000, 0xffff0000, 0xf80f0000, 0xffffff00, 0x50000, 0xffff0000, 0x100a0000, 0x10000, 0x40000000]), // uqasx r1, r2, r3
    (true, 0xfaa2f153, &[0, 6], &[0xffffcf03, 0x0, 0xffde2746, 0x60030000]), // uqasx r1, r2, r3
    (false, 0xe6621f53, &[0, 1, 2, 3, 4, 5], &[0xeedd, 0x0, 0xffff, 0x20000000, 0xffff, 0xf80f0000, 0x7f00ffff, 0x50000, 0xffff, 0x100a0000, 0x10000, 0x40000000]), // uqsax r1, r2, r3
    (true, 0xfae2f153, &[0, 6], &[0xeedd, 0x0, 0xe5707482, 0x60030000]), // uqsax r1, r2, r3
    (false, 0xe6621f73, &[0, 1, 2, 3, 4, 5], &[0x8acf1347, 0x0, 0x1, 0x20000000, 0x0, 0xf80f0000, 0xff007f00, 0x50000, 0x0, 0x100a0000, 0x10000, 0x40000000]), // uqsub16 r1, r2, r3
    (true, 0xfad2f153, &[0, 6], &[0x8acf1347, 0x0, 0xcc0940ad, 0x60030000]), // uqsub16 r1, r2, r3
    (false, 0xe6621f93, &[0, 1, 2, 3, 4, 5], &[0xa9ffffff, 0x0, 0xffffffff, 0x20000000, 0xff00ff00, 0xf80f0000, 0xffffffff, 0x50000, 0xffffffff, 0x100a0000, 0x10000, 0x40000000]), // uqadd8 r1, r2, r3
    (true, 0xfa82f153, &[0, 6], &[0xa9ffffff, 0x0, 0xffff5aff, 0x60030000]), // uqadd8 r1, r2, r3
    (false, 0xe6621ff3, &[0, 1, 2, 3, 4, 5], &[0x8b001347, 0x0, 0xff0100, 0x20000000, 0x0, 0xf80f0000, 0xff007f00, 0x50000, 0x0, 0x100a0000, 0x10000, 0x40000000]), // uqsub8 r1, r2, r3
    (true, 0xfac2f153, &[0, 6], &[0x8b001347, 0x0, 0xcc0940ad, 0x60030000]), // uqsub8 r1, r2, r3
    (false, 0xe6721f13, &[0, 1, 2, 3, 4, 5], &[0x5554d54c, 0x0, 0x7fff7fff, 0x20000000, 0x80008000, 0xf80f0000, 0x807fc07f, 0x50000, 0xbfff7fff, 0x100a0000, 0x0, 0x40000000]), // uhadd16 r1, r2, r3
    (true, 0xfa92f163, &[0, 6], &[0x5554d54c, 0x0, 0x8ca22d8d, 0x60030000]), // uhadd16 r1, r2, r3
    (false, 0xe6721f33, &[0, 1, 2, 3, 4, 5], &[0xb3326781, 0x0, 0x7fff0000, 0x20000000, 0x80000000, 0xf80f0000, 0xc07f7f80, 0x50000, 0xbfff8000, 0x100a0000, 0x0, 0x40000000]), // uhasx r1, r2, r3
    (true, 0xfaa2f163, &[0, 6], &[0xb3326781, 0x0, 0x7fef13a3, 0x60030000]), // uhasx r1, r2, r3
    (false, 0xe6721f53, &[0, 1, 2, 3, 4, 5], &[0xe789776e, 0x0, 0x8000, 0x20000000, 0x8000, 0xf80f0000, 0x3f80807f, 0x50000, 0xc0007fff, 0x100a0000, 0x0, 0x40000000]), // uhsax r1, r2, r3
    (true, 0xfae2f163, &[0, 6], &[0xe789776e, 0x0, 0x72b83a41, 0x60030000]), // uhsax r1, r2, r3
    (false, 0xe6721f73, &[0, 1, 2, 3, 4, 5], &[0x456709a3, 0x0, 0xffff0000, 0x20000000, 0x0, 0xf80f0000, 0x7f803f80, 0x50000, 0xc0008000, 0x100a0000, 0x0, 0x40000000]), // uhsub16 r1, r2, r3
    (true, 0xfad2f163, &[0, 6], &[0x456709a3, 0x0, 0x66042056, 0x60030000]), // uhsub16 r1, r2, r3
    (false, 0xe6721f93, &[0, 1, 2, 3, 4, 5], &[0x54d4d4cc, 0x0, 0x7f7f7f7f, 0x20000000, 0x80008000, 0xf80f0000, 0x7fffbfff, 0x50000, 0xbf7f7f7f, 0x100a0000, 0x0, 0x40000000]), // uhadd8 r1, r2, r3
    (true, 0xfa82f163, &[0, 6], &[0x54d4d4cc, 0x0, 0x8ca22d8d, 0x60030000]), // uhadd8 r1, r2, r3
    (false, 0xe6721ff3, &[0, 1, 2, 3, 4, 5], &[0x45e70923, 0x0, 0xff7f0080, 0x20000000, 0x0, 0xf80f0000, 0x7f003f00, 0x50000, 0xc0808080, 0x100a0000, 0x0, 0x40000000]), // uhsub8 r1, r2, r3
    (true, 0xfac2f163, &[0, 6], &[0x45e70923, 0x0, 0x66042056, 0x60030000]), // uhsub8 r1, r2, r3
    (true, 0xba11, &[0, 1, 2], &[0xf0debc9a, 0x0, 0x80ff7f, 0x20000000, 0x800080, 0xf80f0000]), // rev r1, r2
    (true, 0xba51, &[0, 1, 2], &[0xbc9af0de, 0x0, 0xff7f0080, 0x20000000, 0x800080, 0xf80f0000]), // rev16 r1, r2
    (true, 0xbad1, &[0, 1, 2], &[0xfffff0de, 0x0, 0x80, 0x20000000, 0x80, 0xf80f0000]), // revsh r1, r2
    (true, 0xb211, &[0, 1, 2], &[0xffffdef0, 0x0, 0xffff8000, 0x20000000, 0xffff8000, 0xf80f0000]), // sxth r1, r2
    (true, 0xb251, &[0, 1, 2], &[0xfffffff0, 0x0, 0x0, 0x20000000, 0x0, 0xf80f0000]), // sxtb r1, r2
    (true, 0xb291, &[0, 1, 2], &[0xdef0, 0x0, 0x8000, 0x20000000, 0x8000, 0xf80f0000]), // uxth r1, r2
    (true, 0xb2d1, &[0, 1, 2], &[0xf0, 0x0, 0x0, 0x20000000, 0x0, 0xf80f0000]), // uxtb r1, r2
    ];

    #[test]
    fn differential_vectors() {
        check_vectors(VECTORS);
    }

    #[test]
    fn parallel_ge_rules() {
        // SADD16: GE from the sign of each exact sum.
        assert_eq!(parallel(0x7fff_8000, 0x0001_ffff, 0, 0), (0x8000_7fff, Some(0b1100)));
        // UADD16: GE from the carry out of each halfword.
        assert_eq!(parallel(0xffff_0001, 0x0001_ffff, 3, 0), (0x0000_0000, Some(0b1111)));
        // USUB8: GE where no borrow.
        assert_eq!(parallel(0x0102_0304, 0x0203_0203, 3, 5), (0xffff_0101, Some(0b0011)));
        // QADD8 saturates and leaves GE alone; UHSUB16 halves the exact difference.
        assert_eq!(parallel(0x7f80_0000, 0x0180_0000, 1, 4), (0x7f80_0000, None));
        assert_eq!(parallel(0x0000_0000, 0x0001_0002, 5, 3), (0xffff_ffff, None));
    }

    #[test]
    fn sel_picks_bytes_by_ge() {
        let mut cpu = CpuState::new();
        cpu.r[2] = 0x1122_3344;
        cpu.r[3] = 0xaabb_ccdd;
        cpu.ge = 0b0101;
        run_a(&mut cpu, &[0xe6821fb3]); // sel r1, r2, r3
        assert_eq!(cpu.r[1], 0xaa22_cc44);
        cpu.ge = 0b1010;
        run_t(&mut cpu, &[0xfaa2, 0xf183]);
        assert_eq!(cpu.r[1], 0x11bb_33dd);
    }

    #[test]
    fn q_flag_of_saturation() {
        // QADD sets Q on overflow; it is sticky.
        let mut cpu = CpuState::new();
        cpu.r[2] = 0x7fff_ffff;
        cpu.r[3] = 1;
        run_a(&mut cpu, &[0xe1031052]); // qadd r1, r2, r3
        assert_eq!((cpu.r[1], cpu.q), (0x7fff_ffff, 1));
        cpu.r[2] = 5;
        run_a(&mut cpu, &[0xe1031052]);
        assert_eq!((cpu.r[1], cpu.q), (6, 1));
        // QDSUB: the doubling saturates too (2 * 0x80000000 -> 0x80000000), then 0 - that.
        let mut cpu = CpuState::new();
        cpu.r[2] = 0;
        cpu.r[3] = 0x8000_0000;
        run_a(&mut cpu, &[0xe1631052]); // qdsub r1, r2, r3
        assert_eq!((cpu.r[1], cpu.q), (0x7fff_ffff, 1));
        // USAT #8 of a negative value.
        let mut cpu = CpuState::new();
        cpu.r[2] = 0xffff_ff00;
        run_t(&mut cpu, &[0xf382, 0x0108]); // usat r1, #8, r2
        assert_eq!((cpu.r[1], cpu.q), (0, 1));
        // SSAT #8 within range leaves Q clear.
        let mut cpu = CpuState::new();
        cpu.r[2] = 0xffff_ff80;
        run_t(&mut cpu, &[0xf302, 0x0107]); // ssat r1, #8, r2
        assert_eq!((cpu.r[1], cpu.q), (0xffff_ff80, 0));
    }

    #[test]
    fn t16_forms_in_it_block() {
        // Extends and reverses don't care about IT blocks; just check one runs conditionally.
        let mut cpu = CpuState::new();
        cpu.r[2] = 0x0000_0080;
        cpu.it = 0x18; // IT NE, one instruction
        cpu.z = 1;
        run_t(&mut cpu, &[0xb251]); // sxtbne r1, r2: skipped
        assert_eq!(cpu.r[1], 0);
        cpu.it = 0x08; // IT EQ
        run_t(&mut cpu, &[0xb251]);
        assert_eq!(cpu.r[1], 0xffff_ff80);
    }

    #[test]
    fn bad_encodings() {
        let arm = |w| check_insn(w, false, 4, 0).err();
        let t32 = |w| check_insn(w, true, 4, 0).err();
        assert_eq!(arm(0xe6bf1f3f), Some(Fail::Unpredictable), "REV r1, pc");
        assert_eq!(arm(0xe7c4141f), Some(Fail::Unpredictable), "BFC with msb < lsb");
        assert_eq!(arm(0xe7ff1e52), Some(Fail::Unpredictable), "UBFX lsb 28 width 32");
        assert_eq!(arm(0xe6121fb3), Some(Fail::Undefined), "parallel op2 = 101");
        assert_eq!(arm(0xe6021f13), Some(Fail::Undefined), "parallel op1 = 000");
        assert_eq!(t32(0xfa93f182), Some(Fail::Unpredictable), "REV with different Rm copies");
        assert_eq!(t32(0xfa92fd82), Some(Fail::Unpredictable), "REV sp, r2");
        assert_eq!(t32(0xead21103), Some(Fail::Undefined), "PKH with S = 1");
        assert_eq!(t32(0xfa4df183), Some(Fail::Unpredictable), "SXTAB r1, sp, r3");
        assert_eq!(t32(0xfa4ff183), None, "SXTB r1, r3");
        assert_eq!(t32(0xfab2f182), None, "CLZ r1, r2");
    }
}
