//! From a job file's model to a stream graph on a `StreamExecutionEnvironment`: sources
//! become row streams with a schema, steps compile their expressions against the schema
//! of their input, sinks write rows as CSV.
//!
//! - [`sources`]: `csv`, `text`, `nexmark-file`, `nexmark`, `sequence`.
//! - [`steps`]: filter, select, split, key_by, rolling aggregates, union, deduplicate.
//! - [`accumulators`]: aggregate functions' accumulators, shared by windows and `aggregate`.
//! - [`windows`]: window steps (tumble, hop, session, count) with aggregates or `keep`.
//! - [`aggregate`]: the updating `aggregate` step (a `GROUP BY` without window).
//! - [`joins`]: interval and window joins, and the regular join in state.
//! - [`sinks`]: print, csv, blackhole.
//! - [`upsert`]: `mode = "upsert"` sinks: the final row per key of a changelog.
//! - [`changelog`]: updating results as rows with a leading `op` column (`+I`, `-U`, `+U`, `-D`).
//! - [`ops`]: the row operators the steps run.
//! - [`nexmark_rows`]: Nexmark events as rows.

pub mod accumulators;
pub mod aggregate;
pub mod changelog;
pub mod joins;
pub mod nexmark_rows;
pub mod ops;
pub mod sinks;
pub mod sources;
pub mod steps;
pub mod upsert;
pub mod windows;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use weir_core::api::{DataStream, StreamExecutionEnvironment};
use weir_core::config::{ConfigError, Configuration, Origin};
use weir_core::row::{Row, Schema};

use super::doc::{nearest, JobFileError};
use super::spec::{JobSpec, Located};

/// A job built from a job file, ready to run or explain.
pub struct BuiltJob {
    /// The environment holding the graph.
    pub env: StreamExecutionEnvironment,
    /// The job's name.
    pub name: String,
}

/// The configuration of a job file: defaults, then its `[config]` entries.
pub fn configuration(spec: &JobSpec) -> Result<Configuration, ConfigError> {
    let mut config = Configuration::default();
    for (key, value, line) in &spec.config {
        config.set(
            key,
            value.clone(),
            Origin::File {
                path: spec.path.clone(),
                line: *line,
            },
        )?;
    }
    Ok(config)
}

/// A named stream of rows and its schema, as steps and sinks refer to it.
#[derive(Clone)]
pub struct Named {
    /// The rows.
    pub stream: DataStream<Row>,
    /// Their schema.
    pub schema: Schema,
    /// Key columns when the stream was keyed by a `key_by` step.
    pub keys: Option<Vec<Located>>,
    /// Whether its rows carry event time and watermarks (a source with a watermark, and
    /// the steps after it that keep event time).
    pub event_time: bool,
}

/// What the builder knows while walking the job file.
pub struct Builder<'s> {
    /// The job file.
    pub spec: &'s JobSpec,
    /// The environment the graph is built on.
    pub env: StreamExecutionEnvironment,
    streams: HashMap<String, Named>,
    last: Option<String>,
}

impl<'s> Builder<'s> {
    /// An error at `line` of the job file.
    pub fn error(&self, line: u32, message: impl Into<String>) -> JobFileError {
        JobFileError {
            path: self.spec.path.clone(),
            line,
            message: message.into(),
        }
    }

    /// A path from the job file, relative to the job file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            return path.to_path_buf();
        }
        match self.spec.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// The stream named `input`, or the latest one when `input` is absent.
    pub fn input(&self, input: Option<&Located>, line: u32) -> Result<Named, JobFileError> {
        let name = match input {
            Some(l) => l.text.clone(),
            None => self
                .last
                .clone()
                .ok_or_else(|| self.error(line, "no input: declare a [[source]] first"))?,
        };
        let line = input.map(|l| l.line).unwrap_or(line);
        self.streams.get(&name).cloned().ok_or_else(|| {
            let known: Vec<&str> = self.streams.keys().map(String::as_str).collect();
            let hint = nearest(&name, &known)
                .map(|n| format!("; did you mean '{n}'?"))
                .unwrap_or_default();
            self.error(
                line,
                format!(
                    "unknown input '{name}' (sources and steps declared before this one: {}){hint}",
                    sorted(&known)
                ),
            )
        })
    }

    /// Registers a stream under `name` and makes it the latest.
    pub fn define(&mut self, name: &str, named: Named, line: u32) -> Result<(), JobFileError> {
        if self.streams.insert(name.to_string(), named).is_some() {
            return Err(self.error(line, format!("the name '{name}' is used twice")));
        }
        self.last = Some(name.to_string());
        Ok(())
    }
}

fn sorted(names: &[&str]) -> String {
    let mut v = names.to_vec();
    v.sort_unstable();
    v.join(", ")
}

/// Builds the job's graph on an environment with `config`.
pub fn build(spec: &JobSpec, config: Configuration) -> Result<BuiltJob, JobFileError> {
    let env = StreamExecutionEnvironment::new(config);
    let mut b = Builder {
        spec,
        env: env.clone(),
        streams: HashMap::new(),
        last: None,
    };
    for source in &spec.sources {
        let named = sources::build(&b, source)?;
        b.define(&source.name, named, source.line)?;
    }
    for step in &spec.steps {
        let named = steps::build(&b, step)?;
        b.define(&step.name, named, step.line)?;
    }
    for sink in &spec.sinks {
        sinks::build(&b, sink)?;
    }
    Ok(BuiltJob {
        env,
        name: spec.name.clone(),
    })
}
