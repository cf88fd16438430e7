//! TTL on the injected clock: update types, visibility, per-element expiry, cleanup.

use std::time::Duration;

use super::*;

/// A TTL of 100 ms with the given update type and visibility, no background cleanup.
fn ttl(update: UpdateType, visibility: StateVisibility) -> StateTtlConfig {
    StateTtlConfig::builder(Duration::from_millis(100))
        .set_update_type(update)
        .set_state_visibility(visibility)
        .disable_cleanup_in_background()
        .build()
        .unwrap()
}

fn value_with(b: &mut HeapKeyedStateBackend<u64>, config: StateTtlConfig) -> ValueState<(), u64> {
    b.value_state(&ValueStateDescriptor::new("v").enable_time_to_live(config))
        .unwrap()
}

#[test]
fn on_create_and_write_expires_after_the_last_write() {
    let (mut b, clock) = backend();
    let v = value_with(
        &mut b,
        ttl(
            UpdateType::OnCreateAndWrite,
            StateVisibility::NeverReturnExpired,
        ),
    );
    assert!(v.has_ttl());
    b.set_current_key(1).unwrap();
    v.update(&mut b, &(), 7).unwrap();
    clock.set(50);
    assert_eq!(v.value(&mut b, &()).unwrap(), Some(7));
    clock.set(99);
    assert_eq!(v.value(&mut b, &()).unwrap(), Some(7)); // reads do not extend
    clock.set(100);
    assert_eq!(v.value(&mut b, &()).unwrap(), None);
    assert_eq!(b.state_key_count(&v).unwrap(), 0); // removed on read
    v.update(&mut b, &(), 8).unwrap();
    clock.set(150);
    v.update(&mut b, &(), 9).unwrap(); // a write extends
    clock.set(249);
    assert_eq!(v.value(&mut b, &()).unwrap(), Some(9));
}

#[test]
fn on_read_and_write_extends_on_reads() {
    let (mut b, clock) = backend();
    let v = value_with(
        &mut b,
        ttl(
            UpdateType::OnReadAndWrite,
            StateVisibility::NeverReturnExpired,
        ),
    );
    b.set_current_key(1).unwrap();
    v.update(&mut b, &(), 7).unwrap();
    clock.set(60);
    assert_eq!(v.value(&mut b, &()).unwrap(), Some(7));
    clock.set(150);
    assert_eq!(v.value(&mut b, &()).unwrap(), Some(7));
    clock.set(249);
    assert_eq!(v.with_value(&mut b, &(), |v| v.copied()).unwrap(), Some(7));
    clock.set(349);
    assert_eq!(v.value(&mut b, &()).unwrap(), None);
}

#[test]
fn return_expired_if_not_cleaned_up_returns_it_once() {
    let (mut b, clock) = backend();
    let v = value_with(
        &mut b,
        ttl(
            UpdateType::OnCreateAndWrite,
            StateVisibility::ReturnExpiredIfNotCleanedUp,
        ),
    );
    b.set_current_key(1).unwrap();
    v.update(&mut b, &(), 7).unwrap();
    clock.set(500);
    assert_eq!(v.value(&mut b, &()).unwrap(), Some(7)); // not cleaned up yet
    assert_eq!(v.value(&mut b, &()).unwrap(), None); // that read cleaned it up
}

#[test]
fn list_elements_expire_individually() {
    let (mut b, clock) = backend();
    let config = ttl(
        UpdateType::OnCreateAndWrite,
        StateVisibility::NeverReturnExpired,
    );
    let list = b
        .list_state::<(), String>(&ListStateDescriptor::new("l").enable_time_to_live(config))
        .unwrap();
    b.set_current_key(1).unwrap();
    list.add(&mut b, &(), "a".into()).unwrap();
    clock.set(50);
    list.add(&mut b, &(), "b".into()).unwrap();
    clock.set(100);
    assert_eq!(list.get(&mut b, &()).unwrap(), ["b"]);
    clock.set(150);
    assert!(list.get(&mut b, &()).unwrap().is_empty());
    assert_eq!(b.state_key_count(&list).unwrap(), 0);
    // update stamps all new elements now.
    list.update(&mut b, &(), ["c".into(), "d".into()]).unwrap();
    clock.set(249);
    assert_eq!(list.get(&mut b, &()).unwrap(), ["c", "d"]);
}

#[test]
fn list_return_expired_and_read_refresh() {
    let (mut b, clock) = backend();
    let config = ttl(
        UpdateType::OnReadAndWrite,
        StateVisibility::ReturnExpiredIfNotCleanedUp,
    );
    let list = b
        .list_state::<(), u32>(&ListStateDescriptor::new("l").enable_time_to_live(config))
        .unwrap();
    b.set_current_key(1).unwrap();
    list.add(&mut b, &(), 1).unwrap();
    clock.set(90);
    list.add(&mut b, &(), 2).unwrap();
    clock.set(100);
    // 1 is expired but returned this once; 2 is live and its timestamp refreshed to 100.
    assert_eq!(list.get(&mut b, &()).unwrap(), [1, 2]);
    clock.set(199);
    assert_eq!(list.get(&mut b, &()).unwrap(), [2]);
}

#[test]
fn map_entries_expire_individually() {
    let (mut b, clock) = backend();
    let config = ttl(
        UpdateType::OnReadAndWrite,
        StateVisibility::NeverReturnExpired,
    );
    let map = b
        .map_state::<(), u32, u32>(&MapStateDescriptor::new("m").enable_time_to_live(config))
        .unwrap();
    b.set_current_key(1).unwrap();
    map.put(&mut b, &(), 1, 10).unwrap();
    map.put(&mut b, &(), 2, 20).unwrap();
    clock.set(50);
    map.put(&mut b, &(), 3, 30).unwrap();
    assert_eq!(map.get(&mut b, &(), &2).unwrap(), Some(20)); // refreshes 2 to 50
    clock.set(100);
    assert_eq!(map.get(&mut b, &(), &1).unwrap(), None);
    assert!(map.contains(&mut b, &(), &2).unwrap());
    let mut entries = map.entries(&mut b, &()).unwrap();
    entries.sort();
    assert_eq!(entries, [(2, 20), (3, 30)]);
    clock.set(250);
    assert!(map.is_empty(&mut b, &()).unwrap());
    assert_eq!(b.state_key_count(&map).unwrap(), 0);
}

#[test]
fn map_return_expired_if_not_cleaned_up() {
    let (mut b, clock) = backend();
    let config = ttl(
        UpdateType::OnCreateAndWrite,
        StateVisibility::ReturnExpiredIfNotCleanedUp,
    );
    let map = b
        .map_state::<(), u32, u32>(&MapStateDescriptor::new("m").enable_time_to_live(config))
        .unwrap();
    b.set_current_key(1).unwrap();
    map.put_all(&mut b, &(), [(1, 10), (2, 20)]).unwrap();
    clock.set(100);
    assert_eq!(map.get(&mut b, &(), &1).unwrap(), Some(10));
    assert_eq!(map.get(&mut b, &(), &1).unwrap(), None);
    assert_eq!(map.entries(&mut b, &()).unwrap(), [(2, 20)]);
    assert!(map.entries(&mut b, &()).unwrap().is_empty());
}

#[test]
fn reducing_and_aggregating_treat_expired_values_as_absent() {
    for visibility in [
        StateVisibility::NeverReturnExpired,
        StateVisibility::ReturnExpiredIfNotCleanedUp,
    ] {
        let (mut b, clock) = backend();
        let config = ttl(UpdateType::OnCreateAndWrite, visibility);
        let sum = b
            .reducing_state::<(), u64>(
                &ReducingStateDescriptor::new("sum", |a: &u64, b| a + b)
                    .enable_time_to_live(config),
            )
            .unwrap();
        b.set_current_key(1).unwrap();
        sum.add(&mut b, &(), 1).unwrap();
        clock.set(60);
        sum.add(&mut b, &(), 2).unwrap(); // re-stamped at 60
        clock.set(159);
        assert_eq!(sum.get(&mut b, &()).unwrap(), Some(3));
        clock.set(200);
        sum.add(&mut b, &(), 4).unwrap();
        let expected = match visibility {
            StateVisibility::NeverReturnExpired => 4,
            StateVisibility::ReturnExpiredIfNotCleanedUp => 7,
        };
        assert_eq!(sum.get(&mut b, &()).unwrap(), Some(expected));
    }
}

#[test]
fn incremental_cleanup_checks_n_entries_per_access() {
    let (mut b, clock) = backend();
    let config = StateTtlConfig::builder(Duration::from_millis(100))
        .cleanup_incrementally(10, false)
        .build()
        .unwrap();
    let v = value_with(&mut b, config);
    for key in 0..100u64 {
        b.set_current_key(key).unwrap();
        v.update(&mut b, &(), key).unwrap();
    }
    // A state access removes at most 10 expired entries: the cleanup had nothing to do
    // while everything was live.
    assert_eq!(b.state_key_count(&v).unwrap(), 100);
    clock.set(100);
    b.set_current_key(1000).unwrap(); // no per-record cleanup configured
    assert_eq!(b.state_key_count(&v).unwrap(), 100);
    assert_eq!(v.value(&mut b, &()).unwrap(), None);
    assert_eq!(b.state_key_count(&v).unwrap(), 90);
    for _ in 0..9 {
        v.value(&mut b, &()).unwrap();
    }
    assert_eq!(b.state_key_count(&v).unwrap(), 0);
}

#[test]
fn incremental_cleanup_spares_live_entries_and_list_elements() {
    let (mut b, clock) = backend();
    let config = StateTtlConfig::builder(Duration::from_millis(100))
        .cleanup_incrementally(1000, false)
        .build()
        .unwrap();
    let list = b
        .list_state::<(), u64>(&ListStateDescriptor::new("l").enable_time_to_live(config))
        .unwrap();
    for key in 0..50u64 {
        b.set_current_key(key).unwrap();
        list.add(&mut b, &(), 1).unwrap();
    }
    clock.set(60);
    for key in 0..25u64 {
        b.set_current_key(key).unwrap();
        list.add(&mut b, &(), 2).unwrap();
    }
    clock.set(120);
    b.set_current_key(0).unwrap();
    list.add(&mut b, &(), 3).unwrap(); // one access: the cleanup passes over all entries
    assert_eq!(b.state_key_count(&list).unwrap(), 25);
    let elements: usize = (0..MAX_PARALLELISM)
        .flat_map(|kg| {
            list.key_group_entries(&b, kg)
                .unwrap()
                .map(|(_, _, l)| l.len())
                .collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(elements, 26); // 25 × [2] plus key 0's new 3
}

#[test]
fn per_record_cleanup_runs_on_set_current_key() {
    let (mut b, clock) = backend();
    let config = StateTtlConfig::builder(Duration::from_millis(100))
        .cleanup_incrementally(5, true)
        .build()
        .unwrap();
    let v = value_with(&mut b, config);
    for key in 0..20u64 {
        b.set_current_key(key).unwrap();
        v.update(&mut b, &(), key).unwrap();
    }
    clock.set(100);
    b.set_current_key(1000).unwrap();
    assert_eq!(b.state_key_count(&v).unwrap(), 15);
    b.set_current_key(1001).unwrap();
    b.set_current_key(1002).unwrap();
    b.set_current_key(1003).unwrap();
    assert_eq!(b.state_key_count(&v).unwrap(), 0);
}

#[test]
fn default_background_cleanup_and_disabling_it() {
    for (background, expected) in [(true, 95), (false, 100)] {
        let (mut b, clock) = backend();
        let mut builder = StateTtlConfig::builder(Duration::from_millis(100));
        if !background {
            builder = builder.disable_cleanup_in_background();
        }
        let v = value_with(&mut b, builder.build().unwrap());
        for key in 0..100u64 {
            b.set_current_key(key).unwrap();
            v.update(&mut b, &(), key).unwrap();
        }
        clock.set(100);
        b.set_current_key(1000).unwrap();
        v.value(&mut b, &()).unwrap();
        // Flink's default for heap state: 5 entries per state access.
        assert_eq!(b.state_key_count(&v).unwrap(), expected);
    }
}
