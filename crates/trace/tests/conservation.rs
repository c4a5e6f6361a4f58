//! Conservation on the fixture chains: for every policy but poison (which taints
//! whole coins and so creates value), in both directions, the value at the
//! endpoints (limits included) plus the fees plus the overlap (taint that came back
//! to a starting output) equals the traced value. Checked on the chain Bitcoin
//! Core's wallets wrote, and on the same chain started late (from height 100), where
//! inputs spend outputs the index never saw and their value must be carried as
//! unresolved, not counted as zero.

use chain::blkfile::BlkWriter;
use chain::block_map::BlockMap;
use chain::{BlocksDir, Network, XorKey};
use index::{Index, IngestOptions, OutNum, TxNum, ingest};
use std::path::{Path, PathBuf};
use trace::{Direction, EndKind, Flow, NoServices, Policy, TraceOptions};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn ingested(blocks: &Path, data: &Path) -> Index {
    let dir = BlocksDir::open(blocks, Network::Regtest).unwrap();
    ingest(&dir, data, &IngestOptions::default(), &|_| {}).unwrap();
    Index::open(data).unwrap()
}

/// The regtest chain from height `from` on, as a blocks directory under `dir`.
fn chain_from(dir: &Path, from: usize) -> PathBuf {
    let source = BlocksDir::open(&fixtures().join("regtest/small/blocks"), Network::Regtest).unwrap();
    let map = BlockMap::read(&source).unwrap();
    let blk = dir.join("blocks");
    std::fs::create_dir_all(&blk).unwrap();
    let mut writer = BlkWriter::create(&blk, Network::Regtest, XorKey::default(), 1 << 27).unwrap();
    let mut buf = Vec::new();
    for (_, node) in map.main_chain().skip(from) {
        source.read_block(&node.location, &mut buf).unwrap();
        writer.write_block(&buf).unwrap();
    }
    writer.finish().unwrap();
    blk
}

fn balance(flow: &Flow) -> f64 {
    flow.endpoints.iter().map(|e| e.value).sum::<f64>() + flow.fees + flow.overlap
}

/// Traces from every tenth transaction's outputs (and from pairs of a transaction
/// and its parent, so a start is reached again) under every policy but poison, in
/// both directions, with a hop limit and a node limit that cut some trails: the
/// books balance every time. Returns the unresolved value of backward traces.
fn check_conservation(index: &Index) -> f64 {
    let view = trace::IndexView::new(index, None);
    let mut unresolved = 0.0;
    let n = index.counts().txs;
    let mut checked = 0;
    for t in (1..n).step_by(10) {
        let outputs: Vec<OutNum> = index.tx_outputs(TxNum(t)).map(OutNum).collect();
        let mut with_parent = outputs.clone();
        if let Some(index::Spent::Output(o)) = index.tx_inputs(TxNum(t)).next().map(|i| index.spent(index::InNum(i))) {
            with_parent.push(o);
        }
        for starts in [&outputs, &with_parent] {
            for policy in [Policy::Haircut, Policy::Fifo, Policy::Tiho] {
                for direction in [Direction::Forward, Direction::Backward] {
                    for (max_hops, max_nodes) in [(6, 40), (30, trace::DEFAULT_MAX_NODES)] {
                        let options =
                            TraceOptions { policy, direction, max_hops, max_nodes, ..TraceOptions::default() };
                        let flow =
                            trace::trace(&view, &NoServices, starts, options, &trace::Budget::unlimited()).unwrap();
                        let (got, want) = (balance(&flow), flow.traced_value);
                        assert!(
                            (got - want).abs() <= 1e-6 * want.max(1.0),
                            "tx {t} {policy:?} {direction:?} hops {max_hops} nodes {max_nodes}: \
                             endpoints + fees + overlap = {got}, traced {want}"
                        );
                        assert!(flow.visited <= max_nodes);
                        if direction == Direction::Backward {
                            unresolved += flow
                                .endpoints
                                .iter()
                                .filter(|e| e.kind == EndKind::Unresolved)
                                .map(|e| e.value)
                                .sum::<f64>();
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    unresolved
}

#[test]
fn every_policy_but_poison_conserves_value_on_the_regtest_chain() {
    let data = tempfile::tempdir().unwrap();
    let index = ingested(&fixtures().join("regtest/small/blocks"), data.path());
    assert_eq!(check_conservation(&index), 0.0, "a chain from genesis has nothing unresolved");
}

#[test]
fn a_chain_that_starts_late_carries_unresolved_value_and_still_conserves() {
    let dir = tempfile::tempdir().unwrap();
    let blocks = chain_from(dir.path(), 100);
    let index = ingested(&blocks, &dir.path().join("index"));
    assert!(index.manifest().unresolved_inputs > 0);
    assert!(check_conservation(&index) > 0.0, "backward traces must reach value from before the index");
}

/// A transaction spending an unindexed coin with an indexed one, worth less than
/// it pays out: the indexed coin's taint must not cover the outputs (haircut
/// dilutes it by the unknown coin's share, estimated from the outputs). Counted
/// as zero, the unknown coin let it cover them all and created taint.
#[test]
fn an_unindexed_input_dilutes_haircut_taint() {
    let dir = tempfile::tempdir().unwrap();
    let mut found = false;
    for from in [100, 120, 140, 160, 180] {
        let blocks = chain_from(&dir.path().join(from.to_string()), from);
        let index = ingested(&blocks, &dir.path().join(format!("index-{from}")));
        let known_of = |t: TxNum| -> Vec<OutNum> {
            index
                .tx_inputs(t)
                .filter_map(|i| match index.spent(index::InNum(i)) {
                    index::Spent::Output(o) => Some(o),
                    _ => None,
                })
                .collect()
        };
        let paid = |t: TxNum| -> u64 { index.tx_outputs(t).map(|o| index.value(OutNum(o))).sum() };
        let mixed = (0..index.counts().txs).map(TxNum).find(|&t| {
            let known: u64 = known_of(t).iter().map(|&o| index.value(o)).sum();
            let unresolved = index.tx_inputs(t).any(|i| index.spent(index::InNum(i)) == index::Spent::Unresolved);
            unresolved && known > 0 && known < paid(t)
        });
        let Some(t) = mixed else { continue };
        found = true;
        let view = trace::IndexView::new(&index, None);
        let options = TraceOptions { max_hops: 1, ..TraceOptions::default() };
        let flow = trace::trace(&view, &NoServices, &known_of(t), options, &trace::Budget::unlimited()).unwrap();
        let reached = flow.node(t).expect("the trace reaches the mixed transaction");
        assert!(reached.tainted_out < paid(t) as f64, "taint {} covers all {} paid out", reached.tainted_out, paid(t));
        assert!(reached.tainted_out <= reached.tainted_in + 1e-6, "taint created: {reached:?}");
        break;
    }
    assert!(found, "no late start of the chain has a transaction spending both kinds of coin");
}
