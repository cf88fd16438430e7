//! Sinks of a job file: rows written as CSV lines to stdout or a file, or discarded, each
//! with an optional rate limit; as they arrive (`append`: a changelog with its `op`
//! column), or as the final row per key once the input ends (`upsert`, see [`super::upsert`]).

use std::sync::Arc;

use weir_core::operator::sink::{Formatter, LineWriter};
use weir_core::record::Record;
use weir_core::row::{write_row, Row};

use super::Builder;
use crate::job::doc::JobFileError;
use crate::job::spec::{SinkKind, SinkMode, SinkSpec};

/// The CSV form of a row.
pub fn csv_formatter() -> Formatter<Row> {
    Arc::new(|record: &Record<'_, Row>, out: &mut Vec<u8>| {
        record.with_value(|row| write_row(row, b',', out))?;
        Ok(())
    })
}

/// Adds one `[[sink]]`.
pub fn build(b: &Builder<'_>, spec: &SinkSpec) -> Result<(), JobFileError> {
    let input = b.input(spec.input.as_ref(), spec.line)?;
    if input.keys.is_some() {
        return Err(b.error(
            spec.line,
            format!(
                "sink \"{}\": its input is a key_by step without a rolling aggregate",
                spec.name
            ),
        ));
    }
    let stream = match &spec.mode {
        SinkMode::Append => input.stream,
        SinkMode::Upsert { keys } => super::upsert::materialize(b, spec, &input, keys)?,
    };
    let sink = match &spec.kind {
        SinkKind::Print => stream.print_with(csv_formatter(), spec.rate_limit),
        SinkKind::Blackhole => stream.blackhole(spec.rate_limit),
        SinkKind::Csv { path } => {
            let path = b.resolve(path);
            let format = csv_formatter();
            stream.sink_to("File Sink", spec.rate_limit, move |ctx| {
                LineWriter::file(&path, format.clone(), ctx.subtask, ctx.parallelism)
            })
        }
        SinkKind::Files { path } => {
            if spec.rate_limit.is_some() {
                return Err(b.error(
                    spec.line,
                    format!("sink \"{}\": a files sink takes no rate-limit", spec.name),
                ));
            }
            stream.sink_to_files_exactly_once(b.resolve(path), csv_formatter())
        }
    };
    let sink = sink.name(&spec.name);
    if let Some(p) = spec.parallelism {
        sink.set_parallelism(p);
    }
    Ok(())
}
