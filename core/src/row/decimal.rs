//! Exact decimal numbers: an `i128` unscaled value and a decimal scale, as SQL's DECIMAL.
//!
//! `1496.384` is `unscaled = 1496384, scale = 3`. The scale is kept through arithmetic the
//! way SQL keeps it (addition takes the larger scale, multiplication adds scales), so
//! `0.908 * 100` is `90.800`. Every operation that could overflow returns
//! [`DecimalError`] instead of panicking or wrapping.

use std::cmp::Ordering;

use rkyv::{Archive, Deserialize, Serialize};

/// The largest scale (digits after the point) a decimal may have.
pub const MAX_SCALE: u8 = 38;

/// `POW10[i] == 10^i` for `i` in `0..=38` (10^38 < i128::MAX < 10^39).
const POW10: [i128; 39] = {
    let mut table = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// `10^exp` when it fits an `i128`.
fn pow10(exp: u32) -> Option<i128> {
    POW10.get(exp as usize).copied()
}

/// An exact decimal number: `unscaled × 10^-scale`.
#[derive(Archive, Serialize, Deserialize, Clone, Copy, Debug)]
#[rkyv(derive(Debug))]
pub struct Decimal {
    unscaled: i128,
    scale: u8,
}

/// Why a decimal could not be parsed or computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text holds no digits.
    #[error("no digits")]
    Empty,
    /// The text holds a byte that is not a digit, a sign or a single point.
    #[error("unexpected character {:?} at byte {offset}", char::from(*byte))]
    InvalidChar {
        /// The offending byte.
        byte: u8,
        /// Its 0-based offset in the text.
        offset: usize,
    },
    /// The value does not fit 38 significant digits.
    #[error("decimal overflow")]
    Overflow,
    /// More than 38 digits after the point.
    #[error("scale {0} exceeds the maximum of {MAX_SCALE}")]
    ScaleTooLarge(u32),
    /// Division or remainder by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// A NaN or infinite float has no decimal value.
    #[error("NaN and infinity have no decimal value")]
    NotFinite,
}

/// Divides rounding half away from zero; `d` must not be zero.
fn div_round(n: i128, d: i128) -> Option<i128> {
    let q = n.checked_div(d)?;
    let r = n.checked_rem(d)?;
    let (r, d_abs) = (r.unsigned_abs(), d.unsigned_abs());
    if r >= d_abs - r {
        let away = if (n < 0) == (d < 0) { 1 } else { -1 };
        q.checked_add(away)
    } else {
        Some(q)
    }
}

impl Decimal {
    /// Zero with scale 0.
    pub const ZERO: Decimal = Decimal {
        unscaled: 0,
        scale: 0,
    };

    /// `unscaled × 10^-scale`; the scale must be at most [`MAX_SCALE`].
    pub fn new(unscaled: i128, scale: u8) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::ScaleTooLarge(u32::from(scale)));
        }
        Ok(Self { unscaled, scale })
    }

    /// The integer value with scale 0.
    pub fn from_i64(v: i64) -> Self {
        Self {
            unscaled: i128::from(v),
            scale: 0,
        }
    }

    /// The unscaled integer (`1496384` for `1496.384`).
    pub fn unscaled(self) -> i128 {
        self.unscaled
    }

    /// Digits after the point (`3` for `1496.384`).
    pub fn scale(self) -> u8 {
        self.scale
    }

    /// Parses `[+-]digits[.digits]` (no exponent); the scale is the number of digits after
    /// the point, so `90.800` keeps scale 3.
    pub fn parse_bytes(text: &[u8]) -> Result<Self, DecimalError> {
        let (negative, start) = match text.first() {
            Some(b'-') => (true, 1),
            Some(b'+') => (false, 1),
            _ => (false, 0),
        };
        let mut acc: i128 = 0;
        let mut digits = 0u32;
        let mut scale = 0u32;
        let mut seen_point = false;
        for (offset, &byte) in text.iter().enumerate().skip(start) {
            match byte {
                b'0'..=b'9' => {
                    let d = i128::from(byte - b'0');
                    let shifted = acc.checked_mul(10).ok_or(DecimalError::Overflow)?;
                    acc = if negative {
                        shifted.checked_sub(d)
                    } else {
                        shifted.checked_add(d)
                    }
                    .ok_or(DecimalError::Overflow)?;
                    digits += 1;
                    scale += u32::from(seen_point);
                }
                b'.' if !seen_point => seen_point = true,
                _ => return Err(DecimalError::InvalidChar { byte, offset }),
            }
        }
        if digits == 0 {
            return Err(DecimalError::Empty);
        }
        let scale = u8::try_from(scale)
            .ok()
            .filter(|&s| s <= MAX_SCALE)
            .ok_or(DecimalError::ScaleTooLarge(scale))?;
        Ok(Self {
            unscaled: acc,
            scale,
        })
    }

    /// The same value at `scale`: exact when the scale grows, rounded half away from zero
    /// when it shrinks.
    pub fn rescale(self, scale: u8) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::ScaleTooLarge(u32::from(scale)));
        }
        let unscaled = match scale.cmp(&self.scale) {
            Ordering::Equal => self.unscaled,
            Ordering::Greater => {
                let factor = pow10(u32::from(scale - self.scale)).ok_or(DecimalError::Overflow)?;
                self.unscaled
                    .checked_mul(factor)
                    .ok_or(DecimalError::Overflow)?
            }
            Ordering::Less => {
                let factor = pow10(u32::from(self.scale - scale)).ok_or(DecimalError::Overflow)?;
                div_round(self.unscaled, factor).ok_or(DecimalError::Overflow)?
            }
        };
        Ok(Self { unscaled, scale })
    }

    /// Both operands' unscaled values at their common (larger) scale.
    fn aligned(self, other: Self) -> Result<(i128, i128, u8), DecimalError> {
        let scale = self.scale.max(other.scale);
        Ok((
            self.rescale(scale)?.unscaled,
            other.rescale(scale)?.unscaled,
            scale,
        ))
    }

    /// `self + other` at the larger of the two scales.
    pub fn checked_add(self, other: Self) -> Result<Self, DecimalError> {
        let (a, b, scale) = self.aligned(other)?;
        let unscaled = a.checked_add(b).ok_or(DecimalError::Overflow)?;
        Ok(Self { unscaled, scale })
    }

    /// `self - other` at the larger of the two scales.
    pub fn checked_sub(self, other: Self) -> Result<Self, DecimalError> {
        let (a, b, scale) = self.aligned(other)?;
        let unscaled = a.checked_sub(b).ok_or(DecimalError::Overflow)?;
        Ok(Self { unscaled, scale })
    }

    /// `self × other` at the sum of the scales (rounded to [`MAX_SCALE`] beyond it).
    pub fn checked_mul(self, other: Self) -> Result<Self, DecimalError> {
        let unscaled = self
            .unscaled
            .checked_mul(other.unscaled)
            .ok_or(DecimalError::Overflow)?;
        let scale = u32::from(self.scale) + u32::from(other.scale);
        if scale > u32::from(MAX_SCALE) {
            let factor = pow10(scale - u32::from(MAX_SCALE)).ok_or(DecimalError::Overflow)?;
            let unscaled = div_round(unscaled, factor).ok_or(DecimalError::Overflow)?;
            return Ok(Self {
                unscaled,
                scale: MAX_SCALE,
            });
        }
        Ok(Self {
            unscaled,
            scale: scale as u8,
        })
    }

    /// `self ÷ other` rounded half away from zero to `scale` digits after the point.
    pub fn checked_div(self, other: Self, scale: u8) -> Result<Self, DecimalError> {
        if other.unscaled == 0 {
            return Err(DecimalError::DivisionByZero);
        }
        if scale > MAX_SCALE {
            return Err(DecimalError::ScaleTooLarge(u32::from(scale)));
        }
        // unscaled = a × 10^(scale + sb − sa) ÷ b
        let exp = i32::from(scale) + i32::from(other.scale) - i32::from(self.scale);
        let (n, d) = if exp >= 0 {
            let factor = pow10(exp as u32).ok_or(DecimalError::Overflow)?;
            let n = self
                .unscaled
                .checked_mul(factor)
                .ok_or(DecimalError::Overflow)?;
            (n, other.unscaled)
        } else {
            let factor = pow10(exp.unsigned_abs()).ok_or(DecimalError::Overflow)?;
            let d = other
                .unscaled
                .checked_mul(factor)
                .ok_or(DecimalError::Overflow)?;
            (self.unscaled, d)
        };
        let unscaled = div_round(n, d).ok_or(DecimalError::Overflow)?;
        Ok(Self { unscaled, scale })
    }

    /// The remainder of truncating division, with the sign of `self`, at the larger scale.
    pub fn checked_rem(self, other: Self) -> Result<Self, DecimalError> {
        if other.unscaled == 0 {
            return Err(DecimalError::DivisionByZero);
        }
        let (a, b, scale) = self.aligned(other)?;
        // i128::MIN % -1 overflows in Rust although the remainder is 0.
        let unscaled = a.checked_rem(b).unwrap_or(0);
        Ok(Self { unscaled, scale })
    }

    /// `-self`.
    pub fn checked_neg(self) -> Result<Self, DecimalError> {
        let unscaled = self.unscaled.checked_neg().ok_or(DecimalError::Overflow)?;
        Ok(Self { unscaled, ..self })
    }

    /// `|self|`.
    pub fn checked_abs(self) -> Result<Self, DecimalError> {
        let unscaled = self.unscaled.checked_abs().ok_or(DecimalError::Overflow)?;
        Ok(Self { unscaled, ..self })
    }

    /// `-1`, `0` or `1`.
    pub fn signum(self) -> i32 {
        self.unscaled.signum() as i32
    }

    /// The same value with trailing zeros after the point removed (`90.800` → `90.8`).
    pub fn normalized(self) -> Self {
        let (mut unscaled, mut scale) = (self.unscaled, self.scale);
        while scale > 0 && unscaled % 10 == 0 {
            unscaled /= 10;
            scale -= 1;
        }
        Self { unscaled, scale }
    }

    /// The integer part (truncated toward zero) when it fits an `i64`.
    pub fn trunc_to_i64(self) -> Result<i64, DecimalError> {
        let int = match pow10(u32::from(self.scale)) {
            Some(factor) => self.unscaled / factor,
            None => 0,
        };
        i64::try_from(int).map_err(|_| DecimalError::Overflow)
    }

    /// The nearest `f64`.
    pub fn to_f64(self) -> f64 {
        const EXACT: i128 = 1 << 53;
        if (-EXACT..=EXACT).contains(&self.unscaled) && self.scale <= 22 {
            // Both operands are exact floats, so the one division rounds correctly.
            return self.unscaled as f64 / 10f64.powi(i32::from(self.scale));
        }
        // Printing then parsing rounds correctly for every value.
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The decimal nearest to a finite float (its shortest round-trip digits, at most
    /// [`MAX_SCALE`] after the point).
    pub fn from_f64(v: f64) -> Result<Self, DecimalError> {
        if !v.is_finite() {
            return Err(DecimalError::NotFinite);
        }
        match Self::parse_bytes(format!("{v}").as_bytes()) {
            Err(DecimalError::ScaleTooLarge(_)) => {
                Ok(Self::parse_bytes(format!("{v:.38}").as_bytes())?.normalized())
            }
            other => other,
        }
    }

    /// Writes the plain decimal notation (`-0.050`) into `out` without allocating.
    pub fn write_to(self, out: &mut Vec<u8>) {
        let mut digits = [0u8; 40];
        let mut mag = self.unscaled.unsigned_abs();
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (mag % 10) as u8;
            mag /= 10;
            if mag == 0 {
                break;
            }
        }
        let digits = &digits[start..];
        if self.unscaled < 0 {
            out.push(b'-');
        }
        let scale = usize::from(self.scale);
        if scale == 0 {
            out.extend_from_slice(digits);
        } else if digits.len() <= scale {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
            out.extend_from_slice(digits);
        } else {
            let (int, frac) = digits.split_at(digits.len() - scale);
            out.extend_from_slice(int);
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    }
}

mod impls;

#[cfg(test)]
mod tests;
