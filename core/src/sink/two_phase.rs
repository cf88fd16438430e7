//! The two-phase-commit sink contract (Flink's `TwoPhaseCommitSinkFunction`, its abstract
//! half): what a sink does to begin, fill, pre-commit, commit and abort a transaction.

use std::fmt;

use super::codec::StateCodec;
use super::error::SinkError;
use crate::record::{Data, Record};

/// A sink whose output becomes visible only when the checkpoint covering it completes.
///
/// The [`super::driver::TwoPhaseCommitDriver`] calls it: one transaction is open for
/// writes at a time; at a checkpoint it is pre-committed and kept, and committed when the
/// checkpoint completes. Transactions are plain handles stored in checkpointed state, so
/// every method but `write` must work on a handle restored in another process.
pub trait TwoPhaseCommitSink<T: Data> {
    /// The handle of a transaction (file names and lengths, a transaction id, …).
    type Transaction: StateCodec + Clone + fmt::Debug;

    /// Starts a transaction that the next records go to.
    fn begin_transaction(&mut self) -> Result<Self::Transaction, SinkError>;

    /// Adds one record to `txn` (the open transaction).
    fn write(
        &mut self,
        txn: &mut Self::Transaction,
        record: &Record<'_, T>,
        timestamp: i64,
    ) -> Result<(), SinkError>;

    /// Makes everything written to `txn` durable so that it can be committed after a crash;
    /// `txn` takes no writes afterwards.
    fn pre_commit(&mut self, txn: &mut Self::Transaction) -> Result<(), SinkError>;

    /// Makes a pre-committed transaction visible. Idempotent: a retry after a failure
    /// half-way through must succeed.
    fn commit(&mut self, txn: &Self::Transaction) -> Result<(), SinkError>;

    /// Discards a transaction's output.
    fn abort(&mut self, txn: &Self::Transaction) -> Result<(), SinkError>;

    /// Commits a pre-committed transaction restored from a checkpoint. It may have been
    /// committed already before the failure, so this must be idempotent.
    fn recover_and_commit(&mut self, txn: &Self::Transaction) -> Result<(), SinkError> {
        self.commit(txn)
    }

    /// Aborts a transaction restored from a checkpoint (it was open at the snapshot); what
    /// it refers to may already be gone.
    fn recover_and_abort(&mut self, txn: &Self::Transaction) -> Result<(), SinkError> {
        self.abort(txn)
    }

    /// After rescaling to fewer subtasks, this one takes over what old subtask `old` (which
    /// no longer exists) may have left behind; called before [`Self::finish_recovery`].
    fn take_over(&mut self, _old: u32) {}

    /// Called once after the restored transactions were handled (or at a fresh start),
    /// before the first new one begins: a place to clear leftovers of earlier attempts.
    fn finish_recovery(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}
