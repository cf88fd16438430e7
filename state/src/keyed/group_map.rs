//! [`GroupMap`]: the hash table holding one state's entries of one key group.
//!
//! Open addressing with linear probing and backward-shift deletion, at most 4/5 full, over
//! two parallel arrays of the same length: a control array of `u32` tags (0 for an empty
//! slot, else the high half of the entry's hash, never 0) and the entries themselves, laid
//! inline. A lookup reads the tag and the entry at the same slot: both addresses follow from
//! the hash, so the two cache misses of a cold key overlap instead of one waiting for the
//! other (an index of positions into a dense entry vector costs two dependent misses,
//! measured as the largest cost of a keyed count over a million keys). The tag also gives
//! an entry's home slot when entries shift, so the map never rehashes.
//!
//! Positions are slot numbers: stable until the next insertion or removal. Removal shifts
//! later entries of the cluster back into the hole, so a forward scan that removes the entry
//! at a position must look at that position again (the incremental TTL cleanup does).
//! Memory: `(4 + size_of::<(Q, S)>()) × slots` bytes; for 16-byte entries 25 to 50 bytes per
//! entry.

use std::mem::{size_of, MaybeUninit};

/// The tag of an empty slot.
const EMPTY: u32 = 0;
/// The smallest non-zero number of slots.
const MIN_SLOTS: usize = 8;
/// The largest number of entries one map holds (positions are reported as `usize`, but the
/// table's size is kept within what a `u32` counts, as before).
const MAX_ENTRIES: usize = u32::MAX as usize - 1;

/// The tag stored for an entry of hash `hash`: its high half, with 0 (empty) mapped to 1.
#[inline]
fn tag(hash: u64) -> u32 {
    ((hash >> 32) as u32).max(1)
}

/// Hints the processor to load the cache line holding `p` (no effect where the hint is not
/// available). Never faults, whatever the address.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it reads nothing the program observes and cannot
    // fault, whatever the address (the unit tests pass addresses outside any allocation).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The largest number of entries a table of `slots` slots may hold (4/5 load).
#[inline]
fn max_len(slots: usize) -> usize {
    slots / 5 * 4 + slots % 5 * 4 / 5
}

/// An open-addressing table with inline entries (see the module documentation).
///
/// Invariant: `tags.len() == entries.len()`, a power of two or 0, and `entries[i]` is
/// initialised exactly when `tags[i] != EMPTY`; `len` counts those slots.
pub(crate) struct GroupMap<Q, S> {
    /// EMPTY, or the tag of the entry in the same slot.
    tags: Vec<u32>,
    /// The entries, initialised where the tag is not EMPTY.
    entries: Vec<MaybeUninit<(Q, S)>>,
    /// Number of entries.
    len: usize,
}

impl<Q, S> Default for GroupMap<Q, S> {
    fn default() -> Self {
        Self {
            tags: Vec::new(),
            entries: Vec::new(),
            len: 0,
        }
    }
}

impl<Q, S> Drop for GroupMap<Q, S> {
    fn drop(&mut self) {
        if !std::mem::needs_drop::<(Q, S)>() {
            return;
        }
        for (tag, entry) in self.tags.iter().zip(self.entries.iter_mut()) {
            if *tag != EMPTY {
                // SAFETY: a slot whose tag is not EMPTY holds an initialised entry (the
                // type's invariant), and it is dropped once: the map goes away after this.
                unsafe { entry.assume_init_drop() };
            }
        }
    }
}

impl<Q: Clone, S: Clone> Clone for GroupMap<Q, S> {
    /// A copy with the same slots (a snapshot still holds the original).
    fn clone(&self) -> Self {
        let slots = self.tags.len();
        let mut copy = Self {
            tags: vec![EMPTY; slots],
            entries: Vec::with_capacity(slots),
            len: 0,
        };
        copy.entries.resize_with(slots, MaybeUninit::uninit);
        for (i, (tag, entry)) in self.tags.iter().zip(&self.entries).enumerate() {
            if *tag != EMPTY {
                // SAFETY: a slot whose tag is not EMPTY holds an initialised entry.
                let value = unsafe { entry.assume_init_ref() }.clone();
                // The tag is set only once the entry is written, so a panicking `clone`
                // leaves `copy` valid (its drop sees only written entries).
                copy.entries[i].write(value);
                copy.tags[i] = *tag;
                copy.len += 1;
            }
        }
        copy
    }
}

impl<Q: std::fmt::Debug, S: std::fmt::Debug> std::fmt::Debug for GroupMap<Q, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<Q, S> GroupMap<Q, S> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes allocated by the map itself (not counting heap parts of the entries).
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.tags.capacity() * size_of::<u32>()
            + self.entries.capacity() * size_of::<MaybeUninit<(Q, S)>>()
    }

    /// The position of the entry with `hash` for which `eq` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(&Q) -> bool) -> Option<usize> {
        let slots = self.tags.len();
        let mask = slots.checked_sub(1)?;
        let tag = tag(hash);
        let mut at = tag as usize & mask;
        // The load is below 1, so an empty slot ends every probe; the bound is a safeguard.
        for _ in 0..slots {
            let t = *self.tags.get(at)?;
            if t == EMPTY {
                return None;
            }
            if t == tag {
                if let Some((q, _)) = self.slot(at) {
                    if eq(q) {
                        return Some(at);
                    }
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Starts loading the slot where a lookup of `hash` begins (its tag and entry) into the
    /// cache, so that a lookup issued a little later finds them there.
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        let Some(mask) = self.tags.len().checked_sub(1) else {
            return;
        };
        let at = tag(hash) as usize & mask;
        prefetch(self.tags.as_ptr().wrapping_add(at));
        prefetch(self.entries.as_ptr().wrapping_add(at));
    }

    /// The entry at `position`, if it holds one.
    #[inline]
    pub(crate) fn slot(&self, position: usize) -> Option<&(Q, S)> {
        if *self.tags.get(position)? == EMPTY {
            return None;
        }
        let entry = self.entries.get(position)?;
        // SAFETY: the tag at `position` is not EMPTY, so the entry there is initialised.
        Some(unsafe { entry.assume_init_ref() })
    }

    /// The entry at `position`, mutably, if it holds one.
    #[inline]
    pub(crate) fn slot_mut(&mut self, position: usize) -> Option<&mut (Q, S)> {
        if *self.tags.get(position)? == EMPTY {
            return None;
        }
        let entry = self.entries.get_mut(position)?;
        // SAFETY: the tag at `position` is not EMPTY, so the entry there is initialised.
        Some(unsafe { entry.assume_init_mut() })
    }

    /// The first position at or after `from` that holds an entry.
    #[inline]
    pub(crate) fn next_occupied(&self, from: usize) -> Option<usize> {
        let rest = self.tags.get(from..)?;
        rest.iter().position(|&t| t != EMPTY).map(|i| from + i)
    }

    /// The entries, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(Q, S)> + '_ {
        self.tags
            .iter()
            .zip(self.entries.iter())
            .filter(|(tag, _)| **tag != EMPTY)
            // SAFETY: the tag is not EMPTY, so the entry is initialised.
            .map(|(_, entry)| unsafe { entry.assume_init_ref() })
    }

    /// The first empty slot on the probe path of `tag`, if any (none only in an empty or
    /// full table, which growth before every insertion rules out).
    fn free_slot(&self, tag: u32) -> Option<usize> {
        let slots = self.tags.len();
        let mask = slots.checked_sub(1)?;
        let mut at = tag as usize & mask;
        for _ in 0..slots {
            if *self.tags.get(at)? == EMPTY {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Doubles the table (or allocates its first slots) and moves every entry to its place
    /// in the new one, using the stored tags (no rehashing).
    fn grow(&mut self) {
        let slots = (self.tags.len() * 2).max(MIN_SLOTS);
        let old_tags = std::mem::replace(&mut self.tags, vec![EMPTY; slots]);
        let mut old_entries = std::mem::take(&mut self.entries);
        self.entries.resize_with(slots, MaybeUninit::uninit);
        for (tag, entry) in old_tags.into_iter().zip(old_entries.iter_mut()) {
            if tag == EMPTY {
                continue;
            }
            let Some(at) = self.free_slot(tag) else {
                continue;
            };
            // SAFETY: the old tag is not EMPTY, so the old entry is initialised; it is read
            // once and the old vector (of `MaybeUninit`, which never drops its contents) is
            // freed without dropping it, so ownership moves to the new slot.
            let moved = unsafe { entry.assume_init_read() };
            if let (Some(t), Some(e)) = (self.tags.get_mut(at), self.entries.get_mut(at)) {
                *t = tag;
                e.write(moved);
            }
        }
    }

    /// Appends an entry known to be absent and returns its position; `None` if the map is
    /// full (2^32 - 2 entries).
    pub(crate) fn insert_new(&mut self, hash: u64, entry: (Q, S)) -> Option<usize> {
        if self.len >= MAX_ENTRIES {
            return None;
        }
        if self.len + 1 > max_len(self.tags.len()) {
            self.grow();
        }
        let tag = tag(hash);
        let at = self.free_slot(tag)?;
        let (t, e) = (self.tags.get_mut(at)?, self.entries.get_mut(at)?);
        *t = tag;
        e.write(entry);
        self.len += 1;
        Some(at)
    }

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

    /// Removes the entry at `position`; later entries of its cluster may shift into it, so
    /// a forward scan must look at `position` again.
    pub(crate) fn remove_at(&mut self, position: usize) -> Option<(Q, S)> {
        if *self.tags.get(position)? == EMPTY {
            return None;
        }
        let entry = self.entries.get(position)?;
        // SAFETY: the tag at `position` is not EMPTY, so the entry is initialised; the tag
        // is cleared (or overwritten by a shifted entry's) below before anything reads the
        // slot again, so the entry is not read or dropped twice.
        let removed = unsafe { entry.assume_init_read() };
        self.len -= 1;
        self.shift_into(position);
        Some(removed)
    }

    /// Fills the hole at `hole` (an emptied slot whose entry has been moved out) by moving
    /// later entries of the cluster back along their probe paths (backward-shift deletion),
    /// then marks the final hole empty.
    fn shift_into(&mut self, mut hole: usize) {
        let slots = self.tags.len();
        let Some(mask) = slots.checked_sub(1) else {
            return;
        };
        let mut next = (hole + 1) & mask;
        for _ in 0..slots {
            let tag = match self.tags.get(next) {
                Some(&t) if t != EMPTY => t,
                _ => break,
            };
            let home = tag as usize & mask;
            // The entry at `next` may move into the hole if the hole lies on its probe path,
            // i.e. between its home and `next` (cyclically).
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                // The hole's contents are moved out: swapping moves the entry (as bytes;
                // `MaybeUninit` never drops) and the hole to `next`.
                self.tags.swap(hole, next);
                self.entries.swap(hole, next);
                hole = next;
            }
            next = (next + 1) & mask;
        }
        if let Some(t) = self.tags.get_mut(hole) {
            *t = EMPTY;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyed::hasher::BuildStateHasher;
    use proptest::prelude::*;
    use std::cell::Cell;
    use std::collections::HashMap;
    use std::hash::BuildHasher;
    use std::rc::Rc;

    /// A weak hash on purpose: only 16 distinct values, so that clusters and equal tags form.
    fn weak_hash(k: u64) -> u64 {
        BuildStateHasher::default().hash_one(k & 15)
    }

    fn insert(map: &mut GroupMap<u64, u64>, k: u64, v: u64) {
        let index = map
            .find_or_insert(weak_hash(k), |q| *q == k, || (k, 0))
            .unwrap();
        map.slot_mut(index).unwrap().1 = v;
    }

    fn get(map: &GroupMap<u64, u64>, k: u64) -> Option<u64> {
        let index = map.find(weak_hash(k), |q| *q == k)?;
        map.slot(index).map(|(_, v)| *v)
    }

    fn remove(map: &mut GroupMap<u64, u64>, k: u64) -> Option<u64> {
        let index = map.find(weak_hash(k), |q| *q == k)?;
        map.remove_at(index).map(|(_, v)| v)
    }

    #[test]
    fn a_clone_is_independent_and_drops_its_own_entries() {
        let mut map: GroupMap<u64, Rc<u64>> = GroupMap::default();
        let shared = Rc::new(7);
        for k in 0..40 {
            let index = map
                .find_or_insert(weak_hash(k), |q| *q == k, || (k, shared.clone()))
                .unwrap();
            assert!(map.slot(index).is_some());
        }
        let mut copy = map.clone();
        assert_eq!(Rc::strong_count(&shared), 81, "every value was cloned");
        let index = copy.find(weak_hash(3), |q| *q == 3).unwrap();
        copy.remove_at(index);
        assert_eq!((map.len(), copy.len()), (40, 39));
        assert!(map.find(weak_hash(3), |q| *q == 3).is_some());
        let keys = |m: &GroupMap<u64, Rc<u64>>| {
            let mut k: Vec<u64> = m.iter().map(|(q, _)| *q).collect();
            k.sort_unstable();
            k
        };
        assert_eq!(keys(&copy), (0..40).filter(|&k| k != 3).collect::<Vec<_>>());
        drop(map);
        drop(copy);
        assert_eq!(Rc::strong_count(&shared), 1, "each entry dropped once");
    }

    #[test]
    fn load_stays_below_four_fifths() {
        let mut map = GroupMap::default();
        assert_eq!(map.allocated_bytes(), 0);
        for k in 0..1000 {
            insert(&mut map, k, k);
            assert!(map.len() <= max_len(map.tags.len()));
        }
        assert_eq!(map.tags.len(), 2048);
        assert_eq!(map.allocated_bytes(), 2048 * (4 + 16));
        assert_eq!(map.iter().count(), 1000);
        for k in (0..1000).step_by(2) {
            assert_eq!(remove(&mut map, k), Some(k));
        }
        assert_eq!(map.len(), 500);
        assert!(map.iter().all(|(q, v)| q % 2 == 1 && q == v));
        assert_eq!(max_len(8), 6);
        assert_eq!(max_len(1 << 20), (1 << 20) * 4 / 5);
    }

    #[test]
    fn a_scan_that_removes_looks_at_the_position_again() {
        let mut map = GroupMap::default();
        for k in 0..200 {
            insert(&mut map, k, k);
        }
        // Remove every even key in one forward scan, as the TTL cleanup does.
        let mut at = 0;
        let mut seen = 0;
        while let Some(position) = map.next_occupied(at) {
            seen += 1;
            if map.slot(position).is_some_and(|(k, _)| k % 2 == 0) {
                map.remove_at(position);
                at = position;
            } else {
                at = position + 1;
            }
        }
        assert!(seen >= 200, "every entry was looked at");
        assert_eq!(map.len(), 100);
        assert!((0..200).all(|k| get(&map, k) == (k % 2 == 1).then_some(k)));
        assert_eq!(map.next_occupied(map.tags.len()), None);
        assert!(map.slot(usize::MAX).is_none());
    }

    /// Counts its drops, to check that entries are dropped exactly once whether removed,
    /// moved by growth or shifts, or left in the map when it is dropped.
    struct Counted(Rc<Cell<usize>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn every_entry_is_dropped_exactly_once() {
        let drops = Rc::new(Cell::new(0));
        {
            let mut map: GroupMap<String, Counted> = GroupMap::default();
            for k in 0..500u64 {
                let key = format!("key-{k}");
                let value = Counted(drops.clone());
                map.insert_new(weak_hash(k), (key, value)).unwrap();
            }
            for k in (0..500u64).step_by(3) {
                let key = format!("key-{k}");
                let at = map.find(weak_hash(k), |q| *q == key).unwrap();
                let (removed, _) = map.remove_at(at).unwrap();
                assert_eq!(removed, key);
            }
            assert_eq!(
                drops.get(),
                167,
                "removed entries are dropped by the caller"
            );
            assert_eq!(map.len(), 333);
            for k in (1..500u64).step_by(3) {
                let key = format!("key-{k}");
                assert!(map.find(weak_hash(k), |q| *q == key).is_some());
            }
        }
        assert_eq!(drops.get(), 500, "the rest are dropped with the map");
    }

    #[test]
    fn prefetch_is_harmless_on_any_map_and_address() {
        let mut map: GroupMap<u64, u64> = GroupMap::default();
        map.prefetch(weak_hash(1));
        for k in 0..100 {
            insert(&mut map, k, k);
            map.prefetch(weak_hash(k));
        }
        // Addresses outside any allocation, and null.
        prefetch(std::ptr::null::<u64>());
        prefetch(map.tags.as_ptr().wrapping_add(1 << 40));
        assert_eq!(get(&map, 7), Some(7));
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
                prop_assert_eq!(map.iter().count(), model.len());
            }
            for k in 0..64 {
                prop_assert_eq!(get(&map, k), model.get(&k).copied());
            }
        }
    }
}
