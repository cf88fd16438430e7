//! Triggers (Flink's `Trigger`s): when a window's contents are emitted and when they are
//! dropped. A trigger sees every element added to a window and the timers it registered
//! for that window, and answers with a [`TriggerResult`].
//!
//! Built in, with Flink's behaviour: [`EventTimeTrigger`], [`ProcessingTimeTrigger`],
//! [`CountTrigger`], [`PurgingTrigger`], [`ContinuousEventTimeTrigger`] and
//! [`NeverTrigger`] (the global window's default).

use std::time::Duration;

use weir_state::keyed::{BackendKey, ReducingState, ReducingStateDescriptor};
use weir_state::timers::TimerQueue;
use weir_state::HeapKeyedStateBackend;

use super::windows::Window;
use crate::operator::{OpResult, OperatorError};
use crate::runtime::clock::SharedClock;

/// What a trigger decides (Flink's `TriggerResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerResult {
    /// Nothing happens.
    Continue,
    /// The window's contents are emitted and kept.
    Fire,
    /// The window's contents are dropped, without emitting.
    Purge,
    /// The window's contents are emitted, then dropped.
    FireAndPurge,
}

impl TriggerResult {
    /// Whether the contents are emitted.
    pub fn is_fire(self) -> bool {
        matches!(self, TriggerResult::Fire | TriggerResult::FireAndPurge)
    }
    /// Whether the contents are dropped.
    pub fn is_purge(self) -> bool {
        matches!(self, TriggerResult::Purge | TriggerResult::FireAndPurge)
    }
}

/// The timers of a window operator: per time domain, per key and window.
pub(crate) struct WindowTimers<K, W> {
    pub(crate) event: TimerQueue<K, W>,
    pub(crate) processing: TimerQueue<K, W>,
}

impl<K: BackendKey, W: Window> WindowTimers<K, W> {
    pub(crate) fn new() -> Self {
        Self {
            event: TimerQueue::new(),
            processing: TimerQueue::new(),
        }
    }
}

/// What a trigger reaches: time, timers of the current key and window, and keyed state
/// (use the window as namespace for state of one window).
pub struct TriggerContext<'a, K, W> {
    pub(crate) key: &'a K,
    pub(crate) window: &'a W,
    pub(crate) watermark: i64,
    pub(crate) clock: &'a SharedClock,
    pub(crate) timers: &'a mut WindowTimers<K, W>,
    pub(crate) state: &'a mut HeapKeyedStateBackend<K>,
}

impl<K: BackendKey, W: Window> TriggerContext<'_, K, W> {
    /// The operator's event time (its last watermark).
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }
    /// The slot's wall clock, epoch milliseconds.
    pub fn current_processing_time(&self) -> i64 {
        self.clock.epoch_millis()
    }
    /// The current key.
    pub fn current_key(&self) -> &K {
        self.key
    }
    /// Keyed state of the current key; a window's own state uses the window as namespace.
    pub fn state(&mut self) -> &mut HeapKeyedStateBackend<K> {
        self.state
    }
    /// Calls `on_event_time` for this window when the watermark reaches `time`.
    pub fn register_event_time_timer(&mut self, time: i64) {
        self.timers
            .event
            .register(self.key.clone(), self.window.clone(), time);
    }
    /// Deletes this window's event-time timer at `time`.
    pub fn delete_event_time_timer(&mut self, time: i64) {
        self.timers.event.delete(self.key, self.window, time);
    }
    /// Calls `on_processing_time` for this window when the clock reaches `time`.
    pub fn register_processing_time_timer(&mut self, time: i64) {
        self.timers
            .processing
            .register(self.key.clone(), self.window.clone(), time);
    }
    /// Deletes this window's processing-time timer at `time`.
    pub fn delete_processing_time_timer(&mut self, time: i64) {
        self.timers.processing.delete(self.key, self.window, time);
    }
}

/// Decides when a window of `W`s holding `T`s fires and purges (Flink's `Trigger`).
pub trait Trigger<T, W: Window>: Clone + Send + Sync + 'static {
    /// Registers the trigger's state, once per subtask.
    fn open<K: BackendKey>(&mut self, _state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        Ok(())
    }
    /// An element was added to `window`.
    fn on_element<K: BackendKey>(
        &mut self,
        element: &T,
        timestamp: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError>;
    /// An event-time timer of `window` fired at `time` (by default: nothing happens).
    fn on_event_time<K: BackendKey>(
        &mut self,
        _time: i64,
        _window: &W,
        _ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        Ok(TriggerResult::Continue)
    }
    /// A processing-time timer of `window` fired at `time` (by default: nothing happens).
    fn on_processing_time<K: BackendKey>(
        &mut self,
        _time: i64,
        _window: &W,
        _ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        Ok(TriggerResult::Continue)
    }
    /// Whether the trigger supports merging windows (session windows need it).
    fn can_merge(&self) -> bool {
        false
    }
    /// `merged` windows became `window`: carry their state and timers over.
    fn on_merge<K: BackendKey>(
        &mut self,
        _window: &W,
        _merged: &[W],
        _ctx: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        Err(OperatorError::User(
            "this trigger does not support merging windows (session windows)".into(),
        ))
    }
    /// The window is gone: drop the trigger's state and timers for it (by default there
    /// are none).
    fn clear<K: BackendKey>(
        &mut self,
        _window: &W,
        _ctx: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        Ok(())
    }
}

/// Fires once the watermark passes the window's end; an element arriving after that
/// (within the allowed lateness) fires the window again at once. Flink's `EventTimeTrigger`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventTimeTrigger;

impl<T, W: Window> Trigger<T, W> for EventTimeTrigger {
    fn on_element<K: BackendKey>(
        &mut self,
        _: &T,
        _: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        if window.max_timestamp() <= ctx.current_watermark() {
            return Ok(TriggerResult::Fire);
        }
        ctx.register_event_time_timer(window.max_timestamp());
        Ok(TriggerResult::Continue)
    }
    fn on_event_time<K: BackendKey>(
        &mut self,
        time: i64,
        window: &W,
        _: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        Ok(if time == window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        })
    }
    fn can_merge(&self) -> bool {
        true
    }
    fn on_merge<K: BackendKey>(
        &mut self,
        window: &W,
        _: &[W],
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        // A merged window already past the watermark gets no timer: it fires with the
        // next element, or its cleanup timer ends it.
        if window.max_timestamp() > ctx.current_watermark() {
            ctx.register_event_time_timer(window.max_timestamp());
        }
        Ok(())
    }
    fn clear<K: BackendKey>(&mut self, window: &W, ctx: &mut TriggerContext<'_, K, W>) -> OpResult {
        ctx.delete_event_time_timer(window.max_timestamp());
        Ok(())
    }
}

/// Fires when the slot's clock passes the window's end. Flink's `ProcessingTimeTrigger`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessingTimeTrigger;

impl<T, W: Window> Trigger<T, W> for ProcessingTimeTrigger {
    fn on_element<K: BackendKey>(
        &mut self,
        _: &T,
        _: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        ctx.register_processing_time_timer(window.max_timestamp());
        Ok(TriggerResult::Continue)
    }
    fn on_processing_time<K: BackendKey>(
        &mut self,
        _: i64,
        _: &W,
        _: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        Ok(TriggerResult::Fire)
    }
    fn can_merge(&self) -> bool {
        true
    }
    fn on_merge<K: BackendKey>(
        &mut self,
        window: &W,
        _: &[W],
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        if window.max_timestamp() > ctx.current_processing_time() {
            ctx.register_processing_time_timer(window.max_timestamp());
        }
        Ok(())
    }
    fn clear<K: BackendKey>(&mut self, window: &W, ctx: &mut TriggerContext<'_, K, W>) -> OpResult {
        ctx.delete_processing_time_timer(window.max_timestamp());
        Ok(())
    }
}

/// Never fires (the default of global windows, which need a trigger of their own).
#[derive(Clone, Copy, Debug, Default)]
pub struct NeverTrigger;

impl<T, W: Window> Trigger<T, W> for NeverTrigger {
    fn on_element<K: BackendKey>(
        &mut self,
        _: &T,
        _: i64,
        _: &W,
        _: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        Ok(TriggerResult::Continue)
    }
    fn can_merge(&self) -> bool {
        true
    }
    fn on_merge<K: BackendKey>(
        &mut self,
        _: &W,
        _: &[W],
        _: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        Ok(())
    }
}

/// The state handle of a trigger, registered in `open`.
fn registered<S: Copy>(state: &Option<S>, what: &str) -> Result<S, OperatorError> {
    state.ok_or_else(|| OperatorError::User(format!("{what} used before open")))
}

/// Fires when a window holds `count` elements (counting again from zero after each
/// firing). Flink's `CountTrigger`.
pub struct CountTrigger<W> {
    max_count: u64,
    count: Option<ReducingState<W, u64>>,
}

impl<W> Clone for CountTrigger<W> {
    fn clone(&self) -> Self {
        Self {
            max_count: self.max_count,
            count: self.count,
        }
    }
}

impl<W> CountTrigger<W> {
    /// Fires every `max_count` elements.
    pub fn of(max_count: u64) -> Self {
        Self {
            max_count,
            count: None,
        }
    }
}

impl<T, W: Window> Trigger<T, W> for CountTrigger<W> {
    fn open<K: BackendKey>(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        let d = ReducingStateDescriptor::new("window-count-trigger", |a: &u64, b| a + b);
        self.count = Some(state.reducing_state(&d)?);
        Ok(())
    }
    fn on_element<K: BackendKey>(
        &mut self,
        _: &T,
        _: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        let count = registered(&self.count, "CountTrigger")?;
        count.add(ctx.state(), window, 1)?;
        if count.get(ctx.state(), window)?.unwrap_or(0) >= self.max_count {
            count.clear(ctx.state(), window)?;
            return Ok(TriggerResult::Fire);
        }
        Ok(TriggerResult::Continue)
    }
    fn can_merge(&self) -> bool {
        true
    }
    fn on_merge<K: BackendKey>(
        &mut self,
        window: &W,
        merged: &[W],
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        let count = registered(&self.count, "CountTrigger")?;
        count.merge_namespaces(ctx.state(), window, merged)?;
        Ok(())
    }
    fn clear<K: BackendKey>(&mut self, window: &W, ctx: &mut TriggerContext<'_, K, W>) -> OpResult {
        let count = registered(&self.count, "CountTrigger")?;
        count.clear(ctx.state(), window)?;
        Ok(())
    }
}

/// Turns every FIRE of the trigger it wraps into FIRE_AND_PURGE. Flink's `PurgingTrigger`.
#[derive(Clone, Debug)]
pub struct PurgingTrigger<Tr>(Tr);

impl<Tr> PurgingTrigger<Tr> {
    /// Purges whenever `trigger` fires.
    pub fn of(trigger: Tr) -> Self {
        Self(trigger)
    }
}

fn purging(r: TriggerResult) -> TriggerResult {
    if r.is_fire() {
        TriggerResult::FireAndPurge
    } else {
        r
    }
}

impl<T, W: Window, Tr: Trigger<T, W>> Trigger<T, W> for PurgingTrigger<Tr> {
    fn open<K: BackendKey>(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        self.0.open(state)
    }
    fn on_element<K: BackendKey>(
        &mut self,
        element: &T,
        timestamp: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        self.0
            .on_element(element, timestamp, window, ctx)
            .map(purging)
    }
    fn on_event_time<K: BackendKey>(
        &mut self,
        time: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        self.0.on_event_time(time, window, ctx).map(purging)
    }
    fn on_processing_time<K: BackendKey>(
        &mut self,
        time: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        self.0.on_processing_time(time, window, ctx).map(purging)
    }
    fn can_merge(&self) -> bool {
        self.0.can_merge()
    }
    fn on_merge<K: BackendKey>(
        &mut self,
        window: &W,
        merged: &[W],
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        self.0.on_merge(window, merged, ctx)
    }
    fn clear<K: BackendKey>(&mut self, window: &W, ctx: &mut TriggerContext<'_, K, W>) -> OpResult {
        self.0.clear(window, ctx)
    }
}

/// Fires every `interval` of event time while the window is open, and at its end.
/// Flink's `ContinuousEventTimeTrigger`.
pub struct ContinuousEventTimeTrigger<W> {
    interval: i64,
    next_fire: Option<ReducingState<W, i64>>,
}

impl<W> Clone for ContinuousEventTimeTrigger<W> {
    fn clone(&self) -> Self {
        Self {
            interval: self.interval,
            next_fire: self.next_fire,
        }
    }
}

impl<W> ContinuousEventTimeTrigger<W> {
    /// Fires every `interval` (at least 1 ms).
    pub fn of(interval: Duration) -> Result<Self, OperatorError> {
        let interval = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        if interval <= 0 {
            return Err(OperatorError::User(
                "ContinuousEventTimeTrigger: the interval must be at least 1 ms".into(),
            ));
        }
        Ok(Self {
            interval,
            next_fire: None,
        })
    }

    fn register_next<K: BackendKey, Wn: Window>(
        &self,
        state: ReducingState<Wn, i64>,
        time: i64,
        window: &Wn,
        ctx: &mut TriggerContext<'_, K, Wn>,
    ) -> OpResult {
        let next = time
            .saturating_add(self.interval)
            .min(window.max_timestamp());
        state.add(ctx.state(), window, next)?;
        ctx.register_event_time_timer(next);
        Ok(())
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousEventTimeTrigger<W> {
    fn open<K: BackendKey>(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        let d = ReducingStateDescriptor::new("window-continuous-trigger", |a: &i64, b: i64| {
            (*a).min(b)
        });
        self.next_fire = Some(state.reducing_state(&d)?);
        Ok(())
    }
    fn on_element<K: BackendKey>(
        &mut self,
        _: &T,
        timestamp: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        if window.max_timestamp() <= ctx.current_watermark() {
            return Ok(TriggerResult::Fire);
        }
        ctx.register_event_time_timer(window.max_timestamp());
        let state = registered(&self.next_fire, "ContinuousEventTimeTrigger")?;
        if state.get(ctx.state(), window)?.is_none() {
            let start = timestamp - timestamp % self.interval; // Java `%`, as Flink
            self.register_next(state, start, window, ctx)?;
        }
        Ok(TriggerResult::Continue)
    }
    fn on_event_time<K: BackendKey>(
        &mut self,
        time: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> Result<TriggerResult, OperatorError> {
        if time == window.max_timestamp() {
            return Ok(TriggerResult::Fire);
        }
        let state = registered(&self.next_fire, "ContinuousEventTimeTrigger")?;
        if state.get(ctx.state(), window)? == Some(time) {
            state.clear(ctx.state(), window)?;
            self.register_next(state, time, window, ctx)?;
            return Ok(TriggerResult::Fire);
        }
        Ok(TriggerResult::Continue)
    }
    fn can_merge(&self) -> bool {
        true
    }
    fn on_merge<K: BackendKey>(
        &mut self,
        window: &W,
        merged: &[W],
        ctx: &mut TriggerContext<'_, K, W>,
    ) -> OpResult {
        let state = registered(&self.next_fire, "ContinuousEventTimeTrigger")?;
        state.merge_namespaces(ctx.state(), window, merged)?;
        if let Some(next) = state.get(ctx.state(), window)? {
            ctx.register_event_time_timer(next);
        }
        Ok(())
    }
    fn clear<K: BackendKey>(&mut self, window: &W, ctx: &mut TriggerContext<'_, K, W>) -> OpResult {
        let state = registered(&self.next_fire, "ContinuousEventTimeTrigger")?;
        if let Some(next) = state.get(ctx.state(), window)? {
            ctx.delete_event_time_timer(next);
            state.clear(ctx.state(), window)?;
        }
        Ok(())
    }
}
