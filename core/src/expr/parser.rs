//! A Pratt parser from tokens to the syntax tree, with SQL's precedence:
//! `OR` < `AND` < `NOT` < comparisons < `IS [NOT] NULL` < `||` < `+ -` < `* / %` < unary `-`.

use super::ast::{Ast, AstKind, BinOp, UnOp};
use super::error::{ExprError, ExprErrorKind};
use super::lexer::{describe, tokenize, Keyword, NumberKind, Tok, Token};
use crate::row::{Decimal, FieldType, Value};

const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const IS: u8 = 5;
const CONCAT: u8 = 6;
const ADD: u8 = 7;
const MUL: u8 = 8;
const NEG: u8 = 9;

/// Parses a whole expression text.
pub(crate) fn parse(text: &str) -> Result<Ast, ExprError> {
    let tokens = tokenize(text)?;
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
    };
    let ast = p.expr(0)?;
    p.expect(&Tok::Eof, "an operator or the end of the expression")?;
    Ok(ast)
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
}

fn infix(tok: &Tok) -> Option<(BinOp, u8)> {
    Some(match tok {
        Tok::Keyword(Keyword::Or) => (BinOp::Or, OR),
        Tok::Keyword(Keyword::And) => (BinOp::And, AND),
        Tok::Eq => (BinOp::Eq, CMP),
        Tok::Ne => (BinOp::Ne, CMP),
        Tok::Lt => (BinOp::Lt, CMP),
        Tok::Le => (BinOp::Le, CMP),
        Tok::Gt => (BinOp::Gt, CMP),
        Tok::Ge => (BinOp::Ge, CMP),
        Tok::Concat => (BinOp::Concat, CONCAT),
        Tok::Plus => (BinOp::Add, ADD),
        Tok::Minus => (BinOp::Sub, ADD),
        Tok::Star => (BinOp::Mul, MUL),
        Tok::Slash => (BinOp::Div, MUL),
        Tok::Percent => (BinOp::Rem, MUL),
        _ => return None,
    })
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // `tokenize` always ends with Eof and `advance` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn error(&self, token: &Token, expected: &str) -> ExprError {
        ExprError::at(
            self.text,
            token.start,
            ExprErrorKind::UnexpectedToken {
                expected: expected.to_owned(),
                found: describe(token, self.text),
            },
        )
    }

    fn expect(&mut self, tok: &Tok, expected: &str) -> Result<Token, ExprError> {
        if &self.peek().tok == tok {
            Ok(self.advance())
        } else {
            Err(self.error(self.peek(), expected))
        }
    }

    /// Parses operators binding tighter than `min`.
    fn expr(&mut self, min: u8) -> Result<Ast, ExprError> {
        let mut left = self.prefix()?;
        loop {
            let next = self.peek().tok.clone();
            if next == Tok::Keyword(Keyword::Is) && IS > min {
                left = self.is_null(left)?;
                continue;
            }
            let Some((op, prec)) = infix(&next) else {
                break;
            };
            if prec <= min {
                break;
            }
            self.advance();
            let right = self.expr(prec)?;
            let (start, end) = (left.start, right.end);
            left = Ast {
                kind: AstKind::Binary(op, Box::new(left), Box::new(right)),
                start,
                end,
            };
        }
        Ok(left)
    }

    fn is_null(&mut self, arg: Ast) -> Result<Ast, ExprError> {
        self.advance();
        let negated = self.peek().tok == Tok::Keyword(Keyword::Not);
        if negated {
            self.advance();
        }
        let null = self.expect(&Tok::Keyword(Keyword::Null), "NULL after IS [NOT]")?;
        let start = arg.start;
        Ok(Ast {
            kind: AstKind::IsNull {
                negated,
                arg: Box::new(arg),
            },
            start,
            end: null.end,
        })
    }

    fn prefix(&mut self) -> Result<Ast, ExprError> {
        let token = self.advance();
        let (start, end) = (token.start, token.end);
        let leaf = |kind| Ok(Ast { kind, start, end });
        match token.tok {
            Tok::Ident(name) if self.peek().tok == Tok::LParen => self.call(name, start),
            Tok::Ident(name) | Tok::QuotedName(name) => leaf(AstKind::Column(name)),
            Tok::Number(kind) => leaf(AstKind::Literal(self.number(kind, start, end, false)?)),
            Tok::Str(s) => leaf(AstKind::Literal(Value::Str(s))),
            Tok::Keyword(Keyword::True) => leaf(AstKind::Literal(Value::Bool(true))),
            Tok::Keyword(Keyword::False) => leaf(AstKind::Literal(Value::Bool(false))),
            Tok::Keyword(Keyword::Null) => leaf(AstKind::Literal(Value::Null)),
            Tok::LParen => {
                let inner = self.expr(0)?;
                let close = self.expect(&Tok::RParen, "`)`")?;
                Ok(Ast {
                    kind: inner.kind,
                    start,
                    end: close.end,
                })
            }
            Tok::Minus => {
                // A negative literal folds, so that -9223372036854775808 is a long.
                // Unary minus binds tightest, so folding never changes the meaning.
                if let Tok::Number(kind) = self.peek().tok {
                    let lit = self.advance();
                    let value = self.number(kind, lit.start, lit.end, true)?;
                    return Ok(Ast {
                        kind: AstKind::Literal(value),
                        start,
                        end: lit.end,
                    });
                }
                self.unary(UnOp::Neg, NEG, start)
            }
            Tok::Keyword(Keyword::Not) => self.unary(UnOp::Not, NOT, start),
            _ => Err(self.error(&token, "a column, a literal, a function call or `(`")),
        }
    }

    fn unary(&mut self, op: UnOp, prec: u8, start: usize) -> Result<Ast, ExprError> {
        let arg = self.expr(prec)?;
        let end = arg.end;
        Ok(Ast {
            kind: AstKind::Unary(op, Box::new(arg)),
            start,
            end,
        })
    }

    fn number(
        &self,
        kind: NumberKind,
        start: usize,
        end: usize,
        negative: bool,
    ) -> Result<Value, ExprError> {
        let digits = self.text.get(start..end).unwrap_or_default();
        let text = if negative {
            format!("-{digits}")
        } else {
            digits.to_owned()
        };
        let bad = |reason: String| {
            ExprError::at(
                self.text,
                start,
                ExprErrorKind::BadNumber {
                    text: text.clone(),
                    reason,
                },
            )
        };
        match kind {
            NumberKind::Integer => match text.parse::<i64>() {
                Ok(v) => Ok(Value::Long(v)),
                // Too large for a long: an exact decimal, as SQL does.
                Err(_) => text
                    .parse::<Decimal>()
                    .map(Value::Decimal)
                    .map_err(|e| bad(e.to_string())),
            },
            NumberKind::Decimal => text
                .parse::<Decimal>()
                .map(Value::Decimal)
                .map_err(|e| bad(e.to_string())),
            NumberKind::Double => match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Value::Double(v)),
                Ok(_) => Err(bad("out of the double range".to_owned())),
                Err(e) => Err(bad(e.to_string())),
            },
        }
    }

    fn call(&mut self, name: String, start: usize) -> Result<Ast, ExprError> {
        self.advance(); // (
        if name.eq_ignore_ascii_case("cast") {
            let arg = self.expr(0)?;
            self.expect(&Tok::Keyword(Keyword::As), "AS <type> in cast(x AS type)")?;
            let ty_token = self.advance();
            let ty = match &ty_token.tok {
                Tok::Ident(t) => t.parse::<FieldType>().map_err(|e| {
                    ExprError::at(
                        self.text,
                        ty_token.start,
                        ExprErrorKind::UnknownType(e.to_string()),
                    )
                })?,
                _ => return Err(self.error(&ty_token, "a type name")),
            };
            let close = self.expect(&Tok::RParen, "`)` after the cast type")?;
            return Ok(Ast {
                kind: AstKind::Cast {
                    arg: Box::new(arg),
                    ty,
                },
                start,
                end: close.end,
            });
        }
        let mut args = Vec::new();
        if self.peek().tok != Tok::RParen {
            loop {
                args.push(self.expr(0)?);
                if self.peek().tok == Tok::Comma {
                    self.advance();
                } else {
                    break;
                }
            }
        }
        let close = self.expect(&Tok::RParen, "`,` or `)` in the argument list")?;
        Ok(Ast {
            kind: AstKind::Call { name, args },
            start,
            end: close.end,
        })
    }
}

#[cfg(test)]
mod tests;
