use super::*;
use proptest::prelude::*;

use WatermarkStatus::{Active, Idle};

fn wms(e: Emitted) -> Vec<ValveOutput> {
    e.into_iter().collect()
}

#[test]
fn the_minimum_over_channels_never_goes_back() {
    let mut v = StatusWatermarkValve::new(2);
    assert!(v.on_watermark(0, 10).is_empty());
    assert_eq!(wms(v.on_watermark(1, 5)), [ValveOutput::Watermark(5)]);
    assert!(v.on_watermark(1, 3).is_empty(), "a channel never goes back");
    assert_eq!(wms(v.on_watermark(1, 20)), [ValveOutput::Watermark(10)]);
    assert_eq!(wms(v.on_end(0)), [ValveOutput::Watermark(20)]);
    assert_eq!(v.current(), 20);
    assert!(
        v.on_watermark(7, 99).is_empty(),
        "an unknown channel is ignored"
    );
}

#[test]
fn an_idle_channel_stops_holding_the_watermark_back_and_rejoins_when_caught_up() {
    let mut v = StatusWatermarkValve::new(2);
    v.on_watermark(0, 100);
    assert_eq!(wms(v.on_watermark(1, 10)), [ValveOutput::Watermark(10)]);
    // Channel 1 holds the output at 10; idle, it lets it go to 100.
    assert_eq!(wms(v.on_status(1, Idle)), [ValveOutput::Watermark(100)]);
    assert!(
        v.on_watermark(1, 50).is_empty(),
        "idle watermarks are ignored"
    );
    // Back, but behind: it does not pull the output back, nor hold it.
    assert!(
        v.on_status(1, Active).is_empty(),
        "the valve itself stayed active"
    );
    assert_eq!(wms(v.on_watermark(0, 150)), [ValveOutput::Watermark(150)]);
    assert!(v.on_watermark(1, 120).is_empty(), "still behind 150");
    // Caught up, it counts again.
    assert!(v.on_watermark(1, 160).is_empty());
    assert_eq!(wms(v.on_watermark(0, 200)), [ValveOutput::Watermark(160)]);
}

#[test]
fn all_idle_emits_the_highest_watermark_then_idle_and_any_channel_reactivates() {
    let mut v = StatusWatermarkValve::new(3);
    v.on_watermark(0, 10);
    v.on_watermark(1, 30);
    assert_eq!(wms(v.on_watermark(2, 20)), [ValveOutput::Watermark(10)]);
    assert_eq!(wms(v.on_status(0, Idle)), [ValveOutput::Watermark(20)]);
    assert_eq!(wms(v.on_status(2, Idle)), [ValveOutput::Watermark(30)]);
    assert_eq!(
        wms(v.on_status(1, Idle)),
        [ValveOutput::Status(Idle)],
        "the highest watermark was already out"
    );
    assert_eq!(v.status(), Idle);
    assert!(v.on_status(1, Idle).is_empty(), "idle twice is idle");
    assert_eq!(wms(v.on_status(0, Active)), [ValveOutput::Status(Active)]);
    assert!(v.on_status(2, Active).is_empty());
}

#[test]
fn going_idle_with_a_higher_channel_emits_its_watermark_first() {
    let mut v = StatusWatermarkValve::new(2);
    v.on_watermark(0, 5);
    v.on_watermark(1, 9);
    assert_eq!(v.current(), 5);
    assert_eq!(wms(v.on_status(1, Idle)), []);
    assert_eq!(
        wms(v.on_status(0, Idle)),
        [ValveOutput::Watermark(9), ValveOutput::Status(Idle)]
    );
}

#[test]
fn ending_every_other_channel_while_the_rest_is_idle_makes_the_valve_idle() {
    let mut v = StatusWatermarkValve::new(2);
    v.on_watermark(0, 5);
    v.on_status(1, Idle);
    assert_eq!(v.current(), 5);
    assert_eq!(wms(v.on_end(0)), [ValveOutput::Status(Idle)]);
    assert!(v.on_end(1).is_empty(), "no channel left: nothing to say");
    assert!(v.on_end(1).is_empty(), "ending twice is harmless");
}

#[derive(Debug, Clone)]
enum Op {
    Watermark(usize, i64),
    Status(usize, WatermarkStatus),
    End(usize),
}

fn op(channels: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..channels, -5i64..60).prop_map(|(c, t)| Op::Watermark(c, t)),
        2 => (0..channels, prop_oneof![Just(Idle), Just(Active)]).prop_map(|(c, s)| Op::Status(c, s)),
        1 => (0..channels).prop_map(Op::End),
    ]
}

fn run() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (1usize..5).prop_flat_map(|n| (Just(n), proptest::collection::vec(op(n), 0..80)))
}

proptest! {
    /// Random interleavings on N channels: the output is monotone, never ahead of a
    /// channel that has been active throughout, idle exactly when every live channel
    /// is, and without idleness it is exactly the minimum over the live channels.
    #[test]
    fn the_valve_keeps_flinks_invariants((n, ops) in run()) {
        let mut v = StatusWatermarkValve::new(n);
        // What each channel has reported, as the valve must see it.
        let mut wm = vec![i64::MIN; n];
        let mut active = vec![true; n];
        let mut ended = vec![false; n];
        let mut ever_idle = vec![false; n];
        let mut last = i64::MIN;
        let mut status = Active;
        for op in ops {
            let out = match op {
                Op::Watermark(c, t) => {
                    if active[c] && !ended[c] {
                        wm[c] = wm[c].max(t);
                    }
                    v.on_watermark(c, t)
                }
                Op::Status(c, s) => {
                    if !ended[c] {
                        active[c] = s == Active;
                        ever_idle[c] |= s == Idle;
                    }
                    v.on_status(c, s)
                }
                Op::End(c) => {
                    ended[c] = true;
                    v.on_end(c)
                }
            };
            for o in out {
                match o {
                    ValveOutput::Watermark(w) => {
                        prop_assert!(w > last, "monotone: {w} after {last}");
                        last = w;
                        // The highest watermark is emitted when all go idle; otherwise no
                        // channel active since the start may be behind it.
                        if status == Active && v.status() == Active {
                            for c in 0..n {
                                if active[c] && !ended[c] && !ever_idle[c] {
                                    prop_assert!(w <= wm[c], "ahead of channel {c}: {w} > {}", wm[c]);
                                }
                            }
                        }
                    }
                    ValveOutput::Status(s) => {
                        prop_assert_ne!(s, status, "a status change changes the status");
                        status = s;
                    }
                }
            }
            prop_assert_eq!(v.current(), last);
            prop_assert_eq!(v.status(), status);
            let live: Vec<usize> = (0..n).filter(|&c| !ended[c]).collect();
            if !live.is_empty() && live.iter().all(|&c| !active[c]) {
                prop_assert_eq!(status, Idle, "every live channel is idle");
            }
            if live.iter().any(|&c| active[c]) {
                prop_assert_eq!(status, Active, "a live channel is active");
            }
            if !ever_idle.iter().any(|&i| i) {
                if let Some(min) = live.iter().map(|&c| wm[c]).min() {
                    prop_assert_eq!(last, min, "exactly the minimum without idleness");
                }
            }
        }
        // End of input: every live channel sends the maximum, active.
        for c in 0..n {
            v.on_status(c, Active);
            v.on_watermark(c, i64::MAX);
        }
        if (0..n).any(|c| !ended[c]) {
            prop_assert_eq!(v.current(), i64::MAX);
        }
    }
}
