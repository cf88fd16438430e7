//! The job every harness runs — one source subtask, a rebalance edge, one sink subtask in
//! another slot sharing group (so in another slot) — and the pieces shared by harnesses:
//! an unthrottled counting source, a counting sink, running with progress.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weir_core::api::StreamExecutionEnvironment;
use weir_core::cluster::{JobResult, LocalCluster};
use weir_core::config::{BufferTimeout, Configuration, Origin, RawValue, NUM_TASK_SLOTS};
use weir_core::graph::execution_graph::ExecutionGraph;
use weir_core::graph::factory::BuildContext;
use weir_core::graph::job_graph::JobGraph;
use weir_core::operator::sink::SinkWriter;
use weir_core::operator::{OpResult, OperatorError};
use weir_core::record::{Data, Record};
use weir_core::runtime::clock::SharedClock;
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};

use super::{BenchError, ProgressFn, ProgressUpdate};

/// Name of the sink's slot sharing group (the source stays in `default`).
pub(crate) const SINK_GROUP: &str = "bench-sink";

/// `base` with at least the two slots the harness jobs need.
pub(crate) fn two_slot_config(base: &Configuration) -> Result<Configuration, BenchError> {
    let mut config = base.clone();
    if config.get(&NUM_TASK_SLOTS) < 2 {
        config.set(NUM_TASK_SLOTS.key(), RawValue::Int(2), Origin::Api)?;
    }
    Ok(config)
}

/// Builds `source → rebalance → sink` with the sink in its own slot sharing group, and
/// checks on the execution graph that every channel crosses from one slot to another.
pub(crate) fn cross_slot_job<T, S, W>(
    config: &Configuration,
    timeout: BufferTimeout,
    name: &str,
    source: impl Fn(&BuildContext) -> Result<S, OperatorError> + Send + Sync + 'static,
    sink_rate: Option<f64>,
    writer: impl Fn(&BuildContext) -> Result<W, OperatorError> + Send + Sync + 'static,
) -> Result<Arc<JobGraph>, BenchError>
where
    T: Data,
    S: Source<T>,
    W: SinkWriter<T>,
{
    let env = StreamExecutionEnvironment::new(config.clone());
    env.set_buffer_timeout(timeout)?;
    env.add_source("Bench Source", source)
        .set_parallelism(1)
        .rebalance()
        .sink_to("Bench Sink", sink_rate, writer)
        .set_parallelism(1)
        .slot_sharing_group(SINK_GROUP);
    let job = env.job_graph(name)?;
    check_cross_slot(&job, config.get(&NUM_TASK_SLOTS) as usize)?;
    Ok(Arc::new(job))
}

/// Fails unless the job has an edge and each of its channels joins two different slots.
pub(crate) fn check_cross_slot(job: &JobGraph, slots: usize) -> Result<(), BenchError> {
    let eg = ExecutionGraph::build(job, slots)?;
    if job.edges.is_empty() {
        return Err(BenchError::Placement(
            "source and sink were chained into one task".into(),
        ));
    }
    for e in &job.edges {
        for c in &eg.channels[e.id] {
            let from = eg.slot_of[e.source][c.producer];
            let to = eg.slot_of[e.target][c.consumer];
            if from == to {
                return Err(BenchError::Placement(format!(
                    "'{}' and '{}' share slot {from}",
                    job.vertices[e.source].name, job.vertices[e.target].name
                )));
            }
        }
    }
    Ok(())
}

/// Runs `job`; with a progress callback, the job runs on a helper thread while this one
/// reports `done` (records emitted so far) against `total` about ten times a second.
pub(crate) fn run(
    cluster: &LocalCluster,
    job: Arc<JobGraph>,
    label: &str,
    done: &AtomicU64,
    total: u64,
    progress: Option<ProgressFn<'_>>,
) -> Result<JobResult, BenchError> {
    let Some(progress) = progress else {
        return Ok(cluster.execute(job)?);
    };
    let result = std::thread::scope(|s| {
        let handle = s.spawn(|| cluster.execute(job));
        let mut ticks = 0u32;
        while !handle.is_finished() {
            if ticks % 10 == 0 {
                progress(&ProgressUpdate {
                    label,
                    done: done.load(Ordering::Relaxed),
                    total,
                });
            }
            ticks = ticks.wrapping_add(1);
            std::thread::sleep(Duration::from_millis(10));
        }
        handle.join()
    });
    progress(&ProgressUpdate {
        label,
        done: done.load(Ordering::Relaxed),
        total,
    });
    match result {
        Ok(r) => Ok(r?),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Emits `0..count` as fast as the pipeline takes them; notes when it started.
pub(crate) struct CountSource {
    pub(crate) clock: SharedClock,
    pub(crate) next: u64,
    pub(crate) count: u64,
    /// Task-clock nanoseconds of the first batch (written once).
    pub(crate) started: Arc<AtomicU64>,
    /// Records emitted so far, for progress.
    pub(crate) emitted: Arc<AtomicU64>,
}

impl Source<u64> for CountSource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, u64>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        if self.next == 0 {
            self.started
                .store(self.clock.now_nanos(), Ordering::Relaxed);
        }
        let end = self.count.min(self.next.saturating_add(max as u64));
        for v in self.next..end {
            ctx.collect(v)?;
        }
        self.emitted.fetch_add(end - self.next, Ordering::Relaxed);
        self.next = end;
        Ok(if end == self.count {
            SourceStatus::Finished
        } else {
            SourceStatus::More
        })
    }
}

/// What a [`CountingWriter`] saw: records, and when the input ended (task clock, ns).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counted {
    pub(crate) records: u64,
    pub(crate) ended_nanos: u64,
}

/// Counts records; at the end of input adds its count and notes the time.
pub(crate) struct CountingWriter {
    pub(crate) clock: SharedClock,
    pub(crate) records: u64,
    pub(crate) into: Arc<Mutex<Counted>>,
}

impl SinkWriter<u64> for CountingWriter {
    fn write(&mut self, record: &Record<'_, u64>, _timestamp: i64) -> OpResult {
        std::hint::black_box(record);
        self.records += 1;
        Ok(())
    }
    fn flush(&mut self) -> OpResult {
        let now = self.clock.now_nanos();
        let mut counted = self
            .into
            .lock()
            .map_err(|_| OperatorError::User("counting sink: another subtask panicked".into()))?;
        counted.records += self.records;
        counted.ended_nanos = counted.ended_nanos.max(now);
        self.records = 0;
        Ok(())
    }
}

/// Seconds between two task-clock instants (never zero, to keep rates finite).
pub(crate) fn seconds_between(start_nanos: u64, end_nanos: u64) -> f64 {
    (end_nanos.saturating_sub(start_nanos).max(1)) as f64 / 1e9
}
