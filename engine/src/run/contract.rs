//! dbt's model contracts: a table whose `contract: {enforced: true}` is set must output
//! exactly the columns its YAML declares, each with its declared type, or dbt refuses to build
//! it. The check says which column is missing, extra or of another type, at its YAML line.

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::project::{ColumnDoc, Node};

/// A Redshift type's family, the level at which the contract's types are compared: sizes,
/// precisions and widths aside. Integer widths count as one, and so do exact and floating
/// numbers, because the engine types literals more widely than Redshift does (`1` is a
/// bigint here and an integer there, `2.5` a double here and a numeric there): a narrower
/// comparison would refuse contracts that Redshift accepts.
fn family(data_type: &str) -> &'static str {
    let t = data_type.trim().to_lowercase();
    let base = t.split('(').next().unwrap_or(&t).trim().to_string();
    match base.as_str() {
        "int" | "int2" | "int4" | "int8" | "integer" | "smallint" | "bigint" => "integer",
        "numeric" | "decimal" | "float" | "float4" | "float8" | "real" | "double precision" => {
            "number"
        }
        "varchar" | "character varying" | "text" | "nvarchar" | "string" | "char" | "character"
        | "nchar" | "bpchar" => "varchar",
        "bool" | "boolean" => "boolean",
        "date" => "date",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "time" | "time without time zone" => "time",
        "timetz" | "time with time zone" => "timetz",
        "super" => "super",
        _ => "other",
    }
}

/// What breaks `node`'s contract, given the columns the check planned (name, Redshift type).
pub fn check(
    node: &Node,
    planned: &[(String, String)],
    text_of: &dyn Fn(&str) -> String,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at_node = || Location::file(&node.path);
    let error = |at: Location, message: String| {
        let text = text_of(&at.file);
        Diagnostic::error(Code::Config, at, message).with_source(&text)
    };
    let declared: &[ColumnDoc] = &node.columns;
    for column in declared {
        // dbt's warning, for the same reason: the warehouse's default scale rounds.
        let bare = column.data_type.as_deref().is_some_and(|t| {
            let t = t.trim().to_lowercase();
            matches!(t.as_str(), "numeric" | "decimal" | "dec")
        });
        if bare && node.materialization.table_keys().is_some() {
            let text = text_of(&column.at.file);
            out.push(
                Diagnostic::warning(
                    Code::Config,
                    column.at.clone(),
                    format!(
                        "column `{}` of `{}` is declared {} without precision and scale: Redshift stores it as DECIMAL(18, 0), so its values are rounded to whole numbers",
                        column.name,
                        node.name,
                        column.data_type.as_deref().unwrap_or_default()
                    ),
                )
                .with_source(&text)
                .with_hint("declare the scale it needs, such as numeric(18,2)"),
            );
        }
        let found = planned
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&column.name));
        match (&column.data_type, found) {
            (None, _) => out.push(error(
                column.at.clone(),
                format!(
                    "column `{}` of `{}` has no data_type, which an enforced contract needs for every column",
                    column.name, node.name
                ),
            )),
            (Some(_), None) => out.push(error(
                column.at.clone(),
                format!(
                    "the contract of `{}` declares column `{}`, which the model does not output",
                    node.name, column.name
                ),
            )),
            // A type the comparison does not know is left to the warehouse.
            (Some(want), Some((_, got)))
                if family(want) != "other" && family(want) != family(got) =>
            {
                out.push(
                error(
                    column.at.clone(),
                    format!(
                        "the contract of `{}` declares `{}` as {want}, and the model outputs {got}",
                        node.name, column.name
                    ),
                )
                .with_hint(format!("cast it in the model: {}::{want}", column.name)),
                )
            }
            _ => {}
        }
    }
    for c in &node.constraints {
        for column in &c.columns {
            if !declared.iter().any(|d| d.name.eq_ignore_ascii_case(column)) {
                out.push(error(
                    c.at.clone(),
                    format!(
                        "the `{}` constraint of `{}` names column `{column}`, which its contract does not declare",
                        c.kind.as_str(),
                        node.name
                    ),
                ));
            }
        }
    }
    for (name, got) in planned {
        if !declared.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            out.push(error(
                at_node(),
                format!(
                    "`{}` outputs column `{name}` ({got}), which its enforced contract does not declare",
                    node.name
                ),
            ));
        }
    }
    out
}

/// The model's query with the values a contracted table stores: dbt-redshift inserts the
/// rows into columns of the declared types, so a number takes the declared column's
/// precision and scale (`0.15` in a `numeric` column, DECIMAL(18, 0), is 0). Text and the
/// rest are left as the query gives them (Redshift refuses a value too long for its
/// column rather than cutting it, which no cast reproduces). `None` when nothing changes.
pub fn assignment_casts(
    node: &Node,
    query: &datafusion::sql::sqlparser::ast::Query,
) -> Option<Box<datafusion::sql::sqlparser::ast::Query>> {
    use datafusion::sql::sqlparser::ast::Statement;
    if !node.materialization.contract_enforced() || node.materialization.table_keys().is_none() {
        return None;
    }
    let mut any = false;
    let items: Vec<String> = node
        .columns
        .iter()
        .map(|c| {
            let name = format!("\"{}\"", c.name.to_lowercase().replace('"', "\"\""));
            match c.data_type.as_deref() {
                Some(t) if matches!(family(t), "integer" | "number") => {
                    any = true;
                    format!("cast({name} as {t}) as {name}")
                }
                _ => name,
            }
        })
        .collect();
    if !any {
        return None;
    }
    let sql = format!(
        "with model_subq as (select 1) select {} from model_subq",
        items.join(", ")
    );
    let parsed = datafusion::sql::sqlparser::parser::Parser::parse_sql(
        &crate::redshift::dialect::RedshiftDialect,
        &sql,
    )
    .ok()?;
    let Some(Statement::Query(mut wrapped)) = parsed.into_iter().next() else {
        return None;
    };
    let cte = wrapped.with.as_mut()?.cte_tables.first_mut()?;
    *cte.query = query.clone();
    Some(wrapped)
}

/// dbt's warnings for the constraints of a contracted table that Redshift does not enforce
/// or does not have. A view's contract has no constraints to warn about.
pub fn constraint_warnings(node: &Node, text_of: &dyn Fn(&str) -> String) -> Vec<Diagnostic> {
    if node.materialization.table_keys().is_none() {
        return Vec::new();
    }
    node.columns
        .iter()
        .flat_map(|c| &c.constraints)
        .chain(&node.constraints)
        .filter_map(|c| c.support_warning())
        .map(|d| {
            let text = text_of(&d.location.file);
            d.with_source(&text)
        })
        .collect()
}

/// The rows of a contracted table that break a `not_null` constraint, which Redshift
/// enforces: the insert fails, so the build does.
pub fn not_null_violations(
    node: &Node,
    schema: &datafusion::arrow::datatypes::Schema,
    batches: &[datafusion::arrow::record_batch::RecordBatch],
    text_of: &dyn Fn(&str) -> String,
) -> Option<Diagnostic> {
    if !node.materialization.contract_enforced() || node.materialization.table_keys().is_none() {
        return None;
    }
    for column in &node.columns {
        let Some(constraint) = column
            .constraints
            .iter()
            .find(|c| c.kind == crate::project::constraints::ConstraintKind::NotNull)
        else {
            continue;
        };
        let Some(index) = schema
            .fields()
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(&column.name))
        else {
            continue;
        };
        let nulls: usize = batches.iter().map(|b| b.column(index).null_count()).sum();
        if nulls > 0 {
            let at = constraint.at.clone();
            let text = text_of(&at.file);
            return Some(
                Diagnostic::error(
                    Code::Runtime,
                    at,
                    format!(
                        "Redshift refuses to build `{}`: column `{}` is NULL in {nulls} row{} and its not_null constraint forbids it",
                        node.name,
                        column.name,
                        if nulls == 1 { "" } else { "s" }
                    ),
                )
                .with_source(&text)
                .with_hint(format!(
                    "filter the NULLs out or coalesce them in the model, or drop the constraint from `{}`",
                    column.name
                )),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_compare_as_dbt_compares_contract_types() {
        assert_eq!(family("INT"), family("integer"));
        assert_eq!(family("varchar(20)"), family("character varying(256)"));
        assert_eq!(family("numeric(10,2)"), family("decimal(38, 6)"));
        assert_eq!(family("integer"), family("bigint"));
        assert_ne!(family("integer"), family("varchar"));
        assert_ne!(family("timestamp"), family("timestamptz"));
    }
}
