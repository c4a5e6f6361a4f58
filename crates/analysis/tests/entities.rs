//! Clustering and change detection measured against the ground truth of Bitcoin
//! Core's own wallets (fixtures/regtest/small), with the figures pinned so they
//! cannot silently drop; and incremental clustering, block by block as ingest
//! appends them, giving exactly what one full run gives.

use analysis::eval::{EvalReport, evaluate};
use analysis::model::ChangeModel;
use analysis::{Analysis, ClusterOptions, Heuristics, cluster};
use chain::blkfile::BlkWriter;
use chain::block_map::BlockMap;
use chain::{BlocksDir, Network, XorKey};
use index::{AddrId, Index, IngestOptions, TxNum, ingest};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn truth() -> PathBuf {
    fixtures().join("regtest/small/ground_truth.json")
}

fn ingested(blocks: &Path, data: &Path) -> Index {
    let dir = BlocksDir::open(blocks, Network::Regtest).unwrap();
    ingest(&dir, data, &IngestOptions::default(), &|_| {}).unwrap();
    Index::open(data).unwrap()
}

/// Clusters the regtest index with `heuristics` and evaluates the result.
fn measure(index: &Index, heuristics: &str) -> EvalReport {
    let options = ClusterOptions { heuristics: heuristics.parse().unwrap(), ..ClusterOptions::default() };
    cluster(index, &options, &|_, _| {}).unwrap();
    let analysis = Analysis::open(index).unwrap().unwrap();
    evaluate(index, Some(&analysis), &truth(), ChangeModel::shipped()).unwrap()
}

/// A simulated chain of the small profile in `dir`, with `whirlpool_pools` beyond
/// the known four.
fn simulated_small(dir: &Path, seed: u64, whirlpool_pools: Vec<u64>) -> sim::SimSummary {
    let config = sim::SimConfig {
        out_dir: dir.to_owned(),
        seed,
        profile: sim::Profile::SMALL,
        length: sim::Length::Default,
        xor: false,
        thief_scripts: Vec::new(),
        whirlpool_pools,
        truth: sim::TruthLevel::Full,
    };
    sim::simulate(&config, &|_| {}).unwrap()
}

/// Pinned figures: measured (docs/entities.md), truncated to four decimals, and
/// asserted as floors.
fn at_least(what: &str, got: f64, floor: f64) {
    eprintln!("{what}: {got:.6} (pinned {floor:.4})");
    assert!(got >= floor, "{what} dropped to {got:.4}, below the pinned {floor:.4}");
}

#[test]
fn multi_input_alone_merges_no_two_wallets_of_bitcoin_core() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    let report = measure(&index, "multi-input");
    let c = report.clustering.unwrap();
    assert_eq!(c.pairwise_precision, 1.0, "{:?}", c.largest_false_merge);
    assert_eq!(c.false_merges, 0);
    assert_eq!(c.true_wallets, 42);
    at_least("multi-input recall", c.pairwise_recall, 0.0551);
}

#[test]
fn figures_with_each_change_heuristic_are_pinned() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    // Each change heuristic alone, on transactions with one sender and known change:
    // (name, precision, recall, predictions).
    let alone = [
        ("change:one-time", 1.0, 0.1203, 97),
        ("change:address-type", 0.9951, 0.5136, 416),
        ("change:round-value", 0.9956, 0.2853, 231),
        ("change:optimal", 0.9944, 0.2220, 180),
        ("change:fingerprint", 1.0, 0.0012, 1),
    ];
    let report = measure(&index, "multi-input");
    for (name, precision, recall, predictions) in alone {
        let c = report.change.iter().find(|c| c.heuristic == name).unwrap();
        at_least(&format!("{name} alone: precision"), c.precision, precision);
        at_least(&format!("{name} alone: recall"), c.recall, recall);
        assert!(c.predictions >= predictions, "{name}: {} predictions", c.predictions);
    }
    // Clustering with multi-input and each change heuristic, under the default
    // collapse guard: (precision, recall).
    let combined = [
        ("change:one-time", 1.0, 0.0622),
        ("change:address-type", 0.9977, 0.1534),
        ("change:round-value", 0.9996, 0.0753),
        ("change:optimal", 0.9996, 0.0887),
        ("change:fingerprint", 1.0, 0.0551),
        ("change:reuse", 1.0, 0.0551),
    ];
    for (name, precision, recall) in combined {
        let c = measure(&index, &format!("multi-input,{name}")).clustering.unwrap();
        at_least(&format!("multi-input,{name}: precision"), c.pairwise_precision, precision);
        at_least(&format!("multi-input,{name}: recall"), c.pairwise_recall, recall);
    }
}

/// The change model, trained on simulated chains only, judged on the chain Bitcoin
/// Core's wallets wrote: its figures at its own threshold, the clustering it gives
/// with common-input ownership, and the oracle bound those are read against.
/// Pinned as floors (docs/entities.md, docs/adr/0003-change-model.md). The issue's
/// goals (change recall 0.80 at precision 0.995; pairwise recall at 80% of the
/// bound at precision 0.99) are not reached yet: recall is short of both.
#[test]
fn the_change_model_finds_most_change_of_bitcoin_cores_wallets() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    let report = measure(&index, "multi-input,change:model");
    let m = &report.change_model;
    assert_eq!(m.with_change, 806);
    at_least("change model: precision", m.at_default.precision, 0.9983);
    at_least("change model: recall", m.at_default.recall, 0.7307);
    // Its curve runs from high recall to full precision, and never claims more
    // predictions at a higher threshold.
    assert!(m.curve.windows(2).all(|w| w[1].predictions <= w[0].predictions));
    at_least("change model at 0.5: recall", m.curve[0].recall, 0.92);
    at_least("change model: 1 - calibration error", 1.0 - m.calibration_error, 0.96);
    let best_rule = report.change.iter().map(|c| c.recall).fold(0.0, f64::max);
    assert!(m.at_default.recall > best_rule + 0.2, "{} against the best rule's {best_rule}", m.at_default.recall);
    // The bound: multi-input plus a change rule that is never wrong.
    assert!((report.oracle.pairwise_recall - 0.3972).abs() < 1e-3, "{:?}", report.oracle);
    assert_eq!(report.oracle.pairwise_precision, 1.0);
    let c = report.clustering.unwrap();
    at_least("multi-input,change:model: precision", c.pairwise_precision, 0.9983);
    at_least("multi-input,change:model: recall", c.pairwise_recall, 0.2149);
    at_least("share of the bound", report.recall_of_bound.unwrap(), 0.5409);

    // The change link stored per transaction (what `tx` shows) is the sender's, at
    // the model's threshold or above.
    let analysis = Analysis::open(&index).unwrap().unwrap();
    let truth = analysis::truth::GroundTruth::read(&index, &truth()).unwrap();
    let (mut stored, mut right) = (0u32, 0u32);
    for (t, tx) in &truth.transactions {
        let Some(c) = analysis.change(*t) else { continue };
        assert!(c.probability >= m.default_threshold - 1e-6, "tx {t:?}: {c:?}");
        assert_eq!(c.heuristic, "change:model");
        let output = index::OutNum(index.tx_outputs(*t).start + u64::from(c.vout));
        stored += 1;
        right +=
            u32::from(truth.sender(tx).is_some() && truth.owner_of(index.output_address(output).0) == truth.sender(tx));
    }
    assert!(stored > 500, "{stored} change links stored");
    at_least("stored change links: precision", f64::from(right) / f64::from(stored), 0.9982);
}

#[test]
fn every_coinjoin_of_bitcoin_cores_wallets_is_named() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    let report = measure(&index, "multi-input");
    let mut coinjoins = 0;
    for (truth, row) in &report.coinjoin.confusion {
        for (predicted, &n) in row {
            assert_eq!(truth, predicted, "{n} {truth} transactions called {predicted}");
            coinjoins += if truth == "none" { 0 } else { n };
        }
    }
    assert_eq!(coinjoins, 8);
    assert_eq!(report.transactions, 1059);
}

/// The main-chain blocks of the regtest fixture, in height order.
fn main_chain_blocks() -> Vec<Vec<u8>> {
    let dir = BlocksDir::open(&fixtures().join("regtest/small/blocks"), Network::Regtest).unwrap();
    let map = BlockMap::read(&dir).unwrap();
    map.main_chain()
        .map(|(_, node)| {
            let mut buf = Vec::new();
            dir.read_block(&node.location, &mut buf).unwrap();
            buf
        })
        .collect()
}

/// Writes the first `n` blocks as a blocks directory (each call a longer prefix of
/// the same file, as a syncing node grows it).
fn write_prefix(dir: &Path, blocks: &[Vec<u8>], n: usize) {
    let mut writer = BlkWriter::create(dir, Network::Regtest, XorKey::default(), 1 << 27).unwrap();
    for block in &blocks[..n] {
        writer.write_block(block).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn incremental_clustering_equals_one_full_run() {
    let heuristics: Heuristics =
        "multi-input,change:model,change:one-time,change:fingerprint,change:address-type".parse().unwrap();
    let options = ClusterOptions { heuristics, ..ClusterOptions::default() };
    let blocks = main_chain_blocks();
    let (grown_blocks, grown_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (step, n) in [40, 120, 165, blocks.len()].into_iter().enumerate() {
        write_prefix(grown_blocks.path(), &blocks, n);
        let index = ingested(grown_blocks.path(), grown_data.path());
        let report = cluster(&index, &options, &|_, _| {}).unwrap();
        assert_eq!(report.incremental, step > 0, "step {step}");
        if step > 0 {
            assert!(report.txs_processed < index.counts().txs, "step {step} redid everything");
        }
    }
    let grown = Index::open(grown_data.path()).unwrap();
    let full_data = tempfile::tempdir().unwrap();
    let full = ingested(&fixtures().join("regtest/small/blocks"), full_data.path());
    assert!(!cluster(&full, &options, &|_, _| {}).unwrap().incremental);
    let (a, b) = (Analysis::open(&grown).unwrap().unwrap(), Analysis::open(&full).unwrap().unwrap());
    assert_eq!(grown.counts(), full.counts());
    let n = full.counts();
    let merged = (0..n.addresses as u32).filter(|&i| b.entity_of(AddrId(i)) != Some(index::EntityId(i))).count();
    assert!(merged > 500, "too few merges ({merged}) for the comparison to mean much");
    for i in 0..n.addresses as u32 {
        assert_eq!(a.entity_of(AddrId(i)), b.entity_of(AddrId(i)), "address {i}");
    }
    for t in 0..n.txs {
        assert_eq!(a.coinjoin(TxNum(t)), b.coinjoin(TxNum(t)), "tx {t}");
        assert_eq!(a.change(TxNum(t)), b.change(TxNum(t)), "change of tx {t}");
    }
    for e in (0..n.addresses as u32).filter_map(|e| b.entity(e)) {
        assert!(a.members(e).eq(b.members(e)), "members of entity {e}");
    }
}

#[test]
fn peel_chains_of_the_theft_are_found_hop_by_hop() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(truth()).unwrap()).unwrap();
    let mut hops = std::collections::HashSet::new();
    for chain in truth["peel_chains"].as_array().unwrap() {
        let txs: Vec<TxNum> = chain["hops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| index.tx_by_txid(&h["txid"].as_str().unwrap().parse().unwrap()).unwrap())
            .collect();
        let found: Vec<_> = txs.iter().map(|&t| analysis::peel::peel_chain(&index, t).unwrap()).collect();
        assert!(found.iter().all(|p| p.length as usize >= txs.len()), "{found:?}");
        assert!(found.windows(2).all(|w| w[1].position == w[0].position + 1), "{found:?}");
        hops.extend(txs);
    }
    assert_eq!(hops.len(), 8);
    // Other transactions on peel-shaped runs: users spending a large coin down in
    // small payments, which is a peel chain by shape (intent is for the tracer to
    // show). 51 of the chain's 1,059 transactions; pinned so the rule cannot quietly
    // grow looser.
    let others = (0..index.counts().txs)
        .map(TxNum)
        .filter(|t| !hops.contains(t) && analysis::peel::peel_chain(&index, *t).is_some())
        .count();
    eprintln!("{} theft hops found; {others} other transactions on peel-shaped runs", hops.len());
    assert!(others <= 51, "{others}");
}

#[test]
fn the_collapse_guard_refuses_change_links_between_grown_clusters() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    let heuristics: Heuristics = "multi-input,change:address-type".parse().unwrap();
    let with_guard = |guard| ClusterOptions { heuristics: heuristics.clone(), guard, ..ClusterOptions::default() };
    let loose = cluster(&index, &with_guard(u32::MAX), &|_, _| {}).unwrap();
    let guarded = cluster(&index, &with_guard(3), &|_, _| {}).unwrap();
    let by_guard = |r: &analysis::ClusterReport| r.refused_by.get("collapse_guard").copied().unwrap_or(0);
    assert_eq!(by_guard(&loose), 0);
    assert!(by_guard(&guarded) > 0);
    assert_eq!(guarded.refused.len() as u64, guarded.refused_count.min(analysis::cluster::REFUSED_LISTED as u64));
    for refused in guarded.refused.iter().filter(|r| r.reason == "collapse_guard") {
        assert!(refused.sizes.0 >= 3 && refused.sizes.1 >= 3, "{refused:?}");
        assert_ne!(refused.entities.0, refused.entities.1);
    }
    assert_eq!(guarded.change_links, loose.change_links);
    assert!(guarded.entities > loose.entities && guarded.entities <= loose.entities + guarded.refused_count);
}

/// Two labelled services never end in one entity through a change link, and
/// neither do two inputs of one CoinJoin: the must-not-link constraints hold
/// whatever the threshold lets through.
#[test]
fn change_links_never_join_two_services_or_coinjoin_partners() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    let truth = analysis::truth::GroundTruth::read(&index, &truth()).unwrap();
    // Every wallet labelled as a service of its own: then no change link may join
    // two wallets at all.
    let mut services: Vec<(u32, u32)> = truth.owner.iter().map(|(&a, &w)| (a, w)).collect();
    services.sort_unstable();
    let loose = ClusterOptions { threshold: Some(0.5), guard: u32::MAX, ..ClusterOptions::default() };
    let report = cluster(&index, &ClusterOptions { services: services.clone(), ..loose.clone() }, &|_, _| {}).unwrap();
    let analysis = Analysis::open(&index).unwrap().unwrap();
    let mut service_of_entity = std::collections::HashMap::new();
    for &(a, s) in &services {
        let e = analysis.entity_of(AddrId(a)).unwrap();
        assert_eq!(*service_of_entity.entry(e).or_insert(s), s, "entity {e} holds two services");
    }
    assert!(report.refused_by.get("distinct_services").copied().unwrap_or(0) > 0, "{:?}", report.refused_by);
    for t in (0..index.counts().txs)
        .map(TxNum)
        .filter(|&t| analysis.coinjoin(t).is_some_and(|c| c.0 != analysis::Protocol::WhirlpoolTx0))
    {
        let mut entities = std::collections::HashMap::new();
        for i in index.tx_inputs(t) {
            if let index::Spent::Output(o) = index.spent(index::InNum(i)) {
                let a = index.output_address(o);
                let e = analysis.entity_of(a).unwrap();
                assert!(entities.insert(e, a).is_none_or(|b| b == a), "two inputs of CoinJoin {t} in entity {e}");
            }
        }
    }
    // Without the constraints the same threshold does join services.
    cluster(&index, &loose, &|_, _| {}).unwrap();
    let analysis = Analysis::open(&index).unwrap().unwrap();
    let joined = services
        .iter()
        .map(|&(a, s)| (analysis.entity_of(AddrId(a)).unwrap(), s))
        .collect::<std::collections::HashSet<_>>();
    let entities = joined.iter().map(|(e, _)| *e).collect::<std::collections::HashSet<_>>();
    assert!(entities.len() < joined.len(), "the test would pass without constraints");
}

#[test]
fn a_chain_that_starts_late_clusters_with_every_heuristic() {
    // Blocks from height 100 on: inputs spending earlier outputs stay unresolved,
    // and no heuristic may read them as indexed outputs.
    let blocks = main_chain_blocks();
    let dir = tempfile::tempdir().unwrap();
    let (blk, data) = (dir.path().join("blocks"), dir.path().join("index"));
    std::fs::create_dir_all(&blk).unwrap();
    let mut writer = BlkWriter::create(&blk, Network::Regtest, XorKey::default(), 1 << 27).unwrap();
    for block in &blocks[100..] {
        writer.write_block(block).unwrap();
    }
    writer.finish().unwrap();
    let index = ingested(&blk, &data);
    assert!(index.manifest().unresolved_inputs > 0);
    let all = analysis::change::ChangeHeuristic::ALL.iter().map(|h| h.name()).collect::<Vec<_>>().join(",");
    let options =
        ClusterOptions { heuristics: format!("multi-input,{all}").parse().unwrap(), ..ClusterOptions::default() };
    let report = cluster(&index, &options, &|_, _| {}).unwrap();
    assert_eq!(report.addresses, index.counts().addresses);
}

/// Two runs at once would delete each other's state: the second is refused
/// while the first holds the lock, and goes through once it is released.
#[test]
fn a_second_cluster_run_at_once_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    std::fs::create_dir_all(data.path().join("analysis")).unwrap();
    let held = std::fs::File::create(data.path().join("analysis/lock")).unwrap();
    held.lock().unwrap();
    let err = cluster(&index, &ClusterOptions::default(), &|_, _| {}).unwrap_err();
    assert!(matches!(err, analysis::AnalysisError::Locked(_)), "{err}");
    assert!(err.to_string().contains("another `chainsleuth cluster` is running"), "{err}");
    drop(held);
    cluster(&index, &ClusterOptions::default(), &|_, _| {}).unwrap();
    assert!(Analysis::open(&index).unwrap().is_some());
}

/// Services by behaviour, measured on both truths: the chain Bitcoin Core's
/// wallets wrote (exchange_a, exchange_b, the miner) and a simulated economy
/// (three exchanges, three pools). Pinned as floors.
#[test]
fn services_are_recognised_by_their_behaviour() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    let report = measure(&index, "multi-input,change:model");
    let figures = |report: &EvalReport, behaviour: &str| {
        report.services.iter().find(|s| s.behaviour.name() == behaviour).cloned().unwrap()
    };
    let exchange = figures(&report, "exchange");
    eprintln!("regtest: {:?}", report.services);
    assert_eq!(exchange.services, 2);
    at_least("regtest exchanges: precision", exchange.precision, 1.0);
    at_least("regtest exchanges: recall", exchange.recall, 0.5);
    let pools = figures(&report, "mining_pool");
    at_least("regtest pools: precision", pools.precision, 0.9642);
    at_least("regtest pools: recall", pools.recall, 1.0);

    let sim = tempfile::tempdir().unwrap();
    let summary = simulated_small(sim.path(), 5, Vec::new());
    let index = ingested(&summary.blocks_dir, &sim.path().join("index"));
    cluster(&index, &ClusterOptions::default(), &|_, _| {}).unwrap();
    let analysis = Analysis::open(&index).unwrap().unwrap();
    let report =
        evaluate(&index, Some(&analysis), summary.ground_truth.as_deref().unwrap(), ChangeModel::shipped()).unwrap();
    eprintln!("simulator: {:?}", report.services);
    let exchange = figures(&report, "exchange");
    at_least("simulated exchanges: precision", exchange.precision, 1.0);
    at_least("simulated exchanges: recall", exchange.recall, 1.0);
    let pools = figures(&report, "mining_pool");
    at_least("simulated pools: precision", pools.precision, 1.0);
    at_least("simulated pools: recall", pools.recall, 1.0);
}

/// A coordinator running pools no classifier knows (0.025 and 0.2 BTC): its mixes
/// and Tx0s are still named by their structure, on the simulator's truth (seed 7:
/// 116 mixes, 82 Tx0s).
#[test]
fn whirlpool_mixes_of_unknown_pools_are_named_by_their_structure() {
    let sim = tempfile::tempdir().unwrap();
    let summary = simulated_small(sim.path(), 7, vec![2_500_000, 20_000_000]);
    let index = ingested(&summary.blocks_dir, &sim.path().join("index"));
    cluster(&index, &ClusterOptions::default(), &|_, _| {}).unwrap();
    let analysis = Analysis::open(&index).unwrap().unwrap();
    let report =
        evaluate(&index, Some(&analysis), summary.ground_truth.as_deref().unwrap(), ChangeModel::shipped()).unwrap();
    let confusion = &report.coinjoin.confusion;
    eprintln!("{confusion:?}");
    let recall = |protocol: &str| {
        let row = &confusion[protocol];
        row.get(protocol).copied().unwrap_or(0) as f64 / row.values().sum::<u64>() as f64
    };
    assert_eq!(recall("whirlpool"), 1.0, "{confusion:?}");
    // Tx0s with a single premix of a new pool stay unnamed (docs/entities.md).
    at_least("Tx0s of new pools: recall", recall("whirlpool_tx0"), 0.9512);
    // Mixes of the new pools are among them.
    let new_pool_mixes = (0..index.counts().txs)
        .map(TxNum)
        .filter(|&t| analysis.coinjoin(t).is_some_and(|c| c.0 == analysis::Protocol::Whirlpool))
        .filter(|&t| {
            let first = index.tx_outputs(t).start;
            [2_500_000, 20_000_000].contains(&index.value(index::OutNum(first)))
        })
        .count();
    assert!(new_pool_mixes >= 3, "{new_pool_mixes} mixes of the new pools");
    // Nothing else is called a Whirlpool mix or Tx0.
    for (truth, row) in confusion.iter().filter(|(t, _)| !t.starts_with("whirlpool")) {
        assert!(!row.contains_key("whirlpool") && !row.contains_key("whirlpool_tx0"), "{truth}: {row:?}");
    }
}
