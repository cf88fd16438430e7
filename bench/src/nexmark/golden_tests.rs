//! The native generator and CSV codec against `shared/nexmark` (sample.csv and gen.py).

use super::test_support::{first_difference, gen_py, sample_csv};
use super::{parse_event, write_event_csv, Generator, GeneratorConfig};

fn native_csv(cfg: GeneratorConfig, events: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for ev in Generator::new(cfg, 0..events, 1).unwrap().events() {
        write_event_csv(&ev, &mut out);
    }
    out
}

fn assert_same(ours: &[u8], theirs: &[u8], what: &str) {
    assert!(
        ours == theirs,
        "{what}: native output differs from gen.py ({} vs {} bytes), first at {}",
        ours.len(),
        theirs.len(),
        first_difference(ours, theirs)
    );
}

#[test]
fn generator_matches_sample_csv() {
    let ours = native_csv(GeneratorConfig::default(), 10_000);
    assert_same(&ours, &sample_csv(), "sample.csv");
}

#[test]
fn generator_matches_gen_py_fast_rate_with_delay() {
    let cfg = GeneratorConfig {
        seed: 7,
        rate: 10_000_000,
        max_delay_ms: 3000,
    };
    let args = [
        "--events",
        "20000",
        "--seed",
        "7",
        "--rate",
        "10000000",
        "--max-delay-ms",
        "3000",
    ];
    assert_same(&native_csv(cfg, 20_000), &gen_py(&args), "seed 7");
}

#[test]
fn generator_matches_gen_py_big_seed() {
    let cfg = GeneratorConfig {
        seed: 123_456_789,
        ..GeneratorConfig::default()
    };
    let args = ["--events", "5000", "--seed", "123456789"];
    assert_same(&native_csv(cfg, 5000), &gen_py(&args), "seed 123456789");
}

#[test]
fn generator_matches_gen_py_slow_rate_huge_seed_and_delay() {
    // Seed past 2^63 and a delay bound whose draw exceeds the time offset.
    let cfg = GeneratorConfig {
        seed: u64::MAX - 5,
        rate: 3,
        max_delay_ms: 1_000_000_007,
    };
    let seed = (u64::MAX - 5).to_string();
    let args = [
        "--events",
        "3000",
        "--seed",
        &seed,
        "--rate",
        "3",
        "--max-delay-ms",
        "1000000007",
    ];
    assert_same(&native_csv(cfg, 3000), &gen_py(&args), "rate 3");
}

#[test]
fn sample_csv_round_trips_through_parse_and_write() {
    let sample = sample_csv();
    let mut out = Vec::with_capacity(sample.len());
    let body = sample.strip_suffix(b"\n").unwrap();
    for (n, line) in body.split(|&b| b == b'\n').enumerate() {
        let ev = parse_event(line).unwrap_or_else(|e| panic!("sample.csv:{}: {e}", n + 1));
        write_event_csv(&ev, &mut out);
    }
    assert_same(&out, &sample, "round trip");
}

#[test]
fn sample_csv_bids_borrowed_match_owned() {
    let sample = sample_csv();
    let mut bids = 0;
    for line in sample.strip_suffix(b"\n").unwrap().split(|&b| b == b'\n') {
        let owned = parse_event(line).unwrap();
        match (super::parse_bid_borrowed(line).unwrap(), owned) {
            (Some(b), super::Event::Bid(o)) => {
                assert_eq!(b.to_bid(), o);
                bids += 1;
            }
            (None, super::Event::Bid(_)) => panic!("bid line skipped"),
            (Some(_), _) => panic!("non-bid line read as a bid"),
            (None, _) => {}
        }
    }
    assert_eq!(bids, 10_000 / 50 * 46);
}
