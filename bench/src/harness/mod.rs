//! Benchmark harnesses over the embedded local cluster, as library functions that the
//! `weir bench …` command line calls.
//!
//! Every harness runs a job of two subtasks — a source and a sink — in two different
//! slots, so that records cross a slot boundary (a real channel between two cores):
//!
//! - [`latency`]: records paced at a fixed rate, end-to-end latency into an hdrhistogram.
//! - [`timeout_sweep`]: unthrottled throughput at several buffer timeouts.
//! - [`backpressure`]: an unthrottled source into a rate-limited sink; buffers stay bounded.
//! - [`keyed`]: a keyed count in keyed state through a hash exchange (any parallelism).
//! - [`checkpoint`]: what checkpoints cost: throughput ratio, aligned duration, recovery.
//! - [`report`]: results as an aligned text table or JSON lines.
//! - [`progress`]: a progress line on stderr for long runs.
//!
//! Long runs report progress through an optional callback ([`ProgressFn`]), called on
//! the calling thread a few times per second while the job runs.

pub mod backpressure;
pub mod checkpoint;
mod job;
pub mod keyed;
pub mod latency;
pub mod progress;
pub mod report;
pub mod timeout_sweep;

#[cfg(test)]
mod tests;

pub use backpressure::{bench_backpressure, BackpressureOpts, BackpressureResult};
pub use checkpoint::{bench_checkpoint, CheckpointOpts, CheckpointResult};
pub use keyed::{bench_keyed, KeyedOpts, KeyedResult};
pub use latency::{bench_latency, LatencyOpts, LatencyResult};
pub use progress::{Progress, ProgressUpdate};
pub use report::{render_json_lines, render_table, Report, Value};
pub use timeout_sweep::{bench_timeout_sweep, SweepOpts, SweepResult};

use weir_core::cluster::JobError;
use weir_core::config::ConfigError;
use weir_core::graph::GraphError;

/// A progress callback: called with the state of the running job, on the calling thread.
pub type ProgressFn<'a> = &'a mut dyn FnMut(&ProgressUpdate<'_>);

/// Why a harness could not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An option is out of range (names the option and the accepted values).
    #[error("invalid benchmark option: {0}")]
    InvalidOption(String),
    /// A configuration key could not be set.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The job graph could not be built or placed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The job failed to start or run.
    #[error(transparent)]
    Job(#[from] JobError),
    /// The job was not placed as the harness needs (source and sink in different slots).
    #[error("benchmark job placement: {0}")]
    Placement(String),
    /// The measurements could not be gathered (a sink subtask failed to report).
    #[error("benchmark measurement: {0}")]
    Measurement(String),
}
