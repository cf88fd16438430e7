//! Select items: `price * 0.908 AS price`, and the name of the column they produce.

use super::error::{ExprError, ExprErrorKind};
use super::{compile, CompiledExpr};
use crate::row::Schema;

/// A compiled select item: the output column name and its expression.
#[derive(Clone, Debug)]
pub struct SelectItem {
    /// The output column name: the alias, else the referenced column's name.
    pub name: String,
    /// The compiled expression.
    pub expr: CompiledExpr,
}

/// Splits `expr [AS alias]` (AS in any case, outside parentheses and quotes) into the
/// expression text and the alias (backquotes removed).
pub fn parse_select_item(text: &str) -> Result<(&str, Option<String>), ExprError> {
    let bytes = text.as_bytes();
    let (mut depth, mut quote, mut last_as) = (0i32, None::<u8>, None);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'`' => quote = Some(b),
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ if depth == 0
                    && (b == b'a' || b == b'A')
                    && bytes
                        .get(i + 1)
                        .is_some_and(|c| c.eq_ignore_ascii_case(&b's'))
                    && (i == 0 || bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b')')
                    && bytes
                        .get(i + 2)
                        .is_none_or(|c| c.is_ascii_whitespace() || *c == b'`') =>
                {
                    last_as = Some(i);
                }
                _ => {}
            },
        }
        i += 1;
    }
    let Some(at) = last_as else {
        return Ok((text.trim(), None));
    };
    let expr = text[..at].trim();
    let alias_text = text[at + 2..].trim();
    let alias = match alias_text
        .strip_prefix('`')
        .and_then(|a| a.strip_suffix('`'))
    {
        Some(quoted) if !quoted.is_empty() => quoted.replace("``", "`"),
        _ if !alias_text.is_empty()
            && alias_text
                .bytes()
                .all(|c| c == b'_' || c.is_ascii_alphanumeric()) =>
        {
            alias_text.to_owned()
        }
        _ => {
            let found = if alias_text.is_empty() {
                "end of expression".to_owned()
            } else {
                format!("`{alias_text}`")
            };
            return Err(ExprError::at(
                text,
                at + 2,
                ExprErrorKind::UnexpectedToken {
                    expected: "a column name after AS".to_owned(),
                    found,
                },
            ));
        }
    };
    if expr.is_empty() {
        return Err(ExprError::at(
            text,
            at,
            ExprErrorKind::UnexpectedToken {
                expected: "an expression before AS".to_owned(),
                found: "`AS`".to_owned(),
            },
        ));
    }
    Ok((expr, Some(alias)))
}

/// Compiles a select item; a computed expression without `AS` is an error asking for one.
pub fn compile_select_item(text: &str, schema: &Schema) -> Result<SelectItem, ExprError> {
    let (expr_text, alias) = parse_select_item(text)?;
    let expr = compile(expr_text, schema)?;
    let name = match (alias, expr.column_index()) {
        (Some(alias), _) => alias,
        (None, Some(index)) => schema
            .field(index)
            .map(|f| f.name.clone())
            .unwrap_or_default(),
        (None, None) => {
            return Err(ExprError::at(
                text,
                0,
                ExprErrorKind::NeedsAlias(expr_text.to_owned()),
            ))
        }
    };
    Ok(SelectItem { name, expr })
}
