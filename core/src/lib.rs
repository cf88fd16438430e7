//! weir-core: the engine — memory segments and buffer pools, record framing, the
//! DataStream API, graphs, operators, partitioners and the slot runtime.
//!
//! Module map:
//! - [`config`]: the typed configuration registry with Flink's key names.
//! - [`memory`]: the mmapped arena, memory segments, network and local buffer pools.
//! - [`framing`]: frames of records and in-band events inside buffers.
//! - [`record`]: the `Data` bound, records owned or read in place, archiving.
//! - [`row`]: rows of a declared schema (the records of job files) and their CSV form.
//! - [`expr`]: the expression language of job-file steps.
//! - [`operator`]: map, filter, flat_map, process, rolling aggregates, sinks.
//! - [`partitioner`]: the eight partitioners.
//! - [`graph`]: stream graph → job graph (chaining) → execution graph (slots, channels).
//! - [`time`]: event time: watermark statuses, combining input watermarks.
//! - [`runtime`]: slots, tasks, exchanges, flushing, sources, metrics.
//! - [`checkpoint`]: the checkpoint coordinator, and barrier handling at an input gate
//!   (aligned, unaligned, at-least-once), as I/O-free state machines.
//! - [`sink`]: exactly-once sinks by two-phase commit, and the exactly-once file sink.
//! - [`window`]: window assigners, triggers, evictors, window functions and the window
//!   operator.
//! - [`cluster`]: the embedded local cluster that runs a job graph, and the `JobControl`
//!   other threads hold on a running job (status, live metrics, cancel).
//! - [`restart`]: whether and when a failed job restarts, per restart strategy.
//! - [`api`]: the DataStream API.
//! - [`suggest`]: "did you mean" for unknown names.

pub mod api;
pub mod checkpoint;
pub mod cluster;
pub mod config;
pub mod expr;
pub mod framing;
pub mod graph;
pub mod memory;
pub mod operator;
pub mod partitioner;
pub mod record;
pub mod restart;
pub mod row;
pub mod runtime;
pub mod sink;
pub mod suggest;
pub mod time;
pub mod window;
