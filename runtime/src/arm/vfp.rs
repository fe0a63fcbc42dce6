//! (stub) — filled in by the instruction-class work.

use super::Row;

pub(crate) const ARM: &[Row] = &[];
pub(crate) const T32: &[Row] = &[];
pub(crate) const T16: &[Row] = &[];
