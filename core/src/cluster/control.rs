//! The handle on one running job that other threads hold: its id, name and status, its
//! vertices, the live metrics its tasks publish, and `cancel`. The REST endpoint of
//! `weir run` reads it; the cluster writes it while the job runs.
//!
//! Tasks publish a copy of their metrics into a mutex'd slot each time they sample their
//! state (every 250 ms) and once when they end, never per record.

use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::checkpoint::savepoints::SavepointRequests;
use crate::graph::job_graph::JobGraph;
use crate::runtime::exchange::CancelHandle;
use crate::runtime::metrics::TaskMetrics;

/// A job's status, with Flink's `JobStatus` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Accepted, not deployed yet.
    Created,
    /// Deployed on the slots.
    Running,
    /// Cancellation requested; tasks are stopping.
    Cancelling,
    /// A task failed; the job restarts from its latest checkpoint after a delay.
    Restarting,
    /// Ended by cancellation.
    Canceled,
    /// Every task finished.
    Finished,
    /// A task failed (or the job could not be deployed).
    Failed,
}

impl JobStatus {
    /// Flink's name of the status (`RUNNING`, `CANCELED`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "CREATED",
            JobStatus::Running => "RUNNING",
            JobStatus::Cancelling => "CANCELLING",
            JobStatus::Restarting => "RESTARTING",
            JobStatus::Canceled => "CANCELED",
            JobStatus::Finished => "FINISHED",
            JobStatus::Failed => "FAILED",
        }
    }

    /// Whether the job has ended (Flink's globally terminal states).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Canceled | JobStatus::Finished | JobStatus::Failed
        )
    }
}

/// A 128-bit job id printed as 32 lowercase hex digits, like Flink's `JobID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId(pub u128);

impl JobId {
    /// A random id (from the process's randomly keyed hasher, the clock and a counter).
    pub fn generate() -> Self {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let half = |salt: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(salt);
            h.write_u64(n);
            h.write_u128(nanos);
            h.write_u32(std::process::id());
            h.finish()
        };
        JobId((u128::from(half(1)) << 64) | u128::from(half(2)))
    }

    /// Parses 32 hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(s, 16).ok().map(JobId)
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// A vertex of a deployed job, as the control shows it.
#[derive(Debug, Clone)]
pub struct VertexInfo {
    /// A stable id: 32 hex digits derived from the vertex's index and name.
    pub id: String,
    /// The vertex (chain) name.
    pub name: String,
    /// Parallelism.
    pub parallelism: usize,
    /// Max parallelism (key groups).
    pub max_parallelism: usize,
    /// Whether the chain starts with a source (it reads no network input).
    pub is_source: bool,
}

/// One task's slot: its latest metrics, and when it ended (epoch ms).
#[derive(Debug, Clone, Default)]
pub struct TaskSnapshot {
    /// The latest metrics the task published.
    pub metrics: TaskMetrics,
    /// When it finished (epoch ms), if it did.
    pub finished_ms: Option<u64>,
}

/// Where a task publishes its running metrics (one per subtask of a controlled job).
#[derive(Debug, Clone)]
pub struct MetricsSlot(Arc<Mutex<TaskSnapshot>>);

impl MetricsSlot {
    /// Replaces the published metrics (every state sample, 250 ms apart).
    pub fn publish(&self, metrics: &TaskMetrics) {
        lock(&self.0).metrics.clone_from(metrics);
    }

    /// Publishes the final metrics of a task that finished.
    pub fn finish(&self, metrics: &TaskMetrics) {
        let mut s = lock(&self.0);
        s.metrics.clone_from(metrics);
        s.finished_ms = Some(epoch_ms());
    }
}

/// Everything that the control knows once the job is deployed.
struct Deployed {
    vertices: Vec<VertexInfo>,
    /// Per vertex, one slot per subtask.
    tasks: Vec<Vec<MetricsSlot>>,
}

struct State {
    status: JobStatus,
    start_ms: u64,
    end_ms: Option<u64>,
    /// The error that ended the job, for a failed job.
    failure: Option<String>,
    deployed: Option<Deployed>,
}

/// The shared handle on one job execution (`Arc`, `Send + Sync`).
pub struct JobControl {
    id: JobId,
    name: String,
    cancel: CancelHandle,
    savepoints: Arc<SavepointRequests>,
    state: Mutex<State>,
}

/// A vertex with its subtasks' latest metrics, as seen at one instant.
#[derive(Debug, Clone)]
pub struct VertexSnapshot {
    /// The vertex.
    pub info: VertexInfo,
    /// One per subtask, in subtask order.
    pub tasks: Vec<TaskSnapshot>,
}

/// A job as seen at one instant.
#[derive(Debug, Clone)]
pub struct JobSnapshot {
    /// Its id.
    pub id: JobId,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: JobStatus,
    /// When it was created (epoch ms).
    pub start_ms: u64,
    /// When it ended (epoch ms).
    pub end_ms: Option<u64>,
    /// Why it failed.
    pub failure: Option<String>,
    /// Its vertices (empty before deployment).
    pub vertices: Vec<VertexSnapshot>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking reader cannot leave these plain values half-written.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Milliseconds since the Unix epoch (Flink's timestamps in the REST API).
pub fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A stable 32-hex-digit id for vertex `index` named `name` (FNV-1a over both, twice).
fn vertex_id(index: usize, name: &str) -> String {
    let fnv = |offset: u64| {
        let mut h = offset;
        for b in index.to_le_bytes().iter().chain(name.as_bytes()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

impl JobControl {
    /// A control for a job named `name`, status CREATED, with a fresh id.
    pub fn new(name: &str) -> Arc<Self> {
        Arc::new(Self {
            id: JobId::generate(),
            name: name.to_string(),
            cancel: CancelHandle::default(),
            savepoints: Arc::default(),
            state: Mutex::new(State {
                status: JobStatus::Created,
                start_ms: epoch_ms(),
                end_ms: None,
                failure: None,
                deployed: None,
            }),
        })
    }

    /// The job id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// The job name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current status.
    pub fn status(&self) -> JobStatus {
        lock(&self.state).status
    }

    /// The savepoints asked for while the job runs (`POST /jobs/:id/savepoints`, `/stop`).
    pub fn savepoints(&self) -> &Arc<SavepointRequests> {
        &self.savepoints
    }

    /// The handle the job's tasks and gates share for cancellation.
    pub fn cancel_handle(&self) -> &CancelHandle {
        &self.cancel
    }

    /// Asks the job to stop: status CANCELLING, every input gate closes, every task ends
    /// as cancelled. Returns the status the job had (a job already ended stays as it is).
    pub fn cancel(&self) -> JobStatus {
        let before = {
            let mut s = lock(&self.state);
            let before = s.status;
            if before.is_terminal() {
                return before;
            }
            s.status = JobStatus::Cancelling;
            before
        };
        self.cancel.cancel();
        before
    }

    /// A task failed and the job will restart: status RESTARTING and a fresh cancellation
    /// handle for the next attempt, unless a cancellation was requested (then `false`: the
    /// job must not restart).
    pub(crate) fn restarting(&self) -> bool {
        let mut s = lock(&self.state);
        if s.status == JobStatus::Cancelling || s.status.is_terminal() {
            return false;
        }
        s.status = JobStatus::Restarting;
        self.cancel.reset();
        true
    }

    /// Whether `cancel` was called (the job ends CANCELED unless it already finished).
    pub fn cancel_requested(&self) -> bool {
        self.cancel.is_cancelled() && matches!(self.status(), JobStatus::Cancelling)
    }

    /// Records the deployment of `job`: its vertices and one metrics slot per subtask.
    /// Status RUNNING unless a cancellation is already under way.
    pub(crate) fn deployed(&self, job: &JobGraph) {
        let vertices: Vec<VertexInfo> = job
            .vertices
            .iter()
            .map(|v| VertexInfo {
                id: vertex_id(v.id, &v.name),
                name: v.name.clone(),
                parallelism: v.parallelism,
                max_parallelism: v.max_parallelism,
                is_source: job.inputs(v.id).next().is_none(),
            })
            .collect();
        let tasks = job
            .vertices
            .iter()
            .map(|v| {
                (0..v.parallelism)
                    .map(|i| {
                        MetricsSlot(Arc::new(Mutex::new(TaskSnapshot {
                            metrics: TaskMetrics {
                                vertex: v.name.clone(),
                                vertex_id: v.id,
                                subtask: i,
                                ..TaskMetrics::default()
                            },
                            finished_ms: None,
                        })))
                    })
                    .collect()
            })
            .collect();
        let mut s = lock(&self.state);
        s.deployed = Some(Deployed { vertices, tasks });
        if s.status == JobStatus::Created {
            s.status = JobStatus::Running;
        }
    }

    /// The metrics slot of subtask `subtask` of vertex `vertex`, once deployed.
    pub(crate) fn metrics_slot(&self, vertex: usize, subtask: usize) -> Option<MetricsSlot> {
        let s = lock(&self.state);
        s.deployed
            .as_ref()?
            .tasks
            .get(vertex)?
            .get(subtask)
            .cloned()
    }

    /// Records the end of the job with its final status.
    pub(crate) fn ended(&self, status: JobStatus, failure: Option<String>) {
        debug_assert!(status.is_terminal(), "{status:?} is not an end");
        let mut s = lock(&self.state);
        s.status = status;
        s.end_ms = Some(epoch_ms());
        s.failure = failure;
    }

    /// The job as it is now: status, times, vertices and their tasks' latest metrics.
    pub fn snapshot(&self) -> JobSnapshot {
        let s = lock(&self.state);
        let vertices = match &s.deployed {
            None => Vec::new(),
            Some(d) => d
                .vertices
                .iter()
                .zip(&d.tasks)
                .map(|(info, tasks)| VertexSnapshot {
                    info: info.clone(),
                    tasks: tasks.iter().map(|t| lock(&t.0).clone()).collect(),
                })
                .collect(),
        };
        JobSnapshot {
            id: self.id,
            name: self.name.clone(),
            status: s.status,
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            failure: s.failure.clone(),
            vertices,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_32_lowercase_hex_digits_and_parse_back() {
        let a = JobId::generate();
        let b = JobId::generate();
        assert_ne!(a, b);
        let s = a.to_string();
        assert_eq!(s.len(), 32);
        assert!(s
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_eq!(JobId::parse(&s), Some(a));
        assert_eq!(JobId::parse("xyz"), None);
        assert_eq!(JobId::parse(&format!("{s}0")), None);
    }

    #[test]
    fn cancelling_a_created_job_marks_it_cancelling_and_an_ended_job_stays() {
        let c = JobControl::new("j");
        assert_eq!(c.status(), JobStatus::Created);
        assert_eq!(c.cancel(), JobStatus::Created);
        assert_eq!(c.status(), JobStatus::Cancelling);
        assert!(c.cancel_requested() && c.cancel_handle().is_cancelled());
        c.ended(JobStatus::Canceled, None);
        assert_eq!(c.cancel(), JobStatus::Canceled);
        assert_eq!(c.status(), JobStatus::Canceled);
        assert!(c.snapshot().end_ms.is_some());
    }

    #[test]
    fn vertex_ids_are_stable_and_distinct() {
        assert_eq!(vertex_id(0, "Source"), vertex_id(0, "Source"));
        assert_ne!(vertex_id(0, "Source"), vertex_id(1, "Source"));
        assert_eq!(vertex_id(3, "x").len(), 32);
    }
}
