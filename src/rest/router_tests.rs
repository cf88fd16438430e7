use std::sync::Arc;

use serde_json::Value;
use weir_core::api::StreamExecutionEnvironment;
use weir_core::cluster::control::{JobControl, JobStatus};
use weir_core::config::{Configuration, Origin, RawValue};

use super::*;

/// A job of two vertices (source 1, sink 2) run to its end under a control.
fn finished_job() -> Arc<JobControl> {
    let mut config = Configuration::default();
    config
        .set(
            "taskmanager.numberOfTaskSlots",
            RawValue::Int(2),
            Origin::Api,
        )
        .unwrap();
    let env = StreamExecutionEnvironment::new(config);
    env.from_sequence(1, 100)
        .set_parallelism(1)
        .rebalance()
        .blackhole(None)
        .set_parallelism(2);
    let control = JobControl::new("finite");
    env.execute_controlled(&control).unwrap();
    control
}

fn errors(r: &Reply) -> String {
    match r.body.get("errors").and_then(Value::as_array) {
        Some(e) if e.len() == 1 => e[0].as_str().unwrap_or_default().to_string(),
        _ => panic!("not Flink's error shape: {}", r.body),
    }
}

#[test]
fn jobs_lists_ids_and_statuses() {
    let job = JobControl::new("j");
    let r = Router::new(vec![job.clone()]).handle("GET", "/jobs", b"");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        serde_json::json!({"jobs": [{"id": job.id().to_string(), "status": "CREATED"}]})
    );
}

#[test]
fn job_details_have_vertices_parallelism_and_record_counts() {
    let job = finished_job();
    let router = Router::new(vec![job.clone()]);
    let r = router.handle("GET", &format!("/jobs/{}", job.id()), b"");
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["jid"], job.id().to_string());
    assert_eq!(b["name"], "finite");
    assert_eq!(b["state"], "FINISHED");
    assert!(b["end-time"].as_i64().unwrap() >= b["start-time"].as_i64().unwrap());
    assert!(b["now"].as_u64().is_some() && b["duration"].as_u64().is_some());
    let v = b["vertices"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["parallelism"], 1);
    assert_eq!(v[1]["parallelism"], 2);
    assert_eq!(v[0]["id"].as_str().unwrap().len(), 32);
    assert_eq!(v[1]["status"], "FINISHED");
    assert_eq!(v[1]["tasks"]["FINISHED"], 2);
    // Flink: a source reads nothing from the network; a sink writes nothing to it.
    assert_eq!(v[0]["metrics"]["read-records"], 0);
    assert_eq!(v[0]["metrics"]["write-records"], 100);
    assert_eq!(v[1]["metrics"]["read-records"], 100);
    assert_eq!(v[1]["metrics"]["write-records"], 0);
    assert_eq!(v[1]["metrics"]["read-records-complete"], true);
    assert_eq!(b["status-counts"]["FINISHED"], 2);

    let o = router.handle("GET", "/jobs/overview", b"");
    let o = &o.body["jobs"][0];
    assert_eq!(o["jid"], job.id().to_string());
    assert_eq!(o["state"], "FINISHED");
    assert_eq!(o["tasks"]["total"], 3);
    assert_eq!(o["tasks"]["finished"], 3);
}

#[test]
fn cancel_is_accepted_for_a_live_job_and_refused_for_an_ended_one() {
    let live = JobControl::new("live");
    let ended = finished_job();
    let router = Router::new(vec![live.clone(), ended.clone()]);
    let r = router.handle("PATCH", &format!("/jobs/{}?mode=cancel", live.id()), b"");
    assert_eq!((r.status, &r.body), (202, &serde_json::json!({})));
    assert_eq!(live.status(), JobStatus::Cancelling);
    let r = router.handle("PATCH", &format!("/jobs/{}", ended.id()), b"");
    assert_eq!(r.status, 409);
    assert!(errors(&r).contains("FINISHED"), "{}", errors(&r));
    let r = router.handle("PATCH", &format!("/jobs/{}?mode=stop", live.id()), b"");
    assert_eq!(r.status, 400);
    assert!(errors(&r).contains("/stop"), "{}", errors(&r));
}

#[test]
fn savepoints_are_queued_when_a_coordinator_takes_them_and_their_status_polled() {
    let job = JobControl::new("j");
    let router = Router::new(vec![job.clone()]);
    let body = br#"{"target-directory": "/tmp/sp"}"#;
    let r = router.handle("POST", &format!("/jobs/{}/savepoints", job.id()), body);
    assert_eq!(r.status, 409, "no coordinator: no checkpointing");
    assert!(errors(&r).contains("checkpointing"), "{}", errors(&r));
    job.savepoints().set_accepting(true);
    let r = router.handle("POST", &format!("/jobs/{}/savepoints", job.id()), body);
    assert_eq!(r.status, 202);
    let id = r.body["request-id"].as_str().unwrap().to_string();
    let status =
        |id: &str| router.handle("GET", &format!("/jobs/{}/savepoints/{id}", job.id()), b"");
    assert_eq!(status(&id).body["status"]["id"], "IN_PROGRESS");
    let taken = job.savepoints().take();
    assert_eq!(taken[0].target, Some("/tmp/sp".into()));
    assert!(!taken[0].stop);
    job.savepoints().finish(
        &id,
        weir_core::checkpoint::savepoints::SavepointStatus::Completed("/tmp/sp/savepoint-x".into()),
    );
    let done = status(&id);
    assert_eq!(done.body["status"]["id"], "COMPLETED");
    assert_eq!(done.body["operation"]["location"], "/tmp/sp/savepoint-x");
    assert_eq!(status("nope").status, 404);
    let r = router.handle(
        "POST",
        &format!("/jobs/{}/stop", job.id()),
        br#"{"drain": true}"#,
    );
    assert_eq!(r.status, 400);
    let r = router.handle(
        "POST",
        &format!("/jobs/{}/stop", job.id()),
        br#"{"targetDirectory": "/x"}"#,
    );
    assert_eq!(r.status, 202);
    assert!(job.savepoints().take()[0].stop);
    assert_eq!(job.status(), JobStatus::Created, "the job is left alone");
}

#[test]
fn bad_paths_ids_methods_and_bodies_get_flink_errors() {
    let job = JobControl::new("j");
    let router = Router::new(vec![job.clone()]);
    let r = router.handle("GET", "/nope", b"");
    assert_eq!(
        (r.status, errors(&r)),
        (404, "Not found: /nope".to_string())
    );
    let r = router.handle("GET", "/jobs/123", b"");
    assert_eq!(r.status, 400);
    assert!(errors(&r).contains("'123'"));
    let other = "0123456789abcdef0123456789abcdef";
    let r = router.handle("POST", &format!("/jobs/{other}/savepoints"), b"");
    assert_eq!(
        (r.status, errors(&r)),
        (404, format!("Job {other} not found"))
    );
    let r = router.handle("DELETE", "/jobs", b"");
    assert_eq!((r.status, r.allow), (405, Some("GET")));
    let r = router.handle("PUT", &format!("/jobs/{}", job.id()), b"");
    assert_eq!((r.status, r.allow), (405, Some("GET, PATCH")));
    let r = router.handle("POST", &format!("/jobs/{}/stop", job.id()), b"{not json");
    assert_eq!(r.status, 400);
    assert_eq!(router.handle("GET", "/jobs/", b"").status, 200);
    assert_eq!(router.handle("GET", "/config", b"").status, 200);
}
