//! Little-endian framing shared by the snapshot formats: appending integers and
//! length-prefixed parts, and [`Reader`], a cursor that turns every short read into a
//! [`StateError`] naming what was read and where.

use crate::codec::StateCodec;
use crate::error::StateError;

/// Appends `v` as 4 little-endian bytes.
pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` as 8 little-endian bytes.
pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` as 8 little-endian bytes.
pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a count or length that must fit 32 bits; `what` names it in the error.
pub(crate) fn put_len(out: &mut Vec<u8>, len: usize, what: &str) -> Result<(), StateError> {
    let len = u32::try_from(len).map_err(|_| StateError::SnapshotTooLarge {
        what: what.to_owned(),
        len: len as u64,
    })?;
    put_u32(out, len);
    Ok(())
}

/// Appends a string, length first.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), StateError> {
    put_len(out, s.len(), "a name")?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// Appends `value`'s encoding, length first.
pub(crate) fn put_value<T: StateCodec>(out: &mut Vec<u8>, value: &T) -> Result<(), StateError> {
    let at = out.len();
    put_u32(out, 0);
    value.encode(out)?;
    let len = out.len() - at - 4;
    let len = u32::try_from(len).map_err(|_| StateError::SnapshotTooLarge {
        what: std::any::type_name::<T>().to_owned(),
        len: len as u64,
    })?;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
    Ok(())
}

/// Reserves 8 bytes for a length written later with [`patch_u64_len`]; returns their
/// position.
pub(crate) fn reserve_u64(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    put_u64(out, 0);
    at
}

/// Writes into the 8 bytes reserved at `at` the number of bytes appended after them.
pub(crate) fn patch_u64_len(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 8) as u64;
    if let Some(slot) = out.get_mut(at..at + 8) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
}

/// Reads a byte slice front to back. `base` is the slice's offset in the whole stream, so
/// errors report stream offsets; `context` says which part of the stream it is (e.g.
/// "key group 17").
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: u64,
    context: &'a str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, which start at stream offset `base`.
    pub(crate) fn new(bytes: &'a [u8], base: u64, context: &'a str) -> Self {
        Self {
            bytes,
            pos: 0,
            base,
            context,
        }
    }

    /// The stream offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Whether every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes; `what` names them in the error if there are fewer.
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], StateError> {
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.pos..end));
        match slice {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(StateError::SnapshotTruncated {
                what: format!("{} of {}", what, self.context),
                offset: self.offset(),
                needed: n as u64,
                available: self.remaining() as u64,
            }),
        }
    }

    /// The next 4 bytes as a little-endian `u32`.
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, StateError> {
        let b = self.take(4, what)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_le_bytes(a))
    }

    /// The next 8 bytes as a little-endian `u64`.
    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, StateError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// The next 8 bytes as a little-endian `i64`.
    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, StateError> {
        self.u64(what).map(|v| v as i64)
    }

    /// The next byte.
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, StateError> {
        Ok(self.take(1, what)?.first().copied().unwrap_or(0))
    }

    /// A string written by [`put_str`].
    pub(crate) fn str(&mut self, what: &str) -> Result<String, StateError> {
        let len = self.u32(what)? as usize;
        let at = self.offset();
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.corrupt_at(at, what, "not UTF-8"))
    }

    /// A part prefixed by its 8-byte length (see [`reserve_u64`]).
    pub(crate) fn part(&mut self, what: &str) -> Result<(&'a [u8], u64), StateError> {
        let len = self.u64(what)?;
        let at = self.offset();
        let len =
            usize::try_from(len).map_err(|_| self.corrupt_at(at, what, "length too large"))?;
        Ok((self.take(len, what)?, at))
    }

    /// A value written by [`put_value`], decoded (and validated).
    pub(crate) fn value<T: StateCodec>(&mut self, what: &str) -> Result<T, StateError> {
        let len = self.u32(what)? as usize;
        let at = self.offset();
        let bytes = self.take(len, what)?;
        T::decode(bytes).map_err(|e| self.corrupt_at(at, what, &e.to_string()))
    }

    /// An error for bytes that are present but wrong, at stream offset `offset`.
    pub(crate) fn corrupt_at(&self, offset: u64, what: &str, reason: &str) -> StateError {
        StateError::SnapshotCorrupt {
            what: format!("{} of {}", what, self.context),
            offset,
            reason: reason.to_owned(),
        }
    }
}

/// The CRC-32C (Castagnoli) checksum of `bytes`.
pub(crate) fn crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

/// Up to the first 8 bytes of `bytes` in hex, for naming a bad magic.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// An I/O error while writing a snapshot stream.
pub(crate) fn stream_io(e: std::io::Error) -> StateError {
    StateError::SnapshotIo {
        path: "<stream>".into(),
        reason: e.to_string(),
    }
}

/// Writes the start of a snapshot stream: `magic`, `version`, the header's length, the
/// header and its checksum (what [`read_stream_header`] checks).
pub(crate) fn write_stream_header(
    out: &mut impl std::io::Write,
    magic: &[u8; 8],
    version: u32,
    head: &[u8],
) -> Result<(), StateError> {
    let head_len = u32::try_from(head.len()).map_err(|_| StateError::SnapshotTooLarge {
        what: "the snapshot header".into(),
        len: head.len() as u64,
    })?;
    out.write_all(magic).map_err(stream_io)?;
    out.write_all(&version.to_le_bytes()).map_err(stream_io)?;
    out.write_all(&head_len.to_le_bytes()).map_err(stream_io)?;
    out.write_all(head).map_err(stream_io)?;
    out.write_all(&crc(head).to_le_bytes()).map_err(stream_io)
}

/// Checks the start of a snapshot stream of `format` (its `magic`, its `version`, and the
/// checksum of its header) and returns a reader over the header, whose offsets are the
/// stream's.
pub(crate) fn read_stream_header<'a>(
    stream: &'a [u8],
    magic: &[u8; 8],
    version: u32,
    format: &'static str,
) -> Result<Reader<'a>, StateError> {
    let mut r = Reader::new(stream, 0, "the stream");
    let found = r
        .take(8, "magic bytes")
        .map_err(|_| StateError::SnapshotBadMagic {
            format,
            found: hex(stream),
        })?;
    if found != magic {
        return Err(StateError::SnapshotBadMagic {
            format,
            found: hex(found),
        });
    }
    let found = r.u32("format version")?;
    if found != version {
        return Err(StateError::SnapshotVersion {
            format,
            found,
            supported: version,
        });
    }
    let head_len = r.u32("header length")? as usize;
    let head_at = r.offset();
    let head = r.take(head_len, "header")?;
    let expected = r.u32("header checksum")?;
    let actual = crc(head);
    if actual != expected {
        return Err(StateError::SnapshotChecksum {
            what: "the header".into(),
            offset: head_at,
            expected,
            actual,
        });
    }
    Ok(Reader::new(head, head_at, "the header"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_short_reads_with_offsets() {
        let mut out = Vec::new();
        put_u32(&mut out, 7);
        put_str(&mut out, "héllo").unwrap();
        put_value(&mut out, &42u64).unwrap();
        let at = reserve_u64(&mut out);
        out.extend_from_slice(b"abc");
        patch_u64_len(&mut out, at);
        let mut r = Reader::new(&out, 100, "test");
        assert_eq!(r.u32("seven").unwrap(), 7);
        assert_eq!(r.str("name").unwrap(), "héllo");
        assert_eq!(r.value::<u64>("value").unwrap(), 42);
        assert_eq!(r.part("part").unwrap(), (&b"abc"[..], 100 + at as u64 + 8));
        assert!(r.is_empty());
        let err = r.u64("more").unwrap_err();
        assert_eq!(
            err,
            StateError::SnapshotTruncated {
                what: "more of test".into(),
                offset: 100 + out.len() as u64,
                needed: 8,
                available: 0
            }
        );
        // A length far beyond the bytes.
        let mut r = Reader::new(&[0xFF; 8], 0, "test");
        assert!(r.part("huge").is_err());
        let mut r = Reader::new(&[2, 0, 0, 0, 0xC3, 0x28], 0, "test");
        assert!(r
            .str("bad utf-8")
            .unwrap_err()
            .to_string()
            .contains("UTF-8"));
    }

    #[test]
    fn crc32c_known_value() {
        // The check value of CRC-32C.
        assert_eq!(crc(b"123456789"), 0xE306_9283);
    }
}
