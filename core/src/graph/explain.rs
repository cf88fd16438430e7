//! `weir explain`: the job graph — chains, parallelism, partitioners — and which subtask
//! runs in which slot, as text or JSON.

use serde::Serialize;

use super::execution_graph::ExecutionGraph;
use super::job_graph::JobGraph;

/// The plan of one vertex.
#[derive(Debug, Serialize)]
pub struct VertexPlan {
    /// Vertex index.
    pub id: usize,
    /// Chain name.
    pub name: String,
    /// Operators in the chain, head first.
    pub operators: Vec<String>,
    /// Parallelism.
    pub parallelism: usize,
    /// Max parallelism (key groups).
    pub max_parallelism: usize,
    /// Slot sharing group.
    pub slot_sharing_group: String,
    /// Slot of each subtask.
    pub slots: Vec<usize>,
}

/// The plan of one connection between vertices.
#[derive(Debug, Serialize)]
pub struct EdgePlan {
    /// Producing vertex.
    pub from: usize,
    /// Consuming vertex.
    pub to: usize,
    /// Flink's partitioner name.
    pub partitioner: String,
    /// `ALL_TO_ALL` or `POINTWISE`.
    pub distribution: String,
    /// Side output carried, if any.
    pub side_output: Option<String>,
    /// Buffer timeout of the producer's output.
    pub buffer_timeout: String,
    /// Number of channels.
    pub channels: usize,
}

/// A job's plan.
#[derive(Debug, Serialize)]
pub struct Plan {
    /// Job name.
    pub job: String,
    /// Slots needed.
    pub slots_needed: usize,
    /// Vertices (chains).
    pub vertices: Vec<VertexPlan>,
    /// Connections.
    pub edges: Vec<EdgePlan>,
}

impl Plan {
    /// The plan of `job` as placed by `eg`.
    pub fn new(job: &JobGraph, eg: &ExecutionGraph) -> Self {
        let vertices = job
            .vertices
            .iter()
            .map(|v| VertexPlan {
                id: v.id,
                name: v.name.clone(),
                operators: v
                    .nodes
                    .iter()
                    .map(|&n| job.stream.nodes[n].name.clone())
                    .collect(),
                parallelism: v.parallelism,
                max_parallelism: v.max_parallelism,
                slot_sharing_group: v.slot_sharing_group.clone(),
                slots: eg.slot_of[v.id].clone(),
            })
            .collect();
        let edges = job
            .edges
            .iter()
            .map(|e| EdgePlan {
                from: e.source,
                to: e.target,
                partitioner: e.partitioning.name().to_string(),
                distribution: if e.partitioning.is_pointwise() {
                    "POINTWISE"
                } else {
                    "ALL_TO_ALL"
                }
                .to_string(),
                side_output: e.side_output.clone(),
                buffer_timeout: e.buffer_timeout.to_string(),
                channels: eg.channels[e.id].len(),
            })
            .collect();
        Self {
            job: job.name.clone(),
            slots_needed: eg.slots_needed,
            vertices,
            edges,
        }
    }

    /// The plan as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The plan as text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "Job '{}': {} vertices, needs {} slots\n",
            self.job,
            self.vertices.len(),
            self.slots_needed
        );
        for v in &self.vertices {
            s.push_str(&format!(
                "\n[{}] {}\n    parallelism {}, max parallelism {}, slot sharing group '{}'\n",
                v.id, v.name, v.parallelism, v.max_parallelism, v.slot_sharing_group
            ));
            let placed: Vec<String> = v
                .slots
                .iter()
                .enumerate()
                .map(|(i, s)| format!("#{i}->slot {s}"))
                .collect();
            s.push_str(&format!("    subtasks: {}\n", placed.join(", ")));
            for e in self.edges.iter().filter(|e| e.from == v.id) {
                let side = e
                    .side_output
                    .as_ref()
                    .map(|t| format!(" (side output '{t}')"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "    -> [{}] {} {}{}, {} channels, buffer timeout {}\n",
                    e.to, e.partitioner, e.distribution, side, e.channels, e.buffer_timeout
                ));
            }
        }
        s
    }
}
