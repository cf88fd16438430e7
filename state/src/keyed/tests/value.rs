//! ValueState: Flink's value / update / clear, isolation between keys and namespaces.

use super::*;

#[test]
fn value_state_follows_flink_semantics() {
    let (mut b, _) = backend();
    let count = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("count"))
        .unwrap();
    b.set_current_key(7).unwrap();
    assert_eq!(count.value(&mut b, &()).unwrap(), None);
    count.update(&mut b, &(), 1).unwrap();
    assert_eq!(count.value(&mut b, &()).unwrap(), Some(1));
    count.update(&mut b, &(), 2).unwrap();
    assert_eq!(count.value(&mut b, &()).unwrap(), Some(2));
    assert_eq!(
        count
            .with_value(&mut b, &(), |v| v.map(|v| v * 10))
            .unwrap(),
        Some(20)
    );
    assert_eq!(b.state_key_count(&count).unwrap(), 1);
    count.clear(&mut b, &()).unwrap();
    assert_eq!(count.value(&mut b, &()).unwrap(), None);
    assert_eq!(b.state_key_count(&count).unwrap(), 0);
    // Clearing what is not there is fine.
    count.clear(&mut b, &()).unwrap();
}

#[test]
fn keys_are_isolated() {
    let (mut b, _) = backend();
    let name = b
        .value_state::<(), String>(&ValueStateDescriptor::new("name"))
        .unwrap();
    for key in 0..100u64 {
        b.set_current_key(key).unwrap();
        name.update(&mut b, &(), format!("key-{key}")).unwrap();
    }
    for key in (0..100u64).rev() {
        b.set_current_key(key).unwrap();
        assert_eq!(name.value(&mut b, &()).unwrap(), Some(format!("key-{key}")));
    }
    b.set_current_key(100).unwrap();
    assert_eq!(name.value(&mut b, &()).unwrap(), None);
    b.set_current_key(42).unwrap();
    name.clear(&mut b, &()).unwrap();
    b.set_current_key(43).unwrap();
    assert_eq!(name.value(&mut b, &()).unwrap().as_deref(), Some("key-43"));
    assert_eq!(b.current_key(), Some(&43));
    assert_eq!(b.state_key_count(&name).unwrap(), 99);
}

#[test]
fn namespaces_are_isolated() {
    let (mut b, _) = backend();
    // Windows will use their own namespace types; here a window end timestamp.
    let sum = b
        .value_state::<i64, u64>(&ValueStateDescriptor::new("sum"))
        .unwrap();
    b.set_current_key(1).unwrap();
    sum.update(&mut b, &1000, 5).unwrap();
    sum.update(&mut b, &2000, 6).unwrap();
    assert_eq!(sum.value(&mut b, &1000).unwrap(), Some(5));
    assert_eq!(sum.value(&mut b, &2000).unwrap(), Some(6));
    assert_eq!(sum.value(&mut b, &3000).unwrap(), None);
    sum.clear(&mut b, &1000).unwrap();
    assert_eq!(sum.value(&mut b, &1000).unwrap(), None);
    assert_eq!(sum.value(&mut b, &2000).unwrap(), Some(6));
    b.set_current_key(2).unwrap();
    assert_eq!(sum.value(&mut b, &2000).unwrap(), None);
    // One entry per (key, namespace) pair.
    sum.update(&mut b, &2000, 1).unwrap();
    assert_eq!(b.state_key_count(&sum).unwrap(), 2);
}

#[test]
fn string_keys_work() {
    let clock = ManualTimeProvider::new(0);
    let mut b: HeapKeyedStateBackend<String> =
        HeapKeyedStateBackend::new(KeyGroupRange::of(0, 127), 128, clock).unwrap();
    let seen = b
        .value_state::<(), bool>(&ValueStateDescriptor::new("seen"))
        .unwrap();
    b.set_current_key("hello".to_string()).unwrap();
    // Flink: "hello" is in key group 35 of 128.
    assert_eq!(b.current_key_group(), Some(35));
    seen.update(&mut b, &(), true).unwrap();
    b.set_current_key("world".to_string()).unwrap();
    assert_eq!(seen.value(&mut b, &()).unwrap(), None);
    b.set_current_key("hello".to_string()).unwrap();
    assert_eq!(seen.value(&mut b, &()).unwrap(), Some(true));
}

#[test]
fn take_moves_the_value_out_and_leaves_the_key_empty() {
    let (mut b, _) = backend();
    let names = b
        .value_state::<i64, Vec<String>>(&ValueStateDescriptor::new("names"))
        .unwrap();
    b.set_current_key(3).unwrap();
    assert_eq!(names.take(&mut b, &1).unwrap(), None);
    names.update(&mut b, &1, vec!["a".into()]).unwrap();
    names.update(&mut b, &2, vec!["b".into()]).unwrap();
    let mut taken = names.take(&mut b, &1).unwrap().unwrap();
    assert_eq!(taken, ["a"]);
    assert_eq!(names.value(&mut b, &1).unwrap(), None, "taken out");
    assert_eq!(
        names.value(&mut b, &2).unwrap().unwrap(),
        ["b"],
        "other namespace kept"
    );
    taken.push("c".into());
    names.update(&mut b, &1, taken).unwrap();
    assert_eq!(names.value(&mut b, &1).unwrap().unwrap(), ["a", "c"]);
    // One entry per (key, namespace).
    assert_eq!(b.state_key_count(&names).unwrap(), 2);
}
