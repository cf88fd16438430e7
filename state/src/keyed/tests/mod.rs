//! Tests of keyed state.
