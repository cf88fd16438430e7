//! Checkpoints, restarts and exactly-once output through the public API: a keyed job
//! whose committed output is the same with checkpoints, and with failures injected at
//! seeded points followed by restores of the latest checkpoint, as in a straight run.

#[path = "common/checkpointing.rs"]
mod checkpointing;
mod common;

use std::path::Path;

use checkpointing::{
    assert_restored_run_completes, committed_lines, fail_for_good, fault_tolerance, format_pair,
    late_failure_seed, paced, set, temp_dir,
};
use weir_core::api::StreamExecutionEnvironment;
use weir_core::operator::keyed_process::{KeyedContext, KeyedProcessFunction};
use weir_core::operator::process::Collector;
use weir_core::operator::OpResult;
use weir_core::operator::OperatorError;
use weir_core::record::Data;
use weir_state::keyed::{ValueState, ValueStateDescriptor};
use weir_state::HeapKeyedStateBackend;

/// Word count over numbers: per key (`x % 13`), the running count, written exactly once.
fn run_count(
    name: &str,
    parallelism: usize,
    checkpoint_ms: Option<u64>,
    chaos: Option<(u64, u32)>,
) -> (Vec<String>, weir_core::cluster::JobResult) {
    let out = temp_dir(name);
    let env = count_job(
        &out,
        parallelism,
        checkpoint_ms,
        chaos,
        &format!("{name}-cp"),
        false,
    );
    let result = env.execute(name).unwrap();
    (committed_lines(&out), result)
}

/// The environment of the count job writing into `out`, checkpointing into `cp` (a temp
/// directory name) every `checkpoint_ms`.
fn count_job(
    out: &Path,
    parallelism: usize,
    checkpoint_ms: Option<u64>,
    chaos: Option<(u64, u32)>,
    cp: &str,
    process: bool,
) -> StreamExecutionEnvironment {
    let env = common::env_with(6, "1 ms");
    env.set_parallelism(parallelism).unwrap();
    fault_tolerance(&env, checkpoint_ms, chaos, cp);
    let keyed = paced(&env)
        .map(|x: i64| (x % 13, 1i64))
        .key_by(|p: &(i64, i64)| p.0);
    let counted = if process {
        keyed.process(CountWithFinal::default())
    } else {
        keyed.reduce(|a, b| (a.0, a.1 + b.1))
    };
    counted.sink_to_files_exactly_once(out, format_pair());
    env
}

/// Counts per key in a value state, emitting the running count; on a key's first element
/// it registers an event-time timer, which fires at the end of input and emits the key's
/// final count as `(-1 - key, count)`: after a restore the timer exists only if the
/// snapshot kept it.
#[derive(Clone, Default)]
struct CountWithFinal {
    count: Option<ValueState<(), i64>>,
}

impl KeyedProcessFunction<i64, (i64, i64), (i64, i64)> for CountWithFinal {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<i64>) -> OpResult {
        self.count = Some(state.value_state(&ValueStateDescriptor::new("count"))?);
        Ok(())
    }
    fn process_element(
        &mut self,
        value: (i64, i64),
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        let count = self
            .count
            .ok_or_else(|| OperatorError::User("not open".into()))?;
        let n = count.value(ctx.state(), &())?.unwrap_or(0) + 1;
        count.update(ctx.state(), &(), n)?;
        if n == 1 {
            ctx.register_event_time_timer(0);
        }
        out.collect((value.0, n));
        Ok(())
    }
    fn on_timer(
        &mut self,
        _timestamp: i64,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        let count = self
            .count
            .ok_or_else(|| OperatorError::User("not open".into()))?;
        let n = count.value(ctx.state(), &())?.unwrap_or(0);
        let key = *ctx.current_key();
        out.collect((-1 - key, n));
        Ok(())
    }
}

#[test]
fn a_keyed_process_function_with_timers_commits_the_same_output_through_failures() {
    let run = |name: &str, chaos: bool| {
        let out = temp_dir(name);
        let (ms, seeded) = (chaos.then_some(10), chaos.then_some((21, 3)));
        let env = count_job(&out, 2, ms, seeded, &format!("{name}-cp"), true);
        let r = env.execute(name).unwrap();
        (committed_lines(&out), r)
    };
    let (straight, _) = run("process-straight", false);
    assert_eq!(
        straight.len(),
        6000 + 13,
        "running counts and one final count per key"
    );
    let (failed, r) = run("process-chaos", true);
    assert!(r.restarts >= 1, "a failure was injected");
    assert_eq!(failed, straight, "restored after {} failures", r.restarts);
}

fn assert_data<T: Data>() {}

#[test]
fn a_keyed_count_commits_the_same_output_with_checkpoints_and_with_failures() {
    assert_data::<(i64, i64)>();
    for p in [1, 2] {
        let (straight, r) = run_count(&format!("straight-{p}"), p, None, None);
        assert_eq!(straight.len(), 6000, "one running count per element");
        assert_eq!((r.restarts, r.checkpoints), (0, 0));

        let (checkpointed, r) = run_count(&format!("checkpointed-{p}"), p, Some(10), None);
        assert_eq!(
            checkpointed, straight,
            "p = {p}: checkpoints change nothing"
        );
        assert!(r.checkpoints > 0, "p = {p}: checkpoints were taken");

        let (failed, r) = run_count(&format!("chaos-{p}"), p, Some(10), Some((7 + p as u64, 3)));
        assert!(r.restarts >= 1, "p = {p}: a failure was injected");
        eprintln!(
            "p = {p}: {} restarts, {} checkpoints",
            r.restarts, r.checkpoints
        );
        assert_eq!(
            failed, straight,
            "p = {p}: restored after {} failures",
            r.restarts
        );
    }
}

#[test]
fn a_retained_checkpoint_restores_at_another_parallelism() {
    let (straight, _) = run_count("rescale-straight", 2, None, None);
    for to in [3, 1] {
        let name = format!("rescale-2-to-{to}");
        let out = temp_dir(&name);
        // A run at parallelism 2 that fails for good after some checkpoints, keeping them.
        let seed = late_failure_seed(4); // source -> map, and reduce -> sink, twice
        let cp_name = format!("{name}-cp");
        let env = count_job(&out, 2, Some(10), Some((seed, 1)), &cp_name, false);
        let checkpoint = fail_for_good(&env, &name, &cp_name);

        // The same job at another parallelism, from that checkpoint, into the same files.
        let env = count_job(&out, to, None, None, "unused", false);
        assert_restored_run_completes(&env, &checkpoint, &name, to, &out, &straight);
    }
}

#[test]
fn at_least_once_checkpoints_lose_no_record_through_failures() {
    // A stateless job across an all-to-all exchange: at least once, every element is committed
    // once or more (duplicates allowed and counted), whatever the failures.
    let run = |name: &str, at_least_once: bool| {
        let out = temp_dir(name);
        let env = common::env_with(6, "1 ms");
        env.set_parallelism(2).unwrap();
        if at_least_once {
            set(&env, "execution.checkpointing.interval", "10 ms");
            set(&env, "execution.checkpointing.mode", "AT_LEAST_ONCE");
            set(
                &env,
                "state.checkpoints.dir",
                temp_dir(&format!("{name}-cp")).to_str().unwrap(),
            );
            set(&env, "restart-strategy.type", "fixed-delay");
            set(&env, "restart-strategy.fixed-delay.attempts", "20");
            set(&env, "restart-strategy.fixed-delay.delay", "5 ms");
            set(&env, "weir.chaos.seed", "3");
            set(&env, "weir.chaos.failures", "3");
            set(&env, "weir.chaos.max-records", "2500");
        }
        paced(&env)
            .map(|x: i64| (x % 7, x))
            .rebalance()
            .map(|p: (i64, i64)| p)
            .sink_to_files_exactly_once(&out, format_pair());
        let r = env.execute(name).unwrap();
        (committed_lines(&out), r)
    };
    let (straight, _) = run("alo-straight", false);
    let (got, r) = run("alo-chaos", true);
    assert!(r.restarts >= 1, "a failure was injected");
    let mut missing = straight.clone();
    let mut duplicates = 0;
    let mut seen = std::collections::BTreeSet::new();
    for line in &got {
        if !seen.insert(line.clone()) {
            duplicates += 1;
        }
    }
    missing.retain(|l| !seen.contains(l));
    assert!(
        missing.is_empty(),
        "lost {} records, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert_eq!(
        seen.len(),
        straight.len(),
        "nothing but the input's records"
    );
    eprintln!(
        "at least once: {} restarts, {duplicates} duplicates",
        r.restarts
    );
}
