//! weir-state: key groups, keyed and operator state, state backends, snapshots.
//!
//! Module map:
//! - [`key_group`]: Flink-compatible key-group assignment (`KeyGroupRangeAssignment`,
//!   `KeyGroupRange`, `MathUtils.murmurHash`).
//! - [`key_hash`]: [`KeyHash`], Java-compatible `hashCode()` values for key types.
//! - [`timers`]: timers of a keyed operator, per time domain (Flink's `InternalTimerService`).
//! - [`error`]: [`StateError`], the error type of this crate.

pub mod error;
pub mod key_group;
pub mod key_hash;
pub mod timers;

pub use error::StateError;
pub use key_group::KeyGroupRange;
pub use key_hash::KeyHash;
