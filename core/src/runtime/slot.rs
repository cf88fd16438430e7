//! Slots: one glommio executor per slot, pinned to its core. glommio is used only here
//! and in the task loop's waiting primitives below, so the executor could be replaced.

use std::future::Future;
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
        let handle = builder.spawn(work(slot)).map_err(|e| SlotError::Start {
            slot,
            pin: if settings.pinning { format!(" pinned to CPU {cpu}") } else { String::new() },
            reason: e.to_string(),
            hint: if settings.pinning {
                "set weir.slot.pinning = false, or lower taskmanager.numberOfTaskSlots / weir.slot.io-memory"
            } else {
                "lower weir.slot.io-memory or raise `ulimit -l`"
            },
        })?;
        handles.push(handle);
    }
    let mut out = Vec::with_capacity(handles.len());
    for (slot, h) in handles.into_iter().enumerate() {
        out.push(h.join().map_err(|_| SlotError::Panicked(slot))?);
    }
    Ok(out)
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
