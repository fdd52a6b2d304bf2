//! Relation names as dbt-redshift renders them: `"database"."schema"."identifier"`.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value, from_args};
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
    /// A mapping, as dbt's relations are, so that `relation is mapping` holds and
    /// `relation.get('metadata')` tells its type (dbt_utils checks both).
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["database", "schema", "identifier", "metadata"])
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "metadata" => Some(minijinja::context! { type => "RedshiftRelation" }),
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

    /// dbt's relation methods that macros call: `render()`, `include(database=false, ...)`,
    /// and `quote(...)` / `incorporate(...)`, which change nothing here (names are always
    /// quoted, and a relation's type is not tracked).
    fn call_method(
        self: &Arc<Self>,
        _state: &mut minijinja::State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, minijinja::Error> {
        match method {
            "render" => Ok(Value::from(self.rendered.clone())),
            "include" => {
                let (_, kwargs): (&[Value], Kwargs) = from_args(args)?;
                let keep = |part: &str| -> Result<bool, minijinja::Error> {
                    Ok(kwargs.get::<Option<bool>>(part)?.unwrap_or(true))
                };
                let r = &self.relation;
                let parts: Vec<String> = [
                    (keep("database")?, &r.database),
                    (keep("schema")?, &r.schema),
                    (keep("identifier")?, &r.identifier),
                ]
                .into_iter()
                .filter(|(kept, _)| *kept)
                .map(|(_, name)| format!("\"{name}\""))
                .collect();
                kwargs.assert_all_used()?;
                Ok(RelationValue {
                    relation: r.clone(),
                    rendered: parts.join("."),
                }
                .into_value())
            }
            "quote" | "incorporate" => Ok(Value::from_object((**self).clone())),
            // Left to the mapping methods (`get`, `keys`, `items`) a dict has.
            _ => Err(minijinja::Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }
}
