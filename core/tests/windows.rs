//! Windows end to end: assigners, triggers, evictors, window functions, allowed lateness
//! and late data, each against a straightforward computation of the expected result.

use std::collections::BTreeMap;
use std::time::Duration;

use weir_core::api::StreamExecutionEnvironment;
use weir_core::operator::process::{Collector, OutputTag};
use weir_core::operator::{OpResult, OperatorError};
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};
use weir_core::time::WatermarkStrategy;
use weir_core::window::{
    ContinuousEventTimeTrigger, CountEvictor, EventTimeSessionWindows, ProcessWindowFunction,
    SlidingEventTimeWindows, TimeWindow, TumblingEventTimeWindows, WindowContext,
};
use weir_state::keyed::AggregateFunction;

mod common;

/// An element: (key, value, timestamp).
type Elem = (u64, i64, i64);

fn env_of(parallelism: usize) -> StreamExecutionEnvironment {
    let env = common::env_with(2, "1 ms");
    env.set_parallelism(parallelism).unwrap();
    env
}

/// `n` elements over `keys` keys, timestamps increasing with bounded disorder (never more
/// than 900 ms behind the largest so far), from a fixed-seed generator.
fn elements(n: usize, keys: u64) -> Vec<Elem> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let ts = i as i64 * 37 - (next() % 900) as i64;
            (next() % keys, (next() % 100) as i64, ts.max(0))
        })
        .collect()
}

fn stamped(env: &StreamExecutionEnvironment, input: Vec<Elem>) -> weir_core::api::DataStream<Elem> {
    env.from_collection(input)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(1))
                .with_timestamp_assigner(|e: &Elem, _| e.2),
        )
        .set_parallelism(1)
}

/// Emits (key, window start, window end, result) for each firing.
#[derive(Clone)]
struct Tag;

impl ProcessWindowFunction<u64, i64, (u64, i64, i64, i64), TimeWindow> for Tag {
    fn process(
        &mut self,
        key: &u64,
        ctx: &mut WindowContext<'_, u64, TimeWindow>,
        elements: Vec<i64>,
        out: &mut Collector<'_, (u64, i64, i64, i64)>,
    ) -> OpResult {
        let w = *ctx.window();
        for e in elements {
            out.collect((*key, w.start, w.end, e));
        }
        Ok(())
    }
}

/// Sums the values.
#[derive(Clone)]
struct Sum;

impl AggregateFunction<Elem, i64, i64> for Sum {
    fn create_accumulator(&self) -> i64 {
        0
    }
    fn add(&self, value: Elem, acc: &mut i64) {
        *acc += value.1;
    }
    fn get_result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Sum per key and window, for windows given by `windows_of(timestamp)`.
fn expected_sums(
    input: &[Elem],
    windows_of: impl Fn(i64) -> Vec<(i64, i64)>,
) -> Vec<(u64, i64, i64, i64)> {
    let mut sums: BTreeMap<(u64, i64, i64), i64> = BTreeMap::new();
    for &(k, v, ts) in input {
        for (s, e) in windows_of(ts) {
            *sums.entry((k, s, e)).or_default() += v;
        }
    }
    sums.into_iter()
        .map(|((k, s, e), v)| (k, s, e, v))
        .collect()
}

#[test]
fn tumbling_event_time_sums_match_a_batch_computation_at_parallelism_1_and_2() {
    let input = elements(3_000, 7);
    let want = expected_sums(&input, |ts| {
        let s = ts - ts.rem_euclid(1_000);
        vec![(s, s + 1_000)]
    });
    for p in [1, 2] {
        let env = env_of(p);
        let out = stamped(&env, input.clone())
            .key_by(|e: &Elem| e.0)
            .window(TumblingEventTimeWindows::of(Duration::from_secs(1)).unwrap())
            .aggregate_with(Sum, Tag)
            .collect();
        let result = env.execute("tumbling").unwrap();
        assert_eq!(sorted(out.values()), want, "parallelism {p}");
        let keys: u64 = result.tasks.iter().map(|t| t.state_keys).sum();
        assert_eq!(
            keys, 0,
            "every window's state is gone once event time passed it"
        );
    }
}

#[test]
fn sliding_windows_put_each_element_in_size_over_slide_windows() {
    let input = elements(2_000, 5);
    let want = expected_sums(&input, |ts| {
        let last = ts - ts.rem_euclid(500);
        (0..4)
            .map(|i| (last - i * 500, last - i * 500 + 2_000))
            .collect()
    });
    let env = env_of(2);
    let out = stamped(&env, input)
        .key_by(|e: &Elem| e.0)
        .window(
            SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_millis(500))
                .unwrap(),
        )
        .reduce_with(|a: Elem, b: Elem| (a.0, a.1 + b.1, a.2.max(b.2)), TagElem)
        .collect();
    env.execute("sliding").unwrap();
    assert_eq!(sorted(out.values()), want);
}

/// Like [`Tag`], for windows reduced to an element.
#[derive(Clone)]
struct TagElem;

impl ProcessWindowFunction<u64, Elem, (u64, i64, i64, i64), TimeWindow> for TagElem {
    fn process(
        &mut self,
        key: &u64,
        ctx: &mut WindowContext<'_, u64, TimeWindow>,
        elements: Vec<Elem>,
        out: &mut Collector<'_, (u64, i64, i64, i64)>,
    ) -> OpResult {
        let w = *ctx.window();
        for e in elements {
            out.collect((*key, w.start, w.end, e.1));
        }
        Ok(())
    }
}

/// Sessions per key: sorted timestamps split where the gap to the previous one exceeds
/// `gap` (a gap of exactly `gap` joins, since touching windows merge).
fn expected_sessions(input: &[Elem], gap: i64) -> Vec<(u64, i64, i64, i64)> {
    let mut by_key: BTreeMap<u64, Vec<(i64, i64)>> = BTreeMap::new();
    for &(k, v, ts) in input {
        by_key.entry(k).or_default().push((ts, v));
    }
    let mut out = Vec::new();
    for (k, mut items) in by_key {
        items.sort();
        let (mut start, mut last, mut sum) = (items[0].0, items[0].0, 0);
        for &(ts, v) in &items {
            if ts > last + gap {
                out.push((k, start, last + gap, sum));
                start = ts;
                sum = 0;
            }
            last = ts;
            sum += v;
        }
        out.push((k, start, last + gap, sum));
    }
    out.sort();
    out
}

#[test]
fn session_windows_merge_per_key_like_a_batch_sessionization() {
    // Sparse keys so that sessions both form and end.
    let mut input = elements(1_500, 40);
    // Two elements exactly one gap apart must share a session.
    input.push((99, 1, 100_000));
    input.push((99, 2, 100_400));
    input.push((99, 4, 100_801));
    let want = expected_sessions(&input, 400);
    for p in [1, 2] {
        let env = env_of(p);
        let out = stamped(&env, input.clone())
            .key_by(|e: &Elem| e.0)
            .window(EventTimeSessionWindows::with_gap(Duration::from_millis(400)).unwrap())
            .aggregate_with(Sum, Tag)
            .collect();
        env.execute("sessions").unwrap();
        let got = sorted(out.values());
        assert!(got.contains(&(99, 100_000, 100_800, 3)));
        assert!(got.contains(&(99, 100_801, 101_201, 4)));
        let extra: Vec<_> = got.iter().filter(|r| !want.contains(r)).collect();
        let missing: Vec<_> = want.iter().filter(|r| !got.contains(r)).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "parallelism {p}: extra {extra:?}, missing {missing:?}"
        );
    }
}

#[test]
fn dynamic_gap_sessions_merge_when_a_later_window_covers_an_earlier_one() {
    // Each element's value is its session gap. The third element's window [0, 100)
    // covers the first two's (it is itself the merge result): all three are one session.
    let input: Vec<Elem> = vec![(1, 10, 30), (1, 20, 45), (1, 100, 0), (1, 5, 500)];
    let env = env_of(1);
    let out = stamped(&env, input)
        .key_by(|e: &Elem| e.0)
        .window(EventTimeSessionWindows::with_dynamic_gap(|e: &Elem| {
            Duration::from_millis(e.1.unsigned_abs())
        }))
        .aggregate_with(Sum, Tag)
        .collect();
    env.execute("dynamic sessions").unwrap();
    assert_eq!(sorted(out.values()), [(1, 0, 100, 130), (1, 500, 505, 5)]);
}

/// Plays a script of elements and watermarks, then ends.
#[derive(Clone)]
enum Step {
    Elem(Elem),
    Watermark(i64),
}

struct Script(Vec<Step>);

impl Source<Elem> for Script {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, Elem>,
        _max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        for step in self.0.drain(..) {
            match step {
                Step::Elem(e) => ctx.collect_with_timestamp(e, e.2)?,
                Step::Watermark(w) => ctx.emit_watermark(w)?,
            }
        }
        Ok(SourceStatus::Finished)
    }
}

fn scripted(
    env: &StreamExecutionEnvironment,
    steps: Vec<Step>,
) -> weir_core::api::DataStream<Elem> {
    env.add_source("Script", move |_| Ok(Script(steps.clone())))
        .set_parallelism(1)
}

#[test]
fn allowed_lateness_refires_with_late_elements_and_later_ones_go_to_the_side_output() {
    use Step::{Elem as E, Watermark as W};
    let env = env_of(1);
    let late = OutputTag::<Elem>::new("late");
    let steps = vec![
        E((1, 1, 1)),
        E((1, 5, 5)),
        W(12),        // [0, 10) fires: 6
        E((1, 3, 3)), // late, within 5 ms of lateness: fires again with 9
        W(20),        // cleanup at 9 + 5 = 14: the window is gone
        E((1, 4, 4)), // too late: side output
        E((1, 7, 25)),
    ];
    let windowed = scripted(&env, steps)
        .key_by(|e: &Elem| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_millis(10)).unwrap())
        .allowed_lateness(Duration::from_millis(5))
        .side_output_late_data(&late)
        .aggregate_with(Sum, Tag);
    let late_out = windowed.side_output(&late).collect();
    let out = windowed.collect();
    env.execute("lateness").unwrap();
    assert_eq!(
        out.values(),
        vec![(1, 0, 10, 6), (1, 0, 10, 9), (1, 20, 30, 7)]
    );
    assert_eq!(late_out.values(), vec![(1, 4, 4)]);
}

#[test]
fn late_records_without_a_side_output_are_dropped_and_counted_in_the_task_metrics() {
    use Step::{Elem as E, Watermark as W};
    let env = env_of(1);
    let steps = vec![
        E((1, 1, 1)),
        W(12),        // [0, 10) fires
        E((1, 2, 3)), // late: dropped
        E((2, 3, 9)), // late, another key: dropped
        E((1, 4, 15)),
    ];
    let out = scripted(&env, steps)
        .key_by(|e: &Elem| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_millis(10)).unwrap())
        .aggregate_with(Sum, Tag)
        .collect();
    let result = env.execute("late drops").unwrap();
    assert_eq!(out.values(), vec![(1, 0, 10, 1), (1, 10, 20, 4)]);
    let dropped: u64 = result.tasks.iter().map(|t| t.late_records_dropped).sum();
    assert_eq!(dropped, 2);
}

#[test]
fn count_windows_fire_every_n_elements_per_key() {
    let env = env_of(2);
    let input: Vec<Elem> = (0..20).map(|i| (i % 2, i as i64, i as i64)).collect();
    let tumbling = env
        .from_collection(input.clone())
        .key_by(|e: &Elem| e.0)
        .count_window(3)
        .reduce(|a: Elem, b: Elem| (a.0, a.1 + b.1, 0))
        .collect();
    let sliding = env
        .from_collection(input)
        .key_by(|e: &Elem| e.0)
        .count_window_sliding(3, 2)
        .apply_evicting(
            |k: &u64, _, elements: Vec<Elem>, out: &mut Collector<'_, (u64, Vec<i64>)>| {
                out.collect((*k, elements.iter().map(|e| e.1).collect()));
            },
        )
        .collect();
    env.execute("count windows").unwrap();
    // Key 0 sees 0, 2, 4, …, 18: full windows of three, the last partial one never fires.
    let want: Vec<Elem> = vec![
        (0, 6, 0),
        (0, 24, 0),
        (0, 42, 0),
        (1, 9, 0),
        (1, 27, 0),
        (1, 45, 0),
    ];
    assert_eq!(sorted(tumbling.values()), want);
    let got = sorted(sliding.values());
    assert_eq!(got.len(), 10, "every second element per key fires");
    assert!(got.contains(&(0, vec![0, 2])));
    assert!(got.contains(&(0, vec![2, 4, 6])));
    assert!(got.contains(&(1, vec![15, 17, 19])));
}

#[test]
fn a_count_evictor_keeps_the_last_elements_of_a_time_window() {
    let env = env_of(1);
    let input: Vec<Elem> = (0..10).map(|i| (1, i, i * 100)).collect();
    let out = stamped(&env, input)
        .key_by(|e: &Elem| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_millis(500)).unwrap())
        .evictor(CountEvictor::of(2))
        .reduce_evicting(|a: Elem, b: Elem| (a.0, a.1 + b.1, 0))
        .collect();
    env.execute("evictor").unwrap();
    // [0, 500): 3 + 4; [500, 1000): 8 + 9.
    assert_eq!(sorted(out.values()), vec![(1, 7, 0), (1, 17, 0)]);
}

#[test]
fn window_all_sums_a_non_keyed_stream_in_one_subtask() {
    let input = elements(1_000, 3);
    let want: BTreeMap<i64, i64> = input.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(e.2 - e.2 % 1_000).or_default() += e.1;
        m
    });
    let env = env_of(2);
    let out = stamped(&env, input)
        .window_all(TumblingEventTimeWindows::of(Duration::from_secs(1)).unwrap())
        .apply(
            |_: &u8, w: &TimeWindow, elements: Vec<Elem>, out: &mut Collector<'_, (i64, i64)>| {
                out.collect((w.start, elements.iter().map(|e| e.1).sum()));
            },
        )
        .collect();
    env.execute("window all").unwrap();
    let got: BTreeMap<i64, i64> = out.values().into_iter().collect();
    assert_eq!(got, want);
}

#[test]
fn a_continuous_trigger_fires_early_and_at_the_end() {
    use Step::{Elem as E, Watermark as W};
    let env = env_of(1);
    let steps = vec![
        E((1, 1, 10)),
        W(25),
        E((1, 2, 30)),
        W(55),
        E((1, 4, 60)),
        W(200),
    ];
    let out = scripted(&env, steps)
        .key_by(|e: &Elem| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_millis(100)).unwrap())
        .trigger(ContinuousEventTimeTrigger::of(Duration::from_millis(20)).unwrap())
        .aggregate(Sum)
        .collect();
    env.execute("continuous").unwrap();
    // Fires at 20 (1), 40 (3), then the 40 timer registered 60, which fires at 200 with
    // 80 and 99 after it: partial sums, then the final sum at the window's end.
    let got = out.values();
    assert_eq!(got.first(), Some(&1));
    assert_eq!(got.last(), Some(&7));
    assert!(
        got.windows(2).all(|w| w[0] <= w[1]),
        "sums only grow: {got:?}"
    );
    assert!(got.contains(&3));
}

/// Counts per window, counting how often `add` runs.
#[derive(Clone)]
struct CountingAdds(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl AggregateFunction<Elem, i64, i64> for CountingAdds {
    fn create_accumulator(&self) -> i64 {
        0
    }
    fn add(&self, value: Elem, acc: &mut i64) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *acc += value.1;
    }
    fn get_result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[test]
fn sliding_aggregates_update_one_slice_per_element_and_match_full_windows() {
    let input = elements(3_000, 9);
    // A slide that does not divide the size: slices of gcd(3 000, 1 200) = 600 ms.
    let (size, slide) = (3_000, 1_200);
    let want = expected_sums(&input, |ts| {
        let last = ts - ts.rem_euclid(slide);
        (0..)
            .map(|i| last - i * slide)
            .take_while(|s| *s > ts - size)
            .map(|s| (s, s + size))
            .collect()
    });
    for p in [1, 2] {
        let adds = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let env = env_of(p);
        let assigner = SlidingEventTimeWindows::of(
            Duration::from_millis(size as u64),
            Duration::from_millis(slide as u64),
        )
        .unwrap();
        let sliced = stamped(&env, input.clone())
            .key_by(|e: &Elem| e.0)
            .window(assigner)
            .aggregate_with(CountingAdds(adds.clone()), Tag)
            .collect();
        // The same windows with all elements kept, as a cross-check.
        let full = stamped(&env, input.clone())
            .key_by(|e: &Elem| e.0)
            .window(assigner)
            .apply(
                |k: &u64,
                 w: &TimeWindow,
                 e: Vec<Elem>,
                 out: &mut Collector<'_, (u64, i64, i64, i64)>| {
                    out.collect((*k, w.start, w.end, e.iter().map(|e| e.1).sum()));
                },
            )
            .collect();
        let result = env.execute("sliced").unwrap();
        assert_eq!(sorted(sliced.values()), want, "sliced, parallelism {p}");
        assert_eq!(sorted(full.values()), want, "full windows, parallelism {p}");
        assert_eq!(
            adds.load(std::sync::atomic::Ordering::Relaxed),
            input.len() as u64,
            "one accumulator update per element, not size / slide"
        );
        let keys: u64 = result.tasks.iter().map(|t| t.state_keys).sum();
        assert_eq!(keys, 0, "every slice is dropped once its last window fired");
    }
}

/// Emits `n` elements at once, then stays (idle) for `stay` on the slot's clock.
struct BurstThenStay {
    n: u64,
    clock: weir_core::runtime::clock::SharedClock,
    until: Option<u64>,
    stay: Duration,
}

impl Source<Elem> for BurstThenStay {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, Elem>,
        _max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let until = match self.until {
            Some(u) => u,
            None => {
                for i in 0..self.n {
                    ctx.collect((i % 2, 1, 0))?;
                }
                *self
                    .until
                    .insert(self.clock.now_nanos() + self.stay.as_nanos() as u64)
            }
        };
        if self.clock.now_nanos() >= until {
            return Ok(SourceStatus::Finished);
        }
        Ok(SourceStatus::IdleUntil(until))
    }
}

#[test]
fn processing_time_windows_fire_on_the_slot_clock() {
    use weir_core::window::TumblingProcessingTimeWindows;
    let env = env_of(1);
    let out = env
        .add_source("Burst", |ctx| {
            Ok(BurstThenStay {
                n: 100,
                clock: ctx.clock.clone(),
                until: None,
                stay: Duration::from_millis(400),
            })
        })
        .key_by(|e: &Elem| e.0)
        .window(TumblingProcessingTimeWindows::of(Duration::from_millis(50)).unwrap())
        .aggregate_with(Sum, Tag)
        .collect();
    env.execute("processing time").unwrap();
    let got = out.values();
    // The burst may straddle a window boundary; every element is counted exactly once,
    // and the windows fired while the source stayed, before the end of input.
    assert_eq!(got.iter().map(|r| r.3).sum::<i64>(), 100, "{got:?}");
    assert!(got.iter().all(|r| r.2 - r.1 == 50));
    assert!((2..=4).contains(&got.len()), "{got:?}");
}

#[test]
fn window_join_and_co_group_match_a_nested_loop_per_window() {
    let left = elements(800, 6);
    let right: Vec<Elem> = elements(900, 6)
        .into_iter()
        .map(|(k, v, ts)| (k, v + 1_000, ts))
        .collect();
    let size = 1_000;
    let window_of = |ts: i64| ts - ts.rem_euclid(size);
    let mut want_join = Vec::new();
    for l in &left {
        for r in &right {
            if l.0 == r.0 && window_of(l.2) == window_of(r.2) {
                want_join.push((l.0, l.1, r.1));
            }
        }
    }
    want_join.sort();
    let mut groups: BTreeMap<(u64, i64), (i64, i64)> = BTreeMap::new();
    for l in &left {
        groups.entry((l.0, window_of(l.2))).or_default().0 += 1;
    }
    for r in &right {
        groups.entry((r.0, window_of(r.2))).or_default().1 += 1;
    }
    let want_groups: Vec<(u64, i64, i64)> = sorted(
        groups
            .into_iter()
            .map(|((k, _), (a, b))| (k, a, b))
            .collect(),
    );
    for p in [1, 2] {
        let env = env_of(p);
        let (a, b) = (stamped(&env, left.clone()), stamped(&env, right.clone()));
        let tumbling = TumblingEventTimeWindows::of(Duration::from_millis(size as u64)).unwrap();
        let joined = a
            .join(&b)
            .where_key(|e: &Elem| e.0)
            .equal_to(|e: &Elem| e.0)
            .window(tumbling)
            .apply(|l: &Elem, r: &Elem| (l.0, l.1, r.1))
            .collect();
        let grouped = a
            .co_group(&b)
            .where_key(|e: &Elem| e.0)
            .equal_to(|e: &Elem| e.0)
            .window(tumbling)
            .apply(
                |l: Vec<Elem>, r: Vec<Elem>, out: &mut Collector<'_, (u64, i64, i64)>| {
                    let key = l.first().or(r.first()).map_or(0, |e| e.0);
                    out.collect((key, l.len() as i64, r.len() as i64));
                },
            )
            .collect();
        let result = env.execute("window join").unwrap();
        assert_eq!(sorted(joined.values()), want_join, "join, parallelism {p}");
        assert_eq!(
            sorted(grouped.values()),
            want_groups,
            "co-group, parallelism {p}"
        );
        let keys: u64 = result.tasks.iter().map(|t| t.state_keys).sum();
        assert_eq!(keys, 0, "windows are dropped once joined");
    }
}
