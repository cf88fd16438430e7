//! A task's part in checkpoints: sources inject the barriers the coordinator issues,
//! every task snapshots its chain when a checkpoint triggers (at the source, or when
//! its input gate's barrier handler says so), passes the barrier on, and hands its state
//! to the coordinator's thread; completed checkpoints are announced to the chain, and at
//! the end the task waits for the whole job to finish before its sinks commit the rest.
//!
//! An unaligned checkpoint's barrier overtakes the task's output (see
//! `RecordWriter::forward_unaligned`), and a task with an input gate acknowledges it only
//! once its input in-flight data is complete (every channel delivered the barrier and
//! what the barriers overtook was read): until then its snapshot waits here.

use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use crate::checkpoint::channel_state::{ChannelLog, ChannelState};
use crate::checkpoint::handler::BarrierHandlerConfig;
use crate::checkpoint::signals::{CheckpointSignals, TaskMessage};
use crate::checkpoint::storage::TaskState;
use crate::checkpoint::CheckpointBarrier;
use crate::framing::event::Event;
use crate::graph::job_graph::{JobGraph, VertexId};
use crate::operator::checkpoint::ChainSnapshot;
use crate::operator::{CheckpointCall, OpResult, OperatorError};
use crate::runtime::exchange::CancelHandle;
use crate::runtime::record_writer::SharedWriter;
use crate::runtime::slot;

/// How a task takes part in the checkpoints of its job (given when checkpointing is on).
pub struct TaskCheckpointing {
    /// Barriers issued, checkpoints completed, the job's end.
    pub signals: Arc<CheckpointSignals>,
    /// Where the task's snapshots and its end go.
    pub messages: Sender<TaskMessage>,
    /// The task's index among the job's tasks (as the coordinator counts them).
    pub task_index: usize,
    /// How the task's input gate handles barriers.
    pub handler: BarrierHandlerConfig,
}

/// The chain of a task, for checkpoint calls.
pub(crate) type Chain<'a> = &'a mut dyn FnMut(&mut CheckpointCall<'_>) -> OpResult;

/// A running task's checkpoint state.
pub(crate) struct TaskCheckpoints {
    cfg: TaskCheckpointing,
    /// The newest barrier injected (sources) or triggered.
    last_barrier: u64,
    /// The newest completion announced to the chain.
    last_completed: u64,
    vertex: String,
    vertex_index: usize,
    subtask: usize,
    parallelism: usize,
    max_parallelism: usize,
    /// The state id of the chain's head, which the in-flight data is stored with.
    head_uid: String,
    /// An unaligned checkpoint snapshotted here whose input in-flight data is still
    /// being read, with its output in-flight data.
    waiting: Option<WaitingAck>,
}

/// A snapshot waiting for its input in-flight data before it is acknowledged.
struct WaitingAck {
    id: u64,
    state: TaskState,
    outputs: Vec<(u32, u32, ChannelLog)>,
    /// How long the chain's snapshot stopped the task.
    sync_micros: u64,
}

/// How often a finished task looks whether the whole job has finished.
const FINISH_POLL: Duration = Duration::from_millis(1);

impl TaskCheckpoints {
    /// The checkpoint state of subtask `subtask` of `vertex`.
    pub(crate) fn new(
        cfg: TaskCheckpointing,
        job: &JobGraph,
        vertex: VertexId,
        subtask: usize,
    ) -> Self {
        let v = &job.vertices[vertex];
        Self {
            cfg,
            last_barrier: 0,
            last_completed: 0,
            vertex: v.name.clone(),
            vertex_index: vertex,
            subtask,
            parallelism: v.parallelism,
            max_parallelism: v.max_parallelism,
            head_uid: job.stream.state_uid(v.nodes[0]),
            waiting: None,
        }
    }

    /// How the task's input gate handles barriers.
    pub(crate) fn handler_config(&self) -> BarrierHandlerConfig {
        self.cfg.handler
    }

    /// A source's next barrier to inject, if the coordinator issued one.
    pub(crate) fn next_source_barrier(&mut self) -> Option<CheckpointBarrier> {
        let barrier = self.cfg.signals.barrier_after(self.last_barrier)?;
        self.last_barrier = barrier.id;
        Some(barrier)
    }

    /// Checkpoint `barrier` triggers here: the chain snapshots its state, the barrier goes
    /// out on every output (even when the snapshot failed, so that no downstream task waits
    /// for it forever), and the state (or the failure) goes to the coordinator. With
    /// `reads_input`, an unaligned checkpoint's state waits for
    /// [`input_in_flight`](Self::input_in_flight).
    pub(crate) fn trigger(
        &mut self,
        barrier: CheckpointBarrier,
        writers: &[SharedWriter],
        chain: Chain<'_>,
        reads_input: bool,
    ) -> OpResult {
        self.last_barrier = self.last_barrier.max(barrier.id);
        let mut snapshot = ChainSnapshot::new(barrier.id);
        let started = std::time::Instant::now();
        let taken = chain(&mut CheckpointCall::Snapshot(&mut snapshot));
        let sync_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let unaligned = barrier.options.is_unaligned();
        let mut outputs = Vec::new();
        for (i, w) in writers.iter().enumerate() {
            let mut w = w.borrow_mut();
            if unaligned {
                let writer = u32::try_from(i).unwrap_or(u32::MAX);
                let logs = w.forward_unaligned(barrier)?;
                outputs.extend(logs.into_iter().map(|(ch, log)| (writer, ch, log)));
            } else {
                w.broadcast_event(&Event::CheckpointBarrier(barrier), true)?;
            }
        }
        let task = self.cfg.task_index;
        match taken {
            Ok(()) => {
                let waiting = WaitingAck {
                    id: barrier.id,
                    state: TaskState {
                        vertex: self.vertex.clone(),
                        vertex_index: self.vertex_index,
                        subtask: self.subtask,
                        parallelism: self.parallelism,
                        max_parallelism: self.max_parallelism,
                        operators: snapshot.operators,
                        channels: None,
                    },
                    outputs,
                    sync_micros,
                };
                if unaligned && reads_input {
                    self.waiting = Some(waiting);
                } else {
                    self.acknowledge(waiting, Vec::new());
                }
            }
            Err(e) => {
                let reason = format!("{} ({}): {e}", self.vertex, self.subtask + 1);
                // The coordinator is gone only when the job is ending.
                let _ = self.cfg.messages.send(TaskMessage::Decline {
                    task,
                    id: barrier.id,
                    reason,
                });
            }
        }
        Ok(())
    }

    /// The input in-flight data of unaligned checkpoint `id` is complete: its snapshot
    /// goes to the coordinator with it.
    pub(crate) fn input_in_flight(&mut self, id: u64, inputs: Vec<(u32, ChannelLog)>) {
        if self.waiting.as_ref().is_some_and(|w| w.id == id) {
            if let Some(w) = self.waiting.take() {
                self.acknowledge(w, inputs);
            }
        }
    }

    /// Checkpoint `id` was abandoned at this task's input: a snapshot waiting for it is
    /// dropped.
    pub(crate) fn aborted(&mut self, id: u64) {
        if self.waiting.as_ref().is_some_and(|w| w.id <= id) {
            self.waiting = None;
        }
    }

    /// Whether the coordinator issued a barrier this source has not injected yet (a
    /// source watches for it while its output waits for buffers, when checkpoints may be
    /// unaligned).
    pub(crate) fn barrier_watch(&self) -> Option<impl Fn() -> bool> {
        if !self.cfg.handler.unaligned_enabled {
            return None;
        }
        let signals = self.cfg.signals.clone();
        let last = self.last_barrier;
        Some(move || signals.barrier_after(last).is_some())
    }

    fn acknowledge(&mut self, mut w: WaitingAck, inputs: Vec<(u32, ChannelLog)>) {
        let channels = ChannelState {
            inputs,
            outputs: std::mem::take(&mut w.outputs),
        };
        if !channels.is_empty() {
            w.state.channels = Some((self.head_uid.clone(), channels.encode()));
        }
        let _ = self.cfg.messages.send(TaskMessage::Ack {
            task: self.cfg.task_index,
            id: w.id,
            state: w.state,
            sync_micros: w.sync_micros,
        });
    }

    /// Announces the newest completed checkpoint to the chain, once.
    pub(crate) fn notify(&mut self, chain: Chain<'_>) -> OpResult {
        let completed = self.cfg.signals.completed();
        if completed > self.last_completed {
            self.last_completed = completed;
            chain(&mut CheckpointCall::Complete(completed))?;
        }
        Ok(())
    }

    /// The task processed all of its input: tells the coordinator, waits until every task
    /// of the job has (or the job is cancelled), then lets the chain commit what is left.
    pub(crate) async fn finish(&mut self, cancel: &CancelHandle, chain: Chain<'_>) -> OpResult {
        let _ = self.cfg.messages.send(TaskMessage::Finished {
            task: self.cfg.task_index,
        });
        while !self.cfg.signals.job_finished() {
            if cancel.is_cancelled() {
                return Err(OperatorError::User("the job was cancelled".into()));
            }
            slot::sleep(FINISH_POLL).await;
        }
        self.notify(chain)?;
        chain(&mut CheckpointCall::Finished)
    }
}
