//! Every query through `run_query` (the path of `weir nexmark`) against the plain reference
//! implementation, on `shared/nexmark/sample.csv` and on a larger generated file, at
//! parallelism 1 and 2.

use std::time::Duration;

use super::*;
use crate::nexmark::reference::{read_events, reference_rows};
use crate::nexmark::test_support::{shared_dir, temp_path};
use crate::nexmark::{write_event_csv, Generator, GeneratorConfig};

fn run_to_lines(query: Query, input: &std::path::Path, parallelism: usize) -> Vec<String> {
    let out = temp_path(&format!("{query}-p{parallelism}"));
    let mut opts = RunOptions::new(query, input, QueryOutput::File(out.clone()));
    opts.parallelism = parallelism;
    opts.buffer_timeout = Some(BufferTimeout::Interval(Duration::from_millis(1)));
    run_query(&opts).unwrap_or_else(|e| panic!("{query} at parallelism {parallelism}: {e}"));
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.sort();
    lines
}

fn check(input: &std::path::Path, queries: &[Query]) {
    let events = read_events(input).unwrap();
    for &query in queries {
        let want = reference_rows(query.name(), &events).unwrap();
        assert!(!want.is_empty(), "{query}: the reference result is empty");
        for p in [1, 2] {
            let got = run_to_lines(query, input, p);
            if got != want {
                let extra: Vec<_> = got.iter().filter(|r| !want.contains(r)).take(5).collect();
                let missing: Vec<_> = want.iter().filter(|r| !got.contains(r)).take(5).collect();
                panic!(
                    "{query} at parallelism {p}: {} rows, reference {}; extra {extra:?}, \
                     missing {missing:?}",
                    got.len(),
                    want.len()
                );
            }
        }
    }
}

const EVENT_QUERIES: [Query; 6] = [
    Query::Q3,
    Query::Q4,
    Query::Q5,
    Query::Q7,
    Query::Q8,
    Query::Q11,
];

#[test]
fn every_query_matches_the_reference_on_the_sample() {
    check(&shared_dir().join("sample.csv"), &EVENT_QUERIES);
}

#[test]
fn every_query_matches_the_reference_on_a_generated_file() {
    let path = temp_path("generated.csv");
    let mut csv = Vec::new();
    let cfg = GeneratorConfig::default();
    for e in Generator::new(cfg, 0..60_000, 1).unwrap().events() {
        write_event_csv(&e, &mut csv);
    }
    std::fs::write(&path, &csv).unwrap();
    check(&path, &EVENT_QUERIES);
    let _ = std::fs::remove_file(&path);
}
