//! Rows of a declared schema: the records of jobs defined in TOML job files.
//!
//! - [`field_type`]: the column types and their names in job files.
//! - [`schema`]: ordered, named, typed columns.
//! - [`decimal`]: exact decimals with SQL's scale rules.
//! - [`value`]: column values and rows (rkyv-archivable, so a [`Row`] is a
//!   [`Data`](crate::record::Data) record), keyed with Java-compatible hashes.
//! - [`text`]: values from their text form (shared by CSV and `cast`).
//! - [`csv`]: the CSV line codec.

pub mod csv;
pub mod decimal;
pub mod field_type;
pub mod schema;
pub mod text;
pub mod value;

pub use csv::{write_row, RowParseError, RowParser};
pub use decimal::{Decimal, DecimalError};
pub use field_type::{FieldType, UnknownFieldType};
pub use schema::{Field, Schema, SchemaError};
pub use text::TextError;
pub use value::{Row, Value};
