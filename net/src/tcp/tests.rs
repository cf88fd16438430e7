//! Connection-level tests of the TCP exchange, with hand-made gates, pools and peers.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use weir_core::cluster::ChannelTransport;
use weir_core::graph::execution_graph::ChannelSpec;
use weir_core::memory::{Arena, Buffer, LocalBufferPool, NetworkBufferPool};
use weir_core::runtime::exchange::{BufferSink, GateItem, GateShared};

use super::client::Client;
use super::threads::Threads;
use super::TcpTransport;
use crate::credit::ReceiverConfig;
use crate::wire::{encode, Decoder, Message, PartitionId};

/// Guards against hangs only: every wait below ends by an event long before.
const GUARD: Duration = Duration::from_secs(60);
const SEGMENT: usize = 256;
const CONFIG: ReceiverConfig = ReceiverConfig {
    buffers_per_channel: 2,
    floating_buffers_per_gate: 3,
};

fn network(segments: usize) -> Arc<NetworkBufferPool> {
    NetworkBufferPool::new(Arena::new(segments * SEGMENT, SEGMENT).unwrap())
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn this_thread_waker() -> Waker {
    Waker::from(Arc::new(Unpark(thread::current())))
}

/// Parks until `ready()` holds; the wake-ups come from `waker`s handed out beforehand.
fn park_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + GUARD;
    while !ready() {
        let now = Instant::now();
        assert!(now < deadline, "stuck waiting for {what}");
        thread::park_timeout(deadline - now);
    }
}

/// The next buffer of `gate`, or `None` once it is closed.
fn next(gate: &GateShared) -> Option<(u32, Buffer)> {
    let waker = this_thread_waker();
    let mut cx = Context::from_waker(&waker);
    let mut item = None;
    park_until("a buffer", || match gate.poll_next(&mut cx) {
        Poll::Ready(x) => {
            item = Some(x);
            true
        }
        Poll::Pending => false,
    });
    item.flatten().map(|(ch, item)| match item {
        GateItem::Whole(b) => (ch, b),
        GateItem::Open(_) => panic!("a remote channel delivers finished buffers only"),
        GateItem::Barrier { .. } => panic!("a remote channel sends barriers in band"),
    })
}

fn spec(edge: usize, producer: usize, subpartition: usize, input_channel: usize) -> ChannelSpec {
    ChannelSpec {
        edge,
        producer,
        subpartition,
        consumer: 0,
        input_channel,
    }
}

/// A buffer from `pool` holding `i` (little-endian u32).
fn numbered(pool: &LocalBufferPool, i: u32) -> Buffer {
    let mut b = pool
        .try_request()
        .expect("producer pool sized for the test");
    b.append(&i.to_le_bytes());
    b.finish()
}

fn number(b: &Buffer) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b.as_bytes()[..4]);
    u32::from_le_bytes(a)
}

#[test]
fn a_slow_channel_does_not_block_the_others_on_its_connection() {
    const N: u32 = 200;
    let net = network(1024);
    let transport = TcpTransport::new(Arc::clone(&net), CONFIG).unwrap();
    let slow_gate = GateShared::new("Slow (1/1)", N as usize + 1);
    let fast_gate = GateShared::new("Fast (1/1)", N as usize + 1);
    let mut slow = transport
        .connect(&spec(0, 0, 0, 0), slow_gate.clone())
        .unwrap();
    let mut fast = transport
        .connect(&spec(0, 0, 1, 0), fast_gate.clone())
        .unwrap();
    let slow_pool = net.create_local_pool("slow producer", N as usize).unwrap();
    let fast_pool = net.create_local_pool("fast producer", N as usize).unwrap();
    // The slow channel's whole backlog is queued first, on the same connection.
    for i in 0..N {
        slow.send(numbered(&slow_pool, i)).unwrap();
    }
    for i in 0..N {
        fast.send(numbered(&fast_pool, i)).unwrap();
    }
    // The slow consumer holds every buffer it gets (its credit never comes back)...
    let mut held = Vec::new();
    // ...while the fast one receives everything, in order.
    for i in 0..N {
        let (ch, b) = next(&fast_gate).unwrap();
        assert_eq!((ch, number(&b)), (0, i));
        assert!(b.is_foreign());
        // Meanwhile the slow channel got at most its credit: exclusive + all floating.
        let waker = this_thread_waker();
        while let Poll::Ready(Some((_, GateItem::Whole(b)))) =
            slow_gate.poll_next(&mut Context::from_waker(&waker))
        {
            held.push(b);
        }
        let most = CONFIG.buffers_per_channel + CONFIG.floating_buffers_per_gate;
        assert!(
            held.len() <= most as usize,
            "{} > credit {most}",
            held.len()
        );
    }
    assert!(held.len() < N as usize);
    // The slow consumer catches up: the rest follows, in order.
    let mut got: Vec<u32> = held.iter().map(number).collect();
    drop(held);
    while got.len() < N as usize {
        let (_, b) = next(&slow_gate).unwrap();
        got.push(number(&b));
    }
    assert_eq!(got, (0..N).collect::<Vec<_>>());
    drop((slow, fast));
    transport.shutdown(GUARD).unwrap();
    assert_eq!(
        slow_pool.in_use() + fast_pool.in_use(),
        0,
        "all written and recycled"
    );
    drop((slow_pool, fast_pool));
    assert_eq!(net.available_segments(), net.total_segments());
}

#[test]
fn a_closed_gate_cancels_its_channel_and_frees_the_producers_buffers() {
    let net = network(64);
    let transport = TcpTransport::new(Arc::clone(&net), CONFIG).unwrap();
    let gate = GateShared::new("Gone (1/1)", 32);
    let mut sink = transport.connect(&spec(3, 1, 0, 0), gate.clone()).unwrap();
    let pool = net.create_local_pool("producer", 20).unwrap();
    pool.set_recycle_listener(Some(this_thread_waker()));
    for i in 0..20 {
        sink.send(numbered(&pool, i)).unwrap();
    }
    let (_, first) = next(&gate).unwrap();
    gate.close(); // The consumer is cancelled while it holds a buffer.
    drop(first);
    park_until("the producer's buffers", || pool.in_use() == 0);
    // The buffers were dropped after the subpartition failed: sends fail from now on.
    let err = sink.send(numbered(&pool, 99)).unwrap_err().to_string();
    assert!(
        err.contains("cancelled") && err.contains("Gone (1/1)"),
        "{err}"
    );
    drop(sink);
    transport.shutdown(GUARD).unwrap();
}

#[test]
fn shutdown_with_an_open_channel_aborts_and_fails_its_gate() {
    let net = network(64);
    let transport = TcpTransport::new(Arc::clone(&net), CONFIG).unwrap();
    let gate = GateShared::new("Waiting (1/1)", 8);
    let sink = transport.connect(&spec(0, 0, 0, 0), gate.clone()).unwrap();
    assert!(
        transport.connection_threads() >= 2,
        "the client's two threads"
    );
    let err = transport.shutdown(Duration::ZERO).unwrap_err();
    assert!(err.contains("aborted"), "{err}");
    assert!(next(&gate).is_none());
    let reason = gate.failure().unwrap();
    assert!(
        reason.contains("shut down") && reason.contains("Waiting (1/1)"),
        "{reason}"
    );
    drop(sink);
}

#[test]
fn connection_refused_is_a_clear_error() {
    let addr = {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        l.local_addr().unwrap()
    };
    let threads = Arc::new(Threads::default());
    let client = Client::new(network(16), CONFIG, Arc::clone(&threads));
    let gate = GateShared::new("Map (1/1)", 4);
    let partition = PartitionId {
        vertex: 0,
        subtask: 0,
    };
    let err = client
        .open_channel(addr, partition, 0, gate, 0)
        .unwrap_err();
    assert!(
        err.contains("cannot connect") && err.contains(&addr.to_string()),
        "{err}"
    );
    threads.join_all().unwrap();
}

/// A fake producer: accepts one connection, reads the partition request, then writes
/// `reply(receiver_id)`; returns the client's gate once it failed.
fn fake_producer_reply(reply: impl FnOnce(u32) -> Vec<u8> + Send + 'static) -> Arc<GateShared> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut decoder = Decoder::new(1024);
        let mut msgs = Vec::new();
        let mut buf = [0u8; 256];
        while msgs.is_empty() {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "client closed before its request");
            decoder.feed(&buf[..n], &mut msgs).unwrap();
        }
        let Message::PartitionRequest { receiver_id, .. } = msgs[0] else {
            panic!("expected a partition request, got {:?}", msgs[0]);
        };
        s.write_all(&reply(receiver_id)).unwrap();
        // Hold the socket until the client closes it.
        while s.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
    let threads = Arc::new(Threads::default());
    let client = Client::new(network(16), CONFIG, Arc::clone(&threads));
    let gate = GateShared::new("Map (1/1)", 4);
    let partition = PartitionId {
        vertex: 7,
        subtask: 1,
    };
    client
        .open_channel(addr, partition, 2, gate.clone(), 0)
        .unwrap();
    // Valid buffers before the bad frame come through; then the gate fails.
    while next(&gate).is_some() {}
    threads.join_all().unwrap();
    peer.join().unwrap();
    gate
}

#[test]
fn garbage_from_the_producer_fails_the_gate_with_the_decode_error() {
    let gate = fake_producer_reply(|_| b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec());
    let reason = gate.failure().unwrap();
    assert!(
        reason.contains("bad frame") && reason.contains("magic"),
        "{reason}"
    );
    assert!(reason.contains("partition 7/1 subpartition 2"), "{reason}");
}

#[test]
fn an_out_of_order_buffer_fails_the_gate_as_a_protocol_violation() {
    let gate = fake_producer_reply(|receiver_id| {
        let mut bytes = Vec::new();
        for sequence in [0, 2] {
            let m = Message::BufferResponse {
                receiver_id,
                sequence,
                backlog: 0,
                is_event: false,
                payload: vec![1, 2, 3],
            };
            encode(&m, &mut bytes).unwrap();
        }
        bytes
    });
    let reason = gate.failure().unwrap();
    assert!(
        reason.contains("protocol violation") && reason.contains("expected sequence 1"),
        "{reason}"
    );
}

#[test]
fn a_bad_consumer_fails_the_producers_subpartition() {
    let net = network(32);
    let transport = TcpTransport::new(Arc::clone(&net), CONFIG).unwrap();
    let server = Arc::clone(&transport.server);
    let mut sink = server
        .register(
            PartitionId {
                vertex: 1,
                subtask: 0,
            },
            0,
            "sub".into(),
        )
        .unwrap();
    let mut s = TcpStream::connect(transport.local_addr()).unwrap();
    let mut bytes = Vec::new();
    let request = Message::PartitionRequest {
        receiver_id: 5,
        partition: PartitionId {
            vertex: 1,
            subtask: 0,
        },
        subpartition: 0,
        initial_credit: 1,
    };
    encode(&request, &mut bytes).unwrap();
    // Credit for a receiver this connection never requested.
    encode(
        &Message::AddCredit {
            receiver_id: 6,
            credit: 1,
        },
        &mut bytes,
    )
    .unwrap();
    s.write_all(&bytes).unwrap();
    // The server answers with a connection-wide ErrorResponse and closes.
    let mut decoder = Decoder::new(4096);
    let mut msgs = Vec::new();
    let mut buf = [0u8; 1024];
    while msgs.is_empty() {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed without an error response");
        decoder.feed(&buf[..n], &mut msgs).unwrap();
    }
    let Message::ErrorResponse {
        receiver_id: None,
        message,
    } = &msgs[0]
    else {
        panic!("expected an error response, got {:?}", msgs[0]);
    };
    assert!(message.contains("no such receiver"), "{message}");
    drop(s);
    let pool = net.create_local_pool("producer", 1).unwrap();
    let err = sink.send(numbered(&pool, 0)).unwrap_err().to_string();
    assert!(err.contains("no such receiver"), "{err}");
    drop(sink);
    drop(server);
    transport.shutdown(GUARD).unwrap();
}
