//! Snapshots as dbt defines them (SCD type 2): the `timestamp` and `check` strategies,
//! `unique_key` (a column, an expression or a list), `hard_deletes` (`ignore`, `invalidate`,
//! `new_record`, and the older `invalidate_hard_deletes`), `dbt_valid_to_current` and
//! `snapshot_meta_column_names`.
//!
//! The snapshot query runs with helper columns (each key, the `updated_at` value) computed
//! by SQL; the merge with the existing table is done row by row here, following dbt's
//! snapshot macros: a changed row closes the current version (`dbt_valid_to` = the new
//! `updated_at`) and inserts a new one; `dbt_scd_id` is
//! `md5(coalesce(cast(key as varchar), '') || '|' || coalesce(cast(updated_at as varchar), ''))`
//! with values printed as Redshift prints them.

use chrono::NaiveDateTime;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use md5::{Digest, Md5};

use super::rows::{Rows, key_text, text_of};
use crate::project::resolved::{HardDeletes, Snapshot, SnapshotStrategy};
use crate::redshift::functions::format_timestamp;

const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);
pub const KEY_PREFIX: &str = "__mp_key_";
const UPDATED_AT: &str = "__mp_updated_at";
const VALID_TO_CURRENT: &str = "__mp_valid_to_current";

/// How the run builds a snapshot: the resolved config, and the SQL helpers the row-by-row
/// merge needs.
impl Snapshot {
    /// The snapshot query (a CTE named `snapshot_query`) with the helper columns added.
    pub fn staging_select(&self) -> String {
        let mut cols: Vec<String> = self
            .unique_key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} as {KEY_PREFIX}{i}"))
            .collect();
        cols.push(format!(
            "cast({} as timestamp) as {UPDATED_AT}",
            self.updated_at()
        ));
        if let Some(v) = &self.valid_to_current {
            cols.push(format!("cast({v} as timestamp) as {VALID_TO_CURRENT}"));
        }
        format!(
            "with snapshot_query as (select 1) select *, {} from snapshot_query",
            cols.join(", ")
        )
    }

    /// The helper columns added to the existing snapshot table, to find its keys.
    pub fn existing_select(&self, relation: &str) -> String {
        let cols: Vec<String> = self
            .unique_key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} as {KEY_PREFIX}{i}"))
            .collect();
        format!("select *, {} from {relation}", cols.join(", "))
    }
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn ts(t: Option<NaiveDateTime>) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(t.map(|t| t.and_utc().timestamp_micros()), None)
}

fn as_time(v: &ScalarValue) -> Option<NaiveDateTime> {
    match v {
        ScalarValue::TimestampMicrosecond(Some(n), _) => {
            chrono::DateTime::from_timestamp_micros(*n).map(|d| d.naive_utc())
        }
        ScalarValue::TimestampNanosecond(Some(n), _) => {
            Some(chrono::DateTime::from_timestamp_nanos(*n).naive_utc())
        }
        _ => None,
    }
}

fn is_helper(name: &str) -> bool {
    name.starts_with("__mp_")
}

/// One staged row, with what the merge needs from it.
struct Staged<'a> {
    key: String,
    updated_at: Option<NaiveDateTime>,
    row: &'a [ScalarValue],
}

/// Merges the staged snapshot query into the existing snapshot table (or builds it the
/// first time), at `now`, the snapshot's run time.
pub fn merge(
    config: &Snapshot,
    staged: &Rows,
    existing: Option<&Rows>,
    now: NaiveDateTime,
) -> Result<Rows, String> {
    let key_cols: Vec<usize> = (0..config.unique_key.len())
        .map(|i| staged.index(&format!("{KEY_PREFIX}{i}")))
        .collect::<Option<_>>()
        .ok_or("the snapshot query lost its key columns")?;
    let updated_col = staged
        .index(UPDATED_AT)
        .ok_or("the snapshot query lost updated_at")?;
    let valid_to_current = staged
        .index(VALID_TO_CURRENT)
        .and_then(|i| staged.rows.first().map(|r| r[i].clone()))
        .unwrap_or(ScalarValue::TimestampMicrosecond(None, None));
    let staged_data: Vec<(usize, &String, &DataType)> = staged
        .columns
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| !is_helper(n))
        .map(|(i, (n, t))| (i, n, t))
        .collect();
    let meta = config.names.columns(config.hard_deletes);

    // Output columns: the table's data columns, then any the query added since.
    let mut columns: Vec<(String, DataType)> = match existing {
        Some(table) => table
            .columns
            .iter()
            .filter(|(n, _)| !is_helper(n) && !meta.contains(&n.as_str()))
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    for (_, name, ty) in &staged_data {
        if !columns.iter().any(|(n, _)| n == *name) {
            columns.push(((*name).clone(), (*ty).clone()));
        }
    }
    let data_width = columns.len();
    columns.push((config.names.scd_id.clone(), DataType::Utf8));
    columns.push((config.names.updated_at.clone(), TIMESTAMP));
    columns.push((config.names.valid_from.clone(), TIMESTAMP));
    columns.push((config.names.valid_to.clone(), TIMESTAMP));
    if config.hard_deletes == HardDeletes::NewRecord {
        columns.push((config.names.is_deleted.clone(), DataType::Utf8));
    }
    let col = |name: &str| columns.iter().position(|(n, _)| n == name);
    let (scd, upd, from, to) = (
        col(&config.names.scd_id).unwrap_or(data_width),
        col(&config.names.updated_at).unwrap_or(data_width + 1),
        col(&config.names.valid_from).unwrap_or(data_width + 2),
        col(&config.names.valid_to).unwrap_or(data_width + 3),
    );
    let deleted_col =
        col(&config.names.is_deleted).filter(|_| config.hard_deletes == HardDeletes::NewRecord);

    let new_row =
        |data: &[ScalarValue], key: &str, updated: Option<NaiveDateTime>, deleted: bool| {
            let mut row = vec![ScalarValue::Null; columns.len()];
            for (i, v) in data.iter().enumerate().take(data_width) {
                row[i] = v.clone();
            }
            let updated_text = updated.map(|t| format_timestamp(&t)).unwrap_or_default();
            row[scd] = ScalarValue::Utf8(Some(md5_hex(&format!("{key}|{updated_text}"))));
            row[upd] = ts(updated);
            row[from] = ts(updated);
            row[to] = valid_to_current.clone();
            if let Some(d) = deleted_col {
                row[d] = ScalarValue::Utf8(Some(if deleted { "True" } else { "False" }.into()));
            }
            row
        };
    // A staged row laid out in the output's data columns.
    let staged_data_row = |row: &[ScalarValue]| -> Vec<ScalarValue> {
        columns[..data_width]
            .iter()
            .map(|(name, _)| {
                staged_data
                    .iter()
                    .find(|(_, n, _)| *n == name)
                    .map_or(ScalarValue::Null, |(i, _, _)| row[*i].clone())
            })
            .collect()
    };

    let staged_rows: Vec<Staged> = staged
        .rows
        .iter()
        .map(|row| Staged {
            key: key_text(&key_cols.iter().map(|i| &row[*i]).collect::<Vec<_>>()),
            updated_at: as_time(&row[updated_col]),
            row,
        })
        .collect();

    let Some(table) = existing else {
        let rows = staged_rows
            .iter()
            .map(|s| new_row(&staged_data_row(s.row), &s.key, s.updated_at, false))
            .collect();
        return Ok(Rows { columns, rows });
    };

    // The existing table, laid out in the output columns.
    let existing_key_cols: Vec<usize> = (0..config.unique_key.len())
        .map(|i| table.index(&format!("{KEY_PREFIX}{i}")))
        .collect::<Option<_>>()
        .ok_or("the snapshot table lost its key columns")?;
    let mut rows: Vec<Vec<ScalarValue>> = Vec::new();
    let mut row_keys: Vec<String> = Vec::new();
    for r in &table.rows {
        let laid: Vec<ScalarValue> = columns
            .iter()
            .map(|(name, _)| {
                table
                    .index(name)
                    .map_or(ScalarValue::Null, |i| r[i].clone())
            })
            .collect();
        row_keys.push(key_text(
            &existing_key_cols.iter().map(|i| &r[*i]).collect::<Vec<_>>(),
        ));
        rows.push(laid);
    }
    let current_marker = text_of(&valid_to_current);
    let is_current = |row: &[ScalarValue]| text_of(&row[to]) == current_marker;
    let is_deletion = |row: &[ScalarValue]| {
        deleted_col.is_some_and(|d| text_of(&row[d]).as_deref() == Some("True"))
    };
    let mut current: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        if is_current(row) {
            current.insert(row_keys[i].clone(), i);
        }
    }
    let check_cols: Vec<usize> = match &config.strategy {
        SnapshotStrategy::Check {
            columns: Some(cols),
        } => cols.iter().filter_map(|c| col(c)).collect(),
        SnapshotStrategy::Check { columns: None } => {
            staged_data.iter().filter_map(|(_, n, _)| col(n)).collect()
        }
        SnapshotStrategy::Timestamp { .. } => Vec::new(),
    };
    let mut inserts: Vec<Vec<ScalarValue>> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for s in &staged_rows {
        seen.insert(&s.key);
        let data = staged_data_row(s.row);
        match current.get(&s.key) {
            None => inserts.push(new_row(&data, &s.key, s.updated_at, false)),
            Some(&i) => {
                let changed = is_deletion(&rows[i])
                    || match config.strategy {
                        SnapshotStrategy::Timestamp { .. } => {
                            match (as_time(&rows[i][from]), s.updated_at) {
                                (Some(valid_from), Some(updated)) => valid_from < updated,
                                _ => false,
                            }
                        }
                        // A NULL on exactly one side counts as a change.
                        SnapshotStrategy::Check { .. } => check_cols
                            .iter()
                            .any(|c| text_of(&rows[i][*c]) != text_of(&data[*c])),
                    };
                if changed {
                    rows[i][to] = ts(s.updated_at);
                    inserts.push(new_row(&data, &s.key, s.updated_at, false));
                }
            }
        }
    }
    if config.hard_deletes != HardDeletes::Ignore {
        let mut gone: Vec<(&String, usize)> = current
            .iter()
            .filter(|(k, i)| !seen.contains(k.as_str()) && !is_deletion(&rows[**i]))
            .map(|(k, i)| (k, *i))
            .collect();
        gone.sort_by_key(|(_, i)| *i);
        for (key, i) in gone {
            rows[i][to] = ts(Some(now));
            if config.hard_deletes == HardDeletes::NewRecord {
                let data: Vec<ScalarValue> = rows[i][..data_width].to_vec();
                let mut record = new_row(&data, key, Some(now), true);
                // dbt hashes the deleted version's scd id with the time, not the key.
                let previous = text_of(&rows[i][scd]).unwrap_or_default();
                record[scd] = ScalarValue::Utf8(Some(md5_hex(&format!(
                    "{previous}|{}",
                    format_timestamp(&now)
                ))));
                inserts.push(record);
            }
        }
    }
    rows.extend(inserts);
    Ok(Rows { columns, rows })
}
