//! What the checkpoint coordinator's thread and a job's tasks tell each other: barriers
//! for the sources to inject, completed checkpoints for the sinks to commit, the end of
//! the job (every task finished), one way; acknowledgements with the tasks' state,
//! declines and "finished", the other.
//!
//! The task side only reads atomics between batches and buffers; a lock is taken only
//! when a new barrier is there.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use super::barrier::CheckpointBarrier;
use super::storage::TaskState;

/// Shared by the coordinator's thread and every task of one run of a job.
#[derive(Debug, Default)]
pub struct CheckpointSignals {
    /// Barriers issued and not yet completed or aborted, in id order.
    issued: Mutex<Vec<CheckpointBarrier>>,
    /// The highest id issued (0: none).
    latest_issued: AtomicU64,
    /// The highest completed checkpoint id (0: none).
    completed: AtomicU64,
    /// Every task has finished its input: commit what is left and end.
    job_finished: AtomicBool,
}

impl CheckpointSignals {
    /// Issues `barrier` for the sources to inject.
    pub fn issue(&self, barrier: CheckpointBarrier) {
        if let Ok(mut issued) = self.issued.lock() {
            issued.push(barrier);
        }
        self.latest_issued.fetch_max(barrier.id, Ordering::Release);
    }

    /// The oldest issued barrier after `id` that is still pending, if any (lock-free when
    /// none was issued after `id`).
    pub fn barrier_after(&self, id: u64) -> Option<CheckpointBarrier> {
        if self.latest_issued.load(Ordering::Acquire) <= id {
            return None;
        }
        let issued = self.issued.lock().ok()?;
        issued.iter().find(|b| b.id > id).copied()
    }

    /// Checkpoint `id` is over (completed or aborted): sources that have not injected its
    /// barrier yet skip it.
    pub fn retire(&self, id: u64) {
        if let Ok(mut issued) = self.issued.lock() {
            issued.retain(|b| b.id != id);
        }
    }

    /// Checkpoint `id` completed.
    pub fn complete(&self, id: u64) {
        self.retire(id);
        self.completed.fetch_max(id, Ordering::Release);
    }

    /// The highest completed checkpoint id (0: none).
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::Acquire)
    }

    /// Every task finished: the tasks waiting for it commit and end.
    pub fn finish_job(&self) {
        self.job_finished.store(true, Ordering::Release);
    }

    /// Whether every task has finished.
    pub fn job_finished(&self) -> bool {
        self.job_finished.load(Ordering::Acquire)
    }
}

/// A message from a task to the coordinator's thread.
#[derive(Debug)]
pub enum TaskMessage {
    /// The task took its snapshot for checkpoint `id`; the thread writes `state` (the
    /// asynchronous part) and acknowledges it.
    Ack {
        /// The task's index in the job.
        task: usize,
        /// The checkpoint.
        id: u64,
        /// What the task's operators snapshotted.
        state: TaskState,
        /// How long the synchronous part of the snapshot stopped the task, microseconds.
        sync_micros: u64,
    },
    /// The task could not take its snapshot for checkpoint `id`.
    Decline {
        /// The task's index in the job.
        task: usize,
        /// The checkpoint.
        id: u64,
        /// Why.
        reason: String,
    },
    /// The task processed all of its input.
    Finished {
        /// The task's index in the job.
        task: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::CheckpointOptions;

    #[test]
    fn sources_see_each_pending_barrier_once_in_order_and_skip_retired_ones() {
        let s = CheckpointSignals::default();
        assert_eq!(s.barrier_after(0), None);
        let b = |id| CheckpointBarrier::new(id, id as i64 * 10, CheckpointOptions::aligned());
        s.issue(b(1));
        s.issue(b(2));
        s.issue(b(3));
        assert_eq!(s.barrier_after(0), Some(b(1)));
        assert_eq!(s.barrier_after(1), Some(b(2)));
        s.retire(2);
        assert_eq!(
            s.barrier_after(1),
            Some(b(3)),
            "an aborted barrier is skipped"
        );
        s.complete(3);
        assert_eq!(s.barrier_after(1), None);
        assert_eq!(s.completed(), 3);
        s.complete(1);
        assert_eq!(s.completed(), 3, "completion never goes back");
        assert!(!s.job_finished());
        s.finish_job();
        assert!(s.job_finished());
    }
}
