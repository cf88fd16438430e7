//! The generic access paths of [`MapState`](super::MapState), for either stored form
//! (with or without TTL timestamps).

use std::borrow::Borrow;
use std::hash::Hash;

use super::{MapKey, MapTable, UserMap};
use crate::error::StateError;
use crate::keyed::backend::{BackendKey, HeapKeyedStateBackend, Namespace, StateValue};
use crate::keyed::stamp::Stamped;
use crate::keyed::table::Target;
use crate::keyed::views::MapIter;
use crate::keyed::StateId;

pub(super) fn get_one<K, N, UK, P, Q, R>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    key: &Q,
    f: impl FnOnce(Option<&P::Value>) -> R,
) -> Result<R, StateError>
where
    K: BackendKey,
    N: Namespace,
    UK: MapKey + Borrow<Q>,
    P: Stamped,
    P::Value: StateValue,
    Q: Hash + Eq + ?Sized,
{
    let access = backend.access::<MapTable<K, N, UK, P>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    let policy = table.ttl.filter(|_| P::TIMED);
    let Some(index) = table.find(&t) else {
        return Ok(f(None));
    };
    let Some(map) = table.entry_mut(t.group, index) else {
        return Ok(f(None));
    };
    let Some(policy) = policy else {
        return Ok(f(map.get(key).map(P::value)));
    };
    let expired = match map.get_mut(key) {
        None => return Ok(f(None)),
        Some(p) if p.is_expired(&policy, now) => true,
        Some(p) => {
            if policy.update_on_read {
                p.touch(now);
            }
            false
        }
    };
    if !expired {
        return Ok(f(map.get(key).map(P::value)));
    }
    let removed = map.remove(key);
    let result = f(removed
        .as_ref()
        .filter(|_| policy.return_expired)
        .map(P::value));
    if map.is_empty() {
        table.remove_at(t.group, index);
    }
    Ok(result)
}

pub(super) fn put_many<K, N, UK, P, I>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    entries: I,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    UK: MapKey,
    P: Stamped,
    P::Value: StateValue,
    I: IntoIterator<Item = (UK, P::Value)>,
{
    let access = backend.access::<MapTable<K, N, UK, P>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    let mut entries = entries.into_iter().peekable();
    if entries.peek().is_none() {
        return Ok(());
    }
    table
        .get_or_insert_with(&t, UserMap::default)?
        .extend(entries.map(|(k, v)| (k, P::new(v, now))));
    Ok(())
}

pub(super) fn remove_one<K, N, UK, P, Q>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    key: &Q,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    UK: MapKey + Borrow<Q>,
    P: Stamped,
    P::Value: StateValue,
    Q: Hash + Eq + ?Sized,
{
    let access = backend.access::<MapTable<K, N, UK, P>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    let Some(index) = table.find(&t) else {
        return Ok(());
    };
    let now_empty = table.entry_mut(t.group, index).is_some_and(|map| {
        map.remove(key);
        map.is_empty()
    });
    if now_empty {
        table.remove_at(t.group, index);
    }
    Ok(())
}

pub(super) fn read_all<K, N, UK, P, R>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
    f: impl FnOnce(MapIter<'_, UK, P::Value>) -> R,
) -> Result<R, StateError>
where
    K: BackendKey,
    N: Namespace,
    UK: MapKey,
    P: Stamped,
    P::Value: StateValue,
{
    let access = backend.access::<MapTable<K, N, UK, P>>(id, P::TIMED)?;
    let (table, now) = (access.table, access.now);
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        table.cleanup_step(now);
    }
    let policy = table.ttl.filter(|_| P::TIMED);
    let Some(index) = table.find(&t) else {
        return Ok(f(MapIter::empty()));
    };
    let Some(map) = table.entry_mut(t.group, index) else {
        return Ok(f(MapIter::empty()));
    };
    let Some(policy) = policy else {
        return Ok(f(P::map_iter(map)));
    };
    if policy.update_on_read {
        for p in map.values_mut().filter(|p| !p.is_expired(&policy, now)) {
            p.touch(now);
        }
    }
    let result = if policy.return_expired {
        let result = f(P::map_iter(map));
        map.retain(|_, p| !p.is_expired(&policy, now));
        result
    } else {
        map.retain(|_, p| !p.is_expired(&policy, now));
        f(P::map_iter(map))
    };
    if map.is_empty() {
        table.remove_at(t.group, index);
    }
    Ok(result)
}

pub(super) fn clear<K, N, UK, P>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    namespace: &N,
) -> Result<(), StateError>
where
    K: BackendKey,
    N: Namespace,
    UK: MapKey,
    P: Stamped,
    P::Value: StateValue,
{
    let access = backend.access::<MapTable<K, N, UK, P>>(id, P::TIMED)?;
    let t = Target::new(access.key, access.hasher, access.group, namespace);
    if P::TIMED {
        access.table.cleanup_step(access.now);
    }
    access.table.remove(&t);
    Ok(())
}
