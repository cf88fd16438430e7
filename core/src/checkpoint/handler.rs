//! The barrier handler of an input gate, chosen by the checkpointing mode: the
//! exactly-once [`SingleCheckpointBarrierHandler`] or the at-least-once
//! [`CheckpointBarrierTracker`], behind one set of inputs.

use super::action::{AbortReason, Action, BarrierError, InFlight};
use super::barrier::CheckpointBarrier;
use super::single::{BarrierHandlerState, SingleCheckpointBarrierHandler};
use super::tracker::CheckpointBarrierTracker;
pub use crate::config::fault_tolerance::CheckpointingMode;

/// What a task's barrier handler is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierHandlerConfig {
    /// `execution.checkpointing.mode`.
    pub mode: CheckpointingMode,
    /// `execution.checkpointing.unaligned.enabled` (exactly-once only).
    pub unaligned_enabled: bool,
    /// `execution.checkpointing.checkpoints-after-tasks-finish`: an ended channel counts
    /// as aligned rather than aborting the checkpoint in progress (Flink's default).
    pub checkpoints_after_tasks_finish: bool,
}

impl Default for BarrierHandlerConfig {
    /// Flink's defaults: exactly-once, aligned, checkpoints after tasks finish.
    fn default() -> Self {
        Self {
            mode: CheckpointingMode::ExactlyOnce,
            unaligned_enabled: false,
            checkpoints_after_tasks_finish: true,
        }
    }
}

/// The barrier handling of one input gate: fed what arrives on each channel and the time,
/// it returns what the task does, in order.
#[derive(Debug, Clone)]
pub enum CheckpointBarrierHandler {
    /// Exactly-once: one checkpoint at a time, aligned, unaligned or alternating.
    Single(SingleCheckpointBarrierHandler),
    /// At-least-once: barriers counted, channels never blocked.
    Tracker(CheckpointBarrierTracker),
}

impl CheckpointBarrierHandler {
    /// The handler `config` asks for, over `channels` channels.
    pub fn new(config: BarrierHandlerConfig, channels: usize) -> Self {
        let after_finish = config.checkpoints_after_tasks_finish;
        match config.mode {
            CheckpointingMode::ExactlyOnce => Self::Single(SingleCheckpointBarrierHandler::new(
                channels,
                config.unaligned_enabled,
                after_finish,
            )),
            CheckpointingMode::AtLeastOnce => {
                Self::Tracker(CheckpointBarrierTracker::new(channels, after_finish))
            }
        }
    }

    /// Channel `ch` delivered `barrier` at `now_ms`.
    pub fn on_barrier(
        &mut self,
        ch: usize,
        barrier: CheckpointBarrier,
        now_ms: i64,
    ) -> Result<Vec<Action>, BarrierError> {
        match self {
            Self::Single(h) => h.on_barrier(ch, barrier, now_ms),
            Self::Tracker(t) => t.on_barrier(ch, barrier),
        }
    }

    /// Channel `ch` delivered a cancel marker for checkpoint `id`.
    pub fn on_cancel(&mut self, ch: usize, id: u64) -> Result<Vec<Action>, BarrierError> {
        match self {
            Self::Single(h) => h.on_cancel(ch, id),
            Self::Tracker(t) => t.on_cancel(ch, id),
        }
    }

    /// Channel `ch` ended.
    pub fn on_end_of_partition(&mut self, ch: usize) -> Result<Vec<Action>, BarrierError> {
        match self {
            Self::Single(h) => h.on_end_of_partition(ch),
            Self::Tracker(t) => t.on_end_of_partition(ch),
        }
    }

    /// A buffer of `len_bytes` is about to be read from channel `ch`: whether to persist
    /// it first.
    pub fn on_buffer(&mut self, ch: usize, len_bytes: usize) -> Result<InFlight, BarrierError> {
        match self {
            Self::Single(h) => h.on_buffer(ch, len_bytes),
            Self::Tracker(t) => t.on_buffer(ch),
        }
    }

    /// Time passed (the task's clock, epoch milliseconds).
    pub fn on_tick(&mut self, now_ms: i64) -> Vec<Action> {
        match self {
            Self::Single(h) => h.on_tick(now_ms),
            Self::Tracker(_) => Vec::new(),
        }
    }

    /// The task aborts checkpoint `id`.
    pub fn abort(&mut self, id: u64, reason: AbortReason) -> Vec<Action> {
        match self {
            Self::Single(h) => h.abort(id, reason),
            Self::Tracker(t) => t.abort(id, reason),
        }
    }

    /// When to call [`on_tick`](Self::on_tick) next, if a timeout is running.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        match self {
            Self::Single(h) => h.next_deadline_ms(),
            Self::Tracker(_) => None,
        }
    }

    /// Whether channel `ch` is blocked for alignment (never in at-least-once mode).
    pub fn is_blocked(&self, ch: usize) -> bool {
        match self {
            Self::Single(h) => h.is_blocked(ch),
            Self::Tracker(_) => false,
        }
    }

    /// The exactly-once handler's state (`None` in at-least-once mode).
    pub fn state(&self) -> Option<&BarrierHandlerState> {
        match self {
            Self::Single(h) => Some(h.state()),
            Self::Tracker(_) => None,
        }
    }

    /// The newest checkpoint id seen.
    pub fn latest_checkpoint_id(&self) -> Option<u64> {
        match self {
            Self::Single(h) => h.latest_checkpoint_id(),
            Self::Tracker(t) => t.latest_checkpoint_id(),
        }
    }
}
