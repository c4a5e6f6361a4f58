//! Corrupted and rearranged blocks directories: one harness runs every variant and
//! demands either the same answer as the pristine data or a clear, located error.

mod common;

use chain::scan::{ScanOptions, ScanReport, scan};
use chain::{BlocksDir, Network, ReadError, XorKey};
use common::*;

/// The 255 mainnet records (blocks 1..=255), plain.
fn mainnet_records() -> Vec<u8> {
    read_bytes(&fixtures().join("real/blocks/mainnet_blk_000001-000255.dat"))
}

/// Offsets of each record's magic in a plain blk byte string.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        offsets.push(pos);
        pos += 8 + u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
    }
    offsets
}

fn scan_files(files: &[(&str, &[u8])], network: Network) -> Result<ScanReport, ReadError> {
    let dir = blocks_dir_with(files);
    scan(&BlocksDir::open(dir.path(), network)?, ScanOptions { verify: true }, &|_| {})
}

/// The facts two scans of the same chain must share.
fn facts(r: &ScanReport) -> impl PartialEq + std::fmt::Debug {
    (
        r.tip,
        r.main_chain_blocks,
        r.transactions,
        r.inputs,
        r.outputs,
        r.by_class,
        r.stale_blocks.clone(),
        r.orphan_blocks.clone(),
    )
}

#[test]
fn xor_split_shuffled_and_padded_copies_scan_identically() {
    let plain = mainnet_records();
    let baseline = scan_files(&[("blk00000.dat", &plain)], Network::Mainnet).unwrap();

    // Obfuscated with a key, as Bitcoin Core 28+ writes.
    let key = XorKey([0x5a, 0x01, 0xff, 0x80, 0x33, 0x00, 0x7e, 0xc4]);
    let mut obfuscated = plain.clone();
    key.apply(&mut obfuscated, 0);
    let xored = scan_files(&[("blk00000.dat", &obfuscated), ("xor.dat", &key.0)], Network::Mainnet).unwrap();
    assert_eq!(facts(&xored), facts(&baseline));

    // An all-zero key means plain files.
    let zero_key = scan_files(&[("blk00000.dat", &plain), ("xor.dat", &[0; 8])], Network::Mainnet).unwrap();
    assert_eq!(facts(&zero_key), facts(&baseline));

    // Records reversed and spread over three files, with zero padding after each.
    let offsets = record_offsets(&plain);
    let records: Vec<&[u8]> = offsets
        .iter()
        .enumerate()
        .map(|(i, &o)| &plain[o..offsets.get(i + 1).copied().unwrap_or(plain.len())])
        .collect();
    let mut files: Vec<Vec<u8>> = vec![Vec::new(); 3];
    for (i, record) in records.iter().rev().enumerate() {
        files[i % 3].extend_from_slice(record);
    }
    for f in &mut files {
        f.extend(std::iter::repeat_n(0u8, 4096));
    }
    let shuffled = scan_files(
        &[("blk00000.dat", &files[0]), ("blk00001.dat", &files[1]), ("blk00002.dat", &files[2])],
        Network::Mainnet,
    )
    .unwrap();
    assert_eq!(facts(&shuffled), facts(&baseline));
    assert!(shuffled.warnings.is_empty(), "zero padding is not garbage: {:?}", shuffled.warnings);

    // The same block stored twice counts once.
    let mut duplicated = plain.clone();
    duplicated.extend_from_slice(records[10]);
    let dup = scan_files(&[("blk00000.dat", &duplicated)], Network::Mainnet).unwrap();
    assert_eq!(facts(&dup), facts(&baseline));
    assert_eq!(dup.duplicate_blocks, 1);
}

#[test]
fn regtest_xor_and_plain_copies_agree() {
    let src = fixtures().join("regtest/small/blocks");
    let key = XorKey::load(&src).unwrap();
    assert!(!key.is_zero());
    let mut plain = std::fs::read(src.join("blk00000.dat")).unwrap();
    key.apply(&mut plain, 0);
    // De-obfuscated, the zero padding becomes the key pattern: cut it off.
    let mut records_end = 0;
    let mut pos = 0;
    while pos + 8 <= plain.len() && plain[pos..pos + 4] == Network::Regtest.magic() {
        pos += 8 + u32::from_le_bytes(plain[pos + 4..pos + 8].try_into().unwrap()) as usize;
        records_end = pos;
    }
    let plain_report = scan_files(&[("blk00000.dat", &plain[..records_end])], Network::Regtest).unwrap();
    let dir = BlocksDir::open(&src, Network::Regtest).unwrap();
    let xor_report = scan(&dir, ScanOptions::default(), &|_| {}).unwrap();
    assert_eq!(facts(&plain_report), facts(&xor_report));
}

#[test]
fn flipped_magic_skips_one_block_with_a_located_warning() {
    let mut bytes = mainnet_records();
    let offsets = record_offsets(&bytes);
    let bad = offsets[99]; // the record of block 100
    bytes[bad] ^= 0xff;
    let report = scan_files(&[("blk00000.dat", &bytes)], Network::Mainnet).unwrap();
    assert_eq!(report.warnings.len(), 1);
    let warning = report.warnings[0].to_string();
    assert!(warning.contains("blk00000.dat") && warning.contains(&format!("offset {bad}")), "{warning}");
    // Block 100 is lost, so the chain stops at 99; blocks 101..=255 are orphans.
    assert_eq!(report.tip.unwrap().height, 99);
    assert_eq!(report.orphan_blocks.len(), 155);
}

#[test]
fn size_past_end_of_file_is_a_truncated_tail() {
    let mut bytes = mainnet_records();
    let last = *record_offsets(&bytes).last().unwrap();
    bytes[last + 4..last + 8].copy_from_slice(&1_000_000u32.to_le_bytes());
    let report = scan_files(&[("blk00000.dat", &bytes)], Network::Mainnet).unwrap();
    assert_eq!(report.tip.unwrap().height, 254);
    let warning = report.warnings[0].to_string();
    assert!(warning.contains(&format!("offset {last}")) && warning.contains("truncated record"), "{warning}");

    // A node still writing: the file ends inside the last block.
    let cut = mainnet_records();
    let report = scan_files(&[("blk00000.dat", &cut[..cut.len() - 100])], Network::Mainnet).unwrap();
    assert_eq!(report.tip.unwrap().height, 254);
}

#[test]
fn bad_compact_size_is_an_error_naming_file_offset_and_field() {
    let mut bytes = mainnet_records();
    let offsets = record_offsets(&bytes);
    let at = offsets[50];
    // The transaction count follows the 80-byte header: make it a non-canonical 0xfd 01 00.
    let count_pos = at + 8 + 80;
    let mut corrupted = bytes[..count_pos].to_vec();
    corrupted.extend([0xfd, 0x01, 0x00]);
    corrupted.extend_from_slice(&bytes[count_pos + 1..]);
    let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) + 2;
    corrupted[at + 4..at + 8].copy_from_slice(&size.to_le_bytes());
    bytes = corrupted;
    let err = scan_files(&[("blk00000.dat", &bytes)], Network::Mainnet).unwrap_err().to_string();
    assert!(err.contains("blk00000.dat") && err.contains(&format!("offset {}", at + 8)), "{err}");
    assert!(err.contains("non-canonical compact size in transaction count at byte 80"), "{err}");
    assert!(!err.contains('\n'));
}

#[test]
fn truncated_transaction_is_an_error_naming_the_transaction() {
    let mut bytes = mainnet_records();
    let offsets = record_offsets(&bytes);
    let at = offsets[169]; // block 170 holds two transactions
    let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap());
    // Claim the block is 30 bytes shorter: its last transaction is cut off.
    bytes[at + 4..at + 8].copy_from_slice(&(size - 30).to_le_bytes());
    let err = scan_files(&[("blk00000.dat", &bytes)], Network::Mainnet).unwrap_err().to_string();
    assert!(err.contains(&format!("offset {}", at + 8)) && err.contains("transaction #1"), "{err}");
    assert!(err.contains("size 67 larger than the remaining data in output script"), "{err}");
}

#[test]
fn failing_verification_names_the_block() {
    let mut bytes = mainnet_records();
    let at = record_offsets(&bytes)[20];
    // Change one output value of the coinbase: the merkle root no longer matches.
    let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    let value_pos = at + 8 + len - 4 - 67 - 1 - 8;
    bytes[value_pos] ^= 1;
    let err = scan_files(&[("blk00000.dat", &bytes)], Network::Mainnet).unwrap_err().to_string();
    assert!(err.contains("merkle root mismatch") && err.contains(&format!("offset {}", at + 8)), "{err}");
}

#[test]
fn empty_or_missing_directory_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let err = BlocksDir::open(empty.path(), Network::Mainnet).unwrap_err().to_string();
    assert!(err.contains("no blk*.dat files"), "{err}");
    let err = BlocksDir::open(&empty.path().join("missing"), Network::Mainnet).unwrap_err().to_string();
    assert!(err.contains("missing"), "{err}");
    let bad_key = blocks_dir_with(&[("blk00000.dat", &[0u8; 10]), ("xor.dat", &[1, 2, 3])]);
    let err = BlocksDir::open(bad_key.path(), Network::Mainnet).unwrap_err().to_string();
    assert!(err.contains("xor key must be 8 bytes"), "{err}");
}
