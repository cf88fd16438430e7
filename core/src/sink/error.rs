//! Errors of two-phase-commit sinks: which file, which operation, what went wrong.

use std::fmt;
use std::path::PathBuf;

use crate::operator::OperatorError;

/// A file-system operation of a sink, named in its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOp {
    /// Creating a directory.
    CreateDir,
    /// Creating (or truncating) a file.
    Create,
    /// Writing bytes.
    Write,
    /// Flushing buffered bytes.
    Flush,
    /// `fsync` of a file.
    Sync,
    /// `fsync` of a directory.
    SyncDir,
    /// Renaming a pending file to its committed name.
    Rename,
    /// Deleting a file.
    Remove,
    /// Cutting a file back to its pre-committed length.
    Truncate,
    /// Reading a file's metadata.
    Stat,
    /// Listing a directory.
    ReadDir,
}

impl fmt::Display for FileOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileOp::CreateDir => "create directory",
            FileOp::Create => "create",
            FileOp::Write => "write",
            FileOp::Flush => "flush",
            FileOp::Sync => "fsync",
            FileOp::SyncDir => "fsync directory",
            FileOp::Rename => "rename",
            FileOp::Remove => "remove",
            FileOp::Truncate => "truncate",
            FileOp::Stat => "stat",
            FileOp::ReadDir => "list",
        })
    }
}

/// Why checkpointed sink state could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sink state, byte {offset}: {reason}")]
pub struct StateDecodeError {
    /// Where in the bytes the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

/// An error of a two-phase-commit sink or its driver.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A file-system operation failed (transient or environmental: the task fails and the
    /// job restarts from its last checkpoint).
    #[error("{op} '{path}': {source}", path = path.display())]
    Io {
        /// What was attempted.
        op: FileOp,
        /// On which path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A pre-committed file is missing or shorter than recorded: its data is lost.
    #[error(
        "pre-committed file '{path}' ({expected_len} bytes) {found}: data of a pre-committed \
         transaction is lost",
        path = path.display(),
        found = match found_len { Some(n) => format!("has only {n} bytes"), None => "is missing, and so is its committed name".to_string() }
    )]
    Lost {
        /// The in-progress (pending) path.
        path: PathBuf,
        /// The length recorded at pre-commit.
        expected_len: u64,
        /// The length found, if the file exists.
        found_len: Option<u64>,
    },
    /// A committed file exists with another length than its transaction recorded.
    #[error(
        "committed file '{path}' has {found_len} bytes, its transaction recorded {expected_len}",
        path = path.display()
    )]
    CommittedMismatch {
        /// The committed path.
        path: PathBuf,
        /// The length recorded at pre-commit.
        expected_len: u64,
        /// The length found.
        found_len: u64,
    },
    /// A record could not be formatted.
    #[error(transparent)]
    Format(#[from] OperatorError),
    /// The restored state is not valid sink state.
    #[error(transparent)]
    State(#[from] StateDecodeError),
    /// The driver was called out of order (a bug in the caller).
    #[error("two-phase-commit driver: {call} while {phase}")]
    Lifecycle {
        /// The call that was refused.
        call: &'static str,
        /// The driver's phase.
        phase: &'static str,
    },
}

impl SinkError {
    /// An I/O error of `op` on `path`.
    pub fn io(op: FileOp, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SinkError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

impl From<SinkError> for OperatorError {
    fn from(e: SinkError) -> Self {
        match e {
            SinkError::Io { op, path, source } => OperatorError::Sink {
                name: format!("{op} {}", path.display()),
                source,
            },
            SinkError::Format(e) => e,
            other => OperatorError::User(other.to_string()),
        }
    }
}
