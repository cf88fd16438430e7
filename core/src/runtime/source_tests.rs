use std::cell::RefCell;
use std::rc::Rc;

use proptest::prelude::*;

use super::*;
use crate::operator::Output;

struct Sink(Rc<RefCell<Vec<i64>>>);

impl Output<i64> for Sink {
    fn collect(&mut self, record: Record<'_, i64>, _: i64) -> OpResult {
        self.0.borrow_mut().push(record.into_owned()?);
        Ok(())
    }
    fn emit_watermark(&mut self, _: i64) -> OpResult {
        Ok(())
    }
    fn emit_watermark_status(&mut self, _: WatermarkStatus) -> OpResult {
        Ok(())
    }
    fn finish(&mut self) -> OpResult {
        Ok(())
    }
    fn checkpoint(
        &mut self,
        _call: &mut crate::operator::CheckpointCall<'_>,
    ) -> crate::operator::OpResult {
        Ok(())
    }
}

/// Lets a test read the position of a source its driver owns.
struct Shared(Rc<RefCell<SequenceSource>>);

impl Source<i64> for Shared {
    fn run_batch(
        &mut self,
        ctx: &mut SourceContext<'_, i64>,
        max: usize,
    ) -> Result<SourceStatus, OperatorError> {
        self.0.borrow_mut().run_batch(ctx, max)
    }
}

/// Runs `source` for `batches` batches of 2 (to its end if `None`); what it emitted and
/// where it stopped.
fn run(source: SequenceSource, batches: Option<usize>) -> (Vec<i64>, RoundRobinProgress) {
    let out = Rc::new(RefCell::new(Vec::new()));
    let shared = Rc::new(RefCell::new(source));
    let mut driver = TypedSourceDriver::new(
        Box::new(Shared(shared.clone())),
        Box::new(Sink(out.clone())),
    );
    let mut left = batches;
    while left != Some(0) {
        left = left.map(|b| b - 1);
        if driver.run_batch(2).unwrap() == SourceStatus::Finished {
            break;
        }
    }
    let got = out.borrow().clone();
    let position = shared.borrow().position();
    (got, position)
}

proptest! {
    /// Stopped anywhere and resumed at any parallelism, a sequence emits every number
    /// once in all.
    #[test]
    fn a_sequence_resumed_at_any_parallelism_emits_each_number_once(
        from in -5i64..5,
        len in 0i64..50,
        n in 1usize..5,
        m in 1usize..5,
        cuts in prop::collection::vec(0usize..15, 5),
    ) {
        let to = from + len - 1;
        let mut all = Vec::new();
        let mut positions = Vec::new();
        for (i, &cut) in cuts.iter().enumerate().take(n) {
            let (got, p) = run(SequenceSource::new(from, to, i, n), Some(cut));
            all.extend(got);
            positions.push(p);
        }
        for i in 0..m {
            let resumed = SequenceSource::resumed(from, to, i, m, &positions).unwrap();
            let (got, p) = run(resumed, None);
            prop_assert_eq!(p.parallelism as usize, m);
            all.extend(got);
        }
        all.sort_unstable();
        prop_assert_eq!(all, (from..=to).collect::<Vec<_>>());
    }
}
