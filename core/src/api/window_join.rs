//! Window joins and co-groups of two streams (Flink's `join` and `coGroup`):
//! `a.join(&b).where_key(ka).equal_to(kb).window(assigner).apply(f)` emits `f(l, r)` for
//! every pair of elements with equal keys in the same window;
//! `a.co_group(&b)…apply(f)` calls `f(lefts, rights, out)` once per key and window.
//! Windows are tumbling or sliding, in event time or processing time, with the default
//! trigger; results carry the window's last timestamp.

use weir_state::keyed::BackendKey;

use super::DataStream;
use crate::operator::process::Collector;
use crate::record::Data;
use crate::window::assigners::WindowAssigner;
use crate::window::join::{CoGroupPairs, JoinPairs, Pairing, WindowJoin};
use crate::window::windows::TimeWindow;

/// Whether the pairs are joined or co-grouped.
pub trait PairMode {}

/// Pairs are joined ([`DataStream::join`]).
pub struct Join;
impl PairMode for Join {}

/// Windows are co-grouped ([`DataStream::co_group`]).
pub struct CoGroup;
impl PairMode for CoGroup {}

/// Two streams to join or co-group, waiting for their keys.
pub struct TwoStreams<T1: Data, T2: Data, M> {
    first: DataStream<T1>,
    second: DataStream<T2>,
    _mode: std::marker::PhantomData<M>,
}

/// Two streams with the first's key, waiting for the second's.
pub struct WhereKey<T1: Data, T2: Data, K, M> {
    streams: TwoStreams<T1, T2, M>,
    key1: std::sync::Arc<dyn Fn(&T1) -> K + Send + Sync>,
}

/// Two keyed streams, waiting for their windows.
pub struct EqualTo<T1: Data, T2: Data, K, M> {
    streams: TwoStreams<T1, T2, M>,
    key1: std::sync::Arc<dyn Fn(&T1) -> K + Send + Sync>,
    key2: std::sync::Arc<dyn Fn(&T2) -> K + Send + Sync>,
}

/// Two keyed streams cut into the same windows, waiting for the function.
pub struct WindowedPairs<T1: Data, T2: Data, K, A, M> {
    keyed: EqualTo<T1, T2, K, M>,
    assigner: A,
}

impl<T1: Data> DataStream<T1> {
    /// Joins this stream with `other` by key within windows (Flink's `join`).
    pub fn join<T2: Data>(&self, other: &DataStream<T2>) -> TwoStreams<T1, T2, Join> {
        TwoStreams {
            first: self.clone(),
            second: other.clone(),
            _mode: std::marker::PhantomData,
        }
    }

    /// Co-groups this stream with `other` by key within windows (Flink's `coGroup`).
    pub fn co_group<T2: Data>(&self, other: &DataStream<T2>) -> TwoStreams<T1, T2, CoGroup> {
        TwoStreams {
            first: self.clone(),
            second: other.clone(),
            _mode: std::marker::PhantomData,
        }
    }
}

impl<T1: Data, T2: Data, M> TwoStreams<T1, T2, M> {
    /// The first stream's key (Flink's `where`).
    pub fn where_key<K>(
        self,
        key: impl Fn(&T1) -> K + Send + Sync + 'static,
    ) -> WhereKey<T1, T2, K, M> {
        WhereKey {
            streams: self,
            key1: std::sync::Arc::new(key),
        }
    }
}

impl<T1: Data, T2: Data, K, M> WhereKey<T1, T2, K, M> {
    /// The second stream's key (Flink's `equalTo`).
    pub fn equal_to(self, key: impl Fn(&T2) -> K + Send + Sync + 'static) -> EqualTo<T1, T2, K, M> {
        EqualTo {
            streams: self.streams,
            key1: self.key1,
            key2: std::sync::Arc::new(key),
        }
    }
}

impl<T1: Data, T2: Data, K: BackendKey, M> EqualTo<T1, T2, K, M> {
    /// The windows both streams are cut into (tumbling or sliding).
    pub fn window<A>(self, assigner: A) -> WindowedPairs<T1, T2, K, A, M>
    where
        A: WindowAssigner<T1, W = TimeWindow> + WindowAssigner<T2, W = TimeWindow>,
    {
        WindowedPairs {
            keyed: self,
            assigner,
        }
    }
}

impl<T1: Data, T2: Data, K: BackendKey, A, M> WindowedPairs<T1, T2, K, A, M>
where
    A: WindowAssigner<T1, W = TimeWindow> + WindowAssigner<T2, W = TimeWindow>,
{
    fn build<O: Data, P: Pairing<T1, T2, O>>(&self, pairing: P) -> DataStream<O> {
        let (k1, k2) = (self.keyed.key1.clone(), self.keyed.key2.clone());
        self.keyed
            .streams
            .first
            .connect(&self.keyed.streams.second)
            .key_by(move |a: &T1| k1(a), move |b: &T2| k2(b))
            .process(WindowJoin::new(self.assigner.clone(), pairing))
    }
}

impl<T1: Data, T2: Data, K: BackendKey, A> WindowedPairs<T1, T2, K, A, Join>
where
    A: WindowAssigner<T1, W = TimeWindow> + WindowAssigner<T2, W = TimeWindow>,
{
    /// Emits `f(left, right)` for every pair of the same key and window (Flink's
    /// `JoinFunction`).
    pub fn apply<O: Data>(
        &self,
        f: impl FnMut(&T1, &T2) -> O + Clone + Send + Sync + 'static,
    ) -> DataStream<O> {
        self.build(JoinPairs(f))
    }
}

impl<T1: Data, T2: Data, K: BackendKey, A> WindowedPairs<T1, T2, K, A, CoGroup>
where
    A: WindowAssigner<T1, W = TimeWindow> + WindowAssigner<T2, W = TimeWindow>,
{
    /// Calls `f(lefts, rights, out)` once per key and window with elements on either side
    /// (Flink's `CoGroupFunction`).
    pub fn apply<O: Data>(
        &self,
        f: impl FnMut(Vec<T1>, Vec<T2>, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    ) -> DataStream<O> {
        self.build(CoGroupPairs(f))
    }
}
