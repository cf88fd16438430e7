//! Partitioners: which output channel(s) of a result partition receive a record. The
//! eight of Flink: forward, rebalance, rescale, shuffle, broadcast, global, key group
//! (`key_by`), custom.

use std::any::Any;
use std::sync::Arc;

use weir_state::key_group;

use crate::operator::OperatorError;
use crate::record::{Data, Record};

/// The hash code of a record's key (Java-compatible, see `weir_state::key_group::KeyHash`).
pub type KeyHashFn<T> = Arc<dyn Fn(&Record<'_, T>) -> Result<i32, OperatorError> + Send + Sync>;

/// A user partitioner: `(record, number of channels) → channel`.
pub type CustomFn<T> =
    Arc<dyn Fn(&Record<'_, T>, usize) -> Result<usize, OperatorError> + Send + Sync>;

/// How records of an edge are distributed over the consumer's subtasks.
#[derive(Clone)]
pub enum Partitioning {
    /// To the consumer subtask with the same index (requires equal parallelism).
    Forward,
    /// Round-robin over all consumer subtasks.
    Rebalance,
    /// Round-robin over the consumer subtasks local to this producer (pointwise).
    Rescale,
    /// Uniformly at random (seeded per subtask, so runs repeat).
    Shuffle,
    /// To every consumer subtask.
    Broadcast,
    /// Everything to consumer subtask 0.
    Global,
    /// By key group of the record's key (`key_by`); holds a `KeyHashFn<T>`.
    KeyGroup(Arc<dyn Any + Send + Sync>),
    /// By a user function; holds a `CustomFn<T>`.
    Custom(Arc<dyn Any + Send + Sync>),
}

impl Partitioning {
    /// Flink's name of the partitioner, as `weir explain` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            Partitioning::Forward => "FORWARD",
            Partitioning::Rebalance => "REBALANCE",
            Partitioning::Rescale => "RESCALE",
            Partitioning::Shuffle => "SHUFFLE",
            Partitioning::Broadcast => "BROADCAST",
            Partitioning::Global => "GLOBAL",
            Partitioning::KeyGroup(_) => "HASH",
            Partitioning::Custom(_) => "CUSTOM",
        }
    }

    /// Whether each producer talks only to a subset of consumers (forward, rescale).
    pub fn is_pointwise(&self) -> bool {
        matches!(self, Partitioning::Forward | Partitioning::Rescale)
    }
}

impl std::fmt::Debug for Partitioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The channels a record goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// One channel.
    One(usize),
    /// Every channel.
    All,
}

/// Picks the output channel of each record.
pub trait ChannelSelector<T: Data> {
    /// The channel(s) for `record` among `channels` (≥ 1).
    fn select(
        &mut self,
        record: &Record<'_, T>,
        channels: usize,
    ) -> Result<Selection, OperatorError>;
}

/// A small deterministic generator (splitmix64) for shuffle and rebalance start points.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Round-robin (rebalance and rescale), starting at a seeded random channel like Flink.
pub struct RoundRobin {
    next: Option<usize>,
    rng: SplitMix,
}

impl RoundRobin {
    /// Round-robin for producer subtask `subtask`.
    pub fn new(subtask: usize) -> Self {
        Self {
            next: None,
            rng: SplitMix::new(subtask as u64 + 1),
        }
    }
}

impl<T: Data> ChannelSelector<T> for RoundRobin {
    fn select(
        &mut self,
        _record: &Record<'_, T>,
        channels: usize,
    ) -> Result<Selection, OperatorError> {
        let rng = &mut self.rng;
        let current = *self.next.get_or_insert_with(|| rng.below(channels)) % channels;
        self.next = Some((current + 1) % channels);
        Ok(Selection::One(current))
    }
}

/// Uniformly random channel.
pub struct Shuffle(SplitMix);

impl Shuffle {
    /// Shuffle for producer subtask `subtask`.
    pub fn new(subtask: usize) -> Self {
        Self(SplitMix::new(0x5EED ^ subtask as u64))
    }
}

impl<T: Data> ChannelSelector<T> for Shuffle {
    fn select(
        &mut self,
        _record: &Record<'_, T>,
        channels: usize,
    ) -> Result<Selection, OperatorError> {
        Ok(Selection::One(self.0.below(channels)))
    }
}

/// A fixed answer: forward and global (channel 0) or broadcast (all).
pub struct Fixed(pub Selection);

impl<T: Data> ChannelSelector<T> for Fixed {
    fn select(
        &mut self,
        _record: &Record<'_, T>,
        _channels: usize,
    ) -> Result<Selection, OperatorError> {
        Ok(self.0)
    }
}

/// Key-group routing: `murmur(hash(key)) % max_parallelism`, then the key group's owner.
pub struct KeyGroupSelector<T: Data> {
    hash: KeyHashFn<T>,
    max_parallelism: u32,
}

impl<T: Data> KeyGroupSelector<T> {
    /// Routes by `hash` with `max_parallelism` key groups.
    pub fn new(hash: KeyHashFn<T>, max_parallelism: u32) -> Self {
        Self {
            hash,
            max_parallelism,
        }
    }
}

impl<T: Data> ChannelSelector<T> for KeyGroupSelector<T> {
    fn select(
        &mut self,
        record: &Record<'_, T>,
        channels: usize,
    ) -> Result<Selection, OperatorError> {
        let group = key_group::assign_to_key_group((self.hash)(record)?, self.max_parallelism);
        let index = key_group::compute_operator_index_for_key_group(
            self.max_parallelism,
            channels as u32,
            group,
        );
        Ok(Selection::One(index as usize))
    }
}

/// A user partitioner; an index outside `0..channels` is an error naming it.
pub struct CustomSelector<T: Data>(pub CustomFn<T>);

impl<T: Data> ChannelSelector<T> for CustomSelector<T> {
    fn select(
        &mut self,
        record: &Record<'_, T>,
        channels: usize,
    ) -> Result<Selection, OperatorError> {
        let i = (self.0)(record, channels)?;
        if i >= channels {
            return Err(OperatorError::User(format!(
                "custom partitioner returned channel {i}, but there are only {channels} channels"
            )));
        }
        Ok(Selection::One(i))
    }
}

/// Builds the selector of `partitioning` for records of type `T` on producer `subtask`.
pub fn selector_for<T: Data>(
    partitioning: &Partitioning,
    subtask: usize,
    max_parallelism: u32,
) -> Result<Box<dyn ChannelSelector<T>>, OperatorError> {
    Ok(match partitioning {
        Partitioning::Forward | Partitioning::Global => Box::new(Fixed(Selection::One(0))),
        Partitioning::Broadcast => Box::new(Fixed(Selection::All)),
        Partitioning::Rebalance | Partitioning::Rescale => Box::new(RoundRobin::new(subtask)),
        Partitioning::Shuffle => Box::new(Shuffle::new(subtask)),
        Partitioning::KeyGroup(any) => match any.downcast_ref::<KeyHashFn<T>>() {
            Some(f) => Box::new(KeyGroupSelector::new(f.clone(), max_parallelism)),
            None => {
                return Err(OperatorError::User(
                    "key_by: key selector has the wrong record type".into(),
                ))
            }
        },
        Partitioning::Custom(any) => match any.downcast_ref::<CustomFn<T>>() {
            Some(f) => Box::new(CustomSelector(f.clone())),
            None => {
                return Err(OperatorError::User(
                    "partition_custom: partitioner has the wrong record type".into(),
                ))
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts<T: Data>(sel: &mut dyn ChannelSelector<T>, recs: Vec<T>, n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for r in recs {
            match sel.select(&Record::Owned(r), n).unwrap() {
                Selection::One(i) => c[i] += 1,
                Selection::All => c.iter_mut().for_each(|x| *x += 1),
            }
        }
        c
    }

    #[test]
    fn rebalance_spreads_evenly() {
        let c = counts::<i64>(&mut RoundRobin::new(0), (0..1000).collect(), 4);
        assert_eq!(c, vec![250; 4]);
    }

    #[test]
    fn shuffle_is_roughly_uniform_and_repeatable() {
        let a = counts::<i64>(&mut Shuffle::new(3), (0..10_000).collect(), 4);
        let b = counts::<i64>(&mut Shuffle::new(3), (0..10_000).collect(), 4);
        assert_eq!(a, b);
        assert!(a.iter().all(|&x| (2300..2700).contains(&x)), "{a:?}");
    }

    #[test]
    fn broadcast_global_forward() {
        assert_eq!(
            counts::<i64>(&mut Fixed(Selection::All), vec![1, 2], 3),
            vec![2, 2, 2]
        );
        assert_eq!(
            counts::<i64>(&mut Fixed(Selection::One(0)), vec![1, 2], 3),
            vec![2, 0, 0]
        );
    }

    #[test]
    fn key_groups_route_each_key_to_one_consumer() {
        let hash: KeyHashFn<i64> =
            Arc::new(|r| Ok(key_group::KeyHash::key_hash(&r.duplicate().into_owned()?)));
        let mut sel = KeyGroupSelector::new(hash, 128);
        let mut seen = std::collections::HashMap::new();
        for k in 0..500i64 {
            for _ in 0..3 {
                let Selection::One(i) = sel.select(&Record::Owned(k), 4).unwrap() else {
                    panic!()
                };
                assert_eq!(*seen.entry(k).or_insert(i), i);
            }
        }
        let per: Vec<usize> = (0..4)
            .map(|i| seen.values().filter(|&&v| v == i).count())
            .collect();
        assert!(per.iter().all(|&x| x > 60), "{per:?}");
    }

    #[test]
    fn custom_partitioner_out_of_range_is_an_error() {
        let f: CustomFn<i64> = Arc::new(|_, _| Ok(9));
        let err = CustomSelector(f).select(&Record::Owned(1), 2).unwrap_err();
        assert!(err.to_string().contains("channel 9"));
    }
}
