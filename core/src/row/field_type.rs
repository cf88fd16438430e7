//! The column types of a row schema and their names in job files.

use std::fmt;
use std::str::FromStr;

/// The type of one column of a [`Schema`](super::Schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum FieldType {
    /// A signed 64-bit integer (`long`, `bigint`, `int`).
    Long,
    /// A 64-bit IEEE float (`double`, `float`).
    Double,
    /// An exact decimal number (`decimal`, `numeric`).
    Decimal,
    /// UTF-8 text (`string`, `varchar`, `text`).
    String,
    /// A boolean (`bool`, `boolean`).
    Bool,
    /// A point in time, epoch milliseconds (`timestamp`).
    Timestamp,
}

/// Every accepted spelling, canonical name first within each type.
const NAMES: &[(&str, FieldType)] = &[
    ("long", FieldType::Long),
    ("bigint", FieldType::Long),
    ("int", FieldType::Long),
    ("integer", FieldType::Long),
    ("double", FieldType::Double),
    ("float", FieldType::Double),
    ("decimal", FieldType::Decimal),
    ("numeric", FieldType::Decimal),
    ("string", FieldType::String),
    ("varchar", FieldType::String),
    ("text", FieldType::String),
    ("bool", FieldType::Bool),
    ("boolean", FieldType::Bool),
    ("timestamp", FieldType::Timestamp),
];

impl FieldType {
    /// The canonical lower-case name (`long`, `double`, `decimal`, …).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Long => "long",
            FieldType::Double => "double",
            FieldType::Decimal => "decimal",
            FieldType::String => "string",
            FieldType::Bool => "bool",
            FieldType::Timestamp => "timestamp",
        }
    }

    /// Whether the type is a number (`long`, `double` or `decimal`).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Long | FieldType::Double | FieldType::Decimal
        )
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A type name that is not one of the accepted names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown type `{0}`: expected one of long (bigint, int, integer), double (float), \
     decimal (numeric), string (varchar, text), bool (boolean), timestamp"
)]
pub struct UnknownFieldType(pub String);

impl FromStr for FieldType {
    type Err = UnknownFieldType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, ty)| ty)
            .ok_or_else(|| UnknownFieldType(s.to_owned()))
    }
}

impl TryFrom<String> for FieldType {
    type Error = UnknownFieldType;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_parses_case_insensitively() {
        for &(name, ty) in NAMES {
            assert_eq!(name.parse::<FieldType>(), Ok(ty));
            assert_eq!(name.to_uppercase().parse::<FieldType>(), Ok(ty));
        }
        assert_eq!(" BigInt ".parse::<FieldType>(), Ok(FieldType::Long));
    }

    #[test]
    fn canonical_name_parses_back() {
        for &(_, ty) in NAMES {
            assert_eq!(ty.name().parse::<FieldType>(), Ok(ty));
        }
    }

    #[test]
    fn unknown_name_lists_accepted_names() {
        let err = "int64".parse::<FieldType>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`int64`"), "{msg}");
        assert!(msg.contains("bigint") && msg.contains("varchar") && msg.contains("timestamp"));
    }

    #[test]
    fn deserialises_from_a_string() {
        let ty: FieldType = serde_json::from_str("\"varchar\"").unwrap();
        assert_eq!(ty, FieldType::String);
        assert!(serde_json::from_str::<FieldType>("\"blob\"").is_err());
    }
}
