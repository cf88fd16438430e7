use super::*;
use crate::checkpoint::barrier::CheckpointOptions;
use crate::checkpoint::Action::{Block, Complete, StopPersisting, TriggerCheckpoint, Unblock};
use BarrierHandlerState as S;

fn aligned(id: u64) -> CheckpointBarrier {
    CheckpointBarrier::new(id, id as i64 * 1_000, CheckpointOptions::aligned())
}

fn unaligned(id: u64) -> CheckpointBarrier {
    CheckpointBarrier::new(id, id as i64 * 1_000, CheckpointOptions::unaligned())
}

/// Started at `id * 1000`, timing out 50 ms later.
fn with_timeout(id: u64) -> CheckpointBarrier {
    CheckpointBarrier::new(
        id,
        id as i64 * 1_000,
        CheckpointOptions::aligned_with_timeout(50),
    )
}

fn persist(channel: usize, checkpoint_id: u64) -> Action {
    Action::PersistInFlight {
        channel,
        checkpoint_id,
    }
}

fn stop(channel: usize, checkpoint_id: u64) -> Action {
    StopPersisting {
        channel,
        checkpoint_id,
    }
}

fn abort(id: u64, reason: AbortReason) -> Action {
    Action::Abort { id, reason }
}

fn aligned_only(channels: usize) -> SingleCheckpointBarrierHandler {
    SingleCheckpointBarrierHandler::new(channels, false, true)
}

fn alternating(channels: usize) -> SingleCheckpointBarrierHandler {
    SingleCheckpointBarrierHandler::new(channels, true, true)
}

#[test]
fn aligned_blocks_each_channel_at_its_barrier_and_unblocks_all_at_the_last() {
    let mut h = aligned_only(3);
    assert_eq!(h.on_barrier(0, aligned(1), 0), Ok(vec![Block(0)]));
    assert_eq!(h.state(), &S::CollectingBarriers(aligned(1)));
    assert_eq!(h.on_barrier(2, aligned(1), 0), Ok(vec![Block(2)]));
    assert!(h.is_blocked(0) && h.is_blocked(2) && !h.is_blocked(1));
    assert_eq!(
        h.on_buffer(0, 10),
        Err(BarrierError::ReadFromBlockedChannel { channel: 0, id: 1 })
    );
    assert_eq!(h.on_buffer(1, 10), Ok(InFlight::Process));
    assert_eq!(
        h.on_barrier(1, aligned(1), 0),
        Ok(vec![
            TriggerCheckpoint(aligned(1)),
            Unblock(0),
            Unblock(2),
            Complete(1)
        ])
    );
    assert_eq!(h.state(), &S::WaitingForFirstBarrier);
    assert!((0..3).all(|ch| !h.is_blocked(ch)));
    assert_eq!(h.on_buffer(0, 10), Ok(InFlight::Process));
}

#[test]
fn a_single_channel_triggers_and_completes_without_blocking() {
    let mut h = aligned_only(1);
    assert_eq!(
        h.on_barrier(0, aligned(7), 0),
        Ok(vec![TriggerCheckpoint(aligned(7)), Complete(7)])
    );
    assert_eq!(h.latest_checkpoint_id(), Some(7));
}

#[test]
fn a_newer_barrier_aborts_the_older_checkpoint_and_starts_its_own() {
    let mut h = aligned_only(3);
    h.on_barrier(0, aligned(1), 0).unwrap();
    // Channel 1 skipped checkpoint 1 (say its upstream was restarted).
    assert_eq!(
        h.on_barrier(1, aligned(2), 0),
        Ok(vec![Unblock(0), abort(1, AbortReason::Subsumed), Block(1)])
    );
    assert_eq!(h.state(), &S::CollectingBarriers(aligned(2)));
    assert_eq!(h.on_barrier(2, aligned(1), 0), Ok(vec![]), "older: ignored");
    assert_eq!(h.on_barrier(0, aligned(2), 0), Ok(vec![Block(0)]));
    assert_eq!(
        h.on_barrier(2, aligned(2), 0),
        Ok(vec![
            TriggerCheckpoint(aligned(2)),
            Unblock(0),
            Unblock(1),
            Complete(2)
        ])
    );
}

#[test]
fn a_cancel_marker_aborts_the_pending_checkpoint_and_its_later_barriers_are_ignored() {
    let mut h = aligned_only(3);
    h.on_barrier(0, aligned(1), 0).unwrap();
    assert_eq!(
        h.on_cancel(1, 1),
        Ok(vec![Unblock(0), abort(1, AbortReason::CancelMarker)])
    );
    assert_eq!(h.state(), &S::WaitingForFirstBarrier);
    assert_eq!(h.on_barrier(2, aligned(1), 0), Ok(vec![]));
    assert_eq!(h.on_cancel(2, 1), Ok(vec![]), "already aborted");
}

#[test]
fn a_cancel_marker_of_a_newer_checkpoint_aborts_it_before_its_barriers_come() {
    let mut h = aligned_only(2);
    h.on_barrier(0, aligned(1), 0).unwrap();
    assert_eq!(
        h.on_cancel(1, 3),
        Ok(vec![
            Unblock(0),
            abort(1, AbortReason::Subsumed),
            abort(3, AbortReason::CancelMarker)
        ])
    );
    assert_eq!(h.latest_checkpoint_id(), Some(3));
    assert_eq!(
        h.on_barrier(0, aligned(3), 0),
        Ok(vec![]),
        "aborted already"
    );
    assert_eq!(h.on_barrier(0, aligned(4), 0), Ok(vec![Block(0)]));
    assert_eq!(h.on_cancel(1, 2), Ok(vec![]), "older than the newest seen");
}

#[test]
fn the_end_of_an_unblocked_channel_counts_as_its_barrier() {
    let mut h = aligned_only(3);
    h.on_barrier(0, aligned(1), 0).unwrap();
    assert_eq!(h.on_end_of_partition(1), Ok(vec![]));
    assert_eq!(
        h.on_barrier(2, aligned(1), 0),
        Ok(vec![TriggerCheckpoint(aligned(1)), Unblock(0), Complete(1)])
    );
    // The ended channel is not waited for by later checkpoints either.
    h.on_barrier(0, aligned(2), 0).unwrap();
    assert_eq!(
        h.on_barrier(2, aligned(2), 0),
        Ok(vec![TriggerCheckpoint(aligned(2)), Unblock(0), Complete(2)])
    );
}

#[test]
fn the_end_of_the_last_awaited_channel_completes_the_checkpoint() {
    let mut h = aligned_only(2);
    h.on_barrier(0, aligned(1), 0).unwrap();
    assert_eq!(
        h.on_end_of_partition(1),
        Ok(vec![TriggerCheckpoint(aligned(1)), Unblock(0), Complete(1)])
    );
}

#[test]
fn the_end_of_a_blocked_channel_unblocks_it_and_alignment_goes_on() {
    let mut h = aligned_only(2);
    h.on_barrier(0, aligned(1), 0).unwrap();
    assert_eq!(h.on_end_of_partition(0), Ok(vec![Unblock(0)]));
    assert!(!h.is_blocked(0));
    assert_eq!(
        h.on_barrier(1, aligned(1), 0),
        Ok(vec![TriggerCheckpoint(aligned(1)), Complete(1)])
    );
}

#[test]
fn without_checkpoints_after_finish_an_end_aborts_the_pending_checkpoint() {
    let mut h = SingleCheckpointBarrierHandler::new(3, false, false);
    assert_eq!(h.on_end_of_partition(2), Ok(vec![]), "nothing pending");
    h.on_barrier(0, aligned(1), 0).unwrap();
    assert_eq!(
        h.on_end_of_partition(1),
        Ok(vec![Unblock(0), abort(1, AbortReason::InputEndOfStream)])
    );
    assert_eq!(
        h.on_barrier(0, aligned(2), 0),
        Ok(vec![TriggerCheckpoint(aligned(2)), Complete(2)])
    );
}

#[test]
fn unaligned_triggers_at_the_first_barrier_and_persists_the_other_channels() {
    let mut h = alternating(3);
    assert_eq!(
        h.on_barrier(1, unaligned(1), 0),
        Ok(vec![
            TriggerCheckpoint(unaligned(1)),
            persist(0, 1),
            persist(2, 1)
        ])
    );
    assert_eq!(
        h.state(),
        &S::AlternatingCollectingBarriersUnaligned(unaligned(1))
    );
    assert_eq!(
        h.on_buffer(0, 100),
        Ok(InFlight::Persist { checkpoint_id: 1 })
    );
    assert_eq!(
        h.on_buffer(1, 10),
        Ok(InFlight::Process),
        "after its barrier"
    );
    assert_eq!(h.on_barrier(0, unaligned(1), 0), Ok(vec![stop(0, 1)]));
    assert_eq!(h.on_buffer(0, 100), Ok(InFlight::Process));
    assert_eq!(
        h.on_buffer(2, 20),
        Ok(InFlight::Persist { checkpoint_id: 1 })
    );
    assert_eq!(
        h.on_barrier(2, unaligned(1), 0),
        Ok(vec![stop(2, 1), Complete(1)])
    );
    assert_eq!(h.state(), &S::AlternatingWaitingForFirstBarrier);
    assert_eq!(h.persisted_bytes(), 120);
    assert!((0..3).all(|ch| !h.is_blocked(ch) && !h.is_persisting(ch)));
}

#[test]
fn unaligned_the_end_of_a_persisted_channel_stops_persisting_it() {
    let mut h = alternating(2);
    h.on_barrier(0, unaligned(1), 0).unwrap();
    assert_eq!(h.on_end_of_partition(1), Ok(vec![stop(1, 1), Complete(1)]));
}

#[test]
fn unaligned_a_newer_barrier_stops_the_older_recording_and_starts_its_own() {
    let mut h = alternating(3);
    h.on_barrier(0, unaligned(1), 0).unwrap();
    assert_eq!(
        h.on_barrier(0, unaligned(2), 0),
        Ok(vec![
            stop(1, 1),
            stop(2, 1),
            abort(1, AbortReason::Subsumed),
            TriggerCheckpoint(unaligned(2)),
            persist(1, 2),
            persist(2, 2)
        ])
    );
}

#[test]
fn the_aligned_timeout_switches_to_unaligned_on_the_tick_that_reaches_it() {
    let mut h = alternating(3);
    let b = with_timeout(1); // started at 1000, deadline 1050
    assert_eq!(h.on_barrier(0, b, 1_010), Ok(vec![Block(0)]));
    assert_eq!(h.state(), &S::AlternatingCollectingBarriers(b));
    assert_eq!(h.next_deadline_ms(), Some(1_050));
    assert_eq!(h.on_tick(1_049), vec![]);
    assert_eq!(
        h.on_tick(1_050),
        vec![
            TriggerCheckpoint(b.as_unaligned()),
            persist(1, 1),
            persist(2, 1),
            Unblock(0)
        ]
    );
    assert_eq!(
        h.state(),
        &S::AlternatingCollectingBarriersUnaligned(b.as_unaligned())
    );
    assert_eq!(h.next_deadline_ms(), None);
    assert_eq!(h.on_tick(2_000), vec![], "switched once");
    // The others' barriers are still aligned ones: they only end the recording.
    assert_eq!(h.on_barrier(1, b, 1_060), Ok(vec![stop(1, 1)]));
    assert_eq!(h.on_barrier(2, b, 1_070), Ok(vec![stop(2, 1), Complete(1)]));
    assert_eq!(h.state(), &S::AlternatingWaitingForFirstBarrier);
}

#[test]
fn a_first_barrier_already_past_the_timeout_triggers_unaligned_at_once() {
    let mut h = alternating(3);
    let b = with_timeout(1);
    assert_eq!(
        h.on_barrier(2, b, 1_050),
        Ok(vec![
            TriggerCheckpoint(b.as_unaligned()),
            persist(0, 1),
            persist(1, 1)
        ])
    );
}

#[test]
fn a_later_barrier_past_the_timeout_switches_before_the_tick() {
    let mut h = alternating(3);
    let b = with_timeout(1);
    h.on_barrier(0, b, 1_010).unwrap();
    assert_eq!(
        h.on_barrier(1, b, 1_060),
        Ok(vec![
            TriggerCheckpoint(b.as_unaligned()),
            persist(2, 1),
            Unblock(0)
        ])
    );
}

#[test]
fn the_last_barrier_past_the_timeout_still_completes_aligned() {
    let mut h = alternating(2);
    let b = with_timeout(1);
    h.on_barrier(0, b, 1_010).unwrap();
    assert_eq!(
        h.on_barrier(1, b, 5_000),
        Ok(vec![TriggerCheckpoint(b), Unblock(0), Complete(1)])
    );
}

#[test]
fn an_unaligned_barrier_from_an_upstream_that_switched_switches_here_too() {
    let mut h = alternating(3);
    let b = with_timeout(1);
    h.on_barrier(0, b, 1_010).unwrap();
    assert_eq!(
        h.on_barrier(1, b.as_unaligned(), 1_020),
        Ok(vec![
            TriggerCheckpoint(b.as_unaligned()),
            persist(2, 1),
            Unblock(0)
        ])
    );
    assert_eq!(h.on_barrier(2, b, 1_030), Ok(vec![stop(2, 1), Complete(1)]));
}

#[test]
fn a_savepoint_stays_aligned_whatever_the_time() {
    let mut h = alternating(2);
    let sp = CheckpointBarrier::new(1, 1_000, CheckpointOptions::savepoint());
    assert_eq!(h.on_barrier(0, sp, 90_000), Ok(vec![Block(0)]));
    assert_eq!(h.next_deadline_ms(), None);
    assert_eq!(h.on_tick(i64::MAX), vec![]);
    assert_eq!(
        h.on_barrier(1, sp, 90_000),
        Ok(vec![TriggerCheckpoint(sp), Unblock(0), Complete(1)])
    );
}

#[test]
fn the_task_aborts_the_pending_checkpoint_or_a_future_one() {
    let mut h = alternating(2);
    h.on_barrier(0, unaligned(1), 0).unwrap();
    assert_eq!(
        h.abort(1, AbortReason::Task),
        vec![stop(1, 1), abort(1, AbortReason::Task)]
    );
    assert_eq!(h.abort(1, AbortReason::Task), vec![], "once");
    assert_eq!(
        h.abort(4, AbortReason::Task),
        vec![abort(4, AbortReason::Task)]
    );
    assert_eq!(h.on_barrier(0, unaligned(4), 0), Ok(vec![]));
}

#[test]
fn protocol_errors_name_the_channel_and_change_nothing() {
    let mut h = aligned_only(2);
    assert_eq!(
        h.on_barrier(2, aligned(1), 0),
        Err(BarrierError::ChannelOutOfRange {
            channel: 2,
            channels: 2
        })
    );
    assert_eq!(h.on_barrier(0, aligned(2), 0), Ok(vec![Block(0)]));
    assert_eq!(
        h.on_barrier(0, aligned(2), 0),
        Err(BarrierError::DuplicateBarrier { channel: 0, id: 2 })
    );
    assert_eq!(
        h.on_barrier(0, aligned(1), 0),
        Err(BarrierError::BarrierOutOfOrder {
            channel: 0,
            id: 1,
            last: 2
        })
    );
    assert_eq!(
        h.on_barrier(1, unaligned(2), 0),
        Err(BarrierError::UnalignedDisabled { channel: 1, id: 2 })
    );
    assert_eq!(h.state(), &S::CollectingBarriers(aligned(2)));
    assert!(h.is_blocked(0) && !h.is_blocked(1));
    let err = h.on_barrier(0, aligned(2), 0).unwrap_err().to_string();
    assert!(
        err.contains("channel 0") && err.contains("checkpoint 2"),
        "{err}"
    );

    let mut h = aligned_only(2);
    h.on_end_of_partition(1).unwrap();
    let after_end = BarrierError::AfterEndOfPartition {
        channel: 1,
        what: "a checkpoint barrier",
    };
    assert_eq!(h.on_barrier(1, aligned(1), 0), Err(after_end));
    assert!(matches!(
        h.on_end_of_partition(1),
        Err(BarrierError::AfterEndOfPartition { .. })
    ));
    assert!(matches!(
        h.on_cancel(1, 1),
        Err(BarrierError::AfterEndOfPartition { .. })
    ));
    assert!(matches!(
        h.on_buffer(1, 1),
        Err(BarrierError::AfterEndOfPartition { .. })
    ));
    assert!(matches!(
        h.on_cancel(5, 1),
        Err(BarrierError::ChannelOutOfRange { .. })
    ));
}

#[test]
fn a_duplicate_barrier_after_the_checkpoint_completed_is_still_an_error() {
    let mut h = aligned_only(1);
    h.on_barrier(0, aligned(1), 0).unwrap();
    assert_eq!(
        h.on_barrier(0, aligned(1), 0),
        Err(BarrierError::DuplicateBarrier { channel: 0, id: 1 })
    );
}
