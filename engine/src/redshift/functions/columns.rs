//! Redshift functions evaluated over whole columns.
//!
//! A [`ColumnUdf`] gets its arguments as [`Args`]: string columns are read in place, and a
//! constant argument is converted once per batch rather than once per row, so a row costs no
//! [`ScalarValue`]. Each function writes its result with an arrow builder. Arguments of other
//! types are read as Redshift converts them ([`text`], [`int`]), exactly as the row-by-row
//! functions do.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, LargeStringArray, StringArray, StringViewArray,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
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
    /// Any other type: each row is converted as the row-by-row functions convert it.
    Other(&'a ArrayRef),
}

/// A function's arguments for one batch, read a row at a time.
pub(crate) struct Args<'a> {
    args: Vec<Arg<'a>>,
    rows: usize,
}

impl<'a> Args<'a> {
    fn new(values: &'a [ColumnarValue], rows: usize) -> Args<'a> {
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
                    _ => Arg::Other(a),
                },
            })
            .collect();
        Args { args, rows }
    }

    /// How many rows the batch has (1 when every argument is a constant).
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// How many arguments the call has.
    pub(crate) fn len(&self) -> usize {
        self.args.len()
    }

    /// Argument `i` of row `row` as text (`None` for NULL or a missing argument).
    pub(crate) fn text(&self, i: usize, row: usize) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        let valid = |a: &dyn Array| a.is_valid(row);
        match self.args.get(i)? {
            Arg::Constant { text, .. } => text.as_deref().map(Cow::Borrowed),
            Arg::Utf8(a) => valid(*a).then(|| Cow::Borrowed(a.value(row))),
            Arg::LargeUtf8(a) => valid(*a).then(|| Cow::Borrowed(a.value(row))),
            Arg::Utf8View(a) => valid(*a).then(|| Cow::Borrowed(a.value(row))),
            Arg::Other(a) => ScalarValue::try_from_array(a, row)
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
            Some(Arg::Other(a)) => int(&ScalarValue::try_from_array(a, row)?),
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
            Some(Arg::Other(a)) => ScalarValue::try_from_array(a, row),
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
            Arg::Other(a) if a.data_type() == &DataType::Boolean => {
                let a = a.as_boolean();
                Some(a.is_valid(row).then(|| a.value(row)))
            }
            _ => None,
        }
    }

    /// Whether argument `i` is text (a string column or a string constant, NULL included).
    pub(crate) fn is_text(&self, i: usize) -> bool {
        match self.args.get(i) {
            Some(Arg::Constant { value, .. }) => matches!(
                value,
                ScalarValue::Utf8(_) | ScalarValue::LargeUtf8(_) | ScalarValue::Utf8View(_)
            ),
            Some(Arg::Utf8(_) | Arg::LargeUtf8(_) | Arg::Utf8View(_)) => true,
            _ => false,
        }
    }
}

type ColumnFn = dyn Fn(&Args) -> Result<ArrayRef> + Send + Sync;

/// A scalar function computed a batch at a time from [`Args`].
pub(crate) struct ColumnUdf {
    name: String,
    signature: Signature,
    arity: std::ops::RangeInclusive<usize>,
    return_type: DataType,
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
        ScalarUDF::from(ColumnUdf {
            name: name.to_string(),
            signature: Signature::variadic_any(Volatility::Immutable),
            arity,
            return_type,
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
        check_arity(&self.name, &self.arity, arg_types.len())?;
        Ok(self.return_type.clone())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let t = self.return_type(&types)?;
        Ok(Arc::new(Field::new(self.name(), t, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let constant = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if constant { 1 } else { args.number_rows };
        let out = (self.f)(&Args::new(&args.args, rows))?;
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
    ];

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
        let mut groups: Vec<(&str, usize)> = CALLS.iter().map(|(f, a)| (*f, a.len())).collect();
        groups.dedup();
        for (function, arity) in groups {
            let calls: Vec<&[&str]> = CALLS
                .iter()
                .filter(|(f, a)| *f == function && a.len() == arity)
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
