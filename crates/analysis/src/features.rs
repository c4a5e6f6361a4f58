//! What the change model reads about each output of a transaction: every change
//! rule's vote, what later blocks tell (is it spent, how soon, by what, and does
//! common-input ownership already put its address with the sender's), its value's
//! digits, its script type and position, and the transaction's own facts (fee
//! rate, version, lock time, RBF, input count and ages).
//!
//! The share of the value each output takes is left out on purpose: it encodes an
//! economy's payment sizes (in the simulator the change is mostly the larger
//! output, on the chain Bitcoin Core's wallets wrote mostly the smaller), so a
//! model reading it learns the economy it was trained on rather than the wallet.
//!
//! The features are those of Möser and Narayanan ("Resurrecting Address Clustering
//! in Bitcoin", FC 2022) where the index holds them, plus the common-input
//! partition's view of each output, which their random forest did not have.

use crate::change::ChangeHeuristic;
use crate::facts::TxFacts;
use chain::script::ScriptClass;
use index::{Index, OutNum, Spent};

/// The number of features per output.
pub const FEATURE_COUNT: usize = 48;

/// One output's features, in [`FEATURE_NAMES`] order.
pub type Features = [f32; FEATURE_COUNT];

/// The name of each feature (the model file lists them, so a model built for
/// other features is refused).
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "vote_one_time",
    "vote_address_type",
    "vote_round_value",
    "vote_optimal",
    "vote_fingerprint",
    "vote_reuse",
    "vote_other_one_time",
    "vote_other_address_type",
    "vote_other_round_value",
    "vote_other_optimal",
    "vote_other_fingerprint",
    "vote_other_reuse",
    "class_of_every_input",
    "inputs_of_its_class",
    "outputs_of_its_class",
    "first_seen",
    "pays_an_input_address",
    "in_senders_cluster",
    "other_cluster_ln_size",
    "round_1e4",
    "round_1e5",
    "round_1e6",
    "trailing_zeros",
    "below_every_input",
    "above_every_input",
    "first_position",
    "last_position",
    "class_p2pkh",
    "class_p2sh",
    "class_p2wpkh",
    "class_p2wsh",
    "class_p2tr",
    "class_other",
    "spent",
    "spend_delay_ln",
    "spender_same_fingerprint",
    "spender_inputs_ln",
    "spender_spends_a_sibling",
    "outputs_ln",
    "inputs_ln",
    "fee_rate_ln",
    "version_1",
    "version_2",
    "lock_time_set",
    "rbf",
    "youngest_input_ln_age",
    "oldest_input_ln_age",
    "spender_outputs_ln",
];

/// The common-input partition: each address's cluster root, and each root's size.
#[derive(Debug, Clone, Copy)]
pub struct Partition<'a> {
    /// Root of every address.
    pub root: &'a [u32],
    /// Size of every cluster, at its root.
    pub size: &'a [u32],
}

impl Partition<'_> {
    fn root_of(&self, address: u32) -> u32 {
        self.root.get(address as usize).copied().unwrap_or(address)
    }

    fn size_of_root(&self, root: u32) -> u32 {
        self.size.get(root as usize).copied().unwrap_or(1)
    }
}

/// Facts about the transaction as a whole, shared by its outputs.
struct TxLevel {
    outputs_ln: f32,
    inputs_ln: f32,
    fee_rate_ln: f32,
    youngest_ln: f32,
    oldest_ln: f32,
}

/// Features of every change candidate of the transaction in `facts` (in
/// `facts.change_outputs` order), appended to `out`. `facts` must have been
/// loaded with spender fingerprints, at its height, and have a change view.
pub fn change_features(index: &Index, facts: &TxFacts, partition: &Partition<'_>, out: &mut Vec<Features>) {
    let Some(view) = facts.change_view() else { return };
    let votes: Vec<Option<usize>> = ChangeHeuristic::ALL.iter().map(|h| h.detect(&view)).collect();
    let level = tx_level(index, facts);
    let fp = view.fingerprint;
    let input_class = view.inputs[0].class;
    let one_input_class = view.inputs.iter().all(|i| i.class == input_class);
    let min_input = view.inputs.iter().map(|i| i.value).min().unwrap_or(0);
    let max_input = view.inputs.iter().map(|i| i.value).max().unwrap_or(0);
    let sender_root = partition.root_of(view.inputs[0].address);
    let n = view.outputs.len();
    for (k, o) in view.outputs.iter().enumerate() {
        let mut f = Row::default();
        for vote in &votes {
            f.push(flag(*vote == Some(k)));
        }
        for vote in &votes {
            f.push(flag(vote.is_some_and(|v| v != k)));
        }
        f.push(flag(one_input_class && o.class == input_class));
        f.push(share(view.inputs.iter().filter(|i| i.class == o.class).count(), view.inputs.len()));
        f.push(share(view.outputs.iter().filter(|x| x.class == o.class).count(), n));
        f.push(flag(o.first_seen));
        f.push(flag(view.inputs.iter().any(|i| i.address == o.address)));
        let root = partition.root_of(o.address);
        f.push(flag(root == sender_root));
        f.push(if root == sender_root { 0.0 } else { ln(u64::from(partition.size_of_root(root))) });
        f.push(flag(o.value.is_multiple_of(10_000)));
        f.push(flag(o.value.is_multiple_of(100_000)));
        f.push(flag(o.value.is_multiple_of(1_000_000)));
        f.push(trailing_decimal_zeros(o.value) as f32 / 8.0);
        f.push(flag(o.value < min_input));
        f.push(flag(o.value > max_input));
        f.push(flag(k == 0));
        f.push(flag(k + 1 == n));
        let slot = class_slot(o.class);
        for c in 0..6 {
            f.push(flag(c == slot));
        }
        let spend = spend_facts(index, OutNum(facts.change_output_numbers[k]), facts);
        f.push(flag(spend.is_some()));
        f.push(spend.as_ref().map_or(0.0, |s| ln1p(u64::from(s.delay))));
        f.push(flag(spend.is_some() && o.spender == Some(fp)));
        f.push(spend.as_ref().map_or(0.0, |s| ln(s.inputs)));
        f.push(flag(spend.as_ref().is_some_and(|s| s.spends_sibling)));
        f.push(level.outputs_ln);
        f.push(level.inputs_ln);
        f.push(level.fee_rate_ln);
        f.push(flag(fp.version == 1));
        f.push(flag(fp.version == 2));
        f.push(flag(fp.lock_time_set));
        f.push(flag(fp.rbf));
        f.push(level.youngest_ln);
        f.push(level.oldest_ln);
        f.push(spend.as_ref().map_or(0.0, |s| ln(s.outputs)));
        out.push(f.finish());
    }
}

/// A row filled in [`FEATURE_NAMES`] order.
struct Row {
    values: Features,
    len: usize,
}

impl Default for Row {
    fn default() -> Self {
        Self { values: [0.0; FEATURE_COUNT], len: 0 }
    }
}

impl Row {
    fn push(&mut self, v: f32) {
        // Past the end only if a feature has no name: the unit test catches it.
        if let Some(slot) = self.values.get_mut(self.len) {
            *slot = v;
        }
        self.len += 1;
    }

    fn finish(self) -> Features {
        debug_assert_eq!(self.len, FEATURE_COUNT, "a feature without a name, or a name without one");
        self.values
    }
}

fn flag(b: bool) -> f32 {
    f32::from(u8::from(b))
}

fn share(part: usize, whole: usize) -> f32 {
    if whole == 0 { 0.0 } else { part as f32 / whole as f32 }
}

fn ln(n: u64) -> f32 {
    (n.max(1) as f32).ln()
}

fn ln1p(n: u64) -> f32 {
    (n as f32).ln_1p()
}

/// Decimal zeros at the end of a value in satoshis (0 to 8; 8 for whole bitcoins
/// and for zero).
fn trailing_decimal_zeros(mut value: u64) -> u32 {
    let mut zeros = 0;
    while zeros < 8 && value.is_multiple_of(10) {
        value /= 10;
        zeros += 1;
    }
    zeros
}

/// The one-hot slot of a script class: P2PKH, P2SH, P2WPKH, P2WSH, P2TR, other.
fn class_slot(class: ScriptClass) -> usize {
    match class {
        ScriptClass::P2pkh => 0,
        ScriptClass::P2sh => 1,
        ScriptClass::P2wpkh => 2,
        ScriptClass::P2wsh => 3,
        ScriptClass::P2tr => 4,
        _ => 5,
    }
}

fn tx_level(index: &Index, facts: &TxFacts) -> TxLevel {
    let row = index.tx(facts.tx);
    let fee_rate = row.fee.map_or(0.0, |fee| fee as f32 / row.vsize().max(1) as f32);
    let height = row.height.0;
    let (mut youngest, mut oldest) = (u32::MAX, 0u32);
    for i in row.inputs.clone() {
        if let Spent::Output(o) = index.spent(index::InNum(i)) {
            let age = height.saturating_sub(index.tx_height(index.output_tx(o)).0);
            youngest = youngest.min(age);
            oldest = oldest.max(age);
        }
    }
    TxLevel {
        outputs_ln: ln(facts.change_outputs.len() as u64),
        inputs_ln: ln(row.inputs.end - row.inputs.start),
        fee_rate_ln: fee_rate.ln_1p(),
        youngest_ln: if youngest == u32::MAX { 0.0 } else { ln1p(u64::from(youngest)) },
        oldest_ln: ln1p(u64::from(oldest)),
    }
}

/// What the transaction spending an output shows.
struct SpendFacts {
    /// Blocks between the output and its spend.
    delay: u32,
    inputs: u64,
    outputs: u64,
    /// True when it also spends another output of the same transaction.
    spends_sibling: bool,
}

fn spend_facts(index: &Index, o: OutNum, facts: &TxFacts) -> Option<SpendFacts> {
    let input = index.spent_by(o)?;
    let spender = index.input_tx(input);
    let inputs = index.tx_inputs(spender);
    let outputs = index.tx_outputs(spender);
    let spends_sibling = inputs.clone().any(|i| {
        i != input.0 && matches!(index.spent(index::InNum(i)), Spent::Output(p) if index.output_tx(p) == facts.tx)
    });
    let height = index.tx_height(facts.tx).0;
    Some(SpendFacts {
        delay: index.tx_height(spender).0.saturating_sub(height),
        inputs: inputs.end - inputs.start,
        outputs: outputs.end - outputs.start,
        spends_sibling,
    })
}

/// True when the transaction in `facts` can have change told apart: resolved, not a
/// coinbase, with an input and at least two outputs that are not OP_RETURN.
pub fn is_candidate(facts: &TxFacts) -> bool {
    facts.change_view().is_some_and(|v| v.outputs.len() >= 2 && !v.inputs.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_zeros_count_decimal_digits() {
        assert_eq!(trailing_decimal_zeros(123), 0);
        assert_eq!(trailing_decimal_zeros(1_230_000), 4);
        assert_eq!(trailing_decimal_zeros(100_000_000), 8);
        assert_eq!(trailing_decimal_zeros(0), 8);
    }

    #[test]
    fn every_feature_has_one_name() {
        let mut names = FEATURE_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FEATURE_COUNT);
    }

    #[test]
    fn every_change_rule_has_two_vote_features() {
        for (r, h) in ChangeHeuristic::ALL.iter().enumerate() {
            let rule = h.name().trim_start_matches("change:").replace('-', "_");
            assert_eq!(FEATURE_NAMES[r], format!("vote_{rule}"));
            assert_eq!(FEATURE_NAMES[6 + r], format!("vote_other_{rule}"));
        }
    }
}
