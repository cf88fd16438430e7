//! The embedded local cluster: one TaskManager in this process, its slots pinned to
//! cores, its network memory mmapped once at start. `execute` deploys a job graph onto
//! the slots, wires the channels and waits for every subtask to end.
//!
//! - [`control`]: the handle other threads hold on a running job (status, live metrics,
//!   cancel).
//! - [`recovery`]: fault-tolerance settings, what subtasks restore, fault injection.
//!
//! A job with checkpointing runs with a coordinator thread beside its tasks
//! (`checkpoint::runner`). When a task fails, every task of the job is cancelled (full
//! failover) and, if the restart strategy allows, the job is deployed again after the
//! strategy's delay, restoring the latest completed checkpoint.

pub mod control;
pub mod recovery;

use std::collections::HashMap;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use self::control::{JobControl, JobStatus};
use self::recovery::{restore_plan, Ending, FaultTolerance, SubtaskRestores};
use crate::checkpoint::handler::BarrierHandlerConfig;
use crate::checkpoint::runner::{CheckpointRunner, RunnerSetup};
use crate::checkpoint::signals::{CheckpointSignals, TaskMessage};
use crate::checkpoint::storage::{CheckpointStorage, CompletedCheckpoint, StorageError};
use crate::config::fault_tolerance::RestartStrategy;
use crate::config::{self, Configuration};
use crate::graph::execution_graph::{ChannelSpec, ExecutionGraph};
use crate::graph::job_graph::JobGraph;
use crate::graph::job_graph::VertexId;
use crate::graph::GraphError;
use crate::memory::arena::Arena;
use crate::memory::error::MemoryError;
use crate::memory::network_pool::NetworkBufferPool;
use crate::restart::{RestartDecision, RestartTracker};
use crate::runtime::clock::{SharedClock, SystemClock};
use crate::runtime::exchange::{BufferSink, CancelHandle, GateShared, LocalChannelSender};
use crate::runtime::metrics::TaskMetrics;
use crate::runtime::slot::{self, SlotError, SlotSettings};
use crate::runtime::task::{
    run_task, InputDeployment, OutputDeployment, TaskDeployment, TaskError,
};
use crate::runtime::task_checkpoints::TaskCheckpointing;

/// How a channel between two subtasks is carried.
pub trait ChannelTransport: Send + Sync {
    /// The producer end of `spec`, delivering into `gate` (the consumer's input gate).
    fn connect(
        &self,
        spec: &ChannelSpec,
        gate: Arc<GateShared>,
    ) -> Result<Box<dyn BufferSink>, String>;
}

/// Hands buffers over in memory, across cores (the default).
pub struct LocalTransport;

impl ChannelTransport for LocalTransport {
    fn connect(
        &self,
        spec: &ChannelSpec,
        gate: Arc<GateShared>,
    ) -> Result<Box<dyn BufferSink>, String> {
        Ok(Box::new(LocalChannelSender::new(
            gate,
            spec.input_channel as u32,
        )))
    }
}

/// Why a job did not complete.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The graph could not be built or placed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// Network memory ran short.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// Slots could not start.
    #[error(transparent)]
    Slot(#[from] SlotError),
    /// A transport could not connect a channel.
    #[error("cannot connect channel: {0}")]
    Transport(String),
    /// The configuration asks for something this build cannot do.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A subtask failed (the first failure; the others were cancelled).
    #[error("job failed: {0}")]
    Task(#[source] TaskError),
    /// The job failed and its restart strategy allows no more restarts.
    #[error("job failed after {restarts} restart(s), {reason}: {last}")]
    GaveUp {
        /// Restarts before the last failure.
        restarts: u32,
        /// Why there is no further restart.
        reason: String,
        /// The last failure.
        #[source]
        last: Box<TaskError>,
    },
    /// A checkpoint or savepoint could not be read or restored.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] StorageError),
    /// The job was cancelled on request ([`JobControl::cancel`]); it ended CANCELED.
    #[error("job '{name}' ({id}) was cancelled")]
    Cancelled {
        /// Job name.
        name: String,
        /// Job id (32 hex digits).
        id: String,
    },
}

/// What a finished job reports.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// Job name.
    pub name: String,
    /// Wall time from deployment to the end of the last subtask.
    pub duration: Duration,
    /// Metrics of every subtask.
    pub tasks: Vec<TaskMetrics>,
    /// Slots the job used.
    pub slots_used: usize,
    /// How many times the job restarted after a failure.
    pub restarts: u32,
    /// Checkpoints completed over all attempts.
    pub checkpoints: u64,
    /// How long each completed checkpoint took, trigger to metadata, ms.
    pub checkpoint_ms: Vec<u64>,
    /// Per restart, the time from the failure to the first record taken in by the
    /// restored job, ms (the restart delay included).
    pub recovery_ms: Vec<f64>,
    /// How long each task snapshot of a completed or pending checkpoint stopped its task
    /// (the synchronous, copy-on-write part), ms.
    pub snapshot_sync_ms: Vec<f64>,
}

/// What one attempt of a job runs with.
#[derive(Default)]
struct Attempt {
    /// What each subtask restores.
    restore: HashMap<(VertexId, usize), SubtaskRestores>,
    /// The checkpoint signals, the coordinator's inbox and the barrier handling.
    checkpointing: Option<(
        Arc<CheckpointSignals>,
        mpsc::Sender<TaskMessage>,
        BarrierHandlerConfig,
    )>,
    /// The injected failure: task index and records.
    chaos: Option<(usize, u64)>,
    /// Set when the attempt's first record is taken in.
    first_record: Arc<std::sync::OnceLock<Instant>>,
}

/// A TaskManager embedded in this process.
pub struct LocalCluster {
    slots: SlotSettings,
    network: Arc<NetworkBufferPool>,
    buffers_per_channel: usize,
    floating_per_gate: usize,
    clock: SharedClock,
    fault: FaultTolerance,
}

impl LocalCluster {
    /// Starts a TaskManager with the slots and network memory of `config`.
    pub fn start(config: &Configuration) -> Result<Self, JobError> {
        let slots = SlotSettings {
            slots: config.get(&config::NUM_TASK_SLOTS) as usize,
            pinning: config.get(&config::SLOT_PINNING),
            io_memory: config.get(&config::SLOT_IO_MEMORY).bytes() as usize,
            spin_before_park: config.get(&config::SLOT_SPIN_BEFORE_PARK),
        };
        slot::check_memlock(&slots)?;
        let arena = Arena::new(
            config.get(&config::NETWORK_MEMORY_MAX).bytes() as usize,
            config.get(&config::MEMORY_SEGMENT_SIZE).bytes() as usize,
        )?;
        Ok(Self {
            slots,
            network: NetworkBufferPool::new(arena),
            buffers_per_channel: config.get(&config::NETWORK_BUFFERS_PER_CHANNEL) as usize,
            floating_per_gate: config.get(&config::NETWORK_EXTRA_BUFFERS_PER_GATE) as usize,
            clock: Arc::new(SystemClock),
            fault: FaultTolerance::from_config(config)?,
        })
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.slots.slots
    }

    /// The TaskManager's network buffer pool.
    pub fn network(&self) -> &Arc<NetworkBufferPool> {
        &self.network
    }

    /// Runs `job` to its end with local channels.
    pub fn execute(&self, job: Arc<JobGraph>) -> Result<JobResult, JobError> {
        self.execute_with(job, &LocalTransport)
    }

    /// Runs `job` to its end, carrying channels with `transport`.
    pub fn execute_with(
        &self,
        job: Arc<JobGraph>,
        transport: &dyn ChannelTransport,
    ) -> Result<JobResult, JobError> {
        let control = JobControl::new(&job.name);
        self.execute_with_control(job, transport, &control)
    }

    /// Runs `job` to its end under `control` (a fresh one per execution): its status,
    /// vertices and live task metrics are visible there while it runs, and
    /// [`JobControl::cancel`] stops it with [`JobError::Cancelled`].
    pub fn execute_with_control(
        &self,
        job: Arc<JobGraph>,
        transport: &dyn ChannelTransport,
        control: &Arc<JobControl>,
    ) -> Result<JobResult, JobError> {
        let result = self.run_with_restarts(job, transport, control);
        let cancelled = control.cancel_requested();
        let (status, failure) = match &result {
            Ok(_) => (JobStatus::Finished, None),
            Err(JobError::Task(TaskError::Cancelled(_))) if cancelled => {
                (JobStatus::Canceled, None)
            }
            Err(e) => (JobStatus::Failed, Some(e.to_string())),
        };
        control.ended(status, failure);
        match result {
            Err(JobError::Task(TaskError::Cancelled(_))) if cancelled => Err(JobError::Cancelled {
                name: control.name().to_string(),
                id: control.id().to_string(),
            }),
            r => r,
        }
    }

    /// Runs attempts of `job` until one finishes, the job is cancelled, or the restart
    /// strategy gives up; each restart restores the latest completed checkpoint.
    fn run_with_restarts(
        &self,
        job: Arc<JobGraph>,
        transport: &dyn ChannelTransport,
        control: &Arc<JobControl>,
    ) -> Result<JobResult, JobError> {
        let ft = &self.fault;
        let storage = ft
            .checkpoints
            .as_ref()
            .map(|s| CheckpointStorage::new(&s.directory, &control.id().to_string()));
        let mut restored = match &ft.restore_path {
            Some(path) => Some(CompletedCheckpoint::load(path)?),
            None => None,
        };
        let mut tracker = RestartTracker::new(ft.restart.clone(), ft.chaos.map_or(1, |c| c.seed));
        let tasks: usize = job.vertices.iter().map(|v| v.parallelism).sum();
        let (mut attempt, mut completed) = (0u32, 0u64);
        let (mut checkpoint_ms, mut recovery_ms) = (Vec::new(), Vec::new());
        let mut snapshot_sync_ms = Vec::new();
        let mut failed_at: Option<Instant> = None;
        let end = |ending: Ending| {
            if let Some(storage) = &storage {
                if !ft.keeps_checkpoints(ending) {
                    let _ = std::fs::remove_dir_all(storage.root());
                }
            }
        };
        loop {
            let mut run = Attempt {
                chaos: ft.chaos.and_then(|c| c.plan(attempt, tasks)),
                ..Attempt::default()
            };
            if let Some(checkpoint) = &restored {
                run.restore = restore_plan(checkpoint, &job, ft.allow_non_restored)?;
            }
            let mut runner = None;
            if let (Some(settings), Some(storage)) = (&ft.checkpoints, &storage) {
                let signals = Arc::new(CheckpointSignals::default());
                let (tx, rx) = mpsc::channel();
                let cancel = control.cancel_handle().clone();
                let setup = RunnerSetup {
                    job_name: job.name.clone(),
                    settings: settings.clone(),
                    storage: storage.clone(),
                    tasks,
                    first_id: restored
                        .as_ref()
                        .map_or(1, |c| c.metadata.checkpoint_id + 1),
                    clock: self.clock.clone(),
                    fail_job: Box::new(move || cancel.cancel()),
                    savepoints: control.savepoints().clone(),
                    savepoint_dir: ft.savepoint_dir.clone(),
                    job_id: control.id().to_string(),
                    stop_job: {
                        let control = control.clone();
                        Box::new(move || {
                            control.cancel();
                        })
                    },
                };
                runner = Some(
                    CheckpointRunner::start(setup, signals.clone(), rx)
                        .map_err(|e| JobError::Transport(format!("checkpoint thread: {e}")))?,
                );
                let handler = BarrierHandlerConfig {
                    mode: settings.mode,
                    unaligned_enabled: settings.unaligned,
                    checkpoints_after_tasks_finish: true,
                };
                run.checkpointing = Some((signals, tx, handler));
            }
            let first_record = run.first_record.clone();
            let result = self.deploy_and_run(job.clone(), transport, control, run);
            if let (Some(failed), Some(first)) = (failed_at.take(), first_record.get()) {
                recovery_ms.push(first.saturating_duration_since(failed).as_secs_f64() * 1e3);
            }
            failed_at = control.cancel_handle().cancelled_at();
            let report = runner.map(CheckpointRunner::join);
            if let Some(report) = &report {
                completed += report.completed;
                checkpoint_ms.extend_from_slice(&report.durations_ms);
                snapshot_sync_ms.extend_from_slice(&report.sync_ms);
                if let Some((_, dir)) = &report.latest {
                    restored = Some(CompletedCheckpoint::load(dir)?);
                }
            }
            let failure = match result {
                Ok(mut r) => {
                    r.restarts = attempt;
                    r.checkpoints = completed;
                    r.checkpoint_ms = checkpoint_ms;
                    r.recovery_ms = recovery_ms;
                    r.snapshot_sync_ms = snapshot_sync_ms;
                    end(Ending::Finished);
                    return Ok(r);
                }
                Err(e) if control.cancel_requested() => {
                    end(Ending::Cancelled);
                    return Err(e);
                }
                Err(JobError::Task(e)) => match report.and_then(|r| r.failure) {
                    // The coordinator cancelled the job: too many failed checkpoints.
                    Some(reason) => TaskError::Input {
                        task: job.name.clone(),
                        reason,
                    },
                    None => e,
                },
                Err(e) => {
                    end(Ending::Failed);
                    return Err(e);
                }
            };
            match tracker.on_failure(control::epoch_ms()) {
                RestartDecision::Restart(delay) if control.restarting() => {
                    eprintln!(
                        "weir: job '{}' failed ({failure}); restarting in {} ms from {}",
                        job.name,
                        delay.as_millis(),
                        restored.as_ref().map_or("the beginning".to_string(), |c| {
                            format!("checkpoint {}", c.metadata.checkpoint_id)
                        })
                    );
                    if !sleep_unless_cancelled(control, delay) {
                        end(Ending::Cancelled);
                        return Err(JobError::Task(TaskError::Cancelled(job.name.clone())));
                    }
                    attempt += 1;
                }
                RestartDecision::Restart(_) => {
                    end(Ending::Cancelled);
                    return Err(JobError::Task(failure));
                }
                RestartDecision::GiveUp(reason) => {
                    end(Ending::Failed);
                    return Err(if ft.restart == RestartStrategy::None {
                        JobError::Task(failure)
                    } else {
                        JobError::GaveUp {
                            restarts: attempt,
                            reason,
                            last: Box::new(failure),
                        }
                    });
                }
            }
        }
    }

    fn deploy_and_run(
        &self,
        job: Arc<JobGraph>,
        transport: &dyn ChannelTransport,
        control: &Arc<JobControl>,
        mut run: Attempt,
    ) -> Result<JobResult, JobError> {
        let eg = ExecutionGraph::build(&job, self.slots.slots)?;
        let cancel: CancelHandle = control.cancel_handle().clone();
        let started = Instant::now();
        control.deployed(&job);

        // Result partition pools: Flink's size, subpartitions × buffers-per-channel + floating.
        let mut pools = Vec::new();
        for e in &job.edges {
            let mut per_producer = Vec::new();
            for (u, &subs) in eg.subpartitions[e.id].iter().enumerate() {
                let capacity =
                    (subs * self.buffers_per_channel + self.floating_per_gate).max(subs + 1);
                let name = format!(
                    "{} ({}/{}) -> edge {}",
                    job.vertices[e.source].name,
                    u + 1,
                    job.vertices[e.source].parallelism,
                    e.id
                );
                per_producer.push(self.network.create_local_pool(&name, capacity)?);
            }
            pools.push(per_producer);
        }
        // Input gates: capacity is what their producers' pools can hold.
        let mut gates: Vec<Vec<Option<Arc<GateShared>>>> = Vec::new();
        for v in &job.vertices {
            let mut per_subtask = Vec::new();
            for i in 0..v.parallelism {
                if eg.input_channels[v.id][i] == 0 {
                    per_subtask.push(None);
                    continue;
                }
                let mut capacity = 0;
                for e in job.inputs(v.id) {
                    for c in eg.channels[e.id].iter().filter(|c| c.consumer == i) {
                        capacity += pools[e.id][c.producer].capacity();
                    }
                }
                let gate = GateShared::new(
                    format!("{} ({}/{})", v.name, i + 1, v.parallelism),
                    capacity,
                );
                cancel.register(gate.clone());
                per_subtask.push(Some(gate));
            }
            gates.push(per_subtask);
        }
        if cancel.is_cancelled() {
            // Cancelled while the gates were being registered: close them all now.
            cancel.cancel();
        }
        // Deployments, grouped by slot.
        let mut by_slot: Vec<Vec<TaskDeployment>> =
            (0..eg.slots_needed).map(|_| Vec::new()).collect();
        let mut task_index = 0;
        for v in &job.vertices {
            for i in 0..v.parallelism {
                let index = task_index;
                task_index += 1;
                let mut outputs = Vec::new();
                for e in job.outputs(v.id) {
                    let mut sinks: Vec<(usize, Box<dyn BufferSink>)> = Vec::new();
                    for c in eg.channels[e.id].iter().filter(|c| c.producer == i) {
                        let gate = gates[e.target][c.consumer]
                            .clone()
                            .ok_or_else(|| JobError::Transport("consumer without gate".into()))?;
                        sinks.push((
                            c.subpartition,
                            transport.connect(c, gate).map_err(JobError::Transport)?,
                        ));
                    }
                    sinks.sort_by_key(|(s, _)| *s);
                    outputs.push(OutputDeployment {
                        edge: e.id,
                        pool: pools[e.id][i].clone(),
                        sinks: sinks.into_iter().map(|(_, s)| s).collect(),
                    });
                }
                let input = gates[v.id][i].clone().map(|gate| {
                    // Which operator input each channel feeds (two-input operators).
                    let mut channel_inputs = vec![0; eg.input_channels[v.id][i]];
                    for e in job.inputs(v.id) {
                        for c in eg.channels[e.id].iter().filter(|c| c.consumer == i) {
                            if let Some(slot) = channel_inputs.get_mut(c.input_channel) {
                                *slot = e.input;
                            }
                        }
                    }
                    InputDeployment {
                        gate,
                        channels: eg.input_channels[v.id][i],
                        channel_inputs,
                    }
                });
                let slot = eg.slot_of[v.id][i];
                by_slot[slot].push(TaskDeployment {
                    job: job.clone(),
                    vertex: v.id,
                    subtask: i,
                    slot,
                    outputs,
                    input,
                    clock: self.clock.clone(),
                    cancel: cancel.clone(),
                    published: control.metrics_slot(v.id, i),
                    restore: run.restore.remove(&(v.id, i)).unwrap_or_default(),
                    checkpointing: run.checkpointing.as_ref().map(|(signals, tx, handler)| {
                        TaskCheckpointing {
                            signals: signals.clone(),
                            messages: tx.clone(),
                            task_index: index,
                            handler: *handler,
                        }
                    }),
                    fail_after_records: run
                        .chaos
                        .filter(|(task, _)| *task == index)
                        .map(|(_, records)| records),
                    first_record: run.first_record.clone(),
                });
            }
        }
        drop(pools);
        drop(gates);
        // The coordinator's thread ends when the tasks drop their senders.
        drop(run);
        let settings = SlotSettings {
            slots: eg.slots_needed,
            ..self.slots.clone()
        };
        let mut by_slot = by_slot.into_iter();
        let results = slot::run_on_slots(&settings, |_| {
            let tasks = by_slot.next().unwrap_or_default();
            move || async move {
                let handles: Vec<_> = tasks
                    .into_iter()
                    .map(|d| slot::spawn_task(run_task(d)))
                    .collect();
                let mut out = Vec::with_capacity(handles.len());
                for h in handles {
                    out.push(h.await);
                }
                out
            }
        })?;
        let mut tasks = Vec::new();
        let mut failure: Option<TaskError> = None;
        for r in results.into_iter().flatten() {
            match r {
                Ok(m) => tasks.push(m),
                Err(e) => {
                    let root = !matches!(e, TaskError::Cancelled(_));
                    if failure.is_none()
                        || (root && matches!(failure, Some(TaskError::Cancelled(_))))
                    {
                        failure = Some(e);
                    }
                }
            }
        }
        if let Some(e) = failure {
            return Err(JobError::Task(e));
        }
        tasks.sort_by_key(|t| (t.vertex_id, t.subtask));
        Ok(JobResult {
            name: job.name.clone(),
            duration: started.elapsed(),
            tasks,
            slots_used: eg.slots_needed,
            restarts: 0,
            checkpoints: 0,
            checkpoint_ms: Vec::new(),
            recovery_ms: Vec::new(),
            snapshot_sync_ms: Vec::new(),
        })
    }
}

/// Sleeps `delay` unless the job is cancelled meanwhile; whether it slept it all.
fn sleep_unless_cancelled(control: &JobControl, delay: Duration) -> bool {
    let until = Instant::now() + delay;
    loop {
        if control.status() == JobStatus::Cancelling {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(10)));
    }
}
