//! [`KeyGroupRange`]: an inclusive range of key groups, as Flink's `KeyGroupRange`.

use std::fmt;
use std::ops::Range;

use crate::error::StateError;

/// An inclusive range of key groups `[start, end]`, as Flink's `KeyGroupRange`, or empty.
///
/// All empty ranges compare equal to [`KeyGroupRange::EMPTY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KeyGroupRange {
    /// First key group; 0 when empty.
    start: u32,
    /// Number of key groups; 0 when empty.
    len: u32,
}

impl KeyGroupRange {
    /// The empty range (Flink's `EMPTY_KEY_GROUP_RANGE`, `startKeyGroup=0, endKeyGroup=-1`).
    pub const EMPTY: KeyGroupRange = KeyGroupRange { start: 0, len: 0 };

    /// The non-empty range `[start, end]`; an error if `start > end` (Flink's constructor)
    /// or `end == u32::MAX`.
    pub fn new(start: u32, end: u32) -> Result<Self, StateError> {
        if start > end || end == u32::MAX {
            return Err(StateError::InvalidKeyGroupRange { start, end });
        }
        Ok(Self::of(start, end))
    }

    /// Flink's `KeyGroupRange.of`: `[start, end]`, or [`Self::EMPTY`] when `start > end`.
    ///
    /// `[0, u32::MAX]` (2^32 key groups) is not representable and also yields
    /// [`Self::EMPTY`]; real key groups never exceed 32767.
    pub fn of(start: u32, end: u32) -> Self {
        match end.checked_sub(start).and_then(|d| d.checked_add(1)) {
            Some(len) => KeyGroupRange { start, len },
            None => Self::EMPTY,
        }
    }

    /// Whether the range holds no key group.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first key group (Flink's `getStartKeyGroup`); 0 for the empty range.
    pub fn start_key_group(&self) -> u32 {
        self.start
    }

    /// The last key group, inclusive (Flink's `getEndKeyGroup`); `None` for the empty range.
    pub fn end_key_group(&self) -> Option<u32> {
        self.len.checked_sub(1).map(|d| self.start + d)
    }

    /// The number of key groups in the range (Flink's `getNumberOfKeyGroups`).
    pub fn number_of_key_groups(&self) -> u32 {
        self.len
    }

    /// Whether `key_group` lies in the range.
    pub fn contains(&self, key_group: u32) -> bool {
        key_group >= self.start && key_group - self.start < self.len
    }

    /// The position of `key_group` within the range (`key_group - start`), if contained.
    pub fn index_of(&self, key_group: u32) -> Option<usize> {
        self.contains(key_group)
            .then(|| (key_group - self.start) as usize)
    }

    /// The key groups of this range in ascending order, as a half-open `Range`.
    pub fn iter(&self) -> Range<u32> {
        self.start..self.start + self.len
    }

    /// Flink's `getIntersection`: the key groups in both ranges.
    pub fn intersection(&self, other: &KeyGroupRange) -> KeyGroupRange {
        match (self.end_key_group(), other.end_key_group()) {
            (Some(a), Some(b)) => Self::of(self.start.max(other.start), a.min(b)),
            _ => Self::EMPTY,
        }
    }
}

impl IntoIterator for KeyGroupRange {
    type Item = u32;
    type IntoIter = Range<u32>;

    fn into_iter(self) -> Range<u32> {
        self.iter()
    }
}

impl fmt::Display for KeyGroupRange {
    /// Formats like Flink's `toString`, e.g. `KeyGroupRange{startKeyGroup=0, endKeyGroup=-1}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = i64::from(self.start) + i64::from(self.len) - 1;
        write!(
            f,
            "KeyGroupRange{{startKeyGroup={}, endKeyGroup={end}}}",
            self.start
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_group_range_basics() {
        let r = KeyGroupRange::new(3, 7).unwrap();
        assert_eq!(r.start_key_group(), 3);
        assert_eq!(r.end_key_group(), Some(7));
        assert_eq!(r.number_of_key_groups(), 5);
        assert!(r.contains(3) && r.contains(7) && !r.contains(2) && !r.contains(8));
        assert_eq!(r.index_of(5), Some(2));
        assert_eq!(r.index_of(8), None);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![3, 4, 5, 6, 7]);
        assert_eq!(
            r.to_string(),
            "KeyGroupRange{startKeyGroup=3, endKeyGroup=7}"
        );
        assert_eq!(
            r.intersection(&KeyGroupRange::of(6, 10)),
            KeyGroupRange::of(6, 7)
        );
        assert!(r.intersection(&KeyGroupRange::of(8, 10)).is_empty());
        assert!(r.intersection(&KeyGroupRange::EMPTY).is_empty());
        assert_eq!(
            KeyGroupRange::new(5, 4).unwrap_err(),
            StateError::InvalidKeyGroupRange { start: 5, end: 4 }
        );
    }

    #[test]
    fn empty_range() {
        let e = KeyGroupRange::of(5, 4);
        assert_eq!(e, KeyGroupRange::EMPTY);
        assert!(e.is_empty());
        assert_eq!(e.number_of_key_groups(), 0);
        assert_eq!(e.end_key_group(), None);
        assert!(!e.contains(0));
        assert_eq!(e.iter().count(), 0);
        assert_eq!(
            e.to_string(),
            "KeyGroupRange{startKeyGroup=0, endKeyGroup=-1}"
        );
        assert_eq!(KeyGroupRange::default(), KeyGroupRange::EMPTY);
    }
}
