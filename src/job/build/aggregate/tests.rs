use std::path::Path;

use super::*;
use crate::job::spec::{AggFn, JobSpec};

fn plan(function: AggFn, column: Option<usize>) -> AggPlan {
    AggPlan { function, column }
}

fn longs(values: &[i64]) -> Vec<Value> {
    values.iter().map(|v| Value::Long(*v)).collect()
}

fn row(values: &[i64]) -> Row {
    Row::new(longs(values))
}

#[test]
fn insert_only_input_emits_an_insert_then_update_pairs_and_skips_unchanged_results() {
    // max(v) over rows (k, v) of one key.
    let f = GroupAggFunction::new(vec![plan(AggFn::Max, Some(1))]);
    let mut acc = None;
    let mut run = |v: i64| f.process(&mut acc, Op::Insert, &row(&[1, v])).unwrap();
    assert_eq!(run(5), Update::Insert(longs(&[5])));
    assert_eq!(
        run(9),
        Update::Change {
            before: longs(&[5]),
            after: longs(&[9])
        }
    );
    // A smaller price leaves the maximum: Flink emits nothing.
    assert_eq!(run(7), Update::Unchanged);
    assert_eq!(
        run(12),
        Update::Change {
            before: longs(&[9]),
            after: longs(&[12])
        }
    );
}

#[test]
fn retractions_take_rows_back_and_the_last_one_deletes_the_key() {
    // count(*), sum(v), avg(v), count(v) over a changelog of rows (op, k, v).
    let f = GroupAggFunction::new(vec![
        plan(AggFn::Count, None),
        plan(AggFn::Sum, Some(2)),
        plan(AggFn::Avg, Some(2)),
        plan(AggFn::Count, Some(2)),
    ]);
    let r = |v: Option<i64>| {
        Row::new(vec![
            Value::Null,
            Value::Long(1),
            v.map_or(Value::Null, Value::Long),
        ])
    };
    let mut acc = None;
    assert_eq!(
        f.process(&mut acc, Op::Insert, &r(Some(10))).unwrap(),
        Update::Insert(longs(&[1, 10, 10, 1]))
    );
    assert_eq!(
        f.process(&mut acc, Op::UpdateAfter, &r(Some(5))).unwrap(),
        Update::Change {
            before: longs(&[1, 10, 10, 1]),
            after: longs(&[2, 15, 7, 2])
        }
    );
    // A NULL value counts as a row, not as a value.
    assert_eq!(
        f.process(&mut acc, Op::Insert, &r(None)).unwrap(),
        Update::Change {
            before: longs(&[2, 15, 7, 2]),
            after: longs(&[3, 15, 7, 2])
        }
    );
    assert_eq!(
        f.process(&mut acc, Op::UpdateBefore, &r(Some(10))).unwrap(),
        Update::Change {
            before: longs(&[3, 15, 7, 2]),
            after: longs(&[2, 5, 5, 1])
        }
    );
    assert_eq!(
        f.process(&mut acc, Op::Delete, &r(Some(5))).unwrap(),
        Update::Change {
            before: longs(&[2, 5, 5, 1]),
            after: vec![Value::Long(1), Value::Null, Value::Null, Value::Long(0)]
        }
    );
    assert!(acc.is_some());
    assert_eq!(
        f.process(&mut acc, Op::Delete, &r(None)).unwrap(),
        Update::Delete(vec![
            Value::Long(1),
            Value::Null,
            Value::Null,
            Value::Long(0)
        ])
    );
    assert!(acc.is_none(), "the key's state is cleared");
    // A retraction for a key without rows is dropped, as Flink does.
    assert_eq!(
        f.process(&mut acc, Op::Delete, &r(Some(3))).unwrap(),
        Update::Unchanged
    );
    assert!(acc.is_none());
}

#[test]
fn accumulators_count_their_strings_in_the_state_size() {
    let f = GroupAggFunction::new(vec![plan(AggFn::Max, Some(0))]);
    let mut acc = None;
    let long = "x".repeat(1000);
    f.process(&mut acc, Op::Insert, &Row::new(vec![Value::Str(long)]))
        .unwrap();
    assert!(acc.map(|a| a.heap_size()).unwrap_or(0) >= 1000);
}

const SOURCES: &str = "[[source]]\nname = \"n\"\ntype = \"sequence\"\nfrom = 1\nto = 3\n";

/// Builds a job of `SOURCES`, then `steps`, then a print sink; the error as text.
fn build_error(steps: &str) -> String {
    let text = format!("{SOURCES}{steps}[[sink]]\ntype = \"print\"\n");
    let spec = JobSpec::parse(Path::new("job.toml"), &text).expect("the job parses");
    let config = crate::job::build::configuration(&spec).expect("config");
    match crate::job::build::build(&spec, config) {
        Ok(_) => panic!("the job built"),
        Err(e) => e.to_string(),
    }
}

fn builds(steps: &str) {
    let text = format!("{SOURCES}{steps}[[sink]]\ntype = \"print\"\n");
    let spec = JobSpec::parse(Path::new("job.toml"), &text).expect("the job parses");
    let config = crate::job::build::configuration(&spec).expect("config");
    if let Err(e) = crate::job::build::build(&spec, config) {
        panic!("{e}");
    }
}

#[test]
fn aggregate_build_errors_name_the_step_and_line() {
    // Lines: the source takes 1-5, the step starts at 6.
    let e =
        build_error("[[step]]\nname = \"g\"\ntype = \"aggregate\"\naggregates = [\"count(*)\"]\n");
    assert!(
        e.starts_with("job.toml:6: step \"g\": an aggregate needs a key"),
        "{e}"
    );
    let e = build_error(
        "[[step]]\nname = \"g\"\ntype = \"aggregate\"\nkey = \"valeu\"\naggregates = [\"count(*)\"]\n",
    );
    assert!(
        e.starts_with("job.toml:9: step \"g\": unknown column 'valeu'")
            && e.contains("did you mean 'value'"),
        "{e}"
    );
    let e = build_error(
        "[[step]]\nname = \"g\"\ntype = \"aggregate\"\nkey = \"value\"\naggregates = [\"sum(nope)\"]\n",
    );
    assert!(
        e.starts_with("job.toml:10: step \"g\": unknown column 'nope'"),
        "{e}"
    );
    let e = build_error(
        "[[step]]\nname = \"g\"\ntype = \"aggregate\"\nkey = \"value\"\naggregates = [\"count(*) AS value\"]\n",
    );
    assert!(e.contains("two columns named 'value'"), "{e}");
}

#[test]
fn min_and_max_over_a_changelog_are_refused_when_the_job_is_built() {
    // A select that leads with a string column `op` makes a changelog.
    let changelog =
        "[[step]]\ntype = \"select\"\ncolumns = [\"'+I' AS op\", \"value % 2 AS k\", \"value\"]\n";
    let e = build_error(&format!(
        "{changelog}[[step]]\nname = \"g\"\ntype = \"aggregate\"\nkey = \"k\"\naggregates = [\"sum(value)\", \"max(value) AS top\"]\n"
    ));
    assert!(
        e.starts_with("job.toml:13: step \"g\": in 'max(value) AS top': the input is a changelog"),
        "{e}"
    );
    let e = build_error(&format!(
        "{changelog}[[step]]\nname = \"g\"\ntype = \"aggregate\"\nkey = \"op\"\naggregates = [\"count(*)\"]\n"
    ));
    assert!(e.contains("cannot be a key"), "{e}");
    builds(&format!(
        "{changelog}[[step]]\ntype = \"aggregate\"\nkey = \"k\"\naggregates = [\"sum(value)\", \"avg(value)\", \"count(*)\"]\n"
    ));
    // An aggregate's own output is a changelog, so a second one takes retractions.
    builds("[[step]]\ntype = \"aggregate\"\nkey = \"value\"\naggregates = [\"max(value) AS top\"]\n[[step]]\ntype = \"aggregate\"\nkey = \"top\"\naggregates = [\"count(*)\"]\n");
}
