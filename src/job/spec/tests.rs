use super::*;

fn parse(text: &str) -> Result<JobSpec, String> {
    JobSpec::parse(Path::new("job.toml"), text).map_err(|e| e.to_string())
}

const MINIMAL: &str =
    "[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n\n[[sink]]\ntype = \"print\"\n";

#[test]
fn a_minimal_job_parses_with_defaults() {
    let spec = parse(MINIMAL).unwrap();
    assert_eq!(spec.name, "job");
    assert_eq!(spec.sources[0].name, "source-1");
    assert!(matches!(
        spec.sources[0].kind,
        SourceKind::Sequence { from: 1, to: 3 }
    ));
    assert!(matches!(spec.sinks[0].kind, SinkKind::Print));
    assert_eq!(spec.sinks[0].line, 6);
}

#[test]
fn every_step_kind_parses() {
    let text = r#"
name = "all"
[config]
"parallelism.default" = 2
execution.buffer-timeout = "5 ms"

[[source]]
name = "lines"
type = "csv"
path = "in.csv"
schema = ["line: string"]
on-error = "skip"
dead-letter = "bad.txt"

[[step]]
type = "split"
column = "line"
as = "word"
[[step]]
type = "select"
columns = ["word", "1 AS n"]
partition = "rebalance"
chaining = "start-new-chain"
[[step]]
type = "filter"
where = "length(word) > 0"
buffer-timeout = 0
[[step]]
name = "counts"
type = "sum"
field = "n"
key = "word"
[[step]]
type = "union"
with = ["counts"]
slot-sharing-group = "other"
parallelism = 1

[[sink]]
type = "csv"
path = "out.csv"
rate-limit = 100.5
"#;
    let spec = parse(text).unwrap();
    assert_eq!(spec.name, "all");
    assert_eq!(spec.config.len(), 2);
    assert!(spec
        .config
        .iter()
        .any(|(k, v, line)| k == "parallelism.default" && *v == RawValue::Int(2) && *line == 4));
    match &spec.sources[0].kind {
        SourceKind::Csv {
            on_error,
            dead_letter,
            schema,
            ..
        } => {
            assert_eq!(*on_error, OnErrorSpec::Skip);
            assert_eq!(dead_letter.as_deref(), Some(Path::new("bad.txt")));
            assert_eq!(schema[0].text, "line: string");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(spec.steps.len(), 5);
    assert!(matches!(spec.steps[0].kind, StepKind::Split { .. }));
    assert_eq!(
        spec.steps[1]
            .settings
            .partition
            .as_ref()
            .map(|p| p.text.as_str()),
        Some("rebalance")
    );
    assert_eq!(
        spec.steps[2]
            .settings
            .buffer_timeout
            .as_ref()
            .map(|p| p.text.as_str()),
        Some("0")
    );
    assert!(
        matches!(&spec.steps[3].kind, StepKind::Rolling { kind: RollingKind::Sum, keys, .. } if keys.len() == 1)
    );
    assert_eq!(spec.steps[3].name, "counts");
    assert_eq!(spec.steps[4].settings.parallelism, Some(1));
    assert_eq!(spec.sinks[0].rate_limit, Some(100.5));
}

#[test]
fn errors_name_file_line_and_key() {
    let cases: &[(&str, &str)] = &[
        ("[[source]]\ntype = \"sequenc\"\n", "job.toml:2: source #1, key 'type': unknown source type 'sequenc' (one of: csv, text, nexmark-file, nexmark, sequence); did you mean 'sequence'?"),
        ("[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 2\nparalelism = 2\n[[sink]]\ntype = \"print\"\n", "job.toml:5: source \"source-1\": unknown key 'paralelism'; did you mean 'parallelism'?"),
        ("[[source]]\ntype = \"sequence\"\nfrom = \"a\"\nto = 2\n", "job.toml:3: source \"source-1\", key 'from': expected an integer, found string"),
        ("[[source]]\ntype = \"csv\"\npath = \"x\"\nschema = [\"a: long\"]\non-error = \"ignore\"\n", "job.toml:5: source \"source-1\", key 'on-error': 'ignore' is not an on-error policy (fail or skip)"),
        (&format!("{MINIMAL}path = \"x\"\n"), "job.toml:8: sink \"print-sink-1\": key 'path' does not apply here"),
        ("[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 2\n", "job.toml: the job has no [[sink]]"),
        (&format!("{MINIMAL}[[step]]\ntype = \"filter\"\n"), "job.toml:8: step \"filter-1\": missing key 'where'"),
        (&format!("colour = 1\n{MINIMAL}"), "job.toml:1: unknown key 'colour'"),
        ("[[source]\n", "job.toml:1: not valid TOML"),
    ];
    for (text, want) in cases {
        let got = parse(text).unwrap_err();
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}
