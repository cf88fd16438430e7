use super::*;
use crate::operator::join::test_rig::{pair, rig, Pair, Rig};
use crate::operator::process::SideOutputs;
use crate::operator::two_input::TwoInputOperator;
use crate::record::NO_TIMESTAMP;

/// What the test join emits: left value, right value, left ts, right ts, pair ts.
type Out = (i64, i64, i64, i64, i64);

fn describe(l: &Pair, r: &Pair, ctx: &mut JoinContext<'_>, out: &mut Collector<'_, Out>) {
    out.collect((
        l.1,
        r.1,
        ctx.left_timestamp(),
        ctx.right_timestamp(),
        ctx.timestamp(),
    ));
}

type DescribeFn = fn(&Pair, &Pair, &mut JoinContext<'_>, &mut Collector<'_, Out>);
type JoinRig = Rig<Out, IntervalJoiner<Pair, Pair, DescribeFn>>;

fn join_rig(bounds: IntervalBounds, side: SideOutputs, late: bool) -> JoinRig {
    let (left_late, right_late) = if late {
        (
            Some(OutputTag::new("left-late")),
            Some(OutputTag::new("right-late")),
        )
    } else {
        (None, None)
    };
    let f: DescribeFn = describe;
    let joiner = IntervalJoiner::new(
        f,
        bounds,
        "Interval Join (1/1)".into(),
        left_late,
        right_late,
    );
    rig(joiner, side)
}

#[test]
fn pairs_in_range_join_with_the_later_timestamp_from_either_side() {
    let mut r = join_rig(
        IntervalBounds::new(-2, 1).unwrap(),
        SideOutputs::default(),
        false,
    );
    r.op.collect1(pair("a", 1), 10).unwrap();
    r.op.collect2(pair("a", 2), 8).unwrap(); // 8 - 10 = -2: joins
    r.op.collect2(pair("b", 3), 10).unwrap(); // other key
    r.op.collect2(pair("a", 4), 12).unwrap(); // +2: out of range
    r.op.collect1(pair("a", 5), 11).unwrap(); // joins 12 (+1) only; 8 is -3
    r.op.collect2(pair("a", 6), 11).unwrap(); // joins 10 (+1) and 11 (0)
    let mut got: Vec<(Out, i64)> = r.seen.borrow().clone();
    got.sort();
    assert_eq!(
        got,
        [
            ((1, 2, 10, 8, 10), 10),
            ((1, 6, 10, 11, 11), 11),
            ((5, 4, 11, 12, 12), 12),
            ((5, 6, 11, 11, 11), 11),
        ]
    );
}

#[test]
fn late_elements_are_dropped_or_go_to_their_side_output() {
    let (left_out, left_seen) = crate::operator::basic::tests::capture::<Pair>();
    let (right_out, right_seen) = crate::operator::basic::tests::capture::<Pair>();
    let mut side = SideOutputs::default();
    side.register("left-late", left_out);
    side.register("right-late", right_out);
    for late_tags in [false, true] {
        let side = if late_tags {
            std::mem::take(&mut side)
        } else {
            SideOutputs::default()
        };
        let mut r = join_rig(IntervalBounds::new(-10, 10).unwrap(), side, late_tags);
        r.op.collect1(pair("a", 1), 100).unwrap();
        r.op.emit_watermark(100).unwrap();
        r.op.collect2(pair("a", 2), 99).unwrap(); // late: would have joined
        r.op.collect1(pair("a", 3), 98).unwrap(); // late
        r.op.collect2(pair("a", 4), 100).unwrap(); // at the watermark: on time
        let got: Vec<Out> = r.seen.borrow().iter().map(|s| s.0).collect();
        assert_eq!(got, [(1, 4, 100, 100, 100)]);
    }
    assert_eq!(*left_seen.borrow(), [(("a".to_string(), 3), 98)]);
    assert_eq!(*right_seen.borrow(), [(("a".to_string(), 2), 99)]);
}

#[test]
fn buffers_are_cleaned_once_the_watermark_passes_their_bounds() {
    let mut r = join_rig(
        IntervalBounds::new(-5, 10).unwrap(),
        SideOutputs::default(),
        false,
    );
    r.op.collect1(pair("a", 1), 100).unwrap(); // left kept until 110
    r.op.collect2(pair("a", 2), 100).unwrap(); // right kept until 105
    r.op.collect2(pair("b", 3), 100).unwrap(); // right kept until 105
    assert_eq!(r.sizes.total().0, 3, "two buffers of a, one of b");
    let full_bytes = r.sizes.total().1;
    r.op.emit_watermark(104).unwrap();
    assert_eq!(r.sizes.total().0, 3);
    r.op.emit_watermark(105).unwrap();
    assert_eq!(r.sizes.total().0, 1, "the right buffers went at 105");
    assert!(r.sizes.total().1 < full_bytes);
    // Until 110 the left element still joins a right element that is not late.
    r.op.collect2(pair("a", 4), 110).unwrap();
    assert_eq!(r.seen.borrow().len(), 2);
    r.op.emit_watermark(115).unwrap();
    assert_eq!(
        r.sizes.total().0,
        0,
        "everything cleaned: {:?}",
        r.sizes.total()
    );
}

#[test]
fn a_cleanup_timer_at_the_end_of_event_time_drops_the_key_s_buffers() {
    let mut r = join_rig(
        IntervalBounds::new(-5, 10).unwrap(),
        SideOutputs::default(),
        false,
    );
    r.op.collect1(pair("a", 1), i64::MAX - 2).unwrap();
    r.op.collect2(pair("a", 2), i64::MAX - 1).unwrap();
    assert_eq!(r.seen.borrow().len(), 1);
    r.op.emit_watermark(i64::MAX - 1).unwrap();
    assert_eq!(r.sizes.total().0, 2, "cleanup times saturated at i64::MAX");
    r.op.emit_watermark(i64::MAX).unwrap();
    assert_eq!(r.sizes.total().0, 0);
}

#[test]
fn an_element_without_a_timestamp_fails_naming_the_operator() {
    let mut r = join_rig(
        IntervalBounds::new(0, 1).unwrap(),
        SideOutputs::default(),
        false,
    );
    let err =
        r.op.collect2(pair("a", 1), NO_TIMESTAMP)
            .unwrap_err()
            .to_string();
    assert!(err.contains("Interval Join (1/1)"), "{err}");
    assert!(err.contains("right input has no timestamp"), "{err}");
}
