//! Event time: watermark statuses and how an operator combines its inputs' watermarks.
//!
//! - [`valve`]: Flink's `StatusWatermarkValve` as an I/O-free state machine.
//! - [`inputs`]: valves per operator input and over the inputs (two-input operators).
//! - [`strategy`]: watermark strategies: timestamp assigners, generators, idleness.

pub mod inputs;
pub mod strategy;
pub mod valve;

pub use inputs::InputValves;
pub use strategy::{WatermarkGenerator, WatermarkOutput, WatermarkStrategy};
pub use valve::{Emitted, StatusWatermarkValve, ValveOutput};

/// Whether a stream currently carries watermarks (Flink's `WatermarkStatus`). An idle
/// stream (a source split with no data for a while) does not hold back the watermark of
/// the operators it feeds; it becomes active again with its next watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatermarkStatus {
    /// Watermarks flow and count.
    Active,
    /// Temporarily no data: the stream's watermark does not count.
    Idle,
}
