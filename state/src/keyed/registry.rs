//! Registration of states by descriptor: a name is registered once; registering it again
//! returns the same state if kind, types and TTL agree, and is an error naming the state
//! otherwise.

use std::any::TypeId;

use super::backend::{BackendKey, HeapKeyedStateBackend, Registered, StateId};
use super::descriptor::StateKind;
use super::table::AnyTable;
use super::ttl::{StateTtlConfig, TtlPolicy};
use crate::error::StateError;

/// What a registration asks for.
pub(crate) struct Registration<'a> {
    pub(crate) name: &'a str,
    pub(crate) kind: StateKind,
    /// Identifies the namespace and value types (not the TTL representation).
    pub(crate) types: TypeId,
    pub(crate) description: String,
    pub(crate) ttl: Option<&'a StateTtlConfig>,
}

impl<K: BackendKey> HeapKeyedStateBackend<K> {
    /// Registers a state or returns the one registered under the same name, checking that
    /// kind, types and TTL agree. Returns its id and whether it stores TTL timestamps.
    pub(crate) fn register(
        &mut self,
        registration: Registration<'_>,
        make: impl FnOnce(usize, Option<TtlPolicy>) -> Box<dyn AnyTable<K>>,
    ) -> Result<(StateId, bool), StateError> {
        let ttl = registration.ttl.copied();
        if let Some(&index) = self.by_name.get(registration.name) {
            let existing = self.states.get(index as usize).ok_or_else(|| {
                HeapKeyedStateBackend::<K>::foreign(
                    StateId {
                        backend: self.id,
                        index,
                    },
                    registration.name,
                )
            })?;
            let conflict = |registered: String, requested: String| StateError::StateConflict {
                state: registration.name.to_owned(),
                registered,
                requested,
            };
            if existing.kind != registration.kind || existing.types != registration.types {
                return Err(conflict(
                    existing.description.clone(),
                    registration.description,
                ));
            }
            if existing.ttl != ttl {
                return Err(conflict(
                    format!("{} with TTL {:?}", existing.description, existing.ttl),
                    format!("{} with TTL {:?}", registration.description, ttl),
                ));
            }
            return Ok((
                StateId {
                    backend: self.id,
                    index,
                },
                ttl.is_some(),
            ));
        }
        let index = u32::try_from(self.states.len()).map_err(|_| StateError::StateConflict {
            state: registration.name.to_owned(),
            registered: "one of too many states".into(),
            requested: registration.description.clone(),
        })?;
        let groups = self.range.number_of_key_groups() as usize;
        let policy = ttl.as_ref().map(TtlPolicy::of);
        // Entries restored from a snapshot for this name go in before the state is used.
        let mut table = make(groups, policy);
        self.fill_restored(
            registration.name,
            registration.kind,
            ttl.is_some(),
            &registration.description,
            table.as_mut(),
        )?;
        if policy
            .and_then(|p| p.incremental)
            .is_some_and(|i| i.run_cleanup_for_every_record)
        {
            self.per_record_cleanup.push(index);
        }
        self.states.push(Registered {
            name: registration.name.to_owned(),
            kind: registration.kind,
            types: registration.types,
            description: registration.description,
            ttl,
            table,
        });
        self.by_name.insert(registration.name.to_owned(), index);
        Ok((
            StateId {
                backend: self.id,
                index,
            },
            policy.is_some(),
        ))
    }
}
