//! Errors of the byte-level decoders (transactions, blocks).
//!
//! Offsets are relative to the start of the buffer the decoder was given (a block or
//! a lone transaction); the blocks-directory reader adds the file and file offset.

use std::fmt;

/// What went wrong while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The data ended before the field was complete.
    UnexpectedEnd,
    /// A CompactSize was not in its shortest form (Bitcoin Core rejects these).
    NonCanonicalSize,
    /// A count or length larger than the bytes that remain could hold.
    SizeTooLarge(u64),
    /// The SegWit flag byte had bits Bitcoin Core does not know.
    UnknownWitnessFlag(u8),
    /// The SegWit flag was set but every witness was empty.
    SuperfluousWitness,
    /// Bytes were left after the last transaction of a block.
    TrailingBytes(usize),
    /// A block without transactions.
    NoTransactions,
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEnd => f.write_str("unexpected end of data"),
            Self::NonCanonicalSize => f.write_str("non-canonical compact size"),
            Self::SizeTooLarge(n) => write!(f, "size {n} larger than the remaining data"),
            Self::UnknownWitnessFlag(flag) => write!(f, "unknown segwit flag 0x{flag:02x}"),
            Self::SuperfluousWitness => f.write_str("segwit flag set but all witnesses empty"),
            Self::TrailingBytes(n) => write!(f, "{n} trailing bytes"),
            Self::NoTransactions => f.write_str("block has no transactions"),
        }
    }
}

/// An error decoding a transaction or block, with the field and byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} in {field} at byte {offset}{}", tx_context(*.tx))]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// The field being read (for example `"output value"`).
    pub field: &'static str,
    /// Byte offset from the start of the decoded buffer.
    pub offset: usize,
    /// Index of the transaction in its block, when decoding a block.
    pub tx: Option<usize>,
}

fn tx_context(tx: Option<usize>) -> String {
    tx.map(|i| format!(" (transaction #{i})")).unwrap_or_default()
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind, field: &'static str, offset: usize) -> Self {
        Self { kind, field, offset, tx: None }
    }
}
