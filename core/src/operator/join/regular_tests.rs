use super::*;
use crate::operator::join::test_rig::{pair, rig, Pair, Rig};
use crate::operator::join::RowKind;
use crate::operator::process::SideOutputs;
use crate::operator::two_input::TwoInputOperator;

/// Output rows: the left and right values, `None` where padded.
type Row = (Option<i64>, Option<i64>);
type JoinRig = Rig<Change<Row>, RegularJoiner<Pair, Pair, Row>>;

fn join_rig(kind: JoinType, ttl: Option<Duration>) -> JoinRig {
    let f: JoinFn<Pair, Pair, Row> = Arc::new(|l, r| (l.map(|p| p.1), r.map(|p| p.1)));
    let ttl = ttl.map(|t| retention_ttl(t).unwrap().unwrap());
    rig(
        RegularJoiner::new(f, kind, ttl, "Regular Join (1/1)".into()),
        SideOutputs::default(),
    )
}

/// Takes what the operator emitted so far, as `(kind, left, right)`.
fn drain(r: &JoinRig) -> Vec<(RowKind, Option<i64>, Option<i64>)> {
    let seen = std::mem::take(&mut *r.seen.borrow_mut());
    seen.into_iter()
        .map(|(c, ts)| {
            assert_eq!(
                ts,
                crate::record::NO_TIMESTAMP,
                "join output has no timestamp"
            );
            (c.kind, c.row.0, c.row.1)
        })
        .collect()
}

use RowKind::{Delete as D, Insert as I};

#[test]
fn join_types_name_their_outer_sides() {
    let sides = |k: JoinType| (k.left_is_outer(), k.right_is_outer());
    assert_eq!(sides(JoinType::Inner), (false, false));
    assert_eq!(sides(JoinType::LeftOuter), (true, false));
    assert_eq!(sides(JoinType::RightOuter), (false, true));
    assert_eq!(sides(JoinType::FullOuter), (true, true));
}

#[test]
fn an_inner_join_emits_every_pair_of_a_key_once() {
    let mut r = join_rig(JoinType::Inner, None);
    r.op.collect1(pair("a", 1), 5).unwrap();
    r.op.collect2(pair("b", 2), 6).unwrap();
    assert_eq!(drain(&r), []);
    r.op.collect2(pair("a", 3), 7).unwrap();
    assert_eq!(drain(&r), [(I, Some(1), Some(3))]);
    r.op.collect1(pair("a", 4), 8).unwrap();
    assert_eq!(drain(&r), [(I, Some(4), Some(3))]);
    r.op.collect2(pair("a", 5), 9).unwrap();
    let mut got = drain(&r);
    got.sort();
    assert_eq!(got, [(I, Some(1), Some(5)), (I, Some(4), Some(5))]);
}

#[test]
fn a_left_join_retracts_the_padded_row_when_the_first_match_arrives() {
    let mut r = join_rig(JoinType::LeftOuter, None);
    r.op.collect1(pair("a", 1), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(1), None)]);
    r.op.collect2(pair("a", 2), 0).unwrap();
    assert_eq!(
        drain(&r),
        [(D, Some(1), None), (I, Some(1), Some(2))],
        "the padded left row goes before the joined row comes"
    );
    // The left row is stored with its match count: no second retraction.
    r.op.collect2(pair("a", 3), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(1), Some(3))]);
    // Unmatched right rows are not kept in the result of a left join.
    r.op.collect2(pair("b", 4), 0).unwrap();
    assert_eq!(drain(&r), []);
    r.op.collect1(pair("b", 5), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(5), Some(4))]);
}

#[test]
fn an_outer_side_row_is_withdrawn_before_its_first_joined_row() {
    let mut r = join_rig(JoinType::RightOuter, None);
    r.op.collect2(pair("a", 1), 0).unwrap();
    r.op.collect2(pair("a", 1), 0).unwrap(); // a duplicate: padded twice
    assert_eq!(drain(&r), [(I, None, Some(1)), (I, None, Some(1))]);
    r.op.collect1(pair("a", 2), 0).unwrap();
    assert_eq!(
        drain(&r),
        [
            (D, None, Some(1)),
            (I, Some(2), Some(1)),
            (D, None, Some(1)),
            (I, Some(2), Some(1)),
        ]
    );
    r.op.collect1(pair("a", 3), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(3), Some(1)), (I, Some(3), Some(1))]);
}

#[test]
fn a_full_join_pads_and_retracts_on_both_sides() {
    let mut r = join_rig(JoinType::FullOuter, None);
    r.op.collect1(pair("a", 1), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(1), None)]);
    r.op.collect2(pair("a", 2), 0).unwrap();
    assert_eq!(drain(&r), [(D, Some(1), None), (I, Some(1), Some(2))]);
    r.op.collect2(pair("b", 3), 0).unwrap();
    assert_eq!(drain(&r), [(I, None, Some(3))]);
    r.op.collect1(pair("b", 4), 0).unwrap();
    assert_eq!(drain(&r), [(D, None, Some(3)), (I, Some(4), Some(3))]);
    assert_eq!(r.sizes.total().0, 4, "both sides of both keys are kept");
}

#[test]
fn the_retention_time_is_whole_milliseconds_and_zero_keeps_rows_forever() {
    assert_eq!(retention_ttl(Duration::ZERO).unwrap(), None);
    assert_eq!(retention_ttl(Duration::from_micros(999)).unwrap(), None);
    let ttl = retention_ttl(Duration::from_micros(1_500))
        .unwrap()
        .unwrap();
    assert_eq!(ttl.ttl(), Duration::from_millis(1));
    assert_eq!(ttl.update_type(), UpdateType::OnCreateAndWrite);
    assert_eq!(ttl.state_visibility(), StateVisibility::NeverReturnExpired);
}

#[test]
fn rows_older_than_the_retention_time_are_forgotten() {
    let mut r = join_rig(JoinType::LeftOuter, Some(Duration::from_secs(10)));
    r.op.collect1(pair("a", 1), 0).unwrap();
    r.op.collect1(pair("b", 2), 0).unwrap();
    assert_eq!(drain(&r).len(), 2);
    r.clock.advance_nanos(9_000_000_000);
    r.op.collect2(pair("a", 3), 0).unwrap();
    assert_eq!(drain(&r), [(D, Some(1), None), (I, Some(1), Some(3))]);
    // Its match count was written at 9 s, so the left row of a lives until 19 s (Flink
    // refreshes a row's retention whenever its count is written); b's row was written at 0.
    r.clock.advance_nanos(2_000_000_000);
    r.op.collect2(pair("b", 4), 0).unwrap();
    assert_eq!(drain(&r), [], "b's left row expired at 10 s");
    r.op.collect2(pair("a", 5), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(1), Some(5))]);
    r.clock.advance_nanos(20_000_000_000);
    r.op.collect1(pair("a", 6), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(6), None)], "every row of a expired");
    r.op.collect1(pair("b", 7), 0).unwrap();
    assert_eq!(drain(&r), [(I, Some(7), None)]);
    assert_eq!(
        r.sizes.total().0,
        2,
        "the right rows are gone: only the left side of a and b is kept"
    );
}
