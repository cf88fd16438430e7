//! q7's local pre-selection, chained after each source subtask before the exchange by
//! window end (Flink's local-global aggregation): per window end, only the bids that can
//! still be a window's highest go on — the bids at the subtask's highest price inside the
//! window, and the bids exactly at its end priced at least that high. A window's global
//! highest price is the highest of the subtasks' local ones, so nothing that matches is
//! dropped, and one subtask no longer receives every bid of the current window.
//!
//! A window end's candidates leave when the subtask's watermark reaches the end (all its
//! bids up to the end are in), before the watermark itself, so they are never late.

use std::collections::BTreeMap;

use weir_core::operator::{BoxOutput, OpResult, Output};
use weir_core::record::{Record, NO_TIMESTAMP};
use weir_core::time::WatermarkStatus;

use super::windowed::Q7Row;

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

/// Keeps the candidates per window end and passes them on, as `(end, bid)`, when the
/// watermark reaches the end (see the module documentation).
pub struct LocalTop {
    out: BoxOutput<(i64, Q7Row)>,
    pending: BTreeMap<i64, Candidates>,
}

impl LocalTop {
    /// Pre-selection into `out`.
    pub fn new(out: BoxOutput<(i64, Q7Row)>) -> Self {
        Self {
            out,
            pending: BTreeMap::new(),
        }
    }

    /// Sends the candidates of every window end up to `watermark`.
    fn flush(&mut self, watermark: i64) -> OpResult {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let end = *entry.key();
            for (bid, ts) in entry.remove().into_rows() {
                self.out.collect(Record::Owned((end, bid)), ts)?;
            }
        }
        Ok(())
    }
}

impl Output<(i64, Q7Row)> for LocalTop {
    fn collect(&mut self, record: Record<'_, (i64, Q7Row)>, timestamp: i64) -> OpResult {
        let (end, bid) = record.into_owned()?;
        let ts = if timestamp == NO_TIMESTAMP {
            bid.date_time
        } else {
            timestamp
        };
        self.pending.entry(end).or_default().add(end, bid, ts);
        Ok(())
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.flush(watermark)?;
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.flush(i64::MAX)?;
        self.out.finish()
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
