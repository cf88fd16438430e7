//! Operator state through checkpoints, failures and rescaling: the broadcast state of a
//! keyed broadcast function, and a user function's split list state
//! (`CheckpointedFunction`). The committed output of the exactly-once file sink equals a
//! straight run's.

#[path = "common/checkpointing.rs"]
mod checkpointing;
mod common;

use checkpointing::{
    assert_restored_run_completes, assert_same_lines, committed_lines, fail_for_good,
    fault_tolerance, format_pair, late_failure_seed, paced, paced_source, temp_dir,
};
use weir_core::api::StreamExecutionEnvironment;
use weir_core::cluster::JobResult;
use weir_core::operator::broadcast::KeyedBroadcastProcessFunction;
use weir_core::operator::checkpointed::{
    CheckpointedFunction, FunctionInitializationContext, FunctionSnapshotContext,
};
use weir_core::operator::keyed_process::KeyedContext;
use weir_core::operator::process::{Collector, Context, ProcessFunction};
use weir_core::operator::{OpResult, OperatorError};
use weir_state::keyed::{ValueState, ValueStateDescriptor};
use weir_state::operator_state::{BroadcastState, ReadOnlyBroadcastState};
use weir_state::HeapKeyedStateBackend;

/// Counts per key (`x % 13`) and emits the running count; at the end of input (an
/// event-time timer) emits `(-1 - key, count * factor)`, where the factor of the key's
/// residue mod 3 is a rule of the broadcast state. The rules are the first three elements
/// of the broadcast source (`r` for `r < 3` sets residue `r`'s factor to `r + 2`), so a
/// restore after them has them only if the broadcast state was snapshotted: the source
/// resumes past them.
#[derive(Clone, Default)]
struct RuledCount {
    count: Option<ValueState<(), i64>>,
}

impl RuledCount {
    fn count(&self) -> Result<ValueState<(), i64>, OperatorError> {
        self.count
            .ok_or_else(|| OperatorError::User("not open".into()))
    }
}

impl KeyedBroadcastProcessFunction<i64, i64, i64, i64, i64, (i64, i64)> for RuledCount {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<i64>) -> OpResult {
        self.count = Some(state.value_state(&ValueStateDescriptor::new("count"))?);
        Ok(())
    }
    fn process_element(
        &mut self,
        _value: i64,
        _rules: ReadOnlyBroadcastState<'_, i64, i64>,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        let count = self.count()?;
        let n = count.value(ctx.state(), &())?.unwrap_or(0) + 1;
        count.update(ctx.state(), &(), n)?;
        if n == 1 {
            ctx.register_event_time_timer(0);
        }
        out.collect((*ctx.current_key(), n));
        Ok(())
    }
    fn process_broadcast_element(
        &mut self,
        value: i64,
        rules: &mut BroadcastState<i64, i64>,
        _out: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        if value < 3 {
            rules.put(value, value + 2);
        }
        Ok(())
    }
    fn on_timer(
        &mut self,
        _timestamp: i64,
        rules: ReadOnlyBroadcastState<'_, i64, i64>,
        ctx: &mut KeyedContext<'_, i64>,
        out: &mut Collector<'_, (i64, i64)>,
    ) -> OpResult {
        let n = self.count()?.value(ctx.state(), &())?.unwrap_or(0);
        let key = *ctx.current_key();
        let factor = rules.get(&(key % 3)).copied().unwrap_or(0);
        out.collect((-1 - key, n * factor));
        Ok(())
    }
}

/// The ruled count at `parallelism`, with checkpoints every 10 ms and seeded failures
/// when `chaos`.
fn run_ruled(
    name: &str,
    parallelism: usize,
    chaos: Option<(u64, u32)>,
) -> (Vec<String>, JobResult) {
    let out = temp_dir(name);
    let env = common::env_with(6, "1 ms");
    env.set_parallelism(parallelism).unwrap();
    let checkpoints = chaos.map(|_| 10);
    fault_tolerance(&env, checkpoints, chaos, &format!("{name}-cp"));
    let rules = paced_source(&env, "rules", 6000);
    paced(&env)
        .key_by(|x: &i64| x % 13)
        .connect_broadcast(&rules)
        .process(RuledCount::default())
        .sink_to_files_exactly_once(&out, format_pair());
    let result = env.execute(name).unwrap();
    (committed_lines(&out), result)
}

#[test]
fn broadcast_state_survives_failures_after_its_rules_were_read() {
    for p in [1, 2] {
        let (straight, _) = run_ruled(&format!("ruled-straight-{p}"), p, None);
        assert_eq!(
            straight.len(),
            6000 + 13,
            "running counts, one final line per key"
        );
        // Keys 0..=6 count 462 elements, 7..=12 count 461; factors 2, 3, 4 by residue.
        for line in ["-1,924", "-2,1386", "-3,1848", "-13,922"] {
            assert!(
                straight.contains(&line.to_string()),
                "p = {p}: {line} in {:?}",
                &straight[..13]
            );
        }
        let (failed, r) = run_ruled(&format!("ruled-chaos-{p}"), p, Some((30 + p as u64, 3)));
        assert!(r.restarts >= 1, "p = {p}: a failure was injected");
        let context = format!("p = {p}: restored after {} failures", r.restarts);
        assert_same_lines(&failed, &straight, &context);
    }
}

/// Buffers elements and emits them `THRESHOLD` at a time, the rest at the end of input
/// (Flink's `BufferingSink`); the buffer is a split list state, so that a restore at any
/// parallelism emits every buffered element exactly once.
#[derive(Clone, Default)]
struct Buffering {
    buffer: Vec<i64>,
}

const THRESHOLD: usize = 64;

impl ProcessFunction<i64, (i64, i64)> for Buffering {
    fn process_element(
        &mut self,
        value: i64,
        _ctx: &mut Context<'_>,
        out: &mut Collector<'_, (i64, i64)>,
    ) {
        self.buffer.push(value);
        if self.buffer.len() >= THRESHOLD {
            self.buffer.drain(..).for_each(|v| out.collect((v, v % 7)));
        }
    }
    fn finish(&mut self, out: &mut Collector<'_, (i64, i64)>) {
        self.buffer.drain(..).for_each(|v| out.collect((v, v % 7)));
    }
}

impl CheckpointedFunction for Buffering {
    fn initialize_state(&mut self, ctx: &mut FunctionInitializationContext<'_>) -> OpResult {
        if ctx.is_restored() {
            let buffered = ctx.operator_state_store().list_state::<i64>("buffer")?;
            self.buffer = buffered.get().to_vec();
        }
        Ok(())
    }
    fn snapshot_state(&mut self, ctx: &mut FunctionSnapshotContext<'_>) -> OpResult {
        let buffered = ctx.operator_state_store().list_state::<i64>("buffer")?;
        buffered.update(self.buffer.iter().copied());
        Ok(())
    }
}

/// The buffering job at `parallelism` into `out`, checkpointing into the temp directory
/// `cp` every 10 ms when `checkpoints`, with seeded failures when `chaos`.
fn buffering_job(
    out: &std::path::Path,
    parallelism: usize,
    checkpoints: bool,
    chaos: Option<(u64, u32)>,
    cp: &str,
) -> StreamExecutionEnvironment {
    let env = common::env_with(6, "1 ms");
    env.set_parallelism(parallelism).unwrap();
    fault_tolerance(&env, checkpoints.then_some(10), chaos, cp);
    paced(&env)
        .process_checkpointed(Buffering::default())
        .uid("buffering")
        .sink_to_files_exactly_once(out, format_pair());
    env
}

fn run_buffering(name: &str, chaos: Option<(u64, u32)>) -> (Vec<String>, JobResult) {
    let out = temp_dir(name);
    let env = buffering_job(&out, 2, chaos.is_some(), chaos, &format!("{name}-cp"));
    let result = env.execute(name).unwrap();
    (committed_lines(&out), result)
}

#[test]
fn a_split_list_state_survives_failures() {
    let (straight, _) = run_buffering("buffering-straight", None);
    let mut want: Vec<String> = (0..6000).map(|v| format!("{v},{}", v % 7)).collect();
    want.sort();
    assert_same_lines(&straight, &want, "every element once");
    let (failed, r) = run_buffering("buffering-chaos", Some((5, 3)));
    assert!(r.restarts >= 1, "a failure was injected");
    assert_same_lines(
        &failed,
        &straight,
        &format!("restored after {} failures", r.restarts),
    );
}

#[test]
fn a_split_list_state_restores_at_another_parallelism_without_loss_or_duplicates() {
    let (straight, _) = run_buffering("buffering-rescale-straight", None);
    for to in [3, 1] {
        let name = format!("buffering-2-to-{to}");
        let out = temp_dir(&name);
        let cp_name = format!("{name}-cp");
        let seed = late_failure_seed(2); // source -> process -> sink, twice
        let env = buffering_job(&out, 2, true, Some((seed, 1)), &cp_name);
        let checkpoint = fail_for_good(&env, &name, &cp_name);

        let env = buffering_job(&out, to, false, None, "unused");
        assert_restored_run_completes(&env, &checkpoint, &name, to, &out, &straight);
    }
}
