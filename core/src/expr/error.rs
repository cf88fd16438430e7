//! Errors of compiling and evaluating expressions.

use std::fmt;

use crate::row::{DecimalError, FieldType};
use crate::suggest::edit_distance;

/// Why an expression text does not compile; carries where in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// 0-based byte offset of the problem in the expression text.
    pub offset: usize,
    /// 1-based character column of the problem (what an editor shows).
    pub column: usize,
    /// What is wrong.
    pub kind: ExprErrorKind,
}

impl ExprError {
    /// An error at byte `offset` of `text`.
    pub(crate) fn at(text: &str, offset: usize, kind: ExprErrorKind) -> Self {
        let offset = offset.min(text.len());
        let column = text
            .get(..offset)
            .map_or(offset, |before| before.chars().count())
            + 1;
        Self {
            offset,
            column,
            kind,
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.kind, self.column)
    }
}

impl std::error::Error for ExprError {}

/// What is wrong with an expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExprErrorKind {
    /// A character that starts no token.
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    /// A `'string` without its closing quote.
    #[error("string literal is not closed with '")]
    UnterminatedString,
    /// A `` `name `` without its closing backquote.
    #[error("quoted column name is not closed with `")]
    UnterminatedName,
    /// A numeric literal that cannot be represented.
    #[error("bad number `{text}`: {reason}")]
    BadNumber {
        /// The literal text.
        text: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A token where another was expected.
    #[error("expected {expected}, found {found}")]
    UnexpectedToken {
        /// What would have been valid here.
        expected: String,
        /// What was found (`end of expression` at the end).
        found: String,
    },
    /// A column the schema does not have.
    #[error("unknown column `{name}`{}", did_you_mean(.suggestion))]
    UnknownColumn {
        /// The name as written.
        name: String,
        /// The nearest column name, if one is near.
        suggestion: Option<String>,
    },
    /// A function the language does not have.
    #[error("unknown function `{name}`{}", did_you_mean(.suggestion))]
    UnknownFunction {
        /// The name as written.
        name: String,
        /// The nearest function name, if one is near.
        suggestion: Option<String>,
    },
    /// A function called with the wrong number of arguments.
    #[error("{function}() takes {expected} argument(s), got {found}")]
    ArgumentCount {
        /// The function name.
        function: &'static str,
        /// The accepted count (`1`, `2`, `at least 1`).
        expected: &'static str,
        /// The count given.
        found: usize,
    },
    /// A binary operator applied to types it does not accept.
    #[error("type mismatch: cannot apply `{op}` to {left} and {right}")]
    BinaryTypes {
        /// The operator.
        op: &'static str,
        /// The left operand's type.
        left: TypeName,
        /// The right operand's type.
        right: TypeName,
    },
    /// An operator or function argument of the wrong type.
    #[error("type mismatch: {what} expects {expected}, found {found}")]
    OperandType {
        /// The operator or function (`NOT`, `abs()`).
        what: String,
        /// The accepted types.
        expected: &'static str,
        /// The type given.
        found: TypeName,
    },
    /// A cast between types that do not convert.
    #[error("cannot cast {from} to {to}")]
    BadCast {
        /// The source type.
        from: TypeName,
        /// The target type.
        to: FieldType,
    },
    /// A cast to an unknown type name.
    #[error("{0}")]
    UnknownType(String),
    /// The whole expression is a bare NULL whose type cannot be known.
    #[error("the type of a bare NULL is unknown: write cast(null AS <type>)")]
    UntypedNull,
    /// A filter whose expression is not boolean.
    #[error("a predicate must be bool, this expression is {0}")]
    NotAPredicate(FieldType),
    /// A select item that is neither a bare column nor named with AS.
    #[error("the expression `{0}` needs a name: add `AS <name>`")]
    NeedsAlias(String),
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// A static type during checking: a column type, or the type of a bare NULL literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeName {
    /// A column type.
    Known(FieldType),
    /// The NULL literal, whose type comes from its context.
    Null,
}

impl fmt::Display for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeName::Known(t) => fmt::Display::fmt(t, f),
            TypeName::Null => f.write_str("null"),
        }
    }
}

/// Why evaluating an expression on a row failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    /// The sub-expression that failed, as written.
    pub expr: String,
    /// What went wrong.
    pub kind: EvalErrorKind,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in `{}`", self.kind, self.expr)
    }
}

impl std::error::Error for EvalError {}

/// What went wrong while evaluating.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalErrorKind {
    /// A `long` result outside the 64-bit range.
    #[error("integer overflow")]
    Overflow,
    /// Division or remainder by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// A decimal operation failed.
    #[error("decimal error: {0}")]
    Decimal(DecimalError),
    /// A value that does not convert to the cast's type.
    #[error("cannot cast `{value}` to {to}")]
    Cast {
        /// The value's text.
        value: String,
        /// The target type.
        to: FieldType,
    },
    /// The row has fewer columns than the schema the expression was compiled for.
    #[error("row has no column {0}")]
    MissingColumn(usize),
    /// A value of another type than the schema declared.
    #[error("expected a {expected} value, found `{found}`")]
    WrongValueType {
        /// The declared type.
        expected: FieldType,
        /// The value found.
        found: String,
    },
}

/// The candidate nearest to `name` (case differences count little), if near enough.
pub(crate) fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| {
            let exact_case = edit_distance(name, c);
            let folded = edit_distance(&lower, &c.to_lowercase());
            // A pure case difference ranks before any real edit.
            (folded * 2 + usize::from(exact_case != folded), folded, c)
        })
        .filter(|&(_, folded, c)| {
            folded <= (c.chars().count().max(name.chars().count()) / 3).max(1)
        })
        .min_by_key(|&(rank, _, _)| rank)
        .map(|(_, _, c)| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("price", "price"), 0);
    }

    #[test]
    fn nearest_prefers_case_differences_and_rejects_far_names() {
        let names = ["dateTime", "price", "auction", "bidder"];
        assert_eq!(
            nearest("datetime", names.into_iter()),
            Some("dateTime".into())
        );
        assert_eq!(nearest("prise", names.into_iter()), Some("price".into()));
        assert_eq!(
            nearest("auctoin", names.into_iter()),
            Some("auction".into())
        );
        assert_eq!(nearest("zzz", names.into_iter()), None);
    }

    #[test]
    fn error_column_counts_characters() {
        let e = ExprError::at("'é' + x", 7, ExprErrorKind::UnexpectedChar('?'));
        assert_eq!(e.column, 7);
        assert_eq!(e.to_string(), "unexpected character '?' (at column 7)");
    }
}
