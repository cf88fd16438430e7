//! End-to-end pipelines through the DataStream API on the embedded cluster.

use std::collections::BTreeMap;

use weir_core::api::StreamExecutionEnvironment;
use weir_core::config::{Configuration, Origin, RawValue};

fn env(slots: u32) -> StreamExecutionEnvironment {
    let mut config = Configuration::default();
    config
        .set(
            "taskmanager.numberOfTaskSlots",
            RawValue::Int(slots as i64),
            Origin::Api,
        )
        .unwrap();
    config
        .set(
            "execution.buffer-timeout",
            RawValue::Str("1 ms".into()),
            Origin::Api,
        )
        .unwrap();
    StreamExecutionEnvironment::new(config)
}

#[test]
fn sequence_map_filter_collect() {
    let env = env(1);
    let out = env
        .from_sequence(1, 1000)
        .map(|x| x * 2)
        .filter(|x| x % 3 == 0)
        .collect();
    let result = env.execute("map-filter").unwrap();
    let mut got = out.values();
    got.sort();
    let want: Vec<i64> = (1..=1000).map(|x| x * 2).filter(|x| x % 3 == 0).collect();
    assert_eq!(got, want);
    assert_eq!(result.slots_used, 1);
}

#[test]
fn keyed_sum_at_parallelism_two_across_slots() {
    let env = env(2);
    env.set_parallelism(2).unwrap();
    let out = env
        .from_sequence(0, 9_999)
        .map(|x| (x % 7, 1i64))
        .key_by(|t: &(i64, i64)| t.0)
        .sum(|t: &mut (i64, i64)| &mut t.1)
        .collect();
    env.execute("keyed-sum").unwrap();
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
    let values = out.values();
    assert_eq!(values.len(), 10_000);
    for (k, c) in values {
        let e = last.entry(k).or_insert(0);
        assert!(c > *e, "rolling sum for key {k} went from {e} to {c}");
        *e = c;
    }
    let want: BTreeMap<i64, i64> = (0..7)
        .map(|k| (k, (0..10_000).filter(|x| x % 7 == k).count() as i64))
        .collect();
    assert_eq!(last, want);
}
