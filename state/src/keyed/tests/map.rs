//! MapState: Flink's get / put / put_all / remove / contains / entries / keys / values /
//! is_empty / clear.

use super::*;

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn map_state_follows_flink_semantics() {
    let (mut b, _) = backend();
    let counts = b
        .map_state::<(), String, u64>(&MapStateDescriptor::new("counts"))
        .unwrap();
    b.set_current_key(3).unwrap();
    assert_eq!(counts.get(&mut b, &(), "a").unwrap(), None);
    assert!(counts.is_empty(&mut b, &()).unwrap());
    counts.put(&mut b, &(), "a".into(), 1).unwrap();
    counts
        .put_all(&mut b, &(), [("b".to_string(), 2), ("c".to_string(), 3)])
        .unwrap();
    counts.put(&mut b, &(), "a".into(), 10).unwrap();
    assert_eq!(counts.get(&mut b, &(), "a").unwrap(), Some(10));
    assert!(counts.contains(&mut b, &(), "b").unwrap());
    assert!(!counts.contains(&mut b, &(), "z").unwrap());
    assert!(!counts.is_empty(&mut b, &()).unwrap());
    assert_eq!(sorted(counts.keys(&mut b, &()).unwrap()), ["a", "b", "c"]);
    assert_eq!(sorted(counts.values(&mut b, &()).unwrap()), [2, 3, 10]);
    assert_eq!(
        sorted(counts.entries(&mut b, &()).unwrap()),
        [
            ("a".to_string(), 10),
            ("b".to_string(), 2),
            ("c".to_string(), 3)
        ]
    );
    let total = counts
        .with_entries(&mut b, &(), |it| it.map(|(_, v)| v).sum::<u64>())
        .unwrap();
    assert_eq!(total, 15);
    assert_eq!(
        counts.with_value(&mut b, &(), "c", |v| v.copied()).unwrap(),
        Some(3)
    );

    counts.remove(&mut b, &(), "b").unwrap();
    counts.remove(&mut b, &(), "nope").unwrap();
    assert_eq!(counts.get(&mut b, &(), "b").unwrap(), None);
    counts.remove(&mut b, &(), "a").unwrap();
    counts.remove(&mut b, &(), "c").unwrap();
    // The (key, namespace) entry goes with its last map entry, as in Flink's heap backend.
    assert!(counts.is_empty(&mut b, &()).unwrap());
    assert_eq!(b.state_key_count(&counts).unwrap(), 0);

    counts.put(&mut b, &(), "d".into(), 4).unwrap();
    counts.clear(&mut b, &()).unwrap();
    assert_eq!(counts.get(&mut b, &(), "d").unwrap(), None);
    assert_eq!(b.state_key_count(&counts).unwrap(), 0);
    // put_all of nothing creates no entry.
    counts.put_all(&mut b, &(), Vec::new()).unwrap();
    assert_eq!(b.state_key_count(&counts).unwrap(), 0);
}

#[test]
fn maps_are_isolated_by_key_and_namespace() {
    let (mut b, _) = backend();
    let map = b
        .map_state::<u8, u64, u64>(&MapStateDescriptor::new("map"))
        .unwrap();
    for key in 0..20u64 {
        b.set_current_key(key).unwrap();
        for ns in 0..2u8 {
            map.put(&mut b, &ns, key, u64::from(ns)).unwrap();
        }
    }
    b.set_current_key(11).unwrap();
    assert_eq!(map.entries(&mut b, &1).unwrap(), [(11, 1)]);
    assert_eq!(map.get(&mut b, &1, &12).unwrap(), None);
    map.clear(&mut b, &0).unwrap();
    assert!(map.is_empty(&mut b, &0).unwrap());
    assert_eq!(map.get(&mut b, &1, &11).unwrap(), Some(1));
    b.set_current_key(12).unwrap();
    assert_eq!(map.get(&mut b, &0, &12).unwrap(), Some(0));
}
