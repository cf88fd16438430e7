//! A keyed count through a hash exchange: a source of `u64` keys (each of `keys` distinct
//! keys, spread by a bijective mix so that neighbours land in different key groups)
//! → `key_by` → a keyed process function counting per key in a `ValueState<u64>` and
//! emitting `(key, count)` → blackhole; measured against the source alone into a
//! blackhole in the same run. The state's size per key comes from the run's metrics.

use serde::Serialize;
use weir_core::api::StreamExecutionEnvironment;
use weir_core::config::{Configuration, Origin, RawValue, DEFAULT_PARALLELISM, NUM_TASK_SLOTS};
use weir_core::operator::keyed_process::{KeyedContext, KeyedProcessFunction};
use weir_core::operator::process::Collector;
use weir_core::operator::{OpResult, OperatorError};
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};
use weir_state::keyed::{ValueState, ValueStateDescriptor};
use weir_state::HeapKeyedStateBackend;

use super::report::{Report, Value};
use super::BenchError;

/// What to measure.
#[derive(Debug, Clone)]
pub struct KeyedOpts {
    /// Distinct keys.
    pub keys: u64,
    /// Events in total.
    pub events: u64,
    /// Parallelism of source and count.
    pub parallelism: usize,
    /// Base configuration.
    pub config: Configuration,
}

/// The result of one keyed-count run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyedResult {
    /// Distinct keys.
    pub keys: u64,
    /// Events counted.
    pub events: u64,
    /// Parallelism.
    pub parallelism: usize,
    /// Job duration in seconds.
    pub seconds: f64,
    /// `events / seconds`.
    pub events_per_sec: f64,
    /// `events_per_sec` over the cores used.
    pub events_per_sec_per_core: f64,
    /// The source alone into a blackhole, same events and parallelism.
    pub generator_events_per_sec: f64,
    /// `events_per_sec / generator_events_per_sec`.
    pub ratio_to_generator: f64,
    /// Keys held in keyed state at the end (should equal `keys`).
    pub state_keys: u64,
    /// Estimated keyed-state bytes per key.
    pub state_bytes_per_key: f64,
}

impl Report for KeyedResult {
    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("keys", Value::UInt(self.keys)),
            ("events", Value::UInt(self.events)),
            ("parallelism", Value::UInt(self.parallelism as u64)),
            ("seconds", Value::Float(self.seconds)),
            ("events_per_sec", Value::Float(self.events_per_sec)),
            (
                "events_per_sec_per_core",
                Value::Float(self.events_per_sec_per_core),
            ),
            (
                "generator_events_per_sec",
                Value::Float(self.generator_events_per_sec),
            ),
            ("ratio_to_generator", Value::Float(self.ratio_to_generator)),
            ("state_keys", Value::UInt(self.state_keys)),
            (
                "state_bytes_per_key",
                Value::Float(self.state_bytes_per_key),
            ),
        ]
    }
}

/// Emits events `i = subtask, subtask + p, …` below `events`, as the key of event `i`.
struct KeySource {
    next: u64,
    step: u64,
    end: u64,
    keys: u64,
}

/// A bijection on `0..2^64` (splitmix64's finaliser): keys `0..keys` stay distinct.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Source<u64> for KeySource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, u64>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        for _ in 0..max {
            if self.next >= self.end {
                return Ok(SourceStatus::Finished);
            }
            let key = mix(self.next % self.keys);
            ctx.collect_ref_with_timestamp(&key, 0)?;
            self.next += self.step;
        }
        Ok(SourceStatus::More)
    }
}

/// Counts per key in keyed state and emits `(key, count)`.
#[derive(Clone, Default)]
pub(super) struct Count {
    count: Option<ValueState<(), u64>>,
}

impl KeyedProcessFunction<u64, u64, (u64, u64)> for Count {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<u64>) -> OpResult {
        self.count = Some(state.value_state(&ValueStateDescriptor::new("count"))?);
        Ok(())
    }
    fn process_element(
        &mut self,
        key: u64,
        ctx: &mut KeyedContext<'_, u64>,
        out: &mut Collector<'_, (u64, u64)>,
    ) -> OpResult {
        let count = self
            .count
            .ok_or_else(|| OperatorError::User("count state used before open".into()))?;
        let n = count.value(ctx.state(), &())?.unwrap_or(0) + 1;
        count.update(ctx.state(), &(), n)?;
        out.collect((key, n));
        Ok(())
    }
}

fn environment(opts: &KeyedOpts) -> Result<StreamExecutionEnvironment, BenchError> {
    let mut config = opts.config.clone();
    let p = opts.parallelism as i64;
    config.set(DEFAULT_PARALLELISM.key(), RawValue::Int(p), Origin::Api)?;
    if i64::from(config.get(&NUM_TASK_SLOTS)) < p {
        config.set(NUM_TASK_SLOTS.key(), RawValue::Int(p), Origin::Api)?;
    }
    Ok(StreamExecutionEnvironment::new(config))
}

fn keys_source(
    env: &StreamExecutionEnvironment,
    opts: &KeyedOpts,
) -> weir_core::api::DataStream<u64> {
    let (events, keys) = (opts.events, opts.keys);
    env.add_source("Keys", move |ctx| {
        Ok(KeySource {
            next: ctx.subtask as u64,
            step: ctx.parallelism as u64,
            end: events,
            keys,
        })
    })
}

/// Runs the keyed count and the source alone; reports both rates and the state size.
pub fn bench_keyed(opts: &KeyedOpts) -> Result<KeyedResult, BenchError> {
    if opts.keys == 0 || opts.events == 0 || opts.parallelism == 0 {
        return Err(BenchError::InvalidOption(
            "keys, events and parallelism must be above 0".into(),
        ));
    }
    let env = environment(opts)?;
    keys_source(&env, opts).blackhole(None);
    let alone = env.execute("keyed: source alone")?.duration.as_secs_f64();

    let env = environment(opts)?;
    keys_source(&env, opts)
        .key_by(|k: &u64| *k)
        .process(Count::default())
        .blackhole(None);
    let result = env.execute("keyed count")?;
    let seconds = result.duration.as_secs_f64();
    let (state_keys, state_bytes) = result
        .tasks
        .iter()
        .fold((0, 0), |(k, b), t| (k + t.state_keys, b + t.state_bytes));
    let rate = |s: f64| if s > 0.0 { opts.events as f64 / s } else { 0.0 };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let events_per_sec = rate(seconds);
    let generator_events_per_sec = rate(alone);
    Ok(KeyedResult {
        keys: opts.keys,
        events: opts.events,
        parallelism: opts.parallelism,
        seconds,
        events_per_sec,
        events_per_sec_per_core: events_per_sec / opts.parallelism.min(cores).max(1) as f64,
        generator_events_per_sec,
        ratio_to_generator: if generator_events_per_sec > 0.0 {
            events_per_sec / generator_events_per_sec
        } else {
            0.0
        },
        state_keys,
        state_bytes_per_key: if state_keys > 0 {
            state_bytes as f64 / state_keys as f64
        } else {
            0.0
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_counted_once_into_state() {
        let r = bench_keyed(&KeyedOpts {
            keys: 1_000,
            events: 10_000,
            parallelism: 2,
            config: Configuration::default(),
        })
        .unwrap();
        assert_eq!(r.state_keys, 1_000, "one state entry per distinct key");
        assert!(r.state_bytes_per_key > 0.0);
        assert!(r.events_per_sec > 0.0 && r.generator_events_per_sec > 0.0);
        assert!(bench_keyed(&KeyedOpts {
            keys: 0,
            events: 1,
            parallelism: 1,
            config: Configuration::default(),
        })
        .is_err());
    }
}
