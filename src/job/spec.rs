//! The job file's model: sources, steps and sinks as written, each with its line, read
//! from the positioned TOML of [`super::doc`]. Building the graph happens in `build`.

use std::path::{Path, PathBuf};

use super::doc::{Doc, JobFileError, Table};
use weir_core::config::RawValue;

pub mod aggregate;
pub mod joins;
pub mod sinks;
pub mod windows;
pub use aggregate::AggregateStep;
pub use joins::{IntervalJoinStep, JoinKind, JoinStep, WindowJoinStep};
pub use sinks::{SinkKind, SinkMode, SinkSpec};
pub use windows::{AggFn, AggregateSpec, KeepSpec, WindowKind, WindowStep};

/// A parsed job file.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// The file it came from.
    pub path: PathBuf,
    /// Job name (`name`, default: the file's stem).
    pub name: String,
    /// `[config]` entries as (key, value, line).
    pub config: Vec<(String, RawValue, u32)>,
    /// `[[source]]` tables.
    pub sources: Vec<SourceSpec>,
    /// `[[step]]` tables, in order.
    pub steps: Vec<StepSpec>,
    /// `[[sink]]` tables.
    pub sinks: Vec<SinkSpec>,
}

/// What a malformed input record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnErrorSpec {
    /// End the job with an error naming file and line (default).
    Fail,
    /// Count it, optionally write it to the dead-letter file, go on.
    Skip,
}

/// A text with the line it was written on (expressions, column lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The text.
    pub text: String,
    /// Its 1-based line.
    pub line: u32,
}

/// Which Nexmark events a Nexmark source yields as rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NexmarkKind {
    /// Bids (auction, bidder, price, channel, url, dateTime, extra).
    Bid,
    /// Auctions.
    Auction,
    /// People.
    Person,
}

/// A `[[source]]`.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    /// Name steps and sinks refer to.
    pub name: String,
    /// Line of the table.
    pub line: u32,
    /// What it reads.
    pub kind: SourceKind,
    /// Parallelism (default: the job's).
    pub parallelism: Option<usize>,
    /// Event time and watermarks, if declared (`[source.watermark]`).
    pub watermark: Option<WatermarkSpec>,
}

/// A source's event-time column and watermark strategy.
#[derive(Debug, Clone)]
pub struct WatermarkSpec {
    /// The event-time column (a `timestamp`, or a `long` of epoch milliseconds).
    pub column: Located,
    /// How late records may be: the watermark trails the highest timestamp by this
    /// (zero: monotonous timestamps).
    pub max_out_of_orderness: std::time::Duration,
    /// Idle after this long without records, if set.
    pub idle_timeout: Option<std::time::Duration>,
    /// Line of the table.
    pub line: u32,
}

/// The kinds of source.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// A CSV file with a declared schema.
    Csv {
        /// File path (relative paths: to the working directory).
        path: PathBuf,
        /// `name: type` entries.
        schema: Vec<Located>,
        /// Skip a header line.
        header: bool,
        /// Field delimiter.
        delimiter: u8,
        /// Malformed lines.
        on_error: OnErrorSpec,
        /// Where skipped lines go.
        dead_letter: Option<PathBuf>,
    },
    /// A text file: one row per line, in one string column `line`.
    Text {
        /// File path.
        path: PathBuf,
        /// Lines that are not UTF-8.
        on_error: OnErrorSpec,
        /// Where skipped lines go.
        dead_letter: Option<PathBuf>,
    },
    /// A Nexmark CSV file (`../shared/nexmark/FORMAT.md`).
    NexmarkFile {
        /// File path.
        path: PathBuf,
        /// Events kept.
        kind: NexmarkKind,
        /// Malformed lines.
        on_error: OnErrorSpec,
        /// Where skipped lines go.
        dead_letter: Option<PathBuf>,
    },
    /// The native Nexmark generator.
    Nexmark {
        /// Number of events (all kinds).
        events: u64,
        /// Events kept.
        kind: NexmarkKind,
        /// Seed.
        seed: u64,
        /// Event-time rate of the model (events/s of event time).
        event_rate: u64,
        /// Wall-clock rate limit (events/s), if any.
        rate_limit: Option<f64>,
    },
    /// Numbers `from..=to` in a column `value`.
    Sequence {
        /// First.
        from: i64,
        /// Last.
        to: i64,
    },
}

/// Settings every step may carry, as Flink's operator settings.
#[derive(Debug, Clone, Default)]
pub struct OperatorSettings {
    /// Parallelism.
    pub parallelism: Option<usize>,
    /// Partitioning of the input edge (`rebalance`, `rescale`, `shuffle`, `broadcast`,
    /// `global`, `forward`).
    pub partition: Option<Located>,
    /// `start-new-chain` or `disabled`.
    pub chaining: Option<Located>,
    /// Slot sharing group.
    pub slot_sharing_group: Option<String>,
    /// Buffer timeout of this operator's output (as `execution.buffer-timeout`).
    pub buffer_timeout: Option<Located>,
    /// Stable id.
    pub uid: Option<String>,
}

/// A `[[step]]`.
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// Name (default `<type>-<n>`); later steps and sinks may refer to it.
    pub name: String,
    /// Line of the table.
    pub line: u32,
    /// Input (default: the previous step, or the last source).
    pub input: Option<Located>,
    /// What it does.
    pub kind: StepKind,
    /// Operator settings.
    pub settings: OperatorSettings,
}

/// Rolling aggregates of a keyed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollingKind {
    /// Running sum of a column.
    Sum,
    /// Running minimum of a column (other columns from the first record).
    Min,
    /// Running maximum of a column.
    Max,
    /// The record holding the minimum.
    MinBy,
    /// The record holding the maximum.
    MaxBy,
}

/// The kinds of step.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Keeps rows where the predicate holds.
    Filter {
        /// Predicate expression.
        predicate: Located,
    },
    /// Computes new columns: `expr [AS name]` each.
    Select {
        /// Column expressions.
        columns: Vec<Located>,
    },
    /// Splits a string column into one row per token (a flat map).
    Split {
        /// Column to split.
        column: Located,
        /// Separator (default: whitespace).
        separator: Option<String>,
        /// Name of the token column that replaces it (default: the same name).
        alias: Option<String>,
    },
    /// Partitions by key columns; the next step must be a rolling aggregate.
    KeyBy {
        /// Key columns.
        keys: Vec<Located>,
    },
    /// A rolling aggregate over a keyed stream.
    Rolling {
        /// Which.
        kind: RollingKind,
        /// Column.
        field: Located,
        /// Key columns, when not keyed by a preceding `key_by` step.
        keys: Vec<Located>,
    },
    /// Merges streams of the same schema.
    Union {
        /// The other inputs.
        inputs: Vec<Located>,
    },
    /// Keeps the first row of each key (within `ttl` of processing time, if set).
    Deduplicate {
        /// Key columns, when not keyed by a preceding `key_by` step.
        keys: Vec<Located>,
        /// How long a key is remembered after its first row.
        ttl: Option<std::time::Duration>,
    },
    /// Windows with aggregates, or the rows holding a window's maximum.
    Window(WindowStep),
    /// Pairs of rows with equal keys whose times lie within bounds of each other.
    IntervalJoin(IntervalJoinStep),
    /// Pairs of rows with equal keys in the same window.
    WindowJoin(WindowJoinStep),
    /// Flink SQL's regular join: both sides kept in state, any order of arrival.
    Join(JoinStep),
    /// Flink SQL's `GROUP BY` without a window: an updating result per key.
    Aggregate(AggregateStep),
}

const ROOT_KEYS: &[&str] = &["name", "config", "source", "step", "sink"];
const SOURCE_TYPES: &[&str] = &["csv", "text", "nexmark-file", "nexmark", "sequence"];
const STEP_TYPES: &[&str] = &[
    "filter",
    "select",
    "map",
    "split",
    "key_by",
    "sum",
    "min",
    "max",
    "min_by",
    "max_by",
    "union",
    "deduplicate",
    "window",
    "interval_join",
    "window_join",
    "join",
    "aggregate",
];
const SETTINGS_KEYS: &[&str] = &[
    "parallelism",
    "partition",
    "chaining",
    "slot-sharing-group",
    "buffer-timeout",
    "uid",
];

impl JobSpec {
    /// Reads and parses the job file at `path`.
    pub fn load(path: &Path) -> Result<Self, JobFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| JobFileError {
            path: path.to_path_buf(),
            line: 0,
            message: format!("cannot read the job file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Parses job-file text; `path` names it in errors and anchors relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Self, JobFileError> {
        let doc = Doc::new(path, text);
        let mut root = doc.parse()?;
        let default_name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "job".into());
        let name = root.opt_str("name")?.unwrap_or(default_name);
        let mut config = Vec::new();
        if let Some(mut table) = root.table("config")? {
            for (key, item) in table.flattened() {
                let value = match item.value() {
                    toml::de::DeValue::String(s) => RawValue::Str(s.to_string()),
                    toml::de::DeValue::Integer(_) => RawValue::Int(item.int()?),
                    toml::de::DeValue::Boolean(b) => RawValue::Bool(*b),
                    toml::de::DeValue::Float(_) => RawValue::Float(item.number()?),
                    other => {
                        return Err(item.error(format!(
                            "expected a string, number or boolean, found {}",
                            other.type_str()
                        )))
                    }
                };
                config.push((key, value, item.line()));
            }
        }
        let sources = root
            .tables("source", "source")?
            .into_iter()
            .enumerate()
            .map(|(i, t)| source(t, i))
            .collect::<Result<Vec<_>, _>>()?;
        let steps = root
            .tables("step", "step")?
            .into_iter()
            .enumerate()
            .map(|(i, t)| step(t, i))
            .collect::<Result<Vec<_>, _>>()?;
        let sinks = root
            .tables("sink", "sink")?
            .into_iter()
            .enumerate()
            .map(|(i, t)| sinks::sink(t, i))
            .collect::<Result<Vec<_>, _>>()?;
        root.finish(ROOT_KEYS)?;
        if sources.is_empty() {
            return Err(doc.error(0, "the job has no [[source]]"));
        }
        if sinks.is_empty() {
            return Err(doc.error(0, "the job has no [[sink]]"));
        }
        Ok(JobSpec {
            path: path.to_path_buf(),
            name,
            config,
            sources,
            steps,
            sinks,
        })
    }
}

fn kind_of(t: &mut Table<'_, '_>, types: &[&str], label: &str) -> Result<String, JobFileError> {
    let item = t.require("type")?;
    let kind = item.str()?;
    if !types.contains(&kind.as_str()) {
        let hint = super::doc::nearest(&kind, types)
            .map(|n| format!("; did you mean '{n}'?"))
            .unwrap_or_default();
        return Err(item.error(format!(
            "unknown {label} type '{kind}' (one of: {}){hint}",
            types.join(", ")
        )));
    }
    Ok(kind)
}

fn name_of(t: &mut Table<'_, '_>, default: String) -> Result<String, JobFileError> {
    let name = t.opt_str("name")?.unwrap_or(default);
    t.context = format!(
        "{} \"{name}\"",
        t.context.split(' ').next().unwrap_or("table")
    );
    Ok(name)
}

fn located(t: &mut Table<'_, '_>, key: &str) -> Result<Option<Located>, JobFileError> {
    match t.get(key) {
        Some(item) => Ok(Some(Located {
            text: item.str()?,
            line: item.line(),
        })),
        None => Ok(None),
    }
}

fn located_list(t: &mut Table<'_, '_>, key: &str) -> Result<Vec<Located>, JobFileError> {
    match t.get(key) {
        Some(item) => {
            let line = item.line();
            Ok(item
                .strings()?
                .into_iter()
                .map(|text| Located { text, line })
                .collect())
        }
        None => Ok(Vec::new()),
    }
}

fn parallelism(t: &mut Table<'_, '_>) -> Result<Option<usize>, JobFileError> {
    match t.get("parallelism") {
        Some(item) => {
            let p = item.count()?;
            if p == 0 {
                return Err(item.error("parallelism must be at least 1"));
            }
            Ok(Some(p as usize))
        }
        None => Ok(None),
    }
}

fn on_error(t: &mut Table<'_, '_>) -> Result<(OnErrorSpec, Option<PathBuf>), JobFileError> {
    let policy = match t.get("on-error") {
        None => OnErrorSpec::Fail,
        Some(item) => match item.str()?.as_str() {
            "fail" => OnErrorSpec::Fail,
            "skip" => OnErrorSpec::Skip,
            other => {
                return Err(item.error(format!(
                    "'{other}' is not an on-error policy (fail or skip)"
                )))
            }
        },
    };
    let dead_letter = t.opt_str("dead-letter")?.map(PathBuf::from);
    Ok((policy, dead_letter))
}

/// The optional `rate-limit` of a source or sink: a positive number of records per second.
fn rate_limit(t: &mut Table<'_, '_>) -> Result<Option<f64>, JobFileError> {
    match t.get("rate-limit") {
        Some(item) => {
            let r = item.number()?;
            if r.is_nan() || r <= 0.0 {
                return Err(
                    item.error("a rate limit must be a positive number of records per second")
                );
            }
            Ok(Some(r))
        }
        None => Ok(None),
    }
}

fn nexmark_kind(t: &mut Table<'_, '_>) -> Result<NexmarkKind, JobFileError> {
    match t.get("kind") {
        None => Ok(NexmarkKind::Bid),
        Some(item) => match item.str()?.as_str() {
            "bid" => Ok(NexmarkKind::Bid),
            "auction" => Ok(NexmarkKind::Auction),
            "person" => Ok(NexmarkKind::Person),
            other => Err(item.error(format!(
                "'{other}' is not a Nexmark event kind (bid, auction or person)"
            ))),
        },
    }
}

fn source(mut t: Table<'_, '_>, i: usize) -> Result<SourceSpec, JobFileError> {
    let line = t.line();
    let kind = kind_of(&mut t, SOURCE_TYPES, "source")?;
    let name = name_of(&mut t, format!("source-{}", i + 1))?;
    let parallelism = parallelism(&mut t)?;
    let (kind, known): (SourceKind, &[&str]) = match kind.as_str() {
        "csv" => {
            let path = PathBuf::from(t.str("path")?);
            let schema = located_list(&mut t, "schema")?;
            if schema.is_empty() {
                return Err(t.error(
                    "missing key 'schema' (e.g. schema = [\"word: string\", \"n: long\"])",
                ));
            }
            let header = t
                .get("header")
                .map(|i| i.bool())
                .transpose()?
                .unwrap_or(false);
            let delimiter = match t.get("delimiter") {
                None => b',',
                Some(item) => {
                    let d = item.str()?;
                    match d.as_bytes() {
                        [b] if b.is_ascii() => *b,
                        _ => {
                            return Err(item.error(format!(
                                "the delimiter must be one ASCII character, found \"{d}\""
                            )))
                        }
                    }
                }
            };
            let (on_error, dead_letter) = on_error(&mut t)?;
            (
                SourceKind::Csv {
                    path,
                    schema,
                    header,
                    delimiter,
                    on_error,
                    dead_letter,
                },
                &[
                    "type",
                    "name",
                    "parallelism",
                    "path",
                    "schema",
                    "header",
                    "delimiter",
                    "on-error",
                    "dead-letter",
                ],
            )
        }
        "text" => {
            let path = PathBuf::from(t.str("path")?);
            let (on_error, dead_letter) = on_error(&mut t)?;
            (
                SourceKind::Text {
                    path,
                    on_error,
                    dead_letter,
                },
                &[
                    "type",
                    "name",
                    "parallelism",
                    "path",
                    "on-error",
                    "dead-letter",
                ],
            )
        }
        "nexmark-file" => {
            let path = PathBuf::from(t.str("path")?);
            let kind = nexmark_kind(&mut t)?;
            let (on_error, dead_letter) = on_error(&mut t)?;
            (
                SourceKind::NexmarkFile {
                    path,
                    kind,
                    on_error,
                    dead_letter,
                },
                &[
                    "type",
                    "name",
                    "parallelism",
                    "path",
                    "kind",
                    "on-error",
                    "dead-letter",
                ],
            )
        }
        "nexmark" => {
            let events = t.require("events")?.count()?;
            let kind = nexmark_kind(&mut t)?;
            let seed = t.get("seed").map(|i| i.count()).transpose()?.unwrap_or(1);
            let event_rate = match t.get("event-rate") {
                Some(item) => match item.count()? {
                    0 => return Err(item.error("the event rate must be positive")),
                    r => r,
                },
                None => 1000,
            };
            let rate_limit = rate_limit(&mut t)?;
            (
                SourceKind::Nexmark {
                    events,
                    kind,
                    seed,
                    event_rate,
                    rate_limit,
                },
                &[
                    "type",
                    "name",
                    "parallelism",
                    "events",
                    "kind",
                    "seed",
                    "event-rate",
                    "rate-limit",
                ],
            )
        }
        _ => {
            let from = t.require("from")?.int()?;
            let to = t.require("to")?.int()?;
            (
                SourceKind::Sequence { from, to },
                &["type", "name", "parallelism", "from", "to"],
            )
        }
    };
    let watermark = t.table("watermark")?.map(watermark).transpose()?;
    let mut known = known.to_vec();
    known.push("watermark");
    t.finish(&known)?;
    Ok(SourceSpec {
        name,
        line,
        kind,
        parallelism,
        watermark,
    })
}

/// The optional duration at `key` (a string such as "4 s", or an integer of ms).
fn duration_of(
    t: &mut Table<'_, '_>,
    key: &str,
) -> Result<Option<std::time::Duration>, JobFileError> {
    match t.get(key) {
        None => Ok(None),
        Some(item) => {
            let text = match item.value() {
                toml::de::DeValue::Integer(_) => item.int()?.to_string(),
                _ => item.str()?,
            };
            weir_core::config::parse_duration(&text)
                .map(Some)
                .ok_or_else(|| {
                    item.error(format!(
                        "bad value '{text}': expected a duration such as '4 s', '500 ms' or '0'"
                    ))
                })
        }
    }
}

/// `watermark = { column = "...", max-out-of-orderness = "4 s", idle-timeout = "10 s" }`.
fn watermark(mut t: Table<'_, '_>) -> Result<WatermarkSpec, JobFileError> {
    let line = t.line();
    let column = match located(&mut t, "column")? {
        Some(c) => c,
        None => {
            return Err(
                t.error("missing key 'column': the event-time column (e.g. column = \"dateTime\")")
            )
        }
    };
    let max_out_of_orderness = duration_of(&mut t, "max-out-of-orderness")?.unwrap_or_default();
    let idle_timeout = duration_of(&mut t, "idle-timeout")?;
    if idle_timeout.is_some_and(|d| d.is_zero()) {
        return Err(t.error("'idle-timeout' must be above 0 (leave it out for no idleness)"));
    }
    t.finish(&["column", "max-out-of-orderness", "idle-timeout"])?;
    Ok(WatermarkSpec {
        column,
        max_out_of_orderness,
        idle_timeout,
        line,
    })
}

fn settings(t: &mut Table<'_, '_>) -> Result<OperatorSettings, JobFileError> {
    Ok(OperatorSettings {
        parallelism: parallelism(t)?,
        partition: located(t, "partition")?,
        chaining: located(t, "chaining")?,
        slot_sharing_group: t.opt_str("slot-sharing-group")?,
        buffer_timeout: match t.get("buffer-timeout") {
            None => None,
            Some(item) => {
                let text = match item.value() {
                    toml::de::DeValue::Integer(_) => item.int()?.to_string(),
                    _ => item.str()?,
                };
                Some(Located {
                    text,
                    line: item.line(),
                })
            }
        },
        uid: t.opt_str("uid")?,
    })
}

fn with_settings<'k>(keys: &[&'k str]) -> Vec<&'k str> {
    let mut all: Vec<&str> = vec!["type", "name", "input"];
    all.extend_from_slice(keys);
    all.extend_from_slice(SETTINGS_KEYS);
    all
}

fn step(mut t: Table<'_, '_>, i: usize) -> Result<StepSpec, JobFileError> {
    let line = t.line();
    let kind = kind_of(&mut t, STEP_TYPES, "step")?;
    let name = name_of(&mut t, format!("{kind}-{}", i + 1))?;
    let input = located(&mut t, "input")?;
    let settings = settings(&mut t)?;
    let (step_kind, keys): (StepKind, &[&str]) = match kind.as_str() {
        "filter" => {
            let item = t.require("where")?;
            (
                StepKind::Filter {
                    predicate: Located {
                        text: item.str()?,
                        line: item.line(),
                    },
                },
                &["where"],
            )
        }
        "select" | "map" => {
            let columns = located_list(&mut t, "columns")?;
            if columns.is_empty() {
                return Err(t.error("missing key 'columns' (e.g. columns = [\"auction\", \"price * 0.908 AS price\"])"));
            }
            (StepKind::Select { columns }, &["columns"])
        }
        "split" => {
            let column =
                located(&mut t, "column")?.ok_or_else(|| t.error("missing key 'column'"))?;
            let separator = t.opt_str("separator")?;
            let alias = t.opt_str("as")?;
            (
                StepKind::Split {
                    column,
                    separator,
                    alias,
                },
                &["column", "separator", "as"],
            )
        }
        "key_by" => {
            let keys = located_list(&mut t, "key")?;
            if keys.is_empty() {
                return Err(t.error("missing key 'key' (a column name or a list of them)"));
            }
            (StepKind::KeyBy { keys }, &["key"])
        }
        "union" => {
            let inputs = located_list(&mut t, "with")?;
            if inputs.is_empty() {
                return Err(t.error("missing key 'with' (the streams to merge with the input)"));
            }
            (StepKind::Union { inputs }, &["with"])
        }
        "deduplicate" => {
            let keys = located_list(&mut t, "key")?;
            let ttl = duration_of(&mut t, "ttl")?;
            if ttl.is_some_and(|d| d.is_zero()) {
                return Err(
                    t.error("'ttl' must be above 0 (leave it out to remember keys for ever)")
                );
            }
            (StepKind::Deduplicate { keys, ttl }, &["key", "ttl"])
        }
        "window" => windows::window(&mut t)?,
        "interval_join" => joins::interval_join(&mut t)?,
        "window_join" => joins::window_join(&mut t)?,
        "join" => joins::join(&mut t)?,
        "aggregate" => aggregate::aggregate(&mut t)?,
        rolling => {
            let kind = match rolling {
                "sum" => RollingKind::Sum,
                "min" => RollingKind::Min,
                "max" => RollingKind::Max,
                "min_by" => RollingKind::MinBy,
                _ => RollingKind::MaxBy,
            };
            let field = located(&mut t, "field")?
                .ok_or_else(|| t.error("missing key 'field' (the column to aggregate)"))?;
            let keys = located_list(&mut t, "key")?;
            (StepKind::Rolling { kind, field, keys }, &["field", "key"])
        }
    };
    t.finish(&with_settings(keys))?;
    Ok(StepSpec {
        name,
        line,
        input,
        kind: step_kind,
        settings,
    })
}

#[cfg(test)]
mod tests;
