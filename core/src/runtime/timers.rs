//! Processing-time timers of one task (Flink's `ProcessingTimeService`): operators
//! schedule callbacks at instants of the task clock; the task fires the due ones
//! between batches and buffers, and wakes for the earliest one when it would otherwise
//! wait. Single-threaded: the service lives on the task's slot.
//!
//! An operator that needs callbacks is shared between its chain and the service
//! (`Rc<RefCell<_>>`): the chain calls it for records, the service for timers. The two
//! never overlap, because timers fire only while no record is in the chain.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::{Rc, Weak};

use crate::operator::OpResult;
use crate::runtime::clock::SharedClock;

/// Receives the processing-time timers it scheduled.
pub trait ProcessingTimeCallback {
    /// A timer scheduled for `at` (nanoseconds of the task clock) is due; `now` is the
    /// clock when it fires (`now >= at`).
    fn on_processing_time(&mut self, at: u64, now: u64) -> OpResult;
}

/// Who a timer calls back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerTarget(usize);

#[derive(Default)]
struct Inner {
    /// (due instant, sequence for FIFO among equals, target)
    queue: BinaryHeap<Reverse<(u64, u64, TimerTarget)>>,
    next_seq: u64,
    targets: Vec<Weak<RefCell<dyn ProcessingTimeCallback>>>,
}

/// The processing-time timers of one task; clones share them.
#[derive(Clone)]
pub struct ProcessingTimeService {
    inner: Rc<RefCell<Inner>>,
    clock: SharedClock,
}

impl ProcessingTimeService {
    /// A service on `clock`, without timers.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            inner: Rc::default(),
            clock,
        }
    }

    /// The task clock now (nanoseconds).
    pub fn now(&self) -> u64 {
        self.clock.now_nanos()
    }

    /// Registers a receiver of timers; the service holds it weakly (a dropped operator
    /// receives nothing).
    pub fn register(&self, callback: Weak<RefCell<dyn ProcessingTimeCallback>>) -> TimerTarget {
        let mut inner = self.inner.borrow_mut();
        inner.targets.push(callback);
        TimerTarget(inner.targets.len() - 1)
    }

    /// Schedules a callback to `target` at `at` (nanoseconds of the task clock).
    pub fn schedule(&self, target: TimerTarget, at: u64) {
        let mut inner = self.inner.borrow_mut();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.queue.push(Reverse((at, seq, target)));
    }

    /// The earliest scheduled instant, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.inner
            .borrow()
            .queue
            .peek()
            .map(|Reverse((at, _, _))| *at)
    }

    /// Fires every timer due at `now`, earliest first (equal instants in the order they
    /// were scheduled). A callback may schedule more; those due at `now` fire too.
    pub fn fire_due(&self, now: u64) -> OpResult {
        loop {
            let (at, callback) = {
                let mut inner = self.inner.borrow_mut();
                let due = matches!(inner.queue.peek(), Some(Reverse((at, _, _))) if *at <= now);
                if !due {
                    return Ok(());
                }
                let Some(Reverse((at, _, target))) = inner.queue.pop() else {
                    return Ok(());
                };
                match inner.targets.get(target.0).and_then(Weak::upgrade) {
                    Some(callback) => (at, callback),
                    None => continue,
                }
            };
            // No borrow of the service is held here: the callback may schedule more.
            callback.borrow_mut().on_processing_time(at, now)?;
        }
    }
}

/// An operator's wake-ups for its processing-time timers (epoch milliseconds on the slot
/// clock): its target at the task's service and the instant it last asked to be woken at,
/// so that it asks again only for an earlier one.
pub(crate) struct WakeUps {
    service: ProcessingTimeService,
    target: Option<TimerTarget>,
    wake_at: Option<i64>,
}

impl WakeUps {
    /// Wake-ups from `service`, once [`WakeUps::set_target`] says whom to call.
    pub(crate) fn new(service: ProcessingTimeService) -> Self {
        Self {
            service,
            target: None,
            wake_at: None,
        }
    }

    /// The operator's target at the service.
    pub(crate) fn set_target(&mut self, target: TimerTarget) {
        self.target = Some(target);
    }

    /// Asks to be woken when the clock reaches `next`, the earliest processing-time timer
    /// (epoch ms on `clock`), unless a wake-up no later than it is pending.
    pub(crate) fn schedule(&mut self, next: Option<i64>, clock: &SharedClock) {
        let (Some(target), Some(next)) = (self.target, next) else {
            return;
        };
        if self.wake_at.is_some_and(|w| w <= next) {
            return;
        }
        self.wake_at = Some(next);
        let delay_ms = next.saturating_sub(clock.epoch_millis()).max(0) as u64;
        let at = self
            .service
            .now()
            .saturating_add(delay_ms.saturating_mul(1_000_000));
        self.service.schedule(target, at);
    }

    /// The wake-up came: the next one is asked for afresh.
    pub(crate) fn woken(&mut self) {
        self.wake_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::clock::ManualClock;

    struct Recorder {
        fired: Vec<(u64, u64)>,
        service: ProcessingTimeService,
        me: Option<TimerTarget>,
        /// Reschedule this far after each firing (a periodic timer), if set.
        period: Option<u64>,
    }

    impl ProcessingTimeCallback for Recorder {
        fn on_processing_time(&mut self, at: u64, now: u64) -> OpResult {
            self.fired.push((at, now));
            if let (Some(p), Some(me)) = (self.period, self.me) {
                self.service.schedule(me, at + p);
            }
            Ok(())
        }
    }

    fn recorder(
        service: &ProcessingTimeService,
        period: Option<u64>,
    ) -> (Rc<RefCell<Recorder>>, TimerTarget) {
        let r = Rc::new(RefCell::new(Recorder {
            fired: Vec::new(),
            service: service.clone(),
            me: None,
            period,
        }));
        let weak: Weak<RefCell<dyn ProcessingTimeCallback>> = Rc::downgrade(&r) as _;
        let target = service.register(weak);
        r.borrow_mut().me = Some(target);
        (r, target)
    }

    #[test]
    fn timers_fire_in_time_order_once_due() {
        let clock = ManualClock::new(0);
        let service = ProcessingTimeService::new(clock.clone());
        let (r, t) = recorder(&service, None);
        service.schedule(t, 30);
        service.schedule(t, 10);
        service.schedule(t, 20);
        service.schedule(t, 10);
        assert_eq!(service.next_deadline(), Some(10));
        service.fire_due(9).unwrap();
        assert!(r.borrow().fired.is_empty());
        service.fire_due(20).unwrap();
        assert_eq!(r.borrow().fired, [(10, 20), (10, 20), (20, 20)]);
        assert_eq!(service.next_deadline(), Some(30));
        clock.set_nanos(31);
        service.fire_due(service.now()).unwrap();
        assert_eq!(r.borrow().fired.last(), Some(&(30, 31)));
        assert_eq!(service.next_deadline(), None);
    }

    #[test]
    fn a_periodic_timer_catches_up_and_a_dropped_target_is_skipped() {
        let clock = ManualClock::new(0);
        let service = ProcessingTimeService::new(clock);
        let (r, t) = recorder(&service, Some(100));
        service.schedule(t, 100);
        // Late by two and a half periods: each missed instant fires once, in order.
        service.fire_due(350).unwrap();
        let ats: Vec<u64> = r.borrow().fired.iter().map(|f| f.0).collect();
        assert_eq!(ats, [100, 200, 300]);
        assert_eq!(service.next_deadline(), Some(400));
        drop(r);
        service.fire_due(1_000).unwrap();
        assert_eq!(service.next_deadline(), None, "its timers went with it");
    }
}
