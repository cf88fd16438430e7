//! The memory target: one million `u64` keys with a `u64` ValueState in the void namespace
//! take at most 64 bytes per key by `state_size_bytes()`.

use super::*;

#[test]
fn one_million_u64_values_take_at_most_64_bytes_per_key() {
    const KEYS: u64 = 1_000_000;
    let (mut b, _) = backend();
    let value = b
        .value_state::<(), u64>(&ValueStateDescriptor::new("v"))
        .unwrap();
    for key in 0..KEYS {
        b.set_current_key(key).unwrap();
        value.update(&mut b, &(), key).unwrap();
    }
    assert_eq!(b.key_count(), KEYS as usize);
    let per_key = b.state_size_bytes() as f64 / KEYS as f64;
    eprintln!("state_size_bytes: {per_key:.1} bytes per key");
    assert!(per_key <= 64.0, "{per_key:.1} bytes per key");
    // 128 key groups of ~7 800 keys: 8 192 entries of 16 bytes and 16 384 index slots of 8.
    assert!(
        per_key > 30.0,
        "{per_key:.1} bytes per key is implausibly small"
    );
    for key in [0, 1, KEYS / 2, KEYS - 1] {
        b.set_current_key(key).unwrap();
        assert_eq!(value.value(&mut b, &()).unwrap(), Some(key));
    }
}
