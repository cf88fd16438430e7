//! weir-bench: the Nexmark generator and queries, and the benchmark harnesses.
//!
//! Module map:
//! - [`nexmark`]: Nexmark event model, native generator (byte-identical to gen.py), CSV codec.

pub mod nexmark;
