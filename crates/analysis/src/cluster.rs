//! Clustering addresses into entities over the index, and the files that keep the
//! result next to it (`<index>/analysis/`).
//!
//! Clustering runs in two phases. **Phase 1**, common-input ownership: a parallel
//! pass reads each new transaction's facts, classifies CoinJoins, and unites the
//! inputs of every transaction that is not one. This is the strong evidence, and
//! its partition is saved and resumed from, so appending blocks reads only the new
//! transactions. **Phase 2**, change: a second parallel pass over the whole chain
//! scores every candidate output with the change model (or the chosen rules),
//! reading the finished common-input partition and what later blocks did with each
//! output, so an answer that grows with the chain is recomputed, never stale.
//! Change links at or above the threshold are applied, most probable first, unless
//! the collapse guard refuses them (both ends already in common-input clusters of
//! at least `guard` addresses: a payment taken for change lands on an address its
//! owner later spends with others, so the false link shows as a bridge between two
//! big clusters) or a must-not-link constraint does (two labelled services;
//! CoinJoin co-participants). The result equals a full run's after any number of
//! appends.

use crate::AnalysisError;
use crate::change::ChangeHeuristic;
use crate::coinjoin::{Protocol, classify};
use crate::constraints::MustNotLink;
use crate::facts::{Lookup, TxFacts};
use crate::features::{Features, Partition, change_features, is_candidate};
use crate::model::ChangeModel;
use crate::unionfind::UnionFind;
use chain::BlockHash;
use index::column::{Column, Fixed};
use index::{Index, TxNum};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

/// The analysis files' format.
pub const ANALYSIS_FORMAT: u32 = 3;
/// Version of the classification and clustering rules: a saved clustering made
/// with other rules is redone from scratch.
pub const RULES_VERSION: u32 = 2;

/// Which links clustering uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heuristics {
    /// Common-input ownership.
    pub multi_input: bool,
    /// The change model (`change:model`).
    pub model: bool,
    /// Change rules (a rule link needs all that decide to agree).
    pub change: Vec<ChangeHeuristic>,
}

/// The name of the change model among the heuristics.
pub const MODEL_NAME: &str = "change:model";

impl Default for Heuristics {
    /// Common-input ownership and the change model.
    fn default() -> Self {
        Self { multi_input: true, model: true, change: Vec::new() }
    }
}

impl fmt::Display for Heuristics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = Vec::new();
        if self.multi_input {
            names.push("multi-input");
        }
        if self.model {
            names.push(MODEL_NAME);
        }
        names.extend(self.change.iter().map(|h| h.name()));
        f.write_str(&names.join(","))
    }
}

impl FromStr for Heuristics {
    type Err = crate::change::ParseHeuristicError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut heuristics = Self { multi_input: false, model: false, change: Vec::new() };
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "multi-input" {
                heuristics.multi_input = true;
            } else if name == MODEL_NAME {
                heuristics.model = true;
            } else {
                let h: ChangeHeuristic = name.parse()?;
                if !heuristics.change.contains(&h) {
                    heuristics.change.push(h);
                }
            }
        }
        heuristics.change.sort();
        Ok(heuristics)
    }
}

/// How to cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// The links to use.
    pub heuristics: Heuristics,
    /// The collapse guard: a change link between two clusters both at least this
    /// large is refused.
    pub guard: u32,
    /// The least probability of a change link the model makes that is applied
    /// (`None`: the model's default threshold).
    pub threshold: Option<f64>,
    /// Labelled services: (address id, service number). Two clusters holding
    /// different services are never joined by a change link.
    pub services: Vec<(u32, u32)>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        // Measured on the simulator (docs/entities.md): with change:address-type,
        // 5 lifts pairwise precision from 0.865 to 0.969 at no loss of recall.
        Self { heuristics: Heuristics::default(), guard: DEFAULT_GUARD, threshold: None, services: Vec::new() }
    }
}

impl ClusterOptions {
    /// The threshold in force.
    pub fn threshold(&self) -> f64 {
        self.threshold.unwrap_or_else(|| ChangeModel::shipped().default_threshold)
    }
}

/// The default collapse guard: a change link between two common-input clusters of at
/// least this many addresses each is refused.
pub const DEFAULT_GUARD: u32 = 5;

/// A change link that was refused.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RefusedMerge {
    /// The transaction whose change output would have linked them.
    pub txid: chain::Txid,
    /// The heuristic that made the link.
    pub heuristic: &'static str,
    /// Its probability.
    pub probability: f32,
    /// Why: `collapse_guard`, `distinct_services` or `coinjoin_co_participants`.
    pub reason: &'static str,
    /// Clusters (entity ids) of its two ends: common-input clusters for the guard,
    /// the clusters grown so far for a constraint.
    pub entities: (u32, u32),
    /// Their sizes.
    pub sizes: (u32, u32),
}

/// What a clustering run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClusterReport {
    /// Heuristics used.
    pub heuristics: String,
    /// Collapse-guard size.
    pub guard: u32,
    /// The change-link threshold.
    pub threshold: f64,
    /// True when phase 1 resumed from a saved partition.
    pub incremental: bool,
    /// Transactions read by phase 1 in this run.
    pub txs_processed: u64,
    /// Addresses clustered.
    pub addresses: u64,
    /// Entities (clusters, singletons included).
    pub entities: u64,
    /// The largest entities: (entity id, size).
    pub largest: Vec<(u32, u32)>,
    /// CoinJoins found by protocol, over the whole chain.
    pub coinjoins: BTreeMap<String, u64>,
    /// Links found: common-input ones in this run, change ones (at or above the
    /// threshold) over the whole chain, by heuristic.
    pub links: BTreeMap<String, u64>,
    /// Change links at or above the threshold, over the whole chain.
    pub change_links: u64,
    /// Of them, refused by the collapse guard or a constraint.
    pub refused_count: u64,
    /// Refusals by reason.
    pub refused_by: BTreeMap<String, u64>,
    /// The first [`REFUSED_LISTED`] of them.
    pub refused: Vec<RefusedMerge>,
    /// Wall time.
    pub elapsed_secs: f64,
}

/// How many refused links a report lists.
pub const REFUSED_LISTED: usize = 100;

/// A link between two addresses.
#[derive(Debug, Clone, Copy)]
struct Link {
    a: u32,
    b: u32,
    /// [`MULTI_INPUT`], 1 + change-rule index, [`COMBINED`] or [`MODEL`].
    kind: u8,
    tx: u64,
    /// Vout of the change output (change links).
    vout: u32,
    /// Probability (1 for a rule's link).
    p: f32,
}

/// The kind of a common-input link.
const MULTI_INPUT: u8 = 0;
/// The kind of a change link that several rules agreed on.
const COMBINED: u8 = 7;
/// The kind of a change link of the model.
const MODEL: u8 = 8;
/// Model links below this probability are not kept at all.
const MODEL_FLOOR: f64 = 0.5;

fn link_name(kind: u8) -> &'static str {
    match kind {
        MULTI_INPUT => "multi-input",
        COMBINED => "change:combined",
        MODEL => MODEL_NAME,
        k => ChangeHeuristic::ALL[usize::from(k - 1)].name(),
    }
}

/// The saved state of the analysis.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct AnalysisManifest {
    /// [`ANALYSIS_FORMAT`].
    pub format: u32,
    /// [`RULES_VERSION`].
    pub rules: u32,
    /// Heuristics (as `Heuristics` prints them).
    pub heuristics: String,
    /// Collapse-guard size.
    pub guard: u32,
    /// Change-link threshold.
    pub threshold: f64,
    /// Transactions processed.
    pub txs: u64,
    /// Addresses covered.
    pub addresses: u64,
    /// Height of the block of the last processed transaction.
    pub tip_height: u32,
    /// Its hash (to notice a reorganisation below it).
    pub tip_hash: BlockHash,
    /// Subdirectory holding this state's files.
    pub dir: String,
    /// Entities.
    pub entities: u64,
    /// Change links at or above the threshold.
    pub change_links: u64,
}

impl AnalysisManifest {
    /// The analysis directory of an index.
    pub fn root(index: &Index) -> PathBuf {
        index.dir().join("analysis")
    }

    /// Reads the saved manifest, if any. One this build cannot read (of an older
    /// format) counts as none: the next `cluster` run starts afresh.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn read(index: &Index) -> Result<Option<Self>, AnalysisError> {
        let path = Self::root(index).join("manifest.json");
        match std::fs::read(&path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)
                .inspect_err(|e| log::warn!("ignoring {} ({e}); `chainsleuth cluster` redoes it", path.display()))
                .ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AnalysisError::Io(path, e)),
        }
    }

    /// True when the saved state still describes a prefix of the index's chain.
    pub fn matches(&self, index: &Index) -> bool {
        self.format == ANALYSIS_FORMAT
            && self.rules == RULES_VERSION
            && self.txs <= index.counts().txs
            && self.addresses <= index.counts().addresses
            && (self.txs == 0
                || index.block(index::Height(self.tip_height)).is_some_and(|b| b.header.hash == self.tip_hash))
    }
}

/// Runs (or updates) the clustering of an index and saves it.
///
/// # Errors
/// On I/O errors writing the analysis files.
pub fn cluster(
    index: &Index,
    options: &ClusterOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ClusterReport, AnalysisError> {
    let started = Instant::now();
    let _lock = lock(index)?;
    let n = index.counts();
    let heuristics = options.heuristics.to_string();
    // Phase 1 depends on nothing but common-input ownership being on.
    let same_phase_one = |m: &AnalysisManifest| {
        m.heuristics.parse::<Heuristics>().is_ok_and(|h| h.multi_input == options.heuristics.multi_input)
    };
    let previous = AnalysisManifest::read(index)?.filter(|m| m.matches(index) && same_phase_one(m));
    let root = AnalysisManifest::root(index);
    let Resumed { mut uf, mut coinjoin_codes, from } = resume(&root, previous.as_ref())?;
    uf.grow(n.addresses as usize);
    let total_work = (n.txs - from) + n.txs;
    let phase_one = |done: u64, _: u64| progress(done, total_work);
    let results = find_common_input(index, from, options.heuristics.multi_input, &phase_one);
    log::info!("links of {} transactions found in {:.2} s", n.txs - from, started.elapsed().as_secs_f64());
    // Phase 1: common-input ownership.
    let mut links = apply_common_input(results, &mut uf, &mut coinjoin_codes);
    let state = new_state_dir(index)?;
    let (roots, sizes) = uf.flatten();
    let phase_one_file = write_column(&state.join("mi_entity.col"), roots)?;
    log::info!("common-input clusters built at {:.2} s", started.elapsed().as_secs_f64());
    // Phase 2: change, scored over the whole chain against the finished partition.
    let partition = Partition { root: roots, size: sizes };
    let phase_two = |done: u64, _: u64| progress(n.txs - from + done, total_work);
    let Scored { change, coinjoins } = score_change(index, options, &partition, &coinjoin_codes, &phase_two);
    let threshold = options.threshold();
    let kept: Vec<Link> = change.iter().copied().filter(|l| f64::from(l.p) >= threshold).collect();
    for link in &kept {
        *links.entry(link_name(link.kind).to_owned()).or_default() += 1;
    }
    let (refusals, holding) = apply_change_links(index, &mut uf, &kept, options, &coinjoins);
    let (entity, size) = uf.flatten();
    let (entities, largest) = entity_summary(entity, size);
    let manifest = AnalysisManifest {
        format: ANALYSIS_FORMAT,
        rules: RULES_VERSION,
        heuristics: heuristics.clone(),
        guard: options.guard,
        threshold,
        txs: n.txs,
        addresses: n.addresses,
        tip_height: index.tip().map_or(0, |t| t.0.0),
        tip_hash: index.tip().map_or(BlockHash::all_zeros(), |t| t.1),
        dir: state.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        entities,
        change_links: kept.len() as u64,
    };
    let tx_change = change_column(n.txs, &holding);
    save(index, &state, manifest, entity, &coinjoin_codes, &tx_change, phase_one_file)?;
    Ok(ClusterReport {
        heuristics,
        guard: options.guard,
        threshold,
        incremental: previous.is_some(),
        txs_processed: n.txs - from,
        addresses: n.addresses,
        entities,
        largest,
        coinjoins: count_coinjoins(&coinjoin_codes),
        links,
        change_links: kept.len() as u64,
        refused_count: refusals.count,
        refused_by: refusals.by_reason,
        refused: refusals.listed,
        elapsed_secs: started.elapsed().as_secs_f64(),
    })
}

/// The state a run starts from: the saved common-input partition and CoinJoin
/// codes, or nothing.
struct Resumed {
    uf: UnionFind,
    coinjoin_codes: Vec<u16>,
    /// The first transaction still to process.
    from: u64,
}

/// Loads the state `previous` names under `root`, or an empty one without it.
fn resume(root: &Path, previous: Option<&AnalysisManifest>) -> Result<Resumed, AnalysisError> {
    Ok(match previous {
        Some(m) => {
            let dir = root.join(&m.dir);
            let roots: Vec<u32> = read_column(&dir.join("mi_entity.col"), m.addresses)?;
            let codes: Vec<u16> = read_column(&dir.join("tx_coinjoin.col"), m.txs)?;
            Resumed { uf: UnionFind::from_roots(roots), coinjoin_codes: codes, from: m.txs }
        }
        None => Resumed { uf: UnionFind::new(0), coinjoin_codes: Vec::new(), from: 0 },
    })
}

/// Transactions per parallel chunk.
const CHUNK: u64 = 8_192;

/// The chunks of transactions `from..to`.
fn chunks(from: u64, to: u64) -> Vec<(u64, u64)> {
    (from..to).step_by(CHUNK as usize).map(|s| (s, (s + CHUNK).min(to))).collect()
}

/// The common-input links and CoinJoin codes of the transactions from `from` on,
/// found in parallel chunks (in chain order).
fn find_common_input(
    index: &Index,
    from: u64,
    multi_input: bool,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Vec<(Vec<Link>, Vec<u16>)> {
    let n = index.counts();
    let done = std::sync::atomic::AtomicU64::new(0);
    chunks(from, n.txs)
        .par_iter()
        .map(|&(start, end)| {
            let out = common_input_of(index, start..end, multi_input);
            let d = done.fetch_add(end - start, std::sync::atomic::Ordering::Relaxed) + end - start;
            progress(d, n.txs - from);
            out
        })
        .collect()
}

/// Phase 1: unites the common-input links and appends the new CoinJoin codes;
/// returns the count of new links.
fn apply_common_input(
    results: Vec<(Vec<Link>, Vec<u16>)>,
    uf: &mut UnionFind,
    coinjoin_codes: &mut Vec<u16>,
) -> BTreeMap<String, u64> {
    let mut count = 0u64;
    for (links, codes) in results {
        coinjoin_codes.extend(codes);
        for link in links {
            count += 1;
            uf.union(link.a, link.b);
        }
    }
    BTreeMap::from([(link_name(MULTI_INPUT).to_owned(), count)])
}

/// The common-input partition of a whole index (no saved state read or written),
/// with every transaction's CoinJoin code: what training and evaluation read.
pub fn common_input_partition(index: &Index) -> (Vec<u32>, Vec<u32>, Vec<u16>) {
    let mut uf = UnionFind::new(index.counts().addresses as usize);
    let mut codes = Vec::new();
    apply_common_input(find_common_input(index, 0, true, &|_, _| {}), &mut uf, &mut codes);
    let (roots, sizes) = uf.flatten();
    (roots.to_vec(), sizes.to_vec(), codes)
}

/// What phase 2's pass found.
struct Scored {
    /// Change links (model ones at or above [`MODEL_FLOOR`]), in transaction order.
    change: Vec<Link>,
    /// The input addresses of every CoinJoin (Tx0s left out), in transaction order.
    coinjoins: Vec<Vec<u32>>,
}

/// Phase 2's pass: the change links of every transaction, and the CoinJoins'
/// input addresses for the must-not-link constraints.
fn score_change(
    index: &Index,
    options: &ClusterOptions,
    partition: &Partition<'_>,
    codes: &[u16],
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Scored {
    let n = index.counts();
    let done = std::sync::atomic::AtomicU64::new(0);
    let parts: Vec<Scored> = chunks(0, n.txs)
        .par_iter()
        .map(|&(start, end)| {
            let out = change_of_range(index, start..end, options, partition, codes);
            let d = done.fetch_add(end - start, std::sync::atomic::Ordering::Relaxed) + end - start;
            progress(d, n.txs);
            out
        })
        .collect();
    let mut scored = Scored { change: Vec::new(), coinjoins: Vec::new() };
    for mut part in parts {
        scored.change.append(&mut part.change);
        scored.coinjoins.append(&mut part.coinjoins);
    }
    scored
}

/// The CoinJoin protocol of a code, if any.
fn protocol_of(code: u16) -> Option<Protocol> {
    Protocol::from_code((code >> 8) as u8)
}

/// Phase 2 over the transactions `range`.
fn change_of_range(
    index: &Index,
    range: std::ops::Range<u64>,
    options: &ClusterOptions,
    partition: &Partition<'_>,
    codes: &[u16],
) -> Scored {
    let mut out = Scored { change: Vec::new(), coinjoins: Vec::new() };
    let mut facts = TxFacts::default();
    let mut features: Vec<Features> = Vec::new();
    let model = options.heuristics.model.then(ChangeModel::shipped);
    let rules = &options.heuristics.change;
    let spenders = model.is_some() || rules.contains(&ChangeHeuristic::Fingerprint);
    for t in range {
        match protocol_of(codes[t as usize]) {
            None => {}
            Some(Protocol::WhirlpoolTx0) => continue,
            Some(_) => {
                let mut inputs: Vec<u32> = index
                    .tx_inputs(TxNum(t))
                    .filter_map(|i| match index.spent(index::InNum(i)) {
                        index::Spent::Output(o) => Some(index.output_address(o).0),
                        _ => None,
                    })
                    .collect();
                inputs.sort_unstable();
                inputs.dedup();
                out.coinjoins.push(inputs);
                continue;
            }
        }
        facts.load(index, TxNum(t), spenders.then_some(&Lookup));
        if !is_candidate(&facts) {
            continue;
        }
        let owner = facts.change_inputs[0].address;
        let link = |k: usize, kind: u8, p: f32| Link {
            a: owner,
            b: facts.change_outputs[k].address,
            kind,
            tx: t,
            vout: index.vout(index::OutNum(facts.change_output_numbers[k])),
            p,
        };
        if let Some(model) = model {
            features.clear();
            change_features(index, &facts, partition, &mut features);
            if let Some((k, p)) = model.decide(&features).filter(|&(_, p)| p >= MODEL_FLOOR) {
                out.change.push(link(k, MODEL, p as f32));
            }
        }
        if let Some((k, kind)) = change_of(&facts, rules) {
            out.change.push(link(k, kind, 1.0));
        }
    }
    out
}

/// What phase 2's refusals were.
struct Refusals {
    count: u64,
    by_reason: BTreeMap<String, u64>,
    listed: Vec<RefusedMerge>,
}

impl Refusals {
    fn record(&mut self, index: &Index, link: &Link, reason: &'static str, entities: (u32, u32), sizes: (u32, u32)) {
        self.count += 1;
        *self.by_reason.entry(reason.to_owned()).or_default() += 1;
        let txid = index.txid(TxNum(link.tx));
        log::debug!("{reason}: change link in {txid} would join entities {entities:?} of sizes {sizes:?}");
        if self.listed.len() < REFUSED_LISTED {
            let heuristic = link_name(link.kind);
            self.listed.push(RefusedMerge { txid, heuristic, probability: link.p, reason, entities, sizes });
        }
    }
}

/// Phase 2: judges every change link by the collapse guard against the common-input
/// clusters, then unites the kept ones, most probable first, each unless a
/// must-not-link constraint forbids it. Returns the refusals and the links that
/// hold (united, or joining what was already one).
fn apply_change_links(
    index: &Index,
    uf: &mut UnionFind,
    links: &[Link],
    options: &ClusterOptions,
    coinjoins: &[Vec<u32>],
) -> (Refusals, Vec<Link>) {
    let mut refusals = Refusals { count: 0, by_reason: BTreeMap::new(), listed: Vec::new() };
    let mut kept = Vec::with_capacity(links.len());
    for link in links {
        let (ra, rb) = (uf.find(link.a), uf.find(link.b));
        let (sa, sb) = (uf.size_of(ra), uf.size_of(rb));
        if ra != rb && sa >= options.guard && sb >= options.guard {
            refusals.record(index, link, "collapse_guard", (ra, rb), (sa, sb));
        } else {
            kept.push(*link);
        }
    }
    // Most probable first, then chain order: the same result whatever order the
    // links were found in.
    kept.sort_by(|x, y| y.p.total_cmp(&x.p).then(x.tx.cmp(&y.tx)).then(x.kind.cmp(&y.kind)));
    let mut rules = MustNotLink::new(&options.services, coinjoins, uf);
    let mut holding = Vec::with_capacity(kept.len());
    for link in kept {
        let (ra, rb) = (uf.find(link.a), uf.find(link.b));
        if ra != rb {
            if let Some(conflict) = rules.conflict(ra, rb) {
                let sizes = (uf.size_of(ra), uf.size_of(rb));
                refusals.record(index, &link, conflict.name(), (ra, rb), sizes);
                continue;
            }
            uf.union(ra, rb);
            rules.joined(ra.min(rb), ra.max(rb));
        }
        holding.push(link);
    }
    (refusals, holding)
}

/// Per transaction, its most probable holding change link: 0 for none, else the
/// link's kind in the top byte, vout + 1 in the next three, and its probability
/// (as `f32` bits) below ([`StoredChange::decode`] reads it).
fn change_column(txs: u64, links: &[Link]) -> Vec<u64> {
    let mut column = vec![0u64; txs as usize];
    for link in links {
        let slot = &mut column[link.tx as usize];
        let previous = f32::from_bits(*slot as u32);
        // A transaction has fewer than 2^24 outputs (a block holds about 110,000).
        if (*slot == 0 || link.p > previous) && link.vout < (1 << 24) - 1 {
            *slot = u64::from(link.kind) << 56 | (u64::from(link.vout) + 1) << 32 | u64::from(link.p.to_bits());
        }
    }
    column
}

/// The change link stored for a transaction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredChange {
    /// The change output's position.
    pub vout: u32,
    /// The change model's probability (1 for a rule).
    pub probability: f64,
    /// The heuristic that made the link (`change:model`, `change:one-time`, ...).
    pub heuristic: &'static str,
}

impl StoredChange {
    /// Reads a stored code (0: no link).
    pub(crate) fn decode(code: u64) -> Option<Self> {
        let vout = ((code >> 32) & 0xff_ffff) as u32;
        let kind = (code >> 56) as u8;
        if vout == 0 || kind == MULTI_INPUT || kind > MODEL {
            return None;
        }
        Some(Self { vout: vout - 1, probability: f64::from(f32::from_bits(code as u32)), heuristic: link_name(kind) })
    }
}

/// The number of entities and the ten largest (entity id, size), largest first.
fn entity_summary(entity: &[u32], size: &[u32]) -> (u64, Vec<(u32, u32)>) {
    let entities = entity.iter().enumerate().filter(|&(a, &r)| a as u32 == r).count() as u64;
    let mut largest: Vec<(u32, u32)> =
        entity.iter().enumerate().filter(|&(a, &r)| a as u32 == r).map(|(a, _)| (a as u32, size[a])).collect();
    let by_size = |x: &(u32, u32), y: &(u32, u32)| y.1.cmp(&x.1).then(x.0.cmp(&y.0));
    if largest.len() > 10 {
        largest.select_nth_unstable_by(10, by_size);
        largest.truncate(10);
    }
    largest.sort_unstable_by(by_size);
    (entities, largest)
}

/// CoinJoins by protocol name, from the per-transaction CoinJoin codes.
fn count_coinjoins(coinjoin_codes: &[u16]) -> BTreeMap<String, u64> {
    let mut coinjoins: BTreeMap<String, u64> = BTreeMap::new();
    for &code in coinjoin_codes {
        if let Some(p) = protocol_of(code) {
            *coinjoins.entry(p.name().to_owned()).or_default() += 1;
        }
    }
    coinjoins
}

/// The change output of a transaction by every enabled rule that decides, if they
/// agree; with the link kind.
fn change_of(facts: &TxFacts, heuristics: &[ChangeHeuristic]) -> Option<(usize, u8)> {
    let view = facts.change_view()?;
    let mut decided: Option<(usize, u8)> = None;
    for &h in heuristics {
        if let Some(o) = h.detect(&view) {
            let kind = ChangeHeuristic::ALL.iter().position(|&x| x == h).map_or(COMBINED, |i| i as u8 + 1);
            decided = match decided {
                None => Some((o, kind)),
                Some((prev, _)) if prev == o => Some((o, COMBINED)),
                Some(_) => return None,
            };
        }
    }
    decided
}

/// The common-input links (if `multi_input`) and CoinJoin codes of transactions
/// `range`.
fn common_input_of(index: &Index, range: std::ops::Range<u64>, multi_input: bool) -> (Vec<Link>, Vec<u16>) {
    let mut facts = TxFacts::default();
    let mut links = Vec::new();
    let mut codes = Vec::with_capacity((range.end - range.start) as usize);
    let mut height = index.tx_height(TxNum(range.start)).0;
    let mut next_block = index.block(index::Height(height)).map_or(u64::MAX, |b| b.txs.end);
    for t in range {
        while t >= next_block {
            height += 1;
            next_block = index.block(index::Height(height)).map_or(u64::MAX, |b| b.txs.end);
        }
        facts.load(index, TxNum(t), None);
        facts.set_height(height);
        let verdict = classify(&facts.shape());
        codes.push(
            verdict.as_ref().map_or(0, |v| u16::from(v.protocol.code()) << 8 | (v.confidence * 100.0).round() as u16),
        );
        // A Tx0 spends one user's coins: its inputs share an owner.
        let tx0 = verdict.as_ref().is_some_and(|v| v.protocol == Protocol::WhirlpoolTx0);
        if !multi_input || facts.coinbase || (verdict.is_some() && !tx0) {
            continue;
        }
        if let Some((first, rest)) = facts.change_inputs.split_first() {
            for i in rest.iter().filter(|i| i.address != first.address) {
                links.push(Link { a: first.address, b: i.address, kind: MULTI_INPUT, tx: t, vout: 0, p: 1.0 });
            }
        }
    }
    (links, codes)
}

/// Takes the analysis directory's lock (`analysis/lock`) for one run: a second
/// run would otherwise delete the first one's state while it is written, or
/// commit a manifest naming a state the other deleted. Released on drop.
fn lock(index: &Index) -> Result<File, AnalysisError> {
    let root = AnalysisManifest::root(index);
    std::fs::create_dir_all(&root).map_err(|e| AnalysisError::Io(root.clone(), e))?;
    let path = root.join("lock");
    let file = File::create(&path).map_err(|e| AnalysisError::Io(path.clone(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(AnalysisError::Locked(root)),
        Err(std::fs::TryLockError::Error(e)) => Err(AnalysisError::Io(path, e)),
    }
}

/// A new, empty subdirectory for the state being written, named uniquely (time
/// and process).
fn new_state_dir(index: &Index) -> Result<PathBuf, AnalysisError> {
    let generation = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = AnalysisManifest::root(index).join(format!("state-{generation}-{}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| AnalysisError::Io(dir.clone(), e))?;
    Ok(dir)
}

/// Writes the entities, CoinJoin codes and change outputs into the state directory
/// `dir` (beside phase 1's partition, written already), then the manifest naming it
/// (by rename), then removes older state directories.
fn save(
    index: &Index,
    dir: &Path,
    manifest: AnalysisManifest,
    entity: &[u32],
    codes: &[u16],
    tx_change: &[u64],
    phase_one_file: Unsynced,
) -> Result<(), AnalysisError> {
    let root = AnalysisManifest::root(index);
    let mut files = vec![
        phase_one_file,
        write_column(&dir.join("entity.col"), entity)?,
        write_column(&dir.join("tx_coinjoin.col"), codes)?,
        write_column(&dir.join("tx_change.col"), tx_change)?,
    ];
    // Members of each entity, grouped: a counting sort by entity.
    let mut start = vec![0u32; entity.len() + 1];
    for &e in entity {
        start[e as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut members = vec![0u32; entity.len()];
    let mut next = start.clone();
    for (a, &e) in entity.iter().enumerate() {
        members[next[e as usize] as usize] = a as u32;
        next[e as usize] += 1;
    }
    start.pop();
    files.push(write_column(&dir.join("members.col"), &members)?);
    files.push(write_column(&dir.join("member_start.col"), &start)?);
    sync_all(files)?;
    let path = root.join("manifest.json");
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| AnalysisError::Corrupt(path.clone(), e.to_string()))?;
    let io = |e| AnalysisError::Io(root.clone(), e);
    index::write_atomic(&path, &text).map_err(io)?;
    for entry in std::fs::read_dir(&root).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("state-") && name != manifest.dir {
            std::fs::remove_dir_all(entry.path()).map_err(io)?;
        }
    }
    Ok(())
}

/// A file written but not yet synced.
type Unsynced = (PathBuf, File);

/// Writes a column file (unsynced: see [`sync_all`]).
fn write_column<T: Fixed>(path: &Path, values: &[T]) -> Result<Unsynced, AnalysisError> {
    let io = |e| AnalysisError::Io(path.to_owned(), e);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(io)?);
    let mut buf = [0u8; 8];
    for &v in values {
        v.write(&mut buf[..T::WIDTH]);
        out.write_all(&buf[..T::WIDTH]).map_err(io)?;
    }
    Ok((path.to_owned(), out.into_inner().map_err(|e| io(e.into_error()))?))
}

/// Syncs written files to disk.
fn sync_all(files: Vec<Unsynced>) -> Result<(), AnalysisError> {
    for (path, file) in files {
        file.sync_all().map_err(|e| AnalysisError::Io(path, e))?;
    }
    Ok(())
}

fn read_column<T: Fixed>(path: &Path, len: u64) -> Result<Vec<T>, AnalysisError> {
    let column = Column::<T>::open(path, len).map_err(|e| AnalysisError::Io(path.to_owned(), e))?;
    Ok(column.range(0..len).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heuristics_parse_and_print() {
        let h: Heuristics = "change:reuse, multi-input,change:one-time".parse().unwrap();
        assert_eq!(h.to_string(), "multi-input,change:one-time,change:reuse");
        assert!("multi-input,bogus".parse::<Heuristics>().is_err());
        assert_eq!(Heuristics::default().to_string(), "multi-input,change:model");
        let h: Heuristics = "change:model,multi-input".parse().unwrap();
        assert!(h.model && h.multi_input && h.change.is_empty());
    }

    #[test]
    fn the_stored_change_link_reads_back_as_written() {
        let link = |kind, tx, vout, p| Link { a: 1, b: 2, kind, tx, vout, p };
        // Two links of transaction 1: the more probable is stored.
        let links = [link(MODEL, 1, 70_000, 0.990_5), link(MODEL, 1, 2, 0.6), link(1, 2, 0, 1.0)];
        let column = change_column(3, &links);
        assert_eq!(StoredChange::decode(column[0]), None);
        let model = StoredChange::decode(column[1]).unwrap();
        assert_eq!((model.vout, model.heuristic), (70_000, MODEL_NAME));
        assert!((model.probability - 0.9905).abs() < 1e-6);
        let rule = StoredChange::decode(column[2]).unwrap();
        assert_eq!((rule.vout, rule.probability, rule.heuristic), (0, 1.0, ChangeHeuristic::ALL[0].name()));
    }
}
