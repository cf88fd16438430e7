//! weir-net: the TCP data plane with credit-based flow control, and the control plane.
//!
//! Module map:
//!
//! * [`credit`] holds I/O-free credit-based flow control, after Flink's network stack.
//!   * [`credit::receiver`] has [`GateCredits`] (one per input gate: exclusive buffers per
//!     channel, the shared floating pool and its fair listener queue, credit announcements)
//!     and [`ReceiverChannel`] (one channel's counts and sequence check).
//!   * [`credit::sender`] has [`SenderView`] (one subpartition view: credit, queued buffers,
//!     sequence numbers, backlog) and [`ConnectionScheduler`] (round-robin over the views of
//!     one connection that have both data and credit).
//! * [`wire`] has the length-prefixed frame format, [`wire::encode`], and the incremental
//!   decoders [`wire::FrameDecoder`] (zero-copy, streams payloads) and [`wire::Decoder`]
//!   (assembles whole [`wire::Message`]s).
//! * [`error`] has [`NetError`], the crate's one error type, classified by [`ErrorClass`] into
//!   peer protocol violations and local misuse.
//! * [`tcp`] is the TCP glue: [`tcp::TcpTransport`], weir-core's `ChannelTransport` over
//!   loopback TCP (a partition server and a client per TaskManager, std threads per
//!   connection), and [`tcp::TcpSink`], the producer end of a remote channel.
//!
//! `credit` and `wire` do no I/O: state machines take events and return actions, the codec
//! works on byte slices. `tcp` drives them (see the [`credit`] and [`wire`] docs).

pub mod credit;
pub mod error;
pub mod tcp;
pub mod wire;

pub use credit::{
    ChannelId, ConnectionScheduler, Delivery, GateCredits, ReceiverAction, ReceiverChannel,
    ReceiverConfig, SendDecision, SenderView,
};
pub use error::{ErrorClass, NetError};
pub use tcp::TcpTransport;
