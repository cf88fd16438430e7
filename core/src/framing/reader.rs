//! Reading frames back out of buffers, checking every byte (the format is in [`super`]).

use super::error::FrameError;
use super::event::Event;
use super::{
    header_offset, kind_name, HEADER_LEN, KIND_EVENT, KIND_RECORD, KIND_RECORD_CONTINUATION,
    KIND_RECORD_FIRST, PAYLOAD_ALIGN,
};

/// One frame read from a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A record's payload, 16-byte aligned: in place in the buffer when the
    /// record did not span buffers, else in the reader's scratch buffer.
    Record(&'a [u8]),
    /// An in-band event.
    Event(Event),
}

/// The reader's default cap on a spanning record's length (64 MiB).
pub const DEFAULT_MAX_RECORD_SIZE: usize = 64 << 20;

/// Reads frames from a channel's buffers, one buffer after the other, and
/// reassembles records that span buffers.
///
/// Safe on untrusted (foreign) bytes: every length is checked against the
/// buffer, errors name what was wrong and where, nothing panics, and a spanning
/// record's memory grows only with bytes that actually arrived, up to
/// `max_record_size`.
#[derive(Debug, Clone)]
pub struct FrameReader {
    max_record_size: usize,
    /// Holds a spanning record being reassembled (or a record copied out of a
    /// misaligned slice); 16-byte aligned.
    scratch: AlignedBytes,
    /// The spanning record in progress: its total length and the bytes gathered.
    pending: Option<(usize, usize)>,
}

impl Default for FrameReader {
    fn default() -> Self {
        FrameReader::new(DEFAULT_MAX_RECORD_SIZE)
    }
}

impl FrameReader {
    /// A reader that rejects spanning records longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> Self {
        FrameReader {
            max_record_size,
            scratch: AlignedBytes::default(),
            pending: None,
        }
    }

    /// The cap on a spanning record's length.
    pub fn max_record_size(&self) -> usize {
        self.max_record_size
    }

    /// Whether a spanning record is half read (its rest is in the next buffer).
    pub fn is_mid_record(&self) -> bool {
        self.pending.is_some()
    }

    /// Forgets any half-read spanning record (after an error, or when a channel
    /// is reset) and frees the scratch memory.
    pub fn reset(&mut self) {
        self.pending = None;
        self.scratch = AlignedBytes::default();
    }

    /// Reads the next complete frame of `buf` from `*pos` (0 for a new buffer),
    /// advancing `*pos` past it.
    ///
    /// `Ok(None)` means the buffer is exhausted; that includes a spanning record
    /// whose next part is in the next buffer, which the reader keeps meanwhile
    /// (the buffer itself can be dropped). On error `*pos` is left unchanged.
    pub fn next_frame<'a>(
        &'a mut self,
        buf: &'a [u8],
        pos: &mut usize,
    ) -> Result<Option<Frame<'a>>, FrameError> {
        if *pos >= buf.len() {
            return Ok(None);
        }
        let at = header_offset(*pos);
        let available = buf.len().saturating_sub(at);
        if available < HEADER_LEN {
            return Err(FrameError::TruncatedHeader {
                offset: at,
                available,
            });
        }
        let header = &buf[at..at + HEADER_LEN];
        let (kind, tag) = (header[0], header[1]);
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let start = at + HEADER_LEN;
        let available = buf.len() - start;
        if header[2] != 0 || header[3] != 0 || (tag != 0 && kind != KIND_EVENT) {
            return Err(FrameError::ReservedBytes { offset: at });
        }
        if let Some((total, gathered)) = self.pending {
            if kind != KIND_RECORD_CONTINUATION {
                return Err(match kind {
                    KIND_RECORD | KIND_RECORD_FIRST | KIND_EVENT => {
                        FrameError::MissingContinuation {
                            offset: at,
                            found: kind_name(kind),
                        }
                    }
                    _ => FrameError::UnknownKind { offset: at, kind },
                });
            }
            return self.continuation(buf, pos, at, len, total, gathered);
        }
        match kind {
            KIND_RECORD => {
                if len > available {
                    return Err(FrameError::PayloadOutOfBounds {
                        offset: at,
                        len,
                        available,
                    });
                }
                *pos = start + len;
                let payload = &buf[start..start + len];
                if payload.as_ptr() as usize % PAYLOAD_ALIGN == 0 {
                    Ok(Some(Frame::Record(payload)))
                } else {
                    // The caller's slice does not start aligned: copy, so that
                    // records are always aligned.
                    self.scratch.clear();
                    self.scratch.extend(payload);
                    Ok(Some(Frame::Record(self.scratch.as_bytes())))
                }
            }
            KIND_EVENT => {
                if len > available {
                    return Err(FrameError::PayloadOutOfBounds {
                        offset: at,
                        len,
                        available,
                    });
                }
                let event = Event::decode(tag, &buf[start..start + len], at)?;
                *pos = start + len;
                Ok(Some(Frame::Event(event)))
            }
            KIND_RECORD_FIRST => {
                if len > self.max_record_size {
                    return Err(FrameError::RecordTooLarge {
                        offset: at,
                        len,
                        max: self.max_record_size,
                    });
                }
                if len <= available {
                    return Err(FrameError::SpanningRecordFits {
                        offset: at,
                        len,
                        available,
                    });
                }
                self.scratch.clear();
                self.scratch.extend(&buf[start..]);
                self.pending = Some((len, available));
                *pos = buf.len();
                Ok(None)
            }
            KIND_RECORD_CONTINUATION => Err(FrameError::UnexpectedContinuation { offset: at }),
            _ => Err(FrameError::UnknownKind { offset: at, kind }),
        }
    }

    fn continuation<'a>(
        &'a mut self,
        buf: &'a [u8],
        pos: &mut usize,
        at: usize,
        len: usize,
        total: usize,
        gathered: usize,
    ) -> Result<Option<Frame<'a>>, FrameError> {
        let start = at + HEADER_LEN;
        let available = buf.len() - start;
        if len > available {
            return Err(FrameError::PayloadOutOfBounds {
                offset: at,
                len,
                available,
            });
        }
        let missing = total - gathered;
        if len > missing {
            return Err(FrameError::ContinuationOverrun {
                offset: at,
                len,
                missing,
            });
        }
        if len < missing && len < available {
            return Err(FrameError::ShortContinuation {
                offset: at,
                len,
                missing,
            });
        }
        self.scratch.extend(&buf[start..start + len]);
        *pos = start + len;
        if len == missing {
            self.pending = None;
            Ok(Some(Frame::Record(self.scratch.as_bytes())))
        } else {
            self.pending = Some((total, gathered + len));
            Ok(None)
        }
    }

    #[cfg(test)]
    pub(crate) fn scratch_capacity(&self) -> usize {
        self.scratch.blocks.capacity() * PAYLOAD_ALIGN
    }
}

/// A 16-byte-aligned block of bytes.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
struct Block([u8; PAYLOAD_ALIGN]);

/// A growable byte buffer whose start is 16-byte aligned.
#[derive(Debug, Default, Clone)]
struct AlignedBytes {
    blocks: Vec<Block>,
    len: usize,
}

impl AlignedBytes {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn extend(&mut self, bytes: &[u8]) {
        let new_len = self.len + bytes.len();
        let blocks = new_len.div_ceil(PAYLOAD_ALIGN);
        if self.blocks.len() < blocks {
            // Grows (amortized) only by the bytes that arrived.
            self.blocks.resize(blocks, Block([0; PAYLOAD_ALIGN]));
        }
        let at = self.len;
        self.all_bytes_mut()[at..new_len].copy_from_slice(bytes);
        self.len = new_len;
    }

    fn as_bytes(&self) -> &[u8] {
        // SAFETY: `Block` is `repr(C)` around `[u8; 16]`: 16 initialized bytes
        // with no padding, valid as any `u8`s; `len <= blocks.len() * 16`, so the
        // slice covers only initialized elements of the vector, borrowed for as
        // long as `&self`.
        unsafe { std::slice::from_raw_parts(self.blocks.as_ptr().cast::<u8>(), self.len) }
    }

    fn all_bytes_mut(&mut self) -> &mut [u8] {
        let n = self.blocks.len() * PAYLOAD_ALIGN;
        // SAFETY: as in `as_bytes`, the vector's `blocks.len()` elements are
        // `n` initialized bytes with no padding; `&mut self` makes this borrow
        // exclusive, and every byte pattern is a valid `Block`.
        unsafe { std::slice::from_raw_parts_mut(self.blocks.as_mut_ptr().cast::<u8>(), n) }
    }
}

/// The payload of the next whole, aligned record frame of `buf` at or after `*pos`, skipping
/// events, with `*pos` moved past it: a look-ahead over a buffer that a [`FrameReader`]
/// reads afterwards. Never fails: at the end of the buffer, at a record spanning buffers or
/// a continuation, and at anything malformed (which the reader then reports) it returns
/// `None` and moves `*pos` to the end.
pub fn peek_record<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    while *pos < buf.len() {
        let at = header_offset(*pos);
        let start = at + HEADER_LEN;
        let (Some(header), Some(available)) = (buf.get(at..start), buf.len().checked_sub(start))
        else {
            break;
        };
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if len > available {
            break;
        }
        *pos = start + len;
        match header[0] {
            KIND_RECORD => {
                let payload = buf.get(start..start + len)?;
                if payload.as_ptr() as usize % PAYLOAD_ALIGN != 0 {
                    break;
                }
                return Some(payload);
            }
            KIND_EVENT => {}
            _ => break,
        }
    }
    *pos = buf.len();
    None
}
