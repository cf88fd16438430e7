//! The input side of a task: records handed to the chain head in place, watermarks and
//! statuses combined over channels (by `time::StatusWatermarkValve`) passed on.

use crate::operator::{BoxOutput, OpResult};
use crate::record::{split_payload, Data, InPlace, Record};
use crate::time::WatermarkStatus;

/// The chain head seen through the record type of its input.
pub trait ErasedInput {
    /// One record frame payload; `foreign` bytes (from outside the process) are validated.
    fn record(&mut self, payload: &[u8], foreign: bool) -> OpResult;
    /// The combined watermark advanced.
    fn watermark(&mut self, watermark: i64) -> OpResult;
    /// The combined watermark status changed.
    fn watermark_status(&mut self, status: WatermarkStatus) -> OpResult;
    /// Every input channel ended.
    fn finish(&mut self) -> OpResult;
    /// A pause a downstream operator asked for.
    fn pause_until(&self) -> Option<u64>;
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
    fn record(&mut self, payload: &[u8], foreign: bool) -> OpResult {
        let (body, timestamp) = split_payload(payload)?;
        let rec = if foreign {
            InPlace::<T>::validated(body)?
        } else {
            // SAFETY: buffers not marked foreign were written by this process's record
            // writers, which archive values of the edge's record type `T` (the task
            // builder checked that the head's input type is the edge's type), and the
            // frame reader yields payloads that start 16-byte aligned.
            unsafe { InPlace::<T>::trusted(body) }
        };
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
