//! Operators: what runs inside an operator chain. Each operator owns its downstream
//! [`Output`], so a chain is a nest of direct calls — no queue, no serialisation.
//!
//! - [`basic`]: map, filter, flat_map and the fan-out to several consumers.
//! - [`checkpoint`]: checkpoint calls down a chain, and what an operator restores.
//! - [`checkpointed`]: operator list state of user functions (`CheckpointedFunction`).
//! - [`process`]: process functions with a context (timestamp, side outputs).
//! - [`keyed_process`]: keyed process functions with timers per key.
//! - [`two_input`]: two-input operators: CoMap, CoFlatMap, (keyed) CoProcess.
//! - [`broadcast`]: the broadcast state pattern (keyed stream + broadcast stream).
//! - [`join`]: joins of two keyed streams: interval join, regular join in state.
//! - [`rolling`]: keyed rolling aggregates (reduce, sum, min, max, min_by, max_by).
//! - [`sink`]: sinks (print, CSV file, blackhole, collect) with an optional rate limit.
//! - [`watermarks`]: assigning timestamps and generating watermarks in a stream.

pub mod basic;
pub mod broadcast;
pub mod checkpoint;
pub mod checkpointed;
pub mod join;
pub mod keyed_process;
pub mod process;
pub mod rolling;
pub mod sink;
pub mod two_input;
pub mod watermarks;

pub use checkpoint::CheckpointCall;

use crate::record::{Data, Record, RecordError};
use crate::time::WatermarkStatus;

/// What an operator returns: `Err` fails the task (and the job, per its restart strategy).
pub type OpResult = Result<(), OperatorError>;

/// Why an operator could not process an element.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// A record could not be archived or read.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A user function or built-in step rejected a record.
    #[error("{0}")]
    User(String),
    /// Keyed state refused an access (no current key, a conflicting registration, …).
    #[error("keyed state: {0}")]
    State(#[from] weir_state::StateError),
    /// Writing to a sink failed.
    #[error("sink '{name}': {source}")]
    Sink {
        /// The sink's name.
        name: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The receiving end of a stream edge inside a task: an operator, a fan-out, a record
/// writer towards other tasks, or a sink.
pub trait Output<T: Data> {
    /// Processes one element with its timestamp ([`crate::record::NO_TIMESTAMP`] if none).
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult;
    /// Processes a watermark: event time has reached `watermark` on this path.
    fn emit_watermark(&mut self, watermark: i64) -> OpResult;
    /// The stream went idle or became active again (see [`WatermarkStatus`]); an
    /// operator passes it on unless it makes its own watermarks.
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult;
    /// The input has ended: flush what is held and pass the end downstream.
    fn finish(&mut self) -> OpResult;
    /// A checkpoint event: snapshot (or commit, or abort) what this output holds, then
    /// pass the call to every output downstream in the chain. Required, so that no
    /// operator can silently drop the state of the operators behind it.
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult;
    /// Asks the task to pause until this instant (nanoseconds on the task clock), e.g. a
    /// rate-limited sink; `None` when the output needs no pause.
    fn pause_until(&self) -> Option<u64> {
        None
    }
    /// Whether [`Output::prefetch`] does anything: the task then shows this output each
    /// record a few records before it is collected.
    fn prefetches(&self) -> bool {
        false
    }
    /// A record that will be collected soon (a few records later, in the same buffer): an
    /// operator with state far larger than the cache starts loading the record's state.
    fn prefetch(&mut self, _record: &Record<'_, T>) {}
}

/// A boxed output, as operators hold their downstream.
pub type BoxOutput<T> = Box<dyn Output<T>>;

impl<T: Data> Output<T> for BoxOutput<T> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        (**self).collect(record, timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        (**self).emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        (**self).emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        (**self).finish()
    }
    fn checkpoint(&mut self, call: &mut CheckpointCall<'_>) -> OpResult {
        (**self).checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        (**self).pause_until()
    }
    fn prefetches(&self) -> bool {
        (**self).prefetches()
    }
    fn prefetch(&mut self, record: &Record<'_, T>) {
        (**self).prefetch(record)
    }
}
