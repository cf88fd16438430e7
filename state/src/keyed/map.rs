//! [`MapState`]: a map of user keys to user values per key and namespace (Flink's
//! `MapState`); under TTL every map entry carries its own timestamp and expires on its own.

use std::any::TypeId;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use super::backend::{BackendKey, HeapKeyedStateBackend, Namespace, Registration, StateValue};
use super::descriptor::{describe, MapStateDescriptor, StateKind};
use super::handle::KeyGroupEntries;
use super::hasher::BuildStateHasher;
use super::stamp::{Plain, Timed};
use super::table::{AnyTable, StateTable};
use super::views::MapIter;
use crate::error::StateError;

#[path = "map_ops.rs"]
mod ops;

state_handle! {
    /// A registered map state: `get` / `put` / `put_all` / `remove` / `contains` /
    /// `entries` / `keys` / `values` / `is_empty` / `clear` for the current key in a
    /// namespace.
    MapState<UK, UV>
}

/// The stored form of a map: user keys to user values with or without a timestamp.
pub(crate) type UserMap<UK, P> = HashMap<UK, P, BuildStateHasher>;
pub(crate) type MapTable<K, N, UK, P> = StateTable<K, N, UserMap<UK, P>, ()>;

/// What a map state's user keys must be.
pub trait MapKey: Eq + Hash + StateValue {}
impl<T: Eq + Hash + StateValue> MapKey for T {}

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// Registers the map state `descriptor` in namespaces `N`, or returns the one already
    /// registered under its name (an error if that one differs in kind, types or TTL).
    pub fn map_state<N: Namespace, UK: MapKey, UV: StateValue>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<N, UK, UV>, StateError> {
        let registration = Registration {
            name: descriptor.name(),
            kind: StateKind::Map,
            types: TypeId::of::<(N, UK, UV)>(),
            description: describe(
                StateKind::Map,
                std::any::type_name::<N>(),
                &[
                    ("user key", std::any::type_name::<UK>()),
                    ("user value", std::any::type_name::<UV>()),
                ],
            ),
            ttl: descriptor.ttl_config(),
        };
        self.register(registration, |groups, ttl| -> Box<dyn AnyTable<K>> {
            match ttl {
                None => Box::new(MapTable::<K, N, UK, Plain<UV>>::new(groups, (), None)),
                Some(policy) => Box::new(MapTable::<K, N, UK, Timed<UV>>::new(
                    groups,
                    (),
                    Some(policy),
                )),
            }
        })
        .map(MapState::from_registration)
    }
}

/// Dispatches on whether the state stores timestamps.
macro_rules! dispatch {
    ($self:ident, $op:ident [$($g:ty),*] ($($arg:expr),*)) => {
        if $self.timed {
            ops::$op::<K, N, UK, Timed<UV> $(, $g)*>($($arg),*)
        } else {
            ops::$op::<K, N, UK, Plain<UV> $(, $g)*>($($arg),*)
        }
    };
}

impl<N: Namespace, UK: MapKey, UV: StateValue> MapState<N, UK, UV> {
    /// The value of user key `key`, cloned (Flink's `get`).
    pub fn get<K: BackendKey, Q>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        key: &Q,
    ) -> Result<Option<UV>, StateError>
    where
        UK: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        UV: Clone,
    {
        self.with_value(backend, namespace, key, |v| v.cloned())
    }

    /// Calls `f` with the value of user key `key`, borrowed.
    pub fn with_value<K: BackendKey, Q, R>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        key: &Q,
        f: impl FnOnce(Option<&UV>) -> R,
    ) -> Result<R, StateError>
    where
        UK: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        dispatch!(self, get_one[Q, R](backend, self.id, namespace, key, f))
    }

    /// Whether user key `key` has a value (Flink's `contains`).
    pub fn contains<K: BackendKey, Q>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        key: &Q,
    ) -> Result<bool, StateError>
    where
        UK: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with_value(backend, namespace, key, |v| v.is_some())
    }

    /// Sets the value of user key `key` (Flink's `put`).
    pub fn put<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        key: UK,
        value: UV,
    ) -> Result<(), StateError> {
        dispatch!(
            self,
            put_many[_](backend, self.id, namespace, std::iter::once((key, value)))
        )
    }

    /// Sets the values of all `entries`' user keys (Flink's `putAll`).
    pub fn put_all<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        entries: impl IntoIterator<Item = (UK, UV)>,
    ) -> Result<(), StateError> {
        dispatch!(self, put_many[_](backend, self.id, namespace, entries))
    }

    /// Removes user key `key` (Flink's `remove`); the map's entry goes when it is empty.
    pub fn remove<K: BackendKey, Q>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        key: &Q,
    ) -> Result<(), StateError>
    where
        UK: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        dispatch!(self, remove_one[Q](backend, self.id, namespace, key))
    }

    /// Calls `f` with all (user key, user value) entries, borrowed (Flink's `entries()`).
    pub fn with_entries<K: BackendKey, R>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        f: impl FnOnce(MapIter<'_, UK, UV>) -> R,
    ) -> Result<R, StateError> {
        dispatch!(self, read_all[_](backend, self.id, namespace, f))
    }

    /// All (user key, user value) entries, cloned, in unspecified order.
    pub fn entries<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Vec<(UK, UV)>, StateError>
    where
        UK: Clone,
        UV: Clone,
    {
        self.with_entries(backend, namespace, |it| {
            it.map(|(k, v)| (k.clone(), v.clone())).collect()
        })
    }

    /// All user keys, cloned, in unspecified order (Flink's `keys()`).
    pub fn keys<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Vec<UK>, StateError>
    where
        UK: Clone,
    {
        self.with_entries(backend, namespace, |it| {
            it.map(|(k, _)| k.clone()).collect()
        })
    }

    /// All user values, cloned, in unspecified order (Flink's `values()`).
    pub fn values<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Vec<UV>, StateError>
    where
        UV: Clone,
    {
        self.with_entries(backend, namespace, |it| {
            it.map(|(_, v)| v.clone()).collect()
        })
    }

    /// Whether the map has no entries (Flink's `isEmpty()`).
    pub fn is_empty<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<bool, StateError> {
        self.with_entries(backend, namespace, |it| it.len() == 0)
    }

    /// Removes all entries (Flink's `clear`).
    pub fn clear<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<(), StateError> {
        dispatch!(self, clear[](backend, self.id, namespace))
    }

    /// The (key, namespace, map entries) entries stored in `key_group`, in storage order,
    /// including TTL-expired map entries not yet cleaned up.
    pub fn key_group_entries<'a, K: BackendKey>(
        &self,
        backend: &'a HeapKeyedStateBackend<K>,
        key_group: u32,
    ) -> Result<KeyGroupEntries<'a, K, N, MapIter<'a, UK, UV>>, StateError> {
        let group = backend.group_position(key_group)?;
        if self.timed {
            let table = backend.table::<MapTable<K, N, UK, Timed<UV>>>(self.id)?;
            Ok(Box::new(
                table
                    .group_entries(group)
                    .map(|(k, n, m)| (k, n, MapIter::timed(m))),
            ))
        } else {
            let table = backend.table::<MapTable<K, N, UK, Plain<UV>>>(self.id)?;
            Ok(Box::new(
                table
                    .group_entries(group)
                    .map(|(k, n, m)| (k, n, MapIter::plain(m))),
            ))
        }
    }
}
