//! Monero blocks: header, miner transaction, the hashes of the other
//! transactions, and the block id.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::hash::{Hash32, keccak, tree_hash};
use crate::tx::{Input, Transaction, read_tx};
use crate::varint::{Reader, write_varint};

/// Transactions per block beyond this are refused.
const MAX_BLOCK_TXS: u64 = 1 << 20;

/// A decoded block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The block id.
    pub id: Hash32,
    /// Major version (the hard fork in force).
    pub major_version: u64,
    /// Minor version (the hard fork voted for).
    pub minor_version: u64,
    /// Timestamp, seconds.
    pub timestamp: u64,
    /// The previous block's id.
    pub prev_id: Hash32,
    /// The nonce.
    pub nonce: u32,
    /// The miner (coinbase) transaction.
    pub miner_tx: Transaction,
    /// The other transactions' hashes, in block order.
    pub tx_hashes: Vec<Hash32>,
}

impl Block {
    /// The height the miner transaction claims.
    pub fn height(&self) -> Option<u64> {
        match self.miner_tx.inputs.as_slice() {
            [Input::Gen { height }] => Some(*height),
            _ => None,
        }
    }

    /// The block reward: the miner transaction's output amounts.
    pub fn reward(&self) -> u64 {
        self.miner_tx.outputs.iter().map(|o| o.amount).fold(0u64, u64::saturating_add)
    }
}

/// Mainnet block 202612 was accepted with a malformed merkle tree; monerod maps
/// the hash of its full blob to the id the network adopted.
const BLOB_HASH_202612: &str = "3a8a2b3a29b50fc86ff73dd087ea43c6f0d6b8f936c849194d5c84c737903966";
const BLOCK_ID_202612: &str = "bbd604d2ba11ba27935e006ed39c9bfdd99b76bf4a50654bc1e1e61217962698";

/// Decodes a block blob and computes its id.
///
/// # Errors
/// A [`DecodeError`] naming the field and offset.
pub fn decode_block(blob: &[u8]) -> Result<Block, DecodeError> {
    let mut r = Reader::new(blob);
    let major_version = r.varint(&|| "major_version".into())?;
    let minor_version = r.varint(&|| "minor_version".into())?;
    let timestamp = r.varint(&|| "timestamp".into())?;
    let prev_id = Hash32(r.key(&|| "prev_id".into())?);
    let nonce = r.u32_le(&|| "nonce".into())?;
    let header_len = r.pos();
    let miner_start = r.pos();
    let miner_tx = read_tx(&mut r).map_err(|mut e| {
        e.field = format!("miner_tx.{}", e.field);
        e
    })?;
    if !miner_tx.is_coinbase() {
        return Err(r.error_at(
            "miner_tx.vin",
            miner_start,
            DecodeErrorKind::Invalid("the miner transaction must have one txin_gen input"),
        ));
    }
    let n = r.count(&|| "tx_hashes".into(), 32, MAX_BLOCK_TXS)?;
    let mut tx_hashes = Vec::with_capacity(n);
    for i in 0..n {
        tx_hashes.push(Hash32(r.key(&|| format!("tx_hashes[{i}]"))?));
    }
    if r.remaining() > 0 {
        return Err(r.error("block", DecodeErrorKind::Trailing(r.remaining())));
    }

    let mut leaves = Vec::with_capacity(n + 1);
    leaves.push(miner_tx.hash.0);
    leaves.extend(tx_hashes.iter().map(|h| h.0));
    let mut hashing = blob[..header_len].to_vec();
    hashing.extend_from_slice(&tree_hash(&leaves));
    write_varint(&mut hashing, n as u64 + 1);
    let mut framed = Vec::with_capacity(hashing.len() + 10);
    write_varint(&mut framed, hashing.len() as u64);
    framed.extend_from_slice(&hashing);
    let mut id = Hash32(keccak(&[&framed]));

    let block = Block { id, major_version, minor_version, timestamp, prev_id, nonce, miner_tx, tx_hashes };
    if block.height() == Some(202_612) && hex::encode(keccak(&[blob])) == BLOB_HASH_202612 {
        id = Hash32::from_hex(BLOCK_ID_202612).unwrap_or(id);
    }
    Ok(Block { id, ..block })
}
