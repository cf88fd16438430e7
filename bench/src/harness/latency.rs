//! End-to-end latency across a slot boundary: a source paced at a fixed rate stamps each
//! record with the monotonic time it is emitted; a sink in another slot records
//! `now - stamp` into an hdrhistogram (one per sink subtask, merged at the end).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;
use weir_core::cluster::LocalCluster;
use weir_core::config::{BufferTimeout, Configuration};
use weir_core::operator::sink::SinkWriter;
use weir_core::operator::{OpResult, OperatorError};
use weir_core::record::{Record, RecordRef};
use weir_core::runtime::clock::SharedClock;
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};

use super::job::{cross_slot_job, run, two_slot_config};
use super::report::{timeout_ms, Report, Value};
use super::{BenchError, ProgressFn};

/// Highest latency the histogram tells apart (60 s); longer ones count as 60 s.
const MAX_TRACKED_NANOS: u64 = 60_000_000_000;

/// What to measure.
#[derive(Debug, Clone)]
pub struct LatencyOpts {
    /// Records per second the source emits.
    pub rate: f64,
    /// The buffer timeout of the channel between source and sink.
    pub buffer_timeout: BufferTimeout,
    /// How long records are measured (after the warm-up).
    pub duration: Duration,
    /// How long records are sent, but not measured, first.
    pub warmup: Duration,
    /// Most records emitted at once when the source is behind its schedule.
    pub max_burst: usize,
    /// Base configuration (memory, pinning, spinning); at least two slots are used.
    pub config: Configuration,
}

impl Default for LatencyOpts {
    fn default() -> Self {
        Self {
            rate: 1_000_000.0,
            buffer_timeout: BufferTimeout::Interval(Duration::ZERO),
            duration: Duration::from_secs(5),
            warmup: Duration::from_millis(500),
            max_burst: 16,
            config: Configuration::default(),
        }
    }
}

/// Latency percentiles of one run, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyResult {
    /// Target records per second.
    pub rate: f64,
    /// Buffer timeout in ms (-1 when off).
    pub buffer_timeout_ms: f64,
    /// Median latency.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Highest latency seen.
    pub max_us: f64,
    /// Records measured per second of the measured duration.
    pub achieved_rate: f64,
    /// Records measured (the histogram's count).
    pub records: u64,
}

impl Report for LatencyResult {
    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("rate", Value::Float(self.rate)),
            ("buffer_timeout_ms", Value::Float(self.buffer_timeout_ms)),
            ("p50_us", Value::Float(self.p50_us)),
            ("p90_us", Value::Float(self.p90_us)),
            ("p99_us", Value::Float(self.p99_us)),
            ("p999_us", Value::Float(self.p999_us)),
            ("max_us", Value::Float(self.max_us)),
            ("achieved_rate", Value::Float(self.achieved_rate)),
            ("records", Value::UInt(self.records)),
        ]
    }
}

/// Emits its current monotonic time (ns) as each record, `rate` records per second on
/// the schedule `start + i / rate`; idles until the next record is due, and when behind
/// catches up in bursts of at most `max_burst`.
struct PacedStampSource {
    clock: SharedClock,
    rate: f64,
    max_burst: usize,
    warmup_nanos: u64,
    run_nanos: u64,
    total: u64,
    start: Option<u64>,
    emitted: u64,
    /// Records stamped before this instant are not measured (set at the first batch).
    measure_from: Arc<AtomicU64>,
    progress: Arc<AtomicU64>,
}

impl Source<u64> for PacedStampSource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, u64>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let now = self.clock.now_nanos();
        let start = match self.start {
            Some(s) => s,
            None => {
                self.measure_from
                    .store(now.saturating_add(self.warmup_nanos), Ordering::Relaxed);
                *self.start.insert(now)
            }
        };
        let elapsed = now.saturating_sub(start);
        if elapsed >= self.run_nanos || self.emitted >= self.total {
            return Ok(SourceStatus::Finished);
        }
        // Records due by now: the one scheduled at `start` and every 1/rate after it.
        let due = ((elapsed as f64 * self.rate / 1e9) as u64 + 1).min(self.total);
        let n = due
            .saturating_sub(self.emitted)
            .min(self.max_burst.min(max).max(1) as u64);
        for _ in 0..n {
            ctx.collect(self.clock.now_nanos())?;
        }
        self.emitted += n;
        self.progress.fetch_add(n, Ordering::Relaxed);
        Ok(if self.emitted < due {
            SourceStatus::More
        } else {
            let next = (self.emitted as f64 * 1e9 / self.rate) as u64;
            SourceStatus::IdleUntil(start.saturating_add(next))
        })
    }
}

/// Records `now - stamp` per record into a local histogram, merged into a shared one
/// when the input ends (so no lock is taken per record).
struct LatencyWriter {
    clock: SharedClock,
    measure_from: Arc<AtomicU64>,
    local: Histogram<u64>,
    shared: Arc<Mutex<Histogram<u64>>>,
}

impl SinkWriter<u64> for LatencyWriter {
    fn write(&mut self, record: &Record<'_, u64>, _timestamp: i64) -> OpResult {
        let now = self.clock.now_nanos();
        let stamp = match record.view() {
            RecordRef::Value(v) => *v,
            RecordRef::InPlace(p) => p.get().to_native(),
        };
        if stamp >= self.measure_from.load(Ordering::Relaxed) {
            self.local.saturating_record(now.saturating_sub(stamp));
        }
        Ok(())
    }
    fn flush(&mut self) -> OpResult {
        let mut shared = self
            .shared
            .lock()
            .map_err(|_| OperatorError::User("latency sink: another subtask panicked".into()))?;
        shared
            .add(&self.local)
            .map_err(|e| OperatorError::User(format!("latency sink: {e}")))?;
        self.local.reset();
        Ok(())
    }
}

fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_max(MAX_TRACKED_NANOS, 3).map_err(|e| e.to_string())
}

/// Measures latency from a paced source to a sink in another slot.
pub fn bench_latency(
    opts: &LatencyOpts,
    progress: Option<ProgressFn<'_>>,
) -> Result<LatencyResult, BenchError> {
    if !(opts.rate.is_finite() && opts.rate > 0.0) {
        return Err(BenchError::InvalidOption(format!(
            "rate must be a positive number of records per second, not {}",
            opts.rate
        )));
    }
    if opts.duration.is_zero() {
        return Err(BenchError::InvalidOption("duration must be above 0".into()));
    }
    let warmup_nanos = u64::try_from(opts.warmup.as_nanos()).unwrap_or(u64::MAX);
    let run_nanos =
        warmup_nanos.saturating_add(u64::try_from(opts.duration.as_nanos()).unwrap_or(u64::MAX));
    let total = (run_nanos as f64 / 1e9 * opts.rate).ceil() as u64;
    let shared = Arc::new(Mutex::new(histogram().map_err(BenchError::Measurement)?));
    let measure_from = Arc::new(AtomicU64::new(u64::MAX));
    let emitted = Arc::new(AtomicU64::new(0));

    let config = two_slot_config(&opts.config)?;
    let (rate, max_burst) = (opts.rate, opts.max_burst);
    let (from, progress_count) = (measure_from.clone(), emitted.clone());
    let source = move |ctx: &weir_core::graph::factory::BuildContext| {
        Ok(PacedStampSource {
            clock: ctx.clock.clone(),
            rate,
            max_burst,
            warmup_nanos,
            run_nanos,
            total,
            start: None,
            emitted: 0,
            measure_from: from.clone(),
            progress: progress_count.clone(),
        })
    };
    let (from, into) = (measure_from.clone(), shared.clone());
    let writer = move |ctx: &weir_core::graph::factory::BuildContext| {
        Ok(LatencyWriter {
            clock: ctx.clock.clone(),
            measure_from: from.clone(),
            local: histogram().map_err(OperatorError::User)?,
            shared: into.clone(),
        })
    };
    let job = cross_slot_job(
        &config,
        opts.buffer_timeout,
        "bench latency",
        source,
        None,
        writer,
    )?;
    let cluster = LocalCluster::start(&config)?;
    run(&cluster, job, "latency", &emitted, total, progress)?;

    let h = shared
        .lock()
        .map_err(|_| BenchError::Measurement("latency histogram lock poisoned".into()))?;
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1e3;
    Ok(LatencyResult {
        rate: opts.rate,
        buffer_timeout_ms: timeout_ms(opts.buffer_timeout),
        p50_us: us(0.5),
        p90_us: us(0.9),
        p99_us: us(0.99),
        p999_us: us(0.999),
        max_us: h.max() as f64 / 1e3,
        achieved_rate: h.len() as f64 / opts.duration.as_secs_f64(),
        records: h.len(),
    })
}
