//! The exactly-once file sink (the ideas of Flink's `FileSink`: in-progress, pending and
//! finished part files; commit by rename), on the two-phase-commit protocol.
//!
//! Subtask `s` writes lines into `<dir>/.part-<s>-<n>.inprogress`, a new part number `n`
//! per transaction (a new part file at every checkpoint) and, with a size limit, whenever
//! a part reaches it. A part file is opened at its first record, so an empty transaction
//! leaves no file. Pre-commit flushes and fsyncs the parts, which keep their in-progress
//! names and are now *pending*: the transaction records each part's number and length.
//! Commit renames each to `<dir>/part-<s>-<n>` and fsyncs the directory. Hidden names
//! (leading dot) keep uncommitted data away from readers of the directory.
//!
//! Recovery: commit is idempotent (a part already renamed, with the recorded length, is
//! done) and cuts a pending part that is longer than recorded back to its recorded length
//! first (bytes written after the pre-commit). Abort deletes in-progress files, a missing
//! one being fine. After recovery every remaining in-progress file of the subtask belongs
//! to no checkpoint and is deleted, and numbering continues after the highest part number
//! found, so a committed file is never overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::codec::{put_u32, put_u64, ByteReader, StateCodec};
use super::error::{FileOp, SinkError, StateDecodeError};
use super::two_phase::TwoPhaseCommitSink;
use crate::operator::sink::Formatter;
use crate::record::{Data, Record};

/// One part file of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartFile {
    /// Its number, unique per subtask and directory.
    pub number: u64,
    /// Bytes written (for a pre-committed part: the bytes that are durable).
    pub len: u64,
}

/// The handle of a file-sink transaction: its subtask and part files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTransaction {
    /// The subtask that wrote it (part of the file names).
    pub subtask: u32,
    /// Its part files, in write order.
    pub parts: Vec<PartFile>,
}

impl StateCodec for FileTransaction {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.subtask);
        put_u32(out, self.parts.len() as u32);
        for p in &self.parts {
            put_u64(out, p.number);
            put_u64(out, p.len);
        }
    }

    fn decode(input: &mut ByteReader<'_>) -> Result<Self, StateDecodeError> {
        let subtask = input.u32("subtask")?;
        let count = input.u32("part count")?;
        let mut parts = Vec::new();
        for _ in 0..count {
            let number = input.u64("part number")?;
            let len = input.u64("part length")?;
            parts.push(PartFile { number, len });
        }
        Ok(Self { subtask, parts })
    }
}

/// The in-progress (and pending) path of part `number` of `subtask`.
pub fn in_progress_path(dir: &Path, subtask: u32, number: u64) -> PathBuf {
    dir.join(format!(".part-{subtask}-{number}.inprogress"))
}

/// The committed path of part `number` of `subtask`.
pub fn committed_path(dir: &Path, subtask: u32, number: u64) -> PathBuf {
    dir.join(format!("part-{subtask}-{number}"))
}

/// The committed part files of `subtask` in `dir`, by part number.
pub fn committed_files(dir: &Path, subtask: u32) -> Result<Vec<PathBuf>, SinkError> {
    let mut numbers: Vec<u64> = scan(dir, subtask)?
        .into_iter()
        .filter(|(_, in_progress)| !in_progress)
        .map(|(n, _)| n)
        .collect();
    numbers.sort_unstable();
    Ok(numbers
        .into_iter()
        .map(|n| committed_path(dir, subtask, n))
        .collect())
}

struct OpenPart {
    number: u64,
    path: PathBuf,
    out: BufWriter<File>,
}

/// An exactly-once sink writing one line per record into part files of a directory.
pub struct FileSink<T: Data> {
    dir: PathBuf,
    subtask: u32,
    format: Formatter<T>,
    max_part_bytes: Option<u64>,
    next_part: Option<u64>,
    open: Option<OpenPart>,
    line: Vec<u8>,
    /// Old subtasks (gone after a rescale) whose leftovers this one clears.
    taken_over: Vec<u32>,
}

impl<T: Data> FileSink<T> {
    /// The sink of `subtask`, writing lines formatted by `format` into `dir` (created).
    pub fn new(dir: &Path, subtask: u32, format: Formatter<T>) -> Result<Self, SinkError> {
        fs::create_dir_all(dir).map_err(|e| SinkError::io(FileOp::CreateDir, dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            subtask,
            format,
            max_part_bytes: None,
            next_part: None,
            open: None,
            line: Vec::new(),
            taken_over: Vec::new(),
        })
    }

    /// Also starts a new part file once one holds at least `bytes`.
    pub fn with_max_part_bytes(mut self, bytes: u64) -> Self {
        self.max_part_bytes = Some(bytes.max(1));
        self
    }

    fn next_number(&mut self) -> Result<u64, SinkError> {
        let next = match self.next_part {
            Some(n) => n,
            None => highest(&scan(&self.dir, self.subtask)?).map_or(0, |n| n + 1),
        };
        self.next_part = Some(next + 1);
        Ok(next)
    }

    /// Whether the open part file is the last part of `txn`.
    fn is_open_in(&self, txn: &FileTransaction) -> bool {
        match (&self.open, txn.parts.last()) {
            (Some(open), Some(last)) => txn.subtask == self.subtask && open.number == last.number,
            _ => false,
        }
    }

    /// Flushes, fsyncs and closes the open part of `txn`.
    fn close_part(&mut self, txn: &FileTransaction) -> Result<(), SinkError> {
        if !self.is_open_in(txn) {
            return Ok(());
        }
        let Some(mut open) = self.open.take() else {
            return Ok(());
        };
        open.out
            .flush()
            .map_err(|e| SinkError::io(FileOp::Flush, &open.path, e))?;
        let file = open.out.get_ref();
        file.sync_all()
            .map_err(|e| SinkError::io(FileOp::Sync, &open.path, e))?;
        debug_assert_eq!(
            file.metadata().map(|m| m.len()).ok(),
            txn.parts.last().map(|p| p.len),
            "a closed part holds exactly the bytes its transaction recorded"
        );
        Ok(())
    }

    fn sync_dir(&self) -> Result<(), SinkError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| SinkError::io(FileOp::SyncDir, &self.dir, e))
    }

    /// Renames one pending part to its committed name; returns whether it renamed.
    fn commit_part(&self, subtask: u32, part: PartFile) -> Result<bool, SinkError> {
        let pending = in_progress_path(&self.dir, subtask, part.number);
        let target = committed_path(&self.dir, subtask, part.number);
        match fs::metadata(&pending) {
            Ok(meta) => {
                let found = meta.len();
                if found < part.len {
                    return Err(SinkError::Lost {
                        path: pending,
                        expected_len: part.len,
                        found_len: Some(found),
                    });
                }
                if found > part.len {
                    truncate(&pending, part.len)?;
                }
                fs::rename(&pending, &target)
                    .map_err(|e| SinkError::io(FileOp::Rename, &pending, e))?;
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => match fs::metadata(&target) {
                Ok(meta) if meta.len() == part.len => Ok(false),
                Ok(meta) => Err(SinkError::CommittedMismatch {
                    path: target,
                    expected_len: part.len,
                    found_len: meta.len(),
                }),
                Err(e) if e.kind() == ErrorKind::NotFound => Err(SinkError::Lost {
                    path: pending,
                    expected_len: part.len,
                    found_len: None,
                }),
                Err(e) => Err(SinkError::io(FileOp::Stat, target, e)),
            },
            Err(e) => Err(SinkError::io(FileOp::Stat, pending, e)),
        }
    }
}

impl<T: Data> TwoPhaseCommitSink<T> for FileSink<T> {
    type Transaction = FileTransaction;

    fn begin_transaction(&mut self) -> Result<FileTransaction, SinkError> {
        Ok(FileTransaction {
            subtask: self.subtask,
            parts: Vec::new(),
        })
    }

    fn write(
        &mut self,
        txn: &mut FileTransaction,
        record: &Record<'_, T>,
        _timestamp: i64,
    ) -> Result<(), SinkError> {
        self.line.clear();
        (self.format)(record, &mut self.line)?;
        self.line.push(b'\n');
        if !self.is_open_in(txn) {
            // A part left open by another transaction would be a driver bug; never write
            // into it.
            debug_assert!(self.open.is_none(), "a part is open in another transaction");
            let number = self.next_number()?;
            let path = in_progress_path(&self.dir, self.subtask, number);
            let file = File::create(&path).map_err(|e| SinkError::io(FileOp::Create, &path, e))?;
            self.open = Some(OpenPart {
                number,
                path,
                out: BufWriter::with_capacity(1 << 16, file),
            });
            txn.parts.push(PartFile { number, len: 0 });
        }
        let (Some(open), Some(last)) = (self.open.as_mut(), txn.parts.last_mut()) else {
            return Err(SinkError::Lifecycle {
                call: "write",
                phase: "without an open part file",
            });
        };
        open.out
            .write_all(&self.line)
            .map_err(|e| SinkError::io(FileOp::Write, &open.path, e))?;
        last.len += self.line.len() as u64;
        if self.max_part_bytes.is_some_and(|max| last.len >= max) {
            self.close_part(txn)?;
        }
        Ok(())
    }

    fn pre_commit(&mut self, txn: &mut FileTransaction) -> Result<(), SinkError> {
        self.close_part(txn)?;
        if !txn.parts.is_empty() {
            // The new names must survive a machine crash as well as the bytes.
            self.sync_dir()?;
        }
        Ok(())
    }

    fn commit(&mut self, txn: &FileTransaction) -> Result<(), SinkError> {
        let mut renamed = false;
        for part in &txn.parts {
            renamed |= self.commit_part(txn.subtask, *part)?;
        }
        if renamed {
            self.sync_dir()?;
        }
        Ok(())
    }

    fn abort(&mut self, txn: &FileTransaction) -> Result<(), SinkError> {
        if self.is_open_in(txn) {
            self.open = None;
        }
        for part in &txn.parts {
            remove_if_present(&in_progress_path(&self.dir, txn.subtask, part.number))?;
        }
        Ok(())
    }

    fn take_over(&mut self, old: u32) {
        self.taken_over.push(old);
    }

    fn finish_recovery(&mut self) -> Result<(), SinkError> {
        let found = scan(&self.dir, self.subtask)?;
        self.next_part = Some(highest(&found).map_or(0, |n| n + 1));
        for (number, _) in found.iter().filter(|(_, in_progress)| *in_progress) {
            remove_if_present(&in_progress_path(&self.dir, self.subtask, *number))?;
        }
        // In-progress files of old subtasks that no longer exist belong to no checkpoint.
        for &old in &self.taken_over {
            for (number, _) in scan(&self.dir, old)?.iter().filter(|(_, p)| *p) {
                remove_if_present(&in_progress_path(&self.dir, old, *number))?;
            }
        }
        Ok(())
    }
}

/// The part numbers of `subtask` in `dir`, each with whether it is in progress.
fn scan(dir: &Path, subtask: u32) -> Result<Vec<(u64, bool)>, SinkError> {
    let entries = fs::read_dir(dir).map_err(|e| SinkError::io(FileOp::ReadDir, dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| SinkError::io(FileOp::ReadDir, dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let (rest, in_progress) = match name.strip_prefix(".part-") {
            Some(rest) => match rest.strip_suffix(".inprogress") {
                Some(rest) => (rest, true),
                None => continue,
            },
            None => match name.strip_prefix("part-") {
                Some(rest) => (rest, false),
                None => continue,
            },
        };
        let Some((s, n)) = rest.split_once('-') else {
            continue;
        };
        if let (Ok(s), Ok(n)) = (s.parse::<u32>(), n.parse::<u64>()) {
            if s == subtask {
                found.push((n, in_progress));
            }
        }
    }
    Ok(found)
}

fn highest(found: &[(u64, bool)]) -> Option<u64> {
    found.iter().map(|(n, _)| *n).max()
}

fn truncate(path: &Path, len: u64) -> Result<(), SinkError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| SinkError::io(FileOp::Truncate, path, e))?;
    file.set_len(len)
        .map_err(|e| SinkError::io(FileOp::Truncate, path, e))?;
    file.sync_all()
        .map_err(|e| SinkError::io(FileOp::Sync, path, e))
}

fn remove_if_present(path: &Path) -> Result<(), SinkError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SinkError::io(FileOp::Remove, path, e)),
    }
}
