//! Multiplies and divides (Arm ARM A5.2.5, A5.2.7, A5.4.4; A6.3.16, A6.3.17, A6.2.1):
//! MUL MLA MLS, the 64-bit UMULL UMLAL SMULL SMLAL UMAAL, the halfword multiplies
//! SMLA<x><y> SMLAW<y> SMULW<y> SMUL<x><y> SMLAL<x><y>, the dual multiplies
//! SMLAD SMLSD SMLALD SMLSLD SMUAD SMUSD, the most-significant-word multiplies
//! SMMUL SMMLA SMMLS, and SDIV UDIV.
//!
//! Each operation is one function (`mul32`, `mul_long`, `smla_xy`, ...); the ARM,
//! T32 and T16 handlers only decode fields and check registers.
//!
//! Flag rules: the S forms set N and Z only (C and V unchanged in ARMv7). Q is set
//! (sticky) by SMLA<x><y>, SMLAW<y>, SMLAD, SMLSD and SMUAD when the exact result
//! does not fit in 32 bits.

use super::{Fail, Fields, Res, Row, Translator};
use crate::ir::{BinOp, Flag, Tmp, UnOp};
use crate::row;

// ----- register checks -----

/// Registers that may be neither PC (ARM, Thumb) nor SP (Thumb: BadReg).
pub(super) fn check_regs(t: &Translator, regs: &[u8]) -> Res {
    if regs.iter().any(|&r| r == 15 || (t.thumb && r == 13)) {
        Err(Fail::Unpredictable)
    } else {
        Ok(())
    }
}

/// Checks the registers of a 64-bit result: RdHi == RdLo is UNPREDICTABLE.
fn check_long(t: &Translator, lo: u8, hi: u8, n: u8, m: u8) -> Res {
    check_regs(t, &[lo, hi, n, m])?;
    if lo == hi {
        return Err(Fail::Unpredictable);
    }
    Ok(())
}

// ----- IR building blocks -----

/// Bottom (sign-extended) or top (arithmetic shift) halfword of `v`.
fn half(t: &mut Translator, v: Tmp, top: bool) -> Tmp {
    if top {
        t.bini(BinOp::Asr, v, 16)
    } else {
        t.un(UnOp::Sxth, v)
    }
}

/// Writes a 64-bit value to RdHi:RdLo, setting N and Z from all 64 bits if `s`.
fn write_long(t: &mut Translator, lo: u8, hi: u8, v: Tmp, s: bool) {
    let l = t.un(UnOp::Lo, v);
    let h = t.un(UnOp::Hi, v);
    if s {
        let n = t.bini(BinOp::Lsr, h, 31);
        t.set_flag(Flag::N, n);
        let or = t.bin(BinOp::Or, l, h);
        let z = t.bini(BinOp::Eq, or, 0);
        t.set_flag(Flag::Z, z);
    }
    t.set_reg(lo, l);
    t.set_reg(hi, h);
}

/// RdHi:RdLo as a 64-bit temporary.
fn read_long(t: &mut Translator, lo: u8, hi: u8) -> Tmp {
    let l = t.reg(lo);
    let h = t.reg(hi);
    t.bin(BinOp::Pair, h, l)
}

/// 32-bit a + b; sets Q on signed overflow.
fn add_q(t: &mut Translator, a: Tmp, b: Tmp) -> Tmp {
    let r = t.bin(BinOp::Add, a, b);
    let x1 = t.bin(BinOp::Xor, a, r);
    let x2 = t.bin(BinOp::Xor, b, r);
    let both = t.bin(BinOp::And, x1, x2);
    let ovf = t.bini(BinOp::Lsr, both, 31);
    t.set_flag(Flag::Q, ovf);
    r
}

/// Low word of a 64-bit value; sets Q if the value is not a sign-extended 32-bit one.
fn lo_q(t: &mut Translator, v: Tmp) -> Tmp {
    let l = t.un(UnOp::Lo, v);
    let h = t.un(UnOp::Hi, v);
    let sign = t.bini(BinOp::Asr, l, 31);
    let ovf = t.bin(BinOp::Ne, h, sign);
    t.set_flag(Flag::Q, ovf);
    l
}

/// Bits [k+31:k] of a 64-bit value, 0 < k < 32.
fn bits_from(t: &mut Translator, v: Tmp, k: u32) -> Tmp {
    let l = t.un(UnOp::Lo, v);
    let h = t.un(UnOp::Hi, v);
    let a = t.bini(BinOp::Lsr, l, k);
    let b = t.bini(BinOp::Lsl, h, 32 - k);
    t.bin(BinOp::Or, a, b)
}

// ----- operations -----

/// What a 32-bit multiply does with the accumulator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Acc {
    None,
    Add(u8),
    Sub(u8),
}

/// MUL, MLA, MLS: Rd = [Ra +/-] Rn * Rm (low 32 bits).
fn mul32(t: &mut Translator, d: u8, n: u8, m: u8, acc: Acc, s: bool) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let p = t.bin(BinOp::Mul, vn, vm);
    let r = match acc {
        Acc::None => p,
        Acc::Add(a) => {
            let va = t.reg(a);
            t.bin(BinOp::Add, va, p)
        }
        Acc::Sub(a) => {
            let va = t.reg(a);
            t.bin(BinOp::Sub, va, p)
        }
    };
    if s {
        t.set_nz(r);
    }
    t.set_reg(d, r);
    Ok(())
}

/// UMULL, UMLAL, SMULL, SMLAL: RdHi:RdLo = [RdHi:RdLo +] Rn * Rm.
#[allow(clippy::too_many_arguments)]
fn mul_long(t: &mut Translator, lo: u8, hi: u8, n: u8, m: u8, signed: bool, acc: bool, s: bool) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let mut p = t.mull(vn, vm, signed);
    if acc {
        let old = read_long(t, lo, hi);
        p = t.bin(BinOp::Add64, p, old);
    }
    write_long(t, lo, hi, p, s);
    Ok(())
}

/// UMAAL: RdHi:RdLo = Rn * Rm + RdHi + RdLo (unsigned, cannot overflow 64 bits).
fn umaal(t: &mut Translator, lo: u8, hi: u8, n: u8, m: u8) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let p = t.mull(vn, vm, false);
    // 32-bit temporaries are zero-extended: plain 64-bit adds.
    let vl = t.reg(lo);
    let vh = t.reg(hi);
    let p = t.bin(BinOp::Add64, p, vl);
    let p = t.bin(BinOp::Add64, p, vh);
    write_long(t, lo, hi, p, false);
    Ok(())
}

/// SMLA<x><y> / SMUL<x><y>: Rd = half(Rn) * half(Rm) [+ Ra], Q on overflow of the add.
fn smla_xy(t: &mut Translator, d: u8, n: u8, m: u8, a: Option<u8>, n_top: bool, m_top: bool) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let hn = half(t, vn, n_top);
    let hm = half(t, vm, m_top);
    // A 16x16 signed product always fits in 32 bits.
    let p = t.bin(BinOp::Mul, hn, hm);
    let r = match a {
        Some(a) => {
            let va = t.reg(a);
            add_q(t, p, va)
        }
        None => p,
    };
    t.set_reg(d, r);
    Ok(())
}

/// SMLAW<y> / SMULW<y>: Rd = (Rn * half(Rm) [+ Ra << 16]) >> 16, Q on overflow.
fn smlaw_y(t: &mut Translator, d: u8, n: u8, m: u8, a: Option<u8>, m_top: bool) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let hm = half(t, vm, m_top);
    let p = t.mull(vn, hm, true); // 48-bit signed product
    let r = match a {
        Some(a) => {
            let va = t.reg(a);
            let ah = t.bini(BinOp::Asr, va, 16);
            let al = t.bini(BinOp::Lsl, va, 16);
            let sa = t.bin(BinOp::Pair, ah, al); // SInt(Ra) << 16
            let sum = t.bin(BinOp::Add64, p, sa);
            // (sum >> 16) fits in 32 bits iff bits 63:47 of sum are all equal.
            let h = t.un(UnOp::Hi, sum);
            let top = t.bini(BinOp::Asr, h, 15);
            let sign = t.bini(BinOp::Asr, h, 31);
            let ovf = t.bin(BinOp::Ne, top, sign);
            t.set_flag(Flag::Q, ovf);
            bits_from(t, sum, 16)
        }
        None => bits_from(t, p, 16),
    };
    t.set_reg(d, r);
    Ok(())
}

/// SMLAL<x><y>: RdHi:RdLo += half(Rn) * half(Rm).
fn smlal_xy(t: &mut Translator, lo: u8, hi: u8, n: u8, m: u8, n_top: bool, m_top: bool) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let hn = half(t, vn, n_top);
    let hm = half(t, vm, m_top);
    let p = t.bin(BinOp::Mul, hn, hm);
    let p = t.un(UnOp::Sext32, p);
    let old = read_long(t, lo, hi);
    let r = t.bin(BinOp::Add64, old, p);
    write_long(t, lo, hi, r, false);
    Ok(())
}

/// The two products of the dual multiplies: (bottom*bottom, top*top), with Rm's
/// halves swapped first if `x`. Each is a sign-extended 64-bit temporary.
fn dual_products(t: &mut Translator, n: u8, m: u8, x: bool) -> (Tmp, Tmp) {
    let vn = t.reg(n);
    let mut vm = t.reg(m);
    if x {
        vm = t.bini(BinOp::Ror, vm, 16);
    }
    let nb = half(t, vn, false);
    let mb = half(t, vm, false);
    let nt = half(t, vn, true);
    let mt = half(t, vm, true);
    let p1 = t.bin(BinOp::Mul, nb, mb);
    let p2 = t.bin(BinOp::Mul, nt, mt);
    let p1 = t.un(UnOp::Sext32, p1);
    let p2 = t.un(UnOp::Sext32, p2);
    (p1, p2)
}

/// SMLAD/SMLSD/SMUAD/SMUSD: Rd = p1 +/- p2 [+ Ra]; Q if the exact sum overflows.
fn smlad(t: &mut Translator, d: u8, n: u8, m: u8, a: Option<u8>, sub: bool, x: bool) -> Res {
    let (p1, p2) = dual_products(t, n, m, x);
    let mut s = t.bin(if sub { BinOp::Sub64 } else { BinOp::Add64 }, p1, p2);
    if let Some(a) = a {
        let va = t.reg(a);
        let va = t.un(UnOp::Sext32, va);
        s = t.bin(BinOp::Add64, s, va);
    }
    // SMUSD cannot overflow (and never sets Q).
    let r = if sub && a.is_none() { t.un(UnOp::Lo, s) } else { lo_q(t, s) };
    t.set_reg(d, r);
    Ok(())
}

/// SMLALD/SMLSLD: RdHi:RdLo += p1 +/- p2 (64-bit, wrapping, no flags).
fn smlald(t: &mut Translator, lo: u8, hi: u8, n: u8, m: u8, sub: bool, x: bool) -> Res {
    let (p1, p2) = dual_products(t, n, m, x);
    let s = t.bin(if sub { BinOp::Sub64 } else { BinOp::Add64 }, p1, p2);
    let old = read_long(t, lo, hi);
    let r = t.bin(BinOp::Add64, old, s);
    write_long(t, lo, hi, r, false);
    Ok(())
}

/// SMMUL/SMMLA/SMMLS: Rd = ((Ra << 32) +/- Rn * Rm [+ 0x80000000])[63:32].
fn smmul(t: &mut Translator, d: u8, n: u8, m: u8, acc: Acc, round: bool) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let p = t.mull(vn, vm, true);
    let rnd: u32 = if round { 0x8000_0000 } else { 0 };
    let r = match acc {
        Acc::None if round => {
            let k = t.konst(rnd);
            t.bin(BinOp::Add64, p, k)
        }
        Acc::None => p,
        Acc::Add(a) | Acc::Sub(a) => {
            let va = t.reg(a);
            let k = t.konst(rnd);
            let base = t.bin(BinOp::Pair, va, k);
            let op = if matches!(acc, Acc::Add(_)) { BinOp::Add64 } else { BinOp::Sub64 };
            t.bin(op, base, p)
        }
    };
    let h = t.un(UnOp::Hi, r);
    t.set_reg(d, h);
    Ok(())
}

/// SDIV/UDIV: round toward zero; x / 0 = 0 (no divide-by-zero trap on this core).
fn div(t: &mut Translator, d: u8, n: u8, m: u8, signed: bool) -> Res {
    let vn = t.reg(n);
    let vm = t.reg(m);
    let r = t.bin(if signed { BinOp::SDiv } else { BinOp::UDiv }, vn, vm);
    t.set_reg(d, r);
    Ok(())
}

// ----- handlers (ARM and T32 share field letters; `check_regs` applies BadReg in Thumb) -----

/// The accumulator of a 32-bit multiply: `kind` 0 = none, 1 = add Ra, 2 = subtract Ra.
fn acc_of(f: &Fields, kind: u8) -> Acc {
    match kind {
        1 => Acc::Add(f.reg('a')),
        2 => Acc::Sub(f.reg('a')),
        _ => Acc::None,
    }
}

/// Rd, Rn, Rm (and Ra when `acc`), checked.
fn regs3(t: &Translator, f: &Fields, acc: bool) -> Result<(u8, u8, u8), Fail> {
    let (d, n, m) = (f.reg('d'), f.reg('n'), f.reg('m'));
    check_regs(t, &[d, n, m])?;
    if acc {
        check_regs(t, &[f.reg('a')])?;
    }
    Ok((d, n, m))
}

/// RdLo, RdHi, Rn, Rm, checked.
fn regs_long(t: &Translator, f: &Fields) -> Result<(u8, u8, u8, u8), Fail> {
    let (lo, hi, n, m) = (f.reg('l'), f.reg('h'), f.reg('n'), f.reg('m'));
    check_long(t, lo, hi, n, m)?;
    Ok((lo, hi, n, m))
}

/// MUL/MLA/MLS; the S bit is read from field `S` (absent in T32: never set).
fn h_mul32(t: &mut Translator, f: Fields, acc: u8) -> Res {
    let (d, n, m) = regs3(t, &f, acc != 0)?;
    mul32(t, d, n, m, acc_of(&f, acc), f.bit('S'))
}

fn h_long(t: &mut Translator, f: Fields, signed: bool, acc: bool) -> Res {
    let (lo, hi, n, m) = regs_long(t, &f)?;
    mul_long(t, lo, hi, n, m, signed, acc, f.bit('S'))
}

fn h_umaal(t: &mut Translator, f: Fields) -> Res {
    let (lo, hi, n, m) = regs_long(t, &f)?;
    umaal(t, lo, hi, n, m)
}

fn h_smla_xy(t: &mut Translator, f: Fields, acc: bool) -> Res {
    let (d, n, m) = regs3(t, &f, acc)?;
    let a = if acc { Some(f.reg('a')) } else { None };
    smla_xy(t, d, n, m, a, f.bit('N'), f.bit('M'))
}

fn h_smlaw_y(t: &mut Translator, f: Fields, acc: bool) -> Res {
    let (d, n, m) = regs3(t, &f, acc)?;
    let a = if acc { Some(f.reg('a')) } else { None };
    smlaw_y(t, d, n, m, a, f.bit('M'))
}

fn h_smlal_xy(t: &mut Translator, f: Fields) -> Res {
    let (lo, hi, n, m) = regs_long(t, &f)?;
    smlal_xy(t, lo, hi, n, m, f.bit('N'), f.bit('M'))
}

/// SMLAD/SMLSD (acc) and SMUAD/SMUSD; `M` swaps Rm's halves (the X forms).
fn h_smlad(t: &mut Translator, f: Fields, acc: bool, sub: bool) -> Res {
    let (d, n, m) = regs3(t, &f, acc)?;
    let a = if acc { Some(f.reg('a')) } else { None };
    smlad(t, d, n, m, a, sub, f.bit('M'))
}

fn h_smlald(t: &mut Translator, f: Fields, sub: bool) -> Res {
    let (lo, hi, n, m) = regs_long(t, &f)?;
    smlald(t, lo, hi, n, m, sub, f.bit('M'))
}

fn h_smmul(t: &mut Translator, f: Fields, acc: u8) -> Res {
    let (d, n, m) = regs3(t, &f, acc != 0)?;
    smmul(t, d, n, m, acc_of(&f, acc), f.bit('R'))
}

fn h_div(t: &mut Translator, f: Fields, signed: bool) -> Res {
    let (d, n, m) = regs3(t, &f, false)?;
    div(t, d, n, m, signed)
}

/// MULS Rdm, Rn, Rdm: sets N and Z only outside an IT block.
fn t16_mul(t: &mut Translator, f: Fields) -> Res {
    let (dm, n) = (f.reg('d'), f.reg('n'));
    let s = !t.in_it_block();
    mul32(t, dm, n, dm, Acc::None, s)
}

pub(crate) const ARM: &[Row] = &[
    row!("MUL A1", "cccc 0000 000S dddd zzzz mmmm 1001 nnnn", |t, f| h_mul32(t, f, 0)),
    row!("MLA A1", "cccc 0000 001S dddd aaaa mmmm 1001 nnnn", |t, f| h_mul32(t, f, 1)),
    row!("UMAAL A1", "cccc 0000 0100 hhhh llll mmmm 1001 nnnn", h_umaal),
    row!("MLS A1", "cccc 0000 0110 dddd aaaa mmmm 1001 nnnn", |t, f| h_mul32(t, f, 2)),
    row!("UMULL A1", "cccc 0000 100S hhhh llll mmmm 1001 nnnn", |t, f| h_long(t, f, false, false)),
    row!("UMLAL A1", "cccc 0000 101S hhhh llll mmmm 1001 nnnn", |t, f| h_long(t, f, false, true)),
    row!("SMULL A1", "cccc 0000 110S hhhh llll mmmm 1001 nnnn", |t, f| h_long(t, f, true, false)),
    row!("SMLAL A1", "cccc 0000 111S hhhh llll mmmm 1001 nnnn", |t, f| h_long(t, f, true, true)),
    row!("SMLA<x><y> A1", "cccc 0001 0000 dddd aaaa mmmm 1MN0 nnnn", |t, f| h_smla_xy(t, f, true)),
    row!("SMLAW<y> A1", "cccc 0001 0010 dddd aaaa mmmm 1M00 nnnn", |t, f| h_smlaw_y(t, f, true)),
    row!("SMULW<y> A1", "cccc 0001 0010 dddd zzzz mmmm 1M10 nnnn", |t, f| h_smlaw_y(t, f, false)),
    row!("SMLAL<x><y> A1", "cccc 0001 0100 hhhh llll mmmm 1MN0 nnnn", h_smlal_xy),
    row!("SMUL<x><y> A1", "cccc 0001 0110 dddd zzzz mmmm 1MN0 nnnn", |t, f| h_smla_xy(t, f, false)),
    row!("SMLAD A1", "cccc 0111 0000 dddd aaaa mmmm 00M1 nnnn", |t, f| h_smlad(t, f, true, false)),
    row!("SMUAD A1", "cccc 0111 0000 dddd 1111 mmmm 00M1 nnnn", |t, f| h_smlad(t, f, false, false)),
    row!("SMLSD A1", "cccc 0111 0000 dddd aaaa mmmm 01M1 nnnn", |t, f| h_smlad(t, f, true, true)),
    row!("SMUSD A1", "cccc 0111 0000 dddd 1111 mmmm 01M1 nnnn", |t, f| h_smlad(t, f, false, true)),
    row!("SDIV A1", "cccc 0111 0001 dddd oooo mmmm 0001 nnnn", |t, f| h_div(t, f, true)),
    row!("UDIV A1", "cccc 0111 0011 dddd oooo mmmm 0001 nnnn", |t, f| h_div(t, f, false)),
    row!("SMLALD A1", "cccc 0111 0100 hhhh llll mmmm 00M1 nnnn", |t, f| h_smlald(t, f, false)),
    row!("SMLSLD A1", "cccc 0111 0100 hhhh llll mmmm 01M1 nnnn", |t, f| h_smlald(t, f, true)),
    row!("SMMLA A1", "cccc 0111 0101 dddd aaaa mmmm 00R1 nnnn", |t, f| h_smmul(t, f, 1)),
    row!("SMMUL A1", "cccc 0111 0101 dddd 1111 mmmm 00R1 nnnn", |t, f| h_smmul(t, f, 0)),
    row!("SMMLS A1", "cccc 0111 0101 dddd aaaa mmmm 11R1 nnnn", |t, f| h_smmul(t, f, 2)),
];

pub(crate) const T32: &[Row] = &[
    row!("MUL T2", "1111 1011 0000 nnnn 1111 dddd 0000 mmmm", |t, f| h_mul32(t, f, 0)),
    row!("MLA T1", "1111 1011 0000 nnnn aaaa dddd 0000 mmmm", |t, f| h_mul32(t, f, 1)),
    row!("MLS T1", "1111 1011 0000 nnnn aaaa dddd 0001 mmmm", |t, f| h_mul32(t, f, 2)),
    row!("SMLA<x><y> T1", "1111 1011 0001 nnnn aaaa dddd 00NM mmmm", |t, f| h_smla_xy(t, f, true)),
    row!("SMUL<x><y> T1", "1111 1011 0001 nnnn 1111 dddd 00NM mmmm", |t, f| h_smla_xy(t, f, false)),
    row!("SMLAD T1", "1111 1011 0010 nnnn aaaa dddd 000M mmmm", |t, f| h_smlad(t, f, true, false)),
    row!("SMUAD T1", "1111 1011 0010 nnnn 1111 dddd 000M mmmm", |t, f| h_smlad(t, f, false, false)),
    row!("SMLAW<y> T1", "1111 1011 0011 nnnn aaaa dddd 000M mmmm", |t, f| h_smlaw_y(t, f, true)),
    row!("SMULW<y> T1", "1111 1011 0011 nnnn 1111 dddd 000M mmmm", |t, f| h_smlaw_y(t, f, false)),
    row!("SMLSD T1", "1111 1011 0100 nnnn aaaa dddd 000M mmmm", |t, f| h_smlad(t, f, true, true)),
    row!("SMUSD T1", "1111 1011 0100 nnnn 1111 dddd 000M mmmm", |t, f| h_smlad(t, f, false, true)),
    row!("SMMLA T1", "1111 1011 0101 nnnn aaaa dddd 000R mmmm", |t, f| h_smmul(t, f, 1)),
    row!("SMMUL T1", "1111 1011 0101 nnnn 1111 dddd 000R mmmm", |t, f| h_smmul(t, f, 0)),
    row!("SMMLS T1", "1111 1011 0110 nnnn aaaa dddd 000R mmmm", |t, f| h_smmul(t, f, 2)),
    row!("SMULL T1", "1111 1011 1000 nnnn llll hhhh 0000 mmmm", |t, f| h_long(t, f, true, false)),
    row!("SDIV T1", "1111 1011 1001 nnnn oooo dddd 1111 mmmm", |t, f| h_div(t, f, true)),
    row!("UMULL T1", "1111 1011 1010 nnnn llll hhhh 0000 mmmm", |t, f| h_long(t, f, false, false)),
    row!("UDIV T1", "1111 1011 1011 nnnn oooo dddd 1111 mmmm", |t, f| h_div(t, f, false)),
    row!("SMLAL T1", "1111 1011 1100 nnnn llll hhhh 0000 mmmm", |t, f| h_long(t, f, true, true)),
    row!("SMLAL<x><y> T1", "1111 1011 1100 nnnn llll hhhh 10NM mmmm", h_smlal_xy),
    row!("SMLALD T1", "1111 1011 1100 nnnn llll hhhh 110M mmmm", |t, f| h_smlald(t, f, false)),
    row!("SMLSLD T1", "1111 1011 1101 nnnn llll hhhh 110M mmmm", |t, f| h_smlald(t, f, true)),
    row!("UMLAL T1", "1111 1011 1110 nnnn llll hhhh 0000 mmmm", |t, f| h_long(t, f, false, true)),
    row!("UMAAL T1", "1111 1011 1110 nnnn llll hhhh 0110 mmmm", h_umaal),
];

pub(crate) const T16: &[Row] = &[row!("MUL T1", "0100 0011 01nn nddd", t16_mul)];

#[cfg(test)]
pub(crate) mod tests {
    use crate::arm::testutil::{run_arm, run_thumb};
    use crate::arm::{check_insn, Fail};
    use crate::cpu::{CpuState, ExitReason};

    /// Inputs of the differential vectors: r1-r4 and the APSR (NZCVQ, GE).
    const INPUTS: [([u32; 4], u32); 8] = [
        ([0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321], 0x0000_0000),
        ([0x7fffffff, 0x7fff8000, 0x80007fff, 0x7fffffff], 0x2000_0000),
        ([0x80000000, 0x80008000, 0x80008000, 0x80000000], 0xf80f_0000),
        ([0x00000000, 0xffffffff, 0x00ff80ff, 0x01010101], 0x0005_0000),
        ([0x00000001, 0x80000000, 0xffffffff, 0x7fff0001], 0x100a_0000),
        ([0xdeadbeef, 0x00010000, 0x00000000, 0xffff0001], 0x4000_0000),
        ([0x52e6b438, 0xf2a74de4, 0x269e0d37, 0x6513270e], 0x6003_0000),
        ([0x0c5c7fd0, 0x128b2f33, 0xd23f0824, 0x892f902b], 0x0000_0000),
    ];

    /// A differential vector: (Thumb?, encoding (T32 as hw1:hw2), indices into
    /// INPUTS, and per input the expected r1, [r2,] APSR). r2 is listed only for
    /// instructions that write it; r3 and r4 must be unchanged.
    pub(crate) type Vector = (bool, u32, &'static [usize], &'static [u32]);

    fn set_psr(cpu: &mut CpuState, psr: u32) {
        cpu.n = (psr >> 31) as u8;
        cpu.z = (psr >> 30) as u8 & 1;
        cpu.c = (psr >> 29) as u8 & 1;
        cpu.v = (psr >> 28) as u8 & 1;
        cpu.q = (psr >> 27) as u8 & 1;
        cpu.ge = (psr >> 16) as u8 & 0xf;
    }

    pub(crate) fn psr(cpu: &CpuState) -> u32 {
        (cpu.n as u32) << 31
            | (cpu.z as u32) << 30
            | (cpu.c as u32) << 29
            | (cpu.v as u32) << 28
            | (cpu.q as u32) << 27
            | (cpu.ge as u32) << 16
    }

    /// Runs one instruction (ARM word, T16 halfword or T32 hw1:hw2) on `cpu`.
    pub(crate) fn run_one(cpu: &mut CpuState, thumb: bool, insn: u32) -> ExitReason {
        if !thumb {
            run_a(cpu, &[insn])
        } else if insn > 0xffff {
            run_t(cpu, &[(insn >> 16) as u16, insn as u16])
        } else {
            run_t(cpu, &[insn as u16])
        }
    }

    /// Runs ARM words followed by `sub pc, pc, #4`, which ends the block at the stop address.
    pub(crate) fn run_a(cpu: &mut CpuState, words: &[u32]) -> ExitReason {
        let mut w = words.to_vec();
        w.push(0xe24f_f004);
        run_arm(cpu, &w).0
    }

    /// Runs Thumb halfwords followed by `mov pc, pc` (word aligned, then padding),
    /// which ends the block at the stop address.
    pub(crate) fn run_t(cpu: &mut CpuState, hw: &[u16]) -> ExitReason {
        let mut h = hw.to_vec();
        if h.len() % 2 == 1 {
            h.push(0x4600); // mov r0, r0
        }
        h.extend_from_slice(&[0x46ff, 0x4600]);
        run_thumb(cpu, &h).0
    }

    pub(crate) fn check_vectors(vectors: &[Vector]) {
        for &(thumb, insn, idx, out) in vectors {
            let stride = out.len() / idx.len();
            for (j, &k) in idx.iter().enumerate() {
                let (regs, psr_in) = INPUTS[k];
                let mut cpu = CpuState::new();
                // Other registers hold junk, so that reading a wrong one shows.
                for (r, v) in cpu.r.iter_mut().enumerate().take(15) {
                    *v = 0x5a5a_0000 | (r as u32 * 0x1111);
                }
                cpu.r[1..5].copy_from_slice(&regs);
                set_psr(&mut cpu, psr_in);
                let exit = run_one(&mut cpu, thumb, insn);
                assert_eq!((exit, cpu.pending), (ExitReason::Branch, None), "{insn:#x} raised");
                let o = &out[j * stride..];
                let want = if stride == 3 { (o[0], o[1], o[2]) } else { (o[0], regs[1], o[1]) };
                let got = (cpu.r[1], cpu.r[2], psr(&cpu));
                assert_eq!(got, want, "{insn:#x} (thumb {thumb}) input {k}: got {got:x?} want {want:x?}");
                assert_eq!(cpu.r[3..5], regs[2..4], "{insn:#x} changed r3/r4");
            }
        }
    }

    /// Expected values from qemu-arm (cortex-a15) running the same instructions;
    /// operands: r1 = Rd (RdLo), r2 = Rn (RdHi), r3 = Rm (Rn), r4 = Ra (Rm).
    #[rustfmt::skip]
    const VECTORS: &[Vector] = &[
    (false, 0xe0010392, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x5fa77c70, 0x0, 0x40008000, 0x20000000, 0x40000000, 0xf80f0000, 0xff007f01, 0x50000, 0x80000000, 0x100a0000, 0x0, 0x40000000, 0x8b9e4ffc, 0x60030000, 0x68993b2c, 0x0]), // mul r1, r2, r3
    (true, 0xfb02f103, &[0, 6], &[0x5fa77c70, 0x0, 0x8b9e4ffc, 0x60030000]), // mul r1, r2, r3
    (false, 0xe0110392, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x5fa77c70, 0x0, 0x40008000, 0x20000000, 0x40000000, 0x380f0000, 0xff007f01, 0x80050000, 0x80000000, 0x900a0000, 0x0, 0x40000000, 0x8b9e4ffc, 0xa0030000, 0x68993b2c, 0x0]), // muls r1, r2, r3
    (false, 0xe0214392, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xe70cbf91, 0x0, 0xc0007fff, 0x20000000, 0xc0000000, 0xf80f0000, 0x18002, 0x50000, 0xffff0001, 0x100a0000, 0xffff0001, 0x40000000, 0xf0b1770a, 0x60030000, 0xf1c8cb57, 0x0]), // mla r1, r2, r3, r4
    (true, 0xfb024103, &[0, 6], &[0xe70cbf91, 0x0, 0xf0b1770a, 0x60030000]), // mla r1, r2, r3, r4
    (false, 0xe0314392, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xe70cbf91, 0x80000000, 0xc0007fff, 0xa0000000, 0xc0000000, 0xb80f0000, 0x18002, 0x50000, 0xffff0001, 0x900a0000, 0xffff0001, 0x80000000, 0xf0b1770a, 0xa0030000, 0xf1c8cb57, 0x80000000]), // mlas r1, r2, r3, r4
    (false, 0xe0614392, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x27bdc6b1, 0x0, 0x3fff7fff, 0x20000000, 0x40000000, 0xf80f0000, 0x2008200, 0x50000, 0xffff0001, 0x100a0000, 0xffff0001, 0x40000000, 0xd974d712, 0x60030000, 0x209654ff, 0x0]), // mls r1, r2, r3, r4
    (true, 0xfb024113, &[0, 6], &[0x27bdc6b1, 0x0, 0xd974d712, 0x60030000]), // mls r1, r2, r3, r4
    (false, 0xe0821493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xc2a17bc9, 0x86cb364, 0x0, 0xffff8001, 0x40003ffe, 0x20000000, 0x0, 0x40004000, 0xf80f0000, 0x807f7fff, 0x10081, 0x50000, 0x8000ffff, 0x7fff0000, 0x100a0000, 0x0, 0x0, 0x40000000, 0xdebd1a02, 0xf3f3ed5, 0x60030000, 0x87c69e0c, 0x70aacb54, 0x0]), // umull r1, r2, r3, r4
    (true, 0xfba31204, &[0, 6], &[0xc2a17bc9, 0x86cb364, 0x0, 0xdebd1a02, 0xf3f3ed5, 0x60030000]), // umull r1, r2, r3, r4
    (false, 0xe0921493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xc2a17bc9, 0x86cb364, 0x0, 0xffff8001, 0x40003ffe, 0x20000000, 0x0, 0x40004000, 0x380f0000, 0x807f7fff, 0x10081, 0x50000, 0x8000ffff, 0x7fff0000, 0x100a0000, 0x0, 0x0, 0x40000000, 0xdebd1a02, 0xf3f3ed5, 0x20030000, 0x87c69e0c, 0x70aacb54, 0x0]), // umulls r1, r2, r3, r4
    (false, 0xe0a21493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xd4d5d241, 0xa3299254, 0x0, 0x7fff8000, 0xbfffbfff, 0x20000000, 0x80000000, 0xc000c000, 0xf80f0000, 0x807f7fff, 0x10080, 0x50000, 0x80010000, 0xffff0000, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x31a3ce3a, 0x1e68cba, 0x60030000, 0x94231ddc, 0x8335fa87, 0x0]), // umlal r1, r2, r3, r4
    (true, 0xfbe31204, &[0, 6], &[0xd4d5d241, 0xa3299254, 0x0, 0x31a3ce3a, 0x1e68cba, 0x60030000]), // umlal r1, r2, r3, r4
    (false, 0xe0b21493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xd4d5d241, 0xa3299254, 0x80000000, 0x7fff8000, 0xbfffbfff, 0xa0000000, 0x80000000, 0xc000c000, 0xb80f0000, 0x807f7fff, 0x10080, 0x50000, 0x80010000, 0xffff0000, 0x900a0000, 0xdeadbeef, 0x10000, 0x0, 0x31a3ce3a, 0x1e68cba, 0x20030000, 0x94231ddc, 0x8335fa87, 0x80000000]), // umlals r1, r2, r3, r4
    (false, 0xe0c21493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xc2a17bc9, 0xf87ee7bb, 0x0, 0xffff8001, 0xc0003fff, 0x20000000, 0x0, 0x3fffc000, 0xf80f0000, 0x807f7fff, 0x10081, 0x50000, 0x8000ffff, 0xffffffff, 0x100a0000, 0x0, 0x0, 0x40000000, 0xdebd1a02, 0xf3f3ed5, 0x60030000, 0x87c69e0c, 0x153c3305, 0x0]), // smull r1, r2, r3, r4
    (true, 0xfb831204, &[0, 6], &[0xc2a17bc9, 0xf87ee7bb, 0x0, 0xdebd1a02, 0xf3f3ed5, 0x60030000]), // smull r1, r2, r3, r4
    (false, 0xe0d21493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xc2a17bc9, 0xf87ee7bb, 0x80000000, 0xffff8001, 0xc0003fff, 0xa0000000, 0x0, 0x3fffc000, 0x380f0000, 0x807f7fff, 0x10081, 0x50000, 0x8000ffff, 0xffffffff, 0x900a0000, 0x0, 0x0, 0x40000000, 0xdebd1a02, 0xf3f3ed5, 0x20030000, 0x87c69e0c, 0x153c3305, 0x0]), // smulls r1, r2, r3, r4
    (false, 0xe0e21493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xd4d5d241, 0x933bc6ab, 0x0, 0x7fff8000, 0x3fffc000, 0x20000000, 0x80000000, 0xc0004000, 0xf80f0000, 0x807f7fff, 0x10080, 0x50000, 0x80010000, 0x7fffffff, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x31a3ce3a, 0x1e68cba, 0x60030000, 0x94231ddc, 0x27c76238, 0x0]), // smlal r1, r2, r3, r4
    (true, 0xfbc31204, &[0, 6], &[0xd4d5d241, 0x933bc6ab, 0x0, 0x31a3ce3a, 0x1e68cba, 0x60030000]), // smlal r1, r2, r3, r4
    (false, 0xe0f21493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xd4d5d241, 0x933bc6ab, 0x80000000, 0x7fff8000, 0x3fffc000, 0x20000000, 0x80000000, 0xc0004000, 0xb80f0000, 0x807f7fff, 0x10080, 0x50000, 0x80010000, 0x7fffffff, 0x100a0000, 0xdeadbeef, 0x10000, 0x0, 0x31a3ce3a, 0x1e68cba, 0x20030000, 0x94231ddc, 0x27c76238, 0x0]), // smlals r1, r2, r3, r4
    (false, 0xe0421493, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x6f92b131, 0x86cb365, 0x0, 0xffff0000, 0x40003fff, 0x20000000, 0x8000, 0x40004001, 0xf80f0000, 0x807f7ffe, 0x10082, 0x50000, 0x10000, 0x7fff0001, 0x100a0000, 0xdeaebeef, 0x0, 0x40000000, 0x244b1c1e, 0xf3f3ed7, 0x60030000, 0xa6ae4d0f, 0x70aacb54, 0x0]), // umaal r1, r2, r3, r4
    (true, 0xfbe31264, &[0, 6], &[0x6f92b131, 0x86cb365, 0x0, 0x244b1c1e, 0xf3f3ed7, 0x60030000]), // umaal r1, r2, r3, r4
    (false, 0xe1014382, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8e27bf91, 0x0, 0x40007fff, 0x20000000, 0xc0000000, 0xf80f0000, 0x1018002, 0x50000, 0x7fff0001, 0x100a0000, 0xffff0001, 0x40000000, 0x6918770a, 0x60030000, 0x8aafcb57, 0x0]), // smlabb r1, r2, r3, r4
    (true, 0xfb124103, &[0, 6], &[0x8e27bf91, 0x0, 0x6918770a, 0x60030000]), // smlabb r1, r2, r3, r4
    (false, 0xe10143a2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x9c197d3d, 0x0, 0xbfff0000, 0x28000000, 0xc0000000, 0xf80f0000, 0x1018002, 0x50000, 0x7fff8001, 0x100a0000, 0xffff0001, 0x40000000, 0x6462c3ef, 0x60030000, 0x89c683b7, 0x0]), // smlatb r1, r2, r3, r4
    (true, 0xfb124123, &[0, 6], &[0x9c197d3d, 0x0, 0x6462c3ef, 0x60030000]), // smlatb r1, r2, r3, r4
    (false, 0xe10143c2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8556b751, 0x0, 0xbfffffff, 0x28000000, 0xc0000000, 0xf80f0000, 0x1010002, 0x50000, 0x7fff0001, 0x100a0000, 0xffff0001, 0x40000000, 0x70d311c6, 0x60030000, 0x80c003b8, 0x0]), // smlabt r1, r2, r3, r4
    (true, 0xfb124113, &[0, 6], &[0x8556b751, 0x0, 0x70d311c6, 0x60030000]), // smlabt r1, r2, r3, r4
    (false, 0xe10143e2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8118872d, 0x0, 0x40007fff, 0x20000000, 0xc0000000, 0xf80f0000, 0x1010002, 0x50000, 0x7fff8001, 0x100a0000, 0xffff0001, 0x40000000, 0x630fb420, 0x60030000, 0x85df2660, 0x0]), // smlatt r1, r2, r3, r4
    (true, 0xfb124133, &[0, 6], &[0x8118872d, 0x0, 0x630fb420, 0x60030000]), // smlatt r1, r2, r3, r4
    (false, 0xe1214382, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x9c194fa8, 0x0, 0xbfff3fff, 0x28000000, 0xbfffc000, 0xf80f0000, 0x1010101, 0x50000, 0x7fff8001, 0x100a0000, 0xffff0001, 0x40000000, 0x6462c7f4, 0x60030000, 0x89c68537, 0x0]), // smlawb r1, r2, r3, r4
    (true, 0xfb324103, &[0, 6], &[0x9c194fa8, 0x0, 0x6462c7f4, 0x60030000]), // smlawb r1, r2, r3, r4
    (false, 0xe12143c2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8118950b, 0x0, 0x40003fff, 0x20000000, 0xbfffc000, 0xf80f0000, 0x1010100, 0x50000, 0x7fff8001, 0x100a0000, 0xffff0001, 0x40000000, 0x630fbfdf, 0x60030000, 0x85df1df0, 0x0]), // smlawt r1, r2, r3, r4
    (true, 0xfb324113, &[0, 6], &[0x8118950b, 0x0, 0x630fbfdf, 0x60030000]), // smlawt r1, r2, r3, r4
    (false, 0xe12103a2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x14b40c87, 0x0, 0x3fff4000, 0x20000000, 0x3fffc000, 0xf80f0000, 0x0, 0x50000, 0x8000, 0x100a0000, 0x0, 0x40000000, 0xff4fa0e6, 0x60030000, 0x96f50c, 0x0]), // smulwb r1, r2, r3
    (true, 0xfb32f103, &[0, 6], &[0x14b40c87, 0x0, 0xff4fa0e6, 0x60030000]), // smulwb r1, r2, r3
    (false, 0xe12103e2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xf9b351ea, 0x0, 0xc0004000, 0x20000000, 0x3fffc000, 0xf80f0000, 0xffffffff, 0x50000, 0x8000, 0x100a0000, 0x0, 0x40000000, 0xfdfc98d1, 0x60030000, 0xfcaf8dc5, 0x0]), // smulwt r1, r2, r3
    (true, 0xfb32f113, &[0, 6], &[0xf9b351ea, 0x0, 0xfdfc98d1, 0x60030000]), // smulwt r1, r2, r3
    (false, 0xe1610382, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x6c27c70, 0x0, 0xc0008000, 0x20000000, 0x40000000, 0xf80f0000, 0x7f01, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000, 0x4054ffc, 0x60030000, 0x1803b2c, 0x0]), // smulbb r1, r2, r3
    (true, 0xfb12f103, &[0, 6], &[0x6c27c70, 0x0, 0x4054ffc, 0x60030000]), // smulbb r1, r2, r3
    (false, 0xe16103c2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xfdf17430, 0x0, 0x40000000, 0x20000000, 0x40000000, 0xf80f0000, 0xffffff01, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000, 0xbbfeab8, 0x60030000, 0xf790738d, 0x0]), // smulbt r1, r2, r3
    (true, 0xfb12f113, &[0, 6], &[0xfdf17430, 0x0, 0xbbfeab8, 0x60030000]), // smulbt r1, r2, r3
    (false, 0xe16103a2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x14b43a1c, 0x0, 0x3fff0001, 0x20000000, 0x40000000, 0xf80f0000, 0x7f01, 0x50000, 0x8000, 0x100a0000, 0x0, 0x40000000, 0xff4f9ce1, 0x60030000, 0x96f38c, 0x0]), // smultb r1, r2, r3
    (true, 0xfb12f123, &[0, 6], &[0x14b43a1c, 0x0, 0xff4f9ce1, 0x60030000]), // smultb r1, r2, r3
    (false, 0xe16103e2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xf9b3440c, 0x0, 0xc0008000, 0x20000000, 0x40000000, 0xf80f0000, 0xffffff01, 0x50000, 0x8000, 0x100a0000, 0x0, 0x40000000, 0xfdfc8d12, 0x60030000, 0xfcaf9635, 0x0]), // smultt r1, r2, r3
    (true, 0xfb12f133, &[0, 6], &[0xf9b3440c, 0x0, 0xfdfc8d12, 0x60030000]), // smultt r1, r2, r3
    (false, 0xe1421483, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x47ad241, 0x9abcdef0, 0x0, 0x7fff8000, 0x7fff8000, 0x20000000, 0x80000000, 0x80008000, 0xf80f0000, 0xff807fff, 0xfffffffe, 0x50000, 0x0, 0x80000000, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x54eace3a, 0xf2a74de4, 0x60030000, 0x8ce1ddc, 0x128b2f33, 0x0]), // smlalbb r1, r2, r3, r4
    (true, 0xfbc31284, &[0, 6], &[0x47ad241, 0x0, 0x54eace3a, 0x60030000]), // smlalbb r1, r2, r3, r4
    (false, 0xe14214a3, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x16616b05, 0x0, 0x80007fff, 0x20000000, 0x80000000, 0xf80f0000, 0xffff, 0x50000, 0x0, 0x100a0000, 0xdeadbeef, 0x40000000, 0x58cae2dc, 0x60030000, 0x20594065, 0x0]), // smlaltb r1, r2, r3, r4
    (true, 0xfbc312a4, &[0, 6], &[0x16616b05, 0x0, 0x58cae2dc, 0x60030000]), // smlaltb r1, r2, r3, r4
    (false, 0xe14214c3, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x2adccf25, 0x9abcdef0, 0x0, 0xbfff0000, 0x7fff8000, 0x20000000, 0xc0000000, 0x80008000, 0xf80f0000, 0xff807fff, 0xfffffffe, 0x50000, 0xffff8002, 0x7fffffff, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x581e624d, 0xf2a74de4, 0x60030000, 0x895426c, 0x128b2f33, 0x0]), // smlalbt r1, r2, r3, r4
    (true, 0xfbc31294, &[0, 6], &[0x2adccf25, 0x0, 0x581e624d, 0x60030000]), // smlalbt r1, r2, r3, r4
    (false, 0xe14214e3, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xab399f9, 0x9abcdef0, 0x0, 0x40007fff, 0x7fff8000, 0x20000000, 0xc0000000, 0x80008000, 0xf80f0000, 0xffff, 0xffffffff, 0x50000, 0xffff8002, 0x7fffffff, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x6225e7f2, 0xf2a74de4, 0x60030000, 0x2198d061, 0x128b2f33, 0x0]), // smlaltt r1, r2, r3, r4
    (true, 0xfbc312b4, &[0, 6], &[0xab399f9, 0x0, 0x6225e7f2, 0x60030000]), // smlaltt r1, r2, r3, r4
    (false, 0xe7014312, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x87db039d, 0x0, 0xffff, 0x20000000, 0x0, 0xf80f0000, 0x1017f03, 0x50000, 0x7fff8001, 0x100a0000, 0xffff0001, 0x40000000, 0x6715041c, 0x60030000, 0x875f618c, 0x0]), // smlad r1, r2, r3, r4
    (true, 0xfb224103, &[0, 6], &[0x87db039d, 0x0, 0x6715041c, 0x60030000]), // smlad r1, r2, r3, r4
    (false, 0xe7014332, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x9a0af16d, 0x0, 0xffff0000, 0x28000000, 0x0, 0xf80f0000, 0x1017f03, 0x50000, 0x7fff8001, 0x100a0000, 0xffff0001, 0x40000000, 0x7022aea7, 0x60030000, 0x8156f744, 0x0]), // smladx r1, r2, r3, r4
    (true, 0xfb224113, &[0, 6], &[0x9a0af16d, 0x0, 0x7022aea7, 0x60030000]), // smladx r1, r2, r3, r4
    (false, 0xe7014352, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x94747b85, 0x0, 0x7fffffff, 0x20000000, 0x80000000, 0xf80f0000, 0x1018101, 0x50000, 0x7ffe8001, 0x100a0000, 0xffff0001, 0x40000000, 0x6b1be9f8, 0x60030000, 0x8e003522, 0x0]), // smlsd r1, r2, r3, r4
    (true, 0xfb424103, &[0, 6], &[0x94747b85, 0x0, 0x6b1be9f8, 0x60030000]), // smlsd r1, r2, r3, r4
    (false, 0xe7014372, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x70a27d35, 0x8000000, 0x8000fffe, 0x28000000, 0x80000000, 0xf80f0000, 0x1008101, 0x50000, 0x7ffe8001, 0x100a0000, 0xffff0001, 0x40000000, 0x718374e5, 0x60030000, 0x8029102c, 0x0]), // smlsdx r1, r2, r3, r4
    (true, 0xfb424113, &[0, 6], &[0x70a27d35, 0x8000000, 0x718374e5, 0x60030000]), // smlsdx r1, r2, r3, r4
    (false, 0xe701f312, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x75c07c, 0x0, 0x80010000, 0x20000000, 0x80000000, 0xf80f0000, 0x7e02, 0x50000, 0x8000, 0x100a0000, 0x0, 0x40000000, 0x201dd0e, 0x60030000, 0xfe2fd161, 0x0]), // smuad r1, r2, r3
    (true, 0xfb22f103, &[0, 6], &[0x75c07c, 0x0, 0x201dd0e, 0x60030000]), // smuad r1, r2, r3
    (false, 0xe701f332, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x12a5ae4c, 0x0, 0x7fff0001, 0x20000000, 0x80000000, 0xf80f0000, 0x7e02, 0x50000, 0x8000, 0x100a0000, 0x0, 0x40000000, 0xb0f8799, 0x60030000, 0xf8276719, 0x0]), // smuadx r1, r2, r3
    (true, 0xfb22f113, &[0, 6], &[0x12a5ae4c, 0x0, 0xb0f8799, 0x60030000]), // smuadx r1, r2, r3
    (false, 0xe701f352, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xd0f3864, 0x0, 0x0, 0x20000000, 0x0, 0xf80f0000, 0x8000, 0x50000, 0xffff8000, 0x100a0000, 0x0, 0x40000000, 0x608c2ea, 0x60030000, 0x4d0a4f7, 0x0]), // smusd r1, r2, r3
    (true, 0xfb42f103, &[0, 6], &[0xd0f3864, 0x0, 0x608c2ea, 0x60030000]), // smusd r1, r2, r3
    (false, 0xe701f372, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xe93d3a14, 0x0, 0xffff, 0x20000000, 0x0, 0xf80f0000, 0xffff8000, 0x50000, 0xffff8000, 0x100a0000, 0x0, 0x40000000, 0xc704dd7, 0x60030000, 0xf6f98001, 0x0]), // smusdx r1, r2, r3
    (true, 0xfb42f113, &[0, 6], &[0xe93d3a14, 0x0, 0xc704dd7, 0x60030000]), // smusdx r1, r2, r3
    (false, 0xe7421413, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xfcfa15c2, 0x9abcdeef, 0x0, 0x40000000, 0x7fff8000, 0x20000000, 0xc0000000, 0x80008000, 0xf80f0000, 0xff817ffe, 0xfffffffe, 0x50000, 0xffff8001, 0x7fffffff, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x642a01f4, 0xf2a74de4, 0x60030000, 0x1e0a6e6d, 0x128b2f33, 0x0]), // smlald r1, r2, r3, r4
    (true, 0xfbc312c4, &[0, 6], &[0xfcfa15c2, 0x9abcdeef, 0x0, 0x642a01f4, 0xf2a74de4, 0x60030000]), // smlald r1, r2, r3, r4
    (false, 0xe7421433, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x2f09e3b2, 0x9abcdef0, 0x0, 0xbfff8000, 0x7fff8000, 0x20000000, 0xc0000000, 0x80008000, 0xf80f0000, 0xff817ffe, 0xfffffffe, 0x50000, 0xffff8001, 0x7fffffff, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x5e0290f1, 0xf2a74de4, 0x60030000, 0x1c920301, 0x128b2f33, 0x0]), // smlaldx r1, r2, r3, r4
    (true, 0xfbc312d4, &[0, 6], &[0x2f09e3b2, 0x0, 0x5e0290f1, 0x60030000]), // smlaldx r1, r2, r3, r4
    (false, 0xe7421453, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xbfb8ec0, 0x9abcdef0, 0x0, 0xbfff0000, 0x7fff8000, 0x20000000, 0x40000000, 0x80008000, 0xf80f0000, 0xff7f8000, 0xfffffffe, 0x50000, 0x7fff, 0x80000000, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x45ab9a80, 0xf2a74de4, 0x60030000, 0xf391cd4b, 0x128b2f32, 0x0]), // smlsld r1, r2, r3, r4
    (true, 0xfbd312c4, &[0, 6], &[0xbfb8ec0, 0x0, 0x45ab9a80, 0x60030000]), // smlsld r1, r2, r3, r4
    (false, 0xe7421473, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x26afba98, 0x9abcdef0, 0x0, 0xbffe8000, 0x7fff8000, 0x20000000, 0xc0000000, 0x80008000, 0xf80f0000, 0xff7f8000, 0xfffffffe, 0x50000, 0xffff8003, 0x7fffffff, 0x100a0000, 0xdeadbeef, 0x10000, 0x40000000, 0x523a33a9, 0xf2a74de4, 0x60030000, 0xf49881d7, 0x128b2f32, 0x0]), // smlsldx r1, r2, r3, r4
    (true, 0xfbd312d4, &[0, 6], &[0x26afba98, 0x0, 0x523a33a9, 0x60030000]), // smlsldx r1, r2, r3, r4
    (false, 0xe751f312, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xf9b3015b, 0x0, 0xc0007fff, 0x20000000, 0x3fff8000, 0xf80f0000, 0xffffffff, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000, 0xfdfc9821, 0x60030000, 0xfcaf8e5c, 0x0]), // smmul r1, r2, r3
    (true, 0xfb52f103, &[0, 6], &[0xf9b3015b, 0x0, 0xfdfc9821, 0x60030000]), // smmul r1, r2, r3
    (false, 0xe751f332, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xf9b3015b, 0x0, 0xc0007fff, 0x20000000, 0x3fff8000, 0xf80f0000, 0x0, 0x50000, 0x1, 0x100a0000, 0x0, 0x40000000, 0xfdfc9822, 0x60030000, 0xfcaf8e5c, 0x0]), // smmulr r1, r2, r3
    (true, 0xfb52f113, &[0, 6], &[0xf9b3015b, 0x0, 0xfdfc9822, 0x60030000]), // smmulr r1, r2, r3
    (false, 0xe7514312, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8118447c, 0x0, 0x40007ffe, 0x20000000, 0xbfff8000, 0xf80f0000, 0x1010100, 0x50000, 0x7fff0001, 0x100a0000, 0xffff0001, 0x40000000, 0x630fbf2f, 0x60030000, 0x85df1e87, 0x0]), // smmla r1, r2, r3, r4
    (true, 0xfb524103, &[0, 6], &[0x8118447c, 0x0, 0x630fbf2f, 0x60030000]), // smmla r1, r2, r3, r4
    (false, 0xe7514332, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8118447c, 0x0, 0x40007ffe, 0x20000000, 0xbfff8000, 0xf80f0000, 0x1010101, 0x50000, 0x7fff0002, 0x100a0000, 0xffff0001, 0x40000000, 0x630fbf30, 0x60030000, 0x85df1e87, 0x0]), // smmlar r1, r2, r3, r4
    (true, 0xfb524113, &[0, 6], &[0x8118447c, 0x0, 0x630fbf30, 0x60030000]), // smmlar r1, r2, r3, r4
    (false, 0xe75143d2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8db241c5, 0x0, 0xbfff7fff, 0x20000000, 0x40007fff, 0xf80f0000, 0x1010101, 0x50000, 0x7fff0000, 0x100a0000, 0xffff0001, 0x40000000, 0x67168eec, 0x60030000, 0x8c8001ce, 0x0]), // smmls r1, r2, r3, r4
    (true, 0xfb624103, &[0, 6], &[0x8db241c5, 0x0, 0x67168eec, 0x60030000]), // smmls r1, r2, r3, r4
    (false, 0xe75143f2, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x8db241c6, 0x0, 0xbfff8000, 0x20000000, 0x40008000, 0xf80f0000, 0x1010101, 0x50000, 0x7fff0001, 0x100a0000, 0xffff0001, 0x40000000, 0x67168eec, 0x60030000, 0x8c8001cf, 0x0]), // smmlsr r1, r2, r3, r4
    (true, 0xfb624113, &[0, 6], &[0x8db241c6, 0x0, 0x67168eec, 0x60030000]), // smmlsr r1, r2, r3, r4
    (false, 0xe711f312, &[0, 1, 2, 3, 4, 5, 6, 7], &[0xfffffffa, 0x0, 0x0, 0x20000000, 0x1, 0xf80f0000, 0x0, 0x50000, 0x80000000, 0x100a0000, 0x0, 0x40000000, 0x0, 0x60030000, 0x0, 0x0]), // sdiv r1, r2, r3
    (true, 0xfb92f1f3, &[0, 6], &[0xfffffffa, 0x0, 0x0, 0x60030000]), // sdiv r1, r2, r3
    (false, 0xe731f312, &[0, 1, 2, 3, 4, 5, 6, 7], &[0x9, 0x0, 0x0, 0x20000000, 0x1, 0xf80f0000, 0x100, 0x50000, 0x0, 0x100a0000, 0x0, 0x40000000, 0x6, 0x60030000, 0x0, 0x0]), // udiv r1, r2, r3
    (true, 0xfbb2f1f3, &[0, 6], &[0x9, 0x0, 0x6, 0x60030000]), // udiv r1, r2, r3
    (true, 0x4351, &[0, 1, 2], &[0x242d2080, 0x0, 0x80008000, 0xa0000000, 0x0, 0x780f0000]), // muls r1, r2, r1
    ];

    #[test]
    fn differential_vectors() {
        check_vectors(VECTORS);
    }

    #[test]
    fn muls_t16_sets_flags_only_outside_it_blocks() {
        // MULS r1, r2 (r1 = r2 * r1): 0 -> Z set, N clear, C/V kept.
        let mut cpu = CpuState::new();
        cpu.r[1] = 0x10000;
        cpu.r[2] = 0x10000;
        cpu.n = 1;
        cpu.c = 1;
        cpu.v = 1;
        run_t(&mut cpu, &[0x4351]);
        assert_eq!((cpu.r[1], cpu.n, cpu.z, cpu.c, cpu.v), (0, 0, 1, 1, 1));
        // MULEQ r1, r2 as the only instruction of an IT EQ block (ITSTATE 0x08):
        // executes without touching the flags.
        let mut cpu = CpuState::new();
        cpu.r[1] = 3;
        cpu.r[2] = 0xffff_fffe;
        cpu.z = 1;
        cpu.it = 0x08;
        run_t(&mut cpu, &[0x4351]);
        assert_eq!((cpu.r[1], cpu.n, cpu.z), (0xffff_fffa, 0, 1));
    }

    #[test]
    fn conditional_long_multiply_skipped() {
        // SMLALNE r1, r2, r3, r4 with Z set: nothing written.
        let mut cpu = CpuState::new();
        cpu.r[1..5].copy_from_slice(&[1, 2, 3, 4]);
        cpu.z = 1;
        run_a(&mut cpu, &[0x10e21493]);
        assert_eq!(cpu.r[1..5], [1, 2, 3, 4]);
        cpu.z = 0;
        run_a(&mut cpu, &[0x10e21493]);
        assert_eq!(cpu.r[1..3], [13, 2]);
    }

    #[test]
    fn q_is_sticky() {
        // SMLABB r1, r2, r3, r4 without overflow keeps Q = 1; SMUAD 0x8000*0x8000*2 sets it.
        let mut cpu = CpuState::new();
        cpu.r[1..5].copy_from_slice(&[0, 2, 3, 4]);
        cpu.q = 1;
        run_a(&mut cpu, &[0xe1014382]);
        assert_eq!((cpu.r[1], cpu.q), (10, 1));
        let mut cpu = CpuState::new();
        cpu.r[2] = 0x8000_8000;
        cpu.r[3] = 0x8000_8000;
        run_a(&mut cpu, &[0xe701f312]); // smuad r1, r2, r3
        assert_eq!((cpu.r[1], cpu.q), (0x8000_0000, 1));
        // SMUSD never sets Q.
        let mut cpu = CpuState::new();
        cpu.r[2] = 0x8000_8000;
        cpu.r[3] = 0x8000_7fff;
        run_a(&mut cpu, &[0xe701f352]);
        assert_eq!(cpu.q, 0);
    }

    #[test]
    fn division_edge_cases() {
        let mut cpu = CpuState::new();
        cpu.r[2] = 0x8000_0000;
        cpu.r[3] = 0xffff_ffff;
        run_a(&mut cpu, &[0xe711f312]); // sdiv r1, r2, r3
        assert_eq!(cpu.r[1], 0x8000_0000);
        cpu.r[3] = 0;
        run_t(&mut cpu, &[0xfbb2, 0xf1f3]); // udiv r1, r2, r3
        assert_eq!(cpu.r[1], 0);
        cpu.r[2] = (-7i32) as u32;
        cpu.r[3] = 2;
        run_t(&mut cpu, &[0xfb92, 0xf1f3]); // sdiv
        assert_eq!(cpu.r[1], (-3i32) as u32);
    }

    #[test]
    fn unpredictable_register_uses() {
        let arm = |w| check_insn(w, false, 4, 0).err();
        let t32 = |w| check_insn(w, true, 4, 0).err();
        assert_eq!(arm(0xe00f0392), Some(Fail::Unpredictable), "MUL pc, r2, r3");
        assert_eq!(arm(0xe0811493), Some(Fail::Unpredictable), "UMULL r1, r1, r3, r4");
        assert_eq!(arm(0xe12f4382), Some(Fail::Unpredictable), "SMLAWB pc, ...");
        assert_eq!(arm(0xe7014312), None, "SMLAD r1, r2, r3, r4 is fine");
        assert_eq!(arm(0xe701431f), Some(Fail::Unpredictable), "SMLAD with Rn = pc");
        assert_eq!(t32(0xfb02fd03), Some(Fail::Unpredictable), "MUL sp, r2, r3");
        assert_eq!(t32(0xfb02d103), Some(Fail::Unpredictable), "MLA with Ra = sp");
        assert_eq!(t32(0xfba31104), Some(Fail::Unpredictable), "UMULL r1, r1");
        assert_eq!(t32(0xfb9df1f3), Some(Fail::Unpredictable), "SDIV r1, sp, r3");
        assert_eq!(arm(0xe0521493), Some(Fail::Undefined), "op 0101 of the multiply space");
    }
}
