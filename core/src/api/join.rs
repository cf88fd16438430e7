//! Joins of two keyed streams with the same key type: the interval join (Flink's
//! `KeyedStream.intervalJoin`) and the regular join in state (what Flink SQL's streaming
//! join does, which Flink's DataStream API lacks).
//!
//! ```text
//! let pairs = orders
//!     .interval_join(&payments)
//!     .between(-5_000, 10_000)?          // payment.ts ∈ [order.ts - 5 s, order.ts + 10 s]
//!     .upper_bound_exclusive()
//!     .process(|o: &Order, p: &Payment, _ctx: &mut JoinContext<'_>, out: &mut Collector<'_, Paid>| {
//!         out.collect(Paid::new(o, p))
//!     });
//! let changes = orders
//!     .join_in_state(&payments, JoinType::LeftOuter)
//!     .state_ttl(Duration::from_secs(3600))
//!     .apply(|o: Option<&Order>, p: Option<&Payment>| (o.cloned(), p.cloned()));
//! ```

use std::sync::Arc;
use std::time::Duration;

use weir_state::keyed::BackendKey;

use super::connected::{two_input, MakeTwoInput};
use super::datastream::DataStream;
use super::keyed::KeyedStream;
use crate::graph::factory::BuildContext;
use crate::operator::join::regular::{retention_ttl, JoinFn};
use crate::operator::join::{
    Change, IntervalBounds, IntervalJoiner, JoinError, JoinType, ProcessJoinFunction, RegularJoiner,
};
use crate::operator::process::OutputTag;
use crate::operator::rolling::KeyFn;
use crate::operator::two_input::KeyedCoProcessOperator;
use crate::operator::OperatorError;
use crate::record::Data;

/// The two keyed inputs of a join.
struct Inputs<L: Data, R: Data, K> {
    left: DataStream<L>,
    right: DataStream<R>,
    left_key: KeyFn<L, K>,
    right_key: KeyFn<R, K>,
}

impl<L: Data, R: Data, K> Clone for Inputs<L, R, K> {
    fn clone(&self) -> Self {
        Self {
            left: self.left.clone(),
            right: self.right.clone(),
            left_key: self.left_key.clone(),
            right_key: self.right_key.clone(),
        }
    }
}

impl<L: Data, R: Data, K: BackendKey> Inputs<L, R, K> {
    fn of(left: &KeyedStream<L, K>, right: &KeyedStream<R, K>) -> Self {
        Self {
            left: left.stream().clone(),
            right: right.stream().clone(),
            left_key: left.key_selector(),
            right_key: right.key_selector(),
        }
    }

    /// Adds the keyed two-input operator running the function `make_fn` builds per
    /// subtask (given the subtask's name, `name (i/n)` as Flink names tasks).
    fn join<O: Data, F>(
        &self,
        name: &str,
        make_fn: impl Fn(String) -> Result<F, OperatorError> + Send + Sync + 'static,
    ) -> DataStream<O>
    where
        F: crate::operator::two_input::KeyedCoProcessFunction<K, L, R, O>,
    {
        let (k1, k2) = (self.left_key.clone(), self.right_key.clone());
        let make: Arc<MakeTwoInput<L, R, O>> = Arc::new(move |ctx: &BuildContext, out, side| {
            let subtask = format!("{} ({}/{})", ctx.name, ctx.subtask + 1, ctx.parallelism);
            Ok(Box::new(KeyedCoProcessOperator::new(
                make_fn(subtask)?,
                k1.clone(),
                k2.clone(),
                out,
                side,
                ctx,
            )?))
        });
        two_input(&self.left, &self.right, name, make)
    }
}

impl<L: Data, K: BackendKey> KeyedStream<L, K> {
    /// Joins this stream (left) with `other` (right) by key and event time (Flink's
    /// `intervalJoin`); give the interval with [`IntervalJoin::between`].
    pub fn interval_join<R: Data>(&self, other: &KeyedStream<R, K>) -> IntervalJoin<L, R, K> {
        IntervalJoin {
            inputs: Inputs::of(self, other),
        }
    }

    /// Joins this stream (left) with `other` (right) by key, keeping both in state (Flink
    /// SQL's regular streaming join); finish with [`RegularJoin::apply`].
    pub fn join_in_state<R: Data>(
        &self,
        other: &KeyedStream<R, K>,
        kind: JoinType,
    ) -> RegularJoin<L, R, K> {
        RegularJoin {
            inputs: Inputs::of(self, other),
            kind,
            ttl: Duration::ZERO,
        }
    }
}

/// An interval join before its bounds are given (Flink's `KeyedStream.IntervalJoin`).
pub struct IntervalJoin<L: Data, R: Data, K> {
    inputs: Inputs<L, R, K>,
}

impl<L: Data, R: Data, K: BackendKey> IntervalJoin<L, R, K> {
    /// Joins the pairs with `right.ts ∈ [left.ts + lower, left.ts + upper]`, bounds in
    /// milliseconds of event time, either may be negative; an error unless `lower <= upper`.
    pub fn between(&self, lower: i64, upper: i64) -> Result<IntervalJoined<L, R, K>, JoinError> {
        Ok(IntervalJoined {
            inputs: self.inputs.clone(),
            bounds: IntervalBounds::new(lower, upper)?,
            left_late: None,
            right_late: None,
        })
    }
}

/// An interval join with its bounds (Flink's `KeyedStream.IntervalJoined`).
pub struct IntervalJoined<L: Data, R: Data, K> {
    inputs: Inputs<L, R, K>,
    bounds: IntervalBounds,
    left_late: Option<OutputTag<L>>,
    right_late: Option<OutputTag<R>>,
}

impl<L: Data, R: Data, K: BackendKey> IntervalJoined<L, R, K> {
    /// Excludes the lower bound (Flink's `lowerBoundExclusive`).
    pub fn lower_bound_exclusive(mut self) -> Self {
        self.bounds = self.bounds.lower_exclusive();
        self
    }

    /// Excludes the upper bound (Flink's `upperBoundExclusive`).
    pub fn upper_bound_exclusive(mut self) -> Self {
        self.bounds = self.bounds.upper_exclusive();
        self
    }

    /// Sends left elements that arrive late (below the watermark) to the side output
    /// `tag` instead of dropping them (Flink's `sideOutputLeftLateData`).
    pub fn side_output_left_late_data(mut self, tag: &OutputTag<L>) -> Self {
        self.left_late = Some(tag.clone());
        self
    }

    /// Sends late right elements to the side output `tag` (Flink's
    /// `sideOutputRightLateData`).
    pub fn side_output_right_late_data(mut self, tag: &OutputTag<R>) -> Self {
        self.right_late = Some(tag.clone());
        self
    }

    /// The bounds in effect.
    pub fn bounds(&self) -> IntervalBounds {
        self.bounds
    }

    /// Hands every joined pair to `f`; what it collects carries the pair's timestamp,
    /// the later of the two (Flink's `process(ProcessJoinFunction)`).
    pub fn process<O: Data>(
        &self,
        f: impl ProcessJoinFunction<L, R, O> + Clone + Sync,
    ) -> DataStream<O> {
        let bounds = self.bounds;
        let (left_late, right_late) = (self.left_late.clone(), self.right_late.clone());
        self.inputs.join("Interval Join", move |name| {
            Ok(IntervalJoiner::new(
                f.clone(),
                bounds,
                name,
                left_late.clone(),
                right_late.clone(),
            ))
        })
    }
}

/// A regular join in state before its output function is given.
pub struct RegularJoin<L: Data, R: Data, K> {
    inputs: Inputs<L, R, K>,
    kind: JoinType,
    ttl: Duration,
}

impl<L: Data, R: Data, K: BackendKey> RegularJoin<L, R, K> {
    /// Forgets a row `ttl` of processing time after it was last written (Flink's
    /// `table.exec.state.ttl`, whole milliseconds); 0, the default, keeps rows forever.
    pub fn state_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Builds each output row with `f(left, right)` (`None` for the padded side of an
    /// outer join) and emits the join's changelog, without timestamps. (`Change<O>` is a
    /// record whenever `O` is: the bound only spells that out.)
    pub fn apply<O: Data>(
        &self,
        f: impl Fn(Option<&L>, Option<&R>) -> O + Send + Sync + 'static,
    ) -> DataStream<Change<O>>
    where
        Change<O>: Data,
    {
        let f: JoinFn<L, R, O> = Arc::new(f);
        let (kind, ttl) = (self.kind, self.ttl);
        self.inputs.join("Regular Join", move |name| {
            let ttl = retention_ttl(ttl)
                .map_err(|e| OperatorError::User(format!("{name}: state retention: {e}")))?;
            Ok(RegularJoiner::new(f.clone(), kind, ttl, name))
        })
    }
}
