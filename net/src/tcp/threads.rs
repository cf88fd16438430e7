//! The threads of the TCP data plane, and how they wait: a [`Signal`] per connection writer,
//! woken by the reader, by producers, by recycled buffers and by shutdown.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Wake, Waker};
use std::thread::JoinHandle;
use std::time::Instant;

/// Locks `m`, ignoring poisoning: every critical section of this module leaves its state
/// consistent before anything that could panic, and a panicking I/O thread must not take
/// the whole transport down with it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A sticky wake-up flag: a [`notify`](Self::notify) before [`wait`](Self::wait) is not lost.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    pending: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    /// Wakes the waiter, or makes its next `wait` return at once.
    pub(crate) fn notify(&self) {
        *lock(&self.pending) = true;
        self.cv.notify_one();
    }

    /// Waits until notified (since the last `wait` returned).
    pub(crate) fn wait(&self) {
        let mut pending = lock(&self.pending);
        while !*pending {
            pending = self
                .cv
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *pending = false;
    }

    /// A waker that notifies this signal, e.g. as a buffer pool's recycle listener.
    pub(crate) fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::new(SignalWaker(Arc::clone(self))))
    }
}

struct SignalWaker(Arc<Signal>);

impl Wake for SignalWaker {
    fn wake(self: Arc<Self>) {
        self.0.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify();
    }
}

/// Every thread the transport started, so that shutdown can join them; counts the connection
/// threads still running so that shutdown can wait for connections to end by themselves.
#[derive(Default)]
pub(crate) struct Threads {
    handles: Mutex<Vec<JoinHandle<()>>>,
    running: Mutex<usize>,
    ended: Condvar,
    stopping: AtomicBool,
}

/// Decrements the running count when a connection thread ends, even by panic.
struct Running(Arc<Threads>);

impl Drop for Running {
    fn drop(&mut self) {
        *lock(&self.0.running) -= 1;
        self.0.ended.notify_all();
    }
}

impl Threads {
    /// Starts a named thread; connection threads (`counted`) are waited for by
    /// [`wait_connections`](Self::wait_connections).
    pub(crate) fn spawn(
        self: &Arc<Self>,
        name: String,
        counted: bool,
        f: impl FnOnce() + Send + 'static,
    ) -> io::Result<()> {
        let guard = counted.then(|| {
            *lock(&self.running) += 1;
            Running(Arc::clone(self))
        });
        let handle = std::thread::Builder::new().name(name).spawn(move || {
            let _guard = guard;
            f();
        })?;
        lock(&self.handles).push(handle);
        Ok(())
    }

    /// Connection threads still running.
    pub(crate) fn running(&self) -> usize {
        *lock(&self.running)
    }

    /// Waits until no connection thread runs, or `deadline` passes; true if none runs.
    pub(crate) fn wait_connections(&self, deadline: Instant) -> bool {
        let mut running = lock(&self.running);
        while *running > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            running = self
                .ended
                .wait_timeout(running, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Marks the transport as stopping (threads check it before blocking again).
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether [`stop`](Self::stop) was called.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Joins every thread started so far (call after making them all end). A thread that
    /// panicked is reported as an error.
    pub(crate) fn join_all(&self) -> Result<(), String> {
        let handles = std::mem::take(&mut *lock(&self.handles));
        let mut panicked = Vec::new();
        for h in handles {
            let name = h.thread().name().unwrap_or("?").to_owned();
            if h.join().is_err() {
                panicked.push(name);
            }
        }
        if panicked.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "TCP transport threads panicked: {}",
                panicked.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_notify_before_wait_is_not_lost_and_is_consumed() {
        let s = Arc::new(Signal::default());
        s.notify();
        s.notify();
        s.wait();
        assert!(!*lock(&s.pending), "one wait consumes every earlier notify");
        let waker = s.waker();
        let t = std::thread::spawn(move || waker.wake());
        s.wait();
        t.join().unwrap();
    }

    #[test]
    fn threads_are_counted_and_joined() {
        let threads = Arc::new(Threads::default());
        let gate = Arc::new(Signal::default());
        let g = Arc::clone(&gate);
        threads
            .spawn("counted".into(), true, move || g.wait())
            .unwrap();
        threads.spawn("uncounted".into(), false, || {}).unwrap();
        assert_eq!(threads.running(), 1);
        assert!(!threads.wait_connections(Instant::now()));
        gate.notify();
        assert!(threads.wait_connections(Instant::now() + Duration::from_secs(30)));
        threads.join_all().unwrap();
        assert!(!threads.is_stopping());
        threads.stop();
        assert!(threads.is_stopping());
    }
}
