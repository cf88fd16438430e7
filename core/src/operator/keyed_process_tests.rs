use super::*;
use crate::runtime::clock::ManualClock;
use crate::runtime::timers::ProcessingTimeService;
use std::sync::Arc;

/// What reaches the operator's downstream, in order.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Record(String, i64),
    Watermark(i64),
}

struct Capture(Rc<RefCell<Vec<Seen>>>);

impl Output<String> for Capture {
    fn collect(&mut self, record: Record<'_, String>, timestamp: i64) -> OpResult {
        let v = record.into_owned()?;
        self.0.borrow_mut().push(Seen::Record(v, timestamp));
        Ok(())
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.0.borrow_mut().push(Seen::Watermark(watermark));
        Ok(())
    }
    fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
        Ok(())
    }
    fn finish(&mut self) -> OpResult {
        Ok(())
    }
    fn checkpoint(
        &mut self,
        _call: &mut crate::operator::CheckpointCall<'_>,
    ) -> crate::operator::OpResult {
        Ok(())
    }
}

/// Elements are `(key, command, time)`: "event" / "processing" register a timer of that
/// domain at `time`, "delete" deletes the event-time timer at `time`.
#[derive(Clone)]
struct Commands;

impl KeyedProcessFunction<String, (String, String, i64), String> for Commands {
    fn process_element(
        &mut self,
        (_, command, time): (String, String, i64),
        ctx: &mut KeyedContext<'_, String>,
        _out: &mut Collector<'_, String>,
    ) -> OpResult {
        match command.as_str() {
            "event" => ctx.register_event_time_timer(time),
            "processing" => ctx.register_processing_time_timer(time),
            "delete" => ctx.delete_event_time_timer(time),
            _ => {}
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, String>,
        out: &mut Collector<'_, String>,
    ) -> OpResult {
        let domain = match ctx.time_domain() {
            Some(TimeDomain::EventTime) => "event",
            Some(TimeDomain::ProcessingTime) => "processing",
            None => "none",
        };
        out.collect(format!("{}@{timestamp}:{domain}", ctx.current_key()));
        Ok(())
    }
}

type Rig = (
    KeyedProcessOperator<String, (String, String, i64), String, Commands>,
    Rc<RefCell<Vec<Seen>>>,
    Arc<ManualClock>,
    ProcessingTimeService,
);

fn rig() -> Rig {
    let clock = ManualClock::new(1_000_000_000);
    let shared: SharedClock = clock.clone();
    let service = ProcessingTimeService::new(shared.clone());
    let seen = Rc::new(RefCell::new(Vec::new()));
    let key: KeyFn<(String, String, i64), String> = Arc::new(|e| e.0.clone());
    let ctx = BuildContext {
        name: "commands".into(),
        subtask: 0,
        parallelism: 1,
        max_parallelism: 128,
        clock: shared,
        timers: service.clone(),
        state_sizes: Default::default(),
        uid: "keyed-process".into(),
        restore: None,
        checkpointing: false,
    };
    let op = KeyedProcessOperator::new(
        Commands,
        key,
        Box::new(Capture(seen.clone())),
        SideOutputs::default(),
        &ctx,
    )
    .unwrap();
    (op, seen, clock, service)
}

fn cmd(key: &str, command: &str, time: i64) -> Record<'static, (String, String, i64)> {
    Record::Owned((key.into(), command.into(), time))
}

#[test]
fn event_time_timers_fire_once_per_key_in_order_before_the_watermark() {
    let (mut op, seen, _, _) = rig();
    op.collect(cmd("b", "event", 20), 1).unwrap();
    op.collect(cmd("a", "event", 20), 2).unwrap();
    op.collect(cmd("a", "event", 10), 3).unwrap();
    op.collect(cmd("a", "event", 10), 4).unwrap();
    op.collect(cmd("b", "event", 30), 5).unwrap();
    op.collect(cmd("b", "delete", 30), 6).unwrap();
    op.collect(cmd("c", "delete", 99), 7).unwrap();
    op.emit_watermark(9).unwrap();
    op.emit_watermark(20).unwrap();
    op.emit_watermark(40).unwrap();
    assert_eq!(
        *seen.borrow(),
        [
            Seen::Watermark(9),
            Seen::Record("a@10:event".into(), 10),
            Seen::Record("b@20:event".into(), 20),
            Seen::Record("a@20:event".into(), 20),
            Seen::Watermark(20),
            Seen::Watermark(40),
        ]
    );
}

#[test]
fn processing_time_timers_fire_when_the_clock_reaches_them() {
    let (mut op, seen, clock, service) = rig();
    // The manual clock is at 1 000 ms of epoch time.
    op.collect(cmd("a", "processing", 1_500), 1).unwrap();
    op.collect(cmd("b", "processing", 1_200), 2).unwrap();
    assert_eq!(
        service.next_deadline(),
        Some(1_200_000_000),
        "woken for the earliest"
    );
    clock.set_nanos(1_200_000_000);
    service.fire_due(service.now()).unwrap();
    assert_eq!(
        *seen.borrow(),
        [Seen::Record("b@1200:processing".into(), NO_TIMESTAMP)]
    );
    assert_eq!(service.next_deadline(), Some(1_500_000_000));
    clock.set_nanos(2_000_000_000);
    service.fire_due(service.now()).unwrap();
    assert_eq!(seen.borrow().len(), 2);
    assert_eq!(service.next_deadline(), None);
    // Watermarks do not fire processing-time timers.
    op.collect(cmd("a", "processing", 5_000), 3).unwrap();
    op.emit_watermark(i64::MAX).unwrap();
    assert_eq!(seen.borrow().last(), Some(&Seen::Watermark(i64::MAX)));
}
