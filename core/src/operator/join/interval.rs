//! The interval join (Flink's `IntervalJoinOperator`, event time only): a pair `(left,
//! right)` of one key joins when `right.ts ∈ [left.ts + lower, left.ts + upper]`.
//!
//! Each side is buffered in a map state from timestamp to the elements of that timestamp.
//! An element first joins with the other side's buffered elements in range, then goes into
//! its own buffer; an element below the current watermark is late: dropped, or sent to the
//! late-data side output of its side. Each pair is emitted with the timestamp
//! `max(left.ts, right.ts)`. Cleanup timers drop a buffered timestamp once no future
//! element can join it: a left element at `t` at `t + upper` (if `upper > 0`, else `t`), a
//! right element at `t - lower` (if `lower < 0`, else `t`). Exclusive bounds move a bound by
//! 1 ms inwards before all of this, as in Flink.

use weir_state::keyed::{BackendKey, HeapSize, MapState, MapStateDescriptor};
use weir_state::HeapKeyedStateBackend;

use super::bounds::IntervalBounds;
use crate::operator::keyed_process::KeyedContext;
use crate::operator::process::{Collector, OutputTag, SideOutputs};
use crate::operator::two_input::KeyedCoProcessFunction;
use crate::operator::{OpResult, OperatorError};
use crate::record::Data;

/// What a [`ProcessJoinFunction`] sees besides the pair (Flink's
/// `ProcessJoinFunction.Context`): the timestamps of both elements and of the result, and
/// side outputs.
pub struct JoinContext<'a> {
    left_timestamp: i64,
    right_timestamp: i64,
    side: &'a mut SideOutputs,
    error: Option<OperatorError>,
}

impl JoinContext<'_> {
    /// The timestamp of the left element.
    pub fn left_timestamp(&self) -> i64 {
        self.left_timestamp
    }

    /// The timestamp of the right element.
    pub fn right_timestamp(&self) -> i64 {
        self.right_timestamp
    }

    /// The timestamp of the joined pair: the larger of the two.
    pub fn timestamp(&self) -> i64 {
        self.left_timestamp.max(self.right_timestamp)
    }

    /// Emits `value` to the side output named by `tag`, with the pair's timestamp.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        if self.error.is_none() {
            let timestamp = self.timestamp();
            if let Err(e) = self.side.emit(tag, value, timestamp) {
                self.error = Some(e);
            }
        }
    }
}

/// A function over the joined pairs of an interval join (Flink's `ProcessJoinFunction`);
/// what it collects carries the pair's timestamp. Closures
/// `FnMut(&L, &R, &mut JoinContext, &mut Collector<O>)` are join functions.
pub trait ProcessJoinFunction<L, R, O: Data>: Send + 'static {
    /// Processes one joined pair.
    fn process_element(
        &mut self,
        left: &L,
        right: &R,
        ctx: &mut JoinContext<'_>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
}

impl<L, R, O: Data, F> ProcessJoinFunction<L, R, O> for F
where
    F: FnMut(&L, &R, &mut JoinContext<'_>, &mut Collector<'_, O>) + Send + 'static,
{
    fn process_element(
        &mut self,
        left: &L,
        right: &R,
        ctx: &mut JoinContext<'_>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        self(left, right, ctx, out);
        Ok(())
    }
}

/// The elements of one side with one timestamp, as buffered in keyed state. Counts the
/// vector's capacity in the state size, not what the elements own on the heap.
#[derive(Clone, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
struct Bucket<T>(Vec<T>);

impl<T> Default for Bucket<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> HeapSize for Bucket<T> {
    fn heap_size(&self) -> usize {
        self.0.capacity() * std::mem::size_of::<T>()
    }
}

type Buffer<T> = MapState<(), i64, Bucket<T>>;

/// The interval join as a keyed co-process function: `L` elements on the first input,
/// `R` on the second, pairs handed to `F`.
pub struct IntervalJoiner<L, R, F> {
    f: F,
    bounds: IntervalBounds,
    name: String,
    left_late: Option<OutputTag<L>>,
    right_late: Option<OutputTag<R>>,
    buffers: Option<(Buffer<L>, Buffer<R>)>,
}

impl<L, R, F> IntervalJoiner<L, R, F> {
    /// A join of the pairs within `bounds`, handed to `f`, in the operator (and subtask)
    /// named `name`; late elements go to the side outputs `left_late` / `right_late`, if
    /// given, and are dropped otherwise.
    pub fn new(
        f: F,
        bounds: IntervalBounds,
        name: String,
        left_late: Option<OutputTag<L>>,
        right_late: Option<OutputTag<R>>,
    ) -> Self {
        Self {
            f,
            bounds,
            name,
            left_late,
            right_late,
            buffers: None,
        }
    }

    fn buffers(&self) -> Result<(Buffer<L>, Buffer<R>), OperatorError> {
        self.buffers.ok_or_else(|| {
            OperatorError::User(format!("{}: the join state is not registered", self.name))
        })
    }

    fn timestamp_of<K: BackendKey>(
        &self,
        ctx: &KeyedContext<'_, K>,
        side: &str,
    ) -> Result<i64, OperatorError> {
        ctx.timestamp().ok_or_else(|| {
            OperatorError::User(format!(
                "{}: an element of the {side} input has no timestamp; the elements of an \
                 interval join need event-time timestamps (assign_timestamps_and_watermarks)",
                self.name
            ))
        })
    }
}

/// Joins `value` (at `ts`, of the side "ours") with the buffered elements of the other
/// side whose timestamps lie in `[ts + lo, ts + hi]`, then buffers it and registers its
/// cleanup timer. `emit(ours, other, ctx, out)` calls the user function with the pair in
/// left/right order.
#[allow(clippy::too_many_arguments)]
fn join_and_buffer<K, Ours, Other, O>(
    ctx: &mut KeyedContext<'_, K>,
    out: &mut Collector<'_, O>,
    (ours, other): (Buffer<Ours>, Buffer<Other>),
    ours_is_left: bool,
    value: Ours,
    ts: i64,
    in_range: impl Fn(i64) -> bool,
    cleanup: i64,
    mut emit: impl FnMut(&Ours, &Other, &mut JoinContext<'_>, &mut Collector<'_, O>) -> OpResult,
) -> OpResult
where
    K: BackendKey,
    Ours: Data,
    Other: Data,
    O: Data,
{
    let (state, side) = ctx.state_and_side_outputs();
    let joined = other.with_entries(state, &(), |entries| -> OpResult {
        for (&other_ts, bucket) in entries.filter(|(t, _)| in_range(**t)) {
            for element in &bucket.0 {
                let (left_timestamp, right_timestamp) = if ours_is_left {
                    (ts, other_ts)
                } else {
                    (other_ts, ts)
                };
                out.set_timestamp(ts.max(other_ts));
                let mut jctx = JoinContext {
                    left_timestamp,
                    right_timestamp,
                    side: &mut *side,
                    error: None,
                };
                emit(&value, element, &mut jctx, out)?;
                if let Some(e) = jctx.error {
                    return Err(e);
                }
            }
        }
        Ok(())
    })?;
    joined?;
    let mut bucket = ours.get(state, &(), &ts)?.unwrap_or_default();
    bucket.0.push(value);
    ours.put(state, &(), ts, bucket)?;
    ctx.register_event_time_timer(cleanup);
    Ok(())
}

impl<K, L, R, O, F> KeyedCoProcessFunction<K, L, R, O> for IntervalJoiner<L, R, F>
where
    K: BackendKey,
    L: Data,
    R: Data,
    O: Data,
    F: ProcessJoinFunction<L, R, O>,
{
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        let left = state.map_state(&MapStateDescriptor::new("LEFT_BUFFER"))?;
        let right = state.map_state(&MapStateDescriptor::new("RIGHT_BUFFER"))?;
        self.buffers = Some((left, right));
        Ok(())
    }

    fn process_element1(
        &mut self,
        value: L,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        let ts = self.timestamp_of(ctx, "left")?;
        if ts < ctx.current_watermark() {
            if let Some(tag) = &self.left_late {
                ctx.output(tag, value);
            }
            return Ok(());
        }
        let (left, right) = self.buffers()?;
        let bounds = self.bounds;
        let f = &mut self.f;
        join_and_buffer(
            ctx,
            out,
            (left, right),
            true,
            value,
            ts,
            |r| bounds.contains(ts, r),
            bounds.left_cleanup_time(ts),
            |l, r, jctx, out| f.process_element(l, r, jctx, out),
        )
    }

    fn process_element2(
        &mut self,
        value: R,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        let ts = self.timestamp_of(ctx, "right")?;
        if ts < ctx.current_watermark() {
            if let Some(tag) = &self.right_late {
                ctx.output(tag, value);
            }
            return Ok(());
        }
        let (left, right) = self.buffers()?;
        let bounds = self.bounds;
        let f = &mut self.f;
        join_and_buffer(
            ctx,
            out,
            (right, left),
            false,
            value,
            ts,
            |l| bounds.contains(l, ts),
            bounds.right_cleanup_time(ts),
            |r, l, jctx, out| f.process_element(l, r, jctx, out),
        )
    }

    /// A cleanup timer: drops the left and the right buffer timestamp that expire at
    /// `timestamp`. Timers live in one namespace, so one timer per key and time serves
    /// both sides (Flink keeps a namespace per side; a buffered timestamp always has its
    /// timer pending, so removing both here is what Flink's two timers do). At the end of
    /// event time (`i64::MAX`, where cleanup times saturate) both buffers of the key go.
    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> OpResult {
        let (left, right) = self.buffers()?;
        let state = ctx.state();
        if timestamp == i64::MAX {
            left.clear(state, &())?;
            right.clear(state, &())?;
            return Ok(());
        }
        if let Some(ts) = self.bounds.left_bucket_at(timestamp) {
            left.remove(state, &(), &ts)?;
        }
        if let Some(ts) = self.bounds.right_bucket_at(timestamp) {
            right.remove(state, &(), &ts)?;
        }
        Ok(())
    }
}

impl<L, R, F: Clone> Clone for IntervalJoiner<L, R, F> {
    fn clone(&self) -> Self {
        Self {
            f: self.f.clone(),
            bounds: self.bounds,
            name: self.name.clone(),
            left_late: self.left_late.clone(),
            right_late: self.right_late.clone(),
            buffers: self.buffers,
        }
    }
}

#[cfg(test)]
#[path = "interval_tests.rs"]
mod tests;
