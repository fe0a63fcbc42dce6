//! The table of runtime helpers that translated code may call.
//!
//! Compiled code never embeds a helper's host address (that changes with every
//! run of a position-independent executable): it loads `CpuState::helpers`, a
//! pointer to `HELPERS`, and calls the function of entry `index(h)`. So one
//! compiled block is valid in any process of the same translator version. The
//! order of this list is part of the translated-code ABI: append new helpers at
//! the end and bump `exec::TRANSLATOR_VERSION` when it changes.

use super::{dp, ldst, media, system, vfp};
use crate::ir::Helper;

/// Every helper the translator emits, in ABI order.
pub static HELPERS: [&Helper; 62] = [
    &dp::H_EXCEPTION_RETURN,
    &system::H_READ_CPSR,
    &system::H_READ_SPSR,
    &system::H_WRITE_CPSR,
    &system::H_WRITE_SPSR,
    &system::H_WRITE_Q,
    &system::H_MRS_BANKED,
    &system::H_MSR_BANKED,
    &system::H_CPS,
    &system::H_SRS_BASE,
    &system::H_SRS_WRITEBACK,
    &system::H_RFE,
    &system::H_HVC_CHECK,
    &system::H_MRC,
    &system::H_MCR,
    &system::H_MRRC,
    &system::H_MCRR,
    &media::H_SAT16,
    &media::H_PARALLEL,
    &media::H_USAD8,
    &ldst::H_USR_REG,
    &ldst::H_SET_USR_REG,
    &vfp::H_CHECK,
    &vfp::H_CHECK_DP,
    &vfp::H_CHECK_SYS,
    &vfp::H_ADD32,
    &vfp::H_SUB32,
    &vfp::H_MUL32,
    &vfp::H_DIV32,
    &vfp::H_NMUL32,
    &vfp::H_MLA32,
    &vfp::H_MLS32,
    &vfp::H_NMLA32,
    &vfp::H_NMLS32,
    &vfp::H_ADD64,
    &vfp::H_SUB64,
    &vfp::H_MUL64,
    &vfp::H_DIV64,
    &vfp::H_NMUL64,
    &vfp::H_MLA64,
    &vfp::H_MLS64,
    &vfp::H_NMLA64,
    &vfp::H_NMLS64,
    &vfp::H_SQRT32,
    &vfp::H_SQRT64,
    &vfp::H_CMP32,
    &vfp::H_CMP64,
    &vfp::H_F32_TO_F64,
    &vfp::H_F64_TO_F32,
    &vfp::H_F32_TO_INT,
    &vfp::H_F64_TO_INT,
    &vfp::H_INT_TO_F32,
    &vfp::H_INT_TO_F64,
    &vfp::H_F32_TO_FIXED,
    &vfp::H_F64_TO_FIXED,
    &vfp::H_FIXED_TO_F32,
    &vfp::H_FIXED_TO_F64,
    &vfp::H_F16_TO_F32,
    &vfp::H_F32_TO_F16,
    &vfp::H_VMRS,
    &vfp::H_VMSR,
    // Not emitted by the IR: the soft-TLB miss of compiled code in soft-MMU mode.
    &crate::mem::softmmu::H_SOFT_FILL,
];

/// The index of `h` in `HELPERS`.
pub fn index(h: &Helper) -> Option<usize> {
    HELPERS.iter().position(|x| std::ptr::eq(*x, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_helper_has_one_index_and_a_distinct_name() {
        let t = &HELPERS;
        for (i, h) in t.iter().enumerate() {
            assert_eq!(index(h), Some(i), "{}", h.name);
        }
        let mut names: Vec<_> = t.iter().map(|h| h.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), t.len());
    }
}
