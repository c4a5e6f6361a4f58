//! Real mainnet, testnet and signet blocks decode to the hashes, merkle roots,
//! transaction counts and script classes recorded in fixtures/real/blocks/index.json.

mod common;

use chain::block::{block_txids, verify_block};
use chain::rpc_json::block_json;
use chain::scan::{ScanOptions, scan};
use chain::script::{ScriptClass, script_class};
use chain::tx::{TxOut, TxVisitor};
use chain::{BlocksDir, Network, decode_block};
use common::*;
use std::collections::BTreeMap;

/// The fixture index's name for a script class.
fn fixture_class_name(class: ScriptClass) -> &'static str {
    match class {
        ScriptClass::NullData => "op_return",
        other => other.name(),
    }
}

#[test]
fn real_blocks_match_their_index() {
    let dir = fixtures().join("real/blocks");
    let index = read_json(&dir.join("index.json"));
    let mut checked = 0;
    for entry in index.as_array().unwrap() {
        let Some(hash) = entry.get("hash").and_then(|h| h.as_str()) else { continue };
        let file = entry["file"].as_str().unwrap();
        let bytes = read_bytes(&dir.join(file));
        let info = verify_block(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(info.header.hash.to_string(), hash, "{file}");
        assert_eq!(info.header.prev_hash.to_string(), entry["prev_hash"].as_str().unwrap(), "{file}");
        assert_eq!(info.header.merkle_root.to_string(), entry["merkle_root"].as_str().unwrap(), "{file}");
        assert_eq!(info.tx_count as u64, entry["n_tx"].as_u64().unwrap(), "{file}");
        assert_eq!(info.size as u64, entry["size_bytes"].as_u64().unwrap(), "{file}");
        let txids = block_txids(&bytes).unwrap();
        assert_eq!(txids[0].to_string(), entry["coinbase_txid"].as_str().unwrap(), "{file}");

        struct Classes(BTreeMap<String, u64>);
        impl TxVisitor<'_> for Classes {
            fn output(&mut self, _: usize, out: &TxOut<'_>) {
                *self.0.entry(fixture_class_name(script_class(out.script_pubkey)).to_owned()).or_default() += 1;
            }
        }
        let mut classes = Classes(BTreeMap::new());
        decode_block(&bytes, &mut classes).unwrap();
        let expected: BTreeMap<String, u64> = entry["output_script_types"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(classes.0, expected, "{file}");
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn decoder_agrees_with_rust_bitcoin_on_every_real_block() {
    let dir = fixtures().join("real/blocks");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".raw") || name.ends_with(".hex")) {
            continue;
        }
        let bytes = read_bytes(&path);
        let reference: bitcoin::Block = bitcoin::consensus::deserialize(&bytes).unwrap();
        let ours = block_txids(&bytes).unwrap();
        let theirs: Vec<String> = reference.txdata.iter().map(|tx| tx.compute_txid().to_string()).collect();
        assert_eq!(ours.iter().map(ToString::to_string).collect::<Vec<_>>(), theirs, "{name}");
        let mut offset_txs = Vec::new();
        struct Outputs<'v>(&'v mut Vec<(u64, Vec<u8>)>);
        impl<'a> TxVisitor<'a> for Outputs<'_> {
            fn output(&mut self, _: usize, out: &TxOut<'a>) {
                self.0.push((out.value, out.script_pubkey.to_vec()));
            }
        }
        decode_block(&bytes, &mut Outputs(&mut offset_txs)).unwrap();
        let reference_outputs: Vec<(u64, Vec<u8>)> = reference
            .txdata
            .iter()
            .flat_map(|tx| tx.output.iter().map(|o| (o.value.to_sat(), o.script_pubkey.to_bytes())))
            .collect();
        assert_eq!(offset_txs, reference_outputs, "{name}");
        let info = decode_block(&bytes, &mut ()).unwrap();
        assert_eq!(info.weight as u64, reference.weight().to_wu(), "{name}");
    }
}

#[test]
fn mainnet_run_of_blk_records_scans_to_height_255() {
    let dir = fixtures().join("real/blocks");
    let index = read_json(&dir.join("index.json"));
    let entry = index.as_array().unwrap().iter().find(|e| e["file"] == "mainnet_blk_000001-000255.dat").unwrap();
    let blocks = blocks_dir_with(&[("blk00000.dat", &read_bytes(&dir.join("mainnet_blk_000001-000255.dat")))]);
    let report =
        scan(&BlocksDir::open(blocks.path(), Network::Mainnet).unwrap(), ScanOptions { verify: true }, &|_| {})
            .unwrap();
    let tip = report.tip.unwrap();
    assert_eq!(tip.height, 255);
    assert_eq!(tip.hash.to_string(), entry["last_hash"].as_str().unwrap());
    assert_eq!(report.chain_start_height, 1, "block 1's parent is mainnet genesis");
    assert_eq!(report.main_chain_blocks as u64, entry["n_blocks"].as_u64().unwrap());
    assert!(report.stale_blocks.is_empty() && report.orphan_blocks.is_empty() && report.warnings.is_empty());
    // Reference totals from rust-bitcoin over the same records.
    let raw = read_bytes(&dir.join("mainnet_blk_000001-000255.dat"));
    let (mut pos, mut txs, mut inputs, mut outputs, mut p2pk_value) = (0, 0u64, 0u64, 0u64, 0u64);
    while pos < raw.len() {
        let size = u32::from_le_bytes(raw[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let block: bitcoin::Block = bitcoin::consensus::deserialize(&raw[pos + 8..pos + 8 + size]).unwrap();
        for tx in &block.txdata {
            txs += 1;
            inputs += tx.input.len() as u64;
            outputs += tx.output.len() as u64;
            p2pk_value += tx.output.iter().filter(|o| o.script_pubkey.is_p2pk()).map(|o| o.value.to_sat()).sum::<u64>();
        }
        pos += 8 + size;
    }
    assert_eq!((report.transactions, report.inputs, report.outputs), (txs, inputs, outputs));
    assert!(txs > 255, "the first payments (block 170: Satoshi to Hal Finney) are in this run");
    assert_eq!(report.by_class.get(ScriptClass::P2pk).value, p2pk_value);

    // Read as regtest, the same file names its network.
    let err = BlocksDir::open(blocks.path(), Network::Regtest)
        .and_then(|d| scan(&d, ScanOptions::default(), &|_| {}))
        .unwrap_err();
    assert!(err.to_string().contains("record has mainnet magic"), "{err}");
}

#[test]
fn signet_block_matches_bitcoin_core_getblock() {
    let core = read_json(&fixtures().join("real/blocks/rpc_json/signet_26808_getblock_verbosity3_WalletWasabi.json"));
    // Rebuild the raw block from Core's header fields and transaction hex.
    let mut raw = Vec::new();
    raw.extend(u32::try_from(core["version"].as_u64().unwrap()).unwrap().to_le_bytes());
    for field in ["previousblockhash", "merkleroot"] {
        let mut hash = hex::decode(core[field].as_str().unwrap()).unwrap();
        hash.reverse();
        raw.extend(hash);
    }
    raw.extend(u32::try_from(core["time"].as_u64().unwrap()).unwrap().to_le_bytes());
    raw.extend(u32::from_str_radix(core["bits"].as_str().unwrap(), 16).unwrap().to_le_bytes());
    raw.extend(u32::try_from(core["nonce"].as_u64().unwrap()).unwrap().to_le_bytes());
    let txs = core["tx"].as_array().unwrap();
    raw.push(u8::try_from(txs.len()).unwrap());
    for tx in txs {
        raw.extend(hex::decode(tx["hex"].as_str().unwrap()).unwrap());
    }
    verify_block(&raw).unwrap();
    let ours = serde_json::to_value(block_json(&raw, Network::Signet).unwrap()).unwrap();
    for field in [
        "hash",
        "strippedsize",
        "size",
        "weight",
        "version",
        "versionHex",
        "merkleroot",
        "time",
        "nonce",
        "bits",
        "nTx",
        "previousblockhash",
    ] {
        assert_eq!(ours[field], core[field], "{field}");
    }
    assert!((ours["difficulty"].as_f64().unwrap() - core["difficulty"].as_f64().unwrap()).abs() < 1e-15);
    for (our_tx, core_tx) in ours["tx"].as_array().unwrap().iter().zip(txs) {
        for field in ["txid", "hash", "version", "size", "vsize", "weight", "locktime", "hex"] {
            assert_eq!(our_tx[field], core_tx[field], "tx {} {field}", core_tx["txid"]);
        }
        for (our_in, core_in) in our_tx["vin"].as_array().unwrap().iter().zip(core_tx["vin"].as_array().unwrap()) {
            for field in ["coinbase", "txid", "vout", "scriptSig", "txinwitness", "sequence"] {
                assert_eq!(our_in.get(field), core_in.get(field), "tx {} vin {field}", core_tx["txid"]);
            }
        }
        for (our_out, core_out) in our_tx["vout"].as_array().unwrap().iter().zip(core_tx["vout"].as_array().unwrap()) {
            assert_eq!(our_out["n"], core_out["n"]);
            assert_eq!(our_out["value"].to_string(), core_out["value"].to_string(), "tx {}", core_tx["txid"]);
            let (ours, core) = (&our_out["scriptPubKey"], &core_out["scriptPubKey"]);
            for field in ["asm", "hex", "type"] {
                assert_eq!(ours[field], core[field], "tx {} {field}", core_tx["txid"]);
            }
            // This Core (0.21.0, Feb 2021) printed "addresses": [..] where current versions
            // print "address", and encoded v1 programs in bech32: BIP 350 (bech32m, Core
            // 0.21.1) came later. For v1 outputs, check that both name the same program.
            let core_address = core["addresses"][0].as_str();
            let our_address = ours["address"].as_str();
            if core["type"] == "witness_v1_taproot" {
                let program = bitcoin::bech32::segwit::decode(our_address.unwrap()).unwrap().2;
                assert_eq!(program, hex::decode(&core["hex"].as_str().unwrap()[4..]).unwrap());
            } else {
                assert_eq!(our_address, core_address);
                assert_eq!(ours["desc"], core["desc"]);
            }
        }
    }
}

#[test]
fn testnet_block_decodes_with_testnet_addresses() {
    let dir = fixtures().join("real/blocks");
    let bytes =
        read_bytes(&dir.join("testnet3_924634_000000000000045e0b1660b6445b5e5c5ab63c9a4f956be7e1e69be04fa4497b.raw"));
    let json = serde_json::to_value(block_json(&bytes, Network::Testnet3).unwrap()).unwrap();
    let addresses: Vec<&str> = json["tx"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|tx| tx["vout"].as_array().unwrap())
        .filter_map(|o| o["scriptPubKey"]["address"].as_str())
        .collect();
    assert_eq!(addresses.len(), 25, "13 p2pkh + 12 p2sh outputs have addresses");
    assert!(addresses.iter().all(|a| a.starts_with('m') || a.starts_with('n') || a.starts_with('2')), "{addresses:?}");
}
