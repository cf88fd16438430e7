//! Option values that are one of a few names (Flink's enum options), and the other value
//! types of the fault-tolerance options: text and floating-point numbers.

use std::fmt;

use super::value::{ConfigValue, RawValue};

/// An enum option value: its names (the first is canonical; the others are Flink's
/// accepted spellings), matched case-insensitively with `_` and `-` alike.
pub trait Choice: Copy + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// Every value with its names.
    const NAMES: &'static [(Self, &'static [&'static str])];
}

/// `name` without case and with `_` as `-`.
fn normalized(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('_', "-")
}

/// The value of a [`Choice`] named `text`.
pub fn parse_choice<C: Choice>(text: &str) -> Option<C> {
    let wanted = normalized(text);
    C::NAMES
        .iter()
        .find(|(_, names)| names.iter().any(|n| normalized(n) == wanted))
        .map(|(c, _)| *c)
}

/// The canonical name of a [`Choice`] value.
pub fn choice_name<C: Choice>(value: C) -> &'static str {
    C::NAMES
        .iter()
        .find(|(c, _)| *c == value)
        .and_then(|(_, names)| names.first().copied())
        .unwrap_or("?")
}

/// Declares a [`Choice`] enum with its names, and its [`ConfigValue`].
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => [$($text:literal),+]),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $crate::config::choice::Choice for $name {
            const NAMES: &'static [(Self, &'static [&'static str])] =
                &[$(($name::$variant, &[$($text),+])),+];
        }

        impl $crate::config::value::ConfigValue for $name {
            fn from_raw(raw: &$crate::config::value::RawValue) -> Option<Self> {
                match raw {
                    $crate::config::value::RawValue::Str(s) => {
                        $crate::config::choice::parse_choice(s)
                    }
                    _ => None,
                }
            }
            fn to_text(&self) -> String {
                $crate::config::choice::choice_name(*self).to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::config::choice::choice_name(*self))
            }
        }
    };
}

pub(crate) use choice;

impl ConfigValue for String {
    /// Text: a string as written (trimmed); integers and booleans as their text.
    fn from_raw(raw: &RawValue) -> Option<Self> {
        match raw {
            RawValue::Str(s) => Some(s.trim().to_string()),
            RawValue::Int(i) => Some(i.to_string()),
            RawValue::Bool(b) => Some(b.to_string()),
            RawValue::Float(_) => None,
        }
    }
    fn to_text(&self) -> String {
        self.clone()
    }
}

impl ConfigValue for f64 {
    /// Numbers: a TOML float or integer, or a string Java's `Double.parseDouble` accepts
    /// (finite values only).
    fn from_raw(raw: &RawValue) -> Option<Self> {
        let x = match raw {
            RawValue::Float(x) => *x,
            RawValue::Int(i) => *i as f64,
            RawValue::Str(s) => s.trim().parse::<f64>().ok()?,
            RawValue::Bool(_) => return None,
        };
        x.is_finite().then_some(x)
    }
    fn to_text(&self) -> String {
        format!("{self:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    choice! {
        /// A test choice.
        Mode {
            /// The first.
            ExactlyOnce => ["EXACTLY_ONCE"],
            /// The second, with an alias.
            AtLeastOnce => ["AT_LEAST_ONCE", "at-least"],
        }
    }

    #[test]
    fn choices_match_any_case_and_either_separator() {
        for text in [
            "EXACTLY_ONCE",
            "exactly_once",
            "Exactly-Once",
            " exactly-once ",
        ] {
            assert_eq!(
                parse_choice::<Mode>(text),
                Some(Mode::ExactlyOnce),
                "{text}"
            );
        }
        assert_eq!(parse_choice::<Mode>("at-least"), Some(Mode::AtLeastOnce));
        assert_eq!(parse_choice::<Mode>("once"), None);
        assert_eq!(Mode::AtLeastOnce.to_text(), "AT_LEAST_ONCE");
        assert_eq!(Mode::from_raw(&RawValue::Int(1)), None);
    }

    #[test]
    fn text_and_numbers() {
        assert_eq!(String::from_raw(&" /tmp/x ".into()), Some("/tmp/x".into()));
        assert_eq!(f64::from_raw(&RawValue::Float(1.5)), Some(1.5));
        assert_eq!(f64::from_raw(&RawValue::Int(2)), Some(2.0));
        assert_eq!(f64::from_raw(&"0.1".into()), Some(0.1));
        assert_eq!(f64::from_raw(&"NaN".into()), None);
        assert_eq!(f64::from_raw(&RawValue::Bool(true)), None);
    }
}
