//! [`AggregatingState`]: one accumulator per key and namespace, fed on `add` through an
//! [`AggregateFunction`] (Flink's `AggregatingState`), mergeable across namespaces.

use std::any::TypeId;
use std::sync::Arc;

use super::backend::{BackendKey, HeapKeyedStateBackend, Namespace, Registration, StateValue};
use super::descriptor::{describe, AggregateFunction, AggregatingStateDescriptor, StateKind};
use super::handle::KeyGroupEntries;
use super::single::{self, locate_for_read, locate_for_write, Located};
use super::stamp::{Plain, Stamped, StoredEntry, Timed};
use super::table::{AnyTable, StateTable, Target};
use super::StateId;
use crate::error::StateError;

state_handle! {
    /// A registered aggregating state: `get` / `add` / `clear` for the current key in a
    /// namespace; `add` folds inputs into an accumulator with an [`AggregateFunction`].
    AggregatingState<IN, ACC, OUT>
}

type AggregateFn<IN, ACC, OUT> = Arc<dyn AggregateFunction<IN, ACC, OUT>>;
type AggregatingTable<K, N, P, IN, ACC, OUT> = StateTable<K, N, P, AggregateFn<IN, ACC, OUT>>;

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// Registers the aggregating state `descriptor` in namespaces `N`, or returns the one
    /// already registered under its name, with its original function (an error if that one
    /// differs in kind, types or TTL).
    pub fn aggregating_state<N, IN, ACC, OUT>(
        &mut self,
        descriptor: &AggregatingStateDescriptor<IN, ACC, OUT>,
    ) -> Result<AggregatingState<N, IN, ACC, OUT>, StateError>
    where
        N: Namespace,
        IN: 'static,
        ACC: StateValue,
        OUT: 'static,
    {
        let registration = Registration {
            name: descriptor.name(),
            kind: StateKind::Aggregating,
            types: TypeId::of::<(N, IN, ACC, OUT)>(),
            description: describe(
                StateKind::Aggregating,
                std::any::type_name::<N>(),
                &[
                    ("input", std::any::type_name::<IN>()),
                    ("accumulator", std::any::type_name::<ACC>()),
                    ("output", std::any::type_name::<OUT>()),
                ],
            ),
            ttl: descriptor.ttl_config(),
        };
        let function = Arc::clone(&descriptor.function);
        self.register(registration, |groups, ttl| -> Box<dyn AnyTable<K>> {
            match ttl {
                None => Box::new(AggregatingTable::<K, N, Plain<ACC>, IN, ACC, OUT>::new(
                    groups, function, None,
                )),
                Some(p) => Box::new(AggregatingTable::<K, N, Timed<ACC>, IN, ACC, OUT>::new(
                    groups,
                    function,
                    Some(p),
                )),
            }
        })
        .map(AggregatingState::from_registration)
    }
}

impl<N, IN, ACC, OUT> AggregatingState<N, IN, ACC, OUT>
where
    N: Namespace,
    IN: 'static,
    ACC: StateValue,
    OUT: 'static,
{
    /// The result for the accumulator (Flink's `get()`); `None` if nothing was added.
    pub fn get<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<Option<OUT>, StateError> {
        if self.timed {
            aggregating_get::<K, N, Timed<ACC>, IN, OUT>(backend, self.id, namespace)
        } else {
            aggregating_get::<K, N, Plain<ACC>, IN, OUT>(backend, self.id, namespace)
        }
    }

    /// Calls `f` with the accumulator itself, borrowed (`None` if nothing was added): for
    /// combining the accumulators of several namespaces without changing them.
    pub fn with_accumulator<K: BackendKey, R>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        f: impl FnOnce(Option<&ACC>) -> R,
    ) -> Result<R, StateError> {
        if self.timed {
            single::read::<K, N, Timed<ACC>, AggregateFn<IN, ACC, OUT>, R>(
                backend, self.id, namespace, f,
            )
        } else {
            single::read::<K, N, Plain<ACC>, AggregateFn<IN, ACC, OUT>, R>(
                backend, self.id, namespace, f,
            )
        }
    }

    /// Adds `value` to the accumulator, created first if there is none (Flink's `add`).
    pub fn add<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
        value: IN,
    ) -> Result<(), StateError> {
        if self.timed {
            aggregating_add::<K, N, Timed<ACC>, IN, OUT>(backend, self.id, namespace, value)
        } else {
            aggregating_add::<K, N, Plain<ACC>, IN, OUT>(backend, self.id, namespace, value)
        }
    }

    /// Removes the accumulator (Flink's `clear`).
    pub fn clear<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        namespace: &N,
    ) -> Result<(), StateError> {
        if self.timed {
            single::remove::<K, N, Timed<ACC>, AggregateFn<IN, ACC, OUT>>(
                backend, self.id, namespace,
            )
        } else {
            single::remove::<K, N, Plain<ACC>, AggregateFn<IN, ACC, OUT>>(
                backend, self.id, namespace,
            )
        }
    }

    /// Merges the accumulators of the `sources` namespaces (in order) into `target`'s with
    /// [`AggregateFunction::merge`], removing them (Flink's `mergeNamespaces`).
    pub fn merge_namespaces<K: BackendKey>(
        &self,
        backend: &mut HeapKeyedStateBackend<K>,
        target: &N,
        sources: &[N],
    ) -> Result<(), StateError> {
        fn merger<IN, ACC, OUT>(f: &AggregateFn<IN, ACC, OUT>) -> impl Fn(ACC, ACC) -> ACC {
            let f = Arc::clone(f);
            move |a, b| f.merge(a, b)
        }
        if self.timed {
            single::merge::<K, N, Timed<ACC>, _, _>(
                backend,
                self.id,
                target,
                sources,
                merger::<IN, ACC, OUT>,
            )
        } else {
            single::merge::<K, N, Plain<ACC>, _, _>(
                backend,
                self.id,
                target,
                sources,
                merger::<IN, ACC, OUT>,
            )
        }
    }

    /// The (key, namespace, accumulator) entries stored in `key_group`, in storage order,
    /// including TTL-expired accumulators not yet cleaned up.
    pub fn key_group_entries<'a, K: BackendKey>(
        &self,
        backend: &'a HeapKeyedStateBackend<K>,
        key_group: u32,
    ) -> Result<KeyGroupEntries<'a, K, N, &'a ACC>, StateError> {
        let group = backend.group_position(key_group)?;
        if self.timed {
            let table =
                backend.table::<AggregatingTable<K, N, Timed<ACC>, IN, ACC, OUT>>(self.id)?;
            Ok(Box::new(
                table.group_entries(group).map(|(k, n, p)| (k, n, &p.value)),
            ))
        } else {
            let table =
                backend.table::<AggregatingTable<K, N, Plain<ACC>, IN, ACC, OUT>>(self.id)?;
            Ok(Box::new(
                table.group_entries(group).map(|(k, n, p)| (k, n, &p.0)),
            ))
        }
    }
}

fn aggregating_get<K, N, P, IN, OUT>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
) -> Result<Option<OUT>, StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
    IN: 'static,
    OUT: 'static,
{
    let access = backend.access::<AggregatingTable<K, N, P, IN, P::Value, OUT>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    Ok(match locate_for_read(table, &t, now) {
        Located::Absent => None,
        Located::Removed(p) => Some(table.function.get_result(p.value())),
        Located::At(index) => table
            .entry(t.group, index)
            .map(|p| table.function.get_result(p.value())),
    })
}

fn aggregating_add<K, N, P, IN, OUT>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    value: IN,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
    IN: 'static,
    OUT: 'static,
{
    let access = backend.access::<AggregatingTable<K, N, P, IN, P::Value, OUT>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    match locate_for_write(table, &t, now) {
        Some(index) => {
            let function = &table.function;
            if let Some((_, p)) = table
                .groups
                .get_mut(t.group)
                .and_then(|m| m.slot_mut(index))
            {
                function.add(value, p.value_mut());
                p.touch(now);
            }
        }
        None => {
            let mut accumulator = table.function.create_accumulator();
            table.function.add(value, &mut accumulator);
            table.put(&t, P::new(accumulator, now))?;
        }
    }
    Ok(())
}
