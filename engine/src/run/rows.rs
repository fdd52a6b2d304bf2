//! Tables as rows of values, for the merges that snapshots and incremental models do row by
//! row (sample data is small; getting dbt's semantics exactly right matters more).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;

use crate::redshift::functions::to_text;

#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub columns: Vec<(String, DataType)>,
    pub rows: Vec<Vec<ScalarValue>>,
}

impl Rows {
    pub fn from_batches(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Rows, String> {
        let columns = schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        let mut rows = Vec::new();
        for b in batches {
            for i in 0..b.num_rows() {
                let row = (0..b.num_columns())
                    .map(|c| ScalarValue::try_from_array(b.column(c), i).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                rows.push(row);
            }
        }
        Ok(Rows { columns, rows })
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }

    /// Builds one batch; values of another type are cast to the column's type.
    pub fn to_batch(&self) -> Result<(SchemaRef, RecordBatch), String> {
        let schema: SchemaRef = Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|(n, t)| Field::new(n, t.clone(), true))
                .collect::<Vec<_>>(),
        ));
        let mut arrays = Vec::with_capacity(self.columns.len());
        for (c, (name, ty)) in self.columns.iter().enumerate() {
            let values = self
                .rows
                .iter()
                .map(|r| typed(r.get(c).cloned().unwrap_or(ScalarValue::Null), ty))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("column `{name}`: {e}"))?;
            let array = if values.is_empty() {
                datafusion::arrow::array::new_empty_array(ty)
            } else {
                ScalarValue::iter_to_array(values).map_err(|e| e.to_string())?
            };
            arrays.push(array);
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| e.to_string())?;
        Ok((schema, batch))
    }
}

/// `v` as a value of type `ty` (a typed NULL for NULL).
pub fn typed(v: ScalarValue, ty: &DataType) -> Result<ScalarValue, String> {
    if v.is_null() {
        return ScalarValue::try_from(ty).map_err(|e| e.to_string());
    }
    if v.data_type() == *ty {
        return Ok(v);
    }
    v.cast_to(ty).map_err(|e| e.to_string())
}

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
