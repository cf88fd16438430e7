//! Window functions (Flink's `ProcessWindowFunction`): called with what a window holds
//! when it fires, with the key, the window, time, per-window and per-key state, and side
//! outputs in reach.

use std::marker::PhantomData;

use weir_state::keyed::BackendKey;
use weir_state::HeapKeyedStateBackend;

use super::windows::Window;
use crate::operator::process::{Collector, OutputTag, SideOutputs};
use crate::operator::{OpResult, OperatorError};
use crate::record::Data;
use crate::runtime::clock::SharedClock;

/// What a window function sees besides the elements.
pub struct WindowContext<'a, K, W> {
    pub(crate) window: &'a W,
    pub(crate) watermark: i64,
    pub(crate) clock: &'a SharedClock,
    pub(crate) state: &'a mut HeapKeyedStateBackend<K>,
    pub(crate) side: &'a mut SideOutputs,
    pub(crate) error: Option<OperatorError>,
}

impl<K: BackendKey, W: Window> WindowContext<'_, K, W> {
    /// The window that fired.
    pub fn window(&self) -> &W {
        self.window
    }
    /// The operator's event time (its last watermark).
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }
    /// The slot's wall clock, epoch milliseconds.
    pub fn current_processing_time(&self) -> i64 {
        self.clock.epoch_millis()
    }
    /// Keyed state of the current key: with the window as namespace it is the window's
    /// own state (Flink's `windowState()`, dropped by `clear`), with `()` the key's state
    /// across windows (Flink's `globalState()`).
    pub fn state(&mut self) -> &mut HeapKeyedStateBackend<K> {
        self.state
    }
    /// Emits `value` to the side output `tag`, stamped with the window's last timestamp.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        if self.error.is_none() {
            if let Err(e) = self.side.emit(tag, value, self.window.max_timestamp()) {
                self.error = Some(e);
            }
        }
    }
}

/// Computes a window's output from what it holds (Flink's `ProcessWindowFunction`):
/// all its elements, or the single result of its reduce or aggregate function.
pub trait ProcessWindowFunction<K, IN, O: Data, W>: Clone + Send + Sync + 'static {
    /// Registers the states the function uses, once per subtask.
    fn open(&mut self, _state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        Ok(())
    }
    /// The window `ctx.window()` of `key` fired with `elements`; what `out` collects is
    /// stamped with the window's last timestamp.
    fn process(
        &mut self,
        key: &K,
        ctx: &mut WindowContext<'_, K, W>,
        elements: Vec<IN>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
    /// The window is gone (the watermark passed its end plus the allowed lateness): drop
    /// its per-window state.
    fn clear(&mut self, _ctx: &mut WindowContext<'_, K, W>) -> OpResult {
        Ok(())
    }
}

/// Emits what the window holds as it is (the function behind window `reduce` and
/// `aggregate` without a process function).
pub struct PassThrough<O>(PhantomData<fn() -> O>);

impl<O> Clone for PassThrough<O> {
    fn clone(&self) -> Self {
        PassThrough(PhantomData)
    }
}

impl<O> Default for PassThrough<O> {
    fn default() -> Self {
        PassThrough(PhantomData)
    }
}

impl<K: 'static, O: Data, W: 'static> ProcessWindowFunction<K, O, O, W> for PassThrough<O> {
    fn process(
        &mut self,
        _: &K,
        _: &mut WindowContext<'_, K, W>,
        elements: Vec<O>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        for e in elements {
            out.collect(e);
        }
        Ok(())
    }
}

/// A closure `(key, window, elements, out)` as a window function (Flink's
/// `WindowFunction.apply`).
pub struct ApplyFn<F>(pub(crate) F);

impl<F: Clone> Clone for ApplyFn<F> {
    fn clone(&self) -> Self {
        ApplyFn(self.0.clone())
    }
}

impl<K, IN, O, W, F> ProcessWindowFunction<K, IN, O, W> for ApplyFn<F>
where
    K: BackendKey,
    O: Data,
    W: Window,
    F: FnMut(&K, &W, Vec<IN>, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
{
    fn process(
        &mut self,
        key: &K,
        ctx: &mut WindowContext<'_, K, W>,
        elements: Vec<IN>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        (self.0)(key, ctx.window, elements, out);
        Ok(())
    }
}
