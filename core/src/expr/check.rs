//! Type checking: resolves column names against a schema, infers each node's type and
//! picks the operand kind of every operator, producing the [`Node`] tree.

use super::ast::{Ast, AstKind, BinOp, UnOp};
use super::error::{nearest, ExprError, ExprErrorKind, TypeName};
use super::node::{Arith, Cmp, CmpKind, Node, Num, Span};
use crate::row::{FieldType, Schema, Value};

use FieldType as F;
use TypeName::{Known, Null};

/// A checked node and its static type.
pub(crate) struct Typed {
    pub node: Node,
    pub ty: TypeName,
}

pub(crate) struct Checker<'a> {
    pub text: &'a str,
    pub schema: &'a Schema,
}

pub(crate) fn span(ast: &Ast) -> Span {
    Span {
        start: ast.start as u32,
        end: ast.end as u32,
    }
}

pub(crate) fn null() -> Typed {
    Typed {
        node: Node::Literal(Value::Null),
        ty: Null,
    }
}

/// The wider of two numeric types (`long` < `decimal` < `double`).
pub(crate) fn wider(a: FieldType, b: FieldType) -> FieldType {
    let rank = |t| match t {
        F::Long => 0,
        F::Decimal => 1,
        _ => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

impl Checker<'_> {
    pub(crate) fn err(&self, offset: usize, kind: ExprErrorKind) -> ExprError {
        ExprError::at(self.text, offset, kind)
    }

    pub(crate) fn check(&self, ast: &Ast) -> Result<Typed, ExprError> {
        match &ast.kind {
            AstKind::Column(name) => {
                let index = self.schema.index_of(name).ok_or_else(|| {
                    self.err(
                        ast.start,
                        ExprErrorKind::UnknownColumn {
                            name: name.clone(),
                            suggestion: nearest(name, self.schema.names()),
                        },
                    )
                })?;
                let ty = self.schema.fields()[index].ty;
                Ok(Typed {
                    node: Node::Column {
                        index,
                        span: span(ast),
                    },
                    ty: Known(ty),
                })
            }
            AstKind::Literal(v) => Ok(Typed {
                ty: v.field_type().map_or(Null, Known),
                node: Node::Literal(v.clone()),
            }),
            AstKind::Unary(op, arg) => self.unary(ast, *op, arg),
            AstKind::Binary(op, l, r) => self.binary(ast, *op, l, r),
            AstKind::IsNull { negated, arg } => Ok(Typed {
                node: Node::IsNull {
                    negated: *negated,
                    arg: Box::new(self.check(arg)?.node),
                },
                ty: Known(F::Bool),
            }),
            AstKind::Cast { arg, ty } => {
                let typed = self.check(arg)?;
                self.cast(ast, typed, *ty)
            }
            AstKind::Call { name, args } => self.call(ast, name, args),
        }
    }

    fn unary(&self, ast: &Ast, op: UnOp, arg: &Ast) -> Result<Typed, ExprError> {
        let typed = self.check(arg)?;
        let (what, expected, ok) = match op {
            UnOp::Neg => (
                "unary `-`",
                "a number",
                matches!(typed.ty, Known(t) if t.is_numeric()),
            ),
            UnOp::Not => ("NOT", "bool", typed.ty == Known(F::Bool)),
        };
        if typed.ty == Null {
            return Ok(Typed {
                ty: if op == UnOp::Not {
                    Known(F::Bool)
                } else {
                    Null
                },
                node: Node::Literal(Value::Null),
            });
        }
        if !ok {
            return Err(self.err(
                ast.start,
                ExprErrorKind::OperandType {
                    what: what.to_owned(),
                    expected,
                    found: typed.ty,
                },
            ));
        }
        let arg = Box::new(typed.node);
        let node = match op {
            UnOp::Neg => Node::Neg {
                arg,
                span: span(ast),
            },
            UnOp::Not => Node::Not(arg),
        };
        Ok(Typed { node, ty: typed.ty })
    }

    fn binary(&self, ast: &Ast, op: BinOp, l: &Ast, r: &Ast) -> Result<Typed, ExprError> {
        let (left, right) = (self.check(l)?, self.check(r)?);
        let (left_ty, right_ty) = (left.ty, right.ty);
        let mismatch = || {
            self.err(
                ast.start,
                ExprErrorKind::BinaryTypes {
                    op: op.symbol(),
                    left: left_ty,
                    right: right_ty,
                },
            )
        };
        match op {
            BinOp::And | BinOp::Or => {
                let ok = |t: TypeName| t == Known(F::Bool) || t == Null;
                if !ok(left.ty) || !ok(right.ty) {
                    return Err(mismatch());
                }
                let (l, r) = (Box::new(left.node), Box::new(right.node));
                let node = if op == BinOp::And {
                    Node::And(l, r)
                } else {
                    Node::Or(l, r)
                };
                Ok(Typed {
                    node,
                    ty: Known(F::Bool),
                })
            }
            BinOp::Concat => Ok(Typed {
                node: Node::Concat(vec![left.node, right.node]),
                ty: Known(F::String),
            }),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let cmp = match op {
                    BinOp::Eq => Cmp::Eq,
                    BinOp::Ne => Cmp::Ne,
                    BinOp::Lt => Cmp::Lt,
                    BinOp::Le => Cmp::Le,
                    BinOp::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                let kind = match (left.ty, right.ty) {
                    (Null, _) | (_, Null) => {
                        return Ok(Typed {
                            node: Node::Literal(Value::Null),
                            ty: Known(F::Bool),
                        })
                    }
                    (Known(a), Known(b)) => match (a, b) {
                        (F::Long | F::Timestamp, F::Long | F::Timestamp) => CmpKind::Int,
                        (F::Double, _) | (_, F::Double) if a.is_numeric() && b.is_numeric() => {
                            CmpKind::Double
                        }
                        _ if a.is_numeric() && b.is_numeric() => CmpKind::Decimal,
                        (F::String, F::String) => CmpKind::Str,
                        (F::Bool, F::Bool) => CmpKind::Bool,
                        _ => return Err(mismatch()),
                    },
                };
                Ok(Typed {
                    node: Node::Compare {
                        op: cmp,
                        kind,
                        left: Box::new(left.node),
                        right: Box::new(right.node),
                        span: span(ast),
                    },
                    ty: Known(F::Bool),
                })
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                let arith = match op {
                    BinOp::Add => Arith::Add,
                    BinOp::Sub => Arith::Sub,
                    BinOp::Mul => Arith::Mul,
                    BinOp::Div => Arith::Div,
                    _ => Arith::Rem,
                };
                self.arith(ast, arith, left, right).ok_or_else(mismatch)
            }
        }
    }

    /// Types an arithmetic node; `None` when the operand types do not combine.
    pub(crate) fn arith(&self, ast: &Ast, op: Arith, left: Typed, right: Typed) -> Option<Typed> {
        let additive = matches!(op, Arith::Add | Arith::Sub);
        let (kind, ty) = match (left.ty, right.ty) {
            (Null, Null) => return Some(null()),
            (Null, Known(t)) | (Known(t), Null) => {
                let ok = t.is_numeric() || (t == F::Timestamp && additive);
                return ok.then_some(Typed {
                    node: Node::Literal(Value::Null),
                    ty: Known(t),
                });
            }
            (Known(a), Known(b)) => match (a, b) {
                (F::Long, F::Long) => (Num::Long, F::Long),
                (F::Timestamp, F::Long) if additive => (Num::TimestampLong, F::Timestamp),
                (F::Long, F::Timestamp) if op == Arith::Add => (Num::LongTimestamp, F::Timestamp),
                (F::Timestamp, F::Timestamp) if op == Arith::Sub => (Num::TimestampDiff, F::Long),
                _ if a.is_numeric() && b.is_numeric() => match wider(a, b) {
                    F::Double => (Num::Double, F::Double),
                    _ => (Num::Decimal, F::Decimal),
                },
                _ => return None,
            },
        };
        Some(Typed {
            node: Node::Arith {
                op,
                kind,
                left: Box::new(left.node),
                right: Box::new(right.node),
                span: span(ast),
            },
            ty: Known(ty),
        })
    }

    fn cast(&self, ast: &Ast, arg: Typed, to: FieldType) -> Result<Typed, ExprError> {
        let from = match arg.ty {
            Null => {
                return Ok(Typed {
                    node: Node::Literal(Value::Null),
                    ty: Known(to),
                })
            }
            Known(t) if t == to => {
                return Ok(Typed {
                    node: arg.node,
                    ty: Known(to),
                })
            }
            Known(t) => t,
        };
        let ok = from == F::String
            || to == F::String
            || (from.is_numeric() && to.is_numeric())
            || matches!(
                (from, to),
                (F::Long, F::Timestamp) | (F::Timestamp, F::Long)
            );
        if !ok {
            return Err(self.err(ast.start, ExprErrorKind::BadCast { from: arg.ty, to }));
        }
        Ok(Typed {
            node: Node::Cast {
                arg: Box::new(arg.node),
                to,
                span: span(ast),
            },
            ty: Known(to),
        })
    }
}
