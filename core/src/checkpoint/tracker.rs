//! At-least-once barrier handling (Flink's `CheckpointBarrierTracker`): channels are never
//! blocked; a checkpoint is triggered when its last barrier arrives, so records that came
//! after a channel's barrier may be in the snapshot and replayed after a restore.
//!
//! Several checkpoints may be in progress at once, oldest first. When one completes, the
//! older ones are subsumed (they can no longer complete: every channel delivered a newer
//! barrier). A cancel marker aborts its checkpoint and every older one; the aborted entry
//! stays to absorb the rest of its barriers. An ended channel counts as having delivered
//! every barrier still awaited (checkpoints after tasks finish), or aborts all pending
//! checkpoints when that is disabled.

use std::collections::VecDeque;

use super::action::{AbortReason, Action, BarrierError, InFlight};
use super::barrier::CheckpointBarrier;
use super::channels::GateChannels;

/// How many incomplete checkpoints the tracker follows before dropping the oldest (Flink's
/// `MAX_CHECKPOINTS_TO_TRACK`).
pub const MAX_PENDING_CHECKPOINTS: usize = 50;

/// A checkpoint some but not all of whose barriers arrived.
#[derive(Debug, Clone)]
struct BarrierCount {
    id: u64,
    /// The barrier to trigger with (absent for an entry started by a cancel or abort).
    barrier: Option<CheckpointBarrier>,
    seen: Vec<bool>,
    aborted: bool,
}

/// The at-least-once barrier handler of one input gate.
#[derive(Debug, Clone)]
pub struct CheckpointBarrierTracker {
    channels: GateChannels,
    after_finish: bool,
    /// Incomplete checkpoints in increasing id.
    pending: VecDeque<BarrierCount>,
    /// The newest checkpoint that got an entry.
    latest_id: Option<u64>,
}

impl CheckpointBarrierTracker {
    /// A tracker over `channels` channels; `after_finish` as for the exactly-once handler.
    pub fn new(channels: usize, after_finish: bool) -> Self {
        Self {
            channels: GateChannels::new(channels),
            after_finish,
            pending: VecDeque::with_capacity(MAX_PENDING_CHECKPOINTS + 1),
            latest_id: None,
        }
    }

    /// The ids of the checkpoints in progress (aborted ones still absorbing barriers
    /// included), oldest first.
    pub fn pending_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.pending.iter().map(|p| p.id)
    }

    /// The newest checkpoint id seen.
    pub fn latest_checkpoint_id(&self) -> Option<u64> {
        self.latest_id
    }

    /// Channel `ch` delivered `barrier`.
    pub fn on_barrier(
        &mut self,
        ch: usize,
        barrier: CheckpointBarrier,
    ) -> Result<Vec<Action>, BarrierError> {
        self.channels.check_barrier(ch, barrier.id)?;
        self.channels.record_barrier(ch, barrier.id);
        let mut out = Vec::new();
        if let Some(pos) = self.pending.iter().position(|p| p.id == barrier.id) {
            self.pending[pos].seen[ch] = true;
            if self.is_complete(pos) {
                self.complete(pos, &mut out);
            }
        } else if self.latest_id.is_none_or(|latest| latest < barrier.id) {
            self.latest_id = Some(barrier.id);
            let mut seen = vec![false; self.channels.len()];
            seen[ch] = true;
            self.pending.push_back(BarrierCount {
                id: barrier.id,
                barrier: Some(barrier),
                seen,
                aborted: false,
            });
            let newest = self.pending.len() - 1;
            if self.is_complete(newest) {
                self.complete(newest, &mut out);
            } else {
                self.limit(&mut out);
            }
        }
        // Otherwise an older checkpoint that can no longer complete here: ignored.
        Ok(out)
    }

    /// Channel `ch` delivered a cancel marker for checkpoint `id`.
    pub fn on_cancel(&mut self, ch: usize, id: u64) -> Result<Vec<Action>, BarrierError> {
        self.channels.check_open(ch, "a cancel marker")?;
        let mut out = Vec::new();
        while self.pending.front().is_some_and(|p| p.id < id) {
            if let Some(older) = self.pending.pop_front() {
                abort_once(&older, AbortReason::Subsumed, &mut out);
            }
        }
        if self.pending.front().is_some_and(|p| p.id == id) {
            let front = &mut self.pending[0];
            abort_once(front, AbortReason::CancelMarker, &mut out);
            front.aborted = true;
            front.seen[ch] = true;
            if self.is_complete(0) {
                self.pending.pop_front();
            }
        } else if self.latest_id.is_none_or(|latest| latest < id) {
            self.latest_id = Some(id);
            out.push(Action::Abort {
                id,
                reason: AbortReason::CancelMarker,
            });
            let mut seen = vec![false; self.channels.len()];
            seen[ch] = true;
            self.pending.push_front(BarrierCount {
                id,
                barrier: None,
                seen,
                aborted: true,
            });
            if self.is_complete(0) {
                self.pending.pop_front();
            }
        }
        Ok(out)
    }

    /// The task aborts checkpoint `id`; its barriers still to come are absorbed.
    pub fn abort(&mut self, id: u64, reason: AbortReason) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(entry) = self.pending.iter_mut().find(|p| p.id == id) {
            abort_once(entry, reason, &mut out);
            entry.aborted = true;
        } else if self.latest_id.is_none_or(|latest| latest < id) {
            self.latest_id = Some(id);
            out.push(Action::Abort { id, reason });
            self.pending.push_back(BarrierCount {
                id,
                barrier: None,
                seen: vec![false; self.channels.len()],
                aborted: true,
            });
            self.limit(&mut out);
        }
        out
    }

    /// Channel `ch` ended.
    pub fn on_end_of_partition(&mut self, ch: usize) -> Result<Vec<Action>, BarrierError> {
        self.channels.end(ch)?;
        let mut out = Vec::new();
        if !self.after_finish {
            while let Some(entry) = self.pending.pop_front() {
                abort_once(&entry, AbortReason::InputEndOfStream, &mut out);
            }
            return Ok(out);
        }
        // The newest checkpoint the end completes; older ones are subsumed by it.
        if let Some(pos) = (0..self.pending.len())
            .rev()
            .find(|&pos| self.is_complete(pos))
        {
            self.complete(pos, &mut out);
        }
        Ok(out)
    }

    /// A buffer is about to be read from `ch`: always processed, never persisted.
    pub fn on_buffer(&mut self, ch: usize) -> Result<InFlight, BarrierError> {
        self.channels.check_open(ch, "a buffer")?;
        Ok(InFlight::Process)
    }

    fn is_complete(&self, pos: usize) -> bool {
        let entry = &self.pending[pos];
        (0..entry.seen.len()).all(|ch| entry.seen[ch] || self.channels.is_ended(ch))
    }

    /// Entry `pos` has all its barriers: it is triggered (unless aborted) and it and the
    /// older ones leave.
    fn complete(&mut self, pos: usize, out: &mut Vec<Action>) {
        for _ in 0..pos {
            if let Some(older) = self.pending.pop_front() {
                abort_once(&older, AbortReason::Subsumed, out);
            }
        }
        let Some(entry) = self.pending.pop_front() else {
            return;
        };
        if let (false, Some(barrier)) = (entry.aborted, entry.barrier) {
            out.push(Action::TriggerCheckpoint(barrier));
            out.push(Action::Complete(entry.id));
        }
    }

    /// Drops the oldest entries beyond [`MAX_PENDING_CHECKPOINTS`].
    fn limit(&mut self, out: &mut Vec<Action>) {
        while self.pending.len() > MAX_PENDING_CHECKPOINTS {
            if let Some(oldest) = self.pending.pop_front() {
                abort_once(&oldest, AbortReason::TooManyPending, out);
            }
        }
    }
}

/// Reports the abort of `entry` unless it was aborted before.
fn abort_once(entry: &BarrierCount, reason: AbortReason, out: &mut Vec<Action>) {
    if !entry.aborted {
        out.push(Action::Abort {
            id: entry.id,
            reason,
        });
    }
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
