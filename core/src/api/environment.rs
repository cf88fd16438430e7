//! `StreamExecutionEnvironment`: where a job is defined and from where it runs.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use super::datastream::{DataStream, StreamInput};
use crate::cluster::control::{JobControl, JobStatus};
use crate::cluster::{ChannelTransport, JobError, JobResult, LocalCluster, LocalTransport};
use crate::config::{self, BufferTimeout, ConfigError, Configuration, Origin, RawValue};
use crate::graph::factory::{BuildContext, Built};
use crate::graph::job_graph::{GraphSettings, JobGraph};
use crate::graph::stream_graph::{NodeKind, StreamGraph, StreamNode};
use crate::graph::GraphError;
use crate::operator::OperatorError;
use crate::record::Data;
use crate::runtime::source::{
    restored_positions, CollectionSource, SequenceSource, Source, TypedSourceDriver,
};
use crate::runtime::typed::TypeOpsImpl;

pub(crate) struct EnvInner {
    pub(crate) graph: StreamGraph,
    pub(crate) config: Configuration,
}

/// Defines a job and runs it (Flink's `StreamExecutionEnvironment`).
#[derive(Clone)]
pub struct StreamExecutionEnvironment {
    pub(crate) inner: Rc<RefCell<EnvInner>>,
}

impl Default for StreamExecutionEnvironment {
    fn default() -> Self {
        Self::new(Configuration::default())
    }
}

impl StreamExecutionEnvironment {
    /// An environment with `config`.
    pub fn new(config: Configuration) -> Self {
        Self {
            inner: Rc::new(RefCell::new(EnvInner {
                graph: StreamGraph::default(),
                config,
            })),
        }
    }

    /// A copy of the configuration.
    pub fn config(&self) -> Configuration {
        self.inner.borrow().config.clone()
    }

    /// Sets a configuration key from code.
    pub fn set(&self, key: &str, value: RawValue) -> Result<(), ConfigError> {
        self.inner.borrow_mut().config.set(key, value, Origin::Api)
    }

    /// Sets `parallelism.default`.
    pub fn set_parallelism(&self, parallelism: usize) -> Result<(), ConfigError> {
        self.set(
            config::DEFAULT_PARALLELISM.key(),
            RawValue::Int(parallelism as i64),
        )
    }

    /// Sets `execution.buffer-timeout` for the whole job.
    pub fn set_buffer_timeout(&self, timeout: BufferTimeout) -> Result<(), ConfigError> {
        let text = match timeout {
            BufferTimeout::Disabled => "-1".to_string(),
            BufferTimeout::Interval(d) => format!("{} us", d.as_micros()),
        };
        self.set(config::BUFFER_TIMEOUT.key(), RawValue::Str(text))
    }

    /// Adds a source: `make` builds one instance per subtask.
    pub fn add_source<T, S, F>(&self, name: &str, make: F) -> DataStream<T>
    where
        T: Data,
        S: Source<T>,
        F: Fn(&BuildContext) -> Result<S, OperatorError> + Send + Sync + 'static,
    {
        let factory = move |ctx: &BuildContext, main: Box<dyn std::any::Any>, _side| {
            let out = crate::graph::factory::downcast_output::<T>(main, &ctx.name)?;
            let source: Box<dyn Source<T>> = Box::new(make(ctx)?);
            Ok(Built::Source(Box::new(TypedSourceDriver::new(source, out))))
        };
        let id = self.inner.borrow_mut().graph.add_node(StreamNode::new(
            name,
            NodeKind::Source,
            Arc::new(factory),
            Some(Arc::new(TypeOpsImpl::<T>::new())),
        ));
        DataStream::new(
            self.clone(),
            vec![StreamInput {
                node: id,
                side_output: None,
            }],
        )
    }

    /// A non-parallel source of the given elements (Flink's `fromCollection`).
    pub fn from_collection<T: Data + Sync>(&self, items: Vec<T>) -> DataStream<T> {
        let items = Arc::new(items);
        self.add_source("Collection Source", move |ctx| {
            let restored = restored_positions(ctx, "collection source")?;
            CollectionSource::resumed((*items).clone(), &restored)
        })
        .set_parallelism(1)
    }

    /// The numbers `from..=to`, split over the source's subtasks (Flink's `fromSequence`).
    pub fn from_sequence(&self, from: i64, to: i64) -> DataStream<i64> {
        self.add_source("Sequence Source", move |ctx| {
            let restored = restored_positions(ctx, "sequence source")?;
            if restored.is_empty() {
                Ok(SequenceSource::new(from, to, ctx.subtask, ctx.parallelism))
            } else {
                SequenceSource::resumed(from, to, ctx.subtask, ctx.parallelism, &restored)
            }
        })
    }

    fn settings(&self) -> GraphSettings {
        let c = &self.inner.borrow().config;
        GraphSettings {
            default_parallelism: c.get(&config::DEFAULT_PARALLELISM) as usize,
            max_parallelism: c.get(&config::MAX_PARALLELISM) as usize,
            chaining_enabled: c.get(&config::OPERATOR_CHAINING),
            buffer_timeout: c.get(&config::BUFFER_TIMEOUT),
        }
    }

    /// The job graph of what has been defined so far; the definition is consumed.
    pub fn job_graph(&self, name: &str) -> Result<JobGraph, GraphError> {
        let graph = std::mem::take(&mut self.inner.borrow_mut().graph);
        JobGraph::from_stream_graph(name, Arc::new(graph), &self.settings())
    }

    /// Runs the job on a new embedded local cluster configured like this environment.
    pub fn execute(&self, name: &str) -> Result<JobResult, JobError> {
        // Starting the cluster checks the fault-tolerance settings.
        let cluster = LocalCluster::start(&self.config())?;
        self.execute_on(&cluster, name, &LocalTransport)
    }

    /// Runs the job on a new embedded local cluster under `control` (named after it):
    /// other threads watch its status and metrics there and may cancel it.
    pub fn execute_controlled(&self, control: &Arc<JobControl>) -> Result<JobResult, JobError> {
        let config = self.config();
        let setup = LocalCluster::start(&config)
            .and_then(|cluster| Ok((cluster, Arc::new(self.job_graph(control.name())?))));
        match setup {
            Ok((cluster, job)) => cluster.execute_with_control(job, &LocalTransport, control),
            Err(e) => {
                control.ended(JobStatus::Failed, Some(e.to_string()));
                Err(e)
            }
        }
    }

    /// Runs the job on `cluster`, carrying channels with `transport`.
    pub fn execute_on(
        &self,
        cluster: &LocalCluster,
        name: &str,
        transport: &dyn ChannelTransport,
    ) -> Result<JobResult, JobError> {
        let job = Arc::new(self.job_graph(name)?);
        cluster.execute_with(job, transport)
    }
}
