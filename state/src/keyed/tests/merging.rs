//! ReducingState and AggregatingState: Flink's get / add / clear and merging namespaces.

use super::*;

/// An average: accumulator (sum, count), result the mean.
struct Average;

impl AggregateFunction<u64, (u64, u64), f64> for Average {
    fn create_accumulator(&self) -> (u64, u64) {
        (0, 0)
    }

    fn add(&self, value: u64, accumulator: &mut (u64, u64)) {
        accumulator.0 += value;
        accumulator.1 += 1;
    }

    fn get_result(&self, accumulator: &(u64, u64)) -> f64 {
        accumulator.0 as f64 / accumulator.1 as f64
    }

    fn merge(&self, a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
        (a.0 + b.0, a.1 + b.1)
    }
}

#[test]
fn reducing_state_follows_flink_semantics() {
    let (mut b, _) = backend();
    let max = b
        .reducing_state::<(), u64>(&ReducingStateDescriptor::new("max", |a: &u64, b| {
            (*a).max(b)
        }))
        .unwrap();
    b.set_current_key(1).unwrap();
    assert_eq!(max.get(&mut b, &()).unwrap(), None);
    max.add(&mut b, &(), 3).unwrap();
    assert_eq!(max.get(&mut b, &()).unwrap(), Some(3));
    max.add(&mut b, &(), 9).unwrap();
    max.add(&mut b, &(), 4).unwrap();
    assert_eq!(max.get(&mut b, &()).unwrap(), Some(9));
    assert_eq!(
        max.with_value(&mut b, &(), |v| v.copied()).unwrap(),
        Some(9)
    );
    b.set_current_key(2).unwrap();
    assert_eq!(max.get(&mut b, &()).unwrap(), None);
    b.set_current_key(1).unwrap();
    max.clear(&mut b, &()).unwrap();
    assert_eq!(max.get(&mut b, &()).unwrap(), None);
    // Registering again returns the same state with its original function.
    let again = b
        .reducing_state::<(), u64>(&ReducingStateDescriptor::new("max", |a: &u64, b| a + b))
        .unwrap();
    again.add(&mut b, &(), 2).unwrap();
    again.add(&mut b, &(), 1).unwrap();
    assert_eq!(max.get(&mut b, &()).unwrap(), Some(2));
}

#[test]
fn reducing_namespaces_merge() {
    let (mut b, _) = backend();
    let sum = b
        .reducing_state::<u32, String>(&ReducingStateDescriptor::new(
            "concat",
            |a: &String, b: String| format!("{a}{b}"),
        ))
        .unwrap();
    b.set_current_key(1).unwrap();
    sum.add(&mut b, &1, "a".into()).unwrap();
    sum.add(&mut b, &2, "b".into()).unwrap();
    sum.add(&mut b, &3, "c".into()).unwrap();
    sum.merge_namespaces(&mut b, &3, &[1, 2, 4]).unwrap();
    // Sources are combined in order, then into the target: reduce(target, merged).
    assert_eq!(sum.get(&mut b, &3).unwrap().as_deref(), Some("cab"));
    assert_eq!(sum.get(&mut b, &1).unwrap(), None);
    assert_eq!(b.state_key_count(&sum).unwrap(), 1);
}

#[test]
fn aggregating_state_follows_flink_semantics() {
    let (mut b, _) = backend();
    let avg = b
        .aggregating_state::<u32, u64, (u64, u64), f64>(&AggregatingStateDescriptor::new(
            "avg", Average,
        ))
        .unwrap();
    b.set_current_key(5).unwrap();
    assert_eq!(avg.get(&mut b, &0).unwrap(), None);
    avg.add(&mut b, &0, 1).unwrap();
    avg.add(&mut b, &0, 2).unwrap();
    assert_eq!(avg.get(&mut b, &0).unwrap(), Some(1.5));
    avg.add(&mut b, &1, 10).unwrap();
    assert_eq!(avg.get(&mut b, &1).unwrap(), Some(10.0));
    avg.merge_namespaces(&mut b, &1, &[0]).unwrap();
    assert_eq!(avg.get(&mut b, &1).unwrap(), Some(13.0 / 3.0));
    assert_eq!(avg.get(&mut b, &0).unwrap(), None);
    let kg = b.current_key_group().unwrap();
    let accumulators: Vec<_> = avg
        .key_group_entries(&b, kg)
        .unwrap()
        .map(|(k, ns, acc)| (*k, *ns, *acc))
        .collect();
    assert_eq!(accumulators, [(5, 1, (13, 3))]);
    let acc = avg.with_accumulator(&mut b, &1, |a| a.copied()).unwrap();
    assert_eq!(acc, Some((13, 3)), "the accumulator itself, unchanged");
    assert_eq!(
        avg.with_accumulator(&mut b, &0, |a| a.copied()).unwrap(),
        None
    );
    avg.clear(&mut b, &1).unwrap();
    assert_eq!(avg.get(&mut b, &1).unwrap(), None);
    assert_eq!(b.key_count(), 0);
}
