//! The slot runtime: slots (pinned executors), tasks, exchanges, flushing and the clock.
//!
//! - [`clock`]: the injected clock.
//! - [`slot`]: glommio executors pinned to cores; the only place glommio is named.
//! - [`exchange`]: local hand-over of buffers into input gates; cancellation.
//! - [`gate_reader`]: the consumer end of a gate: finished and still-filling buffers.
//! - [`flush`]: the buffer-timeout policy.
//! - [`record_writer`]: result partitions: framing records into buffers, backpressure.
//! - [`input`]: reading frames into the chain head; the watermark valve.
//! - [`source`]: the source interface and the built-in collection/sequence sources.
//! - [`file_source`]: a parallel, memory-mapped source of the parsed lines of a file.
//! - [`progress`]: positions of replayable sources, and resuming them at any parallelism.
//! - [`typed`]: typed pieces built behind the type-erased graph.
//! - [`timers`]: processing-time timers of a task.
//! - [`task`]: building and running one subtask.
//! - [`task_checkpoints`]: a task's part in checkpoints.
//! - [`metrics`]: per-subtask metrics with Flink's names.
//! - [`watchdog`]: keeps slot executors from sleeping through their work.

pub mod clock;
pub mod exchange;
pub mod file_source;
pub mod flush;
pub mod gate_reader;
pub mod input;
pub mod metrics;
pub mod progress;
pub mod record_writer;
pub mod slot;
pub mod source;
pub mod task;
pub mod task_checkpoints;
pub mod timers;
pub mod typed;
pub mod watchdog;

#[cfg(test)]
mod writer_tests;
