//! The syntax tree of an expression, before names and types are resolved.

use crate::row::{FieldType, Value};

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    /// The operator as written in messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Concat => "||",
            BinOp::Eq => "=",
            BinOp::Ne => "<>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
        }
    }
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Not,
}

/// An expression node and the byte range of its text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ast {
    pub kind: AstKind,
    pub start: usize,
    pub end: usize,
}

/// The node kinds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AstKind {
    /// A column reference, bare or backquoted.
    Column(String),
    /// A literal.
    Literal(Value),
    Unary(UnOp, Box<Ast>),
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// `x IS NULL` (`negated`: `IS NOT NULL`).
    IsNull {
        negated: bool,
        arg: Box<Ast>,
    },
    /// `name(args)`.
    Call {
        name: String,
        args: Vec<Ast>,
    },
    /// `cast(arg AS ty)`.
    Cast {
        arg: Box<Ast>,
        ty: FieldType,
    },
}
