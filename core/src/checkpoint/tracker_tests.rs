use super::*;
use crate::checkpoint::barrier::CheckpointOptions;
use crate::checkpoint::Action::{Complete, TriggerCheckpoint};

fn b(id: u64) -> CheckpointBarrier {
    CheckpointBarrier::new(id, id as i64 * 1_000, CheckpointOptions::aligned())
}

fn abort(id: u64, reason: AbortReason) -> Action {
    Action::Abort { id, reason }
}

#[test]
fn never_blocks_and_triggers_at_the_last_barrier() {
    let mut t = CheckpointBarrierTracker::new(3, true);
    assert_eq!(t.on_barrier(0, b(1)), Ok(vec![]));
    assert_eq!(
        t.on_buffer(0),
        Ok(InFlight::Process),
        "read on after its barrier"
    );
    assert_eq!(t.on_barrier(2, b(1)), Ok(vec![]));
    assert_eq!(
        t.on_barrier(1, b(1)),
        Ok(vec![TriggerCheckpoint(b(1)), Complete(1)])
    );
    assert_eq!(t.pending_ids().count(), 0);
}

#[test]
fn several_checkpoints_are_followed_and_a_completing_one_subsumes_the_older() {
    let mut t = CheckpointBarrierTracker::new(2, true);
    t.on_barrier(0, b(1)).unwrap();
    t.on_barrier(0, b(2)).unwrap();
    assert_eq!(t.pending_ids().collect::<Vec<_>>(), [1, 2]);
    // Channel 1 skipped checkpoint 1.
    assert_eq!(
        t.on_barrier(1, b(2)),
        Ok(vec![
            abort(1, AbortReason::Subsumed),
            TriggerCheckpoint(b(2)),
            Complete(2)
        ])
    );
    assert_eq!(t.pending_ids().count(), 0);
    assert_eq!(t.latest_checkpoint_id(), Some(2));
}

#[test]
fn a_cancel_marker_aborts_once_and_absorbs_the_remaining_barriers() {
    let mut t = CheckpointBarrierTracker::new(3, true);
    t.on_barrier(0, b(1)).unwrap();
    assert_eq!(
        t.on_cancel(1, 1),
        Ok(vec![abort(1, AbortReason::CancelMarker)])
    );
    assert_eq!(t.pending_ids().collect::<Vec<_>>(), [1]);
    assert_eq!(t.on_barrier(2, b(1)), Ok(vec![]), "aborted: not triggered");
    assert_eq!(t.pending_ids().count(), 0, "every channel accounted for");
    t.on_barrier(0, b(2)).unwrap();
    t.on_barrier(1, b(2)).unwrap();
    assert_eq!(
        t.on_barrier(2, b(2)),
        Ok(vec![TriggerCheckpoint(b(2)), Complete(2)])
    );
}

#[test]
fn a_cancel_marker_of_a_newer_checkpoint_aborts_the_older_ones_too() {
    let mut t = CheckpointBarrierTracker::new(2, true);
    t.on_barrier(0, b(1)).unwrap();
    assert_eq!(
        t.on_cancel(1, 2),
        Ok(vec![
            abort(1, AbortReason::Subsumed),
            abort(2, AbortReason::CancelMarker)
        ])
    );
    assert_eq!(t.on_barrier(0, b(2)), Ok(vec![]));
    assert_eq!(t.pending_ids().count(), 0);
    assert_eq!(
        t.on_cancel(0, 2),
        Ok(vec![]),
        "trailing cancel of an aborted checkpoint"
    );
}

#[test]
fn an_ended_channel_counts_as_delivering_the_awaited_barriers() {
    let mut t = CheckpointBarrierTracker::new(2, true);
    t.on_barrier(0, b(1)).unwrap();
    t.on_barrier(0, b(2)).unwrap();
    assert_eq!(
        t.on_end_of_partition(1),
        Ok(vec![
            abort(1, AbortReason::Subsumed),
            TriggerCheckpoint(b(2)),
            Complete(2)
        ])
    );
    assert_eq!(
        t.on_barrier(0, b(3)),
        Ok(vec![TriggerCheckpoint(b(3)), Complete(3)])
    );
}

#[test]
fn without_checkpoints_after_finish_an_end_aborts_everything_pending() {
    let mut t = CheckpointBarrierTracker::new(3, false);
    t.on_barrier(0, b(1)).unwrap();
    t.on_barrier(0, b(2)).unwrap();
    assert_eq!(
        t.on_end_of_partition(2),
        Ok(vec![
            abort(1, AbortReason::InputEndOfStream),
            abort(2, AbortReason::InputEndOfStream)
        ])
    );
    assert_eq!(
        t.on_barrier(1, b(2)),
        Ok(vec![]),
        "forgotten: older than the newest"
    );
}

#[test]
fn the_oldest_is_dropped_beyond_the_pending_limit() {
    let mut t = CheckpointBarrierTracker::new(2, true);
    for id in 1..=MAX_PENDING_CHECKPOINTS as u64 {
        assert_eq!(t.on_barrier(0, b(id)), Ok(vec![]));
    }
    let next = MAX_PENDING_CHECKPOINTS as u64 + 1;
    assert_eq!(
        t.on_barrier(0, b(next)),
        Ok(vec![abort(1, AbortReason::TooManyPending)])
    );
    assert_eq!(t.pending_ids().count(), MAX_PENDING_CHECKPOINTS);
}

#[test]
fn the_task_aborts_a_pending_or_future_checkpoint() {
    let mut t = CheckpointBarrierTracker::new(2, true);
    t.on_barrier(0, b(1)).unwrap();
    assert_eq!(
        t.abort(1, AbortReason::Task),
        vec![abort(1, AbortReason::Task)]
    );
    assert_eq!(t.abort(1, AbortReason::Task), vec![]);
    assert_eq!(t.on_barrier(1, b(1)), Ok(vec![]));
    assert_eq!(
        t.abort(3, AbortReason::Task),
        vec![abort(3, AbortReason::Task)]
    );
    t.on_barrier(0, b(3)).unwrap();
    assert_eq!(
        t.on_barrier(1, b(3)),
        Ok(vec![]),
        "aborted before its barriers came"
    );
    assert_eq!(t.pending_ids().count(), 0);
}

#[test]
fn protocol_errors_are_reported_not_panicked() {
    let mut t = CheckpointBarrierTracker::new(1, true);
    t.on_barrier(0, b(1)).unwrap();
    assert_eq!(
        t.on_barrier(0, b(1)),
        Err(BarrierError::DuplicateBarrier { channel: 0, id: 1 })
    );
    assert!(matches!(
        t.on_barrier(3, b(2)),
        Err(BarrierError::ChannelOutOfRange { .. })
    ));
    t.on_end_of_partition(0).unwrap();
    assert!(matches!(
        t.on_buffer(0),
        Err(BarrierError::AfterEndOfPartition { .. })
    ));
}
