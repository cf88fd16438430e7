//! Error messages: unknown keys (with suggestions) and bad values (with ranges).

use super::{error_text, file, set};
use crate::config::error::{edit_distance, suggest};
use crate::config::options::ALL;
use crate::config::*;

#[test]
fn unknown_key_messages() {
    assert_eq!(
        error_text("execution.bufer-timeout", "5 ms", file("jobs/q1.toml", 4)),
        "unknown configuration key 'execution.bufer-timeout' at jobs/q1.toml:4; \
         did you mean 'execution.buffer-timeout'?"
    );
    assert_eq!(
        error_text("pipeline.max_parallelism", 8, Origin::CommandLine),
        "unknown configuration key 'pipeline.max_parallelism' at --set; \
         did you mean 'pipeline.max-parallelism'?"
    );
    assert_eq!(
        error_text("taskmanager.numberoftaskslots", 2, Origin::Api),
        "unknown configuration key 'taskmanager.numberoftaskslots' at the API; \
         did you mean 'taskmanager.numberOfTaskSlots'?"
    );
    assert_eq!(
        error_text("state.backend", "rocksdb", Origin::CommandLine),
        "unknown configuration key 'state.backend' at --set"
    );
    assert_eq!(
        error_text("parallelism", 4, file("conf.toml", 0)),
        "unknown configuration key 'parallelism' at conf.toml"
    );
    let err = Configuration::default()
        .set(
            "execution.bufer-timeout",
            RawValue::Int(1),
            Origin::CommandLine,
        )
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::UnknownKey {
            key: "execution.bufer-timeout".to_owned(),
            origin: Origin::CommandLine,
            suggestion: Some("execution.buffer-timeout"),
        }
    );
}

#[test]
fn bad_value_messages() {
    let cases: [(&str, RawValue, Origin, &str); 13] = [
        ("execution.buffer-timeout", "fast".into(), Origin::CommandLine,
         "bad value 'fast' for 'execution.buffer-timeout' at --set: expected a duration such as \
          '0', '5 ms' or '1 s', or '-1'/'off' to disable the timeout"),
        ("execution.buffer-timeout", RawValue::Int(-2), file("jobs/q1.toml", 4),
         "bad value '-2' for 'execution.buffer-timeout' at jobs/q1.toml:4: expected a duration \
          such as '0', '5 ms' or '1 s', or '-1'/'off' to disable the timeout"),
        ("pipeline.max-parallelism", RawValue::Int(32769), file("jobs/q1.toml", 7),
         "bad value '32769' for 'pipeline.max-parallelism' at jobs/q1.toml:7: expected an \
          integer between 1 and 32768"),
        ("pipeline.max-parallelism", "0".into(), Origin::CommandLine,
         "bad value '0' for 'pipeline.max-parallelism' at --set: expected an integer between \
          1 and 32768"),
        ("parallelism.default", RawValue::Float(4.0), file("job.toml", 2),
         "bad value '4.0' for 'parallelism.default' at job.toml:2: expected an integer of at \
          least 1, such as '4'"),
        ("taskmanager.numberOfTaskSlots", "0".into(), Origin::Api,
         "bad value '0' for 'taskmanager.numberOfTaskSlots' at the API: expected an integer of \
          at least 1, such as '4'"),
        ("taskmanager.network.memory.buffers-per-channel", RawValue::Int(-1), Origin::CommandLine,
         "bad value '-1' for 'taskmanager.network.memory.buffers-per-channel' at --set: \
          expected an integer of at least 0, such as '2'"),
        ("taskmanager.network.memory.floating-buffers-per-gate", "many".into(), Origin::CommandLine,
         "bad value 'many' for 'taskmanager.network.memory.floating-buffers-per-gate' at --set: \
          expected an integer of at least 0, such as '8'"),
        ("taskmanager.memory.segment-size", "48 kb".into(), Origin::CommandLine,
         "bad value '48 kb' for 'taskmanager.memory.segment-size' at --set: expected a memory \
          size that is a power of two between 256 bytes and 16 mb, such as '32 kb', '32kb' or \
          '32768'"),
        ("taskmanager.memory.segment-size", "128".into(), Origin::CommandLine,
         "bad value '128' for 'taskmanager.memory.segment-size' at --set: expected a memory \
          size that is a power of two between 256 bytes and 16 mb, such as '32 kb', '32kb' or \
          '32768'"),
        ("weir.slot.io-memory", "4 mb".into(), Origin::CommandLine,
         "bad value '4 mb' for 'weir.slot.io-memory' at --set: expected a memory size between \
          1 byte and 2 mb, such as '1 mb', '512kb' or '1048576'"),
        ("pipeline.operator-chaining.enabled", "yes".into(), Origin::CommandLine,
         "bad value 'yes' for 'pipeline.operator-chaining.enabled' at --set: expected 'true' \
          or 'false'"),
        ("pipeline.auto-watermark-interval", RawValue::Bool(true), Origin::CommandLine,
         "bad value 'true' for 'pipeline.auto-watermark-interval' at --set: expected a \
          duration such as '200 ms', '200ms', '1 s' or '0'"),
    ];
    for (key, value, origin, expected) in cases {
        assert_eq!(error_text(key, value, origin), expected);
    }
    assert_eq!(
        error_text("weir.slot.spin-before-park", "soon", Origin::CommandLine),
        "bad value 'soon' for 'weir.slot.spin-before-park' at --set: expected a duration such \
         as '50 us', '50 µs', '1 ms' or '0'"
    );
    assert_eq!(
        error_text("taskmanager.memory.network.max", "0", Origin::CommandLine),
        "bad value '0' for 'taskmanager.memory.network.max' at --set: expected a memory size \
         of at least 1 byte, such as '64 mb', '64mb' or '67108864'"
    );
}

#[test]
fn a_rejected_value_leaves_the_previous_one() {
    let mut conf = Configuration::default();
    set(&mut conf, "parallelism.default", 3).unwrap();
    assert!(set(&mut conf, "parallelism.default", 0).is_err());
    assert_eq!(conf.get(&DEFAULT_PARALLELISM), 3);
    assert_eq!(
        conf.entry("parallelism.default").map(|e| e.text()),
        Some("3")
    );
}

#[test]
fn suggestions_need_to_be_close() {
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("ABC", "abc"), 0);
    let keys = || ALL.iter().map(|o| o.key());
    assert_eq!(
        suggest("parallelism.defualt", keys()),
        Some("parallelism.default")
    );
    assert_eq!(
        suggest("weir.slot.pining", keys()),
        Some("weir.slot.pinning")
    );
    assert_eq!(suggest("weir.slot", keys()), None);
    assert_eq!(suggest("pipeline.name", keys()), None);
    assert_eq!(suggest("abc", keys()), None);
}
