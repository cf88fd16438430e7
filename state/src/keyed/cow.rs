//! [`CowGroups`]: a state's key groups, each behind an [`Arc`] so that a snapshot takes them
//! all in one step ([`CowGroups::freeze`]: a reference count per key group, no copy) and
//! encodes them on another thread, while the task keeps working. A key group still held by
//! a snapshot is copied on its first write after the freeze (Flink's copy-on-write heap
//! state, per key group rather than per entry).
//!
//! Invariant: a group whose `shared` flag is clear has no other `Arc` anywhere: only
//! `freeze` hands out clones, and it sets every flag. Writes to such a group go straight
//! to it, without an atomic operation on the hot path.

use std::cell::Cell;
use std::sync::Arc;

/// Key groups that a snapshot can take without copying.
pub(crate) struct CowGroups<T> {
    groups: Vec<Arc<T>>,
    /// Per group: a frozen snapshot may still hold it (a `Cell`, so that freezing needs
    /// only a shared borrow, as a snapshot does).
    shared: Vec<Cell<bool>>,
}

impl<T: Default> CowGroups<T> {
    /// `n` empty groups.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            groups: (0..n).map(|_| Arc::new(T::default())).collect(),
            shared: (0..n).map(|_| Cell::new(false)).collect(),
        }
    }

    /// Replaces group `i` with an empty one (the snapshot keeps the old one).
    pub(crate) fn reset(&mut self, i: usize) {
        if let (Some(g), Some(s)) = (self.groups.get_mut(i), self.shared.get(i)) {
            *g = Arc::new(T::default());
            s.set(false);
        }
    }
}

impl<T> CowGroups<T> {
    /// Number of groups.
    pub(crate) fn len(&self) -> usize {
        self.groups.len()
    }

    /// Group `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.groups.get(i).map(|g| &**g)
    }

    /// Every group, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.groups.iter().map(|g| &**g)
    }

    /// Every group, shared with the caller: later writes to a group copy it first.
    pub(crate) fn freeze(&self) -> Vec<Arc<T>> {
        for s in &self.shared {
            s.set(true);
        }
        self.groups.clone()
    }
}

impl<T: Clone> CowGroups<T> {
    /// Group `i`, for writing: copied first if a snapshot may still hold it.
    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        let shared = self.shared.get(i)?;
        let group = self.groups.get_mut(i)?;
        if shared.replace(false) {
            // Copies the group unless every snapshot holding it has been dropped.
            return Some(Arc::make_mut(group));
        }
        debug_assert_eq!(Arc::strong_count(group), 1, "an unshared group is unique");
        // SAFETY: the flag is clear, so no other `Arc` of this group exists (the module's
        // invariant: only `freeze` clones, and it sets the flag; `make_mut` above leaves a
        // unique `Arc`). A unique `Arc` may be written through its pointer, which has the
        // provenance of the allocation (what `Arc::get_mut` does after its uniqueness
        // check); `&mut self` makes this borrow exclusive for its lifetime.
        Some(unsafe { &mut *Arc::as_ptr(group).cast_mut() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_group_keeps_its_contents_while_the_live_one_changes() {
        let mut groups: CowGroups<Vec<u32>> = CowGroups::new(3);
        for i in 0..3 {
            groups.get_mut(i).unwrap().push(i as u32);
        }
        let frozen = groups.freeze();
        groups.get_mut(0).unwrap().push(10);
        groups.get_mut(0).unwrap().push(11);
        groups.reset(2);
        assert_eq!(*frozen[0], [0], "the snapshot sees the state at the freeze");
        assert_eq!(*frozen[2], [2]);
        assert_eq!(groups.get(0).unwrap(), &[0, 10, 11]);
        assert_eq!(groups.get(2).unwrap(), &[] as &[u32]);
        // Group 1 was not written: still the frozen allocation, shared.
        assert!(Arc::ptr_eq(&frozen[1], &groups.groups[1]));
        drop(frozen);
        // Written after the snapshot is gone: no copy is needed, and none is made.
        let before = Arc::as_ptr(&groups.groups[1]);
        groups.get_mut(1).unwrap().push(21);
        assert_eq!(Arc::as_ptr(&groups.groups[1]), before);
        // Unique again: writes go through the unchecked path.
        groups.get_mut(1).unwrap().push(22);
        assert_eq!(groups.get(1).unwrap(), &[1, 21, 22]);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 6);
        assert!(groups.get_mut(3).is_none());
    }
}
