//! Zero-copy transaction decoding (legacy and BIP 144 SegWit serialization).
//!
//! The hot path is [`decode_tx`]: it walks the bytes once, hands each input, output
//! and witness to a [`TxVisitor`] as views borrowed from the buffer, and computes the
//! txid over the witness-stripped serialization by feeding the hasher three borrowed
//! slices (version, inputs and outputs, lock time): nothing is copied or allocated.
//! [`Transaction`] is the owned-index twin for callers that want random access.
//!
//! Hand-written rather than `bitcoin::consensus::deserialize`, which builds owned
//! vectors for every script and witness: this decoder is the product's core loop and
//! the benchmark in `benches/decode.rs` measures the difference.

use crate::cursor::Cursor;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::hash::{Txid, Wtxid, dsha256, dsha256_parts};

/// Smallest possible serialized input: outpoint (36), script length (1), sequence (4).
const MIN_INPUT_SIZE: usize = 41;
/// Smallest possible serialized output: value (8), script length (1).
const MIN_OUTPUT_SIZE: usize = 9;

/// A transaction input, borrowed from the serialized transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxIn<'a> {
    /// Txid of the spent output, in internal byte order.
    pub prev_txid: &'a [u8; 32],
    /// Index of the spent output in its transaction.
    pub prev_vout: u32,
    /// The scriptSig.
    pub script_sig: &'a [u8],
    /// nSequence.
    pub sequence: u32,
}

impl TxIn<'_> {
    /// The spent output's txid.
    pub fn prev_txid(&self) -> Txid {
        Txid(*self.prev_txid)
    }

    /// True for a coinbase input (null outpoint: zero txid, index `0xffffffff`).
    pub fn is_coinbase(&self) -> bool {
        self.prev_vout == u32::MAX && self.prev_txid == &[0u8; 32]
    }
}

/// A transaction output, borrowed from the serialized transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxOut<'a> {
    /// Value in satoshis.
    pub value: u64,
    /// The scriptPubKey.
    pub script_pubkey: &'a [u8],
}

/// The witness stack of one input, borrowed; iterate it for the items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Witness<'a> {
    /// The serialized items (each a CompactSize length and bytes), without the count.
    items: &'a [u8],
    len: usize,
}

impl<'a> Witness<'a> {
    /// Number of stack items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the stack has no items.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stack items, bottom first.
    pub fn iter(&self) -> WitnessIter<'a> {
        WitnessIter { cursor: Cursor::new(self.items, 0), left: self.len }
    }
}

impl<'a> IntoIterator for Witness<'a> {
    type Item = &'a [u8];
    type IntoIter = WitnessIter<'a>;

    fn into_iter(self) -> WitnessIter<'a> {
        self.iter()
    }
}

/// Iterator over the items of a [`Witness`].
#[derive(Debug, Clone)]
pub struct WitnessIter<'a> {
    cursor: Cursor<'a>,
    left: usize,
}

impl<'a> Iterator for WitnessIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The items were validated when the transaction was decoded.
        self.cursor.var_bytes("witness item").ok()
    }
}

/// Receives the parts of a transaction as [`decode_tx`] walks it. Every method has
/// an empty default, so a visitor implements only what it reads.
pub trait TxVisitor<'a> {
    /// Called before the transaction's first input; `index` is its position in the block.
    #[inline]
    fn tx_begin(&mut self, index: usize) {
        let _ = index;
    }

    /// Called for each input in order.
    #[inline]
    fn input(&mut self, index: usize, input: &TxIn<'a>) {
        let _ = (index, input);
    }

    /// Called for each output in order.
    #[inline]
    fn output(&mut self, index: usize, output: &TxOut<'a>) {
        let _ = (index, output);
    }

    /// Called for each input's witness stack (SegWit transactions only).
    #[inline]
    fn witness(&mut self, input_index: usize, witness: Witness<'a>) {
        let _ = (input_index, witness);
    }

    /// Called after the transaction has been fully decoded and its txid computed.
    #[inline]
    fn tx_end(&mut self, index: usize, tx: &TxInfo<'a>) {
        let _ = (index, tx);
    }
}

/// A visitor that reads nothing (decode and hash only).
impl TxVisitor<'_> for () {}

/// What [`decode_tx`] learns about a transaction besides its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxInfo<'a> {
    /// The full serialization (with witness, if any).
    pub bytes: &'a [u8],
    /// Byte offset of the transaction in the buffer it was decoded from.
    pub offset: usize,
    /// The txid.
    pub txid: Txid,
    /// nVersion.
    pub version: u32,
    /// nLockTime.
    pub lock_time: u32,
    /// Number of inputs.
    pub input_count: usize,
    /// Number of outputs.
    pub output_count: usize,
    /// Size of the serialization without witness data (BIP 141 base size).
    pub base_size: usize,
    /// True when serialized with the SegWit marker and flag.
    pub has_witness: bool,
}

impl TxInfo<'_> {
    /// Total serialized size in bytes.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// BIP 141 weight: base size times three plus total size.
    pub fn weight(&self) -> usize {
        self.base_size * 3 + self.bytes.len()
    }

    /// Virtual size: weight divided by four, rounded up.
    pub fn vsize(&self) -> usize {
        self.weight().div_ceil(4)
    }

    /// The witness txid (equal to the txid for transactions without witness).
    /// Costs a second hash over the full serialization.
    pub fn wtxid(&self) -> Wtxid {
        if self.has_witness { Wtxid(dsha256(self.bytes)) } else { Wtxid(self.txid.0) }
    }
}

/// Decodes one transaction starting at `data[start]`, calling `visitor` for its parts.
///
/// Trailing bytes after the transaction are not an error here (a block holds many);
/// the returned [`TxInfo::bytes`] ends where the transaction does.
///
/// # Errors
/// Returns a [`DecodeError`] naming the field and offset if the bytes end early, a
/// CompactSize is non-canonical or too large, or the SegWit flag is invalid.
#[inline]
pub fn decode_tx<'a, V: TxVisitor<'a> + ?Sized>(
    data: &'a [u8],
    start: usize,
    index: usize,
    visitor: &mut V,
) -> Result<TxInfo<'a>, DecodeError> {
    let mut c = Cursor::new(data, start);
    let version = c.u32("version")?;
    let mut body_start = c.pos();
    let mut input_count = c.count("input count", MIN_INPUT_SIZE)?;
    let mut has_witness = false;
    let mut outputs_follow = true;
    if input_count == 0 {
        // Either the BIP 144 marker or a transaction without inputs. Bitcoin Core
        // reads the next byte as the flag; a zero flag means "no inputs, no outputs".
        let flag_pos = c.pos();
        let flag = c.u8("segwit flag")?;
        match flag {
            0 => outputs_follow = false,
            1 => {
                has_witness = true;
                body_start = c.pos();
                input_count = c.count("input count", MIN_INPUT_SIZE)?;
            }
            other => {
                return Err(DecodeError::new(DecodeErrorKind::UnknownWitnessFlag(other), "segwit flag", flag_pos));
            }
        }
    }
    visitor.tx_begin(index);
    for i in 0..input_count {
        let prev_txid = c.array::<32>("input prevout txid")?;
        let prev_vout = c.u32("input prevout index")?;
        let script_sig = c.var_bytes("input script")?;
        let sequence = c.u32("input sequence")?;
        visitor.input(i, &TxIn { prev_txid, prev_vout, script_sig, sequence });
    }
    let output_count = if outputs_follow { c.count("output count", MIN_OUTPUT_SIZE)? } else { 0 };
    for i in 0..output_count {
        let value = c.u64("output value")?;
        let script_pubkey = c.var_bytes("output script")?;
        visitor.output(i, &TxOut { value, script_pubkey });
    }
    let body_end = c.pos();
    if has_witness {
        let witness_start = c.pos();
        let mut any_item = false;
        for i in 0..input_count {
            let len = c.count("witness item count", 1)?;
            let items_start = c.pos();
            for _ in 0..len {
                c.var_bytes("witness item")?;
            }
            any_item |= len > 0;
            visitor.witness(i, Witness { items: &data[items_start..c.pos()], len });
        }
        if !any_item {
            return Err(DecodeError::new(DecodeErrorKind::SuperfluousWitness, "witness", witness_start));
        }
    }
    let lock_time_pos = c.pos();
    let lock_time = c.u32("lock time")?;
    let end = c.pos();
    let bytes = &data[start..end];
    let (txid, base_size) = if has_witness {
        let parts: [&[u8]; 3] = [&data[start..start + 4], &data[body_start..body_end], &data[lock_time_pos..end]];
        (Txid(dsha256_parts(&parts)), 8 + body_end - body_start)
    } else {
        (Txid(dsha256(bytes)), bytes.len())
    };
    let info =
        TxInfo { bytes, offset: start, txid, version, lock_time, input_count, output_count, base_size, has_witness };
    visitor.tx_end(index, &info);
    Ok(info)
}

/// A decoded transaction with its parts collected: the owned-index twin of the
/// visitor path, for callers that want random access. Still borrows every script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction<'a> {
    /// Sizes, ids and header fields.
    pub info: TxInfo<'a>,
    /// Inputs in order.
    pub inputs: Vec<TxIn<'a>>,
    /// Outputs in order.
    pub outputs: Vec<TxOut<'a>>,
    /// Witness stacks, one per input; empty when the transaction has no witness.
    pub witnesses: Vec<Witness<'a>>,
}

impl<'a> Transaction<'a> {
    /// Decodes a transaction that fills `bytes` exactly.
    ///
    /// # Errors
    /// As [`decode_tx`], plus [`DecodeErrorKind::TrailingBytes`] if bytes remain.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let tx = Self::decode_at(bytes, 0, 0)?;
        let end = tx.info.bytes.len();
        if end != bytes.len() {
            return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(bytes.len() - end), "transaction", end));
        }
        Ok(tx)
    }

    /// Decodes the transaction at `data[start]` (the `index`-th of its block).
    ///
    /// # Errors
    /// As [`decode_tx`].
    pub fn decode_at(data: &'a [u8], start: usize, index: usize) -> Result<Self, DecodeError> {
        let mut collect = Collect::default();
        let info = decode_tx(data, start, index, &mut collect)?;
        Ok(Self { info, inputs: collect.inputs, outputs: collect.outputs, witnesses: collect.witnesses })
    }

    /// True when this is a coinbase transaction (one input with the null outpoint).
    pub fn is_coinbase(&self) -> bool {
        self.inputs.len() == 1 && self.inputs[0].is_coinbase()
    }
}

#[derive(Default)]
struct Collect<'a> {
    inputs: Vec<TxIn<'a>>,
    outputs: Vec<TxOut<'a>>,
    witnesses: Vec<Witness<'a>>,
}

impl<'a> TxVisitor<'a> for Collect<'a> {
    fn input(&mut self, _: usize, input: &TxIn<'a>) {
        self.inputs.push(*input);
    }
    fn output(&mut self, _: usize, output: &TxOut<'a>) {
        self.outputs.push(*output);
    }
    fn witness(&mut self, _: usize, witness: Witness<'a>) {
        self.witnesses.push(witness);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The genesis coinbase.
    const GENESIS_COINBASE: &str = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";

    #[test]
    fn genesis_coinbase_txid() {
        let bytes = hex::decode(GENESIS_COINBASE).unwrap();
        let tx = Transaction::decode(&bytes).unwrap();
        assert!(tx.is_coinbase());
        assert_eq!(tx.info.txid.to_string(), "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
        assert_eq!(tx.outputs[0].value, 50 * 100_000_000);
        assert_eq!(tx.info.weight(), 4 * bytes.len());
    }

    #[test]
    fn segwit_txid_ignores_witness() {
        // A P2WSH spend from signet block 26808 (txid 8696e8..., wtxid cd997d...).
        let bytes = hex::decode("0200000000010129904adaa5949b9c8f6a7b85be5aabfd7473eb7bf31d86601dc64b2b09772a710000000000ffffffff01e0c1c81d000000002200204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc3326001015100000000").unwrap();
        let tx = Transaction::decode(&bytes).unwrap();
        assert_eq!(tx.info.txid.to_string(), "8696e87fdf653f5af33048ee9f6b68fc3e1d71b404e39128fe71767715260e30");
        assert_eq!(tx.info.wtxid().to_string(), "cd997d905f89e43d494edb98e9706fce0163d52380f13031db8d8113bafa9ed2");
        assert_eq!((tx.info.size(), tx.info.vsize(), tx.info.weight()), (99, 96, 381));
        assert_eq!(tx.witnesses[0].iter().collect::<Vec<_>>(), vec![&[0x51u8][..]]);
    }

    #[test]
    fn truncated_tx_names_field_and_offset() {
        let bytes = hex::decode(GENESIS_COINBASE).unwrap();
        let err = Transaction::decode(&bytes[..100]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::SizeTooLarge(77));
        assert_eq!((err.field, err.offset), ("input script", 41));
        let err = Transaction::decode(&bytes[..121]).unwrap_err();
        assert_eq!((err.kind, err.field, err.offset), (DecodeErrorKind::UnexpectedEnd, "input sequence", 119));
    }

    #[test]
    fn empty_witness_with_flag_is_rejected() {
        // version, marker, flag, 1 input, 1 output, empty witness, lock time
        let mut bytes = vec![2, 0, 0, 0, 0, 1, 1];
        bytes.extend([0u8; 36]);
        bytes.extend([0, 0xff, 0xff, 0xff, 0xff, 1]);
        bytes.extend([0u8; 8]);
        bytes.extend([0, 0, 0, 0, 0, 0]);
        let err = Transaction::decode(&bytes).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::SuperfluousWitness);
    }
}
