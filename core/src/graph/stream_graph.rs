//! The StreamGraph: what the API builds — one node per operator, one edge per stream
//! connection with its partitioner.

use std::sync::Arc;

use super::factory::{OperatorFactory, TypeOps};
use crate::config::BufferTimeout;
use crate::partitioner::Partitioning;

/// Index of a node in its stream graph.
pub type NodeId = usize;

/// How an operator may be chained (Flink's `ChainingStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainingStrategy {
    /// Chains to its predecessor and successors where the rules allow.
    Always,
    /// Starts a new chain (`start_new_chain`), but successors may chain to it.
    Head,
    /// Never chained (`disable_chaining`).
    Never,
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Produces records.
    Source,
    /// Transforms records.
    Operator,
    /// Consumes records.
    Sink,
}

/// One operator of the job.
pub struct StreamNode {
    /// Its index.
    pub id: NodeId,
    /// Display name (`name()`).
    pub name: String,
    /// Stable id for state (`uid()`).
    pub uid: Option<String>,
    /// Parallelism; `None` takes the job default.
    pub parallelism: Option<usize>,
    /// Max parallelism (number of key groups); `None` takes the job default.
    pub max_parallelism: Option<usize>,
    /// Slot sharing group (`slot_sharing_group()`), `"default"` unless set.
    pub slot_sharing_group: String,
    /// Chaining strategy.
    pub chaining: ChainingStrategy,
    /// Buffer timeout of this operator's outputs (`set_buffer_timeout`), else the job's.
    pub buffer_timeout: Option<BufferTimeout>,
    /// Source, operator or sink.
    pub kind: NodeKind,
    /// Builds the operator in its slot.
    pub factory: Arc<dyn OperatorFactory>,
    /// The type of the records it emits (`None` for sinks).
    pub out_type: Option<Arc<dyn TypeOps>>,
}

impl StreamNode {
    /// A node with the defaults every new operator starts from: the job's parallelism,
    /// the `default` slot sharing group, chaining allowed.
    pub fn new(
        name: &str,
        kind: NodeKind,
        factory: Arc<dyn OperatorFactory>,
        out_type: Option<Arc<dyn TypeOps>>,
    ) -> Self {
        Self {
            id: 0,
            name: name.to_string(),
            uid: None,
            parallelism: None,
            max_parallelism: None,
            slot_sharing_group: "default".into(),
            chaining: ChainingStrategy::Always,
            buffer_timeout: None,
            kind,
            factory,
            out_type,
        }
    }
}

/// A connection between two nodes.
#[derive(Clone)]
pub struct StreamEdge {
    /// Producer.
    pub source: NodeId,
    /// Consumer.
    pub target: NodeId,
    /// Explicit partitioning; `None` is forward when parallelisms match, else rebalance.
    pub partitioning: Option<Partitioning>,
    /// The side output this edge carries, if not the main output.
    pub side_output: Option<String>,
    /// The type of the records on the edge.
    pub record_type: Arc<dyn TypeOps>,
    /// Which input of the consumer it feeds: 0, or 1 for the second input of a
    /// two-input operator.
    pub input: usize,
}

/// Nodes and edges in creation order (which is a topological order).
#[derive(Default)]
pub struct StreamGraph {
    /// The operators.
    pub nodes: Vec<StreamNode>,
    /// The connections.
    pub edges: Vec<StreamEdge>,
}

impl StreamGraph {
    /// The id node `n`'s state is stored under in checkpoints and savepoints: its `uid`,
    /// or else one generated from its place in the graph and its name (Flink hashes the
    /// topology instead; both stay stable while the program is unchanged, and a `uid`
    /// keeps state mapped when the program changes).
    pub fn state_uid(&self, n: NodeId) -> String {
        match self.nodes.get(n) {
            Some(StreamNode { uid: Some(uid), .. }) => uid.clone(),
            Some(node) => format!("auto-{}-{}", n, node.name),
            None => format!("auto-{n}"),
        }
    }

    /// Adds a node and returns its id.
    pub fn add_node(&mut self, mut node: StreamNode) -> NodeId {
        node.id = self.nodes.len();
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Edges into `node`.
    pub fn in_edges(&self, node: NodeId) -> impl Iterator<Item = &StreamEdge> {
        self.edges.iter().filter(move |e| e.target == node)
    }

    /// Edges out of `node`.
    pub fn out_edges(&self, node: NodeId) -> impl Iterator<Item = &StreamEdge> {
        self.edges.iter().filter(move |e| e.source == node)
    }
}
