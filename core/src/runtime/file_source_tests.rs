use crate::time::WatermarkStatus;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::operator::{OpResult, Output};
use crate::record::Record;
use crate::runtime::source::{SourceDriver, TypedSourceDriver};

/// Collects `(value, timestamp)` pairs.
struct Sink<T>(Rc<RefCell<Vec<(T, i64)>>>);

impl<T: Data> Output<T> for Sink<T> {
    fn collect(&mut self, record: Record<'_, T>, timestamp: i64) -> OpResult {
        self.0.borrow_mut().push((record.into_owned()?, timestamp));
        Ok(())
    }
    fn emit_watermark(&mut self, _watermark: i64) -> OpResult {
        Ok(())
    }
    fn emit_watermark_status(&mut self, _status: WatermarkStatus) -> OpResult {
        Ok(())
    }
    fn finish(&mut self) -> OpResult {
        Ok(())
    }
    fn checkpoint(
        &mut self,
        _call: &mut crate::operator::CheckpointCall<'_>,
    ) -> crate::operator::OpResult {
        Ok(())
    }
}

fn temp_file(tag: &str, bytes: &[u8]) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("weir-fs-{tag}-{}-{n}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Parses every line as UTF-8 text; lines starting with `!` are malformed.
fn text(line: &[u8]) -> Result<Option<String>, String> {
    match line {
        [b'!', ..] => Err("bang".into()),
        _ => Ok(Some(String::from_utf8_lossy(line).into_owned())),
    }
}

/// Runs subtask `i` of `n` to its end with a tiny batch size (stripes of 16 bytes).
fn run_subtask(
    path: &Path,
    options: &LineFileOptions,
    i: usize,
    n: usize,
) -> Result<(Vec<String>, u64), OperatorError> {
    run_striped(path, options, i, n, 16)
}

/// Runs subtask `i` of `n` with stripes of `stripe` bytes.
fn run_striped(
    path: &Path,
    options: &LineFileOptions,
    i: usize,
    n: usize,
    stripe: usize,
) -> Result<(Vec<String>, u64), OperatorError> {
    let out = Rc::new(RefCell::new(Vec::new()));
    let source = LineFileSource::open_striped(path, text, options, i, n, stripe, &[])?;
    let mut driver = TypedSourceDriver::new(Box::new(source), Box::new(Sink(out.clone())));
    while driver.run_batch(3)? != SourceStatus::Finished {}
    let lines = out.borrow().iter().map(|(s, _)| s.clone()).collect();
    Ok((lines, driver.records_skipped()))
}

/// Every subtask's lines, subtask after subtask.
fn run_all(path: &Path, options: &LineFileOptions, n: usize) -> Vec<String> {
    (0..n)
        .flat_map(|i| run_subtask(path, options, i, n).unwrap().0)
        .collect()
}

#[test]
fn stripes_cover_every_line_exactly_once_each_subtask_in_file_order() {
    // Numbered lines of 2 to 14 bytes, some longer than a stripe.
    let lines: Vec<String> = (0..97)
        .map(|i| format!("{i}{}", "x".repeat(i % 13)))
        .collect();
    let mut bytes = lines.join("\n").into_bytes();
    let index = |l: &String| -> usize { l.trim_end_matches('x').parse().unwrap() };
    for ending in ["", "\n"] {
        bytes.extend_from_slice(ending.as_bytes());
        let path = temp_file("split", &bytes);
        for stripe in [1, 5, 16, 64, 1 << 20] {
            for n in 1..=7 {
                let mut all = Vec::new();
                for i in 0..n {
                    let (got, _) =
                        run_striped(&path, &LineFileOptions::default(), i, n, stripe).unwrap();
                    let order: Vec<usize> = got.iter().map(index).collect();
                    assert!(
                        order.windows(2).all(|w| w[0] < w[1]),
                        "stripe={stripe} n={n} i={i}"
                    );
                    all.extend(got);
                }
                all.sort_by_key(index);
                assert_eq!(all, lines, "stripe={stripe} n={n}");
            }
        }
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn stripes_are_dealt_round_robin_and_tile_the_file() {
    for len in [0, 1, 5, 1000] {
        for stripe in [1, 7, 256, 4096] {
            for n in 1..=9 {
                let mut ranges: Vec<_> = (0..n)
                    .flat_map(|i| {
                        let s = Stripes::new(len, stripe, i, n);
                        (0..).map_while(move |k| s.range(k))
                    })
                    .collect();
                ranges.sort_by_key(|r| r.start);
                let mut at = 0;
                for r in &ranges {
                    assert_eq!(r.start, at, "len={len} stripe={stripe} n={n}");
                    assert!(r.end - r.start <= stripe);
                    at = r.end;
                }
                assert_eq!(at, len);
            }
        }
    }
    // Subtask 1 of 3 owns stripes 1, 4, 7, …
    let s = Stripes::new(100, 10, 1, 3);
    assert_eq!(s.range(0), Some(10..20));
    assert_eq!(s.range(1), Some(40..50));
    assert_eq!(s.range(3), None);
}

#[test]
fn crlf_header_and_missing_last_newline() {
    let path = temp_file("crlf", b"kind,value\r\na,1\r\nb,2\r\nc,3");
    let options = LineFileOptions {
        skip_header: true,
        ..Default::default()
    };
    for n in 1..=4 {
        assert_eq!(run_all(&path, &options, n), ["a,1", "b,2", "c,3"], "n={n}");
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn empty_file_and_empty_splits() {
    let path = temp_file("empty", b"");
    for n in 1..=3 {
        assert!(run_all(&path, &LineFileOptions::default(), n).is_empty());
    }
    std::fs::remove_file(&path).unwrap();
    // One line, many subtasks: only one of them reads it.
    let path = temp_file("one", b"only");
    assert_eq!(run_all(&path, &LineFileOptions::default(), 8), ["only"]);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn fail_names_path_and_line_number_in_any_split() {
    let mut text_lines: Vec<String> = (1..=200).map(|i| format!("line {i}")).collect();
    text_lines[149] = "!bad".into(); // line 150
    let path = temp_file("fail", text_lines.join("\n").as_bytes());
    for n in 1..=5 {
        let errors: Vec<String> = (0..n)
            .filter_map(|i| run_subtask(&path, &LineFileOptions::default(), i, n).err())
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errors, [format!("{}:150: bang", path.display())], "n={n}");
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn skip_counts_and_writes_dead_letters_per_subtask() {
    let path = temp_file("skip", b"a\n!1\nb\r\n!2\r\nc\n!3");
    let dead = std::env::temp_dir().join(format!("weir-fs-dead-{}", std::process::id()));
    let options = LineFileOptions {
        on_error: OnError::Skip,
        dead_letter: Some(dead.clone()),
        ..Default::default()
    };
    let (lines, skipped) = run_subtask(&path, &options, 0, 1).unwrap();
    assert_eq!(
        (lines, skipped),
        (vec!["a".into(), "b".into(), "c".into()], 3)
    );
    assert_eq!(std::fs::read(&dead).unwrap(), b"!1\n!2\n!3\n");
    std::fs::remove_file(&dead).unwrap();

    let mut skipped = 0;
    let mut dead_lines = Vec::new();
    for i in 0..2 {
        skipped += run_subtask(&path, &options, i, 2).unwrap().1;
        let part = PathBuf::from(format!("{}.part-{i}", dead.display()));
        if let Ok(bytes) = std::fs::read(&part) {
            dead_lines.extend(String::from_utf8(bytes).unwrap().lines().map(String::from));
            std::fs::remove_file(&part).unwrap();
        }
    }
    assert_eq!(skipped, 3);
    assert_eq!(dead_lines, ["!1", "!2", "!3"]);
    assert!(!dead.exists());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn skip_without_dead_letter_only_counts() {
    let path = temp_file("skip2", b"!x\n!y\nz\n");
    let options = LineFileOptions {
        on_error: OnError::Skip,
        ..Default::default()
    };
    assert_eq!(
        run_subtask(&path, &options, 0, 1).unwrap(),
        (vec!["z".into()], 2)
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn missing_file_is_named() {
    let path = std::env::temp_dir().join("weir-fs-does-not-exist.csv");
    let err = LineFileSource::open(&path, text, &LineFileOptions::default(), 0, 1)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("weir-fs-does-not-exist.csv"), "{err}");
}

#[test]
fn parser_timestamps_and_dropped_lines() {
    struct Numbers;
    impl LineParser<i64> for Numbers {
        fn parse(&mut self, line: &[u8]) -> Result<Option<i64>, String> {
            if line == b"#" {
                return Ok(None);
            }
            let s = std::str::from_utf8(line).map_err(|e| e.to_string())?;
            s.parse().map(Some).map_err(|e| format!("{s:?}: {e}"))
        }
        fn timestamp(&self, value: &i64) -> i64 {
            value * 10
        }
    }
    let path = temp_file("ts", b"1\n#\n2\n");
    let out = Rc::new(RefCell::new(Vec::new()));
    let source = LineFileSource::open(&path, Numbers, &LineFileOptions::default(), 0, 1).unwrap();
    let mut driver = TypedSourceDriver::new(Box::new(source), Box::new(Sink(out.clone())));
    assert_eq!(driver.run_batch(100).unwrap(), SourceStatus::Finished);
    assert_eq!(*out.borrow(), [(1, 10), (2, 20)]);
    assert_eq!(driver.records_emitted(), 2);
    std::fs::remove_file(&path).unwrap();
}

/// The test parser as a function pointer.
type Parse = fn(&[u8]) -> Result<Option<String>, String>;

/// Runs subtask `i` of `n` for `batches` batches of 3 lines (all if `None`), resuming from
/// `restored`; the lines and the position it ends at.
fn run_for(
    path: &Path,
    i: usize,
    n: usize,
    stripe: usize,
    restored: &[crate::runtime::progress::RoundRobinProgress],
    batches: Option<usize>,
) -> (Vec<String>, crate::runtime::progress::RoundRobinProgress) {
    let out = Rc::new(RefCell::new(Vec::new()));
    let options = LineFileOptions {
        skip_header: true,
        ..Default::default()
    };
    let parser: Parse = text;
    let source =
        LineFileSource::open_striped(path, parser, &options, i, n, stripe, restored).unwrap();
    // The driver owns the source; keep a handle to read its position through a shim.
    struct Shared(Rc<RefCell<LineFileSource<String, Parse>>>);
    impl Source<String> for Shared {
        fn run_batch(
            &mut self,
            ctx: &mut SourceContext<'_, String>,
            max: usize,
        ) -> Result<SourceStatus, OperatorError> {
            self.0.borrow_mut().run_batch(ctx, max)
        }
    }
    let shared = Rc::new(RefCell::new(source));
    let mut driver = TypedSourceDriver::new(
        Box::new(Shared(shared.clone())),
        Box::new(Sink(out.clone())),
    );
    let mut left = batches;
    loop {
        if left == Some(0) {
            break;
        }
        left = left.map(|b| b - 1);
        if driver.run_batch(3).unwrap() == SourceStatus::Finished {
            break;
        }
    }
    let lines = out.borrow().iter().map(|(s, _)| s.clone()).collect();
    let position = shared.borrow().position();
    (lines, position)
}

proptest::proptest! {
    /// Stopped anywhere at one parallelism and resumed at another, the subtasks read every
    /// line (after the header) exactly once in all.
    #[test]
    fn a_file_resumed_at_any_parallelism_reads_each_line_once(
        stripe in 1usize..40,
        n in 1usize..4,
        m in 1usize..4,
        cuts in proptest::collection::vec(0usize..12, 4),
    ) {
        let lines: Vec<String> = (0..60).map(|i| format!("{i}{}", "y".repeat(i % 7))).collect();
        let mut bytes = b"header\n".to_vec();
        bytes.extend_from_slice(lines.join("\n").as_bytes());
        let path = temp_file("resume", &bytes);
        let mut all = Vec::new();
        let mut positions = Vec::new();
        for (i, &cut) in cuts.iter().enumerate().take(n) {
            let (got, p) = run_for(&path, i, n, stripe, &[], Some(cut));
            all.extend(got);
            positions.push(p);
        }
        for i in 0..m {
            let (got, p) = run_for(&path, i, m, stripe, &positions, None);
            all.extend(got);
            proptest::prop_assert_eq!(p.parallelism as usize, m);
        }
        std::fs::remove_file(&path).unwrap();
        let mut sorted = all.clone();
        sorted.sort();
        let mut want = lines.clone();
        want.sort();
        proptest::prop_assert_eq!(sorted, want);
    }
}

#[test]
fn resuming_from_a_position_past_the_end_of_a_changed_file_is_refused() {
    let path = temp_file("shrunk", b"a\nb\n");
    let far = crate::runtime::progress::RoundRobinProgress {
        parallelism: 1,
        subtask: 0,
        unit: 0,
        offset: 100,
    };
    let err = LineFileSource::open_resumed(&path, text, &LineFileOptions::default(), 0, 1, &[far])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("byte 100 of a file of 4 bytes"), "{err}");
    std::fs::remove_file(&path).unwrap();
}
