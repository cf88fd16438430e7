//! Micro-benchmarks of timer queues: registering a timer (a new one, and one already
//! registered), and registering then firing a batch in timestamp order.

use divan::{black_box, Bencher};
use weir_state::timers::TimerQueue;

fn main() {
    divan::main();
}

/// Timers already in the queue when a registration is measured.
const PENDING: u64 = 100_000;

fn queue() -> TimerQueue<u64, ()> {
    let mut q = TimerQueue::new();
    for k in 0..PENDING {
        q.register(k, (), (k * 7919 % PENDING) as i64);
    }
    q
}

/// A new timer for a new key among `PENDING` others.
#[divan::bench]
fn register_new(bencher: Bencher<'_, '_>) {
    let mut q = queue();
    let mut k = PENDING;
    bencher.bench_local(|| {
        k += 1;
        black_box(q.register(black_box(k), (), (k % 1_000) as i64))
    });
}

/// The same timer again: found, not added (one per key and time).
#[divan::bench]
fn register_existing(bencher: Bencher<'_, '_>) {
    let mut q = queue();
    bencher.bench_local(|| black_box(q.register(black_box(42), (), (42 * 7919 % PENDING) as i64)));
}

/// Register 1 000 timers, then fire them all (per timer: one register and one pop).
#[divan::bench]
fn register_and_fire_1000(bencher: Bencher<'_, '_>) {
    let mut q: TimerQueue<u64, ()> = TimerQueue::new();
    bencher.bench_local(|| {
        for k in 0..1_000u64 {
            q.register(k, (), ((k * 7919) % 1_000) as i64);
        }
        let mut fired = 0;
        while q.pop_due(i64::MAX).is_some() {
            fired += 1;
        }
        black_box(fired)
    });
}
