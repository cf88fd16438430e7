//! `ConnectedStreams`: two streams of possibly different types feeding one two-input
//! operator (Flink's `connect`), keyed alike or not.

use std::hash::Hash;
use std::sync::Arc;

use weir_state::KeyHash;

use super::datastream::{DataStream, StreamInput};
use crate::graph::factory::{downcast_output, BuildContext, Built};
use crate::graph::stream_graph::{NodeKind, StreamNode};
use crate::operator::process::SideOutputs;
use crate::operator::rolling::KeyFn;
use crate::operator::two_input::{
    CoFlatMap, CoProcessFunction, CoProcessOperator, KeyedCoProcessFunction,
    KeyedCoProcessOperator, TwoInputHead, TwoInputOperator,
};
use crate::operator::{BoxOutput, OperatorError};
use crate::record::Data;
use crate::runtime::typed::{TypeOps, TypeOpsImpl};

/// Two connected streams (Flink's `ConnectedStreams`).
pub struct ConnectedStreams<T1: Data, T2: Data> {
    first: DataStream<T1>,
    second: DataStream<T2>,
}

impl<T: Data> DataStream<T> {
    /// Connects this stream with `other` (Flink's `connect`): a two-input operator reads
    /// both, with one watermark, the minimum of the two.
    pub fn connect<T2: Data>(&self, other: &DataStream<T2>) -> ConnectedStreams<T, T2> {
        ConnectedStreams {
            first: self.clone(),
            second: other.clone(),
        }
    }
}

/// Builds the two-input operator of a subtask.
pub(crate) type MakeTwoInput<T1, T2, O> = dyn Fn(
        &BuildContext,
        BoxOutput<O>,
        SideOutputs,
    ) -> Result<Box<dyn TwoInputOperator<T1, T2>>, OperatorError>
    + Send
    + Sync;

pub(crate) fn two_input<T1: Data, T2: Data, O: Data>(
    first: &DataStream<T1>,
    second: &DataStream<T2>,
    name: &str,
    make: Arc<MakeTwoInput<T1, T2, O>>,
) -> DataStream<O> {
    let factory = move |ctx: &BuildContext, main: Box<dyn std::any::Any>, side: SideOutputs| {
        let out = downcast_output::<O>(main, &ctx.name)?;
        let op = make(ctx, out, side)?;
        Ok(Built::Input(Box::new(TwoInputHead::new(op))))
    };
    let env = first.env.clone();
    let id = {
        let mut inner = env.inner.borrow_mut();
        let out_type: Arc<dyn TypeOps> = Arc::new(TypeOpsImpl::<O>::new());
        let node = StreamNode::new(name, NodeKind::Operator, Arc::new(factory), Some(out_type));
        let id = inner.graph.add_node(node);
        first.push_edges(&mut inner.graph, id, 0);
        second.push_edges(&mut inner.graph, id, 1);
        id
    };
    DataStream::new(
        env,
        vec![StreamInput {
            node: id,
            side_output: None,
        }],
    )
}

impl<T1: Data, T2: Data> ConnectedStreams<T1, T2> {
    /// One function per input, one output each (Flink's `CoMapFunction`).
    pub fn map<O: Data>(
        &self,
        f1: impl FnMut(T1) -> O + Clone + Send + Sync + 'static,
        f2: impl FnMut(T2) -> O + Clone + Send + Sync + 'static,
    ) -> DataStream<O> {
        let (mut f1, mut f2) = (f1, f2);
        self.named_process(
            "Co-Map",
            CoFlatMap(move |v| Some(f1(v)), move |v| Some(f2(v))),
        )
    }

    /// One function per input, zero or more outputs each (Flink's `CoFlatMapFunction`).
    pub fn flat_map<O: Data, R1, R2>(
        &self,
        f1: impl FnMut(T1) -> R1 + Clone + Send + Sync + 'static,
        f2: impl FnMut(T2) -> R2 + Clone + Send + Sync + 'static,
    ) -> DataStream<O>
    where
        R1: IntoIterator<Item = O> + 'static,
        R2: IntoIterator<Item = O> + 'static,
    {
        self.named_process("Co-Flat Map", CoFlatMap(f1, f2))
    }

    /// A function over both inputs with a context (Flink's `CoProcessFunction`).
    pub fn process<O: Data>(
        &self,
        f: impl CoProcessFunction<T1, T2, O> + Clone + Sync,
    ) -> DataStream<O> {
        self.named_process("Co-Process", f)
    }

    fn named_process<O: Data>(
        &self,
        name: &str,
        f: impl CoProcessFunction<T1, T2, O> + Clone + Sync,
    ) -> DataStream<O> {
        let make: Arc<MakeTwoInput<T1, T2, O>> = Arc::new(move |_, out, side| {
            Ok(Box::new(CoProcessOperator::new(f.clone(), out, side)))
        });
        two_input(&self.first, &self.second, name, make)
    }

    /// Keys both inputs (Flink's `ConnectedStreams.keyBy`): elements of either input with
    /// equal keys reach the same subtask.
    pub fn key_by<K>(
        &self,
        key1: impl Fn(&T1) -> K + Send + Sync + 'static,
        key2: impl Fn(&T2) -> K + Send + Sync + 'static,
    ) -> KeyedConnectedStreams<T1, T2, K>
    where
        K: KeyHash + Eq + Hash + Clone + Send + Sync + weir_state::StateCodec + 'static,
    {
        let first = self.first.key_by(key1);
        let second = self.second.key_by(key2);
        KeyedConnectedStreams {
            first: first.stream().clone(),
            second: second.stream().clone(),
            key1: first.key_selector(),
            key2: second.key_selector(),
        }
    }
}

/// Two connected streams keyed alike.
pub struct KeyedConnectedStreams<T1: Data, T2: Data, K> {
    first: DataStream<T1>,
    second: DataStream<T2>,
    key1: KeyFn<T1, K>,
    key2: KeyFn<T2, K>,
}

impl<T1: Data, T2: Data, K: weir_state::keyed::BackendKey> KeyedConnectedStreams<T1, T2, K> {
    /// A keyed function over both inputs with timers per key (Flink's
    /// `KeyedCoProcessFunction`).
    pub fn process<O: Data>(
        &self,
        f: impl KeyedCoProcessFunction<K, T1, T2, O> + Clone + Sync,
    ) -> DataStream<O> {
        let (k1, k2) = (self.key1.clone(), self.key2.clone());
        let make: Arc<MakeTwoInput<T1, T2, O>> = Arc::new(move |ctx, out, side| {
            Ok(Box::new(KeyedCoProcessOperator::new(
                f.clone(),
                k1.clone(),
                k2.clone(),
                out,
                side,
                ctx,
            )?))
        });
        two_input(&self.first, &self.second, "Keyed Co-Process", make)
    }
}

/// A keyed stream connected with a broadcast stream (Flink's `BroadcastConnectedStream`
/// on a keyed stream).
pub struct KeyedBroadcastStreams<T: Data, B: Data, K> {
    keyed: DataStream<T>,
    broadcast: DataStream<B>,
    key: KeyFn<T, K>,
}

impl<T: Data, K: weir_state::keyed::BackendKey> super::KeyedStream<T, K> {
    /// Connects this keyed stream with `rules`, which every subtask receives in full
    /// (Flink's `keyedStream.connect(broadcastStream)`).
    pub fn connect_broadcast<B: Data>(
        &self,
        rules: &DataStream<B>,
    ) -> KeyedBroadcastStreams<T, B, K> {
        KeyedBroadcastStreams {
            keyed: self.stream().clone(),
            broadcast: rules.broadcast(),
            key: self.key_selector(),
        }
    }
}

impl<T: Data, B: Data, K: weir_state::keyed::BackendKey> KeyedBroadcastStreams<T, B, K> {
    /// Runs a keyed broadcast function: the broadcast side writes the broadcast state,
    /// the keyed side reads it (Flink's `KeyedBroadcastProcessFunction`).
    pub fn process<KB, VB, O: Data>(
        &self,
        f: impl crate::operator::broadcast::KeyedBroadcastProcessFunction<K, T, B, KB, VB, O>
            + Clone
            + Sync,
    ) -> DataStream<O>
    where
        KB: weir_state::StateCodec + Eq + Hash + 'static,
        VB: weir_state::StateCodec + 'static,
    {
        let key = self.key.clone();
        let make: Arc<MakeTwoInput<T, B, O>> = Arc::new(move |ctx, out, side| {
            Ok(Box::new(
                crate::operator::broadcast::KeyedBroadcastOperator::new(
                    f.clone(),
                    key.clone(),
                    out,
                    side,
                    ctx,
                )?,
            ))
        });
        two_input(
            &self.keyed,
            &self.broadcast,
            "Keyed Broadcast Process",
            make,
        )
    }
}

/// A (non-keyed) stream connected with a broadcast stream.
pub struct BroadcastStreams<T: Data, B: Data> {
    stream: DataStream<T>,
    broadcast: DataStream<B>,
}

impl<T: Data> DataStream<T> {
    /// Connects this stream with `rules`, which every subtask receives in full (Flink's
    /// `stream.connect(broadcastStream)`).
    pub fn connect_broadcast<B: Data>(&self, rules: &DataStream<B>) -> BroadcastStreams<T, B> {
        BroadcastStreams {
            stream: self.clone(),
            broadcast: rules.broadcast(),
        }
    }
}

impl<T: Data, B: Data> BroadcastStreams<T, B> {
    /// Runs a broadcast function: the broadcast side writes the broadcast state, the
    /// other side reads it (Flink's `BroadcastProcessFunction`).
    pub fn process<KB, VB, O: Data>(
        &self,
        f: impl crate::operator::broadcast::BroadcastProcessFunction<T, B, KB, VB, O> + Clone + Sync,
    ) -> DataStream<O>
    where
        KB: weir_state::StateCodec + Eq + Hash + 'static,
        VB: weir_state::StateCodec + 'static,
    {
        let make: Arc<MakeTwoInput<T, B, O>> = Arc::new(move |ctx, out, side| {
            Ok(Box::new(
                crate::operator::broadcast::BroadcastOperator::new(f.clone(), out, side, ctx)?,
            ))
        });
        two_input(&self.stream, &self.broadcast, "Broadcast Process", make)
    }
}
