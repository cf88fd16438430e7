//! Tests of the operator state store: registration, snapshots and restores.

use super::*;
use crate::operator_state::{redistribute_even_split, redistribute_union};
use crate::snapshot::OperatorStateReader;

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

/// Snapshots of `old` stores, restored into `new_p` stores.
fn rescale(old: &[OperatorStateStore], new_p: u32) -> Vec<OperatorStateStore> {
    let streams: Vec<Vec<u8>> = old
        .iter()
        .map(|s| s.snapshot().unwrap().to_bytes().unwrap())
        .collect();
    (0..new_p)
        .map(|i| OperatorStateStore::restored(streams.clone(), i, new_p))
        .collect()
}

/// `p` stores whose split list "buffer" and union list "seen" hold `i * 10 + 0..=i`
/// in subtask `i`, and whose broadcast state "rules" maps 0 to the subtask index.
fn old_stores(p: u64) -> Vec<OperatorStateStore> {
    (0..p)
        .map(|i| {
            let mut s = OperatorStateStore::new();
            let elements: Vec<u64> = (0..=i).map(|j| i * 10 + j).collect();
            s.list_state::<u64>("buffer")
                .unwrap()
                .add_all(elements.clone());
            s.union_list_state::<u64>("seen").unwrap().add_all(elements);
            s.broadcast_state::<u32, u64>("rules").unwrap().put(0, i);
            s
        })
        .collect()
}

fn all_elements(p: u64) -> Vec<u64> {
    (0..p)
        .flat_map(|i| (0..=i).map(move |j| i * 10 + j))
        .collect()
}

#[test]
fn split_lists_lose_and_duplicate_nothing_when_rescaled() {
    for (old_p, new_p) in [(2, 3), (3, 1), (3, 2), (2, 2)] {
        let mut new = rescale(&old_stores(old_p), new_p);
        assert!(new.iter().all(OperatorStateStore::is_restored));
        let shares: Vec<Vec<u64>> = new
            .iter_mut()
            .map(|s| s.list_state::<u64>("buffer").unwrap().get().to_vec())
            .collect();
        let mut got: Vec<u64> = shares.iter().flatten().copied().collect();
        got.sort_unstable();
        assert_eq!(got, all_elements(old_p), "{old_p} -> {new_p}: {shares:?}");
        let (min, max) = (
            shares.iter().map(Vec::len).min().unwrap(),
            shares.iter().map(Vec::len).max().unwrap(),
        );
        if old_p != u64::from(new_p) {
            assert!(max - min <= 1, "{old_p} -> {new_p}: even shares {shares:?}");
        }
    }
    let mut new = rescale(&old_stores(2), 3);
    let shares: Vec<Vec<u64>> = new
        .iter_mut()
        .map(|s| s.list_state::<u64>("buffer").unwrap().get().to_vec())
        .collect();
    assert_eq!(
        shares,
        [vec![0], vec![10], vec![11]],
        "in old subtask order"
    );
}

#[test]
fn union_lists_give_every_element_to_every_subtask() {
    for (old_p, new_p) in [(2, 3), (3, 1)] {
        for mut store in rescale(&old_stores(old_p), new_p) {
            let seen = store.union_list_state::<u64>("seen").unwrap();
            assert_eq!(seen.get(), all_elements(old_p), "{old_p} -> {new_p}");
            assert_eq!(seen.mode(), OperatorStateMode::Union);
        }
    }
}

#[test]
fn restored_broadcast_states_are_copies_of_old_subtask_i_mod_p() {
    for (old_p, new_p, want) in [(2, 3, vec![0, 1, 0]), (3, 1, vec![0])] {
        let mut new = rescale(&old_stores(old_p), new_p);
        let got: Vec<u64> = new
            .iter_mut()
            .map(|s| {
                *s.broadcast_state::<u32, u64>("rules")
                    .unwrap()
                    .get(&0)
                    .unwrap()
            })
            .collect();
        assert_eq!(got, want, "{old_p} -> {new_p}");
    }
}

#[test]
fn restoring_in_another_mode_or_type_names_the_state() {
    let mut new = rescale(&old_stores(2), 2);
    let err = new[0].union_list_state::<u64>("buffer").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("restoring operator state 'buffer': "),
        "{err}"
    );
    let err = new[1].list_state::<String>("buffer").unwrap_err();
    assert!(err.to_string().contains("'buffer'"), "{err}");
    // A state the snapshot lacks starts empty; one never registered again is dropped.
    assert!(new[0].list_state::<u64>("other").unwrap().is_empty());
    let again = rescale(&new[..1], 1);
    let names: Vec<String> = again[0]
        .snapshot()
        .unwrap()
        .to_bytes()
        .map(|b| {
            OperatorStateReader::new(&b)
                .unwrap()
                .states()
                .map(|m| m.name.clone())
                .collect()
        })
        .unwrap();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn damaged_restore_bytes_are_an_error_not_a_panic() {
    let streams = vec![b"WEIROPST but not really".to_vec()];
    let mut store = OperatorStateStore::restored(streams, 0, 1);
    let err = store.list_state::<u64>("buffer").unwrap_err();
    assert!(err.to_string().contains("operator state 'buffer'"), "{err}");
    let err = store.broadcast_state::<u32, u64>("rules").unwrap_err();
    assert!(err.to_string().contains("operator state 'rules'"), "{err}");
}
