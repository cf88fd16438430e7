//! The consumer side: one connection per producer address, shared by every remote input
//! channel that reads from it. Each channel has its own receiver pool (so that a recycled
//! buffer tells which channel gets the credit back), and each input gate its
//! [`GateCredits`] on the connection. The writer thread turns recycled buffers into
//! `AddCredit`s and sends requests; the reader thread ([`super::client_reader`]) copies
//! buffers into the pools and hands them to the gates.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use weir_core::memory::{LocalBufferPool, NetworkBufferPool};
use weir_core::runtime::exchange::GateShared;

use super::threads::{lock, Signal, Threads};
use crate::credit::{ChannelId, GateCredits, ReceiverAction, ReceiverConfig};
use crate::wire::{encode, Message, PartitionId};

/// How long connecting to a producer may take before the channel fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections that accept new channels, by producer address.
type OpenConns = Mutex<HashMap<SocketAddr, Arc<ClientConn>>>;

/// The consumer side of a TaskManager's data plane.
pub(crate) struct Client {
    network: Arc<NetworkBufferPool>,
    config: ReceiverConfig,
    threads: Arc<Threads>,
    open: Arc<OpenConns>,
    all: Mutex<Vec<Weak<ClientConn>>>,
}

impl Client {
    pub(crate) fn new(
        network: Arc<NetworkBufferPool>,
        config: ReceiverConfig,
        threads: Arc<Threads>,
    ) -> Self {
        Client {
            network,
            config,
            threads,
            open: Arc::new(Mutex::new(HashMap::new())),
            all: Mutex::new(Vec::new()),
        }
    }

    /// Opens a remote input channel: `gate`'s channel `input_channel` reads subpartition
    /// `subpartition` of `partition` from the producer at `addr`.
    pub(crate) fn open_channel(
        &self,
        addr: SocketAddr,
        partition: PartitionId,
        subpartition: u32,
        gate: Arc<GateShared>,
        input_channel: u32,
    ) -> Result<(), String> {
        if self.threads.is_stopping() {
            return Err("the TCP transport is shut down".into());
        }
        let mut open = lock(&self.open);
        let conn = match open.get(&addr) {
            Some(c) => Arc::clone(c),
            None => {
                let c = self.connect(addr)?;
                open.insert(addr, Arc::clone(&c));
                c
            }
        };
        let name = format!(
            "input channel {input_channel} of '{}' (partition {}/{} subpartition {subpartition} at {addr})",
            gate.name(),
            partition.vertex,
            partition.subtask,
        );
        let pool_size =
            (self.config.buffers_per_channel + self.config.floating_buffers_per_gate) as usize;
        let pool = self
            .network
            .create_local_pool(&format!("{name} receiver"), pool_size)
            .map_err(|e| e.to_string())?;
        let mut st = lock(&conn.state);
        if let Some(reason) = &st.failed {
            return Err(format!("{name}: {reason}"));
        }
        let id = ChannelId(st.next_id);
        st.next_id = st
            .next_id
            .checked_add(1)
            .ok_or_else(|| format!("{name}: too many channels on one connection"))?;
        let key = Arc::as_ptr(&gate) as usize;
        let config = self.config;
        let credits = match st.gates.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(GateCredits::new(config).map_err(|e| e.to_string())?)
            }
        };
        let initial_credit = credits.add_channel(id).map_err(|e| e.to_string())?;
        pool.set_recycle_listener(Some(conn.signal.waker()));
        st.channels.insert(
            id,
            RecvChannel {
                gate_key: key,
                gate,
                input_channel,
                pool: Some(pool),
                taken: 0,
                recycled: 0,
                ended: false,
                name,
            },
        );
        st.live += 1;
        st.outbox.push_back(Message::PartitionRequest {
            receiver_id: id.0,
            partition,
            subpartition,
            initial_credit,
        });
        drop(st);
        conn.signal.notify();
        Ok(())
    }

    fn connect(&self, addr: SocketAddr) -> Result<Arc<ClientConn>, String> {
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
            .map_err(|e| format!("cannot connect to the producer at {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let max_payload = u32::try_from(self.network.segment_size())
            .map_err(|_| "segment size does not fit the wire format".to_owned())?;
        let conn = Arc::new(ClientConn {
            peer: addr,
            stream,
            open: Arc::clone(&self.open),
            state: Mutex::new(RecvState::default()),
            signal: Arc::new(Signal::default()),
        });
        {
            let mut all = lock(&self.all);
            all.retain(|c| c.strong_count() > 0);
            all.push(Arc::downgrade(&conn));
        }
        let r = Arc::clone(&conn);
        let w = Arc::clone(&conn);
        let started = self
            .threads
            .spawn(format!("weir-tcp-recv {addr}"), true, move || {
                super::client_reader::run(r, max_payload)
            })
            .and_then(|()| {
                self.threads
                    .spawn(format!("weir-tcp-credit {addr}"), true, move || {
                        w.run_writer()
                    })
            });
        if let Err(e) = started {
            // Not listed in `open` yet, and without channels: failing is just this.
            let reason = format!("cannot start a connection thread: {e}");
            lock(&conn.state).failed = Some(reason.clone());
            let _ = conn.stream.shutdown(Shutdown::Both);
            conn.signal.notify();
            return Err(reason);
        }
        Ok(conn)
    }

    /// Fails every connection (transport shutdown): their threads end.
    pub(crate) fn stop(&self) {
        let all = std::mem::take(&mut *lock(&self.all));
        for c in all.iter().filter_map(Weak::upgrade) {
            c.fail("the TCP transport was shut down");
        }
    }
}

/// One remote input channel on a connection.
pub(crate) struct RecvChannel {
    pub(crate) gate_key: usize,
    pub(crate) gate: Arc<GateShared>,
    pub(crate) input_channel: u32,
    /// The channel's receiver pool; dropped once the channel ended and all came back.
    pub(crate) pool: Option<LocalBufferPool>,
    /// Buffers taken from the pool by the reader.
    pub(crate) taken: u64,
    /// Of those, how many were seen back (fed to `on_buffer_recycled`).
    pub(crate) recycled: u64,
    /// No longer live: end marker received, cancelled, or failed.
    pub(crate) ended: bool,
    pub(crate) name: String,
}

/// Everything the reader and writer threads of one connection share.
#[derive(Default)]
pub(crate) struct RecvState {
    pub(crate) gates: HashMap<usize, GateCredits>,
    pub(crate) channels: HashMap<ChannelId, RecvChannel>,
    next_id: u32,
    /// Channels not ended; at zero the connection closes.
    live: usize,
    pub(crate) outbox: VecDeque<Message>,
    closing: bool,
    pub(crate) failed: Option<String>,
}

impl RecvState {
    /// Ends channel `id` (cancelling it at the producer if `cancel`); true if that was the
    /// last live channel of the connection.
    pub(crate) fn end_channel(&mut self, id: ChannelId, cancel: bool) -> bool {
        let Some(ch) = self.channels.get_mut(&id) else {
            return false;
        };
        if ch.ended {
            return false;
        }
        ch.ended = true;
        if let Some(gc) = self.gates.get_mut(&ch.gate_key) {
            let mut actions = Vec::new();
            let _ = gc.cancel_channel(id, &mut actions);
        }
        if cancel {
            self.outbox
                .push_back(Message::CancelPartitionRequest { receiver_id: id.0 });
        }
        self.live -= 1;
        self.live == 0
    }

    /// Feeds buffers the consumers dropped to the credit state; ends channels whose gate
    /// closed (consumer finished or cancelled). True if the last live channel ended.
    fn collect_recycles(&mut self) -> Result<bool, String> {
        let mut actions: Vec<ReceiverAction> = Vec::new();
        let mut closed = Vec::new();
        for (&id, ch) in &mut self.channels {
            let Some(pool) = &ch.pool else { continue };
            let back = ch.taken.saturating_sub(pool.in_use() as u64);
            if let Some(gc) = self.gates.get_mut(&ch.gate_key) {
                while ch.recycled < back {
                    ch.recycled += 1;
                    if let Err(e) = gc.on_buffer_recycled(id, &mut actions) {
                        if !ch.ended {
                            return Err(format!("internal error: {}: {e}", ch.name));
                        }
                    }
                }
            }
            if !ch.ended && ch.gate.is_closed() {
                closed.push(id);
            }
            if ch.ended && ch.recycled == ch.taken {
                pool.set_recycle_listener(None);
                ch.pool = None;
            }
        }
        let mut last = false;
        for id in closed {
            last |= self.end_channel(id, true);
        }
        Ok(last)
    }
}

/// A connection to one producer address.
pub(crate) struct ClientConn {
    pub(crate) peer: SocketAddr,
    pub(crate) stream: TcpStream,
    open: Arc<OpenConns>,
    pub(crate) state: Mutex<RecvState>,
    pub(crate) signal: Arc<Signal>,
}

impl ClientConn {
    /// After the last live channel ended: stop taking channels and send `CloseRequest`.
    pub(crate) fn close_if_idle(self: &Arc<Self>) {
        let mut open = lock(&self.open);
        let mut st = lock(&self.state);
        if st.live > 0 || st.closing || st.failed.is_some() {
            return;
        }
        st.closing = true;
        st.outbox.push_back(Message::CloseRequest);
        if open.get(&self.peer).is_some_and(|c| Arc::ptr_eq(c, self)) {
            open.remove(&self.peer);
        }
        drop((st, open));
        self.signal.notify();
    }

    /// Fails the connection: every live channel's gate fails with `reason` (its consumer
    /// reports it), the socket closes and both threads end.
    pub(crate) fn fail(self: &Arc<Self>, reason: &str) {
        let mut open = lock(&self.open);
        if open.get(&self.peer).is_some_and(|c| Arc::ptr_eq(c, self)) {
            open.remove(&self.peer);
        }
        let mut st = lock(&self.state);
        drop(open);
        if st.failed.is_some() {
            return;
        }
        st.failed = Some(reason.to_owned());
        st.live = 0;
        let mut gates = Vec::new();
        for ch in st.channels.values_mut() {
            if !ch.ended {
                ch.ended = true;
                gates.push((Arc::clone(&ch.gate), format!("{}: {reason}", ch.name)));
            }
        }
        drop(st);
        for (gate, why) in gates {
            gate.fail(why);
        }
        let _ = self.stream.shutdown(Shutdown::Both);
        self.signal.notify();
    }

    /// Whether the connection sent `CloseRequest` (a later end of stream is expected).
    pub(crate) fn is_closing(&self) -> bool {
        lock(&self.state).closing
    }

    /// The writer thread: credit announcements and requests, until closed or failed.
    fn run_writer(self: Arc<Self>) {
        let mut stream = match self.stream.try_clone() {
            Ok(s) => s,
            Err(e) => return self.fail(&format!("cannot clone socket: {e}")),
        };
        let mut bytes = Vec::new();
        loop {
            let mut msgs = Vec::new();
            let last;
            {
                let mut st = lock(&self.state);
                if st.failed.is_some() {
                    return;
                }
                match st.collect_recycles() {
                    Ok(l) => last = l,
                    Err(e) => {
                        drop(st);
                        return self.fail(&e);
                    }
                }
                for gc in st.gates.values_mut() {
                    while let Some(ReceiverAction::AnnounceCredit { channel, credit }) =
                        gc.next_announcement()
                    {
                        msgs.push(Message::AddCredit {
                            receiver_id: channel.0,
                            credit,
                        });
                    }
                }
                msgs.extend(st.outbox.drain(..));
            }
            bytes.clear();
            let closing = msgs.contains(&Message::CloseRequest);
            for m in &msgs {
                // Control messages are small: encoding cannot fail.
                let _ = encode(m, &mut bytes);
            }
            if !bytes.is_empty() {
                if let Err(e) = stream.write_all(&bytes) {
                    return self.fail(&format!(
                        "write to the producer at {} failed: {e}",
                        self.peer
                    ));
                }
            }
            if closing {
                let _ = stream.shutdown(Shutdown::Write);
                return;
            }
            if last {
                // Queues `CloseRequest` behind what was just written.
                self.close_if_idle();
                continue;
            }
            if msgs.is_empty() {
                self.signal.wait();
            }
        }
    }
}
