//! Every transaction and block of the real Monero fixtures decodes to the hash
//! the daemon gave it: the regtest chain written by monerod 0.18 and its wallets,
//! and mainnet blobs of every era (v1 ring signatures, RingCT types 0, 2, 3, 5, 6,
//! block 202612).

use monero::{Input, decode_block, decode_tx, tx::from_hex};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn truth() -> Value {
    let text = std::fs::read_to_string(fixtures().join("monero-regtest/ground_truth.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn read_hex(path: &Path) -> Vec<u8> {
    from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn regtest_blocks_and_transactions_hash_as_monerod_says() {
    let truth = truth();
    let dir = fixtures().join("monero-regtest");
    let mut prev = None;
    let blocks = truth["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 985);
    let mut txs = 0;
    for b in blocks {
        let height = b["height"].as_u64().unwrap();
        let block = decode_block(&read_hex(&dir.join(format!("blocks/{height:06}.hex")))).unwrap();
        assert_eq!(block.id.to_string(), b["hash"].as_str().unwrap(), "block {height}");
        assert_eq!(block.miner_tx.hash.to_string(), b["miner_txid"].as_str().unwrap());
        assert_eq!(block.height(), Some(height));
        assert_eq!(block.timestamp, b["timestamp"].as_u64().unwrap());
        assert_eq!(block.major_version, b["major_version"].as_u64().unwrap());
        if let Some(p) = prev {
            assert_eq!(block.prev_id, p);
        }
        prev = Some(block.id);
        let listed: Vec<String> =
            b["txids"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
        assert_eq!(block.tx_hashes.iter().map(|h| h.to_string()).collect::<Vec<_>>(), listed);
        for txid in &listed {
            let tx = decode_tx(&read_hex(&dir.join(format!("txs/{txid}.hex")))).unwrap();
            assert_eq!(&tx.hash.to_string(), txid);
            txs += 1;
        }
        txs += 1;
    }
    assert_eq!(txs, 1931);
}

#[test]
fn regtest_inputs_and_outputs_equal_the_truth() {
    let truth = truth();
    let dir = fixtures().join("monero-regtest");
    let mut inputs = 0;
    let mut outputs = 0;
    for t in truth["transactions"].as_array().unwrap() {
        if t["coinbase"].as_bool().unwrap() {
            continue;
        }
        let txid = t["txid"].as_str().unwrap();
        let tx = decode_tx(&read_hex(&dir.join(format!("txs/{txid}.hex")))).unwrap();
        assert_eq!(tx.version, t["version"].as_u64().unwrap());
        assert_eq!(tx.rct_type.map(|r| r as u64), t["rct_type"].as_u64());
        assert_eq!(tx.fee, t["fee"].as_u64().unwrap(), "{txid}");
        for (input, want) in tx.inputs.iter().zip(t["inputs"].as_array().unwrap()) {
            let Input::ToKey { key_image, key_offsets, amount } = input else { panic!("{txid}: gen input") };
            assert_eq!(hex::encode(key_image), want["key_image"].as_str().unwrap());
            let offsets: Vec<u64> =
                want["key_offsets"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
            assert_eq!(key_offsets, &offsets);
            let ring: Vec<u64> = want["ring"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
            assert_eq!(input.ring().unwrap(), ring);
            assert_eq!(*amount, 0);
            inputs += 1;
        }
        for (output, want) in tx.outputs.iter().zip(t["outputs"].as_array().unwrap()) {
            assert_eq!(hex::encode(output.key), want["output_key"].as_str().unwrap());
            assert!(output.view_tag.is_some());
            outputs += 1;
        }
        assert!(tx.parsed_extra().tx_pubkeys.len() == 1, "{txid}: one tx public key");
    }
    assert_eq!(inputs, 2830);
    assert!(outputs > 2000);
}

#[test]
fn mainnet_blobs_of_every_era_decode_with_their_hashes() {
    let dir = fixtures().join("real/monero");
    let index: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let mut seen_types = std::collections::BTreeSet::new();
    for entry in index.as_array().unwrap() {
        let blob = std::fs::read(dir.join(entry["file"].as_str().unwrap())).unwrap();
        let want = entry["hash"].as_str().unwrap();
        if entry["type"] == "block" {
            let block = decode_block(&blob).unwrap();
            assert_eq!(block.id.to_string(), want);
            assert_eq!(block.height(), entry["height"].as_u64());
            assert_eq!(block.miner_tx.hash.to_string(), entry["miner_tx_hash"].as_str().unwrap());
            assert_eq!(block.tx_hashes.len() as u64, entry["n_tx_hashes"].as_u64().unwrap());
        } else {
            let tx = decode_tx(&blob).unwrap();
            assert_eq!(tx.hash.to_string(), want);
            assert_eq!(tx.version, entry["tx_version"].as_u64().unwrap());
            assert_eq!(tx.inputs.len() as u64, entry["n_inputs"].as_u64().unwrap());
            assert_eq!(tx.outputs.len() as u64, entry["n_outputs"].as_u64().unwrap());
            assert_eq!(tx.size as u64, entry["size_bytes"].as_u64().unwrap());
            let rings: Vec<u64> =
                tx.inputs.iter().filter_map(|i| i.ring()).filter(|r| !r.is_empty()).map(|r| r.len() as u64).collect();
            let want_rings: Vec<u64> =
                entry["ring_sizes"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
            let mut distinct = rings.clone();
            distinct.dedup();
            assert!(want_rings == rings || want_rings == distinct, "{want}: rings {rings:?} vs {want_rings:?}");
            seen_types.insert(tx.rct_type.map(|t| t as u8));
        }
    }
    // v1, and RingCT types 0, 2, 3, 5 and 6.
    assert_eq!(seen_types.into_iter().collect::<Vec<_>>(), vec![None, Some(0), Some(2), Some(3), Some(5), Some(6)]);
}

#[test]
fn every_truncation_of_a_transaction_is_an_error_naming_a_field() {
    let dir = fixtures().join("real/monero/tx");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let blob = std::fs::read(entry.unwrap().path()).unwrap();
        for len in (0..blob.len()).step_by(7) {
            let err = decode_tx(&blob[..len]).unwrap_err();
            assert!(err.offset <= len && !err.field.is_empty(), "{err}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert!(decode_tx(&longer).is_err());
    }
}

#[test]
fn block_202612_gets_the_id_the_network_adopted() {
    let dir = fixtures().join("real/monero/blocks");
    let path = dir.join("monero_mainnet_0202612_bbd604d2ba11ba27935e006ed39c9bfdd99b76bf4a50654bc1e1e61217962698.bin");
    let mut blob = std::fs::read(&path).unwrap();
    assert_eq!(
        decode_block(&blob).unwrap().id.to_string(),
        "bbd604d2ba11ba27935e006ed39c9bfdd99b76bf4a50654bc1e1e61217962698"
    );
    // The exception is for that blob only: another nonce hashes normally.
    blob[40] ^= 1;
    assert_ne!(
        decode_block(&blob).unwrap().id.to_string(),
        "bbd604d2ba11ba27935e006ed39c9bfdd99b76bf4a50654bc1e1e61217962698"
    );
}

mod fuzzish {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Flipping bytes anywhere never panics: it decodes or names a field.
        #[test]
        fn mutated_blobs_never_panic(pos in 0usize..4000, byte in any::<u8>(), which in 0usize..19) {
            let dir = fixtures().join("real/monero/tx");
            let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            let mut blob = std::fs::read(&files[which % files.len()]).unwrap();
            let at = pos % blob.len();
            blob[at] = byte;
            if let Err(e) = decode_tx(&blob) {
                prop_assert!(!e.field.is_empty());
            }
            let _ = decode_block(&blob);
        }
    }
}
