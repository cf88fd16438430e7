//! The in-flight data of an unaligned checkpoint (Flink's channel state): per input channel,
//! what the task had not processed when it took its snapshot but its upstream had sent
//! before its barrier; per output channel, what the task had produced before the snapshot
//! but not yet handed to the channel (its backlog, waiting for buffers).
//!
//! On restore the task first writes its output logs, then reads each input channel's log
//! before the channel itself, so every record is processed exactly once.
//!
//! Encoding (little-endian): `u32` input count, then per input `u32` channel and a log;
//! `u32` output count, then per output `u32` writer, `u32` channel and a log. A log is a
//! `u32` entry count, then per entry a kind byte: 0 a record (`u32` length and the frame
//! payload), 1 a watermark (`i64`), 2 a watermark status (a byte: 0 active, 1 idle).

use crate::time::WatermarkStatus;

/// One thing in flight on a channel, in channel order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InFlightEntry {
    /// A record frame's payload (the archived record and its timestamp).
    Record(Vec<u8>),
    /// A watermark.
    Watermark(i64),
    /// A watermark status change.
    Status(WatermarkStatus),
}

/// The entries in flight on one channel.
pub type ChannelLog = Vec<InFlightEntry>;

/// A subtask's in-flight data for one unaligned checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelState {
    /// By input channel of the gate: what it delivered before its barrier and the task
    /// had not processed at its snapshot.
    pub inputs: Vec<(u32, ChannelLog)>,
    /// By (writer, subpartition): what the task produced before its snapshot and had not
    /// handed to the channel.
    pub outputs: Vec<(u32, u32, ChannelLog)>,
}

/// Channel state bytes that do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("in-flight data of an unaligned checkpoint is damaged: {0}")]
pub struct ChannelStateError(String);

const RECORD: u8 = 0;
const WATERMARK: u8 = 1;
const STATUS: u8 = 2;

impl ChannelState {
    /// Whether nothing was in flight.
    pub fn is_empty(&self) -> bool {
        self.inputs.iter().all(|(_, l)| l.is_empty())
            && self.outputs.iter().all(|(_, _, l)| l.is_empty())
    }

    /// The encoded bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_len(&mut out, self.inputs.len());
        for (ch, log) in &self.inputs {
            out.extend_from_slice(&ch.to_le_bytes());
            encode_log(log, &mut out);
        }
        put_len(&mut out, self.outputs.len());
        for (w, ch, log) in &self.outputs {
            out.extend_from_slice(&w.to_le_bytes());
            out.extend_from_slice(&ch.to_le_bytes());
            encode_log(log, &mut out);
        }
        out
    }

    /// Decodes what [`encode`](Self::encode) wrote; an error says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Self, ChannelStateError> {
        let mut r = Reader { bytes, pos: 0 };
        let mut state = Self::default();
        for _ in 0..r.u32("the number of input channels")? {
            let ch = r.u32("an input channel")?;
            state.inputs.push((ch, r.log()?));
        }
        for _ in 0..r.u32("the number of output channels")? {
            let w = r.u32("an output's writer")?;
            let ch = r.u32("an output channel")?;
            state.outputs.push((w, ch, r.log()?));
        }
        if r.pos != bytes.len() {
            return Err(ChannelStateError(format!(
                "{} bytes follow the last channel",
                bytes.len() - r.pos
            )));
        }
        Ok(state)
    }
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_le_bytes());
}

fn encode_log(log: &ChannelLog, out: &mut Vec<u8>) {
    put_len(out, log.len());
    for entry in log {
        match entry {
            InFlightEntry::Record(payload) => {
                out.push(RECORD);
                put_len(out, payload.len());
                out.extend_from_slice(payload);
            }
            InFlightEntry::Watermark(w) => {
                out.push(WATERMARK);
                out.extend_from_slice(&w.to_le_bytes());
            }
            InFlightEntry::Status(s) => {
                out.push(STATUS);
                out.push(u8::from(*s == WatermarkStatus::Idle));
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], ChannelStateError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(ChannelStateError(format!(
                "truncated at byte {} reading {what}",
                self.pos
            )));
        };
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u32(&mut self, what: &str) -> Result<u32, ChannelStateError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn log(&mut self) -> Result<ChannelLog, ChannelStateError> {
        let n = self.u32("the number of entries")?;
        let mut log = Vec::new();
        for _ in 0..n {
            let kind = self.take(1, "an entry's kind")?[0];
            log.push(match kind {
                RECORD => {
                    let len = self.u32("a record's length")? as usize;
                    InFlightEntry::Record(self.take(len, "a record")?.to_vec())
                }
                WATERMARK => {
                    let b = self.take(8, "a watermark")?;
                    let mut w = [0u8; 8];
                    w.copy_from_slice(b);
                    InFlightEntry::Watermark(i64::from_le_bytes(w))
                }
                STATUS => match self.take(1, "a watermark status")?[0] {
                    0 => InFlightEntry::Status(WatermarkStatus::Active),
                    1 => InFlightEntry::Status(WatermarkStatus::Idle),
                    other => {
                        return Err(ChannelStateError(format!(
                            "watermark status {other} at byte {} (0 or 1 expected)",
                            self.pos - 1
                        )))
                    }
                },
                other => {
                    return Err(ChannelStateError(format!(
                        "entry kind {other} at byte {} (0, 1 or 2 expected)",
                        self.pos - 1
                    )))
                }
            });
        }
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ChannelState {
        ChannelState {
            inputs: vec![
                (
                    0,
                    vec![
                        InFlightEntry::Record(b"abc".to_vec()),
                        InFlightEntry::Watermark(-5),
                    ],
                ),
                (3, vec![InFlightEntry::Status(WatermarkStatus::Idle)]),
            ],
            outputs: vec![(1, 2, vec![InFlightEntry::Record(vec![0; 40])])],
        }
    }

    #[test]
    fn channel_state_round_trips() {
        let s = sample();
        assert_eq!(ChannelState::decode(&s.encode()).unwrap(), s);
        assert!(!s.is_empty());
        let empty = ChannelState::default();
        assert!(empty.is_empty());
        assert_eq!(ChannelState::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn damaged_channel_state_is_an_error_not_a_panic() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            let e = ChannelState::decode(&bytes[..cut]).unwrap_err();
            assert!(e.to_string().contains("truncated"), "{e}");
        }
        let mut extra = bytes.clone();
        extra.push(9);
        assert!(ChannelState::decode(&extra)
            .unwrap_err()
            .to_string()
            .contains("follow"));
        let mut bad_kind = bytes;
        // inputs: count(4) ch(4) entries(4), then the first kind byte.
        bad_kind[12] = 7;
        assert!(ChannelState::decode(&bad_kind)
            .unwrap_err()
            .to_string()
            .contains("entry kind 7"));
    }
}
