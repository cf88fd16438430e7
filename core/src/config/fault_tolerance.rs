//! The options of checkpoints, restarts and the REST endpoint, under Flink's keys
//! (`ExecutionCheckpointingOptions`, `CheckpointingOptions`, `RestartStrategyOptions`,
//! `JobManagerOptions.EXECUTION_FAILOVER_STRATEGY`, `RestOptions`), with Flink 1.19's
//! defaults. Where Flink 2 renamed a key, the other name is accepted too.
//!
//! [`CheckpointSettings::from_config`] and [`RestartStrategy::from_config`] resolve them
//! into what the runtime uses, checking the combinations Flink checks.

use std::path::PathBuf;
use std::time::Duration;

use super::choice::choice;
use super::error::{ConfigError, Origin};
use super::option::ConfigOption;
use super::registry::Configuration;

/// Flink's smallest checkpoint interval (`CheckpointCoordinatorConfiguration`'s minimum).
pub const MIN_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(10);

choice! {
    /// `execution.checkpointing.mode`: the guarantee of checkpoints.
    CheckpointingMode {
        /// Barriers are aligned (or overtake in-flight data): state reflects each record once.
        ExactlyOnce => ["EXACTLY_ONCE"],
        /// Barriers are not aligned: after a restore, some records are counted twice.
        AtLeastOnce => ["AT_LEAST_ONCE"],
    }
}

choice! {
    /// `execution.checkpointing.externalized-checkpoint-retention`: what happens to
    /// completed checkpoints when a job ends.
    ExternalizedRetention {
        /// Deleted when the job is cancelled (kept if it fails).
        DeleteOnCancellation => ["DELETE_ON_CANCELLATION"],
        /// Kept when the job is cancelled, for a manual restore.
        RetainOnCancellation => ["RETAIN_ON_CANCELLATION"],
        /// Deleted when the job ends in any way.
        NoExternalizedCheckpoints => ["NO_EXTERNALIZED_CHECKPOINTS"],
    }
}

choice! {
    /// `restart-strategy.type`: how a failed job restarts.
    RestartStrategyType {
        /// It does not: a failure fails the job.
        None => ["none", "off", "disable"],
        /// A fixed number of attempts with a fixed delay.
        FixedDelay => ["fixed-delay", "fixeddelay"],
        /// Restarts while failures per interval stay under a maximum, with a fixed delay.
        FailureRate => ["failure-rate", "failurerate"],
        /// Restarts with a delay that grows exponentially, reset after a stable run.
        ExponentialDelay => ["exponential-delay", "exponentialdelay"],
    }
}

choice! {
    /// `jobmanager.execution.failover-strategy`: what restarts after a task fails.
    FailoverStrategy {
        /// Every task of the job.
        Full => ["full"],
        /// The failed task's pipelined region: the tasks connected to it by exchanges.
        Region => ["region"],
    }
}

/// `execution.checkpointing.interval`: how often checkpoints are triggered (0: never).
pub static CHECKPOINTING_INTERVAL: ConfigOption<Duration> = ConfigOption::new(
    "execution.checkpointing.interval",
    || Duration::ZERO,
    "0 (checkpointing off)",
    "The interval between checkpoints. Checkpointing is enabled when it is set; Flink has \
     no default (off), which Weir writes as 0.",
    "0 (off) or a duration of at least 10 ms, such as '1 s', '500 ms' or '60000'",
    |v| v.is_zero() || *v >= MIN_CHECKPOINT_INTERVAL,
);

/// `execution.checkpointing.mode`: exactly-once or at-least-once.
pub static CHECKPOINTING_MODE: ConfigOption<CheckpointingMode> = ConfigOption::new(
    "execution.checkpointing.mode",
    || CheckpointingMode::ExactlyOnce,
    "EXACTLY_ONCE",
    "The checkpointing mode: EXACTLY_ONCE aligns barriers (or lets them overtake in-flight \
     data with unaligned checkpoints); AT_LEAST_ONCE never blocks an input.",
    "EXACTLY_ONCE or AT_LEAST_ONCE",
    |_| true,
);

/// `execution.checkpointing.timeout`: how long a checkpoint may take before it is aborted.
pub static CHECKPOINTING_TIMEOUT: ConfigOption<Duration> = ConfigOption::new(
    "execution.checkpointing.timeout",
    || Duration::from_secs(600),
    "10 min",
    "The maximum time a checkpoint may take before it is discarded.",
    "a duration of at least 1 ms, such as '10 min' or '30 s'",
    |v| *v >= Duration::from_millis(1),
);

/// `execution.checkpointing.min-pause`: the least time between two checkpoints.
pub static CHECKPOINTING_MIN_PAUSE: ConfigOption<Duration> = ConfigOption::new(
    "execution.checkpointing.min-pause",
    || Duration::ZERO,
    "0",
    "The minimum time between the end of one checkpoint and the start of the next; with a \
     pause, at most one checkpoint is in progress.",
    "a duration such as '0', '500 ms' or '1 s'",
    |_| true,
);

/// `execution.checkpointing.max-concurrent-checkpoints`: checkpoints in progress at once.
pub static MAX_CONCURRENT_CHECKPOINTS: ConfigOption<u32> = ConfigOption::new(
    "execution.checkpointing.max-concurrent-checkpoints",
    || 1,
    "1",
    "The maximum number of checkpoints in progress at the same time.",
    "an integer of at least 1",
    |v| *v >= 1,
);

/// `execution.checkpointing.tolerable-failed-checkpoints`: failures before the job fails.
pub static TOLERABLE_FAILED_CHECKPOINTS: ConfigOption<u32> = ConfigOption::new(
    "execution.checkpointing.tolerable-failed-checkpoints",
    || 0,
    "0",
    "The number of consecutive checkpoint failures tolerated before the job fails over.",
    "an integer of at least 0",
    |_| true,
);

/// `execution.checkpointing.externalized-checkpoint-retention`: the fate of completed
/// checkpoints when the job ends.
pub static EXTERNALIZED_CHECKPOINT_RETENTION: ConfigOption<ExternalizedRetention> =
    ConfigOption::new(
        "execution.checkpointing.externalized-checkpoint-retention",
        || ExternalizedRetention::NoExternalizedCheckpoints,
        "NO_EXTERNALIZED_CHECKPOINTS",
        "Whether completed checkpoints are kept when the job ends: DELETE_ON_CANCELLATION \
         keeps them only if it fails, RETAIN_ON_CANCELLATION also if it is cancelled, \
         NO_EXTERNALIZED_CHECKPOINTS never.",
        "DELETE_ON_CANCELLATION, RETAIN_ON_CANCELLATION or NO_EXTERNALIZED_CHECKPOINTS",
        |_| true,
    );

/// `state.checkpoints.num-retained`: completed checkpoints kept.
pub static CHECKPOINTS_NUM_RETAINED: ConfigOption<u32> = ConfigOption::new(
    "state.checkpoints.num-retained",
    || 1,
    "1",
    "The maximum number of completed checkpoints to keep; older ones are deleted. Flink 2 \
     names it execution.checkpointing.num-retained, which is accepted too.",
    "an integer of at least 1",
    |v| *v >= 1,
)
.with_deprecated_keys(&["execution.checkpointing.num-retained"]);

/// `state.checkpoints.dir`: where checkpoints are written.
pub static CHECKPOINTS_DIRECTORY: ConfigOption<String> = ConfigOption::new(
    "state.checkpoints.dir",
    String::new,
    "none",
    "The directory checkpoint data and metadata are written to. Required when checkpointing \
     is enabled. Flink 2 names it execution.checkpointing.dir, which is accepted too.",
    "a directory path",
    |_| true,
)
.with_deprecated_keys(&["execution.checkpointing.dir"]);

/// `state.savepoints.dir`: the default directory of savepoints.
pub static SAVEPOINT_DIRECTORY: ConfigOption<String> = ConfigOption::new(
    "state.savepoints.dir",
    String::new,
    "none",
    "The default directory for savepoints taken without a target directory. Flink 2 names \
     it execution.checkpointing.savepoint-dir, which is accepted too.",
    "a directory path",
    |_| true,
)
.with_deprecated_keys(&["execution.checkpointing.savepoint-dir"]);

/// `execution.checkpointing.unaligned.enabled`: unaligned checkpoints.
pub static UNALIGNED_CHECKPOINTS: ConfigOption<bool> = ConfigOption::new(
    "execution.checkpointing.unaligned.enabled",
    || false,
    "false",
    "Unaligned checkpoints: barriers overtake in-flight buffers, which are stored with the \
     checkpoint, so that checkpoints complete quickly under backpressure. Exactly-once \
     mode only.",
    "'true' or 'false'",
    |_| true,
)
.with_deprecated_keys(&["execution.checkpointing.unaligned"]);

/// `execution.checkpointing.aligned-checkpoint-timeout`: alignment time before a checkpoint
/// switches to unaligned.
pub static ALIGNED_CHECKPOINT_TIMEOUT: ConfigOption<Duration> = ConfigOption::new(
    "execution.checkpointing.aligned-checkpoint-timeout",
    || Duration::ZERO,
    "0",
    "With unaligned checkpoints enabled, a checkpoint starts aligned and switches to \
     unaligned once it has taken this long since it started; 0 makes every checkpoint \
     unaligned from the start.",
    "a duration such as '0', '100 ms' or '1 s'",
    |_| true,
)
.with_deprecated_keys(&["execution.checkpointing.alignment-timeout"]);

/// `restart-strategy.type`: the restart strategy.
pub static RESTART_STRATEGY: ConfigOption<RestartStrategyType> = ConfigOption::new(
    "restart-strategy.type",
    || RestartStrategyType::None,
    "none, or exponential-delay when checkpointing is enabled",
    "How the job restarts after a failure: none, fixed-delay, failure-rate or \
     exponential-delay (Flink's aliases off, disable, fixeddelay, failurerate and \
     exponentialdelay too). Unset, it is none without checkpointing and exponential-delay \
     with it, as in Flink 1.19.",
    "none, fixed-delay, failure-rate or exponential-delay",
    |_| true,
);

/// `restart-strategy.fixed-delay.attempts`: restarts before the job fails.
pub static FIXED_DELAY_ATTEMPTS: ConfigOption<u32> = ConfigOption::new(
    "restart-strategy.fixed-delay.attempts",
    || 1,
    "1",
    "The number of restarts the fixed-delay strategy attempts before the job fails.",
    "an integer of at least 0",
    |_| true,
);

/// `restart-strategy.fixed-delay.delay`: the pause before each restart.
pub static FIXED_DELAY_DELAY: ConfigOption<Duration> = ConfigOption::new(
    "restart-strategy.fixed-delay.delay",
    || Duration::from_secs(1),
    "1 s",
    "The delay between two restarts of the fixed-delay strategy.",
    "a duration such as '1 s' or '100 ms'",
    |_| true,
);

/// `restart-strategy.failure-rate.max-failures-per-interval`: failures tolerated per interval.
pub static FAILURE_RATE_MAX_FAILURES: ConfigOption<u32> = ConfigOption::new(
    "restart-strategy.failure-rate.max-failures-per-interval",
    || 1,
    "1",
    "The failures within one interval after which the failure-rate strategy gives up.",
    "an integer of at least 1",
    |v| *v >= 1,
);

/// `restart-strategy.failure-rate.failure-rate-interval`: the interval failures are counted in.
pub static FAILURE_RATE_INTERVAL: ConfigOption<Duration> = ConfigOption::new(
    "restart-strategy.failure-rate.failure-rate-interval",
    || Duration::from_secs(60),
    "1 min",
    "The time window in which the failure-rate strategy counts failures.",
    "a duration of at least 1 ms, such as '1 min'",
    |v| *v >= Duration::from_millis(1),
);

/// `restart-strategy.failure-rate.delay`: the pause before each restart.
pub static FAILURE_RATE_DELAY: ConfigOption<Duration> = ConfigOption::new(
    "restart-strategy.failure-rate.delay",
    || Duration::from_secs(1),
    "1 s",
    "The delay between two restarts of the failure-rate strategy.",
    "a duration such as '1 s' or '100 ms'",
    |_| true,
);

/// `restart-strategy.exponential-delay.initial-backoff`: the first delay.
pub static EXPONENTIAL_INITIAL_BACKOFF: ConfigOption<Duration> = ConfigOption::new(
    "restart-strategy.exponential-delay.initial-backoff",
    || Duration::from_secs(1),
    "1 s",
    "The delay before the first restart of the exponential-delay strategy.",
    "a duration such as '1 s' or '10 ms'",
    |_| true,
);

/// `restart-strategy.exponential-delay.max-backoff`: the largest delay.
pub static EXPONENTIAL_MAX_BACKOFF: ConfigOption<Duration> = ConfigOption::new(
    "restart-strategy.exponential-delay.max-backoff",
    || Duration::from_secs(60),
    "1 min",
    "The largest delay of the exponential-delay strategy.",
    "a duration such as '1 min'",
    |_| true,
);

/// `restart-strategy.exponential-delay.backoff-multiplier`: the growth of the delay.
pub static EXPONENTIAL_BACKOFF_MULTIPLIER: ConfigOption<f64> = ConfigOption::new(
    "restart-strategy.exponential-delay.backoff-multiplier",
    || 1.5,
    "1.5",
    "What each restart multiplies the delay by.",
    "a number of at least 1, such as '1.5' or '2'",
    |v| *v >= 1.0,
);

/// `restart-strategy.exponential-delay.reset-backoff-threshold`: the stable run that resets
/// the delay.
pub static EXPONENTIAL_RESET_THRESHOLD: ConfigOption<Duration> = ConfigOption::new(
    "restart-strategy.exponential-delay.reset-backoff-threshold",
    || Duration::from_secs(3600),
    "1 h",
    "How long the job must run without failure for the delay to fall back to the initial \
     backoff.",
    "a duration such as '1 h' or '10 min'",
    |_| true,
);

/// `restart-strategy.exponential-delay.jitter-factor`: the random share of each delay.
pub static EXPONENTIAL_JITTER: ConfigOption<f64> = ConfigOption::new(
    "restart-strategy.exponential-delay.jitter-factor",
    || 0.1,
    "0.1",
    "Each delay varies randomly by up to this share of itself, so that many jobs do not \
     restart in step.",
    "a number between 0 and 1",
    |v| (0.0..=1.0).contains(v),
);

/// `restart-strategy.exponential-delay.attempts-before-reset-backoff`: restarts before the
/// job fails, counted since the last reset.
pub static EXPONENTIAL_ATTEMPTS: ConfigOption<u32> = ConfigOption::new(
    "restart-strategy.exponential-delay.attempts-before-reset-backoff",
    || i32::MAX as u32,
    "2147483647",
    "The restarts the exponential-delay strategy attempts before the job fails (the count \
     resets with the backoff).",
    "an integer of at least 0",
    |_| true,
);

/// `jobmanager.execution.failover-strategy`: the tasks restarted after a failure.
pub static FAILOVER_STRATEGY: ConfigOption<FailoverStrategy> = ConfigOption::new(
    "jobmanager.execution.failover-strategy",
    || FailoverStrategy::Region,
    "region",
    "Which tasks restart after a task fails: full (all of them) or region (the failed \
     task's pipelined region).",
    "full or region",
    |_| true,
);

/// `execution.savepoint.path`: the savepoint or retained checkpoint a job starts from.
pub static SAVEPOINT_PATH: ConfigOption<String> = ConfigOption::new(
    "execution.savepoint.path",
    String::new,
    "none",
    "The savepoint or retained checkpoint (its directory or its _metadata file) the job      restores its state from (`weir run --from-savepoint`).",
    "a path",
    |_| true,
);

/// `execution.savepoint.ignore-unclaimed-state`: allow state no operator takes.
pub static SAVEPOINT_IGNORE_UNCLAIMED_STATE: ConfigOption<bool> = ConfigOption::new(
    "execution.savepoint.ignore-unclaimed-state",
    || false,
    "false",
    "Whether a restore may skip state of operators the job no longer has      (`--allow-non-restored-state`).",
    "true or false",
    |_| true,
);

/// `weir.chaos.seed`: the seed of injected failures (fault injection, 0: off).
pub static CHAOS_SEED: ConfigOption<u64> = ConfigOption::new(
    "weir.chaos.seed",
    || 0,
    "0",
    "Fault injection for testing recovery: with a seed other than 0 the job fails      weir.chaos.failures times, each time in a task and after a number of records drawn      from the seed, and restarts by its restart strategy (`--chaos SEED`).",
    "an unsigned integer",
    |_| true,
);

/// `weir.chaos.failures`: how many failures are injected.
pub static CHAOS_FAILURES: ConfigOption<u32> = ConfigOption::new(
    "weir.chaos.failures",
    || 1,
    "1",
    "How many failures weir.chaos.seed injects (`--failures K`).",
    "an unsigned integer",
    |_| true,
);

/// `weir.chaos.max-records`: the latest point of an injected failure.
pub static CHAOS_MAX_RECORDS: ConfigOption<u64> = ConfigOption::new(
    "weir.chaos.max-records",
    || 100_000,
    "100000",
    "An injected failure happens after 1 to this many records taken in by the chosen task      (a task that takes in fewer does not fail).",
    "a positive integer",
    |v| *v > 0,
);

/// `rest.address`: the address the REST endpoint serves on.
pub static REST_ADDRESS: ConfigOption<String> = ConfigOption::new(
    "rest.address",
    || "127.0.0.1".to_string(),
    "127.0.0.1",
    "The address of the REST endpoint of a running job (`weir list`, `weir savepoint`, \
     `weir stop`, `weir cancel` connect to it).",
    "a loopback IP address, such as '127.0.0.1' or '::1'",
    |v| {
        v.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    },
);

/// `rest.port`: the port the REST endpoint serves on.
pub static REST_PORT: ConfigOption<u32> = ConfigOption::new(
    "rest.port",
    || 8081,
    "8081",
    "The port of the REST endpoint; 0 picks a free one.",
    "an integer between 0 and 65535",
    |v| *v <= 65535,
);

/// The checkpoint settings of a job, resolved and checked together.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointSettings {
    /// The interval between checkpoints.
    pub interval: Duration,
    /// Exactly-once or at-least-once.
    pub mode: CheckpointingMode,
    /// The time after which a checkpoint is aborted.
    pub timeout: Duration,
    /// The least time between a checkpoint's end and the next one's start.
    pub min_pause: Duration,
    /// Checkpoints in progress at once.
    pub max_concurrent: u32,
    /// Consecutive failed checkpoints tolerated.
    pub tolerable_failures: u32,
    /// The fate of completed checkpoints when the job ends.
    pub retention: ExternalizedRetention,
    /// Completed checkpoints kept.
    pub num_retained: u32,
    /// Where checkpoints go.
    pub directory: PathBuf,
    /// Unaligned checkpoints.
    pub unaligned: bool,
    /// With unaligned checkpoints: how long a checkpoint stays aligned (0: not at all).
    pub aligned_timeout: Duration,
}

/// An error about the value set for `key` (or its default when unset).
fn conflict(config: &Configuration, key: &'static str, expected: &'static str) -> ConfigError {
    let (value, origin) = match config.entry(key) {
        Some(e) => (e.text().to_string(), e.origin().clone()),
        None => ("(default)".to_string(), Origin::Api),
    };
    ConfigError::BadValue {
        key,
        value,
        origin,
        expected,
    }
}

impl CheckpointSettings {
    /// The checkpoint settings of `config`; `None` when checkpointing is off. Errors when
    /// it is on without `state.checkpoints.dir`, or with unaligned checkpoints in
    /// at-least-once mode (which Flink refuses too).
    pub fn from_config(config: &Configuration) -> Result<Option<Self>, ConfigError> {
        let interval = config.get(&CHECKPOINTING_INTERVAL);
        if interval.is_zero() {
            return Ok(None);
        }
        let directory = config.get(&CHECKPOINTS_DIRECTORY);
        if directory.is_empty() {
            return Err(conflict(
                config,
                CHECKPOINTS_DIRECTORY.key(),
                "a directory: checkpointing is enabled (execution.checkpointing.interval)",
            ));
        }
        let mode = config.get(&CHECKPOINTING_MODE);
        let unaligned = config.get(&UNALIGNED_CHECKPOINTS);
        if unaligned && mode == CheckpointingMode::AtLeastOnce {
            return Err(conflict(
                config,
                UNALIGNED_CHECKPOINTS.key(),
                "false: unaligned checkpoints need execution.checkpointing.mode = EXACTLY_ONCE",
            ));
        }
        Ok(Some(Self {
            interval,
            mode,
            timeout: config.get(&CHECKPOINTING_TIMEOUT),
            min_pause: config.get(&CHECKPOINTING_MIN_PAUSE),
            max_concurrent: config.get(&MAX_CONCURRENT_CHECKPOINTS),
            tolerable_failures: config.get(&TOLERABLE_FAILED_CHECKPOINTS),
            retention: config.get(&EXTERNALIZED_CHECKPOINT_RETENTION),
            num_retained: config.get(&CHECKPOINTS_NUM_RETAINED),
            directory: PathBuf::from(directory),
            unaligned,
            aligned_timeout: config.get(&ALIGNED_CHECKPOINT_TIMEOUT),
        }))
    }
}

/// A restart strategy with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum RestartStrategy {
    /// No restarts.
    None,
    /// Up to `attempts` restarts, `delay` apart.
    FixedDelay {
        /// Restarts before the job fails.
        attempts: u32,
        /// The pause before each restart.
        delay: Duration,
    },
    /// Restarts unless more than `max_failures` happen within `interval`.
    FailureRate {
        /// Failures tolerated per interval.
        max_failures: u32,
        /// The interval failures are counted in.
        interval: Duration,
        /// The pause before each restart.
        delay: Duration,
    },
    /// Restarts with growing delays.
    ExponentialDelay {
        /// The first delay.
        initial: Duration,
        /// The largest delay.
        max: Duration,
        /// The growth of the delay per restart.
        multiplier: f64,
        /// A run this long without failure resets the delay and the attempt count.
        reset_threshold: Duration,
        /// The random share of each delay.
        jitter: f64,
        /// Restarts before the job fails, since the last reset.
        attempts: u32,
    },
}

impl RestartStrategy {
    /// The restart strategy of `config`: `restart-strategy.type` if set, otherwise none
    /// without checkpointing and exponential-delay with it (Flink 1.19's rule).
    pub fn from_config(config: &Configuration) -> Self {
        let kind = if config.is_set(&RESTART_STRATEGY) {
            config.get(&RESTART_STRATEGY)
        } else if config.get(&CHECKPOINTING_INTERVAL).is_zero() {
            RestartStrategyType::None
        } else {
            RestartStrategyType::ExponentialDelay
        };
        match kind {
            RestartStrategyType::None => RestartStrategy::None,
            RestartStrategyType::FixedDelay => RestartStrategy::FixedDelay {
                attempts: config.get(&FIXED_DELAY_ATTEMPTS),
                delay: config.get(&FIXED_DELAY_DELAY),
            },
            RestartStrategyType::FailureRate => RestartStrategy::FailureRate {
                max_failures: config.get(&FAILURE_RATE_MAX_FAILURES),
                interval: config.get(&FAILURE_RATE_INTERVAL),
                delay: config.get(&FAILURE_RATE_DELAY),
            },
            RestartStrategyType::ExponentialDelay => RestartStrategy::ExponentialDelay {
                initial: config.get(&EXPONENTIAL_INITIAL_BACKOFF),
                max: config.get(&EXPONENTIAL_MAX_BACKOFF),
                multiplier: config.get(&EXPONENTIAL_BACKOFF_MULTIPLIER),
                reset_threshold: config.get(&EXPONENTIAL_RESET_THRESHOLD),
                jitter: config.get(&EXPONENTIAL_JITTER),
                attempts: config.get(&EXPONENTIAL_ATTEMPTS),
            },
        }
    }
}
