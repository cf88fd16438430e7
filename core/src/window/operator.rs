//! The window operator (Flink's `WindowOperator` and `EvictingWindowOperator`): assigns
//! each element of a keyed stream to windows, keeps what the windows hold in keyed state
//! (the window as namespace), asks the trigger when to fire and purge, calls the window
//! function, and drops a window's state once event time passes its end plus the allowed
//! lateness. Elements late for every window go to the late-data side output or are
//! dropped (counted).

use std::cell::RefCell;
use std::rc::Rc;

use weir_state::keyed::{BackendKey, InlineSized, ValueState, ValueStateDescriptor};
use weir_state::HeapKeyedStateBackend;

use super::assigners::{Slicing, WindowAssigner};
use super::contents::WindowContents;
use super::function::{ProcessWindowFunction, WindowContext};
use super::merging::{Merge, MergingWindows};
use super::triggers::{EventTimeTrigger, Trigger, TriggerContext, TriggerResult, WindowTimers};
use super::windows::Window;
use crate::graph::factory::BuildContext;
use crate::operator::process::{Collector, OutputTag, SideOutputs};
use crate::operator::rolling::KeyFn;
use crate::operator::{BoxOutput, OpResult, OperatorError, Output};
use crate::record::{Data, Record};
use crate::runtime::clock::SharedClock;
use crate::runtime::timers::{ProcessingTimeCallback, WakeUps};
use crate::time::WatermarkStatus;

mod sliced;

/// How a window operator is set up, apart from its functions.
pub struct WindowSettings<T> {
    /// How long after a window's end late elements still update it (ms, event time).
    pub allowed_lateness: i64,
    /// Where elements late for every window go; dropped (and counted) without one.
    pub late_data: Option<OutputTag<T>>,
}

impl<T> Clone for WindowSettings<T> {
    fn clone(&self) -> Self {
        Self {
            allowed_lateness: self.allowed_lateness,
            late_data: self.late_data.clone(),
        }
    }
}

/// The merging-window set of each key, in keyed state.
type MergingState<W> = ValueState<(), InlineSized<Vec<(W, W)>>>;

/// What the window operator keeps, shared with the task's processing-time timers.
pub(crate) struct WindowCore<K, T, A: WindowAssigner<T>, Tr, C, F, O: Data> {
    assigner: A,
    trigger: Tr,
    contents: C,
    function: F,
    settings: WindowSettings<T>,
    state: HeapKeyedStateBackend<K>,
    timers: WindowTimers<K, A::W>,
    merging: Option<MergingState<A::W>>,
    out: BoxOutput<O>,
    side: SideOutputs,
    watermark: i64,
    clock: SharedClock,
    /// Wake-ups for the processing-time timers.
    wake_ups: WakeUps,
    /// For sliding event-time windows with an incremental function and the default
    /// trigger: the slicing (one update per element, windows combined from slices).
    slicing: Option<Slicing<A::W>>,
    /// Scratch for the windows of one element, or the slices of a window firing.
    windows: Vec<A::W>,
    /// Scratch: which slices of a window hold something.
    present: Vec<bool>,
    /// Scratch: a key's in-flight windows and a new one, for the assigner to merge.
    candidates: Vec<A::W>,
    /// Whether the trigger's own timer of a window is its cleanup timer too (the default
    /// event-time trigger without lateness: both at the window's last timestamp), so the
    /// cleanup timer is neither registered nor deleted — in Flink the timer service
    /// merges the two.
    trigger_timer_cleans_up: bool,
    /// Elements dropped for being late (Flink's `numLateRecordsDropped`).
    pub(crate) late_dropped: u64,
    /// The operator's state id.
    uid: String,
}

/// The names the timer queues of a window operator have in its snapshots.
const EVENT_TIMERS: &str = "window-event";
const PROCESSING_TIMERS: &str = "window-processing";

/// Borrows the parts of the core a trigger call needs, for `key` and `window`.
macro_rules! trigger_ctx {
    ($core:expr, $key:expr, $window:expr) => {
        TriggerContext {
            key: $key,
            window: $window,
            watermark: $core.watermark,
            clock: &$core.clock,
            timers: &mut $core.timers,
            state: &mut $core.state,
        }
    };
}

impl<K, T, A, Tr, C, F, O> WindowCore<K, T, A, Tr, C, F, O>
where
    K: BackendKey,
    T: Data,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
    F: ProcessWindowFunction<K, C::Out, O, A::W>,
    O: Data,
{
    fn event_time(&self) -> bool {
        self.assigner.is_event_time()
    }

    /// When a window's state is dropped: its end plus the allowed lateness in event time,
    /// its end in processing time.
    fn cleanup_time(&self, window: &A::W) -> i64 {
        if self.event_time() {
            window
                .max_timestamp()
                .saturating_add(self.settings.allowed_lateness)
        } else {
            window.max_timestamp()
        }
    }

    fn is_window_late(&self, window: &A::W) -> bool {
        self.event_time() && self.cleanup_time(window) <= self.watermark
    }

    fn is_element_late(&self, timestamp: i64) -> bool {
        self.event_time()
            && timestamp.saturating_add(self.settings.allowed_lateness) <= self.watermark
    }

    fn register_cleanup_timer(&mut self, key: &K, window: &A::W) {
        if self.trigger_timer_cleans_up {
            return;
        }
        let at = self.cleanup_time(window);
        if at == i64::MAX {
            return; // a window that never ends is never cleaned up
        }
        let queue = if self.event_time() {
            &mut self.timers.event
        } else {
            &mut self.timers.processing
        };
        queue.register(key.clone(), window.clone(), at);
    }

    fn delete_cleanup_timer(&mut self, key: &K, window: &A::W) {
        if self.trigger_timer_cleans_up {
            return;
        }
        let at = self.cleanup_time(window);
        let queue = if self.event_time() {
            &mut self.timers.event
        } else {
            &mut self.timers.processing
        };
        queue.delete(key, window, at);
    }

    /// Calls the window function for `window` of `key` with `elements`.
    fn emit(&mut self, key: &K, window: &A::W, elements: Vec<C::Out>) -> OpResult {
        let mut out = Collector::new(&mut self.out, window.max_timestamp());
        let mut ctx = WindowContext {
            window,
            watermark: self.watermark,
            clock: &self.clock,
            state: &mut self.state,
            side: &mut self.side,
            error: None,
        };
        let result = self.function.process(key, &mut ctx, elements, &mut out);
        if let Some(e) = out.into_error().or(ctx.error) {
            return Err(e);
        }
        result
    }

    /// Fires and purges `window` (whose state lives in `state_window`) as `result` says.
    fn act(
        &mut self,
        key: &K,
        window: &A::W,
        state_window: &A::W,
        result: TriggerResult,
    ) -> OpResult {
        if result.is_fire() {
            if let Some(elements) = self.contents.get(&mut self.state, state_window)? {
                self.emit(key, window, elements)?;
            }
        }
        if result.is_purge() {
            self.contents.clear(&mut self.state, state_window)?;
        }
        Ok(())
    }

    /// Processes one element of `key`.
    fn element(&mut self, key: K, value: T, timestamp: i64) -> OpResult {
        self.state.set_current_key(key.clone())?;
        if let Some(slicing) = self.slicing {
            return self.sliced_element(&key, slicing, value, timestamp);
        }
        // The clock is read for processing-time windows only (a read per element costs).
        let now = if self.event_time() {
            crate::record::NO_TIMESTAMP
        } else {
            self.clock.epoch_millis()
        };
        let mut windows = std::mem::take(&mut self.windows);
        windows.clear();
        self.assigner
            .assign_windows(&value, timestamp, now, &mut windows)?;
        let result = if self.merging.is_some() {
            self.merging_element(&key, value, timestamp, &windows, now)
        } else {
            self.plain_element(&key, value, timestamp, &windows)
        };
        self.windows = windows;
        result?;
        self.schedule_wake_up();
        Ok(())
    }

    fn plain_element(&mut self, key: &K, value: T, timestamp: i64, windows: &[A::W]) -> OpResult {
        // The element moves into its last live window and is copied into the others.
        let Some(last) = windows.iter().rposition(|w| !self.is_window_late(w)) else {
            return self.late(value, timestamp);
        };
        let mut value = Some(value);
        for (i, window) in windows.iter().enumerate().take(last + 1) {
            if self.is_window_late(window) {
                continue;
            }
            let Some(v) = value.as_ref() else { break };
            let result = self.trigger.on_element(
                v,
                timestamp,
                window,
                &mut trigger_ctx!(self, key, window),
            )?;
            let v = if i == last {
                value.take()
            } else {
                value.clone()
            };
            if let Some(v) = v {
                self.contents.add(&mut self.state, window, v, timestamp)?;
            }
            self.act(key, window, window, result)?;
            self.register_cleanup_timer(key, window);
        }
        Ok(())
    }

    fn merging_element(
        &mut self,
        key: &K,
        value: T,
        timestamp: i64,
        windows: &[A::W],
        now: i64,
    ) -> OpResult {
        let handle = self.merging.ok_or_else(not_open)?;
        // Taken out of the state (no copy) and put back whatever happens.
        let mapping = handle
            .take(&mut self.state, &())?
            .map(|s| s.0)
            .unwrap_or_default();
        let mut set = MergingWindows::new(mapping);
        let result = self.merge_element_into(&mut set, key, value, timestamp, windows, now);
        self.persist(handle, set)?;
        result
    }

    /// Adds an element to the windows of `set` (the key's merging-window set).
    fn merge_element_into(
        &mut self,
        set: &mut MergingWindows<A::W>,
        key: &K,
        value: T,
        timestamp: i64,
        windows: &[A::W],
        now: i64,
    ) -> OpResult {
        let mut skipped = true;
        // The element moves into the last window's state and is copied into the others'.
        let mut value = Some(value);
        let mut candidates = std::mem::take(&mut self.candidates);
        for (i, window) in windows.iter().enumerate() {
            set.with_into(window, &mut candidates);
            let merges = self.assigner.merge_windows(&candidates).unwrap_or_default();
            let (actual, todo) = set.add(window.clone(), merges);
            for merge in todo {
                self.merge(key, merge, now)?;
            }
            if self.is_window_late(&actual) {
                set.retire(&actual);
                continue;
            }
            skipped = false;
            let state_window = set.state_window(&actual).cloned().ok_or_else(|| {
                OperatorError::User(format!("window {actual:?} has no state window"))
            })?;
            let Some(v) = value.as_ref() else { break };
            let result = self.trigger.on_element(
                v,
                timestamp,
                &actual,
                &mut trigger_ctx!(self, key, &actual),
            )?;
            let v = if i + 1 == windows.len() {
                value.take()
            } else {
                value.clone()
            };
            if let Some(v) = v {
                self.contents
                    .add(&mut self.state, &state_window, v, timestamp)?;
            }
            self.act(key, &actual, &state_window, result)?;
            self.register_cleanup_timer(key, &actual);
        }
        self.candidates = candidates;
        match value {
            Some(value) if skipped => self.late(value, timestamp),
            _ => Ok(()),
        }
    }

    fn persist(&mut self, handle: MergingState<A::W>, set: MergingWindows<A::W>) -> OpResult {
        if set.mapping.is_empty() {
            handle.clear(&mut self.state, &())?;
        } else {
            handle.update(&mut self.state, &(), InlineSized(set.mapping))?;
        }
        Ok(())
    }

    /// Combines trigger state, timers and contents of merged windows (Flink's merge
    /// function of `WindowOperator`).
    fn merge(&mut self, key: &K, m: Merge<A::W>, now: i64) -> OpResult {
        let end = m.result.max_timestamp();
        if self.event_time() && end.saturating_add(self.settings.allowed_lateness) <= self.watermark
        {
            return Err(OperatorError::User(format!(
                "merging windows into {:?} would end it before the current watermark {}",
                m.result, self.watermark
            )));
        }
        if !self.event_time() && end <= now {
            return Err(OperatorError::User(format!(
                "merging windows into {:?} would end it before the current processing time {now}",
                m.result
            )));
        }
        self.trigger.on_merge(
            &m.result,
            &m.merged,
            &mut trigger_ctx!(self, key, &m.result),
        )?;
        for w in &m.merged {
            self.trigger.clear(w, &mut trigger_ctx!(self, key, w))?;
            self.delete_cleanup_timer(key, w);
        }
        self.contents
            .merge(&mut self.state, &m.state_window, &m.merged_state)?;
        Ok(())
    }

    /// An element late for every window: to the late-data output, or counted and dropped.
    fn late(&mut self, value: T, timestamp: i64) -> OpResult {
        if !self.is_element_late(timestamp) {
            return Ok(());
        }
        match &self.settings.late_data {
            Some(tag) => self.side.emit(tag, value, timestamp),
            None => {
                self.late_dropped += 1;
                Ok(())
            }
        }
    }

    /// A timer of `window` of `key` fired at `time`.
    fn on_timer(&mut self, key: K, window: A::W, time: i64, event_time_domain: bool) -> OpResult {
        self.state.set_current_key(key.clone())?;
        let mut set = None;
        let state_window = match self.merging {
            Some(handle) => {
                // Taken out of the state (no copy) and put back below.
                let Some(mapping) = handle.take(&mut self.state, &())?.map(|s| s.0) else {
                    return Ok(());
                };
                let s = MergingWindows::new(mapping);
                // A timer of a window merged away since: nothing to do.
                let Some(sw) = s.state_window(&window).cloned() else {
                    return self.persist(handle, s);
                };
                set = Some((handle, s));
                sw
            }
            None => window.clone(),
        };
        let result = {
            let mut ctx = trigger_ctx!(self, &key, &window);
            if event_time_domain {
                self.trigger.on_event_time(time, &window, &mut ctx)?
            } else {
                self.trigger.on_processing_time(time, &window, &mut ctx)?
            }
        };
        self.act(&key, &window, &state_window, result)?;
        if event_time_domain == self.event_time() && time == self.cleanup_time(&window) {
            self.contents.clear(&mut self.state, &state_window)?;
            self.trigger
                .clear(&window, &mut trigger_ctx!(self, &key, &window))?;
            let mut ctx = WindowContext {
                window: &window,
                watermark: self.watermark,
                clock: &self.clock,
                state: &mut self.state,
                side: &mut self.side,
                error: None,
            };
            self.function.clear(&mut ctx)?;
            if let Some((_, s)) = set.as_mut() {
                s.retire(&window);
            }
        }
        if let Some((handle, s)) = set {
            self.persist(handle, s)?;
        }
        Ok(())
    }

    /// Event time advances: due timers fire in timestamp order, then the watermark goes on.
    fn watermark(&mut self, watermark: i64) -> OpResult {
        self.watermark = self.watermark.max(watermark);
        while let Some(t) = self.timers.event.pop_due(self.watermark) {
            match self.slicing {
                Some(s) => self.sliced_timer(t.key, s, t.namespace, t.timestamp)?,
                None => self.on_timer(t.key, t.namespace, t.timestamp, true)?,
            }
        }
        self.schedule_wake_up();
        self.side.for_each(|s| s.watermark(watermark))?;
        self.out.emit_watermark(watermark)
    }

    /// Asks the task's processing-time service to wake us for the earliest
    /// processing-time timer, if it is earlier than the wake-up already asked for.
    fn schedule_wake_up(&mut self) {
        let next = self.timers.processing.peek_timestamp();
        self.wake_ups.schedule(next, &self.clock);
    }
}

fn not_open() -> OperatorError {
    OperatorError::User("window operator used before open".into())
}

impl<K, T, A, Tr, C, F, O> ProcessingTimeCallback for WindowCore<K, T, A, Tr, C, F, O>
where
    K: BackendKey,
    T: Data,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
    F: ProcessWindowFunction<K, C::Out, O, A::W>,
    O: Data,
{
    fn on_processing_time(&mut self, _at: u64, _now: u64) -> OpResult {
        self.wake_ups.woken();
        let now_ms = self.clock.epoch_millis();
        while let Some(t) = self.timers.processing.pop_due(now_ms) {
            self.on_timer(t.key, t.namespace, t.timestamp, false)?;
        }
        self.schedule_wake_up();
        Ok(())
    }
}

impl<K: BackendKey, T, A: WindowAssigner<T>, Tr, C, F, O: Data> crate::runtime::metrics::StateSize
    for WindowCore<K, T, A, Tr, C, F, O>
{
    fn state_size(&self) -> (usize, usize) {
        (self.state.key_count(), self.state.state_size_bytes())
    }
    fn late_records_dropped(&self) -> u64 {
        self.late_dropped
    }
}

/// The functions of a window operator.
pub struct WindowParts<T, A, Tr, C, F> {
    /// Assigns elements to windows.
    pub assigner: A,
    /// Decides when windows fire.
    pub trigger: Tr,
    /// What windows keep.
    pub contents: C,
    /// Computes the output of a window.
    pub function: F,
    /// Lateness and late data.
    pub settings: WindowSettings<T>,
}

/// A window core shared between the chain and the task's timers.
type SharedWindowCore<K, T, A, Tr, C, F, O> = Rc<RefCell<WindowCore<K, T, A, Tr, C, F, O>>>;

/// Runs windows over a keyed stream inside a chain; shared with the task's timers.
pub struct WindowOperator<K, T: Data, A: WindowAssigner<T>, Tr, C, F, O: Data> {
    core: SharedWindowCore<K, T, A, Tr, C, F, O>,
    key: KeyFn<T, K>,
}

impl<K, T, A, Tr, C, F, O> WindowOperator<K, T, A, Tr, C, F, O>
where
    K: BackendKey,
    T: Data,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
    F: ProcessWindowFunction<K, C::Out, O, A::W>,
    O: Data,
{
    /// A window operator over elements keyed by `key`, in the subtask `ctx` describes.
    pub fn new(
        parts: WindowParts<T, A, Tr, C, F>,
        key: KeyFn<T, K>,
        out: BoxOutput<O>,
        side: SideOutputs,
        ctx: &BuildContext,
    ) -> Result<Self, OperatorError> {
        let WindowParts {
            assigner,
            mut trigger,
            mut contents,
            mut function,
            settings,
        } = parts;
        if settings.allowed_lateness < 0 {
            return Err(OperatorError::User(format!(
                "{}: the allowed lateness must not be negative",
                ctx.name
            )));
        }
        let merging_assigner = assigner.merge_windows(&[]).is_some();
        if merging_assigner && !trigger.can_merge() {
            return Err(OperatorError::User(format!(
                "{}: a merging window assigner (session windows) needs a trigger that can \
                 merge",
                ctx.name
            )));
        }
        let mut state = ctx.keyed_state_backend()?;
        trigger.open(&mut state)?;
        contents.open(&mut state)?;
        function.open(&mut state)?;
        // Sliding event-time windows with an incremental function, the default trigger,
        // no lateness and no evictor are computed from slices.
        let slicing = assigner.slicing().filter(|_| {
            contents.combines()
                && settings.allowed_lateness == 0
                && std::any::TypeId::of::<Tr>() == std::any::TypeId::of::<EventTimeTrigger>()
        });
        let trigger_timer_cleans_up = assigner.is_event_time()
            && settings.allowed_lateness == 0
            && std::any::TypeId::of::<Tr>() == std::any::TypeId::of::<EventTimeTrigger>();
        let merging = if merging_assigner {
            Some(state.value_state(&ValueStateDescriptor::new("merging-window-set"))?)
        } else {
            None
        };
        let core = Rc::new(RefCell::new(WindowCore {
            assigner,
            trigger,
            contents,
            function,
            settings,
            state,
            timers: WindowTimers::new(),
            merging,
            out,
            side,
            watermark: i64::MIN,
            clock: ctx.clock.clone(),
            wake_ups: WakeUps::new(ctx.timers.clone()),
            slicing,
            windows: Vec::new(),
            present: Vec::new(),
            candidates: Vec::new(),
            trigger_timer_cleans_up,
            late_dropped: 0,
            uid: ctx.uid.clone(),
        }));
        {
            let core = &mut *core.borrow_mut();
            core.state
                .restore_timers(EVENT_TIMERS, &mut core.timers.event)?;
            core.state
                .restore_timers(PROCESSING_TIMERS, &mut core.timers.processing)?;
        }
        let weak = Rc::downgrade(&core);
        let target = ctx.timers.register(weak);
        core.borrow_mut().wake_ups.set_target(target);
        // Restored processing-time timers fire as soon as they are due.
        core.borrow_mut().schedule_wake_up();
        let weak = Rc::downgrade(&core);
        ctx.state_sizes.register(weak);
        Ok(Self { core, key })
    }

    /// Elements dropped so far for being late for every window.
    pub fn late_dropped(&self) -> u64 {
        self.core.borrow().late_dropped
    }
}

impl<K, T, A, Tr, C, F, O> Output<T> for WindowOperator<K, T, A, Tr, C, F, O>
where
    K: BackendKey,
    T: Data,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
    F: ProcessWindowFunction<K, C::Out, O, A::W>,
    O: Data,
{
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let key = (self.key)(&value);
        self.core.borrow_mut().element(key, value, timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.core.borrow_mut().watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        let core = &mut *self.core.borrow_mut();
        core.side.for_each(|s| s.watermark_status(status))?;
        core.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        let core = &mut *self.core.borrow_mut();
        core.side.for_each(|s| s.finish())?;
        core.out.finish()
    }
    fn checkpoint(&mut self, call: &mut crate::operator::CheckpointCall<'_>) -> OpResult {
        let core = &mut *self.core.borrow_mut();
        if let crate::operator::CheckpointCall::Snapshot(snapshot) = call {
            let keyed = core.state.snapshot(&[
                (EVENT_TIMERS, &core.timers.event),
                (PROCESSING_TIMERS, &core.timers.processing),
            ])?;
            snapshot.add(crate::operator::checkpoint::OperatorSnapshot {
                uid: core.uid.clone(),
                keyed: Some(keyed),
                operator: None,
            });
        }
        core.side.for_each(|s| s.checkpoint(call))?;
        core.out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.core.borrow().out.pause_until()
    }
}
