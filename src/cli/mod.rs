//! The `weir` command line: its arguments (clap) and one module per subcommand.
//!
//! - [`run`]: `weir run` and `weir explain` over job files.
//! - [`bench`](mod@bench): `weir bench`, the benchmarks as a table or JSON lines.
//! - [`nexmark`]: `weir nexmark`, the built-in Nexmark queries over a CSV file.
//! - [`summary`]: the per-vertex table printed when a job ends.
//! - [`overrides`]: `--set KEY=VALUE` on top of a job file's `[config]`.

pub mod bench;
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
    /// Runs a built-in Nexmark query over a file of events.
    Nexmark(nexmark::NexmarkArgs),
    /// Runs a benchmark: nexmark, latency, timeout-sweep or backpressure.
    Bench(bench::BenchArgs),
}

/// Runs the parsed command line.
pub fn main(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Run { job, set, quiet } => run::run(&job, &set, quiet),
        Command::Explain { job, set, format } => run::explain(&job, &set, format),
        Command::Nexmark(args) => nexmark::run(&args),
        Command::Bench(args) => bench::run(&args),
    }
}
