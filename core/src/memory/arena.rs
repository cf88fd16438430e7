//! The arena: one anonymous memory map per TaskManager, carved into segments.

use std::ptr::NonNull;
use std::sync::Arc;

use memmap2::{MmapMut, MmapRaw};

use super::error::MemoryError;

/// The smallest segment size (`taskmanager.memory.segment-size`) accepted.
pub const MIN_SEGMENT_SIZE: usize = 256;

/// The largest segment size accepted (frame lengths are 32-bit).
pub const MAX_SEGMENT_SIZE: usize = 1 << 30;

/// The alignment every segment start has, at least (rkyv reads archives in place).
pub const SEGMENT_ALIGN: usize = 16;

/// The most segments one arena holds (segment indices are `u32`).
pub const MAX_SEGMENTS: usize = u32::MAX as usize;

/// One anonymous mapping carved into `num_segments` segments of `segment_size` bytes.
///
/// The arena never hands out references itself: the buffer pools keep track of
/// which segment is whose, and the only access to a segment's bytes is through
/// the [`BufferBuilder`](super::BufferBuilder) or [`Buffer`](super::Buffer) that
/// holds it. The mapping is released when the last `Arc<Arena>` goes, which the
/// pools and buffers keep alive.
pub struct Arena {
    /// The mapping. Only ever used through raw pointers, never through `&[u8]`
    /// over the whole of it, so that disjoint segments can be written at once.
    map: MmapRaw,
    segment_size: usize,
    num_segments: usize,
}

impl Arena {
    /// Maps `total_bytes` (rounded down to whole segments) of anonymous memory.
    ///
    /// `total_bytes` is `taskmanager.memory.network.max`, `segment_size` is
    /// `taskmanager.memory.segment-size`: a power of two from 256 bytes to 1 GiB.
    pub fn new(total_bytes: usize, segment_size: usize) -> Result<Arc<Arena>, MemoryError> {
        if !segment_size.is_power_of_two()
            || !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&segment_size)
        {
            return Err(MemoryError::InvalidSegmentSize {
                size: segment_size,
                min: MIN_SEGMENT_SIZE,
                max: MAX_SEGMENT_SIZE,
            });
        }
        let num_segments = total_bytes / segment_size;
        if num_segments == 0 {
            return Err(MemoryError::TooLittleMemory {
                total: total_bytes,
                segment_size,
            });
        }
        if num_segments > MAX_SEGMENTS {
            return Err(MemoryError::TooManySegments {
                total: total_bytes,
                segment_size,
                segments: num_segments,
                max: MAX_SEGMENTS,
            });
        }
        let bytes = num_segments * segment_size;
        let map = MmapMut::map_anon(bytes).map_err(|source| MemoryError::Map { bytes, source })?;
        let map = MmapRaw::from(map);
        // mmap returns page-aligned memory and the segment size is a power of two
        // of at least 256, so every segment start is at least 16-byte aligned.
        assert_eq!(
            map.as_ptr() as usize % SEGMENT_ALIGN,
            0,
            "mmap is page aligned"
        );
        Ok(Arc::new(Arena {
            map,
            segment_size,
            num_segments,
        }))
    }

    /// The size of every segment in bytes.
    pub fn segment_size(&self) -> usize {
        self.segment_size
    }

    /// How many segments the arena holds.
    pub fn num_segments(&self) -> usize {
        self.num_segments
    }

    /// The arena's size in bytes (`num_segments * segment_size`).
    pub fn total_bytes(&self) -> usize {
        self.num_segments * self.segment_size
    }

    /// The start of segment `index`. Computing it is safe; reading or writing
    /// through it is up to whoever owns the segment.
    ///
    /// # Panics
    /// If `index >= num_segments()`.
    pub(crate) fn segment_ptr(&self, index: usize) -> NonNull<u8> {
        assert!(index < self.num_segments, "segment {index} out of range");
        let base = self.map.as_mut_ptr();
        // SAFETY: `index < num_segments`, so the offset `index * segment_size` is
        // inside the mapping of `num_segments * segment_size` bytes that `base`
        // points to; `base` is non-null (a successful mmap of a non-zero length),
        // so `base + offset` is non-null too.
        unsafe { NonNull::new_unchecked(base.add(index * self.segment_size)) }
    }
}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena")
            .field("segment_size", &self.segment_size)
            .field("num_segments", &self.num_segments)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_carves_disjoint_aligned_segments() {
        let arena = Arena::new(64 * 1024 + 100, 4096).unwrap();
        assert_eq!(arena.segment_size(), 4096);
        assert_eq!(arena.num_segments(), 16);
        assert_eq!(arena.total_bytes(), 64 * 1024);
        let ptrs: Vec<usize> = (0..arena.num_segments())
            .map(|i| arena.segment_ptr(i).as_ptr() as usize)
            .collect();
        for (i, p) in ptrs.iter().enumerate() {
            assert_eq!(p % SEGMENT_ALIGN, 0, "segment {i} aligned");
            if i > 0 {
                assert_eq!(p - ptrs[i - 1], 4096, "segment {i} follows its predecessor");
            }
        }
    }

    #[test]
    fn arena_rejects_bad_segment_size_naming_the_setting() {
        for bad in [0, 100, 255, 300, 2 << 30] {
            let err = Arena::new(1 << 20, bad).unwrap_err();
            assert!(
                matches!(err, MemoryError::InvalidSegmentSize { .. }),
                "{bad}"
            );
            assert!(
                err.to_string().contains("taskmanager.memory.segment-size"),
                "{err}"
            );
        }
    }

    #[test]
    fn arena_rejects_too_little_memory_naming_the_setting() {
        let err = Arena::new(1000, 1024).unwrap_err();
        assert!(matches!(err, MemoryError::TooLittleMemory { .. }));
        let msg = err.to_string();
        assert!(msg.contains("taskmanager.memory.network.max"), "{msg}");
        assert!(msg.contains("1000 bytes"), "{msg}");
    }

    #[test]
    fn arena_rejects_too_many_segments_naming_the_setting() {
        let err = Arena::new((MAX_SEGMENTS + 1) * 256, 256).unwrap_err();
        assert!(matches!(err, MemoryError::TooManySegments { .. }));
        assert!(
            err.to_string().contains("taskmanager.memory.network.max"),
            "{err}"
        );
    }

    #[test]
    fn arena_reports_mapping_failure() {
        // 128 TiB: more than a process's address space, so the kernel refuses it.
        let err = Arena::new(1 << 47, 1 << 30).unwrap_err();
        assert!(matches!(err, MemoryError::Map { .. }), "{err:?}");
        assert!(
            err.to_string().contains("taskmanager.memory.network.max"),
            "{err}"
        );
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn segment_ptr_checks_its_index() {
        let arena = Arena::new(4096, 4096).unwrap();
        let _ = arena.segment_ptr(1);
    }
}
