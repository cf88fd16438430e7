//! Durations, memory sizes and buffer timeouts written as Flink writes them.
//!
//! Durations follow Flink's `TimeUtils.parseDuration`: a non-negative integer, optional
//! whitespace and an optional unit; without a unit the number is milliseconds. Units:
//! `d`/`day`/`days`, `h`/`hour`/`hours`, `min`/`minute`/`minutes`, `s`/`sec`/`secs`/
//! `second`/`seconds`, `ms`/`milli`/`millis`/`millisecond`/`milliseconds`, `µs`/`micro`/
//! `micros`/`microsecond`/`microseconds`, `ns`/`nano`/`nanos`/`nanosecond`/`nanoseconds`.
//! Weir also accepts `us` (and the Greek `μs`) for microseconds. Units are case-insensitive.
//!
//! Memory sizes follow Flink's `MemorySize.parseBytes`: a non-negative integer, optional
//! whitespace and an optional unit; without a unit the number is bytes. Units are binary
//! (1 kb = 1024 bytes, as in Flink): `b`/`bytes`, `k`/`kb`/`kibibytes`, `m`/`mb`/`mebibytes`,
//! `g`/`gb`/`gibibytes`, `t`/`tb`/`tebibytes`, case-insensitive.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Splits `"  12 ms "` into `(12, "ms")` (unit lower-cased); `None` without leading digits.
fn split_number(text: &str) -> Option<(u64, String)> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let value = number.parse::<u64>().ok()?;
    Some((value, unit.trim().to_lowercase()))
}

/// Parses a duration as Flink's `TimeUtils.parseDuration` does (see the module docs).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (value, unit) = split_number(text)?;
    let nanos_per_unit: u64 = match unit.as_str() {
        "d" | "day" | "days" => 86_400_000_000_000,
        "h" | "hour" | "hours" => 3_600_000_000_000,
        "min" | "minute" | "minutes" => 60_000_000_000,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "µs" | "μs" | "us" | "micro" | "micros" | "microsecond" | "microseconds" => 1_000,
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        _ => return None,
    };
    let nanos = u128::from(value) * u128::from(nanos_per_unit);
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    // The remainder is below 10^9 and fits in u32.
    let subsec = u32::try_from(nanos % 1_000_000_000).ok()?;
    Some(Duration::new(secs, subsec))
}

/// Formats a duration with the largest unit that represents it exactly, e.g. `100 ms`.
pub fn format_duration(duration: Duration) -> String {
    const UNITS: [(u128, &str); 7] = [
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "min"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "µs"),
        (1, "ns"),
    ];
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0 ms".to_owned();
    }
    for (per_unit, label) in UNITS {
        if nanos % per_unit == 0 {
            return format!("{} {label}", nanos / per_unit);
        }
    }
    format!("{nanos} ns")
}

/// A number of bytes, as Flink's `MemorySize`. Parses from `32kb`, `32 kb`, `32768`, `1 gb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MemorySize(u64);

impl MemorySize {
    /// Zero bytes.
    pub const ZERO: MemorySize = MemorySize(0);

    /// A size of `bytes` bytes.
    pub const fn from_bytes(bytes: u64) -> Self {
        MemorySize(bytes)
    }

    /// A size of `kib` kibibytes (Flink's `kb`, 1024 bytes), saturating.
    pub const fn from_kibibytes(kib: u64) -> Self {
        MemorySize(kib.saturating_mul(1 << 10))
    }

    /// A size of `mib` mebibytes (Flink's `mb`, 1024 kb), saturating.
    pub const fn from_mebibytes(mib: u64) -> Self {
        MemorySize(mib.saturating_mul(1 << 20))
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// Whether the size is a power of two (0 is not).
    pub const fn is_power_of_two(self) -> bool {
        self.0.is_power_of_two()
    }
}

const MEMORY_UNITS: [(u64, &str, &[&str]); 5] = [
    (1 << 40, "tb", &["t", "tb", "tebibytes"]),
    (1 << 30, "gb", &["g", "gb", "gibibytes"]),
    (1 << 20, "mb", &["m", "mb", "mebibytes"]),
    (1 << 10, "kb", &["k", "kb", "kibibytes"]),
    (1, "bytes", &["", "b", "bytes"]),
];

/// Parses a memory size as Flink's `MemorySize.parseBytes` does (see the module docs).
pub fn parse_memory_size(text: &str) -> Option<MemorySize> {
    let (value, unit) = split_number(text)?;
    let (multiplier, _, _) = MEMORY_UNITS
        .iter()
        .find(|(_, _, labels)| labels.contains(&unit.as_str()))?;
    value.checked_mul(*multiplier).map(MemorySize)
}

impl fmt::Display for MemorySize {
    /// Formats with the largest unit that represents the size exactly, as Flink's
    /// `MemorySize.toString`: `32 kb`, `64 mb`, `300 bytes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (multiplier, label, _) = MEMORY_UNITS
            .iter()
            .find(|(m, _, _)| self.0 % m == 0 && self.0 != 0)
            .unwrap_or(&MEMORY_UNITS[4]);
        write!(f, "{} {label}", self.0 / multiplier)
    }
}

/// The error of parsing a value of the given kind from a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseUnitError {
    /// What was being parsed, e.g. `memory size`.
    pub kind: &'static str,
    /// The rejected text.
    pub text: String,
}

impl fmt::Display for ParseUnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a valid {}", self.text, self.kind)
    }
}

impl std::error::Error for ParseUnitError {}

impl FromStr for MemorySize {
    type Err = ParseUnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_memory_size(s).ok_or_else(|| ParseUnitError {
            kind: "memory size",
            text: s.to_owned(),
        })
    }
}

/// Flink's `execution.buffer-timeout`: how long output buffers may wait before a flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BufferTimeout {
    /// Flush at least every interval; `Duration::ZERO` flushes after every record.
    Interval(Duration),
    /// Flush only when a buffer is full (Flink's `-1`): maximum throughput.
    Disabled,
}

impl BufferTimeout {
    /// The flush interval, or `None` when the timeout is disabled.
    pub fn interval(self) -> Option<Duration> {
        match self {
            BufferTimeout::Interval(d) => Some(d),
            BufferTimeout::Disabled => None,
        }
    }
}

impl Default for BufferTimeout {
    /// 100 ms, Flink's default.
    fn default() -> Self {
        BufferTimeout::Interval(Duration::from_millis(100))
    }
}

/// Parses a buffer timeout: a duration, or `-1` (any unit), `off` or `disabled`.
pub fn parse_buffer_timeout(text: &str) -> Option<BufferTimeout> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("off") || trimmed.eq_ignore_ascii_case("disabled") {
        return Some(BufferTimeout::Disabled);
    }
    if let Some(rest) = trimmed.strip_prefix('-') {
        // Only minus one (with any valid unit) means "disabled"; other negatives are errors.
        let minus_one =
            split_number(rest).is_some_and(|(v, _)| v == 1) && parse_duration(rest).is_some();
        return minus_one.then_some(BufferTimeout::Disabled);
    }
    parse_duration(trimmed).map(BufferTimeout::Interval)
}

impl fmt::Display for BufferTimeout {
    /// `off` when disabled, otherwise the interval as in [`format_duration`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BufferTimeout::Interval(d) => f.write_str(&format_duration(*d)),
            BufferTimeout::Disabled => f.write_str("off"),
        }
    }
}

impl FromStr for BufferTimeout {
    type Err = ParseUnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_buffer_timeout(s).ok_or_else(|| ParseUnitError {
            kind: "buffer timeout",
            text: s.to_owned(),
        })
    }
}
