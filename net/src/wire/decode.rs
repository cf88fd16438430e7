//! Incremental decoding of the frame stream.
//!
//! [`FrameDecoder`] is the zero-copy core: it keeps only a frame's fixed fields (at most 34
//! bytes) and streams a `BufferResponse` payload back to the caller as slices of the caller's
//! own input, so the TCP glue can copy it straight from the socket read buffer into a
//! receiver-side network buffer. [`Decoder`] wraps it and assembles whole [`Message`]s.
//!
//! Both are fed arbitrary chunks, as a socket delivers them. Malformed input yields a
//! [`NetError`] naming the field and its stream offset; the decoder then stays failed (the
//! stream cannot be resynchronised). Memory is only ever reserved for a length that has been
//! checked against `max_payload`.

use super::{
    BufferHeader, Message, MessageKind, PartitionId, HEADER_LEN, MAGIC, MAX_FIXED_LEN, VERSION,
};
use crate::error::NetError;

/// One step of decoding, from [`FrameDecoder::decode_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A complete message of any type except `BufferResponse`.
    Message(Message),
    /// A `BufferResponse` starts; `payload_len` payload bytes follow as [`Decoded::Payload`]
    /// pieces, then [`Decoded::BufferEnd`].
    BufferStart(BufferHeader),
    /// The next piece (never empty) of the current buffer's payload, borrowed from the input.
    Payload(&'a [u8]),
    /// The current buffer's payload is complete.
    BufferEnd,
}

#[derive(Debug)]
enum State {
    /// Collecting the frame header into `buf`.
    Header,
    /// Collecting the fixed body fields into `buf`.
    Body { kind: MessageKind, frame_len: u32 },
    /// Streaming a buffer payload; at 0 the next step is `BufferEnd`.
    Payload { remaining: u32 },
    /// Collecting an error message's text.
    Text {
        receiver_id: Option<u32>,
        text: Vec<u8>,
        remaining: u32,
        text_start: u64,
    },
    /// A malformed frame was seen; every later call reports it again.
    Failed(NetError),
}

/// Zero-copy incremental frame decoder: keeps only fixed fields, streams buffer payloads as
/// slices of the caller's input, and checks every length against `max_payload` first.
#[derive(Debug)]
pub struct FrameDecoder {
    max_payload: u32,
    offset: u64,
    frame_start: u64,
    buf: [u8; MAX_FIXED_LEN],
    filled: usize,
    state: State,
}

/// Memory reserved up front for a variable-length field of `len` bytes (already checked
/// against `max_payload`): all of it for small fields, else 64 KiB, growing only as bytes
/// actually arrive, so a peer cannot make us reserve `max_payload` with a bare header.
fn initial_capacity(len: u32) -> usize {
    (len as usize).min(64 * 1024)
}

fn be32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_be_bytes(a)
}

fn be64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}

impl FrameDecoder {
    /// A decoder accepting payloads (buffer contents, error texts) of at most `max_payload`
    /// bytes; set it to the receiver's network buffer size.
    pub fn new(max_payload: u32) -> Self {
        FrameDecoder {
            max_payload,
            offset: 0,
            frame_start: 0,
            buf: [0; MAX_FIXED_LEN],
            filled: 0,
            state: State::Header,
        }
    }

    /// The configured payload limit.
    pub fn max_payload(&self) -> u32 {
        self.max_payload
    }

    /// Bytes consumed from the stream so far.
    pub fn stream_offset(&self) -> u64 {
        self.offset
    }

    /// True between frames (no partial frame pending, no failure).
    pub fn is_at_frame_boundary(&self) -> bool {
        matches!(self.state, State::Header) && self.filled == 0
    }

    /// Call when the stream has ended: an error if it ended inside a frame, or if the decoder
    /// had failed before.
    pub fn finish(&self) -> Result<(), NetError> {
        match &self.state {
            State::Failed(e) => Err(e.clone()),
            State::Header if self.filled == 0 => Ok(()),
            // Every byte of the frame is in; only the `BufferEnd` step is pending.
            State::Payload { remaining: 0 } => Ok(()),
            _ => Err(NetError::TruncatedStream {
                offset: self.offset,
                frame_start: self.frame_start,
            }),
        }
    }

    /// Decodes at most one step from the front of `input`, returning how many bytes it
    /// consumed and the step, if one completed.
    ///
    /// `(n, None)` means all of `input` was consumed (`n == input.len()`) and more is needed.
    /// Otherwise call again with `&input[n..]` (possibly empty: a `BufferEnd` or a zero-length
    /// message may complete without consuming anything).
    pub fn decode_next<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<(usize, Option<Decoded<'a>>), NetError> {
        let mut pos = 0;
        loop {
            match &mut self.state {
                State::Failed(e) => return Err(e.clone()),
                State::Header | State::Body { .. } => {
                    let target = match self.state {
                        State::Body { kind, .. } => HEADER_LEN + kind.fixed_body_len(),
                        _ => HEADER_LEN,
                    };
                    let n = (target - self.filled).min(input.len() - pos);
                    self.buf[self.filled..self.filled + n].copy_from_slice(&input[pos..pos + n]);
                    self.filled += n;
                    pos += n;
                    self.offset += n as u64;
                    if self.filled < target {
                        return Ok((pos, None));
                    }
                    let step = match self.state {
                        State::Body { kind, frame_len } => self.parse_body(kind, frame_len),
                        _ => self.parse_header(),
                    };
                    match step {
                        Ok(Some(item)) => return Ok((pos, Some(item))),
                        Ok(None) => continue,
                        Err(e) => return Err(self.fail(e)),
                    }
                }
                State::Payload { remaining } => {
                    if *remaining == 0 {
                        self.next_frame();
                        return Ok((pos, Some(Decoded::BufferEnd)));
                    }
                    if pos == input.len() {
                        return Ok((pos, None));
                    }
                    let n = (*remaining as usize).min(input.len() - pos);
                    // n <= remaining, a u32.
                    *remaining -= n as u32;
                    self.offset += n as u64;
                    return Ok((pos + n, Some(Decoded::Payload(&input[pos..pos + n]))));
                }
                State::Text {
                    receiver_id,
                    text,
                    remaining,
                    text_start,
                } => {
                    let n = (*remaining as usize).min(input.len() - pos);
                    text.extend_from_slice(&input[pos..pos + n]);
                    *remaining -= n as u32;
                    pos += n;
                    self.offset += n as u64;
                    if *remaining > 0 {
                        return Ok((pos, None));
                    }
                    let receiver_id = *receiver_id;
                    let text_start = *text_start;
                    let text = std::mem::take(text);
                    return match String::from_utf8(text) {
                        Ok(message) => {
                            self.next_frame();
                            Ok((
                                pos,
                                Some(Decoded::Message(Message::ErrorResponse {
                                    receiver_id,
                                    message,
                                })),
                            ))
                        }
                        Err(e) => Err(self.fail(NetError::InvalidUtf8 {
                            offset: text_start + e.utf8_error().valid_up_to() as u64,
                            field: "ErrorResponse message",
                        })),
                    };
                }
            }
        }
    }

    fn fail(&mut self, e: NetError) -> NetError {
        self.state = State::Failed(e.clone());
        e
    }

    fn next_frame(&mut self) {
        self.state = State::Header;
        self.filled = 0;
        self.frame_start = self.offset;
    }

    /// Validates the 10 header bytes in `buf`.
    fn parse_header(&mut self) -> Result<Option<Decoded<'static>>, NetError> {
        let fs = self.frame_start;
        let frame_len = be32(&self.buf, 0);
        let magic = be32(&self.buf, 4);
        if magic != MAGIC {
            return Err(NetError::BadMagic {
                offset: fs + 4,
                found: magic,
                expected: MAGIC,
            });
        }
        let version = self.buf[8];
        if version != VERSION {
            return Err(NetError::UnsupportedVersion {
                offset: fs + 8,
                found: version,
                supported: VERSION,
            });
        }
        let kind = MessageKind::from_byte(self.buf[9]).ok_or(NetError::UnknownMessageType {
            offset: fs + 9,
            found: self.buf[9],
        })?;
        let min = (HEADER_LEN + kind.fixed_body_len()) as u64;
        let max = if kind.is_variable() {
            min + u64::from(self.max_payload)
        } else {
            min
        };
        if u64::from(frame_len) < min || u64::from(frame_len) > max {
            return Err(NetError::BadFrameLength {
                offset: fs,
                message: kind.name(),
                length: frame_len,
                min,
                max,
            });
        }
        if kind == MessageKind::CloseRequest {
            self.next_frame();
            return Ok(Some(Decoded::Message(Message::CloseRequest)));
        }
        self.state = State::Body { kind, frame_len };
        Ok(None)
    }

    /// Checks a declared variable length against `max_payload` and the frame's remaining bytes.
    fn check_len(
        &self,
        field: &'static str,
        at: usize,
        declared: u32,
        frame_len: u32,
        fixed: usize,
    ) -> Result<(), NetError> {
        let offset = self.frame_start + at as u64;
        if declared > self.max_payload {
            return Err(NetError::PayloadTooLarge {
                offset,
                field,
                length: declared,
                max: self.max_payload,
            });
        }
        // parse_header guaranteed frame_len >= HEADER_LEN + fixed.
        let available = u64::from(frame_len) - (HEADER_LEN + fixed) as u64;
        if u64::from(declared) != available {
            return Err(NetError::LengthMismatch {
                offset,
                field,
                declared,
                available,
            });
        }
        Ok(())
    }

    fn flag(&self, field: &'static str, at: usize) -> Result<bool, NetError> {
        match self.buf[at] {
            0 => Ok(false),
            1 => Ok(true),
            found => Err(NetError::InvalidField {
                offset: self.frame_start + at as u64,
                field,
                found: u32::from(found),
            }),
        }
    }

    /// Validates the fixed body fields in `buf` (positions are frame offsets).
    fn parse_body(
        &mut self,
        kind: MessageKind,
        frame_len: u32,
    ) -> Result<Option<Decoded<'static>>, NetError> {
        let b = &self.buf;
        let h = HEADER_LEN;
        let msg = match kind {
            MessageKind::BufferResponse => {
                let is_event = self.flag("is_event", h + 12)?;
                let payload_len = be32(b, h + 13);
                self.check_len("payload_len", h + 13, payload_len, frame_len, 17)?;
                let header = BufferHeader {
                    receiver_id: be32(b, h),
                    sequence: be32(b, h + 4),
                    backlog: be32(b, h + 8),
                    is_event,
                    payload_len,
                };
                self.state = State::Payload {
                    remaining: payload_len,
                };
                return Ok(Some(Decoded::BufferStart(header)));
            }
            MessageKind::ErrorResponse => {
                let has_receiver = self.flag("has_receiver", h)?;
                let raw_receiver = be32(b, h + 1);
                if !has_receiver && raw_receiver != 0 {
                    return Err(NetError::InvalidField {
                        offset: self.frame_start + (h + 1) as u64,
                        field: "receiver_id of an ErrorResponse without receiver",
                        found: raw_receiver,
                    });
                }
                let receiver_id = has_receiver.then_some(raw_receiver);
                let len = be32(b, h + 5);
                self.check_len("message_len", h + 5, len, frame_len, 9)?;
                if len == 0 {
                    Message::ErrorResponse {
                        receiver_id,
                        message: String::new(),
                    }
                } else {
                    self.state = State::Text {
                        receiver_id,
                        text: Vec::with_capacity(initial_capacity(len)),
                        remaining: len,
                        text_start: self.frame_start + (h + 9) as u64,
                    };
                    return Ok(None);
                }
            }
            MessageKind::PartitionRequest => Message::PartitionRequest {
                receiver_id: be32(b, h),
                partition: PartitionId {
                    vertex: be64(b, h + 4),
                    subtask: be32(b, h + 12),
                },
                subpartition: be32(b, h + 16),
                initial_credit: be32(b, h + 20),
            },
            MessageKind::AddCredit => Message::AddCredit {
                receiver_id: be32(b, h),
                credit: be32(b, h + 4),
            },
            MessageKind::CancelPartitionRequest => Message::CancelPartitionRequest {
                receiver_id: be32(b, h),
            },
            MessageKind::CloseRequest => Message::CloseRequest,
        };
        self.next_frame();
        Ok(Some(Decoded::Message(msg)))
    }
}

/// Message-level decoder: feeds chunks through a [`FrameDecoder`] and assembles complete
/// [`Message`]s, copying each buffer payload once into its own `Vec`.
///
/// Convenient for control traffic and tests; the data path should use [`FrameDecoder`] to
/// copy payloads straight into network buffers.
#[derive(Debug)]
pub struct Decoder {
    frames: FrameDecoder,
    assembling: Option<(BufferHeader, Vec<u8>)>,
}

impl Decoder {
    /// A decoder accepting payloads of at most `max_payload` bytes.
    pub fn new(max_payload: u32) -> Self {
        Decoder {
            frames: FrameDecoder::new(max_payload),
            assembling: None,
        }
    }

    /// Decodes `input`, pushing every message it completes to `out`. On error, messages
    /// completed before the malformed frame are in `out`, and the decoder stays failed.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<Message>) -> Result<(), NetError> {
        loop {
            let (n, item) = self.frames.decode_next(input)?;
            input = &input[n..];
            match item {
                None => return Ok(()),
                Some(Decoded::Message(m)) => out.push(m),
                Some(Decoded::BufferStart(h)) => {
                    let payload = Vec::with_capacity(initial_capacity(h.payload_len));
                    self.assembling = Some((h, payload));
                }
                Some(Decoded::Payload(piece)) => {
                    if let Some((_, payload)) = &mut self.assembling {
                        payload.extend_from_slice(piece);
                    }
                }
                Some(Decoded::BufferEnd) => {
                    if let Some((h, payload)) = self.assembling.take() {
                        out.push(Message::BufferResponse {
                            receiver_id: h.receiver_id,
                            sequence: h.sequence,
                            backlog: h.backlog,
                            is_event: h.is_event,
                            payload,
                        });
                    }
                }
            }
        }
    }

    /// Call when the stream has ended: an error if it ended inside a frame.
    pub fn finish(&self) -> Result<(), NetError> {
        self.frames.finish()
    }

    /// Bytes consumed from the stream so far.
    pub fn stream_offset(&self) -> u64 {
        self.frames.stream_offset()
    }
}

#[cfg(test)]
mod tests {
    use super::super::encode;
    use super::*;

    const MAX: u32 = 64;

    fn enc(msgs: &[Message]) -> Vec<u8> {
        let mut v = Vec::new();
        for m in msgs {
            encode(m, &mut v).unwrap();
        }
        v
    }

    fn decode_all(bytes: &[u8]) -> Result<Vec<Message>, NetError> {
        let mut d = Decoder::new(MAX);
        let mut out = Vec::new();
        d.feed(bytes, &mut out)?;
        d.finish()?;
        Ok(out)
    }

    fn sample() -> Vec<Message> {
        vec![
            Message::PartitionRequest {
                receiver_id: 1,
                partition: PartitionId {
                    vertex: 0xDEAD_BEEF_0000_0001,
                    subtask: 3,
                },
                subpartition: 2,
                initial_credit: 2,
            },
            Message::BufferResponse {
                receiver_id: 1,
                sequence: 0,
                backlog: 5,
                is_event: false,
                payload: (0..40).collect(),
            },
            Message::BufferResponse {
                receiver_id: 1,
                sequence: 1,
                backlog: 0,
                is_event: true,
                payload: vec![],
            },
            Message::AddCredit {
                receiver_id: 1,
                credit: 4,
            },
            Message::ErrorResponse {
                receiver_id: Some(1),
                message: "partition not found: ünïcode".into(),
            },
            Message::ErrorResponse {
                receiver_id: None,
                message: String::new(),
            },
            Message::CancelPartitionRequest { receiver_id: 1 },
            Message::CloseRequest,
        ]
    }

    #[test]
    fn round_trip_in_one_chunk() {
        let msgs = sample();
        assert_eq!(decode_all(&enc(&msgs)).unwrap(), msgs);
    }

    #[test]
    fn round_trip_byte_by_byte() {
        let msgs = sample();
        let bytes = enc(&msgs);
        let mut d = Decoder::new(MAX);
        let mut out = Vec::new();
        for b in &bytes {
            d.feed(std::slice::from_ref(b), &mut out).unwrap();
        }
        d.finish().unwrap();
        assert_eq!(out, msgs);
        assert_eq!(d.stream_offset(), bytes.len() as u64);
    }

    #[test]
    fn frame_decoder_streams_payload_from_the_input() {
        let payload: Vec<u8> = (0..40).collect();
        let bytes = enc(&[Message::BufferResponse {
            receiver_id: 9,
            sequence: 3,
            backlog: 1,
            is_event: false,
            payload: payload.clone(),
        }]);
        let mut d = FrameDecoder::new(MAX);
        // Header and 10 payload bytes in the first chunk.
        let first = &bytes[..37];
        let (n, item) = d.decode_next(first).unwrap();
        assert_eq!(n, 27);
        assert_eq!(
            item,
            Some(Decoded::BufferStart(BufferHeader {
                receiver_id: 9,
                sequence: 3,
                backlog: 1,
                is_event: false,
                payload_len: 40
            }))
        );
        let (n2, item) = d.decode_next(&first[n..]).unwrap();
        assert_eq!(n2, 10);
        let Some(Decoded::Payload(piece)) = item else {
            panic!("expected payload, got {item:?}");
        };
        // Borrowed straight from the caller's chunk.
        assert!(std::ptr::eq(piece.as_ptr(), first[27..].as_ptr()));
        assert_eq!(d.decode_next(&[]).unwrap(), (0, None));
        assert!(d.finish().is_err());
        let (n3, item) = d.decode_next(&bytes[37..]).unwrap();
        assert_eq!((n3, item), (30, Some(Decoded::Payload(&payload[10..]))));
        assert_eq!(d.decode_next(&[]).unwrap(), (0, Some(Decoded::BufferEnd)));
        assert!(d.is_at_frame_boundary());
        d.finish().unwrap();
    }

    #[test]
    fn bad_magic_names_its_offset_in_the_stream() {
        let mut bytes = enc(&[Message::CloseRequest, Message::CloseRequest]);
        bytes[10 + 4] ^= 0xFF; // magic of the second frame
        let mut d = Decoder::new(MAX);
        let mut out = Vec::new();
        let e = d.feed(&bytes, &mut out).unwrap_err();
        assert_eq!(out, vec![Message::CloseRequest]);
        assert!(matches!(e, NetError::BadMagic { offset: 14, .. }), "{e}");
        assert!(e.to_string().contains("at byte 14"), "{e}");
        assert!(e.is_peer_violation());
        // The decoder stays failed.
        assert_eq!(
            d.feed(&enc(&[Message::CloseRequest]), &mut out),
            Err(e.clone())
        );
        assert_eq!(d.finish(), Err(e));
    }

    #[test]
    fn unsupported_version() {
        let mut bytes = enc(&[Message::CloseRequest]);
        bytes[8] = 2;
        let e = decode_all(&bytes).unwrap_err();
        assert_eq!(
            e,
            NetError::UnsupportedVersion {
                offset: 8,
                found: 2,
                supported: 1
            }
        );
    }

    #[test]
    fn unknown_message_type() {
        let mut bytes = enc(&[Message::CloseRequest]);
        bytes[9] = 200;
        let e = decode_all(&bytes).unwrap_err();
        assert_eq!(
            e,
            NetError::UnknownMessageType {
                offset: 9,
                found: 200
            }
        );
    }

    #[test]
    fn oversized_frame_is_rejected_from_the_header_alone() {
        // A BufferResponse header claiming a 4 GiB frame: rejected after 10 bytes, before any
        // payload arrives or memory is reserved.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        bytes.extend_from_slice(&MAGIC.to_be_bytes());
        bytes.extend_from_slice(&[VERSION, 0]);
        let mut d = FrameDecoder::new(MAX);
        let e = d.decode_next(&bytes).unwrap_err();
        assert_eq!(
            e,
            NetError::BadFrameLength {
                offset: 0,
                message: "BufferResponse",
                length: u32::MAX,
                min: 27,
                max: 27 + u64::from(MAX)
            }
        );
    }

    #[test]
    fn fixed_size_message_with_wrong_length_is_rejected() {
        let mut bytes = enc(&[Message::AddCredit {
            receiver_id: 1,
            credit: 1,
        }]);
        bytes[3] = 14; // frame too short to hold both fields: a truncated field
        let e = decode_all(&bytes).unwrap_err();
        assert!(
            matches!(
                e,
                NetError::BadFrameLength {
                    offset: 0,
                    length: 14,
                    min: 18,
                    max: 18,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn payload_length_over_max_payload() {
        let mut bytes = enc(&[Message::BufferResponse {
            receiver_id: 1,
            sequence: 0,
            backlog: 0,
            is_event: false,
            payload: vec![1, 2, 3],
        }]);
        bytes[23..27].copy_from_slice(&1000u32.to_be_bytes());
        let e = decode_all(&bytes).unwrap_err();
        assert_eq!(
            e,
            NetError::PayloadTooLarge {
                offset: 23,
                field: "payload_len",
                length: 1000,
                max: MAX
            }
        );
    }

    #[test]
    fn payload_length_disagreeing_with_frame_length() {
        let mut bytes = enc(&[Message::BufferResponse {
            receiver_id: 1,
            sequence: 0,
            backlog: 0,
            is_event: false,
            payload: vec![1, 2, 3],
        }]);
        bytes[23..27].copy_from_slice(&5u32.to_be_bytes()); // overruns the frame
        let e = decode_all(&bytes).unwrap_err();
        assert_eq!(
            e,
            NetError::LengthMismatch {
                offset: 23,
                field: "payload_len",
                declared: 5,
                available: 3
            }
        );
        bytes[23..27].copy_from_slice(&1u32.to_be_bytes()); // leaves bytes over
        assert!(matches!(
            decode_all(&bytes),
            Err(NetError::LengthMismatch { declared: 1, .. })
        ));
    }

    #[test]
    fn invalid_flags() {
        let mut bytes = enc(&[Message::BufferResponse {
            receiver_id: 1,
            sequence: 0,
            backlog: 0,
            is_event: false,
            payload: vec![],
        }]);
        bytes[22] = 7;
        assert_eq!(
            decode_all(&bytes).unwrap_err(),
            NetError::InvalidField {
                offset: 22,
                field: "is_event",
                found: 7
            }
        );
        let mut bytes = enc(&[Message::ErrorResponse {
            receiver_id: None,
            message: "x".into(),
        }]);
        bytes[14] = 9; // receiver id present although has_receiver is 0
        assert!(matches!(
            decode_all(&bytes),
            Err(NetError::InvalidField {
                offset: 11,
                found: 9,
                ..
            })
        ));
        bytes[10] = 2;
        assert!(matches!(
            decode_all(&bytes),
            Err(NetError::InvalidField {
                offset: 10,
                found: 2,
                ..
            })
        ));
    }

    #[test]
    fn bad_utf8_names_the_first_bad_byte() {
        let mut bytes = enc(&[
            Message::CloseRequest,
            Message::ErrorResponse {
                receiver_id: Some(3),
                message: "abcd".into(),
            },
        ]);
        // The text starts at 10 (CloseRequest) + 19.
        bytes[10 + 19 + 2] = 0xFF;
        let e = decode_all(&bytes).unwrap_err();
        assert_eq!(
            e,
            NetError::InvalidUtf8 {
                offset: 31,
                field: "ErrorResponse message"
            }
        );
    }

    #[test]
    fn error_text_over_max_payload() {
        let mut bytes = enc(&[Message::ErrorResponse {
            receiver_id: None,
            message: "x".repeat(MAX as usize + 1),
        }]);
        assert!(matches!(
            decode_all(&bytes),
            Err(NetError::BadFrameLength { offset: 0, .. })
        ));
        // Same, with the frame length forged to pass: the text length is caught.
        bytes[..4].copy_from_slice(&(19 + MAX).to_be_bytes());
        assert!(matches!(
            decode_all(&bytes),
            Err(NetError::PayloadTooLarge { offset: 15, .. })
        ));
    }

    #[test]
    fn stream_ending_inside_a_frame_is_truncation() {
        let bytes = enc(&[
            Message::CloseRequest,
            Message::AddCredit {
                receiver_id: 1,
                credit: 1,
            },
        ]);
        for cut in 11..bytes.len() {
            let mut d = Decoder::new(MAX);
            let mut out = Vec::new();
            d.feed(&bytes[..cut], &mut out).unwrap();
            assert_eq!(
                d.finish(),
                Err(NetError::TruncatedStream {
                    offset: cut as u64,
                    frame_start: 10
                })
            );
        }
    }

    #[test]
    fn max_payload_buffer_is_accepted() {
        let msgs = vec![Message::BufferResponse {
            receiver_id: 1,
            sequence: 0,
            backlog: 0,
            is_event: false,
            payload: vec![7; MAX as usize],
        }];
        assert_eq!(decode_all(&enc(&msgs)).unwrap(), msgs);
    }
}
