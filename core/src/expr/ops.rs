//! The operations of compiled nodes on values: arithmetic, comparison and casts.

use std::cmp::Ordering;

use super::error::EvalErrorKind;
use super::node::{Arith, Cmp, CmpKind, Num};
use crate::row::text::parse_value;
use crate::row::{Decimal, FieldType, Value};

pub(crate) fn wrong(expected: FieldType, found: &Value) -> EvalErrorKind {
    EvalErrorKind::WrongValueType {
        expected,
        found: found.to_string(),
    }
}

fn int(v: &Value) -> Result<i64, EvalErrorKind> {
    match v {
        Value::Long(x) | Value::Timestamp(x) => Ok(*x),
        other => Err(wrong(FieldType::Long, other)),
    }
}

fn dec(v: &Value) -> Result<Decimal, EvalErrorKind> {
    match v {
        Value::Decimal(d) => Ok(*d),
        Value::Long(x) => Ok(Decimal::from_i64(*x)),
        other => Err(wrong(FieldType::Decimal, other)),
    }
}

fn dbl(v: &Value) -> Result<f64, EvalErrorKind> {
    match v {
        Value::Double(x) => Ok(*x),
        Value::Long(x) => Ok(*x as f64),
        Value::Decimal(d) => Ok(d.to_f64()),
        other => Err(wrong(FieldType::Double, other)),
    }
}

fn string(v: &Value) -> Result<&str, EvalErrorKind> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(wrong(FieldType::String, other)),
    }
}

fn boolean(v: &Value) -> Result<bool, EvalErrorKind> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong(FieldType::Bool, other)),
    }
}

fn long_op(op: Arith, a: i64, b: i64) -> Result<i64, EvalErrorKind> {
    if matches!(op, Arith::Div | Arith::Rem) && b == 0 {
        return Err(EvalErrorKind::DivisionByZero);
    }
    match op {
        Arith::Add => a.checked_add(b),
        Arith::Sub => a.checked_sub(b),
        Arith::Mul => a.checked_mul(b),
        Arith::Div => a.checked_div(b),
        // i64::MIN % -1 is 0 mathematically.
        Arith::Rem => Some(a.checked_rem(b).unwrap_or(0)),
    }
    .ok_or(EvalErrorKind::Overflow)
}

/// The scale of a decimal quotient: at least 6 digits, never fewer than an operand has.
pub(crate) fn div_scale(a: Decimal, b: Decimal) -> u8 {
    a.scale().max(b.scale()).max(6)
}

fn decimal_op(op: Arith, a: Decimal, b: Decimal) -> Result<Decimal, EvalErrorKind> {
    match op {
        Arith::Add => a.checked_add(b),
        Arith::Sub => a.checked_sub(b),
        Arith::Mul => a.checked_mul(b),
        Arith::Div => a.checked_div(b, div_scale(a, b)),
        Arith::Rem => a.checked_rem(b),
    }
    .map_err(|e| match e {
        crate::row::DecimalError::DivisionByZero => EvalErrorKind::DivisionByZero,
        other => EvalErrorKind::Decimal(other),
    })
}

pub(crate) fn arith(op: Arith, kind: Num, l: &Value, r: &Value) -> Result<Value, EvalErrorKind> {
    Ok(match kind {
        Num::Long => Value::Long(long_op(op, int(l)?, int(r)?)?),
        Num::TimestampLong | Num::LongTimestamp => Value::Timestamp(long_op(op, int(l)?, int(r)?)?),
        Num::TimestampDiff => Value::Long(long_op(Arith::Sub, int(l)?, int(r)?)?),
        Num::Decimal => Value::Decimal(decimal_op(op, dec(l)?, dec(r)?)?),
        Num::Double => {
            let (a, b) = (dbl(l)?, dbl(r)?);
            if matches!(op, Arith::Div | Arith::Rem) && b == 0.0 {
                return Err(EvalErrorKind::DivisionByZero);
            }
            Value::Double(match op {
                Arith::Add => a + b,
                Arith::Sub => a - b,
                Arith::Mul => a * b,
                Arith::Div => a / b,
                Arith::Rem => a % b,
            })
        }
    })
}

pub(crate) fn compare(op: Cmp, kind: CmpKind, l: &Value, r: &Value) -> Result<bool, EvalErrorKind> {
    let ord = match kind {
        CmpKind::Int => Some(int(l)?.cmp(&int(r)?)),
        CmpKind::Decimal => Some(dec(l)?.cmp(&dec(r)?)),
        CmpKind::Double => dbl(l)?.partial_cmp(&dbl(r)?),
        CmpKind::Str => Some(string(l)?.cmp(string(r)?)),
        CmpKind::Bool => Some(boolean(l)?.cmp(&boolean(r)?)),
    };
    // NaN compares unequal to everything, as in IEEE.
    let Some(ord) = ord else {
        return Ok(op == Cmp::Ne);
    };
    Ok(match op {
        Cmp::Eq => ord == Ordering::Equal,
        Cmp::Ne => ord != Ordering::Equal,
        Cmp::Lt => ord == Ordering::Less,
        Cmp::Le => ord != Ordering::Greater,
        Cmp::Gt => ord == Ordering::Greater,
        Cmp::Ge => ord != Ordering::Less,
    })
}

/// Converts a non-null value to `to` (the compiler only builds casts that can succeed
/// for some values).
pub(crate) fn cast(v: &Value, to: FieldType) -> Result<Value, EvalErrorKind> {
    let fail = || EvalErrorKind::Cast {
        value: v.to_string(),
        to,
    };
    Ok(match (v, to) {
        (Value::Null, _) => Value::Null,
        (_, FieldType::String) => match v {
            Value::Str(s) => Value::Str(s.clone()),
            _ => Value::Str(v.to_string()),
        },
        (Value::Str(s), _) => parse_value(to, s.trim().as_bytes()).map_err(|_| fail())?,
        (Value::Long(x) | Value::Timestamp(x), FieldType::Long) => Value::Long(*x),
        (Value::Long(x) | Value::Timestamp(x), FieldType::Timestamp) => Value::Timestamp(*x),
        (Value::Long(x), FieldType::Double) => Value::Double(*x as f64),
        (Value::Long(x), FieldType::Decimal) => Value::Decimal(Decimal::from_i64(*x)),
        (Value::Decimal(d), FieldType::Long) => Value::Long(d.trunc_to_i64().map_err(|_| fail())?),
        (Value::Decimal(d), FieldType::Double) => Value::Double(d.to_f64()),
        (Value::Decimal(d), FieldType::Decimal) => Value::Decimal(*d),
        (Value::Double(x), FieldType::Double) => Value::Double(*x),
        (Value::Double(x), FieldType::Long) => {
            // 2^63 is exact as a float; every float below it in magnitude fits an i64.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if x.is_finite() && x.trunc() >= -LIMIT && x.trunc() < LIMIT {
                Value::Long(x.trunc() as i64)
            } else {
                return Err(fail());
            }
        }
        (Value::Double(x), FieldType::Decimal) => {
            Value::Decimal(Decimal::from_f64(*x).map_err(|_| fail())?)
        }
        (Value::Bool(b), FieldType::Bool) => Value::Bool(*b),
        _ => return Err(fail()),
    })
}
