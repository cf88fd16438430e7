//! weir-bench: the Nexmark generator and queries, and the benchmark harnesses.
//!
//! Module map:
//! - [`nexmark`]: Nexmark event model, native generator (byte-identical to gen.py), CSV codec.
//! - [`harness`]: latency, buffer-timeout and backpressure benchmarks across a slot boundary.

pub mod harness;
pub mod nexmark;
