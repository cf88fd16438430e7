//! Savepoints asked for while a job runs (REST `POST /jobs/:id/savepoints` and `/stop`):
//! the requests wait here until the coordinator's thread takes them, and their outcome
//! stays here for the asynchronous status query (Flink's triggered operations).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;

/// One savepoint asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavepointRequest {
    /// The request id the caller polls with (32 hex digits).
    pub id: String,
    /// Where the savepoint goes (a new directory under it); else `state.savepoints.dir`.
    pub target: Option<PathBuf>,
    /// Stop the job once the savepoint is complete (`weir stop`).
    pub stop: bool,
}

/// Where a savepoint request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavepointStatus {
    /// Waiting or being taken.
    InProgress,
    /// Complete, at this directory.
    Completed(PathBuf),
    /// Failed, with the reason.
    Failed(String),
}

#[derive(Debug, Default)]
struct Inner {
    /// Whether a coordinator takes requests (a job with checkpointing, running).
    accepting: bool,
    queue: VecDeque<SavepointRequest>,
    status: HashMap<String, SavepointStatus>,
    next: u64,
    /// Requests that ended and whose outcome nobody has asked for yet.
    unread: usize,
    /// Ended requests whose outcome was asked for.
    read: std::collections::HashSet<String>,
}

/// The savepoint requests of one job, shared by its control and its coordinator's thread.
#[derive(Debug, Default)]
pub struct SavepointRequests {
    inner: Mutex<Inner>,
}

impl SavepointRequests {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a savepoint; its request id, or why none can be taken now.
    pub fn request(&self, target: Option<PathBuf>, stop: bool) -> Result<String, String> {
        let mut inner = self.lock();
        if !inner.accepting {
            return Err(
                "the job takes no savepoint now: savepoints need checkpointing \
                        (execution.checkpointing.interval and state.checkpoints.dir) and a \
                        running job"
                    .into(),
            );
        }
        inner.next += 1;
        let id = format!(
            "{:032x}",
            (u128::from(std::process::id()) << 64) | u128::from(inner.next)
        );
        inner.status.insert(id.clone(), SavepointStatus::InProgress);
        inner.queue.push_back(SavepointRequest {
            id: id.clone(),
            target,
            stop,
        });
        Ok(id)
    }

    /// The status of request `id`, if there is such a request (an ended one counts as
    /// read from then on).
    pub fn status(&self, id: &str) -> Option<SavepointStatus> {
        let mut inner = self.lock();
        let status = inner.status.get(id).cloned();
        let ended = status
            .as_ref()
            .is_some_and(|s| *s != SavepointStatus::InProgress);
        if ended && inner.read.insert(id.to_owned()) {
            inner.unread = inner.unread.saturating_sub(1);
        }
        status
    }

    /// How many requests ended without their outcome asked for (a stopped job's endpoint
    /// waits for the caller to learn where its savepoint went).
    pub fn unread(&self) -> usize {
        self.lock().unread
    }

    /// A coordinator starts (`true`) or stops (`false`) taking requests; when it stops,
    /// the requests it has not taken fail.
    pub fn set_accepting(&self, accepting: bool) {
        let mut inner = self.lock();
        inner.accepting = accepting;
        if !accepting {
            let left: Vec<SavepointRequest> = inner.queue.drain(..).collect();
            for r in left {
                inner.unread += 1;
                inner.status.insert(
                    r.id,
                    SavepointStatus::Failed("the job ended before the savepoint started".into()),
                );
            }
        }
    }

    /// The requests not taken yet.
    pub fn take(&self) -> Vec<SavepointRequest> {
        self.lock().queue.drain(..).collect()
    }

    /// Records how request `id` ended.
    pub fn finish(&self, id: &str, status: SavepointStatus) {
        let mut inner = self.lock();
        inner.unread += 1;
        inner.status.insert(id.to_owned(), status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_wait_for_a_coordinator_and_keep_their_outcome() {
        let r = SavepointRequests::default();
        assert!(r
            .request(None, false)
            .unwrap_err()
            .contains("checkpointing"));
        r.set_accepting(true);
        let a = r.request(Some("/sp".into()), false).unwrap();
        let b = r.request(None, true).unwrap();
        assert_ne!(a, b);
        assert_eq!(r.status(&a), Some(SavepointStatus::InProgress));
        let taken = r.take();
        assert_eq!(taken.len(), 2);
        assert!(taken[1].stop && taken[0].target.is_some());
        r.finish(&a, SavepointStatus::Completed("/sp/savepoint-1".into()));
        assert_eq!(
            r.status(&a),
            Some(SavepointStatus::Completed("/sp/savepoint-1".into()))
        );
        let c = r.request(None, false).unwrap();
        r.set_accepting(false);
        assert!(matches!(r.status(&c), Some(SavepointStatus::Failed(_))));
        assert_eq!(r.status("nope"), None);
    }
}
