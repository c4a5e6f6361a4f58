//! The invariants the block-decoder fuzz target checks (`fuzz/fuzz_targets`), also
//! replayed over its seed corpus and by a proptest in the normal test suite:
//! decoding never panics, and wherever rust-bitcoin (the reference decoder) accepts
//! the bytes, chainsleuth decodes them to the same txids, wtxids and weights.

use crate::block::decode_block;
use crate::error::DecodeErrorKind;
use crate::tx::{Transaction, TxInfo, TxVisitor};

/// Decodes `data` as a block and as a lone transaction with both decoders and
/// panics if they disagree.
///
/// Known, intended differences, where chainsleuth follows Bitcoin Core:
/// - a block with no transactions (rust-bitcoin accepts it; Core cannot have written it);
/// - a transaction with no inputs followed by a zero flag byte (Core reads it as no
///   inputs and no outputs; rust-bitcoin rejects the flag);
/// - a transaction with the SegWit flag and no inputs (Core rejects it as a superfluous
///   witness record; rust-bitcoin accepts it).
pub fn check_block(data: &[u8]) {
    struct Txs(Vec<(String, String, usize, usize)>);
    impl TxVisitor<'_> for Txs {
        fn tx_end(&mut self, _: usize, tx: &TxInfo<'_>) {
            self.0.push((tx.txid.to_string(), tx.wtxid().to_string(), tx.weight(), tx.input_count));
        }
    }
    let mut txs = Txs(Vec::new());
    let ours = decode_block(data, &mut txs);
    let theirs = bitcoin::consensus::deserialize::<bitcoin::Block>(data);
    match (&ours, &theirs) {
        (Ok(info), Ok(block)) => {
            let reference: Vec<(String, String, usize, usize)> = block
                .txdata
                .iter()
                .map(|tx| {
                    (
                        tx.compute_txid().to_string(),
                        tx.compute_wtxid().to_string(),
                        tx.weight().to_wu() as usize,
                        tx.input.len(),
                    )
                })
                .collect();
            assert_eq!(txs.0, reference, "transactions differ");
            assert_eq!(info.weight as u64, block.weight().to_wu(), "block weight differs");
            assert_eq!(
                info.header.hash.0,
                bitcoin::hashes::Hash::to_byte_array(block.block_hash()),
                "block hash differs"
            );
        }
        (Ok(_), Err(e)) => {
            let zero_input_tx = txs.0.iter().any(|t| t.3 == 0);
            assert!(zero_input_tx, "rust-bitcoin rejects a block chainsleuth accepts: {e}");
        }
        (Err(e), Ok(block)) => {
            assert!(block.txdata.is_empty(), "chainsleuth rejects a block rust-bitcoin accepts: {e}")
        }
        (Err(_), Err(_)) => {}
    }

    let ours = Transaction::decode(data);
    let theirs = bitcoin::consensus::deserialize::<bitcoin::Transaction>(data);
    match (&ours, &theirs) {
        (Ok(tx), Ok(reference)) => {
            assert_eq!(tx.info.txid.to_string(), reference.compute_txid().to_string(), "txid differs");
            assert_eq!(tx.info.wtxid().to_string(), reference.compute_wtxid().to_string(), "wtxid differs");
        }
        (Ok(tx), Err(e)) => {
            assert!(tx.inputs.is_empty(), "rust-bitcoin rejects a transaction chainsleuth accepts: {e}")
        }
        (Err(e), Ok(reference)) => assert!(
            e.kind == DecodeErrorKind::SuperfluousWitness && reference.input.is_empty(),
            "chainsleuth rejects a transaction rust-bitcoin accepts: {e}"
        ),
        (Err(_), Err(_)) => {}
    }
}
