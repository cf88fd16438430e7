//! Sinks: the end of a stream. Print, CSV file, blackhole and collect, each optionally
//! rate-limited to emulate a slow consumer (the task pauses; nothing is dropped).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{OpResult, OperatorError, Output};
use crate::record::{Data, Record};
use crate::runtime::clock::SharedClock;
use crate::time::WatermarkStatus;

/// Formats one record as a line of text (without the newline).
pub type Formatter<T> =
    Arc<dyn Fn(&Record<'_, T>, &mut Vec<u8>) -> Result<(), OperatorError> + Send + Sync>;

/// Where a sink's records go.
pub trait SinkWriter<T: Data>: 'static {
    /// Writes one record.
    fn write(&mut self, record: &Record<'_, T>, timestamp: i64) -> OpResult;
    /// Flushes buffered output (at the end of input).
    fn flush(&mut self) -> OpResult;
}

/// Paces a sink to at most `rate` records per second of the task clock.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate: f64,
    start_nanos: Option<u64>,
    count: u64,
}

impl RateLimiter {
    /// A limiter of `rate` records per second (must be > 0).
    pub fn new(rate: f64) -> Self {
        debug_assert!(rate > 0.0);
        Self {
            rate,
            start_nanos: None,
            count: 0,
        }
    }

    /// Counts one record at `now`; returns the instant before which the next may not pass.
    pub fn after_record(&mut self, now: u64) -> Option<u64> {
        let start = *self.start_nanos.get_or_insert(now);
        self.count += 1;
        let due = start + (self.count as f64 * 1e9 / self.rate) as u64;
        (due > now).then_some(due)
    }
}

/// Runs a [`SinkWriter`] inside a chain, with an optional rate limit.
pub struct SinkOperator<T: Data, W: SinkWriter<T>> {
    writer: W,
    limiter: Option<RateLimiter>,
    clock: SharedClock,
    pause: Option<u64>,
    _type: std::marker::PhantomData<fn(T)>,
}

impl<T: Data, W: SinkWriter<T>> SinkOperator<T, W> {
    /// A sink; `rate_limit` in records per second.
    pub fn new(writer: W, rate_limit: Option<f64>, clock: SharedClock) -> Self {
        Self {
            writer,
            limiter: rate_limit.map(RateLimiter::new),
            clock,
            pause: None,
            _type: std::marker::PhantomData,
        }
    }
}

impl<T: Data, W: SinkWriter<T>> Output<T> for SinkOperator<T, W> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        self.writer.write(&record, timestamp)?;
        if let Some(limiter) = &mut self.limiter {
            self.pause = limiter.after_record(self.clock.now_nanos());
        }
        Ok(())
    }
    fn emit_watermark(&mut self, _watermark: i64) -> OpResult {
        Ok(())
    }
    fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
        Ok(())
    }
    fn finish(&mut self) -> OpResult {
        self.writer.flush()
    }
    fn checkpoint(&mut self, call: &mut super::CheckpointCall<'_>) -> OpResult {
        // At least once: what the checkpoint covers is written out before it completes.
        match call {
            super::CheckpointCall::Snapshot(_) => self.writer.flush(),
            _ => Ok(()),
        }
    }
    fn pause_until(&self) -> Option<u64> {
        self.pause
    }
}

/// Discards records (Flink's `DiscardingSink`), used to time a pipeline.
#[derive(Debug, Default)]
pub struct BlackholeWriter;

impl<T: Data> SinkWriter<T> for BlackholeWriter {
    fn write(&mut self, record: &Record<'_, T>, _timestamp: i64) -> OpResult {
        std::hint::black_box(record);
        Ok(())
    }
    fn flush(&mut self) -> OpResult {
        Ok(())
    }
}

/// Writes formatted lines to a file or stdout.
pub struct LineWriter<T: Data> {
    name: String,
    prefix: Vec<u8>,
    format: Formatter<T>,
    line: Vec<u8>,
    out: BufWriter<Box<dyn Write>>,
}

impl<T: Data> LineWriter<T> {
    /// Prints to stdout; with more than one subtask each line starts with `N> `, as in Flink.
    pub fn stdout(format: Formatter<T>, subtask: usize, parallelism: usize) -> Self {
        let prefix = if parallelism > 1 {
            format!("{}> ", subtask + 1).into_bytes()
        } else {
            Vec::new()
        };
        let out: Box<dyn Write> = Box::new(std::io::stdout());
        Self {
            name: "print".into(),
            prefix,
            format,
            line: Vec::new(),
            out: BufWriter::with_capacity(1 << 16, out),
        }
    }

    /// Writes to `path`, or with more than one subtask to `path/part-N.csv`.
    pub fn file(
        path: &std::path::Path,
        format: Formatter<T>,
        subtask: usize,
        parallelism: usize,
    ) -> Result<Self, OperatorError> {
        let target: PathBuf = if parallelism > 1 {
            std::fs::create_dir_all(path).map_err(|source| OperatorError::Sink {
                name: path.display().to_string(),
                source,
            })?;
            path.join(format!("part-{subtask}.csv"))
        } else {
            path.to_path_buf()
        };
        let file = File::create(&target).map_err(|source| OperatorError::Sink {
            name: target.display().to_string(),
            source,
        })?;
        let out: Box<dyn Write> = Box::new(file);
        Ok(Self {
            name: target.display().to_string(),
            prefix: Vec::new(),
            format,
            line: Vec::new(),
            out: BufWriter::with_capacity(1 << 16, out),
        })
    }
}

impl<T: Data> SinkWriter<T> for LineWriter<T> {
    fn write(&mut self, record: &Record<'_, T>, _timestamp: i64) -> OpResult {
        self.line.clear();
        self.line.extend_from_slice(&self.prefix);
        (self.format)(record, &mut self.line)?;
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .map_err(|source| OperatorError::Sink {
                name: self.name.clone(),
                source,
            })
    }
    fn flush(&mut self) -> OpResult {
        self.out.flush().map_err(|source| OperatorError::Sink {
            name: self.name.clone(),
            source,
        })
    }
}

/// Collects owned records into a shared vector (for tests and small jobs).
pub struct CollectWriter<T> {
    into: Arc<Mutex<Vec<T>>>,
    local: Vec<T>,
}

impl<T: Data> CollectWriter<T> {
    /// Appends to `into` when the input ends.
    pub fn new(into: Arc<Mutex<Vec<T>>>) -> Self {
        Self {
            into,
            local: Vec::new(),
        }
    }
}

impl<T: Data> SinkWriter<T> for CollectWriter<T> {
    fn write(&mut self, record: &Record<'_, T>, _timestamp: i64) -> OpResult {
        self.local.push(record.duplicate().into_owned()?);
        Ok(())
    }
    fn flush(&mut self) -> OpResult {
        match self.into.lock() {
            Ok(mut all) => {
                all.append(&mut self.local);
                Ok(())
            }
            Err(_) => Err(OperatorError::User(
                "collect sink: another subtask panicked".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::clock::ManualClock;

    #[test]
    fn rate_limiter_paces_records_on_the_manual_clock() {
        let mut l = RateLimiter::new(1000.0); // one record per ms
        assert_eq!(l.after_record(0), Some(1_000_000));
        assert_eq!(l.after_record(1_000_000), Some(2_000_000));
        // Running late: no pause.
        assert_eq!(l.after_record(10_000_000), None);
    }

    #[test]
    fn sink_asks_the_task_to_pause_and_collects_everything() {
        let clock = ManualClock::new(0);
        let all = Arc::new(Mutex::new(Vec::new()));
        let mut sink =
            SinkOperator::new(CollectWriter::new(all.clone()), Some(10.0), clock.clone());
        sink.collect(Record::Owned(1i64), 0).unwrap();
        assert_eq!(sink.pause_until(), Some(100_000_000));
        clock.set_nanos(100_000_000);
        sink.collect(Record::Owned(2i64), 0).unwrap();
        sink.finish().unwrap();
        assert_eq!(*all.lock().unwrap(), vec![1, 2]);
    }
}
