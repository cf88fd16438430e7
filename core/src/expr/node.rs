//! The compiled form of an expression: a tree of enum nodes with column indices and
//! operand kinds resolved, evaluated without name lookups or type dispatch on strings.

use std::borrow::Cow;

use super::error::EvalErrorKind;
use super::ops::{arith, cast, compare, wrong};
use crate::row::{FieldType, Row, Value};

/// Byte range of a node's text in the expression, for naming it in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// The operand representation an arithmetic node computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Num {
    /// `long op long → long`, checked.
    Long,
    /// Exact decimals (longs widen).
    Decimal,
    /// Floats (longs and decimals convert).
    Double,
    /// `timestamp ± long → timestamp`.
    TimestampLong,
    /// `long + timestamp → timestamp`.
    LongTimestamp,
    /// `timestamp - timestamp → long` (milliseconds).
    TimestampDiff,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The operand representation a comparison compares in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpKind {
    /// Longs and timestamps as `i64`.
    Int,
    Decimal,
    Double,
    Str,
    Bool,
}

/// A compiled expression node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Column {
        index: usize,
        span: Span,
    },
    Literal(Value),
    Neg {
        arg: Box<Node>,
        span: Span,
    },
    Not(Box<Node>),
    Arith {
        op: Arith,
        kind: Num,
        left: Box<Node>,
        right: Box<Node>,
        span: Span,
    },
    Compare {
        op: Cmp,
        kind: CmpKind,
        left: Box<Node>,
        right: Box<Node>,
        span: Span,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    IsNull {
        negated: bool,
        arg: Box<Node>,
    },
    Concat(Vec<Node>),
    Coalesce(Vec<Node>),
    Abs {
        arg: Box<Node>,
        span: Span,
    },
    Lower(Box<Node>),
    Upper(Box<Node>),
    Length(Box<Node>),
    Cast {
        arg: Box<Node>,
        to: FieldType,
        span: Span,
    },
}

/// An evaluation failure and the node it happened in.
#[derive(Debug)]
pub(crate) struct Fault {
    pub kind: EvalErrorKind,
    pub span: Span,
}

static NULL: Value = Value::Null;

type Out<'r> = Result<Cow<'r, Value>, Fault>;

impl Node {
    /// Evaluates the node on `row`, borrowing column values and literals where it can.
    pub(crate) fn eval<'r>(&'r self, row: &'r Row) -> Out<'r> {
        let at = |span: Span| move |kind| Fault { kind, span };
        match self {
            Node::Column { index, span } => {
                row.values.get(*index).map(Cow::Borrowed).ok_or(Fault {
                    kind: EvalErrorKind::MissingColumn(*index),
                    span: *span,
                })
            }
            Node::Literal(v) => Ok(Cow::Borrowed(v)),
            Node::Arith {
                op,
                kind,
                left,
                right,
                span,
            } => {
                let l = left.eval(row)?;
                if l.is_null() {
                    return Ok(Cow::Borrowed(&NULL));
                }
                let r = right.eval(row)?;
                if r.is_null() {
                    return Ok(Cow::Borrowed(&NULL));
                }
                arith(*op, *kind, &l, &r).map(Cow::Owned).map_err(at(*span))
            }
            Node::Compare {
                op,
                kind,
                left,
                right,
                span,
            } => {
                let l = left.eval(row)?;
                if l.is_null() {
                    return Ok(Cow::Borrowed(&NULL));
                }
                let r = right.eval(row)?;
                if r.is_null() {
                    return Ok(Cow::Borrowed(&NULL));
                }
                let b = compare(*op, *kind, &l, &r).map_err(at(*span))?;
                Ok(Cow::Owned(Value::Bool(b)))
            }
            Node::And(left, right) => {
                let l = left.eval(row)?;
                if matches!(*l, Value::Bool(false)) {
                    return Ok(l);
                }
                let r = right.eval(row)?;
                Ok(Cow::Owned(match (truth(&l), truth(&r)) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Null,
                }))
            }
            Node::Or(left, right) => {
                let l = left.eval(row)?;
                if matches!(*l, Value::Bool(true)) {
                    return Ok(l);
                }
                let r = right.eval(row)?;
                Ok(Cow::Owned(match (truth(&l), truth(&r)) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Null,
                }))
            }
            Node::Not(arg) => Ok(match &*arg.eval(row)? {
                Value::Bool(b) => Cow::Owned(Value::Bool(!b)),
                _ => Cow::Borrowed(&NULL),
            }),
            Node::IsNull { negated, arg } => {
                let null = arg.eval(row)?.is_null();
                Ok(Cow::Owned(Value::Bool(null != *negated)))
            }
            Node::Neg { arg, span } => {
                let v = arg.eval(row)?;
                let neg = match &*v {
                    Value::Null => return Ok(Cow::Borrowed(&NULL)),
                    Value::Long(x) => x
                        .checked_neg()
                        .map(Value::Long)
                        .ok_or(EvalErrorKind::Overflow),
                    Value::Double(x) => Ok(Value::Double(-x)),
                    Value::Decimal(d) => d
                        .checked_neg()
                        .map(Value::Decimal)
                        .map_err(EvalErrorKind::Decimal),
                    other => Err(wrong(FieldType::Double, other)),
                };
                neg.map(Cow::Owned).map_err(at(*span))
            }
            Node::Abs { arg, span } => {
                let v = arg.eval(row)?;
                let abs = match &*v {
                    Value::Null => return Ok(Cow::Borrowed(&NULL)),
                    Value::Long(x) => x
                        .checked_abs()
                        .map(Value::Long)
                        .ok_or(EvalErrorKind::Overflow),
                    Value::Double(x) => Ok(Value::Double(x.abs())),
                    Value::Decimal(d) => d
                        .checked_abs()
                        .map(Value::Decimal)
                        .map_err(EvalErrorKind::Decimal),
                    other => Err(wrong(FieldType::Double, other)),
                };
                abs.map(Cow::Owned).map_err(at(*span))
            }
            Node::Concat(args) => {
                let mut out = Vec::new();
                for arg in args {
                    let v = arg.eval(row)?;
                    if v.is_null() {
                        return Ok(Cow::Borrowed(&NULL));
                    }
                    v.write_text(&mut out);
                }
                // Every part was UTF-8 text.
                let s = String::from_utf8(out)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                Ok(Cow::Owned(Value::Str(s)))
            }
            Node::Coalesce(args) => {
                for arg in args {
                    let v = arg.eval(row)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Cow::Borrowed(&NULL))
            }
            Node::Lower(arg) | Node::Upper(arg) | Node::Length(arg) => {
                let v = arg.eval(row)?;
                Ok(Cow::Owned(match (&*v, self) {
                    (Value::Str(s), Node::Lower(_)) => Value::Str(s.to_lowercase()),
                    (Value::Str(s), Node::Upper(_)) => Value::Str(s.to_uppercase()),
                    (Value::Str(s), _) => Value::Long(s.chars().count() as i64),
                    _ => Value::Null,
                }))
            }
            Node::Cast { arg, to, span } => {
                let v = arg.eval(row)?;
                cast(&v, *to).map(Cow::Owned).map_err(at(*span))
            }
        }
    }
}

/// A boolean operand in three-valued logic: `None` is NULL (or, defensively, a non-bool).
fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}
