//! How checkpoints reach the operators of a chain: a [`CheckpointCall`] travels down the
//! chain the way the end of input does (each operator handles it, then passes it to its
//! outputs, side outputs included), and what a subtask restores reaches each operator
//! through its build context as an [`OperatorRestore`].
//!
//! Flink calls `snapshotState`, `notifyCheckpointComplete` and `notifyCheckpointAborted`
//! on every operator of a chain from the `OperatorChain`; here operators own their
//! downstream, so the call is passed along like `finish`.

use weir_state::snapshot::KeyedStateSnapshot;

/// A checkpoint event for the operators of a chain.
pub enum CheckpointCall<'a> {
    /// Take the synchronous part of a snapshot: add your state to the collector.
    Snapshot(&'a mut ChainSnapshot),
    /// Checkpoint `id` completed (its metadata is durable): commit what it covers.
    Complete(u64),
    /// Checkpoint `id` was abandoned: drop what was held for it.
    Abort(u64),
    /// Every task of the job has processed all of its input: commit what is left (the
    /// end state Flink's final checkpoint records).
    Finished,
}

/// The state of every stateful operator of one subtask for one checkpoint.
#[derive(Debug, Default)]
pub struct ChainSnapshot {
    /// The checkpoint's id.
    pub checkpoint_id: u64,
    /// One entry per operator with state, in chain order.
    pub operators: Vec<OperatorSnapshot>,
}

impl ChainSnapshot {
    /// An empty snapshot for checkpoint `id`.
    pub fn new(checkpoint_id: u64) -> Self {
        Self {
            checkpoint_id,
            operators: Vec::new(),
        }
    }

    /// Adds the state of the operator `uid` (one entry per uid: a second one for the same
    /// uid merges into the first, for an operator that has keyed and operator state).
    pub fn add(&mut self, snapshot: OperatorSnapshot) {
        match self.operators.iter_mut().find(|o| o.uid == snapshot.uid) {
            Some(o) => {
                if snapshot.keyed.is_some() {
                    o.keyed = snapshot.keyed;
                }
                if snapshot.operator.is_some() {
                    o.operator = snapshot.operator;
                }
            }
            None => self.operators.push(snapshot),
        }
    }
}

/// One operator's state in one subtask: keyed state by key group, and opaque operator
/// state (a source's position, a sink's transactions).
#[derive(Debug)]
pub struct OperatorSnapshot {
    /// The operator's state id (its `uid`, or the one generated for it).
    pub uid: String,
    /// Keyed state and timers, encoded per key group (written out asynchronously).
    pub keyed: Option<KeyedStateSnapshot>,
    /// Operator state bytes, handed back to every subtask on restore (union).
    pub operator: Option<Vec<u8>>,
}

/// What one subtask of an operator restores: the keyed streams of every old subtask whose
/// key groups overlap its own, and the operator state of every old subtask.
#[derive(Debug, Default, Clone)]
pub struct OperatorRestore {
    /// Keyed snapshot streams (restore with `HeapKeyedStateBackend::restore`).
    pub keyed: Vec<Vec<u8>>,
    /// Operator state of every old subtask, in subtask order.
    pub operator: Vec<Vec<u8>>,
    /// The in-flight data of an unaligned checkpoint of the same subtask (only on the
    /// head of a chain, only at an unchanged parallelism): an encoded `ChannelState`.
    pub channels: Option<Vec<u8>>,
}

impl OperatorRestore {
    /// The keyed streams as slices.
    pub fn keyed_streams(&self) -> Vec<&[u8]> {
        self.keyed.iter().map(Vec::as_slice).collect()
    }
}
