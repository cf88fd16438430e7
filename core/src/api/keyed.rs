//! `KeyedStream`: a stream partitioned by key, with rolling aggregates.

use std::sync::Arc;

use super::datastream::DataStream;
use crate::operator::keyed_process::{KeyedProcessFunction, KeyedProcessOperator};
use crate::operator::rolling::{field_reducer, Aggregation, KeyFn, RollingReduce};
use crate::operator::OperatorError;
use crate::record::Data;
use weir_state::keyed::BackendKey;

/// A stream partitioned by a key of type `K` (Flink's `KeyedStream`).
pub struct KeyedStream<T: Data, K> {
    stream: DataStream<T>,
    key: KeyFn<T, K>,
}

impl<T: Data, K> Clone for KeyedStream<T, K> {
    fn clone(&self) -> Self {
        Self {
            stream: self.stream.clone(),
            key: self.key.clone(),
        }
    }
}

impl<T: Data, K: BackendKey> KeyedStream<T, K> {
    pub(crate) fn new(stream: DataStream<T>, key: Arc<dyn Fn(&T) -> K + Send + Sync>) -> Self {
        Self { stream, key }
    }

    /// The partitioned stream, for custom keyed operators.
    pub fn stream(&self) -> &DataStream<T> {
        &self.stream
    }

    /// The key selector.
    pub fn key_selector(&self) -> KeyFn<T, K> {
        self.key.clone()
    }

    /// Rolling reduce: emits the new accumulated value of the key after every element.
    pub fn reduce(
        &self,
        mut f: impl FnMut(T, T) -> T + Clone + Send + Sync + 'static,
    ) -> DataStream<T> {
        self.try_reduce("Keyed Reduce", move |acc, new| Ok(f(acc, new)))
    }

    /// Rolling reduce whose function may fail (the error fails the task), under `name`.
    pub fn try_reduce(
        &self,
        name: &str,
        f: impl FnMut(T, T) -> Result<T, OperatorError> + Clone + Send + Sync + 'static,
    ) -> DataStream<T> {
        let key = self.key.clone();
        self.stream.transform(name, move |ctx, out, _| {
            Ok(Box::new(RollingReduce::new(
                key.clone(),
                f.clone(),
                out,
                ctx,
            )?))
        })
    }

    fn aggregate<N>(
        &self,
        name: &str,
        agg: Aggregation,
        field: impl Fn(&mut T) -> &mut N + Clone + Send + Sync + 'static,
    ) -> DataStream<T>
    where
        N: Copy + PartialOrd + std::ops::Add<Output = N> + 'static,
    {
        let key = self.key.clone();
        self.stream.transform(name, move |ctx, out, _| {
            Ok(Box::new(RollingReduce::new(
                key.clone(),
                field_reducer(agg, field.clone()),
                out,
                ctx,
            )?))
        })
    }

    /// Rolling sum of a field; other fields keep the key's first element.
    pub fn sum<N>(
        &self,
        field: impl Fn(&mut T) -> &mut N + Clone + Send + Sync + 'static,
    ) -> DataStream<T>
    where
        N: Copy + PartialOrd + std::ops::Add<Output = N> + 'static,
    {
        self.aggregate("Keyed Sum", Aggregation::Sum, field)
    }
    /// Rolling minimum of a field; other fields keep the key's first element.
    pub fn min<N>(
        &self,
        field: impl Fn(&mut T) -> &mut N + Clone + Send + Sync + 'static,
    ) -> DataStream<T>
    where
        N: Copy + PartialOrd + std::ops::Add<Output = N> + 'static,
    {
        self.aggregate("Keyed Min", Aggregation::Min, field)
    }
    /// Rolling maximum of a field; other fields keep the key's first element.
    pub fn max<N>(
        &self,
        field: impl Fn(&mut T) -> &mut N + Clone + Send + Sync + 'static,
    ) -> DataStream<T>
    where
        N: Copy + PartialOrd + std::ops::Add<Output = N> + 'static,
    {
        self.aggregate("Keyed Max", Aggregation::Max, field)
    }
    /// The element with the smallest field so far (first on ties).
    pub fn min_by<N>(
        &self,
        field: impl Fn(&mut T) -> &mut N + Clone + Send + Sync + 'static,
    ) -> DataStream<T>
    where
        N: Copy + PartialOrd + std::ops::Add<Output = N> + 'static,
    {
        self.aggregate("Keyed Min By", Aggregation::MinBy, field)
    }
    /// The element with the largest field so far (first on ties).
    pub fn max_by<N>(
        &self,
        field: impl Fn(&mut T) -> &mut N + Clone + Send + Sync + 'static,
    ) -> DataStream<T>
    where
        N: Copy + PartialOrd + std::ops::Add<Output = N> + 'static,
    {
        self.aggregate("Keyed Max By", Aggregation::MaxBy, field)
    }
}

impl<T: Data, K: BackendKey> KeyedStream<T, K> {
    /// Runs a keyed process function with keyed state and timers per key (Flink's
    /// `KeyedStream.process(KeyedProcessFunction)`).
    pub fn process<O: Data>(
        &self,
        f: impl KeyedProcessFunction<K, T, O> + Clone + Sync,
    ) -> DataStream<O> {
        let key = self.key.clone();
        self.stream
            .transform("Keyed Process", move |ctx, out, side| {
                Ok(Box::new(KeyedProcessOperator::new(
                    f.clone(),
                    key.clone(),
                    out,
                    side,
                    ctx,
                )?))
            })
    }
}
