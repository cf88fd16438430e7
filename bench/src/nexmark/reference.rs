//! A plain reference implementation of the Nexmark queries of `shared/nexmark/QUERIES.md`
//! over a whole input held in memory, to test the engine's streaming queries against.
//!
//! Every query is computed the obvious way (maps, sorting, lookups; no state machines),
//! and [`reference_rows`] returns its rows as sorted CSV lines, so that two results
//! compare line for line. The rows are those Flink produces when it reads the input to
//! its end: every window that received an element fires, updating results (q4) are
//! compared by their final value.
//!
//! Time. Flink's source watermark is `dateTime - 4 s` (the SQL `WATERMARK FOR dateTime AS
//! dateTime - INTERVAL '4' SECOND` emits exactly the highest `dateTime` minus 4000 ms,
//! as soon as it advances by more than the emit interval). An element whose window has
//! already fired when it arrives is dropped (or, for a hop window, counted in some of its
//! windows only), and a bid that touches a session which has already fired starts a new
//! session instead of extending it. Whether that happens depends on when watermarks are
//! emitted, so on such an input Flink's result is not determined by the file. The
//! windowed queries (q5, q7, q8, q11) therefore check, for every event they read, that
//! none of its windows can have fired yet with the highest watermark possible at that
//! point (the highest `dateTime` before it in the input, minus 4000 ms), and return
//! [`ReferenceError::LateEvent`] otherwise. Checking with the input order is sound at any
//! parallelism: each source subtask reads a contiguous part of the input, so its
//! watermark never exceeds that bound. q0–q4 have no windows and ignore watermarks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::csv::{parse_event, write_i64, CsvError};
use super::model::{Auction, Bid, Event, Person};
use super::queries::{CsvRow, Q1Row, Q2Row};
use Col::{Int, Str};

/// The queries [`reference_rows`] computes.
pub const QUERIES: [&str; 9] = ["q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8", "q11"];

/// The bounded out-of-orderness of the source watermark.
const OUT_OF_ORDERNESS_MS: i64 = 4_000;
/// Size of q7's and q8's tumbling windows and of q5's hop windows.
const WINDOW_MS: i64 = 10_000;
/// How far q5's hop windows advance.
const HOP_SLIDE_MS: i64 = 2_000;
/// q11's session gap.
const SESSION_GAP_MS: i64 = 10_000;
/// Windowed queries accept `dateTime` within ±2^53 ms (±285 000 years), so that window
/// arithmetic cannot overflow.
const TIME_LIMIT_MS: i64 = 1 << 53;

/// Why a reference result or an input file could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The query is not one of [`QUERIES`].
    #[error("unknown query '{query}': expected one of {}", QUERIES.join(", "))]
    UnknownQuery {
        /// The name asked for.
        query: String,
    },
    /// An event arrives so late that Flink may already have fired one of its windows.
    #[error(
        "{query}: event {index} (line {} of its file), dateTime {date_time}, is \
         late: the window [{window_start}, {window_end}) it belongs to fires at watermark \
         {}, and the watermark can already be {watermark} (the highest dateTime before \
         it minus 4 s), so Flink may drop it or split the window; the input must not be \
         later than the 4 s bound",
        index + 1,
        window_end - 1
    )]
    LateEvent {
        /// The query that windows the event.
        query: String,
        /// 0-based index of the event in the input (its line is `index + 1`).
        index: usize,
        /// The event's `dateTime`.
        date_time: i64,
        /// The highest watermark Flink can have emitted before the event.
        watermark: i64,
        /// Start of the window (or session) that may have fired.
        window_start: i64,
        /// End of the window (or session), exclusive.
        window_end: i64,
    },
    /// A windowed query got a `dateTime` beyond ±2^53 ms.
    #[error("{query}: event {index} (line {}): dateTime {date_time} is outside ±2^53 ms", index + 1)]
    TimeOutOfRange {
        /// The query.
        query: String,
        /// 0-based index of the event in the input.
        index: usize,
        /// The event's `dateTime`.
        date_time: i64,
    },
    /// The events file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of the events file is not a Nexmark event.
    #[error("{}:{line}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        source: CsvError,
    },
}

/// Reads a whole Nexmark CSV file (FORMAT.md) of mixed events; event `i` is line `i + 1`.
pub fn read_events(path: &Path) -> Result<Vec<Event>, ReferenceError> {
    let bytes = std::fs::read(path).map_err(|source| ReferenceError::Read {
        path: path.to_owned(),
        source,
    })?;
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    if body.is_empty() {
        return Ok(Vec::new());
    }
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            parse_event(line).map_err(|source| ReferenceError::Parse {
                path: path.to_owned(),
                line: i + 1,
                source,
            })
        })
        .collect()
}

/// The rows of `query` (`q0`…`q11`, see [`QUERIES`]) over `events` as sorted CSV lines.
pub fn reference_rows(query: &str, events: &[Event]) -> Result<Vec<String>, ReferenceError> {
    let mut rows = match query.to_ascii_lowercase().as_str() {
        "q0" => bids(events).map(CsvRow::to_csv_line).collect(),
        "q1" => bids(events).map(|b| q1_row(b).to_csv_line()).collect(),
        "q2" => q2(events),
        "q3" => q3(events),
        "q4" => q4(events),
        "q5" => {
            check_fixed_windows("q5", events, is_bid, HOP_SLIDE_MS)?;
            q5(events)
        }
        "q7" => {
            check_fixed_windows("q7", events, is_bid, WINDOW_MS)?;
            q7(events)
        }
        "q8" => {
            check_fixed_windows("q8", events, is_person_or_auction, WINDOW_MS)?;
            q8(events)
        }
        "q11" => {
            check_sessions("q11", events)?;
            q11(events)
        }
        _ => {
            return Err(ReferenceError::UnknownQuery {
                query: query.to_owned(),
            })
        }
    };
    rows.sort();
    Ok(rows)
}

fn q1_row(b: &Bid) -> Q1Row {
    Q1Row {
        auction: b.auction,
        bidder: b.bidder,
        price_thousandths: i128::from(b.price) * 908,
        date_time: b.date_time,
        extra: b.extra.clone(),
    }
}

fn q2(events: &[Event]) -> Vec<String> {
    bids(events)
        .filter(|b| b.auction % 123 == 0)
        .map(|b| {
            Q2Row {
                auction: b.auction,
                price: b.price,
            }
            .to_csv_line()
        })
        .collect()
}

/// Auctions of category 10 joined with their seller living in OR, ID or CA: one row per
/// matching (auction, person) pair, whichever came first.
fn q3(events: &[Event]) -> Vec<String> {
    let mut people: BTreeMap<i64, Vec<&Person>> = BTreeMap::new();
    for p in persons(events).filter(|p| ["OR", "ID", "CA"].contains(&p.state.as_str())) {
        people.entry(p.id).or_default().push(p);
    }
    let mut rows = Vec::new();
    for a in auctions(events).filter(|a| a.category == 10) {
        for p in people.get(&a.seller).into_iter().flatten() {
            rows.push(line(&[
                Str(&p.name),
                Str(&p.city),
                Str(&p.state),
                Int(a.id),
            ]));
        }
    }
    rows
}

/// Per auction the highest price among its bids within `[dateTime, expires]`, then per
/// category the average of those maxima as Java `long` arithmetic (sum / count).
fn q4(events: &[Event]) -> Vec<String> {
    let mut bids_by_auction: BTreeMap<i64, Vec<&Bid>> = BTreeMap::new();
    for b in bids(events) {
        bids_by_auction.entry(b.auction).or_default().push(b);
    }
    // GROUP BY A.id, A.category over the join rows.
    let mut finals: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for a in auctions(events) {
        for b in bids_by_auction.get(&a.id).into_iter().flatten() {
            if a.date_time <= b.date_time && b.date_time <= a.expires {
                let max = finals.entry((a.id, a.category)).or_insert(b.price);
                *max = (*max).max(b.price);
            }
        }
    }
    let mut per_category: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (&(_, category), &final_price) in &finals {
        let (sum, count) = per_category.entry(category).or_insert((0, 0));
        // A Java long sum wraps; the count is at least 1, so the division cannot fail.
        *sum = sum.wrapping_add(final_price);
        *count += 1;
    }
    per_category
        .iter()
        .map(|(&category, &(sum, count))| line(&[Int(category), Int(sum / count)]))
        .collect()
}

/// Per hop window (10 s, sliding 2 s) the auctions with the most bids, ties all out.
fn q5(events: &[Event]) -> Vec<String> {
    let mut counts: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for b in bids(events) {
        for start in hop_window_starts(b.date_time) {
            *counts.entry((start, b.auction)).or_insert(0) += 1;
        }
    }
    let mut max_per_window: BTreeMap<i64, i64> = BTreeMap::new();
    for (&(start, _), &n) in &counts {
        let max = max_per_window.entry(start).or_insert(n);
        *max = (*max).max(n);
    }
    counts
        .iter()
        .filter(|&(&(start, _), &n)| max_per_window.get(&start) == Some(&n))
        .map(|(&(start, auction), &n)| {
            line(&[Int(auction), Int(n), Int(start), Int(start + WINDOW_MS)])
        })
        .collect()
}

/// Every bid whose price is the maximum of a tumbling window `W` and whose dateTime is in
/// `[W.end - 10 s, W.end]`; one row per such (bid, window) pair.
fn q7(events: &[Event]) -> Vec<String> {
    let mut max_per_window_end: BTreeMap<i64, i64> = BTreeMap::new();
    for b in bids(events) {
        let end = window_start(b.date_time, WINDOW_MS) + WINDOW_MS;
        let max = max_per_window_end.entry(end).or_insert(b.price);
        *max = (*max).max(b.price);
    }
    // The join is on the price: the window ends per maximum price.
    let mut window_ends_by_max: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (&end, &max) in &max_per_window_end {
        window_ends_by_max.entry(max).or_default().push(end);
    }
    let mut rows = Vec::new();
    for b in bids(events) {
        for &end in window_ends_by_max.get(&b.price).into_iter().flatten() {
            if end - WINDOW_MS <= b.date_time && b.date_time <= end {
                rows.push(line(&[
                    Int(b.auction),
                    Int(b.price),
                    Int(b.bidder),
                    Int(b.date_time),
                    Str(&b.extra),
                ]));
            }
        }
    }
    rows
}

/// Per tumbling window, the distinct (id, name) of people registered in it who are also
/// among the distinct sellers of auctions opened in it.
fn q8(events: &[Event]) -> Vec<String> {
    let people: BTreeSet<(i64, i64, &str)> = persons(events)
        .map(|p| (window_start(p.date_time, WINDOW_MS), p.id, p.name.as_str()))
        .collect();
    let sellers: BTreeSet<(i64, i64)> = auctions(events)
        .map(|a| (window_start(a.date_time, WINDOW_MS), a.seller))
        .collect();
    people
        .iter()
        .filter(|&&(start, id, _)| sellers.contains(&(start, id)))
        .map(|&(start, id, name)| line(&[Int(id), Str(name), Int(start)]))
        .collect()
}

/// Per bidder, sessions of bids no more than 10 s apart: count, first bid's dateTime,
/// last bid's dateTime + 10 s.
fn q11(events: &[Event]) -> Vec<String> {
    let mut times: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for b in bids(events) {
        times.entry(b.bidder).or_default().push(b.date_time);
    }
    let mut rows = Vec::new();
    for (bidder, mut ts) in times {
        ts.sort_unstable();
        let mut session_start = 0;
        for i in 1..=ts.len() {
            // A bid exactly one gap after the previous one still joins: Flink merges
            // session windows [t, t + gap) that touch.
            if i == ts.len() || ts[i] - ts[i - 1] > SESSION_GAP_MS {
                let count = (i - session_start) as i64;
                let end = ts[i - 1] + SESSION_GAP_MS;
                rows.push(line(&[
                    Int(bidder),
                    Int(count),
                    Int(ts[session_start]),
                    Int(end),
                ]));
                session_start = i;
            }
        }
    }
    rows
}

/// Errors unless no event that `reads` picks can be late for its 10 s windows: the
/// earliest-ending one (tumbling: `step` = size; hop: `step` = slide, the end of the
/// event's slide) still waits for a watermark above the highest possible one.
fn check_fixed_windows(
    query: &str,
    events: &[Event],
    reads: fn(&Event) -> bool,
    step: i64,
) -> Result<(), ReferenceError> {
    let watermarks = possible_watermarks(query, events)?;
    for (index, (e, &watermark)) in events.iter().zip(&watermarks).enumerate() {
        let date_time = e.date_time();
        let window_end = window_start(date_time, step) + step;
        if reads(e) && window_end - 1 <= watermark {
            return Err(ReferenceError::LateEvent {
                query: query.to_owned(),
                index,
                date_time,
                watermark,
                window_start: window_end - WINDOW_MS,
                window_end,
            });
        }
    }
    Ok(())
}

/// Errors unless every bid reaches Flink's session windows before the session it extends
/// (or its own window) can have fired: follows each bidder's sessions in input order as
/// Flink merges them, with the highest watermark possible at each bid.
fn check_sessions(query: &str, events: &[Event]) -> Result<(), ReferenceError> {
    let watermarks = possible_watermarks(query, events)?;
    // Per bidder, its sessions so far as (first dateTime, last dateTime).
    let mut sessions: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for (index, (e, &watermark)) in events.iter().zip(&watermarks).enumerate() {
        let Event::Bid(b) = e else { continue };
        let t = b.date_time;
        let list = sessions.entry(b.bidder).or_default();
        // Windows [first, last + gap) and [t, t + gap) touch: Flink merges them.
        let (touched, mut others): (Vec<_>, Vec<_>) = list
            .iter()
            .copied()
            .partition(|&(first, last)| first <= t + SESSION_GAP_MS && t <= last + SESSION_GAP_MS);
        let merged = touched.iter().fold((t, t), |(lo, hi), &(first, last)| {
            (lo.min(first), hi.max(last))
        });
        for (first, last) in touched.into_iter().chain([(t, t)]) {
            let window_end = last + SESSION_GAP_MS;
            if window_end - 1 <= watermark {
                return Err(ReferenceError::LateEvent {
                    query: query.to_owned(),
                    index,
                    date_time: t,
                    watermark,
                    window_start: first,
                    window_end,
                });
            }
        }
        others.push(merged);
        *list = others;
    }
    Ok(())
}

/// For each event, the highest watermark Flink can have emitted before it: the highest
/// dateTime of the events before it minus 4 s (`i64::MIN` before the first).
fn possible_watermarks(query: &str, events: &[Event]) -> Result<Vec<i64>, ReferenceError> {
    let mut watermarks = Vec::with_capacity(events.len());
    let mut highest = i64::MIN;
    for (index, e) in events.iter().enumerate() {
        let date_time = e.date_time();
        if !(-TIME_LIMIT_MS..=TIME_LIMIT_MS).contains(&date_time) {
            return Err(ReferenceError::TimeOutOfRange {
                query: query.to_owned(),
                index,
                date_time,
            });
        }
        watermarks.push(highest.saturating_sub(OUT_OF_ORDERNESS_MS));
        highest = highest.max(date_time);
    }
    Ok(watermarks)
}

/// Start of the epoch-aligned window of `size` holding `t` (floor, also below zero).
fn window_start(t: i64, size: i64) -> i64 {
    t - t.rem_euclid(size)
}

/// Starts of the 5 hop windows `[start, start + 10 s)` (slide 2 s) holding `t`, as
/// Flink's `SlidingEventTimeWindows` assigns them.
fn hop_window_starts(t: i64) -> Vec<i64> {
    let mut starts = Vec::new();
    let mut start = window_start(t, HOP_SLIDE_MS);
    while start > t - WINDOW_MS {
        starts.push(start);
        start -= HOP_SLIDE_MS;
    }
    starts
}

fn is_bid(e: &Event) -> bool {
    matches!(e, Event::Bid(_))
}

fn is_person_or_auction(e: &Event) -> bool {
    matches!(e, Event::Person(_) | Event::Auction(_))
}

fn bids(events: &[Event]) -> impl Iterator<Item = &Bid> {
    events.iter().filter_map(|e| match e {
        Event::Bid(b) => Some(b),
        _ => None,
    })
}

fn auctions(events: &[Event]) -> impl Iterator<Item = &Auction> {
    events.iter().filter_map(|e| match e {
        Event::Auction(a) => Some(a),
        _ => None,
    })
}

fn persons(events: &[Event]) -> impl Iterator<Item = &Person> {
    events.iter().filter_map(|e| match e {
        Event::Person(p) => Some(p),
        _ => None,
    })
}

/// One column of a result row.
enum Col<'a> {
    Int(i64),
    Str(&'a str),
}

/// A result row as a CSV line: columns joined by commas, strings as read (no quoting,
/// as the project's CSV writer does).
fn line(cols: &[Col<'_>]) -> String {
    let mut out = Vec::new();
    for (i, col) in cols.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match col {
            Int(v) => write_i64(&mut out, *v),
            Str(s) => out.extend_from_slice(s.as_bytes()),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;
