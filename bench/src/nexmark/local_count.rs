//! q5's local pre-aggregation (a [`Partial`] for [`super::local::Local`]), chained after
//! each source subtask before the exchange by auction: bids are counted per (auction, 2 s slice)
//! on the subtask, and a slice's counts leave as `(auction, count)`, stamped with the
//! slice's start, when the subtask's watermark passes the slice's end. The windowed
//! stage then sums counts instead of counting bids: on the generator's stream about one
//! record per nine bids crosses the exchange.

use std::collections::{BTreeMap, HashMap};

use weir_core::operator::OpResult;
use weir_core::window::TimeWindow;
use weir_state::keyed::{AggregateFunction, BuildStateHasher};

use super::local::{or_time, Partial};

/// Counts `(key, timestamp)` records per key and slice of `slice` ms; a slice's counts,
/// `(key, count)` stamped with its start, are complete once the watermark passes it (run
/// it in a [`Local`](super::local::Local)).
pub struct SliceCounts {
    slice: i64,
    /// Counts per slice start, then per key.
    pending: BTreeMap<i64, HashMap<i64, i64, BuildStateHasher>>,
}

impl SliceCounts {
    /// Counts per slice of `slice` ms (at least 1).
    pub fn new(slice: i64) -> Self {
        Self {
            slice: slice.max(1),
            pending: BTreeMap::new(),
        }
    }
}

impl Partial<(i64, i64), (i64, i64)> for SliceCounts {
    fn add(&mut self, (key, date_time): (i64, i64), timestamp: i64) {
        let start = TimeWindow::start_with_offset(or_time(timestamp, date_time), 0, self.slice);
        *self
            .pending
            .entry(start)
            .or_default()
            .entry(key)
            .or_insert(0) += 1;
    }

    fn flush(
        &mut self,
        watermark: i64,
        emit: &mut dyn FnMut((i64, i64), i64) -> OpResult,
    ) -> OpResult {
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start.saturating_add(self.slice).saturating_sub(1) > watermark {
                break;
            }
            for (key, count) in entry.remove() {
                emit((key, count), start)?;
            }
        }
        Ok(())
    }
}

/// Sums the counts of `(key, count)` records (the global side of [`SliceCounts`]).
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
    use crate::nexmark::local::Local;
    use std::cell::RefCell;
    use std::rc::Rc;
    use weir_core::operator::Output;
    use weir_core::record::Record;
    use weir_core::time::WatermarkStatus;

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
        fn checkpoint(
            &mut self,
            _call: &mut weir_core::operator::CheckpointCall<'_>,
        ) -> weir_core::operator::OpResult {
            Ok(())
        }
    }

    #[test]
    fn counts_leave_per_slice_before_the_watermark_that_completes_them() {
        let seen: Seen = Rc::default();
        let mut op = Local::new(SliceCounts::new(2_000), Box::new(Sink(seen.clone())));
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
