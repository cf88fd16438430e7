//! Real memory of the heap keyed state backend: one million `u64` keys with a `u64`
//! ValueState in the void namespace, measured as the growth of the process's resident set
//! (Linux `/proc/self/status`), must stay within about 64 bytes per key, like the estimate.
//! This file holds a single test so that nothing else runs in its process.

use weir_state::keyed::{HeapKeyedStateBackend, ManualTimeProvider, ValueStateDescriptor};
use weir_state::KeyGroupRange;

/// The resident set size in bytes, if the platform reports it.
fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn one_million_u64_values_take_at_most_about_64_resident_bytes_per_key() {
    const KEYS: u64 = 1_000_000;
    let Some(before) = resident_bytes() else {
        eprintln!("no /proc/self/status: resident memory not measured");
        return;
    };
    let clock = ManualTimeProvider::new(0);
    let mut backend: HeapKeyedStateBackend<u64> =
        HeapKeyedStateBackend::new(KeyGroupRange::of(0, 127), 128, clock).unwrap();
    let value = backend
        .value_state::<(), u64>(&ValueStateDescriptor::new("v"))
        .unwrap();
    for key in 0..KEYS {
        backend.set_current_key(key).unwrap();
        value.update(&mut backend, &(), key).unwrap();
    }
    let after = resident_bytes().unwrap();
    let resident = after.saturating_sub(before) as f64 / KEYS as f64;
    let estimated = backend.state_size_bytes() as f64 / KEYS as f64;
    eprintln!("resident {resident:.1} bytes per key, estimated {estimated:.1} bytes per key");
    assert!(
        resident <= 64.0 * 1.1,
        "resident {resident:.1} bytes per key"
    );
    assert!(estimated <= 64.0, "estimated {estimated:.1} bytes per key");
    // The estimate reflects real memory, within the allocator's slack.
    assert!(
        (resident - estimated).abs() <= 0.35 * estimated,
        "resident {resident:.1} vs estimated {estimated:.1} bytes per key"
    );
    assert_eq!(backend.key_count(), KEYS as usize);
}
