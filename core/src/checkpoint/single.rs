//! Exactly-once barrier handling: one checkpoint at a time (Flink's
//! `SingleCheckpointBarrierHandler` with its `BarrierHandlerState`s).
//!
//! Transitions (`first`: the first barrier of a checkpoint newer than any seen; `last`:
//! the barrier, or end of partition, that leaves no open channel without the barrier):
//!
//! ```text
//! aligned only (unaligned checkpoints disabled)
//!   WaitingForFirstBarrier --first--> CollectingBarriers            Block(ch)
//!   CollectingBarriers --barrier--> CollectingBarriers              Block(ch)
//!   CollectingBarriers --last--> WaitingForFirstBarrier             Trigger, Unblock*, Complete
//!
//! unaligned checkpoints enabled (alternating)
//!   AlternatingWaitingForFirstBarrier --first aligned--> AlternatingCollectingBarriers
//!                                                                   Block(ch)
//!   AlternatingWaitingForFirstBarrier --first unaligned, or aligned and past its timeout-->
//!       AlternatingCollectingBarriersUnaligned                      Trigger(unaligned), Persist*
//!   AlternatingCollectingBarriers --barrier--> (same)               Block(ch)
//!   AlternatingCollectingBarriers --last--> AlternatingWaitingForFirstBarrier
//!                                                                   Trigger, Unblock*, Complete
//!   AlternatingCollectingBarriers --timeout (tick or barrier), or an unaligned barrier-->
//!       AlternatingCollectingBarriersUnaligned                      Trigger(unaligned), Persist*, Unblock*
//!   AlternatingCollectingBarriersUnaligned --barrier--> (same)      StopPersisting(ch)
//!   AlternatingCollectingBarriersUnaligned --last--> AlternatingWaitingForFirstBarrier
//!                                                                   StopPersisting(ch), Complete
//!
//! any collecting state
//!   --barrier of a newer checkpoint--> Abort(Subsumed), then `first` of the newer one
//!   --cancel marker or task abort of the pending or a newer id--> waiting   Unblock*, StopPersisting*, Abort
//!   --end of partition--> as a barrier of that channel (Flink's checkpoints after tasks
//!     finish), or Abort(InputEndOfStream) with that disabled
//! ```
//!
//! Flink's `AlternatingWaitingForFirstBarrierUnaligned` is only passed through here:
//! without barrier announcements nothing happens between its entry and the barrier that
//! leads on. Unlike Flink, switching to unaligned unblocks the channels blocked so far:
//! what follows their barriers belongs after the snapshot just taken, and Flink keeps them
//! blocked only because its network stopped their producers.
//!
//! Barriers older than the newest checkpoint seen, or of a checkpoint already completed or
//! aborted, are ignored, as in Flink.

use super::action::{AbortReason, Action, BarrierError, InFlight};
use super::barrier::CheckpointBarrier;
use super::channels::GateChannels;

/// Where the exactly-once handler is, named after Flink's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierHandlerState {
    /// Aligned only; no checkpoint in progress.
    WaitingForFirstBarrier,
    /// Aligned only; this checkpoint's barriers are arriving, their channels blocked.
    CollectingBarriers(CheckpointBarrier),
    /// Unaligned enabled; no checkpoint in progress.
    AlternatingWaitingForFirstBarrier,
    /// Unaligned enabled; this aligned checkpoint's barriers are arriving, their channels
    /// blocked, until all arrive or the alignment timeout switches it to unaligned.
    AlternatingCollectingBarriers(CheckpointBarrier),
    /// Unaligned enabled; this checkpoint is taken and the channels without its barrier
    /// are being persisted until it arrives.
    AlternatingCollectingBarriersUnaligned(CheckpointBarrier),
}

impl BarrierHandlerState {
    /// The checkpoint in progress, if any.
    pub fn pending(&self) -> Option<&CheckpointBarrier> {
        match self {
            Self::WaitingForFirstBarrier | Self::AlternatingWaitingForFirstBarrier => None,
            Self::CollectingBarriers(b)
            | Self::AlternatingCollectingBarriers(b)
            | Self::AlternatingCollectingBarriersUnaligned(b) => Some(b),
        }
    }
}

/// The exactly-once barrier handler of one input gate.
#[derive(Debug, Clone)]
pub struct SingleCheckpointBarrierHandler {
    channels: GateChannels,
    /// Unaligned checkpoints enabled: the `Alternating*` states.
    alternating: bool,
    /// An ended channel counts as aligned instead of aborting the checkpoint.
    after_finish: bool,
    state: BarrierHandlerState,
    /// The newest checkpoint seen in a barrier, cancel marker or abort (Flink's
    /// `currentCheckpointId`); older barriers are ignored.
    current_id: Option<u64>,
    /// Per channel: its barrier of the pending checkpoint arrived.
    arrived: Vec<bool>,
    /// Per channel: blocked for alignment.
    blocked: Vec<bool>,
    /// Per channel: its in-flight data is being persisted.
    persisting: Vec<bool>,
    /// Bytes of in-flight data persisted for the pending checkpoint.
    persisted_bytes: u64,
}

impl SingleCheckpointBarrierHandler {
    /// A handler over `channels` channels; `unaligned_enabled` is
    /// `execution.checkpointing.unaligned.enabled`, `after_finish` is Flink's
    /// `execution.checkpointing.checkpoints-after-tasks-finish`.
    pub fn new(channels: usize, unaligned_enabled: bool, after_finish: bool) -> Self {
        Self {
            channels: GateChannels::new(channels),
            alternating: unaligned_enabled,
            after_finish,
            state: Self::waiting(unaligned_enabled),
            current_id: None,
            arrived: vec![false; channels],
            blocked: vec![false; channels],
            persisting: vec![false; channels],
            persisted_bytes: 0,
        }
    }

    fn waiting(alternating: bool) -> BarrierHandlerState {
        if alternating {
            BarrierHandlerState::AlternatingWaitingForFirstBarrier
        } else {
            BarrierHandlerState::WaitingForFirstBarrier
        }
    }

    /// Where the handler is.
    pub fn state(&self) -> &BarrierHandlerState {
        &self.state
    }

    /// The newest checkpoint id seen.
    pub fn latest_checkpoint_id(&self) -> Option<u64> {
        self.current_id
    }

    /// Whether `ch` is blocked for alignment.
    pub fn is_blocked(&self, ch: usize) -> bool {
        self.blocked.get(ch).copied().unwrap_or(false)
    }

    /// Whether `ch`'s in-flight data is being persisted.
    pub fn is_persisting(&self, ch: usize) -> bool {
        self.persisting.get(ch).copied().unwrap_or(false)
    }

    /// Bytes of in-flight data persisted for the pending (or last) checkpoint.
    pub fn persisted_bytes(&self) -> u64 {
        self.persisted_bytes
    }

    /// When [`on_tick`](Self::on_tick) should be called next: the alignment deadline of
    /// the pending aligned checkpoint, if it has one.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        match &self.state {
            BarrierHandlerState::AlternatingCollectingBarriers(b) => b.alignment_deadline_ms(),
            _ => None,
        }
    }

    /// Channel `ch` delivered `barrier` at `now_ms`.
    pub fn on_barrier(
        &mut self,
        ch: usize,
        barrier: CheckpointBarrier,
        now_ms: i64,
    ) -> Result<Vec<Action>, BarrierError> {
        self.channels.check_barrier(ch, barrier.id)?;
        if !self.alternating && barrier.options.is_unaligned() {
            return Err(BarrierError::UnalignedDisabled {
                channel: ch,
                id: barrier.id,
            });
        }
        self.channels.record_barrier(ch, barrier.id);
        let mut out = Vec::new();
        let pending_id = self.state.pending().map(|b| b.id);
        if let Some(current) = self.current_id {
            if barrier.id < current || (barrier.id == current && pending_id.is_none()) {
                return Ok(out);
            }
        }
        if pending_id.is_some_and(|p| p < barrier.id) {
            self.abort_pending(AbortReason::Subsumed, &mut out);
        }
        if self.state.pending().is_none() {
            self.current_id = Some(barrier.id);
            self.persisted_bytes = 0;
            self.state = if self.alternating {
                BarrierHandlerState::AlternatingCollectingBarriers(barrier)
            } else {
                BarrierHandlerState::CollectingBarriers(barrier)
            };
        }
        self.arrived[ch] = true;
        match self.state {
            BarrierHandlerState::AlternatingCollectingBarriers(pending) => {
                if barrier.options.is_unaligned() {
                    // Upstream switched already: snapshot now.
                    self.switch_to_unaligned(pending, &mut out);
                    self.finish_if_aligned(&mut out);
                } else if !self.all_arrived() && self.timed_out(&pending, now_ms) {
                    // The barrier comes after the deadline (the tick had not fired yet).
                    self.switch_to_unaligned(pending, &mut out);
                } else {
                    self.block_unless_last(ch, &mut out);
                }
            }
            BarrierHandlerState::CollectingBarriers(_) => self.block_unless_last(ch, &mut out),
            BarrierHandlerState::AlternatingCollectingBarriersUnaligned(pending) => {
                self.stop_persisting(ch, pending.id, &mut out);
                self.finish_if_aligned(&mut out);
            }
            BarrierHandlerState::WaitingForFirstBarrier
            | BarrierHandlerState::AlternatingWaitingForFirstBarrier => {
                debug_assert!(false, "a checkpoint is pending after its barrier");
            }
        }
        Ok(out)
    }

    /// Channel `ch` delivered a cancel marker for checkpoint `id` (an upstream task
    /// declined it).
    pub fn on_cancel(&mut self, ch: usize, id: u64) -> Result<Vec<Action>, BarrierError> {
        self.channels.check_open(ch, "a cancel marker")?;
        Ok(self.abort_id(id, AbortReason::CancelMarker))
    }

    /// The task aborts checkpoint `id` (its snapshot failed, or the coordinator said so);
    /// a newer id also makes its barriers ignored when they come.
    pub fn abort(&mut self, id: u64, reason: AbortReason) -> Vec<Action> {
        self.abort_id(id, reason)
    }

    /// Channel `ch` ended: nothing follows on it.
    pub fn on_end_of_partition(&mut self, ch: usize) -> Result<Vec<Action>, BarrierError> {
        self.channels.end(ch)?;
        let mut out = Vec::new();
        let Some(pending) = self.state.pending().copied() else {
            return Ok(out);
        };
        if !self.after_finish {
            self.abort_pending(AbortReason::InputEndOfStream, &mut out);
            return Ok(out);
        }
        // The channel will never deliver the barrier: it counts as aligned.
        if self.blocked[ch] {
            self.blocked[ch] = false;
            out.push(Action::Unblock(ch));
        }
        self.stop_persisting(ch, pending.id, &mut out);
        self.finish_if_aligned(&mut out);
        Ok(out)
    }

    /// A buffer of `len_bytes` is about to be read from channel `ch`.
    pub fn on_buffer(&mut self, ch: usize, len_bytes: usize) -> Result<InFlight, BarrierError> {
        self.channels.check_open(ch, "a buffer")?;
        let pending = self.state.pending().map(|b| b.id);
        match pending {
            Some(id) if self.blocked[ch] => {
                Err(BarrierError::ReadFromBlockedChannel { channel: ch, id })
            }
            Some(checkpoint_id) if self.persisting[ch] => {
                self.persisted_bytes = self.persisted_bytes.saturating_add(len_bytes as u64);
                Ok(InFlight::Persist { checkpoint_id })
            }
            _ => Ok(InFlight::Process),
        }
    }

    /// Time passed: an aligned checkpoint past its timeout switches to unaligned.
    pub fn on_tick(&mut self, now_ms: i64) -> Vec<Action> {
        let mut out = Vec::new();
        if let BarrierHandlerState::AlternatingCollectingBarriers(pending) = self.state {
            if self.timed_out(&pending, now_ms) {
                self.switch_to_unaligned(pending, &mut out);
            }
        }
        out
    }

    /// Alignment of `pending` has taken its timeout, measured from the checkpoint's start.
    fn timed_out(&self, pending: &CheckpointBarrier, now_ms: i64) -> bool {
        self.alternating
            && pending
                .alignment_deadline_ms()
                .is_some_and(|deadline| now_ms >= deadline)
    }

    fn all_arrived(&self) -> bool {
        (0..self.arrived.len()).all(|ch| self.arrived[ch] || self.channels.is_ended(ch))
    }

    /// In an aligned state after `ch`'s barrier: finish if it was the last, else block it.
    fn block_unless_last(&mut self, ch: usize, out: &mut Vec<Action>) {
        if self.all_arrived() {
            self.finish_if_aligned(out);
        } else {
            debug_assert!(!self.blocked[ch]);
            self.blocked[ch] = true;
            out.push(Action::Block(ch));
        }
    }

    /// The snapshot of `pending` is taken now, unaligned: channels still without the
    /// barrier are persisted from here, blocked ones are read again.
    fn switch_to_unaligned(&mut self, pending: CheckpointBarrier, out: &mut Vec<Action>) {
        let unaligned = pending.as_unaligned();
        out.push(Action::TriggerCheckpoint(unaligned));
        for ch in 0..self.arrived.len() {
            if !self.arrived[ch] && !self.channels.is_ended(ch) {
                self.persisting[ch] = true;
                out.push(Action::PersistInFlight {
                    channel: ch,
                    checkpoint_id: pending.id,
                });
            }
        }
        self.unblock_all(out);
        self.state = BarrierHandlerState::AlternatingCollectingBarriersUnaligned(unaligned);
    }

    fn stop_persisting(&mut self, ch: usize, checkpoint_id: u64, out: &mut Vec<Action>) {
        if self.persisting[ch] {
            self.persisting[ch] = false;
            out.push(Action::StopPersisting {
                channel: ch,
                checkpoint_id,
            });
        }
    }

    fn unblock_all(&mut self, out: &mut Vec<Action>) {
        for ch in 0..self.blocked.len() {
            if self.blocked[ch] {
                self.blocked[ch] = false;
                out.push(Action::Unblock(ch));
            }
        }
    }

    /// Completes the pending checkpoint if every open channel delivered its barrier; an
    /// aligned one is triggered here.
    fn finish_if_aligned(&mut self, out: &mut Vec<Action>) {
        let Some(pending) = self.state.pending().copied() else {
            return;
        };
        if !self.all_arrived() {
            return;
        }
        if !matches!(
            self.state,
            BarrierHandlerState::AlternatingCollectingBarriersUnaligned(_)
        ) {
            out.push(Action::TriggerCheckpoint(pending));
        }
        self.unblock_all(out);
        debug_assert!(
            self.persisting.iter().all(|p| !p),
            "every channel arrived or ended"
        );
        out.push(Action::Complete(pending.id));
        self.reset();
    }

    /// Aborts `id` if it is pending or newer than any seen; later barriers of it are
    /// ignored.
    fn abort_id(&mut self, id: u64, reason: AbortReason) -> Vec<Action> {
        let mut out = Vec::new();
        let pending_id = self.state.pending().map(|b| b.id);
        match (pending_id, self.current_id) {
            (Some(p), _) if p == id => self.abort_pending(reason, &mut out),
            (_, Some(current)) if id <= current => {}
            _ => {
                if pending_id.is_some() {
                    self.abort_pending(AbortReason::Subsumed, &mut out);
                }
                self.current_id = Some(id);
                out.push(Action::Abort { id, reason });
            }
        }
        out
    }

    fn abort_pending(&mut self, reason: AbortReason, out: &mut Vec<Action>) {
        let Some(pending) = self.state.pending().copied() else {
            return;
        };
        self.unblock_all(out);
        for ch in 0..self.persisting.len() {
            self.stop_persisting(ch, pending.id, out);
        }
        out.push(Action::Abort {
            id: pending.id,
            reason,
        });
        self.reset();
    }

    fn reset(&mut self) {
        debug_assert!(self.blocked.iter().all(|b| !b));
        debug_assert!(self.persisting.iter().all(|p| !p));
        self.arrived.fill(false);
        self.state = Self::waiting(self.alternating);
    }
}

#[cfg(test)]
#[path = "single_tests.rs"]
mod tests;
