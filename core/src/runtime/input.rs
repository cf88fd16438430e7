//! The input side of a task: frames read from buffers of the input gate, records handed
//! to the chain head in place, watermarks combined over channels.

use crate::operator::{BoxOutput, OpResult};
use crate::record::{split_payload, Data, InPlace, Record};

/// The chain head seen through the record type of its input.
pub trait ErasedInput {
    /// One record frame payload; `foreign` bytes (from outside the process) are validated.
    fn record(&mut self, payload: &[u8], foreign: bool) -> OpResult;
    /// The combined watermark advanced.
    fn watermark(&mut self, watermark: i64) -> OpResult;
    /// Every input channel ended.
    fn finish(&mut self) -> OpResult;
    /// A pause a downstream operator asked for.
    fn pause_until(&self) -> Option<u64>;
}

/// Reads records of type `T` in place into a chain head.
pub struct TypedInput<T: Data> {
    head: BoxOutput<T>,
}

impl<T: Data> TypedInput<T> {
    /// Feeds `head`.
    pub fn new(head: BoxOutput<T>) -> Self {
        Self { head }
    }
}

impl<T: Data> ErasedInput for TypedInput<T> {
    fn record(&mut self, payload: &[u8], foreign: bool) -> OpResult {
        let (body, timestamp) = split_payload(payload)?;
        let rec = if foreign {
            InPlace::<T>::validated(body)?
        } else {
            // SAFETY: buffers not marked foreign were written by this process's record
            // writers, which archive values of the edge's record type `T` (the task
            // builder checked that the head's input type is the edge's type), and the
            // frame reader yields payloads that start 16-byte aligned.
            unsafe { InPlace::<T>::trusted(body) }
        };
        self.head.collect(Record::InPlace(rec), timestamp)
    }
    fn watermark(&mut self, watermark: i64) -> OpResult {
        self.head.emit_watermark(watermark)
    }
    fn finish(&mut self) -> OpResult {
        self.head.finish()
    }
    fn pause_until(&self) -> Option<u64> {
        self.head.pause_until()
    }
}

/// Combines the watermarks of input channels: the minimum over channels that have not
/// ended; it never goes backwards (Flink's `StatusWatermarkValve`, without idleness yet).
#[derive(Debug, Clone)]
pub struct WatermarkValve {
    channels: Vec<i64>,
    ended: Vec<bool>,
    current: i64,
}

impl WatermarkValve {
    /// A valve over `channels` inputs, all at the minimal watermark.
    pub fn new(channels: usize) -> Self {
        Self {
            channels: vec![i64::MIN; channels],
            ended: vec![false; channels],
            current: i64::MIN,
        }
    }

    /// A channel reports `watermark`; returns the new combined watermark if it advanced.
    pub fn on_watermark(&mut self, channel: usize, watermark: i64) -> Option<i64> {
        if watermark > self.channels[channel] {
            self.channels[channel] = watermark;
        }
        self.advance()
    }

    /// A channel ended: it no longer holds the watermark back.
    pub fn on_end(&mut self, channel: usize) -> Option<i64> {
        self.ended[channel] = true;
        self.advance()
    }

    fn advance(&mut self) -> Option<i64> {
        let min = self
            .channels
            .iter()
            .zip(&self.ended)
            .filter(|(_, &e)| !e)
            .map(|(&w, _)| w)
            .min();
        let min = min?;
        if min > self.current {
            self.current = min;
            Some(min)
        } else {
            None
        }
    }

    /// The combined watermark.
    pub fn current(&self) -> i64 {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valve_emits_the_minimum_over_live_channels_and_never_goes_back() {
        let mut v = WatermarkValve::new(2);
        assert_eq!(v.on_watermark(0, 10), None);
        assert_eq!(v.on_watermark(1, 5), Some(5));
        assert_eq!(v.on_watermark(1, 3), None);
        assert_eq!(v.on_watermark(1, 20), Some(10));
        assert_eq!(v.on_end(0), Some(20));
        assert_eq!(v.current(), 20);
    }
}
