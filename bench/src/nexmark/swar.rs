//! Reading CSV fields a machine word at a time (SWAR: SIMD within a register): integers,
//! and skipping text fields while checking them, for the fast paths of the Nexmark
//! line parsers. Each function agrees with a byte-by-byte reading (property tests below).

/// An optional `-` and 1 to 18 digits, then a comma (which it consumes).
#[inline(always)]
pub(super) fn fast_int(line: &[u8], pos: &mut usize) -> Option<i64> {
    let mut i = *pos;
    let negative = line.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    // Eight bytes at a time while eight are left (SWAR), then byte by byte.
    while let Some(chunk) = line.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let (value, n) = swar_digits(u64::from_le_bytes(word));
        v = v.wrapping_mul(POW10[n]).wrapping_add(value);
        i += n;
        if n < 8 {
            break;
        }
    }
    while let Some(&b) = line.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    // At most 18 digits: no wrap happened, and the value fits an i64.
    if i == start || i - start > 18 || line.get(i) != Some(&b',') {
        return None;
    }
    *pos = i + 1;
    let v = v as i64;
    Some(if negative { -v } else { v })
}

/// Powers of ten up to 10^8.
const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The leading ASCII digits of eight bytes (the first byte lowest, as loaded little-endian):
/// their value and how many there are (0 to 8).
#[inline(always)]
fn swar_digits(word: u64) -> (u64, usize) {
    // Digit bytes become 0..=9; every other byte has its high bit set in `non`. A carry
    // out of a non-digit byte only reaches later bytes, after the first non-digit.
    let x = word ^ 0x3030_3030_3030_3030;
    let non = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
    let n = (non.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // Keep the n digits, moved to the top: the bytes below read as leading zeros.
    let x = x << (64 - 8 * n as u32);
    let x = (x & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
    let x = (x & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
    let x = (x & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32;
    (x, n)
}

/// ASCII text up to the next comma (which it consumes); `None` at a line end.
#[inline(always)]
pub(super) fn fast_text<'a>(line: &'a [u8], pos: &mut usize) -> Option<&'a str> {
    // Stop at a line end too: `parse_at` hands over the rest of the file, not one line.
    let start = *pos;
    skip_ascii_fields(line, pos, 1)?;
    Some(ascii_str(&line[start..*pos - 1]))
}

/// `bytes` as text; the caller checked that every byte is ASCII.
#[inline(always)]
pub(super) fn ascii_str(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: every caller checks that the bytes are ASCII first (`is_ascii`, or
    // `skip_ascii_fields`), and ASCII is valid UTF-8.
    // Measured: `str::from_utf8` here (not inlined) cost a sixth of reading a bid.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// Skips `fields` comma-terminated fields of ASCII text from `*pos`, consuming their
/// commas: `None` (and `*pos` unchanged) if a line end or a non-ASCII byte comes first,
/// or the data ends.
#[inline(always)]
pub(super) fn skip_ascii_fields(line: &[u8], pos: &mut usize, fields: usize) -> Option<()> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The lowest set bit of `zero_bytes(x ^ c)` marks exactly the first byte equal to
    // `c`; bits above it may be false, so only the lowest one is used.
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut i = *pos;
    for _ in 0..fields {
        loop {
            if let Some(chunk) = line.get(i..i + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                let x = u64::from_le_bytes(word);
                let stop = zero_bytes(x ^ (ONES * u64::from(b',')))
                    | zero_bytes(x ^ (ONES * u64::from(b'\n')))
                    | (x & HIGH);
                if stop == 0 {
                    i += 8;
                    continue;
                }
                // The first stop byte is exact (see above): a comma, or the end of the road.
                i += (stop.trailing_zeros() / 8) as usize;
            } else {
                // Fewer than eight bytes left: byte by byte.
                while line
                    .get(i)
                    .is_some_and(|&b| b != b',' && b != b'\n' && b.is_ascii())
                {
                    i += 1;
                }
            }
            if line.get(i) != Some(&b',') {
                return None;
            }
            i += 1;
            break;
        }
    }
    *pos = i;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(text: &[u8]) -> Option<(i64, usize)> {
        let end = text.iter().position(|&b| b == b',')?;
        let digits = std::str::from_utf8(&text[..end]).ok()?;
        let body = digits.strip_prefix('-').unwrap_or(digits);
        if body.is_empty() || body.len() > 18 || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((digits.parse().ok()?, end + 1))
    }

    fn naive_skip(line: &[u8], from: usize, fields: usize) -> Option<usize> {
        let mut i = from;
        for _ in 0..fields {
            loop {
                match line.get(i) {
                    Some(b',') => {
                        i += 1;
                        break;
                    }
                    Some(b) if *b != b'\n' && b.is_ascii() => i += 1,
                    _ => return None,
                }
            }
        }
        Some(i)
    }

    #[test]
    fn skip_ascii_fields_stops_at_the_right_comma() {
        let line = b"apple,https://www.nexmark.com/abcde/item.htm?query=1,1,tail";
        let mut pos = 0;
        assert_eq!(skip_ascii_fields(line, &mut pos, 2), Some(()));
        assert_eq!(&line[pos..], b"1,tail");
        let mut pos = 0;
        assert_eq!(skip_ascii_fields(b"ab\ncd,", &mut pos, 1), None);
        assert_eq!(pos, 0, "unchanged on failure");
        assert_eq!(
            skip_ascii_fields("caf\u{e9},x".as_bytes(), &mut pos, 1),
            None
        );
        assert_eq!(skip_ascii_fields(b"no comma", &mut pos, 1), None);
        // A `-` right after a comma is where the word trick gives false positives.
        let mut pos = 0;
        assert_eq!(skip_ascii_fields(b"a,-,-,--------,", &mut pos, 3), Some(()));
        assert_eq!(pos, 6);
    }

    #[test]
    fn swar_reads_leading_digits() {
        assert_eq!(
            swar_digits(u64::from_le_bytes(*b"12345678")),
            (12_345_678, 8)
        );
        assert_eq!(swar_digits(u64::from_le_bytes(*b"1436,xyz")), (1436, 4));
        assert_eq!(swar_digits(u64::from_le_bytes(*b",1234567")), (0, 0));
        assert_eq!(swar_digits(u64::from_le_bytes(*b"09/:\xff\x00ab")), (9, 2));
    }

    proptest! {
        #[test]
        fn skip_ascii_fields_agrees_on_any_bytes(
            bytes in proptest::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b'-'), Just(0x80u8), any::<u8>()], 0..40),
            from in 0usize..8,
            fields in 1usize..4,
        ) {
            let from = from.min(bytes.len());
            let mut pos = from;
            let got = skip_ascii_fields(&bytes, &mut pos, fields).map(|()| pos);
            prop_assert_eq!(got, naive_skip(&bytes, from, fields));
            if got.is_none() {
                prop_assert_eq!(pos, from);
            }
        }

        #[test]
        fn fast_int_agrees_with_a_naive_parser(text in "-?[0-9]{0,20}[,a/:]?[0-9,]{0,10}") {
            let mut pos = 0;
            let got = fast_int(text.as_bytes(), &mut pos).map(|v| (v, pos));
            prop_assert_eq!(got, naive(text.as_bytes()));
        }

        #[test]
        fn fast_int_agrees_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..30)) {
            let mut pos = 0;
            let got = fast_int(&bytes, &mut pos).map(|v| (v, pos));
            prop_assert_eq!(got, naive(&bytes));
        }
    }
}
