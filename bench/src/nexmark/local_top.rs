//! q7's local pre-selection (a [`Partial`] for [`super::local::Local`]), chained after each
//! source subtask before the exchange by window end: per window end, only the bids that can
//! still be a window's highest go on — the bids at the subtask's highest price inside the
//! window, and the bids exactly at its end priced at least that high. A window's global
//! highest price is the highest of the subtasks' local ones, so nothing that matches is
//! dropped, and one subtask no longer receives every bid of the current window.
//!
//! A window end's candidates leave when the subtask's watermark reaches the end (all its
//! bids up to the end are in), before the watermark itself, so they are never late.
//!
//! q5's [`TopCounts`] does the same after the windowed count, before the exchange by window
//! end: per window, only the auctions at the subtask's largest count go on.

use std::collections::BTreeMap;

use weir_core::operator::OpResult;

use super::local::{or_time, Partial};
use super::windowed::{KeyCount, Q7Row};

/// The candidates of one window end on one subtask.
#[derive(Default)]
struct Candidates {
    /// The highest price among the window's bids (before its end).
    max: Option<i64>,
    /// The window's bids at that price, with their timestamps.
    top: Vec<(Q7Row, i64)>,
    /// Bids exactly at the end, priced at least `max` when they came.
    at_end: Vec<(Q7Row, i64)>,
}

impl Candidates {
    fn add(&mut self, end: i64, bid: Q7Row, timestamp: i64) {
        if bid.date_time == end {
            if self.max.is_none_or(|m| bid.price >= m) {
                self.at_end.push((bid, timestamp));
            }
            return;
        }
        match self.max {
            Some(m) if bid.price < m => {}
            Some(m) if bid.price == m => self.top.push((bid, timestamp)),
            _ => {
                self.max = Some(bid.price);
                self.top.clear();
                self.top.push((bid, timestamp));
            }
        }
    }

    /// The bids that may match: the top ones and the end ones not below the local max.
    fn into_rows(self) -> impl Iterator<Item = (Q7Row, i64)> {
        let max = self.max;
        self.top.into_iter().chain(
            self.at_end
                .into_iter()
                .filter(move |(b, _)| max.is_none_or(|m| b.price >= m)),
        )
    }
}

/// Keeps the candidates per window end; those of an end, as `(end, bid)`, are complete
/// once the watermark reaches the end (run it in a [`Local`](super::local::Local)).
#[derive(Default)]
pub struct TopBids {
    pending: BTreeMap<i64, Candidates>,
}

impl Partial<(i64, Q7Row), (i64, Q7Row)> for TopBids {
    fn add(&mut self, (end, bid): (i64, Q7Row), timestamp: i64) {
        let ts = or_time(timestamp, bid.date_time);
        self.pending.entry(end).or_default().add(end, bid, ts);
    }

    fn flush(
        &mut self,
        watermark: i64,
        emit: &mut dyn FnMut((i64, Q7Row), i64) -> OpResult,
    ) -> OpResult {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let end = *entry.key();
            for (bid, ts) in entry.remove().into_rows() {
                emit((end, bid), ts)?;
            }
        }
        Ok(())
    }
}

/// Keeps, per window, the counts at the subtask's largest one (ties all kept); those of a
/// window leave once the watermark reaches their timestamp, the window's last instant
/// (run it in a [`Local`](super::local::Local)). The global largest count of a window is
/// the largest of the subtasks' ones, so every row at it is kept.
#[derive(Default)]
pub struct TopCounts {
    /// Per timestamp (a window's last instant), the largest count and its rows.
    pending: BTreeMap<i64, (i64, Vec<KeyCount>)>,
}

impl Partial<KeyCount, KeyCount> for TopCounts {
    fn add(&mut self, row: KeyCount, timestamp: i64) {
        let ts = or_time(timestamp, row.end - 1);
        let (max, rows) = self.pending.entry(ts).or_insert((row.count, Vec::new()));
        if row.count > *max {
            *max = row.count;
            rows.clear();
        }
        if row.count == *max {
            rows.push(row);
        }
    }

    fn flush(
        &mut self,
        watermark: i64,
        emit: &mut dyn FnMut(KeyCount, i64) -> OpResult,
    ) -> OpResult {
        while let Some(entry) = self.pending.first_entry() {
            let ts = *entry.key();
            if ts > watermark {
                break;
            }
            for row in entry.remove().1 {
                emit(row, ts)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_largest_counts_of_each_window_are_kept() {
        let row = |key, count, end| KeyCount {
            key,
            count,
            start: end - 10_000,
            end,
        };
        let mut t = TopCounts::default();
        for r in [
            row(1, 3, 10_000),
            row(2, 5, 10_000),
            row(3, 1, 12_000),
            row(4, 5, 10_000),
            row(5, 4, 10_000),
        ] {
            let ts = r.end - 1;
            t.add(r, ts);
        }
        let mut out = Vec::new();
        t.flush(9_999, &mut |r, ts| {
            out.push((r.key, r.count, ts));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            out,
            [(2, 5, 9_999), (4, 5, 9_999)],
            "window 12 000 not done"
        );
        t.flush(i64::MAX, &mut |r, ts| {
            out.push((r.key, r.count, ts));
            Ok(())
        })
        .unwrap();
        assert_eq!(out[2], (3, 1, 11_999));
    }

    fn bid(price: i64, date_time: i64) -> Q7Row {
        Q7Row {
            auction: 1,
            price,
            bidder: 2,
            date_time,
            extra: String::new(),
        }
    }

    #[test]
    fn only_bids_that_can_be_the_highest_are_kept() {
        let mut c = Candidates::default();
        c.add(10_000, bid(5, 1_000), 1_000);
        c.add(10_000, bid(9, 10_000), 10_000); // at the end, above the max so far
        c.add(10_000, bid(7, 2_000), 2_000);
        c.add(10_000, bid(7, 3_000), 3_000);
        c.add(10_000, bid(6, 10_000), 10_000); // at the end, below the max: dropped
        c.add(10_000, bid(3, 4_000), 4_000);
        let kept: Vec<(i64, i64)> = c.into_rows().map(|(b, _)| (b.price, b.date_time)).collect();
        assert_eq!(kept, [(7, 2_000), (7, 3_000), (9, 10_000)]);
    }
}
