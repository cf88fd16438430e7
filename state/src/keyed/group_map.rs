//! [`GroupMap`]: the hash table holding one state's entries of one key group.
//!
//! Open addressing with linear probing, a tag byte per slot and backward-shift deletion
//! (no tombstones), like Flink's own `CopyOnWriteStateMap` replacing `java.util.HashMap`.
//! A table of its own (rather than `std::collections::HashMap`) gives stable slot positions,
//! which the TTL incremental cleanup needs for its lazy cursor over all entries.
//!
//! Memory: `capacity × (size_of::<Option<(Q, S)>>() + 1)` bytes; the capacity is a power of
//! two and the table grows (doubles) when it would be more than 4/5 full, so it is between
//! 2/5 and 4/5 full once it holds more than a handful of entries.

use std::mem::size_of;

/// A key stored in a [`GroupMap`] knows its own hash (needed to move entries).
pub(crate) trait TableKey {
    /// The hash the entry was inserted with.
    fn table_hash(&self) -> u64;
}

/// The smallest non-zero capacity.
const MIN_CAPACITY: usize = 8;

/// The tag byte of a hash: its top seven bits with the high bit set (0 marks an empty slot).
#[inline]
fn tag_of(hash: u64) -> u8 {
    0x80 | (hash >> 57) as u8
}

/// The largest number of entries a table of `capacity` slots may hold (4/5 load).
#[inline]
fn max_len(capacity: usize) -> usize {
    capacity / 5 * 4 + capacity % 5 * 4 / 5
}

/// An open-addressing hash table of `(Q, S)` entries (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct GroupMap<Q, S> {
    /// One byte per slot: 0 when empty, else the entry's tag.
    ctrl: Vec<u8>,
    /// The entries; `slots.len() == ctrl.len()`, a power of two or 0.
    slots: Vec<Option<(Q, S)>>,
    /// Number of occupied slots.
    len: usize,
}

impl<Q, S> Default for GroupMap<Q, S> {
    fn default() -> Self {
        Self {
            ctrl: Vec::new(),
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<Q, S> GroupMap<Q, S> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of slots (occupied or not).
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Bytes allocated by the table itself (not counting heap parts of the entries).
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.ctrl.capacity() + self.slots.capacity() * size_of::<Option<(Q, S)>>()
    }

    /// The slot index of the entry with `hash` for which `eq` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(&Q) -> bool) -> Option<usize> {
        let capacity = self.ctrl.len();
        if capacity == 0 {
            return None;
        }
        let mask = capacity - 1;
        let tag = tag_of(hash);
        let mut index = hash as usize & mask;
        // The load is below 1, so an empty slot ends every probe; the bound is a safeguard.
        for _ in 0..capacity {
            match self.ctrl.get(index) {
                Some(0) | None => return None,
                Some(&c) if c == tag => {
                    if let Some(Some((q, _))) = self.slots.get(index) {
                        if eq(q) {
                            return Some(index);
                        }
                    }
                }
                Some(_) => {}
            }
            index = (index + 1) & mask;
        }
        None
    }

    /// The entry in slot `index`, if occupied.
    #[inline]
    pub(crate) fn slot(&self, index: usize) -> Option<&(Q, S)> {
        self.slots.get(index)?.as_ref()
    }

    /// The entry in slot `index`, mutably, if occupied.
    #[inline]
    pub(crate) fn slot_mut(&mut self, index: usize) -> Option<&mut (Q, S)> {
        self.slots.get_mut(index)?.as_mut()
    }

    /// The first occupied slot at or after `from`, found by scanning the tag bytes.
    #[inline]
    pub(crate) fn next_occupied(&self, from: usize) -> Option<usize> {
        let rest = self.ctrl.get(from..)?;
        rest.iter().position(|&c| c != 0).map(|i| from + i)
    }

    /// The entries, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(Q, S)> + '_ {
        self.slots.iter().flatten()
    }

    /// The first empty slot on the probe path of `hash` (the table must not be full).
    fn empty_slot_for(&self, hash: u64) -> Option<usize> {
        let capacity = self.ctrl.len();
        let mask = capacity.checked_sub(1)?;
        let mut index = hash as usize & mask;
        for _ in 0..capacity {
            if self.ctrl.get(index) == Some(&0) {
                return Some(index);
            }
            index = (index + 1) & mask;
        }
        None
    }
}

impl<Q: TableKey, S> GroupMap<Q, S> {
    /// The slot of the entry with `hash` for which `eq` holds, inserting `make()` first if
    /// there is none. `None` only if the table cannot place the entry (never in practice).
    #[inline]
    pub(crate) fn find_or_insert(
        &mut self,
        hash: u64,
        eq: impl FnMut(&Q) -> bool,
        make: impl FnOnce() -> (Q, S),
    ) -> Option<usize> {
        if let Some(index) = self.find(hash, eq) {
            return Some(index);
        }
        self.insert_new(hash, make())
    }

    /// Inserts an entry known to be absent and returns its slot.
    pub(crate) fn insert_new(&mut self, hash: u64, entry: (Q, S)) -> Option<usize> {
        if self.len + 1 > max_len(self.capacity()) {
            self.grow();
        }
        let index = self.empty_slot_for(hash)?;
        if let (Some(c), Some(slot)) = (self.ctrl.get_mut(index), self.slots.get_mut(index)) {
            *c = tag_of(hash);
            *slot = Some(entry);
            self.len += 1;
            return Some(index);
        }
        None
    }

    /// Removes the entry in slot `index`, moving later entries of its cluster back so that
    /// probes stay short (backward-shift deletion). Entries only move to slots at or after
    /// `index` (cyclically), so a forward scan re-examining `index` misses none.
    pub(crate) fn remove_at(&mut self, index: usize) -> Option<(Q, S)> {
        let removed = self.slots.get_mut(index)?.take()?;
        let capacity = self.ctrl.len();
        let mask = capacity - 1;
        if let Some(c) = self.ctrl.get_mut(index) {
            *c = 0;
        }
        self.len -= 1;
        let mut hole = index;
        let mut next = (index + 1) & mask;
        for _ in 0..capacity {
            let home = match self.slots.get(next) {
                Some(Some((q, _))) => q.table_hash() as usize & mask,
                _ => break,
            };
            // The entry at `next` may move into the hole if the hole lies on its probe
            // path, i.e. between its home slot and `next` (cyclically).
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                self.slots.swap(hole, next);
                self.ctrl.swap(hole, next);
                hole = next;
            }
            next = (next + 1) & mask;
        }
        Some(removed)
    }

    /// Doubles the capacity (or allocates the first slots) and re-inserts every entry.
    fn grow(&mut self) {
        let capacity = (self.capacity() * 2).max(MIN_CAPACITY);
        let old = std::mem::take(&mut self.slots);
        self.ctrl = vec![0; capacity];
        let mut slots = Vec::with_capacity(capacity);
        slots.resize_with(capacity, || None);
        self.slots = slots;
        self.len = 0;
        for (q, s) in old.into_iter().flatten() {
            let hash = q.table_hash();
            // A fresh table with spare room always has an empty slot.
            let _ = self.insert_new(hash, (q, s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyed::hasher::BuildStateHasher;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::hash::BuildHasher;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Key(u64);

    impl TableKey for Key {
        fn table_hash(&self) -> u64 {
            // Weak hash on purpose: only the low 4 bits, so that clusters form.
            BuildStateHasher::default().hash_one(self.0 & 15)
        }
    }

    fn insert(map: &mut GroupMap<Key, u64>, k: u64, v: u64) {
        let key = Key(k);
        let hash = key.table_hash();
        let index = map
            .find_or_insert(hash, |q| *q == key, || (key.clone(), 0))
            .unwrap();
        map.slot_mut(index).unwrap().1 = v;
    }

    fn get(map: &GroupMap<Key, u64>, k: u64) -> Option<u64> {
        let key = Key(k);
        let index = map.find(key.table_hash(), |q| *q == key)?;
        map.slot(index).map(|(_, v)| *v)
    }

    fn remove(map: &mut GroupMap<Key, u64>, k: u64) -> Option<u64> {
        let key = Key(k);
        let index = map.find(key.table_hash(), |q| *q == key)?;
        map.remove_at(index).map(|(_, v)| v)
    }

    #[test]
    fn load_stays_between_two_and_four_fifths() {
        let mut map = GroupMap::default();
        assert_eq!(map.capacity(), 0);
        for k in 0..1000 {
            insert(&mut map, k, k);
            assert!(map.len() <= max_len(map.capacity()));
            assert!(map.len() < map.capacity());
        }
        assert_eq!(map.capacity(), 2048);
        assert_eq!(map.iter().count(), 1000);
        assert_eq!(max_len(8), 6);
        assert_eq!(max_len(1 << 20), (1 << 20) * 4 / 5);
    }

    proptest! {
        #[test]
        fn behaves_like_a_hash_map(ops in proptest::collection::vec((0u8..3, 0u64..64, any::<u64>()), 0..400)) {
            let mut map = GroupMap::default();
            let mut model = HashMap::new();
            for (op, k, v) in ops {
                match op {
                    0 => { insert(&mut map, k, v); model.insert(k, v); }
                    1 => prop_assert_eq!(remove(&mut map, k), model.remove(&k)),
                    _ => prop_assert_eq!(get(&map, k), model.get(&k).copied()),
                }
                prop_assert_eq!(map.len(), model.len());
            }
            for k in 0..64 {
                prop_assert_eq!(get(&map, k), model.get(&k).copied());
            }
        }
    }
}
