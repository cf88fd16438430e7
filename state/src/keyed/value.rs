//! [`ValueState`]: one value per key and namespace (Flink's `ValueState`).

use std::any::TypeId;

use super::backend::{BackendKey, HeapKeyedStateBackend, Namespace, Registration, StateValue};
use super::descriptor::{describe, StateKind, ValueStateDescriptor};
use super::handle::KeyGroupEntries;
use super::single;
use super::stamp::{Plain, Stamped, StoredEntry, Timed};
use super::table::{AnyTable, StateTable, Target};
use crate::error::StateError;

state_handle! {
    /// A registered value state: `value` / `update` / `clear` for the current key in a
    /// namespace.
    ValueState<V>
}

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// Registers the value state `descriptor` in namespaces `N`, or returns the one already
    /// registered under its name (an error if that one differs in kind, types or TTL).
    pub fn value_state<N: Namespace, V: StateValue>(
        &mut self,
        descriptor: &ValueStateDescriptor<V>,
    ) -> Result<ValueState<N, V>, StateError> {
        let registration = Registration {
            name: descriptor.name(),
            kind: StateKind::Value,
            types: TypeId::of::<(N, V)>(),
            description: describe(
                StateKind::Value,
                std::any::type_name::<N>(),
                &[("value", std::any::type_name::<V>())],
            ),
            ttl: descriptor.ttl_config(),
        };
        self.register(registration, |groups, ttl| -> Box<dyn AnyTable<K>> {
            match ttl {
                None => Box::new(StateTable::<K, N, Plain<V>, ()>::new(groups, (), None)),
                Some(policy) => Box::new(StateTable::<K, N, Timed<V>, ()>::new(
                    groups,
                    (),
                    Some(policy),
                )),
            }
        })
        .map(ValueState::from_registration)
    }
}

impl<N: Namespace, V: StateValue> ValueState<N, V> {
    /// The value for the current key in `namespace`, cloned (Flink's `value()`); `None` if
    /// there is none.
    #[inline]
    pub fn value<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Option<V>, StateError>
    where
        V: Clone,
    {
        self.with_value(backend, namespace, |v| v.cloned())
    }

    /// Calls `f` with the value for the current key in `namespace`, borrowed.
    #[inline]
    pub fn with_value<K: BackendKey, R>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        f: impl FnOnce(Option<&V>) -> R,
    ) -> Result<R, StateError> {
        if self.timed {
            single::read::<K, N, Timed<V>, (), R>(backend, self.id, namespace, f)
        } else {
            single::read::<K, N, Plain<V>, (), R>(backend, self.id, namespace, f)
        }
    }

    /// Sets the value for the current key in `namespace` (Flink's `update`).
    #[inline]
    pub fn update<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        value: V,
    ) -> Result<(), StateError> {
        if self.timed {
            write::<K, N, Timed<V>>(backend, self, namespace, value)
        } else {
            write::<K, N, Plain<V>>(backend, self, namespace, value)
        }
    }

    /// Removes the value for the current key in `namespace` and returns it, moved rather
    /// than cloned (for a read-modify-write that puts it back with [`Self::update`]).
    pub fn take<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Option<V>, StateError> {
        if self.timed {
            single::take::<K, N, Timed<V>, ()>(backend, self.id, namespace)
        } else {
            single::take::<K, N, Plain<V>, ()>(backend, self.id, namespace)
        }
    }

    /// Removes the value for the current key in `namespace` (Flink's `clear`).
    pub fn clear<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<(), StateError> {
        if self.timed {
            single::remove::<K, N, Timed<V>, ()>(backend, self.id, namespace)
        } else {
            single::remove::<K, N, Plain<V>, ()>(backend, self.id, namespace)
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
            let table = backend.table::<StateTable<K, N, Timed<V>, ()>>(self.id)?;
            Ok(Box::new(
                table.group_entries(group).map(|(k, n, p)| (k, n, &p.value)),
            ))
        } else {
            let table = backend.table::<StateTable<K, N, Plain<V>, ()>>(self.id)?;
            Ok(Box::new(
                table.group_entries(group).map(|(k, n, p)| (k, n, &p.0)),
            ))
        }
    }
}

fn write<K, N, P>(
    backend: &mut HeapKeyedStateBackend<K>,
    state: &ValueState<N, P::Value>,
    namespace: &N,
    value: P::Value,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
{
    let access = backend.access::<StateTable<K, N, P, ()>>(state.id, P::TIMED)?;
    let target = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        access.table.cleanup_step(access.now);
    }
    access.table.put(&target, P::new(value, access.now))?;
    Ok(())
}
