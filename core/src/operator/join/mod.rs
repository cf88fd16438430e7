//! Joins of two keyed streams, as keyed co-process functions on the two-input keyed
//! operator (so they share its timers, watermarks and keyed state).
//!
//! - [`bounds`]: the interval join's bounds: which pairs join, when buffers are cleaned.
//! - [`interval`]: the interval join (Flink's `KeyedStream.intervalJoin` and its
//!   `IntervalJoinOperator`): event-time buffers per side, cleaned by timers.
//!
//! This module holds [`JoinError`].

pub mod bounds;
pub mod interval;

pub use bounds::IntervalBounds;
pub use interval::{IntervalJoiner, JoinContext, ProcessJoinFunction};

/// Why a join could not be defined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// An interval join's lower bound is above its upper bound.
    #[error(
        "interval join: the lower bound ({lower} ms) is greater than the upper bound \
         ({upper} ms); `between(lower, upper)` needs lower <= upper"
    )]
    InvalidBounds {
        /// The lower bound, in milliseconds.
        lower: i64,
        /// The upper bound, in milliseconds.
        upper: i64,
    },
}

#[cfg(test)]
mod test_rig;
