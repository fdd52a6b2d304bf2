//! Parquet sample loads. Columns keep the types the file gives them, as the Redshift types
//! COPY would load them into, and get the same snake_case names as CSV headers.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::{CastOptions, cast_with_options, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::FormatOptions;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::parquet_to_arrow_schema;
use parquet::file::FOOTER_SIZE;
use parquet::file::metadata::{FooterTail, ParquetMetaDataReader};

use crate::data::csv::normalized_headers;
use crate::diagnostic::{Code, Diagnostic, Location};

/// Whether `path` names a Parquet file.
pub fn is_parquet(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".parquet")
}

/// The file's columns (normalised names, engine types), decoded from its footer alone: the
/// check asks on every typing pause, so the rest of the file is neither read nor copied.
pub fn schema(file: &str, bytes: &[u8]) -> Result<SchemaRef, Diagnostic> {
    let damaged = || unreadable(file, &"the file ends before its footer");
    let tail_at = bytes.len().checked_sub(FOOTER_SIZE).ok_or_else(damaged)?;
    let tail: &[u8; FOOTER_SIZE] = bytes
        .get(tail_at..)
        .and_then(|t| t.try_into().ok())
        .ok_or_else(damaged)?;
    let tail = FooterTail::try_new(tail).map_err(|e| unreadable(file, &e))?;
    let metadata_at = tail_at
        .checked_sub(tail.metadata_length())
        .ok_or_else(damaged)?;
    let metadata = ParquetMetaDataReader::decode_metadata(
        bytes.get(metadata_at..tail_at).ok_or_else(damaged)?,
    )
    .map_err(|e| unreadable(file, &e))?;
    let meta = metadata.file_metadata();
    let file_schema = parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata())
        .map_err(|e| unreadable(file, &e))?;
    engine_schema(file, &file_schema, &|_| None)
}

/// Reads the whole file into one batch. `types` gives declared types by normalised column
/// name; `extra` appends a timestamp column holding one value (the load time).
pub fn read(
    file: &str,
    bytes: &[u8],
    types: &dyn Fn(&str) -> Option<DataType>,
    extra: Option<(&str, i64)>,
) -> Result<RecordBatch, Diagnostic> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(bytes))
        .map_err(|e| unreadable(file, &e))?;
    let file_schema = builder.schema().clone();
    let target = engine_schema(file, &file_schema, types)?;
    let reader = builder.build().map_err(|e| unreadable(file, &e))?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(file, &e))?;
    let whole = concat_batches(&file_schema, &batches).map_err(|e| unreadable(file, &e))?;
    let strict = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    let mut fields: Vec<Field> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (column, field) in whole.columns().iter().zip(target.fields()) {
        let array = cast_with_options(column, field.data_type(), &strict).map_err(|e| {
            Diagnostic::error(
                Code::Data,
                Location::file(file),
                format!(
                    "column `{}`: cannot read the file's {} values as {}: {e}",
                    field.name(),
                    column.data_type(),
                    field.data_type()
                ),
            )
            .with_hint("change the column's data_type in the sources YAML to match the file")
        })?;
        arrays.push(array);
        fields.push(field.as_ref().clone());
    }
    if let Some((name, micros)) = extra.filter(|(n, _)| !fields.iter().any(|f| f.name() == n)) {
        let (field, array) = crate::data::typed::load_time_column(name, micros, whole.num_rows());
        fields.push(field);
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| Diagnostic::error(Code::Data, Location::file(file), e.to_string()))
}

/// The file's schema with normalised names, and a declared type where there is one.
fn engine_schema(
    file: &str,
    file_schema: &Schema,
    types: &dyn Fn(&str) -> Option<DataType>,
) -> Result<SchemaRef, Diagnostic> {
    let raw: Vec<String> = file_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let names = normalized_headers(&raw);
    let mut fields = Vec::new();
    for (name, field) in names.iter().zip(file_schema.fields()) {
        let ty = match types(name) {
            Some(t) => t,
            None => engine_type(field.data_type()).ok_or_else(|| {
                Diagnostic::error(
                    Code::Data,
                    Location::file(file),
                    format!(
                        "column `{name}` is {}, which the playground cannot load",
                        field.data_type()
                    ),
                )
                .with_hint(
                    "write the sample with scalar columns (nested Parquet loads into SUPER in \
                     Redshift, which the playground does not run)",
                )
            })?,
        };
        fields.push(Field::new(name, ty, true));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// The Redshift column type COPY would load a Parquet column into, as its Arrow type.
fn engine_type(t: &DataType) -> Option<DataType> {
    Some(match t {
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => DataType::Int16,
        DataType::Int32 | DataType::UInt16 => DataType::Int32,
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => DataType::Int64,
        DataType::Float16 | DataType::Float32 => DataType::Float32,
        DataType::Float64 => DataType::Float64,
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => DataType::Decimal128(*p, *s),
        DataType::Decimal128(p, s) => DataType::Decimal128(*p, *s),
        DataType::Decimal256(p, s) if *p <= 38 => DataType::Decimal128(*p, *s),
        DataType::Boolean => DataType::Boolean,
        DataType::Date32 | DataType::Date64 => DataType::Date32,
        DataType::Timestamp(_, _) => DataType::Timestamp(TimeUnit::Microsecond, None),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            DataType::Utf8
        }
        DataType::Dictionary(_, value) => return engine_type(value),
        _ => return None,
    })
}

fn unreadable(file: &str, e: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        Code::Data,
        Location::file(file),
        format!("cannot read this Parquet file: {e}"),
    )
    .with_hint("check that the file is whole and was written as Parquet")
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Array, Date32Array, Float64Array, Int32Array, StringArray, TimestampMicrosecondArray,
        TimestampNanosecondArray,
    };
    use parquet::arrow::ArrowWriter;

    fn parquet_bytes(batch: &RecordBatch) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
        writer.write(batch).unwrap();
        writer.close().unwrap();
        out
    }

    fn sample() -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("LeadId", DataType::Int32, true),
            Field::new("Amount", DataType::Float64, true),
            Field::new("Status Name", DataType::Utf8, true),
            Field::new(
                "CreatedAt",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                true,
            ),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int32Array::from(vec![Some(1), Some(2), None])),
                Arc::new(Float64Array::from(vec![Some(1.5), None, Some(3.0)])),
                Arc::new(StringArray::from(vec![Some("Open"), Some("Closé"), None])),
                Arc::new(
                    TimestampNanosecondArray::from(vec![
                        Some(1_714_521_600_000_000_000),
                        None,
                        Some(0),
                    ])
                    .with_timezone("UTC"),
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn reads_names_and_types_as_the_engine_runs_them() {
        let bytes = parquet_bytes(&sample());
        let batch = read("data/crm/leads/2024-05-01.parquet", &bytes, &|_| None, None).unwrap();
        let names: Vec<&str> = batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(names, ["lead_id", "amount", "status_name", "created_at"]);
        let ids = batch
            .column(0)
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        assert_eq!(ids.iter().collect::<Vec<_>>(), [Some(1), Some(2), None]);
        let status = batch
            .column(2)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(status.value(1), "Closé");
        let created = batch
            .column(3)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!(created.value(0), 1_714_521_600_000_000);
        assert!(created.is_null(1));
    }

    #[test]
    fn declared_types_win_and_the_load_time_is_appended() {
        let bytes = parquet_bytes(&sample());
        let batch = read(
            "x.parquet",
            &bytes,
            &|n| (n == "created_at").then_some(DataType::Date32),
            Some(("_fivetran_synced", 7)),
        )
        .unwrap();
        let dates = batch
            .column(3)
            .as_any()
            .downcast_ref::<Date32Array>()
            .unwrap();
        assert_eq!(dates.value(0), 19_844);
        assert_eq!(batch.num_columns(), 5);
        assert_eq!(batch.schema().field(4).name(), "_fivetran_synced");
    }

    #[test]
    fn a_value_that_does_not_fit_the_declared_type_names_the_column() {
        let bytes = parquet_bytes(&sample());
        let err = read(
            "data/crm/leads/2024-05-01.parquet",
            &bytes,
            &|n| (n == "status_name").then_some(DataType::Int64),
            None,
        )
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("data/crm/leads/2024-05-01.parquet"), "{text}");
        assert!(text.contains("column `status_name`"), "{text}");
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_panic() {
        let bytes = parquet_bytes(&sample());
        let cut = &bytes[..bytes.len() / 2];
        let err = read("cut.parquet", cut, &|_| None, None).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read this Parquet file"));
        assert!(schema("cut.parquet", cut).is_err());
        assert!(schema("cut.parquet", b"not parquet").is_err());
        assert!(schema("cut.parquet", b"PAR1").is_err());
    }

    #[test]
    fn the_schema_comes_from_the_footer() {
        let bytes = parquet_bytes(&sample());
        let s = schema("x.parquet", &bytes).unwrap();
        let read = read("x.parquet", &bytes, &|_| None, None).unwrap();
        assert_eq!(s, read.schema());
        assert_eq!(s.field(0).data_type(), &DataType::Int32);
        assert_eq!(s.field(3).name(), "created_at");
    }
}
