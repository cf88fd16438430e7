//! Receiver (consumer) side of credit-based flow control: per-channel credit state and the
//! gate-level floating buffer pool.
//!
//! The model follows Flink's `RemoteInputChannel` + `BufferManager` + `LocalBufferPool`:
//!
//! * Each channel owns `buffers_per_channel` **exclusive** buffers (Flink:
//!   `taskmanager.network.memory.buffers-per-channel`, default 2). They are the channel's
//!   initial credit and travel to the sender inside the partition request.
//! * The gate owns `floating_buffers_per_gate` **floating** buffers (Flink:
//!   `taskmanager.network.memory.floating-buffers-per-gate`, default 8), shared by its channels.
//! * Every buffer the sender sends carries its *backlog* (buffers queued behind it). A channel
//!   wants `backlog + buffers_per_channel` free buffers; when it has fewer it takes floating
//!   buffers from the pool, and if the pool is empty it waits in a FIFO listener queue. A
//!   floating buffer returned to the pool goes to the first waiting channel; a channel that
//!   still wants more goes back to the end of the queue, so waiting channels receive floating
//!   buffers round-robin, one at a time.
//! * Every free buffer a channel gains is credit. Credit accumulates as *unannounced* credit
//!   and is announced (an `AddCredit` message) when the glue asks for announcements, so many
//!   recycled buffers become one announcement when the connection is busy (Flink likewise
//!   reads and resets the unannounced credit only when it writes the `AddCredit`).
//! * A received buffer occupies a free floating buffer if the channel has one, else an
//!   exclusive one. When the consumer recycles a buffer, a floating one goes straight back to
//!   the pool (and on to waiting channels); an exclusive one becomes credit again, unless the
//!   channel now has more free buffers than it wants, in which case it keeps the exclusive
//!   buffer and returns one free floating buffer to the pool instead.
//!
//! Buffers are counted, not held: the glue owns the memory and moves segments between the
//! gate's floating pool and a channel's free list as [`ReceiverAction`]s say. Since all network
//! buffers of a gate have the same size, any free segment will do.
//!
//! Not modelled: Flink's mode with zero exclusive buffers (which needs the sender to announce
//! its backlog without sending a buffer), and unaligned-checkpoint priority events.

use std::collections::{BTreeMap, VecDeque};

use super::ChannelId;
use crate::error::NetError;

/// Buffer counts for one input gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// Exclusive buffers per channel, granted as initial credit (Flink default 2; at least 1).
    pub buffers_per_channel: u32,
    /// Floating buffers shared by all channels of the gate (Flink default 8).
    pub floating_buffers_per_gate: u32,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            buffers_per_channel: 2,
            floating_buffers_per_gate: 8,
        }
    }
}

/// Something the glue must do after a receiver-side transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiverAction {
    /// Send `AddCredit { receiver_id: channel, credit }` to the sender.
    AnnounceCredit {
        /// The channel whose sender gets the credit.
        channel: ChannelId,
        /// Number of newly freed buffers the sender may fill.
        credit: u32,
    },
    /// Move `count` buffers from the gate's floating pool to the channel's free buffers.
    FloatingGranted {
        /// The channel receiving the buffers.
        channel: ChannelId,
        /// How many buffers.
        count: u32,
    },
    /// Move `count` buffers of the channel (free ones, or the one just recycled) back to the
    /// gate's floating pool.
    ReturnFloating {
        /// The channel giving the buffers back.
        channel: ChannelId,
        /// How many buffers.
        count: u32,
    },
}

/// What the glue does with the payload of a `BufferResponse` it just decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Copy the payload into one of the channel's free buffers and queue it for the consumer,
    /// which must call [`GateCredits::on_buffer_recycled`] once done with it.
    Accept,
    /// The channel was cancelled; drop the payload (the sender sent it before it saw the cancel).
    Discard,
    /// No such channel; drop the payload and send `CancelPartitionRequest` for this receiver id,
    /// as Flink's client handler does for unknown receivers.
    DiscardAndCancel,
}

/// Credit state of one input channel; owned and driven by [`GateCredits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverChannel {
    id: ChannelId,
    exclusive: u32,
    free_exclusive: u32,
    free_floating: u32,
    used_exclusive: u32,
    used_floating: u32,
    unannounced: u32,
    backlog: u32,
    expected_sequence: u32,
    waiting: bool,
    announce_queued: bool,
    cancelled: bool,
}

impl ReceiverChannel {
    fn new(id: ChannelId, exclusive: u32) -> Self {
        ReceiverChannel {
            id,
            exclusive,
            free_exclusive: exclusive,
            free_floating: 0,
            used_exclusive: 0,
            used_floating: 0,
            unannounced: 0,
            backlog: 0,
            expected_sequence: 0,
            waiting: false,
            announce_queued: false,
            cancelled: false,
        }
    }

    /// The channel's id (the `receiver_id` on the wire).
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// Number of exclusive buffers this channel owns.
    pub fn exclusive_buffers(&self) -> u32 {
        self.exclusive
    }

    /// Free buffers (exclusive and floating) ready to receive data.
    pub fn free_buffers(&self) -> u32 {
        self.free_exclusive + self.free_floating
    }

    /// Buffers holding received data that the consumer has not recycled yet.
    pub fn buffers_in_use(&self) -> u32 {
        self.used_exclusive + self.used_floating
    }

    /// Floating buffers this channel holds, free or in use.
    pub fn floating_held(&self) -> u32 {
        self.free_floating + self.used_floating
    }

    /// Credit earned but not yet announced to the sender.
    pub fn unannounced_credit(&self) -> u32 {
        self.unannounced
    }

    /// Credit announced to the sender (including the initial credit) and not yet used by a
    /// received buffer: the most buffers the sender may have in flight or may still send.
    pub fn announced_credit(&self) -> u32 {
        self.free_buffers() - self.unannounced
    }

    /// The backlog the sender announced with the last buffer.
    pub fn sender_backlog(&self) -> u32 {
        self.backlog
    }

    /// Sequence number the next buffer must carry.
    pub fn expected_sequence(&self) -> u32 {
        self.expected_sequence
    }

    /// True while the channel waits in the gate's queue for floating buffers.
    pub fn is_waiting_for_floating(&self) -> bool {
        self.waiting
    }

    /// True once the channel was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    /// Free buffers the channel wants: the sender's backlog plus the exclusive buffers.
    fn wanted(&self) -> u64 {
        u64::from(self.backlog) + u64::from(self.exclusive)
    }

    fn wants_more(&self) -> bool {
        !self.cancelled && u64::from(self.free_buffers()) < self.wanted()
    }
}

/// Credit accounting for all channels of one input gate, including its floating pool.
#[derive(Debug, Clone)]
pub struct GateCredits {
    config: ReceiverConfig,
    channels: BTreeMap<ChannelId, ReceiverChannel>,
    pool_free: u32,
    waiting: VecDeque<ChannelId>,
    announce: VecDeque<ChannelId>,
}

fn queue_announcement(queue: &mut VecDeque<ChannelId>, ch: &mut ReceiverChannel) {
    if !ch.announce_queued {
        ch.announce_queued = true;
        queue.push_back(ch.id);
    }
}

impl GateCredits {
    /// A gate with no channels and a full floating pool.
    pub fn new(config: ReceiverConfig) -> Result<Self, NetError> {
        if config.buffers_per_channel == 0 {
            return Err(NetError::InvalidConfig {
                reason: "buffers_per_channel must be at least 1 (Weir does not model Flink's \
                         zero-exclusive-buffer mode)",
            });
        }
        Ok(GateCredits {
            config,
            channels: BTreeMap::new(),
            pool_free: config.floating_buffers_per_gate,
            waiting: VecDeque::new(),
            announce: VecDeque::new(),
        })
    }

    /// The configuration this gate was built with.
    pub fn config(&self) -> ReceiverConfig {
        self.config
    }

    /// Registers a channel and returns its initial credit (its exclusive buffers), which goes
    /// to the sender in the `PartitionRequest`.
    pub fn add_channel(&mut self, channel: ChannelId) -> Result<u32, NetError> {
        if self.channels.contains_key(&channel) {
            return Err(NetError::ChannelAlreadyRegistered { channel });
        }
        let exclusive = self.config.buffers_per_channel;
        self.channels
            .insert(channel, ReceiverChannel::new(channel, exclusive));
        Ok(exclusive)
    }

    /// The state of one channel, if registered.
    pub fn channel(&self, channel: ChannelId) -> Option<&ReceiverChannel> {
        self.channels.get(&channel)
    }

    /// All registered channels, by id.
    pub fn channels(&self) -> impl Iterator<Item = &ReceiverChannel> {
        self.channels.values()
    }

    /// Floating buffers currently in the gate's pool (not held by any channel).
    pub fn floating_free(&self) -> u32 {
        self.pool_free
    }

    /// A `BufferResponse` (data or event) with `sequence` and `backlog` arrived for `channel`.
    ///
    /// Checks the sequence number (it must be the next expected one) and that the sender had
    /// announced credit for it; either failure is a peer protocol violation. On
    /// [`Delivery::Accept`] one free buffer of the channel is now in use, and the channel may
    /// take floating buffers to match the new backlog (pushed to `out`).
    pub fn on_buffer_received(
        &mut self,
        channel: ChannelId,
        sequence: u32,
        backlog: u32,
        out: &mut Vec<ReceiverAction>,
    ) -> Result<Delivery, NetError> {
        let Some(ch) = self.channels.get_mut(&channel) else {
            return Ok(Delivery::DiscardAndCancel);
        };
        if ch.cancelled {
            return Ok(Delivery::Discard);
        }
        if sequence != ch.expected_sequence {
            return Err(NetError::OutOfOrderBuffer {
                channel,
                expected: ch.expected_sequence,
                received: sequence,
            });
        }
        if ch.announced_credit() == 0 {
            return Err(NetError::BufferWithoutCredit { channel, sequence });
        }
        // Floating buffers first, as Flink's AvailableBufferQueue::takeBuffer does, so that
        // they return to the shared pool as early as possible.
        if ch.free_floating > 0 {
            ch.free_floating -= 1;
            ch.used_floating += 1;
        } else {
            ch.free_exclusive -= 1;
            ch.used_exclusive += 1;
        }
        ch.expected_sequence = ch.expected_sequence.wrapping_add(1);
        ch.backlog = backlog;
        self.top_up(channel, out);
        Ok(Delivery::Accept)
    }

    /// The consumer of `channel` is done with one received buffer.
    ///
    /// A floating buffer goes back to the pool (and possibly straight on to a waiting
    /// channel); an exclusive one becomes unannounced credit, or, when the channel has more
    /// free buffers than its backlog needs, stays idle while a free floating buffer goes back.
    pub fn on_buffer_recycled(
        &mut self,
        channel: ChannelId,
        out: &mut Vec<ReceiverAction>,
    ) -> Result<(), NetError> {
        let ch = self
            .channels
            .get_mut(&channel)
            .ok_or(NetError::NoSuchChannel { channel })?;
        if ch.buffers_in_use() == 0 {
            return Err(NetError::NothingToRecycle { channel });
        }
        let mut returned = 0;
        if ch.used_floating > 0 {
            ch.used_floating -= 1;
            returned = 1;
        } else {
            ch.used_exclusive -= 1;
            ch.free_exclusive += 1;
            if !ch.cancelled {
                if u64::from(ch.free_buffers()) > ch.wanted() && ch.free_floating > 0 {
                    ch.free_floating -= 1;
                    returned = 1;
                } else {
                    ch.unannounced += 1;
                    queue_announcement(&mut self.announce, ch);
                }
            }
        }
        let remove = ch.cancelled && ch.buffers_in_use() == 0;
        if remove {
            self.channels.remove(&channel);
        }
        if returned > 0 {
            out.push(ReceiverAction::ReturnFloating {
                channel,
                count: returned,
            });
            self.pool_free += returned;
            self.distribute(out);
        }
        Ok(())
    }

    /// Cancels `channel` (the glue sends `CancelPartitionRequest`): its unannounced credit is
    /// dropped, its free floating buffers go back to the pool, and later buffers for it are
    /// discarded. Buffers still in use may be recycled as usual; the channel is forgotten once
    /// none is in use. Cancelling twice is harmless.
    pub fn cancel_channel(
        &mut self,
        channel: ChannelId,
        out: &mut Vec<ReceiverAction>,
    ) -> Result<(), NetError> {
        let ch = self
            .channels
            .get_mut(&channel)
            .ok_or(NetError::NoSuchChannel { channel })?;
        if ch.cancelled {
            return Ok(());
        }
        ch.cancelled = true;
        ch.unannounced = 0;
        ch.backlog = 0;
        ch.waiting = false;
        ch.announce_queued = false;
        let returned = std::mem::take(&mut ch.free_floating);
        if ch.buffers_in_use() == 0 {
            self.channels.remove(&channel);
        }
        self.waiting.retain(|&c| c != channel);
        self.announce.retain(|&c| c != channel);
        if returned > 0 {
            out.push(ReceiverAction::ReturnFloating {
                channel,
                count: returned,
            });
            self.pool_free += returned;
            self.distribute(out);
        }
        Ok(())
    }

    /// True if some channel has credit to announce.
    pub fn has_pending_announcements(&self) -> bool {
        !self.announce.is_empty()
    }

    /// The next credit announcement, resetting that channel's unannounced credit; channels
    /// come in the order their credit first became unannounced. Call it when the connection
    /// can take an `AddCredit`; credit earned meanwhile is folded into one announcement.
    pub fn next_announcement(&mut self) -> Option<ReceiverAction> {
        while let Some(id) = self.announce.pop_front() {
            let Some(ch) = self.channels.get_mut(&id) else {
                continue;
            };
            ch.announce_queued = false;
            if !ch.cancelled && ch.unannounced > 0 {
                let credit = std::mem::take(&mut ch.unannounced);
                return Some(ReceiverAction::AnnounceCredit {
                    channel: id,
                    credit,
                });
            }
        }
        None
    }

    /// Pushes every pending credit announcement to `out` (see [`Self::next_announcement`]).
    pub fn take_credit_announcements(&mut self, out: &mut Vec<ReceiverAction>) {
        while let Some(a) = self.next_announcement() {
            out.push(a);
        }
    }

    /// Takes floating buffers from the pool until `channel` has what its backlog wants, or
    /// queues it as a waiting listener when the pool runs dry.
    fn top_up(&mut self, channel: ChannelId, out: &mut Vec<ReceiverAction>) {
        let Some(ch) = self.channels.get_mut(&channel) else {
            return;
        };
        let mut granted = 0;
        while ch.wants_more() && self.pool_free > 0 {
            self.pool_free -= 1;
            ch.free_floating += 1;
            ch.unannounced += 1;
            granted += 1;
        }
        if granted > 0 {
            queue_announcement(&mut self.announce, ch);
            out.push(ReceiverAction::FloatingGranted {
                channel,
                count: granted,
            });
        }
        if ch.wants_more() && !ch.waiting {
            ch.waiting = true;
            self.waiting.push_back(channel);
        }
    }

    /// Hands free pool buffers to waiting channels, one per channel per turn.
    fn distribute(&mut self, out: &mut Vec<ReceiverAction>) {
        while self.pool_free > 0 {
            let Some(id) = self.waiting.pop_front() else {
                return;
            };
            let Some(ch) = self.channels.get_mut(&id) else {
                continue;
            };
            ch.waiting = false;
            if !ch.wants_more() {
                continue;
            }
            self.pool_free -= 1;
            ch.free_floating += 1;
            ch.unannounced += 1;
            queue_announcement(&mut self.announce, ch);
            out.push(ReceiverAction::FloatingGranted {
                channel: id,
                count: 1,
            });
            if ch.wants_more() {
                ch.waiting = true;
                self.waiting.push_back(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ChannelId = ChannelId(1);
    const B: ChannelId = ChannelId(2);

    fn gate(exclusive: u32, floating: u32) -> GateCredits {
        GateCredits::new(ReceiverConfig {
            buffers_per_channel: exclusive,
            floating_buffers_per_gate: floating,
        })
        .unwrap()
    }

    /// Pool accounting: pool + every channel's floating buffers == configured pool size.
    fn assert_pool(g: &GateCredits) {
        let held: u32 = g.channels().map(|c| c.floating_held()).sum();
        assert_eq!(
            g.floating_free() + held,
            g.config().floating_buffers_per_gate
        );
    }

    fn announcements(g: &mut GateCredits) -> Vec<ReceiverAction> {
        let mut v = Vec::new();
        g.take_credit_announcements(&mut v);
        v
    }

    #[test]
    fn default_config_is_flinks() {
        let c = ReceiverConfig::default();
        assert_eq!(c.buffers_per_channel, 2);
        assert_eq!(c.floating_buffers_per_gate, 8);
    }

    #[test]
    fn zero_exclusive_buffers_is_rejected() {
        let e = GateCredits::new(ReceiverConfig {
            buffers_per_channel: 0,
            floating_buffers_per_gate: 8,
        })
        .unwrap_err();
        assert!(matches!(e, NetError::InvalidConfig { .. }));
        assert!(!e.is_peer_violation());
    }

    #[test]
    fn add_channel_grants_exclusive_buffers_as_initial_credit() {
        let mut g = gate(2, 8);
        assert_eq!(g.add_channel(A), Ok(2));
        let ch = g.channel(A).unwrap();
        assert_eq!(ch.free_buffers(), 2);
        assert_eq!(ch.announced_credit(), 2);
        assert_eq!(ch.unannounced_credit(), 0);
        assert!(!g.has_pending_announcements());
        assert_eq!(
            g.add_channel(A),
            Err(NetError::ChannelAlreadyRegistered { channel: A })
        );
    }

    #[test]
    fn in_order_buffer_without_backlog_is_accepted() {
        let mut g = gate(2, 8);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            g.on_buffer_received(A, 0, 0, &mut out),
            Ok(Delivery::Accept)
        );
        // Like Flink, the channel keeps backlog + exclusive buffers free: 0 + 2, so it takes
        // one floating buffer to replace the one just filled.
        assert_eq!(
            out,
            vec![ReceiverAction::FloatingGranted {
                channel: A,
                count: 1
            }]
        );
        let ch = g.channel(A).unwrap();
        assert_eq!(ch.buffers_in_use(), 1);
        assert_eq!(ch.announced_credit(), 1);
        assert_eq!(ch.unannounced_credit(), 1);
        assert_eq!(ch.expected_sequence(), 1);
        assert_pool(&g);
    }

    #[test]
    fn out_of_order_and_duplicate_buffers_are_errors() {
        let mut g = gate(2, 8);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        let e = g.on_buffer_received(A, 1, 0, &mut out).unwrap_err();
        assert_eq!(
            e,
            NetError::OutOfOrderBuffer {
                channel: A,
                expected: 0,
                received: 1
            }
        );
        assert!(e.is_peer_violation());
        g.on_buffer_received(A, 0, 0, &mut out).unwrap();
        let e = g.on_buffer_received(A, 0, 0, &mut out).unwrap_err();
        assert!(matches!(e, NetError::OutOfOrderBuffer { expected: 1, .. }));
        // Errors change nothing.
        assert_eq!(g.channel(A).unwrap().buffers_in_use(), 1);
    }

    #[test]
    fn buffer_beyond_announced_credit_is_an_error() {
        let mut g = gate(2, 0);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        g.on_buffer_received(A, 0, 0, &mut out).unwrap();
        g.on_buffer_received(A, 1, 0, &mut out).unwrap();
        let e = g.on_buffer_received(A, 2, 0, &mut out).unwrap_err();
        assert_eq!(
            e,
            NetError::BufferWithoutCredit {
                channel: A,
                sequence: 2
            }
        );
        // Recycled but unannounced credit is not credit the sender knows about.
        g.on_buffer_recycled(A, &mut out).unwrap();
        assert_eq!(g.channel(A).unwrap().unannounced_credit(), 1);
        assert!(g.on_buffer_received(A, 2, 0, &mut out).is_err());
        announcements(&mut g);
        assert_eq!(
            g.on_buffer_received(A, 2, 0, &mut out),
            Ok(Delivery::Accept)
        );
    }

    #[test]
    fn backlog_takes_floating_buffers_and_announces_them_once() {
        let mut g = gate(2, 8);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        // backlog 5 => wants 5 + 2 = 7 free buffers; has 1 => takes 6 floating.
        g.on_buffer_received(A, 0, 5, &mut out).unwrap();
        assert_eq!(
            out,
            vec![ReceiverAction::FloatingGranted {
                channel: A,
                count: 6
            }]
        );
        assert_eq!(g.floating_free(), 2);
        assert!(!g.channel(A).unwrap().is_waiting_for_floating());
        assert_eq!(
            announcements(&mut g),
            vec![ReceiverAction::AnnounceCredit {
                channel: A,
                credit: 6
            }]
        );
        assert!(announcements(&mut g).is_empty());
        assert_eq!(g.channel(A).unwrap().announced_credit(), 7);
        assert_pool(&g);
    }

    #[test]
    fn received_buffers_use_floating_buffers_first() {
        let mut g = gate(1, 1);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        // Fills the exclusive buffer; wants 1 + 1, takes the one floating buffer, waits for more.
        g.on_buffer_received(A, 0, 1, &mut out).unwrap();
        announcements(&mut g);
        // Fills the floating buffer.
        g.on_buffer_received(A, 1, 1, &mut out).unwrap();
        let ch = g.channel(A).unwrap();
        assert_eq!(
            (ch.buffers_in_use(), ch.free_buffers(), ch.floating_held()),
            (2, 0, 1)
        );
        out.clear();
        // The first recycle is the floating buffer: back to the pool, and on to the head of the
        // waiting queue (A itself here).
        g.on_buffer_recycled(A, &mut out).unwrap();
        assert_eq!(
            out,
            vec![
                ReceiverAction::ReturnFloating {
                    channel: A,
                    count: 1
                },
                ReceiverAction::FloatingGranted {
                    channel: A,
                    count: 1
                }
            ]
        );
        out.clear();
        // The exclusive buffer: A has 2 free, wants 2, so it is credit.
        g.on_buffer_recycled(A, &mut out).unwrap();
        assert!(out.is_empty());
        // Both credits (regranted floating + exclusive) are one announcement.
        assert_eq!(
            announcements(&mut g),
            vec![ReceiverAction::AnnounceCredit {
                channel: A,
                credit: 2
            }]
        );
        assert_pool(&g);
    }

    #[test]
    fn recycled_credit_is_coalesced_into_one_announcement() {
        let mut g = gate(3, 0);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        for s in 0..3 {
            g.on_buffer_received(A, s, 0, &mut out).unwrap();
        }
        for _ in 0..3 {
            g.on_buffer_recycled(A, &mut out).unwrap();
        }
        assert!(out.is_empty());
        assert_eq!(
            announcements(&mut g),
            vec![ReceiverAction::AnnounceCredit {
                channel: A,
                credit: 3
            }]
        );
    }

    #[test]
    fn recycle_without_buffer_in_use_is_misuse() {
        let mut g = gate(2, 8);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        let e = g.on_buffer_recycled(A, &mut out).unwrap_err();
        assert_eq!(e, NetError::NothingToRecycle { channel: A });
        assert!(!e.is_peer_violation());
        assert_eq!(
            g.on_buffer_recycled(B, &mut out),
            Err(NetError::NoSuchChannel { channel: B })
        );
    }

    #[test]
    fn surplus_exclusive_recycle_returns_a_floating_buffer_instead_of_credit() {
        let mut g = gate(2, 8);
        g.add_channel(A).unwrap();
        let mut out = Vec::new();
        // Fills an exclusive buffer; wants 0 + 2 free, has 1: takes 1 floating.
        g.on_buffer_received(A, 0, 0, &mut out).unwrap();
        // Fills the floating one; wants 3 + 2 free, has 1: takes 4 more.
        g.on_buffer_received(A, 1, 3, &mut out).unwrap();
        assert_eq!(g.channel(A).unwrap().floating_held(), 5);
        announcements(&mut g);
        // The sender drained: backlog 0, so A wants 2 free buffers but has 1 + 3.
        g.on_buffer_received(A, 2, 0, &mut out).unwrap();
        assert_eq!(g.channel(A).unwrap().free_buffers(), 4);
        out.clear();
        // The two floating buffers in use go straight back to the pool.
        for _ in 0..2 {
            g.on_buffer_recycled(A, &mut out).unwrap();
        }
        assert_eq!(
            out,
            vec![
                ReceiverAction::ReturnFloating {
                    channel: A,
                    count: 1
                };
                2
            ]
        );
        out.clear();
        // The exclusive one: 5 free > 2 wanted, so A keeps it and returns a free floating one.
        g.on_buffer_recycled(A, &mut out).unwrap();
        assert_eq!(
            out,
            vec![ReceiverAction::ReturnFloating {
                channel: A,
                count: 1
            }]
        );
        assert!(!g.has_pending_announcements());
        let ch = g.channel(A).unwrap();
        assert_eq!(ch.buffers_in_use(), 0);
        assert_eq!(ch.free_buffers(), 4);
        assert_eq!(ch.floating_held(), 2);
        assert_eq!(g.floating_free(), 6);
        assert_pool(&g);
    }

    #[test]
    fn empty_pool_queues_channel_and_returned_buffer_goes_to_it() {
        let mut g = gate(1, 2);
        g.add_channel(A).unwrap();
        g.add_channel(B).unwrap();
        let mut out = Vec::new();
        g.on_buffer_received(A, 0, 10, &mut out).unwrap(); // takes both floating, still wants more
        assert_eq!(g.floating_free(), 0);
        assert!(g.channel(A).unwrap().is_waiting_for_floating());
        g.on_buffer_received(B, 0, 4, &mut out).unwrap();
        assert!(g.channel(B).unwrap().is_waiting_for_floating());
        announcements(&mut g);
        g.on_buffer_received(A, 1, 9, &mut out).unwrap(); // A uses a floating buffer
        out.clear();
        g.on_buffer_recycled(A, &mut out).unwrap(); // ...and recycles it
                                                    // The returned buffer goes to the head of the queue: A (queued first); A then goes to
                                                    // the back behind B.
        assert_eq!(
            out,
            vec![
                ReceiverAction::ReturnFloating {
                    channel: A,
                    count: 1
                },
                ReceiverAction::FloatingGranted {
                    channel: A,
                    count: 1
                }
            ]
        );
        assert_pool(&g);
    }

    #[test]
    fn waiting_channels_get_floating_buffers_round_robin() {
        let c = ChannelId(3);
        let mut g = gate(1, 1);
        for ch in [A, B, c] {
            g.add_channel(ch).unwrap();
        }
        let mut out = Vec::new();
        // A takes the only floating buffer; everyone then waits with large backlogs.
        g.on_buffer_received(A, 0, 100, &mut out).unwrap();
        g.on_buffer_received(B, 0, 100, &mut out).unwrap();
        g.on_buffer_received(c, 0, 100, &mut out).unwrap();
        announcements(&mut g);
        assert_eq!(g.waiting.iter().copied().collect::<Vec<_>>(), vec![A, B, c]);
        // A receives into its floating buffer and recycles it, repeatedly: the one buffer
        // circulates A -> B -> C (head of the queue each time), never hoarded by A.
        g.on_buffer_received(A, 1, 100, &mut out).unwrap();
        let mut granted_to = Vec::new();
        out.clear();
        g.on_buffer_recycled(A, &mut out).unwrap();
        for a in &out {
            if let ReceiverAction::FloatingGranted { channel, .. } = a {
                granted_to.push(*channel);
            }
        }
        // A is at the head (it registered first) and still wants more: it gets it, goes last.
        assert_eq!(granted_to, vec![A]);
        assert_eq!(g.waiting.iter().copied().collect::<Vec<_>>(), vec![B, c, A]);
        announcements(&mut g);
        g.on_buffer_received(A, 2, 100, &mut out).unwrap();
        out.clear();
        g.on_buffer_recycled(A, &mut out).unwrap();
        assert!(out.contains(&ReceiverAction::FloatingGranted {
            channel: B,
            count: 1
        }));
        assert_eq!(g.waiting.iter().copied().collect::<Vec<_>>(), vec![c, A, B]);
        assert_pool(&g);
    }

    #[test]
    fn satisfied_waiting_channel_declines_and_is_dropped_from_queue() {
        let mut g = gate(1, 1);
        g.add_channel(A).unwrap();
        g.add_channel(B).unwrap();
        let mut out = Vec::new();
        g.on_buffer_received(A, 0, 0, &mut out).unwrap(); // A takes the floating buffer, satisfied
        assert!(!g.channel(A).unwrap().is_waiting_for_floating());
        g.on_buffer_received(B, 0, 5, &mut out).unwrap(); // B waits
        assert!(g.channel(B).unwrap().is_waiting_for_floating());
        announcements(&mut g);
        // B's sender drains: its last buffer says backlog 0, so B wants just 1 free buffer.
        g.on_buffer_recycled(B, &mut out).unwrap();
        announcements(&mut g);
        g.on_buffer_received(B, 1, 0, &mut out).unwrap();
        g.on_buffer_recycled(B, &mut out).unwrap();
        // A fills its floating buffer and now wants more too (queued behind B).
        g.on_buffer_received(A, 1, 0, &mut out).unwrap();
        assert_eq!(g.waiting.iter().copied().collect::<Vec<_>>(), vec![B, A]);
        out.clear();
        g.on_buffer_recycled(A, &mut out).unwrap();
        // B is at the head but satisfied: it declines and leaves the queue; A gets the buffer.
        assert_eq!(
            out,
            vec![
                ReceiverAction::ReturnFloating {
                    channel: A,
                    count: 1
                },
                ReceiverAction::FloatingGranted {
                    channel: A,
                    count: 1
                }
            ]
        );
        assert!(!g.channel(B).unwrap().is_waiting_for_floating());
        assert!(g.waiting.is_empty());
        assert_pool(&g);
    }

    #[test]
    fn unknown_and_cancelled_channels_discard_buffers() {
        let mut g = gate(2, 8);
        let mut out = Vec::new();
        assert_eq!(
            g.on_buffer_received(A, 0, 0, &mut out),
            Ok(Delivery::DiscardAndCancel)
        );
        g.add_channel(A).unwrap();
        g.on_buffer_received(A, 0, 3, &mut out).unwrap(); // 4 floating
        g.cancel_channel(A, &mut out).unwrap();
        assert!(out.contains(&ReceiverAction::ReturnFloating {
            channel: A,
            count: 4
        }));
        assert!(!g.has_pending_announcements());
        assert_eq!(g.floating_free(), 8);
        // Late buffer, even with a wrong sequence number: discarded.
        assert_eq!(
            g.on_buffer_received(A, 7, 0, &mut out),
            Ok(Delivery::Discard)
        );
        assert_eq!(g.cancel_channel(A, &mut out), Ok(()));
        // The buffer in use can still be recycled; then the channel is forgotten.
        g.on_buffer_recycled(A, &mut out).unwrap();
        assert!(g.channel(A).is_none());
        assert_eq!(g.add_channel(A), Ok(2));
        assert_pool(&g);
    }

    #[test]
    fn cancel_removes_idle_channel_and_feeds_waiters() {
        let mut g = gate(1, 2);
        g.add_channel(A).unwrap();
        g.add_channel(B).unwrap();
        let mut out = Vec::new();
        g.on_buffer_received(A, 0, 2, &mut out).unwrap(); // A: takes 2 floating
        g.on_buffer_received(B, 0, 2, &mut out).unwrap(); // B: waits
        announcements(&mut g);
        g.on_buffer_recycled(A, &mut out).unwrap(); // A has nothing in use now
        out.clear();
        g.cancel_channel(A, &mut out).unwrap();
        assert!(g.channel(A).is_none());
        assert_eq!(
            out,
            vec![
                ReceiverAction::ReturnFloating {
                    channel: A,
                    count: 2
                },
                ReceiverAction::FloatingGranted {
                    channel: B,
                    count: 1
                },
                ReceiverAction::FloatingGranted {
                    channel: B,
                    count: 1
                },
            ]
        );
        assert_eq!(
            announcements(&mut g),
            vec![ReceiverAction::AnnounceCredit {
                channel: B,
                credit: 2
            }]
        );
        assert_eq!(
            g.cancel_channel(A, &mut out),
            Err(NetError::NoSuchChannel { channel: A })
        );
        assert_pool(&g);
    }

    #[test]
    fn announcements_come_in_order_of_first_unannounced_credit() {
        let mut g = gate(1, 0);
        g.add_channel(A).unwrap();
        g.add_channel(B).unwrap();
        let mut out = Vec::new();
        g.on_buffer_received(B, 0, 0, &mut out).unwrap();
        g.on_buffer_received(A, 0, 0, &mut out).unwrap();
        g.on_buffer_recycled(B, &mut out).unwrap();
        g.on_buffer_recycled(A, &mut out).unwrap();
        assert_eq!(
            g.next_announcement(),
            Some(ReceiverAction::AnnounceCredit {
                channel: B,
                credit: 1
            })
        );
        assert_eq!(
            g.next_announcement(),
            Some(ReceiverAction::AnnounceCredit {
                channel: A,
                credit: 1
            })
        );
        assert_eq!(g.next_announcement(), None);
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let mut g = gate(1, 0);
        g.add_channel(A).unwrap();
        g.channels.get_mut(&A).unwrap().expected_sequence = u32::MAX;
        let mut out = Vec::new();
        g.on_buffer_received(A, u32::MAX, 0, &mut out).unwrap();
        assert_eq!(g.channel(A).unwrap().expected_sequence(), 0);
    }
}
