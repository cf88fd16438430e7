//! Tests of the configuration registry: value forms, error messages, origins and docs.

mod errors;
mod fault_tolerance;
mod forms;
mod registry;
mod units;

use std::path::PathBuf;

use super::{ConfigError, Configuration, Origin, RawValue};

pub(super) fn file(path: &str, line: u32) -> Origin {
    Origin::File {
        path: PathBuf::from(path),
        line,
    }
}

pub(super) fn set(
    conf: &mut Configuration,
    key: &str,
    value: impl Into<RawValue>,
) -> Result<(), ConfigError> {
    conf.set(key, value.into(), Origin::CommandLine)
}

pub(super) fn error_text(key: &str, value: impl Into<RawValue>, origin: Origin) -> String {
    Configuration::default()
        .set(key, value.into(), origin)
        .unwrap_err()
        .to_string()
}
