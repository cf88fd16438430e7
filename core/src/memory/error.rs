//! Errors of the memory layer; each names the setting to change.

/// What went wrong while setting up network memory.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// The segment size is not a power of two in the supported range.
    #[error(
        "invalid taskmanager.memory.segment-size: {size} bytes (must be a power of two \
         between {min} and {max} bytes)"
    )]
    InvalidSegmentSize {
        /// The size that was asked for.
        size: usize,
        /// The smallest supported size.
        min: usize,
        /// The largest supported size.
        max: usize,
    },
    /// The total network memory does not hold a single segment.
    #[error(
        "taskmanager.memory.network.max is {total} bytes, less than one segment of \
         {segment_size} bytes (taskmanager.memory.segment-size)"
    )]
    TooLittleMemory {
        /// The total that was asked for.
        total: usize,
        /// The segment size.
        segment_size: usize,
    },
    /// The total network memory holds more segments than can be indexed.
    #[error(
        "taskmanager.memory.network.max is {total} bytes: {segments} segments of \
         {segment_size} bytes are more than the {max} supported; raise \
         taskmanager.memory.segment-size or lower taskmanager.memory.network.max"
    )]
    TooManySegments {
        /// The total that was asked for.
        total: usize,
        /// The segment size.
        segment_size: usize,
        /// How many segments that would make.
        segments: usize,
        /// The most segments supported.
        max: usize,
    },
    /// The operating system refused the anonymous mapping.
    #[error(
        "cannot map {bytes} bytes of network memory (taskmanager.memory.network.max): {source}"
    )]
    Map {
        /// The size of the mapping.
        bytes: usize,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Not enough free segments for a new local buffer pool.
    #[error(
        "not enough network memory for {name}: needs {needs} segments of {segment_size} bytes, \
         {free} free; raise taskmanager.memory.network.max or lower \
         taskmanager.network.memory.buffers-per-channel / floating-buffers-per-gate"
    )]
    NotEnoughNetworkMemory {
        /// The pool that asked.
        name: String,
        /// How many segments it asked for.
        needs: usize,
        /// The segment size.
        segment_size: usize,
        /// How many segments were free.
        free: usize,
    },
    /// A local buffer pool was asked for with no segment at all.
    #[error(
        "local buffer pool {name} needs at least one segment; raise \
         taskmanager.network.memory.buffers-per-channel"
    )]
    EmptyPool {
        /// The pool that asked.
        name: String,
    },
}
