//! Every real mainnet block of fixtures/real/zcash (Sprout to NU5, with Orchard):
//! hashes, merkle roots, every txid (v1-v5) as its index.json gives it, no bytes
//! left over, and zcashd's own JSON where the fixture has it.

use chain::Network;
use serde_json::Value;
use std::path::{Path, PathBuf};
use zcash::json::{block_json, tx_json};
use zcash::pools::{Turnstile, block_deltas};
use zcash::{Block, Transaction};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real/zcash")
}

fn index() -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(fixture().join("index.json")).unwrap()).unwrap()
}

fn block_bytes(entry: &Value) -> Vec<u8> {
    hex::decode(std::fs::read_to_string(fixture().join(entry["file"].as_str().unwrap())).unwrap().trim()).unwrap()
}

#[test]
fn every_block_and_transaction_decodes_with_its_hash_txid_and_merkle_root() {
    let (mut blocks, mut txs) = (0, 0);
    let mut versions = std::collections::BTreeSet::new();
    let mut shielded = [0usize; 4];
    for entry in index().iter().filter(|e| e["file"].as_str().unwrap().starts_with("blocks/")) {
        let bytes = block_bytes(entry);
        let block = Block::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", entry["file"]));
        let h = &block.header;
        assert_eq!(zcash::header::display_hex(&h.hash), entry["hash"].as_str().unwrap());
        assert_eq!(zcash::header::display_hex(&h.prev_block), entry["prev_hash"].as_str().unwrap());
        assert!(h.meets_target(), "{}", entry["file"]);
        assert_eq!(h.solution.len(), 1344);
        assert_eq!(block.computed_merkle_root(), h.merkle_root, "{}", entry["file"]);
        assert_eq!(block.height(), entry["height"].as_u64().map(|x| x as u32));
        let want: Vec<&str> = entry["txids"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        let got: Vec<String> = block.txs.iter().map(Transaction::txid_hex).collect();
        assert_eq!(got, want, "{}", entry["file"]);
        let want_versions: Vec<u64> =
            entry["tx_versions"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let mut got_versions: Vec<u64> = block.txs.iter().map(|t| u64::from(t.version)).collect();
        got_versions.sort_unstable();
        got_versions.dedup();
        assert_eq!(got_versions, want_versions, "the distinct versions");
        let s = &entry["shielded"];
        let counts = [
            block.txs.iter().map(|t| t.joinsplits.len()).sum::<usize>(),
            block.txs.iter().filter_map(|t| t.sapling.as_ref()).map(|s| s.spends.len()).sum(),
            block.txs.iter().filter_map(|t| t.sapling.as_ref()).map(|s| s.outputs.len()).sum(),
            block.txs.iter().filter_map(|t| t.orchard.as_ref()).map(|o| o.actions.len()).sum(),
        ];
        let want_counts = ["sprout_joinsplits", "sapling_spends", "sapling_outputs", "orchard_actions"]
            .map(|k| s[k].as_u64().unwrap() as usize);
        assert_eq!(counts, want_counts, "{}", entry["file"]);
        let t = &entry["transparent"];
        assert_eq!(block.txs.iter().map(|t| t.inputs.len()).sum::<usize>() as u64, t["inputs"].as_u64().unwrap());
        assert_eq!(block.txs.iter().map(|t| t.outputs.len()).sum::<usize>() as u64, t["outputs"].as_u64().unwrap());
        // Each transaction also decodes alone, to the same txid and size.
        for tx in &block.txs {
            let alone = Transaction::decode(tx.raw).unwrap();
            assert_eq!((alone.txid, alone.size()), (tx.txid, tx.size()));
            versions.insert(tx.version);
        }
        for (i, c) in counts.iter().enumerate() {
            shielded[i] += c;
        }
        blocks += 1;
        txs += block.txs.len();
    }
    assert_eq!((blocks, txs), (12, 57));
    assert_eq!(versions.into_iter().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert!(shielded.iter().all(|&n| n > 0), "every kind of shielded part is exercised: {shielded:?}");
}

#[test]
fn the_genesis_block_json_equals_zcashds() {
    let entries = index();
    let genesis =
        entries.iter().find(|e| e["height"] == 0 && e["file"].as_str().unwrap().starts_with("blocks/")).unwrap();
    let bytes = block_bytes(genesis);
    let ours = block_json(&Block::decode(&bytes).unwrap(), Network::ZcashMainnet);
    let theirs: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture().join("rpc_json/zcashd_getblock_v2_height0_block_0.json")).unwrap(),
    )
    .unwrap();
    let theirs = theirs.get("result").unwrap_or(&theirs);
    for field in
        ["hash", "size", "height", "version", "merkleroot", "finalsaplingroot", "time", "nonce", "solution", "bits"]
    {
        assert_eq!(ours[field], theirs[field], "{field}");
    }
    let (a, b) = (&ours["tx"][0], &theirs["tx"][0]);
    for field in ["txid", "overwintered", "version", "locktime", "vin", "vout", "vjoinsplit"] {
        assert_eq!(a[field], b[field], "tx {field}");
    }
}

/// zcashd's `valueDelta` per pool, against the same accounting applied to its
/// own JSON fields (these blocks come without their bytes).
#[test]
fn pool_accounting_agrees_with_zcashds_value_pools() {
    for file in [
        "zcashd_getblock_v2_height508_block_with_shielded_addresses.json",
        "zcashd_getblock_v2_height462085_block_with_value_balance.json",
        "zcashd_getblock_v2_height0_block_0.json",
    ] {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture().join("rpc_json").join(file)).unwrap()).unwrap();
        let v = v.get("result").unwrap_or(&v);
        let (mut sprout, mut sapling) = (0i64, 0i64);
        for tx in v["tx"].as_array().unwrap() {
            for js in tx["vjoinsplit"].as_array().into_iter().flatten() {
                sprout += zat(&js["vpub_old"]) - zat(&js["vpub_new"]);
            }
            sapling -= tx.get("valueBalance").map_or(0, zat);
        }
        for pool in v["valuePools"].as_array().unwrap() {
            let want = pool["valueDeltaZat"].as_i64().unwrap();
            match pool["id"].as_str().unwrap() {
                "sprout" => assert_eq!(sprout, want, "{file} sprout"),
                "sapling" => assert_eq!(sapling, want, "{file} sapling"),
                _ => {}
            }
        }
    }
}

fn zat(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 1e8).round() as i64
}

#[test]
fn the_turnstile_never_goes_negative_and_refuses_a_drain() {
    let mut turnstile = Turnstile::default();
    for entry in index().iter().filter(|e| e["file"].as_str().unwrap().starts_with("blocks/")) {
        let bytes = block_bytes(entry);
        let block = Block::decode(&bytes).unwrap();
        let d = block_deltas(&block.txs);
        // These blocks are samples, not a chain: start each pool at what it must
        // at least have held for the block to be valid.
        for (i, &delta) in d.iter().enumerate() {
            turnstile.balances[i] = turnstile.balances[i].max(-delta);
        }
        turnstile.apply(entry["height"].as_u64().unwrap() as u32, d).unwrap();
    }
    let err = Turnstile::default().apply(7, [0, -1, 0]).unwrap_err();
    assert_eq!(err.to_string(), "height 7: the sapling pool would hold -1 zatoshis (below zero)");
}

#[test]
fn every_truncation_and_corruption_is_an_error_not_a_panic() {
    for entry in index().iter().filter(|e| e["file"].as_str().unwrap().starts_with("blocks/")) {
        let bytes = block_bytes(entry);
        let block = Block::decode(&bytes).unwrap();
        for tx in &block.txs {
            for cut in 0..tx.raw.len() {
                let err = Transaction::decode(&tx.raw[..cut]).unwrap_err();
                assert!(err.offset <= cut, "{err}");
            }
            let mut longer = tx.raw.to_vec();
            longer.push(0);
            assert!(Transaction::decode(&longer).unwrap_err().to_string().contains("1 bytes after the end"));
        }
        for cut in (0..bytes.len()).step_by(97) {
            assert!(Block::decode(&bytes[..cut]).is_err());
        }
    }
}

#[test]
fn errors_name_the_transaction_field_and_offset() {
    let entries = index();
    let entry = entries.iter().find(|e| e["height"] == 1687107).unwrap();
    let mut bytes = block_bytes(entry);
    let block = Block::decode(&bytes).unwrap();
    // Break the version group id of the second transaction.
    let at = block.txs[1].raw.as_ptr() as usize - bytes.as_ptr() as usize + 4;
    bytes[at] ^= 0xff;
    let err = Block::decode(&bytes).unwrap_err();
    assert_eq!(err.offset, at);
    assert!(err.to_string().starts_with(&format!("offset {at}: tx 1 nVersionGroupId:")), "{err}");
}

#[test]
fn transparent_addresses_round_trip() {
    let entries = index();
    let bytes = block_bytes(entries.iter().find(|e| e["height"] == 903000).unwrap());
    let block = Block::decode(&bytes).unwrap();
    let mut seen = 0;
    for tx in &block.txs {
        let json = tx_json(tx, Network::ZcashMainnet);
        for (o, out) in tx.outputs.iter().zip(json["vout"].as_array().unwrap()) {
            if let Some(a) = out["scriptPubKey"]["addresses"][0].as_str() {
                assert!(a.starts_with("t1") || a.starts_with("t3"), "{a}");
                let script = chain::address::to_script(a, Network::ZcashMainnet).unwrap();
                if out["scriptPubKey"]["type"] != "pubkey" {
                    assert_eq!(script, o.script_pubkey);
                }
                seen += 1;
            }
        }
    }
    assert!(seen > 5, "{seen}");
}

#[test]
fn a_zcashd_blocks_directory_scans_with_the_bitcoin_reader_and_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer =
        chain::blkfile::BlkWriter::create(tmp.path(), Network::ZcashMainnet, chain::XorKey::default(), 1 << 20)
            .unwrap();
    let mut entries: Vec<Value> =
        index().into_iter().filter(|e| e["file"].as_str().unwrap().starts_with("blocks/")).collect();
    entries.sort_by_key(|e| e["height"].as_u64());
    for entry in &entries {
        writer.write_block(&block_bytes(entry)).unwrap();
    }
    writer.finish().unwrap();
    let dir = chain::BlocksDir::open(tmp.path(), Network::ZcashMainnet).unwrap();
    let r = zcash::scan::scan(&dir, chain::scan::ScanOptions { verify: true }, &|_| {}).unwrap();
    assert_eq!((r.blocks_read, r.transactions_decoded), (12, 57));
    // The samples are not a chain: the genesis-anchored tree wins (as for Bitcoin),
    // the others are orphans whose heights come from their coinbases.
    assert_eq!((r.main_chain_blocks, r.tip.unwrap().height), (1, 0));
    let mut heights: Vec<u32> = r.orphan_blocks.iter().map(|b| b.height).collect();
    heights.sort_unstable();
    let want: Vec<u32> = entries.iter().skip(1).map(|e| e["height"].as_u64().unwrap() as u32).collect();
    assert_eq!(heights, want);
    // Bitcoin's reader refuses the directory with the reason, under either network.
    let err = chain::scan::scan(&dir, chain::scan::ScanOptions::default(), &|_| {}).unwrap_err();
    assert!(err.to_string().contains("zcash-mainnet blocks"), "{err}");
    let as_bitcoin = chain::BlocksDir::open(tmp.path(), Network::Mainnet).unwrap();
    let err = chain::scan::scan(&as_bitcoin, chain::scan::ScanOptions::default(), &|_| {}).unwrap_err();
    assert!(err.to_string().contains("use --network zcash-mainnet"), "{err}");
}

proptest::proptest! {
    /// Any bytes, and any real transaction with a byte changed: an answer or an
    /// error, never a panic; what decodes re-decodes to itself.
    #[test]
    fn arbitrary_and_mutated_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000), at in 0usize..100_000, byte in proptest::prelude::any::<u8>()) {
        let _ = Block::decode(&bytes);
        let _ = Transaction::decode(&bytes);
        let entries = index();
        let nu5 = entries.iter().find(|e| e["height"] == 1687118).unwrap();
        let raw = block_bytes(nu5);
        let block = Block::decode(&raw).unwrap();
        let tx = &block.txs[at % block.txs.len()];
        let mut mutated = tx.raw.to_vec();
        let i = at % mutated.len();
        mutated[i] = byte;
        if let Ok(t) = Transaction::decode(&mutated) {
            proptest::prop_assert_eq!(t.size(), mutated.len());
        }
    }
}

#[test]
fn every_real_coinbase_before_canopy_pays_the_founders_address_of_its_height() {
    let (mut checked, mut after) = (0, 0);
    for entry in index().iter().filter(|e| e["file"].as_str().unwrap().starts_with("blocks/")) {
        let height = entry["height"].as_u64().unwrap() as u32;
        let bytes = block_bytes(entry);
        let block = zcash::Block::decode(&bytes).unwrap();
        let coinbase = &block.txs[0];
        let pays = |address: &str| {
            let script = chain::address::to_script(address, Network::ZcashMainnet).unwrap();
            coinbase.outputs.iter().any(|o| o.script_pubkey == script.as_slice())
        };
        match zcash::founders::address_at(Network::ZcashMainnet, height) {
            Some(address) => {
                assert!(pays(address), "height {height}: the coinbase does not pay {address}");
                checked += 1;
            }
            None => {
                assert!(!zcash::founders::MAINNET.iter().any(|a| pays(a)), "height {height} pays a founder");
                after += 1;
            }
        }
    }
    // Heights 396, 347,500, 419,200-1, 653,600 (Blossom) and 903,000 are in the
    // schedule; the genesis block and those from Canopy on are not.
    assert_eq!((checked, after), (6, 6), "{checked} {after}");
}
