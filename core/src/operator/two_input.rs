//! Two-input operators (Flink's `connect`): CoMap, CoFlatMap, CoProcessFunction and
//! KeyedCoProcessFunction. A two-input operator is always the head of its task; the task
//! hands it each input's records, and one watermark: the minimum of the two inputs'
//! (an idle input does not count), as Flink's `processWatermark1/2` combine them.

use std::marker::PhantomData;

use super::keyed_process::{forward_control_to_core, Core, KeyedContext, SharedCore, TimerFn};
use super::process::{forward_control_to_outputs, Collector, Context, SideOutputs};
use super::rolling::KeyFn;
use super::{BoxOutput, OpResult, OperatorError};
use crate::graph::factory::BuildContext;
use crate::record::{Data, Record};
use crate::runtime::input::{read_record, ErasedInput};
use crate::time::WatermarkStatus;
use weir_state::keyed::BackendKey;
use weir_state::HeapKeyedStateBackend;

/// An operator with two inputs of types `I1` and `I2`.
pub trait TwoInputOperator<I1: Data, I2: Data> {
    /// A record of the first input.
    fn collect1(&mut self, record: Record<'_, I1>, timestamp: i64) -> OpResult;
    /// A record of the second input.
    fn collect2(&mut self, record: Record<'_, I2>, timestamp: i64) -> OpResult;
    /// The combined watermark of both inputs advanced.
    fn emit_watermark(&mut self, watermark: i64) -> OpResult;
    /// The combined status changed.
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult;
    /// Both inputs ended.
    fn finish(&mut self) -> OpResult;
    /// A checkpoint call (see [`crate::operator::Output::checkpoint`]).
    fn checkpoint(&mut self, call: &mut super::CheckpointCall<'_>) -> OpResult;
    /// A pause a downstream operator asked for.
    fn pause_until(&self) -> Option<u64>;
}

/// Reads both inputs' frames into a two-input operator.
pub struct TwoInputHead<I1: Data, I2: Data> {
    op: Box<dyn TwoInputOperator<I1, I2>>,
}

impl<I1: Data, I2: Data> TwoInputHead<I1, I2> {
    /// The head of a task running `op`.
    pub fn new(op: Box<dyn TwoInputOperator<I1, I2>>) -> Self {
        Self { op }
    }
}

impl<I1: Data, I2: Data> ErasedInput for TwoInputHead<I1, I2> {
    fn record(&mut self, input: usize, payload: &[u8], foreign: bool) -> OpResult {
        match input {
            0 => {
                let (rec, ts) = read_record::<I1>(payload, foreign)?;
                self.op.collect1(Record::InPlace(rec), ts)
            }
            1 => {
                let (rec, ts) = read_record::<I2>(payload, foreign)?;
                self.op.collect2(Record::InPlace(rec), ts)
            }
            other => Err(OperatorError::User(format!(
                "a two-input operator got a record for input {other}"
            ))),
        }
    }
    fn watermark(&mut self, watermark: i64) -> OpResult {
        self.op.emit_watermark(watermark)
    }
    fn watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.op.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.op.finish()
    }
    fn checkpoint(&mut self, call: &mut super::CheckpointCall<'_>) -> OpResult {
        self.op.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.op.pause_until()
    }
}

/// A function over two inputs with a context (Flink's `CoProcessFunction`).
pub trait CoProcessFunction<I1, I2, O: Data>: Send + 'static {
    /// Processes an element of the first input.
    fn process_element1(&mut self, value: I1, ctx: &mut Context<'_>, out: &mut Collector<'_, O>);
    /// Processes an element of the second input.
    fn process_element2(&mut self, value: I2, ctx: &mut Context<'_>, out: &mut Collector<'_, O>);
}

/// Two functions, one per input, emitting zero or more elements each (Flink's
/// `CoFlatMapFunction`; a CoMap is the one-element case).
#[derive(Clone)]
pub struct CoFlatMap<F1, F2>(pub F1, pub F2);

impl<I1, I2, O, R1, R2, F1, F2> CoProcessFunction<I1, I2, O> for CoFlatMap<F1, F2>
where
    O: Data,
    R1: IntoIterator<Item = O>,
    R2: IntoIterator<Item = O>,
    F1: FnMut(I1) -> R1 + Send + 'static,
    F2: FnMut(I2) -> R2 + Send + 'static,
{
    fn process_element1(&mut self, value: I1, _ctx: &mut Context<'_>, out: &mut Collector<'_, O>) {
        for v in (self.0)(value) {
            out.collect(v);
        }
    }
    fn process_element2(&mut self, value: I2, _ctx: &mut Context<'_>, out: &mut Collector<'_, O>) {
        for v in (self.1)(value) {
            out.collect(v);
        }
    }
}

/// Runs a [`CoProcessFunction`].
pub struct CoProcessOperator<I1, I2, O: Data, F> {
    f: F,
    out: BoxOutput<O>,
    side: SideOutputs,
    _in: PhantomData<fn(I1, I2)>,
}

impl<I1, I2, O: Data, F> CoProcessOperator<I1, I2, O, F> {
    /// An operator running `f` into `out` and the side outputs `side`.
    pub fn new(f: F, out: BoxOutput<O>, side: SideOutputs) -> Self {
        Self {
            f,
            out,
            side,
            _in: PhantomData,
        }
    }

    fn call(
        &mut self,
        timestamp: i64,
        call: impl FnOnce(&mut F, &mut Context<'_>, &mut Collector<'_, O>),
    ) -> OpResult {
        let mut ctx = Context::new(timestamp, &mut self.side);
        let mut out = Collector::new(&mut self.out, timestamp);
        call(&mut self.f, &mut ctx, &mut out);
        match (out.into_error(), ctx.into_error()) {
            (Some(e), _) | (None, Some(e)) => Err(e),
            (None, None) => Ok(()),
        }
    }
}

impl<I1: Data, I2: Data, O: Data, F: CoProcessFunction<I1, I2, O>> TwoInputOperator<I1, I2>
    for CoProcessOperator<I1, I2, O, F>
{
    fn collect1(&mut self, record: Record<'_, I1>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        self.call(timestamp, |f, ctx, out| f.process_element1(value, ctx, out))
    }
    fn collect2(&mut self, record: Record<'_, I2>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        self.call(timestamp, |f, ctx, out| f.process_element2(value, ctx, out))
    }
    forward_control_to_outputs!();
}

/// A function over two keyed inputs with timers per key (Flink's
/// `KeyedCoProcessFunction`): both inputs are keyed alike, so state and timers of a key
/// see the elements of both.
pub trait KeyedCoProcessFunction<K, I1, I2, O: Data>: Send + 'static {
    /// Registers the states the function uses (Flink's `open`), once per subtask.
    fn open(&mut self, _state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        Ok(())
    }
    /// Processes an element of the first input.
    fn process_element1(
        &mut self,
        value: I1,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
    /// Processes an element of the second input.
    fn process_element2(
        &mut self,
        value: I2,
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

/// A [`KeyedCoProcessFunction`] seen as a timer callback.
struct TwoInputs<F, I1, I2>(F, PhantomData<fn(I1, I2)>);

impl<K, I1: 'static, I2: 'static, O: Data, F: KeyedCoProcessFunction<K, I1, I2, O>> TimerFn<K, O>
    for TwoInputs<F, I1, I2>
{
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

/// Runs a [`KeyedCoProcessFunction`]; shared with the task's timers.
pub struct KeyedCoProcessOperator<K, I1, I2, O: Data, F> {
    core: SharedCore<K, O, TwoInputs<F, I1, I2>>,
    key1: KeyFn<I1, K>,
    key2: KeyFn<I2, K>,
}

impl<K, I1, I2, O, F> KeyedCoProcessOperator<K, I1, I2, O, F>
where
    K: BackendKey,
    I1: Data,
    I2: Data,
    O: Data,
    F: KeyedCoProcessFunction<K, I1, I2, O>,
{
    /// An operator running `f` over two inputs keyed by `key1` and `key2`, in the
    /// subtask `ctx` describes.
    pub fn new(
        f: F,
        key1: KeyFn<I1, K>,
        key2: KeyFn<I2, K>,
        out: BoxOutput<O>,
        side: SideOutputs,
        ctx: &BuildContext,
    ) -> Result<Self, OperatorError> {
        let f = TwoInputs(f, PhantomData);
        Ok(Self {
            core: Core::shared(f, out, side, ctx)?,
            key1,
            key2,
        })
    }

    /// How many keys and bytes its keyed state holds.
    pub fn state_size(&self) -> (usize, usize) {
        crate::runtime::metrics::StateSize::state_size(&*self.core.borrow())
    }
}

impl<K, I1, I2, O, F> TwoInputOperator<I1, I2> for KeyedCoProcessOperator<K, I1, I2, O, F>
where
    K: BackendKey,
    I1: Data,
    I2: Data,
    O: Data,
    F: KeyedCoProcessFunction<K, I1, I2, O>,
{
    fn collect1(&mut self, record: Record<'_, I1>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let key = (self.key1)(&value);
        self.core
            .borrow_mut()
            .element(key, timestamp, |f, ctx, out| {
                f.0.process_element1(value, ctx, out)
            })
    }
    fn collect2(&mut self, record: Record<'_, I2>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let key = (self.key2)(&value);
        self.core
            .borrow_mut()
            .element(key, timestamp, |f, ctx, out| {
                f.0.process_element2(value, ctx, out)
            })
    }
    forward_control_to_core!();
}
