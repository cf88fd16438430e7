//! A job run under a `JobControl`: its status, live metrics and cancellation, seen from
//! another thread.

mod common;

use std::time::{Duration, Instant};

use weir_core::cluster::control::{JobControl, JobStatus};
use weir_core::cluster::JobError;

/// Sums what the tasks of vertex `v` published: (records in, records out).
fn counts(c: &JobControl, v: usize) -> (u64, u64) {
    let s = c.snapshot();
    s.vertices.get(v).map_or((0, 0), |v| {
        v.tasks.iter().fold((0, 0), |(i, o), t| {
            (i + t.metrics.records_in, o + t.metrics.records_out)
        })
    })
}

#[test]
fn a_finished_job_ends_finished_with_its_final_metrics() {
    let env = common::env_with(2, "1 ms");
    env.from_sequence(1, 1000)
        .set_parallelism(1)
        .rebalance()
        .blackhole(None)
        .set_parallelism(2);
    let control = JobControl::new("finite");
    let result = env.execute_controlled(&control).unwrap();
    assert_eq!(result.name, "finite");
    let s = control.snapshot();
    assert_eq!(s.status, JobStatus::Finished);
    assert!(s.end_ms.is_some_and(|e| e >= s.start_ms));
    assert_eq!(s.vertices.len(), 2);
    assert_eq!(s.vertices[1].info.parallelism, 2);
    assert!(s.vertices[0].info.is_source && !s.vertices[1].info.is_source);
    assert!(s
        .vertices
        .iter()
        .all(|v| v.tasks.iter().all(|t| t.finished_ms.is_some())));
    assert_eq!(counts(&control, 0).1, 1000);
    assert_eq!(counts(&control, 1).0, 1000);
}

#[test]
fn a_cancelled_job_publishes_live_metrics_then_ends_canceled() {
    let env = common::env_with(2, "1 ms");
    env.from_sequence(0, i64::MAX)
        .set_parallelism(1)
        .rebalance()
        .blackhole(Some(20_000.0))
        .set_parallelism(1);
    let control = JobControl::new("endless");
    let watcher = {
        let control = control.clone();
        std::thread::spawn(move || {
            // Wait (bounded) until the sink has read records twice, growing, then cancel.
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut seen = Vec::new();
            while Instant::now() < deadline && seen.len() < 2 {
                let (read, _) = counts(&control, 1);
                if control.status() == JobStatus::Running
                    && read > seen.last().copied().unwrap_or(0)
                {
                    seen.push(read);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let before = control.cancel();
            (seen, before)
        })
    };
    let result = env.execute_controlled(&control);
    let (seen, before) = watcher.join().unwrap();
    assert_eq!(seen.len(), 2, "live metrics grew: {seen:?}");
    assert_eq!(before, JobStatus::Running);
    match result {
        Err(JobError::Cancelled { name, id }) => {
            assert_eq!(name, "endless");
            assert_eq!(id, control.id().to_string());
        }
        other => panic!("expected a cancelled job, got {other:?}"),
    }
    assert_eq!(control.status(), JobStatus::Canceled);
    assert!(JobError::Cancelled {
        name: "endless".into(),
        id: control.id().to_string()
    }
    .to_string()
    .contains("was cancelled"));
}
