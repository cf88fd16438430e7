//! Snapshots of a [`HeapKeyedStateBackend`] (and the timers of its operator) per key
//! group, and their restore into a backend of any key-group range (see the format in the
//! [module documentation](super)).
//!
//! - [`HeapKeyedStateBackend::snapshot`] is the synchronous part: it encodes every key
//!   group into a buffer of its own (the copy) and returns a [`KeyedStateSnapshot`] that
//!   owns them and no longer borrows the backend.
//! - [`KeyedStateSnapshot::write_to`] / [`KeyedStateSnapshot::to_bytes`] is the
//!   asynchronous part: header, key-group offsets and checksums, then the buffers.
//! - [`HeapKeyedStateBackend::restore`] reads the key groups of the backend's range out of
//!   one or more snapshot streams (rescaling: the streams of the old subtasks whose ranges
//!   intersect the new one). States not registered yet wait until they are registered;
//!   timers wait for [`HeapKeyedStateBackend::restore_timers`].

use std::collections::HashMap;
use std::io::Write;

use super::bytes::{
    crc, patch_u64_len, put_i64, put_len, put_str, put_u32, put_u64, put_value, stream_io,
    write_stream_header,
};
use super::bytes::{read_stream_header, reserve_u64, Reader};
use crate::error::StateError;
use crate::key_group::{assign_key_to_key_group, KeyGroupRange};
use crate::keyed::table::FrozenTable;
use crate::keyed::{BackendKey, HeapKeyedStateBackend, Namespace, StateKind};
use crate::timers::TimerQueue;

/// The first 8 bytes of a keyed state snapshot stream.
pub const KEYED_SNAPSHOT_MAGIC: [u8; 8] = *b"WEIRKEYD";

/// The version of the keyed state snapshot format written (and the only one read).
pub const KEYED_SNAPSHOT_VERSION: u32 = 1;

/// What the errors call the format.
const FORMAT: &str = "keyed state snapshot";

/// Bytes of one key group's entry in the offsets table: offset, length, crc32c.
const OFFSET_ENTRY_BYTES: usize = 8 + 8 + 4;

/// What a snapshot records of one registered state (Flink's `StateMetaInfoSnapshot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStateMeta {
    /// The state's name.
    pub name: String,
    /// Its kind.
    pub kind: StateKind,
    /// Whether its values carry TTL timestamps.
    pub timed: bool,
    /// Its kind and types, e.g. `ValueState<namespace (), value u64>`: restoring into a
    /// registration with another description is refused.
    pub description: String,
}

impl SnapshotStateMeta {
    fn describe(&self) -> String {
        describe_registration(&self.description, self.timed)
    }
}

fn describe_registration(description: &str, timed: bool) -> String {
    let ttl = if timed { "with TTL" } else { "without TTL" };
    format!("{description} {ttl}")
}

/// What a snapshot records of one timer service: its name and namespace type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotTimersMeta {
    /// The service's name (e.g. `event` and `processing` for the two time domains).
    pub name: String,
    /// The namespace type of its timers (`std::any::type_name`).
    pub namespace: String,
}

/// A queue of keyed timers that can be written into a keyed state snapshot, per key group
/// (implemented by [`TimerQueue`]).
pub trait SnapshotTimers<K> {
    /// The namespace type of the timers, recorded to refuse restoring into another.
    fn namespace_type(&self) -> &'static str;
    /// One buffer per key group of `range`: the timer count, then per timer its
    /// timestamp, registration sequence, key and namespace, by (timestamp, sequence).
    /// An error if a timer's key is outside `range`.
    fn encode_by_key_group(
        &self,
        range: KeyGroupRange,
        max_parallelism: u32,
    ) -> Result<Vec<Vec<u8>>, StateError>;
}

impl<K: BackendKey, N: Namespace> SnapshotTimers<K> for TimerQueue<K, N> {
    fn namespace_type(&self) -> &'static str {
        std::any::type_name::<N>()
    }

    fn encode_by_key_group(
        &self,
        range: KeyGroupRange,
        max_parallelism: u32,
    ) -> Result<Vec<Vec<u8>>, StateError> {
        let groups = range.number_of_key_groups() as usize;
        let mut by_group: Vec<Vec<_>> = (0..groups).map(|_| Vec::new()).collect();
        for (seq, timer) in self.iter_with_seq() {
            let key_group = assign_key_to_key_group(&timer.key, max_parallelism);
            let slot = range
                .index_of(key_group)
                .and_then(|i| by_group.get_mut(i))
                .ok_or(StateError::KeyGroupOutOfRange { key_group, range })?;
            slot.push((timer.timestamp, seq, timer));
        }
        by_group
            .into_iter()
            .map(|mut timers| {
                timers.sort_unstable_by_key(|&(timestamp, seq, _)| (timestamp, seq));
                let mut out = Vec::new();
                put_len(&mut out, timers.len(), "the timers of a key group")?;
                for (timestamp, seq, timer) in timers {
                    put_i64(&mut out, timestamp);
                    put_u64(&mut out, seq);
                    put_value(&mut out, &timer.key)?;
                    put_value(&mut out, &timer.namespace)?;
                }
                Ok(out)
            })
            .collect()
    }
}

/// The synchronous part of a keyed state snapshot: the meta information, every state's
/// key groups frozen as they were (shared with the backend, which copies a key group
/// before its next write), and the timers encoded. Turned into the snapshot stream by
/// [`Self::write_to`] (the asynchronous part, off the task thread), which encodes the
/// frozen key groups.
pub struct KeyedStateSnapshot {
    key_type: String,
    max_parallelism: u32,
    range: KeyGroupRange,
    states: Vec<SnapshotStateMeta>,
    timers: Vec<SnapshotTimersMeta>,
    /// Per state, its key groups at the snapshot.
    tables: Vec<Box<dyn FrozenTable>>,
    /// Per timer service, the encoded timers of each key group of `range`.
    timer_groups: Vec<Vec<Vec<u8>>>,
}

impl std::fmt::Debug for KeyedStateSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedStateSnapshot")
            .field("key_type", &self.key_type)
            .field("max_parallelism", &self.max_parallelism)
            .field("range", &self.range)
            .field("states", &self.states)
            .field("timers", &self.timers)
            .finish_non_exhaustive()
    }
}

impl KeyedStateSnapshot {
    /// The key groups the snapshot holds.
    pub fn key_group_range(&self) -> KeyGroupRange {
        self.range
    }

    /// The states it holds, in registration order.
    pub fn states(&self) -> &[SnapshotStateMeta] {
        &self.states
    }

    /// The timer services it holds.
    pub fn timers(&self) -> &[SnapshotTimersMeta] {
        &self.timers
    }

    /// One encoded section per key group of the range, in order: the key group, then per
    /// state and per timer service a length-prefixed part.
    fn sections(&self) -> Result<Vec<Vec<u8>>, StateError> {
        let mut sections = Vec::with_capacity(self.range.number_of_key_groups() as usize);
        for (group, key_group) in self.range.iter().enumerate() {
            let mut out = Vec::new();
            put_u32(&mut out, key_group);
            for table in &self.tables {
                let at = reserve_u64(&mut out);
                table.encode_group(group, &mut out)?;
                patch_u64_len(&mut out, at);
            }
            for groups in &self.timer_groups {
                let at = reserve_u64(&mut out);
                if let Some(bytes) = groups.get(group) {
                    out.extend_from_slice(bytes);
                }
                patch_u64_len(&mut out, at);
            }
            sections.push(out);
        }
        Ok(sections)
    }

    /// The header: everything before the first key-group section.
    fn header(&self, sections: &[Vec<u8>]) -> Result<Vec<u8>, StateError> {
        let mut head = Vec::new();
        put_str(&mut head, &self.key_type)?;
        put_u32(&mut head, self.max_parallelism);
        put_u32(&mut head, self.range.start_key_group());
        put_u32(&mut head, self.range.number_of_key_groups());
        put_len(&mut head, self.states.len(), "the number of states")?;
        for state in &self.states {
            put_str(&mut head, &state.name)?;
            head.push(kind_code(state.kind));
            head.push(u8::from(state.timed));
            put_str(&mut head, &state.description)?;
        }
        put_len(&mut head, self.timers.len(), "the number of timer services")?;
        for timers in &self.timers {
            put_str(&mut head, &timers.name)?;
            put_str(&mut head, &timers.namespace)?;
        }
        let table_len = sections.len() * OFFSET_ENTRY_BYTES;
        // magic, version, header length, header, header checksum.
        let mut offset = (8 + 4 + 4 + head.len() + table_len + 4) as u64;
        for section in sections {
            put_u64(&mut head, offset);
            put_u64(&mut head, section.len() as u64);
            put_u32(&mut head, crc(section));
            offset += section.len() as u64;
        }
        Ok(head)
    }

    /// Writes the snapshot stream to `out` (the asynchronous part of a snapshot).
    pub fn write_to(&self, out: &mut impl Write) -> Result<(), StateError> {
        let sections = self.sections()?;
        let head = self.header(&sections)?;
        write_stream_header(out, &KEYED_SNAPSHOT_MAGIC, KEYED_SNAPSHOT_VERSION, &head)?;
        for section in &sections {
            out.write_all(section).map_err(stream_io)?;
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

fn kind_code(kind: StateKind) -> u8 {
    match kind {
        StateKind::Value => 1,
        StateKind::List => 2,
        StateKind::Map => 3,
        StateKind::Reducing => 4,
        StateKind::Aggregating => 5,
    }
}

fn kind_of(code: u8) -> Option<StateKind> {
    Some(match code {
        1 => StateKind::Value,
        2 => StateKind::List,
        3 => StateKind::Map,
        4 => StateKind::Reducing,
        5 => StateKind::Aggregating,
        _ => return None,
    })
}

/// The header of a snapshot stream, parsed and checked.
#[derive(Debug)]
struct Header {
    key_type: String,
    max_parallelism: u32,
    range: KeyGroupRange,
    states: Vec<SnapshotStateMeta>,
    timers: Vec<SnapshotTimersMeta>,
    /// Per key group of `range`: stream offset, length and crc32c of its section.
    offsets: Vec<(u64, u64, u32)>,
}

/// Reads and checks the header of a snapshot stream: magic, version, header checksum.
fn read_header(stream: &[u8]) -> Result<Header, StateError> {
    let mut h = read_stream_header(
        stream,
        &KEYED_SNAPSHOT_MAGIC,
        KEYED_SNAPSHOT_VERSION,
        FORMAT,
    )?;
    let key_type = h.str("key type")?;
    let max_parallelism = h.u32("maximum parallelism")?;
    let start = h.u32("first key group")?;
    let at = h.offset();
    let count = h.u32("number of key groups")?;
    let range = match count.checked_sub(1) {
        None => KeyGroupRange::EMPTY,
        Some(last) => match start.checked_add(last) {
            Some(end) if end < max_parallelism => KeyGroupRange::of(start, end),
            _ => {
                return Err(h.corrupt_at(
                    at,
                    "key-group range",
                    &format!(
                    "{count} key groups from {start} exceed maximum parallelism {max_parallelism}"
                ),
                ))
            }
        },
    };
    let state_count = h.u32("number of states")?;
    let mut states = Vec::new();
    for _ in 0..state_count {
        let name = h.str("state name")?;
        let at = h.offset();
        let kind = kind_of(h.u8("state kind")?)
            .ok_or_else(|| h.corrupt_at(at, "state kind", "unknown kind"))?;
        let timed = h.u8("TTL flag")? != 0;
        let description = h.str("state description")?;
        states.push(SnapshotStateMeta {
            name,
            kind,
            timed,
            description,
        });
    }
    let timer_count = h.u32("number of timer services")?;
    let mut timers = Vec::new();
    for _ in 0..timer_count {
        timers.push(SnapshotTimersMeta {
            name: h.str("timer service name")?,
            namespace: h.str("timer namespace type")?,
        });
    }
    let mut offsets = Vec::new();
    for _ in range.iter() {
        offsets.push((
            h.u64("key-group offset")?,
            h.u64("key-group length")?,
            h.u32("key-group checksum")?,
        ));
    }
    if !h.is_empty() {
        return Err(h.corrupt_at(h.offset(), "header", "bytes after the offsets table"));
    }
    Ok(Header {
        key_type,
        max_parallelism,
        range,
        states,
        timers,
        offsets,
    })
}

/// The bytes of one key group's section, checked against its length and checksum.
fn section<'a>(
    stream: &'a [u8],
    header: &Header,
    key_group: u32,
) -> Result<(&'a [u8], u64), StateError> {
    let what = format!("key group {key_group}");
    let Some(&(offset, len, expected)) = header
        .range
        .index_of(key_group)
        .and_then(|i| header.offsets.get(i))
    else {
        return Err(StateError::KeyGroupOutOfRange {
            key_group,
            range: header.range,
        });
    };
    let bytes = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(len).ok())
        .and_then(|(o, l)| stream.get(o..o.checked_add(l)?));
    let Some(bytes) = bytes else {
        return Err(StateError::SnapshotTruncated {
            what,
            offset,
            needed: len,
            available: (stream.len() as u64).saturating_sub(offset),
        });
    };
    let actual = crc(bytes);
    if actual != expected {
        return Err(StateError::SnapshotChecksum {
            what,
            offset,
            expected,
            actual,
        });
    }
    Ok((bytes, offset))
}

/// The raw bytes of one state (or timer service) in one key group, kept until the state
/// is registered; they passed their key group's checksum.
#[derive(Debug)]
struct PendingPart {
    /// Which snapshot stream (position in the `restore` call, for the order of timers).
    stream: usize,
    key_group: u32,
    /// Stream offset, for errors.
    offset: u64,
    bytes: Vec<u8>,
}

/// A restored state not registered yet.
#[derive(Debug)]
struct PendingState {
    meta: SnapshotStateMeta,
    parts: Vec<PendingPart>,
}

/// Restored timers not yet handed to their queue.
#[derive(Debug)]
struct PendingTimers {
    namespace: String,
    parts: Vec<PendingPart>,
}

/// What a restore left for later: states not registered yet and timers not yet claimed.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    states: HashMap<String, PendingState>,
    timers: HashMap<String, PendingTimers>,
    /// Number of `restore` streams so far (orders timers of several calls).
    streams: usize,
}

/// Decodes one state's part of one key group into `table` (at position `group`).
fn decode_part<K: BackendKey>(
    table: &mut dyn crate::keyed::table::AnyTable<K>,
    name: &str,
    group: usize,
    max_parallelism: u32,
    part: &PendingPart,
) -> Result<(), StateError> {
    let context = format!("state '{}' in key group {}", name, part.key_group);
    let mut r = Reader::new(&part.bytes, part.offset, &context);
    table.decode_group(group, part.key_group, max_parallelism, &mut r)?;
    if !r.is_empty() {
        return Err(r.corrupt_at(r.offset(), "entries", "bytes after the last entry"));
    }
    Ok(())
}

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// The synchronous part of a snapshot (Flink's `HeapSnapshotStrategy.syncPrepareResources`):
    /// freezes every state's key groups (a reference count per key group: no copy, no
    /// encoding) and encodes the `timers` (named timer queues of the operator, e.g. one per
    /// time domain). Write the result with [`KeyedStateSnapshot::write_to`] off the task
    /// thread; meanwhile the first write to a key group the snapshot still holds copies
    /// that key group (copy-on-write per key group, where Flink's `CopyOnWriteStateMap`
    /// copies per entry).
    pub fn snapshot(
        &self,
        timers: &[(&str, &dyn SnapshotTimers<K>)],
    ) -> Result<KeyedStateSnapshot, StateError> {
        let range = self.range;
        let max_parallelism = self.max_parallelism();
        let timer_groups = timers
            .iter()
            .map(|(_, queue)| queue.encode_by_key_group(range, max_parallelism))
            .collect::<Result<Vec<_>, _>>()?;
        let tables = self.states.iter().map(|s| s.table.freeze()).collect();
        Ok(KeyedStateSnapshot {
            key_type: std::any::type_name::<K>().to_owned(),
            max_parallelism,
            range,
            states: self
                .states
                .iter()
                .map(|s| SnapshotStateMeta {
                    name: s.name.clone(),
                    kind: s.kind,
                    timed: s.ttl.is_some(),
                    description: s.description.clone(),
                })
                .collect(),
            timers: timers
                .iter()
                .map(|(name, queue)| SnapshotTimersMeta {
                    name: (*name).to_owned(),
                    namespace: queue.namespace_type().to_owned(),
                })
                .collect(),
            tables,
            timer_groups,
        })
    }

    /// Restores the key groups of this backend's range from snapshot `streams` (Flink's
    /// `HeapRestoreOperation`): one stream when the parallelism is unchanged, or the
    /// streams of every old subtask whose range intersects this one after rescaling; only
    /// their key groups in this range are read, found through the offsets table.
    ///
    /// Every stream's header and every key group read is checked (magic, version, crc32c,
    /// key type, maximum parallelism, registered states' kinds and types) before anything
    /// is restored, so a corrupt, partial or mismatched snapshot leaves the backend as it
    /// was. States are matched by name: a registered state receives its entries now
    /// (an error if its kind, types or TTL differ from the snapshot's); an unregistered
    /// one receives them when it is registered. Timers wait for
    /// [`Self::restore_timers`]. A decoding error after the checks may leave the backend
    /// partly restored: discard it.
    pub fn restore(&mut self, streams: &[&[u8]]) -> Result<(), StateError> {
        // Check everything first.
        let mut checked = Vec::new();
        for &stream in streams {
            let header = read_header(stream)?;
            self.check_header(&header)?;
            let mut sections = Vec::new();
            for key_group in header.range.intersection(&self.range) {
                sections.push((key_group, section(stream, &header, key_group)?));
            }
            checked.push((header, sections));
        }
        // Then split each key group into its states and timers.
        let max_parallelism = self.max_parallelism();
        for (header, sections) in checked {
            let stream = self.restored.streams;
            self.restored.streams += 1;
            for (key_group, (bytes, offset)) in sections {
                let context = format!("key group {key_group}");
                let mut r = Reader::new(bytes, offset, &context);
                let at = r.offset();
                let found = r.u32("key group number")?;
                if found != key_group {
                    return Err(r.corrupt_at(
                        at,
                        "key group number",
                        &format!("found key group {found}"),
                    ));
                }
                for meta in &header.states {
                    let (bytes, offset) = r.part(&format!("state '{}'", meta.name))?;
                    let part = PendingPart {
                        stream,
                        key_group,
                        offset,
                        bytes: bytes.to_vec(),
                    };
                    self.restore_state_part(meta, part, max_parallelism)?;
                }
                for meta in &header.timers {
                    let (bytes, offset) = r.part(&format!("timers '{}'", meta.name))?;
                    let pending = self
                        .restored
                        .timers
                        .entry(meta.name.clone())
                        .or_insert_with(|| PendingTimers {
                            namespace: meta.namespace.clone(),
                            parts: Vec::new(),
                        });
                    if pending.namespace != meta.namespace {
                        return Err(StateError::SnapshotIncompatible {
                            what: format!("timers '{}'", meta.name),
                            snapshot: format!("namespace {}", meta.namespace),
                            restoring: format!(
                                "namespace {} in another snapshot",
                                pending.namespace
                            ),
                        });
                    }
                    pending.parts.push(PendingPart {
                        stream,
                        key_group,
                        offset,
                        bytes: bytes.to_vec(),
                    });
                }
                if !r.is_empty() {
                    return Err(r.corrupt_at(r.offset(), "section", "bytes after the last part"));
                }
            }
        }
        Ok(())
    }

    /// Checks that a snapshot's key type and maximum parallelism are this backend's, and
    /// that its states match the registered (or already pending) states of their names.
    fn check_header(&self, header: &Header) -> Result<(), StateError> {
        let key_type = std::any::type_name::<K>();
        if header.key_type != key_type {
            return Err(StateError::SnapshotIncompatible {
                what: "the keyed state".into(),
                snapshot: format!("keys of type {}", header.key_type),
                restoring: format!("keys of type {key_type}"),
            });
        }
        if header.max_parallelism != self.max_parallelism() {
            return Err(StateError::SnapshotIncompatible {
                what: "the keyed state".into(),
                snapshot: format!("maximum parallelism {}", header.max_parallelism),
                restoring: format!(
                    "maximum parallelism {} (it cannot change across a restore)",
                    self.max_parallelism()
                ),
            });
        }
        for meta in &header.states {
            let registered = self
                .by_name
                .get(&meta.name)
                .and_then(|&index| self.states.get(index as usize));
            if let Some(state) = registered {
                check_compatible(meta, state.kind, state.ttl.is_some(), &state.description)?;
            }
            if let Some(pending) = self.restored.states.get(&meta.name) {
                if pending.meta != *meta {
                    return Err(StateError::SnapshotIncompatible {
                        what: format!("state '{}'", meta.name),
                        snapshot: meta.describe(),
                        restoring: format!("{} in another snapshot", pending.meta.describe()),
                    });
                }
            }
        }
        Ok(())
    }

    /// Restores one state's part of one key group now if the state is registered, or
    /// keeps it for its registration.
    fn restore_state_part(
        &mut self,
        meta: &SnapshotStateMeta,
        part: PendingPart,
        max_parallelism: u32,
    ) -> Result<(), StateError> {
        let group = self.group_position(part.key_group)?;
        if let Some(&index) = self.by_name.get(&meta.name) {
            if let Some(state) = self.states.get_mut(index as usize) {
                check_compatible(meta, state.kind, state.ttl.is_some(), &state.description)?;
                return decode_part(
                    state.table.as_mut(),
                    &meta.name,
                    group,
                    max_parallelism,
                    &part,
                );
            }
        }
        let pending = self
            .restored
            .states
            .entry(meta.name.clone())
            .or_insert_with(|| PendingState {
                meta: meta.clone(),
                parts: Vec::new(),
            });
        if pending.meta != *meta {
            return Err(StateError::SnapshotIncompatible {
                what: format!("state '{}'", meta.name),
                snapshot: meta.describe(),
                restoring: format!("{} in another snapshot", pending.meta.describe()),
            });
        }
        pending.parts.push(part);
        Ok(())
    }

    /// Fills a state's new table with its restored entries, if a restore left some
    /// (called by registration, before the state is visible). On error the entries stay
    /// pending and the registration fails.
    pub(crate) fn fill_restored(
        &mut self,
        name: &str,
        kind: StateKind,
        timed: bool,
        description: &str,
        table: &mut dyn crate::keyed::table::AnyTable<K>,
    ) -> Result<(), StateError> {
        let Some(pending) = self.restored.states.remove(name) else {
            return Ok(());
        };
        let result = check_compatible(&pending.meta, kind, timed, description).and_then(|()| {
            pending.parts.iter().try_for_each(|part| {
                let group = self.group_position(part.key_group)?;
                decode_part(table, name, group, self.max_parallelism(), part)
            })
        });
        if result.is_err() {
            self.restored.states.insert(name.to_owned(), pending);
        }
        result
    }

    /// The names of states restored from a snapshot but not registered yet.
    pub fn pending_restored_states(&self) -> impl Iterator<Item = &str> + '_ {
        self.restored.states.keys().map(String::as_str)
    }

    /// The names of timer services restored from a snapshot but not claimed yet by
    /// [`Self::restore_timers`].
    pub fn pending_restored_timers(&self) -> impl Iterator<Item = &str> + '_ {
        self.restored.timers.keys().map(String::as_str)
    }

    /// Registers the restored timers of the service `name` in `queue` (after
    /// [`Self::restore`]) and returns how many; 0 if the snapshots had none of that name.
    /// Timers with equal timestamps keep their order (within one old subtask; across old
    /// subtasks, in the order the streams were given). An error if the namespace type
    /// differs from the snapshot's (the timers then stay pending).
    pub fn restore_timers<N: Namespace>(
        &mut self,
        name: &str,
        queue: &mut TimerQueue<K, N>,
    ) -> Result<usize, StateError> {
        let Some(pending) = self.restored.timers.remove(name) else {
            return Ok(0);
        };
        let namespace = std::any::type_name::<N>();
        if pending.namespace != namespace {
            let err = StateError::SnapshotIncompatible {
                what: format!("timers '{name}'"),
                snapshot: format!("namespace {}", pending.namespace),
                restoring: format!("namespace {namespace}"),
            };
            self.restored.timers.insert(name.to_owned(), pending);
            return Err(err);
        }
        let mut timers = Vec::new();
        for part in &pending.parts {
            let context = format!("timers '{}' in key group {}", name, part.key_group);
            let mut r = Reader::new(&part.bytes, part.offset, &context);
            let count = r.u32("timer count")?;
            for _ in 0..count {
                let timestamp = r.i64("timer timestamp")?;
                let seq = r.u64("timer sequence")?;
                let at = r.offset();
                let key = r.value::<K>("timer key")?;
                let namespace = r.value::<N>("timer namespace")?;
                let actual = assign_key_to_key_group(&key, self.max_parallelism());
                if actual != part.key_group {
                    return Err(r.corrupt_at(
                        at,
                        "timer key",
                        &format!("the key belongs to key group {actual}"),
                    ));
                }
                timers.push((timestamp, part.stream, seq, key, namespace));
            }
            if !r.is_empty() {
                return Err(r.corrupt_at(r.offset(), "timers", "bytes after the last timer"));
            }
        }
        timers.sort_unstable_by_key(|&(timestamp, stream, seq, _, _)| (timestamp, stream, seq));
        let count = timers.len();
        for (timestamp, _, _, key, namespace) in timers {
            queue.register(key, namespace, timestamp);
        }
        Ok(count)
    }
}

/// Checks that a registration matches a snapshot's state of the same name.
fn check_compatible(
    meta: &SnapshotStateMeta,
    kind: StateKind,
    timed: bool,
    description: &str,
) -> Result<(), StateError> {
    if meta.kind != kind || meta.timed != timed || meta.description != description {
        return Err(StateError::SnapshotIncompatible {
            what: format!("state '{}'", meta.name),
            snapshot: meta.describe(),
            restoring: describe_registration(description, timed),
        });
    }
    Ok(())
}
