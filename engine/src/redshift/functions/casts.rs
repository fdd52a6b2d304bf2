//! Casts that DataFusion does differently from Redshift: text to timestamp and date with
//! Redshift's lenient input formats, anything to text with Redshift's output formats, and
//! integer AVG.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;

use super::{RowUdf, int, text};

/// Redshift keeps microseconds (and years up to 294276): so do we.
pub(crate) const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);

const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y%m%d %H:%M:%S%.f",
];
const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d", "%d-%b-%Y", "%b %d %Y",
];

/// Parses text the way Redshift reads a timestamp literal: `2024-05-16 7:04:11` (hour not
/// zero-padded), ISO `T`, a date alone (midnight), US `M/D/YYYY`, a trailing `+00` offset.
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let s = strip_utc_offset(s);
    DATETIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| parse_date(s).map(|d| d.and_time(NaiveTime::MIN)))
}

fn strip_utc_offset(s: &str) -> &str {
    for suffix in ["+00:00", "+00", "Z", " UTC"] {
        if let Some(rest) = s.strip_suffix(suffix)
            && rest.len() > 10
        {
            return rest;
        }
    }
    s
}

pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    DATE_FORMATS
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .or_else(|| {
            DATETIME_FORMATS
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(strip_utc_offset(s), f).ok())
                .map(|dt| dt.date())
        })
}

/// `YYYY-MM-DD HH:MI:SS`, with fractional seconds only when present, trailing zeros dropped:
/// how Redshift prints a timestamp as text (and so what dbt's snapshot hashes see).
pub fn format_timestamp(ts: &NaiveDateTime) -> String {
    let base = ts.format("%Y-%m-%d %H:%M:%S").to_string();
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
    let nanos = |n: i64| DateTime::from_timestamp_nanos(n).naive_utc();
    Ok(match v {
        v if v.is_null() => None,
        ScalarValue::TimestampNanosecond(Some(n), _) => Some(nanos(*n)),
        ScalarValue::TimestampMicrosecond(Some(n), _) => {
            DateTime::from_timestamp_micros(*n).map(|d| d.naive_utc())
        }
        ScalarValue::TimestampMillisecond(Some(n), _) => {
            DateTime::from_timestamp_millis(*n).map(|d| d.naive_utc())
        }
        ScalarValue::TimestampSecond(Some(n), _) => {
            DateTime::from_timestamp(*n, 0).map(|d| d.naive_utc())
        }
        ScalarValue::Date32(Some(d)) => {
            NaiveDate::from_num_days_from_ce_opt(d + 719_163).map(|d| d.and_time(NaiveTime::MIN))
        }
        ScalarValue::Date64(Some(ms)) => {
            DateTime::from_timestamp_millis(*ms).map(|d| d.naive_utc())
        }
        other => {
            let Some(s) = text(other) else {
                return Ok(None);
            };
            match parse_timestamp(&s) {
                Some(ts) => Some(ts),
                None => {
                    return exec_err!("invalid input syntax for type timestamp: \"{s}\"");
                }
            }
        }
    })
}

pub(crate) fn timestamp_value(ts: Option<NaiveDateTime>) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(ts.map(|t| t.and_utc().timestamp_micros()), None)
}

pub(crate) fn date_value(d: Option<NaiveDate>) -> ScalarValue {
    ScalarValue::Date32(d.map(|d| d.num_days_from_ce() - 719_163))
}

use chrono::Datelike;

fn to_date(v: &ScalarValue) -> Result<ScalarValue> {
    let date = match v {
        v if v.is_null() => None,
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => match parse_date(s) {
            Some(d) => Some(d),
            None => return exec_err!("invalid input syntax for type date: \"{s}\""),
        },
        other => to_datetime(other)?.map(|dt| dt.date()),
    };
    Ok(date_value(date))
}

/// Any value as Redshift prints it.
pub fn to_text(v: &ScalarValue) -> Result<Option<String>> {
    Ok(match v {
        v if v.is_null() => None,
        ScalarValue::Date32(_) | ScalarValue::Date64(_) => {
            to_datetime(v)?.map(|d| d.format("%Y-%m-%d").to_string())
        }
        ScalarValue::TimestampNanosecond(..)
        | ScalarValue::TimestampMicrosecond(..)
        | ScalarValue::TimestampMillisecond(..)
        | ScalarValue::TimestampSecond(..) => to_datetime(v)?.map(|d| format_timestamp(&d)),
        ScalarValue::Boolean(Some(b)) => Some(if *b { "true" } else { "false" }.to_string()),
        ScalarValue::Float64(Some(f)) => Some(format_float(*f)),
        ScalarValue::Float32(Some(f)) => Some(format_float(f64::from(*f))),
        other => text(other),
    })
}

fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

fn to_varchar(args: &[ScalarValue]) -> Result<ScalarValue> {
    let mut s = to_text(&args[0])?;
    if let (Some(text), Some(len)) = (s.as_mut(), args.get(1).map(int).transpose()?.flatten()) {
        // VARCHAR(n) counts bytes; an explicit cast truncates rather than failing.
        let max = usize::try_from(len).unwrap_or(usize::MAX);
        if text.len() > max {
            let mut cut = max;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
    }
    Ok(ScalarValue::Utf8(s))
}

fn is_integer(t: &DataType) -> bool {
    t.is_integer()
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    vec![
        RowUdf::udf(
            "__rs_to_timestamp",
            1..=1,
            |_| Ok(TIMESTAMP),
            |a| Ok(timestamp_value(to_datetime(&a[0])?)),
        ),
        RowUdf::udf(
            "__rs_to_date",
            1..=1,
            |_| Ok(DataType::Date32),
            |a| to_date(&a[0]),
        ),
        RowUdf::udf("__rs_to_varchar", 1..=2, |_| Ok(DataType::Utf8), to_varchar),
        RowUdf::udf(
            "__rs_avg_like_input",
            2..=2,
            |t| {
                Ok(if is_integer(&t[1]) {
                    DataType::Int64
                } else {
                    t[0].clone()
                })
            },
            |a| match (&a[0], a[1].data_type().is_integer()) {
                (ScalarValue::Float64(Some(f)), true) => {
                    Ok(ScalarValue::Int64(Some(f.trunc() as i64)))
                }
                (v, true) if v.is_null() => Ok(ScalarValue::Int64(None)),
                (v, _) => Ok(v.clone()),
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

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
