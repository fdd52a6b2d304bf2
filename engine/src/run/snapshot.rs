//! Snapshots as dbt defines them (SCD type 2): the `timestamp` and `check` strategies,
//! `unique_key` (a column, an expression or a list), `hard_deletes` (`ignore`, `invalidate`,
//! `new_record`, and the older `invalidate_hard_deletes`), `dbt_valid_to_current` and
//! `snapshot_meta_column_names`.
//!
//! The snapshot query runs with helper columns (each key, the `updated_at` value) computed
//! by SQL; the merge with the existing table is done here, following dbt's snapshot macros: a changed row closes the current version (`dbt_valid_to` = the new
//! `updated_at`) and inserts a new one; `dbt_scd_id` is
//! `md5(coalesce(cast(key as varchar), '') || '|' || coalesce(cast(updated_at as varchar), ''))`
//! with values printed as Redshift prints them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::project::load::hex_md5 as md5_hex;
use chrono::NaiveDateTime;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, StringArray, TimestampMicrosecondArray, new_null_array,
};
use datafusion::arrow::compute::{cast, interleave};
use datafusion::arrow::datatypes::{
    DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;

use super::rows::{row_keys, text_of};
use crate::project::resolved::{HardDeletes, Snapshot, SnapshotStrategy};
use crate::redshift::functions::format_timestamp;

const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);
pub const KEY_PREFIX: &str = "__mp_key_";
const UPDATED_AT: &str = "__mp_updated_at";
const VALID_TO_CURRENT: &str = "__mp_valid_to_current";

/// How the run builds a snapshot: the resolved config, and the SQL helpers the merge needs.
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

fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

fn is_helper(name: &str) -> bool {
    name.starts_with("__mp_")
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A table's column `name` as type `to`, or `None` when the table has no such column.
fn column_as(batch: &RecordBatch, name: &str, to: &DataType) -> Result<Option<ArrayRef>, String> {
    match batch.schema().index_of(name) {
        Ok(i) => Ok(Some(cast(batch.column(i), to).map_err(err)?)),
        Err(_) => Ok(None),
    }
}

/// The value in row `row` of `array` (NULL where the column is missing).
fn value(array: Option<&ArrayRef>, row: usize) -> Result<ScalarValue, String> {
    match array {
        Some(a) => ScalarValue::try_from_array(a, row).map_err(err),
        None => Ok(ScalarValue::Null),
    }
}

/// A timestamp column's values as microseconds.
fn timestamps(array: Option<&ArrayRef>, rows: usize) -> Result<Vec<Option<i64>>, String> {
    let Some(array) = array else {
        return Ok(vec![None; rows]);
    };
    let array = cast(array, &TIMESTAMP).map_err(err)?;
    let array = array.as_primitive::<TimestampMicrosecondType>();
    Ok((0..rows)
        .map(|i| array.is_valid(i).then(|| array.value(i)))
        .collect())
}

/// A text column's values.
fn texts(array: Option<&ArrayRef>, rows: usize) -> Result<Vec<Option<String>>, String> {
    let Some(array) = array else {
        return Ok(vec![None; rows]);
    };
    let array = cast(array, &DataType::Utf8).map_err(err)?;
    let array = array.as_string::<i32>();
    Ok((0..rows)
        .map(|i| array.is_valid(i).then(|| array.value(i).to_string()))
        .collect())
}

/// Where a new version's data columns come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// A row of the snapshot query.
    Staged(usize),
    /// A row of the existing table (a hard delete recorded as a new version).
    Existing(usize),
}

/// A version the merge inserts.
struct Version {
    source: Source,
    scd_id: String,
    updated_at: Option<i64>,
    deleted: bool,
}

/// Merges the staged snapshot query into the existing snapshot table (or builds it the
/// first time), at `now`, the snapshot's run time. Both come in as one batch each; the
/// merge decides row by row which versions close and which are new, then assembles the
/// table column by column.
pub fn merge(
    config: &Snapshot,
    staged: &RecordBatch,
    existing: Option<&RecordBatch>,
    now: NaiveDateTime,
) -> Result<RecordBatch, String> {
    let staged_schema = staged.schema();
    let key_cols: Vec<usize> = (0..config.unique_key.len())
        .map(|i| staged_schema.index_of(&format!("{KEY_PREFIX}{i}")).ok())
        .collect::<Option<_>>()
        .ok_or("the snapshot query lost its key columns")?;
    let updated_col = staged_schema
        .index_of(UPDATED_AT)
        .map_err(|_| "the snapshot query lost updated_at")?;
    let valid_to_current = match staged_schema.index_of(VALID_TO_CURRENT) {
        Ok(i) if staged.num_rows() > 0 => timestamps(Some(staged.column(i)), 1)?
            .first()
            .copied()
            .flatten(),
        _ => None,
    };
    let meta = config.names.columns(config.hard_deletes);

    // Output columns: the table's data columns, then any the query added since.
    let mut columns: Vec<(String, DataType)> = match existing {
        Some(table) => table
            .schema()
            .fields()
            .iter()
            .filter(|f| !is_helper(f.name()) && !meta.contains(&f.name().as_str()))
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect(),
        None => Vec::new(),
    };
    for f in staged_schema.fields() {
        if !is_helper(f.name()) && !columns.iter().any(|(n, _)| n == f.name()) {
            columns.push((f.name().clone(), f.data_type().clone()));
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

    let staged_keys = row_keys(staged, &key_cols)?;
    let staged_updated: Vec<Option<NaiveDateTime>> =
        timestamps(Some(staged.column(updated_col)), staged.num_rows())?
            .into_iter()
            .map(|t| {
                t.and_then(chrono::DateTime::from_timestamp_micros)
                    .map(|d| d.naive_utc())
            })
            .collect();
    let version = |source: Source, key: &str, updated: Option<NaiveDateTime>, deleted: bool| {
        let updated_text = updated.map(|t| format_timestamp(&t)).unwrap_or_default();
        Version {
            source,
            scd_id: md5_hex(&format!("{key}|{updated_text}")),
            updated_at: updated.map(micros),
            deleted,
        }
    };
    // The staged query's value for an output column, by name (helpers are not data).
    let staged_column = |name: &str| -> Option<&ArrayRef> {
        (!is_helper(name))
            .then(|| staged_schema.index_of(name).ok())
            .flatten()
            .map(|i| staged.column(i))
    };

    let empty = RecordBatch::new_empty(staged_schema.clone());
    let table = existing.unwrap_or(&empty);
    let existing_rows = existing.map_or(0, RecordBatch::num_rows);
    let existing_column = |name: &str| -> Option<&ArrayRef> {
        existing.and_then(|t| t.schema().index_of(name).ok().map(|i| t.column(i)))
    };
    let mut versions: Vec<Version> = Vec::new();
    let mut valid_to = timestamps(existing_column(&columns[to].0), existing_rows)?;

    if existing.is_none() {
        for (row, key) in staged_keys.iter().enumerate() {
            versions.push(version(
                Source::Staged(row),
                key,
                staged_updated[row],
                false,
            ));
        }
    } else {
        let existing_key_cols: Vec<usize> = (0..config.unique_key.len())
            .map(|i| table.schema().index_of(&format!("{KEY_PREFIX}{i}")).ok())
            .collect::<Option<_>>()
            .ok_or("the snapshot table lost its key columns")?;
        let existing_keys = row_keys(table, &existing_key_cols)?;
        let valid_from = timestamps(existing_column(&columns[from].0), existing_rows)?;
        let deletions: Vec<bool> = match deleted_col {
            Some(d) => texts(existing_column(&columns[d].0), existing_rows)?
                .iter()
                .map(|t| t.as_deref() == Some("True"))
                .collect(),
            None => vec![false; existing_rows],
        };
        let mut current: HashMap<&str, usize> = HashMap::new();
        for (i, key) in existing_keys.iter().enumerate() {
            if valid_to[i] == valid_to_current {
                current.insert(key, i);
            }
        }
        let check_positions: Vec<usize> = match &config.strategy {
            SnapshotStrategy::Check {
                columns: Some(cols),
            } => cols.iter().filter_map(|c| col(c)).collect(),
            SnapshotStrategy::Check { columns: None } => staged_schema
                .fields()
                .iter()
                .filter(|f| !is_helper(f.name()))
                .filter_map(|f| col(f.name()))
                .collect(),
            SnapshotStrategy::Timestamp { .. } => Vec::new(),
        };
        // Each checked column in the table and in the query (which has only data columns).
        let check_cols: Vec<(Option<&ArrayRef>, Option<&ArrayRef>)> = check_positions
            .iter()
            .map(|c| {
                let name = &columns[*c].0;
                let theirs = (*c < data_width).then(|| staged_column(name)).flatten();
                (existing_column(name), theirs)
            })
            .collect();
        // A value as text, for the check strategy: a NULL on exactly one side is a change.
        let text_at = |array: Option<&ArrayRef>, row: usize| -> Result<Option<String>, String> {
            Ok(text_of(&value(array, row)?))
        };
        let mut seen: HashSet<&str> = HashSet::new();
        for (row, key) in staged_keys.iter().enumerate() {
            seen.insert(key);
            let updated = staged_updated[row];
            let Some(&i) = current.get(key.as_str()) else {
                versions.push(version(Source::Staged(row), key, updated, false));
                continue;
            };
            let changed = deletions[i]
                || match config.strategy {
                    SnapshotStrategy::Timestamp { .. } => match (valid_from[i], updated) {
                        (Some(from), Some(updated)) => from < micros(updated),
                        _ => false,
                    },
                    SnapshotStrategy::Check { .. } => {
                        let mut any = false;
                        for (ours, theirs) in &check_cols {
                            if text_at(*ours, i)? != text_at(*theirs, row)? {
                                any = true;
                                break;
                            }
                        }
                        any
                    }
                };
            if changed {
                valid_to[i] = updated.map(micros);
                versions.push(version(Source::Staged(row), key, updated, false));
            }
        }
        if config.hard_deletes != HardDeletes::Ignore {
            let mut gone: Vec<(&str, usize)> = current
                .iter()
                .filter(|(k, i)| !seen.contains(*k) && !deletions[**i])
                .map(|(k, i)| (*k, *i))
                .collect();
            gone.sort_by_key(|(_, i)| *i);
            let scd_ids = texts(existing_column(&columns[scd].0), existing_rows)?;
            for (key, i) in gone {
                valid_to[i] = Some(micros(now));
                if config.hard_deletes == HardDeletes::NewRecord {
                    let mut record = version(Source::Existing(i), key, Some(now), true);
                    // dbt hashes the deleted version's scd id with the time, not the key.
                    let previous = scd_ids[i].clone().unwrap_or_default();
                    record.scd_id = md5_hex(&format!("{previous}|{}", format_timestamp(&now)));
                    versions.push(record);
                }
            }
        }
    }

    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for (p, (name, ty)) in columns.iter().enumerate() {
        let array: ArrayRef = if p == scd || Some(p) == deleted_col {
            let mut values = texts(existing_column(name), existing_rows)?;
            values.extend(versions.iter().map(|v| {
                if p == scd {
                    Some(v.scd_id.clone())
                } else {
                    Some(if v.deleted { "True" } else { "False" }.to_string())
                }
            }));
            Arc::new(StringArray::from(values))
        } else if p == upd || p == from || p == to {
            let mut values = if p == to {
                valid_to.clone()
            } else {
                timestamps(existing_column(name), existing_rows)?
            };
            values.extend(versions.iter().map(|v| {
                if p == to {
                    valid_to_current
                } else {
                    v.updated_at
                }
            }));
            Arc::new(TimestampMicrosecondArray::from(values))
        } else {
            // Data: existing rows keep theirs; a new version takes the staged row's, or the
            // existing row's for a recorded hard delete.
            let old = column_as(table, name, ty)?;
            let new = if p < data_width {
                match staged_column(name) {
                    Some(a) => Some(cast(a, ty).map_err(err)?),
                    None => None,
                }
            } else {
                None
            };
            let nulls = new_null_array(ty, 1);
            let sources: [&dyn Array; 3] = [
                old.as_deref().unwrap_or(nulls.as_ref()),
                new.as_deref().unwrap_or(nulls.as_ref()),
                nulls.as_ref(),
            ];
            let mut picks: Vec<(usize, usize)> = (0..existing_rows)
                .map(|i| if old.is_some() { (0, i) } else { (2, 0) })
                .collect();
            picks.extend(versions.iter().map(|v| match v.source {
                Source::Staged(_) if p >= data_width => (2, 0),
                Source::Staged(row) if new.is_some() => (1, row),
                Source::Staged(_) => (2, 0),
                Source::Existing(i) if old.is_some() && p < data_width => (0, i),
                Source::Existing(_) => (2, 0),
            }));
            interleave(&sources, &picks).map_err(err)?
        };
        arrays.push(if array.data_type() == ty {
            array
        } else {
            cast(&array, ty).map_err(|e| format!("column `{name}`: {e}"))?
        });
    }
    let schema: SchemaRef = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| Field::new(n, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    RecordBatch::try_new(schema, arrays).map_err(err)
}
