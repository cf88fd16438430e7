//! Flink's JSON shapes of a job, built from a [`JobSnapshot`]: `GET /jobs` entries,
//! `GET /jobs/overview` entries and the `GET /jobs/:jobid` details.

use serde_json::{json, Map, Value};
use weir_core::cluster::control::{JobSnapshot, JobStatus, VertexSnapshot};

/// Flink's `ExecutionState` names a subtask can have here.
const TASK_STATES: [&str; 11] = [
    "CREATED",
    "SCHEDULED",
    "DEPLOYING",
    "RUNNING",
    "FINISHED",
    "CANCELING",
    "CANCELED",
    "FAILED",
    "RECONCILING",
    "INITIALIZING",
    "INITIALIZED",
];

/// `-1` for a time that has not come (Flink's convention), else the epoch ms.
fn time_or_minus_one(t: Option<u64>) -> i64 {
    t.map_or(-1, |t| t as i64)
}

/// The state of one subtask: its own end, or else the job's.
fn task_state(job: JobStatus, finished: bool) -> &'static str {
    if finished {
        return "FINISHED";
    }
    match job {
        JobStatus::Created => "CREATED",
        JobStatus::Running => "RUNNING",
        JobStatus::Cancelling => "CANCELING",
        // Flink shows the tasks of a restarting job as canceling until they are redeployed.
        JobStatus::Restarting => "CANCELING",
        JobStatus::Canceled => "CANCELED",
        JobStatus::Finished => "FINISHED",
        JobStatus::Failed => "FAILED",
    }
}

/// Counts of subtasks per state, every state present (Flink's `tasks` object).
fn state_counts<'a>(states: impl Iterator<Item = &'a str>) -> Value {
    let mut counts: Map<String, Value> = TASK_STATES
        .iter()
        .map(|s| (s.to_string(), Value::from(0u64)))
        .collect();
    for s in states {
        if let Some(Value::Number(n)) = counts.get(s) {
            let next = n.as_u64().unwrap_or(0) + 1;
            counts.insert(s.to_string(), Value::from(next));
        }
    }
    Value::Object(counts)
}

/// `{"id", "status"}`: an entry of `GET /jobs`.
pub fn job_id_and_status(job: &JobSnapshot) -> Value {
    json!({ "id": job.id.to_string(), "status": job.status.as_str() })
}

fn duration_ms(start: u64, end: Option<u64>, now_ms: u64) -> u64 {
    end.unwrap_or(now_ms).saturating_sub(start)
}

fn subtask_states(job: &JobSnapshot) -> impl Iterator<Item = &'static str> + '_ {
    job.vertices.iter().flat_map(move |v| {
        v.tasks
            .iter()
            .map(move |t| task_state(job.status, t.finished_ms.is_some()))
    })
}

/// An entry of `GET /jobs/overview` (Flink's `JobDetails`).
pub fn job_overview(job: &JobSnapshot, now_ms: u64) -> Value {
    let mut tasks = state_counts(subtask_states(job));
    let total: usize = job.vertices.iter().map(|v| v.tasks.len()).sum();
    if let Value::Object(m) = &mut tasks {
        m.insert("total".into(), Value::from(total as u64));
    }
    // Flink's overview spells the counts in lower case.
    let tasks = match tasks {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        ),
        other => other,
    };
    json!({
        "jid": job.id.to_string(),
        "name": job.name,
        "state": job.status.as_str(),
        "start-time": job.start_ms,
        "end-time": time_or_minus_one(job.end_ms),
        "duration": duration_ms(job.start_ms, job.end_ms, now_ms),
        "last-modification": job.end_ms.unwrap_or(job.start_ms),
        "tasks": tasks,
    })
}

/// One vertex of `GET /jobs/:jobid`, its metrics summed over its subtasks.
fn vertex_details(job: &JobSnapshot, v: &VertexSnapshot, now_ms: u64) -> Value {
    let states: Vec<&str> = v
        .tasks
        .iter()
        .map(|t| task_state(job.status, t.finished_ms.is_some()))
        .collect();
    let all_finished = !v.tasks.is_empty() && v.tasks.iter().all(|t| t.finished_ms.is_some());
    let status = if all_finished {
        "FINISHED"
    } else {
        task_state(job.status, false)
    };
    let end = if all_finished {
        v.tasks.iter().filter_map(|t| t.finished_ms).max()
    } else {
        job.end_ms
    };
    let m = |f: fn(&weir_core::runtime::metrics::TaskMetrics) -> u64| -> u64 {
        v.tasks.iter().map(|t| f(&t.metrics)).sum()
    };
    // A source chain reads no records from the network: Flink reports 0 there.
    let read_records = if v.info.is_source {
        0
    } else {
        m(|t| t.records_in)
    };
    let backpressured_ms = m(|t| t.backpressured_nanos) / 1_000_000;
    let idle_ms = m(|t| t.idle_nanos) / 1_000_000;
    let total_ms = m(|t| t.total_nanos) / 1_000_000;
    json!({
        "id": v.info.id,
        "name": v.info.name,
        "maxParallelism": v.info.max_parallelism,
        "parallelism": v.info.parallelism,
        "status": status,
        "start-time": job.start_ms,
        "end-time": time_or_minus_one(end),
        "duration": duration_ms(job.start_ms, end, now_ms),
        "tasks": state_counts(states.into_iter()),
        "metrics": {
            "read-records": read_records,
            "read-records-complete": all_finished,
            "write-records": m(|t| t.records_out),
            "write-records-complete": all_finished,
            "accumulated-backpressured-time": backpressured_ms,
            "accumulated-idle-time": idle_ms,
            "accumulated-busy-time": total_ms.saturating_sub(backpressured_ms + idle_ms),
        },
    })
}

/// `GET /jobs/:jobid` (Flink's `JobDetailsInfo`, without the plan and the timestamps).
pub fn job_details(job: &JobSnapshot, now_ms: u64) -> Value {
    let vertices: Vec<Value> = job
        .vertices
        .iter()
        .map(|v| vertex_details(job, v, now_ms))
        .collect();
    let statuses = vertices
        .iter()
        .filter_map(|v| v.get("status").and_then(Value::as_str));
    let status_counts = state_counts(statuses);
    let max_parallelism = job
        .vertices
        .iter()
        .map(|v| v.info.max_parallelism)
        .max()
        .unwrap_or(0);
    let mut details = json!({
        "jid": job.id.to_string(),
        "name": job.name,
        "isStoppable": false,
        "state": job.status.as_str(),
        "start-time": job.start_ms,
        "end-time": time_or_minus_one(job.end_ms),
        "duration": duration_ms(job.start_ms, job.end_ms, now_ms),
        "maxParallelism": max_parallelism,
        "now": now_ms,
        "vertices": vertices,
        "status-counts": status_counts,
    });
    if let (Some(failure), Value::Object(m)) = (&job.failure, &mut details) {
        m.insert("failure-cause".into(), Value::from(failure.as_str()));
    }
    details
}
