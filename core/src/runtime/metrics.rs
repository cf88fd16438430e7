//! Per-subtask metrics with Flink's names, gathered when a task ends.

use serde::Serialize;

/// What one subtask did (Flink's task metrics, averaged over the run).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TaskMetrics {
    /// The vertex (chain) name.
    pub vertex: String,
    /// Vertex index in the job graph.
    pub vertex_id: usize,
    /// Subtask index.
    pub subtask: usize,
    /// Slot the subtask ran in.
    pub slot: usize,
    /// Records that entered the chain (numRecordsIn; for sources, records emitted).
    #[serde(rename = "numRecordsIn")]
    pub records_in: u64,
    /// Records written to result partitions (numRecordsOut).
    #[serde(rename = "numRecordsOut")]
    pub records_out: u64,
    /// Buffers sent (numBuffersOut).
    #[serde(rename = "numBuffersOut")]
    pub buffers_out: u64,
    /// Peak share of the input queue in use (inPoolUsage).
    #[serde(rename = "inPoolUsage")]
    pub in_pool_usage: f32,
    /// Peak share of the output pools in use (outPoolUsage).
    #[serde(rename = "outPoolUsage")]
    pub out_pool_usage: f32,
    /// Peak buffers in use at once in the output pools (summed over result partitions).
    pub out_pool_peak_buffers: usize,
    /// Capacity of the output pools in buffers (summed over result partitions).
    pub out_pool_capacity: usize,
    /// Nanoseconds waiting for output buffers.
    pub backpressured_nanos: u64,
    /// Nanoseconds waiting for input.
    pub idle_nanos: u64,
    /// Nanoseconds the task existed.
    pub total_nanos: u64,
    /// Records a source skipped as malformed (with `on-error = skip`).
    pub records_skipped: u64,
    /// Records dropped as late by the task's window operators (numLateRecordsDropped).
    #[serde(rename = "numLateRecordsDropped")]
    pub late_records_dropped: u64,
    /// Keys in the keyed state of the task's operators when it ended.
    pub state_keys: u64,
    /// Estimated bytes of that keyed state.
    pub state_bytes: u64,
    /// The largest estimate of that keyed state seen while the task ran (sampled every
    /// 250 ms and at the end).
    pub peak_state_bytes: u64,
}

/// What an operator with keyed state reports to its task's metrics.
pub trait StateSize {
    /// Keys and estimated bytes of the operator's keyed state.
    fn state_size(&self) -> (usize, usize);
    /// Records dropped as late so far (Flink's `numLateRecordsDropped`).
    fn late_records_dropped(&self) -> u64 {
        0
    }
}

/// The operators of one task that hold keyed state, weakly: their sizes are summed into
/// the task's metrics when it ends.
#[derive(Clone, Default)]
pub struct StateSizes(std::rc::Rc<std::cell::RefCell<Vec<StateSizeRef>>>);

type StateSizeRef = std::rc::Weak<std::cell::RefCell<dyn StateSize>>;

impl StateSizes {
    /// Adds an operator holding keyed state.
    pub fn register(&self, op: StateSizeRef) {
        self.0.borrow_mut().push(op);
    }

    /// Late records dropped, summed over the operators still alive.
    pub fn late_records_dropped(&self) -> u64 {
        self.0
            .borrow()
            .iter()
            .filter_map(std::rc::Weak::upgrade)
            .map(|op| op.borrow().late_records_dropped())
            .sum()
    }

    /// `(keys, bytes)` summed over the operators still alive.
    pub fn total(&self) -> (u64, u64) {
        let mut total = (0u64, 0u64);
        for op in self.0.borrow().iter().filter_map(std::rc::Weak::upgrade) {
            let (keys, bytes) = op.borrow().state_size();
            total.0 += keys as u64;
            total.1 += bytes as u64;
        }
        total
    }
}

impl TaskMetrics {
    fn per_second(&self, nanos: u64) -> f64 {
        if self.total_nanos == 0 {
            0.0
        } else {
            nanos as f64 / self.total_nanos as f64 * 1000.0
        }
    }
    /// backPressuredTimeMsPerSecond.
    pub fn back_pressured_ms_per_second(&self) -> f64 {
        self.per_second(self.backpressured_nanos)
    }
    /// idleTimeMsPerSecond.
    pub fn idle_ms_per_second(&self) -> f64 {
        self.per_second(self.idle_nanos)
    }
    /// busyTimeMsPerSecond: the rest.
    pub fn busy_ms_per_second(&self) -> f64 {
        (1000.0 - self.back_pressured_ms_per_second() - self.idle_ms_per_second()).max(0.0)
    }
}

/// Metrics of one vertex: its subtasks summed (rates averaged).
#[derive(Debug, Clone, Default, Serialize)]
pub struct VertexSummary {
    /// Vertex name.
    pub vertex: String,
    /// Parallelism.
    pub parallelism: usize,
    /// Sum of numRecordsIn.
    pub records_in: u64,
    /// Sum of numRecordsOut.
    pub records_out: u64,
    /// Sum of skipped malformed records.
    pub records_skipped: u64,
    /// Sum of records dropped as late.
    pub late_records_dropped: u64,
    /// Mean busyTimeMsPerSecond.
    pub busy_ms_per_second: f64,
    /// Mean backPressuredTimeMsPerSecond.
    pub back_pressured_ms_per_second: f64,
    /// Mean idleTimeMsPerSecond.
    pub idle_ms_per_second: f64,
    /// Keys in keyed state, over all subtasks.
    pub state_keys: u64,
    /// Estimated bytes of keyed state, over all subtasks.
    pub state_bytes: u64,
}

/// Groups task metrics by vertex.
pub fn summarize(tasks: &[TaskMetrics]) -> Vec<VertexSummary> {
    let mut out: Vec<(usize, VertexSummary)> = Vec::new();
    for t in tasks {
        let i = match out.iter().position(|(v, _)| *v == t.vertex_id) {
            Some(i) => i,
            None => {
                out.push((
                    t.vertex_id,
                    VertexSummary {
                        vertex: t.vertex.clone(),
                        ..Default::default()
                    },
                ));
                out.len() - 1
            }
        };
        let s = &mut out[i].1;
        s.parallelism += 1;
        s.records_in += t.records_in;
        s.records_out += t.records_out;
        s.records_skipped += t.records_skipped;
        s.late_records_dropped += t.late_records_dropped;
        s.busy_ms_per_second += t.busy_ms_per_second();
        s.back_pressured_ms_per_second += t.back_pressured_ms_per_second();
        s.idle_ms_per_second += t.idle_ms_per_second();
        s.state_keys += t.state_keys;
        s.state_bytes += t.state_bytes;
    }
    out.sort_by_key(|(v, _)| *v);
    out.into_iter()
        .map(|(_, mut s)| {
            let n = s.parallelism.max(1) as f64;
            s.busy_ms_per_second /= n;
            s.back_pressured_ms_per_second /= n;
            s.idle_ms_per_second /= n;
            s
        })
        .collect()
}
