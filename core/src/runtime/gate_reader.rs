//! The consumer end of an input gate: which channel has bytes to read next, and the
//! bytes themselves, from finished buffers and from open ones still being filled.
//!
//! Each channel has at most one *current* buffer being read, plus the items of that
//! channel that arrived behind it. An open current buffer is read up to its published
//! mark and kept until its producer has finished it and every byte is read; only then
//! does the next item of the channel become current, so order per channel holds.
//!
//! The priority barrier of an unaligned checkpoint is handed out before any bytes, with
//! the number of its channel's items still queued before it (what the channel pushed
//! before it, less what the reader took); [`GateReader::overtaken`]
//! then takes those out of the queue and offers every unread byte the barrier overtook,
//! to be copied as the checkpoint's in-flight data (and read as usual afterwards).

use std::collections::VecDeque;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::checkpoint::CheckpointBarrier;
use crate::runtime::exchange::{GateItem, GateShared};

/// What the reader offers next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// This channel has bytes to read.
    Channel(usize),
    /// A priority (unaligned) barrier arrived on `channel`, ahead of what the channel
    /// has not read yet: its current and waiting items, and `queued` more in the queue.
    Barrier {
        /// The channel.
        channel: usize,
        /// The barrier.
        barrier: CheckpointBarrier,
        /// Items of the channel still in the gate's queue before the barrier.
        queued: usize,
    },
}

/// The bytes of one channel still to read: frames from `bytes[*pos..]`.
pub struct ChannelBytes<'a> {
    /// The buffer's bytes so far (for an open buffer, up to the published mark).
    pub bytes: &'a [u8],
    /// Where reading continues; advance it past what was read.
    pub pos: &'a mut usize,
    /// Whether the bytes came from outside the process and must be validated.
    pub foreign: bool,
}

struct Current {
    item: GateItem,
    pos: usize,
}

impl Current {
    /// The readable bytes and whether no more will come.
    fn bytes(&self) -> (&[u8], bool) {
        match &self.item {
            GateItem::Whole(b) => (b.as_bytes(), true),
            GateItem::Open(c) => c.published(),
            // Never current: the reader hands barriers out as they are dequeued.
            GateItem::Barrier { .. } => (&[], true),
        }
    }
}

#[derive(Default)]
struct Channel {
    current: Option<Current>,
    behind: VecDeque<GateItem>,
    /// Not read until unblocked (checkpoint barrier alignment); its items wait.
    blocked: bool,
    /// Items taken out of the gate's queue so far.
    taken: u64,
}

/// Reads a gate's channels in order, each from its current buffer.
pub struct GateReader {
    gate: Arc<GateShared>,
    channels: Vec<Channel>,
    /// Channels whose current buffer is open (may grow without a queue item).
    open: usize,
    /// Where the next scan of open channels starts (round robin).
    next: usize,
}

impl GateReader {
    /// A reader of `gate`, whose channels are numbered `0..channels`.
    pub fn new(gate: Arc<GateShared>, channels: usize) -> Self {
        Self {
            gate,
            channels: (0..channels).map(|_| Channel::default()).collect(),
            open: 0,
            next: 0,
        }
    }

    /// The gate read.
    pub fn gate(&self) -> &Arc<GateShared> {
        &self.gate
    }

    /// Stops reading `ch` (it delivered a checkpoint barrier and waits for the others):
    /// what it has and what arrives for it stay queued, in order.
    pub fn block(&mut self, ch: usize) {
        if let Some(c) = self.channels.get_mut(ch) {
            c.blocked = true;
        }
    }

    /// Reads `ch` again; `poll_ready` names it if it has bytes.
    pub fn unblock(&mut self, ch: usize) {
        if let Some(c) = self.channels.get_mut(ch) {
            c.blocked = false;
        }
    }

    /// What a priority barrier on `ch` overtook, after taking the `queued` items it
    /// overtook out of the gate's queue (they stay next in line): each unread buffer as
    /// `(bytes, position)`, the current one first, in order.
    pub fn overtaken(&mut self, ch: usize, queued: usize) -> Vec<(&[u8], usize)> {
        let Ok(channel_no) = u32::try_from(ch) else {
            return Vec::new();
        };
        let items = self.gate.take_channel_items(channel_no, queued);
        let Some(channel) = self.channels.get_mut(ch) else {
            return Vec::new();
        };
        channel.taken += items.len() as u64;
        channel.behind.extend(items);
        let mut out = Vec::new();
        if let Some(c) = &channel.current {
            out.push((c.bytes().0, c.pos));
        }
        for item in &channel.behind {
            let bytes = match item {
                GateItem::Whole(b) => b.as_bytes(),
                GateItem::Open(c) => c.published().0,
                GateItem::Barrier { .. } => continue,
            };
            out.push((bytes, 0));
        }
        out
    }

    /// A channel with bytes to read or a priority barrier, or `Ready(None)` once the gate
    /// is closed. When there is none, the task of `cx` is woken by the next push or
    /// publish.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Option<Next>> {
        // A priority barrier comes before the bytes already taken.
        if self.gate.has_priority() {
            if let Poll::Ready(next) = self.poll_priority(cx) {
                return Poll::Ready(Some(next));
            }
        }
        loop {
            if let Some(ch) = self.scan() {
                return Poll::Ready(Some(Next::Channel(ch)));
            }
            match self.gate.poll_next(cx) {
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some((
                    ch,
                    GateItem::Barrier {
                        barrier,
                        sent_before,
                    },
                ))) => {
                    return Poll::Ready(Some(self.barrier_next(ch as usize, barrier, sent_before)));
                }
                Poll::Ready(Some((ch, item))) => {
                    let ch = ch as usize;
                    let Some(channel) = self.channels.get_mut(ch) else {
                        // Channels are numbered by the job graph; a stray number is
                        // a wiring bug, and its buffer is recycled.
                        debug_assert!(false, "item for channel {ch} of a gate with fewer");
                        continue;
                    };
                    channel.taken += 1;
                    channel.behind.push_back(item);
                    if !channel.blocked && self.advance(ch) {
                        return Poll::Ready(Some(Next::Channel(ch)));
                    }
                }
                Poll::Pending => {
                    if self.open == 0 {
                        return Poll::Pending;
                    }
                    // Pairs with the fence in `GateShared::notify`: a publish that did
                    // not see us waiting is visible to this re-check.
                    fence(Ordering::SeqCst);
                    return match self.scan() {
                        Some(ch) => {
                            self.gate.stop_waiting();
                            Poll::Ready(Some(Next::Channel(ch)))
                        }
                        None => Poll::Pending,
                    };
                }
            }
        }
    }

    /// A priority barrier, if one is queued (without reading or taking any buffer);
    /// otherwise the task of `cx` is woken by the next push.
    pub fn poll_priority(&mut self, cx: &mut Context<'_>) -> Poll<Next> {
        let (ch, barrier, sent_before) = std::task::ready!(self.gate.poll_priority(cx));
        Poll::Ready(self.barrier_next(ch as usize, barrier, sent_before))
    }

    /// A barrier of `ch` pushed after `sent_before` items of the channel: those the reader
    /// has not taken out of the queue yet are queued before it.
    fn barrier_next(&self, ch: usize, barrier: CheckpointBarrier, sent_before: u64) -> Next {
        let taken = self.channels.get(ch).map_or(0, |c| c.taken);
        Next::Barrier {
            channel: ch,
            barrier,
            queued: usize::try_from(sent_before.saturating_sub(taken)).unwrap_or(usize::MAX),
        }
    }

    /// The unread bytes of `ch`'s current buffer (after `poll_ready` named `ch`).
    pub fn bytes(&mut self, ch: usize) -> Option<ChannelBytes<'_>> {
        let current = self.channels.get_mut(ch)?.current.as_mut()?;
        let foreign = matches!(&current.item, GateItem::Whole(b) if b.is_foreign());
        let bytes = match &current.item {
            GateItem::Whole(b) => b.as_bytes(),
            GateItem::Open(c) => c.published().0,
            GateItem::Barrier { .. } => &[],
        };
        Some(ChannelBytes {
            bytes,
            pos: &mut current.pos,
            foreign,
        })
    }

    /// After reading `ch`: releases its current buffer if it is finished and read, so
    /// that it is recycled at once.
    pub fn consumed(&mut self, ch: usize) {
        let Some(channel) = self.channels.get_mut(ch) else {
            return;
        };
        if let Some(current) = &channel.current {
            let (bytes, finished) = current.bytes();
            if finished && current.pos >= bytes.len() {
                self.release(ch);
            }
        }
    }

    fn release(&mut self, ch: usize) {
        let channel = &mut self.channels[ch];
        if let Some(old) = channel.current.take() {
            if matches!(old.item, GateItem::Open(_)) {
                self.open -= 1;
            }
        }
    }

    /// Makes `ch`'s current buffer one with unread bytes if it can; whether it did.
    fn advance(&mut self, ch: usize) -> bool {
        loop {
            let channel = &mut self.channels[ch];
            match &channel.current {
                Some(current) => {
                    let (bytes, finished) = current.bytes();
                    if current.pos < bytes.len() {
                        return true;
                    }
                    if !finished {
                        return false;
                    }
                    self.release(ch);
                }
                None => {
                    let Some(item) = channel.behind.pop_front() else {
                        return false;
                    };
                    if matches!(item, GateItem::Open(_)) {
                        self.open += 1;
                    }
                    channel.current = Some(Current { item, pos: 0 });
                }
            }
        }
    }

    /// An unblocked channel whose current buffer (or an item behind it) has unread
    /// bytes, round robin.
    fn scan(&mut self) -> Option<usize> {
        let n = self.channels.len();
        for i in 0..n {
            let ch = (self.next + i) % n;
            let channel = &self.channels[ch];
            if channel.blocked {
                continue;
            }
            // An open buffer may have grown; a whole one is left unread only by a block.
            let candidate = channel.current.is_some() || !channel.behind.is_empty();
            if candidate && self.advance(ch) {
                self.next = ch + 1;
                return Some(ch);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::test_util::{net_pool, CountingWaker};

    /// A network pool, a local pool of `buffers` buffers, a gate of that capacity and a
    /// reader of its two channels.
    fn two_channels(
        buffers: usize,
    ) -> (
        Arc<crate::memory::network_pool::NetworkBufferPool>,
        crate::memory::local_pool::LocalBufferPool,
        Arc<GateShared>,
        GateReader,
    ) {
        let net = net_pool(buffers, 256);
        let pool = net.create_local_pool("p", buffers).unwrap();
        let gate = GateShared::new("Sink (1/1)", buffers);
        let reader = GateReader::new(gate.clone(), 2);
        (net, pool, gate, reader)
    }

    /// A finished buffer of `pool` holding `bytes`.
    fn finished(
        pool: &crate::memory::local_pool::LocalBufferPool,
        bytes: &[u8],
    ) -> crate::memory::buffer::Buffer {
        let mut b = pool.try_request().unwrap();
        b.append(bytes);
        b.finish()
    }

    fn read_all(reader: &mut GateReader, ch: usize) -> Vec<u8> {
        let view = reader.bytes(ch).unwrap();
        let out = view.bytes[*view.pos..].to_vec();
        *view.pos = view.bytes.len();
        reader.consumed(ch);
        out
    }

    #[test]
    fn an_open_buffer_is_read_as_it_is_published_and_keeps_channel_order() {
        let net = net_pool(4, 256);
        let pool = net.create_local_pool("p", 4).unwrap();
        let gate = GateShared::new("Sink (1/1)", 4);
        let mut reader = GateReader::new(gate.clone(), 2);
        let counter = CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        assert!(reader.poll_ready(&mut cx).is_pending());

        // Channel 1 gets an open buffer.
        let mut b = pool.try_request().unwrap();
        b.append(b"ab");
        let (mut b, consumer) = b.share();
        gate.push_open(1, consumer.unwrap()).unwrap();
        assert_eq!(counter.count(), 1, "a push wakes the waiting reader");
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(1)))
        );
        assert_eq!(read_all(&mut reader, 1), b"ab");
        assert!(reader.poll_ready(&mut cx).is_pending());

        // Publishing more wakes the reader without a queue item.
        b.append(b"cd");
        b.publish();
        gate.notify();
        assert_eq!(counter.count(), 2);
        // A finished buffer of channel 1 queued behind the open one waits for it.
        let mut next = pool.try_request().unwrap();
        next.append(b"later");
        let next = next.finish();
        b.append(b"ef");
        let finished = b.finish();
        gate.push(1, next).unwrap();
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(1)))
        );
        assert_eq!(read_all(&mut reader, 1), b"cdef");
        drop(finished);
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(1)))
        );
        assert_eq!(read_all(&mut reader, 1), b"later");
        assert_eq!(pool.in_use(), 0, "both buffers were recycled once read");
        assert!(reader.poll_ready(&mut cx).is_pending());

        gate.close();
        assert_eq!(reader.poll_ready(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn a_blocked_channel_keeps_its_bytes_and_items_until_unblocked() {
        let (_net, pool, gate, mut reader) = two_channels(4);
        let counter = CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        let whole = |bytes: &[u8]| finished(&pool, bytes);
        gate.push(0, whole(b"abBcd")).unwrap();
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(0)))
        );
        {
            // Read up to the "barrier" B, then block the channel mid-buffer.
            let view = reader.bytes(0).unwrap();
            *view.pos = 3;
        }
        reader.consumed(0);
        reader.block(0);
        gate.push(0, whole(b"ef")).unwrap();
        gate.push(1, whole(b"xy")).unwrap();
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(1)))
        );
        assert_eq!(read_all(&mut reader, 1), b"xy");
        assert!(
            reader.poll_ready(&mut cx).is_pending(),
            "nothing of the blocked channel is offered"
        );
        reader.unblock(0);
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(0)))
        );
        assert_eq!(
            read_all(&mut reader, 0),
            b"cd",
            "the rest of the blocked buffer"
        );
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(0)))
        );
        assert_eq!(
            read_all(&mut reader, 0),
            b"ef",
            "then what queued behind it"
        );
        assert!(reader.poll_ready(&mut cx).is_pending());
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn a_priority_barrier_comes_before_held_bytes_and_offers_what_it_overtook() {
        let (_net, pool, gate, mut reader) = two_channels(8);
        let counter = CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        let whole = |bytes: &[u8]| finished(&pool, bytes);
        gate.push(0, whole(b"abcd")).unwrap();
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(0)))
        );
        {
            // Half of the current buffer is read.
            let view = reader.bytes(0).unwrap();
            *view.pos = 2;
        }
        gate.push(1, whole(b"xy")).unwrap();
        gate.push(0, whole(b"ef")).unwrap();
        let barrier =
            CheckpointBarrier::new(7, 0, crate::checkpoint::CheckpointOptions::unaligned());
        gate.push_priority(0, barrier).unwrap();
        // Pushed after the barrier: not overtaken.
        gate.push(0, whole(b"gh")).unwrap();
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Barrier {
                channel: 0,
                barrier,
                queued: 1
            })),
            "the barrier comes before the unread half and the queued buffers"
        );
        let overtaken: Vec<Vec<u8>> = reader
            .overtaken(0, 1)
            .into_iter()
            .map(|(bytes, pos)| bytes[pos..].to_vec())
            .collect();
        assert_eq!(overtaken, [b"cd".to_vec(), b"ef".to_vec()]);
        // Everything is still read afterwards, in channel order.
        let mut got = Vec::new();
        while let Poll::Ready(Some(Next::Channel(ch))) = reader.poll_ready(&mut cx) {
            got.push((ch, read_all(&mut reader, ch)));
        }
        assert_eq!(
            got,
            [
                (0, b"cd".to_vec()),
                (0, b"ef".to_vec()),
                (1, b"xy".to_vec()),
                (0, b"gh".to_vec())
            ]
        );
        assert_eq!(pool.in_use(), 0);
        // With nothing else to read, a waiting reader sees a priority barrier at once.
        gate.push_priority(1, barrier).unwrap();
        assert_eq!(
            reader.poll_priority(&mut cx),
            Poll::Ready(Next::Barrier {
                channel: 1,
                barrier,
                queued: 0
            })
        );
        assert!(reader.poll_priority(&mut cx).is_pending());
    }

    /// One step of a gate's life: a buffer of `len` bytes pushed on a channel, a priority
    /// barrier pushed on a channel, or the reader reading up to `max` bytes.
    #[derive(Debug, Clone)]
    enum Step {
        Push(usize, usize),
        Barrier(usize),
        Read(usize),
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            (0..2usize, 1..6usize).prop_map(|(ch, len)| Step::Push(ch, len)),
            (0..2usize).prop_map(Step::Barrier),
            (1..8usize).prop_map(Step::Read),
        ]
    }

    /// What the reader offers next, handled as the input loop does: a barrier's overtaken
    /// bytes are checked against what its channel sent before it, or up to `max` bytes are
    /// read. Whether anything was offered.
    fn take(
        reader: &mut GateReader,
        cx: &mut Context<'_>,
        max: usize,
        sent: &[Vec<u8>; 2],
        read: &mut [Vec<u8>; 2],
        marks: &mut [std::collections::VecDeque<usize>; 2],
    ) -> bool {
        match reader.poll_ready(cx) {
            Poll::Ready(Some(Next::Channel(ch))) => {
                let view = reader.bytes(ch).unwrap();
                let end = view.pos.saturating_add(max).min(view.bytes.len());
                read[ch].extend_from_slice(&view.bytes[*view.pos..end]);
                *view.pos = end;
                reader.consumed(ch);
                true
            }
            Poll::Ready(Some(Next::Barrier {
                channel, queued, ..
            })) => {
                let mark = marks[channel].pop_front().expect("a barrier was pushed");
                let overtaken: Vec<u8> = reader
                    .overtaken(channel, queued)
                    .into_iter()
                    .flat_map(|(bytes, pos)| bytes[pos..].to_vec())
                    .collect();
                assert_eq!(
                    overtaken,
                    sent[channel][read[channel].len()..mark],
                    "channel {channel}: the barrier overtook exactly what was sent before it \
                     and not read"
                );
                true
            }
            Poll::Ready(None) => panic!("the gate is open"),
            Poll::Pending => false,
        }
    }

    proptest::proptest! {
        #[test]
        fn priority_barriers_overtake_exactly_what_was_sent_before_them(
            steps in proptest::collection::vec(step(), 0..80)
        ) {
            let (_net, pool, gate, mut reader) = two_channels(96);
            let counter = CountingWaker::new();
            let waker = counter.waker();
            let mut cx = Context::from_waker(&waker);
            let mut sent: [Vec<u8>; 2] = Default::default();
            let mut read: [Vec<u8>; 2] = Default::default();
            let mut marks: [std::collections::VecDeque<usize>; 2] = Default::default();
            let mut next = 0u8;
            let mut id = 0;
            for step in steps {
                match step {
                    Step::Push(ch, len) => {
                        let bytes: Vec<u8> = (0..len)
                            .map(|_| {
                                next = next.wrapping_add(1);
                                next
                            })
                            .collect();
                        gate.push(ch as u32, finished(&pool, &bytes)).unwrap();
                        sent[ch].extend(bytes);
                    }
                    Step::Barrier(ch) => {
                        id += 1;
                        let options = crate::checkpoint::CheckpointOptions::unaligned();
                        gate.push_priority(ch as u32, CheckpointBarrier::new(id, 0, options))
                            .unwrap();
                        marks[ch].push_back(sent[ch].len());
                    }
                    Step::Read(max) => {
                        take(&mut reader, &mut cx, max, &sent, &mut read, &mut marks);
                    }
                }
            }
            while take(&mut reader, &mut cx, usize::MAX, &sent, &mut read, &mut marks) {}
            proptest::prop_assert_eq!(&read, &sent, "everything is read once, in channel order");
            proptest::prop_assert!(marks.iter().all(|m| m.is_empty()), "every barrier came");
            proptest::prop_assert_eq!(pool.in_use(), 0);
        }
    }

    #[test]
    fn a_publish_racing_the_reader_going_to_sleep_is_not_lost() {
        // The reader registers, then the producer publishes without a wake (it saw
        // no waiter yet): the re-check after registering finds the bytes.
        let net = net_pool(1, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let gate = GateShared::new("Sink (1/1)", 1);
        let mut reader = GateReader::new(gate.clone(), 1);
        let counter = CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        let mut b = pool.try_request().unwrap();
        b.append(b"x");
        let (mut b, consumer) = b.share();
        gate.push_open(0, consumer.unwrap()).unwrap();
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(0)))
        );
        assert_eq!(read_all(&mut reader, 0), b"x");
        b.append(b"y");
        b.publish();
        // No notify: the reader's own scan sees the mark.
        assert_eq!(
            reader.poll_ready(&mut cx),
            Poll::Ready(Some(Next::Channel(0)))
        );
        assert_eq!(read_all(&mut reader, 0), b"y");
        // A dropped builder ends the buffer; the reader releases it.
        drop(b);
        assert!(reader.poll_ready(&mut cx).is_pending());
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn reader_and_producer_on_two_threads_see_every_byte_in_order() {
        const N: u32 = 20_000;
        let net = net_pool(4, 256);
        let pool = net.create_local_pool("p", 4).unwrap();
        let gate = GateShared::new("Sink (1/1)", 4);
        let producer = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                let mut open: Option<crate::memory::BufferBuilder> = None;
                for i in 0..N {
                    let mut b = match open.take() {
                        Some(b) if b.remaining() >= 4 => b,
                        full => {
                            if let Some(f) = full {
                                drop(f.finish());
                                gate.notify();
                            }
                            loop {
                                if let Some(b) = pool.try_request() {
                                    break b;
                                }
                                std::thread::yield_now();
                            }
                        }
                    };
                    b.append(&i.to_le_bytes());
                    let (mut b, consumer) = b.share();
                    if let Some(c) = consumer {
                        gate.push_open(0, c).unwrap();
                    }
                    b.publish();
                    gate.notify();
                    open = Some(b);
                }
                drop(open);
                gate.notify();
            })
        };
        let counter = CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        let mut reader = GateReader::new(gate.clone(), 1);
        let mut got = Vec::new();
        while got.len() < N as usize * 4 {
            match reader.poll_ready(&mut cx) {
                Poll::Ready(Some(Next::Channel(ch))) => got.extend(read_all(&mut reader, ch)),
                Poll::Ready(None) => panic!("gate closed"),
                Poll::Ready(Some(Next::Barrier { .. })) => panic!("no barrier was sent"),
                Poll::Pending => std::thread::yield_now(),
            }
        }
        producer.join().unwrap();
        let values: Vec<u32> = got
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, (0..N).collect::<Vec<_>>());
    }
}
