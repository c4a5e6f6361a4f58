//! Fuzzes the subject and address parsers: any string, as an address of every
//! network and as a subject of the regtest fixture's index, parses or is an
//! error, never a panic (non-ASCII text, huge output numbers).
//! Run: `cargo fuzz run subject` (see docs/fuzzing.md).
#![no_main]

use chain::{BlocksDir, Network};
use std::path::Path;
use std::sync::OnceLock;

/// The fixture's index, built once per fuzzing process.
fn index() -> &'static index::Index {
    static INDEX: OnceLock<(tempfile::TempDir, index::Index)> = OnceLock::new();
    let (_, index) = INDEX.get_or_init(|| {
        let blocks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/regtest/small/blocks");
        let data = tempfile::tempdir().expect("a temporary directory");
        let dir = BlocksDir::open(&blocks, Network::Regtest).expect("the fixture's blocks");
        index::ingest(&dir, data.path(), &index::IngestOptions::default(), &|_| {}).expect("the fixture's index");
        let index = index::Index::open(data.path()).expect("the fixture's index");
        (data, index)
    });
    index
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for network in [Network::Mainnet, Network::Testnet4, Network::Regtest, Network::ZcashMainnet] {
        let _ = index::AddressKey::parse(text, network);
        let _ = chain::address::to_script(text, network);
    }
    let _ = chain::address::to_script_any_network(text);
    let _ = index().resolve_subject(text);
});
