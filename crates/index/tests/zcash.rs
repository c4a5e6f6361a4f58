//! A Zcash index: the transparent graph in the same columns as Bitcoin's, every
//! pool crossing as a row, the turnstile per height; fees that count the pools;
//! rollbacks and a pool drained below zero refused. Checked against our own
//! block-by-block reading of the same files (zcash::walk, zcash::pools).

use chain::{BlocksDir, Network};
use index::{Height, Index, IndexError, IngestOptions, Manifest, TxNum, ingest};
use std::collections::HashMap;
use std::path::Path;
use zcash::encode::{InputParts, TxParts, block, v4_tx};
use zcash::pools::{Turnstile, block_deltas, crossings};

fn simulate(dir: &Path, blocks: u32, seed: u64) -> sim::zcash::ZcashSimSummary {
    let opts = sim::zcash::ZcashSimOptions { seed, blocks, ..sim::zcash::ZcashSimOptions::default() };
    sim::zcash::simulate_zcash(&opts, dir).unwrap()
}

fn blocks_dir(dir: &Path) -> BlocksDir {
    BlocksDir::open(&dir.join("blocks"), Network::ZcashRegtest).unwrap()
}

#[test]
fn a_simulated_chain_indexes_with_its_crossings_turnstile_and_fees() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = simulate(tmp.path(), 700, 5);
    let blocks = blocks_dir(tmp.path());
    let data = tmp.path().join("index");
    let report = ingest(&blocks, &data, &IngestOptions::default(), &|_| {}).unwrap();
    assert_eq!(report.counts.txs, summary.transactions);
    let index = Index::open(&data).unwrap();
    assert_eq!(index.network(), Network::ZcashRegtest);

    let mut turnstile = Turnstile::default();
    let mut values: HashMap<([u8; 32], u32), u64> = HashMap::new();
    let (mut t, mut rows, mut shielded_fees) = (0u64, 0u64, 0u64);
    zcash::walk::for_each_block(&blocks, |height, b| {
        turnstile.apply(height, block_deltas(&b.txs)).unwrap();
        let balances = index.pool_balances(Height(height)).unwrap();
        assert_eq!(balances.map(|x| x as i64), turnstile.balances, "height {height}");
        for tx in &b.txs {
            let row = index.tx(TxNum(t));
            assert_eq!(row.txid.0, tx.txid);
            let want: Vec<(u64, u64)> =
                crossings(tx).iter().filter(|c| !c.is_empty()).map(|c| (c.into, c.out_of)).collect();
            let got: Vec<(u64, u64)> = index.crossings(TxNum(t)).iter().map(|c| (c.into, c.out_of)).collect();
            assert_eq!(got, want, "{}", tx.txid_hex());
            rows += got.len() as u64;
            if !tx.is_coinbase() {
                let from_pools: u64 = want.iter().map(|c| c.1).sum();
                let into_pools: u64 = want.iter().map(|c| c.0).sum();
                let spent: u64 = tx.inputs.iter().map(|i| values[&(*i.prev_txid, i.prev_vout)]).sum();
                let paid: u64 = tx.outputs.iter().map(|o| o.value).sum();
                assert_eq!(row.fee, Some(spent + from_pools - paid - into_pools), "{}", tx.txid_hex());
                if tx.inputs.is_empty() {
                    shielded_fees += 1;
                }
            }
            for (vout, o) in tx.outputs.iter().enumerate() {
                values.insert((tx.txid, vout as u32), o.value);
            }
            t += 1;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(index.counts().crossings, rows);
    assert!(rows > 1_000 && shielded_fees > 100, "{rows} crossings, {shielded_fees} fees paid from a pool");
    let tip = index.tip().unwrap().0;
    assert_eq!(index.pool_balances(tip).unwrap()[1] as i64, summary.sapling_pool);
    assert_eq!(index.pool_balances(Height(tip.0 + 1)), None);
}

#[test]
fn a_rollback_and_a_resumed_ingest_give_the_index_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    simulate(tmp.path(), 400, 6);
    let blocks = blocks_dir(tmp.path());
    let once = tmp.path().join("once");
    ingest(&blocks, &once, &IngestOptions::default(), &|_| {}).unwrap();
    let want = Index::open(&once).unwrap().digest();

    let twice = tmp.path().join("twice");
    let small = IngestOptions { commit_blocks: Some(37), ..IngestOptions::default() };
    ingest(&blocks, &twice, &small, &|_| {}).unwrap();
    // Back to height 250 (as a reorganisation would), then forward again.
    let manifest = Manifest::read(&twice).unwrap().unwrap();
    let mut writer = index::writer::IndexWriter::open(&twice, manifest).unwrap();
    writer.rollback(250).unwrap();
    drop(writer);
    let rolled = Index::open(&twice).unwrap();
    assert_eq!(rolled.tip().unwrap().0, Height(250));
    let full = Index::open(&once).unwrap();
    assert_eq!(rolled.pool_balances(Height(250)), full.pool_balances(Height(250)));
    let last_tx = rolled.counts().txs - 1;
    assert!(rolled.all_crossings().all(|(t, _)| t.0 <= last_tx), "no crossing of a removed transaction is left");
    drop(rolled);
    let report = ingest(&blocks, &twice, &small, &|_| {}).unwrap();
    assert_eq!(report.added.blocks, 149);
    assert_eq!(Index::open(&twice).unwrap().digest(), want);
}

/// The BIP 34 push of a height, as a coinbase's scriptSig starts.
fn height_push(height: u32) -> Vec<u8> {
    let bytes = height.to_le_bytes();
    let mut len = 4 - bytes.iter().rev().take_while(|&&b| b == 0).count();
    if bytes[len - 1] & 0x80 != 0 {
        len += 1;
    }
    let mut script = vec![len as u8];
    script.extend_from_slice(&[bytes[0], bytes[1], bytes[2], bytes[3], 0][..len]);
    script
}

#[test]
fn a_block_that_drains_a_pool_below_zero_is_refused_and_the_index_stays_whole() {
    let tmp = tempfile::tempdir().unwrap();
    simulate(tmp.path(), 300, 7);
    let blocks = blocks_dir(tmp.path());
    let data = tmp.path().join("index");
    ingest(&blocks, &data, &IngestOptions::default(), &|_| {}).unwrap();
    let before = Index::open(&data).unwrap();
    let (tip, tip_hash) = before.tip().unwrap();
    let sapling = before.pool_balances(tip).unwrap()[1];
    let digest = before.digest();
    drop(before);

    // Block 300: a coinbase and a transaction taking one zatoshi more out of
    // Sapling than the pool holds.
    let mut n = 0u8;
    let mut fill = |b: &mut [u8]| {
        for x in b {
            n = n.wrapping_add(89);
            *x = n;
        }
    };
    let p2pkh = [vec![0x76, 0xa9, 0x14], vec![7; 20], vec![0x88, 0xac]].concat();
    let coinbase = TxParts {
        inputs: vec![InputParts { txid: [0; 32], vout: u32::MAX, script_sig: height_push(tip.0 + 1) }],
        outputs: vec![(100_000_000, p2pkh.clone())],
        ..TxParts::default()
    };
    let drain = TxParts {
        outputs: vec![(sapling + 1, p2pkh)],
        sapling_spends: 1,
        value_balance: (sapling + 1) as i64,
        ..TxParts::default()
    };
    let txs = [v4_tx(&coinbase, &mut fill), v4_tx(&drain, &mut fill)];
    let txids: Vec<[u8; 32]> = txs.iter().map(|t| zcash::Transaction::decode(t).unwrap().txid).collect();
    let mut raw = block(tip_hash.0, 1_700_000_000, 0x200f_0f0f, &txs, &txids, 36, &mut fill);
    let mut nonce = 0u64;
    while !zcash::Header::decode(&raw).is_ok_and(|h| h.meets_target()) {
        nonce += 1;
        raw[108..116].copy_from_slice(&nonce.to_le_bytes());
    }
    let extra = tmp.path().join("extra");
    let mut writer =
        chain::blkfile::BlkWriter::create(&extra, Network::ZcashRegtest, chain::XorKey::default(), 1 << 20).unwrap();
    writer.write_block(&raw).unwrap();
    writer.finish().unwrap();
    std::fs::rename(extra.join("blk00000.dat"), tmp.path().join("blocks/blk00001.dat")).unwrap();

    let blocks = blocks_dir(tmp.path());
    let err = ingest(&blocks, &data, &IngestOptions::default(), &|_| {}).unwrap_err();
    assert!(
        matches!(err, IndexError::NegativePool { height, pool: "sapling", balance: -1 } if height == tip.0 + 1),
        "{err}"
    );
    assert_eq!(err.to_string(), format!("height {}: the sapling pool would hold -1 zatoshis, below zero", tip.0 + 1));
    let after = Index::open(&data).unwrap();
    assert_eq!((after.tip().unwrap().0, after.digest()), (tip, digest), "the committed index is untouched");
}

#[test]
fn the_real_zcash_genesis_block_indexes() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real/zcash");
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(fixtures.join("index.json")).unwrap()).unwrap();
    let genesis =
        entries.iter().find(|e| e["height"] == 0 && e["file"].as_str().unwrap().starts_with("blocks/")).unwrap();
    let text = std::fs::read_to_string(fixtures.join(genesis["file"].as_str().unwrap())).unwrap();
    let bytes = hex::decode(text.trim()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut writer =
        chain::blkfile::BlkWriter::create(tmp.path(), Network::ZcashMainnet, chain::XorKey::default(), 1 << 20)
            .unwrap();
    writer.write_block(&bytes).unwrap();
    writer.finish().unwrap();
    let blocks = BlocksDir::open(tmp.path(), Network::ZcashMainnet).unwrap();
    let data = tmp.path().join("index");
    ingest(&blocks, &data, &IngestOptions::default(), &|_| {}).unwrap();
    let index = Index::open(&data).unwrap();
    let (tip, hash) = index.tip().unwrap();
    assert_eq!((tip, hash.to_string()), (Height(0), genesis["hash"].as_str().unwrap().to_owned()));
    let coinbase = index.tx(TxNum(0));
    assert_eq!(coinbase.txid.to_string(), genesis["txids"][0].as_str().unwrap());
    assert!(coinbase.is_coinbase(&index) && coinbase.fee == Some(0));
    assert_eq!(index.pool_balances(tip), Some([0, 0, 0]));
    assert_eq!(index.block(tip).unwrap().header.time, zcash::Block::decode(&bytes).unwrap().header.time);
}
