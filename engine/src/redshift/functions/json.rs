//! Redshift's JSON text functions: `json_extract_path_text`, `json_extract_array_element_text`,
//! `json_array_length`, `is_valid_json` (objects only) and `is_valid_json_array`. A path
//! that finds nothing is NULL; invalid JSON is an error unless the last argument,
//! `null_if_invalid`, is true.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;

use super::{RowUdf, int, text};

/// The arguments after the document, and whether the last one asks for NULL on invalid JSON.
fn trailing_flag(a: &[ScalarValue]) -> (&[ScalarValue], bool) {
    match a.split_last() {
        Some((ScalarValue::Boolean(b), rest)) if a.len() > 1 => (rest, b.unwrap_or(false)),
        _ => (a, false),
    }
}

/// The document parsed, `Ok(None)` for NULL (a NULL document, or invalid JSON when asked).
fn document(v: &ScalarValue, null_if_invalid: bool) -> Result<Option<Value>> {
    let Some(doc) = text(v) else {
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

fn extract_path_text(a: &[ScalarValue]) -> Result<ScalarValue> {
    let (args, null_if_invalid) = trailing_flag(a);
    let Some(value) = document(&args[0], null_if_invalid)? else {
        return Ok(ScalarValue::Utf8(None));
    };
    let mut cur = &value;
    for k in &args[1..] {
        let Some(k) = text(k) else {
            return Ok(ScalarValue::Utf8(None));
        };
        let next = match cur {
            Value::Object(m) => m.get(&k),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(ScalarValue::Utf8(None)),
        }
    }
    Ok(ScalarValue::Utf8(as_text(cur)))
}

fn extract_array_element_text(a: &[ScalarValue]) -> Result<ScalarValue> {
    let (args, null_if_invalid) = trailing_flag(a);
    let (Some(value), Some(pos)) = (document(&args[0], null_if_invalid)?, int(&args[1])?) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let Value::Array(items) = value else {
        return if null_if_invalid {
            Ok(ScalarValue::Utf8(None))
        } else {
            exec_err!("json_extract_array_element_text: the JSON is not an array")
        };
    };
    let item = usize::try_from(pos).ok().and_then(|i| items.get(i));
    Ok(ScalarValue::Utf8(item.and_then(as_text)))
}

fn array_length(a: &[ScalarValue]) -> Result<ScalarValue> {
    let (args, null_if_invalid) = trailing_flag(a);
    match document(&args[0], null_if_invalid)? {
        Some(Value::Array(items)) => Ok(ScalarValue::Int64(i64::try_from(items.len()).ok())),
        Some(_) if !null_if_invalid => exec_err!("json_array_length: the JSON is not an array"),
        _ => Ok(ScalarValue::Int64(None)),
    }
}

fn is_valid(a: &[ScalarValue], array: bool) -> ScalarValue {
    ScalarValue::Boolean(text(&a[0]).map(|s| {
        matches!(
            (serde_json::from_str::<Value>(&s), array),
            (Ok(Value::Object(_)), false) | (Ok(Value::Array(_)), true)
        )
    }))
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    vec![
        RowUdf::udf(
            "json_extract_path_text",
            2..=64,
            |_| Ok(DataType::Utf8),
            extract_path_text,
        ),
        RowUdf::udf(
            "json_extract_array_element_text",
            2..=3,
            |_| Ok(DataType::Utf8),
            extract_array_element_text,
        ),
        RowUdf::udf(
            "json_array_length",
            1..=2,
            |_| Ok(DataType::Int64),
            array_length,
        ),
        RowUdf::udf(
            "is_valid_json",
            1..=1,
            |_| Ok(DataType::Boolean),
            |a| Ok(is_valid(a, false)),
        ),
        RowUdf::udf(
            "is_valid_json_array",
            1..=1,
            |_| Ok(DataType::Boolean),
            |a| Ok(is_valid(a, true)),
        ),
        RowUdf::udf(
            "can_json_parse",
            1..=1,
            |_| Ok(DataType::Boolean),
            |a| {
                Ok(ScalarValue::Boolean(
                    text(&a[0]).map(|s| serde_json::from_str::<Value>(&s).is_ok()),
                ))
            },
        ),
    ]
}
