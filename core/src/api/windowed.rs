//! Windows on a stream (Flink's `WindowedStream` and `AllWindowedStream`):
//! `keyed.window(assigner)` (or `count_window`), optionally a trigger, an evictor, allowed
//! lateness and a late-data side output, then a window function: `reduce`, `aggregate`
//! (incremental), `process` or `apply` (all elements), or an incremental function
//! combined with a process function (`reduce_with`, `aggregate_with`).
//! `stream.window_all(assigner)` windows a non-keyed stream in one subtask.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use weir_state::keyed::{AggregateFunction, BackendKey};

use super::{DataStream, KeyedStream};
use crate::operator::process::{Collector, OutputTag};
use crate::record::Data;
use crate::window::assigners::{GlobalWindows, WindowAssigner};
use crate::window::contents::{
    Aggregate, Aggregated, AllElements, Evicting, Fold, Listed, ReduceAggregate, Reduced,
    WindowContents,
};
use crate::window::evictors::{CountEvictor, Evictor};
use crate::window::function::{ApplyFn, PassThrough, ProcessWindowFunction};
use crate::window::operator::{WindowOperator, WindowParts, WindowSettings};
use crate::window::triggers::{CountTrigger, PurgingTrigger, Trigger};
use crate::window::windows::GlobalWindow;

/// A keyed (or, from `window_all`, a non-keyed) stream cut into windows, waiting for its
/// window function; `Ev` is its evictor (`NoEvictor` if none).
pub struct WindowedStream<T: Data, K, A, Tr, Ev = NoEvictor> {
    keyed: KeyedStream<T, K>,
    assigner: A,
    trigger: Tr,
    evictor: Ev,
    settings: WindowSettings<T>,
    /// `Some(1)` for `window_all`.
    parallelism: Option<usize>,
}

/// No evictor: windows keep an accumulator under reduce and aggregate functions.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEvictor;

impl<T: Data, K: BackendKey> KeyedStream<T, K> {
    /// Cuts the stream into the windows `assigner` gives, with its default trigger.
    pub fn window<A: WindowAssigner<T>>(
        &self,
        assigner: A,
    ) -> WindowedStream<T, K, A, A::DefaultTrigger> {
        WindowedStream {
            keyed: self.clone(),
            trigger: assigner.default_trigger(),
            assigner,
            evictor: NoEvictor,
            settings: WindowSettings {
                allowed_lateness: 0,
                late_data: None,
            },
            parallelism: None,
        }
    }

    /// Windows of `size` elements per key, each emitted once full (Flink's
    /// `countWindow(size)`: global windows with a purging count trigger).
    pub fn count_window(
        &self,
        size: u64,
    ) -> WindowedStream<T, K, GlobalWindows, PurgingTrigger<CountTrigger<GlobalWindow>>> {
        self.window(GlobalWindows)
            .trigger(PurgingTrigger::of(CountTrigger::of(size)))
    }

    /// The last `size` elements per key, emitted every `slide` elements (Flink's
    /// `countWindow(size, slide)`: a count evictor and a count trigger).
    pub fn count_window_sliding(
        &self,
        size: usize,
        slide: u64,
    ) -> WindowedStream<T, K, GlobalWindows, CountTrigger<GlobalWindow>, CountEvictor> {
        self.window(GlobalWindows)
            .trigger(CountTrigger::of(slide))
            .evictor(CountEvictor::of(size))
    }
}

impl<T: Data> DataStream<T> {
    /// Cuts the whole (non-keyed) stream into windows, evaluated in one subtask (Flink's
    /// `windowAll`); window functions see the key `0`.
    pub fn window_all<A: WindowAssigner<T>>(
        &self,
        assigner: A,
    ) -> WindowedStream<T, u8, A, A::DefaultTrigger> {
        let mut w = self.key_by(|_: &T| 0u8).window(assigner);
        w.parallelism = Some(1);
        w
    }
}

impl<T, K, A, Tr, Ev> WindowedStream<T, K, A, Tr, Ev>
where
    T: Data,
    K: BackendKey,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
    Ev: Clone + Send + Sync + 'static,
{
    /// Replaces the trigger (Flink's `trigger`).
    pub fn trigger<Tr2: Trigger<T, A::W>>(self, trigger: Tr2) -> WindowedStream<T, K, A, Tr2, Ev> {
        WindowedStream {
            keyed: self.keyed,
            assigner: self.assigner,
            trigger,
            evictor: self.evictor,
            settings: self.settings,
            parallelism: self.parallelism,
        }
    }

    /// Sets an evictor (Flink's `evictor`): windows then keep every element.
    pub fn evictor<Ev2: Evictor<T>>(self, evictor: Ev2) -> WindowedStream<T, K, A, Tr, Ev2> {
        WindowedStream {
            keyed: self.keyed,
            assigner: self.assigner,
            trigger: self.trigger,
            evictor,
            settings: self.settings,
            parallelism: self.parallelism,
        }
    }

    /// Keeps windows for `lateness` after their end, so that late elements update them
    /// (Flink's `allowedLateness`; event time only).
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.settings.allowed_lateness = i64::try_from(lateness.as_millis()).unwrap_or(i64::MAX);
        self
    }

    /// Sends elements late for every window to the side output `tag` instead of dropping
    /// them (Flink's `sideOutputLateData`); read it with `side_output(&tag)` on the result.
    pub fn side_output_late_data(mut self, tag: &OutputTag<T>) -> Self {
        self.settings.late_data = Some(tag.clone());
        self
    }

    /// Adds the window operator with `contents` and `function`.
    fn build<C, F, O>(&self, name: &str, contents: C, function: F) -> DataStream<O>
    where
        C: WindowContents<K, T, A::W>,
        F: ProcessWindowFunction<K, C::Out, O, A::W>,
        O: Data,
    {
        let (assigner, trigger, settings) = (
            self.assigner.clone(),
            self.trigger.clone(),
            self.settings.clone(),
        );
        let key = self.keyed.key_selector();
        let stream = self.keyed.stream().transform(name, move |ctx, out, side| {
            let parts = WindowParts {
                assigner: assigner.clone(),
                trigger: trigger.clone(),
                contents: contents.clone(),
                function: function.clone(),
                settings: settings.clone(),
            };
            Ok(Box::new(WindowOperator::new(
                parts,
                key.clone(),
                out,
                side,
                ctx,
            )?))
        });
        match self.parallelism {
            Some(p) => stream.set_parallelism(p),
            None => stream,
        }
    }
}

impl<T, K, A, Tr> WindowedStream<T, K, A, Tr, NoEvictor>
where
    T: Data,
    K: BackendKey,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
{
    /// Reduces each window incrementally, one update per element, and emits the result
    /// (Flink's window `reduce`).
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> DataStream<T> {
        self.reduce_with(f, PassThrough::default())
    }

    /// Reduces each window incrementally and hands the result to `process` (Flink's
    /// `reduce(ReduceFunction, ProcessWindowFunction)`).
    pub fn reduce_with<O: Data>(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        process: impl ProcessWindowFunction<K, T, O, A::W>,
    ) -> DataStream<O> {
        let contents = Aggregated::new(ReduceAggregate::new(f), |r: Option<T>| r);
        self.build("Window Reduce", contents, process)
    }

    /// Aggregates each window incrementally with `f` and emits its result (Flink's window
    /// `aggregate`).
    pub fn aggregate<ACC, OUT, G>(&self, f: G) -> DataStream<OUT>
    where
        ACC: Clone + Send + Sync + weir_state::StateCodec + 'static,
        OUT: Data,
        G: AggregateFunction<T, ACC, OUT> + 'static,
    {
        self.aggregate_with(f, PassThrough::default())
    }

    /// Aggregates each window incrementally and hands the result to `process` (Flink's
    /// `aggregate(AggregateFunction, ProcessWindowFunction)`).
    pub fn aggregate_with<ACC, OUT, O, G>(
        &self,
        f: G,
        process: impl ProcessWindowFunction<K, OUT, O, A::W>,
    ) -> DataStream<O>
    where
        ACC: Clone + Send + Sync + weir_state::StateCodec + 'static,
        OUT: Send + 'static,
        O: Data,
        G: AggregateFunction<T, ACC, OUT> + 'static,
    {
        self.build("Window Aggregate", Aggregated::new(f, Some), process)
    }

    /// Hands all elements of each window to `process` (Flink's window `process`).
    pub fn process<O: Data>(
        &self,
        process: impl ProcessWindowFunction<K, T, O, A::W>,
    ) -> DataStream<O> {
        self.build("Window Process", Listed::default(), process)
    }

    /// Hands all elements of each window to `f(key, window, elements, out)` (Flink's
    /// window `apply`).
    pub fn apply<O: Data>(
        &self,
        f: impl FnMut(&K, &A::W, Vec<T>, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    ) -> DataStream<O> {
        self.build("Window Apply", Listed::default(), ApplyFn(f))
    }
}

impl<T, K, A, Tr, Ev> WindowedStream<T, K, A, Tr, Ev>
where
    T: Data,
    K: BackendKey,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::W>,
    Ev: Evictor<T>,
{
    fn evicting<Fo: Fold<T>>(&self, fold: Fo) -> Evicting<T, A::W, Ev, Fo> {
        Evicting::new(self.evictor.clone(), fold)
    }

    /// Reduces what is left of each window after eviction and emits the result.
    pub fn reduce_evicting(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> DataStream<T> {
        let contents = self.evicting(Reduced(Arc::new(f)));
        self.build("Evicting Window Reduce", contents, PassThrough::default())
    }

    /// Aggregates what is left of each window after eviction and emits the result.
    pub fn aggregate_evicting<ACC, OUT, G>(&self, f: G) -> DataStream<OUT>
    where
        ACC: 'static,
        OUT: Data,
        G: AggregateFunction<T, ACC, OUT> + 'static,
    {
        let contents = self.evicting(Aggregate(Arc::new(f), PhantomData));
        self.build(
            "Evicting Window Aggregate",
            contents,
            PassThrough::default(),
        )
    }

    /// Hands what is left of each window after eviction to `process`.
    pub fn process_evicting<O: Data>(
        &self,
        process: impl ProcessWindowFunction<K, T, O, A::W>,
    ) -> DataStream<O> {
        self.build(
            "Evicting Window Process",
            self.evicting(AllElements),
            process,
        )
    }

    /// Hands what is left of each window after eviction to `f(key, window, elements, out)`.
    pub fn apply_evicting<O: Data>(
        &self,
        f: impl FnMut(&K, &A::W, Vec<T>, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    ) -> DataStream<O> {
        self.build(
            "Evicting Window Apply",
            self.evicting(AllElements),
            ApplyFn(f),
        )
    }
}
