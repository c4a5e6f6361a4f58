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
use crate::cluster::common_input_partition;
use crate::coinjoin::{Protocol, classify};
use crate::dataset::{Decision, at_threshold, decisions, labelled};
use crate::facts::{Lookup, TxFacts};
use crate::features::Partition;
use crate::model::ChangeModel;
use crate::reader::Analysis;
use crate::train::THRESHOLD_GRID;
use crate::truth::GroundTruth;
use crate::unionfind::UnionFind;
use index::{Index, TxNum};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

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

/// The change model at one threshold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CurvePoint {
    /// The threshold.
    pub threshold: f64,
    /// Transactions whose most probable output reaches it.
    pub predictions: u64,
    /// Of them, those whose output pays the sender.
    pub correct: u64,
    /// correct / predictions.
    pub precision: f64,
    /// correct / transactions with change.
    pub recall: f64,
}

/// A reliability bin: predictions whose probability falls in it, and how often
/// they were right.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin.
    pub from: f64,
    /// Predictions in it.
    pub predictions: u64,
    /// Their mean probability.
    pub mean_probability: f64,
    /// The share that was right.
    pub observed: f64,
}

/// The change model measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelEval {
    /// Transactions judged (one sender, paying someone else).
    pub transactions: u64,
    /// Of them, those with change.
    pub with_change: u64,
    /// The model's default threshold.
    pub default_threshold: f64,
    /// At the default threshold.
    pub at_default: CurvePoint,
    /// The precision-recall curve over the thresholds of the training grid.
    pub curve: Vec<CurvePoint>,
    /// Calibration: ten bins of the most probable output's probability.
    pub reliability: Vec<ReliabilityBin>,
    /// Expected calibration error: the bins' |observed - mean| weighted by size.
    pub calibration_error: f64,
}

/// What clustering could reach on this truth: common-input ownership plus a
/// change rule that is never wrong and never abstains.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OracleBound {
    /// Its pairwise precision (below 1 only where common-input ownership errs).
    pub pairwise_precision: f64,
    /// Its pairwise recall: the bound a clustering's recall is read against.
    pub pairwise_recall: f64,
}

/// Everything measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    /// The clustering (if one is saved).
    pub clustering: Option<ClusterEval>,
    /// The clustering's pairwise recall as a share of the oracle bound's.
    pub recall_of_bound: Option<f64>,
    /// The oracle bound.
    pub oracle: OracleBound,
    /// The change model.
    pub change_model: ModelEval,
    /// Services recognised by behaviour (with a clustering), per behaviour.
    pub services: Vec<crate::behaviour::BehaviourEval>,
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

/// Evaluates the analysis of `index` and the change model against a ground-truth
/// file.
///
/// # Errors
/// When the truth file cannot be read or parsed.
pub fn evaluate(
    index: &Index,
    analysis: Option<&Analysis>,
    truth_path: &Path,
    model: &ChangeModel,
) -> Result<EvalReport, AnalysisError> {
    let truth = GroundTruth::read(index, truth_path)?;
    let clustering =
        analysis.map(|analysis| evaluate_clustering(|a| analysis.entity_of(index::AddrId(a)).map(|e| e.0), &truth));
    let (root, size, _) = common_input_partition(index);
    let oracle = oracle_bound(index, &truth, root.clone());
    let Tally { change, with_change, confusion, found } = tally_transactions(index, &truth);
    let change = change_evals(change, with_change);
    let per_protocol = per_protocol(&confusion);
    let services = analysis
        .map_or_else(Vec::new, |a| crate::behaviour::measure(&crate::behaviour::infer_services(index, a), a, &truth));
    Ok(EvalReport {
        services,
        recall_of_bound: clustering.as_ref().map(|c| ratio_f(c.pairwise_recall, oracle.pairwise_recall)),
        clustering,
        oracle,
        change_model: evaluate_model(
            model,
            &decisions(model, &labelled(index, &truth, &Partition { root: &root, size: &size })),
        ),
        change,
        coinjoin: CoinJoinEval { confusion, per_protocol },
        transactions: found,
    })
}

fn ratio_f(a: f64, b: f64) -> f64 {
    if b == 0.0 { 1.0 } else { a / b }
}

/// The change model's curve, figures at its default threshold and calibration.
pub fn evaluate_model(model: &ChangeModel, decided: &[Decision]) -> ModelEval {
    let point = |threshold: f64| {
        let (predictions, correct, with_change) = at_threshold(decided, threshold);
        CurvePoint {
            threshold,
            predictions,
            correct,
            precision: ratio(correct, predictions),
            recall: ratio(correct, with_change),
        }
    };
    let mut bins: Vec<(u64, f64, u64)> = vec![(0, 0.0, 0); 10];
    for d in decided {
        let b = ((d.probability * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += d.probability;
        bins[b].2 += u64::from(d.right);
    }
    let total = decided.len().max(1) as f64;
    let reliability: Vec<ReliabilityBin> = bins
        .iter()
        .enumerate()
        .filter(|(_, b)| b.0 > 0)
        .map(|(i, &(n, sum, right))| ReliabilityBin {
            from: i as f64 / 10.0,
            predictions: n,
            mean_probability: sum / n as f64,
            observed: right as f64 / n as f64,
        })
        .collect();
    let calibration_error =
        reliability.iter().map(|b| b.predictions as f64 / total * (b.observed - b.mean_probability).abs()).sum();
    ModelEval {
        transactions: decided.len() as u64,
        with_change: decided.iter().filter(|d| d.has_change).count() as u64,
        default_threshold: model.default_threshold,
        at_default: point(model.default_threshold),
        curve: THRESHOLD_GRID.iter().map(|&t| point(t)).collect(),
        reliability,
        calibration_error,
    }
}

/// Common-input ownership plus a perfect change rule: every output of a judged
/// transaction that pays its sender is linked to the sender.
/// `roots` is the common-input partition.
fn oracle_bound(index: &Index, truth: &GroundTruth, roots: Vec<u32>) -> OracleBound {
    let mut uf = UnionFind::from_roots(roots);
    let mut facts = TxFacts::default();
    for (t, tx) in &truth.transactions {
        let Some(sender) = truth.sender(tx) else { continue };
        if truth_label(&tx.kind) != "none" {
            continue;
        }
        facts.load(index, *t, None);
        let Some(view) = facts.change_view().filter(|v| v.outputs.len() >= 2) else { continue };
        let owners: Vec<Option<u32>> = view.outputs.iter().map(|o| truth.owner_of(o.address)).collect();
        if owners.iter().all(|o| *o == Some(sender)) {
            continue;
        }
        for (o, owner) in view.outputs.iter().zip(&owners) {
            if *owner == Some(sender) {
                uf.union(view.inputs[0].address, o.address);
            }
        }
    }
    let (roots, _) = uf.flatten();
    let c = evaluate_clustering(|a| roots.get(a as usize).copied(), truth);
    OracleBound { pairwise_precision: c.pairwise_precision, pairwise_recall: c.pairwise_recall }
}

/// Pairwise precision and recall of a clustering (the entity of each address) over
/// the owned addresses, and the entities that join several owners.
fn evaluate_clustering(entity_of: impl Fn(u32) -> Option<u32>, truth: &GroundTruth) -> ClusterEval {
    let mut contingency: HashMap<(u32, u32), u64> = HashMap::new();
    let (mut by_entity, mut by_wallet): (HashMap<u32, u64>, HashMap<u32, u64>) = (HashMap::new(), HashMap::new());
    for (&address, &w) in &truth.owner {
        let Some(e) = entity_of(address) else { continue };
        *contingency.entry((e, w)).or_default() += 1;
        *by_entity.entry(e).or_default() += 1;
        *by_wallet.entry(w).or_default() += 1;
    }
    let together: u64 = by_entity.values().map(|&n| pairs(n)).sum();
    let same_owner: u64 = by_wallet.values().map(|&n| pairs(n)).sum();
    let right: u64 = contingency.values().map(|&n| pairs(n)).sum();
    let mut owners_of: HashMap<u32, Vec<(String, u64)>> = HashMap::new();
    for (&(e, w), &n) in &contingency {
        owners_of.entry(e).or_default().push((truth.wallets[w as usize].clone(), n));
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
/// change rules on those with one sending wallet.
fn tally_transactions(index: &Index, truth: &GroundTruth) -> Tally {
    let mut tally = Tally {
        change: vec![(0, 0); ChangeHeuristic::ALL.len()],
        with_change: 0,
        confusion: BTreeMap::new(),
        found: 0,
    };
    let mut facts = TxFacts::default();
    for (t, tx) in &truth.transactions {
        tally.found += 1;
        facts.load(index, *t, Some(&Lookup));
        facts.set_height(index.tx_height(TxNum(t.0)).0);
        let verdict = classify(&facts.shape());
        let predicted = verdict.as_ref().map_or("none", |v| v.protocol.name());
        let row = tally.confusion.entry(truth_label(&tx.kind).to_owned()).or_default();
        *row.entry(predicted.to_owned()).or_default() += 1;
        if facts.coinbase || truth_label(&tx.kind) != "none" {
            continue;
        }
        let (Some(view), Some(sender)) = (facts.change_view(), truth.sender(tx)) else { continue };
        tally.judge_change(&view, sender, truth);
    }
    tally
}

impl Tally {
    /// Judges every change heuristic on one transaction of `sender` that pays another
    /// wallet (a self-transfer is skipped).
    fn judge_change(&mut self, view: &ChangeView<'_>, sender: u32, truth: &GroundTruth) {
        let owners: Vec<Option<u32>> = view.outputs.iter().map(|o| truth.owner_of(o.address)).collect();
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
