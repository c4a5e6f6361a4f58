//! Decoding errors: where (byte offset), what (the field) and why.

use std::fmt;

/// Why a field could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The data ended inside the field.
    Truncated,
    /// A CompactSize that is not minimally encoded, or too large.
    BadCompactSize,
    /// A count larger than the bytes left could hold.
    CountTooLarge(u64),
    /// A value out of its range (a version, a flag, an amount).
    Invalid(String),
    /// Bytes left after the last field.
    TrailingBytes(usize),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("truncated"),
            Self::BadCompactSize => f.write_str("non-canonical CompactSize"),
            Self::CountTooLarge(n) => write!(f, "count {n} exceeds the bytes left"),
            Self::Invalid(why) => f.write_str(why),
            Self::TrailingBytes(n) => write!(f, "{n} bytes after the end"),
        }
    }
}

/// A field that does not decode, at a byte offset of the block or transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError {
    /// Byte offset where the field starts (from the start of what was decoded).
    pub offset: usize,
    /// The field (`tx 3 vShieldedOutput count`).
    pub field: String,
    /// Why.
    pub kind: DecodeErrorKind,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {}: {}: {}", self.offset, self.field, self.kind)
    }
}

impl DecodeError {
    /// Prefixes the field with the transaction it belongs to.
    pub(crate) fn in_tx(mut self, index: usize) -> Self {
        self.field = format!("tx {index} {}", self.field);
        self
    }
}
