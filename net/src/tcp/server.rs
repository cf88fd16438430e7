//! The partition server: listens on 127.0.0.1 (ephemeral port), keeps the subpartitions
//! waiting for their consumer's partition request, and runs one [`ServerConn`] per accepted
//! connection.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, Weak};

use super::server_conn::ServerConn;
use super::subpartition::{Subpartition, TcpSink};
use super::threads::{lock, Threads};
use crate::wire::PartitionId;

/// The producer side of a TaskManager's data plane.
pub(crate) struct PartitionServer {
    addr: SocketAddr,
    threads: Arc<Threads>,
    /// Subpartitions registered by `connect` and not yet requested.
    waiting: Mutex<HashMap<(PartitionId, u32), Arc<Subpartition>>>,
    conns: Mutex<Vec<Weak<ServerConn>>>,
}

impl PartitionServer {
    /// Binds 127.0.0.1 on an ephemeral port and starts the accepting thread.
    pub(crate) fn start(threads: Arc<Threads>) -> io::Result<Arc<Self>> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let server = Arc::new(PartitionServer {
            addr,
            threads: Arc::clone(&threads),
            waiting: Mutex::new(HashMap::new()),
            conns: Mutex::new(Vec::new()),
        });
        let s = Arc::clone(&server);
        threads.spawn(format!("weir-tcp-accept {addr}"), false, move || {
            s.accept_loop(listener)
        })?;
        Ok(server)
    }

    /// The address consumers connect to.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Registers subpartition `subpartition` of `partition` and returns its producer end.
    pub(crate) fn register(
        &self,
        partition: PartitionId,
        subpartition: u32,
        name: String,
    ) -> Result<TcpSink, String> {
        let mut waiting = lock(&self.waiting);
        if waiting.contains_key(&(partition, subpartition)) {
            return Err(format!("{name} is already registered at {}", self.addr));
        }
        let sub = Subpartition::new(name);
        waiting.insert((partition, subpartition), Arc::clone(&sub));
        Ok(TcpSink::new(sub))
    }

    /// Takes the subpartition a partition request names.
    pub(crate) fn take_subpartition(
        &self,
        partition: PartitionId,
        subpartition: u32,
    ) -> Option<Arc<Subpartition>> {
        lock(&self.waiting).remove(&(partition, subpartition))
    }

    /// Stops accepting, fails every open connection and every subpartition still waiting.
    pub(crate) fn stop(&self) {
        // Wake the accepting thread; it sees `stopping` and ends.
        let _ = TcpStream::connect(self.addr);
        let conns = std::mem::take(&mut *lock(&self.conns));
        for c in conns.iter().filter_map(Weak::upgrade) {
            c.abort("the TCP transport was shut down");
        }
        let waiting = std::mem::take(&mut *lock(&self.waiting));
        for sub in waiting.values() {
            sub.fail("the TCP transport was shut down before the consumer asked for it");
        }
    }

    fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        for stream in listener.incoming() {
            if self.threads.is_stopping() {
                return;
            }
            let Ok(stream) = stream else { continue };
            let Ok(peer) = stream.peer_addr() else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let conn = ServerConn::new(stream, peer);
            {
                let mut conns = lock(&self.conns);
                conns.retain(|c| c.strong_count() > 0);
                conns.push(Arc::downgrade(&conn));
            }
            // `stop` sets the flag before it takes `conns`: either it saw this connection
            // or we see the flag.
            if self.threads.is_stopping() {
                conn.abort("the TCP transport was shut down");
                return;
            }
            let (r, s) = (Arc::clone(&conn), Arc::clone(&self));
            let reader =
                self.threads
                    .spawn(format!("weir-tcp-serve-read {peer}"), true, move || {
                        r.run_reader(s)
                    });
            let w = Arc::clone(&conn);
            let writer = reader.and_then(|()| {
                self.threads
                    .spawn(format!("weir-tcp-serve-write {peer}"), true, move || {
                        w.run_writer()
                    })
            });
            if let Err(e) = writer {
                conn.abort(&format!("cannot start a connection thread: {e}"));
            }
        }
    }
}
