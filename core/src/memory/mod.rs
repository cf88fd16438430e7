//! The data plane's memory: one [`Arena`] of fixed-size segments per
//! TaskManager, a global [`NetworkBufferPool`] that hands out reservations of
//! them, bounded [`LocalBufferPool`]s that give backpressure, and the
//! [`BufferBuilder`] / [`Buffer`] pair through which a segment is written once
//! and then read in place (on any core) until it is dropped and recycled.
//!
//! Ownership, from the bottom up:
//!
//! ```text
//! Arena (one anonymous mmap, carved into segments; never freed while in use)
//!   └─ NetworkBufferPool (free list of segment indices; Arc)
//!        └─ LocalBufferPool (reserves `capacity` segments at creation; Clone = shared handle)
//!             └─ BufferBuilder ─finish─▶ Buffer (each holds its pool alive; Drop recycles)
//!                  └─share─▶ BufferConsumer (reads what the builder publishes while it fills)
//! ```
//!
//! A local pool's segments go back to the network pool only when its last
//! handle and its last outstanding buffer are gone, so a buffer can never
//! outlive the memory it points into.

pub mod arena;
pub mod buffer;
pub mod error;
pub mod local_pool;
pub mod network_pool;

pub use arena::Arena;
pub use buffer::{Buffer, BufferBuilder, BufferConsumer};
pub use error::MemoryError;
pub use local_pool::LocalBufferPool;
pub use network_pool::NetworkBufferPool;

#[cfg(test)]
pub(crate) mod test_util;
