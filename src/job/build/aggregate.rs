//! The `aggregate` step: Flink SQL's `GROUP BY` without a window (its `GroupAggFunction`).
//! Rows are keyed by the key columns; each key keeps its accumulators in keyed state
//! (a `ValueState`), and every row that changes a key's result emits a changelog: `+I` for
//! the key's first result, `-U` (the old row) then `+U` (the new row) for a change,
//! nothing when the result stays the same, and `-D` once retractions leave the key with
//! no rows (its state is cleared). Over a changelog input, `-U`/`-D` rows are taken back
//! out of `count`, `sum` and `avg`; `min`, `max`, `first` and `last` over a changelog are
//! refused when the job is built.

use std::sync::Arc;

use weir_core::operator::keyed_process::{KeyedContext, KeyedProcessFunction};
use weir_core::operator::process::Collector;
use weir_core::operator::{OpResult, OperatorError};
use weir_core::row::{Row, Value};
use weir_state::keyed::{HeapSize, ValueState, ValueStateDescriptor};
use weir_state::HeapKeyedStateBackend;

use super::accumulators::{
    combine, one, plan_aggregates, result_of, retract, retracts, slot_of, AggPlan, Slot,
};
use super::changelog::{self, Op};
use super::ops::{key_of, RowKey};
use super::steps::{column_index, settings};
use super::{Builder, Named};
use crate::job::doc::JobFileError;
use crate::job::spec::{AggregateStep, StepSpec};

/// One key's accumulators: its number of rows (Flink's record counter: the key's result
/// is deleted when it drops to 0), and per aggregate its non-NULL values and its slot.
#[derive(Debug, Clone, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct GroupAcc {
    rows: i64,
    values: Vec<i64>,
    slots: Vec<Slot>,
}

impl HeapSize for GroupAcc {
    fn heap_size(&self) -> usize {
        let strings: usize = self
            .slots
            .iter()
            .map(|s| match s {
                Slot::Sum(v) | Slot::Min(v) | Slot::Max(v) | Slot::First(v) | Slot::Last(v) => v,
                Slot::Avg(v, _) => v,
                Slot::Count(_) => &Value::Null,
            })
            .map(|v| match v {
                Value::Str(s) => s.capacity(),
                _ => 0,
            })
            .sum();
        self.values.capacity() * size_of::<i64>()
            + self.slots.capacity() * size_of::<Slot>()
            + strings
    }
}

/// What one input row did to its key's result (the aggregate values, without the key).
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// The result is unchanged (or a retraction came for a key without rows).
    Unchanged,
    /// The key's first result.
    Insert(Vec<Value>),
    /// The result changed from `before` to `after`.
    Change {
        /// The old result.
        before: Vec<Value>,
        /// The new result.
        after: Vec<Value>,
    },
    /// The key's last row was taken back: its last result is withdrawn.
    Delete(Vec<Value>),
}

/// The aggregates of an `aggregate` step, applied to one key's accumulators: the logic
/// of Flink's `GroupAggFunction`, without state or I/O.
#[derive(Debug, Clone)]
pub struct GroupAggFunction {
    aggs: Vec<AggPlan>,
}

impl GroupAggFunction {
    /// The function computing `aggs` (their columns index the input rows).
    pub fn new(aggs: Vec<AggPlan>) -> Self {
        Self { aggs }
    }

    fn results(&self, acc: &GroupAcc) -> Result<Vec<Value>, String> {
        acc.slots.iter().map(result_of).collect()
    }

    /// Adds (`+I`, `+U`) or takes back (`-U`, `-D`) `row` in a key's accumulators `acc`
    /// (`None`: the key has none; left `None` when the key has no rows any more), and
    /// says how the key's result changed.
    pub fn process(&self, acc: &mut Option<GroupAcc>, op: Op, row: &Row) -> Result<Update, String> {
        let first = acc.is_none();
        let state = match acc {
            Some(state) => state,
            // As Flink: a retraction for a key without accumulators is dropped.
            None if op.is_retraction() => return Ok(Update::Unchanged),
            None => acc.insert(GroupAcc {
                rows: 0,
                values: vec![0; self.aggs.len()],
                slots: self.aggs.iter().map(|a| slot_of(a.function)).collect(),
            }),
        };
        let before = if first {
            None
        } else {
            Some(self.results(state)?)
        };
        state.rows += if op.is_retraction() { -1 } else { 1 };
        for (i, plan) in self.aggs.iter().enumerate() {
            let value = match plan.column {
                Some(c) => row.get(c).cloned().unwrap_or(Value::Null),
                None => Value::Long(1),
            };
            if value.is_null() {
                continue;
            }
            if op.is_retraction() {
                state.values[i] -= 1;
                retract(&mut state.slots[i], &value, state.values[i])?;
            } else {
                state.values[i] += 1;
                combine(&mut state.slots[i], one(plan.function, value))?;
            }
        }
        if state.rows <= 0 {
            *acc = None;
            return Ok(before.map_or(Update::Unchanged, Update::Delete));
        }
        let after = self.results(state)?;
        Ok(match before {
            None => Update::Insert(after),
            Some(before) if before == after => Update::Unchanged,
            Some(before) => Update::Change { before, after },
        })
    }
}

/// The keyed process function of an `aggregate` step: reads the row's kind (`+I` for an
/// append-only input), updates the key's accumulators in keyed state, and emits the
/// changelog rows `op, key columns…, aggregates…`.
#[derive(Clone)]
pub struct GroupAggregate {
    function: Arc<GroupAggFunction>,
    changelog: bool,
    context: Arc<str>,
    acc: Option<ValueState<(), GroupAcc>>,
}

impl GroupAggregate {
    /// The operator function of `function`; `changelog` when the input rows lead with an
    /// `op` column; `context` names the step in errors.
    pub fn new(function: GroupAggFunction, changelog: bool, context: Arc<str>) -> Self {
        Self {
            function: Arc::new(function),
            changelog,
            context,
            acc: None,
        }
    }

    fn fail(&self, e: impl std::fmt::Display) -> OperatorError {
        OperatorError::User(format!("{}: {e}", self.context))
    }
}

impl KeyedProcessFunction<RowKey, Row, Row> for GroupAggregate {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<RowKey>) -> OpResult {
        self.acc = Some(state.value_state(&ValueStateDescriptor::new("accumulators"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        row: Row,
        ctx: &mut KeyedContext<'_, RowKey>,
        out: &mut Collector<'_, Row>,
    ) -> OpResult {
        let handle = self
            .acc
            .ok_or_else(|| self.fail("state used before open"))?;
        let op = if self.changelog {
            changelog::op_of(&row).map_err(|e| self.fail(e))?
        } else {
            Op::Insert
        };
        let mut acc = handle.value(ctx.state(), &())?;
        let update = self
            .function
            .process(&mut acc, op, &row)
            .map_err(|e| self.fail(e))?;
        match acc {
            Some(acc) => handle.update(ctx.state(), &(), acc)?,
            None => handle.clear(ctx.state(), &())?,
        }
        let key = &ctx.current_key().0;
        let mut emit = |op: Op, values: Vec<Value>| {
            out.collect(changelog::row(op, key.iter().cloned().chain(values)))
        };
        match update {
            Update::Unchanged => {}
            Update::Insert(after) => emit(Op::Insert, after),
            Update::Change { before, after } => {
                emit(Op::UpdateBefore, before);
                emit(Op::UpdateAfter, after);
            }
            Update::Delete(before) => emit(Op::Delete, before),
        }
        Ok(())
    }
}

/// Builds an `aggregate` step on `input`.
pub fn build(
    b: &Builder<'_>,
    step: &StepSpec,
    a: &AggregateStep,
    input: &Named,
) -> Result<Named, JobFileError> {
    let fail = |line: u32, m: String| b.error(line, format!("step \"{}\": {m}", step.name));
    let keys =
        match (&input.keys, a.keys.is_empty()) {
            (Some(k), true) => k.clone(),
            (None, false) => a.keys.clone(),
            (Some(_), false) => {
                return Err(fail(
                    step.line,
                    "the input is already keyed by a key_by step; drop 'key' here".into(),
                ))
            }
            (None, true) => return Err(fail(
                step.line,
                "an aggregate needs a key: add key = [\"column\", …] or a key_by step before it"
                    .into(),
            )),
        };
    if step.settings.partition.is_some() {
        return Err(fail(
            step.line,
            "an aggregate is partitioned by its key; 'partition' does not apply".into(),
        ));
    }
    let schema = &input.schema;
    let is_changelog = changelog::is_changelog(schema);
    let key_columns: Vec<usize> = keys
        .iter()
        .map(|k| column_index(b, step, schema, k))
        .collect::<Result<_, _>>()?;
    if let (true, Some(k)) = (
        is_changelog,
        keys.iter().find(|k| k.text == changelog::OP_COLUMN),
    ) {
        return Err(fail(
            k.line,
            "the input is a changelog; its 'op' column (+I, -U, +U, -D) cannot be a key".into(),
        ));
    }
    let (aggs, agg_fields) = plan_aggregates(b, step, schema, &a.aggregates)?;
    if is_changelog {
        if let Some(spec) = a.aggregates.iter().find(|s| !retracts(s.function)) {
            return Err(fail(
                spec.text.line,
                format!(
                    "in '{}': the input is a changelog (it leads with an 'op' column), and {} cannot take back a retracted row; over a changelog only count, sum and avg are supported",
                    spec.text.text,
                    format!("{:?}", spec.function).to_lowercase()
                ),
            ));
        }
    }
    let mut fields: Vec<_> = key_columns
        .iter()
        .map(|&k| schema.fields()[k].clone())
        .collect();
    fields.extend(agg_fields);
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.name == f.name) {
            return Err(fail(
                step.line,
                format!(
                    "the output has two columns named '{}' (name the aggregate with 'AS')",
                    f.name
                ),
            ));
        }
    }
    let out_schema = changelog::schema_of(&fields).map_err(|e| fail(step.line, e))?;
    let context: Arc<str> = Arc::from(format!(
        "step \"{}\" ({}:{})",
        step.name,
        b.spec.path.display(),
        step.line
    ));
    let function = GroupAggregate::new(GroupAggFunction::new(aggs), is_changelog, context);
    let stream = input
        .stream
        .key_by(move |row: &Row| key_of(row, &key_columns))
        .process(function)
        .name(&step.name);
    Ok(Named {
        stream: settings(b, step, stream, &step.settings)?,
        schema: out_schema,
        keys: None,
        event_time: false,
    })
}

#[cfg(test)]
mod tests;
