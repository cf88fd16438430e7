use proptest::prelude::*;

use super::super::model::{Event, EventKind};
use super::super::test_support::python;
use super::Rng;
use super::*;

#[test]
fn default_config_and_validation() {
    let cfg = GeneratorConfig::default();
    assert_eq!((cfg.seed, cfg.rate, cfg.max_delay_ms), (1, 1000, 0));
    assert_eq!(cfg.validate(), Ok(()));
    let zero = GeneratorConfig { rate: 0, ..cfg };
    assert_eq!(zero.validate(), Err(GeneratorError::ZeroRate));
    assert_eq!(
        Generator::new(zero, 0..10, 1).err(),
        Some(GeneratorError::ZeroRate)
    );
    assert_eq!(
        Generator::new(cfg, 0..10, 0).err(),
        Some(GeneratorError::ZeroStep)
    );
    let err = Generator::subtask(cfg, 0..10, 3, 3).err();
    assert_eq!(
        err,
        Some(GeneratorError::SubtaskOutOfRange { index: 3, count: 3 })
    );
    assert!(err.unwrap().to_string().contains("subtask 3"));
}

#[test]
fn proportions_and_ids_follow_the_model() {
    let cfg = GeneratorConfig::default();
    let mut kinds = [0usize; 3];
    for (id, ev) in Generator::new(cfg, 0..1000, 1).unwrap() {
        kinds[ev.kind().code() as usize] += 1;
        let offset = id % 50;
        match ev {
            Event::Person(p) => {
                assert_eq!(offset, 0);
                assert_eq!(p.id, (id / 50) as i64 + 1000);
            }
            Event::Auction(a) => {
                assert!((1..=3).contains(&offset));
                assert_eq!(a.id, 3 * (id / 50) as i64 + offset as i64 - 1 + 1000);
                assert!((10..15).contains(&a.category));
                assert!(a.reserve >= a.initial_bid);
            }
            Event::Bid(b) => {
                assert!(offset >= 4);
                assert!(b.price >= 100 && b.price <= 100_000_000);
            }
        }
    }
    assert_eq!(kinds, [20, 60, 920]);
    assert_eq!(event(0, &cfg).kind(), EventKind::Person);
    assert_eq!(event(0, &cfg).date_time(), BASE_TIME_MS);
    assert_eq!(event(1999, &cfg).date_time(), BASE_TIME_MS + 1999);
}

#[test]
fn event_time_is_exact_for_huge_ids() {
    // id * 1000 overflows u64 here; Python's result is exact.
    let id = u64::MAX / 7;
    let cfg = GeneratorConfig {
        seed: 1,
        rate: 10_000_000,
        max_delay_ms: 0,
    };
    let want = i128::from(BASE_TIME_MS) + (i128::from(id) * 1000 / 10_000_000);
    assert_eq!(i128::from(event(id, &cfg).date_time()), want);
}

#[test]
fn extreme_inputs_do_not_panic() {
    let cfg = GeneratorConfig {
        seed: u64::MAX,
        rate: 1,
        max_delay_ms: u64::MAX,
    };
    for id in [0, 1, 4, 49, 50, u64::MAX - 50, u64::MAX - 1, u64::MAX] {
        let _ = event(id, &cfg);
    }
    let tail: Vec<u64> = Generator::new(cfg, u64::MAX - 5..u64::MAX, 2)
        .unwrap()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(tail, [u64::MAX - 5, u64::MAX - 3, u64::MAX - 1]);
}

#[test]
fn size_hint_is_exact() {
    let cfg = GeneratorConfig::default();
    for (range, step) in [
        (0..0, 1),
        (std::ops::Range { start: 5, end: 3 }, 2),
        (0..10, 3),
        (1..10, 3),
        (0..1, 7),
    ] {
        let g = Generator::new(cfg, range, step).unwrap();
        let n = g.size_hint().0;
        assert_eq!(g.size_hint(), (n, Some(n)));
        assert_eq!(g.clone().count(), n);
        assert_eq!(g.events().count(), n);
    }
}

#[test]
fn decimal_padding_matches_percent_04d() {
    for (v, want) in [(0, "0000"), (7, "0007"), (42, "0042"), (9999, "9999")] {
        let mut s = String::new();
        push_decimal(&mut s, v, 4);
        assert_eq!(s, want);
    }
    let mut s = String::new();
    push_decimal(&mut s, 0, 1);
    push_decimal(&mut s, 1234, 1);
    assert_eq!(s, "01234");
}

/// `f64::powf` and Python's `math.pow` (both libm `pow`) give the same prices.
#[test]
fn price_pow_agrees_with_python() {
    const SEED: u64 = 99;
    const IDS: u64 = 100_000;
    let script = format!(
        "import gen, sys\n\
         out = []\n\
         for i in range({IDS}):\n\
         \x20   r = gen.Rng({SEED}, i)\n\
         \x20   out.append('%d %d %d' % (gen.next_price(r), gen.next_price(r), gen.next_price(r)))\n\
         sys.stdout.write('\\n'.join(out) + '\\n')\n"
    );
    let theirs = python(&["-c", &script]);
    let mut ours = String::new();
    for i in 0..IDS {
        let mut r = Rng::new(SEED, i);
        let (a, b, c) = (next_price(&mut r), next_price(&mut r), next_price(&mut r));
        ours.push_str(&format!("{a} {b} {c}\n"));
    }
    assert!(
        ours.as_bytes() == theirs.as_slice(),
        "prices differ from Python's"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Subtask i of n yields ids start+i, start+i+n, …; together, exactly the full run.
    #[test]
    fn strided_subtasks_interleave_to_the_full_run(
        start in 0u64..200,
        len in 0u64..400,
        count in 1u64..9,
        seed in any::<u64>(),
        delay in 0u64..5,
    ) {
        let cfg = GeneratorConfig { seed, rate: 1000, max_delay_ms: delay };
        let ids = start..start + len;
        let full: Vec<(u64, Event)> = Generator::new(cfg, ids.clone(), 1).unwrap().collect();
        let mut merged: Vec<(u64, Event)> = Vec::new();
        for index in 0..count {
            let part: Vec<(u64, Event)> =
                Generator::subtask(cfg, ids.clone(), index, count).unwrap().collect();
            for (k, (id, _)) in part.iter().enumerate() {
                prop_assert_eq!(*id, start + index + k as u64 * count);
            }
            merged.extend(part);
        }
        merged.sort_by_key(|(id, _)| *id);
        prop_assert_eq!(merged, full);
    }
}

#[test]
fn bid_event_into_writes_exactly_the_bids_of_event_into_a_reused_value() {
    for cfg in [
        GeneratorConfig::default(),
        GeneratorConfig {
            seed: 7,
            rate: 10_000_000,
            max_delay_ms: 500,
        },
    ] {
        let mut reused = Bid::default();
        for id in 0..5_000 {
            let before = reused.clone();
            let is_bid = bid_event_into(id, &cfg, &mut reused);
            match event(id, &cfg) {
                Event::Bid(b) => {
                    assert!(is_bid, "id {id}");
                    assert_eq!(reused, b, "id {id}");
                }
                _ => {
                    assert!(!is_bid, "id {id}");
                    assert_eq!(reused, before, "a non-bid leaves the value alone");
                }
            }
        }
    }
}
