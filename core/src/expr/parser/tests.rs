use super::*;

/// The tree as a fully parenthesised string.
fn show(ast: &Ast) -> String {
    match &ast.kind {
        AstKind::Column(c) => c.clone(),
        AstKind::Literal(Value::Str(s)) => format!("'{s}'"),
        AstKind::Literal(v) => v.to_string(),
        AstKind::Unary(UnOp::Neg, a) => format!("(- {})", show(a)),
        AstKind::Unary(UnOp::Not, a) => format!("(NOT {})", show(a)),
        AstKind::Binary(op, l, r) => format!("({} {} {})", show(l), op.symbol(), show(r)),
        AstKind::IsNull { negated, arg } => {
            format!(
                "({} IS {}NULL)",
                show(arg),
                if *negated { "NOT " } else { "" }
            )
        }
        AstKind::Call { name, args } => format!(
            "{name}({})",
            args.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        AstKind::Cast { arg, ty } => format!("cast({} AS {ty})", show(arg)),
    }
}

fn p(text: &str) -> String {
    show(&parse(text).unwrap())
}

#[test]
fn precedence_follows_sql() {
    assert_eq!(p("a + b * c"), "(a + (b * c))");
    assert_eq!(p("a - b - c"), "((a - b) - c)");
    assert_eq!(p("(a + b) * c"), "((a + b) * c)");
    assert_eq!(p("a OR b AND c"), "(a OR (b AND c))");
    assert_eq!(p("NOT a = b AND c"), "((NOT (a = b)) AND c)");
    assert_eq!(p("a + 1 > b * 2 OR x"), "(((a + 1) > (b * 2)) OR x)");
    assert_eq!(p("-a * b"), "((- a) * b)");
    assert_eq!(
        p("a IS NOT NULL AND b is null"),
        "((a IS NOT NULL) AND (b IS NULL))"
    );
    assert_eq!(p("a || b = c"), "((a || b) = c)");
    assert_eq!(p("a % 2 == 0"), "((a % 2) = 0)");
}

#[test]
fn literals_take_their_types_from_their_spelling() {
    assert_eq!(parse("12").unwrap().kind, AstKind::Literal(Value::Long(12)));
    assert_eq!(
        parse("0.908").unwrap().kind,
        AstKind::Literal(Value::Decimal("0.908".parse().unwrap()))
    );
    assert_eq!(
        parse("1.5e3").unwrap().kind,
        AstKind::Literal(Value::Double(1500.0))
    );
    assert_eq!(
        parse("-9223372036854775808").unwrap().kind,
        AstKind::Literal(Value::Long(i64::MIN))
    );
    assert_eq!(
        parse("9223372036854775808").unwrap().kind,
        AstKind::Literal(Value::Decimal("9223372036854775808".parse().unwrap()))
    );
    assert_eq!(p("'it''s'"), "'it's'");
    assert_eq!(p("TRUE AND null"), "(true AND NULL)");
    assert_eq!(p("- 2 * 3"), "(-2 * 3)");
}

#[test]
fn calls_casts_and_quoted_names() {
    assert_eq!(p("concat(a, 'x', lower(b))"), "concat(a, 'x', lower(b))");
    assert_eq!(p("now()"), "now()");
    assert_eq!(p("CAST(price AS bigint) + 1"), "(cast(price AS long) + 1)");
    assert_eq!(p("`dateTime` - `my col`"), "(dateTime - my col)");
    let ast = parse("  abs(x) ").unwrap();
    assert_eq!((ast.start, ast.end), (2, 8));
}

#[test]
fn syntax_errors_say_what_was_expected_and_where() {
    let e = parse("a + ").unwrap_err();
    assert_eq!(e.offset, 4);
    assert_eq!(
        e.to_string(),
        "expected a column, a literal, a function call or `(`, found end of expression (at column 5)"
    );
    let e = parse("(a + b").unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected `)`, found end of expression (at column 7)"
    );
    let e = parse("a b").unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected an operator or the end of the expression, found `b` (at column 3)"
    );
    let e = parse("cast(a AS blob)").unwrap_err();
    assert_eq!(e.offset, 10);
    assert!(e.to_string().starts_with("unknown type `blob`"), "{e}");
    let e = parse("f(a,)").unwrap_err();
    assert_eq!(e.offset, 4);
    let e = parse("a IS 3").unwrap_err();
    assert!(e.to_string().contains("NULL after IS"), "{e}");
    let e = parse("1e999").unwrap_err();
    assert!(matches!(e.kind, ExprErrorKind::BadNumber { .. }));
}
