//! Tests of the operator state snapshot format for broadcast (map) states, and of the
//! broadcast pick on restore.

use super::*;
use crate::operator_state::OperatorStateMode;

/// The snapshot of an old subtask whose broadcast state `rules` maps `"from"` to its
/// index (so that a restore shows whose copy it took) and `"limit"` to 7.
fn old_subtask(i: u64) -> Vec<u8> {
    let mut rules: BroadcastState<String, u64> = BroadcastState::new();
    rules.put("from".into(), i);
    rules.put("limit".into(), 7);
    let mut snapshot = OperatorStateSnapshot::new();
    snapshot.add_broadcast("rules", &rules).unwrap();
    snapshot.to_bytes().unwrap()
}

fn sorted(state: &BroadcastState<String, u64>) -> Vec<(String, u64)> {
    let mut entries: Vec<_> = state.entries().map(|(k, v)| (k.clone(), *v)).collect();
    entries.sort();
    entries
}

#[test]
fn a_broadcast_state_reads_back_with_its_entries() {
    let bytes = old_subtask(3);
    let reader = OperatorStateReader::new(&bytes).unwrap();
    let meta: Vec<_> = reader.states().collect();
    assert_eq!(meta.len(), 1);
    assert_eq!(meta[0].mode, OperatorStateMode::Broadcast);
    let rules = reader.broadcast::<String, u64>("rules").unwrap().unwrap();
    assert_eq!(
        sorted(&rules),
        [("from".to_string(), 3), ("limit".to_string(), 7)]
    );
    assert!(reader.broadcast::<String, u64>("absent").unwrap().is_none());
}

#[test]
fn a_broadcast_state_is_not_read_as_another_type_or_as_a_list() {
    let bytes = old_subtask(0);
    let reader = OperatorStateReader::new(&bytes).unwrap();
    let err = reader.broadcast::<String, u32>("rules").unwrap_err();
    assert!(
        matches!(err, StateError::SnapshotIncompatible { .. }),
        "{err}"
    );
    let err = reader.list::<(String, u64)>("rules").unwrap_err();
    assert!(err.to_string().contains("operator state 'rules'"), "{err}");
}

#[test]
fn a_damaged_broadcast_state_is_an_error_naming_it() {
    let mut bytes = old_subtask(0);
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let err = restore_broadcast_state::<String, u64>(&[&bytes], "rules", 0).unwrap_err();
    assert!(matches!(err, StateError::SnapshotChecksum { .. }), "{err}");
    assert!(err.to_string().contains("operator state 'rules'"), "{err}");
    let err = restore_broadcast_state::<String, u64>(&[&bytes[..10]], "rules", 0).unwrap_err();
    assert!(matches!(err, StateError::SnapshotTruncated { .. }), "{err}");
}

#[test]
fn new_subtask_i_takes_old_subtask_i_mod_old_parallelism() {
    let restore = |old_p: u64, new_p: u32| -> Vec<u64> {
        let old: Vec<Vec<u8>> = (0..old_p).map(old_subtask).collect();
        let refs: Vec<&[u8]> = old.iter().map(Vec::as_slice).collect();
        (0..new_p)
            .map(|i| {
                let state = restore_broadcast_state::<String, u64>(&refs, "rules", i)
                    .unwrap()
                    .unwrap();
                assert_eq!(state.get("limit"), Some(&7), "every copy is whole");
                *state.get("from").unwrap()
            })
            .collect()
    };
    assert_eq!(restore(2, 3), [0, 1, 0], "2 -> 3");
    assert_eq!(restore(3, 1), [0], "3 -> 1");
    assert_eq!(restore(1, 2), [0, 0], "1 -> 2");
    let none: [&[u8]; 0] = [];
    assert!(restore_broadcast_state::<String, u64>(&none, "rules", 0)
        .unwrap()
        .is_none());
}

#[test]
fn lists_and_a_broadcast_state_share_one_stream() {
    let mut rules: BroadcastState<u32, String> = BroadcastState::new();
    rules.put(1, "one".into());
    let mut snapshot = OperatorStateSnapshot::new();
    let list = OperatorListState::with_elements(OperatorStateMode::SplitDistribute, vec![5u64, 6]);
    snapshot.add_list("buffer", &list).unwrap();
    snapshot.add_broadcast("rules", &rules).unwrap();
    assert!(
        snapshot.add_broadcast("rules", &rules).is_err(),
        "one name once"
    );
    let bytes = snapshot.to_bytes().unwrap();
    let reader = OperatorStateReader::new(&bytes).unwrap();
    assert_eq!(
        reader.list::<u64>("buffer").unwrap().unwrap().get(),
        &[5, 6]
    );
    let back = reader.broadcast::<u32, String>("rules").unwrap().unwrap();
    assert_eq!(back.get(&1).map(String::as_str), Some("one"));
}
