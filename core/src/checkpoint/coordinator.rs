//! The checkpoint coordinator (Flink's `CheckpointCoordinator`), as an I/O-free state
//! machine: it decides when checkpoints start, collects the acknowledgements of the
//! job's tasks, completes, aborts and retires checkpoints, and fails the job when too
//! many fail in a row. The caller feeds it time and task messages and carries out the
//! [`Action`]s it returns: injecting barriers at the sources, writing the metadata of a
//! completed checkpoint, telling tasks to commit, deleting retired checkpoints.
//!
//! Rules, as Flink's:
//! - A periodic checkpoint starts an interval after the previous one started, when fewer
//!   than `max-concurrent-checkpoints` are pending and at least `min-pause` has passed since
//!   the last one completed (with a pause, one at a time).
//! - A checkpoint completes when every task has acknowledged it. It subsumes the pending
//!   checkpoints started before it: they are aborted without counting as failures.
//! - A checkpoint that a task declines, or that is still pending `timeout` after it
//!   started, is aborted and counts as a failure; a completed one resets the count. More
//!   than `tolerable-failed-checkpoints` failures in a row fail the job.
//! - The last `num-retained` completed checkpoints are kept; older ones are retired.
//! - A savepoint starts on request, outside these limits, and is never retired.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use crate::config::fault_tolerance::CheckpointSettings;

/// Identifies a task of the job (any dense numbering chosen by the caller).
pub type TaskIndex = usize;

/// What a checkpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointKind {
    /// Periodic, retained by count, deleted when the job ends unless externalized.
    Checkpoint,
    /// Requested, always aligned, kept until the user deletes it.
    Savepoint,
}

/// What the caller must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start checkpoint `id`: the sources inject its barrier, stamped `timestamp_ms`.
    Trigger {
        /// The checkpoint id (increasing from 1).
        id: u64,
        /// When it started.
        timestamp_ms: u64,
        /// Checkpoint or savepoint.
        kind: CheckpointKind,
    },
    /// Every task acknowledged `id`: write its metadata (making it visible), then tell the
    /// tasks it completed (two-phase-commit sinks commit).
    Complete {
        /// The checkpoint id.
        id: u64,
        /// Checkpoint or savepoint.
        kind: CheckpointKind,
    },
    /// Checkpoint `id` is abandoned: tasks drop what they hold for it.
    Abort {
        /// The checkpoint id.
        id: u64,
        /// Why, for logs and errors.
        reason: AbortReason,
    },
    /// Completed checkpoint `id` is no longer retained: delete its files.
    Retire {
        /// The checkpoint id.
        id: u64,
    },
    /// Too many checkpoints failed in a row: fail the job (it may then restart).
    FailJob {
        /// How many failed in a row.
        failures: u32,
        /// The last failure.
        last: AbortReason,
    },
}

/// Why a checkpoint was abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbortReason {
    /// It was still pending `timeout` after it started.
    Expired,
    /// A task declined it (its snapshot failed, or it saw a newer barrier first).
    Declined {
        /// The task.
        task: TaskIndex,
        /// The task's reason.
        reason: String,
    },
    /// A later checkpoint completed first.
    Subsumed,
    /// The job is ending or restarting.
    JobEnding,
}

impl AbortReason {
    /// Whether it counts towards `tolerable-failed-checkpoints`.
    fn is_failure(&self) -> bool {
        matches!(self, AbortReason::Expired | AbortReason::Declined { .. })
    }
}

/// Why a message from a task was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoordinatorError {
    /// The task index is not one of the job's.
    #[error("task {task} is not one of the job's {tasks} tasks")]
    UnknownTask {
        /// The index given.
        task: TaskIndex,
        /// The job's task count.
        tasks: usize,
    },
    /// A savepoint was requested while one is pending.
    #[error("savepoint {0} is still in progress")]
    SavepointPending(u64),
}

#[derive(Debug, Clone)]
struct Pending {
    started_ms: u64,
    kind: CheckpointKind,
    waiting: BTreeSet<TaskIndex>,
}

/// The checkpoint coordinator of one job (see the module).
#[derive(Debug, Clone)]
pub struct Coordinator {
    settings: CheckpointSettings,
    tasks: usize,
    next_id: u64,
    pending: BTreeMap<u64, Pending>,
    /// When the last periodic checkpoint started.
    last_trigger_ms: Option<u64>,
    /// When the last checkpoint completed.
    last_completion_ms: Option<u64>,
    failures: u32,
    retained: VecDeque<u64>,
    completed: u64,
    failed: bool,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Coordinator {
    /// A coordinator for a job of `tasks` tasks (every one acknowledges each checkpoint),
    /// whose first checkpoint has id `first_id` (after a restore: the restored id + 1).
    pub fn new(settings: CheckpointSettings, tasks: usize, first_id: u64) -> Self {
        Self {
            settings,
            tasks,
            next_id: first_id.max(1),
            pending: BTreeMap::new(),
            last_trigger_ms: None,
            last_completion_ms: None,
            failures: 0,
            retained: VecDeque::new(),
            completed: 0,
            failed: false,
        }
    }

    /// The settings followed.
    pub fn settings(&self) -> &CheckpointSettings {
        &self.settings
    }

    /// Checkpoints and savepoints in progress, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = u64> + '_ {
        self.pending.keys().copied()
    }

    /// Completed checkpoints still retained, oldest first.
    pub fn retained(&self) -> impl Iterator<Item = u64> + '_ {
        self.retained.iter().copied()
    }

    /// Checkpoints and savepoints completed so far.
    pub fn completed_count(&self) -> u64 {
        self.completed
    }

    fn periodic_pending(&self) -> usize {
        self.pending
            .values()
            .filter(|p| p.kind == CheckpointKind::Checkpoint)
            .count()
    }

    /// When the next periodic checkpoint may start (the caller's next wake-up, together
    /// with [`Coordinator::next_expiry`]).
    pub fn next_trigger_ms(&self) -> Option<u64> {
        if self.failed || self.periodic_pending() >= self.settings.max_concurrent as usize {
            return None;
        }
        let pause = ms(self.settings.min_pause);
        if pause > 0 && self.periodic_pending() > 0 {
            return None; // with a pause, one at a time
        }
        let by_interval = self
            .last_trigger_ms
            .map_or(0, |t| t.saturating_add(ms(self.settings.interval)));
        let by_pause = match self.last_completion_ms {
            Some(t) if pause > 0 => t.saturating_add(pause),
            _ => 0,
        };
        Some(by_interval.max(by_pause))
    }

    /// When the oldest pending checkpoint expires.
    pub fn next_expiry(&self) -> Option<u64> {
        self.pending
            .values()
            .map(|p| p.started_ms.saturating_add(ms(self.settings.timeout)))
            .min()
    }

    /// Time passed: expired checkpoints are aborted and a due checkpoint starts.
    pub fn poll(&mut self, now_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let timeout = ms(self.settings.timeout);
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| now_ms.saturating_sub(p.started_ms) >= timeout)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.abort(id, AbortReason::Expired, &mut out);
        }
        if self.next_trigger_ms().is_some_and(|t| t <= now_ms) {
            let id = self.start(now_ms, CheckpointKind::Checkpoint);
            self.last_trigger_ms = Some(now_ms);
            out.push(Action::Trigger {
                id,
                timestamp_ms: now_ms,
                kind: CheckpointKind::Checkpoint,
            });
        }
        out
    }

    /// A savepoint is requested: it starts now, whatever the periodic limits.
    pub fn trigger_savepoint(&mut self, now_ms: u64) -> Result<Action, CoordinatorError> {
        if let Some((id, _)) = self
            .pending
            .iter()
            .find(|(_, p)| p.kind == CheckpointKind::Savepoint)
        {
            return Err(CoordinatorError::SavepointPending(*id));
        }
        let id = self.start(now_ms, CheckpointKind::Savepoint);
        Ok(Action::Trigger {
            id,
            timestamp_ms: now_ms,
            kind: CheckpointKind::Savepoint,
        })
    }

    fn start(&mut self, now_ms: u64, kind: CheckpointKind) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(
            id,
            Pending {
                started_ms: now_ms,
                kind,
                waiting: (0..self.tasks).collect(),
            },
        );
        id
    }

    fn check_task(&self, task: TaskIndex) -> Result<(), CoordinatorError> {
        if task < self.tasks {
            Ok(())
        } else {
            Err(CoordinatorError::UnknownTask {
                task,
                tasks: self.tasks,
            })
        }
    }

    /// Task `task` acknowledged checkpoint `id` (its snapshot is durable). An
    /// acknowledgement for a checkpoint no longer pending is ignored, as in Flink.
    pub fn on_ack(
        &mut self,
        id: u64,
        task: TaskIndex,
        now_ms: u64,
    ) -> Result<Vec<Action>, CoordinatorError> {
        self.check_task(task)?;
        let mut out = Vec::new();
        let Some(p) = self.pending.get_mut(&id) else {
            return Ok(out);
        };
        p.waiting.remove(&task);
        if !p.waiting.is_empty() {
            return Ok(out);
        }
        let kind = p.kind;
        self.pending.remove(&id);
        self.completed += 1;
        self.failures = 0;
        self.last_completion_ms = Some(now_ms);
        out.push(Action::Complete { id, kind });
        // Earlier periodic checkpoints are subsumed (a pending savepoint still completes).
        let older: Vec<u64> = self
            .pending
            .range(..id)
            .filter(|(_, p)| p.kind == CheckpointKind::Checkpoint)
            .map(|(i, _)| *i)
            .collect();
        for old in older {
            self.abort(old, AbortReason::Subsumed, &mut out);
        }
        if kind == CheckpointKind::Checkpoint {
            self.retained.push_back(id);
            while self.retained.len() > self.settings.num_retained as usize {
                if let Some(gone) = self.retained.pop_front() {
                    out.push(Action::Retire { id: gone });
                }
            }
        }
        Ok(out)
    }

    /// Task `task` declined checkpoint `id`.
    pub fn on_decline(
        &mut self,
        id: u64,
        task: TaskIndex,
        reason: String,
    ) -> Result<Vec<Action>, CoordinatorError> {
        self.check_task(task)?;
        let mut out = Vec::new();
        if self.pending.contains_key(&id) {
            self.abort(id, AbortReason::Declined { task, reason }, &mut out);
        }
        Ok(out)
    }

    /// The job is ending or restarting: every pending checkpoint is aborted (not counted
    /// as failures). The coordinator of a restarted job starts anew from the restored
    /// checkpoint.
    pub fn abort_all(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        let ids: Vec<u64> = self.pending.keys().copied().collect();
        for id in ids {
            self.abort(id, AbortReason::JobEnding, &mut out);
        }
        out
    }

    fn abort(&mut self, id: u64, reason: AbortReason, out: &mut Vec<Action>) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let counts = reason.is_failure() && p.kind == CheckpointKind::Checkpoint;
        out.push(Action::Abort {
            id,
            reason: reason.clone(),
        });
        if counts {
            self.failures += 1;
            if self.failures > self.settings.tolerable_failures && !self.failed {
                self.failed = true;
                out.push(Action::FailJob {
                    failures: self.failures,
                    last: reason,
                });
            }
        }
    }
}

#[cfg(test)]
#[path = "coordinator_tests.rs"]
mod tests;
