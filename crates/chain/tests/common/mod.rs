//! Fixture access shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};

/// The repository's fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Reads a fixture file holding raw bytes (`.raw`, `.dat`, `.bin`) or one hex line (`.hex`).
pub fn read_bytes(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "hex") {
        hex::decode(String::from_utf8(bytes).unwrap().trim()).unwrap()
    } else {
        bytes
    }
}

/// Parses a JSON fixture.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Maps the fixtures' network names (`bitcoin-mainnet`, ...) to chainsleuth's.
pub fn network_of(name: &str) -> chain::Network {
    match name {
        "bitcoin-mainnet" => chain::Network::Mainnet,
        "bitcoin-testnet3" => chain::Network::Testnet3,
        "bitcoin-signet" => chain::Network::Signet,
        other => panic!("unknown fixture network {other}"),
    }
}

/// Copies `src` into a new temporary directory as `blk00000.dat` (optionally with
/// an xor.dat), returning the directory.
pub fn blocks_dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}
