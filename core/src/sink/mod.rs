//! Exactly-once sinks by two-phase commit (Flink's `TwoPhaseCommitSinkFunction` and
//! `FileSink`): output is written into transactions, pre-committed when a checkpoint
//! is taken, and made visible only when that checkpoint completes.
//!
//! - [`two_phase`]: the [`TwoPhaseCommitSink`] trait a sink implements.
//! - [`driver`]: the [`TwoPhaseCommitDriver`] the task calls: snapshot, notify, recovery.
//! - [`state`]: the checkpointed state (open and pending transactions) and its bytes.
//! - [`codec`]: the byte encoding of that state.
//! - [`file`]: the exactly-once file sink: in-progress, pending and committed part files.
//! - [`operator`]: a two-phase-commit sink as the last operator of a chain.
//! - [`error`]: errors naming the file and the operation.

pub mod codec;
pub mod driver;
pub mod error;
pub mod file;
pub mod operator;
pub mod state;
pub mod two_phase;

pub use driver::{CommitOn, TwoPhaseCommitDriver};
pub use error::{FileOp, SinkError, StateDecodeError};
pub use file::{FileSink, FileTransaction, PartFile};
pub use operator::TwoPhaseCommitSinkOperator;
pub use state::TwoPhaseCommitState;
pub use two_phase::TwoPhaseCommitSink;

#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod driver_tests;
#[cfg(test)]
mod file_tests;
