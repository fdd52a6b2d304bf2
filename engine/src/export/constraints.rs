//! The column list of an enforced contract's `create table`, as dbt-redshift renders it:
//! each declared column with its type and constraints, then the model's constraints.
//! Redshift has no `check`, so dbt leaves it out; the rest are written as declared.

use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::{Code, Diagnostic};
use crate::project::constraints::{Constraint, ConstraintKind, Support};
use crate::project::{ColumnDoc, Node, NodeKind, Project};

/// A column's name as dbt writes it in DDL: quoted only when the YAML says `quote: true`.
pub fn column_name(column: &ColumnDoc) -> String {
    if column.quote {
        format!("\"{}\"", column.name.replace('"', "\"\""))
    } else {
        column.name.clone()
    }
}

static REF_OR_SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r#"^\s*(ref|source)\s*\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)\s*$"#)
        .expect("the pattern is valid")
});

/// A foreign key's `to`: `ref('m')` or `source('s', 't')` as the relation dbt resolves it
/// to, any other text as written.
fn referenced(project: &Project, constraint: &Constraint, to: &str) -> Result<String, Diagnostic> {
    let Some(call) = REF_OR_SOURCE.captures(to) else {
        return Ok(to.trim().to_string());
    };
    let first = call.get(2).map_or("", |m| m.as_str());
    let second = call.get(3).map(|m| m.as_str());
    let relation = match (&call[1], second) {
        ("ref", None) => [NodeKind::Model, NodeKind::Seed, NodeKind::Snapshot]
            .iter()
            .find_map(|k| project.node_by_name(*k, first))
            .map(|n| n.relation.to_string()),
        ("source", Some(table)) => project
            .sources
            .values()
            .find(|s| s.source_name == first && s.name == table)
            .map(|s| s.relation.to_string()),
        _ => None,
    };
    relation.ok_or_else(|| {
        Diagnostic::error(
            Code::Ref,
            constraint.at.clone(),
            format!("the foreign key's `to: {to}` names nothing in the project"),
        )
    })
}

/// `references <table> (<columns>)`, from `to` and `to_columns` or from the expression.
fn references(project: &Project, c: &Constraint) -> Result<Option<String>, Diagnostic> {
    if let Some(to) = &c.to
        && !c.to_columns.is_empty()
    {
        let table = referenced(project, c, to)?;
        return Ok(Some(format!(
            "references {table} ({})",
            c.to_columns.join(", ")
        )));
    }
    Ok(c.expression
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .map(|e| format!("references {e}")))
}

/// dbt's `render_column_constraint`: `None` for what Redshift does not have.
fn column_constraint(project: &Project, c: &Constraint) -> Result<Option<String>, Diagnostic> {
    if c.kind.support() == Support::NotSupported {
        return Ok(None);
    }
    let expression = c.expression.clone().unwrap_or_default();
    let with = |keyword: &str| format!("{keyword} {expression}").trim().to_string();
    Ok(match c.kind {
        ConstraintKind::NotNull => Some(with("not null")),
        ConstraintKind::Unique => Some(with("unique")),
        ConstraintKind::PrimaryKey => Some(with("primary key")),
        ConstraintKind::ForeignKey => references(project, c)?,
        ConstraintKind::Custom => Some(expression.trim().to_string()).filter(|e| !e.is_empty()),
        ConstraintKind::Check => None,
    })
}

/// dbt's `render_model_constraint`, a model-level constraint named when it has a name.
fn model_constraint(project: &Project, c: &Constraint) -> Result<Option<String>, Diagnostic> {
    if c.kind != ConstraintKind::Custom && c.kind.support() == Support::NotSupported {
        return Ok(None);
    }
    let prefix = c
        .name
        .as_deref()
        .map_or(String::new(), |n| format!("constraint {n} "));
    let columns = c.columns.join(", ");
    let expression = c
        .expression
        .as_deref()
        .map_or(String::new(), |e| format!(" {e}"));
    Ok(match c.kind {
        ConstraintKind::Unique => Some(format!("{prefix}unique{expression} ({columns})")),
        ConstraintKind::PrimaryKey => Some(format!("{prefix}primary key{expression} ({columns})")),
        ConstraintKind::ForeignKey => {
            let target = if let Some(to) = &c.to
                && !c.to_columns.is_empty()
            {
                Some(format!(
                    "{} ({})",
                    referenced(project, c, to)?,
                    c.to_columns.join(", ")
                ))
            } else {
                c.expression.clone()
            };
            target.map(|t| format!("{prefix}foreign key ({columns}) references {t}"))
        }
        ConstraintKind::Custom => c.expression.as_ref().map(|e| format!("{prefix}{e}")),
        ConstraintKind::Check | ConstraintKind::NotNull => None,
    })
}

/// The `( ... )` of an enforced contract's table: a line per declared column, then one per
/// model constraint.
pub fn table_columns(project: &Project, node: &Node) -> Result<Vec<String>, Diagnostic> {
    let mut lines = Vec::new();
    for column in &node.columns {
        let mut parts = vec![format!(
            "{} {}",
            column_name(column),
            column.data_type.clone().unwrap_or_default()
        )];
        for c in &column.constraints {
            parts.extend(column_constraint(project, c)?);
        }
        lines.push(parts.join(" "));
    }
    for c in &node.constraints {
        lines.extend(model_constraint(project, c)?);
    }
    Ok(lines)
}
