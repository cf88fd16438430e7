//! Raw configuration values and their conversion into typed option values.

use std::fmt;
use std::time::Duration;

use super::units::{
    format_duration, parse_buffer_timeout, parse_duration, parse_memory_size, BufferTimeout,
    MemorySize,
};

/// A configuration value as it arrives: a string (`--set`, YAML-like text) or a TOML scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// Text, parsed the way Flink parses configuration strings.
    Str(String),
    /// A TOML integer.
    Int(i64),
    /// A TOML boolean.
    Bool(bool),
    /// A TOML float (accepted by no current option; reported as a bad value).
    Float(f64),
}

impl fmt::Display for RawValue {
    /// The value as the user wrote it (strings without quotes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Str(s) => f.write_str(s),
            RawValue::Int(i) => write!(f, "{i}"),
            RawValue::Bool(b) => write!(f, "{b}"),
            RawValue::Float(x) => write!(f, "{x:?}"),
        }
    }
}

impl From<&str> for RawValue {
    fn from(s: &str) -> Self {
        RawValue::Str(s.to_owned())
    }
}

impl From<String> for RawValue {
    fn from(s: String) -> Self {
        RawValue::Str(s)
    }
}

impl From<i64> for RawValue {
    fn from(i: i64) -> Self {
        RawValue::Int(i)
    }
}

impl From<bool> for RawValue {
    fn from(b: bool) -> Self {
        RawValue::Bool(b)
    }
}

impl From<f64> for RawValue {
    fn from(x: f64) -> Self {
        RawValue::Float(x)
    }
}

/// A type an option can hold: parsed from a [`RawValue`] and printed back as canonical text.
pub trait ConfigValue: Clone + fmt::Debug + Send + Sync + 'static {
    /// Parses a raw value, or `None` if it does not have this type's form.
    fn from_raw(raw: &RawValue) -> Option<Self>;

    /// Canonical text for the value, which [`ConfigValue::from_raw`] accepts back.
    fn to_text(&self) -> String;
}

impl ConfigValue for u32 {
    /// Integers: a TOML integer, or a string Java's `Integer.parseInt` accepts (trimmed).
    fn from_raw(raw: &RawValue) -> Option<Self> {
        match raw {
            RawValue::Int(i) => u32::try_from(*i).ok(),
            RawValue::Str(s) => s.trim().parse::<i64>().ok().and_then(|i| i.try_into().ok()),
            RawValue::Bool(_) | RawValue::Float(_) => None,
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl ConfigValue for u64 {
    /// Integers: a TOML integer, or a string Java's `Long.parseLong` accepts (trimmed).
    fn from_raw(raw: &RawValue) -> Option<Self> {
        match raw {
            RawValue::Int(i) => u64::try_from(*i).ok(),
            RawValue::Str(s) => s.trim().parse::<u64>().ok(),
            RawValue::Bool(_) | RawValue::Float(_) => None,
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl ConfigValue for bool {
    /// Booleans: a TOML boolean, or `true`/`false` in any case (Flink's rule).
    fn from_raw(raw: &RawValue) -> Option<Self> {
        match raw {
            RawValue::Bool(b) => Some(*b),
            RawValue::Str(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
            RawValue::Str(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl ConfigValue for Duration {
    /// Durations: a string such as `5 ms`, or a non-negative TOML integer of milliseconds.
    fn from_raw(raw: &RawValue) -> Option<Self> {
        match raw {
            RawValue::Str(s) => parse_duration(s),
            RawValue::Int(i) => u64::try_from(*i).ok().map(Duration::from_millis),
            RawValue::Bool(_) | RawValue::Float(_) => None,
        }
    }

    fn to_text(&self) -> String {
        format_duration(*self)
    }
}

impl ConfigValue for MemorySize {
    /// Memory sizes: a string such as `32 kb`, or a non-negative TOML integer of bytes.
    fn from_raw(raw: &RawValue) -> Option<Self> {
        match raw {
            RawValue::Str(s) => parse_memory_size(s),
            RawValue::Int(i) => u64::try_from(*i).ok().map(MemorySize::from_bytes),
            RawValue::Bool(_) | RawValue::Float(_) => None,
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl ConfigValue for BufferTimeout {
    /// Buffer timeouts: a duration (string or TOML integer of milliseconds), or `-1`, `off`
    /// or `disabled` for [`BufferTimeout::Disabled`].
    fn from_raw(raw: &RawValue) -> Option<Self> {
        match raw {
            RawValue::Str(s) => parse_buffer_timeout(s),
            RawValue::Int(-1) => Some(BufferTimeout::Disabled),
            RawValue::Int(i) => u64::try_from(*i)
                .ok()
                .map(|ms| BufferTimeout::Interval(Duration::from_millis(ms))),
            RawValue::Bool(_) | RawValue::Float(_) => None,
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}
