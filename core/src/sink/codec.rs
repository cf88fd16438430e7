//! A small hand-written byte encoding for checkpointed sink state: little-endian
//! integers and length-prefixed byte strings, read back with offsets in every error.

use super::error::StateDecodeError;

/// A value stored in checkpointed sink state (a transaction handle).
pub trait StateCodec: Sized {
    /// Appends the encoded value to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value; the reader must be left just after it.
    fn decode(input: &mut ByteReader<'_>) -> Result<Self, StateDecodeError>;
}

/// Appends `v` little-endian.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` little-endian.
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Reads encoded state front to back.
#[derive(Debug)]
pub struct ByteReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The offset of the next byte.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// An error at the current offset.
    pub fn error(&self, reason: impl Into<String>) -> StateDecodeError {
        StateDecodeError {
            offset: self.pos,
            reason: reason.into(),
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], StateDecodeError> {
        let left = self.bytes.len() - self.pos;
        if n > left {
            return Err(self.error(format!("truncated: {what} needs {n} bytes, {left} left")));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> Result<u8, StateDecodeError> {
        Ok(self.take(1, what)?[0])
    }

    /// A little-endian u32.
    pub fn u32(&mut self, what: &str) -> Result<u32, StateDecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian u64.
    pub fn u64(&mut self, what: &str) -> Result<u64, StateDecodeError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(a))
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), StateDecodeError> {
        let left = self.bytes.len() - self.pos;
        if left == 0 {
            Ok(())
        } else {
            Err(self.error(format!("{left} trailing bytes")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_was_written() {
        let mut out = Vec::new();
        put_u32(&mut out, 7);
        put_u64(&mut out, u64::MAX - 1);
        out.push(3);
        let mut r = ByteReader::new(&out);
        assert_eq!(r.u32("a").unwrap(), 7);
        assert_eq!(r.u64("b").unwrap(), u64::MAX - 1);
        assert_eq!(r.u8("c").unwrap(), 3);
        r.finish().unwrap();
    }

    #[test]
    fn short_input_names_the_field_and_offset() {
        let mut r = ByteReader::new(&[1, 2, 3, 4, 5]);
        r.u32("count").unwrap();
        let e = r.u64("length").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.reason.contains("length needs 8 bytes, 1 left"), "{e}");
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let r = ByteReader::new(&[0]);
        assert!(r.finish().unwrap_err().reason.contains("1 trailing"));
    }
}
