//! Registration by descriptor and the errors of the backend.

use std::time::Duration;

use super::*;
use crate::error::StateError;
use crate::key_group::assign_key_to_key_group;

#[test]
fn registering_a_name_again_returns_the_same_state() {
    let (mut b, _) = backend();
    let first = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("count"))
        .unwrap();
    let again = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("count"))
        .unwrap();
    assert_eq!(first.state_id(), again.state_id());
    b.set_current_key(1).unwrap();
    first.update(&mut b, &(), 5).unwrap();
    assert_eq!(again.value(&mut b, &()).unwrap(), Some(5));
    assert_eq!(b.state_names().collect::<Vec<_>>(), ["count"]);
}

#[test]
fn registering_a_name_with_another_kind_or_type_fails() {
    let (mut b, _) = backend();
    b.value_state::<(), u64>(&ValueStateDescriptor::new("count"))
        .unwrap();
    let err = b
        .list_state::<(), u64>(&ListStateDescriptor::new("count"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "state 'count' is already registered as ValueState<namespace (), value u64>; it cannot \
         be registered again as ListState<namespace (), element u64>"
    );
    let err = b
        .value_state::<(), i64>(&ValueStateDescriptor::new("count"))
        .unwrap_err();
    assert!(matches!(err, StateError::StateConflict { ref state, .. } if state == "count"));
    let err = b
        .value_state::<u32, u64>(&ValueStateDescriptor::new("count"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("ValueState<namespace u32, value u64>"),
        "{err}"
    );
    let ttl = StateTtlConfig::builder(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("count").enable_time_to_live(ttl))
        .unwrap_err();
    assert!(err.to_string().contains("with TTL None"), "{err}");
    let err = b
        .reducing_state::<(), u64>(&ReducingStateDescriptor::new("count", |a, b| a + b))
        .unwrap_err();
    assert!(err.to_string().contains("as ReducingState"), "{err}");
}

#[test]
fn access_without_a_current_key_fails() {
    let (mut b, _) = backend();
    let count = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("count"))
        .unwrap();
    let err = count.value(&mut b, &()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "state 'count' was accessed without a current key: call set_current_key first"
    );
    assert!(count.update(&mut b, &(), 1).is_err());
}

#[test]
fn keys_outside_the_range_are_rejected() {
    let clock = ManualTimeProvider::new(0);
    let mut b: HeapKeyedStateBackend<u64> =
        HeapKeyedStateBackend::new(KeyGroupRange::of(0, 63), 128, clock).unwrap();
    let count = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("count"))
        .unwrap();
    let inside = (0u64..)
        .find(|k| assign_key_to_key_group(k, 128) < 64)
        .unwrap();
    let outside = (0u64..)
        .find(|k| assign_key_to_key_group(k, 128) >= 64)
        .unwrap();
    b.set_current_key(inside).unwrap();
    count.update(&mut b, &(), 1).unwrap();
    let key_group = assign_key_to_key_group(&outside, 128);
    let err = b.set_current_key(outside).unwrap_err();
    assert_eq!(
        err,
        StateError::KeyGroupOutOfRange {
            key_group,
            range: KeyGroupRange::of(0, 63)
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "key group {key_group} is outside this state backend's KeyGroupRange{{startKeyGroup=0, endKeyGroup=63}}"
        )
    );
    // The failed call leaves no current key behind.
    assert_eq!(b.current_key(), None);
    assert!(matches!(
        count.value(&mut b, &()).unwrap_err(),
        StateError::NoCurrentKey { .. }
    ));
    assert!(b.clear_key_group(64).is_err());
}

#[test]
fn backend_construction_is_checked() {
    let clock = ManualTimeProvider::new(0);
    let err = HeapKeyedStateBackend::<u64>::new(KeyGroupRange::of(0, 128), 128, clock.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "key-group range KeyGroupRange{startKeyGroup=0, endKeyGroup=128} does not fit maximum \
         parallelism 128: key groups run from 0 to 128 - 1"
    );
    assert!(HeapKeyedStateBackend::<u64>::new(KeyGroupRange::of(0, 1), 0, clock.clone()).is_err());
    // A subtask may own no key group at all (parallelism above max parallelism).
    let mut empty = HeapKeyedStateBackend::<u64>::new(KeyGroupRange::EMPTY, 128, clock).unwrap();
    assert!(empty.set_current_key(1).is_err());
}

#[test]
fn handles_of_another_backend_are_rejected() {
    let (mut a, _) = backend();
    let (mut b, _) = backend();
    let in_a = a
        .value_state::<(), u64>(&ValueStateDescriptor::new("x"))
        .unwrap();
    b.value_state::<(), u64>(&ValueStateDescriptor::new("x"))
        .unwrap();
    b.set_current_key(1).unwrap();
    let err = in_a.update(&mut b, &(), 1).unwrap_err();
    assert!(
        matches!(err, StateError::ForeignStateHandle { index: 0, .. }),
        "{err}"
    );
    assert!(b.state_key_count(&in_a).is_err());
}

#[test]
fn ttl_configuration_is_validated() {
    let err = StateTtlConfig::builder(Duration::ZERO).build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid TTL configuration: the time-to-live must be at least 1 ms, got 0ns"
    );
}

#[test]
fn the_backend_can_move_with_its_operator() {
    fn assert_send<T: Send>() {}
    assert_send::<HeapKeyedStateBackend<u64>>();
    assert_send::<HeapKeyedStateBackend<String>>();
    assert_send::<ValueState<(), u64>>();
    assert_send::<crate::operator_state::OperatorStateStore>();
}
