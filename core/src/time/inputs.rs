//! The watermark of an operator over all its input channels, grouped by operator input:
//! one [`StatusWatermarkValve`] per input over that input's channels, and one over the
//! inputs, so that a two-input operator's watermark is the minimum of its inputs' (an
//! idle input does not count), as Flink combines `processWatermark1/2`. With one input
//! the valve over the inputs passes everything through. I/O-free: what comes out goes to
//! a callback, in order.

use super::{StatusWatermarkValve, ValveOutput, WatermarkStatus};

/// The watermark valves of one task's input gate.
#[derive(Debug, Clone)]
pub struct InputValves {
    /// Per channel: its operator input and its index among that input's channels.
    local: Vec<(usize, usize)>,
    per_input: Vec<StatusWatermarkValve>,
    /// Channels of each input that have not ended.
    live: Vec<usize>,
    combined: StatusWatermarkValve,
}

impl InputValves {
    /// Valves for channels feeding the operator inputs `channel_inputs[ch]` (0, or 1 for
    /// a two-input operator's second).
    pub fn new(channel_inputs: &[usize]) -> Self {
        let inputs = channel_inputs.iter().max().map_or(1, |m| m + 1);
        let mut counts = vec![0usize; inputs];
        let local = channel_inputs
            .iter()
            .map(|&input| {
                counts[input] += 1;
                (input, counts[input] - 1)
            })
            .collect();
        Self {
            local,
            per_input: counts
                .iter()
                .map(|&n| StatusWatermarkValve::new(n))
                .collect(),
            live: counts,
            combined: StatusWatermarkValve::new(inputs),
        }
    }

    /// The operator input channel `ch` feeds.
    pub fn input_of(&self, ch: usize) -> usize {
        self.local.get(ch).map_or(0, |&(input, _)| input)
    }

    /// Channel `ch` reports `watermark`; `emit` gets what the operator sees.
    pub fn on_watermark<E>(
        &mut self,
        ch: usize,
        watermark: i64,
        emit: impl FnMut(ValveOutput) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(&(input, c)) = self.local.get(ch) else {
            return Ok(());
        };
        let out = self.per_input[input].on_watermark(c, watermark);
        self.combine(input, out, emit)
    }

    /// Channel `ch` reports a status change.
    pub fn on_status<E>(
        &mut self,
        ch: usize,
        status: WatermarkStatus,
        emit: impl FnMut(ValveOutput) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(&(input, c)) = self.local.get(ch) else {
            return Ok(());
        };
        let out = self.per_input[input].on_status(c, status);
        self.combine(input, out, emit)
    }

    /// Channel `ch` ended (call once per channel); when it was its input's last, the
    /// input ends too.
    pub fn on_end<E>(
        &mut self,
        ch: usize,
        mut emit: impl FnMut(ValveOutput) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(&(input, c)) = self.local.get(ch) else {
            return Ok(());
        };
        let out = self.per_input[input].on_end(c);
        self.combine(input, out, &mut emit)?;
        self.live[input] = self.live[input].saturating_sub(1);
        if self.live[input] == 0 {
            for o in self.combined.on_end(input) {
                emit(o)?;
            }
        }
        Ok(())
    }

    fn combine<E>(
        &mut self,
        input: usize,
        emitted: super::Emitted,
        mut emit: impl FnMut(ValveOutput) -> Result<(), E>,
    ) -> Result<(), E> {
        for out in emitted {
            let combined = match out {
                ValveOutput::Watermark(w) => self.combined.on_watermark(input, w),
                ValveOutput::Status(s) => self.combined.on_status(input, s),
            };
            for o in combined {
                emit(o)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ValveOutput::{Status, Watermark};
    use WatermarkStatus::{Active, Idle};

    fn wm(v: &mut InputValves, ch: usize, w: i64) -> Vec<ValveOutput> {
        let mut out = Vec::new();
        v.on_watermark(ch, w, |o| {
            out.push(o);
            Ok::<(), ()>(())
        })
        .unwrap();
        out
    }

    fn status(v: &mut InputValves, ch: usize, s: WatermarkStatus) -> Vec<ValveOutput> {
        let mut out = Vec::new();
        v.on_status(ch, s, |o| {
            out.push(o);
            Ok::<(), ()>(())
        })
        .unwrap();
        out
    }

    fn end(v: &mut InputValves, ch: usize) -> Vec<ValveOutput> {
        let mut out = Vec::new();
        v.on_end(ch, |o| {
            out.push(o);
            Ok::<(), ()>(())
        })
        .unwrap();
        out
    }

    #[test]
    fn one_input_passes_its_channels_valve_through() {
        let mut v = InputValves::new(&[0, 0]);
        assert_eq!(v.input_of(1), 0);
        assert!(wm(&mut v, 0, 10).is_empty());
        assert_eq!(wm(&mut v, 1, 5), [Watermark(5)]);
        assert_eq!(status(&mut v, 1, Idle), [Watermark(10)]);
        assert_eq!(status(&mut v, 0, Idle), [Status(Idle)]);
        assert_eq!(status(&mut v, 0, Active), [Status(Active)]);
    }

    #[test]
    fn two_inputs_take_the_minimum_and_an_ended_input_stops_counting() {
        // Channels 0 and 2 feed input 0, channel 1 feeds input 1.
        let mut v = InputValves::new(&[0, 1, 0]);
        assert_eq!((v.input_of(1), v.input_of(2)), (1, 0));
        assert!(wm(&mut v, 0, 100).is_empty());
        assert!(wm(&mut v, 2, 90).is_empty(), "input 1 has none yet");
        assert_eq!(wm(&mut v, 1, 50), [Watermark(50)]);
        assert!(end(&mut v, 0).is_empty(), "input 0 still at 90");
        assert_eq!(wm(&mut v, 1, 95), [Watermark(90)]);
        assert_eq!(end(&mut v, 2), [Watermark(95)], "input 0 ended");
        assert!(wm(&mut v, 9, 1_000).is_empty(), "no such channel");
    }
}
