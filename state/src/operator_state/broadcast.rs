//! Broadcast state (Flink's `BroadcastState` and `ReadOnlyBroadcastState`): a map that every
//! subtask holds identically, because the broadcast side applies the same elements
//! everywhere. The broadcast side gets [`BroadcastState`] (read and write); the keyed or
//! non-keyed side gets [`ReadOnlyBroadcastState`], which has no way to write.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use crate::keyed::BuildStateHasher;

/// A broadcast map state, readable and writable (the broadcast side's view).
#[derive(Debug, Clone)]
pub struct BroadcastState<K, V> {
    map: HashMap<K, V, BuildStateHasher>,
}

impl<K, V> Default for BroadcastState<K, V> {
    fn default() -> Self {
        Self {
            map: HashMap::default(),
        }
    }
}

impl<K: Eq + Hash, V> BroadcastState<K, V> {
    /// An empty broadcast state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key` (Flink's `get`).
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    /// Whether `key` has a value (Flink's `contains`).
    pub fn contains<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    /// Sets the value of `key`, returning the previous one (Flink's `put`).
    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.map.insert(key, value)
    }

    /// Sets the values of all `entries`' keys (Flink's `putAll`).
    pub fn put_all(&mut self, entries: impl IntoIterator<Item = (K, V)>) {
        self.map.extend(entries);
    }

    /// Removes `key`, returning its value (Flink's `remove`).
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key)
    }

    /// The entries, in unspecified order (Flink's `entries()` / `iterator()`).
    pub fn entries(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.map.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Removes all entries (Flink's `clear`).
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The read-only view handed to the non-broadcast side.
    pub fn read_only(&self) -> ReadOnlyBroadcastState<'_, K, V> {
        ReadOnlyBroadcastState { map: &self.map }
    }
}

/// A read-only view of a broadcast state (Flink's `ReadOnlyBroadcastState`): the side that
/// processes regular elements may read but never modify broadcast state, which is what
/// keeps it identical on every subtask.
#[derive(Debug)]
pub struct ReadOnlyBroadcastState<'a, K, V> {
    map: &'a HashMap<K, V, BuildStateHasher>,
}

impl<K, V> Clone for ReadOnlyBroadcastState<'_, K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for ReadOnlyBroadcastState<'_, K, V> {}

impl<'a, K: Eq + Hash, V> ReadOnlyBroadcastState<'a, K, V> {
    /// The value of `key` (Flink's `get`).
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&'a V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    /// Whether `key` has a value (Flink's `contains`).
    pub fn contains<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    /// The entries, immutable, in unspecified order (Flink's `immutableEntries()`).
    pub fn entries(&self) -> impl Iterator<Item = (&'a K, &'a V)> + 'a {
        self.map.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator_state::redistribute_broadcast;

    #[test]
    fn broadcast_side_writes_and_other_side_reads() {
        let mut rules: BroadcastState<String, u32> = BroadcastState::new();
        assert!(rules.is_empty());
        assert_eq!(rules.put("a".into(), 1), None);
        rules.put_all([("b".to_string(), 2), ("c".to_string(), 3)]);
        assert_eq!(rules.put("a".into(), 10), Some(1));
        assert_eq!(rules.remove("c"), Some(3));
        let view = rules.read_only();
        assert_eq!(view.get("a"), Some(&10));
        assert!(view.contains("b") && !view.contains("c"));
        assert_eq!(view.len(), 2);
        let mut entries: Vec<_> = view.entries().map(|(k, v)| (k.clone(), *v)).collect();
        entries.sort();
        assert_eq!(entries, vec![("a".to_string(), 10), ("b".to_string(), 2)]);
        // The view is Copy and only borrows: it cannot outlive or modify the state.
        let copy = view;
        assert_eq!(copy.get("b"), view.get("b"));
        rules.clear();
        assert!(rules.read_only().is_empty());
    }

    #[test]
    fn every_subtask_holds_the_same_state() {
        // The broadcast side applies the same elements on every subtask...
        let mut subtasks: Vec<BroadcastState<u32, &str>> = vec![BroadcastState::new(); 3];
        for state in &mut subtasks {
            state.put(1, "x");
            state.put(2, "y");
            state.remove(&1);
        }
        let snapshot = |s: &BroadcastState<u32, &'static str>| -> Vec<(u32, &'static str)> {
            let mut e: Vec<_> = s.entries().map(|(k, v)| (*k, *v)).collect();
            e.sort();
            e
        };
        assert!(subtasks.iter().all(|s| snapshot(s) == vec![(2, "y")]));
        // ...and rescaling hands every new subtask a copy.
        let rescaled = redistribute_broadcast(&subtasks, 5).unwrap();
        assert_eq!(rescaled.len(), 5);
        assert!(rescaled.iter().all(|s| snapshot(s) == vec![(2, "y")]));
    }
}
