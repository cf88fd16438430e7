//! Helpers for the tests that compare against `shared/nexmark`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// `shared/nexmark`, seen from the crate (a symlink from a worktree).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/nexmark"))
}

/// The bytes of `shared/nexmark/sample.csv`.
pub fn sample_csv() -> Vec<u8> {
    let path = shared_dir().join("sample.csv");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A fresh path under the temp dir, unique to this process and call.
pub fn temp_path(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("weir-nexmark-{tag}-{}-{n}", std::process::id()))
}

/// Runs `python3 <args>` in `shared/nexmark` and returns its stdout; panics with a clear
/// message if python3 is missing or fails.
pub fn python(args: &[&str]) -> Vec<u8> {
    let out = Command::new("python3")
        .args(args)
        .current_dir(shared_dir())
        .output()
        .unwrap_or_else(|e| {
            panic!("this test needs python3 on PATH to run shared/nexmark/gen.py: {e}")
        });
    assert!(
        out.status.success(),
        "python3 {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `gen.py` with `args` (plus `--out` to a temp file) and returns the file's bytes.
pub fn gen_py(args: &[&str]) -> Vec<u8> {
    let path = temp_path("gen");
    let path_str = path.to_string_lossy().into_owned();
    let mut full = vec!["gen.py"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--out", &path_str]);
    python(&full);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read gen.py output {}: {e}", path.display()));
    let _ = std::fs::remove_file(&path);
    bytes
}

/// The first line where `a` and `b` differ, for assertion messages.
pub fn first_difference(a: &[u8], b: &[u8]) -> String {
    let mut la = a.split(|&c| c == b'\n');
    let mut lb = b.split(|&c| c == b'\n');
    for line in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => return "no difference".into(),
            (x, y) if x != y => {
                let show = |l: Option<&[u8]>| l.map(|l| String::from_utf8_lossy(l).into_owned());
                return format!("line {line}: ours {:?}, theirs {:?}", show(x), show(y));
            }
            _ => {}
        }
    }
    unreachable!()
}
