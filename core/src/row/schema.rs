//! Schemas: the ordered, named and typed columns of a row.

use std::collections::HashMap;
use std::fmt;

use super::FieldType;

/// One named, typed column.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
pub struct Field {
    /// The column name (case-sensitive).
    pub name: String,
    /// The column type.
    #[serde(rename = "type")]
    pub ty: FieldType,
}

impl Field {
    /// A field of the given name and type.
    pub fn new(name: impl Into<String>, ty: FieldType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

/// Why a list of fields is not a schema.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Two columns share a name.
    #[error("duplicate column name `{name}` (columns {first} and {second})")]
    DuplicateName {
        /// The repeated name.
        name: String,
        /// 0-based index of its first use.
        first: usize,
        /// 0-based index of its second use.
        second: usize,
    },
    /// A column has an empty name.
    #[error("column {index} has an empty name")]
    EmptyName {
        /// 0-based index of the column.
        index: usize,
    },
}

/// The ordered columns of a row, looked up by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    fields: Vec<Field>,
    by_name: HashMap<String, usize>,
}

impl Schema {
    /// A schema of the given columns; names must be non-empty and distinct.
    pub fn new(fields: Vec<Field>) -> Result<Self, SchemaError> {
        let mut by_name = HashMap::with_capacity(fields.len());
        for (index, field) in fields.iter().enumerate() {
            if field.name.is_empty() {
                return Err(SchemaError::EmptyName { index });
            }
            if let Some(&first) = by_name.get(&field.name) {
                return Err(SchemaError::DuplicateName {
                    name: field.name.clone(),
                    first,
                    second: index,
                });
            }
            by_name.insert(field.name.clone(), index);
        }
        Ok(Self { fields, by_name })
    }

    /// The columns, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the schema has no columns.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The column at `index`.
    pub fn field(&self, index: usize) -> Option<&Field> {
        self.fields.get(index)
    }

    /// The 0-based index of the column called `name` (case-sensitive).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The column names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.fields.iter().map(|f| f.name.as_str())
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", field.name, field.ty)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_in_order() {
        let s = Schema::new(vec![
            Field::new("auction", FieldType::Long),
            Field::new("price", FieldType::Decimal),
        ])
        .unwrap();
        assert_eq!(s.index_of("price"), Some(1));
        assert_eq!(s.index_of("Price"), None);
        assert_eq!(s.len(), 2);
        assert_eq!(s.names().collect::<Vec<_>>(), ["auction", "price"]);
        assert_eq!(s.to_string(), "(auction long, price decimal)");
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let err = Schema::new(vec![
            Field::new("a", FieldType::Long),
            Field::new("b", FieldType::Long),
            Field::new("a", FieldType::String),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            SchemaError::DuplicateName {
                name: "a".into(),
                first: 0,
                second: 2
            }
        );
        assert!(err.to_string().contains("duplicate column name `a`"));
        assert_eq!(
            Schema::new(vec![Field::new("", FieldType::Long)]).unwrap_err(),
            SchemaError::EmptyName { index: 0 }
        );
    }
}
