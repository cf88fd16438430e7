//! The record writer under each buffer-timeout setting, driven by a manual clock: what
//! leaves, and when, without sleeping.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::BufferTimeout;
use crate::framing::event::Event;
use crate::memory::arena::Arena;
use crate::memory::buffer::Buffer;
use crate::memory::network_pool::NetworkBufferPool;
use crate::runtime::clock::{ManualClock, SharedClock};
use crate::runtime::exchange::{BufferSink, ExchangeError};
use crate::runtime::record_writer::WriterCore;

/// Keeps every buffer sent, in order.
struct Capture(Arc<Mutex<Vec<Buffer>>>);

impl BufferSink for Capture {
    fn send(&mut self, buffer: Buffer) -> Result<(), ExchangeError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(buffer);
        Ok(())
    }
}

struct Rig {
    writer: WriterCore,
    sent: Vec<Arc<Mutex<Vec<Buffer>>>>,
    clock: Arc<ManualClock>,
    _network: Arc<NetworkBufferPool>,
}

const MS: u64 = 1_000_000;

fn rig(timeout: BufferTimeout, channels: usize) -> Rig {
    let network = NetworkBufferPool::new(Arena::new(16 * 4096, 4096).unwrap());
    let pool = network.create_local_pool("test", 8).unwrap();
    let sent: Vec<_> = (0..channels)
        .map(|_| Arc::new(Mutex::new(Vec::new())))
        .collect();
    let sinks: Vec<Box<dyn BufferSink>> = sent
        .iter()
        .map(|s| Box::new(Capture(s.clone())) as Box<dyn BufferSink>)
        .collect();
    let clock = ManualClock::new(0);
    let shared: SharedClock = clock.clone();
    Rig {
        writer: WriterCore::new(pool, sinks, timeout, shared),
        sent,
        clock,
        _network: network,
    }
}

impl Rig {
    fn count(&self, ch: usize) -> usize {
        self.sent[ch].lock().unwrap().len()
    }
}

#[test]
fn timeout_zero_sends_every_record_at_once() {
    let mut r = rig(BufferTimeout::Interval(Duration::ZERO), 1);
    for i in 1..=3 {
        r.writer.write_record(0, &[7u8; 16]).unwrap();
        assert_eq!(r.count(0), i, "record {i} left immediately");
    }
    assert_eq!(r.writer.flush_deadline(), None);
}

#[test]
fn an_interval_sends_a_partly_filled_buffer_exactly_when_due() {
    let mut r = rig(BufferTimeout::Interval(Duration::from_millis(10)), 2);
    r.clock.set_nanos(5 * MS);
    r.writer.write_record(0, &[1u8; 16]).unwrap();
    r.clock.set_nanos(9 * MS);
    r.writer.write_record(1, &[2u8; 16]).unwrap();
    // Due 10 ms after the first record of the partly filled buffers.
    assert_eq!(r.writer.flush_deadline(), Some(15 * MS));
    r.writer.flush_if_due(15 * MS - 1).unwrap();
    assert_eq!((r.count(0), r.count(1)), (0, 0));
    r.clock.set_nanos(15 * MS);
    r.writer.flush_if_due(15 * MS).unwrap();
    assert_eq!(
        (r.count(0), r.count(1)),
        (1, 1),
        "both channels flushed at the deadline"
    );
    assert_eq!(
        r.writer.flush_deadline(),
        None,
        "nothing waits after the flush"
    );
    // The next record starts a new deadline.
    r.clock.set_nanos(20 * MS);
    r.writer.write_record(0, &[3u8; 16]).unwrap();
    assert_eq!(r.writer.flush_deadline(), Some(30 * MS));
}

#[test]
fn off_sends_only_full_buffers_or_before_a_flushing_event() {
    let mut r = rig(BufferTimeout::Disabled, 1);
    r.writer.write_record(0, &[1u8; 16]).unwrap();
    assert_eq!(r.writer.flush_deadline(), None);
    r.writer.flush_if_due(u64::MAX).unwrap();
    assert_eq!(r.count(0), 0, "no timeout: the partly filled buffer stays");
    // A watermark does not flush…
    r.writer
        .broadcast_event(&Event::Watermark(5), false)
        .unwrap();
    assert_eq!(r.count(0), 0);
    // …end of partition does.
    r.writer
        .broadcast_event(&Event::EndOfPartition, true)
        .unwrap();
    assert_eq!(r.count(0), 1);
    // Filling a 4 KiB buffer sends it without any timeout.
    let mut r = rig(BufferTimeout::Disabled, 1);
    for _ in 0..200 {
        r.writer.write_record(0, &[9u8; 64]).unwrap();
    }
    assert!(r.count(0) >= 3, "full buffers leave: {}", r.count(0));
}

/// A writer feeding local channels (which read open buffers) and the gate's reader.
struct LocalRig {
    writer: WriterCore,
    reader: crate::runtime::gate_reader::GateReader,
    frames: Vec<crate::framing::FrameReader>,
    clock: Arc<ManualClock>,
    pool: crate::memory::LocalBufferPool,
    _network: Arc<NetworkBufferPool>,
}

fn local_rig(timeout: BufferTimeout, channels: usize) -> LocalRig {
    use crate::runtime::exchange::{GateShared, LocalChannelSender};
    let network = NetworkBufferPool::new(Arena::new(16 * 4096, 4096).unwrap());
    let pool = network.create_local_pool("test", 8).unwrap();
    let gate = GateShared::new("Sink (1/1)", 8);
    let sinks: Vec<Box<dyn BufferSink>> = (0..channels)
        .map(|ch| Box::new(LocalChannelSender::new(gate.clone(), ch as u32)) as Box<dyn BufferSink>)
        .collect();
    let clock = ManualClock::new(0);
    let shared: SharedClock = clock.clone();
    LocalRig {
        writer: WriterCore::new(pool.clone(), sinks, timeout, shared),
        reader: crate::runtime::gate_reader::GateReader::new(gate, channels),
        frames: (0..channels).map(|_| Default::default()).collect(),
        clock,
        pool,
        _network: network,
    }
}

impl LocalRig {
    /// Every record the consumer can read now, with its channel; a priority barrier reads
    /// as `barrier <id> overtook <items>`.
    fn read(&mut self) -> Vec<(usize, Vec<u8>)> {
        use crate::framing::Frame;
        use std::task::{Context, Poll};
        let counter = crate::memory::test_util::CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        let mut out = Vec::new();
        while let Poll::Ready(Some(next)) = self.reader.poll_ready(&mut cx) {
            let ch = match next {
                crate::runtime::gate_reader::Next::Channel(ch) => ch,
                crate::runtime::gate_reader::Next::Barrier {
                    channel,
                    barrier,
                    queued,
                } => {
                    let text = format!("barrier {} ahead of {queued} queued", barrier.id);
                    out.push((channel, text.into_bytes()));
                    continue;
                }
            };
            let view = self.reader.bytes(ch).unwrap();
            while let Some(frame) = self.frames[ch].next_frame(view.bytes, view.pos).unwrap() {
                if let Frame::Record(r) = frame {
                    out.push((ch, r.to_vec()));
                }
            }
            self.reader.consumed(ch);
        }
        out
    }
}

#[test]
fn timeout_zero_on_a_local_channel_publishes_each_record_into_one_open_buffer() {
    let mut r = local_rig(BufferTimeout::Interval(Duration::ZERO), 2);
    for i in 1..=3u8 {
        r.writer.write_record(0, &[i; 16]).unwrap();
        assert_eq!(
            r.read(),
            vec![(0, vec![i; 16])],
            "record {i} readable at once"
        );
    }
    r.writer.write_record(1, &[9; 16]).unwrap();
    assert_eq!(r.read(), vec![(1, vec![9; 16])]);
    assert_eq!(
        r.writer.buffers_out, 2,
        "one open buffer per channel, handed over once"
    );
    assert_eq!(r.pool.in_use(), 2);
    // Filling the buffer moves on to a new one; nothing is lost or reordered.
    let mut expected = Vec::new();
    for i in 0..200u32 {
        let payload = i.to_le_bytes().repeat(16);
        r.writer.write_record(0, &payload).unwrap();
        expected.push((0, payload));
    }
    assert_eq!(r.read(), expected);
    // 64-byte records take 80 bytes: 50 fit after the first three, 51 in each new
    // 4 KiB buffer, so three buffers more.
    assert_eq!(r.writer.buffers_out, 5);
    assert!(r.pool.in_use() <= 3, "read buffers were recycled");
}

#[test]
fn an_interval_on_a_local_channel_publishes_exactly_when_due() {
    let mut r = local_rig(BufferTimeout::Interval(Duration::from_millis(10)), 1);
    r.clock.set_nanos(5 * MS);
    r.writer.write_record(0, &[1u8; 16]).unwrap();
    assert_eq!(r.writer.flush_deadline(), Some(15 * MS));
    r.writer.flush_if_due(15 * MS - 1).unwrap();
    assert!(r.read().is_empty(), "not due yet");
    r.writer.flush_if_due(15 * MS).unwrap();
    assert_eq!(r.read(), vec![(0, vec![1u8; 16])]);
    assert_eq!(r.writer.flush_deadline(), None);
    // A record after the flush, in the same (open) buffer, starts a new deadline.
    r.clock.set_nanos(20 * MS);
    r.writer.write_record(0, &[2u8; 16]).unwrap();
    assert_eq!(r.writer.flush_deadline(), Some(30 * MS));
    assert!(r.read().is_empty());
    r.writer.flush_if_due(30 * MS).unwrap();
    assert_eq!(r.read(), vec![(0, vec![2u8; 16])]);
    assert_eq!(r.writer.buffers_out, 1, "the same buffer, published twice");
}

#[test]
fn an_unaligned_barrier_goes_ahead_of_the_sent_buffers_and_returns_the_backlog() {
    let mut r = local_rig(BufferTimeout::Disabled, 1);
    // Records until the pool runs dry: the last ones wait in the backlog.
    let mut written = Vec::new();
    let mut i = 0u32;
    while !r.writer.is_blocked() {
        let payload = i.to_le_bytes().repeat(250);
        r.writer.write_record(0, &payload).unwrap();
        written.push(payload);
        i += 1;
    }
    for _ in 0..3 {
        let payload = i.to_le_bytes().repeat(250);
        r.writer.write_record(0, &payload).unwrap();
        written.push(payload);
        i += 1;
    }
    let barrier = crate::checkpoint::CheckpointBarrier::new(
        4,
        0,
        crate::checkpoint::CheckpointOptions::unaligned(),
    );
    let logs = r.writer.forward_unaligned(barrier).unwrap();
    assert_eq!(logs.len(), 1, "one channel had a backlog");
    let (ch, log) = &logs[0];
    assert_eq!(*ch, 0);
    let backlog: Vec<Vec<u8>> = log
        .iter()
        .map(|e| match e {
            crate::checkpoint::channel_state::InFlightEntry::Record(p) => p.clone(),
            other => panic!("only records were written: {other:?}"),
        })
        .collect();
    assert!(
        backlog.len() >= 4,
        "the record that did not fit and the three after it"
    );
    // The consumer sees the barrier first, ahead of every buffer sent before it, then those
    // buffers' records: everything written but the backlog (whose first record may have
    // started in the last buffer sent: it completes only after the barrier, and is in the
    // log whole).
    let read = r.read();
    assert_eq!(
        read.first()
            .map(|(_, b)| String::from_utf8_lossy(b).to_string()),
        Some("barrier 4 ahead of 8 queued".to_string()),
    );
    let records: Vec<Vec<u8>> = read[1..].iter().map(|(_, b)| b.clone()).collect();
    assert_eq!(records.len() + backlog.len(), written.len());
    assert_eq!(records, written[..records.len()]);
    assert_eq!(backlog, written[records.len()..]);
}
