//! [`GroupMap`]: the hash table holding one state's entries of one key group.
//!
//! The entries live densely packed in a `Vec<(Q, S)>`; an open-addressing index of `u64`
//! slots (linear probing, backward-shift deletion, at most 4/5 full) maps hashes to entry
//! positions. Each slot holds the high 32 bits of the entry's hash (compared before the key,
//! and giving the slot's home position when entries shift) and the entry's position.
//!
//! Compared with `std::collections::HashMap`, this keeps stable, dense positions: the TTL
//! incremental cleanup walks them with a plain cursor and key-group iteration (snapshots) is
//! a linear scan. Memory: `8 × index slots + size_of::<(Q, S)>() × entry capacity` bytes;
//! for 16-byte entries that is 26 to 52 bytes per entry, about 34 when both vectors are
//! half-way between growths. Removal moves the last entry into the hole (`swap_remove`).

use std::mem::size_of;

/// A key stored in a [`GroupMap`] knows its own hash (needed to move entries).
pub(crate) trait TableKey {
    /// The hash the entry was inserted with.
    fn table_hash(&self) -> u64;
}

/// An empty index slot (its position part, `u32::MAX`, is never a valid position).
const EMPTY: u64 = u64::MAX;
/// The smallest non-zero number of index slots.
const MIN_SLOTS: usize = 8;
/// The largest number of entries one map holds (positions must fit 32 bits, minus EMPTY).
const MAX_ENTRIES: usize = u32::MAX as usize - 1;

/// The hash bits kept in an index slot.
#[inline]
fn fragment(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// An index slot for the entry at `position` with hash `fragment`.
#[inline]
fn slot_of(fragment: u32, position: usize) -> u64 {
    (u64::from(fragment) << 32) | position as u64
}

/// The largest number of entries an index of `slots` slots may serve (4/5 load).
#[inline]
fn max_len(slots: usize) -> usize {
    slots / 5 * 4 + slots % 5 * 4 / 5
}

/// A dense entry vector with a hash index (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct GroupMap<Q, S> {
    /// EMPTY, or an entry's hash fragment (high half) and position (low half).
    index: Vec<u64>,
    /// The entries, packed.
    entries: Vec<(Q, S)>,
}

impl<Q, S> Default for GroupMap<Q, S> {
    fn default() -> Self {
        Self {
            index: Vec::new(),
            entries: Vec::new(),
        }
    }
}

impl<Q, S> GroupMap<Q, S> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes allocated by the map itself (not counting heap parts of the entries).
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.index.capacity() * size_of::<u64>() + self.entries.capacity() * size_of::<(Q, S)>()
    }

    /// The position of the entry with `hash` for which `eq` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(&Q) -> bool) -> Option<usize> {
        let slots = self.index.len();
        let mask = slots.checked_sub(1)?;
        let fragment = fragment(hash);
        let mut at = fragment as usize & mask;
        // The load is below 1, so an empty slot ends every probe; the bound is a safeguard.
        for _ in 0..slots {
            let slot = *self.index.get(at)?;
            if slot == EMPTY {
                return None;
            }
            if (slot >> 32) as u32 == fragment {
                let position = slot as u32 as usize;
                if let Some((q, _)) = self.entries.get(position) {
                    if eq(q) {
                        return Some(position);
                    }
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// The entry at `position`.
    #[inline]
    pub(crate) fn slot(&self, position: usize) -> Option<&(Q, S)> {
        self.entries.get(position)
    }

    /// The entry at `position`, mutably.
    #[inline]
    pub(crate) fn slot_mut(&mut self, position: usize) -> Option<&mut (Q, S)> {
        self.entries.get_mut(position)
    }

    /// The first position at or after `from` that holds an entry (entries are dense).
    #[inline]
    pub(crate) fn next_occupied(&self, from: usize) -> Option<usize> {
        (from < self.entries.len()).then_some(from)
    }

    /// The entries, in position order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, (Q, S)> {
        self.entries.iter()
    }

    /// The index slot holding `position`, probing from the home of `fragment`.
    fn slot_holding(&self, fragment: u32, position: usize) -> Option<usize> {
        let slots = self.index.len();
        let mask = slots.checked_sub(1)?;
        let wanted = slot_of(fragment, position);
        let mut at = fragment as usize & mask;
        for _ in 0..slots {
            match self.index.get(at) {
                Some(&slot) if slot == wanted => return Some(at),
                Some(&EMPTY) | None => return None,
                Some(_) => at = (at + 1) & mask,
            }
        }
        None
    }

    /// Writes `slot` into the first empty index slot on its probe path.
    fn place(&mut self, slot: u64) {
        let slots = self.index.len();
        let Some(mask) = slots.checked_sub(1) else {
            return;
        };
        let mut at = (slot >> 32) as usize & mask;
        for _ in 0..slots {
            if let Some(s) = self.index.get_mut(at) {
                if *s == EMPTY {
                    *s = slot;
                    return;
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// Doubles the index (or allocates its first slots) and re-places every slot, using
    /// the stored fragments (no rehashing).
    fn grow_index(&mut self) {
        let slots = (self.index.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.index, vec![EMPTY; slots]);
        for slot in old.into_iter().filter(|&s| s != EMPTY) {
            self.place(slot);
        }
    }

    /// Empties index slot `at`, shifting later slots of its cluster back so that probes stay
    /// short (backward-shift deletion).
    fn delete_slot(&mut self, at: usize) {
        let slots = self.index.len();
        let Some(mask) = slots.checked_sub(1) else {
            return;
        };
        let mut hole = at;
        let mut next = (at + 1) & mask;
        for _ in 0..slots {
            let slot = match self.index.get(next) {
                Some(&s) if s != EMPTY => s,
                _ => break,
            };
            let home = (slot >> 32) as usize & mask;
            // The slot at `next` may move into the hole if the hole lies on its probe path,
            // i.e. between its home and `next` (cyclically).
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                self.index.swap(hole, next);
                hole = next;
            }
            next = (next + 1) & mask;
        }
        if let Some(s) = self.index.get_mut(hole) {
            *s = EMPTY;
        }
    }
}

impl<Q: TableKey, S> GroupMap<Q, S> {
    /// The position of the entry with `hash` for which `eq` holds, inserting `make()`
    /// first if there is none. `None` if the map is full (2^32 - 2 entries).
    #[inline]
    pub(crate) fn find_or_insert(
        &mut self,
        hash: u64,
        eq: impl FnMut(&Q) -> bool,
        make: impl FnOnce() -> (Q, S),
    ) -> Option<usize> {
        if let Some(position) = self.find(hash, eq) {
            return Some(position);
        }
        self.insert_new(hash, make())
    }

    /// Appends an entry known to be absent and returns its position; `None` if the map is
    /// full (2^32 - 2 entries).
    pub(crate) fn insert_new(&mut self, hash: u64, entry: (Q, S)) -> Option<usize> {
        let position = self.entries.len();
        if position >= MAX_ENTRIES {
            return None;
        }
        if position + 1 > max_len(self.index.len()) {
            self.grow_index();
        }
        self.entries.push(entry);
        self.place(slot_of(fragment(hash), position));
        Some(position)
    }

    /// Removes the entry at `position`; the last entry moves into its place, so a forward
    /// scan must look at `position` again.
    pub(crate) fn remove_at(&mut self, position: usize) -> Option<(Q, S)> {
        let hash = self.entries.get(position)?.0.table_hash();
        if let Some(at) = self.slot_holding(fragment(hash), position) {
            self.delete_slot(at);
        }
        let last = self.entries.len() - 1;
        let removed = self.entries.swap_remove(position);
        if position != last {
            // The former last entry now lives at `position`: repoint its slot.
            if let Some(moved) = self.entries.get(position) {
                let fragment = fragment(moved.0.table_hash());
                if let Some(at) = self.slot_holding(fragment, last) {
                    if let Some(s) = self.index.get_mut(at) {
                        *s = slot_of(fragment, position);
                    }
                }
            }
        }
        Some(removed)
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
            // Weak hash on purpose: only 16 distinct values, so that clusters and equal
            // fragments form.
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
    fn load_stays_below_four_fifths_and_entries_stay_dense() {
        let mut map = GroupMap::default();
        assert_eq!(map.allocated_bytes(), 0);
        for k in 0..1000 {
            insert(&mut map, k, k);
            assert!(map.len() <= max_len(map.index.len()));
        }
        assert_eq!(map.index.len(), 2048);
        assert_eq!(map.iter().count(), 1000);
        assert_eq!(map.next_occupied(999), Some(999));
        assert_eq!(map.next_occupied(1000), None);
        for k in (0..1000).step_by(2) {
            assert_eq!(remove(&mut map, k), Some(k));
        }
        assert_eq!(map.len(), 500);
        assert!(map.iter().all(|(q, v)| q.0 % 2 == 1 && q.0 == *v));
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
