//! The row operators of job-file steps: filter, select and split in one operator type
//! (they chain into the task of their input), keys of rows, and the rolling aggregates
//! of a row column.

use std::cmp::Ordering;
use std::sync::Arc;
use weir_core::time::WatermarkStatus;

use weir_core::expr::CompiledExpr;
use weir_core::operator::{BoxOutput, OpResult, OperatorError, Output};
use weir_core::record::Record;
use weir_core::row::{Row, Value};
use weir_state::KeyHash;

use crate::job::spec::RollingKind;
use weir_core::operator::keyed_process::{KeyedContext, KeyedProcessFunction};
use weir_core::operator::process::Collector;

/// What a row step computes.
pub enum RowStep {
    /// Keeps rows where the predicate holds (NULL counts as false).
    Filter(CompiledExpr),
    /// Computes new columns.
    Select(Vec<CompiledExpr>),
    /// Splits a string column into one row per token.
    Split {
        /// Column index.
        column: usize,
        /// Separator; whitespace when `None`.
        separator: Option<String>,
    },
}

/// Runs a [`RowStep`] on each row; errors name the step and its line.
pub struct RowStepOperator {
    step: Arc<RowStep>,
    context: Arc<str>,
    out: BoxOutput<Row>,
}

impl RowStepOperator {
    /// The operator of `step`, described as `context` in errors.
    pub fn new(step: Arc<RowStep>, context: Arc<str>, out: BoxOutput<Row>) -> Self {
        Self { step, context, out }
    }

    fn fail(&self, e: impl std::fmt::Display) -> OperatorError {
        OperatorError::User(format!("{}: {e}", self.context))
    }
}

impl Output<Row> for RowStepOperator {
    fn collect(&mut self, record: Record<'_, Row>, timestamp: i64) -> OpResult {
        let row = record.into_owned()?;
        match &*self.step {
            RowStep::Filter(predicate) => {
                if predicate.eval_predicate(&row).map_err(|e| self.fail(e))? {
                    self.out.collect(Record::Owned(row), timestamp)?;
                }
            }
            RowStep::Select(columns) => {
                let mut values = Vec::with_capacity(columns.len());
                for c in columns {
                    values.push(c.eval(&row).map_err(|e| self.fail(e))?);
                }
                self.out
                    .collect(Record::Owned(Row::new(values)), timestamp)?;
            }
            RowStep::Split { column, separator } => {
                let text = match row.get(*column) {
                    Some(Value::Str(s)) => s.clone(),
                    Some(Value::Null) | None => return Ok(()),
                    Some(other) => {
                        return Err(self.fail(format!("cannot split a non-string value {other:?}")))
                    }
                };
                let tokens: Vec<&str> = match separator {
                    Some(sep) => text.split(sep.as_str()).filter(|t| !t.is_empty()).collect(),
                    None => text.split_whitespace().collect(),
                };
                for token in tokens {
                    let mut values = row.values.clone();
                    values[*column] = Value::Str(token.to_string());
                    self.out
                        .collect(Record::Owned(Row::new(values)), timestamp)?;
                }
            }
        }
        Ok(())
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
    fn checkpoint(
        &mut self,
        call: &mut weir_core::operator::CheckpointCall<'_>,
    ) -> weir_core::operator::OpResult {
        self.out.checkpoint(call)
    }
}

/// The key of a row: the values of its key columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct RowKey(pub Vec<Value>);

impl KeyHash for RowKey {
    /// One column hashes as its value (as Flink hashes a single key field); several
    /// combine like Java's `Arrays.hashCode`.
    fn key_hash(&self) -> i32 {
        match self.0.as_slice() {
            [one] => one.key_hash(),
            many => many
                .iter()
                .fold(1i32, |h, v| h.wrapping_mul(31).wrapping_add(v.key_hash())),
        }
    }
}

/// The values of `columns` in `row`.
pub fn key_of(row: &Row, columns: &[usize]) -> RowKey {
    RowKey(
        columns
            .iter()
            .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
            .collect(),
    )
}

/// Orders two values of one column type; `None` for NULLs or values that do not compare.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Long(x), Long(y)) | (Timestamp(x), Timestamp(y)) => Some(x.cmp(y)),
        (Double(x), Double(y)) => x.partial_cmp(y),
        (Decimal(x), Decimal(y)) => Some(x.cmp(y)),
        (Str(x), Str(y)) => Some(x.cmp(y)),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn add(a: &Value, b: &Value) -> Result<Value, String> {
    use Value::*;
    Ok(match (a, b) {
        (Null, v) | (v, Null) => v.clone(),
        (Long(x), Long(y)) => Long(
            x.checked_add(*y)
                .ok_or_else(|| format!("sum overflows a long: {x} + {y}"))?,
        ),
        (Double(x), Double(y)) => Double(x + y),
        (Decimal(x), Decimal(y)) => Decimal(
            x.checked_add(*y)
                .map_err(|e| format!("sum of {x} and {y}: {e}"))?,
        ),
        (x, y) => return Err(format!("cannot add {x:?} and {y:?}")),
    })
}

/// The reduce function of a rolling aggregate of column `field` (Flink's semantics:
/// `sum`/`min`/`max` keep the other columns of the first row of the key; `min_by`/`max_by`
/// keep the whole row holding the extreme, the first one on ties).
pub fn rolling(
    kind: RollingKind,
    field: usize,
    context: Arc<str>,
) -> impl FnMut(Row, Row) -> Result<Row, OperatorError> + Clone + Send + Sync + 'static {
    move |mut acc: Row, new: Row| {
        let fail = |e: String| OperatorError::User(format!("{context}: {e}"));
        let (Some(a), Some(b)) = (acc.get(field).cloned(), new.get(field)) else {
            return Err(fail(format!("row has no column {field}")));
        };
        let order = compare(b, &a);
        Ok(match kind {
            RollingKind::Sum => {
                acc.values[field] = add(&a, b).map_err(fail)?;
                acc
            }
            RollingKind::Min | RollingKind::Max => {
                let replace = match (kind, order) {
                    (_, None) => a.is_null() && !b.is_null(),
                    (RollingKind::Min, Some(o)) => o == Ordering::Less,
                    (_, Some(o)) => o == Ordering::Greater,
                };
                if replace {
                    acc.values[field] = b.clone();
                }
                acc
            }
            RollingKind::MinBy | RollingKind::MaxBy => {
                let replace = match (kind, order) {
                    (_, None) => a.is_null() && !b.is_null(),
                    (RollingKind::MinBy, Some(o)) => o == Ordering::Less,
                    (_, Some(o)) => o == Ordering::Greater,
                };
                if replace {
                    new
                } else {
                    acc
                }
            }
        })
    }
}

/// Keeps the first row of each key, and drops the rest while the key is remembered: for
/// ever, or `ttl` of processing time after its first row (keyed state with Flink's TTL,
/// updated on create and write, expired entries never returned).
#[derive(Clone)]
pub struct Deduplicate {
    ttl: Option<std::time::Duration>,
    seen: Option<weir_state::keyed::ValueState<(), bool>>,
}

impl Deduplicate {
    /// Remembers keys for `ttl`, or for ever.
    pub fn new(ttl: Option<std::time::Duration>) -> Self {
        Self { ttl, seen: None }
    }
}

impl KeyedProcessFunction<RowKey, Row, Row> for Deduplicate {
    fn open(&mut self, state: &mut weir_state::HeapKeyedStateBackend<RowKey>) -> OpResult {
        let mut descriptor = weir_state::keyed::ValueStateDescriptor::new("seen");
        if let Some(ttl) = self.ttl {
            descriptor = descriptor
                .enable_time_to_live(weir_state::keyed::StateTtlConfig::builder(ttl).build()?);
        }
        self.seen = Some(state.value_state(&descriptor)?);
        Ok(())
    }

    fn process_element(
        &mut self,
        row: Row,
        ctx: &mut KeyedContext<'_, RowKey>,
        out: &mut Collector<'_, Row>,
    ) -> OpResult {
        let seen = self
            .seen
            .ok_or_else(|| OperatorError::User("deduplicate: state used before open".into()))?;
        if seen.value(ctx.state(), &())?.is_none() {
            seen.update(ctx.state(), &(), true)?;
            out.collect(row);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: &str, v: i64, tag: &str) -> Row {
        Row::new(vec![
            Value::Str(k.into()),
            Value::Long(v),
            Value::Str(tag.into()),
        ])
    }

    #[test]
    fn rolling_aggregates_follow_flink() {
        let ctx: Arc<str> = Arc::from("step");
        let mut sum = rolling(RollingKind::Sum, 1, ctx.clone());
        let r = sum(row("a", 2, "first"), row("a", 3, "second")).unwrap();
        assert_eq!(r, row("a", 5, "first"));
        let mut min = rolling(RollingKind::Min, 1, ctx.clone());
        assert_eq!(
            min(row("a", 2, "first"), row("a", 1, "second")).unwrap(),
            row("a", 1, "first")
        );
        let mut max_by = rolling(RollingKind::MaxBy, 1, ctx.clone());
        assert_eq!(
            max_by(row("a", 2, "first"), row("a", 9, "second")).unwrap(),
            row("a", 9, "second")
        );
        assert_eq!(
            max_by(row("a", 9, "first"), row("a", 9, "second")).unwrap(),
            row("a", 9, "first")
        );
        let mut overflow = rolling(RollingKind::Sum, 1, ctx);
        let e = overflow(row("a", i64::MAX, ""), row("a", 1, ""))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("step: sum overflows"), "{e}");
    }

    #[test]
    fn row_keys_hash_like_their_single_value() {
        let one = RowKey(vec![Value::Long(42)]);
        assert_eq!(one.key_hash(), Value::Long(42).key_hash());
        let two = RowKey(vec![Value::Long(1), Value::Long(2)]);
        assert_ne!(
            two.key_hash(),
            RowKey(vec![Value::Long(2), Value::Long(1)]).key_hash()
        );
    }
}
