//! The microbatch strategy on the engine: each batch's rows replace the rows of the table
//! whose event time falls in the batch's window, batch after batch, as dbt-redshift's
//! delete and insert do.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;

use crate::project::microbatch::Batch;

/// The rows of `table` outside `batch`'s window of `column` (a NULL event time is in no
/// window: `delete ... where column >= start and column < end` leaves it).
pub fn outside(
    table: &[RecordBatch],
    schema: &SchemaRef,
    column: &str,
    batch: &Batch,
) -> Result<Vec<RecordBatch>, String> {
    let Some(index) = schema
        .fields()
        .iter()
        .position(|f| f.name().eq_ignore_ascii_case(column))
    else {
        return Err(format!(
            "the model has no column `{column}`, its event_time: a batch cannot replace its window"
        ));
    };
    let micros = |t: chrono::NaiveDateTime| t.and_utc().timestamp_micros();
    let (start, end) = (micros(batch.start), micros(batch.end));
    let mut out = Vec::new();
    for b in table {
        let times = cast(
            b.column(index),
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        )
        .map_err(|_| format!("`{column}`, the model's event_time, is not a date or timestamp"))?;
        let Some(times) = times.as_any().downcast_ref::<TimestampMicrosecondArray>() else {
            return Err(format!("`{column}` could not be read as a timestamp"));
        };
        let keep: BooleanArray = (0..times.len())
            .map(|i| Some(times.is_null(i) || times.value(i) < start || times.value(i) >= end))
            .collect();
        out.push(filter_record_batch(b, &keep).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// `batches` laid out in `schema` (a later batch's types cast to the table's), every column
/// nullable, as a table's are.
pub fn conform(
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
) -> Result<(SchemaRef, Vec<RecordBatch>), String> {
    let nullable: SchemaRef = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let mut out = Vec::new();
    for b in batches {
        if b.num_columns() != nullable.fields().len() {
            return Err("a batch gave other columns than the batches before it".into());
        }
        let columns = nullable
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| cast(b.column(i), f.data_type()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(RecordBatch::try_new(nullable.clone(), columns).map_err(|e| e.to_string())?);
    }
    Ok((nullable, out))
}
