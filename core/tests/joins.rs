//! Joins of two keyed streams through the runtime, at parallelism 1 and 2: the interval
//! join against a nested-loop join, late data, state cleanup; the regular join in state
//! against a batch join of its final result, retractions, state retention.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use weir_core::api::StreamExecutionEnvironment;
use weir_core::operator::join::{Change, JoinContext, JoinType, RowKind};
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
    // Each side sends its watermark 1000 at once and, 1 s later, an element behind
    // it (late: the other side's watermark has reached the join by then) and one at it.
    let pause = Sleep(Duration::from_millis(1_000));
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

/// An output row of the regular join: the left and right ids, `None` where padded.
type Row = (Option<i64>, Option<i64>);

/// Applies a changelog: an insert adds a row, a delete removes one earlier occurrence.
fn apply_changelog(changes: &[Change<Row>]) -> Vec<Row> {
    let mut rows: HashMap<Row, usize> = HashMap::new();
    for c in changes {
        match c.kind {
            RowKind::Insert => *rows.entry(c.row).or_default() += 1,
            RowKind::Delete => {
                let n = rows.get_mut(&c.row).filter(|n| **n > 0);
                *n.unwrap_or_else(|| panic!("{c:?} deletes a row not in the result")) -= 1;
            }
        }
    }
    let mut out: Vec<Row> = rows
        .into_iter()
        .flat_map(|(row, n)| std::iter::repeat_n(row, n))
        .collect();
    out.sort();
    out
}

/// The batch join of `left` and `right` by key.
fn batch_join(left: &[Event], right: &[Event], kind: JoinType) -> Vec<Row> {
    let mut out = Vec::new();
    for l in left {
        let partners: Vec<&Event> = right.iter().filter(|r| r.0 == l.0).collect();
        out.extend(partners.iter().map(|r| (Some(l.1), Some(r.1))));
        if partners.is_empty() && kind.left_is_outer() {
            out.push((Some(l.1), None));
        }
    }
    for r in right.iter().filter(|r| !left.iter().any(|l| l.0 == r.0)) {
        if kind.right_is_outer() {
            out.push((None, Some(r.1)));
        }
    }
    out.sort();
    out
}

#[test]
fn regular_joins_converge_to_the_batch_join_of_their_inputs() {
    let mut rng = Rng(11);
    // Keys 0..12 on the left, 4..16 on the right: some keys are one-sided.
    let left: Vec<Event> = events(&mut rng, 150, 0, 12, 1, 1);
    let right: Vec<Event> = events(&mut rng, 120, 1_000, 12, 1, 1)
        .into_iter()
        .map(|(k, id, ts)| (k + 4, id, ts))
        .collect();
    let kinds = [
        JoinType::Inner,
        JoinType::LeftOuter,
        JoinType::RightOuter,
        JoinType::FullOuter,
    ];
    for parallelism in [1, 2] {
        let env = env_at(parallelism);
        let l = env.from_collection(left.clone()).key_by(|e: &Event| e.0);
        let r = env.from_collection(right.clone()).key_by(|e: &Event| e.0);
        let handles: Vec<_> = kinds
            .iter()
            .map(|&kind| {
                l.join_in_state(&r, kind)
                    .apply(|l: Option<&Event>, r: Option<&Event>| (l.map(|e| e.1), r.map(|e| e.1)))
                    .collect()
            })
            .collect();
        let result = env.execute("regular joins").unwrap();
        for (kind, handle) in kinds.iter().zip(handles) {
            let changes = handle.values();
            let deletes = changes.iter().filter(|c| c.kind == RowKind::Delete).count();
            if *kind == JoinType::Inner {
                assert_eq!(deletes, 0, "an inner join only inserts");
            }
            let got = apply_changelog(&changes);
            let want = batch_join(&left, &right, *kind);
            assert_eq!(got, want, "{kind:?} at parallelism {parallelism}");
        }
        // Without retention every row stays: an entry per key and side, in each join.
        let distinct = |events: &[Event]| {
            let mut keys: Vec<i64> = events.iter().map(|e| e.0).collect();
            keys.sort();
            keys.dedup();
            keys.len() as u64
        };
        assert_eq!(
            state_of(&result, "Regular Join").0,
            kinds.len() as u64 * (distinct(&left) + distinct(&right))
        );
    }
}

#[test]
fn a_padded_row_is_retracted_when_its_first_match_arrives() {
    use Step::{Await, Record as Rec};
    for parallelism in [1, 2] {
        let env = env_at(parallelism);
        let padded = Arc::new(AtomicBool::new(false));
        // The right row comes only once the padded left row has left the join.
        let l = scripted(&env, "left", vec![Rec((7, 1, 0))]).key_by(|e: &Event| e.0);
        let r = scripted(&env, "right", vec![Await(padded.clone()), Rec((7, 2, 0))])
            .key_by(|e: &Event| e.0);
        let seen = padded.clone();
        let changes = l
            .join_in_state(&r, JoinType::LeftOuter)
            .apply(|l: Option<&Event>, r: Option<&Event>| (l.map(|e| e.1), r.map(|e| e.1)))
            .map(move |c: Change<Row>| {
                seen.store(true, Ordering::SeqCst);
                c
            })
            .collect();
        env.execute("retraction").unwrap();
        assert_eq!(
            changes.values(),
            [
                Change::insert((Some(1), None)),
                Change::delete((Some(1), None)),
                Change::insert((Some(1), Some(2))),
            ]
        );
    }
}

#[test]
fn a_regular_join_forgets_rows_after_the_state_retention_time() {
    use Step::{Await, Record as Rec, Sleep};
    let env = env_at(2);
    let padded = Arc::new(AtomicBool::new(false));
    // Key 1: the right row comes 2.5 s after the left row was stored, with a retention
    // of 1 s (generous, for loaded machines). Key 2: both rows come at once.
    let l = scripted(&env, "left", vec![Rec((2, 20, 0)), Rec((1, 10, 0))]).key_by(|e: &Event| e.0);
    let r = scripted(
        &env,
        "right",
        vec![
            Rec((2, 21, 0)),
            Await(padded.clone()),
            Sleep(Duration::from_millis(2_500)),
            Rec((1, 11, 0)),
        ],
    )
    .key_by(|e: &Event| e.0);
    let seen = padded.clone();
    let changes = l
        .join_in_state(&r, JoinType::LeftOuter)
        .state_ttl(Duration::from_millis(1_000))
        .apply(|l: Option<&Event>, r: Option<&Event>| (l.map(|e| e.1), r.map(|e| e.1)))
        .map(move |c: Change<Row>| {
            if c.row == (Some(10), None) {
                seen.store(true, Ordering::SeqCst);
            }
            c
        })
        .collect();
    env.execute("retention").unwrap();
    let got = apply_changelog(&changes.values());
    assert_eq!(
        got,
        [(Some(10), None), (Some(20), Some(21))],
        "left row 10 was forgotten"
    );
}
