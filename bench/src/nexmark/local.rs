//! Local pre-aggregation on a source subtask, before an exchange (Flink's local-global
//! aggregation): [`Local`] keeps partial results in a [`Partial`] and sends each one on
//! when the subtask's watermark shows it complete, before the watermark itself, so that
//! nothing it sends is late downstream. q5 counts per slice ([`super::local_count`]); q7
//! keeps its candidate bids ([`super::local_top`]).

use weir_core::operator::{BoxOutput, CheckpointCall, OpResult, Output};
use weir_core::record::{Data, Record, NO_TIMESTAMP};
use weir_core::time::WatermarkStatus;

/// Partial results of one subtask.
pub trait Partial<I, O>: 'static {
    /// Adds an element with its timestamp.
    fn add(&mut self, element: I, timestamp: i64);
    /// Sends (through `emit`, with a timestamp each) every partial result complete at
    /// `watermark`, and forgets it.
    fn flush(&mut self, watermark: i64, emit: &mut dyn FnMut(O, i64) -> OpResult) -> OpResult;
}

/// An operator keeping partial results and flushing them on the watermark.
pub struct Local<P, O: Data> {
    partial: P,
    out: BoxOutput<O>,
}

impl<P, O: Data> Local<P, O> {
    /// Partial results in `partial`, sent to `out`.
    pub fn new(partial: P, out: BoxOutput<O>) -> Self {
        Self { partial, out }
    }

    fn flush<I>(&mut self, watermark: i64) -> OpResult
    where
        P: Partial<I, O>,
    {
        let out = &mut self.out;
        self.partial
            .flush(watermark, &mut |o, ts| out.collect(Record::Owned(o), ts))
    }
}

impl<I: Data, O: Data, P: Partial<I, O>> Output<I> for Local<P, O> {
    fn collect(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        self.partial.add(record.into_owned()?, timestamp);
        Ok(())
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.flush::<I>(watermark)?;
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.flush::<I>(i64::MAX)?;
        self.out.finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        // As Flink's local aggregation before a barrier: every partial result goes
        // downstream (which merges it), so that none needs to be in the snapshot.
        if matches!(call, CheckpointCall::Snapshot(_)) {
            self.flush::<I>(i64::MAX)?;
        }
        self.out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
}

/// The timestamp of an element: its own, or `fallback` if it has none.
pub fn or_time(timestamp: i64, fallback: i64) -> i64 {
    if timestamp == NO_TIMESTAMP {
        fallback
    } else {
        timestamp
    }
}
