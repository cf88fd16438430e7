//! Tests of user functions with operator state: snapshots through the checkpoint call,
//! restores at another parallelism by the state's mode.

use super::*;
use crate::operator::basic::tests::{capture, Seen};
use crate::operator::checkpoint::{ChainSnapshot, OperatorRestore};
use crate::operator::process::{Collector, Context};

/// Buffers elements and emits them `threshold` at a time (Flink's `BufferingSink`); the
/// buffer is a split list state, and a union list state counts the flushes per subtask.
#[derive(Clone)]
struct Buffering {
    threshold: usize,
    buffer: Vec<u64>,
    restored_flushes: Vec<u64>,
    flushes: u64,
    /// The checkpoints notified complete.
    completed: Vec<u64>,
}

impl Buffering {
    fn new(threshold: usize) -> Self {
        Self {
            threshold,
            buffer: Vec::new(),
            restored_flushes: Vec::new(),
            flushes: 0,
            completed: Vec::new(),
        }
    }
}

impl ProcessFunction<u64, u64> for Buffering {
    fn process_element(
        &mut self,
        value: u64,
        _ctx: &mut Context<'_>,
        out: &mut Collector<'_, u64>,
    ) {
        self.buffer.push(value);
        if self.buffer.len() >= self.threshold {
            self.buffer.drain(..).for_each(|v| out.collect(v));
            self.flushes += 1;
        }
    }
    fn finish(&mut self, out: &mut Collector<'_, u64>) {
        self.buffer.drain(..).for_each(|v| out.collect(v));
    }
}

impl CheckpointedFunction for Buffering {
    fn initialize_state(&mut self, ctx: &mut FunctionInitializationContext<'_>) -> OpResult {
        let store = ctx.operator_state_store();
        self.buffer = store.list_state::<u64>("buffer")?.get().to_vec();
        self.restored_flushes = store.union_list_state::<u64>("flushes")?.get().to_vec();
        Ok(())
    }
    fn snapshot_state(&mut self, ctx: &mut FunctionSnapshotContext<'_>) -> OpResult {
        assert!(ctx.checkpoint_id() > 0);
        let flushes = self.flushes;
        let store = ctx.operator_state_store();
        store
            .list_state::<u64>("buffer")?
            .update(self.buffer.iter().copied());
        store.union_list_state::<u64>("flushes")?.update([flushes]);
        Ok(())
    }
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> OpResult {
        self.completed.push(checkpoint_id);
        Ok(())
    }
}

type Op = CheckpointedProcessOperator<u64, u64, Buffering>;

fn operator(subtask: usize, p: usize, restore: Option<OperatorRestore>) -> (Op, Seen<u64>) {
    let (out, seen) = capture::<u64>();
    let ctx = BuildContext::for_tests("buffering", subtask, p, restore);
    let op = Op::new(Buffering::new(4), out, SideOutputs::default(), &ctx).unwrap();
    (op, seen)
}

fn snapshot(op: &mut Op) -> Vec<u8> {
    let mut chain = ChainSnapshot::new(7);
    op.checkpoint(&mut CheckpointCall::Snapshot(&mut chain))
        .unwrap();
    assert_eq!(chain.operators.len(), 1);
    let part = chain.operators.pop().unwrap();
    assert_eq!(part.uid, "buffering");
    assert!(part.keyed.is_none());
    part.operator.unwrap()
}

/// Two subtasks take 0..10 and 100..107 (emitting 4 at a time) and snapshot: subtask 0
/// holds 8, 9 and subtask 1 holds 104, 105, 106 in its buffer.
fn old_snapshots() -> (Vec<Vec<u8>>, Vec<u64>) {
    let mut emitted = Vec::new();
    let mut bytes = Vec::new();
    for (i, input) in [0..10u64, 100..107].into_iter().enumerate() {
        let (mut op, seen) = operator(i, 2, None);
        for v in input {
            op.collect(Record::Owned(v), 0).unwrap();
        }
        bytes.push(snapshot(&mut op));
        emitted.extend(seen.borrow().iter().map(|(v, _)| *v));
    }
    (bytes, emitted)
}

#[test]
fn a_split_list_state_is_neither_lost_nor_duplicated_at_another_parallelism() {
    for new_p in [3, 1, 2] {
        let (bytes, mut all) = old_snapshots();
        let restore = OperatorRestore {
            keyed: Vec::new(),
            operator: bytes,
            channels: None,
        };
        let mut shares = Vec::new();
        for i in 0..new_p {
            let (mut op, seen) = operator(i, new_p, Some(restore.clone()));
            shares.push(op.inner.function_mut().buffer.clone());
            let flushes = op.inner.function_mut().restored_flushes.clone();
            assert_eq!(flushes, [2, 1], "union: every subtask sees every old count");
            op.finish().unwrap();
            all.extend(seen.borrow().iter().map(|(v, _)| *v));
        }
        let sizes: Vec<usize> = shares.iter().map(Vec::len).collect();
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1 || new_p == 2);
        all.sort_unstable();
        let want: Vec<u64> = (0..10).chain(100..107).collect();
        assert_eq!(all, want, "2 -> {new_p}: shares {shares:?}");
    }
}

#[test]
fn damaged_restore_bytes_fail_the_operator_naming_uid_and_state() {
    let restore = OperatorRestore {
        keyed: Vec::new(),
        operator: vec![b"not a snapshot".to_vec()],
        channels: None,
    };
    let (out, _) = capture::<u64>();
    let ctx = BuildContext::for_tests("buffering", 0, 1, Some(restore));
    let err = Op::new(Buffering::new(4), out, SideOutputs::default(), &ctx)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("uid 'buffering'"), "{err}");
    assert!(err.contains("operator state 'buffer'"), "{err}");
}

#[test]
fn the_function_hears_of_completed_checkpoints_only() {
    let (mut op, _) = operator(0, 1, None);
    snapshot(&mut op);
    op.checkpoint(&mut CheckpointCall::Abort(6)).unwrap();
    op.checkpoint(&mut CheckpointCall::Complete(7)).unwrap();
    op.checkpoint(&mut CheckpointCall::Finished).unwrap();
    assert_eq!(op.inner.function_mut().completed, [7]);
}
