//! Writing records and events into buffers (the format is in [`super`]).

use super::event::Event;
use super::{
    encode_header, header_offset, max_unsplit_record, HEADER_LEN, KIND_EVENT, KIND_RECORD,
    KIND_RECORD_CONTINUATION, KIND_RECORD_FIRST, MAX_RECORD_LEN,
};
use crate::memory::BufferBuilder;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "on Full, finish the buffer and write again into a new one"]
pub enum WriteOutcome {
    /// The whole (remaining) frame was written.
    Done,
    /// The buffer has no room for (the rest of) the frame: finish it, and call
    /// again with the same arguments and a new, empty buffer.
    Full,
}

/// Writes record `payload` (or, for a record spanning buffers, its next part)
/// into `builder`.
///
/// `progress` counts the payload bytes already written: 0 for a new record;
/// on `Full` it says how far a spanning record got (possibly still 0, when the
/// record just starts in the next buffer), and on `Done` it is reset to 0. A
/// record that fits in an empty buffer (`len <= segment_size - 16`) never
/// spans: if it does not fit in the rest of this one, nothing is written and
/// the result is `Full`. A larger record starts here if at least one payload
/// byte fits, and continues at the start of each following buffer.
///
/// # Panics
/// If `payload` is longer than [`MAX_RECORD_LEN`], if `progress` is past its
/// end, or if a continuation is written into a buffer that is not empty (the
/// parts of a spanning record must be consecutive).
pub fn write_record(
    builder: &mut BufferBuilder,
    payload: &[u8],
    progress: &mut usize,
) -> WriteOutcome {
    let total = payload.len();
    assert!(
        total <= MAX_RECORD_LEN,
        "a record of {total} bytes is larger than the frame format allows"
    );
    let cap = builder.capacity();
    if *progress == 0 {
        let start = header_offset(builder.len()) + HEADER_LEN;
        if start <= cap && total <= cap - start {
            put_header(builder, KIND_RECORD, 0, total);
            builder.append(payload);
            return WriteOutcome::Done;
        }
        if total <= max_unsplit_record(cap) || start >= cap {
            // Fits in an empty buffer (no spanning for it), or not even one
            // byte of a spanning record fits here.
            return WriteOutcome::Full;
        }
        put_header(builder, KIND_RECORD_FIRST, 0, total);
        let n = builder.append(payload);
        debug_assert!(builder.is_full());
        *progress = n;
        return WriteOutcome::Full;
    }
    assert!(
        *progress < total,
        "progress {} is past the end of a {total}-byte record",
        *progress
    );
    assert!(
        builder.is_empty(),
        "the continuation of a spanning record must start an empty buffer"
    );
    let rest = &payload[*progress..];
    let n = rest.len().min(max_unsplit_record(cap));
    put_header(builder, KIND_RECORD_CONTINUATION, 0, n);
    builder.append(&rest[..n]);
    if n == rest.len() {
        *progress = 0;
        WriteOutcome::Done
    } else {
        debug_assert!(builder.is_full());
        *progress += n;
        WriteOutcome::Full
    }
}

/// Writes `event` into `builder`, or returns `Full` without writing anything
/// when it does not fit (an event never spans: it always fits in an empty buffer).
pub fn write_event(builder: &mut BufferBuilder, event: &Event) -> WriteOutcome {
    let start = header_offset(builder.len()) + HEADER_LEN;
    let n = event.encoded_len();
    if start > builder.capacity() || n > builder.capacity() - start {
        return WriteOutcome::Full;
    }
    put_header(builder, KIND_EVENT, event.tag(), n);
    let written = event.encode(builder.spare_mut());
    builder.advance(written);
    WriteOutcome::Done
}

/// Pads `builder` with zeros to the next header slot and writes a header;
/// the caller has checked that it fits.
fn put_header(builder: &mut BufferBuilder, kind: u8, tag: u8, len: usize) {
    let pad = header_offset(builder.len()) - builder.len();
    let len = u32::try_from(len).expect("lengths are checked against MAX_RECORD_LEN");
    let spare = builder.spare_mut();
    spare[..pad].fill(0);
    spare[pad..pad + HEADER_LEN].copy_from_slice(&encode_header(kind, tag, len));
    builder.advance(pad + HEADER_LEN);
}
