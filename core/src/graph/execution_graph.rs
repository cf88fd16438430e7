//! The ExecutionGraph: every vertex expanded to its parallelism, each subtask placed in
//! a slot (slot sharing: a slot holds at most one subtask of each vertex), and every
//! channel between producer and consumer subtasks enumerated.

use super::job_graph::{JobGraph, VertexId};
use super::GraphError;

/// One channel of a job edge: producer subtask's subpartition → consumer's input channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSpec {
    /// The job edge.
    pub edge: usize,
    /// Producer subtask.
    pub producer: usize,
    /// Index among the producer's subpartitions for this edge.
    pub subpartition: usize,
    /// Consumer subtask.
    pub consumer: usize,
    /// Index among all input channels of the consumer's input gate.
    pub input_channel: usize,
}

/// Subtasks, slots and channels of a job.
pub struct ExecutionGraph {
    /// Slot of each subtask: `slot_of[vertex][subtask]`.
    pub slot_of: Vec<Vec<usize>>,
    /// Slots the job needs.
    pub slots_needed: usize,
    /// All channels, grouped by job edge.
    pub channels: Vec<Vec<ChannelSpec>>,
    /// Number of subpartitions of each producer subtask per edge: `[edge][producer]`.
    pub subpartitions: Vec<Vec<usize>>,
    /// Number of input channels of each consumer subtask: `[vertex][subtask]`.
    pub input_channels: Vec<Vec<usize>>,
}

/// The consumers a pointwise producer `u` of `m` talks to among `n` consumers.
fn pointwise_pairs(m: usize, n: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    if m >= n {
        for u in 0..m {
            pairs.push((u, u * n / m));
        }
    } else {
        for d in 0..n {
            pairs.push((d * m / n, d));
        }
        pairs.sort();
    }
    pairs
}

impl ExecutionGraph {
    /// Expands `job` for a TaskManager with `available_slots` slots.
    pub fn build(job: &JobGraph, available_slots: usize) -> Result<Self, GraphError> {
        // Slot sharing groups in order of appearance; each needs its max parallelism.
        let mut groups: Vec<(String, usize)> = Vec::new();
        for v in &job.vertices {
            match groups.iter_mut().find(|(g, _)| *g == v.slot_sharing_group) {
                Some((_, n)) => *n = (*n).max(v.parallelism),
                None => groups.push((v.slot_sharing_group.clone(), v.parallelism)),
            }
        }
        let slots_needed: usize = groups.iter().map(|(_, n)| n).sum();
        if slots_needed > available_slots {
            let detail = groups
                .iter()
                .map(|(g, n)| format!("group '{g}': {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(GraphError::NotEnoughSlots {
                needed: slots_needed,
                available: available_slots,
                detail,
            });
        }
        let offset = |g: &str| -> usize {
            let mut off = 0;
            for (name, n) in &groups {
                if name == g {
                    return off;
                }
                off += n;
            }
            off
        };
        let slot_of: Vec<Vec<usize>> = job
            .vertices
            .iter()
            .map(|v| {
                (0..v.parallelism)
                    .map(|i| offset(&v.slot_sharing_group) + i)
                    .collect()
            })
            .collect();

        let mut input_channels: Vec<Vec<usize>> = job
            .vertices
            .iter()
            .map(|v| vec![0; v.parallelism])
            .collect();
        let mut subpartitions = Vec::new();
        let mut channels = Vec::new();
        for e in &job.edges {
            let m = job.vertices[e.source].parallelism;
            let n = job.vertices[e.target].parallelism;
            let pairs: Vec<(usize, usize)> = if e.partitioning.is_pointwise() {
                pointwise_pairs(m, n)
            } else {
                (0..m).flat_map(|u| (0..n).map(move |d| (u, d))).collect()
            };
            let mut subs = vec![0usize; m];
            let mut list = Vec::with_capacity(pairs.len());
            // Input channel indices: producer-major per edge, so a consumer sees producers in order.
            let mut by_consumer: Vec<(usize, usize)> = pairs.clone();
            by_consumer.sort_by_key(|&(u, d)| (d, u));
            let mut input_index = std::collections::HashMap::new();
            for (u, d) in by_consumer {
                let ic = &mut input_channels[e.target][d];
                input_index.insert((u, d), *ic);
                *ic += 1;
            }
            for (u, d) in pairs {
                list.push(ChannelSpec {
                    edge: e.id,
                    producer: u,
                    subpartition: subs[u],
                    consumer: d,
                    input_channel: input_index[&(u, d)],
                });
                subs[u] += 1;
            }
            subpartitions.push(subs);
            channels.push(list);
        }
        Ok(Self {
            slot_of,
            slots_needed,
            channels,
            subpartitions,
            input_channels,
        })
    }

    /// The subtasks placed in `slot`: `(vertex, subtask)`.
    pub fn subtasks_in_slot(&self, slot: usize) -> Vec<(VertexId, usize)> {
        let mut out = Vec::new();
        for (v, slots) in self.slot_of.iter().enumerate() {
            for (i, &s) in slots.iter().enumerate() {
                if s == slot {
                    out.push((v, i));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointwise_rescale_connects_each_side_to_a_contiguous_range() {
        assert_eq!(pointwise_pairs(2, 4), vec![(0, 0), (0, 1), (1, 2), (1, 3)]);
        assert_eq!(pointwise_pairs(4, 2), vec![(0, 0), (1, 0), (2, 1), (3, 1)]);
        assert_eq!(pointwise_pairs(3, 3), vec![(0, 0), (1, 1), (2, 2)]);
    }
}
