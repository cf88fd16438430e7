//! TOML job files: a job declared as runtime configuration, sources with a row schema,
//! steps and sinks, built into the same graph the DataStream API builds.
//!
//! - [`doc`]: positioned TOML reading (every error names file and line).
//! - [`spec`]: the job file's model.
//! - [`build`]: from the model to a stream graph on a `StreamExecutionEnvironment`.

pub mod build;
pub mod doc;
pub mod spec;

pub use doc::JobFileError;
pub use spec::JobSpec;
