//! A bounded pool of buffers for one producer or consumer (Flink's `LocalBufferPool`).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::buffer::{BufferBuilder, Lease};
use super::network_pool::NetworkBufferPool;

/// A bounded set of segments reserved from the [`NetworkBufferPool`], handed
/// out as [`BufferBuilder`]s; the bound is what makes backpressure.
///
/// Cloning gives another handle to the same pool. Buffers go back to this pool
/// when dropped on any thread, and a task waiting in [`request`](Self::request)
/// is woken then. The reserved segments return to the network pool when the
/// last handle and the last outstanding buffer are gone.
#[derive(Clone)]
pub struct LocalBufferPool {
    shared: Arc<PoolShared>,
}

/// The state behind every handle and every outstanding buffer of a pool.
pub(crate) struct PoolShared {
    name: String,
    network: Arc<NetworkBufferPool>,
    /// Local slot -> index of the segment in the arena.
    segments: Box<[u32]>,
    segment_size: usize,
    state: Mutex<PoolState>,
    /// Mirrors `PoolState::in_use` for lock-free reads.
    in_use: AtomicUsize,
    /// Mirrors `PoolState::peak` for lock-free reads.
    peak: AtomicUsize,
}

struct PoolState {
    /// Free local slots (a stack: the most recently recycled, cache-warm
    /// segment is handed out first).
    free: Vec<u32>,
    /// Tasks waiting for a buffer, first come first served, by request key.
    waiters: VecDeque<(u64, Waker)>,
    next_key: u64,
    /// Woken on every recycle (see [`LocalBufferPool::set_recycle_listener`]).
    recycle_listener: Option<Waker>,
    in_use: usize,
    peak: usize,
    /// Which slots are out, to catch a buffer recycled twice or into the
    /// wrong pool.
    #[cfg(debug_assertions)]
    out: Vec<bool>,
}

impl LocalBufferPool {
    pub(crate) fn from_reservation(
        network: Arc<NetworkBufferPool>,
        name: &str,
        segments: Box<[u32]>,
    ) -> Self {
        let n = segments.len();
        let n32 = u32::try_from(n).expect("segment counts fit in u32");
        let segment_size = network.segment_size();
        let state = PoolState {
            free: (0..n32).rev().collect(),
            waiters: VecDeque::new(),
            next_key: 0,
            recycle_listener: None,
            in_use: 0,
            peak: 0,
            #[cfg(debug_assertions)]
            out: vec![false; n],
        };
        LocalBufferPool {
            shared: Arc::new(PoolShared {
                name: name.to_owned(),
                network,
                segments,
                segment_size,
                state: Mutex::new(state),
                in_use: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
            }),
        }
    }

    /// A buffer to write into, or `None` when all `capacity()` are out.
    pub fn try_request(&self) -> Option<BufferBuilder> {
        let slot = {
            let mut st = self.shared.lock();
            self.shared.take_locked(&mut st)?
        };
        Some(self.shared.builder(slot))
    }

    /// A buffer to write into, waiting (without blocking the thread) until one
    /// is recycled if all are out. Waiters are served first come, first served.
    pub fn request(&self) -> impl Future<Output = BufferBuilder> + '_ {
        Request {
            pool: self,
            key: None,
        }
    }

    /// The pool's name, as given to `create_local_pool`.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// How many buffers the pool can have out at once (its reserved segments).
    pub fn capacity(&self) -> usize {
        self.shared.segments.len()
    }

    /// The size of each buffer in bytes.
    pub fn segment_size(&self) -> usize {
        self.shared.segment_size
    }

    /// How many buffers are out now (builders and finished buffers not yet dropped).
    pub fn in_use(&self) -> usize {
        self.shared.in_use.load(Ordering::Relaxed)
    }

    /// The most buffers that were ever out at once.
    pub fn peak_in_use(&self) -> usize {
        self.shared.peak.load(Ordering::Relaxed)
    }

    /// `in_use / capacity`, from 0.0 to 1.0 (Flink's outPoolUsage / inPoolUsage).
    pub fn usage(&self) -> f32 {
        self.in_use() as f32 / self.capacity() as f32
    }

    /// Whether a buffer can be had now without waiting (a hint: another
    /// handle may take it first).
    pub fn is_available(&self) -> bool {
        self.in_use() < self.capacity()
    }

    /// How many tasks are waiting in `request`.
    pub fn waiters(&self) -> usize {
        self.shared.lock().waiters.len()
    }

    /// Sets (or with `None` clears) a waker woken after every recycle into this pool, on
    /// the recycling thread, in addition to any task waiting in [`request`](Self::request).
    ///
    /// The receiver of a remote channel uses it to turn buffers its consumer dropped into
    /// credit for the sender; the waker must be cheap and must not take this pool's buffers.
    pub fn set_recycle_listener(&self, waker: Option<Waker>) {
        self.shared.lock().recycle_listener = waker;
    }
}

impl std::fmt::Debug for LocalBufferPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBufferPool")
            .field("name", &self.name())
            .field("capacity", &self.capacity())
            .field("in_use", &self.in_use())
            .field("peak_in_use", &self.peak_in_use())
            .finish()
    }
}

impl PoolShared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // No critical section panics half-way, so a poisoned lock still guards
        // a consistent state; recycling in `Drop` must not panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_locked(&self, st: &mut PoolState) -> Option<u32> {
        let slot = st.free.pop()?;
        st.in_use += 1;
        self.in_use.store(st.in_use, Ordering::Relaxed);
        if st.in_use > st.peak {
            st.peak = st.in_use;
            self.peak.store(st.peak, Ordering::Relaxed);
        }
        #[cfg(debug_assertions)]
        {
            debug_assert!(!st.out[slot as usize], "slot {slot} handed out twice");
            st.out[slot as usize] = true;
        }
        Some(slot)
    }

    fn builder(self: &Arc<Self>, slot: u32) -> BufferBuilder {
        let ptr = self
            .network
            .arena()
            .segment_ptr(self.segments[slot as usize] as usize);
        BufferBuilder::new(Lease::new(Arc::clone(self), ptr, slot), self.segment_size)
    }

    /// Takes a segment back (from a dropped builder or buffer, on any thread)
    /// and wakes the longest-waiting task.
    pub(crate) fn recycle(&self, slot: u32, ptr: std::ptr::NonNull<u8>) {
        debug_assert!(
            (slot as usize) < self.segments.len()
                && self
                    .network
                    .arena()
                    .segment_ptr(self.segments[slot as usize] as usize)
                    == ptr,
            "buffer recycled into a pool ({}) that does not own it",
            self.name
        );
        let _ = ptr;
        let (waker, listener) = {
            let mut st = self.lock();
            #[cfg(debug_assertions)]
            {
                debug_assert!(st.out[slot as usize], "slot {slot} recycled twice");
                st.out[slot as usize] = false;
            }
            st.free.push(slot);
            st.in_use -= 1;
            self.in_use.store(st.in_use, Ordering::Relaxed);
            (
                st.waiters.pop_front().map(|(_, w)| w),
                st.recycle_listener.clone(),
            )
        };
        if let Some(w) = waker {
            w.wake();
        }
        if let Some(l) = listener {
            l.wake();
        }
    }
}

impl Drop for PoolShared {
    fn drop(&mut self) {
        // Every buffer holds the pool alive, so by now all segments are free.
        debug_assert_eq!(self.lock().free.len(), self.segments.len());
        self.network.release(&self.segments);
    }
}

/// The future behind [`LocalBufferPool::request`].
struct Request<'a> {
    pool: &'a LocalBufferPool,
    /// Set once the request has registered as a waiter.
    key: Option<u64>,
}

impl Future for Request<'_> {
    type Output = BufferBuilder;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BufferBuilder> {
        let this = self.get_mut();
        let shared = &this.pool.shared;
        let mut st = shared.lock();
        if let Some(slot) = shared.take_locked(&mut st) {
            if let Some(key) = this.key.take() {
                st.waiters.retain(|(k, _)| *k != key);
            }
            drop(st);
            return Poll::Ready(shared.builder(slot));
        }
        match this.key {
            Some(key) => {
                if let Some((_, w)) = st.waiters.iter_mut().find(|(k, _)| *k == key) {
                    if !w.will_wake(cx.waker()) {
                        w.clone_from(cx.waker());
                    }
                } else {
                    // Woken, but another request took the buffer first: back
                    // to the head of the queue.
                    st.waiters.push_front((key, cx.waker().clone()));
                }
            }
            None => {
                let key = st.next_key;
                st.next_key += 1;
                st.waiters.push_back((key, cx.waker().clone()));
                this.key = Some(key);
            }
        }
        Poll::Pending
    }
}

impl Drop for Request<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut st = self.pool.shared.lock();
        let before = st.waiters.len();
        st.waiters.retain(|(k, _)| *k != key);
        if st.waiters.len() == before && !st.free.is_empty() {
            // This request was woken for a buffer it will never take: pass
            // the wake-up on so that the buffer does not sit idle.
            if let Some((_, w)) = st.waiters.pop_front() {
                drop(st);
                w.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::test_util::{block_on, net_pool, poll_once, CountingWaker};
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn pool_is_bounded_by_its_capacity() {
        let net = net_pool(8, 256);
        let pool = net.create_local_pool("p", 3).unwrap();
        let held: Vec<_> = (0..3).map(|_| pool.try_request().unwrap()).collect();
        assert!(pool.try_request().is_none());
        assert!(!pool.is_available());
        assert_eq!(pool.in_use(), 3);
        assert_eq!(pool.usage(), 1.0);
        drop(held);
        assert_eq!(pool.in_use(), 0);
        assert_eq!(pool.peak_in_use(), 3);
        assert_eq!(pool.usage(), 0.0);
        assert!(pool.is_available());
    }

    #[test]
    fn usage_and_peak_track_outstanding_buffers() {
        let net = net_pool(4, 256);
        let pool = net.create_local_pool("p", 4).unwrap();
        let a = pool.try_request().unwrap();
        let b = pool.try_request().unwrap().finish();
        assert_eq!(pool.in_use(), 2);
        assert_eq!(pool.usage(), 0.5);
        drop(a);
        assert_eq!(pool.in_use(), 1);
        drop(b);
        assert_eq!(pool.in_use(), 0);
        assert_eq!(pool.peak_in_use(), 2);
    }

    #[test]
    fn request_beyond_capacity_waits_until_a_recycle() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let held = pool.try_request().unwrap();
        let waker = CountingWaker::new();
        let mut fut = Box::pin(pool.request());
        assert!(poll_once(fut.as_mut(), &waker).is_none());
        assert!(
            poll_once(fut.as_mut(), &waker).is_none(),
            "re-polling stays pending"
        );
        assert_eq!(pool.waiters(), 1, "re-polling does not register twice");
        assert_eq!(waker.count(), 0);
        drop(held);
        assert_eq!(waker.count(), 1, "the recycle woke the waiter");
        let b = poll_once(fut.as_mut(), &waker).expect("a buffer after the wake-up");
        assert_eq!(b.capacity(), 256);
        assert_eq!(pool.waiters(), 0);
    }

    #[test]
    fn recycle_listener_is_woken_on_every_recycle_until_cleared() {
        let net = net_pool(4, 256);
        let pool = net.create_local_pool("p", 3).unwrap();
        let listener = CountingWaker::new();
        pool.set_recycle_listener(Some(listener.waker()));
        let a = pool.try_request().unwrap().finish();
        let b = pool.try_request().unwrap();
        assert_eq!(listener.count(), 0, "taking buffers does not wake it");
        let far = thread::spawn(move || drop(a));
        far.join().unwrap();
        assert_eq!(listener.count(), 1, "a recycle on another thread");
        // A waiting request is still served first, and the listener woken as well.
        let c = pool.try_request().unwrap();
        let d = pool.try_request().unwrap();
        let waiter = CountingWaker::new();
        let mut fut = Box::pin(pool.request());
        assert!(poll_once(fut.as_mut(), &waiter).is_none());
        drop(b);
        assert_eq!((waiter.count(), listener.count()), (1, 2));
        pool.set_recycle_listener(None);
        drop((c, d));
        assert_eq!(listener.count(), 2, "cleared");
    }

    #[test]
    fn waiter_is_woken_by_a_recycle_on_another_thread() {
        let net = net_pool(4, 256);
        let pool = net.create_local_pool("p", 2).unwrap();
        let (tx, rx) = mpsc::channel();
        let consumer = thread::spawn(move || {
            let buffers: Vec<crate::memory::Buffer> = rx.iter().collect();
            thread::sleep(Duration::from_millis(50));
            drop(buffers);
        });
        for _ in 0..2 {
            let mut b = pool.try_request().unwrap();
            b.append(b"x");
            tx.send(b.finish()).unwrap();
        }
        drop(tx);
        assert!(pool.try_request().is_none());
        let b = block_on(pool.request());
        assert_eq!(b.len(), 0);
        consumer.join().unwrap();
        drop(b);
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn many_threads_ping_pong_buffers_without_losing_any() {
        let net = net_pool(8, 256);
        let pool = net.create_local_pool("p", 3).unwrap();
        let (tx, rx) = mpsc::sync_channel::<crate::memory::Buffer>(16);
        let consumer = thread::spawn(move || {
            let mut sum = 0u64;
            for b in rx {
                sum += u64::from(b.as_bytes()[0]);
            }
            sum
        });
        let producers: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..2000u32 {
                        let mut b = block_on(pool.request());
                        b.append(&[(i % 7) as u8]);
                        tx.send(b.finish()).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        for p in producers {
            p.join().unwrap();
        }
        let expected: u64 = 2 * (0..2000u64).map(|i| i % 7).sum::<u64>();
        assert_eq!(consumer.join().unwrap(), expected);
        assert_eq!(pool.in_use(), 0);
        assert!(pool.peak_in_use() <= 3);
        assert_eq!(pool.waiters(), 0);
    }

    #[test]
    fn waiters_are_served_in_order_and_a_dropped_waiter_passes_its_wakeup_on() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let held = pool.try_request().unwrap();
        let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
        let mut f1 = Box::pin(pool.request());
        let mut f2 = Box::pin(pool.request());
        assert!(poll_once(f1.as_mut(), &w1).is_none());
        assert!(poll_once(f2.as_mut(), &w2).is_none());
        drop(held);
        assert_eq!((w1.count(), w2.count()), (1, 0), "first come, first served");
        drop(f1); // woken, but never takes the buffer
        assert_eq!(w2.count(), 1, "the wake-up was passed on");
        assert!(poll_once(f2.as_mut(), &w2).is_some());
    }

    #[test]
    fn a_pending_request_that_is_dropped_unregisters() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let held = pool.try_request().unwrap();
        let w = CountingWaker::new();
        let mut f = Box::pin(pool.request());
        assert!(poll_once(f.as_mut(), &w).is_none());
        drop(f);
        assert_eq!(pool.waiters(), 0);
        drop(held);
        assert_eq!(w.count(), 0);
    }

    #[test]
    fn a_woken_request_that_loses_the_race_requeues_at_the_front() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let held = pool.try_request().unwrap();
        let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
        let mut f1 = Box::pin(pool.request());
        let mut f2 = Box::pin(pool.request());
        assert!(poll_once(f1.as_mut(), &w1).is_none());
        assert!(poll_once(f2.as_mut(), &w2).is_none());
        drop(held);
        let thief = pool.try_request().unwrap();
        assert!(poll_once(f1.as_mut(), &w1).is_none());
        drop(thief);
        assert_eq!((w1.count(), w2.count()), (2, 0), "f1 keeps its turn");
        assert!(poll_once(f1.as_mut(), &w1).is_some());
    }

    #[test]
    fn buffers_return_to_their_own_pool_when_dropped_on_another_thread() {
        let net = net_pool(6, 256);
        let a = net.create_local_pool("a", 3).unwrap();
        let b = net.create_local_pool("b", 3).unwrap();
        let from_a: Vec<_> = (0..3).map(|_| a.try_request().unwrap().finish()).collect();
        let from_b: Vec<_> = (0..2).map(|_| b.try_request().unwrap().finish()).collect();
        thread::spawn(move || {
            let mut all = from_a;
            all.extend(from_b);
            all.reverse(); // interleave the owners a little
            drop(all);
        })
        .join()
        .unwrap();
        assert_eq!((a.in_use(), b.in_use()), (0, 0));
        assert_eq!(
            (0..3).filter_map(|_| a.try_request()).count(),
            3,
            "a got all of its segments back"
        );
        assert_eq!((0..3).filter_map(|_| b.try_request()).count(), 3);
        assert_eq!(net.available_segments(), 0);
    }

    /// `cargo test -p weir-core --release -- --ignored --nocapture request_recycle`
    ///
    /// Prints the pool's pair next to its floor (two uncontended lock/unlock
    /// pairs and an `Arc` clone/drop) and one atomic read-modify-write, to tell
    /// the design's cost from the machine's. On the shared 2-core VM this was
    /// written on: ~100 ns pair, ~94 ns floor, ~12 ns per atomic RMW.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn request_recycle_pair_cost() {
        use std::hint::black_box;
        use std::sync::atomic::AtomicU64;
        use std::sync::Mutex;
        use std::time::Instant;

        let net = net_pool(16, 4096);
        let pool = net.create_local_pool("bench", 16).unwrap();
        let n = 2_000_000u32;
        let per = |t: Instant| t.elapsed().as_nanos() as f64 / f64::from(n);

        let t = Instant::now();
        for _ in 0..n {
            drop(black_box(pool.try_request().unwrap()));
        }
        println!("try_request + recycle: {:.1} ns per pair", per(t));

        let free = Mutex::new(vec![1u32; 16]);
        let owner = Arc::new(0u64);
        let t = Instant::now();
        for _ in 0..n {
            let x = free.lock().unwrap().pop().unwrap();
            drop(black_box(Arc::clone(&owner)));
            free.lock().unwrap().push(black_box(x));
        }
        println!("floor (two lock pairs + Arc): {:.1} ns", per(t));

        let c = AtomicU64::new(0);
        let t = Instant::now();
        for _ in 0..n {
            c.fetch_add(1, Ordering::AcqRel);
        }
        println!("one atomic rmw: {:.1} ns", per(t));
    }
}
