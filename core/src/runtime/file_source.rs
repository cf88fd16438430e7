//! A parallel source of the lines of one file: [`LineFileSource`].
//!
//! The file is memory-mapped and cut into stripes of [`STRIPE_BYTES`], dealt round-robin
//! to the subtasks: subtask `i` of `n` owns stripes `i`, `i + n`, `i + 2n`, … and reads
//! every line that *starts* in one of them (a stripe's last line may run past its end).
//! So all subtasks move through the file together, as Flink's readers do when its
//! enumerator hands out a file's splits in order on request: a file sorted by event
//! time gives every subtask about the same watermark, and windows downstream do not wait
//! for the slowest part of the file while the others fill their state. Lines end
//! with `\n` or `\r\n`; the last line may lack its ending. Each line goes to a
//! [`LineParser`]; a line the parser rejects either fails the job with the file path,
//! the 1-based line number and the parser's message ([`OnError::Fail`], the default) or
//! is counted as skipped and, if configured, appended to a dead-letter file
//! ([`OnError::Skip`]).
//!
//! Line numbers cost nothing on the happy path: the newlines before a bad line are
//! counted only when one is reported, incrementally from the previous report.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};

use memchr::{memchr, memchr_iter};
use memmap2::{Advice, Mmap};

use crate::operator::OperatorError;
use crate::record::{Data, NO_TIMESTAMP};
use crate::runtime::progress::{Resume, RoundRobinProgress};
use crate::runtime::source::{Source, SourceContext, SourceStatus};

/// Turns one line of a file into a record.
pub trait LineParser<T>: 'static {
    /// Parses `line` (without its line ending): `Ok(None)` drops the line on purpose
    /// (neither a record nor an error, e.g. another event kind), `Err` is a malformed line.
    fn parse(&mut self, line: &[u8]) -> Result<Option<T>, String>;
    /// The event timestamp of a parsed value (epoch ms); none by default.
    fn timestamp(&self, _value: &T) -> i64 {
        NO_TIMESTAMP
    }
    /// A fast path for parsers that find the end of a well-formed line while parsing it,
    /// saving the separate search for the line end: given the bytes from a line's start
    /// to the end of the file, the value (`None`: dropped on purpose, as in
    /// [`parse`](Self::parse)) and the length of the line without its `\n`. Return `None`
    /// for anything unusual: the source then takes the general path through `parse`,
    /// which must agree on every line this accepts.
    fn parse_at(&mut self, _data: &[u8]) -> Option<(Option<T>, usize)> {
        None
    }
}

impl<T, F> LineParser<T> for F
where
    F: FnMut(&[u8]) -> Result<Option<T>, String> + 'static,
{
    fn parse(&mut self, line: &[u8]) -> Result<Option<T>, String> {
        self(line)
    }
}

/// What a source does with a line its parser rejects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnError {
    /// Fail the job, naming the file, the line number and the parser's message.
    #[default]
    Fail,
    /// Count the line as skipped and go on (and write it to the dead-letter file, if any).
    Skip,
}

/// How a [`LineFileSource`] reads its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFileOptions {
    /// Skip the file's first line (a header).
    pub skip_header: bool,
    /// What to do with malformed lines.
    pub on_error: OnError,
    /// With [`OnError::Skip`]: append every rejected line to this file. With parallelism
    /// 1 the path itself; otherwise each subtask `N` (0-based) appends to `<path>.part-N`,
    /// so no lock is needed. A file is created only when a first line is rejected.
    pub dead_letter: Option<PathBuf>,
}

/// The size of the stripes a file is dealt out in (see the module).
pub const STRIPE_BYTES: usize = 256 * 1024;

/// The stripes of a file that one subtask owns: stripe `k` of subtask `i` of `n` is the
/// file's stripe `i + k·n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stripes {
    len: usize,
    stripe: usize,
    first: usize,
    step: usize,
}

impl Stripes {
    /// The stripes of `stripe` bytes (at least 1) of a file of `len` bytes owned by
    /// subtask `subtask` of `parallelism`.
    pub fn new(len: usize, stripe: usize, subtask: usize, parallelism: usize) -> Self {
        let step = parallelism.max(1);
        Self {
            len,
            stripe: stripe.max(1),
            first: subtask.min(step),
            step,
        }
    }

    /// The byte range of the subtask's `k`-th stripe; `None` past the file's end.
    pub fn range(&self, k: usize) -> Option<Range<usize>> {
        self.global_range(k.checked_mul(self.step)?.checked_add(self.first)?)
    }

    /// The byte range of the file's stripe `index` (whoever owns it); `None` past the end.
    pub fn global_range(&self, index: usize) -> Option<Range<usize>> {
        let start = index.checked_mul(self.stripe)?;
        (start < self.len).then(|| start..start.saturating_add(self.stripe).min(self.len))
    }

    /// How many stripes the file has.
    fn count(&self) -> u64 {
        self.len.div_ceil(self.stripe) as u64
    }
}

/// The first line start at or after `start` (`data.len()` if none).
fn first_line_start(data: &[u8], start: usize) -> usize {
    if start == 0 {
        return 0;
    }
    match memchr(b'\n', &data[start - 1..]) {
        Some(i) => start + i,
        None => data.len(),
    }
}

/// The end of the line starting at `pos` (before its `\n`) and the next line's start.
#[inline]
fn line_at(data: &[u8], pos: usize) -> (usize, usize) {
    match memchr(b'\n', &data[pos..]) {
        Some(i) => (pos + i, pos + i + 1),
        None => (data.len(), data.len()),
    }
}

/// Malformed-line handling: the policy, lazy line counting and the dead-letter file.
struct ErrorPolicy {
    path: PathBuf,
    on_error: OnError,
    dead_letter: Option<PathBuf>,
    dead_out: Option<BufWriter<File>>,
    counted_pos: usize,
    counted_lines: u64,
}

impl ErrorPolicy {
    /// The 1-based number of the line starting at `pos` (positions only move forward).
    fn line_number(&mut self, data: &[u8], pos: usize) -> u64 {
        if pos < self.counted_pos {
            self.counted_pos = 0;
            self.counted_lines = 0;
        }
        self.counted_lines += memchr_iter(b'\n', &data[self.counted_pos..pos]).count() as u64;
        self.counted_pos = pos;
        self.counted_lines + 1
    }

    #[cold]
    fn reject<T: Data>(
        &mut self,
        data: &[u8],
        pos: usize,
        line: &[u8],
        message: String,
        ctx: &mut SourceContext<'_, T>,
    ) -> Result<(), OperatorError> {
        match self.on_error {
            OnError::Fail => {
                let n = self.line_number(data, pos);
                Err(OperatorError::User(format!(
                    "{}:{n}: {message}",
                    self.path.display()
                )))
            }
            OnError::Skip => {
                ctx.count_skipped();
                self.write_dead_letter(line)
            }
        }
    }

    fn write_dead_letter(&mut self, line: &[u8]) -> Result<(), OperatorError> {
        let Some(path) = &self.dead_letter else {
            return Ok(());
        };
        let fail = |source| OperatorError::Sink {
            name: format!("dead letters {}", path.display()),
            source,
        };
        if self.dead_out.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(fail)?;
            self.dead_out = Some(BufWriter::new(file));
        }
        if let Some(out) = &mut self.dead_out {
            out.write_all(line)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(fail)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), OperatorError> {
        match (&mut self.dead_out, &self.dead_letter) {
            (Some(out), Some(path)) => out.flush().map_err(|source| OperatorError::Sink {
                name: format!("dead letters {}", path.display()),
                source,
            }),
            _ => Ok(()),
        }
    }
}

/// A source of the parsed lines of one file, split over its subtasks (see the module).
pub struct LineFileSource<T, P: LineParser<T>> {
    map: Option<Mmap>,
    stripes: Stripes,
    /// The file's index of the stripe being read (`None` once past the last).
    stripe: Option<usize>,
    /// After a restore: which stripes are left, and where each starts.
    resume: Option<Resume>,
    skip_header: bool,
    pos: usize,
    end: usize,
    parser: P,
    errors: ErrorPolicy,
    _type: PhantomData<fn() -> T>,
}

impl<T: Data, P: LineParser<T>> LineFileSource<T, P> {
    /// Maps `path` for subtask `subtask` of `parallelism`; errors name the path.
    pub fn open(
        path: &Path,
        parser: P,
        options: &LineFileOptions,
        subtask: usize,
        parallelism: usize,
    ) -> Result<Self, OperatorError> {
        Self::open_striped(
            path,
            parser,
            options,
            subtask,
            parallelism,
            STRIPE_BYTES,
            &[],
        )
    }

    /// [`open`](Self::open) for the subtask `ctx` describes, going on from its restored
    /// positions when the job starts from a checkpoint.
    pub fn open_in(
        path: &Path,
        parser: P,
        options: &LineFileOptions,
        ctx: &crate::graph::factory::BuildContext,
    ) -> Result<Self, OperatorError> {
        let what = format!("file source {}", path.display());
        let restored = crate::runtime::source::restored_positions(ctx, &what)?;
        Self::open_resumed(
            path,
            parser,
            options,
            ctx.subtask,
            ctx.parallelism,
            &restored,
        )
    }

    /// [`open`](Self::open) going on from the positions of every subtask of a snapshot
    /// (taken by [`LineFileSource::position`], at any parallelism): only what they had not
    /// read is read.
    pub fn open_resumed(
        path: &Path,
        parser: P,
        options: &LineFileOptions,
        subtask: usize,
        parallelism: usize,
        restored: &[RoundRobinProgress],
    ) -> Result<Self, OperatorError> {
        Self::open_striped(
            path,
            parser,
            options,
            subtask,
            parallelism,
            STRIPE_BYTES,
            restored,
        )
    }

    /// [`open_resumed`](Self::open_resumed) with stripes of `stripe` bytes (tests use tiny
    /// ones); nothing restored when `restored` is empty.
    pub fn open_striped(
        path: &Path,
        parser: P,
        options: &LineFileOptions,
        subtask: usize,
        parallelism: usize,
        stripe: usize,
        restored: &[RoundRobinProgress],
    ) -> Result<Self, OperatorError> {
        let cannot = |e: std::io::Error| {
            OperatorError::User(format!("cannot read file {}: {e}", path.display()))
        };
        let file = File::open(path).map_err(cannot)?;
        let len = file.metadata().map_err(cannot)?.len();
        let len = usize::try_from(len)
            .map_err(|_| OperatorError::User(format!("file {} is too large", path.display())))?;
        let map = if len == 0 {
            None
        } else {
            // SAFETY: the map is read-only and private to this source. Another process
            // truncating or rewriting the file while the job runs would change the bytes
            // under us (or raise SIGBUS), as with any mmap-based reader; input files are
            // expected to stay unchanged while a job reads them.
            let map = unsafe { Mmap::map(&file) }.map_err(cannot)?;
            // Only a hint: reading works the same if the kernel ignores it.
            let _ = map.advise(Advice::Sequential);
            Some(map)
        };
        let data: &[u8] = map.as_deref().unwrap_or(&[]);
        let stripes = Stripes::new(data.len(), stripe, subtask, parallelism);
        let resume = if restored.is_empty() {
            None
        } else {
            let what = format!("file {}", path.display());
            if let Some(p) = restored.iter().find(|p| p.offset > data.len() as u64) {
                return Err(OperatorError::User(format!(
                    "{what}: cannot resume at byte {} of a file of {} bytes (has the file \
                     changed since the snapshot?)",
                    p.offset,
                    data.len()
                )));
            }
            Some(Resume::new(restored, subtask, parallelism, &what)?)
        };
        let dead_letter = options.dead_letter.as_ref().map(|p| {
            if parallelism > 1 {
                let mut name = p.as_os_str().to_owned();
                name.push(format!(".part-{subtask}"));
                PathBuf::from(name)
            } else {
                p.clone()
            }
        });
        let mut source = Self {
            map,
            stripes,
            stripe: None,
            resume,
            skip_header: options.skip_header,
            pos: 0,
            end: 0,
            parser,
            errors: ErrorPolicy {
                path: path.to_path_buf(),
                on_error: options.on_error,
                dead_letter,
                dead_out: None,
                counted_pos: 0,
                counted_lines: 0,
            },
            _type: PhantomData,
        };
        source.enter(source.next_stripe(None));
        Ok(source)
    }
}

impl<T, P: LineParser<T>> LineFileSource<T, P> {
    /// The subtask's next stripe after stripe `after` (the first if `None`) that has
    /// something left, with the position to read it from.
    fn next_stripe(&self, after: Option<usize>) -> Option<(usize, usize)> {
        let data: &[u8] = self.map.as_deref().unwrap_or(&[]);
        let (index, offset) = match &self.resume {
            Some(r) => {
                let from = after.map_or(0, |j| j as u64 + 1);
                let (u, offset) = r.next_unit(from)?;
                (usize::try_from(u).ok()?, usize::try_from(offset).ok()?)
            }
            None => match after {
                None => (self.stripes.first, 0),
                Some(j) => (j.checked_add(self.stripes.step)?, 0),
            },
        };
        let range = self.stripes.global_range(index)?;
        let start = if offset > 0 {
            offset
        } else {
            // From its first line start: a line begun in the stripe before belongs to that
            // stripe's reader.
            let pos = first_line_start(data, range.start);
            if self.skip_header && pos == 0 && !data.is_empty() {
                line_at(data, 0).1
            } else {
                pos
            }
        };
        Some((index, start))
    }

    /// Starts reading stripe `next` (or ends, for `None`).
    fn enter(&mut self, next: Option<(usize, usize)>) {
        match next.and_then(|(j, start)| Some((j, start, self.stripes.global_range(j)?))) {
            Some((j, start, range)) => {
                self.stripe = Some(j);
                self.pos = start;
                self.end = range.end;
            }
            None => {
                self.stripe = None;
                self.pos = self.stripes.len;
                self.end = self.stripes.len;
            }
        }
    }

    /// Where this subtask is, for a checkpoint: the stripe it reads and the byte of the
    /// next line (taken between batches, it covers exactly the lines emitted).
    pub fn position(&self) -> RoundRobinProgress {
        let (step, first) = (self.stripes.step, self.stripes.first);
        match self.stripe {
            Some(j) => RoundRobinProgress::at(step, first, j as u64, self.pos as u64),
            None => RoundRobinProgress::finished(step, first, self.stripes.count()),
        }
    }
}

impl<T: Data, P: LineParser<T>> Source<T> for LineFileSource<T, P> {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, T>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        let mut lines = 0;
        while lines < max && self.stripe.is_some() {
            if self.pos >= self.end {
                let next = self.next_stripe(self.stripe);
                self.enter(next);
                continue;
            }
            let data: &[u8] = self.map.as_deref().unwrap_or(&[]);
            let pos = self.pos;
            if let Some((value, len)) = self.parser.parse_at(&data[pos..]) {
                if let Some(value) = value {
                    let ts = self.parser.timestamp(&value);
                    ctx.collect_with_timestamp(value, ts)?;
                }
                self.pos = (pos + len + 1).min(data.len());
                lines += 1;
                continue;
            }
            let (line_end, next) = line_at(data, pos);
            let mut line = &data[pos..line_end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            match self.parser.parse(line) {
                Ok(Some(value)) => {
                    let ts = self.parser.timestamp(&value);
                    ctx.collect_with_timestamp(value, ts)?;
                }
                Ok(None) => {}
                Err(message) => self.errors.reject(data, pos, line, message, ctx)?,
            }
            self.pos = next;
            lines += 1;
        }
        if self.stripe.is_some() && self.pos >= self.end && self.next_stripe(self.stripe).is_none()
        {
            self.enter(None);
        }
        if self.stripe.is_none() {
            self.errors.flush()?;
            Ok(SourceStatus::Finished)
        } else {
            Ok(SourceStatus::More)
        }
    }
    fn snapshot_position(&self) -> Option<Vec<u8>> {
        Some(self.position().encode())
    }
}

#[cfg(test)]
#[path = "file_source_tests.rs"]
mod tests;
