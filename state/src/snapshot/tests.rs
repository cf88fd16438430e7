//! Tests of keyed and operator state snapshots: round trips over random states and timers,
//! rescaling into 1..4 subtasks and back, corruption, versions, TTL stamps and states
//! registered after a restore.

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::key_group::compute_key_group_range_for_operator_index;
use crate::keyed::{
    AggregateFunction, AggregatingState, AggregatingStateDescriptor, HeapKeyedStateBackend,
    ListState, ListStateDescriptor, ManualTimeProvider, MapState, MapStateDescriptor,
    ReducingState, ReducingStateDescriptor, StateTtlConfig, ValueState, ValueStateDescriptor,
};
use crate::operator_state::{OperatorListState, OperatorStateMode};
use crate::timers::TimerQueue;
use crate::{KeyGroupRange, StateError};

const MAX_PARALLELISM: u32 = 16;
const TTL_MS: u64 = 1_000;

/// Sum and count of the inputs.
struct Average;

impl AggregateFunction<i64, (i64, u32), i64> for Average {
    fn create_accumulator(&self) -> (i64, u32) {
        (0, 0)
    }
    fn add(&self, value: i64, acc: &mut (i64, u32)) {
        acc.0 = acc.0.wrapping_add(value);
        acc.1 += 1;
    }
    fn get_result(&self, acc: &(i64, u32)) -> i64 {
        acc.0 / i64::from(acc.1.max(1))
    }
    fn merge(&self, a: (i64, u32), b: (i64, u32)) -> (i64, u32) {
        (a.0.wrapping_add(b.0), a.1 + b.1)
    }
}

/// One state of each kind (and a value state with TTL) registered on a backend.
struct States {
    value: ValueState<(), String>,
    list: ListState<u32, u64>,
    map: MapState<(), String, i64>,
    reducing: ReducingState<(), i64>,
    aggregating: AggregatingState<u32, i64, (i64, u32), i64>,
    timed: ValueState<(), u64>,
}

fn ttl() -> StateTtlConfig {
    StateTtlConfig::builder(Duration::from_millis(TTL_MS))
        .disable_cleanup_in_background()
        .build()
        .unwrap()
}

impl States {
    fn register(b: &mut HeapKeyedStateBackend<u32>) -> Result<Self, StateError> {
        Ok(Self {
            value: b.value_state(&ValueStateDescriptor::new("value"))?,
            list: b.list_state(&ListStateDescriptor::new("list"))?,
            map: b.map_state(&MapStateDescriptor::new("map"))?,
            reducing: b
                .reducing_state(&ReducingStateDescriptor::new("reducing", |a: &i64, b| {
                    a.wrapping_add(b)
                }))?,
            aggregating: b.aggregating_state(&AggregatingStateDescriptor::new("agg", Average))?,
            timed: b.value_state(&ValueStateDescriptor::new("timed").enable_time_to_live(ttl()))?,
        })
    }

    /// Every entry of every state, as comparable text.
    fn dump(&self, b: &HeapKeyedStateBackend<u32>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for kg in b.key_group_range() {
            for (k, n, v) in self.value.key_group_entries(b, kg).unwrap() {
                out.insert(format!("value {k} {n:?} {v:?}"));
            }
            for (k, n, v) in self.list.key_group_entries(b, kg).unwrap() {
                out.insert(format!("list {k} {n} {:?}", v.collect::<Vec<_>>()));
            }
            for (k, n, v) in self.map.key_group_entries(b, kg).unwrap() {
                let entries: BTreeSet<_> = v.collect();
                out.insert(format!("map {k} {n:?} {entries:?}"));
            }
            for (k, n, v) in self.reducing.key_group_entries(b, kg).unwrap() {
                out.insert(format!("reducing {k} {n:?} {v}"));
            }
            for (k, n, v) in self.aggregating.key_group_entries(b, kg).unwrap() {
                out.insert(format!("agg {k} {n} {v:?}"));
            }
            for (k, n, v) in self.timed.key_group_entries(b, kg).unwrap() {
                out.insert(format!("timed {k} {n:?} {v}"));
            }
        }
        out
    }
}

/// A backend of `range` with the clock at `now`.
fn backend(range: KeyGroupRange, now: i64) -> (HeapKeyedStateBackend<u32>, ManualTimeProvider) {
    let clock = ManualTimeProvider::new(now);
    let b = HeapKeyedStateBackend::new(range, MAX_PARALLELISM, clock.clone()).unwrap();
    (b, clock)
}

fn full() -> KeyGroupRange {
    KeyGroupRange::of(0, MAX_PARALLELISM - 1)
}

/// The range of subtask `i` of `parallelism`.
fn range_of(parallelism: u32, i: u32) -> KeyGroupRange {
    compute_key_group_range_for_operator_index(MAX_PARALLELISM, parallelism, i)
}

/// One write to the fixture: which state, key, namespace and value.
#[derive(Debug, Clone)]
struct Op {
    state: u8,
    key: u32,
    namespace: u32,
    value: i64,
}

fn op() -> impl Strategy<Value = Op> {
    (0u8..7, 0u32..200, 0u32..4, any::<i64>()).prop_map(|(state, key, namespace, value)| Op {
        state,
        key,
        namespace,
        value,
    })
}

/// Timers of both domains.
struct Timers {
    event: TimerQueue<u32, u32>,
    processing: TimerQueue<u32, ()>,
}

impl Timers {
    fn new() -> Self {
        Self {
            event: TimerQueue::new(),
            processing: TimerQueue::new(),
        }
    }

    fn dump(&self) -> BTreeSet<(i64, u32, u32, bool)> {
        let event = self
            .event
            .iter()
            .map(|t| (t.timestamp, t.key, t.namespace, true));
        let processing = self
            .processing
            .iter()
            .map(|t| (t.timestamp, t.key, 0, false));
        event.chain(processing).collect()
    }

    fn snapshot(&self, b: &HeapKeyedStateBackend<u32>) -> Result<KeyedStateSnapshot, StateError> {
        b.snapshot(&[("event", &self.event), ("processing", &self.processing)])
    }

    fn restore(b: &mut HeapKeyedStateBackend<u32>) -> Self {
        let mut timers = Self::new();
        b.restore_timers("event", &mut timers.event).unwrap();
        b.restore_timers("processing", &mut timers.processing)
            .unwrap();
        timers
    }
}

/// Applies `ops` to a fresh full-range backend at time 0.
fn build(ops: &[Op]) -> (HeapKeyedStateBackend<u32>, States, Timers) {
    let (mut b, _) = backend(full(), 0);
    let s = States::register(&mut b).unwrap();
    let mut timers = Timers::new();
    for op in ops {
        b.set_current_key(op.key).unwrap();
        let v = op.value;
        match op.state {
            0 => s.value.update(&mut b, &(), format!("v{v}")).unwrap(),
            1 => s.list.add(&mut b, &op.namespace, v as u64).unwrap(),
            2 => s.map.put(&mut b, &(), format!("k{}", v % 5), v).unwrap(),
            3 => s.reducing.add(&mut b, &(), v).unwrap(),
            4 => s.aggregating.add(&mut b, &op.namespace, v).unwrap(),
            5 => s.timed.update(&mut b, &(), v as u64).unwrap(),
            _ => {
                timers.event.register(op.key, op.namespace, v % 100);
                timers.processing.register(op.key, (), v % 7);
            }
        }
    }
    (b, s, timers)
}

/// Restores `streams` into a new backend of `range` with the fixture registered after
/// the restore (as an operator's `open` does).
fn restore(
    streams: &[&[u8]],
    range: KeyGroupRange,
) -> (HeapKeyedStateBackend<u32>, States, Timers) {
    let (mut b, _) = backend(range, 0);
    b.restore(streams).unwrap();
    let s = States::register(&mut b).unwrap();
    assert_eq!(b.pending_restored_states().count(), 0);
    let timers = Timers::restore(&mut b);
    (b, s, timers)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn round_trip_and_rescale(ops in proptest::collection::vec(op(), 0..150), parallelism in 1u32..=4) {
        let (b, s, timers) = build(&ops);
        let expected = s.dump(&b);
        let expected_timers = timers.dump();
        let bytes = timers.snapshot(&b).unwrap().to_bytes().unwrap();

        // Same range.
        let (b1, s1, t1) = restore(&[&bytes], full());
        prop_assert_eq!(s1.dump(&b1), expected.clone());
        prop_assert_eq!(t1.dump(), expected_timers.clone());

        // Scale out: every subtask restores its key groups; together they hold everything.
        let mut union = BTreeSet::new();
        let mut union_timers = BTreeSet::new();
        let mut streams = Vec::new();
        for i in 0..parallelism {
            let (bi, si, ti) = restore(&[&bytes], range_of(parallelism, i));
            let dump = si.dump(&bi);
            prop_assert!(union.is_disjoint(&dump));
            union.extend(dump);
            union_timers.extend(ti.dump());
            streams.push(ti.snapshot(&bi).unwrap().to_bytes().unwrap());
        }
        prop_assert_eq!(&union, &expected);
        prop_assert_eq!(&union_timers, &expected_timers);

        // And back in: one subtask restores from all of them.
        let refs: Vec<&[u8]> = streams.iter().map(Vec::as_slice).collect();
        let (b2, s2, t2) = restore(&refs, full());
        prop_assert_eq!(s2.dump(&b2), expected);
        prop_assert_eq!(t2.dump(), expected_timers);
    }

    #[test]
    fn a_snapshot_keeps_the_state_of_its_moment_while_the_backend_goes_on(
        before in proptest::collection::vec(op(), 0..100),
        after in proptest::collection::vec(op(), 0..100),
        clear in any::<bool>(),
    ) {
        let (mut b, s, timers) = build(&before);
        let expected = s.dump(&b);
        let expected_timers = timers.dump();
        // The synchronous part only: key groups frozen, nothing encoded yet.
        let snapshot = timers.snapshot(&b).unwrap();
        // The task goes on writing (each key group it touches is copied first), and may
        // drop whole key groups; meanwhile another thread writes the snapshot.
        let writer = std::thread::spawn(move || snapshot.to_bytes().unwrap());
        for op in &after {
            b.set_current_key(op.key).unwrap();
            match op.state {
                0 => s.value.update(&mut b, &(), format!("after{}", op.value)).unwrap(),
                1 => s.list.add(&mut b, &op.namespace, 1_000 + op.value as u64).unwrap(),
                2 => s.map.put(&mut b, &(), format!("k{}", op.value % 5), op.value + 1).unwrap(),
                3 => s.reducing.add(&mut b, &(), op.value).unwrap(),
                4 => s.aggregating.add(&mut b, &op.namespace, op.value).unwrap(),
                _ => s.value.clear(&mut b, &()).unwrap(),
            }
        }
        if clear {
            for kg in 0..MAX_PARALLELISM {
                b.clear_key_group(kg).unwrap();
            }
        }
        let bytes = writer.join().unwrap();
        let (b1, s1, t1) = restore(&[&bytes], full());
        prop_assert_eq!(s1.dump(&b1), expected);
        prop_assert_eq!(t1.dump(), expected_timers);
    }

    #[test]
    fn damaged_streams_are_errors_never_panics(
        ops in proptest::collection::vec(op(), 1..40),
        at in any::<proptest::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<proptest::sample::Index>(),
    ) {
        let (b, _, timers) = build(&ops);
        let bytes = timers.snapshot(&b).unwrap().to_bytes().unwrap();
        let mut flipped = bytes.clone();
        let i = at.index(flipped.len());
        flipped[i] ^= flip;
        let (mut target, _) = backend(full(), 0);
        prop_assert!(target.restore(&[&flipped]).is_err(), "flipped byte {} went unnoticed", i);
        let truncated = &bytes[..cut.index(bytes.len())];
        let (mut target, _) = backend(full(), 0);
        prop_assert!(target.restore(&[truncated]).is_err());
    }

    #[test]
    fn operator_lists_redistribute(lists in proptest::collection::vec(proptest::collection::vec(any::<u64>(), 0..20), 1..5), p in 1u32..6) {
        let mut streams = Vec::new();
        for elements in &lists {
            let mut snapshot = OperatorStateSnapshot::new();
            let split = OperatorListState::with_elements(OperatorStateMode::SplitDistribute, elements.clone());
            let union = OperatorListState::with_elements(OperatorStateMode::Union, elements.clone());
            snapshot.add_list("offsets", &split).unwrap();
            snapshot.add_list("union", &union).unwrap();
            streams.push(snapshot.to_bytes().unwrap());
        }
        let refs: Vec<&[u8]> = streams.iter().map(Vec::as_slice).collect();
        let all: Vec<u64> = lists.iter().flatten().copied().collect();
        let split = restore_list_state::<u64>(&refs, "offsets", p).unwrap().unwrap();
        prop_assert_eq!(split.len(), p as usize);
        let rejoined: Vec<u64> = split.iter().flat_map(|l| l.get().iter().copied()).collect();
        prop_assert_eq!(&rejoined, &all);
        prop_assert!(split.iter().all(|l| l.mode() == OperatorStateMode::SplitDistribute));
        let union = restore_list_state::<u64>(&refs, "union", p).unwrap().unwrap();
        prop_assert_eq!(union.len(), p as usize);
        prop_assert!(union.iter().all(|l| l.get() == all.as_slice()));
        prop_assert!(restore_list_state::<u64>(&refs, "absent", p).unwrap().is_none());
    }
}

/// A small snapshot with entries in several key groups, and its stream.
fn sample() -> (KeyedStateSnapshot, Vec<u8>) {
    let ops: Vec<Op> = (0..40)
        .map(|i| Op {
            state: (i % 7) as u8,
            key: i * 7,
            namespace: i % 3,
            value: i64::from(i) * 11,
        })
        .collect();
    let (b, _, timers) = build(&ops);
    let snapshot = timers.snapshot(&b).unwrap();
    let bytes = snapshot.to_bytes().unwrap();
    (snapshot, bytes)
}

/// The stream offset of key group `kg`'s section (read back from the offsets table).
fn section_offset(bytes: &[u8], kg: u32) -> usize {
    let (mut b, _) = backend(KeyGroupRange::of(kg, kg), 0);
    // Damage the last byte of the section and read the offset from the error.
    let mut probe = bytes.to_vec();
    let mut offset = None;
    for i in (0..probe.len()).rev() {
        probe[i] ^= 0xFF;
        if let Err(StateError::SnapshotChecksum {
            what, offset: o, ..
        }) = b.restore(&[&probe])
        {
            if what == format!("key group {kg}") {
                offset = Some(o as usize);
            }
        }
        probe[i] ^= 0xFF;
        if offset.is_some() {
            break;
        }
    }
    offset.unwrap()
}

#[test]
fn a_flipped_byte_names_its_key_group() {
    let (_, bytes) = sample();
    let offset = section_offset(&bytes, 5);
    let mut damaged = bytes.clone();
    damaged[offset + 6] ^= 0x10;
    let (mut b, _) = backend(full(), 0);
    let err = b.restore(&[&damaged]).unwrap_err();
    assert!(
        matches!(&err, StateError::SnapshotChecksum { what, offset: o, .. } if what == "key group 5" && *o == offset as u64),
        "{err}"
    );
    assert!(err.to_string().contains("key group 5"), "{err}");
    // Nothing was restored: the checks come first.
    let s = States::register(&mut b).unwrap();
    assert!(s.dump(&b).is_empty());
    // A subtask whose range does not hold key group 5 never reads it.
    let (mut other, _) = backend(KeyGroupRange::of(6, 15), 0);
    other.restore(&[&damaged]).unwrap();
}

#[test]
fn header_damage_truncation_magic_and_version() {
    let (_, bytes) = sample();
    let restore = |stream: &[u8]| {
        let (mut b, _) = backend(full(), 0);
        b.restore(&[stream]).unwrap_err()
    };
    let mut damaged = bytes.clone();
    damaged[20] ^= 1;
    let err = restore(&damaged);
    assert!(
        matches!(&err, StateError::SnapshotChecksum { what, .. } if what == "the header"),
        "{err}"
    );

    let err = restore(&bytes[..bytes.len() - 3]);
    assert!(
        matches!(&err, StateError::SnapshotTruncated { what, .. } if what.starts_with("key group 15")),
        "{err}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");
    let err = restore(&bytes[..30]);
    assert!(matches!(err, StateError::SnapshotTruncated { .. }), "{err}");

    let mut magic = bytes.clone();
    magic[0] = b'X';
    let err = restore(&magic);
    assert!(matches!(err, StateError::SnapshotBadMagic { .. }), "{err}");
    assert!(matches!(restore(&[]), StateError::SnapshotBadMagic { .. }));
    assert!(matches!(
        restore(b"WEIR"),
        StateError::SnapshotBadMagic { .. }
    ));

    let mut version = bytes.clone();
    version[8..12].copy_from_slice(&2u32.to_le_bytes());
    let err = restore(&version);
    assert_eq!(
        err,
        StateError::SnapshotVersion {
            format: "keyed state snapshot",
            found: 2,
            supported: KEYED_SNAPSHOT_VERSION
        }
    );
    assert!(err.to_string().contains("version 2"), "{err}");
}

#[test]
fn key_type_and_max_parallelism_must_match() {
    let (_, bytes) = sample();
    let mut other_key: HeapKeyedStateBackend<u64> =
        HeapKeyedStateBackend::new(full(), MAX_PARALLELISM, ManualTimeProvider::new(0)).unwrap();
    let err = other_key.restore(&[&bytes]).unwrap_err();
    assert!(err.to_string().contains("keys of type u32"), "{err}");
    let mut other_max: HeapKeyedStateBackend<u32> =
        HeapKeyedStateBackend::new(KeyGroupRange::of(0, 31), 32, ManualTimeProvider::new(0))
            .unwrap();
    let err = other_max.restore(&[&bytes]).unwrap_err();
    assert!(err.to_string().contains("maximum parallelism 16"), "{err}");
}

#[test]
fn ttl_timestamps_survive_a_restore() {
    let (mut b, clock) = backend(full(), 0);
    let timed: ValueState<(), u64> = b
        .value_state(&ValueStateDescriptor::new("timed").enable_time_to_live(ttl()))
        .unwrap();
    clock.set(100);
    b.set_current_key(1).unwrap();
    timed.update(&mut b, &(), 7).unwrap();
    clock.set(600);
    b.set_current_key(2).unwrap();
    timed.update(&mut b, &(), 8).unwrap();
    let bytes = b.snapshot(&[]).unwrap().to_bytes().unwrap();

    // Restored at 1 099: key 1 (written at 100) lives until 1 100, key 2 until 1 600.
    let (mut r, clock) = backend(full(), 1_099);
    r.restore(&[&bytes]).unwrap();
    let timed: ValueState<(), u64> = r
        .value_state(&ValueStateDescriptor::new("timed").enable_time_to_live(ttl()))
        .unwrap();
    r.set_current_key(1).unwrap();
    assert_eq!(timed.value(&mut r, &()).unwrap(), Some(7));
    clock.set(1_100);
    assert_eq!(
        timed.value(&mut r, &()).unwrap(),
        None,
        "its stamp was kept"
    );
    r.set_current_key(2).unwrap();
    assert_eq!(timed.value(&mut r, &()).unwrap(), Some(8));

    // The same state without TTL is another registration.
    let (mut r, _) = backend(full(), 0);
    r.restore(&[&bytes]).unwrap();
    let err = r
        .value_state::<(), u64>(&ValueStateDescriptor::new("timed"))
        .unwrap_err();
    assert!(
        err.to_string().contains("'timed'") && err.to_string().contains("with TTL"),
        "{err}"
    );
}

#[test]
fn states_registered_after_restore_get_their_entries_and_mismatches_are_named() {
    let (mut b, _) = backend(full(), 0);
    let count: ValueState<(), u64> = b.value_state(&ValueStateDescriptor::new("count")).unwrap();
    for key in 0..50 {
        b.set_current_key(key).unwrap();
        count.update(&mut b, &(), u64::from(key) * 2).unwrap();
    }
    let bytes = b.snapshot(&[]).unwrap().to_bytes().unwrap();

    let (mut r, _) = backend(range_of(2, 1), 0);
    r.restore(&[&bytes]).unwrap();
    assert_eq!(r.pending_restored_states().collect::<Vec<_>>(), ["count"]);
    // Another kind under the same name: refused, naming the state; the entries wait.
    let err = r
        .list_state::<(), u64>(&ListStateDescriptor::new("count"))
        .unwrap_err();
    assert!(
        matches!(&err, StateError::SnapshotIncompatible { what, .. } if what == "state 'count'"),
        "{err}"
    );
    assert!(err.to_string().contains("ValueState"), "{err}");
    // Another value type: refused too.
    let err = r
        .value_state::<(), i64>(&ValueStateDescriptor::new("count"))
        .unwrap_err();
    assert!(err.to_string().contains("value i64"), "{err}");
    assert_eq!(r.state_names().count(), 0);
    // The right registration gets exactly the keys of its range.
    let count: ValueState<(), u64> = r.value_state(&ValueStateDescriptor::new("count")).unwrap();
    assert_eq!(r.pending_restored_states().count(), 0);
    let range = r.key_group_range();
    let mut restored = 0;
    for key in 0..50u32 {
        let kg = crate::key_group::assign_key_to_key_group(&key, MAX_PARALLELISM);
        if range.contains(kg) {
            r.set_current_key(key).unwrap();
            assert_eq!(count.value(&mut r, &()).unwrap(), Some(u64::from(key) * 2));
            restored += 1;
        }
    }
    assert_eq!(r.state_key_count(&count).unwrap(), restored);

    // Restoring into a state registered before the restore works as well.
    let (mut early, _) = backend(full(), 0);
    let count: ValueState<(), u64> = early
        .value_state(&ValueStateDescriptor::new("count"))
        .unwrap();
    early.restore(&[&bytes]).unwrap();
    assert_eq!(early.state_key_count(&count).unwrap(), 50);
    // No timers of that name: nothing to do.
    assert_eq!(
        early
            .restore_timers("event", &mut TimerQueue::<u32, ()>::new())
            .unwrap(),
        0
    );
    // A state registered before the restore with another type: refused before anything
    // is restored.
    let (mut wrong, _) = backend(full(), 0);
    let other: ValueState<(), String> = wrong
        .value_state(&ValueStateDescriptor::new("count"))
        .unwrap();
    let err = wrong.restore(&[&bytes]).unwrap_err();
    assert!(err.to_string().contains("state 'count'"), "{err}");
    assert_eq!(wrong.state_key_count(&other).unwrap(), 0);
    assert_eq!(wrong.pending_restored_states().count(), 0);
}

#[test]
fn restored_timers_keep_their_order_and_check_their_namespace() {
    let (b, _) = backend(full(), 0);
    let mut event: TimerQueue<u32, u32> = TimerQueue::new();
    // Equal timestamps fire in registration order, also after a restore.
    for key in [9, 3, 5, 1] {
        event.register(key, 0, 10);
    }
    event.register(2, 1, 5);
    let bytes = b
        .snapshot(&[("event", &event)])
        .unwrap()
        .to_bytes()
        .unwrap();
    let (mut r, _) = backend(full(), 0);
    r.restore(&[&bytes]).unwrap();
    assert_eq!(r.pending_restored_timers().collect::<Vec<_>>(), ["event"]);
    let err = r
        .restore_timers("event", &mut TimerQueue::<u32, ()>::new())
        .unwrap_err();
    assert!(err.to_string().contains("timers 'event'"), "{err}");
    let mut restored = TimerQueue::<u32, u32>::new();
    assert_eq!(r.restore_timers("event", &mut restored).unwrap(), 5);
    let fired: Vec<_> = std::iter::from_fn(|| restored.pop_due(100))
        .map(|t| (t.timestamp, t.key))
        .collect();
    assert_eq!(fired, [(5, 2), (10, 9), (10, 3), (10, 5), (10, 1)]);
}

#[test]
fn snapshot_meta_and_files() {
    let (snapshot, bytes) = sample();
    assert_eq!(snapshot.key_group_range(), full());
    let names: Vec<_> = snapshot.states().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["value", "list", "map", "reducing", "agg", "timed"]);
    assert!(snapshot.states().iter().any(|s| s.timed));
    assert_eq!(snapshot.timers().len(), 2);
    assert_eq!(&bytes[..8], &KEYED_SNAPSHOT_MAGIC);

    let dir = std::env::temp_dir().join(format!("weir-keyed-snapshot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keyed-0.state");
    let mut streamed = Vec::new();
    snapshot.write_to(&mut streamed).unwrap();
    file::write_atomic(&path, &[&streamed]).unwrap();
    let read = file::read(&path).unwrap();
    assert_eq!(read, bytes);
    let (b, s, _) = restore(&[&read], full());
    assert!(!s.dump(&b).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_backend_and_an_empty_range_round_trip() {
    let (b, _) = backend(full(), 0);
    let bytes = b.snapshot(&[]).unwrap().to_bytes().unwrap();
    let (mut r, _) = backend(KeyGroupRange::of(3, 4), 0);
    r.restore(&[&bytes]).unwrap();
    assert_eq!(r.key_count(), 0);
    let (empty, _) = backend(KeyGroupRange::EMPTY, 0);
    let bytes = empty.snapshot(&[]).unwrap().to_bytes().unwrap();
    let (mut r, _) = backend(full(), 0);
    r.restore(&[&bytes]).unwrap();
}

#[test]
fn operator_state_errors() {
    let mut snapshot = OperatorStateSnapshot::new();
    let list = OperatorListState::with_elements(OperatorStateMode::Union, vec!["a".to_string()]);
    snapshot.add_list("names", &list).unwrap();
    assert!(
        snapshot.add_list("names", &list).is_err(),
        "one state per name"
    );
    let bytes = snapshot.to_bytes().unwrap();
    let reader = OperatorStateReader::new(&bytes).unwrap();
    assert_eq!(
        reader.states().next().unwrap().mode,
        OperatorStateMode::Union
    );
    assert_eq!(reader.list::<String>("names").unwrap().unwrap(), list);
    let err = reader.list::<u64>("names").unwrap_err();
    assert!(err.to_string().contains("operator state 'names'"), "{err}");

    let mut damaged = bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xFF;
    let err = OperatorStateReader::new(&damaged)
        .unwrap()
        .list::<String>("names")
        .unwrap_err();
    assert!(matches!(err, StateError::SnapshotChecksum { .. }), "{err}");
    let err = restore_list_state::<String>(&[&bytes[..bytes.len() - 2]], "names", 2).unwrap_err();
    assert!(matches!(err, StateError::SnapshotTruncated { .. }), "{err}");
    let mut version = bytes.clone();
    version[8] = 9;
    assert!(matches!(
        OperatorStateReader::new(&version).unwrap_err(),
        StateError::SnapshotVersion { found: 9, .. }
    ));
    assert!(matches!(
        OperatorStateReader::new(b"nonsense").unwrap_err(),
        StateError::SnapshotBadMagic { .. }
    ));
    // Subtasks that disagree on the mode.
    let mut other = OperatorStateSnapshot::new();
    other
        .add_list(
            "names",
            &OperatorListState::with_elements(
                OperatorStateMode::SplitDistribute,
                vec!["b".to_string()],
            ),
        )
        .unwrap();
    let other = other.to_bytes().unwrap();
    let err = restore_list_state::<String>(&[&bytes, &other], "names", 2).unwrap_err();
    assert!(err.to_string().contains("mode"), "{err}");
    // Broadcast lists are copied.
    let mut b = OperatorStateSnapshot::new();
    b.add_list(
        "rules",
        &OperatorListState::with_elements(OperatorStateMode::Broadcast, vec![1u8, 2]),
    )
    .unwrap();
    let b = b.to_bytes().unwrap();
    let restored = restore_list_state::<u8>(&[&b], "rules", 3)
        .unwrap()
        .unwrap();
    assert!(restored.iter().all(|l| l.get() == [1, 2]));
}
