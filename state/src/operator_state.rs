//! Operator (non-keyed) state with Flink's redistribution schemes.
//!
//! - [`OperatorListState`]: a list per state name and subtask, in one of Flink's
//!   [`OperatorStateMode`]s; the pure functions [`redistribute_even_split`] (Flink's
//!   `getListState`), [`redistribute_union`] (`getUnionListState`) and
//!   [`redistribute_broadcast`] move the per-subtask states to a new parallelism.
//! - [`broadcast`]: [`BroadcastState`], a map the broadcast side reads and writes, and
//!   [`ReadOnlyBroadcastState`], the view the other side gets.
//! - [`store`]: [`OperatorStateStore`], a subtask's named operator states (Flink's
//!   `OperatorStateStore`).

pub mod broadcast;
pub mod store;

pub use broadcast::{BroadcastState, ReadOnlyBroadcastState};
pub use store::OperatorStateStore;

use crate::error::StateError;

/// How an operator state is redistributed when the parallelism changes (Flink's
/// `OperatorStateHandle.Mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorStateMode {
    /// All elements are split evenly among the new subtasks (`getListState`).
    SplitDistribute,
    /// Every new subtask gets all elements (`getUnionListState`).
    Union,
    /// Every subtask holds the same state; new subtasks get a copy (`getBroadcastState`).
    Broadcast,
}

/// A subtask's list of one operator list state, with Flink's `ListState` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorListState<T> {
    mode: OperatorStateMode,
    elements: Vec<T>,
}

impl<T> OperatorListState<T> {
    /// An empty list redistributed by `mode`.
    pub fn new(mode: OperatorStateMode) -> Self {
        Self::with_elements(mode, Vec::new())
    }

    /// A list holding `elements` (e.g. this subtask's share after a redistribution).
    pub fn with_elements(mode: OperatorStateMode, elements: Vec<T>) -> Self {
        Self { mode, elements }
    }

    /// How the list is redistributed.
    pub fn mode(&self) -> OperatorStateMode {
        self.mode
    }

    /// The elements (Flink's `get()`).
    pub fn get(&self) -> &[T] {
        &self.elements
    }

    /// Appends `value` (Flink's `add`).
    pub fn add(&mut self, value: T) {
        self.elements.push(value);
    }

    /// Appends all `values` (Flink's `addAll`).
    pub fn add_all(&mut self, values: impl IntoIterator<Item = T>) {
        self.elements.extend(values);
    }

    /// Replaces the elements with `values` (Flink's `update`).
    pub fn update(&mut self, values: impl IntoIterator<Item = T>) {
        self.elements.clear();
        self.elements.extend(values);
    }

    /// Removes all elements (Flink's `clear`).
    pub fn clear(&mut self) {
        self.elements.clear();
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The elements, by value (e.g. to snapshot and redistribute them).
    pub fn into_elements(self) -> Vec<T> {
        self.elements
    }
}

/// Flink's even-split redistribution (`SPLIT_DISTRIBUTE`, `getListState`): the lists of all
/// old subtasks are concatenated in subtask order and cut into `new_parallelism` consecutive
/// runs as even as possible, the first `total % new_parallelism` runs one element longer.
/// As in Flink's `RoundRobinOperatorStateRepartitioner`, an unchanged parallelism keeps
/// every subtask's list as it is.
pub fn redistribute_even_split<T>(
    per_subtask: Vec<Vec<T>>,
    new_parallelism: u32,
) -> Result<Vec<Vec<T>>, StateError> {
    let new_parallelism = checked(new_parallelism)?;
    if per_subtask.len() == new_parallelism {
        return Ok(per_subtask);
    }
    let total: usize = per_subtask.iter().map(Vec::len).sum();
    let (base, remainder) = (total / new_parallelism, total % new_parallelism);
    let mut all = per_subtask.into_iter().flatten();
    Ok((0..new_parallelism)
        .map(|i| {
            let share = base + usize::from(i < remainder);
            all.by_ref().take(share).collect()
        })
        .collect())
}

/// Flink's union redistribution (`UNION`, `getUnionListState`): every new subtask gets all
/// elements of all old subtasks, concatenated in subtask order.
pub fn redistribute_union<T: Clone>(
    per_subtask: &[Vec<T>],
    new_parallelism: u32,
) -> Result<Vec<Vec<T>>, StateError> {
    let new_parallelism = checked(new_parallelism)?;
    let all: Vec<T> = per_subtask.iter().flatten().cloned().collect();
    Ok(vec![all; new_parallelism])
}

/// Flink's broadcast redistribution (`BROADCAST`): new subtask `i` gets a copy of old
/// subtask `i % old_parallelism`'s state (all are equal); no old state gives none.
pub fn redistribute_broadcast<S: Clone>(
    per_subtask: &[S],
    new_parallelism: u32,
) -> Result<Vec<S>, StateError> {
    let new_parallelism = checked(new_parallelism)?;
    if per_subtask.is_empty() {
        return Ok(Vec::new());
    }
    Ok((0..new_parallelism)
        .filter_map(|i| per_subtask.get(i % per_subtask.len()).cloned())
        .collect())
}

fn checked(new_parallelism: u32) -> Result<usize, StateError> {
    match new_parallelism {
        0 => Err(StateError::ZeroParallelism),
        p => Ok(p as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(v: &[&[u32]]) -> Vec<Vec<u32>> {
        v.iter().map(|l| l.to_vec()).collect()
    }

    #[test]
    fn even_split_scales_out_in_order() {
        let old = lists(&[&[1, 2, 3, 4], &[5, 6, 7]]);
        let new = redistribute_even_split(old, 3).unwrap();
        assert_eq!(new, lists(&[&[1, 2, 3], &[4, 5], &[6, 7]]));
        // More subtasks than elements: the last ones get nothing.
        let new = redistribute_even_split(lists(&[&[1], &[2, 3]]), 5).unwrap();
        assert_eq!(new, lists(&[&[1], &[2], &[3], &[], &[]]));
    }

    #[test]
    fn even_split_scales_in_and_keeps_unchanged_parallelism() {
        let old = lists(&[&[1, 2], &[3], &[], &[4, 5, 6]]);
        let new = redistribute_even_split(old.clone(), 2).unwrap();
        assert_eq!(new, lists(&[&[1, 2, 3], &[4, 5, 6]]));
        let new = redistribute_even_split(old.clone(), 1).unwrap();
        assert_eq!(new, lists(&[&[1, 2, 3, 4, 5, 6]]));
        // Same parallelism: Flink leaves each subtask's list where it is.
        assert_eq!(redistribute_even_split(old.clone(), 4).unwrap(), old);
        assert_eq!(
            redistribute_even_split(old, 0).unwrap_err(),
            StateError::ZeroParallelism
        );
    }

    #[test]
    fn union_gives_everything_to_everyone() {
        let old = lists(&[&[1, 2], &[3]]);
        assert_eq!(
            redistribute_union(&old, 3).unwrap(),
            lists(&[&[1, 2, 3], &[1, 2, 3], &[1, 2, 3]])
        );
        assert_eq!(redistribute_union(&old, 1).unwrap(), lists(&[&[1, 2, 3]]));
        assert_eq!(
            redistribute_union(&old, 2).unwrap(),
            lists(&[&[1, 2, 3], &[1, 2, 3]])
        );
        assert!(redistribute_union(&old, 0).is_err());
    }

    #[test]
    fn broadcast_copies_round_robin() {
        let old = vec!["a", "b"];
        assert_eq!(
            redistribute_broadcast(&old, 5).unwrap(),
            vec!["a", "b", "a", "b", "a"]
        );
        assert_eq!(redistribute_broadcast(&old, 1).unwrap(), vec!["a"]);
        assert!(redistribute_broadcast::<u8>(&[], 3).unwrap().is_empty());
    }

    #[test]
    fn list_state_methods() {
        let mut state = OperatorListState::new(OperatorStateMode::SplitDistribute);
        assert!(state.is_empty());
        state.add(1);
        state.add_all([2, 3]);
        assert_eq!(state.get(), &[1, 2, 3]);
        state.update([9]);
        assert_eq!(state.len(), 1);
        state.clear();
        assert!(state.get().is_empty());
        assert_eq!(state.mode(), OperatorStateMode::SplitDistribute);
        let state = OperatorListState::with_elements(OperatorStateMode::Union, vec![4, 5]);
        assert_eq!(state.into_elements(), vec![4, 5]);
    }
}
