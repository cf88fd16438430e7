//! The file sink on its own and under the driver: names, commit, abort, recovery.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::file::{committed_files, committed_path, in_progress_path};
use super::*;
use crate::operator::sink::Formatter;
use crate::record::Record;

/// A directory under the system temp dir, unique per test, deleted when dropped.
pub(super) struct TempDir(pub PathBuf);

impl TempDir {
    pub(super) fn new(name: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("weir-2pc-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub(super) fn lines() -> Formatter<String> {
    Arc::new(|r: &Record<'_, String>, out: &mut Vec<u8>| {
        r.with_value(|s| out.extend_from_slice(s.as_bytes()))?;
        Ok(())
    })
}

pub(super) type FileDriver = TwoPhaseCommitDriver<String, FileSink<String>>;

pub(super) fn open(dir: &Path, restored: Option<&[u8]>) -> FileDriver {
    let sink = FileSink::new(dir, 0, lines()).unwrap();
    let mut d = TwoPhaseCommitDriver::new(sink, CommitOn::Checkpoints);
    d.initialize_from_bytes(restored).unwrap();
    d
}

pub(super) fn write(d: &mut FileDriver, values: &[&str]) {
    for v in values {
        d.write(&Record::Owned(v.to_string()), 0).unwrap();
    }
}

/// The committed output of subtask 0: its part files concatenated by part number.
pub(super) fn output(dir: &Path) -> String {
    committed_files(dir, 0)
        .unwrap()
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect()
}

/// Every file name in `dir`, sorted.
pub(super) fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn records_become_visible_only_when_the_checkpoint_completes() {
    let t = TempDir::new("happy");
    let mut d = open(&t.0, None);
    write(&mut d, &["a", "b", "c"]);
    assert_eq!(names(&t.0), [".part-0-0.inprogress"]);
    let state = d.snapshot(1).unwrap();
    assert_eq!(state.pending[0].1.parts, [PartFile { number: 0, len: 6 }]);
    assert!(committed_files(&t.0, 0).unwrap().is_empty());
    d.notify_checkpoint_complete(1).unwrap();
    assert_eq!(names(&t.0), ["part-0-0"]);
    assert_eq!(output(&t.0), "a\nb\nc\n");
    write(&mut d, &["d"]);
    d.snapshot(2).unwrap();
    d.notify_checkpoint_complete(2).unwrap();
    d.close().unwrap();
    assert_eq!(names(&t.0), ["part-0-0", "part-0-1"]);
    assert_eq!(output(&t.0), "a\nb\nc\nd\n");
}

#[test]
fn an_empty_transaction_leaves_no_file() {
    let t = TempDir::new("empty");
    let mut d = open(&t.0, None);
    d.snapshot(1).unwrap();
    d.notify_checkpoint_complete(1).unwrap();
    d.close().unwrap();
    assert!(names(&t.0).is_empty());
}

#[test]
fn parts_roll_by_size_within_a_transaction() {
    let t = TempDir::new("roll");
    let sink = FileSink::new(&t.0, 0, lines())
        .unwrap()
        .with_max_part_bytes(4);
    let mut d = TwoPhaseCommitDriver::new(sink, CommitOn::Checkpoints);
    d.initialize(None).unwrap();
    write(&mut d, &["ab", "c", "de", "f"]);
    let state = d.snapshot(1).unwrap();
    let lens: Vec<u64> = state.pending[0].1.parts.iter().map(|p| p.len).collect();
    assert_eq!(lens, [5, 5]);
    d.notify_checkpoint_complete(1).unwrap();
    assert_eq!(names(&t.0), ["part-0-0", "part-0-1"]);
    assert_eq!(output(&t.0), "ab\nc\nde\nf\n");
}

#[test]
fn commit_is_idempotent_and_checks_what_it_finds() {
    let t = TempDir::new("idem");
    let mut sink = FileSink::new(&t.0, 0, lines()).unwrap();
    let mut txn = TwoPhaseCommitSink::<String>::begin_transaction(&mut sink).unwrap();
    sink.write(&mut txn, &Record::Owned("x".to_string()), 0)
        .unwrap();
    TwoPhaseCommitSink::<String>::pre_commit(&mut sink, &mut txn).unwrap();
    TwoPhaseCommitSink::<String>::commit(&mut sink, &txn).unwrap();
    // Already renamed: fine, twice.
    TwoPhaseCommitSink::<String>::commit(&mut sink, &txn).unwrap();
    TwoPhaseCommitSink::<String>::recover_and_commit(&mut sink, &txn).unwrap();
    assert_eq!(output(&t.0), "x\n");
    // The committed file changed behind our back: reported, not overwritten.
    fs::write(committed_path(&t.0, 0, 0), "xyz\n").unwrap();
    let e = TwoPhaseCommitSink::<String>::commit(&mut sink, &txn).unwrap_err();
    assert!(matches!(
        e,
        SinkError::CommittedMismatch {
            expected_len: 2,
            found_len: 4,
            ..
        }
    ));
    assert!(e.to_string().contains("part-0-0"), "{e}");
    // Both names gone: the data is lost, and the error says where it should have been.
    fs::remove_file(committed_path(&t.0, 0, 0)).unwrap();
    let e = TwoPhaseCommitSink::<String>::commit(&mut sink, &txn).unwrap_err();
    assert!(
        matches!(
            e,
            SinkError::Lost {
                found_len: None,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains(".part-0-0.inprogress"), "{e}");
}

#[test]
fn abort_deletes_in_progress_files_and_tolerates_missing_ones() {
    let t = TempDir::new("abort");
    let mut sink = FileSink::new(&t.0, 0, lines()).unwrap();
    let mut txn = TwoPhaseCommitSink::<String>::begin_transaction(&mut sink).unwrap();
    sink.write(&mut txn, &Record::Owned("x".to_string()), 0)
        .unwrap();
    TwoPhaseCommitSink::<String>::abort(&mut sink, &txn).unwrap();
    assert!(names(&t.0).is_empty());
    TwoPhaseCommitSink::<String>::recover_and_abort(&mut sink, &txn).unwrap();
}

#[test]
fn recovery_cuts_bytes_written_after_the_pre_commit() {
    let t = TempDir::new("truncate");
    let mut d = open(&t.0, None);
    write(&mut d, &["a", "b"]);
    let state = d.snapshot(1).unwrap().to_bytes();
    drop(d);
    let pending = in_progress_path(&t.0, 0, 0);
    let mut bytes = fs::read(&pending).unwrap();
    bytes.extend_from_slice(b"torn write after pre-commit");
    fs::write(&pending, bytes).unwrap();
    let mut d = open(&t.0, Some(&state));
    assert_eq!(output(&t.0), "a\nb\n");
    write(&mut d, &["c"]);
    d.snapshot(2).unwrap();
    d.notify_checkpoint_complete(2).unwrap();
    assert_eq!(output(&t.0), "a\nb\nc\n");
}

#[test]
fn a_pending_file_shorter_than_recorded_is_reported_as_lost() {
    let t = TempDir::new("short");
    let mut d = open(&t.0, None);
    write(&mut d, &["abc"]);
    let state = d.snapshot(1).unwrap().to_bytes();
    drop(d);
    fs::write(in_progress_path(&t.0, 0, 0), "ab").unwrap();
    let mut d = TwoPhaseCommitDriver::new(
        FileSink::new(&t.0, 0, lines()).unwrap(),
        CommitOn::Checkpoints,
    );
    let e = d.initialize_from_bytes(Some(&state)).unwrap_err();
    assert!(
        matches!(
            e,
            SinkError::Lost {
                expected_len: 4,
                found_len: Some(2),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn recovery_deletes_leftovers_and_numbers_after_existing_parts() {
    let t = TempDir::new("leftovers");
    fs::write(committed_path(&t.0, 0, 4), "old\n").unwrap();
    fs::write(in_progress_path(&t.0, 0, 7), "orphan\n").unwrap();
    fs::write(in_progress_path(&t.0, 1, 9), "another subtask's\n").unwrap();
    fs::write(t.0.join("README"), "not ours\n").unwrap();
    let mut d = open(&t.0, None);
    assert_eq!(names(&t.0), [".part-1-9.inprogress", "README", "part-0-4"]);
    write(&mut d, &["new"]);
    d.snapshot(1).unwrap();
    d.notify_checkpoint_complete(1).unwrap();
    assert!(names(&t.0).contains(&"part-0-8".to_string()));
    assert_eq!(output(&t.0), "old\nnew\n");
}

#[test]
fn transactions_round_trip_through_the_state_bytes() {
    let t = TempDir::new("bytes");
    let sink = FileSink::new(&t.0, 3, lines())
        .unwrap()
        .with_max_part_bytes(2);
    let mut d = TwoPhaseCommitDriver::new(sink, CommitOn::Checkpoints);
    d.initialize(None).unwrap();
    write(&mut d, &["a", "b", "c"]);
    d.snapshot(1).unwrap();
    write(&mut d, &["d"]);
    let state = d.snapshot(2).unwrap();
    assert_eq!(state.pending[0].1.subtask, 3);
    assert_eq!(state.pending[0].1.parts.len(), 3);
    let back = TwoPhaseCommitState::<FileTransaction>::from_bytes(&state.to_bytes()).unwrap();
    assert_eq!(back, state);
}

#[test]
fn io_errors_name_the_operation_and_path() {
    let t = TempDir::new("ioerr");
    let file = t.0.join("plain-file");
    fs::write(&file, "").unwrap();
    let Err(e) = FileSink::<String>::new(&file.join("sub"), 0, lines()) else {
        panic!("a directory under a plain file was created");
    };
    let msg = e.to_string();
    assert!(msg.starts_with("create directory '"), "{msg}");
    assert!(msg.contains("plain-file/sub"), "{msg}");
}
