//! Casts that DataFusion does differently from Redshift: text to timestamp and date with
//! Redshift's lenient input formats, anything to text with Redshift's output formats, and
//! integer AVG.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Int64Array,
    IntervalMonthDayNanoArray, StringArray, StringBuilder, Time64MicrosecondArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::compute::nullif;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, DecimalType, Float32Type, Float64Type, IntervalMonthDayNano,
    IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;

use super::columns::{Args, ColumnUdf, cast_strictly, datetimes_of};
use super::{datetime_input, text};

/// Redshift keeps microseconds (and years up to 294276): so do we.
pub(crate) const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);

/// TIMESTAMPTZ: an instant, shown in UTC (the session time zone).
pub(crate) fn timestamptz() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
}

/// TIME, to the microsecond.
pub(crate) const TIME: DataType = DataType::Time64(TimeUnit::Microsecond);

/// Parses text the way Redshift reads a timestamp literal (see [`datetime_input`]): a date
/// alone is midnight.
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    parse_timestamp_at(s, None)
}

/// As [`parse_timestamp`], with `now` for `now`, `today`, `tomorrow` and `yesterday`.
pub(crate) fn parse_timestamp_at(s: &str, now: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    datetime_input::parse(s, now)?.timestamp()
}

pub(crate) fn parse_date_at(s: &str, now: Option<NaiveDateTime>) -> Option<NaiveDate> {
    datetime_input::parse(s, now)?.date
}

#[cfg(test)]
fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_date_at(s, None)
}

/// `YYYY-MM-DD HH:MI:SS`, with fractional seconds only when present, trailing zeros dropped:
/// how Redshift prints a timestamp as text (and so what dbt's snapshot hashes see).
pub fn format_timestamp(ts: &NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    // Written field by field: chrono's `format` reads its pattern again for every value.
    let base = if (0..=9999).contains(&ts.year()) {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            ts.year(),
            ts.month(),
            ts.day(),
            ts.hour(),
            ts.minute(),
            ts.second()
        )
    } else {
        ts.format("%Y-%m-%d %H:%M:%S").to_string()
    };
    let micros = ts.and_utc().timestamp_subsec_micros();
    if micros == 0 {
        base
    } else {
        let frac = format!("{micros:06}");
        format!("{base}.{}", frac.trim_end_matches('0'))
    }
}

/// The timestamp a value stands for: temporal types directly, text parsed.
pub(crate) fn to_datetime(v: &ScalarValue) -> Result<Option<NaiveDateTime>> {
    to_datetime_at(v, None)
}

/// As [`to_datetime`], with `now` for the words that need it.
pub(crate) fn to_datetime_at(
    v: &ScalarValue,
    now: Option<NaiveDateTime>,
) -> Result<Option<NaiveDateTime>> {
    Ok(match v {
        v if v.is_null() => None,
        ScalarValue::TimestampNanosecond(Some(n), _) => Some(from_nanos(*n)),
        ScalarValue::TimestampMicrosecond(Some(n), _) => from_micros(*n),
        ScalarValue::TimestampMillisecond(Some(n), _) => from_millis(*n),
        ScalarValue::TimestampSecond(Some(n), _) => from_seconds(*n),
        ScalarValue::Date32(Some(d)) => from_epoch_days(*d),
        ScalarValue::Date64(Some(ms)) => from_millis(*ms),
        ScalarValue::Time64Nanosecond(_)
        | ScalarValue::Time64Microsecond(_)
        | ScalarValue::Time32Millisecond(_)
        | ScalarValue::Time32Second(_) => time_of(v).map(|t| NaiveDate::MIN.and_time(t)),
        other => {
            let Some(s) = text(other) else {
                return Ok(None);
            };
            match parse_timestamp_at(&s, now) {
                Some(ts) => Some(ts),
                None => {
                    return exec_err!("invalid input syntax for type timestamp: \"{s}\"");
                }
            }
        }
    })
}

/// The timestamp `n` nanoseconds after 1970 began.
pub(crate) fn from_nanos(n: i64) -> NaiveDateTime {
    DateTime::from_timestamp_nanos(n).naive_utc()
}

/// The timestamp `n` microseconds after 1970 began.
pub(crate) fn from_micros(n: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(n).map(|d| d.naive_utc())
}

/// The timestamp `n` milliseconds after 1970 began.
pub(crate) fn from_millis(n: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(n).map(|d| d.naive_utc())
}

/// The timestamp `n` seconds after 1970 began.
pub(crate) fn from_seconds(n: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(n, 0).map(|d| d.naive_utc())
}

/// Midnight of the day `d` days after 1 January 1970, as a DATE holds it.
pub(crate) fn from_epoch_days(d: i32) -> Option<NaiveDateTime> {
    NaiveDate::from_num_days_from_ce_opt(d.checked_add(EPOCH_DAYS_FROM_CE)?)
        .map(|d| d.and_time(NaiveTime::MIN))
}

/// A date as a DATE holds it: days since 1 January 1970.
pub(crate) fn epoch_days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

/// 1 January 1970, in chrono's days from the common era.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// A time of day as a TIME holds it: microseconds since midnight.
pub(crate) fn micros_of_day(t: NaiveTime) -> i64 {
    use chrono::Timelike;
    i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1_000)
}

/// A date as Redshift prints it.
fn format_date(d: &NaiveDateTime) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn timestamp_value(ts: Option<NaiveDateTime>) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(ts.map(|t| t.and_utc().timestamp_micros()), None)
}

pub(crate) fn date_value(d: Option<NaiveDate>) -> ScalarValue {
    ScalarValue::Date32(d.map(epoch_days))
}

use chrono::Datelike;

/// The time of day a TIME value holds.
pub(crate) fn time_of(v: &ScalarValue) -> Option<NaiveTime> {
    let nanos: i64 = match v {
        ScalarValue::Time64Nanosecond(Some(n)) => *n,
        ScalarValue::Time64Microsecond(Some(n)) => n.checked_mul(1_000)?,
        ScalarValue::Time32Millisecond(Some(n)) => i64::from(*n).checked_mul(1_000_000)?,
        ScalarValue::Time32Second(Some(n)) => i64::from(*n).checked_mul(1_000_000_000)?,
        _ => return None,
    };
    let secs = u32::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, sub)
}

/// `HH:MI:SS`, with fractional seconds only when present.
fn format_time(t: &NaiveTime) -> String {
    use chrono::Timelike;
    let base = t.format("%H:%M:%S").to_string();
    let micros = t.nanosecond() / 1_000;
    if micros == 0 {
        base
    } else {
        let frac = format!("{micros:06}");
        format!("{base}.{}", frac.trim_end_matches('0'))
    }
}

/// An interval as Redshift prints it: `1 day`, `2 days 03:00:00`, `01:30:00`, `1 mon`.
pub(crate) fn format_interval(months: i64, days: i64, micros: i64) -> String {
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    let plural = |n: i64, unit: &str, units: &str| {
        format!("{n} {}", if n.abs() == 1 { unit } else { units })
    };
    if years != 0 {
        parts.push(plural(years, "year", "years"));
    }
    if months != 0 {
        parts.push(plural(months, "mon", "mons"));
    }
    if days != 0 {
        parts.push(plural(days, "day", "days"));
    }
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        let m = micros.unsigned_abs();
        let (secs, frac) = (m / 1_000_000, m % 1_000_000);
        let mut clock = format!(
            "{sign}{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        if frac != 0 {
            clock.push('.');
            clock.push_str(format!("{frac:06}").trim_end_matches('0'));
        }
        parts.push(clock);
    }
    parts.join(" ")
}

/// A span of exact time in microseconds, its whole days shown as days.
fn format_duration(micros: i64) -> String {
    const DAY: i64 = 86_400_000_000;
    format_interval(0, micros / DAY, micros % DAY)
}

/// Any value as Redshift prints it.
pub fn to_text(v: &ScalarValue) -> Result<Option<String>> {
    Ok(match v {
        v if v.is_null() => None,
        ScalarValue::Date32(_) | ScalarValue::Date64(_) => {
            to_datetime(v)?.as_ref().map(format_date)
        }
        // A TIMESTAMPTZ prints in the session's zone, UTC, with its offset.
        ScalarValue::TimestampMicrosecond(_, Some(_))
        | ScalarValue::TimestampNanosecond(_, Some(_)) => {
            to_datetime(v)?.map(|d| format!("{}+00", format_timestamp(&d)))
        }
        ScalarValue::TimestampNanosecond(..)
        | ScalarValue::TimestampMicrosecond(..)
        | ScalarValue::TimestampMillisecond(..)
        | ScalarValue::TimestampSecond(..) => to_datetime(v)?.map(|d| format_timestamp(&d)),
        ScalarValue::Time64Nanosecond(_)
        | ScalarValue::Time64Microsecond(_)
        | ScalarValue::Time32Millisecond(_)
        | ScalarValue::Time32Second(_) => time_of(v).map(|t| format_time(&t)),
        ScalarValue::IntervalMonthDayNano(Some(i)) => Some(format_interval(
            i64::from(i.months),
            i64::from(i.days),
            i.nanoseconds / 1_000,
        )),
        ScalarValue::IntervalDayTime(Some(i)) => Some(format_interval(
            0,
            i64::from(i.days),
            i64::from(i.milliseconds) * 1_000,
        )),
        ScalarValue::IntervalYearMonth(Some(m)) => Some(format_interval(i64::from(*m), 0, 0)),
        // An interval of exact time, as DataFusion gives the difference of two timestamps:
        // Redshift shows its whole days as days.
        ScalarValue::DurationMicrosecond(Some(us)) => Some(format_duration(*us)),
        ScalarValue::DurationNanosecond(Some(ns)) => Some(format_duration(ns / 1_000)),
        ScalarValue::DurationMillisecond(Some(ms)) => Some(format_duration(ms * 1_000)),
        ScalarValue::DurationSecond(Some(s)) => Some(format_duration(s * 1_000_000)),
        ScalarValue::Boolean(Some(b)) => Some(if *b { "true" } else { "false" }.to_string()),
        ScalarValue::Float64(Some(f)) => Some(format_float(*f)),
        ScalarValue::Float32(Some(f)) => Some(format_significant(f64::from(*f), 6)),
        ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => s.clone(),
        other => Some(other.to_string()),
    })
}

/// A float as Redshift prints it: DOUBLE PRECISION to 15 significant digits, REAL to 6
/// (`0.1::float + 0.2::float` is `0.3`; REAL `19999.99` is `20000`), in exponent form
/// outside `1e-4 .. 1e15` as PostgreSQL writes it (`1e+20`).
fn format_float(f: f64) -> String {
    format_significant(f, 15)
}

fn format_significant(f: f64, digits: usize) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.*e}", digits - 1, f);
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= i32::try_from(digits).unwrap_or(15) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(mantissa), exp.abs());
    }
    let decimals = usize::try_from(i32::try_from(digits).unwrap_or(15) - 1 - exp).unwrap_or(0);
    trim(&format!("{f:.decimals$}"))
}

/// `cast(x as varchar)` or `cast(x as varchar(n))`.
fn to_varchar(a: &Args) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    let text_input = a.is_text(0);
    let printed = if text_input {
        None
    } else {
        Some(printed(&a.column(0)?)?)
    };
    for row in 0..a.rows() {
        let value = match &printed {
            None => a.text(0, row),
            Some(p) => p
                .is_valid(row)
                .then(|| std::borrow::Cow::Borrowed(p.value(row))),
        };
        let Some(text) = value else {
            out.append_null();
            continue;
        };
        // VARCHAR(n) counts bytes; an explicit cast truncates rather than failing.
        let max = a
            .int(1, row)?
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let mut cut = max.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        out.append_value(&text[..cut]);
    }
    Ok(Arc::new(out.finish()))
}

/// A column's values as Redshift prints them ([`to_text`]). Timestamps, dates, integers,
/// decimals, floats and booleans, which models cast to text on every row (for surrogate keys
/// and snapshot hashes), are read straight from their arrays.
pub(crate) fn printed(column: &ArrayRef) -> Result<StringArray> {
    let dated = |print: fn(&NaiveDateTime) -> String| -> Result<StringArray> {
        let values = datetimes_of(column, None)?;
        Ok(values.iter().map(|t| t.as_ref().map(print)).collect())
    };
    match column.data_type() {
        DataType::Timestamp(_, None) => dated(format_timestamp),
        DataType::Date32 | DataType::Date64 => dated(format_date),
        DataType::Utf8 => Ok(column.as_string::<i32>().clone()),
        t if t.is_integer() => Ok(cast_strictly(column, &DataType::Utf8)?
            .as_string::<i32>()
            .clone()),
        DataType::Decimal128(p, s) => {
            let (p, s) = (*p, *s);
            let values = column.as_primitive::<Decimal128Type>().iter();
            Ok(values
                .map(|v| v.map(|v| Decimal128Type::format_decimal(v, p, s)))
                .collect())
        }
        DataType::Float64 => {
            let values = column.as_primitive::<Float64Type>().iter();
            Ok(values.map(|v| v.map(format_float)).collect())
        }
        DataType::Float32 => {
            let values = column.as_primitive::<Float32Type>().iter();
            Ok(values
                .map(|v| v.map(|f| format_significant(f64::from(f), 6)))
                .collect())
        }
        DataType::Boolean => Ok(column
            .as_boolean()
            .iter()
            .map(|b| b.map(|b| if b { "true" } else { "false" }))
            .collect()),
        _ => (0..column.len())
            .map(|row| to_text(&ScalarValue::try_from_array(column, row)?))
            .collect(),
    }
}

/// `cast(x as timestamp)`: text read as Redshift reads it, other values converted.
fn to_timestamp_column(a: &Args, now: Option<NaiveDateTime>) -> Result<ArrayRef> {
    Ok(timestamps(a.datetimes(0, now)?))
}

/// `cast(x as date)`.
fn to_date_column(a: &Args, now: Option<NaiveDateTime>) -> Result<ArrayRef> {
    if a.is_text(0) {
        Ok(dates(parse_each(a, "date", |s| parse_date_at(s, now))?))
    } else {
        let days = a
            .datetimes(0, now)?
            .into_iter()
            .map(|t| t.map(|t| t.date()));
        Ok(dates(days))
    }
}

/// `cast(x as time)`: text read as Redshift reads a time of day, a TIME kept, any other
/// value's time of day.
fn to_time_column(a: &Args, now: Option<NaiveDateTime>) -> Result<ArrayRef> {
    if a.is_text(0) {
        Ok(times(parse_each(a, "time", datetime_input::parse_time)?))
    } else if matches!(a.data_type(0), DataType::Time32(_) | DataType::Time64(_)) {
        cast_strictly(&a.column(0)?, &TIME)
    } else {
        let values = a.datetimes(0, now)?.into_iter();
        Ok(times(values.map(|t| t.map(|t| t.time()))))
    }
}

/// `cast(x as timestamptz)`: text with a zone is moved to UTC, text without one is UTC.
fn to_timestamptz_column(a: &Args, now: Option<NaiveDateTime>) -> Result<ArrayRef> {
    let instants = if a.is_text(0) {
        parse_each(a, "timestamp with time zone", |s| {
            datetime_input::parse(s, now).and_then(|p| p.utc())
        })?
    } else {
        a.datetimes(0, now)?
    };
    let micros = instants
        .into_iter()
        .map(|t| t.map(|t| t.and_utc().timestamp_micros()));
    Ok(Arc::new(
        TimestampMicrosecondArray::from_iter(micros).with_timezone("+00:00"),
    ))
}

/// Argument 0 of each row, text, read by `parse`; text it cannot read is an error naming the
/// type `type_name`.
fn parse_each<T: Clone>(
    a: &Args,
    type_name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<Option<T>>> {
    a.each_text(0, |s| match parse(s) {
        Some(v) => Ok(v),
        None => exec_err!("invalid input syntax for type {type_name}: \"{s}\""),
    })
}

/// Timestamps as a TIMESTAMP column.
pub(crate) fn timestamps(values: impl IntoIterator<Item = Option<NaiveDateTime>>) -> ArrayRef {
    let micros = values
        .into_iter()
        .map(|t| t.map(|t| t.and_utc().timestamp_micros()));
    Arc::new(TimestampMicrosecondArray::from_iter(micros))
}

/// Dates as a DATE column.
pub(crate) fn dates(values: impl IntoIterator<Item = Option<NaiveDate>>) -> ArrayRef {
    Arc::new(Date32Array::from_iter(
        values.into_iter().map(|d| d.map(epoch_days)),
    ))
}

/// Times of day as a TIME column.
pub(crate) fn times(values: impl IntoIterator<Item = Option<NaiveTime>>) -> ArrayRef {
    Arc::new(Time64MicrosecondArray::from_iter(
        values.into_iter().map(|t| t.map(micros_of_day)),
    ))
}

/// An interval times a number: each part multiplied, a fraction of a month carried into days
/// (30 to the month) and a fraction of a day into time, as PostgreSQL does.
fn interval_times(a: &Args) -> Result<ArrayRef> {
    let interval = DataType::Interval(IntervalUnit::MonthDayNano);
    let intervals = cast_strictly(&a.column(0)?, &interval)?;
    let factors = cast_strictly(&a.column(1)?, &DataType::Float64)?;
    let intervals = intervals.as_primitive::<IntervalMonthDayNanoType>();
    let factors = factors.as_primitive::<Float64Type>();
    let out = intervals.iter().zip(factors.iter()).map(|(i, n)| {
        let (i, n) = (i?, n?);
        let months = f64::from(i.months) * n;
        let days = f64::from(i.days) * n + months.fract() * 30.0;
        let nanos = i.nanoseconds as f64 * n + days.fract() * 86_400e9;
        Some(IntervalMonthDayNano::new(
            months.trunc() as i32,
            days.trunc() as i32,
            nanos.round() as i64,
        ))
    });
    Ok(Arc::new(IntervalMonthDayNanoArray::from_iter(out)))
}

/// An empty VARCHAR as NULL; any other value (a SUPER's text included) as it is.
fn empty_as_null(a: &Args) -> Result<ArrayRef> {
    let column = a.column(0)?;
    if !matches!(a.data_type(0), DataType::Utf8 | DataType::Utf8View) {
        return Ok(column);
    }
    let empty: BooleanArray = (0..a.rows())
        .map(|row| Some(a.text(0, row).is_some_and(|s| s.is_empty())))
        .collect();
    Ok(nullif(&column, &empty)?)
}

/// The input to an AVG that Redshift answers in the argument's type: an integer's average cut
/// to a whole number, a DECIMAL's cut to the argument's scale (the guide's PIVOT example
/// averages 2.50, 3.75 and 1.90 to 2.71).
fn avg_like_input(a: &Args) -> Result<ArrayRef> {
    let average = a.column(0)?;
    match (average.data_type(), a.data_type(1)) {
        (DataType::Float64, t) if t.is_integer() => {
            let cut: Int64Array = average
                .as_primitive::<Float64Type>()
                .unary(|f| f.trunc() as i64);
            Ok(Arc::new(cut))
        }
        (DataType::Decimal128(_, from), DataType::Decimal128(_, to)) if *from > to => {
            let cut = 10i128.pow(u32::try_from(from - to).unwrap_or(0));
            let cut: Decimal128Array = average.as_primitive::<Decimal128Type>().unary(|v| v / cut);
            Ok(Arc::new(cut.with_precision_and_scale(38, to)?))
        }
        _ => Ok(average),
    }
}

fn is_integer(t: &DataType) -> bool {
    t.is_integer()
}

pub(super) fn udfs(run_time: NaiveDateTime) -> Vec<ScalarUDF> {
    let now = Some(run_time);
    vec![
        ColumnUdf::udf("__rs_to_timestamp", 1..=1, TIMESTAMP, move |a| {
            to_timestamp_column(a, now)
        }),
        ColumnUdf::udf("__rs_to_date", 1..=1, DataType::Date32, move |a| {
            to_date_column(a, now)
        }),
        ColumnUdf::udf("__rs_to_varchar", 1..=2, DataType::Utf8, to_varchar),
        ColumnUdf::udf("__rs_to_time", 1..=1, TIME, move |a| to_time_column(a, now)),
        ColumnUdf::udf("__rs_to_timestamptz", 1..=1, timestamptz(), move |a| {
            to_timestamptz_column(a, now)
        }),
        ColumnUdf::udf(
            "__rs_interval_times",
            2..=2,
            DataType::Interval(IntervalUnit::MonthDayNano),
            interval_times,
        ),
        ColumnUdf::typed(
            "__rs_empty_as_null",
            1..=1,
            |t| Ok(t[0].clone()),
            |a, _| empty_as_null(a),
        ),
        // A date (or text) as a timestamp, for date-and-interval arithmetic; other values
        // pass through.
        ColumnUdf::typed(
            "__rs_as_timestamp",
            1..=1,
            |t| {
                Ok(match &t[0] {
                    DataType::Date32
                    | DataType::Date64
                    | DataType::Utf8
                    | DataType::Utf8View
                    | DataType::LargeUtf8 => TIMESTAMP,
                    other => other.clone(),
                })
            },
            move |a, _| {
                if a.is_text(0) {
                    Ok(timestamps(a.datetimes(0, now)?))
                } else {
                    a.column(0)
                }
            },
        ),
        // A whole number (a ceiling, a floor) of a DECIMAL keeps its precision and drops its
        // scale; the value is cast to that type on the way out.
        ColumnUdf::typed(
            "__rs_whole",
            1..=1,
            |t| {
                Ok(match &t[0] {
                    DataType::Decimal128(p, _) => DataType::Decimal128(*p, 0),
                    other => other.clone(),
                })
            },
            |a, _| a.column(0),
        ),
        ColumnUdf::typed(
            "__rs_median_like",
            2..=2,
            |t| {
                Ok(match &t[1] {
                    t if is_integer(t) => DataType::Decimal128(38, 1),
                    DataType::Decimal128(p, s) => DataType::Decimal128(*p, *s),
                    _ => t[0].clone(),
                })
            },
            |a, _| a.column(0),
        ),
        ColumnUdf::typed(
            "__rs_avg_like_input",
            2..=2,
            |t| {
                Ok(match &t[1] {
                    t if is_integer(t) => DataType::Int64,
                    // AVG of a DECIMAL(p, s) is DECIMAL(38, s).
                    DataType::Decimal128(_, s) => DataType::Decimal128(38, *s),
                    _ => t[0].clone(),
                })
            },
            |a, _| avg_like_input(a),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printing a whole column gives what printing each value gives, for the types printed
    /// straight from their arrays and for one that is not.
    #[test]
    fn columns_print_as_their_values_do() {
        use datafusion::arrow::array::{
            BooleanArray, Date64Array, Float32Array, Float64Array, Int16Array,
            TimestampMillisecondArray, TimestampNanosecondArray,
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(1_714_543_200_500_000),
                None,
                Some(-1),
                Some(0),
            ])),
            Arc::new(TimestampNanosecondArray::from(vec![
                Some(1_714_543_200_123_456_789),
                None,
            ])),
            Arc::new(TimestampMillisecondArray::from(vec![Some(
                1_714_543_200_120,
            )])),
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(1_714_543_200_000_000), None])
                    .with_timezone("+00:00"),
            ),
            Arc::new(Date32Array::from(vec![Some(19_844), None, Some(-719_162)])),
            Arc::new(Date64Array::from(vec![Some(1_714_521_600_000), None])),
            Arc::new(Int16Array::from(vec![Some(-7), None, Some(i16::MAX)])),
            Arc::new(Int64Array::from(vec![Some(i64::MIN), None, Some(42)])),
            Arc::new(
                Decimal128Array::from(vec![Some(12_345), Some(-5), Some(0), None, Some(100)])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            Arc::new(
                Decimal128Array::from(vec![Some(-12_345), None])
                    .with_precision_and_scale(38, 0)
                    .unwrap(),
            ),
            Arc::new(Float64Array::from(vec![
                Some(0.1 + 0.2),
                Some(1e20),
                Some(-0.0),
                Some(f64::NAN),
                None,
            ])),
            Arc::new(Float32Array::from(vec![Some(19_999.99), None])),
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
            Arc::new(IntervalMonthDayNanoArray::from(vec![
                Some(IntervalMonthDayNano::new(14, 3, 5_000_000_000)),
                None,
            ])),
        ];
        for column in columns {
            let whole = printed(&column).unwrap();
            let each: Vec<Option<String>> = (0..column.len())
                .map(|row| to_text(&ScalarValue::try_from_array(&column, row).unwrap()).unwrap())
                .collect();
            let whole: Vec<Option<String>> = whole.iter().map(|v| v.map(str::to_string)).collect();
            assert_eq!(whole, each, "{}", column.data_type());
        }
    }

    #[test]
    fn floats_print_to_their_significant_digits() {
        assert_eq!(format_float(0.1 + 0.2), "0.3");
        assert_eq!(format_float(std::f64::consts::PI), "3.14159265358979");
        assert_eq!(
            format_float(-1.224_646_799_147_353_2e-16),
            "-1.22464679914735e-16"
        );
        assert_eq!(format_float(1e20), "1e+20");
        assert_eq!(format_float(2.5), "2.5");
        assert_eq!(format_float(1024.0), "1024");
        assert_eq!(format_significant(19_999.99, 6), "20000");
        assert_eq!(format_significant(1_999.99, 6), "1999.99");
    }

    #[test]
    fn reads_hours_without_zero_padding() {
        let ts = parse_timestamp("2024-05-16 7:04:11").unwrap();
        assert_eq!(format_timestamp(&ts), "2024-05-16 07:04:11");
    }

    #[test]
    fn prints_fractions_only_when_present() {
        let ts = parse_timestamp("2024-05-16 07:04:11.250").unwrap();
        assert_eq!(format_timestamp(&ts), "2024-05-16 07:04:11.25");
        assert_eq!(
            to_text(&date_value(parse_date("2024-02-29")))
                .unwrap()
                .unwrap(),
            "2024-02-29"
        );
    }
}
