//! The write side, for the simulator: v4 (Sapling) transactions and blocks in
//! zcashd's serialization. Proofs, keys, commitments and ciphertexts are random
//! bytes of the right lengths (nothing checks them); the transparent parts and
//! the value balance are what the caller gives.

use crate::tx::{OUTPUT_V4_SIZE, SAPLING_VERSION_GROUP_ID, SPEND_V4_SIZE};

/// Fills a buffer with random bytes.
pub type Fill<'a> = &'a mut dyn FnMut(&mut [u8]);

/// A transparent input to write.
#[derive(Debug, Clone)]
pub struct InputParts {
    /// Spent txid (internal order); zero with `vout` u32::MAX for a coinbase.
    pub txid: [u8; 32],
    /// Spent output index.
    pub vout: u32,
    /// scriptSig.
    pub script_sig: Vec<u8>,
}

/// A v4 transaction to write.
#[derive(Debug, Clone, Default)]
pub struct TxParts {
    /// Transparent inputs.
    pub inputs: Vec<InputParts>,
    /// Transparent outputs: value and scriptPubKey.
    pub outputs: Vec<(u64, Vec<u8>)>,
    /// Sapling spends (random contents).
    pub sapling_spends: usize,
    /// Sapling outputs (random contents).
    pub sapling_outputs: usize,
    /// Value leaving the Sapling pool (negative: entering it).
    pub value_balance: i64,
    /// nExpiryHeight.
    pub expiry_height: u32,
}

fn compact_size(out: &mut Vec<u8>, n: usize) {
    chain::encode::write_compact_size(out, n as u64);
}

fn random(out: &mut Vec<u8>, n: usize, fill: Fill<'_>) {
    let at = out.len();
    out.resize(at + n, 0);
    fill(&mut out[at..]);
}

/// Serializes a v4 transaction.
pub fn v4_tx(parts: &TxParts, fill: Fill<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        64 + parts.outputs.len() * 34 + parts.sapling_spends * SPEND_V4_SIZE + parts.sapling_outputs * OUTPUT_V4_SIZE,
    );
    out.extend_from_slice(&(4u32 | 1 << 31).to_le_bytes());
    out.extend_from_slice(&SAPLING_VERSION_GROUP_ID.to_le_bytes());
    compact_size(&mut out, parts.inputs.len());
    for i in &parts.inputs {
        out.extend_from_slice(&i.txid);
        out.extend_from_slice(&i.vout.to_le_bytes());
        compact_size(&mut out, i.script_sig.len());
        out.extend_from_slice(&i.script_sig);
        out.extend_from_slice(&u32::MAX.to_le_bytes());
    }
    compact_size(&mut out, parts.outputs.len());
    for (value, script) in &parts.outputs {
        out.extend_from_slice(&value.to_le_bytes());
        compact_size(&mut out, script.len());
        out.extend_from_slice(script);
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&parts.expiry_height.to_le_bytes());
    out.extend_from_slice(&parts.value_balance.to_le_bytes());
    compact_size(&mut out, parts.sapling_spends);
    random(&mut out, parts.sapling_spends * SPEND_V4_SIZE, fill);
    compact_size(&mut out, parts.sapling_outputs);
    random(&mut out, parts.sapling_outputs * OUTPUT_V4_SIZE, fill);
    compact_size(&mut out, 0); // no JoinSplits
    if parts.sapling_spends + parts.sapling_outputs > 0 {
        random(&mut out, 64, fill); // bindingSig
    }
    out
}

/// Serializes a block: a version 4 header over `txids` (internal order) with
/// an Equihash solution of `solution_len` random bytes (36 for regtest's
/// (48, 5), 1344 for mainnet's (200, 9)), then the transactions.
pub fn block(
    prev: [u8; 32],
    time: u32,
    bits: u32,
    txs: &[Vec<u8>],
    txids: &[[u8; 32]],
    solution_len: usize,
    fill: Fill<'_>,
) -> Vec<u8> {
    let size: usize = txs.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(140 + 3 + solution_len + 5 + size);
    out.extend_from_slice(&4u32.to_le_bytes());
    out.extend_from_slice(&prev);
    let root = chain::hash::merkle_root(txids.iter().copied(), &mut Vec::new()).unwrap_or_default();
    out.extend_from_slice(&root);
    random(&mut out, 32, fill); // hashBlockCommitments
    out.extend_from_slice(&time.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    random(&mut out, 32, fill); // nNonce
    compact_size(&mut out, solution_len);
    random(&mut out, solution_len, fill);
    compact_size(&mut out, txs.len());
    for tx in txs {
        out.extend_from_slice(tx);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Block, Transaction};

    #[test]
    fn written_transactions_and_blocks_read_back() {
        let mut n = 0u8;
        let mut fill = |b: &mut [u8]| {
            for x in b {
                n = n.wrapping_add(37);
                *x = n;
            }
        };
        let coinbase = TxParts {
            inputs: vec![InputParts { txid: [0; 32], vout: u32::MAX, script_sig: vec![0x01, 0x07] }],
            outputs: vec![(
                312_500_000,
                vec![
                    0x76, 0xa9, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0x88, 0xac,
                ],
            )],
            ..TxParts::default()
        };
        let shield = TxParts { sapling_outputs: 2, value_balance: -5_000, ..coinbase.clone() };
        let txs = [v4_tx(&coinbase, &mut fill), v4_tx(&shield, &mut fill)];
        let decoded: Vec<Transaction<'_>> = txs.iter().map(|t| Transaction::decode(t).unwrap()).collect();
        assert_eq!(decoded[1].sapling.as_ref().unwrap().outputs.len(), 2);
        assert_eq!(crate::pools::crossings(&decoded[1])[1].into, 5_000);
        let txids: Vec<[u8; 32]> = decoded.iter().map(|t| t.txid).collect();
        let bytes = block([9; 32], 1_700_000_000, 0x200f_0f0f, &txs, &txids, 36, &mut fill);
        let b = Block::decode(&bytes).unwrap();
        assert_eq!(b.computed_merkle_root(), b.header.merkle_root);
        assert_eq!(b.height(), Some(7));
    }
}
