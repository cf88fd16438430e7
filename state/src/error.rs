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
}
