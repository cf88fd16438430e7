//! Assigning timestamps and generating watermarks in a stream (Flink's
//! `TimestampsAndWatermarksOperator`): each record gets its event timestamp from the
//! strategy's assigner, the generator sees it, and every
//! `pipeline.auto-watermark-interval` a processing-time timer asks the generator for a
//! periodic watermark (or idleness). Watermarks and statuses from upstream are dropped —
//! this operator makes its own — except the final `i64::MAX` that ends the input.

use std::cell::RefCell;
use std::rc::Rc;

use crate::operator::{BoxOutput, OpResult, Output};
use crate::record::{Data, Record};
use crate::runtime::timers::{ProcessingTimeCallback, ProcessingTimeService, TimerTarget};
use crate::time::strategy::SubtaskAssigner;
use crate::time::{
    ValveOutput, WatermarkGenerator, WatermarkOutput, WatermarkStatus, WatermarkStrategy,
};

struct Inner<T: Data> {
    out: BoxOutput<T>,
    assigner: Option<SubtaskAssigner<T>>,
    generator: Box<dyn WatermarkGenerator<T>>,
    watermarks: WatermarkOutput,
    /// Periodic emission: the interval (nanoseconds), the timers and our target in them.
    periodic: Option<(u64, ProcessingTimeService, TimerTarget)>,
}

impl<T: Data> Inner<T> {
    fn forward(&mut self) -> OpResult {
        for o in self.watermarks.take() {
            match o {
                ValveOutput::Watermark(w) => self.out.emit_watermark(w)?,
                ValveOutput::Status(s) => self.out.emit_watermark_status(s)?,
            }
        }
        Ok(())
    }
}

impl<T: Data> ProcessingTimeCallback for Inner<T> {
    fn on_processing_time(&mut self, _at: u64, now: u64) -> OpResult {
        self.generator.on_periodic_emit(&mut self.watermarks);
        self.forward()?;
        if let Some((interval, timers, target)) = &self.periodic {
            // The next one an interval from now, as Flink does: no burst after a stall.
            timers.schedule(*target, now.saturating_add(*interval));
        }
        Ok(())
    }
}

/// The operator, shared between its chain and the task's timers.
pub struct TimestampsAndWatermarks<T: Data>(Rc<RefCell<Inner<T>>>);

impl<T: Data> TimestampsAndWatermarks<T> {
    /// Runs `strategy` in front of `out`; `interval` is the periodic emission interval
    /// (`None` or zero: only what the generator emits per record).
    pub fn new(
        strategy: &WatermarkStrategy<T>,
        out: BoxOutput<T>,
        timers: &ProcessingTimeService,
        clock: &crate::runtime::clock::SharedClock,
        interval: Option<std::time::Duration>,
    ) -> Self {
        let inner = Rc::new(RefCell::new(Inner {
            out,
            assigner: strategy.create_assigner(clock),
            generator: strategy.create_generator(clock),
            watermarks: WatermarkOutput::default(),
            periodic: None,
        }));
        let interval = interval
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .filter(|&n| n > 0);
        if let Some(interval) = interval {
            let weak = Rc::downgrade(&inner);
            let target = timers.register(weak);
            timers.schedule(target, timers.now().saturating_add(interval));
            inner.borrow_mut().periodic = Some((interval, timers.clone(), target));
        }
        Self(inner)
    }
}

impl<T: Data> Output<T> for TimestampsAndWatermarks<T> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        let inner = &mut *self.0.borrow_mut();
        let Inner {
            assigner,
            generator,
            watermarks,
            ..
        } = inner;
        // The generator sees the record before it goes on, but what it emits follows
        // the record (its output is buffered), as in Flink.
        let ts = record.with_value(|v| {
            let ts = assigner.as_mut().map_or(timestamp, |a| a(v, timestamp));
            generator.on_event(v, ts, watermarks);
            ts
        })?;
        inner.out.collect(record, ts)?;
        inner.forward()
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        if watermark == i64::MAX {
            // The end of the input: let it through, so that nothing downstream waits.
            let inner = &mut *self.0.borrow_mut();
            inner.watermarks.emit_watermark(i64::MAX);
            inner.forward()?;
        }
        Ok(())
    }
    fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
        Ok(())
    }
    fn finish(&mut self) -> OpResult {
        let inner = &mut *self.0.borrow_mut();
        // A last periodic watermark, as Flink's operator emits on finish.
        inner.generator.on_periodic_emit(&mut inner.watermarks);
        inner.forward()?;
        inner.out.finish()
    }
    fn checkpoint(&mut self, call: &mut crate::operator::CheckpointCall<'_>) -> OpResult {
        self.0.borrow_mut().out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.0.borrow().out.pause_until()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::clock::{ManualClock, SharedClock};
    use std::time::Duration;

    /// What reaches the operator's downstream, in order.
    #[derive(Debug, Clone, PartialEq)]
    enum Seen {
        Record(i64, i64),
        Watermark(i64),
        Status(WatermarkStatus),
        Finish,
    }

    struct Capture(Rc<RefCell<Vec<Seen>>>);

    impl Output<i64> for Capture {
        fn collect(&mut self, record: Record<'_, i64>, timestamp: i64) -> OpResult {
            let v = record.into_owned()?;
            self.0.borrow_mut().push(Seen::Record(v, timestamp));
            Ok(())
        }
        fn emit_watermark(&mut self, watermark: i64) -> OpResult {
            self.0.borrow_mut().push(Seen::Watermark(watermark));
            Ok(())
        }
        fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
            self.0.borrow_mut().push(Seen::Status(status));
            Ok(())
        }
        fn finish(&mut self) -> OpResult {
            self.0.borrow_mut().push(Seen::Finish);
            Ok(())
        }
        fn checkpoint(&mut self, _call: &mut crate::operator::CheckpointCall<'_>) -> OpResult {
            Ok(())
        }
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn out_of_order_records_get_periodic_bounded_watermarks_on_the_task_clock() {
        let clock = ManualClock::new(0);
        let shared: SharedClock = clock.clone();
        let timers = ProcessingTimeService::new(shared.clone());
        let seen = Rc::new(RefCell::new(Vec::new()));
        let strategy =
            WatermarkStrategy::<i64>::for_bounded_out_of_orderness(Duration::from_millis(4))
                .with_timestamp_assigner(|v, _| *v)
                .with_idleness(Duration::from_millis(500));
        let mut op = TimestampsAndWatermarks::new(
            &strategy,
            Box::new(Capture(seen.clone())),
            &timers,
            &shared,
            Some(Duration::from_millis(200)),
        );
        assert_eq!(timers.next_deadline(), Some(200 * MS));
        for v in [10, 30, 20] {
            op.collect(Record::Owned(v), -1).unwrap();
        }
        clock.set_nanos(200 * MS);
        timers.fire_due(200 * MS).unwrap();
        // 5 is late: below the watermark 25, it still goes through with its timestamp.
        op.collect(Record::Owned(5), -1).unwrap();
        op.collect(Record::Owned(40), -1).unwrap();
        clock.set_nanos(450 * MS);
        timers.fire_due(450 * MS).unwrap();
        assert_eq!(
            timers.next_deadline(),
            Some(650 * MS),
            "an interval after it fired"
        );
        // Upstream watermarks are replaced; statuses too.
        op.emit_watermark(1_000).unwrap();
        op.emit_watermark_status(WatermarkStatus::Idle).unwrap();
        // Quiet: the first quiet check starts the count, idle 500 ms later.
        for t in [650, 850, 1050, 1250] {
            clock.set_nanos(t * MS);
            timers.fire_due(t * MS).unwrap();
        }
        op.collect(Record::Owned(50), -1).unwrap();
        op.emit_watermark(i64::MAX).unwrap();
        op.finish().unwrap();
        assert_eq!(
            *seen.borrow(),
            [
                Seen::Record(10, 10),
                Seen::Record(30, 30),
                Seen::Record(20, 20),
                Seen::Watermark(25),
                Seen::Record(5, 5),
                Seen::Record(40, 40),
                Seen::Watermark(35),
                Seen::Status(WatermarkStatus::Idle),
                Seen::Record(50, 50),
                Seen::Status(WatermarkStatus::Active),
                Seen::Watermark(i64::MAX),
                Seen::Finish,
            ]
        );
    }

    #[test]
    fn a_zero_interval_emits_only_per_record_watermarks() {
        let shared: SharedClock = ManualClock::new(0);
        let timers = ProcessingTimeService::new(shared.clone());
        let seen = Rc::new(RefCell::new(Vec::new()));
        let strategy = WatermarkStrategy::<i64>::for_punctuated(|v, ts| (*v < 0).then_some(ts));
        let mut op = TimestampsAndWatermarks::new(
            &strategy,
            Box::new(Capture(seen.clone())),
            &timers,
            &shared,
            Some(Duration::ZERO),
        );
        assert_eq!(timers.next_deadline(), None);
        op.collect(Record::Owned(1), 100).unwrap();
        op.collect(Record::Owned(-1), 200).unwrap();
        assert_eq!(
            *seen.borrow(),
            [
                Seen::Record(1, 100),
                Seen::Record(-1, 200),
                Seen::Watermark(200)
            ]
        );
    }
}
