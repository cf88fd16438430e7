//! The `_metadata` file of a completed checkpoint or savepoint: the handles of every
//! operator's state parts, framed by a magic, a version and a checksum (Flink's
//! `Checkpoints.storeCheckpointMetadata` / `loadCheckpointMetadata`), and loading a
//! [`CompletedCheckpoint`] with the checks of the files it names.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use super::{io_error, CompletedCheckpoint, StorageError};

/// The name of the metadata file in a checkpoint or savepoint directory.
pub const METADATA_FILE: &str = "_metadata";

/// The version of the metadata format this code writes and reads.
pub const METADATA_VERSION: u32 = 1;

/// The first bytes of a metadata file.
pub const METADATA_MAGIC: [u8; 8] = *b"WEIRMETA";

/// Magic, version and checksum: the bytes before the JSON body.
const HEADER_BYTES: usize = 8 + 4 + 4;

/// Where a part lives: a file relative to the checkpoint directory, a byte range and its crc32c.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartHandle {
    /// The file, relative to the checkpoint directory.
    pub file: String,
    /// Where the part starts in the file.
    pub offset: u64,
    /// The part's length in bytes.
    pub length: u64,
    /// The crc32c of the part's bytes.
    pub crc32c: u32,
}

/// A keyed state stream and the key groups it holds (Flink's `KeyGroupsStateHandle`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedHandle {
    /// Where the stream lives.
    pub part: PartHandle,
    /// The first key group of the stream's range.
    pub first_key_group: u32,
    /// How many key groups the range has (0: empty).
    pub key_groups: u32,
}

impl KeyedHandle {
    /// Whether the handle's key groups intersect `first..first + count`.
    pub fn intersects(&self, first: u32, count: u32) -> bool {
        let (a, a_end) = (
            u64::from(self.first_key_group),
            u64::from(self.first_key_group) + u64::from(self.key_groups),
        );
        let (b, b_end) = (u64::from(first), u64::from(first) + u64::from(count));
        a < a_end && b < b_end && a < b_end && b < a_end
    }
}

/// One operator's handles in one subtask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSubtaskHandle {
    /// The subtask index.
    pub subtask: usize,
    /// The keyed state stream, if the operator has keyed state.
    pub keyed: Option<KeyedHandle>,
    /// The operator (list) state stream, if the operator has operator state.
    pub operator: Option<PartHandle>,
    /// The in-flight data of an unaligned checkpoint, on the head operator of a chain
    /// whose subtask had any (see `checkpoint::channel_state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<PartHandle>,
}

impl OperatorSubtaskHandle {
    /// Whether the subtask has any state.
    pub fn has_state(&self) -> bool {
        self.keyed.is_some() || self.operator.is_some() || self.channels.is_some()
    }

    /// The parts of the subtask: keyed, operator, then in-flight data.
    pub fn parts(&self) -> impl Iterator<Item = &PartHandle> + '_ {
        self.keyed
            .as_ref()
            .map(|k| &k.part)
            .into_iter()
            .chain(self.operator.as_ref())
            .chain(self.channels.as_ref())
    }
}

/// One operator across its subtasks, in the metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorState {
    /// The operator's state id (Flink's uid).
    pub uid: String,
    /// The parallelism the checkpoint was taken at.
    pub parallelism: usize,
    /// The maximum parallelism (number of key groups) the checkpoint was taken at.
    pub max_parallelism: usize,
    /// The handles of each subtask, sorted by subtask index.
    pub subtasks: Vec<OperatorSubtaskHandle>,
}

impl OperatorState {
    /// Whether any subtask has state.
    pub fn has_state(&self) -> bool {
        self.subtasks.iter().any(OperatorSubtaskHandle::has_state)
    }

    /// Whether any subtask has in-flight data of an unaligned checkpoint.
    pub fn has_channel_state(&self) -> bool {
        self.subtasks.iter().any(|s| s.channels.is_some())
    }
}

/// The `_metadata` of a completed checkpoint or savepoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointMetadata {
    /// The format version, [`METADATA_VERSION`].
    pub version: u32,
    /// The name of the job that took it.
    pub job_name: String,
    /// The checkpoint id.
    pub checkpoint_id: u64,
    /// A savepoint (true) or a checkpoint.
    pub savepoint: bool,
    /// When it was triggered, in milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// Every operator's state, sorted by uid.
    pub operators: Vec<OperatorState>,
}

/// Collects the handles of every subtask into [`OperatorState`] entries (grouped by uid,
/// subtasks sorted).
#[derive(Debug)]
pub struct MetadataBuilder {
    job_name: String,
    checkpoint_id: u64,
    savepoint: bool,
    timestamp_ms: u64,
    operators: BTreeMap<String, OperatorState>,
}

impl MetadataBuilder {
    /// A builder of the metadata of checkpoint `checkpoint_id` of job `job_name`.
    pub fn new(
        job_name: impl Into<String>,
        checkpoint_id: u64,
        savepoint: bool,
        timestamp_ms: u64,
    ) -> Self {
        Self {
            job_name: job_name.into(),
            checkpoint_id,
            savepoint,
            timestamp_ms,
            operators: BTreeMap::new(),
        }
    }

    /// Adds the handles one subtask's [`write_task_state`](super::write_task_state) returned,
    /// with its task's parallelism and maximum parallelism.
    pub fn add(
        &mut self,
        parallelism: usize,
        max_parallelism: usize,
        handles: Vec<(String, OperatorSubtaskHandle)>,
    ) -> &mut Self {
        for (uid, handle) in handles {
            self.operators
                .entry(uid.clone())
                .or_insert_with(|| OperatorState {
                    uid,
                    parallelism,
                    max_parallelism,
                    subtasks: Vec::new(),
                })
                .subtasks
                .push(handle);
        }
        self
    }

    /// The metadata: operators sorted by uid, their subtasks by index.
    pub fn build(self) -> CheckpointMetadata {
        let operators = self
            .operators
            .into_values()
            .map(|mut op| {
                op.subtasks.sort_by_key(|s| s.subtask);
                op
            })
            .collect();
        CheckpointMetadata {
            version: METADATA_VERSION,
            job_name: self.job_name,
            checkpoint_id: self.checkpoint_id,
            savepoint: self.savepoint,
            timestamp_ms: self.timestamp_ms,
            operators,
        }
    }
}

/// Makes the checkpoint in `dir` visible: writes `_metadata` atomically (temporary file,
/// fsync, rename, fsync of the directory, which also makes the directory entries of the
/// state files written before it durable). The file is: 8 magic bytes `WEIRMETA`, `u32` LE
/// version, `u32` LE crc32c of the JSON body, then the JSON body.
pub fn write_metadata(dir: &Path, metadata: &CheckpointMetadata) -> Result<(), StorageError> {
    let path = dir.join(METADATA_FILE);
    let body = serde_json::to_vec(metadata).map_err(|e| StorageError::Io {
        path: path.clone(),
        reason: format!("cannot encode the metadata: {e}"),
    })?;
    let version = METADATA_VERSION.to_le_bytes();
    let crc = crc32c::crc32c(&body).to_le_bytes();
    weir_state::snapshot::file::write_atomic(&path, &[&METADATA_MAGIC, &version, &crc, &body])
        .map_err(|e| StorageError::Io {
            path,
            reason: e.to_string(),
        })
}

/// Decodes the bytes of the metadata file `path`: magic, version, checksum, JSON, and the
/// consistency of what the JSON says (not the files it names).
pub(super) fn decode_metadata(
    path: &Path,
    bytes: &[u8],
) -> Result<CheckpointMetadata, StorageError> {
    let corrupt = |reason: String| StorageError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < HEADER_BYTES {
        return Err(corrupt(format!(
            "truncated: {} bytes, the header alone has {HEADER_BYTES}",
            bytes.len()
        )));
    }
    let (magic, rest) = bytes.split_at(8);
    if magic != METADATA_MAGIC {
        return Err(corrupt(format!(
            "bad magic {:?}, expected {:?} (not a checkpoint metadata file)",
            String::from_utf8_lossy(magic),
            String::from_utf8_lossy(&METADATA_MAGIC)
        )));
    }
    let (version, rest) = rest.split_at(4);
    let (crc, body) = rest.split_at(4);
    let version = u32::from_le_bytes([version[0], version[1], version[2], version[3]]);
    if version != METADATA_VERSION {
        return Err(StorageError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    let expected = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let actual = crc32c::crc32c(body);
    if actual != expected {
        return Err(corrupt(format!(
            "crc32c mismatch: the body ({} bytes) has {actual:#010x}, the header says \
             {expected:#010x} (damaged or truncated)",
            body.len()
        )));
    }
    let metadata: CheckpointMetadata =
        serde_json::from_slice(body).map_err(|e| corrupt(format!("invalid JSON: {e}")))?;
    if metadata.version != METADATA_VERSION {
        return Err(corrupt(format!(
            "the body says version {}, the header {METADATA_VERSION}",
            metadata.version
        )));
    }
    check_consistency(&metadata).map_err(corrupt)?;
    Ok(metadata)
}

/// What the metadata must satisfy to be assignable: unique uids, subtask indices below the
/// parallelism and unique, keyed ranges within the maximum parallelism.
fn check_consistency(metadata: &CheckpointMetadata) -> Result<(), String> {
    let mut uids = std::collections::BTreeSet::new();
    for op in &metadata.operators {
        if !uids.insert(op.uid.as_str()) {
            return Err(format!("operator '{}' appears twice", op.uid));
        }
        if op.parallelism == 0 || op.parallelism > op.max_parallelism {
            return Err(format!(
                "operator '{}' has parallelism {} and maximum parallelism {}",
                op.uid, op.parallelism, op.max_parallelism
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &op.subtasks {
            if s.subtask >= op.parallelism || !seen.insert(s.subtask) {
                return Err(format!(
                    "operator '{}' lists subtask {} twice or beyond its parallelism {}",
                    op.uid, s.subtask, op.parallelism
                ));
            }
            if let Some(k) = &s.keyed {
                let end = u64::from(k.first_key_group) + u64::from(k.key_groups);
                if end > op.max_parallelism as u64 {
                    return Err(format!(
                        "operator '{}' subtask {} holds key groups {}..{end}, beyond its \
                         maximum parallelism {}",
                        op.uid, s.subtask, k.first_key_group, op.max_parallelism
                    ));
                }
            }
        }
    }
    Ok(())
}

impl CompletedCheckpoint {
    /// Loads and checks the checkpoint at `path` (its directory or its `_metadata` file):
    /// magic, version, crc32c, JSON; every referenced file exists (relative to the
    /// directory, without `..`, not absolute) and is long enough for each of its parts.
    /// Does not read the parts.
    pub fn load(path: &Path) -> Result<Self, StorageError> {
        let (dir, file) = if path.is_dir() {
            (path.to_path_buf(), path.join(METADATA_FILE))
        } else {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (dir.to_path_buf(), path.to_path_buf())
        };
        let bytes = fs::read(&file).map_err(|e| io_error(&file, &e))?;
        let metadata = decode_metadata(&file, &bytes)?;
        let mut lengths = std::collections::BTreeMap::new();
        for op in &metadata.operators {
            for subtask in &op.subtasks {
                for part in subtask.parts() {
                    check_part(&dir, &file, part, &op.uid, subtask.subtask, &mut lengths)?;
                }
            }
        }
        Ok(Self { dir, metadata })
    }
}

/// Checks that `part` names a safe file of `dir` long enough for it; `lengths` caches
/// the file lengths. Errors name the metadata file `metadata` for unsafe names.
fn check_part(
    dir: &Path,
    metadata: &Path,
    part: &PartHandle,
    uid: &str,
    subtask: usize,
    lengths: &mut std::collections::BTreeMap<String, u64>,
) -> Result<(), StorageError> {
    if !is_safe_file_name(&part.file) {
        return Err(StorageError::Corrupt {
            path: metadata.to_path_buf(),
            reason: format!(
                "operator '{uid}' subtask {subtask} names the unsafe file {:?} (absolute, \
                 empty or with ..)",
                part.file
            ),
        });
    }
    let path = dir.join(&part.file);
    let length = match lengths.get(&part.file) {
        Some(&length) => length,
        None => {
            let length = fs::metadata(&path)
                .map_err(|e| StorageError::Corrupt {
                    path: path.clone(),
                    reason: format!("operator '{uid}' subtask {subtask} needs this file: {e}"),
                })?
                .len();
            lengths.insert(part.file.clone(), length);
            length
        }
    };
    let end = part.offset.checked_add(part.length);
    if end.is_none_or(|end| end > length) {
        return Err(StorageError::Corrupt {
            path,
            reason: format!(
                "short file: {length} bytes, but operator '{uid}' subtask {subtask} has a part \
                 at offset {} of length {}",
                part.offset, part.length
            ),
        });
    }
    Ok(())
}

/// Whether `file` is a plain relative path below the checkpoint directory (no `..`, not
/// absolute, not empty).
pub(super) fn is_safe_file_name(file: &str) -> bool {
    let path = Path::new(file);
    !file.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}
