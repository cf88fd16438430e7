//! Requests to replies, without I/O: Flink's paths and methods, its `{"errors": [...]}`
//! replies, and the job controls the endpoint serves.

use std::sync::Arc;

use serde_json::{json, Value};
use weir_core::checkpoint::savepoints::SavepointStatus;
use weir_core::cluster::control::{epoch_ms, JobControl, JobId};

use super::json;

/// The answer to one request: an HTTP status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// The methods a path allows (the `Allow` header of a 405).
    pub allow: Option<&'static str>,
}

impl Reply {
    fn ok(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            allow: None,
        }
    }

    /// Flink's error shape: `{"errors": [message]}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self::ok(status, json!({ "errors": [message.into()] }))
    }
}

/// What the endpoint serves: the jobs of this process (one for `weir run`).
pub struct Router {
    jobs: Vec<Arc<JobControl>>,
}

impl Router {
    /// Serves `jobs`.
    pub fn new(jobs: Vec<Arc<JobControl>>) -> Self {
        Self { jobs }
    }

    /// Answers `method target` with `body` (`target` is the path with its query).
    pub fn handle(&self, method: &str, target: &str, body: &[u8]) -> Reply {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = match path.trim_end_matches('/') {
            "" => "/",
            p => p,
        };
        if !body.is_empty() && serde_json::from_slice::<Value>(body).is_err() {
            return Reply::error(
                400,
                format!("Bad request: the body of {method} {path} is not JSON"),
            );
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["config"] => only(method, "GET", path, || self.config()),
            ["jobs"] => only(method, "GET", path, || self.jobs()),
            ["jobs", "overview"] => only(method, "GET", path, || self.overview()),
            ["jobs", id] => match method {
                "GET" => self.with_job(id, |job| {
                    Reply::ok(200, json::job_details(&job.snapshot(), epoch_ms()))
                }),
                "PATCH" => self.with_job(id, |job| cancel(job, query)),
                _ => not_allowed(method, path, "GET, PATCH"),
            },
            ["jobs", id, "savepoints"] => only(method, "POST", path, || {
                self.with_job(id, |job| {
                    let body = parse_body(body);
                    let target = text_field(&body, &["target-directory", "targetDirectory"]);
                    let stop = body.get("cancel-job").and_then(Value::as_bool) == Some(true);
                    trigger_savepoint(job, target, stop)
                })
            }),
            ["jobs", id, "stop"] => only(method, "POST", path, || {
                self.with_job(id, |job| {
                    let body = parse_body(body);
                    if body.get("drain").and_then(Value::as_bool) == Some(true) {
                        return Reply::error(
                            400,
                            "Bad request: stop with drain (the final watermark before the \
                             savepoint) is not supported by this version of Weir",
                        );
                    }
                    let target = text_field(&body, &["targetDirectory", "target-directory"]);
                    trigger_savepoint(job, target, true)
                })
            }),
            ["jobs", id, "savepoints", request] => only(method, "GET", path, || {
                self.with_job(id, |job| savepoint_status(job, request))
            }),
            _ => Reply::error(404, format!("Not found: {path}")),
        }
    }

    fn config(&self) -> Reply {
        Reply::ok(
            200,
            json!({
                "refresh-interval": 3000,
                "timezone-name": "UTC",
                "timezone-offset": 0,
                "weir-version": env!("CARGO_PKG_VERSION"),
                "features": {
                    "web-submit": false,
                    "web-cancel": true,
                    "web-rescale": false,
                    "web-history": false,
                },
            }),
        )
    }

    fn jobs(&self) -> Reply {
        let jobs: Vec<Value> = self
            .jobs
            .iter()
            .map(|j| json::job_id_and_status(&j.snapshot()))
            .collect();
        Reply::ok(200, json!({ "jobs": jobs }))
    }

    fn overview(&self) -> Reply {
        let now = epoch_ms();
        let jobs: Vec<Value> = self
            .jobs
            .iter()
            .map(|j| json::job_overview(&j.snapshot(), now))
            .collect();
        Reply::ok(200, json!({ "jobs": jobs }))
    }

    /// Runs `f` on the job named by `id`: 400 for a malformed id, 404 for an unknown one.
    fn with_job(&self, id: &str, f: impl FnOnce(&JobControl) -> Reply) -> Reply {
        let Some(id) = JobId::parse(id) else {
            return Reply::error(
                400,
                format!(
                    "Bad request, could not parse parameters: the job id '{id}' is not 32 \
                     hexadecimal digits"
                ),
            );
        };
        match self.jobs.iter().find(|j| j.id() == id) {
            Some(job) => f(job),
            None => Reply::error(404, format!("Job {id} not found")),
        }
    }
}

/// `PATCH /jobs/:jobid?mode=cancel`: 202 once cancellation is under way.
fn cancel(job: &JobControl, query: &str) -> Reply {
    let mode = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "mode")
        .map(|(_, v)| v);
    match mode {
        None | Some("cancel") => {}
        Some(other) => {
            return Reply::error(
                400,
                format!(
                    "Bad request: mode must be 'cancel', got '{other}' (to stop with a \
                     savepoint, POST /jobs/:jobid/stop)"
                ),
            )
        }
    }
    let before = job.cancel();
    if before.is_terminal() {
        return Reply::error(
            409,
            format!(
                "Job cancellation failed: job {} has already reached the terminal state {}",
                job.id(),
                before.as_str()
            ),
        );
    }
    Reply::ok(202, json!({}))
}

/// Serves `path` for `allowed` only.
fn only(method: &str, allowed: &'static str, path: &str, f: impl FnOnce() -> Reply) -> Reply {
    if method == allowed {
        f()
    } else {
        not_allowed(method, path, allowed)
    }
}

fn not_allowed(method: &str, path: &str, allowed: &'static str) -> Reply {
    Reply {
        allow: Some(allowed),
        ..Reply::error(
            405,
            format!("Method {method} is not allowed for {path} (allowed: {allowed})"),
        )
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;

/// The JSON body of a request (an empty body is an empty object).
fn parse_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!({}))
}

/// The first of `names` that `body` has as a string.
fn text_field(body: &Value, names: &[&str]) -> Option<std::path::PathBuf> {
    names
        .iter()
        .find_map(|n| body.get(*n).and_then(Value::as_str))
        .map(std::path::PathBuf::from)
}

/// Queues a savepoint of `job` (then stops it, for `stop`): 202 with Flink's `request-id`.
fn trigger_savepoint(job: &JobControl, target: Option<std::path::PathBuf>, stop: bool) -> Reply {
    match job.savepoints().request(target, stop) {
        Ok(id) => Reply::ok(202, json!({ "request-id": id })),
        Err(why) => Reply::error(409, format!("job {}: {why}", job.id())),
    }
}

/// Flink's asynchronous operation result for savepoint request `request` of `job`.
fn savepoint_status(job: &JobControl, request: &str) -> Reply {
    match job.savepoints().status(request) {
        None => Reply::error(
            404,
            format!(
                "Not found: no savepoint request {request} for job {}",
                job.id()
            ),
        ),
        Some(SavepointStatus::InProgress) => {
            Reply::ok(200, json!({ "status": { "id": "IN_PROGRESS" } }))
        }
        Some(SavepointStatus::Completed(at)) => Reply::ok(
            200,
            json!({
                "status": { "id": "COMPLETED" },
                "operation": { "location": at.display().to_string() },
            }),
        ),
        Some(SavepointStatus::Failed(why)) => Reply::ok(
            200,
            json!({
                "status": { "id": "COMPLETED" },
                "operation": { "failure-cause": { "class": "weir.SavepointError", "stack-trace": why } },
            }),
        ),
    }
}
