//! weir-core: the engine — memory segments and buffer pools, record framing, the
//! DataStream API, graphs, operators, partitioners and the slot runtime.
//!
//! Module map:
//! - [`config`]: the typed configuration registry with Flink's key names.
//! - [`memory`]: the mmapped arena, memory segments, network and local buffer pools.
//! - [`framing`]: frames of records and in-band events inside buffers.

pub mod config;
pub mod framing;
pub mod memory;
