//! Keccak-256 (the original Keccak padding, as CryptoNote uses it, not SHA3-256)
//! and CryptoNote's tree hash.

use sha3::{Digest, Keccak256};

/// A 32-byte hash, shown as lowercase hex in byte order (Monero does not reverse).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut out).ok()?;
        Some(Self(out))
    }
}

impl std::fmt::Display for Hash32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// Keccak-256 of the concatenation of `parts`.
pub fn keccak(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Keccak256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// CryptoNote's tree hash of a block's transaction hashes (miner tx first): the
/// leaves beyond the largest power of two below the count are paired first, then
/// the tree folds by halves.
pub fn tree_hash(hashes: &[[u8; 32]]) -> [u8; 32] {
    match hashes.len() {
        0 => [0u8; 32],
        1 => hashes[0],
        2 => keccak(&[&hashes[0], &hashes[1]]),
        count => {
            let mut cnt = 2usize;
            while cnt < count {
                cnt <<= 1;
            }
            cnt >>= 1;
            let direct = 2 * cnt - count;
            let mut level: Vec<[u8; 32]> = hashes[..direct].to_vec();
            for pair in hashes[direct..].chunks_exact(2) {
                level.push(keccak(&[&pair[0], &pair[1]]));
            }
            while level.len() > 1 {
                level = level.chunks_exact(2).map(|p| keccak(&[&p[0], &p[1]])).collect();
            }
            level[0]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_is_the_original_padding() {
        // Keccak-256 of the empty string (SHA3-256 would give a7ffc6f8...).
        assert_eq!(hex::encode(keccak(&[])), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    }

    #[test]
    fn tree_hash_folds_like_cryptonote() {
        let h: Vec<[u8; 32]> = (0..5u8).map(|i| [i; 32]).collect();
        // Five leaves: the first three stay, the last two are paired, then 4 -> 2 -> 1.
        let l34 = keccak(&[&h[3], &h[4]]);
        let a = keccak(&[&h[0], &h[1]]);
        let b = keccak(&[&h[2], &l34]);
        assert_eq!(tree_hash(&h), keccak(&[&a, &b]));
        assert_eq!(tree_hash(&h[..1]), h[0]);
    }
}
