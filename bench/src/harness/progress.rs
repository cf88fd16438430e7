//! A progress line for long runs, drawn on stderr only when stderr is a terminal and
//! redrawn at most about ten times a second.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The state of a running benchmark, as harnesses report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressUpdate<'a> {
    /// What is running (e.g. `latency`, `timeout 1 ms`).
    pub label: &'a str,
    /// Records emitted so far.
    pub done: u64,
    /// Records the run will emit (about, for paced runs).
    pub total: u64,
}

impl ProgressUpdate<'_> {
    /// The line drawn for this update, e.g. `latency   42% (420000/1000000)`.
    pub fn line(&self) -> String {
        let pct = if self.total == 0 {
            100.0
        } else {
            (self.done as f64 / self.total as f64 * 100.0).min(100.0)
        };
        format!("{}  {pct:3.0}% ({}/{})", self.label, self.done, self.total)
    }
}

/// Draws [`ProgressUpdate`]s as one line on stderr, overwritten in place.
pub struct Progress {
    enabled: bool,
    min_interval: Duration,
    last_draw: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// A progress line on stderr, enabled only when stderr is a terminal.
    pub fn stderr() -> Self {
        Self::with_enabled(std::io::stderr().is_terminal())
    }

    /// A progress line that draws only if `enabled` (tests, `--no-progress`).
    pub fn with_enabled(enabled: bool) -> Self {
        Self {
            enabled,
            min_interval: Duration::from_millis(100),
            last_draw: None,
            drawn: false,
        }
    }

    /// Whether updates are drawn at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether an update at `now` may be drawn (at most one per 100 ms); notes it if so.
    fn due(&mut self, now: Instant) -> bool {
        let due = self
            .last_draw
            .is_none_or(|last| now.duration_since(last) >= self.min_interval);
        if due {
            self.last_draw = Some(now);
        }
        due
    }

    /// Redraws the line with `update`, unless disabled or drawn less than 100 ms ago.
    pub fn update(&mut self, update: &ProgressUpdate<'_>) {
        if !self.enabled || !self.due(Instant::now()) {
            return;
        }
        let mut err = std::io::stderr().lock();
        // Progress is cosmetic: a failed write to the terminal is ignored.
        let _ = write!(err, "\r\x1b[2K{}", update.line());
        let _ = err.flush();
        self.drawn = true;
    }

    /// Clears the line (call before printing results).
    pub fn finish(&mut self) {
        if self.enabled && self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_label_percentage_and_counts() {
        let u = ProgressUpdate {
            label: "latency",
            done: 420,
            total: 1000,
        };
        assert_eq!(u.line(), "latency   42% (420/1000)");
        let over = ProgressUpdate { done: 2000, ..u };
        assert!(over.line().contains("100%"));
        let empty = ProgressUpdate { total: 0, ..u };
        assert!(empty.line().contains("100%"));
    }

    #[test]
    fn draws_are_limited_to_ten_a_second() {
        let mut p = Progress::with_enabled(false);
        let t0 = Instant::now();
        assert!(p.due(t0));
        assert!(!p.due(t0 + Duration::from_millis(50)));
        assert!(p.due(t0 + Duration::from_millis(100)));
        // Disabled: update draws nothing and does not fail.
        p.update(&ProgressUpdate {
            label: "x",
            done: 1,
            total: 2,
        });
        assert!(!p.drawn);
    }
}
