//! Snapshots of state as bytes, and their restore (the state part of checkpointing).
//!
//! - [`keyed`]: a [`HeapKeyedStateBackend`](crate::HeapKeyedStateBackend)'s states and its
//!   operator's timers, per key group, restorable into any key-group range (rescaling).
//! - [`operator`]: operator list states with their redistribution modes, and broadcast
//!   (map) states.
//! - [`file`](mod@file): atomic snapshot files (`NAME.tmp`, fsync, rename).
//! - `bytes`: the little-endian framing and the bounds-checked reader both formats use.
//!
//! # Keyed state snapshot format (version 1)
//!
//! All integers little-endian; `str` is a `u32` length and UTF-8 bytes; a value is a `u32`
//! length and its [`StateCodec`](crate::StateCodec) (rkyv) bytes; a part is a `u64`
//! length and its bytes.
//!
//! ```text
//! magic "WEIRKEYD" (8) | version u32 | header length u32 | header | header crc32c u32
//! header:  key type str | max parallelism u32 | first key group u32 | key groups u32
//!          states u32, per state: name str, kind u8, TTL flag u8, description str
//!          timer services u32, per service: name str, namespace type str
//!          per key group of the range: offset u64, length u64, crc32c u32
//! then one section per key group, at its offset:
//!          key group u32
//!          per state (header order): part = entries u32, per entry: key, namespace,
//!              stored value (value [+ TTL timestamp i64]; lists: u32 count of those;
//!              maps: u32 count of (user key, value [+ timestamp]))
//!          per timer service: part = timers u32, per timer: timestamp i64,
//!              sequence u64, key, namespace
//! ```
//!
//! The offsets table is Flink's `KeyGroupRangeOffsets`: a restore reads only the key
//! groups of its range, each checked against its crc32c before use; the header has its own
//! crc32c. Bad magic, an unknown version, a checksum mismatch, a truncated stream or an
//! invalid value are [`StateError`](crate::StateError)s naming the part (key group) and
//! stream offset; bytes never cause a panic.
//!
//! # Synchronous and asynchronous parts
//!
//! [`HeapKeyedStateBackend::snapshot`](crate::HeapKeyedStateBackend::snapshot) encodes
//! each key group into its own buffer on the task thread (the copy: O(state size));
//! [`keyed::KeyedStateSnapshot::write_to`] assembles header and sections and can run
//! elsewhere. A copy-on-write state map (Flink's `CopyOnWriteStateMap`), which would make
//! the synchronous part a version bump, is future work.

pub(crate) mod bytes;
pub mod file;
pub mod keyed;
pub mod operator;

pub use keyed::{
    KeyedStateSnapshot, SnapshotStateMeta, SnapshotTimers, SnapshotTimersMeta,
    KEYED_SNAPSHOT_MAGIC, KEYED_SNAPSHOT_VERSION,
};
pub use operator::{
    restore_broadcast_state, restore_list_state, OperatorStateMeta, OperatorStateReader,
    OperatorStateSnapshot, OPERATOR_SNAPSHOT_MAGIC, OPERATOR_SNAPSHOT_VERSION,
};

#[cfg(test)]
mod tests;
