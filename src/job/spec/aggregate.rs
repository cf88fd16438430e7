//! The `aggregate` step of a job file: Flink SQL's `GROUP BY` without a window, whose
//! result is updated as rows arrive (a changelog).

use super::windows::{aggregates, AggregateSpec};
use super::{located_list, Located, StepKind, Table};
use crate::job::doc::JobFileError;

/// A `type = "aggregate"` step: per key, the aggregates over every row so far.
#[derive(Debug, Clone)]
pub struct AggregateStep {
    /// Key columns (the `GROUP BY` list), unless after a `key_by` step.
    pub keys: Vec<Located>,
    /// Aggregates, in output order, as a `window` step's.
    pub aggregates: Vec<AggregateSpec>,
}

/// `type = "aggregate"`.
pub fn aggregate(
    t: &mut Table<'_, '_>,
) -> Result<(StepKind, &'static [&'static str]), JobFileError> {
    let keys = located_list(t, "key")?;
    let aggregates = aggregates(t)?;
    if aggregates.is_empty() {
        return Err(t.error(
            "missing key 'aggregates' (e.g. aggregates = [\"max(price) AS final\", \"count(*)\"])",
        ));
    }
    Ok((
        StepKind::Aggregate(AggregateStep { keys, aggregates }),
        &["key", "aggregates"],
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::job::spec::{AggFn, JobSpec};

    const HEAD: &str =
        "[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n[[sink]]\ntype = \"print\"\n";

    fn parse_step(step: &str) -> Result<StepKind, String> {
        let text = format!("{HEAD}[[step]]\nname = \"g\"\n{step}");
        JobSpec::parse(Path::new("job.toml"), &text)
            .map(|s| s.steps[0].kind.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn aggregate_step_parses_keys_and_aggregates() {
        let StepKind::Aggregate(a) = parse_step(
            "type = \"aggregate\"\nkey = [\"id\", \"category\"]\naggregates = [\"max(price) AS final\", \"count(*)\"]\n",
        )
        .unwrap() else {
            panic!("not an aggregate step")
        };
        let keys: Vec<&str> = a.keys.iter().map(|k| k.text.as_str()).collect();
        assert_eq!(keys, ["id", "category"]);
        assert_eq!(a.aggregates[0].function, AggFn::Max);
        assert_eq!(a.aggregates[0].name, "final");
        assert_eq!(a.aggregates[1].name, "count");
        assert_eq!(a.aggregates[1].text.line, 11);
    }

    #[test]
    fn aggregate_step_errors_name_file_and_line() {
        let e = parse_step("type = \"aggregate\"\nkey = \"id\"\n").unwrap_err();
        assert!(
            e.starts_with("job.toml:7:") && e.contains("missing key 'aggregates'"),
            "{e}"
        );
        let e = parse_step("type = \"aggregate\"\nkey = \"id\"\naggregates = [\"median(x)\"]\n")
            .unwrap_err();
        assert!(
            e.starts_with("job.toml:11:") && e.contains("unknown aggregate function 'median'"),
            "{e}"
        );
        let e = parse_step("type = \"aggregate\"\nkey = \"id\"\naggregates = [\"count(*)\"]\nwindow = \"tumble\"\n")
            .unwrap_err();
        assert!(e.contains("window"), "{e}");
    }
}
