//! The CSV form of rows: one row per line, fields in schema order, RFC 4180 quoting.
//!
//! Reading ([`RowParser`]) uses `csv-core` with reused buffers, so a line costs no
//! allocation beyond the `String`s of string columns. An **empty field is NULL** for
//! every column type except `string`, where it is the empty string (so a NULL string is
//! written empty and reads back as `""`). Field text follows [`super::text`]; a timestamp
//! is also accepted as a UTC date-time.
//!
//! Writing ([`write_row`]) quotes a field only when it holds the delimiter, a quote, a
//! line break, or starts with a byte-order mark; a decimal is written plain (`90.800`), a
//! double in its shortest round-trip form, a timestamp as epoch milliseconds, NULL empty.

use std::fmt;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use super::text::{parse_value, TextError};
use super::{FieldType, Row, Schema, Value};

/// Why one CSV line is not a row of the schema; the caller adds the file and line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowParseError {
    /// The line has a different number of fields than the schema has columns.
    FieldCount {
        /// Columns in the schema.
        expected: usize,
        /// Fields in the line.
        found: usize,
    },
    /// The line holds an unquoted line break, i.e. more than one record.
    LineBreak {
        /// Byte offset of the break in the line.
        offset: usize,
    },
    /// One field is not a value of its column's type.
    Field {
        /// 0-based column index.
        index: usize,
        /// The column name.
        name: String,
        /// The column type.
        ty: FieldType,
        /// The field text (lossy UTF-8, cut to 64 bytes).
        text: String,
        /// What is wrong with it.
        reason: TextError,
    },
}

impl fmt::Display for RowParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowParseError::FieldCount { expected, found } => write!(
                f,
                "expected {expected} fields (one per schema column), found {found}"
            ),
            RowParseError::LineBreak { offset } => {
                write!(f, "unquoted line break at byte {offset} inside the line")
            }
            RowParseError::Field {
                index,
                name,
                ty,
                text,
                reason,
            } => write!(
                f,
                "column {} (`{name}`, {ty}): {reason}: `{text}`",
                index + 1
            ),
        }
    }
}

impl std::error::Error for RowParseError {}

/// Parses CSV lines into rows of one schema, reusing its buffers from line to line.
pub struct RowParser {
    schema: Schema,
    reader: Reader,
    /// Unescaped field bytes of the current line.
    fields: Vec<u8>,
    /// End offset in `fields` of each field.
    ends: Vec<usize>,
}

impl RowParser {
    /// A parser for `schema` with the given field delimiter (`b','`, `b'\t'`, `b'|'`, …).
    pub fn new(schema: Schema, delimiter: u8) -> Self {
        let columns = schema.len();
        Self {
            schema,
            reader: ReaderBuilder::new().delimiter(delimiter).build(),
            fields: vec![0; 256],
            ends: vec![0; columns.max(1) + 1],
        }
    }

    /// The schema rows are parsed into.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Parses one line (a trailing `\n` or `\r\n` is ignored) into a row.
    pub fn parse_line(&mut self, line: &[u8]) -> Result<Row, RowParseError> {
        let mut values = Vec::with_capacity(self.schema.len());
        self.parse_into(line, &mut values)?;
        Ok(Row::new(values))
    }

    /// Parses one line, appending its values to `values` (cleared first) so that a caller
    /// can reuse the vector.
    pub fn parse_into(
        &mut self,
        line: &[u8],
        values: &mut Vec<Value>,
    ) -> Result<(), RowParseError> {
        values.clear();
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let count = self.split(line)?;
        if count != self.schema.len() {
            return Err(RowParseError::FieldCount {
                expected: self.schema.len(),
                found: count,
            });
        }
        let mut start = 0;
        for (index, (&end, field)) in self.ends[..count]
            .iter()
            .zip(self.schema.fields())
            .enumerate()
        {
            let text = &self.fields[start..end];
            start = end;
            let value = if text.is_empty() {
                match field.ty {
                    FieldType::String => Value::Str(String::new()),
                    _ => Value::Null,
                }
            } else {
                parse_value(field.ty, text).map_err(|reason| RowParseError::Field {
                    index,
                    name: field.name.clone(),
                    ty: field.ty,
                    text: String::from_utf8_lossy(&text[..text.len().min(64)]).into_owned(),
                    reason,
                })?
            };
            values.push(value);
        }
        Ok(())
    }

    /// Unescapes the fields of `line` into `self.fields`/`self.ends`; returns their count.
    fn split(&mut self, line: &[u8]) -> Result<usize, RowParseError> {
        if line.is_empty() {
            // csv-core skips empty lines; here an empty line is one empty field.
            self.ends[0] = 0;
            return Ok(1);
        }
        let (mut input, mut nout, mut nends) = (line, 0, 0);
        loop {
            let (result, nin, out, ends) =
                self.reader
                    .read_record(input, &mut self.fields[nout..], &mut self.ends[nends..]);
            input = &input[nin..];
            nout += out;
            nends += ends;
            match result {
                // The whole line is read; an empty input then ends the record.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.fields.len() * 2;
                    self.fields.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record | ReadRecordResult::End => break,
            }
        }
        if !input.is_empty() {
            self.reader.reset();
            return Err(RowParseError::LineBreak {
                offset: line.len() - input.len() - 1,
            });
        }
        Ok(nends)
    }
}

/// Whether a text field must be quoted to read back as itself.
fn needs_quotes(text: &[u8], delimiter: u8) -> bool {
    text.starts_with("\u{feff}".as_bytes())
        || text
            .iter()
            .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
}

/// Appends the CSV form of `row` to `out`, without a line terminator.
pub fn write_row(row: &Row, delimiter: u8, out: &mut Vec<u8>) {
    for (i, value) in row.values.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        match value {
            Value::Str(s) if needs_quotes(s.as_bytes(), delimiter) => {
                out.push(b'"');
                for &b in s.as_bytes() {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
            }
            _ => value.write_text(out),
        }
    }
}

#[cfg(test)]
mod tests;
