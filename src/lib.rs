//! Weir: a shard-per-core stream-processing engine in the model of Apache Flink.
//!
//! This crate is the facade and the `weir` command:
//! - [`job`]: TOML job files — the model, its positioned parser, and the graph it builds.
//! - [`cli`]: the command line (`run`, `explain`, `nexmark`, `bench`, and the job
//!   control commands `list`, `cancel`, `savepoint`, `stop`).
//! - [`rest`]: the Flink-shaped REST endpoint of a running job, and its client.
//!
//! The engine itself is re-exported: [`core`] (DataStream API, runtime, cluster),
//! [`state`] (key groups), [`net`] (TCP data plane), [`bench`](mod@bench) (Nexmark, harnesses).

pub mod cli;
pub mod job;
pub mod rest;

pub use weir_bench as bench;
pub use weir_core as core;
pub use weir_net as net;
pub use weir_state as state;

pub use weir_core::api::{DataStream, KeyedStream, StreamExecutionEnvironment};
pub use weir_core::config::Configuration;
