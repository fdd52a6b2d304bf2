//! Redshift's SUPER values, as far as modelplay runs them: a SUPER is held as its JSON text
//! in a `LargeUtf8` column. The distinct Arrow type is what tells a SUPER from a VARCHAR that
//! happens to hold JSON (`array(array(1))` nests an array, `array('[1]')` holds a string);
//! nothing else in the engine makes `LargeUtf8` columns. Functions: `json_parse`,
//! `json_serialize`, `json_typeof`, `json_size`, the `is_*` tests, `array`, `array_concat`,
//! `array_flatten`, `get_array_length`, `subarray`, `split_to_array`. Navigation into a
//! SUPER (`c.orders[0].id`) is not run.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, LargeStringBuilder, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;

use super::columns::{Args, ColumnUdf};
use super::to_text;

/// The Arrow type a SUPER value has here.
pub const SUPER: DataType = DataType::LargeUtf8;

/// Argument `i` of `row` as JSON (`None` for NULL): a SUPER's own value, any other value as
/// an element of a SUPER array.
fn json_at(a: &Args, i: usize, row: usize) -> Result<Option<Value>> {
    if a.data_type(i) == SUPER {
        return a.text(i, row).map(|s| parse_super(&s)).transpose();
    }
    let v = a.value(i, row)?;
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(element(&v)?))
}

/// A SUPER value from the JSON text it is held as.
fn parse_super(s: &str) -> Result<Value> {
    match serde_json::from_str(s) {
        Ok(v) => Ok(v),
        Err(e) => exec_err!("a SUPER value is not valid JSON: {e}"),
    }
}

/// A column of SUPER values.
fn supers(values: impl IntoIterator<Item = Option<Value>>) -> ArrayRef {
    let mut out = LargeStringBuilder::new();
    for v in values {
        out.append_option(v.map(|v| v.to_string()));
    }
    Arc::new(out.finish())
}

/// Argument 0 of every row as JSON, through `f`.
fn each_json<T>(a: &Args, f: impl Fn(Value) -> Result<T>) -> Result<Vec<Option<T>>> {
    (0..a.rows())
        .map(|row| json_at(a, 0, row)?.map(&f).transpose())
        .collect()
}

/// Any value as an element of a SUPER array: numbers as numbers, SUPER as itself, the rest
/// as text.
fn element(v: &ScalarValue) -> Result<Value> {
    Ok(match v {
        v if v.is_null() => Value::Null,
        ScalarValue::LargeUtf8(Some(s)) => parse_super(s)?,
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

/// A SUPER array's elements; anything else is an error naming `function`.
fn array_items(v: Value, function: &str) -> Result<Vec<Value>> {
    match v {
        Value::Array(items) => Ok(items),
        _ => exec_err!("{function} takes a SUPER array"),
    }
}

fn test_udf(name: &str, test: fn(&Value) -> bool) -> ScalarUDF {
    ColumnUdf::udf(name, 1..=1, DataType::Boolean, move |a| {
        let answers = each_json(a, |v| Ok(test(&v)))?;
        Ok(Arc::new(BooleanArray::from(answers)))
    })
}

fn strings(values: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    vec![
        ColumnUdf::udf("json_parse", 1..=1, SUPER, |a| {
            let parsed = a.each_text(0, |s| match serde_json::from_str::<Value>(s) {
                Ok(v) => Ok(v),
                Err(e) => exec_err!("json_parse: invalid JSON: {e}"),
            })?;
            Ok(supers(parsed))
        }),
        ColumnUdf::udf("json_serialize", 1..=1, DataType::Utf8, |a| {
            Ok(strings(each_json(a, |v| Ok(v.to_string()))?))
        }),
        ColumnUdf::udf("json_typeof", 1..=1, DataType::Utf8, |a| {
            Ok(strings(each_json(a, |v| Ok(typeof_name(&v).to_string()))?))
        }),
        ColumnUdf::udf("json_size", 1..=1, DataType::Int64, |a| {
            let sizes = each_json(a, |v| Ok(i64::try_from(v.to_string().len()).ok()))?;
            Ok(Arc::new(Int64Array::from_iter(
                sizes.into_iter().map(Option::flatten),
            )))
        }),
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
        ColumnUdf::udf("array", 0..=1024, SUPER, |a| {
            let mut out = Vec::with_capacity(a.rows());
            for row in 0..a.rows() {
                let items = (0..a.len())
                    .map(|i| Ok(json_at(a, i, row)?.unwrap_or(Value::Null)))
                    .collect::<Result<Vec<_>>>()?;
                out.push(Some(Value::Array(items)));
            }
            Ok(supers(out))
        }),
        ColumnUdf::udf("array_concat", 2..=2, SUPER, |a| {
            let mut out = Vec::with_capacity(a.rows());
            for row in 0..a.rows() {
                let (Some(x), Some(y)) = (json_at(a, 0, row)?, json_at(a, 1, row)?) else {
                    out.push(None);
                    continue;
                };
                let mut x = array_items(x, "array_concat")?;
                x.extend(array_items(y, "array_concat")?);
                out.push(Some(Value::Array(x)));
            }
            Ok(supers(out))
        }),
        ColumnUdf::udf("array_flatten", 1..=1, SUPER, |a| {
            let flat = each_json(a, |v| {
                let mut out = Vec::new();
                array_items(v, "array_flatten")?
                    .into_iter()
                    .for_each(|i| flatten(i, &mut out));
                Ok(Value::Array(out))
            })?;
            Ok(supers(flat))
        }),
        ColumnUdf::udf("get_array_length", 1..=1, DataType::Int64, |a| {
            let lengths = each_json(a, |v| {
                Ok(i64::try_from(array_items(v, "get_array_length")?.len()).ok())
            })?;
            Ok(Arc::new(Int64Array::from_iter(
                lengths.into_iter().map(Option::flatten),
            )))
        }),
        ColumnUdf::udf("subarray", 2..=3, SUPER, |a| {
            let mut out = Vec::with_capacity(a.rows());
            for row in 0..a.rows() {
                let Some(v) = json_at(a, 0, row)? else {
                    out.push(None);
                    continue;
                };
                let items = array_items(v, "subarray")?;
                let start = usize::try_from(a.int(1, row)?.unwrap_or(0)).unwrap_or(0);
                let len = if a.len() > 2 {
                    usize::try_from(a.int(2, row)?.unwrap_or(0)).unwrap_or(0)
                } else {
                    usize::MAX
                };
                out.push(Some(Value::Array(
                    items.into_iter().skip(start).take(len).collect(),
                )));
            }
            Ok(supers(out))
        }),
        ColumnUdf::udf("split_to_array", 1..=2, SUPER, |a| {
            let mut out = Vec::with_capacity(a.rows());
            for row in 0..a.rows() {
                let Some(s) = a.text(0, row) else {
                    out.push(None);
                    continue;
                };
                let delim = a.text(1, row).unwrap_or(std::borrow::Cow::Borrowed(","));
                let parts: Vec<Value> = if delim.is_empty() {
                    vec![Value::String(s.into_owned())]
                } else {
                    s.split(delim.as_ref())
                        .map(|p| Value::String(p.to_string()))
                        .collect()
                };
                out.push(Some(Value::Array(parts)));
            }
            Ok(supers(out))
        }),
    ]
}
