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

/// The first value of the first row as a count: a test's `fail_calc` result. NULL (no rows
/// to count over) is none, as dbt reads it; a fraction is cut to its whole part.
pub fn first_count(batches: &[RecordBatch]) -> u64 {
    let Some(b) = batches
        .iter()
        .find(|b| b.num_rows() > 0 && b.num_columns() > 0)
    else {
        return 0;
    };
    display_value(b.column(0), 0)
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map_or(0, |n| n.trunc() as u64)
}
