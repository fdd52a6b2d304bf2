//! Incremental models as dbt-redshift builds them: `append`, `delete+insert` and `merge`
//! (the default is `delete+insert` with a `unique_key`, `append` without), and
//! `on_schema_change`: `ignore`, `fail`, `append_new_columns`, `sync_all_columns`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, new_null_array};
use datafusion::arrow::compute::{cast, interleave};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;

use super::rows::row_keys;
use crate::project::resolved::{Incremental, IncrementalStrategy as Strategy, OnSchemaChange};

fn columns_of(batch: &RecordBatch) -> Vec<(String, DataType)> {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect()
}

/// Each row's unique key, as dbt's hash joins the key's values; `None` without the key.
fn keys_of(batch: &RecordBatch, keys: &[String]) -> Result<Option<Vec<String>>, String> {
    let schema = batch.schema();
    let Some(cols) = keys
        .iter()
        .map(|k| schema.index_of(k).ok())
        .collect::<Option<Vec<usize>>>()
    else {
        return Ok(None);
    };
    row_keys(batch, &cols).map(Some)
}

/// The existing table with the new rows merged in.
pub fn merge(
    config: &Incremental,
    existing: &RecordBatch,
    new: &RecordBatch,
) -> Result<RecordBatch, String> {
    let (strategy, keys) = (config.strategy, &config.unique_key);
    let (existing_columns, new_columns) = (columns_of(existing), columns_of(new));
    let has = |cols: &[(String, DataType)], name: &str| cols.iter().any(|(n, _)| n == name);
    let added: Vec<&(String, DataType)> = new_columns
        .iter()
        .filter(|(n, _)| !has(&existing_columns, n))
        .collect();
    let removed: Vec<&(String, DataType)> = existing_columns
        .iter()
        .filter(|(n, _)| !has(&new_columns, n))
        .collect();
    let columns = match config.on_schema_change {
        OnSchemaChange::Ignore => existing_columns.clone(),
        OnSchemaChange::Fail if !added.is_empty() || !removed.is_empty() => {
            let names = |cols: &[&(String, DataType)]| {
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
        OnSchemaChange::Fail => existing_columns.clone(),
        OnSchemaChange::AppendNewColumns => {
            let mut cols = existing_columns.clone();
            cols.extend(added.iter().map(|c| (*c).clone()));
            cols
        }
        OnSchemaChange::SyncAllColumns => new_columns.clone(),
    };
    let new_keys = keys_of(new, keys)?;
    if strategy != Strategy::Append && new_keys.is_none() {
        return Err(format!(
            "unique_key {} is not a column of the model",
            keys.join(", ")
        ));
    }
    let incoming: HashSet<&str> = match (strategy, &new_keys) {
        (Strategy::Append, _) | (_, None) => HashSet::new(),
        (_, Some(k)) => k.iter().map(String::as_str).collect(),
    };
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
    // The existing rows that stay, and for a partial update the replaced row of each key.
    let existing_keys = keys_of(existing, keys)?;
    let mut kept_rows: Vec<usize> = Vec::new();
    let mut replaced: HashMap<&str, usize> = HashMap::new();
    for row in 0..existing.num_rows() {
        match existing_keys.as_ref().map(|k| k[row].as_str()) {
            Some(k) if incoming.contains(k) => {
                if partial_update {
                    replaced.insert(k, row);
                }
            }
            _ => kept_rows.push(row),
        }
    }
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for (name, ty) in &columns {
        let column = |batch: &RecordBatch| -> Result<Option<ArrayRef>, String> {
            match batch.schema().index_of(name) {
                Ok(i) => cast(batch.column(i), ty)
                    .map(Some)
                    .map_err(|e| e.to_string()),
                Err(_) => Ok(None),
            }
        };
        let (old, fresh) = (column(existing)?, column(new)?);
        let nulls = new_null_array(ty, 1);
        let sources: [&dyn Array; 3] = [
            old.as_deref().unwrap_or(nulls.as_ref()),
            fresh.as_deref().unwrap_or(nulls.as_ref()),
            nulls.as_ref(),
        ];
        let from_old = |row: usize| if old.is_some() { (0, row) } else { (2, 0) };
        let mut picks: Vec<(usize, usize)> = kept_rows.iter().map(|r| from_old(*r)).collect();
        for row in 0..new.num_rows() {
            let previous = new_keys
                .as_ref()
                .and_then(|k| replaced.get(k[row].as_str()))
                .filter(|_| !updated(name));
            picks.push(match previous {
                Some(r) => from_old(*r),
                None if fresh.is_some() => (1, row),
                None => (2, 0),
            });
        }
        arrays.push(interleave(&sources, &picks).map_err(|e| format!("column `{name}`: {e}"))?);
    }
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| Field::new(n, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    RecordBatch::try_new(schema, arrays).map_err(|e| e.to_string())
}
