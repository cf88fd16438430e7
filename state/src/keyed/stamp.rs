//! How stored values carry (or not) their TTL timestamp.
//!
//! A state registered without TTL stores [`Plain`] values, exactly `size_of::<V>()` bytes; a
//! state with TTL stores [`Timed`] values, the value plus its last-access timestamp (Flink's
//! `TtlValue`). Both implement [`Stamped`], so one generic access path serves both and the
//! TTL checks compile away for [`Plain`].

use std::collections::HashMap;
use std::hash::Hash;
use std::mem::size_of;

use super::hasher::BuildStateHasher;
use super::size::{hash_table_bytes, HeapSize};
use super::ttl::TtlPolicy;
use super::views::{ListIter, MapIter};

/// A stored value with or without a TTL timestamp.
pub(crate) trait Stamped: Sized + Send + 'static {
    /// The user's value type.
    type Value;
    /// Whether this representation carries a timestamp (TTL enabled).
    const TIMED: bool;
    /// Wraps `value`, stamped `now`.
    fn new(value: Self::Value, now: i64) -> Self;
    /// The user's value.
    fn value(&self) -> &Self::Value;
    /// The user's value, mutably.
    fn value_mut(&mut self) -> &mut Self::Value;
    /// Unwraps the user's value.
    fn into_value(self) -> Self::Value;
    /// Whether the value is expired at `now` (never for [`Plain`]).
    fn is_expired(&self, ttl: &TtlPolicy, now: i64) -> bool;
    /// Sets the timestamp to `now` (no-op for [`Plain`]).
    fn touch(&mut self, now: i64);
    /// The user's values of a stored list, as an iterator.
    fn list_iter(items: &[Self]) -> ListIter<'_, Self::Value>;
    /// The entries of a stored map, as an iterator.
    fn map_iter<UK>(map: &HashMap<UK, Self, BuildStateHasher>) -> MapIter<'_, UK, Self::Value>;
}

/// A value stored without TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct Plain<V>(pub(crate) V);

/// A value stored with its TTL timestamp (Flink's `TtlValue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timed<V> {
    /// The user's value.
    pub(crate) value: V,
    /// When it was last created, written (or read, with `OnReadAndWrite`), epoch ms.
    pub(crate) timestamp: i64,
}

impl<V: Send + 'static> Stamped for Plain<V> {
    type Value = V;
    const TIMED: bool = false;

    #[inline]
    fn new(value: V, _now: i64) -> Self {
        Plain(value)
    }

    #[inline]
    fn value(&self) -> &V {
        &self.0
    }

    #[inline]
    fn value_mut(&mut self) -> &mut V {
        &mut self.0
    }

    #[inline]
    fn into_value(self) -> V {
        self.0
    }

    #[inline]
    fn is_expired(&self, _ttl: &TtlPolicy, _now: i64) -> bool {
        false
    }

    #[inline]
    fn touch(&mut self, _now: i64) {}

    fn list_iter(items: &[Self]) -> ListIter<'_, V> {
        ListIter::plain(items)
    }

    fn map_iter<UK>(map: &HashMap<UK, Self, BuildStateHasher>) -> MapIter<'_, UK, V> {
        MapIter::plain(map)
    }
}

impl<V: Send + 'static> Stamped for Timed<V> {
    type Value = V;
    const TIMED: bool = true;

    #[inline]
    fn new(value: V, now: i64) -> Self {
        Timed {
            value,
            timestamp: now,
        }
    }

    #[inline]
    fn value(&self) -> &V {
        &self.value
    }

    #[inline]
    fn value_mut(&mut self) -> &mut V {
        &mut self.value
    }

    #[inline]
    fn into_value(self) -> V {
        self.value
    }

    #[inline]
    fn is_expired(&self, ttl: &TtlPolicy, now: i64) -> bool {
        ttl.expired(self.timestamp, now)
    }

    #[inline]
    fn touch(&mut self, now: i64) {
        self.timestamp = now;
    }

    fn list_iter(items: &[Self]) -> ListIter<'_, V> {
        ListIter::timed(items)
    }

    fn map_iter<UK>(map: &HashMap<UK, Self, BuildStateHasher>) -> MapIter<'_, UK, V> {
        MapIter::timed(map)
    }
}

/// What a state table stores per (key, namespace): one stamped value, a list of them or a
/// map of them.
pub(crate) trait StoredEntry: Send + 'static {
    /// Removes the expired parts; true if nothing is left (the entry should go).
    fn purge_expired(&mut self, ttl: &TtlPolicy, now: i64) -> bool;
    /// Heap bytes owned by the entry, beyond its inline size.
    fn heap_bytes(&self) -> usize;
}

impl<V: HeapSize + Send + 'static> StoredEntry for Plain<V> {
    fn purge_expired(&mut self, _ttl: &TtlPolicy, _now: i64) -> bool {
        false
    }

    fn heap_bytes(&self) -> usize {
        self.0.heap_size()
    }
}

impl<V: HeapSize + Send + 'static> StoredEntry for Timed<V> {
    fn purge_expired(&mut self, ttl: &TtlPolicy, now: i64) -> bool {
        self.is_expired(ttl, now)
    }

    fn heap_bytes(&self) -> usize {
        self.value.heap_size()
    }
}

impl<P: Stamped> StoredEntry for Vec<P>
where
    P::Value: HeapSize,
{
    fn purge_expired(&mut self, ttl: &TtlPolicy, now: i64) -> bool {
        if P::TIMED {
            self.retain(|p| !p.is_expired(ttl, now));
        }
        self.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        self.capacity() * size_of::<P>() + self.iter().map(|p| p.value().heap_size()).sum::<usize>()
    }
}

impl<UK, P> StoredEntry for HashMap<UK, P, BuildStateHasher>
where
    UK: Eq + Hash + HeapSize + Send + 'static,
    P: Stamped,
    P::Value: HeapSize,
{
    fn purge_expired(&mut self, ttl: &TtlPolicy, now: i64) -> bool {
        if P::TIMED {
            self.retain(|_, p| !p.is_expired(ttl, now));
        }
        self.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        hash_table_bytes::<(UK, P)>(self.capacity())
            + self
                .iter()
                .map(|(k, p)| k.heap_size() + p.value().heap_size())
                .sum::<usize>()
    }
}
