//! The input side of a task: records handed to the chain head in place, watermarks and
//! statuses combined over channels (by `time::StatusWatermarkValve`) passed on.

use crate::framing::reader::peek_record;
use crate::operator::{BoxOutput, CheckpointCall, OpResult};
use crate::record::{split_payload, Data, InPlace, Record};
use crate::time::WatermarkStatus;

/// The chain head seen through the record type of its input.
pub trait ErasedInput {
    /// One record frame payload of operator input `input` (0, or 1 for a two-input
    /// operator's second); `foreign` bytes (from outside the process) are validated.
    fn record(&mut self, input: usize, payload: &[u8], foreign: bool) -> OpResult;
    /// The combined watermark advanced.
    fn watermark(&mut self, watermark: i64) -> OpResult;
    /// The combined watermark status changed.
    fn watermark_status(&mut self, status: WatermarkStatus) -> OpResult;
    /// Every input channel ended.
    fn finish(&mut self) -> OpResult;
    /// A checkpoint call for the chain (see [`crate::operator::Output::checkpoint`]).
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult;
    /// A pause a downstream operator asked for.
    fn pause_until(&self) -> Option<u64>;
    /// Whether the head wants to see records ahead of time ([`ErasedInput::prefetch`]).
    fn prefetches(&self) -> bool {
        false
    }
    /// A record frame payload of operator input `input` that [`ErasedInput::record`] will
    /// be given soon, from a buffer written by this process (never foreign bytes).
    fn prefetch(&mut self, _input: usize, _payload: &[u8]) {}
}

/// A record frame payload as a `T` read in place, with its timestamp.
pub(crate) fn read_record<T: Data>(
    payload: &[u8],
    foreign: bool,
) -> Result<(InPlace<'_, T>, i64), crate::record::RecordError> {
    let (body, timestamp) = split_payload(payload)?;
    let rec = if foreign {
        InPlace::<T>::validated(body)?
    } else {
        // SAFETY: buffers not marked foreign were written by this process's record
        // writers, which archive values of the edge's record type `T` (the task builder
        // took the head's input type from the edge, and a two-input head reads each
        // input with the type of that input's edges), and the frame reader yields
        // payloads that start 16-byte aligned.
        unsafe { InPlace::<T>::trusted(body) }
    };
    Ok((rec, timestamp))
}

/// Reads records of type `T` in place into a chain head.
pub struct TypedInput<T: Data> {
    head: BoxOutput<T>,
}

impl<T: Data> TypedInput<T> {
    /// Feeds `head`.
    pub fn new(head: BoxOutput<T>) -> Self {
        Self { head }
    }
}

impl<T: Data> ErasedInput for TypedInput<T> {
    fn record(&mut self, _input: usize, payload: &[u8], foreign: bool) -> OpResult {
        let (rec, timestamp) = read_record::<T>(payload, foreign)?;
        self.head.collect(Record::InPlace(rec), timestamp)
    }
    fn watermark(&mut self, watermark: i64) -> OpResult {
        self.head.emit_watermark(watermark)
    }
    fn watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.head.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.head.finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        self.head.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.head.pause_until()
    }
    fn prefetches(&self) -> bool {
        self.head.prefetches()
    }
    fn prefetch(&mut self, _input: usize, payload: &[u8]) {
        if let Ok((rec, _)) = read_record::<T>(payload, false) {
            self.head.prefetch(&Record::InPlace(rec));
        }
    }
}

/// How many records ahead of the one being processed a prefetching head is shown: enough
/// to cover a main-memory access at a few tens of nanoseconds per record, few enough that
/// the lines loaded stay in the first-level cache.
pub(crate) const LOOKAHEAD: usize = 16;

/// A cursor running ahead of the frame reader over one buffer: it shows a prefetching chain
/// head each whole record [`LOOKAHEAD`] records before the head processes it.
pub(crate) struct Lookahead {
    pos: usize,
}

impl Lookahead {
    /// A cursor at `pos` of `bytes` that has shown `head` the first records; off (it shows
    /// nothing) unless `on`.
    pub(crate) fn start(
        on: bool,
        bytes: &[u8],
        pos: usize,
        input: usize,
        head: &mut dyn ErasedInput,
    ) -> Self {
        let mut ahead = Self {
            pos: if on { pos } else { bytes.len() },
        };
        for _ in 0..LOOKAHEAD {
            if !ahead.step(bytes, input, head) {
                break;
            }
        }
        ahead
    }

    /// Shows `head` the next record of `bytes`, if there is one.
    pub(crate) fn step(&mut self, bytes: &[u8], input: usize, head: &mut dyn ErasedInput) -> bool {
        match peek_record(bytes, &mut self.pos) {
            Some(payload) => {
                head.prefetch(input, payload);
                true
            }
            None => false,
        }
    }
}
