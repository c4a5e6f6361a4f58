//! Scoring against ground truth in the schema of
//! `fixtures/monero-regtest/ground_truth.json`: top-1 accuracy beside the
//! guess-newest and uniform baselines and the oracle bound, what the certain
//! rules deduce (and that none of it is wrong), calibration (expected
//! calibration error over ten bins, and the reliability table), each rule
//! alone, and what one service's knowledge gains everyone else.

use crate::age::AgeModel;
use crate::analysis::{Analysis, Options, top_of};
use crate::graph::RingGraph;
use crate::known::{Knowledge, KnownSpend};
use crate::rules::Rule;
use monero_index::Store;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The truth about the indexed inputs.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Per input: the slot of its real member (None if the truth does not say).
    pub real_slot: Vec<Option<usize>>,
    /// Per input: the wallet that spent it.
    pub spender: Vec<String>,
    /// The parsed file (for knowledge extraction).
    json: Value,
}

/// A truth file that does not fit the index.
#[derive(Debug, thiserror::Error)]
#[error("ground truth: {0}")]
pub struct TruthError(pub String);

impl Truth {
    /// Reads a ground-truth file and maps it onto the index.
    ///
    /// # Errors
    /// If it is not in the schema, or names a real member that is not in its ring.
    pub fn load(store: &Store, g: &RingGraph, text: &str) -> Result<Self, TruthError> {
        let json: Value = serde_json::from_str(text).map_err(|e| TruthError(format!("line {}: {e}", e.line())))?;
        let txs = json["transactions"].as_array().ok_or_else(|| TruthError("field transactions missing".into()))?;
        let mut real_slot = vec![None; g.inputs()];
        let mut spender = vec![String::new(); g.inputs()];
        for t in txs {
            for input in t["inputs"].as_array().into_iter().flatten() {
                let ki = input["key_image"]
                    .as_str()
                    .and_then(monero::Hash32::from_hex)
                    .ok_or_else(|| TruthError("field inputs[].key_image".into()))?;
                let Some(i) = store.input_by_key_image(&ki.0) else { continue };
                let i = i as usize;
                let gi = input["true_global_index"]
                    .as_u64()
                    .ok_or_else(|| TruthError(format!("key image {ki}: field true_global_index")))?;
                let out = store.output_at(g.input_amount[i], gi);
                let slot = g.ring(i).find(|&s| Some(g.members[s]) == out);
                if slot.is_none() {
                    return Err(TruthError(format!("key image {ki}: true_global_index {gi} is not in its ring")));
                }
                real_slot[i] = slot;
                spender[i] = input["spender_wallet"].as_str().unwrap_or_default().to_owned();
            }
        }
        Ok(Self { real_slot, spender, json })
    }

    /// Labels for the outputs received on service subaddresses, as
    /// `wallet:purpose` (e.g. `swap:order:3`, `exchange:deposit:user01`), by
    /// one-time key: what an investigator would learn from the services.
    pub fn service_labels(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for t in self.json["transactions"].as_array().into_iter().flatten() {
            for o in t["outputs"].as_array().into_iter().flatten() {
                let (Some(wallet), Some(minor)) = (o["receiver_wallet"].as_str(), o["receiver_subaddr_minor"].as_u64())
                else {
                    continue;
                };
                let purpose = &self.json["wallets"][wallet]["subaddresses"][minor.to_string()]["purpose"];
                if let Some(p) = purpose.as_str().filter(|p| p.starts_with("order:") || p.starts_with("deposit:")) {
                    out.push((o["output_key"].as_str().unwrap_or_default().to_owned(), format!("{wallet}:{p}")));
                }
            }
        }
        out
    }

    /// Outputs (txid, position) of transactions of scenario `kind` received by `wallet`.
    pub fn outputs_of_kind(&self, kind: &str, wallet: &str) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for t in self.json["transactions"].as_array().into_iter().flatten().filter(|t| t["kind"] == kind) {
            for o in t["outputs"].as_array().into_iter().flatten().filter(|o| o["receiver_wallet"] == wallet) {
                out.push((
                    t["txid"].as_str().unwrap_or_default().to_owned(),
                    o["output_index"].as_u64().unwrap_or_default() as u32,
                ));
            }
        }
        out
    }

    /// Txids of transactions of scenario `kind`.
    pub fn txids_of_kind(&self, kind: &str) -> Vec<String> {
        self.json["transactions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["kind"] == kind)
            .filter_map(|t| t["txid"].as_str().map(str::to_owned))
            .collect()
    }

    /// What wallet `name` knows: the outputs it received and its spends.
    pub fn knowledge_of(&self, name: &str) -> Knowledge {
        let mut k = Knowledge { service: name.to_owned(), ..Knowledge::default() };
        for t in self.json["transactions"].as_array().into_iter().flatten() {
            for o in t["outputs"].as_array().into_iter().flatten() {
                if o["receiver_wallet"].as_str() == Some(name) {
                    k.outputs.push(o["output_key"].as_str().unwrap_or_default().to_owned());
                }
            }
            for i in t["inputs"].as_array().into_iter().flatten() {
                if i["spender_wallet"].as_str() == Some(name) {
                    k.spends.push(KnownSpend {
                        key_image: i["key_image"].as_str().unwrap_or_default().to_owned(),
                        output_key: i["true_source_output_key"].as_str().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
        k
    }
}

/// One row of the reliability table.
#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityBin {
    /// Lower edge of the top member's probability.
    pub from: f64,
    /// Upper edge.
    pub to: f64,
    /// Inputs whose top probability falls here.
    pub inputs: usize,
    /// Their mean top probability.
    pub confidence: f64,
    /// The share whose top member is the real one.
    pub accuracy: f64,
}

/// Figures of one rule alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleFigures {
    /// Members the rule excluded.
    pub excluded_members: usize,
    /// Of them, real spends (must be 0 for certain rules).
    pub excluded_real: usize,
    /// Inputs left with one member.
    pub certain: usize,
    /// Of them, wrong.
    pub certain_wrong: usize,
    /// Top-1 accuracy with only this rule.
    pub top1_accuracy: f64,
    /// Mean effective ring size with only this rule.
    pub mean_effective_ring_size: f64,
    /// Members flagged (merge only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flagged: Option<usize>,
    /// Share of flagged members that are real (merge only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// Share of real merges (two inputs of a tx spending outputs of one earlier
    /// tx) whose real members are flagged (merge only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall: Option<f64>,
    /// Expected calibration error (age only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ece: Option<f64>,
}

/// With and without a service's knowledge, on everyone else's inputs.
#[derive(Debug, Clone, Serialize)]
pub struct KnownFigures {
    /// The service.
    pub service: String,
    /// Everyone else's inputs.
    pub inputs: usize,
    /// Top-1 without the knowledge.
    pub top1_without: f64,
    /// Top-1 with it.
    pub top1_with: f64,
    /// Mean effective ring size without.
    pub effective_ring_size_without: f64,
    /// Mean effective ring size with.
    pub effective_ring_size_with: f64,
    /// Members the knowledge excluded from others' rings.
    pub excluded_members: usize,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Inputs scored.
    pub inputs: usize,
    /// The rules on.
    pub rules: Vec<Rule>,
    /// Share whose most probable member is the real one.
    pub top1_accuracy: f64,
    /// Baseline: the newest member.
    pub guess_newest_accuracy: f64,
    /// Baseline: a uniform guess (1 / ring size).
    pub uniform_accuracy: f64,
    /// The bound: the same model handed the true real-spend age distribution.
    pub oracle_top1: f64,
    /// Inputs with one possible member.
    pub certain: usize,
    /// Of them, wrong (must be 0).
    pub certain_wrong: usize,
    /// Real members excluded by any rule (must be 0).
    pub excluded_real: usize,
    /// Expected calibration error of the top member's probability (ten bins).
    pub ece: f64,
    /// The oracle's calibration error.
    pub oracle_ece: f64,
    /// Mean effective ring size (possible members).
    pub mean_effective_ring_size: f64,
    /// Mean perplexity of the posterior (exp of its entropy).
    pub mean_perplexity: f64,
    /// EM rounds run.
    pub em_rounds: usize,
    /// The age model's smoothing (chosen by cross-validation on the chain).
    pub smoothing: Option<f64>,
    /// The reliability table.
    pub reliability: Vec<ReliabilityBin>,
    /// Each rule alone.
    pub by_rule: BTreeMap<String, RuleFigures>,
    /// With and without one service's knowledge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<KnownFigures>,
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

fn scored(truth: &Truth) -> Vec<usize> {
    (0..truth.real_slot.len()).filter(|&i| truth.real_slot[i].is_some()).collect()
}

fn top1(g: &RingGraph, prob: &[f64], truth: &Truth, inputs: &[usize]) -> f64 {
    share(inputs.iter().filter(|&&i| Some(top_of(g, prob, i)) == truth.real_slot[i]).count(), inputs.len())
}

/// Expected calibration error and reliability table of the top member.
fn calibration(g: &RingGraph, prob: &[f64], truth: &Truth, inputs: &[usize]) -> (f64, Vec<ReliabilityBin>) {
    let mut bins = vec![(0usize, 0.0f64, 0usize); 10];
    for &i in inputs {
        let top = top_of(g, prob, i);
        let conf = prob[top];
        let b = ((conf * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += usize::from(Some(top) == truth.real_slot[i]);
    }
    let mut ece = 0.0;
    let table = bins
        .iter()
        .enumerate()
        .map(|(k, &(n, conf, right))| {
            let (c, a) = (if n > 0 { conf / n as f64 } else { 0.0 }, share(right, n));
            ece += (a - c).abs() * share(n, inputs.len());
            ReliabilityBin { from: k as f64 / 10.0, to: (k + 1) as f64 / 10.0, inputs: n, confidence: c, accuracy: a }
        })
        .collect();
    (ece, table)
}

fn rule_figures(a: &Analysis, truth: &Truth, inputs: &[usize]) -> RuleFigures {
    let g = &a.graph;
    let mut f = RuleFigures::default();
    for &i in inputs {
        for s in g.ring(i) {
            if !a.deduction.alive[s] {
                f.excluded_members += 1;
                f.excluded_real += usize::from(Some(s) == truth.real_slot[i]);
            }
        }
        if let Some(s) = a.deduction.certain(g, i) {
            f.certain += 1;
            f.certain_wrong += usize::from(Some(s) != truth.real_slot[i]);
        }
    }
    f.top1_accuracy = top1(g, &a.probability, truth, inputs);
    f.mean_effective_ring_size =
        inputs.iter().map(|&i| a.effective_ring_size(i) as f64).sum::<f64>() / inputs.len().max(1) as f64;
    f
}

/// Merge figures: flagged members, their precision, and recall over real merges.
fn merge_figures(a: &Analysis, truth: &Truth, inputs: &[usize], f: &mut RuleFigures) {
    let g = &a.graph;
    let flagged: Vec<(usize, usize)> =
        inputs.iter().flat_map(|&i| g.ring(i).filter(|&s| a.merge[s]).map(move |s| (i, s))).collect();
    let real = flagged.iter().filter(|(i, s)| truth.real_slot[*i] == Some(*s)).count();
    // Real merges: inputs whose real source tx is also another input's of the same tx.
    let mut merges = 0;
    let mut found = 0;
    for &i in inputs {
        let Some(s) = truth.real_slot[i] else { continue };
        let src = g.output_tx[g.members[s] as usize];
        let partner = inputs.iter().any(|&j| {
            j != i
                && g.input_tx[j] == g.input_tx[i]
                && truth.real_slot[j].is_some_and(|t| g.output_tx[g.members[t] as usize] == src)
        });
        if partner {
            merges += 1;
            found += usize::from(a.merge[s]);
        }
    }
    f.flagged = Some(flagged.len());
    f.precision = Some(share(real, flagged.len()));
    f.recall = Some(share(found, merges));
}

/// Evaluates `opts` against `truth`, with every rule alone beside it.
///
/// # Errors
/// If the knowledge contradicts the chain.
pub fn evaluate(
    store: &Store,
    graph: &RingGraph,
    truth: &Truth,
    opts: &Options,
) -> Result<EvalReport, crate::known::KnowledgeError> {
    let inputs = scored(truth);
    let main = Analysis::run_on(store, graph.clone(), opts)?;
    // The other runs reuse the smoothing the main run chose.
    let opts = &Options { smoothing: opts.smoothing.or(main.age.as_ref().map(|m| m.smoothing)), ..opts.clone() };
    let g = &main.graph;
    let newest =
        share(inputs.iter().filter(|&&i| truth.real_slot[i] == Some(g.ring_start[i + 1] - 1)).count(), inputs.len());
    let uniform = inputs.iter().map(|&i| 1.0 / g.ring(i).len().max(1) as f64).sum::<f64>() / inputs.len().max(1) as f64;
    let mut oracle = AgeModel::new(g);
    oracle.oracle(g, &truth.real_slot);
    let oracle_prob = main.posteriors(Some(&oracle));
    let (ece, reliability) = calibration(g, &main.probability, truth, &inputs);
    let (oracle_ece, _) = calibration(g, &oracle_prob, truth, &inputs);
    let figures = rule_figures(&main, truth, &inputs);
    let perplexity = inputs
        .iter()
        .map(|&i| {
            let h: f64 = g.ring(i).map(|s| main.probability[s]).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum();
            h.exp()
        })
        .sum::<f64>()
        / inputs.len().max(1) as f64;

    let mut by_rule = BTreeMap::new();
    let mut alone_rules: Vec<Rule> = vec![Rule::ChainReaction, Rule::ClosedSet, Rule::Merge, Rule::Age];
    if opts.known.is_some() {
        alone_rules.push(Rule::Known);
    }
    for rule in alone_rules {
        let alone = Analysis::run_on(store, graph.clone(), &Options { rules: vec![rule], ..opts.clone() })?;
        let mut f = rule_figures(&alone, truth, &inputs);
        match rule {
            Rule::Merge => merge_figures(&alone, truth, &inputs, &mut f),
            Rule::Age => f.ece = Some(calibration(&alone.graph, &alone.probability, truth, &inputs).0),
            _ => {}
        }
        by_rule.insert(rule.name().to_owned(), f);
    }

    let known = match &opts.known {
        Some(k) => Some(known_figures(store, graph, truth, opts, k)?),
        None => None,
    };
    Ok(EvalReport {
        inputs: inputs.len(),
        rules: main.rules.clone(),
        top1_accuracy: top1(g, &main.probability, truth, &inputs),
        guess_newest_accuracy: newest,
        uniform_accuracy: uniform,
        oracle_top1: top1(g, &oracle_prob, truth, &inputs),
        certain: figures.certain,
        certain_wrong: figures.certain_wrong,
        excluded_real: figures.excluded_real,
        ece,
        oracle_ece,
        mean_effective_ring_size: figures.mean_effective_ring_size,
        mean_perplexity: perplexity,
        em_rounds: main.age.as_ref().map_or(0, |m| m.rounds),
        smoothing: main.age.as_ref().map(|m| m.smoothing),
        reliability,
        by_rule,
        known,
    })
}

/// Top-1 and effective ring size on everyone else's inputs, with and without `k`.
fn known_figures(
    store: &Store,
    graph: &RingGraph,
    truth: &Truth,
    opts: &Options,
    k: &Knowledge,
) -> Result<KnownFigures, crate::known::KnowledgeError> {
    let own: std::collections::HashSet<u64> = k.own_inputs(store)?.into_iter().collect();
    let others: Vec<usize> = scored(truth).into_iter().filter(|i| !own.contains(&(*i as u64))).collect();
    let mut rules = opts.rules.clone();
    rules.retain(|r| *r != Rule::Known);
    let without =
        Analysis::run_on(store, graph.clone(), &Options { rules: rules.clone(), known: None, ..opts.clone() })?;
    rules.push(Rule::Known);
    rules.sort();
    let with = Analysis::run_on(store, graph.clone(), &Options { rules, known: Some(k.clone()), ..opts.clone() })?;
    let ers = |a: &Analysis| {
        others.iter().map(|&i| a.effective_ring_size(i) as f64).sum::<f64>() / others.len().max(1) as f64
    };
    let excluded = others
        .iter()
        .flat_map(|&i| with.graph.ring(i))
        .filter(|&s| with.deduction.excluded_by[s] == Some(Rule::Known))
        .count();
    Ok(KnownFigures {
        service: k.service.clone(),
        inputs: others.len(),
        top1_without: top1(&without.graph, &without.probability, truth, &others),
        top1_with: top1(&with.graph, &with.probability, truth, &others),
        effective_ring_size_without: ers(&without),
        effective_ring_size_with: ers(&with),
        excluded_members: excluded,
    })
}
