//! Failure injection: a job is a script of writes, checkpoints, completions, lost or
//! delayed notifications and crashes. A crash drops the driver without closing it and
//! restarts from the last *completed* checkpoint (its state and its source position);
//! the source replays from there. Whatever the script, the committed output must equal
//! the input written once, and no in-progress file may be left at the end.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Write;

use super::file_tests::{names, open, output, write, FileDriver, TempDir};

#[derive(Debug, Clone, Copy)]
enum Step {
    /// Write up to this many records from the source.
    Write(usize),
    /// The barrier reaches the sink: snapshot the next checkpoint id.
    Snapshot,
    /// One of the in-flight checkpoints (by index, the newest if past the end) completes
    /// globally; older in-flight ones are subsumed. Its notification is queued.
    Complete(usize),
    /// One in-flight checkpoint (by index, as above) is declined and aborted.
    Decline(usize),
    /// The oldest queued notification reaches the sink.
    Deliver,
    /// The oldest queued notification is lost.
    Lose,
    /// The input ended (only once the source is exhausted).
    Finish,
    /// The process dies; with `torn`, bytes land in every in-progress file first, as if
    /// written after their pre-commit.
    Crash { torn: bool },
}

enum Note {
    Complete(u64),
    Aborted(u64),
}

struct Job {
    dir: TempDir,
    input: Vec<String>,
    driver: Option<FileDriver>,
    pos: usize,
    finished: bool,
    next_id: u64,
    in_flight: Vec<(u64, Vec<u8>, usize)>,
    completed: Option<(Vec<u8>, usize)>,
    notes: VecDeque<Note>,
}

impl Job {
    fn new(name: &str, records: usize) -> Self {
        let dir = TempDir::new(name);
        let driver = open(&dir.0, None);
        Self {
            input: (0..records).map(|i| format!("record-{i}")).collect(),
            dir,
            driver: Some(driver),
            pos: 0,
            finished: false,
            next_id: 1,
            in_flight: Vec::new(),
            completed: None,
            notes: VecDeque::new(),
        }
    }

    fn step(&mut self, step: Step) {
        match step {
            Step::Write(n) => {
                if self.finished {
                    return;
                }
                let end = self.pos.saturating_add(n).min(self.input.len());
                let batch: Vec<&str> = self.input[self.pos..end]
                    .iter()
                    .map(String::as_str)
                    .collect();
                let driver = self.driver.as_mut().expect("a driver outside a crash");
                write(driver, &batch);
                self.pos = end;
            }
            Step::Snapshot => {
                let id = self.next_id;
                self.next_id += 1;
                let state = self.driver().snapshot(id).unwrap().to_bytes();
                self.in_flight.push((id, state, self.pos));
            }
            Step::Complete(i) => {
                if self.in_flight.is_empty() {
                    return;
                }
                let i = i.min(self.in_flight.len() - 1);
                let mut done: Vec<_> = self.in_flight.drain(..=i).collect();
                let Some((id, state, pos)) = done.pop() else {
                    return;
                };
                for (older, _, _) in done {
                    self.notes.push_back(Note::Aborted(older));
                }
                self.notes.push_back(Note::Complete(id));
                self.completed = Some((state, pos));
            }
            Step::Decline(i) => {
                if self.in_flight.is_empty() {
                    return;
                }
                let (id, _, _) = self.in_flight.remove(i.min(self.in_flight.len() - 1));
                self.notes.push_back(Note::Aborted(id));
            }
            Step::Deliver => match self.notes.pop_front() {
                Some(Note::Complete(id)) => self.driver().notify_checkpoint_complete(id).unwrap(),
                Some(Note::Aborted(id)) => self.driver().notify_checkpoint_aborted(id),
                None => {}
            },
            Step::Lose => {
                self.notes.pop_front();
            }
            Step::Finish => {
                if !self.finished && self.pos == self.input.len() {
                    self.driver().finish().unwrap();
                    self.finished = true;
                }
            }
            Step::Crash { torn } => self.crash(torn),
        }
    }

    fn crash(&mut self, torn: bool) {
        // Dropping stands for the crash: no close, no abort.
        drop(self.driver.take());
        if torn {
            for name in names(&self.dir.0) {
                if name.ends_with(".inprogress") {
                    let path = self.dir.0.join(&name);
                    let mut f = OpenOptions::new().append(true).open(path).unwrap();
                    f.write_all(b"torn").unwrap();
                }
            }
        }
        let restored = self.completed.as_ref().map(|(s, _)| s.as_slice());
        self.driver = Some(open(&self.dir.0, restored));
        self.pos = self.completed.as_ref().map_or(0, |(_, pos)| *pos);
        self.in_flight.clear();
        self.notes.clear();
        self.finished = false;
    }

    fn driver(&mut self) -> &mut FileDriver {
        self.driver.as_mut().expect("a driver outside a crash")
    }

    /// Runs the rest of the job without failures: the remaining input, the end of input,
    /// the final checkpoint and its notification (after any still queued), close.
    fn run_to_end(&mut self) {
        self.step(Step::Write(usize::MAX));
        self.step(Step::Finish);
        self.step(Step::Snapshot);
        self.step(Step::Complete(usize::MAX));
        while !self.notes.is_empty() {
            self.step(Step::Deliver);
        }
        self.driver().close().unwrap();
    }

    /// The committed output is the input, once; nothing uncommitted is left.
    fn check(&self) {
        let expected: String = self.input.iter().map(|r| format!("{r}\n")).collect();
        assert_eq!(output(&self.dir.0), expected);
        let leftovers: Vec<String> = names(&self.dir.0)
            .into_iter()
            .filter(|n| n.ends_with(".inprogress"))
            .collect();
        assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    }
}

/// Runs `script` then the end of the job, and checks the output.
fn run(name: &str, records: usize, script: &[Step]) {
    let mut job = Job::new(name, records);
    for step in script {
        job.step(*step);
    }
    job.run_to_end();
    job.check();
}

use Step::*;

#[test]
fn a_straight_run_commits_the_input_once() {
    run(
        "straight",
        10,
        &[
            Write(4),
            Snapshot,
            Complete(0),
            Deliver,
            Write(3),
            Snapshot,
            Complete(0),
            Deliver,
        ],
    );
}

#[test]
fn a_crash_after_writes_before_the_snapshot_replays_them() {
    run(
        "before-snapshot",
        10,
        &[
            Write(3),
            Snapshot,
            Complete(0),
            Deliver,
            Write(4),
            Crash { torn: false },
        ],
    );
}

#[test]
fn a_crash_after_the_snapshot_before_completion_replays_from_the_previous_checkpoint() {
    run(
        "before-complete",
        10,
        &[
            Write(3),
            Snapshot,
            Complete(0),
            Deliver,
            Write(4),
            Snapshot,
            Crash { torn: true },
        ],
    );
}

#[test]
fn a_lost_notification_is_committed_by_recovery() {
    run(
        "notify-lost",
        10,
        &[
            Write(3),
            Snapshot,
            Write(2),
            Snapshot,
            Complete(1),
            Crash { torn: true },
        ],
    );
}

#[test]
fn a_crash_after_the_notification_commits_nothing_twice() {
    run(
        "after-notify",
        10,
        &[
            Write(3),
            Snapshot,
            Complete(0),
            Deliver,
            Crash { torn: false },
            Write(2),
            Crash { torn: true },
        ],
    );
}

#[test]
fn a_crash_after_the_final_checkpoint_completed_commits_it() {
    run(
        "final",
        6,
        &[
            Write(6),
            Finish,
            Snapshot,
            Complete(0),
            Crash { torn: true },
        ],
    );
}

#[test]
fn a_declined_checkpoint_is_committed_with_the_next() {
    run(
        "declined",
        8,
        &[
            Write(3),
            Snapshot,
            Decline(0),
            Deliver,
            Write(3),
            Snapshot,
            Complete(0),
            Crash { torn: false },
        ],
    );
}

/// A deterministic generator (splitmix64), so that a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

fn script(seed: u64) -> Vec<Step> {
    let mut rng = Rng(seed);
    let len = 10 + rng.below(40);
    (0..len)
        .map(|_| match rng.below(20) {
            0..=5 => Write(1 + rng.below(4)),
            6..=8 => Snapshot,
            9..=10 => Complete(rng.below(3)),
            11 => Decline(rng.below(3)),
            12..=14 => Deliver,
            15 => Lose,
            16 => Finish,
            _ => Crash {
                torn: rng.below(2) == 0,
            },
        })
        .collect()
}

#[test]
fn output_equals_the_straight_run_for_random_crash_schedules() {
    let straight = {
        let mut job = Job::new("straight-ref", 40);
        job.run_to_end();
        job.check();
        output(&job.dir.0)
    };
    for seed in 0..150 {
        let steps = script(seed);
        let mut job = Job::new(&format!("seed-{seed}"), 40);
        for step in &steps {
            job.step(*step);
        }
        job.run_to_end();
        assert_eq!(output(&job.dir.0), straight, "seed {seed}: {steps:?}");
        job.check();
    }
}
