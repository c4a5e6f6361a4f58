//! Every CoinJoin among the real transactions is named with its protocol, and no
//! other real transaction is called one; in the real mainnet blocks, the list of
//! transactions called CoinJoins is pinned with the reasons for each.

use analysis::coinjoin::{InputShape, OutputShape, Protocol, TxShape, classify};
use analysis::facts::LoneTx;
use chain::Transaction;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read_hex(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    (0..text.trim().len()).step_by(2).map(|i| u8::from_str_radix(&text.trim()[i..i + 2], 16).unwrap()).collect()
}

/// The protocol a fixture kind names (`None` for non-CoinJoins).
fn expected(kind: &str) -> Option<Option<Protocol>> {
    match kind {
        "coinjoin.whirlpool.mix" => Some(Some(Protocol::Whirlpool)),
        "coinjoin.whirlpool.tx0" => Some(Some(Protocol::WhirlpoolTx0)),
        "coinjoin.wasabi1" => Some(Some(Protocol::Wasabi1)),
        "coinjoin.wasabi2.wabisabi" => Some(Some(Protocol::Wasabi2)),
        "coinjoin.joinmarket" => Some(Some(Protocol::Joinmarket)),
        // Transactions from Whirlpool's test suite that are neither mix nor Tx0.
        "other.whirlpool_test_context" => None,
        _ => Some(None),
    }
}

fn classify_lone(tx: &Transaction<'_>) -> Option<analysis::Verdict> {
    classify(&LoneTx::of(tx).shape())
}

#[test]
fn every_real_coinjoin_is_named_and_nothing_else_is() {
    let dir = fixtures().join("real/tx");
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let mut coinjoins = 0;
    for entry in index.as_array().unwrap() {
        let kind = entry["kind"].as_str().unwrap();
        let Some(want) = expected(kind) else { continue };
        let bytes = read_hex(&dir.join(entry["file"].as_str().unwrap()));
        let tx = Transaction::decode(&bytes).unwrap();
        let got = classify_lone(&tx);
        assert_eq!(got.as_ref().map(|v| v.protocol), want, "{kind} {}: {got:?}", entry["txid"]);
        coinjoins += usize::from(want.is_some());
    }
    assert_eq!(coinjoins, 25);
}

#[test]
fn spent_values_confirm_the_esplora_coinjoins() {
    // A two-party JoinMarket round is the weakest shape of all: 0.7 at best.
    for (file, protocol, min_confidence) in [
        ("whirlpool-coinjoin.json", Protocol::Whirlpool, 0.99),
        ("wabisabi-coinjoin.json", Protocol::Wasabi2, 0.8),
        ("joinmarket-coinjoin.json", Protocol::Joinmarket, 0.7),
    ] {
        let tx: Value =
            serde_json::from_slice(&std::fs::read(fixtures().join("real/tx/esplora_json").join(file)).unwrap())
                .unwrap();
        let inputs: Vec<InputShape> = tx["vin"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let script = hex(i["prevout"]["scriptpubkey"].as_str().unwrap());
                InputShape {
                    value: i["prevout"]["value"].as_u64(),
                    address: Some(index::AddressKey::of_script(&script).fingerprint()),
                }
            })
            .collect();
        let outputs: Vec<OutputShape> = tx["vout"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let script = hex(o["scriptpubkey"].as_str().unwrap());
                OutputShape {
                    value: o["value"].as_u64().unwrap(),
                    class: chain::script::script_class(&script),
                    address: index::AddressKey::of_script(&script).fingerprint(),
                    data_len: 0,
                }
            })
            .collect();
        let shape = TxShape {
            version: tx["version"].as_u64().unwrap() as u32,
            rbf: tx["vin"].as_array().unwrap().iter().any(|i| i["sequence"].as_u64().unwrap() < 0xffff_fffe),
            lock_time: tx["locktime"].as_u64().unwrap() as u32,
            height: tx["status"]["block_height"].as_u64().map(|h| h as u32),
            coinbase: false,
            inputs: &inputs,
            outputs: &outputs,
        };
        let verdict = classify(&shape).unwrap_or_else(|| panic!("{file} not classified"));
        assert_eq!(verdict.protocol, protocol, "{file}");
        assert!(verdict.confidence >= min_confidence, "{file}: {verdict:?}");
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// Every transaction of the real mainnet blocks that a classifier calls a CoinJoin,
/// judged from the transaction alone. Each is justified in docs/entities.md.
#[test]
fn coinjoins_in_the_real_mainnet_blocks_are_pinned() {
    let dir = fixtures().join("real/blocks");
    let mut found: Vec<String> = Vec::new();
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names.iter().filter(|n| n.starts_with("mainnet_") && (n.ends_with(".raw") || n.ends_with(".hex"))) {
        let path = dir.join(name);
        let bytes = if name.ends_with(".hex") { read_hex(&path) } else { std::fs::read(&path).unwrap() };
        struct Offsets(Vec<usize>);
        impl chain::TxVisitor<'_> for Offsets {
            fn tx_end(&mut self, _: usize, tx: &chain::TxInfo<'_>) {
                self.0.push(tx.offset);
            }
        }
        let mut offsets = Offsets(Vec::new());
        chain::decode_block(&bytes, &mut offsets).unwrap();
        for (i, &offset) in offsets.0.iter().enumerate() {
            let tx = Transaction::decode_at(&bytes, offset, i).unwrap();
            if let Some(v) = classify_lone(&tx) {
                if std::env::var_os("SHOW_REASONS").is_some() {
                    eprintln!(
                        "{} {} {} {:.2} {} in {} out: {}",
                        &name[..14],
                        tx.info.txid,
                        v.protocol.name(),
                        v.confidence,
                        tx.inputs.len(),
                        tx.outputs.len(),
                        v.reasons.join("; ")
                    );
                }
                found.push(format!("{} {} {}", &name[..14], tx.info.txid, v.protocol.name()));
            }
        }
    }
    let expected: Vec<String> =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mainnet_block_coinjoins.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .collect();
    assert_eq!(found, expected);
}
