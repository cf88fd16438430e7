//! Tests of keyed state: each state kind's Flink semantics, isolation, key groups, errors,
//! TTL on a manual clock, incremental cleanup, a model-based property test and memory.

use super::*;
use crate::key_group::KeyGroupRange;

mod groups;
mod list;
mod map;
mod memory;
mod merging;
mod model;
mod registration;
mod ttl;
mod value;

/// The maximum parallelism of the test backends.
const MAX_PARALLELISM: u32 = 128;

/// A backend owning all 128 key groups, with a manual TTL clock at 0.
fn backend() -> (HeapKeyedStateBackend<u64>, ManualTimeProvider) {
    let clock = ManualTimeProvider::new(0);
    let backend = HeapKeyedStateBackend::new(
        KeyGroupRange::of(0, MAX_PARALLELISM - 1),
        MAX_PARALLELISM,
        clock.clone(),
    )
    .unwrap();
    (backend, clock)
}
