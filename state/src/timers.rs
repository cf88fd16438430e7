//! Timers of a keyed operator (Flink's `InternalTimerService`): per time domain, a queue
//! of `(timestamp, key, namespace)` with at most one timer per key, namespace and
//! timestamp, deletable, popped in timestamp order (equal timestamps in registration
//! order) once the watermark — or, for processing time, the clock — reaches them.
//!
//! Deletion is lazy: the heap keeps the entry and the live set says whether it still
//! counts, so registering and deleting cost one hash operation and at most one heap push.

use std::cmp::Reverse;
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

/// The timers of one time domain.
#[derive(Debug, Clone)]
pub struct TimerQueue<K, N> {
    /// (timestamp, registration sequence) → the timer; stale entries are skipped.
    heap: BinaryHeap<Reverse<(i64, u64)>>,
    /// Timers by registration sequence (what a heap entry points to).
    by_seq: HashMap<u64, Timer<K, N>, BuildStateHasher>,
    /// Live timers: (key, namespace, timestamp) → registration sequence.
    live: HashMap<(K, N, i64), u64, BuildStateHasher>,
    next_seq: u64,
}

impl<K, N> Default for TimerQueue<K, N> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            by_seq: HashMap::default(),
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

    /// Registers a timer; `false` if the same one was already registered.
    pub fn register(&mut self, key: K, namespace: N, timestamp: i64) -> bool {
        let id = (key, namespace, timestamp);
        if self.live.contains_key(&id) {
            return false;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let (key, namespace, timestamp) = id;
        self.live
            .insert((key.clone(), namespace.clone(), timestamp), seq);
        self.by_seq.insert(
            seq,
            Timer {
                timestamp,
                key,
                namespace,
            },
        );
        self.heap.push(Reverse((timestamp, seq)));
        true
    }

    /// Deletes a timer; `false` if there was none.
    pub fn delete(&mut self, key: &K, namespace: &N, timestamp: i64) -> bool {
        match self
            .live
            .remove(&(key.clone(), namespace.clone(), timestamp))
        {
            Some(seq) => {
                self.by_seq.remove(&seq);
                self.compact_if_sparse();
                true
            }
            None => false,
        }
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

    /// The earliest registered timestamp.
    pub fn peek_timestamp(&mut self) -> Option<i64> {
        self.drop_stale_head();
        self.heap.peek().map(|Reverse((ts, _))| *ts)
    }

    /// Removes and returns the earliest timer if it is due at `time` (`timestamp <=
    /// time`); call it until `None` to fire everything due.
    pub fn pop_due(&mut self, time: i64) -> Option<Timer<K, N>> {
        self.drop_stale_head();
        let Reverse((ts, seq)) = *self.heap.peek()?;
        if ts > time {
            return None;
        }
        self.heap.pop();
        let timer = self.by_seq.remove(&seq)?;
        self.live
            .remove(&(timer.key.clone(), timer.namespace.clone(), timer.timestamp));
        Some(timer)
    }

    /// Every registered timer, in no particular order (for snapshots and tests).
    pub fn iter(&self) -> impl Iterator<Item = &Timer<K, N>> {
        self.by_seq.values()
    }

    fn drop_stale_head(&mut self) {
        while let Some(Reverse((_, seq))) = self.heap.peek() {
            if self.by_seq.contains_key(seq) {
                return;
            }
            self.heap.pop();
        }
    }

    /// Rebuilds the heap when deleted entries outnumber live ones, so that many deletes
    /// do not grow it without bound.
    fn compact_if_sparse(&mut self) {
        if self.heap.len() > 64 && self.heap.len() > 2 * self.by_seq.len() {
            let by_seq = &self.by_seq;
            self.heap
                .retain(|Reverse((_, seq))| by_seq.contains_key(seq));
        }
    }
}

#[cfg(test)]
#[path = "timers_tests.rs"]
mod tests;
