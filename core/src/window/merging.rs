//! The in-flight windows of one key under a merging assigner (Flink's `MergingWindowSet`):
//! each window maps to the window whose namespace holds its state, so that merging
//! windows moves no state of the window that absorbs the others.

/// A merge to carry out: `merged` windows (not counting a new window) became `result`,
/// whose state lives in `state_window`; the state of `merged_state` moves there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Merge<W> {
    pub(crate) result: W,
    pub(crate) merged: Vec<W>,
    pub(crate) state_window: W,
    pub(crate) merged_state: Vec<W>,
}

/// Window → state window, for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MergingWindows<W> {
    pub(crate) mapping: Vec<(W, W)>,
}

impl<W: Clone + PartialEq> MergingWindows<W> {
    /// The set stored for a key (empty if none).
    pub(crate) fn new(mapping: Vec<(W, W)>) -> Self {
        Self { mapping }
    }

    /// The window holding `window`'s state, if `window` is in flight.
    pub(crate) fn state_window(&self, window: &W) -> Option<&W> {
        self.mapping
            .iter()
            .find(|(w, _)| w == window)
            .map(|(_, s)| s)
    }

    fn remove(&mut self, window: &W) -> Option<W> {
        let at = self.mapping.iter().position(|(w, _)| w == window)?;
        Some(self.mapping.swap_remove(at).1)
    }

    /// Maps `window` to `state_window`, replacing its mapping if it has one (a map's put).
    fn put(&mut self, window: W, state_window: W) {
        match self.mapping.iter_mut().find(|(w, _)| *w == window) {
            Some(entry) => entry.1 = state_window,
            None => self.mapping.push((window, state_window)),
        }
    }

    /// Takes `window` out of the in-flight set (it fired and was cleaned up, or is late).
    pub(crate) fn retire(&mut self, window: &W) {
        self.remove(window);
    }

    /// The in-flight windows plus `new`, as the assigner's `merge_windows` wants them,
    /// into `all` (cleared first; a scratch vector reused from element to element).
    pub(crate) fn with_into(&self, new: &W, all: &mut Vec<W>) {
        all.clear();
        all.extend(self.mapping.iter().map(|(w, _)| w.clone()));
        all.push(new.clone());
    }

    /// Adds `new` given the assigner's `merges` of [`MergingWindows::with`]: returns the
    /// window `new` ended up in and the merges whose state and triggers must be combined.
    pub(crate) fn add(&mut self, new: W, merges: Vec<(W, Vec<W>)>) -> (W, Vec<Merge<W>>) {
        let mut result_window = new.clone();
        let mut merged_new = false;
        let mut todo = Vec::new();
        for (result, mut merged) in merges {
            if let Some(at) = merged.iter().position(|w| *w == new) {
                merged.remove(at);
                result_window = result.clone();
                merged_new = true;
            }
            let Some(first) = merged.first() else {
                continue;
            };
            let Some(state_window) = self.state_window(first).cloned() else {
                continue;
            };
            let mut merged_state: Vec<W> = merged.iter().filter_map(|w| self.remove(w)).collect();
            self.put(result.clone(), state_window.clone());
            merged_state.retain(|s| *s != state_window);
            // Merging one existing window into itself (a new window inside it) moves
            // nothing.
            if !(merged.len() == 1 && merged.contains(&result)) {
                todo.push(Merge {
                    result,
                    merged,
                    state_window,
                    merged_state,
                });
            }
        }
        // A new window that merged with nothing is its own state window. One that merged
        // (even into a result equal to itself, covering older windows) keeps the state
        // window of the windows it covers.
        if !merged_new {
            self.put(new.clone(), new);
        }
        (result_window, todo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::windows::TimeWindow;

    fn w(s: i64, e: i64) -> TimeWindow {
        TimeWindow::new(s, e)
    }

    fn add(
        set: &mut MergingWindows<TimeWindow>,
        new: TimeWindow,
    ) -> (TimeWindow, Vec<Merge<TimeWindow>>) {
        let mut all = Vec::new();
        set.with_into(&new, &mut all);
        let merges = TimeWindow::merge_windows(&all);
        set.add(new, merges)
    }

    #[test]
    fn a_new_window_alone_is_its_own_state_window() {
        let mut set = MergingWindows::new(Vec::new());
        let (r, m) = add(&mut set, w(0, 10));
        assert_eq!((r, m.len()), (w(0, 10), 0));
        assert_eq!(set.state_window(&w(0, 10)), Some(&w(0, 10)));
    }

    #[test]
    fn a_bridging_window_merges_two_sessions_into_the_state_of_one() {
        let mut set = MergingWindows::new(Vec::new());
        add(&mut set, w(0, 10));
        add(&mut set, w(20, 30));
        let (r, m) = add(&mut set, w(8, 22));
        assert_eq!(r, w(0, 30));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].merged, vec![w(0, 10), w(20, 30)]);
        assert_eq!(m[0].state_window, w(0, 10));
        assert_eq!(m[0].merged_state, vec![w(20, 30)]);
        assert_eq!(set.mapping, vec![(w(0, 30), w(0, 10))]);
    }

    #[test]
    fn a_window_inside_another_moves_nothing() {
        let mut set = MergingWindows::new(Vec::new());
        add(&mut set, w(0, 10));
        let (r, m) = add(&mut set, w(2, 8));
        assert_eq!(r, w(0, 10));
        assert!(m.is_empty());
        assert_eq!(set.mapping, vec![(w(0, 10), w(0, 10))]);
        set.retire(&w(0, 10));
        assert!(set.mapping.is_empty());
    }

    #[test]
    fn a_new_window_covering_an_older_one_keeps_the_older_state_window() {
        // Sessions of a dynamic gap: the new window is itself the merge result.
        let mut set = MergingWindows::new(Vec::new());
        add(&mut set, w(3, 8));
        let (r, m) = add(&mut set, w(0, 10));
        assert_eq!(r, w(0, 10));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].merged, vec![w(3, 8)]);
        assert_eq!(m[0].state_window, w(3, 8));
        assert_eq!(set.mapping, vec![(w(0, 10), w(3, 8))]);
    }

    #[test]
    fn the_same_window_twice_stays_one_window() {
        let mut set = MergingWindows::new(Vec::new());
        add(&mut set, w(0, 10));
        let (r, m) = add(&mut set, w(0, 10));
        assert_eq!(r, w(0, 10));
        assert!(m.is_empty());
        assert_eq!(set.mapping, vec![(w(0, 10), w(0, 10))]);
    }

    #[test]
    fn extending_a_window_keeps_its_state_window() {
        let mut set = MergingWindows::new(Vec::new());
        add(&mut set, w(0, 10));
        let (r, m) = add(&mut set, w(10, 20));
        assert_eq!(r, w(0, 20));
        assert_eq!(m[0].merged, vec![w(0, 10)]);
        assert!(m[0].merged_state.is_empty());
        assert_eq!(set.state_window(&w(0, 20)), Some(&w(0, 10)));
    }
}
