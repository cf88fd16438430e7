//! `weir bench`: the benchmarks, printed as a table or as JSON lines.

use std::error::Error;
use std::time::Duration;

use weir_bench::harness::{
    bench_backpressure, bench_checkpoint, bench_keyed, bench_latency, bench_timeout_sweep,
    render_json_lines, render_table, BackpressureOpts, CheckpointOpts, KeyedOpts, LatencyOpts,
    Progress, ProgressUpdate, Report, SweepOpts, Value,
};
use weir_bench::nexmark::run::{bench_nexmark, Exchange, NexmarkBenchResult, Query};
use weir_core::config::{parse_duration, BufferTimeout, Configuration};

use super::{overrides, Format};

/// The benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// The in-process Nexmark generator into a query into a blackhole, against the
    /// generator alone (the machine's limit), measured in the same run.
    Nexmark {
        /// The query (q0, q1, q2, q3, q4, q5, q7, q8, q11), or `all` for every one.
        #[arg(long, default_value = "q1")]
        query: QueryChoice,
        /// Events generated (bids are 46 of every 50).
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Parallelism of the generator and the query.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        parallelism: u32,
        /// How bids reach the query: none (chained), rebalance, hash (by auction), or tcp.
        #[arg(long, default_value = "none")]
        exchange: Exchange,
        /// `execution.buffer-timeout` (default: Flink's 100 ms).
        #[arg(long)]
        buffer_timeout: Option<BufferTimeout>,
    },
    /// Records created on one slot and received on another: latency percentiles.
    Latency {
        /// Records per second.
        #[arg(long, default_value_t = 1_000_000.0)]
        rate: f64,
        /// `execution.buffer-timeout` of the channel.
        #[arg(long, default_value = "0")]
        buffer_timeout: BufferTimeout,
        /// Seconds measured (after a half-second warm-up).
        #[arg(long, default_value_t = 5.0)]
        duration: f64,
    },
    /// Throughput across a slot boundary at timeouts 0, 1 ms, 10 ms, 100 ms and off.
    TimeoutSweep {
        /// Records per timeout.
        #[arg(long, default_value_t = 20_000_000)]
        events: u64,
    },
    /// A keyed count in keyed state through a hash exchange, against the source alone.
    Keyed {
        /// Distinct keys.
        #[arg(long, default_value_t = 1_000_000)]
        keys: u64,
        /// Events counted.
        #[arg(long, default_value_t = 20_000_000)]
        events: u64,
        /// Parallelism of source and count.
        #[arg(long, default_value_t = 2)]
        parallelism: usize,
    },
    /// An unthrottled source into a rate-limited sink across a slot boundary.
    Backpressure {
        /// Records emitted.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Records per second the sink lets through.
        #[arg(long, default_value_t = 200_000.0)]
        sink_rate: f64,
    },
    /// What checkpoints cost: a keyed count with and without them, aligned checkpoints
    /// of a backpressured job, and recovery from one injected failure.
    Checkpoint {
        /// Events of the keyed count (each run).
        #[arg(long, default_value_t = 30_000_000)]
        events: u64,
        /// Distinct keys of the keyed count.
        #[arg(long, default_value_t = 100_000)]
        keys: u64,
        /// Parallelism of every job.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        parallelism: u32,
        /// Checkpoint interval of the keyed count, e.g. `1 s` or `50ms` (at least 10 ms).
        #[arg(long, default_value = "1 s", value_parser = parse_interval)]
        interval: Duration,
        /// Distinct keys (state size) of the recovery run, at most half the events.
        #[arg(long, default_value_t = 1_000_000)]
        recovery_keys: u64,
    },
}

/// A checkpoint interval: a duration of at least 10 ms.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)
        .ok_or_else(|| format!("'{text}' is not a duration (e.g. 1 s, 200 ms)"))?;
    if d < Duration::from_millis(10) {
        return Err(format!("'{text}' is below the 10 ms minimum"));
    }
    Ok(d)
}

/// The arguments of `weir bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Which benchmark.
    #[command(subcommand)]
    pub bench: Bench,
    /// `table` (default) or `json` (one object per result, one per line).
    #[arg(long, value_enum, default_value = "table", global = true)]
    pub format: Format,
    /// Overrides a configuration key for the benchmark's cluster.
    #[arg(long = "set", value_name = "KEY=VALUE", global = true)]
    pub set: Vec<String>,
}

struct Row(Vec<(&'static str, Value)>);

impl Report for Row {
    fn fields(&self) -> Vec<(&'static str, Value)> {
        self.0.clone()
    }
}

fn nexmark_row(r: &NexmarkBenchResult) -> Row {
    Row(vec![
        ("query", Value::Text(r.query.name().into())),
        ("events", Value::UInt(r.events)),
        ("parallelism", Value::UInt(r.parallelism as u64)),
        ("exchange", Value::Text(r.exchange.name().into())),
        ("seconds", Value::Float(r.seconds)),
        ("events_per_sec", Value::Float(r.events_per_sec)),
        (
            "events_per_sec_per_core",
            Value::Float(r.events_per_sec_per_core),
        ),
        (
            "generator_events_per_sec",
            Value::Float(r.generator_events_per_sec),
        ),
        ("ratio_to_generator", Value::Float(r.ratio_to_generator)),
        ("peak_state_bytes", Value::UInt(r.peak_state_bytes)),
    ])
}

/// One query, or all of them.
#[derive(Debug, Clone, Copy)]
pub enum QueryChoice {
    /// Every query, in order.
    All,
    /// One query.
    One(Query),
}

impl std::str::FromStr for QueryChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("all") {
            return Ok(QueryChoice::All);
        }
        s.parse::<Query>()
            .map(QueryChoice::One)
            .map_err(|e| format!("{e}, or all"))
    }
}

fn rows<R: Report>(results: &[R]) -> Vec<Row> {
    results.iter().map(|r| Row(r.fields())).collect()
}

/// Runs `weir bench`.
pub fn run(args: &BenchArgs) -> Result<(), Box<dyn Error>> {
    let mut config = Configuration::default();
    overrides::apply(&mut config, &args.set)?;
    let mut progress = Progress::stderr();
    let mut draw = |u: &ProgressUpdate<'_>| progress.update(u);
    let rows: Vec<Row> = match &args.bench {
        Bench::Nexmark {
            query,
            events,
            parallelism,
            exchange,
            buffer_timeout,
        } => {
            let queries = match query {
                QueryChoice::All => Query::ALL.to_vec(),
                QueryChoice::One(q) => vec![*q],
            };
            let mut out = Vec::new();
            for q in queries {
                let r = bench_nexmark(
                    q,
                    *events,
                    *parallelism as usize,
                    *exchange,
                    *buffer_timeout,
                )?;
                out.push(nexmark_row(&r));
            }
            out
        }
        Bench::Latency {
            rate,
            buffer_timeout,
            duration,
        } => {
            if !(duration.is_finite() && *duration > 0.0) {
                return Err(format!(
                    "--duration must be a positive number of seconds, not {duration}"
                )
                .into());
            }
            let opts = LatencyOpts {
                rate: *rate,
                buffer_timeout: *buffer_timeout,
                duration: Duration::from_secs_f64(*duration),
                config,
                ..LatencyOpts::default()
            };
            rows(&[bench_latency(&opts, Some(&mut draw))?])
        }
        Bench::TimeoutSweep { events } => {
            let opts = SweepOpts {
                events: *events,
                config,
            };
            rows(&bench_timeout_sweep(&opts, Some(&mut draw))?)
        }
        Bench::Keyed {
            keys,
            events,
            parallelism,
        } => {
            let opts = KeyedOpts {
                keys: *keys,
                events: *events,
                parallelism: *parallelism,
                config,
            };
            rows(&[bench_keyed(&opts)?])
        }
        Bench::Backpressure { events, sink_rate } => {
            let opts = BackpressureOpts {
                events: *events,
                sink_rate: *sink_rate,
                config,
            };
            rows(&[bench_backpressure(&opts, Some(&mut draw))?])
        }
        Bench::Checkpoint {
            events,
            keys,
            parallelism,
            interval,
            recovery_keys,
        } => {
            let opts = CheckpointOpts {
                events: *events,
                keys: *keys,
                parallelism: *parallelism as usize,
                interval: *interval,
                recovery_keys: *recovery_keys,
                config,
                ..CheckpointOpts::default()
            };
            rows(&[bench_checkpoint(&opts, Some(&mut draw))?])
        }
    };
    progress.finish();
    let text = match args.format {
        Format::Json => render_json_lines(&rows),
        Format::Text | Format::Table => render_table(&rows),
    };
    print!("{text}");
    Ok(())
}
