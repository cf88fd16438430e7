//! Checkpoints and recovery through the `weir` binary: a Nexmark q5 job file writing
//! exactly-once part files commits the same rows when it takes checkpoints and is killed
//! at seeded points (`--chaos SEED --failures K`) as in a straight run.

mod common;
use common::{stderr, temp_dir, weir};

use std::path::Path;

/// q5 over generated bids (paced by a rate limit so that checkpoints and failures fall
/// inside the run), into exactly-once part files under `out`.
fn q5_job(dir: &Path, out: &Path) -> String {
    let text = format!(
        r#"name = "q5-files"
[config]
parallelism.default = 2
execution.buffer-timeout = "1 ms"

[[source]]
name = "bids"
type = "nexmark"
kind = "bid"
events = 30000
rate-limit = 60000
watermark = {{ column = "dateTime", max-out-of-orderness = "4 s" }}

[[step]]
name = "counts"
type = "window"
key = "auction"
window = "hop"
size = "10 s"
slide = "2 s"
aggregates = ["count(*) AS num"]

[[step]]
name = "hottest"
type = "window"
key = ["window_start", "window_end"]
window = "tumble"
size = "2 s"
keep = "max(num)"
window-columns = []

[[sink]]
type = "files"
path = "{}"
"#,
        out.display()
    );
    let path = dir.join("q5.toml");
    std::fs::write(&path, text).expect("job file");
    path.to_string_lossy().into_owned()
}

/// Every committed line under `dir`, sorted; fails on a leftover in-progress file.
fn committed(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).expect("sink directory") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(!name.ends_with(".inprogress"), "left in progress: {name}");
        if name.starts_with("part-") {
            let text = std::fs::read_to_string(&path).expect("part file");
            lines.extend(text.lines().map(str::to_owned));
        }
    }
    lines.sort();
    lines
}

#[test]
fn q5_into_files_commits_the_same_rows_when_killed_and_restored() {
    let dir = temp_dir("recovery-q5");
    let straight_out = dir.join("straight");
    let job = q5_job(&dir, &straight_out);
    let out = weir(&["run", &job, "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let straight = committed(&straight_out);
    assert!(straight.len() > 10, "q5 wrote {} rows", straight.len());

    let chaos_out = dir.join("chaos");
    let job = q5_job(&dir, &chaos_out);
    let cp = dir.join("checkpoints");
    let out = weir(&[
        "run",
        &job,
        "--quiet",
        "--checkpoint-interval",
        "20 ms",
        "--set",
        &format!("state.checkpoints.dir={}", cp.display()),
        "--set",
        "restart-strategy.type=fixed-delay",
        "--set",
        "restart-strategy.fixed-delay.attempts=5",
        "--set",
        "restart-strategy.fixed-delay.delay=10 ms",
        "--chaos",
        "11",
        "--failures",
        "2",
        "--set",
        "weir.chaos.max-records=8000",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("injected failure"),
        "a failure was injected: {err}"
    );
    assert_eq!(committed(&chaos_out), straight);
}
