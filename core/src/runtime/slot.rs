//! Slots: one glommio executor per slot, pinned to its core. glommio is used only here
//! and in the task loop's waiting primitives below, so the executor could be replaced.

use std::future::Future;
use std::sync::Arc;

use super::watchdog;
use std::time::Duration;

/// How slots are started.
#[derive(Debug, Clone)]
pub struct SlotSettings {
    /// Number of slots (`taskmanager.numberOfTaskSlots`).
    pub slots: usize,
    /// Pin each slot to a core (`weir.slot.pinning`).
    pub pinning: bool,
    /// io_uring buffer memory per slot, from locked memory (`weir.slot.io-memory`).
    pub io_memory: usize,
    /// How long an idle slot spins before it parks (`weir.slot.spin-before-park`).
    pub spin_before_park: Duration,
}

/// Why slots could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// The locked-memory limit is below what the slots' io_uring memory needs.
    #[error("{slots} slots need {needed_kib} KiB of locked memory for io_uring (weir.slot.io-memory = {per_slot_kib} KiB each) but `ulimit -l` allows {limit_kib} KiB; lower weir.slot.io-memory or taskmanager.numberOfTaskSlots, or raise the limit")]
    MemLock {
        /// Slots requested.
        slots: usize,
        /// Bytes needed, in KiB.
        needed_kib: u64,
        /// Per slot, in KiB.
        per_slot_kib: u64,
        /// The soft RLIMIT_MEMLOCK, in KiB.
        limit_kib: u64,
    },
    /// glommio could not start the executor (pinning or ring set-up failed).
    #[error("slot {slot}: could not start its executor{pin}: {reason}; {hint}")]
    Start {
        /// The slot.
        slot: usize,
        /// " pinned to CPU n", when pinning.
        pin: String,
        /// glommio's error.
        reason: String,
        /// What to change.
        hint: &'static str,
    },
    /// A slot's thread panicked.
    #[error("slot {0} panicked")]
    Panicked(usize),
    /// The thread that keeps slots from hanging (see [`watchdog`]) failed.
    #[error("{0}")]
    Watchdog(String),
}

fn memlock_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and reads nothing else.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut lim) };
    (rc == 0 && lim.rlim_cur != libc::RLIM_INFINITY).then_some(lim.rlim_cur)
}

/// Checks the slots' io_uring memory against the locked-memory limit.
pub fn check_memlock(settings: &SlotSettings) -> Result<(), SlotError> {
    let needed = settings.slots as u64 * settings.io_memory as u64;
    match memlock_limit() {
        Some(limit) if needed > limit => Err(SlotError::MemLock {
            slots: settings.slots,
            needed_kib: needed / 1024,
            per_slot_kib: settings.io_memory as u64 / 1024,
            limit_kib: limit / 1024,
        }),
        _ => Ok(()),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Runs one future per slot, each on its own executor, and waits for all of them.
/// `work(slot)` is called on the calling thread and must return the slot's job.
pub fn run_on_slots<R, G, F>(
    settings: &SlotSettings,
    mut work: impl FnMut(usize) -> G,
) -> Result<Vec<R>, SlotError>
where
    G: FnOnce() -> F + Send + 'static,
    F: Future<Output = R> + 'static,
    R: Send + 'static,
{
    check_memlock(settings)?;
    let mut handles = Vec::with_capacity(settings.slots);
    let mut nudges = Vec::with_capacity(settings.slots);
    let mut starts = Vec::with_capacity(settings.slots);
    for slot in 0..settings.slots {
        let cpu = slot % cores();
        let placement = if settings.pinning {
            glommio::Placement::Fixed(cpu)
        } else {
            glommio::Placement::Unbound
        };
        let builder = glommio::LocalExecutorBuilder::new(placement)
            .name(&format!("weir-slot-{slot}"))
            .io_memory(settings.io_memory)
            .ring_depth(64)
            .preempt_timer(Duration::from_millis(1))
            .spin_before_park(settings.spin_before_park);
        let make = work(slot);
        let nudge = Arc::new(watchdog::Nudge::default());
        nudges.push(nudge.clone());
        // Our own thread, so that the watchdog knows it before the executor runs at all;
        // the executor is made on it, reports, and runs only once every slot is up.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<bool>();
        let thread = std::thread::Builder::new()
            .name(format!("weir-slot-{slot}"))
            .spawn(move || -> Option<R> {
                nudge.attach_current_thread();
                let executor = match builder.make() {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return None;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                if go_rx.recv() != Ok(true) {
                    return None;
                }
                Some(executor.run(watchdog::with_nudge(make(), nudge)))
            })
            .map_err(|e| start_error(settings, slot, cpu, e.to_string()))?;
        handles.push(thread);
        starts.push((ready_rx, go_tx, cpu));
    }
    let mut failed = None;
    for (slot, (ready, _, cpu)) in starts.iter().enumerate() {
        let outcome = ready
            .recv()
            .unwrap_or_else(|_| Err("the slot thread ended early".into()));
        if let (Err(reason), None) = (outcome, &failed) {
            failed = Some(start_error(settings, slot, *cpu, reason));
        }
    }
    for (_, go, _) in &starts {
        let _ = go.send(failed.is_none());
    }
    if let Some(err) = failed {
        for h in handles {
            let _ = h.join();
        }
        return Err(err);
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Without the watchdog a slot could hang for good (see HEARTBEAT): if its thread
    // cannot start, the slots still run, and the error is reported once they end.
    let dog = watchdog::start(nudges, done.clone());
    let mut out = Vec::with_capacity(handles.len());
    let mut panicked = None;
    for (slot, h) in handles.into_iter().enumerate() {
        match h.join() {
            Ok(Some(r)) => out.push(r),
            Ok(None) | Err(_) => panicked = panicked.or(Some(slot)),
        }
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    let dog = match dog {
        Ok(handle) => {
            handle.thread().unpark();
            handle
                .join()
                .map_err(|_| "the watchdog thread panicked".to_string())
        }
        Err(e) => Err(format!("cannot start the slot watchdog thread: {e}")),
    };
    match (panicked, dog) {
        (Some(slot), _) => Err(SlotError::Panicked(slot)),
        (None, Err(reason)) => Err(SlotError::Watchdog(reason)),
        (None, Ok(())) => Ok(out),
    }
}

fn start_error(settings: &SlotSettings, slot: usize, cpu: usize, reason: String) -> SlotError {
    SlotError::Start {
        slot,
        pin: if settings.pinning {
            format!(" pinned to CPU {cpu}")
        } else {
            String::new()
        },
        reason,
        hint: if settings.pinning {
            "set weir.slot.pinning = false, or lower taskmanager.numberOfTaskSlots / weir.slot.io-memory"
        } else {
            "lower weir.slot.io-memory or raise `ulimit -l`"
        },
    }
}

/// Spawns a task on the current slot's executor; await the handle for its result.
pub fn spawn_task<T: 'static>(fut: impl Future<Output = T> + 'static) -> impl Future<Output = T> {
    glommio::spawn_local(fut)
}

/// Sleeps on the current slot's executor.
pub async fn sleep(d: Duration) {
    glommio::timer::sleep(d).await
}

/// Lets other tasks of this slot run if this one has used its share of the core.
pub async fn yield_if_needed() {
    glommio::yield_if_needed().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(slots: usize) -> SlotSettings {
        SlotSettings {
            slots,
            pinning: false,
            io_memory: 256 * 1024,
            spin_before_park: Duration::ZERO,
        }
    }

    #[test]
    fn slots_run_their_work_and_end_despite_the_heartbeat() {
        let out = run_on_slots(&settings(2), |slot| {
            move || async move {
                // Longer than several heartbeats: the work, not the heartbeat, ends the slot.
                sleep(watchdog::HEARTBEAT * 5).await;
                slot * 10
            }
        })
        .unwrap();
        assert_eq!(out, vec![0, 10]);
    }

    #[test]
    fn a_memlock_shortfall_is_refused_before_any_executor_starts() {
        let too_much = SlotSettings {
            slots: 1,
            pinning: false,
            io_memory: usize::MAX / 2,
            spin_before_park: Duration::ZERO,
        };
        let result = check_memlock(&too_much);
        match memlock_limit() {
            Some(_) => {
                let err = result.expect_err("far above any finite limit");
                assert!(matches!(err, SlotError::MemLock { .. }), "{err}");
                assert!(err.to_string().contains("weir.slot.io-memory"), "{err}");
            }
            None => assert!(result.is_ok(), "no limit: nothing to refuse"),
        }
    }
}
