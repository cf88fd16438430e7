//! The slot watchdog: keeps glommio 0.9 executors from sleeping through their work.
//!
//! Under load (several jobs on two cores, about one run in fifty) a slot's executor has
//! been seen asleep in `io_uring_enter` for good while it had work — even before its
//! first task ran: glommio 0.9 parks when its preempt check fires before it has run any
//! task queue (fixed upstream in glommio/glommio#53, not released on crates.io), and
//! then neither its own timers nor wake-ups from other threads reach it. A signal does:
//! the system call returns `EINTR` and glommio goes round its loop again. So each slot
//! runs a tiny nudge task; a watchdog thread wakes it every [`HEARTBEAT`] and, when a
//! slot has not polled it for [`STALE_BEATS`] beats (or never has), interrupts the slot's
//! thread with `SIGURG`, whose handler does nothing (Go's runtime uses the same signal
//! to preempt its threads). The slot's thread is known before its executor runs at all
//! ([`Nudge::attach_current_thread`]). A missed wake-up becomes a stall of about
//! `STALE_BEATS × HEARTBEAT` instead of a hang.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::task::{Poll, Waker};
use std::time::Duration;

/// How often the watchdog wakes every slot's nudge task.
pub const HEARTBEAT: Duration = Duration::from_millis(5);

/// Beats without a poll of a slot's nudge task before its thread is interrupted.
pub const STALE_BEATS: u32 = 2;

#[derive(Default)]
struct NudgeState {
    waker: Option<Waker>,
    /// The slot's thread while its executor runs; `None` before and after.
    thread: Option<libc::pthread_t>,
}

/// What the watchdog knows of one slot.
#[derive(Default)]
pub struct Nudge {
    state: Mutex<NudgeState>,
    polls: AtomicU64,
}

impl Nudge {
    fn lock(&self) -> MutexGuard<'_, NudgeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Names the calling thread as the slot's, so that the watchdog can interrupt it.
    /// Called on the slot's thread before its executor runs anything: an executor can
    /// fall asleep before its first task ever runs.
    pub fn attach_current_thread(&self) {
        // SAFETY: pthread_self has no preconditions and returns the calling thread's id.
        self.lock().thread = Some(unsafe { libc::pthread_self() });
    }
}

/// Runs `work` on the current slot with a nudge task (and a heartbeat timer) beside it.
pub async fn with_nudge<R>(work: impl Future<Output = R>, nudge: Arc<Nudge>) -> R {
    let stop = std::rc::Rc::new(std::cell::Cell::new(false));
    let (task_stop, task_nudge) = (stop.clone(), nudge.clone());
    glommio::spawn_local(std::future::poll_fn(move |cx| {
        if task_stop.get() {
            return Poll::Ready(());
        }
        task_nudge.polls.fetch_add(1, Ordering::Relaxed);
        let mut st = task_nudge.lock();
        match &st.waker {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => st.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }))
    .detach();
    let beat_stop = stop.clone();
    glommio::spawn_local(async move {
        while !beat_stop.get() {
            glommio::timer::sleep(HEARTBEAT).await;
        }
    })
    .detach();
    let out = work.await;
    stop.set(true);
    // Taken back on this thread, under the lock the watchdog holds while it wakes or
    // signals: afterwards it never touches this executor's waker or thread again.
    let last = {
        let mut st = nudge.lock();
        st.thread = None;
        st.waker.take()
    };
    if let Some(w) = last {
        w.wake();
    }
    out
}

extern "C" fn on_sigurg(_signal: libc::c_int) {}

/// Installs the do-nothing `SIGURG` handler, without `SA_RESTART` so that a blocking
/// system call returns `EINTR`. Once per process.
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler
        // is an `extern "C" fn(c_int)` that does nothing (async-signal-safe), and
        // sigaction only reads the struct we pass.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigurg as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGURG, &action, std::ptr::null_mut());
        }
    });
}

/// Interrupts `thread`'s blocking system call, if any.
fn interrupt(thread: libc::pthread_t) {
    // SAFETY: `thread` is a live thread: the caller holds the nudge lock, and the slot
    // clears its id under that lock before its thread ends. SIGURG has a handler.
    unsafe {
        libc::pthread_kill(thread, libc::SIGURG);
    }
}

/// Starts the watchdog over `nudges` until `done`.
pub fn start(
    nudges: Vec<Arc<Nudge>>,
    done: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    install_handler();
    std::thread::Builder::new()
        .name("weir-slot-watchdog".into())
        .spawn(move || {
            let mut seen: Vec<(u64, u32)> = vec![(0, 0); nudges.len()];
            while !done.load(Ordering::Acquire) {
                // Parked rather than asleep: the end of the slots unparks it at once.
                std::thread::park_timeout(HEARTBEAT);
                if done.load(Ordering::Acquire) {
                    break;
                }
                for (n, (last, stale)) in nudges.iter().zip(seen.iter_mut()) {
                    let polls = n.polls.load(Ordering::Relaxed);
                    let st = n.lock();
                    if polls == *last {
                        *stale += 1;
                        if *stale >= STALE_BEATS {
                            if let Some(thread) = st.thread {
                                interrupt(thread);
                            }
                            *stale = 0;
                        }
                    } else {
                        (*last, *stale) = (polls, 0);
                    }
                    if let Some(w) = &st.waker {
                        w.wake_by_ref();
                    }
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signal_interrupts_a_blocking_system_call() {
        install_handler();
        let mut fds = [0; 2];
        // SAFETY: pipe writes two descriptors into the array we pass.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            // SAFETY: pthread_self has no preconditions.
            tx.send(unsafe { libc::pthread_self() }).unwrap();
            let mut byte = 0u8;
            // SAFETY: reads at most one byte into `byte` from the pipe's read end; nothing
            // is ever written, so only a signal ends the call.
            let n = unsafe { libc::read(fds[0], (&mut byte as *mut u8).cast(), 1) };
            (n, std::io::Error::last_os_error().raw_os_error())
        });
        let thread = rx.recv().unwrap();
        // The reader may not be inside read() yet: interrupt until it returns.
        let started = std::time::Instant::now();
        while !reader.is_finished() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "read() was never interrupted"
            );
            interrupt(thread);
            std::thread::sleep(Duration::from_millis(5));
        }
        let (n, errno) = reader.join().unwrap();
        assert_eq!((n, errno), (-1, Some(libc::EINTR)));
        // SAFETY: closes the two descriptors pipe() opened, once each.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }
}
