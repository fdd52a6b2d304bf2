//! Incremental models as dbt-redshift builds them: `append`, `delete+insert` and `merge`
//! (the default is `delete+insert` with a `unique_key`, `append` without), and
//! `on_schema_change`: `ignore`, `fail`, `append_new_columns`, `sync_all_columns`.

use datafusion::common::ScalarValue;

use super::rows::{Rows, key_text};
use crate::project::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Append,
    DeleteInsert,
    Merge,
}

/// The strategy and unique key a model's config asks for.
pub fn strategy(config: &Config) -> Result<(Strategy, Vec<String>), String> {
    let keys: Vec<String> = config
        .list("unique_key")
        .iter()
        .map(|k| k.to_lowercase())
        .collect();
    let strategy = match config.str("incremental_strategy") {
        Some("append") => Strategy::Append,
        Some("delete+insert") => Strategy::DeleteInsert,
        Some("merge") => Strategy::Merge,
        None if keys.is_empty() => Strategy::Append,
        None => Strategy::DeleteInsert,
        Some(other) => {
            return Err(format!(
                "incremental_strategy '{other}' is not one dbt-redshift supports (append, delete+insert, merge)"
            ));
        }
    };
    if strategy != Strategy::Append && keys.is_empty() {
        return Err(format!(
            "the {} strategy needs a unique_key",
            if strategy == Strategy::Merge {
                "merge"
            } else {
                "delete+insert"
            }
        ));
    }
    Ok((strategy, keys))
}

/// The existing table with the new rows merged in.
pub fn merge(config: &Config, existing: &Rows, new: &Rows) -> Result<Rows, String> {
    let (strategy, keys) = strategy(config)?;
    let on_schema_change = config.str("on_schema_change").unwrap_or("ignore");
    let added: Vec<&(String, _)> = new
        .columns
        .iter()
        .filter(|(n, _)| existing.index(n).is_none())
        .collect();
    let removed: Vec<&(String, _)> = existing
        .columns
        .iter()
        .filter(|(n, _)| new.index(n).is_none())
        .collect();
    let columns = match on_schema_change {
        "ignore" => existing.columns.clone(),
        "fail" if !added.is_empty() || !removed.is_empty() => {
            let names = |cols: &[&(String, _)]| {
                cols.iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(format!(
                "The source and target schemas on this incremental model are out of sync! \
                 New columns: [{}]; missing columns: [{}]. Rerun with --full-refresh, or set \
                 on_schema_change to append_new_columns or sync_all_columns.",
                names(&added),
                names(&removed)
            ));
        }
        "fail" => existing.columns.clone(),
        "append_new_columns" => {
            let mut cols = existing.columns.clone();
            cols.extend(added.iter().map(|c| (*c).clone()));
            cols
        }
        "sync_all_columns" => new.columns.clone(),
        other => {
            return Err(format!(
                "on_schema_change must be ignore, fail, append_new_columns or sync_all_columns, found '{other}'"
            ));
        }
    };
    let layout = |table: &Rows, row: &[ScalarValue]| -> Vec<ScalarValue> {
        columns
            .iter()
            .map(|(name, _)| {
                table
                    .index(name)
                    .map_or(ScalarValue::Null, |i| row[i].clone())
            })
            .collect()
    };
    let key_of = |table: &Rows, row: &[ScalarValue]| -> Option<String> {
        let idx: Option<Vec<usize>> = keys.iter().map(|k| table.index(k)).collect();
        idx.map(|idx| key_text(&idx.iter().map(|i| &row[*i]).collect::<Vec<_>>()))
    };
    let incoming: std::collections::HashSet<String> = match strategy {
        Strategy::Append => Default::default(),
        _ => new.rows.iter().filter_map(|r| key_of(new, r)).collect(),
    };
    if strategy != Strategy::Append && keys.iter().any(|k| new.index(k).is_none()) {
        return Err(format!(
            "unique_key {} is not a column of the model",
            keys.join(", ")
        ));
    }
    let mut rows: Vec<Vec<ScalarValue>> = existing
        .rows
        .iter()
        .filter(|r| key_of(existing, r).is_none_or(|k| !incoming.contains(&k)))
        .map(|r| layout(existing, r))
        .collect();
    rows.extend(new.rows.iter().map(|r| layout(new, r)));
    Ok(Rows { columns, rows })
}
