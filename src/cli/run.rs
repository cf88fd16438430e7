//! `weir run JOB.toml` and `weir explain JOB.toml`.

use std::error::Error;
use std::io::Write;
use std::path::Path;

use weir_core::config::{Configuration, NUM_TASK_SLOTS};
use weir_core::graph::execution_graph::ExecutionGraph;
use weir_core::graph::explain::Plan;

use super::{overrides, summary, Format};
use crate::job::build::{self, BuiltJob};
use crate::job::JobSpec;

/// Loads a job file, applies its `[config]` and the `--set` overrides, builds the graph.
pub fn load(path: &Path, sets: &[String]) -> Result<BuiltJob, Box<dyn Error>> {
    let spec = JobSpec::load(path)?;
    let mut config: Configuration = build::configuration(&spec)?;
    overrides::apply(&mut config, sets)?;
    Ok(build::build(&spec, config)?)
}

/// `weir run`: runs the job to its end and prints the per-vertex summary on stderr.
pub fn run(path: &Path, sets: &[String], quiet: bool) -> Result<(), Box<dyn Error>> {
    let job = load(path, sets)?;
    let result = job.env.execute(&job.name)?;
    if !quiet {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(summary::render(&result).as_bytes());
    }
    Ok(())
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
