//! Snapshots as dbt takes them the first time: every row of the snapshot query, with
//! `dbt_scd_id`, `dbt_updated_at`, `dbt_valid_from` and `dbt_valid_to`.

use crate::diagnostic::{Diagnostic, Location, line_col};
use crate::project::Node;

/// The SELECT (over a CTE named `snapshot_query`) that adds dbt's meta columns.
pub fn first_run_select(node: &Node, file_text: &str) -> Result<String, Diagnostic> {
    let config = &node.config;
    let fail =
        |m: &str| Diagnostic::error(config_location(node), m.to_string()).with_source(file_text);
    let keys = config.list("unique_key");
    if keys.is_empty() {
        return Err(fail("snapshot needs a `unique_key` config")
            .with_hint("add unique_key='id' to the snapshot's config()"));
    }
    let strategy = config.str("strategy").unwrap_or("");
    let updated_at = match strategy {
        "timestamp" => match config.str("updated_at") {
            Some(col) => format!("cast({col} as timestamp)"),
            None => {
                return Err(fail("the timestamp strategy needs an `updated_at` config")
                    .with_hint("name the column that changes when a row changes"));
            }
        },
        "check" => {
            if config.get("check_cols").is_none() {
                return Err(fail(
                    "the check strategy needs `check_cols` (a list or 'all')",
                ));
            }
            "getdate()".to_string()
        }
        other => {
            return Err(fail(&format!(
                "snapshot strategy must be 'timestamp' or 'check', found '{other}'"
            )));
        }
    };
    let names = config
        .get("snapshot_meta_column_names")
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let name = |key: &str| {
        names
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or(key)
            .to_string()
    };
    let hashed: Vec<String> = keys
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(updated_at.as_str()))
        .map(|e| format!("coalesce(cast({e} as varchar), '')"))
        .collect();
    let valid_to = match config.str("dbt_valid_to_current") {
        Some(expr) => format!("cast({expr} as timestamp)"),
        None => "cast(null as timestamp)".to_string(),
    };
    let mut columns = vec![
        format!(
            "md5({}) as {}",
            hashed.join(" || '|' || "),
            name("dbt_scd_id")
        ),
        format!("{updated_at} as {}", name("dbt_updated_at")),
        format!("{updated_at} as {}", name("dbt_valid_from")),
        format!("{valid_to} as {}", name("dbt_valid_to")),
    ];
    let hard_deletes = config.str("hard_deletes").unwrap_or("ignore");
    if hard_deletes == "new_record" {
        columns.push(format!(
            "cast('False' as varchar) as {}",
            name("dbt_is_deleted")
        ));
    }
    Ok(format!(
        "with snapshot_query as (select 1) select *, {} from snapshot_query",
        columns.join(", ")
    ))
}

/// Where the snapshot's `config(...)` call is, for errors about its configuration.
fn config_location(node: &Node) -> Location {
    match node.raw_sql.find("config(") {
        Some(offset) => {
            let (line, col) = line_col(&node.raw_sql, offset);
            let (start_line, start_col) = node.raw_start;
            let col = if line == 1 { start_col + col - 1 } else { col };
            Location::new(&node.path, start_line + line - 1, col)
        }
        None => Location::file(&node.path),
    }
}
