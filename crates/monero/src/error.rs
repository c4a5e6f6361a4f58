//! Decode errors: what was wrong, in which field, at which byte offset.

/// Why a blob did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The blob ended inside the field.
    #[error("unexpected end of data")]
    Truncated,
    /// A varint longer than 64 bits, or not in its shortest form.
    #[error("malformed varint")]
    BadVarint,
    /// A tag byte (input, output, RingCT type) that Monero does not define.
    #[error("unknown tag {0:#04x}")]
    UnknownTag(u8),
    /// A count larger than the remaining bytes could hold, or than consensus allows.
    #[error("implausible count {0}")]
    BadCount(u64),
    /// A value that is well formed but not allowed here.
    #[error("{0}")]
    Invalid(&'static str),
    /// Bytes left over after the object.
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

/// A decode error naming the field and the byte offset where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field} at offset {offset}: {kind}")]
pub struct DecodeError {
    /// The field being read, e.g. `vin[1].key_offsets`.
    pub field: String,
    /// Byte offset in the blob.
    pub offset: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}
