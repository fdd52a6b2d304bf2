//! Values as the merges of snapshots and incremental models compare them: as text, the way
//! dbt's SQL casts them to varchar.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;

use crate::redshift::functions::to_text;

/// A value as Redshift's `cast(x as varchar)` prints it; `None` for NULL.
pub fn text_of(v: &ScalarValue) -> Option<String> {
    to_text(v).ok().flatten()
}

/// Each row's key: the values of columns `cols` of `batch` joined as dbt's hash joins them,
/// `coalesce(cast(k as varchar), '')` with `|`. Text columns are read in place; other values
/// are printed as Redshift prints them.
pub fn row_keys(batch: &RecordBatch, cols: &[usize]) -> Result<Vec<String>, String> {
    let columns: Vec<&ArrayRef> = cols.iter().map(|c| batch.column(*c)).collect();
    let mut keys = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let mut key = String::new();
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                key.push('|');
            }
            if column.is_null(row) {
                continue;
            }
            match column.data_type() {
                DataType::Utf8 => key.push_str(column.as_string::<i32>().value(row)),
                DataType::LargeUtf8 => key.push_str(column.as_string::<i64>().value(row)),
                DataType::Utf8View => key.push_str(column.as_string_view().value(row)),
                _ => {
                    let value =
                        ScalarValue::try_from_array(column, row).map_err(|e| e.to_string())?;
                    key.push_str(&text_of(&value).unwrap_or_default());
                }
            }
        }
        keys.push(key);
    }
    Ok(keys)
}
