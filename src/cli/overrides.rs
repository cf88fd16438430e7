//! `--set KEY=VALUE`: command-line overrides of configuration keys.

use weir_core::config::{ConfigError, Configuration, Origin, RawValue};

/// Why an override was refused.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    /// Not of the form `KEY=VALUE`.
    #[error("--set expects KEY=VALUE (e.g. --set execution.buffer-timeout=1ms), got '{0}'")]
    Malformed(String),
    /// The key or value was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Applies every `--set` in order, on top of `config`.
pub fn apply(config: &mut Configuration, sets: &[String]) -> Result<(), OverrideError> {
    for s in sets {
        let Some((key, value)) = s.split_once('=') else {
            return Err(OverrideError::Malformed(s.clone()));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(OverrideError::Malformed(s.clone()));
        }
        config.set(
            key,
            RawValue::Str(value.trim().to_string()),
            Origin::CommandLine,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_and_errors_name_the_key() {
        let mut c = Configuration::default();
        apply(&mut c, &["parallelism.default=3".into()]).unwrap();
        assert_eq!(c.get(&weir_core::config::DEFAULT_PARALLELISM), 3);
        let e = apply(&mut c, &["paralelism.default=3".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'paralelism.default'") && e.contains("parallelism.default"),
            "{e}"
        );
        let e = apply(&mut c, &["parallelism.default".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("KEY=VALUE"), "{e}");
    }
}
