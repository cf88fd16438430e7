//! Checkpointing: the coordinator of a job's checkpoints, and how an input gate handles
//! checkpoint barriers.
//!
//! I/O-free state machines, fed with task messages, what arrives on each channel and the
//! time, returning the actions the caller performs (trigger or complete a checkpoint;
//! block or unblock a channel, snapshot, persist in-flight data, abort). No clock is read
//! here.
//!
//! - [`coordinator`]: when checkpoints start, complete, abort and retire (Flink's
//!   `CheckpointCoordinator`).
//! - [`barrier`]: the barrier as the handler sees it: id, start time, type and alignment.
//! - [`action`]: the handlers' outputs, abort reasons and protocol errors.
//! - [`single`]: exactly-once, one checkpoint at a time: aligned, unaligned, and aligned
//!   with a timeout that switches to unaligned (Flink's `SingleCheckpointBarrierHandler`).
//! - [`tracker`]: at-least-once, never blocking (Flink's `CheckpointBarrierTracker`).
//! - [`handler`]: the handler of a gate chosen by the checkpointing mode.
//! - [`signals`]: what the coordinator's thread and the tasks tell each other.
//! - [`savepoints`]: savepoints asked for while a job runs, and their outcome.
//! - [`runner`]: the coordinator of a running job on its own thread (writes checkpoints).
//! - [`storage`]: checkpoint and savepoint files, `_metadata`, and what each subtask restores.
//! - [`channel_state`]: the in-flight data of an unaligned checkpoint and its encoding.

pub mod action;
pub mod barrier;
pub mod channel_state;
mod channels;
pub mod coordinator;
pub mod handler;
pub mod runner;
pub mod savepoints;
pub mod signals;
pub mod single;
pub mod storage;
pub mod tracker;

pub use action::{AbortReason, Action, BarrierError, InFlight};
pub use barrier::{Alignment, CheckpointBarrier, CheckpointOptions, CheckpointType};
pub use handler::{BarrierHandlerConfig, CheckpointBarrierHandler, CheckpointingMode};
pub use single::{BarrierHandlerState, SingleCheckpointBarrierHandler};
pub use tracker::{CheckpointBarrierTracker, MAX_PENDING_CHECKPOINTS};

#[cfg(test)]
mod proptests;
