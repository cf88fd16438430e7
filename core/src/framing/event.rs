//! In-band events: small control messages that travel between records.
//!
//! Encoding, little-endian, fixed per type (`tag` is the header's byte 1):
//!
//! ```text
//!  tag  event               payload
//!   1   Watermark           i64 timestamp (ms)                          8 B
//!   2   EndOfPartition      —                                           0 B
//!   3   LatencyMarker       u64 marked_nanos | u32 vertex | u32 subtask 16 B
//!   4   CheckpointBarrier   u64 id | i64 timestamp_ms | u8 type |       26 B
//!                           u8 alignment | u64 timeout_ms
//!   5   EndOfData           —                                           0 B
//!   6   WatermarkStatus     u8: 0 active, 1 idle                        1 B
//!   7   CancelCheckpoint    u64 id                                      8 B
//! ```
//!
//! A barrier's type is 0 (checkpoint) or 1 (savepoint); its alignment 0 (aligned), 1
//! (aligned, switching to unaligned `timeout_ms` after the checkpoint started) or 2
//! (unaligned); `timeout_ms` is 0 unless the alignment is 1. A savepoint is aligned.

use super::error::FrameError;
use crate::checkpoint::{Alignment, CheckpointBarrier, CheckpointOptions, CheckpointType};
use crate::time::WatermarkStatus;

/// An event travelling in-band with the records of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// Event time has reached this timestamp (milliseconds).
    Watermark(i64),
    /// The producer's partition is finished: nothing follows on this channel.
    EndOfPartition,
    /// A latency probe: when it was emitted and by which source subtask.
    LatencyMarker {
        /// When the source emitted it (nanoseconds of the source's clock).
        marked_nanos: u64,
        /// The emitting vertex.
        vertex: u32,
        /// The emitting subtask.
        subtask: u32,
    },
    /// A checkpoint's barrier: what precedes it belongs to the snapshot.
    CheckpointBarrier(CheckpointBarrier),
    /// Checkpoint `id` was abandoned upstream (Flink's `CancelCheckpointMarker`).
    CancelCheckpoint {
        /// The checkpoint's id.
        id: u64,
    },
    /// No more records will follow, though the partition is not finished yet
    /// (Flink's `EndOfData`, sent before a final checkpoint).
    EndOfData,
    /// The channel's producer went idle or became active again.
    WatermarkStatus(WatermarkStatus),
}

/// Tag of [`Event::Watermark`].
pub const TAG_WATERMARK: u8 = 1;
/// Tag of [`Event::EndOfPartition`].
pub const TAG_END_OF_PARTITION: u8 = 2;
/// Tag of [`Event::LatencyMarker`].
pub const TAG_LATENCY_MARKER: u8 = 3;
/// Tag of [`Event::CheckpointBarrier`].
pub const TAG_CHECKPOINT_BARRIER: u8 = 4;
/// Tag of [`Event::EndOfData`].
pub const TAG_END_OF_DATA: u8 = 5;
/// Tag of [`Event::WatermarkStatus`].
pub const TAG_WATERMARK_STATUS: u8 = 6;
/// Tag of [`Event::CancelCheckpoint`].
pub const TAG_CANCEL_CHECKPOINT: u8 = 7;

/// Encoded length of a checkpoint barrier's payload.
const BARRIER_LEN: usize = 26;

impl Event {
    /// The longest encoding of any event.
    pub const MAX_ENCODED_LEN: usize = BARRIER_LEN;

    /// The event's type tag (the frame header's byte 1).
    pub fn tag(&self) -> u8 {
        match self {
            Event::Watermark(_) => TAG_WATERMARK,
            Event::EndOfPartition => TAG_END_OF_PARTITION,
            Event::LatencyMarker { .. } => TAG_LATENCY_MARKER,
            Event::CheckpointBarrier(_) => TAG_CHECKPOINT_BARRIER,
            Event::CancelCheckpoint { .. } => TAG_CANCEL_CHECKPOINT,
            Event::EndOfData => TAG_END_OF_DATA,
            Event::WatermarkStatus(_) => TAG_WATERMARK_STATUS,
        }
    }

    /// The event type's name.
    pub fn name(&self) -> &'static str {
        tag_name(self.tag()).unwrap_or("unknown")
    }

    /// How many bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Event::Watermark(_) => 8,
            Event::EndOfPartition | Event::EndOfData => 0,
            Event::WatermarkStatus(_) => 1,
            Event::CancelCheckpoint { .. } => 8,
            Event::LatencyMarker { .. } => 16,
            Event::CheckpointBarrier(_) => BARRIER_LEN,
        }
    }

    /// Writes the payload into the first `encoded_len()` bytes of `out`; returns that length.
    ///
    /// # Panics
    /// If `out` is shorter than `encoded_len()`.
    pub fn encode(&self, out: &mut [u8]) -> usize {
        match *self {
            Event::Watermark(t) => out[..8].copy_from_slice(&t.to_le_bytes()),
            Event::EndOfPartition | Event::EndOfData => {}
            Event::WatermarkStatus(s) => out[0] = u8::from(s == WatermarkStatus::Idle),
            Event::LatencyMarker {
                marked_nanos,
                vertex,
                subtask,
            } => {
                out[..8].copy_from_slice(&marked_nanos.to_le_bytes());
                out[8..12].copy_from_slice(&vertex.to_le_bytes());
                out[12..16].copy_from_slice(&subtask.to_le_bytes());
            }
            Event::CheckpointBarrier(b) => {
                out[..8].copy_from_slice(&b.id.to_le_bytes());
                out[8..16].copy_from_slice(&b.timestamp_ms.to_le_bytes());
                out[16] = match b.options.checkpoint_type() {
                    CheckpointType::Checkpoint => 0,
                    CheckpointType::Savepoint => 1,
                };
                let (alignment, timeout_ms) = match b.options.alignment() {
                    Alignment::Aligned => (0, 0),
                    Alignment::AlignedWithTimeout { timeout_ms } => (1, timeout_ms),
                    Alignment::Unaligned => (2, 0),
                };
                out[17] = alignment;
                out[18..26].copy_from_slice(&timeout_ms.to_le_bytes());
            }
            Event::CancelCheckpoint { id } => out[..8].copy_from_slice(&id.to_le_bytes()),
        }
        self.encoded_len()
    }

    /// Reads an event of type `tag` from exactly its payload bytes; `offset`
    /// (the frame's) is only for the error.
    pub(crate) fn decode(tag: u8, bytes: &[u8], offset: usize) -> Result<Event, FrameError> {
        let Some(name) = tag_name(tag) else {
            return Err(FrameError::UnknownEvent { offset, tag });
        };
        let expected = match tag {
            TAG_WATERMARK | TAG_CANCEL_CHECKPOINT => 8,
            TAG_LATENCY_MARKER => 16,
            TAG_CHECKPOINT_BARRIER => BARRIER_LEN,
            TAG_WATERMARK_STATUS => 1,
            _ => 0,
        };
        if bytes.len() != expected {
            return Err(FrameError::EventLength {
                offset,
                event: name,
                expected,
                found: bytes.len(),
            });
        }
        let u64_at = |i: usize| {
            let mut b = [0; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let u32_at = |i: usize| {
            let mut b = [0; 4];
            b.copy_from_slice(&bytes[i..i + 4]);
            u32::from_le_bytes(b)
        };
        Ok(match tag {
            TAG_WATERMARK => Event::Watermark(u64_at(0) as i64),
            TAG_END_OF_PARTITION => Event::EndOfPartition,
            TAG_LATENCY_MARKER => Event::LatencyMarker {
                marked_nanos: u64_at(0),
                vertex: u32_at(8),
                subtask: u32_at(12),
            },
            TAG_CHECKPOINT_BARRIER => {
                let bad = |field: &'static str, found: u8| FrameError::BadBarrier {
                    offset,
                    field,
                    found,
                };
                let checkpoint_type = match bytes[16] {
                    0 => CheckpointType::Checkpoint,
                    1 => CheckpointType::Savepoint,
                    found => return Err(bad("type", found)),
                };
                let timeout_ms = u64_at(18);
                let alignment = match (bytes[17], timeout_ms) {
                    (0, 0) => Alignment::Aligned,
                    (1, _) => Alignment::AlignedWithTimeout { timeout_ms },
                    (2, 0) => Alignment::Unaligned,
                    (found, _) => return Err(bad("alignment", found)),
                };
                if checkpoint_type == CheckpointType::Savepoint && alignment != Alignment::Aligned {
                    return Err(bad("alignment", bytes[17]));
                }
                Event::CheckpointBarrier(CheckpointBarrier::new(
                    u64_at(0),
                    u64_at(8) as i64,
                    CheckpointOptions::with_alignment(checkpoint_type, alignment),
                ))
            }
            TAG_CANCEL_CHECKPOINT => Event::CancelCheckpoint { id: u64_at(0) },
            TAG_WATERMARK_STATUS => Event::WatermarkStatus(match bytes[0] {
                0 => WatermarkStatus::Active,
                1 => WatermarkStatus::Idle,
                found => return Err(FrameError::BadWatermarkStatus { offset, found }),
            }),
            _ => Event::EndOfData,
        })
    }
}

fn tag_name(tag: u8) -> Option<&'static str> {
    Some(match tag {
        TAG_WATERMARK => "watermark",
        TAG_END_OF_PARTITION => "end-of-partition",
        TAG_LATENCY_MARKER => "latency-marker",
        TAG_CHECKPOINT_BARRIER => "checkpoint-barrier",
        TAG_END_OF_DATA => "end-of-data",
        TAG_WATERMARK_STATUS => "watermark-status",
        TAG_CANCEL_CHECKPOINT => "cancel-checkpoint",
        _ => return None,
    })
}
