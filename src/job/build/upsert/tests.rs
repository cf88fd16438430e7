use super::*;
use weir_core::row::Value;

fn change(op: &str, key: &str, v: i64) -> Row {
    Row::new(vec![
        Value::Str(op.into()),
        Value::Str(key.into()),
        Value::Long(v),
    ])
}

fn plain(key: &str, v: i64) -> Row {
    Row::new(vec![Value::Str(key.into()), Value::Long(v)])
}

#[test]
fn an_upsert_table_keeps_the_final_row_per_key_sorted_and_without_op() {
    let mut t = UpsertTable::new(vec![1], true);
    for row in [
        change("+I", "b", 1),
        change("+I", "a", 10),
        change("-U", "a", 10),
        change("+U", "a", 20),
        change("+I", "c", 3),
        change("-D", "c", 3),
        change("-U", "b", 1),
        change("+U", "b", 2),
    ] {
        t.apply(row).unwrap();
    }
    assert_eq!(t.into_rows(), vec![plain("a", 20), plain("b", 2)]);
}

#[test]
fn an_upsert_table_withdraws_only_rows_it_holds() {
    let mut t = UpsertTable::new(vec![1], true);
    // The new row arrives before the old one is withdrawn (two upstream subtasks).
    t.apply(change("+I", "a", 1)).unwrap();
    t.apply(change("+U", "a", 2)).unwrap();
    t.apply(change("-U", "a", 1)).unwrap();
    // A withdrawal of a row never added is ignored.
    t.apply(change("-D", "a", 7)).unwrap();
    t.apply(change("-D", "z", 7)).unwrap();
    assert_eq!(t.into_rows(), vec![plain("a", 2)]);
    let mut t = UpsertTable::new(vec![1], true);
    let e = t
        .apply(Row::new(vec![Value::Str("x".into()), Value::Null]))
        .unwrap_err();
    assert!(e.contains("'x' in column 'op'"), "{e}");
}

#[test]
fn an_append_only_input_keeps_the_latest_row_per_key() {
    let mut t = UpsertTable::new(vec![0], false);
    for row in [plain("b", 1), plain("a", 5), plain("b", 3), plain("a", 4)] {
        t.apply(row).unwrap();
    }
    assert_eq!(t.into_rows(), vec![plain("a", 4), plain("b", 3)]);
    // NULL keys sort first.
    let mut t = UpsertTable::new(vec![0], false);
    t.apply(plain("a", 1)).unwrap();
    t.apply(Row::new(vec![Value::Null, Value::Long(2)]))
        .unwrap();
    assert_eq!(t.into_rows()[0].values[0], Value::Null);
}
