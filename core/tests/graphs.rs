//! Flink's chaining rules, slot sharing and graph errors, through the DataStream API.

use weir_core::api::StreamExecutionEnvironment;
use weir_core::config::{Configuration, Origin, RawValue};
use weir_core::graph::execution_graph::ExecutionGraph;
use weir_core::graph::job_graph::JobGraph;
use weir_core::graph::GraphError;

fn env_of(parallelism: i64) -> StreamExecutionEnvironment {
    let mut c = Configuration::default();
    c.set(
        "parallelism.default",
        RawValue::Int(parallelism),
        Origin::Api,
    )
    .unwrap();
    StreamExecutionEnvironment::new(c)
}

/// The chains of a job, as lists of operator names.
fn chains(job: &JobGraph) -> Vec<Vec<String>> {
    job.vertices
        .iter()
        .map(|v| {
            v.nodes
                .iter()
                .map(|&n| job.stream.nodes[n].name.clone())
                .collect()
        })
        .collect()
}

fn names(list: &[&[&str]]) -> Vec<Vec<String>> {
    list.iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect()
}

#[test]
fn forward_edges_of_equal_parallelism_chain() {
    let env = env_of(2);
    env.from_sequence(1, 10)
        .name("src")
        .map(|x| x + 1)
        .name("a")
        .filter(|x| x % 2 == 0)
        .name("b")
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    assert_eq!(chains(&job), names(&[&["src", "a", "b", "sink"]]));
}

#[test]
fn a_different_parallelism_breaks_the_chain_with_rebalance() {
    let env = env_of(2);
    env.from_sequence(1, 10)
        .name("src")
        .map(|x| x + 1)
        .name("a")
        .set_parallelism(1)
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    // The sink keeps the default parallelism (2), as in Flink: it does not chain to `a`.
    assert_eq!(chains(&job), names(&[&["src"], &["a"], &["sink"]]));
    assert_eq!(job.edges[0].partitioning.name(), "REBALANCE");
}

#[test]
fn a_shuffle_partitioner_breaks_the_chain() {
    for (how, name) in [
        ("rebalance", "REBALANCE"),
        ("rescale", "RESCALE"),
        ("shuffle", "SHUFFLE"),
        ("broadcast", "BROADCAST"),
        ("global", "GLOBAL"),
    ] {
        let env = env_of(2);
        let s = env.from_sequence(1, 10).name("src");
        let s = match how {
            "rebalance" => s.rebalance(),
            "rescale" => s.rescale(),
            "shuffle" => s.shuffle(),
            "broadcast" => s.broadcast(),
            _ => s.global(),
        };
        s.map(|x| x).name("a").blackhole(None).name("sink");
        let job = env.job_graph("j").unwrap();
        assert_eq!(chains(&job), names(&[&["src"], &["a", "sink"]]), "{how}");
        assert_eq!(job.edges[0].partitioning.name(), name);
    }
    let env = env_of(2);
    env.from_sequence(1, 10)
        .name("src")
        .key_by(|x: &i64| *x)
        .sum(|x: &mut i64| x)
        .name("sum")
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    assert_eq!(chains(&job), names(&[&["src"], &["sum", "sink"]]));
    assert_eq!(job.edges[0].partitioning.name(), "HASH");
}

#[test]
fn start_new_chain_and_disable_chaining_are_honoured() {
    let env = env_of(1);
    env.from_sequence(1, 10)
        .name("src")
        .map(|x| x)
        .name("a")
        .map(|x| x)
        .name("b")
        .start_new_chain()
        .map(|x| x)
        .name("c")
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    assert_eq!(chains(&job), names(&[&["src", "a"], &["b", "c", "sink"]]));

    let env = env_of(1);
    env.from_sequence(1, 10)
        .name("src")
        .map(|x| x)
        .name("a")
        .map(|x| x)
        .name("b")
        .disable_chaining()
        .map(|x| x)
        .name("c")
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    assert_eq!(
        chains(&job),
        names(&[&["src", "a"], &["b"], &["c", "sink"]])
    );
}

#[test]
fn slot_sharing_groups_break_chains_and_need_their_own_slots() {
    let env = env_of(2);
    env.from_sequence(1, 10)
        .name("src")
        .map(|x| x)
        .name("a")
        .slot_sharing_group("other")
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    // The sink inherits nothing: it stays in the default group, so it does not chain to `a`.
    assert_eq!(chains(&job)[0], vec!["src".to_string()]);
    assert_eq!(chains(&job)[1], vec!["a".to_string()]);
    let placed = ExecutionGraph::build(&job, 4).unwrap();
    assert_eq!(placed.slots_needed, 4);
    let err = ExecutionGraph::build(&job, 2).err().expect("too few slots");
    assert!(matches!(err, GraphError::NotEnoughSlots { .. }), "{err}");
    assert!(
        err.to_string().contains("taskmanager.numberOfTaskSlots"),
        "{err}"
    );
}

#[test]
fn a_union_input_does_not_chain_and_chaining_can_be_switched_off() {
    let env = env_of(1);
    let a = env.from_sequence(1, 10).name("a");
    let b = env.from_sequence(1, 10).name("b");
    a.union(&[b])
        .map(|x| x)
        .name("m")
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    assert_eq!(chains(&job), names(&[&["a"], &["b"], &["m", "sink"]]));

    let env = env_of(1);
    env.set("pipeline.operator-chaining.enabled", RawValue::Bool(false))
        .unwrap();
    env.from_sequence(1, 10)
        .name("src")
        .map(|x| x)
        .name("a")
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    assert_eq!(chains(&job), names(&[&["src"], &["a"], &["sink"]]));
}

#[test]
fn forward_between_different_parallelisms_is_an_error() {
    let env = env_of(2);
    env.from_sequence(1, 10)
        .name("src")
        .forward()
        .map(|x| x)
        .name("a")
        .set_parallelism(1)
        .blackhole(None);
    let err = env
        .job_graph("j")
        .err()
        .expect("forward with different parallelism");
    assert!(
        matches!(err, GraphError::ForwardParallelism { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("src") && text.contains('a'), "{text}");
}

#[test]
fn a_job_needs_as_many_slots_as_its_highest_parallelism() {
    let env = env_of(1);
    env.from_sequence(1, 10)
        .name("src")
        .rebalance()
        .map(|x| x)
        .name("a")
        .set_parallelism(3)
        .blackhole(None)
        .name("sink");
    let job = env.job_graph("j").unwrap();
    let placed = ExecutionGraph::build(&job, 3).unwrap();
    assert_eq!(placed.slots_needed, 3);
    // Slot sharing: subtask i of every vertex of the group goes to slot i.
    assert_eq!(placed.slot_of[0], vec![0]);
    assert_eq!(placed.slot_of[1], vec![0, 1, 2]);
}
