//! Property tests: random operations on ValueState and MapState against a model
//! `HashMap<(key, namespace), value>`, without TTL and (for ValueState) with TTL.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Op {
    SetKey(u64),
    Update(u8, u64),
    Read(u8),
    Clear(u8),
    Put(u8, u8, u64),
    Get(u8, u8),
    Remove(u8, u8),
    Entries(u8),
    ClearMap(u8),
    ClearKeyGroup(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..40).prop_map(Op::SetKey),
        4 => (0u8..3, any::<u64>()).prop_map(|(n, v)| Op::Update(n, v)),
        3 => (0u8..3).prop_map(Op::Read),
        1 => (0u8..3).prop_map(Op::Clear),
        4 => (0u8..3, 0u8..8, any::<u64>()).prop_map(|(n, k, v)| Op::Put(n, k, v)),
        3 => (0u8..3, 0u8..8).prop_map(|(n, k)| Op::Get(n, k)),
        2 => (0u8..3, 0u8..8).prop_map(|(n, k)| Op::Remove(n, k)),
        1 => (0u8..3).prop_map(Op::Entries),
        1 => (0u8..3).prop_map(Op::ClearMap),
        1 => (0u32..16).prop_map(Op::ClearKeyGroup),
    ]
}

proptest! {
    #[test]
    fn value_and_map_state_match_a_model(ops in proptest::collection::vec(op(), 1..400)) {
        let clock = ManualTimeProvider::new(0);
        let mut b: HeapKeyedStateBackend<u64> =
            HeapKeyedStateBackend::new(KeyGroupRange::of(0, 15), 16, clock).unwrap();
        let value = b.value_state::<u8, u64>(&ValueStateDescriptor::new("v")).unwrap();
        let map = b.map_state::<u8, u8, u64>(&MapStateDescriptor::new("m")).unwrap();
        let mut values: HashMap<(u64, u8), u64> = HashMap::new();
        let mut maps: HashMap<(u64, u8), HashMap<u8, u64>> = HashMap::new();
        let mut key = 0u64;
        b.set_current_key(key).unwrap();
        for op in ops {
            match op {
                Op::SetKey(k) => {
                    key = k;
                    b.set_current_key(k).unwrap();
                }
                Op::Update(n, v) => {
                    value.update(&mut b, &n, v).unwrap();
                    values.insert((key, n), v);
                }
                Op::Read(n) => {
                    prop_assert_eq!(value.value(&mut b, &n).unwrap(), values.get(&(key, n)).copied());
                }
                Op::Clear(n) => {
                    value.clear(&mut b, &n).unwrap();
                    values.remove(&(key, n));
                }
                Op::Put(n, k, v) => {
                    map.put(&mut b, &n, k, v).unwrap();
                    maps.entry((key, n)).or_default().insert(k, v);
                }
                Op::Get(n, k) => {
                    let expected = maps.get(&(key, n)).and_then(|m| m.get(&k)).copied();
                    prop_assert_eq!(map.get(&mut b, &n, &k).unwrap(), expected);
                    prop_assert_eq!(map.contains(&mut b, &n, &k).unwrap(), expected.is_some());
                }
                Op::Remove(n, k) => {
                    map.remove(&mut b, &n, &k).unwrap();
                    if let Some(m) = maps.get_mut(&(key, n)) {
                        m.remove(&k);
                        if m.is_empty() {
                            maps.remove(&(key, n));
                        }
                    }
                }
                Op::Entries(n) => {
                    let mut got = map.entries(&mut b, &n).unwrap();
                    got.sort();
                    let mut expected: Vec<(u8, u64)> = maps
                        .get(&(key, n))
                        .map(|m| m.iter().map(|(k, v)| (*k, *v)).collect())
                        .unwrap_or_default();
                    expected.sort();
                    prop_assert_eq!(got, expected);
                }
                Op::ClearMap(n) => {
                    map.clear(&mut b, &n).unwrap();
                    maps.remove(&(key, n));
                }
                Op::ClearKeyGroup(kg) => {
                    b.clear_key_group(kg).unwrap();
                    let in_group = |k: &u64| crate::key_group::assign_key_to_key_group(k, 16) == kg;
                    values.retain(|(k, _), _| !in_group(k));
                    maps.retain(|(k, _), _| !in_group(k));
                }
            }
        }
        prop_assert_eq!(b.state_key_count(&value).unwrap(), values.len());
        prop_assert_eq!(b.state_key_count(&map).unwrap(), maps.len());
        for n in 0..3u8 {
            let keys: BTreeSet<u64> = b.keys(&value, &n).unwrap().copied().collect();
            let expected: BTreeSet<u64> = values.keys().filter(|(_, ns)| *ns == n).map(|(k, _)| *k).collect();
            prop_assert_eq!(keys, expected);
        }
        let mut stored: Vec<(u64, u8, u64)> = (0..16)
            .flat_map(|kg| value.key_group_entries(&b, kg).unwrap().map(|(k, n, v)| (*k, *n, *v)).collect::<Vec<_>>())
            .collect();
        stored.sort();
        let mut expected: Vec<(u64, u8, u64)> = values.iter().map(|((k, n), v)| (*k, *n, *v)).collect();
        expected.sort();
        prop_assert_eq!(stored, expected);
    }

    #[test]
    fn ttl_value_state_matches_a_model(
        on_read in any::<bool>(),
        ops in proptest::collection::vec((0u8..4, 0u64..12, 0i64..60), 1..300),
    ) {
        const TTL: i64 = 100;
        let clock = ManualTimeProvider::new(0);
        let mut b: HeapKeyedStateBackend<u64> =
            HeapKeyedStateBackend::new(KeyGroupRange::of(0, 7), 8, clock.clone()).unwrap();
        let update_type = if on_read { UpdateType::OnReadAndWrite } else { UpdateType::OnCreateAndWrite };
        let config = StateTtlConfig::builder(Duration::from_millis(TTL as u64))
            .set_update_type(update_type)
            .cleanup_incrementally(3, true)
            .build()
            .unwrap();
        let value = b
            .value_state::<(), u64>(&ValueStateDescriptor::new("v").enable_time_to_live(config))
            .unwrap();
        // key -> (value, last-access timestamp)
        let mut model: HashMap<u64, (u64, i64)> = HashMap::new();
        for (op, key, dt) in ops {
            b.set_current_key(key).unwrap();
            let now = clock.now();
            match op {
                0 => {
                    value.update(&mut b, &(), now as u64).unwrap();
                    model.insert(key, (now as u64, now));
                }
                1 | 2 => {
                    let live = model.get(&key).filter(|(_, ts)| ts + TTL > now).map(|(v, _)| *v);
                    prop_assert_eq!(value.value(&mut b, &()).unwrap(), live);
                    match live {
                        Some(v) if on_read => { model.insert(key, (v, now)); }
                        Some(_) => {}
                        None => { model.remove(&key); }
                    }
                }
                _ => clock.advance(dt),
            }
        }
        let now = clock.now();
        for (key, (v, ts)) in model {
            b.set_current_key(key).unwrap();
            prop_assert_eq!(value.value(&mut b, &()).unwrap(), (ts + TTL > now).then_some(v));
        }
    }
}
