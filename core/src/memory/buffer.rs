//! Writing a segment once ([`BufferBuilder`]) and reading it in place ([`Buffer`]).

use std::ptr::NonNull;
use std::sync::Arc;

use super::local_pool::PoolShared;

/// Exclusive hold on one segment of a pool; dropping it recycles the segment.
pub(crate) struct Lease {
    pool: Arc<PoolShared>,
    ptr: NonNull<u8>,
    slot: u32,
}

// SAFETY: a lease is the only handle to its segment (the pool hands each free
// slot to exactly one lease and takes it back only when the lease drops), the
// pointer stays valid while `pool` keeps the arena mapped, and the bytes are
// written only through `&mut BufferBuilder`; moving it to another thread moves
// that exclusive ownership with it.
unsafe impl Send for Lease {}
// SAFETY: through `&Lease` (and so `&BufferBuilder` / `&Buffer`) the segment is
// only read, never written, so sharing it between threads is sound.
unsafe impl Sync for Lease {}

impl Lease {
    pub(crate) fn new(pool: Arc<PoolShared>, ptr: NonNull<u8>, slot: u32) -> Self {
        Lease { pool, ptr, slot }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.pool.recycle(self.slot, self.ptr);
    }
}

/// Exclusive write access to one empty segment taken from a
/// [`LocalBufferPool`](super::LocalBufferPool).
///
/// Bytes are appended at the end ([`append`](Self::append), or
/// [`spare_mut`](Self::spare_mut) + [`advance`](Self::advance) to write in
/// place, e.g. from a socket); [`finish`](Self::finish) freezes them into a
/// [`Buffer`]. Dropping an unfinished builder recycles the segment.
pub struct BufferBuilder {
    lease: Lease,
    capacity: usize,
    len: usize,
}

impl BufferBuilder {
    pub(crate) fn new(lease: Lease, capacity: usize) -> Self {
        BufferBuilder {
            lease,
            capacity,
            len: 0,
        }
    }

    /// The segment size: how many bytes the buffer can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many bytes have been written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// How many more bytes fit.
    pub fn remaining(&self) -> usize {
        self.capacity - self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether no more bytes fit.
    pub fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    /// Copies as much of `bytes` as fits; returns how many bytes were copied.
    pub fn append(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.remaining());
        self.spare_mut()[..n].copy_from_slice(&bytes[..n]);
        self.len += n;
        n
    }

    /// The unwritten rest of the segment, to fill in place before
    /// [`advance`](Self::advance). It holds stale bytes from earlier use.
    pub fn spare_mut(&mut self) -> &mut [u8] {
        // SAFETY: the lease gives this builder exclusive access to the
        // `capacity` bytes at `ptr` (a segment of the arena, kept mapped by the
        // pool the lease holds); `len <= capacity`, so the range
        // `ptr + len .. ptr + capacity` is inside the segment; the bytes are
        // initialized (anonymous maps are zero-filled, later uses leave bytes);
        // and `&mut self` makes the returned borrow the only one.
        unsafe {
            std::slice::from_raw_parts_mut(self.lease.ptr.as_ptr().add(self.len), self.remaining())
        }
    }

    /// Marks `n` more bytes (written through [`spare_mut`](Self::spare_mut)) as filled.
    ///
    /// # Panics
    /// If `n > remaining()`.
    pub fn advance(&mut self, n: usize) {
        assert!(
            n <= self.remaining(),
            "advance({n}) past the end of the buffer ({} bytes remaining)",
            self.remaining()
        );
        self.len += n;
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        bytes_of(&self.lease, self.len)
    }

    /// Freezes the written bytes into a [`Buffer`] produced by this process.
    pub fn finish(self) -> Buffer {
        Buffer {
            lease: self.lease,
            len: self.len,
            foreign: false,
        }
    }

    /// Freezes the written bytes into a [`Buffer`] whose bytes came from outside
    /// the process (the network): readers must validate them before trusting them.
    pub fn finish_foreign(self) -> Buffer {
        Buffer {
            lease: self.lease,
            len: self.len,
            foreign: true,
        }
    }
}

impl std::fmt::Debug for BufferBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferBuilder")
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .finish()
    }
}

/// An immutable, filled segment, read in place; dropping it (on any thread)
/// returns the segment to the pool that owns it and wakes a waiting task.
pub struct Buffer {
    lease: Lease,
    len: usize,
    foreign: bool,
}

impl Buffer {
    /// The filled bytes; the slice starts 16-byte aligned.
    pub fn as_bytes(&self) -> &[u8] {
        bytes_of(&self.lease, self.len)
    }

    /// How many bytes are filled.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no byte is filled.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the bytes came from outside the process and must be validated
    /// (bounds checks, `rkyv` access with validation) before being trusted.
    pub fn is_foreign(&self) -> bool {
        self.foreign
    }
}

impl std::ops::Deref for Buffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Buffer {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.len)
            .field("foreign", &self.foreign)
            .finish()
    }
}

fn bytes_of(lease: &Lease, len: usize) -> &[u8] {
    // SAFETY: `len` never exceeds the segment size (the builder checks every
    // advance), so `ptr .. ptr + len` is inside the lease's segment, which stays
    // mapped while the lease's pool is alive; the bytes are initialized; and
    // nothing writes them while `&Lease` is borrowed (writes need
    // `&mut BufferBuilder`, and a `Buffer` is never written).
    unsafe { std::slice::from_raw_parts(lease.ptr.as_ptr(), len) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::test_util::net_pool;
    use std::thread;

    #[test]
    fn builder_appends_what_fits_and_finishes() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let mut b = pool.try_request().unwrap();
        assert_eq!((b.capacity(), b.len(), b.remaining()), (256, 0, 256));
        assert!(b.is_empty());
        assert_eq!(b.append(&[7; 200]), 200);
        assert_eq!(b.append(&[9; 100]), 56, "only what fits");
        assert!(b.is_full());
        assert_eq!(b.append(b"more"), 0);
        assert_eq!(&b.written()[198..202], &[7, 7, 9, 9]);
        let buf = b.finish();
        assert_eq!(buf.len(), 256);
        assert!(!buf.is_foreign());
        assert_eq!(buf.as_bytes()[..200], [7; 200]);
        assert_eq!(buf.as_bytes()[200..], [9; 56]);
        assert_eq!(buf.as_bytes().as_ptr() as usize % 16, 0);
    }

    #[test]
    fn spare_mut_and_advance_write_in_place() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let mut b = pool.try_request().unwrap();
        b.append(b"ab");
        let spare = b.spare_mut();
        assert_eq!(spare.len(), 254);
        spare[..3].copy_from_slice(b"cde");
        b.advance(3);
        let buf = b.finish_foreign();
        assert!(buf.is_foreign());
        assert_eq!(&*buf, b"abcde");
        assert!(!buf.is_empty());
    }

    #[test]
    #[should_panic(expected = "past the end")]
    fn advance_past_the_end_panics() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let mut b = pool.try_request().unwrap();
        b.advance(257);
    }

    #[test]
    fn dropping_an_unfinished_builder_recycles() {
        let net = net_pool(2, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let b = pool.try_request().unwrap();
        assert!(pool.try_request().is_none());
        drop(b);
        assert!(pool.try_request().is_some());
    }

    #[test]
    fn buffers_are_disjoint_and_survive_a_trip_to_another_thread() {
        let net = net_pool(8, 256);
        let pool = net.create_local_pool("p", 8).unwrap();
        let mut builders: Vec<_> = (0..8).map(|_| pool.try_request().unwrap()).collect();
        // Fill every segment to the brim with its own byte: any overlap shows.
        for (i, b) in builders.iter_mut().enumerate() {
            b.spare_mut().fill(i as u8);
            b.advance(256);
        }
        let buffers: Vec<Buffer> = builders.into_iter().map(BufferBuilder::finish).collect();
        let back = thread::spawn(move || {
            for (i, b) in buffers.iter().enumerate() {
                assert_eq!(b.as_bytes().as_ptr() as usize % 16, 0);
                assert!(b.as_bytes().iter().all(|&x| x == i as u8), "segment {i}");
            }
            buffers
        })
        .join()
        .unwrap();
        let shared = &back[3];
        thread::scope(|s| {
            s.spawn(|| assert_eq!(shared.as_bytes()[0], 3));
        });
        drop(back);
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn recycled_segments_are_reused_with_stale_bytes() {
        let net = net_pool(1, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let mut b = pool.try_request().unwrap();
        b.append(&[0xAB; 16]);
        drop(b.finish());
        let mut b = pool.try_request().unwrap();
        assert_eq!(b.len(), 0, "a recycled builder starts empty");
        assert_eq!(b.spare_mut()[..16], [0xAB; 16]);
    }
}
