//! Column values and rows.

use std::fmt;
use std::hash::{Hash, Hasher};

use rkyv::{Archive, Deserialize, Serialize};
use weir_state::KeyHash;

use super::{Decimal, FieldType};

/// One column value of a row; `Null` is SQL's NULL of any type.
#[derive(Archive, Serialize, Deserialize, Clone, Debug)]
#[rkyv(derive(Debug))]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A `long` value.
    Long(i64),
    /// A `double` value.
    Double(f64),
    /// A `decimal` value.
    Decimal(Decimal),
    /// A `string` value.
    Str(String),
    /// A `bool` value.
    Bool(bool),
    /// A `timestamp` value, epoch milliseconds.
    Timestamp(i64),
}

impl Value {
    /// The type of a non-null value (`None` for `Null`).
    pub fn field_type(&self) -> Option<FieldType> {
        Some(match self {
            Value::Null => return None,
            Value::Long(_) => FieldType::Long,
            Value::Double(_) => FieldType::Double,
            Value::Decimal(_) => FieldType::Decimal,
            Value::Str(_) => FieldType::String,
            Value::Bool(_) => FieldType::Bool,
            Value::Timestamp(_) => FieldType::Timestamp,
        })
    }

    /// Whether the value is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Appends the text form (the CSV field before quoting): `Null` is empty, a decimal
    /// plain (`90.800`), a double its shortest round-trip form, a timestamp epoch millis.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        // Writing to a Vec<u8> cannot fail.
        let _ = match self {
            Value::Null => Ok(()),
            Value::Long(v) | Value::Timestamp(v) => write!(out, "{v}"),
            Value::Double(v) => write!(out, "{v:?}"),
            Value::Decimal(d) => {
                d.write_to(out);
                Ok(())
            }
            Value::Str(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(())
            }
            Value::Bool(b) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" });
                Ok(())
            }
        };
    }
}

/// The text form of [`Value::write_text`], except that `Null` shows as `NULL`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Str(s) => f.write_str(s),
            Value::Decimal(d) => fmt::Display::fmt(d, f),
            Value::Long(v) | Value::Timestamp(v) => fmt::Display::fmt(v, f),
            Value::Double(v) => write!(f, "{v:?}"),
            Value::Bool(b) => fmt::Display::fmt(b, f),
        }
    }
}

/// Key equality: same variant and same value; `Null == Null` (as SQL's GROUP BY), doubles
/// by bit pattern (as Java's `Double.equals`), decimals numerically (`1.0 == 1.00`).
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Long(a), Value::Long(b)) | (Value::Timestamp(a), Value::Timestamp(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (Value::Decimal(a), Value::Decimal(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Null => {}
            Value::Long(v) | Value::Timestamp(v) => v.hash(state),
            Value::Double(v) => v.to_bits().hash(state),
            Value::Decimal(d) => d.hash(state),
            Value::Str(s) => s.hash(state),
            Value::Bool(b) => b.hash(state),
        }
    }
}

/// Java's `hashCode()` of the value Flink would hold: `Long`, `Double`, `String`,
/// `Boolean`, `BigDecimal` (normalized), Flink's `TimestampData` (`31 × Long.hashCode(ms)`),
/// and 0 for NULL.
impl KeyHash for Value {
    fn key_hash(&self) -> i32 {
        match self {
            Value::Null => 0,
            Value::Long(v) => v.key_hash(),
            Value::Double(v) => v.key_hash(),
            Value::Decimal(d) => d.key_hash(),
            Value::Str(s) => s.key_hash(),
            Value::Bool(b) => b.key_hash(),
            Value::Timestamp(ms) => ms.key_hash().wrapping_mul(31),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Long(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<Decimal> for Value {
    fn from(v: Decimal) -> Self {
        Value::Decimal(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// One record of a job file: the values of a [`Schema`](super::Schema)'s columns, in order.
#[derive(Archive, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[rkyv(derive(Debug))]
pub struct Row {
    /// The column values, in schema order.
    pub values: Vec<Value>,
}

impl Row {
    /// A row of the given values.
    pub fn new(values: Vec<Value>) -> Self {
        Self { values }
    }

    /// The value of column `index`.
    pub fn get(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rkyv::util::AlignedVec;

    use super::*;
    use crate::record::{split_payload, Data, InPlace, Record, RecordSerializer};

    fn sample() -> Row {
        Row::new(vec![
            Value::Null,
            Value::Long(-7),
            Value::Double(1.5),
            Value::Decimal("90.800".parse().unwrap()),
            Value::Str("https://x".into()),
            Value::Bool(true),
            Value::Timestamp(1_436_918_400_004),
        ])
    }

    fn assert_data<T: Data>() {}

    #[test]
    fn row_is_data_and_round_trips_through_the_record_serializer() {
        assert_data::<Row>();
        let row = sample();
        let mut ser = RecordSerializer::new();
        let payload = ser
            .payload(&Record::Owned(row.clone()), 9)
            .unwrap()
            .to_vec();
        let mut aligned = AlignedVec::<16>::new();
        aligned.extend_from_slice(&payload);
        let (body, ts) = split_payload(&aligned).unwrap();
        assert_eq!(ts, 9);
        let in_place = InPlace::<Row>::validated(body).unwrap();
        assert_eq!(in_place.get().values.len(), 7);
        let back = in_place.to_owned_value().unwrap();
        assert_eq!(back, row);
        assert_eq!(back.values[3].to_string(), "90.800");
    }

    #[test]
    fn key_hash_matches_java_and_flink() {
        assert_eq!(Value::Null.key_hash(), 0);
        assert_eq!(Value::Long(1_234_567_890_123).key_hash(), 1_912_276_436);
        assert_eq!(Value::Str("hello".into()).key_hash(), 99_162_322);
        assert_eq!(Value::Double(1.5).key_hash(), 1_073_217_536);
        assert_eq!(Value::Bool(false).key_hash(), 1237);
        // TimestampData.fromEpochMillis(1000).hashCode() == 31 * 1000
        assert_eq!(Value::Timestamp(1000).key_hash(), 31_000);
        assert_eq!(Value::Decimal("1.5".parse().unwrap()).key_hash(), 466);
    }

    #[test]
    fn key_equality_is_by_variant_and_bits() {
        assert_eq!(Value::Null, Value::Null);
        assert_ne!(Value::Long(5), Value::Timestamp(5));
        assert_eq!(Value::Double(f64::NAN), Value::Double(f64::NAN));
        assert_ne!(Value::Double(0.0), Value::Double(-0.0));
        let one: Decimal = "1.0".parse().unwrap();
        let one_again: Decimal = "1.00".parse().unwrap();
        let set: HashSet<Value> = [Value::Decimal(one), Value::Decimal(one_again)].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn text_form_is_plain() {
        let texts: Vec<String> = sample()
            .values
            .iter()
            .map(|v| {
                let mut out = Vec::new();
                v.write_text(&mut out);
                String::from_utf8(out).unwrap()
            })
            .collect();
        assert_eq!(
            texts,
            [
                "",
                "-7",
                "1.5",
                "90.800",
                "https://x",
                "true",
                "1436918400004"
            ]
        );
        assert_eq!(Value::Double(1.0).to_string(), "1.0");
        assert_eq!(Value::Null.to_string(), "NULL");
        assert_eq!(Value::Long(3).field_type(), Some(FieldType::Long));
        assert_eq!(Value::Null.field_type(), None);
    }
}
