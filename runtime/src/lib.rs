//! hspt-runtime: the VM without LLVM — CPU state, ARM/Thumb translation into the
//! block IR, the IR interpreter, guest memory (HSPT), devices and the board.
//! See ../DESIGN.md for the architecture.

pub mod arm;
pub mod board;
pub mod cpu;
pub mod devices;
pub mod exec;
pub mod fp;
pub mod ir;
pub mod mem;
pub mod sys;
