//! Tracing speed: a forward trace of 10 hops from a theft's stolen outputs under
//! each policy, in transactions visited per second on one core, with the memory the
//! trace holds; the baseline, measured in the same run, is a plain walk over the
//! same transactions (spenders looked up, no taint arithmetic).
//!
//! Run: `bench/trace.sh` for the ten-million-transaction chain, or
//! `CHAINSLEUTH_BENCH_INDEX=/path/to/index CHAINSLEUTH_BENCH_TRUTH=/path/to/ground_truth.json
//! cargo bench -p chainsleuth-trace --bench trace` (without them, the bundled regtest
//! chain); `CHAINSLEUTH_BENCH_FROM="txid:vout ..."` names the starts directly.

use chain::{BlocksDir, Network};
use index::{Index, IngestOptions, OutNum, TxNum, ingest};
use rustc_hash::FxHashSet;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;
use trace::{ChainView, IndexView, NoServices, Policy, TraceOptions, start_outputs, trace};

// The allocator the chainsleuth binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A line of /proc/self/status, in bytes (`VmHWM`: peak resident memory).
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The memory a flow holds: its nodes, edges and endpoints.
fn flow_bytes(flow: &trace::Flow) -> usize {
    flow.nodes.capacity() * std::mem::size_of::<(TxNum, trace::tracer::TxNode)>()
        + flow.edges.capacity() * std::mem::size_of::<(TxNum, TxNum, f64)>()
        + flow.endpoints.capacity() * std::mem::size_of::<trace::tracer::Endpoint>()
}

/// Visits the transactions a trace visited, in the same order, doing only the
/// graph walk: every output's spender.
fn plain_walk(view: &IndexView<'_>, txs: &[TxNum]) -> u64 {
    let mut spenders = 0;
    for &t in txs {
        for o in view.outputs(t) {
            spenders += u64::from(view.spender(o).is_some());
            black_box(view.value(o));
        }
        for i in view.inputs(t) {
            black_box(view.source(i));
        }
    }
    spenders
}

fn main() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/regtest/small");
    let truth_path =
        std::env::var_os("CHAINSLEUTH_BENCH_TRUTH").map_or_else(|| fixtures.join("ground_truth.json"), PathBuf::from);
    let _tmp;
    let dir = match std::env::var_os("CHAINSLEUTH_BENCH_INDEX") {
        Some(dir) => PathBuf::from(dir),
        None => {
            _tmp = tempfile::tempdir().unwrap();
            let blocks = BlocksDir::open(&fixtures.join("blocks"), Network::Regtest).unwrap();
            ingest(&blocks, _tmp.path(), &IngestOptions::default(), &|_| {}).unwrap();
            _tmp.path().to_owned()
        }
    };
    let index = Index::open(&dir).unwrap();
    // The stolen outputs: given (bench/trace.sh extracts them from a big truth file),
    // or read from a small truth file.
    let outpoints: Vec<String> = match std::env::var("CHAINSLEUTH_BENCH_FROM") {
        Ok(list) => list.split_whitespace().map(str::to_owned).collect(),
        Err(_) => {
            let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
            truth["thefts"][0]["stolen_outputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| format!("{}:{}", o["txid"].as_str().unwrap(), o["vout"].as_u64().unwrap()))
                .collect()
        }
    };
    let starts: Vec<OutNum> = outpoints.iter().flat_map(|o| start_outputs(&index, o).unwrap()).collect();
    // CoinJoin verdicts come from the saved clustering when there is one, as in the CLI.
    let clustering = analysis::Analysis::open(&index).ok().flatten();
    let view = IndexView::new(&index, clustering.as_ref());
    println!(
        "chain: {} transactions; {} stolen outputs; forward, 10 hops, shares under 1 sat dropped; CoinJoins {}",
        index.counts().txs,
        starts.len(),
        if clustering.is_some() { "from the saved clustering" } else { "classified on the fly" }
    );
    for policy in [Policy::Haircut, Policy::Poison, Policy::Fifo, Policy::Tiho] {
        let options = TraceOptions { policy, min_value: 1, ..TraceOptions::default() };
        // Three runs: the first also pays for fresh memory (as one CLI run does); the
        // best is the steady state.
        let mut times = Vec::new();
        let mut flow = None;
        for _ in 0..3 {
            let started = Instant::now();
            let f =
                trace(&view, &NoServices, &starts, options, &trace::Budget::unlimited()).expect("an unlimited trace");
            times.push(started.elapsed().as_secs_f64());
            flow = Some(f);
        }
        let flow = flow.unwrap();
        let (first, secs) = (times[0], times.iter().copied().fold(f64::INFINITY, f64::min));
        let txs: Vec<TxNum> = flow.nodes.iter().map(|n| n.0).collect();
        let walked = Instant::now();
        black_box(plain_walk(&view, &txs));
        let walk_secs = walked.elapsed().as_secs_f64();
        let distinct: FxHashSet<TxNum> = txs.iter().copied().collect();
        println!(
            "{:<8} {:>9} txs visited in {:>7.3} s (best of 3) = {:>10.0} visits/s ({:.0} in the first run); plain walk {:>10.0} tx/s (trace / walk time {:.2}x); {} edges, {} endpoints, flow {:.1} MiB",
            policy.name(),
            flow.visited,
            secs,
            flow.visited as f64 / secs,
            flow.visited as f64 / first,
            distinct.len() as f64 / walk_secs,
            secs / walk_secs,
            flow.edges.len(),
            flow.endpoints.len(),
            flow_bytes(&flow) as f64 / (1 << 20) as f64
        );
    }
    println!("peak resident memory of this process (index pages included): {} MiB", status_bytes("VmHWM:") >> 20);
}
