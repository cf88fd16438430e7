//! Local exchanges: the hand-over of buffers (not copies) from producer subtasks to a
//! consumer's input gate, across slots. One bounded queue per input gate, fed by every
//! channel of the gate; order per channel is kept because each channel has one producer
//! that pushes in order. Capacity is the sum of the producers' pools, so a push never
//! blocks: backpressure comes from the producer's pool running dry.
//!
//! A buffer goes into the queue either finished ([`GateItem::Whole`]) or, when a flush
//! comes before it is full, open ([`GateItem::Open`]): the consumer then reads it while
//! the producer keeps filling it, and each later flush only publishes the new write
//! position and wakes the consumer if it waits ([`GateShared::notify`]), as Flink's
//! `PipelinedSubpartition` does. With `execution.buffer-timeout: 0` a record therefore
//! costs a release store, not a buffer hand-over.
//!
//! The barrier of an unaligned checkpoint is a *priority* item ([`GateItem::Barrier`]): it
//! goes in front of every buffer queued, behind earlier priority items only, and carries
//! how many items its channel had pushed before it, so that the consumer (which counts
//! what it took per channel) knows which buffers belong before it (and are persisted as
//! the checkpoint's in-flight data).

use std::collections::VecDeque;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::checkpoint::CheckpointBarrier;
use crate::memory::buffer::{Buffer, BufferConsumer};

/// Why a buffer could not be handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The consumer has gone (finished, failed or cancelled).
    #[error("input gate of '{0}' is closed")]
    Closed(String),
    /// The channel itself failed (e.g. a remote channel lost its connection); the text
    /// says what and where.
    #[error("{0}")]
    Failed(String),
}

/// Sends the buffers of one channel towards its consumer.
pub trait BufferSink: Send {
    /// Hands over a finished buffer; never blocks. A buffer whose consumer view went
    /// out through [`send_open`](Self::send_open) is only announced as complete.
    fn send(&mut self, buffer: Buffer) -> Result<(), ExchangeError>;

    /// Whether the consumer can read buffers still being filled (a local channel);
    /// if not, a flush sends the partly filled buffer finished.
    fn accepts_open(&self) -> bool {
        false
    }

    /// Hands over a view of a buffer still being filled (only if
    /// [`accepts_open`](Self::accepts_open)); never blocks.
    fn send_open(&mut self, consumer: BufferConsumer) -> Result<(), ExchangeError> {
        drop(consumer);
        Err(ExchangeError::Failed(
            "this channel takes only finished buffers".into(),
        ))
    }

    /// More of the open buffer was published: wake the consumer if it waits.
    fn notify(&mut self) {}

    /// Puts the barrier of an unaligned checkpoint in front of what the consumer has not
    /// read yet (everything sent before must have been sent finished); `Ok(false)` when
    /// the channel cannot, and the barrier goes in band instead.
    fn send_priority(&mut self, barrier: CheckpointBarrier) -> Result<bool, ExchangeError> {
        let _ = barrier;
        Ok(false)
    }
}

/// What a channel puts into a gate's queue.
pub enum GateItem {
    /// A finished buffer.
    Whole(Buffer),
    /// A buffer its producer is still filling; read up to what is published.
    Open(BufferConsumer),
    /// The barrier of an unaligned checkpoint, queued in front of the buffers.
    Barrier {
        /// The barrier.
        barrier: CheckpointBarrier,
        /// How many items its channel had pushed before it (it overtook those the consumer
        /// has not taken).
        sent_before: u64,
    },
}

struct GateQueue {
    items: VecDeque<(u32, GateItem)>,
    /// How many items at the front are priority barriers.
    priority: usize,
    /// Per channel, the items pushed so far (barriers not counted).
    pushed: Vec<u64>,
    waker: Option<Waker>,
    closed: bool,
    /// Why the gate was failed, if it was (see [`GateShared::fail`]).
    failure: Option<String>,
    peak: usize,
}

/// The shared queue of one input gate.
pub struct GateShared {
    name: String,
    capacity: usize,
    queue: Mutex<GateQueue>,
    /// Set (under the lock) when the consumer has registered its waker and found
    /// nothing to read; lets [`notify`](Self::notify) skip the lock otherwise.
    waiting: AtomicBool,
    /// Set (under the lock) while a priority barrier is queued: lets the consumer look for
    /// one before the bytes it holds without taking the lock.
    has_priority: AtomicBool,
}

impl GateShared {
    /// A gate queue for `name` holding at most `capacity` buffers.
    pub fn new(name: impl Into<String>, capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            capacity,
            queue: Mutex::new(GateQueue {
                items: VecDeque::with_capacity(capacity),
                priority: 0,
                pushed: Vec::new(),
                waker: None,
                closed: false,
                failure: None,
                peak: 0,
            }),
            waiting: AtomicBool::new(false),
            has_priority: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, GateQueue> {
        // A panic while holding this lock cannot leave the queue inconsistent (every
        // critical section is a push or pop), so a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Pushes a finished buffer of `channel`; fails when the gate is closed.
    pub fn push(&self, channel: u32, buffer: Buffer) -> Result<(), ExchangeError> {
        self.push_item(channel, GateItem::Whole(buffer))
    }

    /// Pushes a view of a buffer of `channel` still being filled; fails when the gate
    /// is closed.
    pub fn push_open(&self, channel: u32, consumer: BufferConsumer) -> Result<(), ExchangeError> {
        self.push_item(channel, GateItem::Open(consumer))
    }

    /// Pushes the barrier of an unaligned checkpoint of `channel` in front of every
    /// queued buffer (behind earlier priority barriers); fails when the gate is closed.
    /// Never limited by the capacity: a barrier holds no buffer.
    pub fn push_priority(
        &self,
        channel: u32,
        barrier: CheckpointBarrier,
    ) -> Result<(), ExchangeError> {
        let waker = {
            let mut q = self.lock();
            if q.closed {
                return Err(ExchangeError::Closed(self.name.clone()));
            }
            let sent_before = q.pushed.get(channel as usize).copied().unwrap_or(0);
            let at = q.priority;
            q.items.insert(
                at,
                (
                    channel,
                    GateItem::Barrier {
                        barrier,
                        sent_before,
                    },
                ),
            );
            q.priority += 1;
            self.has_priority.store(true, Ordering::Release);
            self.waiting.store(false, Ordering::Relaxed);
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Wakes the consumer if it waits: the producer of an open buffer has published
    /// more bytes (with a release store, before this call).
    pub fn notify(&self) {
        // Pairs with the fence in `GateReader::poll_ready`: either this load sees
        // `waiting`, or the consumer's re-check after its fence sees the new mark.
        fence(Ordering::SeqCst);
        if self.waiting.load(Ordering::Relaxed) {
            let waker = {
                let mut q = self.lock();
                self.waiting.store(false, Ordering::Relaxed);
                q.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    fn push_item(&self, channel: u32, item: GateItem) -> Result<(), ExchangeError> {
        let waker = {
            let mut q = self.lock();
            if q.closed {
                return Err(ExchangeError::Closed(self.name.clone()));
            }
            debug_assert!(
                q.items.len() - q.priority < self.capacity.max(1),
                "gate queue over its capacity"
            );
            q.items.push_back((channel, item));
            let ch = channel as usize;
            if q.pushed.len() <= ch {
                q.pushed.resize(ch + 1, 0);
            }
            q.pushed[ch] += 1;
            q.peak = q.peak.max(q.items.len());
            self.waiting.store(false, Ordering::Relaxed);
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// The next item, or `Ready(None)` once closed. When there is none, the task of
    /// `cx` is woken by the next push, close or [`notify`](Self::notify).
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<(u32, GateItem)>> {
        let mut q = self.lock();
        if let Some(item) = q.items.pop_front() {
            q.priority = q.priority.saturating_sub(1);
            self.has_priority.store(q.priority > 0, Ordering::Release);
            return Poll::Ready(Some(item));
        }
        if q.closed {
            return Poll::Ready(None);
        }
        match &q.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => q.waker = Some(cx.waker().clone()),
        }
        self.waiting.store(true, Ordering::Relaxed);
        Poll::Pending
    }

    /// The priority barrier at the front of the queue, if there is one; otherwise the task
    /// of `cx` is woken by the next push (of any item). For a consumer that cannot take
    /// buffers now (its output waits for buffers) but must see barriers that overtake.
    pub fn poll_priority(&self, cx: &mut Context<'_>) -> Poll<(u32, CheckpointBarrier, u64)> {
        let mut q = self.lock();
        if q.priority > 0 {
            if let Some((
                ch,
                GateItem::Barrier {
                    barrier,
                    sent_before,
                },
            )) = q.items.pop_front()
            {
                q.priority -= 1;
                self.has_priority.store(q.priority > 0, Ordering::Release);
                return Poll::Ready((ch, barrier, sent_before));
            }
            debug_assert!(false, "the priority count names a buffer");
        }
        match &q.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => q.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Takes the first `n` queued buffers of `channel` out of the queue, in order (the
    /// ones a priority barrier overtook, which the consumer reads ahead).
    pub fn take_channel_items(&self, channel: u32, n: usize) -> Vec<GateItem> {
        let mut q = self.lock();
        let mut taken = Vec::with_capacity(n);
        let mut i = q.priority;
        while taken.len() < n && i < q.items.len() {
            if q.items[i].0 == channel {
                if let Some((_, item)) = q.items.remove(i) {
                    taken.push(item);
                }
            } else {
                i += 1;
            }
        }
        taken
    }

    /// Whether a priority barrier may be queued (a cheap check before taking the lock).
    pub fn has_priority(&self) -> bool {
        self.has_priority.load(Ordering::Acquire)
    }

    /// The consumer found data after all (in an open buffer): a `notify` need not
    /// take the lock to wake it.
    pub(crate) fn stop_waiting(&self) {
        self.waiting.store(false, Ordering::Relaxed);
    }

    /// Closes the gate: queued buffers are recycled, later pushes fail, a waiting
    /// consumer wakes up.
    pub fn close(&self) {
        let (drained, waker) = {
            let mut q = self.lock();
            q.closed = true;
            q.priority = 0;
            self.has_priority.store(false, Ordering::Release);
            (std::mem::take(&mut q.items), q.waker.take())
        };
        drop(drained);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Fails the gate: like [`close`](Self::close), and the consumer learns `reason`
    /// through [`failure`](Self::failure) (the first reason wins). A remote channel uses it
    /// when its connection breaks, so that the job fails with what went wrong.
    pub fn fail(&self, reason: impl Into<String>) {
        {
            let mut q = self.lock();
            if q.failure.is_none() {
                q.failure = Some(reason.into());
            }
        }
        self.close();
    }

    /// Why the gate was failed, if it was.
    pub fn failure(&self) -> Option<String> {
        self.lock().failure.clone()
    }

    /// Whether the gate is closed (its consumer finished, failed or was cancelled).
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// The gate's name: the consuming subtask.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Buffers queued now.
    pub fn queued(&self) -> usize {
        self.lock().items.len()
    }

    /// The most buffers ever queued, over the capacity (Flink's inPoolUsage, at peak).
    pub fn peak_usage(&self) -> f32 {
        let peak = self.lock().peak;
        if self.capacity == 0 {
            0.0
        } else {
            peak as f32 / self.capacity as f32
        }
    }
}

/// The producer end of one local channel.
pub struct LocalChannelSender {
    gate: Arc<GateShared>,
    channel: u32,
}

impl LocalChannelSender {
    /// The sender of input channel `channel` of `gate`.
    pub fn new(gate: Arc<GateShared>, channel: u32) -> Self {
        Self { gate, channel }
    }
}

impl BufferSink for LocalChannelSender {
    fn send(&mut self, buffer: Buffer) -> Result<(), ExchangeError> {
        if buffer.is_shared() {
            // The consumer holds this buffer's view already; finishing it published
            // the last bytes.
            drop(buffer);
            self.gate.notify();
            return Ok(());
        }
        self.gate.push(self.channel, buffer)
    }

    fn accepts_open(&self) -> bool {
        true
    }

    fn send_open(&mut self, consumer: BufferConsumer) -> Result<(), ExchangeError> {
        self.gate.push_open(self.channel, consumer)
    }

    fn notify(&mut self) {
        self.gate.notify();
    }

    fn send_priority(&mut self, barrier: CheckpointBarrier) -> Result<bool, ExchangeError> {
        self.gate.push_priority(self.channel, barrier)?;
        Ok(true)
    }
}

/// Closes every gate of a job at once: how a failure cancels the other tasks.
#[derive(Clone, Default)]
pub struct CancelHandle {
    gates: Arc<Mutex<Vec<Arc<GateShared>>>>,
    cancelled: Arc<std::sync::atomic::AtomicBool>,
    /// When the job was first cancelled (a failing task cancels it at once).
    cancelled_at: Arc<Mutex<Option<std::time::Instant>>>,
}

impl CancelHandle {
    /// When the job was first cancelled since the last [`reset`](Self::reset).
    pub fn cancelled_at(&self) -> Option<std::time::Instant> {
        *self.cancelled_at.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Registers a gate to close on cancellation.
    pub fn register(&self, gate: Arc<GateShared>) {
        self.gates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(gate);
    }
    /// Cancels the job: every gate closes.
    pub fn cancel(&self) {
        self.cancelled_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(std::time::Instant::now);
        self.cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let gates = self.gates.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for g in gates {
            g.close();
        }
    }
    /// Forgets the gates and the cancellation of a run that ended, for the next attempt
    /// of a restarting job.
    pub fn reset(&self) {
        self.gates.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.cancelled_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.cancelled
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }
    /// Whether the job was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::test_util::{net_pool, CountingWaker};

    #[test]
    fn failing_a_gate_closes_it_and_keeps_the_first_reason() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 2).unwrap();
        let gate = GateShared::new("Map (1/1)", 2);
        assert_eq!(gate.name(), "Map (1/1)");
        gate.push(0, pool.try_request().unwrap().finish()).unwrap();
        let waker = CountingWaker::new().waker();
        let mut cx = Context::from_waker(&waker);
        assert!(!gate.is_closed() && gate.failure().is_none());
        gate.fail("connection reset");
        gate.fail("later");
        assert!(gate.is_closed());
        assert_eq!(gate.failure().as_deref(), Some("connection reset"));
        assert_eq!(pool.in_use(), 0, "queued buffers were recycled");
        assert!(matches!(gate.poll_next(&mut cx), Poll::Ready(None)));
        let b = pool.try_request().unwrap().finish();
        assert!(gate.push(0, b).is_err());
        // Plain close records no failure.
        let other = GateShared::new("Sink (1/1)", 1);
        other.close();
        assert!(other.is_closed() && other.failure().is_none());
    }
}
