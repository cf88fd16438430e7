//! The `interval_join` and `window_join` steps (in event time) and the `join` step (the
//! regular join in state, in any order of arrival): the input (left) and `with` (right),
//! keyed by columns of equal types; each output row is the left row's columns then the
//! right row's, a right column whose name the left already has being prefixed with
//! `<with>_`. Outer `join`s emit a changelog: a leading `op` column, `+I` or `-D`.

use weir_core::api::DataStream;
use weir_core::operator::join::{Change, JoinContext, JoinType};
use weir_core::operator::process::Collector;
use weir_core::operator::OperatorError;
use weir_core::row::{Field, Row, Schema, Value};
use weir_core::window::{SlidingEventTimeWindows, TumblingEventTimeWindows};

use super::changelog;
use super::ops::key_of;
use super::steps::{column_index, settings};
use super::{Builder, Named};
use crate::job::doc::JobFileError;
use crate::job::spec::{
    IntervalJoinStep, JoinKind, JoinStep, Located, StepSpec, WindowJoinStep, WindowKind,
};

/// The two sides of a join, checked: key columns of each, and the output schema.
struct Sides {
    right: Named,
    left_keys: Vec<usize>,
    right_keys: Vec<usize>,
    schema: Schema,
}

fn sides(
    b: &Builder<'_>,
    step: &StepSpec,
    left: &Named,
    with: &Located,
    keys: &[Located],
    with_keys: &[Located],
    event_time: bool,
) -> Result<Sides, JobFileError> {
    let fail = |line: u32, m: String| b.error(line, format!("step \"{}\": {m}", step.name));
    let right = b.input(Some(with), with.line)?;
    if right.keys.is_some() {
        return Err(fail(
            with.line,
            format!(
                "'{}' is a key_by step; a join keys its inputs itself with 'key' and 'with-key'",
                with.text
            ),
        ));
    }
    if step.settings.partition.is_some() {
        return Err(fail(
            step.line,
            "a join is partitioned by its keys; 'partition' does not apply".into(),
        ));
    }
    for (side, named) in [("input", left), (with.text.as_str(), &right)] {
        if event_time && !named.event_time {
            return Err(fail(step.line, format!("joins run in event time, but '{side}' has none: declare watermark = {{ column = \"...\", max-out-of-orderness = \"...\" }} on its source")));
        }
    }
    let left_keys: Vec<usize> = keys
        .iter()
        .map(|k| column_index(b, step, &left.schema, k))
        .collect::<Result<_, _>>()?;
    let right_keys: Vec<usize> = with_keys
        .iter()
        .map(|k| column_index(b, step, &right.schema, k))
        .collect::<Result<_, _>>()?;
    for ((l, r), at) in left_keys.iter().zip(&right_keys).zip(with_keys) {
        let (lf, rf) = (&left.schema.fields()[*l], &right.schema.fields()[*r]);
        if lf.ty != rf.ty {
            return Err(fail(
                at.line,
                format!(
                    "key columns differ in type: '{}' is {} but '{}' of '{}' is {}",
                    lf.name,
                    lf.ty.name(),
                    rf.name,
                    with.text,
                    rf.ty.name()
                ),
            ));
        }
    }
    let mut fields: Vec<Field> = left.schema.fields().to_vec();
    for f in right.schema.fields() {
        let name = if fields.iter().any(|g| g.name == f.name) {
            format!("{}_{}", with.text, f.name)
        } else {
            f.name.clone()
        };
        if fields.iter().any(|g| g.name == name) {
            return Err(fail(
                step.line,
                format!("the output would have two columns named '{name}'; rename one with a select step before the join"),
            ));
        }
        fields.push(Field::new(name, f.ty));
    }
    let schema = Schema::new(fields).map_err(|e| fail(step.line, e.to_string()))?;
    Ok(Sides {
        right,
        left_keys,
        right_keys,
        schema,
    })
}

fn concat(l: &Row, r: &Row) -> Row {
    let mut values = Vec::with_capacity(l.values.len() + r.values.len());
    values.extend(l.values.iter().cloned());
    values.extend(r.values.iter().cloned());
    Row::new(values)
}

/// Builds an `interval_join` step on `left`.
pub fn interval(
    b: &Builder<'_>,
    step: &StepSpec,
    j: &IntervalJoinStep,
    left: &Named,
) -> Result<Named, JobFileError> {
    let s = sides(b, step, left, &j.with, &j.keys, &j.with_keys, true)?;
    let (lk, rk) = (s.left_keys, s.right_keys);
    let l = left.stream.key_by(move |row: &Row| key_of(row, &lk));
    let r = s.right.stream.key_by(move |row: &Row| key_of(row, &rk));
    let mut joined = l
        .interval_join(&r)
        .between(j.lower, j.upper)
        .map_err(|e| b.error(j.line, format!("step \"{}\": {e}", step.name)))?;
    if j.lower_exclusive {
        joined = joined.lower_bound_exclusive();
    }
    if j.upper_exclusive {
        joined = joined.upper_bound_exclusive();
    }
    let stream = joined
        .process(
            |l: &Row, r: &Row, _: &mut JoinContext<'_>, out: &mut Collector<'_, Row>| {
                out.collect(concat(l, r))
            },
        )
        .name(&step.name);
    finish(b, step, stream, s.schema)
}

/// Builds a `window_join` step on `left`.
pub fn window(
    b: &Builder<'_>,
    step: &StepSpec,
    j: &WindowJoinStep,
    left: &Named,
) -> Result<Named, JobFileError> {
    let s = sides(b, step, left, &j.with, &j.keys, &j.with_keys, true)?;
    let (lk, rk) = (s.left_keys, s.right_keys);
    let bad = |e: OperatorError| b.error(step.line, format!("step \"{}\": {e}", step.name));
    let pairs = left
        .stream
        .join(&s.right.stream)
        .where_key(move |row: &Row| key_of(row, &lk))
        .equal_to(move |row: &Row| key_of(row, &rk));
    let f = |l: &Row, r: &Row| concat(l, r);
    let stream = match (j.kind, j.slide) {
        (WindowKind::Hop, Some(slide)) => pairs
            .window(SlidingEventTimeWindows::of(j.size, slide).map_err(bad)?)
            .apply(f),
        _ => pairs
            .window(TumblingEventTimeWindows::of(j.size).map_err(bad)?)
            .apply(f),
    };
    finish(b, step, stream.name(&step.name), s.schema)
}

/// Builds a `join` step (the regular join in state) on `left`.
pub fn regular(
    b: &Builder<'_>,
    step: &StepSpec,
    j: &JoinStep,
    left: &Named,
) -> Result<Named, JobFileError> {
    let s = sides(b, step, left, &j.with, &j.keys, &j.with_keys, false)?;
    let (lk, rk) = (s.left_keys, s.right_keys);
    let (left_width, right_width) = (left.schema.len(), s.right.schema.len());
    let l = left.stream.key_by(move |row: &Row| key_of(row, &lk));
    let r = s.right.stream.key_by(move |row: &Row| key_of(row, &rk));
    let join_type = match j.kind {
        JoinKind::Inner => JoinType::Inner,
        JoinKind::Left => JoinType::LeftOuter,
        JoinKind::Right => JoinType::RightOuter,
        JoinKind::Full => JoinType::FullOuter,
    };
    let mut joined = l.join_in_state(&r, join_type);
    if let Some(ttl) = j.state_ttl {
        joined = joined.state_ttl(ttl);
    }
    let changes = joined
        .apply(move |l: Option<&Row>, r: Option<&Row>| {
            let mut values = Vec::with_capacity(left_width + right_width);
            match l {
                Some(l) => values.extend(l.values.iter().cloned()),
                None => values.resize(left_width, Value::Null),
            }
            match r {
                Some(r) => values.extend(r.values.iter().cloned()),
                None => values.resize(left_width + right_width, Value::Null),
            }
            Row::new(values)
        })
        .name(&step.name);
    let (stream, schema) = if j.kind.is_outer() {
        let schema = changelog::schema_of(s.schema.fields())
            .map_err(|e| b.error(step.line, format!("step \"{}\": {e}", step.name)))?;
        let stream = changes.map(|c: Change<Row>| changelog::row(c.kind.into(), c.row.values));
        (stream, schema)
    } else {
        // Append-only inputs make an inner join append-only: every change is an insert.
        (changes.map(|c: Change<Row>| c.row), s.schema)
    };
    Ok(Named {
        stream: settings(b, step, stream, &step.settings)?,
        schema,
        keys: None,
        event_time: false,
    })
}

fn finish(
    b: &Builder<'_>,
    step: &StepSpec,
    stream: DataStream<Row>,
    schema: Schema,
) -> Result<Named, JobFileError> {
    Ok(Named {
        stream: settings(b, step, stream, &step.settings)?,
        schema,
        keys: None,
        event_time: true,
    })
}
