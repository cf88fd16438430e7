//! Joins of two keyed streams, as keyed co-process functions on the two-input keyed
//! operator (so they share its timers, watermarks and keyed state).
//!
//! - [`bounds`]: the interval join's bounds: which pairs join, when buffers are cleaned.
//! - [`interval`]: the interval join (Flink's `KeyedStream.intervalJoin` and its
//!   `IntervalJoinOperator`): event-time buffers per side, cleaned by timers.
//! - [`regular`]: the regular join in state (what Flink SQL's `StreamingJoinOperator` runs
//!   for `a JOIN b ON a.k = b.k`): inner and outer joins emitting a changelog.
//!
//! This module holds what both share: [`JoinError`], and the changelog types [`RowKind`]
//! and [`Change`].

pub mod bounds;
pub mod interval;
pub mod regular;

pub use bounds::IntervalBounds;
pub use interval::{IntervalJoiner, JoinContext, ProcessJoinFunction};
pub use regular::{JoinType, RegularJoiner};

use rkyv::{Archive, Deserialize, Serialize};

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

/// The kind of a change in a changelog stream. Mirrors Flink's `RowKind` `+I` (insert) and
/// `-D` (delete); Flink's `-U`/`+U` (update before/after) are not needed because the joins
/// here read append-only inputs.
#[derive(
    Archive, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub enum RowKind {
    /// `+I`: the row is added to the result.
    Insert,
    /// `-D`: one earlier occurrence of the row is withdrawn from the result.
    Delete,
}

impl RowKind {
    /// Flink's short string: `+I` or `-D`.
    pub fn short_string(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::Delete => "-D",
        }
    }
}

/// One change of a changelog stream: a row with its [`RowKind`] (Flink's `RowData` with
/// its row kind).
#[derive(Archive, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Change<O> {
    /// Whether the row is inserted or deleted.
    pub kind: RowKind,
    /// The row.
    pub row: O,
}

impl<O> Change<O> {
    /// `+I row`.
    pub fn insert(row: O) -> Self {
        Self {
            kind: RowKind::Insert,
            row,
        }
    }

    /// `-D row`.
    pub fn delete(row: O) -> Self {
        Self {
            kind: RowKind::Delete,
            row,
        }
    }
}

impl<O: std::fmt::Display> std::fmt::Display for Change<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.kind.short_string(), self.row)
    }
}

#[cfg(test)]
mod test_rig;
