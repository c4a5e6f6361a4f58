//! The simulator's output is a real blocks directory: the reader finds the tip and
//! stale blocks the truth names, every output's address is in the truth, stolen
//! value is conserved, and a seed gives byte-identical files.

use chain::block_map::BlockMap;
use chain::scan::{ScanOptions, scan};
use chain::script::{Destination, classify};
use chain::tx::{TxOut, TxVisitor};
use chain::{BlocksDir, Network, decode_block};
use serde_json::Value;
use sim::{Length, Profile, SimConfig, simulate};
use std::collections::HashSet;
use std::path::Path;

fn run(dir: &Path, seed: u64, xor: bool, thief_scripts: Vec<Vec<u8>>) -> Value {
    let config = SimConfig {
        out_dir: dir.to_owned(),
        seed,
        profile: Profile::SMALL,
        length: Length::Blocks(300),
        xor,
        thief_scripts,
        whirlpool_pools: Vec::new(),
        truth: sim::TruthLevel::Full,
    };
    simulate(&config, &|_| {}).unwrap();
    serde_json::from_slice(&std::fs::read(dir.join("ground_truth.json")).unwrap()).unwrap()
}

#[test]
fn reader_finds_the_truths_tip_and_stale_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let truth = run(dir.path(), 7, true, Vec::new());
    assert!(dir.path().join("blocks/xor.dat").exists());
    let blocks = BlocksDir::open(&dir.path().join("blocks"), Network::Regtest).unwrap();
    let report = scan(&blocks, ScanOptions { verify: true }, &|_| {}).unwrap();
    let tip = report.tip.unwrap();
    assert_eq!(tip.hash.to_string(), truth["chain"]["tip_hash"].as_str().unwrap());
    assert_eq!(u64::from(tip.height), truth["chain"]["tip_height"].as_u64().unwrap());
    assert_eq!(tip.height, 300);
    let stale: HashSet<String> = report.stale_blocks.iter().map(|b| b.hash.to_string()).collect();
    let expected: HashSet<String> = truth["chain"]["stale_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["hash"].as_str().unwrap().to_owned())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(stale, expected);
    assert_eq!(report.transactions, truth["counts"]["main_chain_txs"].as_u64().unwrap());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let main: Vec<&str> =
        truth["chain"]["main_chain"].as_array().unwrap().iter().map(|b| b["hash"].as_str().unwrap()).collect();
    let map = BlockMap::read(&blocks).unwrap();
    let found: Vec<String> = map.main_chain().map(|(_, n)| n.header.hash.to_string()).collect();
    assert_eq!(found, main);
}

/// Every main-chain output's address, or its script in hex when it has none.
struct OutputKeys(HashSet<String>);

impl TxVisitor<'_> for OutputKeys {
    fn output(&mut self, _: usize, out: &TxOut<'_>) {
        match classify(out.script_pubkey) {
            Destination::NullData(_) | Destination::PubKey(_) => {}
            Destination::Multisig(_) | Destination::NonStandard => {
                self.0.insert(out.script_pubkey.iter().map(|b| format!("{b:02x}")).collect());
            }
            other => {
                self.0.extend(chain::address::encode(&other, Network::Regtest));
            }
        }
    }
}

#[test]
fn every_output_address_is_in_the_truth_and_stolen_value_is_conserved() {
    let dir = tempfile::tempdir().unwrap();
    // Two sanctioned mainnet addresses for the thief (from fixtures' OFAC list).
    let given = ["12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", "bc1qe7nk2nlnjewghgw4sgm0r89zkjzsurda7z4rdg"];
    let scripts = given.iter().map(|a| chain::address::to_script_any_network(a).unwrap()).collect();
    let truth = run(dir.path(), 11, false, scripts);

    let mut known: HashSet<String> = HashSet::new();
    for wallet in truth["wallets"].as_object().unwrap().values() {
        for a in wallet["addresses"].as_array().unwrap() {
            if let Some(s) = a["address"].as_str().or(a["script_hex"].as_str()) {
                known.insert(s.to_owned());
            }
        }
    }
    let blocks = BlocksDir::open(&dir.path().join("blocks"), Network::Regtest).unwrap();
    let map = BlockMap::read(&blocks).unwrap();
    let mut outputs = OutputKeys(HashSet::new());
    let mut buf = Vec::new();
    for (_, node) in map.main_chain() {
        blocks.read_block(&node.location, &mut buf).unwrap();
        decode_block(&buf, &mut outputs).unwrap();
    }
    let missing: Vec<&String> = outputs.0.iter().filter(|a| !known.contains(*a)).collect();
    assert!(
        missing.is_empty(),
        "{} output addresses not in the truth, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(3)]
    );
    // The given addresses were used, under their regtest encoding.
    for address in given {
        let script = chain::address::to_script_any_network(address).unwrap();
        let regtest = chain::address::of_script(&script, Network::Regtest).unwrap();
        assert!(outputs.0.contains(&regtest), "{address} unused");
    }

    // Conservation: every stolen satoshi reached a wallet, paid a fee or sits unspent.
    let stolen = &truth["stolen_value"];
    let total = stolen["total_sats"].as_u64().unwrap();
    let to_wallets: u64 = stolen["to_wallets_sats"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    let accounted = to_wallets
        + stolen["miner_fees_sats"].as_u64().unwrap()
        + stolen["coinjoin_costs_sats"].as_u64().unwrap()
        + stolen["dormant_sats"].as_u64().unwrap();
    assert_eq!(accounted, total);
    let thefts: u64 =
        truth["thefts"][0]["stolen_outputs"].as_array().unwrap().iter().map(|o| o["sats"].as_u64().unwrap()).sum();
    assert_eq!(thefts, total);
    // The flows agree with the summary, and each flow balances.
    let mut flow_total = 0;
    for flow in truth["laundering_flows"].as_array().unwrap() {
        let dest: u64 = flow["destinations"].as_array().unwrap().iter().map(|d| d["sats"].as_u64().unwrap()).sum();
        let (input, output, fee) = (
            flow["attacker_in_sats"].as_u64().unwrap(),
            flow["attacker_out_sats"].as_u64().unwrap(),
            flow["fee_share_sats"].as_u64().unwrap(),
        );
        assert_eq!(input, output + dest + fee, "{flow}");
        flow_total += dest;
    }
    assert_eq!(flow_total, to_wallets);
    let dormant: u64 =
        truth["dormant_stolen_outputs"].as_array().unwrap().iter().map(|o| o["sats"].as_u64().unwrap()).sum();
    assert_eq!(dormant, stolen["dormant_sats"].as_u64().unwrap());
    // Cash-outs reached exchanges other than the victim, through every route.
    let cashouts = truth["cashouts"].as_array().unwrap();
    let sources: HashSet<&str> = cashouts.iter().map(|c| c["source"].as_str().unwrap()).collect();
    for route in ["peel", "direct", "whirlpool", "wasabi", "wabisabi", "joinmarket"] {
        assert!(sources.contains(route), "no cash-out via {route}: {sources:?}");
    }
    let victim = truth["thefts"][0]["victim"].as_str().unwrap();
    assert!(cashouts.iter().all(|c| c["exchange"] != victim));
}

#[test]
fn one_seed_gives_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(a.path(), 3, true, Vec::new());
    run(b.path(), 3, true, Vec::new());
    for name in ["blocks/blk00000.dat", "blocks/xor.dat", "ground_truth.json"] {
        let (x, y) = (std::fs::read(a.path().join(name)).unwrap(), std::fs::read(b.path().join(name)).unwrap());
        assert!(x == y, "{name} differs");
    }
    // Another seed, another chain.
    let c = tempfile::tempdir().unwrap();
    run(c.path(), 4, true, Vec::new());
    assert_ne!(
        std::fs::read(a.path().join("blocks/blk00000.dat")).unwrap(),
        std::fs::read(c.path().join("blocks/blk00000.dat")).unwrap()
    );
}

/// The compact truth holds what the full one says of kinds and owners, line by
/// line: each main-chain block's transaction kinds in block order, and each
/// address's wallet. The blocks do not depend on the truth written, and a run
/// without truth leaves no earlier truth behind.
#[test]
fn the_compact_truth_holds_the_full_truths_kinds_and_owners() {
    let dir = tempfile::tempdir().unwrap();
    let full = run(dir.path(), 6, false, Vec::new());
    let blocks = std::fs::read(dir.path().join("blocks/blk00000.dat")).unwrap();
    let config = |truth| SimConfig {
        out_dir: dir.path().to_owned(),
        seed: 6,
        profile: Profile::SMALL,
        length: Length::Blocks(300),
        xor: false,
        thief_scripts: Vec::new(),
        whirlpool_pools: Vec::new(),
        truth,
    };
    let summary = simulate(&config(sim::TruthLevel::Compact), &|_| {}).unwrap();
    let path = dir.path().join("ground_truth.compact.jsonl.zst");
    assert_eq!(summary.ground_truth.as_deref(), Some(path.as_path()));
    assert!(!dir.path().join("ground_truth.json").exists(), "the full truth of the earlier run is gone");
    assert_eq!(std::fs::read(dir.path().join("blocks/blk00000.dat")).unwrap(), blocks);
    let text = String::from_utf8(zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap()).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["schema"], "chainsleuth-compact-truth");

    // Kinds: the full truth's transactions by (height, index in block).
    let mut by_block: std::collections::BTreeMap<u64, Vec<(u64, String)>> = Default::default();
    for tx in full["transactions"].as_object().unwrap().values() {
        let at = (tx["index_in_block"].as_u64().unwrap(), tx["kind"].as_str().unwrap().to_owned());
        by_block.entry(tx["height"].as_u64().unwrap()).or_default().push(at);
    }
    let expected: Vec<(u64, Vec<String>)> = by_block
        .into_iter()
        .map(|(h, mut txs)| {
            txs.sort();
            (h, txs.into_iter().map(|(_, k)| k).collect())
        })
        .collect();
    let compact: Vec<(u64, Vec<String>)> = lines
        .iter()
        .filter(|l| l.get("block").is_some())
        .map(|l| (l["block"].as_u64().unwrap(), serde_json::from_value(l["kinds"].clone()).unwrap()))
        .collect();
    assert!(expected.len() > 250, "{} blocks", expected.len());
    assert_eq!(compact, expected);

    // Owners: every address of every wallet, with its wallet and whether it is change.
    let names: Vec<String> =
        lines.iter().filter(|l| l.get("wallet").is_some()).map(|l| l["name"].as_str().unwrap().to_owned()).collect();
    let mut owners: Vec<(String, String, bool)> = lines
        .iter()
        .filter(|l| l.is_array())
        .map(|l| (l[0].as_str().unwrap().to_owned(), names[l[1].as_u64().unwrap() as usize].clone(), l[2] == true))
        .collect();
    let mut expected: Vec<(String, String, bool)> = Vec::new();
    for (wallet, w) in full["wallets"].as_object().unwrap() {
        for a in w["addresses"].as_array().unwrap() {
            let subject = a["address"]
                .as_str()
                .map_or_else(|| format!("script:{}", a["script_hex"].as_str().unwrap()), str::to_owned);
            expected.push((subject, wallet.clone(), a["internal"] == true));
        }
    }
    owners.sort();
    expected.sort();
    assert!(expected.len() > 1000);
    assert_eq!(owners, expected);
    let sections: Vec<&str> = lines.iter().filter_map(|l| l["section"].as_str()).collect();
    for section in ["thefts", "coinjoins", "chain"] {
        assert!(sections.contains(&section), "{sections:?}");
    }
    let full_bytes = serde_json::to_vec(&full).unwrap().len() as u64;
    let compact_bytes = std::fs::metadata(&path).unwrap().len();
    eprintln!(
        "truth bytes: full {full_bytes}, compact {compact_bytes} ({:.1}x smaller)",
        full_bytes as f64 / compact_bytes as f64
    );
    assert!(compact_bytes * 5 < full_bytes, "compact {compact_bytes} vs full {full_bytes}");

    let none = simulate(&config(sim::TruthLevel::None), &|_| {}).unwrap();
    assert_eq!(none.ground_truth, None);
    assert!(!path.exists() && !dir.path().join("ground_truth.json").exists());
    assert_eq!(std::fs::read(dir.path().join("blocks/blk00000.dat")).unwrap(), blocks);
}
