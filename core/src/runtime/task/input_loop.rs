//! The loop of a subtask driven by its input gate: buffers read channel by channel,
//! frames decoded into the chain's head, watermarks combined per input, barriers handed
//! to the checkpoint barrier handler, until every channel has ended.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use super::{InputDeployment, Task, TaskError, MAX_RECORD_SIZE, RECHECK};
use crate::checkpoint::{Action as BarrierAction, CheckpointBarrierHandler};
use crate::framing::event::Event;
use crate::framing::reader::{Frame, FrameReader};
use crate::operator::{CheckpointCall, OpResult};
use crate::runtime::gate_reader::GateReader;
use crate::runtime::input::{ErasedInput, Lookahead};
use crate::runtime::slot;
use crate::time::{InputValves, ValveOutput};

impl Task {
    pub(super) async fn run_input(
        &mut self,
        mut input: Box<dyn ErasedInput>,
        gate: InputDeployment,
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
        while live > 0 {
            let deadline = self.next_deadline();
            let start = self.clock.now_nanos();
            // Bytes already waiting are taken without setting up a timer.
            let ready = std::future::poll_fn(|cx| Poll::Ready(gate_reader.poll_ready(cx))).await;
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
            let ch = match next {
                None => {
                    // A deadline (or RECHECK) passed: timers, flushes, and backpressure
                    // from what the timers wrote.
                    self.after_work(None).await.map_err(|e| self.fail(e))?;
                    continue;
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
                Some(Some(ch)) => ch,
            };
            let Some(view) = gate_reader.bytes(ch) else {
                continue;
            };
            let (bytes, pos, foreign) = (view.bytes, view.pos, view.foreign);
            let input_no = valves.input_of(ch);
            let look = prefetches && !foreign && !readers[ch].is_mid_record();
            let mut ahead = Lookahead::start(look, bytes, *pos, input_no, input.as_mut());
            loop {
                let frame = readers[ch]
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
                        if look {
                            ahead.step(bytes, input_no, input.as_mut());
                        }
                        input
                            .record(input_no, payload, foreign)
                            .map_err(|e| self.fail(e))?;
                    }
                    Some(Frame::Event(Event::Watermark(w))) => valves
                        .on_watermark(ch, w, |o| pass_on(o, input.as_mut()))
                        .map_err(|e| self.fail(e))?,
                    Some(Frame::Event(Event::WatermarkStatus(status))) => valves
                        .on_status(ch, status, |o| pass_on(o, input.as_mut()))
                        .map_err(|e| self.fail(e))?,
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
            for action in actions.drain(..) {
                match action {
                    BarrierAction::Block(c) => gate_reader.block(c),
                    BarrierAction::Unblock(c) => gate_reader.unblock(c),
                    BarrierAction::TriggerCheckpoint(barrier) => {
                        if let Some(cp) = self.checkpoints.as_mut() {
                            let mut chain = |c: &mut CheckpointCall<'_>| input.checkpoint(c);
                            cp.trigger(barrier, &self.writers, &mut chain)
                                .map_err(|e| self.fail(e))?;
                        }
                    }
                    // Unaligned checkpoints are refused before a job starts.
                    BarrierAction::PersistInFlight { .. }
                    | BarrierAction::StopPersisting { .. }
                    | BarrierAction::Complete(_)
                    | BarrierAction::Abort { .. } => {}
                }
            }
            if let Some(cp) = self.checkpoints.as_mut() {
                let mut chain = |c: &mut CheckpointCall<'_>| input.checkpoint(c);
                cp.notify(&mut chain).map_err(|e| self.fail(e))?;
            }
            self.on_records_taken()?;
            self.after_work(input.pause_until())
                .await
                .map_err(|e| self.fail(e))?;
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
