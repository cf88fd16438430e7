//! [`StateHasher`]: the fast, deterministic hasher of the state tables.
//!
//! Each written word is folded into the state with one 64×64→128-bit multiply whose halves
//! are XORed (the "folded multiply" of aHash and foldhash), and `finish` folds once more,
//! which mixes every input bit into both the low and the high bits (the state tables use the
//! high 32 bits).
//! It is not seeded per process and therefore not resistant to hash flooding; keys reach a
//! state backend only after key-group partitioning, from the job's own data.

use std::hash::{BuildHasherDefault, Hasher};

/// The initial state (the fractional digits of π).
const SEED: u64 = 0x243f_6a88_85a3_08d3;
/// The multiplier of each written word (2^64 / φ, odd).
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
/// The multiplier of the final fold (digits of e, odd).
const FINISH: u64 = 0x2b7e_1516_28ae_d2a7;

/// The 128-bit product of `a` and `b`, folded to 64 bits by XORing its halves.
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// A fast, deterministic [`Hasher`] for state keys, namespaces and map keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateHasher {
    state: u64,
}

impl Default for StateHasher {
    fn default() -> Self {
        Self { state: SEED }
    }
}

impl StateHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = folded_multiply(self.state ^ word, MULTIPLIER);
    }
}

impl Hasher for StateHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // A second fold spreads inputs that differ only in their high bits.
        folded_multiply(self.state, FINISH)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The tail length goes into the top byte so that "a\0" and "a" differ.
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.mix(i as u64);
        self.mix((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_i8(&mut self, i: i8) {
        self.write_u8(i as u8);
    }

    #[inline]
    fn write_i16(&mut self, i: i16) {
        self.write_u16(i as u16);
    }

    #[inline]
    fn write_i32(&mut self, i: i32) {
        self.write_u32(i as u32);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn write_i128(&mut self, i: i128) {
        self.write_u128(i as u128);
    }

    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.write_usize(i as usize);
    }
}

/// Builds [`StateHasher`]s, for `std::collections::HashMap`s inside state values.
pub type BuildStateHasher = BuildHasherDefault<StateHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::{BuildHasher, Hash};

    fn hash_of<T: Hash>(value: &T) -> u64 {
        BuildStateHasher::default().hash_one(value)
    }

    #[test]
    fn hashes_are_deterministic_and_spread() {
        assert_eq!(hash_of(&42u64), hash_of(&42u64));
        assert_ne!(hash_of(&"a"), hash_of(&"a\0"));
        assert_ne!(hash_of(&(1u64, 2u64)), hash_of(&(2u64, 1u64)));
        // Sequential keys, and keys differing only in their high bits, spread over the low
        // bits (std's bucket index), bits 32.. (the state tables' home slot) and the top 7
        // bits (std's tag); 4096 random values fill about 2590 of 4096 buckets.
        for keys in [
            (0..4096u64).collect::<Vec<_>>(),
            (0..4096u64).map(|k| k << 40).collect(),
        ] {
            for (shift, mask) in [(0, 4095), (32, 4095), (57, 127)] {
                let buckets: HashSet<u64> =
                    keys.iter().map(|k| (hash_of(k) >> shift) & mask).collect();
                let expected = if mask == 127 { 128 } else { 2450 };
                assert!(
                    buckets.len() >= expected,
                    "bits {shift}.. spread over only {} buckets",
                    buckets.len()
                );
            }
        }
    }
}
