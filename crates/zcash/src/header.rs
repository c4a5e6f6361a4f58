//! Block headers: Bitcoin's fields plus the block commitments, a 32-byte nonce
//! and the Equihash solution. The block hash is the double SHA-256 of all of it.

use crate::error::DecodeError;
use crate::reader::Reader;
pub use chain::hash::dsha256;

/// Bytes of a header before the solution.
pub const HEADER_PREFIX_SIZE: usize = 140;

/// A decoded header (borrowing the solution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// nVersion.
    pub version: i32,
    /// Hash of the previous block (internal byte order).
    pub prev_block: [u8; 32],
    /// Merkle root of the txids (internal byte order).
    pub merkle_root: [u8; 32],
    /// hashFinalSaplingRoot (Sapling to Canopy), hashLightClientRoot (Heartwood)
    /// or hashBlockCommitments (NU5): internal byte order.
    pub commitments: [u8; 32],
    /// nTime.
    pub time: u32,
    /// nBits (compact target).
    pub bits: u32,
    /// nNonce (256 bits).
    pub nonce: [u8; 32],
    /// The Equihash solution (1344 bytes for mainnet's (200, 9)).
    pub solution: &'a [u8],
    /// Serialized size, solution included.
    pub size: usize,
    /// The block hash (internal byte order).
    pub hash: [u8; 32],
}

/// Hex of a hash in display (reversed) order, as zcashd and explorers show it.
pub fn display_hex(hash: &[u8; 32]) -> String {
    chain::BlockHash(*hash).to_string()
}

impl<'a> Header<'a> {
    /// Decodes the header at the start of `data`.
    ///
    /// # Errors
    /// When the data ends inside it, or its solution's length is not canonical.
    pub fn decode(data: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 0, 0);
        Self::read(&mut r)
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let start = r.pos();
        let version = r.u32("header version")? as i32;
        let prev_block = *r.array::<32>("header hashPrevBlock")?;
        let merkle_root = *r.array::<32>("header hashMerkleRoot")?;
        let commitments = *r.array::<32>("header hashBlockCommitments")?;
        let time = r.u32("header nTime")?;
        let bits = r.u32("header nBits")?;
        let nonce = *r.array::<32>("header nNonce")?;
        let solution = r.var_bytes("header nSolution")?;
        let size = r.pos() - start;
        let hash = dsha256(&r.data()[start..r.pos()]);
        Ok(Self { version, prev_block, merkle_root, commitments, time, bits, nonce, solution, size, hash })
    }

    /// The target nBits encodes, as 32 little-endian bytes (None when negative
    /// or overflowing).
    pub fn target(&self) -> Option<[u8; 32]> {
        let exponent = (self.bits >> 24) as usize;
        let mantissa = self.bits & 0x007f_ffff;
        if self.bits & 0x0080_0000 != 0 && mantissa != 0 {
            return None;
        }
        let mut target = [0u8; 32];
        let m = mantissa.to_le_bytes();
        for (i, &byte) in m.iter().take(3).enumerate() {
            // Byte i of the mantissa lands at position exponent - 3 + i.
            let at = (exponent + i).checked_sub(3);
            match at {
                Some(at) if at < 32 => target[at] = byte,
                Some(_) if byte != 0 => return None,
                _ => {}
            }
        }
        Some(target)
    }

    /// The header's fields mapped onto Bitcoin's (the nonce cut to its first
    /// 4 bytes), for `chain`'s header tree and most-work chain.
    pub fn as_bitcoin(&self) -> chain::Header {
        chain::Header {
            hash: chain::BlockHash(self.hash),
            version: self.version as u32,
            prev_hash: chain::BlockHash(self.prev_block),
            merkle_root: chain::hash::MerkleRoot(self.merkle_root),
            time: self.time,
            bits: self.bits,
            nonce: u32::from_le_bytes([self.nonce[0], self.nonce[1], self.nonce[2], self.nonce[3]]),
        }
    }

    /// Whether the hash meets the target nBits states (the Equihash solution
    /// itself is not verified).
    pub fn meets_target(&self) -> bool {
        let Some(target) = self.target() else { return false };
        // Compare as 256-bit little-endian numbers, from the top byte down.
        for i in (0..32).rev() {
            if self.hash[i] != target[i] {
                return self.hash[i] < target[i];
            }
        }
        true
    }
}
