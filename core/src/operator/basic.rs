//! Stateless one-to-one and one-to-many operators, and the fan-out to several consumers.

use super::{BoxOutput, CheckpointCall, OpResult, Output};
use crate::record::{Data, Record};
use crate::time::WatermarkStatus;

/// Applies a function to every element (Flink's `map`).
pub struct MapOperator<I, O: Data, F> {
    f: F,
    out: BoxOutput<O>,
    _in: std::marker::PhantomData<fn(I)>,
}

impl<I: Data, O: Data, F: FnMut(I) -> O> MapOperator<I, O, F> {
    /// A map operator feeding `out`.
    pub fn new(f: F, out: BoxOutput<O>) -> Self {
        Self {
            f,
            out,
            _in: std::marker::PhantomData,
        }
    }
}

impl<I: Data, O: Data, F: FnMut(I) -> O> Output<I> for MapOperator<I, O, F> {
    fn collect(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        let value = (self.f)(record.into_owned()?);
        self.out.collect(Record::Owned(value), timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        self.out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
}

/// Keeps the elements a predicate accepts (Flink's `filter`); passes records through
/// unchanged, so an in-place record stays in place.
pub struct FilterOperator<T: Data, F> {
    f: F,
    out: BoxOutput<T>,
}

impl<T: Data, F: FnMut(&T) -> bool> FilterOperator<T, F> {
    /// A filter operator feeding `out`.
    pub fn new(f: F, out: BoxOutput<T>) -> Self {
        Self { f, out }
    }
}

impl<T: Data, F: FnMut(&T) -> bool> Output<T> for FilterOperator<T, F> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        let keep = record.with_value(&mut self.f)?;
        if keep {
            self.out.collect(record, timestamp)
        } else {
            Ok(())
        }
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        self.out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
}

/// Emits zero or more elements per input (Flink's `flatMap`).
pub struct FlatMapOperator<I, O: Data, F> {
    f: F,
    out: BoxOutput<O>,
    _in: std::marker::PhantomData<fn(I)>,
}

impl<I: Data, O: Data, R: IntoIterator<Item = O>, F: FnMut(I) -> R> FlatMapOperator<I, O, F> {
    /// A flat-map operator feeding `out`.
    pub fn new(f: F, out: BoxOutput<O>) -> Self {
        Self {
            f,
            out,
            _in: std::marker::PhantomData,
        }
    }
}

impl<I: Data, O: Data, R: IntoIterator<Item = O>, F: FnMut(I) -> R> Output<I>
    for FlatMapOperator<I, O, F>
{
    fn collect(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        for value in (self.f)(record.into_owned()?) {
            self.out.collect(Record::Owned(value), timestamp)?;
        }
        Ok(())
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        self.out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
}

/// Hands every element to several consumers: chained operators and record writers.
pub struct FanOut<T: Data> {
    outs: Vec<BoxOutput<T>>,
}

impl<T: Data> FanOut<T> {
    /// A fan-out over `outs` (at least two; one output needs no fan-out).
    pub fn new(outs: Vec<BoxOutput<T>>) -> Self {
        debug_assert!(outs.len() >= 2, "a fan-out needs at least two outputs");
        Self { outs }
    }
}

impl<T: Data> Output<T> for FanOut<T> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        if let Some((last, rest)) = self.outs.split_last_mut() {
            for out in rest {
                out.collect(record.duplicate(), timestamp)?;
            }
            last.collect(record, timestamp)?;
        }
        Ok(())
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.outs
            .iter_mut()
            .try_for_each(|o| o.emit_watermark(watermark))
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.outs
            .iter_mut()
            .try_for_each(|o| o.emit_watermark_status(status))
    }
    fn finish(&mut self) -> OpResult {
        self.outs.iter_mut().try_for_each(|o| o.finish())
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        self.outs.iter_mut().try_for_each(|o| o.checkpoint(call))
    }
    fn pause_until(&self) -> Option<u64> {
        self.outs.iter().filter_map(|o| o.pause_until()).max()
    }
}

/// An output that drops everything: the end of a node whose results nobody consumes.
pub struct Discard;

impl<T: Data> Output<T> for Discard {
    fn collect(&mut self, _record: Record<'_, T>, _timestamp: i64) -> OpResult {
        Ok(())
    }
    fn emit_watermark(&mut self, _watermark: i64) -> OpResult {
        Ok(())
    }
    fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
        Ok(())
    }
    fn finish(&mut self) -> OpResult {
        Ok(())
    }
    fn checkpoint(&mut self, _call: &mut CheckpointCall<'_>) -> OpResult {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Records what reaches it, for operator tests.
    pub(crate) struct Capture<T>(pub Rc<RefCell<Vec<(T, i64)>>>, pub Rc<RefCell<Vec<i64>>>);

    impl<T: Data> Output<T> for Capture<T> {
        fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
            self.0.borrow_mut().push((record.into_owned()?, timestamp));
            Ok(())
        }
        fn emit_watermark(&mut self, watermark: i64) -> OpResult {
            self.1.borrow_mut().push(watermark);
            Ok(())
        }
        fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
            Ok(())
        }
        fn finish(&mut self) -> OpResult {
            Ok(())
        }
        fn checkpoint(&mut self, _call: &mut CheckpointCall<'_>) -> OpResult {
            Ok(())
        }
    }

    pub(crate) type Seen<T> = Rc<RefCell<Vec<(T, i64)>>>;

    pub(crate) fn capture<T: Data>() -> (BoxOutput<T>, Seen<T>) {
        let seen = Rc::new(RefCell::new(Vec::new()));
        (Box::new(Capture(seen.clone(), Rc::default())), seen)
    }

    #[test]
    fn map_filter_flat_map_compose_in_a_chain() {
        let (sink, seen) = capture::<i64>();
        let flat = FlatMapOperator::new(|x: i64| vec![x, x + 100], sink);
        let filter = FilterOperator::new(|x: &i64| x % 2 == 0, Box::new(flat));
        let mut map = MapOperator::new(|x: i64| x * 3, Box::new(filter));
        for i in 0..4 {
            map.collect(Record::Owned(i), i * 10).unwrap();
        }
        let got: Vec<_> = seen.borrow().clone();
        assert_eq!(got, vec![(0, 0), (100, 0), (6, 20), (106, 20)]);
    }

    #[test]
    fn fan_out_gives_every_consumer_every_record_and_watermark() {
        let (a, seen_a) = capture::<i64>();
        let (b, seen_b) = capture::<i64>();
        let mut fan = FanOut::new(vec![a, b]);
        fan.collect(Record::Owned(5), 1).unwrap();
        fan.emit_watermark(3).unwrap();
        assert_eq!(*seen_a.borrow(), vec![(5, 1)]);
        assert_eq!(*seen_b.borrow(), vec![(5, 1)]);
    }
}
