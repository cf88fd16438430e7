//! [`OperatorStateStore`]: one subtask's named operator states (Flink's
//! `OperatorStateStore`): list states in split-distribute or union mode and broadcast
//! states, each name registered once with one mode and one type.
//!
//! A store built with [`OperatorStateStore::restored`] holds the snapshot streams of every
//! old subtask; a state is decoded and redistributed when it is first registered (its
//! type is known only then, as in Flink's `DefaultOperatorStateBackend`), and
//! [`OperatorStateStore::snapshot`] encodes every registered state.

use std::any::{type_name, Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;

use super::broadcast::{BroadcastState, ReadOnlyBroadcastState};
use super::{OperatorListState, OperatorStateMode};
use crate::codec::StateCodec;
use crate::error::StateError;
use crate::snapshot::operator::{
    restore_broadcast_state, restore_list_state, OperatorStateSnapshot,
};

/// Adds a registered state (type-erased) to a snapshot under its name.
type SnapshotFn = fn(&(dyn Any + Send), &str, &mut OperatorStateSnapshot) -> Result<(), StateError>;

/// One registered operator state.
struct Registered {
    mode: OperatorStateMode,
    types: TypeId,
    description: String,
    state: Box<dyn Any + Send>,
    snapshot: SnapshotFn,
}

/// What a restored store restores from.
struct Restored {
    /// Every old subtask's snapshot stream, in old subtask order.
    streams: Vec<Vec<u8>>,
    /// This subtask's index.
    subtask: u32,
    /// The new parallelism.
    parallelism: u32,
}

/// A subtask's operator states by name.
#[derive(Default)]
pub struct OperatorStateStore {
    states: HashMap<String, Registered>,
    restored: Option<Restored>,
}

impl std::fmt::Debug for OperatorStateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self
            .states
            .iter()
            .map(|(n, r)| (n, &r.description))
            .collect();
        names.sort();
        f.debug_struct("OperatorStateStore")
            .field("states", &names)
            .finish()
    }
}

impl OperatorStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store for subtask `subtask` of `parallelism` restoring from `streams`, the
    /// snapshot streams ([`Self::snapshot`]) of every old subtask in subtask order: each
    /// state gets its share by its mode when it is registered.
    pub fn restored(streams: Vec<Vec<u8>>, subtask: u32, parallelism: u32) -> Self {
        debug_assert!(subtask < parallelism, "subtask {subtask} of {parallelism}");
        Self {
            states: HashMap::new(),
            restored: Some(Restored {
                streams,
                subtask,
                parallelism,
            }),
        }
    }

    /// Whether the store restores from a snapshot (Flink's `isRestored`).
    pub fn is_restored(&self) -> bool {
        self.restored.is_some()
    }

    /// The even-split list state `name` (Flink's `getListState`): on first use, this
    /// subtask's even share of every old subtask's elements when restored, else empty.
    pub fn list_state<T: StateCodec + Clone + Send + 'static>(
        &mut self,
        name: &str,
    ) -> Result<&mut OperatorListState<T>, StateError> {
        self.list(name, OperatorStateMode::SplitDistribute)
    }

    /// The union list state `name` (Flink's `getUnionListState`): on first use, every old
    /// subtask's elements when restored, else empty.
    pub fn union_list_state<T: StateCodec + Clone + Send + 'static>(
        &mut self,
        name: &str,
    ) -> Result<&mut OperatorListState<T>, StateError> {
        self.list(name, OperatorStateMode::Union)
    }

    fn list<T: StateCodec + Clone + Send + 'static>(
        &mut self,
        name: &str,
        mode: OperatorStateMode,
    ) -> Result<&mut OperatorListState<T>, StateError> {
        let restored = self.restored.as_ref();
        let make = || -> Result<OperatorListState<T>, StateError> {
            let Some(r) = restored else {
                return Ok(OperatorListState::new(mode));
            };
            let streams: Vec<&[u8]> = r.streams.iter().map(Vec::as_slice).collect();
            let lists = restore_list_state::<T>(&streams, name, r.parallelism)
                .map_err(|e| restore_error(name, &e))?;
            let mine = lists.and_then(|l| l.into_iter().nth(r.subtask as usize));
            match mine {
                Some(list) if list.mode() != mode => Err(StateError::OperatorStateRestore {
                    state: name.to_owned(),
                    reason: format!("snapshot in mode {:?}, registered as {mode:?}", list.mode()),
                }),
                Some(list) => Ok(list),
                None => Ok(OperatorListState::new(mode)),
            }
        };
        Self::get_or_register(&mut self.states, name, mode, snapshot_list::<T>, make)
    }

    /// The broadcast state `name` (Flink's `getBroadcastState`): on first use, the copy of
    /// old subtask `subtask mod old parallelism` when restored, else empty.
    pub fn broadcast_state<K, V>(
        &mut self,
        name: &str,
    ) -> Result<&mut BroadcastState<K, V>, StateError>
    where
        K: StateCodec + Eq + Hash + Send + 'static,
        V: StateCodec + Send + 'static,
    {
        let restored = self.restored.as_ref();
        let make = || -> Result<BroadcastState<K, V>, StateError> {
            let Some(r) = restored else {
                return Ok(BroadcastState::new());
            };
            let streams: Vec<&[u8]> = r.streams.iter().map(Vec::as_slice).collect();
            let state = restore_broadcast_state(&streams, name, r.subtask)
                .map_err(|e| restore_error(name, &e))?;
            Ok(state.unwrap_or_default())
        };
        let mode = OperatorStateMode::Broadcast;
        Self::get_or_register(&mut self.states, name, mode, snapshot_map::<K, V>, make)
    }

    /// The snapshot of every registered state (restored states never registered are
    /// dropped, as in Flink), in name order.
    pub fn snapshot(&self) -> Result<OperatorStateSnapshot, StateError> {
        let mut names: Vec<&String> = self.states.keys().collect();
        names.sort();
        let mut snapshot = OperatorStateSnapshot::new();
        for name in names {
            if let Some(r) = self.states.get(name) {
                (r.snapshot)(r.state.as_ref(), name, &mut snapshot)?;
            }
        }
        Ok(snapshot)
    }

    /// The read-only view of the registered broadcast state `name`, for the non-broadcast
    /// side; an error if there is none of that name and type.
    pub fn read_only_broadcast_state<K, V>(
        &self,
        name: &str,
    ) -> Result<ReadOnlyBroadcastState<'_, K, V>, StateError>
    where
        K: Eq + Hash + Send + 'static,
        V: Send + 'static,
    {
        let requested = describe::<BroadcastState<K, V>>(OperatorStateMode::Broadcast);
        let registered = self
            .states
            .get(name)
            .ok_or_else(|| StateError::UnknownState {
                state: name.to_owned(),
            })?;
        registered
            .state
            .downcast_ref::<BroadcastState<K, V>>()
            .map(BroadcastState::read_only)
            .ok_or_else(|| StateError::StateConflict {
                state: name.to_owned(),
                registered: registered.description.clone(),
                requested,
            })
    }

    /// The names of the registered states, in unspecified order.
    pub fn state_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.states.keys().map(String::as_str)
    }

    /// The mode of state `name`, if registered.
    pub fn mode(&self, name: &str) -> Option<OperatorStateMode> {
        self.states.get(name).map(|r| r.mode)
    }

    fn get_or_register<'s, S: Any + Send>(
        states: &'s mut HashMap<String, Registered>,
        name: &str,
        mode: OperatorStateMode,
        snapshot: SnapshotFn,
        make: impl FnOnce() -> Result<S, StateError>,
    ) -> Result<&'s mut S, StateError> {
        let registered = match states.entry(name.to_owned()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Registered {
                mode,
                types: TypeId::of::<S>(),
                description: describe::<S>(mode),
                state: Box::new(make()?),
                snapshot,
            }),
        };
        if registered.mode != mode || registered.types != TypeId::of::<S>() {
            return Err(StateError::StateConflict {
                state: name.to_owned(),
                registered: registered.description.clone(),
                requested: describe::<S>(mode),
            });
        }
        let description = &registered.description;
        registered
            .state
            .downcast_mut::<S>()
            .ok_or_else(|| StateError::StateConflict {
                state: name.to_owned(),
                registered: description.clone(),
                requested: describe::<S>(mode),
            })
    }
}

fn describe<S>(mode: OperatorStateMode) -> String {
    format!("{mode:?} operator state {}", type_name::<S>())
}

fn restore_error(name: &str, e: &StateError) -> StateError {
    StateError::OperatorStateRestore {
        state: name.to_owned(),
        reason: e.to_string(),
    }
}

/// A registered state that is not the type it was registered with: a bug of the store.
fn mistyped(name: &str, expected: &str) -> StateError {
    StateError::StateConflict {
        state: name.to_owned(),
        registered: "another type".into(),
        requested: expected.to_owned(),
    }
}

fn snapshot_list<T: StateCodec + 'static>(
    state: &(dyn Any + Send),
    name: &str,
    out: &mut OperatorStateSnapshot,
) -> Result<(), StateError> {
    let list = state
        .downcast_ref::<OperatorListState<T>>()
        .ok_or_else(|| mistyped(name, type_name::<OperatorListState<T>>()))?;
    out.add_list(name, list)
}

fn snapshot_map<K, V>(
    state: &(dyn Any + Send),
    name: &str,
    out: &mut OperatorStateSnapshot,
) -> Result<(), StateError>
where
    K: StateCodec + Eq + Hash + 'static,
    V: StateCodec + 'static,
{
    let map = state
        .downcast_ref::<BroadcastState<K, V>>()
        .ok_or_else(|| mistyped(name, type_name::<BroadcastState<K, V>>()))?;
    out.add_broadcast(name, map)
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
