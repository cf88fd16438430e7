//! Changelog rows of job files: an updating result (an outer `join`, an `aggregate`) is a
//! stream of rows whose first column, `op` (a string), holds Flink's `RowKind` short
//! string: `+I` insert, `-U` update before, `+U` update after, `-D` delete. The other
//! columns follow. Steps that read a changelog ([`is_changelog`]) take `-U`/`-D` as
//! retractions; sinks write the column as it is, unless they materialize the result.

use weir_core::operator::join::RowKind;
use weir_core::row::{Field, FieldType, Row, Schema, Value};

/// The name of the leading column of a changelog.
pub const OP_COLUMN: &str = "op";

/// The kind of one changelog row (Flink's `RowKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+I`: a row is added.
    Insert,
    /// `-U`: the old row of an update is withdrawn (an `+U` follows).
    UpdateBefore,
    /// `+U`: the new row of an update.
    UpdateAfter,
    /// `-D`: an earlier row is withdrawn.
    Delete,
}

impl Op {
    /// Flink's short string: `+I`, `-U`, `+U` or `-D`.
    pub fn short_string(self) -> &'static str {
        match self {
            Op::Insert => "+I",
            Op::UpdateBefore => "-U",
            Op::UpdateAfter => "+U",
            Op::Delete => "-D",
        }
    }

    /// The kind written as `text`, if it is one.
    pub fn parse(text: &str) -> Option<Op> {
        Some(match text {
            "+I" => Op::Insert,
            "-U" => Op::UpdateBefore,
            "+U" => Op::UpdateAfter,
            "-D" => Op::Delete,
            _ => return None,
        })
    }

    /// Whether the row is taken back (`-U`, `-D`) rather than added (`+I`, `+U`).
    pub fn is_retraction(self) -> bool {
        matches!(self, Op::UpdateBefore | Op::Delete)
    }
}

impl From<RowKind> for Op {
    fn from(kind: RowKind) -> Self {
        match kind {
            RowKind::Insert => Op::Insert,
            RowKind::Delete => Op::Delete,
        }
    }
}

/// Whether rows of `schema` are a changelog: a first column `op` of type string.
pub fn is_changelog(schema: &Schema) -> bool {
    schema
        .fields()
        .first()
        .is_some_and(|f| f.name == OP_COLUMN && f.ty == FieldType::String)
}

/// The schema of a changelog of rows with `fields`: `op`, then `fields`. An error when
/// `fields` already has a column named `op`.
pub fn schema_of(fields: &[Field]) -> Result<Schema, String> {
    if fields.iter().any(|f| f.name == OP_COLUMN) {
        return Err(format!(
            "the output starts with a column '{OP_COLUMN}' (+I, -U, +U or -D), but the rows already have one; rename it with a select step first"
        ));
    }
    let mut all = Vec::with_capacity(fields.len() + 1);
    all.push(Field::new(OP_COLUMN, FieldType::String));
    all.extend_from_slice(fields);
    Schema::new(all).map_err(|e| e.to_string())
}

/// The changelog row `op, values…`.
pub fn row(op: Op, values: impl IntoIterator<Item = Value>) -> Row {
    let values = values.into_iter();
    let mut all = Vec::with_capacity(values.size_hint().0 + 1);
    all.push(Value::Str(op.short_string().to_string()));
    all.extend(values);
    Row::new(all)
}

/// The kind of a changelog row (its first column); an error for anything else.
pub fn op_of(row: &Row) -> Result<Op, String> {
    match row.get(0) {
        Some(Value::Str(s)) => {
            Op::parse(s).ok_or_else(|| format!("'{s}' in column 'op' is not +I, -U, +U or -D"))
        }
        other => Err(format!(
            "column 'op' holds {other:?}, not one of +I, -U, +U, -D"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_read_back_what_they_write() {
        for op in [Op::Insert, Op::UpdateBefore, Op::UpdateAfter, Op::Delete] {
            let r = row(op, [Value::Long(7)]);
            assert_eq!(op_of(&r), Ok(op));
            assert_eq!(r.get(1), Some(&Value::Long(7)));
        }
        assert!(!Op::Insert.is_retraction() && !Op::UpdateAfter.is_retraction());
        assert!(Op::UpdateBefore.is_retraction() && Op::Delete.is_retraction());
        assert_eq!(Op::from(RowKind::Delete), Op::Delete);
        let bad = op_of(&Row::new(vec![Value::Str("+X".into())])).unwrap_err();
        assert!(bad.contains("'+X'"), "{bad}");
    }

    #[test]
    fn a_changelog_schema_leads_with_op_and_refuses_a_second_one() {
        let fields = [Field::new("k", FieldType::Long)];
        let schema = schema_of(&fields).unwrap();
        assert!(is_changelog(&schema));
        assert!(!is_changelog(&Schema::new(fields.to_vec()).unwrap()));
        let clash = schema_of(&[Field::new("op", FieldType::String)]).unwrap_err();
        assert!(clash.contains("already have one"), "{clash}");
    }
}
