//! Data processing (Arm ARM A5.2.1-A5.2.3, A6.2.1-A6.2.4, A6.3.1-A6.3.3, A6.3.11):
//! AND EOR SUB RSB ADD ADC SBC RSC TST TEQ CMP CMN ORR ORN MOV BIC MVN with every
//! shifter operand, the shift instructions (MOV with a shift), ADR, MOVW, MOVT,
//! ADD/SUB with SP, and the exception-return forms (SUBS PC, LR and friends, B9.3.19).
//!
//! Every encoding decodes its fields and calls the one semantic function `alu`;
//! the shifter operand comes from `shift_imm` / `shift_reg` / an expanded immediate.

use super::{
    arm_expand_imm_c, decode_imm_shift, decode_reg_shift, thumb_expand_imm_c, Fail, Fields, Res, Row, Translator,
};
use crate::cpu::{CpuState, Exception, ExitReason};
use crate::ir::{BinOp, Flag, Helper, Op, PcWrite, ShiftKind, Tmp, UnOp};
use crate::row;

/// The data-processing operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alu {
    And,
    Eor,
    Sub,
    Rsb,
    Add,
    Adc,
    Sbc,
    Rsc,
    Tst,
    Teq,
    Cmp,
    Cmn,
    Orr,
    Mov,
    Bic,
    Mvn,
    Orn,
}

impl Alu {
    /// The ARM opcode field (bits 24:21).
    fn from_arm(op: u32) -> Alu {
        use Alu::*;
        [And, Eor, Sub, Rsb, Add, Adc, Sbc, Rsc, Tst, Teq, Cmp, Cmn, Orr, Mov, Bic, Mvn][(op & 0xf) as usize]
    }

    /// The T32 opcode field (hw1 bits 8:5), with the Rd = PC / Rn = PC aliases (A6.3.1, A6.3.11).
    fn from_t32(op: u32, rn: u8, rd: u8, s: bool) -> Result<Alu, Fail> {
        use Alu::*;
        let test = rd == 15 && s;
        Ok(match op & 0xf {
            0b0000 if test => Tst,
            0b0000 => And,
            0b0001 => Bic,
            0b0010 if rn == 15 => Mov,
            0b0010 => Orr,
            0b0011 if rn == 15 => Mvn,
            0b0011 => Orn,
            0b0100 if test => Teq,
            0b0100 => Eor,
            0b1000 if test => Cmn,
            0b1000 => Add,
            0b1010 => Adc,
            0b1011 => Sbc,
            0b1101 if test => Cmp,
            0b1101 => Sub,
            0b1110 => Rsb,
            _ => return Err(Fail::Undefined),
        })
    }

    /// Logical operations take C from the shifter and leave V alone.
    fn is_logical(self) -> bool {
        use Alu::*;
        matches!(self, And | Eor | Tst | Teq | Orr | Mov | Bic | Mvn | Orn)
    }

    /// Compare/test operations: flags only, no destination.
    fn is_test(self) -> bool {
        matches!(self, Alu::Tst | Alu::Teq | Alu::Cmp | Alu::Cmn)
    }

    /// Whether the first operand Rn is read.
    fn uses_rn(self) -> bool {
        !matches!(self, Alu::Mov | Alu::Mvn)
    }
}

// ----- the semantics -----

/// Computes `op` on (`rn`, `op2`) and returns the result. With `setflags`, sets N
/// and Z from the result, and C, V as AddWithCarry for arithmetic, C from the
/// shifter (`sh_carry`, None = unchanged) and V unchanged for logical operations.
fn alu(t: &mut Translator, op: Alu, setflags: bool, rn: Option<Tmp>, op2: Tmp, sh_carry: Option<Tmp>) -> Tmp {
    use Alu::*;
    let a = rn.unwrap_or(op2);
    if op.is_logical() {
        let r = match op {
            And | Tst => t.bin(BinOp::And, a, op2),
            Eor | Teq => t.bin(BinOp::Xor, a, op2),
            Orr => t.bin(BinOp::Or, a, op2),
            Orn => {
                let nb = t.un(UnOp::Not, op2);
                t.bin(BinOp::Or, a, nb)
            }
            Bic => t.bin(BinOp::Bic, a, op2),
            Mov => op2,
            _ => t.un(UnOp::Not, op2), // Mvn
        };
        if setflags {
            t.set_nz(r);
            if let Some(c) = sh_carry {
                t.set_flag(Flag::C, c);
            }
        }
        return r;
    }
    if setflags {
        // AddWithCarry(x, y, cin) with the operand inversions of A8.4.1.
        let (x, y, cin) = match op {
            Add | Cmn => (a, op2, t.konst(0)),
            Sub | Cmp => (a, t.un(UnOp::Not, op2), t.konst(1)),
            Rsb => (t.un(UnOp::Not, a), op2, t.konst(1)),
            Adc => (a, op2, t.flag(Flag::C)),
            Sbc => (a, t.un(UnOp::Not, op2), t.flag(Flag::C)),
            _ => (t.un(UnOp::Not, a), op2, t.flag(Flag::C)), // Rsc
        };
        return t.add_flags(x, y, cin);
    }
    match op {
        Add | Cmn => t.bin(BinOp::Add, a, op2),
        Sub | Cmp => t.bin(BinOp::Sub, a, op2),
        Rsb => t.bin(BinOp::Sub, op2, a),
        _ => {
            let (x, y) = match op {
                Adc => (a, op2),
                Sbc => (a, t.un(UnOp::Not, op2)),
                _ => (t.un(UnOp::Not, a), op2), // Rsc
            };
            let c = t.flag(Flag::C);
            let s = t.bin(BinOp::Add, x, y);
            t.bin(BinOp::Add, s, c)
        }
    }
}

/// Shift(rm, kind, amount) by an immediate amount (from DecodeImmShift), with
/// the carry out when `want_c`. LSL #0 leaves the value and the carry alone.
fn shift_imm(t: &mut Translator, v: Tmp, kind: ShiftKind, amt: u32, want_c: bool) -> (Tmp, Option<Tmp>) {
    if kind == ShiftKind::Lsl && amt == 0 {
        return (v, None);
    }
    if want_c {
        let cin = if kind == ShiftKind::Rrx { t.flag(Flag::C) } else { t.konst(0) };
        let a = t.konst(amt);
        let (r, c) = t.shift_c(kind, v, a, cin);
        return (r, Some(c));
    }
    let r = match kind {
        ShiftKind::Rrx => {
            let c = t.flag(Flag::C);
            let hi = t.bini(BinOp::Lsl, c, 31);
            let lo = t.bini(BinOp::Lsr, v, 1);
            t.bin(BinOp::Or, hi, lo)
        }
        ShiftKind::Lsl => t.bini(BinOp::Lsl, v, amt),
        ShiftKind::Lsr => t.bini(BinOp::Lsr, v, amt),
        ShiftKind::Asr => t.bini(BinOp::Asr, v, amt),
        ShiftKind::Ror => t.bini(BinOp::Ror, v, amt),
    };
    (r, None)
}

/// Shift(rm, kind, rs[7:0]) by a register amount (the IR shifts use only its low
/// byte), with the carry out when `want_c`.
fn shift_reg(t: &mut Translator, v: Tmp, kind: ShiftKind, amt: Tmp, want_c: bool) -> (Tmp, Option<Tmp>) {
    if want_c {
        let cin = t.flag(Flag::C);
        let (r, c) = t.shift_c(kind, v, amt, cin);
        return (r, Some(c));
    }
    let op = match kind {
        ShiftKind::Lsl => BinOp::Lsl,
        ShiftKind::Lsr => BinOp::Lsr,
        ShiftKind::Asr => BinOp::Asr,
        _ => BinOp::Ror,
    };
    (t.bin(op, v, amt), None)
}

/// An expanded immediate as a shifter operand: (value, carry out).
fn imm_op2(t: &mut Translator, (v, c): (u32, Option<u32>), want_c: bool) -> (Tmp, Option<Tmp>) {
    let k = t.konst(v);
    let c = match c {
        Some(c) if want_c => Some(t.konst(c)),
        _ => None,
    };
    (k, c)
}

/// Runs `op` and writes the result to `rd` (a write to the PC is ALUWritePC).
fn dp_write(t: &mut Translator, op: Alu, setflags: bool, rd: u8, rn: u8, op2: (Tmp, Option<Tmp>)) {
    let a = if op.uses_rn() { Some(t.reg(rn)) } else { None };
    let r = alu(t, op, setflags, a, op2.0, op2.1);
    if op.is_test() {
    } else if rd == 15 {
        t.alu_write_pc(r);
    } else {
        t.set_reg(rd, r);
    }
}

/// Exception return (B9.3.19): CPSR <- SPSR, then the PC <- `value` aligned for the
/// new instruction set state. UNPREDICTABLE in User and System modes (no SPSR) and in
/// Hyp mode: we raise Undefined there. Returns the new PC with bit 0 = the new T bit.
extern "C" fn exception_return_helper(cpu: &mut CpuState, value: u64, _: u64, _: u64) -> u64 {
    let m = cpu.current_mode();
    if !m.has_spsr() || m == crate::cpu::Mode::Hyp {
        cpu.undefined_insns += 1;
        cpu.pending = Some(Exception::Undefined);
        cpu.pending_return = cpu.r[15];
        return 0;
    }
    cpu.exception_return(value as u32);
    (cpu.r[15] | cpu.t as u32) as u64
}

pub static H_EXCEPTION_RETURN: Helper =
    Helper { name: "exception_return", f: exception_return_helper, may_raise: true };

/// Emits an exception return to `value` and ends the block. The helper restores
/// the CPSR (including T and ITSTATE) from the SPSR, so the exit writes the PC
/// with the state the helper chose and must not write ITSTATE.
fn exception_return(t: &mut Translator, value: Tmp) {
    let z = t.konst(0);
    let pc = t.call(&H_EXCEPTION_RETURN, value, z, z);
    t.push(Op::WritePc { s: pc, kind: PcWrite::Interwork });
    t.push(Op::Exit { reason: ExitReason::SysChange });
    t.ended = true;
}

// ----- ARM -----

/// Common tail of the ARM forms; `op2` is built by `mk(t, want_c)`.
fn arm_dp(t: &mut Translator, f: Fields, mk: impl FnOnce(&mut Translator, bool) -> (Tmp, Option<Tmp>)) -> Res {
    let op = Alu::from_arm(f.insn >> 21);
    // Read by position: the compares have S fixed and Rd as SBZ, the ADR rows Rn fixed.
    let s = f.insn & (1 << 20) != 0;
    let (rn, rd) = (((f.insn >> 16) & 0xf) as u8, ((f.insn >> 12) & 0xf) as u8);
    if rd == 15 && s && !op.is_test() {
        // SUBS PC, LR and the other exception-return forms.
        let op2 = mk(t, false);
        let a = if op.uses_rn() { Some(t.reg(rn)) } else { None };
        let r = alu(t, op, false, a, op2.0, None);
        exception_return(t, r);
        return Ok(());
    }
    let op2 = mk(t, s && op.is_logical());
    dp_write(t, op, s, rd, rn, op2);
    Ok(())
}

fn arm_dp_imm(t: &mut Translator, f: Fields) -> Res {
    let imm = arm_expand_imm_c(f.get('i'));
    arm_dp(t, f, |t, want_c| imm_op2(t, imm, want_c))
}

fn arm_dp_reg(t: &mut Translator, f: Fields) -> Res {
    let (kind, amt) = decode_imm_shift(f.get('t'), f.get('i'));
    let rm = f.reg('m');
    arm_dp(t, f, |t, want_c| {
        let v = t.reg(rm);
        shift_imm(t, v, kind, amt, want_c)
    })
}

fn arm_dp_rsr(t: &mut Translator, f: Fields) -> Res {
    let op = Alu::from_arm(f.insn >> 21);
    let kind = decode_reg_shift(f.get('t'));
    let (rm, rs) = (f.reg('m'), f.reg('s'));
    let bad_d = !op.is_test() && f.reg('d') == 15;
    let bad_n = op.uses_rn() && f.reg('n') == 15;
    if bad_d || bad_n || rm == 15 || rs == 15 {
        return Err(Fail::Unpredictable);
    }
    arm_dp(t, f, |t, want_c| {
        let v = t.reg(rm);
        let amt = t.reg(rs);
        shift_reg(t, v, kind, amt, want_c)
    })
}

fn arm_movw(t: &mut Translator, f: Fields) -> Res {
    movw(t, f.reg('d'), (f.get('j') << 12) | f.get('i'))
}

fn arm_movt(t: &mut Translator, f: Fields) -> Res {
    movt(t, f.reg('d'), (f.get('j') << 12) | f.get('i'))
}

fn movw(t: &mut Translator, rd: u8, imm16: u32) -> Res {
    if rd == 15 {
        return Err(Fail::Unpredictable);
    }
    let k = t.konst(imm16);
    t.set_reg(rd, k);
    Ok(())
}

fn movt(t: &mut Translator, rd: u8, imm16: u32) -> Res {
    if rd == 15 {
        return Err(Fail::Unpredictable);
    }
    let old = t.reg(rd);
    let lo = t.bini(BinOp::And, old, 0xffff);
    let r = t.bini(BinOp::Or, lo, imm16 << 16);
    t.set_reg(rd, r);
    Ok(())
}

/// The three ARM forms (immediate, register, register-shifted register) of each
/// data-processing opcode, followed by `extra` rows.
macro_rules! arm_dp_rows {
    ($($name:literal, $op:literal, $s:literal, $n:literal, $d:literal;)* extra: $($x:expr,)*) => {
        &[$(
            row!(concat!($name, " (immediate) A1"), concat!("cccc 001 ", $op, $s, $n, $d, " iiiiiiiiiiii"), arm_dp_imm),
            row!(concat!($name, " (register) A1"), concat!("cccc 000 ", $op, $s, $n, $d, " iiiii tt 0 mmmm"), arm_dp_reg),
            row!(concat!($name, " (register-shifted register) A1"), concat!("cccc 000 ", $op, $s, $n, $d, " ssss 0 tt 1 mmmm"), arm_dp_rsr),
        )* $($x,)*]
    };
}

// TST/TEQ/CMP/CMN with S = 0 are the miscellaneous instructions (MRS, MSR, BX...),
// and MOVW/MOVT/MSR (immediate) in the immediate space: other modules.
pub(crate) const ARM: &[Row] = arm_dp_rows! {
    "AND", "0000", "S", "nnnn", "dddd";
    "EOR", "0001", "S", "nnnn", "dddd";
    "SUB", "0010", "S", "nnnn", "dddd";
    "RSB", "0011", "S", "nnnn", "dddd";
    "ADD", "0100", "S", "nnnn", "dddd";
    "ADC", "0101", "S", "nnnn", "dddd";
    "SBC", "0110", "S", "nnnn", "dddd";
    "RSC", "0111", "S", "nnnn", "dddd";
    "TST", "1000", "1", "nnnn", "zzzz";
    "TEQ", "1001", "1", "nnnn", "zzzz";
    "CMP", "1010", "1", "nnnn", "zzzz";
    "CMN", "1011", "1", "nnnn", "zzzz";
    "ORR", "1100", "S", "nnnn", "dddd";
    "MOV", "1101", "S", "zzzz", "dddd";
    "BIC", "1110", "S", "nnnn", "dddd";
    "MVN", "1111", "S", "zzzz", "dddd";
    extra:
    // ADR is ADD/SUB with Rn = PC; listed for coverage, same semantics.
    row!("ADR A1", "cccc 0010 1000 1111 dddd iiiiiiiiiiii", arm_dp_imm),
    row!("ADR A2", "cccc 0010 0100 1111 dddd iiiiiiiiiiii", arm_dp_imm),
    row!("MOVW A2", "cccc 0011 0000 jjjj dddd iiiiiiiiiiii", arm_movw),
    row!("MOVT A1", "cccc 0011 0100 jjjj dddd iiiiiiiiiiii", arm_movt),
};

// ----- T32 -----

fn bad_reg(r: u8) -> bool {
    r == 13 || r == 15
}

/// The UNPREDICTABLE register choices of the T32 data-processing encodings
/// (modified immediate and shifted register; `rm` for the latter). `sp_shift_ok`:
/// the shift allowed for ADD/SUB (SP plus register) with Rd = SP (LSL #0-3).
fn t32_check(op: Alu, rd: u8, rn: u8, rm: Option<u8>, sp_shift_ok: bool) -> Res {
    use Alu::*;
    let bad = match op {
        Tst | Teq => bad_reg(rn),
        Cmp | Cmn => rn == 15,
        Mov | Mvn => bad_reg(rd),
        // ADD/SUB (SP plus immediate/register): Rd may be SP.
        Add | Sub if rn == 13 => rd == 15 || (rd == 13 && rm.is_some() && !sp_shift_ok),
        _ => bad_reg(rd) || bad_reg(rn),
    };
    if bad || rm.is_some_and(bad_reg) {
        Err(Fail::Unpredictable)
    } else {
        Ok(())
    }
}

fn t32_dp_imm(t: &mut Translator, f: Fields) -> Res {
    let (rn, rd, s) = (f.reg('n'), f.reg('d'), f.bit('S'));
    let op = Alu::from_t32(f.insn >> 21, rn, rd, s)?;
    t32_check(op, rd, rn, None, false)?;
    let imm = thumb_expand_imm_c(f.get('i'))?;
    let op2 = imm_op2(t, imm, s && op.is_logical());
    dp_write(t, op, s, rd, rn, op2);
    Ok(())
}

fn t32_dp_reg(t: &mut Translator, f: Fields) -> Res {
    let (rn, rd, rm, s) = (f.reg('n'), f.reg('d'), f.reg('m'), f.bit('S'));
    let (kind, amt) = decode_imm_shift(f.get('t'), f.get('i'));
    let op = Alu::from_t32(f.insn >> 21, rn, rd, s)?;
    if op == Alu::Mov && kind == ShiftKind::Lsl && amt == 0 {
        // MOV (register) T3: SP moves are allowed without S.
        let bad = if s { bad_reg(rd) || bad_reg(rm) } else { rd == 15 || rm == 15 || (rd == 13 && rm == 13) };
        if bad {
            return Err(Fail::Unpredictable);
        }
    } else {
        t32_check(op, rd, rn, Some(rm), kind == ShiftKind::Lsl && amt <= 3)?;
    }
    let v = t.reg(rm);
    let op2 = shift_imm(t, v, kind, amt, s && op.is_logical());
    dp_write(t, op, s, rd, rn, op2);
    Ok(())
}

/// LSL/LSR/ASR/ROR (register) T2: MOV with a register-shifted register.
fn t32_shift_reg(t: &mut Translator, f: Fields) -> Res {
    let (rn, rd, rm, s) = (f.reg('n'), f.reg('d'), f.reg('m'), f.bit('S'));
    if bad_reg(rd) || bad_reg(rn) || bad_reg(rm) {
        return Err(Fail::Unpredictable);
    }
    let v = t.reg(rn);
    let amt = t.reg(rm);
    let op2 = shift_reg(t, v, decode_reg_shift(f.get('t')), amt, s);
    dp_write(t, Alu::Mov, s, rd, 0, op2);
    Ok(())
}

/// ADDW/SUBW (ADD/SUB (immediate) T4), ADD/SUB (SP plus immediate) T4, ADR T2/T3.
fn t32_addw_subw(t: &mut Translator, f: Fields) -> Res {
    let (rn, rd) = (f.reg('n'), f.reg('d'));
    let sub = f.insn & (1 << 23) != 0;
    let bad = match rn {
        13 => rd == 15,
        _ => bad_reg(rd),
    };
    if bad {
        return Err(Fail::Unpredictable);
    }
    let a = if rn == 15 { t.pc_aligned() } else { t.reg(rn) };
    let k = t.konst(f.get('i'));
    let r = alu(t, if sub { Alu::Sub } else { Alu::Add }, false, Some(a), k, None);
    t.set_reg(rd, r);
    Ok(())
}

fn t32_movw(t: &mut Translator, f: Fields) -> Res {
    if f.reg('d') == 13 {
        return Err(Fail::Unpredictable);
    }
    movw(t, f.reg('d'), (f.get('j') << 12) | f.get('i'))
}

fn t32_movt(t: &mut Translator, f: Fields) -> Res {
    if f.reg('d') == 13 {
        return Err(Fail::Unpredictable);
    }
    movt(t, f.reg('d'), (f.get('j') << 12) | f.get('i'))
}

/// SUBS PC, LR, #imm8 T1 (B9.3.19).
fn t32_subs_pc_lr(t: &mut Translator, f: Fields) -> Res {
    if t.in_it_block() && !t.last_in_it_block() {
        return Err(Fail::Unpredictable);
    }
    let lr = t.reg(14);
    let r = t.bini(BinOp::Sub, lr, f.get('i'));
    exception_return(t, r);
    Ok(())
}

/// The modified-immediate and shifted-register rows of each T32 opcode.
macro_rules! t32_dp_rows {
    ($($name:literal, $op:literal;)* extra: $($x:expr,)*) => {
        &[$(
            row!(concat!($name, " (modified immediate) T32"), concat!("11110 i 0 ", $op, " S nnnn 0 iii dddd iiiiiiii"), t32_dp_imm),
            row!(concat!($name, " (shifted register) T32"), concat!("1110101 ", $op, " S nnnn z iii dddd ii tt mmmm"), t32_dp_reg),
        )* $($x,)*]
    };
}

// Rd = PC with S = 1 selects TST/TEQ/CMN/CMP; Rn = PC selects MOV/MVN (and the
// shift-by-immediate aliases).
pub(crate) const T32: &[Row] = t32_dp_rows! {
    "AND/TST", "0000";
    "BIC", "0001";
    "ORR/MOV", "0010";
    "ORN/MVN", "0011";
    "EOR/TEQ", "0100";
    "ADD/CMN", "1000";
    "ADC", "1010";
    "SBC", "1011";
    "SUB/CMP", "1101";
    "RSB", "1110";
    extra:
    row!("ADD (immediate) T4 (ADDW)", "11110 i 10 0000 nnnn 0 iii dddd iiiiiiii", t32_addw_subw),
    row!("SUB (immediate) T4 (SUBW)", "11110 i 10 1010 nnnn 0 iii dddd iiiiiiii", t32_addw_subw),
    row!("MOV (immediate) T3 (MOVW)", "11110 i 10 0100 jjjj 0 iii dddd iiiiiiii", t32_movw),
    row!("MOVT T1", "11110 i 10 1100 jjjj 0 iii dddd iiiiiiii", t32_movt),
    row!("LSL/LSR/ASR/ROR (register) T2", "11111010 0 tt S nnnn 1111 dddd 0000 mmmm", t32_shift_reg),
    row!("SUBS PC, LR, #imm8 T1", "11110011 1101 oooz 10z0 oooo iiiiiiii", t32_subs_pc_lr),
};

// ----- T16 -----

/// 16-bit data processing sets the flags only outside an IT block.
fn t16_s(t: &Translator) -> bool {
    !t.in_it_block()
}

fn rd3(f: &Fields) -> u8 {
    (f.insn & 7) as u8
}

fn rm3(f: &Fields) -> u8 {
    ((f.insn >> 3) & 7) as u8
}

/// LSL/LSR/ASR (immediate) T1.
fn t16_shift_imm(t: &mut Translator, f: Fields) -> Res {
    let s = t16_s(t);
    let (kind, amt) = decode_imm_shift(f.insn >> 11, f.get('i'));
    let v = t.reg(rm3(&f));
    let op2 = shift_imm(t, v, kind, amt, s);
    dp_write(t, Alu::Mov, s, rd3(&f), 0, op2);
    Ok(())
}

/// MOV (register) T2 (MOVS Rd, Rm, the encoding of LSL #0): always sets flags.
fn t16_movs_reg(t: &mut Translator, f: Fields) -> Res {
    if t.in_it_block() {
        return Err(Fail::Unpredictable);
    }
    let v = t.reg(rm3(&f));
    dp_write(t, Alu::Mov, true, rd3(&f), 0, (v, None));
    Ok(())
}

/// ADD/SUB (register) T1 and ADD/SUB (immediate) T1 (bit 10: immediate, bit 9: subtract).
fn t16_add_sub3(t: &mut Translator, f: Fields) -> Res {
    let s = t16_s(t);
    let op = if f.insn & (1 << 9) != 0 { Alu::Sub } else { Alu::Add };
    let x = ((f.insn >> 6) & 7) as u8;
    let op2 = if f.insn & (1 << 10) != 0 { t.konst(x as u32) } else { t.reg(x) };
    dp_write(t, op, s, rd3(&f), rm3(&f), (op2, None));
    Ok(())
}

/// MOV/CMP/ADD/SUB (immediate) with an 8-bit immediate.
fn t16_imm8(t: &mut Translator, f: Fields) -> Res {
    let op = [Alu::Mov, Alu::Cmp, Alu::Add, Alu::Sub][((f.insn >> 11) & 3) as usize];
    let s = op == Alu::Cmp || t16_s(t);
    let rdn = f.reg('d');
    let k = t.konst(f.get('i'));
    dp_write(t, op, s, rdn, rdn, (k, None));
    Ok(())
}

/// The data-processing (register) group: Rdn op= Rm.
fn t16_dp_reg(t: &mut Translator, f: Fields) -> Res {
    use Alu::*;
    let (rdn, rm) = (rd3(&f), rm3(&f));
    let opc = (f.insn >> 6) & 0xf;
    let shift = match opc {
        0b0010 => Some(ShiftKind::Lsl),
        0b0011 => Some(ShiftKind::Lsr),
        0b0100 => Some(ShiftKind::Asr),
        0b0111 => Some(ShiftKind::Ror),
        _ => None,
    };
    if let Some(kind) = shift {
        let s = t16_s(t);
        let v = t.reg(rdn);
        let amt = t.reg(rm);
        let op2 = shift_reg(t, v, kind, amt, s);
        dp_write(t, Mov, s, rdn, 0, op2);
        return Ok(());
    }
    if opc == 0b1001 {
        // RSB (immediate) T1: Rd = 0 - Rn (NEG).
        let s = t16_s(t);
        let z = t.konst(0);
        dp_write(t, Rsb, s, rdn, rm, (z, None));
        return Ok(());
    }
    let op = match opc {
        0b0000 => And,
        0b0001 => Eor,
        0b0101 => Adc,
        0b0110 => Sbc,
        0b1000 => Tst,
        0b1010 => Cmp,
        0b1011 => Cmn,
        0b1100 => Orr,
        0b1110 => Bic,
        0b1111 => Mvn,
        _ => return Err(Fail::Undefined), // MUL lives in mul.rs
    };
    let s = op.is_test() || t16_s(t);
    let v = t.reg(rm);
    dp_write(t, op, s, rdn, rdn, (v, None));
    Ok(())
}

/// ADD (register) T2 / ADD (SP plus register) T1, T2: no flags; Rd = PC branches.
fn t16_add_hi(t: &mut Translator, f: Fields) -> Res {
    let (rdn, rm) = (f.reg('d'), f.reg('m'));
    if (rdn == 15 && t.in_it_block() && !t.last_in_it_block()) || (rdn == 15 && rm == 15) {
        return Err(Fail::Unpredictable);
    }
    let v = t.reg(rm);
    dp_write(t, Alu::Add, false, rdn, rdn, (v, None));
    Ok(())
}

/// CMP (register) T2 (high registers).
fn t16_cmp_hi(t: &mut Translator, f: Fields) -> Res {
    let (rn, rm) = (f.reg('n'), f.reg('m'));
    if (rn < 8 && rm < 8) || rn == 15 || rm == 15 {
        return Err(Fail::Unpredictable);
    }
    let v = t.reg(rm);
    dp_write(t, Alu::Cmp, true, 0, rn, (v, None));
    Ok(())
}

/// MOV (register) T1: no flags; Rd = PC branches.
fn t16_mov_hi(t: &mut Translator, f: Fields) -> Res {
    let (rd, rm) = (f.reg('d'), f.reg('m'));
    if rd == 15 && t.in_it_block() && !t.last_in_it_block() {
        return Err(Fail::Unpredictable);
    }
    let v = t.reg(rm);
    dp_write(t, Alu::Mov, false, rd, 0, (v, None));
    Ok(())
}

/// ADR T1: Rd = Align(PC, 4) + imm8 * 4.
fn t16_adr(t: &mut Translator, f: Fields) -> Res {
    let a = t.pc_aligned();
    let k = t.konst(f.get('i') << 2);
    let r = alu(t, Alu::Add, false, Some(a), k, None);
    t.set_reg(f.reg('d'), r);
    Ok(())
}

/// ADD (SP plus immediate) T1: Rd = SP + imm8 * 4.
fn t16_add_sp_imm8(t: &mut Translator, f: Fields) -> Res {
    let k = t.konst(f.get('i') << 2);
    dp_write(t, Alu::Add, false, f.reg('d'), 13, (k, None));
    Ok(())
}

/// ADD (SP plus immediate) T2 / SUB (SP minus immediate) T1: SP +/-= imm7 * 4.
fn t16_sp_adjust(t: &mut Translator, f: Fields) -> Res {
    let op = if f.insn & (1 << 7) != 0 { Alu::Sub } else { Alu::Add };
    let k = t.konst(f.get('i') << 2);
    dp_write(t, op, false, 13, 13, (k, None));
    Ok(())
}

pub(crate) const T16: &[Row] = &[
    row!("LSL (immediate) T1", "00000 iiiii mmm ddd", t16_shift_imm),
    row!("MOV (register) T2", "00000 00000 mmm ddd", t16_movs_reg),
    row!("LSR (immediate) T1", "00001 iiiii mmm ddd", t16_shift_imm),
    row!("ASR (immediate) T1", "00010 iiiii mmm ddd", t16_shift_imm),
    row!("ADD (register) T1", "0001100 mmm nnn ddd", t16_add_sub3),
    row!("SUB (register) T1", "0001101 mmm nnn ddd", t16_add_sub3),
    row!("ADD (immediate) T1", "0001110 iii nnn ddd", t16_add_sub3),
    row!("SUB (immediate) T1", "0001111 iii nnn ddd", t16_add_sub3),
    row!("MOV (immediate) T1", "00100 ddd iiiiiiii", t16_imm8),
    row!("CMP (immediate) T1", "00101 ddd iiiiiiii", t16_imm8),
    row!("ADD (immediate) T2", "00110 ddd iiiiiiii", t16_imm8),
    row!("SUB (immediate) T2", "00111 ddd iiiiiiii", t16_imm8),
    row!("AND (register) T1", "010000 0000 mmm ddd", t16_dp_reg),
    row!("EOR (register) T1", "010000 0001 mmm ddd", t16_dp_reg),
    row!("LSL (register) T1", "010000 0010 mmm ddd", t16_dp_reg),
    row!("LSR (register) T1", "010000 0011 mmm ddd", t16_dp_reg),
    row!("ASR (register) T1", "010000 0100 mmm ddd", t16_dp_reg),
    row!("ADC (register) T1", "010000 0101 mmm ddd", t16_dp_reg),
    row!("SBC (register) T1", "010000 0110 mmm ddd", t16_dp_reg),
    row!("ROR (register) T1", "010000 0111 mmm ddd", t16_dp_reg),
    row!("TST (register) T1", "010000 1000 mmm nnn", t16_dp_reg),
    row!("RSB (immediate) T1", "010000 1001 nnn ddd", t16_dp_reg),
    row!("CMP (register) T1", "010000 1010 mmm nnn", t16_dp_reg),
    row!("CMN (register) T1", "010000 1011 mmm nnn", t16_dp_reg),
    row!("ORR (register) T1", "010000 1100 mmm ddd", t16_dp_reg),
    row!("BIC (register) T1", "010000 1110 mmm ddd", t16_dp_reg),
    row!("MVN (register) T1", "010000 1111 mmm ddd", t16_dp_reg),
    row!("ADD (register) T2", "01000100 d mmmm ddd", t16_add_hi),
    row!("CMP (register) T2", "01000101 n mmmm nnn", t16_cmp_hi),
    row!("MOV (register) T1", "01000110 d mmmm ddd", t16_mov_hi),
    row!("ADR T1", "10100 ddd iiiiiiii", t16_adr),
    row!("ADD (SP plus immediate) T1", "10101 ddd iiiiiiii", t16_add_sp_imm8),
    row!("ADD (SP plus immediate) T2", "101100000 iiiiiii", t16_sp_adjust),
    row!("SUB (SP minus immediate) T1", "101100001 iiiiiii", t16_sp_adjust),
];

#[cfg(test)]
mod tests {
    use crate::arm::testutil::{run_arm, run_thumb, FlatMem, CODE};
    use crate::cpu::{CpuState, Exception, ExitReason, Mode};
    use crate::ir::interp::{run_block, Temps};

    fn nzcv(c: &CpuState) -> (u8, u8, u8, u8) {
        (c.n, c.z, c.c, c.v)
    }

    /// Sets r0.. = `regs` and NZCV = `flags` (bits 3..0).
    fn cpu(regs: &[u32], flags: u8) -> CpuState {
        let mut c = CpuState::new();
        c.r[..regs.len()].copy_from_slice(regs);
        c.n = flags >> 3 & 1;
        c.z = flags >> 2 & 1;
        c.c = flags >> 1 & 1;
        c.v = flags & 1;
        c
    }

    /// Runs ARM words, then `sub pc, pc, #4` to end the block at the stop address.
    #[track_caller]
    fn arm(words: &[u32], regs: &[u32], flags: u8) -> CpuState {
        let mut c = cpu(regs, flags);
        let mut w = words.to_vec();
        w.push(0xe24ff004);
        let (r, _) = run_arm(&mut c, &w);
        assert_eq!(r, ExitReason::Branch, "{:?} at {:#x}", c.pending, c.r[15]);
        assert_eq!(c.r[15], CODE + 4 * w.len() as u32);
        c
    }

    /// Runs Thumb halfwords with ITSTATE `it`, then `mov pc, pc` (and a padding
    /// halfword) to end the block at the stop address.
    #[track_caller]
    fn thumb_it(hw: &[u16], regs: &[u32], flags: u8, it: u8) -> CpuState {
        let mut c = cpu(regs, flags);
        c.it = it;
        let mut h = hw.to_vec();
        if h.len() % 2 == 1 {
            h.push(0x4600); // mov r0, r0: keeps mov pc, pc word aligned
        }
        h.extend_from_slice(&[0x46ff, 0x4600]);
        let (r, _) = run_thumb(&mut c, &h);
        assert_eq!(r, ExitReason::Branch, "{:?}", c.pending);
        assert_eq!(c.r[15], CODE + 2 * h.len() as u32);
        c
    }

    #[track_caller]
    fn thumb(hw: &[u16], regs: &[u32], flags: u8) -> CpuState {
        thumb_it(hw, regs, flags, 0)
    }

    /// Translates and runs exactly one block at CODE (for instructions that leave it).
    fn one_block(c: &mut CpuState, code: &[u8], thumb: bool) -> ExitReason {
        let mut mem = FlatMem::new(0, 0x10000);
        mem.write_bytes(CODE, code);
        c.r[15] = CODE;
        c.t = thumb as u8;
        let b = crate::arm::translate_block(&mut mem, c, CODE, thumb, c.it).unwrap();
        run_block(c, &mut mem, &b, &mut Temps::default())
    }

    fn arm1(c: &mut CpuState, words: &[u32]) -> ExitReason {
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        one_block(c, &b, false)
    }

    fn thumb1(c: &mut CpuState, hw: &[u16]) -> ExitReason {
        let b: Vec<u8> = hw.iter().flat_map(|w| w.to_le_bytes()).collect();
        one_block(c, &b, true)
    }

    // ----- ARM -----

    #[test]
    fn arm_add_sub_flags() {
        // adds r0, r1, r2
        let c = arm(&[0xe0910002], &[0, 0x7fff_ffff, 1], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0000, (1, 0, 0, 1)));
        let c = arm(&[0xe0910002], &[0, 0xffff_ffff, 1], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // subs r0, r1, r2: 5 - 5
        let c = arm(&[0xe0510002], &[0, 5, 5], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // subs 3 - 5: borrow, C = 0
        let c = arm(&[0xe0510002], &[0, 3, 5], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_fffe, (1, 0, 0, 0)));
        // subs 0x80000000 - 1: signed overflow
        let c = arm(&[0xe0510002], &[0, 0x8000_0000, 1], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x7fff_ffff, (0, 0, 1, 1)));
        // rsbs r0, r1, r2: r2 - r1
        let c = arm(&[0xe0710002], &[0, 3, 10], 0);
        assert_eq!((c.r[0], nzcv(&c)), (7, (0, 0, 1, 0)));
    }

    #[test]
    fn immediate_subtractions_are_sub_flags() {
        use crate::ir::Op;
        // cmp r0, #5; subs r0, r1, #1; rsbs r0, r1, #0; Thumb cmp r0, #0; subs r0, r1, r2 (register)
        for (insn, thumb, size) in [(0xe3500005, false, 4), (0xe2510001, false, 4), (0xe2710000, false, 4), (0x2800, true, 2), (0xe0510002, false, 4)] {
            let ops = crate::arm::check_insn(insn, thumb, size, 0).unwrap();
            assert!(ops.iter().any(|o| matches!(o, Op::SubFlags { .. })), "{insn:#x}: {ops:?}");
            assert!(!ops.iter().any(|o| matches!(o, Op::AddFlags { .. })), "{insn:#x}: {ops:?}");
        }
        // Their results and flags: cmp 5 - 5, 3 - 5 (borrow); subs 0x80000000 - 1 (overflow);
        // rsbs 0 - 0, 0 - 1 (borrow), 0 - 0x80000000 (overflow). (insn, r0/r1, NZCV in, r0 out, NZCV out)
        let cases: [(u32, [u32; 2], u8, u32, (u8, u8, u8, u8)); 6] = [
            (0xe3500005, [5, 0], 0, 5, (0, 1, 1, 0)),
            (0xe3500005, [3, 0], 0b0010, 3, (1, 0, 0, 0)),
            (0xe2510001, [0, 0x8000_0000], 0, 0x7fff_ffff, (0, 0, 1, 1)),
            (0xe2710000, [0, 0], 0, 0, (0, 1, 1, 0)),
            (0xe2710000, [0, 1], 0b0010, 0xffff_ffff, (1, 0, 0, 0)),
            (0xe2710000, [0, 0x8000_0000], 0, 0x8000_0000, (1, 0, 0, 1)),
        ];
        for (insn, regs, flags, r0, want) in cases {
            let c = arm(&[insn], &regs, flags);
            assert_eq!((c.r[0], nzcv(&c)), (r0, want), "{insn:#x} with {regs:x?}");
        }
    }

    #[test]
    fn arm_carry_in_ops() {
        // adcs r0, r1, r2 with C = 1
        let c = arm(&[0xe0b10002], &[0, 0xffff_fffe, 1], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // sbcs r0, r1, r2 with C = 0: r1 - r2 - 1
        let c = arm(&[0xe0d10002], &[0, 10, 3], 0);
        assert_eq!((c.r[0], nzcv(&c)), (6, (0, 0, 1, 0)));
        // sbcs 3 - 3 - 1 = -1, C = 0
        let c = arm(&[0xe0d10002], &[0, 3, 3], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_ffff, (1, 0, 0, 0)));
        // rscs r0, r1, r2 with C = 1: r2 - r1
        let c = arm(&[0xe0f10002], &[0, 3, 10], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (7, (0, 0, 1, 0)));
        // adc r0, r1, r2 (no S): flags unchanged
        let c = arm(&[0xe0a10002], &[0, 1, 2], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (4, (0, 0, 1, 0)));
        // sbc r0, r1, r2 (no S) with C = 0
        let c = arm(&[0xe0c10002], &[0, 10, 3], 0b1001);
        assert_eq!((c.r[0], nzcv(&c)), (6, (1, 0, 0, 1)));
        // rsc r0, r1, #1 with C = 1: 1 - r1
        let c = arm(&[0xe2e10001], &[0, 5], 0b0010);
        assert_eq!(c.r[0], 0xffff_fffc);
    }

    #[test]
    fn arm_shifter_carry() {
        // lsls r0, r1, #1
        let c = arm(&[0xe1b00081], &[0, 0x8000_0001], 0b0001);
        assert_eq!((c.r[0], nzcv(&c)), (2, (0, 0, 1, 1)), "V unchanged by logical ops");
        // lsrs r0, r1, #32
        let c = arm(&[0xe1b00021], &[0, 0x8000_0000], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // asrs r0, r1, #32
        let c = arm(&[0xe1b00041], &[0, 0x8000_0000], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_ffff, (1, 0, 1, 0)));
        // rrxs r0, r1 with C = 1
        let c = arm(&[0xe1b00061], &[0, 3], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0001, (1, 0, 1, 0)));
        // rors r0, r1, #4
        let c = arm(&[0xe1b00261], &[0, 0x0000_0008], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0000, (1, 0, 1, 0)));
        // lsls r0, r1, r2: by 0 keeps C, by 32 gives bit 0, by 33 gives 0, by 256 is 0
        let c = arm(&[0xe1b00211], &[0, 5, 0], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (5, (0, 0, 1, 0)));
        let c = arm(&[0xe1b00211], &[0, 5, 32], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        let c = arm(&[0xe1b00211], &[0, 5, 33], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 0, 0)));
        let c = arm(&[0xe1b00211], &[0, 5, 256], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (5, (0, 0, 1, 0)));
        // ands r0, r1, #0xff000000: rotated immediate, C = bit 31
        let c = arm(&[0xe21104ff], &[0, 0xf000_0000], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xf000_0000, (1, 0, 1, 0)));
        // ands r0, r1, #0xff: unrotated, C unchanged
        let c = arm(&[0xe21100ff], &[0, 0x100], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // mvns r0, r1: C unchanged (LSL #0)
        let c = arm(&[0xe1f00001], &[0, 0xffff_ffff], 0b0011);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 1)));
    }

    #[test]
    fn arm_compares() {
        // tst r1, #0x80000000: C = 1 from the rotated immediate
        let c = arm(&[0xe3110102], &[7, 0x8000_0000], 0);
        assert_eq!((c.r[0], nzcv(&c)), (7, (1, 0, 1, 0)));
        // teq r1, r2
        let c = arm(&[0xe1310002], &[0, 9, 9], 0b0010);
        assert_eq!(nzcv(&c), (0, 1, 1, 0));
        // cmp r1, #5
        let c = arm(&[0xe3510005], &[0, 4], 0);
        assert_eq!(nzcv(&c), (1, 0, 0, 0));
        // cmn r1, r2
        let c = arm(&[0xe1710002], &[0, 0xffff_ffff, 1], 0);
        assert_eq!(nzcv(&c), (0, 1, 1, 0));
    }

    #[test]
    fn arm_operands_and_moves() {
        // orr r0, r1, r2, lsl r3 (only the low byte of r3 counts)
        let c = arm(&[0xe1810312], &[0, 1, 1, 0x104], 0);
        assert_eq!(c.r[0], 0x11);
        // bic r0, r1, r2, asr #2
        let c = arm(&[0xe1c10142], &[0, 0xffff_ffff, 0x8000_0000], 0);
        assert_eq!(c.r[0], 0x1fff_ffff);
        // eor r0, r1, r2, ror #8
        let c = arm(&[0xe0210462], &[0, 0, 0x12], 0);
        assert_eq!(c.r[0], 0x1200_0000);
        // add r0, pc, #8 (PC reads as the address + 8)
        let c = arm(&[0xe28f0008], &[], 0);
        assert_eq!(c.r[0], CODE + 16);
        // movw r0, #0x1234; movt r0, #0xabcd
        let c = arm(&[0xe3010234, 0xe34a0bcd], &[0xffff_ffff], 0);
        assert_eq!(c.r[0], 0xabcd_1234);
        // addeq r0, r0, #1 with Z = 0 and Z = 1
        assert_eq!(arm(&[0x02800001], &[5], 0).r[0], 5);
        assert_eq!(arm(&[0x02800001], &[5], 0b0100).r[0], 6);
    }

    #[test]
    fn arm_alu_write_pc_interworks() {
        // mov pc, lr with lr odd: to Thumb
        let mut c = CpuState::new();
        c.r[14] = 0x2001;
        arm1(&mut c, &[0xe1a0f00e]);
        assert_eq!((c.r[15], c.t), (0x2000, 1));
        // add pc, r1, r2, lsl r3 is UNPREDICTABLE: Undefined
        let mut c = CpuState::new();
        let r = arm1(&mut c, &[0xe081f312]);
        assert_eq!((r, c.pending), (ExitReason::Exception, Some(Exception::Undefined)));
    }

    #[test]
    fn arm_exception_return() {
        // subs pc, lr, #4 in SVC mode, SPSR = user mode, Thumb, Z and C set
        let mut c = CpuState::new();
        c.r[14] = 0x3005;
        c.spsr[Mode::Svc.bank()] = 0x6000_0030;
        c.r[13] = 0x111;
        c.bank_sp[Mode::Usr.bank()] = 0x222;
        arm1(&mut c, &[0xe25ef004]);
        assert_eq!(c.current_mode(), Mode::Usr);
        assert_eq!((c.r[15], c.t, nzcv(&c)), (0x3000, 1, (0, 1, 1, 0)));
        assert_eq!(c.r[13], 0x222);
        // movs pc, lr to ARM state: aligned to 4
        let mut c = CpuState::new();
        c.r[14] = 0x3006;
        c.spsr[Mode::Svc.bank()] = 0x8000_0013;
        arm1(&mut c, &[0xe1b0f00e]);
        assert_eq!((c.r[15], c.t, c.n, c.current_mode()), (0x3004, 0, 1, Mode::Svc));
        // movs pc, lr in User mode is UNPREDICTABLE: Undefined at the instruction
        let mut c = CpuState::new();
        c.set_cpsr(0x10, 0x1f);
        c.r[14] = 0x3000;
        let r = arm1(&mut c, &[0xe1a00000, 0xe1b0f00e]);
        assert_eq!((r, c.pending, c.pending_return), (ExitReason::Exception, Some(Exception::Undefined), CODE + 4));
        assert_eq!(c.current_mode(), Mode::Usr);
    }

    // ----- T32 -----

    #[test]
    fn t32_modified_immediate() {
        // adds.w r0, r1, #0x00ab00ab
        let c = thumb(&[0xf111, 0x10ab], &[0, 1], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x00ab_00ac, (0, 0, 0, 0)));
        // ands.w r0, r1, #0xff000000: rotated, C = 1
        let c = thumb(&[0xf011, 0x407f], &[0, 0x1200_0034], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x1200_0000, (0, 0, 1, 0)));
        // eors.w r0, r1, #1: unrotated, C unchanged
        let c = thumb(&[0xf091, 0x0001], &[0, 1], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // orn r0, r1, #0xff
        let c = thumb(&[0xf061, 0x00ff], &[0, 0x0000_0100], 0);
        assert_eq!(c.r[0], 0xffff_ff00);
        // tst.w r1, #0x80000000
        let c = thumb(&[0xf011, 0x4f00], &[0, 0x8000_0000], 0);
        assert_eq!(nzcv(&c), (1, 0, 1, 0));
        // cmp.w r1, #5
        let c = thumb(&[0xf1b1, 0x0f05], &[0, 5], 0);
        assert_eq!(nzcv(&c), (0, 1, 1, 0));
        // rsb r0, r1, #10
        let c = thumb(&[0xf1c1, 0x000a], &[0, 3], 0);
        assert_eq!(c.r[0], 7);
        // sub.w r0, sp, #8
        let c = thumb(&[0xf1ad, 0x0008], &[0; 0], 0);
        assert_eq!(c.r[0], 0u32.wrapping_sub(8));
        // mov.w r0, #0x55555555
        let c = thumb(&[0xf04f, 0x3055], &[], 0);
        assert_eq!(c.r[0], 0x5555_5555);
    }

    #[test]
    fn t32_shifted_register() {
        // mvns.w r0, r1
        let c = thumb(&[0xea7f, 0x0001], &[0, 0], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_ffff, (1, 0, 0, 0)));
        // teq r1, r2
        let c = thumb(&[0xea91, 0x0f02], &[0, 3, 3], 0);
        assert_eq!(nzcv(&c), (0, 1, 0, 0));
        // add.w r0, r1, r2, lsl #3
        let c = thumb(&[0xeb01, 0x00c2], &[0, 1, 2], 0);
        assert_eq!(c.r[0], 17);
        // movs.w r0, r1, asr #3 (ASRS)
        let c = thumb(&[0xea5f, 0x00e1], &[0, 0x8000_0004], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xf000_0000, (1, 0, 1, 0)));
        // movs.w r0, r1, rrx
        let c = thumb(&[0xea5f, 0x0031], &[0, 2], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0001, (1, 0, 0, 0)));
        // sbcs.w r0, r1, r2 (C = 1)
        let c = thumb(&[0xeb71, 0x0002], &[0, 5, 5], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // adc.w r0, r1, r2 (C = 1)
        let c = thumb(&[0xeb41, 0x0002], &[0, 5, 5], 0b0010);
        assert_eq!(c.r[0], 11);
        // bic.w r0, r1, r2, lsr #1
        let c = thumb(&[0xea21, 0x0052], &[0, 0xff, 0x2], 0);
        assert_eq!(c.r[0], 0xfe);
        // orn r0, r1, r2
        let c = thumb(&[0xea61, 0x0002], &[0, 0, 0xffff_fff0], 0);
        assert_eq!(c.r[0], 0xf);
        // cmn.w r1, r2
        let c = thumb(&[0xeb11, 0x0f02], &[0, 0x8000_0000, 0x8000_0000], 0);
        assert_eq!(nzcv(&c), (0, 1, 1, 1));
        // mov.w sp, r0; add.w sp, sp, r1, lsl #2
        let c = thumb(&[0xea4f, 0x0d00, 0xeb0d, 0x0d81], &[0x100, 4], 0);
        assert_eq!(c.r[13], 0x110);
        // movs.w r0, r1 (MOV register T3 with S)
        let c = thumb(&[0xea5f, 0x0001], &[7, 0], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
    }

    #[test]
    fn t32_plain_immediate_and_shifts() {
        // addw r0, r1, #0xfff; subw r2, r1, #0xfff
        let c = thumb(&[0xf601, 0x70ff], &[0, 1], 0b0100);
        assert_eq!((c.r[0], c.z), (0x1000, 1));
        let c = thumb(&[0xf6a1, 0x70ff], &[0, 0x1000], 0);
        assert_eq!(c.r[0], 1);
        // adr.w r0, +8 / -16 from Align(PC, 4) (instruction at CODE + 2: PC = CODE + 6 -> CODE + 4)
        let c = thumb(&[0x4600, 0xf20f, 0x0008], &[], 0);
        assert_eq!(c.r[0], CODE + 4 + 8);
        let c = thumb(&[0xf2af, 0x0010], &[], 0);
        assert_eq!(c.r[0], CODE + 4 - 16);
        // movw r0, #0xabcd; movt r0, #0x1234
        let c = thumb(&[0xf64a, 0x30cd, 0xf2c1, 0x2034], &[0xffff_ffff], 0);
        assert_eq!(c.r[0], 0x1234_abcd);
        // lsls.w r0, r1, r2
        let c = thumb(&[0xfa11, 0xf002], &[0, 3, 31], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0000, (1, 0, 1, 0)));
        // rors.w r0, r1, r2: by 32 gives C = bit 31
        let c = thumb(&[0xfa71, 0xf002], &[0, 0x8000_0000, 32], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0000, (1, 0, 1, 0)));
    }

    #[test]
    fn t32_subs_pc_lr() {
        // subs pc, lr, #4 in IRQ mode returning to ARM SVC mode
        let mut c = CpuState::new();
        c.set_cpsr(0x12, 0x1f);
        c.r[14] = 0x4004;
        c.spsr[Mode::Irq.bank()] = 0x4000_0013;
        thumb1(&mut c, &[0xf3de, 0x8f04]);
        assert_eq!((c.r[15], c.t, c.z, c.current_mode()), (0x4000, 0, 1, Mode::Svc));
        // subs pc, lr, #0 restoring ITSTATE and Thumb
        let mut c = CpuState::new();
        c.r[14] = 0x4002;
        let it = 0x0c;
        c.spsr[Mode::Svc.bank()] = 0x13 | 0x20 | crate::cpu::psr::it_to_psr(it);
        thumb1(&mut c, &[0xf3de, 0x8f00]);
        assert_eq!((c.r[15], c.t, c.it), (0x4002, 1, it));
    }

    // ----- T16 -----

    #[test]
    fn t16_add_sub_mov_cmp() {
        // adds r0, r1, r2
        let c = thumb(&[0x1888], &[0, 0x7fff_ffff, 1], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0000, (1, 0, 0, 1)));
        // subs r0, r1, #3
        let c = thumb(&[0x1ec8], &[0, 3], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // movs r0, #0: C, V unchanged
        let c = thumb(&[0x2000], &[9], 0b0011);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 1)));
        // cmp r0, #5
        let c = thumb(&[0x2805], &[4], 0);
        assert_eq!(nzcv(&c), (1, 0, 0, 0));
        // adds r0, #200; subs r0, #1
        let c = thumb(&[0x30c8, 0x3801], &[0xffff_ff38], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_ffff, (1, 0, 0, 0)));
        // negs r0, r1
        let c = thumb(&[0x4248], &[0, 1], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_ffff, (1, 0, 0, 0)));
        let c = thumb(&[0x4248], &[0, 0], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // movs r0, r1 (MOV register T2)
        let c = thumb(&[0x0008], &[5, 0x8000_0000], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0000, (1, 0, 1, 0)));
    }

    #[test]
    fn t16_shifts() {
        // lsls r0, r1, #3
        let c = thumb(&[0x00c8], &[0, 0x2000_0001], 0);
        assert_eq!((c.r[0], nzcv(&c)), (8, (0, 0, 1, 0)));
        // lsrs r0, r1, #32
        let c = thumb(&[0x0808], &[0, 0x8000_0000], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // asrs r0, r1, #31
        let c = thumb(&[0x17c8], &[0, 0x4000_0000], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 1, 0)));
        // lsls r0, r1 (register): by 0 keeps C
        let c = thumb(&[0x4088], &[0x8000_0000, 0], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0000, (1, 0, 1, 0)));
        // lsrs r0, r1 by 33
        let c = thumb(&[0x40c8], &[0x8000_0000, 33], 0b0010);
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 0, 0)));
        // asrs r0, r1 by 200
        let c = thumb(&[0x4108], &[0x8000_0000, 200], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_ffff, (1, 0, 1, 0)));
        // rors r0, r1 by 4
        let c = thumb(&[0x41c8], &[0x18, 4], 0);
        assert_eq!((c.r[0], nzcv(&c)), (0x8000_0001, (1, 0, 1, 0)));
    }

    #[test]
    fn t16_logical_and_compare() {
        let c = thumb(&[0x4008], &[0xf0, 0x3c], 0b0011); // ands
        assert_eq!((c.r[0], nzcv(&c)), (0x30, (0, 0, 1, 1)));
        let c = thumb(&[0x4048], &[0xf0, 0xf0], 0); // eors
        assert_eq!((c.r[0], nzcv(&c)), (0, (0, 1, 0, 0)));
        let c = thumb(&[0x4148], &[1, 2], 0b0010); // adcs
        assert_eq!(c.r[0], 4);
        let c = thumb(&[0x4188], &[5, 2], 0); // sbcs, C = 0
        assert_eq!((c.r[0], nzcv(&c)), (2, (0, 0, 1, 0)));
        let c = thumb(&[0x4208], &[0xf0, 0x0f], 0); // tst
        assert_eq!(nzcv(&c), (0, 1, 0, 0));
        let c = thumb(&[0x4288], &[1, 2], 0); // cmp
        assert_eq!(nzcv(&c), (1, 0, 0, 0));
        let c = thumb(&[0x42c8], &[1, 0xffff_ffff], 0); // cmn
        assert_eq!(nzcv(&c), (0, 1, 1, 0));
        let c = thumb(&[0x4308], &[0xf0, 0x0f], 0); // orrs
        assert_eq!(c.r[0], 0xff);
        let c = thumb(&[0x4388], &[0xff, 0x0f], 0); // bics
        assert_eq!(c.r[0], 0xf0);
        let c = thumb(&[0x43c8], &[0, 0], 0); // mvns
        assert_eq!((c.r[0], nzcv(&c)), (0xffff_ffff, (1, 0, 0, 0)));
    }

    #[test]
    fn t16_flags_only_outside_it() {
        // ITE EQ (ITSTATE 0x0c): adds r0, r1, r2 (eq, runs, no flags); subs r0, r1, #3 (ne, skipped)
        let c = thumb_it(&[0x1888, 0x1ec8], &[0, 0xffff_ffff, 1], 0b0100, 0x0c);
        assert_eq!((c.r[0], nzcv(&c), c.it), (0, (0, 1, 0, 0), 0));
        // cmp inside an IT block still sets flags
        let c = thumb_it(&[0x2805, 0x3000], &[5], 0b0100, 0x0c);
        assert_eq!(nzcv(&c), (0, 1, 1, 0));
        // movs r0, r1 (T2) inside an IT block is UNPREDICTABLE
        let mut c = CpuState::new();
        c.it = 0x08 | 0xe0;
        let r = thumb1(&mut c, &[0x0008]);
        assert_eq!((r, c.pending), (ExitReason::Exception, Some(Exception::Undefined)));
    }

    #[test]
    fn t16_high_registers() {
        // add r0, r8; cmp r8, r0; mov r8, r0
        let mut regs = [0u32; 9];
        regs[0] = 3;
        regs[8] = 4;
        let c = thumb(&[0x4440], &regs, 0b1111);
        assert_eq!((c.r[0], nzcv(&c)), (7, (1, 1, 1, 1)));
        let c = thumb(&[0x4580], &regs, 0);
        assert_eq!(nzcv(&c), (0, 0, 1, 0));
        let c = thumb(&[0x4680], &regs, 0);
        assert_eq!(c.r[8], 3);
        // add r0, pc: PC reads as the address + 4
        let c = thumb(&[0x4600, 0x4478], &[1], 0);
        assert_eq!(c.r[0], CODE + 2 + 4 + 1);
        // add sp, r1
        let mut regs = [0u32; 14];
        regs[13] = 0x100;
        regs[1] = 0x10;
        let c = thumb(&[0x448d], &regs, 0);
        assert_eq!(c.r[13], 0x110);
    }

    #[test]
    fn t16_writes_to_pc_branch() {
        // mov pc, r0: stays in Thumb, bit 0 ignored
        let mut c = CpuState::new();
        c.r[0] = 0x2001;
        thumb1(&mut c, &[0x4687]);
        assert_eq!((c.r[15], c.t), (0x2000, 1));
        // add pc, r0: PC + 4 + r0
        let mut c = CpuState::new();
        c.r[0] = 0x100;
        thumb1(&mut c, &[0x4487]);
        assert_eq!((c.r[15], c.t), (CODE + 4 + 0x100, 1));
    }

    #[test]
    fn t16_sp_and_adr() {
        let mut regs = [0u32; 14];
        regs[13] = 0x1000;
        // add r0, sp, #16; add sp, #8; sub sp, #16
        let c = thumb(&[0xa804, 0xb002, 0xb084], &regs, 0);
        assert_eq!((c.r[0], c.r[13]), (0x1010, 0x0ff8));
        // adr r0, Align(PC, 4) + 4 from CODE + 2
        let c = thumb(&[0x4600, 0xa001], &[], 0);
        assert_eq!(c.r[0], CODE + 4 + 4);
    }

    #[test]
    fn unpredictable_encodings() {
        use crate::arm::{check_insn, Fail};
        let u = Err(Fail::Unpredictable);
        let arm = |w| check_insn(w, false, 4, 0).map(|_| ());
        let t32 = |w, it| check_insn(w, true, 4, it).map(|_| ());
        let t16 = |w, it| check_insn(w, true, 2, it).map(|_| ());
        assert_eq!(arm(0xe30f0000 | 0xf000), u, "movw pc");
        assert_eq!(arm(0xe081f312), u, "add pc, r1, r2, lsl r3");
        assert_eq!(arm(0xe0810f12), u, "add r0, r1, r2, lsl pc");
        assert_eq!(t32(0xeb010d02, 0), u, "add.w sp, r1, r2");
        assert_eq!(t32(0xeb0d0d81, 0), Ok(()), "add.w sp, sp, r1, lsl #2");
        assert_eq!(t32(0xeb0d0dc1, 0), Ok(()), "add.w sp, sp, r1, lsl #3");
        assert_eq!(t32(0xeb0d1d01, 0), u, "add.w sp, sp, r1, lsl #4");
        assert_eq!(t32(0xea4f0f00, 0), u, "mov.w pc, r0");
        assert_eq!(t32(0xea4f0d00, 0), Ok(()), "mov.w sp, r0");
        assert_eq!(t32(0xea5f0d00, 0), u, "movs.w sp, r0");
        assert_eq!(t32(0xf0011000, 0), u, "ThumbExpandImm of a zero pattern");
        assert_eq!(t32(0xf1b10f05 & !0x000f0000 | 0x000f0000, 0), u, "cmp.w pc, #5");
        assert_eq!(t32(0xf3de8f04, 0x04), u, "subs pc, lr inside an IT block, not last");
        assert_eq!(t32(0xf3de8f04, 0x08), Ok(()), "subs pc, lr last in an IT block");
        assert_eq!(t16(0x4508, 0), u, "cmp r0, r1 (T2) with low registers");
        assert_eq!(t16(0x4687, 0x04), u, "mov pc, r0 inside an IT block, not last");
        assert_eq!(t16(0x44ff, 0), u, "add pc, pc");
        assert_eq!(t16(0x4687, 0x08), Ok(()), "mov pc, r0 last in an IT block");
    }
}
