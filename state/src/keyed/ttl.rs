//! State time-to-live with Flink's `StateTtlConfig` semantics, and the injected clock.
//!
//! An entry's TTL timestamp is set when it is created or written (and, with
//! [`UpdateType::OnReadAndWrite`], when it is read). It is expired once
//! `timestamp + ttl <= now` (Flink's `TtlUtils.expired`), `now` coming only from the
//! backend's [`TtlTimeProvider`]. Expired entries are removed when they are read (returned
//! that one time only with [`StateVisibility::ReturnExpiredIfNotCleanedUp`]) and by the
//! incremental cleanup: each access to a state checks a few more of its entries through a
//! lazy cursor over the whole state (Flink's `cleanupIncrementally`). List elements and map
//! entries carry timestamps of their own and expire individually.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::StateError;

/// When the TTL timestamp of an entry is refreshed (Flink's `StateTtlConfig.UpdateType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UpdateType {
    /// On creation and on every write (the default).
    #[default]
    OnCreateAndWrite,
    /// On creation, on every write and on every read.
    OnReadAndWrite,
}

/// Whether expired entries not yet removed may still be returned
/// (Flink's `StateTtlConfig.StateVisibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StateVisibility {
    /// An expired entry is returned by the read that finds (and removes) it.
    ReturnExpiredIfNotCleanedUp,
    /// Expired entries are never returned (the default).
    #[default]
    NeverReturnExpired,
}

/// Flink's `IncrementalCleanupStrategy`: how many entries each cleanup step checks and
/// whether a step also runs for every record (on every `set_current_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IncrementalCleanup {
    /// Entries checked per step (at least 1).
    pub cleanup_size: usize,
    /// Also run a step whenever the current key is set, not only on state accesses.
    pub run_cleanup_for_every_record: bool,
}

impl IncrementalCleanup {
    /// Flink's default background cleanup for heap state: 5 entries per state access.
    pub const DEFAULT: IncrementalCleanup = IncrementalCleanup {
        cleanup_size: 5,
        run_cleanup_for_every_record: false,
    };
}

/// The time-to-live configuration of one state (Flink's `StateTtlConfig`), built with
/// [`StateTtlConfig::builder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateTtlConfig {
    ttl: Duration,
    update_type: UpdateType,
    state_visibility: StateVisibility,
    incremental_cleanup: Option<IncrementalCleanup>,
}

impl StateTtlConfig {
    /// Starts a configuration with time-to-live `ttl` (Flink's `newBuilder`).
    pub fn builder(ttl: Duration) -> StateTtlConfigBuilder {
        StateTtlConfigBuilder {
            ttl,
            update_type: UpdateType::default(),
            state_visibility: StateVisibility::default(),
            cleanup_in_background: true,
            incremental_cleanup: None,
        }
    }

    /// The time-to-live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The time-to-live in milliseconds (saturating at `i64::MAX`).
    pub fn ttl_millis(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// When timestamps are refreshed.
    pub fn update_type(&self) -> UpdateType {
        self.update_type
    }

    /// Whether expired entries may be returned.
    pub fn state_visibility(&self) -> StateVisibility {
        self.state_visibility
    }

    /// The incremental cleanup in effect, if any.
    pub fn incremental_cleanup(&self) -> Option<IncrementalCleanup> {
        self.incremental_cleanup
    }
}

/// Builds a [`StateTtlConfig`] (Flink's `StateTtlConfig.Builder`).
#[derive(Debug, Clone, Copy)]
pub struct StateTtlConfigBuilder {
    ttl: Duration,
    update_type: UpdateType,
    state_visibility: StateVisibility,
    cleanup_in_background: bool,
    incremental_cleanup: Option<IncrementalCleanup>,
}

impl StateTtlConfigBuilder {
    /// Sets when timestamps are refreshed.
    pub fn set_update_type(mut self, update_type: UpdateType) -> Self {
        self.update_type = update_type;
        self
    }

    /// Sets whether expired entries may be returned.
    pub fn set_state_visibility(mut self, state_visibility: StateVisibility) -> Self {
        self.state_visibility = state_visibility;
        self
    }

    /// Sets the time-to-live.
    pub fn set_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Each state access (and, if `run_cleanup_for_every_record`, each record) checks up to
    /// `cleanup_size` further entries of the state and removes the expired ones.
    pub fn cleanup_incrementally(
        mut self,
        cleanup_size: usize,
        run_cleanup_for_every_record: bool,
    ) -> Self {
        self.incremental_cleanup = Some(IncrementalCleanup {
            cleanup_size,
            run_cleanup_for_every_record,
        });
        self
    }

    /// Turns off the default background cleanup (Flink's `disableCleanupInBackground`):
    /// without an explicit [`Self::cleanup_incrementally`], entries are then removed only
    /// when read.
    pub fn disable_cleanup_in_background(mut self) -> Self {
        self.cleanup_in_background = false;
        self
    }

    /// The configuration; an error if the TTL is under one millisecond or the cleanup size
    /// is 0 (Flink: "TTL is expected to be positive", "Number of incrementally cleaned up
    /// state entries should be positive").
    pub fn build(self) -> Result<StateTtlConfig, StateError> {
        if self.ttl.as_millis() == 0 {
            return Err(StateError::InvalidTtl {
                reason: format!("the time-to-live must be at least 1 ms, got {:?}", self.ttl),
            });
        }
        if let Some(cleanup) = self.incremental_cleanup {
            if cleanup.cleanup_size == 0 {
                return Err(StateError::InvalidTtl {
                    reason: "the incremental cleanup size must be at least 1 entry".into(),
                });
            }
        }
        let incremental_cleanup = match self.incremental_cleanup {
            Some(explicit) => Some(explicit),
            None if self.cleanup_in_background => Some(IncrementalCleanup::DEFAULT),
            None => None,
        };
        Ok(StateTtlConfig {
            ttl: self.ttl,
            update_type: self.update_type,
            state_visibility: self.state_visibility,
            incremental_cleanup,
        })
    }
}

/// The clock of TTL: epoch milliseconds (Flink's `TtlTimeProvider`, processing time).
pub trait TtlTimeProvider: Send {
    /// The current time in epoch milliseconds.
    fn current_timestamp(&self) -> i64;
}

impl<F: Fn() -> i64 + Send> TtlTimeProvider for F {
    fn current_timestamp(&self) -> i64 {
        self()
    }
}

/// The wall clock, in epoch milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTimeProvider;

impl TtlTimeProvider for SystemTimeProvider {
    fn current_timestamp(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to, shared by its clones: for deterministic tests.
#[derive(Debug, Clone, Default)]
pub struct ManualTimeProvider {
    now: Arc<AtomicI64>,
}

impl ManualTimeProvider {
    /// A clock reading `start` milliseconds.
    pub fn new(start: i64) -> Self {
        Self {
            now: Arc::new(AtomicI64::new(start)),
        }
    }

    /// Sets the time.
    pub fn set(&self, millis: i64) {
        self.now.store(millis, Ordering::Relaxed);
    }

    /// Moves the time forward by `millis`.
    pub fn advance(&self, millis: i64) {
        self.now.fetch_add(millis, Ordering::Relaxed);
    }

    /// The current time.
    pub fn now(&self) -> i64 {
        self.now.load(Ordering::Relaxed)
    }
}

impl TtlTimeProvider for ManualTimeProvider {
    fn current_timestamp(&self) -> i64 {
        self.now()
    }
}

/// The TTL rules of one registered state, in the form the access paths use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TtlPolicy {
    /// Time-to-live in milliseconds (at least 1).
    pub(crate) ttl_millis: i64,
    /// Reads refresh timestamps ([`UpdateType::OnReadAndWrite`]).
    pub(crate) update_on_read: bool,
    /// The read that finds an expired entry returns it.
    pub(crate) return_expired: bool,
    /// The incremental cleanup, if any.
    pub(crate) incremental: Option<IncrementalCleanup>,
}

impl TtlPolicy {
    /// The policy of `config`.
    pub(crate) fn of(config: &StateTtlConfig) -> Self {
        Self {
            ttl_millis: config.ttl_millis(),
            update_on_read: config.update_type == UpdateType::OnReadAndWrite,
            return_expired: config.state_visibility == StateVisibility::ReturnExpiredIfNotCleanedUp,
            incremental: config.incremental_cleanup,
        }
    }

    /// Flink's `TtlUtils.expired`: the expiration time (saturating) is not after `now`.
    #[inline]
    pub(crate) fn expired(&self, timestamp: i64, now: i64) -> bool {
        timestamp.saturating_add(self.ttl_millis) <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_defaults_and_validation() {
        let config = StateTtlConfig::builder(Duration::from_secs(1))
            .build()
            .unwrap();
        assert_eq!(config.update_type(), UpdateType::OnCreateAndWrite);
        assert_eq!(
            config.state_visibility(),
            StateVisibility::NeverReturnExpired
        );
        assert_eq!(
            config.incremental_cleanup(),
            Some(IncrementalCleanup::DEFAULT)
        );
        assert_eq!(config.ttl_millis(), 1000);
        let none = StateTtlConfig::builder(Duration::from_secs(1))
            .disable_cleanup_in_background()
            .build()
            .unwrap();
        assert_eq!(none.incremental_cleanup(), None);
        let err = StateTtlConfig::builder(Duration::from_micros(999))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("at least 1 ms"), "{err}");
        let err = StateTtlConfig::builder(Duration::from_secs(1))
            .cleanup_incrementally(0, false)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("cleanup size"), "{err}");
        let policy = TtlPolicy::of(&config);
        assert!(!policy.expired(0, 999));
        assert!(policy.expired(0, 1000));
        assert!(!policy.expired(i64::MAX - 10, i64::MAX - 1));
    }

    #[test]
    fn manual_clock_is_shared_by_clones() {
        let clock = ManualTimeProvider::new(5);
        let other = clock.clone();
        clock.advance(10);
        assert_eq!(other.current_timestamp(), 15);
        other.set(3);
        assert_eq!(clock.now(), 3);
    }
}
