//! A [`TwoPhaseCommitSink`] as the last operator of a chain: records go into the open
//! transaction, and the chain's checkpoint calls drive the [`TwoPhaseCommitDriver`]
//! (pre-commit on the snapshot, commit on completion, commit what is left when the job
//! has finished).

use super::driver::{CommitOn, TwoPhaseCommitDriver};
use super::error::SinkError;
use super::state::TwoPhaseCommitState;
use super::two_phase::TwoPhaseCommitSink;
use crate::graph::factory::BuildContext;
use crate::operator::checkpoint::OperatorSnapshot;
use crate::operator::{CheckpointCall, OpResult, OperatorError, Output};
use crate::record::{Data, Record};
use crate::time::WatermarkStatus;

/// Runs a two-phase-commit sink in a chain (Flink's `TwoPhaseCommitSinkFunction`).
pub struct TwoPhaseCommitSinkOperator<T: Data, S: TwoPhaseCommitSink<T>> {
    driver: TwoPhaseCommitDriver<T, S>,
    uid: String,
    name: String,
}

impl<T: Data, S: TwoPhaseCommitSink<T>> TwoPhaseCommitSinkOperator<T, S> {
    /// The sink of the subtask `ctx` describes: recovered from the restored transactions
    /// (old subtask `i`'s go to new subtask `i mod parallelism`), committing on checkpoints
    /// when the job takes them and at the end of input otherwise.
    pub fn new(mut sink: S, ctx: &BuildContext) -> Result<Self, OperatorError> {
        let commit_on = if ctx.checkpointing {
            CommitOn::Checkpoints
        } else {
            CommitOn::EndOfInput
        };
        let parallelism = ctx.parallelism.max(1);
        let restored = ctx.restored_operator_state();
        for old in (parallelism..restored.len()).filter(|old| old % parallelism == ctx.subtask) {
            sink.take_over(u32::try_from(old).unwrap_or(u32::MAX));
        }
        let mut driver = TwoPhaseCommitDriver::new(sink, commit_on);
        let fail = |e: SinkError| OperatorError::User(format!("sink '{}': {e}", ctx.name));
        let states = restored
            .into_iter()
            .enumerate()
            .filter(|(old, _)| old % parallelism == ctx.subtask)
            .map(|(_, bytes)| TwoPhaseCommitState::from_bytes(bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                OperatorError::User(format!("sink '{}': restoring its state: {e}", ctx.name))
            })?;
        driver.initialize_from_states(states).map_err(fail)?;
        Ok(Self {
            driver,
            uid: ctx.uid.clone(),
            name: ctx.name.clone(),
        })
    }

    fn fail(&self, e: SinkError) -> OperatorError {
        OperatorError::User(format!("sink '{}': {e}", self.name))
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        self.driver.sink()
    }
}

impl<T: Data, S: TwoPhaseCommitSink<T>> Output<T> for TwoPhaseCommitSinkOperator<T, S> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        self.driver
            .write(&record, timestamp)
            .map_err(|e| self.fail(e))
    }
    fn emit_watermark(&mut self, _watermark: i64) -> OpResult {
        Ok(())
    }
    fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
        Ok(())
    }
    fn finish(&mut self) -> OpResult {
        self.driver.finish().map_err(|e| self.fail(e))
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        match call {
            CheckpointCall::Snapshot(snapshot) => {
                let state = self
                    .driver
                    .snapshot(snapshot.checkpoint_id)
                    .map_err(|e| self.fail(e))?;
                snapshot.add(OperatorSnapshot {
                    uid: self.uid.clone(),
                    keyed: None,
                    operator: Some(state.to_bytes()),
                });
                Ok(())
            }
            CheckpointCall::Complete(id) => self
                .driver
                .notify_checkpoint_complete(*id)
                .map_err(|e| self.fail(e)),
            CheckpointCall::Abort(id) => {
                self.driver.notify_checkpoint_aborted(*id);
                Ok(())
            }
            CheckpointCall::Finished => {
                // The job's end state: the last transaction commits.
                let id = u64::MAX - 1;
                self.driver.snapshot(id).map_err(|e| self.fail(e))?;
                self.driver
                    .notify_checkpoint_complete(id)
                    .map_err(|e| self.fail(e))
            }
        }
    }
}

impl<T: Data, S: TwoPhaseCommitSink<T>> Drop for TwoPhaseCommitSinkOperator<T, S> {
    fn drop(&mut self) {
        // The open transaction is aborted; pending ones stay for recovery.
        let _ = self.driver.close();
    }
}
