//! [`ListState`]: a list of elements per key and namespace (Flink's `ListState`); under
//! TTL every element carries its own timestamp and expires on its own.

use std::any::TypeId;

use super::backend::{BackendKey, HeapKeyedStateBackend, Namespace, Registration, StateValue};
use super::descriptor::{describe, ListStateDescriptor, StateKind};
use super::handle::KeyGroupEntries;
use super::stamp::{Plain, Stamped, Timed};
use super::table::{AnyTable, StateTable, Target};
use super::views::ListIter;
use crate::error::StateError;

state_handle! {
    /// A registered list state: `get` / `add` / `add_all` / `update` / `clear` for the
    /// current key in a namespace.
    ListState<T>
}

/// The stored form of a list: its elements, each with or without a timestamp.
type ListTable<K, N, P> = StateTable<K, N, Vec<P>, ()>;

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// Registers the list state `descriptor` in namespaces `N`, or returns the one already
    /// registered under its name (an error if that one differs in kind, types or TTL).
    pub fn list_state<N: Namespace, T: StateValue>(
        &mut self,
        descriptor: &ListStateDescriptor<T>,
    ) -> Result<ListState<N, T>, StateError> {
        let registration = Registration {
            name: descriptor.name(),
            kind: StateKind::List,
            types: TypeId::of::<(N, T)>(),
            description: describe(
                StateKind::List,
                std::any::type_name::<N>(),
                &[("element", std::any::type_name::<T>())],
            ),
            ttl: descriptor.ttl_config(),
        };
        self.register(registration, |groups, ttl| -> Box<dyn AnyTable<K>> {
            match ttl {
                None => Box::new(ListTable::<K, N, Plain<T>>::new(groups, (), None)),
                Some(policy) => {
                    Box::new(ListTable::<K, N, Timed<T>>::new(groups, (), Some(policy)))
                }
            }
        })
        .map(ListState::from_registration)
    }
}

/// Dispatches on whether the state stores timestamps.
macro_rules! dispatch {
    ($self:ident, $op:ident [$($g:ty),*] ($($arg:expr),*)) => {
        if $self.timed {
            $op::<K, N, Timed<T> $(, $g)*>($($arg),*)
        } else {
            $op::<K, N, Plain<T> $(, $g)*>($($arg),*)
        }
    };
}

impl<N: Namespace, T: StateValue> ListState<N, T> {
    /// The elements for the current key in `namespace`, cloned (Flink's `get()`; empty if
    /// there are none).
    pub fn get<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Vec<T>, StateError>
    where
        T: Clone,
    {
        self.with_list(backend, namespace, |elements| elements.cloned().collect())
    }

    /// Calls `f` with the elements for the current key in `namespace`, borrowed.
    pub fn with_list<K: BackendKey, R>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        f: impl FnOnce(ListIter<'_, T>) -> R,
    ) -> Result<R, StateError> {
        dispatch!(self, read[_](backend, self.id, namespace, f))
    }

    /// Appends `value` (Flink's `add`).
    pub fn add<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        value: T,
    ) -> Result<(), StateError> {
        dispatch!(
            self,
            append[_](backend, self.id, namespace, std::iter::once(value), false)
        )
    }

    /// Appends all `values`; no-op if there are none (Flink's `addAll`).
    pub fn add_all<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        values: impl IntoIterator<Item = T>,
    ) -> Result<(), StateError> {
        dispatch!(self, append[_](backend, self.id, namespace, values, false))
    }

    /// Replaces the elements with `values`; an empty `values` clears the state (Flink's
    /// `update`).
    pub fn update<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        values: impl IntoIterator<Item = T>,
    ) -> Result<(), StateError> {
        dispatch!(self, append[_](backend, self.id, namespace, values, true))
    }

    /// Removes all elements (Flink's `clear`).
    pub fn clear<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<(), StateError> {
        dispatch!(self, clear[](backend, self.id, namespace))
    }

    /// Moves the elements of the `sources` namespaces to the end of `target`'s, in order
    /// (Flink's `mergeNamespaces`, used by merging windows); elements keep their TTL
    /// timestamps.
    pub fn merge_namespaces<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        target: &N,
        sources: &[N],
    ) -> Result<(), StateError> {
        dispatch!(self, merge[](backend, self.id, target, sources))
    }

    /// The (key, namespace, elements) entries stored in `key_group`, in storage order,
    /// including TTL-expired elements not yet cleaned up.
    pub fn key_group_entries<'a, K: BackendKey>(
        &self,
        backend: &'a HeapKeyedStateBackend<K>,
        key_group: u32,
    ) -> Result<KeyGroupEntries<'a, K, N, ListIter<'a, T>>, StateError> {
        let group = backend.group_position(key_group)?;
        if self.timed {
            let table = backend.table::<ListTable<K, N, Timed<T>>>(self.id)?;
            Ok(Box::new(
                table
                    .group_entries(group)
                    .map(|(k, n, l)| (k, n, ListIter::timed(l))),
            ))
        } else {
            let table = backend.table::<ListTable<K, N, Plain<T>>>(self.id)?;
            Ok(Box::new(
                table
                    .group_entries(group)
                    .map(|(k, n, l)| (k, n, ListIter::plain(l))),
            ))
        }
    }
}

fn read<K, N, P, R>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: super::StateId,
    namespace: &N,
    f: impl FnOnce(ListIter<'_, P::Value>) -> R,
) -> Result<R, StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped,
    P::Value: StateValue,
{
    let access = backend.access::<ListTable<K, N, P>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    let policy = table.ttl.filter(|_| P::TIMED);
    let Some(index) = table.find(&t) else {
        return Ok(f(ListIter::empty()));
    };
    let Some(list) = table.entry_mut(t.group, index) else {
        return Ok(f(ListIter::empty()));
    };
    let Some(policy) = policy else {
        return Ok(f(P::list_iter(list)));
    };
    if policy.update_on_read {
        for p in list.iter_mut().filter(|p| !p.is_expired(&policy, now)) {
            p.touch(now);
        }
    }
    let result = if policy.return_expired {
        let result = f(P::list_iter(list));
        list.retain(|p| !p.is_expired(&policy, now));
        result
    } else {
        list.retain(|p| !p.is_expired(&policy, now));
        f(P::list_iter(list))
    };
    if list.is_empty() {
        table.remove_at(t.group, index);
    }
    Ok(result)
}

fn append<K, N, P, I>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: super::StateId,
    namespace: &N,
    values: I,
    replace: bool,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped,
    P::Value: StateValue,
    I: IntoIterator<Item = P::Value>,
{
    let access = backend.access::<ListTable<K, N, P>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        if replace {
            table.remove(&t);
        }
        return Ok(());
    }
    let list = table.get_or_insert_with(&t, Vec::new)?;
    if replace {
        list.clear();
    }
    list.extend(values.map(|v| P::new(v, now)));
    Ok(())
}

fn clear<K, N, P>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: super::StateId,
    namespace: &N,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped,
    P::Value: StateValue,
{
    let access = backend.access::<ListTable<K, N, P>>(id, P::TIMED)?;
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        access.table.cleanup_step(access.now);
    }
    access.table.remove(&t);
    Ok(())
}

fn merge<K, N, P>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: super::StateId,
    target: &N,
    sources: &[N],
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped,
    P::Value: StateValue,
{
    let access = backend.access::<ListTable<K, N, P>>(id, P::TIMED)?;
    let table = access.table;
    if P::TIMED {
        table.cleanup_step(access.now);
    }
    let mut merged: Vec<P> = Vec::new();
    for source in sources {
        let t = Target::new(access.key, access.hasher, access.group, source);
        if let Some(mut list) = table.remove(&t) {
            merged.append(&mut list);
        }
    }
    if !merged.is_empty() {
        let t = Target::new(access.key, access.hasher, access.group, target);
        table.get_or_insert_with(&t, Vec::new)?.append(&mut merged);
    }
    Ok(())
}
