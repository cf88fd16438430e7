//! Records: the [`Data`] bound every stream element satisfies, and [`Record`], a value
//! that is either owned (inside a chain) or read in place from a buffer (after a chain
//! boundary).
//!
//! On the wire a record is a frame payload: the rkyv bytes of the value followed by an
//! 8-byte little-endian timestamp trailer (`i64::MIN` when the record has none). The
//! rkyv root sits at the end of the rkyv bytes, so the trailer is split off first.

use std::marker::PhantomData;

use rkyv::rancor;
use rkyv::util::AlignedVec;
use rkyv::Archived;
use weir_state::StateCodec;

/// The timestamp value a record carries when it has none (Flink's `hasTimestamp == false`).
pub const NO_TIMESTAMP: i64 = i64::MIN;

/// Bytes of the timestamp trailer after the rkyv bytes of a record payload.
pub const TIMESTAMP_TRAILER: usize = 8;

/// A type that can flow through a stream: owned inside a chain, rkyv bytes between chains.
///
/// Implemented for every type that derives rkyv's `Archive`, `Serialize` and
/// `Deserialize` (with `CheckBytes` on its archived form, rkyv's default) and is
/// `Clone + Send + Sync + 'static`: exactly the types with a [`StateCodec`], so every
/// record type can also be kept in state and snapshotted (`Sync`: a snapshot shares the
/// state with the thread that writes it).
pub trait Data: StateCodec + Clone + Send + Sync + 'static {
    /// Appends the archived bytes of `self` to `out` (which starts 16-byte aligned).
    fn archive_into(&self, out: &mut AlignedVec) -> Result<(), RecordError>;
    /// Deserialises an archived value into an owned one.
    fn from_archived(archived: &Archived<Self>) -> Result<Self, RecordError>;
    /// Checks that `bytes` hold a valid archive of `Self` (bytes from outside the process).
    fn check_archived(bytes: &[u8]) -> Result<&Archived<Self>, RecordError>;
}

impl<T: StateCodec + Clone + Send + Sync + 'static> Data for T {
    fn archive_into(&self, out: &mut AlignedVec) -> Result<(), RecordError> {
        let buf = std::mem::take(out);
        match rkyv::api::high::to_bytes_in::<_, rancor::Error>(self, buf) {
            Ok(buf) => {
                *out = buf;
                Ok(())
            }
            Err(e) => Err(RecordError::Serialize(e.to_string())),
        }
    }

    fn from_archived(archived: &Archived<Self>) -> Result<Self, RecordError> {
        rkyv::api::high::deserialize::<T, rancor::Error>(archived)
            .map_err(|e| RecordError::Deserialize(e.to_string()))
    }

    fn check_archived(bytes: &[u8]) -> Result<&Archived<Self>, RecordError> {
        rkyv::api::high::access::<Archived<T>, rancor::Error>(bytes)
            .map_err(|e| RecordError::Invalid(e.to_string()))
    }
}

/// Why a record could not be archived, read or restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// rkyv refused to serialise the value.
    #[error("cannot serialise record: {0}")]
    Serialize(String),
    /// rkyv refused to deserialise the archived value.
    #[error("cannot deserialise record: {0}")]
    Deserialize(String),
    /// Bytes from outside the process are not a valid archive of the record type.
    #[error("invalid record bytes: {0}")]
    Invalid(String),
    /// A record payload is shorter than its timestamp trailer.
    #[error("record payload of {0} bytes is shorter than its {TIMESTAMP_TRAILER}-byte trailer")]
    Truncated(usize),
}

/// The archived bytes of one record of type `T`, known to be valid, read in place.
pub struct InPlace<'a, T: Data> {
    bytes: &'a [u8],
    _type: PhantomData<fn() -> T>,
}

impl<T: Data> Clone for InPlace<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Data> Copy for InPlace<'_, T> {}

impl<'a, T: Data> InPlace<'a, T> {
    /// Wraps bytes the engine itself archived from a `T` into an aligned buffer.
    ///
    /// # Safety
    /// `bytes` must be exactly the output of [`Data::archive_into`] for a value of `T`,
    /// starting at an address aligned for `Archived<T>` (16 bytes suffices).
    pub unsafe fn trusted(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            _type: PhantomData,
        }
    }

    /// Wraps bytes from outside the process after validating them.
    pub fn validated(bytes: &'a [u8]) -> Result<Self, RecordError> {
        T::check_archived(bytes)?;
        Ok(Self {
            bytes,
            _type: PhantomData,
        })
    }

    /// The archived value, borrowed from the buffer.
    pub fn get(&self) -> &'a Archived<T> {
        // SAFETY: an `InPlace` is only built by `trusted` (whose caller guarantees the
        // bytes are a valid, aligned archive of `T`) or by `validated` (which checked them).
        unsafe { rkyv::access_unchecked::<Archived<T>>(self.bytes) }
    }

    /// The raw archived bytes (for copying into another buffer without re-serialising).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Deserialises into an owned value.
    pub fn to_owned_value(&self) -> Result<T, RecordError> {
        T::from_archived(self.get())
    }
}

/// One stream element as an operator receives it.
pub enum Record<'a, T: Data> {
    /// An owned value (inside an operator chain).
    Owned(T),
    /// A value its emitter keeps (a source reusing one value for every record): read
    /// it, or clone it to keep it.
    Borrowed(&'a T),
    /// A value read in place from a network buffer (at the head of a chain).
    InPlace(InPlace<'a, T>),
}

/// A record seen through a reference: a value, or archived bytes read in place.
pub enum RecordRef<'b, T: Data> {
    /// An owned or borrowed value.
    Value(&'b T),
    /// Archived bytes, read in place.
    InPlace(InPlace<'b, T>),
}

impl<T: Data> Record<'_, T> {
    /// The owned value: cloned when borrowed, deserialised when read in place.
    pub fn into_owned(self) -> Result<T, RecordError> {
        match self {
            Record::Owned(v) => Ok(v),
            Record::Borrowed(v) => Ok(v.clone()),
            Record::InPlace(p) => p.to_owned_value(),
        }
    }

    /// A copy of this record (clones an owned value; a borrowed or in-place one is a
    /// cheap copy of the reference).
    pub fn duplicate(&self) -> Record<'_, T> {
        match self {
            Record::Owned(v) => Record::Borrowed(v),
            Record::Borrowed(v) => Record::Borrowed(v),
            Record::InPlace(p) => Record::InPlace(*p),
        }
    }

    /// The record as a value or as archived bytes, without copying either.
    pub fn view(&self) -> RecordRef<'_, T> {
        match self {
            Record::Owned(v) => RecordRef::Value(v),
            Record::Borrowed(v) => RecordRef::Value(v),
            Record::InPlace(p) => RecordRef::InPlace(*p),
        }
    }

    /// Applies `f` to the value, deserialising a record read in place first.
    pub fn with_value<R>(&self, f: impl FnOnce(&T) -> R) -> Result<R, RecordError> {
        match self {
            Record::Owned(v) => Ok(f(v)),
            Record::Borrowed(v) => Ok(f(v)),
            Record::InPlace(p) => Ok(f(&p.to_owned_value()?)),
        }
    }
}

/// Splits a record frame payload into its rkyv bytes and timestamp.
pub fn split_payload(payload: &[u8]) -> Result<(&[u8], i64), RecordError> {
    if payload.len() < TIMESTAMP_TRAILER {
        return Err(RecordError::Truncated(payload.len()));
    }
    let (body, ts) = payload.split_at(payload.len() - TIMESTAMP_TRAILER);
    let mut raw = [0u8; TIMESTAMP_TRAILER];
    raw.copy_from_slice(ts);
    Ok((body, i64::from_le_bytes(raw)))
}

/// Archives records into a reused aligned scratch buffer, trailer included.
#[derive(Default)]
pub struct RecordSerializer {
    scratch: AlignedVec,
}

impl RecordSerializer {
    /// A serializer with an empty scratch buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frame payload for a record: rkyv bytes (or the given in-place bytes) + timestamp.
    pub fn payload<T: Data>(
        &mut self,
        rec: &Record<'_, T>,
        timestamp: i64,
    ) -> Result<&[u8], RecordError> {
        self.scratch.clear();
        match rec.view() {
            RecordRef::Value(v) => v.archive_into(&mut self.scratch)?,
            RecordRef::InPlace(p) => self.scratch.extend_from_slice(p.bytes()),
        }
        self.scratch.extend_from_slice(&timestamp.to_le_bytes());
        Ok(&self.scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rkyv::{Archive, Deserialize, Serialize};

    #[derive(Archive, Serialize, Deserialize, Clone, Debug, PartialEq)]
    struct Bid {
        auction: i64,
        url: String,
    }

    #[test]
    fn payload_round_trips_in_place_and_owned() {
        let mut ser = RecordSerializer::new();
        let bid = Bid {
            auction: 7,
            url: "https://x".into(),
        };
        let payload = ser
            .payload(&Record::Owned(bid.clone()), 42)
            .unwrap()
            .to_vec();
        let mut aligned = AlignedVec::<16>::new();
        aligned.extend_from_slice(&payload);
        let (body, ts) = split_payload(&aligned).unwrap();
        assert_eq!(ts, 42);
        let rec = InPlace::<Bid>::validated(body).unwrap();
        assert_eq!(rec.get().auction, 7);
        assert_eq!(rec.get().url.as_str(), "https://x");
        assert_eq!(Record::InPlace(rec).into_owned().unwrap(), bid);
        // Copying an in-place record re-emits the same bytes without re-serialising.
        let again = ser.payload(&Record::InPlace(rec), 42).unwrap();
        assert_eq!(again, &payload[..]);
    }

    #[test]
    fn trusted_access_reads_engine_written_bytes() {
        let mut scratch = AlignedVec::new();
        Bid {
            auction: -3,
            url: String::new(),
        }
        .archive_into(&mut scratch)
        .unwrap();
        // SAFETY: the bytes were just archived from a `Bid` into an aligned vector.
        let rec = unsafe { InPlace::<Bid>::trusted(&scratch) };
        assert_eq!(rec.get().auction, -3);
    }

    #[test]
    fn garbage_bytes_are_rejected_not_read() {
        let mut aligned = AlignedVec::<16>::new();
        // 0xAB marks an out-of-line string whose offset points far outside the bytes.
        // (All-0xFF would be valid: rkyv pads inline strings with 0xFF.)
        aligned.extend_from_slice(&[0xAB; 24]);
        assert!(matches!(
            InPlace::<Bid>::validated(&aligned),
            Err(RecordError::Invalid(_))
        ));
        assert_eq!(
            split_payload(&[1, 2]).err(),
            Some(RecordError::Truncated(2))
        );
    }
}
