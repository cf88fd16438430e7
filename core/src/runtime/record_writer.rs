//! The output side of a task: a result partition with one subpartition per consumer
//! channel. Records are archived once and framed into the current buffer of the
//! channel(s) the partitioner picks. A full buffer leaves finished; a flush (after every
//! record at timeout 0, when the buffer timeout expires, or after a flushing event)
//! hands a partly filled buffer to a local consumer *open* once and afterwards only
//! publishes how far it is filled, so the producer keeps filling the same buffer (a
//! remote channel gets the partly filled buffer finished instead).
//!
//! Operators call outputs synchronously, so a writer never waits inside `collect`: when
//! its pool is empty it keeps the frame in a small per-channel backlog and marks itself
//! blocked; the task then awaits [`WriterCore::drain`] before it reads more input. The
//! backlog therefore holds at most what one input buffer (or source batch) produces.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use crate::checkpoint::channel_state::{ChannelLog, InFlightEntry};
use crate::checkpoint::CheckpointBarrier;
use crate::config::BufferTimeout;
use crate::framing::event::Event;
use crate::framing::writer::{write_event, write_record, WriteOutcome};
use crate::memory::buffer::BufferBuilder;
use crate::memory::local_pool::LocalBufferPool;
use crate::operator::{OpResult, OperatorError, Output};
use crate::partitioner::{ChannelSelector, Selection};
use crate::record::{Data, Record, RecordSerializer};
use crate::runtime::clock::SharedClock;
use crate::runtime::exchange::BufferSink;
use crate::runtime::flush::{AfterRecord, FlushPolicy};
use crate::time::WatermarkStatus;

enum Pending {
    Record { bytes: Vec<u8>, progress: usize },
    Event { event: Event, flush: bool },
}

struct Subpartition {
    builder: Option<BufferBuilder>,
    sink: Box<dyn BufferSink>,
    backlog: VecDeque<Pending>,
}

/// The untyped part of a record writer: buffers, channels, flushing and counters.
pub struct WriterCore {
    pool: LocalBufferPool,
    subpartitions: Vec<Subpartition>,
    flush: FlushPolicy,
    clock: SharedClock,
    blocked: bool,
    /// Records written (Flink's numRecordsOut).
    pub records_out: u64,
    /// Buffers sent (Flink's numBuffersOut).
    pub buffers_out: u64,
    /// Nanoseconds spent waiting for a free buffer (backpressure).
    pub backpressured_nanos: u64,
}

fn exchange_err(e: crate::runtime::exchange::ExchangeError) -> OperatorError {
    OperatorError::User(e.to_string())
}

impl WriterCore {
    /// A writer over `sinks` (one per subpartition) drawing buffers from `pool`.
    pub fn new(
        pool: LocalBufferPool,
        sinks: Vec<Box<dyn BufferSink>>,
        timeout: BufferTimeout,
        clock: SharedClock,
    ) -> Self {
        let subpartitions = sinks
            .into_iter()
            .map(|sink| Subpartition {
                builder: None,
                sink,
                backlog: VecDeque::new(),
            })
            .collect();
        Self {
            pool,
            subpartitions,
            flush: FlushPolicy::new(timeout),
            clock,
            blocked: false,
            records_out: 0,
            buffers_out: 0,
            backpressured_nanos: 0,
        }
    }

    /// Number of subpartitions (consumer channels).
    pub fn channels(&self) -> usize {
        self.subpartitions.len()
    }

    /// Whether a backlog waits for buffers: the task must [`drain`](Self::drain) first.
    pub fn is_blocked(&self) -> bool {
        self.blocked
    }

    /// The instant a flush is due, if data is pending.
    pub fn flush_deadline(&self) -> Option<u64> {
        self.flush.deadline()
    }

    /// Peak share of the pool in use (Flink's outPoolUsage, at peak).
    pub fn peak_pool_usage(&self) -> f32 {
        if self.pool.capacity() == 0 {
            0.0
        } else {
            self.pool.peak_in_use() as f32 / self.pool.capacity() as f32
        }
    }

    /// The pool this writer draws its buffers from.
    pub fn pool(&self) -> &LocalBufferPool {
        &self.pool
    }

    /// Sends channel `ch`'s buffer finished (it is full, or the next frame does not
    /// fit); an empty, unshared one is simply recycled.
    fn finish_channel(&mut self, ch: usize) -> OpResult {
        let sub = &mut self.subpartitions[ch];
        if let Some(b) = sub.builder.take() {
            if b.is_empty() {
                return Ok(());
            }
            if !b.is_shared() {
                self.buffers_out += 1;
            }
            sub.sink.send(b.finish()).map_err(exchange_err)?;
        }
        Ok(())
    }

    /// Makes everything written to channel `ch` visible to its consumer: the first
    /// time, by handing over the buffer open, later by publishing its fill mark; to a
    /// channel that takes only finished buffers, by finishing it.
    fn flush_channel(&mut self, ch: usize) -> OpResult {
        let sub = &mut self.subpartitions[ch];
        if !sub.sink.accepts_open() {
            return self.finish_channel(ch);
        }
        let Some(b) = sub.builder.take() else {
            return Ok(());
        };
        if b.unpublished() == 0 {
            // Nothing new (an empty unshared builder is dropped: recycled).
            if b.is_shared() {
                sub.builder = Some(b);
            }
            return Ok(());
        }
        let (b, consumer) = b.share();
        sub.builder = Some(b);
        match consumer {
            Some(c) => {
                self.buffers_out += 1;
                sub.sink.send_open(c).map_err(exchange_err)?;
            }
            None => sub.sink.notify(),
        }
        Ok(())
    }

    /// Writes one record payload to channel `ch`.
    pub fn write_record(&mut self, ch: usize, payload: &[u8]) -> OpResult {
        if !self.subpartitions[ch].backlog.is_empty() {
            self.subpartitions[ch].backlog.push_back(Pending::Record {
                bytes: payload.to_vec(),
                progress: 0,
            });
            return Ok(());
        }
        let mut progress = 0;
        loop {
            let sub = &mut self.subpartitions[ch];
            let builder = match &mut sub.builder {
                Some(b) => b,
                None => match self.pool.try_request() {
                    Some(b) => sub.builder.insert(b),
                    None => {
                        sub.backlog.push_back(Pending::Record {
                            bytes: payload[..].to_vec(),
                            progress,
                        });
                        self.blocked = true;
                        return Ok(());
                    }
                },
            };
            let first = builder.unpublished() == 0;
            match write_record(builder, payload, &mut progress) {
                WriteOutcome::Done => {
                    let clock = &self.clock;
                    if self.flush.after_record(first, || clock.now_nanos()) == AfterRecord::FlushNow
                    {
                        self.flush_channel(ch)?;
                    }
                    return Ok(());
                }
                WriteOutcome::Full => self.finish_channel(ch)?,
            }
        }
    }

    /// Writes an event to every channel; `flush` sends the buffers right after it.
    pub fn broadcast_event(&mut self, event: &Event, flush: bool) -> OpResult {
        for ch in 0..self.subpartitions.len() {
            self.write_event(ch, event, flush)?;
        }
        Ok(())
    }

    fn write_event(&mut self, ch: usize, event: &Event, flush: bool) -> OpResult {
        if !self.subpartitions[ch].backlog.is_empty() {
            self.subpartitions[ch].backlog.push_back(Pending::Event {
                event: *event,
                flush,
            });
            return Ok(());
        }
        loop {
            let sub = &mut self.subpartitions[ch];
            let builder = match &mut sub.builder {
                Some(b) => b,
                None => match self.pool.try_request() {
                    Some(b) => sub.builder.insert(b),
                    None => {
                        sub.backlog.push_back(Pending::Event {
                            event: *event,
                            flush,
                        });
                        self.blocked = true;
                        return Ok(());
                    }
                },
            };
            let first = builder.unpublished() == 0;
            match write_event(builder, event) {
                WriteOutcome::Done => {
                    self.after_event(ch, first, flush)?;
                    return Ok(());
                }
                WriteOutcome::Full => self.finish_channel(ch)?,
            }
        }
    }

    /// An event went into channel `ch`: send now if it flushes, else it waits like a record.
    fn after_event(&mut self, ch: usize, first: bool, flush: bool) -> OpResult {
        let clock = &self.clock;
        if flush || self.flush.after_record(first, || clock.now_nanos()) == AfterRecord::FlushNow {
            self.flush_channel(ch)?;
        }
        Ok(())
    }

    /// Makes every partly filled buffer visible (the buffer timeout expired, or the end).
    pub fn flush_all(&mut self) -> OpResult {
        for ch in 0..self.subpartitions.len() {
            self.flush_channel(ch)?;
        }
        self.flush.flushed();
        Ok(())
    }

    /// Flushes if the buffer timeout has expired at `now`.
    pub fn flush_if_due(&mut self, now: u64) -> OpResult {
        if self.flush.is_due(now) {
            self.flush_all()?;
        }
        Ok(())
    }

    /// Writes the backlog, waiting for buffers as they are recycled (backpressure).
    /// Cancel-safe: an entry leaves the backlog only once it is written whole, and a
    /// partly written record keeps its progress, so dropping this future (a priority
    /// barrier arrived) loses nothing.
    pub async fn drain(&mut self) -> OpResult {
        for ch in 0..self.subpartitions.len() {
            while !self.subpartitions[ch].backlog.is_empty() {
                if self.subpartitions[ch].builder.is_none() {
                    let b = self.request().await;
                    self.subpartitions[ch].builder = Some(b);
                }
                let sub = &mut self.subpartitions[ch];
                let (Some(builder), Some(item)) = (sub.builder.as_mut(), sub.backlog.front_mut())
                else {
                    continue;
                };
                let first = builder.unpublished() == 0;
                let (outcome, flush) = match item {
                    Pending::Record { bytes, progress } => {
                        (write_record(builder, bytes, progress), false)
                    }
                    Pending::Event { event, flush } => (write_event(builder, event), *flush),
                };
                match outcome {
                    WriteOutcome::Done => {
                        sub.backlog.pop_front();
                        self.after_event(ch, first, flush)?;
                    }
                    WriteOutcome::Full => self.finish_channel(ch)?,
                }
            }
        }
        self.blocked = false;
        Ok(())
    }

    /// Passes the barrier of an unaligned checkpoint on: on every channel that takes
    /// priority barriers, everything written so far is sent finished and the barrier goes
    /// in front of it at the consumer; what still waits in the channel's backlog for a
    /// buffer is returned as the channel's output in-flight data (it is still sent, after
    /// the barrier). Other channels get the barrier in band, behind their backlog.
    pub fn forward_unaligned(
        &mut self,
        barrier: CheckpointBarrier,
    ) -> Result<Vec<(u32, ChannelLog)>, OperatorError> {
        let event = Event::CheckpointBarrier(barrier);
        let mut logs = Vec::new();
        for ch in 0..self.subpartitions.len() {
            if self.subpartitions[ch].backlog.is_empty() {
                self.finish_channel(ch)?;
            }
            let sub = &mut self.subpartitions[ch];
            if !sub.sink.send_priority(barrier).map_err(exchange_err)? {
                self.write_event(ch, &event, true)?;
                continue;
            }
            let log: ChannelLog = sub
                .backlog
                .iter()
                .filter_map(|p| match p {
                    Pending::Record { bytes, .. } => Some(InFlightEntry::Record(bytes.clone())),
                    Pending::Event {
                        event: Event::Watermark(w),
                        ..
                    } => Some(InFlightEntry::Watermark(*w)),
                    Pending::Event {
                        event: Event::WatermarkStatus(s),
                        ..
                    } => Some(InFlightEntry::Status(*s)),
                    Pending::Event { .. } => None,
                })
                .collect();
            if !log.is_empty() {
                logs.push((ch as u32, log));
            }
        }
        Ok(logs)
    }

    /// Writes the output in-flight data of a restored unaligned checkpoint to channel
    /// `ch`, before anything else.
    pub fn write_restored(&mut self, ch: usize, log: &ChannelLog) -> OpResult {
        if ch >= self.subpartitions.len() {
            return Err(OperatorError::User(format!(
                "restored in-flight data names output channel {ch}, but the output has {} \
                 channels",
                self.subpartitions.len()
            )));
        }
        for entry in log {
            match entry {
                InFlightEntry::Record(payload) => self.write_record(ch, payload)?,
                InFlightEntry::Watermark(w) => {
                    self.write_event(ch, &Event::Watermark(*w), false)?
                }
                InFlightEntry::Status(s) => {
                    self.write_event(ch, &Event::WatermarkStatus(*s), false)?
                }
            }
        }
        Ok(())
    }

    async fn request(&mut self) -> BufferBuilder {
        if let Some(b) = self.pool.try_request() {
            return b;
        }
        let start = self.clock.now_nanos();
        let b = self.pool.request().await;
        self.backpressured_nanos += self.clock.now_nanos().saturating_sub(start);
        b
    }
}

/// A shared handle on a writer: the chain writes through it, the task flushes and drains.
pub type SharedWriter = Rc<RefCell<WriterCore>>;

/// The typed end of a chain that feeds a result partition.
pub struct RecordWriterOutput<T: Data> {
    core: SharedWriter,
    selector: Box<dyn ChannelSelector<T>>,
    serializer: RecordSerializer,
}

impl<T: Data> RecordWriterOutput<T> {
    /// An output writing through `core`, routed by `selector`.
    pub fn new(core: SharedWriter, selector: Box<dyn ChannelSelector<T>>) -> Self {
        Self {
            core,
            selector,
            serializer: RecordSerializer::new(),
        }
    }
}

impl<T: Data> Output<T> for RecordWriterOutput<T> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        let mut core = self.core.borrow_mut();
        let channels = core.channels();
        let selection = self.selector.select(&record, channels)?;
        let payload = self.serializer.payload(&record, timestamp)?;
        // numRecordsOut counts a record once, however many channels it is written to.
        core.records_out += 1;
        match selection {
            Selection::One(ch) => core.write_record(ch, payload),
            Selection::All => (0..channels).try_for_each(|ch| core.write_record(ch, payload)),
        }
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.core
            .borrow_mut()
            .broadcast_event(&Event::Watermark(watermark), false)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.core
            .borrow_mut()
            .broadcast_event(&Event::WatermarkStatus(status), false)
    }
    fn finish(&mut self) -> OpResult {
        // The end of partition is written by the task once the whole chain has finished.
        Ok(())
    }
    fn checkpoint(&mut self, _call: &mut crate::operator::CheckpointCall<'_>) -> OpResult {
        // The barrier is broadcast by the task once the whole chain has snapshotted.
        Ok(())
    }
}
