//! Clustering addresses into entities over the index, and the files that keep the
//! result next to it (`<index>/analysis/`).
//!
//! A parallel pass reads each transaction's facts and turns them into links:
//! common-input ownership between the inputs of every transaction that is not a
//! CoinJoin, and change links from the enabled change heuristics. Clustering then
//! runs in two phases. Common-input links go into a union-find first; they are the
//! strong evidence, and that partition is saved on its own. Change links, which are
//! guesses, are then judged against it: the collapse guard refuses a change link
//! whose two ends already sit in clusters both at least `guard` addresses large (a
//! payment taken for change usually lands on an address its owner later spends
//! with others, so the false link shows as a bridge between two big clusters). The
//! change links kept are applied on top to give the entities.
//!
//! Appending blocks resumes from the saved common-input partition, processes only
//! the new transactions (plus the change decisions of older transactions whose last
//! output the new blocks spend, for the fingerprint heuristic), and judges every
//! change link again against the grown partition, so the entities equal a full
//! run's.

use crate::AnalysisError;
use crate::change::ChangeHeuristic;
use crate::coinjoin::{Protocol, classify};
use crate::facts::{Lookup, SpenderFingerprints, TxFacts, pack_fingerprint};
use crate::unionfind::UnionFind;
use chain::BlockHash;
use index::column::{Column, Fixed};
use index::{InNum, Index, TxNum};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

/// The analysis files' format.
pub const ANALYSIS_FORMAT: u32 = 1;
/// Version of the classification and clustering rules: a saved clustering made
/// with other rules is redone from scratch.
pub const RULES_VERSION: u32 = 1;

/// Which links clustering uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heuristics {
    /// Common-input ownership.
    pub multi_input: bool,
    /// Change heuristics (a change link needs all that decide to agree).
    pub change: Vec<ChangeHeuristic>,
}

impl Default for Heuristics {
    /// Common-input ownership with the change rules that measured precise on Bitcoin
    /// Core's wallets and the simulator (docs/entities.md).
    fn default() -> Self {
        Self { multi_input: true, change: vec![ChangeHeuristic::OneTime] }
    }
}

impl fmt::Display for Heuristics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = Vec::new();
        if self.multi_input {
            names.push("multi-input");
        }
        names.extend(self.change.iter().map(|h| h.name()));
        f.write_str(&names.join(","))
    }
}

impl FromStr for Heuristics {
    type Err = crate::change::ParseHeuristicError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut heuristics = Self { multi_input: false, change: Vec::new() };
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "multi-input" {
                heuristics.multi_input = true;
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// The links to use.
    pub heuristics: Heuristics,
    /// The collapse guard: a change link between two clusters both at least this
    /// large is refused.
    pub guard: u32,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        // Measured on the simulator (docs/entities.md): with change:address-type,
        // 5 lifts pairwise precision from 0.865 to 0.969 at no loss of recall.
        Self { heuristics: Heuristics::default(), guard: DEFAULT_GUARD }
    }
}

/// The default collapse guard: a change link between two common-input clusters of at
/// least this many addresses each is refused.
pub const DEFAULT_GUARD: u32 = 5;

/// A change link the collapse guard refused.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RefusedMerge {
    /// The transaction whose change output would have linked them.
    pub txid: chain::Txid,
    /// The heuristic that made the link.
    pub heuristic: &'static str,
    /// Common-input clusters (entity ids) of its two ends.
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
    /// True when only new transactions were processed.
    pub incremental: bool,
    /// Transactions processed in this run.
    pub txs_processed: u64,
    /// Addresses clustered.
    pub addresses: u64,
    /// Entities (clusters, singletons included).
    pub entities: u64,
    /// The largest entities: (entity id, size).
    pub largest: Vec<(u32, u32)>,
    /// CoinJoins found by protocol, over the whole chain.
    pub coinjoins: BTreeMap<String, u64>,
    /// Links found in the transactions of this run, by heuristic.
    pub links: BTreeMap<String, u64>,
    /// Change links over the whole chain, and how many the collapse guard kept.
    pub change_links: u64,
    /// Change links the collapse guard refused, over the whole chain.
    pub refused_count: u64,
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
    /// 0 for common-input ownership, else 1 + change-heuristic index (or 7 for an
    /// agreement of several).
    kind: u8,
    tx: u64,
}

/// The kind of a common-input link.
const MULTI_INPUT: u8 = 0;
/// The kind of a change link that several heuristics agreed on.
const COMBINED: u8 = 7;

fn link_name(kind: u8) -> &'static str {
    match kind {
        MULTI_INPUT => "multi-input",
        COMBINED => "change:combined",
        k => ChangeHeuristic::ALL[usize::from(k - 1)].name(),
    }
}

/// The saved state of the analysis.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AnalysisManifest {
    /// [`ANALYSIS_FORMAT`].
    pub format: u32,
    /// [`RULES_VERSION`].
    pub rules: u32,
    /// Heuristics (as `Heuristics` prints them).
    pub heuristics: String,
    /// Collapse-guard size.
    pub guard: u32,
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
    /// Change links saved (before the guard).
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
    // The guard is applied afresh on every run: a saved state serves any guard.
    let previous = AnalysisManifest::read(index)?.filter(|m| m.matches(index) && m.heuristics == heuristics);
    let root = AnalysisManifest::root(index);
    let Resumed { mut uf, mut coinjoin_codes, mut change_links, from } = resume(&root, previous.as_ref())?;
    uf.grow(n.addresses as usize);
    let results = find_links(index, options, from, progress);

    log::info!("links of {} transactions found in {:.2} s", n.txs - from, started.elapsed().as_secs_f64());
    // Phase 1: common-input ownership.
    let links_found = apply_common_input(results, &mut uf, &mut coinjoin_codes, &mut change_links);
    // With nothing new and the same guard, the saved state stands as it is.
    let unchanged = previous.as_ref().is_some_and(|m| m.txs == n.txs && m.guard == options.guard);
    let state = if unchanged { None } else { Some(new_state_dir(index)?) };
    // Phase 1's files are synced on another thread while phase 2 runs.
    let phase_one_synced = save_phase_one(state.as_deref(), &mut uf, &change_links)?;

    log::info!("common-input clusters built and saved at {:.2} s", started.elapsed().as_secs_f64());
    // Phase 2: change links, judged against the common-input clusters.
    let (refused_count, refused) = apply_change_links(index, &mut uf, &change_links, options.guard);
    let (entity, size) = uf.flatten();
    let (entities, largest) = entity_summary(entity, size);
    let coinjoins = count_coinjoins(&coinjoin_codes);
    let manifest = new_manifest(index, options, heuristics.clone(), state.as_deref(), entities, &change_links);
    wait_synced(phase_one_synced, &root)?;
    if let Some(state) = &state {
        save(index, state, manifest, entity, &coinjoin_codes)?;
    }
    Ok(ClusterReport {
        heuristics,
        guard: options.guard,
        incremental: previous.is_some(),
        txs_processed: n.txs - from,
        addresses: n.addresses,
        entities,
        largest,
        coinjoins,
        links: links_found,
        change_links: change_links.len() as u64,
        refused_count,
        refused,
        elapsed_secs: started.elapsed().as_secs_f64(),
    })
}

/// The state a run starts from: the saved common-input partition, CoinJoin codes and
/// change links, or nothing.
struct Resumed {
    uf: UnionFind,
    coinjoin_codes: Vec<u16>,
    change_links: Vec<Link>,
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
            Resumed {
                uf: UnionFind::from_roots(roots),
                coinjoin_codes: codes,
                change_links: read_links(&dir, m.change_links)?,
                from: m.txs,
            }
        }
        None => Resumed { uf: UnionFind::new(0), coinjoin_codes: Vec::new(), change_links: Vec::new(), from: 0 },
    })
}

/// The links and CoinJoin codes of the transactions from `from` on, found in
/// parallel chunks (in chain order).
fn find_links(
    index: &Index,
    options: &ClusterOptions,
    from: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Vec<(Vec<Link>, Vec<u16>)> {
    let n = index.counts();
    let fingerprint = options.heuristics.change.contains(&ChangeHeuristic::Fingerprint);

    // For the fingerprint heuristic: the packed fingerprint of the transaction of
    // every new input.
    let first_new_input = if from < n.txs { index.tx_inputs(TxNum(from)).start } else { n.inputs };
    let new_input_fps = RecentFingerprints {
        base: first_new_input,
        fps: if fingerprint { input_fingerprints(index, from, first_new_input) } else { Vec::new() },
    };

    const CHUNK: u64 = 8_192;
    let chunks: Vec<(u64, u64)> = (from..n.txs).step_by(CHUNK as usize).map(|s| (s, (s + CHUNK).min(n.txs))).collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    chunks
        .par_iter()
        .map(|&(start, end)| {
            let out = links_of(index, start..end, options, &new_input_fps);
            let d = done.fetch_add(end - start, std::sync::atomic::Ordering::Relaxed) + end - start;
            progress(d, n.txs - from);
            out
        })
        .collect()
}

/// Phase 1: unites the common-input links, appends the new CoinJoin codes and change
/// links; returns the count of new links by heuristic name.
fn apply_common_input(
    results: Vec<(Vec<Link>, Vec<u16>)>,
    uf: &mut UnionFind,
    coinjoin_codes: &mut Vec<u16>,
    change_links: &mut Vec<Link>,
) -> BTreeMap<String, u64> {
    let mut per_kind = [0u64; COMBINED as usize + 1];
    for (links, codes) in results {
        coinjoin_codes.extend(codes);
        for link in links {
            per_kind[usize::from(link.kind)] += 1;
            if link.kind == MULTI_INPUT {
                uf.union(link.a, link.b);
            } else {
                change_links.push(link);
            }
        }
    }
    (0..=COMBINED)
        .filter(|&k| per_kind[usize::from(k)] > 0)
        .map(|k| (link_name(k).to_owned(), per_kind[usize::from(k)]))
        .collect()
}

/// The result of syncing phase 1's files on their own thread.
type SyncThread = std::thread::JoinHandle<Result<(), AnalysisError>>;

/// Writes phase 1's files (the common-input partition and the change links) into
/// `state`, if any, and syncs them on another thread.
fn save_phase_one(
    state: Option<&Path>,
    uf: &mut UnionFind,
    change_links: &[Link],
) -> Result<SyncThread, AnalysisError> {
    let mut phase_one_files = Vec::new();
    if let Some(state) = state {
        phase_one_files.push(write_column(&state.join("mi_entity.col"), uf.flatten().0)?);
        phase_one_files.extend(write_links(state, change_links)?);
    }
    Ok(std::thread::spawn(move || sync_all(phase_one_files)))
}

/// Waits for [`save_phase_one`]'s sync thread and passes on its result.
fn wait_synced(phase_one_synced: SyncThread, root: &Path) -> Result<(), AnalysisError> {
    phase_one_synced
        .join()
        .unwrap_or_else(|_| Err(AnalysisError::Io(root.to_owned(), std::io::Error::other("sync thread panicked"))))
}

/// Phase 2: judges every change link by the collapse guard against the common-input
/// clusters, then unites the kept ones; returns the refused count and the first
/// [`REFUSED_LISTED`] refused.
fn apply_change_links(
    index: &Index,
    uf: &mut UnionFind,
    change_links: &[Link],
    guard: u32,
) -> (u64, Vec<RefusedMerge>) {
    let mut kept = Vec::with_capacity(change_links.len());
    let (mut refused_count, mut refused) = (0u64, Vec::new());
    for link in change_links {
        let (ra, rb) = (uf.find(link.a), uf.find(link.b));
        let (sa, sb) = (uf.size_of(ra), uf.size_of(rb));
        if ra != rb && sa >= guard && sb >= guard {
            refused_count += 1;
            let txid = index.txid(TxNum(link.tx));
            log::debug!("collapse guard: change link in {txid} would join entities {ra} ({sa}) and {rb} ({sb})");
            if refused.len() < REFUSED_LISTED {
                let heuristic = link_name(link.kind);
                refused.push(RefusedMerge { txid, heuristic, entities: (ra, rb), sizes: (sa, sb) });
            }
        } else {
            kept.push((link.a, link.b));
        }
    }
    for (a, b) in kept {
        uf.union(a, b);
    }
    (refused_count, refused)
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
        if let Some(p) = Protocol::from_code((code >> 8) as u8) {
            *coinjoins.entry(p.name().to_owned()).or_default() += 1;
        }
    }
    coinjoins
}

/// The manifest describing this run's state (in `state`, none when unchanged).
fn new_manifest(
    index: &Index,
    options: &ClusterOptions,
    heuristics: String,
    state: Option<&Path>,
    entities: u64,
    change_links: &[Link],
) -> AnalysisManifest {
    let n = index.counts();
    let tip = index.tip().map(|(h, hash)| (h.0, hash));
    AnalysisManifest {
        format: ANALYSIS_FORMAT,
        rules: RULES_VERSION,
        heuristics,
        guard: options.guard,
        txs: n.txs,
        addresses: n.addresses,
        tip_height: tip.map_or(0, |t| t.0),
        tip_hash: tip.map_or(BlockHash::all_zeros(), |t| t.1),
        dir: state.and_then(|s| s.file_name()).map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        entities,
        change_links: change_links.len() as u64,
    }
}

/// Packed fingerprints of inputs from `first_input` on, and a lookup in the index for
/// older ones.
struct RecentFingerprints {
    base: u64,
    fps: Vec<u8>,
}

impl SpenderFingerprints for RecentFingerprints {
    fn of_input(&self, index: &Index, input: u64) -> u8 {
        match input.checked_sub(self.base) {
            Some(i) => self.fps[i as usize],
            None => Lookup.of_input(index, input),
        }
    }
}

/// The packed fingerprint of the transaction of each input from transaction `from` on.
fn input_fingerprints(index: &Index, from: u64, first_input: u64) -> Vec<u8> {
    let n = index.counts();
    let per_tx: Vec<Vec<u8>> = Index::par_ranges(n.txs - from, |r| {
        let mut out = Vec::new();
        for t in r.start + from..r.end + from {
            let fp = pack_fingerprint(crate::facts::fingerprint(index, TxNum(t)));
            let inputs = index.tx_inputs(TxNum(t));
            let count = inputs.end - inputs.start;
            out.extend(std::iter::repeat_n(fp, count as usize));
        }
        out
    });
    let mut fps = Vec::with_capacity((n.inputs - first_input) as usize);
    for part in per_tx {
        fps.extend_from_slice(&part);
    }
    debug_assert_eq!(fps.len() as u64, n.inputs - first_input);
    fps
}

/// The change output of a transaction by every enabled heuristic that decides, if
/// they agree; with the link kind. The fingerprint heuristic is left out: it
/// needs the spending transactions, and is judged separately where they are known.
fn change_of(facts: &TxFacts, heuristics: &[ChangeHeuristic]) -> Option<(usize, u8)> {
    let view = facts.change_view()?;
    let mut decided: Option<(usize, u8)> = None;
    for &h in heuristics {
        if h == ChangeHeuristic::Fingerprint {
            continue;
        }
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

/// The links and CoinJoin codes of transactions `range`.
fn links_of(
    index: &Index,
    range: std::ops::Range<u64>,
    options: &ClusterOptions,
    spenders: &RecentFingerprints,
) -> (Vec<Link>, Vec<u16>) {
    let mut facts = TxFacts::default();
    let mut parent = TxFacts::default();
    let mut links = Vec::new();
    let mut inputs: Vec<u32> = Vec::new();
    let mut codes = Vec::with_capacity((range.end - range.start) as usize);
    let change = &options.heuristics.change;
    let fingerprint = change.contains(&ChangeHeuristic::Fingerprint);
    let mut height = index.tx_height(TxNum(range.start)).0;
    let mut next_block = index.block(index::Height(height)).map_or(u64::MAX, |b| b.txs.end);
    for t in range {
        while t >= next_block {
            height += 1;
            next_block = index.block(index::Height(height)).map_or(u64::MAX, |b| b.txs.end);
        }
        facts.load(index, TxNum(t), fingerprint.then_some(spenders as &dyn SpenderFingerprints));
        facts.set_height(height);
        let verdict = classify(&facts.shape());
        codes.push(
            verdict.as_ref().map_or(0, |v| u16::from(v.protocol.code()) << 8 | (v.confidence * 100.0).round() as u16),
        );
        // A Tx0 spends one user's coins: its inputs share an owner; only its outputs
        // (premixes, pool fee, toxic change) say nothing about change.
        let tx0 = verdict.as_ref().is_some_and(|v| v.protocol == Protocol::WhirlpoolTx0);
        if facts.coinbase || (verdict.is_some() && !tx0) {
            continue;
        }
        inputs.clear();
        inputs.extend(facts.change_inputs.iter().map(|i| i.address));
        if options.heuristics.multi_input {
            for &a in &inputs[1.min(inputs.len())..] {
                if a != inputs[0] {
                    links.push(Link { a: inputs[0], b: a, kind: MULTI_INPUT, tx: t });
                }
            }
        }
        if tx0 {
            continue;
        }
        if let (Some(&owner), Some((o, kind))) = (inputs.first(), change_of(&facts, change)) {
            links.push(Link { a: owner, b: facts.change_outputs[o].address, kind, tx: t });
        }
        if !fingerprint {
            continue;
        }
        // The fingerprint heuristic decides for a parent once its last output is spent:
        // by the input of this transaction that spends it last.
        for i in index.tx_inputs(TxNum(t)) {
            if let Some(link) = parent_fingerprint_link(index, i, &mut parent, change, spenders) {
                links.push(link);
            }
        }
    }
    (links, codes)
}

/// The fingerprint heuristic's change link for the parent transaction whose output
/// input `i` spends, when `i` is the last spend of that parent's outputs.
fn parent_fingerprint_link(
    index: &Index,
    i: u64,
    parent: &mut TxFacts,
    change: &[ChangeHeuristic],
    spenders: &RecentFingerprints,
) -> Option<Link> {
    // Coinbase and unresolved inputs spend no indexed output.
    let index::Spent::Output(o) = index.spent(InNum(i)) else { return None };
    let p = index.output_tx(o).0;
    let outputs = index.tx(TxNum(p)).outputs;
    if outputs.end - outputs.start > 4 {
        return None;
    }
    let last = outputs.clone().map(|x| index.spent_by(index::OutNum(x)).map(|s| s.0));
    let last = last.collect::<Option<Vec<u64>>>().and_then(|v| v.into_iter().max())?;
    if last != i {
        return None;
    }
    parent.load(index, TxNum(p), Some(spenders));
    if parent.coinbase || classify(&parent.shape()).is_some() {
        return None;
    }
    let owner = parent.change_inputs.first().map(|x| x.address)?;
    let others = change_of(parent, change).map(|x| x.0);
    let view = parent.change_view();
    if let Some(o) = view.and_then(|v| ChangeHeuristic::Fingerprint.detect(&v))
        && others.is_none_or(|x| x == o)
    {
        let kind = 1 + ChangeHeuristic::ALL.iter().position(|&h| h == ChangeHeuristic::Fingerprint).unwrap_or(0) as u8;
        return Some(Link { a: owner, b: parent.change_outputs[o].address, kind, tx: p });
    }
    None
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

/// Writes the entities into the state directory `dir`, then the manifest naming it
/// (by rename), then removes older state directories.
fn save(
    index: &Index,
    dir: &Path,
    manifest: AnalysisManifest,
    entity: &[u32],
    codes: &[u16],
) -> Result<(), AnalysisError> {
    let root = AnalysisManifest::root(index);
    let mut files =
        vec![write_column(&dir.join("entity.col"), entity)?, write_column(&dir.join("tx_coinjoin.col"), codes)?];
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

/// Saves change links as four columns (unsynced).
fn write_links(dir: &Path, links: &[Link]) -> Result<Vec<Unsynced>, AnalysisError> {
    Ok(vec![
        write_column(&dir.join("change_a.col"), &links.iter().map(|l| l.a).collect::<Vec<u32>>())?,
        write_column(&dir.join("change_b.col"), &links.iter().map(|l| l.b).collect::<Vec<u32>>())?,
        write_column(&dir.join("change_kind.col"), &links.iter().map(|l| l.kind).collect::<Vec<u8>>())?,
        write_column(&dir.join("change_tx.col"), &links.iter().map(|l| l.tx).collect::<Vec<u64>>())?,
    ])
}

/// Reads what [`write_links`] saved.
fn read_links(dir: &Path, len: u64) -> Result<Vec<Link>, AnalysisError> {
    let a: Vec<u32> = read_column(&dir.join("change_a.col"), len)?;
    let b: Vec<u32> = read_column(&dir.join("change_b.col"), len)?;
    let kind: Vec<u8> = read_column(&dir.join("change_kind.col"), len)?;
    let tx: Vec<u64> = read_column(&dir.join("change_tx.col"), len)?;
    Ok((0..len as usize).map(|i| Link { a: a[i], b: b[i], kind: kind[i], tx: tx[i] }).collect())
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
        assert_eq!(Heuristics::default().to_string(), "multi-input,change:one-time");
    }
}
