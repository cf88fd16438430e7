//! Backpressure across a slot boundary: an unthrottled source into a sink limited to a
//! rate. Nothing may be lost, and the buffers in flight stay within the output pool's
//! capacity however many records pass.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use weir_core::cluster::LocalCluster;
use weir_core::config::{BufferTimeout, Configuration, BUFFER_TIMEOUT};
use weir_core::graph::factory::BuildContext;

use super::job::{cross_slot_job, run, two_slot_config, CountSource, Counted, CountingWriter};
use super::report::{Report, Value};
use super::{BenchError, ProgressFn};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BackpressureOpts {
    /// Records the source emits.
    pub events: u64,
    /// Records per second the sink lets through.
    pub sink_rate: f64,
    /// Base configuration (memory, buffer timeout, pinning); at least two slots are used.
    pub config: Configuration,
}

impl Default for BackpressureOpts {
    fn default() -> Self {
        Self {
            events: 1_000_000,
            sink_rate: 200_000.0,
            config: Configuration::default(),
        }
    }
}

/// What one backpressured run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackpressureResult {
    /// Records the source emitted.
    pub events: u64,
    /// The sink's rate limit, records per second.
    pub sink_rate: f64,
    /// Records the sink wrote (equals `events`: nothing is dropped).
    pub records_out: u64,
    /// Wall time of the job.
    pub seconds: f64,
    /// Most buffers of the source's output pool in use at once (queued or in flight).
    pub peak_buffers_in_use: usize,
    /// The source's output pool capacity, in buffers.
    pub buffer_capacity: usize,
    /// Share of the source task's time spent waiting for buffers, ms per second.
    pub back_pressured_ms_per_s: f64,
}

impl Report for BackpressureResult {
    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("events", Value::UInt(self.events)),
            ("sink_rate", Value::Float(self.sink_rate)),
            ("records_out", Value::UInt(self.records_out)),
            ("seconds", Value::Float(self.seconds)),
            (
                "peak_buffers_in_use",
                Value::UInt(self.peak_buffers_in_use as u64),
            ),
            ("buffer_capacity", Value::UInt(self.buffer_capacity as u64)),
            (
                "back_pressured_ms_per_s",
                Value::Float(self.back_pressured_ms_per_s),
            ),
        ]
    }
}

/// Runs `events` records from an unthrottled source into a sink limited to `sink_rate`.
pub fn bench_backpressure(
    opts: &BackpressureOpts,
    progress: Option<ProgressFn<'_>>,
) -> Result<BackpressureResult, BenchError> {
    if !(opts.sink_rate.is_finite() && opts.sink_rate > 0.0) {
        return Err(BenchError::InvalidOption(format!(
            "sink rate must be a positive number of records per second, not {}",
            opts.sink_rate
        )));
    }
    let config = two_slot_config(&opts.config)?;
    let timeout: BufferTimeout = config.get(&BUFFER_TIMEOUT);
    let events = opts.events;
    let emitted = Arc::new(AtomicU64::new(0));
    let counted = Arc::new(Mutex::new(Counted::default()));
    let e = emitted.clone();
    let source = move |ctx: &BuildContext| {
        Ok(CountSource {
            clock: ctx.clock.clone(),
            next: 0,
            count: events,
            started: Arc::new(AtomicU64::new(0)),
            emitted: e.clone(),
        })
    };
    let into = counted.clone();
    let writer = move |ctx: &BuildContext| {
        Ok(CountingWriter {
            clock: ctx.clock.clone(),
            records: 0,
            into: into.clone(),
        })
    };
    let job = cross_slot_job(
        &config,
        timeout,
        "bench backpressure",
        source,
        Some(opts.sink_rate),
        writer,
    )?;
    let source_vertex = job
        .vertices
        .iter()
        .position(|v| v.is_source)
        .ok_or_else(|| BenchError::Placement("the job has no source vertex".into()))?;
    let cluster = LocalCluster::start(&config)?;
    let result = run(&cluster, job, "backpressure", &emitted, events, progress)?;
    let source_task = result
        .tasks
        .iter()
        .find(|t| t.vertex_id == source_vertex)
        .ok_or_else(|| BenchError::Measurement("no metrics from the source task".into()))?;
    let records_out = counted
        .lock()
        .map_err(|_| BenchError::Measurement("counting sink lock poisoned".into()))?
        .records;
    Ok(BackpressureResult {
        events,
        sink_rate: opts.sink_rate,
        records_out,
        seconds: result.duration.as_secs_f64(),
        peak_buffers_in_use: source_task.out_pool_peak_buffers,
        buffer_capacity: source_task.out_pool_capacity,
        back_pressured_ms_per_s: source_task.back_pressured_ms_per_second(),
    })
}
