//! The `weir` command line: its arguments (clap) and one module per subcommand.
//!
//! - [`run`]: `weir run` and `weir explain` over job files.
//! - [`bench`](mod@bench): `weir bench`, the benchmarks as a table or JSON lines.
//! - [`nexmark`]: `weir nexmark`, the built-in Nexmark queries over a CSV file.
//! - [`summary`]: the per-vertex table printed when a job ends.
//! - [`overrides`]: `--set KEY=VALUE` on top of a job file's `[config]`.
//! - [`control`]: `weir list`, `cancel`, `savepoint`, `stop` over a running job's REST
//!   endpoint.

pub mod bench;
pub mod control;
pub mod nexmark;
pub mod overrides;
pub mod run;
pub mod summary;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Weir: a shard-per-core stream-processing engine in the model of Apache Flink.
#[derive(Debug, Parser)]
#[command(name = "weir", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of `explain` and `bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text (a table for benchmarks).
    Text,
    /// Alias of text.
    Table,
    /// JSON (one object per result for benchmarks).
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a job file on the embedded local cluster.
    Run {
        /// The job file (TOML).
        job: PathBuf,
        /// Overrides a configuration key, e.g. `--set execution.buffer-timeout=1ms`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Do not print the per-vertex summary at the end.
        #[arg(long)]
        quiet: bool,
        /// Checkpoints, restores and injected failures.
        #[command(flatten)]
        recovery: overrides::RecoveryArgs,
    },
    /// Prints the job graph of a job file: chains, parallelism, partitioners, slots.
    Explain {
        /// The job file (TOML).
        job: PathBuf,
        /// Overrides a configuration key.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Lists the jobs served by a running `weir run`'s REST endpoint (Flink's `list`).
    List {
        /// Where the endpoint is.
        #[command(flatten)]
        rest: control::RestArgs,
    },
    /// Cancels running jobs and waits until they have ended (Flink's `cancel`).
    Cancel {
        /// The job ids (32 hexadecimal digits, as `weir list` prints them).
        #[arg(required = true, value_name = "JOBID")]
        jobs: Vec<String>,
        /// Where the endpoint is.
        #[command(flatten)]
        rest: control::RestArgs,
    },
    /// Triggers a savepoint of a running job (Flink's `savepoint`; not supported yet).
    Savepoint {
        /// The job id.
        #[arg(value_name = "JOBID")]
        job: String,
        /// Where the savepoint goes (default: `state.savepoints.dir`).
        #[arg(value_name = "TARGET_DIR")]
        target: Option<String>,
        /// Where the endpoint is.
        #[command(flatten)]
        rest: control::RestArgs,
    },
    /// Stops a running job with a savepoint (Flink's `stop`; not supported yet).
    Stop {
        /// The job id.
        #[arg(value_name = "JOBID")]
        job: String,
        /// Where the savepoint goes.
        #[arg(long = "savepoint-path", short = 'p', value_name = "DIR")]
        savepoint_path: Option<String>,
        /// Emits the final watermark (`i64::MAX`) before stopping, firing every timer.
        #[arg(long, short = 'd')]
        drain: bool,
        /// Where the endpoint is.
        #[command(flatten)]
        rest: control::RestArgs,
    },
    /// Runs a built-in Nexmark query over a file of events.
    Nexmark(nexmark::NexmarkArgs),
    /// Runs a benchmark: nexmark, latency, timeout-sweep or backpressure.
    Bench(bench::BenchArgs),
}

/// Runs the parsed command line.
pub fn main(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Run {
            job,
            mut set,
            quiet,
            recovery,
        } => {
            // The flags first: an explicit --set of the same key wins.
            let mut sets = recovery.to_sets();
            sets.append(&mut set);
            run::run(&job, &sets, quiet)
        }
        Command::Explain { job, set, format } => run::explain(&job, &set, format),
        Command::List { rest } => Ok(control::list(&rest)?),
        Command::Cancel { jobs, rest } => Ok(control::cancel(&jobs, &rest)?),
        Command::Savepoint { job, target, rest } => {
            Ok(control::savepoint(&job, target.as_deref(), &rest)?)
        }
        Command::Stop {
            job,
            savepoint_path,
            drain,
            rest,
        } => Ok(control::stop(
            &job,
            savepoint_path.as_deref(),
            drain,
            &rest,
        )?),
        Command::Nexmark(args) => nexmark::run(&args),
        Command::Bench(args) => bench::run(&args),
    }
}
