//! Running the Nexmark queries as jobs: [`run_query`] over a Nexmark CSV file (what
//! `weir nexmark --query q5 --input EVENTS.csv --output OUT.csv` runs) and
//! [`bench_nexmark`], the in-process generator through a query into a blackhole,
//! measured against the generator alone.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use weir_core::api::{DataStream, StreamExecutionEnvironment};
use weir_core::cluster::{JobError, JobResult};
use weir_core::config::{
    BufferTimeout, ConfigError, Configuration, Origin, RawValue, AUTO_WATERMARK_INTERVAL,
    NUM_TASK_SLOTS,
};
use weir_core::record::Data;
use weir_core::runtime::file_source::{LineFileOptions, LineFileSource};

use super::generator::GeneratorConfig;
use super::joins::{q3, q4};
use super::model::{Bid, Event, EventKind, EventKinds};
use super::queries::{csv_formatter, q0, q1, q2, BidColumns, CsvRow, QueryBid};
use super::source::{BidGeneratorSource, EventCsvParser, GeneratorSource, QueryBidCsvParser};
use super::windowed::{q11, q5, q7, q8, with_event_time};
use weir_core::cluster::LocalCluster;
use weir_core::operator::OperatorError;
use weir_net::tcp::TcpTransport;

/// One of the queries this module runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Query {
    /// Pass-through.
    Q0,
    /// Currency conversion.
    Q1,
    /// Selection.
    Q2,
    /// Local item suggestion (auction-person join).
    Q3,
    /// Average closing price per category.
    Q4,
    /// Hot items (sliding windows).
    Q5,
    /// Highest bid (tumbling windows).
    Q7,
    /// Monitor new users (window co-group).
    Q8,
    /// User sessions (session windows).
    Q11,
}

impl Query {
    /// Every query, in order.
    pub const ALL: [Query; 9] = [
        Query::Q0,
        Query::Q1,
        Query::Q2,
        Query::Q3,
        Query::Q4,
        Query::Q5,
        Query::Q7,
        Query::Q8,
        Query::Q11,
    ];

    /// The query's name: `q0`, `q1`, ….
    pub fn name(self) -> &'static str {
        match self {
            Query::Q0 => "q0",
            Query::Q1 => "q1",
            Query::Q2 => "q2",
            Query::Q3 => "q3",
            Query::Q4 => "q4",
            Query::Q5 => "q5",
            Query::Q7 => "q7",
            Query::Q8 => "q8",
            Query::Q11 => "q11",
        }
    }

    /// The kinds of events the query reads; sources skip the others.
    pub fn kinds(self) -> EventKinds {
        use EventKind::{Auction, Bid, Person};
        match self {
            Query::Q3 | Query::Q8 => EventKinds::of(&[Person, Auction]),
            Query::Q4 => EventKinds::of(&[Auction, Bid]),
            _ => EventKinds::of(&[Bid]),
        }
    }

    /// Whether the query reads bids only: it then reads a projection of the bids (the
    /// columns of [`QueryBid`], parsed a word at a time) instead of whole events.
    pub fn bids_only(self) -> bool {
        self.kinds() == EventKinds::of(&[EventKind::Bid])
    }
}

impl FromStr for Query {
    type Err = RunError;
    fn from_str(s: &str) -> Result<Query, RunError> {
        let lower = s.to_ascii_lowercase();
        Query::ALL
            .into_iter()
            .find(|q| q.name() == lower)
            .ok_or_else(|| {
                let names: Vec<&str> = Query::ALL.iter().map(|q| q.name()).collect();
                RunError::Invalid(format!(
                    "unknown query '{s}': expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How bids reach the query in [`bench_nexmark`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exchange {
    /// Source and query chained in one task per slot: no exchange at all.
    None,
    /// Round-robin to the query's subtasks (`rebalance`).
    Rebalance,
    /// By auction key (`key_by(auction)`).
    Hash,
    /// Round-robin over the TCP exchange (loopback, credit-based flow control).
    Tcp,
}

impl Exchange {
    /// The exchange's name: `none`, `rebalance` or `hash`.
    pub fn name(self) -> &'static str {
        match self {
            Exchange::None => "none",
            Exchange::Rebalance => "rebalance",
            Exchange::Hash => "hash",
            Exchange::Tcp => "tcp",
        }
    }
}

impl FromStr for Exchange {
    type Err = RunError;
    fn from_str(s: &str) -> Result<Exchange, RunError> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Exchange::None),
            "rebalance" => Ok(Exchange::Rebalance),
            "hash" => Ok(Exchange::Hash),
            "tcp" => Ok(Exchange::Tcp),
            _ => Err(RunError::Invalid(format!(
                "unknown exchange '{s}': expected none, rebalance, hash or tcp"
            ))),
        }
    }
}

/// Where [`run_query`] writes the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryOutput {
    /// One CSV file: the sink runs with parallelism 1, so at parallelism > 1 the rows
    /// cross a rebalancing exchange into that single writer (in no particular order).
    File(PathBuf),
    /// A directory of exactly-once part files (`part-0-N`), committed with each checkpoint:
    /// the output of a job that takes checkpoints and may fail and restore.
    Files(PathBuf),
    /// Discard the rows (for timing).
    Blackhole,
}

/// What [`run_query`] runs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The query.
    pub query: Query,
    /// The Nexmark CSV events file.
    pub input: PathBuf,
    /// Where the rows go.
    pub output: QueryOutput,
    /// Parallelism of source and query (the task slots are raised to at least this).
    pub parallelism: usize,
    /// Header, malformed-line policy and dead letters of the input file.
    pub input_options: LineFileOptions,
    /// `execution.buffer-timeout`, if not the default.
    pub buffer_timeout: Option<BufferTimeout>,
    /// The configuration the job starts from (e.g. with `--set` overrides); the task
    /// slots are raised to the parallelism. [`RunOptions::new`] sets
    /// `pipeline.auto-watermark-interval` to [`WATERMARK_INTERVAL`].
    pub config: Configuration,
}

/// The periodic watermark interval of Nexmark runs over files: 1 ms, not Flink's default
/// 200 ms. A file replays hours of event time per second, so 200 ms of processing time
/// would be minutes of event time between watermarks, with every window of those minutes
/// held in state at once; a watermark costs a few hundred nanoseconds.
pub const WATERMARK_INTERVAL: &str = "1ms";

impl RunOptions {
    /// Options for `query` from `input` to `output` at parallelism 1, failing on bad lines.
    pub fn new(query: Query, input: impl Into<PathBuf>, output: QueryOutput) -> RunOptions {
        RunOptions {
            query,
            input: input.into(),
            output,
            parallelism: 1,
            input_options: LineFileOptions::default(),
            buffer_timeout: None,
            config: nexmark_config(),
        }
    }
}

/// The default configuration with the watermark interval of Nexmark runs.
fn nexmark_config() -> Configuration {
    let mut config = Configuration::default();
    let interval = RawValue::Str(WATERMARK_INTERVAL.into());
    // The key and value are constants of this crate; a refusal would be a bug caught by
    // the tests, and the default configuration is still valid.
    let _ = config.set(AUTO_WATERMARK_INTERVAL.key(), interval, Origin::Api);
    config
}

/// Why a Nexmark job could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A bad argument.
    #[error("{0}")]
    Invalid(String),
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The job failed.
    #[error(transparent)]
    Job(#[from] JobError),
}

/// An environment of `parallelism` with at least that many task slots.
pub fn environment(
    parallelism: usize,
    buffer_timeout: Option<BufferTimeout>,
) -> Result<StreamExecutionEnvironment, RunError> {
    configured_environment(Configuration::default(), parallelism, buffer_timeout)
}

/// An environment of `config`, at `parallelism`, with at least that many task slots.
pub fn configured_environment(
    mut config: Configuration,
    parallelism: usize,
    buffer_timeout: Option<BufferTimeout>,
) -> Result<StreamExecutionEnvironment, RunError> {
    if parallelism == 0 {
        return Err(RunError::Invalid("parallelism must be at least 1".into()));
    }
    let slots = (config.get(&NUM_TASK_SLOTS) as usize).max(parallelism);
    config.set(
        NUM_TASK_SLOTS.key(),
        RawValue::Int(slots as i64),
        Origin::Api,
    )?;
    let env = StreamExecutionEnvironment::new(config);
    env.set_parallelism(parallelism)?;
    if let Some(timeout) = buffer_timeout {
        env.set_buffer_timeout(timeout)?;
    }
    Ok(env)
}

/// The bids of a Nexmark CSV file, read in parallel (persons and auctions dropped),
/// projected on the columns q0–q2 read.
pub fn csv_bids(
    env: &StreamExecutionEnvironment,
    path: PathBuf,
    options: LineFileOptions,
) -> DataStream<QueryBid> {
    let path = Arc::new(path);
    env.add_source("Nexmark CSV Source", move |ctx| {
        LineFileSource::open_in(&path, QueryBidCsvParser, &options, ctx)
    })
}

/// The generator's events `0..events` of `kinds` (ids of other kinds are skipped without
/// being generated).
pub fn generated_events(
    env: &StreamExecutionEnvironment,
    cfg: GeneratorConfig,
    events: u64,
    kinds: EventKinds,
) -> DataStream<Event> {
    env.add_source("Nexmark Generator", move |ctx| {
        GeneratorSource::new(cfg, 0..events, ctx.subtask, ctx.parallelism, None)?
            .only(kinds)
            .resumed_in(ctx)
    })
}

/// The bids of the generator's events `0..events`, generated in process.
pub fn generated_bids(
    env: &StreamExecutionEnvironment,
    cfg: GeneratorConfig,
    events: u64,
) -> DataStream<Bid> {
    env.add_source("Nexmark Generator", move |ctx| {
        BidGeneratorSource::new(cfg, 0..events, ctx.subtask, ctx.parallelism, None)
    })
}

fn sink_rows<T: Data + CsvRow>(rows: DataStream<T>, output: &QueryOutput) {
    match output {
        QueryOutput::File(path) => {
            rows.write_as_text(path.clone(), csv_formatter::<T>())
                .set_parallelism(1);
        }
        QueryOutput::Files(path) => {
            rows.sink_to_files_exactly_once(path.clone(), csv_formatter::<T>())
                .set_parallelism(1);
        }
        QueryOutput::Blackhole => {
            rows.blackhole(None);
        }
    }
}

/// Adds `query` over `bids` and its sink (q0–q2; the others need every event).
pub fn add_query<B: BidColumns>(
    bids: &DataStream<B>,
    query: Query,
    output: &QueryOutput,
) -> Result<(), RunError> {
    let invalid = |e: OperatorError| RunError::Invalid(e.to_string());
    let timed = || with_event_time(bids, B::date_time);
    match query {
        Query::Q0 => sink_rows(q0(bids), output),
        Query::Q1 => sink_rows(q1(bids), output),
        Query::Q2 => sink_rows(q2(bids), output),
        Query::Q5 => sink_rows(q5(&timed()).map_err(invalid)?, output),
        Query::Q7 => sink_rows(q7(&timed()), output),
        Query::Q11 => sink_rows(q11(&timed()).map_err(invalid)?, output),
        other => {
            return Err(RunError::Invalid(format!(
                "{other} reads persons and auctions too, not bids alone"
            )))
        }
    }
    Ok(())
}

/// Adds `query` over `events` (in event time on `dateTime`, watermarks 4 s behind) and its
/// sink; queries of bids alone run on the bids ([`add_query`]).
pub fn add_event_query(
    events: &DataStream<Event>,
    query: Query,
    output: &QueryOutput,
) -> Result<(), RunError> {
    let invalid = |e: OperatorError| RunError::Invalid(e.to_string());
    match query {
        Query::Q3 => sink_rows(q3(&with_event_time(events, Event::date_time)), output),
        Query::Q4 => sink_rows(q4(&with_event_time(events, Event::date_time)), output),
        Query::Q8 => sink_rows(
            q8(&with_event_time(events, Event::date_time)).map_err(invalid)?,
            output,
        ),
        bid_query => {
            let bids = events.flat_map(|e: Event| match e {
                Event::Bid(b) => Some(b),
                _ => None,
            });
            return add_query(&bids, bid_query, output);
        }
    }
    Ok(())
}

/// The events of `kinds` of a Nexmark CSV file, read in parallel (other lines are
/// skipped by their first column).
pub fn csv_events(
    env: &StreamExecutionEnvironment,
    path: PathBuf,
    options: LineFileOptions,
    kinds: EventKinds,
) -> DataStream<Event> {
    let path = Arc::new(path);
    env.add_source("Nexmark CSV Source", move |ctx| {
        LineFileSource::open_in(&path, EventCsvParser(kinds), &options, ctx)
    })
}

/// Runs a query over a Nexmark CSV file (see [`RunOptions`]).
pub fn run_query(opts: &RunOptions) -> Result<JobResult, RunError> {
    let env = configured_environment(opts.config.clone(), opts.parallelism, opts.buffer_timeout)?;
    if opts.query.bids_only() {
        let bids = csv_bids(&env, opts.input.clone(), opts.input_options.clone());
        add_query(&bids, opts.query, &opts.output)?;
    } else {
        let events = csv_events(
            &env,
            opts.input.clone(),
            opts.input_options.clone(),
            opts.query.kinds(),
        );
        add_event_query(&events, opts.query, &opts.output)?;
    }
    Ok(env.execute(&format!("nexmark {}", opts.query))?)
}

/// What [`bench_nexmark`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct NexmarkBenchResult {
    /// The query.
    pub query: Query,
    /// Events of the generated stream (ids; only the bids are emitted).
    pub events: u64,
    /// Parallelism of source and query.
    pub parallelism: usize,
    /// How bids reached the query.
    pub exchange: Exchange,
    /// Job duration, deployment to the end of the last subtask.
    pub seconds: f64,
    /// `events / seconds`.
    pub events_per_sec: f64,
    /// `events_per_sec` over the cores used: `min(parallelism, available cores)`.
    pub events_per_sec_per_core: f64,
    /// The generator alone into a blackhole (chained), same events and parallelism.
    pub generator_events_per_sec: f64,
    /// `events_per_sec / generator_events_per_sec`: 1.0 means the query costs nothing.
    pub ratio_to_generator: f64,
    /// The largest keyed state seen, summed over the tasks' peaks (bytes, estimated).
    pub peak_state_bytes: u64,
}

/// Times the generator → `exchange` → `query` → blackhole against generator → blackhole.
pub fn bench_nexmark(
    query: Query,
    events: u64,
    parallelism: usize,
    exchange: Exchange,
    buffer_timeout: Option<BufferTimeout>,
) -> Result<NexmarkBenchResult, RunError> {
    let cfg = GeneratorConfig::default();
    let env = environment(parallelism, buffer_timeout)?;
    if query.bids_only() {
        generated_bids(&env, cfg, events).blackhole(None);
    } else {
        generated_events(&env, cfg, events, query.kinds()).blackhole(None);
    }
    let alone = env.execute("nexmark generator")?.duration.as_secs_f64();

    let env = environment(parallelism, buffer_timeout)?;
    if query.bids_only() {
        let bids = generated_bids(&env, cfg, events);
        let bids = match exchange {
            Exchange::None => bids,
            Exchange::Rebalance | Exchange::Tcp => bids.rebalance(),
            Exchange::Hash => bids.key_by(|b: &Bid| b.auction).stream().clone(),
        };
        add_query(&bids, query, &QueryOutput::Blackhole)?;
    } else {
        // The windowed and join queries exchange by their own keys.
        let events = generated_events(&env, cfg, events, query.kinds());
        add_event_query(&events, query, &QueryOutput::Blackhole)?;
    }
    let name = format!("nexmark {query} ({})", exchange.name());
    let result = match exchange {
        Exchange::Tcp => {
            let cluster = LocalCluster::start(&env.config())?;
            let transport = TcpTransport::from_config(cluster.network().clone(), &env.config())
                .map_err(|e| RunError::Invalid(format!("cannot start the TCP exchange: {e}")))?;
            let result = env.execute_on(&cluster, &name, &transport);
            let _ = transport.shutdown(std::time::Duration::from_secs(5));
            result?
        }
        _ => env.execute(&name)?,
    };
    let seconds = result.duration.as_secs_f64();
    let peak_state_bytes = result.tasks.iter().map(|t| t.peak_state_bytes).sum();

    let rate = |s: f64| if s > 0.0 { events as f64 / s } else { 0.0 };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let events_per_sec = rate(seconds);
    let generator_events_per_sec = rate(alone);
    Ok(NexmarkBenchResult {
        query,
        events,
        parallelism,
        exchange,
        seconds,
        events_per_sec,
        events_per_sec_per_core: events_per_sec / parallelism.min(cores).max(1) as f64,
        generator_events_per_sec,
        ratio_to_generator: if generator_events_per_sec > 0.0 {
            events_per_sec / generator_events_per_sec
        } else {
            0.0
        },
        peak_state_bytes,
    })
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "event_query_tests.rs"]
mod event_query_tests;

#[cfg(test)]
mod config_tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn file_runs_emit_watermarks_every_millisecond_unless_overridden() {
        let opts = RunOptions::new(Query::Q5, "x.csv", QueryOutput::Blackhole);
        assert_eq!(
            opts.config.get(&AUTO_WATERMARK_INTERVAL),
            Duration::from_millis(1)
        );
    }
}
