//! The TCP exchange: [`TcpTransport`] carries every channel of a job over TCP, with Flink's
//! credit-based flow control, as a [`ChannelTransport`] of weir-core's local cluster.
//!
//! # Shape
//!
//! A transport is one TaskManager's data plane, both ends:
//!
//! * the **partition server** (`server`) listens on 127.0.0.1, ephemeral port. `connect`
//!   registers the producer's subpartition there and returns a [`TcpSink`]: `send` queues the
//!   buffer and returns at once. Each accepted connection has a reader thread (partition
//!   requests, `AddCredit`, cancel, close → [`ConnectionScheduler`](crate::ConnectionScheduler))
//!   and a writer thread that sends, round-robin, the queued buffers of the channels that have
//!   credit; a written buffer is dropped, which recycles it to the producer's pool. A channel
//!   without credit is simply not scheduled, so it never holds up the others.
//! * the **client** (`client`) keeps one connection per producer address for every input
//!   channel reading from it. `connect` registers the channel with its gate's
//!   [`crate::GateCredits`] and sends the `PartitionRequest` with the exclusive
//!   buffers as initial credit. The reader thread copies each accepted payload into a buffer of
//!   the channel's own receiver pool (carved from the [`NetworkBufferPool`]), marks it foreign
//!   and pushes it into the gate with the spec's input channel index. The pool's recycle
//!   listener wakes the writer thread when the consumer drops a buffer; it feeds
//!   `on_buffer_recycled` and writes the resulting `AddCredit`s.
//!
//! The receiver pool is per channel (so a recycled buffer names its channel) and holds
//! `buffers_per_channel + floating_buffers_per_gate` segments, the most the channel can ever
//! hold; how many are in use is bounded by the gate's credit: at most
//! `channels × buffers_per_channel + floating_buffers_per_gate` per gate and connection.
//!
//! Partitions are named on the wire by the job edge (`PartitionId::vertex`) and producer
//! subtask; one job at a time per transport.
//!
//! # End of a channel, shutdown and failure
//!
//! * When the producer drops its sink (it has sent its end-of-partition buffer), an **end
//!   marker** follows its last buffer: an event `BufferResponse` with no payload, sent against
//!   credit like any buffer. The receiver then ends the channel. When a consumer's gate is
//!   closed (the consumer finished, or the job was cancelled) the receiver ends its channels
//!   with `CancelPartitionRequest`, and the server drops what was queued for them, which
//!   recycles the producer's buffers and wakes a producer waiting for one; its next `send`
//!   fails.
//! * A client connection whose last channel ended sends `CloseRequest` and half-closes; the
//!   server connection then closes, and all four threads end by themselves.
//! * [`TcpTransport::shutdown`] waits (bounded) for that, then stops the accepting thread,
//!   aborts whatever is left and joins every thread; dropping the transport does the same
//!   without waiting. Every blocking wait has a way out: reads and writes end when the socket
//!   is shut down, writers wait on a signal that failure and shutdown notify.
//! * A connection error, a malformed frame or a protocol violation fails the connection: the
//!   gates of its open channels fail with a message naming the channel, the peer and the
//!   error, so the consuming subtasks fail the job with it (`TaskError::Input`); producers
//!   whose subpartitions it served get that message from their next `send`.

mod client;
mod client_reader;
mod server;
mod server_conn;
mod subpartition;
mod threads;

#[cfg(test)]
mod tests;

pub use subpartition::TcpSink;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_core::cluster::ChannelTransport;
use weir_core::config::{self, Configuration};
use weir_core::graph::execution_graph::ChannelSpec;
use weir_core::memory::NetworkBufferPool;
use weir_core::runtime::exchange::{BufferSink, GateShared};

use self::client::Client;
use self::server::PartitionServer;
use self::threads::Threads;
use crate::credit::{GateCredits, ReceiverConfig};
use crate::wire::PartitionId;

/// Carries channels over TCP on loopback with credit-based flow control (see the
/// [module docs](self)).
pub struct TcpTransport {
    threads: Arc<Threads>,
    server: Arc<PartitionServer>,
    client: Client,
}

impl TcpTransport {
    /// A transport whose receivers take their buffers from `network` with the buffer counts
    /// of `receiver`; starts the partition server on 127.0.0.1, ephemeral port.
    pub fn new(network: Arc<NetworkBufferPool>, receiver: ReceiverConfig) -> io::Result<Self> {
        GateCredits::new(receiver)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let threads = Arc::new(Threads::default());
        let server = PartitionServer::start(Arc::clone(&threads))?;
        Ok(TcpTransport {
            client: Client::new(network, receiver, Arc::clone(&threads)),
            threads,
            server,
        })
    }

    /// [`new`](Self::new) with `taskmanager.network.memory.buffers-per-channel` (at least 1)
    /// and `…floating-buffers-per-gate` from `config`.
    pub fn from_config(
        network: Arc<NetworkBufferPool>,
        config: &Configuration,
    ) -> io::Result<Self> {
        let receiver = ReceiverConfig {
            buffers_per_channel: config.get(&config::NETWORK_BUFFERS_PER_CHANNEL).max(1),
            floating_buffers_per_gate: config.get(&config::NETWORK_EXTRA_BUFFERS_PER_GATE),
        };
        Self::new(network, receiver)
    }

    /// The address of the partition server.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Connection threads still running (two per connection end; 0 once every channel ended).
    pub fn connection_threads(&self) -> usize {
        self.threads.running()
    }

    /// Waits up to `grace` for every connection to close by itself (after a job, once the
    /// end markers have travelled), then closes whatever is left and joins every thread.
    /// An error says that connections had to be aborted, or that a thread panicked.
    pub fn shutdown(self, grace: Duration) -> Result<(), String> {
        let clean = self.threads.wait_connections(Instant::now() + grace);
        let left = self.threads.running();
        let joined = self.stop_and_join();
        if !clean {
            return Err(format!(
                "{left} TCP connection threads were still running after {grace:?}; aborted them"
            ));
        }
        joined
    }

    fn stop_and_join(&self) -> Result<(), String> {
        self.threads.stop();
        // Consumers first, so that their gates learn of the shutdown rather than of a
        // connection closed by the server.
        self.client.stop();
        self.server.stop();
        self.threads.join_all()
    }
}

impl Drop for TcpTransport {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

impl ChannelTransport for TcpTransport {
    fn connect(
        &self,
        spec: &ChannelSpec,
        gate: Arc<GateShared>,
    ) -> Result<Box<dyn BufferSink>, String> {
        let to_u32 = |v: usize, what: &str| {
            u32::try_from(v).map_err(|_| format!("{what} {v} does not fit the wire format"))
        };
        let partition = PartitionId {
            vertex: spec.edge as u64,
            subtask: to_u32(spec.producer, "producer subtask")?,
        };
        let subpartition = to_u32(spec.subpartition, "subpartition")?;
        let input_channel = to_u32(spec.input_channel, "input channel")?;
        let name = format!(
            "subpartition {subpartition} of edge {} producer {} (to '{}')",
            spec.edge,
            spec.producer,
            gate.name()
        );
        let sink = self.server.register(partition, subpartition, name)?;
        if let Err(e) = self.client.open_channel(
            self.local_addr(),
            partition,
            subpartition,
            gate,
            input_channel,
        ) {
            drop(self.server.take_subpartition(partition, subpartition));
            return Err(e);
        }
        Ok(Box::new(sink))
    }
}
