//! Watermark strategies, as in Flink: a timestamp assigner and a watermark generator,
//! optionally wrapped so that an input without events for a while goes idle.
//!
//! Generators are I/O-free: they write into a [`WatermarkOutput`], which keeps
//! watermarks monotone and statuses consistent; the operator that runs them forwards
//! what it collected.

use std::sync::Arc;
use std::time::Duration;

use super::{ValveOutput, WatermarkStatus};
use crate::runtime::clock::SharedClock;

/// Where a generator emits watermarks and idleness (Flink's `WatermarkOutput`).
#[derive(Debug, Default)]
pub struct WatermarkOutput {
    current: Option<i64>,
    idle: bool,
    pending: Vec<ValveOutput>,
}

impl WatermarkOutput {
    /// Emits `watermark` if it is above every watermark emitted before (else nothing);
    /// an idle output becomes active first.
    pub fn emit_watermark(&mut self, watermark: i64) {
        if self.current.is_some_and(|c| watermark <= c) {
            return;
        }
        self.current = Some(watermark);
        self.mark_active();
        self.pending.push(ValveOutput::Watermark(watermark));
    }

    /// Marks the output idle: it no longer holds back downstream watermarks.
    pub fn mark_idle(&mut self) {
        if !self.idle {
            self.idle = true;
            self.pending
                .push(ValveOutput::Status(WatermarkStatus::Idle));
        }
    }

    /// Marks an idle output active again.
    pub fn mark_active(&mut self) {
        if self.idle {
            self.idle = false;
            self.pending
                .push(ValveOutput::Status(WatermarkStatus::Active));
        }
    }

    /// The highest watermark emitted so far.
    pub fn current(&self) -> Option<i64> {
        self.current
    }

    /// Whether the output is idle.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// Takes what was emitted since the last call, in order.
    pub fn take(&mut self) -> std::vec::Drain<'_, ValveOutput> {
        self.pending.drain(..)
    }
}

/// Decides watermarks from events and from the passing of time (Flink's
/// `WatermarkGenerator`).
pub trait WatermarkGenerator<T>: 'static {
    /// Sees every event with its (assigned) timestamp; a punctuated generator emits here.
    fn on_event(&mut self, event: &T, timestamp: i64, output: &mut WatermarkOutput);
    /// Called every `pipeline.auto-watermark-interval`; a periodic generator emits here.
    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput);
}

/// Watermarks that trail the highest timestamp seen by a fixed bound (Flink's
/// `BoundedOutOfOrdernessWatermarks`): `max - bound - 1`, emitted periodically.
#[derive(Debug, Clone)]
pub struct BoundedOutOfOrderness {
    bound_ms: i64,
    max_timestamp: Option<i64>,
}

impl BoundedOutOfOrderness {
    /// Records may arrive up to `bound` later than the highest timestamp seen.
    pub fn new(bound: Duration) -> Self {
        Self {
            bound_ms: i64::try_from(bound.as_millis()).unwrap_or(i64::MAX),
            max_timestamp: None,
        }
    }
}

impl<T> WatermarkGenerator<T> for BoundedOutOfOrderness {
    fn on_event(&mut self, _event: &T, timestamp: i64, _output: &mut WatermarkOutput) {
        self.max_timestamp = Some(self.max_timestamp.map_or(timestamp, |m| m.max(timestamp)));
    }
    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        if let Some(max) = self.max_timestamp {
            output.emit_watermark(max.saturating_sub(self.bound_ms).saturating_sub(1));
        }
    }
}

/// A watermark decided per event (Flink's punctuated generators): `f(event, timestamp)`
/// returns the watermark the event carries, if any.
pub struct Punctuated<F>(pub F);

impl<T, F: FnMut(&T, i64) -> Option<i64> + 'static> WatermarkGenerator<T> for Punctuated<F> {
    fn on_event(&mut self, event: &T, timestamp: i64, output: &mut WatermarkOutput) {
        if let Some(w) = (self.0)(event, timestamp) {
            output.emit_watermark(w);
        }
    }
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

/// No watermarks at all (Flink's `noWatermarks`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWatermarks;

impl<T> WatermarkGenerator<T> for NoWatermarks {
    fn on_event(&mut self, _event: &T, _timestamp: i64, _output: &mut WatermarkOutput) {}
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

/// Tells when an input has had no events for a while (Flink's `IdlenessTimer`): the
/// first periodic check without activity starts the count, and the input is idle once
/// `timeout` has passed since.
#[derive(Debug, Clone)]
pub struct IdlenessTimer {
    timeout_nanos: u64,
    counter: u64,
    last_counter: u64,
    inactive_since: Option<u64>,
}

impl IdlenessTimer {
    /// Idle after `timeout` without activity.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout_nanos: u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX),
            counter: 0,
            last_counter: 0,
            inactive_since: None,
        }
    }

    /// An event arrived.
    pub fn activity(&mut self) {
        self.counter = self.counter.wrapping_add(1);
    }

    /// Whether the input is idle at `now` (nanoseconds).
    pub fn check_if_idle(&mut self, now: u64) -> bool {
        if self.counter != self.last_counter {
            self.last_counter = self.counter;
            self.inactive_since = None;
            return false;
        }
        match self.inactive_since {
            None => {
                self.inactive_since = Some(now);
                false
            }
            Some(since) => now.saturating_sub(since) > self.timeout_nanos,
        }
    }
}

/// Wraps a generator so that its output goes idle without events (Flink's
/// `WatermarksWithIdleness`).
pub struct WithIdleness<T> {
    inner: Box<dyn WatermarkGenerator<T>>,
    timer: IdlenessTimer,
    clock: SharedClock,
}

impl<T: 'static> WatermarkGenerator<T> for WithIdleness<T> {
    fn on_event(&mut self, event: &T, timestamp: i64, output: &mut WatermarkOutput) {
        self.inner.on_event(event, timestamp, output);
        self.timer.activity();
    }
    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        if self.timer.check_if_idle(self.clock.now_nanos()) {
            output.mark_idle();
        } else {
            self.inner.on_periodic_emit(output);
        }
    }
}

/// Extracts an event timestamp (milliseconds) from a record and its previous timestamp.
pub type TimestampAssigner<T> = Arc<dyn Fn(&T, i64) -> i64 + Send + Sync>;

type GeneratorFactory<T> = Arc<dyn Fn() -> Box<dyn WatermarkGenerator<T>> + Send + Sync>;

/// Where event timestamps come from.
enum Timestamps<T> {
    /// The record's own (set by its source).
    Record,
    /// A function of the record.
    Assigned(TimestampAssigner<T>),
    /// The wall clock when the record passes (ingestion time), never decreasing.
    Ingestion,
}

impl<T> Clone for Timestamps<T> {
    fn clone(&self) -> Self {
        match self {
            Timestamps::Record => Timestamps::Record,
            Timestamps::Assigned(a) => Timestamps::Assigned(a.clone()),
            Timestamps::Ingestion => Timestamps::Ingestion,
        }
    }
}

/// A timestamp assigner for one subtask: `f(record, previous timestamp)`.
pub type SubtaskAssigner<T> = Box<dyn FnMut(&T, i64) -> i64>;

/// How a stream gets event timestamps and watermarks (Flink's `WatermarkStrategy`).
pub struct WatermarkStrategy<T> {
    generator: GeneratorFactory<T>,
    timestamps: Timestamps<T>,
    idleness: Option<Duration>,
}

impl<T> Clone for WatermarkStrategy<T> {
    fn clone(&self) -> Self {
        Self {
            generator: self.generator.clone(),
            timestamps: self.timestamps.clone(),
            idleness: self.idleness,
        }
    }
}

impl<T: 'static> WatermarkStrategy<T> {
    /// Watermarks `bound` behind the highest timestamp seen (Flink's
    /// `forBoundedOutOfOrderness`).
    pub fn for_bounded_out_of_orderness(bound: Duration) -> Self {
        Self::for_generator(move || BoundedOutOfOrderness::new(bound))
    }

    /// Timestamps that never decrease (Flink's `forMonotonousTimestamps`): the
    /// watermark trails the highest timestamp by 1 ms.
    pub fn for_monotonous_timestamps() -> Self {
        Self::for_bounded_out_of_orderness(Duration::ZERO)
    }

    /// A custom generator, one per subtask (periodic, punctuated or both).
    pub fn for_generator<G: WatermarkGenerator<T>>(
        make: impl Fn() -> G + Send + Sync + 'static,
    ) -> Self {
        Self {
            generator: Arc::new(move || Box::new(make())),
            timestamps: Timestamps::Record,
            idleness: None,
        }
    }

    /// Watermarks decided per record: `f(record, timestamp)` returns one, or not.
    pub fn for_punctuated(
        f: impl Fn(&T, i64) -> Option<i64> + Clone + Send + Sync + 'static,
    ) -> Self {
        Self::for_generator(move || Punctuated(f.clone()))
    }

    /// No watermarks.
    pub fn no_watermarks() -> Self {
        Self::for_generator(|| NoWatermarks)
    }

    /// Ingestion time: each record is stamped with the wall clock (epoch milliseconds of
    /// the slot's clock) when it passes, never decreasing, and watermarks follow it as
    /// for monotonous timestamps.
    pub fn for_ingestion_time() -> Self {
        let mut s = Self::for_monotonous_timestamps();
        s.timestamps = Timestamps::Ingestion;
        s
    }

    /// Takes event timestamps from the records: `f(record, previous timestamp)`.
    pub fn with_timestamp_assigner(
        mut self,
        f: impl Fn(&T, i64) -> i64 + Send + Sync + 'static,
    ) -> Self {
        self.timestamps = Timestamps::Assigned(Arc::new(f));
        self
    }

    /// Goes idle after `timeout` without records, so that downstream watermarks do not
    /// wait for this input; the next watermark makes it active again.
    pub fn with_idleness(mut self, timeout: Duration) -> Self {
        self.idleness = Some(timeout);
        self
    }

    /// The timestamp assigner for one subtask on `clock`; `None` keeps the records'
    /// own timestamps.
    pub fn create_assigner(&self, clock: &SharedClock) -> Option<SubtaskAssigner<T>> {
        match &self.timestamps {
            Timestamps::Record => None,
            Timestamps::Assigned(f) => {
                let f = f.clone();
                Some(Box::new(move |v, ts| f(v, ts)))
            }
            Timestamps::Ingestion => {
                let clock = clock.clone();
                let mut max = i64::MIN;
                Some(Box::new(move |_, _| {
                    max = max.max(clock.epoch_millis());
                    max
                }))
            }
        }
    }

    /// A generator for one subtask, on `clock` (used by the idleness check).
    pub fn create_generator(&self, clock: &SharedClock) -> Box<dyn WatermarkGenerator<T>> {
        let inner = (self.generator)();
        match self.idleness {
            Some(timeout) => Box::new(WithIdleness {
                inner,
                timer: IdlenessTimer::new(timeout),
                clock: clock.clone(),
            }),
            None => inner,
        }
    }
}

#[cfg(test)]
#[path = "strategy_tests.rs"]
mod tests;
