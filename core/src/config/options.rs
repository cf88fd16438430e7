//! The configuration options Weir understands, under Flink's key names.
//!
//! Static names follow Flink's constants (`TaskManagerOptions.NUM_TASK_SLOTS`,
//! `CoreOptions.DEFAULT_PARALLELISM`, …); Weir-only options live under `weir.`.

use std::time::Duration;

use weir_state::key_group::UPPER_BOUND_MAX_PARALLELISM;

use super::fault_tolerance as ft;
use super::option::{ConfigOption, ErasedOption};
use super::units::{BufferTimeout, MemorySize};

/// Smallest accepted `taskmanager.memory.segment-size` (Flink's minimum is 4 kb).
pub const MIN_SEGMENT_SIZE: MemorySize = MemorySize::from_bytes(256);

/// Largest accepted `taskmanager.memory.segment-size`.
pub const MAX_SEGMENT_SIZE: MemorySize = MemorySize::from_mebibytes(16);

/// Largest accepted `weir.slot.io-memory`.
pub const MAX_SLOT_IO_MEMORY: MemorySize = MemorySize::from_mebibytes(2);

fn available_cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX))
}

/// `taskmanager.numberOfTaskSlots`: parallel slots per TaskManager, one glommio executor each.
pub static NUM_TASK_SLOTS: ConfigOption<u32> = ConfigOption::new(
    "taskmanager.numberOfTaskSlots",
    available_cores,
    "the number of available cores",
    "The number of parallel operator or user function instances a single TaskManager can run. \
     Each slot is one shard-per-core glommio executor. Flink defaults to 1; Weir defaults to \
     the number of cores available to the process.",
    "an integer of at least 1, such as '4'",
    |v| *v >= 1,
);

/// `taskmanager.memory.segment-size`: the size of network buffers and memory segments.
pub static MEMORY_SEGMENT_SIZE: ConfigOption<MemorySize> = ConfigOption::new(
    "taskmanager.memory.segment-size",
    || MemorySize::from_kibibytes(32),
    "32 kb",
    "Size of memory buffers used by the network stack and the memory manager. Must be a power \
     of two. Flink's minimum is 4 kb; Weir also accepts down to 256 bytes so tests can use \
     tiny buffers.",
    "a memory size that is a power of two between 256 bytes and 16 mb, such as '32 kb', \
     '32kb' or '32768'",
    |v| v.is_power_of_two() && *v >= MIN_SEGMENT_SIZE && *v <= MAX_SEGMENT_SIZE,
);

/// `taskmanager.memory.network.max`: Weir's total network memory per TaskManager.
pub static NETWORK_MEMORY_MAX: ConfigOption<MemorySize> = ConfigOption::new(
    "taskmanager.memory.network.max",
    || MemorySize::from_mebibytes(64),
    "64 mb",
    "Total network memory per TaskManager, mapped once at start-up and cut into segments of \
     'taskmanager.memory.segment-size'. Flink derives the network memory from \
     taskmanager.memory.network.fraction/min/max; Weir uses this maximum as the fixed size.",
    "a memory size of at least 1 byte, such as '64 mb', '64mb' or '67108864'",
    |v| v.bytes() >= 1,
)
.with_deprecated_keys(&["taskmanager.network.memory.max"]);

/// `taskmanager.network.memory.buffers-per-channel`: exclusive buffers per input channel.
pub static NETWORK_BUFFERS_PER_CHANNEL: ConfigOption<u32> = ConfigOption::new(
    "taskmanager.network.memory.buffers-per-channel",
    || 2,
    "2",
    "Number of exclusive network buffers for each outgoing/incoming channel (subpartition or \
     input channel) in credit-based flow control.",
    "an integer of at least 0, such as '2'",
    |_| true,
);

/// `taskmanager.network.memory.floating-buffers-per-gate`: buffers shared by an input gate.
pub static NETWORK_EXTRA_BUFFERS_PER_GATE: ConfigOption<u32> = ConfigOption::new(
    "taskmanager.network.memory.floating-buffers-per-gate",
    || 8,
    "8",
    "Number of floating network buffers shared by all channels of an input gate, handed to \
     channels with backlog in credit-based flow control.",
    "an integer of at least 0, such as '8'",
    |_| true,
);

/// `execution.buffer-timeout`: the longest time output buffers wait before being flushed.
pub static BUFFER_TIMEOUT: ConfigOption<BufferTimeout> = ConfigOption::new(
    "execution.buffer-timeout",
    BufferTimeout::default,
    "100 ms",
    "The maximum time between flushes of output buffers. A positive value flushes \
     periodically at that interval; 0 flushes after every record (lowest latency); -1 (or \
     'off') flushes only when a buffer is full (highest throughput). Flink 1.19+ names this \
     'execution.buffer-timeout.interval'.",
    "a duration such as '0', '5 ms' or '1 s', or '-1'/'off' to disable the timeout",
    |_| true,
);

/// `parallelism.default`: the parallelism of operators that do not set one.
pub static DEFAULT_PARALLELISM: ConfigOption<u32> = ConfigOption::new(
    "parallelism.default",
    || 1,
    "1",
    "Default parallelism for jobs and operators that do not set their own.",
    "an integer of at least 1, such as '4'",
    |v| *v >= 1,
);

/// `pipeline.max-parallelism`: the number of key groups (upper bound for rescaling).
pub static MAX_PARALLELISM: ConfigOption<u32> = ConfigOption::new(
    "pipeline.max-parallelism",
    || 128,
    "128",
    "Maximum parallelism of keyed operators, i.e. the number of key groups keyed state is \
     split into; the upper limit for rescaling. Flink derives a default from the \
     parallelism; Weir defaults to 128 (Flink's lower bound for that default).",
    "an integer between 1 and 32768",
    |v| (1..=UPPER_BOUND_MAX_PARALLELISM).contains(v),
);

/// `pipeline.auto-watermark-interval`: how often periodic watermarks are emitted.
pub static AUTO_WATERMARK_INTERVAL: ConfigOption<Duration> = ConfigOption::new(
    "pipeline.auto-watermark-interval",
    || Duration::from_millis(200),
    "200 ms",
    "The interval of automatic watermark emission. Watermarks track the progress of event \
     time, e.g. for time windows. 0 disables periodic watermarks, as in Flink.",
    "a duration such as '200 ms', '200ms', '1 s' or '0'",
    |_| true,
);

/// `pipeline.operator-chaining.enabled`: whether operators may be chained into one task.
pub static OPERATOR_CHAINING: ConfigOption<bool> = ConfigOption::new(
    "pipeline.operator-chaining.enabled",
    || true,
    "true",
    "Operator chaining lets non-shuffle operations run in the same thread as their \
     predecessor, avoiding serialization and hand-over.",
    "'true' or 'false'",
    |_| true,
)
.with_deprecated_keys(&["pipeline.operator-chaining"]);

/// `weir.slot.io-memory`: glommio io_uring buffer memory per slot.
pub static SLOT_IO_MEMORY: ConfigOption<MemorySize> = ConfigOption::new(
    "weir.slot.io-memory",
    || MemorySize::from_mebibytes(1),
    "1 mb",
    "Memory glommio registers with io_uring for each slot's I/O buffers. It comes from the \
     process's locked-memory allowance (RLIMIT_MEMLOCK), hence the small cap.",
    "a memory size between 1 byte and 2 mb, such as '1 mb', '512kb' or '1048576'",
    |v| v.bytes() >= 1 && *v <= MAX_SLOT_IO_MEMORY,
);

/// `weir.slot.pinning`: whether each slot's executor is pinned to its own core.
pub static SLOT_PINNING: ConfigOption<bool> = ConfigOption::new(
    "weir.slot.pinning",
    || true,
    "true",
    "Pin each slot's glommio executor to its own CPU core (shard-per-core).",
    "'true' or 'false'",
    |_| true,
);

/// `weir.slot.spin-before-park`: how long an idle slot spins before parking its thread.
pub static SLOT_SPIN_BEFORE_PARK: ConfigOption<Duration> = ConfigOption::new(
    "weir.slot.spin-before-park",
    || Duration::from_micros(50),
    "50 µs",
    "How long an idle slot executor busy-polls for new work before parking its thread; \
     trades CPU for wake-up latency. 0 parks immediately.",
    "a duration such as '50 us', '50 µs', '1 ms' or '0'",
    |_| true,
);

/// Every option, in documentation order.
pub(crate) static ALL: [&dyn ErasedOption; 45] = [
    &NUM_TASK_SLOTS,
    &MEMORY_SEGMENT_SIZE,
    &NETWORK_MEMORY_MAX,
    &NETWORK_BUFFERS_PER_CHANNEL,
    &NETWORK_EXTRA_BUFFERS_PER_GATE,
    &BUFFER_TIMEOUT,
    &DEFAULT_PARALLELISM,
    &MAX_PARALLELISM,
    &AUTO_WATERMARK_INTERVAL,
    &OPERATOR_CHAINING,
    &SLOT_IO_MEMORY,
    &SLOT_PINNING,
    &SLOT_SPIN_BEFORE_PARK,
    &ft::CHECKPOINTING_INTERVAL,
    &ft::CHECKPOINTING_MODE,
    &ft::CHECKPOINTING_TIMEOUT,
    &ft::CHECKPOINTING_MIN_PAUSE,
    &ft::MAX_CONCURRENT_CHECKPOINTS,
    &ft::TOLERABLE_FAILED_CHECKPOINTS,
    &ft::EXTERNALIZED_CHECKPOINT_RETENTION,
    &ft::CHECKPOINTS_NUM_RETAINED,
    &ft::CHECKPOINTS_DIRECTORY,
    &ft::SAVEPOINT_DIRECTORY,
    &ft::UNALIGNED_CHECKPOINTS,
    &ft::ALIGNED_CHECKPOINT_TIMEOUT,
    &ft::RESTART_STRATEGY,
    &ft::FIXED_DELAY_ATTEMPTS,
    &ft::FIXED_DELAY_DELAY,
    &ft::FAILURE_RATE_MAX_FAILURES,
    &ft::FAILURE_RATE_INTERVAL,
    &ft::FAILURE_RATE_DELAY,
    &ft::EXPONENTIAL_INITIAL_BACKOFF,
    &ft::EXPONENTIAL_MAX_BACKOFF,
    &ft::EXPONENTIAL_BACKOFF_MULTIPLIER,
    &ft::EXPONENTIAL_RESET_THRESHOLD,
    &ft::EXPONENTIAL_JITTER,
    &ft::EXPONENTIAL_ATTEMPTS,
    &ft::FAILOVER_STRATEGY,
    &ft::SAVEPOINT_PATH,
    &ft::SAVEPOINT_IGNORE_UNCLAIMED_STATE,
    &ft::CHAOS_SEED,
    &ft::CHAOS_FAILURES,
    &ft::CHAOS_MAX_RECORDS,
    &ft::REST_ADDRESS,
    &ft::REST_PORT,
];
