//! Redshift's SUPER values, as far as modelplay runs them: a SUPER is held as its JSON text
//! in a `LargeUtf8` column. The distinct Arrow type is what tells a SUPER from a VARCHAR that
//! happens to hold JSON (`array(array(1))` nests an array, `array('[1]')` holds a string);
//! nothing else in the engine makes `LargeUtf8` columns. Functions: `json_parse`,
//! `json_serialize`, `json_typeof`, `json_size`, the `is_*` tests, `array`, `array_concat`,
//! `array_flatten`, `get_array_length`, `subarray`, `split_to_array`. Navigation into a
//! SUPER (`c.orders[0].id`) is not run.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;

use super::{RowUdf, int, text, to_text};

/// The Arrow type a SUPER value has here.
pub const SUPER: DataType = DataType::LargeUtf8;

fn super_value(v: Option<Value>) -> ScalarValue {
    ScalarValue::LargeUtf8(v.map(|v| v.to_string()))
}

/// A SUPER argument's JSON; `None` for NULL.
fn json_of(v: &ScalarValue) -> Result<Option<Value>> {
    match v {
        ScalarValue::LargeUtf8(Some(s)) => match serde_json::from_str(s) {
            Ok(v) => Ok(Some(v)),
            Err(e) => exec_err!("a SUPER value is not valid JSON: {e}"),
        },
        v if v.is_null() => Ok(None),
        other => Ok(Some(element(other)?)),
    }
}

/// Any value as an element of a SUPER array: numbers as numbers, SUPER as itself, the rest
/// as text.
fn element(v: &ScalarValue) -> Result<Value> {
    Ok(match v {
        v if v.is_null() => Value::Null,
        ScalarValue::LargeUtf8(Some(_)) => json_of(v)?.unwrap_or(Value::Null),
        ScalarValue::Boolean(Some(b)) => Value::Bool(*b),
        ScalarValue::Int8(Some(n)) => Value::from(*n),
        ScalarValue::Int16(Some(n)) => Value::from(*n),
        ScalarValue::Int32(Some(n)) => Value::from(*n),
        ScalarValue::Int64(Some(n)) => Value::from(*n),
        ScalarValue::Float64(Some(f)) => Value::from(*f),
        ScalarValue::Decimal128(..) => {
            let t = to_text(v)?.unwrap_or_default();
            serde_json::from_str(&t).unwrap_or(Value::String(t))
        }
        other => Value::String(to_text(other)?.unwrap_or_default()),
    })
}

fn typeof_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, out)),
        other => out.push(other),
    }
}

fn array_arg(v: &ScalarValue, function: &str) -> Result<Option<Vec<Value>>> {
    match json_of(v)? {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(_) => exec_err!("{function} takes a SUPER array"),
    }
}

fn test_udf(name: &str, test: fn(&Value) -> bool) -> ScalarUDF {
    RowUdf::udf(
        name,
        1..=1,
        |_| Ok(DataType::Boolean),
        move |a| Ok(ScalarValue::Boolean(json_of(&a[0])?.map(|v| test(&v)))),
    )
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    vec![
        RowUdf::udf(
            "json_parse",
            1..=1,
            |_| Ok(SUPER),
            |a| {
                let Some(s) = text(&a[0]) else {
                    return Ok(super_value(None));
                };
                match serde_json::from_str::<Value>(&s) {
                    Ok(v) => Ok(super_value(Some(v))),
                    Err(e) => exec_err!("json_parse: invalid JSON: {e}"),
                }
            },
        ),
        RowUdf::udf(
            "json_serialize",
            1..=1,
            |_| Ok(DataType::Utf8),
            |a| Ok(ScalarValue::Utf8(json_of(&a[0])?.map(|v| v.to_string()))),
        ),
        RowUdf::udf(
            "json_typeof",
            1..=1,
            |_| Ok(DataType::Utf8),
            |a| {
                Ok(ScalarValue::Utf8(
                    json_of(&a[0])?.map(|v| typeof_name(&v).to_string()),
                ))
            },
        ),
        RowUdf::udf(
            "json_size",
            1..=1,
            |_| Ok(DataType::Int64),
            |a| {
                Ok(ScalarValue::Int64(
                    json_of(&a[0])?.and_then(|v| i64::try_from(v.to_string().len()).ok()),
                ))
            },
        ),
        test_udf("is_array", Value::is_array),
        test_udf("is_object", Value::is_object),
        test_udf("is_scalar", |v| !v.is_array() && !v.is_object()),
        test_udf("is_varchar", Value::is_string),
        test_udf("is_boolean", Value::is_boolean),
        test_udf("is_integer", |v| {
            v.as_i64().is_some_and(|n| i32::try_from(n).is_ok())
        }),
        test_udf("is_bigint", |v| v.is_i64() || v.is_u64()),
        test_udf("is_float", Value::is_f64),
        RowUdf::udf(
            "array",
            0..=1024,
            |_| Ok(SUPER),
            |a| {
                let items = a.iter().map(element).collect::<Result<Vec<_>>>()?;
                Ok(super_value(Some(Value::Array(items))))
            },
        ),
        RowUdf::udf(
            "array_concat",
            2..=2,
            |_| Ok(SUPER),
            |a| {
                let (Some(mut x), Some(y)) = (
                    array_arg(&a[0], "array_concat")?,
                    array_arg(&a[1], "array_concat")?,
                ) else {
                    return Ok(super_value(None));
                };
                x.extend(y);
                Ok(super_value(Some(Value::Array(x))))
            },
        ),
        RowUdf::udf(
            "array_flatten",
            1..=1,
            |_| Ok(SUPER),
            |a| {
                let Some(items) = array_arg(&a[0], "array_flatten")? else {
                    return Ok(super_value(None));
                };
                let mut out = Vec::new();
                items.into_iter().for_each(|i| flatten(i, &mut out));
                Ok(super_value(Some(Value::Array(out))))
            },
        ),
        RowUdf::udf(
            "get_array_length",
            1..=1,
            |_| Ok(DataType::Int64),
            |a| {
                Ok(ScalarValue::Int64(
                    array_arg(&a[0], "get_array_length")?.and_then(|v| i64::try_from(v.len()).ok()),
                ))
            },
        ),
        RowUdf::udf(
            "subarray",
            2..=3,
            |_| Ok(SUPER),
            |a| {
                let Some(items) = array_arg(&a[0], "subarray")? else {
                    return Ok(super_value(None));
                };
                let start = usize::try_from(int(&a[1])?.unwrap_or(0)).unwrap_or(0);
                let len = match a.get(2) {
                    Some(l) => usize::try_from(int(l)?.unwrap_or(0)).unwrap_or(0),
                    None => usize::MAX,
                };
                let out: Vec<Value> = items.into_iter().skip(start).take(len).collect();
                Ok(super_value(Some(Value::Array(out))))
            },
        ),
        RowUdf::udf(
            "split_to_array",
            1..=2,
            |_| Ok(SUPER),
            |a| {
                let Some(s) = text(&a[0]) else {
                    return Ok(super_value(None));
                };
                let delim = a.get(1).and_then(text).unwrap_or_else(|| ",".to_string());
                let parts: Vec<Value> = if delim.is_empty() {
                    vec![Value::String(s)]
                } else {
                    s.split(delim.as_str())
                        .map(|p| Value::String(p.to_string()))
                        .collect()
                };
                Ok(super_value(Some(Value::Array(parts))))
            },
        ),
    ]
}
