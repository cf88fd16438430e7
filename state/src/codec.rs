//! [`StateCodec`]: how keys, namespaces and values of state become bytes in a snapshot and
//! come back, with rkyv.
//!
//! Implemented for every type whose rkyv archive can be written, validated and read back
//! (derive `rkyv::{Archive, Serialize, Deserialize}`). The rkyv bounds are supertraits, so
//! a generic `T: StateCodec` also gives `Vec<T>`, `(T, T)`, `Option<T>`… a codec.
//!
//! Decoding takes bytes from outside the process (a checkpoint file): they are copied into
//! an aligned buffer and validated (rkyv's `check_bytes`) before anything is read, so
//! arbitrary bytes give an error, never undefined behaviour or a panic.

use std::cell::RefCell;

use rkyv::api::high::{HighDeserializer, HighSerializer, HighValidator};
use rkyv::bytecheck::CheckBytes;
use rkyv::rancor;
use rkyv::ser::allocator::ArenaHandle;
use rkyv::util::AlignedVec;
use rkyv::{Archive, Deserialize, Serialize};

use crate::error::StateError;

/// A type of keyed or operator state that can be written to a snapshot and read back.
///
/// Every rkyv type with a validating archive implements it; the provided methods are the
/// whole codec.
pub trait StateCodec:
    Sized
    + Archive<
        Archived: for<'a> CheckBytes<HighValidator<'a, rancor::Error>>
                      + Deserialize<Self, HighDeserializer<rancor::Error>>,
    > + for<'a> Serialize<HighSerializer<AlignedVec, ArenaHandle<'a>, rancor::Error>>
{
    /// Appends the encoded bytes of `self` to `out` (not self-delimiting: the snapshot
    /// writes their length first).
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        SCRATCH.with(|scratch| {
            let mut buf = scratch.take();
            buf.clear();
            let buf = rkyv::api::high::to_bytes_in::<_, rancor::Error>(self, buf).map_err(|e| {
                StateError::Codec {
                    type_name: std::any::type_name::<Self>(),
                    reason: e.to_string(),
                }
            })?;
            out.extend_from_slice(&buf);
            scratch.replace(buf);
            Ok(())
        })
    }

    /// Decodes a value from exactly the bytes `encode` wrote, validating them first.
    fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        SCRATCH.with(|scratch| {
            let mut buf = scratch.take();
            buf.clear();
            buf.extend_from_slice(bytes);
            let result =
                rkyv::from_bytes::<Self, rancor::Error>(&buf).map_err(|e| StateError::Codec {
                    type_name: std::any::type_name::<Self>(),
                    reason: e.to_string(),
                });
            scratch.replace(buf);
            result
        })
    }
}

impl<T> StateCodec for T where
    T: Archive<
            Archived: for<'a> CheckBytes<HighValidator<'a, rancor::Error>>
                          + Deserialize<T, HighDeserializer<rancor::Error>>,
        > + for<'a> Serialize<HighSerializer<AlignedVec, ArenaHandle<'a>, rancor::Error>>
{
}

thread_local! {
    /// A reused aligned buffer: rkyv writes into it, and bytes to decode are copied into
    /// it so that the archive is aligned whatever the alignment of the input.
    static SCRATCH: RefCell<AlignedVec> = RefCell::new(AlignedVec::new());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip<T: StateCodec + PartialEq + std::fmt::Debug>(value: T) {
        let mut out = vec![0xAA];
        value.encode(&mut out).unwrap();
        // Decoding from an unaligned slice works: the bytes are copied first.
        assert_eq!(T::decode(&out[1..]).unwrap(), value);
    }

    #[test]
    fn common_types_round_trip() {
        round_trip(());
        round_trip(7u64);
        round_trip(-3i32);
        round_trip("hello".to_string());
        round_trip(vec![(1u32, "a".to_string()), (2, "b".to_string())]);
        round_trip(Some(5i64));
        round_trip((1u8, 2u16, 3u32));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&[][..], &[1, 2, 3][..]] {
            let err = String::decode(bytes).unwrap_err();
            assert!(err.to_string().contains("String"), "{err}");
        }
        // A relative pointer far outside the buffer.
        assert!(Vec::<u64>::decode(&[0xFF; 8]).is_err());
        assert!(u64::decode(&[0; 7]).is_err());
    }

    fn generic_vec<T: StateCodec + Clone>(t: T) -> Vec<(T, T)> {
        // A generic `T: StateCodec` gives its compositions a codec too.
        let v = vec![(t.clone(), t)];
        let mut out = Vec::new();
        v.encode(&mut out).unwrap();
        Vec::<(T, T)>::decode(&out).unwrap()
    }

    #[test]
    fn compositions_of_generic_codecs() {
        assert_eq!(generic_vec(9u64), vec![(9, 9)]);
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = String::decode(&bytes);
            let _ = Vec::<(u32, String)>::decode(&bytes);
            let _ = Option::<i64>::decode(&bytes);
        }

        #[test]
        fn strings_round_trip(s in ".*", n in any::<i64>()) {
            let mut out = Vec::new();
            (s.clone(), n).encode(&mut out).unwrap();
            prop_assert_eq!(<(String, i64)>::decode(&out).unwrap(), (s, n));
        }
    }
}
