//! A TOML document read with positions: every value knows its line, every table checks
//! that it holds only known keys, so job-file errors name the file, the line and the key.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// An error in a job file: where (file and line) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFileError {
    /// The job file.
    pub path: PathBuf,
    /// 1-based line, or 0 when the whole file is concerned.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for JobFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}

impl std::error::Error for JobFileError {}

/// The text of a job file and its path, for turning byte offsets into lines.
pub struct Doc<'a> {
    /// The file's path as the user gave it.
    pub path: &'a Path,
    text: &'a str,
}

impl<'a> Doc<'a> {
    /// A document over `text` read from `path`.
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Self { path, text }
    }

    /// Parses the whole document into its root table.
    pub fn parse(&self) -> Result<Table<'a, '_>, JobFileError> {
        match DeTable::parse(self.text) {
            Ok(root) => {
                let line = 0;
                let table = root.into_inner();
                Ok(Table {
                    doc: self,
                    table,
                    line,
                    context: String::new(),
                    used: BTreeSet::new(),
                })
            }
            Err(e) => {
                let line = e.span().map(|s| self.line_of(s.start)).unwrap_or(0);
                let message = e.message().trim().to_string();
                Err(self.error(line, format!("not valid TOML: {message}")))
            }
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> u32 {
        let end = offset.min(self.text.len());
        1 + self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32
    }

    /// An error at `line`.
    pub fn error(&self, line: u32, message: impl Into<String>) -> JobFileError {
        JobFileError {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// One scalar or array value with its line.
pub struct Item<'a, 'd> {
    doc: &'d Doc<'a>,
    value: &'d Spanned<DeValue<'a>>,
    /// Where the value stands, e.g. `source "bids", key 'path'`.
    pub what: String,
}

impl<'a, 'd> Item<'a, 'd> {
    /// The 1-based line of the value.
    pub fn line(&self) -> u32 {
        self.doc.line_of(self.value.span().start)
    }

    /// An error about this value.
    pub fn error(&self, message: impl fmt::Display) -> JobFileError {
        self.doc
            .error(self.line(), format!("{}: {message}", self.what))
    }

    fn expected(&self, what: &str) -> JobFileError {
        self.error(format!(
            "expected {what}, found {}",
            self.value.get_ref().type_str()
        ))
    }

    /// The value as a string.
    pub fn str(&self) -> Result<String, JobFileError> {
        self.value
            .get_ref()
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.expected("a string"))
    }

    /// The value as an integer.
    pub fn int(&self) -> Result<i64, JobFileError> {
        let i = self
            .value
            .get_ref()
            .as_integer()
            .ok_or_else(|| self.expected("an integer"))?;
        let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
        let (sign, body) = match digits.strip_prefix('-') {
            Some(rest) => (-1i128, rest.to_string()),
            None => (1, digits.trim_start_matches('+').to_string()),
        };
        let body = body
            .trim_start_matches("0x")
            .trim_start_matches("0o")
            .trim_start_matches("0b");
        i128::from_str_radix(body, i.radix())
            .ok()
            .and_then(|v| i64::try_from(sign * v).ok())
            .ok_or_else(|| self.error(format!("integer {} does not fit in 64 bits", i.as_str())))
    }

    /// The value as a non-negative count.
    pub fn count(&self) -> Result<u64, JobFileError> {
        let v = self.int()?;
        u64::try_from(v).map_err(|_| self.error(format!("expected a number ≥ 0, found {v}")))
    }

    /// The value as a number (integer or float).
    pub fn number(&self) -> Result<f64, JobFileError> {
        match self.value.get_ref() {
            DeValue::Float(f) => f
                .as_str()
                .replace('_', "")
                .parse()
                .map_err(|_| self.error(format!("bad number {}", f.as_str()))),
            DeValue::Integer(_) => Ok(self.int()? as f64),
            _ => Err(self.expected("a number")),
        }
    }

    /// The value as a boolean.
    pub fn bool(&self) -> Result<bool, JobFileError> {
        self.value
            .get_ref()
            .as_bool()
            .ok_or_else(|| self.expected("true or false"))
    }

    /// A string, or an array of strings.
    pub fn strings(&self) -> Result<Vec<String>, JobFileError> {
        match self.value.get_ref() {
            DeValue::String(s) => Ok(vec![s.to_string()]),
            DeValue::Array(items) => items
                .iter()
                .map(|v| {
                    v.get_ref()
                        .as_str()
                        .map(str::to_string)
                        .ok_or_else(|| self.expected("an array of strings"))
                })
                .collect(),
            _ => Err(self.expected("a string or an array of strings")),
        }
    }

    /// The raw value, for configuration keys.
    pub fn value(&self) -> &DeValue<'a> {
        self.value.get_ref()
    }
}

/// A table whose keys are checked: reading a key marks it used; `finish` rejects the rest.
pub struct Table<'a, 'd> {
    doc: &'d Doc<'a>,
    table: DeTable<'a>,
    line: u32,
    /// Where the table stands, e.g. `source "bids"`.
    pub context: String,
    used: BTreeSet<String>,
}

impl<'a, 'd> Table<'a, 'd> {
    /// The 1-based line where the table starts (0 for the root).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The document.
    pub fn doc(&self) -> &'d Doc<'a> {
        self.doc
    }

    /// An error about the whole table.
    pub fn error(&self, message: impl fmt::Display) -> JobFileError {
        if self.context.is_empty() {
            self.doc.error(self.line, message.to_string())
        } else {
            self.doc
                .error(self.line, format!("{}: {message}", self.context))
        }
    }

    fn find(&self, key: &str) -> Option<&Spanned<DeValue<'a>>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    /// The value of `key`, if present.
    pub fn get(&mut self, key: &str) -> Option<Item<'a, '_>> {
        self.used.insert(key.to_string());
        let what = if self.context.is_empty() {
            format!("key '{key}'")
        } else {
            format!("{}, key '{key}'", self.context)
        };
        let doc = self.doc;
        self.find(key).map(|value| Item { doc, value, what })
    }

    /// The value of `key`, which must be present.
    pub fn require(&mut self, key: &str) -> Result<Item<'a, '_>, JobFileError> {
        if self.find(key).is_none() {
            return Err(self.error(format!("missing key '{key}'")));
        }
        let missing = self.error(format!("missing key '{key}'"));
        self.get(key).ok_or(missing)
    }

    /// An optional string.
    pub fn opt_str(&mut self, key: &str) -> Result<Option<String>, JobFileError> {
        self.get(key).map(|i| i.str()).transpose()
    }

    /// A required string.
    pub fn str(&mut self, key: &str) -> Result<String, JobFileError> {
        self.require(key)?.str()
    }

    /// The sub-tables of an array of tables `key` (`[[key]]`), each with its line.
    pub fn tables(&mut self, key: &str, label: &str) -> Result<Vec<Table<'a, 'd>>, JobFileError> {
        self.used.insert(key.to_string());
        let Some(value) = self.find(key) else {
            return Ok(Vec::new());
        };
        let doc = self.doc;
        let one = |v: &Spanned<DeValue<'a>>, i: usize| -> Result<Table<'a, 'd>, JobFileError> {
            let line = doc.line_of(v.span().start);
            match v.get_ref() {
                DeValue::Table(t) => Ok(Table {
                    doc,
                    table: t.clone(),
                    line,
                    context: format!("{label} #{}", i + 1),
                    used: BTreeSet::new(),
                }),
                other => Err(doc.error(
                    line,
                    format!(
                        "'{key}' must be a table ([[{key}]]), found {}",
                        other.type_str()
                    ),
                )),
            }
        };
        match value.get_ref() {
            DeValue::Array(items) => items.iter().enumerate().map(|(i, v)| one(v, i)).collect(),
            DeValue::Table(_) => Ok(vec![one(value, 0)?]),
            other => Err(doc.error(
                doc.line_of(value.span().start),
                format!(
                    "'{key}' must be an array of tables ([[{key}]]), found {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// The sub-table `key` (`[key]`), if present.
    pub fn table(&mut self, key: &str) -> Result<Option<Table<'a, 'd>>, JobFileError> {
        self.used.insert(key.to_string());
        let Some(value) = self.find(key) else {
            return Ok(None);
        };
        let line = self.doc.line_of(value.span().start);
        match value.get_ref() {
            DeValue::Table(t) => Ok(Some(Table {
                doc: self.doc,
                table: t.clone(),
                line,
                context: format!("[{key}]"),
                used: BTreeSet::new(),
            })),
            other => Err(self.doc.error(
                line,
                format!("'{key}' must be a table, found {}", other.type_str()),
            )),
        }
    }

    /// Every entry, flattened to dotted keys (`a.b = 1` and `[a] b = 1` both give `a.b`),
    /// with the line of each value. Marks the whole table used.
    pub fn flattened(&mut self) -> Vec<(String, Item<'a, '_>)> {
        fn walk<'a, 'd>(
            doc: &'d Doc<'a>,
            prefix: &str,
            table: &'d DeTable<'a>,
            context: &str,
            out: &mut Vec<(String, Item<'a, 'd>)>,
        ) {
            for (k, v) in table.iter() {
                let key = if prefix.is_empty() {
                    k.get_ref().to_string()
                } else {
                    format!("{prefix}.{}", k.get_ref())
                };
                match v.get_ref() {
                    DeValue::Table(t) => walk(doc, &key, t, context, out),
                    _ => {
                        let what = format!("{context}, key '{key}'");
                        out.push((
                            key,
                            Item {
                                doc,
                                value: v,
                                what,
                            },
                        ))
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self.doc, "", &self.table, &self.context, &mut out);
        for (k, _) in self.table.iter() {
            self.used.insert(k.get_ref().to_string());
        }
        out
    }

    /// Rejects every key that was never read, suggesting the nearest of `known`.
    pub fn finish(&self, known: &[&str]) -> Result<(), JobFileError> {
        for (k, v) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if !self.used.contains(key) {
                let line = self.doc.line_of(k.span().start.min(v.span().start));
                let place = if self.context.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", self.context)
                };
                if known.contains(&key) {
                    return Err(self
                        .doc
                        .error(line, format!("{place}key '{key}' does not apply here")));
                }
                let hint = nearest(key, known)
                    .map(|n| format!("; did you mean '{n}'?"))
                    .unwrap_or_default();
                return Err(self
                    .doc
                    .error(line, format!("{place}unknown key '{key}'{hint}")));
            }
        }
        Ok(())
    }
}

/// The entry of `known` closest to `word`, if it is a likely typo.
pub fn nearest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    weir_core::suggest::nearest(word, known.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_of(text: &str) -> (PathBuf, String) {
        (PathBuf::from("job.toml"), text.to_string())
    }

    #[test]
    fn lines_and_unknown_keys_are_reported() {
        let (path, text) = doc_of("name = \"x\"\n\n[[source]]\ntype = \"csv\"\npaht = \"a.csv\"\n");
        let doc = Doc::new(&path, &text);
        let mut root = doc.parse().unwrap();
        let mut sources = root.tables("source", "source").unwrap();
        root.opt_str("name").unwrap();
        root.finish(&["name", "source"]).unwrap();
        let s = &mut sources[0];
        assert_eq!(s.str("type").unwrap(), "csv");
        let err = s.finish(&["type", "path"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "job.toml:5: source #1: unknown key 'paht'; did you mean 'path'?"
        );
    }

    #[test]
    fn type_errors_name_the_key_and_line() {
        let (path, text) = doc_of("a = 1\nb = \"x\"\n");
        let doc = Doc::new(&path, &text);
        let mut root = doc.parse().unwrap();
        let err = root.require("b").unwrap().int().unwrap_err();
        assert_eq!(
            err.to_string(),
            "job.toml:2: key 'b': expected an integer, found string"
        );
        assert_eq!(root.require("a").unwrap().int().unwrap(), 1);
        let err = root.require("c").err().unwrap();
        assert_eq!(err.to_string(), "job.toml: missing key 'c'");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let (path, text) = doc_of("a = 1\nb = = 2\n");
        let err = Doc::new(&path, &text).parse().err().unwrap();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn nested_and_dotted_config_flatten_alike() {
        let (path, text) = doc_of(
            "[config]\nexecution.buffer-timeout = \"1 ms\"\n[config.parallelism]\ndefault = 2\n",
        );
        let doc = Doc::new(&path, &text);
        let mut root = doc.parse().unwrap();
        let mut config = root.table("config").unwrap().unwrap();
        let flat: Vec<(String, u32)> = config
            .flattened()
            .into_iter()
            .map(|(k, i)| (k, i.line()))
            .collect();
        assert!(
            flat.contains(&("execution.buffer-timeout".to_string(), 2)),
            "{flat:?}"
        );
        assert!(
            flat.contains(&("parallelism.default".to_string(), 4)),
            "{flat:?}"
        );
    }

    #[test]
    fn suggestions_are_near_only() {
        assert_eq!(
            nearest("paralelism", &["parallelism", "name"]),
            Some("parallelism")
        );
        assert_eq!(nearest("zzz", &["parallelism", "name"]), None);
    }
}
