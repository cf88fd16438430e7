//! [`ReducingState`]: one value per key and namespace, combined on `add` by the
//! descriptor's reduce function (Flink's `ReducingState`), mergeable across namespaces.

use std::any::TypeId;
use std::sync::Arc;

use super::backend::{BackendKey, HeapKeyedStateBackend, Namespace, Registration, StateValue};
use super::descriptor::{describe, ReduceFn, ReducingStateDescriptor, StateKind};
use super::handle::KeyGroupEntries;
use super::single::{self, locate_for_write};
use super::stamp::{Plain, Stamped, StoredEntry, Timed};
use super::table::{AnyTable, StateTable, Target};
use super::StateId;
use crate::error::StateError;

state_handle! {
    /// A registered reducing state: `get` / `add` / `clear` for the current key in a
    /// namespace; `add` combines with the descriptor's reduce function.
    ReducingState<V>
}

type ReducingTable<K, N, P, V> = StateTable<K, N, P, ReduceFn<V>>;

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// Registers the reducing state `descriptor` in namespaces `N`, or returns the one
    /// already registered under its name, with its original reduce function (an error if
    /// that one differs in kind, types or TTL).
    pub fn reducing_state<N: Namespace, V: StateValue>(
        &mut self,
        descriptor: &ReducingStateDescriptor<V>,
    ) -> Result<ReducingState<N, V>, StateError> {
        let registration = Registration {
            name: descriptor.name(),
            kind: StateKind::Reducing,
            types: TypeId::of::<(N, V)>(),
            description: describe(
                StateKind::Reducing,
                std::any::type_name::<N>(),
                &[("value", std::any::type_name::<V>())],
            ),
            ttl: descriptor.ttl_config(),
        };
        let reduce = Arc::clone(&descriptor.reduce);
        self.register(registration, |groups, ttl| -> Box<dyn AnyTable<K>> {
            match ttl {
                None => Box::new(ReducingTable::<K, N, Plain<V>, V>::new(
                    groups, reduce, None,
                )),
                Some(p) => Box::new(ReducingTable::<K, N, Timed<V>, V>::new(
                    groups,
                    reduce,
                    Some(p),
                )),
            }
        })
        .map(ReducingState::from_registration)
    }
}

impl<N: Namespace, V: StateValue> ReducingState<N, V> {
    /// The accumulated value, cloned (Flink's `get()`); `None` if nothing was added.
    pub fn get<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Option<V>, StateError>
    where
        V: Clone,
    {
        self.with_value(backend, namespace, |v| v.cloned())
    }

    /// Calls `f` with the accumulated value, borrowed.
    pub fn with_value<K: BackendKey, R>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        f: impl FnOnce(Option<&V>) -> R,
    ) -> Result<R, StateError> {
        if self.timed {
            single::read::<K, N, Timed<V>, ReduceFn<V>, R>(backend, self.id, namespace, f)
        } else {
            single::read::<K, N, Plain<V>, ReduceFn<V>, R>(backend, self.id, namespace, f)
        }
    }

    /// Combines `value` into the accumulated value: `reduce(accumulated, value)`, or
    /// `value` itself if there is none (Flink's `add`).
    pub fn add<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        value: V,
    ) -> Result<(), StateError> {
        if self.timed {
            reducing_add::<K, N, Timed<V>>(backend, self.id, namespace, value)
        } else {
            reducing_add::<K, N, Plain<V>>(backend, self.id, namespace, value)
        }
    }

    /// Removes the accumulated value (Flink's `clear`).
    pub fn clear<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<(), StateError> {
        if self.timed {
            single::remove::<K, N, Timed<V>, ReduceFn<V>>(backend, self.id, namespace)
        } else {
            single::remove::<K, N, Plain<V>, ReduceFn<V>>(backend, self.id, namespace)
        }
    }

    /// Reduces the values of the `sources` namespaces (in order) into `target`'s, removing
    /// them (Flink's `mergeNamespaces`).
    pub fn merge_namespaces<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        target: &N,
        sources: &[N],
    ) -> Result<(), StateError> {
        if self.timed {
            single::merge::<K, N, Timed<V>, ReduceFn<V>, _>(
                backend,
                self.id,
                target,
                sources,
                |f| {
                    let f = Arc::clone(f);
                    move |a, b| f(&a, b)
                },
            )
        } else {
            single::merge::<K, N, Plain<V>, ReduceFn<V>, _>(
                backend,
                self.id,
                target,
                sources,
                |f| {
                    let f = Arc::clone(f);
                    move |a, b| f(&a, b)
                },
            )
        }
    }

    /// The (key, namespace, value) entries stored in `key_group`, in storage order,
    /// including TTL-expired values not yet cleaned up.
    pub fn key_group_entries<'a, K: BackendKey>(
        &self,
        backend: &'a HeapKeyedStateBackend<K>,
        key_group: u32,
    ) -> Result<KeyGroupEntries<'a, K, N, &'a V>, StateError> {
        let group = backend.group_position(key_group)?;
        if self.timed {
            let table = backend.table::<ReducingTable<K, N, Timed<V>, V>>(self.id)?;
            Ok(Box::new(
                table.group_entries(group).map(|(k, n, p)| (k, n, &p.value)),
            ))
        } else {
            let table = backend.table::<ReducingTable<K, N, Plain<V>, V>>(self.id)?;
            Ok(Box::new(
                table.group_entries(group).map(|(k, n, p)| (k, n, &p.0)),
            ))
        }
    }
}

fn reducing_add<K, N, P>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    value: P::Value,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
{
    let access = backend.access::<ReducingTable<K, N, P, P::Value>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    match locate_for_write(table, &t, now) {
        Some(index) => {
            let reduce = &table.function;
            if let Some((_, p)) = table
                .groups
                .get_mut(t.group)
                .and_then(|m| m.slot_mut(index))
            {
                let reduced = reduce(p.value(), value);
                *p = P::new(reduced, now);
            }
        }
        None => table.put(&t, P::new(value, now))?,
    }
    Ok(())
}
