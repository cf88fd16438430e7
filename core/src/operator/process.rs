//! Process functions (Flink's `ProcessFunction`): full access to the element, its
//! timestamp and side outputs (`OutputTag`).

use std::any::Any;
use std::collections::HashMap;
use std::marker::PhantomData;

use super::{BoxOutput, OpResult, OperatorError, Output};
use crate::record::{Data, Record, NO_TIMESTAMP};
use crate::time::WatermarkStatus;

/// Implements the watermark, status, finish, checkpoint and pause methods of an operator
/// with `out` (its main output) and `side` (its side outputs): each goes to every side
/// output, then to the main output. `(@watermarks)` implements only the watermark, status
/// and pause methods, for an operator that finishes or checkpoints in its own way.
macro_rules! forward_control_to_outputs {
    () => {
        $crate::operator::process::forward_control_to_outputs!(@watermarks);
        fn finish(&mut self) -> OpResult {
            self.side.for_each(|s| s.finish())?;
            self.out.finish()
        }
        fn checkpoint(&mut self, call: &mut $crate::operator::CheckpointCall<'_>) -> OpResult {
            self.side.for_each(|s| s.checkpoint(call))?;
            self.out.checkpoint(call)
        }
    };
    (@watermarks) => {
        fn emit_watermark(&mut self, watermark: i64) -> OpResult {
            self.side.for_each(|s| s.watermark(watermark))?;
            self.out.emit_watermark(watermark)
        }
        fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
            self.side.for_each(|s| s.watermark_status(status))?;
            self.out.emit_watermark_status(status)
        }
        fn pause_until(&self) -> Option<u64> {
            self.out.pause_until()
        }
    };
}
pub(crate) use forward_control_to_outputs;

/// Names a side output of type `T` (Flink's `OutputTag`).
pub struct OutputTag<T> {
    id: String,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for OutputTag<T> {
    fn clone(&self) -> Self {
        Self {
            id: self.id.clone(),
            _type: PhantomData,
        }
    }
}

impl<T: Data> OutputTag<T> {
    /// A tag with a unique name within the job.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            _type: PhantomData,
        }
    }
    /// The tag's name.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The side outputs of one operator: tag name → a `BoxOutput<S>` boxed as `Any`.
#[derive(Default)]
pub struct SideOutputs {
    outputs: HashMap<String, Box<dyn Any>>,
}

impl SideOutputs {
    /// Registers the consumer of a side output (a `BoxOutput<S>` boxed as `Any`).
    pub fn insert(&mut self, tag: String, output: Box<dyn Any>) {
        self.outputs.insert(tag, output);
    }

    pub(crate) fn emit<S: Data>(
        &mut self,
        tag: &OutputTag<S>,
        value: S,
        timestamp: i64,
    ) -> OpResult {
        match self.outputs.get_mut(tag.id()) {
            // A side output nobody consumes is dropped, as in Flink.
            None => Ok(()),
            Some(out) => match out.downcast_mut::<BoxOutput<S>>() {
                Some(out) => out.collect(Record::Owned(value), timestamp),
                None => Err(OperatorError::User(format!(
                    "side output '{}' is used with two different types",
                    tag.id()
                ))),
            },
        }
    }

    pub(crate) fn for_each(
        &mut self,
        mut f: impl FnMut(&mut dyn SideOutputControl) -> OpResult,
    ) -> OpResult {
        for out in self.outputs.values_mut() {
            if let Some(ctl) = side_control(out.as_mut()) {
                f(ctl)?;
            }
        }
        Ok(())
    }
}

/// The type-independent part of a side output: watermarks and end of input.
pub trait SideOutputControl {
    /// Forwards a watermark.
    fn watermark(&mut self, watermark: i64) -> OpResult;
    /// Forwards a watermark status.
    fn watermark_status(&mut self, status: WatermarkStatus) -> OpResult;
    /// Forwards the end of input.
    fn finish(&mut self) -> OpResult;
    /// Forwards a checkpoint call.
    fn checkpoint(&mut self, call: &mut super::CheckpointCall<'_>) -> OpResult;
}

/// Wraps a typed side output so that watermarks and the end of input reach it.
pub struct SideOutput<S: Data>(pub BoxOutput<S>);

impl<S: Data> SideOutputControl for SideOutput<S> {
    fn watermark(&mut self, watermark: i64) -> OpResult {
        self.0.emit_watermark(watermark)
    }
    fn watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.0.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.0.finish()
    }
    fn checkpoint(&mut self, call: &mut super::CheckpointCall<'_>) -> OpResult {
        self.0.checkpoint(call)
    }
}

fn side_control(out: &mut dyn Any) -> Option<&mut (dyn SideOutputControl + 'static)> {
    // Side outputs are registered as `SideOutputHandle`, which carries both views.
    out.downcast_mut::<SideOutputHandle>()
        .map(|h| h.control.as_mut())
}

/// A registered side output: the typed output plus its control view.
pub struct SideOutputHandle {
    control: Box<dyn SideOutputControl>,
}

/// What a process function sees besides the element.
pub struct Context<'a> {
    timestamp: i64,
    side: &'a mut SideOutputs,
    error: Option<OperatorError>,
}

impl<'a> Context<'a> {
    /// A context for an element stamped `timestamp`, emitting to `side`.
    pub(crate) fn new(timestamp: i64, side: &'a mut SideOutputs) -> Self {
        Self {
            timestamp,
            side,
            error: None,
        }
    }

    /// The first error a side output ran into, if any.
    pub(crate) fn into_error(self) -> Option<OperatorError> {
        self.error
    }

    /// The element's timestamp, if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// Emits `value` to the side output named by `tag`.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        if self.error.is_none() {
            if let Err(e) = self.side.emit(tag, value, self.timestamp) {
                self.error = Some(e);
            }
        }
    }
}

/// Where a process function emits its main output.
pub struct Collector<'a, O: Data> {
    out: &'a mut BoxOutput<O>,
    timestamp: i64,
    error: Option<OperatorError>,
}

impl<'a, O: Data> Collector<'a, O> {
    /// A collector into `out`, stamping records with `timestamp`.
    pub(crate) fn new(out: &'a mut BoxOutput<O>, timestamp: i64) -> Self {
        Self {
            out,
            timestamp,
            error: None,
        }
    }

    /// The first error an emit ran into, if any.
    pub(crate) fn into_error(self) -> Option<OperatorError> {
        self.error
    }

    /// Stamps what is emitted from now on with `timestamp` (Flink's
    /// `TimestampedCollector.setAbsoluteTimestamp`; [`NO_TIMESTAMP`] for none).
    pub(crate) fn set_timestamp(&mut self, timestamp: i64) {
        self.timestamp = timestamp;
    }

    /// Emits `value` with the input element's timestamp.
    pub fn collect(&mut self, value: O) {
        if self.error.is_none() {
            if let Err(e) = self.out.collect(Record::Owned(value), self.timestamp) {
                self.error = Some(e);
            }
        }
    }
}

/// A function called for every element with its context (Flink's `ProcessFunction`).
pub trait ProcessFunction<I, O: Data>: Send + 'static {
    /// Processes one element.
    fn process_element(&mut self, value: I, ctx: &mut Context<'_>, out: &mut Collector<'_, O>);
    /// The input has ended: emit what the function still holds (records without a
    /// timestamp), before the end goes downstream. Nothing by default.
    fn finish(&mut self, _out: &mut Collector<'_, O>) {}
}

impl<I, O: Data, F> ProcessFunction<I, O> for F
where
    F: FnMut(I, &mut Context<'_>, &mut Collector<'_, O>) + Send + 'static,
{
    fn process_element(&mut self, value: I, ctx: &mut Context<'_>, out: &mut Collector<'_, O>) {
        self(value, ctx, out)
    }
}

/// Runs a [`ProcessFunction`] inside a chain.
pub struct ProcessOperator<I, O: Data, F> {
    f: F,
    out: BoxOutput<O>,
    side: SideOutputs,
    _in: PhantomData<fn(I)>,
}

impl<I: Data, O: Data, F: ProcessFunction<I, O>> ProcessOperator<I, O, F> {
    /// A process operator with its main output and side outputs.
    pub fn new(f: F, out: BoxOutput<O>, side: SideOutputs) -> Self {
        Self {
            f,
            out,
            side,
            _in: PhantomData,
        }
    }

    /// The function, e.g. to snapshot its state.
    pub(crate) fn function_mut(&mut self) -> &mut F {
        &mut self.f
    }
}

/// Registers a typed side output consumer under `tag`.
pub fn side_output_entry<S: Data>(out: BoxOutput<S>) -> (Box<dyn Any>, Box<dyn Any>) {
    // The typed output is used for records; the handle for watermarks and finishing.
    // Both refer to the same consumer through a shared cell.
    let shared = std::rc::Rc::new(std::cell::RefCell::new(out));
    let typed: BoxOutput<S> = Box::new(SharedOutput(shared.clone()));
    let control = SideOutputHandle {
        control: Box::new(SideOutput::<S>(Box::new(SharedOutput(shared)))),
    };
    (Box::new(typed), Box::new(control))
}

/// Two handles on one consumer.
struct SharedOutput<S: Data>(std::rc::Rc<std::cell::RefCell<BoxOutput<S>>>);

impl<S: Data> Output<S> for SharedOutput<S> {
    fn collect(&mut self, record: Record<'_, S>, timestamp: i64) -> OpResult {
        self.0.borrow_mut().collect(record, timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.0.borrow_mut().emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.0.borrow_mut().emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.0.borrow_mut().finish()
    }
    fn checkpoint(&mut self, call: &mut super::CheckpointCall<'_>) -> OpResult {
        self.0.borrow_mut().checkpoint(call)
    }
    fn pause_until(&self) -> Option<u64> {
        self.0.borrow().pause_until()
    }
}

impl SideOutputs {
    /// Registers a typed consumer for `tag`: records go to it by tag, watermarks and the
    /// end of input reach it through its control handle.
    pub fn register<S: Data>(&mut self, tag: &str, out: BoxOutput<S>) {
        let (typed, control) = side_output_entry(out);
        self.outputs.insert(tag.to_string(), typed);
        self.outputs.insert(format!("\u{0}control:{tag}"), control);
    }
}

impl<I: Data, O: Data, F: ProcessFunction<I, O>> Output<I> for ProcessOperator<I, O, F> {
    fn collect(&mut self, record: Record<'_, I>, timestamp: i64) -> OpResult {
        let value = record.into_owned()?;
        let mut ctx = Context {
            timestamp,
            side: &mut self.side,
            error: None,
        };
        let mut out = Collector {
            out: &mut self.out,
            timestamp,
            error: None,
        };
        self.f.process_element(value, &mut ctx, &mut out);
        match (out.error, ctx.error) {
            (Some(e), _) | (None, Some(e)) => Err(e),
            (None, None) => Ok(()),
        }
    }
    fn finish(&mut self) -> OpResult {
        let mut out = Collector::new(&mut self.out, NO_TIMESTAMP);
        self.f.finish(&mut out);
        if let Some(e) = out.into_error() {
            return Err(e);
        }
        self.side.for_each(|s| s.finish())?;
        self.out.finish()
    }
    fn checkpoint(&mut self, call: &mut super::CheckpointCall<'_>) -> OpResult {
        self.side.for_each(|s| s.checkpoint(call))?;
        self.out.checkpoint(call)
    }
    forward_control_to_outputs!(@watermarks);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::basic::tests::capture;

    #[test]
    fn late_values_go_to_the_side_output_with_their_timestamp() {
        let (main, seen_main) = capture::<i64>();
        let (side, seen_side) = capture::<String>();
        let tag = OutputTag::<String>::new("negative");
        let mut sides = SideOutputs::default();
        sides.register(tag.id(), side);
        let t = tag.clone();
        let f = move |v: i64, ctx: &mut Context<'_>, out: &mut Collector<'_, i64>| {
            if v < 0 {
                ctx.output(&t, format!("neg {v}"));
            } else {
                out.collect(v * 2);
            }
        };
        let mut op = ProcessOperator::new(f, main, sides);
        op.collect(Record::Owned(3), 10).unwrap();
        op.collect(Record::Owned(-1), 11).unwrap();
        assert_eq!(*seen_main.borrow(), vec![(6, 10)]);
        assert_eq!(*seen_side.borrow(), vec![("neg -1".to_string(), 11)]);
    }
}
