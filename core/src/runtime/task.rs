//! A subtask: its operator chain built inside its slot, driven by its source or by its
//! input gate, writing into its result partitions.
//!
//! - [`input_loop`]: the loop of a subtask reading an input gate.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use crate::checkpoint::channel_state::{ChannelLog, ChannelState};
use crate::cluster::control::MetricsSlot;
use crate::framing::event::Event;
use crate::graph::factory::{BuildContext, Built};
use crate::graph::job_graph::{JobGraph, VertexId};
use crate::memory::local_pool::LocalBufferPool;
use crate::operator::checkpoint::OperatorRestore;
use crate::operator::process::SideOutputs;
use crate::operator::CheckpointCall;
use crate::operator::{OpResult, OperatorError};
use crate::runtime::clock::SharedClock;
use crate::runtime::exchange::{BufferSink, CancelHandle, GateShared};
use crate::runtime::input::ErasedInput;
use crate::runtime::metrics::{StateSizes, TaskMetrics};
use crate::runtime::record_writer::{SharedWriter, WriterCore};
use crate::runtime::slot;
use crate::runtime::source::{SourceDriver, SourceStatus};
use crate::runtime::task_checkpoints::{TaskCheckpointing, TaskCheckpoints};
use crate::runtime::timers::ProcessingTimeService;

mod input_loop;

/// Records a source emits between two checks of flushing, backpressure and yielding.
const SOURCE_BATCH: usize = 512;

/// The largest record a reader reassembles (a spanning record beyond this is an error).
pub const MAX_RECORD_SIZE: usize = 64 << 20;

/// One output of a subtask: a result partition for one job edge.
pub struct OutputDeployment {
    /// The job edge.
    pub edge: usize,
    /// The partition's buffer pool.
    pub pool: LocalBufferPool,
    /// One sink per subpartition, in subpartition order.
    pub sinks: Vec<Box<dyn BufferSink>>,
}

/// The input gate of a subtask.
pub struct InputDeployment {
    /// The gate's queue.
    pub gate: Arc<GateShared>,
    /// Number of input channels.
    pub channels: usize,
    /// The operator input each channel feeds (0, or 1 for a two-input operator's second).
    pub channel_inputs: Vec<usize>,
}

/// Everything a slot needs to run one subtask (sent to the slot's thread).
pub struct TaskDeployment {
    /// The job.
    pub job: Arc<JobGraph>,
    /// The vertex.
    pub vertex: VertexId,
    /// The subtask index.
    pub subtask: usize,
    /// The slot it runs in.
    pub slot: usize,
    /// Result partitions, one per outgoing job edge.
    pub outputs: Vec<OutputDeployment>,
    /// The input gate (absent for sources).
    pub input: Option<InputDeployment>,
    /// The task clock.
    pub clock: SharedClock,
    /// Cancels the whole job.
    pub cancel: CancelHandle,
    /// Where the task publishes its running metrics (a job run under a `JobControl`).
    pub published: Option<MetricsSlot>,
    /// What its operators restore, by state id (empty for a fresh start).
    pub restore: HashMap<String, Arc<OperatorRestore>>,
    /// How it takes part in checkpoints (`None`: the job takes none).
    pub checkpointing: Option<TaskCheckpointing>,
    /// Fault injection: the task fails once it has taken in this many records.
    pub fail_after_records: Option<u64>,
    /// Set by the first task of the attempt to take in a record (recovery time).
    pub first_record: Arc<std::sync::OnceLock<std::time::Instant>>,
}

/// Why a subtask stopped without finishing.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// An operator failed.
    #[error("{task}: {source}")]
    Operator {
        /// `vertex (subtask i/n)`.
        task: String,
        /// The failure.
        #[source]
        source: OperatorError,
    },
    /// Bytes in a buffer were not valid frames.
    #[error("{task}: corrupt input on channel {channel}: {reason}")]
    Corrupt {
        /// `vertex (subtask i/n)`.
        task: String,
        /// Input channel.
        channel: usize,
        /// What was wrong.
        reason: String,
    },
    /// An input channel failed (e.g. a remote channel lost its connection).
    #[error("{task}: input failed: {reason}")]
    Input {
        /// `vertex (subtask i/n)`.
        task: String,
        /// What went wrong, from [`GateShared::fail`].
        reason: String,
    },
    /// Another task failed and the job was cancelled.
    #[error("{0}: cancelled")]
    Cancelled(String),
}

/// The consumers of one output (main or a side output) of a node, with their record type.
type Consumers = (
    Option<String>,
    Vec<Box<dyn Any>>,
    Arc<dyn crate::graph::factory::TypeOps>,
);

enum Head {
    Source(Box<dyn SourceDriver>),
    Input(Box<dyn ErasedInput>),
}

struct Task {
    name: String,
    writers: Vec<SharedWriter>,
    /// The job edge each writer feeds, in the order of `writers`.
    writer_edges: Vec<usize>,
    clock: SharedClock,
    cancel: CancelHandle,
    metrics: TaskMetrics,
    timers: ProcessingTimeService,
    state_sizes: StateSizes,
    /// When the keyed state's size is sampled next (task clock, ns), for its peak.
    next_state_sample: u64,
    /// The job, for the edges of `writer_edges`.
    job: Arc<JobGraph>,
    /// When the task started (task clock, ns).
    start: u64,
    /// Where the running metrics are published at each state sample.
    published: Option<MetricsSlot>,
    /// Its part in checkpoints.
    checkpoints: Option<TaskCheckpoints>,
    /// The state id of the chain's head (a source's position is stored under it).
    head_uid: String,
    /// Fault injection: fail once this many records were taken in.
    fail_after_records: Option<u64>,
    /// The attempt's first record, once this task has seen one (`None` after).
    first_record: Option<Arc<std::sync::OnceLock<std::time::Instant>>>,
}

/// How often a task samples the size of its keyed state for the peak it reports.
const STATE_SAMPLE_INTERVAL_NS: u64 = 250_000_000;

/// What building a subtask yields: its head, its writers by job edge, its timers.
type BuiltTask = (
    Head,
    Vec<(usize, SharedWriter)>,
    ProcessingTimeService,
    StateSizes,
);

fn build(d: &mut TaskDeployment) -> Result<BuiltTask, OperatorError> {
    let timers = ProcessingTimeService::new(d.clock.clone());
    let state_sizes = StateSizes::default();
    let job = d.job.clone();
    let vertex = &job.vertices[d.vertex];
    let g = &job.stream;
    let mut writer_of_edge: Vec<(usize, SharedWriter)> = Vec::new();
    for out in d.outputs.drain(..) {
        let edge = &job.edges[out.edge];
        let core = WriterCore::new(out.pool, out.sinks, edge.buffer_timeout, d.clock.clone());
        writer_of_edge.push((out.edge, Rc::new(RefCell::new(core))));
    }
    let mut built: Vec<Option<Box<dyn Any>>> = (0..g.nodes.len()).map(|_| None).collect();
    let mut head_source = None;
    let mut head_input = None;
    for &n in vertex.nodes.iter().rev() {
        let node = &g.nodes[n];
        // Downstream consumers: chained operators and result partitions, by side output.
        let mut by_tag: Vec<Consumers> = Vec::new();
        let mut push = |tag: &Option<String>,
                        out: Box<dyn Any>,
                        ty: &Arc<dyn crate::graph::factory::TypeOps>| {
            match by_tag.iter_mut().find(|(t, _, _)| t == tag) {
                Some((_, v, _)) => v.push(out),
                None => by_tag.push((tag.clone(), vec![out], ty.clone())),
            }
        };
        for c in job.chained.iter().filter(|c| c.source == n) {
            let out = built[c.target].take().ok_or_else(|| {
                OperatorError::User(format!(
                    "operator '{}' is chained twice",
                    g.nodes[c.target].name
                ))
            })?;
            let ty = g.nodes[n].out_type.clone().ok_or_else(|| {
                OperatorError::User(format!("sink '{}' has a successor", node.name))
            })?;
            let ty = match &c.side_output {
                None => ty,
                Some(_) => g
                    .edges
                    .iter()
                    .find(|e| e.source == n && e.target == c.target)
                    .map(|e| e.record_type.clone())
                    .unwrap_or(ty),
            };
            push(&c.side_output, out, &ty);
        }
        for (edge_id, core) in &writer_of_edge {
            let e = &job.edges[*edge_id];
            if e.source_node == n {
                let w = e.record_type.record_writer(
                    core.clone(),
                    &e.partitioning,
                    d.subtask,
                    vertex.max_parallelism as u32,
                )?;
                push(&e.side_output, w, &e.record_type);
            }
        }
        let mut main: Box<dyn Any> = Box::new(());
        let mut sides = SideOutputs::default();
        if let Some(ty) = &node.out_type {
            main = ty.discard();
        }
        for (tag, outs, ty) in by_tag {
            let out = ty.fan_out(outs)?;
            match tag {
                None => main = out,
                Some(t) => ty.register_side(&mut sides, &t, out)?,
            }
        }
        let ctx = BuildContext {
            name: node.name.clone(),
            subtask: d.subtask,
            parallelism: vertex.parallelism,
            max_parallelism: vertex.max_parallelism,
            clock: d.clock.clone(),
            timers: timers.clone(),
            state_sizes: state_sizes.clone(),
            uid: g.state_uid(n),
            restore: d.restore.get(&g.state_uid(n)).cloned(),
            checkpointing: d.checkpointing.is_some(),
        };
        match node.factory.build(&ctx, main, sides)? {
            Built::Source(s) => head_source = Some(s),
            Built::Operator(op) => built[n] = Some(op),
            Built::Input(input) if n == vertex.nodes[0] => head_input = Some(input),
            Built::Input(_) => {
                return Err(OperatorError::User(format!(
                    "two-input operator '{}' is chained behind another operator",
                    node.name
                )))
            }
        }
    }
    let head_node = vertex.nodes[0];
    let head = match (head_source, head_input) {
        (Some(s), _) => Head::Source(s),
        (None, Some(input)) => Head::Input(input),
        (None, None) => {
            let op = built[head_node].take().ok_or_else(|| {
                OperatorError::User(format!("vertex '{}' has no head", vertex.name))
            })?;
            let edge = job.inputs(d.vertex).next().ok_or_else(|| {
                OperatorError::User(format!("vertex '{}' has no input", vertex.name))
            })?;
            Head::Input(edge.record_type.input(op, &vertex.name)?)
        }
    };
    Ok((head, writer_of_edge, timers, state_sizes))
}

/// How often a task blocked on output buffers checks whether the job was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(5);

/// How often a task blocked on output buffers looks for a barrier that must overtake.
const INTERRUPT_POLL: Duration = Duration::from_millis(1);

/// One wake-up of a task draining its output while watching for a barrier.
enum Step {
    /// The backlog is written (or writing failed).
    Drained(OpResult),
    /// A barrier must be handled first.
    Interrupted,
    /// Time to look again.
    Tick,
}

/// The longest a task waits on its input gate before polling it again unprompted: a
/// second line of defence, behind the slot watchdog (`runtime::watchdog`), against a
/// wake-up that does not reach a sleeping executor.
const RECHECK: Duration = Duration::from_millis(2);

/// Awaits `fut` unless the job is cancelled first (checked every [`CANCEL_POLL`] while
/// `fut` waits). A task waiting for buffers that a cancelled consumer will never return
/// (for instance held by a remote channel that lost its credit) must not wait forever.
async fn unless_cancelled<T>(
    cancel: &CancelHandle,
    fut: impl Future<Output = T>,
) -> Result<T, OperatorError> {
    let mut fut = pin!(fut);
    // The common case, ready at once, creates no timer.
    if let Poll::Ready(v) = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await {
        return Ok(v);
    }
    loop {
        if cancel.is_cancelled() {
            return Err(OperatorError::User("the job was cancelled".into()));
        }
        let mut timer = pin!(slot::sleep(CANCEL_POLL));
        let done = std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending => timer.as_mut().poll(cx).map(|_| None),
        })
        .await;
        if let Some(v) = done {
            return Ok(v);
        }
    }
}

impl Task {
    /// Fails the task once it has taken in the records fault injection allows; notes the
    /// attempt's first record.
    fn on_records_taken(&mut self) -> Result<(), TaskError> {
        if self.metrics.records_in > 0 {
            if let Some(first) = self.first_record.take() {
                first.get_or_init(std::time::Instant::now);
            }
        }
        match self.fail_after_records {
            Some(n) if self.metrics.records_in >= n => Err(self.fail(OperatorError::User(
                format!("injected failure after {n} records"),
            ))),
            _ => Ok(()),
        }
    }

    fn fail(&self, source: OperatorError) -> TaskError {
        TaskError::Operator {
            task: self.name.clone(),
            source,
        }
    }

    fn flush_deadline(&self) -> Option<u64> {
        self.writers
            .iter()
            .filter_map(|w| w.borrow().flush_deadline())
            .min()
    }

    /// After a batch or buffer: drain backpressure, honour pauses, flush if due.
    async fn after_work(&mut self, pause: Option<u64>) -> OpResult {
        self.after_work_unless(pause, None).await
    }

    /// [`after_work`](Self::after_work), except that waiting for output buffers stops
    /// as soon as `interrupt` (polled with the task's context, and at least every
    /// [`INTERRUPT_POLL`]) returns true: a priority barrier must not wait behind
    /// backpressure. The drain resumes at the next call; nothing is lost.
    // The writers are shared only with this task's own chain, which cannot run while
    // the task awaits, so holding their borrow across the await is sound.
    #[allow(clippy::await_holding_refcell_ref)]
    async fn after_work_unless(
        &mut self,
        pause: Option<u64>,
        mut interrupt: Option<&mut dyn FnMut(&mut std::task::Context<'_>) -> bool>,
    ) -> OpResult {
        for w in &self.writers {
            if !w.borrow().is_blocked() {
                continue;
            }
            // The writer is only borrowed by this task between awaits.
            let mut core = w.borrow_mut();
            match interrupt.as_mut() {
                None => unless_cancelled(&self.cancel, core.drain()).await??,
                Some(stop) => {
                    let mut drain = pin!(core.drain());
                    loop {
                        if self.cancel.is_cancelled() {
                            return Err(OperatorError::User("the job was cancelled".into()));
                        }
                        let mut tick = pin!(slot::sleep(INTERRUPT_POLL));
                        let step = std::future::poll_fn(|cx| {
                            if let Poll::Ready(r) = drain.as_mut().poll(cx) {
                                return Poll::Ready(Step::Drained(r));
                            }
                            if stop(cx) {
                                return Poll::Ready(Step::Interrupted);
                            }
                            tick.as_mut().poll(cx).map(|()| Step::Tick)
                        })
                        .await;
                        match step {
                            Step::Drained(r) => {
                                r?;
                                break;
                            }
                            Step::Interrupted => return Ok(()),
                            Step::Tick => {}
                        }
                    }
                }
            }
        }
        if let Some(until) = pause {
            let now = self.clock.now_nanos();
            if until > now {
                self.sleep_flushing(until).await?;
            }
        }
        let now = self.clock.now_nanos();
        self.timers_and_flushes(now)
    }

    /// Fires the processing-time timers due at `now`, then flushes the output buffers
    /// whose timeout has expired.
    fn timers_and_flushes(&mut self, now: u64) -> OpResult {
        self.timers.fire_due(now)?;
        if now >= self.next_state_sample {
            self.next_state_sample = now.saturating_add(STATE_SAMPLE_INTERVAL_NS);
            self.sample_state_size();
            if let Some(slot) = &self.published {
                slot.publish(&self.current_metrics(now));
            }
        }
        for w in &self.writers {
            w.borrow_mut().flush_if_due(now)?;
        }
        Ok(())
    }

    /// The task's metrics so far, with what its writers counted, as of `now`.
    fn current_metrics(&self, now: u64) -> TaskMetrics {
        let mut m = self.metrics.clone();
        m.total_nanos = now.saturating_sub(self.start);
        // numRecordsOut counts each record an operator emits once: writers fed by the same
        // operator output (a fan-out to several consumers) count it once between them.
        let mut per_output: Vec<((usize, Option<String>), u64)> = Vec::new();
        for (w, edge) in self.writers.iter().zip(&self.writer_edges) {
            let e = &self.job.edges[*edge];
            let key = (e.source_node, e.side_output.clone());
            let n = w.borrow().records_out;
            match per_output.iter_mut().find(|(k, _)| *k == key) {
                Some((_, max)) => *max = (*max).max(n),
                None => per_output.push((key, n)),
            }
        }
        m.records_out = per_output.iter().map(|(_, n)| n).sum();
        for w in &self.writers {
            let w = w.borrow();
            m.buffers_out += w.buffers_out;
            m.backpressured_nanos += w.backpressured_nanos;
            m.out_pool_usage = m.out_pool_usage.max(w.peak_pool_usage());
            m.out_pool_peak_buffers += w.pool().peak_in_use();
            m.out_pool_capacity += w.pool().capacity();
        }
        m.idle_nanos = m.idle_nanos.min(m.total_nanos);
        m
    }

    /// Measures the keyed state of the task's operators, keeping its peak.
    fn sample_state_size(&mut self) {
        let (keys, bytes) = self.state_sizes.total();
        (self.metrics.state_keys, self.metrics.state_bytes) = (keys, bytes);
        self.metrics.peak_state_bytes = self.metrics.peak_state_bytes.max(bytes);
        self.metrics.late_records_dropped = self.state_sizes.late_records_dropped();
    }

    /// The earliest instant the task must act without input: a flush or a timer.
    fn next_deadline(&self) -> Option<u64> {
        match (self.flush_deadline(), self.timers.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sleeps until `until`, firing timers and flushing output buffers whose timeout
    /// expires meanwhile.
    async fn sleep_flushing(&mut self, until: u64) -> OpResult {
        loop {
            let now = self.clock.now_nanos();
            if now >= until {
                return Ok(());
            }
            let wake = self.next_deadline().map_or(until, |d| d.min(until));
            slot::sleep(Duration::from_nanos(wake.saturating_sub(now))).await;
            let now = self.clock.now_nanos();
            self.timers_and_flushes(now)?;
        }
    }

    #[allow(clippy::await_holding_refcell_ref)] // see `after_work`
    async fn end_partitions(&mut self) -> OpResult {
        for w in &self.writers {
            let mut core = w.borrow_mut();
            core.flush_all()?;
            core.broadcast_event(&Event::EndOfPartition, true)?;
            if core.is_blocked() {
                unless_cancelled(&self.cancel, core.drain()).await??;
            }
        }
        Ok(())
    }

    /// The in-flight data of a restored unaligned checkpoint: the output logs are written
    /// now, ahead of anything the task emits; the input logs are returned for the input
    /// loop to read first.
    fn restore_in_flight(
        &mut self,
        d: &TaskDeployment,
    ) -> Result<Vec<(u32, ChannelLog)>, TaskError> {
        let Some(bytes) = d
            .restore
            .get(&self.head_uid)
            .and_then(|r| r.channels.as_ref())
        else {
            return Ok(Vec::new());
        };
        let state = ChannelState::decode(bytes)
            .map_err(|e| self.fail(OperatorError::User(e.to_string())))?;
        for (writer, ch, log) in &state.outputs {
            let Some(w) = self.writers.get(*writer as usize) else {
                return Err(self.fail(OperatorError::User(format!(
                    "restored in-flight data names output {writer}, but the task has {} outputs",
                    self.writers.len()
                ))));
            };
            w.borrow_mut()
                .write_restored(*ch as usize, log)
                .map_err(|e| self.fail(e))?;
        }
        Ok(state.inputs)
    }

    async fn run_source(&mut self, mut src: Box<dyn SourceDriver>) -> Result<(), TaskError> {
        let uid = self.head_uid.clone();
        loop {
            if self.cancel.is_cancelled() {
                return Err(TaskError::Cancelled(self.name.clone()));
            }
            if let Some(cp) = self.checkpoints.as_mut() {
                let mut chain = |c: &mut CheckpointCall<'_>| src.checkpoint(&uid, c);
                let mut result = Ok(());
                while let Some(barrier) = cp.next_source_barrier() {
                    result = cp.trigger(barrier, &self.writers, &mut chain, false);
                    if result.is_err() {
                        break;
                    }
                }
                result
                    .and_then(|()| cp.notify(&mut chain))
                    .map_err(|e| self.fail(e))?;
            }
            let status = src.run_batch(SOURCE_BATCH).map_err(|e| self.fail(e))?;
            self.metrics.records_in = src.records_emitted();
            self.on_records_taken()?;
            let pause = src.pause_until();
            match self.checkpoints.as_ref().and_then(|cp| cp.barrier_watch()) {
                // An unaligned barrier is injected even while the output waits for buffers.
                Some(watch) => {
                    let mut stop = |_: &mut std::task::Context<'_>| watch();
                    self.after_work_unless(pause, Some(&mut stop)).await
                }
                None => self.after_work(pause).await,
            }
            .map_err(|e| self.fail(e))?;
            match status {
                SourceStatus::More => slot::yield_if_needed().await,
                SourceStatus::IdleUntil(t) => {
                    let start = self.clock.now_nanos();
                    self.sleep_flushing(t).await.map_err(|e| self.fail(e))?;
                    self.metrics.idle_nanos += self.clock.now_nanos().saturating_sub(start);
                }
                SourceStatus::Finished => break,
            }
        }
        self.metrics.records_in = src.records_emitted();
        self.metrics.records_skipped = src.records_skipped();
        src.finish().map_err(|e| self.fail(e))?;
        self.sample_state_size();
        self.end_partitions().await.map_err(|e| self.fail(e))?;
        if let Some(mut cp) = self.checkpoints.take() {
            let mut chain = |c: &mut CheckpointCall<'_>| src.checkpoint(&uid, c);
            let result = cp.finish(&self.cancel, &mut chain).await;
            result.map_err(|e| self.fail(e))?;
        }
        Ok(())
    }
}

/// Builds and runs one subtask to its end; returns its metrics.
pub async fn run_task(mut d: TaskDeployment) -> Result<TaskMetrics, TaskError> {
    let vertex = &d.job.vertices[d.vertex];
    let name = format!("{} ({}/{})", vertex.name, d.subtask + 1, vertex.parallelism);
    let metrics = TaskMetrics {
        vertex: vertex.name.clone(),
        vertex_id: d.vertex,
        subtask: d.subtask,
        slot: d.slot,
        ..Default::default()
    };
    let start = d.clock.now_nanos();
    let input = d.input.take();
    let (head, writers, timers, state_sizes) = match build(&mut d) {
        Ok(x) => x,
        Err(source) => {
            d.cancel.cancel();
            return Err(TaskError::Operator { task: name, source });
        }
    };
    let (writer_edges, writers): (Vec<usize>, Vec<SharedWriter>) = writers.into_iter().unzip();
    let mut task = Task {
        name,
        writers,
        writer_edges,
        clock: d.clock.clone(),
        cancel: d.cancel.clone(),
        metrics,
        timers,
        state_sizes,
        next_state_sample: 0,
        job: d.job.clone(),
        start,
        published: d.published.take(),
        checkpoints: d
            .checkpointing
            .take()
            .map(|cfg| TaskCheckpoints::new(cfg, &d.job, d.vertex, d.subtask)),
        head_uid: d.job.stream.state_uid(d.job.vertices[d.vertex].nodes[0]),
        fail_after_records: d.fail_after_records,
        first_record: Some(d.first_record.clone()),
    };
    let result = match task.restore_in_flight(&d) {
        Err(e) => Err(e),
        Ok(inputs) => match (head, input) {
            (Head::Source(s), _) => task.run_source(s).await,
            (Head::Input(i), Some(gate)) => task.run_input(i, gate, inputs).await,
            (Head::Input(_), None) => {
                Err(task.fail(OperatorError::User("operator without an input gate".into())))
            }
        },
    };
    let result = match result {
        // A failure after the job was cancelled is a consequence of the cancellation (e.g.
        // a send into a consumer's closed gate), not a root cause.
        Err(e) if !matches!(e, TaskError::Cancelled(_)) && d.cancel.is_cancelled() => {
            Err(TaskError::Cancelled(task.name.clone()))
        }
        r => r,
    };
    if result.is_err() {
        d.cancel.cancel();
    }
    result?;
    let m = task.current_metrics(d.clock.now_nanos());
    if let Some(slot) = &task.published {
        slot.finish(&m);
    }
    Ok(m)
}
