//! The `window` step: rows keyed by their key columns (or all in one subtask) and cut
//! into tumble, hop, session or count windows; each window keeps one accumulator (an
//! `AggregateFunction`, so that hop windows take the engine's sliced path) and emits
//! the key columns, the aggregates and the window's bounds, or, with `keep`, the rows
//! holding the window's maximum (or minimum) of a column.

use std::cmp::Ordering;
use std::sync::Arc;

use weir_core::api::{DataStream, KeyedStream, WindowedStream};
use weir_core::operator::process::Collector;
use weir_core::operator::{OpResult, OperatorError};
use weir_core::row::{Field, FieldType, Row, Schema, Value};
use weir_core::window::{
    EventTimeSessionWindows, GlobalWindow, ProcessWindowFunction, ProcessingTimeSessionWindows,
    SlidingEventTimeWindows, SlidingProcessingTimeWindows, TimeWindow, Trigger,
    TumblingEventTimeWindows, TumblingProcessingTimeWindows, WindowAssigner, WindowContext,
};
use weir_state::keyed::AggregateFunction;

pub use super::accumulators::AggPlan;
use super::accumulators::{better, combine, one, plan_aggregates, result_of, slot_of, Slot};
use super::ops::{key_of, RowKey};
use super::steps::{column_index, settings};
use super::{Builder, Named};
use crate::job::doc::JobFileError;
use crate::job::spec::{StepSpec, WindowKind, WindowStep};

/// What a window computes.
#[derive(Debug, Clone)]
pub enum Plan {
    /// One row of aggregates.
    Aggregates(Vec<AggPlan>),
    /// The rows whose `column` is the window's maximum (`max`) or minimum.
    Keep {
        /// Column index.
        column: usize,
        /// Maximum or minimum.
        max: bool,
    },
}

/// A window's accumulator.
#[derive(Debug, Clone, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub enum Acc {
    /// Aggregates, and the first error (an overflowing decimal sum).
    Aggregates(Vec<Slot>, Option<String>),
    /// The extreme value and the rows holding it, in arrival order.
    Keep(Value, Vec<Row>),
}

/// The aggregate function of a window step: its result is the rows to emit without key
/// and bounds (one row of aggregates, or the kept rows), or an error.
#[derive(Clone)]
pub struct WindowFn(pub Arc<Plan>);

impl AggregateFunction<Row, Acc, Result<Vec<Row>, String>> for WindowFn {
    fn create_accumulator(&self) -> Acc {
        match &*self.0 {
            Plan::Aggregates(aggs) => {
                Acc::Aggregates(aggs.iter().map(|a| slot_of(a.function)).collect(), None)
            }
            Plan::Keep { .. } => Acc::Keep(Value::Null, Vec::new()),
        }
    }

    fn add(&self, row: Row, acc: &mut Acc) {
        match (&*self.0, acc) {
            (Plan::Aggregates(aggs), Acc::Aggregates(slots, error)) => {
                for (plan, slot) in aggs.iter().zip(slots.iter_mut()) {
                    let value = match plan.column {
                        Some(c) => row.get(c).cloned().unwrap_or(Value::Null),
                        None => Value::Long(1),
                    };
                    if value.is_null() {
                        continue;
                    }
                    if let Err(e) = combine(slot, one(plan.function, value)) {
                        error.get_or_insert(e);
                    }
                }
            }
            (Plan::Keep { column, max }, Acc::Keep(best, rows)) => {
                let value = row.get(*column).cloned().unwrap_or(Value::Null);
                if value.is_null() {
                    return;
                }
                match better(&value, best, *max) {
                    Some(Ordering::Greater) => {
                        *best = value;
                        rows.clear();
                        rows.push(row);
                    }
                    Some(Ordering::Equal) => rows.push(row),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn get_result(&self, acc: &Acc) -> Result<Vec<Row>, String> {
        match acc {
            Acc::Aggregates(_, Some(e)) => Err(e.clone()),
            Acc::Aggregates(slots, None) => Ok(vec![Row::new(
                slots.iter().map(result_of).collect::<Result<_, _>>()?,
            )]),
            Acc::Keep(_, rows) => Ok(rows.clone()),
        }
    }

    fn merge(&self, a: Acc, b: Acc) -> Acc {
        match (a, b) {
            (Acc::Aggregates(mut x, mut err), Acc::Aggregates(y, err2)) => {
                for (s, t) in x.iter_mut().zip(y) {
                    if let Err(e) = combine(s, t) {
                        err.get_or_insert(e);
                    }
                }
                Acc::Aggregates(x, err.or(err2))
            }
            (Acc::Keep(best, mut rows), Acc::Keep(best2, rows2)) => {
                let max = matches!(&*self.0, Plan::Keep { max: true, .. });
                if best2.is_null() {
                    return Acc::Keep(best, rows);
                }
                match better(&best2, &best, max) {
                    Some(Ordering::Greater) => Acc::Keep(best2, rows2),
                    Some(Ordering::Equal) => {
                        rows.extend(rows2);
                        Acc::Keep(best, rows)
                    }
                    _ => Acc::Keep(best, rows),
                }
            }
            (a, _) => a,
        }
    }
}

/// The bounds of a window, if it has any.
pub trait Bounds {
    /// `(start, end)` in epoch ms.
    fn bounds(&self) -> Option<(i64, i64)>;
}

impl Bounds for TimeWindow {
    fn bounds(&self) -> Option<(i64, i64)> {
        Some((self.start, self.end))
    }
}

impl Bounds for GlobalWindow {
    fn bounds(&self) -> Option<(i64, i64)> {
        None
    }
}

/// Emits a window's rows: the key columns first (for aggregates), the window's bounds
/// last (unless left out).
#[derive(Clone)]
pub struct Emit {
    prefix_key: bool,
    bounds: bool,
    context: Arc<str>,
}

impl Emit {
    fn emit<W: Bounds>(
        &self,
        key: &RowKey,
        window: &W,
        rows: Result<Vec<Row>, String>,
        out: &mut Collector<'_, Row>,
    ) -> OpResult {
        let rows = rows.map_err(|e| OperatorError::User(format!("{}: {e}", self.context)))?;
        for row in rows {
            let mut values = if self.prefix_key {
                let mut v = key.0.clone();
                v.extend(row.values);
                v
            } else {
                row.values
            };
            if let (true, Some((start, end))) = (self.bounds, window.bounds()) {
                values.push(Value::Timestamp(start));
                values.push(Value::Timestamp(end));
            }
            out.collect(Row::new(values));
        }
        Ok(())
    }
}

impl<W: weir_core::window::Window + Bounds>
    ProcessWindowFunction<RowKey, Result<Vec<Row>, String>, Row, W> for Emit
{
    fn process(
        &mut self,
        key: &RowKey,
        ctx: &mut WindowContext<'_, RowKey, W>,
        elements: Vec<Result<Vec<Row>, String>>,
        out: &mut Collector<'_, Row>,
    ) -> OpResult {
        for rows in elements {
            self.emit(key, ctx.window(), rows, out)?;
        }
        Ok(())
    }
}

/// Sliding count windows keep their rows (an evictor drops the oldest): folds them with
/// the window function when the window fires.
#[derive(Clone)]
struct FoldAll(WindowFn, Emit);

impl ProcessWindowFunction<RowKey, Row, Row, GlobalWindow> for FoldAll {
    fn process(
        &mut self,
        key: &RowKey,
        ctx: &mut WindowContext<'_, RowKey, GlobalWindow>,
        elements: Vec<Row>,
        out: &mut Collector<'_, Row>,
    ) -> OpResult {
        let mut acc = self.0.create_accumulator();
        for row in elements {
            self.0.add(row, &mut acc);
        }
        let rows = self.0.get_result(&acc);
        self.1.emit(key, ctx.window(), rows, out)
    }
}

fn finish<A, Tr>(w: WindowedStream<Row, RowKey, A, Tr>, f: &WindowFn, e: &Emit) -> DataStream<Row>
where
    A: WindowAssigner<Row>,
    A::W: Bounds,
    Tr: Trigger<Row, A::W>,
{
    w.aggregate_with(f.clone(), e.clone())
}

/// Builds a `window` step on `input`.
pub fn build(
    b: &Builder<'_>,
    step: &StepSpec,
    w: &WindowStep,
    input: &Named,
) -> Result<Named, JobFileError> {
    let fail = |line: u32, m: String| b.error(line, format!("step \"{}\": {m}", step.name));
    let keys = match (&input.keys, w.keys.is_empty()) {
        (Some(k), true) => k.clone(),
        (Some(_), false) => {
            return Err(fail(
                step.line,
                "the input is already keyed by a key_by step; drop 'key' here".into(),
            ))
        }
        (None, _) => w.keys.clone(),
    };
    if step.settings.partition.is_some() {
        return Err(fail(
            step.line,
            "a window is partitioned by its key; 'partition' does not apply".into(),
        ));
    }
    if keys.is_empty() && step.settings.parallelism.is_some_and(|p| p > 1) {
        return Err(fail(step.line, "a window without 'key' covers the whole stream and runs at parallelism 1; add a key to run it in parallel".into()));
    }
    let event_time = w.kind != WindowKind::Count && !w.processing_time;
    if event_time && !input.event_time {
        return Err(fail(w.line, "event-time windows need event time: declare watermark = { column = \"...\", max-out-of-orderness = \"...\" } on the source, or set time = \"processing\"".into()));
    }
    let schema = &input.schema;
    let key_columns: Vec<usize> = keys
        .iter()
        .map(|k| column_index(b, step, schema, k))
        .collect::<Result<_, _>>()?;
    let mut fields: Vec<Field> = Vec::new();
    let plan = match &w.keep {
        Some(keep) => {
            let column = column_index(b, step, schema, &keep.column)?;
            fields.extend(schema.fields().iter().cloned());
            Plan::Keep {
                column,
                max: keep.max,
            }
        }
        None => {
            for &k in &key_columns {
                fields.push(schema.fields()[k].clone());
            }
            let (aggs, agg_fields) = plan_aggregates(b, step, schema, &w.aggregates)?;
            fields.extend(agg_fields);
            Plan::Aggregates(aggs)
        }
    };
    for c in &w.window_columns {
        fields.push(Field::new(c.text.clone(), FieldType::Timestamp));
    }
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.name == f.name) {
            return Err(fail(step.line, format!("the output has two columns named '{}' (name an aggregate with 'AS', or rename the window columns with window-columns = [\"start\", \"end\"])", f.name)));
        }
    }
    let out_schema = Schema::new(fields).map_err(|e| fail(step.line, e.to_string()))?;
    let context: Arc<str> = Arc::from(format!(
        "step \"{}\" ({}:{})",
        step.name,
        b.spec.path.display(),
        step.line
    ));
    let f = WindowFn(Arc::new(plan));
    let emit = Emit {
        prefix_key: w.keep.is_none(),
        bounds: !w.window_columns.is_empty(),
        context,
    };
    let keyed: KeyedStream<Row, RowKey> = input
        .stream
        .key_by(move |row: &Row| key_of(row, &key_columns));
    let bad = |e: OperatorError| fail(w.line, e.to_string());
    let size = w.size.unwrap_or_default();
    let slide = w.slide.unwrap_or_default();
    let gap = w.gap.unwrap_or_default();
    let stream = match (w.kind, w.processing_time) {
        (WindowKind::Tumble, false) => finish(
            keyed.window(TumblingEventTimeWindows::of(size).map_err(bad)?),
            &f,
            &emit,
        ),
        (WindowKind::Tumble, true) => finish(
            keyed.window(TumblingProcessingTimeWindows::of(size).map_err(bad)?),
            &f,
            &emit,
        ),
        (WindowKind::Hop, false) => finish(
            keyed.window(SlidingEventTimeWindows::of(size, slide).map_err(bad)?),
            &f,
            &emit,
        ),
        (WindowKind::Hop, true) => finish(
            keyed.window(SlidingProcessingTimeWindows::of(size, slide).map_err(bad)?),
            &f,
            &emit,
        ),
        (WindowKind::Session, false) => finish(
            keyed.window(EventTimeSessionWindows::with_gap(gap).map_err(bad)?),
            &f,
            &emit,
        ),
        (WindowKind::Session, true) => finish(
            keyed.window(ProcessingTimeSessionWindows::with_gap(gap).map_err(bad)?),
            &f,
            &emit,
        ),
        (WindowKind::Count, _) => {
            let rows = w.rows.unwrap_or(1);
            match w.every {
                None => finish(keyed.count_window(rows), &f, &emit),
                Some(every) => keyed
                    .count_window_sliding(usize::try_from(rows).unwrap_or(usize::MAX), every)
                    .process_evicting(FoldAll(f.clone(), emit.clone())),
            }
        }
    };
    let stream = stream.name(&step.name);
    let stream = if keys.is_empty() {
        stream.set_parallelism(1)
    } else {
        stream
    };
    let stream = settings(b, step, stream, &step.settings)?;
    Ok(Named {
        stream,
        schema: out_schema,
        keys: None,
        event_time,
    })
}

#[cfg(test)]
mod tests;
