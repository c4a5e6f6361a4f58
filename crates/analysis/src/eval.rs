//! Measuring the analysis against ground truth (the regtest fixture written by
//! Bitcoin Core's wallets, or a simulator run): pairwise precision and recall of the
//! clustering, each change heuristic alone, and a confusion matrix of the CoinJoin
//! classifiers.
//!
//! Definitions:
//! - Clustering, over addresses seen on chain whose owner the truth names: precision
//!   is the share of address pairs put in one entity that truly share an owner;
//!   recall the share of truly same-owner pairs put in one entity.
//! - A change heuristic is judged on transactions with one sending wallet that pay at
//!   least one other wallet (CoinJoins and coinbases excluded). A prediction is right
//!   when the output it picks belongs to the sender. Precision: right / predictions;
//!   recall: right / transactions that have change (an output back to the sender).
//! - CoinJoins: the truth's kinds map to protocols (`coinjoin_whirlpool` to
//!   whirlpool, `whirlpool_tx0`, `coinjoin_wasabi` to wasabi1, `coinjoin_wabisabi` to
//!   wasabi2, `coinjoin_joinmarket` to joinmarket); everything else is "none".

use crate::AnalysisError;
use crate::change::{ChangeHeuristic, ChangeView};
use crate::coinjoin::{Protocol, classify};
use crate::facts::{Lookup, TxFacts};
use crate::reader::Analysis;
use index::{AddressKey, Index, TxNum};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Deserialize)]
struct Truth {
    wallets: BTreeMap<String, TruthWallet>,
    transactions: HashMap<String, TruthTx>,
}

#[derive(Deserialize)]
struct TruthWallet {
    addresses: Vec<TruthAddress>,
}

#[derive(Deserialize)]
struct TruthAddress {
    address: Option<String>,
    #[serde(default)]
    script_hex: Option<String>,
    seen_on_chain: bool,
}

#[derive(Deserialize)]
struct TruthTx {
    kind: String,
    #[serde(default)]
    input_wallets: Vec<String>,
}

/// The clustering measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClusterEval {
    /// Addresses with a known owner that the index holds.
    pub addresses: u64,
    /// Entities those addresses fall into.
    pub entities: u64,
    /// Wallets that own them.
    pub true_wallets: u64,
    /// Pairwise precision.
    pub pairwise_precision: f64,
    /// Pairwise recall.
    pub pairwise_recall: f64,
    /// Entities holding addresses of more than one wallet.
    pub false_merges: u64,
    /// The largest of them: entity id, size, and addresses per owner.
    pub largest_false_merge: Option<FalseMerge>,
}

/// An entity that joins several owners.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FalseMerge {
    /// Entity id.
    pub entity: u32,
    /// Evaluated addresses in it.
    pub size: u64,
    /// Owners and how many of its addresses each has, largest first.
    pub owners: Vec<(String, u64)>,
}

/// One change heuristic measured alone.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChangeEval {
    /// Its name.
    pub heuristic: String,
    /// Predictions made.
    pub predictions: u64,
    /// Right ones.
    pub correct: u64,
    /// Transactions that have change.
    pub with_change: u64,
    /// correct / predictions.
    pub precision: f64,
    /// correct / with_change.
    pub recall: f64,
}

/// The CoinJoin classifiers measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoinJoinEval {
    /// Counts by true label, then predicted label.
    pub confusion: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per protocol: (precision, recall, true count, predicted count).
    pub per_protocol: BTreeMap<String, (f64, f64, u64, u64)>,
}

/// Everything measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    /// The clustering (if one is saved).
    pub clustering: Option<ClusterEval>,
    /// Each change heuristic alone.
    pub change: Vec<ChangeEval>,
    /// The CoinJoin classifiers.
    pub coinjoin: CoinJoinEval,
    /// Truth transactions found in the index.
    pub transactions: u64,
}

fn truth_label(kind: &str) -> &'static str {
    match kind {
        "coinjoin_whirlpool" => "whirlpool",
        "whirlpool_tx0" => "whirlpool_tx0",
        "coinjoin_wasabi" => "wasabi1",
        "coinjoin_wabisabi" => "wasabi2",
        "coinjoin_joinmarket" => "joinmarket",
        _ => "none",
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Evaluates the analysis of `index` against a ground-truth file.
///
/// # Errors
/// When the truth file cannot be read or parsed.
pub fn evaluate(index: &Index, analysis: Option<&Analysis>, truth_path: &Path) -> Result<EvalReport, AnalysisError> {
    let truth = read_truth(truth_path)?;
    let wallet_names: Vec<&String> = truth.wallets.keys().collect();
    let owner = address_owners(index, &truth);
    let clustering = analysis.map(|analysis| evaluate_clustering(analysis, &owner, &wallet_names));
    let Tally { change, with_change, confusion, found } = tally_transactions(index, &truth, &owner, &wallet_names);
    let change = change_evals(change, with_change);
    let per_protocol = per_protocol(&confusion);
    Ok(EvalReport { clustering, change, coinjoin: CoinJoinEval { confusion, per_protocol }, transactions: found })
}

/// Reads and parses the ground-truth file.
fn read_truth(truth_path: &Path) -> Result<Truth, AnalysisError> {
    let file = std::fs::File::open(truth_path).map_err(|e| AnalysisError::Io(truth_path.to_owned(), e))?;
    serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|e| AnalysisError::Corrupt(truth_path.to_owned(), e.to_string()))
}

/// Owner (wallet number, in name order) of every indexed address the truth names.
fn address_owners(index: &Index, truth: &Truth) -> HashMap<u32, u32> {
    let network = index.network();
    let mut owner: HashMap<u32, u32> = HashMap::new();
    for (w, wallet) in truth.wallets.values().enumerate() {
        for a in wallet.addresses.iter().filter(|a| a.seen_on_chain) {
            let key = match (&a.address, &a.script_hex) {
                (Some(text), _) => AddressKey::parse(text, network).ok(),
                (None, Some(hex)) => decode_hex(hex).map(|s| AddressKey::of_script(&s)),
                (None, None) => None,
            };
            if let Some(id) = key.and_then(|k| index.address_by_key(&k)) {
                owner.insert(id.0, w as u32);
            }
        }
    }
    owner
}

/// Pairwise precision and recall of the saved clustering over the owned addresses,
/// and the entities that join several owners.
fn evaluate_clustering(analysis: &Analysis, owner: &HashMap<u32, u32>, wallet_names: &[&String]) -> ClusterEval {
    let mut contingency: HashMap<(u32, u32), u64> = HashMap::new();
    let (mut by_entity, mut by_wallet): (HashMap<u32, u64>, HashMap<u32, u64>) = (HashMap::new(), HashMap::new());
    for (&address, &w) in owner {
        let Some(index::EntityId(e)) = analysis.entity_of(index::AddrId(address)) else { continue };
        *contingency.entry((e, w)).or_default() += 1;
        *by_entity.entry(e).or_default() += 1;
        *by_wallet.entry(w).or_default() += 1;
    }
    let together: u64 = by_entity.values().map(|&n| pairs(n)).sum();
    let same_owner: u64 = by_wallet.values().map(|&n| pairs(n)).sum();
    let right: u64 = contingency.values().map(|&n| pairs(n)).sum();
    let mut owners_of: HashMap<u32, Vec<(String, u64)>> = HashMap::new();
    for (&(e, w), &n) in &contingency {
        owners_of.entry(e).or_default().push((wallet_names[w as usize].clone(), n));
    }
    let merged: Vec<(u32, Vec<(String, u64)>)> = owners_of.into_iter().filter(|(_, o)| o.len() > 1).collect();
    let largest =
        merged.iter().max_by_key(|(e, o)| (o.iter().map(|x| x.1).sum::<u64>(), std::cmp::Reverse(*e))).map(|(e, o)| {
            let mut owners = o.clone();
            owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            FalseMerge { entity: *e, size: owners.iter().map(|x| x.1).sum(), owners }
        });
    ClusterEval {
        addresses: by_entity.values().sum(),
        entities: by_entity.len() as u64,
        true_wallets: by_wallet.len() as u64,
        pairwise_precision: ratio(right, together),
        pairwise_recall: ratio(right, same_owner),
        false_merges: merged.len() as u64,
        largest_false_merge: largest,
    }
}

/// Counts gathered over the truth's transactions found in the index.
struct Tally {
    /// Per change heuristic (in [`ChangeHeuristic::ALL`] order): predictions, right ones.
    change: Vec<(u64, u64)>,
    /// Judged transactions that have change.
    with_change: u64,
    /// CoinJoin counts by true label, then predicted label.
    confusion: BTreeMap<String, BTreeMap<String, u64>>,
    /// Truth transactions found in the index.
    found: u64,
}

/// Classifies every truth transaction the index holds (in txid order) and judges the
/// change heuristics on those with one sending wallet.
fn tally_transactions(index: &Index, truth: &Truth, owner: &HashMap<u32, u32>, wallet_names: &[&String]) -> Tally {
    let mut tally = Tally {
        change: vec![(0, 0); ChangeHeuristic::ALL.len()],
        with_change: 0,
        confusion: BTreeMap::new(),
        found: 0,
    };
    let mut facts = TxFacts::default();
    let mut txids: Vec<(&String, &TruthTx)> = truth.transactions.iter().collect();
    txids.sort_by(|a, b| a.0.cmp(b.0));
    for (txid, tx) in txids {
        let Some(t) = txid.parse().ok().and_then(|txid| index.tx_by_txid(&txid)) else { continue };
        tally.found += 1;
        facts.load(index, t, Some(&Lookup));
        facts.set_height(index.tx_height(TxNum(t.0)).0);
        let verdict = classify(&facts.shape());
        let predicted = verdict.as_ref().map_or("none", |v| v.protocol.name());
        let row = tally.confusion.entry(truth_label(&tx.kind).to_owned()).or_default();
        *row.entry(predicted.to_owned()).or_default() += 1;
        if facts.coinbase || truth_label(&tx.kind) != "none" || tx.input_wallets.len() != 1 {
            continue;
        }
        let Some(view) = facts.change_view() else { continue };
        let Some(sender) = wallet_names.iter().position(|n| **n == tx.input_wallets[0]).map(|w| w as u32) else {
            continue;
        };
        tally.judge_change(&view, sender, owner);
    }
    tally
}

impl Tally {
    /// Judges every change heuristic on one transaction of `sender` that pays another
    /// wallet (a self-transfer is skipped).
    fn judge_change(&mut self, view: &ChangeView<'_>, sender: u32, owner: &HashMap<u32, u32>) {
        let owners: Vec<Option<u32>> = view.outputs.iter().map(|o| owner.get(&o.address).copied()).collect();
        if !owners.iter().any(|o| *o != Some(sender)) {
            return; // a self-transfer: no payment to tell change from
        }
        if owners.contains(&Some(sender)) {
            self.with_change += 1;
        }
        for (k, h) in ChangeHeuristic::ALL.iter().enumerate() {
            if let Some(o) = h.detect(view) {
                self.change[k].0 += 1;
                if owners[o] == Some(sender) {
                    self.change[k].1 += 1;
                }
            }
        }
    }
}

/// Each change heuristic's precision and recall from its (predictions, right) counts.
fn change_evals(change: Vec<(u64, u64)>, with_change: u64) -> Vec<ChangeEval> {
    ChangeHeuristic::ALL
        .iter()
        .zip(change)
        .map(|(h, (predictions, correct))| ChangeEval {
            heuristic: h.name().to_owned(),
            predictions,
            correct,
            with_change,
            precision: ratio(correct, predictions),
            recall: ratio(correct, with_change),
        })
        .collect()
}

/// Per protocol, from the confusion matrix: (precision, recall, true count,
/// predicted count).
fn per_protocol(confusion: &BTreeMap<String, BTreeMap<String, u64>>) -> BTreeMap<String, (f64, f64, u64, u64)> {
    let mut per_protocol = BTreeMap::new();
    for p in Protocol::ALL {
        let name = p.name();
        let truly: u64 = confusion.get(name).map_or(0, |row| row.values().sum());
        let predicted: u64 = confusion.values().map(|row| row.get(name).copied().unwrap_or(0)).sum();
        let right = confusion.get(name).and_then(|row| row.get(name)).copied().unwrap_or(0);
        per_protocol.insert(name.to_owned(), (ratio(right, predicted), ratio(right, truly), truly, predicted));
    }
    per_protocol
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}
