//! Window assigners (Flink's `WindowAssigner`s): which windows an element belongs to, and
//! the trigger used unless another is set.
//!
//! - Tumbling, sliding and session windows, in event time (on the element's timestamp) and
//!   in processing time (on the slot's clock); session gaps static or per element.
//! - [`GlobalWindows`]: one window for everything, fired only by a custom trigger (count
//!   windows are global windows with a count trigger).

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::triggers::{EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, Trigger};
use super::windows::{GlobalWindow, TimeWindow, Window};
use crate::operator::OperatorError;
use crate::record::NO_TIMESTAMP;

/// Groups of windows that merge: (the window covering them, its members).
pub type Merges<W> = Vec<(W, Vec<W>)>;

/// Assigns elements of type `T` to windows of type [`WindowAssigner::W`].
pub trait WindowAssigner<T>: Clone + Send + Sync + 'static {
    /// The windows it assigns.
    type W: Window;
    /// The trigger used unless `trigger(...)` sets another.
    type DefaultTrigger: Trigger<T, Self::W>;

    /// Appends the windows of `element` (with `timestamp`, or [`NO_TIMESTAMP`]) to `out`;
    /// `now` is the slot's wall clock in epoch milliseconds for processing-time assigners
    /// ([`NO_TIMESTAMP`] for event-time ones, which must not need it).
    fn assign_windows(
        &self,
        element: &T,
        timestamp: i64,
        now: i64,
        out: &mut Vec<Self::W>,
    ) -> Result<(), OperatorError>;

    /// The default trigger.
    fn default_trigger(&self) -> Self::DefaultTrigger;

    /// Whether windows are in event time (late elements, cleanup by the watermark).
    fn is_event_time(&self) -> bool;

    /// For merging assigners (sessions): groups the windows that merge, as (covering
    /// window, members) for every group of two or more. `None`: the assigner never merges.
    fn merge_windows(&self, _windows: &[Self::W]) -> Option<Merges<Self::W>> {
        None
    }

    /// For event-time windows that are unions of equal, aligned slices (sliding windows):
    /// the slicing, so that an element updates one slice instead of every window it is in.
    fn slicing(&self) -> Option<Slicing<Self::W>> {
        None
    }
}

/// Sliding windows cut into slices: windows of `size` end every `slide` (at `offset` from
/// the epoch-aligned instants), and each is the union of `size / slice` slices of `slice`
/// (the greatest common divisor of size and slide).
#[derive(Debug)]
pub struct Slicing<W> {
    pub(crate) size: i64,
    pub(crate) slide: i64,
    pub(crate) slice: i64,
    pub(crate) offset: i64,
    /// Makes the window `[start, end)`.
    pub(crate) make: fn(i64, i64) -> W,
}

impl<W> Clone for Slicing<W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W> Copy for Slicing<W> {}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl<W> Slicing<W> {
    /// The slice holding `timestamp`.
    pub(crate) fn slice_of(&self, timestamp: i64) -> W {
        let start = TimeWindow::start_with_offset(timestamp, self.offset, self.slice);
        (self.make)(start, start.saturating_add(self.slice))
    }

    /// The end of the last window holding `timestamp`.
    pub(crate) fn last_end(&self, timestamp: i64) -> i64 {
        TimeWindow::start_with_offset(timestamp, self.offset, self.slide).saturating_add(self.size)
    }

    /// The window ending at `end`.
    pub(crate) fn window_ending(&self, end: i64) -> W {
        (self.make)(end.saturating_sub(self.size), end)
    }

    /// The slices of the window ending at `end`, oldest first.
    pub(crate) fn slices_ending(&self, end: i64) -> impl Iterator<Item = W> + '_ {
        let first = end.saturating_sub(self.size);
        (0..self.size / self.slice).map(move |i| {
            let start = first + i * self.slice;
            (self.make)(start, start + self.slice)
        })
    }
}

/// Milliseconds of a duration, saturating.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Flink's error for an event-time window over an element without a timestamp.
fn no_timestamp() -> OperatorError {
    OperatorError::User(
        "an element has no timestamp (NO_TIMESTAMP), but event-time windows need one: \
         assign timestamps with assign_timestamps_and_watermarks(...) on the stream or \
         its source, or use processing-time windows"
            .into(),
    )
}

/// The time an assigner places elements by: event time (the element's timestamp) or
/// processing time (the slot's clock), with the trigger that goes with it.
pub trait Domain: Copy + Send + Sync + 'static {
    /// The domain's default trigger.
    type Trigger: Default;
    /// Whether this is event time.
    const EVENT_TIME: bool;
    /// The prefix of the assigners' names in errors (`EventTime`, `ProcessingTime`).
    const NAME: &'static str;
    /// The instant an element is placed at: its `timestamp`, or `now`.
    fn instant(timestamp: i64, now: i64) -> Result<i64, OperatorError>;
}

/// Windows in event time, on element timestamps; fired by the watermark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventTime;

impl Domain for EventTime {
    type Trigger = EventTimeTrigger;
    const EVENT_TIME: bool = true;
    const NAME: &'static str = "EventTime";
    fn instant(timestamp: i64, _: i64) -> Result<i64, OperatorError> {
        if timestamp == NO_TIMESTAMP {
            return Err(no_timestamp());
        }
        Ok(timestamp)
    }
}

/// Windows in processing time, on the slot's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessingTime;

impl Domain for ProcessingTime {
    type Trigger = ProcessingTimeTrigger;
    const EVENT_TIME: bool = false;
    const NAME: &'static str = "ProcessingTime";
    fn instant(_: i64, now: i64) -> Result<i64, OperatorError> {
        Ok(now)
    }
}

/// Tumbling windows of a fixed size, aligned to the epoch (plus an offset), in the time
/// domain `D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TumblingWindows<D> {
    size: i64,
    offset: i64,
    _domain: PhantomData<D>,
}

/// Tumbling event-time windows (Flink's `TumblingEventTimeWindows`).
pub type TumblingEventTimeWindows = TumblingWindows<EventTime>;
/// Tumbling processing-time windows (Flink's `TumblingProcessingTimeWindows`).
pub type TumblingProcessingTimeWindows = TumblingWindows<ProcessingTime>;

impl<D: Domain> TumblingWindows<D> {
    /// Windows of `size` (at least 1 ms).
    pub fn of(size: Duration) -> Result<Self, OperatorError> {
        Self::with_offset(size, 0)
    }
    /// Windows of `size` starting `offset` ms after the epoch-aligned instants.
    pub fn with_offset(size: Duration, offset: i64) -> Result<Self, OperatorError> {
        let size = millis(size);
        if size <= 0 || offset.checked_abs().is_none_or(|o| o >= size) {
            return Err(OperatorError::User(format!(
                "Tumbling{}Windows: the size must be at least 1 ms and |offset| below it \
                 (size {size} ms, offset {offset} ms)",
                D::NAME
            )));
        }
        Ok(Self {
            size,
            offset,
            _domain: PhantomData,
        })
    }
}

impl<T, D: Domain> WindowAssigner<T> for TumblingWindows<D>
where
    D::Trigger: Trigger<T, TimeWindow>,
{
    type W = TimeWindow;
    type DefaultTrigger = D::Trigger;
    fn assign_windows(
        &self,
        _: &T,
        timestamp: i64,
        now: i64,
        out: &mut Vec<TimeWindow>,
    ) -> Result<(), OperatorError> {
        let at = D::instant(timestamp, now)?;
        let start = TimeWindow::start_with_offset(at, self.offset, self.size);
        out.push(TimeWindow::new(start, start.saturating_add(self.size)));
        Ok(())
    }
    fn default_trigger(&self) -> D::Trigger {
        D::Trigger::default()
    }
    fn is_event_time(&self) -> bool {
        D::EVENT_TIME
    }
}

/// Sliding windows: `size` long, one starting every `slide` (aligned to the epoch plus an
/// offset), in the time domain `D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlidingWindows<D> {
    size: i64,
    slide: i64,
    offset: i64,
    _domain: PhantomData<D>,
}

/// Sliding event-time windows (Flink's `SlidingEventTimeWindows`).
pub type SlidingEventTimeWindows = SlidingWindows<EventTime>;
/// Sliding processing-time windows (Flink's `SlidingProcessingTimeWindows`).
pub type SlidingProcessingTimeWindows = SlidingWindows<ProcessingTime>;

impl<D: Domain> SlidingWindows<D> {
    /// Windows of `size`, one every `slide`.
    pub fn of(size: Duration, slide: Duration) -> Result<Self, OperatorError> {
        Self::with_offset(size, slide, 0)
    }
    /// Windows of `size`, one every `slide`, shifted by `offset` ms.
    pub fn with_offset(
        size: Duration,
        slide: Duration,
        offset: i64,
    ) -> Result<Self, OperatorError> {
        let (size, slide) = (millis(size), millis(slide));
        if size <= 0 || slide <= 0 || offset.checked_abs().is_none_or(|o| o >= slide) {
            return Err(OperatorError::User(format!(
                "Sliding{}Windows: size and slide must be at least 1 ms and |offset| below \
                 the slide (size {size} ms, slide {slide} ms, offset {offset} ms)",
                D::NAME
            )));
        }
        Ok(Self {
            size,
            slide,
            offset,
            _domain: PhantomData,
        })
    }
}

impl<T, D: Domain> WindowAssigner<T> for SlidingWindows<D>
where
    D::Trigger: Trigger<T, TimeWindow>,
{
    type W = TimeWindow;
    type DefaultTrigger = D::Trigger;
    fn assign_windows(
        &self,
        _: &T,
        timestamp: i64,
        now: i64,
        out: &mut Vec<TimeWindow>,
    ) -> Result<(), OperatorError> {
        let at = D::instant(timestamp, now)?;
        // Every window holding `at`, latest start first (as Flink lists them).
        let mut start = TimeWindow::start_with_offset(at, self.offset, self.slide);
        while start > at.saturating_sub(self.size) {
            out.push(TimeWindow::new(start, start.saturating_add(self.size)));
            start = start.saturating_sub(self.slide);
            if start == i64::MIN {
                break;
            }
        }
        Ok(())
    }
    fn default_trigger(&self) -> D::Trigger {
        D::Trigger::default()
    }
    fn is_event_time(&self) -> bool {
        D::EVENT_TIME
    }
    fn slicing(&self) -> Option<Slicing<TimeWindow>> {
        D::EVENT_TIME.then(|| Slicing {
            size: self.size,
            slide: self.slide,
            slice: gcd(self.size, self.slide),
            offset: self.offset,
            make: TimeWindow::new,
        })
    }
}

/// The gap of session windows: fixed, or computed per element.
pub enum SessionGap<T> {
    /// The same gap for every element, in ms.
    Static(i64),
    /// A gap per element (Flink's `SessionWindowTimeGapExtractor`).
    Dynamic(Arc<dyn Fn(&T) -> Duration + Send + Sync>),
}

impl<T> Clone for SessionGap<T> {
    fn clone(&self) -> Self {
        match self {
            SessionGap::Static(g) => SessionGap::Static(*g),
            SessionGap::Dynamic(f) => SessionGap::Dynamic(Arc::clone(f)),
        }
    }
}

/// Session windows in the time domain `D`: an element opens `[t, t + gap)`, and windows
/// that overlap or touch merge into one session.
pub struct SessionWindows<T, D> {
    gap: SessionGap<T>,
    _domain: PhantomData<D>,
}

/// Event-time session windows (Flink's `EventTimeSessionWindows`).
pub type EventTimeSessionWindows<T> = SessionWindows<T, EventTime>;
/// Processing-time session windows (Flink's `ProcessingTimeSessionWindows`).
pub type ProcessingTimeSessionWindows<T> = SessionWindows<T, ProcessingTime>;

impl<T, D> Clone for SessionWindows<T, D> {
    fn clone(&self) -> Self {
        Self {
            gap: self.gap.clone(),
            _domain: PhantomData,
        }
    }
}

impl<T, D: Domain> SessionWindows<T, D> {
    /// Sessions closed by `gap` of inactivity (at least 1 ms).
    pub fn with_gap(gap: Duration) -> Result<Self, OperatorError> {
        let gap = millis(gap);
        if gap <= 0 {
            return Err(OperatorError::User(format!(
                "{}SessionWindows: the session gap must be at least 1 ms, got {gap} ms",
                D::NAME
            )));
        }
        Ok(Self {
            gap: SessionGap::Static(gap),
            _domain: PhantomData,
        })
    }
    /// Sessions with a gap computed per element (Flink's `withDynamicGap`).
    pub fn with_dynamic_gap(gap: impl Fn(&T) -> Duration + Send + Sync + 'static) -> Self {
        Self {
            gap: SessionGap::Dynamic(Arc::new(gap)),
            _domain: PhantomData,
        }
    }
}

impl<T: 'static, D: Domain> WindowAssigner<T> for SessionWindows<T, D>
where
    D::Trigger: Trigger<T, TimeWindow>,
{
    type W = TimeWindow;
    type DefaultTrigger = D::Trigger;
    fn assign_windows(
        &self,
        element: &T,
        timestamp: i64,
        now: i64,
        out: &mut Vec<TimeWindow>,
    ) -> Result<(), OperatorError> {
        let at = D::instant(timestamp, now)?;
        let gap = match &self.gap {
            SessionGap::Static(g) => *g,
            SessionGap::Dynamic(f) => millis(f(element)),
        };
        if gap <= 0 {
            return Err(OperatorError::User(format!(
                "session windows: the gap must be at least 1 ms, got {gap} ms"
            )));
        }
        out.push(TimeWindow::new(at, at.saturating_add(gap)));
        Ok(())
    }
    fn default_trigger(&self) -> D::Trigger {
        D::Trigger::default()
    }
    fn is_event_time(&self) -> bool {
        D::EVENT_TIME
    }
    fn merge_windows(&self, windows: &[TimeWindow]) -> Option<Merges<TimeWindow>> {
        Some(TimeWindow::merge_windows(windows))
    }
}

/// Every element in the one [`GlobalWindow`]; its default trigger never fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalWindows;

impl GlobalWindows {
    /// The global window assigner.
    pub fn create() -> Self {
        GlobalWindows
    }
}

impl<T> WindowAssigner<T> for GlobalWindows {
    type W = GlobalWindow;
    type DefaultTrigger = NeverTrigger;
    fn assign_windows(
        &self,
        _: &T,
        _: i64,
        _: i64,
        out: &mut Vec<GlobalWindow>,
    ) -> Result<(), OperatorError> {
        out.push(GlobalWindow);
        Ok(())
    }
    fn default_trigger(&self) -> NeverTrigger {
        NeverTrigger
    }
    fn is_event_time(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows<A: WindowAssigner<u8>>(a: &A, ts: i64, now: i64) -> Vec<A::W> {
        let mut out = Vec::new();
        a.assign_windows(&0, ts, now, &mut out).unwrap();
        out
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn tumbling_windows_hold_their_start_and_not_their_end() {
        let a = TumblingEventTimeWindows::of(S(10)).unwrap();
        assert_eq!(
            windows(&a, 10_000, 0),
            vec![TimeWindow::new(10_000, 20_000)]
        );
        assert_eq!(
            windows(&a, 19_999, 0),
            vec![TimeWindow::new(10_000, 20_000)]
        );
        assert!(a
            .assign_windows(&0u8, NO_TIMESTAMP, 0, &mut Vec::new())
            .is_err());
        let p = TumblingProcessingTimeWindows::of(S(10)).unwrap();
        assert_eq!(
            windows(&p, NO_TIMESTAMP, 25_000),
            vec![TimeWindow::new(20_000, 30_000)]
        );
        assert!(TumblingEventTimeWindows::of(Duration::ZERO).is_err());
        assert!(TumblingEventTimeWindows::with_offset(S(10), 10_000).is_err());
    }

    #[test]
    fn a_sliding_element_lands_in_size_over_slide_windows() {
        let a = SlidingEventTimeWindows::of(S(10), S(2)).unwrap();
        let w = windows(&a, 12_500, 0);
        assert_eq!(w.len(), 5);
        assert_eq!(w[0], TimeWindow::new(12_000, 22_000));
        assert_eq!(w[4], TimeWindow::new(4_000, 14_000));
        assert!(w.iter().all(|w| w.start <= 12_500 && 12_500 < w.end));
        // A slide that does not divide the size.
        let b = SlidingEventTimeWindows::of(S(10), S(3)).unwrap();
        let w = windows(&b, 9_000, 0);
        assert!(w.iter().all(|w| w.start <= 9_000 && 9_000 < w.end));
        assert_eq!(w.len(), 4, "starts 9 000, 6 000, 3 000 and 0");
        assert!(SlidingEventTimeWindows::with_offset(S(10), S(2), 2_000).is_err());
    }

    #[test]
    fn slices_tile_the_sliding_windows() {
        let a = SlidingEventTimeWindows::of(S(10), S(4)).unwrap();
        let s = WindowAssigner::<u8>::slicing(&a).unwrap();
        assert_eq!(s.slice, 2_000);
        assert_eq!(s.slice_of(12_500), TimeWindow::new(12_000, 14_000));
        // The windows of 12 500 start at 12 000, 8 000 and 4 000: the last ends at 22 000.
        assert_eq!(s.last_end(12_500), 22_000);
        let slices: Vec<_> = s.slices_ending(20_000).collect();
        assert_eq!(slices.len(), 5);
        assert_eq!(slices[0], TimeWindow::new(10_000, 12_000));
        assert_eq!(slices[4], TimeWindow::new(18_000, 20_000));
        assert_eq!(s.window_ending(20_000), TimeWindow::new(10_000, 20_000));
        assert!(
            WindowAssigner::<u8>::slicing(&TumblingEventTimeWindows::of(S(1)).unwrap()).is_none()
        );
    }

    #[test]
    fn sessions_open_a_gap_long_window_and_merge_when_touching() {
        let a = EventTimeSessionWindows::<u8>::with_gap(S(10)).unwrap();
        assert_eq!(windows(&a, 5_000, 0), vec![TimeWindow::new(5_000, 15_000)]);
        let merged = a
            .merge_windows(&[TimeWindow::new(0, 10_000), TimeWindow::new(10_000, 20_000)])
            .unwrap();
        assert_eq!(merged[0].0, TimeWindow::new(0, 20_000));
        let d = EventTimeSessionWindows::<u8>::with_dynamic_gap(|v| {
            Duration::from_millis(u64::from(*v))
        });
        assert!(
            d.assign_windows(&0, 1, 0, &mut Vec::new()).is_err(),
            "zero gap"
        );
        assert_eq!(windows(&GlobalWindows::create(), 1, 2), vec![GlobalWindow]);
    }
}
