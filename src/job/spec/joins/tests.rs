use std::path::Path;
use std::time::Duration;

use super::*;
use crate::job::spec::JobSpec;

const HEAD: &str =
    "[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n[[sink]]\ntype = \"print\"\n";

fn parse_step(step: &str) -> Result<StepKind, String> {
    let text = format!("{HEAD}[[step]]\nname = \"j\"\n{step}");
    JobSpec::parse(Path::new("job.toml"), &text)
        .map(|s| s.steps[0].kind.clone())
        .map_err(|e| e.to_string())
}

#[test]
fn join_step_parses_with_defaults() {
    let StepKind::Join(j) = parse_step("type = \"join\"\nwith = \"other\"\nkey = \"a\"\n").unwrap()
    else {
        panic!()
    };
    assert_eq!(j.kind, JoinKind::Inner);
    assert!(!j.kind.is_outer());
    assert_eq!(j.with.text, "other");
    assert_eq!(j.with_keys[0].text, "a");
    assert_eq!(j.state_ttl, None);
}

#[test]
fn join_step_parses_kinds_keys_and_ttl() {
    for (text, kind) in [
        ("inner", JoinKind::Inner),
        ("left", JoinKind::Left),
        ("right", JoinKind::Right),
        ("full", JoinKind::Full),
    ] {
        let StepKind::Join(j) = parse_step(&format!(
            "type = \"join\"\nwith = \"other\"\nkey = [\"a\", \"b\"]\nwith-key = [\"c\", \"d\"]\nkind = \"{text}\"\nstate-ttl = \"1 h\"\n"
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(j.kind, kind);
        assert_eq!(j.kind.is_outer(), kind != JoinKind::Inner);
        assert_eq!(j.with_keys[1].text, "d");
        assert_eq!(j.state_ttl, Some(Duration::from_secs(3600)));
    }
}

#[test]
fn join_step_errors_name_step_and_line() {
    let cases: &[(&str, &str)] = &[
        ("type = \"join\"\nwith = \"x\"\nkey = \"a\"\nkind = \"lefft\"\n", "job.toml:12: step \"j\", key 'kind': unknown join kind 'lefft' (one of: inner, left, right, full); did you mean 'left'?"),
        ("type = \"join\"\nkey = \"a\"\n", "job.toml:7: step \"j\": missing key 'with'"),
        ("type = \"join\"\nwith = \"x\"\n", "job.toml:7: step \"j\": missing key 'key'"),
        ("type = \"join\"\nwith = \"x\"\nkey = \"a\"\nwith-key = [\"b\", \"c\"]\n", "job.toml:7: step \"j\": 'key' has 1 columns but 'with-key' has 2"),
        ("type = \"join\"\nwith = \"x\"\nkey = \"a\"\nstate-ttl = \"0\"\n", "job.toml:7: step \"j\": 'state-ttl' must be at least 1 ms"),
        ("type = \"join\"\nwith = \"x\"\nkey = \"a\"\nbetween = [0, 0]\n", "job.toml:12: step \"j\": unknown key 'between'"),
    ];
    for (step, want) in cases {
        let got = parse_step(step).unwrap_err();
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}");
    }
}
