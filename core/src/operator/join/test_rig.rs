//! A join operator on a manual clock, with its output captured: for the unit tests of the
//! join functions.

use std::sync::Arc;

use crate::graph::factory::BuildContext;
use crate::operator::basic::tests::{capture, Seen};
use crate::operator::process::SideOutputs;
use crate::operator::two_input::{KeyedCoProcessFunction, KeyedCoProcessOperator};
use crate::operator::BoxOutput;
use crate::record::Data;
use crate::runtime::clock::{ManualClock, SharedClock};
use crate::runtime::metrics::StateSizes;
use crate::runtime::timers::ProcessingTimeService;

/// Left and right elements are `(key, value)` pairs; the operator keys them by `.0`.
pub(crate) type Pair = (String, i64);

/// A keyed co-process operator over two inputs of [`Pair`]s, its captured output, its
/// clock (at 1 000 s) and where it reports its state size.
pub(crate) struct Rig<O: Data, F> {
    pub(crate) op: KeyedCoProcessOperator<String, Pair, Pair, O, F>,
    pub(crate) seen: Seen<O>,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) sizes: StateSizes,
}

/// Builds the operator for `f`, with `side` as its side outputs.
pub(crate) fn rig<O, F>(f: F, side: SideOutputs) -> Rig<O, F>
where
    O: Data,
    F: KeyedCoProcessFunction<String, Pair, Pair, O>,
{
    let clock = ManualClock::new(1_000_000_000_000);
    let shared: SharedClock = clock.clone();
    let ctx = BuildContext {
        name: "join".into(),
        subtask: 0,
        parallelism: 1,
        max_parallelism: 128,
        clock: shared.clone(),
        timers: ProcessingTimeService::new(shared),
        state_sizes: StateSizes::default(),
        uid: "join".into(),
        restore: None,
        checkpointing: false,
    };
    let (out, seen): (BoxOutput<O>, _) = capture();
    let op = KeyedCoProcessOperator::new(
        f,
        Arc::new(|p: &Pair| p.0.clone()),
        Arc::new(|p: &Pair| p.0.clone()),
        out,
        side,
        &ctx,
    )
    .unwrap();
    Rig {
        op,
        seen,
        clock,
        sizes: ctx.state_sizes,
    }
}

/// A pair of key `key` and value `value`.
pub(crate) fn pair(key: &str, value: i64) -> crate::record::Record<'static, Pair> {
    crate::record::Record::Owned((key.to_string(), value))
}
