//! Monero mode writes what fixtures/monero-regtest holds: every block and tx file
//! decodes with the `monero` crate and hashes to its name and its truth, every
//! ring holds its true member where the truth says and only older, unlocked
//! outputs of its amount, the truth's `spent` flags and global indices agree with
//! the spends, and a seed gives byte-identical files.

use monero::tx::from_hex;
use monero::{Input, decode_block, decode_tx};
use serde_json::Value;
use sim::monero::{MoneroEra, MoneroLength, MoneroSimOptions, simulate_monero};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

fn options(era: MoneroEra, seed: u64, inputs: u64) -> MoneroSimOptions {
    let mut o = MoneroSimOptions::new(era);
    o.seed = seed;
    o.length = MoneroLength::Inputs(inputs);
    if era == MoneroEra::Modern {
        o.txs_per_block = 8;
        o.users = 10;
    }
    o
}

fn run(dir: &Path, opts: &MoneroSimOptions) -> Value {
    let report = simulate_monero(opts, dir).unwrap();
    assert_eq!(report.ground_truth.as_deref(), Some(dir.join("ground_truth.json").as_path()));
    let truth: Value = serde_json::from_slice(&std::fs::read(dir.join("ground_truth.json")).unwrap()).unwrap();
    assert_eq!(truth["summary"]["inputs"].as_u64(), Some(report.inputs));
    assert_eq!(truth["blocks"].as_array().unwrap().len() as u64, report.blocks);
    truth
}

fn read_hex(path: &Path) -> Vec<u8> {
    from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn all_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["blocks", "txs"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            out.insert(p.strip_prefix(dir).unwrap().to_owned(), std::fs::read(&p).unwrap());
        }
    }
    out.insert("ground_truth.json".into(), std::fs::read(dir.join("ground_truth.json")).unwrap());
    out
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn list(v: &Value) -> Vec<u64> {
    v.as_array().unwrap().iter().map(u).collect()
}

/// Where and how an output was created, as the truth says.
struct Created {
    height: u64,
    coinbase: bool,
    txid: String,
    index: u64,
    key: String,
    receiver: Value,
}

/// Checks everything the files and the truth promise about each other.
fn check_chain(dir: &Path, truth: &Value, era: MoneroEra) {
    assert_eq!(truth["schema_version"], 1);
    let modern = era == MoneroEra::Modern;
    // Blocks: decode, link, and name their transactions.
    let blocks = truth["blocks"].as_array().unwrap();
    let mut prev = None;
    let mut tx_files = HashSet::new();
    for (h, b) in blocks.iter().enumerate() {
        assert_eq!(u(&b["height"]), h as u64);
        let block = decode_block(&read_hex(&dir.join(format!("blocks/{h:06}.hex")))).unwrap();
        assert_eq!(block.id.to_string(), b["hash"].as_str().unwrap());
        assert_eq!(block.height(), Some(h as u64));
        assert_eq!(block.miner_tx.hash.to_string(), b["miner_txid"].as_str().unwrap());
        assert_eq!(block.reward(), u(&b["reward"]));
        assert_eq!(block.timestamp, u(&b["timestamp"]));
        assert_eq!(block.major_version, u(&b["major_version"]));
        assert_eq!(block.miner_tx.version, if h == 0 || !modern { 1 } else { 2 });
        if let Some(p) = prev {
            assert_eq!(block.prev_id, p);
            assert!(block.timestamp > 0);
        }
        prev = Some(block.id);
        let txids: Vec<String> = b["txids"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().into()).collect();
        assert_eq!(block.tx_hashes.iter().map(ToString::to_string).collect::<Vec<_>>(), txids);
        tx_files.extend(txids);
    }
    let on_disk: HashSet<String> = std::fs::read_dir(dir.join("txs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".hex").to_owned())
        .collect();
    assert_eq!(on_disk, tx_files);

    // Outputs: global indices consecutive per amount in chain order; keys unique.
    let txs = truth["transactions"].as_array().unwrap();
    let mut next_index: HashMap<u64, u64> = HashMap::new();
    let mut outputs: HashMap<(u64, u64), Created> = HashMap::new();
    let mut keys = HashSet::new();
    for t in txs {
        let height = u(&t["block_height"]);
        for o in t["outputs"].as_array().unwrap() {
            let amount = u(&o["index_amount"]);
            let next = next_index.entry(amount).or_default();
            assert_eq!(u(&o["global_index"]), *next, "global indices in chain order");
            *next += 1;
            let key = o["output_key"].as_str().unwrap().to_owned();
            assert!(keys.insert(key.clone()), "output keys are unique");
            let coinbase = t["coinbase"].as_bool().unwrap();
            let created = Created {
                height,
                coinbase,
                txid: t["txid"].as_str().unwrap().into(),
                index: u(&o["output_index"]),
                key,
                receiver: o["receiver_wallet"].clone(),
            };
            outputs.insert((amount, u(&o["global_index"])), created);
        }
    }

    // Transactions: decode to their truth; rings sound; spends match `spent`.
    let mut key_images = HashSet::new();
    let mut spent = HashSet::new();
    let mut heights = HashMap::new();
    for b in blocks {
        heights.insert(b["miner_txid"].as_str().unwrap().to_owned(), u(&b["height"]));
    }
    for t in txs {
        let txid = t["txid"].as_str().unwrap();
        let height = u(&t["block_height"]);
        if t["coinbase"].as_bool().unwrap() {
            assert_eq!(heights.get(txid), Some(&height));
            assert!(t["inputs"].as_array().unwrap().is_empty());
            continue;
        }
        let tx = decode_tx(&read_hex(&dir.join(format!("txs/{txid}.hex")))).unwrap();
        assert_eq!(tx.hash.to_string(), txid);
        assert_eq!(tx.version, u(&t["version"]));
        assert_eq!(tx.fee, u(&t["fee"]));
        assert_eq!(tx.rct_type.map(|r| r as u64), t["rct_type"].as_u64());
        assert_eq!(tx.outputs.len(), t["outputs"].as_array().unwrap().len());
        for (o, want) in tx.outputs.iter().zip(t["outputs"].as_array().unwrap()) {
            assert_eq!(hex::encode(o.key), want["output_key"].as_str().unwrap());
            assert_eq!(o.view_tag.is_some(), modern);
            assert_eq!(o.amount, u(&want["cleartext_amount"]));
        }
        let inputs = t["inputs"].as_array().unwrap();
        assert_eq!(tx.inputs.len(), inputs.len());
        for (input, want) in tx.inputs.iter().zip(inputs) {
            let Input::ToKey { amount, key_offsets, key_image } = input else { panic!("{txid}: gen input") };
            assert_eq!(hex::encode(key_image), want["key_image"].as_str().unwrap());
            assert!(key_images.insert(*key_image), "key images are unique");
            assert_eq!(key_offsets, &list(&want["key_offsets"]));
            let ring = list(&want["ring"]);
            assert_eq!(input.ring().unwrap(), ring);
            assert!(ring.windows(2).all(|w| w[0] < w[1]), "{txid}: ring sorted ascending without duplicates");
            assert_eq!(ring.len() as u64, u(&want["ring_size"]));
            if modern {
                assert_eq!(ring.len(), 16);
                assert_eq!(*amount, 0);
            } else {
                assert!((1..=3).contains(&ring.len()));
            }
            let index_amount = if modern { 0 } else { *amount };
            let true_index = u(&want["true_index"]) as usize;
            assert_eq!(ring[true_index], u(&want["true_global_index"]));
            for &member in &ring {
                let created = outputs
                    .get(&(index_amount, member))
                    .unwrap_or_else(|| panic!("{txid}: ring member {member} of amount {index_amount} does not exist"));
                let age = height - created.height;
                assert!(age >= if created.coinbase { 60 } else { 10 }, "{txid}: member {member} is {age} blocks old");
            }
            let source = &outputs[&(index_amount, ring[true_index])];
            assert_eq!(source.txid, want["true_source_txid"].as_str().unwrap());
            assert_eq!(source.index, u(&want["true_source_output_index"]));
            assert_eq!(source.key, want["true_source_output_key"].as_str().unwrap());
            assert_eq!(source.height, u(&want["true_source_block_height"]));
            assert_eq!(source.receiver, want["spender_wallet"]);
            assert_eq!(source.receiver, t["sender_wallet"]);
            spent.insert((index_amount, ring[true_index]));
        }
    }
    for t in txs {
        for o in t["outputs"].as_array().unwrap() {
            let at = (u(&o["index_amount"]), u(&o["global_index"]));
            match o["spent"].as_bool() {
                Some(s) => assert_eq!(s, spent.contains(&at), "spent flag of {at:?}"),
                None => assert!(!spent.contains(&at) && o["receiver_wallet"].is_null()),
            }
        }
    }
    assert_eq!(spent.len() as u64, u(&truth["summary"]["outputs_spent"]));
}

#[test]
fn modern_chain_decodes_and_its_rings_are_sound() {
    let dir = tempfile::tempdir().unwrap();
    let truth = run(dir.path(), &options(MoneroEra::Modern, 3, 4_000));
    check_chain(dir.path(), &truth, MoneroEra::Modern);
    let s = &truth["summary"];
    assert!(u(&s["inputs"]) >= 4_000);
    assert_eq!(s["ring_sizes"]["16"], s["inputs"]);
    assert!(u(&s["transactions_non_coinbase"]) > 1_000);
    assert_eq!(truth["transactions"][1]["rct_type"], 0);
    assert_eq!(truth["transactions"][0]["rct_type"], Value::Null);
    assert!(truth["wallets"]["exchange"]["address"].as_str().unwrap().starts_with('4'));
}

#[test]
fn early_chain_decodes_and_chain_reactions_deduce_mixed_rings() {
    let dir = tempfile::tempdir().unwrap();
    let truth = run(dir.path(), &options(MoneroEra::Early, 5, 2_000));
    check_chain(dir.path(), &truth, MoneroEra::Early);
    // Zero-mixin elimination, repeated: outputs known spent leave other rings.
    let mut rings: Vec<(u64, Vec<u64>, u64)> = Vec::new();
    for t in truth["transactions"].as_array().unwrap() {
        for i in t["inputs"].as_array().unwrap() {
            rings.push((u(&i["amount"]), list(&i["ring"]), u(&i["true_global_index"])));
        }
    }
    let zero_mix = rings.iter().filter(|r| r.1.len() == 1).count();
    assert!(zero_mix * 5 > rings.len() && zero_mix * 5 < rings.len() * 4, "{zero_mix} of {}", rings.len());
    let mut known: HashSet<(u64, u64)> = HashSet::new();
    let mut deduced: HashMap<usize, u64> = HashMap::new();
    loop {
        let before = deduced.len();
        for (n, (amount, ring, _)) in rings.iter().enumerate() {
            if deduced.contains_key(&n) {
                continue;
            }
            let left: Vec<u64> = ring.iter().copied().filter(|m| !known.contains(&(*amount, *m))).collect();
            if let [only] = left[..] {
                deduced.insert(n, only);
                known.insert((*amount, only));
            }
        }
        if deduced.len() == before {
            break;
        }
    }
    assert!(deduced.iter().all(|(&n, &m)| rings[n].2 == m), "a deduction is always right");
    assert!(
        deduced.len() > zero_mix + (rings.len() - zero_mix) / 20,
        "{} deduced, {zero_mix} zero-mixin",
        deduced.len()
    );
    let share = truth["summary"]["outputs_spent_share"].as_f64().unwrap();
    assert!(share > 0.4, "{share}");
}

#[test]
fn a_seed_gives_byte_identical_files() {
    for era in [MoneroEra::Early, MoneroEra::Modern] {
        let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let opts = options(era, 11, 600);
        run(a.path(), &opts);
        run(b.path(), &opts);
        let files = all_files(a.path());
        assert!(files.len() > 100);
        assert!(files == all_files(b.path()), "{era:?}: same seed, same bytes");
        run(c.path(), &options(era, 12, 600));
        assert!(files != all_files(c.path()));
        // A rerun in the same directory replaces every file.
        run(b.path(), &options(era, 12, 600));
        assert!(all_files(b.path()) == all_files(c.path()), "{era:?}: a rerun leaves no stale file");
    }
}

#[test]
fn block_counts_and_no_truth() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(MoneroEra::Modern, 1, 0);
    opts.length = MoneroLength::Blocks(130);
    opts.write_truth = false;
    let report = simulate_monero(&opts, dir.path()).unwrap();
    assert_eq!(report.blocks, 130);
    assert!(report.ground_truth.is_none() && !dir.path().join("ground_truth.json").exists());
    assert_eq!(std::fs::read_dir(dir.path().join("blocks")).unwrap().count(), 130);
    assert!(report.transactions > 0);
    let last = decode_block(&read_hex(&dir.path().join("blocks/000129.hex"))).unwrap();
    assert_eq!(last.id, report.tip_hash);
}

/// Options that cannot make a chain, and a directory that cannot be written,
/// are typed errors that say why (naming the path).
#[test]
fn bad_options_and_unwritable_directories_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(MoneroEra::Modern, 1, 10);
    opts.txs_per_block = 0;
    let err = simulate_monero(&opts, dir.path()).unwrap_err();
    assert!(matches!(err, sim::SimError::Options(_)), "{err:?}");
    assert!(err.to_string().contains("at least one transaction per block"), "{err}");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let err = simulate_monero(&options(MoneroEra::Early, 1, 10), &file.join("out")).unwrap_err();
    assert!(matches!(err, sim::SimError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("a-file"), "{err}");
}
