//! Writing a segment ([`BufferBuilder`]) and reading it in place: whole, once
//! finished ([`Buffer`]), or while it is still being filled ([`BufferConsumer`]).
//!
//! A builder starts with sole ownership of its segment. [`BufferBuilder::share`]
//! hands a consumer a view of it (Flink's `BufferConsumer`): from then on the
//! builder *publishes* how far it has written ([`BufferBuilder::publish`]) with a
//! release store, and the consumer reads up to the published mark with an acquire
//! load, while the builder keeps appending past it. Bytes below the mark are never
//! written again, so the two never touch the same bytes. The segment is recycled
//! when the last of builder, finished buffer and consumer is dropped.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
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
// written only by the one `BufferBuilder` that holds it; moving it to another
// thread moves that ownership with it.
unsafe impl Send for Lease {}
// SAFETY: through `&Lease` the segment is only read, and only below the length
// its writer has finished (a `Buffer`) or published with a release store that
// the reader acquires (a `BufferConsumer`, see `Segment`); the one builder writes
// only above that length, so a shared lease never sees a byte read and written
// concurrently.
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

/// Set in [`Segment::mark`] once the builder is done: no byte will be published after.
const FINISHED: usize = 1 << (usize::BITS - 1);

/// A segment shared by its builder and a consumer reading it as it fills.
struct Segment {
    lease: Lease,
    /// Bytes published to the consumer, with [`FINISHED`] set once no more will come.
    mark: AtomicUsize,
}

/// How a builder or buffer holds its segment.
enum Hold {
    /// Alone: nobody else reads the segment.
    Owned(Lease),
    /// Together with a [`BufferConsumer`].
    Shared(WriterEnd),
}

impl Hold {
    fn lease(&self) -> &Lease {
        match self {
            Hold::Owned(l) => l,
            Hold::Shared(w) => &w.0.lease,
        }
    }
}

/// The writing side's handle on a shared segment. However the builder ends
/// (finished, or dropped unfinished), its consumer learns that no more bytes come.
struct WriterEnd(Arc<Segment>);

impl Drop for WriterEnd {
    fn drop(&mut self) {
        // Keeps the published length: an unfinished builder's unpublished bytes
        // stay unseen.
        self.0.mark.fetch_or(FINISHED, Ordering::Release);
    }
}

/// Write access to one segment taken from a
/// [`LocalBufferPool`](super::LocalBufferPool).
///
/// Bytes are appended at the end ([`append`](Self::append), or
/// [`spare_mut`](Self::spare_mut) + [`advance`](Self::advance) to write in
/// place, e.g. from a socket); [`finish`](Self::finish) freezes them into a
/// [`Buffer`]; [`share`](Self::share) lets a consumer read them before that.
/// Dropping an unfinished builder recycles the segment (once no consumer holds it).
pub struct BufferBuilder {
    hold: Hold,
    capacity: usize,
    len: usize,
    /// How many bytes a consumer may read (0 while the segment is not shared).
    published: usize,
}

impl BufferBuilder {
    pub(crate) fn new(lease: Lease, capacity: usize) -> Self {
        BufferBuilder {
            hold: Hold::Owned(lease),
            capacity,
            len: 0,
            published: 0,
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

    /// Bytes written but not yet visible to a consumer (all of them until shared).
    pub fn unpublished(&self) -> usize {
        self.len - self.published
    }

    /// Whether a [`BufferConsumer`] reads this segment.
    pub fn is_shared(&self) -> bool {
        matches!(self.hold, Hold::Shared(_))
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
        // SAFETY: the builder is the segment's only writer (its lease came from the
        // pool to it alone; a consumer only reads); `len <= capacity`, so the range
        // `ptr + len .. ptr + capacity` is inside the segment, which the pool the
        // lease holds keeps mapped; the bytes are initialized (anonymous maps are
        // zero-filled, later uses leave bytes); a consumer reads only below the
        // published mark, which never exceeds `len`, so no reader overlaps this
        // range; and `&mut self` makes the returned borrow the only one into it.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.hold.lease().ptr.as_ptr().add(self.len),
                self.remaining(),
            )
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
        bytes_of(self.hold.lease(), self.len)
    }

    /// Shares the segment with a consumer, which sees every byte written so far and
    /// whatever is [published](Self::publish) later; a builder already shared only
    /// publishes, and gives no second consumer.
    pub fn share(self) -> (BufferBuilder, Option<BufferConsumer>) {
        let BufferBuilder {
            hold,
            capacity,
            len,
            published,
        } = self;
        match hold {
            Hold::Owned(lease) => {
                let seg = Arc::new(Segment {
                    lease,
                    mark: AtomicUsize::new(len),
                });
                let consumer = BufferConsumer { seg: seg.clone() };
                let builder = BufferBuilder {
                    hold: Hold::Shared(WriterEnd(seg)),
                    capacity,
                    len,
                    published: len,
                };
                (builder, Some(consumer))
            }
            hold @ Hold::Shared(_) => {
                let mut builder = BufferBuilder {
                    hold,
                    capacity,
                    len,
                    published,
                };
                builder.publish();
                (builder, None)
            }
        }
    }

    /// Makes every byte written so far visible to the consumer (nothing to do while
    /// the segment is not shared).
    pub fn publish(&mut self) {
        if let Hold::Shared(w) = &self.hold {
            // Release: the bytes written below `len` happen-before a consumer's
            // acquire load that sees this mark.
            w.0.mark.store(self.len, Ordering::Release);
            self.published = self.len;
        }
    }

    /// Freezes the written bytes into a [`Buffer`] produced by this process; a
    /// consumer of a shared builder sees them all, and that no more will come.
    pub fn finish(self) -> Buffer {
        self.freeze(false)
    }

    /// Freezes the written bytes into a [`Buffer`] whose bytes came from outside
    /// the process (the network): readers must validate them before trusting them.
    pub fn finish_foreign(self) -> Buffer {
        self.freeze(true)
    }

    fn freeze(self, foreign: bool) -> Buffer {
        if let Hold::Shared(w) = &self.hold {
            w.0.mark.store(self.len | FINISHED, Ordering::Release);
        }
        Buffer {
            hold: self.hold,
            len: self.len,
            foreign,
        }
    }
}

impl std::fmt::Debug for BufferBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferBuilder")
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .field("published", &self.published)
            .field("shared", &self.is_shared())
            .finish()
    }
}

/// A reader's view of a segment its builder is still filling: it sees the bytes
/// published so far, and learns when the builder has finished.
pub struct BufferConsumer {
    seg: Arc<Segment>,
}

impl BufferConsumer {
    /// The bytes published so far (16-byte aligned at the start), and whether the
    /// builder has finished (then these are all the bytes there will be).
    pub fn published(&self) -> (&[u8], bool) {
        // Acquire: pairs with the builder's release store, so the bytes below the
        // mark are visible here.
        let mark = self.seg.mark.load(Ordering::Acquire);
        (
            bytes_of(&self.seg.lease, mark & !FINISHED),
            mark & FINISHED != 0,
        )
    }
}

impl std::fmt::Debug for BufferConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (bytes, finished) = self.published();
        f.debug_struct("BufferConsumer")
            .field("published", &bytes.len())
            .field("finished", &finished)
            .finish()
    }
}

/// An immutable, filled segment, read in place; dropping it (on any thread)
/// returns the segment to the pool that owns it (once no consumer holds it
/// either) and wakes a waiting task.
pub struct Buffer {
    hold: Hold,
    len: usize,
    foreign: bool,
}

impl Buffer {
    /// The filled bytes; the slice starts 16-byte aligned.
    pub fn as_bytes(&self) -> &[u8] {
        bytes_of(self.hold.lease(), self.len)
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

    /// Whether a [`BufferConsumer`] was handed out while it was being built: its
    /// reader already has (or will see) every byte through that view.
    pub fn is_shared(&self) -> bool {
        matches!(self.hold, Hold::Shared(_))
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
    // nothing writes them while the slice lives: callers pass a length the
    // builder has already written (its own `len`), finished (a `Buffer`) or
    // published (a `BufferConsumer`, after an acquire load), and the builder
    // writes only above its `len` through `&mut self`.
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

    #[test]
    fn a_consumer_sees_only_what_was_published() {
        let net = net_pool(1, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let mut b = pool.try_request().unwrap();
        b.append(b"0123");
        assert!(!b.is_shared());
        assert_eq!(b.unpublished(), 4);
        let (mut b, consumer) = b.share();
        let consumer = consumer.expect("first share gives a consumer");
        assert!(b.is_shared());
        assert_eq!(b.unpublished(), 0);
        assert_eq!(consumer.published(), (&b"0123"[..], false));
        assert_eq!(consumer.published().0.as_ptr() as usize % 16, 0);
        b.append(b"4567");
        assert_eq!(b.unpublished(), 4);
        assert_eq!(consumer.published().0, b"0123", "not yet published");
        b.publish();
        assert_eq!(consumer.published(), (&b"01234567"[..], false));
        b.append(b"89");
        let (b, again) = b.share();
        assert!(again.is_none(), "one consumer per builder");
        assert_eq!(
            consumer.published().0,
            b"0123456789",
            "sharing again publishes"
        );
        let buf = b.finish();
        assert!(buf.is_shared());
        assert_eq!(consumer.published(), (&b"0123456789"[..], true));
        assert_eq!(&*buf, b"0123456789");
        drop(buf);
        assert_eq!(pool.in_use(), 1, "the consumer still holds the segment");
        assert!(format!("{consumer:?}").contains("finished: true"));
        drop(consumer);
        assert_eq!(pool.in_use(), 0, "recycled once both ends are gone");
    }

    #[test]
    fn dropping_a_shared_builder_finishes_at_the_published_mark() {
        let net = net_pool(1, 256);
        let pool = net.create_local_pool("p", 1).unwrap();
        let mut b = pool.try_request().unwrap();
        b.append(b"ab");
        let (mut b, consumer) = b.share();
        let consumer = consumer.unwrap();
        b.append(b"never published");
        drop(b);
        assert_eq!(consumer.published(), (&b"ab"[..], true));
        assert_eq!(pool.in_use(), 1);
        drop(consumer);
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn a_consumer_on_another_thread_reads_while_the_builder_writes() {
        // 8-byte counters, each published on its own: the reader must see every
        // one, in order, and never a byte that was not yet written.
        const N: u64 = 4096;
        let net = net_pool(1, N as usize * 8);
        let pool = net.create_local_pool("p", 1).unwrap();
        let b = pool.try_request().unwrap();
        let (mut b, consumer) = b.share();
        let consumer = consumer.unwrap();
        let reader = thread::spawn(move || {
            let mut next = 0u64;
            loop {
                let (bytes, finished) = consumer.published();
                let whole = bytes.len() / 8;
                for chunk in bytes[next as usize * 8..whole * 8].chunks_exact(8) {
                    let v = u64::from_le_bytes(chunk.try_into().unwrap());
                    assert_eq!(v, next + 1);
                    next += 1;
                }
                if finished {
                    return next;
                }
                std::hint::spin_loop();
            }
        });
        for i in 1..=N {
            b.append(&i.to_le_bytes());
            b.publish();
        }
        drop(b.finish());
        assert_eq!(reader.join().unwrap(), N);
        assert_eq!(pool.in_use(), 0);
    }
}
