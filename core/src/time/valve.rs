//! Combining the watermarks and watermark statuses of an operator's input channels into
//! its own, as Flink's `StatusWatermarkValve` does. I/O-free: the task feeds it what
//! arrives on each channel and forwards what it returns.
//!
//! - The output watermark is the minimum over the *aligned* channels: active, not ended,
//!   and at or past the last output watermark. It never goes backwards.
//! - A channel that goes idle stops holding the watermark back. When every channel is
//!   idle the valve first emits the highest watermark of any channel (if that advances
//!   it), then goes idle itself; the first channel to become active again makes it
//!   active. Watermarks of an idle channel are ignored.
//! - A channel that becomes active again behind the output watermark joins the minimum
//!   only once it catches up, so it cannot pull the output back.
//! - An ended channel (end of partition) no longer counts at all.

use super::WatermarkStatus;

/// What the valve emits, in order, after one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValveOutput {
    /// The combined watermark advanced to this timestamp.
    Watermark(i64),
    /// The combined status changed.
    Status(WatermarkStatus),
}

/// At most two outputs (a watermark and a status change), in the order to forward them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Emitted {
    items: [Option<ValveOutput>; 2],
}

impl Emitted {
    fn push(&mut self, out: ValveOutput) {
        match self.items {
            [None, _] => self.items[0] = Some(out),
            _ => self.items[1] = Some(out),
        }
    }

    /// Whether nothing is emitted.
    pub fn is_empty(&self) -> bool {
        self.items[0].is_none()
    }
}

impl IntoIterator for Emitted {
    type Item = ValveOutput;
    type IntoIter = std::iter::Flatten<std::array::IntoIter<Option<ValveOutput>, 2>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter().flatten()
    }
}

#[derive(Debug, Clone)]
struct Channel {
    watermark: i64,
    active: bool,
    aligned: bool,
    ended: bool,
}

/// The watermark and status of an operator over its input channels.
#[derive(Debug, Clone)]
pub struct StatusWatermarkValve {
    channels: Vec<Channel>,
    last_watermark: i64,
    last_status: WatermarkStatus,
}

impl StatusWatermarkValve {
    /// A valve over `channels` inputs, all active at the minimal watermark.
    pub fn new(channels: usize) -> Self {
        Self {
            channels: vec![
                Channel {
                    watermark: i64::MIN,
                    active: true,
                    aligned: true,
                    ended: false,
                };
                channels
            ],
            last_watermark: i64::MIN,
            last_status: WatermarkStatus::Active,
        }
    }

    /// The combined watermark emitted last (`i64::MIN` before any).
    pub fn current(&self) -> i64 {
        self.last_watermark
    }

    /// The combined status.
    pub fn status(&self) -> WatermarkStatus {
        self.last_status
    }

    /// Channel `ch` reports `watermark`.
    pub fn on_watermark(&mut self, ch: usize, watermark: i64) -> Emitted {
        let mut out = Emitted::default();
        let last = self.last_watermark;
        let Some(c) = self.channels.get_mut(ch) else {
            return out;
        };
        if c.ended || !c.active || watermark <= c.watermark {
            return out;
        }
        c.watermark = watermark;
        if watermark >= last {
            c.aligned = true;
        }
        self.emit_min_of_aligned(&mut out);
        out
    }

    /// Channel `ch` reports a status change.
    pub fn on_status(&mut self, ch: usize, status: WatermarkStatus) -> Emitted {
        let mut out = Emitted::default();
        let last = self.last_watermark;
        let Some(c) = self.channels.get_mut(ch) else {
            return out;
        };
        if c.ended {
            return out;
        }
        match status {
            WatermarkStatus::Idle if c.active => {
                c.active = false;
                c.aligned = false;
                let held_back = c.watermark == last;
                if self.all_idle() {
                    self.go_idle(&mut out);
                } else if held_back {
                    self.emit_min_of_aligned(&mut out);
                }
            }
            WatermarkStatus::Active if !c.active => {
                c.active = true;
                if c.watermark >= last {
                    c.aligned = true;
                }
                if self.last_status == WatermarkStatus::Idle {
                    self.last_status = WatermarkStatus::Active;
                    out.push(ValveOutput::Status(WatermarkStatus::Active));
                }
            }
            _ => {}
        }
        out
    }

    /// Channel `ch` ended: it no longer counts.
    pub fn on_end(&mut self, ch: usize) -> Emitted {
        let mut out = Emitted::default();
        let Some(c) = self.channels.get_mut(ch) else {
            return out;
        };
        if c.ended {
            return out;
        }
        c.ended = true;
        c.active = false;
        c.aligned = false;
        let live = self.channels.iter().any(|c| !c.ended);
        if live && self.all_idle() && self.last_status == WatermarkStatus::Active {
            self.go_idle(&mut out);
        } else {
            self.emit_min_of_aligned(&mut out);
        }
        out
    }

    /// Whether every channel that has not ended is idle (false when none is left).
    fn all_idle(&self) -> bool {
        let mut live = self.channels.iter().filter(|c| !c.ended).peekable();
        live.peek().is_some() && live.all(|c| !c.active)
    }

    /// Every channel is idle: the highest watermark of any channel, then idle.
    fn go_idle(&mut self, out: &mut Emitted) {
        let max = self
            .channels
            .iter()
            .filter(|c| !c.ended)
            .map(|c| c.watermark)
            .max();
        if let Some(max) = max {
            if max > self.last_watermark {
                self.last_watermark = max;
                out.push(ValveOutput::Watermark(max));
            }
        }
        if self.last_status == WatermarkStatus::Active {
            self.last_status = WatermarkStatus::Idle;
            out.push(ValveOutput::Status(WatermarkStatus::Idle));
        }
    }

    fn emit_min_of_aligned(&mut self, out: &mut Emitted) {
        let min = self
            .channels
            .iter()
            .filter(|c| c.aligned && c.active && !c.ended)
            .map(|c| c.watermark)
            .min();
        if let Some(min) = min {
            if min > self.last_watermark {
                self.last_watermark = min;
                out.push(ValveOutput::Watermark(min));
            }
        }
    }
}

#[cfg(test)]
#[path = "valve_tests.rs"]
mod tests;
