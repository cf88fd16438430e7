//! The windows elements are grouped into: [`TimeWindow`] (a half-open span of time) and
//! [`GlobalWindow`] (one window holding everything, for count windows and custom
//! triggers), and the [`Window`] bound they share.

use std::fmt::Debug;
use std::hash::Hash;

/// A window: a namespace of keyed state and timers (encodable for snapshots), with the
/// last timestamp it holds.
pub trait Window:
    Clone + Eq + Hash + Debug + Send + Sync + weir_state::StateCodec + 'static
{
    /// The largest timestamp that still belongs to the window (Flink's `maxTimestamp`):
    /// results are emitted with it, and event time passing it closes the window.
    fn max_timestamp(&self) -> i64;
}

/// The half-open span `[start, end)` of epoch milliseconds (Flink's `TimeWindow`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    rkyv::Archive,
    rkyv::Serialize,
    rkyv::Deserialize,
)]
pub struct TimeWindow {
    /// First millisecond in the window.
    pub start: i64,
    /// First millisecond after the window.
    pub end: i64,
}

impl TimeWindow {
    /// The window `[start, end)`.
    pub fn new(start: i64, end: i64) -> Self {
        Self { start, end }
    }

    /// Whether the two windows overlap or touch (`[0, 10)` and `[10, 20)` do): session
    /// windows that intersect are merged, as in Flink.
    pub fn intersects(&self, other: &TimeWindow) -> bool {
        self.start <= other.end && self.end >= other.start
    }

    /// The smallest window covering both.
    pub fn cover(&self, other: &TimeWindow) -> TimeWindow {
        TimeWindow::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The start of the window of length `size` (aligned to the epoch plus `offset`) that
    /// holds `timestamp` (Flink's `getWindowStartWithOffset`); `size` must be positive.
    pub fn start_with_offset(timestamp: i64, offset: i64, size: i64) -> i64 {
        let remainder = timestamp.wrapping_sub(offset) % size;
        if remainder < 0 {
            timestamp - (remainder + size)
        } else {
            timestamp - remainder
        }
    }

    /// Groups `windows` into sets of intersecting ones (Flink's `TimeWindow.mergeWindows`):
    /// for every set of two or more, the window covering it and its members, in start
    /// order.
    pub fn merge_windows(windows: &[TimeWindow]) -> Vec<(TimeWindow, Vec<TimeWindow>)> {
        let mut merged: Vec<(TimeWindow, Vec<TimeWindow>)> = Vec::new();
        if windows.len() < 2 {
            return merged;
        }
        let mut sorted = windows.to_vec();
        sorted.sort();
        // Runs of overlapping windows; only runs of two or more merge.
        let mut i = 0;
        while let Some(&first) = sorted.get(i) {
            let mut cover = first;
            let mut j = i + 1;
            while let Some(w) = sorted.get(j).filter(|w| cover.intersects(w)) {
                cover = cover.cover(w);
                j += 1;
            }
            if j - i > 1 {
                merged.push((cover, sorted[i..j].to_vec()));
            }
            i = j;
        }
        merged
    }
}

impl Window for TimeWindow {
    fn max_timestamp(&self) -> i64 {
        self.end.saturating_sub(1)
    }
}

/// The one window of [`GlobalWindows`](super::GlobalWindows): it never ends.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Default,
    rkyv::Archive,
    rkyv::Serialize,
    rkyv::Deserialize,
)]
pub struct GlobalWindow;

impl Window for GlobalWindow {
    fn max_timestamp(&self) -> i64 {
        i64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_starts_align_to_the_epoch_plus_offset_also_before_it() {
        assert_eq!(TimeWindow::start_with_offset(12_345, 0, 10_000), 10_000);
        assert_eq!(TimeWindow::start_with_offset(10_000, 0, 10_000), 10_000);
        assert_eq!(TimeWindow::start_with_offset(9_999, 0, 10_000), 0);
        assert_eq!(TimeWindow::start_with_offset(-1, 0, 10_000), -10_000);
        assert_eq!(TimeWindow::start_with_offset(-10_000, 0, 10_000), -10_000);
        assert_eq!(TimeWindow::start_with_offset(12_345, 2_000, 10_000), 12_000);
        assert_eq!(TimeWindow::start_with_offset(1_000, 2_000, 10_000), -8_000);
    }

    #[test]
    fn max_timestamp_is_the_last_millisecond() {
        assert_eq!(TimeWindow::new(0, 10).max_timestamp(), 9);
        assert_eq!(GlobalWindow.max_timestamp(), i64::MAX);
    }

    #[test]
    fn touching_and_overlapping_windows_merge_and_others_do_not() {
        let w = |s, e| TimeWindow::new(s, e);
        let merged = TimeWindow::merge_windows(&[w(20, 30), w(0, 10), w(10, 15), w(40, 50)]);
        assert_eq!(merged, vec![(w(0, 15), vec![w(0, 10), w(10, 15)])]);
        let chain = TimeWindow::merge_windows(&[w(0, 10), w(5, 20), w(20, 30)]);
        assert_eq!(chain, vec![(w(0, 30), vec![w(0, 10), w(5, 20), w(20, 30)])]);
        assert!(TimeWindow::merge_windows(&[w(0, 10), w(11, 20)]).is_empty());
        assert_eq!(w(0, 10).cover(&w(5, 20)), w(0, 20));
    }
}
