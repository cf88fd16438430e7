//! Errors of the weir-state crate.

use thiserror::Error;

/// Errors raised by key-group assignment and state handling.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StateError {
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
}
