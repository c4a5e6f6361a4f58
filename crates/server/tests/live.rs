//! The server's view of a changing index: a snapshot stays of one generation,
//! appends leave answers read from it valid, a rollback does not, and a refresh
//! picks up each newly committed state whole.

use chain::{BlocksDir, Network};
use index::writer::IndexWriter;
use index::{IngestOptions, Manifest, ingest};
use server::live::Live;
use std::path::{Path, PathBuf};

fn blocks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/regtest/small/blocks")
}

#[test]
fn a_rollback_invalidates_answers_read_before_it_and_a_refresh_takes_the_new_state() {
    let data = tempfile::tempdir().unwrap();
    let dir = BlocksDir::open(&blocks(), Network::Regtest).unwrap();
    ingest(&dir, data.path(), &IngestOptions::default(), &|_| {}).unwrap();
    let live = Live::open(data.path()).unwrap();
    let before = live.current();
    let tip = before.as_of.tip.clone().unwrap();
    assert_eq!(before.as_of.generation, before.index.generation());
    assert!(before.as_of.clustering.is_none(), "not clustered yet");
    assert_eq!((before.as_of.labels.version.as_str(), before.as_of.labels.count), ("none", 0));

    // Nothing committed: nothing to refresh, and what was read stands.
    assert!(!live.refresh().unwrap());
    assert!(live.unchanged(&before));

    // An ingest that finds nothing new commits nothing either.
    ingest(&dir, data.path(), &IngestOptions::default(), &|_| {}).unwrap();
    assert!(live.unchanged(&before));

    // A rollback (the first half of a reorganisation) may rewrite rows the
    // snapshot maps: answers read from it are no longer of one generation.
    let mut writer = IndexWriter::open(data.path(), Manifest::read(data.path()).unwrap().unwrap()).unwrap();
    writer.rollback(tip.height - 10).unwrap();
    drop(writer);
    assert!(!live.unchanged(&before));
    assert!(live.refresh().unwrap());
    let after = live.current();
    assert_eq!(after.as_of.tip.as_ref().unwrap().height, tip.height - 10);
    assert!(after.as_of.generation > before.as_of.generation);
    assert!(live.unchanged(&after));
    // The old snapshot still reads its own rows (nothing was rewritten yet).
    assert_eq!(before.index.tip().unwrap().0.0, tip.height);
}
