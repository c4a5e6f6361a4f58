//! Double-SHA-256 and the hash newtypes (txid, wtxid, block hash).
//!
//! Byte order: every hash type stores the 32 bytes exactly as the hash function
//! produced them ("internal" order, as they appear inside blocks). `Display` and
//! `FromStr` use the reversed order that Bitcoin Core's RPC, block explorers and
//! every human-facing tool print.
//!
//! Hashing uses the `sha2` crate, which picks the x86 SHA-NI instructions at run
//! time where the CPU has them.

use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Double SHA-256 of the concatenation of `parts`, without concatenating them.
///
/// Feeding the parts one by one is how a SegWit transaction's txid is computed
/// over its witness-stripped bytes without copying them.
#[inline]
pub fn dsha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut first = Sha256::new();
    for part in parts {
        first.update(part);
    }
    Sha256::digest(first.finalize()).into()
}

/// Double SHA-256 of one byte slice.
#[inline]
pub fn dsha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(bytes)).into()
}

/// Error parsing a hash from its hex form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid hash {input:?}: expected 64 hex characters")]
pub struct ParseHashError {
    input: String,
}

macro_rules! hash_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// Wraps bytes in internal (hash output) order.
            pub const fn from_byte_array(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The bytes in internal (hash output) order.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Reads 32 bytes in internal order from a slice of exactly 32 bytes.
            ///
            /// Returns `None` if the slice has another length.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                bytes.try_into().ok().map(Self)
            }

            /// The all-zero hash (a coinbase's previous txid, genesis's parent).
            pub const fn all_zeros() -> Self {
                Self([0; 32])
            }

            /// True for the all-zero hash.
            pub fn is_all_zeros(&self) -> bool {
                self.0 == [0; 32]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut out = [0u8; 64];
                for (i, byte) in self.0.iter().rev().enumerate() {
                    out[2 * i] = HEX_DIGITS[usize::from(byte >> 4)];
                    out[2 * i + 1] = HEX_DIGITS[usize::from(byte & 0xf)];
                }
                // The digits are ASCII, so this cannot fail.
                f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseHashError;

            /// Parses the reversed (RPC) hex form.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || ParseHashError { input: s.chars().take(80).collect() };
                if s.len() != 64 {
                    return Err(err());
                }
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(s, &mut bytes).map_err(|_| err())?;
                bytes.reverse();
                Ok(Self(bytes))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

hash_newtype!(
    /// A transaction id: double SHA-256 of the transaction without its witness.
    Txid
);
hash_newtype!(
    /// A witness transaction id: double SHA-256 of the full serialization (BIP 141).
    Wtxid
);
hash_newtype!(
    /// A block hash: double SHA-256 of the 80-byte header.
    BlockHash
);
hash_newtype!(
    /// A merkle root, as carried in a block header.
    MerkleRoot
);

/// Computes a merkle root over 32-byte leaves, Bitcoin style (an odd last node
/// is paired with itself). Returns `None` for an empty list.
///
/// `scratch` is reused between calls to avoid an allocation per block.
pub fn merkle_root(leaves: impl IntoIterator<Item = [u8; 32]>, scratch: &mut Vec<[u8; 32]>) -> Option<[u8; 32]> {
    scratch.clear();
    scratch.extend(leaves);
    if scratch.is_empty() {
        return None;
    }
    let mut pair = [0u8; 64];
    while scratch.len() > 1 {
        if scratch.len() % 2 == 1 {
            let last = scratch[scratch.len() - 1];
            scratch.push(last);
        }
        let half = scratch.len() / 2;
        for i in 0..half {
            pair[..32].copy_from_slice(&scratch[2 * i]);
            pair[32..].copy_from_slice(&scratch[2 * i + 1]);
            scratch[i] = dsha256(&pair);
        }
        scratch.truncate(half);
    }
    Some(scratch[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_reversed_and_round_trips() {
        let genesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
        let hash: BlockHash = genesis.parse().unwrap();
        assert_eq!(hash.0[31], 0x00);
        assert_eq!(hash.0[0], 0x6f);
        assert_eq!(hash.to_string(), genesis);
    }

    #[test]
    fn rejects_bad_hex() {
        assert!("zz".parse::<Txid>().is_err());
        assert!("g".repeat(64).parse::<Txid>().is_err());
    }

    #[test]
    fn parts_equal_whole() {
        let data = b"the quick brown fox jumps over the lazy dog";
        assert_eq!(dsha256_parts(&[&data[..10], &data[10..]]), dsha256(data));
    }
}
