//! Which parts of a completed checkpoint each subtask of the new job restores (Flink's
//! `StateAssignmentOperation`), and the check for state the new program cannot take.
//!
//! Keyed state follows the key groups: a new subtask restores every old stream whose
//! range intersects its own (the backend's restore reads only its key groups out of each,
//! through the streams' offset tables). Operator state is offered whole: every old
//! subtask's stream goes to every new subtask, and the operator picks by redistribution
//! mode (split or union).

use std::collections::BTreeSet;

use weir_state::key_group::compute_key_group_range_for_operator_index;

use super::{CompletedCheckpoint, KeyedHandle, PartHandle, StorageError};

/// What one new subtask of one operator restores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtaskRestore<'a> {
    /// Every old subtask's keyed handle whose key-group range intersects the new subtask's,
    /// in old subtask order.
    pub keyed: Vec<&'a KeyedHandle>,
    /// Every old subtask's operator part (union: the operator picks what it needs).
    pub operator: Vec<&'a PartHandle>,
    /// The in-flight data of an unaligned checkpoint taken by the same subtask (only at
    /// the checkpoint's parallelism).
    pub channels: Option<&'a PartHandle>,
}

impl CompletedCheckpoint {
    /// The state subtask `subtask` of operator `uid` restores, at `parallelism` and
    /// `max_parallelism`; `None` when the checkpoint has no state for the uid. An error when
    /// the maximum parallelism differs from the checkpoint's (Flink refuses that) or the
    /// subtask and parallelism do not split the key groups.
    pub fn assign(
        &self,
        uid: &str,
        max_parallelism: usize,
        parallelism: usize,
        subtask: usize,
    ) -> Result<Option<SubtaskRestore<'_>>, StorageError> {
        let Some(op) = self.operator(uid) else {
            return Ok(None);
        };
        if op.max_parallelism != max_parallelism {
            return Err(StorageError::MaxParallelismChanged {
                uid: uid.to_owned(),
                max_parallelism,
                checkpoint_max_parallelism: op.max_parallelism,
            });
        }
        let invalid = || StorageError::InvalidAssignment {
            uid: uid.to_owned(),
            subtask,
            parallelism,
            max_parallelism,
        };
        if parallelism == 0 || parallelism > max_parallelism || subtask >= parallelism {
            return Err(invalid());
        }
        if op.has_channel_state() && op.parallelism != parallelism {
            return Err(StorageError::ChannelStateRescaled {
                uid: uid.to_owned(),
                parallelism,
                checkpoint_parallelism: op.parallelism,
                path: self.dir.clone(),
            });
        }
        let (Ok(max), Ok(p), Ok(i)) = (
            u32::try_from(max_parallelism),
            u32::try_from(parallelism),
            u32::try_from(subtask),
        ) else {
            return Err(invalid());
        };
        let range = compute_key_group_range_for_operator_index(max, p, i);
        let (first, count) = (range.start_key_group(), range.number_of_key_groups());
        Ok(Some(SubtaskRestore {
            keyed: op
                .subtasks
                .iter()
                .filter_map(|s| s.keyed.as_ref())
                .filter(|k| k.intersects(first, count))
                .collect(),
            operator: op
                .subtasks
                .iter()
                .filter_map(|s| s.operator.as_ref())
                .collect(),
            channels: op
                .subtasks
                .iter()
                .find(|s| s.subtask == subtask)
                .and_then(|s| s.channels.as_ref()),
        }))
    }

    /// Flink's check for `--allow-non-restored-state`: the uids with state in the checkpoint
    /// that `job_uids` lacks. An error naming them unless `allow`; with `allow`, the uids
    /// whose state is dropped.
    pub fn check_uids<'b>(
        &self,
        job_uids: impl IntoIterator<Item = &'b str>,
        allow: bool,
    ) -> Result<Vec<String>, StorageError> {
        let job: BTreeSet<&str> = job_uids.into_iter().collect();
        let missing: Vec<String> = self
            .metadata
            .operators
            .iter()
            .filter(|op| op.has_state() && !job.contains(op.uid.as_str()))
            .map(|op| op.uid.clone())
            .collect();
        if missing.is_empty() || allow {
            Ok(missing)
        } else {
            Err(StorageError::NonRestoredState {
                uids: missing,
                path: self.dir.clone(),
            })
        }
    }
}
