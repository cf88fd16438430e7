//! q5's local pre-aggregation, chained after each source subtask before the exchange by
//! auction (Flink's local-global aggregation): bids are counted per (auction, 2 s slice)
//! on the subtask, and a slice's counts leave as `(auction, count)`, stamped with the
//! slice's start, when the subtask's watermark passes the slice's end. The windowed
//! stage then sums counts instead of counting bids: on the generator's stream about one
//! record per nine bids crosses the exchange.

use std::collections::{BTreeMap, HashMap};

use weir_core::operator::{BoxOutput, OpResult, Output};
use weir_core::record::{Record, NO_TIMESTAMP};
use weir_core::time::WatermarkStatus;
use weir_core::window::TimeWindow;
use weir_state::keyed::{AggregateFunction, BuildStateHasher};

/// Counts `(key, timestamp)` records per key and slice of `slice` ms; emits `(key,
/// count)` per slice once the watermark passes the slice (see the module documentation).
pub struct LocalCount {
    out: BoxOutput<(i64, i64)>,
    slice: i64,
    /// Counts per slice start, then per key.
    pending: BTreeMap<i64, HashMap<i64, i64, BuildStateHasher>>,
}

impl LocalCount {
    /// Counts per slice of `slice` ms (at least 1) into `out`.
    pub fn new(out: BoxOutput<(i64, i64)>, slice: i64) -> Self {
        Self {
            out,
            slice: slice.max(1),
            pending: BTreeMap::new(),
        }
    }

    /// Sends the counts of every slice that ends at or before `watermark + 1`.
    fn flush(&mut self, watermark: i64) -> OpResult {
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start.saturating_add(self.slice).saturating_sub(1) > watermark {
                break;
            }
            for (key, count) in entry.remove() {
                self.out.collect(Record::Owned((key, count)), start)?;
            }
        }
        Ok(())
    }
}

impl Output<(i64, i64)> for LocalCount {
    fn collect(&mut self, record: Record<'_, (i64, i64)>, timestamp: i64) -> OpResult {
        let (key, date_time) = record.into_owned()?;
        let t = if timestamp == NO_TIMESTAMP {
            date_time
        } else {
            timestamp
        };
        let start = TimeWindow::start_with_offset(t, 0, self.slice);
        *self
            .pending
            .entry(start)
            .or_default()
            .entry(key)
            .or_insert(0) += 1;
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

/// Sums the counts of `(key, count)` records (the global side of [`LocalCount`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SumCounts;

impl AggregateFunction<(i64, i64), i64, i64> for SumCounts {
    fn create_accumulator(&self) -> i64 {
        0
    }
    fn add(&self, value: (i64, i64), acc: &mut i64) {
        *acc += value.1;
    }
    fn get_result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    type Seen = Rc<RefCell<Vec<(i64, i64, i64)>>>;

    struct Sink(Seen);

    impl Output<(i64, i64)> for Sink {
        fn collect(&mut self, record: Record<'_, (i64, i64)>, timestamp: i64) -> OpResult {
            let (k, c) = record.into_owned()?;
            self.0.borrow_mut().push((k, c, timestamp));
            Ok(())
        }
        fn emit_watermark(&mut self, w: i64) -> OpResult {
            self.0.borrow_mut().push((-1, -1, w));
            Ok(())
        }
        fn emit_watermark_status(&mut self, _: WatermarkStatus) -> OpResult {
            Ok(())
        }
        fn finish(&mut self) -> OpResult {
            Ok(())
        }
    }

    #[test]
    fn counts_leave_per_slice_before_the_watermark_that_completes_them() {
        let seen: Seen = Rc::default();
        let mut op = LocalCount::new(Box::new(Sink(seen.clone())), 2_000);
        for (k, t) in [(1, 100), (1, 1_999), (2, 500), (1, 2_000), (1, 2_500)] {
            op.collect(Record::Owned((k, t)), t).unwrap();
        }
        op.emit_watermark(1_998).unwrap();
        assert_eq!(
            seen.borrow().as_slice(),
            &[(-1, -1, 1_998)],
            "slice [0, 2000) not done"
        );
        op.emit_watermark(1_999).unwrap();
        let mut first: Vec<_> = seen.borrow()[1..3].to_vec();
        first.sort();
        assert_eq!(first, [(1, 2, 0), (2, 1, 0)]);
        assert_eq!(seen.borrow()[3], (-1, -1, 1_999));
        op.finish().unwrap();
        assert_eq!(seen.borrow()[4], (1, 2, 2_000));
    }
}
