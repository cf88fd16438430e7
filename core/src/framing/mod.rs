//! The frame format of records and in-band events inside buffers.
//!
//! A buffer (one memory segment) holds a sequence of frames. Every frame is an
//! 8-byte header followed by its payload; headers sit at offsets ≡ 8 (mod 16)
//! from the segment start, so every payload starts 16-byte aligned and an rkyv
//! archive can be read in place. Padding (zeros, never read) fills the gap
//! between the end of one payload and the next header slot.
//!
//! ```text
//!  offset 0        8               16                      16+n   (next ≡ 8 mod 16)
//!         ┌────────┬───────────────┬───────────────────────┬─────┬──────────┬──────
//!         │ pad    │ header        │ payload (n bytes,     │ pad │ header   │ ...
//!         │ 8 B    │ 8 B           │ 16-byte aligned)      │     │ 8 B      │
//!         └────────┴───────────────┴───────────────────────┴─────┴──────────┴──────
//!
//!  header:  byte 0     byte 1     bytes 2..4      bytes 4..8
//!         ┌──────────┬──────────┬───────────────┬────────────────────┐
//!         │ kind u8  │ tag u8   │ reserved = 0  │ len u32 LE         │
//!         └──────────┴──────────┴───────────────┴────────────────────┘
//!
//!  kind 1 RECORD        a whole record; len = payload bytes; tag = 0
//!  kind 2 RECORD_FIRST  first part of a record spanning buffers; len = the
//!                       record's TOTAL length; the part runs to the end of
//!                       this buffer (len > bytes left, else it would not span)
//!  kind 3 RECORD_CONT   next part of the spanning record, always the first frame
//!                       of the next buffer; len = bytes of the record here; a
//!                       part that does not complete the record fills its buffer
//!  kind 4 EVENT         an in-band event; tag = event type (see [`event`]);
//!                       len = its fixed little-endian encoding's size
//! ```
//!
//! A buffer ends exactly where its last payload ends (no trailing padding).
//! A record that does not fit in the rest of a buffer but fits in an empty one
//! (`len <= segment_size - 16`) starts in the next buffer, so the common path
//! never copies: the reader hands out a slice of the buffer itself. Only a
//! record larger than that spans buffers (starting right where the writer is,
//! if at least one payload byte fits), and the reader reassembles it into an
//! aligned scratch buffer, capped by its `max_record_size`.
//!
//! Back of the envelope: a record of `n` bytes takes `round_up(n + 8, 16)`
//! bytes — 8 bytes of header plus at most 15 of padding. A 136-byte Nexmark
//! bid takes exactly 144 (8 header, 0 padding: 5.6% overhead), so a 32 KiB
//! buffer holds (32768 - 8) / 144 = 227 bids, with 72 bytes left over
//! (99.8% of the buffer used). An event takes 16 (end-of-partition) to 32
//! bytes (checkpoint barrier, latency marker).

pub mod error;
pub mod event;
pub mod reader;
pub mod writer;

pub use error::FrameError;
pub use event::Event;
pub use reader::{Frame, FrameReader};
pub use writer::{write_event, write_record, WriteOutcome};

/// The size of a frame header in bytes.
pub const HEADER_LEN: usize = 8;

/// The alignment of every payload, relative to the segment start.
pub const PAYLOAD_ALIGN: usize = 16;

/// The largest record the format can describe (its length is a `u32`).
pub const MAX_RECORD_LEN: usize = u32::MAX as usize;

/// Frame kind: a whole record.
pub const KIND_RECORD: u8 = 1;
/// Frame kind: the first part of a record spanning buffers.
pub const KIND_RECORD_FIRST: u8 = 2;
/// Frame kind: a further part of a record spanning buffers.
pub const KIND_RECORD_CONTINUATION: u8 = 3;
/// Frame kind: an in-band event.
pub const KIND_EVENT: u8 = 4;

/// Where the next header goes when `pos` bytes of a buffer are used: the
/// smallest offset `>= pos` that is ≡ 8 (mod 16).
pub const fn header_offset(pos: usize) -> usize {
    ((pos + HEADER_LEN + PAYLOAD_ALIGN - 1) & !(PAYLOAD_ALIGN - 1)) - HEADER_LEN
}

/// How many bytes a frame with an `n`-byte payload takes in a buffer,
/// counting the padding before the next header.
pub const fn frame_len(n: usize) -> usize {
    (n + HEADER_LEN + PAYLOAD_ALIGN - 1) & !(PAYLOAD_ALIGN - 1)
}

/// The largest record that fits in an empty buffer of `segment_size` bytes
/// without spanning.
pub const fn max_unsplit_record(segment_size: usize) -> usize {
    segment_size - PAYLOAD_ALIGN
}

/// The name of a frame kind, for error messages.
pub(crate) fn kind_name(kind: u8) -> &'static str {
    match kind {
        KIND_RECORD => "record",
        KIND_RECORD_FIRST => "spanning record's first part",
        KIND_RECORD_CONTINUATION => "spanning record's continuation",
        KIND_EVENT => "event",
        _ => "unknown",
    }
}

pub(crate) fn encode_header(kind: u8, tag: u8, len: u32) -> [u8; HEADER_LEN] {
    let l = len.to_le_bytes();
    [kind, tag, 0, 0, l[0], l[1], l[2], l[3]]
}

#[cfg(test)]
mod tests;
