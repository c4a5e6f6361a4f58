//! Labels and screening on Monero, where amounts are hidden and every spend is
//! uncertain.
//!
//! - Subjects are what the chain shows: one-time output keys, txids (all the
//!   transaction's outputs) and outputs as `txid:n`. They live in the same store
//!   as Bitcoin's labels (`<monero index>/tags/<source>.json`, imported with
//!   [`crate::import::parse_csv`] and [`crate::import::Subjects::Monero`]).
//! - Exposure is a chance, not a share of value: the probability-weighted trace
//!   of `rings::trace` runs backward (received) and forward (sent) from the
//!   subject's outputs to the first labelled output on every path, and the chances
//!   of reaching each category combine as independent events. The risk rules are
//!   the Bitcoin ones, with that chance as the share; rules asking for a smallest
//!   value cannot fire on hidden amounts.

use crate::import::Label;
use crate::risk::{ExposureFacts, ExposureType, Flow, RiskConfig, RiskLevel, RuleFired};
use crate::screen::Directions;
use crate::store::{StoreError, sources};
use crate::taxonomy::Category;
use monero_index::Store;
use rings::Analysis;
use rings::trace::{Direction, TraceOptions};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::Path;

/// Labels resolved to the outputs of a Monero index.
#[derive(Debug, Default)]
pub struct MoneroLabels {
    labels: Vec<Label>,
    by_output: FxHashMap<u64, Vec<u32>>,
    unresolved: usize,
}

/// A Monero subject resolved against the index: its kind and its outputs.
fn resolve(store: &Store, subject: &str) -> Result<(&'static str, Vec<u64>), MoneroScreenError> {
    let subject = subject.trim();
    let hash = |h: &str| -> Result<[u8; 32], MoneroScreenError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(h, &mut out).map_err(|_| MoneroScreenError::Unparsable(subject.to_owned()))?;
        Ok(out)
    };
    if let Some((txid, n)) = subject.split_once(':') {
        let n: u64 = n.parse().map_err(|_| MoneroScreenError::Unparsable(subject.to_owned()))?;
        let t = store.tx_by_hash(&hash(txid)?).ok_or_else(|| MoneroScreenError::UnknownTx(txid.to_owned()))?;
        let outputs = store.tx_outputs(t);
        if n >= outputs.end - outputs.start {
            return Err(MoneroScreenError::NoSuchOutput(subject.to_owned()));
        }
        return Ok(("output", vec![outputs.start + n]));
    }
    let h = hash(subject)?;
    if let Some(t) = store.tx_by_hash(&h) {
        return Ok(("transaction", store.tx_outputs(t).collect()));
    }
    match store.output_by_key(&h) {
        Some(o) => Ok(("output", vec![o])),
        None => Err(MoneroScreenError::Unknown(subject.to_owned())),
    }
}

impl MoneroLabels {
    /// Loads every label source stored beside the Monero index at `index_dir`,
    /// resolving subjects in `store` (subjects the index does not hold are counted
    /// in [`MoneroLabels::unresolved`]).
    ///
    /// # Errors
    /// On I/O errors or unreadable files.
    pub fn load(index_dir: &Path, store: &Store) -> Result<Self, StoreError> {
        let mut set = Self::default();
        for file in sources(index_dir)? {
            for label in file.labels {
                set.add(label, store);
            }
        }
        Ok(set)
    }

    /// Adds one label, on the outputs its subject names.
    pub fn add(&mut self, label: Label, store: &Store) {
        let Ok((_, outputs)) = resolve(store, &label.address) else {
            self.unresolved += 1;
            return;
        };
        let n = self.labels.len() as u32;
        for o in outputs {
            self.by_output.entry(o).or_default().push(n);
        }
        self.labels.push(label);
    }

    /// Labels whose subject is not in the index (yet).
    pub fn unresolved(&self) -> usize {
        self.unresolved
    }

    /// Number of labels resolved.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when no label resolved.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The labels on output `o` (numbers for [`MoneroLabels::label`]).
    pub fn of_output(&self, o: u64) -> &[u32] {
        self.by_output.get(&o).map_or(&[], Vec::as_slice)
    }

    /// Label number `n`.
    pub fn label(&self, n: u32) -> &Label {
        &self.labels[n as usize]
    }

    /// The stops a trace ends at: each labelled output's one-time key with its
    /// first label's name.
    pub fn trace_stops(&self, store: &Store) -> FxHashMap<[u8; 32], String> {
        self.by_output
            .iter()
            .map(|(&o, labels)| (store.outputs[o as usize].key, self.labels[labels[0] as usize].label.clone()))
            .collect()
    }
}

/// A Monero subject that cannot be screened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneroScreenError {
    /// Not 64 hex digits or `txid:n`.
    #[error("subject {0:?} is not a Monero txid, output key or txid:n")]
    Unparsable(String),
    /// Neither a transaction nor an output key of the index.
    #[error("{0} is neither a transaction nor an output key in the index")]
    Unknown(String),
    /// A transaction the index does not hold.
    #[error("transaction {0} is not in the index")]
    UnknownTx(String),
    /// An output beyond the transaction's.
    #[error("{0}: no such output")]
    NoSuchOutput(String),
}

/// How to screen a Monero subject.
#[derive(Debug, Clone, Copy)]
pub struct MoneroScreenOptions {
    /// Transactions to trace through at most.
    pub hops: u32,
    /// Directions.
    pub directions: Directions,
    /// Chances below this are not followed.
    pub min_probability: f64,
}

impl Default for MoneroScreenOptions {
    fn default() -> Self {
        Self { hops: 3, directions: Directions::Both, min_probability: 0.001 }
    }
}

/// A label the subject's outputs carry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoneroIdentification {
    /// The label.
    #[serde(flatten)]
    pub label: Label,
    /// How many of the subject's outputs carry it.
    pub outputs: usize,
}

/// A labelled output the traced coins may reach.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoneroCounterparty {
    /// `txid:n`.
    pub outpoint: String,
    /// Its one-time key.
    pub output_key: String,
    /// Its label.
    pub label: String,
    /// The chance the traced coins came from (or went to) it.
    pub probability: f64,
    /// Hops away.
    pub hops: u32,
}

/// The chance of exposure to one category of labelled outputs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoneroExposure {
    /// The category.
    pub category: Category,
    /// Direct (one hop) or indirect.
    pub exposure_type: ExposureType,
    /// Received or sent.
    pub direction: Flow,
    /// The chance that the subject's coins came from (received) or went to (sent)
    /// outputs of this category: the counterparties' chances combined as
    /// independent events.
    pub probability: f64,
    /// Fewest hops to such an output.
    pub hops: u32,
    /// The most probable counterparties (up to 5).
    pub counterparties: Vec<MoneroCounterparty>,
}

/// A Monero screening answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoneroScreenReport {
    /// The subject as asked.
    pub subject: String,
    /// `transaction` or `output`.
    pub subject_type: &'static str,
    /// The risk level.
    pub risk_level: RiskLevel,
    /// The risk score (0-100).
    pub risk_score: u32,
    /// The labels of the subject's own outputs.
    pub identifications: Vec<MoneroIdentification>,
    /// Its exposures, most probable first.
    pub exposures: Vec<MoneroExposure>,
    /// The rules that fired, highest score first.
    pub rules_fired: Vec<RuleFired>,
    /// Hops traced.
    pub hops: u32,
    /// Whether a trace hit its visit bound (exposure may be understated).
    pub truncated: bool,
}

/// What Monero screening reads: the index, its ring analysis, the labels and the rules.
pub struct MoneroScreener<'a> {
    /// The index.
    pub store: &'a Store,
    /// The ring analysis (member probabilities).
    pub analysis: &'a Analysis,
    /// The labels.
    pub labels: &'a MoneroLabels,
    /// The rules.
    pub config: &'a RiskConfig,
}

impl MoneroScreener<'_> {
    /// Screens `subject` (a txid, an output key or `txid:n`).
    ///
    /// # Errors
    /// When the subject cannot be parsed or is not in the index.
    pub fn screen(&self, subject: &str, options: MoneroScreenOptions) -> Result<MoneroScreenReport, MoneroScreenError> {
        let (subject_type, outputs) = resolve(self.store, subject)?;
        let identifications = self.identifications(&outputs);
        let stops = self.labels.trace_stops(self.store);
        let hops = options.hops.max(1);
        let mut exposures = Vec::new();
        let mut truncated = false;
        for (flow, direction) in [(Flow::Received, Direction::Backward), (Flow::Sent, Direction::Forward)] {
            let wanted = match options.directions {
                Directions::Both => true,
                Directions::Received => flow == Flow::Received,
                Directions::Sent => flow == Flow::Sent,
            };
            if !wanted {
                continue;
            }
            let trace_options = TraceOptions {
                direction,
                max_hops: hops,
                min_probability: options.min_probability,
                ..TraceOptions::default()
            };
            let report = rings::trace::trace(self.store, self.analysis, &outputs, &stops, &trace_options);
            truncated |= report.truncated;
            exposures.extend(self.exposures(&report, flow));
        }
        exposures.sort_by(|a, b| b.probability.total_cmp(&a.probability).then(a.category.cmp(&b.category)));
        let identified: Vec<(Category, String)> = identifications
            .iter()
            .map(|i| {
                let l = &i.label;
                (l.category, format!("{} is labelled {} ({}) by {}", l.address, l.label, l.category, l.source))
            })
            .collect();
        let facts: Vec<(ExposureFacts, String)> = exposures
            .iter()
            .map(|e| {
                let facts = ExposureFacts {
                    category: e.category,
                    exposure_type: e.exposure_type,
                    direction: e.direction,
                    share: e.probability,
                    value: None,
                };
                let why = format!(
                    "{} {} exposure to {}: chance {:.4} through rings, {} hop(s)",
                    e.exposure_type.name(),
                    e.direction.name(),
                    e.category,
                    e.probability,
                    e.hops
                );
                (facts, why)
            })
            .collect();
        let (risk_score, rules_fired) = self.config.fire(&identified, &facts);
        Ok(MoneroScreenReport {
            subject: subject.trim().to_owned(),
            subject_type,
            risk_level: self.config.level(risk_score),
            risk_score,
            identifications,
            exposures,
            rules_fired,
            hops,
            truncated,
        })
    }

    fn identifications(&self, outputs: &[u64]) -> Vec<MoneroIdentification> {
        let mut rows: Vec<MoneroIdentification> = Vec::new();
        for &o in outputs {
            for &n in self.labels.of_output(o) {
                let l = self.labels.label(n);
                let same = |r: &&mut MoneroIdentification| {
                    r.label.label == l.label && r.label.source == l.source && r.label.category == l.category
                };
                match rows.iter_mut().find(same) {
                    Some(row) => row.outputs += 1,
                    None => rows.push(MoneroIdentification { label: l.clone(), outputs: 1 }),
                }
            }
        }
        rows
    }

    fn exposures(&self, report: &rings::trace::TraceReport, flow: Flow) -> Vec<MoneroExposure> {
        let mut by: BTreeMap<(Category, ExposureType), Vec<MoneroCounterparty>> = BTreeMap::new();
        for end in report.endpoints.iter().filter(|e| e.reason == "label") {
            let mut key = [0u8; 32];
            if hex::decode_to_slice(&end.output_key, &mut key).is_err() {
                continue;
            }
            let Some(o) = self.store.output_by_key(&key) else { continue };
            let exposure_type = if end.hop <= 1 { ExposureType::Direct } else { ExposureType::Indirect };
            let mut categories: Vec<(Category, &str)> = self
                .labels
                .of_output(o)
                .iter()
                .map(|&n| self.labels.label(n))
                .map(|l| (l.category, l.label.as_str()))
                .collect();
            categories.sort_unstable();
            categories.dedup_by_key(|c| c.0);
            for (category, label) in categories {
                by.entry((category, exposure_type)).or_default().push(MoneroCounterparty {
                    outpoint: end.outpoint.clone(),
                    output_key: end.output_key.clone(),
                    label: label.to_owned(),
                    probability: end.probability,
                    hops: end.hop.max(1),
                });
            }
        }
        by.into_iter()
            .map(|((category, exposure_type), mut parties)| {
                let probability = 1.0 - parties.iter().map(|p| 1.0 - p.probability).product::<f64>();
                let hops = parties.iter().map(|p| p.hops).min().unwrap_or(1);
                parties
                    .sort_by(|a, b| b.probability.total_cmp(&a.probability).then_with(|| a.outpoint.cmp(&b.outpoint)));
                parties.truncate(5);
                MoneroExposure { category, exposure_type, direction: flow, probability, hops, counterparties: parties }
            })
            .collect()
    }
}
