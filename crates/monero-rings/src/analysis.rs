//! One analysis run: the switched-on rules applied in order (knowledge, chain
//! reaction, closed sets), merge flags, then every input's posterior.

use crate::age::AgeModel;
use crate::deduce::Deduction;
use crate::graph::RingGraph;
use crate::known::{Knowledge, KnowledgeError};
use crate::merge::merge_flags;
use crate::rules::Rule;
use monero_index::Store;

/// How to analyse.
#[derive(Debug, Clone)]
pub struct Options {
    /// The rules on.
    pub rules: Vec<Rule>,
    /// A service's knowledge (`known` applies only with it).
    pub known: Option<Knowledge>,
    /// EM rounds at most.
    pub em_rounds: usize,
    /// The age model's smoothing; `None` chooses it by cross-validation.
    pub smoothing: Option<f64>,
}

impl Default for Options {
    fn default() -> Self {
        Self { rules: Rule::DEFAULT.to_vec(), known: None, em_rounds: 500, smoothing: None }
    }
}

/// The result: per member slot a probability, per input what decided it.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The ring graph analysed.
    pub graph: RingGraph,
    /// Exclusions.
    pub deduction: Deduction,
    /// Per member slot: the probability it is the real spend.
    pub probability: Vec<f64>,
    /// Per member slot: flagged by output merging (when `merge` is on).
    pub merge: Vec<bool>,
    /// The age model, when `age` is on.
    pub age: Option<AgeModel>,
    /// The rules that were on.
    pub rules: Vec<Rule>,
}

impl Analysis {
    /// Runs the analysis over an index.
    ///
    /// # Errors
    /// If the knowledge contradicts the chain.
    pub fn run(store: &Store, opts: &Options) -> Result<Self, KnowledgeError> {
        Self::run_on(store, RingGraph::from_store(store), opts)
    }

    /// Runs it over a graph already built from `store`.
    ///
    /// # Errors
    /// If the knowledge contradicts the chain.
    pub fn run_on(store: &Store, graph: RingGraph, opts: &Options) -> Result<Self, KnowledgeError> {
        let on = |r: Rule| opts.rules.contains(&r);
        let deduce = |known: Option<&Knowledge>| -> Result<Deduction, KnowledgeError> {
            let mut deduction = Deduction::new(&graph);
            if let Some(k) = known {
                k.apply(store, &graph, &mut deduction)?;
            }
            if on(Rule::ChainReaction) {
                deduction.chain_reaction(&graph);
            }
            if on(Rule::ClosedSet) {
                deduction.closed_sets(&graph);
            }
            Ok(deduction)
        };
        let known = opts.known.as_ref().filter(|_| on(Rule::Known));
        let deduction = deduce(known)?;
        let merge = if on(Rule::Merge) { merge_flags(&graph) } else { vec![false; graph.members.len()] };
        let age = on(Rule::Age).then(|| {
            // A service's knowledge removes its own outputs, not decoys drawn
            // at random: rings thinned by it no longer follow the wallet law,
            // so the factors are learned from the chain's own deductions and
            // the knowledge applies to the posteriors only.
            let chain_only = if known.is_some() { Some(deduce(None)) } else { None };
            let learn_on = match &chain_only {
                Some(Ok(d)) => d,
                _ => &deduction,
            };
            let mut m = AgeModel::new(&graph);
            m.learn(&graph, learn_on, opts.em_rounds, opts.smoothing);
            m
        });
        let mut a = Self { probability: Vec::new(), graph, deduction, merge, age, rules: opts.rules.clone() };
        a.probability = a.posteriors(a.age.as_ref());
        Ok(a)
    }

    /// Every slot's probability under `model` (uniform over possible members without one).
    pub fn posteriors(&self, model: Option<&AgeModel>) -> Vec<f64> {
        let g = &self.graph;
        let mut out = vec![0.0; g.members.len()];
        let mut buf = Vec::new();
        for i in 0..g.inputs() {
            match model {
                Some(m) => m.posterior(g, &self.deduction, i, &mut buf),
                None => {
                    buf.clear();
                    let alive = self.deduction.alive_slots(g, i).count().max(1) as f64;
                    buf.extend(g.ring(i).map(|s| if self.deduction.alive[s] { 1.0 / alive } else { 0.0 }));
                }
            }
            out[g.ring(i)].copy_from_slice(&buf);
        }
        out
    }

    /// Input `i`'s most probable member slot (the newest among equals).
    pub fn top(&self, i: usize) -> usize {
        top_of(&self.graph, &self.probability, i)
    }

    /// Members still possible for input `i` (its effective ring size).
    pub fn effective_ring_size(&self, i: usize) -> usize {
        self.deduction.alive_slots(&self.graph, i).count()
    }

    /// What set input `i`'s probabilities: the rule that left one member, else
    /// `age` (when on and modelled), else none (uniform).
    pub fn decided_by(&self, i: usize) -> Option<Rule> {
        let g = &self.graph;
        if self.deduction.certain(g, i).is_some() && g.ring(i).len() > 1 {
            return g.ring(i).filter_map(|s| self.deduction.excluded_by[s]).max();
        }
        match &self.age {
            Some(m) if m.models(i) => Some(Rule::Age),
            _ => None,
        }
    }
}

/// The most probable slot of input `i` under `probability` (the newest among equals).
pub fn top_of(g: &RingGraph, probability: &[f64], i: usize) -> usize {
    let mut best = g.ring_start[i];
    for s in g.ring(i) {
        if probability[s] >= probability[best] {
            best = s;
        }
    }
    best
}
