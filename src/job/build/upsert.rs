//! `mode = "upsert"` sinks: the input, keyed by the sink's key columns, is materialized
//! into a table of the final row per key (as Flink's `SinkUpsertMaterializer` over a
//! changelog: per key the rows added and not yet withdrawn, the last one being the key's
//! row), and that table is written, sorted by key and without the `op` column, when the
//! input ends. An append-only input (no `op` column) keeps the latest row per key.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use weir_core::api::DataStream;
use weir_core::operator::{BoxOutput, OpResult, OperatorError, Output};
use weir_core::record::{Record, NO_TIMESTAMP};
use weir_core::row::{Row, Value};
use weir_core::time::WatermarkStatus;

use super::changelog;
use super::ops::{compare, key_of, RowKey};
use super::steps::column_of;
use super::{Builder, Named};
use crate::job::doc::JobFileError;
use crate::job::spec::{Located, SinkSpec};

/// The final rows per key of a changelog: the logic of an upsert sink, without I/O.
#[derive(Debug, Clone)]
pub struct UpsertTable {
    keys: Vec<usize>,
    changelog: bool,
    rows: HashMap<RowKey, Vec<Row>>,
}

impl UpsertTable {
    /// A table keyed by the columns `keys` of the input rows; `changelog` when the rows
    /// lead with an `op` column (which the table's rows leave out).
    pub fn new(keys: Vec<usize>, changelog: bool) -> Self {
        Self {
            keys,
            changelog,
            rows: HashMap::new(),
        }
    }

    /// Applies one input row: `+I`/`+U` add it as its key's row, `-U`/`-D` withdraw an
    /// equal row of its key (a withdrawal of a row the key does not hold is ignored).
    pub fn apply(&mut self, row: Row) -> Result<(), String> {
        let key = key_of(&row, &self.keys);
        if !self.changelog {
            self.rows.insert(key, vec![row]);
            return Ok(());
        }
        let op = changelog::op_of(&row)?;
        let mut values = row.values;
        values.remove(0);
        let row = Row::new(values);
        if op.is_retraction() {
            if let Some(held) = self.rows.get_mut(&key) {
                if let Some(i) = held.iter().rposition(|r| *r == row) {
                    held.remove(i);
                }
                if held.is_empty() {
                    self.rows.remove(&key);
                }
            }
            return Ok(());
        }
        let held = self.rows.entry(key).or_default();
        match held.iter().rposition(|r| *r == row) {
            Some(i) => held[i] = row,
            None => held.push(row),
        }
        Ok(())
    }

    /// The final row of every key, sorted by key (NULL first).
    pub fn into_rows(self) -> Vec<Row> {
        let mut rows: Vec<(RowKey, Row)> = self
            .rows
            .into_iter()
            .filter_map(|(k, mut held)| held.pop().map(|r| (k, r)))
            .collect();
        rows.sort_by(|(a, _), (b, _)| {
            a.0.iter()
                .zip(&b.0)
                .map(|(x, y)| match (x, y) {
                    (Value::Null, Value::Null) => Ordering::Equal,
                    (Value::Null, _) => Ordering::Less,
                    (_, Value::Null) => Ordering::Greater,
                    _ => compare(x, y).unwrap_or(Ordering::Equal),
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        rows.into_iter().map(|(_, r)| r).collect()
    }
}

/// The operator of an upsert sink: collects into an [`UpsertTable`], and writes its rows
/// downstream when the input ends.
pub struct UpsertMaterializer {
    table: Option<UpsertTable>,
    context: Arc<str>,
    out: BoxOutput<Row>,
}

impl UpsertMaterializer {
    fn fail(&self, e: impl std::fmt::Display) -> OperatorError {
        OperatorError::User(format!("{}: {e}", self.context))
    }
}

impl Output<Row> for UpsertMaterializer {
    fn collect(&mut self, record: Record<'_, Row>, _timestamp: i64) -> OpResult {
        let row = record.into_owned()?;
        let Some(table) = self.table.as_mut() else {
            return Err(self.fail("a row arrived after the end of the input"));
        };
        table.apply(row).map_err(|e| self.fail(e))
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        if let Some(table) = self.table.take() {
            for row in table.into_rows() {
                self.out.collect(Record::Owned(row), NO_TIMESTAMP)?;
            }
        }
        self.out.finish()
    }
    fn pause_until(&self) -> Option<u64> {
        self.out.pause_until()
    }
    fn checkpoint(
        &mut self,
        call: &mut weir_core::operator::CheckpointCall<'_>,
    ) -> weir_core::operator::OpResult {
        self.out.checkpoint(call)
    }
}

/// The stream an upsert sink writes: `input` keyed by `keys` and materialized (its rows
/// without `op`).
pub fn materialize(
    b: &Builder<'_>,
    spec: &SinkSpec,
    input: &Named,
    keys: &[Located],
) -> Result<DataStream<Row>, JobFileError> {
    let what = format!("sink \"{}\"", spec.name);
    let is_changelog = changelog::is_changelog(&input.schema);
    let columns: Vec<usize> = keys
        .iter()
        .map(|k| column_of(b, &what, &input.schema, k))
        .collect::<Result<_, _>>()?;
    if let (true, Some(k)) = (
        is_changelog,
        keys.iter().find(|k| k.text == changelog::OP_COLUMN),
    ) {
        return Err(b.error(
            k.line,
            format!("{what}: the input is a changelog; its 'op' column (+I, -U, +U, -D) cannot be a key"),
        ));
    }
    let context: Arc<str> = Arc::from(format!("{what} ({}:{})", b.spec.path.display(), spec.line));
    let by_key = columns.clone();
    let stream = input
        .stream
        .key_by(move |row: &Row| key_of(row, &by_key))
        .stream()
        .transform("Upsert Materializer", move |_, out, _| {
            Ok(Box::new(UpsertMaterializer {
                table: Some(UpsertTable::new(columns.clone(), is_changelog)),
                context: context.clone(),
                out,
            }))
        })
        .name(&format!("{} (upsert)", spec.name));
    let stream = match spec.parallelism {
        Some(p) => stream.set_parallelism(p),
        None => stream,
    };
    Ok(stream)
}

#[cfg(test)]
mod tests;
