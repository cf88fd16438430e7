//! Where a replayable source is, for checkpoints: [`RoundRobinProgress`].
//!
//! The parallel sources deal their input out round-robin in units (a file's stripes, a
//! sequence's numbers, a generator's event ids): unit `u` belongs to subtask `u % n`, and
//! each subtask goes through its units in order. So a subtask's position is the unit it
//! is in and how far into it (a byte offset for stripes, 0 otherwise). From the positions
//! of all `n` subtasks of a snapshot (Flink's union list state: every new subtask sees all
//! of them), subtask `i` of a new parallelism `m` finds which of its units are done, which
//! one is partly done, and where to start: [`Resume`].

use crate::operator::OperatorError;
use crate::sink::codec::{put_u32, put_u64, ByteReader};
use crate::sink::StateDecodeError;

/// The position of one subtask of a source that deals units round-robin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoundRobinProgress {
    /// The source's parallelism when the position was taken.
    pub parallelism: u32,
    /// The subtask.
    pub subtask: u32,
    /// The unit the subtask is in (every earlier unit of the subtask is done); a unit
    /// past the input's end when it has finished.
    pub unit: u64,
    /// How far into `unit` it is (source-specific: a byte position for a file's stripes).
    pub offset: u64,
}

/// Encoded length of a [`RoundRobinProgress`].
const ENCODED_LEN: usize = 1 + 4 + 4 + 8 + 8;
/// Version byte of the encoding.
const VERSION: u8 = 1;

impl RoundRobinProgress {
    /// Subtask `subtask` of `parallelism`, in `unit` at `offset`.
    pub fn at(parallelism: usize, subtask: usize, unit: u64, offset: u64) -> Self {
        Self {
            parallelism: parallelism as u32,
            subtask: subtask as u32,
            unit,
            offset,
        }
    }

    /// Subtask `subtask` of `parallelism` having gone through all of an input of `units`
    /// units: at its first unit past the end.
    pub fn finished(parallelism: usize, subtask: usize, units: u64) -> Self {
        let step = parallelism.max(1) as u64;
        let r = units % step;
        let unit = units + (subtask as u64 + step - r) % step;
        Self::at(parallelism, subtask, unit, 0)
    }

    /// The position as bytes (for operator state).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENCODED_LEN);
        out.push(VERSION);
        put_u32(&mut out, self.parallelism);
        put_u32(&mut out, self.subtask);
        put_u64(&mut out, self.unit);
        put_u64(&mut out, self.offset);
        out
    }

    /// A position from [`encode`](Self::encode)'s bytes; `what` names the source in errors.
    pub fn decode(bytes: &[u8], what: &str) -> Result<Self, OperatorError> {
        let bad = |why: String| OperatorError::User(format!("{what}: bad source position: {why}"));
        let read = || -> Result<Self, StateDecodeError> {
            let mut r = ByteReader::new(bytes);
            let version = r.u8("version")?;
            if version != VERSION {
                return Err(r.error(format!("version {version}, expected {VERSION}")));
            }
            let p = Self {
                parallelism: r.u32("parallelism")?,
                subtask: r.u32("subtask")?,
                unit: r.u64("unit")?,
                offset: r.u64("offset")?,
            };
            r.finish()?;
            Ok(p)
        };
        let p = read().map_err(|e| bad(format!("byte {}: {}", e.offset, e.reason)))?;
        if p.parallelism == 0 || p.subtask >= p.parallelism {
            return Err(bad(format!(
                "subtask {} of parallelism {}",
                p.subtask, p.parallelism
            )));
        }
        if p.unit % u64::from(p.parallelism) != u64::from(p.subtask) {
            return Err(bad(format!(
                "unit {} is not one of subtask {} of {}",
                p.unit, p.subtask, p.parallelism
            )));
        }
        Ok(p)
    }
}

/// What one subtask of a new parallelism still has to do, from the positions of every
/// subtask of a snapshot.
#[derive(Debug, Clone)]
pub struct Resume {
    old: Vec<RoundRobinProgress>,
    subtask: u64,
    parallelism: u64,
}

impl Resume {
    /// Subtask `subtask` of `parallelism` resuming from `old`, which must hold exactly one
    /// position for each subtask of one earlier parallelism; `what` names the source.
    pub fn new(
        old: &[RoundRobinProgress],
        subtask: usize,
        parallelism: usize,
        what: &str,
    ) -> Result<Self, OperatorError> {
        let bad = |why: String| OperatorError::User(format!("{what}: cannot resume: {why}"));
        let Some(first) = old.first() else {
            return Err(bad("no source positions in the snapshot".into()));
        };
        let n = first.parallelism;
        let mut sorted = old.to_vec();
        sorted.sort_by_key(|p| p.subtask);
        if sorted.len() != n as usize
            || sorted
                .iter()
                .enumerate()
                .any(|(i, p)| p.parallelism != n || p.subtask as usize != i)
        {
            return Err(bad(format!(
                "the snapshot's {} positions are not one per subtask of a parallelism of {n}",
                old.len()
            )));
        }
        if parallelism == 0 || subtask >= parallelism {
            return Err(bad(format!(
                "subtask {subtask} of parallelism {parallelism}"
            )));
        }
        Ok(Self {
            old: sorted,
            subtask: subtask as u64,
            parallelism: parallelism as u64,
        })
    }

    /// Where unit `u` stands: `None` if done, else the offset to start it from (0 for a
    /// unit not begun).
    pub fn start_of(&self, u: u64) -> Option<u64> {
        let n = self.old.len() as u64;
        let owner = &self.old[(u % n) as usize];
        match u.cmp(&owner.unit) {
            std::cmp::Ordering::Less => None,
            std::cmp::Ordering::Equal => Some(owner.offset),
            std::cmp::Ordering::Greater => Some(0),
        }
    }

    /// The first unit of this subtask not done, at or after unit `from`, with its start
    /// offset. Units below every old position are skipped at once; the search ends at the
    /// first unit any old subtask had not reached.
    pub fn next_unit(&self, from: u64) -> Option<(u64, u64)> {
        let lowest = self.old.iter().map(|p| p.unit).min().unwrap_or(0);
        let highest = self.old.iter().map(|p| p.unit).max().unwrap_or(0);
        let mut u =
            self.first_own_at_or_after(from.max(lowest.saturating_sub(self.parallelism)))?;
        loop {
            if let Some(offset) = self.start_of(u) {
                return Some((u, offset));
            }
            if u > highest {
                return Some((u, 0));
            }
            u = u.checked_add(self.parallelism)?;
        }
    }

    /// Past this unit nothing was started before the snapshot: every later unit is left.
    pub fn highest_unit(&self) -> u64 {
        self.old.iter().map(|p| p.unit).max().unwrap_or(0)
    }

    /// This subtask's first unit at or after `u`.
    fn first_own_at_or_after(&self, u: u64) -> Option<u64> {
        let r = u % self.parallelism;
        let add = (self.subtask + self.parallelism - r) % self.parallelism;
        u.checked_add(add)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    /// Positions of `n` subtasks after each did `done[i]` of its units (the last one
    /// `partial` bytes into its next unit).
    fn positions(n: u32, done: &[u64], partial: u64) -> Vec<RoundRobinProgress> {
        (0..n)
            .map(|i| RoundRobinProgress {
                parallelism: n,
                subtask: i,
                unit: u64::from(i) + done[i as usize] * u64::from(n),
                offset: partial,
            })
            .collect()
    }

    #[test]
    fn positions_round_trip_and_bad_bytes_are_named() {
        let p = RoundRobinProgress {
            parallelism: 3,
            subtask: 1,
            unit: 7,
            offset: 99,
        };
        assert_eq!(
            RoundRobinProgress::decode(&p.encode(), "file x").ok(),
            Some(p)
        );
        let mut bytes = p.encode();
        bytes[0] = 9;
        let e = RoundRobinProgress::decode(&bytes, "file x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("file x") && e.contains("version 9"), "{e}");
        let e = RoundRobinProgress::decode(&p.encode()[..3], "file x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("byte 1: truncated"), "{e}");
        let wrong = RoundRobinProgress { unit: 8, ..p };
        let e = RoundRobinProgress::decode(&wrong.encode(), "file x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unit 8 is not one of subtask 1 of 3"), "{e}");
    }

    #[test]
    fn an_incomplete_snapshot_is_refused() {
        let mut old = positions(3, &[1, 1, 1], 0);
        old.pop();
        let e = Resume::new(&old, 0, 2, "seq").unwrap_err().to_string();
        assert!(e.contains("not one per subtask"), "{e}");
        assert!(Resume::new(&[], 0, 2, "seq").is_err());
    }

    proptest! {
        /// Whatever the old and new parallelism and progress, the new subtasks together
        /// do exactly the units (and the rest of the partial units) the old ones had not.
        #[test]
        fn new_subtasks_cover_exactly_what_remained(
            n in 1u32..6,
            m in 1usize..6,
            done in prop::collection::vec(0u64..6, 6),
            partial in 0u64..3,
            total in 0u64..40,
        ) {
            let old = positions(n, &done[..n as usize], partial);
            // What the old subtasks finished: units below their position, and the first
            // `partial` offsets of their current unit.
            let mut seen: BTreeSet<(u64, u64)> = BTreeSet::new();
            for p in &old {
                for u in (u64::from(p.subtask)..p.unit).step_by(n as usize) {
                    seen.extend((0..3).map(|o| (u, o)));
                }
                seen.extend((0..p.offset).map(|o| (p.unit, o)));
            }
            for i in 0..m {
                let r = Resume::new(&old, i, m, "t").unwrap();
                let mut from = 0;
                while let Some((u, offset)) = r.next_unit(from) {
                    if u >= total { break; }
                    prop_assert_eq!(u as usize % m, i);
                    for o in offset..3 {
                        prop_assert!(seen.insert((u, o)), "unit {} offset {} twice", u, o);
                    }
                    from = u + 1;
                }
            }
            // Every unit below `total` (each of 3 offsets) was done exactly once overall.
            for u in 0..total {
                for o in 0..3 {
                    prop_assert!(seen.contains(&(u, o)), "unit {} offset {} missed", u, o);
                }
            }
        }
    }
}
