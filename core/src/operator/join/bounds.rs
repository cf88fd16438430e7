//! The bounds of an interval join (Flink's `IntervalJoinOperator` arithmetic): which
//! pairs join, and when a buffered timestamp can be cleaned up. Offsets are computed in
//! `i128`, so no bound or timestamp overflows; cleanup times saturate at `i64::MAX`.

use super::JoinError;

/// The bounds of an interval join in milliseconds, inclusive unless made exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalBounds {
    lower: i64,
    upper: i64,
    lower_inclusive: bool,
    upper_inclusive: bool,
}

impl IntervalBounds {
    /// Inclusive bounds `[lower, upper]`; an error unless `lower <= upper` (Flink's check).
    pub fn new(lower: i64, upper: i64) -> Result<Self, JoinError> {
        if lower > upper {
            return Err(JoinError::InvalidBounds { lower, upper });
        }
        Ok(Self {
            lower,
            upper,
            lower_inclusive: true,
            upper_inclusive: true,
        })
    }

    /// The same bounds with the lower one exclusive.
    pub fn lower_exclusive(self) -> Self {
        Self {
            lower_inclusive: false,
            ..self
        }
    }

    /// The same bounds with the upper one exclusive.
    pub fn upper_exclusive(self) -> Self {
        Self {
            upper_inclusive: false,
            ..self
        }
    }

    /// The lower bound as given, in milliseconds.
    pub fn lower(&self) -> i64 {
        self.lower
    }

    /// The upper bound as given, in milliseconds.
    pub fn upper(&self) -> i64 {
        self.upper
    }

    /// The inclusive lower bound (one more if exclusive), without overflow.
    fn lo(&self) -> i128 {
        i128::from(self.lower) + i128::from(!self.lower_inclusive)
    }

    /// The inclusive upper bound (one less if exclusive), without overflow.
    fn hi(&self) -> i128 {
        i128::from(self.upper) - i128::from(!self.upper_inclusive)
    }

    /// Whether a left element at `left_ts` joins a right element at `right_ts`.
    pub fn contains(&self, left_ts: i64, right_ts: i64) -> bool {
        let offset = i128::from(right_ts) - i128::from(left_ts);
        self.lo() <= offset && offset <= self.hi()
    }

    /// When the left buffer's timestamp `ts` is cleaned up: `ts + upper` if the upper
    /// bound is positive, else `ts` (saturating at `i64::MAX`).
    pub fn left_cleanup_time(&self, ts: i64) -> i64 {
        let hi = self.hi();
        if hi > 0 {
            clamp(i128::from(ts) + hi)
        } else {
            ts
        }
    }

    /// When the right buffer's timestamp `ts` is cleaned up: `ts - lower` if the lower
    /// bound is negative, else `ts` (saturating at `i64::MAX`).
    pub fn right_cleanup_time(&self, ts: i64) -> i64 {
        let lo = self.lo();
        if lo < 0 {
            clamp(i128::from(ts) - lo)
        } else {
            ts
        }
    }

    /// The left buffer timestamp whose cleanup time is `timer` (the inverse of
    /// [`Self::left_cleanup_time`]), if it is a valid timestamp.
    pub fn left_bucket_at(&self, timer: i64) -> Option<i64> {
        let hi = self.hi();
        let ts = if hi > 0 {
            i128::from(timer) - hi
        } else {
            timer.into()
        };
        i64::try_from(ts).ok()
    }

    /// The right buffer timestamp whose cleanup time is `timer` (the inverse of
    /// [`Self::right_cleanup_time`]), if it is a valid timestamp.
    pub fn right_bucket_at(&self, timer: i64) -> Option<i64> {
        let lo = self.lo();
        let ts = if lo < 0 {
            i128::from(timer) + lo
        } else {
            timer.into()
        };
        i64::try_from(ts).ok()
    }
}

fn clamp(t: i128) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds_must_be_ordered() {
        assert_eq!(
            IntervalBounds::new(5, 3),
            Err(JoinError::InvalidBounds { lower: 5, upper: 3 })
        );
        assert!(IntervalBounds::new(-3, -3).is_ok());
        assert!(IntervalBounds::new(i64::MIN, i64::MAX).is_ok());
    }

    #[test]
    fn exclusive_bounds_move_inwards_by_one_millisecond() {
        let b = IntervalBounds::new(-2, 3).unwrap();
        let offsets = |b: IntervalBounds| {
            (-5..=5)
                .filter(|o| b.contains(100, 100 + o))
                .collect::<Vec<i64>>()
        };
        assert_eq!(offsets(b), [-2, -1, 0, 1, 2, 3]);
        assert_eq!(offsets(b.lower_exclusive()), [-1, 0, 1, 2, 3]);
        assert_eq!(offsets(b.upper_exclusive()), [-2, -1, 0, 1, 2]);
        let point = IntervalBounds::new(4, 4).unwrap();
        assert_eq!(offsets(point), [4]);
        assert_eq!(offsets(point.lower_exclusive()), Vec::<i64>::new());
        // No overflow at the ends of the time line.
        let wide = IntervalBounds::new(i64::MIN, i64::MAX).unwrap();
        assert!(wide.contains(0, i64::MIN) && wide.contains(0, i64::MAX));
        assert!(!wide.lower_exclusive().contains(0, i64::MIN));
        assert!(!wide.upper_exclusive().contains(0, i64::MAX));
        assert!(
            !wide.contains(i64::MAX, i64::MIN),
            "an offset beyond i64 is out of range"
        );
    }

    #[test]
    fn cleanup_times_follow_flink() {
        // Left at t: t + upper if upper > 0, else t. Right at t: t - lower if lower < 0, else t.
        let b = IntervalBounds::new(-5, 10).unwrap();
        assert_eq!(
            (b.left_cleanup_time(100), b.right_cleanup_time(100)),
            (110, 105)
        );
        let b = IntervalBounds::new(2, 10).unwrap();
        assert_eq!(
            (b.left_cleanup_time(100), b.right_cleanup_time(100)),
            (110, 100)
        );
        let b = IntervalBounds::new(-10, -2).unwrap();
        assert_eq!(
            (b.left_cleanup_time(100), b.right_cleanup_time(100)),
            (100, 110)
        );
        // Exclusive bounds count as moved: (0, 1] is [1, 1]; [-1, 0) is [-1, -1].
        let b = IntervalBounds::new(0, 1).unwrap().lower_exclusive();
        assert_eq!(
            (b.left_cleanup_time(100), b.right_cleanup_time(100)),
            (101, 100)
        );
        let b = IntervalBounds::new(-1, 0).unwrap().upper_exclusive();
        assert_eq!(
            (b.left_cleanup_time(100), b.right_cleanup_time(100)),
            (100, 101)
        );
        // Saturating at the end of event time.
        let b = IntervalBounds::new(-10, 10).unwrap();
        assert_eq!(b.left_cleanup_time(i64::MAX - 3), i64::MAX);
        assert_eq!(b.right_cleanup_time(i64::MAX - 3), i64::MAX);
    }

    proptest! {
        #[test]
        fn a_cleanup_timer_names_its_buffer_timestamp(
            ts in -1_000_000i64..1_000_000,
            lower in -1_000i64..1_000,
            width in 0i64..1_000,
            lower_exclusive: bool,
            upper_exclusive: bool,
        ) {
            let mut b = IntervalBounds::new(lower, lower + width).unwrap();
            if lower_exclusive { b = b.lower_exclusive(); }
            if upper_exclusive { b = b.upper_exclusive(); }
            prop_assert_eq!(b.left_bucket_at(b.left_cleanup_time(ts)), Some(ts));
            prop_assert_eq!(b.right_bucket_at(b.right_cleanup_time(ts)), Some(ts));
            // A buffered element is kept as long as an element not yet late may join it.
            let left_last_partner = i128::from(ts) + b.hi();
            prop_assert!(i128::from(b.left_cleanup_time(ts)) >= left_last_partner);
            let right_last_partner = i128::from(ts) - b.lo();
            prop_assert!(i128::from(b.right_cleanup_time(ts)) >= right_last_partner);
        }
    }
}
