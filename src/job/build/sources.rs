//! Sources of a job file as row streams: CSV and text files (split among subtasks, with
//! the `on-error` policy), Nexmark files and the Nexmark generator, number sequences.

use std::str::FromStr;

use weir_bench::nexmark::source::GeneratorSource;
use weir_bench::nexmark::{parse_event, parse_kind, GeneratorConfig};
use weir_core::api::DataStream;
use weir_core::graph::factory::BuildContext;
use weir_core::row::{Field, FieldType, Row, RowParser, Schema, Value};
use weir_core::runtime::file_source::{LineFileOptions, LineFileSource, LineParser, OnError};
use weir_core::runtime::source::{restored_positions, SequenceSource};
use weir_core::time::WatermarkStrategy;

use super::nexmark_rows;
use super::{Builder, Named};
use crate::job::doc::nearest;
use crate::job::doc::JobFileError;
use crate::job::spec::{NexmarkKind, OnErrorSpec, SourceKind, SourceSpec, WatermarkSpec};

/// Builds the stream of one `[[source]]`.
pub fn build(b: &Builder<'_>, spec: &SourceSpec) -> Result<Named, JobFileError> {
    let env = &b.env;
    let (stream, schema) = match &spec.kind {
        SourceKind::Csv {
            path,
            schema,
            header,
            delimiter,
            on_error,
            dead_letter,
        } => {
            let schema = parse_schema(b, schema)?;
            let parser = CsvRows {
                parser: RowParser::new(schema.clone(), *delimiter),
                delimiter: *delimiter,
            };
            let (path, options) = file_options(b, path, *header, *on_error, dead_letter.as_deref());
            let stream = env.add_source(&spec.name, move |ctx: &BuildContext| {
                LineFileSource::open_in(&path, parser.clone(), &options, ctx)
            });
            (stream, schema)
        }
        SourceKind::Text {
            path,
            on_error,
            dead_letter,
        } => {
            let schema = Schema::new(vec![Field::new("line", FieldType::String)])
                .map_err(|e| b.error(spec.line, e.to_string()))?;
            let (path, options) = file_options(b, path, false, *on_error, dead_letter.as_deref());
            let stream = env.add_source(&spec.name, move |ctx: &BuildContext| {
                LineFileSource::open_in(&path, TextRows, &options, ctx)
            });
            (stream, schema)
        }
        SourceKind::NexmarkFile {
            path,
            kind,
            on_error,
            dead_letter,
        } => {
            let schema =
                nexmark_rows::schema(*kind).map_err(|e| b.error(spec.line, e.to_string()))?;
            let (path, options) = file_options(b, path, false, *on_error, dead_letter.as_deref());
            let parser = NexmarkRows { kind: *kind };
            let stream = env.add_source(&spec.name, move |ctx: &BuildContext| {
                LineFileSource::open_in(&path, parser, &options, ctx)
            });
            (stream, schema)
        }
        SourceKind::Nexmark {
            events,
            kind,
            seed,
            event_rate,
            rate_limit,
        } => {
            let schema =
                nexmark_rows::schema(*kind).map_err(|e| b.error(spec.line, e.to_string()))?;
            let config = GeneratorConfig {
                seed: *seed,
                rate: *event_rate,
                max_delay_ms: 0,
            };
            let (events, kind, rate_limit) = (*events, *kind, *rate_limit);
            let generated = env.add_source(&spec.name, move |ctx: &BuildContext| {
                let limit = rate_limit.map(|r| (r, ctx.clock.clone()));
                GeneratorSource::new(config, 0..events, ctx.subtask, ctx.parallelism, limit)?
                    .resumed_in(ctx)
            });
            let stream = with_parallelism(generated, spec.parallelism)
                .flat_map(move |event| nexmark_rows::to_row(event, kind))
                .name(&format!("{}: rows", spec.name));
            (stream, schema)
        }
        SourceKind::Sequence { from, to } => {
            let schema = Schema::new(vec![Field::new("value", FieldType::Long)])
                .map_err(|e| b.error(spec.line, e.to_string()))?;
            let (from, to) = (*from, *to);
            let numbers = env.add_source(&spec.name, move |ctx: &BuildContext| {
                let restored = restored_positions(ctx, "sequence source")?;
                if restored.is_empty() {
                    Ok(SequenceSource::new(from, to, ctx.subtask, ctx.parallelism))
                } else {
                    SequenceSource::resumed(from, to, ctx.subtask, ctx.parallelism, &restored)
                }
            });
            let stream = with_parallelism(numbers, spec.parallelism)
                .map(|v| Row::new(vec![Value::Long(v)]))
                .name(&format!("{}: rows", spec.name));
            (stream, schema)
        }
    };
    let stream = with_parallelism(stream, spec.parallelism);
    let stream = match &spec.watermark {
        Some(w) => with_parallelism(watermarked(b, spec, stream, &schema, w)?, spec.parallelism),
        None => stream,
    };
    Ok(Named {
        stream,
        schema,
        keys: None,
        event_time: spec.watermark.is_some(),
    })
}

/// Event time from a column and watermarks `max-out-of-orderness` behind it, right
/// after the source (one generator per source subtask).
fn watermarked(
    b: &Builder<'_>,
    spec: &SourceSpec,
    stream: DataStream<Row>,
    schema: &Schema,
    w: &WatermarkSpec,
) -> Result<DataStream<Row>, JobFileError> {
    let column = &w.column.text;
    let Some(index) = schema.index_of(column) else {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name.as_str()).collect();
        let hint = nearest(column, &names)
            .map(|n| format!("; did you mean '{n}'?"))
            .unwrap_or_default();
        return Err(b.error(
            w.column.line,
            format!(
                "source '{}' has no column '{column}' for its watermark (columns: {}){hint}",
                spec.name,
                names.join(", ")
            ),
        ));
    };
    let ty = schema.fields()[index].ty;
    if !matches!(ty, FieldType::Timestamp | FieldType::Long) {
        return Err(b.error(
            w.column.line,
            format!(
                "the watermark column '{column}' of source '{}' is a {ty}; event time needs a \
                 timestamp or a long of epoch milliseconds",
                spec.name
            ),
        ));
    }
    let mut strategy = WatermarkStrategy::for_bounded_out_of_orderness(w.max_out_of_orderness)
        // A NULL event time keeps the record's timestamp (none, for file sources).
        .with_timestamp_assigner(move |row: &Row, previous| match row.get(index) {
            Some(Value::Timestamp(t) | Value::Long(t)) => *t,
            _ => previous,
        });
    if let Some(timeout) = w.idle_timeout {
        strategy = strategy.with_idleness(timeout);
    }
    Ok(stream
        .assign_timestamps_and_watermarks(strategy)
        .name(&format!("{}: watermarks on {column}", spec.name)))
}

fn file_options(
    b: &Builder<'_>,
    path: &std::path::Path,
    header: bool,
    on_error: OnErrorSpec,
    dead_letter: Option<&std::path::Path>,
) -> (std::path::PathBuf, LineFileOptions) {
    let options = LineFileOptions {
        skip_header: header,
        on_error: match on_error {
            OnErrorSpec::Fail => OnError::Fail,
            OnErrorSpec::Skip => OnError::Skip,
        },
        dead_letter: dead_letter.map(|p| b.resolve(p)),
    };
    (b.resolve(path), options)
}

/// Parses `name: type` schema entries.
pub fn parse_schema(
    b: &Builder<'_>,
    entries: &[crate::job::spec::Located],
) -> Result<Schema, JobFileError> {
    let mut fields = Vec::with_capacity(entries.len());
    for e in entries {
        let Some((name, ty)) = e.text.split_once(':') else {
            return Err(b.error(
                e.line,
                format!(
                    "schema entry '{}' must be 'name: type' (e.g. 'price: long')",
                    e.text
                ),
            ));
        };
        let ty = FieldType::from_str(ty.trim())
            .map_err(|err| b.error(e.line, format!("schema entry '{}': {err}", e.text)))?;
        fields.push(Field::new(name.trim(), ty));
    }
    Schema::new(fields).map_err(|err| {
        b.error(
            entries.first().map(|e| e.line).unwrap_or(0),
            format!("schema: {err}"),
        )
    })
}

/// CSV lines into rows of a schema.
struct CsvRows {
    parser: RowParser,
    delimiter: u8,
}

impl Clone for CsvRows {
    fn clone(&self) -> Self {
        CsvRows {
            parser: RowParser::new(self.parser.schema().clone(), self.delimiter),
            delimiter: self.delimiter,
        }
    }
}

impl LineParser<Row> for CsvRows {
    fn parse(&mut self, line: &[u8]) -> Result<Option<Row>, String> {
        self.parser
            .parse_line(line)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// Lines as one string column.
#[derive(Clone, Copy)]
struct TextRows;

impl LineParser<Row> for TextRows {
    fn parse(&mut self, line: &[u8]) -> Result<Option<Row>, String> {
        match std::str::from_utf8(line) {
            Ok(s) => Ok(Some(Row::new(vec![Value::Str(s.to_string())]))),
            Err(e) => Err(format!("not UTF-8: {e}")),
        }
    }
}

/// Nexmark CSV lines of one event kind into rows; other kinds are passed over.
#[derive(Clone, Copy)]
struct NexmarkRows {
    kind: NexmarkKind,
}

impl LineParser<Row> for NexmarkRows {
    fn parse(&mut self, line: &[u8]) -> Result<Option<Row>, String> {
        let kind = parse_kind(line).map_err(|e| e.to_string())?;
        if kind != nexmark_rows::event_kind(self.kind) {
            return Ok(None);
        }
        let event = parse_event(line).map_err(|e| e.to_string())?;
        Ok(nexmark_rows::to_row(event, self.kind))
    }
    fn timestamp(&self, row: &Row) -> i64 {
        let column = match self.kind {
            NexmarkKind::Bid => 5,
            NexmarkKind::Auction => 5,
            NexmarkKind::Person => 6,
        };
        match row.get(column) {
            Some(Value::Timestamp(t)) => *t,
            _ => weir_core::record::NO_TIMESTAMP,
        }
    }
}

/// `stream` with the source's `parallelism`, if it has one.
fn with_parallelism<T: weir_core::record::Data>(
    stream: DataStream<T>,
    parallelism: Option<usize>,
) -> DataStream<T> {
    match parallelism {
        Some(p) => stream.set_parallelism(p),
        None => stream,
    }
}
