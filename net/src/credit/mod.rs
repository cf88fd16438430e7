//! Credit-based flow control, as in Flink's network stack (FLIP "credit-based flow control",
//! Flink 1.5+), as I/O-free state machines.
//!
//! * [`receiver`]: the consumer side. Each input channel owns `buffers_per_channel` exclusive
//!   buffers, granted to the sender as initial credit in the partition request; a gate-level
//!   pool of `floating_buffers_per_gate` floating buffers is shared by the gate's channels and
//!   handed out, fairly, to channels whose sender announces a backlog larger than their free
//!   buffers ([`GateCredits`]).
//! * [`sender`]: the producer side. Each subpartition view sends only against credit and tells
//!   the receiver its backlog with every buffer ([`SenderView`]); a [`ConnectionScheduler`]
//!   round-robins among the views of one TCP connection that have both data and credit, so a
//!   channel without credit never blocks the others multiplexed on that connection.
//!
//! The state machines take events and return actions; they own no buffers, sockets, clocks or
//! threads. Buffers are fungible here: the state machines count them, and the I/O glue moves
//! actual memory segments as the actions say.
//!
//! # Driving it from the TCP glue
//!
//! *Consumer side*, per input gate: `add_channel` gives the initial credit for the
//! `PartitionRequest`. Read the socket through [`crate::wire::FrameDecoder`]; on
//! `BufferStart` call [`GateCredits::on_buffer_received`]; on [`Delivery::Accept`] copy the
//! following `Payload` slices into one of that channel's free segments and hand it to the
//! consumer at `BufferEnd` (skip the payload on `Discard`, and also send
//! `CancelPartitionRequest` on `DiscardAndCancel`). When the consumer drops a buffer call
//! [`GateCredits::on_buffer_recycled`]. Apply `FloatingGranted`/`ReturnFloating` by moving
//! segments between the gate pool and the channel. Whenever the socket is writable, write an
//! `AddCredit` for each [`GateCredits::next_announcement`].
//!
//! *Producer side*, per connection: feed control messages to the [`ConnectionScheduler`]
//! (`PartitionRequest` → `on_partition_request`, `AddCredit` → `on_credit`, cancel/close →
//! `on_cancel`/`on_close`, releasing the returned views' unsent buffers). Keep each view's
//! finished buffers and events in a FIFO and call `on_buffer_available` per item. While the
//! socket is writable, for each [`ConnectionScheduler::next_to_send`] pop that view's FIFO
//! front and write [`crate::wire::encode_buffer_header`] followed by its bytes.
//!
//! Any error with [`crate::ErrorClass::PeerViolation`] fails the connection (send an
//! `ErrorResponse` with no receiver, close, fail every channel on it).

pub mod receiver;
pub mod sender;

pub use receiver::{Delivery, GateCredits, ReceiverAction, ReceiverChannel, ReceiverConfig};
pub use sender::{ConnectionScheduler, SendDecision, SenderView};

use std::fmt;

/// Identifies one input channel: the `receiver_id` on the wire.
///
/// Unique among the channels of one connection (sender side) and of one input gate (receiver
/// side); Flink uses a random 128-bit `InputChannelID`, Weir's control plane hands out `u32`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub u32);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel {}", self.0)
    }
}

#[cfg(test)]
mod proptests;
