//! End-to-end tests of the `weir` binary on the examples and on bad input.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

mod common;
use common::{root, stderr, stdout, temp_dir, weir};

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

fn sample_bids() -> Vec<Vec<String>> {
    let sample = root().join("../shared/nexmark/sample.csv");
    let text = std::fs::read_to_string(&sample).expect("../shared/nexmark/sample.csv is readable");
    text.lines()
        .filter(|l| l.starts_with("2,"))
        .map(|l| l.split(',').skip(1).map(str::to_string).collect())
        .collect()
}

#[test]
fn wordcount_example_counts_every_word() {
    let out = weir(&["run", "examples/wordcount.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The last rolling count of each word is its number of occurrences.
    let text = std::fs::read_to_string(root().join("examples/data/words.txt")).unwrap();
    let mut want: HashMap<String, i64> = HashMap::new();
    for w in text.split_whitespace() {
        *want.entry(w.to_lowercase()).or_default() += 1;
    }
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut lines = 0;
    for line in stdout(&out).lines() {
        let (w, n) = line.split_once(',').expect("word,count");
        let n: i64 = n.parse().expect("a count");
        let prev = last.insert(w.to_string(), n).unwrap_or(0);
        assert_eq!(n, prev + 1, "counts of '{w}' grow by one");
        lines += 1;
    }
    assert_eq!(last, want);
    assert_eq!(lines, text.split_whitespace().count());
    assert!(
        stderr(&out).contains("job 'wordcount' finished"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nexmark_examples_match_an_independent_computation() {
    let bids = sample_bids();
    let q0: Vec<String> = bids
        .iter()
        .map(|b| format!("{},{},{},{},{}", b[0], b[1], b[2], b[5], b[6]))
        .collect();
    let q1: Vec<String> = bids
        .iter()
        .map(|b| {
            let price: i64 = b[2].parse().unwrap();
            let milli = price * 908; // 0.908 * price, exactly, in thousandths
            format!(
                "{},{},{}.{:03},{},{}",
                b[0],
                b[1],
                milli / 1000,
                milli % 1000,
                b[5],
                b[6]
            )
        })
        .collect();
    let q2: Vec<String> = bids
        .iter()
        .filter(|b| b[0].parse::<i64>().unwrap() % 123 == 0)
        .map(|b| format!("{},{}", b[0], b[2]))
        .collect();
    assert!(!q2.is_empty());
    for (query, want) in [("q0", q0), ("q1", q1), ("q2", q2)] {
        let out = weir(&["run", &format!("examples/nexmark/{query}.toml"), "--quiet"]);
        assert!(out.status.success(), "{query}: {}", stderr(&out));
        let mut want = want;
        want.sort();
        assert_eq!(sorted_lines(&stdout(&out)), want, "{query}");
        // The same at parallelism 2, set from the command line.
        let out = weir(&[
            "run",
            &format!("examples/nexmark/{query}.toml"),
            "--quiet",
            "--set",
            "parallelism.default=2",
        ]);
        assert!(out.status.success(), "{query}: {}", stderr(&out));
        let got: Vec<String> = stdout(&out)
            .lines()
            .map(|l| l.split_once("> ").map(|(_, r)| r).unwrap_or(l).to_string())
            .collect();
        let mut got = got;
        got.sort();
        assert_eq!(got, want, "{query} at parallelism 2");
    }
}

#[test]
fn all_steps_example_runs_and_counts_the_malformed_line() {
    let out = weir(&["run", "examples/all-steps.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stderr(&out);
    let orders = summary
        .lines()
        .find(|l| l.starts_with("Source: orders"))
        .expect("a summary line for the orders source");
    // vertex name, then parallelism, records in, records out, skipped, late, the three
    // ms/s columns and state: read from the right, as the name has spaces.
    let cols: Vec<&str> = orders.split_whitespace().rev().collect();
    assert_eq!(cols[9], "1");
    assert_eq!(cols[8], "6", "{orders}");
    assert_eq!(cols[6], "1", "one malformed line skipped: {orders}");
    assert_eq!(cols[5], "0", "no window, nothing late: {orders}");
    // The running totals per customer end at the sums of the valid orders (+ dave's).
    let mut last: HashMap<String, String> = HashMap::new();
    for line in stdout(&out).lines() {
        let f: Vec<&str> = line.split(',').collect();
        last.insert(f[1].to_string(), f[2].to_string());
    }
    assert_eq!(last.get("alice").map(String::as_str), Some("43.00"));
    assert_eq!(last.get("bob").map(String::as_str), Some("9.00"));
    assert_eq!(last.get("carol").map(String::as_str), Some("99.99"));
    assert_eq!(last.get("dave").map(String::as_str), Some("45.00"));
}

#[test]
fn explain_prints_chains_and_slots_as_text_and_json() {
    let out = weir(&["explain", "examples/wordcount.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Source: lines -> split-1 -> select-2"),
        "{text}"
    );
    assert!(text.contains("HASH ALL_TO_ALL"), "{text}");
    assert!(text.contains("#1->slot 1"), "{text}");
    let out = weir(&["explain", "examples/wordcount.toml", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(plan["slots_needed"], 2);
    assert_eq!(plan["vertices"].as_array().map(Vec::len), Some(3));
    assert_eq!(plan["edges"][0]["partitioner"], "HASH");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn fails_with(args: &[&str], want: &str) {
    let out = weir(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = stderr(&out);
    assert!(err.contains(want), "{args:?}\n got: {err}\nwant: {want}");
}

#[test]
fn config_errors_name_the_key_the_place_and_the_fix() {
    let dir = temp_dir("config");
    let job = write(&dir, "job.toml", "[config]\nparallelism.default = 2\nexecution.bufer-timeout = \"1 ms\"\n\n[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n[[sink]]\ntype = \"blackhole\"\n");
    fails_with(&["run", &job], &format!("unknown configuration key 'execution.bufer-timeout' at {job}:3; did you mean 'execution.buffer-timeout'?"));
    let job = write(
        &dir,
        "ok.toml",
        "[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n[[sink]]\ntype = \"blackhole\"\n",
    );
    fails_with(&["run", &job, "--set", "execution.buffer-timeout=soon"], "bad value 'soon' for 'execution.buffer-timeout' at --set: expected a duration such as '0', '5 ms' or '1 s', or '-1'/'off'");
    fails_with(
        &["run", &job, "--set", "taskmanager.numberOfTaskSlot=2"],
        "did you mean 'taskmanager.numberOfTaskSlots'?",
    );
    fails_with(
        &["run", &job, "--set", "parallelism.default"],
        "--set expects KEY=VALUE",
    );
    // Checkpointing needs its directory.
    fails_with(
        &["run", &job, "--checkpoint-interval", "1s"],
        "'state.checkpoints.dir'",
    );
    let job = write(&dir, "bad.toml", "[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n[[step]]\ntype = \"select\"\ncolumns = [\"valeu * 2 AS v\"]\n[[sink]]\ntype = \"blackhole\"\n");
    fails_with(
        &["run", &job],
        &format!("{job}:7: step \"select-1\": in 'valeu * 2 AS v':"),
    );
    fails_with(&["run", &job], "did you mean `value`");
    fails_with(
        &["run", "no/such/job.toml"],
        "no/such/job.toml: cannot read the job file",
    );
}

#[test]
fn malformed_input_fails_by_default_and_is_counted_and_kept_with_skip() {
    let dir = temp_dir("onerror");
    write(&dir, "in.csv", "1,a\n2,b\nthree,c\n4,d\n");
    let job = write(&dir, "fail.toml", "[[source]]\ntype = \"csv\"\npath = \"in.csv\"\nschema = [\"n: long\", \"s: string\"]\n[[sink]]\ntype = \"print\"\n");
    fails_with(
        &["run", &job],
        &format!("{}:3", dir.join("in.csv").display()),
    );
    let job = write(&dir, "skip.toml", "[[source]]\ntype = \"csv\"\npath = \"in.csv\"\nschema = [\"n: long\", \"s: string\"]\non-error = \"skip\"\ndead-letter = \"rejected.csv\"\n[[sink]]\ntype = \"print\"\n");
    let out = weir(&["run", &job]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sorted_lines(&stdout(&out)), vec!["1,a", "2,b", "4,d"]);
    let rejected = std::fs::read_to_string(dir.join("rejected.csv")).expect("the dead-letter file");
    assert_eq!(rejected, "three,c\n");
    let summary = stderr(&out);
    let source: Vec<&str> = summary
        .lines()
        .find(|l| l.starts_with("Source:"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(source[source.len() - 7], "1", "skipped: {summary}");
}

#[test]
fn not_enough_slots_is_a_clear_error() {
    let dir = temp_dir("slots");
    let job = write(&dir, "job.toml", "[config]\ntaskmanager.numberOfTaskSlots = 1\nparallelism.default = 2\n[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n[[sink]]\ntype = \"blackhole\"\n");
    fails_with(&["run", &job], "slot");
}

#[test]
fn nexmark_command_writes_the_query_results() {
    let dir = temp_dir("nexmark");
    let bids = sample_bids();
    let sample = root().join("../shared/nexmark/sample.csv");
    let sample = sample.to_string_lossy();
    let mut q2: Vec<String> = bids
        .iter()
        .filter(|b| b[0].parse::<i64>().unwrap() % 123 == 0)
        .map(|b| format!("{},{}", b[0], b[2]))
        .collect();
    q2.sort();
    for p in ["1", "2"] {
        let out_path = dir.join(format!("q2-{p}.csv"));
        let out = weir(&[
            "nexmark",
            "--query",
            "q2",
            "--input",
            &sample,
            "--output",
            &out_path.to_string_lossy(),
            "--parallelism",
            p,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            sorted_lines(&std::fs::read_to_string(&out_path).unwrap()),
            q2,
            "parallelism {p}"
        );
        assert!(
            stderr(&out).contains("10000 events (9200 of the kinds q2 reads)"),
            "{}",
            stderr(&out)
        );
    }
    let out = weir(&[
        "nexmark",
        "--query",
        "q1",
        "--input",
        &sample,
        "--blackhole",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    fails_with(
        &["nexmark", "--query", "q1", "--input", &sample],
        "--output",
    );
    fails_with(
        &[
            "nexmark",
            "--query",
            "q9",
            "--input",
            &sample,
            "--blackhole",
        ],
        "q9",
    );
    fails_with(
        &[
            "nexmark",
            "--query",
            "q0",
            "--input",
            "no/such.csv",
            "--blackhole",
        ],
        "no/such.csv",
    );
    let bad = write(&dir, "bad.csv", "2,1,2,3,a,b,4,\n2,1,x,3,a,b,4,\n");
    fails_with(
        &["nexmark", "--query", "q0", "--input", &bad, "--blackhole"],
        &format!("{bad}:2"),
    );
    let out = weir(&[
        "nexmark",
        "--query",
        "q0",
        "--input",
        &bad,
        "--output",
        &dir.join("q0.csv").to_string_lossy(),
        "--on-error",
        "skip",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("q0.csv")).unwrap(),
        "1,2,3,4,\n"
    );
}

#[test]
fn bench_prints_a_table_or_one_json_object_per_result() {
    let out = weir(&[
        "bench", "nexmark", "--query", "q2", "--events", "200000", "--format", "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let row: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    for field in [
        "query",
        "events",
        "parallelism",
        "exchange",
        "seconds",
        "events_per_sec",
        "events_per_sec_per_core",
        "generator_events_per_sec",
        "ratio_to_generator",
        "peak_state_bytes",
    ] {
        assert!(row.get(field).is_some(), "missing {field}: {row}");
    }
    assert_eq!(row["events"], 200_000);
    // Every query, one JSON object each; the windowed ones hold keyed state.
    let out = weir(&[
        "bench", "nexmark", "--query", "all", "--events", "100000", "--format", "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    let names: Vec<&str> = rows.iter().filter_map(|r| r["query"].as_str()).collect();
    assert_eq!(
        names,
        ["q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8", "q11"]
    );
    for r in &rows[3..] {
        assert!(r["peak_state_bytes"].as_u64().unwrap_or(0) > 0, "{r}");
    }
    let out = weir(&[
        "bench",
        "backpressure",
        "--events",
        "20000",
        "--sink-rate",
        "400000",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split_whitespace().collect();
    assert_eq!(
        &header[..6],
        &[
            "events",
            "sink_rate",
            "records_out",
            "seconds",
            "peak_buffers_in_use",
            "buffer_capacity"
        ]
    );
    let row: Vec<&str> = lines.next().expect("a row").split_whitespace().collect();
    assert_eq!(row[2], "20000", "every record reached the slow sink");
    let (peak, capacity): (u64, u64) = (row[4].parse().unwrap(), row[5].parse().unwrap());
    assert!(peak <= capacity, "{text}");
    let out = weir(&[
        "bench", "keyed", "--keys", "5000", "--events", "50000", "--format", "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let row: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    for field in [
        "keys",
        "events_per_sec_per_core",
        "generator_events_per_sec",
        "state_bytes_per_key",
    ] {
        assert!(row.get(field).is_some(), "missing {field}: {row}");
    }
    assert_eq!(row["state_keys"], 5000, "every key in keyed state: {row}");
    fails_with(&["bench", "keyed", "--keys", "0"], "keys");
    fails_with(
        &["bench", "latency", "--rate=0", "--duration", "0.1"],
        "rate",
    );
    fails_with(
        &["bench", "nexmark", "--exchange", "carrier-pigeon"],
        "carrier-pigeon",
    );
}

#[test]
fn nexmark_generator_source_yields_the_sample_events() {
    // sample.csv is the generator's first 10 000 events at seed 1 and the default rate.
    let sample = std::fs::read_to_string(root().join("../shared/nexmark/sample.csv")).unwrap();
    let mut want: Vec<String> = sample
        .lines()
        .take(1000)
        .filter(|l| l.starts_with("2,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{},{}", f[1], f[3], f[6])
        })
        .collect();
    want.sort();
    let dir = temp_dir("generator");
    for p in ["1", "2"] {
        let job = write(&dir, &format!("gen-{p}.toml"), &format!("[config]\nparallelism.default = {p}\n[[source]]\ntype = \"nexmark\"\nevents = 1000\nkind = \"bid\"\n[[step]]\ntype = \"select\"\ncolumns = [\"auction\", \"price\", \"dateTime\"]\n[[sink]]\ntype = \"print\"\nparallelism = 1\n"));
        let out = weir(&["run", &job, "--quiet"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(sorted_lines(&stdout(&out)), want, "parallelism {p}");
    }
}

#[test]
fn source_watermarks_run_and_their_mistakes_are_named() {
    let dir = temp_dir("watermark");
    write(
        &dir,
        "in.csv",
        "1,2026-01-01T00:00:05Z,a\n2,2026-01-01T00:00:01Z,b\n3,,c\n",
    );
    let job = |wm: &str| {
        format!(
            "[[source]]\nname = \"events\"\ntype = \"csv\"\npath = \"in.csv\"\n\
             schema = [\"id: long\", \"at: timestamp\", \"tag: string\"]\n{wm}\n\
             [[sink]]\ntype = \"print\"\n"
        )
    };
    let ok = write(
        &dir,
        "ok.toml",
        &job("watermark = { column = \"at\", max-out-of-orderness = \"4 s\", idle-timeout = \"10 s\" }"),
    );
    let out = weir(&["run", &ok]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        sorted_lines(&stdout(&out)).len(),
        3,
        "every row, a late one and one without event time included: {}",
        stdout(&out)
    );
    let explained = weir(&["explain", &ok]);
    assert!(stdout(&explained).contains("Source: events -> events: watermarks on at"));
    // A long column of epoch milliseconds serves too; out-of-orderness defaults to 0.
    let by_id = write(&dir, "long.toml", &job("watermark = { column = \"id\" }"));
    assert!(weir(&["run", &by_id]).status.success());

    let bad = write(&dir, "typo.toml", &job("watermark = { column = \"att\" }"));
    fails_with(
        &["run", &bad],
        &format!("{bad}:6: source 'events' has no column 'att' for its watermark (columns: id, at, tag); did you mean 'at'?"),
    );
    let bad = write(&dir, "type.toml", &job("watermark = { column = \"tag\" }"));
    fails_with(
        &["run", &bad],
        "the watermark column 'tag' of source 'events' is a string; event time needs a timestamp or a long of epoch milliseconds",
    );
    let bad = write(
        &dir,
        "dur.toml",
        &job("watermark = { column = \"at\", max-out-of-orderness = \"soon\" }"),
    );
    fails_with(
        &["run", &bad],
        &format!("{bad}:6: [watermark], key 'max-out-of-orderness': bad value 'soon': expected a duration such as '4 s', '500 ms' or '0'"),
    );
    let bad = write(
        &dir,
        "key.toml",
        &job("watermark = { column = \"at\", max-out-of-order = \"4 s\" }"),
    );
    fails_with(&["run", &bad], "did you mean 'max-out-of-orderness'?");
    let bad = write(
        &dir,
        "nocol.toml",
        &job("watermark = { idle-timeout = \"1 s\" }"),
    );
    fails_with(&["run", &bad], "missing key 'column'");
    let bad = write(
        &dir,
        "zero.toml",
        &job("watermark = { column = \"at\", idle-timeout = \"0\" }"),
    );
    fails_with(&["run", &bad], "'idle-timeout' must be above 0");
}

#[test]
fn silent_sensors_example_alerts_exactly_the_silences() {
    // `cargo test` builds the examples next to the test binaries' `deps` folder.
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile folder");
    let example = dir.join("examples").join("silent_sensors");
    let out = Command::new(&example)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", example.display()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        [
            "a silent since 12000 ms (alert at 22000 ms)",
            "a silent since 36000 ms (alert at 46000 ms)",
            "b silent since 40000 ms (alert at 50000 ms)",
            "c silent since 5000 ms (alert at 15000 ms)",
        ]
    );
}

#[test]
fn deduplicate_keeps_the_first_row_of_each_key() {
    let dir = temp_dir("dedup");
    write(
        &dir,
        "in.csv",
        "1,alice,10\n2,bob,20\n3,alice,30\n4,carol,40\n5,bob,50\n",
    );
    // One source subtask: rows reach the deduplication in file order (first = earliest).
    let source = "[[source]]\ntype = \"csv\"\npath = \"in.csv\"\nparallelism = 1\nschema = [\"id: long\", \"who: string\", \"n: long\"]\n";
    let job = write(
        &dir,
        "dedup.toml",
        &format!("[config]\nparallelism.default = 2\n{source}[[step]]\ntype = \"deduplicate\"\nkey = \"who\"\nttl = \"1 h\"\n[[sink]]\ntype = \"print\"\n"),
    );
    let out = weir(&["run", &job]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<String> = sorted_lines(&stdout(&out))
        .into_iter()
        .map(|l| l.split_once("> ").map_or(l.clone(), |(_, r)| r.to_string()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(rows, ["1,alice,10", "2,bob,20", "4,carol,40"]);
    let summary = stderr(&out);
    let dedup = summary
        .lines()
        .find(|l| l.starts_with("deduplicate-1"))
        .expect("a summary line for the step");
    assert_eq!(
        dedup.split_whitespace().rev().nth(1),
        Some("3"),
        "3 keys in state: {dedup}"
    );
    // After a key_by step, without a key of its own.
    let job = write(
        &dir,
        "keyed.toml",
        &format!("{source}[[step]]\ntype = \"key_by\"\nkey = \"who\"\n[[step]]\ntype = \"deduplicate\"\n[[sink]]\ntype = \"print\"\n"),
    );
    let out = weir(&["run", &job]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 3);
    let bad = write(
        &dir,
        "nokey.toml",
        &format!("{source}[[step]]\ntype = \"deduplicate\"\n[[sink]]\ntype = \"print\"\n"),
    );
    fails_with(&["run", &bad], "deduplicate needs a key");
    let bad = write(
        &dir,
        "ttl.toml",
        &format!("{source}[[step]]\ntype = \"deduplicate\"\nkey = \"who\"\nttl = \"0\"\n[[sink]]\ntype = \"print\"\n"),
    );
    fails_with(&["run", &bad], "'ttl' must be above 0");
}

#[test]
fn windowed_nexmark_examples_match_the_reference_implementation() {
    use weir_bench::nexmark::reference::{read_events, reference_rows};
    let events = read_events(&root().join("../shared/nexmark/sample.csv")).expect("sample.csv");
    // q4 is an updating result: its upsert sink writes the final row per category.
    for query in ["q3", "q4", "q5", "q7", "q8", "q11"] {
        let want = reference_rows(query, &events).expect("reference rows");
        assert!(!want.is_empty(), "{query}");
        for p in ["1", "2"] {
            let out = weir(&[
                "run",
                &format!("examples/nexmark/{query}.toml"),
                "--quiet",
                "--set",
                &format!("parallelism.default={p}"),
            ]);
            assert!(out.status.success(), "{query}: {}", stderr(&out));
            let mut got: Vec<String> = stdout(&out)
                .lines()
                .map(|l| l.split_once("> ").map(|(_, r)| r).unwrap_or(l).to_string())
                .collect();
            got.sort();
            assert_eq!(got, want, "{query} at parallelism {p}");
        }
    }
}

#[test]
fn join_steps_pair_rows_in_state_and_outer_kinds_emit_a_changelog() {
    let dir = temp_dir("regular-join");
    write(&dir, "left.csv", "1,a\n2,b\n");
    write(&dir, "right.csv", "1,x\n3,y\n");
    let sources = "[config]\nparallelism.default = 1\n[[source]]\nname = \"l\"\ntype = \"csv\"\npath = \"left.csv\"\nschema = [\"id: long\", \"v: string\"]\n[[source]]\nname = \"r\"\ntype = \"csv\"\npath = \"right.csv\"\nschema = [\"id: long\", \"w: string\"]\n";
    let job = |kind: &str| {
        format!("{sources}[[step]]\ntype = \"join\"\ninput = \"l\"\nwith = \"r\"\nkey = \"id\"\nkind = \"{kind}\"\nstate-ttl = \"1 h\"\n[[sink]]\ntype = \"print\"\n")
    };
    assert_eq!(run_rows(&dir, "inner.toml", &job("inner")), ["1,a,1,x"]);
    // Outer kinds: a leading op column; padded rows may be withdrawn when a match comes,
    // so net out the changelog.
    let net = |rows: Vec<String>| {
        let mut live: Vec<String> = Vec::new();
        for row in rows {
            let (op, rest) = row.split_once(',').expect("an op column");
            match op {
                "+I" => live.push(rest.to_string()),
                "-D" => {
                    let at = live
                        .iter()
                        .position(|r| r == rest)
                        .expect("a withdrawn row was emitted");
                    live.remove(at);
                }
                other => panic!("unexpected op {other}"),
            }
        }
        live.sort();
        live
    };
    let ordered = |name: &str, kind: &str| {
        let path = write(&dir, name, &job(kind));
        let out = weir(&["run", &path, "--quiet"]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        stdout(&out).lines().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(net(ordered("left.toml", "left")), ["1,a,1,x", "2,b,,"]);
    assert_eq!(net(ordered("right.toml", "right")), [",,3,y", "1,a,1,x"]);
    assert_eq!(
        net(ordered("full.toml", "full")),
        [",,3,y", "1,a,1,x", "2,b,,"]
    );
    let bad = write(&dir, "badkey.toml", &format!("{sources}[[step]]\ntype = \"join\"\ninput = \"l\"\nwith = \"r\"\nkey = \"v\"\nwith-key = \"id\"\n[[sink]]\ntype = \"print\"\n"));
    fails_with(&["run", &bad], "key columns differ in type");
}

const EVENTS: &str = "a,1,1.5,1000\nb,2,2.0,1500\na,3,0.5,2500\na,5,1.0,9000\nb,4,3.0,12000\n";
const EVENTS_SOURCE: &str = "[[source]]\nname = \"events\"\ntype = \"csv\"\npath = \"events.csv\"\nparallelism = 1\nschema = [\"k: string\", \"v: long\", \"d: double\", \"t: timestamp\"]\nwatermark = { column = \"t\" }\n";

fn run_rows(dir: &Path, name: &str, job: &str) -> Vec<String> {
    let job = write(dir, name, job);
    let out = weir(&["run", &job, "--quiet"]);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    sorted_lines(&stdout(&out))
}

#[test]
fn window_steps_aggregate_count_and_keep_rows() {
    let dir = temp_dir("windows");
    write(&dir, "events.csv", EVENTS);
    let sink = "[[sink]]\ntype = \"print\"\n";
    let rows = run_rows(&dir, "tumble.toml", &format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nkey = \"k\"\nwindow = \"tumble\"\nsize = \"10 s\"\naggregates = [\"count(*)\", \"sum(v)\", \"min(v)\", \"max(v)\", \"avg(v)\", \"avg(d) AS mean\", \"first(v)\", \"last(v)\"]\n{sink}"));
    assert_eq!(
        rows,
        [
            "a,3,9,1,5,3,1.0,1,5,0,10000",
            "b,1,2,2,2,2,2.0,2,2,0,10000",
            "b,1,4,4,4,4,3.0,4,4,10000,20000"
        ]
    );
    // After key_by: sessions with a 2 s gap.
    let rows = run_rows(&dir, "session.toml", &format!("{EVENTS_SOURCE}[[step]]\ntype = \"key_by\"\nkey = \"k\"\n[[step]]\ntype = \"window\"\nwindow = \"session\"\ngap = \"2 s\"\naggregates = [\"count(*) AS n\"]\nwindow-columns = [\"from\", \"to\"]\n{sink}"));
    assert_eq!(
        rows,
        [
            "a,1,9000,11000",
            "a,2,1000,4500",
            "b,1,12000,14000",
            "b,1,1500,3500"
        ]
    );
    // Count windows: only full ones fire.
    let rows = run_rows(&dir, "count.toml", &format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nkey = \"k\"\nwindow = \"count\"\nsize = 2\naggregates = [\"count(*)\", \"sum(v)\"]\n{sink}"));
    assert_eq!(rows, ["a,2,4", "b,2,6"]);
    let rows = run_rows(&dir, "sliding.toml", &format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nkey = \"k\"\nwindow = \"count\"\nsize = 2\nslide = 1\naggregates = [\"sum(v)\"]\n{sink}"));
    assert_eq!(rows, ["a,1", "a,4", "a,8", "b,2", "b,6"]);
    // The rows holding each window's maximum, over the whole stream.
    let rows = run_rows(&dir, "keep.toml", &format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nwindow = \"hop\"\nsize = \"10 s\"\nslide = \"5 s\"\nkeep = \"max(v)\"\n{sink}"));
    assert_eq!(
        rows,
        [
            "a,3,0.5,2500,-5000,5000",
            "a,5,1.0,9000,0,10000",
            "a,5,1.0,9000,5000,15000",
            "b,4,3.0,12000,10000,20000"
        ]
    );
}

#[test]
fn join_steps_pair_rows_by_key_and_time() {
    let dir = temp_dir("joins");
    write(&dir, "events.csv", EVENTS);
    write(&dir, "other.csv", "a,100,2000\nb,200,14000\n");
    let other = "[[source]]\nname = \"other\"\ntype = \"csv\"\npath = \"other.csv\"\nparallelism = 1\nschema = [\"k: string\", \"w: long\", \"t: timestamp\"]\nwatermark = { column = \"t\" }\n";
    let sink = "[[sink]]\ntype = \"print\"\n";
    let rows = run_rows(&dir, "interval.toml", &format!("{EVENTS_SOURCE}{other}[[step]]\ntype = \"interval_join\"\ninput = \"events\"\nwith = \"other\"\nkey = \"k\"\nbetween = [\"-1 s\", \"1 s\"]\n[[step]]\ntype = \"select\"\ncolumns = [\"k\", \"v\", \"other_k\", \"w\", \"other_t\"]\n{sink}"));
    assert_eq!(rows, ["a,1,a,100,2000", "a,3,a,100,2000"]);
    let rows = run_rows(&dir, "window.toml", &format!("{EVENTS_SOURCE}{other}[[step]]\ntype = \"window_join\"\ninput = \"events\"\nwith = \"other\"\nkey = \"k\"\nwith-key = \"k\"\nwindow = \"tumble\"\nsize = \"10 s\"\n{sink}"));
    assert_eq!(
        rows,
        [
            "a,1,1.5,1000,a,100,2000",
            "a,3,0.5,2500,a,100,2000",
            "a,5,1.0,9000,a,100,2000",
            "b,4,3.0,12000,b,200,14000"
        ]
    );
}

#[test]
fn window_and_join_mistakes_are_named() {
    let dir = temp_dir("window-errors");
    write(&dir, "events.csv", EVENTS);
    let no_watermark = EVENTS_SOURCE.replace("watermark = { column = \"t\" }\n", "");
    let cases: Vec<(String, &str)> = vec![
        (format!("{no_watermark}[[step]]\ntype = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\n"), ":9: step \"window-1\": event-time windows need event time"),
        (format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nkey = \"kk\"\nwindow = \"tumble\"\nsize = \"1 s\"\n"), ":10: step \"window-1\": unknown column 'kk' (columns: k, v, d, t); did you mean 'k'?"),
        (format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\naggregates = [\"sum(k)\"]\n"), ":12: step \"window-1\": in 'sum(k)': sum does not apply to a column of type string"),
        (format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nkey = \"v\"\nwindow = \"tumble\"\nsize = \"1 s\"\naggregates = [\"max(d) AS v\"]\n"), ":8: step \"window-1\": the output has two columns named 'v'"),
        (format!("{EVENTS_SOURCE}[[step]]\ntype = \"window\"\nwindow = \"tumble\"\nsize = \"1 s\"\nparallelism = 2\n"), "runs at parallelism 1"),
        (format!("{EVENTS_SOURCE}[[step]]\ntype = \"interval_join\"\nwith = \"events\"\nkey = \"k\"\nwith-key = \"v\"\nbetween = [0, 0]\n"), ":12: step \"interval_join-1\": key columns differ in type: 'k' is string but 'v' of 'events' is long"),
        (format!("{no_watermark}[[step]]\ntype = \"window_join\"\nwith = \"events\"\nkey = \"k\"\nwindow = \"tumble\"\nsize = \"1 s\"\n"), "joins run in event time, but 'input' has none"),
        (format!("{EVENTS_SOURCE}[[step]]\ntype = \"window_join\"\nwith = \"evnts\"\nkey = \"k\"\nwindow = \"tumble\"\nsize = \"1 s\"\n"), "unknown input 'evnts' (sources and steps declared before this one: events); did you mean 'events'?"),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let job = write(
            &dir,
            &format!("bad-{i}.toml"),
            &format!("{text}[[sink]]\ntype = \"print\"\n"),
        );
        fails_with(&["run", &job], want);
        if want.starts_with(':') {
            fails_with(&["run", &job], &format!("bad-{i}.toml{want}"));
        }
    }
}

#[test]
fn aggregate_steps_emit_a_changelog_and_upsert_sinks_write_the_final_rows() {
    let dir = temp_dir("aggregate");
    // A changelog as input: the leading string column `op` makes it one.
    write(
        &dir,
        "changes.csv",
        "+I,a,10\n+I,b,1\n+I,a,5\n-U,a,10\n+U,a,20\n-D,b,1\n",
    );
    let head = "[config]\nparallelism.default = 1\n[[source]]\ntype = \"csv\"\npath = \"changes.csv\"\nschema = [\"op: string\", \"k: string\", \"v: long\"]\n[[step]]\ntype = \"aggregate\"\nkey = \"k\"\naggregates = [\"count(*) AS n\", \"sum(v)\", \"avg(v)\"]\n";
    let job = write(
        &dir,
        "append.toml",
        &format!("{head}[[sink]]\ntype = \"print\"\n"),
    );
    let out = weir(&["run", &job, "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(
        got,
        [
            "+I,a,1,10,10",
            "+I,b,1,1,1",
            "-U,a,1,10,10",
            "+U,a,2,15,7",
            "-U,a,2,15,7",
            "+U,a,1,5,5",
            "-U,a,1,5,5",
            "+U,a,2,25,12",
            "-D,b,1,1,1",
        ]
    );
    // The same to an upsert sink: the final row per key, without op.
    let rows = run_rows(
        &dir,
        "upsert.toml",
        &format!("{head}[[sink]]\ntype = \"print\"\nmode = \"upsert\"\nkey = \"k\"\n"),
    );
    assert_eq!(rows, ["a,2,25,12"]);
    let bad = write(
        &dir,
        "max.toml",
        &format!(
            "{}[[sink]]\ntype = \"print\"\n",
            head.replace("\"avg(v)\"", "\"max(v)\"")
        ),
    );
    fails_with(
        &["run", &bad],
        &format!("{bad}:10: step \"aggregate-1\": in 'max(v)': the input is a changelog"),
    );
    let bad = write(
        &dir,
        "sinkkey.toml",
        &format!("{head}[[sink]]\ntype = \"print\"\nmode = \"upsert\"\nkey = \"kk\"\n"),
    );
    fails_with(
        &["run", &bad],
        &format!("{bad}:14: sink \"print-sink-1\": unknown column 'kk'"),
    );
}

#[test]
fn bench_checkpoint_prints_one_json_object_with_every_field() {
    let out = weir(&[
        "bench",
        "checkpoint",
        "--events",
        "200000",
        "--keys",
        "1000",
        "--interval",
        "50ms",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let row: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(row["events"], 200_000, "{row}");
    assert_eq!(row["parallelism"], 2, "{row}");
    for field in [
        "events_per_sec_without",
        "events_per_sec_with",
        "ratio_with_checkpoints",
    ] {
        assert!(
            row[field].as_f64().is_some_and(|v| v > 0.0),
            "{field}: {row}"
        );
    }
    assert!(row["checkpoints_completed"].is_u64(), "{row}");
    assert!(row["aligned_checkpoint_ms"].is_number(), "{row}");
    assert!(row["aligned_checkpoint_max_ms"].is_number(), "{row}");
    assert!(row["unaligned_checkpoint_ms"].is_number(), "{row}");
    assert!(
        row["recovery_ms"].is_number() || row["recovery_ms"].is_null(),
        "{row}"
    );
    assert!(row["recovery_state_bytes"].is_u64(), "{row}");
    assert!(row["note"].is_string(), "{row}");
    fails_with(
        &["bench", "checkpoint", "--interval", "5ms"],
        "below the 10 ms minimum",
    );
    fails_with(
        &["bench", "checkpoint", "--interval", "soon"],
        "not a duration",
    );
}
