//! Borrowing iterators over the elements of a list state and the entries of a map state,
//! whether or not the state stores TTL timestamps.

use std::collections::hash_map;
use std::collections::HashMap;
use std::iter::FusedIterator;
use std::slice;

use super::hasher::BuildStateHasher;
use super::stamp::{Plain, Timed};

/// The elements of one list state entry, borrowed.
#[derive(Debug, Clone)]
pub struct ListIter<'a, T> {
    inner: ListInner<'a, T>,
}

#[derive(Debug, Clone)]
enum ListInner<'a, T> {
    Plain(slice::Iter<'a, Plain<T>>),
    Timed(slice::Iter<'a, Timed<T>>),
}

impl<'a, T> ListIter<'a, T> {
    /// An iterator over no elements.
    pub fn empty() -> Self {
        Self {
            inner: ListInner::Plain([].iter()),
        }
    }

    pub(crate) fn plain(items: &'a [Plain<T>]) -> Self {
        Self {
            inner: ListInner::Plain(items.iter()),
        }
    }

    pub(crate) fn timed(items: &'a [Timed<T>]) -> Self {
        Self {
            inner: ListInner::Timed(items.iter()),
        }
    }
}

impl<'a, T> Iterator for ListIter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        match &mut self.inner {
            ListInner::Plain(it) => it.next().map(|p| &p.0),
            ListInner::Timed(it) => it.next().map(|t| &t.value),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            ListInner::Plain(it) => it.size_hint(),
            ListInner::Timed(it) => it.size_hint(),
        }
    }
}

impl<T> ExactSizeIterator for ListIter<'_, T> {}
impl<T> FusedIterator for ListIter<'_, T> {}

/// The entries of one map state entry, borrowed, in unspecified order.
#[derive(Debug, Clone)]
pub struct MapIter<'a, UK, UV> {
    inner: MapInner<'a, UK, UV>,
}

#[derive(Debug, Clone)]
enum MapInner<'a, UK, UV> {
    Empty,
    Plain(hash_map::Iter<'a, UK, Plain<UV>>),
    Timed(hash_map::Iter<'a, UK, Timed<UV>>),
}

impl<'a, UK, UV> MapIter<'a, UK, UV> {
    /// An iterator over no entries.
    pub fn empty() -> Self {
        Self {
            inner: MapInner::Empty,
        }
    }

    pub(crate) fn plain(map: &'a HashMap<UK, Plain<UV>, BuildStateHasher>) -> Self {
        Self {
            inner: MapInner::Plain(map.iter()),
        }
    }

    pub(crate) fn timed(map: &'a HashMap<UK, Timed<UV>, BuildStateHasher>) -> Self {
        Self {
            inner: MapInner::Timed(map.iter()),
        }
    }
}

impl<'a, UK, UV> Iterator for MapIter<'a, UK, UV> {
    type Item = (&'a UK, &'a UV);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            MapInner::Empty => None,
            MapInner::Plain(it) => it.next().map(|(k, p)| (k, &p.0)),
            MapInner::Timed(it) => it.next().map(|(k, t)| (k, &t.value)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            MapInner::Empty => (0, Some(0)),
            MapInner::Plain(it) => it.size_hint(),
            MapInner::Timed(it) => it.size_hint(),
        }
    }
}

impl<UK, UV> ExactSizeIterator for MapIter<'_, UK, UV> {}
impl<UK, UV> FusedIterator for MapIter<'_, UK, UV> {}
