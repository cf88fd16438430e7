//! What a barrier handler tells its task to do, and the protocol errors it reports.

use super::barrier::CheckpointBarrier;

/// One thing the task does, in the order the handler returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Stop reading this channel: its barrier arrived and the others are awaited.
    Block(usize),
    /// Read this channel again.
    Unblock(usize),
    /// Snapshot the operator state and forward this barrier downstream. An unaligned
    /// barrier overtakes the buffered output, which is persisted with the snapshot.
    TriggerCheckpoint(CheckpointBarrier),
    /// Record every buffer read from `channel` as in-flight data of the checkpoint
    /// (starting with those already queued on it) until [`Action::StopPersisting`].
    PersistInFlight {
        /// The channel whose barrier has not arrived yet.
        channel: usize,
        /// The unaligned checkpoint the data belongs to.
        checkpoint_id: u64,
    },
    /// The channel's barrier (or its end) arrived: its in-flight data is complete.
    StopPersisting {
        /// The channel.
        channel: usize,
        /// The checkpoint whose in-flight data it was.
        checkpoint_id: u64,
    },
    /// Every barrier of the checkpoint arrived: alignment (or in-flight recording) is done.
    Complete(u64),
    /// The checkpoint will not be taken here; any state written for it is discarded.
    Abort {
        /// The checkpoint.
        id: u64,
        /// Why.
        reason: AbortReason,
    },
}

/// Why a checkpoint was aborted (Flink's `CheckpointFailureReason`, the ones that start at
/// an input gate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AbortReason {
    /// A barrier of a newer checkpoint arrived first (`CHECKPOINT_DECLINED_SUBSUMED`).
    Subsumed,
    /// An upstream task declined it: a cancel marker arrived
    /// (`CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER`).
    CancelMarker,
    /// A channel ended during alignment and checkpoints after tasks finish are disabled
    /// (`CHECKPOINT_DECLINED_INPUT_END_OF_STREAM`).
    InputEndOfStream,
    /// The at-least-once tracker was following too many checkpoints and dropped the oldest.
    TooManyPending,
    /// The task aborted it: its snapshot failed, or the coordinator told it to.
    Task,
}

/// What to do with a buffer read from a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFlight {
    /// Process it.
    Process,
    /// Persist it as in-flight data of this unaligned checkpoint, then process it.
    Persist {
        /// The checkpoint.
        checkpoint_id: u64,
    },
}

/// A violation of the barrier protocol by the input (a bug upstream or in the task).
/// The handler's state is unchanged by a call that returns one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarrierError {
    /// The gate has no such channel.
    #[error("channel {channel} is out of range: the input gate has {channels} channels")]
    ChannelOutOfRange {
        /// The channel given.
        channel: usize,
        /// How many the gate has.
        channels: usize,
    },
    /// A channel delivered the same barrier twice.
    #[error("channel {channel} delivered the barrier of checkpoint {id} twice")]
    DuplicateBarrier {
        /// The channel.
        channel: usize,
        /// The checkpoint.
        id: u64,
    },
    /// A channel delivered a barrier older than one it delivered before.
    #[error("channel {channel} delivered the barrier of checkpoint {id} after that of {last}")]
    BarrierOutOfOrder {
        /// The channel.
        channel: usize,
        /// The checkpoint of the late barrier.
        id: u64,
        /// The newest checkpoint the channel delivered a barrier for.
        last: u64,
    },
    /// Something arrived on a channel after its end of partition.
    #[error("channel {channel} delivered {what} after its end of partition")]
    AfterEndOfPartition {
        /// The channel.
        channel: usize,
        /// What arrived.
        what: &'static str,
    },
    /// The task read a buffer from a channel blocked for alignment.
    #[error(
        "a buffer was read from channel {channel}, blocked for the alignment of checkpoint {id}"
    )]
    ReadFromBlockedChannel {
        /// The channel.
        channel: usize,
        /// The checkpoint being aligned.
        id: u64,
    },
    /// An unaligned barrier reached a handler with unaligned checkpoints disabled.
    #[error(
        "channel {channel} delivered an unaligned barrier of checkpoint {id}, but unaligned \
         checkpoints are disabled (execution.checkpointing.unaligned.enabled)"
    )]
    UnalignedDisabled {
        /// The channel.
        channel: usize,
        /// The checkpoint.
        id: u64,
    },
}
