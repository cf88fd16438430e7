use super::*;
use proptest::prelude::*;

fn drain(q: &mut TimerQueue<u32, ()>, time: i64) -> Vec<(i64, u32)> {
    std::iter::from_fn(|| q.pop_due(time))
        .map(|t| (t.timestamp, t.key))
        .collect()
}

#[test]
fn timers_fire_once_in_timestamp_then_registration_order() {
    let mut q = TimerQueue::new();
    assert!(q.register(1, (), 30));
    assert!(q.register(2, (), 10));
    assert!(q.register(3, (), 20));
    assert!(q.register(4, (), 10));
    assert!(
        !q.register(2, (), 10),
        "one timer per key, namespace and time"
    );
    assert_eq!(q.len(), 4);
    assert_eq!(q.peek_timestamp(), Some(10));
    assert_eq!(drain(&mut q, 9), []);
    assert_eq!(drain(&mut q, 20), [(10, 2), (10, 4), (20, 3)]);
    assert_eq!(drain(&mut q, 20), [], "fired timers are gone");
    assert!(q.contains(&1, &(), 30));
    assert_eq!(drain(&mut q, i64::MAX), [(30, 1)]);
    assert!(q.is_empty());
    assert_eq!(q.peek_timestamp(), None);
}

#[test]
fn deleted_timers_never_fire_and_can_be_registered_again() {
    let mut q: TimerQueue<u32, &'static str> = TimerQueue::new();
    q.register(1, "a", 5);
    q.register(1, "b", 5);
    assert!(q.delete(&1, &"a", 5));
    assert!(!q.delete(&1, &"a", 5), "already gone");
    assert!(!q.contains(&1, &"a", 5));
    assert_eq!(q.peek_timestamp(), Some(5));
    let fired: Vec<_> = std::iter::from_fn(|| q.pop_due(5)).collect();
    assert_eq!(
        fired,
        [Timer {
            timestamp: 5,
            key: 1,
            namespace: "b"
        }]
    );
    // Deleted, then registered again: it fires once, after the ones registered before.
    q.register(7, "a", 9);
    q.register(8, "a", 9);
    q.delete(&7, &"a", 9);
    q.register(7, "a", 9);
    let keys: Vec<u32> = std::iter::from_fn(|| q.pop_due(9)).map(|t| t.key).collect();
    assert_eq!(keys, [8, 7]);
}

#[test]
fn many_deletes_do_not_grow_the_heap_without_bound() {
    let mut q: TimerQueue<u32, ()> = TimerQueue::new();
    for round in 0..100 {
        for k in 0..100 {
            q.register(k, (), round);
        }
        for k in 0..100 {
            q.delete(&k, &(), round);
        }
    }
    assert!(q.is_empty());
    assert!(
        q.heap.len() <= 2 * 64 + 100,
        "heap of {} entries",
        q.heap.len()
    );
}

#[derive(Debug, Clone)]
enum Op {
    Register(u8, u8, i64),
    Delete(u8, u8, i64),
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6, 0u8..2, 0i64..40).prop_map(|(k, n, t)| Op::Register(k, n, t)),
        2 => (0u8..6, 0u8..2, 0i64..40).prop_map(|(k, n, t)| Op::Delete(k, n, t)),
        1 => (0i64..45).prop_map(Op::Advance),
    ]
}

proptest! {
    /// Against a model (a list of live timers): every registered, undeleted timer fires
    /// exactly once, when the time reaches it, in (timestamp, registration) order.
    #[test]
    fn the_queue_agrees_with_a_model(ops in proptest::collection::vec(op(), 0..120)) {
        let mut q: TimerQueue<u8, u8> = TimerQueue::new();
        // (timestamp, seq, key, namespace)
        let mut model: Vec<(i64, u64, u8, u8)> = Vec::new();
        let mut seq = 0u64;
        for op in ops {
            match op {
                Op::Register(k, n, t) => {
                    let fresh = !model.iter().any(|m| (m.2, m.3, m.0) == (k, n, t));
                    prop_assert_eq!(q.register(k, n, t), fresh);
                    if fresh {
                        model.push((t, seq, k, n));
                        seq += 1;
                    }
                }
                Op::Delete(k, n, t) => {
                    let before = model.len();
                    model.retain(|m| (m.2, m.3, m.0) != (k, n, t));
                    prop_assert_eq!(q.delete(&k, &n, t), model.len() < before);
                }
                Op::Advance(time) => {
                    let mut due: Vec<_> = model.iter().filter(|m| m.0 <= time).cloned().collect();
                    due.sort();
                    model.retain(|m| m.0 > time);
                    let fired: Vec<(i64, u8, u8)> = std::iter::from_fn(|| q.pop_due(time))
                        .map(|t| (t.timestamp, t.key, t.namespace))
                        .collect();
                    let want: Vec<(i64, u8, u8)> = due.iter().map(|m| (m.0, m.2, m.3)).collect();
                    prop_assert_eq!(fired, want);
                }
            }
            prop_assert_eq!(q.len(), model.len());
            prop_assert_eq!(q.peek_timestamp(), model.iter().map(|m| m.0).min());
        }
    }
}
