//! Small, fast runs of each harness that check structure and invariants, never speed
//! (the machines are shared and noisy).

use std::time::Duration;

use weir_core::config::{BufferTimeout, Configuration, Origin, RawValue};

use super::*;

/// A small network memory, so that tests running side by side do not map 64 MiB each.
fn config() -> Configuration {
    let mut c = Configuration::default();
    c.set(
        "taskmanager.memory.network.max",
        RawValue::Str("4 mb".into()),
        Origin::Api,
    )
    .unwrap();
    c
}

#[test]
fn latency_histogram_counts_every_measured_record() {
    let opts = LatencyOpts {
        rate: 20_000.0,
        buffer_timeout: BufferTimeout::Interval(Duration::ZERO),
        duration: Duration::from_millis(200),
        warmup: Duration::ZERO,
        max_burst: 16,
        config: config(),
    };
    let mut updates = 0;
    let r = bench_latency(&opts, Some(&mut |_| updates += 1)).unwrap();
    assert!(updates >= 1, "the progress callback was never called");
    // The source emits at most its schedule (4000 records, give or take the one due at
    // the very end); on a loaded machine it may fall behind, so no lower bound but one.
    assert!(
        (1..=4_001).contains(&r.records),
        "measured {} records",
        r.records
    );
    assert!(r.p50_us <= r.p90_us && r.p90_us <= r.p99_us);
    assert!(r.p99_us <= r.p999_us && r.p999_us <= r.max_us);
    assert!(r.p50_us > 0.0);
    assert_eq!(r.buffer_timeout_ms, 0.0);
    assert!((r.achieved_rate - r.records as f64 / 0.2).abs() < 1e-6);
    let table = render_table(&[r]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header[..3],
        ["rate", "buffer_timeout_ms", "p50_us"],
        "{table}"
    );
}

#[test]
fn latency_rejects_a_bad_rate() {
    let opts = LatencyOpts {
        rate: 0.0,
        ..LatencyOpts::default()
    };
    assert!(matches!(
        bench_latency(&opts, None),
        Err(BenchError::InvalidOption(_))
    ));
}

#[test]
fn sweep_has_five_rows_relative_to_off() {
    let opts = SweepOpts {
        events: 50_000,
        config: config(),
    };
    let rows = bench_timeout_sweep(&opts, None).unwrap();
    let timeouts: Vec<f64> = rows.iter().map(|r| r.buffer_timeout_ms).collect();
    assert_eq!(timeouts, vec![0.0, 1.0, 10.0, 100.0, -1.0]);
    assert_eq!(rows[4].ratio_to_off, 1.0);
    for r in &rows {
        assert_eq!(r.records, 50_000);
        assert!(r.events_per_sec > 0.0 && r.ratio_to_off > 0.0);
    }
    assert_eq!(render_json_lines(&rows).lines().count(), 5);
}

#[test]
fn backpressure_loses_nothing_and_stays_within_the_pool() {
    let run = |events| {
        bench_backpressure(
            &BackpressureOpts {
                events,
                sink_rate: 200_000.0,
                config: config(),
            },
            None,
        )
        .unwrap()
    };
    let n = run(20_000);
    let n2 = run(40_000);
    for r in [&n, &n2] {
        assert_eq!(r.records_out, r.events);
        assert!(r.buffer_capacity > 0);
        assert!(r.peak_buffers_in_use >= 1);
        assert!(r.peak_buffers_in_use <= r.buffer_capacity);
    }
    // The peak does not grow with the number of records: both are bounded by the same pool.
    assert_eq!(n.buffer_capacity, n2.buffer_capacity);
}

#[test]
fn the_job_crosses_slots_and_a_chained_one_is_refused() {
    use weir_core::api::StreamExecutionEnvironment;
    let config = job::two_slot_config(&config()).unwrap();
    // Same slot sharing group and a forward edge: source and sink chain into one task.
    let env = StreamExecutionEnvironment::new(config.clone());
    env.from_sequence(0, 10).blackhole(None);
    let chained = env.job_graph("chained").unwrap();
    assert!(matches!(
        job::check_cross_slot(&chained, 2),
        Err(BenchError::Placement(_))
    ));
    // A rebalance edge inside one slot sharing group: both tasks share slot 0, also refused.
    let env = StreamExecutionEnvironment::new(config);
    env.from_sequence(0, 10).rebalance().blackhole(None);
    let same_slot = env.job_graph("same slot").unwrap();
    assert!(matches!(
        job::check_cross_slot(&same_slot, 2),
        Err(BenchError::Placement(_))
    ));
}

#[test]
fn checkpoint_bench_reports_every_field_or_says_why_not() {
    let opts = CheckpointOpts {
        events: 200_000,
        keys: 1_000,
        parallelism: 2,
        interval: Duration::from_millis(50),
        sink_rate: 200_000.0,
        aligned_seconds: 0.5,
        recovery_keys: 5_000,
        config: config(),
    };
    let mut stages = 0;
    let r = bench_checkpoint(&opts, Some(&mut |_| stages += 1)).unwrap();
    assert_eq!(stages, 6, "one progress call per job and one at the end");
    assert_eq!((r.events, r.parallelism), (200_000, 2));
    assert!(r.events_per_sec_without > 0.0 && r.events_per_sec_with > 0.0);
    assert!(r.ratio_with_checkpoints > 0.0);
    let (median, max) = (
        r.aligned_checkpoint_ms
            .expect("the backpressured job completes a checkpoint"),
        r.aligned_checkpoint_max_ms.expect("and has a longest one"),
    );
    assert!(median >= 0.0 && median <= max);
    let (median, max) = (
        r.unaligned_checkpoint_ms
            .expect("the backpressured job completes an unaligned checkpoint"),
        r.unaligned_checkpoint_max_ms
            .expect("and has a longest one"),
    );
    assert!(median >= 0.0 && median <= max);
    match r.recovery_ms {
        Some(ms) => assert!(ms >= 0.0 && r.recovery_state_bytes > 0, "{r:?}"),
        None => assert!(r.note.contains("no recovery measured"), "{r:?}"),
    }
    if r.checkpoints_completed == 0 {
        assert!(r.note.contains("no checkpoint completed"), "{r:?}");
    }
    let fields: Vec<&str> = r.fields().iter().map(|(name, _)| *name).collect();
    assert_eq!(
        fields,
        [
            "events",
            "parallelism",
            "events_per_sec_without",
            "events_per_sec_with",
            "ratio_with_checkpoints",
            "checkpoints_completed",
            "aligned_checkpoint_ms",
            "aligned_checkpoint_max_ms",
            "unaligned_checkpoint_ms",
            "unaligned_checkpoint_max_ms",
            "recovery_ms",
            "recovery_state_bytes",
            "snapshot_sync_max_ms",
            "note",
        ]
    );
    let json: serde_json::Value = serde_json::from_str(render_json_lines(&[r]).trim()).unwrap();
    assert!(json["unaligned_checkpoint_ms"].is_number(), "{json}");
    assert!(bench_checkpoint(
        &CheckpointOpts {
            interval: Duration::from_millis(5),
            ..opts
        },
        None
    )
    .is_err());
}
