//! The checkpoint barrier as the barrier handler sees it: which checkpoint, when it
//! started, and how its barriers are to be aligned.
//!
//! The in-band event `framing::Event::CheckpointBarrier` carries a [`CheckpointBarrier`]
//! whole (its encoding is in `framing::event`).

/// Whether a snapshot is a checkpoint (the engine's, for recovery) or a savepoint (the
/// user's, for upgrades and rescaling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckpointType {
    /// Taken periodically by the engine.
    Checkpoint,
    /// Taken on request; always aligned, as in Flink.
    Savepoint,
}

/// How the barriers of one checkpoint are aligned at a task's input gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alignment {
    /// Wait for the barrier on every channel; a channel is not read after its barrier
    /// until all have arrived.
    Aligned,
    /// Aligned, but switched to unaligned if alignment still runs `timeout_ms` after the
    /// checkpoint started (Flink's `execution.checkpointing.aligned-checkpoint-timeout`).
    AlignedWithTimeout {
        /// How long after the checkpoint's start alignment may take (milliseconds).
        timeout_ms: u64,
    },
    /// Snapshot on the first barrier, which overtakes the data in flight; that data
    /// (input and output) is persisted with the snapshot.
    Unaligned,
}

/// The options of a checkpoint that matter to a task (Flink's `CheckpointOptions`,
/// without the storage location).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckpointOptions {
    checkpoint_type: CheckpointType,
    alignment: Alignment,
}

impl CheckpointOptions {
    /// The options the coordinator gives a checkpoint, as Flink's `CheckpointOptions.create`:
    /// savepoints and checkpoints without unaligned checkpoints are aligned; otherwise a
    /// checkpoint is unaligned from the start for `aligned_timeout_ms == 0`, and aligned
    /// with that timeout otherwise.
    pub fn new(
        checkpoint_type: CheckpointType,
        unaligned_enabled: bool,
        aligned_timeout_ms: u64,
    ) -> Self {
        let alignment = match (checkpoint_type, unaligned_enabled, aligned_timeout_ms) {
            (CheckpointType::Savepoint, _, _) | (_, false, _) => Alignment::Aligned,
            (CheckpointType::Checkpoint, true, 0) => Alignment::Unaligned,
            (CheckpointType::Checkpoint, true, timeout_ms) => {
                Alignment::AlignedWithTimeout { timeout_ms }
            }
        };
        Self::with_alignment(checkpoint_type, alignment)
    }

    /// Options with an explicit alignment; a savepoint is aligned whatever is asked.
    pub fn with_alignment(checkpoint_type: CheckpointType, alignment: Alignment) -> Self {
        let alignment = match checkpoint_type {
            CheckpointType::Savepoint => Alignment::Aligned,
            CheckpointType::Checkpoint => alignment,
        };
        Self {
            checkpoint_type,
            alignment,
        }
    }

    /// An aligned checkpoint without timeout.
    pub fn aligned() -> Self {
        Self::with_alignment(CheckpointType::Checkpoint, Alignment::Aligned)
    }

    /// An unaligned checkpoint.
    pub fn unaligned() -> Self {
        Self::with_alignment(CheckpointType::Checkpoint, Alignment::Unaligned)
    }

    /// An aligned checkpoint that switches to unaligned after `timeout_ms`.
    pub fn aligned_with_timeout(timeout_ms: u64) -> Self {
        Self::with_alignment(
            CheckpointType::Checkpoint,
            Alignment::AlignedWithTimeout { timeout_ms },
        )
    }

    /// A savepoint (always aligned).
    pub fn savepoint() -> Self {
        Self::with_alignment(CheckpointType::Savepoint, Alignment::Aligned)
    }

    /// Checkpoint or savepoint.
    pub fn checkpoint_type(&self) -> CheckpointType {
        self.checkpoint_type
    }

    /// How the barriers are aligned.
    pub fn alignment(&self) -> Alignment {
        self.alignment
    }

    /// Whether the barriers overtake in-flight data.
    pub fn is_unaligned(&self) -> bool {
        self.alignment == Alignment::Unaligned
    }

    /// The aligned-checkpoint timeout, if alignment may switch to unaligned.
    pub fn alignment_timeout_ms(&self) -> Option<u64> {
        match self.alignment {
            Alignment::AlignedWithTimeout { timeout_ms } => Some(timeout_ms),
            Alignment::Aligned | Alignment::Unaligned => None,
        }
    }

    /// The same options switched to unaligned (a savepoint stays aligned).
    pub fn to_unaligned(self) -> Self {
        Self::with_alignment(self.checkpoint_type, Alignment::Unaligned)
    }
}

/// A checkpoint barrier: the checkpoint's id, when the coordinator started it, and its
/// options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckpointBarrier {
    /// The checkpoint's id; later checkpoints have higher ids.
    pub id: u64,
    /// When the coordinator triggered the checkpoint (epoch milliseconds).
    pub timestamp_ms: i64,
    /// How to align it.
    pub options: CheckpointOptions,
}

impl CheckpointBarrier {
    /// A barrier of checkpoint `id` started at `timestamp_ms`.
    pub fn new(id: u64, timestamp_ms: i64, options: CheckpointOptions) -> Self {
        Self {
            id,
            timestamp_ms,
            options,
        }
    }

    /// When alignment of this checkpoint times out (start plus the aligned-checkpoint
    /// timeout), if it can.
    pub fn alignment_deadline_ms(&self) -> Option<i64> {
        let timeout_ms = self.options.alignment_timeout_ms()?;
        let timeout_ms = i64::try_from(timeout_ms).unwrap_or(i64::MAX);
        Some(self.timestamp_ms.saturating_add(timeout_ms))
    }

    /// The barrier as forwarded after switching to unaligned (Flink's `asUnaligned`).
    pub fn as_unaligned(self) -> Self {
        Self {
            options: self.options.to_unaligned(),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_flinks_create() {
        let cp = CheckpointType::Checkpoint;
        assert_eq!(
            CheckpointOptions::new(cp, false, 0).alignment(),
            Alignment::Aligned
        );
        assert_eq!(
            CheckpointOptions::new(cp, false, 50).alignment(),
            Alignment::Aligned
        );
        assert_eq!(
            CheckpointOptions::new(cp, true, 0).alignment(),
            Alignment::Unaligned
        );
        assert_eq!(
            CheckpointOptions::new(cp, true, 50).alignment(),
            Alignment::AlignedWithTimeout { timeout_ms: 50 }
        );
        let sp = CheckpointOptions::new(CheckpointType::Savepoint, true, 0);
        assert_eq!(sp.alignment(), Alignment::Aligned, "savepoints are aligned");
        assert_eq!(sp.to_unaligned(), sp, "and never switch");
    }

    #[test]
    fn the_deadline_is_start_plus_timeout() {
        let b = CheckpointBarrier::new(3, 1_000, CheckpointOptions::aligned_with_timeout(250));
        assert_eq!(b.alignment_deadline_ms(), Some(1_250));
        assert!(b.as_unaligned().options.is_unaligned());
        assert_eq!(b.as_unaligned().alignment_deadline_ms(), None);
        let plain = CheckpointBarrier::new(3, 1_000, CheckpointOptions::aligned());
        assert_eq!(plain.alignment_deadline_ms(), None);
        let far = CheckpointBarrier::new(
            1,
            i64::MAX - 1,
            CheckpointOptions::aligned_with_timeout(u64::MAX),
        );
        assert_eq!(far.alignment_deadline_ms(), Some(i64::MAX));
    }
}
