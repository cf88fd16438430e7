//! [`ConfigError`] and [`Origin`]: what went wrong with a configuration value, and where.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A line of a configuration file (`line` is 1-based; 0 if unknown).
    File {
        /// The file's path as given by the user.
        path: PathBuf,
        /// The 1-based line of the key, or 0 if unknown.
        line: u32,
    },
    /// The `--set key=value` command-line flag.
    CommandLine,
    /// A call of the Rust API.
    Api,
}

impl fmt::Display for Origin {
    /// `path:line` (or just `path` when the line is unknown), `--set`, or `the API`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line: 0 } => write!(f, "{}", path.display()),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::CommandLine => f.write_str("--set"),
            Origin::Api => f.write_str("the API"),
        }
    }
}

/// A rejected configuration entry. Every message names the key, the value (if any) and
/// the [`Origin`].
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    /// The key is not a known option (nor a deprecated Flink name of one).
    #[error("unknown configuration key '{key}' at {origin}{}", DidYouMean(*suggestion))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where it was written.
        origin: Origin,
        /// The closest known key, if reasonably close.
        suggestion: Option<&'static str>,
    },
    /// The value does not parse for the option, or lies outside its valid range.
    #[error("bad value '{value}' for '{key}' at {origin}: expected {expected}")]
    BadValue {
        /// The option's key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// Where it was written.
        origin: Origin,
        /// What the option accepts, including its valid range.
        expected: &'static str,
    },
}

/// Formats `; did you mean '…'?` for a present suggestion, nothing otherwise.
struct DidYouMean(Option<&'static str>);

impl fmt::Display for DidYouMean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(key) => write!(f, "; did you mean '{key}'?"),
            None => Ok(()),
        }
    }
}

/// Edits between two keys, ignoring ASCII case (see [`crate::suggest::edit_distance`]).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    crate::suggest::edit_distance(&a.to_ascii_lowercase(), &b.to_ascii_lowercase())
}

/// The candidate nearest to `key`, if it is at most 3 edits away and those edits change at
/// most a quarter of the key's characters.
pub(crate) fn suggest<'a>(
    key: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let (distance, best) = candidates
        .into_iter()
        .map(|c| (edit_distance(key, c), c))
        .min_by_key(|(d, _)| *d)?;
    let len = key.chars().count();
    (distance <= 3 && distance * 4 <= len).then_some(best)
}
