//! Window joins and co-groups (Flink's `DataStream.join(...).where(...).equalTo(...)
//! .window(...)` and `coGroup`): both inputs keyed alike and cut into the same windows;
//! when event time passes a window's end, the window's elements of both sides are paired
//! (join: every left with every right element, in arrival order) or handed over together
//! (co-group). Runs as a keyed co-process function: each side's elements in list state
//! with the window as namespace, one event-time timer per key and window end.

use std::marker::PhantomData;

use weir_state::keyed::{
    BackendKey, InlineSized, ListState, ListStateDescriptor, ValueState, ValueStateDescriptor,
};
use weir_state::HeapKeyedStateBackend;

use super::assigners::WindowAssigner;
use super::windows::{TimeWindow, Window};
use crate::operator::keyed_process::KeyedContext;
use crate::operator::process::Collector;
use crate::operator::two_input::KeyedCoProcessFunction;
use crate::operator::{OpResult, OperatorError};
use crate::record::Data;

/// What a window join does with a window's elements of both sides.
pub trait Pairing<T1, T2, O: Data>: Clone + Send + Sync + 'static {
    /// Emits the result of one window of one key from both sides' elements.
    fn pair(&mut self, left: Vec<T1>, right: Vec<T2>, out: &mut Collector<'_, O>);
}

/// A join: `f(left, right)` for every pair of the window (Flink's `JoinFunction`).
#[derive(Clone)]
pub struct JoinPairs<F>(pub(crate) F);

impl<T1, T2, O, F> Pairing<T1, T2, O> for JoinPairs<F>
where
    O: Data,
    F: FnMut(&T1, &T2) -> O + Clone + Send + Sync + 'static,
{
    fn pair(&mut self, left: Vec<T1>, right: Vec<T2>, out: &mut Collector<'_, O>) {
        for l in &left {
            for r in &right {
                out.collect((self.0)(l, r));
            }
        }
    }
}

/// A co-group: `f(left, right, out)` once per window with elements on either side
/// (Flink's `CoGroupFunction`).
#[derive(Clone)]
pub struct CoGroupPairs<F>(pub(crate) F);

impl<T1, T2, O, F> Pairing<T1, T2, O> for CoGroupPairs<F>
where
    O: Data,
    F: FnMut(Vec<T1>, Vec<T2>, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
{
    fn pair(&mut self, left: Vec<T1>, right: Vec<T2>, out: &mut Collector<'_, O>) {
        (self.0)(left, right, out);
    }
}

/// The state of a window join.
struct JoinState<T1, T2> {
    left: ListState<TimeWindow, InlineSized<T1>>,
    right: ListState<TimeWindow, InlineSized<T2>>,
    /// Windows of the key waiting for their end.
    pending: ValueState<(), InlineSized<Vec<TimeWindow>>>,
}

impl<T1, T2> Clone for JoinState<T1, T2> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T1, T2> Copy for JoinState<T1, T2> {}

/// A window join or co-group of two keyed inputs as a keyed co-process function.
pub struct WindowJoin<A, P, T1, T2> {
    assigner: A,
    pairing: P,
    state: Option<JoinState<T1, T2>>,
    windows: Vec<TimeWindow>,
    _types: PhantomData<fn() -> (T1, T2)>,
}

impl<A: Clone, P: Clone, T1, T2> Clone for WindowJoin<A, P, T1, T2> {
    fn clone(&self) -> Self {
        Self {
            assigner: self.assigner.clone(),
            pairing: self.pairing.clone(),
            state: self.state,
            windows: Vec::new(),
            _types: PhantomData,
        }
    }
}

impl<A, P, T1, T2> WindowJoin<A, P, T1, T2> {
    /// Windows from `assigner`, paired by `pairing`.
    pub fn new(assigner: A, pairing: P) -> Self {
        Self {
            assigner,
            pairing,
            state: None,
            windows: Vec::new(),
            _types: PhantomData,
        }
    }
}

fn unopened() -> OperatorError {
    OperatorError::User("window join used before open".into())
}

impl<A, P, T1, T2> WindowJoin<A, P, T1, T2>
where
    T1: Data,
    T2: Data,
{
    /// Adds an element of one side (`add` stores it in a window) to its windows that are
    /// not late yet, and sets their timers.
    fn element<K: BackendKey, T>(
        &mut self,
        value: T,
        ctx: &mut KeyedContext<'_, K>,
        assign: impl FnOnce(&A, &T, i64, i64, &mut Vec<TimeWindow>) -> OpResult,
        mut add: impl FnMut(&mut HeapKeyedStateBackend<K>, &TimeWindow, T) -> OpResult,
    ) -> OpResult
    where
        T: Clone,
    {
        let state = self.state.ok_or_else(unopened)?;
        let Some(timestamp) = ctx.timestamp() else {
            return Err(OperatorError::User(
                "a window join got an element without a timestamp: assign timestamps and \
                 watermarks on both inputs"
                    .into(),
            ));
        };
        self.windows.clear();
        assign(
            &self.assigner,
            &value,
            timestamp,
            ctx.current_processing_time(),
            &mut self.windows,
        )?;
        let watermark = ctx.current_watermark();
        // A window whose end the watermark passed already fired: the element is late for
        // it. The element moves into its last live window and is copied into the others.
        let Some(last) = self
            .windows
            .iter()
            .rposition(|w| w.max_timestamp() > watermark)
        else {
            return Ok(());
        };
        let mut value = Some(value);
        let mut new_windows: Vec<TimeWindow> = Vec::new();
        for (i, w) in self.windows.iter().enumerate().take(last + 1) {
            if w.max_timestamp() <= watermark {
                continue;
            }
            let v = if i == last {
                value.take()
            } else {
                value.clone()
            };
            if let Some(v) = v {
                add(ctx.state(), w, v)?;
            }
            let pending = state
                .pending
                .with_value(ctx.state(), &(), |p| p.is_some_and(|p| p.0.contains(w)))?;
            if !pending && !new_windows.contains(w) {
                new_windows.push(*w);
                ctx.register_event_time_timer(w.max_timestamp());
            }
        }
        // The key's list of pending windows is copied out of state only when it grows.
        if !new_windows.is_empty() {
            let mut pending = state
                .pending
                .value(ctx.state(), &())?
                .map(|p| p.0)
                .unwrap_or_default();
            pending.extend(new_windows);
            state
                .pending
                .update(ctx.state(), &(), InlineSized(pending))?;
        }
        Ok(())
    }
}

impl<K, A, P, T1, T2, O> KeyedCoProcessFunction<K, T1, T2, O> for WindowJoin<A, P, T1, T2>
where
    K: BackendKey,
    T1: Data,
    T2: Data,
    O: Data,
    A: WindowAssigner<T1, W = TimeWindow> + WindowAssigner<T2, W = TimeWindow>,
    P: Pairing<T1, T2, O>,
{
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        if WindowAssigner::<T1>::merge_windows(&self.assigner, &[]).is_some() {
            return Err(OperatorError::User(
                "window joins take tumbling or sliding windows, not session windows".into(),
            ));
        }
        self.state = Some(JoinState {
            left: state.list_state(&ListStateDescriptor::new("window-join-left"))?,
            right: state.list_state(&ListStateDescriptor::new("window-join-right"))?,
            pending: state.value_state(&ValueStateDescriptor::new("window-join-pending"))?,
        });
        Ok(())
    }

    fn process_element1(
        &mut self,
        value: T1,
        ctx: &mut KeyedContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> OpResult {
        let left = self.state.ok_or_else(unopened)?.left;
        self.element(
            value,
            ctx,
            |a, v, ts, now, out| WindowAssigner::<T1>::assign_windows(a, v, ts, now, out),
            |s, w, v| Ok(left.add(s, w, InlineSized(v))?),
        )
    }

    fn process_element2(
        &mut self,
        value: T2,
        ctx: &mut KeyedContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> OpResult {
        let right = self.state.ok_or_else(unopened)?.right;
        self.element(
            value,
            ctx,
            |a, v, ts, now, out| WindowAssigner::<T2>::assign_windows(a, v, ts, now, out),
            |s, w, v| Ok(right.add(s, w, InlineSized(v))?),
        )
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        let state = self.state.ok_or_else(unopened)?;
        let mut pending = state
            .pending
            .value(ctx.state(), &())?
            .map(|p| p.0)
            .unwrap_or_default();
        let (due, rest): (Vec<TimeWindow>, Vec<TimeWindow>) = pending
            .drain(..)
            .partition(|w| w.max_timestamp() <= timestamp);
        for w in &due {
            let left: Vec<T1> = state
                .left
                .with_list(ctx.state(), w, |l| l.map(|v| v.0.clone()).collect())?;
            let right: Vec<T2> = state
                .right
                .with_list(ctx.state(), w, |l| l.map(|v| v.0.clone()).collect())?;
            state.left.clear(ctx.state(), w)?;
            state.right.clear(ctx.state(), w)?;
            if !left.is_empty() || !right.is_empty() {
                self.pairing.pair(left, right, out);
            }
        }
        if rest.is_empty() {
            state.pending.clear(ctx.state(), &())?;
        } else {
            state.pending.update(ctx.state(), &(), InlineSized(rest))?;
        }
        Ok(())
    }
}
