//! Sender (producer) side of credit-based flow control: per-subpartition views and the
//! per-connection scheduler.
//!
//! Follows Flink's `CreditBasedSequenceNumberingViewReader` (one per partition request,
//! holding the receiver's credit) and `PartitionRequestQueue` (the queue of readers that can
//! send right now, served round-robin, one buffer per turn).
//!
//! **Credit and events.** In Weir every `BufferResponse`, data buffer or event (such as end of
//! partition), consumes one credit, because the receiver copies every payload into one of its
//! pooled buffers. This is stricter than Flink: Flink's reader decrements credit only for data
//! buffers and lets an event go out without credit (its receiver copies events into freshly
//! allocated, unpooled memory). Flink's unaligned-checkpoint handling (priority events that
//! overtake queued data, consumption blocked until resumed) is not modelled either.

use std::collections::{BTreeMap, VecDeque};

use super::ChannelId;
use crate::error::NetError;

/// Permission to send the next queued buffer of one view, with the header fields it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendDecision {
    /// The receiver (input channel) the buffer goes to.
    pub receiver: ChannelId,
    /// The buffer's sequence number: 0 for the first buffer of the view, then +1 (wrapping).
    pub sequence: u32,
    /// Buffers still queued behind this one (saturating at `u32::MAX`).
    pub backlog: u32,
}

/// Credit state of one subpartition view: what the receiver may accept, what is queued.
///
/// Buffers are counted, not held: the glue keeps the producer's buffers (and events) in order
/// and sends the front one whenever this view hands out a [`SendDecision`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderView {
    receiver: ChannelId,
    credit: u32,
    queued: u64,
    next_sequence: u32,
}

impl SenderView {
    /// A view for `receiver`, starting with the credit from its partition request.
    pub fn new(receiver: ChannelId, initial_credit: u32) -> Self {
        SenderView {
            receiver,
            credit: initial_credit,
            queued: 0,
            next_sequence: 0,
        }
    }

    /// The receiver this view sends to.
    pub fn receiver(&self) -> ChannelId {
        self.receiver
    }

    /// Credit left: buffers the receiver has room for that have not been sent.
    pub fn credit(&self) -> u32 {
        self.credit
    }

    /// Buffers and events queued and not yet sent.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// Sequence number the next buffer sent will carry.
    pub fn next_sequence(&self) -> u32 {
        self.next_sequence
    }

    /// True when the view has both something to send and credit to send it with.
    pub fn can_send(&self) -> bool {
        self.credit > 0 && self.queued > 0
    }

    /// The producer finished a buffer, or queued an event (end of partition included); both
    /// need one credit to go out.
    pub fn on_buffer_available(&mut self) {
        self.queued = self.queued.saturating_add(1);
    }

    /// The receiver announced `credit` more free buffers (`AddCredit`).
    ///
    /// Zero credit and credit overflowing `u32` are peer protocol violations.
    pub fn on_credit(&mut self, credit: u32) -> Result<(), NetError> {
        if credit == 0 {
            return Err(NetError::ZeroCredit {
                channel: self.receiver,
            });
        }
        self.credit = self
            .credit
            .checked_add(credit)
            .ok_or(NetError::CreditOverflow {
                channel: self.receiver,
                credit: self.credit,
                added: credit,
            })?;
        Ok(())
    }

    /// Takes the front buffer (or event) if there is one **and** credit for it; never sends
    /// without credit. Each decision uses up one credit.
    pub fn next_to_send(&mut self) -> Option<SendDecision> {
        if !self.can_send() {
            return None;
        }
        self.credit -= 1;
        self.queued -= 1;
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        Some(SendDecision {
            receiver: self.receiver,
            sequence,
            backlog: u32::try_from(self.queued).unwrap_or(u32::MAX),
        })
    }
}

#[derive(Debug, Clone)]
struct Slot {
    view: SenderView,
    ready: bool,
}

/// All sender views of one TCP connection, and which of them may send next.
///
/// A view is *ready* when it has data and credit. Ready views are served round-robin, one
/// buffer per turn, so a view without credit (a slow consumer) is simply not in the queue and
/// never holds up the others (Flink's `PartitionRequestQueue`).
#[derive(Debug, Clone, Default)]
pub struct ConnectionScheduler {
    views: BTreeMap<ChannelId, Slot>,
    ready: VecDeque<ChannelId>,
}

impl ConnectionScheduler {
    /// A scheduler with no views.
    pub fn new() -> Self {
        Self::default()
    }

    /// A `PartitionRequest` arrived: creates the view for `receiver` with its initial credit.
    ///
    /// A second request for a receiver id already on this connection is a peer violation.
    pub fn on_partition_request(
        &mut self,
        receiver: ChannelId,
        initial_credit: u32,
    ) -> Result<(), NetError> {
        if self.views.contains_key(&receiver) {
            return Err(NetError::DuplicateRequest { channel: receiver });
        }
        self.views.insert(
            receiver,
            Slot {
                view: SenderView::new(receiver, initial_credit),
                ready: false,
            },
        );
        Ok(())
    }

    /// The producer queued a buffer or event for `receiver` (local side; an unknown receiver
    /// is local misuse).
    pub fn on_buffer_available(&mut self, receiver: ChannelId) -> Result<(), NetError> {
        let slot = self
            .views
            .get_mut(&receiver)
            .ok_or(NetError::NoSuchChannel { channel: receiver })?;
        slot.view.on_buffer_available();
        Self::enqueue_if_ready(&mut self.ready, slot);
        Ok(())
    }

    /// An `AddCredit` arrived for `receiver`. Credit for a receiver with no view here, zero
    /// credit and overflowing credit are peer violations.
    pub fn on_credit(&mut self, receiver: ChannelId, credit: u32) -> Result<(), NetError> {
        let slot = self
            .views
            .get_mut(&receiver)
            .ok_or(NetError::UnknownReceiver { channel: receiver })?;
        slot.view.on_credit(credit)?;
        Self::enqueue_if_ready(&mut self.ready, slot);
        Ok(())
    }

    /// A `CancelPartitionRequest` arrived: drops the view and returns it (its `queued()` is
    /// the number of buffers the glue must release unsent), or `None` if there was none
    /// (cancelling twice is harmless, as in Flink).
    pub fn on_cancel(&mut self, receiver: ChannelId) -> Option<SenderView> {
        let slot = self.views.remove(&receiver)?;
        if slot.ready {
            self.ready.retain(|&r| r != receiver);
        }
        Some(slot.view)
    }

    /// A `CloseRequest` arrived (or the connection failed): drops every view and returns them.
    pub fn on_close(&mut self) -> Vec<SenderView> {
        self.ready.clear();
        std::mem::take(&mut self.views)
            .into_values()
            .map(|s| s.view)
            .collect()
    }

    /// The next buffer to write on the connection: from the ready view at the head of the
    /// queue, which goes to the back if it can send again. `None` when no view has both data
    /// and credit.
    pub fn next_to_send(&mut self) -> Option<SendDecision> {
        while let Some(receiver) = self.ready.pop_front() {
            let Some(slot) = self.views.get_mut(&receiver) else {
                continue;
            };
            slot.ready = false;
            let Some(decision) = slot.view.next_to_send() else {
                continue;
            };
            Self::enqueue_if_ready(&mut self.ready, slot);
            return Some(decision);
        }
        None
    }

    /// True if some view can send now.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The view for `receiver`, if any.
    pub fn view(&self, receiver: ChannelId) -> Option<&SenderView> {
        self.views.get(&receiver).map(|s| &s.view)
    }

    /// Number of views on this connection.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    /// True if the connection has no views.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    fn enqueue_if_ready(ready: &mut VecDeque<ChannelId>, slot: &mut Slot) {
        if !slot.ready && slot.view.can_send() {
            slot.ready = true;
            ready.push_back(slot.view.receiver);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ChannelId = ChannelId(1);
    const B: ChannelId = ChannelId(2);
    const C: ChannelId = ChannelId(3);

    #[test]
    fn view_never_sends_without_credit() {
        let mut v = SenderView::new(A, 0);
        v.on_buffer_available();
        assert!(!v.can_send());
        assert_eq!(v.next_to_send(), None);
        v.on_credit(1).unwrap();
        assert_eq!(
            v.next_to_send(),
            Some(SendDecision {
                receiver: A,
                sequence: 0,
                backlog: 0
            })
        );
        assert_eq!(v.credit(), 0);
        assert_eq!(v.next_to_send(), None);
    }

    #[test]
    fn view_never_sends_without_data() {
        let mut v = SenderView::new(A, 2);
        assert_eq!(v.next_to_send(), None);
        assert_eq!(v.credit(), 2);
    }

    #[test]
    fn view_reports_backlog_behind_each_buffer_and_counts_sequence() {
        let mut v = SenderView::new(A, 2);
        for _ in 0..4 {
            v.on_buffer_available();
        }
        let d0 = v.next_to_send().unwrap();
        let d1 = v.next_to_send().unwrap();
        assert_eq!((d0.sequence, d0.backlog), (0, 3));
        assert_eq!((d1.sequence, d1.backlog), (1, 2));
        assert_eq!(v.next_to_send(), None, "credit exhausted");
        v.on_credit(5).unwrap();
        let d2 = v.next_to_send().unwrap();
        assert_eq!((d2.sequence, d2.backlog), (2, 1));
        assert_eq!(v.queued(), 1);
        assert_eq!(v.credit(), 4);
    }

    #[test]
    fn zero_and_overflowing_credit_are_peer_violations() {
        let mut v = SenderView::new(A, u32::MAX - 1);
        let e = v.on_credit(0).unwrap_err();
        assert_eq!(e, NetError::ZeroCredit { channel: A });
        assert!(e.is_peer_violation());
        v.on_credit(1).unwrap();
        let e = v.on_credit(1).unwrap_err();
        assert!(matches!(e, NetError::CreditOverflow { .. }));
        assert!(e.is_peer_violation());
        assert_eq!(v.credit(), u32::MAX);
    }

    #[test]
    fn backlog_saturates_at_u32_max() {
        let mut v = SenderView::new(A, 1);
        v.queued = u64::from(u32::MAX) + 10;
        assert_eq!(v.next_to_send().unwrap().backlog, u32::MAX);
    }

    #[test]
    fn scheduler_round_robins_between_ready_views() {
        let mut s = ConnectionScheduler::new();
        for r in [A, B] {
            s.on_partition_request(r, 10).unwrap();
            for _ in 0..3 {
                s.on_buffer_available(r).unwrap();
            }
        }
        let order: Vec<_> = std::iter::from_fn(|| s.next_to_send())
            .map(|d| (d.receiver, d.sequence))
            .collect();
        assert_eq!(order, vec![(A, 0), (B, 0), (A, 1), (B, 1), (A, 2), (B, 2)]);
        assert!(!s.has_ready());
    }

    #[test]
    fn view_without_credit_does_not_block_others() {
        let mut s = ConnectionScheduler::new();
        s.on_partition_request(A, 0).unwrap(); // slow consumer: no credit
        s.on_partition_request(B, 2).unwrap();
        for _ in 0..5 {
            s.on_buffer_available(A).unwrap();
        }
        s.on_buffer_available(B).unwrap();
        s.on_buffer_available(B).unwrap();
        assert_eq!(s.next_to_send().map(|d| d.receiver), Some(B));
        assert_eq!(s.next_to_send().map(|d| d.receiver), Some(B));
        assert_eq!(s.next_to_send(), None);
        assert_eq!(s.view(A).unwrap().queued(), 5);
        // Credit for A makes it ready.
        s.on_credit(A, 1).unwrap();
        assert_eq!(
            s.next_to_send(),
            Some(SendDecision {
                receiver: A,
                sequence: 0,
                backlog: 4
            })
        );
    }

    #[test]
    fn credit_arriving_before_data_is_kept() {
        let mut s = ConnectionScheduler::new();
        s.on_partition_request(A, 0).unwrap();
        s.on_credit(A, 3).unwrap();
        assert!(!s.has_ready());
        s.on_buffer_available(A).unwrap();
        assert!(s.has_ready());
        assert_eq!(s.next_to_send().unwrap().receiver, A);
        assert_eq!(s.view(A).unwrap().credit(), 2);
    }

    #[test]
    fn view_is_queued_at_most_once() {
        let mut s = ConnectionScheduler::new();
        s.on_partition_request(A, 1).unwrap();
        s.on_buffer_available(A).unwrap();
        s.on_credit(A, 1).unwrap();
        s.on_buffer_available(A).unwrap();
        assert_eq!(s.ready.len(), 1);
        assert!(s.next_to_send().is_some());
        assert!(s.next_to_send().is_some());
        assert!(s.next_to_send().is_none());
    }

    #[test]
    fn duplicate_and_unknown_receivers() {
        let mut s = ConnectionScheduler::new();
        s.on_partition_request(A, 1).unwrap();
        let e = s.on_partition_request(A, 1).unwrap_err();
        assert_eq!(e, NetError::DuplicateRequest { channel: A });
        assert!(e.is_peer_violation());
        let e = s.on_credit(B, 1).unwrap_err();
        assert_eq!(e, NetError::UnknownReceiver { channel: B });
        assert!(e.is_peer_violation());
        let e = s.on_buffer_available(B).unwrap_err();
        assert_eq!(e, NetError::NoSuchChannel { channel: B });
        assert!(!e.is_peer_violation());
        // A rejected credit leaves the view unchanged.
        assert!(s.on_credit(A, 0).is_err());
        assert_eq!(s.view(A).unwrap().credit(), 1);
    }

    #[test]
    fn cancel_removes_a_ready_view() {
        let mut s = ConnectionScheduler::new();
        for r in [A, B, C] {
            s.on_partition_request(r, 1).unwrap();
            s.on_buffer_available(r).unwrap();
        }
        s.on_buffer_available(B).unwrap();
        let cancelled = s.on_cancel(B).unwrap();
        assert_eq!(cancelled.queued(), 2);
        assert!(s.on_cancel(B).is_none());
        let order: Vec<_> = std::iter::from_fn(|| s.next_to_send())
            .map(|d| d.receiver)
            .collect();
        assert_eq!(order, vec![A, C]);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn close_drops_all_views() {
        let mut s = ConnectionScheduler::new();
        s.on_partition_request(A, 1).unwrap();
        s.on_partition_request(B, 1).unwrap();
        s.on_buffer_available(A).unwrap();
        let views = s.on_close();
        assert_eq!(views.len(), 2);
        assert!(s.is_empty());
        assert_eq!(s.next_to_send(), None);
    }
}
