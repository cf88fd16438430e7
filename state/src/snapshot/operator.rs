//! Snapshots of operator list states (non-keyed) and their restore across a change of
//! parallelism, by each state's [`OperatorStateMode`] (Flink's `OperatorStateHandle` with
//! its `StateMetaInfo` offsets per state).
//!
//! ```text
//! magic "WEIROPST" (8) | version u32 | header length u32 | header | header crc32c u32
//! header:  states u32, per state: name str, mode u8, element type str,
//!          offset u64, length u64, crc32c u32
//! then per state, at its offset: elements u32, per element a value (u32 length, bytes)
//! ```
//!
//! A broadcast state (a map, Flink's `getBroadcastState`) is a state of mode broadcast
//! whose element type is its map type (`BroadcastState<K, V>`) and whose elements are its
//! entries, each a key value then a value value; its type keeps it from being read as a
//! list. New subtask `i` restores old subtask `i mod old parallelism`'s copy.

use std::io::Write;

use super::bytes::{
    crc, put_len, put_str, put_u32, put_u64, put_value, read_stream_header, stream_io,
    write_stream_header, Reader,
};
use crate::codec::StateCodec;
use crate::error::StateError;
use crate::operator_state::{
    redistribute_broadcast, redistribute_even_split, redistribute_union, BroadcastState,
    OperatorListState, OperatorStateMode,
};

/// The first 8 bytes of an operator state snapshot stream.
pub const OPERATOR_SNAPSHOT_MAGIC: [u8; 8] = *b"WEIROPST";

/// The version of the operator state snapshot format written (and the only one read).
pub const OPERATOR_SNAPSHOT_VERSION: u32 = 1;

const FORMAT: &str = "operator state snapshot";

/// What a snapshot records of one operator list state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorStateMeta {
    /// The state's name.
    pub name: String,
    /// How it is redistributed.
    pub mode: OperatorStateMode,
    /// Its element type (`std::any::type_name`): restoring as another type is refused.
    pub element_type: String,
}

/// Builds the snapshot of a subtask's operator list states (the encoding is the
/// synchronous part; [`Self::write_to`] the asynchronous one).
#[derive(Debug, Default)]
pub struct OperatorStateSnapshot {
    states: Vec<(OperatorStateMeta, Vec<u8>)>,
}

impl OperatorStateSnapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the list state `name`: its mode and its elements, encoded now.
    pub fn add_list<T: StateCodec>(
        &mut self,
        name: &str,
        state: &OperatorListState<T>,
    ) -> Result<(), StateError> {
        self.check_new(name)?;
        let mut bytes = Vec::new();
        put_len(&mut bytes, state.len(), "an operator list state")?;
        for element in state.get() {
            put_value(&mut bytes, element)?;
        }
        self.push(name, state.mode(), std::any::type_name::<T>(), bytes);
        Ok(())
    }

    /// Adds the broadcast state `name`: its entries, encoded now.
    pub fn add_broadcast<K, V>(
        &mut self,
        name: &str,
        state: &BroadcastState<K, V>,
    ) -> Result<(), StateError>
    where
        K: StateCodec + Eq + std::hash::Hash,
        V: StateCodec,
    {
        self.check_new(name)?;
        let mut bytes = Vec::new();
        put_len(&mut bytes, state.len(), "a broadcast state")?;
        for (key, value) in state.entries() {
            put_value(&mut bytes, key)?;
            put_value(&mut bytes, value)?;
        }
        let map_type = std::any::type_name::<BroadcastState<K, V>>();
        self.push(name, OperatorStateMode::Broadcast, map_type, bytes);
        Ok(())
    }

    fn check_new(&self, name: &str) -> Result<(), StateError> {
        if self.states.iter().any(|(m, _)| m.name == name) {
            return Err(StateError::StateConflict {
                state: name.to_owned(),
                registered: "already in this snapshot".into(),
                requested: "added again".into(),
            });
        }
        Ok(())
    }

    fn push(&mut self, name: &str, mode: OperatorStateMode, element_type: &str, bytes: Vec<u8>) {
        let meta = OperatorStateMeta {
            name: name.to_owned(),
            mode,
            element_type: element_type.to_owned(),
        };
        self.states.push((meta, bytes));
    }

    /// Writes the snapshot stream to `out`.
    pub fn write_to(&self, out: &mut impl Write) -> Result<(), StateError> {
        let mut head = Vec::new();
        put_len(&mut head, self.states.len(), "the number of states")?;
        let mut table_len = 0;
        for (meta, _) in &self.states {
            table_len += 4 + meta.name.len() + 1 + 4 + meta.element_type.len() + 8 + 8 + 4;
        }
        let mut offset = (8 + 4 + 4 + 4 + table_len + 4) as u64;
        for (meta, bytes) in &self.states {
            put_str(&mut head, &meta.name)?;
            head.push(mode_code(meta.mode));
            put_str(&mut head, &meta.element_type)?;
            put_u64(&mut head, offset);
            put_u64(&mut head, bytes.len() as u64);
            put_u32(&mut head, crc(bytes));
            offset += bytes.len() as u64;
        }
        debug_assert_eq!(
            head.len(),
            4 + table_len,
            "offsets assume this header length"
        );
        write_stream_header(
            out,
            &OPERATOR_SNAPSHOT_MAGIC,
            OPERATOR_SNAPSHOT_VERSION,
            &head,
        )?;
        for (_, bytes) in &self.states {
            out.write_all(bytes).map_err(stream_io)?;
        }
        Ok(())
    }

    /// The snapshot stream, in memory.
    pub fn to_bytes(&self) -> Result<Vec<u8>, StateError> {
        let mut out = Vec::new();
        self.write_to(&mut out)?;
        Ok(out)
    }
}

fn mode_code(mode: OperatorStateMode) -> u8 {
    match mode {
        OperatorStateMode::SplitDistribute => 1,
        OperatorStateMode::Union => 2,
        OperatorStateMode::Broadcast => 3,
    }
}

fn mode_of(code: u8) -> Option<OperatorStateMode> {
    Some(match code {
        1 => OperatorStateMode::SplitDistribute,
        2 => OperatorStateMode::Union,
        3 => OperatorStateMode::Broadcast,
        _ => return None,
    })
}

/// A parsed operator state snapshot stream: header checked, states read on demand.
#[derive(Debug)]
pub struct OperatorStateReader<'a> {
    stream: &'a [u8],
    /// Per state: its meta, offset, length, crc32c, and its name in errors.
    states: Vec<(OperatorStateMeta, u64, u64, u32, String)>,
}

impl<'a> OperatorStateReader<'a> {
    /// Parses and checks the header of `stream` (magic, version, checksum).
    pub fn new(stream: &'a [u8]) -> Result<Self, StateError> {
        let mut h = read_stream_header(
            stream,
            &OPERATOR_SNAPSHOT_MAGIC,
            OPERATOR_SNAPSHOT_VERSION,
            FORMAT,
        )?;
        let count = h.u32("number of states")?;
        let mut states = Vec::new();
        for _ in 0..count {
            let name = h.str("state name")?;
            let at = h.offset();
            let mode = mode_of(h.u8("state mode")?)
                .ok_or_else(|| h.corrupt_at(at, "state mode", "unknown mode"))?;
            let element_type = h.str("element type")?;
            let offset = h.u64("state offset")?;
            let len = h.u64("state length")?;
            let crc = h.u32("state checksum")?;
            let meta = OperatorStateMeta {
                name,
                mode,
                element_type,
            };
            let what = format!("operator state '{}'", meta.name);
            states.push((meta, offset, len, crc, what));
        }
        Ok(Self { stream, states })
    }

    /// The states in the snapshot.
    pub fn states(&self) -> impl Iterator<Item = &OperatorStateMeta> + '_ {
        self.states.iter().map(|(m, ..)| m)
    }

    /// The list state `name` with its mode, `None` if the snapshot has none of that name;
    /// an error if its element type is not `T` or its bytes are damaged.
    pub fn list<T: StateCodec>(
        &self,
        name: &str,
    ) -> Result<Option<OperatorListState<T>>, StateError> {
        let Some((meta, mut r)) = self.section(name, std::any::type_name::<T>(), "elements")?
        else {
            return Ok(None);
        };
        let count = r.u32("element count")? as usize;
        let mut elements = Vec::with_capacity(count.min(r.remaining() / 4));
        for _ in 0..count {
            elements.push(r.value::<T>("element")?);
        }
        if !r.is_empty() {
            return Err(r.corrupt_at(r.offset(), "elements", "bytes after the last element"));
        }
        Ok(Some(OperatorListState::with_elements(meta.mode, elements)))
    }

    /// The broadcast state `name`, `None` if the snapshot has none of that name; an error
    /// if it is not a broadcast state of `K → V` or its bytes are damaged.
    pub fn broadcast<K, V>(&self, name: &str) -> Result<Option<BroadcastState<K, V>>, StateError>
    where
        K: StateCodec + Eq + std::hash::Hash,
        V: StateCodec,
    {
        let map_type = std::any::type_name::<BroadcastState<K, V>>();
        let Some((_, mut r)) = self.section(name, map_type, "a map")? else {
            return Ok(None);
        };
        let count = r.u32("entry count")? as usize;
        let mut state = BroadcastState::new();
        for _ in 0..count {
            let key = r.value::<K>("key")?;
            let value = r.value::<V>("value")?;
            state.put(key, value);
        }
        if !r.is_empty() {
            return Err(r.corrupt_at(r.offset(), "entries", "bytes after the last entry"));
        }
        Ok(Some(state))
    }

    /// The meta and checked bytes of state `name`, if any; an error if its element type is
    /// not `element_type` (`what` names that type for the reader) or its checksum fails.
    fn section(
        &self,
        name: &str,
        element_type: &str,
        what_type: &str,
    ) -> Result<Option<(&OperatorStateMeta, Reader<'_>)>, StateError> {
        let found = self.states.iter().find(|(m, ..)| m.name == name);
        let Some((meta, offset, len, expected, what)) = found else {
            return Ok(None);
        };
        if meta.element_type != element_type {
            return Err(StateError::SnapshotIncompatible {
                what: format!("operator state '{name}'"),
                snapshot: format!("{what_type} of type {}", meta.element_type),
                restoring: format!("{what_type} of type {element_type}"),
            });
        }
        let bytes = usize::try_from(*offset)
            .ok()
            .zip(usize::try_from(*len).ok())
            .and_then(|(o, l)| self.stream.get(o..o.checked_add(l)?))
            .ok_or_else(|| StateError::SnapshotTruncated {
                what: what.clone(),
                offset: *offset,
                needed: *len,
                available: (self.stream.len() as u64).saturating_sub(*offset),
            })?;
        let actual = crc(bytes);
        if actual != *expected {
            return Err(StateError::SnapshotChecksum {
                what: what.clone(),
                offset: *offset,
                expected: *expected,
                actual,
            });
        }
        Ok(Some((meta, Reader::new(bytes, *offset, what))))
    }
}

/// Restores the list state `name` for `new_parallelism` subtasks from the snapshots of
/// the old subtasks (`snapshots[i]` is old subtask `i`'s), redistributed by its mode
/// (even split, union or broadcast). `None` if no snapshot holds it; an error if the
/// snapshots disagree on its mode or any is damaged.
pub fn restore_list_state<T: StateCodec + Clone>(
    snapshots: &[&[u8]],
    name: &str,
    new_parallelism: u32,
) -> Result<Option<Vec<OperatorListState<T>>>, StateError> {
    let mut mode = None;
    let mut per_subtask = Vec::with_capacity(snapshots.len());
    for stream in snapshots {
        let list = OperatorStateReader::new(stream)?.list::<T>(name)?;
        if let Some(list) = &list {
            match mode {
                Some(m) if m != list.mode() => {
                    return Err(StateError::SnapshotIncompatible {
                        what: format!("operator state '{name}'"),
                        snapshot: format!("mode {:?} in one subtask", list.mode()),
                        restoring: format!("mode {m:?} in another"),
                    })
                }
                _ => mode = Some(list.mode()),
            }
        }
        per_subtask.push(
            list.map(OperatorListState::into_elements)
                .unwrap_or_default(),
        );
    }
    let Some(mode) = mode else {
        return Ok(None);
    };
    let lists = match mode {
        OperatorStateMode::SplitDistribute => {
            redistribute_even_split(per_subtask, new_parallelism)?
        }
        OperatorStateMode::Union => redistribute_union(&per_subtask, new_parallelism)?,
        OperatorStateMode::Broadcast => redistribute_broadcast(&per_subtask, new_parallelism)?,
    };
    Ok(Some(
        lists
            .into_iter()
            .map(|elements| OperatorListState::with_elements(mode, elements))
            .collect(),
    ))
}

/// Restores the broadcast state `name` for new subtask `subtask` from the snapshots of the
/// old subtasks (`snapshots[i]` is old subtask `i`'s): every copy is the same, and new
/// subtask `i` takes old subtask `i mod snapshots.len()`'s (Flink's rule, as in
/// [`redistribute_broadcast`]). `None` if there are no snapshots or that one lacks the
/// state; an error if it is damaged or of another type.
pub fn restore_broadcast_state<K, V>(
    snapshots: &[&[u8]],
    name: &str,
    subtask: u32,
) -> Result<Option<BroadcastState<K, V>>, StateError>
where
    K: StateCodec + Eq + std::hash::Hash,
    V: StateCodec,
{
    if snapshots.is_empty() {
        return Ok(None);
    }
    let old = subtask as usize % snapshots.len();
    OperatorStateReader::new(snapshots[old])?.broadcast(name)
}

#[cfg(test)]
#[path = "operator_tests.rs"]
mod tests;
