//! [`StateTable`]: one registered state's entries, one [`GroupMap`] per key group of the
//! backend's range (Flink's `StateTable` of `StateMap`s), and [`AnyTable`], its type-erased
//! face for the backend.

use crate::error::StateError;
use std::any::Any;
use std::hash::{Hash, Hasher};
use std::mem::size_of;
use std::sync::Arc;

use super::cow::CowGroups;
use super::group_map::GroupMap;
use super::handle::{BackendKey, Namespace};
use super::hasher::StateHasher;
use super::stamp::StoredEntry;
use super::ttl::TtlPolicy;
use crate::key_group::assign_key_to_key_group;
use crate::snapshot::bytes::{put_len, put_value, Reader};

/// The key of a stored entry: the user key and the namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateKey<K, N> {
    /// The user key.
    pub(crate) key: K,
    /// The namespace (`()` for the void namespace).
    pub(crate) namespace: N,
}

/// The position of the current (key, namespace) pair: the key-group index within the range
/// and the hash, computed from the hasher state the backend caches for the current key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a, K, N> {
    pub(crate) key: &'a K,
    pub(crate) namespace: &'a N,
    pub(crate) group: usize,
    pub(crate) hash: u64,
}

impl<'a, K: Eq + Hash, N: Eq + Hash> Target<'a, K, N> {
    /// The target of `namespace` for a key whose hasher state (after hashing the key) is
    /// `key_hasher`: the hash of the key followed by the namespace.
    #[inline]
    pub(crate) fn new(key: &'a K, key_hasher: StateHasher, group: usize, namespace: &'a N) -> Self {
        let mut hasher = key_hasher;
        namespace.hash(&mut hasher);
        Self {
            key,
            namespace,
            group,
            hash: hasher.finish(),
        }
    }

    #[inline]
    pub(crate) fn matches(&self, q: &StateKey<K, N>) -> bool {
        q.key == *self.key && q.namespace == *self.namespace
    }
}

/// The entries of one state: `S` per (key, namespace), kept per key group; `X` holds the
/// state's function (reduce or aggregate), `()` for the others.
pub(crate) struct StateTable<K, N, S, X> {
    /// One map per key group of the backend's range, by position in the range; a
    /// snapshot takes them without copying.
    pub(crate) groups: CowGroups<GroupMap<StateKey<K, N>, S>>,
    /// The state's function, if its kind has one.
    pub(crate) function: X,
    /// The TTL rules, if TTL is enabled.
    pub(crate) ttl: Option<TtlPolicy>,
    /// The incremental cleanup's lazy cursor: (key-group index, entry position).
    cursor: (usize, usize),
}

impl<K, N, S, X> StateTable<K, N, S, X>
where
    K: Eq + Hash + Clone,
    N: Eq + Hash + Clone,
    S: Clone,
{
    /// An empty table for `groups` key groups.
    pub(crate) fn new(groups: usize, function: X, ttl: Option<TtlPolicy>) -> Self {
        Self {
            groups: CowGroups::new(groups),
            function,
            ttl,
            cursor: (0, 0),
        }
    }

    /// The slot of the target's entry, if present.
    #[inline]
    pub(crate) fn find(&self, t: &Target<'_, K, N>) -> Option<usize> {
        self.groups.get(t.group)?.find(t.hash, |q| t.matches(q))
    }

    /// The entry in slot `index` of the key group at position `group`.
    #[inline]
    pub(crate) fn entry(&self, group: usize, index: usize) -> Option<&S> {
        self.groups.get(group)?.slot(index).map(|(_, s)| s)
    }

    /// The entry in slot `index` of the key group at position `group`, mutably.
    #[inline]
    pub(crate) fn entry_mut(&mut self, group: usize, index: usize) -> Option<&mut S> {
        self.groups.get_mut(group)?.slot_mut(index).map(|(_, s)| s)
    }

    /// Removes the entry in slot `index` of the key group at position `group`.
    #[inline]
    pub(crate) fn remove_at(&mut self, group: usize, index: usize) -> Option<S> {
        self.groups.get_mut(group)?.remove_at(index).map(|(_, s)| s)
    }

    /// The target's entry, created with `make` if absent; fails only if the key group is
    /// full (or not in the table, which the backend rules out).
    #[inline]
    pub(crate) fn get_or_insert_with(
        &mut self,
        t: &Target<'_, K, N>,
        make: impl FnOnce() -> S,
    ) -> Result<&mut S, StateError> {
        let Some(map) = self.groups.get_mut(t.group) else {
            return Err(StateError::KeyGroupFull);
        };
        let index = map
            .find_or_insert(
                t.hash,
                |q| t.matches(q),
                || {
                    let key = StateKey {
                        key: t.key.clone(),
                        namespace: t.namespace.clone(),
                    };
                    (key, make())
                },
            )
            .ok_or(StateError::KeyGroupFull)?;
        map.slot_mut(index)
            .map(|(_, s)| s)
            .ok_or(StateError::KeyGroupFull)
    }

    /// Sets the target's entry to `value`; fails only if the key group is full.
    #[inline]
    pub(crate) fn put(&mut self, t: &Target<'_, K, N>, value: S) -> Result<(), StateError> {
        let Some(map) = self.groups.get_mut(t.group) else {
            return Err(StateError::KeyGroupFull);
        };
        match map.find(t.hash, |q| t.matches(q)) {
            Some(index) => {
                if let Some((_, slot)) = map.slot_mut(index) {
                    *slot = value;
                }
            }
            None => {
                let key = StateKey {
                    key: t.key.clone(),
                    namespace: t.namespace.clone(),
                };
                map.insert_new(t.hash, (key, value))
                    .ok_or(StateError::KeyGroupFull)?;
            }
        }
        Ok(())
    }

    /// Removes the target's entry, returning it.
    #[inline]
    pub(crate) fn remove(&mut self, t: &Target<'_, K, N>) -> Option<S> {
        let map = self.groups.get_mut(t.group)?;
        let index = map.find(t.hash, |q| t.matches(q))?;
        map.remove_at(index).map(|(_, s)| s)
    }

    /// Starts loading the entry of `key` (hashed into `key_hasher`) in `namespace` of the
    /// key group at position `group` into the cache.
    #[inline]
    pub(crate) fn prefetch(&self, group: usize, key_hasher: StateHasher, namespace: &N) {
        if let Some(map) = self.groups.get(group) {
            let mut hasher = key_hasher;
            namespace.hash(&mut hasher);
            map.prefetch(hasher.finish());
        }
    }

    /// The entries of the key group at position `group`, in storage order.
    pub(crate) fn group_entries(&self, group: usize) -> impl Iterator<Item = (&K, &N, &S)> + '_ {
        self.groups
            .get(group)
            .into_iter()
            .flat_map(|map| map.iter().map(|(q, s)| (&q.key, &q.namespace, s)))
    }
}

impl<K, N, S, X> StateTable<K, N, S, X>
where
    K: Eq + Hash + Clone,
    N: Eq + Hash + Clone,
    S: StoredEntry,
{
    /// One step of the incremental cleanup, if configured: checks up to `cleanup_size`
    /// entries from the lazy cursor on (wrapping around the key groups) and removes the
    /// expired ones (expired list elements and map entries, and entries left empty). Moves
    /// to the next key group are bounded (`16 × cleanup_size + 16` per step) so that a state
    /// spread thinly over many key groups costs little per access.
    pub(crate) fn cleanup_step(&mut self, now: i64) {
        let Some(policy) = self.ttl else {
            return;
        };
        let Some(incremental) = policy.incremental else {
            return;
        };
        let groups = self.groups.len();
        let mut budget = incremental.cleanup_size;
        let mut group_moves = budget.saturating_mul(16).saturating_add(16);
        let (mut group, mut slot) = self.cursor;
        while budget > 0 && groups > 0 {
            let next = self.groups.get(group).map(|map| map.next_occupied(slot));
            match next {
                Some(Some(index)) => {
                    budget -= 1;
                    let Some(map) = self.groups.get_mut(group) else {
                        break;
                    };
                    let empty = map
                        .slot_mut(index)
                        .is_some_and(|(_, entry)| entry.purge_expired(&policy, now));
                    if empty {
                        // Later entries may move into this slot: look at it again.
                        map.remove_at(index);
                        slot = index;
                    } else {
                        slot = index + 1;
                    }
                }
                _ => {
                    if group_moves == 0 {
                        break;
                    }
                    group_moves -= 1;
                    group = (group + 1) % groups;
                    slot = 0;
                }
            }
        }
        self.cursor = (group, slot);
    }
}

/// A state table with its types erased, as the backend holds it.
pub(crate) trait AnyTable<K>: Send {
    /// The table, for downcasting to its concrete type.
    fn as_any(&self) -> &dyn Any;
    /// The table, mutably, for downcasting to its concrete type.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Number of (key, namespace) entries.
    fn entry_count(&self) -> usize;
    /// Number of (key, namespace) entries in the key group at position `group`.
    fn group_entry_count(&self, group: usize) -> usize;
    /// Estimated bytes held (see `HeapKeyedStateBackend::state_size_bytes`).
    fn size_bytes(&self) -> usize;
    /// Drops every entry of the key group at position `group`, freeing its memory.
    fn clear_group(&mut self, group: usize);
    /// One step of the incremental TTL cleanup (no-op without one).
    fn cleanup_step(&mut self, now: i64);
    /// Starts loading the entry of a key (hashed into `key_hasher`) in the key group at
    /// position `group` into the cache, if this state has the void namespace `()` (other
    /// namespaces, such as windows, are not known before the function runs).
    fn prefetch(&self, group: usize, key_hasher: StateHasher);
    /// The keys with an entry in namespace `namespace` (`None` if it has another type).
    fn keys<'a>(&'a self, namespace: &'a dyn Any) -> Option<Box<dyn Iterator<Item = &'a K> + 'a>>;
    /// The table as it is now, for a snapshot to encode later on any thread; later writes
    /// copy a key group first if the snapshot still holds it.
    fn freeze(&self) -> Box<dyn FrozenTable>;
    /// Reads entries written by [`FrozenTable::encode_group`] into the key group at position
    /// `group` (replacing equal keys and namespaces); every key must belong to key group
    /// `key_group` of `max_parallelism`.
    fn decode_group(
        &mut self,
        group: usize,
        key_group: u32,
        max_parallelism: u32,
        r: &mut Reader<'_>,
    ) -> Result<(), StateError>;
}

impl<K, N, S, X> AnyTable<K> for StateTable<K, N, S, X>
where
    K: BackendKey,
    N: Namespace,
    S: StoredEntry,
    X: Send + 'static,
{
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn entry_count(&self) -> usize {
        self.groups.iter().map(GroupMap::len).sum()
    }

    fn group_entry_count(&self, group: usize) -> usize {
        self.groups.get(group).map_or(0, GroupMap::len)
    }

    fn size_bytes(&self) -> usize {
        let maps = self.groups.len() * size_of::<Arc<GroupMap<StateKey<K, N>, S>>>();
        let tables: usize = self.groups.iter().map(GroupMap::allocated_bytes).sum();
        let heap: usize = self
            .groups
            .iter()
            .flat_map(GroupMap::iter)
            .map(|(_, s)| s.heap_bytes())
            .sum();
        size_of::<Self>() + maps + tables + heap
    }

    fn clear_group(&mut self, group: usize) {
        self.groups.reset(group);
    }

    fn cleanup_step(&mut self, now: i64) {
        StateTable::cleanup_step(self, now);
    }

    #[inline]
    fn prefetch(&self, group: usize, key_hasher: StateHasher) {
        if let Some(void) = (&() as &dyn Any).downcast_ref::<N>() {
            StateTable::prefetch(self, group, key_hasher, void);
        }
    }

    fn keys<'a>(&'a self, namespace: &'a dyn Any) -> Option<Box<dyn Iterator<Item = &'a K> + 'a>> {
        let namespace = namespace.downcast_ref::<N>()?;
        Some(Box::new(self.groups.iter().flat_map(move |map| {
            map.iter()
                .filter(move |(q, _)| q.namespace == *namespace)
                .map(|(q, _)| &q.key)
        })))
    }

    fn freeze(&self) -> Box<dyn FrozenTable> {
        Box::new(Frozen(self.groups.freeze()))
    }

    fn decode_group(
        &mut self,
        group: usize,
        key_group: u32,
        max_parallelism: u32,
        r: &mut Reader<'_>,
    ) -> Result<(), StateError> {
        let count = r.u32("entry count")?;
        let Some(map) = self.groups.get_mut(group) else {
            return Err(r.corrupt_at(r.offset(), "entries", "key group outside the backend"));
        };
        for _ in 0..count {
            let at = r.offset();
            let key = r.value::<K>("key")?;
            let namespace = r.value::<N>("namespace")?;
            let entry = S::decode(r)?;
            let actual = assign_key_to_key_group(&key, max_parallelism);
            if actual != key_group {
                return Err(r.corrupt_at(
                    at,
                    "key",
                    &format!("the key belongs to key group {actual}"),
                ));
            }
            let mut hasher = StateHasher::default();
            key.hash(&mut hasher);
            namespace.hash(&mut hasher);
            let hash = hasher.finish();
            let found = map.find(hash, |q| q.key == key && q.namespace == namespace);
            match found.and_then(|index| map.slot_mut(index)) {
                Some((_, slot)) => *slot = entry,
                None => {
                    map.insert_new(hash, (StateKey { key, namespace }, entry))
                        .ok_or(StateError::KeyGroupFull)?;
                }
            }
        }
        Ok(())
    }
}

/// Appends the snapshot of one key group's map (absent: empty): the entry count, then per
/// entry its key, namespace and stored value (with TTL timestamps).
fn encode_map<K, N, S>(
    map: Option<&GroupMap<StateKey<K, N>, S>>,
    out: &mut Vec<u8>,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    S: StoredEntry,
{
    let Some(map) = map else {
        return put_len(out, 0, "a key group");
    };
    put_len(out, map.len(), "a key group")?;
    for (q, s) in map.iter() {
        put_value(out, &q.key)?;
        put_value(out, &q.namespace)?;
        s.encode(out)?;
    }
    Ok(())
}

/// A state's key groups as a snapshot took them ([`AnyTable::freeze`]), encoded later,
/// on the thread that writes the snapshot.
pub(crate) trait FrozenTable: Send {
    /// Appends the snapshot of the key group at position `group`, as it was at the freeze.
    fn encode_group(&self, group: usize, out: &mut Vec<u8>) -> Result<(), StateError>;
}

/// The frozen key groups of one table.
struct Frozen<Q, S>(Vec<Arc<GroupMap<Q, S>>>);

impl<K, N, S> FrozenTable for Frozen<StateKey<K, N>, S>
where
    K: BackendKey,
    N: Namespace,
    S: StoredEntry,
{
    fn encode_group(&self, group: usize, out: &mut Vec<u8>) -> Result<(), StateError> {
        encode_map(self.0.get(group).map(|g| &**g), out)
    }
}
