//! The typed configuration registry, with Flink's key names and value syntax.
//!
//! Every option is a [`ConfigOption`] static ([`NUM_TASK_SLOTS`], [`BUFFER_TIMEOUT`], …)
//! with a key, a default, a description and the forms it accepts. A [`Configuration`]
//! holds the explicitly set values with their [`Origin`] and falls back to the defaults:
//!
//! ```
//! use weir_core::config::{Configuration, Origin, RawValue, BUFFER_TIMEOUT, BufferTimeout};
//! use std::time::Duration;
//!
//! let mut conf = Configuration::default();
//! conf.set("execution.buffer-timeout", RawValue::from("5 ms"), Origin::CommandLine)?;
//! assert_eq!(conf.get(&BUFFER_TIMEOUT), BufferTimeout::Interval(Duration::from_millis(5)));
//! # Ok::<(), weir_core::config::ConfigError>(())
//! ```
//!
//! Values parse as Flink writes them: durations (`0`, `5ms`, `5 ms`, `1 min`, `100 µs`;
//! a bare number is milliseconds), memory sizes (`32kb`, `32 kb`, `32768`, `64 mb`, `1 gb`;
//! binary units, a bare number is bytes), booleans (`true`/`false`) and integers. TOML
//! integers and booleans are accepted directly. Enum options take Flink's names in any
//! case. Flink's deprecated keys `taskmanager.network.memory.max` and
//! `pipeline.operator-chaining` are accepted for their current names. The checkpoint,
//! restart and REST options are in [`fault_tolerance`].

pub(crate) mod choice;
mod error;
pub mod fault_tolerance;
mod option;
mod options;
mod registry;
mod units;
mod value;

#[cfg(test)]
mod tests;

pub use error::{ConfigError, Origin};
pub use option::{ConfigOption, OptionInfo};
pub use options::{
    AUTO_WATERMARK_INTERVAL, BUFFER_TIMEOUT, DEFAULT_PARALLELISM, MAX_PARALLELISM,
    MAX_SEGMENT_SIZE, MAX_SLOT_IO_MEMORY, MEMORY_SEGMENT_SIZE, MIN_SEGMENT_SIZE,
    NETWORK_BUFFERS_PER_CHANNEL, NETWORK_EXTRA_BUFFERS_PER_GATE, NETWORK_MEMORY_MAX,
    NUM_TASK_SLOTS, OPERATOR_CHAINING, SLOT_IO_MEMORY, SLOT_PINNING, SLOT_SPIN_BEFORE_PARK,
};
pub use registry::{all_options, ConfigEntry, Configuration};
pub use units::{
    format_duration, parse_buffer_timeout, parse_duration, parse_memory_size, BufferTimeout,
    MemorySize, ParseUnitError,
};
pub use value::{ConfigValue, RawValue};
