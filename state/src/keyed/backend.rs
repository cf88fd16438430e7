//! [`HeapKeyedStateBackend`]: the keyed state of one operator subtask, on the heap.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use super::descriptor::StateKind;
pub(crate) use super::handle::{BackendKey, KeyedStateHandle, Namespace, StateId, StateValue};
use super::hasher::StateHasher;
pub(crate) use super::registry::Registration;
use super::table::AnyTable;
use super::ttl::{StateTtlConfig, TtlTimeProvider};
use crate::error::StateError;
use crate::key_group::{assign_key_to_key_group, check_max_parallelism, KeyGroupRange};
use crate::snapshot::keyed::Restored;

/// Distinguishes backends, so that a handle is never used with another backend's tables.
static NEXT_BACKEND_ID: AtomicU32 = AtomicU32::new(1);

/// The current key and what is derived from it once per `set_current_key`.
struct CurrentKey<K> {
    key: K,
    key_group: u32,
    /// Position of the key group in the range.
    group: usize,
    /// Hasher state after hashing the key; namespaces are hashed on top of it.
    hasher: StateHasher,
}

/// One registered state.
pub(crate) struct Registered<K> {
    pub(crate) name: String,
    pub(crate) kind: StateKind,
    pub(crate) types: TypeId,
    pub(crate) description: String,
    pub(crate) ttl: Option<StateTtlConfig>,
    pub(crate) table: Box<dyn AnyTable<K>>,
}

/// A checked access to one state for the current key.
pub(crate) struct Access<'a, K, T> {
    pub(crate) key: &'a K,
    pub(crate) hasher: StateHasher,
    pub(crate) group: usize,
    /// The TTL clock's time, read only for states with TTL (0 otherwise).
    pub(crate) now: i64,
    pub(crate) table: &'a mut T,
}

/// The keyed state of one operator subtask, kept on the heap (Flink's
/// `HeapKeyedStateBackend`). Single-threaded: every access goes through `&mut self`.
///
/// Keys are assigned to key groups exactly as Flink does; the backend owns the key groups of
/// its [`KeyGroupRange`] and stores every state per key group, so that one key group can be
/// iterated, cleared, snapshotted or handed to another subtask on its own. States are
/// registered by descriptor and used through small typed handles
/// ([`ValueState`](super::ValueState), [`ListState`](super::ListState), …) together with
/// the backend, scoped to the current key and a namespace.
pub struct HeapKeyedStateBackend<K> {
    pub(crate) id: u32,
    pub(crate) range: KeyGroupRange,
    max_parallelism: u32,
    clock: Box<dyn TtlTimeProvider>,
    current: Option<CurrentKey<K>>,
    pub(crate) states: Vec<Registered<K>>,
    pub(crate) by_name: HashMap<String, u32>,
    /// States whose incremental cleanup also runs for every record.
    pub(crate) per_record_cleanup: Vec<u32>,
    /// Restored states not registered yet, and restored timers not claimed yet.
    pub(crate) restored: Restored,
}

impl<K> fmt::Debug for HeapKeyedStateBackend<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapKeyedStateBackend")
            .field("key_group_range", &self.range)
            .field("max_parallelism", &self.max_parallelism)
            .field(
                "states",
                &self
                    .states
                    .iter()
                    .map(|s| &s.description)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// A backend owning the key groups `range` out of `max_parallelism`, with `clock` as
    /// TTL time. Errors if `max_parallelism` is invalid or `range` exceeds it.
    pub fn new(
        range: KeyGroupRange,
        max_parallelism: u32,
        clock: impl TtlTimeProvider + 'static,
    ) -> Result<Self, StateError> {
        check_max_parallelism(max_parallelism)?;
        if range
            .end_key_group()
            .is_some_and(|end| end >= max_parallelism)
        {
            return Err(StateError::KeyGroupRangeOutOfBounds {
                range,
                max_parallelism,
            });
        }
        Ok(Self {
            id: NEXT_BACKEND_ID.fetch_add(1, Ordering::Relaxed),
            range,
            max_parallelism,
            clock: Box::new(clock),
            current: None,
            states: Vec::new(),
            by_name: HashMap::new(),
            per_record_cleanup: Vec::new(),
            restored: Restored::default(),
        })
    }

    /// The key groups this backend owns.
    pub fn key_group_range(&self) -> KeyGroupRange {
        self.range
    }

    /// The maximum parallelism (total number of key groups).
    pub fn max_parallelism(&self) -> u32 {
        self.max_parallelism
    }

    /// Sets the key that state accesses are scoped to (Flink's `setCurrentKey`): computes
    /// its key group, and errors (leaving no current key) if this backend does not own it.
    /// Runs one incremental TTL cleanup step for states configured to clean up per record.
    pub fn set_current_key(&mut self, key: K) -> Result<(), StateError> {
        let key_group = assign_key_to_key_group(&key, self.max_parallelism);
        let Some(group) = self.range.index_of(key_group) else {
            self.current = None;
            return Err(StateError::KeyGroupOutOfRange {
                key_group,
                range: self.range,
            });
        };
        let mut hasher = StateHasher::default();
        key.hash(&mut hasher);
        self.current = Some(CurrentKey {
            key,
            key_group,
            group,
            hasher,
        });
        if !self.per_record_cleanup.is_empty() {
            let now = self.clock.current_timestamp();
            for &index in &self.per_record_cleanup {
                if let Some(state) = self.states.get_mut(index as usize) {
                    state.table.cleanup_step(now);
                }
            }
        }
        Ok(())
    }

    /// Hints that `key` is about to become the current key: starts loading its entries of
    /// the states in the void namespace into the cache, so that a keyed operator can issue
    /// the memory loads of the next records' state before processing the current record
    /// (with state far larger than the cache, a read otherwise waits on main memory). Has
    /// no other effect; a key outside the backend's key groups is ignored.
    #[inline]
    pub fn prefetch(&self, key: &K) {
        let key_group = assign_key_to_key_group(key, self.max_parallelism);
        let Some(group) = self.range.index_of(key_group) else {
            return;
        };
        let mut hasher = StateHasher::default();
        key.hash(&mut hasher);
        for state in &self.states {
            state.table.prefetch(group, hasher);
        }
    }

    /// The current key, if one is set.
    pub fn current_key(&self) -> Option<&K> {
        self.current.as_ref().map(|c| &c.key)
    }

    /// The key group of the current key, if one is set.
    pub fn current_key_group(&self) -> Option<u32> {
        self.current.as_ref().map(|c| c.key_group)
    }

    /// The names of the registered states, in registration order.
    pub fn state_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.states.iter().map(|s| s.name.as_str())
    }

    /// The keys that have an entry in `namespace` of `state` (Flink's `getKeys`). Entries
    /// expired under TTL but not yet cleaned up are included.
    pub fn keys<'a, H: KeyedStateHandle>(
        &'a self,
        state: &H,
        namespace: &'a H::Namespace,
    ) -> Result<impl Iterator<Item = &'a K> + 'a, StateError> {
        let registered = self.registered(state.state_id())?;
        registered
            .table
            .keys(namespace)
            .ok_or_else(|| Self::foreign(state.state_id(), &registered.name))
    }

    /// Drops every entry of `key_group`, in all states.
    pub fn clear_key_group(&mut self, key_group: u32) -> Result<(), StateError> {
        let group = self.group_position(key_group)?;
        for state in &mut self.states {
            state.table.clear_group(group);
        }
        Ok(())
    }

    /// Drops every entry of `key_group` in `state`.
    pub fn clear_state_key_group<H: KeyedStateHandle>(
        &mut self,
        state: &H,
        key_group: u32,
    ) -> Result<(), StateError> {
        let group = self.group_position(key_group)?;
        self.registered_mut(state.state_id())?
            .table
            .clear_group(group);
        Ok(())
    }

    /// Number of (key, namespace) entries over all states.
    pub fn key_count(&self) -> usize {
        self.states.iter().map(|s| s.table.entry_count()).sum()
    }

    /// Number of (key, namespace) entries of `state` (Flink's `numKeyValueStateEntries`).
    pub fn state_key_count<H: KeyedStateHandle>(&self, state: &H) -> Result<usize, StateError> {
        Ok(self.registered(state.state_id())?.table.entry_count())
    }

    /// Number of (key, namespace) entries of `state` in `key_group`.
    pub fn state_key_count_in_key_group<H: KeyedStateHandle>(
        &self,
        state: &H,
        key_group: u32,
    ) -> Result<usize, StateError> {
        let group = self.group_position(key_group)?;
        Ok(self
            .registered(state.state_id())?
            .table
            .group_entry_count(group))
    }

    /// Estimated bytes of memory held by all states.
    ///
    /// Per state: its table structure; per key group, the allocated capacity of its entry
    /// vector times `size_of::<((K, N), S)>()` plus 8 bytes per hash-index slot (see the
    /// `group_map` module), where `S` is the stored value — `V` itself without TTL, `V` and
    /// an `i64` timestamp with TTL, a `Vec` for list state, a `HashMap` for map state. Then,
    /// per entry, the heap
    /// memory the stored value owns: a list's `capacity × size_of` element (with its
    /// timestamp under TTL), a map's hash table (`std`'s buckets at 7/8 load, one control byte
    /// each) and, through [`HeapSize`](super::HeapSize), what the user values own (a `String`'s capacity, …).
    /// Not counted: heap memory owned by keys and namespaces themselves, the registry of
    /// states, and the allocator's own overhead.
    pub fn state_size_bytes(&self) -> usize {
        self.states.iter().map(|s| s.table.size_bytes()).sum()
    }

    /// Estimated bytes of memory held by `state` (see [`Self::state_size_bytes`]).
    pub fn state_size_bytes_of<H: KeyedStateHandle>(&self, state: &H) -> Result<usize, StateError> {
        Ok(self.registered(state.state_id())?.table.size_bytes())
    }

    /// The table of state `id` for the current key, downcast to `T`; reads the TTL clock if
    /// `timed`.
    #[inline]
    pub(crate) fn access<T: 'static>(
        &mut self,
        id: StateId,
        timed: bool,
    ) -> Result<Access<'_, K, T>, StateError> {
        let state = match self.states.get_mut(id.index as usize) {
            Some(state) if id.backend == self.id => state,
            _ => return Err(Self::foreign(id, "unknown state")),
        };
        let Some(current) = &self.current else {
            return Err(StateError::NoCurrentKey {
                state: state.name.clone(),
            });
        };
        let now = if timed {
            self.clock.current_timestamp()
        } else {
            0
        };
        let Registered { name, table, .. } = state;
        let table = table
            .as_any_mut()
            .downcast_mut::<T>()
            .ok_or_else(|| Self::foreign(id, name))?;
        Ok(Access {
            key: &current.key,
            hasher: current.hasher,
            group: current.group,
            now,
            table,
        })
    }

    /// The table of state `id`, downcast to `T`, for key-group-wide reads.
    pub(crate) fn table<T: 'static>(&self, id: StateId) -> Result<&T, StateError> {
        let state = self.registered(id)?;
        state
            .table
            .as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| Self::foreign(id, &state.name))
    }

    /// The position of `key_group` in the range, or an error naming both.
    pub(crate) fn group_position(&self, key_group: u32) -> Result<usize, StateError> {
        self.range
            .index_of(key_group)
            .ok_or(StateError::KeyGroupOutOfRange {
                key_group,
                range: self.range,
            })
    }

    fn registered(&self, id: StateId) -> Result<&Registered<K>, StateError> {
        match self.states.get(id.index as usize) {
            Some(state) if id.backend == self.id => Ok(state),
            _ => Err(Self::foreign(id, "unknown state")),
        }
    }

    fn registered_mut(&mut self, id: StateId) -> Result<&mut Registered<K>, StateError> {
        match self.states.get_mut(id.index as usize) {
            Some(state) if id.backend == self.id => Ok(state),
            _ => Err(Self::foreign(id, "unknown state")),
        }
    }

    pub(crate) fn foreign(id: StateId, name: &str) -> StateError {
        StateError::ForeignStateHandle {
            index: id.index,
            state: name.to_owned(),
        }
    }
}
