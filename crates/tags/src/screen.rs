//! Screening: what is known of a subject (an address, a transaction, an output),
//! its exposure to labelled entities, and the risk that follows.
//!
//! - Identifications: the subject's own labels, and its entity's.
//! - Exposures: the value the subject received, traced backward, and the value it
//!   sent, traced forward, each under the haircut policy up to `hops` transactions,
//!   stopping at the first labelled entity on every path. An exposure is direct when
//!   that entity is the immediate counterparty (one hop), indirect otherwise; its
//!   share is of the subject's value in that direction.
//! - Risk: the rules of [`RiskConfig`] that fire, the highest score, its level.

use crate::import::Label;
use crate::risk::{ExposureFacts, ExposureType, Flow, RiskConfig, RiskLevel, RuleFired};
use crate::store::LabelSet;
use crate::taxonomy::Category;
use index::{AddrId, AddressKey, EntityId, Index, OutNum, SubjectError};
use std::collections::BTreeMap;
use trace::{Direction, EndKind, Policy, Service, Services, TraceOptions};

/// Which directions to screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Directions {
    /// Where the subject's value came from.
    Received,
    /// Where it went.
    Sent,
    /// Both.
    Both,
}

/// How to screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenOptions {
    /// Transactions to trace through at most (1: direct counterparties only).
    pub hops: u32,
    /// Directions.
    pub directions: Directions,
}

impl Default for ScreenOptions {
    fn default() -> Self {
        Self { hops: 3, directions: Directions::Both }
    }
}

/// A subject that cannot be screened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenError {
    /// Not an address, txid or outpoint.
    #[error("subject {0:?} is not an address of this network, a txid or an outpoint (txid:vout)")]
    Unparsable(String),
    /// A transaction the index does not hold.
    #[error("transaction {0} is not in the index")]
    UnknownTx(String),
    /// An output beyond the transaction's.
    #[error("{0}: no such output")]
    NoSuchOutput(String),
    /// The exposure traces ran out of their budget, or were cancelled.
    #[error("{0}: screen with fewer hops")]
    Exceeded(#[from] trace::Exceeded),
}

/// A label the subject carries.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Identification {
    /// The label (its address as the source gives it, category, source, date...).
    #[serde(flatten)]
    pub label: Label,
    /// `address` when on the subject's own address, `entity` when inherited.
    #[schemars(extend("enum" = ["address", "entity"]))]
    pub via: &'static str,
    /// Addresses carrying this label (more than one when inherited by the entity).
    pub addresses: usize,
}

/// A labelled counterparty behind an exposure.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Counterparty {
    /// Its address.
    pub address: String,
    /// Its entity, when clustered.
    #[schemars(with = "Option<u32>")]
    pub entity: Option<EntityId>,
    /// Its label.
    pub label: String,
    /// Satoshis exchanged with it.
    pub value: u64,
    /// Hops away.
    pub hops: u32,
}

/// Value exchanged with one category of labelled entity.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Exposure {
    /// The category.
    pub category: Category,
    /// Direct or indirect.
    pub exposure_type: ExposureType,
    /// Received or sent.
    pub direction: Flow,
    /// Satoshis.
    pub value: u64,
    /// Share of the subject's value in that direction.
    pub share: f64,
    /// Fewest hops to such an entity.
    pub hops: u32,
    /// The largest counterparties (up to 5).
    pub counterparties: Vec<Counterparty>,
}

/// A screening answer.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Screening")]
pub struct ScreenReport {
    /// The subject as asked.
    pub subject: String,
    /// `address`, `transaction` or `outpoint`.
    #[schemars(extend("enum" = ["address", "transaction", "outpoint"]))]
    pub subject_type: &'static str,
    /// The risk level.
    pub risk_level: RiskLevel,
    /// The risk score (0-100).
    pub risk_score: u32,
    /// The subject's labels.
    pub identifications: Vec<Identification>,
    /// Its exposures.
    pub exposures: Vec<Exposure>,
    /// The rules that fired, highest score first.
    pub rules_fired: Vec<RuleFired>,
    /// Satoshis the subject received (the base of received shares).
    pub received: u64,
    /// Satoshis the subject sent (the base of sent shares).
    pub sent: u64,
    /// Hops traced.
    pub hops: u32,
}

/// What screening reads: the index, its clustering, the labels and the rules.
pub struct Screener<'a> {
    /// The index.
    pub index: &'a Index,
    /// Its clustering, if any.
    pub analysis: Option<&'a analysis::Analysis>,
    /// The labels.
    pub labels: &'a LabelSet,
    /// The rules.
    pub config: &'a RiskConfig,
    /// Zcash: round-trip links, so exposure reaches across shielded pools with
    /// their confidence (`None`: value entering a pool stops there).
    pub pool_links: Option<&'a trace::PoolLinks>,
}

/// The subject parsed: its outputs, and the address it is (for identifications).
struct Subject {
    kind: &'static str,
    key: Option<AddressKey>,
    address: Option<AddrId>,
    outputs: Vec<OutNum>,
}

/// Labelled entities as stops for the tracer, except the subject's own.
struct Stops<'a> {
    screener: &'a Screener<'a>,
    own_address: Option<AddrId>,
    own_entity: Option<EntityId>,
}

impl Services for Stops<'_> {
    fn service_of(&self, address: AddrId) -> Option<usize> {
        if Some(address) == self.own_address {
            return None;
        }
        let analysis = self.screener.analysis;
        if self.own_entity.is_some() && analysis.and_then(|a| a.entity_of(address)) == self.own_entity {
            return None;
        }
        self.screener
            .labels
            .of_address_or_entity(address, analysis)
            .first()
            .map(|&n| self.screener.labels.service_of_label(n))
    }

    fn service(&self, id: usize) -> &Service {
        self.screener.labels.service(id)
    }
}

impl Screener<'_> {
    fn parse(&self, text: &str) -> Result<Subject, ScreenError> {
        let subject = self.index.resolve_subject(text).map_err(|e| match e {
            SubjectError::Unparsable(t) => ScreenError::Unparsable(t),
            SubjectError::UnknownTx(t) => ScreenError::UnknownTx(t),
            SubjectError::NoSuchOutput(t, _) => ScreenError::NoSuchOutput(t),
        })?;
        Ok(Subject { kind: subject.kind.name(), key: subject.key, address: subject.address, outputs: subject.outputs })
    }

    /// Screens `subject` (an address, txid or outpoint).
    ///
    /// # Errors
    /// When the subject cannot be parsed or is not in the index (an address the index
    /// has never seen is screened on its labels alone), or the traces exceed `budget`.
    pub fn screen(
        &self,
        subject: &str,
        options: ScreenOptions,
        budget: &trace::Budget,
    ) -> Result<ScreenReport, ScreenError> {
        let parsed = self.parse(subject)?;
        let own_entity = parsed.address.and_then(|a| self.analysis?.entity_of(a));
        let identifications = self.identifications(&parsed, own_entity);
        let stops = Stops { screener: self, own_address: parsed.address, own_entity };
        let mut view = trace::IndexView::new(self.index, self.analysis);
        if let Some(links) = self.pool_links {
            view = view.with_pool_links(links);
        }
        let mut exposures = Vec::new();
        let (mut received, mut sent) = (0u64, 0u64);
        for (flow, direction) in [(Flow::Received, Direction::Backward), (Flow::Sent, Direction::Forward)] {
            let wanted = match options.directions {
                Directions::Both => true,
                Directions::Received => flow == Flow::Received,
                Directions::Sent => flow == Flow::Sent,
            };
            if !wanted || parsed.outputs.is_empty() {
                continue;
            }
            // Sent: only what the subject spent.
            let starts: Vec<OutNum> = match flow {
                Flow::Received => parsed.outputs.clone(),
                Flow::Sent => parsed.outputs.iter().copied().filter(|&o| self.index.spent_by(o).is_some()).collect(),
            };
            let base: u64 = starts.iter().map(|&o| self.index.value(o)).sum();
            match flow {
                Flow::Received => received = base,
                Flow::Sent => sent = base,
            }
            if starts.is_empty() {
                continue;
            }
            let trace_options = TraceOptions {
                policy: Policy::Haircut,
                direction,
                max_hops: options.hops.max(1),
                min_value: 1,
                stop_at_services: true,
                until_height: None,
                max_nodes: trace::DEFAULT_MAX_NODES,
            };
            let result = trace::trace(&view, &stops, &starts, trace_options, budget)?;
            exposures.extend(self.exposures(&result, flow, base));
        }
        exposures.sort_by(|a, b| b.value.cmp(&a.value).then(a.category.cmp(&b.category)));
        let (risk_score, rules_fired) = self.rules(&identifications, &exposures);
        Ok(ScreenReport {
            subject: subject.trim().to_owned(),
            subject_type: parsed.kind,
            risk_level: self.config.level(risk_score),
            risk_score,
            identifications,
            exposures,
            rules_fired,
            received,
            sent,
            hops: options.hops.max(1),
        })
    }

    /// The subject's own labels, then those its entity inherits, one row per label,
    /// source and way (an entity's many addresses with one label make one row).
    fn identifications(&self, subject: &Subject, own_entity: Option<EntityId>) -> Vec<Identification> {
        let mut rows: Vec<Identification> = Vec::new();
        let own: Vec<u32> = subject.key.map(|k| self.labels.of_key(&k).to_vec()).unwrap_or_default();
        let inherited: Vec<u32> = own_entity.map(|e| self.labels.of_entity(e).to_vec()).unwrap_or_default();
        let tagged = own
            .iter()
            .map(|&n| (n, "address"))
            .chain(inherited.iter().filter(|n| !own.contains(n)).map(|&n| (n, "entity")));
        for (n, via) in tagged {
            let l = self.labels.label(n);
            let same = |r: &&mut Identification| {
                r.via == via && r.label.label == l.label && r.label.source == l.source && r.label.category == l.category
            };
            if let Some(row) = rows.iter_mut().find(same) {
                row.addresses += 1;
                row.label.confidence = row.label.confidence.max(l.confidence);
                continue;
            }
            rows.push(Identification { label: l.clone(), via, addresses: 1 });
        }
        rows
    }

    fn exposures(&self, result: &trace::Flow, flow: Flow, base: u64) -> Vec<Exposure> {
        /// Per category and type: value, fewest hops, and per counterparty address
        /// its value and fewest hops.
        type Gathered = (f64, u32, BTreeMap<AddrId, (f64, u32)>);
        let mut by: BTreeMap<(Category, ExposureType), Gathered> = BTreeMap::new();
        for end in result.endpoints.iter().filter(|e| e.kind == EndKind::Service) {
            let Some(address) = end.address else { continue };
            let exposure_type = if end.hop <= 1 { ExposureType::Direct } else { ExposureType::Indirect };
            let mut categories: Vec<Category> = self
                .labels
                .of_address_or_entity(address, self.analysis)
                .iter()
                .map(|&n| self.labels.label(n).category)
                .collect();
            categories.sort_unstable();
            categories.dedup();
            for category in categories {
                let entry = by.entry((category, exposure_type)).or_insert((0.0, u32::MAX, BTreeMap::new()));
                entry.0 += end.value;
                entry.1 = entry.1.min(end.hop.max(1));
                let party = entry.2.entry(address).or_insert((0.0, u32::MAX));
                party.0 += end.value;
                party.1 = party.1.min(end.hop.max(1));
            }
        }
        by.into_iter()
            .map(|((category, exposure_type), (value, hops, parties))| {
                let mut parties: Vec<(AddrId, (f64, u32))> = parties.into_iter().collect();
                parties.sort_by(|a, b| b.1.0.total_cmp(&a.1.0));
                let counterparties = parties
                    .into_iter()
                    .take(5)
                    .map(|(address, (value, hops))| {
                        let label = self
                            .labels
                            .of_address_or_entity(address, self.analysis)
                            .iter()
                            .map(|&n| self.labels.label(n))
                            .find(|l| l.category == category)
                            .map_or_else(String::new, |l| l.label.clone());
                        Counterparty {
                            address: self.index.address_text(address),
                            entity: self.analysis.and_then(|a| a.entity_of(address)),
                            label,
                            value: value.round() as u64,
                            hops,
                        }
                    })
                    .collect();
                Exposure {
                    category,
                    exposure_type,
                    direction: flow,
                    value: value.round() as u64,
                    share: if base > 0 { value / base as f64 } else { 0.0 },
                    hops,
                    counterparties,
                }
            })
            .collect()
    }

    fn rules(&self, identifications: &[Identification], exposures: &[Exposure]) -> (u32, Vec<RuleFired>) {
        let identified: Vec<(Category, String)> = identifications
            .iter()
            .map(|i| {
                let l = &i.label;
                (l.category, format!("{} is labelled {} ({}) by {}", l.address, l.label, l.category, l.source))
            })
            .collect();
        let exposures: Vec<(ExposureFacts, String)> = exposures
            .iter()
            .map(|e| {
                let facts = ExposureFacts {
                    category: e.category,
                    exposure_type: e.exposure_type,
                    direction: e.direction,
                    share: e.share,
                    value: Some(e.value),
                };
                let why = format!(
                    "{} {} exposure to {}: {} sats, {:.2}% of {}, {} hop(s)",
                    e.exposure_type.name(),
                    e.direction.name(),
                    e.category,
                    e.value,
                    e.share * 100.0,
                    match e.direction {
                        Flow::Received => "what it received",
                        Flow::Sent => "what it sent",
                    },
                    e.hops
                );
                (facts, why)
            })
            .collect();
        self.config.fire(&identified, &exposures)
    }
}
