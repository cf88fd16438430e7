//! Sinks on a stream, and the handle of a collecting sink.

use std::sync::{Arc, Mutex};

use super::datastream::DataStream;
use crate::graph::factory::{BuildContext, Built};
use crate::graph::stream_graph::{ChainingStrategy, NodeId, NodeKind};
use crate::operator::sink::{
    BlackholeWriter, CollectWriter, Formatter, LineWriter, SinkOperator, SinkWriter,
};
use crate::operator::{BoxOutput, OperatorError};
use crate::record::Data;

use super::environment::StreamExecutionEnvironment;

/// A sink node, for setting its parallelism, name and chaining.
pub struct DataStreamSink {
    env: StreamExecutionEnvironment,
    node: NodeId,
}

impl DataStreamSink {
    fn with(self, f: impl FnOnce(&mut crate::graph::stream_graph::StreamNode)) -> Self {
        f(&mut self.env.inner.borrow_mut().graph.nodes[self.node]);
        self
    }
    /// Sets the sink's parallelism.
    pub fn set_parallelism(self, parallelism: usize) -> Self {
        self.with(|n| n.parallelism = Some(parallelism))
    }
    /// Names the sink.
    pub fn name(self, name: &str) -> Self {
        self.with(|n| n.name = name.to_string())
    }
    /// Gives the sink a stable id.
    pub fn uid(self, uid: &str) -> Self {
        self.with(|n| n.uid = Some(uid.to_string()))
    }
    /// Puts the sink in a slot sharing group.
    pub fn slot_sharing_group(self, group: &str) -> Self {
        self.with(|n| n.slot_sharing_group = group.to_string())
    }
    /// Never chains the sink.
    pub fn disable_chaining(self) -> Self {
        self.with(|n| n.chaining = ChainingStrategy::Never)
    }
    /// Starts a new chain at the sink.
    pub fn start_new_chain(self) -> Self {
        self.with(|n| n.chaining = ChainingStrategy::Head)
    }
}

/// The results of a collecting sink, available after the job ran.
#[derive(Clone)]
pub struct CollectHandle<T> {
    values: Arc<Mutex<Vec<T>>>,
}

impl<T: Clone> CollectHandle<T> {
    /// Everything collected so far (subtasks in the order they finished).
    pub fn values(&self) -> Vec<T> {
        self.values.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl<T: Data> DataStream<T> {
    /// Adds a sink whose per-subtask operator `make` builds (Flink's `addSink`).
    pub fn add_sink(
        &self,
        name: &str,
        make: impl Fn(&BuildContext) -> Result<BoxOutput<T>, OperatorError> + Send + Sync + 'static,
    ) -> DataStreamSink {
        let factory = move |ctx: &BuildContext, _main: Box<dyn std::any::Any>, _side| {
            Ok(Built::Operator(Box::new(make(ctx)?)))
        };
        let node = self.add_node(name, NodeKind::Sink, Arc::new(factory), None);
        DataStreamSink {
            env: self.env.clone(),
            node,
        }
    }

    /// Adds a sink from a [`SinkWriter`] factory, with an optional rate limit (records/s).
    pub fn sink_to<W: SinkWriter<T>>(
        &self,
        name: &str,
        rate_limit: Option<f64>,
        make: impl Fn(&BuildContext) -> Result<W, OperatorError> + Send + Sync + 'static,
    ) -> DataStreamSink {
        self.add_sink(name, move |ctx| {
            Ok(Box::new(SinkOperator::new(
                make(ctx)?,
                rate_limit,
                ctx.clock.clone(),
            )))
        })
    }

    /// Prints every element with `format` (Flink's `print`; `N> ` prefixes when parallel).
    pub fn print_with(&self, format: Formatter<T>, rate_limit: Option<f64>) -> DataStreamSink {
        self.sink_to("Print to Std. Out", rate_limit, move |ctx| {
            Ok(LineWriter::stdout(
                format.clone(),
                ctx.subtask,
                ctx.parallelism,
            ))
        })
    }

    /// Writes every element as a line formatted by `format` to `path` (a directory of
    /// `part-N.csv` files when the sink is parallel).
    pub fn write_as_text(
        &self,
        path: impl Into<std::path::PathBuf>,
        format: Formatter<T>,
    ) -> DataStreamSink {
        let path = path.into();
        self.sink_to("File Sink", None, move |ctx| {
            LineWriter::file(&path, format.clone(), ctx.subtask, ctx.parallelism)
        })
    }

    /// Writes every element exactly once as a line formatted by `format` into part files of
    /// the directory `dir` (Flink's `FileSink`): subtask `s` writes
    /// `.part-<s>-<n>.inprogress` files, which become `part-<s>-<n>` when the checkpoint
    /// that covers them completes (or at the end of input without checkpointing).
    pub fn sink_to_files_exactly_once(
        &self,
        dir: impl Into<std::path::PathBuf>,
        format: Formatter<T>,
    ) -> DataStreamSink {
        let dir = dir.into();
        self.add_sink("Exactly-once File Sink", move |ctx| {
            let subtask = u32::try_from(ctx.subtask).unwrap_or(u32::MAX);
            let sink = crate::sink::FileSink::new(&dir, subtask, format.clone())
                .map_err(|e| OperatorError::User(format!("sink '{}': {e}", ctx.name)))?;
            Ok(Box::new(crate::sink::TwoPhaseCommitSinkOperator::new(
                sink, ctx,
            )?))
        })
    }

    /// Discards every element, optionally at most `rate_limit` per second.
    pub fn blackhole(&self, rate_limit: Option<f64>) -> DataStreamSink {
        self.sink_to("Blackhole", rate_limit, |_| Ok(BlackholeWriter))
    }

    /// Collects every element for inspection after the job (tests, small results).
    pub fn collect(&self) -> CollectHandle<T> {
        self.collect_rate_limited(None).0
    }

    /// Collects every element at most `rate_limit` per second (a slow consumer).
    pub fn collect_rate_limited(
        &self,
        rate_limit: Option<f64>,
    ) -> (CollectHandle<T>, DataStreamSink) {
        let values = Arc::new(Mutex::new(Vec::new()));
        let v = values.clone();
        let sink = self.sink_to("Collect", rate_limit, move |_| {
            Ok(CollectWriter::new(v.clone()))
        });
        (CollectHandle { values }, sink)
    }
}

impl<T: Data + std::fmt::Debug> DataStream<T> {
    /// Prints every element with its `Debug` form.
    pub fn print(&self) -> DataStreamSink {
        let format: Formatter<T> = Arc::new(|r, out| {
            use std::io::Write;
            let v = r.duplicate().into_owned()?;
            write!(out, "{v:?}").map_err(|e| OperatorError::User(e.to_string()))
        });
        self.print_with(format, None)
    }
}
