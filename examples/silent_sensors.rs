//! A keyed process function: alert when a sensor has sent nothing for 10 s of event time.
//!
//! Each sensor's last reading time lives in keyed state; an event-time timer 10 s after
//! it raises the alert, and a newer reading moves the timer. Readings arrive out of order
//! by up to 2 s, so watermarks trail the highest time seen by 2 s — emitted after every
//! reading (punctuated), since this small input is read faster than any periodic
//! watermark interval.
//!
//! ```sh
//! cargo run --release --example silent_sensors
//! ```

use std::error::Error;

use weir_core::api::StreamExecutionEnvironment;
use weir_core::config::Configuration;
use weir_core::operator::keyed_process::{KeyedContext, KeyedProcessFunction};
use weir_core::operator::process::Collector;
use weir_core::operator::{OpResult, OperatorError};
use weir_core::time::WatermarkStrategy;
use weir_state::keyed::{ValueState, ValueStateDescriptor};
use weir_state::HeapKeyedStateBackend;

/// How long a sensor may stay silent (event time, milliseconds).
const SILENCE_MS: i64 = 10_000;

/// How late a reading may arrive (milliseconds).
const OUT_OF_ORDER_MS: i64 = 2_000;

/// `(sensor, event time in ms)`.
type Reading = (String, i64);

#[derive(Clone, Default)]
struct SilentSensors {
    last_seen: Option<ValueState<(), i64>>,
}

impl SilentSensors {
    fn last_seen(&self) -> Result<ValueState<(), i64>, OperatorError> {
        self.last_seen
            .ok_or_else(|| OperatorError::User("state used before open".into()))
    }
}

impl KeyedProcessFunction<String, Reading, String> for SilentSensors {
    fn open(&mut self, state: &mut HeapKeyedStateBackend<String>) -> OpResult {
        self.last_seen = Some(state.value_state(&ValueStateDescriptor::new("last-seen"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        (_, time): Reading,
        ctx: &mut KeyedContext<'_, String>,
        _out: &mut Collector<'_, String>,
    ) -> OpResult {
        let last_seen = self.last_seen()?;
        let previous = last_seen.value(ctx.state(), &())?;
        if previous.is_some_and(|p| p >= time) {
            return Ok(()); // a late reading: the timer already covers a later one
        }
        if let Some(p) = previous {
            ctx.delete_event_time_timer(p + SILENCE_MS);
        }
        last_seen.update(ctx.state(), &(), time)?;
        ctx.register_event_time_timer(time + SILENCE_MS);
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<'_, String>,
        out: &mut Collector<'_, String>,
    ) -> OpResult {
        out.collect(format!(
            "{} silent since {} ms (alert at {timestamp} ms)",
            ctx.current_key(),
            timestamp - SILENCE_MS
        ));
        Ok(())
    }
}

/// Readings of three sensors, slightly out of order: `a` goes quiet from 12 s to 30 s,
/// `c` stops at 5 s; `b` reports every 4 s throughout.
fn readings() -> Vec<Reading> {
    let mut r = Vec::new();
    for t in (0..=40_000).step_by(4_000) {
        r.push(("b".to_string(), t));
    }
    for t in [0, 3_000, 12_000, 30_000, 36_000] {
        r.push(("a".to_string(), t));
    }
    r.push(("c".to_string(), 5_000));
    r.sort_by_key(|(_, t)| *t);
    // Swap neighbours here and there: up to 2 s out of order.
    for i in (1..r.len()).step_by(3) {
        if r[i].1 - r[i - 1].1 <= 2_000 {
            r.swap(i, i - 1);
        }
    }
    r
}

fn main() -> Result<(), Box<dyn Error>> {
    let env = StreamExecutionEnvironment::new(Configuration::default());
    env.set_parallelism(2)?;
    let alerts = env
        .from_collection(readings())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_punctuated(|_: &Reading, time| Some(time - OUT_OF_ORDER_MS - 1))
                .with_timestamp_assigner(|r: &Reading, _| r.1),
        )
        .set_parallelism(1)
        .key_by(|r: &Reading| r.0.clone())
        .process(SilentSensors::default())
        .collect();
    env.execute("silent sensors")?;
    let mut alerts = alerts.values();
    alerts.sort();
    for a in alerts {
        println!("{a}");
    }
    Ok(())
}
