//! Read + decode + txid throughput on real blocks, against rust-bitcoin and against
//! double-SHA-256 of the same bytes (the floor of the work), measured in one run.
//!
//! Data: every real block under fixtures/real/blocks plus the regtest chain of
//! fixtures/regtest/small, repeated in memory to about 1 GB (override with
//! `CHAINSLEUTH_BENCH_MB`). Each contender runs single-threaded over the same blocks;
//! the best of three runs counts.
//!
//! Run: `cargo bench -p chainsleuth-chain --bench decode`

use chain::block::decode_block;
use chain::hash::dsha256;
use chain::scan::{ScanOptions, scan};
use chain::script::script_class;
use chain::tx::{TxOut, TxVisitor};
use chain::{BlocksDir, Network};
use rayon::prelude::*;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every real block, and every block of the regtest chain.
fn sample_blocks() -> Vec<Vec<u8>> {
    let mut blocks = Vec::new();
    for entry in std::fs::read_dir(fixtures().join("real/blocks")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".raw") {
            blocks.push(std::fs::read(&path).unwrap());
        } else if name.ends_with(".hex") {
            blocks.push(hex::decode(std::fs::read_to_string(&path).unwrap().trim()).unwrap());
        } else if name.ends_with(".dat") {
            let data = std::fs::read(&path).unwrap();
            let mut pos = 0;
            while pos + 8 <= data.len() {
                let size = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap()) as usize;
                blocks.push(data[pos + 8..pos + 8 + size].to_vec());
                pos += 8 + size;
            }
        }
    }
    let dir = BlocksDir::open(&fixtures().join("regtest/small/blocks"), Network::Regtest).unwrap();
    let file = dir.read_file(0).unwrap();
    blocks.extend(file.blocks.iter().map(|loc| file.block(loc).to_vec()));
    blocks
}

struct Outcome {
    name: &'static str,
    secs: f64,
    txs: u64,
}

fn best_of_three(name: &'static str, blocks: &[Vec<u8>], run: impl Fn(&[u8]) -> u64) -> Outcome {
    let mut best = f64::INFINITY;
    let mut txs = 0;
    for _ in 0..3 {
        let start = Instant::now();
        txs = blocks.iter().map(|b| run(b)).sum();
        best = best.min(start.elapsed().as_secs_f64());
    }
    Outcome { name, secs: best, txs }
}

/// The per-output work of `chainsleuth scan`: classify every script.
struct Classify(u64);
impl TxVisitor<'_> for Classify {
    fn output(&mut self, _: usize, out: &TxOut<'_>) {
        self.0 += script_class(out.script_pubkey) as u64;
    }
}

fn main() {
    let target_mb: usize = std::env::var("CHAINSLEUTH_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let sample = sample_blocks();
    let sample_bytes: usize = sample.iter().map(Vec::len).sum();
    let copies = (target_mb * 1_000_000).div_ceil(sample_bytes);
    let blocks: Vec<Vec<u8>> = (0..copies).flat_map(|_| sample.iter().cloned()).collect();
    let bytes: usize = blocks.iter().map(Vec::len).sum();
    println!("{} blocks ({} distinct, repeated {copies}x), {:.1} MB", blocks.len(), sample.len(), bytes as f64 / 1e6);

    let outcomes = [
        best_of_three("dsha256 of the block bytes (floor)", &blocks, |b| {
            black_box(dsha256(b));
            0
        }),
        best_of_three("chainsleuth decode + txid", &blocks, |b| {
            decode_block(b, &mut ()).map(|i| i.tx_count as u64).unwrap_or(0)
        }),
        best_of_three("chainsleuth decode + txid + script class", &blocks, |b| {
            let mut v = Classify(0);
            let n = decode_block(b, &mut v).map(|i| i.tx_count as u64).unwrap_or(0);
            black_box(v.0);
            n
        }),
        best_of_three("rust-bitcoin deserialize::<Block> + compute_txid", &blocks, |b| {
            let block: bitcoin::Block = bitcoin::consensus::deserialize(b).unwrap();
            for tx in &block.txdata {
                black_box(tx.compute_txid());
            }
            block.txdata.len() as u64
        }),
    ];
    let txs = outcomes[1].txs;
    println!("\n{:<52} {:>9} {:>10} {:>12}", "single thread", "seconds", "MB/s", "tx/s");
    for o in &outcomes {
        let tx_rate = if o.txs > 0 { format!("{:.0}", o.txs as f64 / o.secs) } else { "-".to_owned() };
        println!("{:<52} {:>9.3} {:>10.0} {:>12}", o.name, o.secs, bytes as f64 / 1e6 / o.secs, tx_rate);
    }
    let (floor, ours, ours_classify, rust_bitcoin) = (&outcomes[0], &outcomes[1], &outcomes[2], &outcomes[3]);
    println!("\nratios (same bytes, same run):");
    println!(
        "  rust-bitcoin / chainsleuth decode+txid      = {:.2}x faster (goal: >= 3x)",
        rust_bitcoin.secs / ours.secs
    );
    println!(
        "  chainsleuth decode+txid / dsha256 floor     = {:.2}x the floor (goal: <= 1.5x)",
        ours.secs / floor.secs
    );
    println!("  with script classes / dsha256 floor         = {:.2}x the floor", ours_classify.secs / floor.secs);

    let start = Instant::now();
    let parallel: u64 =
        blocks.par_iter().map(|b| decode_block(b, &mut ()).map(|i| i.tx_count as u64).unwrap_or(0)).sum();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(parallel, txs);
    println!(
        "\nall {} threads, decode + txid: {:.3} s, {:.0} MB/s, {:.0} tx/s",
        rayon::current_num_threads(),
        secs,
        bytes as f64 / 1e6 / secs,
        txs as f64 / secs
    );

    // The whole scan of a real blocks directory, as the command runs it.
    let dir = BlocksDir::open(&fixtures().join("regtest/small/blocks_ooo"), Network::Regtest).unwrap();
    let report = scan(&dir, ScanOptions::default(), &|_| {}).unwrap();
    println!(
        "scan of the regtest blocks_ooo directory: {} blocks, {:.1} ms",
        report.blocks_read,
        report.elapsed_secs * 1e3
    );
}
