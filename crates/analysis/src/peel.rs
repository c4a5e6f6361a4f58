//! Peel chains: a run of transactions that each spend one coin into a small payment
//! and a larger remainder, the remainder feeding the next (Meiklejohn et al. 2013
//! followed peel chains of stolen coins this way). A transaction is on a chain when
//! at least three such hops link up through their larger outputs.

use index::{Index, OutNum, Spent, TxNum};

/// Where a transaction sits on a peel chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PeelChain {
    /// Its hop number, from 1.
    pub position: u32,
    /// Hops in the whole chain.
    pub length: u32,
}

/// Longest walk either way.
const MAX_HOPS: u32 = 1_000;

/// The non-OP_RETURN outputs of `t` if it spends exactly one coin (not a coinbase).
fn single_spend_outputs(index: &Index, t: TxNum) -> Option<Vec<u64>> {
    let row = index.tx(t);
    if row.inputs.end - row.inputs.start != 1 || row.is_coinbase(index) {
        return None;
    }
    Some(row.outputs.filter(|&o| index.output_class(OutNum(o)) != chain::ScriptClass::NullData).collect())
}

/// The largest share of a hop's value its peel may take: a peel is small next to
/// the remainder it leaves.
const MAX_PEEL_SHARE: f64 = 0.25;

/// The remainder of a peel (one input, two outputs that are not OP_RETURN, the
/// smaller at most [`MAX_PEEL_SHARE`] of the two), if `t` has that shape.
fn continuation(index: &Index, t: TxNum) -> Option<u64> {
    let [a, b] = single_spend_outputs(index, t)?[..] else { return None };
    let (va, vb) = (index.value(OutNum(a)), index.value(OutNum(b)));
    let (peel, remainder) = if va >= vb { (vb, a) } else { (va, b) };
    (peel as f64 <= MAX_PEEL_SHARE * (va + vb) as f64).then_some(remainder)
}

/// True when `t` moves one coin whole to one output: the last hop of a chain
/// whose remainder is finally swept on.
fn is_sweep(index: &Index, t: TxNum) -> bool {
    single_spend_outputs(index, t).is_some_and(|outputs| outputs.len() == 1)
}

/// Hops after a peel whose remainder is `output`: peels, then possibly a final sweep.
fn hops_after(index: &Index, mut output: u64) -> u32 {
    let mut after = 0;
    while after < MAX_HOPS {
        let Some(spender) = index.spent_by(OutNum(output)) else { break };
        let next = index.input_tx(spender);
        match continuation(index, next) {
            Some(o) => output = o,
            None => {
                after += u32::from(is_sweep(index, next));
                break;
            }
        }
        after += 1;
    }
    after
}

/// Peels before `t` whose remainder `t` spends.
fn hops_before(index: &Index, t: TxNum) -> u32 {
    let mut before = 0;
    let mut current = t;
    while before < MAX_HOPS {
        let first_input = index.tx(current).inputs.start;
        let Spent::Output(spent) = index.input(index::InNum(first_input)).spent else { break };
        let parent = index.output_tx(spent);
        if continuation(index, parent) != Some(spent.0) {
            break;
        }
        current = parent;
        before += 1;
    }
    before
}

/// The peel chain through `t`, if it is on one of at least three hops. A chain is
/// peels linked through their larger outputs, and may end with a sweep of the
/// remainder (one input, one output).
pub fn peel_chain(index: &Index, t: TxNum) -> Option<PeelChain> {
    let after = match continuation(index, t) {
        Some(start) => hops_after(index, start),
        None if is_sweep(index, t) => 0,
        None => return None,
    };
    let before = hops_before(index, t);
    if after == 0 && before == 0 {
        return None;
    }
    let length = before + after + 1;
    (length >= 3).then_some(PeelChain { position: before + 1, length })
}
