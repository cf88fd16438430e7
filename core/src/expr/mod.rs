//! The expression language of job-file steps: `price * 0.908`, `auction % 10 = 0 AND
//! lower(channel) <> 'apple'`, `` concat(`first name`, ' ', last) AS name ``.
//!
//! Text is tokenised ([`lexer`](self)), parsed with SQL's precedence into a syntax tree,
//! then type-checked against a [`Schema`] into a tree of enum nodes whose column
//! references are indices: evaluation does no name lookups and no allocation for
//! numbers and booleans.
//!
//! Types follow SQL: `long op long` is a checked `long` (overflow is an error, never a
//! wrap); a `decimal` operand makes the result `decimal` (exact, scales as SQL:
//! `0.908 * 100 = 90.800`; a quotient gets `max(6, operand scales)` digits); a `double`
//! operand makes it `double`; `timestamp ± long` is a `timestamp`, `timestamp - timestamp`
//! a `long` of milliseconds. Comparisons work across numeric types. NULL propagates
//! through operators and functions; AND/OR use three-valued logic; a filter treats NULL
//! as false ([`CompiledExpr::eval_predicate`]). Division by zero is an error.
//!
//! Literals: `12` (long), `0.908` (decimal), `1.5e3` (double), `'it''s'`, `true`,
//! `false`, `null`. Operators: unary `-`, `NOT`, `* / %`, `+ -`, `||`, `= == != <> < <= >
//! >=`, `IS NULL`, `IS NOT NULL`, `AND`, `OR`. Functions: `abs`, `lower`, `upper`, `concat`,
//! `length`, `coalesce`, `mod(a, b)`, `cast(x AS type)`.

mod ast;
mod check;
mod error;
mod functions;
mod lexer;
mod node;
mod ops;
mod parser;
mod select;

pub use error::{EvalError, EvalErrorKind, ExprError, ExprErrorKind, TypeName};
pub use select::{compile_select_item, parse_select_item, SelectItem};

use crate::row::{FieldType, Row, Schema, Value};
use check::Checker;
use node::{Fault, Node};

/// An expression checked against a schema, ready to evaluate on its rows.
#[derive(Clone, Debug)]
pub struct CompiledExpr {
    text: String,
    root: Node,
    ty: FieldType,
}

/// Compiles `text` against `schema`.
pub fn compile(text: &str, schema: &Schema) -> Result<CompiledExpr, ExprError> {
    let ast = parser::parse(text)?;
    let typed = Checker { text, schema }.check(&ast)?;
    let TypeName::Known(ty) = typed.ty else {
        return Err(ExprError::at(text, ast.start, ExprErrorKind::UntypedNull));
    };
    Ok(CompiledExpr {
        text: text.to_owned(),
        root: typed.node,
        ty,
    })
}

/// Compiles a filter condition: like [`compile`], and the expression must be `bool`.
pub fn compile_predicate(text: &str, schema: &Schema) -> Result<CompiledExpr, ExprError> {
    let expr = compile(text, schema)?;
    if expr.ty != FieldType::Bool {
        let start = text.len() - text.trim_start().len();
        return Err(ExprError::at(
            text,
            start,
            ExprErrorKind::NotAPredicate(expr.ty),
        ));
    }
    Ok(expr)
}

impl CompiledExpr {
    /// The type of the values [`eval`](Self::eval) returns (or NULL).
    pub fn output_type(&self) -> FieldType {
        self.ty
    }

    /// The expression text it was compiled from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The column index when the expression is a bare column reference.
    pub fn column_index(&self) -> Option<usize> {
        match self.root {
            Node::Column { index, .. } => Some(index),
            _ => None,
        }
    }

    /// Evaluates the expression on a row of the schema it was compiled for.
    pub fn eval(&self, row: &Row) -> Result<Value, EvalError> {
        self.root
            .eval(row)
            .map(std::borrow::Cow::into_owned)
            .map_err(|f| self.error(f))
    }

    /// Evaluates a condition: NULL counts as false (as SQL's WHERE).
    pub fn eval_predicate(&self, row: &Row) -> Result<bool, EvalError> {
        match &*self.root.eval(row).map_err(|f| self.error(f))? {
            Value::Bool(b) => Ok(*b),
            Value::Null => Ok(false),
            other => Err(EvalError {
                expr: self.text.clone(),
                kind: EvalErrorKind::WrongValueType {
                    expected: FieldType::Bool,
                    found: other.to_string(),
                },
            }),
        }
    }

    fn error(&self, fault: Fault) -> EvalError {
        let (start, end) = (fault.span.start as usize, fault.span.end as usize);
        EvalError {
            expr: self.text.get(start..end).unwrap_or(&self.text).to_owned(),
            kind: fault.kind,
        }
    }
}

#[cfg(test)]
mod tests;
