//! Tokens of the expression language.

use super::error::{ExprError, ExprErrorKind};

/// The kind of a numeric literal, from its spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberKind {
    /// Digits only: a `long`.
    Integer,
    /// Digits with a point: a `decimal`.
    Decimal,
    /// With an exponent: a `double`.
    Double,
}

/// A keyword (matched case-insensitively; backquote a column of the same name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    True,
    False,
    Null,
    Is,
    As,
}

const KEYWORDS: &[(&str, Keyword)] = &[
    ("and", Keyword::And),
    ("or", Keyword::Or),
    ("not", Keyword::Not),
    ("true", Keyword::True),
    ("false", Keyword::False),
    ("null", Keyword::Null),
    ("is", Keyword::Is),
    ("as", Keyword::As),
];

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A bare identifier (column or function name).
    Ident(String),
    /// A backquoted name, always a column.
    QuotedName(String),
    /// A numeric literal as written.
    Number(NumberKind),
    /// A string literal, `''` unescaped.
    Str(String),
    Keyword(Keyword),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

/// A token and the byte range of its text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Describes a token for "expected …, found …" messages.
pub(crate) fn describe(token: &Token, text: &str) -> String {
    match token.tok {
        Tok::Eof => "end of expression".to_owned(),
        _ => format!("`{}`", text.get(token.start..token.end).unwrap_or("?")),
    }
}

/// Splits `text` into tokens, ending with [`Tok::Eof`].
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        let tok = match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => single(&mut i, Tok::LParen),
            b')' => single(&mut i, Tok::RParen),
            b',' => single(&mut i, Tok::Comma),
            b'+' => single(&mut i, Tok::Plus),
            b'-' => single(&mut i, Tok::Minus),
            b'*' => single(&mut i, Tok::Star),
            b'/' => single(&mut i, Tok::Slash),
            b'%' => single(&mut i, Tok::Percent),
            b'=' => {
                i += if bytes.get(i + 1) == Some(&b'=') {
                    2
                } else {
                    1
                };
                Tok::Eq
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Ne
            }
            b'|' if bytes.get(i + 1) == Some(&b'|') => {
                i += 2;
                Tok::Concat
            }
            b'<' => match bytes.get(i + 1) {
                Some(b'=') => double(&mut i, Tok::Le),
                Some(b'>') => double(&mut i, Tok::Ne),
                _ => single(&mut i, Tok::Lt),
            },
            b'>' => match bytes.get(i + 1) {
                Some(b'=') => double(&mut i, Tok::Ge),
                _ => single(&mut i, Tok::Gt),
            },
            b'\'' => Tok::Str(quoted(
                text,
                &mut i,
                b'\'',
                ExprErrorKind::UnterminatedString,
            )?),
            b'`' => Tok::QuotedName(quoted(text, &mut i, b'`', ExprErrorKind::UnterminatedName)?),
            b'0'..=b'9' => number(bytes, &mut i),
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => number(bytes, &mut i),
            _ if b == b'_' || b.is_ascii_alphabetic() => {
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                let word = &text[start..i];
                match KEYWORDS.iter().find(|(k, _)| k.eq_ignore_ascii_case(word)) {
                    Some(&(_, kw)) => Tok::Keyword(kw),
                    None => Tok::Ident(word.to_owned()),
                }
            }
            _ => {
                let ch = text[start..].chars().next().unwrap_or('?');
                return Err(ExprError::at(
                    text,
                    start,
                    ExprErrorKind::UnexpectedChar(ch),
                ));
            }
        };
        tokens.push(Token { tok, start, end: i });
    }
    tokens.push(Token {
        tok: Tok::Eof,
        start: bytes.len(),
        end: bytes.len(),
    });
    Ok(tokens)
}

fn single(i: &mut usize, tok: Tok) -> Tok {
    *i += 1;
    tok
}

fn double(i: &mut usize, tok: Tok) -> Tok {
    *i += 2;
    tok
}

/// Reads a literal enclosed in `quote`, where a doubled quote stands for one.
fn quoted(
    text: &str,
    i: &mut usize,
    quote: u8,
    unterminated: ExprErrorKind,
) -> Result<String, ExprError> {
    let bytes = text.as_bytes();
    let start = *i;
    let mut value = String::new();
    let mut run = start + 1;
    let mut j = start + 1;
    loop {
        match bytes.get(j) {
            None => return Err(ExprError::at(text, start, unterminated)),
            Some(&b) if b == quote => {
                value.push_str(&text[run..j]);
                if bytes.get(j + 1) == Some(&quote) {
                    value.push(char::from(quote));
                    j += 2;
                    run = j;
                } else {
                    *i = j + 1;
                    return Ok(value);
                }
            }
            Some(_) => j += 1,
        }
    }
}

/// Reads `digits[.digits][e[+-]digits]`; the text is re-read by the parser.
fn number(bytes: &[u8], i: &mut usize) -> Tok {
    let digits = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
    };
    let mut kind = NumberKind::Integer;
    digits(i);
    if bytes.get(*i) == Some(&b'.') {
        kind = NumberKind::Decimal;
        *i += 1;
        digits(i);
    }
    if matches!(bytes.get(*i), Some(b'e' | b'E')) {
        let mut j = *i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            kind = NumberKind::Double;
            *i = j;
            digits(i);
        }
    }
    Tok::Number(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn operators_numbers_and_names() {
        assert_eq!(
            toks("price*0.908 >= 1 <> `date Time` || 'it''s'"),
            [
                Tok::Ident("price".into()),
                Tok::Star,
                Tok::Number(NumberKind::Decimal),
                Tok::Ge,
                Tok::Number(NumberKind::Integer),
                Tok::Ne,
                Tok::QuotedName("date Time".into()),
                Tok::Concat,
                Tok::Str("it's".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("1.5e3 2E-2 3e x AND nOt"),
            [
                Tok::Number(NumberKind::Double),
                Tok::Number(NumberKind::Double),
                Tok::Number(NumberKind::Integer),
                Tok::Ident("e".into()),
                Tok::Ident("x".into()),
                Tok::Keyword(Keyword::And),
                Tok::Keyword(Keyword::Not),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn token_positions_are_byte_ranges() {
        let t = tokenize("a  == 'x'").unwrap();
        assert_eq!((t[1].start, t[1].end), (3, 5));
        assert_eq!((t[2].start, t[2].end), (6, 9));
    }

    #[test]
    fn bad_input_reports_its_position() {
        let e = tokenize("a + 'open").unwrap_err();
        assert_eq!((e.offset, e.kind), (4, ExprErrorKind::UnterminatedString));
        let e = tokenize("a # b").unwrap_err();
        assert_eq!((e.offset, e.kind), (2, ExprErrorKind::UnexpectedChar('#')));
        let e = tokenize("`x").unwrap_err();
        assert_eq!(e.kind, ExprErrorKind::UnterminatedName);
    }
}
