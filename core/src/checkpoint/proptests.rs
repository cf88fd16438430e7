//! Random interleavings of barriers, cancel markers, buffers, ends, ticks and task aborts
//! over 1 to 6 channels, each channel following the protocol an upstream task would
//! (checkpoint ids in increasing order, an id skipped only through a cancel marker), and
//! the task reading only unblocked channels. The handlers' actions are replayed into a
//! model of what the task would believe, and checked against Flink's invariants.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    AlignedOnly,
    Alternating,
    AtLeastOnce,
}

/// What one channel delivers next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    Buffer,
    /// `switched`: the upstream switched this checkpoint to unaligned already.
    Barrier {
        id: u64,
        switched: bool,
    },
    Cancel(u64),
    End,
}

/// What the driver does at a step of the schedule.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Advance the `n`th (modulo) readable channel.
    Read(usize),
    Tick,
    /// The task aborts the pending checkpoint.
    Abort,
}

#[derive(Debug, Clone)]
struct Run {
    kind: Kind,
    after_finish: bool,
    channels: usize,
    options: Vec<CheckpointOptions>,
    scripts: Vec<Vec<Ev>>,
    schedule: Vec<(Step, i64)>,
}

/// When checkpoint `id` started.
fn start_ms(id: u64) -> i64 {
    id as i64 * 30
}

fn options_for(kind: Kind, choice: u8, timeout_ms: u64) -> CheckpointOptions {
    match (kind, choice % 4) {
        (_, 0) => CheckpointOptions::savepoint(),
        (Kind::Alternating, 1) => CheckpointOptions::unaligned(),
        (Kind::Alternating, 2) => CheckpointOptions::aligned_with_timeout(timeout_ms),
        _ => CheckpointOptions::aligned(),
    }
}

fn run() -> impl Strategy<Value = Run> {
    let kind = prop_oneof![
        Just(Kind::AlignedOnly),
        Just(Kind::Alternating),
        Just(Kind::AtLeastOnce)
    ];
    (kind, any::<bool>(), 1usize..=6, 1u64..=4).prop_flat_map(|(kind, after_finish, n, ids)| {
        let options = prop::collection::vec((any::<u8>(), 0u64..60), ids as usize);
        // Per channel and id: buffers before, cancel instead of the barrier, switched.
        let per_id = (
            0usize..3,
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.3),
        );
        let script = (
            prop::collection::vec(per_id, ids as usize),
            prop::option::weighted(0.3, 0..=ids as usize),
            0usize..3,
        );
        let scripts = prop::collection::vec(script, n);
        let step = prop_oneof![
            16 => any::<usize>().prop_map(Step::Read),
            2 => Just(Step::Tick),
            1 => Just(Step::Abort),
        ];
        let schedule = prop::collection::vec((step, 0i64..25), 0..120);
        (options, scripts, schedule).prop_map(move |(options, scripts, schedule)| {
            let options = options
                .into_iter()
                .map(|(c, t)| options_for(kind, c, t))
                .collect::<Vec<_>>();
            let scripts = scripts
                .into_iter()
                .map(|(per_id, end_at, tail)| {
                    let mut evs = Vec::new();
                    for (i, &(buffers, cancel, switched)) in per_id.iter().enumerate() {
                        evs.extend(std::iter::repeat_n(Ev::Buffer, buffers));
                        if end_at == Some(i) {
                            break;
                        }
                        let id = i as u64 + 1;
                        evs.push(if cancel {
                            Ev::Cancel(id)
                        } else {
                            Ev::Barrier { id, switched }
                        });
                    }
                    evs.extend(std::iter::repeat_n(Ev::Buffer, tail));
                    evs.push(Ev::End);
                    evs
                })
                .collect();
            Run {
                kind,
                after_finish,
                channels: n,
                options,
                scripts,
                schedule,
            }
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terminal {
    Complete,
    Abort(AbortReason),
}

/// What the task believes after replaying the actions, and what the channels delivered.
struct Model {
    kind: Kind,
    blocked: Vec<bool>,
    persisting: Vec<Option<u64>>,
    ended: Vec<bool>,
    delivered: Vec<BTreeSet<u64>>,
    cancelled: BTreeSet<u64>,
    task_aborted: BTreeSet<u64>,
    triggered: BTreeMap<u64, bool>,
    terminal: BTreeMap<u64, Terminal>,
    started: BTreeSet<u64>,
}

impl Model {
    fn new(kind: Kind, n: usize) -> Self {
        Self {
            kind,
            blocked: vec![false; n],
            persisting: vec![None; n],
            ended: vec![false; n],
            delivered: vec![BTreeSet::new(); n],
            cancelled: BTreeSet::new(),
            task_aborted: BTreeSet::new(),
            triggered: BTreeMap::new(),
            terminal: BTreeMap::new(),
            started: BTreeSet::new(),
        }
    }

    fn last_barrier(&self, ch: usize) -> Option<u64> {
        self.delivered[ch].last().copied()
    }

    /// Replays the actions of one input (`input`: the channel event, if any).
    fn apply(&mut self, input: Option<(usize, Ev)>, actions: &[Action]) {
        let ends_something = actions.iter().any(|a| match a {
            Action::Complete(_) | Action::Abort { .. } => true,
            Action::TriggerCheckpoint(b) => b.options.is_unaligned(),
            _ => false,
        });
        let mut unaligned_trigger: Option<(u64, BTreeSet<usize>)> = None;
        let mut persisted_now = BTreeSet::new();
        for &action in actions {
            match action {
                Action::Block(ch) => {
                    assert_ne!(self.kind, Kind::AtLeastOnce, "at-least-once never blocks");
                    let Some((c, Ev::Barrier { id, .. })) = input else {
                        panic!("Block({ch}) without a barrier on it: {input:?}");
                    };
                    assert_eq!(c, ch, "blocked a channel other than the barrier's");
                    assert!(!self.blocked[ch], "blocked twice");
                    assert!(!self.terminal.contains_key(&id));
                    self.blocked[ch] = true;
                    self.started.insert(id);
                }
                Action::Unblock(ch) => {
                    assert!(self.blocked[ch], "unblocked a channel not blocked");
                    assert!(
                        ends_something || input == Some((ch, Ev::End)),
                        "unblocked {ch} outside completion, abort, switch or its end"
                    );
                    self.blocked[ch] = false;
                }
                Action::TriggerCheckpoint(b) => {
                    let unaligned = b.options.is_unaligned();
                    assert!(
                        !self.triggered.contains_key(&b.id),
                        "{} triggered twice",
                        b.id
                    );
                    assert!(
                        !self.terminal.contains_key(&b.id),
                        "triggered after its end"
                    );
                    if self.kind != Kind::Alternating {
                        assert!(!unaligned);
                    }
                    self.triggered.insert(b.id, unaligned);
                    self.started.insert(b.id);
                    if unaligned {
                        let expected = (0..self.ended.len())
                            .filter(|&c| !self.ended[c] && self.last_barrier(c) < Some(b.id))
                            .collect();
                        unaligned_trigger = Some((b.id, expected));
                    }
                }
                Action::PersistInFlight {
                    channel,
                    checkpoint_id,
                } => {
                    assert_eq!(
                        unaligned_trigger.as_ref().map(|t| t.0),
                        Some(checkpoint_id),
                        "persisting starts only with an unaligned trigger"
                    );
                    assert_eq!(self.persisting[channel], None);
                    self.persisting[channel] = Some(checkpoint_id);
                    persisted_now.insert(channel);
                }
                Action::StopPersisting {
                    channel,
                    checkpoint_id,
                } => {
                    assert_eq!(
                        self.persisting[channel],
                        Some(checkpoint_id),
                        "stopped twice"
                    );
                    self.persisting[channel] = None;
                }
                Action::Complete(id) => {
                    assert!(
                        self.triggered.contains_key(&id),
                        "{id} completed untriggered"
                    );
                    assert!(
                        self.terminal.insert(id, Terminal::Complete).is_none(),
                        "{id} ended twice"
                    );
                    for c in 0..self.ended.len() {
                        assert!(
                            self.ended[c] || self.delivered[c].contains(&id),
                            "{id} complete without channel {c}'s barrier"
                        );
                    }
                }
                Action::Abort { id, reason } => {
                    assert!(
                        self.terminal.insert(id, Terminal::Abort(reason)).is_none(),
                        "{id} ended twice"
                    );
                    if self.kind == Kind::AlignedOnly {
                        assert_ne!(
                            reason,
                            AbortReason::Subsumed,
                            "blocking prevents overtaking"
                        );
                    }
                    self.started.insert(id);
                }
            }
        }
        if let Some((_, expected)) = unaligned_trigger {
            assert_eq!(
                persisted_now, expected,
                "persisted exactly the channels without the barrier"
            );
        }
    }

    /// The handler and the model agree, and exactly-once keeps one checkpoint open.
    fn check(&self, h: &CheckpointBarrierHandler) {
        for ch in 0..self.blocked.len() {
            assert_eq!(h.is_blocked(ch), self.blocked[ch], "blocked {ch}");
        }
        let open: Vec<u64> = self
            .started
            .iter()
            .filter(|id| !self.terminal.contains_key(id))
            .copied()
            .collect();
        if let Some(state) = h.state() {
            assert!(open.len() <= 1, "open checkpoints {open:?}");
            let pending = state.pending().map(|b| b.id);
            if let Some(&id) = open.first() {
                assert_eq!(pending, Some(id));
            }
            for ch in 0..self.blocked.len() {
                if self.blocked[ch] {
                    assert_eq!(
                        self.last_barrier(ch),
                        pending,
                        "{ch} blocked without the pending barrier"
                    );
                }
                if let Some(id) = self.persisting[ch] {
                    assert_eq!(Some(id), pending);
                    assert!(self.last_barrier(ch) < Some(id));
                }
            }
        }
    }
}

fn drive(run: &Run) {
    let n = run.channels;
    let config = BarrierHandlerConfig {
        mode: match run.kind {
            Kind::AtLeastOnce => CheckpointingMode::AtLeastOnce,
            _ => CheckpointingMode::ExactlyOnce,
        },
        unaligned_enabled: run.kind == Kind::Alternating,
        checkpoints_after_tasks_finish: run.after_finish,
    };
    let mut h = CheckpointBarrierHandler::new(config, n);
    let mut m = Model::new(run.kind, n);
    let mut next = vec![0usize; n];
    let mut now = 0i64;
    let read = |h: &mut CheckpointBarrierHandler,
                m: &mut Model,
                next: &mut Vec<usize>,
                pick: usize,
                now: i64| {
        let readable: Vec<usize> = (0..n)
            .filter(|&c| next[c] < run.scripts[c].len() && !m.blocked[c])
            .collect();
        if readable.is_empty() {
            assert!(
                (0..n).all(|c| next[c] == run.scripts[c].len()),
                "stuck: every channel with input left is blocked"
            );
            return false;
        }
        let ch = readable[pick % readable.len()];
        let ev = run.scripts[ch][next[ch]];
        next[ch] += 1;
        let actions = match ev {
            Ev::Buffer => {
                let expected = match m.persisting[ch] {
                    Some(checkpoint_id) => InFlight::Persist { checkpoint_id },
                    None => InFlight::Process,
                };
                assert_eq!(h.on_buffer(ch, 100), Ok(expected));
                Vec::new()
            }
            Ev::Barrier { id, switched } => {
                let options = run.options[id as usize - 1];
                let mut b = CheckpointBarrier::new(id, start_ms(id), options);
                if switched && options.alignment_timeout_ms().is_some() {
                    b = b.as_unaligned();
                }
                m.delivered[ch].insert(id);
                h.on_barrier(ch, b, now).expect("a valid barrier")
            }
            Ev::Cancel(id) => {
                m.cancelled.insert(id);
                h.on_cancel(ch, id).expect("a valid cancel marker")
            }
            Ev::End => {
                m.ended[ch] = true;
                h.on_end_of_partition(ch).expect("a valid end")
            }
        };
        m.apply(Some((ch, ev)), &actions);
        m.check(h);
        true
    };
    for &(step, dt) in &run.schedule {
        now += dt;
        match step {
            Step::Read(pick) => {
                read(&mut h, &mut m, &mut next, pick, now);
            }
            Step::Tick => {
                let actions = h.on_tick(now);
                m.apply(None, &actions);
                m.check(&h);
            }
            Step::Abort => {
                if let Some(id) = h.state().and_then(|s| s.pending()).map(|b| b.id) {
                    m.task_aborted.insert(id);
                    let actions = h.abort(id, AbortReason::Task);
                    m.apply(None, &actions);
                    m.check(&h);
                }
            }
        }
    }
    while read(&mut h, &mut m, &mut next, 0, now) {
        now += 1;
    }
    // Every channel ended: nothing is left open, blocked or persisting.
    assert!(m.ended.iter().all(|&e| e));
    if let Some(state) = h.state() {
        assert_eq!(state.pending(), None);
    }
    if let CheckpointBarrierHandler::Tracker(t) = &h {
        assert_eq!(t.pending_ids().count(), 0);
    }
    assert!(m.blocked.iter().all(|b| !b) && m.persisting.iter().all(Option::is_none));
    // Every checkpoint that reached the gate ended once: its first barrier or cancel marker
    // came before any newer one (channels deliver ids in order), so it was taken up.
    let seen = m
        .delivered
        .iter()
        .flatten()
        .chain(&m.cancelled)
        .chain(&m.started);
    for id in seen {
        assert!(
            m.terminal.contains_key(id),
            "{id} neither completed nor aborted"
        );
    }
    // Aligned: a checkpoint no one cancelled or aborted completes.
    if run.kind == Kind::AlignedOnly && run.after_finish {
        for id in 1..=run.options.len() as u64 {
            let delivered_somewhere = m.delivered.iter().any(|d| d.contains(&id));
            if delivered_somewhere && !m.cancelled.contains(&id) && !m.task_aborted.contains(&id) {
                assert_eq!(
                    m.terminal.get(&id),
                    Some(&Terminal::Complete),
                    "checkpoint {id}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Flink's invariants hold over random interleavings in every mode.
    #[test]
    fn barrier_handling_keeps_its_invariants(run in run()) {
        drive(&run);
    }
}
