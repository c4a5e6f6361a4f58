//! A bounds-checked cursor over borrowed bytes. Every read names its field, so
//! an error says what was being read and where.

use crate::error::{DecodeError, DecodeErrorKind};

/// Reads little-endian fields from a byte slice.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Added to positions in errors (the transaction's offset in its block).
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize, base: usize) -> Self {
        Self { data, pos, base }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    pub(crate) fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn error(&self, at: usize, field: &str, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { offset: self.base + at, field: field.to_owned(), kind }
    }

    pub(crate) fn invalid(&self, at: usize, field: &str, why: String) -> DecodeError {
        self.error(at, field, DecodeErrorKind::Invalid(why))
    }

    pub(crate) fn bytes(&mut self, n: usize, field: &str) -> Result<&'a [u8], DecodeError> {
        if self.left() < n {
            return Err(self.error(self.pos, field, DecodeErrorKind::Truncated));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self, field: &str) -> Result<&'a [u8; N], DecodeError> {
        let b = self.bytes(N, field)?;
        // `bytes` returned exactly N bytes.
        Ok(b.try_into().unwrap_or_else(|_| unreachable!()))
    }

    pub(crate) fn u8(&mut self, field: &str) -> Result<u8, DecodeError> {
        Ok(self.bytes(1, field)?[0])
    }

    pub(crate) fn u32(&mut self, field: &str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(*self.array::<4>(field)?))
    }

    pub(crate) fn u64(&mut self, field: &str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(*self.array::<8>(field)?))
    }

    pub(crate) fn i64(&mut self, field: &str) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(*self.array::<8>(field)?))
    }

    /// A CompactSize, canonically encoded.
    pub(crate) fn compact_size(&mut self, field: &str) -> Result<u64, DecodeError> {
        let at = self.pos;
        let bad = |r: &Self| r.error(at, field, DecodeErrorKind::BadCompactSize);
        let n = match self.u8(field)? {
            0xfd => {
                let v = u64::from(u16::from_le_bytes(*self.array::<2>(field)?));
                if v < 0xfd {
                    return Err(bad(self));
                }
                v
            }
            0xfe => {
                let v = u64::from(self.u32(field)?);
                if v <= 0xffff {
                    return Err(bad(self));
                }
                v
            }
            0xff => {
                let v = self.u64(field)?;
                if v <= 0xffff_ffff {
                    return Err(bad(self));
                }
                v
            }
            b => u64::from(b),
        };
        Ok(n)
    }

    /// A count of items of at least `item_size` bytes each, refused when the
    /// bytes left could not hold that many (so a forged count cannot make the
    /// decoder allocate).
    pub(crate) fn count(&mut self, item_size: usize, field: &str) -> Result<usize, DecodeError> {
        let at = self.pos;
        let n = self.compact_size(field)?;
        if n.saturating_mul(item_size.max(1) as u64) > self.left() as u64 {
            return Err(self.error(at, field, DecodeErrorKind::CountTooLarge(n)));
        }
        Ok(n as usize)
    }

    /// A CompactSize-prefixed byte string.
    pub(crate) fn var_bytes(&mut self, field: &str) -> Result<&'a [u8], DecodeError> {
        let n = self.count(1, field)?;
        self.bytes(n, field)
    }
}
