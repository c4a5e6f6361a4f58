//! The regtest chain written by Bitcoin Core's own wallets (xor-obfuscated, with a
//! stale block), from both its in-order and its out-of-order blocks directory.

mod common;

use chain::address;
use chain::block_map::BlockMap;
use chain::scan::{ScanOptions, ScanReport, scan};
use chain::script::{Destination, classify};
use chain::tx::{TxOut, TxVisitor};
use chain::{BlocksDir, Network, decode_block};
use common::*;
use std::collections::HashSet;

fn ground_truth() -> serde_json::Value {
    read_json(&fixtures().join("regtest/small/ground_truth.json"))
}

fn scan_dir(name: &str) -> ScanReport {
    let dir = BlocksDir::open(&fixtures().join("regtest/small").join(name), Network::Regtest).unwrap();
    scan(&dir, ScanOptions { verify: true }, &|_| {}).unwrap()
}

#[test]
fn both_directories_give_the_ground_truth_tip_and_stale_block() {
    let truth = ground_truth();
    let stale = &truth["chain"]["stale_blocks"][0];
    for name in ["blocks", "blocks_ooo"] {
        let report = scan_dir(name);
        let tip = report.tip.unwrap();
        assert_eq!(tip.hash.to_string(), truth["chain"]["tip_hash"].as_str().unwrap(), "{name}");
        assert_eq!(u64::from(tip.height), truth["chain"]["tip_height"].as_u64().unwrap(), "{name}");
        assert_eq!(report.stale_blocks.len(), 1, "{name}");
        assert_eq!(report.stale_blocks[0].hash.to_string(), stale["hash"].as_str().unwrap(), "{name}");
        assert_eq!(u64::from(report.stale_blocks[0].height), stale["height"].as_u64().unwrap(), "{name}");
        assert_eq!(report.transactions, truth["counts"]["main_chain_txs"].as_u64().unwrap(), "{name}");
        assert_eq!(
            report.transactions_decoded,
            truth["file_check"]["blocks"]["txs_in_files"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(report.blocks_read as u64, truth["counts"]["blocks_in_files"].as_u64().unwrap(), "{name}");
        assert!(report.orphan_blocks.is_empty() && report.warnings.is_empty(), "{name}: {:?}", report.warnings);
    }
    assert_eq!(scan_dir("blocks_ooo").files, 6);
}

#[test]
fn block_map_agrees_with_scan() {
    let truth = ground_truth();
    for name in ["blocks", "blocks_ooo"] {
        let dir = BlocksDir::open(&fixtures().join("regtest/small").join(name), Network::Regtest).unwrap();
        let map = BlockMap::read(&dir).unwrap();
        let main: Vec<String> = map.main_chain().map(|(_, node)| node.header.hash.to_string()).collect();
        let expected: Vec<&str> =
            truth["chain"]["main_chain"].as_array().unwrap().iter().map(|b| b["hash"].as_str().unwrap()).collect();
        assert_eq!(main, expected, "{name}");
        assert_eq!(map.stale().count(), 1);
        assert_eq!(map.tip(), scan_dir(name).tip);
    }
}

/// Collects the addresses of outputs (P2PK under its key's P2PKH address).
struct Addresses(HashSet<String>);

impl TxVisitor<'_> for Addresses {
    fn output(&mut self, _: usize, out: &TxOut<'_>) {
        let destination = classify(out.script_pubkey);
        let address = match destination {
            Destination::PubKey(key) => Some(address::p2pkh_of_pubkey(key, Network::Regtest)),
            other => address::encode(&other, Network::Regtest),
        };
        self.0.extend(address);
    }
}

#[test]
fn every_address_seen_on_chain_is_a_main_chain_output() {
    let truth = ground_truth();
    let dir = BlocksDir::open(&fixtures().join("regtest/small/blocks_ooo"), Network::Regtest).unwrap();
    let map = BlockMap::read(&dir).unwrap();
    let mut main = Addresses(HashSet::new());
    let mut buf = Vec::new();
    for (_, node) in map.main_chain() {
        dir.read_block(&node.location, &mut buf).unwrap();
        decode_block(&buf, &mut main).unwrap();
    }
    let mut seen = 0;
    for (wallet, w) in truth["wallets"].as_object().unwrap() {
        for a in w["addresses"].as_array().unwrap() {
            let addr = a["address"].as_str().unwrap();
            if a["seen_on_chain"].as_bool().unwrap() {
                assert!(main.0.contains(addr), "{wallet} {addr}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, truth["counts"]["addresses_seen_on_chain"].as_u64().unwrap());

    // miner_b mined only the stale block: its address is in no main-chain output.
    let miner_b = truth["wallets"]["miner_b"]["addresses"][0]["address"].as_str().unwrap();
    assert!(!main.0.contains(miner_b));
    let (_, stale) = map.stale().next().unwrap();
    dir.read_block(&stale.location, &mut buf).unwrap();
    let mut in_stale = Addresses(HashSet::new());
    decode_block(&buf, &mut in_stale).unwrap();
    assert!(in_stale.0.contains(miner_b));
}
