//! Steps of a job file: each compiles its expressions against the schema of its input and
//! adds an operator; operator settings (parallelism, partitioning, chaining, slot sharing
//! group, buffer timeout, uid) apply as the DataStream API's do.

use std::str::FromStr;
use std::sync::Arc;

use weir_core::api::DataStream;
use weir_core::config::BufferTimeout;
use weir_core::expr;
use weir_core::row::{Field, FieldType, Row, Schema};

use super::ops::{key_of, rolling, Deduplicate, RowStep, RowStepOperator};
use super::{Builder, Named};
use crate::job::doc::{nearest, JobFileError};
use crate::job::spec::{Located, OperatorSettings, RollingKind, StepKind, StepSpec};

/// Builds one `[[step]]` on its input.
pub fn build(b: &Builder<'_>, step: &StepSpec) -> Result<Named, JobFileError> {
    let input = b.input(step.input.as_ref(), step.line)?;
    let context: Arc<str> = Arc::from(format!(
        "step \"{}\" ({}:{})",
        step.name,
        b.spec.path.display(),
        step.line
    ));
    let keyed = input.keys.is_some();
    if keyed
        && !matches!(
            step.kind,
            StepKind::Rolling { .. }
                | StepKind::Deduplicate { .. }
                | StepKind::Window(_)
                | StepKind::Aggregate(_)
        )
    {
        return Err(b.error(step.line, format!("step \"{}\": a key_by step must be followed by a rolling aggregate (sum, min, max, min_by, max_by), deduplicate, window or aggregate", step.name)));
    }
    let named = match &step.kind {
        StepKind::Filter { predicate } => {
            let compiled = expr::compile(&predicate.text, &input.schema)
                .map_err(|e| expr_error(b, step, predicate, e))?;
            if compiled.output_type() != FieldType::Bool {
                return Err(b.error(
                    predicate.line,
                    format!(
                        "step \"{}\": the filter '{}' is of type {}, not bool",
                        step.name,
                        predicate.text,
                        compiled.output_type().name()
                    ),
                ));
            }
            row_step(
                b,
                step,
                &input,
                RowStep::Filter(compiled),
                input.schema.clone(),
                context,
            )?
        }
        StepKind::Select { columns } => {
            let mut exprs = Vec::with_capacity(columns.len());
            let mut fields = Vec::with_capacity(columns.len());
            for c in columns {
                let item = expr::compile_select_item(&c.text, &input.schema)
                    .map_err(|e| expr_error(b, step, c, e))?;
                fields.push(Field::new(item.name, item.expr.output_type()));
                exprs.push(item.expr);
            }
            let schema = Schema::new(fields)
                .map_err(|e| b.error(step.line, format!("step \"{}\": {e}", step.name)))?;
            row_step(b, step, &input, RowStep::Select(exprs), schema, context)?
        }
        StepKind::Split {
            column,
            separator,
            alias,
        } => {
            let index = column_index(b, step, &input.schema, column)?;
            if input.schema.fields()[index].ty != FieldType::String {
                return Err(b.error(
                    column.line,
                    format!(
                        "step \"{}\": can only split a string column; '{}' is {}",
                        step.name,
                        column.text,
                        input.schema.fields()[index].ty.name()
                    ),
                ));
            }
            let mut fields = input.schema.fields().to_vec();
            if let Some(a) = alias {
                fields[index] = Field::new(a.clone(), FieldType::String);
            }
            let schema = Schema::new(fields)
                .map_err(|e| b.error(step.line, format!("step \"{}\": {e}", step.name)))?;
            row_step(
                b,
                step,
                &input,
                RowStep::Split {
                    column: index,
                    separator: separator.clone(),
                },
                schema,
                context,
            )?
        }
        StepKind::KeyBy { keys } => {
            for k in keys {
                column_index(b, step, &input.schema, k)?;
            }
            if step.settings.parallelism.is_some() || step.settings.partition.is_some() {
                return Err(b.error(step.line, format!("step \"{}\": key_by adds no operator; set parallelism on the aggregate that follows", step.name)));
            }
            Named {
                stream: input.stream.clone(),
                schema: input.schema.clone(),
                keys: Some(keys.clone()),
                event_time: input.event_time,
            }
        }
        StepKind::Deduplicate { keys, ttl } => {
            let keys = match (&input.keys, keys.is_empty()) {
                (Some(k), true) => k.clone(),
                (None, false) => keys.clone(),
                (Some(_), false) => return Err(b.error(step.line, format!("step \"{}\": the input is already keyed by a key_by step; drop 'key' here", step.name))),
                (None, true) => return Err(b.error(step.line, format!("step \"{}\": deduplicate needs a key: add key = \"column\" or a key_by step before it", step.name))),
            };
            if step.settings.partition.is_some() {
                return Err(b.error(step.line, format!("step \"{}\": deduplicate is partitioned by its key; 'partition' does not apply", step.name)));
            }
            let key_columns: Vec<usize> = keys
                .iter()
                .map(|k| column_index(b, step, &input.schema, k))
                .collect::<Result<_, _>>()?;
            let stream = input
                .stream
                .key_by(move |row: &Row| key_of(row, &key_columns))
                .process(Deduplicate::new(*ttl))
                .name(&step.name);
            let stream = settings(b, step, stream, &step.settings)?;
            Named {
                stream,
                schema: input.schema.clone(),
                keys: None,
                event_time: input.event_time,
            }
        }
        StepKind::Rolling { kind, field, keys } => {
            let keys = match (&input.keys, keys.is_empty()) {
                (Some(k), true) => k.clone(),
                (None, false) => keys.clone(),
                (Some(_), false) => return Err(b.error(step.line, format!("step \"{}\": the input is already keyed by a key_by step; drop 'key' here", step.name))),
                (None, true) => return Err(b.error(step.line, format!("step \"{}\": a rolling aggregate needs a key: add key = \"column\" or a key_by step before it", step.name))),
            };
            if step.settings.partition.is_some() {
                return Err(b.error(step.line, format!("step \"{}\": a rolling aggregate is partitioned by its key; 'partition' does not apply", step.name)));
            }
            let key_columns: Vec<usize> = keys
                .iter()
                .map(|k| column_index(b, step, &input.schema, k))
                .collect::<Result<_, _>>()?;
            let index = column_index(b, step, &input.schema, field)?;
            let ty = input.schema.fields()[index].ty;
            let ok = match kind {
                RollingKind::Sum => {
                    matches!(ty, FieldType::Long | FieldType::Double | FieldType::Decimal)
                }
                _ => true,
            };
            if !ok {
                return Err(b.error(
                    field.line,
                    format!(
                        "step \"{}\": cannot sum column '{}' of type {}",
                        step.name,
                        field.text,
                        ty.name()
                    ),
                ));
            }
            let keyed = input
                .stream
                .key_by(move |row: &Row| key_of(row, &key_columns));
            let stream = keyed.try_reduce(&step.name, rolling(*kind, index, context));
            let stream = settings(b, step, stream, &step.settings)?;
            Named {
                stream,
                schema: input.schema.clone(),
                keys: None,
                event_time: input.event_time,
            }
        }
        StepKind::Union { inputs } => {
            if step.settings.parallelism.is_some()
                || step.settings.partition.is_some()
                || step.settings.chaining.is_some()
            {
                return Err(b.error(step.line, format!("step \"{}\": union adds no operator; its settings go on the steps after it", step.name)));
            }
            let mut others: Vec<DataStream<Row>> = Vec::new();
            let mut event_time = input.event_time;
            for other in inputs {
                let o = b.input(Some(other), other.line)?;
                if o.schema != input.schema {
                    return Err(b.error(other.line, format!("step \"{}\": '{}' has columns ({}) but the input has ({}); union needs the same columns", step.name, other.text, describe(&o.schema), describe(&input.schema))));
                }
                if o.keys.is_some() {
                    return Err(b.error(
                        other.line,
                        format!(
                            "step \"{}\": '{}' is a key_by without aggregate",
                            step.name, other.text
                        ),
                    ));
                }
                event_time &= o.event_time;
                others.push(o.stream);
            }
            Named {
                stream: input.stream.union(&others),
                schema: input.schema.clone(),
                keys: None,
                event_time,
            }
        }
        StepKind::Window(w) => super::windows::build(b, step, w, &input)?,
        StepKind::IntervalJoin(j) => super::joins::interval(b, step, j, &input)?,
        StepKind::WindowJoin(j) => super::joins::window(b, step, j, &input)?,
        StepKind::Join(j) => super::joins::regular(b, step, j, &input)?,
        StepKind::Aggregate(a) => super::aggregate::build(b, step, a, &input)?,
    };
    Ok(named)
}

fn describe(schema: &Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name, f.ty.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn expr_error(
    b: &Builder<'_>,
    step: &StepSpec,
    at: &Located,
    e: impl std::fmt::Display,
) -> JobFileError {
    b.error(
        at.line,
        format!("step \"{}\": in '{}': {e}", step.name, at.text),
    )
}

/// The index of `column` in `schema`; an unknown column names the nearest one.
pub(super) fn column_index(
    b: &Builder<'_>,
    step: &StepSpec,
    schema: &Schema,
    column: &Located,
) -> Result<usize, JobFileError> {
    column_of(b, &format!("step \"{}\"", step.name), schema, column)
}

/// The index of `column` in `schema`, for the table described as `what` (`step "x"`,
/// `sink "y"`) in the error that names an unknown column and the nearest one.
pub(super) fn column_of(
    b: &Builder<'_>,
    what: &str,
    schema: &Schema,
    column: &Located,
) -> Result<usize, JobFileError> {
    schema.index_of(&column.text).ok_or_else(|| {
        let names: Vec<&str> = schema.names().collect();
        let hint = nearest(&column.text, &names)
            .map(|n| format!("; did you mean '{n}'?"))
            .unwrap_or_default();
        b.error(
            column.line,
            format!(
                "{what}: unknown column '{}' (columns: {}){hint}",
                column.text,
                names.join(", ")
            ),
        )
    })
}

fn row_step(
    b: &Builder<'_>,
    step: &StepSpec,
    input: &Named,
    op: RowStep,
    schema: Schema,
    context: Arc<str>,
) -> Result<Named, JobFileError> {
    let stream = partitioned(b, step, &input.stream, &step.settings)?;
    let op = Arc::new(op);
    let stream = stream.transform(&step.name, move |_, out, _| {
        Ok(Box::new(RowStepOperator::new(
            op.clone(),
            context.clone(),
            out,
        )))
    });
    let stream = settings(b, step, stream, &step.settings)?;
    Ok(Named {
        stream,
        schema,
        keys: None,
        event_time: input.event_time,
    })
}

fn partitioned(
    b: &Builder<'_>,
    step: &StepSpec,
    stream: &DataStream<Row>,
    s: &OperatorSettings,
) -> Result<DataStream<Row>, JobFileError> {
    let Some(p) = &s.partition else {
        return Ok(stream.clone());
    };
    Ok(match p.text.as_str() {
        "forward" => stream.forward(),
        "rebalance" => stream.rebalance(),
        "rescale" => stream.rescale(),
        "shuffle" => stream.shuffle(),
        "broadcast" => stream.broadcast(),
        "global" => stream.global(),
        other => {
            return Err(b.error(p.line, format!("step \"{}\": unknown partitioning '{other}' (forward, rebalance, rescale, shuffle, broadcast or global; use key_by for hash partitioning)", step.name)))
        }
    })
}

/// Applies a step's operator settings (parallelism, uid, slot sharing, chaining, buffer
/// timeout) to its output.
pub(super) fn settings(
    b: &Builder<'_>,
    step: &StepSpec,
    mut stream: DataStream<Row>,
    s: &OperatorSettings,
) -> Result<DataStream<Row>, JobFileError> {
    if let Some(p) = s.parallelism {
        stream = stream.set_parallelism(p);
    }
    if let Some(uid) = &s.uid {
        stream = stream.uid(uid);
    }
    if let Some(group) = &s.slot_sharing_group {
        stream = stream.slot_sharing_group(group);
    }
    if let Some(c) = &s.chaining {
        stream = match c.text.as_str() {
            "start-new-chain" => stream.start_new_chain(),
            "disabled" => stream.disable_chaining(),
            "default" => stream,
            other => return Err(b.error(c.line, format!("step \"{}\": unknown chaining '{other}' (default, start-new-chain or disabled)", step.name))),
        };
    }
    if let Some(t) = &s.buffer_timeout {
        let timeout = BufferTimeout::from_str(&t.text).map_err(|_| b.error(t.line, format!("step \"{}\": bad buffer-timeout '{}': expected a duration such as '0', '1 ms', '100ms', or '-1'/'off' to flush only full buffers", step.name, t.text)))?;
        stream = stream.set_buffer_timeout(timeout);
    }
    Ok(stream)
}
