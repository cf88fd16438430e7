//! weir-bench: the Nexmark generator and queries, and the benchmark harnesses.
//!
//! Module map:
