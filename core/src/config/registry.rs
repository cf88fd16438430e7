//! [`Configuration`]: the explicitly set options of a job or TaskManager, over the defaults.

use std::collections::BTreeMap;
use std::fmt;

use super::error::{suggest, ConfigError, Origin};
use super::option::{ConfigOption, ErasedOption, OptionInfo, StoredValue};
use super::options::ALL;
use super::value::{ConfigValue, RawValue};

/// Documentation of every option (key, default as text, description, accepted values),
/// in a stable order, for the README and `--help`.
pub fn all_options() -> Vec<OptionInfo> {
    ALL.iter().map(|o| o.info()).collect()
}

/// Finds the option for `key`, by its key or one of its deprecated Flink keys.
fn find_option(key: &str) -> Option<&'static dyn ErasedOption> {
    ALL.iter()
        .copied()
        .find(|o| o.key() == key || o.deprecated_keys().contains(&key))
}

/// One explicitly set option: its value as written, its canonical text and its origin.
#[derive(Clone)]
pub struct ConfigEntry {
    value: StoredValue,
    raw: RawValue,
    text: String,
    origin: Origin,
}

impl ConfigEntry {
    /// The value as written, e.g. `Str("32kb")`.
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// The parsed value as canonical text, e.g. `32 kb`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the value was set.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
}

impl fmt::Debug for ConfigEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigEntry")
            .field("raw", &self.raw)
            .field("text", &self.text)
            .field("origin", &self.origin)
            .finish()
    }
}

/// A configuration: every option at its default unless explicitly set, as Flink's
/// `Configuration`. Later sets of the same key replace earlier ones (and their origin).
#[derive(Debug, Clone, Default)]
pub struct Configuration {
    entries: BTreeMap<&'static str, ConfigEntry>,
}

impl Configuration {
    /// A configuration with every option at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` from a raw value, checking that the key exists and the value is valid.
    ///
    /// Deprecated Flink keys are accepted and stored under the option's current key.
    pub fn set(&mut self, key: &str, value: RawValue, origin: Origin) -> Result<(), ConfigError> {
        let Some(option) = find_option(key) else {
            return Err(ConfigError::UnknownKey {
                key: key.to_owned(),
                origin,
                suggestion: suggest(key, ALL.iter().map(|o| o.key())),
            });
        };
        let Some((stored, text)) = option.parse_erased(&value) else {
            return Err(ConfigError::BadValue {
                key: option.key(),
                value: value.to_string(),
                origin,
                expected: option.info().accepted,
            });
        };
        self.entries.insert(
            option.key(),
            ConfigEntry {
                value: stored,
                raw: value,
                text,
                origin,
            },
        );
        Ok(())
    }

    /// The same as [`Configuration::set`], under the name configuration loaders use.
    pub fn set_value(
        &mut self,
        key: &str,
        value: RawValue,
        origin: Origin,
    ) -> Result<(), ConfigError> {
        self.set(key, value, origin)
    }

    /// Sets a typed value from the Rust API (origin [`Origin::Api`]), checking its range.
    pub fn set_option<T: ConfigValue>(
        &mut self,
        option: &'static ConfigOption<T>,
        value: T,
    ) -> Result<(), ConfigError> {
        let text = value.to_text();
        self.set(option.key(), RawValue::Str(text), Origin::Api)
    }

    /// The value of `option`: the explicitly set one, or the option's default.
    pub fn get<T: ConfigValue>(&self, option: &ConfigOption<T>) -> T {
        self.entries
            .get(option.key())
            .and_then(|e| e.value.downcast_ref::<T>())
            .cloned()
            .unwrap_or_else(|| option.default_value())
    }

    /// Whether `option` was explicitly set.
    pub fn is_set<T>(&self, option: &ConfigOption<T>) -> bool {
        self.entries.contains_key(option.key())
    }

    /// The entry of an explicitly set option, by key.
    pub fn entry(&self, key: &str) -> Option<&ConfigEntry> {
        self.entries.get(key)
    }

    /// Removes an explicitly set value, returning `option` to its default.
    pub fn reset<T>(&mut self, option: &ConfigOption<T>) -> Option<ConfigEntry> {
        self.entries.remove(option.key())
    }

    /// The explicitly set options, ordered by key, for printing (`key = text  # origin`).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &ConfigEntry)> + '_ {
        self.entries.iter().map(|(k, e)| (*k, e))
    }

    /// Applies every entry of `other` on top of this configuration (later wins).
    pub fn merge(&mut self, other: &Configuration) {
        for (key, entry) in &other.entries {
            self.entries.insert(key, entry.clone());
        }
    }
}
