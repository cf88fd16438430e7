use proptest::prelude::*;

use super::*;
use crate::row::{Decimal, Field};

fn schema() -> Schema {
    Schema::new(vec![
        Field::new("auction", FieldType::Long),
        Field::new("price", FieldType::Decimal),
        Field::new("url", FieldType::String),
        Field::new("ratio", FieldType::Double),
        Field::new("ok", FieldType::Bool),
        Field::new("dateTime", FieldType::Timestamp),
    ])
    .unwrap()
}

fn dec(s: &str) -> Value {
    Value::Decimal(s.parse().unwrap())
}

#[test]
fn parses_typed_fields_and_reuses_the_parser() {
    let mut p = RowParser::new(schema(), b',');
    let row = p
        .parse_line(b"1000,0.908,https://x,1.5,true,1436918400004\n")
        .unwrap();
    assert_eq!(
        row.values,
        [
            Value::Long(1000),
            dec("0.908"),
            Value::Str("https://x".into()),
            Value::Double(1.5),
            Value::Bool(true),
            Value::Timestamp(1_436_918_400_004),
        ]
    );
    let row = p
        .parse_line(b"-1,12,,,false,2015-07-15 00:00:00.004\r\n")
        .unwrap();
    assert_eq!(row.values[0], Value::Long(-1));
    assert_eq!(row.values[2], Value::Str(String::new()));
    assert_eq!(row.values[3], Value::Null);
    assert_eq!(row.values[5], Value::Timestamp(1_436_918_400_004));
}

#[test]
fn empty_fields_are_null_except_strings() {
    let mut p = RowParser::new(schema(), b',');
    let row = p.parse_line(b",,,,,").unwrap();
    assert_eq!(
        row.values,
        [
            Value::Null,
            Value::Null,
            Value::Str(String::new()),
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
}

#[test]
fn quoted_fields_hold_delimiters_quotes_and_line_breaks() {
    let mut p = RowParser::new(schema(), b',');
    let row = p.parse_line(b"1,2.50,\"a,b \"\"c\"\"\nd\",3,1,0").unwrap();
    assert_eq!(row.values[2], Value::Str("a,b \"c\"\nd".into()));
    let mut out = Vec::new();
    write_row(&row, b',', &mut out);
    assert_eq!(out, b"1,2.50,\"a,b \"\"c\"\"\nd\",3.0,true,0");
}

#[test]
fn other_delimiters_work() {
    let mut p = RowParser::new(schema(), b'|');
    let row = p.parse_line(b"1|2|a,b|3|true|4").unwrap();
    assert_eq!(row.values[2], Value::Str("a,b".into()));
    let mut out = Vec::new();
    write_row(&row, b'|', &mut out);
    assert_eq!(out, b"1|2|a,b|3.0|true|4");
}

#[test]
fn errors_name_the_column_and_the_problem() {
    let mut p = RowParser::new(schema(), b',');
    let err = p.parse_line(b"1,2,x,3,true").unwrap_err();
    assert_eq!(
        err,
        RowParseError::FieldCount {
            expected: 6,
            found: 5
        }
    );
    assert_eq!(
        err.to_string(),
        "expected 6 fields (one per schema column), found 5"
    );
    let err = p.parse_line(b"1,2x,x,3,true,4").unwrap_err();
    assert_eq!(
        err.to_string(),
        "column 2 (`price`, decimal): not a decimal: unexpected character 'x' at byte 1: `2x`"
    );
    let err = p
        .parse_line(b"99999999999999999999,2,x,3,true,4")
        .unwrap_err();
    assert!(matches!(err, RowParseError::Field { index: 0, .. }));
    assert!(err.to_string().contains("out of the 64-bit range"), "{err}");
    let err = p.parse_line(b"1,2,x,3,maybe,4").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("column 5 (`ok`, bool): not a boolean"),
        "{err}"
    );
    let err = p.parse_line(b"1,2,x\n3,4,5,true,6").unwrap_err();
    assert_eq!(err, RowParseError::LineBreak { offset: 5 });
    // The parser recovers after an error.
    assert!(p.parse_line(b"1,2,x,3,true,4").is_ok());
}

#[test]
fn empty_line_is_one_empty_field() {
    let one = Schema::new(vec![Field::new("s", FieldType::String)]).unwrap();
    let mut p = RowParser::new(one, b',');
    assert_eq!(
        p.parse_line(b"").unwrap().values,
        [Value::Str(String::new())]
    );
    let mut p = RowParser::new(schema(), b',');
    assert_eq!(
        p.parse_line(b"\n").unwrap_err(),
        RowParseError::FieldCount {
            expected: 6,
            found: 1
        }
    );
}

#[test]
fn long_lines_and_many_fields_grow_the_buffers() {
    let fields: Vec<Field> = (0..40)
        .map(|i| Field::new(format!("c{i}"), FieldType::String))
        .collect();
    let mut p = RowParser::new(Schema::new(fields).unwrap(), b',');
    let long = "x".repeat(1000);
    let line = vec![long.as_str(); 40].join(",");
    let row = p.parse_line(line.as_bytes()).unwrap();
    assert!(row.values.iter().all(|v| *v == Value::Str(long.clone())));
}

fn value_of(ty: FieldType) -> BoxedStrategy<Value> {
    let non_null = match ty {
        FieldType::Long => any::<i64>().prop_map(Value::Long).boxed(),
        FieldType::Double => any::<f64>()
            .prop_filter("NaN has many bit patterns", |v| !v.is_nan())
            .prop_map(Value::Double)
            .boxed(),
        FieldType::Decimal => (any::<i128>(), 0u8..=38)
            .prop_map(|(u, s)| Value::Decimal(Decimal::new(u, s).unwrap_or(Decimal::ZERO)))
            .boxed(),
        FieldType::String => return any::<String>().prop_map(Value::Str).boxed(),
        FieldType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        FieldType::Timestamp => any::<i64>().prop_map(Value::Timestamp).boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 4 => non_null].boxed()
}

const TYPES: [FieldType; 6] = [
    FieldType::Long,
    FieldType::Double,
    FieldType::Decimal,
    FieldType::String,
    FieldType::Bool,
    FieldType::Timestamp,
];

fn schema_and_rows() -> impl Strategy<Value = (Schema, Vec<Row>)> {
    proptest::collection::vec(0..TYPES.len(), 1..8).prop_flat_map(|types| {
        let fields: Vec<Field> = types
            .iter()
            .enumerate()
            .map(|(i, &t)| Field::new(format!("c{i}"), TYPES[t]))
            .collect();
        let row = types
            .iter()
            .map(|&t| value_of(TYPES[t]))
            .collect::<Vec<_>>()
            .prop_map(Row::new);
        let schema = Schema::new(fields).unwrap_or_else(|_| unreachable!());
        (Just(schema), proptest::collection::vec(row, 1..4))
    })
}

proptest! {
    #[test]
    fn written_rows_parse_back(
        (schema, rows) in schema_and_rows(),
        delimiter in prop_oneof![Just(b','), Just(b'\t'), Just(b'|'), Just(b';')],
    ) {
        let mut parser = RowParser::new(schema, delimiter);
        let mut line = Vec::new();
        for row in rows {
            line.clear();
            write_row(&row, delimiter, &mut line);
            let back = parser.parse_line(&line).unwrap();
            prop_assert_eq!(back, row);
        }
    }
}
