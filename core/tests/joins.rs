//! Joins of two keyed streams through the runtime, at parallelism 1 and 2: the interval
//! join against a nested-loop join, late data, state cleanup.

use std::time::Duration;

use weir_core::api::StreamExecutionEnvironment;
use weir_core::operator::join::JoinContext;
use weir_core::operator::process::{Collector, Context, OutputTag};
use weir_core::time::WatermarkStrategy;

mod common;
mod join_support;

use join_support::{events, scripted, state_of, Event, Rng, Step};

/// An environment of 2 slots at `parallelism`.
fn env_at(parallelism: usize) -> StreamExecutionEnvironment {
    let env = common::env_with(2, "0");
    env.set_parallelism(parallelism).unwrap();
    env
}

/// A joined pair as the test function reports it: left id, right id, left timestamp,
/// right timestamp, the context's pair timestamp, and the record's timestamp.
type Joined = (i64, i64, i64, i64, i64, i64);

fn describe(l: &Event, r: &Event, ctx: &mut JoinContext<'_>, out: &mut Collector<'_, Joined>) {
    let (lt, rt) = (ctx.left_timestamp(), ctx.right_timestamp());
    out.collect((l.1, r.1, lt, rt, ctx.timestamp(), 0));
}

fn with_record_timestamp(j: Joined, ctx: &mut Context<'_>, out: &mut Collector<'_, Joined>) {
    out.collect((j.0, j.1, j.2, j.3, j.4, ctx.timestamp().unwrap_or(i64::MIN)));
}

/// The nested-loop interval join: `right.ts - left.ts ∈ [lower, upper]` (inclusive).
fn nested_loop(left: &[Event], right: &[Event], lower: i64, upper: i64) -> Vec<Joined> {
    let mut out = Vec::new();
    for l in left {
        for r in right.iter().filter(|r| r.0 == l.0) {
            if (lower..=upper).contains(&(r.2 - l.2)) {
                let ts = l.2.max(r.2);
                out.push((l.1, r.1, l.2, r.2, ts, ts));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn interval_joins_match_a_nested_loop_join_and_clean_their_state() {
    let mut rng = Rng(7);
    let left = events(&mut rng, 400, 0, 6, 3, 20);
    let right = events(&mut rng, 300, 10_000, 6, 4, 20);
    // (lower, upper, lower exclusive, upper exclusive, effective inclusive bounds)
    let cases = [
        (-10, 15, false, false, (-10, 15)),
        (-30, -5, false, false, (-30, -5)),
        (5, 40, false, false, (5, 40)),
        (-10, 10, true, true, (-9, 9)),
        (0, 1, true, false, (1, 1)),
    ];
    for parallelism in [1, 2] {
        let env = env_at(parallelism);
        // A watermark with every element, 21 ms behind it: no element is ever late.
        let stamp = || {
            WatermarkStrategy::for_punctuated(|_: &Event, ts| Some(ts - 21))
                .with_timestamp_assigner(|e: &Event, _| e.2)
        };
        let l = env
            .from_collection(left.clone())
            .assign_timestamps_and_watermarks(stamp());
        let r = env
            .from_collection(right.clone())
            .assign_timestamps_and_watermarks(stamp());
        let (l, r) = (l.set_parallelism(1), r.set_parallelism(1));
        let (lk, rk) = (l.key_by(|e: &Event| e.0), r.key_by(|e: &Event| e.0));
        let handles: Vec<_> = cases
            .iter()
            .map(|&(lower, upper, lower_ex, upper_ex, _)| {
                let mut join = lk.interval_join(&rk).between(lower, upper).unwrap();
                if lower_ex {
                    join = join.lower_bound_exclusive();
                }
                if upper_ex {
                    join = join.upper_bound_exclusive();
                }
                join.process(describe)
                    .process(with_record_timestamp)
                    .collect()
            })
            .collect();
        let result = env.execute("interval joins").unwrap();
        for (case, handle) in cases.iter().zip(handles) {
            let mut got = handle.values();
            got.sort();
            let (lower, upper) = case.4;
            let want = nested_loop(&left, &right, lower, upper);
            assert!(!want.is_empty(), "case {case:?} joins something");
            assert_eq!(got, want, "case {case:?} at parallelism {parallelism}");
        }
        // The watermark passed every buffered element: no entry is left, only the
        // capacity the tables keep (as Flink's heap state tables, they do not shrink).
        let (keys, bytes) = state_of(&result, "Interval Join");
        assert_eq!(keys, 0, "every buffer was cleaned");
        let states = (2 * cases.len() * parallelism) as u64;
        assert!(
            bytes < states * 16 * 1024,
            "{bytes} bytes left in {states} states"
        );
    }
}

#[test]
fn late_elements_are_dropped_or_sent_to_their_side_outputs() {
    use Step::{Record as Rec, Sleep, Watermark as Wm};
    // Each side sends its watermark 1000 at once and, 300 ms later, an element behind
    // it (late: the other side's watermark has reached the join by then) and one at it.
    let pause = Sleep(Duration::from_millis(300));
    let left = vec![
        Rec((1, 1, 990)),
        Wm(1000),
        pause.clone(),
        Rec((1, 2, 995)),
        Rec((1, 3, 1000)),
    ];
    let right = vec![
        Rec((1, 10, 995)),
        Rec((1, 11, 1000)),
        Wm(1000),
        pause,
        Rec((1, 12, 990)),
        Rec((1, 13, 1005)),
    ];
    for parallelism in [1, 2] {
        let env = env_at(parallelism);
        let l = scripted(&env, "left", left.clone()).key_by(|e: &Event| e.0);
        let r = scripted(&env, "right", right.clone()).key_by(|e: &Event| e.0);
        let (left_late, right_late) = (
            OutputTag::<Event>::new("left-late"),
            OutputTag::new("right-late"),
        );
        let pairs = |j: weir_core::api::IntervalJoined<Event, Event, i64>| {
            j.process(
                |l: &Event,
                 r: &Event,
                 _: &mut JoinContext<'_>,
                 out: &mut Collector<'_, (i64, i64)>| { out.collect((l.1, r.1)) },
            )
        };
        let tagged = pairs(
            l.interval_join(&r)
                .between(-10, 10)
                .unwrap()
                .side_output_left_late_data(&left_late)
                .side_output_right_late_data(&right_late),
        );
        let dropped = pairs(l.interval_join(&r).between(-10, 10).unwrap()).collect();
        let (main, lates) = (tagged.collect(), tagged.side_output(&left_late).collect());
        let rlates = tagged.side_output(&right_late).collect();
        env.execute("late data").unwrap();
        let want = [(1, 10), (1, 11), (3, 10), (3, 11), (3, 13)];
        for got in [main.values(), dropped.values()] {
            let mut got = got;
            got.sort();
            assert_eq!(got, want, "at parallelism {parallelism}");
        }
        assert_eq!(lates.values(), [(1, 2, 995)]);
        assert_eq!(rlates.values(), [(1, 12, 990)]);
    }
}

#[test]
fn an_interval_join_fails_on_elements_without_timestamps_naming_itself() {
    let env = env_at(1);
    let l = env
        .from_collection(vec![(1i64, 1i64, 1i64)])
        .key_by(|e: &Event| e.0);
    let r = env
        .from_collection(vec![(1i64, 2i64, 1i64)])
        .key_by(|e: &Event| e.0);
    assert!(
        l.interval_join(&r).between(2, 1).is_err(),
        "lower > upper is refused"
    );
    l.interval_join(&r)
        .between(0, 1)
        .unwrap()
        .process(describe)
        .name("payments by order")
        .collect();
    let err = env.execute("no timestamps").unwrap_err().to_string();
    assert!(err.contains("payments by order (1/1)"), "{err}");
    assert!(err.contains("has no timestamp"), "{err}");
}
