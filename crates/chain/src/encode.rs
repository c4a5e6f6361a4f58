//! The write side: serializing transactions and blocks in Bitcoin Core's format
//! (BIP 144 for transactions with witness data), for the simulator and for tests.

use crate::block::{HEADER_SIZE, Header};
use crate::hash::{BlockHash, Txid, dsha256, dsha256_parts, merkle_root};

/// Appends a CompactSize.
pub fn write_compact_size(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// Appends a CompactSize length and the bytes.
pub fn write_var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_compact_size(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// An input to encode.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec<'a> {
    /// Txid of the spent output (internal byte order).
    pub prev_txid: Txid,
    /// Index of the spent output.
    pub prev_vout: u32,
    /// The scriptSig.
    pub script_sig: &'a [u8],
    /// nSequence.
    pub sequence: u32,
    /// Witness stack items (empty for inputs without witness).
    pub witness: &'a [&'a [u8]],
}

/// An output to encode.
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec<'a> {
    /// Value in satoshis.
    pub value: u64,
    /// The scriptPubKey.
    pub script_pubkey: &'a [u8],
}

/// What [`encode_tx`] returns besides the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedTx {
    /// The txid.
    pub txid: Txid,
    /// Serialized size.
    pub size: usize,
    /// Size without witness data.
    pub base_size: usize,
}

impl EncodedTx {
    /// BIP 141 weight.
    pub fn weight(&self) -> usize {
        self.base_size * 3 + self.size
    }

    /// Virtual size.
    pub fn vsize(&self) -> usize {
        self.weight().div_ceil(4)
    }
}

/// Appends a transaction's serialization to `out` (with the SegWit marker when any
/// input has witness items) and returns its txid and sizes.
pub fn encode_tx(
    out: &mut Vec<u8>,
    version: u32,
    inputs: &[InputSpec<'_>],
    outputs: &[OutputSpec<'_>],
    lock_time: u32,
) -> EncodedTx {
    let start = out.len();
    let has_witness = inputs.iter().any(|i| !i.witness.is_empty());
    out.extend_from_slice(&version.to_le_bytes());
    if has_witness {
        out.extend_from_slice(&[0x00, 0x01]);
    }
    let body_start = out.len();
    write_compact_size(out, inputs.len() as u64);
    for input in inputs {
        out.extend_from_slice(input.prev_txid.as_bytes());
        out.extend_from_slice(&input.prev_vout.to_le_bytes());
        write_var_bytes(out, input.script_sig);
        out.extend_from_slice(&input.sequence.to_le_bytes());
    }
    write_compact_size(out, outputs.len() as u64);
    for output in outputs {
        out.extend_from_slice(&output.value.to_le_bytes());
        write_var_bytes(out, output.script_pubkey);
    }
    let body_end = out.len();
    if has_witness {
        for input in inputs {
            write_compact_size(out, input.witness.len() as u64);
            for item in input.witness {
                write_var_bytes(out, item);
            }
        }
    }
    let lock_time_pos = out.len();
    out.extend_from_slice(&lock_time.to_le_bytes());
    let size = out.len() - start;
    let (txid, base_size) = if has_witness {
        let parts: [&[u8]; 3] = [&out[start..start + 4], &out[body_start..body_end], &out[lock_time_pos..]];
        (Txid(dsha256_parts(&parts)), 8 + body_end - body_start)
    } else {
        (Txid(dsha256(&out[start..])), size)
    };
    EncodedTx { txid, size, base_size }
}

/// The BIP 141 witness commitment output script for a block whose transactions
/// have these wtxids (the coinbase's first), with an all-zero witness reserved value
/// (the coinbase's single witness item).
pub fn witness_commitment_script(wtxids: &[[u8; 32]]) -> Vec<u8> {
    let mut scratch = Vec::with_capacity(wtxids.len() + 1);
    let leaves = wtxids.iter().enumerate().map(|(i, w)| if i == 0 { [0; 32] } else { *w });
    let root = merkle_root(leaves, &mut scratch).unwrap_or_default();
    let commitment = dsha256_parts(&[&root, &WITNESS_RESERVED_VALUE]);
    let mut script = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
    script.extend_from_slice(&commitment);
    script
}

/// The witness reserved value [`witness_commitment_script`] commits to.
pub const WITNESS_RESERVED_VALUE: [u8; 32] = [0; 32];

impl Header {
    /// The 80 serialized header bytes (the `hash` field is not part of them).
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut bytes = [0u8; HEADER_SIZE];
        bytes[0..4].copy_from_slice(&self.version.to_le_bytes());
        bytes[4..36].copy_from_slice(self.prev_hash.as_bytes());
        bytes[36..68].copy_from_slice(self.merkle_root.as_bytes());
        bytes[68..72].copy_from_slice(&self.time.to_le_bytes());
        bytes[72..76].copy_from_slice(&self.bits.to_le_bytes());
        bytes[76..80].copy_from_slice(&self.nonce.to_le_bytes());
        bytes
    }
}

/// Builds a header over `txids` (merkle root) and searches a nonce that meets `bits`
/// (cheap at regtest difficulty). Returns `None` if no nonce below 2^32 meets the
/// target (only at real difficulty).
pub fn mine_header(version: u32, prev_hash: BlockHash, time: u32, bits: u32, txids: &[Txid]) -> Option<Header> {
    let mut scratch = Vec::with_capacity(txids.len() + 1);
    let root = merkle_root(txids.iter().map(|t| t.0), &mut scratch).unwrap_or_default();
    let mut header = Header {
        hash: BlockHash::all_zeros(),
        version,
        prev_hash,
        merkle_root: crate::hash::MerkleRoot(root),
        time,
        bits,
        nonce: 0,
    };
    let target = header.target();
    loop {
        let hash = BlockHash(dsha256(&header.to_bytes()));
        if target.is_met_by(<bitcoin::BlockHash as bitcoin::hashes::Hash>::from_byte_array(hash.0)) {
            header.hash = hash;
            return Some(header);
        }
        header.nonce = header.nonce.checked_add(1)?;
    }
}

/// The bytes between a block's header and its first transaction: the CompactSize
/// transaction count.
pub fn tx_count_prefix(count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    write_compact_size(&mut out, count as u64);
    out
}

/// Builds a whole block from its transactions' serializations (see [`mine_header`]).
pub fn assemble_block(
    version: u32,
    prev_hash: BlockHash,
    time: u32,
    bits: u32,
    txids: &[Txid],
    txs: &[u8],
) -> Option<(Header, Vec<u8>)> {
    let header = mine_header(version, prev_hash, time, bits, txids)?;
    let mut block = Vec::with_capacity(HEADER_SIZE + 9 + txs.len());
    block.extend_from_slice(&header.to_bytes());
    block.extend_from_slice(&tx_count_prefix(txids.len()));
    block.extend_from_slice(txs);
    Some((header, block))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::verify_block;
    use crate::tx::Transaction;

    #[test]
    fn encoded_tx_decodes_to_the_same_parts_and_txid() {
        let sig = [0x30u8; 71];
        let key = [0x02u8; 33];
        let witness: [&[u8]; 2] = [&sig, &key];
        let inputs = [
            InputSpec {
                prev_txid: Txid([7; 32]),
                prev_vout: 3,
                script_sig: &[],
                sequence: 0xffff_fffd,
                witness: &witness,
            },
            InputSpec {
                prev_txid: Txid([8; 32]),
                prev_vout: 0,
                script_sig: &[0x51],
                sequence: 0xffff_ffff,
                witness: &[],
            },
        ];
        let script = [0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
        let outputs = [OutputSpec { value: 12_345, script_pubkey: &script }];
        let mut out = vec![0xaa]; // encoding appends
        let encoded = encode_tx(&mut out, 2, &inputs, &outputs, 100);
        let tx = Transaction::decode(&out[1..]).unwrap();
        assert_eq!(tx.info.txid, encoded.txid);
        assert_eq!((tx.info.size(), tx.info.base_size), (encoded.size, encoded.base_size));
        assert_eq!(tx.inputs[0].prev_vout, 3);
        assert_eq!(tx.witnesses[0].iter().collect::<Vec<_>>(), vec![&sig[..], &key[..]]);
        assert!(tx.witnesses[1].is_empty());
        assert_eq!(tx.outputs[0].value, 12_345);
        let reference: bitcoin::Transaction = bitcoin::consensus::deserialize(&out[1..]).unwrap();
        assert_eq!(reference.compute_txid().to_string(), encoded.txid.to_string());
    }

    #[test]
    fn assembled_block_verifies() {
        let coinbase_in = [InputSpec {
            prev_txid: Txid::all_zeros(),
            prev_vout: u32::MAX,
            script_sig: &[0x51, 0x51],
            sequence: u32::MAX,
            witness: &[],
        }];
        let outputs = [OutputSpec { value: 50, script_pubkey: &[0x51] }];
        let mut txs = Vec::new();
        let coinbase = encode_tx(&mut txs, 1, &coinbase_in, &outputs, 0);
        let (header, block) =
            assemble_block(0x2000_0000, BlockHash([1; 32]), 1_700_000_000, 0x207f_ffff, &[coinbase.txid], &txs)
                .unwrap();
        let info = verify_block(&block).unwrap();
        assert_eq!(info.header, header);
        assert!(compact_sizes_round_trip());
    }

    fn compact_sizes_round_trip() -> bool {
        [0u64, 0xfc, 0xfd, 0xffff, 0x1_0000, 0xffff_ffff, 0x1_0000_0000].iter().all(|&n| {
            let mut out = Vec::new();
            write_compact_size(&mut out, n);
            let mut c = crate::cursor::Cursor::new(&out, 0);
            c.compact_size("n") == Ok(n) && c.remaining() == 0
        })
    }
}
