//! What a window keeps of its elements, in keyed state with the window as namespace:
//! an accumulator (reduce and aggregate functions: one update per element), every element
//! (process functions), or every element with its timestamp (windows with an evictor,
//! whose reduce or aggregate function then runs when the window fires).

use std::marker::PhantomData;
use std::sync::Arc;

use weir_state::keyed::{
    AggregateFunction, AggregatingState, AggregatingStateDescriptor, BackendKey, InlineSized,
    ListState, ListStateDescriptor,
};
use weir_state::HeapKeyedStateBackend;

use super::evictors::{Evictor, TimestampedValue};
use super::windows::Window;
use crate::operator::{OpResult, OperatorError};

/// How a window operator keeps the elements of a window of `W`s and what it hands the
/// window function when the window fires.
pub trait WindowContents<K, T, W>: Clone + Send + Sync + 'static {
    /// What the window function receives, as a list.
    type Out: Send + 'static;
    /// Registers the state, once per subtask.
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult;
    /// Adds an element (with its timestamp) to `window`.
    fn add(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        window: &W,
        value: T,
        timestamp: i64,
    ) -> OpResult;
    /// What `window` holds for the window function; `None` if it holds nothing.
    fn get(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        window: &W,
    ) -> Result<Option<Vec<Self::Out>>, OperatorError>;
    /// Drops what `window` holds.
    fn clear(&self, state: &mut HeapKeyedStateBackend<K>, window: &W) -> OpResult;
    /// Moves what the `sources` hold into `target` (merging windows).
    fn merge(&self, state: &mut HeapKeyedStateBackend<K>, target: &W, sources: &[W]) -> OpResult;
    /// Whether [`WindowContents::get_combined`] works: the contents of slices combine into
    /// those of a window.
    fn combines(&self) -> bool {
        false
    }
    /// What the union of `windows` holds, leaving them unchanged, and for each whether it
    /// holds anything (for sliced windows); `None` if none holds anything.
    fn get_combined(
        &self,
        _state: &mut HeapKeyedStateBackend<K>,
        _windows: &[W],
        _present: &mut Vec<bool>,
    ) -> Result<Option<Vec<Self::Out>>, OperatorError> {
        Err(OperatorError::User(
            "these window contents cannot be combined from slices".into(),
        ))
    }
}

fn unopened() -> OperatorError {
    OperatorError::User("window state used before open".into())
}

/// An aggregate function over accumulators kept as [`InlineSized`] values.
struct StoredAggregate<F, ACC>(Arc<F>, PhantomData<fn() -> ACC>);

impl<IN, ACC, OUT, F> AggregateFunction<IN, InlineSized<ACC>, OUT> for StoredAggregate<F, ACC>
where
    F: AggregateFunction<IN, ACC, OUT>,
{
    fn create_accumulator(&self) -> InlineSized<ACC> {
        InlineSized(self.0.create_accumulator())
    }
    fn add(&self, value: IN, accumulator: &mut InlineSized<ACC>) {
        self.0.add(value, &mut accumulator.0);
    }
    fn get_result(&self, accumulator: &InlineSized<ACC>) -> OUT {
        self.0.get_result(&accumulator.0)
    }
    fn merge(&self, a: InlineSized<ACC>, b: InlineSized<ACC>) -> InlineSized<ACC> {
        InlineSized(self.0.merge(a.0, b.0))
    }
}

/// One accumulator per window, updated in place by an [`AggregateFunction`]; the window
/// function receives its result (Flink's window `aggregate`; `reduce` goes through
/// [`ReduceAggregate`]). `finish` turns the result into what the function receives
/// (nothing, for a reduce that saw no element).
pub struct Aggregated<F, T, ACC, OUT, X, W> {
    function: Arc<F>,
    finish: fn(OUT) -> Option<X>,
    state: Option<AggregatingState<W, T, InlineSized<ACC>, OUT>>,
}

impl<F, T, ACC, OUT, X, W> Clone for Aggregated<F, T, ACC, OUT, X, W> {
    fn clone(&self) -> Self {
        Self {
            function: Arc::clone(&self.function),
            finish: self.finish,
            state: self.state,
        }
    }
}

impl<F, T, ACC, OUT, X, W> Aggregated<F, T, ACC, OUT, X, W> {
    /// Contents aggregated by `function`, its results passed through `finish`.
    pub fn new(function: F, finish: fn(OUT) -> Option<X>) -> Self {
        Self {
            function: Arc::new(function),
            finish,
            state: None,
        }
    }
}

impl<K, T, ACC, OUT, X, W, F> WindowContents<K, T, W> for Aggregated<F, T, ACC, OUT, X, W>
where
    K: BackendKey,
    T: Send + 'static,
    ACC: Clone + Send + Sync + weir_state::StateCodec + 'static,
    OUT: Send + 'static,
    X: Send + 'static,
    W: Window,
    F: AggregateFunction<T, ACC, OUT> + 'static,
{
    type Out = X;
    fn combines(&self) -> bool {
        true
    }
    fn get_combined(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        windows: &[W],
        present: &mut Vec<bool>,
    ) -> Result<Option<Vec<X>>, OperatorError> {
        let s = self.state.ok_or_else(unopened)?;
        present.clear();
        let mut combined: Option<ACC> = None;
        for w in windows {
            let acc = s.with_accumulator(state, w, |a| a.map(|a| a.0.clone()))?;
            present.push(acc.is_some());
            if let Some(acc) = acc {
                combined = Some(match combined {
                    Some(c) => self.function.merge(c, acc),
                    None => acc,
                });
            }
        }
        Ok(combined
            .map(|acc| self.function.get_result(&acc))
            .and_then(self.finish)
            .map(|x| vec![x]))
    }
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        let f = StoredAggregate(Arc::clone(&self.function), PhantomData);
        let d = AggregatingStateDescriptor::new("window-contents", f);
        self.state = Some(state.aggregating_state(&d)?);
        Ok(())
    }
    fn add(&self, state: &mut HeapKeyedStateBackend<K>, window: &W, value: T, _: i64) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.add(state, window, value)?;
        Ok(())
    }
    fn get(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        window: &W,
    ) -> Result<Option<Vec<X>>, OperatorError> {
        let s = self.state.ok_or_else(unopened)?;
        Ok(s.get(state, window)?.and_then(self.finish).map(|x| vec![x]))
    }
    fn clear(&self, state: &mut HeapKeyedStateBackend<K>, window: &W) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.clear(state, window)?;
        Ok(())
    }
    fn merge(&self, state: &mut HeapKeyedStateBackend<K>, target: &W, sources: &[W]) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.merge_namespaces(state, target, sources)?;
        Ok(())
    }
}

/// A reduce function (`reduce(accumulated, new)`) as an aggregate function over an
/// optional accumulator, so that the accumulator is updated in place without a copy.
pub struct ReduceAggregate<T, F>(F, PhantomData<fn(T) -> T>);

impl<T, F> ReduceAggregate<T, F> {
    /// Wraps `reduce`.
    pub fn new(reduce: F) -> Self {
        Self(reduce, PhantomData)
    }
}

impl<T: Clone, F: Fn(T, T) -> T + Send + Sync> AggregateFunction<T, Option<T>, Option<T>>
    for ReduceAggregate<T, F>
{
    fn create_accumulator(&self) -> Option<T> {
        None
    }
    fn add(&self, value: T, accumulator: &mut Option<T>) {
        *accumulator = Some(match accumulator.take() {
            Some(acc) => (self.0)(acc, value),
            None => value,
        });
    }
    fn get_result(&self, accumulator: &Option<T>) -> Option<T> {
        accumulator.clone()
    }
    fn merge(&self, a: Option<T>, b: Option<T>) -> Option<T> {
        match (a, b) {
            (Some(a), Some(b)) => Some((self.0)(a, b)),
            (a, b) => a.or(b),
        }
    }
}

/// Every element of a window, in arrival order (Flink's window `process` without an
/// evictor).
pub struct Listed<T, W> {
    state: Option<ListState<W, InlineSized<T>>>,
}

impl<T, W> Clone for Listed<T, W> {
    fn clone(&self) -> Self {
        Self { state: self.state }
    }
}

impl<T, W> Default for Listed<T, W> {
    fn default() -> Self {
        Self { state: None }
    }
}

impl<K: BackendKey, T: Clone + Send + Sync + weir_state::StateCodec + 'static, W: Window>
    WindowContents<K, T, W> for Listed<T, W>
{
    type Out = T;
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        self.state = Some(state.list_state(&ListStateDescriptor::new("window-contents"))?);
        Ok(())
    }
    fn add(&self, state: &mut HeapKeyedStateBackend<K>, window: &W, value: T, _: i64) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.add(state, window, InlineSized(value))?;
        Ok(())
    }
    fn get(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        window: &W,
    ) -> Result<Option<Vec<T>>, OperatorError> {
        let s = self.state.ok_or_else(unopened)?;
        let values: Vec<T> = s.with_list(state, window, |l| l.map(|v| v.0.clone()).collect())?;
        Ok((!values.is_empty()).then_some(values))
    }
    fn clear(&self, state: &mut HeapKeyedStateBackend<K>, window: &W) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.clear(state, window)?;
        Ok(())
    }
    fn merge(&self, state: &mut HeapKeyedStateBackend<K>, target: &W, sources: &[W]) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.merge_namespaces(state, target, sources)?;
        Ok(())
    }
}

/// How an evicting window turns the elements left after eviction into what its window
/// function receives.
pub trait Fold<T>: Clone + Send + Sync + 'static {
    /// What the window function receives.
    type Out: Send + 'static;
    /// The function's input for `elements` (possibly empty).
    fn fold(&self, elements: Vec<T>) -> Vec<Self::Out>;
}

/// The elements themselves (a process function).
#[derive(Clone, Copy, Debug, Default)]
pub struct AllElements;

impl<T: Send + 'static> Fold<T> for AllElements {
    type Out = T;
    fn fold(&self, elements: Vec<T>) -> Vec<T> {
        elements
    }
}

/// The reduction of the elements (nothing if there are none).
pub struct Reduced<F>(pub(crate) Arc<F>);

impl<F> Clone for Reduced<F> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: Send + 'static, F: Fn(T, T) -> T + Send + Sync + 'static> Fold<T> for Reduced<F> {
    type Out = T;
    fn fold(&self, elements: Vec<T>) -> Vec<T> {
        elements
            .into_iter()
            .reduce(|a, b| (self.0)(a, b))
            .into_iter()
            .collect()
    }
}

/// The aggregate of the elements (of none, too: the empty accumulator's result).
pub struct Aggregate<F, ACC, OUT>(
    pub(crate) Arc<F>,
    pub(crate) PhantomData<fn() -> (ACC, OUT)>,
);

impl<F, ACC, OUT> Clone for Aggregate<F, ACC, OUT> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0), PhantomData)
    }
}

impl<T, ACC, OUT, F> Fold<T> for Aggregate<F, ACC, OUT>
where
    T: Send + 'static,
    ACC: 'static,
    OUT: Send + 'static,
    F: AggregateFunction<T, ACC, OUT> + 'static,
{
    type Out = OUT;
    fn fold(&self, elements: Vec<T>) -> Vec<OUT> {
        let mut acc = self.0.create_accumulator();
        for e in elements {
            self.0.add(e, &mut acc);
        }
        vec![self.0.get_result(&acc)]
    }
}

/// Every element with its timestamp, evicted by `Ev` and folded by `Fo` when the window
/// fires (Flink's `EvictingWindowOperator`).
pub struct Evicting<T, W, Ev, Fo> {
    evictor: Ev,
    fold: Fo,
    state: Option<ListState<W, InlineSized<TimestampedValue<T>>>>,
}

impl<T, W, Ev: Clone, Fo: Clone> Clone for Evicting<T, W, Ev, Fo> {
    fn clone(&self) -> Self {
        Self {
            evictor: self.evictor.clone(),
            fold: self.fold.clone(),
            state: self.state,
        }
    }
}

impl<T, W, Ev, Fo> Evicting<T, W, Ev, Fo> {
    /// Contents evicted by `evictor` and folded by `fold`.
    pub fn new(evictor: Ev, fold: Fo) -> Self {
        Self {
            evictor,
            fold,
            state: None,
        }
    }
}

impl<K, T, W, Ev, Fo> WindowContents<K, T, W> for Evicting<T, W, Ev, Fo>
where
    K: BackendKey,
    T: Clone + Send + Sync + weir_state::StateCodec + 'static,
    W: Window,
    Ev: Evictor<T>,
    Fo: Fold<T>,
{
    type Out = Fo::Out;
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        self.state = Some(state.list_state(&ListStateDescriptor::new("window-contents"))?);
        Ok(())
    }
    fn add(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        window: &W,
        value: T,
        timestamp: i64,
    ) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.add(
            state,
            window,
            InlineSized(TimestampedValue { value, timestamp }),
        )?;
        Ok(())
    }
    fn get(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        window: &W,
    ) -> Result<Option<Vec<Fo::Out>>, OperatorError> {
        let s = self.state.ok_or_else(unopened)?;
        let mut elements: Vec<TimestampedValue<T>> =
            s.with_list(state, window, |l| l.map(|v| v.0.clone()).collect())?;
        if elements.is_empty() {
            return Ok(None);
        }
        self.evictor.evict_before(&mut elements);
        let input = elements.iter().map(|e| e.value.clone()).collect();
        let out = self.fold.fold(input);
        // Flink runs `evict_after` after the window function; the function cannot see
        // the window's elements, so running it first is the same.
        self.evictor.evict_after(&mut elements);
        s.update(state, window, elements.into_iter().map(InlineSized))?;
        Ok(Some(out))
    }
    fn clear(&self, state: &mut HeapKeyedStateBackend<K>, window: &W) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.clear(state, window)?;
        Ok(())
    }
    fn merge(&self, state: &mut HeapKeyedStateBackend<K>, target: &W, sources: &[W]) -> OpResult {
        let s = self.state.ok_or_else(unopened)?;
        s.merge_namespaces(state, target, sources)?;
        Ok(())
    }
}
