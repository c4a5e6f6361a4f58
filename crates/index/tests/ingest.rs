//! The index against Bitcoin Core's own regtest chain and its ground truth, grown
//! step by step, reorganised, started late, and refused when of another format.

use chain::block_map::BlockMap;
use chain::encode::{InputSpec, OutputSpec, assemble_block, encode_tx};
use chain::{BlockHash, BlocksDir, Network, Txid};
use index::checksums::Checksums;
use index::{AddressKey, Index, IngestOptions, OutNum, ingest};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn truth() -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join("regtest/small/ground_truth.json")).unwrap()).unwrap()
}

fn build(blocks: &Path, data: &Path) -> index::IngestReport {
    let dir = BlocksDir::open(blocks, Network::Regtest).unwrap();
    ingest(&dir, data, &IngestOptions::default(), &|_| {}).unwrap()
}

/// The regtest fixture's blocks (main chain in height order, then the stale one),
/// de-obfuscated.
fn fixture_blocks() -> (Vec<Vec<u8>>, Vec<u8>) {
    let dir = BlocksDir::open(&fixtures().join("regtest/small/blocks"), Network::Regtest).unwrap();
    let map = BlockMap::read(&dir).unwrap();
    let read = |n: &chain::headers::Node| {
        let mut buf = Vec::new();
        dir.read_block(&n.location, &mut buf).unwrap();
        buf
    };
    let main = map.main_chain().map(|(_, n)| read(n)).collect();
    let stale = read(map.stale().next().unwrap().1);
    (main, stale)
}

/// Appends blocks as records to a blk file (plain, as without xor.dat).
fn append(path: &Path, blocks: &[&[u8]]) {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for block in blocks {
        file.write_all(&Network::Regtest.magic()).unwrap();
        file.write_all(&(block.len() as u32).to_le_bytes()).unwrap();
        file.write_all(block).unwrap();
    }
}

#[test]
fn matches_the_ground_truth_of_bitcoin_cores_wallets() {
    let data = tempfile::tempdir().unwrap();
    let report = build(&fixtures().join("regtest/small/blocks"), data.path());
    let truth = truth();
    assert_eq!(report.tip.unwrap().1.to_string(), truth["chain"]["tip_hash"].as_str().unwrap());
    assert_eq!(report.counts.txs, truth["counts"]["main_chain_txs"].as_u64().unwrap());
    assert_eq!(report.unresolved_inputs, 0);
    let index = Index::open(data.path()).unwrap();
    let mut checked = 0;
    for (txid, t) in truth["transactions"].as_object().unwrap() {
        let num = index.tx_by_txid(&txid.parse::<Txid>().unwrap()).unwrap_or_else(|| panic!("{txid} missing"));
        let row = index.tx(num);
        assert_eq!(u64::from(row.height.0), t["height"].as_u64().unwrap(), "{txid}");
        assert_eq!(row.position, t["index_in_block"].as_u64().unwrap(), "{txid}");
        if let Some(fee) = t["fee_sats"].as_u64() {
            assert_eq!(row.fee, Some(fee), "{txid}");
        }
        assert_eq!(u64::from(row.vsize()), t["vsize"].as_u64().unwrap(), "{txid}");
        let inputs: Vec<(String, u64)> = index
            .resolved_inputs(num)
            .filter_map(|(_, out)| out.map(|o| (index.address_text(o.address), o.value)))
            .collect();
        let expected: Vec<(String, u64)> = t["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["address"].as_str().unwrap().to_owned(), i["sats"].as_u64().unwrap()))
            .collect();
        assert_eq!(inputs, expected, "{txid} inputs");
        for (o, expected) in row.outputs.clone().zip(t["outputs"].as_array().unwrap()) {
            let out = index.output(OutNum(o));
            assert_eq!(out.value, expected["sats"].as_u64().unwrap(), "{txid}");
            if let Some(address) = expected["address"].as_str() {
                assert_eq!(index.address_text(out.address), address, "{txid}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 1059);
    // Stale-only transactions are not indexed.
    for txid in truth["chain"]["stale_blocks"][0]["stale_only_txids"].as_array().unwrap() {
        assert!(index.tx_by_txid(&txid.as_str().unwrap().parse().unwrap()).is_none());
    }
    // Every address's balance is its unspent outputs, and addresses resolve by string.
    for wallet in truth["wallets"].as_object().unwrap().values() {
        for a in wallet["addresses"].as_array().unwrap().iter().filter(|a| a["seen_on_chain"] == true) {
            let key = AddressKey::parse(a["address"].as_str().unwrap(), Network::Regtest).unwrap();
            let id = index.address_by_key(&key).unwrap();
            let summary = index.address_summary(id);
            let unspent: u64 = summary.unspent.iter().map(|&o| index.output(o).value).sum();
            assert_eq!(summary.balance(), unspent);
        }
    }
}

#[test]
fn out_of_order_storage_gives_the_same_index() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build(&fixtures().join("regtest/small/blocks"), a.path());
    build(&fixtures().join("regtest/small/blocks_ooo"), b.path());
    assert_eq!(Index::open(a.path()).unwrap().digest(), Index::open(b.path()).unwrap().digest());
}

#[test]
fn grows_step_by_step_through_a_reorg_to_the_one_shot_index() {
    let (main, stale) = fixture_blocks();
    let stale_height = truth()["chain"]["stale_blocks"][0]["height"].as_u64().unwrap() as usize;
    let blocks = tempfile::tempdir().unwrap();
    let blk = blocks.path().join("blk00000.dat");
    let data = tempfile::tempdir().unwrap();
    let refs: Vec<&[u8]> = main.iter().map(Vec::as_slice).collect();

    // Up to the block before the fork, then the stale block: it is the tip for now.
    append(&blk, &refs[..100]);
    assert_eq!(build(blocks.path(), data.path()).added.blocks, 100);
    append(&blk, &refs[100..stale_height]);
    append(&blk, &[&stale]);
    let report = build(blocks.path(), data.path());
    assert_eq!(report.tip.unwrap().0 as usize, stale_height);
    assert_eq!(report.added.blocks as usize, stale_height + 1 - 100);
    let stale_index = Index::open(data.path()).unwrap();
    let stale_only: Txid =
        truth()["chain"]["stale_blocks"][0]["stale_only_txids"][1].as_str().unwrap().parse().unwrap();
    assert!(stale_index.tx_by_txid(&stale_only).is_some());
    drop(stale_index);

    // The winning branch arrives: one block ties (first seen keeps the stale tip),
    // the next one wins and the index rolls back the stale block.
    append(&blk, &refs[stale_height..stale_height + 1]);
    assert!(build(blocks.path(), data.path()).rolled_back.is_none());
    append(&blk, &refs[stale_height + 1..]);
    let report = build(blocks.path(), data.path());
    assert_eq!(report.rolled_back, Some((stale_height as u32 - 1, 1)));
    assert_eq!(report.tip.unwrap().0 as usize, main.len() - 1);
    // Nothing new: nothing to do.
    assert_eq!(build(blocks.path(), data.path()).added.blocks, 0);

    let one_shot = tempfile::tempdir().unwrap();
    build(&fixtures().join("regtest/small/blocks"), one_shot.path());
    let grown = Index::open(data.path()).unwrap();
    assert!(grown.tx_by_txid(&stale_only).is_none());
    let whole = Index::open(one_shot.path()).unwrap();
    assert_eq!(grown.digest(), whole.digest());
    // The checksums followed every commit and the rollback.
    let sums = |i: &Index| Checksums::read(i.dir(), i.manifest()).unwrap().unwrap().columns;
    assert_eq!(sums(&grown), sums(&whole));
    let report = grown.verify().unwrap();
    assert!(report.checksummed && report.damage.is_empty() && report.bytes_checked > 0, "{report:?}");
}

/// A coinbase-only regtest block on `prev` at `height` paying `tag` to OP_TRUE.
fn empty_block(prev: BlockHash, height: u32, tag: u8) -> Vec<u8> {
    let script_sig = [0x02, (height & 0xff) as u8, (height >> 8) as u8, 0x01, tag];
    let input = [InputSpec {
        prev_txid: Txid::all_zeros(),
        prev_vout: u32::MAX,
        script_sig: &script_sig,
        sequence: u32::MAX,
        witness: &[],
    }];
    let output = [OutputSpec { value: 50_000, script_pubkey: &[0x51] }];
    let mut tx = Vec::new();
    let coinbase = encode_tx(&mut tx, 2, &input, &output, 0);
    assemble_block(0x2000_0000, prev, 1_800_000_000 + height, 0x207f_ffff, &[coinbase.txid], &tx).unwrap().1
}

#[test]
fn a_deep_reorg_rolls_back_spends_and_addresses() {
    let (main, _) = fixture_blocks();
    let blocks = tempfile::tempdir().unwrap();
    let blk = blocks.path().join("blk00000.dat");
    let data = tempfile::tempdir().unwrap();
    let refs: Vec<&[u8]> = main.iter().map(Vec::as_slice).collect();
    append(&blk, &refs);
    build(blocks.path(), data.path());
    let before = Index::open(data.path()).unwrap();
    let fork = 150u32;
    let fork_hash = before.block(index::Height(fork)).unwrap().header.hash;
    let last_old_height = before.tip().unwrap().0.0;
    drop(before);

    // A longer branch of empty blocks from height 151 replaces 50 blocks of payments.
    let mut prev = fork_hash;
    let mut branch = Vec::new();
    for height in fork + 1..=last_old_height + 2 {
        let block = empty_block(prev, height, 7);
        prev = chain::Header::decode(block[..80].try_into().unwrap()).hash;
        branch.push(block);
    }
    append(&blk, &branch.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let report = build(blocks.path(), data.path());
    assert_eq!(report.rolled_back, Some((fork, u64::from(last_old_height - fork))));
    assert_eq!(report.tip.unwrap().1, prev);

    // Same content as indexing the new chain from scratch.
    let fresh_blocks = tempfile::tempdir().unwrap();
    let mut fresh: Vec<&[u8]> = refs[..=fork as usize].to_vec();
    fresh.extend(branch.iter().map(Vec::as_slice));
    append(&fresh_blocks.path().join("blk00000.dat"), &fresh);
    let fresh_data = tempfile::tempdir().unwrap();
    build(fresh_blocks.path(), fresh_data.path());
    let (grown, scratch) = (Index::open(data.path()).unwrap(), Index::open(fresh_data.path()).unwrap());
    assert_eq!(grown.counts(), scratch.counts());
    assert_eq!(grown.digest(), scratch.digest());
    // Outputs spent only in the abandoned blocks are unspent again.
    let unspent_now = (0..grown.counts().outputs).filter(|&o| grown.spent_by(OutNum(o)).is_none()).count();
    let unspent_fresh = (0..scratch.counts().outputs).filter(|&o| scratch.spent_by(OutNum(o)).is_none()).count();
    assert_eq!(unspent_now, unspent_fresh);
}

#[test]
fn a_chain_that_starts_late_keeps_unresolved_inputs() {
    let (main, _) = fixture_blocks();
    let blocks = tempfile::tempdir().unwrap();
    append(&blocks.path().join("blk00000.dat"), &main[120..].iter().map(Vec::as_slice).collect::<Vec<_>>());
    let data = tempfile::tempdir().unwrap();
    let report = build(blocks.path(), data.path());
    let index = Index::open(data.path()).unwrap();
    assert_eq!(index.manifest().start_height, 120, "from the BIP 34 height of the first block");
    assert_eq!(report.tip.unwrap().0, 200);
    assert!(report.unresolved_inputs > 0);
    let unresolved = (0..index.counts().inputs)
        .filter(|&i| index.input(index::InNum(i)).spent == index::Spent::Unresolved)
        .count() as u64;
    assert_eq!(unresolved, report.unresolved_inputs);
    // Transactions with an unresolved input have no known fee.
    let t = index.input_tx(index::InNum(
        (0..index.counts().inputs).find(|&i| index.input(index::InNum(i)).spent == index::Spent::Unresolved).unwrap(),
    ));
    assert_eq!(index.tx(t).fee, None);
}

#[test]
fn another_format_is_refused_with_a_way_to_rebuild() {
    let data = tempfile::tempdir().unwrap();
    build(&fixtures().join("regtest/small/blocks"), data.path());
    let manifest_path = data.path().join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .unwrap()
        .replace(&format!("\"format_version\": {}", index::manifest::FORMAT_VERSION), "\"format_version\": 99");
    std::fs::write(&manifest_path, text).unwrap();
    let err = Index::open(data.path()).unwrap_err().to_string();
    assert!(err.contains("index format 99") && err.contains("--rebuild"), "{err}");
    let dir = BlocksDir::open(&fixtures().join("regtest/small/blocks"), Network::Regtest).unwrap();
    assert!(ingest(&dir, data.path(), &IngestOptions::default(), &|_| {}).is_err());
    let rebuilt =
        ingest(&dir, data.path(), &IngestOptions { rebuild: true, ..IngestOptions::default() }, &|_| {}).unwrap();
    assert_eq!(rebuilt.counts.blocks, 201);
}

#[test]
fn every_input_and_output_finds_its_transaction() {
    let data = tempfile::tempdir().unwrap();
    build(&fixtures().join("regtest/small/blocks"), data.path());
    let index = Index::open(data.path()).unwrap();
    for t in 0..index.counts().txs {
        let row = index.tx(index::TxNum(t));
        for i in row.inputs {
            assert_eq!(index.input_tx(index::InNum(i)).0, t, "input {i}");
        }
        for o in row.outputs {
            assert_eq!(index.output_tx(OutNum(o)).0, t, "output {o}");
        }
    }
}

/// Indexes `blocks` (written as one blk file) into `data`.
fn build_from(blocks: &[Vec<u8>], data: &Path) -> index::IngestReport {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("blk00000.dat"), &blocks.iter().map(Vec::as_slice).collect::<Vec<_>>());
    build(dir.path(), data)
}

/// One flipped bit in a block header (the attack from the hardening review):
/// whether the damaged header still meets regtest's easy target or not, the
/// blocks after it no longer link up, and the chain left has less work than the
/// index. The index is kept whole instead of rolled back.
#[test]
fn a_damaged_header_never_rolls_the_index_back_to_less_work() {
    let (main, _) = fixture_blocks();
    let data = tempfile::tempdir().unwrap();
    let first = build_from(&main, data.path());
    let digest = Index::open(data.path()).unwrap().digest();
    for bit in 0..2 {
        let mut damaged = main.clone();
        let at = main.len() - 52;
        damaged[at][68] ^= 1 << bit; // the timestamp: still a header, another hash
        let report = build_from(&damaged, data.path());
        assert_eq!(report.rolled_back, None, "bit {bit}");
        assert_eq!(report.tip, first.tip, "bit {bit}");
        let kept = report.warnings.iter().any(|w| w.message.contains("the index is kept"));
        assert!(kept, "bit {bit}: {:?}", report.warnings);
        assert!(
            report.warnings.iter().any(|w| w.message.contains("orphan") || w.message.contains("proof of work")),
            "bit {bit}: the damage is reported: {:?}",
            report.warnings
        );
        assert_eq!(Index::open(data.path()).unwrap().digest(), digest, "bit {bit}");
    }
}

/// A damaged transaction (its last byte, the locktime, flipped: it still
/// decodes) fails the merkle root: the block and those after it are left out
/// with a warning naming the file and offset, never indexed wrong, and a later
/// ingest of sound blocks goes on from there to the same index as in one go.
#[test]
fn a_block_failing_its_merkle_root_is_left_out_and_the_index_resumes_later() {
    let (main, _) = fixture_blocks();
    let data = tempfile::tempdir().unwrap();
    let mut damaged = main.clone();
    let at = 100;
    let last = damaged[at].len() - 1;
    damaged[at][last] ^= 0x01;
    let report = build_from(&damaged, data.path());
    assert_eq!(report.tip.map(|t| t.0), Some(at as u32 - 1));
    let warning = report.warnings.iter().find(|w| w.message.contains("merkle root")).expect("a merkle warning");
    assert!(warning.file.ends_with("blk00000.dat") && warning.offset > 0, "{warning}");
    assert!(warning.message.contains(&format!("height {at}")), "{warning}");
    // The prefix is the same as an index of the sound blocks up to there.
    let prefix = tempfile::tempdir().unwrap();
    build_from(&main[..at], prefix.path());
    assert_eq!(Index::open(data.path()).unwrap().digest(), Index::open(prefix.path()).unwrap().digest());
    // The sound copy arrives: the index goes on.
    let report = build_from(&main, data.path());
    assert_eq!(report.rolled_back, None);
    let whole = tempfile::tempdir().unwrap();
    build_from(&main, whole.path());
    assert_eq!(Index::open(data.path()).unwrap().digest(), Index::open(whole.path()).unwrap().digest());
}

/// Damage to a committed file is found: a flipped byte in a column by `verify`
/// (naming the file and the chunk), a table cut short already when the index is
/// opened, and a damaged table by the lookups `verify` makes.
#[test]
fn damage_is_found_and_named_never_answered_from() {
    let data = tempfile::tempdir().unwrap();
    build(&fixtures().join("regtest/small/blocks"), data.path());
    let clean = Index::open(data.path()).unwrap().verify().unwrap();
    assert!(clean.checksummed && clean.damage.is_empty(), "{clean:?}");
    assert!(clean.lookups_checked > 1_000);

    let column = data.path().join("columns/out_value.col");
    let mut bytes = std::fs::read(&column).unwrap();
    bytes[100] ^= 0x40;
    std::fs::write(&column, &bytes).unwrap();
    let report = Index::open(data.path()).unwrap().verify().unwrap();
    assert_eq!(report.damage.len(), 1, "{report:?}");
    assert!(report.damage[0].file.ends_with("columns/out_value.col") && report.damage[0].offset == 0);
    bytes[100] ^= 0x40;
    std::fs::write(&column, &bytes).unwrap();

    // A spent output's spender overwritten (a column not checksummed, as it is
    // rewritten in place): the output would read as unspent; verify names it.
    let index = Index::open(data.path()).unwrap();
    let spent = (0..index.counts().outputs).map(OutNum).find(|&o| index.spent_by(o).is_some()).unwrap();
    drop(index);
    let column = data.path().join("columns/out_spent_by.col");
    let saved = std::fs::read(&column).unwrap();
    let mut bytes = saved.clone();
    bytes[spent.0 as usize * 8..][..8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&column, &bytes).unwrap();
    let report = Index::open(data.path()).unwrap().verify().unwrap();
    assert_eq!(report.damage.len(), 1, "{report:?}");
    assert!(report.damage[0].file.ends_with("columns/out_spent_by.col"), "{report:?}");
    assert_eq!(report.damage[0].offset, spent.0 * 8);
    std::fs::write(&column, &saved).unwrap();

    let table = data.path().join("address.tbl");
    let saved = std::fs::read(&table).unwrap();
    std::fs::write(&table, b"").unwrap();
    let err = Index::open(data.path()).unwrap_err().to_string();
    assert!(err.contains("address.tbl") && err.contains("damaged"), "{err}");
    // Slots zeroed in place (the size kept): the lookups miss, and say so.
    std::fs::write(&table, vec![0u8; saved.len()]).unwrap();
    let report = Index::open(data.path()).unwrap().verify().unwrap();
    assert!(report.damage.iter().any(|d| d.file.ends_with("address.tbl")), "{report:?}");
    std::fs::write(&table, &saved).unwrap();
    assert!(Index::open(data.path()).unwrap().verify().unwrap().damage.is_empty());
}
