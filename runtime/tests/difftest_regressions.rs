//! Divergences from QEMU found by the differential test (difftest.rs), kept as
//! plain hspt tests with the values QEMU (`qemu-arm -cpu cortex-a15`) produced,
//! so they run without QEMU. Each test names the instruction words it runs and
//! the file that had the bug.

use hspt_runtime::arm::testutil::{run_arm, run_thumb, DATA};
use hspt_runtime::cpu::{CpuState, ExitReason};

fn cpu() -> CpuState {
    CpuState::new()
}

fn set_nzcvq(c: &mut CpuState, apsr: u32) {
    c.n = (apsr >> 31) as u8 & 1;
    c.z = (apsr >> 30) as u8 & 1;
    c.c = (apsr >> 29) as u8 & 1;
    c.v = (apsr >> 28) as u8 & 1;
    c.q = (apsr >> 27) as u8 & 1;
}

fn nzcv(c: &CpuState) -> u32 {
    (c.n as u32) << 3 | (c.z as u32) << 2 | (c.c as u32) << 1 | c.v as u32
}

/// e35903d7 `cmp r9, #0x5c000003` (dp.rs: CMP/CMN/TST/TEQ A1 did not set the flags).
#[test]
fn cmp_immediate_a1_sets_flags() {
    let mut c = cpu();
    c.r[9] = 0x8001_ff7f;
    set_nzcvq(&mut c, 0xe000_0000);
    assert_eq!(run_arm(&mut c, &[0xe359_03d7]).0, ExitReason::Branch);
    assert_eq!(nzcv(&c), 0b0011, "QEMU: C and V set");
}

/// e13e0c8e `teq lr, lr, lsl #25` (dp.rs): N, Z and the shifter carry all clear.
#[test]
fn teq_register_a1_sets_flags() {
    let mut c = cpu();
    c.r[14] = 0xffff_ff7f;
    set_nzcvq(&mut c, 0xa000_0000);
    run_arm(&mut c, &[0xe13e_0c8e]);
    assert_eq!(nzcv(&c), 0b0000);
}

/// e3120bf7 `tst r2, #0x3dc00` (dp.rs): Z cleared, C from the rotated immediate (0), V kept.
#[test]
fn tst_immediate_a1_sets_flags() {
    let mut c = cpu();
    c.r[2] = 0xdf28_bb86;
    set_nzcvq(&mut c, 0x5000_0000);
    run_arm(&mut c, &[0xe312_0bf7]);
    assert_eq!(nzcv(&c), 0b0001);
}

/// e6afb47b `sxtb fp, fp, ror #8` (media.rs: extends with rotation gave wrong values).
#[test]
fn sxtb_a1_with_rotation() {
    let mut c = cpu();
    c.r[11] = 0x8080_807f;
    run_arm(&mut c, &[0xe6af_b47b]);
    assert_eq!(c.r[11], 0xffff_ff80);
}

/// 26ffc071 `uxthcs ip, r1` (media.rs: UXTH A1 read the wrong register).
#[test]
fn uxth_a1_conditional() {
    let mut c = cpu();
    c.r[0] = 0xff7f_ff80;
    c.r[1] = 5;
    c.r[12] = 0x1e;
    set_nzcvq(&mut c, 0xe800_0000);
    run_arm(&mut c, &[0x26ff_c071]);
    assert_eq!(c.r[12], 5);
}

/// 96cf887e `uxtb16ls r8, lr, ror #16` (media.rs).
#[test]
fn uxtb16_a1_with_rotation() {
    let mut c = cpu();
    c.r[0] = 0x7f;
    c.r[8] = 0x5ac2_6b6b;
    c.r[14] = 0x1234_5678;
    set_nzcvq(&mut c, 0x0800_0000); // C = 0: LS passes
    run_arm(&mut c, &[0x96cf_887e]);
    assert_eq!(c.r[8], 0x0078_0034);
}

/// fa3f f58e `uxtb16 r5, lr` (media.rs, T32).
#[test]
fn uxtb16_t1() {
    let mut c = cpu();
    c.r[0] = 0x12;
    c.r[5] = 2;
    c.r[14] = 0x0100_966b;
    run_thumb(&mut c, &[0xfa3f, 0xf58e]);
    assert_eq!(c.r[5], 0x6b);
}

fn mem_words(m: &hspt_runtime::arm::testutil::FlatMem, at: u32, n: u32) -> Vec<u32> {
    (0..n).map(|i| m.read_u32(at + 4 * i)).collect()
}

/// e9aa00ca `stmib sl!, {r1, r3, r6, r7}` (ldst.rs: the ARM LDM/STM rows have P and U
/// as fixed bits but the handler read them as fields, so every form ran as DA/DB).
#[test]
fn stmib_a1() {
    let mut c = cpu();
    (c.r[1], c.r[3], c.r[6], c.r[7], c.r[10]) = (0x1111_1111, 0x3333_3333, 0x6666_6666, 0x7777_7777, DATA);
    let (_, m) = run_arm(&mut c, &[0xe9aa_00ca]);
    assert_eq!(mem_words(&m, DATA, 5), [0, 0x1111_1111, 0x3333_3333, 0x6666_6666, 0x7777_7777]);
    assert_eq!(c.r[10], DATA + 16);
}

/// e8a96481 `stmia r9!, {r0, r7, sl, sp, lr}` (ldst.rs, as above).
#[test]
fn stmia_a1() {
    let mut c = cpu();
    (c.r[0], c.r[7], c.r[9], c.r[10], c.r[13], c.r[14]) = (0x100, 0xffff_fffe, DATA, 0x20, 0x1f, 0x17);
    let (_, m) = run_arm(&mut c, &[0xe8a9_6481]);
    assert_eq!(mem_words(&m, DATA, 5), [0x100, 0xffff_fffe, 0x20, 0x1f, 0x17]);
    assert_eq!(c.r[9], DATA + 20);
}

/// e92d000f `push {r0-r3}` (STMDB SP!, ldst.rs, as above).
#[test]
fn stmdb_a1() {
    let mut c = cpu();
    (c.r[0], c.r[1], c.r[2], c.r[3], c.r[13]) = (1, 2, 3, 4, DATA + 0x40);
    let (_, m) = run_arm(&mut c, &[0xe92d_000f]);
    assert_eq!(mem_words(&m, DATA + 0x30, 4), [1, 2, 3, 4]);
    assert_eq!(c.r[13], DATA + 0x30);
}

/// e9b1000c `ldmib r1!, {r2, r3}`, e8910018 `ldm r1, {r3, r4}`, e9310030 `ldmdb r1!, {r4, r5}` (ldst.rs, as above).
#[test]
fn ldm_a1_forms() {
    let words = [0xe9b1_000c, 0xe891_0018, 0xe931_0030];
    let expect: [(&[(usize, u32)], u32); 3] = [
        (&[(2, 0xa1), (3, 0xa2)], DATA + 8),
        (&[(3, 0xa0), (4, 0xa1)], DATA),
        (&[(4, 0xa0), (5, 0xa1)], DATA),
    ];
    for (w, (regs, base)) in words.iter().zip(expect) {
        let mut c = cpu();
        c.r[1] = if *w == 0xe931_0030 { DATA + 8 } else { DATA };
        // Memory: word k of the 64 words from DATA - 8 holds 0x9e + k.
        let mut mem_init = Vec::new();
        for k in 0..64u32 {
            mem_init.push((DATA - 8 + 4 * k, 0x9e + k));
        }
        let (r, _) = run_with_mem(&mut c, *w, &mem_init);
        assert_eq!(r, ExitReason::Branch);
        for &(reg, v) in regs {
            assert_eq!(c.r[reg], v, "{w:08x}: r{reg}");
        }
        assert_eq!(c.r[1], base, "{w:08x}: base");
    }
}

/// Runs one ARM word with memory words preset.
fn run_with_mem(c: &mut CpuState, word: u32, init: &[(u32, u32)]) -> (ExitReason, hspt_runtime::arm::testutil::FlatMem) {
    use hspt_runtime::arm::testutil::{run_until, FlatMem, CODE};
    let mut m = FlatMem::new(0, 0x10000);
    for &(a, v) in init {
        m.write_u32(a, v);
    }
    m.write_u32(CODE, word);
    c.r[15] = CODE;
    c.t = 0;
    let r = run_until(c, &mut m, CODE + 4, 100);
    (r, m)
}

/// e909 11a4 `stmdb r9, {r2, r5, r7, r8, ip}` (T32; ldst.rs: the (0) bits 13 and 15 of
/// the register list were silently ignored — those encodings are UNPREDICTABLE).
#[test]
fn stmdb_t1() {
    let mut c = cpu();
    (c.r[2], c.r[5], c.r[7], c.r[8], c.r[12], c.r[9]) = (2, 5, 7, 8, 12, DATA + 0x40);
    let (_, m) = run_thumb(&mut c, &[0xe909, 0x11a4]);
    assert_eq!(mem_words(&m, DATA + 0x2c, 5), [2, 5, 7, 8, 12]);
    assert_eq!(c.r[9], DATA + 0x40);
}

/// e8aa 4238 `stmia.w sl!, {r3, r4, r5, r9, lr}` (T32, ldst.rs).
#[test]
fn stmia_t2() {
    let mut c = cpu();
    (c.r[3], c.r[4], c.r[5], c.r[9], c.r[14], c.r[10]) = (3, 4, 5, 9, 14, DATA);
    let (_, m) = run_thumb(&mut c, &[0xe8aa, 0x4238]);
    assert_eq!(mem_words(&m, DATA, 5), [3, 4, 5, 9, 14]);
    assert_eq!(c.r[10], DATA + 20);
}
