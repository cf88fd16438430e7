//! The checkpointed state of a two-phase-commit sink: the open transaction and the
//! pre-committed ones by checkpoint id, with a versioned byte form.

use super::codec::{put_u32, put_u64, ByteReader, StateCodec};
use super::error::StateDecodeError;

/// The version byte that starts the encoded state.
pub const STATE_VERSION: u8 = 1;

/// What a checkpoint stores for one subtask of a two-phase-commit sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoPhaseCommitState<X> {
    /// The transaction open at the snapshot (aborted on restore).
    pub current: X,
    /// Pre-committed transactions not known to be committed, by increasing checkpoint id
    /// (committed on restore).
    pub pending: Vec<(u64, X)>,
}

impl<X: StateCodec> TwoPhaseCommitState<X> {
    /// The byte form: version, the framed current transaction, the count of pending
    /// ones, then each as checkpoint id and framed transaction.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![STATE_VERSION];
        put_framed(&mut out, &self.current);
        put_u32(&mut out, self.pending.len() as u32);
        for (id, txn) in &self.pending {
            put_u64(&mut out, *id);
            put_framed(&mut out, txn);
        }
        out
    }

    /// Reads the byte form back; any defect is an error naming its offset.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateDecodeError> {
        let mut r = ByteReader::new(bytes);
        let version = r.u8("version")?;
        if version != STATE_VERSION {
            return Err(StateDecodeError {
                offset: 0,
                reason: format!("unsupported version {version} (this build reads {STATE_VERSION})"),
            });
        }
        let current = get_framed(&mut r, "current transaction")?;
        let count = r.u32("pending count")?;
        let mut pending = Vec::new();
        let mut last = None;
        for _ in 0..count {
            let at = r.offset();
            let id = r.u64("checkpoint id")?;
            if last.is_some_and(|l| id <= l) {
                return Err(StateDecodeError {
                    offset: at,
                    reason: format!("checkpoint id {id} does not increase"),
                });
            }
            last = Some(id);
            pending.push((id, get_framed(&mut r, "pending transaction")?));
        }
        r.finish()?;
        Ok(Self { current, pending })
    }
}

fn put_framed<X: StateCodec>(out: &mut Vec<u8>, txn: &X) {
    let at = out.len();
    put_u32(out, 0);
    txn.encode(out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

fn get_framed<X: StateCodec>(r: &mut ByteReader<'_>, what: &str) -> Result<X, StateDecodeError> {
    let len = r.u32(what)? as usize;
    let base = r.offset();
    let mut inner = ByteReader::new(r.take(len, what)?);
    X::decode(&mut inner)
        .and_then(|x| inner.finish().map(|()| x))
        .map_err(|e| StateDecodeError {
            offset: base + e.offset,
            reason: format!("{what}: {}", e.reason),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    impl StateCodec for u64 {
        fn encode(&self, out: &mut Vec<u8>) {
            put_u64(out, *self);
        }
        fn decode(input: &mut ByteReader<'_>) -> Result<Self, StateDecodeError> {
            input.u64("value")
        }
    }

    fn sample() -> TwoPhaseCommitState<u64> {
        TwoPhaseCommitState {
            current: 9,
            pending: vec![(3, 7), (5, 8)],
        }
    }

    #[test]
    fn state_round_trips_through_bytes() {
        let s = sample();
        assert_eq!(TwoPhaseCommitState::from_bytes(&s.to_bytes()).unwrap(), s);
    }

    #[test]
    fn bad_state_bytes_are_a_clear_error() {
        let good = sample().to_bytes();
        let e = TwoPhaseCommitState::<u64>::from_bytes(&[]).unwrap_err();
        assert!(e.to_string().contains("version needs 1 bytes"), "{e}");
        let mut v = good.clone();
        v[0] = 9;
        let e = TwoPhaseCommitState::<u64>::from_bytes(&v).unwrap_err();
        assert!(e.to_string().contains("unsupported version 9"), "{e}");
        let e = TwoPhaseCommitState::<u64>::from_bytes(&good[..good.len() - 3]).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let mut v = good.clone();
        v.push(0);
        let e = TwoPhaseCommitState::<u64>::from_bytes(&v).unwrap_err();
        assert!(e.to_string().contains("1 trailing bytes"), "{e}");
        // A frame longer than its value: the transaction decoder left bytes unread.
        let mut v = vec![STATE_VERSION];
        put_u32(&mut v, 9);
        v.extend_from_slice(&[0; 9]);
        put_u32(&mut v, 0);
        let e = TwoPhaseCommitState::<u64>::from_bytes(&v).unwrap_err();
        assert_eq!(e.offset, 13);
        assert!(e.reason.contains("current transaction: 1 trailing"), "{e}");
        let unordered = TwoPhaseCommitState {
            current: 1,
            pending: vec![(5, 1), (5, 2)],
        };
        let e = TwoPhaseCommitState::<u64>::from_bytes(&unordered.to_bytes()).unwrap_err();
        assert!(e.reason.contains("does not increase"), "{e}");
    }
}
