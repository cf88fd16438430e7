//! The producer end of a remote channel: [`TcpSink`] queues finished buffers in a
//! [`Subpartition`], which a server connection drains against the receiver's credit.
//!
//! A subpartition lives from `connect` until the consumer's partition request *attaches* it
//! to a server connection (whose [`ConnectionScheduler`](crate::ConnectionScheduler) then
//! counts its items), and ends with the *end marker* once the producer dropped its sink: an
//! empty event `BufferResponse` telling the receiver that nothing more comes on this channel.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use weir_core::memory::Buffer;
use weir_core::runtime::exchange::{BufferSink, ExchangeError};

use super::server_conn::ServerConn;
use super::threads::lock;
use crate::credit::ChannelId;

/// What the server connection writes next for a subpartition.
pub(crate) enum Item {
    /// A data buffer.
    Buffer(Buffer),
    /// The end marker: the producer released the subpartition.
    End,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Buffer>,
    /// The sink was dropped: after the queue, the end marker goes out.
    released: bool,
    /// The end marker was handed to the writer.
    ended: bool,
    attached: Option<(Arc<ServerConn>, ChannelId)>,
    /// Why later sends fail (consumer cancelled, connection failed).
    failure: Option<String>,
}

/// The queue of one subpartition, shared by its sink and the server connection serving it.
pub(crate) struct Subpartition {
    name: String,
    state: Mutex<State>,
}

impl Subpartition {
    /// An unattached subpartition called `name` (used in error messages).
    pub(crate) fn new(name: String) -> Arc<Self> {
        Arc::new(Subpartition {
            name,
            state: Mutex::new(State::default()),
        })
    }

    /// Attaches the subpartition to `conn` as `receiver`; `register` is called, with this
    /// subpartition's lock held, with the number of items already waiting (buffers, plus the
    /// end marker if released) and must create the sender view and count them.
    pub(crate) fn attach(
        &self,
        conn: &Arc<ServerConn>,
        receiver: ChannelId,
        register: impl FnOnce(u64) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut st = lock(&self.state);
        if let Some(reason) = &st.failure {
            return Err(format!("{}: {reason}", self.name));
        }
        if st.attached.is_some() {
            return Err(format!("{} was requested twice", self.name));
        }
        let items = st.queue.len() as u64 + u64::from(st.released);
        register(items)?;
        st.attached = Some((Arc::clone(conn), receiver));
        Ok(())
    }

    /// The next item to write, after the scheduler granted one; `None` if the subpartition
    /// failed meanwhile (nothing to write).
    pub(crate) fn pop(&self) -> Option<Item> {
        let mut st = lock(&self.state);
        if st.failure.is_some() {
            return None;
        }
        if let Some(b) = st.queue.pop_front() {
            return Some(Item::Buffer(b));
        }
        if st.released && !st.ended {
            st.ended = true;
            st.attached = None;
            return Some(Item::End);
        }
        None
    }

    /// Fails the subpartition: later sends return `reason`, queued buffers are dropped
    /// (recycled to the producer's pool, which wakes a producer waiting for one).
    pub(crate) fn fail(&self, reason: &str) {
        let drained = {
            let mut st = lock(&self.state);
            if st.failure.is_none() {
                st.failure = Some(reason.to_owned());
            }
            st.attached = None;
            std::mem::take(&mut st.queue)
        };
        drop(drained);
    }

    fn push(&self, buffer: Buffer) -> Result<(), ExchangeError> {
        let mut st = lock(&self.state);
        if let Some(reason) = &st.failure {
            return Err(ExchangeError::Failed(format!("{}: {reason}", self.name)));
        }
        st.queue.push_back(buffer);
        if let Some((conn, receiver)) = &st.attached {
            conn.on_item_available(*receiver);
        }
        Ok(())
    }

    fn release(&self) {
        let mut st = lock(&self.state);
        if st.released {
            return;
        }
        st.released = true;
        if let Some((conn, receiver)) = &st.attached {
            conn.on_item_available(*receiver);
        }
    }
}

/// The [`BufferSink`] of a remote channel: `send` queues the buffer and returns at once;
/// a server connection writes it when the receiver has credit, then drops it (recycling it
/// to the producer's pool, which is what bounds the queue). Dropping the sink releases the
/// subpartition: after its last buffer the end marker goes out.
pub struct TcpSink {
    sub: Arc<Subpartition>,
}

impl TcpSink {
    pub(crate) fn new(sub: Arc<Subpartition>) -> Self {
        TcpSink { sub }
    }
}

impl BufferSink for TcpSink {
    fn send(&mut self, buffer: Buffer) -> Result<(), ExchangeError> {
        self.sub.push(buffer)
    }
}

impl Drop for TcpSink {
    fn drop(&mut self) {
        self.sub.release();
    }
}

impl std::fmt::Debug for TcpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpSink")
            .field("subpartition", &self.sub.name)
            .finish()
    }
}
