//! Values as the merges of snapshots and incremental models compare them: as text, the way
//! dbt's SQL casts them to varchar.

use datafusion::common::ScalarValue;

use crate::redshift::functions::to_text;

/// A value as Redshift's `cast(x as varchar)` prints it; `None` for NULL.
pub fn text_of(v: &ScalarValue) -> Option<String> {
    to_text(v).ok().flatten()
}

/// Key values joined as dbt's hash joins them: `coalesce(cast(k as varchar), '')` with `|`.
pub fn key_text(values: &[&ScalarValue]) -> String {
    values
        .iter()
        .map(|v| text_of(v).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("|")
}
