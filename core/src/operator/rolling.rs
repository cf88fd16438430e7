//! Keyed rolling aggregates (Flink's `KeyedStream.reduce/sum/min/max/minBy/maxBy`): one
//! accumulated value per key, kept in keyed state (a value state of the subtask's heap
//! keyed state backend, over its key groups), emitted after every element.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use weir_state::keyed::{BackendKey, InlineSized, ValueState, ValueStateDescriptor};
use weir_state::HeapKeyedStateBackend;

use super::{BoxOutput, OpResult, OperatorError, Output};
use crate::graph::factory::BuildContext;
use crate::record::{Data, Record};
use crate::runtime::metrics::StateSize;
use crate::time::WatermarkStatus;

/// Extracts the key of an element.
pub type KeyFn<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// Combines the accumulated value with a new element (Flink's `ReduceFunction`:
/// `reduce(accumulated, new)`); an error fails the task.
pub trait ReduceFn<T>: FnMut(T, T) -> Result<T, super::OperatorError> + Send + 'static {}
impl<T, F: FnMut(T, T) -> Result<T, super::OperatorError> + Send + 'static> ReduceFn<T> for F {}

/// The keyed state of a rolling aggregate.
struct Rolling<K, T> {
    backend: HeapKeyedStateBackend<K>,
    acc: ValueState<(), InlineSized<T>>,
}

impl<K: BackendKey, T: Data> StateSize for Rolling<K, T> {
    fn state_size(&self) -> (usize, usize) {
        (self.backend.key_count(), self.backend.state_size_bytes())
    }
}

/// Keeps one accumulated value per key and emits it after each element.
pub struct RollingReduce<T: Data, K, F> {
    key: KeyFn<T, K>,
    reduce: F,
    state: Rc<RefCell<Rolling<K, T>>>,
    out: BoxOutput<T>,
    /// The operator's state id.
    uid: String,
}

impl<T: Data, K: BackendKey, F: ReduceFn<T>> RollingReduce<T, K, F> {
    /// A rolling reduce over `key`, in the subtask `ctx` describes.
    pub fn new(
        key: KeyFn<T, K>,
        reduce: F,
        out: BoxOutput<T>,
        ctx: &BuildContext,
    ) -> Result<Self, OperatorError> {
        let mut backend = ctx.keyed_state_backend()?;
        let acc = backend.value_state(&ValueStateDescriptor::new("rolling-aggregate"))?;
        let state = Rc::new(RefCell::new(Rolling { backend, acc }));
        let weak = Rc::downgrade(&state);
        ctx.state_sizes.register(weak);
        Ok(Self {
            uid: ctx.uid.clone(),
            key,
            reduce,
            state,
            out,
        })
    }

    /// Number of keys held.
    pub fn key_count(&self) -> usize {
        self.state.borrow().backend.key_count()
    }
}

impl<T: Data, K: BackendKey, F: ReduceFn<T>> Output<T> for RollingReduce<T, K, F> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let key = (self.key)(&value);
        let emitted = {
            let state = &mut *self.state.borrow_mut();
            state.backend.set_current_key(key)?;
            let next = match state.acc.value(&mut state.backend, &())? {
                Some(InlineSized(acc)) => (self.reduce)(acc, value)?,
                None => value,
            };
            state
                .acc
                .update(&mut state.backend, &(), InlineSized(next.clone()))?;
            next
        };
        self.out.collect(Record::Owned(emitted), timestamp)
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
    fn checkpoint(&mut self, call: &mut crate::operator::CheckpointCall<'_>) -> OpResult {
        if let crate::operator::CheckpointCall::Snapshot(snapshot) = call {
            let keyed = self.state.borrow().backend.snapshot(&[])?;
            snapshot.add(crate::operator::checkpoint::OperatorSnapshot {
                uid: self.uid.clone(),
                keyed: Some(keyed),
                operator: None,
            });
        }
        self.out.checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
    fn prefetches(&self) -> bool {
        true
    }
    fn prefetch(&mut self, record: &Record<'_, T>) {
        if let Ok(key) = record.with_value(|v| (self.key)(v)) {
            self.state.borrow().backend.prefetch(&key);
        }
    }
}

/// Which rolling aggregate of a field (Flink's `AggregationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Sum of the field; other fields from the first element of the key.
    Sum,
    /// Minimum of the field; other fields from the first element of the key.
    Min,
    /// Maximum of the field; other fields from the first element of the key.
    Max,
    /// The whole element with the smallest field (the first one on ties).
    MinBy,
    /// The whole element with the largest field (the first one on ties).
    MaxBy,
}

/// A reduce function implementing `agg` over the field that `field` projects.
pub fn field_reducer<T, N>(
    agg: Aggregation,
    field: impl Fn(&mut T) -> &mut N + Send + 'static,
) -> impl FnMut(T, T) -> Result<T, super::OperatorError> + Send + 'static
where
    N: Copy + PartialOrd + std::ops::Add<Output = N>,
{
    move |mut acc: T, mut new: T| {
        let a = *field(&mut acc);
        let b = *field(&mut new);
        Ok(match agg {
            Aggregation::Sum => {
                *field(&mut acc) = a + b;
                acc
            }
            Aggregation::Min => {
                if b < a {
                    *field(&mut acc) = b;
                }
                acc
            }
            Aggregation::Max => {
                if b > a {
                    *field(&mut acc) = b;
                }
                acc
            }
            Aggregation::MinBy => {
                if b < a {
                    new
                } else {
                    acc
                }
            }
            Aggregation::MaxBy => {
                if b > a {
                    new
                } else {
                    acc
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::basic::tests::capture;

    #[test]
    fn rolling_sum_keeps_first_fields_and_emits_every_update() {
        let (out, seen) = capture::<(i64, i64, i64)>();
        let key: KeyFn<(i64, i64, i64), i64> = Arc::new(|t| t.0);
        let ctx = test_context();
        let mut op = RollingReduce::new(
            key,
            field_reducer(Aggregation::Sum, |t: &mut (i64, i64, i64)| &mut t.1),
            out,
            &ctx,
        )
        .unwrap();
        for (i, v) in [(1, 10, 100), (2, 5, 200), (1, 7, 300)]
            .into_iter()
            .enumerate()
        {
            op.collect(Record::Owned(v), i as i64).unwrap();
        }
        let got: Vec<_> = seen.borrow().iter().map(|(v, _)| *v).collect();
        assert_eq!(got, vec![(1, 10, 100), (2, 5, 200), (1, 17, 100)]);
        assert_eq!(op.key_count(), 2);
        let (keys, bytes) = ctx.state_sizes.total();
        assert_eq!(keys, 2, "the aggregates live in keyed state");
        assert!(bytes > 0);
    }

    fn test_context() -> BuildContext {
        let clock: crate::runtime::clock::SharedClock = crate::runtime::clock::ManualClock::new(0);
        BuildContext {
            name: "rolling".into(),
            subtask: 0,
            parallelism: 1,
            max_parallelism: 128,
            clock: clock.clone(),
            timers: crate::runtime::timers::ProcessingTimeService::new(clock),
            state_sizes: Default::default(),
            uid: "rolling".into(),
            restore: None,
            checkpointing: false,
        }
    }

    #[test]
    fn max_by_returns_whole_element_and_keeps_first_on_ties() {
        let mut f = field_reducer(Aggregation::MaxBy, |t: &mut (i64, &'static str)| &mut t.0);
        assert_eq!(f((3, "a"), (5, "b")).unwrap(), (5, "b"));
        assert_eq!(f((5, "a"), (5, "b")).unwrap(), (5, "a"));
        let mut min = field_reducer(Aggregation::Min, |t: &mut (i64, &'static str)| &mut t.0);
        assert_eq!(min((3, "a"), (1, "b")).unwrap(), (1, "a"));
    }
}
