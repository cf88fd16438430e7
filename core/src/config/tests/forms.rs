//! Every accepted value form, per option type, through `Configuration::set`.

use std::time::Duration;

use super::set;
use crate::config::*;

#[test]
fn defaults() {
    let conf = Configuration::default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
    assert_eq!(conf.get(&NUM_TASK_SLOTS), cores);
    assert_eq!(
        conf.get(&MEMORY_SEGMENT_SIZE),
        MemorySize::from_bytes(32 * 1024)
    );
    assert_eq!(
        conf.get(&NETWORK_MEMORY_MAX),
        MemorySize::from_mebibytes(64)
    );
    assert_eq!(conf.get(&NETWORK_BUFFERS_PER_CHANNEL), 2);
    assert_eq!(conf.get(&NETWORK_EXTRA_BUFFERS_PER_GATE), 8);
    assert_eq!(
        conf.get(&BUFFER_TIMEOUT),
        BufferTimeout::Interval(Duration::from_millis(100))
    );
    assert_eq!(conf.get(&DEFAULT_PARALLELISM), 1);
    assert_eq!(conf.get(&MAX_PARALLELISM), 128);
    assert_eq!(
        conf.get(&AUTO_WATERMARK_INTERVAL),
        Duration::from_millis(200)
    );
    assert!(conf.get(&OPERATOR_CHAINING));
    assert_eq!(conf.get(&SLOT_IO_MEMORY), MemorySize::from_mebibytes(1));
    assert!(conf.get(&SLOT_PINNING));
    assert_eq!(conf.get(&SLOT_SPIN_BEFORE_PARK), Duration::from_micros(50));
    assert_eq!(conf.iter().count(), 0);
    assert!(!conf.is_set(&DEFAULT_PARALLELISM));
}

#[test]
fn default_texts_parse_to_the_defaults_and_are_valid() {
    fn check<T: ConfigValue + PartialEq>(option: &ConfigOption<T>) {
        let parsed = option.parse(&RawValue::from(option.default_text()));
        assert_eq!(parsed, Some(option.default_value()), "{}", option.key());
        assert_eq!(option.default_value().to_text(), option.default_text());
    }
    check(&MEMORY_SEGMENT_SIZE);
    check(&NETWORK_MEMORY_MAX);
    check(&NETWORK_BUFFERS_PER_CHANNEL);
    check(&NETWORK_EXTRA_BUFFERS_PER_GATE);
    check(&BUFFER_TIMEOUT);
    check(&DEFAULT_PARALLELISM);
    check(&MAX_PARALLELISM);
    check(&AUTO_WATERMARK_INTERVAL);
    check(&OPERATOR_CHAINING);
    check(&SLOT_IO_MEMORY);
    check(&SLOT_PINNING);
    check(&SLOT_SPIN_BEFORE_PARK);
    // The slot default depends on the machine, so its text describes it instead.
    assert!(NUM_TASK_SLOTS.is_valid(&NUM_TASK_SLOTS.default_value()));
}

#[test]
fn integer_forms() {
    let mut conf = Configuration::default();
    for (value, expected) in [
        (RawValue::from("4"), 4),
        (RawValue::from(" 6 "), 6),
        (RawValue::from("+3"), 3),
        (RawValue::Int(5), 5),
    ] {
        conf.set("parallelism.default", value, Origin::Api).unwrap();
        assert_eq!(conf.get(&DEFAULT_PARALLELISM), expected);
    }
    set(&mut conf, "taskmanager.numberOfTaskSlots", 16).unwrap();
    assert_eq!(conf.get(&NUM_TASK_SLOTS), 16);
    set(
        &mut conf,
        "taskmanager.network.memory.buffers-per-channel",
        0,
    )
    .unwrap();
    assert_eq!(conf.get(&NETWORK_BUFFERS_PER_CHANNEL), 0);
    set(
        &mut conf,
        "taskmanager.network.memory.floating-buffers-per-gate",
        "0",
    )
    .unwrap();
    assert_eq!(conf.get(&NETWORK_EXTRA_BUFFERS_PER_GATE), 0);
    set(&mut conf, "pipeline.max-parallelism", 32768).unwrap();
    assert_eq!(conf.get(&MAX_PARALLELISM), 32768);
    set(&mut conf, "pipeline.max-parallelism", "1").unwrap();
    assert_eq!(conf.get(&MAX_PARALLELISM), 1);
}

#[test]
fn bool_forms() {
    let mut conf = Configuration::default();
    set(&mut conf, "pipeline.operator-chaining.enabled", false).unwrap();
    assert!(!conf.get(&OPERATOR_CHAINING));
    set(&mut conf, "pipeline.operator-chaining.enabled", "TRUE").unwrap();
    assert!(conf.get(&OPERATOR_CHAINING));
    set(&mut conf, "weir.slot.pinning", "false").unwrap();
    assert!(!conf.get(&SLOT_PINNING));
    set(&mut conf, "weir.slot.pinning", true).unwrap();
    assert!(conf.get(&SLOT_PINNING));
}

#[test]
fn duration_and_buffer_timeout_forms() {
    let mut conf = Configuration::default();
    for (value, expected) in [
        (RawValue::from("0"), Duration::ZERO),
        (RawValue::from("5ms"), Duration::from_millis(5)),
        (RawValue::from("5 ms"), Duration::from_millis(5)),
        (RawValue::from("1s"), Duration::from_secs(1)),
        (RawValue::from("1 min"), Duration::from_secs(60)),
        (RawValue::from("100 us"), Duration::from_micros(100)),
        (RawValue::from("100 µs"), Duration::from_micros(100)),
        (RawValue::Int(250), Duration::from_millis(250)),
    ] {
        conf.set(
            "pipeline.auto-watermark-interval",
            value.clone(),
            Origin::Api,
        )
        .unwrap();
        assert_eq!(conf.get(&AUTO_WATERMARK_INTERVAL), expected, "{value:?}");
        conf.set("weir.slot.spin-before-park", value, Origin::Api)
            .unwrap();
        assert_eq!(conf.get(&SLOT_SPIN_BEFORE_PARK), expected);
    }
    use BufferTimeout::{Disabled, Interval};
    for (value, expected) in [
        (RawValue::from("-1"), Disabled),
        (RawValue::Int(-1), Disabled),
        (RawValue::from("off"), Disabled),
        (RawValue::from("disabled"), Disabled),
        (RawValue::from("0"), Interval(Duration::ZERO)),
        (RawValue::Int(0), Interval(Duration::ZERO)),
        (RawValue::Int(10), Interval(Duration::from_millis(10))),
        (RawValue::from("5 ms"), Interval(Duration::from_millis(5))),
        (RawValue::from("1 s"), Interval(Duration::from_secs(1))),
    ] {
        conf.set("execution.buffer-timeout", value.clone(), Origin::Api)
            .unwrap();
        assert_eq!(conf.get(&BUFFER_TIMEOUT), expected, "{value:?}");
    }
}

#[test]
fn memory_size_forms() {
    let mut conf = Configuration::default();
    for (value, bytes) in [
        (RawValue::from("32kb"), 32 << 10),
        (RawValue::from("32 kb"), 32 << 10),
        (RawValue::from("32768"), 32 << 10),
        (RawValue::Int(4096), 4096),
        (RawValue::from("256 b"), 256),
        (RawValue::from("1mb"), 1 << 20),
        (RawValue::from("16 mb"), 16 << 20),
    ] {
        conf.set(
            "taskmanager.memory.segment-size",
            value.clone(),
            Origin::Api,
        )
        .unwrap();
        assert_eq!(conf.get(&MEMORY_SEGMENT_SIZE).bytes(), bytes, "{value:?}");
    }
    for (value, bytes) in [
        (RawValue::from("64 mb"), 64u64 << 20),
        (RawValue::from("1 gb"), 1 << 30),
        (RawValue::from("1g"), 1 << 30),
        (RawValue::Int(1 << 20), 1 << 20),
    ] {
        conf.set("taskmanager.memory.network.max", value, Origin::Api)
            .unwrap();
        assert_eq!(conf.get(&NETWORK_MEMORY_MAX).bytes(), bytes);
    }
    set(&mut conf, "weir.slot.io-memory", "2 mb").unwrap();
    assert_eq!(conf.get(&SLOT_IO_MEMORY), MAX_SLOT_IO_MEMORY);
    set(&mut conf, "weir.slot.io-memory", "512kb").unwrap();
    assert_eq!(conf.get(&SLOT_IO_MEMORY).bytes(), 512 << 10);
}
