//! Lookup latency, p50 and p99 over 10,000 random keys, warm: txid -> transaction,
//! address -> id, and the whole `tx` and `address` answers, with an in-memory
//! `HashMap` of the same keys as the baseline measured in the same run.
//!
//! Run: `CHAINSLEUTH_BENCH_INDEX=/path/to/index cargo bench -p chainsleuth-index --bench lookup`
//! (without it, the bench indexes the bundled regtest chain first).

use chain::{BlocksDir, Network, Txid};
use index::{AddrId, Index, IngestOptions, TxNum, ingest};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

const KEYS: usize = 10_000;

/// Deterministic pseudo-random numbers (xorshift64*), enough to pick keys.
struct Picks(u64);
impl Picks {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// p50 and p99 in microseconds of `f` over `keys`, after one warm-up pass.
fn latencies<K>(keys: &[K], mut f: impl FnMut(&K)) -> (f64, f64) {
    for k in keys {
        f(k);
    }
    let mut times: Vec<f64> = keys
        .iter()
        .map(|k| {
            let t = Instant::now();
            f(k);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

fn main() {
    let _tmp;
    let dir = match std::env::var_os("CHAINSLEUTH_BENCH_INDEX") {
        Some(dir) => PathBuf::from(dir),
        None => {
            _tmp = tempfile::tempdir().unwrap();
            let blocks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/regtest/small/blocks");
            ingest(
                &BlocksDir::open(&blocks, Network::Regtest).unwrap(),
                _tmp.path(),
                &IngestOptions::default(),
                &|_| {},
            )
            .unwrap();
            _tmp.path().to_owned()
        }
    };
    let index = Index::open(&dir).unwrap();
    let n = index.counts();
    println!("index {}: {} txs, {} addresses", dir.display(), n.txs, n.addresses);
    let mut picks = Picks(0x9e37_79b9_7f4a_7c15);
    let txids: Vec<Txid> = (0..KEYS).map(|_| index.txid(TxNum(picks.below(n.txs)))).collect();
    let addresses: Vec<index::AddressKey> =
        (0..KEYS).map(|_| index.address_key(AddrId(picks.below(n.addresses) as u32))).collect();

    let rows = [
        (
            "txid -> tx number",
            latencies(&txids, |t| {
                black_box(index.tx_by_txid(t));
            }),
        ),
        (
            "address -> id",
            latencies(&addresses, |a| {
                black_box(index.address_by_key(a));
            }),
        ),
        (
            "tx answer (row, inputs resolved, spenders)",
            latencies(&txids, |t| {
                let num = index.tx_by_txid(t).unwrap_or(TxNum(0));
                let row = index.tx(num);
                black_box(index.resolved_inputs(num).count());
                for o in row.outputs {
                    black_box(index.output(index::OutNum(o)));
                }
            }),
        ),
        (
            "address answer (summary and history)",
            latencies(&addresses, |a| {
                if let Some(id) = index.address_by_key(a) {
                    black_box(index.address_summary(id).history.len());
                }
            }),
        ),
    ];
    // The baseline: the same txids in an in-memory HashMap.
    let map: HashMap<Txid, u64> = txids.iter().enumerate().map(|(i, t)| (*t, i as u64)).collect();
    let baseline = latencies(&txids, |t| {
        black_box(map.get(t));
    });
    println!("\n{:<46} {:>10} {:>10}", "lookup (warm, 10,000 random keys)", "p50 us", "p99 us");
    for (name, (p50, p99)) in rows {
        println!("{name:<46} {p50:>10.2} {p99:>10.2}");
    }
    println!("{:<46} {:>10.2} {:>10.2}", "baseline: HashMap<Txid, u64> in memory", baseline.0, baseline.1);
    println!("\ngoal: p99 under 100 us for tx and address lookups");
}
