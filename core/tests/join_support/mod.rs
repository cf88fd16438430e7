//! What the join tests share: a seeded pseudo-random sequence, generated events, a
//! scripted source, and the keyed state a job's vertices ended with.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_core::api::{DataStream, StreamExecutionEnvironment};
use weir_core::cluster::JobResult;
use weir_core::operator::OperatorError;
use weir_core::runtime::clock::SharedClock;
use weir_core::runtime::source::{Source, SourceContext, SourceStatus};

/// A deterministic pseudo-random sequence (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    /// The next number, below `n`.
    pub fn below(&mut self, n: u64) -> i64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n) as i64
    }
}

/// `(key, id, timestamp)`.
pub type Event = (i64, i64, i64);

/// `n` events with ids from `first_id`, keys below `keys`, timestamps rising by `step`
/// with a jitter below `jitter`: never behind a watermark `jitter` behind the highest.
pub fn events(
    rng: &mut Rng,
    n: i64,
    first_id: i64,
    keys: u64,
    step: i64,
    jitter: u64,
) -> Vec<Event> {
    (0..n)
        .map(|i| (rng.below(keys), first_id + i, i * step + rng.below(jitter)))
        .collect()
}

/// Sums the state of the vertices whose name contains `name`: `(keys, bytes)`.
pub fn state_of(result: &JobResult, name: &str) -> (u64, u64) {
    let tasks = result.tasks.iter().filter(|t| t.vertex.contains(name));
    tasks.fold((0, 0), |(k, b), t| (k + t.state_keys, b + t.state_bytes))
}

/// One step of a scripted source.
#[derive(Clone)]
pub enum Step {
    /// Emits the event with its timestamp.
    Record(Event),
    /// Emits a watermark.
    Watermark(i64),
    /// Waits this long (wall clock).
    Sleep(Duration),
    /// Waits until the flag is set.
    Await(Arc<AtomicBool>),
}

struct Scripted {
    steps: VecDeque<Step>,
    clock: SharedClock,
    until: Option<Instant>,
}

impl Source<Event> for Scripted {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, Event>,
        _max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let later = SourceStatus::IdleUntil(self.clock.now_nanos() + 1_000_000);
        while let Some(step) = self.steps.front() {
            match step {
                Step::Record(e) => ctx.collect_with_timestamp(*e, e.2)?,
                Step::Watermark(w) => ctx.emit_watermark(*w)?,
                Step::Sleep(d) => {
                    let until = *self.until.get_or_insert_with(|| Instant::now() + *d);
                    if Instant::now() < until {
                        return Ok(later);
                    }
                    self.until = None;
                }
                Step::Await(flag) if !flag.load(Ordering::SeqCst) => return Ok(later),
                Step::Await(_) => {}
            }
            self.steps.pop_front();
        }
        Ok(SourceStatus::Finished)
    }
}

/// A bounded source running `steps`, on one subtask.
pub fn scripted(
    env: &StreamExecutionEnvironment,
    name: &str,
    steps: Vec<Step>,
) -> DataStream<Event> {
    env.add_source(name, move |ctx| {
        Ok(Scripted {
            steps: steps.iter().cloned().collect(),
            clock: ctx.clock.clone(),
            until: None,
        })
    })
    .set_parallelism(1)
}
