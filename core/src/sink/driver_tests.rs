//! The driver's protocol against an in-memory sink that logs every call.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use super::codec::{put_u32, put_u64, ByteReader, StateCodec};
use super::*;
use crate::record::Record;

#[derive(Debug, Clone, PartialEq, Eq)]
struct MemTxn {
    id: u64,
    items: Vec<i64>,
}

impl StateCodec for MemTxn {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, self.id);
        put_u32(out, self.items.len() as u32);
        for i in &self.items {
            put_u64(out, *i as u64);
        }
    }
    fn decode(input: &mut ByteReader<'_>) -> Result<Self, StateDecodeError> {
        let id = input.u64("id")?;
        let n = input.u32("count")?;
        let items = (0..n)
            .map(|_| input.u64("item").map(|v| v as i64))
            .collect::<Result<_, _>>()?;
        Ok(Self { id, items })
    }
}

/// The "external system": survives the driver, as a database would.
#[derive(Default)]
struct Store {
    next_id: u64,
    committed: Vec<i64>,
    committed_ids: BTreeSet<u64>,
    log: Vec<String>,
    fail_commits: bool,
}

struct MemSink(Rc<RefCell<Store>>);

impl TwoPhaseCommitSink<i64> for MemSink {
    type Transaction = MemTxn;
    fn begin_transaction(&mut self) -> Result<MemTxn, SinkError> {
        let mut s = self.0.borrow_mut();
        s.next_id += 1;
        let id = s.next_id;
        s.log.push(format!("begin {id}"));
        Ok(MemTxn { id, items: vec![] })
    }
    fn write(&mut self, txn: &mut MemTxn, r: &Record<'_, i64>, _ts: i64) -> Result<(), SinkError> {
        txn.items.push(
            r.with_value(|v| *v)
                .map_err(crate::operator::OperatorError::from)?,
        );
        Ok(())
    }
    fn pre_commit(&mut self, txn: &mut MemTxn) -> Result<(), SinkError> {
        self.0
            .borrow_mut()
            .log
            .push(format!("pre_commit {}", txn.id));
        Ok(())
    }
    fn commit(&mut self, txn: &MemTxn) -> Result<(), SinkError> {
        let mut s = self.0.borrow_mut();
        if s.fail_commits {
            return Err(SinkError::Lifecycle {
                call: "commit",
                phase: "failing on purpose",
            });
        }
        s.log.push(format!("commit {}", txn.id));
        if s.committed_ids.insert(txn.id) {
            s.committed.extend(&txn.items);
        }
        Ok(())
    }
    fn abort(&mut self, txn: &MemTxn) -> Result<(), SinkError> {
        self.0.borrow_mut().log.push(format!("abort {}", txn.id));
        Ok(())
    }
    fn recover_and_commit(&mut self, txn: &MemTxn) -> Result<(), SinkError> {
        self.0
            .borrow_mut()
            .log
            .push(format!("recover_and_commit {}", txn.id));
        self.commit(txn)
    }
    fn recover_and_abort(&mut self, txn: &MemTxn) -> Result<(), SinkError> {
        self.0
            .borrow_mut()
            .log
            .push(format!("recover_and_abort {}", txn.id));
        Ok(())
    }
    fn finish_recovery(&mut self) -> Result<(), SinkError> {
        self.0.borrow_mut().log.push("finish_recovery".into());
        Ok(())
    }
}

type Driver = TwoPhaseCommitDriver<i64, MemSink>;

fn driver(store: &Rc<RefCell<Store>>, commit_on: CommitOn) -> Driver {
    let mut d = TwoPhaseCommitDriver::new(MemSink(store.clone()), commit_on);
    d.initialize(None).unwrap();
    d
}

fn write(d: &mut Driver, values: &[i64]) {
    for v in values {
        d.write(&Record::Owned(*v), 0).unwrap();
    }
}

fn committed(store: &Rc<RefCell<Store>>) -> Vec<i64> {
    store.borrow().committed.clone()
}

#[test]
fn completion_commits_every_pending_transaction_up_to_it_oldest_first() {
    let store = Rc::default();
    let mut d = driver(&store, CommitOn::Checkpoints);
    write(&mut d, &[1]);
    d.snapshot(1).unwrap();
    write(&mut d, &[2]);
    d.snapshot(2).unwrap();
    write(&mut d, &[3]);
    d.snapshot(3).unwrap();
    assert!(committed(&store).is_empty());
    d.notify_checkpoint_complete(2).unwrap();
    assert_eq!(committed(&store), vec![1, 2]);
    assert_eq!(d.pending_checkpoints().collect::<Vec<_>>(), vec![3]);
    // A late notification of an older checkpoint changes nothing.
    d.notify_checkpoint_complete(1).unwrap();
    d.notify_checkpoint_complete(3).unwrap();
    assert_eq!(committed(&store), vec![1, 2, 3]);
}

#[test]
fn an_aborted_checkpoint_keeps_its_data_for_the_next() {
    let store = Rc::default();
    let mut d = driver(&store, CommitOn::Checkpoints);
    write(&mut d, &[1, 2]);
    d.snapshot(1).unwrap();
    d.notify_checkpoint_aborted(1);
    write(&mut d, &[3]);
    let state = d.snapshot(2).unwrap();
    assert_eq!(
        state.pending.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![1, 2]
    );
    d.notify_checkpoint_complete(2).unwrap();
    assert_eq!(committed(&store), vec![1, 2, 3]);
}

#[test]
fn recovery_commits_pending_transactions_then_aborts_the_open_one() {
    let store: Rc<RefCell<Store>> = Rc::default();
    let mut d = driver(&store, CommitOn::Checkpoints);
    write(&mut d, &[1]);
    d.snapshot(1).unwrap();
    write(&mut d, &[2]);
    let state = d.snapshot(2).unwrap().to_bytes();
    write(&mut d, &[3]);
    drop(d); // the checkpoint completed, the notification was lost
    store.borrow_mut().log.clear();
    let mut d = TwoPhaseCommitDriver::new(MemSink(store.clone()), CommitOn::Checkpoints);
    d.initialize_from_bytes(Some(&state)).unwrap();
    assert_eq!(
        store.borrow().log,
        [
            "recover_and_commit 1",
            "commit 1",
            "recover_and_commit 2",
            "commit 2",
            "recover_and_abort 3",
            "finish_recovery",
            "begin 4"
        ]
    );
    assert_eq!(committed(&store), vec![1, 2]);
    // Restoring the same state again (a second failure) commits nothing twice.
    let mut d = TwoPhaseCommitDriver::new(MemSink(store.clone()), CommitOn::Checkpoints);
    d.initialize_from_bytes(Some(&state)).unwrap();
    assert_eq!(committed(&store), vec![1, 2]);
}

#[test]
fn without_checkpoints_the_end_of_input_commits_everything() {
    let store = Rc::default();
    let mut d = driver(&store, CommitOn::EndOfInput);
    write(&mut d, &[1, 2, 3]);
    d.finish().unwrap();
    assert_eq!(committed(&store), vec![1, 2, 3]);
    d.close().unwrap();
}

#[test]
fn with_checkpoints_the_end_of_input_waits_for_the_final_checkpoint() {
    let store = Rc::default();
    let mut d = driver(&store, CommitOn::Checkpoints);
    write(&mut d, &[1, 2]);
    d.finish().unwrap();
    assert!(committed(&store).is_empty());
    let e = d.write(&Record::Owned(3), 0).unwrap_err();
    assert!(e.to_string().contains("write while finished"), "{e}");
    d.snapshot(7).unwrap();
    d.notify_checkpoint_complete(7).unwrap();
    assert_eq!(committed(&store), vec![1, 2]);
    d.close().unwrap();
}

#[test]
fn close_aborts_the_open_transaction_and_leaves_pending_ones() {
    let store: Rc<RefCell<Store>> = Rc::default();
    let mut d = driver(&store, CommitOn::Checkpoints);
    write(&mut d, &[1]);
    d.snapshot(1).unwrap();
    write(&mut d, &[2]);
    d.close().unwrap();
    let log = store.borrow().log.clone();
    assert_eq!(log.last().map(String::as_str), Some("abort 2"));
    assert!(committed(&store).is_empty());
    assert_eq!(d.pending_checkpoints().collect::<Vec<_>>(), vec![1]);
}

#[test]
fn a_failed_commit_stays_pending_and_succeeds_on_retry() {
    let store: Rc<RefCell<Store>> = Rc::default();
    let mut d = driver(&store, CommitOn::Checkpoints);
    write(&mut d, &[1]);
    d.snapshot(1).unwrap();
    store.borrow_mut().fail_commits = true;
    assert!(d.notify_checkpoint_complete(1).is_err());
    assert_eq!(d.pending_checkpoints().collect::<Vec<_>>(), vec![1]);
    store.borrow_mut().fail_commits = false;
    d.notify_checkpoint_complete(1).unwrap();
    assert_eq!(committed(&store), vec![1]);
}

#[test]
fn calls_out_of_order_are_refused() {
    let store: Rc<RefCell<Store>> = Rc::default();
    let mut d = TwoPhaseCommitDriver::new(MemSink(store.clone()), CommitOn::Checkpoints);
    let e = d.write(&Record::Owned(1), 0).unwrap_err();
    assert!(e.to_string().contains("write while not initialized"), "{e}");
    d.initialize(None).unwrap();
    assert!(d.initialize(None).is_err());
    d.snapshot(3).unwrap();
    let e = d.snapshot(3).unwrap_err();
    assert!(e.to_string().contains("not above the previous"), "{e}");
    d.close().unwrap();
    assert!(d.snapshot(4).is_err());
}

#[test]
fn bad_state_bytes_fail_initialization_with_a_clear_error() {
    let store: Rc<RefCell<Store>> = Rc::default();
    let mut d = TwoPhaseCommitDriver::new(MemSink(store), CommitOn::Checkpoints);
    let e = d.initialize_from_bytes(Some(&[1, 4, 0])).unwrap_err();
    assert!(matches!(e, SinkError::State(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "sink state, byte 1: truncated: current transaction needs 4 bytes, 2 left"
    );
}
