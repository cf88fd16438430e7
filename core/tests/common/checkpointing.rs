//! What the checkpoint tests share: a paced source that resumes from its position, the
//! fault-tolerance settings, committed output of the exactly-once file sink, retained
//! checkpoints. Only the checkpoint test files include it (`#[path =
//! "common/checkpointing.rs"] mod checkpointing;`), so that the other test crates, which
//! include `common`, do not carry helpers they never call.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use weir_core::api::{DataStream, StreamExecutionEnvironment};
use weir_core::config::RawValue;
use weir_core::operator::OperatorError;
use weir_core::record::Record;
use weir_core::runtime::clock::SharedClock;
use weir_core::runtime::progress::{Resume, RoundRobinProgress};
use weir_core::runtime::source::{restored_positions, Source, SourceContext, SourceStatus};

/// Records per batch of the paced source, and the pause after each batch.
const BATCH: u64 = 50;
const PAUSE_NS: u64 = 1_000_000;

/// Emits `0..n` split round-robin over its subtasks, `BATCH` at a time with a pause
/// between batches (so that checkpoints and failures fall inside the run); its position
/// is its next index, and it resumes from every old subtask's position.
struct PacedSource {
    next: u64,
    n: u64,
    step: u64,
    subtask: u64,
    clock: SharedClock,
    resume: Option<Resume>,
}

impl PacedSource {
    fn new(
        n: u64,
        subtask: usize,
        parallelism: usize,
        clock: SharedClock,
        restored: &[RoundRobinProgress],
    ) -> Result<Self, OperatorError> {
        let mut s = Self {
            next: subtask as u64,
            n,
            step: parallelism as u64,
            subtask: subtask as u64,
            clock,
            resume: None,
        };
        if !restored.is_empty() {
            let r = Resume::new(restored, subtask, parallelism, "paced source")?;
            s.next = r.next_unit(0).map_or(n, |(u, _)| u);
            s.resume = Some(r);
        }
        Ok(s)
    }
}

impl Source<i64> for PacedSource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, i64>,
        _max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        for _ in 0..BATCH {
            if self.next >= self.n {
                return Ok(SourceStatus::Finished);
            }
            ctx.collect(self.next as i64)?;
            let mut next = self.next + self.step;
            if let Some(r) = &self.resume {
                next = r.next_unit(next).map_or(self.n, |(u, _)| u);
            }
            self.next = next;
        }
        Ok(SourceStatus::IdleUntil(self.clock.now_nanos() + PAUSE_NS))
    }

    fn snapshot_position(&self) -> Option<Vec<u8>> {
        let step = self.step as usize;
        let p = if self.next >= self.n {
            RoundRobinProgress::finished(step, self.subtask as usize, self.n)
        } else {
            RoundRobinProgress::at(step, self.subtask as usize, self.next, 0)
        };
        Some(p.encode())
    }
}

/// The paced source `name` of `0..n`, resuming from its restored positions.
pub fn paced_source(env: &StreamExecutionEnvironment, name: &str, n: u64) -> DataStream<i64> {
    env.add_source(name, move |ctx| {
        let restored = restored_positions(ctx, "paced source")?;
        PacedSource::new(
            n,
            ctx.subtask,
            ctx.parallelism,
            ctx.clock.clone(),
            &restored,
        )
    })
}

/// The paced source of `0..6000`, resuming from its restored positions.
pub fn paced(env: &StreamExecutionEnvironment) -> DataStream<i64> {
    paced_source(env, "paced", 6000)
}

/// A fresh directory `name` under the temp directory, unique to this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-checkpoints-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sets the option `key` to `value`.
pub fn set(env: &StreamExecutionEnvironment, key: &str, value: &str) {
    env.set(key, RawValue::Str(value.into())).unwrap();
}

/// Checkpoints every `checkpoint_ms` into the temp directory `cp` with fixed-delay
/// restarts, and seeded failures `(seed, failures)` if any.
pub fn fault_tolerance(
    env: &StreamExecutionEnvironment,
    checkpoint_ms: Option<u64>,
    chaos: Option<(u64, u32)>,
    cp: &str,
) {
    if let Some(ms) = checkpoint_ms {
        set(env, "execution.checkpointing.interval", &format!("{ms} ms"));
        let cp = temp_dir(cp);
        set(env, "state.checkpoints.dir", cp.to_str().unwrap());
        set(env, "restart-strategy.type", "fixed-delay");
        set(env, "restart-strategy.fixed-delay.attempts", "20");
        set(env, "restart-strategy.fixed-delay.delay", "5 ms");
    }
    if let Some((seed, failures)) = chaos {
        set(env, "weir.chaos.seed", &seed.to_string());
        set(env, "weir.chaos.failures", &failures.to_string());
        set(env, "weir.chaos.max-records", "2500");
    }
}

/// Every committed line under `dir`, sorted; fails on a leftover in-progress file.
pub fn committed_lines(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.ends_with(".inprogress"), "left in progress: {name}");
        if name.starts_with("part-") {
            let text = std::fs::read_to_string(&path).unwrap();
            lines.extend(text.lines().map(str::to_owned));
        }
    }
    lines.sort();
    lines
}

/// Writes a pair as `a,b`.
pub fn format_pair() -> weir_core::operator::sink::Formatter<(i64, i64)> {
    Arc::new(|r: &Record<'_, (i64, i64)>, out: &mut Vec<u8>| {
        let (k, n) = r.with_value(|v| *v)?;
        out.extend_from_slice(format!("{k},{n}").as_bytes());
        Ok(())
    })
}

/// The newest complete checkpoint under a checkpoint directory (`<dir>/<job id>/chk-<n>`).
fn latest_checkpoint(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    for job in std::fs::read_dir(dir).ok()? {
        for chk in std::fs::read_dir(job.ok()?.path()).ok()? {
            let path = chk.ok()?.path();
            let name = path.file_name()?.to_string_lossy().to_string();
            if let Some(n) = name.strip_prefix("chk-").and_then(|n| n.parse().ok()) {
                if path.join("_metadata").exists() {
                    found.push((n, path));
                }
            }
        }
    }
    found.into_iter().max().map(|(_, p)| p)
}

/// The first chaos seed whose single failure of a job of `tasks` tasks comes after more
/// than 1500 records of its task (so that checkpoints were completed before it).
pub fn late_failure_seed(tasks: usize) -> u64 {
    (1..)
        .find(|&s| {
            let chaos = weir_core::cluster::recovery::Chaos {
                seed: s,
                failures: 1,
                max_records: 2500,
            };
            chaos.plan(0, tasks).is_some_and(|(_, n)| n > 1500)
        })
        .unwrap()
}

/// Runs `env` (configured with checkpoints into the temp directory `cp_name` and one
/// seeded failure) with no restarts and retained checkpoints: the job fails for good;
/// returns its latest checkpoint.
pub fn fail_for_good(env: &StreamExecutionEnvironment, name: &str, cp_name: &str) -> PathBuf {
    set(env, "restart-strategy.type", "none");
    set(
        env,
        "execution.checkpointing.externalized-checkpoint-retention",
        "RETAIN_ON_CANCELLATION",
    );
    let err = env.execute(name).unwrap_err().to_string();
    assert!(err.contains("injected failure"), "{err}");
    let cp_dir =
        std::env::temp_dir().join(format!("weir-checkpoints-{}-{cp_name}", std::process::id()));
    latest_checkpoint(&cp_dir).expect("a checkpoint was retained")
}

/// Runs `env` (a job at parallelism `to` into the files of `out`) from `checkpoint`, as
/// job `name`-restored, and asserts that `out` then holds `straight`'s lines.
pub fn assert_restored_run_completes(
    env: &StreamExecutionEnvironment,
    checkpoint: &Path,
    name: &str,
    to: usize,
    out: &Path,
    straight: &[String],
) {
    set(
        env,
        "execution.savepoint.path",
        checkpoint.to_str().unwrap(),
    );
    env.execute(&format!("{name}-restored")).unwrap();
    let context = format!("2 -> {to}: restored from {}", checkpoint.display());
    assert_same_lines(&committed_lines(out), straight, &context);
}

/// Asserts that `got` equals `want` (sorted lines), naming how many lines are missing or
/// extra and the first few of each rather than printing both.
pub fn assert_same_lines(got: &[String], want: &[String], context: &str) {
    if got == want {
        return;
    }
    let (mut missing, mut extra) = (want.to_vec(), Vec::new());
    for line in got {
        match missing.iter().position(|l| l == line) {
            Some(i) => {
                missing.swap_remove(i);
            }
            None => extra.push(line.clone()),
        }
    }
    panic!(
        "{context}: {} lines, {} expected; {} missing (e.g. {:?}), {} extra (e.g. {:?})",
        got.len(),
        want.len(),
        missing.len(),
        &missing[..missing.len().min(5)],
        extra.len(),
        &extra[..extra.len().min(5)]
    );
}
