//! Packing and unpacking of the program status registers (Arm ARM B1.3.3).

use super::CpuState;

pub const EAIF_F: u8 = 0x1;
pub const EAIF_I: u8 = 0x2;
pub const EAIF_A: u8 = 0x4;
pub const EAIF_E: u8 = 0x8;

pub const PSR_N: u32 = 1 << 31;
pub const PSR_Z: u32 = 1 << 30;
pub const PSR_C: u32 = 1 << 29;
pub const PSR_V: u32 = 1 << 28;
pub const PSR_Q: u32 = 1 << 27;
pub const PSR_J: u32 = 1 << 24;
pub const PSR_E: u32 = 1 << 9;
pub const PSR_A: u32 = 1 << 8;
pub const PSR_I: u32 = 1 << 7;
pub const PSR_F: u32 = 1 << 6;
pub const PSR_T: u32 = 1 << 5;

/// The 8-bit ITSTATE as spread over CPSR[26:25] (IT[1:0]) and CPSR[15:10] (IT[7:2]).
pub fn it_to_psr(it: u8) -> u32 {
    let it = it as u32;
    ((it & 3) << 25) | ((it >> 2) << 10)
}

pub fn it_from_psr(psr: u32) -> u8 {
    (((psr >> 25) & 3) | (((psr >> 10) & 0x3f) << 2)) as u8
}

pub fn pack(c: &CpuState) -> u32 {
    let mut v = (c.n as u32) << 31 | (c.z as u32) << 30 | (c.c as u32) << 29 | (c.v as u32) << 28;
    v |= (c.q as u32) << 27;
    v |= ((c.ge & 0xf) as u32) << 16;
    v |= it_to_psr(c.it);
    if c.eaif & EAIF_E != 0 {
        v |= PSR_E;
    }
    if c.eaif & EAIF_A != 0 {
        v |= PSR_A;
    }
    if c.eaif & EAIF_I != 0 {
        v |= PSR_I;
    }
    if c.eaif & EAIF_F != 0 {
        v |= PSR_F;
    }
    v |= (c.t as u32) << 5;
    v | c.mode as u32
}

/// Unpacks every field but the mode (the caller switches modes first).
pub fn unpack_non_mode(c: &mut CpuState, v: u32) {
    c.n = (v >> 31) as u8 & 1;
    c.z = (v >> 30) as u8 & 1;
    c.c = (v >> 29) as u8 & 1;
    c.v = (v >> 28) as u8 & 1;
    c.q = (v >> 27) as u8 & 1;
    c.ge = ((v >> 16) & 0xf) as u8;
    c.it = it_from_psr(v);
    let mut e = 0;
    if v & PSR_E != 0 {
        e |= EAIF_E;
    }
    if v & PSR_A != 0 {
        e |= EAIF_A;
    }
    if v & PSR_I != 0 {
        e |= EAIF_I;
    }
    if v & PSR_F != 0 {
        e |= EAIF_F;
    }
    c.eaif = e;
    c.t = ((v >> 5) & 1) as u8;
}

/// NZCV packed in bits 31..28, as MRS and VMRS APSR_nzcv see them.
pub fn nzcv(c: &CpuState) -> u32 {
    (c.n as u32) << 31 | (c.z as u32) << 30 | (c.c as u32) << 29 | (c.v as u32) << 28
}

pub fn set_nzcv(c: &mut CpuState, v: u32) {
    c.n = (v >> 31) as u8 & 1;
    c.z = (v >> 30) as u8 & 1;
    c.c = (v >> 29) as u8 & 1;
    c.v = (v >> 28) as u8 & 1;
}

/// Evaluates an ARM condition code (Arm ARM A8.3) against the flags.
#[inline]
pub fn condition_passed(c: &CpuState, cond: u8) -> bool {
    let (n, z, cf, v) = (c.n != 0, c.z != 0, c.c != 0, c.v != 0);
    let r = match cond >> 1 {
        0 => z,
        1 => cf,
        2 => n,
        3 => v,
        4 => cf && !z,
        5 => n == v,
        6 => !z && n == v,
        _ => true,
    };
    if cond & 1 != 0 && cond != 0xf {
        !r
    } else {
        r
    }
}
