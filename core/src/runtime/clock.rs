//! Time as the runtime sees it: a [`Clock`] trait so tests drive the real code with a
//! [`ManualClock`], and the [`SystemClock`] used in production.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// A monotonic clock in nanoseconds, plus wall-clock milliseconds for processing time.
pub trait Clock: Send + Sync + 'static {
    /// Monotonic nanoseconds since an arbitrary origin shared by all slots of a process.
    fn now_nanos(&self) -> u64;
    /// Wall-clock epoch milliseconds (processing time).
    fn epoch_millis(&self) -> i64;
}

/// The machine's monotonic clock (shared across cores) and wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Clock for SystemClock {
    fn now_nanos(&self) -> u64 {
        u64::try_from(origin().elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
    fn epoch_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to: for deterministic tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A manual clock at `nanos`.
    pub fn new(nanos: u64) -> Arc<Self> {
        Arc::new(Self {
            nanos: AtomicU64::new(nanos),
        })
    }
    /// Moves the clock forward.
    pub fn advance_nanos(&self, by: u64) {
        self.nanos.fetch_add(by, Ordering::SeqCst);
    }
    /// Sets the clock.
    pub fn set_nanos(&self, nanos: u64) {
        self.nanos.store(nanos, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::SeqCst)
    }
    fn epoch_millis(&self) -> i64 {
        i64::try_from(self.now_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(5);
        assert_eq!(c.now_nanos(), 5);
        c.advance_nanos(10);
        assert_eq!(c.now_nanos(), 15);
        assert_eq!(c.epoch_millis(), 0);
    }

    #[test]
    fn system_clock_is_monotonic() {
        let a = SystemClock.now_nanos();
        let b = SystemClock.now_nanos();
        assert!(b >= a);
    }
}
