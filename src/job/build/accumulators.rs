//! The accumulators of aggregate functions (`count`, `sum`, `min`, `max`, `avg`,
//! `first`, `last`) over a row column, shared by the `window` step and the updating
//! `aggregate` step: one [`Slot`] per aggregate, folded with [`combine`]; `count`, `sum`
//! and `avg` also take a retraction ([`retract`]) for changelog inputs.

use std::cmp::Ordering;

use weir_core::row::{Field, FieldType, Schema, Value};

use super::ops::compare;
use super::steps::column_index;
use super::Builder;
use crate::job::doc::JobFileError;
use crate::job::spec::{AggFn, AggregateSpec, StepSpec};

/// One aggregate over a column (`None`: `count(*)`) of a given type.
#[derive(Debug, Clone, Copy)]
pub struct AggPlan {
    /// The function.
    pub function: AggFn,
    /// The column index.
    pub column: Option<usize>,
}

/// One aggregate's running state.
#[derive(Debug, Clone, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub enum Slot {
    /// Rows (or non-NULL values) so far.
    Count(i64),
    /// Sum of the non-NULL values (NULL: none yet).
    Sum(Value),
    /// Smallest value.
    Min(Value),
    /// Largest value.
    Max(Value),
    /// Sum and count.
    Avg(Value, i64),
    /// First non-NULL value.
    First(Value),
    /// Last non-NULL value.
    Last(Value),
}

/// Sums two values of a column (NULL is no value); long sums wrap, as Flink SQL's SUM.
pub(super) fn add(a: &Value, b: &Value) -> Result<Value, String> {
    use Value::*;
    Ok(match (a, b) {
        (Null, v) | (v, Null) => v.clone(),
        (Long(x), Long(y)) => Long(x.wrapping_add(*y)),
        (Double(x), Double(y)) => Double(x + y),
        (Decimal(x), Decimal(y)) => Decimal(
            x.checked_add(*y)
                .map_err(|e| format!("sum of {x} and {y}: {e}"))?,
        ),
        (x, y) => return Err(format!("cannot add {x:?} and {y:?}")),
    })
}

/// Whether `new` replaces `best` as the maximum (`max`) or minimum.
pub(super) fn better(new: &Value, best: &Value, max: bool) -> Option<Ordering> {
    if best.is_null() {
        return Some(Ordering::Greater);
    }
    compare(new, best).map(|o| if max { o } else { o.reverse() })
}

/// Folds `b` into `a` (two slots of one aggregate).
pub fn combine(a: &mut Slot, b: Slot) -> Result<(), String> {
    match (a, b) {
        (Slot::Count(x), Slot::Count(y)) => *x += y,
        (Slot::Sum(x), Slot::Sum(y)) => *x = add(x, &y)?,
        (Slot::Avg(x, n), Slot::Avg(y, m)) => {
            *x = add(x, &y)?;
            *n += m;
        }
        (Slot::Min(x), Slot::Min(y)) => {
            if !y.is_null() && better(&y, x, false) == Some(Ordering::Greater) {
                *x = y
            }
        }
        (Slot::Max(x), Slot::Max(y)) => {
            if !y.is_null() && better(&y, x, true) == Some(Ordering::Greater) {
                *x = y
            }
        }
        (Slot::First(x), Slot::First(y)) => {
            if x.is_null() {
                *x = y
            }
        }
        (Slot::Last(x), Slot::Last(y)) => {
            if !y.is_null() {
                *x = y
            }
        }
        _ => return Err("mismatched accumulators".into()),
    }
    Ok(())
}

/// The empty slot of `function`.
pub fn slot_of(function: AggFn) -> Slot {
    match function {
        AggFn::Count => Slot::Count(0),
        AggFn::Sum => Slot::Sum(Value::Null),
        AggFn::Min => Slot::Min(Value::Null),
        AggFn::Max => Slot::Max(Value::Null),
        AggFn::Avg => Slot::Avg(Value::Null, 0),
        AggFn::First => Slot::First(Value::Null),
        AggFn::Last => Slot::Last(Value::Null),
    }
}

/// The value of a finished slot.
pub fn result_of(slot: &Slot) -> Result<Value, String> {
    Ok(match slot {
        Slot::Count(n) => Value::Long(*n),
        Slot::Sum(v) | Slot::Min(v) | Slot::Max(v) | Slot::First(v) | Slot::Last(v) => v.clone(),
        Slot::Avg(_, 0) => Value::Null,
        Slot::Avg(sum, n) => match sum {
            // Flink SQL's AVG over BIGINT: the sum divided by the count, truncated.
            Value::Long(s) => Value::Long(s / n),
            Value::Double(s) => Value::Double(s / *n as f64),
            Value::Decimal(s) => Value::Decimal(
                s.checked_div(weir_core::row::Decimal::from_i64(*n), s.scale().max(6))
                    .map_err(|e| format!("average of {s} over {n} rows: {e}"))?,
            ),
            other => return Err(format!("cannot average {other:?}")),
        },
    })
}

/// The output column type of `function` over a column of type `ty`, if it applies.
pub fn output_type(function: AggFn, ty: Option<FieldType>) -> Option<FieldType> {
    use FieldType::*;
    match (function, ty) {
        (AggFn::Count, _) => Some(Long),
        (_, None) => None,
        (AggFn::Sum | AggFn::Avg, Some(t @ (Long | Double | Decimal))) => Some(t),
        (AggFn::Sum | AggFn::Avg, _) => None,
        (_, Some(t)) => Some(t),
    }
}

/// Subtracts `b` from `a` (NULL is no value), the inverse of [`add`]: long sums wrap.
fn sub(a: &Value, b: &Value) -> Result<Value, String> {
    use Value::*;
    Ok(match (a, b) {
        (v, Null) => v.clone(),
        (Long(x), Long(y)) => Long(x.wrapping_sub(*y)),
        (Double(x), Double(y)) => Double(x - y),
        (Decimal(x), Decimal(y)) => Decimal(
            x.checked_sub(*y)
                .map_err(|e| format!("{x} minus {y}: {e}"))?,
        ),
        (Null, Long(y)) => Long(y.wrapping_neg()),
        (Null, Double(y)) => Double(-y),
        (Null, Decimal(y)) => Decimal(y.checked_neg().map_err(|e| format!("-{y}: {e}"))?),
        (x, y) => return Err(format!("cannot subtract {y:?} from {x:?}")),
    })
}

/// Whether `function` can take back a value (Flink's `retract`); `min`, `max`, `first`
/// and `last` would need every value kept, and are not offered over a changelog.
pub fn retracts(function: AggFn) -> bool {
    matches!(function, AggFn::Count | AggFn::Sum | AggFn::Avg)
}

/// Takes the non-NULL `value` back out of `slot`; `left` is how many non-NULL values the
/// slot holds after it, so that a sum of no values is NULL again, as in Flink's
/// `SumWithRetractAggFunction`.
pub fn retract(slot: &mut Slot, value: &Value, left: i64) -> Result<(), String> {
    match slot {
        Slot::Count(n) => *n -= 1,
        Slot::Sum(sum) => {
            *sum = if left == 0 {
                Value::Null
            } else {
                sub(sum, value)?
            }
        }
        Slot::Avg(sum, n) => {
            *n -= 1;
            *sum = if *n == 0 {
                Value::Null
            } else {
                sub(sum, value)?
            };
        }
        Slot::Min(_) | Slot::Max(_) | Slot::First(_) | Slot::Last(_) => {
            return Err("min, max, first and last cannot take back a value".into())
        }
    }
    Ok(())
}

/// The slot of `function` holding the one value `value` (non-NULL).
pub fn one(function: AggFn, value: Value) -> Slot {
    match function {
        AggFn::Count => Slot::Count(1),
        AggFn::Sum => Slot::Sum(value),
        AggFn::Avg => Slot::Avg(value, 1),
        AggFn::Min => Slot::Min(value),
        AggFn::Max => Slot::Max(value),
        AggFn::First => Slot::First(value),
        AggFn::Last => Slot::Last(value),
    }
}

/// The plans of `aggregates` over the columns of `schema`, and their output columns;
/// an unknown column, or a function that does not apply to its column's type, is an
/// error naming the step and the aggregate's line.
pub(super) fn plan_aggregates(
    b: &Builder<'_>,
    step: &StepSpec,
    schema: &Schema,
    aggregates: &[AggregateSpec],
) -> Result<(Vec<AggPlan>, Vec<Field>), JobFileError> {
    let mut aggs = Vec::with_capacity(aggregates.len());
    let mut fields = Vec::with_capacity(aggregates.len());
    for a in aggregates {
        let (column, ty) = match &a.column {
            Some(c) => {
                let i = column_index(b, step, schema, c)?;
                (Some(i), Some(schema.fields()[i].ty))
            }
            None => (None, None),
        };
        let out = output_type(a.function, ty).ok_or_else(|| {
            b.error(
                a.text.line,
                format!(
                    "step \"{}\": in '{}': {} does not apply to a column of type {}",
                    step.name,
                    a.text.text,
                    format!("{:?}", a.function).to_lowercase(),
                    ty.map(|t| t.name()).unwrap_or("none")
                ),
            )
        })?;
        fields.push(Field::new(a.name.clone(), out));
        aggs.push(AggPlan {
            function: a.function,
            column,
        });
    }
    Ok((aggs, fields))
}

#[cfg(test)]
mod tests;
