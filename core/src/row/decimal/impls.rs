//! Standard traits of [`Decimal`]: text, numeric order and equality, hashing (Rust's and
//! Java's).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use super::{Decimal, DecimalError};

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::with_capacity(48);
        self.write_to(&mut buf);
        // Only ASCII digits, '-' and '.' were written.
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_bytes(s.as_bytes())
    }
}

impl From<i64> for Decimal {
    fn from(v: i64) -> Self {
        Self::from_i64(v)
    }
}

/// Numeric order: `1.0 == 1.00`.
impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.scale == other.scale {
            return self.unscaled.cmp(&other.unscaled);
        }
        let sign = self.unscaled.signum().cmp(&other.unscaled.signum());
        if sign != Ordering::Equal {
            return sign;
        }
        // Same sign: compare at the larger scale. If scaling one side up overflows, its
        // magnitude exceeds anything the other side can hold, so its sign decides.
        let scale = self.scale.max(other.scale);
        match (self.rescale(scale), other.rescale(scale)) {
            (Ok(a), Ok(b)) => a.unscaled.cmp(&b.unscaled),
            (Err(_), _) => self.unscaled.signum().cmp(&0),
            (_, Err(_)) => 0.cmp(&other.unscaled.signum()),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Numeric equality: `1.0 == 1.00` (hashing agrees: it hashes the normalized value).
impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalized();
        n.unscaled.hash(state);
        n.scale.hash(state);
    }
}

/// Java's `BigDecimal.hashCode()` of the normalized value: `31 × BigInteger.hashCode() +
/// scale`, so `1.50` and `1.5` (equal here) hash alike.
impl weir_state::KeyHash for Decimal {
    fn key_hash(&self) -> i32 {
        let n = self.normalized();
        let mag = n.unscaled.unsigned_abs();
        // BigInteger.hashCode: 31-polynomial over the big-endian 32-bit words of the
        // magnitude (leading zero words contribute nothing), times the signum.
        let mut h = 0i32;
        for shift in [96u32, 64, 32, 0] {
            let word = (mag >> shift) as u32;
            h = h.wrapping_mul(31).wrapping_add(word as i32);
        }
        let int_hash = h.wrapping_mul(n.unscaled.signum() as i32);
        int_hash.wrapping_mul(31).wrapping_add(i32::from(n.scale))
    }
}
