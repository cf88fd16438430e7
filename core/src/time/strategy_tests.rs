use super::*;
use crate::runtime::clock::ManualClock;

use ValveOutput::{Status, Watermark};
use WatermarkStatus::{Active, Idle};

const MS: u64 = 1_000_000;

fn take(out: &mut WatermarkOutput) -> Vec<ValveOutput> {
    out.take().collect()
}

#[test]
fn bounded_out_of_orderness_trails_the_highest_timestamp() {
    let mut g = BoundedOutOfOrderness::new(Duration::from_secs(4));
    let mut out = WatermarkOutput::default();
    WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
    assert!(take(&mut out).is_empty(), "no event, no watermark");
    for ts in [10_000, 5_000, 20_000, 12_000] {
        g.on_event(&(), ts, &mut out);
    }
    assert!(take(&mut out).is_empty(), "periodic: nothing per event");
    WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
    assert_eq!(take(&mut out), [Watermark(15_999)]);
    WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
    assert!(
        take(&mut out).is_empty(),
        "the same watermark is not sent twice"
    );
    // Extreme timestamps saturate instead of wrapping.
    let mut out = WatermarkOutput::default();
    let mut low = BoundedOutOfOrderness::new(Duration::from_secs(4));
    low.on_event(&(), i64::MIN, &mut out);
    WatermarkGenerator::<()>::on_periodic_emit(&mut low, &mut out);
    assert_eq!(take(&mut out), [Watermark(i64::MIN)]);
}

#[test]
fn the_output_is_monotone_and_a_watermark_ends_idleness() {
    let mut out = WatermarkOutput::default();
    out.emit_watermark(5);
    out.emit_watermark(3);
    out.mark_idle();
    out.mark_idle();
    assert!(out.is_idle());
    out.emit_watermark(5);
    assert!(out.is_idle(), "a watermark that is not new changes nothing");
    out.emit_watermark(9);
    assert_eq!(
        take(&mut out),
        [Watermark(5), Status(Idle), Status(Active), Watermark(9)]
    );
    assert_eq!(out.current(), Some(9));
}

#[test]
fn the_idleness_timer_counts_from_the_first_quiet_check() {
    let mut t = IdlenessTimer::new(Duration::from_millis(100));
    t.activity();
    assert!(!t.check_if_idle(0), "activity since the last check");
    assert!(
        !t.check_if_idle(10 * MS),
        "first quiet check starts the count"
    );
    assert!(
        !t.check_if_idle(110 * MS),
        "exactly the timeout is not past it"
    );
    assert!(t.check_if_idle(111 * MS));
    t.activity();
    assert!(!t.check_if_idle(112 * MS), "activity ends idleness");
}

#[test]
fn a_strategy_with_idleness_goes_idle_and_comes_back_with_events() {
    let clock = ManualClock::new(0);
    let shared: SharedClock = clock.clone();
    let strategy = WatermarkStrategy::<i64>::for_monotonous_timestamps()
        .with_idleness(Duration::from_millis(100))
        .with_timestamp_assigner(|v, _| *v);
    let mut assign = strategy.create_assigner(&shared).unwrap();
    assert_eq!(assign(&42, 7), 42);
    let mut g = strategy.create_generator(&shared);
    let mut out = WatermarkOutput::default();
    g.on_event(&10, 10, &mut out);
    let periodic = |g: &mut Box<dyn WatermarkGenerator<i64>>, out: &mut WatermarkOutput, at| {
        clock.set_nanos(at);
        g.on_periodic_emit(out);
        take(out)
    };
    assert_eq!(periodic(&mut g, &mut out, 0), [Watermark(9)]);
    assert_eq!(periodic(&mut g, &mut out, 200 * MS), [], "quiet: counting");
    assert_eq!(periodic(&mut g, &mut out, 400 * MS), [Status(Idle)]);
    assert_eq!(periodic(&mut g, &mut out, 600 * MS), [], "idle once");
    g.on_event(&30, 30, &mut out);
    assert_eq!(
        periodic(&mut g, &mut out, 800 * MS),
        [Status(Active), Watermark(29)]
    );
}

#[test]
fn punctuated_and_no_watermarks() {
    let clock: SharedClock = ManualClock::new(0);
    let every_tenth = WatermarkStrategy::<i64>::for_punctuated(|v, ts| (v % 10 == 0).then_some(ts));
    let mut g = every_tenth.create_generator(&clock);
    let mut out = WatermarkOutput::default();
    for v in 1..=25 {
        g.on_event(&v, v * 100, &mut out);
    }
    g.on_periodic_emit(&mut out);
    assert_eq!(take(&mut out), [Watermark(1_000), Watermark(2_000)]);
    let mut none = WatermarkStrategy::<i64>::no_watermarks().create_generator(&clock);
    none.on_event(&1, 1, &mut out);
    none.on_periodic_emit(&mut out);
    assert!(take(&mut out).is_empty());
    assert!(WatermarkStrategy::<i64>::no_watermarks()
        .create_assigner(&clock)
        .is_none());
}

#[test]
fn ingestion_time_stamps_the_clock_and_never_goes_back() {
    let clock = ManualClock::new(5_000 * MS);
    let shared: SharedClock = clock.clone();
    let strategy = WatermarkStrategy::<i64>::for_ingestion_time();
    let mut assign = strategy.create_assigner(&shared).unwrap();
    assert_eq!(assign(&1, -1), 5_000);
    clock.set_nanos(7_000 * MS);
    assert_eq!(
        assign(&1, 123),
        7_000,
        "the record's own timestamp is replaced"
    );
    clock.set_nanos(6_000 * MS);
    assert_eq!(assign(&1, -1), 7_000, "a clock stepping back does not");
    let mut g = strategy.create_generator(&shared);
    let mut out = WatermarkOutput::default();
    g.on_event(&1, 7_000, &mut out);
    g.on_periodic_emit(&mut out);
    assert_eq!(take(&mut out), [Watermark(6_999)]);
}
