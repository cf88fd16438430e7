//! ListState: Flink's get / add / add_all / update / clear, and merging namespaces.

use super::*;

#[test]
fn list_state_follows_flink_semantics() {
    let (mut b, _) = backend();
    let events = b
        .list_state::<(), String>(&ListStateDescriptor::new("events"))
        .unwrap();
    b.set_current_key(1).unwrap();
    assert!(events.get(&mut b, &()).unwrap().is_empty());
    events.add(&mut b, &(), "a".into()).unwrap();
    events
        .add_all(&mut b, &(), ["b".to_string(), "c".to_string()])
        .unwrap();
    assert_eq!(events.get(&mut b, &()).unwrap(), ["a", "b", "c"]);
    let len = events.with_list(&mut b, &(), |it| it.len()).unwrap();
    assert_eq!(len, 3);
    events.update(&mut b, &(), ["x".to_string()]).unwrap();
    assert_eq!(events.get(&mut b, &()).unwrap(), ["x"]);
    // update with an empty list clears the state, as in Flink.
    events.update(&mut b, &(), Vec::new()).unwrap();
    assert!(events.get(&mut b, &()).unwrap().is_empty());
    assert_eq!(b.state_key_count(&events).unwrap(), 0);
    // add_all of nothing creates no entry.
    events.add_all(&mut b, &(), Vec::new()).unwrap();
    assert_eq!(b.state_key_count(&events).unwrap(), 0);
    events.add(&mut b, &(), "y".into()).unwrap();
    events.clear(&mut b, &()).unwrap();
    assert!(events.get(&mut b, &()).unwrap().is_empty());
    assert_eq!(b.state_key_count(&events).unwrap(), 0);
}

#[test]
fn lists_are_isolated_by_key_and_namespace() {
    let (mut b, _) = backend();
    let list = b
        .list_state::<u32, u64>(&ListStateDescriptor::new("list"))
        .unwrap();
    for key in 0..10u64 {
        b.set_current_key(key).unwrap();
        for ns in 0..3u32 {
            list.add_all(&mut b, &ns, [key, u64::from(ns)]).unwrap();
        }
    }
    b.set_current_key(4).unwrap();
    assert_eq!(list.get(&mut b, &2).unwrap(), [4, 2]);
    list.clear(&mut b, &2).unwrap();
    assert_eq!(list.get(&mut b, &1).unwrap(), [4, 1]);
    b.set_current_key(5).unwrap();
    assert_eq!(list.get(&mut b, &2).unwrap(), [5, 2]);
    assert_eq!(b.state_key_count(&list).unwrap(), 29);
}

#[test]
fn list_namespaces_merge_in_order() {
    let (mut b, _) = backend();
    let list = b
        .list_state::<u32, u32>(&ListStateDescriptor::new("window-contents"))
        .unwrap();
    b.set_current_key(1).unwrap();
    list.add_all(&mut b, &1, [1, 2]).unwrap();
    list.add_all(&mut b, &2, [3]).unwrap();
    list.add_all(&mut b, &3, [4]).unwrap();
    list.merge_namespaces(&mut b, &3, &[1, 2]).unwrap();
    assert_eq!(list.get(&mut b, &3).unwrap(), [4, 1, 2, 3]);
    assert!(list.get(&mut b, &1).unwrap().is_empty());
    assert!(list.get(&mut b, &2).unwrap().is_empty());
    // Merging into an absent target creates it.
    list.merge_namespaces(&mut b, &9, &[3]).unwrap();
    assert_eq!(list.get(&mut b, &9).unwrap(), [4, 1, 2, 3]);
    assert_eq!(b.state_key_count(&list).unwrap(), 1);
}
