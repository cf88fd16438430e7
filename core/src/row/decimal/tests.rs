use proptest::prelude::*;
use weir_state::KeyHash;

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn parse_keeps_the_scale_and_display_is_plain() {
    for text in ["0.908", "-12", "90.800", "0", "-0.05", "1496.384", "0.000"] {
        assert_eq!(d(text).to_string(), text);
    }
    assert_eq!(d("+1.5").to_string(), "1.5");
    assert_eq!(d(".5").to_string(), "0.5");
    assert_eq!(d("7.").to_string(), "7");
    assert_eq!(d("-0.05").unscaled(), -5);
    assert_eq!(d("-0.05").scale(), 2);
}

#[test]
fn bad_text_is_an_error() {
    assert_eq!("".parse::<Decimal>(), Err(DecimalError::Empty));
    assert_eq!("-".parse::<Decimal>(), Err(DecimalError::Empty));
    assert_eq!(
        "1.2.3".parse::<Decimal>(),
        Err(DecimalError::InvalidChar {
            byte: b'.',
            offset: 3
        })
    );
    assert!(matches!(
        "1e3".parse::<Decimal>(),
        Err(DecimalError::InvalidChar { byte: b'e', .. })
    ));
    assert_eq!(
        "1".repeat(40).parse::<Decimal>(),
        Err(DecimalError::Overflow)
    );
    let tiny = format!("0.{}1", "0".repeat(38));
    assert_eq!(
        tiny.parse::<Decimal>(),
        Err(DecimalError::ScaleTooLarge(39))
    );
}

#[test]
fn extreme_values_parse_and_print() {
    let min = format!("-{}", i128::MIN.unsigned_abs());
    assert_eq!(d(&min).unscaled(), i128::MIN);
    assert_eq!(d(&min).to_string(), min);
    let max = i128::MAX.to_string();
    assert_eq!(d(&max).unscaled(), i128::MAX);
}

#[test]
fn multiplication_adds_scales_like_sql() {
    assert_eq!(
        d("0.908").checked_mul(d("1648")).unwrap().to_string(),
        "1496.384"
    );
    assert_eq!(
        d("0.908").checked_mul(d("100")).unwrap().to_string(),
        "90.800"
    );
    assert_eq!(
        d("-1.5").checked_mul(d("0.02")).unwrap().to_string(),
        "-0.030"
    );
}

#[test]
fn addition_takes_the_larger_scale() {
    assert_eq!(d("1.5").checked_add(d("2.25")).unwrap().to_string(), "3.75");
    assert_eq!(d("1").checked_sub(d("0.001")).unwrap().to_string(), "0.999");
    assert_eq!(d("1.50").checked_add(d("1")).unwrap().to_string(), "2.50");
}

#[test]
fn division_rounds_half_away_from_zero_at_the_requested_scale() {
    assert_eq!(
        d("1").checked_div(d("3"), 6).unwrap().to_string(),
        "0.333333"
    );
    assert_eq!(d("2").checked_div(d("3"), 2).unwrap().to_string(), "0.67");
    assert_eq!(d("-2").checked_div(d("3"), 2).unwrap().to_string(), "-0.67");
    assert_eq!(d("1.25").checked_div(d("0.5"), 0).unwrap().to_string(), "3");
    assert_eq!(
        d("10").checked_div(d("0.001"), 1).unwrap().to_string(),
        "10000.0"
    );
    assert_eq!(
        d("123.456").checked_div(d("1"), 1).unwrap().to_string(),
        "123.5"
    );
    assert_eq!(
        d("1").checked_div(d("0.00"), 2),
        Err(DecimalError::DivisionByZero)
    );
    assert_eq!(d("7.5").checked_rem(d("2")).unwrap().to_string(), "1.5");
    assert_eq!(d("-7.5").checked_rem(d("2")).unwrap().to_string(), "-1.5");
    assert_eq!(
        d("1").checked_rem(d("0")),
        Err(DecimalError::DivisionByZero)
    );
}

#[test]
fn overflow_is_an_error_not_a_panic() {
    let big = Decimal::new(i128::MAX, 0).unwrap();
    assert_eq!(big.checked_add(d("1")), Err(DecimalError::Overflow));
    assert_eq!(big.checked_mul(d("2")), Err(DecimalError::Overflow));
    assert_eq!(big.checked_add(d("0.1")), Err(DecimalError::Overflow));
    assert_eq!(
        Decimal::new(i128::MIN, 0).unwrap().checked_neg(),
        Err(DecimalError::Overflow)
    );
    assert_eq!(big.checked_div(d("0.1"), 0), Err(DecimalError::Overflow));
    assert_eq!(Decimal::new(1, 39), Err(DecimalError::ScaleTooLarge(39)));
}

#[test]
fn scale_beyond_the_maximum_is_rounded_in_multiplication() {
    let a = Decimal::new(150, 20).unwrap();
    let b = Decimal::new(1, 20).unwrap();
    let p = a.checked_mul(b).unwrap();
    assert_eq!(p.scale(), MAX_SCALE);
    assert_eq!(p.unscaled(), 2); // 150e-40 = 1.5e-38 rounds to 2e-38
}

#[test]
fn comparison_and_equality_are_numeric() {
    assert_eq!(d("1.0"), d("1.00"));
    assert!(d("1.01") > d("1.005"));
    assert!(d("-1.01") < d("-1.005"));
    assert!(d("-1") < d("0.5"));
    let huge = Decimal::new(i128::MAX, 0).unwrap();
    let tiny = Decimal::new(1, 38).unwrap();
    assert_eq!(huge.cmp(&tiny), Ordering::Greater);
    assert_eq!(tiny.cmp(&huge), Ordering::Less);
    let neg_huge = Decimal::new(i128::MIN, 0).unwrap();
    assert!(neg_huge < Decimal::new(-1, 38).unwrap());
}

#[test]
fn conversions_to_and_from_floats_and_integers() {
    assert_eq!(d("0.1").to_f64(), 0.1);
    assert_eq!(d("-1496.384").to_f64(), -1496.384);
    assert_eq!(
        d("123456789012345678901234567.5").to_f64(),
        1.2345678901234568e26
    );
    assert_eq!(Decimal::from_f64(0.1).unwrap().to_string(), "0.1");
    assert_eq!(Decimal::from_f64(-2.5e3).unwrap().to_string(), "-2500");
    assert_eq!(Decimal::from_f64(f64::NAN), Err(DecimalError::NotFinite));
    assert_eq!(Decimal::from_f64(1e300), Err(DecimalError::Overflow));
    assert_eq!(d("-12.99").trunc_to_i64(), Ok(-12));
    assert_eq!(
        d("99999999999999999999").trunc_to_i64(),
        Err(DecimalError::Overflow)
    );
    assert_eq!(d("90.800").normalized().to_string(), "90.8");
    assert_eq!(d("0.00").normalized().to_string(), "0");
}

#[test]
fn key_hash_matches_java_big_decimal() {
    // new BigDecimal("1.5").hashCode() == 466, new BigDecimal("-1.5").hashCode() == -464
    assert_eq!(d("1.5").key_hash(), 466);
    assert_eq!(d("-1.5").key_hash(), -464);
    assert_eq!(d("1.50").key_hash(), 466);
    assert_eq!(d("0").key_hash(), 0);
    // new BigDecimal("12345678901").hashCode(): mag words [2, 3755744309]
    assert_eq!(
        d("12345678901").key_hash(),
        (2i32 * 31)
            .wrapping_add(3_755_744_309u32 as i32)
            .wrapping_mul(31)
    );
}

/// Java's compact `BigDecimal.hashCode` for values that fit a `long`, written separately.
fn java_compact_hash(unscaled: i64, scale: i32) -> i32 {
    let val2 = unscaled.unsigned_abs();
    let temp = (((val2 >> 32) as i32).wrapping_mul(31) as i64 + (val2 & 0xffff_ffff) as i64) as i32;
    let signed = if unscaled < 0 {
        temp.wrapping_neg()
    } else {
        temp
    };
    signed.wrapping_mul(31).wrapping_add(scale)
}

proptest! {
    #[test]
    fn text_round_trips(unscaled in any::<i128>(), scale in 0u8..=MAX_SCALE) {
        let v = Decimal::new(unscaled, scale).unwrap();
        let back: Decimal = v.to_string().parse().unwrap();
        prop_assert_eq!(back.unscaled(), unscaled);
        prop_assert_eq!(back.scale(), scale);
    }

    #[test]
    fn arithmetic_matches_i128_on_small_values(a in -1_000_000_000i64..1_000_000_000, sa in 0u8..6,
                                               b in -1_000_000_000i64..1_000_000_000, sb in 0u8..6) {
        let x = Decimal::new(i128::from(a), sa).unwrap();
        let y = Decimal::new(i128::from(b), sb).unwrap();
        let s = x.checked_add(y).unwrap();
        prop_assert_eq!(s.checked_sub(y).unwrap(), x);
        let p = x.checked_mul(y).unwrap();
        prop_assert_eq!(p.scale(), sa + sb);
        prop_assert_eq!(p.unscaled(), i128::from(a) * i128::from(b));
        let common = sa.max(sb);
        let xa = i128::from(a) * 10i128.pow(u32::from(common - sa));
        let yb = i128::from(b) * 10i128.pow(u32::from(common - sb));
        prop_assert_eq!(x.cmp(&y), xa.cmp(&yb));
        if b != 0 {
            let q = p.checked_div(y, sa).unwrap();
            prop_assert_eq!(q, x);
        }
    }

    #[test]
    fn equal_values_hash_alike(a in any::<i64>(), extra in 0u8..10) {
        let x = Decimal::new(i128::from(a), 0).unwrap();
        let y = x.rescale(extra).unwrap();
        prop_assert_eq!(x, y);
        prop_assert_eq!(x.key_hash(), y.key_hash());
        prop_assert_eq!(x.normalized().key_hash(), java_compact_hash(
            i64::try_from(x.normalized().unscaled()).unwrap(), i32::from(x.normalized().scale())));
    }
}
