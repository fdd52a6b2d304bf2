//! Incremental models as dbt-redshift builds them: `append`, `delete+insert` and `merge`
//! (the default is `delete+insert` with a `unique_key`, `append` without), and
//! `on_schema_change`: `ignore`, `fail`, `append_new_columns`, `sync_all_columns`.

use datafusion::common::ScalarValue;

use super::rows::{Rows, key_text};
use crate::project::resolved::{Incremental, IncrementalStrategy as Strategy, OnSchemaChange};

/// The existing table with the new rows merged in.
pub fn merge(config: &Incremental, existing: &Rows, new: &Rows) -> Result<Rows, String> {
    let (strategy, keys) = (config.strategy, &config.unique_key);
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
    let columns = match config.on_schema_change {
        OnSchemaChange::Ignore => existing.columns.clone(),
        OnSchemaChange::Fail if !added.is_empty() || !removed.is_empty() => {
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
        OnSchemaChange::Fail => existing.columns.clone(),
        OnSchemaChange::AppendNewColumns => {
            let mut cols = existing.columns.clone();
            cols.extend(added.iter().map(|c| (*c).clone()));
            cols
        }
        OnSchemaChange::SyncAllColumns => new.columns.clone(),
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
