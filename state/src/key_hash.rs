//! Java-compatible `hashCode()` values for key types.
//!
//! Flink assigns a key to a key group from the key's Java `hashCode()`. [`KeyHash`] gives
//! the value Java computes for the boxed equivalent of each Rust type, so the same key values
//! land in the same key group (and operator index) in Weir as in Flink.
//!
//! Mapping of Rust types to the Java type whose `hashCode()` is reproduced:
//!
//! | Rust | Java | hash |
//! |---|---|---|
//! | `i32` | `Integer` | the value |
//! | `i64` | `Long` | `(int) (v ^ (v >>> 32))` |
//! | `u64` | `Long` with the same 64 bits | as `i64` |
//! | `i8`, `i16` | `Byte`, `Short` | the sign-extended value |
//! | `u8`, `u16` | `Integer` (`u16` also `Character`) of the same numeric value | the value |
//! | `u32` | `Long` of the same value, which equals `Integer` with the same 32 bits | `v as i32` |
//! | `bool` | `Boolean` | 1231 / 1237 |
//! | `char` | `Character` (BMP); `Integer` of the code point otherwise | the code point |
//! | `str`, `String` | `String` | `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units |
//! | `f64` | `Double` | `doubleToLongBits` (canonical NaN), folded like `Long` |
//! | `f32` | `Float` | `floatToIntBits` (canonical NaN) |
//! | `[u8]`, `[u8; N]`, `Vec<u8>` | `byte[]` via `Arrays.hashCode` | `31 * h + (signed byte)`, starting at 1 |
//! | `Option<T>` | nullable `T` | `None` is 0 (as Flink's tuples hash `null`) |
//! | `(A,)` … `(A, B, C, D, E)` | Flink `Tuple1` … `Tuple5` | `h = f0; h = 31 * h + fi` |
//!
//! A scalar `u8` hashes its numeric value (0..=255); a Java `byte` key with a negative value
//! corresponds to Rust `i8`. Byte *arrays* always hash as Java's signed `byte[]`, the only
//! Java byte-array type.

/// A key whose hash equals Java's `hashCode()` of the corresponding Java value.
pub trait KeyHash {
    /// The Java `hashCode()` of this key, as Flink would compute it.
    fn key_hash(&self) -> i32;
}

/// Java's `Long.hashCode`: the two 32-bit halves XORed together.
fn fold_long(v: i64) -> i32 {
    let bits = v as u64;
    (bits ^ (bits >> 32)) as i32
}

impl KeyHash for i32 {
    fn key_hash(&self) -> i32 {
        *self
    }
}

impl KeyHash for i64 {
    fn key_hash(&self) -> i32 {
        fold_long(*self)
    }
}

impl KeyHash for u64 {
    fn key_hash(&self) -> i32 {
        fold_long(*self as i64)
    }
}

impl KeyHash for u32 {
    fn key_hash(&self) -> i32 {
        *self as i32
    }
}

macro_rules! widening_key_hash {
    ($($t:ty),*) => {$(
        impl KeyHash for $t {
            fn key_hash(&self) -> i32 {
                i32::from(*self)
            }
        }
    )*};
}

widening_key_hash!(i8, i16, u8, u16);

impl KeyHash for bool {
    fn key_hash(&self) -> i32 {
        if *self {
            1231
        } else {
            1237
        }
    }
}

impl KeyHash for char {
    fn key_hash(&self) -> i32 {
        // Code points are at most 0x10FFFF, so this is lossless.
        u32::from(*self) as i32
    }
}

impl KeyHash for str {
    fn key_hash(&self) -> i32 {
        self.encode_utf16().fold(0i32, |h, unit| {
            h.wrapping_mul(31).wrapping_add(i32::from(unit))
        })
    }
}

impl KeyHash for String {
    fn key_hash(&self) -> i32 {
        self.as_str().key_hash()
    }
}

impl KeyHash for f64 {
    fn key_hash(&self) -> i32 {
        const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;
        let bits = if self.is_nan() {
            CANONICAL_NAN
        } else {
            self.to_bits()
        };
        fold_long(bits as i64)
    }
}

impl KeyHash for f32 {
    fn key_hash(&self) -> i32 {
        const CANONICAL_NAN: u32 = 0x7fc0_0000;
        let bits = if self.is_nan() {
            CANONICAL_NAN
        } else {
            self.to_bits()
        };
        bits as i32
    }
}

impl KeyHash for [u8] {
    fn key_hash(&self) -> i32 {
        self.iter().fold(1i32, |h, &b| {
            h.wrapping_mul(31).wrapping_add(i32::from(b as i8))
        })
    }
}

impl<const N: usize> KeyHash for [u8; N] {
    fn key_hash(&self) -> i32 {
        self.as_slice().key_hash()
    }
}

impl KeyHash for Vec<u8> {
    fn key_hash(&self) -> i32 {
        self.as_slice().key_hash()
    }
}

impl<T: KeyHash> KeyHash for Option<T> {
    fn key_hash(&self) -> i32 {
        self.as_ref().map_or(0, KeyHash::key_hash)
    }
}

impl<T: KeyHash + ?Sized> KeyHash for &T {
    fn key_hash(&self) -> i32 {
        (**self).key_hash()
    }
}

impl<T: KeyHash + ?Sized> KeyHash for Box<T> {
    fn key_hash(&self) -> i32 {
        (**self).key_hash()
    }
}

macro_rules! tuple_key_hash {
    ($first:ident $(, $rest:ident)*) => {
        impl<$first: KeyHash $(, $rest: KeyHash)*> KeyHash for ($first, $($rest,)*) {
            #[allow(non_snake_case)]
            fn key_hash(&self) -> i32 {
                let ($first, $($rest,)*) = self;
                #[allow(unused_mut)]
                let mut result = $first.key_hash();
                $( result = result.wrapping_mul(31).wrapping_add($rest.key_hash()); )*
                result
            }
        }
    };
}

tuple_key_hash!(A);
tuple_key_hash!(A, B);
tuple_key_hash!(A, B, C);
tuple_key_hash!(A, B, C, D);
tuple_key_hash!(A, B, C, D, E);

#[cfg(test)]
mod tests {
    use super::KeyHash;

    // Every expected value below was printed by a JDK (`String.hashCode`, `Long.hashCode`,
    // `Double.hashCode`, `Arrays.hashCode(byte[])`, ...) for the corresponding Java value.

    #[test]
    fn integers_match_java() {
        assert_eq!(42i32.key_hash(), 42);
        assert_eq!((-7i32).key_hash(), -7);
        assert_eq!(0i64.key_hash(), 0);
        assert_eq!((-1i64).key_hash(), 0);
        assert_eq!((1i64 << 32).key_hash(), 1);
        assert_eq!(i64::MIN.key_hash(), i32::MIN);
        assert_eq!(1_234_567_890_123i64.key_hash(), 1_912_276_436);
        assert_eq!(u64::MAX.key_hash(), (-1i64).key_hash());
        assert_eq!((-1i8).key_hash(), -1);
        assert_eq!((-2i16).key_hash(), -2);
        assert_eq!(255u8.key_hash(), 255);
        assert_eq!(0xffffu16.key_hash(), 0xffff);
        // Long.hashCode(4294967295L) == Integer.hashCode(-1) == -1.
        assert_eq!(u32::MAX.key_hash(), -1);
        assert_eq!(u32::MAX.key_hash(), i64::from(u32::MAX).key_hash());
    }

    #[test]
    fn bool_and_char_match_java() {
        assert_eq!(true.key_hash(), 1231);
        assert_eq!(false.key_hash(), 1237);
        assert_eq!('a'.key_hash(), 97);
        assert_eq!('😀'.key_hash(), 0x1F600);
    }

    #[test]
    fn strings_match_java() {
        assert_eq!("hello".key_hash(), 99_162_322);
        assert_eq!(String::from("hello").key_hash(), 99_162_322);
        assert_eq!("".key_hash(), 0);
        assert_eq!("Aa".key_hash(), 2112);
        assert_eq!("BB".key_hash(), 2112);
        assert_eq!("weir".key_hash(), 3_645_559);
        assert_eq!("été".key_hash(), 227_742);
        // A surrogate pair hashes as two UTF-16 code units.
        assert_eq!("😀".key_hash(), 1_772_899);
        assert_eq!(
            "the quick brown fox jumps over the lazy dog".key_hash(),
            -2_082_818_701
        );
    }

    #[test]
    fn floats_match_java() {
        assert_eq!(1.5f64.key_hash(), 1_073_217_536);
        assert_eq!(0.0f64.key_hash(), 0);
        assert_eq!((-0.0f64).key_hash(), i32::MIN);
        assert_eq!(f64::NAN.key_hash(), 2_146_959_360);
        assert_eq!(
            f64::from_bits(0x7ff0_0000_0000_0001).key_hash(),
            2_146_959_360
        );
        assert_eq!(f64::INFINITY.key_hash(), 2_146_435_072);
        assert_eq!(std::f64::consts::PI.key_hash(), 340_593_891);
        assert_eq!(1.5f32.key_hash(), 1_069_547_520);
        assert_eq!(f32::NAN.key_hash(), 2_143_289_344);
        assert_eq!(f32::from_bits(0x7f80_0001).key_hash(), 2_143_289_344);
        assert_eq!((-0.0f32).key_hash(), i32::MIN);
    }

    #[test]
    fn byte_arrays_match_java() {
        assert_eq!(Vec::<u8>::new().key_hash(), 1);
        assert_eq!([1u8, 0xff, 0x7f, 0x80].key_hash(), 956_160);
        assert_eq!(b"hello".as_slice().key_hash(), 127_791_473);
        assert_eq!(b"hello".to_vec().key_hash(), 127_791_473);
    }

    #[test]
    fn options_and_tuples_match_flink() {
        assert_eq!(None::<i32>.key_hash(), 0);
        assert_eq!(Some(42).key_hash(), 42);
        assert_eq!(("x",).key_hash(), "x".key_hash());
        // Tuple2.of("hello", 42).hashCode()
        assert_eq!(("hello", 42i32).key_hash(), -1_220_935_272);
        // Tuple3.of(7L, true, null).hashCode()
        assert_eq!((7i64, true, None::<String>).key_hash(), 44_888);
        assert_eq!(
            (1i32, 2i32, 3i32, 4i32).key_hash(),
            31 * (31 * (31 + 2) + 3) + 4
        );
        assert_eq!(Box::new(5i32).key_hash(), 5);
    }
}
