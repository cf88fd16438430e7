//! [`ConfigOption`]: a typed, documented configuration key, as Flink's `ConfigOption<T>`.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use super::value::{ConfigValue, RawValue};

/// A typed configuration option: key, default, description and accepted forms.
///
/// Options are statics (see [`crate::config`]); read them with
/// [`Configuration::get`](super::Configuration::get).
pub struct ConfigOption<T: 'static> {
    key: &'static str,
    deprecated_keys: &'static [&'static str],
    default: fn() -> T,
    default_text: &'static str,
    description: &'static str,
    accepted: &'static str,
    is_valid: fn(&T) -> bool,
}

impl<T: 'static> ConfigOption<T> {
    /// Declares an option. `accepted` completes "expected …" in error messages and names the
    /// valid range; `is_valid` checks that range after parsing.
    pub(crate) const fn new(
        key: &'static str,
        default: fn() -> T,
        default_text: &'static str,
        description: &'static str,
        accepted: &'static str,
        is_valid: fn(&T) -> bool,
    ) -> Self {
        ConfigOption {
            key,
            deprecated_keys: &[],
            default,
            default_text,
            description,
            accepted,
            is_valid,
        }
    }

    /// Adds older Flink keys that are still accepted for this option (Flink's
    /// `withDeprecatedKeys`); values set through them are stored under [`Self::key`].
    pub(crate) const fn with_deprecated_keys(mut self, keys: &'static [&'static str]) -> Self {
        self.deprecated_keys = keys;
        self
    }

    /// The key, e.g. `execution.buffer-timeout`.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// Older Flink keys still accepted for this option.
    pub fn deprecated_keys(&self) -> &'static [&'static str] {
        self.deprecated_keys
    }

    /// The default value.
    pub fn default_value(&self) -> T {
        (self.default)()
    }

    /// The default as documentation text, e.g. `100 ms`.
    pub fn default_text(&self) -> &'static str {
        self.default_text
    }

    /// What the option controls.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// The accepted values, phrased to follow "expected", e.g. `an integer of at least 1`.
    pub fn accepted(&self) -> &'static str {
        self.accepted
    }

    /// Whether `value` lies in the option's valid range.
    pub fn is_valid(&self, value: &T) -> bool {
        (self.is_valid)(value)
    }

    /// The option's documentation entry.
    pub fn info(&self) -> OptionInfo {
        OptionInfo {
            key: self.key,
            default: self.default_text,
            description: self.description,
            accepted: self.accepted,
            deprecated_keys: self.deprecated_keys,
        }
    }
}

impl<T: ConfigValue> ConfigOption<T> {
    /// Parses and range-checks a raw value; `None` if it is not acceptable.
    pub fn parse(&self, raw: &RawValue) -> Option<T> {
        T::from_raw(raw).filter(|v| self.is_valid(v))
    }
}

impl<T> fmt::Debug for ConfigOption<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigOption")
            .field("key", &self.key)
            .field("default", &self.default_text)
            .finish_non_exhaustive()
    }
}

/// Documentation of one option, for the README and `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInfo {
    /// The key, e.g. `parallelism.default`.
    pub key: &'static str,
    /// The default as text, e.g. `1`.
    pub default: &'static str,
    /// What the option controls.
    pub description: &'static str,
    /// The accepted values, e.g. `an integer of at least 1`.
    pub accepted: &'static str,
    /// Older Flink keys still accepted for this option.
    pub deprecated_keys: &'static [&'static str],
}

/// A stored, type-erased option value.
pub(crate) type StoredValue = Arc<dyn Any + Send + Sync>;

/// An option with its value type erased, so the registry can be searched by key.
pub(crate) trait ErasedOption: Sync {
    /// The option's key.
    fn key(&self) -> &'static str;
    /// Older keys accepted for the option.
    fn deprecated_keys(&self) -> &'static [&'static str];
    /// Documentation of the option.
    fn info(&self) -> OptionInfo;
    /// Parses and validates `raw` into a stored value and its canonical text.
    fn parse_erased(&self, raw: &RawValue) -> Option<(StoredValue, String)>;
}

impl<T: ConfigValue> ErasedOption for ConfigOption<T> {
    fn key(&self) -> &'static str {
        self.key
    }

    fn deprecated_keys(&self) -> &'static [&'static str] {
        self.deprecated_keys
    }

    fn info(&self) -> OptionInfo {
        ConfigOption::info(self)
    }

    fn parse_erased(&self, raw: &RawValue) -> Option<(StoredValue, String)> {
        let value = self.parse(raw)?;
        let text = value.to_text();
        Some((Arc::new(value), text))
    }
}
