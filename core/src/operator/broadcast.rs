//! The broadcast state pattern (Flink's `KeyedBroadcastProcessFunction` and
//! `BroadcastProcessFunction`): a keyed (or non-keyed) stream connected with a broadcast
//! stream. Every subtask receives every broadcast element and
//! keeps the same broadcast state (a map), which only the broadcast side writes; the
//! keyed side reads it, with keyed state and timers of its own.
//!
//! As in Flink, nothing orders broadcast elements against keyed ones across the two
//! inputs; a function that needs the rules first can buffer keyed elements in keyed state
//! and act on an event-time timer, since the operator's watermark is the minimum of both
//! inputs'.

use std::hash::Hash;
use std::marker::PhantomData;

use weir_state::keyed::BackendKey;
use weir_state::operator_state::{BroadcastState, ReadOnlyBroadcastState};
use weir_state::HeapKeyedStateBackend;

use super::keyed_process::{forward_control_to_core, Core, KeyedContext, SharedCore, TimerFn};
use super::process::{forward_control_to_outputs, Collector, Context, SideOutputs};
use super::rolling::KeyFn;
use super::two_input::TwoInputOperator;
use super::{BoxOutput, OpResult, OperatorError};
use crate::graph::factory::BuildContext;
use crate::record::{Data, Record};
use crate::time::WatermarkStatus;

/// A function over a keyed stream and a broadcast stream sharing a broadcast state of
/// `KB → VB` (Flink's `KeyedBroadcastProcessFunction`).
pub trait KeyedBroadcastProcessFunction<K, I, B, KB, VB, O: Data>: Send + 'static {
    /// Registers the keyed states the function uses, once per subtask.
    fn open(&mut self, _state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        Ok(())
    }
    /// Processes a keyed element: the broadcast state is read-only here.
    fn process_element(
        &mut self,
        value: I,
        broadcast: ReadOnlyBroadcastState<'_, KB, VB>,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
    /// Processes a broadcast element: the only place the broadcast state is written.
    fn process_broadcast_element(
        &mut self,
        value: B,
        broadcast: &mut BroadcastState<KB, VB>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
    /// A timer of the current key fired; the broadcast state is read-only here.
    fn on_timer(
        &mut self,
        _timestamp: i64,
        _broadcast: ReadOnlyBroadcastState<'_, KB, VB>,
        _ctx: &mut KeyedContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> OpResult {
        Ok(())
    }
}

/// The function with its subtask's copy of the broadcast state.
struct WithBroadcast<F, I, B, KB, VB> {
    f: F,
    state: BroadcastState<KB, VB>,
    _in: PhantomData<fn(I, B)>,
}

impl<K, I, B, KB, VB, O, F> TimerFn<K, O> for WithBroadcast<F, I, B, KB, VB>
where
    I: 'static,
    B: 'static,
    KB: Eq + Hash + 'static,
    VB: 'static,
    O: Data,
    F: KeyedBroadcastProcessFunction<K, I, B, KB, VB, O>,
{
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        self.f.open(state)
    }
    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        self.f.on_timer(timestamp, self.state.read_only(), ctx, out)
    }
}

/// Runs a [`KeyedBroadcastProcessFunction`]: input 1 keyed, input 2 broadcast.
pub struct KeyedBroadcastOperator<K, I, B, KB, VB, O: Data, F> {
    core: SharedCore<K, O, WithBroadcast<F, I, B, KB, VB>>,
    key: KeyFn<I, K>,
}

impl<K, I, B, KB, VB, O, F> KeyedBroadcastOperator<K, I, B, KB, VB, O, F>
where
    K: BackendKey,
    I: Data,
    B: Data,
    KB: Eq + Hash + 'static,
    VB: 'static,
    O: Data,
    F: KeyedBroadcastProcessFunction<K, I, B, KB, VB, O>,
{
    /// An operator running `f`, its keyed input keyed by `key`, in the subtask `ctx`
    /// describes.
    pub fn new(
        f: F,
        key: KeyFn<I, K>,
        out: BoxOutput<O>,
        side: SideOutputs,
        ctx: &BuildContext,
    ) -> Result<Self, OperatorError> {
        let f = WithBroadcast {
            f,
            state: BroadcastState::new(),
            _in: PhantomData,
        };
        Ok(Self {
            core: Core::shared(f, out, side, ctx)?,
            key,
        })
    }
}

impl<K, I, B, KB, VB, O, F> TwoInputOperator<I, B> for KeyedBroadcastOperator<K, I, B, KB, VB, O, F>
where
    K: BackendKey,
    I: Data,
    B: Data,
    KB: Eq + Hash + 'static,
    VB: 'static,
    O: Data,
    F: KeyedBroadcastProcessFunction<K, I, B, KB, VB, O>,
{
    fn collect1(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let key = (self.key)(&value);
        self.core
            .borrow_mut()
            .element(key, timestamp, |w, ctx, out| {
                w.f.process_element(value, w.state.read_only(), ctx, out)
            })
    }
    fn collect2(&mut self, record: Record<'_, B>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        self.core.borrow_mut().keyless(timestamp, |w, out| {
            w.f.process_broadcast_element(value, &mut w.state, out)
        })
    }
    forward_control_to_core!();
}

/// A function over a (non-keyed) stream and a broadcast stream sharing a broadcast state
/// of `KB → VB` (Flink's `BroadcastProcessFunction`).
pub trait BroadcastProcessFunction<I, B, KB, VB, O: Data>: Send + 'static {
    /// Processes an element: the broadcast state is read-only here.
    fn process_element(
        &mut self,
        value: I,
        broadcast: ReadOnlyBroadcastState<'_, KB, VB>,
        ctx: &mut Context<'_>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
    /// Processes a broadcast element: the only place the broadcast state is written.
    fn process_broadcast_element(
        &mut self,
        value: B,
        broadcast: &mut BroadcastState<KB, VB>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
}

/// Runs a [`BroadcastProcessFunction`]: input 1 the stream, input 2 the broadcast one.
pub struct BroadcastOperator<I, B, KB, VB, O: Data, F> {
    f: F,
    state: BroadcastState<KB, VB>,
    out: BoxOutput<O>,
    side: SideOutputs,
    _in: PhantomData<fn(I, B)>,
}

impl<I, B, KB: Eq + Hash, VB, O: Data, F> BroadcastOperator<I, B, KB, VB, O, F> {
    /// An operator running `f` into `out` and the side outputs `side`.
    pub fn new(f: F, out: BoxOutput<O>, side: SideOutputs) -> Self {
        Self {
            f,
            state: BroadcastState::new(),
            out,
            side,
            _in: PhantomData,
        }
    }

    /// The subtask's copy of the broadcast state.
    pub fn broadcast_state(&self) -> ReadOnlyBroadcastState<'_, KB, VB> {
        self.state.read_only()
    }
}

impl<I, B, KB, VB, O, F> TwoInputOperator<I, B> for BroadcastOperator<I, B, KB, VB, O, F>
where
    I: Data,
    B: Data,
    KB: Eq + Hash + 'static,
    VB: 'static,
    O: Data,
    F: BroadcastProcessFunction<I, B, KB, VB, O>,
{
    fn collect1(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let mut ctx = Context::new(timestamp, &mut self.side);
        let mut out = Collector::new(&mut self.out, timestamp);
        let result = self
            .f
            .process_element(value, self.state.read_only(), &mut ctx, &mut out);
        if let Some(e) = out.into_error().or(ctx.into_error()) {
            return Err(e);
        }
        result
    }
    fn collect2(&mut self, record: Record<'_, B>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let mut out = Collector::new(&mut self.out, timestamp);
        let result = self
            .f
            .process_broadcast_element(value, &mut self.state, &mut out);
        if let Some(e) = out.into_error() {
            return Err(e);
        }
        result
    }
    forward_control_to_outputs!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::basic::tests::capture;

    /// Multiplies each number by the factor of its parity, set by broadcast elements.
    struct Factors;

    impl BroadcastProcessFunction<i64, (bool, i64), bool, i64, i64> for Factors {
        fn process_element(
            &mut self,
            value: i64,
            broadcast: ReadOnlyBroadcastState<'_, bool, i64>,
            _ctx: &mut Context<'_>,
            out: &mut Collector<'_, i64>,
        ) -> OpResult {
            let factor = broadcast.get(&(value % 2 == 0)).copied().unwrap_or(1);
            out.collect(value * factor);
            Ok(())
        }
        fn process_broadcast_element(
            &mut self,
            (even, factor): (bool, i64),
            broadcast: &mut BroadcastState<bool, i64>,
            _out: &mut Collector<'_, i64>,
        ) -> OpResult {
            broadcast.put(even, factor);
            Ok(())
        }
    }

    #[test]
    fn broadcast_elements_write_the_state_that_elements_read() {
        let (out, seen) = capture::<i64>();
        let mut op = BroadcastOperator::new(Factors, out, SideOutputs::default());
        op.collect1(Record::Owned(3), 0).unwrap();
        op.collect2(Record::Owned((true, 10)), 0).unwrap();
        op.collect1(Record::Owned(4), 0).unwrap();
        op.collect1(Record::Owned(5), 0).unwrap();
        op.collect2(Record::Owned((false, 100)), 0).unwrap();
        op.collect1(Record::Owned(5), 0).unwrap();
        let got: Vec<i64> = seen.borrow().iter().map(|(v, _)| *v).collect();
        assert_eq!(got, [3, 40, 5, 500], "no rule yet, even rule, odd rule");
        assert_eq!(op.broadcast_state().len(), 2);
    }
}
