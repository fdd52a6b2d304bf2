//! Relation names as dbt-redshift renders them: `"database"."schema"."identifier"`.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, Value};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Relation {
    pub database: String,
    pub schema: String,
    pub identifier: String,
}

impl Relation {
    /// Redshift folds every identifier to lower case, so the engine stores them folded.
    pub fn new(database: &str, schema: &str, identifier: &str) -> Self {
        Relation {
            database: database.to_lowercase(),
            schema: schema.to_lowercase(),
            identifier: identifier.to_lowercase(),
        }
    }

    /// `schema.identifier`, for messages.
    pub fn short(&self) -> String {
        format!("{}.{}", self.schema, self.identifier)
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\".\"{}\".\"{}\"",
            self.database, self.schema, self.identifier
        )
    }
}

/// What `ref()`, `source()` and `this` give a template: a relation, or for an ephemeral
/// model the name of the CTE that dbt injects, or for a test's `where` config a filtered
/// subquery.
#[derive(Debug, Clone)]
pub struct RelationValue {
    pub relation: Relation,
    pub rendered: String,
}

impl RelationValue {
    pub fn plain(relation: Relation) -> Self {
        RelationValue {
            rendered: relation.to_string(),
            relation,
        }
    }

    pub fn into_value(self) -> Value {
        Value::from_object(self)
    }
}

impl Object for RelationValue {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "database" => Some(Value::from(self.relation.database.clone())),
            "schema" => Some(Value::from(self.relation.schema.clone())),
            "identifier" | "name" | "table" => Some(Value::from(self.relation.identifier.clone())),
            "is_table" | "is_view" => Some(Value::from(false)),
            _ => None,
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rendered)
    }
}
