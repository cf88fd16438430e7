//! The crate's single error type, [`NetError`], and its classification, [`ErrorClass`].
//!
//! Every variant belongs to exactly one class, which tells the caller what to do:
//!
//! * [`ErrorClass::PeerViolation`]: the remote side broke the protocol (bad bytes on the wire,
//!   a buffer sent without credit, a sequence gap). Nothing in this process is wrong; the
//!   connection can no longer be trusted and should be failed, with every channel on it, and
//!   the failure reported to the job (Flink turns these into a `RemoteTransportException`).
//! * [`ErrorClass::LocalMisuse`]: this process called the API wrongly (recycling a buffer that
//!   was never handed out, an invalid configuration, an unknown channel id from the local side).
//!   This is a bug on this side; the peer is not to blame.
//!
//! Wire errors name the byte offset in the stream (counted from the first byte ever fed to
//! the decoder) of the field that was wrong.

use crate::credit::ChannelId;

/// What the caller can do about a [`NetError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The peer violated the protocol: fail the connection and every channel on it.
    PeerViolation,
    /// This side misused the API: a local bug, not the peer's fault.
    LocalMisuse,
}

/// Every error `weir-net` reports; see [`NetError::class`] for what to do about one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    // ----- peer violations: wire format -------------------------------------------------
    /// The frame's magic number is not Weir's: the peer speaks another protocol or the stream is garbled.
    #[error("bad magic number {found:#010x} at byte {offset} (expected {expected:#010x})")]
    BadMagic {
        /// Stream offset of the magic number.
        offset: u64,
        /// The value read.
        found: u32,
        /// The value required.
        expected: u32,
    },
    /// The frame's protocol version is not one this side speaks.
    #[error(
        "unsupported protocol version {found} at byte {offset} (this side speaks {supported})"
    )]
    UnsupportedVersion {
        /// Stream offset of the version byte.
        offset: u64,
        /// The version read.
        found: u8,
        /// The version this side speaks.
        supported: u8,
    },
    /// The frame's message-type byte names no known message.
    #[error("unknown message type {found} at byte {offset}")]
    UnknownMessageType {
        /// Stream offset of the type byte.
        offset: u64,
        /// The type byte read.
        found: u8,
    },
    /// The frame-length field is outside what the message type allows (too short for its
    /// fixed fields, or longer than the fixed fields plus `max_payload`).
    #[error(
        "{message} frame at byte {offset} declares length {length}, outside the allowed {min}..={max}"
    )]
    BadFrameLength {
        /// Stream offset of the frame-length field.
        offset: u64,
        /// Name of the message type.
        message: &'static str,
        /// The declared frame length.
        length: u32,
        /// Smallest allowed frame length for this type.
        min: u64,
        /// Largest allowed frame length for this type.
        max: u64,
    },
    /// A variable-length field declares more bytes than `max_payload` allows.
    #[error("{field} at byte {offset} declares {length} bytes, more than max_payload {max}")]
    PayloadTooLarge {
        /// Stream offset of the length field.
        offset: u64,
        /// Name of the field.
        field: &'static str,
        /// The declared length.
        length: u32,
        /// The configured limit.
        max: u32,
    },
    /// A length field disagrees with the frame length: the field would overrun the frame
    /// (a truncated field) or leave bytes over at its end.
    #[error(
        "{field} at byte {offset} declares {declared} bytes but the frame has {available} left"
    )]
    LengthMismatch {
        /// Stream offset of the length field.
        offset: u64,
        /// Name of the field.
        field: &'static str,
        /// The declared length.
        declared: u32,
        /// Bytes the frame actually has left for it.
        available: u64,
    },
    /// A flag or tag field holds a value outside its domain (e.g. a boolean that is 7).
    #[error("invalid {field} value {found} at byte {offset}")]
    InvalidField {
        /// Stream offset of the field.
        offset: u64,
        /// Name of the field.
        field: &'static str,
        /// The value read.
        found: u32,
    },
    /// A text field is not valid UTF-8.
    #[error("invalid UTF-8 in {field} at byte {offset}")]
    InvalidUtf8 {
        /// Stream offset of the first invalid byte.
        offset: u64,
        /// Name of the field.
        field: &'static str,
    },
    /// The stream ended inside a frame.
    #[error("stream ended at byte {offset} inside the frame that started at byte {frame_start}")]
    TruncatedStream {
        /// Stream offset where the stream ended.
        offset: u64,
        /// Stream offset where the unfinished frame started.
        frame_start: u64,
    },

    // ----- peer violations: credit protocol ---------------------------------------------
    /// A buffer arrived with a sequence number other than the next expected one (reordered,
    /// duplicated or lost buffer).
    #[error("{channel}: buffer out of order: expected sequence {expected}, received {received}")]
    OutOfOrderBuffer {
        /// The receiving channel.
        channel: ChannelId,
        /// The sequence number expected next.
        expected: u32,
        /// The sequence number received.
        received: u32,
    },
    /// A buffer arrived although the receiver had announced no unused credit for it.
    #[error("{channel}: buffer {sequence} arrived without credit")]
    BufferWithoutCredit {
        /// The receiving channel.
        channel: ChannelId,
        /// Sequence number of the buffer.
        sequence: u32,
    },
    /// An `AddCredit` announced zero credit (the protocol only announces positive credit).
    #[error("{channel}: zero credit announced")]
    ZeroCredit {
        /// The channel the credit was for.
        channel: ChannelId,
    },
    /// An `AddCredit` would push the sender's credit past `u32::MAX`.
    #[error("{channel}: credit overflow: {credit} held, {added} more announced")]
    CreditOverflow {
        /// The channel the credit was for.
        channel: ChannelId,
        /// Credit held before.
        credit: u32,
        /// Credit announced.
        added: u32,
    },
    /// The peer sent a second partition request with a receiver id already in use on this connection.
    #[error("{channel}: duplicate partition request")]
    DuplicateRequest {
        /// The receiver id requested twice.
        channel: ChannelId,
    },
    /// The peer sent a message for a receiver id that has no view on this connection.
    #[error("{channel}: no such receiver on this connection")]
    UnknownReceiver {
        /// The unknown receiver id.
        channel: ChannelId,
    },

    // ----- local misuse ------------------------------------------------------------------
    /// A configuration value is unusable.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// A channel id was registered twice on the local side.
    #[error("{channel}: already registered")]
    ChannelAlreadyRegistered {
        /// The channel id.
        channel: ChannelId,
    },
    /// The local side named a channel that is not registered.
    #[error("{channel}: not registered")]
    NoSuchChannel {
        /// The channel id.
        channel: ChannelId,
    },
    /// A buffer was recycled on a channel that has no buffer handed out to its consumer.
    #[error("{channel}: recycled a buffer but none is in use")]
    NothingToRecycle {
        /// The channel id.
        channel: ChannelId,
    },
    /// A message is too large to encode in one frame (its length does not fit the u32 length field).
    #[error("message too large to encode: frame would be {length} bytes")]
    MessageTooLarge {
        /// The frame length the message would need.
        length: u64,
    },
}

impl NetError {
    /// What the caller can do about this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            NetError::BadMagic { .. }
            | NetError::UnsupportedVersion { .. }
            | NetError::UnknownMessageType { .. }
            | NetError::BadFrameLength { .. }
            | NetError::PayloadTooLarge { .. }
            | NetError::LengthMismatch { .. }
            | NetError::InvalidField { .. }
            | NetError::InvalidUtf8 { .. }
            | NetError::TruncatedStream { .. }
            | NetError::OutOfOrderBuffer { .. }
            | NetError::BufferWithoutCredit { .. }
            | NetError::ZeroCredit { .. }
            | NetError::CreditOverflow { .. }
            | NetError::DuplicateRequest { .. }
            | NetError::UnknownReceiver { .. } => ErrorClass::PeerViolation,
            NetError::InvalidConfig { .. }
            | NetError::ChannelAlreadyRegistered { .. }
            | NetError::NoSuchChannel { .. }
            | NetError::NothingToRecycle { .. }
            | NetError::MessageTooLarge { .. } => ErrorClass::LocalMisuse,
        }
    }

    /// True if the peer broke the protocol (see [`ErrorClass::PeerViolation`]).
    pub fn is_peer_violation(&self) -> bool {
        self.class() == ErrorClass::PeerViolation
    }

    /// The stream offset a wire-format error points at, if this is one.
    pub fn stream_offset(&self) -> Option<u64> {
        match self {
            NetError::BadMagic { offset, .. }
            | NetError::UnsupportedVersion { offset, .. }
            | NetError::UnknownMessageType { offset, .. }
            | NetError::BadFrameLength { offset, .. }
            | NetError::PayloadTooLarge { offset, .. }
            | NetError::LengthMismatch { offset, .. }
            | NetError::InvalidField { offset, .. }
            | NetError::InvalidUtf8 { offset, .. }
            | NetError::TruncatedStream { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_offsets() {
        let e = NetError::BadMagic {
            offset: 12,
            found: 1,
            expected: 2,
        };
        assert_eq!(e.class(), ErrorClass::PeerViolation);
        assert!(e.is_peer_violation());
        assert_eq!(e.stream_offset(), Some(12));
        assert!(e.to_string().contains("byte 12"), "{e}");

        let e = NetError::NothingToRecycle {
            channel: ChannelId(3),
        };
        assert_eq!(e.class(), ErrorClass::LocalMisuse);
        assert_eq!(e.stream_offset(), None);
        assert_eq!(
            e.to_string(),
            "channel 3: recycled a buffer but none is in use"
        );
    }
}
