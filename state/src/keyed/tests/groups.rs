//! Storage by key group: iteration, clearing, `keys`, counts and size estimates.

use std::collections::BTreeSet;

use super::*;
use crate::key_group::assign_key_to_key_group;

#[test]
fn key_group_iteration_sees_exactly_that_key_groups_entries() {
    let (mut b, _) = backend();
    let value = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("value"))
        .unwrap();
    let map = b
        .map_state::<u8, u64, u64>(&MapStateDescriptor::new("map"))
        .unwrap();
    let list = b
        .list_state::<(), u64>(&ListStateDescriptor::new("list"))
        .unwrap();
    for key in 0..1000u64 {
        b.set_current_key(key).unwrap();
        value.update(&mut b, &(), key * 2).unwrap();
        map.put(&mut b, &7, key, key + 1).unwrap();
        list.add_all(&mut b, &(), [key, key]).unwrap();
    }
    let mut seen = 0;
    for key_group in 0..MAX_PARALLELISM {
        let entries: Vec<_> = value
            .key_group_entries(&b, key_group)
            .unwrap()
            .map(|(k, _, v)| (*k, *v))
            .collect();
        assert_eq!(
            b.state_key_count_in_key_group(&value, key_group).unwrap(),
            entries.len()
        );
        for (k, v) in &entries {
            assert_eq!(assign_key_to_key_group(k, MAX_PARALLELISM), key_group);
            assert_eq!(*v, k * 2);
        }
        for (k, ns, entries) in map.key_group_entries(&b, key_group).unwrap() {
            assert_eq!(assign_key_to_key_group(k, MAX_PARALLELISM), key_group);
            assert_eq!(*ns, 7);
            assert_eq!(
                entries.map(|(uk, uv)| (*uk, *uv)).collect::<Vec<_>>(),
                [(*k, k + 1)]
            );
        }
        for (k, _, elements) in list.key_group_entries(&b, key_group).unwrap() {
            assert_eq!(elements.copied().collect::<Vec<_>>(), [*k, *k]);
        }
        seen += entries.len();
    }
    assert_eq!(seen, 1000);
    assert_eq!(b.key_count(), 3000);
    assert!(value.key_group_entries(&b, MAX_PARALLELISM).is_err());
}

#[test]
fn clearing_a_key_group_leaves_the_others_alone() {
    let (mut b, _) = backend();
    let value = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("value"))
        .unwrap();
    let other = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("other"))
        .unwrap();
    for key in 0..500u64 {
        b.set_current_key(key).unwrap();
        value.update(&mut b, &(), key).unwrap();
        other.update(&mut b, &(), key).unwrap();
    }
    let target = assign_key_to_key_group(&0u64, MAX_PARALLELISM);
    let in_target = b.state_key_count_in_key_group(&value, target).unwrap();
    assert!(in_target > 0);
    b.clear_state_key_group(&value, target).unwrap();
    assert_eq!(b.state_key_count(&value).unwrap(), 500 - in_target);
    assert_eq!(b.state_key_count(&other).unwrap(), 500);
    for key in 0..500u64 {
        b.set_current_key(key).unwrap();
        let cleared = assign_key_to_key_group(&key, MAX_PARALLELISM) == target;
        assert_eq!(value.value(&mut b, &()).unwrap(), (!cleared).then_some(key));
    }
    b.clear_key_group(target).unwrap();
    assert_eq!(b.state_key_count(&other).unwrap(), 500 - in_target);
    assert_eq!(b.key_count(), 2 * (500 - in_target));
    assert!(b.clear_key_group(MAX_PARALLELISM).is_err());
}

#[test]
fn keys_lists_the_keys_of_a_namespace() {
    let (mut b, _) = backend();
    let state = b
        .value_state::<u32, u64>(&ValueStateDescriptor::new("windowed"))
        .unwrap();
    for key in 0..20u64 {
        b.set_current_key(key).unwrap();
        state.update(&mut b, &(key as u32 % 2), key).unwrap();
    }
    let odd: BTreeSet<u64> = b.keys(&state, &1).unwrap().copied().collect();
    assert_eq!(odd, (0..20).filter(|k| k % 2 == 1).collect());
    assert_eq!(b.keys(&state, &5).unwrap().count(), 0);
}

#[test]
fn a_sub_range_backend_stores_only_its_key_groups() {
    let clock = ManualTimeProvider::new(0);
    let range = KeyGroupRange::of(32, 63);
    let mut b: HeapKeyedStateBackend<u64> = HeapKeyedStateBackend::new(range, 128, clock).unwrap();
    let value = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("v"))
        .unwrap();
    let mut stored = 0;
    for key in 0..1000u64 {
        if b.set_current_key(key).is_ok() {
            value.update(&mut b, &(), key).unwrap();
            stored += 1;
        }
    }
    assert!(stored > 0 && stored < 1000);
    let iterated: usize = range
        .iter()
        .map(|kg| value.key_group_entries(&b, kg).unwrap().count())
        .sum();
    assert_eq!(iterated, stored);
    assert!(value.key_group_entries(&b, 31).is_err());
}

#[test]
fn size_estimates_follow_the_data() {
    let (mut b, _) = backend();
    let empty = b.state_size_bytes();
    let names = b
        .value_state::<(), String>(&ValueStateDescriptor::new("names"))
        .unwrap();
    let counts = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("counts"))
        .unwrap();
    for key in 0..1000u64 {
        b.set_current_key(key).unwrap();
        names.update(&mut b, &(), "x".repeat(100)).unwrap();
        counts.update(&mut b, &(), key).unwrap();
    }
    let names_size = b.state_size_bytes_of(&names).unwrap();
    let counts_size = b.state_size_bytes_of(&counts).unwrap();
    // The strings' heap parts (100 bytes each) are counted.
    assert!(names_size >= 1000 * (100 + std::mem::size_of::<String>()));
    assert!(counts_size >= 1000 * 16 && counts_size < names_size);
    assert_eq!(b.state_size_bytes(), empty + names_size + counts_size);
    b.clear_key_group(assign_key_to_key_group(&0u64, MAX_PARALLELISM))
        .unwrap();
    assert!(b.state_size_bytes_of(&names).unwrap() < names_size);
}
