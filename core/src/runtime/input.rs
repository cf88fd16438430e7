//! The input side of a task: records handed to the chain head in place, watermarks and
//! statuses combined over channels (by `time::StatusWatermarkValve`) passed on.

use crate::operator::{BoxOutput, OpResult};
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
    /// A pause a downstream operator asked for.
    fn pause_until(&self) -> Option<u64>;
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
    fn pause_until(&self) -> Option<u64> {
        self.head.pause_until()
    }
}
