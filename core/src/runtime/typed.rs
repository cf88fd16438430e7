//! [`TypeOps`]: the typed pieces the runtime builds around an operator for one record
//! type, reached through the type-erased graph.

use std::any::Any;
use std::marker::PhantomData;

use crate::graph::factory::downcast_output;
use crate::operator::basic::{Discard, FanOut};
use crate::operator::process::SideOutputs;
use crate::operator::{BoxOutput, OperatorError};
use crate::partitioner::{selector_for, Partitioning};
use crate::record::Data;
use crate::runtime::input::{ErasedInput, TypedInput};
use crate::runtime::record_writer::{RecordWriterOutput, SharedWriter};

/// Operations on one record type, behind a trait object.
pub trait TypeOps: Send + Sync + 'static {
    /// The Rust type name (for errors and `explain`).
    fn type_name(&self) -> &'static str;
    /// Combines several `BoxOutput<T>` (each boxed as `Any`) into one.
    fn fan_out(&self, outs: Vec<Box<dyn Any>>) -> Result<Box<dyn Any>, OperatorError>;
    /// An output that drops everything.
    fn discard(&self) -> Box<dyn Any>;
    /// The chain end that writes into a result partition.
    fn record_writer(
        &self,
        core: SharedWriter,
        partitioning: &Partitioning,
        subtask: usize,
        max_parallelism: u32,
    ) -> Result<Box<dyn Any>, OperatorError>;
    /// Reads frames of this type into the chain head `head` (a `BoxOutput<T>`).
    fn input(&self, head: Box<dyn Any>, name: &str) -> Result<Box<dyn ErasedInput>, OperatorError>;
    /// Registers `out` (a `BoxOutput<T>`) as the side output `tag` of an operator.
    fn register_side(
        &self,
        sides: &mut SideOutputs,
        tag: &str,
        out: Box<dyn Any>,
    ) -> Result<(), OperatorError>;
}

/// [`TypeOps`] for `T`.
pub struct TypeOpsImpl<T>(PhantomData<fn() -> T>);

impl<T: Data> TypeOpsImpl<T> {
    /// The operations for `T`.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T: Data> Default for TypeOpsImpl<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Data> TypeOps for TypeOpsImpl<T> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn fan_out(&self, outs: Vec<Box<dyn Any>>) -> Result<Box<dyn Any>, OperatorError> {
        let mut typed: Vec<BoxOutput<T>> = Vec::with_capacity(outs.len());
        for o in outs {
            typed.push(downcast_output::<T>(o, "fan-out")?);
        }
        let out: BoxOutput<T> = match typed.len() {
            0 => Box::new(Discard),
            1 => typed.remove(0),
            _ => Box::new(FanOut::new(typed)),
        };
        Ok(Box::new(out))
    }

    fn discard(&self) -> Box<dyn Any> {
        let out: BoxOutput<T> = Box::new(Discard);
        Box::new(out)
    }

    fn record_writer(
        &self,
        core: SharedWriter,
        partitioning: &Partitioning,
        subtask: usize,
        max_parallelism: u32,
    ) -> Result<Box<dyn Any>, OperatorError> {
        let selector = selector_for::<T>(partitioning, subtask, max_parallelism)?;
        let out: BoxOutput<T> = Box::new(RecordWriterOutput::new(core, selector));
        Ok(Box::new(out))
    }

    fn input(&self, head: Box<dyn Any>, name: &str) -> Result<Box<dyn ErasedInput>, OperatorError> {
        Ok(Box::new(TypedInput::new(downcast_output::<T>(head, name)?)))
    }

    fn register_side(
        &self,
        sides: &mut SideOutputs,
        tag: &str,
        out: Box<dyn Any>,
    ) -> Result<(), OperatorError> {
        sides.register(tag, downcast_output::<T>(out, tag)?);
        Ok(())
    }
}
