//! `weir run JOB.toml` and `weir explain JOB.toml`.

use std::error::Error;
use std::io::Write;
use std::path::Path;

use std::net::IpAddr;
use std::sync::Arc;

use weir_core::cluster::control::JobControl;
use weir_core::config::fault_tolerance::{REST_ADDRESS, REST_PORT};
use weir_core::config::{Configuration, NUM_TASK_SLOTS};
use weir_core::graph::execution_graph::ExecutionGraph;
use weir_core::graph::explain::Plan;

use super::{overrides, summary, Format};
use crate::job::build::{self, BuiltJob};
use crate::job::JobSpec;
use crate::rest::router::Router;
use crate::rest::server::RestServer;

/// Loads a job file, applies its `[config]` and the `--set` overrides, builds the graph.
pub fn load(path: &Path, sets: &[String]) -> Result<BuiltJob, Box<dyn Error>> {
    let spec = JobSpec::load(path)?;
    let mut config: Configuration = build::configuration(&spec)?;
    overrides::apply(&mut config, sets)?;
    Ok(build::build(&spec, config)?)
}

/// How long the endpoint of an ended job stays up for callers still to learn the outcome
/// of their savepoints.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// `weir run`: runs the job to its end, serving its REST endpoint meanwhile, and prints
/// the per-vertex summary on stderr.
pub fn run(path: &Path, sets: &[String], quiet: bool) -> Result<(), Box<dyn Error>> {
    let job = load(path, sets)?;
    let control = JobControl::new(&job.name);
    let server = serve_rest(&job.env.config(), &control);
    let result = job.env.execute_controlled(&control);
    if let Some(server) = server {
        // A `weir stop` waits for its savepoint's location: give it a moment to ask.
        let start = std::time::Instant::now();
        while control.savepoints().unread() > 0 && start.elapsed() < STOP_GRACE {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        server.stop();
    }
    let result = result?;
    if !quiet {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(summary::render(&result).as_bytes());
    }
    Ok(())
}

/// Starts the REST endpoint of `control` on `rest.address:rest.port` and says where on
/// stderr. When it cannot listen (the port is taken, say by another `weir run`), it warns
/// and the job runs without one: a job is never held back by its endpoint.
fn serve_rest(config: &Configuration, control: &Arc<JobControl>) -> Option<RestServer> {
    let address = config.get(&REST_ADDRESS);
    let port = config.get(&REST_PORT);
    let warn = |why: String| {
        eprintln!(
            "warning: the REST endpoint cannot listen on {address}:{port} ({why}); job {} \
             runs without it (set rest.port to a free port, or 0 for any)",
            control.id()
        );
    };
    let (Ok(ip), Ok(port16)) = (address.parse::<IpAddr>(), u16::try_from(port)) else {
        warn(format!(
            "rest.address '{address}' or rest.port {port} is not usable"
        ));
        return None;
    };
    match RestServer::start(ip, port16, Router::new(vec![control.clone()])) {
        Ok(server) => {
            eprintln!(
                "REST endpoint: http://{} (job {})",
                server.local_addr(),
                control.id()
            );
            Some(server)
        }
        Err(e) => {
            warn(e.to_string());
            None
        }
    }
}

/// `weir explain`: prints the job graph and the slot of every subtask.
pub fn explain(path: &Path, sets: &[String], format: Format) -> Result<(), Box<dyn Error>> {
    let job = load(path, sets)?;
    let graph = job.env.job_graph(&job.name)?;
    let slots = job.env.config().get(&NUM_TASK_SLOTS) as usize;
    let placed = ExecutionGraph::build(&graph, slots)?;
    let plan = Plan::new(&graph, &placed);
    let text = match format {
        Format::Json => plan.to_json(),
        Format::Text | Format::Table => plan.to_text(),
    };
    println!("{}", text.trim_end());
    Ok(())
}
