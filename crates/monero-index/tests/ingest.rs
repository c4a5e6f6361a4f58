//! Ingest of the real regtest chain (monerod 0.18 and its wallets) from its blob
//! directory: counts, global indices equal to the daemon's, incremental runs,
//! reorgs, and bad input that leaves the last commit.

use monero_index::{BlobDir, IngestOptions, Store, ingest};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/monero-regtest")
}

fn run(dir: &Path, blobs: &Path, until: Option<u64>) -> monero_index::Result<monero_index::IngestReport> {
    let mut source = BlobDir::new(blobs)?;
    let opts = IngestOptions { until_height: until, commit_blocks: 100, ..IngestOptions::default() };
    ingest(dir, &mut source, &opts, &|_, _| {})
}

#[test]
fn the_whole_chain_with_the_daemons_output_indices() {
    let tmp = tempfile::tempdir().unwrap();
    let report = run(tmp.path(), &fixture(), None).unwrap();
    assert_eq!((report.blocks_after, report.txs, report.inputs, report.outputs), (985, 1931, 2830, 4106));
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(store.members.len(), 45_280);
    // Every output's global index equals what the daemon reported.
    let text = std::fs::read_to_string(fixture().join("txs_decoded.jsonl")).unwrap();
    let mut checked = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let hash = monero::Hash32::from_hex(v["txid"].as_str().unwrap()).unwrap();
        let tx = store.tx_by_hash(&hash.0).unwrap();
        let got: Vec<u64> = store.tx_outputs(tx).map(|o| store.outputs[o as usize].global_index).collect();
        let want: Vec<u64> = v["output_indices"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
        assert_eq!(got, want, "{hash}");
        assert_eq!(u64::from(store.txs[tx as usize].height), v["block_height"].as_u64().unwrap());
        checked += 1;
    }
    assert_eq!(checked, 1931);
    // The genesis output is the one output outside the RingCT index.
    assert_eq!(store.outputs.iter().filter(|o| !o.rct).count(), 1);
}

#[test]
fn ring_members_resolve_to_the_outputs_the_truth_names() {
    let tmp = tempfile::tempdir().unwrap();
    run(tmp.path(), &fixture(), None).unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("ground_truth.json")).unwrap()).unwrap();
    for t in truth["transactions"].as_array().unwrap().iter().filter(|t| !t["coinbase"].as_bool().unwrap()) {
        for input in t["inputs"].as_array().unwrap() {
            let ki = monero::Hash32::from_hex(input["key_image"].as_str().unwrap()).unwrap();
            let n = store.input_by_key_image(&ki.0).unwrap();
            let ring = store.ring(n);
            let real = ring[input["true_index"].as_u64().unwrap() as usize];
            let o = store.outputs[real as usize];
            assert_eq!(hex::encode(o.key), input["true_source_output_key"].as_str().unwrap());
            assert_eq!(hex::encode(store.txs[o.tx as usize].hash), input["true_source_txid"].as_str().unwrap());
        }
    }
}

#[test]
fn incremental_runs_equal_one_run() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(a.path(), &fixture(), None).unwrap();
    for until in [0, 135, 500, 984] {
        run(b.path(), &fixture(), Some(until)).unwrap();
    }
    let again = run(b.path(), &fixture(), None).unwrap();
    assert_eq!(again.txs, 0, "a re-run adds nothing");
    let (a, b) = (Store::open(a.path()).unwrap(), Store::open(b.path()).unwrap());
    assert_eq!(a.digest(), b.digest());
    // The checksums extended commit by commit equal those of one commit.
    let crc = |s: &Store| s.manifest().and_then(|m| m.crc32);
    assert!(crc(&a).is_some());
    assert_eq!(crc(&a), crc(&b));
}

/// A flipped byte or a lost row in any committed row file is refused on open,
/// naming the file, never answered from.
#[test]
fn a_damaged_row_file_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    run(tmp.path(), &fixture(), None).unwrap();
    for (name, _) in monero_index::store::FILES {
        let path = tmp.path().join(name);
        let saved = std::fs::read(&path).unwrap();
        let mut bytes = saved.clone();
        bytes[saved.len() / 2] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let err = Store::open(tmp.path()).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains("damaged"), "{err}");
        std::fs::write(&path, &saved[..saved.len() - 1]).unwrap();
        let err = Store::open(tmp.path()).unwrap_err().to_string();
        assert!(err.contains(name), "{err}");
        std::fs::write(&path, &saved).unwrap();
    }
    assert!(Store::open(tmp.path()).is_ok());
}

/// A copy of the fixture whose last blocks (coinbase-only from 973 on) are
/// replaced from `fork_at` by blocks with another nonce: a competing branch.
fn forked_copy(fork_at: u64, to: &Path, length: u64) {
    let src = fixture();
    std::fs::create_dir_all(to.join("blocks")).unwrap();
    std::os::unix::fs::symlink(src.join("txs"), to.join("txs")).unwrap();
    let mut prev: Option<[u8; 32]> = None;
    for h in 0..length {
        let text = std::fs::read_to_string(src.join(format!("blocks/{h:06}.hex"))).unwrap();
        let mut blob = hex::decode(text.trim()).unwrap();
        if h >= fork_at {
            // Header: major, minor, timestamp varints, prev_id, nonce.
            let mut r = monero::varint::Reader::new(&blob);
            for _ in 0..3 {
                r.varint(&String::new).unwrap();
            }
            let at = r.pos();
            blob[at..at + 32].copy_from_slice(&prev.unwrap());
            blob[at + 32] ^= 0x5a;
        }
        prev = Some(monero::decode_block(&blob).unwrap().id.0);
        std::fs::write(to.join(format!("blocks/{h:06}.hex")), hex::encode(&blob)).unwrap();
    }
}

#[test]
fn a_competing_branch_rolls_back_to_the_fork_point() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    run(&index, &fixture(), None).unwrap();
    let before = Store::open(&index).unwrap();
    // A longer competing branch from 978.
    let fork = tmp.path().join("fork");
    forked_copy(978, &fork, 985);
    let report = run(&index, &fork, None).unwrap();
    assert_eq!(report.rolled_back_to, Some(978));
    assert_eq!(report.blocks_after, 985);
    let after = Store::open(&index).unwrap();
    assert_ne!(after.blocks[980].id, before.blocks[980].id);
    assert_eq!(after.blocks[977].id, before.blocks[977].id);
    assert_eq!(after.counts().txs, before.counts().txs);
    // And back again: same digest as a fresh index of the original.
    run(&index, &fixture(), None).unwrap();
    let again = Store::open(&index).unwrap();
    assert_eq!(again.digest(), before.digest());
    // The rollbacks recomputed the checksums of what they kept.
    assert_eq!(again.manifest().unwrap().crc32, before.manifest().unwrap().crc32);
}

#[test]
fn a_malformed_transaction_names_height_txid_field_and_offset_and_keeps_the_last_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let blobs = tmp.path().join("blobs");
    std::fs::create_dir_all(blobs.join("txs")).unwrap();
    std::os::unix::fs::symlink(fixture().join("blocks"), blobs.join("blocks")).unwrap();
    for e in std::fs::read_dir(fixture().join("txs")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), blobs.join("txs").join(e.file_name())).unwrap();
    }
    // The first transaction of block 136 with a ring member index cut short.
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("ground_truth.json")).unwrap()).unwrap();
    let txid = truth["blocks"][136]["txids"][0].as_str().unwrap().to_owned();
    let path = blobs.join(format!("txs/{txid}.hex"));
    let hex_text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &hex_text[..200]).unwrap();
    let index = tmp.path().join("index");
    let err = run(&index, &blobs, None).unwrap_err().to_string();
    assert!(
        err.contains("height 136") && err.contains(&txid) && err.contains("field") && err.contains("offset"),
        "{err}"
    );
    assert!(!err.contains('\n'));
    let store = Store::open(&index).unwrap();
    assert_eq!(store.blocks.len(), 100, "the last commit before the bad block");
    // Mended, the next run resumes.
    std::fs::write(&path, &hex_text).unwrap();
    run(&index, &blobs, None).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    run(fresh.path(), &fixture(), None).unwrap();
    assert_eq!(Store::open(&index).unwrap().digest(), Store::open(fresh.path()).unwrap().digest());
}
