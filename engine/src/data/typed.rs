//! CSV sample loads and seeds as typed Arrow record batches: the declared or inferred type of
//! each column, dates and timestamps as Redshift reads them.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int64Array,
    StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::record_batch::RecordBatchOptions;

use super::csv::{CsvColumns, normalized_headers, read_columns};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::redshift::functions::parse_timestamp;

/// The Arrow type for a Redshift type name, as declared in YAML or `column_types`.
pub fn arrow_type(redshift: &str) -> Option<DataType> {
    let t = redshift.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    Some(match base {
        "smallint" | "int2" | "integer" | "int" | "int4" | "bigint" | "int8" => DataType::Int64,
        "real" | "float4" => DataType::Float32,
        "float" | "float8" | "double precision" => DataType::Float64,
        // Redshift's NUMERIC is exact: DECIMAL(p, s), with precision 18 and scale 0 when
        // the type gives none.
        "numeric" | "decimal" => {
            let args: Vec<u8> = t
                .split_once('(')
                .map(|(_, rest)| rest.trim_end_matches(')'))
                .unwrap_or("")
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect();
            let (p, s) = match args.as_slice() {
                [] => (18, 0),
                [p] => (*p, 0),
                [p, s, ..] => (*p, *s),
            };
            if p == 0 || p > 38 || s > p {
                return None;
            }
            DataType::Decimal128(p, i8::try_from(s).ok()?)
        }
        "boolean" | "bool" => DataType::Boolean,
        "date" => DataType::Date32,
        "timestamp" | "timestamp without time zone" | "timestamptz" | "datetime" => {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        }
        "varchar" | "character varying" | "text" | "char" | "character" | "bpchar" | "nvarchar"
        | "string" => DataType::Utf8,
        _ => return None,
    })
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// The narrowest type every non-null value fits, as dbt's seed loader infers it.
fn infer(values: &StringArray) -> DataType {
    let present: Vec<&str> = values
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if present.is_empty() {
        return DataType::Utf8;
    }
    // agate reads `001` as the number 1, so dbt seeds a column of them as integers; a seed
    // that must keep its zeros declares the column's type in `column_types`.
    if present.iter().all(|s| s.parse::<i64>().is_ok()) {
        DataType::Int64
    } else if present.iter().all(|s| s.parse::<f64>().is_ok()) {
        DataType::Float64
    } else if present
        .iter()
        .all(|s| matches!(s.to_ascii_lowercase().as_str(), "true" | "false"))
    {
        DataType::Boolean
    } else if present
        .iter()
        .all(|s| s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
    {
        DataType::Date32
    } else if present.iter().all(|s| {
        s.len() >= 16 && s.as_bytes().get(4) == Some(&b'-') && parse_timestamp(s).is_some()
    }) {
        DataType::Timestamp(TimeUnit::Microsecond, None)
    } else {
        DataType::Utf8
    }
}

/// One column of text values as an Arrow array of `ty`; an unreadable value is an error
/// naming its line.
fn column(
    file: &str,
    name: &str,
    values: &StringArray,
    lines: &[u32],
    ty: &DataType,
) -> Result<ArrayRef, Diagnostic> {
    let line = |row: usize| lines.get(row).map_or(row + 2, |l| *l as usize);
    let bad = |row: usize, v: &str| {
        Diagnostic::error(
            Code::Data,
            Location::new(file, line(row), 0),
            format!(
                "column `{name}`: cannot read \"{v}\" as {}",
                crate::redshift::types::redshift_type(ty)
            ),
        )
    };
    // A blank value is NULL for every type but text.
    fn cell(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    Ok(match ty {
        DataType::Int64 => Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    cell(v)
                        .map(|s| s.parse::<i64>().map_err(|_| bad(i, s)))
                        .transpose()
                })
                .collect::<Result<Int64Array, _>>()?,
        ),
        DataType::Float64 => Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    cell(v)
                        .map(|s| s.parse::<f64>().map_err(|_| bad(i, s)))
                        .transpose()
                })
                .collect::<Result<Float64Array, _>>()?,
        ),
        DataType::Float32 => Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    cell(v)
                        .map(|s| s.parse::<f32>().map_err(|_| bad(i, s)))
                        .transpose()
                })
                .collect::<Result<Float32Array, _>>()?,
        ),
        DataType::Decimal128(p, scale) => {
            let target = DataType::Decimal128(*p, *scale);
            let mut out: Vec<Option<i128>> = Vec::new();
            for (i, v) in values.iter().enumerate() {
                let Some(s) = cell(v) else {
                    out.push(None);
                    continue;
                };
                let parsed = datafusion::common::ScalarValue::Utf8(Some(s.to_string()))
                    .cast_to(&target)
                    .ok()
                    .and_then(|d| match d {
                        datafusion::common::ScalarValue::Decimal128(v, ..) => v,
                        _ => None,
                    });
                match parsed {
                    Some(d) => out.push(Some(d)),
                    None => return Err(bad(i, s)),
                }
            }
            Arc::new(
                Decimal128Array::from(out)
                    .with_precision_and_scale(*p, *scale)
                    .map_err(|e| {
                        Diagnostic::error(Code::Data, Location::file(file), e.to_string())
                    })?,
            )
        }
        DataType::Boolean => Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    cell(v)
                        .map(|s| parse_bool(s).ok_or_else(|| bad(i, s)))
                        .transpose()
                })
                .collect::<Result<BooleanArray, _>>()?,
        ),
        DataType::Date32 => Arc::new(dates(file, name, values, &line)?),
        DataType::Timestamp(_, _) => Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    cell(v)
                        .map(|s| {
                            parse_timestamp(s)
                                .map(|t| t.and_utc().timestamp_micros())
                                .ok_or_else(|| bad(i, s))
                        })
                        .transpose()
                })
                .collect::<Result<TimestampMicrosecondArray, _>>()?,
        ),
        _ => Arc::new(values.clone()),
    })
}

fn dates(
    file: &str,
    name: &str,
    values: &StringArray,
    line: &dyn Fn(usize) -> usize,
) -> Result<Date32Array, Diagnostic> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let Some(s) = v.map(str::trim).filter(|s| !s.is_empty()) else {
                return Ok(None);
            };
            parse_timestamp(s)
                .and_then(|t| i32::try_from((t.date() - epoch).num_days()).ok())
                .map(Some)
                .ok_or_else(|| {
                    Diagnostic::error(
                        Code::Data,
                        Location::new(file, line(i), 0),
                        format!("column `{name}`: cannot read \"{s}\" as a date"),
                    )
                })
        })
        .collect()
}

/// Builds a batch from a CSV read column by column. `types` gives declared types by
/// (normalised) column name; other columns are text, or inferred when `infer_types` is set.
pub fn batch_from_csv(
    file: &str,
    table: &CsvColumns,
    types: &dyn Fn(&str) -> Option<DataType>,
    infer_types: bool,
    extra: Option<(&str, i64)>,
) -> Result<RecordBatch, Diagnostic> {
    let names = normalized_headers(&table.headers);
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, values) in names.iter().zip(&table.columns) {
        let ty = types(name).unwrap_or_else(|| {
            if infer_types {
                infer(values)
            } else {
                DataType::Utf8
            }
        });
        arrays.push(column(file, name, values, &table.lines, &ty)?);
        fields.push(Field::new(name, ty, true));
    }
    // A file that already has the loader's column keeps its own values, as the warehouse's
    // table would.
    if let Some((name, micros)) = extra.filter(|(n, _)| !names.iter().any(|c| c == n)) {
        let (field, array) = load_time_column(name, micros, table.lines.len());
        fields.push(field);
        arrays.push(array);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(table.lines.len()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .map_err(|e| Diagnostic::error(Code::Data, Location::file(file), e.to_string()))
}

/// The loader's column (`_fivetran_synced` by default): the moment the load landed, on
/// every row.
pub fn load_time_column(name: &str, micros: i64, rows: usize) -> (Field, ArrayRef) {
    (
        Field::new(name, DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Arc::new(TimestampMicrosecondArray::from(vec![Some(micros); rows])),
    )
}

/// Reads a CSV file into a batch, with warnings for recoverable problems.
pub fn read_csv(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
    types: &dyn Fn(&str) -> Option<DataType>,
    infer_types: bool,
    extra: Option<(&str, i64)>,
) -> Result<(RecordBatch, Vec<Diagnostic>), Diagnostic> {
    let (table, warnings) = read_columns(file, bytes, delimiter)?;
    let batch = batch_from_csv(file, &table, types, infer_types, extra)?;
    Ok((batch, warnings))
}
