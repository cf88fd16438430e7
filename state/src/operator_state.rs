//! Operator (non-keyed) state.
