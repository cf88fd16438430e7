//! Unaligned checkpoints through the public API: a keyed job whose keyed step is slower
//! than its source, so that its input queue is never empty and every barrier overtakes
//! buffers. The committed output with unaligned checkpoints and seeded failures equals a
//! straight run's; a retained unaligned checkpoint holds in-flight data, restores at its
//! parallelism to the same output, and refuses another parallelism with a clear error.

// This file uses only some of the shared checkpoint helpers.
#[allow(dead_code)]
#[path = "common/checkpointing.rs"]
mod checkpointing;
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use checkpointing::{
    assert_same_lines, committed_lines, fail_for_good, fault_tolerance, format_pair,
    late_failure_seed, paced_source, set, temp_dir,
};
use weir_core::api::StreamExecutionEnvironment;

/// Elements of the paced source.
const ELEMENTS: u64 = 12_000;

/// Busy work per record of the keyed step: slower than the paced source feeds it.
const SLOW: Duration = Duration::from_micros(150);

/// Running counts per key (`x % 13`) behind a slow step, exactly once into `out`;
/// unaligned checkpoints every 10 ms into the temp directory `cp` when `checkpoints`.
fn slow_count(
    out: &Path,
    parallelism: usize,
    checkpoints: bool,
    chaos: Option<(u64, u32)>,
    cp: &str,
) -> StreamExecutionEnvironment {
    let env = common::env_with(6, "1 ms");
    env.set_parallelism(parallelism).unwrap();
    // Small buffers: the source runs into backpressure, and the barriers find full queues.
    set(&env, "taskmanager.memory.segment-size", "1 kb");
    fault_tolerance(&env, checkpoints.then_some(10), chaos, cp);
    if checkpoints {
        set(&env, "execution.checkpointing.unaligned.enabled", "true");
    }
    paced_source(&env, "paced", ELEMENTS)
        .map(|x: i64| (x % 13, 1i64))
        .key_by(|p: &(i64, i64)| p.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .map(|p: (i64, i64)| {
            let start = Instant::now();
            while start.elapsed() < SLOW {
                std::hint::spin_loop();
            }
            p
        })
        .sink_to_files_exactly_once(out, format_pair());
    env
}

fn straight(name: &str, parallelism: usize) -> Vec<String> {
    let out = temp_dir(name);
    slow_count(&out, parallelism, false, None, "unused")
        .execute(name)
        .unwrap();
    let lines = committed_lines(&out);
    assert_eq!(
        lines.len(),
        ELEMENTS as usize,
        "one running count per element"
    );
    lines
}

#[test]
fn unaligned_checkpoints_commit_the_same_output_through_failures() {
    for p in [1, 2] {
        let want = straight(&format!("ua-straight-{p}"), p);
        let name = format!("ua-chaos-{p}");
        let out = temp_dir(&name);
        let env = slow_count(
            &out,
            p,
            true,
            Some((30 + p as u64, 3)),
            &format!("{name}-cp"),
        );
        let r = env.execute(&name).unwrap();
        assert!(r.restarts >= 1, "p = {p}: a failure was injected");
        assert!(r.checkpoints > 0, "p = {p}: checkpoints completed");
        eprintln!(
            "p = {p}: {} restarts, {} checkpoints",
            r.restarts, r.checkpoints
        );
        let context = format!("p = {p}, unaligned, {} failures", r.restarts);
        assert_same_lines(&committed_lines(&out), &want, &context);
    }
}

#[test]
fn a_retained_unaligned_checkpoint_holds_in_flight_data_and_restores_only_unchanged() {
    let want = straight("ua-retained-straight", 1);
    let name = "ua-retained";
    let out = temp_dir(name);
    let cp_name = format!("{name}-cp");
    // source -> map, and reduce -> map -> sink.
    let seed = late_failure_seed(2);
    let env = slow_count(&out, 1, true, Some((seed, 1)), &cp_name);
    let checkpoint = fail_for_good(&env, name, &cp_name);
    let metadata = std::fs::read(checkpoint.join("_metadata")).unwrap();
    let text = String::from_utf8_lossy(&metadata);
    assert!(
        text.contains("\"channels\""),
        "the barriers overtook queued buffers, so the checkpoint holds in-flight data: {text}"
    );

    // Another parallelism is refused: in-flight data cannot be split.
    let env = slow_count(&out, 2, false, None, "unused");
    set(
        &env,
        "execution.savepoint.path",
        checkpoint.to_str().unwrap(),
    );
    let err = env.execute("ua-rescaled").unwrap_err().to_string();
    assert!(
        err.contains("in-flight data") && err.contains("parallelism 1"),
        "{err}"
    );

    // The same parallelism restores, replaying the in-flight data exactly once.
    let env = slow_count(&out, 1, false, None, "unused");
    set(
        &env,
        "execution.savepoint.path",
        checkpoint.to_str().unwrap(),
    );
    env.execute("ua-restored").unwrap();
    let context = format!("restored from {}", checkpoint.display());
    assert_same_lines(&committed_lines(&out), &want, &context);
}
