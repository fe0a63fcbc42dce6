//! Block-level clean-up after translation.

use super::{Op, Tmp};

/// The destination of a side-effect-free op, or None for ops that must stay.
fn pure_dest(op: &Op) -> Option<Tmp> {
    let pure = matches!(
        op,
        Op::Const { .. }
            | Op::PcRel { .. }
            | Op::GetReg { .. }
            | Op::GetFlag { .. }
            | Op::GetNZCV { .. }
            | Op::Cond { .. }
            | Op::Bin { .. }
            | Op::BinImm { .. }
            | Op::Un { .. }
            | Op::Select { .. }
            | Op::MulL { .. }
            | Op::GetS { .. }
            | Op::GetD { .. }
    );
    if pure {
        op.dests().next()
    } else {
        None
    }
}

/// Removes side-effect-free ops whose results are never used, keeping the
/// forward skip distances (`SkipUnless*::n`) right.
pub fn remove_dead(ops: Vec<Op>, ntmp: u16) -> Vec<Op> {
    let mut used = vec![false; ntmp as usize];
    let mut keep = vec![true; ops.len()];
    for (i, op) in ops.iter().enumerate().rev() {
        if let Some(d) = pure_dest(op) {
            if !used[d as usize] {
                keep[i] = false;
                continue;
            }
        }
        op.for_each_read(|t| used[t as usize] = true);
    }
    if keep.iter().all(|&k| k) {
        return ops;
    }
    // Kept ops before each position, to recompute skip distances.
    let mut before = vec![0usize; ops.len() + 1];
    for i in 0..ops.len() {
        before[i + 1] = before[i] + keep[i] as usize;
    }
    let mut out = Vec::with_capacity(before[ops.len()]);
    for (i, op) in ops.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        let fix = |n: u16| (before[(i + 1 + n as usize).min(ops.len())] - before[i + 1]) as u16;
        out.push(match *op {
            Op::SkipUnless { c, n } => Op::SkipUnless { c, n: fix(n) },
            Op::SkipUnlessCond { cond, n } => Op::SkipUnlessCond { cond, n: fix(n) },
            other => other,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::BinOp;

    #[test]
    fn dead_ops_go_and_skips_stay_right() {
        let ops = vec![
            Op::Const { d: 0, v: 1 },                                    // dead
            Op::GetReg { d: 1, r: 2 },
            Op::SkipUnlessCond { cond: 0, n: 3 },
            Op::Const { d: 2, v: 5 },                                    // dead
            Op::BinImm { d: 3, op: BinOp::Add, a: 1, imm: 4 },
            Op::SetReg { r: 0, s: 3 },
            Op::Exit { reason: crate::cpu::ExitReason::Branch },
        ];
        let out = remove_dead(ops, 4);
        assert_eq!(out.len(), 5);
        assert!(matches!(out[1], Op::SkipUnlessCond { n: 2, .. }));
        assert!(matches!(out[4], Op::Exit { .. }));
    }
}
