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
use crate::codec::StateCodec;
use crate::error::StateError;
use crate::snapshot::bytes::{put_i64, put_len, put_value, Reader};

/// A stored value with or without a TTL timestamp.
pub(crate) trait Stamped: Sized + Clone + Send + Sync + 'static {
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
    /// The TTL timestamp (0 for [`Plain`]).
    fn timestamp(&self) -> i64;
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

impl<V: Clone + Send + Sync + 'static> Stamped for Plain<V> {
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

    fn timestamp(&self) -> i64 {
        0
    }

    fn list_iter(items: &[Self]) -> ListIter<'_, V> {
        ListIter::plain(items)
    }

    fn map_iter<UK>(map: &HashMap<UK, Self, BuildStateHasher>) -> MapIter<'_, UK, V> {
        MapIter::plain(map)
    }
}

impl<V: Clone + Send + Sync + 'static> Stamped for Timed<V> {
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

    fn timestamp(&self) -> i64 {
        self.timestamp
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
pub(crate) trait StoredEntry: Clone + Send + Sync + 'static {
    /// Removes the expired parts; true if nothing is left (the entry should go).
    fn purge_expired(&mut self, ttl: &TtlPolicy, now: i64) -> bool;
    /// Heap bytes owned by the entry, beyond its inline size.
    fn heap_bytes(&self) -> usize;
    /// Appends the entry's snapshot bytes (values with their TTL timestamps).
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError>;
    /// Reads an entry written by [`StoredEntry::encode`].
    fn decode(r: &mut Reader<'_>) -> Result<Self, StateError>
    where
        Self: Sized;
}

/// Appends one stamped value: the value, then its timestamp if it has one.
fn encode_stamped<P: Stamped>(p: &P, out: &mut Vec<u8>) -> Result<(), StateError>
where
    P::Value: StateCodec,
{
    put_value(out, p.value())?;
    if P::TIMED {
        put_i64(out, p.timestamp());
    }
    Ok(())
}

/// Reads one stamped value written by [`encode_stamped`].
fn decode_stamped<P: Stamped>(r: &mut Reader<'_>) -> Result<P, StateError>
where
    P::Value: StateCodec,
{
    let value = r.value::<P::Value>("value")?;
    let timestamp = if P::TIMED { r.i64("TTL timestamp")? } else { 0 };
    Ok(P::new(value, timestamp))
}

impl<V: HeapSize + StateCodec + Clone + Send + Sync + 'static> StoredEntry for Plain<V> {
    fn purge_expired(&mut self, _ttl: &TtlPolicy, _now: i64) -> bool {
        false
    }

    fn heap_bytes(&self) -> usize {
        self.0.heap_size()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        encode_stamped(self, out)
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, StateError> {
        decode_stamped(r)
    }
}

impl<V: HeapSize + StateCodec + Clone + Send + Sync + 'static> StoredEntry for Timed<V> {
    fn purge_expired(&mut self, ttl: &TtlPolicy, now: i64) -> bool {
        self.is_expired(ttl, now)
    }

    fn heap_bytes(&self) -> usize {
        self.value.heap_size()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        encode_stamped(self, out)
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, StateError> {
        decode_stamped(r)
    }
}

impl<P: Stamped> StoredEntry for Vec<P>
where
    P::Value: HeapSize + StateCodec,
{
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        put_len(out, self.len(), "a list")?;
        self.iter().try_for_each(|p| encode_stamped(p, out))
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, StateError> {
        let len = r.u32("list length")? as usize;
        // Every element takes at least 4 bytes: a hostile length cannot allocate more.
        let mut list = Vec::with_capacity(len.min(r.remaining() / 4));
        for _ in 0..len {
            list.push(decode_stamped(r)?);
        }
        Ok(list)
    }

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
    UK: Eq + Hash + HeapSize + StateCodec + Clone + Send + Sync + 'static,
    P: Stamped,
    P::Value: HeapSize + StateCodec,
{
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        put_len(out, self.len(), "a map")?;
        for (k, p) in self {
            put_value(out, k)?;
            encode_stamped(p, out)?;
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, StateError> {
        let len = r.u32("map length")? as usize;
        let mut map = HashMap::with_capacity_and_hasher(
            len.min(r.remaining() / 8),
            BuildStateHasher::default(),
        );
        for _ in 0..len {
            let key = r.value::<UK>("map key")?;
            map.insert(key, decode_stamped(r)?);
        }
        Ok(map)
    }

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
