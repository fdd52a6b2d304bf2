//! dbt's model constraints (`constraints:` on a column or on the model), typed once where
//! the YAML is read. They shape the `create table` of a model whose contract is enforced;
//! Redshift enforces `not_null` only, keeps `unique`, `primary_key` and `foreign_key` as
//! information for the planner, and has no `check` (dbt leaves it out with a warning).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use serde_saphyr::Spanned;

use crate::diagnostic::{Code, Diagnostic, Location};

/// A `constraints:` entry as written.
#[derive(Debug, Deserialize)]
pub struct ConstraintYaml {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub expression: Option<Json>,
    /// A model-level constraint's columns.
    #[serde(default)]
    pub columns: Vec<String>,
    /// A foreign key's table: `ref('customers')`, `source('raw', 'customers')` or a name.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub to_columns: Vec<String>,
    #[serde(default)]
    pub warn_unenforced: Option<bool>,
    #[serde(default)]
    pub warn_unsupported: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    NotNull,
    Unique,
    PrimaryKey,
    ForeignKey,
    Check,
    Custom,
}

impl ConstraintKind {
    const ALL: [(&'static str, ConstraintKind); 6] = [
        ("not_null", ConstraintKind::NotNull),
        ("unique", ConstraintKind::Unique),
        ("primary_key", ConstraintKind::PrimaryKey),
        ("foreign_key", ConstraintKind::ForeignKey),
        ("check", ConstraintKind::Check),
        ("custom", ConstraintKind::Custom),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("custom", |(n, _)| n)
    }

    /// What Redshift does with the constraint (dbt-redshift's `CONSTRAINT_SUPPORT`).
    pub fn support(self) -> Support {
        match self {
            ConstraintKind::NotNull => Support::Enforced,
            ConstraintKind::Unique | ConstraintKind::PrimaryKey | ConstraintKind::ForeignKey => {
                Support::NotEnforced
            }
            ConstraintKind::Check => Support::NotSupported,
            // dbt passes a custom constraint through without asking.
            ConstraintKind::Custom => Support::Enforced,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Enforced,
    /// Written into the DDL, guaranteeing nothing about the data.
    NotEnforced,
    /// Left out of the DDL.
    NotSupported,
}

/// A constraint, typed, with where it is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Constraint {
    pub kind: ConstraintKind,
    pub name: Option<String>,
    pub expression: Option<String>,
    pub columns: Vec<String>,
    pub to: Option<String>,
    pub to_columns: Vec<String>,
    pub warn_unenforced: bool,
    pub warn_unsupported: bool,
    pub at: Location,
}

impl Constraint {
    pub fn from_yaml(file: &str, yaml: &ConstraintYaml) -> Result<Constraint, Diagnostic> {
        let at = super::yaml::location_of(file, &yaml.kind);
        let written = yaml.kind.value.trim().to_lowercase();
        let Some(kind) = ConstraintKind::ALL
            .iter()
            .find(|(n, _)| *n == written)
            .map(|(_, k)| *k)
        else {
            let known: Vec<&str> = ConstraintKind::ALL.iter().map(|(n, _)| *n).collect();
            return Err(Diagnostic::error(
                Code::Config,
                at,
                format!(
                    "`{}` is not a constraint type; dbt knows {}",
                    yaml.kind.value,
                    known.join(", ")
                ),
            ));
        };
        let expression = match &yaml.expression {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        let needs_expression = matches!(kind, ConstraintKind::Check | ConstraintKind::Custom)
            || (kind == ConstraintKind::ForeignKey && yaml.to.is_none());
        if needs_expression && expression.as_deref().is_none_or(|e| e.trim().is_empty()) {
            let what = if kind == ConstraintKind::ForeignKey {
                "a `to` and `to_columns` (or an `expression` naming the table and columns)"
            } else {
                "an `expression`"
            };
            return Err(Diagnostic::error(
                Code::Config,
                at,
                format!("a `{}` constraint needs {what}", kind.as_str()),
            ));
        }
        Ok(Constraint {
            kind,
            name: yaml.name.clone(),
            expression,
            columns: yaml.columns.clone(),
            to: yaml.to.clone(),
            to_columns: yaml.to_columns.clone(),
            warn_unenforced: yaml.warn_unenforced.unwrap_or(true),
            warn_unsupported: yaml.warn_unsupported.unwrap_or(true),
            at,
        })
    }

    /// dbt's warning for a constraint Redshift does not enforce or does not have, unless the
    /// constraint turns it off.
    pub fn support_warning(&self) -> Option<Diagnostic> {
        let kind = self.kind.as_str();
        let message = match self.kind.support() {
            _ if self.kind == ConstraintKind::Custom => return None,
            Support::NotSupported if self.warn_unsupported => {
                format!("Redshift has no `{kind}` constraint: dbt leaves it out of the table's DDL")
            }
            Support::NotEnforced if self.warn_unenforced => format!(
                "Redshift does not enforce a `{kind}` constraint: it is written into the table's DDL but guarantees nothing about the data"
            ),
            _ => return None,
        };
        let off = if self.kind.support() == Support::NotSupported {
            "warn_unsupported"
        } else {
            "warn_unenforced"
        };
        Some(
            Diagnostic::warning(Code::Unsupported, self.at.clone(), message).with_hint(format!(
                "set `{off}: false` on the constraint to silence this"
            )),
        )
    }
}
