//! The regular join in state: what Flink SQL's `StreamingJoinOperator` runs for
//! `a [LEFT|RIGHT|FULL] JOIN b ON a.k = b.k` over append-only inputs.
//!
//! Both sides are kept in keyed state, every row of the key until the state retention
//! (TTL) forgets it. A new row joins with every stored row of the other side. A row of an
//! outer side keeps the number of rows it has joined: while that is 0 the result holds the
//! row padded with `None`; when its first match arrives the padded row is withdrawn
//! (`-D`) before the joined row is added (`+I`), as Flink does. The output is therefore a
//! changelog of [`Change`]s, without timestamps (Flink's join output carries none).

use std::sync::Arc;
use std::time::Duration;

use weir_state::keyed::{
    BackendKey, HeapSize, MapState, MapStateDescriptor, StateTtlConfig, StateVisibility, UpdateType,
};
use weir_state::HeapKeyedStateBackend;

use super::Change;
use crate::operator::keyed_process::KeyedContext;
use crate::operator::process::Collector;
use crate::operator::two_input::KeyedCoProcessFunction;
use crate::operator::{OpResult, OperatorError};
use crate::record::{Data, NO_TIMESTAMP};

/// Which rows without a match a regular join keeps (SQL's join types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinType {
    /// Only joined pairs.
    Inner,
    /// Joined pairs, and left rows without a match padded with `None`.
    LeftOuter,
    /// Joined pairs, and right rows without a match padded with `None`.
    RightOuter,
    /// Joined pairs, and the rows of either side without a match, padded.
    FullOuter,
}

impl JoinType {
    /// Whether left rows without a match are kept (Flink's `leftIsOuter`).
    pub fn left_is_outer(self) -> bool {
        matches!(self, JoinType::LeftOuter | JoinType::FullOuter)
    }

    /// Whether right rows without a match are kept (Flink's `rightIsOuter`).
    pub fn right_is_outer(self) -> bool {
        matches!(self, JoinType::RightOuter | JoinType::FullOuter)
    }
}

/// A stored row and how many rows of the other side it has joined (Flink's
/// `numOfAssociations`, kept for the rows of outer sides). Counts the row's inline size in
/// the state size, not what it owns on the heap.
#[derive(Clone, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
struct Stored<T> {
    row: T,
    matches: u32,
}

impl<T> HeapSize for Stored<T> {}

/// The rows of one side of one key: row id → row. Every row is an entry of its own, so
/// that it expires on its own under TTL.
type Rows<T> = MapState<(), u64, Stored<T>>;

/// The user function building an output row from a pair (either side `None` when padded).
pub type JoinFn<L, R, O> = Arc<dyn Fn(Option<&L>, Option<&R>) -> O + Send + Sync>;

/// The state retention of a regular join as Flink builds it from `table.exec.state.ttl`:
/// refreshed on create and write, expired rows never returned; `None` for a zero TTL
/// (whole milliseconds; 0 keeps rows forever).
pub fn retention_ttl(ttl: Duration) -> Result<Option<StateTtlConfig>, OperatorError> {
    if ttl.as_millis() == 0 {
        return Ok(None);
    }
    let config = StateTtlConfig::builder(Duration::from_millis(
        u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
    ))
    .set_update_type(UpdateType::OnCreateAndWrite)
    .set_state_visibility(StateVisibility::NeverReturnExpired)
    .build()?;
    Ok(Some(config))
}

/// The regular join as a keyed co-process function: `L` rows on the first input, `R` on
/// the second, output rows built by a [`JoinFn`].
pub struct RegularJoiner<L, R, O> {
    f: JoinFn<L, R, O>,
    kind: JoinType,
    ttl: Option<StateTtlConfig>,
    rows: Option<(Rows<L>, Rows<R>)>,
    /// The next row id: unique within the subtask, so within every key it owns.
    next_id: u64,
    name: String,
}

impl<L, R, O> RegularJoiner<L, R, O> {
    /// A `kind` join building rows with `f`, forgetting rows `ttl` after they were written
    /// (never if `None`), in the operator (and subtask) named `name`.
    pub fn new(
        f: JoinFn<L, R, O>,
        kind: JoinType,
        ttl: Option<StateTtlConfig>,
        name: String,
    ) -> Self {
        Self {
            f,
            kind,
            ttl,
            rows: None,
            next_id: 0,
            name,
        }
    }

    fn rows(&self) -> Result<(Rows<L>, Rows<R>), OperatorError> {
        self.rows.ok_or_else(|| {
            OperatorError::User(format!("{}: the join state is not registered", self.name))
        })
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }
}

impl<L, R, O> Clone for RegularJoiner<L, R, O> {
    fn clone(&self) -> Self {
        Self {
            f: self.f.clone(),
            kind: self.kind,
            ttl: self.ttl,
            rows: self.rows,
            next_id: self.next_id,
            name: self.name.clone(),
        }
    }
}

/// How one side's row meets the other side (Flink's `processElement` for an accumulate
/// message), with `emit(ours, other)` building an output row in left/right order.
struct Sides<Ours, Other> {
    ours: Rows<Ours>,
    other: Rows<Other>,
    ours_is_outer: bool,
    other_is_outer: bool,
}

impl<Ours: Data, Other: Data> Sides<Ours, Other> {
    /// Joins `row` with the other side's rows of the current key, then stores it as `id`.
    fn process<K: BackendKey, O>(
        &self,
        state: &mut HeapKeyedStateBackend<K>,
        out: &mut Collector<'_, Change<O>>,
        row: Ours,
        id: u64,
        emit: impl Fn(Option<&Ours>, Option<&Other>) -> O,
    ) -> OpResult
    where
        Change<O>: Data,
    {
        out.set_timestamp(NO_TIMESTAMP);
        let mut matches = 0u32;
        let mut counted = Vec::new();
        self.other.with_entries(state, &(), |entries| {
            for (&other_id, stored) in entries {
                if self.other_is_outer {
                    if stored.matches == 0 {
                        // -D[null+other]: the padded row goes, a match has come.
                        out.collect(Change::delete(emit(None, Some(&stored.row))));
                    }
                    counted.push((
                        other_id,
                        Stored {
                            row: stored.row.clone(),
                            matches: stored.matches.saturating_add(1),
                        },
                    ));
                }
                out.collect(Change::insert(emit(Some(&row), Some(&stored.row))));
                matches = matches.saturating_add(1);
            }
        })?;
        if matches == 0 && self.ours_is_outer {
            // +I[record+null]
            out.collect(Change::insert(emit(Some(&row), None)));
        }
        self.other.put_all(state, &(), counted)?;
        self.ours.put(state, &(), id, Stored { row, matches })?;
        Ok(())
    }
}

impl<K, L, R, O> KeyedCoProcessFunction<K, L, R, Change<O>> for RegularJoiner<L, R, O>
where
    K: BackendKey,
    L: Data,
    R: Data,
    O: Data,
    Change<O>: Data,
{
    fn open(&mut self, state: &mut HeapKeyedStateBackend<K>) -> OpResult {
        let mut left = MapStateDescriptor::new("left-records");
        let mut right = MapStateDescriptor::new("right-records");
        if let Some(ttl) = self.ttl {
            left = left.enable_time_to_live(ttl);
            right = right.enable_time_to_live(ttl);
        }
        self.rows = Some((state.map_state(&left)?, state.map_state(&right)?));
        Ok(())
    }

    fn process_element1(
        &mut self,
        value: L,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, Change<O>>,
    ) -> OpResult {
        let (left, right) = self.rows()?;
        let id = self.next_id();
        let sides = Sides {
            ours: left,
            other: right,
            ours_is_outer: self.kind.left_is_outer(),
            other_is_outer: self.kind.right_is_outer(),
        };
        let f = &self.f;
        sides.process(ctx.state(), out, value, id, |l, r| f(l, r))
    }

    fn process_element2(
        &mut self,
        value: R,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, Change<O>>,
    ) -> OpResult {
        let (left, right) = self.rows()?;
        let id = self.next_id();
        let sides = Sides {
            ours: right,
            other: left,
            ours_is_outer: self.kind.right_is_outer(),
            other_is_outer: self.kind.left_is_outer(),
        };
        let f = &self.f;
        sides.process(ctx.state(), out, value, id, |r, l| f(l, r))
    }
}

#[cfg(test)]
#[path = "regular_tests.rs"]
mod tests;
