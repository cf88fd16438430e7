//! The REST endpoint of a running `weir run`, end to end through the binary: its job
//! listed and detailed while it runs, `weir list`, `savepoint`, `stop` and `cancel`
//! (of an unknown job).

mod common;
use common::{eventually, weir, Running};

use std::path::PathBuf;

use serde_json::Value;
use weir::rest::client::Endpoint;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The test's directory.
fn test_dir() -> PathBuf {
    std::env::temp_dir().join(format!("weir-rest-{}", std::process::id()))
}

/// A job that runs until cancelled or stopped: a long sequence into a rate-limited sink,
/// not chained, with checkpoints (so that it takes savepoints).
fn endless_job() -> PathBuf {
    let dir = test_dir();
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("endless.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"endless\"\n[config]\nparallelism.default = 2\n\
             taskmanager.numberOfTaskSlots = 2\npipeline.operator-chaining.enabled = false\n\
             execution.checkpointing.interval = \"200 ms\"\n\
             state.checkpoints.dir = \"{}\"\n\
             [[source]]\ntype = \"sequence\"\nfrom = 1\nto = 1000000000000\n\
             [[sink]]\ntype = \"blackhole\"\nrate-limit = 50000\n",
            dir.join("checkpoints").display()
        ),
    )
    .expect("job file written");
    path
}

/// (the source's write-records, the sink's read-records): first and last vertex.
fn record_counts(details: &Value) -> (u64, u64) {
    let empty = Vec::new();
    let v = details["vertices"].as_array().unwrap_or(&empty);
    let metric =
        |v: Option<&Value>, name: &str| v.and_then(|v| v["metrics"][name].as_u64()).unwrap_or(0);
    (
        metric(v.first(), "write-records"),
        metric(v.last(), "read-records"),
    )
}

#[test]
fn a_running_job_is_listed_detailed_takes_savepoints_and_stops() {
    let job = endless_job();
    let mut running = Running::start(&[job.to_str().unwrap_or_default()]);
    let endpoint = running.endpoint.clone();
    let p = running.port();

    let id = running.running_job_id();
    assert_eq!(id.len(), 32);

    // Details: source, row conversion and sink, unchained, each of parallelism 2, and
    // record counts that grow.
    let details = |endpoint: &Endpoint| {
        let (status, body) = endpoint
            .request("GET", &format!("/jobs/{id}"), None)
            .expect("GET /jobs/:jobid");
        assert_eq!(status, 200, "{body}");
        body
    };
    let first = eventually("records read and written", || {
        let d = details(&endpoint);
        let (written, read) = record_counts(&d);
        (written > 0 && read > 0).then_some(d)
    });
    assert_eq!(first["jid"], id.as_str());
    assert_eq!(first["name"], "endless");
    assert_eq!(first["state"], "RUNNING");
    let vertices = first["vertices"].as_array().expect("vertices");
    assert_eq!(vertices.len(), 3, "{first}");
    assert_eq!(
        vertices[0]["metrics"]["read-records"], 0,
        "a source reads no input"
    );
    assert_eq!(
        vertices[2]["metrics"]["write-records"], 0,
        "a sink writes no output"
    );
    for v in vertices {
        assert_eq!(v["parallelism"], 2, "{v}");
        assert_eq!(v["status"], "RUNNING", "{v}");
    }
    let (w0, r0) = record_counts(&first);
    eventually("record counts growing", || {
        let (w, r) = record_counts(&details(&endpoint));
        (w > w0 && r > r0).then_some(())
    });

    let list = weir(&["list", "--port", &p]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let out = text(&list.stdout);
    assert!(
        out.contains(&format!(" : {id} : endless (RUNNING)")),
        "{out}"
    );

    // A savepoint: a self-contained directory under the target, the job keeps running.
    let target = test_dir().join("savepoints");
    let target = target.to_str().unwrap_or_default();
    let savepoint = weir(&["savepoint", &id, target, "--port", &p]);
    assert!(savepoint.status.success(), "{}", text(&savepoint.stderr));
    let out = text(&savepoint.stdout);
    let location = out
        .lines()
        .find_map(|l| l.strip_prefix("Savepoint completed. Path: "))
        .unwrap_or_else(|| panic!("no savepoint path in {out}"));
    assert!(location.starts_with(target), "{location}");
    assert!(
        PathBuf::from(location).join("_metadata").is_file(),
        "{location}"
    );
    assert_eq!(details(&endpoint)["state"], "RUNNING", "still running");

    let unknown = "0123456789abcdef0123456789abcdef";
    let cancel = weir(&["cancel", unknown, "--port", &p]);
    assert!(!cancel.status.success());
    let err = text(&cancel.stderr);
    assert!(err.contains(&format!("Job {unknown} not found")), "{err}");
    assert_eq!(details(&endpoint)["state"], "RUNNING", "still running");

    // Stop with a savepoint: the savepoint completes, then the job ends.
    let stop = weir(&["stop", &id, "--savepoint-path", target, "--port", &p]);
    assert!(stop.status.success(), "{}", text(&stop.stderr));
    assert!(text(&stop.stdout).contains("Savepoint completed. Path: "));

    // `weir run` ends, reporting the cancellation (as Flink's attached client does).
    let (status, err) = running.wait();
    assert!(!status.success());
    assert!(
        err.contains(&format!("job 'endless' ({id}) was cancelled")),
        "{err}"
    );
    let gone = weir(&["list", "--port", &p]);
    assert!(!gone.status.success());
    assert!(text(&gone.stderr).contains(&format!("no Weir job is serving REST on 127.0.0.1:{p}")));
}
