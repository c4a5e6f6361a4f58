//! The shortest money path between two places on the chain: the fewest
//! transactions through which value paid to one (an address, an outpoint, a
//! transaction's outputs) reaches the other (an address, or a transaction that
//! spends it).
//!
//! A bidirectional breadth-first search over outputs: forward from the start's
//! outputs through the transactions spending them, backward from the target
//! through the outputs its transactions spend, expanding whichever frontier is
//! smaller one whole level at a time, so the first meeting is a shortest path.
//! Every output visited costs a step of the [`Budget`].

use crate::budget::{Budget, Exceeded};
use crate::view::{ChainView, Source};
use index::{OutNum, TxNum};
use std::collections::HashMap;

/// Where a path must arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathTarget {
    /// Any of these outputs (an address's, an outpoint), paid by the path's last
    /// transaction.
    Outputs(Vec<OutNum>),
    /// This transaction, spending the path's last output.
    Tx(TxNum),
}

/// A money path: the outputs value moved through, in chain order; each after
/// the first is paid by the transaction spending the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyPath {
    /// The outputs, from one of the start's to the target's (or, for a target
    /// transaction, to the output it spends).
    pub outputs: Vec<OutNum>,
    /// For a target transaction: it (it spends the last output).
    pub end_tx: Option<TxNum>,
}

impl MoneyPath {
    /// The transactions the value went through, in order: each spender along the
    /// path, ending with the target transaction when there is one.
    pub fn txs(&self, view: &impl ChainView) -> Vec<TxNum> {
        let mut txs: Vec<TxNum> = self.outputs.windows(2).map(|pair| view.output_tx(pair[1])).collect();
        txs.extend(self.end_tx);
        txs
    }

    /// Transactions passed through (the hops).
    pub fn hops(&self) -> usize {
        self.outputs.len() - 1 + usize::from(self.end_tx.is_some())
    }
}

/// The shortest money path from `start` (outputs) to `target` through at most
/// `max_hops` transactions, or `None` when there is none that short.
///
/// # Errors
/// When the budget runs out first.
pub fn money_path(
    view: &impl ChainView,
    start: &[OutNum],
    target: &PathTarget,
    max_hops: u32,
    budget: &Budget,
) -> Result<Option<MoneyPath>, Exceeded> {
    // Forward side: output -> the output before it on the path (None for a start).
    let mut before: HashMap<OutNum, Option<OutNum>> = HashMap::new();
    // Backward side: output -> the output after it on the path (None where the
    // path ends: a target output, or an output the target transaction spends).
    let mut after: HashMap<OutNum, Option<OutNum>> = HashMap::new();
    let mut forward: Vec<OutNum> = Vec::new();
    for &o in start {
        if before.insert(o, None).is_none() {
            forward.push(o);
        }
    }
    budget.charge(forward.len() as u64)?;
    let (mut backward, end_tx) = match target {
        PathTarget::Outputs(outputs) => (outputs.clone(), None),
        PathTarget::Tx(t) => (spent_outputs(view, *t), Some(*t)),
    };
    backward.sort_unstable();
    backward.dedup();
    budget.charge(backward.len() as u64)?;
    for &o in &backward {
        after.insert(o, None);
    }
    let found = |meet: OutNum, before: &HashMap<OutNum, Option<OutNum>>, after: &HashMap<OutNum, Option<OutNum>>| {
        Some(MoneyPath { outputs: walk(meet, before, after), end_tx })
    };
    // The frontiers already meet: a start output is a target output (no
    // transaction between), or the target transaction spends it.
    if let Some(&meet) = forward.iter().find(|o| after.contains_key(o)) {
        return Ok(found(meet, &before, &after));
    }
    // Hops so far: transactions between the two frontiers, plus the target.
    let mut hops = u32::from(end_tx.is_some());
    while hops < max_hops && !forward.is_empty() && !backward.is_empty() {
        hops += 1;
        if forward.len() <= backward.len() {
            let mut next = Vec::new();
            for &o in &forward {
                let Some((_, t)) = view.spender(o) else { continue };
                for o2 in view.outputs(t) {
                    budget.charge(1)?;
                    if before.contains_key(&o2) {
                        continue;
                    }
                    before.insert(o2, Some(o));
                    if after.contains_key(&o2) {
                        return Ok(found(o2, &before, &after));
                    }
                    next.push(o2);
                }
            }
            forward = next;
        } else {
            let mut next = Vec::new();
            for &o in &backward {
                for o2 in spent_outputs(view, view.output_tx(o)) {
                    budget.charge(1)?;
                    if after.contains_key(&o2) {
                        continue;
                    }
                    after.insert(o2, Some(o));
                    if before.contains_key(&o2) {
                        return Ok(found(o2, &before, &after));
                    }
                    next.push(o2);
                }
            }
            backward = next;
        }
    }
    Ok(None)
}

/// The outputs transaction `t` spends (none for a coinbase).
fn spent_outputs(view: &impl ChainView, t: TxNum) -> Vec<OutNum> {
    view.inputs(t)
        .filter_map(|i| match view.source(i) {
            Source::Output(o) => Some(o),
            Source::Coinbase | Source::Unresolved => None,
        })
        .collect()
}

/// The path through `meet`: back along `before` to a start, on along `after`
/// to the end.
fn walk(
    meet: OutNum,
    before: &HashMap<OutNum, Option<OutNum>>,
    after: &HashMap<OutNum, Option<OutNum>>,
) -> Vec<OutNum> {
    let mut outputs = vec![meet];
    let mut at = meet;
    while let Some(&Some(prev)) = before.get(&at) {
        outputs.push(prev);
        at = prev;
    }
    outputs.reverse();
    at = meet;
    while let Some(&Some(next)) = after.get(&at) {
        outputs.push(next);
        at = next;
    }
    outputs
}
