//! weir-state: key groups, keyed and operator state, state backends, snapshots.
//!
//! Module map:
