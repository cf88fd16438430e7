//! q11's local pre-aggregation (a [`Partial`] for [`super::local::Local`]), chained after
//! each source subtask before the exchange by bidder: the bids of a bidder that arrive
//! between two watermarks and belong to one session become one partial session,
//! `(bidder, start, end, count)` covering `[start, end)`, stamped with its start. The
//! windowed stage merges partial sessions as sessions of one element each (`[start,
//! end)` by a dynamic gap) and sums their counts. On the 5 M-event file about one record
//! per ten bids crosses (475 k records for 4.6 M bids at parallelism 1).
//!
//! Why the result is that of the bids themselves: merging partial sessions gives the
//! sessions of their bids, as windows that overlap or touch merge transitively either
//! way; and a partial session leaves before the watermark that could let a session it
//! belongs to fire downstream. A window downstream fires once the watermark reaches its
//! last timestamp; a partial session starting at `start` merges only with windows ending
//! at `start` or later, so it leaves before any watermark of `start - 1` or more. The bids
//! it holds arrived after the watermark before that one, so downstream had not fired any
//! window they would have merged with either. Holding a partial session longer (until its
//! own end) would let a bidder's session fire with the bids of one subtask while another
//! subtask still held the rest.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use weir_core::operator::OpResult;
use weir_state::keyed::{AggregateFunction, BuildStateHasher};

use super::local::{or_time, Partial};

/// A partial session: (key, start, end, elements), covering `[start, end)`.
pub type PartialSession = (i64, i64, i64, i64);

/// Partial sessions of `(key, timestamp)` records per key with a gap of `gap` ms; a
/// partial session leaves once the watermark reaches its start minus one (run it in a
/// [`Local`](super::local::Local)).
pub struct LocalSessions {
    gap: i64,
    /// The open partial sessions per key: (start, end, elements), usually one.
    open: HashMap<i64, Vec<(i64, i64, i64)>, BuildStateHasher>,
    /// (start, key): every open partial session has an entry no later than its start
    /// (entries are not removed when sessions merge; extra ones find nothing to do).
    due: BinaryHeap<Reverse<(i64, i64)>>,
    /// Emptied session lists kept for the next new key (no allocation per key and flush).
    spare: Vec<Vec<(i64, i64, i64)>>,
}

/// How many emptied session lists are kept for reuse.
const SPARE_LISTS: usize = 4096;

impl LocalSessions {
    /// Partial sessions with a gap of `gap` ms (at least 1).
    pub fn new(gap: i64) -> Self {
        Self {
            gap: gap.max(1),
            open: HashMap::default(),
            due: BinaryHeap::new(),
            spare: Vec::new(),
        }
    }
}

impl Partial<(i64, i64), PartialSession> for LocalSessions {
    fn add(&mut self, (key, date_time): (i64, i64), timestamp: i64) {
        let t = or_time(timestamp, date_time);
        let (mut start, mut end, mut count) = (t, t.saturating_add(self.gap), 1);
        let spare = &mut self.spare;
        let sessions = self
            .open
            .entry(key)
            .or_insert_with(|| spare.pop().unwrap_or_default());
        // Fold in every open session the new window overlaps or touches.
        let mut earliest = i64::MAX;
        let mut i = 0;
        while i < sessions.len() {
            let (s, e, c) = sessions[i];
            if s <= end && e >= start {
                earliest = earliest.min(s);
                (start, end, count) = (start.min(s), end.max(e), count + c);
                sessions.swap_remove(i);
            } else {
                i += 1;
            }
        }
        sessions.push((start, end, count));
        // The entry of the earliest merged session still covers the result unless the new
        // element starts it earlier.
        if start < earliest {
            self.due.push(Reverse((start, key)));
        }
    }

    fn flush(
        &mut self,
        watermark: i64,
        emit: &mut dyn FnMut(PartialSession, i64) -> OpResult,
    ) -> OpResult {
        let limit = watermark.saturating_add(1);
        while let Some(&Reverse((start, key))) = self.due.peek() {
            if start > limit {
                break;
            }
            self.due.pop();
            let Some(sessions) = self.open.get_mut(&key) else {
                continue;
            };
            let mut i = 0;
            while i < sessions.len() {
                let (s, e, c) = sessions[i];
                if s <= limit {
                    sessions.swap_remove(i);
                    emit((key, s, e, c), s)?;
                } else {
                    i += 1;
                }
            }
            if sessions.is_empty() {
                if let Some(list) = self.open.remove(&key) {
                    if self.spare.len() < SPARE_LISTS {
                        self.spare.push(list);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Sums the element counts of partial sessions (the global side of [`LocalSessions`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SumSessionCounts;

impl AggregateFunction<PartialSession, i64, i64> for SumSessionCounts {
    fn create_accumulator(&self) -> i64 {
        0
    }
    fn add(&self, value: PartialSession, acc: &mut i64) {
        *acc += value.3;
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
    use proptest::prelude::*;

    use super::*;

    /// Sessions of `(key, t)` elements with gap `gap`, merged transitively: sorted
    /// (key, start, end, count).
    fn sessions(mut elements: Vec<PartialSession>) -> Vec<PartialSession> {
        elements.sort();
        let mut out: Vec<PartialSession> = Vec::new();
        for (k, s, e, c) in elements {
            match out.last_mut() {
                // Sorted by start: overlapping or touching the previous one of the key.
                Some(last) if last.0 == k && s <= last.2 => {
                    last.2 = last.2.max(e);
                    last.3 += c;
                }
                _ => out.push((k, s, e, c)),
            }
        }
        out
    }

    proptest! {
        /// Whatever the watermarks, merging what leaves gives the sessions of the bids; a
        /// partial session leaves once the watermark reaches its start minus one, and not
        /// before; none is left after the final flush.
        #[test]
        fn partial_sessions_merge_into_the_sessions_of_their_elements(
            steps in prop::collection::vec((0i64..4, 0i64..60, any::<bool>()), 1..200),
            gap in 1i64..15,
        ) {
            let mut local = LocalSessions::new(gap);
            let (mut watermark, mut max_t, mut t) = (i64::MIN, 0, 0);
            let mut bids = Vec::new();
            let mut left = Vec::new();
            for (key, dt, advance) in steps {
                // Timestamps move forward with some disorder, never behind the watermark.
                t = (t + dt - 20).max(watermark.saturating_add(1)).max(0);
                max_t = max_t.max(t);
                local.add((key, t), t);
                bids.push((key, t, t + gap, 1));
                if advance {
                    watermark = watermark.max(max_t - 10);
                    local
                        .flush(watermark, &mut |p, ts| {
                            assert_eq!(ts, p.1, "stamped with its start");
                            assert!(p.1 - 1 <= watermark, "{p:?} left early at {watermark}");
                            left.push(p);
                            Ok(())
                        })
                        .unwrap();
                    prop_assert!(local.open.values().flatten().all(|p| p.0 - 1 > watermark));
                }
            }
            local.flush(i64::MAX, &mut |p, _| { left.push(p); Ok(()) }).unwrap();
            prop_assert!(local.open.is_empty());
            prop_assert_eq!(sessions(left), sessions(bids));
        }
    }

    #[test]
    fn bids_between_two_watermarks_leave_as_one_record() {
        let mut local = LocalSessions::new(10);
        for t in [0, 5, 12, 21, 40] {
            local.add((7, t), t);
        }
        let mut left = Vec::new();
        let mut take = |w: i64, local: &mut LocalSessions| {
            local
                .flush(w, &mut |p, _| {
                    left.push((w, p));
                    Ok(())
                })
                .unwrap();
        };
        take(-2, &mut local); // starts at 0: not yet
        take(-1, &mut local);
        local.add((7, 45), 45);
        take(100, &mut local);
        assert_eq!(left, [(-1, (7, 0, 31, 4)), (100, (7, 40, 55, 2))]);
    }
}
