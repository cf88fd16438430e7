//! One accepted connection of the partition server (the producer side): a reader thread
//! applying the consumer's control messages to a [`ConnectionScheduler`], and a writer
//! thread sending the scheduled buffers, round-robin among the channels with credit.

use std::collections::{HashMap, VecDeque};
use std::io::{BufWriter, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};

use super::server::PartitionServer;
use super::subpartition::{Item, Subpartition};
use super::threads::{lock, Signal};
use crate::credit::{ChannelId, ConnectionScheduler, SendDecision};
use crate::wire::{encode, encode_buffer_header, BufferHeader, Decoder, Message};

/// Largest control-message text the server accepts from a consumer.
const MAX_CONTROL_PAYLOAD: u32 = 64 * 1024;
/// Buffers the writer takes from the scheduler per lock.
const BATCH: usize = 16;

#[derive(Default)]
struct State {
    scheduler: ConnectionScheduler,
    /// Attached subpartitions by receiver; a view whose end marker went out stays in the
    /// scheduler (credit may still arrive for it) but leaves this map.
    subs: HashMap<ChannelId, Arc<Subpartition>>,
    outbox: VecDeque<Message>,
    /// The consumer sent `CloseRequest` or closed its side.
    closing: bool,
    failed: Option<String>,
    /// `fail` has failed the subpartitions and queued its error response.
    fail_done: bool,
}

/// A server connection, shared by its reader and writer threads and the subpartitions
/// attached to it.
pub(crate) struct ServerConn {
    peer: SocketAddr,
    stream: TcpStream,
    state: Mutex<State>,
    signal: Arc<Signal>,
}

impl ServerConn {
    pub(crate) fn new(stream: TcpStream, peer: SocketAddr) -> Arc<Self> {
        Arc::new(ServerConn {
            peer,
            stream,
            state: Mutex::new(State::default()),
            signal: Arc::new(Signal::default()),
        })
    }

    /// A producer queued a buffer (or released) the subpartition attached as `receiver`.
    /// Called with that subpartition's lock held.
    pub(crate) fn on_item_available(&self, receiver: ChannelId) {
        let mut st = lock(&self.state);
        if st.failed.is_some() {
            return;
        }
        if st.scheduler.on_buffer_available(receiver).is_ok() && st.scheduler.has_ready() {
            drop(st);
            self.signal.notify();
        }
    }

    /// Fails the connection: every attached subpartition fails with `reason` (so that its
    /// producer learns of it at its next send), the consumer gets an `ErrorResponse` if
    /// `tell_peer`, and the writer closes the socket.
    pub(crate) fn fail(&self, reason: &str, tell_peer: bool) {
        let subs = {
            let mut st = lock(&self.state);
            if st.failed.is_some() {
                return;
            }
            st.failed = Some(reason.to_owned());
            st.scheduler.on_close();
            std::mem::take(&mut st.subs)
        };
        let why = format!(
            "connection to the consumer at {} failed: {reason}",
            self.peer
        );
        for sub in subs.values() {
            sub.fail(&why);
        }
        // Only now may the writer tell the peer and stop: the producers know first.
        {
            let mut st = lock(&self.state);
            if tell_peer {
                st.outbox.push_back(Message::ErrorResponse {
                    receiver_id: None,
                    message: reason.to_owned(),
                });
            }
            st.fail_done = true;
        }
        self.signal.notify();
        if !tell_peer {
            let _ = self.stream.shutdown(Shutdown::Both);
        }
    }

    /// Forcibly closes the socket (transport shutdown); both threads then end.
    pub(crate) fn abort(&self, reason: &str) {
        self.fail(reason, false);
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    fn on_message(self: &Arc<Self>, server: &PartitionServer, msg: Message) -> Result<(), String> {
        match msg {
            Message::PartitionRequest {
                receiver_id,
                partition,
                subpartition,
                initial_credit,
            } => {
                let receiver = ChannelId(receiver_id);
                let Some(sub) = server.take_subpartition(partition, subpartition) else {
                    lock(&self.state).outbox.push_back(Message::ErrorResponse {
                        receiver_id: Some(receiver_id),
                        message: format!(
                            "no subpartition {subpartition} of partition {}/{} is waiting at {}",
                            partition.vertex,
                            partition.subtask,
                            server.local_addr()
                        ),
                    });
                    self.signal.notify();
                    return Ok(());
                };
                let attached = sub.attach(self, receiver, |items| {
                    let mut st = lock(&self.state);
                    if let Some(reason) = &st.failed {
                        return Err(reason.clone());
                    }
                    st.scheduler
                        .on_partition_request(receiver, initial_credit)
                        .map_err(|e| e.to_string())?;
                    for _ in 0..items {
                        // The view was just created, so this cannot fail.
                        let _ = st.scheduler.on_buffer_available(receiver);
                    }
                    st.subs.insert(receiver, Arc::clone(&sub));
                    Ok(())
                });
                if let Err(e) = attached {
                    sub.fail(&e);
                    return Err(e);
                }
                self.signal.notify();
            }
            Message::AddCredit {
                receiver_id,
                credit,
            } => {
                let mut st = lock(&self.state);
                st.scheduler
                    .on_credit(ChannelId(receiver_id), credit)
                    .map_err(|e| e.to_string())?;
                if st.scheduler.has_ready() {
                    drop(st);
                    self.signal.notify();
                }
            }
            Message::CancelPartitionRequest { receiver_id } => {
                let sub = {
                    let mut st = lock(&self.state);
                    st.scheduler.on_cancel(ChannelId(receiver_id));
                    st.subs.remove(&ChannelId(receiver_id))
                };
                if let Some(sub) = sub {
                    sub.fail("the consumer cancelled the channel");
                }
            }
            Message::CloseRequest => {
                lock(&self.state).closing = true;
                self.signal.notify();
            }
            other @ (Message::BufferResponse { .. } | Message::ErrorResponse { .. }) => {
                return Err(format!(
                    "unexpected {} from a consumer",
                    match other {
                        Message::BufferResponse { .. } => "BufferResponse",
                        _ => "ErrorResponse",
                    }
                ));
            }
        }
        Ok(())
    }

    /// The reader thread: control messages in, until the consumer closes or the connection
    /// fails.
    pub(crate) fn run_reader(self: Arc<Self>, server: Arc<PartitionServer>) {
        let mut stream = match self.stream.try_clone() {
            Ok(s) => s,
            Err(e) => return self.fail(&format!("cannot clone socket: {e}"), false),
        };
        let mut decoder = Decoder::new(MAX_CONTROL_PAYLOAD);
        let mut buf = vec![0u8; 4096];
        let mut msgs = Vec::new();
        let mut violated = false;
        loop {
            let n = match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.fail(&format!("read failed: {e}"), false);
                    return;
                }
            };
            if violated {
                continue; // Drain until the consumer closes after our ErrorResponse.
            }
            let fed = decoder.feed(&buf[..n], &mut msgs);
            for m in msgs.drain(..) {
                if let Err(e) = self.on_message(&server, m) {
                    self.fail(&format!("protocol violation by {}: {e}", self.peer), true);
                    violated = true;
                    break;
                }
            }
            if let Err(e) = fed {
                if !violated {
                    self.fail(&format!("bad frame from {}: {e}", self.peer), true);
                    violated = true;
                }
            }
        }
        let end = decoder.finish();
        let mut st = lock(&self.state);
        st.closing = true;
        let dirty = !st.subs.is_empty() || end.is_err();
        drop(st);
        if dirty && !violated {
            self.fail(
                &format!("the consumer at {} closed the connection early", self.peer),
                false,
            );
        }
        self.signal.notify();
    }

    /// The writer thread: buffers against credit, round-robin; error responses.
    pub(crate) fn run_writer(self: Arc<Self>) {
        let stream = match self.stream.try_clone() {
            Ok(s) => s,
            Err(e) => return self.fail(&format!("cannot clone socket: {e}"), false),
        };
        let mut out = BufWriter::with_capacity(64 * 1024, stream);
        let mut header = Vec::with_capacity(64);
        let mut batch: Vec<(SendDecision, Arc<Subpartition>)> = Vec::with_capacity(BATCH);
        loop {
            let (outbox, stop) = {
                let mut st = lock(&self.state);
                while batch.len() < BATCH {
                    let Some(d) = st.scheduler.next_to_send() else {
                        break;
                    };
                    if let Some(sub) = st.subs.get(&d.receiver) {
                        batch.push((d, Arc::clone(sub)));
                    }
                }
                let stop = st.fail_done || (st.closing && batch.is_empty());
                (std::mem::take(&mut st.outbox), stop)
            };
            let wrote = !outbox.is_empty() || !batch.is_empty();
            let mut result = Ok(());
            for m in &outbox {
                header.clear();
                if encode(m, &mut header).is_ok() {
                    result = result.and_then(|()| out.write_all(&header));
                }
            }
            for (d, sub) in batch.drain(..) {
                let item = sub.pop();
                let (payload, is_event): (&[u8], bool) = match &item {
                    Some(Item::Buffer(b)) => (b.as_bytes(), false),
                    Some(Item::End) => {
                        lock(&self.state).subs.remove(&d.receiver);
                        (&[], true)
                    }
                    None => continue,
                };
                header.clear();
                let h = BufferHeader {
                    receiver_id: d.receiver.0,
                    sequence: d.sequence,
                    backlog: d.backlog,
                    is_event,
                    // A segment is far smaller than 4 GiB.
                    payload_len: payload.len() as u32,
                };
                if encode_buffer_header(&h, &mut header).is_ok() {
                    result = result
                        .and_then(|()| out.write_all(&header))
                        .and_then(|()| out.write_all(payload));
                }
                // Dropping the item here recycles the buffer to the producer's pool.
            }
            if wrote {
                result = result.and_then(|()| out.flush());
            }
            if let Err(e) = result {
                self.fail(&format!("write failed: {e}"), false);
                break;
            }
            if stop {
                break;
            }
            if !wrote {
                self.signal.wait();
            }
        }
        let _ = out.flush();
        // Failed with an ErrorResponse: let the consumer read it, then it closes.
        let failed = lock(&self.state).failed.is_some();
        let _ = out.get_ref().shutdown(if failed {
            Shutdown::Write
        } else {
            Shutdown::Both
        });
    }
}
