//! `DataStream`: transformations, partitionings and per-operator settings.

use crate::operator::watermarks::TimestampsAndWatermarks;
use crate::time::WatermarkStrategy;
use std::marker::PhantomData;
use std::sync::Arc;

use super::environment::StreamExecutionEnvironment;
use super::keyed::KeyedStream;
use crate::config::BufferTimeout;
use crate::graph::factory::{downcast_output, BuildContext, Built, OperatorFactory, TypeOps};
use crate::graph::stream_graph::{ChainingStrategy, NodeId, NodeKind, StreamEdge, StreamNode};
use crate::operator::basic::{FilterOperator, FlatMapOperator, MapOperator};
use crate::operator::checkpointed::{CheckpointedFunction, CheckpointedProcessOperator};
use crate::operator::process::{OutputTag, ProcessFunction, ProcessOperator, SideOutputs};
use crate::operator::{BoxOutput, OperatorError};
use crate::partitioner::{CustomFn, KeyHashFn, Partitioning};
use crate::record::{Data, Record};
use crate::runtime::typed::TypeOpsImpl;
use weir_state::key_group::KeyHash;

/// One upstream of a stream: a node's main output or one of its side outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInput {
    /// The producing node.
    pub node: NodeId,
    /// The side output, if not the main one.
    pub side_output: Option<String>,
}

/// A stream of `T` (Flink's `DataStream`).
pub struct DataStream<T: Data> {
    pub(crate) env: StreamExecutionEnvironment,
    pub(crate) inputs: Vec<StreamInput>,
    pub(crate) partitioning: Option<Partitioning>,
    _type: PhantomData<fn() -> T>,
}

impl<T: Data> Clone for DataStream<T> {
    fn clone(&self) -> Self {
        Self {
            env: self.env.clone(),
            inputs: self.inputs.clone(),
            partitioning: self.partitioning.clone(),
            _type: PhantomData,
        }
    }
}

/// Builds the operator of a transformation, given its downstream, for one subtask.
pub type MakeOperator<I, O> = dyn Fn(&BuildContext, BoxOutput<O>, SideOutputs) -> Result<BoxOutput<I>, OperatorError>
    + Send
    + Sync;

impl<T: Data> DataStream<T> {
    pub(crate) fn new(env: StreamExecutionEnvironment, inputs: Vec<StreamInput>) -> Self {
        Self {
            env,
            inputs,
            partitioning: None,
            _type: PhantomData,
        }
    }

    pub(crate) fn add_node(
        &self,
        name: &str,
        kind: NodeKind,
        factory: Arc<dyn OperatorFactory>,
        out_type: Option<Arc<dyn TypeOps>>,
    ) -> NodeId {
        let mut inner = self.env.inner.borrow_mut();
        let id = inner
            .graph
            .add_node(StreamNode::new(name, kind, factory, out_type));
        self.push_edges(&mut inner.graph, id, 0);
        id
    }

    /// Connects this stream's inputs to `target`'s input number `input`.
    pub(crate) fn push_edges(
        &self,
        graph: &mut crate::graph::stream_graph::StreamGraph,
        target: NodeId,
        input: usize,
    ) {
        let record_type: Arc<dyn TypeOps> = Arc::new(TypeOpsImpl::<T>::new());
        for i in &self.inputs {
            graph.edges.push(StreamEdge {
                source: i.node,
                target,
                partitioning: self.partitioning.clone(),
                side_output: i.side_output.clone(),
                record_type: record_type.clone(),
                input,
            });
        }
    }

    /// Assigns event timestamps and generates watermarks with `strategy` (Flink's
    /// `assignTimestampsAndWatermarks`); periodic watermarks every
    /// `pipeline.auto-watermark-interval` of the slot's clock (0 turns them off).
    /// Upstream watermarks are replaced, except the final one that ends the input.
    pub fn assign_timestamps_and_watermarks(
        &self,
        strategy: WatermarkStrategy<T>,
    ) -> DataStream<T> {
        let interval = self
            .env
            .config()
            .get(&crate::config::AUTO_WATERMARK_INTERVAL);
        self.transform("Timestamps/Watermarks", move |ctx, out, _| {
            Ok(Box::new(TimestampsAndWatermarks::new(
                &strategy,
                out,
                &ctx.timers,
                &ctx.clock,
                Some(interval),
            )))
        })
    }

    /// Adds an operator built by `make` (Flink's `transform`): the general form of every
    /// transformation, for operators written against [`crate::operator::Output`].
    pub fn transform<O: Data>(
        &self,
        name: &str,
        make: impl Fn(&BuildContext, BoxOutput<O>, SideOutputs) -> Result<BoxOutput<T>, OperatorError>
            + Send
            + Sync
            + 'static,
    ) -> DataStream<O> {
        let factory = move |ctx: &BuildContext, main: Box<dyn std::any::Any>, side: SideOutputs| {
            let out = downcast_output::<O>(main, &ctx.name)?;
            let op: BoxOutput<T> = make(ctx, out, side)?;
            Ok(Built::Operator(Box::new(op)))
        };
        let id = self.add_node(
            name,
            NodeKind::Operator,
            Arc::new(factory),
            Some(Arc::new(TypeOpsImpl::<O>::new())),
        );
        DataStream::new(
            self.env.clone(),
            vec![StreamInput {
                node: id,
                side_output: None,
            }],
        )
    }

    /// Applies `f` to every element (Flink's `map`).
    pub fn map<O: Data>(
        &self,
        f: impl FnMut(T) -> O + Clone + Send + Sync + 'static,
    ) -> DataStream<O> {
        self.transform("Map", move |_, out, _| {
            Ok(Box::new(MapOperator::new(f.clone(), out)))
        })
    }

    /// Keeps the elements `f` accepts (Flink's `filter`).
    pub fn filter(
        &self,
        f: impl FnMut(&T) -> bool + Clone + Send + Sync + 'static,
    ) -> DataStream<T> {
        self.transform("Filter", move |_, out, _| {
            Ok(Box::new(FilterOperator::new(f.clone(), out)))
        })
    }

    /// Emits what `f` returns for every element (Flink's `flatMap`).
    pub fn flat_map<O: Data, R: IntoIterator<Item = O> + 'static>(
        &self,
        f: impl FnMut(T) -> R + Clone + Send + Sync + 'static,
    ) -> DataStream<O> {
        self.transform("Flat Map", move |_, out, _| {
            Ok(Box::new(FlatMapOperator::new(f.clone(), out)))
        })
    }

    /// Runs a process function with access to timestamps and side outputs.
    pub fn process<O: Data>(&self, f: impl ProcessFunction<T, O> + Clone + Sync) -> DataStream<O> {
        self.transform("Process", move |_, out, side| {
            Ok(Box::new(ProcessOperator::new(f.clone(), out, side)))
        })
    }

    /// Runs a process function with operator state (Flink's `CheckpointedFunction`): its
    /// list states go into every checkpoint and come back, redistributed, on restore.
    pub fn process_checkpointed<O: Data>(
        &self,
        f: impl ProcessFunction<T, O> + CheckpointedFunction + Clone + Sync,
    ) -> DataStream<O> {
        self.transform("Process", move |ctx, out, side| {
            Ok(Box::new(CheckpointedProcessOperator::new(
                f.clone(),
                out,
                side,
                ctx,
            )?))
        })
    }

    /// The side output `tag` of this stream's operator (Flink's `getSideOutput`).
    pub fn side_output<S: Data>(&self, tag: &OutputTag<S>) -> DataStream<S> {
        let inputs = self
            .inputs
            .iter()
            .map(|i| StreamInput {
                node: i.node,
                side_output: Some(tag.id().to_string()),
            })
            .collect();
        DataStream::new(self.env.clone(), inputs)
    }

    /// Merges streams of the same type (Flink's `union`).
    pub fn union(&self, others: &[DataStream<T>]) -> DataStream<T> {
        let mut inputs = self.inputs.clone();
        for o in others {
            inputs.extend(o.inputs.iter().cloned());
        }
        DataStream::new(self.env.clone(), inputs)
    }

    fn partitioned(&self, p: Partitioning) -> DataStream<T> {
        let mut s = self.clone();
        s.partitioning = Some(p);
        s
    }

    /// Partitions by key (Flink's `keyBy`): equal keys reach the same subtask.
    pub fn key_by<K>(&self, key: impl Fn(&T) -> K + Send + Sync + 'static) -> KeyedStream<T, K>
    where
        K: KeyHash + Eq + std::hash::Hash + Clone + Send + Sync + weir_state::StateCodec + 'static,
    {
        let key = Arc::new(key);
        let k = key.clone();
        let hash: KeyHashFn<T> =
            Arc::new(move |r: &Record<'_, T>| Ok(r.with_value(|v| k(v).key_hash())?));
        KeyedStream::new(
            self.partitioned(Partitioning::KeyGroup(Arc::new(hash))),
            key,
        )
    }

    /// Partitions by a precomputed key hash (for engines of their own, like the job-file rows).
    pub fn partition_by_key_hash(&self, hash: KeyHashFn<T>) -> DataStream<T> {
        self.partitioned(Partitioning::KeyGroup(Arc::new(hash)))
    }

    /// Round-robin over all downstream subtasks.
    pub fn rebalance(&self) -> DataStream<T> {
        self.partitioned(Partitioning::Rebalance)
    }
    /// Round-robin over the downstream subtasks local to each producer.
    pub fn rescale(&self) -> DataStream<T> {
        self.partitioned(Partitioning::Rescale)
    }
    /// Uniformly random downstream subtask.
    pub fn shuffle(&self) -> DataStream<T> {
        self.partitioned(Partitioning::Shuffle)
    }
    /// Every element to every downstream subtask.
    pub fn broadcast(&self) -> DataStream<T> {
        self.partitioned(Partitioning::Broadcast)
    }
    /// Every element to downstream subtask 0.
    pub fn global(&self) -> DataStream<T> {
        self.partitioned(Partitioning::Global)
    }
    /// To the downstream subtask of the same index (equal parallelism required).
    pub fn forward(&self) -> DataStream<T> {
        self.partitioned(Partitioning::Forward)
    }
    /// By a user partitioner over a key (Flink's `partitionCustom`).
    pub fn partition_custom<K: 'static>(
        &self,
        partitioner: impl Fn(&K, usize) -> usize + Send + Sync + 'static,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> DataStream<T> {
        let f: CustomFn<T> =
            Arc::new(move |r: &Record<'_, T>, n| Ok(r.with_value(|v| partitioner(&key(v), n))?));
        self.partitioned(Partitioning::Custom(Arc::new(f)))
    }

    fn with_nodes(self, mut f: impl FnMut(&mut StreamNode)) -> Self {
        {
            let mut inner = self.env.inner.borrow_mut();
            for i in &self.inputs {
                if i.side_output.is_none() {
                    f(&mut inner.graph.nodes[i.node]);
                }
            }
        }
        self
    }

    /// Sets the parallelism of this stream's operator.
    pub fn set_parallelism(self, parallelism: usize) -> Self {
        self.with_nodes(|n| n.parallelism = Some(parallelism))
    }
    /// Sets the max parallelism (number of key groups) of this stream's operator.
    pub fn set_max_parallelism(self, max_parallelism: usize) -> Self {
        self.with_nodes(|n| n.max_parallelism = Some(max_parallelism))
    }
    /// Names the operator.
    pub fn name(self, name: &str) -> Self {
        self.with_nodes(|n| n.name = name.to_string())
    }
    /// Gives the operator a stable id.
    pub fn uid(self, uid: &str) -> Self {
        self.with_nodes(|n| n.uid = Some(uid.to_string()))
    }
    /// Puts the operator in a slot sharing group.
    pub fn slot_sharing_group(self, group: &str) -> Self {
        self.with_nodes(|n| n.slot_sharing_group = group.to_string())
    }
    /// Starts a new chain at this operator.
    pub fn start_new_chain(self) -> Self {
        self.with_nodes(|n| n.chaining = ChainingStrategy::Head)
    }
    /// Never chains this operator.
    pub fn disable_chaining(self) -> Self {
        self.with_nodes(|n| n.chaining = ChainingStrategy::Never)
    }
    /// Overrides the buffer timeout of this operator's outputs (Flink's `setBufferTimeout`).
    pub fn set_buffer_timeout(self, timeout: BufferTimeout) -> Self {
        self.with_nodes(|n| n.buffer_timeout = Some(timeout))
    }

    /// The environment this stream belongs to.
    pub fn env(&self) -> &StreamExecutionEnvironment {
        &self.env
    }
}
