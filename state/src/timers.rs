//! Timers of a keyed operator (Flink's `InternalTimerService`): per time domain, a queue
//! of `(timestamp, key, namespace)` with at most one timer per key, namespace and
//! timestamp, deletable, popped in timestamp order (equal timestamps in registration
//! order) once the watermark — or, for processing time, the clock — reaches them.
//!
//! Deletion is lazy: the heap keeps the entry and the live set (with each timer's
//! registration sequence) says whether it still counts, so registering and deleting cost
//! one hash operation and at most one heap push, and firing one heap pop and one hash
//! operation.

use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;

use crate::keyed::BuildStateHasher;

/// A timer due at `timestamp` for `key` in `namespace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer<K, N> {
    /// When it is due (milliseconds: event time, or processing time).
    pub timestamp: i64,
    /// The key it belongs to.
    pub key: K,
    /// Its namespace (`()` outside windows).
    pub namespace: N,
}

/// The two time domains of timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeDomain {
    /// Fired by the watermark.
    EventTime,
    /// Fired by the wall clock.
    ProcessingTime,
}

/// A timer in the heap with its registration sequence, ordered by (timestamp, sequence)
/// only, earliest first.
#[derive(Debug, Clone)]
struct Entry<K, N> {
    seq: u64,
    timer: Timer<K, N>,
}

impl<K, N> PartialEq for Entry<K, N> {
    fn eq(&self, other: &Self) -> bool {
        (self.timer.timestamp, self.seq) == (other.timer.timestamp, other.seq)
    }
}

impl<K, N> Eq for Entry<K, N> {}

impl<K, N> PartialOrd for Entry<K, N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K, N> Ord for Entry<K, N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Reversed: the standard heap is a max-heap.
        (other.timer.timestamp, other.seq).cmp(&(self.timer.timestamp, self.seq))
    }
}

/// The timers of one time domain.
#[derive(Debug, Clone)]
pub struct TimerQueue<K, N> {
    /// The timers by (timestamp, registration sequence); an entry whose sequence is not
    /// the live one of its (key, namespace, timestamp) was deleted and is skipped.
    heap: BinaryHeap<Entry<K, N>>,
    /// Live timers: (key, namespace, timestamp) → registration sequence.
    live: HashMap<(K, N, i64), u64, BuildStateHasher>,
    next_seq: u64,
}

impl<K, N> Default for TimerQueue<K, N> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            live: HashMap::default(),
            next_seq: 0,
        }
    }
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> TimerQueue<K, N> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a timer; `false` if the same one was already registered. One hash
    /// operation, and a heap push for a new timer.
    pub fn register(&mut self, key: K, namespace: N, timestamp: i64) -> bool {
        let seq = self.next_seq;
        match self.live.entry((key, namespace, timestamp)) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                let (key, namespace, _) = slot.key().clone();
                slot.insert(seq);
                self.next_seq += 1;
                self.heap.push(Entry {
                    seq,
                    timer: Timer {
                        timestamp,
                        key,
                        namespace,
                    },
                });
                true
            }
        }
    }

    /// Deletes a timer; `false` if there was none.
    pub fn delete(&mut self, key: &K, namespace: &N, timestamp: i64) -> bool {
        let removed = self
            .live
            .remove(&(key.clone(), namespace.clone(), timestamp))
            .is_some();
        if removed {
            self.compact_if_sparse();
        }
        removed
    }

    /// Whether this timer is registered.
    pub fn contains(&self, key: &K, namespace: &N, timestamp: i64) -> bool {
        self.live
            .contains_key(&(key.clone(), namespace.clone(), timestamp))
    }

    /// How many timers are registered.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether no timer is registered.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Whether a heap entry is the live registration of its timer.
    fn is_live(live: &HashMap<(K, N, i64), u64, BuildStateHasher>, e: &Entry<K, N>) -> bool {
        let t = &e.timer;
        live.get(&(t.key.clone(), t.namespace.clone(), t.timestamp)) == Some(&e.seq)
    }

    /// The earliest registered timestamp.
    pub fn peek_timestamp(&mut self) -> Option<i64> {
        while let Some(top) = self.heap.peek() {
            if Self::is_live(&self.live, top) {
                return Some(top.timer.timestamp);
            }
            self.heap.pop();
        }
        None
    }

    /// Removes and returns the earliest timer if it is due at `time` (`timestamp <=
    /// time`); call it until `None` to fire everything due.
    pub fn pop_due(&mut self, time: i64) -> Option<Timer<K, N>> {
        loop {
            if self.heap.peek()?.timer.timestamp > time {
                return None;
            }
            let Entry { seq, timer } = self.heap.pop()?;
            let id = (timer.key, timer.namespace, timer.timestamp);
            match self.live.remove(&id) {
                Some(live) if live == seq => {
                    let (key, namespace, timestamp) = id;
                    return Some(Timer {
                        timestamp,
                        key,
                        namespace,
                    });
                }
                // Deleted, then registered again: this entry is the deleted one.
                Some(live) => {
                    self.live.insert(id, live);
                }
                None => {}
            }
        }
    }

    /// Every registered timer, in no particular order (for snapshots and tests).
    pub fn iter(&self) -> impl Iterator<Item = &Timer<K, N>> {
        self.heap
            .iter()
            .filter(|e| Self::is_live(&self.live, e))
            .map(|e| &e.timer)
    }

    /// Every registered timer with its registration sequence, in no particular order (for
    /// snapshots, which keep the firing order of equal timestamps).
    pub(crate) fn iter_with_seq(&self) -> impl Iterator<Item = (u64, &Timer<K, N>)> {
        self.heap
            .iter()
            .filter(|e| Self::is_live(&self.live, e))
            .map(|e| (e.seq, &e.timer))
    }

    /// Rebuilds the heap when deleted entries outnumber live ones, so that many deletes
    /// do not grow it without bound.
    fn compact_if_sparse(&mut self) {
        if self.heap.len() > 64 && self.heap.len() > 2 * self.live.len() {
            let live = &self.live;
            self.heap.retain(|e| Self::is_live(live, e));
        }
    }
}

#[cfg(test)]
#[path = "timers_tests.rs"]
mod tests;
