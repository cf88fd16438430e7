//! [`OperatorStateStore`]: one subtask's named operator states (Flink's
//! `OperatorStateStore`): list states in split-distribute or union mode and broadcast
//! states, each name registered once with one mode and one type.

use std::any::{type_name, Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;

use super::broadcast::{BroadcastState, ReadOnlyBroadcastState};
use super::{OperatorListState, OperatorStateMode};
use crate::error::StateError;

/// One registered operator state.
struct Registered {
    mode: OperatorStateMode,
    types: TypeId,
    description: String,
    state: Box<dyn Any + Send>,
}

/// A subtask's operator states by name.
#[derive(Default)]
pub struct OperatorStateStore {
    states: HashMap<String, Registered>,
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

    /// The even-split list state `name` (Flink's `getListState`), created empty on first use.
    pub fn list_state<T: Send + 'static>(
        &mut self,
        name: &str,
    ) -> Result<&mut OperatorListState<T>, StateError> {
        self.get_or_register(name, OperatorStateMode::SplitDistribute, || {
            OperatorListState::<T>::new(OperatorStateMode::SplitDistribute)
        })
    }

    /// The union list state `name` (Flink's `getUnionListState`), created empty on first use.
    pub fn union_list_state<T: Send + 'static>(
        &mut self,
        name: &str,
    ) -> Result<&mut OperatorListState<T>, StateError> {
        self.get_or_register(name, OperatorStateMode::Union, || {
            OperatorListState::<T>::new(OperatorStateMode::Union)
        })
    }

    /// The broadcast state `name` (Flink's `getBroadcastState`), created empty on first use.
    pub fn broadcast_state<K, V>(
        &mut self,
        name: &str,
    ) -> Result<&mut BroadcastState<K, V>, StateError>
    where
        K: Eq + Hash + Send + 'static,
        V: Send + 'static,
    {
        self.get_or_register(
            name,
            OperatorStateMode::Broadcast,
            BroadcastState::<K, V>::new,
        )
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

    fn get_or_register<S: Any + Send>(
        &mut self,
        name: &str,
        mode: OperatorStateMode,
        make: impl FnOnce() -> S,
    ) -> Result<&mut S, StateError> {
        let registered = self
            .states
            .entry(name.to_owned())
            .or_insert_with(|| Registered {
                mode,
                types: TypeId::of::<S>(),
                description: describe::<S>(mode),
                state: Box::new(make()),
            });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator_state::{redistribute_even_split, redistribute_union};

    #[test]
    fn states_are_registered_once_per_name() {
        let mut store = OperatorStateStore::new();
        store
            .list_state::<u64>("offsets")
            .unwrap()
            .add_all([1, 2, 3]);
        assert_eq!(
            store.list_state::<u64>("offsets").unwrap().get(),
            &[1, 2, 3]
        );
        store
            .union_list_state::<String>("files")
            .unwrap()
            .add("a".into());
        store
            .broadcast_state::<String, u32>("rules")
            .unwrap()
            .put("r".into(), 7);
        assert_eq!(store.mode("files"), Some(OperatorStateMode::Union));
        let mut names: Vec<_> = store.state_names().collect();
        names.sort();
        assert_eq!(names, ["files", "offsets", "rules"]);

        let err = store.union_list_state::<u64>("offsets").unwrap_err();
        assert!(
            err.to_string()
                .contains("state 'offsets' is already registered as SplitDistribute"),
            "{err}"
        );
        let err = store.list_state::<u32>("offsets").unwrap_err();
        assert!(matches!(err, StateError::StateConflict { ref state, .. } if state == "offsets"));
        let view = store
            .read_only_broadcast_state::<String, u32>("rules")
            .unwrap();
        assert_eq!(view.get("r"), Some(&7));
        assert!(store
            .read_only_broadcast_state::<String, u64>("rules")
            .is_err());
        assert_eq!(
            store
                .read_only_broadcast_state::<String, u32>("nope")
                .unwrap_err()
                .to_string(),
            "no state named 'nope' is registered"
        );
    }

    #[test]
    fn subtask_stores_rescale_through_the_redistribution_functions() {
        let mut old: Vec<OperatorStateStore> = (0..2).map(|_| OperatorStateStore::new()).collect();
        for (i, store) in old.iter_mut().enumerate() {
            let base = i as u64 * 10;
            store
                .list_state::<u64>("split")
                .unwrap()
                .add_all([base, base + 1]);
            store.union_list_state::<u64>("union").unwrap().add(base);
        }
        let take = |stores: &mut [OperatorStateStore], name: &str, union: bool| -> Vec<Vec<u64>> {
            stores
                .iter_mut()
                .map(|s| {
                    let list = if union {
                        s.union_list_state::<u64>(name)
                    } else {
                        s.list_state::<u64>(name)
                    };
                    list.unwrap().get().to_vec()
                })
                .collect()
        };
        let split = redistribute_even_split(take(&mut old, "split", false), 3).unwrap();
        let union = redistribute_union(&take(&mut old, "union", true), 3).unwrap();
        assert_eq!(split, vec![vec![0, 1], vec![10], vec![11]]);
        assert!(union.iter().all(|l| l == &vec![0, 10]));
    }
}
