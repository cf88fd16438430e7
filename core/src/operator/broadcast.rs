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
//!
//! Checkpoints: each subtask snapshots its copy of the broadcast state as its operator
//! state (beside the keyed state of the keyed variant); on restore, new subtask `i` takes
//! old subtask `i mod old parallelism`'s copy (Flink's rule: all copies are the same).

use std::hash::Hash;
use std::marker::PhantomData;

use weir_state::keyed::BackendKey;
use weir_state::operator_state::{BroadcastState, ReadOnlyBroadcastState};
use weir_state::snapshot::{restore_broadcast_state, OperatorStateSnapshot};
use weir_state::{HeapKeyedStateBackend, StateCodec};

use super::checkpoint::{CheckpointCall, OperatorSnapshot};
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

/// The name of an operator's broadcast state in its snapshots.
const BROADCAST_STATE: &str = "broadcast";

/// The operator-state bytes of a subtask's broadcast state.
fn snapshot_broadcast<KB, VB>(state: &BroadcastState<KB, VB>) -> Result<Vec<u8>, OperatorError>
where
    KB: StateCodec + Eq + Hash,
    VB: StateCodec,
{
    let mut snapshot = OperatorStateSnapshot::new();
    snapshot.add_broadcast(BROADCAST_STATE, state)?;
    Ok(snapshot.to_bytes()?)
}

/// The broadcast state subtask `ctx.subtask` restores (old subtask `i mod old
/// parallelism`'s copy), or an empty one on a fresh start.
fn restored_broadcast<KB, VB>(ctx: &BuildContext) -> Result<BroadcastState<KB, VB>, OperatorError>
where
    KB: StateCodec + Eq + Hash,
    VB: StateCodec,
{
    let streams = ctx.restored_operator_state();
    let subtask = u32::try_from(ctx.subtask).unwrap_or(u32::MAX);
    let restored = restore_broadcast_state(&streams, BROADCAST_STATE, subtask).map_err(|e| {
        OperatorError::User(format!(
            "operator '{}' (uid '{}'): restoring broadcast state '{BROADCAST_STATE}': {e}",
            ctx.name, ctx.uid
        ))
    })?;
    Ok(restored.unwrap_or_default())
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
    KB: StateCodec + Eq + Hash + 'static,
    VB: StateCodec + 'static,
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
    fn operator_state(&self) -> Result<Option<Vec<u8>>, OperatorError> {
        snapshot_broadcast(&self.state).map(Some)
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
    KB: StateCodec + Eq + Hash + 'static,
    VB: StateCodec + 'static,
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
            state: restored_broadcast(ctx)?,
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
    KB: StateCodec + Eq + Hash + 'static,
    VB: StateCodec + 'static,
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
    /// The operator's state id.
    uid: String,
    _in: PhantomData<fn(I, B)>,
}

impl<I, B, KB, VB, O: Data, F> BroadcastOperator<I, B, KB, VB, O, F>
where
    KB: StateCodec + Eq + Hash,
    VB: StateCodec,
{
    /// An operator running `f` into `out` and the side outputs `side`, in the subtask
    /// `ctx` describes (with its restored broadcast state, if any).
    pub fn new(
        f: F,
        out: BoxOutput<O>,
        side: SideOutputs,
        ctx: &BuildContext,
    ) -> Result<Self, OperatorError> {
        Ok(Self {
            f,
            state: restored_broadcast(ctx)?,
            out,
            side,
            uid: ctx.uid.clone(),
            _in: PhantomData,
        })
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
    KB: StateCodec + Eq + Hash + 'static,
    VB: StateCodec + 'static,
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
    fn finish(&mut self) -> OpResult {
        self.side.for_each(|s| s.finish())?;
        self.out.finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        if let CheckpointCall::Snapshot(snapshot) = call {
            let bytes = snapshot_broadcast(&self.state).map_err(|e| {
                OperatorError::User(format!(
                    "operator uid '{}': snapshotting broadcast state: {e}",
                    self.uid
                ))
            })?;
            snapshot.add(OperatorSnapshot {
                uid: self.uid.clone(),
                keyed: None,
                operator: Some(bytes),
            });
        }
        self.side.for_each(|s| s.checkpoint(call))?;
        self.out.checkpoint(call)
    }
    forward_control_to_outputs!(@watermarks);
}

#[cfg(test)]
#[path = "broadcast_tests.rs"]
mod tests;
