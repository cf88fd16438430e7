//! weir-state: key groups, keyed and operator state, state backends, snapshots.
//!
//! Module map:
//! - [`key_group`]: Flink-compatible key-group assignment (`KeyGroupRangeAssignment`,
//!   `KeyGroupRange`, `MathUtils.murmurHash`).
//! - [`key_hash`]: [`KeyHash`], Java-compatible `hashCode()` values for key types.
//! - [`keyed`]: keyed state with Flink's semantics on the heap: [`HeapKeyedStateBackend`]
//!   (key groups, namespaces, registration by descriptor), value / list / map / reducing /
//!   aggregating state handles, TTL ([`keyed::StateTtlConfig`]) and memory estimates.
//! - [`operator_state`]: non-keyed operator list state with Flink's even-split and union
//!   redistribution, and broadcast state with its read-only view.
//! - [`timers`]: timers of a keyed operator, per time domain (Flink's `InternalTimerService`).
//! - [`snapshot`]: keyed state (with timers) as checksummed bytes per key group, operator
//!   list and broadcast states, atomic snapshot files, and restore into any key-group
//!   range or parallelism.
//! - [`codec`]: [`StateCodec`], how keys, namespaces and values become bytes (rkyv,
//!   validated on decoding).
//! - [`error`]: [`StateError`], the error type of this crate.

pub mod codec;
pub mod error;
pub mod key_group;
pub mod key_hash;
pub mod keyed;
pub mod operator_state;
pub mod snapshot;
pub mod timers;

pub use codec::StateCodec;
pub use error::StateError;
pub use key_group::KeyGroupRange;
pub use key_hash::KeyHash;
pub use keyed::HeapKeyedStateBackend;
