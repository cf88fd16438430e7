//! The loop of a subtask driven by its input gate: buffers read channel by channel,
//! frames decoded into the chain's head, watermarks combined per input, barriers handed
//! to the checkpoint barrier handler, until every channel has ended.
//!
//! For an unaligned checkpoint the loop also records the input in-flight data: what the
//! channels without the barrier deliver until it comes, and what a priority barrier
//! overtook; and on restore it reads the recorded data of each channel first.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use super::{InputDeployment, Task, TaskError, MAX_RECORD_SIZE, RECHECK};
use crate::checkpoint::channel_state::{ChannelLog, InFlightEntry};
use crate::checkpoint::{Action as BarrierAction, CheckpointBarrierHandler};
use crate::framing::event::Event;
use crate::framing::reader::{Frame, FrameReader};
use crate::operator::{CheckpointCall, OpResult};
use crate::runtime::gate_reader::{GateReader, Next};
use crate::runtime::input::{ErasedInput, Lookahead};
use crate::runtime::slot;
use crate::time::{InputValves, ValveOutput};

impl Task {
    pub(super) async fn run_input(
        &mut self,
        mut input: Box<dyn ErasedInput>,
        gate: InputDeployment,
        restored: Vec<(u32, ChannelLog)>,
    ) -> Result<(), TaskError> {
        let mut readers: Vec<FrameReader> = (0..gate.channels)
            .map(|_| FrameReader::new(MAX_RECORD_SIZE))
            .collect();
        // One valve per operator input over its channels, and one over the inputs (Flink
        // combines a two-input operator's watermark as the minimum of its inputs').
        let mut valves = InputValves::new(&gate.channel_inputs);
        let mut ended = vec![false; gate.channels];
        let mut live = gate.channels;
        let mut gate_reader = GateReader::new(gate.gate.clone(), gate.channels);
        let prefetches = input.prefetches();
        let mut barriers = self
            .checkpoints
            .as_ref()
            .map(|cp| CheckpointBarrierHandler::new(cp.handler_config(), gate.channels));
        // What the barrier handler asked for while a buffer was being read, carried out
        // once the read stops (right after the barrier).
        let mut actions: Vec<BarrierAction> = Vec::new();
        let mut in_flight = InFlightRecorder::new(gate.channels);
        // A priority barrier is looked for while the output waits for buffers only if
        // checkpoints may be unaligned.
        let overtaking = barriers.is_some()
            && self
                .checkpoints
                .as_ref()
                .is_some_and(|cp| cp.handler_config().unaligned_enabled);
        // A priority barrier seen while the output waited for buffers.
        let mut early: Option<Next> = None;
        self.replay_in_flight(restored, gate.channels, &mut valves, input.as_mut())?;
        while live > 0 {
            let deadline = self.next_deadline();
            let start = self.clock.now_nanos();
            // Bytes already waiting are taken without setting up a timer.
            let ready = match early.take() {
                Some(next) => Poll::Ready(Some(next)),
                None => std::future::poll_fn(|cx| Poll::Ready(gate_reader.poll_ready(cx))).await,
            };
            let next = match ready {
                Poll::Ready(x) => Some(x),
                Poll::Pending => {
                    // Wait for a buffer, the flush deadline, or RECHECK at the latest: the
                    // gate is polled again then even without a wake-up (see RECHECK).
                    let wait = deadline
                        .map_or(RECHECK, |d| Duration::from_nanos(d.saturating_sub(start)))
                        .min(RECHECK);
                    let mut timer = pin!(slot::sleep(wait));
                    std::future::poll_fn(|cx| match gate_reader.poll_ready(cx) {
                        Poll::Ready(x) => Poll::Ready(Some(x)),
                        Poll::Pending => timer.as_mut().poll(cx).map(|_| None),
                    })
                    .await
                }
            };
            self.metrics.idle_nanos += self.clock.now_nanos().saturating_sub(start);
            let mut overtook = None;
            let ch = match next {
                None => {
                    // A deadline (or RECHECK) passed: timers, flushes, and backpressure
                    // from what the timers wrote.
                    self.after_work(None).await.map_err(|e| self.fail(e))?;
                    continue;
                }
                Some(Some(Next::Barrier {
                    channel,
                    barrier,
                    queued,
                })) => {
                    if let Some(h) = barriers.as_mut() {
                        let now = self.clock.epoch_millis();
                        actions.extend(
                            h.on_barrier(channel, barrier, now)
                                .map_err(|e| self.barrier_error(channel, e))?,
                        );
                    }
                    overtook = Some((channel, barrier.id, queued));
                    None
                }
                Some(None) => {
                    return Err(match gate.gate.failure() {
                        Some(reason) => TaskError::Input {
                            task: self.name.clone(),
                            reason,
                        },
                        None => TaskError::Cancelled(self.name.clone()),
                    })
                }
                Some(Some(Next::Channel(ch))) => Some(ch),
            };
            if let Some(ch) = ch {
                let recording = in_flight.is_recording(ch);
                let Some(view) = gate_reader.bytes(ch) else {
                    continue;
                };
                let (bytes, pos, foreign) = (view.bytes, view.pos, view.foreign);
                let input_no = valves.input_of(ch);
                let look = prefetches && !foreign && !readers[ch].is_mid_record();
                let mut ahead = Lookahead::start(look, bytes, *pos, input_no, input.as_mut());
                loop {
                    let frame =
                        readers[ch]
                            .next_frame(bytes, pos)
                            .map_err(|e| TaskError::Corrupt {
                                task: self.name.clone(),
                                channel: ch,
                                reason: e.to_string(),
                            })?;
                    match frame {
                        None => break,
                        Some(Frame::Record(payload)) => {
                            self.metrics.records_in += 1;
                            if recording {
                                in_flight.record(ch, InFlightEntry::Record(payload.to_vec()));
                            }
                            if look {
                                ahead.step(bytes, input_no, input.as_mut());
                            }
                            input
                                .record(input_no, payload, foreign)
                                .map_err(|e| self.fail(e))?;
                        }
                        Some(Frame::Event(Event::Watermark(w))) => {
                            if recording {
                                in_flight.record(ch, InFlightEntry::Watermark(w));
                            }
                            valves
                                .on_watermark(ch, w, |o| pass_on(o, input.as_mut()))
                                .map_err(|e| self.fail(e))?
                        }
                        Some(Frame::Event(Event::WatermarkStatus(status))) => {
                            if recording {
                                in_flight.record(ch, InFlightEntry::Status(status));
                            }
                            valves
                                .on_status(ch, status, |o| pass_on(o, input.as_mut()))
                                .map_err(|e| self.fail(e))?
                        }
                        Some(Frame::Event(Event::EndOfPartition)) => {
                            if !ended[ch] {
                                ended[ch] = true;
                                live -= 1;
                                valves
                                    .on_end(ch, |o| pass_on(o, input.as_mut()))
                                    .map_err(|e| self.fail(e))?;
                                if let Some(h) = barriers.as_mut() {
                                    actions.extend(
                                        h.on_end_of_partition(ch)
                                            .map_err(|e| self.barrier_error(ch, e))?,
                                    );
                                }
                            }
                        }
                        Some(Frame::Event(Event::CheckpointBarrier(barrier))) => {
                            if let Some(h) = barriers.as_mut() {
                                let now = self.clock.epoch_millis();
                                actions.extend(
                                    h.on_barrier(ch, barrier, now)
                                        .map_err(|e| self.barrier_error(ch, e))?,
                                );
                                // Nothing after a barrier is read before its actions.
                                break;
                            }
                        }
                        Some(Frame::Event(_)) => {}
                    }
                }
                gate_reader.consumed(ch);
            }
            if let Some(h) = barriers.as_mut() {
                // An aligned checkpoint past its alignment timeout turns unaligned.
                let now = self.clock.epoch_millis();
                if h.next_deadline_ms().is_some_and(|d| now >= d) {
                    actions.extend(h.on_tick(now));
                }
            }
            for action in actions.drain(..) {
                match action {
                    BarrierAction::Block(c) => gate_reader.block(c),
                    BarrierAction::Unblock(c) => gate_reader.unblock(c),
                    BarrierAction::TriggerCheckpoint(barrier) => {
                        if let Some(cp) = self.checkpoints.as_mut() {
                            let mut chain = |c: &mut CheckpointCall<'_>| input.checkpoint(c);
                            cp.trigger(barrier, &self.writers, &mut chain, true)
                                .map_err(|e| self.fail(e))?;
                            if barrier.options.is_unaligned() {
                                in_flight.start(barrier.id);
                            }
                        }
                    }
                    BarrierAction::PersistInFlight { channel, .. } => {
                        in_flight.set_recording(channel, true)
                    }
                    BarrierAction::StopPersisting { channel, .. } => {
                        in_flight.set_recording(channel, false)
                    }
                    BarrierAction::Complete(id) => in_flight.barriers_in(id),
                    BarrierAction::Abort { id, .. } => {
                        in_flight.abort(id);
                        if let Some(cp) = self.checkpoints.as_mut() {
                            cp.aborted(id);
                        }
                    }
                }
            }
            // What a priority barrier overtook is copied now as in-flight data of its
            // checkpoint (and read as usual afterwards), decoded by a copy of the channel's
            // frame reader, which may hold the start of a record.
            if let Some((channel, id, queued)) = overtook {
                if in_flight.checkpoint() == Some(id) {
                    let mut frames = readers[channel].clone();
                    for (bytes, start) in gate_reader.overtaken(channel, queued) {
                        let mut pos = start;
                        loop {
                            let frame = frames.next_frame(bytes, &mut pos).map_err(|e| {
                                TaskError::Corrupt {
                                    task: self.name.clone(),
                                    channel,
                                    reason: e.to_string(),
                                }
                            })?;
                            let entry = match frame {
                                None => break,
                                Some(Frame::Record(r)) => InFlightEntry::Record(r.to_vec()),
                                Some(Frame::Event(Event::Watermark(w))) => {
                                    InFlightEntry::Watermark(w)
                                }
                                Some(Frame::Event(Event::WatermarkStatus(s))) => {
                                    InFlightEntry::Status(s)
                                }
                                Some(Frame::Event(_)) => continue,
                            };
                            in_flight.record(channel, entry);
                        }
                    }
                }
            }
            if let Some((id, inputs)) = in_flight.take_complete() {
                if let Some(cp) = self.checkpoints.as_mut() {
                    cp.input_in_flight(id, inputs);
                }
            }
            if let Some(cp) = self.checkpoints.as_mut() {
                let mut chain = |c: &mut CheckpointCall<'_>| input.checkpoint(c);
                cp.notify(&mut chain).map_err(|e| self.fail(e))?;
            }
            self.on_records_taken()?;
            let pause = input.pause_until();
            if overtaking {
                // While the output waits for buffers, a priority barrier still gets through.
                let mut poll = |cx: &mut std::task::Context<'_>| match gate_reader.poll_priority(cx)
                {
                    Poll::Ready(next) => {
                        early = Some(next);
                        true
                    }
                    Poll::Pending => false,
                };
                self.after_work_unless(pause, Some(&mut poll))
                    .await
                    .map_err(|e| self.fail(e))?;
            } else {
                self.after_work(pause).await.map_err(|e| self.fail(e))?;
            }
        }
        input.finish().map_err(|e| self.fail(e))?;
        // Before the chain (and the operators holding keyed state) is dropped.
        self.sample_state_size();
        self.end_partitions().await.map_err(|e| self.fail(e))?;
        if let Some(mut cp) = self.checkpoints.take() {
            let mut chain = |c: &mut CheckpointCall<'_>| input.checkpoint(c);
            let result = cp.finish(&self.cancel, &mut chain).await;
            result.map_err(|e| self.fail(e))?;
        }
        gate.gate.close();
        Ok(())
    }

    /// Reads the input in-flight data of a restored unaligned checkpoint, channel by
    /// channel, before anything from the gate.
    fn replay_in_flight(
        &mut self,
        restored: Vec<(u32, ChannelLog)>,
        channels: usize,
        valves: &mut InputValves,
        input: &mut dyn ErasedInput,
    ) -> Result<(), TaskError> {
        let mut aligned = rkyv::util::AlignedVec::<16>::new();
        for (ch, log) in restored {
            let ch = ch as usize;
            if ch >= channels {
                return Err(TaskError::Corrupt {
                    task: self.name.clone(),
                    channel: ch,
                    reason: format!(
                        "restored in-flight data names input channel {ch}, but the gate has \
                         {channels}"
                    ),
                });
            }
            let input_no = valves.input_of(ch);
            for entry in log {
                match entry {
                    InFlightEntry::Record(payload) => {
                        self.metrics.records_in += 1;
                        aligned.clear();
                        aligned.extend_from_slice(&payload);
                        input
                            .record(input_no, &aligned, true)
                            .map_err(|e| self.fail(e))?;
                    }
                    InFlightEntry::Watermark(w) => valves
                        .on_watermark(ch, w, |o| pass_on(o, input))
                        .map_err(|e| self.fail(e))?,
                    InFlightEntry::Status(s) => valves
                        .on_status(ch, s, |o| pass_on(o, input))
                        .map_err(|e| self.fail(e))?,
                }
            }
        }
        Ok(())
    }

    /// A barrier that breaks the protocol on channel `ch`.
    fn barrier_error(&self, ch: usize, e: crate::checkpoint::BarrierError) -> TaskError {
        TaskError::Corrupt {
            task: self.name.clone(),
            channel: ch,
            reason: e.to_string(),
        }
    }
}

/// Forwards a watermark or status the input valves emitted to the chain head.
fn pass_on(out: ValveOutput, head: &mut dyn ErasedInput) -> OpResult {
    match out {
        ValveOutput::Watermark(w) => head.watermark(w),
        ValveOutput::Status(s) => head.watermark_status(s),
    }
}

/// The input in-flight data of the unaligned checkpoint in progress at this task.
struct InFlightRecorder {
    /// The checkpoint, from its snapshot until its data is complete or it is aborted.
    checkpoint: Option<u64>,
    /// Every barrier of it arrived (or its channel ended).
    barriers_in: bool,
    /// Per channel: recording until its barrier arrives.
    recording: Vec<bool>,
    /// Per channel: what was recorded.
    logs: Vec<ChannelLog>,
}

impl InFlightRecorder {
    fn new(channels: usize) -> Self {
        Self {
            checkpoint: None,
            barriers_in: false,
            recording: vec![false; channels],
            logs: vec![Vec::new(); channels],
        }
    }

    /// The task took the snapshot of unaligned checkpoint `id`.
    fn start(&mut self, id: u64) {
        self.checkpoint = Some(id);
        self.barriers_in = false;
        self.logs.iter_mut().for_each(Vec::clear);
    }

    fn checkpoint(&self) -> Option<u64> {
        self.checkpoint
    }

    fn is_recording(&self, ch: usize) -> bool {
        self.recording.get(ch).copied().unwrap_or(false)
    }

    fn set_recording(&mut self, ch: usize, on: bool) {
        if let Some(r) = self.recording.get_mut(ch) {
            *r = on;
        }
    }

    fn record(&mut self, ch: usize, entry: InFlightEntry) {
        if let Some(log) = self.logs.get_mut(ch) {
            log.push(entry);
        }
    }

    fn barriers_in(&mut self, id: u64) {
        if self.checkpoint == Some(id) {
            self.barriers_in = true;
        }
    }

    /// Checkpoint `id` was abandoned: the one being recorded goes with it if not newer.
    fn abort(&mut self, id: u64) {
        if self.checkpoint.is_some_and(|c| c <= id) {
            self.checkpoint = None;
            self.recording.fill(false);
            self.logs.iter_mut().for_each(Vec::clear);
        }
    }

    /// The checkpoint and its logs, once every barrier is in and nothing is still being
    /// recorded.
    fn take_complete(&mut self) -> Option<(u64, Vec<(u32, ChannelLog)>)> {
        let id = self.checkpoint?;
        if !self.barriers_in || self.recording.iter().any(|&r| r) {
            return None;
        }
        self.checkpoint = None;
        let logs = self
            .logs
            .iter_mut()
            .enumerate()
            .filter(|(_, log)| !log.is_empty())
            .map(|(ch, log)| (ch as u32, std::mem::take(log)))
            .collect();
        Some((id, logs))
    }
}
