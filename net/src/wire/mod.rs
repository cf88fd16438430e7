//! The wire format of the TCP data plane: length-prefixed frames, an encoder and an
//! incremental decoder.
//!
//! Every frame starts with a 10-byte header, all integers big-endian:
//!
//! ```text
//! offset  size  field
//!      0     4  frame length, in bytes, of the whole frame including this field
//!      4     4  magic number 0x5745_4952 ("WEIR")
//!      8     1  protocol version (1)
//!      9     1  message type
//!     10     …  body
//! ```
//!
//! Bodies (Flink's `NettyMessage` has the same set, with 16-byte ids):
//!
//! ```text
//! 0 BufferResponse          receiver_id u32, sequence u32, backlog u32, is_event u8 (0|1),
//!                           payload_len u32, payload [payload_len]
//! 1 ErrorResponse           has_receiver u8 (0|1), receiver_id u32 (0 if none),
//!                           message_len u32, message [message_len] (UTF-8)
//! 2 PartitionRequest        receiver_id u32, vertex u64, subtask u32, subpartition u32,
//!                           initial_credit u32
//! 3 AddCredit               receiver_id u32, credit u32
//! 4 CancelPartitionRequest  receiver_id u32
//! 5 CloseRequest            (empty)
//! ```
//!
//! The frame length is checked against the type's fixed size and the decoder's `max_payload`
//! as soon as the header is in, before any payload byte is read or any memory is reserved.

mod decode;

pub use decode::{Decoded, Decoder, FrameDecoder};

use crate::error::NetError;

/// The magic number opening every frame: "WEIR" in ASCII.
pub const MAGIC: u32 = 0x5745_4952;
/// The protocol version this crate speaks.
pub const VERSION: u8 = 1;
/// Bytes in the frame header (length, magic, version, type).
pub const HEADER_LEN: usize = 10;

/// Identifies a result partition: the producing job vertex and its subtask index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartitionId {
    /// The producing job vertex.
    pub vertex: u64,
    /// The producing subtask (parallel instance) of that vertex.
    pub subtask: u32,
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Consumer → producer: open a channel reading `subpartition` of `partition`, with the
    /// consumer's exclusive buffers as initial credit.
    PartitionRequest {
        /// Id of the requesting input channel on this connection.
        receiver_id: u32,
        /// The partition to read.
        partition: PartitionId,
        /// The subpartition to read.
        subpartition: u32,
        /// Buffers the sender may send before any `AddCredit`.
        initial_credit: u32,
    },
    /// Consumer → producer: `credit` more buffers are free for `receiver_id`.
    AddCredit {
        /// The input channel.
        receiver_id: u32,
        /// Number of newly free buffers (positive).
        credit: u32,
    },
    /// Producer → consumer: one buffer or event, consuming one credit.
    BufferResponse {
        /// The input channel.
        receiver_id: u32,
        /// Per-channel sequence number, from 0.
        sequence: u32,
        /// Buffers queued at the sender behind this one.
        backlog: u32,
        /// True for an event (e.g. end of partition), false for a data buffer.
        is_event: bool,
        /// The buffer's bytes.
        payload: Vec<u8>,
    },
    /// Consumer → producer: stop sending to `receiver_id` and release its view.
    CancelPartitionRequest {
        /// The input channel.
        receiver_id: u32,
    },
    /// Consumer → producer: the consumer closes the connection.
    CloseRequest,
    /// Producer → consumer: a failure for one channel, or for the whole connection if
    /// `receiver_id` is `None`.
    ErrorResponse {
        /// The failed input channel, or `None` for a connection-wide (fatal) error.
        receiver_id: Option<u32>,
        /// Human-readable description.
        message: String,
    },
}

impl Message {
    /// The receiver id the message concerns, if any.
    pub fn receiver_id(&self) -> Option<u32> {
        match self {
            Message::PartitionRequest { receiver_id, .. }
            | Message::AddCredit { receiver_id, .. }
            | Message::BufferResponse { receiver_id, .. }
            | Message::CancelPartitionRequest { receiver_id } => Some(*receiver_id),
            Message::CloseRequest => None,
            Message::ErrorResponse { receiver_id, .. } => *receiver_id,
        }
    }

    /// The message's type byte.
    fn kind(&self) -> MessageKind {
        match self {
            Message::BufferResponse { .. } => MessageKind::BufferResponse,
            Message::ErrorResponse { .. } => MessageKind::ErrorResponse,
            Message::PartitionRequest { .. } => MessageKind::PartitionRequest,
            Message::AddCredit { .. } => MessageKind::AddCredit,
            Message::CancelPartitionRequest { .. } => MessageKind::CancelPartitionRequest,
            Message::CloseRequest => MessageKind::CloseRequest,
        }
    }

    /// Length of this message's encoded frame, in bytes.
    pub fn frame_len(&self) -> u64 {
        let variable = match self {
            Message::BufferResponse { payload, .. } => payload.len() as u64,
            Message::ErrorResponse { message, .. } => message.len() as u64,
            _ => 0,
        };
        (HEADER_LEN + self.kind().fixed_body_len()) as u64 + variable
    }
}

/// The fixed fields of a `BufferResponse`, without its payload.
///
/// The decoder yields one of these before streaming the payload, and
/// [`encode_buffer_header`] writes one so that the payload can follow from the sender's own
/// buffer (e.g. with a vectored write) without being copied into the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferHeader {
    /// The input channel.
    pub receiver_id: u32,
    /// Per-channel sequence number.
    pub sequence: u32,
    /// Buffers queued at the sender behind this one.
    pub backlog: u32,
    /// True for an event.
    pub is_event: bool,
    /// Number of payload bytes following the header.
    pub payload_len: u32,
}

impl BufferHeader {
    /// Length of the whole frame (header, fixed fields and payload), in bytes.
    pub fn frame_len(&self) -> u64 {
        (HEADER_LEN + MessageKind::BufferResponse.fixed_body_len()) as u64
            + u64::from(self.payload_len)
    }
}

/// Message type bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageKind {
    BufferResponse = 0,
    ErrorResponse = 1,
    PartitionRequest = 2,
    AddCredit = 3,
    CancelPartitionRequest = 4,
    CloseRequest = 5,
}

impl MessageKind {
    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => MessageKind::BufferResponse,
            1 => MessageKind::ErrorResponse,
            2 => MessageKind::PartitionRequest,
            3 => MessageKind::AddCredit,
            4 => MessageKind::CancelPartitionRequest,
            5 => MessageKind::CloseRequest,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            MessageKind::BufferResponse => "BufferResponse",
            MessageKind::ErrorResponse => "ErrorResponse",
            MessageKind::PartitionRequest => "PartitionRequest",
            MessageKind::AddCredit => "AddCredit",
            MessageKind::CancelPartitionRequest => "CancelPartitionRequest",
            MessageKind::CloseRequest => "CloseRequest",
        }
    }

    /// Bytes of the body before any variable-length part.
    pub(crate) const fn fixed_body_len(self) -> usize {
        match self {
            MessageKind::BufferResponse => 17,
            MessageKind::ErrorResponse => 9,
            MessageKind::PartitionRequest => 24,
            MessageKind::AddCredit => 8,
            MessageKind::CancelPartitionRequest => 4,
            MessageKind::CloseRequest => 0,
        }
    }

    /// True if a variable-length part (payload or text) follows the fixed body.
    pub(crate) const fn is_variable(self) -> bool {
        matches!(
            self,
            MessageKind::BufferResponse | MessageKind::ErrorResponse
        )
    }
}

/// The largest fixed part (header + fixed body) of any message.
pub(crate) const MAX_FIXED_LEN: usize = HEADER_LEN + 24;

fn frame_len_u32(len: u64) -> Result<u32, NetError> {
    u32::try_from(len).map_err(|_| NetError::MessageTooLarge { length: len })
}

fn put_header(out: &mut Vec<u8>, frame_len: u32, kind: MessageKind) {
    out.extend_from_slice(&frame_len.to_be_bytes());
    out.extend_from_slice(&MAGIC.to_be_bytes());
    out.push(VERSION);
    out.push(kind as u8);
}

/// Appends the frame for `msg` to `out`.
///
/// Fails (appending nothing) only if the frame would be longer than `u32::MAX` bytes. The
/// encoder does not know the peer's `max_payload`; the sender must not produce larger buffers.
pub fn encode(msg: &Message, out: &mut Vec<u8>) -> Result<(), NetError> {
    let frame_len = frame_len_u32(msg.frame_len())?;
    out.reserve(frame_len as usize);
    put_header(out, frame_len, msg.kind());
    match msg {
        Message::BufferResponse {
            receiver_id,
            sequence,
            backlog,
            is_event,
            payload,
        } => {
            // Cannot truncate: frame_len fits in u32, so does the payload length.
            let payload_len = payload.len() as u32;
            put_buffer_fields(
                out,
                &BufferHeader {
                    receiver_id: *receiver_id,
                    sequence: *sequence,
                    backlog: *backlog,
                    is_event: *is_event,
                    payload_len,
                },
            );
            out.extend_from_slice(payload);
        }
        Message::ErrorResponse {
            receiver_id,
            message,
        } => {
            out.push(u8::from(receiver_id.is_some()));
            out.extend_from_slice(&receiver_id.unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&(message.len() as u32).to_be_bytes());
            out.extend_from_slice(message.as_bytes());
        }
        Message::PartitionRequest {
            receiver_id,
            partition,
            subpartition,
            initial_credit,
        } => {
            out.extend_from_slice(&receiver_id.to_be_bytes());
            out.extend_from_slice(&partition.vertex.to_be_bytes());
            out.extend_from_slice(&partition.subtask.to_be_bytes());
            out.extend_from_slice(&subpartition.to_be_bytes());
            out.extend_from_slice(&initial_credit.to_be_bytes());
        }
        Message::AddCredit {
            receiver_id,
            credit,
        } => {
            out.extend_from_slice(&receiver_id.to_be_bytes());
            out.extend_from_slice(&credit.to_be_bytes());
        }
        Message::CancelPartitionRequest { receiver_id } => {
            out.extend_from_slice(&receiver_id.to_be_bytes());
        }
        Message::CloseRequest => {}
    }
    Ok(())
}

fn put_buffer_fields(out: &mut Vec<u8>, h: &BufferHeader) {
    out.extend_from_slice(&h.receiver_id.to_be_bytes());
    out.extend_from_slice(&h.sequence.to_be_bytes());
    out.extend_from_slice(&h.backlog.to_be_bytes());
    out.push(u8::from(h.is_event));
    out.extend_from_slice(&h.payload_len.to_be_bytes());
}

/// Appends the header and fixed fields of a `BufferResponse` whose `header.payload_len`
/// payload bytes the caller writes right after, from wherever they are.
pub fn encode_buffer_header(header: &BufferHeader, out: &mut Vec<u8>) -> Result<(), NetError> {
    let frame_len = frame_len_u32(header.frame_len())?;
    put_header(out, frame_len, MessageKind::BufferResponse);
    put_buffer_fields(out, header);
    Ok(())
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(m: &Message) -> Vec<u8> {
        let mut v = Vec::new();
        encode(m, &mut v).unwrap();
        v
    }

    #[test]
    fn add_credit_layout() {
        let b = enc(&Message::AddCredit {
            receiver_id: 7,
            credit: 3,
        });
        assert_eq!(
            b,
            [
                0, 0, 0, 18, // frame length
                0x57, 0x45, 0x49, 0x52, // "WEIR"
                1,    // version
                3,    // AddCredit
                0, 0, 0, 7, // receiver
                0, 0, 0, 3, // credit
            ]
        );
    }

    #[test]
    fn buffer_response_layout() {
        let b = enc(&Message::BufferResponse {
            receiver_id: 1,
            sequence: 2,
            backlog: 3,
            is_event: true,
            payload: vec![0xAA, 0xBB],
        });
        assert_eq!(b.len(), 29);
        assert_eq!(&b[..4], &29u32.to_be_bytes());
        assert_eq!(b[9], 0);
        assert_eq!(&b[10..14], &1u32.to_be_bytes());
        assert_eq!(&b[14..18], &2u32.to_be_bytes());
        assert_eq!(&b[18..22], &3u32.to_be_bytes());
        assert_eq!(b[22], 1);
        assert_eq!(&b[23..27], &2u32.to_be_bytes());
        assert_eq!(&b[27..], &[0xAA, 0xBB]);
    }

    #[test]
    fn buffer_header_then_payload_equals_whole_message() {
        let payload = b"hello".to_vec();
        let whole = enc(&Message::BufferResponse {
            receiver_id: 9,
            sequence: 4,
            backlog: 0,
            is_event: false,
            payload: payload.clone(),
        });
        let mut split = Vec::new();
        encode_buffer_header(
            &BufferHeader {
                receiver_id: 9,
                sequence: 4,
                backlog: 0,
                is_event: false,
                payload_len: 5,
            },
            &mut split,
        )
        .unwrap();
        split.extend_from_slice(&payload);
        assert_eq!(whole, split);
    }

    #[test]
    fn frame_len_matches_encoding_for_every_type() {
        let msgs = [
            Message::PartitionRequest {
                receiver_id: 1,
                partition: PartitionId {
                    vertex: u64::MAX,
                    subtask: 2,
                },
                subpartition: 3,
                initial_credit: 2,
            },
            Message::AddCredit {
                receiver_id: 1,
                credit: 1,
            },
            Message::CancelPartitionRequest { receiver_id: 5 },
            Message::CloseRequest,
            Message::ErrorResponse {
                receiver_id: None,
                message: "boom ✗".into(),
            },
            Message::BufferResponse {
                receiver_id: 1,
                sequence: 0,
                backlog: 0,
                is_event: false,
                payload: vec![],
            },
        ];
        for m in &msgs {
            assert_eq!(enc(m).len() as u64, m.frame_len(), "{m:?}");
        }
    }

    #[test]
    fn too_large_header_is_rejected_without_output() {
        let mut out = Vec::new();
        let e = encode_buffer_header(
            &BufferHeader {
                receiver_id: 0,
                sequence: 0,
                backlog: 0,
                is_event: false,
                payload_len: u32::MAX,
            },
            &mut out,
        )
        .unwrap_err();
        assert!(matches!(e, NetError::MessageTooLarge { .. }));
        assert!(!e.is_peer_violation());
        assert!(out.is_empty());
    }

    #[test]
    fn receiver_id_accessor() {
        assert_eq!(Message::CloseRequest.receiver_id(), None);
        assert_eq!(
            Message::CancelPartitionRequest { receiver_id: 4 }.receiver_id(),
            Some(4)
        );
        assert_eq!(
            Message::ErrorResponse {
                receiver_id: Some(2),
                message: String::new()
            }
            .receiver_id(),
            Some(2)
        );
    }
}
