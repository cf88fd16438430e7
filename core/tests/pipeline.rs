//! End-to-end pipelines through the DataStream API on the embedded cluster.

use std::collections::BTreeMap;
use weir_core::time::WatermarkStatus;

use weir_core::api::StreamExecutionEnvironment;

mod common;

fn env_of(slots: u32) -> StreamExecutionEnvironment {
    common::env_with(i64::from(slots), "1 ms")
}

#[test]
fn sequence_map_filter_collect() {
    let env = env_of(1);
    let out = env
        .from_sequence(1, 1000)
        .map(|x| x * 2)
        .filter(|x| x % 3 == 0)
        .collect();
    let result = env.execute("map-filter").unwrap();
    let mut got = out.values();
    got.sort();
    let want: Vec<i64> = (1..=1000).map(|x| x * 2).filter(|x| x % 3 == 0).collect();
    assert_eq!(got, want);
    assert_eq!(result.slots_used, 1);
}

#[test]
fn keyed_sum_at_parallelism_two_across_slots() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let out = env
        .from_sequence(0, 9_999)
        .map(|x| (x % 7, 1i64))
        .key_by(|t: &(i64, i64)| t.0)
        .sum(|t: &mut (i64, i64)| &mut t.1)
        .collect();
    env.execute("keyed-sum").unwrap();
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
    let values = out.values();
    assert_eq!(values.len(), 10_000);
    for (k, c) in values {
        let e = last.entry(k).or_insert(0);
        assert!(c > *e, "rolling sum for key {k} went from {e} to {c}");
        *e = c;
    }
    let want: BTreeMap<i64, i64> = (0..7)
        .map(|k| (k, (0..10_000).filter(|x| x % 7 == k).count() as i64))
        .collect();
    assert_eq!(last, want);
}

use weir_core::operator::process::{Collector, Context, OutputTag};
use weir_core::operator::{BoxOutput, OpResult, Output};
use weir_core::record::Record;

/// Tags each record with the index of the subtask that received it.
struct TagSubtask {
    subtask: i64,
    out: BoxOutput<(i64, i64)>,
}

impl Output<i64> for TagSubtask {
    fn collect(&mut self, record: Record<'_, i64>, timestamp: i64) -> OpResult {
        let v = record.into_owned()?;
        self.out
            .collect(Record::Owned((self.subtask, v)), timestamp)
    }
    fn emit_watermark(&mut self, watermark: i64) -> OpResult {
        self.out.emit_watermark(watermark)
    }
    fn emit_watermark_status(&mut self, status: WatermarkStatus) -> OpResult {
        self.out.emit_watermark_status(status)
    }
    fn finish(&mut self) -> OpResult {
        self.out.finish()
    }
    fn checkpoint(
        &mut self,
        call: &mut weir_core::operator::CheckpointCall<'_>,
    ) -> weir_core::operator::OpResult {
        self.out.checkpoint(call)
    }
}

fn tagged(stream: &weir_core::api::DataStream<i64>) -> weir_core::api::DataStream<(i64, i64)> {
    stream.transform("tag", |ctx, out, _| {
        Ok(Box::new(TagSubtask {
            subtask: ctx.subtask as i64,
            out,
        }))
    })
}

#[test]
fn partitioners_route_across_slots() {
    // broadcast: every subtask sees every record.
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let src = env.from_sequence(1, 100).set_parallelism(1);
    let out = tagged(&src.broadcast()).collect();
    env.execute("broadcast").unwrap();
    let values = out.values();
    assert_eq!(values.len(), 200);
    for s in 0..2 {
        assert_eq!(values.iter().filter(|(t, _)| *t == s).count(), 100);
    }
    // global: everything to subtask 0.
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let out = tagged(&env.from_sequence(1, 100).global()).collect();
    env.execute("global").unwrap();
    assert!(out.values().iter().all(|(t, _)| *t == 0));
    assert_eq!(out.values().len(), 100);
    // custom: odd numbers to 1, even to 0.
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let src = env.from_sequence(1, 100);
    let out = tagged(&src.partition_custom(|k: &i64, n| (*k % n as i64) as usize, |x: &i64| *x))
        .collect();
    env.execute("custom").unwrap();
    let values = out.values();
    assert_eq!(values.len(), 100);
    assert!(values.iter().all(|(t, v)| *t == v % 2), "{values:?}");
    // rebalance: round robin from each producer, so the split is even.
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let out = tagged(&env.from_sequence(1, 1000).set_parallelism(1).rebalance()).collect();
    env.execute("rebalance").unwrap();
    let values = out.values();
    assert_eq!(values.iter().filter(|(t, _)| *t == 0).count(), 500);
    assert_eq!(values.iter().filter(|(t, _)| *t == 1).count(), 500);
}

#[test]
fn process_with_side_outputs_and_union() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    let odd: OutputTag<String> = OutputTag::new("odd");
    let tag = odd.clone();
    let main = env.from_sequence(1, 1000).process(
        move |v: i64, ctx: &mut Context<'_>, out: &mut Collector<'_, i64>| {
            if v % 2 == 0 {
                out.collect(v);
            } else {
                ctx.output(&tag, format!("odd {v}"));
            }
        },
    );
    let side = main.side_output(&odd).map(|s: String| -(s.len() as i64));
    let merged = main.union(&[side]).collect();
    env.execute("side-outputs").unwrap();
    let values = merged.values();
    assert_eq!(values.len(), 1000);
    assert_eq!(values.iter().filter(|v| **v > 0).count(), 500);
    let want_neg: i64 = (1..=1000)
        .filter(|v| v % 2 == 1)
        .map(|v: i64| -(format!("odd {v}").len() as i64))
        .sum();
    assert_eq!(values.iter().filter(|v| **v < 0).sum::<i64>(), want_neg);
}

#[test]
fn records_larger_than_a_segment_cross_slots_intact() {
    let env = env_of(2);
    env.set_parallelism(2).unwrap();
    // 100 KB strings span four 32 KiB segments each.
    let out = env
        .from_sequence(0, 19)
        .map(|i| (i, "x".repeat(100_000 + i as usize)))
        .rebalance()
        .map(|(i, s): (i64, String)| (i, s.len() as i64, s.bytes().all(|b| b == b'x')))
        .collect();
    env.execute("large-records").unwrap();
    let mut values = out.values();
    values.sort();
    assert_eq!(values.len(), 20);
    for (i, (n, len, ok)) in values.into_iter().enumerate() {
        assert_eq!(n, i as i64);
        assert_eq!(len, 100_000 + i as i64);
        assert!(ok);
    }
}

#[test]
fn num_records_out_counts_each_emitted_record_once() {
    let env = env_of(2);
    let src = env.from_sequence(1, 100).name("src").set_parallelism(1);
    // A broadcast edge writes every record to two channels; a second consumer of the
    // same output reads them again: Flink still counts 100 records out.
    src.broadcast()
        .map(|x| x)
        .name("a")
        .set_parallelism(2)
        .blackhole(None);
    src.rebalance()
        .map(|x| x)
        .name("b")
        .set_parallelism(2)
        .blackhole(None);
    let result = env.execute("records-out").unwrap();
    let source = result
        .tasks
        .iter()
        .find(|t| t.vertex.starts_with("Source: src"))
        .unwrap();
    assert_eq!(source.records_in, 100);
    assert_eq!(source.records_out, 100);
    let a_in: u64 = result
        .tasks
        .iter()
        .filter(|t| t.vertex.starts_with("a"))
        .map(|t| t.records_in)
        .sum();
    assert_eq!(
        a_in, 200,
        "each of the two subtasks of 'a' reads every record"
    );
}

/// Emits `"w0".."w{n-1}"` from one reused `String`, as a source that keeps its value.
struct ReusingSource {
    next: u32,
    n: u32,
    value: String,
}

impl weir_core::runtime::source::Source<String> for ReusingSource {
    fn run_batch(
        &mut self,
        ctx: &mut weir_core::runtime::source::SourceContext<'_, String>,
        max: usize,
    ) -> Result<weir_core::runtime::source::SourceStatus, weir_core::operator::OperatorError> {
        use std::fmt::Write;
        for _ in 0..max {
            if self.next == self.n {
                return Ok(weir_core::runtime::source::SourceStatus::Finished);
            }
            self.value.clear();
            write!(self.value, "w{}", self.next).unwrap();
            ctx.collect_ref_with_timestamp(&self.value, i64::from(self.next))?;
            self.next += 1;
        }
        Ok(weir_core::runtime::source::SourceStatus::More)
    }
}

#[test]
fn a_source_reusing_its_value_feeds_chained_operators_and_exchanges_alike() {
    let env = env_of(2);
    let n = 5_000u32;
    let source = env.add_source("Reusing Source", move |_| {
        Ok(ReusingSource {
            next: 0,
            n,
            value: String::new(),
        })
    });
    let source = source.set_parallelism(1);
    // Chained: the map clones the borrowed value; across slots: the writer archives it.
    let chained = source.map(|s: String| s.len() as i64).collect();
    let exchanged = source.rebalance().collect();
    env.execute("reusing source").unwrap();
    let want: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
    let mut got = exchanged.values();
    got.sort_by_key(|s| s[1..].parse::<u32>().unwrap());
    assert_eq!(got, want);
    let mut lens = chained.values();
    lens.sort();
    let mut want_lens: Vec<i64> = want.iter().map(|s| s.len() as i64).collect();
    want_lens.sort();
    assert_eq!(lens, want_lens);
}
