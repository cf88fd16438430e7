//! Keyed process functions (Flink's `KeyedProcessFunction`): a function per element of a
//! keyed stream, with the current key, keyed state scoped to it (a
//! `weir_state::HeapKeyedStateBackend` per subtask over its key groups), event-time and
//! processing-time timers per key, and side outputs.
//!
//! Timers: at most one per key and timestamp in each time domain, deletable. Event-time
//! timers fire when a watermark reaches them, in timestamp order, before the watermark
//! goes on; processing-time timers fire when the slot's wall clock reaches them (the
//! task's processing-time service wakes the operator). `on_timer` sees the timer's key,
//! timestamp and time domain; what it emits carries the timer's timestamp for event time
//! and no timestamp for processing time, as in Flink.

use std::cell::RefCell;
use std::rc::Rc;

use weir_state::keyed::BackendKey;
use weir_state::timers::{TimeDomain, TimerQueue};
use weir_state::HeapKeyedStateBackend;

use super::checkpoint::{CheckpointCall, OperatorSnapshot};
use super::process::{Collector, OutputTag, SideOutputs};
use super::rolling::KeyFn;
use super::{BoxOutput, OpResult, OperatorError};
use crate::graph::factory::BuildContext;
use crate::operator::Output;
use crate::record::{Data, Record, NO_TIMESTAMP};
use crate::runtime::clock::SharedClock;
use crate::runtime::timers::{ProcessingTimeCallback, WakeUps};
use crate::time::WatermarkStatus;

/// The timers of one keyed operator, both domains.
struct Timers<K> {
    event: TimerQueue<K, ()>,
    processing: TimerQueue<K, ()>,
}

/// What a keyed process function sees besides the element (or the timer).
pub struct KeyedContext<'a, K> {
    key: &'a K,
    timestamp: i64,
    watermark: i64,
    clock: &'a SharedClock,
    timers: &'a mut Timers<K>,
    state: &'a mut HeapKeyedStateBackend<K>,
    side: &'a mut SideOutputs,
    domain: Option<TimeDomain>,
    error: Option<OperatorError>,
}

impl<K: BackendKey> KeyedContext<'_, K> {
    /// The keyed state, scoped to the current key: use state handles (registered in
    /// `open`) with it, e.g. `count.value(ctx.state(), &())`.
    pub fn state(&mut self) -> &mut HeapKeyedStateBackend<K> {
        self.state
    }

    /// The keyed state and the side outputs at once, for a function that emits to side
    /// outputs while it iterates over state.
    pub(crate) fn state_and_side_outputs(
        &mut self,
    ) -> (&mut HeapKeyedStateBackend<K>, &mut SideOutputs) {
        (self.state, self.side)
    }

    /// The key of the element (or of the timer) being processed.
    pub fn current_key(&self) -> &K {
        self.key
    }

    /// The element's timestamp (or the event-time timer's), if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// The operator's current event time (its last watermark).
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }

    /// The slot's wall clock (epoch milliseconds).
    pub fn current_processing_time(&self) -> i64 {
        self.clock.epoch_millis()
    }

    /// In `on_timer`: whether an event-time or a processing-time timer fired.
    pub fn time_domain(&self) -> Option<TimeDomain> {
        self.domain
    }

    /// Registers an event-time timer for the current key (once per timestamp).
    pub fn register_event_time_timer(&mut self, timestamp: i64) {
        self.timers.event.register(self.key.clone(), (), timestamp);
    }

    /// Deletes the current key's event-time timer at `timestamp`, if there is one.
    pub fn delete_event_time_timer(&mut self, timestamp: i64) {
        self.timers.event.delete(self.key, &(), timestamp);
    }

    /// Registers a processing-time timer for the current key (epoch milliseconds).
    pub fn register_processing_time_timer(&mut self, timestamp: i64) {
        self.timers
            .processing
            .register(self.key.clone(), (), timestamp);
    }

    /// Deletes the current key's processing-time timer at `timestamp`, if there is one.
    pub fn delete_processing_time_timer(&mut self, timestamp: i64) {
        self.timers.processing.delete(self.key, &(), timestamp);
    }

    /// Emits `value` to the side output named by `tag`, with the element's timestamp.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        if self.error.is_none() {
            if let Err(e) = self.side.emit(tag, value, self.timestamp) {
                self.error = Some(e);
            }
        }
    }
}

/// A function over the elements of a keyed stream, with timers (Flink's
/// `KeyedProcessFunction`).
pub trait KeyedProcessFunction<K, I, O: Data>: Send + 'static {
    /// Registers the states the function uses (Flink's `open`), once per subtask.
    fn open(&mut self, _state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        Ok(())
    }

    /// Processes one element of the current key.
    fn process_element(
        &mut self,
        value: I,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;

    /// A timer of the current key fired at `timestamp`.
    fn on_timer(
        &mut self,
        _timestamp: i64,
        _ctx: &mut KeyedContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> OpResult {
        Ok(())
    }
}

/// Calls a function's `on_timer`: how the shared core reaches one- and two-input
/// keyed functions.
pub(crate) trait TimerFn<K, O: Data>: 'static {
    /// Registers the function's states.
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult;
    /// A timer of the current key fired.
    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
    /// The operator state to snapshot beside the keyed state (a broadcast state), if any.
    fn operator_state(&self) -> Result<Option<Vec<u8>>, OperatorError> {
        Ok(None)
    }
}

/// A [`KeyedProcessFunction`] seen as a [`TimerFn`].
pub(crate) struct OneInput<F, I>(pub(crate) F, pub(crate) std::marker::PhantomData<fn(I)>);

impl<K, I: 'static, O: Data, F: KeyedProcessFunction<K, I, O>> TimerFn<K, O> for OneInput<F, I> {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        self.0.open(state)
    }
    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        self.0.on_timer(timestamp, ctx, out)
    }
}

/// Implements the watermark, status, finish and pause methods of an operator holding a
/// `core: SharedCore<…>` by handing them to the core (they are the same for one-input,
/// two-input and broadcast keyed operators).
macro_rules! forward_control_to_core {
    () => {
        fn emit_watermark(&mut self, watermark: i64) -> OpResult {
            self.core.borrow_mut().watermark(watermark)
        }
        fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
            self.core.borrow_mut().watermark_status(status)
        }
        fn finish(&mut self) -> OpResult {
            self.core.borrow_mut().finish()
        }
        fn checkpoint(&mut self, call: &mut $crate::operator::CheckpointCall<'_>) -> OpResult {
            self.core.borrow_mut().checkpoint(call)
        }
        fn pause_until(&self) -> Option<u64> {
            self.core.borrow().pause_until()
        }
    };
}
pub(crate) use forward_control_to_core;

/// A [`Core`] shared between an operator in its chain and the task's timers.
pub(crate) type SharedCore<K, O, F> = Rc<RefCell<Core<K, O, F>>>;

/// What a keyed operator with timers keeps, shared between its chain and the task's
/// timers: the function, the outputs, the timers and event time.
pub(crate) struct Core<K, O: Data, F> {
    pub(crate) f: F,
    out: BoxOutput<O>,
    side: SideOutputs,
    timers: Timers<K>,
    state: HeapKeyedStateBackend<K>,
    watermark: i64,
    clock: SharedClock,
    /// Wake-ups for the processing-time timers.
    wake_ups: WakeUps,
    /// The operator's state id.
    uid: String,
}

/// The names the timer queues of a keyed operator have in its snapshots.
const EVENT_TIMERS: &str = "event";
const PROCESSING_TIMERS: &str = "processing";

impl<K, O, F> Core<K, O, F>
where
    K: BackendKey,
    O: Data,
    F: TimerFn<K, O>,
{
    /// A core for subtask `ctx.subtask`, its keyed state over that subtask's key groups,
    /// registered with the task's timers; the function's `open` has run.
    pub(crate) fn shared(
        mut f: F,
        out: BoxOutput<O>,
        side: SideOutputs,
        ctx: &BuildContext,
    ) -> Result<SharedCore<K, O, F>, OperatorError> {
        let mut state = ctx.keyed_state_backend()?;
        f.open(&mut state)?;
        let mut timers = Timers {
            event: TimerQueue::new(),
            processing: TimerQueue::new(),
        };
        state.restore_timers(EVENT_TIMERS, &mut timers.event)?;
        state.restore_timers(PROCESSING_TIMERS, &mut timers.processing)?;
        let (clock, service) = (ctx.clock.clone(), &ctx.timers);
        let core = Rc::new(RefCell::new(Core {
            f,
            out,
            side,
            timers,
            state,
            watermark: i64::MIN,
            clock,
            wake_ups: WakeUps::new(service.clone()),
            uid: ctx.uid.clone(),
        }));
        let weak = Rc::downgrade(&core);
        let target = service.register(weak);
        core.borrow_mut().wake_ups.set_target(target);
        let weak = Rc::downgrade(&core);
        ctx.state_sizes.register(weak);
        // Restored processing-time timers fire as soon as they are due.
        core.borrow_mut().schedule_wake_up();
        Ok(core)
    }

    /// Runs `call` for an element of `key` with its context and collector.
    pub(crate) fn element(
        &mut self,
        key: K,
        timestamp: i64,
        call: impl FnOnce(&mut F, &mut KeyedContext<'_, K>, &mut Collector<'_, O>) -> OpResult,
    ) -> OpResult {
        self.state.set_current_key(key.clone())?;
        let mut ctx = KeyedContext {
            key: &key,
            timestamp,
            watermark: self.watermark,
            clock: &self.clock,
            timers: &mut self.timers,
            state: &mut self.state,
            side: &mut self.side,
            domain: None,
            error: None,
        };
        let mut out = Collector::new(&mut self.out, timestamp);
        let result = call(&mut self.f, &mut ctx, &mut out);
        let (out_err, ctx_err) = (out.into_error(), ctx.error);
        if let Some(e) = out_err.or(ctx_err) {
            return Err(e);
        }
        result?;
        self.schedule_wake_up();
        Ok(())
    }

    /// Runs `call` for an element that has no key (a broadcast element), with the
    /// function and a collector stamping `timestamp`; no keyed state or timer is in reach.
    pub(crate) fn keyless(
        &mut self,
        timestamp: i64,
        call: impl FnOnce(&mut F, &mut Collector<'_, O>) -> OpResult,
    ) -> OpResult {
        let mut out = Collector::new(&mut self.out, timestamp);
        let result = call(&mut self.f, &mut out);
        if let Some(e) = out.into_error() {
            return Err(e);
        }
        result
    }

    /// Calls `on_timer` for `key` at `timestamp` in `domain`.
    fn fire(&mut self, key: K, timestamp: i64, domain: TimeDomain) -> OpResult {
        let out_ts = match domain {
            TimeDomain::EventTime => timestamp,
            TimeDomain::ProcessingTime => NO_TIMESTAMP,
        };
        self.state.set_current_key(key.clone())?;
        let mut ctx = KeyedContext {
            key: &key,
            timestamp: out_ts,
            watermark: self.watermark,
            clock: &self.clock,
            timers: &mut self.timers,
            state: &mut self.state,
            side: &mut self.side,
            domain: Some(domain),
            error: None,
        };
        let mut out = Collector::new(&mut self.out, out_ts);
        let result = self.f.on_timer(timestamp, &mut ctx, &mut out);
        let (out_err, ctx_err) = (out.into_error(), ctx.error);
        if let Some(e) = out_err.or(ctx_err) {
            return Err(e);
        }
        result
    }

    /// Asks the task's processing-time service to wake us for the earliest
    /// processing-time timer, if it is earlier than the wake-up already asked for.
    fn schedule_wake_up(&mut self) {
        let next = self.timers.processing.peek_timestamp();
        self.wake_ups.schedule(next, &self.clock);
    }

    /// Event time advances: due timers fire in timestamp order, then the watermark
    /// goes on (Flink's order).
    pub(crate) fn watermark(&mut self, watermark: i64) -> OpResult {
        self.watermark = self.watermark.max(watermark);
        while let Some(t) = self.timers.event.pop_due(watermark) {
            self.fire(t.key, t.timestamp, TimeDomain::EventTime)?;
        }
        self.schedule_wake_up();
        self.side.for_each(|s| s.watermark(watermark))?;
        self.out.emit_watermark(watermark)
    }

    /// Passes a watermark status on.
    pub(crate) fn watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.side.for_each(|s| s.watermark_status(status))?;
        self.out.emit_watermark_status(status)
    }

    /// The input ended.
    pub(crate) fn finish(&mut self) -> OpResult {
        self.side.for_each(|s| s.finish())?;
        self.out.finish()
    }

    /// A pause a downstream operator asked for.
    pub(crate) fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }

    /// A checkpoint call: the keyed state, both timer queues and the function's operator
    /// state (if any) go into a snapshot, then the call goes on to the outputs.
    pub(crate) fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        if let CheckpointCall::Snapshot(snapshot) = call {
            let keyed = self.state.snapshot(&[
                (EVENT_TIMERS, &self.timers.event),
                (PROCESSING_TIMERS, &self.timers.processing),
            ])?;
            let operator = self.f.operator_state().map_err(|e| {
                OperatorError::User(format!(
                    "operator uid '{}': snapshotting operator state: {e}",
                    self.uid
                ))
            })?;
            snapshot.add(OperatorSnapshot {
                uid: self.uid.clone(),
                keyed: Some(keyed),
                operator,
            });
        }
        self.side.for_each(|s| s.checkpoint(call))?;
        self.out.checkpoint(call)
    }
}

impl<K: BackendKey, O: Data, F> crate::runtime::metrics::StateSize for Core<K, O, F> {
    fn state_size(&self) -> (usize, usize) {
        (self.state.key_count(), self.state.state_size_bytes())
    }
}

impl<K, O, F> ProcessingTimeCallback for Core<K, O, F>
where
    K: BackendKey,
    O: Data,
    F: TimerFn<K, O>,
{
    fn on_processing_time(&mut self, _at: u64, _now: u64) -> OpResult {
        self.wake_ups.woken();
        let now_ms = self.clock.epoch_millis();
        while let Some(t) = self.timers.processing.pop_due(now_ms) {
            self.fire(t.key, t.timestamp, TimeDomain::ProcessingTime)?;
        }
        self.schedule_wake_up();
        Ok(())
    }
}

/// Runs a [`KeyedProcessFunction`] inside a chain; shared with the task's timers.
pub struct KeyedProcessOperator<K, I, O: Data, F> {
    core: SharedCore<K, O, OneInput<F, I>>,
    key: KeyFn<I, K>,
}

impl<K, I, O, F> KeyedProcessOperator<K, I, O, F>
where
    K: BackendKey,
    I: Data,
    O: Data,
    F: KeyedProcessFunction<K, I, O>,
{
    /// An operator running `f` over elements keyed by `key`, in the subtask `ctx`
    /// describes (its key groups, clock and timers).
    pub fn new(
        f: F,
        key: KeyFn<I, K>,
        out: BoxOutput<O>,
        side: SideOutputs,
        ctx: &BuildContext,
    ) -> Result<Self, OperatorError> {
        let f = OneInput(f, std::marker::PhantomData);
        Ok(Self {
            core: Core::shared(f, out, side, ctx)?,
            key,
        })
    }

    /// How many keys and bytes its keyed state holds.
    pub fn state_size(&self) -> (usize, usize) {
        crate::runtime::metrics::StateSize::state_size(&*self.core.borrow())
    }
}

impl<K, I, O, F> Output<I> for KeyedProcessOperator<K, I, O, F>
where
    K: BackendKey,
    I: Data,
    O: Data,
    F: KeyedProcessFunction<K, I, O>,
{
    fn collect(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let key = (self.key)(&value);
        self.core
            .borrow_mut()
            .element(key, timestamp, |f, ctx, out| {
                f.0.process_element(value, ctx, out)
            })
    }
    fn prefetches(&self) -> bool {
        true
    }
    fn prefetch(&mut self, record: &Record<'_, I>) {
        if let Ok(key) = record.with_value(|v| (self.key)(v)) {
            self.core.borrow().state.prefetch(&key);
        }
    }

    forward_control_to_core!();
}

#[cfg(test)]
#[path = "keyed_process_tests.rs"]
mod tests;
