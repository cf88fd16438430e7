use super::*;
use weir_core::row::Decimal;

fn fold(function: AggFn, values: &[Value]) -> Slot {
    let mut slot = slot_of(function);
    for v in values {
        combine(&mut slot, one(function, v.clone())).unwrap();
    }
    slot
}

#[test]
fn output_types_follow_the_column() {
    use FieldType::*;
    assert_eq!(output_type(AggFn::Count, None), Some(Long));
    assert_eq!(output_type(AggFn::Avg, Some(Double)), Some(Double));
    assert_eq!(output_type(AggFn::Sum, Some(String)), None);
    assert_eq!(output_type(AggFn::Max, Some(String)), Some(String));
    assert_eq!(output_type(AggFn::First, Some(Timestamp)), Some(Timestamp));
    assert_eq!(output_type(AggFn::Sum, Some(Timestamp)), None);
}

#[test]
fn retracting_undoes_count_sum_and_avg() {
    let values = [Value::Long(3), Value::Long(8), Value::Long(4)];
    let mut count = fold(AggFn::Count, &values);
    let mut sum = fold(AggFn::Sum, &values);
    let mut avg = fold(AggFn::Avg, &values);
    assert_eq!(result_of(&avg).unwrap(), Value::Long(5));
    for slot in [&mut count, &mut sum, &mut avg] {
        retract(slot, &Value::Long(8), 2).unwrap();
    }
    assert_eq!(result_of(&count).unwrap(), Value::Long(2));
    assert_eq!(result_of(&sum).unwrap(), Value::Long(7));
    // 7 / 2, truncated as Flink's AVG over BIGINT.
    assert_eq!(result_of(&avg).unwrap(), Value::Long(3));
    for slot in [&mut count, &mut sum, &mut avg] {
        retract(slot, &Value::Long(3), 1).unwrap();
        retract(slot, &Value::Long(4), 0).unwrap();
    }
    assert_eq!(result_of(&count).unwrap(), Value::Long(0));
    // A sum or average of no values is NULL again, not 0.
    assert_eq!(result_of(&sum).unwrap(), Value::Null);
    assert_eq!(result_of(&avg).unwrap(), Value::Null);
}

#[test]
fn retracting_long_sums_wraps_back_and_decimals_stay_exact() {
    let mut sum = fold(AggFn::Sum, &[Value::Long(i64::MAX), Value::Long(1)]);
    assert_eq!(result_of(&sum).unwrap(), Value::Long(i64::MIN));
    retract(&mut sum, &Value::Long(1), 1).unwrap();
    assert_eq!(result_of(&sum).unwrap(), Value::Long(i64::MAX));

    let d = |s: &str| Value::Decimal(s.parse::<Decimal>().unwrap());
    let mut sum = fold(AggFn::Sum, &[d("1.25"), d("2.50")]);
    retract(&mut sum, &d("1.25"), 1).unwrap();
    assert_eq!(result_of(&sum).unwrap().to_string(), "2.50");
}

#[test]
fn only_count_sum_and_avg_retract() {
    for f in [AggFn::Count, AggFn::Sum, AggFn::Avg] {
        assert!(retracts(f), "{f:?}");
    }
    for f in [AggFn::Min, AggFn::Max, AggFn::First, AggFn::Last] {
        assert!(!retracts(f), "{f:?}");
        let mut slot = fold(f, &[Value::Long(1)]);
        assert!(retract(&mut slot, &Value::Long(1), 0).is_err(), "{f:?}");
    }
}
