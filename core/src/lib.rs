//! weir-core: the engine — memory segments and buffer pools, record framing, the
//! DataStream API, graphs, operators, time, partitioners and the slot runtime.
//!
//! Module map:
//! - [`memory`]: the arena of memory segments, the network and local buffer
//!   pools (bounded, with backpressure), and `BufferBuilder` / `Buffer`.
//! - [`framing`]: the frame format of records and in-band events inside
//!   buffers; records spanning buffers; the checked frame reader.

pub mod framing;
pub mod memory;
