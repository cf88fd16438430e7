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

/// The recovery flags of `weir run` and `weir nexmark`, each a shorthand for a key.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RecoveryArgs {
    /// Takes a checkpoint every T, e.g. `1s` (execution.checkpointing.interval; needs
    /// state.checkpoints.dir).
    #[arg(long, value_name = "T")]
    pub checkpoint_interval: Option<String>,
    /// Restores the job's state from a savepoint or retained checkpoint, its directory or
    /// its _metadata file (execution.savepoint.path).
    #[arg(long, value_name = "PATH")]
    pub from_savepoint: Option<std::path::PathBuf>,
    /// Lets a restore skip state that no operator of the job takes
    /// (execution.savepoint.ignore-unclaimed-state).
    #[arg(long)]
    pub allow_non_restored_state: bool,
    /// Injects failures at points drawn from SEED, each followed by the configured restart
    /// (weir.chaos.seed).
    #[arg(long, value_name = "SEED")]
    pub chaos: Option<u64>,
    /// How many failures --chaos injects (weir.chaos.failures).
    #[arg(long, value_name = "K", requires = "chaos")]
    pub failures: Option<u32>,
}

impl RecoveryArgs {
    /// The flags as `KEY=VALUE` overrides.
    pub fn to_sets(&self) -> Vec<String> {
        let mut sets = Vec::new();
        if let Some(t) = &self.checkpoint_interval {
            sets.push(format!("execution.checkpointing.interval={t}"));
        }
        if let Some(p) = &self.from_savepoint {
            sets.push(format!("execution.savepoint.path={}", p.display()));
        }
        if self.allow_non_restored_state {
            sets.push("execution.savepoint.ignore-unclaimed-state=true".into());
        }
        if let Some(seed) = self.chaos {
            sets.push(format!("weir.chaos.seed={seed}"));
        }
        if let Some(k) = self.failures {
            sets.push(format!("weir.chaos.failures={k}"));
        }
        sets
    }
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
