//! Tests of the broadcast operators: the state the broadcast side writes, its snapshot
//! and its restore at another parallelism.

use super::*;
use crate::operator::basic::tests::capture;
use crate::operator::checkpoint::{ChainSnapshot, OperatorRestore};

/// Multiplies each number by the factor of its parity, set by broadcast elements.
struct Factors;

impl BroadcastProcessFunction<i64, (bool, i64), bool, i64, i64> for Factors {
    fn process_element(
        &mut self,
        value: i64,
        broadcast: ReadOnlyBroadcastState<'_, bool, i64>,
        _ctx: &mut Context<'_>,
        out: &mut Collector<'_, i64>,
    ) -> OpResult {
        let factor = broadcast.get(&(value % 2 == 0)).copied().unwrap_or(1);
        out.collect(value * factor);
        Ok(())
    }
    fn process_broadcast_element(
        &mut self,
        (even, factor): (bool, i64),
        broadcast: &mut BroadcastState<bool, i64>,
        _out: &mut Collector<'_, i64>,
    ) -> OpResult {
        broadcast.put(even, factor);
        Ok(())
    }
}

#[test]
fn broadcast_elements_write_the_state_that_elements_read() {
    let (out, seen) = capture::<i64>();
    let ctx = BuildContext::for_tests("factors", 0, 1, None);
    let mut op = BroadcastOperator::new(Factors, out, SideOutputs::default(), &ctx).unwrap();
    op.collect1(Record::Owned(3), 0).unwrap();
    op.collect2(Record::Owned((true, 10)), 0).unwrap();
    op.collect1(Record::Owned(4), 0).unwrap();
    op.collect1(Record::Owned(5), 0).unwrap();
    op.collect2(Record::Owned((false, 100)), 0).unwrap();
    op.collect1(Record::Owned(5), 0).unwrap();
    let got: Vec<i64> = seen.borrow().iter().map(|(v, _)| *v).collect();
    assert_eq!(got, [3, 40, 5, 500], "no rule yet, even rule, odd rule");
    assert_eq!(op.broadcast_state().len(), 2);
}

type FactorsOp = BroadcastOperator<i64, (bool, i64), bool, i64, i64, Factors>;

fn factors(subtask: usize, p: usize, restore: Option<OperatorRestore>) -> FactorsOp {
    let (out, _) = capture::<i64>();
    let ctx = BuildContext::for_tests("factors", subtask, p, restore);
    BroadcastOperator::new(Factors, out, SideOutputs::default(), &ctx).unwrap()
}

fn snapshot_of(
    checkpoint: &mut dyn FnMut(&mut CheckpointCall<'_>) -> OpResult,
) -> OperatorSnapshot {
    let mut chain = ChainSnapshot::new(1);
    checkpoint(&mut CheckpointCall::Snapshot(&mut chain)).unwrap();
    assert_eq!(chain.operators.len(), 1, "one entry per uid");
    chain.operators.remove(0)
}

#[test]
fn new_subtask_i_restores_the_broadcast_state_of_old_subtask_i_mod_p() {
    // Two old subtasks whose copies differ in the odd factor (they never do in a job; here
    // it shows whose copy each new subtask took).
    let mut old = Vec::new();
    for i in 0..2 {
        let mut op = factors(i, 2, None);
        op.collect2(Record::Owned((true, 10)), 0).unwrap();
        op.collect2(Record::Owned((false, 100 + i as i64)), 0)
            .unwrap();
        let part = snapshot_of(&mut |c| op.checkpoint(c));
        assert_eq!(part.uid, "factors");
        assert!(part.keyed.is_none());
        old.push(part.operator.unwrap());
    }
    let restore = OperatorRestore {
        keyed: Vec::new(),
        operator: old,
        channels: None,
    };
    for (new_p, want) in [(3, vec![100, 101, 100]), (1, vec![100])] {
        let got: Vec<i64> = (0..new_p)
            .map(|i| {
                let op = factors(i, new_p, Some(restore.clone()));
                assert_eq!(op.broadcast_state().get(&true), Some(&10));
                *op.broadcast_state().get(&false).unwrap()
            })
            .collect();
        assert_eq!(got, want, "2 -> {new_p}");
    }
}

#[test]
fn damaged_broadcast_state_fails_the_operator_naming_it() {
    let restore = OperatorRestore {
        keyed: Vec::new(),
        operator: vec![vec![1, 2, 3]],
        channels: None,
    };
    let (out, _) = capture::<i64>();
    let ctx = BuildContext::for_tests("factors", 0, 1, Some(restore));
    let err = BroadcastOperator::<i64, (bool, i64), bool, i64, i64, Factors>::new(
        Factors,
        out,
        SideOutputs::default(),
        &ctx,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("uid 'factors'"), "{err}");
    assert!(err.contains("broadcast state 'broadcast'"), "{err}");
}

/// Multiplies each keyed number by the factor of its parity, as [`Factors`] does.
#[derive(Clone)]
struct KeyedFactors;

impl KeyedBroadcastProcessFunction<i64, i64, (bool, i64), bool, i64, i64> for KeyedFactors {
    fn process_element(
        &mut self,
        value: i64,
        broadcast: ReadOnlyBroadcastState<'_, bool, i64>,
        _ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, i64>,
    ) -> OpResult {
        let factor = broadcast.get(&(value % 2 == 0)).copied().unwrap_or(1);
        out.collect(value * factor);
        Ok(())
    }
    fn process_broadcast_element(
        &mut self,
        (even, factor): (bool, i64),
        broadcast: &mut BroadcastState<bool, i64>,
        _out: &mut Collector<'_, i64>,
    ) -> OpResult {
        broadcast.put(even, factor);
        Ok(())
    }
}

#[test]
fn a_keyed_broadcast_operator_snapshots_keyed_and_broadcast_state_under_one_uid() {
    let key: KeyFn<i64, i64> = std::sync::Arc::new(|v: &i64| *v);
    let make = |restore: Option<OperatorRestore>| {
        let (out, seen) = capture::<i64>();
        let ctx = BuildContext::for_tests("keyed-factors", 0, 1, restore);
        let op = KeyedBroadcastOperator::new(
            KeyedFactors,
            key.clone(),
            out,
            SideOutputs::default(),
            &ctx,
        )
        .unwrap();
        (op, seen)
    };
    let (mut op, _) = make(None);
    op.collect2(Record::Owned((false, 3)), 0).unwrap();
    let part = snapshot_of(&mut |c| op.checkpoint(c));
    assert!(part.keyed.is_some(), "keyed state and timers");
    let restore = OperatorRestore {
        keyed: Vec::new(),
        operator: vec![part.operator.unwrap()],
        channels: None,
    };
    let (mut op, seen) = make(Some(restore));
    op.collect1(Record::Owned(5), 0).unwrap();
    assert_eq!(seen.borrow()[0].0, 15, "the restored rule applies");
}
