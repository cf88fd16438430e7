//! Throughput across a slot boundary at several buffer timeouts: an unthrottled source
//! into a counting sink in another slot, one job per timeout on one cluster.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use weir_core::cluster::LocalCluster;
use weir_core::config::{BufferTimeout, Configuration};
use weir_core::graph::factory::BuildContext;

use super::job::{cross_slot_job, run, seconds_between, two_slot_config};
use super::job::{CountSource, Counted, CountingWriter};
use super::report::{timeout_ms, Report, Value};
use super::{BenchError, ProgressFn};

/// The timeouts measured, in order: 0, 1 ms, 10 ms, 100 ms and off.
pub const SWEEP_TIMEOUTS: [BufferTimeout; 5] = [
    BufferTimeout::Interval(Duration::ZERO),
    BufferTimeout::Interval(Duration::from_millis(1)),
    BufferTimeout::Interval(Duration::from_millis(10)),
    BufferTimeout::Interval(Duration::from_millis(100)),
    BufferTimeout::Disabled,
];

/// What to measure.
#[derive(Debug, Clone)]
pub struct SweepOpts {
    /// Records per timeout.
    pub events: u64,
    /// Base configuration (memory, pinning, spinning); at least two slots are used.
    pub config: Configuration,
}

impl Default for SweepOpts {
    fn default() -> Self {
        Self {
            events: 20_000_000,
            config: Configuration::default(),
        }
    }
}

/// Throughput at one buffer timeout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepResult {
    /// Buffer timeout in ms (-1 when off).
    pub buffer_timeout_ms: f64,
    /// Records per second from the source's first record to the sink's end of input.
    pub events_per_sec: f64,
    /// `events_per_sec` over that of the run with the timeout off.
    pub ratio_to_off: f64,
    /// Records the sink received.
    pub records: u64,
}

impl Report for SweepResult {
    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("buffer_timeout_ms", Value::Float(self.buffer_timeout_ms)),
            ("events_per_sec", Value::Float(self.events_per_sec)),
            ("ratio_to_off", Value::Float(self.ratio_to_off)),
            ("records", Value::UInt(self.records)),
        ]
    }
}

/// Measures throughput across a slot boundary at each of [`SWEEP_TIMEOUTS`].
pub fn bench_timeout_sweep(
    opts: &SweepOpts,
    mut progress: Option<ProgressFn<'_>>,
) -> Result<Vec<SweepResult>, BenchError> {
    if opts.events == 0 {
        return Err(BenchError::InvalidOption("events must be above 0".into()));
    }
    let config = two_slot_config(&opts.config)?;
    let cluster = LocalCluster::start(&config)?;
    let mut rows = Vec::with_capacity(SWEEP_TIMEOUTS.len());
    for timeout in SWEEP_TIMEOUTS {
        let label = format!("timeout {} ms", timeout_ms(timeout));
        let (records, seconds) = run_one(
            &cluster,
            &config,
            timeout,
            opts.events,
            &label,
            // Reborrow for this run only (the trait object's lifetime shortens with it).
            progress
                .as_mut()
                .map(|p| &mut **p as &mut dyn FnMut(&super::ProgressUpdate<'_>)),
        )?;
        if records != opts.events {
            return Err(BenchError::Measurement(format!(
                "{label}: the sink received {records} of {} records",
                opts.events
            )));
        }
        rows.push(SweepResult {
            buffer_timeout_ms: timeout_ms(timeout),
            events_per_sec: records as f64 / seconds,
            ratio_to_off: 0.0,
            records,
        });
    }
    let off = rows.last().map_or(0.0, |r| r.events_per_sec);
    for r in &mut rows {
        r.ratio_to_off = if off > 0.0 {
            r.events_per_sec / off
        } else {
            0.0
        };
    }
    Ok(rows)
}

/// One job at `timeout`: records received and seconds from first emit to end of input.
fn run_one(
    cluster: &LocalCluster,
    config: &Configuration,
    timeout: BufferTimeout,
    events: u64,
    label: &str,
    progress: Option<ProgressFn<'_>>,
) -> Result<(u64, f64), BenchError> {
    let started = Arc::new(AtomicU64::new(0));
    let emitted = Arc::new(AtomicU64::new(0));
    let counted = Arc::new(Mutex::new(Counted::default()));
    let (s, e) = (started.clone(), emitted.clone());
    let source = move |ctx: &BuildContext| {
        Ok(CountSource {
            clock: ctx.clock.clone(),
            next: 0,
            count: events,
            started: s.clone(),
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
    let job = cross_slot_job(config, timeout, "bench timeout sweep", source, None, writer)?;
    run(cluster, job, label, &emitted, events, progress)?;
    let c = *counted
        .lock()
        .map_err(|_| BenchError::Measurement("counting sink lock poisoned".into()))?;
    let seconds = seconds_between(started.load(Ordering::Relaxed), c.ended_nanos);
    Ok((c.records, seconds))
}
