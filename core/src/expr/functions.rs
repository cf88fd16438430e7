//! Type checking of function calls: `abs`, `lower`, `upper`, `concat`, `length`,
//! `coalesce` and `mod`.

use super::ast::Ast;
use super::check::{null, span, wider, Checker, Typed};
use super::error::{nearest, ExprError, ExprErrorKind, TypeName};
use super::node::{Arith, Node};
use crate::row::{FieldType, Value};

use FieldType as F;
use TypeName::{Known, Null};

/// The functions of the language (`cast` is syntax, handled by the parser).
const FUNCTIONS: &[&str] = &[
    "abs", "lower", "upper", "concat", "length", "coalesce", "mod",
];

impl Checker<'_> {
    /// Types a call of one of [`FUNCTIONS`].
    pub(crate) fn call(&self, ast: &Ast, name: &str, args: &[Ast]) -> Result<Typed, ExprError> {
        let lower = name.to_ascii_lowercase();
        let Some(&function) = FUNCTIONS.iter().find(|f| **f == lower) else {
            return Err(self.err(
                ast.start,
                ExprErrorKind::UnknownFunction {
                    name: name.to_owned(),
                    suggestion: nearest(name, FUNCTIONS.iter().copied().chain(["cast"])),
                },
            ));
        };
        let (expected, count_ok) = match function {
            "concat" | "coalesce" => ("at least 1", !args.is_empty()),
            "mod" => ("2", args.len() == 2),
            _ => ("1", args.len() == 1),
        };
        if !count_ok {
            return Err(self.err(
                ast.start,
                ExprErrorKind::ArgumentCount {
                    function,
                    expected,
                    found: args.len(),
                },
            ));
        }
        let typed = args
            .iter()
            .map(|a| self.check(a))
            .collect::<Result<Vec<_>, _>>()?;
        let arg_type_error = |found: TypeName, expected: &'static str| {
            self.err(
                ast.start,
                ExprErrorKind::OperandType {
                    what: format!("{function}()"),
                    expected,
                    found,
                },
            )
        };
        let mut typed = typed.into_iter();
        let mut first = || typed.next().unwrap_or_else(null);
        match function {
            "concat" => Ok(Typed {
                node: Node::Concat(
                    std::iter::once(first())
                        .chain(typed)
                        .map(|t| t.node)
                        .collect(),
                ),
                ty: Known(F::String),
            }),
            "coalesce" => self.coalesce(ast, std::iter::once(first()).chain(typed).collect()),
            "mod" => {
                let (l, r) = (first(), typed.next().unwrap_or_else(null));
                let (lt, rt) = (l.ty, r.ty);
                self.arith(ast, Arith::Rem, l, r).ok_or_else(|| {
                    self.err(
                        ast.start,
                        ExprErrorKind::BinaryTypes {
                            op: "mod",
                            left: lt,
                            right: rt,
                        },
                    )
                })
            }
            "abs" => {
                let arg = first();
                match arg.ty {
                    Null => Ok(null()),
                    Known(t) if t.is_numeric() => Ok(Typed {
                        node: Node::Abs {
                            arg: Box::new(arg.node),
                            span: span(ast),
                        },
                        ty: arg.ty,
                    }),
                    found => Err(arg_type_error(found, "a number")),
                }
            }
            _ => {
                // lower, upper, length: one string.
                let arg = first();
                let ty = if function == "length" {
                    F::Long
                } else {
                    F::String
                };
                match arg.ty {
                    Null => Ok(Typed {
                        node: Node::Literal(Value::Null),
                        ty: Known(ty),
                    }),
                    Known(F::String) => {
                        let arg = Box::new(arg.node);
                        let node = match function {
                            "lower" => Node::Lower(arg),
                            "upper" => Node::Upper(arg),
                            _ => Node::Length(arg),
                        };
                        Ok(Typed {
                            node,
                            ty: Known(ty),
                        })
                    }
                    found => Err(arg_type_error(found, "a string")),
                }
            }
        }
    }

    /// `coalesce`: all arguments of one type, or numbers widened to the widest.
    fn coalesce(&self, ast: &Ast, args: Vec<Typed>) -> Result<Typed, ExprError> {
        let mut common: Option<FieldType> = None;
        for arg in &args {
            let Known(t) = arg.ty else { continue };
            common = Some(match common {
                None => t,
                Some(c) if c == t => c,
                Some(c) if c.is_numeric() && t.is_numeric() => wider(c, t),
                Some(c) => {
                    return Err(self.err(
                        ast.start,
                        ExprErrorKind::BinaryTypes {
                            op: "coalesce",
                            left: Known(c),
                            right: Known(t),
                        },
                    ))
                }
            });
        }
        let Some(common) = common else {
            return Ok(null());
        };
        let nodes = args
            .into_iter()
            .map(|arg| match arg.ty {
                Known(t) if t != common => Node::Cast {
                    arg: Box::new(arg.node),
                    to: common,
                    span: span(ast),
                },
                _ => arg.node,
            })
            .collect();
        Ok(Typed {
            node: Node::Coalesce(nodes),
            ty: Known(common),
        })
    }
}
