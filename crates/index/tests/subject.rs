//! The one subject parser (`txid:vout`, txid, address) against the index of
//! Bitcoin Core's regtest chain: hostile input is refused with an error, never
//! wrapped around onto another output and never a panic.

use chain::{BlocksDir, Network};
use index::{Index, IngestOptions, OutNum, SubjectError, SubjectKind, ingest};
use proptest::prelude::*;
use std::path::Path;

fn indexed() -> (tempfile::TempDir, Index) {
    let blocks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/regtest/small/blocks");
    let data = tempfile::tempdir().unwrap();
    ingest(&BlocksDir::open(&blocks, Network::Regtest).unwrap(), data.path(), &IngestOptions::default(), &|_| {})
        .unwrap();
    let index = Index::open(data.path()).unwrap();
    (data, index)
}

#[test]
fn outpoints_beyond_a_transaction_are_refused_not_wrapped() {
    let (_data, index) = indexed();
    // The last transaction: an output number near u64::MAX used to wrap
    // `start + vout` around onto an earlier transaction's output.
    let t = index::TxNum(index.counts().txs - 1);
    let row = index.tx(t);
    let txid = row.txid.to_string();
    let count = row.outputs.end - row.outputs.start;
    let first = index.resolve_subject(&format!("{txid}:0")).unwrap();
    assert_eq!((first.kind, first.outputs), (SubjectKind::Outpoint, vec![OutNum(row.outputs.start)]));
    for vout in [count, u64::MAX - row.outputs.start + 1, 18_446_744_073_709_551_000, u64::MAX] {
        let e = index.resolve_subject(&format!("{txid}:{vout}")).unwrap_err();
        assert_eq!(e, SubjectError::NoSuchOutput(format!("{txid}:{vout}"), count), "vout {vout}");
    }
    let all = index.resolve_subject(&txid).unwrap();
    assert_eq!(all.outputs.len() as u64, count);
}

#[test]
fn non_ascii_and_malformed_subjects_are_errors() {
    let (_data, index) = indexed();
    // 64 bytes of multi-byte characters after a script class: sliced at byte
    // offsets this used to panic.
    let wide = format!("p2wsh-{}", "é".repeat(32));
    for bad in [wide.as_str(), "p2wsh-zz", "nonsense", ":", "00:1", "bcrt1q", "é:é"] {
        assert!(matches!(index.resolve_subject(bad), Err(SubjectError::Unparsable(_))), "{bad:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn any_string_resolves_or_errs(text in "\\PC{0,80}", class in "p2(wsh|tr|pkh)-", tail in "[0-9a-fé]{60,66}") {
        let (_data, index) = indexed_once();
        let _ = index.resolve_subject(&text);
        let _ = index.resolve_subject(&format!("{class}{tail}"));
    }
}

/// One index for every proptest case.
fn indexed_once() -> &'static (tempfile::TempDir, Index) {
    static INDEX: std::sync::OnceLock<(tempfile::TempDir, Index)> = std::sync::OnceLock::new();
    INDEX.get_or_init(indexed)
}
