//! A bounds-checked reader over borrowed bytes: the primitive every decoder here uses.
//!
//! Hand-written rather than `std::io::Read` because the decoders hand out
//! sub-slices of the input (zero copy) and need the offset for error messages.

use crate::error::{DecodeError, DecodeErrorKind};

/// Reads little-endian integers, CompactSizes and slices from a byte buffer.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        Self { data, pos }
    }

    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    #[inline]
    fn end(&self, field: &'static str) -> DecodeError {
        DecodeError::new(DecodeErrorKind::UnexpectedEnd, field, self.pos)
    }

    /// Takes the next `len` bytes.
    #[inline]
    pub(crate) fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(len).filter(|&end| end <= self.data.len()).ok_or_else(|| self.end(field))?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// Takes the next `N` bytes as an array reference.
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> Result<&'a [u8; N], DecodeError> {
        let slice = self.take(N, field)?;
        // `take` returned exactly N bytes.
        slice.try_into().map_err(|_| self.end(field))
    }

    #[inline]
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let byte = *self.data.get(self.pos).ok_or_else(|| self.end(field))?;
        self.pos += 1;
        Ok(byte)
    }

    #[inline]
    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(*self.array::<4>(field)?))
    }

    #[inline]
    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(*self.array::<8>(field)?))
    }

    /// Reads a CompactSize, rejecting non-canonical encodings as Bitcoin Core does.
    #[inline]
    pub(crate) fn compact_size(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let start = self.pos;
        let first = self.u8(field)?;
        let (value, min) = match first {
            0..=0xfc => return Ok(u64::from(first)),
            0xfd => (u64::from(u16::from_le_bytes(*self.array::<2>(field)?)), 0xfd),
            0xfe => (u64::from(self.u32(field)?), 0x1_0000),
            0xff => (self.u64(field)?, 0x1_0000_0000),
        };
        if value < min {
            return Err(DecodeError::new(DecodeErrorKind::NonCanonicalSize, field, start));
        }
        Ok(value)
    }

    /// Reads a CompactSize count of items that each take at least `min_item_size`
    /// bytes, rejecting counts the remaining bytes could not hold.
    #[inline]
    pub(crate) fn count(&mut self, field: &'static str, min_item_size: usize) -> Result<usize, DecodeError> {
        let start = self.pos;
        let n = self.compact_size(field)?;
        let fits = (self.remaining() / min_item_size.max(1)) as u64;
        if n > fits {
            return Err(DecodeError::new(DecodeErrorKind::SizeTooLarge(n), field, start));
        }
        Ok(n as usize)
    }

    /// Reads a CompactSize length followed by that many bytes.
    #[inline]
    pub(crate) fn var_bytes(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.count(field, 1)?;
        self.take(len, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_size_forms() {
        let mut c = Cursor::new(&[0xfc, 0xfd, 0xfd, 0x00, 0xfe, 0, 0, 1, 0], 0);
        assert_eq!(c.compact_size("n").unwrap(), 0xfc);
        assert_eq!(c.compact_size("n").unwrap(), 0xfd);
        assert_eq!(c.compact_size("n").unwrap(), 0x1_0000);
    }

    #[test]
    fn non_canonical_compact_size_is_rejected() {
        let err = Cursor::new(&[0xfd, 0x10, 0x00], 0).compact_size("count").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::NonCanonicalSize);
        assert_eq!(err.offset, 0);
    }

    #[test]
    fn count_larger_than_data_is_rejected() {
        let err = Cursor::new(&[0xfe, 0xff, 0xff, 0xff, 0x7f], 0).count("inputs", 41).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::SizeTooLarge(0x7fff_ffff));
    }
}
