use super::*;
use crate::job::spec::AggFn;
use weir_core::row::Decimal;

fn f(plan: Plan) -> WindowFn {
    WindowFn(Arc::new(plan))
}

fn row(values: &[i64]) -> Row {
    Row::new(values.iter().map(|v| Value::Long(*v)).collect())
}

fn agg(function: AggFn, column: Option<usize>) -> AggPlan {
    AggPlan { function, column }
}

#[test]
fn aggregates_add_and_merge_like_sql() {
    let plan = Plan::Aggregates(vec![
        agg(AggFn::Count, None),
        agg(AggFn::Count, Some(1)),
        agg(AggFn::Sum, Some(0)),
        agg(AggFn::Min, Some(0)),
        agg(AggFn::Max, Some(0)),
        agg(AggFn::Avg, Some(0)),
        agg(AggFn::First, Some(0)),
        agg(AggFn::Last, Some(0)),
    ]);
    let w = f(plan);
    let mut a = w.create_accumulator();
    w.add(row(&[3, 1]), &mut a);
    w.add(Row::new(vec![Value::Long(-2), Value::Null]), &mut a);
    let mut b = w.create_accumulator();
    w.add(row(&[4, 1]), &mut b);
    let merged = w.merge(a, b);
    let got = w.get_result(&merged).unwrap();
    // avg: 5 / 3 truncated, as Flink's AVG over BIGINT.
    assert_eq!(got, vec![row(&[3, 2, 5, -2, 4, 1, 3, 4])]);
    let empty = w.get_result(&w.create_accumulator()).unwrap();
    assert_eq!(
        empty[0].values,
        vec![
            Value::Long(0),
            Value::Long(0),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
}

#[test]
fn long_sums_wrap_and_decimal_averages_keep_six_digits() {
    let w = f(Plan::Aggregates(vec![agg(AggFn::Sum, Some(0))]));
    let mut a = w.create_accumulator();
    w.add(row(&[i64::MAX]), &mut a);
    w.add(row(&[1]), &mut a);
    assert_eq!(w.get_result(&a).unwrap(), vec![row(&[i64::MIN])]);

    let w = f(Plan::Aggregates(vec![agg(AggFn::Avg, Some(0))]));
    let mut a = w.create_accumulator();
    for v in ["1.5", "2"] {
        let d: Decimal = v.parse().unwrap();
        w.add(Row::new(vec![Value::Decimal(d)]), &mut a);
    }
    let got = w.get_result(&a).unwrap();
    assert_eq!(got[0].values[0].to_string(), "1.750000");
}

#[test]
fn keep_max_keeps_every_row_at_the_maximum() {
    let w = f(Plan::Keep {
        column: 1,
        max: true,
    });
    let mut a = w.create_accumulator();
    w.add(row(&[1, 5]), &mut a);
    w.add(row(&[2, 7]), &mut a);
    w.add(row(&[3, 7]), &mut a);
    w.add(row(&[4, 6]), &mut a);
    let mut b = w.create_accumulator();
    w.add(row(&[5, 7]), &mut b);
    let got = w.get_result(&w.merge(a, b)).unwrap();
    assert_eq!(got, vec![row(&[2, 7]), row(&[3, 7]), row(&[5, 7])]);
    let min = f(Plan::Keep {
        column: 1,
        max: false,
    });
    let mut a = min.create_accumulator();
    min.add(row(&[1, 5]), &mut a);
    min.add(row(&[2, 3]), &mut a);
    assert_eq!(min.get_result(&a).unwrap(), vec![row(&[2, 3])]);
}
