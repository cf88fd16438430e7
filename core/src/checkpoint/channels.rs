//! What a handler knows of each channel whatever the checkpoint: whether it ended, and
//! the newest barrier it delivered (barriers arrive per channel in increasing ids).

use super::action::BarrierError;

/// The channels of one input gate.
#[derive(Debug, Clone)]
pub(crate) struct GateChannels {
    ended: Vec<bool>,
    last_barrier: Vec<Option<u64>>,
}

impl GateChannels {
    /// `channels` open channels that delivered no barrier yet.
    pub(crate) fn new(channels: usize) -> Self {
        Self {
            ended: vec![false; channels],
            last_barrier: vec![None; channels],
        }
    }

    /// How many channels the gate has.
    pub(crate) fn len(&self) -> usize {
        self.ended.len()
    }

    /// Whether `ch` delivered its end of partition (`ch` in range).
    pub(crate) fn is_ended(&self, ch: usize) -> bool {
        self.ended[ch]
    }

    /// `ch` exists and has not ended; `what` names the input for the error.
    pub(crate) fn check_open(&self, ch: usize, what: &'static str) -> Result<(), BarrierError> {
        match self.ended.get(ch) {
            None => Err(BarrierError::ChannelOutOfRange {
                channel: ch,
                channels: self.len(),
            }),
            Some(true) => Err(BarrierError::AfterEndOfPartition { channel: ch, what }),
            Some(false) => Ok(()),
        }
    }

    /// `ch` may deliver the barrier of checkpoint `id` now.
    pub(crate) fn check_barrier(&self, ch: usize, id: u64) -> Result<(), BarrierError> {
        self.check_open(ch, "a checkpoint barrier")?;
        match self.last_barrier[ch] {
            Some(last) if last == id => Err(BarrierError::DuplicateBarrier { channel: ch, id }),
            Some(last) if last > id => Err(BarrierError::BarrierOutOfOrder {
                channel: ch,
                id,
                last,
            }),
            _ => Ok(()),
        }
    }

    /// Records that `ch` delivered the barrier of `id` (checked by `check_barrier`).
    pub(crate) fn record_barrier(&mut self, ch: usize, id: u64) {
        debug_assert!(self.last_barrier[ch].is_none_or(|last| last < id));
        self.last_barrier[ch] = Some(id);
    }

    /// Marks `ch` ended.
    pub(crate) fn end(&mut self, ch: usize) -> Result<(), BarrierError> {
        self.check_open(ch, "a second end of partition")?;
        self.ended[ch] = true;
        Ok(())
    }
}
