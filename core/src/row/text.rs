//! Values from their text form: the parsing shared by the CSV codec and `cast`.
//!
//! Accepted forms: `long` is `[+-]digits`; `double` is anything Rust's `f64` parser takes
//! (`1.5`, `-2e10`, `NaN`, `inf`); `decimal` is `[+-]digits[.digits]`; `bool` is
//! `true`/`false`/`1`/`0` (case-insensitive); `timestamp` is epoch milliseconds or
//! `YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]` read as UTC; `string` is any UTF-8.

use std::fmt;

use super::{Decimal, DecimalError, FieldType, Value};

/// What is wrong with the text of one value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Not a signed 64-bit decimal integer.
    #[error("not an integer: {0}")]
    NotAnInteger(IntError),
    /// Not a floating-point number.
    #[error("not a number")]
    NotADouble,
    /// Not a plain decimal number.
    #[error("not a decimal: {0}")]
    NotADecimal(DecimalError),
    /// Not `true`, `false`, `1` or `0`.
    #[error("not a boolean (expected true, false, 1 or 0)")]
    NotABool,
    /// Neither epoch milliseconds nor `YYYY-MM-DD HH:MM:SS[.fff]`.
    #[error("not a timestamp (expected epoch milliseconds or YYYY-MM-DD HH:MM:SS[.fff])")]
    NotATimestamp,
    /// Text of a string column that is not UTF-8.
    #[error("not valid UTF-8")]
    InvalidUtf8,
}

/// Why an integer was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntError {
    /// No digits.
    Empty,
    /// A byte other than a digit after the optional sign.
    InvalidDigit,
    /// Outside the `i64` range.
    Overflow,
}

impl fmt::Display for IntError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IntError::Empty => "no digits",
            IntError::InvalidDigit => "invalid digit",
            IntError::Overflow => "out of the 64-bit range",
        })
    }
}

/// Parses `[+-]digits` into an `i64` without allocating.
pub fn parse_long(text: &[u8]) -> Result<i64, IntError> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return Err(IntError::Empty);
    }
    let mut acc: i64 = 0;
    for &byte in digits {
        let d = byte.wrapping_sub(b'0');
        if d > 9 {
            return Err(IntError::InvalidDigit);
        }
        // Accumulate negatively so that i64::MIN parses.
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_sub(i64::from(d)))
            .ok_or(IntError::Overflow)?;
    }
    if negative {
        Ok(acc)
    } else {
        acc.checked_neg().ok_or(IntError::Overflow)
    }
}

/// Parses `true`/`false`/`1`/`0`, case-insensitively.
pub fn parse_bool(text: &[u8]) -> Option<bool> {
    if text.eq_ignore_ascii_case(b"true") || text == b"1" {
        Some(true)
    } else if text.eq_ignore_ascii_case(b"false") || text == b"0" {
        Some(false)
    } else {
        None
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A fixed-width run of digits as a number.
fn digits(text: &[u8]) -> Option<i64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    parse_long(text).ok()
}

/// Parses `YYYY-MM-DD[ T]HH:MM:SS[.f…][Z]` as UTC epoch milliseconds.
fn parse_datetime(text: &[u8]) -> Option<i64> {
    let text = text.strip_suffix(b"Z").unwrap_or(text);
    if text.len() < 19 || text[4] != b'-' || text[7] != b'-' || text[13] != b':' {
        return None;
    }
    if !matches!(text[10], b' ' | b'T') || text[16] != b':' {
        return None;
    }
    let (year, month, day) = (
        digits(&text[0..4])?,
        digits(&text[5..7])?,
        digits(&text[8..10])?,
    );
    let (hour, minute, second) = (
        digits(&text[11..13])?,
        digits(&text[14..16])?,
        digits(&text[17..19])?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let millis = match &text[19..] {
        [] => 0,
        [b'.', frac @ ..] if !frac.is_empty() && frac.len() <= 9 => {
            let padded = frac.iter().chain(std::iter::repeat(&b'0')).take(3);
            let mut ms = 0;
            for &b in padded {
                ms = ms * 10 + i64::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
            }
            digits(frac)?; // every fraction digit, not only the first three, is a digit
            ms
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Parses epoch milliseconds or a UTC date-time.
pub fn parse_timestamp(text: &[u8]) -> Option<i64> {
    parse_long(text).ok().or_else(|| parse_datetime(text))
}

/// The value of type `ty` written as `text` (never `Null`: empty text is the caller's
/// decision).
pub fn parse_value(ty: FieldType, text: &[u8]) -> Result<Value, TextError> {
    Ok(match ty {
        FieldType::Long => Value::Long(parse_long(text).map_err(TextError::NotAnInteger)?),
        FieldType::Double => Value::Double(
            std::str::from_utf8(text)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(TextError::NotADouble)?,
        ),
        FieldType::Decimal => {
            Value::Decimal(Decimal::parse_bytes(text).map_err(TextError::NotADecimal)?)
        }
        FieldType::String => Value::Str(
            std::str::from_utf8(text)
                .map_err(|_| TextError::InvalidUtf8)?
                .to_owned(),
        ),
        FieldType::Bool => Value::Bool(parse_bool(text).ok_or(TextError::NotABool)?),
        FieldType::Timestamp => {
            Value::Timestamp(parse_timestamp(text).ok_or(TextError::NotATimestamp)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn integers_parse_strictly() {
        assert_eq!(parse_long(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_long(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_long(b"+12"), Ok(12));
        assert_eq!(parse_long(b"9223372036854775808"), Err(IntError::Overflow));
        assert_eq!(parse_long(b""), Err(IntError::Empty));
        assert_eq!(parse_long(b"-"), Err(IntError::Empty));
        assert_eq!(parse_long(b"1 "), Err(IntError::InvalidDigit));
        assert_eq!(parse_long(b"1.0"), Err(IntError::InvalidDigit));
    }

    #[test]
    fn timestamps_accept_millis_and_utc_date_times() {
        assert_eq!(parse_timestamp(b"1436918400004"), Some(1_436_918_400_004));
        assert_eq!(
            parse_timestamp(b"2015-07-15 00:00:00.004"),
            Some(1_436_918_400_004)
        );
        assert_eq!(
            parse_timestamp(b"2015-07-15T00:00:00Z"),
            Some(1_436_918_400_000)
        );
        assert_eq!(parse_timestamp(b"1969-12-31 23:59:59.9"), Some(-100));
        assert_eq!(
            parse_timestamp(b"2024-02-29 12:30:45.123456"),
            Some(1_709_209_845_123)
        );
        assert_eq!(parse_timestamp(b"2015-13-01 00:00:00"), None);
        assert_eq!(parse_timestamp(b"2015-07-15"), None);
        assert_eq!(parse_timestamp(b"2015-07-15 00:00:00.x"), None);
    }

    #[test]
    fn values_parse_by_type() {
        assert_eq!(parse_value(FieldType::Bool, b"TRUE"), Ok(Value::Bool(true)));
        assert_eq!(parse_value(FieldType::Bool, b"0"), Ok(Value::Bool(false)));
        assert_eq!(
            parse_value(FieldType::Bool, b"yes"),
            Err(TextError::NotABool)
        );
        assert_eq!(
            parse_value(FieldType::Double, b"1e3"),
            Ok(Value::Double(1000.0))
        );
        assert_eq!(
            parse_value(FieldType::Double, b"x"),
            Err(TextError::NotADouble)
        );
        assert_eq!(
            parse_value(FieldType::String, b"\xff"),
            Err(TextError::InvalidUtf8)
        );
        assert_eq!(
            parse_value(FieldType::Decimal, b"0.908"),
            Ok(Value::Decimal("0.908".parse().unwrap()))
        );
    }

    proptest! {
        #[test]
        fn longs_round_trip(v in any::<i64>()) {
            prop_assert_eq!(parse_long(v.to_string().as_bytes()), Ok(v));
        }

        #[test]
        fn date_times_agree_with_day_arithmetic(days in -100_000i64..100_000, ms in 0i64..86_400_000) {
            // Render the date with the inverse algorithm (civil_from_days) and parse it back.
            let z = days + 719_468;
            let era = z.div_euclid(146_097);
            let doe = z - era * 146_097;
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            let mp = (5 * doy + 2) / 153;
            let d = doy - (153 * mp + 2) / 5 + 1;
            let m = if mp < 10 { mp + 3 } else { mp - 9 };
            let y = yoe + era * 400 + i64::from(m <= 2);
            prop_assume!((0..=9999).contains(&y));
            let text = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
                ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
            prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(days * 86_400_000 + ms));
        }
    }
}
