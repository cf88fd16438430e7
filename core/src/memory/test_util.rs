//! Test helpers: pools, and a tiny executor built from std only.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use super::{Arena, NetworkBufferPool};

/// A network pool of `segments` segments of `size` bytes.
pub(crate) fn net_pool(segments: usize, size: usize) -> Arc<NetworkBufferPool> {
    NetworkBufferPool::new(Arena::new(segments * size, size).unwrap())
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `fut` to completion on this thread, parking while it is pending.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park();
    }
}

/// A waker that counts its wake-ups.
#[derive(Clone)]
pub(crate) struct CountingWaker(Arc<AtomicUsize>);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct Counter(Arc<AtomicUsize>);

impl CountingWaker {
    pub(crate) fn new() -> Self {
        CountingWaker(Arc::new(AtomicUsize::new(0)))
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    pub(crate) fn waker(&self) -> Waker {
        Waker::from(Arc::new(Counter(Arc::clone(&self.0))))
    }
}

/// Polls `fut` once with `waker`; `Some` if it finished.
pub(crate) fn poll_once<F: Future>(fut: Pin<&mut F>, waker: &CountingWaker) -> Option<F::Output> {
    let w = waker.waker();
    match fut.poll(&mut Context::from_waker(&w)) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}
