//! Errors of the weir-state crate.

use thiserror::Error;

use crate::key_group::KeyGroupRange;

/// Errors raised by key-group assignment and state handling.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StateError {
    /// A key group of a state holds the most entries it can (2^32 - 2): the write is
    /// refused rather than lost.
    #[error(
        "a key group of a keyed state is full (4294967294 entries): raise the maximum parallelism so that keys spread over more key groups"
    )]
    KeyGroupFull,
    /// The maximum parallelism (number of key groups) is outside `1..=32768`.
    #[error(
        "maximum parallelism {max_parallelism} is out of range: it must be between 1 and {upper_bound} (inclusive)"
    )]
    MaxParallelismOutOfRange {
        /// The rejected maximum parallelism.
        max_parallelism: u32,
        /// The inclusive upper bound (Flink's `UPPER_BOUND_MAX_PARALLELISM`).
        upper_bound: u32,
    },
    /// The parallelism is 0 or larger than the maximum parallelism.
    #[error(
        "parallelism {parallelism} is out of range: it must be between 1 and the maximum parallelism {max_parallelism} (inclusive)"
    )]
    ParallelismOutOfRange {
        /// The rejected parallelism.
        parallelism: u32,
        /// The maximum parallelism it was checked against.
        max_parallelism: u32,
    },
    /// A key-group range was constructed with `start > end` (or `end == u32::MAX`).
    #[error(
        "invalid key-group range [{start}, {end}]: start must not be greater than end, and end must be less than 4294967295"
    )]
    InvalidKeyGroupRange {
        /// The requested first key group.
        start: u32,
        /// The requested last key group (inclusive).
        end: u32,
    },
    /// A key-group range does not fit the maximum parallelism it is used with.
    #[error(
        "key-group range {range} does not fit maximum parallelism {max_parallelism}: key groups run from 0 to {max_parallelism} - 1"
    )]
    KeyGroupRangeOutOfBounds {
        /// The rejected range.
        range: KeyGroupRange,
        /// The maximum parallelism (number of key groups).
        max_parallelism: u32,
    },
    /// A key (or a requested key group) belongs to a key group this backend does not own.
    #[error("key group {key_group} is outside this state backend's {range}")]
    KeyGroupOutOfRange {
        /// The key group of the key, or the key group asked for.
        key_group: u32,
        /// The key groups owned by the backend.
        range: KeyGroupRange,
    },
    /// Keyed state was accessed before any key was set.
    #[error("state '{state}' was accessed without a current key: call set_current_key first")]
    NoCurrentKey {
        /// The name of the state.
        state: String,
    },
    /// A state name was registered again with a different kind, type or TTL.
    #[error("state '{state}' is already registered as {registered}; it cannot be registered again as {requested}")]
    StateConflict {
        /// The name of the state.
        state: String,
        /// What the state was registered as.
        registered: String,
        /// What the new registration asked for.
        requested: String,
    },
    /// A state handle was used with a backend or state store that did not create it.
    #[error("state handle #{index} ({state}) does not belong to this state backend")]
    ForeignStateHandle {
        /// The index carried by the handle.
        index: u32,
        /// The state name, or a description when the name is unknown.
        state: String,
    },
    /// A state time-to-live configuration is invalid.
    #[error("invalid TTL configuration: {reason}")]
    InvalidTtl {
        /// What is wrong with it.
        reason: String,
    },
    /// A state was looked up by a name that is not registered.
    #[error("no state named '{state}' is registered")]
    UnknownState {
        /// The name looked up.
        state: String,
    },
    /// Operator state was asked to be redistributed to parallelism 0.
    #[error("operator state cannot be redistributed to parallelism 0: the new parallelism must be at least 1")]
    ZeroParallelism,
    /// A value could not be encoded, or bytes are not a valid encoding of its type.
    #[error("cannot encode or decode a {type_name}: {reason}")]
    Codec {
        /// The Rust type of the value.
        type_name: &'static str,
        /// What rkyv reported.
        reason: String,
    },
    /// Bytes do not start with the magic of the snapshot format expected.
    #[error("not a {format}: the stream starts with {found} instead of its magic bytes")]
    SnapshotBadMagic {
        /// The format expected (keyed or operator state snapshot).
        format: &'static str,
        /// The first bytes found, in hex.
        found: String,
    },
    /// A snapshot was written in a format version this build does not read.
    #[error("{format} version {found} is not supported: this build reads version {supported}")]
    SnapshotVersion {
        /// The format (keyed or operator state snapshot).
        format: &'static str,
        /// The version in the stream.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A snapshot stream ends (or a part of it is shorter) than its structure says.
    #[error("truncated snapshot: {what} at offset {offset} needs {needed} bytes, only {available} are there")]
    SnapshotTruncated {
        /// What was being read, and in which part (e.g. "entry count of key group 3").
        what: String,
        /// Stream offset of the read.
        offset: u64,
        /// Bytes needed.
        needed: u64,
        /// Bytes left.
        available: u64,
    },
    /// A part of a snapshot does not match its checksum: the bytes were damaged.
    #[error("corrupt snapshot: the crc32c of {what} at offset {offset} is {actual:#010x}, the snapshot recorded {expected:#010x}")]
    SnapshotChecksum {
        /// The part (e.g. "key group 17", "header").
        what: String,
        /// Stream offset of the part.
        offset: u64,
        /// The checksum recorded when it was written.
        expected: u32,
        /// The checksum of the bytes read.
        actual: u32,
    },
    /// A part of a snapshot passed its checksum but its contents are inconsistent.
    #[error("corrupt snapshot: {what} at offset {offset}: {reason}")]
    SnapshotCorrupt {
        /// What was being read, and in which part.
        what: String,
        /// Stream offset of the read.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A snapshot does not fit what it is restored into (key type, maximum parallelism,
    /// or a state registered with another kind, type or TTL).
    #[error("cannot restore {what}: the snapshot has {snapshot}, but the restoring operator has {restoring}")]
    SnapshotIncompatible {
        /// The state (by name) or property that differs.
        what: String,
        /// What the snapshot holds.
        snapshot: String,
        /// What the restoring side has.
        restoring: String,
    },
    /// A part of a snapshot is larger than the format can record.
    #[error("{what} of {len} bytes or entries is too large for the snapshot format")]
    SnapshotTooLarge {
        /// What was too large.
        what: String,
        /// Its size.
        len: u64,
    },
    /// A snapshot file could not be written or read.
    #[error("snapshot file {path}: {reason}")]
    SnapshotIo {
        /// The file.
        path: String,
        /// What the operating system reported.
        reason: String,
    },
    /// An operator state could not be restored from a snapshot (the state's name, then
    /// why: a damaged stream, another type, disagreeing modes).
    #[error("restoring operator state '{state}': {reason}")]
    OperatorStateRestore {
        /// The state's name.
        state: String,
        /// What went wrong.
        reason: String,
    },
}
