//! q0–q2 as jobs over `shared/nexmark/sample.csv`, against results computed here
//! independently from the file's text; the generator source as a parallel job.

use std::time::Duration;

use super::*;
use crate::nexmark::queries::{q0, q1, q2, CsvRow};
use crate::nexmark::source::GeneratorSource;
use crate::nexmark::test_support::{sample_csv, shared_dir, temp_path};
use crate::nexmark::{write_event_csv, Event, Generator};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/nexmark/sample.csv"
);

fn timeout() -> Option<BufferTimeout> {
    Some(BufferTimeout::Interval(Duration::from_millis(1)))
}

/// The bid lines of sample.csv as their columns (strings, as written).
fn sample_bids() -> Vec<Vec<String>> {
    String::from_utf8(sample_csv())
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .filter(|cols| cols[0] == "2")
        .collect()
}

fn expected(query: Query) -> Vec<String> {
    let mut rows: Vec<String> = sample_bids()
        .into_iter()
        .filter_map(|c| {
            let (auction, bidder, price, date_time, extra) = (&c[1], &c[2], &c[3], &c[6], &c[7]);
            match query {
                Query::Q0 => Some(format!("{auction},{bidder},{price},{date_time},{extra}")),
                Query::Q1 => {
                    // Prices in the sample are positive: whole units and thousandths.
                    let milli: u64 = price.parse::<u64>().unwrap() * 908;
                    Some(format!(
                        "{auction},{bidder},{}.{:03},{date_time},{extra}",
                        milli / 1000,
                        milli % 1000
                    ))
                }
                Query::Q2 => {
                    let a: i64 = auction.parse().unwrap();
                    (a % 123 == 0).then(|| format!("{auction},{price}"))
                }
                other => panic!("{other} is not a bid query"),
            }
        })
        .collect();
    rows.sort();
    rows
}

fn run_collect(query: Query, parallelism: usize) -> Vec<String> {
    run_collect_via(query, parallelism, false)
}

/// With `exchange`, the bids cross a rebalance first: the query reads them in place.
fn run_collect_via(query: Query, parallelism: usize, exchange: bool) -> Vec<String> {
    let env = environment(parallelism, timeout()).unwrap();
    let bids = csv_bids(&env, SAMPLE.into(), LineFileOptions::default());
    let bids = if exchange { bids.rebalance() } else { bids };
    fn lines<T: CsvRow + Clone>(v: Vec<T>) -> Vec<String> {
        v.iter().map(CsvRow::to_csv_line).collect()
    }
    let mut got = match query {
        Query::Q0 => {
            let h = q0(&bids).collect();
            env.execute("q0").unwrap();
            lines(h.values())
        }
        Query::Q1 => {
            let h = q1(&bids).collect();
            env.execute("q1").unwrap();
            lines(h.values())
        }
        Query::Q2 => {
            let h = q2(&bids).collect();
            env.execute("q2").unwrap();
            lines(h.values())
        }
        other => panic!("{other} is not a bid query"),
    };
    got.sort();
    got
}

#[test]
fn queries_match_independent_results_at_parallelism_1_and_2() {
    assert!(shared_dir().join("sample.csv").exists());
    for query in [Query::Q0, Query::Q1, Query::Q2] {
        let want = expected(query);
        assert!(!want.is_empty());
        for p in [1, 2] {
            let got = run_collect(query, p);
            assert_eq!(got.len(), want.len(), "{query} at parallelism {p}");
            assert!(got == want, "{query} at parallelism {p}: rows differ");
        }
        // After an exchange the query reads archived bids in place.
        let got = run_collect_via(query, 2, true);
        assert!(got == want, "{query} after a rebalance: rows differ");
    }
}

#[test]
fn run_query_writes_one_csv_file_at_parallelism_2() {
    let out = temp_path("q1-out");
    let mut opts = RunOptions::new(Query::Q1, SAMPLE, QueryOutput::File(out.clone()));
    opts.parallelism = 2;
    opts.buffer_timeout = timeout();
    run_query(&opts).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let mut got: Vec<String> = text.lines().map(String::from).collect();
    got.sort();
    assert_eq!(got, expected(Query::Q1));
    std::fs::remove_file(&out).unwrap();

    let mut opts = RunOptions::new(Query::Q2, SAMPLE, QueryOutput::Blackhole);
    opts.parallelism = 2;
    let result = run_query(&opts).unwrap();
    let emitted: u64 = result
        .tasks
        .iter()
        .filter(|t| t.vertex.contains("Nexmark CSV Source"))
        .map(|t| t.records_in)
        .sum();
    assert_eq!(emitted, sample_bids().len() as u64);
}

#[test]
fn a_malformed_line_fails_the_job_with_path_and_line() {
    let input = temp_path("bad-input");
    let mut bytes = sample_csv();
    bytes.extend_from_slice(b"2,1000,1001,oops,Google,u,1436918410000,\n");
    std::fs::write(&input, &bytes).unwrap();
    let opts = RunOptions::new(Query::Q0, &input, QueryOutput::Blackhole);
    let err = run_query(&opts).unwrap_err().to_string();
    let want = format!("{}:10001: column 4 (price)", input.display());
    assert!(err.contains(&want), "{err}");

    let mut opts = RunOptions::new(Query::Q0, &input, QueryOutput::Blackhole);
    opts.input_options.on_error = weir_core::runtime::file_source::OnError::Skip;
    opts.parallelism = 2;
    let result = run_query(&opts).unwrap();
    assert_eq!(
        result.tasks.iter().map(|t| t.records_skipped).sum::<u64>(),
        1
    );
    std::fs::remove_file(&input).unwrap();
}

#[test]
fn generator_source_at_parallelism_2_yields_the_gen_py_events() {
    let env = environment(2, timeout()).unwrap();
    let cfg = crate::nexmark::GeneratorConfig::default();
    let handle = env
        .add_source("Generator", move |ctx| {
            GeneratorSource::new(cfg, 0..5000, ctx.subtask, ctx.parallelism, None)
        })
        .collect();
    env.execute("generator").unwrap();
    let csv = |events: Vec<Event>| {
        let mut lines: Vec<Vec<u8>> = events
            .iter()
            .map(|e| {
                let mut line = Vec::new();
                write_event_csv(e, &mut line);
                line
            })
            .collect();
        lines.sort();
        lines
    };
    let want: Vec<Event> = Generator::new(cfg, 0..5000, 1).unwrap().events().collect();
    assert_eq!(csv(handle.values()), csv(want));
}

#[test]
fn bench_nexmark_reports_rates() {
    for exchange in [Exchange::None, Exchange::Rebalance, Exchange::Hash] {
        let r = bench_nexmark(Query::Q2, 20_000, 2, exchange, timeout()).unwrap();
        assert_eq!((r.events, r.parallelism, r.exchange), (20_000, 2, exchange));
        assert!(r.seconds > 0.0 && r.events_per_sec > 0.0);
        assert!(r.generator_events_per_sec > 0.0 && r.ratio_to_generator > 0.0);
    }
    assert_eq!("Q1".parse::<Query>().unwrap(), Query::Q1);
    assert_eq!("hash".parse::<Exchange>().unwrap(), Exchange::Hash);
    assert!("q9".parse::<Query>().is_err());
}

/// Generated bids (the benchmark's path) give the same rows read in place after a
/// rebalance as owned in a chain.
#[test]
fn generated_bids_read_in_place_give_the_same_rows() {
    fn rows(exchange: bool) -> [Vec<String>; 3] {
        let env = environment(2, timeout()).unwrap();
        let bids = generated_bids(&env, crate::nexmark::GeneratorConfig::default(), 20_000);
        let bids = if exchange { bids.rebalance() } else { bids };
        let (h0, h1, h2) = (
            q0(&bids).collect(),
            q1(&bids).collect(),
            q2(&bids).collect(),
        );
        env.execute("generated").unwrap();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        [
            sorted(h0.values().iter().map(CsvRow::to_csv_line).collect()),
            sorted(h1.values().iter().map(CsvRow::to_csv_line).collect()),
            sorted(h2.values().iter().map(CsvRow::to_csv_line).collect()),
        ]
    }
    let (chained, exchanged) = (rows(false), rows(true));
    assert_eq!(chained[0].len(), 18_400);
    assert!(!chained[2].is_empty());
    for i in 0..3 {
        assert!(
            chained[i] == exchanged[i],
            "q{i}: rows differ after a rebalance"
        );
    }
}
