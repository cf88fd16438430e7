//! Evictors (Flink's `Evictor`s): remove elements from a window's contents before or
//! after the window function sees them. A window with an evictor keeps every element
//! (with its timestamp), also under reduce and aggregate functions, which then run over
//! what is left when the window fires.

use std::sync::Arc;
use std::time::Duration;

/// An element of a window with its timestamp ([`crate::record::NO_TIMESTAMP`] if none).
#[derive(Clone, Debug, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct TimestampedValue<T> {
    /// The element.
    pub value: T,
    /// Its timestamp.
    pub timestamp: i64,
}

impl<T> TimestampedValue<T> {
    /// Whether the element has a timestamp.
    pub fn has_timestamp(&self) -> bool {
        self.timestamp != crate::record::NO_TIMESTAMP
    }
}

/// Removes elements of a window (Flink's `Evictor`): `evict_before` runs before the window
/// function, `evict_after` after it; what they leave stays in the window.
pub trait Evictor<T>: Clone + Send + Sync + 'static {
    /// Removes elements before the window function runs.
    fn evict_before(&self, elements: &mut Vec<TimestampedValue<T>>);
    /// Removes elements after the window function ran.
    fn evict_after(&self, elements: &mut Vec<TimestampedValue<T>>);
}

/// Implements [`Evictor`] for an evictor type with an `after` flag and an `evict` method:
/// it evicts after the window function if `after`, else before it.
macro_rules! evicts_before_or_after {
    ($($ty:ty),*) => {$(
        impl<T: Clone + Send + 'static> Evictor<T> for $ty {
            fn evict_before(&self, elements: &mut Vec<TimestampedValue<T>>) {
                if !self.after {
                    self.evict(elements);
                }
            }
            fn evict_after(&self, elements: &mut Vec<TimestampedValue<T>>) {
                if self.after {
                    self.evict(elements);
                }
            }
        }
    )*};
}

evicts_before_or_after!(CountEvictor, TimeEvictor, DeltaEvictor<T>);

/// Keeps at most `max_count` elements, dropping the oldest (Flink's `CountEvictor`).
#[derive(Clone, Copy, Debug)]
pub struct CountEvictor {
    max_count: usize,
    after: bool,
}

impl CountEvictor {
    /// Evicts before the window function.
    pub fn of(max_count: usize) -> Self {
        Self {
            max_count,
            after: false,
        }
    }
    /// Evicts after the window function if `after`.
    pub fn of_after(max_count: usize, after: bool) -> Self {
        Self { max_count, after }
    }
    fn evict<T>(&self, elements: &mut Vec<TimestampedValue<T>>) {
        if elements.len() > self.max_count {
            let excess = elements.len() - self.max_count;
            elements.drain(..excess);
        }
    }
}

/// Keeps the elements within `window_size` of the newest one: drops every element whose
/// timestamp is at or below `newest - window_size` (Flink's `TimeEvictor`). Does nothing
/// if no element has a timestamp.
#[derive(Clone, Copy, Debug)]
pub struct TimeEvictor {
    window_size: i64,
    after: bool,
}

impl TimeEvictor {
    /// Evicts before the window function.
    pub fn of(window_size: Duration) -> Self {
        Self::of_after(window_size, false)
    }
    /// Evicts after the window function if `after`.
    pub fn of_after(window_size: Duration, after: bool) -> Self {
        Self {
            window_size: i64::try_from(window_size.as_millis()).unwrap_or(i64::MAX),
            after,
        }
    }
    fn evict<T>(&self, elements: &mut Vec<TimestampedValue<T>>) {
        if !elements.iter().any(TimestampedValue::has_timestamp) {
            return;
        }
        let newest = elements
            .iter()
            .map(|e| e.timestamp)
            .max()
            .unwrap_or(i64::MIN);
        let cutoff = newest.saturating_sub(self.window_size);
        elements.retain(|e| e.timestamp > cutoff);
    }
}

/// The distance between two elements, for [`DeltaEvictor`].
pub type DeltaFn<T> = Arc<dyn Fn(&T, &T) -> f64 + Send + Sync>;

/// Drops every element whose `delta` to the last element is at or above `threshold`
/// (Flink's `DeltaEvictor`).
pub struct DeltaEvictor<T> {
    threshold: f64,
    delta: DeltaFn<T>,
    after: bool,
}

impl<T> Clone for DeltaEvictor<T> {
    fn clone(&self) -> Self {
        Self {
            threshold: self.threshold,
            delta: Arc::clone(&self.delta),
            after: self.after,
        }
    }
}

impl<T> DeltaEvictor<T> {
    /// Evicts before the window function.
    pub fn of(threshold: f64, delta: impl Fn(&T, &T) -> f64 + Send + Sync + 'static) -> Self {
        Self::of_after(threshold, delta, false)
    }
    /// Evicts after the window function if `after`.
    pub fn of_after(
        threshold: f64,
        delta: impl Fn(&T, &T) -> f64 + Send + Sync + 'static,
        after: bool,
    ) -> Self {
        Self {
            threshold,
            delta: Arc::new(delta),
            after,
        }
    }
    fn evict(&self, elements: &mut Vec<TimestampedValue<T>>)
    where
        T: Clone,
    {
        let Some(last) = elements.last().map(|e| e.value.clone()) else {
            return;
        };
        elements.retain(|e| (self.delta)(&e.value, &last) < self.threshold);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(ts: &[i64]) -> Vec<TimestampedValue<i64>> {
        ts.iter()
            .map(|&t| TimestampedValue {
                value: t,
                timestamp: t,
            })
            .collect()
    }

    fn kept(v: &[TimestampedValue<i64>]) -> Vec<i64> {
        v.iter().map(|e| e.value).collect()
    }

    #[test]
    fn count_evictor_keeps_the_newest_before_or_after() {
        let mut v = values(&[1, 2, 3, 4, 5]);
        Evictor::evict_before(&CountEvictor::of(3), &mut v);
        assert_eq!(kept(&v), vec![3, 4, 5]);
        let after = CountEvictor::of_after(2, true);
        Evictor::evict_before(&after, &mut v);
        assert_eq!(v.len(), 3, "an after-evictor does nothing before");
        Evictor::evict_after(&after, &mut v);
        assert_eq!(kept(&v), vec![4, 5]);
    }

    #[test]
    fn time_evictor_keeps_what_is_newer_than_newest_minus_size() {
        let mut v = values(&[1_000, 5_000, 9_000, 6_000]);
        Evictor::evict_before(&TimeEvictor::of(Duration::from_secs(4)), &mut v);
        assert_eq!(
            kept(&v),
            vec![9_000, 6_000],
            "5 000 is at the cutoff and goes"
        );
        let mut none = vec![TimestampedValue {
            value: 1,
            timestamp: crate::record::NO_TIMESTAMP,
        }];
        Evictor::evict_before(&TimeEvictor::of(Duration::from_secs(1)), &mut none);
        assert_eq!(none.len(), 1);
    }

    #[test]
    fn delta_evictor_drops_elements_far_from_the_last() {
        let mut v = values(&[1, 8, 10, 12, 9]);
        let e = DeltaEvictor::of(3.0, |a: &i64, b: &i64| (a - b).abs() as f64);
        Evictor::evict_before(&e, &mut v);
        assert_eq!(kept(&v), vec![8, 10, 9]);
    }
}
