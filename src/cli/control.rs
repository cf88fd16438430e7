//! `weir list`, `weir cancel`, `weir savepoint`, `weir stop`: Flink's job control
//! commands, talking to the REST endpoint of a running `weir run`.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Value};
use weir_core::config::fault_tolerance::{REST_ADDRESS, REST_PORT};
use weir_core::config::Configuration;

use super::overrides::{self, OverrideError};
use crate::rest::client::{error_message, ClientError, Endpoint};

/// How long `weir cancel` waits for a job to end, and how often it looks.
const CANCEL_WAIT: Duration = Duration::from_secs(60);
/// How long `weir savepoint` and `weir stop` wait for the savepoint.
const SAVEPOINT_WAIT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(100);

/// Where the REST endpoint is: `--address`/`--port`, else `rest.address`/`rest.port`.
#[derive(Debug, Clone, Args)]
pub struct RestArgs {
    /// The address of the job's REST endpoint (default: `rest.address`, 127.0.0.1).
    #[arg(long, short = 'a')]
    pub address: Option<String>,
    /// The port of the job's REST endpoint (default: `rest.port`, 8081).
    #[arg(long)]
    pub port: Option<u16>,
    /// Sets a configuration key: `rest.address` and `rest.port` are read.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// Why a control command failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// A `--set` was refused.
    #[error(transparent)]
    Override(#[from] OverrideError),
    /// The endpoint could not be reached or answered nonsense.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Port 0 only makes sense for `weir run`.
    #[error("rest.port 0 asks `weir run` for any free port; give the port it printed (`REST endpoint: http://…:PORT`) with --port")]
    PortZero,
    /// The endpoint refused the request.
    #[error("{what} failed (HTTP {status}): {message}")]
    Refused {
        /// What was asked (`cancelling job …`, …).
        what: String,
        /// HTTP status.
        status: u16,
        /// The endpoint's message.
        message: String,
    },
    /// The job did not reach the state in time.
    #[error("job {job} is still {state} after {} s", waited.as_secs())]
    Timeout {
        /// The job id.
        job: String,
        /// Its last state.
        state: String,
        /// How long we waited.
        waited: Duration,
    },
}

impl RestArgs {
    /// The endpoint these arguments name.
    pub fn endpoint(&self) -> Result<Endpoint, ControlError> {
        let mut config = Configuration::default();
        overrides::apply(&mut config, &self.set)?;
        let address = self
            .address
            .clone()
            .unwrap_or_else(|| config.get(&REST_ADDRESS));
        // rest.port is validated to be at most 65535.
        let port = match self.port {
            Some(p) => p,
            None => u16::try_from(config.get(&REST_PORT)).unwrap_or(u16::MAX),
        };
        if port == 0 {
            return Err(ControlError::PortZero);
        }
        Ok(Endpoint { address, port })
    }
}

/// `weir list`: the jobs the endpoint serves, as Flink's `flink list` prints them.
pub fn list(rest: &RestArgs) -> Result<(), ControlError> {
    let endpoint = rest.endpoint()?;
    let (status, body) = endpoint.request("GET", "/jobs/overview", None)?;
    if status != 200 {
        return Err(ControlError::Refused {
            what: format!("listing the jobs at {endpoint}"),
            status,
            message: error_message(&body),
        });
    }
    let jobs = body
        .get("jobs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let line = |j: &Value| {
        format!(
            "{} : {} : {} ({})",
            format_utc(j.get("start-time").and_then(Value::as_u64).unwrap_or(0)),
            j.get("jid").and_then(Value::as_str).unwrap_or("?"),
            j.get("name").and_then(Value::as_str).unwrap_or("?"),
            j.get("state").and_then(Value::as_str).unwrap_or("?"),
        )
    };
    let terminal = |j: &Value| {
        matches!(
            j.get("state").and_then(Value::as_str),
            Some("FINISHED" | "FAILED" | "CANCELED")
        )
    };
    let (ended, running): (Vec<&Value>, Vec<&Value>) = jobs.iter().partition(|j| terminal(j));
    if running.is_empty() {
        println!("No running jobs.");
    } else {
        println!("------------------ Running/Restarting Jobs -------------------");
        for j in running {
            println!("{}", line(j));
        }
        println!("--------------------------------------------------------------");
    }
    if !ended.is_empty() {
        println!("---------------------- Terminated Jobs -----------------------");
        for j in ended {
            println!("{}", line(j));
        }
        println!("--------------------------------------------------------------");
    }
    Ok(())
}

/// `weir cancel JOBID…`: cancels each job and waits until it has ended.
pub fn cancel(jobs: &[String], rest: &RestArgs) -> Result<(), ControlError> {
    let endpoint = rest.endpoint()?;
    for job in jobs {
        println!("Cancelling job {job}.");
        let (status, body) =
            endpoint.request("PATCH", &format!("/jobs/{job}?mode=cancel"), None)?;
        if status != 202 {
            return Err(refused("cancelling", job, status, &body));
        }
        wait_canceled(&endpoint, job)?;
        println!("Cancelled job {job}.");
    }
    Ok(())
}

/// Polls the job until it is CANCELED or its endpoint has closed (its `weir run` ended).
fn wait_canceled(endpoint: &Endpoint, job: &str) -> Result<(), ControlError> {
    let start = Instant::now();
    let mut state = String::from("CANCELLING");
    while start.elapsed() < CANCEL_WAIT {
        match endpoint.request("GET", &format!("/jobs/{job}"), None) {
            Ok((200, body)) => {
                state = body
                    .get("state")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                match state.as_str() {
                    "CANCELED" => return Ok(()),
                    "FINISHED" | "FAILED" => {
                        return Err(ControlError::Refused {
                            what: format!("cancelling job {job}"),
                            status: 200,
                            message: format!("the job ended {state} before it was cancelled"),
                        })
                    }
                    _ => {}
                }
            }
            Ok((status, body)) => return Err(refused("cancelling", job, status, &body)),
            Err(e) if e.endpoint_gone() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        std::thread::sleep(POLL);
    }
    Err(ControlError::Timeout {
        job: job.to_string(),
        state,
        waited: CANCEL_WAIT,
    })
}

/// `weir savepoint JOBID [TARGET_DIR]`: triggers a savepoint and waits for its path.
pub fn savepoint(job: &str, target: Option<&str>, rest: &RestArgs) -> Result<(), ControlError> {
    let endpoint = rest.endpoint()?;
    println!("Triggering savepoint for job {job}.");
    let body = json!({ "target-directory": target, "cancel-job": false });
    let path = format!("/jobs/{job}/savepoints");
    let (status, answer) = endpoint.request("POST", &path, Some(&body))?;
    if status != 202 {
        return Err(refused("triggering a savepoint of", job, status, &answer));
    }
    let location = await_savepoint(&endpoint, job, &answer)?;
    println!("Savepoint completed. Path: {location}");
    Ok(())
}

/// `weir stop JOBID [--savepoint-path DIR] [--drain]`: stops the job with a savepoint.
pub fn stop(
    job: &str,
    savepoint_path: Option<&str>,
    drain: bool,
    rest: &RestArgs,
) -> Result<(), ControlError> {
    let endpoint = rest.endpoint()?;
    println!("Suspending job {job}.");
    let body = json!({ "targetDirectory": savepoint_path, "drain": drain });
    let (status, answer) = endpoint.request("POST", &format!("/jobs/{job}/stop"), Some(&body))?;
    if status != 202 {
        return Err(refused("stopping", job, status, &answer));
    }
    let location = await_savepoint(&endpoint, job, &answer)?;
    println!("Savepoint completed. Path: {location}");
    Ok(())
}

/// Flink's asynchronous operation: polls `/jobs/:jobid/savepoints/:request-id` until its
/// status is COMPLETED; returns the savepoint's location.
fn await_savepoint(
    endpoint: &Endpoint,
    job: &str,
    trigger: &Value,
) -> Result<String, ControlError> {
    let request = trigger
        .get("request-id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = format!("/jobs/{job}/savepoints/{request}");
    let start = Instant::now();
    while start.elapsed() < SAVEPOINT_WAIT {
        let (status, body) = endpoint.request("GET", &path, None)?;
        if status != 200 {
            return Err(refused("waiting for the savepoint of", job, status, &body));
        }
        if body.pointer("/status/id").and_then(Value::as_str) == Some("COMPLETED") {
            if let Some(location) = body.pointer("/operation/location").and_then(Value::as_str) {
                return Ok(location.to_string());
            }
            let cause = body
                .pointer("/operation/failure-cause")
                .cloned()
                .unwrap_or(body);
            return Err(refused("taking a savepoint of", job, status, &cause));
        }
        std::thread::sleep(POLL);
    }
    Err(ControlError::Timeout {
        job: job.to_string(),
        state: "taking a savepoint".into(),
        waited: SAVEPOINT_WAIT,
    })
}

fn refused(what: &str, job: &str, status: u16, body: &Value) -> ControlError {
    ControlError::Refused {
        what: format!("{what} job {job}"),
        status,
        message: error_message(body),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` of epoch milliseconds.
fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_are_formatted_from_epoch_millis() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_709_210_096_000), "2024-02-29 12:34:56 UTC");
    }

    #[test]
    fn the_endpoint_comes_from_flags_then_rest_keys() {
        let args = |address: Option<&str>, port: Option<u16>, set: &[&str]| RestArgs {
            address: address.map(str::to_string),
            port,
            set: set.iter().map(|s| s.to_string()).collect(),
        };
        let e = args(None, None, &[]).endpoint().unwrap();
        assert_eq!(e.to_string(), "127.0.0.1:8081");
        let e = args(None, None, &["rest.port=9000", "rest.address=::1"])
            .endpoint()
            .unwrap();
        assert_eq!(e.to_string(), "[::1]:9000");
        let e = args(Some("localhost"), Some(7), &["rest.port=9000"])
            .endpoint()
            .unwrap();
        assert_eq!(e.to_string(), "localhost:7");
        assert!(matches!(
            args(None, Some(0), &[]).endpoint(),
            Err(ControlError::PortZero)
        ));
        assert!(args(None, None, &["rest.prt=1"]).endpoint().is_err());
    }
}
