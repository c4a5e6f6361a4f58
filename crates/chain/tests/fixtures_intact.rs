//! The copied real-data fixtures are byte-for-byte what their provenance lists.

mod common;

use sha2::{Digest, Sha256};

#[test]
fn copied_real_fixtures_match_their_checksums() {
    let real = common::fixtures().join("real");
    let sums = std::fs::read_to_string(real.join("SHA256SUMS")).unwrap();
    let mut checked = 0;
    for line in sums.lines() {
        let Some((sum, name)) = line.split_once("  ") else { continue };
        let path = real.join(name);
        if !path.exists() {
            continue; // only part of the shared folder is copied
        }
        let digest = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
        assert_eq!(digest, sum, "{name}");
        checked += 1;
    }
    assert!(checked >= 100, "{checked}");
}
