//! Property tests of the codec: round trips under arbitrary chunking, and arbitrary or
//! corrupted input never panicking.

use proptest::prelude::*;

use super::{encode, Decoded, Decoder, FrameDecoder, Message, PartitionId, MAGIC, VERSION};
use crate::error::NetError;

const MAX: u32 = 256;

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(
                |(receiver_id, vertex, subtask, subpartition, initial_credit)| {
                    Message::PartitionRequest {
                        receiver_id,
                        partition: PartitionId { vertex, subtask },
                        subpartition,
                        initial_credit,
                    }
                }
            ),
        (any::<u32>(), any::<u32>()).prop_map(|(receiver_id, credit)| Message::AddCredit {
            receiver_id,
            credit
        }),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..=MAX as usize)
        )
            .prop_map(|(receiver_id, sequence, backlog, is_event, payload)| {
                Message::BufferResponse {
                    receiver_id,
                    sequence,
                    backlog,
                    is_event,
                    payload,
                }
            }),
        any::<u32>().prop_map(|receiver_id| Message::CancelPartitionRequest { receiver_id }),
        Just(Message::CloseRequest),
        // At most 60 chars of at most 4 bytes: within MAX.
        (proptest::option::of(any::<u32>()), "\\PC{0,60}").prop_map(|(receiver_id, message)| {
            Message::ErrorResponse {
                receiver_id,
                message,
            }
        }),
    ]
}

/// Splits `bytes` into chunks whose sizes cycle through `sizes` (each at least 1).
fn chunks<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
    out
}

fn encode_all(msgs: &[Message]) -> Vec<u8> {
    let mut v = Vec::new();
    for m in msgs {
        encode(m, &mut v).unwrap();
    }
    v
}

/// Feeds `chunks` to a fresh decoder until the first error; checks the error is sticky and
/// points inside what was fed.
fn feed_garbage(chunks: &[&[u8]], max_payload: u32) {
    let mut d = Decoder::new(max_payload);
    let mut out = Vec::new();
    let mut fed = 0u64;
    for c in chunks {
        fed += c.len() as u64;
        if let Err(e) = d.feed(c, &mut out) {
            assert!(e.is_peer_violation(), "{e}");
            let at = e.stream_offset().expect("wire errors carry an offset");
            assert!(
                at < fed,
                "error offset {at} beyond the {fed} bytes fed: {e}"
            );
            assert_eq!(d.feed(b"more", &mut out), Err(e.clone()));
            assert_eq!(d.finish(), Err(e));
            return;
        }
    }
    if let Err(e) = d.finish() {
        assert!(matches!(e, NetError::TruncatedStream { .. }), "{e}");
    }
}

proptest! {
    #[test]
    fn codec_round_trips_in_any_chunking(
        msgs in prop::collection::vec(arb_message(), 0..16),
        sizes in prop::collection::vec(1usize..80, 1..16),
    ) {
        let bytes = encode_all(&msgs);
        prop_assert_eq!(bytes.len() as u64, msgs.iter().map(Message::frame_len).sum::<u64>());
        let mut d = Decoder::new(MAX);
        let mut out = Vec::new();
        for c in chunks(&bytes, &sizes) {
            d.feed(c, &mut out).unwrap();
        }
        d.finish().unwrap();
        prop_assert_eq!(d.stream_offset(), bytes.len() as u64);
        prop_assert_eq!(out, msgs);
    }

    #[test]
    fn frame_decoder_streams_payloads_in_any_chunking(
        msgs in prop::collection::vec(arb_message(), 0..16),
        sizes in prop::collection::vec(1usize..80, 1..16),
    ) {
        let bytes = encode_all(&msgs);
        let mut d = FrameDecoder::new(MAX);
        let mut out = Vec::new();
        let mut current: Option<(super::BufferHeader, Vec<u8>)> = None;
        for chunk in chunks(&bytes, &sizes) {
            let mut rest = chunk;
            loop {
                let (n, item) = d.decode_next(rest).unwrap();
                prop_assert!(n <= rest.len());
                rest = &rest[n..];
                match item {
                    None => {
                        prop_assert!(rest.is_empty());
                        break;
                    }
                    Some(Decoded::Message(m)) => {
                        prop_assert!(current.is_none());
                        out.push(m);
                    }
                    Some(Decoded::BufferStart(h)) => {
                        prop_assert!(current.is_none());
                        current = Some((h, Vec::new()));
                    }
                    Some(Decoded::Payload(p)) => {
                        let (h, buf) = current.as_mut().expect("payload inside a buffer");
                        prop_assert!(!p.is_empty());
                        buf.extend_from_slice(p);
                        prop_assert!(buf.len() <= h.payload_len as usize);
                    }
                    Some(Decoded::BufferEnd) => {
                        let (h, payload) = current.take().expect("end of a buffer");
                        prop_assert_eq!(payload.len(), h.payload_len as usize);
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
        // A trailing BufferEnd may still be pending with no input left.
        if let (_, Some(Decoded::BufferEnd)) = d.decode_next(&[]).unwrap() {
            let (h, payload) = current.take().expect("end of a buffer");
            out.push(Message::BufferResponse {
                receiver_id: h.receiver_id,
                sequence: h.sequence,
                backlog: h.backlog,
                is_event: h.is_event,
                payload,
            });
        }
        d.finish().unwrap();
        prop_assert!(d.is_at_frame_boundary());
        prop_assert_eq!(out, msgs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        sizes in prop::collection::vec(1usize..80, 1..8),
        max_payload in prop_oneof![Just(0u32), 0u32..300, Just(u32::MAX)],
    ) {
        feed_garbage(&chunks(&bytes, &sizes), max_payload);
    }

    #[test]
    fn plausible_headers_with_garbage_bodies_never_panic(
        frames in prop::collection::vec(
            (0u32..80, 0u8..8, prop::collection::vec(any::<u8>(), 0..80)),
            1..6,
        ),
        sizes in prop::collection::vec(1usize..80, 1..8),
    ) {
        // Valid magic and version so that decoding reaches the length and body checks.
        let mut bytes = Vec::new();
        for (len, kind, body) in &frames {
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(&MAGIC.to_be_bytes());
            bytes.push(VERSION);
            bytes.push(*kind);
            bytes.extend_from_slice(body);
        }
        feed_garbage(&chunks(&bytes, &sizes), 32);
    }

    #[test]
    fn corrupted_streams_never_panic(
        msgs in prop::collection::vec(arb_message(), 1..8),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        sizes in prop::collection::vec(1usize..80, 1..8),
    ) {
        let mut bytes = encode_all(&msgs);
        for (at, x) in &flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x;
        }
        feed_garbage(&chunks(&bytes, &sizes), MAX);
    }

    #[test]
    fn truncation_is_detected_exactly_inside_frames(
        msgs in prop::collection::vec(arb_message(), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = encode_all(&msgs);
        let cut = cut.index(bytes.len() + 1);
        let mut boundaries = vec![0u64];
        for m in &msgs {
            boundaries.push(boundaries.last().unwrap() + m.frame_len());
        }
        let mut d = Decoder::new(MAX);
        let mut out = Vec::new();
        d.feed(&bytes[..cut], &mut out).unwrap();
        let complete = boundaries.iter().filter(|&&b| b != 0 && b <= cut as u64).count();
        prop_assert_eq!(&out[..], &msgs[..complete]);
        let at_boundary = boundaries.contains(&(cut as u64));
        prop_assert_eq!(d.finish().is_ok(), at_boundary);
    }
}
