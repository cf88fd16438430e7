//! End-to-end property test of credit-based flow control: several channels multiplexed on one
//! connection, one gate with a shared floating pool, messages travelling as encoded bytes
//! through the wire codec in both directions, and producers, consumers and the network
//! interleaved at random.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::{
    ChannelId, ConnectionScheduler, Delivery, GateCredits, ReceiverAction, ReceiverConfig,
};
use crate::wire::{encode, Decoder, Message};

/// Frames are tiny here: an 8-byte payload (channel, index).
const MAX_PAYLOAD: u32 = 8;

#[derive(Debug, Clone)]
enum Op {
    /// The producer of a channel finishes its next buffer (the last one is an event).
    Produce(usize),
    /// The connection writes the next scheduled buffer.
    Send,
    /// Up to n bytes travel sender -> receiver.
    ToReceiver(usize),
    /// The consumer of a channel recycles its oldest buffer (never, for a stuck channel).
    Recycle(usize),
    /// The receiver writes its pending credit announcements.
    Announce,
    /// Up to n bytes travel receiver -> sender.
    ToSender(usize),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize).prop_map(Op::Produce),
        3 => Just(Op::Send),
        2 => (1..64usize).prop_map(Op::ToReceiver),
        3 => (0..4usize).prop_map(Op::Recycle),
        1 => Just(Op::Announce),
        2 => (1..64usize).prop_map(Op::ToSender),
    ]
}

struct Sim {
    n: usize,
    total: Vec<u32>,
    stuck: Option<usize>,
    // Sender side.
    sched: ConnectionScheduler,
    produced: Vec<u32>,
    /// The glue's FIFO of produced, unsent buffer indices per channel.
    unsent: Vec<VecDeque<u32>>,
    // Wire.
    to_receiver: VecDeque<u8>,
    to_sender: VecDeque<u8>,
    receiver_decoder: Decoder,
    sender_decoder: Decoder,
    in_flight_buffers: Vec<u32>,
    in_flight_credit: Vec<u64>,
    // Receiver side.
    gate: GateCredits,
    /// Buffers handed to each consumer and not yet recycled.
    in_use: Vec<VecDeque<u32>>,
    delivered: Vec<u32>,
    actions: Vec<ReceiverAction>,
}

fn ch(i: usize) -> ChannelId {
    ChannelId(i as u32 + 100)
}

fn index_of(c: ChannelId) -> usize {
    (c.0 - 100) as usize
}

impl Sim {
    fn new(config: ReceiverConfig, total: Vec<u32>, stuck: Option<usize>) -> Self {
        let n = total.len();
        let mut gate = GateCredits::new(config).unwrap();
        let mut sched = ConnectionScheduler::new();
        for i in 0..n {
            // The partition request carries the initial credit (delivered directly here).
            let initial = gate.add_channel(ch(i)).unwrap();
            assert_eq!(initial, config.buffers_per_channel);
            sched.on_partition_request(ch(i), initial).unwrap();
        }
        Sim {
            n,
            total,
            stuck: stuck.filter(|&s| s < n),
            sched,
            produced: vec![0; n],
            unsent: vec![VecDeque::new(); n],
            to_receiver: VecDeque::new(),
            to_sender: VecDeque::new(),
            receiver_decoder: Decoder::new(MAX_PAYLOAD),
            sender_decoder: Decoder::new(MAX_PAYLOAD),
            in_flight_buffers: vec![0; n],
            in_flight_credit: vec![0; n],
            gate,
            in_use: vec![VecDeque::new(); n],
            delivered: vec![0; n],
            actions: Vec::new(),
        }
    }

    /// Applies one op; returns whether anything happened.
    fn step(&mut self, op: &Op) -> bool {
        match *op {
            Op::Produce(c) => self.produce(c % self.n),
            Op::Send => self.send(),
            Op::ToReceiver(k) => self.deliver_to_receiver(k),
            Op::Recycle(c) => self.recycle(c % self.n),
            Op::Announce => self.announce(),
            Op::ToSender(k) => self.deliver_to_sender(k),
        }
    }

    fn produce(&mut self, c: usize) -> bool {
        if self.produced[c] == self.total[c] {
            return false;
        }
        self.unsent[c].push_back(self.produced[c]);
        self.produced[c] += 1;
        self.sched.on_buffer_available(ch(c)).unwrap();
        true
    }

    fn send(&mut self) -> bool {
        let Some(d) = self.sched.next_to_send() else {
            return false;
        };
        let c = index_of(d.receiver);
        let index = self.unsent[c]
            .pop_front()
            .expect("scheduled a buffer that exists");
        assert_eq!(
            d.sequence, index,
            "sequence numbers follow production order"
        );
        assert_eq!(
            d.backlog as usize,
            self.unsent[c].len(),
            "backlog = buffers behind"
        );
        let mut payload = (c as u32).to_be_bytes().to_vec();
        payload.extend_from_slice(&index.to_be_bytes());
        let mut bytes = Vec::new();
        encode(
            &Message::BufferResponse {
                receiver_id: d.receiver.0,
                sequence: d.sequence,
                backlog: d.backlog,
                is_event: index + 1 == self.total[c],
                payload,
            },
            &mut bytes,
        )
        .unwrap();
        self.to_receiver.extend(bytes);
        self.in_flight_buffers[c] += 1;
        true
    }

    fn deliver_to_receiver(&mut self, k: usize) -> bool {
        let k = k.min(self.to_receiver.len());
        if k == 0 {
            return false;
        }
        let bytes: Vec<u8> = self.to_receiver.drain(..k).collect();
        let mut msgs = Vec::new();
        self.receiver_decoder.feed(&bytes, &mut msgs).unwrap();
        for m in msgs {
            let Message::BufferResponse {
                receiver_id,
                sequence,
                backlog,
                is_event,
                payload,
            } = m
            else {
                panic!("unexpected message to the receiver: {m:?}");
            };
            let id = ChannelId(receiver_id);
            let delivery = self
                .gate
                .on_buffer_received(id, sequence, backlog, &mut self.actions)
                .unwrap_or_else(|e| panic!("receiver rejected a buffer: {e}"));
            assert_eq!(delivery, Delivery::Accept);
            let c = index_of(id);
            self.in_flight_buffers[c] -= 1;
            // Exactly once, in order: the payload names the next expected buffer.
            let index = u32::from_be_bytes(payload[4..8].try_into().unwrap());
            assert_eq!(
                u32::from_be_bytes(payload[..4].try_into().unwrap()),
                c as u32
            );
            assert_eq!(index, self.delivered[c], "in-order, exactly-once delivery");
            assert_eq!(is_event, index + 1 == self.total[c]);
            self.delivered[c] += 1;
            self.in_use[c].push_back(index);
        }
        true
    }

    fn recycle(&mut self, c: usize) -> bool {
        if self.stuck == Some(c) || self.in_use[c].pop_front().is_none() {
            return false;
        }
        self.gate
            .on_buffer_recycled(ch(c), &mut self.actions)
            .unwrap();
        true
    }

    fn announce(&mut self) -> bool {
        let mut out = Vec::new();
        self.gate.take_credit_announcements(&mut out);
        for a in &out {
            let ReceiverAction::AnnounceCredit { channel, credit } = *a else {
                panic!("only announcements expected: {a:?}");
            };
            assert!(credit > 0);
            let mut bytes = Vec::new();
            encode(
                &Message::AddCredit {
                    receiver_id: channel.0,
                    credit,
                },
                &mut bytes,
            )
            .unwrap();
            self.to_sender.extend(bytes);
            self.in_flight_credit[index_of(channel)] += u64::from(credit);
        }
        !out.is_empty()
    }

    fn deliver_to_sender(&mut self, k: usize) -> bool {
        let k = k.min(self.to_sender.len());
        if k == 0 {
            return false;
        }
        let bytes: Vec<u8> = self.to_sender.drain(..k).collect();
        let mut msgs = Vec::new();
        self.sender_decoder.feed(&bytes, &mut msgs).unwrap();
        for m in msgs {
            let Message::AddCredit {
                receiver_id,
                credit,
            } = m
            else {
                panic!("unexpected message to the sender: {m:?}");
            };
            self.sched
                .on_credit(ChannelId(receiver_id), credit)
                .unwrap();
            self.in_flight_credit[index_of(ChannelId(receiver_id))] -= u64::from(credit);
        }
        true
    }

    /// Checked after every step.
    fn check_invariants(&self) {
        let config = self.gate.config();
        let held: u32 = self.gate.channels().map(|c| c.floating_held()).sum();
        assert_eq!(
            self.gate.floating_free() + held,
            config.floating_buffers_per_gate,
            "floating pool accounting"
        );
        for c in 0..self.n {
            let r = self.gate.channel(ch(c)).unwrap();
            let s = self.sched.view(ch(c)).unwrap();
            // The credit the receiver has announced and not seen used is exactly: credit the
            // sender still holds + buffers on the wire + credit on the wire. So buffers in
            // flight never exceed credit granted.
            assert_eq!(
                u64::from(s.credit())
                    + u64::from(self.in_flight_buffers[c])
                    + self.in_flight_credit[c],
                u64::from(r.announced_credit()),
                "credit conservation on {}",
                ch(c)
            );
            assert!(self.in_flight_buffers[c] <= r.announced_credit());
            assert_eq!(r.buffers_in_use() as usize, self.in_use[c].len());
            assert_eq!(
                r.free_buffers() + r.buffers_in_use(),
                r.exclusive_buffers() + r.floating_held(),
                "every buffer is free or in use"
            );
            // A channel that wants more than it has is queued for floating buffers.
            let wants = u64::from(r.free_buffers())
                < u64::from(r.sender_backlog()) + u64::from(r.exclusive_buffers());
            assert!(!wants || r.is_waiting_for_floating());
        }
        if self.gate.floating_free() > 0 {
            assert!(self.gate.channels().all(|c| !c.is_waiting_for_floating()));
        }
    }

    /// Runs every enabled action until nothing moves; returns the number of rounds.
    fn drain(&mut self) -> usize {
        for round in 0..100_000 {
            let mut progress = false;
            for c in 0..self.n {
                while self.produce(c) {
                    progress = true;
                }
            }
            while self.send() {
                progress = true;
            }
            progress |= self.deliver_to_receiver(usize::MAX);
            for c in 0..self.n {
                while self.recycle(c) {
                    progress = true;
                }
            }
            progress |= self.announce();
            progress |= self.deliver_to_sender(usize::MAX);
            self.check_invariants();
            if !progress {
                return round;
            }
        }
        panic!("no quiescence after 100000 rounds: livelock");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_deliver_everything_without_deadlock(
        exclusive in 1u32..=3,
        floating in 0u32..=8,
        total in prop::collection::vec(0u32..=24, 1..=4),
        stuck in proptest::option::of(0usize..4),
        ops in prop::collection::vec(arb_op(), 0..400),
    ) {
        let config = ReceiverConfig {
            buffers_per_channel: exclusive,
            floating_buffers_per_gate: floating,
        };
        let mut sim = Sim::new(config, total.clone(), stuck);
        sim.check_invariants();
        for op in &ops {
            sim.step(op);
            sim.check_invariants();
        }
        sim.drain();

        // Quiescent: nothing on the wire, nothing left to announce.
        prop_assert!(sim.to_receiver.is_empty() && sim.to_sender.is_empty());
        prop_assert!(!sim.gate.has_pending_announcements());
        sim.receiver_decoder.finish().unwrap();
        sim.sender_decoder.finish().unwrap();
        for (c, &want) in total.iter().enumerate() {
            if sim.stuck == Some(c) {
                // The stuck consumer holds what it got; it got at least its exclusive buffers'
                // worth (or everything), and never more than the buffers it could hold.
                let got = sim.delivered[c];
                let r = sim.gate.channel(ch(c)).unwrap();
                prop_assert!(got >= exclusive.min(want));
                prop_assert!(got <= exclusive + floating);
                prop_assert_eq!(r.buffers_in_use(), got);
            } else {
                // Every other channel completed, whatever the stuck one does.
                prop_assert_eq!(sim.delivered[c], want, "{} incomplete", ch(c));
                prop_assert!(sim.in_use[c].is_empty());
                prop_assert_eq!(sim.sched.view(ch(c)).unwrap().queued(), 0);
            }
        }
    }
}

#[test]
fn stuck_channel_does_not_block_others_with_a_tiny_pool() {
    // One floating buffer, one exclusive buffer each, and channel 0 never recycles: channels
    // 1..3 must still get all 50 buffers through the shared connection.
    let config = ReceiverConfig {
        buffers_per_channel: 1,
        floating_buffers_per_gate: 1,
    };
    let mut sim = Sim::new(config, vec![50; 4], Some(0));
    sim.drain();
    assert_eq!(&sim.delivered[1..], &[50, 50, 50]);
    assert!(sim.delivered[0] <= 2);
    assert!(sim.sched.view(ch(0)).unwrap().queued() >= 48);
    assert_eq!(sim.sched.view(ch(0)).unwrap().credit(), 0);
}
