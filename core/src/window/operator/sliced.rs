//! The sliced path of the window operator: sliding event-time windows with an
//! incremental function, the default trigger and no lateness keep one accumulator per
//! slice (`gcd(size, slide)`); an element updates its slice, and a window firing combines
//! its slices (see `docs/architecture.md`, "Windows").

use weir_state::keyed::BackendKey;

use super::WindowCore;
use crate::operator::OpResult;
use crate::record::Data;
use crate::window::assigners::{Slicing, WindowAssigner};
use crate::window::contents::WindowContents;
use crate::window::function::{ProcessWindowFunction, WindowContext};
use crate::window::triggers::Trigger;

impl<K, T, A, Tr, C, F, O> WindowCore<K, T, A, Tr, C, F, O>
where
    K: BackendKey,
    T: Data,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
    F: ProcessWindowFunction<K, C::Out, O, A::W>,
    O: Data,
{
    /// An element of sliced windows: added to its slice only, with a timer at the end of
    /// the first of its windows that is not late yet (the windows after it are reached by
    /// the timer chain of [`WindowCore::sliced_timer`]).
    pub(super) fn sliced_element(
        &mut self,
        key: &K,
        s: Slicing<A::W>,
        value: T,
        timestamp: i64,
    ) -> OpResult {
        if timestamp == crate::record::NO_TIMESTAMP {
            // The assigner's own error for a missing timestamp.
            let mut scratch = Vec::new();
            return self
                .assigner
                .assign_windows(&value, timestamp, 0, &mut scratch);
        }
        let mut end = s.last_end(timestamp);
        if end.saturating_sub(1) <= self.watermark {
            return self.late(value, timestamp);
        }
        // Earlier windows holding the element, while they are not late.
        while end - s.slide > timestamp && end - s.slide - 1 > self.watermark {
            end -= s.slide;
        }
        let slice = s.slice_of(timestamp);
        self.contents
            .add(&mut self.state, &slice, value, timestamp)?;
        self.timers
            .event
            .register(key.clone(), s.window_ending(end), end - 1);
        Ok(())
    }

    /// The window of sliced windows ending at `time + 1` fires: its slices are combined,
    /// the slices no later window needs are dropped, and the next window's timer is set if
    /// it holds something.
    pub(super) fn sliced_timer(
        &mut self,
        key: K,
        s: Slicing<A::W>,
        window: A::W,
        time: i64,
    ) -> OpResult {
        self.state.set_current_key(key.clone())?;
        let end = time.saturating_add(1);
        // Scratch vectors, reused from firing to firing.
        let mut slices = std::mem::take(&mut self.windows);
        slices.clear();
        slices.extend(s.slices_ending(end));
        let mut present = std::mem::take(&mut self.present);
        let combined = self
            .contents
            .get_combined(&mut self.state, &slices, &mut present);
        let result = match combined {
            Ok(Some(elements)) => self.emit(&key, &window, elements),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        // Slices before the next window's start are done.
        let next_start = end + s.slide - s.size;
        let mut next_has_data = false;
        for (i, slice) in slices.iter().enumerate() {
            let start = end - s.size + i as i64 * s.slice;
            if start < next_start {
                if present.get(i).copied().unwrap_or(false) {
                    self.contents.clear(&mut self.state, slice)?;
                }
            } else if present.get(i).copied().unwrap_or(false) {
                next_has_data = true;
            }
        }
        (self.windows, self.present) = (slices, present);
        result?;
        let mut ctx = WindowContext {
            window: &window,
            watermark: self.watermark,
            clock: &self.clock,
            state: &mut self.state,
            side: &mut self.side,
            error: None,
        };
        self.function.clear(&mut ctx)?;
        if next_has_data {
            let next = end + s.slide;
            self.timers
                .event
                .register(key, s.window_ending(next), next - 1);
        }
        Ok(())
    }
}
