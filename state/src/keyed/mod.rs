//! Keyed state with Flink's semantics, kept on the heap.
//!
//! - [`HeapKeyedStateBackend`] (in `backend`): the keyed state of one operator subtask:
//!   current key and its key group, registration of states by descriptor, key-group-wide
//!   operations, counts and memory estimates.
//! - `descriptor`: [`ValueStateDescriptor`], [`ListStateDescriptor`], [`MapStateDescriptor`],
//!   [`ReducingStateDescriptor`], [`AggregatingStateDescriptor`], [`AggregateFunction`].
//! - State handles with Flink's methods: [`ValueState`] (`value`), [`ListState`] (`list`),
//!   [`MapState`] (`map`), [`ReducingState`] (`reducing`),
//!   [`AggregatingState`] (`aggregating`); `single` holds their shared access paths.
//! - `ttl`: [`StateTtlConfig`] (Flink's TTL: update type, visibility, incremental cleanup) and
//!   the injected [`TtlTimeProvider`].
//! - `views`: [`ListIter`] and [`MapIter`], borrowing iterators over list and map entries.
//! - `size`: [`HeapSize`], how values report heap memory for `state_size_bytes()`, and
//!   [`InlineSized`] for values counted at their inline size only.
//! - `handle`: [`StateId`], [`KeyedStateHandle`] and the bounds on keys, namespaces and
//!   values; `registry`: registration by descriptor.
//! - Internals: `table` (a state's entries per key group, the incremental-cleanup cursor),
//!   `cow` (the key groups behind reference counts, so a snapshot takes them in one step),
//!   `group_map` (one key group's entries: open addressing, entries inline beside hash tags),
//!   `stamp` (values with or without a TTL timestamp), `hasher` ([`StateHasher`]).
//!
//! ```
//! use weir_state::keyed::{HeapKeyedStateBackend, ManualTimeProvider, ValueStateDescriptor};
//! use weir_state::KeyGroupRange;
//!
//! let mut backend: HeapKeyedStateBackend<String> =
//!     HeapKeyedStateBackend::new(KeyGroupRange::of(0, 127), 128, ManualTimeProvider::new(0))?;
//! let count = backend.value_state::<(), u64>(&ValueStateDescriptor::new("count"))?;
//! for word in ["a", "b", "a"] {
//!     backend.set_current_key(word.to_string())?;
//!     let seen = count.value(&mut backend, &())?.unwrap_or(0);
//!     count.update(&mut backend, &(), seen + 1)?;
//! }
//! backend.set_current_key("a".to_string())?;
//! assert_eq!(count.value(&mut backend, &())?, Some(2));
//! # Ok::<(), weir_state::StateError>(())
//! ```

/// Declares a keyed state handle type: a state id plus whether the state stores TTL
/// timestamps, typed by namespace and value types; `Copy` whatever the types.
macro_rules! state_handle {
    ($(#[$meta:meta])* $name:ident < $($param:ident),+ >) => {
        $(#[$meta])*
        pub struct $name<N, $($param),+> {
            id: $crate::keyed::backend::StateId,
            timed: bool,
            _types: std::marker::PhantomData<fn() -> (N, $($param),+)>,
        }

        impl<N, $($param),+> $name<N, $($param),+> {
            fn from_registration(
                (id, timed): ($crate::keyed::backend::StateId, bool),
            ) -> Self {
                Self {
                    id,
                    timed,
                    _types: std::marker::PhantomData,
                }
            }

            /// Whether the state was registered with a TTL.
            pub fn has_ttl(&self) -> bool {
                self.timed
            }
        }

        impl<N, $($param),+> Clone for $name<N, $($param),+> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<N, $($param),+> Copy for $name<N, $($param),+> {}

        impl<N, $($param),+> std::fmt::Debug for $name<N, $($param),+> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("id", &self.id)
                    .field("ttl", &self.timed)
                    .finish()
            }
        }

        impl<N: $crate::keyed::backend::Namespace, $($param),+> $crate::keyed::backend::KeyedStateHandle
            for $name<N, $($param),+>
        {
            type Namespace = N;

            fn state_id(&self) -> $crate::keyed::backend::StateId {
                self.id
            }
        }
    };
}

mod aggregating;
mod backend;
mod cow;
mod descriptor;
mod group_map;
mod handle;
mod hasher;
mod list;
mod map;
mod reducing;
mod registry;
mod single;
mod size;
mod stamp;
pub(crate) mod table;
mod ttl;
mod value;
mod views;

pub use aggregating::AggregatingState;
pub use backend::HeapKeyedStateBackend;
pub use descriptor::{
    AggregateFunction, AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor,
    ReduceFn, ReducingStateDescriptor, StateKind, ValueStateDescriptor,
};
pub use handle::{BackendKey, KeyGroupEntries, KeyedStateHandle, Namespace, StateId, StateValue};
pub use hasher::{BuildStateHasher, StateHasher};
pub use list::ListState;
pub use map::MapState;
pub use reducing::ReducingState;
pub use size::{HeapSize, InlineSized};
pub use ttl::{
    IncrementalCleanup, ManualTimeProvider, StateTtlConfig, StateTtlConfigBuilder, StateVisibility,
    SystemTimeProvider, TtlTimeProvider, UpdateType,
};
pub use value::ValueState;
pub use views::{ListIter, MapIter};

#[cfg(test)]
mod tests;
