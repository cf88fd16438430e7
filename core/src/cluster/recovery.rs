//! What the cluster needs to run a job through failures: the fault-tolerance settings of
//! the configuration, what each subtask restores from a completed checkpoint or
//! savepoint, and the seeded fault injection (`--chaos`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::checkpoint::storage::{CompletedCheckpoint, StorageError};
use crate::config::fault_tolerance::{
    self as ft, CheckpointSettings, ExternalizedRetention, RestartStrategy,
};
use crate::config::{ConfigError, Configuration};
use crate::graph::job_graph::{JobGraph, VertexId};
use crate::operator::checkpoint::OperatorRestore;
use crate::partitioner::SplitMix;

/// How a job survives failures, from its configuration.
#[derive(Debug, Clone)]
pub struct FaultTolerance {
    /// Checkpointing, when on.
    pub checkpoints: Option<CheckpointSettings>,
    /// What happens after a failure.
    pub restart: RestartStrategy,
    /// The savepoint or retained checkpoint the job starts from.
    pub restore_path: Option<PathBuf>,
    /// Whether state no operator of the job takes may be skipped.
    pub allow_non_restored: bool,
    /// Injected failures, for tests of recovery.
    pub chaos: Option<Chaos>,
    /// `state.savepoints.dir`: where savepoints go without a target of their own.
    pub savepoint_dir: Option<PathBuf>,
}

impl FaultTolerance {
    /// The settings of `config` (checked: an error names the key).
    pub fn from_config(config: &Configuration) -> Result<Self, ConfigError> {
        let path = config.get(&ft::SAVEPOINT_PATH);
        let savepoints = config.get(&ft::SAVEPOINT_DIRECTORY);
        let seed = config.get(&ft::CHAOS_SEED);
        Ok(Self {
            checkpoints: CheckpointSettings::from_config(config)?,
            restart: RestartStrategy::from_config(config),
            restore_path: (!path.is_empty()).then(|| PathBuf::from(path)),
            allow_non_restored: config.get(&ft::SAVEPOINT_IGNORE_UNCLAIMED_STATE),
            chaos: (seed != 0).then(|| Chaos {
                seed,
                failures: config.get(&ft::CHAOS_FAILURES),
                max_records: config.get(&ft::CHAOS_MAX_RECORDS),
            }),
            savepoint_dir: (!savepoints.is_empty()).then(|| PathBuf::from(savepoints)),
        })
    }

    /// Whether the job's checkpoints outlive it when it ends as `ended` (Flink's
    /// externalized-checkpoint retention; every mode deletes them when the job finishes).
    pub fn keeps_checkpoints(&self, ended: Ending) -> bool {
        let Some(settings) = &self.checkpoints else {
            return false;
        };
        match (ended, settings.retention) {
            (Ending::Finished, _) => false,
            (_, ExternalizedRetention::NoExternalizedCheckpoints) => false,
            (Ending::Cancelled, ExternalizedRetention::DeleteOnCancellation) => false,
            (Ending::Cancelled, ExternalizedRetention::RetainOnCancellation) => true,
            (Ending::Failed, _) => true,
        }
    }
}

/// How a job ended, for the retention of its checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every task finished.
    Finished,
    /// Cancelled on request.
    Cancelled,
    /// Failed for good.
    Failed,
}

/// Seeded fault injection: `failures` failures, one per attempt of the job, each in a
/// task and after a number of records drawn from the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chaos {
    /// The seed (not 0).
    pub seed: u64,
    /// How many failures, one per attempt.
    pub failures: u32,
    /// A failure comes after 1 to this many records taken in by its task.
    pub max_records: u64,
}

impl Chaos {
    /// The failure of attempt `attempt` (0 is the first run) of a job of `tasks` tasks:
    /// which task fails, after how many records; `None` once every failure was injected.
    pub fn plan(&self, attempt: u32, tasks: usize) -> Option<(usize, u64)> {
        if attempt >= self.failures || tasks == 0 {
            return None;
        }
        let draw = |seed: u64| SplitMix::new(seed).next_u64();
        let a = draw(self.seed ^ u64::from(attempt).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let b = draw(a);
        let task = (a % tasks as u64) as usize;
        Some((task, 1 + b % self.max_records.max(1)))
    }
}

/// What one subtask's operators restore, by state id.
pub type SubtaskRestores = HashMap<String, Arc<OperatorRestore>>;

/// What every subtask of `job` restores from `checkpoint`, by (vertex, subtask). Fails
/// when the checkpoint holds state of an operator the job lacks, unless `allow` (Flink's
/// `--allow-non-restored-state`), or when a part is damaged.
pub fn restore_plan(
    checkpoint: &CompletedCheckpoint,
    job: &JobGraph,
    allow: bool,
) -> Result<HashMap<(VertexId, usize), SubtaskRestores>, StorageError> {
    let uids: Vec<String> = job
        .vertices
        .iter()
        .flat_map(|v| v.nodes.iter().map(|&n| job.stream.state_uid(n)))
        .collect();
    checkpoint.check_uids(uids.iter().map(String::as_str), allow)?;
    let mut plan = HashMap::new();
    for v in &job.vertices {
        for subtask in 0..v.parallelism {
            let mut restores = SubtaskRestores::new();
            for &n in &v.nodes {
                let uid = job.stream.state_uid(n);
                let Some(assigned) =
                    checkpoint.assign(&uid, v.max_parallelism, v.parallelism, subtask)?
                else {
                    continue;
                };
                let keyed = assigned
                    .keyed
                    .iter()
                    .map(|k| checkpoint.read_part(&k.part))
                    .collect::<Result<Vec<_>, _>>()?;
                let operator = assigned
                    .operator
                    .iter()
                    .map(|p| checkpoint.read_part(p))
                    .collect::<Result<Vec<_>, _>>()?;
                let channels = match assigned.channels {
                    Some(p) if n == v.nodes[0] => Some(checkpoint.read_part(p)?),
                    Some(_) => {
                        return Err(StorageError::ChannelStateMoved {
                            uid,
                            path: checkpoint.dir.clone(),
                        })
                    }
                    None => None,
                };
                restores.insert(
                    uid,
                    Arc::new(OperatorRestore {
                        keyed,
                        operator,
                        channels,
                    }),
                );
            }
            plan.insert((v.id, subtask), restores);
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaos_plans_are_seeded_bounded_and_end_after_the_failures() {
        let chaos = Chaos {
            seed: 42,
            failures: 3,
            max_records: 50,
        };
        let plans: Vec<_> = (0..4).map(|a| chaos.plan(a, 5)).collect();
        assert_eq!(plans, (0..4).map(|a| chaos.plan(a, 5)).collect::<Vec<_>>());
        assert!(plans[..3]
            .iter()
            .all(|p| p.is_some_and(|(t, r)| t < 5 && (1..=50).contains(&r))));
        assert_eq!(plans[3], None);
        let other = Chaos { seed: 43, ..chaos };
        assert_ne!(
            (0..3).map(|a| other.plan(a, 5)).collect::<Vec<_>>(),
            plans[..3].to_vec()
        );
    }
}
