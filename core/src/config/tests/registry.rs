//! Origins and `iter()`, deprecated keys, the typed API, cloning and `all_options()`.

use std::time::Duration;

use weir_state::key_group::UPPER_BOUND_MAX_PARALLELISM;

use super::{error_text, file, set};
use crate::config::options::ALL;
use crate::config::*;

#[test]
fn iter_reports_values_and_origins() {
    let mut conf = Configuration::default();
    conf.set(
        "parallelism.default",
        RawValue::Int(4),
        file("jobs/q1.toml", 3),
    )
    .unwrap();
    conf.set(
        "taskmanager.memory.segment-size",
        "32768".into(),
        Origin::CommandLine,
    )
    .unwrap();
    conf.set(
        "execution.buffer-timeout",
        "-1".into(),
        file("jobs/q1.toml", 5),
    )
    .unwrap();
    let listed: Vec<(&str, String, String, Origin)> = conf
        .iter()
        .map(|(k, e)| {
            (
                k,
                e.raw().to_string(),
                e.text().to_owned(),
                e.origin().clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "execution.buffer-timeout",
                "-1".into(),
                "off".into(),
                file("jobs/q1.toml", 5)
            ),
            (
                "parallelism.default",
                "4".into(),
                "4".into(),
                file("jobs/q1.toml", 3)
            ),
            (
                "taskmanager.memory.segment-size",
                "32768".into(),
                "32 kb".into(),
                Origin::CommandLine
            ),
        ]
    );
    // A later set replaces the value and its origin.
    set(&mut conf, "parallelism.default", "8").unwrap();
    assert_eq!(
        conf.entry("parallelism.default").map(|e| e.origin()),
        Some(&Origin::CommandLine)
    );
    assert!(conf.is_set(&DEFAULT_PARALLELISM));
    assert!(!conf.is_set(&MAX_PARALLELISM));
    assert!(conf.reset(&DEFAULT_PARALLELISM).is_some());
    assert_eq!(conf.get(&DEFAULT_PARALLELISM), 1);
}

#[test]
fn deprecated_flink_keys_map_to_current_keys() {
    let mut conf = Configuration::default();
    set(&mut conf, "pipeline.operator-chaining", false).unwrap();
    set(&mut conf, "taskmanager.network.memory.max", "128 mb").unwrap();
    assert!(!conf.get(&OPERATOR_CHAINING));
    assert_eq!(
        conf.get(&NETWORK_MEMORY_MAX),
        MemorySize::from_mebibytes(128)
    );
    let keys: Vec<&str> = conf.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "pipeline.operator-chaining.enabled",
            "taskmanager.memory.network.max"
        ]
    );
    assert_eq!(
        error_text("pipeline.operator-chaining", "maybe", Origin::CommandLine),
        "bad value 'maybe' for 'pipeline.operator-chaining.enabled' at --set: expected 'true' \
         or 'false'"
    );
}

#[test]
fn typed_api_sets_are_checked() {
    let mut conf = Configuration::default();
    conf.set_option(&MAX_PARALLELISM, 256).unwrap();
    assert_eq!(conf.get(&MAX_PARALLELISM), 256);
    assert_eq!(
        conf.entry("pipeline.max-parallelism").map(|e| e.origin()),
        Some(&Origin::Api)
    );
    conf.set_option(&BUFFER_TIMEOUT, BufferTimeout::Disabled)
        .unwrap();
    assert_eq!(conf.get(&BUFFER_TIMEOUT), BufferTimeout::Disabled);
    conf.set_option(&SLOT_SPIN_BEFORE_PARK, Duration::from_nanos(1500))
        .unwrap();
    assert_eq!(conf.get(&SLOT_SPIN_BEFORE_PARK), Duration::from_nanos(1500));
    assert_eq!(
        conf.set_option(&MAX_PARALLELISM, 0)
            .unwrap_err()
            .to_string(),
        "bad value '0' for 'pipeline.max-parallelism' at the API: expected an integer between \
         1 and 32768"
    );
    conf.set_value("parallelism.default", RawValue::Int(2), Origin::Api)
        .unwrap();
    assert_eq!(conf.get(&DEFAULT_PARALLELISM), 2);
}

#[test]
fn clones_and_merges_are_independent() {
    let mut base = Configuration::default();
    set(&mut base, "parallelism.default", 2).unwrap();
    let mut job = base.clone();
    set(&mut job, "parallelism.default", 6).unwrap();
    assert_eq!(base.get(&DEFAULT_PARALLELISM), 2);
    assert_eq!(job.get(&DEFAULT_PARALLELISM), 6);
    let mut cli = Configuration::default();
    set(&mut cli, "weir.slot.pinning", false).unwrap();
    base.merge(&cli);
    assert!(!base.get(&SLOT_PINNING));
    assert_eq!(base.get(&DEFAULT_PARALLELISM), 2);
}

#[test]
fn all_options_lists_every_key_once() {
    let options = all_options();
    assert_eq!(options.len(), 45);
    let mut keys: Vec<&str> = options.iter().map(|o| o.key).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 45);
    for o in &options {
        assert!(!o.description.is_empty() && !o.default.is_empty() && !o.accepted.is_empty());
    }
    let first = options[0];
    assert_eq!(first.key, "taskmanager.numberOfTaskSlots");
    assert_eq!(first.default, "the number of available cores");
    let timeout = options.iter().find(|o| o.key == "execution.buffer-timeout");
    assert_eq!(timeout.map(|o| o.default), Some("100 ms"));
    // Every listed key is settable, and no deprecated key shadows another option's key.
    for option in ALL.iter() {
        for old in option.deprecated_keys() {
            assert!(!keys.contains(old));
        }
    }
}

#[test]
fn max_parallelism_bound_matches_weir_state() {
    assert!(MAX_PARALLELISM.is_valid(&UPPER_BOUND_MAX_PARALLELISM));
    assert!(!MAX_PARALLELISM.is_valid(&(UPPER_BOUND_MAX_PARALLELISM + 1)));
    assert!(MAX_PARALLELISM
        .accepted()
        .ends_with(&UPPER_BOUND_MAX_PARALLELISM.to_string()));
    let seg_ok = |b: u64| MEMORY_SEGMENT_SIZE.is_valid(&MemorySize::from_bytes(b));
    assert!(seg_ok(MIN_SEGMENT_SIZE.bytes()) && seg_ok(MAX_SEGMENT_SIZE.bytes()));
    assert!(!seg_ok(128) && !seg_ok(32 << 20) && !seg_ok(3 << 10) && !seg_ok(0));
}
