//! Snapshot files: written whole to `NAME.tmp`, synced, then renamed to `NAME`, so a
//! reader sees either no file or a complete one (a crash mid-write leaves only the
//! `.tmp`). Plain blocking `std::fs`: meant for the asynchronous part of a snapshot.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::StateError;

fn io_error(path: &Path, e: std::io::Error) -> StateError {
    StateError::SnapshotIo {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// The temporary file a snapshot file is written to before its rename: `NAME.tmp`.
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `parts`, in order, as the file `path`, atomically: into `path.tmp`, fsync, rename
/// over `path`, then fsync the directory so that the rename is durable.
pub fn write_atomic(path: &Path, parts: &[&[u8]]) -> Result<(), StateError> {
    let tmp = temporary_path(path);
    let result = (|| {
        let mut file = File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
        for part in parts {
            file.write_all(part).map_err(|e| io_error(&tmp, e))?;
        }
        file.sync_all().map_err(|e| io_error(&tmp, e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| io_error(path, e))
    })();
    if result.is_err() {
        // Best effort: a failed write leaves no partial file behind.
        let _ = fs::remove_file(&tmp);
        return result;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Durability of the rename; not every platform can sync a directory.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Reads the whole snapshot file `path`.
pub fn read(path: &Path) -> Result<Vec<u8>, StateError> {
    fs::read(path).map_err(|e| io_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("weir-snapshot-file-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chk-1.state");
        write_atomic(&path, &[b"abc", b"def"]).unwrap();
        assert_eq!(read(&path).unwrap(), b"abcdef");
        assert!(!temporary_path(&path).exists());
        assert_eq!(temporary_path(&path), dir.join("chk-1.state.tmp"));
        // Overwrites.
        write_atomic(&path, &[b"x"]).unwrap();
        assert_eq!(read(&path).unwrap(), b"x");
        // Errors name the file.
        let missing = dir.join("no-such-dir").join("f");
        let err = write_atomic(&missing, &[b"x"]).unwrap_err();
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        let err = read(&dir.join("absent")).unwrap_err();
        assert!(err.to_string().contains("absent"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
