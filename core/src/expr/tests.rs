use proptest::prelude::*;

use super::*;
use crate::row::{Decimal, Field};

fn schema() -> Schema {
    Schema::new(vec![
        Field::new("auction", FieldType::Long),
        Field::new("price", FieldType::Long),
        Field::new("rate", FieldType::Decimal),
        Field::new("ratio", FieldType::Double),
        Field::new("channel", FieldType::String),
        Field::new("dateTime", FieldType::Timestamp),
        Field::new("ok", FieldType::Bool),
        Field::new("maybe", FieldType::Long),
    ])
    .unwrap()
}

fn row() -> Row {
    Row::new(vec![
        Value::Long(1000),
        Value::Long(1648),
        Value::Decimal("0.908".parse().unwrap()),
        Value::Double(0.5),
        Value::Str("Apple".into()),
        Value::Timestamp(1_436_918_400_000),
        Value::Bool(true),
        Value::Null,
    ])
}

fn eval(text: &str) -> Value {
    compile(text, &schema())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .eval(&row())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn text_of(text: &str) -> String {
    eval(text).to_string()
}

fn compile_err(text: &str) -> ExprError {
    compile(text, &schema()).unwrap_err()
}

fn eval_err(text: &str) -> EvalError {
    compile(text, &schema()).unwrap().eval(&row()).unwrap_err()
}

fn dec(s: &str) -> Value {
    Value::Decimal(s.parse::<Decimal>().unwrap())
}

#[test]
fn arithmetic_promotes_like_sql() {
    assert_eq!(eval("price * 0.908"), dec("1496.384"));
    assert_eq!(text_of("0.908 * 100"), "90.800");
    assert_eq!(eval("price + 1"), Value::Long(1649));
    assert_eq!(eval("price / 10"), Value::Long(164));
    assert_eq!(eval("price % 10"), Value::Long(8));
    assert_eq!(eval("mod(price, 10)"), Value::Long(8));
    assert_eq!(eval("price * ratio"), Value::Double(824.0));
    assert_eq!(eval("rate * 1.5e0"), Value::Double(0.908 * 1.5));
    assert_eq!(text_of("price / 3.0"), "549.333333");
    assert_eq!(eval("-price + 2 * 3"), Value::Long(-1642));
    assert_eq!(eval("dateTime + 1000"), Value::Timestamp(1_436_918_401_000));
    assert_eq!(eval("dateTime - dateTime"), Value::Long(0));
    assert_eq!(eval("abs(-rate)"), dec("0.908"));
    let e = compile("price * 0.908", &schema()).unwrap();
    assert_eq!(e.output_type(), FieldType::Decimal);
    assert_eq!(
        compile("price * ratio", &schema()).unwrap().output_type(),
        FieldType::Double
    );
    assert_eq!(
        compile("dateTime + 5", &schema()).unwrap().output_type(),
        FieldType::Timestamp
    );
}

#[test]
fn comparisons_and_logic() {
    assert_eq!(
        eval("price > 1000 AND channel = 'Apple'"),
        Value::Bool(true)
    );
    assert_eq!(eval("price == 1648.0"), Value::Bool(true));
    assert_eq!(eval("rate < 1"), Value::Bool(true));
    assert_eq!(eval("ratio >= rate"), Value::Bool(false));
    assert_eq!(eval("channel <> 'apple' OR false"), Value::Bool(true));
    assert_eq!(eval("NOT ok"), Value::Bool(false));
    assert_eq!(eval("dateTime > 0"), Value::Bool(true));
    assert_eq!(
        eval("auction % 10 = 0 AND lower(channel) != 'apple'"),
        Value::Bool(false)
    );
}

#[test]
fn null_propagates_and_logic_is_three_valued() {
    assert_eq!(eval("maybe + 1"), Value::Null);
    assert_eq!(eval("maybe > 1"), Value::Null);
    assert_eq!(eval("maybe > 1 AND false"), Value::Bool(false));
    assert_eq!(eval("maybe > 1 AND true"), Value::Null);
    assert_eq!(eval("maybe > 1 OR true"), Value::Bool(true));
    assert_eq!(eval("maybe > 1 OR false"), Value::Null);
    assert_eq!(eval("NOT (maybe > 1)"), Value::Null);
    assert_eq!(eval("maybe IS NULL"), Value::Bool(true));
    assert_eq!(eval("price IS NOT NULL"), Value::Bool(true));
    assert_eq!(eval("coalesce(maybe, price)"), Value::Long(1648));
    assert_eq!(eval("coalesce(maybe, rate)"), dec("0.908"));
    assert_eq!(eval("coalesce(maybe, 2)"), Value::Long(2));
    assert_eq!(eval("null + 1"), Value::Null);
    assert_eq!(eval("concat(channel, maybe)"), Value::Null);
    let filter = compile_predicate("maybe > 1", &schema()).unwrap();
    assert!(!filter.eval_predicate(&row()).unwrap());
    let filter = compile_predicate("price > 1", &schema()).unwrap();
    assert!(filter.eval_predicate(&row()).unwrap());
}

#[test]
fn functions_and_casts() {
    assert_eq!(eval("upper(channel)"), Value::Str("APPLE".into()));
    assert_eq!(eval("length(channel)"), Value::Long(5));
    assert_eq!(
        eval("concat(channel, '-', price, '-', rate)"),
        Value::Str("Apple-1648-0.908".into())
    );
    assert_eq!(eval("channel || '!'"), Value::Str("Apple!".into()));
    assert_eq!(eval("cast(rate * 10 AS long)"), Value::Long(9));
    assert_eq!(eval("cast('42' AS bigint) + 1"), Value::Long(43));
    assert_eq!(eval("cast(price AS string)"), Value::Str("1648".into()));
    assert_eq!(eval("cast(price AS timestamp)"), Value::Timestamp(1648));
    assert_eq!(eval("cast(ratio AS decimal)"), dec("0.5"));
    assert_eq!(eval("cast(null AS double)"), Value::Null);
    assert_eq!(eval("`dateTime`"), Value::Timestamp(1_436_918_400_000));
}

#[test]
fn overflow_and_division_by_zero_are_errors_naming_the_expression() {
    let e = eval_err("price * 9223372036854775807 + 1");
    assert_eq!(e.kind, EvalErrorKind::Overflow);
    assert_eq!(
        e.to_string(),
        "integer overflow in `price * 9223372036854775807`"
    );
    assert_eq!(
        eval_err("price / (auction - 1000)").kind,
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(eval_err("price % 0").kind, EvalErrorKind::DivisionByZero);
    assert_eq!(eval_err("rate / 0").kind, EvalErrorKind::DivisionByZero);
    assert_eq!(eval_err("ratio / 0").kind, EvalErrorKind::DivisionByZero);
    assert_eq!(
        eval_err("-(-9223372036854775808 + auction - 1000)").kind,
        EvalErrorKind::Overflow
    );
    let e = eval_err("cast(channel AS long)");
    assert_eq!(
        e.to_string(),
        "cannot cast `Apple` to long in `cast(channel AS long)`"
    );
}

#[test]
fn unknown_columns_suggest_the_nearest_name() {
    let e = compile_err("price + datetime");
    assert_eq!(e.offset, 8);
    assert_eq!(
        e.to_string(),
        "unknown column `datetime` (did you mean `dateTime`?) (at column 9)"
    );
    let e = compile_err("prise * 2");
    assert_eq!(
        e.kind,
        ExprErrorKind::UnknownColumn {
            name: "prise".into(),
            suggestion: Some("price".into())
        }
    );
    let e = compile_err("lowr(channel)");
    assert!(e.to_string().contains("did you mean `lower`?"), "{e}");
}

#[test]
fn type_errors_name_both_types() {
    let e = compile_err("price + channel");
    assert_eq!(
        e.to_string(),
        "type mismatch: cannot apply `+` to long and string (at column 1)"
    );
    let e = compile_err("ok AND price");
    assert!(e.to_string().contains("`AND` to bool and long"), "{e}");
    let e = compile_err("channel < 3");
    assert!(e.to_string().contains("`<` to string and long"), "{e}");
    let e = compile_err("abs(channel)");
    assert_eq!(
        e.to_string(),
        "type mismatch: abs() expects a number, found string (at column 1)"
    );
    let e = compile_err("NOT price");
    assert!(
        e.to_string().contains("NOT expects bool, found long"),
        "{e}"
    );
    let e = compile_err("lower(a, b)");
    assert!(
        e.to_string().contains("lower() takes 1 argument(s), got 2"),
        "{e}"
    );
    assert_eq!(compile_err("null").kind, ExprErrorKind::UntypedNull);
    assert!(matches!(
        compile_err("cast(ok AS long)").kind,
        ExprErrorKind::BadCast { .. }
    ));
    assert_eq!(
        compile_predicate("  price + 1", &schema())
            .unwrap_err()
            .to_string(),
        "a predicate must be bool, this expression is long (at column 3)"
    );
    assert!(matches!(
        compile_err("coalesce(price, channel)").kind,
        ExprErrorKind::BinaryTypes { .. }
    ));
}

#[test]
fn select_items_split_on_the_last_top_level_as() {
    assert_eq!(
        parse_select_item("price * 0.908 AS price").unwrap(),
        ("price * 0.908", Some("price".to_owned()))
    );
    assert_eq!(
        parse_select_item("cast(price AS double) as `the price`").unwrap(),
        ("cast(price AS double)", Some("the price".to_owned()))
    );
    assert_eq!(parse_select_item(" bidder ").unwrap(), ("bidder", None));
    assert_eq!(parse_select_item("'a as b'").unwrap(), ("'a as b'", None));
    assert_eq!(parse_select_item("alias").unwrap(), ("alias", None));
    assert!(parse_select_item("price AS").is_err());
    assert!(parse_select_item("price AS a b").is_err());
    assert!(parse_select_item("AS a").is_err());

    let item = compile_select_item("price * 0.908 AS price", &schema()).unwrap();
    assert_eq!(item.name, "price");
    assert_eq!(item.expr.output_type(), FieldType::Decimal);
    let item = compile_select_item("`dateTime`", &schema()).unwrap();
    assert_eq!(item.name, "dateTime");
    let e = compile_select_item("price + 1", &schema()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the expression `price + 1` needs a name: add `AS <name>` (at column 1)"
    );
}

#[test]
fn rows_that_do_not_match_the_schema_are_errors_not_panics() {
    let e = compile("ratio + 1", &schema()).unwrap();
    assert_eq!(
        e.eval(&Row::new(vec![Value::Long(1)])).unwrap_err().kind,
        EvalErrorKind::MissingColumn(3)
    );
    let mut bad = row();
    bad.values[1] = Value::Str("x".into());
    let e = compile("price + 1", &schema()).unwrap();
    assert!(matches!(
        e.eval(&bad).unwrap_err().kind,
        EvalErrorKind::WrongValueType { .. }
    ));
}

proptest! {
    #[test]
    fn long_arithmetic_matches_checked_i64(a in any::<i64>(), b in any::<i64>(), op in 0usize..5) {
        let s = Schema::new(vec![Field::new("a", FieldType::Long), Field::new("b", FieldType::Long)]).unwrap();
        let (sym, expected) = match op {
            0 => ("+", a.checked_add(b)),
            1 => ("-", a.checked_sub(b)),
            2 => ("*", a.checked_mul(b)),
            3 => ("/", a.checked_div(b)),
            _ => ("%", if b == 0 { None } else { Some(a.checked_rem(b).unwrap_or(0)) }),
        };
        let e = compile(&format!("a {sym} b"), &s).unwrap();
        let got = e.eval(&Row::new(vec![Value::Long(a), Value::Long(b)]));
        match expected {
            Some(v) => prop_assert_eq!(got.unwrap(), Value::Long(v)),
            None => prop_assert!(got.is_err()),
        }
    }

    #[test]
    fn comparisons_agree_across_numeric_types(a in -1_000_000i64..1_000_000, b in -1_000_000i64..1_000_000) {
        let s = Schema::new(vec![
            Field::new("l", FieldType::Long),
            Field::new("d", FieldType::Decimal),
            Field::new("f", FieldType::Double),
        ]).unwrap();
        let row = Row::new(vec![Value::Long(a), Value::Decimal(Decimal::from_i64(b)), Value::Double(b as f64)]);
        for (text, expected) in [("l < d", a < b), ("l < f", a < b), ("d = f", true), ("l >= d", a >= b)] {
            let e = compile_predicate(text, &s).unwrap();
            prop_assert_eq!(e.eval_predicate(&row).unwrap(), expected, "{}", text);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[a-z0-9 +*/%()<>=!'`.,-]{0,30}") {
        let _ = compile(&text, &schema()).map(|e| e.eval(&row()));
    }
}
