//! Redshift's JSON text functions: `json_extract_path_text`, `json_extract_array_element_text`,
//! `json_array_length`, `is_valid_json` (objects only) and `is_valid_json_array`. A path
//! that finds nothing is NULL; invalid JSON is an error unless the last argument,
//! `null_if_invalid`, is true.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;

use super::columns::{Args, ColumnUdf};

/// How many arguments of row `row` come before the flag, and whether the last one,
/// `null_if_invalid`, asks for NULL on invalid JSON.
fn trailing_flag(a: &Args, row: usize) -> (usize, bool) {
    match a.boolean(a.len().saturating_sub(1), row) {
        Some(b) if a.len() > 1 => (a.len() - 1, b.unwrap_or(false)),
        _ => (a.len(), false),
    }
}

/// Row `row`'s document parsed, `Ok(None)` for NULL (a NULL document, or invalid JSON when
/// asked).
fn document(a: &Args, row: usize, null_if_invalid: bool) -> Result<Option<Value>> {
    let Some(doc) = a.text(0, row) else {
        return Ok(None);
    };
    match serde_json::from_str(&doc) {
        Ok(v) => Ok(Some(v)),
        Err(_) if null_if_invalid => Ok(None),
        Err(e) => exec_err!("invalid JSON: {e}"),
    }
}

/// A JSON value as the text functions return it: strings without quotes, NULL for null.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn extract_path_text(a: &Args) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    'rows: for row in 0..a.rows() {
        let (args, null_if_invalid) = trailing_flag(a, row);
        let Some(value) = document(a, row, null_if_invalid)? else {
            out.append_null();
            continue;
        };
        let mut cur = &value;
        for k in 1..args {
            let next = match (a.text(k, row), cur) {
                (Some(k), Value::Object(m)) => m.get(k.as_ref()),
                _ => None,
            };
            match next {
                Some(n) => cur = n,
                None => {
                    out.append_null();
                    continue 'rows;
                }
            }
        }
        out.append_option(as_text(cur));
    }
    Ok(Arc::new(out.finish()))
}

fn extract_array_element_text(a: &Args) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    for row in 0..a.rows() {
        let (_, null_if_invalid) = trailing_flag(a, row);
        let (Some(value), Some(pos)) = (document(a, row, null_if_invalid)?, a.int(1, row)?) else {
            out.append_null();
            continue;
        };
        let Value::Array(items) = value else {
            if null_if_invalid {
                out.append_null();
                continue;
            }
            return exec_err!("json_extract_array_element_text: the JSON is not an array");
        };
        let item = usize::try_from(pos).ok().and_then(|i| items.get(i));
        out.append_option(item.and_then(as_text));
    }
    Ok(Arc::new(out.finish()))
}

fn array_length(a: &Args) -> Result<ArrayRef> {
    let mut out = Int64Builder::with_capacity(a.rows());
    for row in 0..a.rows() {
        let (_, null_if_invalid) = trailing_flag(a, row);
        match document(a, row, null_if_invalid)? {
            Some(Value::Array(items)) => out.append_option(i64::try_from(items.len()).ok()),
            Some(_) if !null_if_invalid => {
                return exec_err!("json_array_length: the JSON is not an array");
            }
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// Whether each row's text parses as JSON and, with `shape`, has that shape.
fn parses(a: &Args, shape: Option<fn(&Value) -> bool>) -> Result<ArrayRef> {
    let mut out = BooleanBuilder::with_capacity(a.rows());
    for row in 0..a.rows() {
        out.append_option(a.text(0, row).map(|s| {
            match (serde_json::from_str::<Value>(&s), shape) {
                (Ok(v), Some(shape)) => shape(&v),
                (Ok(_), None) => true,
                (Err(_), _) => false,
            }
        }));
    }
    Ok(Arc::new(out.finish()))
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    vec![
        ColumnUdf::udf(
            "json_extract_path_text",
            2..=64,
            DataType::Utf8,
            extract_path_text,
        ),
        ColumnUdf::udf(
            "json_extract_array_element_text",
            2..=3,
            DataType::Utf8,
            extract_array_element_text,
        ),
        ColumnUdf::udf("json_array_length", 1..=2, DataType::Int64, array_length),
        ColumnUdf::udf("is_valid_json", 1..=1, DataType::Boolean, |a| {
            parses(a, Some(Value::is_object))
        }),
        ColumnUdf::udf("is_valid_json_array", 1..=1, DataType::Boolean, |a| {
            parses(a, Some(Value::is_array))
        }),
        ColumnUdf::udf("can_json_parse", 1..=1, DataType::Boolean, |a| {
            parses(a, None)
        }),
    ]
}
