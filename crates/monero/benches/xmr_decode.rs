//! Decode throughput over the regtest fixture's transactions, against the floor of
//! a bare Keccak-256 over the same bytes (a decoder must hash every byte once
//! anyway, three times for v2's parts).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;

fn blobs() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/monero-regtest/txs");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| monero::tx::from_hex(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap())
        .collect();
    out.sort();
    out
}

fn bench(c: &mut Criterion) {
    let blobs = blobs();
    let bytes: usize = blobs.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("xmr_decode");
    g.throughput(Throughput::Elements(blobs.len() as u64));
    g.bench_function("decode_and_hash", |b| {
        b.iter(|| blobs.iter().map(|t| monero::decode_tx(t).map(|t| t.inputs.len()).unwrap_or(0)).sum::<usize>())
    });
    g.bench_function("keccak_only_baseline", |b| {
        b.iter(|| blobs.iter().map(|t| monero::hash::keccak(&[t])[0] as usize).sum::<usize>())
    });
    g.finish();
    eprintln!("{} txs, {bytes} bytes", blobs.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
