//! `weir nexmark`: a built-in Nexmark query (q0–q5, q7, q8, q11) over a file in the shared
//! CSV format.

use std::error::Error;
use std::io::Write;
use std::path::PathBuf;

use weir_bench::nexmark::run::{run_query, Query, QueryOutput, RunOptions};
use weir_core::config::BufferTimeout;
use weir_core::runtime::file_source::{LineFileOptions, OnError};

use super::summary;

/// The arguments of `weir nexmark`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("out").required(true).args(["output", "blackhole"])))]
pub struct NexmarkArgs {
    /// The query: q0 (pass-through), q1 (currency conversion), q2 (selection), q3 (local
    /// item suggestion), q4 (average price per category), q5 (hot items), q7 (highest
    /// bid), q8 (new users) or q11 (user sessions).
    #[arg(long)]
    pub query: Query,
    /// Events in the CSV format of `shared/nexmark/FORMAT.md`.
    #[arg(long)]
    pub input: PathBuf,
    /// Where the result rows go, one CSV line each.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Discard the result rows (for timing).
    #[arg(long)]
    pub blackhole: bool,
    /// Parallelism of the source and the query.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: u32,
    /// What a malformed input line does: fail (default) or skip.
    #[arg(long, default_value = "fail", value_parser = ["fail", "skip"])]
    pub on_error: String,
    /// With `--on-error skip`, where the skipped lines go.
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,
    /// `execution.buffer-timeout` (e.g. 0, 1ms, off).
    #[arg(long)]
    pub buffer_timeout: Option<BufferTimeout>,
    /// Overrides a configuration key, e.g. `--set pipeline.auto-watermark-interval=10ms`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Do not print the per-vertex summary.
    #[arg(long)]
    pub quiet: bool,
    /// Checkpoints, restores and injected failures.
    #[command(flatten)]
    pub recovery: super::overrides::RecoveryArgs,
}

/// Runs `weir nexmark`.
pub fn run(args: &NexmarkArgs) -> Result<(), Box<dyn Error>> {
    let output = match &args.output {
        Some(path) => QueryOutput::File(path.clone()),
        None => QueryOutput::Blackhole,
    };
    let mut opts = RunOptions::new(args.query, &args.input, output);
    opts.parallelism = args.parallelism as usize;
    opts.buffer_timeout = args.buffer_timeout;
    super::overrides::apply(&mut opts.config, &args.recovery.to_sets())?;
    super::overrides::apply(&mut opts.config, &args.set)?;
    // With checkpoints, the output is a directory of exactly-once part files (a job that
    // may fail and restore); else one CSV file.
    let interval = opts
        .config
        .get(&weir_core::config::fault_tolerance::CHECKPOINTING_INTERVAL);
    if let (QueryOutput::File(path), false) = (&opts.output, interval.is_zero()) {
        opts.output = QueryOutput::Files(path.clone());
    }
    opts.input_options = LineFileOptions {
        skip_header: false,
        on_error: if args.on_error == "skip" {
            OnError::Skip
        } else {
            OnError::Fail
        },
        dead_letter: args.dead_letter.clone(),
    };
    let result = run_query(&opts)?;
    if !args.quiet {
        let kept: u64 = result
            .tasks
            .iter()
            .filter(|t| t.vertex.starts_with("Source"))
            .map(|t| t.records_in)
            .sum();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(summary::render(&result).as_bytes());
        let secs = result.duration.as_secs_f64();
        if secs > 0.0 {
            // The rate is of events read (every line of the file), as Flink's is measured.
            let events = count_lines(&args.input)?;
            let rate = events as f64 / secs;
            let _ = writeln!(
                err,
                "{events} events ({kept} of the kinds {query} reads) in {secs:.3} s: {rate:.0} events/s",
                query = args.query
            );
        }
    }
    Ok(())
}

/// Lines of a file (the last one may lack its newline).
fn count_lines(path: &std::path::Path) -> Result<u64, Box<dyn Error>> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = file.read(&mut buf).map_err(cannot)?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        last = buf[n - 1];
    }
    Ok(lines + u64::from(last != b'\n'))
}
