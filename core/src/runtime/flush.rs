//! The buffer-timeout flushing policy as a small state machine on an injected clock:
//! a partly filled buffer leaves at most `timeout` after its first record.

use crate::config::BufferTimeout;

/// When partly filled output buffers must be flushed.
#[derive(Debug, Clone)]
pub struct FlushPolicy {
    timeout: BufferTimeout,
    deadline_nanos: Option<u64>,
}

/// What the writer must do after putting a record into a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRecord {
    /// Flush this buffer now (timeout 0).
    FlushNow,
    /// Leave it; a flush is due at the policy's deadline (or when full).
    Wait,
}

impl FlushPolicy {
    /// A policy for `timeout`.
    pub fn new(timeout: BufferTimeout) -> Self {
        Self {
            timeout,
            deadline_nanos: None,
        }
    }

    /// Whether the clock is needed when a buffer receives its first record.
    pub fn needs_clock(&self) -> bool {
        matches!(self.timeout, BufferTimeout::Interval(d) if !d.is_zero())
    }

    /// A record was written; `first_in_buffer` says the buffer was empty before, and
    /// `now` is read only when [`needs_clock`](Self::needs_clock) says so.
    pub fn after_record(
        &mut self,
        first_in_buffer: bool,
        now: impl FnOnce() -> u64,
    ) -> AfterRecord {
        match self.timeout {
            BufferTimeout::Interval(d) if d.is_zero() => AfterRecord::FlushNow,
            BufferTimeout::Interval(d) => {
                if first_in_buffer && self.deadline_nanos.is_none() {
                    let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
                    self.deadline_nanos = Some(now().saturating_add(nanos));
                }
                AfterRecord::Wait
            }
            BufferTimeout::Disabled => AfterRecord::Wait,
        }
    }

    /// The instant by which pending data must be flushed, if any.
    pub fn deadline(&self) -> Option<u64> {
        self.deadline_nanos
    }

    /// Whether a flush is due at `now`.
    pub fn is_due(&self, now: u64) -> bool {
        self.deadline_nanos.is_some_and(|d| now >= d)
    }

    /// All buffers were flushed (or became full and left): no deadline pending.
    pub fn flushed(&mut self) {
        self.deadline_nanos = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::clock::{Clock, ManualClock};
    use std::time::Duration;

    #[test]
    fn zero_timeout_flushes_every_record_without_reading_the_clock() {
        let mut p = FlushPolicy::new(BufferTimeout::Interval(Duration::ZERO));
        assert!(!p.needs_clock());
        assert_eq!(
            p.after_record(true, || panic!("clock read")),
            AfterRecord::FlushNow
        );
        assert_eq!(p.deadline(), None);
    }

    #[test]
    fn interval_timeout_is_due_exactly_timeout_after_the_first_record() {
        let clock = ManualClock::new(1_000);
        let mut p = FlushPolicy::new(BufferTimeout::Interval(Duration::from_millis(1)));
        assert_eq!(
            p.after_record(true, || clock.now_nanos()),
            AfterRecord::Wait
        );
        clock.advance_nanos(999_999);
        // A later record does not move the deadline.
        assert_eq!(
            p.after_record(false, || clock.now_nanos()),
            AfterRecord::Wait
        );
        assert!(!p.is_due(clock.now_nanos()));
        clock.advance_nanos(1);
        assert!(p.is_due(clock.now_nanos()));
        p.flushed();
        assert!(!p.is_due(u64::MAX));
    }

    #[test]
    fn disabled_timeout_never_comes_due() {
        let mut p = FlushPolicy::new(BufferTimeout::Disabled);
        assert_eq!(p.after_record(true, || 0), AfterRecord::Wait);
        assert!(!p.is_due(u64::MAX));
    }
}
