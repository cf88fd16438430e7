//! Key-group assignment with Apache Flink's exact semantics.
//!
//! Keyed state is partitioned into `max_parallelism` key groups. A key is mapped to a key
//! group by `murmur_hash(key.hashCode()) % max_parallelism`, and each parallel operator
//! instance owns one contiguous, inclusive range of key groups. This is Flink's
//! `KeyGroupRangeAssignment`; the same key values (hashed with [`KeyHash`], which
//! reproduces Java's `hashCode()`) land in the same key group and on the same operator
//! index as in Flink.
//!
//! The `compute_*` functions never panic. Validate `max_parallelism` with
//! [`check_max_parallelism`] and `parallelism` with [`check_parallelism`] first; for input
//! outside those contracts the result is defined (an empty range or index 0) but meaningless.

use crate::error::StateError;
pub use crate::key_hash::KeyHash;
pub use range::KeyGroupRange;

mod range;

/// Flink's `DEFAULT_LOWER_BOUND_MAX_PARALLELISM`: the smallest default maximum parallelism.
pub const DEFAULT_LOWER_BOUND_MAX_PARALLELISM: u32 = 1 << 7;

/// Flink's `UPPER_BOUND_MAX_PARALLELISM`: the inclusive upper bound for the maximum parallelism.
pub const UPPER_BOUND_MAX_PARALLELISM: u32 = 1 << 15;

/// Flink's `MathUtils.murmurHash`: one MurmurHash3 (x86, 32-bit) round over a 4-byte
/// input with seed 0, made non-negative (`Integer.MIN_VALUE` maps to 0).
pub fn murmur_hash(code: i32) -> i32 {
    let mut h = code as u32;
    h = h.wrapping_mul(0xcc9e_2d51);
    h = h.rotate_left(15);
    h = h.wrapping_mul(0x1b87_3593);

    h = h.rotate_left(13);
    h = h.wrapping_mul(5).wrapping_add(0xe654_6b64);

    h ^= 4;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;

    let signed = h as i32;
    if signed >= 0 {
        signed
    } else if signed != i32::MIN {
        -signed
    } else {
        0
    }
}

/// Flink's `computeKeyGroupForKeyHash`: the key group of a key whose Java `hashCode()` is
/// `key_hash`. Returns 0 when `max_parallelism` is 0 (outside the contract).
pub fn assign_to_key_group(key_hash: i32, max_parallelism: u32) -> u32 {
    // murmur_hash is non-negative, so the cast is lossless.
    let hash = murmur_hash(key_hash) as u32;
    if max_parallelism.is_power_of_two() {
        // The same remainder without a division (the default maximum parallelism, 128, is
        // a power of two; this runs up to three times per keyed record).
        hash & (max_parallelism - 1)
    } else {
        hash.checked_rem(max_parallelism).unwrap_or(0)
    }
}

/// Flink's `assignToKeyGroup(Object key, int maxParallelism)`: the key group of `key`.
pub fn assign_key_to_key_group<K: KeyHash + ?Sized>(key: &K, max_parallelism: u32) -> u32 {
    assign_to_key_group(key.key_hash(), max_parallelism)
}

/// Flink's `assignKeyToParallelOperator`: the operator index `key` is routed to.
pub fn assign_key_to_parallel_operator<K: KeyHash + ?Sized>(
    key: &K,
    max_parallelism: u32,
    parallelism: u32,
) -> u32 {
    let key_group = assign_key_to_key_group(key, max_parallelism);
    compute_operator_index_for_key_group(max_parallelism, parallelism, key_group)
}

/// Flink's `computeKeyGroupRangeForOperatorIndex`: the inclusive range of key groups owned
/// by operator `operator_index` under `parallelism` and `max_parallelism`.
///
/// Requires `1 <= parallelism <= max_parallelism <= 32768` and `operator_index < parallelism`;
/// otherwise returns [`KeyGroupRange::EMPTY`] or a clipped range instead of panicking.
pub fn compute_key_group_range_for_operator_index(
    max_parallelism: u32,
    parallelism: u32,
    operator_index: u32,
) -> KeyGroupRange {
    if parallelism == 0 || operator_index >= parallelism {
        return KeyGroupRange::EMPTY;
    }
    let (max_p, p, i) = (
        u64::from(max_parallelism),
        u64::from(parallelism),
        u64::from(operator_index),
    );
    // start = ceil(i * max_p / p); end = floor(((i + 1) * max_p - 1) / p). With max_p = 0 the
    // end underflows, which can only mean "empty".
    let start = (i * max_p).div_ceil(p);
    let Some(end_numerator) = ((i + 1) * max_p).checked_sub(1) else {
        return KeyGroupRange::EMPTY;
    };
    let end = end_numerator / p;
    // Both bounds are < max_p <= u32::MAX, so the conversions cannot fail.
    match (u32::try_from(start), u32::try_from(end)) {
        (Ok(start), Ok(end)) => KeyGroupRange::of(start, end),
        _ => KeyGroupRange::EMPTY,
    }
}

/// Flink's `computeOperatorIndexForKeyGroup`: the operator index owning `key_group`.
/// Returns 0 when `max_parallelism` is 0 (outside the contract).
pub fn compute_operator_index_for_key_group(
    max_parallelism: u32,
    parallelism: u32,
    key_group: u32,
) -> u32 {
    let index = (u64::from(key_group) * u64::from(parallelism))
        .checked_div(u64::from(max_parallelism))
        .unwrap_or(0);
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Flink's `computeDefaultMaxParallelism`: `operator_parallelism * 1.5` rounded up to a
/// power of two, clamped to `128..=32768`.
pub fn compute_default_max_parallelism(operator_parallelism: u32) -> u32 {
    let wanted = u64::from(operator_parallelism) + u64::from(operator_parallelism / 2);
    let rounded = wanted.max(1).next_power_of_two();
    let clamped = rounded.clamp(
        u64::from(DEFAULT_LOWER_BOUND_MAX_PARALLELISM),
        u64::from(UPPER_BOUND_MAX_PARALLELISM),
    );
    u32::try_from(clamped).unwrap_or(UPPER_BOUND_MAX_PARALLELISM)
}

/// Checks `1 <= max_parallelism <= 32768` (Flink's `UPPER_BOUND_MAX_PARALLELISM`).
pub fn check_max_parallelism(max_parallelism: u32) -> Result<(), StateError> {
    if (1..=UPPER_BOUND_MAX_PARALLELISM).contains(&max_parallelism) {
        Ok(())
    } else {
        Err(StateError::MaxParallelismOutOfRange {
            max_parallelism,
            upper_bound: UPPER_BOUND_MAX_PARALLELISM,
        })
    }
}

/// Checks `max_parallelism` and then `1 <= parallelism <= max_parallelism`.
pub fn check_parallelism(max_parallelism: u32, parallelism: u32) -> Result<(), StateError> {
    check_max_parallelism(max_parallelism)?;
    if (1..=max_parallelism).contains(&parallelism) {
        Ok(())
    } else {
        Err(StateError::ParallelismOutOfRange {
            parallelism,
            max_parallelism,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Reference values were produced by running Flink's `MathUtils.murmurHash` (transcribed
    // into Java) on a JDK, together with the JDK's own `hashCode()` implementations.
    #[test]
    fn murmur_hash_matches_flink() {
        assert_eq!(murmur_hash(0), 593_689_054);
        assert_eq!(murmur_hash(1), 68_075_478);
        assert_eq!(murmur_hash(-1), 1_982_413_648);
        assert_eq!(murmur_hash(42), 1_134_849_565);
        assert_eq!(murmur_hash(i32::MIN), 1_718_298_732);
        assert_eq!(murmur_hash(i32::MAX), 1_653_689_534);
        assert_eq!(murmur_hash(99_162_322), 1_715_862_179);
    }

    #[test]
    fn key_group_assignment_matches_flink() {
        assert_eq!(assign_to_key_group(42, 128), 29);
        assert_eq!(assign_to_key_group(42, 32768), 28189);
        assert_eq!(assign_to_key_group(0, 128), 94);
        assert_eq!(assign_key_to_key_group("hello", 128), 35);
        assert_eq!(assign_key_to_key_group("hello", 32768), 31395);
        assert_eq!(assign_key_to_key_group(&1_234_567_890_123_i64, 128), 92);
        assert_eq!(assign_key_to_parallel_operator(&42_i32, 128, 4), 0);
        assert_eq!(assign_key_to_parallel_operator("hello", 128, 4), 1);
        assert_eq!(
            assign_key_to_parallel_operator(&1_234_567_890_123_i64, 128, 4),
            2
        );
        assert_eq!(assign_to_key_group(42, 0), 0);
    }

    #[test]
    fn ranges_match_flink_formula() {
        // Flink: start = ceil(i * maxP / p), end = floor(((i + 1) * maxP - 1) / p).
        assert_eq!(
            compute_key_group_range_for_operator_index(128, 1, 0),
            KeyGroupRange::of(0, 127)
        );
        assert_eq!(
            compute_key_group_range_for_operator_index(128, 3, 0),
            KeyGroupRange::of(0, 42)
        );
        assert_eq!(
            compute_key_group_range_for_operator_index(128, 3, 1),
            KeyGroupRange::of(43, 85)
        );
        assert_eq!(
            compute_key_group_range_for_operator_index(128, 3, 2),
            KeyGroupRange::of(86, 127)
        );
        assert_eq!(
            compute_key_group_range_for_operator_index(32768, 32768, 32767),
            KeyGroupRange::of(32767, 32767)
        );
        assert_eq!(compute_operator_index_for_key_group(128, 3, 42), 0);
        assert_eq!(compute_operator_index_for_key_group(128, 3, 43), 1);
        assert_eq!(compute_operator_index_for_key_group(128, 3, 127), 2);
    }

    #[test]
    fn out_of_contract_input_does_not_panic() {
        assert!(compute_key_group_range_for_operator_index(128, 0, 0).is_empty());
        assert!(compute_key_group_range_for_operator_index(128, 4, 4).is_empty());
        assert!(compute_key_group_range_for_operator_index(0, 4, 0).is_empty());
        assert_eq!(compute_operator_index_for_key_group(0, 4, 7), 0);
        // parallelism > max_parallelism: some operators get nothing, like Flink's `of`.
        assert!(compute_key_group_range_for_operator_index(2, 4, 1).is_empty());
        assert_eq!(
            compute_key_group_range_for_operator_index(2, 4, 2),
            KeyGroupRange::of(1, 1)
        );
    }

    #[test]
    fn check_bounds() {
        assert!(check_max_parallelism(1).is_ok());
        assert!(check_max_parallelism(32768).is_ok());
        let err = check_max_parallelism(0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "maximum parallelism 0 is out of range: it must be between 1 and 32768 (inclusive)"
        );
        assert!(check_max_parallelism(32769).is_err());
        assert!(check_parallelism(128, 128).is_ok());
        assert_eq!(
            check_parallelism(128, 129).unwrap_err().to_string(),
            "parallelism 129 is out of range: it must be between 1 and the maximum parallelism 128 (inclusive)"
        );
        assert!(check_parallelism(128, 0).is_err());
        assert!(check_parallelism(0, 1).is_err());
    }

    #[test]
    fn default_max_parallelism_matches_flink() {
        assert_eq!(compute_default_max_parallelism(1), 128);
        assert_eq!(compute_default_max_parallelism(100), 256);
        assert_eq!(compute_default_max_parallelism(1000), 2048);
        assert_eq!(compute_default_max_parallelism(30000), 32768);
    }

    proptest! {
        #[test]
        fn key_group_is_the_remainder_of_the_murmur_hash(code in any::<i32>(), max in 0u32..40_000) {
            let expected = (murmur_hash(code) as u32).checked_rem(max).unwrap_or(0);
            prop_assert_eq!(assign_to_key_group(code, max), expected);
            let power = 1u32 << (max % 16);
            prop_assert_eq!(assign_to_key_group(code, power), murmur_hash(code) as u32 % power);
        }

        #[test]
        fn ranges_tile_and_agree_with_operator_index(
            (max_parallelism, parallelism) in (1u32..=UPPER_BOUND_MAX_PARALLELISM)
                .prop_flat_map(|m| (Just(m), 1u32..=m.min(512)))
        ) {
            let mut next = 0u32;
            for index in 0..parallelism {
                let range = compute_key_group_range_for_operator_index(max_parallelism, parallelism, index);
                // Contiguous and in order: each range starts where the previous one ended.
                prop_assert!(!range.is_empty());
                prop_assert_eq!(range.start_key_group(), next);
                for key_group in range {
                    prop_assert_eq!(
                        compute_operator_index_for_key_group(max_parallelism, parallelism, key_group),
                        index
                    );
                }
                next = range.start_key_group() + range.number_of_key_groups();
            }
            prop_assert_eq!(next, max_parallelism);
        }

        #[test]
        fn key_groups_are_in_bounds(hash in any::<i32>(), max_parallelism in 1u32..=UPPER_BOUND_MAX_PARALLELISM) {
            prop_assert!(murmur_hash(hash) >= 0);
            prop_assert!(assign_to_key_group(hash, max_parallelism) < max_parallelism);
        }
    }
}
