//! Checkpoints and recovery through the `weir` binary: Nexmark q5 and q7 job files writing
//! exactly-once part files commit the same rows when they take checkpoints and are killed
//! at seeded points (`--chaos SEED --failures K`) as in a straight run, at parallelism 1
//! and 2; and when stopped with a savepoint and resumed from it at another parallelism.

mod common;
use common::{stderr, stdout, temp_dir, weir, Running};

use std::path::Path;

/// Nexmark q5's steps: bids per auction in hop windows, then the hottest per window.
const Q5: &str = r#"
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
"#;

/// Nexmark q7's steps: the highest bid of each 10 s window, joined back to its bids.
const Q7: &str = r#"
[[step]]
name = "maxima"
type = "window"
window = "tumble"
size = "10 s"
aggregates = ["max(price) AS maxprice"]

[[step]]
name = "matches"
type = "interval_join"
input = "bids"
with = "maxima"
key = "price"
with-key = "maxprice"
between = ["-1 ms", "9999 ms"]

[[step]]
type = "select"
columns = ["auction", "price", "bidder", "dateTime", "extra"]
"#;

/// A Nexmark query over generated bids (paced by a rate limit so that checkpoints and
/// failures fall inside the run) at `parallelism`, into exactly-once part files in `out`.
fn query_job(dir: &Path, steps: &str, parallelism: usize, out: &Path) -> String {
    paced_query_job(dir, steps, parallelism, out, 60_000)
}

/// [`query_job`] with the source limited to `rate` bids per second.
fn paced_query_job(dir: &Path, steps: &str, parallelism: usize, out: &Path, rate: u32) -> String {
    let text = format!(
        r#"name = "nexmark-files"
[config]
parallelism.default = {parallelism}
execution.buffer-timeout = "1 ms"

[[source]]
name = "bids"
type = "nexmark"
kind = "bid"
events = 30000
rate-limit = {rate}
event-rate = 200
watermark = {{ column = "dateTime", max-out-of-orderness = "4 s" }}
{steps}
[[sink]]
type = "files"
path = "{}"
"#,
        out.display()
    );
    let path = dir.join("job.toml");
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

/// How many lines the committed part files under `dir` hold (in-progress ones skipped).
fn committed_lines_so_far(dir: &Path) -> usize {
    let mut lines = 0;
    // The sink creates the directory when it starts.
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("part-") && !name.ends_with(".inprogress") {
            lines += std::fs::read_to_string(&path)
                .expect("part file")
                .lines()
                .count();
        }
    }
    lines
}

#[test]
fn q5_and_q7_into_files_commit_the_same_rows_when_killed_and_restored() {
    for (name, steps) in [("q5", Q5), ("q7", Q7)] {
        for p in [1, 2] {
            let dir = temp_dir(&format!("recovery-{name}-{p}"));
            let straight_out = dir.join("straight");
            let job = query_job(&dir, steps, p, &straight_out);
            let out = weir(&["run", &job, "--quiet"]);
            assert!(out.status.success(), "{}", stderr(&out));
            let straight = committed(&straight_out);
            assert!(straight.len() > 10, "{name} wrote {} rows", straight.len());

            let chaos_out = dir.join("chaos");
            let job = query_job(&dir, steps, p, &chaos_out);
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
            assert!(out.status.success(), "{name} p = {p}: {err}");
            assert!(
                err.contains("injected failure"),
                "{name} p = {p}: no failure: {err}"
            );
            assert_eq!(committed(&chaos_out), straight, "{name} p = {p}");
        }
    }
}

#[test]
fn q5_stopped_with_a_savepoint_at_parallelism_2_resumes_at_parallelism_1_with_the_same_rows() {
    let dir = temp_dir("savepoint-rescale");
    let straight_out = dir.join("straight");
    let job = query_job(&dir, Q5, 2, &straight_out);
    let out = weir(&["run", &job, "--quiet", "--set", "rest.port=0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let straight = committed(&straight_out);
    assert!(straight.len() > 10, "q5 wrote {} rows", straight.len());

    // At 10 000 bids/s the 30 000 take at least 3 s: the stop comes while the job runs.
    let out = dir.join("resumed");
    let job = paced_query_job(&dir, Q5, 2, &out, 10_000);
    let cp = format!(
        "state.checkpoints.dir={}",
        dir.join("checkpoints").display()
    );
    let mut running = Running::start(&[
        &job,
        "--quiet",
        "--checkpoint-interval",
        "100 ms",
        "--set",
        &cp,
    ]);
    let id = running.running_job_id();
    // Stopped once some rows are committed, so that the savepoint holds a run half done.
    common::eventually("rows committed by a checkpoint", || {
        (committed_lines_so_far(&out) > 0).then_some(())
    });
    let target = dir.join("savepoints");
    let target = target.to_str().unwrap_or_default();
    let stop = weir(&[
        "stop",
        &id,
        "--savepoint-path",
        target,
        "--port",
        &running.port(),
    ]);
    assert!(stop.status.success(), "{}", stderr(&stop));
    let stopped = stdout(&stop);
    let savepoint = stopped
        .lines()
        .find_map(|l| l.strip_prefix("Savepoint completed. Path: "))
        .unwrap_or_else(|| panic!("no savepoint path in {stopped}"))
        .to_owned();
    let (status, err) = running.wait();
    assert!(!status.success(), "stopped, not finished: {err}");
    // Some rows are committed, not all: the rest must come from the savepoint's state.
    let before = committed_lines_so_far(&out);
    assert!(
        before > 0 && before < straight.len(),
        "{before} of {} rows committed before the stop",
        straight.len()
    );

    // The rest of the run, from the savepoint, at parallelism 1, into the same directory.
    let job = paced_query_job(&dir, Q5, 1, &out, 60_000);
    let resumed = weir(&[
        "run",
        &job,
        "--quiet",
        "--from-savepoint",
        &savepoint,
        "--checkpoint-interval",
        "100 ms",
        "--set",
        &cp,
        "--set",
        "rest.port=0",
    ]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(committed(&out), straight);
}
