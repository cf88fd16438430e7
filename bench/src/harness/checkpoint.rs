//! What checkpoints cost, in one run of five jobs:
//!
//! 1. A keyed count (`u64` keys from a sequence → `key_by` → a keyed process function
//!    counting in a `ValueState<u64>` → blackhole), the same events without checkpoints
//!    and with checkpoints every `interval`: the ratio of the two rates.
//! 2. A backpressured job (a sequence → hash exchange → a rate-limited blackhole) with
//!    checkpoints every `min(interval, 200 ms)`: how long aligned checkpoints take while
//!    the channels are full (median and maximum, trigger to metadata written).
//! 3. The same backpressured job with unaligned checkpoints
//!    (`execution.checkpointing.unaligned.enabled`): barriers overtake the full queues, so
//!    a checkpoint no longer waits for them to drain.
//! 4. The keyed count with a large state, checkpoints every `min(interval, 200 ms)` and
//!    one injected failure after the first checkpoints (fixed-delay restart, no delay):
//!    the time from the failure to the first record taken in by the restored job, and the
//!    longest synchronous (copy-on-write) part of a task's snapshot of that state.
//!
//! Missing measurements are `NaN` in the row (JSON `null`, `nan` in a table) and the
//! `note` field says why.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use weir_core::api::StreamExecutionEnvironment;
use weir_core::cluster::recovery::Chaos;
use weir_core::cluster::JobResult;
use weir_core::config::{Configuration, Origin, RawValue, DEFAULT_PARALLELISM, NUM_TASK_SLOTS};

use super::report::{Report, Value};
use super::{BenchError, ProgressFn, ProgressUpdate};

/// The longest checkpoint interval of the backpressured and the recovery jobs.
const SHORT_INTERVAL: Duration = Duration::from_millis(200);

/// What to measure.
#[derive(Debug, Clone)]
pub struct CheckpointOpts {
    /// Events of the keyed count (each of the two runs, and the recovery run).
    pub events: u64,
    /// Distinct keys of the keyed count measured with and without checkpoints.
    pub keys: u64,
    /// Parallelism of every job.
    pub parallelism: usize,
    /// Checkpoint interval of the keyed count (at least 10 ms); the backpressured and the
    /// recovery jobs use this or 200 ms, whichever is shorter.
    pub interval: Duration,
    /// Records per second the backpressured job's sink lets through, over all subtasks.
    pub sink_rate: f64,
    /// About how long the backpressured job runs, seconds (fewer when `events` is less).
    pub aligned_seconds: f64,
    /// Distinct keys of the recovery run (at most half of `events`): its state's size.
    pub recovery_keys: u64,
    /// Base configuration.
    pub config: Configuration,
}

impl Default for CheckpointOpts {
    fn default() -> Self {
        Self {
            events: 30_000_000,
            keys: 100_000,
            parallelism: 2,
            interval: Duration::from_secs(1),
            sink_rate: 200_000.0,
            aligned_seconds: 3.0,
            recovery_keys: 1_000_000,
            config: Configuration::default(),
        }
    }
}

/// What checkpoints cost, measured in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointResult {
    /// Events of the keyed count.
    pub events: u64,
    /// Parallelism of every job.
    pub parallelism: usize,
    /// Keyed count without checkpoints, events per second.
    pub events_per_sec_without: f64,
    /// Keyed count with checkpoints every `interval`, events per second.
    pub events_per_sec_with: f64,
    /// `events_per_sec_with / events_per_sec_without`.
    pub ratio_with_checkpoints: f64,
    /// Checkpoints completed during the checkpointed keyed count.
    pub checkpoints_completed: u64,
    /// Median duration of the backpressured job's checkpoints, ms (`None`: none completed).
    pub aligned_checkpoint_ms: Option<f64>,
    /// Longest of the backpressured job's checkpoints, ms (`None`: none completed).
    pub aligned_checkpoint_max_ms: Option<f64>,
    /// Median duration of the unaligned checkpoints of the backpressured job.
    pub unaligned_checkpoint_ms: Option<f64>,
    /// Longest unaligned checkpoint of the backpressured job.
    pub unaligned_checkpoint_max_ms: Option<f64>,
    /// Failure to first record of the restored job, ms (`None`: no restart happened).
    pub recovery_ms: Option<f64>,
    /// Keyed-state bytes at the end of the recovery run, over all tasks.
    pub recovery_state_bytes: u64,
    /// The longest a task stopped for the synchronous part of a snapshot in the recovery
    /// run (its large state frozen copy-on-write, not encoded), ms.
    pub snapshot_sync_max_ms: Option<f64>,
    /// What was not measured, and why.
    pub note: String,
}

/// A missing measurement as a row value: `NaN` (JSON `null`, `nan` in a table).
fn maybe(v: Option<f64>) -> Value {
    Value::Float(v.unwrap_or(f64::NAN))
}

impl Report for CheckpointResult {
    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("events", Value::UInt(self.events)),
            ("parallelism", Value::UInt(self.parallelism as u64)),
            (
                "events_per_sec_without",
                Value::Float(self.events_per_sec_without),
            ),
            (
                "events_per_sec_with",
                Value::Float(self.events_per_sec_with),
            ),
            (
                "ratio_with_checkpoints",
                Value::Float(self.ratio_with_checkpoints),
            ),
            (
                "checkpoints_completed",
                Value::UInt(self.checkpoints_completed),
            ),
            ("aligned_checkpoint_ms", maybe(self.aligned_checkpoint_ms)),
            (
                "aligned_checkpoint_max_ms",
                maybe(self.aligned_checkpoint_max_ms),
            ),
            (
                "unaligned_checkpoint_ms",
                maybe(self.unaligned_checkpoint_ms),
            ),
            (
                "unaligned_checkpoint_max_ms",
                maybe(self.unaligned_checkpoint_max_ms),
            ),
            ("recovery_ms", maybe(self.recovery_ms)),
            (
                "recovery_state_bytes",
                Value::UInt(self.recovery_state_bytes),
            ),
            ("snapshot_sync_max_ms", maybe(self.snapshot_sync_max_ms)),
            ("note", Value::Text(self.note.clone())),
        ]
    }
}

/// A fresh checkpoint directory under the system's temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Result<Self, BenchError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "weir-bench-checkpoint-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| {
            BenchError::Measurement(format!(
                "cannot create checkpoint directory {}: {e}",
                path.display()
            ))
        })?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn set(config: &mut Configuration, key: &str, value: String) -> Result<(), BenchError> {
    config.set(key, RawValue::Str(value), Origin::Api)?;
    Ok(())
}

/// `base` at parallelism `p` with enough slots, and checkpoints every `interval` into
/// `dir` when given.
fn job_config(
    base: &Configuration,
    p: usize,
    checkpoints: Option<(Duration, &TempDir)>,
) -> Result<Configuration, BenchError> {
    let mut config = base.clone();
    config.set(
        DEFAULT_PARALLELISM.key(),
        RawValue::Int(p as i64),
        Origin::Api,
    )?;
    if (config.get(&NUM_TASK_SLOTS) as usize) < p {
        config.set(NUM_TASK_SLOTS.key(), RawValue::Int(p as i64), Origin::Api)?;
    }
    if let Some((interval, dir)) = checkpoints {
        let ms = interval.as_millis();
        set(
            &mut config,
            "execution.checkpointing.interval",
            format!("{ms} ms"),
        )?;
        set(
            &mut config,
            "state.checkpoints.dir",
            dir.0.display().to_string(),
        )?;
    }
    Ok(config)
}

/// The keyed count of `events` events over `keys` keys, run on `config`.
fn keyed_count(config: Configuration, events: u64, keys: u64) -> Result<JobResult, BenchError> {
    let env = StreamExecutionEnvironment::new(config);
    env.from_sequence(0, events as i64 - 1)
        .map(move |i: i64| super::keyed::mix(i as u64 % keys))
        .key_by(|k: &u64| *k)
        .process(super::keyed::Count::default())
        .blackhole(None);
    Ok(env.execute("checkpoint bench: keyed count")?)
}

/// `events / seconds`, 0 for a run too short to time.
fn rate(events: u64, result: &JobResult) -> f64 {
    let s = result.duration.as_secs_f64();
    if s > 0.0 {
        events as f64 / s
    } else {
        0.0
    }
}

/// The median and the maximum of `ms`, or `None` when empty.
fn median_and_max(ms: &[u64]) -> Option<(f64, f64)> {
    let mut v = ms.to_vec();
    v.sort_unstable();
    let n = v.len();
    let max = *v.last()? as f64;
    let median = if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    };
    Some((median, max))
}

/// A seed whose injected failure comes after between `low` and `max` records, with
/// `max` as `weir.chaos.max-records` (the record count does not depend on the task).
fn late_failure_seed(low: u64, max: u64) -> u64 {
    (1..100_000u64)
        .find(|&seed| {
            let chaos = Chaos {
                seed,
                failures: 1,
                max_records: max,
            };
            chaos.plan(0, 1).is_some_and(|(_, records)| records >= low)
        })
        .unwrap_or(1)
}

/// Runs the five measurements of the module docs and reports them as one row; `progress`
/// is told which job runs (done = jobs finished of 5).
pub fn bench_checkpoint(
    opts: &CheckpointOpts,
    mut progress: Option<ProgressFn<'_>>,
) -> Result<CheckpointResult, BenchError> {
    if opts.keys == 0 || opts.events == 0 || opts.parallelism == 0 || opts.recovery_keys == 0 {
        return Err(BenchError::InvalidOption(
            "events, keys, recovery keys and parallelism must be above 0".into(),
        ));
    }
    if opts.events > i64::MAX as u64 {
        return Err(BenchError::InvalidOption(format!(
            "events must be at most {}, not {}",
            i64::MAX,
            opts.events
        )));
    }
    if opts.interval < Duration::from_millis(10) {
        return Err(BenchError::InvalidOption(format!(
            "the checkpoint interval must be at least 10 ms, not {} ms",
            opts.interval.as_secs_f64() * 1e3
        )));
    }
    if !(opts.sink_rate.is_finite() && opts.sink_rate > 0.0) {
        return Err(BenchError::InvalidOption(format!(
            "sink rate must be a positive number of records per second, not {}",
            opts.sink_rate
        )));
    }
    if !(opts.aligned_seconds.is_finite() && opts.aligned_seconds > 0.0) {
        return Err(BenchError::InvalidOption(format!(
            "the backpressured run must last a positive number of seconds, not {}",
            opts.aligned_seconds
        )));
    }
    let p = opts.parallelism;
    let short = opts.interval.min(SHORT_INTERVAL);
    let mut notes: Vec<String> = Vec::new();
    let mut stage = |label: &str, done: u64| {
        if let Some(f) = progress.as_mut() {
            f(&ProgressUpdate {
                label,
                done,
                total: 5,
            });
        }
    };

    // 1. The keyed count without and with checkpoints, same events.
    stage("keyed count without checkpoints", 0);
    let without = keyed_count(job_config(&opts.config, p, None)?, opts.events, opts.keys)?;
    stage("keyed count with checkpoints", 1);
    let dir = TempDir::new()?;
    let with = keyed_count(
        job_config(&opts.config, p, Some((opts.interval, &dir)))?,
        opts.events,
        opts.keys,
    )?;
    drop(dir);
    let events_per_sec_without = rate(opts.events, &without);
    let events_per_sec_with = rate(opts.events, &with);
    if with.checkpoints == 0 {
        notes.push(format!(
            "no checkpoint completed during the checkpointed keyed count ({:.2} s at a {} ms \
             interval): the ratio measures no checkpoint",
            with.duration.as_secs_f64(),
            opts.interval.as_millis()
        ));
    }

    // 2 and 3. Aligned, then unaligned checkpoints of a backpressured job.
    let backpressured = |unaligned: bool| -> Result<JobResult, BenchError> {
        let aligned_events = opts
            .events
            .min((opts.sink_rate * opts.aligned_seconds) as u64)
            .max(1);
        let dir = TempDir::new()?;
        let mut config = job_config(&opts.config, p, Some((short, &dir)))?;
        if unaligned {
            set(
                &mut config,
                "execution.checkpointing.unaligned.enabled",
                "true".into(),
            )?;
        }
        let env = StreamExecutionEnvironment::new(config);
        env.from_sequence(0, aligned_events as i64 - 1)
            .key_by(|v: &i64| *v as u64)
            .stream()
            .blackhole(Some(opts.sink_rate / p as f64));
        let result = env.execute("checkpoint bench: backpressured")?;
        drop(dir);
        Ok(result)
    };
    let mut stats = |result: &JobResult, kind: &str| {
        let stats = median_and_max(&result.checkpoint_ms);
        if stats.is_none() {
            notes.push(format!(
                "no {kind} checkpoint of the backpressured job completed ({:.2} s at a {} ms \
                 interval)",
                result.duration.as_secs_f64(),
                short.as_millis()
            ));
        }
        stats
    };
    stage("backpressured job with aligned checkpoints", 2);
    let aligned_stats = stats(&backpressured(false)?, "aligned");
    stage("backpressured job with unaligned checkpoints", 3);
    let unaligned_stats = stats(&backpressured(true)?, "unaligned");

    // 4. Recovery of the keyed count with a large state after one injected failure.
    stage("keyed count with one failure", 4);
    let recovery_keys = opts.recovery_keys.min(opts.events / 2).max(1);
    let per_task = (opts.events / p as u64).max(1);
    let max_records = (per_task * 9 / 10).max(1);
    let seed = late_failure_seed(per_task / 2, max_records);
    let dir = TempDir::new()?;
    let mut config = job_config(&opts.config, p, Some((short, &dir)))?;
    for (key, value) in [
        ("restart-strategy.type", "fixed-delay".to_string()),
        ("restart-strategy.fixed-delay.attempts", "1".into()),
        ("restart-strategy.fixed-delay.delay", "0 ms".into()),
        ("weir.chaos.seed", seed.to_string()),
        ("weir.chaos.failures", "1".into()),
        ("weir.chaos.max-records", max_records.to_string()),
    ] {
        set(&mut config, key, value)?;
    }
    let recovered = keyed_count(config, opts.events, recovery_keys)?;
    drop(dir);
    stage("done", 5);
    let recovery_ms = recovered.recovery_ms.first().copied();
    if recovery_ms.is_none() {
        notes.push(format!(
            "no recovery measured: {} restarts in the recovery run",
            recovered.restarts
        ));
    } else if recovered.checkpoints == 0 {
        notes.push(
            "the recovery run completed no checkpoint: the restart began from the start".into(),
        );
    }

    Ok(CheckpointResult {
        events: opts.events,
        parallelism: p,
        events_per_sec_without,
        events_per_sec_with,
        ratio_with_checkpoints: if events_per_sec_without > 0.0 {
            events_per_sec_with / events_per_sec_without
        } else {
            0.0
        },
        checkpoints_completed: with.checkpoints,
        aligned_checkpoint_ms: aligned_stats.map(|(median, _)| median),
        aligned_checkpoint_max_ms: aligned_stats.map(|(_, max)| max),
        unaligned_checkpoint_ms: unaligned_stats.map(|(median, _)| median),
        unaligned_checkpoint_max_ms: unaligned_stats.map(|(_, max)| max),
        recovery_ms,
        recovery_state_bytes: recovered.tasks.iter().map(|t| t.state_bytes).sum(),
        snapshot_sync_max_ms: recovered.snapshot_sync_ms.iter().copied().reduce(f64::max),
        note: notes.join("; "),
    })
}
