//! Whether and when a failed job restarts: [`RestartTracker`] follows a
//! [`RestartStrategy`] over the failures of one job, as Flink's
//! `RestartBackoffTimeStrategy` implementations do. I/O-free: the caller passes the time
//! of each failure (milliseconds on any monotonic clock) and the seed of the jitter.

use std::collections::VecDeque;
use std::time::Duration;

use crate::config::fault_tolerance::RestartStrategy;

/// What to do after a failure.
#[derive(Debug, Clone, PartialEq)]
pub enum RestartDecision {
    /// Restart after this delay.
    Restart(Duration),
    /// Fail the job: the strategy allows no more restarts (why, for the error message).
    GiveUp(String),
}

/// The failures of one job under a restart strategy.
#[derive(Debug, Clone)]
pub struct RestartTracker {
    strategy: RestartStrategy,
    /// Restarts so far (fixed delay), or since the last reset (exponential delay).
    attempts: u64,
    /// Failure-rate: the times of the latest failures, at most the maximum per interval.
    recent: VecDeque<u64>,
    /// Exponential delay: the time of the previous failure and the delay it got.
    last_failure: Option<(u64, Duration)>,
    /// Jitter source (xorshift64*; never 0).
    random: u64,
}

impl RestartTracker {
    /// A tracker for `strategy`, with jitter drawn from `seed`.
    pub fn new(strategy: RestartStrategy, seed: u64) -> Self {
        Self {
            strategy,
            attempts: 0,
            recent: VecDeque::new(),
            last_failure: None,
            random: seed | 1,
        }
    }

    /// The strategy followed.
    pub fn strategy(&self) -> &RestartStrategy {
        &self.strategy
    }

    /// A failure at `now_ms`: restart after a delay, or give up.
    pub fn on_failure(&mut self, now_ms: u64) -> RestartDecision {
        match self.strategy.clone() {
            RestartStrategy::None => {
                RestartDecision::GiveUp("the restart strategy is none".to_string())
            }
            RestartStrategy::FixedDelay { attempts, delay } => {
                if self.attempts >= u64::from(attempts) {
                    return RestartDecision::GiveUp(format!(
                        "the fixed-delay restart strategy allows {attempts} restart(s), all used"
                    ));
                }
                self.attempts += 1;
                RestartDecision::Restart(delay)
            }
            RestartStrategy::FailureRate {
                max_failures,
                interval,
                delay,
            } => self.failure_rate(now_ms, max_failures, interval, delay),
            RestartStrategy::ExponentialDelay {
                initial,
                max,
                multiplier,
                reset_threshold,
                jitter,
                attempts,
            } => {
                let backoff = match self.last_failure {
                    // A run longer than the threshold (after the last delay) starts over.
                    Some((at, last))
                        if now_ms.saturating_sub(at)
                            < millis(reset_threshold).saturating_add(millis(last)) =>
                    {
                        let grown = last.as_secs_f64() * multiplier;
                        Duration::from_secs_f64(grown.min(max.as_secs_f64())).max(initial)
                    }
                    _ => {
                        self.attempts = 0;
                        initial.min(max)
                    }
                };
                if self.attempts >= u64::from(attempts) {
                    return RestartDecision::GiveUp(format!(
                        "the exponential-delay restart strategy allows {attempts} restart(s) \
                         before its backoff resets, all used"
                    ));
                }
                self.attempts += 1;
                self.last_failure = Some((now_ms, backoff));
                RestartDecision::Restart(self.jittered(backoff, jitter))
            }
        }
    }

    /// Failure-rate: give up when this failure makes `max_failures + 1` within `interval`
    /// (Flink keeps the last `max_failures` failure times and compares with the oldest).
    fn failure_rate(
        &mut self,
        now_ms: u64,
        max_failures: u32,
        interval: Duration,
        delay: Duration,
    ) -> RestartDecision {
        let max = max_failures.max(1) as usize;
        if self.recent.len() == max {
            let oldest = self.recent.front().copied().unwrap_or(0);
            if now_ms.saturating_sub(oldest) <= millis(interval) {
                return RestartDecision::GiveUp(format!(
                    "{} failures within {} ms exceed the failure-rate restart strategy's \
                     maximum of {max_failures} per interval",
                    max + 1,
                    millis(interval)
                ));
            }
            self.recent.pop_front();
        }
        self.recent.push_back(now_ms);
        RestartDecision::Restart(delay)
    }

    /// `backoff` moved by a uniform random share of up to `jitter` of itself, either way.
    fn jittered(&mut self, backoff: Duration, jitter: f64) -> Duration {
        if jitter <= 0.0 || backoff.is_zero() {
            return backoff;
        }
        // xorshift64*, then a uniform number in [-1, 1).
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        let r = self.random.wrapping_mul(0x2545_f491_4f6c_dd1d);
        let unit = (r >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        let secs = backoff.as_secs_f64() * (1.0 + jitter.min(1.0) * unit);
        Duration::from_secs_f64(secs.max(0.0))
    }
}

/// Whole milliseconds of `d`, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn delays(t: &mut RestartTracker, times: &[u64]) -> Vec<Option<Duration>> {
        times
            .iter()
            .map(|&now| match t.on_failure(now) {
                RestartDecision::Restart(d) => Some(d),
                RestartDecision::GiveUp(_) => None,
            })
            .collect()
    }

    #[test]
    fn none_gives_up_at_once() {
        let mut t = RestartTracker::new(RestartStrategy::None, 1);
        assert!(matches!(t.on_failure(0), RestartDecision::GiveUp(m) if m.contains("none")));
    }

    #[test]
    fn fixed_delay_restarts_its_number_of_attempts() {
        let s = RestartStrategy::FixedDelay {
            attempts: 2,
            delay: ms(10),
        };
        let mut t = RestartTracker::new(s, 1);
        assert_eq!(
            delays(&mut t, &[0, 100, 200]),
            [Some(ms(10)), Some(ms(10)), None]
        );
        let mut zero = RestartTracker::new(
            RestartStrategy::FixedDelay {
                attempts: 0,
                delay: ms(1),
            },
            1,
        );
        assert!(
            matches!(zero.on_failure(0), RestartDecision::GiveUp(m) if m.contains("0 restart"))
        );
    }

    #[test]
    fn failure_rate_gives_up_on_too_many_failures_in_one_interval() {
        let s = RestartStrategy::FailureRate {
            max_failures: 2,
            interval: ms(1_000),
            delay: ms(5),
        };
        let mut t = RestartTracker::new(s.clone(), 1);
        // Two in an interval are fine; a third within 1 s of the first is not.
        assert_eq!(
            delays(&mut t, &[0, 500, 900]),
            [Some(ms(5)), Some(ms(5)), None]
        );
        // Spread out, failures never exceed the rate.
        let mut t = RestartTracker::new(s, 1);
        assert!(delays(&mut t, &[0, 600, 1_200, 1_800, 2_400])
            .iter()
            .all(Option::is_some));
    }

    #[test]
    fn exponential_delay_grows_caps_and_resets_after_a_stable_run() {
        let s = RestartStrategy::ExponentialDelay {
            initial: ms(100),
            max: ms(500),
            multiplier: 2.0,
            reset_threshold: ms(10_000),
            jitter: 0.0,
            attempts: u32::MAX,
        };
        let mut t = RestartTracker::new(s, 1);
        assert_eq!(
            delays(&mut t, &[0, 1_000, 2_000, 3_000, 4_000]),
            [
                Some(ms(100)),
                Some(ms(200)),
                Some(ms(400)),
                Some(ms(500)),
                Some(ms(500))
            ]
        );
        // More than threshold + last delay after the previous failure: back to the start.
        assert_eq!(delays(&mut t, &[4_000 + 10_501]), [Some(ms(100))]);
    }

    #[test]
    fn exponential_delay_gives_up_after_its_attempts_until_a_reset() {
        let s = RestartStrategy::ExponentialDelay {
            initial: ms(10),
            max: ms(1_000),
            multiplier: 1.5,
            reset_threshold: ms(1_000),
            jitter: 0.0,
            attempts: 2,
        };
        let mut t = RestartTracker::new(s, 1);
        assert_eq!(
            delays(&mut t, &[0, 100, 200]),
            [Some(ms(10)), Some(ms(15)), None]
        );
        // After a long stable run the count starts over.
        assert_eq!(delays(&mut t, &[10_000]), [Some(ms(10))]);
    }

    #[test]
    fn jitter_stays_within_its_share_and_depends_only_on_the_seed() {
        let s = RestartStrategy::ExponentialDelay {
            initial: ms(1_000),
            max: ms(1_000),
            multiplier: 1.5,
            reset_threshold: ms(3_600_000),
            jitter: 0.1,
            attempts: u32::MAX,
        };
        let times: Vec<u64> = (0..200).map(|i| i * 10).collect();
        let a = delays(&mut RestartTracker::new(s.clone(), 42), &times);
        let b = delays(&mut RestartTracker::new(s.clone(), 42), &times);
        assert_eq!(a, b);
        assert!(a.iter().flatten().all(|d| *d >= ms(900) && *d <= ms(1_100)));
        let distinct: std::collections::BTreeSet<_> = a.iter().flatten().collect();
        assert!(distinct.len() > 50, "jitter varies the delay");
    }
}
