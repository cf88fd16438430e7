//! The `[[sink]]` tables of a job file: where rows go (print, csv, blackhole, files), and how a
//! sink writes its input: as it comes (`append`, the default: a changelog keeps its `op`
//! column), or as the final row per key (`upsert`).

use std::path::PathBuf;

use super::{kind_of, located, located_list, name_of, parallelism, rate_limit, Located, Table};
use crate::job::doc::JobFileError;

/// A `[[sink]]`.
#[derive(Debug, Clone)]
pub struct SinkSpec {
    /// Name.
    pub name: String,
    /// Line of the table.
    pub line: u32,
    /// Input (default: the last step, or the last source).
    pub input: Option<Located>,
    /// What it writes to.
    pub kind: SinkKind,
    /// Rate limit (records/s) to emulate a slow consumer.
    pub rate_limit: Option<f64>,
    /// Parallelism.
    pub parallelism: Option<usize>,
    /// Append (default) or upsert.
    pub mode: SinkMode,
}

/// The kinds of sink.
#[derive(Debug, Clone)]
pub enum SinkKind {
    /// Standard output, one CSV line per record.
    Print,
    /// A CSV file (a directory of part files at parallelism > 1).
    Csv {
        /// Path.
        path: PathBuf,
    },
    /// Discards records.
    Blackhole,
    /// Exactly-once part files in a directory (Flink's `FileSink`): committed when the
    /// checkpoint covering them completes, or at the end of input without checkpoints.
    Files {
        /// The directory.
        path: PathBuf,
    },
}

const SINK_TYPES: &[&str] = &["print", "csv", "blackhole", "files"];
const SINK_KEYS: &[&str] = &[
    "type",
    "name",
    "input",
    "parallelism",
    "rate-limit",
    "path",
    "mode",
    "key",
];

pub(super) fn sink(mut t: Table<'_, '_>, i: usize) -> Result<SinkSpec, JobFileError> {
    let line = t.line();
    let kind = kind_of(&mut t, SINK_TYPES, "sink")?;
    let name = name_of(&mut t, format!("{kind}-sink-{}", i + 1))?;
    let input = located(&mut t, "input")?;
    let parallelism = parallelism(&mut t)?;
    let rate_limit = rate_limit(&mut t)?;
    let kind = match kind.as_str() {
        "print" => SinkKind::Print,
        "blackhole" => SinkKind::Blackhole,
        "files" => SinkKind::Files {
            path: PathBuf::from(t.str("path")?),
        },
        _ => {
            let path = PathBuf::from(t.str("path")?);
            SinkKind::Csv { path }
        }
    };
    let mode = sink_mode(&mut t)?;
    t.finish(SINK_KEYS)?;
    Ok(SinkSpec {
        name,
        line,
        input,
        kind,
        rate_limit,
        parallelism,
        mode,
    })
}

/// How a sink writes its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkMode {
    /// Every row as it arrives (a changelog with its `op` column).
    Append,
    /// The final row per key once the input ends, sorted by key, without `op`: `+I`/`+U`
    /// rows set a key's row, `-U`/`-D` rows withdraw it.
    Upsert {
        /// The key columns (the upsert key).
        keys: Vec<Located>,
    },
}

const MODES: &[&str] = &["append", "upsert"];

/// The `mode` and `key` of a sink table.
pub(super) fn sink_mode(t: &mut Table<'_, '_>) -> Result<SinkMode, JobFileError> {
    let mode = match t.get("mode") {
        None => "append".to_string(),
        Some(item) => {
            let text = item.str()?;
            if !MODES.contains(&text.as_str()) {
                let hint = crate::job::doc::nearest(&text, MODES)
                    .map(|n| format!("; did you mean '{n}'?"))
                    .unwrap_or_default();
                return Err(item.error(format!(
                    "unknown sink mode '{text}' (one of: {}){hint}",
                    MODES.join(", ")
                )));
            }
            text
        }
    };
    let keys = located_list(t, "key")?;
    match (mode.as_str(), keys.is_empty()) {
        ("upsert", false) => Ok(SinkMode::Upsert { keys }),
        ("upsert", true) => Err(t.error(
            "mode = \"upsert\" needs key = [\"column\", …]: the columns whose final row is written",
        )),
        (_, false) => Err(t.error("'key' applies to mode = \"upsert\" only")),
        _ => Ok(SinkMode::Append),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::job::spec::JobSpec;

    const HEAD: &str = "[[source]]\ntype = \"sequence\"\nfrom = 1\nto = 3\n";

    fn parse_sink(sink: &str) -> Result<SinkMode, String> {
        let text = format!("{HEAD}[[sink]]\nname = \"out\"\ntype = \"print\"\n{sink}");
        JobSpec::parse(Path::new("job.toml"), &text)
            .map(|s| s.sinks[0].mode.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn sinks_append_by_default_and_upsert_by_their_key() {
        assert_eq!(parse_sink(""), Ok(SinkMode::Append));
        assert_eq!(parse_sink("mode = \"append\"\n"), Ok(SinkMode::Append));
        let Ok(SinkMode::Upsert { keys }) =
            parse_sink("mode = \"upsert\"\nkey = [\"category\", \"day\"]\n")
        else {
            panic!("not an upsert sink")
        };
        assert_eq!(keys[1].text, "day");
        assert_eq!(keys[1].line, 9);
    }

    #[test]
    fn sink_mode_errors_name_file_and_line() {
        let e = parse_sink("mode = \"upsret\"\nkey = \"k\"\n").unwrap_err();
        assert!(
            e.starts_with("job.toml:8:") && e.contains("did you mean 'upsert'"),
            "{e}"
        );
        let e = parse_sink("mode = \"upsert\"\n").unwrap_err();
        assert!(
            e.starts_with("job.toml:5:") && e.contains("needs key"),
            "{e}"
        );
        let e = parse_sink("key = \"k\"\n").unwrap_err();
        assert!(e.contains("'key' applies to mode = \"upsert\" only"), "{e}");
    }
}
