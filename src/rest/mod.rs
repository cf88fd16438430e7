//! The REST endpoint of a running `weir run`, in the shape of Flink's REST API, and the
//! client the control commands (`weir list`, `cancel`, `savepoint`, `stop`) use.
//!
//! - [`router`]: requests to replies, without I/O (paths, methods, errors).
//! - [`json`]: Flink's JSON shapes of a job (`/jobs`, `/jobs/overview`, `/jobs/:jobid`).
//! - [`http`]: reading a request and writing a reply on a socket (`httparse`).
//! - [`server`]: the listener thread, started by `weir run` and stopped when the job ends.
//! - [`client`]: one request to the endpoint, with errors that say what to check.

pub mod client;
pub mod http;
pub mod json;
pub mod router;
pub mod server;
