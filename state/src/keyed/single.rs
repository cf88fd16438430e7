//! The access paths shared by the single-value states (value, reducing, aggregating):
//! reads with Flink's TTL rules, removal and namespace merging.

use super::backend::{BackendKey, HeapKeyedStateBackend, Namespace, StateId};
use super::stamp::{Stamped, StoredEntry};
use super::table::{StateTable, Target};
use super::ttl::TtlPolicy;
use crate::error::StateError;

/// Where a single-value read finds its value, after Flink's TTL rules
/// (`AbstractTtlDecorator.getWithTtlCheckAndUpdate`) are applied.
pub(crate) enum Located<P> {
    /// No value (or an expired one, removed and not to be returned).
    Absent,
    /// An expired value, removed, returned this once (`ReturnExpiredIfNotCleanedUp`).
    Removed(P),
    /// A live value in this slot (re-stamped if reads refresh the TTL).
    At(usize),
}

/// Locates the single stamped value at `t` for a read: an expired value is removed (and
/// kept for the caller only with `ReturnExpiredIfNotCleanedUp`); a live one is re-stamped
/// with `OnReadAndWrite`.
#[inline]
pub(crate) fn locate_for_read<K, N, P, X>(
    table: &mut StateTable<K, N, P, X>,
    t: &Target<'_, K, N>,
    now: i64,
) -> Located<P>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped,
{
    let Some(index) = table.find(t) else {
        return Located::Absent;
    };
    if let (true, Some(policy)) = (P::TIMED, table.ttl) {
        let Some(p) = table.entry_mut(t.group, index) else {
            return Located::Absent;
        };
        if p.is_expired(&policy, now) {
            return match table.remove_at(t.group, index) {
                Some(p) if policy.return_expired => Located::Removed(p),
                _ => Located::Absent,
            };
        }
        if policy.update_on_read {
            p.touch(now);
        }
    }
    Located::At(index)
}

/// Reads the single stamped value at `t` (see [`locate_for_read`]) and passes it to `f`.
#[inline]
pub(crate) fn read_single<K, N, P, X, R>(
    table: &mut StateTable<K, N, P, X>,
    t: &Target<'_, K, N>,
    now: i64,
    f: impl FnOnce(Option<&P::Value>) -> R,
) -> R
where
    K: BackendKey,
    N: Namespace,
    P: Stamped,
{
    match locate_for_read(table, t, now) {
        Located::Absent => f(None),
        Located::Removed(p) => f(Some(p.value())),
        Located::At(index) => f(table.entry(t.group, index).map(P::value)),
    }
}

/// The slot of the stored value at `t` for a read-modify-write, or `None` if absent or
/// expired (Flink's TTL reduce and aggregate functions treat an expired value as absent
/// unless `ReturnExpiredIfNotCleanedUp`).
#[inline]
pub(crate) fn locate_for_write<K, N, P, X>(
    table: &StateTable<K, N, P, X>,
    t: &Target<'_, K, N>,
    now: i64,
) -> Option<usize>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped,
{
    let index = table.find(t)?;
    if let (true, Some(policy)) = (P::TIMED, table.ttl) {
        let expired = table
            .entry(t.group, index)
            .is_some_and(|p| p.is_expired(&policy, now));
        if expired && !policy.return_expired {
            return None;
        }
    }
    Some(index)
}

/// Calls `f` with the table of state `id`, the current key's target in `namespace` and the
/// TTL clock's now, after a timed state's incremental cleanup step.
fn at_target<K, N, P, X, R>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    f: impl FnOnce(&mut StateTable<K, N, P, X>, &Target<'_, K, N>, i64) -> R,
) -> Result<R, StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
    X: Send + 'static,
{
    let access = backend.access::<StateTable<K, N, P, X>>(id, P::TIMED)?;
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        access.table.cleanup_step(access.now);
    }
    Ok(f(access.table, &t, access.now))
}

/// Reads the current key's value in `namespace` of state `id` (see [`read_single`]).
pub(crate) fn read<K, N, P, X, R>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    f: impl FnOnce(Option<&P::Value>) -> R,
) -> Result<R, StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
    X: Send + 'static,
{
    at_target::<K, N, P, X, R>(backend, id, namespace, |table, t, now| {
        read_single(table, t, now, f)
    })
}

/// Removes the current key's value in `namespace` of state `id`.
pub(crate) fn remove<K, N, P, X>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
    X: Send + 'static,
{
    at_target::<K, N, P, X, ()>(backend, id, namespace, |table, t, _| {
        table.remove(t);
    })
}

/// Removes the current key's value in `namespace` of state `id` and hands it over, with
/// the read rules of [`locate_for_read`] (an expired value is absent unless it may be
/// returned).
pub(crate) fn take<K, N, P, X>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
) -> Result<Option<P::Value>, StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
    X: Send + 'static,
{
    at_target::<K, N, P, X, _>(
        backend,
        id,
        namespace,
        |table, t, now| match locate_for_read(table, t, now) {
            Located::Absent => None,
            Located::Removed(p) => Some(p.into_value()),
            Located::At(index) => table.remove_at(t.group, index).map(P::into_value),
        },
    )
}

/// Flink's `AbstractHeapMergingState.mergeNamespaces`: removes the sources' values, combines
/// them in order, then combines the result into the target's value (`combine(target,
/// merged)`). Under TTL, expired values count as absent (unless they may be returned) and
/// the result is stamped now.
pub(crate) fn merge<K, N, P, X, C>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    target: &N,
    sources: &[N],
    combiner: impl FnOnce(&X) -> C,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    P: Stamped + StoredEntry,
    X: Send + 'static,
    C: Fn(P::Value, P::Value) -> P::Value,
{
    let access = backend.access::<StateTable<K, N, P, X>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    if P::TIMED {
        table.cleanup_step(now);
    }
    let combine = combiner(&table.function);
    let policy = table.ttl.filter(|_| P::TIMED);
    let usable = |p: P| usable_value(p, policy, now);
    let mut merged: Option<P::Value> = None;
    for source in sources {
        let t = Target::new(access.key, access.hasher, access.group, source);
        if let Some(value) = table.remove(&t).and_then(usable) {
            merged = Some(match merged {
                Some(m) => combine(m, value),
                None => value,
            });
        }
    }
    if let Some(merged) = merged {
        let t = Target::new(access.key, access.hasher, access.group, target);
        let value = match table.remove(&t).and_then(usable) {
            Some(existing) => combine(existing, merged),
            None => merged,
        };
        table.put(&t, P::new(value, now))?;
    }
    Ok(())
}

/// The value of `p` unless TTL says it is expired and must not be used.
fn usable_value<P: Stamped>(p: P, policy: Option<TtlPolicy>, now: i64) -> Option<P::Value> {
    match policy {
        Some(policy) if p.is_expired(&policy, now) && !policy.return_expired => None,
        _ => Some(p.into_value()),
    }
}
