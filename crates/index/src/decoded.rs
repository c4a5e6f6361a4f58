//! Blocks as the decoder hands them to the spend resolver and the writer: flat
//! lists of transactions, inputs, outputs and pool crossings, and the hash map
//! both use for keys that are hashes already.

use crate::address_key::AddressKey;
use chain::{BlockLocation, Header};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A transaction as the decoder hands it to the writer.
#[derive(Debug, Clone, Copy)]
pub struct DecodedTx {
    /// Txid (internal byte order).
    pub txid: [u8; 32],
    /// Number of inputs.
    pub inputs: u32,
    /// Number of outputs.
    pub outputs: u32,
    /// Serialized size.
    pub size: u32,
    /// Weight.
    pub weight: u32,
    /// nVersion.
    pub version: u32,
    /// nLockTime.
    pub lock_time: u32,
}

/// An input as the decoder hands it to the writer.
#[derive(Debug, Clone, Copy)]
pub struct DecodedInput {
    /// Spent txid; all zero with `prev_vout` = u32::MAX for a coinbase.
    pub prev_txid: [u8; 32],
    /// Spent output index.
    pub prev_vout: u32,
    /// nSequence.
    pub sequence: u32,
}

/// An output as the decoder hands it to the writer.
#[derive(Debug, Clone, Copy)]
pub struct DecodedOutput {
    /// Value in satoshis.
    pub value: u64,
    /// The script's own class code.
    pub class: u8,
    /// The address it pays.
    pub key: AddressKey,
}

/// Value a Zcash transaction moves across a shielded pool, as the decoder hands
/// it to the writer.
#[derive(Debug, Clone, Copy)]
pub struct DecodedCrossing {
    /// The transaction's position in its block.
    pub tx: u32,
    /// The pool, as its position in `zcash::Pool::ALL`.
    pub pool: u8,
    /// Zatoshis into the pool.
    pub into: u64,
    /// Zatoshis out of the pool.
    pub out_of: u64,
}

/// A block decoded for the writer: flat lists of its parts.
#[derive(Debug, Clone)]
pub struct DecodedBlock {
    /// Its height.
    pub height: u32,
    /// Its header.
    pub header: Header,
    /// Where it is stored.
    pub location: BlockLocation,
    /// Its transactions.
    pub txs: Vec<DecodedTx>,
    /// Every input, in order.
    pub inputs: Vec<DecodedInput>,
    /// Every output, in order.
    pub outputs: Vec<DecodedOutput>,
    /// Zcash: every pool crossing, in transaction order (empty on Bitcoin).
    pub crossings: Vec<DecodedCrossing>,
}

/// Hashes a key by a fingerprint it already carries (the keys are hashes).
#[derive(Default)]
pub(crate) struct FingerprintHasher(u64);

impl std::hash::Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by the keys below; fold anything else in.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A hash map over keys that are hashes already.
pub(crate) type FingerprintMap<K, V> = HashMap<K, V, BuildHasherDefault<FingerprintHasher>>;
