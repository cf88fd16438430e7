//! Event time through the runtime: watermarks combined over channels, idleness.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weir_core::api::StreamExecutionEnvironment;
use weir_core::config::RawValue;
use weir_core::operator::{BoxOutput, OpResult, OperatorError, Output};
use weir_core::record::Record;
use weir_core::runtime::clock::SharedClock;
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};
use weir_core::time::WatermarkStatus;

mod common;

fn env_of(slots: i64) -> StreamExecutionEnvironment {
    common::env_with(slots, "0")
}

/// Subtask 0 emits records at event times 1..=100 and watermark 100; subtask 1 emits
/// nothing and, if `idle`, marks itself idle. Both run until the observer has seen
/// watermark 100 or `patience` has passed, so that subtask 1 is still there (and could
/// hold the watermark back) the whole time.
struct TwoSpeedSource {
    subtask: usize,
    idle: bool,
    clock: SharedClock,
    started: Option<Instant>,
    patience: Duration,
    seen: Arc<AtomicBool>,
    /// Set by subtask 1 just before it finishes (and sends its final watermark).
    slow_done: Arc<AtomicBool>,
}

impl Source<i64> for TwoSpeedSource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, i64>,
        _max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let started = match self.started {
            Some(t) => t,
            None => {
                if self.subtask == 0 {
                    for t in 1..=100 {
                        ctx.collect_with_timestamp(t, t)?;
                    }
                    ctx.emit_watermark(100)?;
                } else if self.idle {
                    ctx.mark_idle()?;
                }
                *self.started.insert(Instant::now())
            }
        };
        if self.seen.load(Ordering::SeqCst) || started.elapsed() > self.patience {
            if self.subtask == 1 {
                self.slow_done.store(true, Ordering::SeqCst);
            }
            return Ok(SourceStatus::Finished);
        }
        Ok(SourceStatus::IdleUntil(self.clock.now_nanos() + 1_000_000))
    }
}

/// Records the watermarks (and statuses) that reach it, each with whether the slow
/// subtask was still running; flags watermark 100.
struct Observer {
    out: BoxOutput<i64>,
    watermarks: Arc<Mutex<Vec<(i64, bool)>>>,
    statuses: Arc<Mutex<Vec<WatermarkStatus>>>,
    seen: Arc<AtomicBool>,
    slow_done: Arc<AtomicBool>,
}

impl Output<i64> for Observer {
    fn collect(&mut self, record: Record<'_, i64>, timestamp: i64) -> OpResult {
        self.out.collect(record, timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        let slow_running = !self.slow_done.load(Ordering::SeqCst);
        self.watermarks
            .lock()
            .unwrap()
            .push((watermark, slow_running));
        if watermark == 100 {
            self.seen.store(true, Ordering::SeqCst);
        }
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.statuses.lock().unwrap().push(status);
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn checkpoint(
        &mut self,
        call: &mut weir_core::operator::CheckpointCall<'_>,
    ) -> weir_core::operator::OpResult {
        self.out.checkpoint(call)
    }
}

struct Observed {
    /// Each watermark, and whether the slow subtask still ran when it arrived.
    watermarks: Vec<(i64, bool)>,
    statuses: Vec<WatermarkStatus>,
    records: usize,
}

fn run_two_speed(idle: bool, patience: Duration) -> Observed {
    let env = env_of(2);
    let seen = Arc::new(AtomicBool::new(false));
    let slow_done = Arc::new(AtomicBool::new(false));
    let watermarks = Arc::new(Mutex::new(Vec::new()));
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let (flag, done) = (seen.clone(), slow_done.clone());
    let source = env
        .add_source("Two-Speed Source", move |ctx| {
            Ok(TwoSpeedSource {
                subtask: ctx.subtask,
                idle,
                clock: ctx.clock.clone(),
                started: None,
                patience,
                seen: flag.clone(),
                slow_done: done.clone(),
            })
        })
        .set_parallelism(2);
    let (w, s, flag, done) = (
        watermarks.clone(),
        statuses.clone(),
        seen.clone(),
        slow_done.clone(),
    );
    let observed = source
        .global()
        .transform("observe", move |_, out, _| {
            Ok(Box::new(Observer {
                out,
                watermarks: w.clone(),
                statuses: s.clone(),
                seen: flag.clone(),
                slow_done: done.clone(),
            }))
        })
        .set_parallelism(1)
        .collect();
    env.execute("two speeds").unwrap();
    let watermarks = watermarks.lock().unwrap().clone();
    let statuses = statuses.lock().unwrap().clone();
    Observed {
        watermarks,
        statuses,
        records: observed.values().len(),
    }
}

#[test]
fn an_idle_source_subtask_does_not_hold_back_the_watermark() {
    let o = run_two_speed(true, Duration::from_secs(30));
    assert_eq!(o.records, 100);
    assert_eq!(
        o.watermarks.first(),
        Some(&(100, true)),
        "watermark 100 came while the idle subtask still ran: {:?}",
        o.watermarks
    );
    assert_eq!(
        o.watermarks.last().map(|w| w.0),
        Some(i64::MAX),
        "end of input"
    );
    assert!(o.watermarks.windows(2).all(|w| w[0].0 < w[1].0), "monotone");
    // With one of two channels idle the operator stays active; if the busy subtask ends
    // first, the idle one is all that is left, so the operator goes idle until that one
    // also ends (active again, for its final watermark).
    assert!(
        o.statuses.is_empty() || o.statuses == [WatermarkStatus::Idle, WatermarkStatus::Active],
        "{:?}",
        o.statuses
    );
}

#[test]
fn a_silent_but_active_source_subtask_holds_the_watermark_back() {
    let o = run_two_speed(false, Duration::from_millis(300));
    assert_eq!(o.records, 100);
    assert!(
        o.watermarks.iter().all(|&(_, slow_running)| !slow_running),
        "no watermark while the silent subtask ran: {:?}",
        o.watermarks
    );
    assert_eq!(o.watermarks.last().map(|w| w.0), Some(i64::MAX));
}

/// Subtask 0 emits a record every 2 ms, event time +1 s each; subtask 1 emits one record
/// at event time 0 and then nothing, until the observer has seen watermark 100 or
/// `patience` has passed.
struct SteadyAndQuiet {
    subtask: usize,
    clock: SharedClock,
    next: i64,
    started: Option<Instant>,
    patience: Duration,
    seen: Arc<AtomicBool>,
    slow_done: Arc<AtomicBool>,
}

impl Source<i64> for SteadyAndQuiet {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, i64>,
        _max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let started = *self.started.get_or_insert_with(Instant::now);
        if self.seen.load(Ordering::SeqCst) || started.elapsed() > self.patience {
            if self.subtask == 1 {
                self.slow_done.store(true, Ordering::SeqCst);
            }
            return Ok(SourceStatus::Finished);
        }
        if self.subtask == 0 || self.next == 0 {
            ctx.collect_with_timestamp(self.next, self.next)?;
            self.next += 1_000;
        }
        Ok(SourceStatus::IdleUntil(self.clock.now_nanos() + 2_000_000))
    }
}

fn run_steady_and_quiet(idleness: Option<Duration>, patience: Duration) -> Vec<(i64, bool)> {
    let env = env_of(2);
    env.set(
        "pipeline.auto-watermark-interval",
        RawValue::Str("10 ms".into()),
    )
    .unwrap();
    let seen = Arc::new(AtomicBool::new(false));
    let slow_done = Arc::new(AtomicBool::new(false));
    let watermarks = Arc::new(Mutex::new(Vec::new()));
    let (flag, done) = (seen.clone(), slow_done.clone());
    let mut strategy = weir_core::time::WatermarkStrategy::<i64>::for_bounded_out_of_orderness(
        Duration::from_millis(500),
    );
    if let Some(timeout) = idleness {
        strategy = strategy.with_idleness(timeout);
    }
    let stamped = env
        .add_source("Steady and Quiet", move |ctx| {
            Ok(SteadyAndQuiet {
                subtask: ctx.subtask,
                clock: ctx.clock.clone(),
                next: 0,
                started: None,
                patience,
                seen: flag.clone(),
                slow_done: done.clone(),
            })
        })
        .set_parallelism(2)
        .assign_timestamps_and_watermarks(strategy)
        .set_parallelism(2);
    let (w, flag, done) = (watermarks.clone(), seen.clone(), slow_done.clone());
    stamped
        .global()
        .transform("observe", move |_, out, _| {
            Ok(Box::new(FirstAbove {
                out,
                watermarks: w.clone(),
                seen: flag.clone(),
                slow_done: done.clone(),
            }))
        })
        .set_parallelism(1)
        .blackhole(None);
    env.execute("steady and quiet").unwrap();
    let w = watermarks.lock().unwrap().clone();
    w
}

/// Records each watermark with whether the quiet subtask still ran; flags one ≥ 100 000.
struct FirstAbove {
    out: BoxOutput<i64>,
    watermarks: Arc<Mutex<Vec<(i64, bool)>>>,
    seen: Arc<AtomicBool>,
    slow_done: Arc<AtomicBool>,
}

impl Output<i64> for FirstAbove {
    fn collect(&mut self, record: Record<'_, i64>, timestamp: i64) -> OpResult {
        self.out.collect(record, timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        let running = !self.slow_done.load(Ordering::SeqCst);
        self.watermarks.lock().unwrap().push((watermark, running));
        if watermark >= 100_000 {
            self.seen.store(true, Ordering::SeqCst);
        }
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn checkpoint(
        &mut self,
        call: &mut weir_core::operator::CheckpointCall<'_>,
    ) -> weir_core::operator::OpResult {
        self.out.checkpoint(call)
    }
}

#[test]
fn a_strategy_with_idleness_lets_the_watermark_pass_a_quiet_subtask() {
    let w = run_steady_and_quiet(Some(Duration::from_millis(50)), Duration::from_secs(30));
    assert!(
        w.iter().any(|&(wm, running)| wm >= 100_000 && running),
        "the watermark passed 100 s of event time while the quiet subtask ran: {w:?}"
    );
    assert!(w.windows(2).all(|p| p[0].0 < p[1].0), "monotone: {w:?}");
    assert_eq!(w.last().map(|p| p.0), Some(i64::MAX));
}

#[test]
fn without_idleness_a_quiet_subtask_holds_the_periodic_watermark_back() {
    let w = run_steady_and_quiet(None, Duration::from_millis(400));
    // The quiet subtask's only record (event time 0) keeps its watermark at -501.
    assert!(
        w.iter().all(|&(wm, running)| !running || wm <= -501),
        "{w:?}"
    );
    assert_eq!(w.last().map(|p| p.0), Some(i64::MAX));
}

/// Registers an event-time timer 10 ms after each element; emits `(key, timer)` when
/// it fires.
#[derive(Clone)]
struct TenLater;

impl weir_core::operator::keyed_process::KeyedProcessFunction<i64, (i64, i64), (i64, i64)>
    for TenLater
{
    fn process_element(
        &mut self,
        (_, ts): (i64, i64),
        ctx: &mut weir_core::operator::keyed_process::KeyedContext<'_, i64>,
        _out: &mut weir_core::operator::process::Collector<'_, (i64, i64)>,
    ) -> OpResult {
        ctx.register_event_time_timer(ts + 10);
        Ok(())
    }
    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut weir_core::operator::keyed_process::KeyedContext<'_, i64>,
        out: &mut weir_core::operator::process::Collector<'_, (i64, i64)>,
    ) -> OpResult {
        assert!(
            ctx.current_watermark() >= timestamp,
            "fired before its time"
        );
        out.collect((*ctx.current_key(), timestamp));
        Ok(())
    }
}

#[test]
fn keyed_event_time_timers_fire_once_each_in_order_across_slots() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    // Keys 0..7; times with repeats per key (a timer per key and time fires once).
    let events: Vec<(i64, i64)> = (0..400).map(|i| (i % 7, (i / 2) * 5)).collect();
    let fired = env
        .from_collection(events.clone())
        .assign_timestamps_and_watermarks(
            weir_core::time::WatermarkStrategy::for_monotonous_timestamps()
                .with_timestamp_assigner(|e: &(i64, i64), _| e.1),
        )
        .set_parallelism(1)
        .key_by(|e: &(i64, i64)| e.0)
        .process(TenLater)
        .collect();
    env.execute("keyed timers").unwrap();
    let got = fired.values();
    let mut want: Vec<(i64, i64)> = events.iter().map(|&(k, t)| (k, t + 10)).collect();
    want.sort();
    want.dedup();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, want, "each timer exactly once");
    for k in 0..7 {
        let times: Vec<i64> = got.iter().filter(|e| e.0 == k).map(|e| e.1).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "key {k}: {times:?}");
    }
}
