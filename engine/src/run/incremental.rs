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
    // A merge that updates only some columns keeps the others as the table has them.
    let partial_update = strategy == Strategy::Merge
        && (config.merge_update_columns.is_some() || !config.merge_exclude_columns.is_empty());
    let updated = |name: &str| {
        config
            .merge_update_columns
            .as_ref()
            .is_none_or(|u| u.iter().any(|c| c == name))
            && !config.merge_exclude_columns.iter().any(|c| c == name)
    };
    let mut kept: std::collections::HashMap<String, Vec<ScalarValue>> = Default::default();
    let mut rows: Vec<Vec<ScalarValue>> = Vec::new();
    for r in &existing.rows {
        match key_of(existing, r) {
            Some(k) if incoming.contains(&k) => {
                if partial_update {
                    kept.insert(k, layout(existing, r));
                }
            }
            _ => rows.push(layout(existing, r)),
        }
    }
    for r in &new.rows {
        let mut row = layout(new, r);
        if let Some(old) = key_of(new, r).and_then(|k| kept.get(&k)) {
            for (i, (name, _)) in columns.iter().enumerate() {
                if !updated(name) {
                    row[i] = old[i].clone();
                }
            }
        }
        rows.push(row);
    }
    Ok(Rows { columns, rows })
}
