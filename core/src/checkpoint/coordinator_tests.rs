use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use proptest::prelude::*;

use super::*;
use crate::config::fault_tolerance::{CheckpointingMode, ExternalizedRetention};

fn settings(interval: u64, min_pause: u64, max_concurrent: u32) -> CheckpointSettings {
    CheckpointSettings {
        interval: Duration::from_millis(interval),
        mode: CheckpointingMode::ExactlyOnce,
        timeout: Duration::from_millis(1_000),
        min_pause: Duration::from_millis(min_pause),
        max_concurrent,
        tolerable_failures: 1,
        retention: ExternalizedRetention::NoExternalizedCheckpoints,
        num_retained: 2,
        directory: PathBuf::from("/cp"),
        unaligned: false,
        aligned_timeout: Duration::ZERO,
    }
}

fn trigger(id: u64, t: u64) -> Action {
    Action::Trigger {
        id,
        timestamp_ms: t,
        kind: CheckpointKind::Checkpoint,
    }
}

fn complete(id: u64) -> Action {
    Action::Complete {
        id,
        kind: CheckpointKind::Checkpoint,
    }
}

#[test]
fn checkpoints_start_every_interval_and_complete_when_every_task_acked() {
    let mut c = Coordinator::new(settings(100, 0, 1), 2, 1);
    assert_eq!(c.poll(0), [trigger(1, 0)]);
    assert_eq!(c.poll(100), [], "one at a time");
    assert_eq!(c.on_ack(1, 0, 120).unwrap(), []);
    assert_eq!(
        c.on_ack(1, 0, 121).unwrap(),
        [],
        "a repeated ack changes nothing"
    );
    assert_eq!(c.on_ack(1, 1, 130).unwrap(), [complete(1)]);
    // The next one is due an interval after the previous start.
    assert_eq!(c.next_trigger_ms(), Some(100));
    assert_eq!(c.poll(130), [trigger(2, 130)]);
    assert_eq!(c.on_ack(7, 0, 140).unwrap(), [], "unknown ids are ignored");
    assert!(matches!(
        c.on_ack(2, 5, 140),
        Err(CoordinatorError::UnknownTask { task: 5, tasks: 2 })
    ));
}

#[test]
fn min_pause_counts_from_the_last_completion() {
    let mut c = Coordinator::new(settings(100, 500, 3), 1, 1);
    assert_eq!(c.poll(0), [trigger(1, 0)]);
    assert_eq!(c.poll(150), [], "a pause means one at a time");
    assert_eq!(c.on_ack(1, 0, 300).unwrap(), [complete(1)]);
    assert_eq!(c.next_trigger_ms(), Some(800));
    assert_eq!(c.poll(799), []);
    assert_eq!(c.poll(800), [trigger(2, 800)]);
}

#[test]
fn concurrent_checkpoints_and_subsumption() {
    let mut c = Coordinator::new(settings(100, 0, 2), 1, 10);
    assert_eq!(c.poll(0), [trigger(10, 0)]);
    assert_eq!(c.poll(100), [trigger(11, 100)]);
    assert_eq!(c.poll(200), [], "two pending at most");
    // The later one completes first: the earlier is subsumed, not a failure.
    assert_eq!(
        c.on_ack(11, 0, 250).unwrap(),
        [
            complete(11),
            Action::Abort {
                id: 10,
                reason: AbortReason::Subsumed
            }
        ]
    );
    assert_eq!(c.on_ack(10, 0, 260).unwrap(), []);
}

#[test]
fn expiry_and_declines_fail_the_job_past_the_tolerance() {
    let mut c = Coordinator::new(settings(100, 0, 1), 1, 1);
    assert_eq!(c.poll(0), [trigger(1, 0)]);
    assert_eq!(c.next_expiry(), Some(1_000));
    // Expired: a first failure (one is tolerated), and the next starts at once.
    assert_eq!(
        c.poll(1_000),
        [
            Action::Abort {
                id: 1,
                reason: AbortReason::Expired
            },
            trigger(2, 1_000)
        ]
    );
    let declined = AbortReason::Declined {
        task: 0,
        reason: "disk full".into(),
    };
    assert_eq!(
        c.on_decline(2, 0, "disk full".into()).unwrap(),
        [
            Action::Abort {
                id: 2,
                reason: declined.clone()
            },
            Action::FailJob {
                failures: 2,
                last: declined
            }
        ]
    );
    assert_eq!(c.next_trigger_ms(), None, "a failed job starts no more");
}

#[test]
fn a_completion_resets_the_failure_count() {
    let mut c = Coordinator::new(settings(100, 0, 1), 1, 1);
    c.poll(0);
    c.on_decline(1, 0, "x".into()).unwrap();
    c.poll(100);
    c.on_ack(2, 0, 110).unwrap();
    c.poll(200);
    let out = c.on_decline(3, 0, "y".into()).unwrap();
    assert!(
        !out.iter().any(|a| matches!(a, Action::FailJob { .. })),
        "{out:?}"
    );
}

#[test]
fn only_the_last_completed_checkpoints_are_retained() {
    let mut c = Coordinator::new(settings(10, 0, 1), 1, 1);
    let mut retired = Vec::new();
    for i in 0..4u64 {
        c.poll(i * 10);
        for a in c.on_ack(i + 1, 0, i * 10 + 1).unwrap() {
            if let Action::Retire { id } = a {
                retired.push(id);
            }
        }
    }
    assert_eq!(retired, [1, 2]);
    assert_eq!(c.retained().collect::<Vec<_>>(), [3, 4]);
}

#[test]
fn savepoints_bypass_the_limits_and_are_not_retained_or_subsumed() {
    let mut c = Coordinator::new(settings(100, 0, 1), 1, 1);
    assert_eq!(c.poll(0), [trigger(1, 0)]);
    let sp = c.trigger_savepoint(10).unwrap();
    assert_eq!(
        sp,
        Action::Trigger {
            id: 2,
            timestamp_ms: 10,
            kind: CheckpointKind::Savepoint
        }
    );
    assert_eq!(
        c.trigger_savepoint(11),
        Err(CoordinatorError::SavepointPending(2))
    );
    // The savepoint completes first; the earlier checkpoint is subsumed by it.
    let out = c.on_ack(2, 0, 20).unwrap();
    assert_eq!(
        out[0],
        Action::Complete {
            id: 2,
            kind: CheckpointKind::Savepoint
        }
    );
    assert_eq!(c.retained().count(), 0);
    assert_eq!(c.abort_all(), []);
}

#[derive(Debug, Clone)]
enum Event {
    Tick(u64),
    Ack(usize),
    Decline(usize),
    Savepoint,
}

fn events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(
        prop_oneof![
            (1u64..400).prop_map(Event::Tick),
            (0usize..3).prop_map(Event::Ack),
            (0usize..3).prop_map(Event::Decline),
            Just(Event::Savepoint),
        ],
        1..200,
    )
}

proptest! {
    /// Over any interleaving of time, acknowledgements and declines: ids increase; a
    /// checkpoint completes only once every task acknowledged it, ends at most once, and
    /// only if it started; the concurrency limit and the minimum pause hold; at most
    /// `num-retained` are retained; the job fails once, exactly when failures in a row
    /// exceed the tolerance.
    #[test]
    fn coordinator_invariants(
        evs in events(),
        interval in 10u64..300,
        pause in prop_oneof![Just(0u64), 1u64..300],
        max_concurrent in 1u32..4,
        tasks in 1usize..4,
    ) {
        let s = settings(interval, pause, max_concurrent);
        let mut c = Coordinator::new(s.clone(), tasks, 1);
        let mut now = 0u64;
        let mut started: BTreeMap<u64, (CheckpointKind, u64)> = BTreeMap::new();
        let mut acked: BTreeMap<u64, BTreeSet<usize>> = BTreeMap::new();
        let mut ended: BTreeSet<u64> = BTreeSet::new();
        let mut last_id = 0;
        let mut last_completion: Option<u64> = None;
        let mut in_a_row = 0u32;
        let mut failed = false;
        let mut step = 0usize;
        for ev in evs {
            step += 1;
            let out = match ev {
                Event::Tick(dt) => { now += dt; c.poll(now) }
                Event::Ack(t) => {
                    let task = t % tasks;
                    // Ack the oldest pending checkpoint this task has not acked.
                    let id = started.keys().copied().find(|id| {
                        !ended.contains(id) && !acked.get(id).is_some_and(|a| a.contains(&task))
                    });
                    match id {
                        Some(id) => {
                            acked.entry(id).or_default().insert(task);
                            c.on_ack(id, task, now).unwrap()
                        }
                        None => Vec::new(),
                    }
                }
                Event::Decline(t) => {
                    let id = started.keys().copied().rev().find(|id| !ended.contains(id));
                    match id {
                        Some(id) => c.on_decline(id, t % tasks, format!("step {step}")).unwrap(),
                        None => Vec::new(),
                    }
                }
                Event::Savepoint => c.trigger_savepoint(now).map(|a| vec![a]).unwrap_or_default(),
            };
            for a in out {
                match a {
                    Action::Trigger { id, timestamp_ms, kind } => {
                        prop_assert!(id > last_id);
                        last_id = id;
                        prop_assert_eq!(timestamp_ms, now);
                        if kind == CheckpointKind::Checkpoint {
                            let periodic_pending = started.iter()
                                .filter(|(i, (k, _))| *k == CheckpointKind::Checkpoint && !ended.contains(i))
                                .count();
                            prop_assert!(periodic_pending < max_concurrent as usize);
                            if pause > 0 {
                                prop_assert_eq!(periodic_pending, 0);
                                if let Some(t) = last_completion {
                                    prop_assert!(now >= t + pause);
                                }
                            }
                        }
                        started.insert(id, (kind, now));
                    }
                    Action::Complete { id, kind } => {
                        prop_assert!(started.get(&id).map(|s| s.0) == Some(kind));
                        prop_assert!(ended.insert(id), "ended twice: {}", id);
                        prop_assert_eq!(acked.get(&id).map_or(0, |a| a.len()), tasks);
                        last_completion = Some(now);
                        in_a_row = 0;
                    }
                    Action::Abort { id, reason } => {
                        prop_assert!(started.contains_key(&id));
                        prop_assert!(ended.insert(id), "ended twice: {}", id);
                        if let AbortReason::Expired = reason {
                            prop_assert!(now >= started[&id].1 + 1_000);
                        }
                        if reason.is_failure() && started[&id].0 == CheckpointKind::Checkpoint {
                            in_a_row += 1;
                        }
                    }
                    Action::Retire { id } => {
                        prop_assert!(ended.contains(&id));
                    }
                    Action::FailJob { failures, .. } => {
                        prop_assert!(!failed, "failed twice");
                        failed = true;
                        prop_assert_eq!(failures, in_a_row);
                        prop_assert!(failures > s.tolerable_failures);
                    }
                }
            }
            prop_assert!(c.retained().count() <= s.num_retained as usize);
            if !failed {
                prop_assert!(in_a_row <= s.tolerable_failures);
            }
        }
    }
}
