//! Redshift functions that DataFusion lacks or computes differently, as UDFs.
//!
//! The ones models call on every row of large tables (the regex family, `split_part`,
//! `to_date`, the casts, the JSON text functions, the hashes) are `ColumnUdf`s, computed a
//! batch at a time. The rest are still `RowUdf`s, written row by row over [`ScalarValue`]s
//! with Redshift's rules for dates, SUPER values and NULLs.

mod casts;
mod columns;
mod dates;
mod datetime_input;
mod json;
mod number_format;
mod strings;
mod super_values;
mod text;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::NaiveDateTime;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

pub use casts::{format_timestamp, parse_timestamp, to_text};

type RowFn = dyn Fn(&[ScalarValue]) -> Result<ScalarValue> + Send + Sync;
type TypeFn = dyn Fn(&[DataType], &[Option<&ScalarValue>]) -> Result<DataType> + Send + Sync;

/// A scalar function evaluated one row at a time.
pub(crate) struct RowUdf {
    name: String,
    signature: Signature,
    return_type: Arc<TypeFn>,
    f: Arc<RowFn>,
}

impl RowUdf {
    pub(crate) fn udf(
        name: &str,
        arity: std::ops::RangeInclusive<usize>,
        return_type: impl Fn(&[DataType]) -> Result<DataType> + Send + Sync + 'static,
        f: impl Fn(&[ScalarValue]) -> Result<ScalarValue> + Send + Sync + 'static,
    ) -> ScalarUDF {
        Self::udf_with_literals(name, arity, move |t, _| return_type(t), f)
    }

    /// As [`RowUdf::udf`], for a result type that depends on constant arguments too (a
    /// scale, a format string): `return_type` sees each argument's value when it is one.
    pub(crate) fn udf_with_literals(
        name: &str,
        arity: std::ops::RangeInclusive<usize>,
        return_type: impl Fn(&[DataType], &[Option<&ScalarValue>]) -> Result<DataType>
        + Send
        + Sync
        + 'static,
        f: impl Fn(&[ScalarValue]) -> Result<ScalarValue> + Send + Sync + 'static,
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
        ScalarUDF::from(RowUdf {
            name: name.to_string(),
            signature,
            return_type: Arc::new(checked_return),
            f: Arc::new(f),
        })
    }
}

/// Refuses a call of `name` with `got` arguments, outside `arity`.
pub(crate) fn check_arity(
    name: &str,
    arity: &std::ops::RangeInclusive<usize>,
    got: usize,
) -> Result<()> {
    if arity.contains(&got) {
        return Ok(());
    }
    exec_err!(
        "{name}() takes {} to {} arguments, got {got}",
        arity.start(),
        arity.end()
    )
}

impl fmt::Debug for RowUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowUdf({})", self.name)
    }
}

impl PartialEq for RowUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for RowUdf {}

impl Hash for RowUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for RowUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        (self.return_type)(arg_types, &[])
    }

    fn return_field_from_args(
        &self,
        args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> Result<datafusion::arrow::datatypes::FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let t = (self.return_type)(&types, args.scalar_arguments)?;
        Ok(Arc::new(datafusion::arrow::datatypes::Field::new(
            self.name(),
            t,
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let return_type = args.return_type().clone();
        let typed = |v: ScalarValue| -> Result<ScalarValue> {
            if v.is_null() && v.data_type() != return_type {
                ScalarValue::try_from(&return_type)
            } else if v.data_type() != return_type {
                v.cast_to(&return_type)
            } else {
                Ok(v)
            }
        };
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            let row: Vec<ScalarValue> = args
                .args
                .iter()
                .filter_map(|a| match a {
                    ColumnarValue::Scalar(s) => Some(s.clone()),
                    ColumnarValue::Array(_) => None,
                })
                .collect();
            return Ok(ColumnarValue::Scalar(typed((self.f)(&row)?)?));
        }
        let n = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(n);
        let mut row = Vec::with_capacity(arrays.len());
        for i in 0..n {
            row.clear();
            for a in &arrays {
                row.push(ScalarValue::try_from_array(a, i)?);
            }
            out.push(typed((self.f)(&row)?)?);
        }
        if out.is_empty() {
            return Ok(ColumnarValue::Array(
                datafusion::arrow::array::new_empty_array(&return_type),
            ));
        }
        Ok(ColumnarValue::Array(ScalarValue::iter_to_array(out)?))
    }
}

/// A string argument, `None` for NULL; any other value as Redshift prints it (a timestamp as
/// `2008-03-05 12:25:29`, not as DataFusion's epoch count), as Redshift converts it.
pub(crate) fn text(v: &ScalarValue) -> Option<String> {
    match v {
        ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => s.clone(),
        v if v.is_null() => None,
        v => to_text(v).ok().flatten(),
    }
}

/// -1, 0 or 1, as Redshift's `*_cmp` functions answer.
pub(crate) fn comparison(o: std::cmp::Ordering) -> i64 {
    match o {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

/// An integer argument, `None` for NULL.
pub(crate) fn int(v: &ScalarValue) -> Result<Option<i64>> {
    if v.is_null() {
        return Ok(None);
    }
    match v.cast_to(&DataType::Int64)? {
        ScalarValue::Int64(i) => Ok(i),
        other => exec_err!("expected an integer, got {other}"),
    }
}

/// Registers every Redshift function, with `run_time` as `getdate()`.
pub fn register(ctx: &SessionContext, run_time: NaiveDateTime) {
    for udf in casts::udfs(run_time)
        .into_iter()
        .chain(dates::udfs(run_time))
        .chain(strings::udfs())
        .chain(json::udfs())
        .chain(text::udfs())
        .chain(super_values::udfs())
    {
        ctx.register_udf(udf);
    }
    ctx.register_udf(crate::redshift::decimals::divide_udf());
    ctx.register_udf(crate::redshift::text_rules::as_text_udf());
    ctx.register_udf(crate::redshift::text_rules::rtrim_udf());
    ctx.register_udf(crate::redshift::text_rules::similar_to_udf());
    ctx.register_udf(crate::redshift::text_rules::bpcharcmp_udf());
    ctx.register_udf(crate::redshift::decimals::aggregate_udf());
    ctx.register_udf(crate::redshift::decimals::round_for_integer_udf());
    ctx.register_udaf(crate::redshift::listagg::listagg_udaf());
}
