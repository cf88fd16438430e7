//! The DataStream API, in the shape of Flink's: an environment builds a stream graph
//! from sources, transformations, partitionings and sinks, then executes it.
//!
//! - [`environment`]: `StreamExecutionEnvironment` — configuration, sources, execution.
//! - [`datastream`]: `DataStream` — transformations, partitioning, operator settings.
//! - [`keyed`]: `KeyedStream` — rolling aggregates by key.
//! - [`connected`]: `ConnectedStreams` — two inputs into one operator (`connect`).
//! - [`windowed`]: `WindowedStream` — windows on a keyed stream, `window_all`.
//! - [`window_join`]: window joins and co-groups (`join`, `co_group`).
//! - [`join`]: joins of two keyed streams — `interval_join` and `join_in_state`.
//! - [`sink`]: sinks on a stream and the handle of a collecting sink.

pub mod connected;
pub mod datastream;
pub mod environment;
pub mod join;
pub mod keyed;
pub mod sink;
pub mod window_join;
pub mod windowed;

pub use connected::{ConnectedStreams, KeyedConnectedStreams};
pub use datastream::DataStream;
pub use environment::StreamExecutionEnvironment;
pub use join::{IntervalJoin, IntervalJoined, RegularJoin};
pub use keyed::KeyedStream;
pub use sink::{CollectHandle, DataStreamSink};
pub use windowed::{NoEvictor, WindowedStream};
