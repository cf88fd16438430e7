//! Windows (Flink's windowing): grouping a keyed stream's elements into finite windows
//! and computing a result per window.
//!
//! - [`windows`]: [`TimeWindow`] (half-open, epoch-aligned spans) and [`GlobalWindow`].
//! - [`assigners`]: tumbling, sliding and session windows, generic over their time
//!   [`Domain`] (event or processing time), and global windows.
//! - [`triggers`]: when windows fire and purge ([`TriggerResult`]); event-time,
//!   processing-time, count, purging, continuous event-time triggers and the trait for
//!   custom ones.
//! - [`evictors`]: count, time and delta evictors, before or after the window function.
//! - [`contents`]: what a window keeps in keyed state (an accumulator, its elements, or
//!   its elements with timestamps).
//! - [`function`]: [`ProcessWindowFunction`] and its [`WindowContext`].
//! - [`join`]: window joins and co-groups of two keyed inputs.
//! - `merging`: the in-flight session windows of a key and their state windows.
//! - [`operator`]: the window operator itself (its sliced path in `operator/sliced.rs`).
//!
//! The API is in `crate::api::windowed`.

pub mod assigners;
pub mod contents;
pub mod evictors;
pub mod function;
pub mod join;
mod merging;
pub mod operator;
pub mod triggers;
pub mod windows;

pub use assigners::{
    Domain, EventTime, EventTimeSessionWindows, GlobalWindows, ProcessingTime,
    ProcessingTimeSessionWindows, SessionWindows, SlidingEventTimeWindows,
    SlidingProcessingTimeWindows, SlidingWindows, TumblingEventTimeWindows,
    TumblingProcessingTimeWindows, TumblingWindows, WindowAssigner,
};
pub use evictors::{CountEvictor, DeltaEvictor, Evictor, TimeEvictor, TimestampedValue};
pub use function::{ProcessWindowFunction, WindowContext};
pub use triggers::{
    ContinuousEventTimeTrigger, CountTrigger, EventTimeTrigger, NeverTrigger,
    ProcessingTimeTrigger, PurgingTrigger, Trigger, TriggerContext, TriggerResult,
};
pub use windows::{GlobalWindow, TimeWindow, Window};
