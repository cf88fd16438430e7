//! [`HeapSize`]: how state values report the heap memory they own, for
//! `state_size_bytes()`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::mem::size_of;
use std::sync::Arc;

/// Reports the heap memory a value owns beyond its inline `size_of`, so that a state's
/// estimated size reflects real memory. The default (0) fits plain-old-data types:
/// `impl HeapSize for MyPod {}`.
pub trait HeapSize {
    /// Bytes this value owns on the heap (allocated capacity), not counting `size_of::<Self>()`.
    fn heap_size(&self) -> usize {
        0
    }
}

/// A value kept in state at its inline size only: what it owns on the heap (strings inside
/// a record, say) is not counted in the state size estimate. For values of types that do
/// not implement [`HeapSize`] themselves (records of user types, accumulators).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize,
)]
pub struct InlineSized<T>(pub T);

impl<T> HeapSize for InlineSized<T> {}

macro_rules! no_heap {
    ($($t:ty),*) => {$( impl HeapSize for $t {} )*};
}

no_heap!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    bool,
    char,
    ()
);
no_heap!(&'static str, std::time::Duration);

impl HeapSize for String {
    fn heap_size(&self) -> usize {
        self.capacity()
    }
}

impl<T: HeapSize> HeapSize for Vec<T> {
    fn heap_size(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(HeapSize::heap_size).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for VecDeque<T> {
    fn heap_size(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(HeapSize::heap_size).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for Box<T> {
    fn heap_size(&self) -> usize {
        size_of::<T>() + (**self).heap_size()
    }
}

impl HeapSize for Box<str> {
    fn heap_size(&self) -> usize {
        self.len()
    }
}

impl<T: HeapSize> HeapSize for Box<[T]> {
    fn heap_size(&self) -> usize {
        self.len() * size_of::<T>() + self.iter().map(HeapSize::heap_size).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for Arc<T> {
    /// The pointee and the two reference counts, counted in full by every owner.
    fn heap_size(&self) -> usize {
        2 * size_of::<usize>() + size_of::<T>() + (**self).heap_size()
    }
}

impl<T: HeapSize> HeapSize for Option<T> {
    fn heap_size(&self) -> usize {
        self.as_ref().map_or(0, HeapSize::heap_size)
    }
}

impl<T: HeapSize, const N: usize> HeapSize for [T; N] {
    fn heap_size(&self) -> usize {
        self.iter().map(HeapSize::heap_size).sum()
    }
}

impl<K: HeapSize, V: HeapSize, H> HeapSize for HashMap<K, V, H> {
    fn heap_size(&self) -> usize {
        hash_table_bytes::<(K, V)>(self.capacity())
            + self
                .iter()
                .map(|(k, v)| k.heap_size() + v.heap_size())
                .sum::<usize>()
    }
}

impl<K: HeapSize, V: HeapSize> HeapSize for BTreeMap<K, V> {
    /// Estimated as one node of 11 slots per 8 entries.
    fn heap_size(&self) -> usize {
        let nodes = self.len().div_ceil(8);
        nodes * (11 * (size_of::<K>() + size_of::<V>()) + 2 * size_of::<usize>())
            + self
                .iter()
                .map(|(k, v)| k.heap_size() + v.heap_size())
                .sum::<usize>()
    }
}

macro_rules! tuple_heap_size {
    ($($name:ident),+) => {
        impl<$($name: HeapSize),+> HeapSize for ($($name,)+) {
            #[allow(non_snake_case)]
            fn heap_size(&self) -> usize {
                let ($($name,)+) = self;
                0 $(+ $name.heap_size())+
            }
        }
    };
}

tuple_heap_size!(A);
tuple_heap_size!(A, B);
tuple_heap_size!(A, B, C);
tuple_heap_size!(A, B, C, D);
tuple_heap_size!(A, B, C, D, E);

/// The bytes `std::collections::HashMap` (hashbrown) allocates for `capacity` usable slots
/// of `T`: a power-of-two number of buckets at 7/8 load, one control byte per bucket plus
/// one 16-byte group of trailing control bytes.
pub(crate) fn hash_table_bytes<T>(capacity: usize) -> usize {
    let buckets = match capacity {
        0 => return 0,
        1..=3 => 4,
        4..=7 => 8,
        _ => (capacity.saturating_mul(8) / 7).next_power_of_two(),
    };
    buckets * (size_of::<T>() + 1) + 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_sizes_count_capacity_and_nested_parts() {
        assert_eq!(7u64.heap_size(), 0);
        let s = String::with_capacity(10);
        assert_eq!(s.heap_size(), 10);
        let v: Vec<String> = vec![String::with_capacity(3), String::with_capacity(4)];
        assert_eq!(v.heap_size(), v.capacity() * size_of::<String>() + 7);
        assert_eq!(Some(String::with_capacity(5)).heap_size(), 5);
        assert_eq!((1u8, String::with_capacity(2)).heap_size(), 2);
        assert_eq!(Box::new(1u64).heap_size(), 8);
        assert_eq!(
            InlineSized(String::with_capacity(9)).heap_size(),
            0,
            "inline size only"
        );
        let mut m: HashMap<u64, u64> = HashMap::new();
        assert_eq!(m.heap_size(), 0);
        m.insert(1, 2);
        assert_eq!(m.heap_size(), 4 * 17 + 16);
        assert_eq!(hash_table_bytes::<u64>(14), 16 * 9 + 16);
    }
}
