//! The reference queries: hand-made inputs pinning each edge case of QUERIES.md, and
//! cross-checks of every query's rows against properties computed a second way, on
//! sample.csv and on a larger generated input with out-of-order events.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::*;
use crate::nexmark::test_support::{shared_dir, temp_path};
use crate::nexmark::{Generator, GeneratorConfig};

/// 2015-07-15T00:00:00Z, a multiple of 10 s.
const T0: i64 = 1_436_918_400_000;

fn bid(auction: i64, bidder: i64, price: i64, date_time: i64) -> Event {
    Event::Bid(Bid {
        auction,
        bidder,
        price,
        channel: "Google".into(),
        url: "https://www.nexmark.com/abcde/item.htm?query=1&channel_id=7".into(),
        date_time,
        extra: String::new(),
    })
}

fn person(id: i64, name: &str, state: &str, date_time: i64) -> Event {
    Event::Person(Person {
        id,
        name: name.into(),
        email_address: "ab@cd.com".into(),
        credit_card: "1234 5678 9012 3456".into(),
        city: "Bend".into(),
        state: state.into(),
        date_time,
        extra: String::new(),
    })
}

fn auction(id: i64, seller: i64, category: i64, date_time: i64, expires: i64) -> Event {
    Event::Auction(Auction {
        id,
        item_name: "item".into(),
        description: "desc".into(),
        initial_bid: 1,
        reserve: 2,
        date_time,
        expires,
        seller,
        category,
        extra: String::new(),
    })
}

fn rows(query: &str, events: &[Event]) -> Vec<String> {
    reference_rows(query, events).unwrap_or_else(|e| panic!("{e}"))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn late(query: &str, events: &[Event]) -> (usize, i64, i64) {
    match reference_rows(query, events) {
        Err(ReferenceError::LateEvent {
            index,
            window_start,
            window_end,
            ..
        }) => (index, window_start, window_end),
        other => panic!("{query}: expected a late event, got {other:?}"),
    }
}

// ---- q7 ----

#[test]
fn q7_bid_at_window_end_matches_the_window_it_ends_and_its_own() {
    let events = [
        bid(1, 10, 50, T0 + 1_000),
        bid(2, 20, 50, T0 + 10_000), // ends window 0, alone in window 1
    ];
    let expected = sorted(vec![
        format!("1,50,10,{},", T0 + 1_000),
        format!("2,50,20,{},", T0 + 10_000), // window 0: price = max, at its end
        format!("2,50,20,{},", T0 + 10_000), // window 1: its own maximum
    ]);
    assert_eq!(rows("q7", &events), expected);
}

#[test]
fn q7_bid_at_window_start_and_beyond_its_end_does_not_match_a_window() {
    let events = [
        bid(1, 10, 50, T0),          // window 0 max; also at window -1's end (no bids)
        bid(2, 20, 70, T0 + 10_000), // window 1 max, not window 0's
        bid(3, 30, 50, T0 + 10_001), // window 0's max price, but after its end
        bid(4, 40, 50, T0 + 19_999), // window 1, not its max
        bid(5, 50, 70, T0 + 20_000), // window 2 max; ends window 1 with its max price
    ];
    let expected = sorted(vec![
        format!("1,50,10,{T0},"),
        format!("2,70,20,{},", T0 + 10_000),
        format!("5,70,50,{},", T0 + 20_000), // window 1 (its end)
        format!("5,70,50,{},", T0 + 20_000), // window 2
    ]);
    assert_eq!(rows("q7", &events), expected);
}

// ---- q11 ----

#[test]
fn q11_bids_exactly_one_gap_apart_share_a_session_one_ms_more_splits_it() {
    let events = [
        bid(1, 7, 1, T0),
        bid(1, 8, 1, T0),
        bid(1, 7, 1, T0 + 10_000),
        bid(1, 8, 1, T0 + 10_001),
    ];
    let expected = sorted(vec![
        format!("7,2,{T0},{}", T0 + 20_000),
        format!("8,1,{T0},{}", T0 + 10_000),
        format!("8,1,{},{}", T0 + 10_001, T0 + 20_001),
    ]);
    assert_eq!(rows("q11", &events), expected);
}

#[test]
fn q11_out_of_order_bid_bridges_two_sessions() {
    let events = [
        bid(1, 7, 1, T0 + 3_000),
        bid(1, 7, 1, T0 + 15_000), // 12 s later: a second session for now
        bid(1, 7, 1, T0 + 11_500), // 3.5 s late: joins both into one
    ];
    assert_eq!(
        rows("q11", &events),
        vec![format!("7,3,{},{}", T0 + 3_000, T0 + 25_000)]
    );
}

// ---- q5 ----

#[test]
fn q5_ties_output_every_auction_with_the_largest_count() {
    let mut events = vec![
        bid(1, 9, 1, T0 + 100),
        bid(1, 9, 1, T0 + 200),
        bid(2, 9, 1, T0 + 300),
        bid(2, 9, 1, T0 + 400),
        bid(3, 9, 1, T0 + 500),
    ];
    // All five bids lie in the five windows starting T0 - 8 s … T0: auctions 1 and 2 tie.
    let tied: Vec<String> = (0..5)
        .flat_map(|k| {
            let start = T0 - 8_000 + 2_000 * k;
            let end = start + 10_000;
            [format!("1,2,{start},{end}"), format!("2,2,{start},{end}")]
        })
        .collect();
    assert_eq!(rows("q5", &events), sorted(tied));

    // A third bid on auction 2 at T0 + 8.5 s breaks the tie in window [T0, T0 + 10 s) only
    // and is alone in the four windows after it.
    events.push(bid(2, 9, 1, T0 + 8_500));
    let mut expected: Vec<String> = (0..4)
        .flat_map(|k| {
            let start = T0 - 8_000 + 2_000 * k;
            let end = start + 10_000;
            [format!("1,2,{start},{end}"), format!("2,2,{start},{end}")]
        })
        .collect();
    expected.push(format!("2,3,{T0},{}", T0 + 10_000));
    for k in 1..=4 {
        let start = T0 + 2_000 * k;
        expected.push(format!("2,1,{start},{}", start + 10_000));
    }
    assert_eq!(rows("q5", &events), sorted(expected));
}

#[test]
fn q5_each_bid_lies_in_five_half_open_windows() {
    assert_eq!(
        hop_window_starts(T0 + 1_999),
        vec![T0, T0 - 2_000, T0 - 4_000, T0 - 6_000, T0 - 8_000]
    );
    assert_eq!(
        hop_window_starts(T0 + 2_000),
        vec![T0 + 2_000, T0, T0 - 2_000, T0 - 4_000, T0 - 6_000]
    );
    assert_eq!(
        hop_window_starts(-1),
        vec![-2_000, -4_000, -6_000, -8_000, -10_000]
    );
}

// ---- q3 ----

#[test]
fn q3_joins_a_person_arriving_after_the_auction() {
    let events = [
        auction(5000, 1001, 10, T0, T0 + 20_000),
        auction(5001, 1001, 10, T0 + 1, T0 + 20_000),
        auction(5002, 1001, 11, T0 + 2, T0 + 20_000), // wrong category
        auction(5003, 1002, 10, T0 + 3, T0 + 20_000), // seller in WA
        person(1001, "Kate Smith", "OR", T0 + 500_000), // long after, still joins
        person(1002, "Paul Jones", "WA", T0 + 500_001),
        auction(5004, 1003, 10, T0 + 500_002, T0 + 520_000),
        person(1003, "Luke White", "CA", T0 + 4),
    ];
    let expected = sorted(vec![
        "Kate Smith,Bend,OR,5000".to_string(),
        "Kate Smith,Bend,OR,5001".to_string(),
        "Luke White,Bend,CA,5004".to_string(),
    ]);
    assert_eq!(rows("q3", &events), expected);
}

// ---- q4 ----

#[test]
fn q4_takes_bids_within_the_auction_inclusive_and_truncates_the_average() {
    let events = [
        auction(1, 100, 10, T0, T0 + 20_000),
        auction(2, 100, 10, T0, T0 + 20_000),
        auction(3, 100, 11, T0, T0 + 20_000), // no bid in range: left out
        auction(4, 100, 12, T0, T0 + 20_000),
        auction(5, 100, 12, T0, T0 + 20_000),
        bid(1, 7, 1_000, T0 - 1),    // before the auction
        bid(1, 7, 200, T0),          // at its start
        bid(1, 7, 300, T0 + 20_000), // at its end
        bid(1, 7, 900, T0 + 20_001), // after it
        bid(2, 7, 401, T0 + 5_000),
        bid(3, 7, 5_000, T0 + 20_001),
        bid(4, 7, -1, T0 + 1),
        bid(5, 7, -2, T0 + 1),
    ];
    // (300 + 401) / 2 = 350.5 -> 350; (-1 + -2) / 2 = -1.5 -> -1 (towards zero, as Java).
    assert_eq!(rows("q4", &events), vec!["10,350", "12,-1"]);
}

// ---- q8 ----

#[test]
fn q8_needs_registration_and_auction_in_the_same_window() {
    let events = [
        person(1001, "Kate Smith", "OR", T0 + 5),
        person(1002, "Paul Jones", "WA", T0 + 9_999),
        person(1002, "Paul Jones", "WA", T0 + 9_000), // the same (id, name): one row
        auction(1, 1002, 10, T0, T0 + 20_000),
        auction(2, 1002, 10, T0 + 1, T0 + 20_000), // the same seller: one row
        auction(3, 1001, 10, T0 + 10_000, T0 + 20_000), // next window: no row
        person(1003, "Luke White", "CA", T0 + 10_000),
        person(1003, "Luke Whyte", "CA", T0 + 10_001), // another name: another row
        auction(4, 1003, 10, T0 + 19_999, T0 + 30_000),
    ];
    let expected = sorted(vec![
        format!("1002,Paul Jones,{T0}"),
        format!("1003,Luke White,{}", T0 + 10_000),
        format!("1003,Luke Whyte,{}", T0 + 10_000),
    ]);
    assert_eq!(rows("q8", &events), expected);
}

// ---- late input ----

#[test]
fn an_event_whose_window_may_have_fired_is_an_error_naming_it() {
    let events = [bid(1, 7, 10, T0 + 20_000), bid(1, 7, 10, T0 + 9_000)];
    // The watermark can be T0 + 16 s, past the end of [T0, T0 + 10 s).
    assert_eq!(late("q7", &events), (1, T0, T0 + 10_000));
    assert_eq!(late("q5", &events), (1, T0, T0 + 10_000));
    // A session window [t, t + 10 s) waits longer: Flink keeps this bid in its own session.
    assert_eq!(
        rows("q11", &events),
        vec![
            format!("7,1,{},{}", T0 + 9_000, T0 + 19_000),
            format!("7,1,{},{}", T0 + 20_000, T0 + 30_000),
        ]
    );
    let events_15_s_late = [bid(1, 7, 10, T0 + 30_000), bid(1, 7, 10, T0 + 15_000)];
    assert_eq!(
        late("q11", &events_15_s_late),
        (1, T0 + 15_000, T0 + 25_000)
    );
    let message = reference_rows("q7", &events).unwrap_err().to_string();
    assert!(
        message.starts_with("q7: event 1 (line 2 of its file)"),
        "{message}"
    );
    // Queries without windows do not look at watermarks.
    assert_eq!(rows("q0", &events).len(), 2);
    assert!(rows("q4", &events).is_empty());

    let events = [
        person(1, "A B", "OR", T0 + 20_000),
        auction(1, 1, 10, T0, T0),
    ];
    assert_eq!(late("q8", &events), (1, T0, T0 + 10_000));
}

#[test]
fn the_watermark_is_exactly_the_highest_time_minus_4_s() {
    // SQL's `dateTime - INTERVAL '4' SECOND`: after T0 + 13 999 the watermark can be
    // T0 + 9 999, which fires [T0, T0 + 10 s): a bid at T0 + 9 999, exactly 4 s behind,
    // may be dropped.
    let events = [bid(1, 7, 10, T0 + 13_999), bid(1, 7, 10, T0 + 9_999)];
    assert_eq!(late("q7", &events), (1, T0, T0 + 10_000));
    assert_eq!(late("q5", &events), (1, T0, T0 + 10_000));
    // One millisecond less ahead and the window still waits.
    let events = [bid(1, 7, 10, T0 + 13_998), bid(1, 7, 10, T0 + 9_999)];
    assert_eq!(rows("q7", &events).len(), 2);
    // More than 4 s behind, but in a window that cannot have fired: Flink keeps it.
    let events = [bid(1, 7, 10, T0 + 13_000), bid(1, 7, 10, T0 + 8_500)];
    assert_eq!(rows("q7", &events).len(), 2);
    // q5 fires every 2 s: the slice [T0 + 6 s, T0 + 8 s) ends first.
    let events = [bid(1, 7, 10, T0 + 11_999), bid(1, 7, 10, T0 + 7_999)];
    assert_eq!(late("q5", &events), (1, T0 - 2_000, T0 + 8_000));
}

#[test]
fn a_bid_touching_a_session_that_may_have_fired_is_an_error() {
    // Bidder 5's session [T0, T0 + 10 s) fires at watermark T0 + 9 999; a bid of another
    // bidder at T0 + 13 999 allows it; bidder 5's bid at T0 + 10 s (within 4 s) would
    // then open a new session in Flink instead of extending the fired one.
    let events = [
        bid(1, 5, 1, T0),
        bid(1, 6, 1, T0 + 13_999),
        bid(1, 5, 1, T0 + 10_000),
    ];
    assert_eq!(late("q11", &events), (2, T0, T0 + 10_000));
    let events = [
        bid(1, 5, 1, T0),
        bid(1, 6, 1, T0 + 13_998),
        bid(1, 5, 1, T0 + 10_000),
    ];
    let expected = sorted(vec![
        format!("5,2,{T0},{}", T0 + 20_000),
        format!("6,1,{},{}", T0 + 13_998, T0 + 23_998),
    ]);
    assert_eq!(rows("q11", &events), expected);
}

#[test]
fn unknown_queries_and_out_of_range_times_are_errors() {
    let message = reference_rows("q6", &[]).unwrap_err().to_string();
    assert_eq!(
        message,
        "unknown query 'q6': expected one of q0, q1, q2, q3, q4, q5, q7, q8, q11"
    );
    assert!(rows("Q11", &[]).is_empty());
    let events = [bid(1, 7, 1, i64::MAX)];
    assert!(matches!(
        reference_rows("q7", &events),
        Err(ReferenceError::TimeOutOfRange { index: 0, .. })
    ));
}

#[test]
fn read_events_names_the_bad_line() {
    let path = temp_path("reference-bad");
    std::fs::write(&path, b"2,1,2,3,c,u,1000,\n2,1,2,x,c,u,1000,\n").unwrap();
    let message = read_events(&path).unwrap_err().to_string();
    let _ = std::fs::remove_file(&path);
    assert!(
        message.ends_with(":2: column 4 (price): not an integer: invalid digit"),
        "{message}"
    );
    let missing = read_events(&path).unwrap_err().to_string();
    assert!(missing.starts_with("cannot read "), "{missing}");
}

// ---- cross-checks on real inputs ----

fn sample_events() -> Vec<Event> {
    read_events(&shared_dir().join("sample.csv")).unwrap()
}

#[test]
fn sample_rows_pass_the_cross_checks() {
    let events = sample_events();
    assert_eq!(events.len(), 10_000);
    let counts = check_every_query(&events);
    // The same counts as an independent Python script over the file's text gave. The
    // sample is in order and spans exactly the 10 s window [T0, T0 + 10 s), so q7 has one
    // row (that window's top bid) and q5 one per hop window (9, no ties).
    let expected = [
        ("q0", 9_200),
        ("q1", 9_200),
        ("q2", 87),
        ("q3", 54),
        ("q4", 5),
        ("q5", 9),
        ("q7", 1),
        ("q8", 119),
        ("q11", 197),
    ];
    assert_eq!(
        counts,
        BTreeMap::from(expected),
        "rows per query on sample.csv"
    );
}

#[test]
fn generated_out_of_order_rows_pass_the_cross_checks() {
    // 200 s of event time, every event moved back by up to 3 s.
    let cfg = GeneratorConfig {
        seed: 42,
        rate: 1000,
        max_delay_ms: 3_000,
    };
    let events: Vec<Event> = Generator::new(cfg, 0..200_000, 1)
        .unwrap()
        .events()
        .collect();
    let counts = check_every_query(&events);
    for (query, n) in counts {
        assert!(n > 0, "{query} is empty on the generated input");
    }
}

#[test]
fn generated_input_later_than_the_bound_is_refused_by_windowed_queries() {
    let cfg = GeneratorConfig {
        seed: 3,
        rate: 1000,
        max_delay_ms: 20_000,
    };
    let events: Vec<Event> = Generator::new(cfg, 0..20_000, 1)
        .unwrap()
        .events()
        .collect();
    for query in ["q5", "q7", "q8", "q11"] {
        late(query, &events);
    }
    assert!(!rows("q3", &events).is_empty());
}

/// Runs every query, checks its rows against what is computed here a second way, and
/// returns the number of rows per query.
fn check_every_query(events: &[Event]) -> BTreeMap<&'static str, usize> {
    let input = Input::new(events);
    let mut counts = BTreeMap::new();
    for query in QUERIES {
        let rows = rows(query, events);
        assert!(
            rows.windows(2).all(|w| w[0] <= w[1]),
            "{query}: rows not sorted"
        );
        let cols: Vec<Vec<&str>> = rows.iter().map(|r| r.split(',').collect()).collect();
        match query {
            "q0" | "q1" => assert_eq!(rows.len(), input.bids.len()),
            "q2" => check_q2(&input, &cols),
            "q3" => check_q3(&input, &cols),
            "q4" => check_q4(&input, &cols),
            "q5" => check_q5(&input, &cols),
            "q7" => check_q7(&input, &cols),
            "q8" => check_q8(&input, &cols),
            "q11" => check_q11(&input, &cols),
            _ => unreachable!(),
        }
        counts.insert(query, rows.len());
    }
    counts
}

/// The input split by kind, bids sorted by time for range scans.
struct Input<'a> {
    persons: Vec<&'a Person>,
    auctions: Vec<&'a Auction>,
    bids: Vec<&'a Bid>,
}

impl<'a> Input<'a> {
    fn new(events: &'a [Event]) -> Input<'a> {
        let mut bids: Vec<&Bid> = super::bids(events).collect();
        bids.sort_by_key(|b| b.date_time);
        Input {
            persons: super::persons(events).collect(),
            auctions: super::auctions(events).collect(),
            bids,
        }
    }

    /// The bids with `from <= dateTime <= to`.
    fn bids_between(&self, from: i64, to: i64) -> &[&'a Bid] {
        let lo = self.bids.partition_point(|b| b.date_time < from);
        let hi = self.bids.partition_point(|b| b.date_time <= to);
        &self.bids[lo..hi.max(lo)]
    }

    /// Starts of the `step`-aligned windows of `size` that hold at least one bid.
    fn bid_window_starts(&self, size: i64, step: i64) -> Vec<i64> {
        let (Some(first), Some(last)) = (self.bids.first(), self.bids.last()) else {
            return Vec::new();
        };
        let mut start = first.date_time.div_euclid(step) * step - size;
        let mut starts = Vec::new();
        while start <= last.date_time {
            if !self.bids_between(start, start + size - 1).is_empty() {
                starts.push(start);
            }
            start += step;
        }
        starts
    }
}

fn int(s: &str) -> i64 {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn check_q2(input: &Input<'_>, cols: &[Vec<&str>]) {
    let expected = input.bids.iter().filter(|b| b.auction % 123 == 0).count();
    assert_eq!(cols.len(), expected);
    assert!(cols.iter().all(|c| int(c[0]) % 123 == 0));
}

fn check_q3(input: &Input<'_>, cols: &[Vec<&str>]) {
    let auctions: Vec<&Auction> = input
        .auctions
        .iter()
        .copied()
        .filter(|a| a.category == 10)
        .collect();
    let persons: Vec<&Person> = input
        .persons
        .iter()
        .copied()
        .filter(|p| matches!(p.state.as_str(), "OR" | "ID" | "CA"))
        .collect();
    let mut expected = Vec::new();
    for a in &auctions {
        for p in persons.iter().filter(|p| p.id == a.seller) {
            expected.push(format!("{},{},{},{}", p.name, p.city, p.state, a.id));
        }
    }
    let got: Vec<String> = cols.iter().map(|c| c.join(",")).collect();
    assert_eq!(got, sorted(expected), "q3 against a nested loop");
}

/// Per auction (id, category) the highest price of its bids within its time range,
/// found by a range search over the bids sorted by (auction, dateTime).
fn auction_maxima(input: &Input<'_>) -> BTreeMap<(i64, i64), i64> {
    let mut by_auction: Vec<(i64, i64, i64)> = input
        .bids
        .iter()
        .map(|b| (b.auction, b.date_time, b.price))
        .collect();
    by_auction.sort_unstable();
    let mut maxima = BTreeMap::new();
    for a in &input.auctions {
        let lo = by_auction.partition_point(|&(id, t, _)| (id, t) < (a.id, a.date_time));
        let hi = by_auction.partition_point(|&(id, t, _)| (id, t) <= (a.id, a.expires));
        if let Some(max) = by_auction[lo..hi.max(lo)].iter().map(|&(_, _, p)| p).max() {
            let m = maxima.entry((a.id, a.category)).or_insert(max);
            *m = (*m).max(max);
        }
    }
    maxima
}

fn check_q4(input: &Input<'_>, cols: &[Vec<&str>]) {
    let mut per_category: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (&(_, category), &max) in &auction_maxima(input) {
        per_category.entry(category).or_default().push(max);
    }
    let got: BTreeMap<i64, i64> = cols.iter().map(|c| (int(c[0]), int(c[1]))).collect();
    assert_eq!(got.len(), cols.len(), "q4: one row per category");
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        per_category.keys().collect::<Vec<_>>()
    );
    for (category, maxima) in per_category {
        let value = got[&category];
        let (lo, hi) = (maxima.iter().min().unwrap(), maxima.iter().max().unwrap());
        assert!(
            *lo <= value && value <= *hi,
            "q4 category {category}: {value}"
        );
        let sum: i128 = maxima.iter().map(|&m| i128::from(m)).sum();
        assert_eq!(i128::from(value), sum / maxima.len() as i128);
    }
}

fn check_q5(input: &Input<'_>, cols: &[Vec<&str>]) {
    let mut expected = BTreeSet::new();
    for start in input.bid_window_starts(10_000, 2_000) {
        let mut counts: HashMap<i64, i64> = HashMap::new();
        for b in input.bids_between(start, start + 9_999) {
            *counts.entry(b.auction).or_default() += 1;
        }
        let max = counts.values().copied().max().unwrap();
        for (auction, n) in counts.into_iter().filter(|&(_, n)| n == max) {
            expected.insert((auction, n, start, start + 10_000));
        }
    }
    let got: BTreeSet<_> = cols
        .iter()
        .map(|c| (int(c[0]), int(c[1]), int(c[2]), int(c[3])))
        .collect();
    assert_eq!(got.len(), cols.len(), "q5: duplicate rows");
    assert_eq!(got, expected, "q5 against per-window range counts");
}

fn check_q7(input: &Input<'_>, cols: &[Vec<&str>]) {
    // (window end, maximum) per tumbling window with bids.
    let windows: Vec<(i64, i64)> = input
        .bid_window_starts(10_000, 10_000)
        .into_iter()
        .map(|start| {
            let in_window = input.bids_between(start, start + 9_999);
            (
                start + 10_000,
                in_window.iter().map(|b| b.price).max().unwrap(),
            )
        })
        .collect();
    let mut expected = 0;
    for &(end, max) in &windows {
        let range = input.bids_between(end - 10_000, end);
        expected += range.iter().filter(|b| b.price == max).count();
    }
    assert_eq!(cols.len(), expected, "q7 rows against per-window scans");
    for c in cols {
        let (price, t) = (int(c[1]), int(c[3]));
        assert!(
            windows
                .iter()
                .any(|&(end, max)| max == price && end - 10_000 <= t && t <= end),
            "q7 row {c:?} is no window's maximum"
        );
    }
}

fn check_q8(input: &Input<'_>, cols: &[Vec<&str>]) {
    let window = |t: i64| t.div_euclid(10_000) * 10_000;
    let mut people: HashMap<i64, Vec<&Person>> = HashMap::new();
    for p in &input.persons {
        people.entry(p.id).or_default().push(p);
    }
    let mut expected = BTreeSet::new();
    for a in &input.auctions {
        for p in people.get(&a.seller).into_iter().flatten() {
            if window(p.date_time) == window(a.date_time) {
                expected.insert((p.id, p.name.clone(), window(a.date_time)));
            }
        }
    }
    let got: BTreeSet<_> = cols
        .iter()
        .map(|c| (int(c[0]), c[1].to_string(), int(c[2])))
        .collect();
    assert_eq!(got.len(), cols.len(), "q8: duplicate rows");
    assert_eq!(
        got, expected,
        "q8 against auctions joined with their sellers"
    );
}

fn check_q11(input: &Input<'_>, cols: &[Vec<&str>]) {
    let total: i64 = cols.iter().map(|c| int(c[1])).sum();
    assert_eq!(total, input.bids.len() as i64, "q11: bids in sessions");
    let mut times: HashMap<i64, Vec<i64>> = HashMap::new();
    for b in &input.bids {
        times.entry(b.bidder).or_default().push(b.date_time); // in time order, as input.bids
    }
    let mut sessions: BTreeMap<i64, Vec<(i64, i64, i64)>> = BTreeMap::new();
    for c in cols {
        let (bidder, count, start, end) = (int(c[0]), int(c[1]), int(c[2]), int(c[3]));
        sessions
            .entry(bidder)
            .or_default()
            .push((start, end, count));
        let ts = &times[&bidder];
        let inside: Vec<i64> = ts
            .iter()
            .copied()
            .filter(|&t| start <= t && t <= end - 10_000)
            .collect();
        assert_eq!(inside.len() as i64, count, "q11 {c:?}");
        assert_eq!((inside[0], inside[inside.len() - 1]), (start, end - 10_000));
        assert!(
            inside.windows(2).all(|w| w[1] - w[0] <= 10_000),
            "q11 {c:?}: gap"
        );
    }
    for list in sessions.values_mut() {
        list.sort();
        // The next session starts more than a gap after the previous one's last bid.
        assert!(
            list.windows(2).all(|w| w[1].0 > w[0].1),
            "q11: touching sessions"
        );
    }
}
