//! Runs a [`TwoPhaseCommitSink`] through the checkpoint protocol (Flink's
//! `TwoPhaseCommitSinkFunction`, its concrete half): one open transaction, the
//! pre-committed ones by checkpoint id, recovery from a restored state.
//!
//! The calls the task makes, in order:
//! - `initialize(restored)` once: commits every pending transaction of the restored state
//!   (the checkpoint that stored them completed, but its notification may have been lost),
//!   aborts its open one, lets the sink clear leftovers, begins a transaction;
//! - `write` per record;
//! - `snapshot(id)` when the checkpoint's barrier is processed: pre-commit the open
//!   transaction, keep it under `id`, begin the next; the returned state goes into the
//!   checkpoint;
//! - `notify_checkpoint_complete(id)`: commit every pending transaction with an id up to
//!   `id`, oldest first (a checkpoint subsumes the ones before it);
//! - `notify_checkpoint_aborted(id)`: nothing; its transaction stays pending and is
//!   committed with the next checkpoint that completes;
//! - `finish()` at the end of input, then `close()`.
//!
//! End of input (Flink 1.15+, checkpoints after tasks finish): with [`CommitOn::Checkpoints`]
//! `finish` only refuses further writes; the task then takes the final checkpoint
//! (`snapshot`), waits for its `notify_checkpoint_complete`, and closes. With
//! [`CommitOn::EndOfInput`] (no checkpointing configured) `finish` pre-commits and commits
//! everything, so that a bounded job without checkpoints still produces its output.
//! `close` aborts the open transaction and leaves pending ones for a later recovery.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use super::error::SinkError;
use super::state::TwoPhaseCommitState;
use super::two_phase::TwoPhaseCommitSink;
use crate::record::{Data, Record};

/// When transactions are committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOn {
    /// When the checkpoint that pre-committed them completes (exactly-once).
    Checkpoints,
    /// At the end of input: checkpointing is off, so there is nothing to wait for.
    EndOfInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    Running,
    Finished,
    Closed,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Created => "not initialized",
            Phase::Running => "running",
            Phase::Finished => "finished",
            Phase::Closed => "closed",
        }
    }
}

/// Drives a two-phase-commit sink through checkpoints, completions and recovery.
pub struct TwoPhaseCommitDriver<T: Data, S: TwoPhaseCommitSink<T>> {
    sink: S,
    commit_on: CommitOn,
    phase: Phase,
    current: Option<S::Transaction>,
    pending: BTreeMap<u64, S::Transaction>,
    last_snapshot: Option<u64>,
    _type: PhantomData<fn(T)>,
}

impl<T: Data, S: TwoPhaseCommitSink<T>> TwoPhaseCommitDriver<T, S> {
    /// A driver of `sink`; call [`Self::initialize`] before anything else.
    pub fn new(sink: S, commit_on: CommitOn) -> Self {
        Self {
            sink,
            commit_on,
            phase: Phase::Created,
            current: None,
            pending: BTreeMap::new(),
            last_snapshot: None,
            _type: PhantomData,
        }
    }

    /// Starts fresh (`None`) or recovers from the state of the last completed checkpoint.
    pub fn initialize(
        &mut self,
        restored: Option<TwoPhaseCommitState<S::Transaction>>,
    ) -> Result<(), SinkError> {
        self.initialize_from_states(restored.into_iter().collect())
    }

    /// Recovers from several restored states (after rescaling, a subtask takes over the
    /// transactions of several old ones): each one's pending transactions are committed,
    /// its open one aborted; then the sink clears leftovers and a transaction begins.
    pub fn initialize_from_states(
        &mut self,
        restored: Vec<TwoPhaseCommitState<S::Transaction>>,
    ) -> Result<(), SinkError> {
        self.expect(&[Phase::Created], "initialize")?;
        for state in restored {
            // Flink's order: pending ones first (oldest first), then the open one.
            for (_, txn) in &state.pending {
                self.sink.recover_and_commit(txn)?;
            }
            self.sink.recover_and_abort(&state.current)?;
            let last = state.pending.last().map(|(id, _)| *id);
            self.last_snapshot = self.last_snapshot.max(last);
        }
        self.sink.finish_recovery()?;
        self.current = Some(self.sink.begin_transaction()?);
        self.phase = Phase::Running;
        Ok(())
    }

    /// [`Self::initialize`] from the state's byte form, as a checkpoint stores it.
    pub fn initialize_from_bytes(&mut self, restored: Option<&[u8]>) -> Result<(), SinkError> {
        let state = restored.map(TwoPhaseCommitState::from_bytes).transpose()?;
        self.initialize(state)
    }

    /// Writes one record into the open transaction.
    pub fn write(&mut self, record: &Record<'_, T>, timestamp: i64) -> Result<(), SinkError> {
        self.expect(&[Phase::Running], "write")?;
        let txn = self.current.as_mut().ok_or(SinkError::Lifecycle {
            call: "write",
            phase: "without an open transaction",
        })?;
        self.sink.write(txn, record, timestamp)
    }

    /// Pre-commits the open transaction for checkpoint `checkpoint_id` and begins the next;
    /// returns the state the checkpoint stores.
    pub fn snapshot(
        &mut self,
        checkpoint_id: u64,
    ) -> Result<TwoPhaseCommitState<S::Transaction>, SinkError> {
        self.expect(&[Phase::Running, Phase::Finished], "snapshot")?;
        if self.last_snapshot.is_some_and(|last| checkpoint_id <= last) {
            return Err(SinkError::Lifecycle {
                call: "snapshot of a checkpoint id not above the previous one",
                phase: self.phase.name(),
            });
        }
        let mut txn = self.current.take().ok_or(SinkError::Lifecycle {
            call: "snapshot",
            phase: "without an open transaction",
        })?;
        if let Err(e) = self.sink.pre_commit(&mut txn) {
            self.current = Some(txn);
            return Err(e);
        }
        self.pending.insert(checkpoint_id, txn);
        self.last_snapshot = Some(checkpoint_id);
        let next = self.sink.begin_transaction()?;
        self.current = Some(next.clone());
        Ok(TwoPhaseCommitState {
            current: next,
            pending: self
                .pending
                .iter()
                .map(|(id, txn)| (*id, txn.clone()))
                .collect(),
        })
    }

    /// Checkpoint `checkpoint_id` completed: commits every pending transaction up to it,
    /// oldest first. On a failure the failed transaction and later ones stay pending.
    pub fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), SinkError> {
        self.expect(
            &[Phase::Running, Phase::Finished],
            "notify_checkpoint_complete",
        )?;
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > checkpoint_id {
                break;
            }
            self.sink.commit(entry.get())?;
            entry.remove();
        }
        Ok(())
    }

    /// Checkpoint `checkpoint_id` was aborted: its transaction stays pending, to be
    /// committed with the next checkpoint that completes (as Flink does).
    pub fn notify_checkpoint_aborted(&mut self, _checkpoint_id: u64) {}

    /// The input ended: no more writes. See the module documentation for what follows.
    pub fn finish(&mut self) -> Result<(), SinkError> {
        self.expect(&[Phase::Running], "finish")?;
        self.phase = Phase::Finished;
        if self.commit_on == CommitOn::EndOfInput {
            if let Some(txn) = self.current.as_mut() {
                self.sink.pre_commit(txn)?;
            }
            self.notify_checkpoint_complete(u64::MAX)?;
            if let Some(txn) = self.current.take() {
                self.sink.commit(&txn)?;
            }
            self.current = Some(self.sink.begin_transaction()?);
        }
        Ok(())
    }

    /// Aborts the open transaction; pending ones are left for recovery.
    pub fn close(&mut self) -> Result<(), SinkError> {
        if self.phase == Phase::Closed {
            return Ok(());
        }
        self.phase = Phase::Closed;
        match self.current.take() {
            Some(txn) => self.sink.abort(&txn),
            None => Ok(()),
        }
    }

    /// The ids of the checkpoints whose transactions await commit, oldest first.
    pub fn pending_checkpoints(&self) -> impl Iterator<Item = u64> + '_ {
        self.pending.keys().copied()
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    fn expect(&self, allowed: &[Phase], call: &'static str) -> Result<(), SinkError> {
        if allowed.contains(&self.phase) {
            Ok(())
        } else {
            Err(SinkError::Lifecycle {
                call,
                phase: self.phase.name(),
            })
        }
    }
}
