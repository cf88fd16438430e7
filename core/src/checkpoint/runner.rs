//! The checkpoint coordinator of one run of a job, on a thread of its own: it feeds the
//! I/O-free [`Coordinator`] the time and the tasks' messages and carries out its actions:
//! barriers go to the sources through [`CheckpointSignals`], the tasks' state is written
//! to the checkpoint directory (the asynchronous part of their snapshots, off their
//! threads), a checkpoint whose every task acknowledged gets its `_metadata` (which makes
//! it visible) before the tasks are told it completed, aborted and retired checkpoints
//! are deleted.
//!
//! As in Flink before 1.14, no checkpoint starts once a task has finished its input
//! (bounded sources end first), and the pending ones are aborted; the job's last
//! transactions commit when every task has finished ([`CheckpointSignals::finish_job`]),
//! which is the consistent end state Flink's final checkpoint records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::barrier::{CheckpointBarrier, CheckpointOptions, CheckpointType};
use super::coordinator::{Action, CheckpointKind, Coordinator};
use super::savepoints::{SavepointRequest, SavepointRequests, SavepointStatus};
use super::signals::{CheckpointSignals, TaskMessage};
use super::storage::{
    savepoint_dir, write_metadata, write_task_state, CheckpointStorage, MetadataBuilder,
    OperatorSubtaskHandle,
};
use crate::config::fault_tolerance::CheckpointSettings;
use crate::runtime::clock::SharedClock;

/// The longest the thread sleeps without looking at the time.
const TICK: Duration = Duration::from_millis(20);

/// What the thread reports when the run has ended (every task dropped its sender).
#[derive(Debug, Default)]
pub struct RunnerReport {
    /// The newest completed checkpoint, to restore from after a failure.
    pub latest: Option<(u64, PathBuf)>,
    /// Checkpoints completed in this run.
    pub completed: u64,
    /// How long each completed checkpoint took, from its trigger to its metadata, ms.
    pub durations_ms: Vec<u64>,
    /// Checkpoints aborted in this run (expired, declined, subsumed, ended).
    pub aborted: u64,
    /// How long each acknowledged task snapshot stopped its task (the synchronous part), ms.
    pub sync_ms: Vec<f64>,
    /// Set when more checkpoints failed in a row than tolerated: the job must fail.
    pub failure: Option<String>,
}

/// The coordinator's thread of one run of a job.
pub struct CheckpointRunner {
    thread: JoinHandle<RunnerReport>,
}

/// What the runner needs to know about the job.
pub struct RunnerSetup {
    /// The job's name (in the metadata).
    pub job_name: String,
    /// The checkpoint settings.
    pub settings: CheckpointSettings,
    /// The job's checkpoint directory.
    pub storage: CheckpointStorage,
    /// Number of tasks (every one acknowledges each checkpoint).
    pub tasks: usize,
    /// The id of the first checkpoint of this run (after a restore: the restored one + 1).
    pub first_id: u64,
    /// The wall clock (barrier timestamps, timeouts).
    pub clock: SharedClock,
    /// Called when the job must fail (too many failed checkpoints): cancels the run.
    pub fail_job: Box<dyn Fn() + Send>,
    /// Savepoints asked for while the job runs.
    pub savepoints: Arc<SavepointRequests>,
    /// `state.savepoints.dir`: where savepoints go without a target of their own.
    pub savepoint_dir: Option<PathBuf>,
    /// The job id (in savepoint directory names).
    pub job_id: String,
    /// Called after a stop-with-savepoint's savepoint completed: ends the job.
    pub stop_job: Box<dyn Fn() + Send>,
}

impl CheckpointRunner {
    /// Starts the thread; it ends once every sender of `messages` is dropped.
    pub fn start(
        setup: RunnerSetup,
        signals: Arc<CheckpointSignals>,
        messages: Receiver<TaskMessage>,
    ) -> std::io::Result<Self> {
        let thread = std::thread::Builder::new()
            .name("weir-checkpoints".into())
            .spawn(move || Runner::new(setup, signals).run(&messages))?;
        Ok(Self { thread })
    }

    /// Waits for the thread's end and its report.
    pub fn join(self) -> RunnerReport {
        self.thread.join().unwrap_or_else(|_| RunnerReport {
            failure: Some("the checkpoint coordinator's thread panicked".into()),
            ..RunnerReport::default()
        })
    }
}

/// The handles of one pending checkpoint, as its tasks' state is written.
type Written = Vec<(usize, usize, Vec<(String, OperatorSubtaskHandle)>)>;

struct Runner {
    setup: RunnerSetup,
    signals: Arc<CheckpointSignals>,
    coordinator: Coordinator,
    written: BTreeMap<u64, Written>,
    started: BTreeMap<u64, u64>,
    finished: BTreeSet<usize>,
    report: RunnerReport,
    /// Savepoints being taken, by checkpoint id.
    savepoints: BTreeMap<u64, SavepointRequest>,
}

impl Runner {
    fn new(setup: RunnerSetup, signals: Arc<CheckpointSignals>) -> Self {
        let coordinator = Coordinator::new(setup.settings.clone(), setup.tasks, setup.first_id);
        Self {
            setup,
            signals,
            coordinator,
            written: BTreeMap::new(),
            started: BTreeMap::new(),
            finished: BTreeSet::new(),
            report: RunnerReport::default(),
            savepoints: BTreeMap::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.setup.clock.epoch_millis()).unwrap_or(0)
    }

    fn run(mut self, messages: &Receiver<TaskMessage>) -> RunnerReport {
        self.setup.savepoints.set_accepting(true);
        loop {
            let now = self.now_ms();
            for request in self.setup.savepoints.take() {
                self.start_savepoint(request, now);
            }
            if self.finished.is_empty() {
                let actions = self.coordinator.poll(now);
                self.carry_out(actions);
            }
            let next = [
                self.coordinator.next_trigger_ms(),
                self.coordinator.next_expiry(),
            ]
            .into_iter()
            .flatten()
            .min();
            let wait = next.map_or(TICK, |t| Duration::from_millis(t.saturating_sub(now)));
            match messages.recv_timeout(wait.min(TICK)) {
                Ok(message) => self.on_message(message),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.setup.savepoints.set_accepting(false);
        let actions = self.coordinator.abort_all();
        self.carry_out(actions);
        self.report
    }

    /// Starts the savepoint `request` asks for, or records why it cannot start.
    fn start_savepoint(&mut self, request: SavepointRequest, now: u64) {
        let failed = |why: String| SavepointStatus::Failed(why);
        if !self.finished.is_empty() {
            let why = "some tasks have finished their input".to_string();
            self.setup.savepoints.finish(&request.id, failed(why));
            return;
        }
        match self.coordinator.trigger_savepoint(now) {
            Ok(action) => {
                if let Action::Trigger { id, .. } = &action {
                    self.savepoints.insert(*id, request);
                }
                self.carry_out(vec![action]);
            }
            Err(e) => self
                .setup
                .savepoints
                .finish(&request.id, failed(e.to_string())),
        }
    }

    /// Moves completed savepoint `id` from its checkpoint directory to its own; its place.
    fn place_savepoint(&self, id: u64, request: &SavepointRequest) -> Result<PathBuf, String> {
        let from = self.setup.storage.checkpoint_dir(id);
        let Some(base) = request
            .target
            .clone()
            .or_else(|| self.setup.savepoint_dir.clone())
        else {
            let _ = self.setup.storage.discard(id);
            return Err("no target directory: give one or set state.savepoints.dir".into());
        };
        let nonce = self.now_ms() ^ (id << 40);
        let to = savepoint_dir(&base, &self.setup.job_id, nonce);
        let moved = std::fs::create_dir_all(&base)
            .and_then(|()| std::fs::rename(&from, &to))
            .or_else(|_| copy_dir(&from, &to).and_then(|()| std::fs::remove_dir_all(&from)));
        moved.map_err(|e| {
            format!(
                "moving savepoint {} to {}: {e}",
                from.display(),
                to.display()
            )
        })?;
        Ok(to)
    }

    fn on_message(&mut self, message: TaskMessage) {
        let now = self.now_ms();
        let actions = match message {
            TaskMessage::Ack {
                task,
                id,
                state,
                sync_micros,
            } => {
                let dir = self.setup.storage.checkpoint_dir(id);
                if !self.started.contains_key(&id) {
                    return; // no longer pending (aborted, or subsumed)
                }
                self.report.sync_ms.push(sync_micros as f64 / 1e3);
                match write_task_state(&dir, &state) {
                    Ok(handles) => {
                        self.written.entry(id).or_default().push((
                            state.parallelism,
                            state.max_parallelism,
                            handles,
                        ));
                        self.coordinator.on_ack(id, task, now)
                    }
                    Err(e) => self.coordinator.on_decline(
                        id,
                        task,
                        format!("writing the state of {} failed: {e}", state.vertex),
                    ),
                }
            }
            TaskMessage::Decline { task, id, reason } => {
                self.coordinator.on_decline(id, task, reason)
            }
            TaskMessage::Finished { task } => {
                self.finished.insert(task);
                if self.finished.len() >= self.setup.tasks {
                    self.signals.finish_job();
                }
                Ok(self.coordinator.abort_all())
            }
        };
        match actions {
            Ok(actions) => self.carry_out(actions),
            Err(e) => warn(&format!("checkpoint coordinator: {e}")),
        }
    }

    fn carry_out(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Trigger {
                    id,
                    timestamp_ms,
                    kind,
                } => {
                    let checkpoint_type = match kind {
                        CheckpointKind::Checkpoint => CheckpointType::Checkpoint,
                        CheckpointKind::Savepoint => CheckpointType::Savepoint,
                    };
                    let settings = &self.setup.settings;
                    let options = CheckpointOptions::new(
                        checkpoint_type,
                        settings.unaligned,
                        u64::try_from(settings.aligned_timeout.as_millis()).unwrap_or(u64::MAX),
                    );
                    let ts = i64::try_from(timestamp_ms).unwrap_or(i64::MAX);
                    self.started.insert(id, timestamp_ms);
                    self.signals.issue(CheckpointBarrier::new(id, ts, options));
                }
                Action::Complete { id, kind } => self.complete(id, kind),
                Action::Abort { id, reason } => {
                    if let Some(request) = self.savepoints.remove(&id) {
                        let why = format!("savepoint {id} was aborted: {reason:?}");
                        self.setup
                            .savepoints
                            .finish(&request.id, SavepointStatus::Failed(why));
                    }
                    self.report.aborted += 1;
                    self.started.remove(&id);
                    self.written.remove(&id);
                    self.signals.retire(id);
                    let _ = self.setup.storage.discard(id);
                }
                Action::Retire { id } => {
                    let _ = self.setup.storage.discard(id);
                }
                Action::FailJob { failures, last } => {
                    self.report.failure = Some(format!(
                        "{failures} checkpoints failed in a row, more than \
                         execution.checkpointing.tolerable-failed-checkpoints allows \
                         (the last: {last:?})"
                    ));
                    (self.setup.fail_job)();
                }
            }
        }
    }

    fn complete(&mut self, id: u64, kind: CheckpointKind) {
        let timestamp = self.started.remove(&id).unwrap_or_default();
        let mut builder = MetadataBuilder::new(
            self.setup.job_name.clone(),
            id,
            kind == CheckpointKind::Savepoint,
            timestamp,
        );
        for (parallelism, max_parallelism, handles) in self.written.remove(&id).unwrap_or_default()
        {
            builder.add(parallelism, max_parallelism, handles);
        }
        let dir = self.setup.storage.checkpoint_dir(id);
        match write_metadata(&dir, &builder.build()) {
            Ok(()) => {
                self.report.completed += 1;
                self.report
                    .durations_ms
                    .push(self.now_ms().saturating_sub(timestamp));
                let mut place = Ok(dir);
                if let Some(request) = self.savepoints.remove(&id) {
                    place = self.place_savepoint(id, &request);
                    let status = match &place {
                        Ok(at) => SavepointStatus::Completed(at.clone()),
                        Err(why) => SavepointStatus::Failed(why.clone()),
                    };
                    self.setup.savepoints.finish(&request.id, status);
                    if request.stop && place.is_ok() {
                        (self.setup.stop_job)();
                    }
                }
                // A savepoint is where a restart resumes too: sinks commit on it.
                if let Ok(at) = place {
                    self.report.latest = Some((id, at));
                }
                self.signals.complete(id);
            }
            Err(e) => {
                // Not visible, so not complete: the tasks keep their transactions open
                // for the next checkpoint.
                self.report.aborted += 1;
                self.signals.retire(id);
                warn(&format!("checkpoint {id}: writing its metadata: {e}"));
            }
        }
    }
}

/// A warning on standard error (the engine has no logging framework).
fn warn(message: &str) {
    eprintln!("weir: warning: {message}");
}

/// Copies the files of directory `from` (a checkpoint: files only) into a new `to`.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}
