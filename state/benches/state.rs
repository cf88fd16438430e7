//! Micro-benchmarks of the heap keyed state backend with one million keys: ValueState read
//! and write, MapState put and get, each preceded by `set_current_key` of a key drawn in a
//! fixed pseudo-random order (as a keyed operator does per record), plus `set_current_key`
//! alone, a read of the same key again (hot in cache) and, for reference, a `std` hash map.

use divan::{black_box, Bencher};
use weir_state::keyed::{
    HeapKeyedStateBackend, ManualTimeProvider, MapState, MapStateDescriptor, ValueState,
    ValueStateDescriptor,
};
use weir_state::KeyGroupRange;

fn main() {
    divan::main();
}

/// Number of keys in the backend.
const KEYS: u64 = 1 << 20;

/// A backend with `KEYS` keys, each with a `u64` value and a two-entry map.
struct Fixture {
    backend: HeapKeyedStateBackend<u64>,
    value: ValueState<(), u64>,
    map: MapState<(), u32, u64>,
    /// The keys in a fixed pseudo-random order.
    order: Vec<u64>,
    next: usize,
}

impl Fixture {
    fn new() -> Self {
        let clock = ManualTimeProvider::new(0);
        let mut backend =
            HeapKeyedStateBackend::new(KeyGroupRange::of(0, 127), 128, clock).expect("backend");
        let value = backend
            .value_state(&ValueStateDescriptor::new("value"))
            .expect("value state");
        let map = backend
            .map_state(&MapStateDescriptor::new("map"))
            .expect("map state");
        for key in 0..KEYS {
            backend.set_current_key(key).expect("key");
            value.update(&mut backend, &(), key).expect("update");
            map.put_all(&mut backend, &(), [(0, key), (1, key)])
                .expect("put");
        }
        // A full-period LCG over 2^20 visits every key once in a scattered order.
        let mut x = 0u64;
        let order = (0..KEYS)
            .map(|_| {
                x = (x.wrapping_mul(5).wrapping_add(0x9e37_79b9)) & (KEYS - 1);
                x
            })
            .collect();
        Self {
            backend,
            value,
            map,
            order,
            next: 0,
        }
    }

    /// Sets the next key of the pseudo-random order as the current key.
    #[inline]
    fn next_key(&mut self) {
        let key = self.order[self.next & (KEYS as usize - 1)];
        self.next = self.next.wrapping_add(1);
        self.backend.set_current_key(key).expect("key");
    }
}

#[divan::bench]
fn set_current_key(bencher: Bencher<'_, '_>) {
    let mut f = Fixture::new();
    bencher.bench_local(|| f.next_key());
}

#[divan::bench]
fn value_read(bencher: Bencher<'_, '_>) {
    let mut f = Fixture::new();
    bencher.bench_local(|| {
        f.next_key();
        black_box(f.value.value(&mut f.backend, &()).expect("read"))
    });
}

#[divan::bench]
fn value_read_same_key(bencher: Bencher<'_, '_>) {
    let mut f = Fixture::new();
    f.next_key();
    bencher.bench_local(|| black_box(f.value.value(&mut f.backend, &()).expect("read")));
}

#[divan::bench]
fn value_write(bencher: Bencher<'_, '_>) {
    let mut f = Fixture::new();
    let mut n = 0u64;
    bencher.bench_local(|| {
        f.next_key();
        n += 1;
        f.value.update(&mut f.backend, &(), n).expect("update");
    });
}

#[divan::bench]
fn map_put(bencher: Bencher<'_, '_>) {
    let mut f = Fixture::new();
    let mut n = 0u64;
    bencher.bench_local(|| {
        f.next_key();
        n += 1;
        f.map.put(&mut f.backend, &(), 1, n).expect("put");
    });
}

#[divan::bench]
fn map_get(bencher: Bencher<'_, '_>) {
    let mut f = Fixture::new();
    bencher.bench_local(|| {
        f.next_key();
        black_box(f.map.get(&mut f.backend, &(), &0).expect("get"))
    });
}

/// Reference point: `std::collections::HashMap<u64, u64>` (with the same hasher) holding
/// the same number of keys, read in the same order.
#[divan::bench]
fn baseline_std_hashmap_get(bencher: Bencher<'_, '_>) {
    let f = Fixture::new();
    let map: std::collections::HashMap<u64, u64, weir_state::keyed::BuildStateHasher> =
        (0..KEYS).map(|k| (k, k)).collect();
    let mut next = 0usize;
    bencher.bench_local(|| {
        let key = f.order[next & (KEYS as usize - 1)];
        next = next.wrapping_add(1);
        black_box(map.get(&key).copied())
    });
}
