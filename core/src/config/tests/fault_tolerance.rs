//! The checkpoint, restart and REST options: Flink's keys and aliases, defaults, and the
//! resolved settings.

use std::time::Duration;

use super::{file, set};
use crate::config::fault_tolerance::*;
use crate::config::{Configuration, Origin, RawValue};

#[test]
fn checkpointing_is_off_by_default_and_restarts_follow_it() {
    let conf = Configuration::default();
    assert_eq!(CheckpointSettings::from_config(&conf), Ok(None));
    assert_eq!(RestartStrategy::from_config(&conf), RestartStrategy::None);
    assert_eq!(conf.get(&FAILOVER_STRATEGY), FailoverStrategy::Region);
    assert_eq!(conf.get(&REST_PORT), 8081);
    assert_eq!(conf.get(&REST_ADDRESS), "127.0.0.1");
}

#[test]
fn enabled_checkpointing_resolves_with_flink_defaults() {
    let mut conf = Configuration::default();
    set(&mut conf, "execution.checkpointing.interval", "1 s").unwrap();
    set(&mut conf, "state.checkpoints.dir", "/tmp/cp").unwrap();
    let s = CheckpointSettings::from_config(&conf).unwrap().unwrap();
    assert_eq!(s.interval, Duration::from_secs(1));
    assert_eq!(s.mode, CheckpointingMode::ExactlyOnce);
    assert_eq!(s.timeout, Duration::from_secs(600));
    assert_eq!(
        (s.min_pause, s.max_concurrent, s.tolerable_failures),
        (Duration::ZERO, 1, 0)
    );
    assert_eq!(
        s.retention,
        ExternalizedRetention::NoExternalizedCheckpoints
    );
    assert_eq!(s.num_retained, 1);
    assert_eq!(s.directory, std::path::PathBuf::from("/tmp/cp"));
    assert!(!s.unaligned);
    // With checkpointing, an unset restart strategy is exponential-delay (Flink 1.19).
    match RestartStrategy::from_config(&conf) {
        RestartStrategy::ExponentialDelay {
            initial,
            max,
            multiplier,
            jitter,
            ..
        } => {
            assert_eq!(
                (initial, max),
                (Duration::from_secs(1), Duration::from_secs(60))
            );
            assert_eq!((multiplier, jitter), (1.5, 0.1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn flink_2_names_and_old_names_are_accepted() {
    let mut conf = Configuration::default();
    set(&mut conf, "execution.checkpointing.dir", "/cp").unwrap();
    set(&mut conf, "execution.checkpointing.num-retained", "3").unwrap();
    set(&mut conf, "execution.checkpointing.unaligned", "true").unwrap();
    set(
        &mut conf,
        "execution.checkpointing.alignment-timeout",
        "30 ms",
    )
    .unwrap();
    set(&mut conf, "execution.checkpointing.savepoint-dir", "/sp").unwrap();
    assert_eq!(conf.get(&CHECKPOINTS_DIRECTORY), "/cp");
    assert_eq!(conf.get(&CHECKPOINTS_NUM_RETAINED), 3);
    assert!(conf.get(&UNALIGNED_CHECKPOINTS));
    assert_eq!(
        conf.get(&ALIGNED_CHECKPOINT_TIMEOUT),
        Duration::from_millis(30)
    );
    assert_eq!(conf.get(&SAVEPOINT_DIRECTORY), "/sp");
}

#[test]
fn enum_values_take_flink_names_and_aliases_in_any_case() {
    let mut conf = Configuration::default();
    for (text, want) in [
        ("fixed-delay", RestartStrategyType::FixedDelay),
        ("fixeddelay", RestartStrategyType::FixedDelay),
        ("FailureRate", RestartStrategyType::FailureRate),
        ("exponential-delay", RestartStrategyType::ExponentialDelay),
        ("off", RestartStrategyType::None),
        ("disable", RestartStrategyType::None),
    ] {
        set(&mut conf, "restart-strategy.type", text).unwrap();
        assert_eq!(conf.get(&RESTART_STRATEGY), want, "{text}");
    }
    set(&mut conf, "execution.checkpointing.mode", "at_least_once").unwrap();
    assert_eq!(
        conf.get(&CHECKPOINTING_MODE),
        CheckpointingMode::AtLeastOnce
    );
    set(
        &mut conf,
        "execution.checkpointing.externalized-checkpoint-retention",
        "RETAIN_ON_CANCELLATION",
    )
    .unwrap();
    assert_eq!(
        conf.get(&EXTERNALIZED_CHECKPOINT_RETENTION),
        ExternalizedRetention::RetainOnCancellation
    );
    set(&mut conf, "jobmanager.execution.failover-strategy", "full").unwrap();
    assert_eq!(conf.get(&FAILOVER_STRATEGY), FailoverStrategy::Full);
}

#[test]
fn an_explicit_restart_strategy_wins_and_carries_its_parameters() {
    let mut conf = Configuration::default();
    set(&mut conf, "restart-strategy.type", "fixed-delay").unwrap();
    set(&mut conf, "restart-strategy.fixed-delay.attempts", "3").unwrap();
    set(&mut conf, "restart-strategy.fixed-delay.delay", "10 ms").unwrap();
    assert_eq!(
        RestartStrategy::from_config(&conf),
        RestartStrategy::FixedDelay {
            attempts: 3,
            delay: Duration::from_millis(10)
        }
    );
    set(&mut conf, "restart-strategy.type", "failure-rate").unwrap();
    set(
        &mut conf,
        "restart-strategy.failure-rate.max-failures-per-interval",
        "2",
    )
    .unwrap();
    assert_eq!(
        RestartStrategy::from_config(&conf),
        RestartStrategy::FailureRate {
            max_failures: 2,
            interval: Duration::from_secs(60),
            delay: Duration::from_secs(1)
        }
    );
}

#[test]
fn bad_values_and_combinations_are_named() {
    let mut conf = Configuration::default();
    let e = set(&mut conf, "execution.checkpointing.interval", "5 ms")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'execution.checkpointing.interval'") && e.contains("10 ms"),
        "{e}"
    );
    let e = set(&mut conf, "restart-strategy.type", "sometimes")
        .unwrap_err()
        .to_string();
    assert!(e.contains("fixed-delay") && e.contains("--set"), "{e}");
    let e = set(
        &mut conf,
        "restart-strategy.exponential-delay.jitter-factor",
        1.5,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("between 0 and 1"), "{e}");
    let e = set(&mut conf, "rest.address", "0.0.0.0")
        .unwrap_err()
        .to_string();
    assert!(e.contains("loopback"), "{e}");

    // Checkpointing without a directory.
    let mut conf = Configuration::default();
    conf.set(
        "execution.checkpointing.interval",
        RawValue::from("1 s"),
        file("job.toml", 4),
    )
    .unwrap();
    let e = CheckpointSettings::from_config(&conf)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'state.checkpoints.dir'") && e.contains("directory"),
        "{e}"
    );

    // Unaligned checkpoints in at-least-once mode, as Flink refuses.
    conf.set(
        "state.checkpoints.dir",
        RawValue::from("/cp"),
        Origin::CommandLine,
    )
    .unwrap();
    conf.set(
        "execution.checkpointing.mode",
        RawValue::from("AT_LEAST_ONCE"),
        Origin::CommandLine,
    )
    .unwrap();
    conf.set(
        "execution.checkpointing.unaligned.enabled",
        RawValue::Bool(true),
        file("job.toml", 7),
    )
    .unwrap();
    let e = CheckpointSettings::from_config(&conf)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("job.toml:7") && e.contains("EXACTLY_ONCE"),
        "{e}"
    );
}
