//! Redshift functions evaluated over whole columns.
//!
//! A [`ColumnUdf`] gets its arguments as [`Args`]: string columns are read in place, dates
//! and timestamps straight from their arrays, and a constant argument is converted once per
//! batch rather than once per row. Each function writes its result with an arrow builder or
//! an arrow kernel. Arguments of the few types a function does not read directly are
//! converted as Redshift converts them ([`text`], [`int`]).

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, LargeStringArray, StringArray, StringViewArray,
};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Field, FieldRef, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

use super::casts::{
    from_epoch_days, from_micros, from_millis, from_nanos, from_seconds, parse_timestamp_at,
    to_datetime_at,
};
use super::{check_arity, int, text};

/// One argument for one batch.
enum Arg<'a> {
    /// The same value on every row, converted once.
    Constant {
        value: ScalarValue,
        text: Option<String>,
        int: std::result::Result<Option<i64>, String>,
    },
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    /// Any other type, read by the accessor that knows it ([`Args::datetimes`]) or
    /// converted a row at a time as Redshift converts it; an integer column is cast to
    /// BIGINT once, when [`Args::int`] first reads it.
    Other(&'a ArrayRef, OnceCell<Option<Int64Array>>),
}

/// A function's arguments for one batch, read a row at a time.
pub(crate) struct Args<'a> {
    args: Vec<Arg<'a>>,
    types: Vec<DataType>,
    rows: usize,
}

/// Casts as a Redshift cast does: a value that does not fit is an error, not a NULL.
pub(crate) fn cast_strictly(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    if array.data_type() == to {
        return Ok(Arc::clone(array));
    }
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    Ok(cast_with_options(array, to, &options)?)
}

impl<'a> Args<'a> {
    fn new(values: &'a [ColumnarValue], rows: usize) -> Args<'a> {
        let types = values.iter().map(ColumnarValue::data_type).collect();
        let args = values
            .iter()
            .map(|v| match v {
                ColumnarValue::Scalar(s) => Arg::Constant {
                    value: s.clone(),
                    text: text(s),
                    int: int(s).map_err(|e| e.to_string()),
                },
                ColumnarValue::Array(a) => match a.data_type() {
                    DataType::Utf8 => Arg::Utf8(a.as_string::<i32>()),
                    DataType::LargeUtf8 => Arg::LargeUtf8(a.as_string::<i64>()),
                    DataType::Utf8View => Arg::Utf8View(a.as_string_view()),
                    _ => Arg::Other(a, OnceCell::new()),
                },
            })
            .collect();
        Args { args, types, rows }
    }

    /// How many rows the batch has (1 when every argument is a constant).
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// How many arguments the call has.
    pub(crate) fn len(&self) -> usize {
        self.args.len()
    }

    /// Argument `i`'s type (`Null` for a missing argument).
    pub(crate) fn data_type(&self, i: usize) -> DataType {
        self.types.get(i).cloned().unwrap_or(DataType::Null)
    }

    /// Argument `i` of row `row` as text (`None` for NULL or a missing argument).
    pub(crate) fn text(&self, i: usize, row: usize) -> Option<Cow<'_, str>> {
        let valid = |a: &dyn Array| a.is_valid(row);
        match self.args.get(i)? {
            Arg::Constant { text, .. } => text.as_deref().map(Cow::Borrowed),
            Arg::Utf8(a) => valid(*a).then(|| Cow::Borrowed(a.value(row))),
            Arg::LargeUtf8(a) => valid(*a).then(|| Cow::Borrowed(a.value(row))),
            Arg::Utf8View(a) => valid(*a).then(|| Cow::Borrowed(a.value(row))),
            Arg::Other(a, _) => ScalarValue::try_from_array(a, row)
                .ok()
                .and_then(|v| text(&v))
                .map(Cow::Owned),
        }
    }

    /// Argument `i` of row `row` as an integer (`None` for NULL or a missing argument).
    pub(crate) fn int(&self, i: usize, row: usize) -> Result<Option<i64>> {
        match self.args.get(i) {
            None => Ok(None),
            Some(Arg::Constant { int, .. }) => int.clone().map_err(DataFusionError::Execution),
            Some(Arg::Other(a, ints)) => {
                let ints = ints.get_or_init(|| {
                    if !a.data_type().is_integer() {
                        return None;
                    }
                    let cast = cast_strictly(a, &DataType::Int64).ok()?;
                    cast.as_primitive_opt::<Int64Type>().cloned()
                });
                match ints {
                    Some(ints) => Ok(ints.is_valid(row).then(|| ints.value(row))),
                    None => int(&ScalarValue::try_from_array(a, row)?),
                }
            }
            Some(_) => match self.text(i, row) {
                None => Ok(None),
                Some(s) => int(&ScalarValue::Utf8(Some(s.into_owned()))),
            },
        }
    }

    /// Argument `i` of row `row` as a value, for a function that reads each type its own way.
    pub(crate) fn value(&self, i: usize, row: usize) -> Result<ScalarValue> {
        match self.args.get(i) {
            None => Ok(ScalarValue::Null),
            Some(Arg::Constant { value, .. }) => Ok(value.clone()),
            Some(Arg::Other(a, _)) => ScalarValue::try_from_array(a, row),
            Some(_) => Ok(ScalarValue::Utf8(self.text(i, row).map(|s| s.into_owned()))),
        }
    }

    /// Argument `i` of row `row` when it is a boolean (`Some(None)` for a boolean NULL);
    /// `None` when the argument is of another type or missing.
    pub(crate) fn boolean(&self, i: usize, row: usize) -> Option<Option<bool>> {
        match self.args.get(i)? {
            Arg::Constant {
                value: ScalarValue::Boolean(b),
                ..
            } => Some(*b),
            Arg::Other(a, _) if a.data_type() == &DataType::Boolean => {
                let a = a.as_boolean();
                Some(a.is_valid(row).then(|| a.value(row)))
            }
            _ => None,
        }
    }

    /// Whether argument `i` is text (a string column or a string constant, NULL included).
    pub(crate) fn is_text(&self, i: usize) -> bool {
        matches!(
            self.types.get(i),
            Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        )
    }

    /// Argument `i` of every row, text, read by `read` (`None` for NULL); a constant is read
    /// once.
    pub(crate) fn each_text<T: Clone>(
        &self,
        i: usize,
        read: impl Fn(&str) -> Result<T>,
    ) -> Result<Vec<Option<T>>> {
        if let Some(Arg::Constant { text, .. }) = self.args.get(i) {
            let value = text.as_deref().map(&read).transpose()?;
            return Ok(vec![value; self.rows]);
        }
        (0..self.rows)
            .map(|row| self.text(i, row).map(|s| read(&s)).transpose())
            .collect()
    }

    /// Argument `i` as a column of [`Args::rows`] rows, a constant repeated.
    pub(crate) fn column(&self, i: usize) -> Result<ArrayRef> {
        match self.args.get(i) {
            None => ScalarValue::Null.to_array_of_size(self.rows),
            Some(Arg::Constant { value, .. }) => value.to_array_of_size(self.rows),
            Some(Arg::Utf8(a)) => Ok(Arc::new((*a).clone())),
            Some(Arg::LargeUtf8(a)) => Ok(Arc::new((*a).clone())),
            Some(Arg::Utf8View(a)) => Ok(Arc::new((*a).clone())),
            Some(Arg::Other(a, _)) => Ok(Arc::clone(a)),
        }
    }

    /// Argument `i` of every row as the timestamp it stands for: dates and timestamps read
    /// from their arrays, text parsed as Redshift reads a timestamp (with `now` for `now`,
    /// `today` and the like), a constant converted once.
    pub(crate) fn datetimes(
        &self,
        i: usize,
        now: Option<NaiveDateTime>,
    ) -> Result<Vec<Option<NaiveDateTime>>> {
        let Some(arg) = self.args.get(i) else {
            return Ok(vec![None; self.rows]);
        };
        let text_of = |s: Option<Cow<'_, str>>| -> Result<Option<NaiveDateTime>> {
            let Some(s) = s else { return Ok(None) };
            match parse_timestamp_at(&s, now) {
                Some(t) => Ok(Some(t)),
                None => exec_err!("invalid input syntax for type timestamp: \"{s}\""),
            }
        };
        let array = match arg {
            Arg::Constant { value, .. } => {
                return Ok(vec![to_datetime_at(value, now)?; self.rows]);
            }
            Arg::Utf8(_) | Arg::LargeUtf8(_) | Arg::Utf8View(_) => {
                return (0..self.rows)
                    .map(|row| text_of(self.text(i, row)))
                    .collect();
            }
            Arg::Other(a, _) => a,
        };
        datetimes_of(array, now)
    }
}

/// Each row of a column as the timestamp it stands for: dates and timestamps read from their
/// arrays, anything else converted a row at a time as Redshift converts it.
pub(crate) fn datetimes_of(
    array: &ArrayRef,
    now: Option<NaiveDateTime>,
) -> Result<Vec<Option<NaiveDateTime>>> {
    Ok(match array.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, _) => array
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .map(|v| v.and_then(from_micros))
            .collect(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => array
            .as_primitive::<TimestampNanosecondType>()
            .iter()
            .map(|v| v.map(from_nanos))
            .collect(),
        DataType::Timestamp(TimeUnit::Millisecond, _) => array
            .as_primitive::<TimestampMillisecondType>()
            .iter()
            .map(|v| v.and_then(from_millis))
            .collect(),
        DataType::Timestamp(TimeUnit::Second, _) => array
            .as_primitive::<TimestampSecondType>()
            .iter()
            .map(|v| v.and_then(from_seconds))
            .collect(),
        DataType::Date32 => array
            .as_primitive::<Date32Type>()
            .iter()
            .map(|v| v.and_then(from_epoch_days))
            .collect(),
        DataType::Date64 => array
            .as_primitive::<Date64Type>()
            .iter()
            .map(|v| v.and_then(from_millis))
            .collect(),
        // TIME and the rare rest: each row converted on its own.
        _ => (0..array.len())
            .map(|row| to_datetime_at(&ScalarValue::try_from_array(array, row)?, now))
            .collect::<Result<_>>()?,
    })
}

type ColumnFn = dyn Fn(&Args, &DataType) -> Result<ArrayRef> + Send + Sync;
type TypeFn = dyn Fn(&[DataType], &[Option<&ScalarValue>]) -> Result<DataType> + Send + Sync;

/// A scalar function computed a batch at a time from [`Args`].
pub(crate) struct ColumnUdf {
    name: String,
    signature: Signature,
    return_type: Arc<TypeFn>,
    f: Arc<ColumnFn>,
}

impl ColumnUdf {
    /// A function of `arity` arguments of any type, answering `return_type`.
    pub(crate) fn udf(
        name: &str,
        arity: std::ops::RangeInclusive<usize>,
        return_type: DataType,
        f: impl Fn(&Args) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> ScalarUDF {
        Self::typed(
            name,
            arity,
            move |_| Ok(return_type.clone()),
            move |a, _| f(a),
        )
    }

    /// As [`ColumnUdf::udf`], for a result type that depends on the arguments' types: `f`
    /// gets that type too.
    pub(crate) fn typed(
        name: &str,
        arity: std::ops::RangeInclusive<usize>,
        return_type: impl Fn(&[DataType]) -> Result<DataType> + Send + Sync + 'static,
        f: impl Fn(&Args, &DataType) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> ScalarUDF {
        Self::with_literals(name, arity, move |t, _| return_type(t), f)
    }

    /// As [`ColumnUdf::typed`], for a result type that depends on constant arguments too (a
    /// scale, a format string): `return_type` sees each argument's value when it is one.
    pub(crate) fn with_literals(
        name: &str,
        arity: std::ops::RangeInclusive<usize>,
        return_type: impl Fn(&[DataType], &[Option<&ScalarValue>]) -> Result<DataType>
        + Send
        + Sync
        + 'static,
        f: impl Fn(&Args, &DataType) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> ScalarUDF {
        let signature = match (*arity.start(), *arity.end()) {
            (_, 0) => Signature::nullary(Volatility::Immutable),
            (0, _) => Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                Volatility::Immutable,
            ),
            _ => Signature::variadic_any(Volatility::Immutable),
        };
        let name_owned = name.to_string();
        let checked_return = move |types: &[DataType], literals: &[Option<&ScalarValue>]| {
            check_arity(&name_owned, &arity, types.len())?;
            return_type(types, literals)
        };
        ScalarUDF::from(ColumnUdf {
            name: name.to_string(),
            signature,
            return_type: Arc::new(checked_return),
            f: Arc::new(f),
        })
    }
}

impl fmt::Debug for ColumnUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ColumnUdf({})", self.name)
    }
}

impl PartialEq for ColumnUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ColumnUdf {}

impl Hash for ColumnUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for ColumnUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        (self.return_type)(arg_types, &[])
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let t = (self.return_type)(&types, args.scalar_arguments)?;
        Ok(Arc::new(Field::new(self.name(), t, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let return_type = args.return_type().clone();
        let constant = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if constant { 1 } else { args.number_rows };
        let out = (self.f)(&Args::new(&args.args, rows), &return_type)?;
        // A function that passes a value through (or builds the nearest type) leaves the
        // conversion to the declared type to one cast of the whole column.
        let out = cast_strictly(&out, &return_type)?;
        if constant {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    /// Calls with constant arguments: each must give the same value when its arguments come
    /// from a table's columns, row by row, next to other rows of the same function (so the
    /// pattern or format changes from one row to the next). A NULL first argument gives NULL.
    const CALLS: &[(&str, &[&str])] = &[
        ("regexp_substr", &["'the fox'", "'FOX'", "1", "1", "'i'"]),
        (
            "regexp_substr",
            &["'abc123def456'", "'[0-9]+'", "1", "2", "'c'"],
        ),
        (
            "regexp_substr",
            &[
                "'passwd7 plain A1234 a1234'",
                "'(?=[^ ]*[a-z])(?=[^ ]*[0-9])[^ ]+'",
                "1",
                "2",
                "'p'",
            ],
        ),
        (
            "regexp_substr",
            &[
                "'This is a cat, this is a dog'",
                "'this is a (\\\\w+)'",
                "1",
                "2",
                "'ie'",
            ],
        ),
        (
            "regexp_substr",
            &["'no digits'", "'[0-9]+'", "3", "1", "'c'"],
        ),
        (
            "regexp_substr",
            &[
                "'123 MAIN ST STE 4'",
                "'^[0-9]+ .*? (ST|AVE)\\\\b'",
                "1",
                "1",
                "'p'",
            ],
        ),
        (
            "regexp_count",
            &["'abcdefghijklmnopqrstuvwxyz'", "'[a-z]{3}'"],
        ),
        ("regexp_count", &["'a-b-c'", "'-'"]),
        (
            "regexp_instr",
            &["'the fox'", "'FOX'", "1", "1", "0", "'i'"],
        ),
        (
            "regexp_instr",
            &["'naïve café'", "'caf'", "1", "1", "1", "'c'"],
        ),
        (
            "regexp_replace",
            &["'the fox'", "'FOX'", "'quick brown fox'", "1", "'i'"],
        ),
        (
            "regexp_replace",
            &["'702-555-0101'", "'[^0-9]'", "''", "1", "'c'"],
        ),
        (
            "regexp_replace",
            &["'abc abc'", "'(b)'", "'[\\\\1]'", "3", "'c'"],
        ),
        ("split_part", &["'a,b,c'", "','", "2"]),
        ("split_part", &["'a,b,c'", "','", "5"]),
        ("split_part", &["'JOHN & JANE'", "' & '", "1"]),
        ("split_part", &["'abc'", "''", "1"]),
        ("__rs_to_timestamp", &["'2024-05-01 06:00:00'"]),
        ("__rs_to_timestamp", &["'2008-06-01 09:59:59.5'"]),
        ("__rs_to_date", &["'2024-05-01'"]),
        ("__rs_to_date", &["'03/04/2024'"]),
        ("__rs_to_varchar", &["'héllo'", "2"]),
        ("__rs_to_varchar", &["'hello'", "10"]),
        ("to_date", &["'01/31/24'", "'MM/DD/YY'", "true"]),
        ("to_date", &["'2024-02-30'", "'YYYY-MM-DD'", "false"]),
        (
            "json_extract_path_text",
            &["'{\"a\": {\"b\": 2}}'", "'a'", "'b'"],
        ),
        (
            "json_extract_path_text",
            &["'{\"a\": {\"b\": \"x\"}}'", "'a'", "'c'"],
        ),
        (
            "json_extract_path_text",
            &["'{\"a\": [1, 2]}'", "'a'", "'b'", "true"],
        ),
        (
            "json_extract_path_text",
            &["'not json'", "'a'", "'b'", "true"],
        ),
        (
            "json_extract_array_element_text",
            &["'[1, \"two\", null]'", "1"],
        ),
        ("json_extract_array_element_text", &["'[1, 2]'", "5"]),
        ("json_array_length", &["'[1, 2, [3]]'"]),
        ("json_array_length", &["'{}'", "true"]),
        ("is_valid_json", &["'{\"a\": 1}'"]),
        ("is_valid_json", &["'[1]'"]),
        ("is_valid_json_array", &["'[1]'"]),
        ("can_json_parse", &["'{'"]),
        ("can_json_parse", &["'3'"]),
        ("crc32", &["'Amazon Redshift'"]),
        ("sha2", &["'Amazon Redshift'", "256"]),
        ("sha2", &["'Amazon Redshift'", "512"]),
        ("sha2", &["'Amazon Redshift'", "7"]),
        ("soundex", &["'Amazon Redshift'"]),
        ("difference", &["'Amazon'", "'Amazing'"]),
        ("strtol", &["'0xf'", "16"]),
        ("strtol", &["' -101'", "2"]),
        ("fnv_hash", &["'Amazon Redshift'"]),
        ("fnv_hash", &["cast(42 as bigint)", "cast(7 as bigint)"]),
        ("fnv_hash", &["1.5", "cast(7 as bigint)"]),
        ("text_to_int_alt", &["'123-'"]),
        ("text_to_numeric_alt", &["'-123.52501E+2'"]),
        ("quote_ident", &["'say \"hi\"'"]),
        ("quote_literal", &["'it''s'"]),
        ("interval_cmp", &["'3 days'", "'2 days'"]),
        ("interval_cmp", &["'1 year'", "'365 days'"]),
        ("__rs_similar_to", &["'abc'", "'%(b|d)%'"]),
        ("__rs_similar_to", &["'abc'", "'_b'"]),
        ("bpcharcmp", &["'a  '", "'a'"]),
        ("bpcharcmp", &["'a'", "'b'"]),
        ("__rs_empty_as_null", &["''"]),
        ("__rs_empty_as_null", &["'x'"]),
        ("__rs_as_timestamp", &["'2024-05-01'"]),
        ("__rs_as_timestamp", &["cast('2024-05-01' as date)"]),
        ("__rs_to_time", &["'04:05:06.789'"]),
        ("__rs_to_time", &["timestamp '2024-05-01 06:07:08'"]),
        ("__rs_to_timestamptz", &["'2024-05-01 06:00:00-07'"]),
        ("__rs_to_timestamptz", &["timestamp '2024-05-01 06:00:00'"]),
        (
            "__rs_to_varchar",
            &["timestamp '2024-05-01 06:00:00.5'", "40"],
        ),
        ("__rs_to_varchar", &["cast('2024-05-01' as date)", "40"]),
        ("__rs_to_varchar", &["cast(-42 as bigint)", "2"]),
        ("__rs_to_varchar", &["cast(1.25 as double)", "40"]),
        ("__rs_to_date", &["timestamp '2024-05-01 06:00:00'"]),
        ("__rs_to_timestamp", &["cast('2024-05-01' as date)"]),
        (
            "dateadd",
            &["'month'", "1", "timestamp '2024-01-31 10:00:00'"],
        ),
        (
            "dateadd",
            &["'year'", "1", "timestamp '2024-02-29 00:00:00'"],
        ),
        ("dateadd", &["'d'", "-3", "timestamp '2024-03-01 00:00:00'"]),
        ("dateadd", &["'hour'", "5", "'2024-05-01 22:00:00'"]),
        (
            "dateadd",
            &[
                "'day'",
                "cast(-2 as smallint)",
                "timestamp '2024-03-01 00:00:00'",
            ],
        ),
        (
            "subarray",
            &[
                "json_parse('[1, 2, 3]')",
                "cast(1 as int)",
                "cast(5 as int)",
            ],
        ),
        ("datediff", &["'week'", "'2024-05-01'", "'2024-05-20'"]),
        (
            "datediff",
            &[
                "'qtr'",
                "timestamp '2023-12-31 00:00:00'",
                "timestamp '2024-01-01 00:00:00'",
            ],
        ),
        (
            "datediff",
            &[
                "'second'",
                "timestamp '2024-01-01 00:00:00.9'",
                "timestamp '2024-01-01 00:00:01'",
            ],
        ),
        (
            "__rs_date_part",
            &["'second'", "timestamp '2024-05-01 06:07:08.25'"],
        ),
        ("__rs_date_part", &["'dow'", "'2024-05-05'"]),
        (
            "__rs_date_part",
            &["'epoch'", "timestamp '2024-05-01 06:07:08'"],
        ),
        (
            "__rs_extract",
            &["'second'", "timestamp '2024-05-01 06:07:08.25'"],
        ),
        ("__rs_extract", &["'week'", "cast('2024-01-01' as date)"]),
        ("date_part_year", &["cast('2024-01-01' as date)"]),
        ("date_cmp", &["'2024-01-01'", "'2024-01-02'"]),
        (
            "date_cmp",
            &[
                "cast('2024-01-02' as date)",
                "timestamp '2024-01-01 00:00:00'",
            ],
        ),
        ("months_between", &["'2024-03-31'", "'2024-02-29'"]),
        ("months_between", &["'2024-03-15'", "'2024-01-01'"]),
        ("next_day", &["'2024-05-01'", "'Fri'"]),
        ("next_day", &["cast('2024-05-03' as date)", "'friday'"]),
        (
            "convert_timezone",
            &["'America/New_York'", "timestamp '2024-07-01 12:00:00'"],
        ),
        (
            "convert_timezone",
            &["'PST'", "'UTC'", "'2024-01-01 00:00:00'"],
        ),
        ("add_months", &["timestamp '2024-02-29 08:00:00'", "1"]),
        ("add_months", &["'2024-01-15'", "-2"]),
        ("last_day", &["'2024-02-10'"]),
        ("trunc", &["timestamp '2024-02-10 10:00:00'"]),
        ("trunc", &["cast(3.789 as double)", "2"]),
        ("trunc", &["cast(-3.789 as double)", "0"]),
        (
            "to_timestamp",
            &["'05 Jan 2024 10:11'", "'DD Mon YYYY HH24:MI'"],
        ),
        ("to_timestamp", &["'2024-02-30'", "'YYYY-MM-DD'", "false"]),
        (
            "to_char",
            &[
                "timestamp '2024-05-16 19:04:11'",
                "'Mon DD, YYYY HH12:MI AM'",
            ],
        ),
        ("to_char", &["cast('2024-05-16' as date)", "'YYYY-Q'"]),
        ("to_char", &["125.8", "'999D9'"]),
        ("json_parse", &["'{\"a\": [1, 2]}'"]),
        ("json_serialize", &["json_parse('[1, \"x\"]')"]),
        ("json_typeof", &["json_parse('{\"a\": 1}')"]),
        ("json_size", &["json_parse('[1, 22]')"]),
        ("is_array", &["json_parse('[1]')"]),
        ("is_integer", &["json_parse('12')"]),
        (
            "array_concat",
            &["json_parse('[1]')", "json_parse('[2, 3]')"],
        ),
        ("array_flatten", &["json_parse('[1, [2, [3]]]')"]),
        ("get_array_length", &["json_parse('[1, [2, 3]]')"]),
        ("subarray", &["json_parse('[1, 2, 3, 4]')", "1", "2"]),
        ("split_to_array", &["'a,b,c'"]),
        ("split_to_array", &["'a|b'", "'|'"]),
    ];

    /// The type of a literal argument, as far as telling the calls' shapes apart needs.
    fn literal_type(sql: &str) -> &str {
        if let Some(rest) = sql.strip_prefix("cast(") {
            return rest.rsplit_once(" as ").map_or(sql, |(_, t)| t);
        }
        match sql.chars().next() {
            Some('\'') => "text",
            Some(c) if c.is_ascii_digit() || c == '-' => {
                if sql.contains('.') {
                    "decimal"
                } else {
                    "integer"
                }
            }
            _ => sql.split(['(', ' ']).next().unwrap_or(sql),
        }
    }

    async fn values(ctx: &SessionContext, sql: &str) -> Vec<String> {
        crate::redshift::test_rows::rows(ctx, sql).await
    }

    #[tokio::test]
    async fn columns_answer_as_constants_do() {
        let ctx = SessionContext::new();
        let now = chrono::NaiveDate::from_ymd_opt(2024, 5, 16)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap();
        super::super::register(&ctx, now);
        // One VALUES list holds one type per column: calls are grouped by their arguments'
        // types as well as by function.
        fn key<'a>(f: &str, a: &[&'a str]) -> (String, Vec<&'a str>) {
            (f.to_string(), a.iter().map(|a| literal_type(a)).collect())
        }
        let mut groups: Vec<_> = CALLS.iter().map(|(f, a)| key(f, a)).collect();
        groups.sort();
        groups.dedup();
        for group in groups {
            let (function, arity) = (group.0.as_str(), group.1.len());
            let calls: Vec<&[&str]> = CALLS
                .iter()
                .filter(|(f, a)| key(f, a) == group)
                .map(|(_, a)| *a)
                .collect();
            let mut expected = Vec::new();
            let mut rows = Vec::new();
            for args in &calls {
                let constant = format!("select {function}({})", args.join(", "));
                expected.extend(values(&ctx, &constant).await);
                rows.push(format!("({})", args.join(", ")));
                let mut nulled = args.to_vec();
                nulled[0] = "null";
                rows.push(format!("({})", nulled.join(", ")));
                expected.push("NULL".to_string());
            }
            let columns: Vec<String> = (1..=arity).map(|i| format!("column{i}")).collect();
            let sql = format!(
                "select {function}({}) from (values {})",
                columns.join(", "),
                rows.join(", ")
            );
            assert_eq!(values(&ctx, &sql).await, expected, "{sql}");
        }
    }
}
