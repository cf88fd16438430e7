//! Type erasure between the typed API and the untyped graphs: a node carries an
//! [`OperatorFactory`] that builds its operator inside the slot, and each stream type
//! carries [`TypeOps`] that build the typed pieces around it (fan-outs, record writers,
//! input readers). Downcasts happen once, when a task is built — never per record.

use std::any::Any;

use crate::operator::process::SideOutputs;
use crate::operator::OperatorError;
use crate::runtime::clock::SharedClock;
use crate::runtime::source::SourceDriver;

/// What an operator knows about where it runs.
#[derive(Clone)]
pub struct BuildContext {
    /// The operator's name.
    pub name: String,
    /// This subtask's index.
    pub subtask: usize,
    /// The operator's parallelism.
    pub parallelism: usize,
    /// The operator's max parallelism (number of key groups).
    pub max_parallelism: usize,
    /// The task clock.
    pub clock: SharedClock,
    /// The task's processing-time timers.
    pub timers: crate::runtime::timers::ProcessingTimeService,
    /// Where operators with keyed state report its size.
    pub state_sizes: crate::runtime::metrics::StateSizes,
    /// The operator's state id: its `uid`, or one generated from its place in the graph.
    pub uid: String,
    /// What this subtask restores, when the job starts from a checkpoint or savepoint
    /// holding state for `uid`.
    pub restore: Option<std::sync::Arc<crate::operator::checkpoint::OperatorRestore>>,
    /// Whether the job takes checkpoints (exactly-once sinks then commit on them).
    pub checkpointing: bool,
}

impl BuildContext {
    /// A heap keyed state backend over this subtask's key groups (Flink's assignment
    /// of key-group ranges to operator indices), with the slot's wall clock as TTL time,
    /// holding the restored keyed state if there is any (timers are claimed separately).
    pub fn keyed_state_backend<K: weir_state::keyed::BackendKey>(
        &self,
    ) -> Result<weir_state::HeapKeyedStateBackend<K>, OperatorError> {
        let max = u32::try_from(self.max_parallelism).unwrap_or(u32::MAX);
        let parallelism = u32::try_from(self.parallelism).unwrap_or(u32::MAX);
        let subtask = u32::try_from(self.subtask).unwrap_or(u32::MAX);
        let range = weir_state::key_group::compute_key_group_range_for_operator_index(
            max,
            parallelism,
            subtask,
        );
        let clock = self.clock.clone();
        let mut backend =
            weir_state::HeapKeyedStateBackend::new(range, max, move || clock.epoch_millis())?;
        if let Some(restore) = self.restore.as_ref().filter(|r| !r.keyed.is_empty()) {
            backend.restore(&restore.keyed_streams()).map_err(|e| {
                OperatorError::User(format!(
                    "operator '{}' (uid '{}'): restoring keyed state: {e}",
                    self.name, self.uid
                ))
            })?;
        }
        Ok(backend)
    }

    /// A context for unit tests: operator `name` (also its uid), subtask `subtask` of
    /// `parallelism`, 128 key groups, a manual clock, restoring `restore` if any.
    #[cfg(test)]
    pub(crate) fn for_tests(
        name: &str,
        subtask: usize,
        parallelism: usize,
        restore: Option<crate::operator::checkpoint::OperatorRestore>,
    ) -> Self {
        let clock: SharedClock = crate::runtime::clock::ManualClock::new(0);
        Self {
            name: name.into(),
            subtask,
            parallelism,
            max_parallelism: 128,
            clock: clock.clone(),
            timers: crate::runtime::timers::ProcessingTimeService::new(clock),
            state_sizes: Default::default(),
            uid: name.into(),
            restore: restore.map(std::sync::Arc::new),
            checkpointing: true,
        }
    }

    /// The operator state of every old subtask (union), when restoring.
    pub fn restored_operator_state(&self) -> Vec<&[u8]> {
        self.restore
            .as_ref()
            .map(|r| r.operator.iter().map(Vec::as_slice).collect())
            .unwrap_or_default()
    }
}

/// What a factory builds.
pub enum Built {
    /// A source with its downstream, ready to run.
    Source(Box<dyn SourceDriver>),
    /// An operator or sink: a `BoxOutput<In>` boxed as `Any`.
    Operator(Box<dyn Any>),
    /// An operator that reads its inputs itself (a two-input operator, always the head
    /// of its task).
    Input(Box<dyn crate::runtime::input::ErasedInput>),
}

/// Builds one subtask's instance of a node.
pub trait OperatorFactory: Send + Sync + 'static {
    /// Builds the operator. `main` is its downstream (a `BoxOutput<Out>` boxed as
    /// `Any`; unused by sinks), `side` its side outputs.
    fn build(
        &self,
        ctx: &BuildContext,
        main: Box<dyn Any>,
        side: SideOutputs,
    ) -> Result<Built, OperatorError>;
}

impl<F> OperatorFactory for F
where
    F: Fn(&BuildContext, Box<dyn Any>, SideOutputs) -> Result<Built, OperatorError>
        + Send
        + Sync
        + 'static,
{
    fn build(
        &self,
        ctx: &BuildContext,
        main: Box<dyn Any>,
        side: SideOutputs,
    ) -> Result<Built, OperatorError> {
        self(ctx, main, side)
    }
}

/// Takes the typed downstream out of an erased box.
pub fn downcast_output<T: crate::record::Data>(
    main: Box<dyn Any>,
    name: &str,
) -> Result<crate::operator::BoxOutput<T>, OperatorError> {
    main.downcast::<crate::operator::BoxOutput<T>>()
        .map(|b| *b)
        .map_err(|_| {
            OperatorError::User(format!(
                "operator '{name}': downstream expects another record type than {}",
                std::any::type_name::<T>()
            ))
        })
}

pub use crate::runtime::typed::TypeOps;
