//! Join steps of a job file: `interval_join`, `window_join` and `join` (the regular join
//! in state).

use std::time::Duration;

use super::windows::{required, window_kind, WindowKind};
use super::{duration_of, located, located_list, Located, StepKind, Table};
use crate::job::doc::JobFileError;

/// A `type = "interval_join"` step.
#[derive(Debug, Clone)]
pub struct IntervalJoinStep {
    /// The right input.
    pub with: Located,
    /// Left key columns.
    pub keys: Vec<Located>,
    /// Right key columns (default: the same names).
    pub with_keys: Vec<Located>,
    /// Lower bound in ms: right.time >= left.time + lower.
    pub lower: i64,
    /// Upper bound in ms: right.time <= left.time + upper.
    pub upper: i64,
    /// Excludes the lower bound.
    pub lower_exclusive: bool,
    /// Excludes the upper bound.
    pub upper_exclusive: bool,
    /// Line of `between`.
    pub line: u32,
}

/// A `type = "window_join"` step.
#[derive(Debug, Clone)]
pub struct WindowJoinStep {
    /// The right input.
    pub with: Located,
    /// Left key columns.
    pub keys: Vec<Located>,
    /// Right key columns (default: the same names).
    pub with_keys: Vec<Located>,
    /// `tumble` or `hop`.
    pub kind: WindowKind,
    /// Window size.
    pub size: Duration,
    /// Slide of hop windows.
    pub slide: Option<Duration>,
}

/// The kind of a regular `join` step (Flink SQL's join types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// Pairs with equal keys only.
    Inner,
    /// Every left row, padded with NULLs when no right row matches.
    Left,
    /// Every right row, padded with NULLs when no left row matches.
    Right,
    /// Every row of either side, padded when unmatched.
    Full,
}

impl JoinKind {
    const NAMES: [&'static str; 4] = ["inner", "left", "right", "full"];

    /// Whether the output is a changelog (padded rows are withdrawn when a match comes).
    pub fn is_outer(self) -> bool {
        self != JoinKind::Inner
    }
}

/// A `type = "join"` step: Flink SQL's regular join, both sides kept in state.
#[derive(Debug, Clone)]
pub struct JoinStep {
    /// The right input.
    pub with: Located,
    /// Left key columns.
    pub keys: Vec<Located>,
    /// Right key columns (default: the same names).
    pub with_keys: Vec<Located>,
    /// Inner, left, right or full.
    pub kind: JoinKind,
    /// How long a row stays in state after it was last written (processing time).
    pub state_ttl: Option<Duration>,
}

fn join_keys(t: &mut Table<'_, '_>) -> Result<(Located, Vec<Located>, Vec<Located>), JobFileError> {
    let with = located(t, "with")?
        .ok_or_else(|| t.error("missing key 'with' (the right input: a source or step)"))?;
    let keys = located_list(t, "key")?;
    if keys.is_empty() {
        return Err(t.error("missing key 'key' (the left input's key columns)"));
    }
    let mut with_keys = located_list(t, "with-key")?;
    if with_keys.is_empty() {
        with_keys = keys.clone();
    }
    if with_keys.len() != keys.len() {
        return Err(t.error(format!(
            "'key' has {} columns but 'with-key' has {}",
            keys.len(),
            with_keys.len()
        )));
    }
    Ok((with, keys, with_keys))
}

/// `type = "interval_join"`.
pub fn interval_join(
    t: &mut Table<'_, '_>,
) -> Result<(StepKind, &'static [&'static str]), JobFileError> {
    let (with, keys, with_keys) = join_keys(t)?;
    let (lower, upper, line) = {
        let Some(item) = t.get("between") else {
            return Err(t.error(
                "missing key 'between' (the right row's time relative to the left's, e.g. between = [\"-2 s\", \"2 s\"])",
            ));
        };
        let line = item.line();
        let toml::de::DeValue::Array(values) = item.value() else {
            return Err(item.error("expected two bounds, e.g. [\"-2 s\", \"2 s\"]"));
        };
        if values.len() != 2 {
            return Err(item.error("expected two bounds, e.g. [\"-2 s\", \"2 s\"]"));
        }
        let bound = |v: &toml::Spanned<toml::de::DeValue<'_>>| -> Result<i64, JobFileError> {
            let text = match v.get_ref() {
                toml::de::DeValue::String(s) => s.to_string(),
                toml::de::DeValue::Integer(i) => i.as_str().to_string(),
                other => {
                    return Err(item.error(format!(
                        "a bound must be a duration string or ms, found {}",
                        other.type_str()
                    )))
                }
            };
            let trimmed = text.trim();
            let (sign, body) = match trimmed.strip_prefix('-') {
                Some(rest) => (-1, rest.trim()),
                None => (1, trimmed.trim_start_matches('+').trim()),
            };
            weir_core::config::parse_duration(body)
                .and_then(|d| i64::try_from(d.as_millis()).ok())
                .map(|ms| sign * ms)
                .ok_or_else(|| {
                    item.error(format!(
                        "bad bound '{text}': expected a duration such as '-2 s', '500 ms' or '0'"
                    ))
                })
        };
        let (lower, upper) = (bound(&values[0])?, bound(&values[1])?);
        if lower > upper {
            return Err(item.error(format!(
                "the lower bound ({lower} ms) is above the upper bound ({upper} ms)"
            )));
        }
        (lower, upper, line)
    };
    let flag = |t: &mut Table<'_, '_>, key: &str| -> Result<bool, JobFileError> {
        Ok(t.get(key).map(|i| i.bool()).transpose()?.unwrap_or(false))
    };
    let lower_exclusive = flag(t, "lower-exclusive")?;
    let upper_exclusive = flag(t, "upper-exclusive")?;
    Ok((
        StepKind::IntervalJoin(IntervalJoinStep {
            with,
            keys,
            with_keys,
            lower,
            upper,
            lower_exclusive,
            upper_exclusive,
            line,
        }),
        &[
            "with",
            "key",
            "with-key",
            "between",
            "lower-exclusive",
            "upper-exclusive",
        ],
    ))
}

/// `type = "window_join"`.
pub fn window_join(
    t: &mut Table<'_, '_>,
) -> Result<(StepKind, &'static [&'static str]), JobFileError> {
    let (with, keys, with_keys) = join_keys(t)?;
    let (kind, _) = window_kind(t, &["tumble", "hop"])?;
    let size = required(
        t,
        "size",
        "missing key 'size' (the window length, e.g. size = \"10 s\")",
    )?;
    let slide = if kind == WindowKind::Hop {
        Some(required(
            t,
            "slide",
            "missing key 'slide' (how far a hop window advances, e.g. slide = \"2 s\")",
        )?)
    } else {
        None
    };
    Ok((
        StepKind::WindowJoin(WindowJoinStep {
            with,
            keys,
            with_keys,
            kind,
            size,
            slide,
        }),
        &["with", "key", "with-key", "window", "size", "slide"],
    ))
}

/// `type = "join"`.
pub fn join(t: &mut Table<'_, '_>) -> Result<(StepKind, &'static [&'static str]), JobFileError> {
    let (with, keys, with_keys) = join_keys(t)?;
    let kind = match t.get("kind") {
        None => JoinKind::Inner,
        Some(item) => {
            let text = item.str()?;
            match text.as_str() {
                "inner" => JoinKind::Inner,
                "left" => JoinKind::Left,
                "right" => JoinKind::Right,
                "full" => JoinKind::Full,
                _ => {
                    let hint = crate::job::doc::nearest(&text, &JoinKind::NAMES)
                        .map(|n| format!("; did you mean '{n}'?"))
                        .unwrap_or_default();
                    return Err(item.error(format!(
                        "unknown join kind '{text}' (one of: {}){hint}",
                        JoinKind::NAMES.join(", ")
                    )));
                }
            }
        }
    };
    let state_ttl = duration_of(t, "state-ttl")?;
    if state_ttl.is_some_and(|d| d.as_millis() == 0) {
        return Err(
            t.error("'state-ttl' must be at least 1 ms (leave it out to keep rows for ever)")
        );
    }
    Ok((
        StepKind::Join(JoinStep {
            with,
            keys,
            with_keys,
            kind,
            state_ttl,
        }),
        &["with", "key", "with-key", "kind", "state-ttl"],
    ))
}

#[cfg(test)]
mod tests;
