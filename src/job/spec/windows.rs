//! Window steps of a job file: `window` (tumble, hop, session, count) with aggregates
//! or `keep`.

use std::time::Duration;

use super::{duration_of, located, located_list, Located, StepKind, Table};
use crate::job::doc::{nearest, JobFileError};

/// The kinds of window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// Fixed, non-overlapping windows of `size`.
    Tumble,
    /// Windows of `size` every `slide` (Flink's sliding windows).
    Hop,
    /// Windows that close after `gap` without rows (per key).
    Session,
    /// Windows of `size` rows (every `slide` rows, if set).
    Count,
}

/// Names of the window kinds as written.
pub const WINDOW_KINDS: &[&str] = &["tumble", "hop", "session", "count"];

/// The aggregate functions of window steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    /// Number of rows (`count(*)`) or of non-NULL values (`count(col)`).
    Count,
    /// Sum of non-NULL values.
    Sum,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Average, as Flink SQL's `AVG`.
    Avg,
    /// The first non-NULL value in arrival order.
    First,
    /// The last non-NULL value in arrival order.
    Last,
}

/// Names of the aggregate functions as written.
pub const AGG_FNS: &[&str] = &["count", "sum", "min", "max", "avg", "first", "last"];

/// One aggregate of a window step: `fn(column) [AS name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateSpec {
    /// The function.
    pub function: AggFn,
    /// Its column (`None` for `count(*)`).
    pub column: Option<Located>,
    /// Output column name (default `count`, or `<fn>_<column>`).
    pub name: String,
    /// The text as written and its line.
    pub text: Located,
}

/// `keep = "max(col)"`: every row whose column equals the window's maximum (or minimum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepSpec {
    /// `max` (true) or `min` (false).
    pub max: bool,
    /// The column.
    pub column: Located,
}

/// A `type = "window"` step.
#[derive(Debug, Clone)]
pub struct WindowStep {
    /// Which windows.
    pub kind: WindowKind,
    /// Size of time windows.
    pub size: Option<Duration>,
    /// Slide of hop windows.
    pub slide: Option<Duration>,
    /// Gap of session windows.
    pub gap: Option<Duration>,
    /// Rows per count window.
    pub rows: Option<u64>,
    /// Rows between firings of a sliding count window.
    pub every: Option<u64>,
    /// Processing time instead of event time.
    pub processing_time: bool,
    /// Key columns (none: one window over the whole stream), unless after `key_by`.
    pub keys: Vec<Located>,
    /// Aggregates, in output order.
    pub aggregates: Vec<AggregateSpec>,
    /// The argmax form, instead of aggregates.
    pub keep: Option<KeepSpec>,
    /// Names of the window bound columns (start, end); none when empty.
    pub window_columns: Vec<Located>,
    /// Line of `window`.
    pub line: u32,
}

pub(super) fn window_kind(
    t: &mut Table<'_, '_>,
    allowed: &[&str],
) -> Result<(WindowKind, u32), JobFileError> {
    let Some(item) = t.get("window") else {
        return Err(t.error(format!("missing key 'window' ({})", allowed.join(", "))));
    };
    let text = item.str()?;
    let kind = match text.as_str() {
        "tumble" => WindowKind::Tumble,
        "hop" => WindowKind::Hop,
        "session" => WindowKind::Session,
        "count" => WindowKind::Count,
        _ => WindowKind::Tumble,
    };
    if !allowed.contains(&text.as_str()) {
        let hint = nearest(&text, allowed)
            .map(|n| format!("; did you mean '{n}'?"))
            .unwrap_or_default();
        return Err(item.error(format!(
            "unknown window '{text}' (one of: {}){hint}",
            allowed.join(", ")
        )));
    }
    Ok((kind, item.line()))
}

/// The duration at `key`, at least 1 ms; `missing` is the error without it.
pub(super) fn required(
    t: &mut Table<'_, '_>,
    key: &str,
    missing: &str,
) -> Result<Duration, JobFileError> {
    match duration_of(t, key)? {
        None => Err(t.error(missing)),
        Some(d) if d.as_millis() == 0 => Err(t.error(format!("'{key}' must be at least 1 ms"))),
        Some(d) => Ok(d),
    }
}

/// Parses `fn(column) [AS name]`.
pub fn aggregate(text: &Located) -> Result<AggregateSpec, String> {
    let s = text.text.trim();
    let (call, alias) = match s.rfind(" AS ").or_else(|| s.rfind(" as ")) {
        Some(i) => (s[..i].trim(), Some(s[i + 4..].trim())),
        None => (s, None),
    };
    let (Some(open), true) = (call.find('('), call.ends_with(')')) else {
        return Err(format!(
            "'{s}' is not an aggregate: expected 'fn(column) [AS name]' with fn one of {}",
            AGG_FNS.join(", ")
        ));
    };
    let name = call[..open].trim().to_lowercase();
    let arg = call[open + 1..call.len() - 1].trim();
    let function = match name.as_str() {
        "count" => AggFn::Count,
        "sum" => AggFn::Sum,
        "min" => AggFn::Min,
        "max" => AggFn::Max,
        "avg" => AggFn::Avg,
        "first" => AggFn::First,
        "last" => AggFn::Last,
        _ => {
            let hint = nearest(&name, AGG_FNS)
                .map(|n| format!("; did you mean '{n}'?"))
                .unwrap_or_default();
            return Err(format!(
                "unknown aggregate function '{name}' (one of: {}){hint}",
                AGG_FNS.join(", ")
            ));
        }
    };
    let arg = arg.trim_matches('`');
    if arg.is_empty() {
        return Err(format!("'{s}': the aggregate needs a column"));
    }
    let column = if arg == "*" {
        if function != AggFn::Count {
            return Err(format!("'{s}': only count takes '*'"));
        }
        None
    } else {
        Some(Located {
            text: arg.to_string(),
            line: text.line,
        })
    };
    let name = match (alias, &column) {
        (Some(a), _) if !a.is_empty() => a.trim_matches('`').to_string(),
        (Some(_), _) => return Err(format!("'{s}': empty name after AS")),
        (None, None) => "count".to_string(),
        (None, Some(c)) => format!("{name}_{}", c.text),
    };
    Ok(AggregateSpec {
        function,
        column,
        name,
        text: text.clone(),
    })
}

/// The `aggregates` list of a step, each parsed; an error names the step and the line.
pub(super) fn aggregates(t: &mut Table<'_, '_>) -> Result<Vec<AggregateSpec>, JobFileError> {
    located_list(t, "aggregates")?
        .iter()
        .map(|a| {
            aggregate(a).map_err(|e| {
                let mut err = t.error(e);
                err.line = a.line;
                err
            })
        })
        .collect()
}

fn keep(text: &Located) -> Result<KeepSpec, String> {
    let s = text.text.trim();
    let inner = |p: &str| {
        s.strip_prefix(p)
            .and_then(|r| r.strip_suffix(')'))
            .map(|c| c.trim().trim_matches('`').to_string())
    };
    let (max, column) = match (inner("max("), inner("min(")) {
        (Some(c), _) => (true, c),
        (_, Some(c)) => (false, c),
        _ => {
            return Err(format!(
                "'{s}' is not a keep rule: expected 'max(column)' or 'min(column)'"
            ))
        }
    };
    if column.is_empty() {
        return Err(format!("'{s}': keep needs a column"));
    }
    Ok(KeepSpec {
        max,
        column: Located {
            text: column,
            line: text.line,
        },
    })
}

/// `type = "window"`.
pub fn window(t: &mut Table<'_, '_>) -> Result<(StepKind, &'static [&'static str]), JobFileError> {
    let (kind, line) = window_kind(t, WINDOW_KINDS)?;
    let keys = located_list(t, "key")?;
    let processing_time = match t.get("time") {
        None => false,
        Some(item) => match item.str()?.as_str() {
            "event" => false,
            "processing" => true,
            other => {
                return Err(item.error(format!("'{other}' is not a time (event or processing)")))
            }
        },
    };
    let (mut size, mut slide, mut gap, mut rows, mut every) = (None, None, None, None, None);
    match kind {
        WindowKind::Tumble | WindowKind::Hop => {
            size = Some(required(
                t,
                "size",
                "missing key 'size' (the window length, e.g. size = \"10 s\")",
            )?);
            if kind == WindowKind::Hop {
                slide = Some(required(
                    t,
                    "slide",
                    "missing key 'slide' (how far a hop window advances, e.g. slide = \"2 s\")",
                )?);
            }
        }
        WindowKind::Session => {
            gap = Some(required(
                t,
                "gap",
                "missing key 'gap' (the inactivity that closes a session, e.g. gap = \"10 s\")",
            )?);
        }
        WindowKind::Count => {
            let n = |t: &mut Table<'_, '_>, key: &str| -> Result<Option<u64>, JobFileError> {
                match t.get(key) {
                    None => Ok(None),
                    Some(item) => match item.count()? {
                        0 => Err(item.error("a count window needs at least 1 row")),
                        n => Ok(Some(n)),
                    },
                }
            };
            let size = n(t, "size")?;
            rows = Some(size.ok_or_else(|| {
                t.error("missing key 'size' (rows per count window, e.g. size = 100)")
            })?);
            every = n(t, "slide")?;
            if processing_time {
                return Err(t.error("'time' does not apply to count windows"));
            }
        }
    }
    let aggregates = aggregates(t)?;
    let keep = match located(t, "keep")? {
        None => None,
        Some(k) => Some(keep(&k).map_err(|e| {
            let mut err = t.error(e);
            err.line = k.line;
            err
        })?),
    };
    if keep.is_some() && !aggregates.is_empty() {
        return Err(t.error(
            "'keep' and 'aggregates' exclude each other: keep emits the input rows themselves",
        ));
    }
    let window_columns = match t.get("window-columns") {
        None => vec![
            Located {
                text: "window_start".into(),
                line,
            },
            Located {
                text: "window_end".into(),
                line,
            },
        ],
        Some(item) => {
            let l = item.line();
            let names = item.strings()?;
            if !(names.is_empty() || names.len() == 2) {
                return Err(
                    item.error("expected two names (start, end), or [] for no window columns")
                );
            }
            names
                .into_iter()
                .map(|text| Located { text, line: l })
                .collect()
        }
    };
    let window_columns = if kind == WindowKind::Count {
        Vec::new()
    } else {
        window_columns
    };
    Ok((
        StepKind::Window(WindowStep {
            kind,
            size,
            slide,
            gap,
            rows,
            every,
            processing_time,
            keys,
            aggregates,
            keep,
            window_columns,
            line,
        }),
        &[
            "window",
            "key",
            "time",
            "size",
            "slide",
            "gap",
            "aggregates",
            "keep",
            "window-columns",
        ],
    ))
}

#[cfg(test)]
mod tests;
