//! Every CoinJoin among the real transactions is named with its protocol, and no
//! other real transaction is called one; in every real block, the list of
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

/// The raw blocks of a real block file: one block (`.raw`, `.hex`), a blk*.dat run
/// of framed blocks (`.dat`), or the transactions of a `getblock` verbosity-3
/// JSON (returned as one pseudo-block of transactions).
enum RealBlocks {
    Blocks(Vec<Vec<u8>>),
    Transactions(Vec<Vec<u8>>),
}

fn real_blocks(path: &Path) -> Option<RealBlocks> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".raw") {
        return Some(RealBlocks::Blocks(vec![std::fs::read(path).unwrap()]));
    }
    if name.ends_with(".hex") {
        return Some(RealBlocks::Blocks(vec![read_hex(path)]));
    }
    if name.ends_with(".dat") {
        // blk*.dat framing: magic, little-endian length, block.
        let bytes = std::fs::read(path).unwrap();
        let mut blocks = Vec::new();
        let mut at = 0;
        while at + 8 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
            blocks.push(bytes[at + 8..at + 8 + len].to_vec());
            at += 8 + len;
        }
        return Some(RealBlocks::Blocks(blocks));
    }
    if name.ends_with(".json") {
        let block: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let txs = block["tx"].as_array()?.iter().map(|t| hex(t["hex"].as_str().unwrap())).collect();
        return Some(RealBlocks::Transactions(txs));
    }
    None
}

/// Every transaction of every real block file (fixtures/real/blocks: mainnet,
/// testnet3, blocks 1-255, the signet block) that a classifier calls a CoinJoin,
/// judged from the transaction alone. Each is justified in docs/entities.md.
#[test]
fn coinjoins_in_the_real_blocks_are_pinned() {
    let dir = fixtures().join("real/blocks");
    let mut found: Vec<String> = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("rpc_json")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut judged = 0;
    for path in &paths {
        let Some(blocks) = real_blocks(path) else { continue };
        let name = path.file_name().unwrap().to_string_lossy();
        // The file's block: its first two fields (`mainnet_413567`, `signet_26808`).
        let label = name.split('_').take(2).collect::<Vec<_>>().join("_");
        let txs: Vec<Vec<u8>> = match blocks {
            RealBlocks::Transactions(txs) => txs,
            RealBlocks::Blocks(blocks) => blocks.iter().flat_map(|block| block_transactions(block)).collect(),
        };
        for bytes in &txs {
            let tx = Transaction::decode(bytes).unwrap();
            judged += 1;
            if let Some(v) = classify_lone(&tx) {
                if std::env::var_os("SHOW_REASONS").is_some() {
                    eprintln!(
                        "{label} {} {} {:.2} {} in {} out: {}",
                        tx.info.txid,
                        v.protocol.name(),
                        v.confidence,
                        tx.inputs.len(),
                        tx.outputs.len(),
                        v.reasons.join("; ")
                    );
                }
                found.push(format!("{label} {} {}", tx.info.txid, v.protocol.name()));
            }
        }
    }
    let expected: Vec<String> =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_block_coinjoins.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .collect();
    assert_eq!(found, expected);
    eprintln!("{judged} real transactions judged, {} called CoinJoins", found.len());
    // Every transaction of the six mainnet blocks, blocks 1-255, the testnet3 and the
    // signet block.
    assert_eq!(judged, 6_695, "the audit reads every real block");
}

/// The serialized transactions of a block.
fn block_transactions(block: &[u8]) -> Vec<Vec<u8>> {
    struct Txs(Vec<Vec<u8>>);
    impl chain::TxVisitor<'_> for Txs {
        fn tx_end(&mut self, _: usize, tx: &chain::TxInfo<'_>) {
            self.0.push(tx.bytes.to_vec());
        }
    }
    let mut txs = Txs(Vec::new());
    chain::decode_block(block, &mut txs).unwrap();
    txs.0
}
