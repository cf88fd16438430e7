//! The three graphs of a job, as in Flink:
//!
//! - [`stream_graph`]: one node per operator, edges carry a partitioner (built by the API).
//! - [`job_graph`]: operators chained into vertices by Flink's chaining rules.
//! - [`execution_graph`]: vertices expanded to subtasks, placed in slots (slot sharing),
//!   with the channels between them.
//! - [`explain`]: the job graph as text or JSON (`weir explain`).
//! - [`factory`]: the type-erased builders a node carries into the slot that runs it.

pub mod execution_graph;
pub mod explain;
pub mod factory;
pub mod job_graph;
pub mod stream_graph;

/// Why a job cannot be turned into a runnable graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Forward partitioning between operators of different parallelism.
    #[error("forward partitioning from '{from}' (parallelism {from_parallelism}) to '{to}' (parallelism {to_parallelism}) does not allow a change of parallelism; use rebalance() or rescale()")]
    ForwardParallelism {
        /// Upstream operator.
        from: String,
        /// Its parallelism.
        from_parallelism: usize,
        /// Downstream operator.
        to: String,
        /// Its parallelism.
        to_parallelism: usize,
    },
    /// The cluster has fewer slots than the job needs.
    #[error("job needs {needed} slots ({detail}) but the TaskManager has {available}; raise taskmanager.numberOfTaskSlots or lower the parallelism")]
    NotEnoughSlots {
        /// Slots the job needs.
        needed: usize,
        /// Slots available.
        available: usize,
        /// Per slot sharing group.
        detail: String,
    },
    /// A parallelism outside `1..=max_parallelism`.
    #[error("operator '{name}' has parallelism {parallelism}, which must be between 1 and its max parallelism {max_parallelism}")]
    BadParallelism {
        /// Operator name.
        name: String,
        /// Requested parallelism.
        parallelism: usize,
        /// Its max parallelism.
        max_parallelism: usize,
    },
    /// The job has no sources, or an operator has no input.
    #[error("{0}")]
    Invalid(String),
}
