//! Two-input operators through the runtime: connect, CoMap, keyed co-process with
//! timers, and the watermark of two inputs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weir_core::api::StreamExecutionEnvironment;
use weir_core::operator::keyed_process::KeyedContext;
use weir_core::operator::process::Collector;
use weir_core::operator::two_input::KeyedCoProcessFunction;
use weir_core::operator::{BoxOutput, OpResult, OperatorError, Output};
use weir_core::record::Record;
use weir_core::runtime::clock::SharedClock;
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};
use weir_core::time::{WatermarkStatus, WatermarkStrategy};

mod common;

fn env_of(slots: i64) -> StreamExecutionEnvironment {
    common::env_with(slots, "0")
}

#[test]
fn co_map_merges_two_types_across_slots() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let numbers = env.from_sequence(1, 100);
    let words = env.from_collection(vec!["a".to_string(), "bb".into(), "ccc".into()]);
    let merged = numbers
        .connect(&words)
        .map(
            |n: i64| format!("n{n}"),
            |w: String| format!("w{}", w.len()),
        )
        .collect();
    let flat = numbers
        .connect(&words)
        .flat_map(
            |n: i64| (n % 10 == 0).then_some(n),
            |w: String| vec![w.len() as i64; 2],
        )
        .collect();
    env.execute("co-map").unwrap();
    let mut got = merged.values();
    got.sort();
    let mut want: Vec<String> = (1..=100).map(|n| format!("n{n}")).collect();
    want.extend(["w1".to_string(), "w2".into(), "w3".into()]);
    want.sort();
    assert_eq!(got, want);
    let mut flat = flat.values();
    flat.sort();
    assert_eq!(
        flat,
        [1, 1, 2, 2, 3, 3, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    );
}

/// Orders `(id, time)` and payments `(order id, order time)`: an order still unpaid 10 ms
/// of event time after it was placed raises an alert; a payment cancels its timer.
#[derive(Clone)]
struct UnpaidAlert;

impl KeyedCoProcessFunction<i64, (i64, i64), (i64, i64), i64> for UnpaidAlert {
    fn process_element1(
        &mut self,
        (_, placed): (i64, i64),
        ctx: &mut KeyedContext<'_, i64>,
        _out: &mut Collector<'_, i64>,
    ) -> OpResult {
        ctx.register_event_time_timer(placed + 10);
        Ok(())
    }
    fn process_element2(
        &mut self,
        (_, placed): (i64, i64),
        ctx: &mut KeyedContext<'_, i64>,
        _out: &mut Collector<'_, i64>,
    ) -> OpResult {
        ctx.delete_event_time_timer(placed + 10);
        Ok(())
    }
    fn on_timer(
        &mut self,
        _ts: i64,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, i64>,
    ) -> OpResult {
        out.collect(*ctx.current_key());
        Ok(())
    }
}

#[test]
fn a_keyed_co_process_function_sees_both_inputs_of_a_key_and_its_timers() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let orders: Vec<(i64, i64)> = (0..200).map(|id| (id, id)).collect();
    // Every order but the multiples of 7 is paid — before the watermark passes it.
    let payments: Vec<(i64, i64)> = (0..200)
        .filter(|id| id % 7 != 0)
        .map(|id| (id, id))
        .collect();
    let stamp = || {
        WatermarkStrategy::for_monotonous_timestamps()
            .with_timestamp_assigner(|e: &(i64, i64), _| e.1)
    };
    // The watermark of the co-process is the minimum of both inputs', so payments
    // arriving on time on their own input still cancel the timers.
    let orders = env
        .from_collection(orders)
        .assign_timestamps_and_watermarks(stamp())
        .set_parallelism(1);
    let payments = env
        .from_collection(payments)
        .assign_timestamps_and_watermarks(stamp())
        .set_parallelism(1);
    let alerts = orders
        .connect(&payments)
        .key_by(|o: &(i64, i64)| o.0, |p: &(i64, i64)| p.0)
        .process(UnpaidAlert)
        .collect();
    env.execute("unpaid orders").unwrap();
    let mut got = alerts.values();
    got.sort();
    let want: Vec<i64> = (0..200).filter(|id| id % 7 == 0).collect();
    assert_eq!(got, want);
}

/// Emits a watermark and then, for input 2, stays until `patience` has passed.
struct WatermarkThenWait {
    watermark: i64,
    clock: SharedClock,
    patience: Duration,
    started: Option<Instant>,
    done: Option<Arc<AtomicBool>>,
}

impl Source<i64> for WatermarkThenWait {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, i64>,
        _max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let started = match self.started {
            Some(s) => s,
            None => {
                ctx.collect_with_timestamp(self.watermark, self.watermark)?;
                ctx.emit_watermark(self.watermark)?;
                *self.started.insert(Instant::now())
            }
        };
        if started.elapsed() >= self.patience {
            if let Some(done) = &self.done {
                done.store(true, Ordering::SeqCst);
            }
            return Ok(SourceStatus::Finished);
        }
        Ok(SourceStatus::IdleUntil(self.clock.now_nanos() + 1_000_000))
    }
}

/// Records each watermark with whether input 2 still ran.
struct Watch {
    out: BoxOutput<i64>,
    seen: Arc<Mutex<Vec<(i64, bool)>>>,
    done: Arc<AtomicBool>,
}

impl Output<i64> for Watch {
    fn collect(&mut self, record: Record<'_, i64>, timestamp: i64) -> OpResult {
        self.out.collect(record, timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        let running = !self.done.load(Ordering::SeqCst);
        self.seen.lock().unwrap().push((watermark, running));
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
fn a_two_input_operator_holds_its_watermark_at_the_slower_input() {
    let env = env_of(2);
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let fast = env.add_source("fast", |ctx| {
        Ok(WatermarkThenWait {
            watermark: 100,
            clock: ctx.clock.clone(),
            patience: Duration::ZERO,
            started: None,
            done: None,
        })
    });
    let flag = done.clone();
    let slow = env.add_source("slow", move |ctx| {
        Ok(WatermarkThenWait {
            watermark: 10,
            clock: ctx.clock.clone(),
            patience: Duration::from_millis(200),
            started: None,
            done: Some(flag.clone()),
        })
    });
    let (s, d) = (seen.clone(), done.clone());
    fast.connect(&slow)
        .map(|v: i64| v, |v: i64| v)
        .transform("watch", move |_, out, _| {
            Ok(Box::new(Watch {
                out,
                seen: s.clone(),
                done: d.clone(),
            }))
        })
        .blackhole(None);
    env.execute("two watermarks").unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|&(w, running)| !running || w <= 10),
        "ahead of the slow input while it ran: {seen:?}"
    );
    assert!(
        seen.contains(&(10, true)),
        "the slower input's watermark went through: {seen:?}"
    );
    assert_eq!(seen.last().map(|s| s.0), Some(i64::MAX));
}

/// Events `(id, kind, amount, time)` are held in keyed state until an event-time timer:
/// the operator's watermark is the minimum of both inputs', so by then every rule
/// `(kind, limit)` before it has arrived. Emits `(id, amount, over the kind's limit?)`.
#[derive(Clone, Default)]
struct OverLimit {
    pending: Option<weir_state::keyed::ListState<(), (String, i64)>>,
}

type Event = (i64, String, i64, i64);

impl
    weir_core::operator::broadcast::KeyedBroadcastProcessFunction<
        i64,
        Event,
        (String, i64),
        String,
        i64,
        (i64, i64, bool),
    > for OverLimit
{
    fn open(&mut self, state: &mut weir_state::HeapKeyedStateBackend<i64>) -> OpResult {
        self.pending =
            Some(state.list_state(&weir_state::keyed::ListStateDescriptor::new("pending"))?);
        Ok(())
    }
    fn process_element(
        &mut self,
        (_, kind, amount, time): Event,
        _rules: weir_state::operator_state::ReadOnlyBroadcastState<'_, String, i64>,
        ctx: &mut KeyedContext<'_, i64>,
        _out: &mut Collector<'_, (i64, i64, bool)>,
    ) -> OpResult {
        let pending = self
            .pending
            .ok_or_else(|| OperatorError::User("not open".into()))?;
        pending.add(ctx.state(), &(), (kind, amount))?;
        ctx.register_event_time_timer(time);
        Ok(())
    }
    fn process_broadcast_element(
        &mut self,
        (kind, limit): (String, i64),
        rules: &mut weir_state::operator_state::BroadcastState<String, i64>,
        _out: &mut Collector<'_, (i64, i64, bool)>,
    ) -> OpResult {
        rules.put(kind, limit);
        Ok(())
    }
    fn on_timer(
        &mut self,
        _timestamp: i64,
        rules: weir_state::operator_state::ReadOnlyBroadcastState<'_, String, i64>,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, (i64, i64, bool)>,
    ) -> OpResult {
        let pending = self
            .pending
            .ok_or_else(|| OperatorError::User("not open".into()))?;
        let id = *ctx.current_key();
        for (kind, amount) in pending.get(ctx.state(), &())? {
            let limit = rules
                .get(&kind)
                .ok_or_else(|| OperatorError::User(format!("no rule for {kind}")))?;
            out.collect((id, amount, amount > *limit));
        }
        pending.clear(ctx.state(), &())?;
        Ok(())
    }
}

#[test]
fn broadcast_rules_are_applied_to_every_keyed_record() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let kinds = ["food", "fuel", "toys"];
    let limits = [
        ("food".to_string(), 50i64),
        ("fuel".into(), 80),
        ("toys".into(), 20),
    ];
    let events: Vec<Event> = (0..300)
        .map(|i| (i, kinds[i as usize % 3].to_string(), (i * 37) % 100, i))
        .collect();
    let stamped = env
        .from_collection(events.clone())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps()
                .with_timestamp_assigner(|e: &Event, _| e.3),
        )
        .set_parallelism(1);
    let rules = env.from_collection(limits.to_vec()).set_parallelism(1);
    let judged = stamped
        .key_by(|e: &Event| e.0)
        .connect_broadcast(&rules)
        .process(OverLimit::default())
        .collect();
    env.execute("rules").unwrap();
    let mut got = judged.values();
    got.sort();
    let limit = |k: &str| limits.iter().find(|l| l.0 == k).map(|l| l.1).unwrap();
    let want: Vec<(i64, i64, bool)> = events
        .iter()
        .map(|(id, kind, amount, _)| (*id, *amount, *amount > limit(kind)))
        .collect();
    assert_eq!(
        got, want,
        "every event judged once, against its kind's rule"
    );
}

/// Echoes each rule it stores, and each element.
#[derive(Clone)]
struct Echo;

impl weir_core::operator::broadcast::BroadcastProcessFunction<i64, String, String, (), String>
    for Echo
{
    fn process_element(
        &mut self,
        value: i64,
        _rules: weir_state::operator_state::ReadOnlyBroadcastState<'_, String, ()>,
        _ctx: &mut weir_core::operator::process::Context<'_>,
        out: &mut Collector<'_, String>,
    ) -> OpResult {
        out.collect(format!("element {value}"));
        Ok(())
    }
    fn process_broadcast_element(
        &mut self,
        rule: String,
        rules: &mut weir_state::operator_state::BroadcastState<String, ()>,
        out: &mut Collector<'_, String>,
    ) -> OpResult {
        out.collect(format!("rule {rule}"));
        rules.put(rule, ());
        Ok(())
    }
}

#[test]
fn every_subtask_receives_every_broadcast_element() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let rules = env
        .from_collection(vec!["a".to_string(), "b".into(), "c".into()])
        .set_parallelism(1);
    let out = env
        .from_sequence(1, 10)
        .connect_broadcast(&rules)
        .process(Echo)
        .collect();
    env.execute("broadcast").unwrap();
    let got = out.values();
    let rules_seen = got.iter().filter(|l| l.starts_with("rule")).count();
    let elements = got.iter().filter(|l| l.starts_with("element")).count();
    assert_eq!(rules_seen, 6, "3 rules on each of 2 subtasks: {got:?}");
    assert_eq!(elements, 10, "each element once");
}
