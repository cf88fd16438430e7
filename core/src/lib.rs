//! weir-core: the engine — memory segments and buffer pools, record framing, the
//! DataStream API, graphs, operators, time, partitioners and the slot runtime.
//!
//! Module map:
//! - [`config`]: the typed configuration registry (Flink key names, `ConfigOption`, `Configuration`).

pub mod config;
