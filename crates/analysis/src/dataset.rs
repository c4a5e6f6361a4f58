//! Labelled outputs: every change candidate of the truth's transactions with one
//! sending wallet that pay someone else, with its features and whether it returns
//! to the sender. The change model learns from those of simulated chains and is
//! judged on those of the chain Bitcoin Core's wallets wrote.

use crate::coinjoin::classify;
use crate::facts::{Lookup, TxFacts};
use crate::features::{Features, Partition, change_features, is_candidate};
use crate::model::ChangeModel;
use crate::truth::GroundTruth;
use index::{Index, TxNum};

/// Labelled outputs, grouped by transaction.
#[derive(Debug, Default, Clone)]
pub struct Labelled {
    /// Every output's features.
    pub x: Vec<Features>,
    /// True when it pays the sender.
    pub y: Vec<bool>,
    /// Per transaction: its number and where its rows start in `x`.
    pub txs: Vec<(TxNum, usize)>,
}

impl Labelled {
    /// The rows of transaction `k` (in `txs` order).
    pub fn rows(&self, k: usize) -> std::ops::Range<usize> {
        let end = self.txs.get(k + 1).map_or(self.x.len(), |t| t.1);
        self.txs[k].1..end
    }

    /// Appends another set.
    pub fn extend(&mut self, other: Labelled) {
        let base = self.x.len();
        self.txs.extend(other.txs.into_iter().map(|(t, r)| (t, r + base)));
        self.x.extend(other.x);
        self.y.extend(other.y);
    }
}

/// The labelled outputs of an index, by its ground truth: transactions the truth
/// names with exactly one sending wallet that pay at least one other wallet, that
/// are no coinbase and no CoinJoin (by the truth or the classifiers), whose inputs
/// are all indexed and which have two or more candidate outputs. `partition` is
/// the index's common-input partition ([`crate::cluster::common_input_partition`]).
pub fn labelled(index: &Index, truth: &GroundTruth, partition: &Partition<'_>) -> Labelled {
    let mut out = Labelled::default();
    let mut facts = TxFacts::default();
    for (t, tx) in &truth.transactions {
        let Some(sender) = truth.sender(tx) else { continue };
        if tx.kind.starts_with("coinjoin") || tx.kind == "whirlpool_tx0" {
            continue;
        }
        facts.load(index, *t, Some(&Lookup));
        facts.set_height(index.tx_height(*t).0);
        if !is_candidate(&facts) || classify(&facts.shape()).is_some() {
            continue;
        }
        let owners: Vec<Option<u32>> = facts.change_outputs.iter().map(|o| truth.owner_of(o.address)).collect();
        if owners.iter().all(|o| *o == Some(sender)) {
            continue; // a self-transfer: no payment to tell change from
        }
        out.txs.push((*t, out.x.len()));
        change_features(index, &facts, partition, &mut out.x);
        out.y.extend(owners.iter().map(|o| *o == Some(sender)));
    }
    out
}

/// The model's decision on one labelled transaction.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    /// The probability of its most probable output.
    pub probability: f64,
    /// True when that output pays the sender.
    pub right: bool,
    /// True when any output pays the sender.
    pub has_change: bool,
}

/// The model's decision on every transaction of a labelled set.
pub fn decisions(model: &ChangeModel, set: &Labelled) -> Vec<Decision> {
    (0..set.txs.len())
        .map(|k| {
            let rows = set.rows(k);
            let (best, probability) = model.decide(&set.x[rows.clone()]).unwrap_or((0, 0.0));
            Decision { probability, right: set.y[rows.start + best], has_change: set.y[rows].iter().any(|&v| v) }
        })
        .collect()
}

/// Precision and recall of decisions at a threshold: (predictions, right,
/// transactions with change).
pub fn at_threshold(decisions: &[Decision], threshold: f64) -> (u64, u64, u64) {
    let mut counts = (0u64, 0u64, 0u64);
    for d in decisions {
        if d.probability >= threshold {
            counts.0 += 1;
            counts.1 += u64::from(d.right);
        }
        counts.2 += u64::from(d.has_change);
    }
    counts
}
