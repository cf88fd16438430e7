//! The JobGraph: operators chained into vertices (tasks) by Flink's chaining rules.

use std::sync::Arc;

use super::stream_graph::{ChainingStrategy, NodeId, NodeKind, StreamGraph};
use super::GraphError;
use crate::config::BufferTimeout;
use crate::graph::factory::TypeOps;
use crate::partitioner::Partitioning;

/// Index of a vertex in its job graph.
pub type VertexId = usize;

/// A chain of operators that runs as one task per subtask.
#[derive(Debug, Clone)]
pub struct JobVertex {
    /// Its index.
    pub id: VertexId,
    /// Flink-style chain name: `Source: a -> b -> c`.
    pub name: String,
    /// Nodes of the chain, head first, in topological order.
    pub nodes: Vec<NodeId>,
    /// Parallelism of every node in the chain.
    pub parallelism: usize,
    /// Max parallelism (key groups).
    pub max_parallelism: usize,
    /// Slot sharing group.
    pub slot_sharing_group: String,
    /// Whether the head is a source.
    pub is_source: bool,
}

/// A non-chained connection between two vertices.
#[derive(Clone)]
pub struct JobEdge {
    /// Its index.
    pub id: usize,
    /// Producing vertex.
    pub source: VertexId,
    /// Consuming vertex.
    pub target: VertexId,
    /// Producing node inside the source vertex.
    pub source_node: NodeId,
    /// Consuming node (the target vertex's head).
    pub target_node: NodeId,
    /// Resolved partitioning.
    pub partitioning: Partitioning,
    /// Side output carried, if not the main output.
    pub side_output: Option<String>,
    /// Record type on the edge.
    pub record_type: Arc<dyn TypeOps>,
    /// How long a partly filled buffer may wait on this edge.
    pub buffer_timeout: BufferTimeout,
    /// Which input of the consumer it feeds (1: a two-input operator's second).
    pub input: usize,
}

/// A chained (in-task) connection between two nodes.
#[derive(Clone)]
pub struct ChainedEdge {
    /// Producer node.
    pub source: NodeId,
    /// Consumer node.
    pub target: NodeId,
    /// Side output carried, if not the main output.
    pub side_output: Option<String>,
}

/// Job-wide settings that shape the graph.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    /// `parallelism.default`.
    pub default_parallelism: usize,
    /// `pipeline.max-parallelism`.
    pub max_parallelism: usize,
    /// `pipeline.operator-chaining.enabled`.
    pub chaining_enabled: bool,
    /// `execution.buffer-timeout`.
    pub buffer_timeout: BufferTimeout,
}

/// Chains, their connections, and the stream graph they came from.
pub struct JobGraph {
    /// Job name.
    pub name: String,
    /// The vertices, in topological order.
    pub vertices: Vec<JobVertex>,
    /// Connections between vertices.
    pub edges: Vec<JobEdge>,
    /// Connections inside vertices.
    pub chained: Vec<ChainedEdge>,
    /// The stream graph (for the factories).
    pub stream: Arc<StreamGraph>,
    /// Vertex of each node.
    pub vertex_of: Vec<VertexId>,
    /// Resolved parallelism of each node.
    pub node_parallelism: Vec<usize>,
}

impl JobGraph {
    /// Builds the job graph of `stream` with Flink's chaining rules.
    pub fn from_stream_graph(
        name: &str,
        stream: Arc<StreamGraph>,
        settings: &GraphSettings,
    ) -> Result<Self, GraphError> {
        let g = &*stream;
        if !g.nodes.iter().any(|n| n.kind == NodeKind::Source) {
            return Err(GraphError::Invalid("the job has no source".into()));
        }
        let mut par = Vec::with_capacity(g.nodes.len());
        let mut max_par = Vec::with_capacity(g.nodes.len());
        for n in &g.nodes {
            let m = n.max_parallelism.unwrap_or(settings.max_parallelism);
            let p = n.parallelism.unwrap_or(settings.default_parallelism);
            if p == 0 || p > m {
                return Err(GraphError::BadParallelism {
                    name: n.name.clone(),
                    parallelism: p,
                    max_parallelism: m,
                });
            }
            par.push(p);
            max_par.push(m);
            if n.kind != NodeKind::Source && g.in_edges(n.id).next().is_none() {
                return Err(GraphError::Invalid(format!(
                    "operator '{}' has no input",
                    n.name
                )));
            }
        }
        // Resolve partitioners: Flink's default is forward when parallelisms match.
        let mut parts = Vec::with_capacity(g.edges.len());
        for e in &g.edges {
            let (ps, pt) = (par[e.source], par[e.target]);
            let p = match &e.partitioning {
                Some(p) => p.clone(),
                None if ps == pt => Partitioning::Forward,
                None => Partitioning::Rebalance,
            };
            if matches!(p, Partitioning::Forward) && ps != pt {
                return Err(GraphError::ForwardParallelism {
                    from: g.nodes[e.source].name.clone(),
                    from_parallelism: ps,
                    to: g.nodes[e.target].name.clone(),
                    to_parallelism: pt,
                });
            }
            parts.push(p);
        }
        let chainable = |i: usize| -> bool {
            let e = &g.edges[i];
            let (up, down) = (&g.nodes[e.source], &g.nodes[e.target]);
            settings.chaining_enabled
                && g.in_edges(e.target).count() == 1
                && up.chaining != ChainingStrategy::Never
                && down.chaining == ChainingStrategy::Always
                && up.slot_sharing_group == down.slot_sharing_group
                && matches!(parts[i], Partitioning::Forward)
                && par[e.source] == par[e.target]
        };
        // Nodes are in topological order (the API only connects to existing nodes).
        let mut vertex_of = vec![usize::MAX; g.nodes.len()];
        let mut vertices: Vec<JobVertex> = Vec::new();
        for n in &g.nodes {
            let chained_in =
                (0..g.edges.len()).find(|&i| g.edges[i].target == n.id && chainable(i));
            match chained_in {
                Some(i) => {
                    let v = vertex_of[g.edges[i].source];
                    vertex_of[n.id] = v;
                    vertices[v].nodes.push(n.id);
                    vertices[v].name.push_str(" -> ");
                    vertices[v].name.push_str(&n.name);
                }
                None => {
                    let id = vertices.len();
                    vertex_of[n.id] = id;
                    let name = if n.kind == NodeKind::Source {
                        format!("Source: {}", n.name)
                    } else {
                        n.name.clone()
                    };
                    vertices.push(JobVertex {
                        id,
                        name,
                        nodes: vec![n.id],
                        parallelism: par[n.id],
                        max_parallelism: max_par[n.id],
                        slot_sharing_group: n.slot_sharing_group.clone(),
                        is_source: n.kind == NodeKind::Source,
                    });
                }
            }
        }
        let mut edges = Vec::new();
        let mut chained = Vec::new();
        for (i, e) in g.edges.iter().enumerate() {
            if chainable(i) {
                chained.push(ChainedEdge {
                    source: e.source,
                    target: e.target,
                    side_output: e.side_output.clone(),
                });
            } else {
                edges.push(JobEdge {
                    id: edges.len(),
                    source: vertex_of[e.source],
                    target: vertex_of[e.target],
                    source_node: e.source,
                    target_node: e.target,
                    partitioning: parts[i].clone(),
                    side_output: e.side_output.clone(),
                    record_type: e.record_type.clone(),
                    buffer_timeout: g.nodes[e.source]
                        .buffer_timeout
                        .unwrap_or(settings.buffer_timeout),
                    input: e.input,
                });
            }
        }
        Ok(Self {
            name: name.to_string(),
            vertices,
            edges,
            chained,
            stream,
            vertex_of,
            node_parallelism: par,
        })
    }

    /// Job edges into vertex `v`.
    pub fn inputs(&self, v: VertexId) -> impl Iterator<Item = &JobEdge> {
        self.edges.iter().filter(move |e| e.target == v)
    }

    /// Job edges out of vertex `v`.
    pub fn outputs(&self, v: VertexId) -> impl Iterator<Item = &JobEdge> {
        self.edges.iter().filter(move |e| e.source == v)
    }
}
