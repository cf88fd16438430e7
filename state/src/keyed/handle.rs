//! What state handles and the backend share: [`StateId`], [`KeyedStateHandle`] and the
//! bounds on keys, namespaces and values.

use std::hash::Hash;

use super::size::HeapSize;
use crate::codec::StateCodec;
use crate::key_group::KeyHash;

/// What a keyed state key must be: Java-hashable for key groups, hashable and comparable
/// for the tables, cloneable (stored once per entry), sendable with its operator,
/// shareable with the thread that writes a snapshot, and encodable for snapshots.
pub trait BackendKey: KeyHash + Eq + Hash + Clone + Send + Sync + StateCodec + 'static {}
impl<T: KeyHash + Eq + Hash + Clone + Send + Sync + StateCodec + 'static> BackendKey for T {}

/// What a namespace must be (`()` is the void namespace; windows use their own types).
pub trait Namespace: Eq + Hash + Clone + Send + Sync + StateCodec + 'static {}
impl<T: Eq + Hash + Clone + Send + Sync + StateCodec + 'static> Namespace for T {}

/// What a stored value must be: able to report its heap memory, cloneable (a key group a
/// snapshot still holds is copied on its next write), sendable, shareable with the thread
/// that writes a snapshot, and encodable for snapshots.
pub trait StateValue: HeapSize + Clone + Send + Sync + StateCodec + 'static {}
impl<T: HeapSize + Clone + Send + Sync + StateCodec + 'static> StateValue for T {}

/// Identifies one registered state of one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateId {
    pub(crate) backend: u32,
    pub(crate) index: u32,
}

/// Implemented by every keyed state handle, for the backend-wide operations on one state.
pub trait KeyedStateHandle {
    /// The namespace type the state is scoped to.
    type Namespace: Namespace;
    /// The registered state this handle designates.
    fn state_id(&self) -> StateId;
}

/// The entries of one state in one key group: (key, namespace, stored value or view).
pub type KeyGroupEntries<'a, K, N, V> = Box<dyn Iterator<Item = (&'a K, &'a N, V)> + 'a>;
