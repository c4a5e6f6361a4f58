//! A cursor over a blob: Monero's varints, fixed-width fields and skips, each
//! failing with the field name and offset.

use crate::error::{DecodeError, DecodeErrorKind};

/// Reads a blob front to back.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Added to every offset reported (the blob's place in a larger one).
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0, base: 0 }
    }

    /// A reader at the start of `buf` whose errors report offsets from `base`.
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    /// The position in the blob.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The bytes between two positions.
    pub fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        &self.buf[from..to]
    }

    /// An error at the current position.
    pub fn error(&self, field: impl Into<String>, kind: DecodeErrorKind) -> DecodeError {
        self.error_at(field, self.pos, kind)
    }

    /// An error at position `pos`.
    pub fn error_at(&self, field: impl Into<String>, pos: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { field: field.into(), offset: self.base + pos, kind }
    }

    /// A LEB128 varint as Monero writes it: at most 64 bits, shortest form only.
    pub fn varint(&mut self, field: &dyn Fn() -> String) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(self.error_at(field(), start, DecodeErrorKind::Truncated));
            };
            self.pos += 1;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(self.error_at(field(), start, DecodeErrorKind::BadVarint));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(self.error_at(field(), start, DecodeErrorKind::BadVarint));
                }
                return Ok(value);
            }
        }
        Err(self.error_at(field(), start, DecodeErrorKind::BadVarint))
    }

    /// A count that must be at most `max` and fit `min_size` bytes per item in
    /// what remains.
    pub fn count(&mut self, field: &dyn Fn() -> String, min_size: usize, max: u64) -> Result<usize, DecodeError> {
        let start = self.pos;
        let n = self.varint(field)?;
        let fits = (self.remaining() as u64) / (min_size.max(1) as u64);
        if n > max || n > fits {
            return Err(self.error_at(field(), start, DecodeErrorKind::BadCount(n)));
        }
        Ok(n as usize)
    }

    /// `n` bytes.
    pub fn bytes(&mut self, n: usize, field: &dyn Fn() -> String) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(self.error(field(), DecodeErrorKind::Truncated));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A 32-byte key or hash.
    pub fn key(&mut self, field: &dyn Fn() -> String) -> Result<[u8; 32], DecodeError> {
        let b = self.bytes(32, field)?;
        let mut out = [0u8; 32];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// One byte.
    pub fn byte(&mut self, field: &dyn Fn() -> String) -> Result<u8, DecodeError> {
        Ok(self.bytes(1, field)?[0])
    }

    /// A little-endian u32.
    pub fn u32_le(&mut self, field: &dyn Fn() -> String) -> Result<u32, DecodeError> {
        let b = self.bytes(4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Skips `count * size` bytes, checking the product does not overflow.
    pub fn skip(&mut self, count: usize, size: usize, field: &dyn Fn() -> String) -> Result<(), DecodeError> {
        let n = count.checked_mul(size).ok_or_else(|| self.error(field(), DecodeErrorKind::BadCount(count as u64)))?;
        self.bytes(n, field).map(|_| ())
    }
}

/// Appends `value` as a Monero varint.
pub fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<u64, DecodeError> {
        Reader::new(bytes).varint(&|| "v".into())
    }

    #[test]
    fn varints_round_trip_and_reject_bad_forms() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut b = Vec::new();
            write_varint(&mut b, v);
            assert_eq!(read(&b).unwrap(), v);
        }
        assert_eq!(read(&[0x80, 0x00]).unwrap_err().kind, DecodeErrorKind::BadVarint);
        assert_eq!(read(&[0xff; 10]).unwrap_err().kind, DecodeErrorKind::BadVarint);
        assert_eq!(read(&[0x80]).unwrap_err().kind, DecodeErrorKind::Truncated);
    }
}
