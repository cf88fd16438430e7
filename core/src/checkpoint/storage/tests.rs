//! Tests of the checkpoint storage: a round trip through real keyed state, rescaled
//! assignment, damaged and unsafe metadata, damaged parts, the latest complete checkpoint,
//! relocation and the non-restored-state check.

use std::fs;
use std::path::{Path, PathBuf};

use weir_state::key_group::{
    assign_key_to_parallel_operator, compute_key_group_range_for_operator_index,
};
use weir_state::keyed::{
    HeapKeyedStateBackend, ManualTimeProvider, ValueState, ValueStateDescriptor,
};
use weir_state::KeyGroupRange;

use super::*;

const MAX: u32 = 128;
const MAX_P: usize = MAX as usize;
const KEYS: u32 = 100;
const KEYED: &str = "keyed-op";
const SOURCE: &str = "source-op";
const STATELESS: &str = "map-op";

type Backend = HeapKeyedStateBackend<u32>;
type Value = ValueState<(), String>;

/// A directory under the system's temporary directory, unique per process and test,
/// removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("weir-storage-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn range_of(parallelism: u32, subtask: u32) -> KeyGroupRange {
    compute_key_group_range_for_operator_index(MAX, parallelism, subtask)
}

/// A backend of `range` with the fixture's value state registered.
fn backend(range: KeyGroupRange) -> (Backend, Value) {
    let mut b = HeapKeyedStateBackend::new(range, MAX, ManualTimeProvider::new(0)).unwrap();
    let state = b.value_state(&ValueStateDescriptor::new("value")).unwrap();
    (b, state)
}

fn value_of(b: &mut Backend, s: &Value, key: u32) -> Option<String> {
    b.set_current_key(key).unwrap();
    s.value(b, &()).unwrap()
}

/// The fixture's tasks: vertex 3 at parallelism 2, a chain of a keyed operator (keyed
/// state `v<key>` for its keys plus an operator stream), a source (operator state only)
/// and a stateless map.
fn tasks() -> Vec<TaskState> {
    (0..2u32)
        .map(|i| {
            let (mut b, state) = backend(range_of(2, i));
            for key in (0..KEYS).filter(|k| assign_key_to_parallel_operator(k, MAX, 2) == i) {
                b.set_current_key(key).unwrap();
                state.update(&mut b, &(), format!("v{key}")).unwrap();
            }
            let snapshot = b.snapshot(&[]).unwrap();
            let op = |uid: &str, keyed, operator: Option<String>| OperatorSubtaskState {
                uid: uid.to_owned(),
                keyed,
                operator: operator.map(String::into_bytes),
            };
            TaskState {
                vertex: "window".to_owned(),
                vertex_index: 3,
                subtask: i as usize,
                parallelism: 2,
                max_parallelism: MAX_P,
                operators: vec![
                    op(KEYED, Some(snapshot), Some(format!("keyed-list-{i}"))),
                    op(SOURCE, None, Some(format!("offsets-{i}"))),
                    op(STATELESS, None, None),
                ],
                channels: None,
            }
        })
        .collect()
}

/// Writes the fixture as checkpoint `id` into `dir` and returns its metadata.
fn write_checkpoint(dir: &Path, id: u64) -> CheckpointMetadata {
    let mut builder = MetadataBuilder::new("job", id, false, 1_000 + id);
    // Subtask 1 first: the builder sorts.
    for task in tasks().iter().rev() {
        let handles = write_task_state(dir, task).unwrap();
        builder.add(task.parallelism, task.max_parallelism, handles);
    }
    let metadata = builder.build();
    write_metadata(dir, &metadata).unwrap();
    metadata
}

/// Checks every part of `checkpoint` reads back and restores the fixture's values.
fn check_contents(checkpoint: &CompletedCheckpoint) {
    let keyed = checkpoint.operator(KEYED).unwrap();
    assert_eq!((keyed.parallelism, keyed.max_parallelism), (2, MAX_P));
    for (i, s) in keyed.subtasks.iter().enumerate() {
        assert_eq!(s.subtask, i);
        let handle = s.keyed.as_ref().unwrap();
        let range = range_of(2, i as u32);
        assert_eq!(handle.first_key_group, range.start_key_group());
        assert_eq!(handle.key_groups, range.number_of_key_groups());
        let bytes = checkpoint.read_part(&handle.part).unwrap();
        let (mut b, state) = backend(range);
        b.restore(&[&bytes]).unwrap();
        for key in (0..KEYS).filter(|k| assign_key_to_parallel_operator(k, MAX, 2) == i as u32) {
            assert_eq!(value_of(&mut b, &state, key), Some(format!("v{key}")));
        }
        let operator = checkpoint.read_part(s.operator.as_ref().unwrap()).unwrap();
        assert_eq!(operator, format!("keyed-list-{i}").into_bytes());
    }
    let source = checkpoint.operator(SOURCE).unwrap();
    for (i, s) in source.subtasks.iter().enumerate() {
        assert!(s.keyed.is_none());
        let bytes = checkpoint.read_part(s.operator.as_ref().unwrap()).unwrap();
        assert_eq!(bytes, format!("offsets-{i}").into_bytes());
    }
    let stateless = checkpoint.operator(STATELESS).unwrap();
    assert!(!stateless.has_state());
    assert!(checkpoint.operator("absent").is_none());
}

#[test]
fn round_trip_restores_keyed_and_operator_state() {
    let scratch = Scratch::new("round-trip");
    let dir = scratch.0.join("chk-7");
    let written = write_checkpoint(&dir, 7);
    assert!(dir.join("3-0.state").is_file() && dir.join("3-1.state").is_file());
    // The parts of one subtask lie back to back in its file.
    let op = &written.operators;
    assert_eq!(
        op.iter().map(|o| o.uid.as_str()).collect::<Vec<_>>(),
        [KEYED, STATELESS, SOURCE]
    );
    let keyed = op[0].subtasks[1].keyed.as_ref().unwrap();
    let list = op[0].subtasks[1].operator.as_ref().unwrap();
    let source = op[2].subtasks[1].operator.as_ref().unwrap();
    assert_eq!((&*keyed.part.file, keyed.part.offset), ("3-1.state", 0));
    assert_eq!(list.offset, keyed.part.length);
    assert_eq!(source.offset, list.offset + list.length);

    for path in [dir.clone(), dir.join(METADATA_FILE)] {
        let loaded = CompletedCheckpoint::load(&path).unwrap();
        assert_eq!(loaded.dir, dir);
        assert_eq!(loaded.metadata, written);
        check_contents(&loaded);
    }

    // Scaled in to one subtask: both streams restore into the full range.
    let loaded = CompletedCheckpoint::load(&dir).unwrap();
    let restore = loaded.assign(KEYED, MAX_P, 1, 0).unwrap().unwrap();
    let streams: Vec<Vec<u8>> = restore
        .keyed
        .iter()
        .map(|k| loaded.read_part(&k.part).unwrap())
        .collect();
    let refs: Vec<&[u8]> = streams.iter().map(Vec::as_slice).collect();
    let (mut b, state) = backend(range_of(1, 0));
    b.restore(&refs).unwrap();
    for key in 0..KEYS {
        assert_eq!(value_of(&mut b, &state, key), Some(format!("v{key}")));
    }
}

/// A checkpoint in memory of one keyed operator at parallelism 2 out of 128.
fn two_subtasks() -> CompletedCheckpoint {
    let mut builder = MetadataBuilder::new("job", 1, false, 0);
    for i in 0..2u32 {
        let range = range_of(2, i);
        let part = |offset| PartHandle {
            file: format!("0-{i}.state"),
            offset,
            length: 10,
            crc32c: 0,
        };
        let handle = OperatorSubtaskHandle {
            subtask: i as usize,
            keyed: Some(KeyedHandle {
                part: part(0),
                first_key_group: range.start_key_group(),
                key_groups: range.number_of_key_groups(),
            }),
            operator: Some(part(10)),
            channels: None,
        };
        builder.add(2, MAX_P, vec![(KEYED.to_owned(), handle)]);
    }
    CompletedCheckpoint {
        dir: PathBuf::from("/nowhere"),
        metadata: builder.build(),
    }
}

#[test]
fn rescaling_assigns_the_intersecting_key_groups() {
    let checkpoint = two_subtasks();
    let old = &checkpoint.operator(KEYED).unwrap().subtasks;
    for parallelism in 1..=3u32 {
        let mut covered = Vec::new();
        for i in 0..parallelism {
            let restore = checkpoint
                .assign(KEYED, MAX_P, parallelism as usize, i as usize)
                .unwrap()
                .unwrap();
            let range = range_of(parallelism, i);
            let expected: Vec<&KeyedHandle> = old
                .iter()
                .filter_map(|s| s.keyed.as_ref())
                .filter(|k| {
                    let old =
                        KeyGroupRange::of(k.first_key_group, k.first_key_group + k.key_groups - 1);
                    !old.intersection(&range).is_empty()
                })
                .collect();
            assert_eq!(
                restore.keyed, expected,
                "parallelism {parallelism} subtask {i}"
            );
            // The handles together hold every key group of the new range.
            for kg in range.iter() {
                assert!(
                    restore.keyed.iter().any(|k| k.intersects(kg, 1)),
                    "key group {kg}"
                );
            }
            // Operator state: the union of the old subtasks'.
            let operator: Vec<&PartHandle> =
                old.iter().filter_map(|s| s.operator.as_ref()).collect();
            assert_eq!(restore.operator, operator);
            covered.extend(restore.keyed.iter().map(|k| k.first_key_group));
        }
        covered.sort_unstable();
        covered.dedup();
        assert_eq!(covered, [0, 64], "parallelism {parallelism}");
    }
    assert!(checkpoint.assign("other", MAX_P, 2, 0).unwrap().is_none());
    let err = checkpoint.assign(KEYED, 256, 2, 0).unwrap_err();
    assert!(matches!(err, StorageError::MaxParallelismChanged { .. }));
    assert_eq!(
        err.to_string(),
        "the maximum parallelism (256) of operator 'keyed-op' differs from the checkpoint's (128)"
    );
    for (p, i) in [(0, 0), (2, 2), (129, 0)] {
        let err = checkpoint.assign(KEYED, MAX_P, p, i).unwrap_err();
        assert!(matches!(err, StorageError::InvalidAssignment { .. }));
    }
}

/// Writes the fixture into `scratch/chk-1` and returns the metadata file's bytes.
fn fixture(scratch: &Scratch) -> (PathBuf, Vec<u8>) {
    let dir = scratch.0.join("chk-1");
    write_checkpoint(&dir, 1);
    let bytes = fs::read(dir.join(METADATA_FILE)).unwrap();
    (dir, bytes)
}

fn is_corrupt(err: &StorageError) -> bool {
    matches!(err, StorageError::Corrupt { .. })
}

fn load_with(dir: &Path, metadata: &[u8]) -> StorageError {
    fs::write(dir.join(METADATA_FILE), metadata).unwrap();
    CompletedCheckpoint::load(dir).unwrap_err()
}

#[test]
fn damaged_metadata_is_refused() {
    let scratch = Scratch::new("damaged-metadata");
    let (dir, bytes) = fixture(&scratch);
    assert_eq!(&bytes[..8], b"WEIRMETA");
    assert_eq!(bytes[8..12], METADATA_VERSION.to_le_bytes());

    let mut flipped = bytes.clone();
    flipped[40] ^= 0x20;
    let err = load_with(&dir, &flipped);
    assert!(is_corrupt(&err), "{err}");
    assert!(err.to_string().contains("crc32c mismatch"), "{err}");
    assert!(err.to_string().contains(METADATA_FILE), "{err}");

    for cut in [0, 10, bytes.len() - 1] {
        let err = load_with(&dir, &bytes[..cut]);
        assert!(is_corrupt(&err), "cut at {cut}: {err}");
    }

    let mut magic = bytes.clone();
    magic[0] = b'X';
    let err = load_with(&dir, &magic);
    assert!(err.to_string().contains("bad magic"), "{err}");

    let mut version = bytes.clone();
    version[8..12].copy_from_slice(&7u32.to_le_bytes());
    let err = load_with(&dir, &version);
    assert!(
        matches!(err, StorageError::UnsupportedVersion { version: 7, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("version 7"), "{err}");

    // A valid checksum over bad JSON.
    let body = b"{\"not\": \"metadata\"}";
    let mut json = b"WEIRMETA".to_vec();
    json.extend_from_slice(&METADATA_VERSION.to_le_bytes());
    json.extend_from_slice(&crc32c::crc32c(body).to_le_bytes());
    json.extend_from_slice(body);
    let err = load_with(&dir, &json);
    assert!(err.to_string().contains("invalid JSON"), "{err}");

    // Missing entirely.
    fs::remove_file(dir.join(METADATA_FILE)).unwrap();
    let err = CompletedCheckpoint::load(&dir).unwrap_err();
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
}

#[test]
fn damaged_parts_are_refused_naming_the_file() {
    let scratch = Scratch::new("damaged-parts");
    let (dir, _) = fixture(&scratch);
    let checkpoint = CompletedCheckpoint::load(&dir).unwrap();
    let part = checkpoint.operator(SOURCE).unwrap().subtasks[1]
        .operator
        .clone()
        .unwrap();
    let file = dir.join(&part.file);
    let mut bytes = fs::read(&file).unwrap();

    // A flipped byte: found when the part is read.
    bytes[part.offset as usize + 1] ^= 1;
    fs::write(&file, &bytes).unwrap();
    let err = checkpoint.read_part(&part).unwrap_err();
    let message = err.to_string();
    assert!(is_corrupt(&err), "{message}");
    for needle in [
        "3-1.state",
        &format!("offset {}", part.offset),
        "'source-op'",
        "crc32c",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }

    // A shortened file: found by the load.
    bytes.truncate(bytes.len() - 1);
    fs::write(&file, &bytes).unwrap();
    let err = CompletedCheckpoint::load(&dir).unwrap_err();
    assert!(is_corrupt(&err), "{err}");
    assert!(err.to_string().contains("3-1.state"), "{err}");
    let err = checkpoint.read_part(&part).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");

    // A missing file.
    fs::remove_file(&file).unwrap();
    let err = CompletedCheckpoint::load(&dir).unwrap_err();
    assert!(err.to_string().contains("3-1.state"), "{err}");
}

#[test]
fn unsafe_file_names_are_corrupt() {
    let scratch = Scratch::new("unsafe-names");
    let (dir, _) = fixture(&scratch);
    let good = CompletedCheckpoint::load(&dir).unwrap();
    fs::write(scratch.0.join("x"), b"0123456789").unwrap();
    for name in ["../x", "/etc/passwd", "", "a/../../x"] {
        let mut metadata = good.metadata.clone();
        metadata.operators[2].subtasks[0].operator = Some(PartHandle {
            file: name.to_owned(),
            offset: 0,
            length: 1,
            crc32c: 0,
        });
        write_metadata(&dir, &metadata).unwrap();
        let err = CompletedCheckpoint::load(&dir).unwrap_err();
        assert!(is_corrupt(&err), "{name}: {err}");
        assert!(err.to_string().contains("unsafe"), "{name}: {err}");
        let part = metadata.operators[2].subtasks[0].operator.clone().unwrap();
        let err = good.read_part(&part).unwrap_err();
        assert!(err.to_string().contains("unsafe"), "{name}: {err}");
    }
}

#[test]
fn latest_skips_incomplete_and_corrupt_checkpoints() {
    let scratch = Scratch::new("latest");
    let storage = CheckpointStorage::new(&scratch.0, "job-a");
    let root = scratch.0.join("job-a");
    assert_eq!(
        (storage.root(), storage.checkpoint_dir(3)),
        (&*root, root.join("chk-3"))
    );
    // Missing, then empty root.
    for _ in 0..2 {
        let (latest, skipped) = storage.latest().unwrap();
        assert!(latest.is_none() && skipped.is_empty());
        fs::create_dir_all(storage.root()).unwrap();
    }

    write_checkpoint(&storage.checkpoint_dir(1), 1);
    write_checkpoint(&storage.checkpoint_dir(2), 2);
    let metadata = storage.checkpoint_dir(2).join(METADATA_FILE);
    let mut bytes = fs::read(&metadata).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01;
    fs::write(&metadata, &bytes).unwrap();
    write_task_state(&storage.checkpoint_dir(3), &tasks()[0]).unwrap();
    // Not checkpoints: ignored.
    fs::create_dir_all(storage.root().join("shared")).unwrap();
    fs::write(storage.root().join("chk-9"), b"a file").unwrap();

    let (latest, skipped) = storage.latest().unwrap();
    let latest = latest.unwrap();
    assert_eq!(latest.dir, storage.checkpoint_dir(1));
    assert_eq!(latest.metadata.checkpoint_id, 1);
    assert_eq!(skipped.len(), 2);
    assert_eq!(skipped[0].path, storage.checkpoint_dir(3));
    assert_eq!(skipped[0].reason, "incomplete: no _metadata");
    assert_eq!(
        skipped[0].to_string(),
        format!(
            "skipping checkpoint {}: incomplete: no _metadata",
            storage.checkpoint_dir(3).display()
        )
    );
    assert_eq!(skipped[1].path, storage.checkpoint_dir(2));
    assert!(skipped[1].reason.contains("crc32c mismatch"), "{skipped:?}");

    // Discarding: the newer ones, then a missing one.
    for id in [3, 2, 3] {
        storage.discard(id).unwrap();
    }
    assert!(!storage.checkpoint_dir(2).exists());
    let (latest, skipped) = storage.latest().unwrap();
    assert_eq!(latest.unwrap().metadata.checkpoint_id, 1);
    assert!(skipped.is_empty());
    storage.discard(1).unwrap();
    let (latest, _) = storage.latest().unwrap();
    assert!(latest.is_none());
}

#[test]
fn a_copied_checkpoint_loads_from_its_new_place() {
    let scratch = Scratch::new("relocation");
    let (dir, _) = fixture(&scratch);
    let target = savepoint_dir(&scratch.0.join("savepoints"), "a1b2c3d4e5f6", 0xabc_def);
    assert_eq!(
        target,
        scratch
            .0
            .join("savepoints")
            .join("savepoint-a1b2c3-000000abcdef")
    );
    fs::create_dir_all(&target).unwrap();
    for entry in fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
    }
    fs::remove_dir_all(&dir).unwrap();
    let moved = CompletedCheckpoint::load(&target).unwrap();
    assert_eq!(moved.dir, target);
    check_contents(&moved);
}

#[test]
fn check_uids_refuses_state_the_job_lacks_unless_allowed() {
    let scratch = Scratch::new("uids");
    let (dir, _) = fixture(&scratch);
    let checkpoint = CompletedCheckpoint::load(&dir).unwrap();
    // The stateless operator may go; the others may not.
    assert_eq!(
        checkpoint.check_uids([KEYED, SOURCE], false).unwrap(),
        Vec::<String>::new()
    );
    let err = checkpoint.check_uids([KEYED, "new-op"], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Failed to rollback to checkpoint/savepoint {}. Cannot map checkpoint/savepoint state \
             for operator source-op to the new program, because the operator is not available in \
             the new program. If you want to allow to skip this, you can set the \
             --allow-non-restored-state option on the CLI.",
            dir.display()
        )
    );
    assert!(matches!(err, StorageError::NonRestoredState { ref uids, .. } if uids == &[SOURCE]));
    assert_eq!(checkpoint.check_uids([], true).unwrap(), [KEYED, SOURCE]);
}
