//! Redshift functions that DataFusion lacks or computes differently, as UDFs.
//!
//! Each is a [`columns::ColumnUdf`], computed a batch at a time with Redshift's rules for
//! dates, SUPER values and NULLs.

mod casts;
mod columns;
mod dates;
mod datetime_input;
mod json;
mod number_format;
mod strings;
mod super_values;
mod text;

use chrono::NaiveDateTime;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::prelude::SessionContext;

pub(crate) use casts::printed;
pub use casts::{format_timestamp, parse_timestamp, to_text};
pub(crate) use columns::ColumnUdf;

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
    ctx.register_udaf(crate::redshift::count_distinct::count_distinct_udaf());
}
