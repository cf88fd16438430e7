//! Round trips, garbage, and every error of the frame format.

use proptest::prelude::*;

use super::*;
use crate::memory::test_util::net_pool;
use crate::memory::{Buffer, LocalBufferPool};

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Record(Vec<u8>),
    Event(Event),
}

fn event_strategy() -> impl Strategy<Value = Event> {
    prop_oneof![
        any::<i64>().prop_map(Event::Watermark),
        Just(Event::EndOfPartition),
        (any::<u64>(), any::<u32>(), any::<u32>()).prop_map(|(marked_nanos, vertex, subtask)| {
            Event::LatencyMarker {
                marked_nanos,
                vertex,
                subtask,
            }
        }),
        (any::<u64>(), any::<i64>(), 0u8..4, any::<u64>()).prop_map(
            |(id, timestamp_ms, kind, timeout_ms)| {
                use crate::checkpoint::{CheckpointBarrier, CheckpointOptions};
                let options = match kind {
                    0 => CheckpointOptions::aligned(),
                    1 => CheckpointOptions::aligned_with_timeout(timeout_ms),
                    2 => CheckpointOptions::unaligned(),
                    _ => CheckpointOptions::savepoint(),
                };
                Event::CheckpointBarrier(CheckpointBarrier::new(id, timestamp_ms, options))
            }
        ),
        any::<u64>().prop_map(|id| Event::CancelCheckpoint { id }),
        Just(Event::EndOfData),
        Just(Event::WatermarkStatus(crate::time::WatermarkStatus::Idle)),
        Just(Event::WatermarkStatus(crate::time::WatermarkStatus::Active)),
    ]
}

fn items_strategy() -> impl Strategy<Value = (usize, Vec<Item>)> {
    prop_oneof![Just(256usize), Just(512), Just(4096)].prop_flat_map(|seg| {
        let item = prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 0..3 * seg).prop_map(Item::Record),
            // Many small records: the common, non-spanning path.
            3 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Item::Record),
            2 => event_strategy().prop_map(Item::Event),
        ];
        (Just(seg), prop::collection::vec(item, 0..20))
    })
}

/// Writes `items` into as many buffers of `pool` as needed.
fn write_all(pool: &LocalBufferPool, items: &[Item]) -> Vec<Buffer> {
    let mut buffers = Vec::new();
    let mut b = pool.try_request().expect("pool large enough");
    for item in items {
        let mut progress = 0;
        let mut rounds = 0;
        loop {
            let outcome = match item {
                Item::Record(p) => write_record(&mut b, p, &mut progress),
                Item::Event(e) => write_event(&mut b, e),
            };
            match outcome {
                WriteOutcome::Done => break,
                WriteOutcome::Full => {
                    let next = pool.try_request().expect("pool large enough");
                    buffers.push(std::mem::replace(&mut b, next).finish());
                }
            }
            rounds += 1;
            assert!(rounds < 100, "the writer makes no progress");
        }
        assert_eq!(progress, 0, "Done resets progress");
    }
    buffers.push(b.finish());
    buffers
}

/// Reads every frame of `buffers`, checking alignment and in-place records.
fn read_all(buffers: &[Buffer], seg: usize) -> Vec<Item> {
    let mut reader = FrameReader::new(1 << 20);
    let mut out = Vec::new();
    for buf in buffers {
        let bytes = buf.as_bytes();
        assert!(bytes.len() <= seg);
        // The look-ahead sees the buffer's whole records, in order, unless the buffer
        // starts with a continuation.
        let mut peeked = Vec::new();
        let starts_mid_record = reader.is_mid_record();
        if !starts_mid_record {
            let mut ahead = 0;
            while let Some(r) = reader::peek_record(bytes, &mut ahead) {
                peeked.push(r.as_ptr_range());
            }
            assert_eq!(ahead, bytes.len());
        }
        let mut in_place = Vec::new();
        let mut pos = 0;
        while let Some(frame) = reader.next_frame(bytes, &mut pos).unwrap() {
            match frame {
                Frame::Record(r) => {
                    let range = bytes.as_ptr_range();
                    if range.start <= r.as_ptr() && r.as_ptr() <= range.end {
                        in_place.push(r.as_ptr_range());
                    }
                    assert_eq!(r.as_ptr() as usize % 16, 0, "record payload aligned");
                    if !r.is_empty() && r.len() <= max_unsplit_record(seg) {
                        assert!(
                            bytes.as_ptr_range().contains(&r.as_ptr()),
                            "a record that fits a buffer is read in place"
                        );
                    }
                    out.push(Item::Record(r.to_vec()));
                }
                Frame::Event(e) => out.push(Item::Event(e)),
            }
        }
        assert_eq!(pos, bytes.len(), "the reader consumed the whole buffer");
        if starts_mid_record {
            // The continuation completing a record comes first; the look-ahead stays off.
            assert!(peeked.is_empty());
        } else {
            assert_eq!(peeked, in_place, "the look-ahead sees the in-place records");
        }
    }
    assert!(!reader.is_mid_record());
    out
}

proptest! {
    #[test]
    fn prop_records_and_events_round_trip((seg, items) in items_strategy()) {
        let net = net_pool(128, seg);
        let pool = net.create_local_pool("roundtrip", 128).unwrap();
        let buffers = write_all(&pool, &items);
        let back = read_all(&buffers, seg);
        prop_assert_eq!(back, items);
    }

    #[test]
    fn prop_garbage_never_panics(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..512), 1..8),
        seed_headers in any::<bool>(),
    ) {
        let net = net_pool(8, 512);
        let pool = net.create_local_pool("garbage", 8).unwrap();
        let mut reader = FrameReader::new(4096);
        for mut chunk in chunks {
            if seed_headers && chunk.len() >= 16 {
                // Plausible headers so that the garbage gets past the first check.
                chunk[8] %= 6;
                chunk[9] %= 7;
                chunk[10] = 0;
                chunk[11] = 0;
            }
            let mut b = pool.try_request().unwrap();
            b.append(&chunk);
            let buf = b.finish_foreign();
            let mut ahead = 0;
            while reader::peek_record(buf.as_bytes(), &mut ahead).is_some() {}
            read_to_end_or_error(&mut reader, buf.as_bytes(), 4096);
        }
    }

    #[test]
    fn prop_corrupted_streams_never_panic(
        (seg, items) in items_strategy(),
        flips in prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u8>()),
            1..8,
        ),
    ) {
        let net = net_pool(128, seg);
        let pool = net.create_local_pool("corrupt", 128).unwrap();
        let buffers = write_all(&pool, &items);
        // Copy the bytes out and overwrite a few of them.
        let mut corrupted: Vec<Vec<u8>> = buffers.iter().map(|b| b.as_bytes().to_vec()).collect();
        for (which, at, value) in &flips {
            let bytes = &mut corrupted[which.index(buffers.len())];
            if !bytes.is_empty() {
                let k = at.index(bytes.len());
                bytes[k] = *value;
            }
        }
        drop(buffers);
        let mut reader = FrameReader::new(1 << 20);
        for bytes in corrupted {
            let mut b = pool.try_request().unwrap();
            b.append(&bytes);
            let buf = b.finish_foreign();
            read_to_end_or_error(&mut reader, buf.as_bytes(), 1 << 20);
        }
    }
}

fn read_to_end_or_error(reader: &mut FrameReader, bytes: &[u8], max: usize) {
    let mut pos = 0;
    let mut frames = 0;
    loop {
        let before = pos;
        match reader.next_frame(bytes, &mut pos) {
            Ok(Some(Frame::Record(r))) => {
                assert_eq!(r.as_ptr() as usize % 16, 0);
                assert!(r.len() <= max.max(bytes.len()));
            }
            Ok(Some(Frame::Event(_))) => {}
            Ok(None) => break,
            Err(e) => {
                assert_eq!(pos, before, "an error leaves pos alone");
                assert!(!e.to_string().is_empty());
                break;
            }
        }
        assert!(pos > before, "every frame advances pos");
        assert!(pos <= bytes.len());
        frames += 1;
        assert!(frames <= bytes.len());
    }
    assert!(reader.scratch_capacity() <= max + 4096);
}

// ---------------------------------------------------------------------------
// The writer's rules.

#[test]
fn small_record_that_does_not_fit_starts_in_the_next_buffer() {
    let net = net_pool(4, 256);
    let pool = net.create_local_pool("p", 4).unwrap();
    let mut b = pool.try_request().unwrap();
    let mut progress = 0;
    assert_eq!(
        write_record(&mut b, &[1; 200], &mut progress),
        WriteOutcome::Done
    );
    assert_eq!(b.len(), 16 + 200);
    assert_eq!(
        write_record(&mut b, &[2; 100], &mut progress),
        WriteOutcome::Full
    );
    assert_eq!(
        (progress, b.len()),
        (0, 216),
        "nothing written, nothing spanned"
    );
    let mut b2 = pool.try_request().unwrap();
    assert_eq!(
        write_record(&mut b2, &[2; 100], &mut progress),
        WriteOutcome::Done
    );
}

#[test]
fn record_of_exactly_an_empty_buffer_does_not_span_but_one_more_byte_does() {
    let net = net_pool(4, 256);
    let pool = net.create_local_pool("p", 4).unwrap();
    let mut b = pool.try_request().unwrap();
    let mut progress = 0;
    let fits = vec![7; max_unsplit_record(256)];
    assert_eq!(
        write_record(&mut b, &fits, &mut progress),
        WriteOutcome::Done
    );
    assert!(b.is_full());
    let mut b = pool.try_request().unwrap();
    let spans = vec![7; max_unsplit_record(256) + 1];
    assert_eq!(
        write_record(&mut b, &spans, &mut progress),
        WriteOutcome::Full
    );
    assert_eq!(progress, 240);
    let mut b = pool.try_request().unwrap();
    assert_eq!(
        write_record(&mut b, &spans, &mut progress),
        WriteOutcome::Done
    );
    assert_eq!(b.len(), 16 + 1);
}

#[test]
fn spanning_record_starts_in_the_rest_of_a_used_buffer() {
    let net = net_pool(4, 256);
    let pool = net.create_local_pool("p", 4).unwrap();
    let mut b = pool.try_request().unwrap();
    let mut progress = 0;
    assert_eq!(
        write_record(&mut b, &[1; 10], &mut progress),
        WriteOutcome::Done
    );
    let big = vec![9; 600];
    assert_eq!(
        write_record(&mut b, &big, &mut progress),
        WriteOutcome::Full
    );
    assert!(b.is_full());
    assert_eq!(progress, 256 - 48, "first part from offset 48 to the end");
    // A buffer whose last header slot has no room for a payload byte: no first part.
    let mut b = pool.try_request().unwrap();
    b.append(&[0; 240]);
    let mut progress = 0;
    assert_eq!(
        write_record(&mut b, &big, &mut progress),
        WriteOutcome::Full
    );
    assert_eq!((progress, b.len()), (0, 240));
}

#[test]
fn event_that_does_not_fit_returns_full_and_writes_nothing() {
    let net = net_pool(2, 256);
    let pool = net.create_local_pool("p", 2).unwrap();
    let mut b = pool.try_request().unwrap();
    b.append(&[0; 233]);
    let barrier = Event::CheckpointBarrier(crate::checkpoint::CheckpointBarrier::new(
        1,
        2,
        crate::checkpoint::CheckpointOptions::aligned(),
    ));
    assert_eq!(write_event(&mut b, &barrier), WriteOutcome::Full);
    assert_eq!(b.len(), 233);
    assert_eq!(
        write_event(&mut b, &Event::EndOfPartition),
        WriteOutcome::Done
    );
    assert!(b.is_full(), "header at 248, empty payload at 256");
}

#[test]
#[should_panic(expected = "must start an empty buffer")]
fn continuation_into_a_used_buffer_panics() {
    let net = net_pool(2, 256);
    let pool = net.create_local_pool("p", 2).unwrap();
    let mut b = pool.try_request().unwrap();
    b.append(&[0; 1]);
    let mut progress = 10;
    let _ = write_record(&mut b, &[0; 1000], &mut progress);
}

#[test]
fn nexmark_bid_back_of_the_envelope() {
    assert_eq!(frame_len(136), 144);
    let net = net_pool(1, 32 * 1024);
    let pool = net.create_local_pool("p", 1).unwrap();
    let mut b = pool.try_request().unwrap();
    let bid = [0x42; 136];
    let mut n = 0;
    let mut progress = 0;
    while write_record(&mut b, &bid, &mut progress) == WriteOutcome::Done {
        n += 1;
    }
    assert_eq!(n, 227);
    assert_eq!(b.remaining(), 72);
}

#[test]
fn header_offsets_are_eight_mod_sixteen() {
    for pos in 0..100 {
        let h = header_offset(pos);
        assert!(h >= pos && h < pos + 16 && h % 16 == 8, "{pos} -> {h}");
    }
    assert_eq!(frame_len(0), 16);
    assert_eq!(frame_len(8), 16);
    assert_eq!(frame_len(9), 32);
}

#[test]
fn events_round_trip_their_encoding() {
    let events = [
        Event::Watermark(-5),
        Event::EndOfPartition,
        Event::LatencyMarker {
            marked_nanos: u64::MAX,
            vertex: 3,
            subtask: 4,
        },
        Event::CheckpointBarrier(crate::checkpoint::CheckpointBarrier::new(
            9,
            i64::MIN,
            crate::checkpoint::CheckpointOptions::aligned_with_timeout(u64::MAX),
        )),
        Event::CancelCheckpoint { id: 3 },
        Event::EndOfData,
    ];
    for e in events {
        let mut out = [0u8; Event::MAX_ENCODED_LEN];
        let n = e.encode(&mut out);
        assert_eq!(n, e.encoded_len());
        assert_eq!(Event::decode(e.tag(), &out[..n], 0), Ok(e));
        assert_ne!(e.name(), "unknown");
    }
}

#[test]
fn malformed_barrier_options_are_named() {
    let good = Event::CheckpointBarrier(crate::checkpoint::CheckpointBarrier::new(
        1,
        2,
        crate::checkpoint::CheckpointOptions::savepoint(),
    ));
    let mut out = [0u8; Event::MAX_ENCODED_LEN];
    let n = good.encode(&mut out);
    assert_eq!(n, 26);
    let cases: [(usize, u8, &str); 4] = [
        (16, 7, "bad type byte 7"),
        (17, 3, "bad alignment byte 3"),
        // A savepoint must be aligned.
        (17, 2, "bad alignment byte 2"),
        // An aligned barrier carries no timeout.
        (18, 1, "bad alignment byte 0"),
    ];
    for (at, byte, want) in cases {
        let mut bytes = out;
        bytes[at] = byte;
        let err = Event::decode(good.tag(), &bytes[..n], 64)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want) && err.contains("offset 64"), "{err}");
    }
    let err = Event::decode(event::TAG_CANCEL_CHECKPOINT, &[0; 4], 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cancel-checkpoint") && err.contains("expected 8"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// The reader on hand-made bytes: each error, with its message.

/// Bytes for frames at their header slots, as the writer would put them.
struct Raw(Vec<u8>);

impl Raw {
    fn new() -> Self {
        Raw(Vec::new())
    }
    fn frame(mut self, kind: u8, tag: u8, len: u32, payload: &[u8]) -> Self {
        self.0.resize(header_offset(self.0.len()), 0);
        self.0.extend_from_slice(&encode_header(kind, tag, len));
        self.0.extend_from_slice(payload);
        self
    }
    fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
}

/// Copies `raw` into a real (aligned, foreign) buffer.
fn foreign(pool: &LocalBufferPool, raw: &Raw) -> Buffer {
    let mut b = pool.try_request().unwrap();
    assert_eq!(b.append(&raw.0), raw.0.len());
    b.finish_foreign()
}

fn first_error(reader: &mut FrameReader, raws: &[Raw]) -> FrameError {
    let net = net_pool(4, 4096);
    let pool = net.create_local_pool("p", 4).unwrap();
    for raw in raws {
        let buf = foreign(&pool, raw);
        let mut pos = 0;
        loop {
            match reader.next_frame(buf.as_bytes(), &mut pos) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => return e,
            }
        }
    }
    panic!("no error");
}

fn err(raws: &[Raw]) -> FrameError {
    first_error(&mut FrameReader::new(1000), raws)
}

#[test]
fn error_truncated_header() {
    let e = err(&[Raw::new().frame(KIND_RECORD, 0, 2, b"ab").bytes(&[0; 9])]);
    assert_eq!(
        e,
        FrameError::TruncatedHeader {
            offset: 24,
            available: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "truncated frame header at offset 24: 3 of 8 bytes left in the buffer"
    );
    // Trailing padding alone, with no room for a header slot, is truncation too.
    let e = err(&[Raw::new().frame(KIND_RECORD, 0, 2, b"ab").bytes(&[0; 3])]);
    assert_eq!(
        e,
        FrameError::TruncatedHeader {
            offset: 24,
            available: 0
        }
    );
}

#[test]
fn error_unknown_kind() {
    let e = err(&[Raw::new().frame(0, 0, 0, b"")]);
    assert_eq!(e, FrameError::UnknownKind { offset: 8, kind: 0 });
    assert_eq!(e.to_string(), "unknown frame kind 0 at offset 8");
}

#[test]
fn error_reserved_bytes() {
    let mut raw = Raw::new().frame(KIND_RECORD, 0, 0, b"");
    raw.0[10] = 1;
    let e = err(&[raw]);
    assert_eq!(e, FrameError::ReservedBytes { offset: 8 });
    assert_eq!(
        e.to_string(),
        "frame header at offset 8 has non-zero reserved bytes"
    );
    // A tag on a record frame is reserved too.
    let e = err(&[Raw::new().frame(KIND_RECORD, 3, 0, b"")]);
    assert_eq!(e, FrameError::ReservedBytes { offset: 8 });
}

#[test]
fn error_payload_out_of_bounds() {
    let e = err(&[Raw::new().frame(KIND_RECORD, 0, u32::MAX, b"abc")]);
    assert_eq!(
        e,
        FrameError::PayloadOutOfBounds {
            offset: 8,
            len: u32::MAX as usize,
            available: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "frame at offset 8 claims 4294967295 payload bytes, but only 3 are left in the buffer"
    );
    let e = err(&[Raw::new().frame(KIND_EVENT, 1, 8, b"abc")]);
    assert!(matches!(e, FrameError::PayloadOutOfBounds { .. }));
}

#[test]
fn error_unknown_event() {
    let e = err(&[Raw::new().frame(KIND_EVENT, 77, 0, b"")]);
    assert_eq!(e, FrameError::UnknownEvent { offset: 8, tag: 77 });
    assert_eq!(e.to_string(), "unknown event tag 77 at offset 8");
}

#[test]
fn error_event_length() {
    let e = err(&[Raw::new().frame(KIND_EVENT, event::TAG_WATERMARK, 4, b"abcd")]);
    assert_eq!(
        e,
        FrameError::EventLength {
            offset: 8,
            event: "watermark",
            expected: 8,
            found: 4
        }
    );
    assert_eq!(
        e.to_string(),
        "watermark event at offset 8 has 4 payload bytes, expected 8"
    );
}

#[test]
fn error_record_too_large_allocates_nothing() {
    let mut reader = FrameReader::new(1000);
    let e = first_error(
        &mut reader,
        &[Raw::new().frame(KIND_RECORD_FIRST, 0, u32::MAX, b"abc")],
    );
    assert_eq!(
        e,
        FrameError::RecordTooLarge {
            offset: 8,
            len: u32::MAX as usize,
            max: 1000
        }
    );
    assert_eq!(
        e.to_string(),
        "spanning record at offset 8 is 4294967295 bytes, more than the maximum record size \
         of 1000 bytes"
    );
    assert_eq!(reader.scratch_capacity(), 0);
}

#[test]
fn a_claimed_length_allocates_only_what_arrives() {
    let mut reader = FrameReader::new(1 << 30);
    let net = net_pool(1, 256);
    let pool = net.create_local_pool("p", 1).unwrap();
    let buf = foreign(
        &pool,
        &Raw::new().frame(KIND_RECORD_FIRST, 0, 1 << 30, &[1; 100]),
    );
    let mut pos = 0;
    assert_eq!(reader.next_frame(buf.as_bytes(), &mut pos), Ok(None));
    assert!(reader.is_mid_record());
    assert!(
        reader.scratch_capacity() <= 256,
        "{}",
        reader.scratch_capacity()
    );
    reader.reset();
    assert!(!reader.is_mid_record());
}

#[test]
fn error_spanning_record_fits() {
    let e = err(&[Raw::new().frame(KIND_RECORD_FIRST, 0, 3, b"abc")]);
    assert_eq!(
        e,
        FrameError::SpanningRecordFits {
            offset: 8,
            len: 3,
            available: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "spanning record at offset 8 claims 3 bytes in all, which fit in the 3 bytes left in \
         its buffer"
    );
}

#[test]
fn error_unexpected_continuation() {
    let e = err(&[Raw::new().frame(KIND_RECORD_CONTINUATION, 0, 1, b"a")]);
    assert_eq!(e, FrameError::UnexpectedContinuation { offset: 8 });
    assert_eq!(
        e.to_string(),
        "continuation frame at offset 8, but no spanning record is in progress"
    );
}

#[test]
fn error_missing_continuation() {
    let first = Raw::new().frame(KIND_RECORD_FIRST, 0, 10, b"abc");
    let e = err(&[first, Raw::new().frame(KIND_EVENT, 2, 0, b"")]);
    assert_eq!(
        e,
        FrameError::MissingContinuation {
            offset: 8,
            found: "event"
        }
    );
    assert_eq!(
        e.to_string(),
        "expected the continuation of a spanning record at offset 8, found a event frame"
    );
    let first = Raw::new().frame(KIND_RECORD_FIRST, 0, 10, b"abc");
    let e = err(&[first, Raw::new().frame(9, 0, 0, b"")]);
    assert_eq!(e, FrameError::UnknownKind { offset: 8, kind: 9 });
}

#[test]
fn error_continuation_overrun() {
    let first = Raw::new().frame(KIND_RECORD_FIRST, 0, 10, b"abc");
    let e = err(&[
        first,
        Raw::new().frame(KIND_RECORD_CONTINUATION, 0, 8, b"defghijk"),
    ]);
    assert_eq!(
        e,
        FrameError::ContinuationOverrun {
            offset: 8,
            len: 8,
            missing: 7
        }
    );
    assert_eq!(
        e.to_string(),
        "continuation at offset 8 carries 8 bytes, but the spanning record misses only 7"
    );
}

#[test]
fn error_short_continuation() {
    let first = Raw::new().frame(KIND_RECORD_FIRST, 0, 10, b"abc");
    let cont = Raw::new()
        .frame(KIND_RECORD_CONTINUATION, 0, 2, b"de")
        .frame(KIND_EVENT, 2, 0, b"");
    let e = err(&[first, cont]);
    assert_eq!(
        e,
        FrameError::ShortContinuation {
            offset: 8,
            len: 2,
            missing: 7
        }
    );
    assert_eq!(
        e.to_string(),
        "continuation at offset 8 carries 2 bytes and ends before its buffer does, but the \
         spanning record still misses 7"
    );
}

#[test]
fn spanning_record_reassembles_across_three_hand_made_buffers() {
    let net = net_pool(4, 256);
    let pool = net.create_local_pool("p", 4).unwrap();
    let mut bufs = vec![
        foreign(&pool, &Raw::new().frame(KIND_RECORD_FIRST, 0, 7, b"ab")),
        foreign(
            &pool,
            &Raw::new().frame(KIND_RECORD_CONTINUATION, 0, 2, b"cd"),
        ),
        foreign(
            &pool,
            &Raw::new()
                .frame(KIND_RECORD_CONTINUATION, 0, 3, b"efg")
                .frame(KIND_EVENT, event::TAG_WATERMARK, 8, &5i64.to_le_bytes()),
        ),
    ];
    let mut reader = FrameReader::default();
    let mut pos = 0;
    assert_eq!(reader.next_frame(&bufs[0], &mut pos), Ok(None));
    // The reader keeps the part, not the buffer.
    drop(bufs.remove(0));
    let bufs = bufs;
    let mut pos = 0;
    assert_eq!(reader.next_frame(&bufs[0], &mut pos), Ok(None));
    let mut pos = 0;
    assert_eq!(
        reader.next_frame(&bufs[1], &mut pos),
        Ok(Some(Frame::Record(b"abcdefg")))
    );
    assert_eq!(
        reader.next_frame(&bufs[1], &mut pos),
        Ok(Some(Frame::Event(Event::Watermark(5))))
    );
    assert_eq!(reader.next_frame(&bufs[1], &mut pos), Ok(None));
}

#[test]
fn records_from_a_misaligned_slice_are_still_aligned() {
    let raw = Raw::new()
        .frame(KIND_RECORD, 0, 5, b"hello")
        .frame(KIND_RECORD, 0, 3, b"abc");
    let mut v = vec![0u8; raw.0.len() + 32];
    // Find a start that is not 16-aligned.
    let skew = (0..16)
        .find(|i| (v.as_ptr() as usize + i) % 16 == 3)
        .unwrap();
    v[skew..skew + raw.0.len()].copy_from_slice(&raw.0);
    let slice = &v[skew..skew + raw.0.len()];
    let mut reader = FrameReader::new(100);
    let mut pos = 0;
    match reader.next_frame(slice, &mut pos) {
        Ok(Some(Frame::Record(r))) => {
            assert_eq!(r, b"hello");
            assert_eq!(r.as_ptr() as usize % 16, 0);
        }
        other => panic!("{other:?}"),
    }
    match reader.next_frame(slice, &mut pos) {
        Ok(Some(Frame::Record(r))) => assert_eq!(r, b"abc"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pos_past_the_end_is_an_exhausted_buffer() {
    let mut reader = FrameReader::new(100);
    let mut pos = usize::MAX;
    assert_eq!(reader.next_frame(b"whatever", &mut pos), Ok(None));
    let mut pos = 0;
    assert_eq!(reader.next_frame(b"", &mut pos), Ok(None));
}
