//! The reader thread of a consumer connection: decodes the stream with the zero-copy
//! [`FrameDecoder`], checks every buffer against the gate's credit state, copies its payload
//! into a buffer of the channel's receiver pool and pushes it into the input gate, in order.

use std::io::{ErrorKind, Read};
use std::sync::Arc;

use weir_core::memory::BufferBuilder;
use weir_core::runtime::exchange::GateShared;

use super::client::ClientConn;
use super::threads::lock;
use crate::credit::{ChannelId, Delivery};
use crate::wire::{BufferHeader, Decoded, FrameDecoder, Message};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

/// What happens to the payload of the buffer being decoded.
enum Current {
    /// Between buffers, or the payload is dropped.
    Skip,
    /// The payload is copied into `builder`, then pushed into `gate` as `input_channel`.
    Fill {
        id: ChannelId,
        builder: BufferBuilder,
        gate: Arc<GateShared>,
        input_channel: u32,
    },
}

/// Runs the reader of `conn` until the stream ends or the connection fails.
pub(crate) fn run(conn: Arc<ClientConn>, max_payload: u32) {
    let mut stream = match conn.stream.try_clone() {
        Ok(s) => s,
        Err(e) => return conn.fail(&format!("cannot clone socket: {e}")),
    };
    let mut decoder = FrameDecoder::new(max_payload);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut current = Current::Skip;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return conn.fail(&format!(
                    "read from the producer at {} failed: {e}",
                    conn.peer
                ))
            }
        };
        let mut input = &buf[..n];
        let mut last = false;
        loop {
            let (used, step) = match decoder.decode_next(input) {
                Ok(x) => x,
                Err(e) => {
                    return conn.fail(&format!(
                        "bad frame from the producer at {}: {e}",
                        conn.peer
                    ))
                }
            };
            input = &input[used..];
            let Some(step) = step else { break };
            match on_step(&conn, step, &mut current) {
                Ok(l) => last |= l,
                Err(reason) => return conn.fail(&reason),
            }
        }
        if last {
            conn.close_if_idle();
        }
    }
    if lock(&conn.state).failed.is_some() {
        return;
    }
    let reason = match decoder.finish() {
        Err(e) => format!("the producer at {} closed the connection: {e}", conn.peer),
        Ok(()) if conn.is_closing() => return,
        Ok(()) => format!(
            "the producer at {} closed the connection while channels were open",
            conn.peer
        ),
    };
    conn.fail(&reason);
}

/// Handles one decoded step; true if the last live channel ended.
fn on_step(conn: &ClientConn, step: Decoded<'_>, current: &mut Current) -> Result<bool, String> {
    match step {
        Decoded::BufferStart(h) => on_buffer_start(conn, &h, current),
        Decoded::Payload(bytes) => {
            if let Current::Fill { builder, .. } = current {
                // The header's length was checked against the builder's capacity.
                if builder.append(bytes) != bytes.len() {
                    return Err(format!(
                        "protocol violation by {}: payload larger than a buffer",
                        conn.peer
                    ));
                }
            }
            Ok(false)
        }
        Decoded::BufferEnd => {
            let Current::Fill {
                id,
                builder,
                gate,
                input_channel,
            } = std::mem::replace(current, Current::Skip)
            else {
                return Ok(false);
            };
            // Pushed outside the lock; only this thread pushes, so order per channel holds.
            if gate.push(input_channel, builder.finish_foreign()).is_ok() {
                return Ok(false);
            }
            // The consumer is gone (finished or cancelled): stop the channel.
            let last = lock(&conn.state).end_channel(id, true);
            conn.signal.notify();
            Ok(last)
        }
        Decoded::Message(Message::ErrorResponse {
            receiver_id: Some(r),
            message,
        }) => {
            let mut st = lock(&conn.state);
            let failed = st
                .channels
                .get(&ChannelId(r))
                .filter(|ch| !ch.ended)
                .map(|ch| (Arc::clone(&ch.gate), ch.name.clone()));
            let Some((gate, name)) = failed else {
                return Ok(false);
            };
            let last = st.end_channel(ChannelId(r), false);
            drop(st);
            gate.fail(format!("{name}: the producer reported: {message}"));
            conn.signal.notify();
            Ok(last)
        }
        Decoded::Message(Message::ErrorResponse {
            receiver_id: None,
            message,
        }) => Err(format!("the producer at {} reported: {message}", conn.peer)),
        Decoded::Message(other) => Err(format!(
            "protocol violation by {}: unexpected message from a producer: {other:?}",
            conn.peer
        )),
    }
}

fn on_buffer_start(
    conn: &ClientConn,
    h: &BufferHeader,
    current: &mut Current,
) -> Result<bool, String> {
    *current = Current::Skip;
    let id = ChannelId(h.receiver_id);
    let mut st = lock(&conn.state);
    let st = &mut *st;
    let Some(ch) = st.channels.get_mut(&id) else {
        st.outbox.push_back(Message::CancelPartitionRequest {
            receiver_id: h.receiver_id,
        });
        conn.signal.notify();
        return Ok(false);
    };
    if ch.ended {
        return Ok(false);
    }
    let gc = st
        .gates
        .get_mut(&ch.gate_key)
        .ok_or_else(|| format!("internal error: {} has no gate", ch.name))?;
    let mut actions = Vec::new();
    let delivery = gc
        .on_buffer_received(id, h.sequence, h.backlog, &mut actions)
        .map_err(|e| format!("protocol violation by {}: {}: {e}", conn.peer, ch.name))?;
    let mut last = false;
    match delivery {
        Delivery::Accept if h.is_event => {
            // The end marker: the producer released the subpartition.
            if h.payload_len != 0 {
                return Err(format!(
                    "protocol violation by {}: {}: event with {} payload bytes",
                    conn.peer, ch.name, h.payload_len
                ));
            }
            gc.on_buffer_recycled(id, &mut actions)
                .map_err(|e| format!("internal error: {}: {e}", ch.name))?;
            last = st.end_channel(id, false);
        }
        Delivery::Accept => {
            let pool = ch
                .pool
                .as_ref()
                .ok_or_else(|| format!("internal error: {} has no pool", ch.name))?;
            let builder = pool.try_request().ok_or_else(|| {
                format!(
                    "internal error: {}: receiver buffers exhausted within credit",
                    ch.name
                )
            })?;
            ch.taken += 1;
            if h.payload_len as usize > builder.capacity() {
                return Err(format!(
                    "protocol violation by {}: {}: {} payload bytes exceed the buffer size {}",
                    conn.peer,
                    ch.name,
                    h.payload_len,
                    builder.capacity()
                ));
            }
            *current = Current::Fill {
                id,
                builder,
                gate: Arc::clone(&ch.gate),
                input_channel: ch.input_channel,
            };
        }
        Delivery::Discard => {}
        Delivery::DiscardAndCancel => st.outbox.push_back(Message::CancelPartitionRequest {
            receiver_id: h.receiver_id,
        }),
    }
    if st.gates.values().any(|g| g.has_pending_announcements()) || !st.outbox.is_empty() {
        conn.signal.notify();
    }
    Ok(last)
}
