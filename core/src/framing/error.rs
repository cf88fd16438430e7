//! What can be wrong with the frames in a buffer; every variant names the
//! byte offset (within the buffer) where it was found.

/// A malformed frame.
///
/// After an error the buffer's channel cannot be trusted: drop it, or
/// [`reset`](super::FrameReader::reset) the reader before reusing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The buffer ends inside a frame header.
    #[error(
        "truncated frame header at offset {offset}: {available} of 8 bytes left in the buffer"
    )]
    TruncatedHeader {
        /// Where the header starts.
        offset: usize,
        /// How many bytes were left.
        available: usize,
    },
    /// The header's kind byte is not a known kind.
    #[error("unknown frame kind {kind} at offset {offset}")]
    UnknownKind {
        /// Where the header starts.
        offset: usize,
        /// The kind byte.
        kind: u8,
    },
    /// Header bytes that must be zero are not.
    #[error("frame header at offset {offset} has non-zero reserved bytes")]
    ReservedBytes {
        /// Where the header starts.
        offset: usize,
    },
    /// The payload length runs past the end of the buffer.
    #[error(
        "frame at offset {offset} claims {len} payload bytes, but only {available} are left \
         in the buffer"
    )]
    PayloadOutOfBounds {
        /// Where the header starts.
        offset: usize,
        /// The claimed length.
        len: usize,
        /// How many bytes were left after the header.
        available: usize,
    },
    /// The event tag is not a known event.
    #[error("unknown event tag {tag} at offset {offset}")]
    UnknownEvent {
        /// Where the header starts.
        offset: usize,
        /// The tag byte.
        tag: u8,
    },
    /// A watermark-status event's byte is neither active nor idle.
    #[error("watermark-status event at offset {offset} has status byte {found}, expected 0 (active) or 1 (idle)")]
    BadWatermarkStatus {
        /// Where the header starts.
        offset: usize,
        /// The byte found.
        found: u8,
    },
    /// A checkpoint barrier has an unknown type or alignment byte, or a savepoint that is
    /// not aligned.
    #[error("checkpoint-barrier event at offset {offset} has a bad {field} byte {found}")]
    BadBarrier {
        /// Where the header starts.
        offset: usize,
        /// Which byte: `type` or `alignment`.
        field: &'static str,
        /// The byte found.
        found: u8,
    },
    /// An event's payload has the wrong size for its type.
    #[error("{event} event at offset {offset} has {found} payload bytes, expected {expected}")]
    EventLength {
        /// Where the header starts.
        offset: usize,
        /// The event type.
        event: &'static str,
        /// The size its encoding has.
        expected: usize,
        /// The size the frame claims.
        found: usize,
    },
    /// A spanning record is larger than the reader accepts.
    #[error(
        "spanning record at offset {offset} is {len} bytes, more than the maximum record \
         size of {max} bytes"
    )]
    RecordTooLarge {
        /// Where the header starts.
        offset: usize,
        /// The record's claimed total length.
        len: usize,
        /// The reader's limit.
        max: usize,
    },
    /// A spanning record's first part claims a total that fits in its buffer.
    #[error(
        "spanning record at offset {offset} claims {len} bytes in all, which fit in the \
         {available} bytes left in its buffer"
    )]
    SpanningRecordFits {
        /// Where the header starts.
        offset: usize,
        /// The claimed total length.
        len: usize,
        /// How many bytes were left after the header.
        available: usize,
    },
    /// A continuation arrived while no spanning record was in progress.
    #[error("continuation frame at offset {offset}, but no spanning record is in progress")]
    UnexpectedContinuation {
        /// Where the header starts.
        offset: usize,
    },
    /// A spanning record is in progress, but the next frame does not continue it.
    #[error(
        "expected the continuation of a spanning record at offset {offset}, found a {found} frame"
    )]
    MissingContinuation {
        /// Where the header starts.
        offset: usize,
        /// The kind of frame found.
        found: &'static str,
    },
    /// A continuation carries more bytes than the spanning record misses.
    #[error(
        "continuation at offset {offset} carries {len} bytes, but the spanning record misses \
         only {missing}"
    )]
    ContinuationOverrun {
        /// Where the header starts.
        offset: usize,
        /// The bytes it carries.
        len: usize,
        /// The bytes the record still missed.
        missing: usize,
    },
    /// A continuation that does not complete its record ends before its buffer.
    #[error(
        "continuation at offset {offset} carries {len} bytes and ends before its buffer does, \
         but the spanning record still misses {missing}"
    )]
    ShortContinuation {
        /// Where the header starts.
        offset: usize,
        /// The bytes it carries.
        len: usize,
        /// The bytes the record still missed.
        missing: usize,
    },
}
