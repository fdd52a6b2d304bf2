//! Built tables as the engine hands them out, and their values as Redshift prints them.

use datafusion::arrow::array::ArrayRef;
pub use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;

/// One value as Redshift prints it; empty for NULL.
pub fn display_value(array: &ArrayRef, row: usize) -> String {
    ScalarValue::try_from_array(array, row)
        .ok()
        .and_then(|v| crate::redshift::functions::to_text(&v).ok().flatten())
        .unwrap_or_default()
}
