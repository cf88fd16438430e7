//! End-to-end jobs over the TCP exchange: the same jobs as over local channels, with the
//! same results; a slow sink; a failing operator.

use std::collections::BTreeMap;
use std::time::Duration;
use weir_core::time::WatermarkStatus;

use weir_core::api::StreamExecutionEnvironment;
use weir_core::cluster::{JobError, JobResult, LocalCluster};
use weir_core::config::{Configuration, Origin, RawValue};
use weir_core::operator::{BoxOutput, OpResult, OperatorError, Output};
use weir_core::record::Record;
use weir_net::TcpTransport;

/// Long enough for any loaded CI machine; connections normally close in milliseconds.
const GRACE: Duration = Duration::from_secs(60);

fn env(slots: u32, segment_size: &str) -> StreamExecutionEnvironment {
    let mut config = Configuration::default();
    let mut set = |k: &str, v: RawValue| config.set(k, v, Origin::Api).unwrap();
    set(
        "taskmanager.numberOfTaskSlots",
        RawValue::Int(i64::from(slots)),
    );
    set("execution.buffer-timeout", RawValue::Str("1 ms".into()));
    set(
        "taskmanager.memory.segment-size",
        RawValue::Str(segment_size.into()),
    );
    set(
        "taskmanager.memory.network.max",
        RawValue::Str("8 mb".into()),
    );
    let env = StreamExecutionEnvironment::new(config);
    env.set_parallelism(2).unwrap();
    env
}

/// Runs the job defined on `env` over TCP; shuts the transport down cleanly and checks
/// that every network segment went back.
fn run_over_tcp(env: &StreamExecutionEnvironment, name: &str) -> Result<JobResult, JobError> {
    let cluster = LocalCluster::start(&env.config()).unwrap();
    let transport = TcpTransport::from_config(cluster.network().clone(), &env.config()).unwrap();
    let result = env.execute_on(&cluster, name, &transport);
    transport.shutdown(GRACE).unwrap();
    let net = cluster.network();
    assert_eq!(
        net.available_segments(),
        net.total_segments(),
        "segments leaked"
    );
    result
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn rebalanced_map_over_tcp_equals_local() {
    let define = |env: &StreamExecutionEnvironment| {
        env.from_sequence(0, 19_999)
            .rebalance()
            .map(|x| x * 3 + 1)
            .collect()
    };
    let local_env = env(2, "1 kb");
    let local = define(&local_env);
    local_env.execute("local").unwrap();

    let tcp_env = env(2, "1 kb");
    let tcp = define(&tcp_env);
    let result = run_over_tcp(&tcp_env, "tcp").unwrap();
    let got = sorted(tcp.values());
    assert_eq!(got.len(), 20_000);
    assert_eq!(got, sorted(local.values()));
    assert_eq!(result.tasks.len(), 4);
}

#[test]
fn keyed_map_and_rolling_sum_over_tcp_equal_local() {
    let define = |env: &StreamExecutionEnvironment| {
        let keyed = env
            .from_sequence(1, 10_000)
            .map(|x| (x % 13, x))
            .key_by(|t: &(i64, i64)| t.0);
        let mapped = keyed.stream().map(|(k, x)| (k, x * 2)).collect();
        let sums = keyed.sum(|t: &mut (i64, i64)| &mut t.1).collect();
        (mapped, sums)
    };
    let local_env = env(2, "32 kb");
    let (local_mapped, local_sums) = define(&local_env);
    local_env.execute("local").unwrap();

    let tcp_env = env(2, "32 kb");
    let (tcp_mapped, tcp_sums) = define(&tcp_env);
    run_over_tcp(&tcp_env, "tcp").unwrap();
    let got = sorted(tcp_mapped.values());
    assert_eq!(got.len(), 10_000);
    assert_eq!(got, sorted(local_mapped.values()));
    // Rolling sums interleave the two sources differently from run to run; per key they
    // rise (every value is positive), and the last one is the same.
    let finals = |v: Vec<(i64, i64)>| {
        assert_eq!(v.len(), 10_000);
        let mut m = BTreeMap::new();
        for (k, s) in v {
            let e = m.entry(k).or_insert(-1);
            assert!(s > *e, "rolling sum for key {k} went from {e} to {s}");
            *e = s;
        }
        m
    };
    assert_eq!(finals(tcp_sums.values()), finals(local_sums.values()));
}

#[test]
fn rate_limited_sink_over_tcp_gets_exact_counts_with_bounded_buffers() {
    // Tiny segments (about a dozen records each) and a slow sink: the sources must wait
    // for buffers, which only come back once the receivers granted credit for them.
    let env = env(2, "256 b");
    let (out, _sink) = env
        .from_sequence(1, 4_000)
        .rebalance()
        .map(|x| x * 2)
        .collect_rate_limited(Some(40_000.0));
    let result = run_over_tcp(&env, "slow").unwrap();
    let got = sorted(out.values());
    let want: Vec<i64> = (1..=4_000).map(|x| x * 2).collect();
    assert_eq!(got, want, "every record exactly once");
    let sources: Vec<_> = result
        .tasks
        .iter()
        .filter(|t| t.vertex.contains("Sequence"))
        .collect();
    assert_eq!(sources.len(), 2, "{:?}", result.tasks);
    for s in &sources {
        assert!(s.out_pool_usage <= 1.0);
        assert_eq!(s.records_out, 2_000);
    }
    assert!(
        sources.iter().any(|s| s.backpressured_nanos > 0),
        "the slow sink backpressured the sources: {sources:?}"
    );
}

/// Passes records on until the `fail_at`-th, then fails.
struct FailAt {
    seen: u64,
    fail_at: u64,
    out: BoxOutput<i64>,
}

impl Output<i64> for FailAt {
    fn collect(&mut self, record: Record<'_, i64>, timestamp: i64) -> OpResult {
        self.seen += 1;
        if self.seen == self.fail_at {
            return Err(OperatorError::User("boom at the 500th record".into()));
        }
        self.out.collect(record, timestamp)
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

#[test]
fn failing_operator_fails_the_job_and_the_transport_still_closes() {
    let env = env(2, "256 b");
    let out = env
        .from_sequence(1, 1_000_000)
        .rebalance()
        .transform::<i64>("FailAt", |_, out, _| {
            Ok(Box::new(FailAt {
                seen: 0,
                fail_at: 500,
                out,
            }))
        })
        .rebalance()
        .map(|x| x + 1)
        .collect();
    let err = run_over_tcp(&env, "fails").unwrap_err();
    assert!(
        err.to_string().contains("boom at the 500th record"),
        "{err}"
    );
    assert!(out.values().len() < 1_000_000);
}
