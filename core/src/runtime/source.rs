//! Sources as the runtime drives them: a [`Source`] emits records in batches into its
//! chain; between batches the task flushes, drains backpressure and yields the core.

use crate::operator::checkpoint::OperatorSnapshot;
use crate::operator::{BoxOutput, CheckpointCall, OpResult, OperatorError};
use crate::record::{Data, Record, NO_TIMESTAMP};
use crate::runtime::progress::{Resume, RoundRobinProgress};
use crate::time::WatermarkStatus;

/// What a source reports after a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceStatus {
    /// More records may follow at once.
    More,
    /// No record before this instant (task clock, nanoseconds): rate limits, empty polls.
    IdleUntil(u64),
    /// The input is exhausted (bounded source).
    Finished,
}

/// Where a source emits records.
pub struct SourceContext<'a, T: Data> {
    out: &'a mut BoxOutput<T>,
    emitted: u64,
    skipped: u64,
    /// Whether the source marked itself idle (kept by the driver across batches).
    idle: &'a mut bool,
}

impl<T: Data> SourceContext<'_, T> {
    /// Emits a record without a timestamp.
    pub fn collect(&mut self, value: T) -> OpResult {
        self.collect_with_timestamp(value, NO_TIMESTAMP)
    }
    /// Emits a record with an event timestamp.
    pub fn collect_with_timestamp(&mut self, value: T, timestamp: i64) -> OpResult {
        self.activate()?;
        self.emitted += 1;
        self.out.collect(Record::Owned(value), timestamp)
    }
    /// Emits a record the source keeps (and may overwrite for the next one) with an
    /// event timestamp: a record writer archives it without a copy; an operator that
    /// needs to own it clones it.
    pub fn collect_ref_with_timestamp(&mut self, value: &T, timestamp: i64) -> OpResult {
        self.activate()?;
        self.emitted += 1;
        self.out.collect(Record::Borrowed(value), timestamp)
    }
    /// Emits a watermark.
    pub fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.activate()?;
        self.out.emit_watermark(watermark)
    }
    /// Marks this source subtask idle (Flink's `markAsTemporarilyIdle`): until it emits
    /// again, downstream operators do not wait for its watermarks. The next record or
    /// watermark makes it active again.
    pub fn mark_idle(&mut self) -> OpResult {
        if *self.idle {
            return Ok(());
        }
        *self.idle = true;
        self.out.emit_watermark_status(WatermarkStatus::Idle)
    }
    /// Whether the source is marked idle.
    pub fn is_idle(&self) -> bool {
        *self.idle
    }
    fn activate(&mut self) -> OpResult {
        if !*self.idle {
            return Ok(());
        }
        *self.idle = false;
        self.out.emit_watermark_status(WatermarkStatus::Active)
    }
    /// Counts a malformed input record that was skipped (`on-error = skip`).
    pub fn count_skipped(&mut self) {
        self.skipped += 1;
    }
}

/// A source of records of type `T`; one instance per subtask.
pub trait Source<T: Data>: 'static {
    /// Emits up to about `max` records.
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, T>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError>;
    /// Where the source is, for a checkpoint taken between batches (its operator state,
    /// handed back to every subtask on restore); `None` for a source without a position,
    /// which starts over after a restore.
    fn snapshot_position(&self) -> Option<Vec<u8>> {
        None
    }
}

/// The positions of every old subtask of a restored source (empty on a fresh start), as
/// [`RoundRobinProgress`]es; `what` names the source in errors.
pub fn restored_positions(
    ctx: &crate::graph::factory::BuildContext,
    what: &str,
) -> Result<Vec<RoundRobinProgress>, OperatorError> {
    ctx.restored_operator_state()
        .into_iter()
        .map(|bytes| RoundRobinProgress::decode(bytes, what))
        .collect()
}

/// A source with its chain, type-erased for the task loop.
pub trait SourceDriver {
    /// Runs one batch.
    fn run_batch(&mut self, max: usize) -> Result<SourceStatus, OperatorError>;
    /// The input ended: the final watermark, then the end of input down the chain.
    fn finish(&mut self) -> OpResult;
    /// A pause a downstream operator asked for (rate-limited sink).
    fn pause_until(&self) -> Option<u64>;
    /// Records emitted so far.
    fn records_emitted(&self) -> u64;
    /// Malformed records skipped so far.
    fn records_skipped(&self) -> u64;
    /// A checkpoint call between batches: the source's position goes into a snapshot under
    /// `uid`, then the call goes down the chain.
    fn checkpoint(&mut self, uid: &str, call: &mut CheckpointCall<'_>) -> OpResult;
}

/// Drives a typed source into its chain.
pub struct TypedSourceDriver<T: Data> {
    source: Box<dyn Source<T>>,
    out: BoxOutput<T>,
    emitted: u64,
    skipped: u64,
    idle: bool,
}

impl<T: Data> TypedSourceDriver<T> {
    /// Couples `source` with its downstream.
    pub fn new(source: Box<dyn Source<T>>, out: BoxOutput<T>) -> Self {
        Self {
            source,
            out,
            emitted: 0,
            skipped: 0,
            idle: false,
        }
    }
}

impl<T: Data> SourceDriver for TypedSourceDriver<T> {
    fn run_batch(&mut self, max: usize) -> Result<SourceStatus, OperatorError> {
        let mut ctx = SourceContext {
            out: &mut self.out,
            emitted: 0,
            skipped: 0,
            idle: &mut self.idle,
        };
        let status = self.source.run_batch(&mut ctx, max);
        self.emitted += ctx.emitted;
        self.skipped += ctx.skipped;
        status
    }
    fn finish(&mut self) -> OpResult {
        // A bounded source ends with the maximal watermark, as in Flink (active first,
        // or the watermark of an idle channel would not count).
        if std::mem::take(&mut self.idle) {
            self.out.emit_watermark_status(WatermarkStatus::Active)?;
        }
        self.out.emit_watermark(i64::MAX)?;
        self.out.finish()
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
    fn records_emitted(&self) -> u64 {
        self.emitted
    }
    fn records_skipped(&self) -> u64 {
        self.skipped
    }
    fn checkpoint(&mut self, uid: &str, call: &mut CheckpointCall<'_>) -> OpResult {
        if let CheckpointCall::Snapshot(snapshot) = call {
            if let Some(position) = self.source.snapshot_position() {
                snapshot.add(OperatorSnapshot {
                    uid: uid.to_owned(),
                    keyed: None,
                    operator: Some(position),
                });
            }
        }
        self.out.checkpoint(call)
    }
}

/// Emits the elements of a vector (Flink's `fromCollection`, non-parallel). Its position
/// is the number of elements emitted (one unit per element, as a [`RoundRobinProgress`] of
/// one subtask).
pub struct CollectionSource<T> {
    items: std::vec::IntoIter<T>,
    emitted: u64,
    len: u64,
}

impl<T: Data> CollectionSource<T> {
    /// A source over `items`.
    pub fn new(items: Vec<T>) -> Self {
        let len = items.len() as u64;
        Self {
            items: items.into_iter(),
            emitted: 0,
            len,
        }
    }

    /// [`new`](Self::new) going on after the elements the restored position had emitted.
    pub fn resumed(items: Vec<T>, restored: &[RoundRobinProgress]) -> Result<Self, OperatorError> {
        let mut s = Self::new(items);
        if !restored.is_empty() {
            let resume = Resume::new(restored, 0, 1, "collection source")?;
            let skip = resume.next_unit(0).map_or(s.len, |(u, _)| u);
            for _ in 0..skip {
                s.items.next();
            }
            s.emitted = skip.min(s.len);
        }
        Ok(s)
    }
}

impl<T: Data> Source<T> for CollectionSource<T> {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, T>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        for _ in 0..max {
            match self.items.next() {
                Some(v) => {
                    ctx.collect(v)?;
                    self.emitted += 1;
                }
                None => return Ok(SourceStatus::Finished),
            }
        }
        Ok(SourceStatus::More)
    }
    fn snapshot_position(&self) -> Option<Vec<u8>> {
        let p = if self.emitted >= self.len {
            RoundRobinProgress::finished(1, 0, self.len)
        } else {
            RoundRobinProgress::at(1, 0, self.emitted, 0)
        };
        Some(p.encode())
    }
}

/// Emits `from..=to`, split over the subtasks (Flink's `fromSequence`): subtask `i` of `n`
/// emits the numbers at indexes `i`, `i + n`, … of the sequence.
pub struct SequenceSource {
    from: i64,
    next: i64,
    end: i64,
    step: i64,
    done: bool,
    subtask: usize,
    /// After a restore: which indexes are left (until past every restored position).
    resume: Option<Resume>,
}

impl SequenceSource {
    /// Subtask `subtask` of `parallelism` emits every `parallelism`-th number from its offset.
    pub fn new(from: i64, to: i64, subtask: usize, parallelism: usize) -> Self {
        let start = from.saturating_add(subtask as i64);
        Self {
            from,
            next: start,
            end: to,
            step: parallelism.max(1) as i64,
            done: start > to,
            subtask,
            resume: None,
        }
    }

    /// [`new`](Self::new) going on from the positions of every subtask of a snapshot
    /// (taken by [`SequenceSource::position`], at any parallelism).
    pub fn resumed(
        from: i64,
        to: i64,
        subtask: usize,
        parallelism: usize,
        restored: &[RoundRobinProgress],
    ) -> Result<Self, OperatorError> {
        let resume = Resume::new(restored, subtask, parallelism, "sequence source")?;
        let mut s = Self::new(from, to, subtask, parallelism);
        s.resume = Some(resume);
        s.seek(0);
        Ok(s)
    }

    /// Moves to the first index at or after `index` that is left to emit.
    fn seek(&mut self, index: u64) {
        let Some(r) = &self.resume else { return };
        let next = r.next_unit(index);
        if next.is_some_and(|(u, _)| u > r.highest_unit()) {
            self.resume = None; // all left from here on: plain stepping
        }
        match next {
            Some((u, _)) => {
                let value = i64::try_from(u).ok().and_then(|u| self.from.checked_add(u));
                match value {
                    Some(v) if v <= self.end => self.next = v,
                    _ => self.done = true,
                }
            }
            None => self.done = true,
        }
    }

    /// Where this subtask is, for a checkpoint (between batches: exactly what it emitted).
    pub fn position(&self) -> RoundRobinProgress {
        let step = self.step as usize;
        if self.done {
            let len = (self.end as i128 - self.from as i128 + 1).max(0) as u64;
            RoundRobinProgress::finished(step, self.subtask, len)
        } else {
            let unit = (self.next as i128 - self.from as i128) as u64;
            RoundRobinProgress::at(step, self.subtask, unit, 0)
        }
    }
}

impl Source<i64> for SequenceSource {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, i64>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        for _ in 0..max {
            if self.done {
                return Ok(SourceStatus::Finished);
            }
            ctx.collect(self.next)?;
            match self.next.checked_add(self.step) {
                Some(n) if n <= self.end => {
                    self.next = n;
                    if self.resume.is_some() {
                        // Restored: skip indexes the snapshot's subtasks had emitted.
                        self.seek((n as i128 - self.from as i128) as u64);
                    }
                }
                _ => self.done = true,
            }
        }
        Ok(if self.done {
            SourceStatus::Finished
        } else {
            SourceStatus::More
        })
    }
    fn snapshot_position(&self) -> Option<Vec<u8>> {
        Some(self.position().encode())
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
