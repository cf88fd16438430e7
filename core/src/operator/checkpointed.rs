//! Operator state of user functions (Flink's `CheckpointedFunction`): a function keeps
//! non-keyed list states in its subtask's [`OperatorStateStore`], fills them in
//! [`CheckpointedFunction::snapshot_state`] and reads them back in
//! [`CheckpointedFunction::initialize_state`] after a restore.
//!
//! On restore every new subtask is handed every old subtask's operator state (union
//! delivery), and the store gives each state its share by the mode it is registered
//! with: `list_state` (Flink's `getListState`) an even, deterministic split of all old
//! elements, in old subtask order; `union_list_state` (`getUnionListState`) all of them.
//!
//! The pattern, as in Flink's `BufferingSink`: keep the working state in the function;
//! in `snapshot_state`, `ctx.operator_state_store().list_state::<T>("buffer")?.update(…)`;
//! in `initialize_state`, read the same list back when `ctx.is_restored()`. Run it with
//! `DataStream::process_checkpointed`.

use weir_state::operator_state::OperatorStateStore;

use super::checkpoint::{CheckpointCall, OperatorSnapshot};
use super::process::{ProcessFunction, ProcessOperator, SideOutputs};
use super::{BoxOutput, OpResult, OperatorError, Output};
use crate::graph::factory::BuildContext;
use crate::record::{Data, Record};
use crate::time::WatermarkStatus;

/// A function with operator state (Flink's `CheckpointedFunction`).
pub trait CheckpointedFunction {
    /// Registers the function's operator states and, when restored, reads them back; called
    /// once per subtask before the first element.
    fn initialize_state(&mut self, ctx: &mut FunctionInitializationContext<'_>) -> OpResult;
    /// Writes the function's state into its operator states for checkpoint
    /// `ctx.checkpoint_id()`; called on the task, between elements.
    fn snapshot_state(&mut self, ctx: &mut FunctionSnapshotContext<'_>) -> OpResult;
    /// Checkpoint `checkpoint_id` completed: what its snapshot covers is durable (Flink's
    /// `CheckpointListener.notifyCheckpointComplete`, e.g. to commit to an external
    /// system). Not called for every checkpoint: a later one may complete first, or a
    /// failure come before the notice. Does nothing by default.
    fn notify_checkpoint_complete(&mut self, _checkpoint_id: u64) -> OpResult {
        Ok(())
    }
}

/// What [`CheckpointedFunction::initialize_state`] gets (Flink's
/// `FunctionInitializationContext`).
pub struct FunctionInitializationContext<'a> {
    store: &'a mut OperatorStateStore,
}

impl FunctionInitializationContext<'_> {
    /// Whether the subtask restores state of this operator from a checkpoint or savepoint
    /// (Flink's `isRestored`).
    pub fn is_restored(&self) -> bool {
        self.store.is_restored()
    }

    /// The subtask's operator states; a state registered here holds its restored share.
    pub fn operator_state_store(&mut self) -> &mut OperatorStateStore {
        self.store
    }
}

/// What [`CheckpointedFunction::snapshot_state`] gets (Flink's `FunctionSnapshotContext`).
pub struct FunctionSnapshotContext<'a> {
    checkpoint_id: u64,
    store: &'a mut OperatorStateStore,
}

impl FunctionSnapshotContext<'_> {
    /// The id of the checkpoint being taken.
    pub fn checkpoint_id(&self) -> u64 {
        self.checkpoint_id
    }

    /// The subtask's operator states: what they hold now goes into the checkpoint.
    pub fn operator_state_store(&mut self) -> &mut OperatorStateStore {
        self.store
    }
}

/// Runs a [`ProcessFunction`] that is also a [`CheckpointedFunction`]: its operator
/// states go into every checkpoint under the operator's uid.
pub struct CheckpointedProcessOperator<I, O: Data, F> {
    inner: ProcessOperator<I, O, F>,
    store: OperatorStateStore,
    /// The operator's name and state id, for errors and snapshots.
    name: String,
    uid: String,
}

impl<I, O, F> CheckpointedProcessOperator<I, O, F>
where
    I: Data,
    O: Data,
    F: ProcessFunction<I, O> + CheckpointedFunction,
{
    /// An operator running `f` in the subtask `ctx` describes: the store restores what
    /// `ctx` hands back, and `f.initialize_state` has run.
    pub fn new(
        f: F,
        out: BoxOutput<O>,
        side: SideOutputs,
        ctx: &BuildContext,
    ) -> Result<Self, OperatorError> {
        let mut store = match &ctx.restore {
            Some(restore) => {
                let (Ok(subtask), Ok(parallelism)) =
                    (u32::try_from(ctx.subtask), u32::try_from(ctx.parallelism))
                else {
                    return Err(OperatorError::User(format!(
                        "operator '{}': subtask {} of {} is out of range",
                        ctx.name, ctx.subtask, ctx.parallelism
                    )));
                };
                OperatorStateStore::restored(restore.operator.clone(), subtask, parallelism)
            }
            None => OperatorStateStore::new(),
        };
        let mut op = ProcessOperator::new(f, out, side);
        let mut init = FunctionInitializationContext { store: &mut store };
        op.function_mut()
            .initialize_state(&mut init)
            .map_err(|e| in_operator(&ctx.name, &ctx.uid, "initializing", e))?;
        Ok(Self {
            inner: op,
            store,
            name: ctx.name.clone(),
            uid: ctx.uid.clone(),
        })
    }

    fn snapshot(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, OperatorError> {
        let mut ctx = FunctionSnapshotContext {
            checkpoint_id,
            store: &mut self.store,
        };
        self.inner.function_mut().snapshot_state(&mut ctx)?;
        Ok(self.store.snapshot()?.to_bytes()?)
    }
}

/// `e` with the operator and what it was doing with its operator state.
fn in_operator(name: &str, uid: &str, doing: &str, e: OperatorError) -> OperatorError {
    OperatorError::User(format!(
        "operator '{name}' (uid '{uid}'): {doing} operator state: {e}"
    ))
}

impl<I, O, F> Output<I> for CheckpointedProcessOperator<I, O, F>
where
    I: Data,
    O: Data,
    F: ProcessFunction<I, O> + CheckpointedFunction,
{
    fn collect(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        self.inner.collect(record, timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.inner.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.inner.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.inner.finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        if let CheckpointCall::Snapshot(snapshot) = call {
            let bytes = self
                .snapshot(snapshot.checkpoint_id)
                .map_err(|e| in_operator(&self.name, &self.uid, "snapshotting", e))?;
            snapshot.add(OperatorSnapshot {
                uid: self.uid.clone(),
                keyed: None,
                operator: Some(bytes),
            });
        }
        if let CheckpointCall::Complete(id) = call {
            self.inner.function_mut().notify_checkpoint_complete(*id)?;
        }
        self.inner.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.inner.pause_until()
    }
}

#[cfg(test)]
#[path = "checkpointed_tests.rs"]
mod tests;
