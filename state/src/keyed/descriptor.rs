//! State descriptors (Flink's `StateDescriptor`s): a state's name, kind, value types,
//! optional TTL and, for reducing and aggregating state, its function.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::ttl::StateTtlConfig;

/// The kinds of keyed state (Flink's `StateDescriptor.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateKind {
    /// [`ValueState`](super::ValueState).
    Value,
    /// [`ListState`](super::ListState).
    List,
    /// [`MapState`](super::MapState).
    Map,
    /// [`ReducingState`](super::ReducingState).
    Reducing,
    /// [`AggregatingState`](super::AggregatingState).
    Aggregating,
}

impl fmt::Display for StateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateKind::Value => "ValueState",
            StateKind::List => "ListState",
            StateKind::Map => "MapState",
            StateKind::Reducing => "ReducingState",
            StateKind::Aggregating => "AggregatingState",
        })
    }
}

/// Flink's `AggregateFunction`: folds inputs into an accumulator and derives a result.
///
/// Unlike Flink's `ACC add(IN, ACC)`, [`AggregateFunction::add`] updates the accumulator in
/// place, which saves a move per element.
pub trait AggregateFunction<IN, ACC, OUT>: Send + Sync {
    /// A new, empty accumulator.
    fn create_accumulator(&self) -> ACC;
    /// Adds `value` to `accumulator`.
    fn add(&self, value: IN, accumulator: &mut ACC);
    /// The result for `accumulator`.
    fn get_result(&self, accumulator: &ACC) -> OUT;
    /// Merges two accumulators into one (used when namespaces are merged).
    fn merge(&self, a: ACC, b: ACC) -> ACC;
}

/// The reduce function of a reducing state: `(accumulated, new) -> accumulated`.
pub type ReduceFn<V> = Arc<dyn Fn(&V, V) -> V + Send + Sync>;

/// The name and TTL shared by every descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Common {
    name: String,
    ttl: Option<StateTtlConfig>,
}

macro_rules! common_accessors {
    () => {
        /// The state's name, unique within a backend.
        pub fn name(&self) -> &str {
            &self.common.name
        }

        /// The TTL configuration, if TTL is enabled.
        pub fn ttl_config(&self) -> Option<&StateTtlConfig> {
            self.common.ttl.as_ref()
        }

        /// Enables time-to-live for the state (Flink's `enableTimeToLive`).
        pub fn enable_time_to_live(mut self, ttl: StateTtlConfig) -> Self {
            self.common.ttl = Some(ttl);
            self
        }
    };
}

/// Describes a [`ValueState`](super::ValueState) holding one `V` per key and namespace.
pub struct ValueStateDescriptor<V> {
    common: Common,
    _value: PhantomData<fn() -> V>,
}

impl<V> ValueStateDescriptor<V> {
    /// A value state named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            common: Common {
                name: name.into(),
                ttl: None,
            },
            _value: PhantomData,
        }
    }

    common_accessors!();
}

/// Describes a [`ListState`](super::ListState) of `T` elements.
pub struct ListStateDescriptor<T> {
    common: Common,
    _element: PhantomData<fn() -> T>,
}

impl<T> ListStateDescriptor<T> {
    /// A list state named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            common: Common {
                name: name.into(),
                ttl: None,
            },
            _element: PhantomData,
        }
    }

    common_accessors!();
}

/// Describes a [`MapState`](super::MapState) from `UK` to `UV`.
pub struct MapStateDescriptor<UK, UV> {
    common: Common,
    _entry: PhantomData<fn() -> (UK, UV)>,
}

impl<UK, UV> MapStateDescriptor<UK, UV> {
    /// A map state named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            common: Common {
                name: name.into(),
                ttl: None,
            },
            _entry: PhantomData,
        }
    }

    common_accessors!();
}

/// Describes a [`ReducingState`](super::ReducingState) combining `V`s with a reduce function.
pub struct ReducingStateDescriptor<V> {
    common: Common,
    pub(crate) reduce: ReduceFn<V>,
}

impl<V> ReducingStateDescriptor<V> {
    /// A reducing state named `name`; `reduce(accumulated, new)` returns the new
    /// accumulated value.
    pub fn new(
        name: impl Into<String>,
        reduce: impl Fn(&V, V) -> V + Send + Sync + 'static,
    ) -> Self {
        Self {
            common: Common {
                name: name.into(),
                ttl: None,
            },
            reduce: Arc::new(reduce),
        }
    }

    common_accessors!();
}

/// Describes an [`AggregatingState`](super::AggregatingState) folding `IN`s into an `ACC`
/// accumulator that yields an `OUT`.
pub struct AggregatingStateDescriptor<IN, ACC, OUT> {
    common: Common,
    pub(crate) function: Arc<dyn AggregateFunction<IN, ACC, OUT>>,
}

impl<IN, ACC, OUT> AggregatingStateDescriptor<IN, ACC, OUT> {
    /// An aggregating state named `name` using `function`.
    pub fn new(
        name: impl Into<String>,
        function: impl AggregateFunction<IN, ACC, OUT> + 'static,
    ) -> Self {
        Self {
            common: Common {
                name: name.into(),
                ttl: None,
            },
            function: Arc::new(function),
        }
    }

    common_accessors!();
}

/// Describes a state for error messages, e.g. `ValueState<namespace (), value u64>`.
pub(crate) fn describe(kind: StateKind, namespace: &str, types: &[(&str, &str)]) -> String {
    let mut out = format!("{kind}<namespace {namespace}");
    for (role, ty) in types {
        out.push_str(", ");
        out.push_str(role);
        out.push(' ');
        out.push_str(ty);
    }
    out.push('>');
    out
}
