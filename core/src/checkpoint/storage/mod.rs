//! On-disk checkpoint storage (Flink's `FsCheckpointStorage`, `CompletedCheckpoint` and
//! `StateAssignmentOperation`, simplified): the files a checkpoint's tasks write, the
//! `_metadata` that makes it visible, loading it back and deciding which parts each
//! subtask of a rescaled job restores. Blocking `std::fs` I/O and pure planning; the
//! caller picks the thread.
//!
//! - this file: the error type, writing one subtask's state ([`write_task_state`]),
//!   [`CompletedCheckpoint`] (its parts), [`CheckpointStorage`] (a job's checkpoint
//!   directory, the latest complete checkpoint) and [`savepoint_dir`].
//! - [`metadata`]: the handles, the `_metadata` format ([`write_metadata`]) and
//!   [`CompletedCheckpoint::load`] with its checks.
//! - [`assign`]: what each new subtask restores, and the check for state the new
//!   program cannot take (`--allow-non-restored-state`).
//!
//! # On-disk layout
//!
//! ```text
//! <state.checkpoints.dir>/<job id>/      CheckpointStorage::root
//!     chk-<n>/                           one checkpoint
//!         _metadata                      written last: its presence completes chk-<n>
//!         <vertex index>-<subtask>.state one per subtask, every operator's parts back to back
//! <state.savepoints.dir>/savepoint-<job id prefix>-<12 hex>/
//!     _metadata, *.state                 the same, self-contained
//! ```
//!
//! `_metadata` is `WEIRMETA` (8 bytes), a `u32` LE version, the `u32` LE crc32c of the
//! body, then the body: [`CheckpointMetadata`] as JSON. Every file it names is relative
//! to its own directory, so a checkpoint or savepoint can be moved or copied whole.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use weir_state::StateError;

pub mod assign;
pub mod metadata;

pub use assign::SubtaskRestore;
pub use metadata::{
    write_metadata, CheckpointMetadata, KeyedHandle, MetadataBuilder, OperatorState,
    OperatorSubtaskHandle, PartHandle, METADATA_FILE, METADATA_MAGIC, METADATA_VERSION,
};

#[cfg(test)]
mod tests;

/// Why storing, loading or assigning a checkpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file or directory could not be created, written or read.
    #[error("checkpoint storage I/O on {}: {reason}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system reported.
        reason: String,
    },
    /// The metadata or a part is damaged, truncated, missing or unsafe.
    #[error("corrupt checkpoint file {}: {reason}", .path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The metadata has a version this code cannot read.
    #[error(
        "checkpoint metadata {} has version {version}, this version of Weir reads version {}",
        .path.display(), METADATA_VERSION
    )]
    UnsupportedVersion {
        /// The metadata file.
        path: PathBuf,
        /// The version it has.
        version: u32,
    },
    /// Writing a keyed state snapshot failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The job's maximum parallelism of an operator differs from the checkpoint's.
    #[error(
        "the maximum parallelism ({max_parallelism}) of operator '{uid}' differs from the \
         checkpoint's ({checkpoint_max_parallelism})"
    )]
    MaxParallelismChanged {
        /// The operator.
        uid: String,
        /// The maximum parallelism of the new job.
        max_parallelism: usize,
        /// The maximum parallelism of the checkpoint.
        checkpoint_max_parallelism: usize,
    },
    /// An unaligned checkpoint's in-flight data cannot follow a change of parallelism.
    #[error(
        "operator '{uid}' has in-flight data of an unaligned checkpoint in {}, taken at \
         parallelism {checkpoint_parallelism}; it can only be restored at that parallelism, \
         not {parallelism}. Restore it unchanged, or rescale from a savepoint (savepoints \
         are always aligned)",
        .path.display()
    )]
    ChannelStateRescaled {
        /// The operator (the head of its chain).
        uid: String,
        /// The parallelism asked for.
        parallelism: usize,
        /// The parallelism the checkpoint was taken at.
        checkpoint_parallelism: usize,
        /// The checkpoint directory.
        path: PathBuf,
    },
    /// In-flight data stored with an operator that no longer heads a chain.
    #[error(
        "operator '{uid}' has in-flight data of an unaligned checkpoint in {}, but it no \
         longer starts a chain of the job (its chaining changed); restore the program \
         unchanged, or start from a savepoint",
        .path.display()
    )]
    ChannelStateMoved {
        /// The operator.
        uid: String,
        /// The checkpoint directory.
        path: PathBuf,
    },
    /// A subtask index or parallelism the key groups cannot be split for.
    #[error(
        "operator '{uid}': subtask {subtask} of parallelism {parallelism} with maximum \
         parallelism {max_parallelism} is not a valid assignment"
    )]
    InvalidAssignment {
        /// The operator.
        uid: String,
        /// The subtask index asked for.
        subtask: usize,
        /// The parallelism asked for.
        parallelism: usize,
        /// The maximum parallelism asked for.
        max_parallelism: usize,
    },
    /// The checkpoint has state for operators the new program lacks.
    #[error(
        "Failed to rollback to checkpoint/savepoint {}. Cannot map checkpoint/savepoint state \
         for operator {} to the new program, because the operator is not available in the new \
         program. If you want to allow to skip this, you can set the \
         --allow-non-restored-state option on the CLI.",
        .path.display(), .uids.join(", ")
    )]
    NonRestoredState {
        /// The operators whose state would be dropped.
        uids: Vec<String>,
        /// The checkpoint or savepoint directory.
        path: PathBuf,
    },
}

fn io_error(path: &Path, e: &io::Error) -> StorageError {
    StorageError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// One operator's state in one subtask, as a task hands it to the storage (what the
/// chain's snapshot call collected).
pub use crate::operator::checkpoint::OperatorSnapshot as OperatorSubtaskState;

/// What one subtask of one vertex hands over for one checkpoint.
#[derive(Debug)]
pub struct TaskState {
    /// The vertex name (for messages only).
    pub vertex: String,
    /// The vertex id in the job graph (for the file name).
    pub vertex_index: usize,
    /// The subtask index.
    pub subtask: usize,
    /// The vertex's parallelism.
    pub parallelism: usize,
    /// The vertex's maximum parallelism.
    pub max_parallelism: usize,
    /// Every operator of the subtask (a chain has several).
    pub operators: Vec<OperatorSubtaskState>,
    /// The in-flight data of an unaligned checkpoint (encoded `ChannelState`), stored
    /// with the operator of this uid (the chain's head), when there was any.
    pub channels: Option<(String, Vec<u8>)>,
}

/// Counts and checksums what passes through it; keeps the I/O error, which names no file
/// once it has gone through the snapshot writer.
struct PartWriter<'a, W: Write> {
    out: &'a mut W,
    length: u64,
    crc: u32,
    error: Option<String>,
}

impl<'a, W: Write> PartWriter<'a, W> {
    fn new(out: &'a mut W) -> Self {
        Self {
            out,
            length: 0,
            crc: 0,
            error: None,
        }
    }
}

impl<W: Write> Write for PartWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.out.write(buf) {
            Ok(n) => {
                let written = &buf[..n.min(buf.len())];
                self.crc = crc32c::crc32c_append(self.crc, written);
                self.length += written.len() as u64;
                Ok(n)
            }
            Err(e) => {
                self.error = Some(e.to_string());
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out
            .flush()
            .inspect_err(|e| self.error = Some(e.to_string()))
    }
}

/// Writes one subtask's state for a checkpoint into `dir` (created if missing) as one file
/// named `<vertex_index>-<subtask>.state` (e.g. `3-0.state`): for each operator its keyed
/// stream then its operator stream, back to back; fsyncs the file. Returns
/// `(uid, OperatorSubtaskHandle)` per operator, with offsets, lengths and crc32c of each part.
pub fn write_task_state(
    dir: &Path,
    task: &TaskState,
) -> Result<Vec<(String, OperatorSubtaskHandle)>, StorageError> {
    fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
    let name = format!("{}-{}.state", task.vertex_index, task.subtask);
    let path = dir.join(&name);
    let file = File::create(&path).map_err(|e| io_error(&path, &e))?;
    let file_path = path.clone();
    let mut out = StateFile {
        out: BufWriter::new(file),
        path,
        name,
        offset: 0,
    };
    let mut handles = Vec::with_capacity(task.operators.len());
    for op in &task.operators {
        let context = format!(
            "operator '{}' of vertex '{}' subtask {}",
            op.uid, task.vertex, task.subtask
        );
        let keyed = match &op.keyed {
            Some(snapshot) => {
                let range = snapshot.key_group_range();
                Some(KeyedHandle {
                    part: out.part(&context, |w| Ok(snapshot.write_to(w)?))?,
                    first_key_group: range.start_key_group(),
                    key_groups: range.number_of_key_groups(),
                })
            }
            None => None,
        };
        let operator = match &op.operator {
            Some(bytes) => Some(out.part(&context, |w| {
                w.write_all(bytes).map_err(|e| io_error(&file_path, &e))
            })?),
            None => None,
        };
        handles.push((
            op.uid.clone(),
            OperatorSubtaskHandle {
                subtask: task.subtask,
                keyed,
                operator,
                channels: None,
            },
        ));
    }
    if let Some((uid, bytes)) = &task.channels {
        let context = format!(
            "in-flight data of vertex '{}' subtask {}",
            task.vertex, task.subtask
        );
        let part = out.part(&context, |w| {
            w.write_all(bytes).map_err(|e| io_error(&file_path, &e))
        })?;
        match handles.iter_mut().find(|(u, _)| u == uid) {
            Some((_, h)) => h.channels = Some(part),
            None => handles.push((
                uid.clone(),
                OperatorSubtaskHandle {
                    subtask: task.subtask,
                    keyed: None,
                    operator: None,
                    channels: Some(part),
                },
            )),
        }
    }
    let file = out
        .out
        .into_inner()
        .map_err(|e| io_error(&out.path, e.error()))?;
    file.sync_all().map_err(|e| io_error(&out.path, &e))?;
    Ok(handles)
}

/// One `.state` file being written: its parts back to back.
struct StateFile {
    out: BufWriter<File>,
    /// Where it is.
    path: PathBuf,
    /// Its name in the metadata.
    name: String,
    /// Where the next part starts.
    offset: u64,
}

impl StateFile {
    /// Writes one part through `write`; an I/O error names the file and `context`.
    fn part(
        &mut self,
        context: &str,
        write: impl FnOnce(&mut PartWriter<'_, BufWriter<File>>) -> Result<(), StorageError>,
    ) -> Result<PartHandle, StorageError> {
        let mut w = PartWriter::new(&mut self.out);
        let result = write(&mut w);
        if let Some(reason) = w.error.take() {
            return Err(StorageError::Io {
                path: self.path.clone(),
                reason: format!("writing {context}: {reason}"),
            });
        }
        result?;
        let handle = PartHandle {
            file: self.name.clone(),
            offset: self.offset,
            length: w.length,
            crc32c: w.crc,
        };
        self.offset += w.length;
        Ok(handle)
    }
}

/// A completed checkpoint or savepoint, loaded from its directory (or its `_metadata` path).
#[derive(Debug, Clone)]
pub struct CompletedCheckpoint {
    /// The checkpoint or savepoint directory.
    pub dir: PathBuf,
    /// Its metadata.
    pub metadata: CheckpointMetadata,
}

impl CompletedCheckpoint {
    /// The operator's state by uid.
    pub fn operator(&self, uid: &str) -> Option<&OperatorState> {
        self.metadata.operators.iter().find(|op| op.uid == uid)
    }

    /// Reads one part's bytes, verifying its crc32c (a mismatch names the file, the offset
    /// and, when the part is in the metadata, the operator and subtask).
    pub fn read_part(&self, part: &PartHandle) -> Result<Vec<u8>, StorageError> {
        if !metadata::is_safe_file_name(&part.file) {
            return Err(StorageError::Corrupt {
                path: self.dir.clone(),
                reason: format!("unsafe part file name {:?}", part.file),
            });
        }
        let path = self.dir.join(&part.file);
        let mut file = File::open(&path).map_err(|e| io_error(&path, &e))?;
        file.seek(SeekFrom::Start(part.offset))
            .map_err(|e| io_error(&path, &e))?;
        let mut bytes = Vec::new();
        file.take(part.length)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&path, &e))?;
        let owner = self.owner_of(part);
        if bytes.len() as u64 != part.length {
            return Err(StorageError::Corrupt {
                path,
                reason: format!(
                    "truncated: the part at offset {} of length {}{owner} ends {} bytes past \
                     the end of the file",
                    part.offset,
                    part.length,
                    part.length - bytes.len() as u64
                ),
            });
        }
        let actual = crc32c::crc32c(&bytes);
        if actual != part.crc32c {
            return Err(StorageError::Corrupt {
                path,
                reason: format!(
                    "crc32c mismatch in the part at offset {} of length {}{owner}: \
                     {actual:#010x}, the metadata says {:#010x}",
                    part.offset, part.length, part.crc32c
                ),
            });
        }
        Ok(bytes)
    }

    /// " (operator 'uid', subtask n)" for a part listed in the metadata, else "".
    fn owner_of(&self, part: &PartHandle) -> String {
        self.metadata
            .operators
            .iter()
            .flat_map(|op| op.subtasks.iter().map(move |s| (op, s)))
            .find(|(_, s)| s.parts().any(|p| p == part))
            .map(|(op, s)| format!(" (operator '{}', subtask {})", op.uid, s.subtask))
            .unwrap_or_default()
    }
}

/// The checkpoint directory of a job: `<checkpoints dir>/<job id>`; checkpoint `n` is
/// `chk-<n>` under it.
#[derive(Debug, Clone)]
pub struct CheckpointStorage {
    root: PathBuf,
}

impl CheckpointStorage {
    /// The storage of job `job_id` under `checkpoints_dir` (`state.checkpoints.dir`).
    pub fn new(checkpoints_dir: &Path, job_id: &str) -> Self {
        Self {
            root: checkpoints_dir.join(job_id),
        }
    }

    /// The job's checkpoint directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of checkpoint `id`: `root/chk-<id>`.
    pub fn checkpoint_dir(&self, id: u64) -> PathBuf {
        self.root.join(format!("chk-{id}"))
    }

    /// Deletes checkpoint `id`'s directory (retired or aborted); a missing one is fine.
    pub fn discard(&self, id: u64) -> Result<(), StorageError> {
        let dir = self.checkpoint_dir(id);
        match fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(&dir, &e)),
            _ => Ok(()),
        }
    }

    /// The newest checkpoint under the root that loads; the newer ones passed over are
    /// reported as skipped (without `_metadata`: incomplete; otherwise the load error).
    pub fn latest(&self) -> Result<(Option<CompletedCheckpoint>, Vec<Skipped>), StorageError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, Vec::new())),
            Err(e) => return Err(io_error(&self.root, &e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&self.root, &e))?;
            let name = entry.file_name();
            let id = name
                .to_str()
                .and_then(|n| n.strip_prefix("chk-"))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(id) = id.filter(|_| entry.path().is_dir()) {
                ids.push(id);
            }
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut skipped = Vec::new();
        for id in ids {
            let path = self.checkpoint_dir(id);
            if !path.join(METADATA_FILE).exists() {
                skipped.push(Skipped {
                    path,
                    reason: format!("incomplete: no {METADATA_FILE}"),
                });
                continue;
            }
            match CompletedCheckpoint::load(&path) {
                Ok(checkpoint) => return Ok((Some(checkpoint), skipped)),
                Err(e) => skipped.push(Skipped {
                    path,
                    reason: e.to_string(),
                }),
            }
        }
        Ok((None, skipped))
    }
}

/// A checkpoint directory passed over by [`CheckpointStorage::latest`], and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The checkpoint directory.
    pub path: PathBuf,
    /// Why it was passed over.
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "skipping checkpoint {}: {}",
            self.path.display(),
            self.reason
        )
    }
}

/// A new savepoint directory under `base`: `savepoint-<first 6 chars of job id>-<12 hex>`
/// (Flink's naming), the hex digits from the low 48 bits of `nonce` (caller-supplied so
/// that tests are deterministic).
pub fn savepoint_dir(base: &Path, job_id: &str, nonce: u64) -> PathBuf {
    let prefix: String = job_id.chars().take(6).collect();
    base.join(format!(
        "savepoint-{prefix}-{:012x}",
        nonce & 0xffff_ffff_ffff
    ))
}
