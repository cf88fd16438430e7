//! Results as tables: each result type lists its fields in order ([`Report`]), and a
//! list of results renders as an aligned text table or as JSON lines.

use std::fmt::Write as _;

use weir_core::config::BufferTimeout;

/// One value of a result field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A signed integer.
    Int(i64),
    /// A count.
    UInt(u64),
    /// A measurement.
    Float(f64),
    /// Text.
    Text(String),
}

impl Value {
    /// The value as a table cell: integers in full, floats with a few significant
    /// decimals (none when whole), non-finite floats as `nan`/`inf`.
    pub fn to_cell(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Float(v) => format_float(*v),
            Value::Text(s) => s.clone(),
        }
    }

    fn is_number(&self) -> bool {
        !matches!(self, Value::Text(_))
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Int(v) => (*v).into(),
            Value::UInt(v) => (*v).into(),
            // NaN and infinities have no JSON form: null.
            Value::Float(v) => serde_json::Number::from_f64(*v)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Text(s) => s.clone().into(),
        }
    }
}

fn format_float(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string().to_lowercase();
    }
    let a = v.abs();
    if (v.fract() == 0.0 && a < 1e15) || a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A result that reports as one row: its fields, in display order.
pub trait Report {
    /// (field name, value) pairs, in the order of the table's columns.
    fn fields(&self) -> Vec<(&'static str, Value)>;
}

/// A buffer timeout in milliseconds as results show it: -1 when off.
pub fn timeout_ms(timeout: BufferTimeout) -> f64 {
    match timeout {
        BufferTimeout::Interval(d) => d.as_secs_f64() * 1e3,
        BufferTimeout::Disabled => -1.0,
    }
}

/// Renders `rows` as an aligned text table: a header line of the first row's field
/// names, then one line per row; numbers right-aligned, text left-aligned. Empty when
/// there are no rows.
pub fn render_table<R: Report>(rows: &[R]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let header: Vec<&str> = first.fields().iter().map(|(name, _)| *name).collect();
    let cells: Vec<Vec<(String, bool)>> = rows
        .iter()
        .map(|r| {
            r.fields()
                .into_iter()
                .map(|(_, v)| (v.to_cell(), v.is_number()))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (i, (cell, _)) in row.iter().enumerate() {
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(cell.chars().count()),
                None => widths.push(cell.chars().count()),
            }
        }
    }
    // Headers align like their column's first value.
    let numeric: Vec<bool> = cells[0].iter().map(|(_, n)| *n).collect();
    let mut out = String::new();
    let line = |out: &mut String, items: &mut dyn Iterator<Item = (usize, &str, bool)>| {
        let mut parts = Vec::new();
        for (i, text, right) in items {
            let w = widths.get(i).copied().unwrap_or(0);
            parts.push(if right {
                format!("{text:>w$}")
            } else {
                format!("{text:<w$}")
            });
        }
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(
        &mut out,
        &mut header
            .iter()
            .enumerate()
            .map(|(i, h)| (i, *h, numeric.get(i).copied().unwrap_or(false))),
    );
    for row in &cells {
        line(
            &mut out,
            &mut row
                .iter()
                .enumerate()
                .map(|(i, (c, n))| (i, c.as_str(), *n)),
        );
    }
    out
}

/// Renders `rows` as JSON lines: one object per row, keys in field order.
pub fn render_json_lines<R: Report>(rows: &[R]) -> String {
    let mut out = String::new();
    for r in rows {
        let fields: Vec<String> = r
            .fields()
            .into_iter()
            .map(|(name, v)| format!("{}:{}", serde_json::Value::from(name), v.to_json()))
            .collect();
        let _ = writeln!(out, "{{{}}}", fields.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(&'static str, u64, f64);

    impl Report for Row {
        fn fields(&self) -> Vec<(&'static str, Value)> {
            vec![
                ("name", Value::Text(self.0.into())),
                ("count", Value::UInt(self.1)),
                ("p99_us", Value::Float(self.2)),
            ]
        }
    }

    #[test]
    fn floats_are_formatted_by_magnitude() {
        assert_eq!(format_float(-1.0), "-1");
        assert_eq!(format_float(1_234_567.89), "1234568");
        assert_eq!(format_float(123.456), "123.5");
        assert_eq!(format_float(5.126), "5.13");
        assert_eq!(format_float(0.95321), "0.953");
        assert_eq!(format_float(f64::NAN), "nan");
    }

    #[test]
    fn table_aligns_columns_under_the_header() {
        let t = render_table(&[Row("a", 5, 12.5), Row("longer", 123456, 0.5)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "name     count  p99_us");
        assert_eq!(lines[1], "a            5   12.50");
        assert_eq!(lines[2], "longer  123456   0.500");
        assert_eq!(render_table::<Row>(&[]), "");
    }

    #[test]
    fn json_lines_keep_field_order_and_map_nan_to_null() {
        let j = render_json_lines(&[Row("x\"y", 1, 2.5), Row("z", 0, f64::NAN)]);
        assert_eq!(
            j,
            "{\"name\":\"x\\\"y\",\"count\":1,\"p99_us\":2.5}\n\
             {\"name\":\"z\",\"count\":0,\"p99_us\":null}\n"
        );
        for line in j.lines() {
            assert!(serde_json::from_str::<serde_json::Value>(line).is_ok());
        }
    }
}
