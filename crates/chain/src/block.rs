//! Block headers, zero-copy block walking, and the `--verify` consensus checks
//! (proof of work, merkle root, BIP 141 witness commitment).

use crate::cursor::Cursor;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::hash::{BlockHash, MerkleRoot, Txid, dsha256, dsha256_parts, merkle_root};
use crate::tx::{TxInfo, TxOut, TxVisitor, Witness, decode_tx};
use bitcoin::pow::{CompactTarget, Target, Work};

/// Size of a serialized block header.
pub const HEADER_SIZE: usize = 80;

/// Where the block time (four little-endian bytes) sits in the header.
pub const HEADER_TIME_OFFSET: usize = 68;

/// Smallest serialized transaction: version, two empty counts, lock time.
const MIN_TX_SIZE: usize = 10;

/// A block header with its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The block hash (double SHA-256 of the 80 header bytes).
    pub hash: BlockHash,
    /// nVersion.
    pub version: u32,
    /// Hash of the previous block.
    pub prev_hash: BlockHash,
    /// Merkle root of the txids.
    pub merkle_root: MerkleRoot,
    /// Block time (Unix seconds).
    pub time: u32,
    /// Compact difficulty target (nBits).
    pub bits: u32,
    /// Nonce.
    pub nonce: u32,
}

impl Header {
    /// Decodes the 80 header bytes and hashes them.
    pub fn decode(bytes: &[u8; HEADER_SIZE]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let hash_at = |i: usize| {
            let mut h = [0u8; 32];
            h.copy_from_slice(&bytes[i..i + 32]);
            h
        };
        Self {
            hash: BlockHash(dsha256(bytes)),
            version: u32_at(0),
            prev_hash: BlockHash(hash_at(4)),
            merkle_root: MerkleRoot(hash_at(36)),
            time: u32_at(HEADER_TIME_OFFSET),
            bits: u32_at(72),
            nonce: u32_at(76),
        }
    }

    /// The target this header's nBits encodes.
    pub fn target(&self) -> Target {
        Target::from_compact(CompactTarget::from_consensus(self.bits))
    }

    /// The expected number of hashes to find a block at this target
    /// (2^256 / (target + 1)), as used to pick the most-work chain.
    pub fn work(&self) -> Work {
        self.target().to_work()
    }

    /// True when the hash meets the target nBits encodes.
    pub fn meets_target(&self) -> bool {
        self.target().is_met_by(<bitcoin::BlockHash as bitcoin::hashes::Hash>::from_byte_array(self.hash.0))
    }

    /// Difficulty relative to the minimum (as Bitcoin Core's `getblock` reports it).
    pub fn difficulty(&self) -> f64 {
        let bits = self.bits;
        let mut shift = (bits >> 24) & 0xff;
        let mut diff = f64::from(0x0000_ffff_u32) / f64::from((bits & 0x00ff_ffff).max(1));
        while shift < 29 {
            diff *= 256.0;
            shift += 1;
        }
        while shift > 29 {
            diff /= 256.0;
            shift -= 1;
        }
        diff
    }
}

/// Sizes and counts of a decoded block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// The header.
    pub header: Header,
    /// Number of transactions.
    pub tx_count: usize,
    /// Serialized size in bytes.
    pub size: usize,
    /// Size without witness data.
    pub stripped_size: usize,
    /// BIP 141 weight.
    pub weight: usize,
}

/// Decodes a block that fills `data` exactly, calling `visitor` for every
/// transaction's parts.
///
/// # Errors
/// A [`DecodeError`] naming the field, the byte offset in the block and the index of
/// the transaction where decoding failed; trailing bytes are an error.
pub fn decode_block<'a, V: TxVisitor<'a> + ?Sized>(data: &'a [u8], visitor: &mut V) -> Result<BlockInfo, DecodeError> {
    let mut c = Cursor::new(data, 0);
    let header = Header::decode(c.array::<HEADER_SIZE>("block header")?);
    let tx_count = c.count("transaction count", MIN_TX_SIZE)?;
    if tx_count == 0 {
        return Err(DecodeError::new(DecodeErrorKind::NoTransactions, "transaction count", HEADER_SIZE));
    }
    let mut pos = c.pos();
    let mut stripped_size = pos;
    for index in 0..tx_count {
        let tx = decode_tx(data, pos, index, visitor).map_err(|e| DecodeError { tx: Some(index), ..e })?;
        stripped_size += tx.base_size;
        pos += tx.bytes.len();
    }
    if pos != data.len() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(data.len() - pos), "block", pos));
    }
    Ok(BlockInfo { header, tx_count, size: data.len(), stripped_size, weight: stripped_size * 3 + data.len() })
}

/// A consensus check that a block failed under `--verify`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The block could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The header hash is above the target its nBits encode.
    #[error("block hash {hash} does not meet its target (bits {bits:08x})")]
    ProofOfWork {
        /// The block hash.
        hash: BlockHash,
        /// Its nBits.
        bits: u32,
    },
    /// The merkle root of the txids differs from the header's.
    #[error("merkle root mismatch: header has {header}, transactions give {computed}")]
    MerkleRoot {
        /// In the header.
        header: MerkleRoot,
        /// Computed from the txids.
        computed: MerkleRoot,
    },
    /// A block with witness data whose coinbase commitment is missing or wrong.
    #[error("witness commitment {0}")]
    WitnessCommitment(&'static str),
}

/// Collects what [`verify_block`] needs while a block is decoded: txids, and the
/// coinbase's witness commitment and reserved value.
#[derive(Debug, Default)]
pub struct VerifyCollector {
    txids: Vec<[u8; 32]>,
    wtxids: Vec<[u8; 32]>,
    any_witness: bool,
    commitment: Option<[u8; 32]>,
    reserved_value: Option<[u8; 32]>,
    scratch: Vec<[u8; 32]>,
}

/// Prefix of the BIP 141 commitment output script: OP_RETURN, push 36, aa21a9ed.
const WITNESS_COMMITMENT_PREFIX: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

impl VerifyCollector {
    /// Forgets the previous block, keeping the buffers.
    pub fn clear(&mut self) {
        self.txids.clear();
        self.wtxids.clear();
        self.any_witness = false;
        self.commitment = None;
        self.reserved_value = None;
    }

    /// Checks the collected block against its header.
    ///
    /// # Errors
    /// The first failed check.
    pub fn check(&mut self, header: &Header) -> Result<(), VerifyError> {
        if !header.meets_target() {
            return Err(VerifyError::ProofOfWork { hash: header.hash, bits: header.bits });
        }
        let computed = merkle_root(self.txids.iter().copied(), &mut self.scratch).unwrap_or_default();
        if computed != header.merkle_root.0 {
            return Err(VerifyError::MerkleRoot { header: header.merkle_root, computed: MerkleRoot(computed) });
        }
        if self.any_witness {
            let commitment = self.commitment.ok_or(VerifyError::WitnessCommitment("missing from the coinbase"))?;
            let reserved = self.reserved_value.ok_or(VerifyError::WitnessCommitment("reserved value missing"))?;
            let mut leaves = std::mem::take(&mut self.wtxids);
            if let Some(first) = leaves.first_mut() {
                *first = [0; 32]; // the coinbase's wtxid counts as zero
            }
            let root = merkle_root(leaves.iter().copied(), &mut self.scratch).unwrap_or_default();
            self.wtxids = leaves;
            if dsha256_parts(&[&root, &reserved]) != commitment {
                return Err(VerifyError::WitnessCommitment("does not match the wtxids"));
            }
        }
        Ok(())
    }
}

impl<'a> TxVisitor<'a> for VerifyCollector {
    fn output(&mut self, _: usize, output: &TxOut<'a>) {
        // Only the coinbase's outputs matter; the last matching one counts.
        if self.txids.is_empty()
            && output.script_pubkey.len() >= 38
            && output.script_pubkey.starts_with(&WITNESS_COMMITMENT_PREFIX)
        {
            let mut commitment = [0u8; 32];
            commitment.copy_from_slice(&output.script_pubkey[6..38]);
            self.commitment = Some(commitment);
        }
    }

    fn witness(&mut self, input_index: usize, witness: Witness<'a>) {
        if self.txids.is_empty() && input_index == 0 && witness.len() == 1 {
            self.reserved_value = witness.iter().next().and_then(|item| item.try_into().ok());
        }
    }

    fn tx_end(&mut self, _: usize, tx: &TxInfo<'a>) {
        self.any_witness |= tx.has_witness;
        self.txids.push(tx.txid.0);
        self.wtxids.push(tx.wtxid().0);
    }
}

/// Decodes a block and checks proof of work, merkle root and witness commitment.
///
/// # Errors
/// A decode error or the first failed check.
pub fn verify_block(data: &[u8]) -> Result<BlockInfo, VerifyError> {
    let mut collector = VerifyCollector::default();
    let info = decode_block(data, &mut collector)?;
    collector.check(&info.header)?;
    Ok(info)
}

/// The txids of a block's transactions, in order.
///
/// # Errors
/// As [`decode_block`].
pub fn block_txids(data: &[u8]) -> Result<Vec<Txid>, DecodeError> {
    struct Txids(Vec<Txid>);
    impl TxVisitor<'_> for Txids {
        fn tx_end(&mut self, _: usize, tx: &TxInfo<'_>) {
            self.0.push(tx.txid);
        }
    }
    let mut txids = Txids(Vec::new());
    decode_block(data, &mut txids)?;
    Ok(txids.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_of_minimum_target_is_one() {
        let header = Header { bits: 0x1d00ffff, ..Header::decode(&[0; 80]) };
        assert!((header.difficulty() - 1.0).abs() < 1e-12);
    }
}
