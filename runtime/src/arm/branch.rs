//! Branches (Arm ARM A4.3, A5.5, A6.2, A6.3.4): B, BL, BLX (immediate and
//! register), BX, BXJ (no Jazelle: acts as BX), the Thumb conditional branches,
//! CBZ/CBNZ, TBB/TBH, and IT, in ARM, 32-bit Thumb and 16-bit Thumb.
//!
//! Branch targets that are known at translation time are formed with `pc_rel`,
//! so a translation stays position independent. A conditional branch with its own
//! condition (Thumb B<c>, CBZ/CBNZ) ends the block with two exits: the branch, and
//! a fall-through to the next instruction.

use super::{Fail, Fields, Res, Row, Translator};
use crate::cpu::ExitReason;
use crate::ir::{BinOp, MemSize, Op, Tmp};
use crate::row;

fn unpredictable_if(c: bool) -> Res {
    if c {
        Err(Fail::Unpredictable)
    } else {
        Ok(())
    }
}

/// A branch in an IT block must be its last instruction.
fn pc_write_ok(t: &Translator) -> Res {
    unpredictable_if(t.in_it_block() && !t.last_in_it_block())
}

/// The low `bits` bits of `v`, sign-extended.
fn sign_extend(v: u32, bits: u32) -> u32 {
    (((v << (32 - bits)) as i32) >> (32 - bits)) as u32
}

/// BranchWritePC to a target known at translation time.
fn branch_to(t: &mut Translator, target: u32) {
    let d = t.pc_rel(target);
    t.branch_write_pc(d);
}

/// Branches to `target` if `c` != 0, else continues with the next instruction; ends the block.
fn branch_if(t: &mut Translator, c: Tmp, target: u32) {
    t.push(Op::SkipUnless { c, n: 0 });
    let at = t.ops.len() - 1;
    branch_to(t, target);
    let n = (t.ops.len() - at - 1) as u16;
    t.ops[at] = Op::SkipUnless { c, n };
    t.end_block(ExitReason::Branch);
}

/// LR <- the next instruction's address (with bit 0 set in Thumb state).
fn link(t: &mut Translator) {
    let ret = t.next_pc() | t.thumb as u32;
    let d = t.pc_rel(ret);
    t.set_reg(14, d);
}

/// BX/BXJ: interworking branch to Rm.
fn bx(t: &mut Translator, m: u8) -> Res {
    let v = t.reg(m);
    t.bx_write_pc(v);
    Ok(())
}

/// BLX (register): the target is read before LR is written (BLX LR works).
fn blx_reg(t: &mut Translator, m: u8) -> Res {
    let v = t.reg(m);
    link(t);
    t.bx_write_pc(v);
    Ok(())
}

// ----- ARM -----

fn arm_b(t: &mut Translator, f: Fields) -> Res {
    let target = t.pc_operand().wrapping_add(sign_extend(f.get('i') << 2, 26));
    branch_to(t, target);
    Ok(())
}

fn arm_bl(t: &mut Translator, f: Fields) -> Res {
    let target = t.pc_operand().wrapping_add(sign_extend(f.get('i') << 2, 26));
    link(t);
    branch_to(t, target);
    Ok(())
}

/// BLX (immediate) A2: always switches to Thumb; H gives bit 1 of the target.
fn arm_blx_imm(t: &mut Translator, f: Fields) -> Res {
    let imm = sign_extend((f.get('i') << 2) | (f.get('H') << 1), 26);
    let target = t.pc_operand().wrapping_add(imm);
    link(t);
    let d = t.pc_rel(target);
    t.select_write_pc(d, true);
    Ok(())
}

fn arm_bx(t: &mut Translator, f: Fields) -> Res {
    bx(t, f.reg('m'))
}

fn arm_bxj(t: &mut Translator, f: Fields) -> Res {
    unpredictable_if(f.reg('m') == 15)?;
    bx(t, f.reg('m'))
}

fn arm_blx_reg(t: &mut Translator, f: Fields) -> Res {
    unpredictable_if(f.reg('m') == 15)?;
    blx_reg(t, f.reg('m'))
}

pub(crate) const ARM: &[Row] = &[
    row!("B A1", "cccc1010iiiiiiiiiiiiiiiiiiiiiiii", arm_b),
    row!("BL (immediate) A1", "cccc1011iiiiiiiiiiiiiiiiiiiiiiii", arm_bl),
    row!("BLX (immediate) A2", "1111101Hiiiiiiiiiiiiiiiiiiiiiiii", arm_blx_imm),
    row!("BX A1", "cccc00010010oooooooooooo0001mmmm", arm_bx),
    row!("BXJ A1", "cccc00010010oooooooooooo0010mmmm", arm_bxj),
    row!("BLX (register) A1", "cccc00010010oooooooooooo0011mmmm", arm_blx_reg),
];

// ----- 32-bit Thumb -----

/// The 25-bit offset of B T4, BL T1 and BLX T2: S:I1:I2:hi10:lo11:'0', I = NOT(J XOR S).
fn t32_branch_offset(insn: u32) -> u32 {
    let s = (insn >> 26) & 1;
    let j1 = (insn >> 13) & 1;
    let j2 = (insn >> 11) & 1;
    let i1 = !(j1 ^ s) & 1;
    let i2 = !(j2 ^ s) & 1;
    let imm10 = (insn >> 16) & 0x3ff;
    let imm11 = insn & 0x7ff;
    sign_extend((s << 24) | (i1 << 23) | (i2 << 22) | (imm10 << 12) | (imm11 << 1), 25)
}

/// B T3: conditional, outside IT blocks; cond 111x is the misc-control space.
fn t32_b_cond(t: &mut Translator, f: Fields) -> Res {
    let cond = f.get('c') as u8;
    if cond >= 0xe {
        return Err(Fail::Undefined);
    }
    unpredictable_if(t.in_it_block())?;
    let insn = f.insn;
    let s = (insn >> 26) & 1;
    let j1 = (insn >> 13) & 1;
    let j2 = (insn >> 11) & 1;
    let imm6 = (insn >> 16) & 0x3f;
    let imm11 = insn & 0x7ff;
    let off = sign_extend((s << 20) | (j2 << 19) | (j1 << 18) | (imm6 << 12) | (imm11 << 1), 21);
    let target = t.pc_operand().wrapping_add(off);
    cond_branch(t, cond, target);
    Ok(())
}

/// B<cond>: the branch under its own condition, then the fall-through exit.
fn cond_branch(t: &mut Translator, cond: u8, target: u32) {
    let at = t.begin_cond(cond);
    branch_to(t, target);
    t.end_cond(at);
    t.end_block(ExitReason::Branch);
}

fn t32_b(t: &mut Translator, f: Fields) -> Res {
    pc_write_ok(t)?;
    let target = t.pc_operand().wrapping_add(t32_branch_offset(f.insn));
    branch_to(t, target);
    Ok(())
}

fn t32_bl(t: &mut Translator, f: Fields) -> Res {
    pc_write_ok(t)?;
    let target = t.pc_operand().wrapping_add(t32_branch_offset(f.insn));
    link(t);
    branch_to(t, target);
    Ok(())
}

/// BLX (immediate) T2: to ARM at Align(PC, 4) + offset; H (bit 0) = 1 is UNDEFINED.
fn t32_blx(t: &mut Translator, f: Fields) -> Res {
    if f.bit('H') {
        return Err(Fail::Undefined);
    }
    pc_write_ok(t)?;
    let off = t32_branch_offset(f.insn);
    let base = t.pc_aligned();
    let target = t.bini(BinOp::Add, base, off);
    link(t);
    t.select_write_pc(target, false);
    Ok(())
}

fn t32_bxj(t: &mut Translator, f: Fields) -> Res {
    let m = f.reg('m');
    unpredictable_if(m == 13 || m == 15)?;
    pc_write_ok(t)?;
    bx(t, m)
}

/// TBB/TBH: PC + 2 * (byte or halfword at Rn + Rm or Rn + 2 * Rm).
fn t32_tbb(t: &mut Translator, f: Fields) -> Res {
    let (n, m) = (f.reg('n'), f.reg('m'));
    unpredictable_if(n == 13 || m == 13 || m == 15)?;
    pc_write_ok(t)?;
    let half = f.bit('H');
    let base = t.reg(n);
    let idx = t.reg(m);
    let idx = if half { t.bini(BinOp::Lsl, idx, 1) } else { idx };
    let addr = t.bin(BinOp::Add, base, idx);
    let v = t.load(addr, if half { MemSize::U16 } else { MemSize::U8 });
    let off = t.bini(BinOp::Lsl, v, 1);
    let pc = t.pc_rel(t.pc_operand());
    let target = t.bin(BinOp::Add, pc, off);
    t.branch_write_pc(target);
    Ok(())
}

pub(crate) const T32: &[Row] = &[
    row!("B T3", "11110Scccciiiiii10J0Jiiiiiiiiiii", t32_b_cond),
    row!("B T4", "11110Siiiiiiiiii10J1Jiiiiiiiiiii", t32_b),
    row!("BL (immediate) T1", "11110Siiiiiiiiii11J1Jiiiiiiiiiii", t32_bl),
    row!("BLX (immediate) T2", "11110Siiiiiiiiii11J0JiiiiiiiiiiH", t32_blx),
    row!("BXJ T1", "111100111100mmmm10z0oooozzzzzzzz", t32_bxj),
    row!("TBB, TBH T1", "111010001101nnnnoooozzzz000Hmmmm", t32_tbb),
];

// ----- 16-bit Thumb -----

/// B T1: cond 1110 is UDF and 1111 is SVC (other classes' rows, more specific).
fn t16_b_cond(t: &mut Translator, f: Fields) -> Res {
    let cond = f.get('c') as u8;
    if cond >= 0xe {
        return Err(Fail::Undefined);
    }
    unpredictable_if(t.in_it_block())?;
    let target = t.pc_operand().wrapping_add(sign_extend(f.get('i') << 1, 9));
    cond_branch(t, cond, target);
    Ok(())
}

fn t16_b(t: &mut Translator, f: Fields) -> Res {
    pc_write_ok(t)?;
    let target = t.pc_operand().wrapping_add(sign_extend(f.get('i') << 1, 12));
    branch_to(t, target);
    Ok(())
}

fn t16_bx(t: &mut Translator, f: Fields) -> Res {
    pc_write_ok(t)?;
    bx(t, f.reg('m'))
}

fn t16_blx(t: &mut Translator, f: Fields) -> Res {
    unpredictable_if(f.reg('m') == 15)?;
    pc_write_ok(t)?;
    blx_reg(t, f.reg('m'))
}

/// CBZ/CBNZ: forward branch by i:imm5:'0' if Rn is (not) zero; never in an IT block.
fn t16_cbz(t: &mut Translator, f: Fields) -> Res {
    unpredictable_if(t.in_it_block())?;
    let target = t.pc_operand().wrapping_add(f.get('i') << 1);
    let v = t.reg(f.reg('n'));
    let zero = t.konst(0);
    let c = t.bin(if f.bit('N') { BinOp::Ne } else { BinOp::Eq }, v, zero);
    branch_if(t, c, target);
    Ok(())
}

/// IT: sets ITSTATE for the next instruction. Mask 0000 is the hint space
/// (NOP, YIELD, WFE… decoded by their own rows; others are NOPs).
fn t16_it(t: &mut Translator, f: Fields) -> Res {
    let (cond, mask) = (f.get('c'), f.get('k'));
    if mask == 0 {
        return Ok(());
    }
    unpredictable_if(t.in_it_block() || cond == 0xf || (cond == 0xe && mask.count_ones() != 1))?;
    t.it_next = Some(((cond << 4) | mask) as u8);
    Ok(())
}

pub(crate) const T16: &[Row] = &[
    row!("B T1", "1101cccciiiiiiii", t16_b_cond),
    row!("B T2", "11100iiiiiiiiiii", t16_b),
    row!("BX T1", "010001110mmmmzzz", t16_bx),
    row!("BLX (register) T1", "010001111mmmmzzz", t16_blx),
    row!("CBZ, CBNZ T1", "1011N0i1iiiiinnn", t16_cbz),
    row!("IT T1", "10111111cccckkkk", t16_it),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::check_insn;
    use crate::arm::testutil::{run_until, FlatMem, CODE};
    use crate::cpu::{CpuState, Exception};

    const D: u32 = 0x8000;

    /// Runs `code` from CODE in the given state, with r0 = 0xa0, r1 = D, the given
    /// registers and Z flag; stops at the end of the code, which is reached in state
    /// `end_thumb` (a branch to itself sits there so blocks never run past it).
    fn run(code: &[u8], thumb: bool, end_thumb: bool, regs: &[(usize, u32)], z: u8) -> (CpuState, FlatMem) {
        let mut mem = FlatMem::new(0, 0x10000);
        mem.write_bytes(CODE, code);
        let stop = CODE + code.len() as u32;
        if end_thumb {
            mem.write_bytes(stop, &0xe7feu16.to_le_bytes());
        } else {
            mem.write_u32(stop, 0xeaff_fffe);
        }
        let mut c = CpuState::new();
        c.r[0] = 0xa0;
        c.r[1] = D;
        for &(r, v) in regs {
            c.r[r] = v;
        }
        c.z = z;
        c.r[15] = CODE;
        c.t = thumb as u8;
        let r = run_until(&mut c, &mut mem, stop, 100);
        assert_eq!(r, ExitReason::Branch, "{code:x?}: pending {:?} at {:#x}", c.pending, c.r[15]);
        assert_eq!((c.r[15], c.t), (stop, end_thumb as u8));
        (c, mem)
    }

    fn arm(w: &[u32], end_thumb: bool, regs: &[(usize, u32)], z: u8) -> (CpuState, FlatMem) {
        let code: Vec<u8> = w.iter().flat_map(|w| w.to_le_bytes()).collect();
        run(&code, false, end_thumb, regs, z)
    }

    fn thumb(h: &[u16], end_thumb: bool, regs: &[(usize, u32)], z: u8) -> (CpuState, FlatMem) {
        let code: Vec<u8> = h.iter().flat_map(|h| h.to_le_bytes()).collect();
        run(&code, true, end_thumb, regs, z)
    }

    /// Thumb code words for `words()` of mixed ARM/Thumb programs.
    fn mixed(h: &[u16], w: &[u32]) -> Vec<u8> {
        let mut v: Vec<u8> = h.iter().flat_map(|h| h.to_le_bytes()).collect();
        v.extend(w.iter().flat_map(|w| w.to_le_bytes()));
        v
    }

    #[test]
    fn arm_branches() {
        // b 1f; udf; 1: bl 2f; udf; 2:
        let (c, _) = arm(&[0xea000000, 0xe7f000f0, 0xeb000000, 0xe7f000f1], false, &[], 0);
        assert_eq!(c.r[14], CODE + 12);
        // beq 1f; str r0, [r1]; 1:  — taken and not taken
        let (_, m) = arm(&[0x0a000000, 0xe5810000], false, &[], 1);
        assert_eq!(m.read_u32(D), 0);
        let (_, m) = arm(&[0x0a000000, 0xe5810000], false, &[], 0);
        assert_eq!(m.read_u32(D), 0xa0);
        // blx 1f (to Thumb); udf; 1: str r0, [r1]
        let code = mixed(&[], &[0xfa000000, 0xe7f000f0]);
        let code = [code, mixed(&[0x6008], &[])].concat();
        let (c, m) = run(&code, false, true, &[], 0);
        assert_eq!((c.r[14], m.read_u32(D)), (CODE + 4, 0xa0));
        // blx r2 (to Thumb at CODE + 8); udf; str r0, [r1]
        let code = [mixed(&[], &[0xe12fff32, 0xe7f000f0]), mixed(&[0x6008], &[])].concat();
        let (c, m) = run(&code, false, true, &[(2, (CODE + 8) | 1)], 0);
        assert_eq!((c.r[14], m.read_u32(D)), (CODE + 4, 0xa0));
        // blx lr: the target is read before LR is written
        let code = [mixed(&[], &[0xe12fff3e, 0xe7f000f0]), mixed(&[0x6008], &[])].concat();
        let (c, _) = run(&code, false, true, &[(14, (CODE + 8) | 1)], 0);
        assert_eq!(c.r[14], CODE + 4);
        // bx lr; bxj r2 (ARM targets)
        arm(&[0xe12fff1e, 0xe7f000f0], false, &[(14, CODE + 8)], 0);
        arm(&[0xe12fff22, 0xe7f000f0], false, &[(2, CODE + 8)], 0);
    }

    #[test]
    fn thumb_branches() {
        // beq 1f; str r0, [r1]; 1:
        let (_, m) = thumb(&[0xd000, 0x6008], true, &[], 1);
        assert_eq!(m.read_u32(D), 0);
        let (_, m) = thumb(&[0xd000, 0x6008], true, &[], 0);
        assert_eq!(m.read_u32(D), 0xa0);
        // b 1f; udf; 1:
        thumb(&[0xe000, 0xde00], true, &[], 0);
        // beq.w 1f; udf; 1:  — taken only
        thumb(&[0xf000, 0x8001, 0xde00], true, &[], 1);
        let mut c = CpuState::new();
        let mut mem = FlatMem::new(0, 0x10000);
        mem.write_bytes(CODE, &[0x00, 0xf0, 0x01, 0x80, 0x00, 0xde]);
        c.r[15] = CODE;
        c.t = 1;
        run_until(&mut c, &mut mem, CODE + 6, 10);
        assert_eq!((c.pending, c.r[15]), (Some(Exception::Undefined), CODE + 4));
        // b.w 1f; udf; 1:
        thumb(&[0xf000, 0xb801, 0xde00], true, &[], 0);
        // bl 1f; udf; 1:
        let (c, _) = thumb(&[0xf000, 0xf801, 0xde00], true, &[], 0);
        assert_eq!(c.r[14], (CODE + 4) | 1);
        // blx 1f (to ARM at Align(PC, 4) + 4); udf; nop; 1: str r0, [r1]
        let code = mixed(&[0xf000, 0xe802, 0xde00, 0xbf00], &[0xe5810000]);
        let (c, m) = run(&code, true, false, &[], 0);
        assert_eq!((c.r[14], m.read_u32(D)), ((CODE + 4) | 1, 0xa0));
        // bx pc: to ARM at CODE + 4
        let code = mixed(&[0x4778, 0xbf00], &[0xe5810000]);
        let (_, m) = run(&code, true, false, &[], 0);
        assert_eq!(m.read_u32(D), 0xa0);
        // blx r2 to Thumb
        let (c, _) = thumb(&[0x4790, 0xde00], true, &[(2, (CODE + 4) | 1)], 0);
        assert_eq!(c.r[14], (CODE + 2) | 1);
    }

    #[test]
    fn compare_and_branch_and_table_branches() {
        // cbz r2, 1f; str r0, [r1]; 1:
        let (_, m) = thumb(&[0xb102, 0x6008], true, &[(2, 0)], 0);
        assert_eq!(m.read_u32(D), 0);
        let (_, m) = thumb(&[0xb102, 0x6008], true, &[(2, 5)], 0);
        assert_eq!(m.read_u32(D), 0xa0);
        // cbnz r2, 1f; str r0, [r1]; 1:
        let (_, m) = thumb(&[0xb902, 0x6008], true, &[(2, 0)], 0);
        assert_eq!(m.read_u32(D), 0xa0);
        let (_, m) = thumb(&[0xb902, 0x6008], true, &[(2, 5)], 0);
        assert_eq!(m.read_u32(D), 0);
        // tbb [pc, r2] with a table {1, 3}; tbh [pc, r2, lsl #1] with {2, 4}
        let tbb = [0xe8df, 0xf002, 0x0301, 0x6008, 0xe000, 0x6048];
        let tbh = [0xe8df, 0xf012, 0x0002, 0x0004, 0x6008, 0xe000, 0x6048];
        for code in [&tbb[..], &tbh[..]] {
            let (_, m) = thumb(code, true, &[(2, 0)], 0);
            assert_eq!((m.read_u32(D), m.read_u32(D + 4)), (0xa0, 0));
            let (_, m) = thumb(code, true, &[(2, 1)], 0);
            assert_eq!((m.read_u32(D), m.read_u32(D + 4)), (0, 0xa0));
        }
    }

    #[test]
    fn it_blocks() {
        // ite eq; streq r0, [r1]; strne r0, [r1, #4]; str r2, [r1, #8]
        let code = [0xbf0c, 0x6008, 0x6048, 0x608a];
        let (c, m) = thumb(&code, true, &[(2, 2)], 1);
        assert_eq!((m.read_u32(D), m.read_u32(D + 4), m.read_u32(D + 8), c.it), (0xa0, 0, 2, 0));
        let (_, m) = thumb(&code, true, &[(2, 2)], 0);
        assert_eq!((m.read_u32(D), m.read_u32(D + 4), m.read_u32(D + 8)), (0, 0xa0, 2));
        // itete ne; strne; streq; strne; streq
        let (_, m) = thumb(&[0xbf15, 0x6008, 0x6048, 0x6088, 0x60c8], true, &[], 0);
        let got: Vec<u32> = (0..4).map(|i| m.read_u32(D + 4 * i)).collect();
        assert_eq!(got, [0xa0, 0, 0xa0, 0]);
        // it eq; bxeq lr; str r0, [r1]
        let (_, m) = thumb(&[0xbf08, 0x4770, 0x6008], true, &[(14, (CODE + 6) | 1)], 1);
        assert_eq!(m.read_u32(D), 0);
        let (c, m) = thumb(&[0xbf08, 0x4770, 0x6008], true, &[(14, (CODE + 6) | 1)], 0);
        assert_eq!((m.read_u32(D), c.it), (0xa0, 0));
        // itt ne; strne r0, [r1]; ldrne.w pc, [r1, #4]: the load to the PC ends the IT block
        let mut c = CpuState::new();
        let mut mem = FlatMem::new(0, 0x10000);
        let code: Vec<u8> = [0xbf1cu16, 0x6008, 0xf8d1, 0xf004, 0x6088].iter().flat_map(|h| h.to_le_bytes()).collect();
        mem.write_bytes(CODE, &code);
        mem.write_bytes(CODE + 10, &0xe7feu16.to_le_bytes());
        mem.write_u32(D + 4, (CODE + 8) | 1);
        c.r[0] = 0xa0;
        c.r[1] = D;
        c.r[15] = CODE;
        c.t = 1;
        run_until(&mut c, &mut mem, CODE + 10, 10);
        assert_eq!((c.r[15], c.it, mem.read_u32(D), mem.read_u32(D + 8)), (CODE + 10, 0, 0xa0, 0xa0));
    }

    #[test]
    fn unpredictable_and_undefined_encodings() {
        let t16: &[(u16, u8, Option<Fail>)] = &[
            (0xb102, 0x08, Some(Fail::Unpredictable)), // cbz in an IT block
            (0xd000, 0x08, Some(Fail::Unpredictable)), // b<c> T1 in an IT block
            (0xe000, 0x04, Some(Fail::Unpredictable)), // b T2, not last in IT block
            (0xe000, 0x08, None),                      // b T2 as the last one
            (0xbf0c, 0x08, Some(Fail::Unpredictable)), // IT in an IT block
            (0xbfec, 0, Some(Fail::Unpredictable)),    // ite al
            (0xbfe4, 0, None),                         // itt al
            (0xbfe8, 0, None),                         // it al
            (0xbff8, 0, Some(Fail::Unpredictable)),    // firstcond 1111
            (0x47f8, 0, Some(Fail::Unpredictable)),    // blx pc
            (0x4770, 0x04, Some(Fail::Unpredictable)), // bx lr not last in IT block
        ];
        for &(insn, it, want) in t16 {
            assert_eq!(check_insn(insn as u32, true, 2, it).err(), want, "{insn:#06x}");
        }
        let t32: &[(u32, u8, Option<Fail>)] = &[
            (0xf0008001, 0x08, Some(Fail::Unpredictable)), // beq.w in an IT block
            (0xf000f801, 0x04, Some(Fail::Unpredictable)), // bl not last
            (0xf000f801, 0x08, None),
            (0xf000e803, 0, Some(Fail::Undefined)),     // blx with H = 1
            (0xe8dff00d, 0, Some(Fail::Unpredictable)), // tbb [pc, sp]
            (0xe8ddf002, 0, Some(Fail::Unpredictable)), // tbb [sp, r2]
            (0xf3cd8f00, 0, Some(Fail::Unpredictable)), // bxj sp
        ];
        for &(insn, it, want) in t32 {
            assert_eq!(check_insn(insn, true, 4, it).err(), want, "{insn:#010x}");
        }
        assert_eq!(check_insn(0xe12fff3f, false, 4, 0).err(), Some(Fail::Unpredictable)); // blx pc
        assert_eq!(check_insn(0xe12fff2f, false, 4, 0).err(), Some(Fail::Unpredictable)); // bxj pc
        assert!(check_insn(0xe12fff1f, false, 4, 0).is_ok()); // bx pc
    }
}
