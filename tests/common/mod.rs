//! What the end-to-end tests of the `weir` binary share: running it, its output, temporary
//! directories.
#![allow(dead_code)] // each test binary uses a part

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use weir::rest::client::Endpoint;

/// How long to wait for something a running job should do: generous, the machine is a
/// loaded 2-core VM.
pub const WAIT: Duration = Duration::from_secs(90);

/// The crate's directory (where `examples/` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `weir` binary with `args` in the crate's directory.
pub fn weir(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the weir binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty temporary directory for test `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Polls `f` every 100 ms until it returns `Some`, for at most [`WAIT`].
pub fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A `weir run` in the background with its REST endpoint on a free port; killed if the
/// test ends before it does.
pub struct Running {
    /// The process.
    pub child: Child,
    /// Its REST endpoint.
    pub endpoint: Endpoint,
    /// Its standard error, line by line, from a reader thread.
    pub lines: mpsc::Receiver<String>,
    /// The lines read so far.
    pub seen: Vec<String>,
}

impl Running {
    /// Starts `weir run` with `args` (after `run`) and `rest.port=0`, and waits for the
    /// line naming its REST endpoint.
    pub fn start(args: &[&str]) -> Running {
        let child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("run")
            .args(args)
            .args(["--set", "rest.port=0"])
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weir run starts");
        let (tx, lines) = mpsc::channel::<String>();
        let mut running = Running {
            child,
            endpoint: Endpoint {
                address: "127.0.0.1".into(),
                port: 0,
            },
            lines,
            seen: Vec::new(),
        };
        let stderr = running.child.stderr.take().expect("stderr is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (lines, seen) = (&running.lines, &mut running.seen);
        running.endpoint.port = eventually("the REST endpoint line", || {
            let line = lines.recv_timeout(Duration::from_millis(100)).ok()?;
            seen.push(line.clone());
            let rest = line.strip_prefix("REST endpoint: http://127.0.0.1:")?;
            rest.split(' ').next()?.parse().ok()
        });
        running
    }

    /// The endpoint's port, for `--port`.
    pub fn port(&self) -> String {
        self.endpoint.port.to_string()
    }

    /// The id of the job once GET /jobs lists it RUNNING.
    pub fn running_job_id(&self) -> String {
        eventually("the job RUNNING in GET /jobs", || {
            let (status, body) = self.endpoint.request("GET", "/jobs", None).ok()?;
            assert_eq!(status, 200, "{body}");
            let job = &body["jobs"][0];
            (job["status"] == "RUNNING").then(|| job["id"].as_str().map(str::to_string))?
        })
    }

    /// Waits for the process to exit; its status and everything it wrote on stderr.
    pub fn wait(&mut self) -> (std::process::ExitStatus, String) {
        let child = &mut self.child;
        let status = eventually("weir run to exit", || child.try_wait().ok()?);
        self.seen.extend(self.lines.try_iter());
        (status, self.seen.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
