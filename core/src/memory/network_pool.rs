//! The TaskManager-wide pool of free segments (Flink's `NetworkBufferPool`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::arena::Arena;
use super::error::MemoryError;
use super::local_pool::LocalBufferPool;

/// Owns the arena's free segments and reserves them, a fixed number at a time,
/// for [`LocalBufferPool`]s.
///
/// Unlike Flink, which lets local pools grow and shrink, Weir fixes a job's
/// network memory at deployment: [`create_local_pool`](Self::create_local_pool)
/// takes all of a pool's segments at once or fails with a message that says
/// which setting to change. The segments come back when the local pool and
/// every buffer taken from it are gone.
pub struct NetworkBufferPool {
    arena: Arc<Arena>,
    /// Indices of the free segments.
    free: Mutex<Vec<u32>>,
}

impl NetworkBufferPool {
    /// A pool owning every segment of `arena`.
    pub fn new(arena: Arc<Arena>) -> Arc<Self> {
        let n = u32::try_from(arena.num_segments()).expect("the arena caps its segment count");
        // Reversed, so that pools popping from the end get low indices first.
        let free = (0..n).rev().collect();
        Arc::new(NetworkBufferPool {
            arena,
            free: Mutex::new(free),
        })
    }

    /// How many segments are not reserved by any local pool.
    pub fn available_segments(&self) -> usize {
        self.lock_free().len()
    }

    /// How many segments the arena holds in all.
    pub fn total_segments(&self) -> usize {
        self.arena.num_segments()
    }

    /// The size of every segment in bytes.
    pub fn segment_size(&self) -> usize {
        self.arena.segment_size()
    }

    /// The arena the segments come from.
    pub fn arena(&self) -> &Arc<Arena> {
        &self.arena
    }

    /// Reserves `capacity` segments for a new bounded pool called `name` (used
    /// in error messages and metrics), or fails without reserving anything.
    pub fn create_local_pool(
        self: &Arc<Self>,
        name: &str,
        capacity: usize,
    ) -> Result<LocalBufferPool, MemoryError> {
        if capacity == 0 {
            return Err(MemoryError::EmptyPool {
                name: name.to_owned(),
            });
        }
        let segments = {
            let mut free = self.lock_free();
            if free.len() < capacity {
                return Err(MemoryError::NotEnoughNetworkMemory {
                    name: name.to_owned(),
                    needs: capacity,
                    segment_size: self.arena.segment_size(),
                    free: free.len(),
                });
            }
            let at = free.len() - capacity;
            free.split_off(at)
        };
        Ok(LocalBufferPool::from_reservation(
            Arc::clone(self),
            name,
            segments.into_boxed_slice(),
        ))
    }

    /// Takes back segments a local pool reserved.
    pub(crate) fn release(&self, segments: &[u32]) {
        let mut free = self.lock_free();
        debug_assert!(
            free.len() + segments.len() <= self.arena.num_segments(),
            "more segments released than the arena has"
        );
        free.extend_from_slice(segments);
    }

    fn lock_free(&self) -> MutexGuard<'_, Vec<u32>> {
        // The critical sections never panic half-way, so a poisoned lock still
        // guards a consistent list.
        self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for NetworkBufferPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkBufferPool")
            .field("segment_size", &self.segment_size())
            .field("total_segments", &self.total_segments())
            .field("available_segments", &self.available_segments())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(segments: usize, size: usize) -> Arc<NetworkBufferPool> {
        NetworkBufferPool::new(Arena::new(segments * size, size).unwrap())
    }

    #[test]
    fn create_local_pool_reserves_its_capacity() {
        let net = pool(10, 256);
        assert_eq!(net.total_segments(), 10);
        assert_eq!(net.available_segments(), 10);
        let a = net.create_local_pool("a", 4).unwrap();
        assert_eq!(net.available_segments(), 6);
        let b = net.create_local_pool("b", 6).unwrap();
        assert_eq!(net.available_segments(), 0);
        assert_eq!(a.capacity() + b.capacity(), 10);
    }

    #[test]
    fn create_local_pool_fails_with_clear_message_when_memory_is_short() {
        let net = pool(8, 4096);
        let _held = net.create_local_pool("held", 5).unwrap();
        let err = net.create_local_pool("Map (2/4) output", 4).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not enough network memory for Map (2/4) output: needs 4 segments of 4096 bytes, \
             3 free; raise taskmanager.memory.network.max or lower \
             taskmanager.network.memory.buffers-per-channel / floating-buffers-per-gate"
        );
        // A failed reservation takes nothing.
        assert_eq!(net.available_segments(), 3);
    }

    #[test]
    fn create_local_pool_rejects_zero_capacity() {
        let net = pool(2, 256);
        let err = net.create_local_pool("empty", 0).unwrap_err();
        assert!(matches!(err, MemoryError::EmptyPool { .. }));
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn segments_return_to_the_network_pool_when_a_pool_is_dropped() {
        let net = pool(6, 256);
        let local = net.create_local_pool("l", 6).unwrap();
        let extra = local.clone();
        let b = local.try_request().unwrap().finish();
        drop(local);
        assert_eq!(net.available_segments(), 0, "a handle is still alive");
        drop(extra);
        assert_eq!(net.available_segments(), 0, "a buffer is still out");
        drop(b);
        assert_eq!(net.available_segments(), 6);
        // And they can be reserved again.
        let again = net.create_local_pool("again", 6).unwrap();
        assert_eq!(again.capacity(), 6);
    }
}
