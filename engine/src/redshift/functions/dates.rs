//! Redshift's date and time functions: `getdate`, `dateadd`, `datediff`, `add_months`,
//! `last_day`, `trunc`, `convert_timezone`, and `to_date`/`to_char`/`to_timestamp` with
//! Redshift's format strings (`MM/DD/YY` with its century rule).

use std::sync::Arc;

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use datafusion::arrow::array::{
    ArrayRef, AsArray, Float64Array, Float64Builder, Int64Array, StringBuilder,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;

use super::casts::{
    TIMESTAMP, date_value, dates, micros_of_day, times, timestamp_value, timestamps,
};
use super::columns::{Args, ColumnUdf, cast_strictly};

/// A date part name as Redshift accepts it, in its canonical form.
fn date_part(name: &str) -> Result<&'static str> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "millennium" | "millennia" | "mil" | "mils" => "millennium",
        "century" | "centuries" | "c" | "cent" | "cents" => "century",
        "decade" | "decades" | "dec" | "decs" => "decade",
        "year" | "years" | "y" | "yr" | "yrs" => "year",
        "quarter" | "quarters" | "qtr" | "qtrs" => "quarter",
        "month" | "months" | "mon" | "mons" => "month",
        "week" | "weeks" | "w" => "week",
        "day" | "days" | "d" => "day",
        "hour" | "hours" | "h" | "hr" | "hrs" => "hour",
        "minute" | "minutes" | "m" | "min" | "mins" => "minute",
        "second" | "seconds" | "s" | "sec" | "secs" => "second",
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "msecond" | "mseconds"
        | "millisec" | "millisecs" | "millisecon" => "millisecond",
        "microsecond" | "microseconds" | "microsec" | "microsecs" | "microsecond_" | "usecond"
        | "useconds" | "us" | "usec" | "usecs" => "microsecond",
        other => return exec_err!("\"{other}\" is not a date part Redshift knows"),
    })
}

fn add_months_clamped(ts: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        ts.checked_add_months(m)
    } else {
        ts.checked_sub_months(m)
    }
}

/// A field `date_part` and `extract` read from a timestamp.
#[derive(Debug, Clone, Copy)]
enum Field {
    DayOfWeek,
    DayOfYear,
    Epoch,
    Part(&'static str),
}

fn field(name: &str) -> Result<Field> {
    let name = name.trim().to_ascii_lowercase();
    Ok(match name.as_str() {
        "dayofweek" | "dow" | "dw" | "weekday" => Field::DayOfWeek,
        "dayofyear" | "doy" | "dy" | "yearday" => Field::DayOfYear,
        "epoch" => Field::Epoch,
        other => Field::Part(date_part(other)?),
    })
}

/// `date_part(part, x)` and `extract(part from x)` as Redshift computes them: `week` is the
/// ISO week, `dayofweek` counts from Sunday as 0, `millisecond` and `microsecond` are the
/// second's fraction only, `epoch` counts seconds from 1970. `date_part` gives the second
/// with its fraction (`3.189717`), where `extract` gives the whole second, as the guide's
/// page on date parts shows.
fn extract_field(field: Field, ts: NaiveDateTime, fractional_seconds: bool) -> f64 {
    let micros_of_second = i64::from(ts.nanosecond() / 1_000) % 1_000_000;
    let n = match field {
        Field::DayOfWeek => i64::from(ts.weekday().num_days_from_sunday()),
        Field::DayOfYear => i64::from(ts.ordinal()),
        Field::Epoch => return ts.and_utc().timestamp_micros() as f64 / 1e6,
        Field::Part(part) => match part {
            "millennium" => i64::from((ts.year() - 1).div_euclid(1000) + 1),
            "century" => i64::from((ts.year() - 1).div_euclid(100) + 1),
            // The guide: 1999 is in decade 200, 2000 and 2010 in decades 201 and 202.
            "decade" => i64::from(ts.year().div_euclid(10) + 1),
            "year" => i64::from(ts.year()),
            "quarter" => i64::from(ts.month0() / 3 + 1),
            "month" => i64::from(ts.month()),
            "week" => i64::from(ts.iso_week().week()),
            "day" => i64::from(ts.day()),
            "hour" => i64::from(ts.hour()),
            "minute" => i64::from(ts.minute()),
            "second" if fractional_seconds => {
                let micros = f64::from(ts.nanosecond() / 1_000) / 1e6;
                return f64::from(ts.second()) + micros;
            }
            "second" => i64::from(ts.second()),
            "millisecond" => micros_of_second / 1_000,
            _ => micros_of_second,
        },
    };
    n as f64
}

/// `date_part` (a DOUBLE PRECISION, seconds with their fraction) or `extract` (a BIGINT).
fn extract_column(
    a: &Args,
    now: Option<NaiveDateTime>,
    fractional_seconds: bool,
) -> Result<ArrayRef> {
    let fields = a.each_text(0, field)?;
    let values = fields
        .into_iter()
        .zip(a.datetimes(1, now)?)
        .map(|(f, ts)| Some(extract_field(f?, ts?, fractional_seconds)));
    if fractional_seconds {
        Ok(Arc::new(Float64Array::from_iter(values)))
    } else {
        let whole = values.map(|v| v.map(|v| v as i64));
        Ok(Arc::new(Int64Array::from_iter(whole)))
    }
}

fn is_time(t: &DataType) -> bool {
    matches!(t, DataType::Time32(_) | DataType::Time64(_))
}

/// Years added to a date: 29 February in a year without one is 1 March, as in Redshift
/// (adding twelve months gives 28 February instead).
fn add_years(ts: NaiveDateTime, years: i64) -> Option<NaiveDateTime> {
    let year = i32::try_from(i64::from(ts.year()).checked_add(years)?).ok()?;
    match ts.with_year(year) {
        Some(t) => Some(t),
        None => NaiveDate::from_ymd_opt(year, 3, 1).map(|d| d.and_time(ts.time())),
    }
}

/// `n` `part`s added to a TIME: it wraps around midnight; parts longer than a day are not
/// defined on it.
fn add_to_time(part: &str, n: i64, t: NaiveTime) -> Result<NaiveTime> {
    let unit = match part {
        "hour" => 3_600_000_000,
        "minute" => 60_000_000,
        "second" => 1_000_000,
        "millisecond" => 1_000,
        "microsecond" => 1,
        other => return exec_err!("dateadd cannot add {other}s to a time"),
    };
    let day = 86_400_000_000_i64;
    let micros = micros_of_day(t);
    let Some(moved) = n.checked_mul(unit).and_then(|d| micros.checked_add(d)) else {
        return exec_err!("dateadd: {n} {part}s is out of range for a time");
    };
    let out = moved.rem_euclid(day);
    Ok(NaiveTime::from_num_seconds_from_midnight_opt(
        u32::try_from(out / 1_000_000).unwrap_or(0),
        u32::try_from(out % 1_000_000).unwrap_or(0) * 1_000,
    )
    .unwrap_or(NaiveTime::MIN))
}

/// `n` `part`s added to a timestamp.
fn add_to_timestamp(part: &str, n: i64, ts: NaiveDateTime) -> Option<NaiveDateTime> {
    match part {
        "millennium" => add_years(ts, n.saturating_mul(1_000)),
        "century" => add_years(ts, n.saturating_mul(100)),
        "decade" => add_years(ts, n.saturating_mul(10)),
        "year" => add_years(ts, n),
        "quarter" => add_months_clamped(ts, n * 3),
        "month" => add_months_clamped(ts, n),
        "week" => ts.checked_add_signed(Duration::weeks(n)),
        "day" => ts.checked_add_signed(Duration::days(n)),
        "hour" => ts.checked_add_signed(Duration::hours(n)),
        "minute" => ts.checked_add_signed(Duration::minutes(n)),
        "second" => ts.checked_add_signed(Duration::seconds(n)),
        "millisecond" => ts.checked_add_signed(Duration::milliseconds(n)),
        _ => ts.checked_add_signed(Duration::microseconds(n)),
    }
}

fn dateadd(a: &Args, now: Option<NaiveDateTime>) -> Result<ArrayRef> {
    let parts = a.each_text(0, date_part)?;
    let values = a.datetimes(2, now)?;
    let mut moved = Vec::with_capacity(a.rows());
    for (row, (part, ts)) in parts.into_iter().zip(values).enumerate() {
        moved.push(match (part, a.int(1, row)?, ts) {
            (Some(part), Some(n), Some(ts)) => Some((part, n, ts)),
            _ => None,
        });
    }
    if is_time(&a.data_type(2)) {
        let moved_times = moved
            .into_iter()
            .map(|m| {
                m.map(|(part, n, ts)| add_to_time(part, n, ts.time()))
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(times(moved_times));
    }
    Ok(timestamps(moved.into_iter().map(|m| {
        m.and_then(|(part, n, ts)| add_to_timestamp(part, n, ts))
    })))
}

/// Redshift counts the boundaries of `part` crossed between `a` and `b`.
fn datediff(part: &str, a: NaiveDateTime, b: NaiveDateTime) -> i64 {
    let months = |t: &NaiveDateTime| i64::from(t.year()) * 12 + i64::from(t.month0());
    let floor = |t: &NaiveDateTime, unit: i64| t.and_utc().timestamp_micros().div_euclid(unit);
    let week_start = |t: &NaiveDateTime| {
        let d = t.date();
        d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
    };
    match part {
        "millennium" => i64::from(b.year() / 1000 - a.year() / 1000),
        "century" => i64::from(b.year() / 100 - a.year() / 100),
        "decade" => i64::from(b.year() / 10 - a.year() / 10),
        "year" => i64::from(b.year() - a.year()),
        "quarter" => {
            (i64::from(b.year()) * 4 + i64::from(b.month0() / 3))
                - (i64::from(a.year()) * 4 + i64::from(a.month0() / 3))
        }
        "month" => months(&b) - months(&a),
        "week" => (week_start(&b) - week_start(&a)).num_days() / 7,
        "day" => (b.date() - a.date()).num_days(),
        "hour" => floor(&b, 3_600_000_000) - floor(&a, 3_600_000_000),
        "minute" => floor(&b, 60_000_000) - floor(&a, 60_000_000),
        "second" => floor(&b, 1_000_000) - floor(&a, 1_000_000),
        "millisecond" => floor(&b, 1_000) - floor(&a, 1_000),
        _ => floor(&b, 1) - floor(&a, 1),
    }
}

fn datediff_column(a: &Args, now: Option<NaiveDateTime>) -> Result<ArrayRef> {
    let parts = a.each_text(0, date_part)?;
    let counts = parts
        .into_iter()
        .zip(a.datetimes(1, now)?)
        .zip(a.datetimes(2, now)?)
        .map(|((part, x), y)| Some(datediff(part?, x?, y?)));
    Ok(Arc::new(Int64Array::from_iter(counts)))
}

/// A time zone as `convert_timezone` takes it: a name (`America/New_York`), an abbreviation
/// with its fixed offset (`PST`), or a POSIX-style name and offset (`NEWZONE +2`, `GMT+2`),
/// where a positive offset is west of Greenwich.
#[derive(Clone, Copy)]
enum Zone {
    Named(chrono_tz::Tz),
    Fixed(chrono::FixedOffset),
}

fn posix_offset(name: &str) -> Option<chrono::FixedOffset> {
    let i = name.find(['+', '-'])?;
    let (sign, rest) = name[i..].split_at(1);
    let (h, m) = match rest.trim().split_once(':') {
        Some((h, m)) => (h.trim().parse::<i32>().ok()?, m.trim().parse::<i32>().ok()?),
        None => (rest.trim().parse::<i32>().ok()?, 0),
    };
    let west = h * 3600 + m * 60;
    chrono::FixedOffset::west_opt(if sign == "-" { -west } else { west })
}

fn parse_tz(name: &str) -> Result<Zone> {
    let trimmed = name.trim();
    let lower = trimmed.to_ascii_lowercase();
    if let Some((_, hours)) = super::datetime_input::ZONES
        .iter()
        .find(|(z, _)| *z == lower)
        && let Some(offset) = chrono::FixedOffset::east_opt(hours * 3600)
    {
        return Ok(Zone::Fixed(offset));
    }
    if let Some(offset) = posix_offset(trimmed) {
        return Ok(Zone::Fixed(offset));
    }
    trimmed
        .parse::<chrono_tz::Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(trimmed))
                .copied()
        })
        .map(Zone::Named)
        .map_or_else(
            || exec_err!("\"{name}\" is not a time zone Redshift knows"),
            Ok,
        )
}

/// The UTC instant of `local` time in `zone`.
fn to_utc(zone: &Zone, local: &NaiveDateTime) -> Option<NaiveDateTime> {
    match zone {
        Zone::Named(tz) => tz
            .from_local_datetime(local)
            .earliest()
            .map(|t| t.naive_utc()),
        Zone::Fixed(o) => o
            .from_local_datetime(local)
            .earliest()
            .map(|t| t.naive_utc()),
    }
}

/// The local time in `zone` of the UTC instant `utc`.
fn from_utc(zone: &Zone, utc: &NaiveDateTime) -> NaiveDateTime {
    match zone {
        Zone::Named(tz) => tz.from_utc_datetime(utc).naive_local(),
        Zone::Fixed(o) => o.from_utc_datetime(utc).naive_local(),
    }
}

fn convert_timezone(a: &Args) -> Result<ArrayRef> {
    let (source, target, value) = match a.len() {
        2 => (None, 0, 1),
        _ => (Some(0), 1, 2),
    };
    let sources = match source {
        Some(i) => a.each_text(i, |name| Ok((parse_tz(name)?, name.to_string())))?,
        None => vec![Some((parse_tz("UTC")?, "UTC".to_string())); a.rows()],
    };
    let targets = a.each_text(target, parse_tz)?;
    let values = a.datetimes(value, None)?;
    let mut out = Vec::with_capacity(a.rows());
    for ((source, target), ts) in sources.into_iter().zip(targets).zip(values) {
        let (Some((src, name)), Some(tgt), Some(ts)) = (source, target, ts) else {
            out.push(None);
            continue;
        };
        let Some(utc) = to_utc(&src, &ts) else {
            return exec_err!("{ts} does not exist in time zone {name}");
        };
        out.push(Some(from_utc(&tgt, &utc)));
    }
    Ok(timestamps(out))
}

/// `trunc(timestamp)` is its date; `trunc(number, scale)` cuts the number toward zero.
fn trunc(a: &Args) -> Result<ArrayRef> {
    match a.data_type(0) {
        DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(..)
        | DataType::Utf8
        | DataType::Utf8View
        | DataType::LargeUtf8 => {
            let days = a
                .datetimes(0, None)?
                .into_iter()
                .map(|t| t.map(|t| t.date()));
            Ok(dates(days))
        }
        t if t.is_integer() => a.column(0),
        _ => {
            let numbers = cast_strictly(&a.column(0)?, &DataType::Float64)?;
            let numbers = numbers.as_primitive::<Float64Type>();
            let mut out = Float64Builder::with_capacity(a.rows());
            for (row, f) in numbers.iter().enumerate() {
                let scale = a.int(1, row)?.unwrap_or(0);
                let factor = 10f64.powi(i32::try_from(scale).unwrap_or(0));
                out.append_option(f.map(|f| (f * factor).trunc() / factor));
            }
            Ok(Arc::new(out.finish()))
        }
    }
}

/// A token of a Redshift datetime format string.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Year4,
    Year2,
    Month,
    MonthName(Case),
    MonAbbr(Case),
    Day,
    DayOfYear,
    Hour24,
    Hour12,
    Minute,
    Second,
    Millis,
    Micros,
    Meridian(Case),
    DayName(Case),
    DayAbbr(Case),
    Quarter,
    IsoDayOfWeek,
    IsoWeek,
    IsoYear,
    Century,
    WeekOfYear,
    WeekOfMonth,
    DayOfWeek,
    Julian,
    Year3,
    Year1,
    YearComma,
    Zone(Case),
    Literal(char),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Upper,
    Title,
    Lower,
}

fn case_of(s: &str) -> Case {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_uppercase() => Case::Upper,
        (Some(a), _) if a.is_uppercase() => Case::Title,
        _ => Case::Lower,
    }
}

fn tokenize(format: &str) -> Vec<Tok> {
    type MakeTok = fn(Case) -> Tok;
    let patterns: &[(&str, MakeTok)] = &[
        ("y,yyy", |_| Tok::YearComma),
        ("tz", Tok::Zone),
        ("iyyy", |_| Tok::IsoYear),
        ("yyyy", |_| Tok::Year4),
        ("yyy", |_| Tok::Year3),
        ("hh24", |_| Tok::Hour24),
        ("hh12", |_| Tok::Hour12),
        ("month", Tok::MonthName),
        ("a.m.", Tok::Meridian),
        ("p.m.", Tok::Meridian),
        ("ddd", |_| Tok::DayOfYear),
        ("day", Tok::DayName),
        ("mon", Tok::MonAbbr),
        ("yy", |_| Tok::Year2),
        ("mm", |_| Tok::Month),
        ("dd", |_| Tok::Day),
        ("hh", |_| Tok::Hour12),
        ("mi", |_| Tok::Minute),
        ("ss", |_| Tok::Second),
        ("ms", |_| Tok::Millis),
        ("us", |_| Tok::Micros),
        ("am", Tok::Meridian),
        ("pm", Tok::Meridian),
        ("dy", Tok::DayAbbr),
        ("q", |_| Tok::Quarter),
        ("id", |_| Tok::IsoDayOfWeek),
        ("iw", |_| Tok::IsoWeek),
        ("cc", |_| Tok::Century),
        ("ww", |_| Tok::WeekOfYear),
        ("w", |_| Tok::WeekOfMonth),
        ("d", |_| Tok::DayOfWeek),
        ("j", |_| Tok::Julian),
        ("y", |_| Tok::Year1),
    ];
    let mut out = Vec::new();
    let mut rest = format;
    'outer: while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("FM").or_else(|| rest.strip_prefix("fm")) {
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            out.extend(r[..end].chars().map(Tok::Literal));
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        for (p, make) in patterns {
            if rest.len() >= p.len()
                && rest.is_char_boundary(p.len())
                && rest[..p.len()].eq_ignore_ascii_case(p)
            {
                out.push(make(case_of(&rest[..p.len()])));
                rest = &rest[p.len()..];
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(Tok::Literal(c));
        }
        rest = chars.as_str();
    }
    out
}

use super::datetime_input::MONTHS;

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn take_digits(s: &str, max: usize) -> (Option<i64>, &str) {
    let n = s.chars().take(max).take_while(char::is_ascii_digit).count();
    (s[..n].parse().ok(), &s[n..])
}

/// Reads `input` with a Redshift format string, as `to_date` and `to_timestamp` do.
#[cfg(test)]
fn parse_with_format(input: &str, format: &str) -> Result<NaiveDateTime> {
    parse_with_format_strict(input, format, true)
}

/// Reads `input` by a Redshift format. Strict (the default), a day or month out of range is
/// an error; not strict, it rolls over (`20010631` is 1 July). Hour 24 is the next day's
/// hour 0 either way.
fn parse_with_format_strict(input: &str, format: &str, strict: bool) -> Result<NaiveDateTime> {
    let mut s = input.trim_start();
    let (mut year, mut month, mut day) = (1i64, 1i64, 1i64);
    let (mut hour, mut minute, mut second, mut micros) = (0i64, 0i64, 0i64, 0i64);
    let mut pm: Option<bool> = None;
    let bad = || exec_err!("invalid value \"{input}\" for format \"{format}\"");
    for tok in tokenize(format) {
        let (value, rest) = match tok {
            Tok::Year4 => take_digits(s, 4),
            Tok::Year2 => take_digits(s, 2),
            Tok::Month | Tok::Day | Tok::Hour24 | Tok::Hour12 | Tok::Minute | Tok::Second => {
                take_digits(s, 2)
            }
            Tok::DayOfYear => take_digits(s, 3),
            Tok::Millis => take_digits(s, 3),
            Tok::Micros => take_digits(s, 6),
            Tok::Quarter | Tok::IsoDayOfWeek | Tok::DayOfWeek | Tok::WeekOfMonth | Tok::Year1 => {
                take_digits(s, 1)
            }
            Tok::IsoWeek | Tok::WeekOfYear | Tok::Century => take_digits(s, 2),
            Tok::IsoYear => take_digits(s, 4),
            Tok::Year3 => take_digits(s, 3),
            Tok::Julian => take_digits(s, 7),
            Tok::Zone(_) => {
                let len = s.chars().take_while(|c| c.is_ascii_alphabetic()).count();
                (Some(0), &s[len..])
            }
            Tok::YearComma => {
                let (thousands, rest) = take_digits(s, 3);
                match (thousands, rest.strip_prefix(',')) {
                    (Some(t), Some(r)) => {
                        let (units, rest) = take_digits(r, 3);
                        (units.map(|u| t * 1000 + u), rest)
                    }
                    _ => (None, rest),
                }
            }
            Tok::MonthName(_) | Tok::MonAbbr(_) => {
                let lower = s.to_ascii_lowercase();
                let found = MONTHS.iter().enumerate().find_map(|(i, m)| {
                    if lower.starts_with(m) {
                        Some((i, m.len()))
                    } else if lower.starts_with(&m[..3]) {
                        Some((i, 3))
                    } else {
                        None
                    }
                });
                match found {
                    Some((i, len)) => (Some(i as i64 + 1), &s[len..]),
                    None => return bad(),
                }
            }
            Tok::DayName(_) | Tok::DayAbbr(_) => {
                let lower = s.to_ascii_lowercase();
                let len = DAYS
                    .iter()
                    .find_map(|d| {
                        if lower.starts_with(d) {
                            Some(d.len())
                        } else if lower.starts_with(&d[..3]) {
                            Some(3)
                        } else {
                            None
                        }
                    })
                    .unwrap_or(0);
                (Some(0), &s[len..])
            }
            Tok::Meridian(_) => {
                let lower = s.to_ascii_lowercase();
                let (is_pm, len) = if lower.starts_with("p.m.") {
                    (true, 4)
                } else if lower.starts_with("a.m.") {
                    (false, 4)
                } else if lower.starts_with("pm") {
                    (true, 2)
                } else if lower.starts_with("am") {
                    (false, 2)
                } else {
                    return bad();
                };
                pm = Some(is_pm);
                (Some(0), &s[len..])
            }
            Tok::Literal(c) => {
                let mut chars = s.chars();
                match chars.next() {
                    Some(x) if x == c || (!x.is_alphanumeric() && !c.is_alphanumeric()) => {
                        (Some(0), chars.as_str())
                    }
                    Some(_) if c == ' ' => (Some(0), s),
                    None => (Some(0), s),
                    Some(_) => return bad(),
                }
            }
        };
        let Some(v) = value else {
            return bad();
        };
        s = rest;
        match tok {
            Tok::Year4 | Tok::IsoYear | Tok::YearComma => year = v,
            // Redshift, like PostgreSQL, reads a two-digit year as the one nearest 2020.
            Tok::Year2 => year = if v < 70 { 2000 + v } else { 1900 + v },
            Tok::Month | Tok::MonthName(_) | Tok::MonAbbr(_) => month = v,
            Tok::Day => day = v,
            Tok::Hour24 | Tok::Hour12 => hour = v,
            Tok::Minute => minute = v,
            Tok::Second => second = v,
            Tok::Millis => micros = v * 1000,
            Tok::Micros => micros = v,
            _ => {}
        }
    }
    if let Some(is_pm) = pm {
        hour = match (hour, is_pm) {
            (12, false) => 0,
            (h, true) if h < 12 => h + 12,
            (h, _) => h,
        };
    }
    let date = if strict {
        NaiveDate::from_ymd_opt(
            i32::try_from(year).unwrap_or(0),
            u32::try_from(month).unwrap_or(0),
            u32::try_from(day).unwrap_or(0),
        )
    } else {
        NaiveDate::from_ymd_opt(i32::try_from(year).unwrap_or(0), 1, 1)
            .and_then(|d| add_months_clamped(d.and_time(NaiveTime::MIN), month - 1))
            .and_then(|d| d.date().checked_add_signed(Duration::days(day - 1)))
    };
    let (extra_day, hour) = if hour == 24 { (1, 0) } else { (0, hour) };
    let time = NaiveTime::from_hms_micro_opt(
        u32::try_from(hour).unwrap_or(99),
        u32::try_from(minute).unwrap_or(99),
        u32::try_from(second).unwrap_or(99),
        u32::try_from(micros).unwrap_or(0),
    );
    match (date, time) {
        (Some(d), Some(t)) => Ok(d.and_time(t) + Duration::days(extra_day)),
        _ => exec_err!("date/time field value out of range: \"{input}\" for format \"{format}\""),
    }
}

fn cased(s: &str, case: Case) -> String {
    match case {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
        Case::Title => {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

/// Prints `ts` with a Redshift format string, as `to_char` does.
#[cfg(test)]
fn format_with(ts: &NaiveDateTime, format: &str) -> String {
    format_tokens(ts, &tokenize(format), "")
}

/// Prints `ts` by the tokens of a format; `zone` is what `TZ` prints: UTC for a TIMESTAMPTZ,
/// nothing for a timestamp without one.
fn format_tokens(ts: &NaiveDateTime, tokens: &[Tok], zone: &str) -> String {
    let mut out = String::new();
    let hour12 = match ts.hour() % 12 {
        0 => 12,
        h => h,
    };
    for tok in tokens {
        match *tok {
            Tok::Year4 => out.push_str(&format!("{:04}", ts.year())),
            Tok::Year2 => out.push_str(&format!("{:02}", ts.year().rem_euclid(100))),
            Tok::Month => out.push_str(&format!("{:02}", ts.month())),
            Tok::MonthName(c) => {
                out.push_str(&format!("{:<9}", cased(MONTHS[ts.month0() as usize], c)))
            }
            Tok::MonAbbr(c) => out.push_str(&cased(&MONTHS[ts.month0() as usize][..3], c)),
            Tok::Day => out.push_str(&format!("{:02}", ts.day())),
            Tok::DayOfYear => out.push_str(&format!("{:03}", ts.ordinal())),
            Tok::Hour24 => out.push_str(&format!("{:02}", ts.hour())),
            Tok::Hour12 => out.push_str(&format!("{hour12:02}")),
            Tok::Minute => out.push_str(&format!("{:02}", ts.minute())),
            Tok::Second => out.push_str(&format!("{:02}", ts.second())),
            Tok::Millis => out.push_str(&format!("{:03}", ts.and_utc().timestamp_subsec_millis())),
            Tok::Micros => out.push_str(&format!("{:06}", ts.and_utc().timestamp_subsec_micros())),
            Tok::Meridian(c) => out.push_str(&cased(if ts.hour() < 12 { "am" } else { "pm" }, c)),
            Tok::DayName(c) => out.push_str(&format!(
                "{:<9}",
                cased(DAYS[ts.weekday().num_days_from_monday() as usize], c)
            )),
            Tok::DayAbbr(c) => out.push_str(&cased(
                &DAYS[ts.weekday().num_days_from_monday() as usize][..3],
                c,
            )),
            Tok::Quarter => out.push_str(&(ts.month0() / 3 + 1).to_string()),
            Tok::IsoDayOfWeek => out.push_str(&ts.weekday().number_from_monday().to_string()),
            Tok::IsoWeek => out.push_str(&format!("{:02}", ts.iso_week().week())),
            Tok::IsoYear => out.push_str(&format!("{:04}", ts.iso_week().year())),
            Tok::Century => out.push_str(&format!("{:02}", (ts.year() - 1).div_euclid(100) + 1)),
            Tok::WeekOfYear => out.push_str(&format!("{:02}", (ts.ordinal() - 1) / 7 + 1)),
            Tok::WeekOfMonth => out.push_str(&((ts.day() - 1) / 7 + 1).to_string()),
            Tok::DayOfWeek => out.push_str(&ts.weekday().number_from_sunday().to_string()),
            Tok::Julian => out.push_str(&(ts.date().num_days_from_ce() + 1_721_425).to_string()),
            Tok::Year3 => out.push_str(&format!("{:03}", ts.year().rem_euclid(1000))),
            Tok::Year1 => out.push_str(&ts.year().rem_euclid(10).to_string()),
            Tok::YearComma => {
                let y = ts.year();
                out.push_str(&format!("{},{:03}", y / 1000, y.rem_euclid(1000)));
            }
            Tok::Zone(c) => out.push_str(&cased(zone, c)),
            Tok::Literal(ch) => out.push(ch),
        }
    }
    out
}

/// Each row's text (argument 0) read by its format (argument 1), strictly unless argument 2
/// is false, as `to_date` and `to_timestamp` read them.
fn parse_formatted(a: &Args) -> Result<Vec<Option<NaiveDateTime>>> {
    (0..a.rows())
        .map(|row| {
            let (Some(s), Some(f)) = (a.text(0, row), a.text(1, row)) else {
                return Ok(None);
            };
            let strict = a.boolean(2, row).flatten().unwrap_or(true);
            parse_with_format_strict(&s, &f, strict).map(Some)
        })
        .collect()
}

/// `to_date(text, format [, strict])`.
fn to_date_formatted(a: &Args) -> Result<ArrayRef> {
    let parsed = parse_formatted(a)?.into_iter();
    Ok(dates(parsed.map(|t| t.map(|t| t.date()))))
}

/// `to_timestamp(text, format [, strict])`: a TIMESTAMPTZ; a timestamp argument is read as
/// its text.
fn to_timestamp_formatted(a: &Args) -> Result<ArrayRef> {
    let micros = parse_formatted(a)?
        .into_iter()
        .map(|t| t.map(|t| t.and_utc().timestamp_micros()));
    Ok(Arc::new(
        TimestampMicrosecondArray::from_iter(micros).with_timezone("+00:00"),
    ))
}

/// `to_char(value, format)`: a date or timestamp by a datetime format, anything else as a
/// number by a number format.
fn to_char(a: &Args) -> Result<ArrayRef> {
    let zone = match a.data_type(0) {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, None) => "",
        DataType::Timestamp(_, Some(_)) => "UTC",
        _ => {
            let mut out = StringBuilder::with_capacity(a.rows(), 0);
            for row in 0..a.rows() {
                let (Some(n), Some(f)) = (a.text(0, row), a.text(1, row)) else {
                    out.append_null();
                    continue;
                };
                out.append_value(super::number_format::format(&n, &f)?);
            }
            return Ok(Arc::new(out.finish()));
        }
    };
    let formats = a.each_text(1, |f| Ok(Arc::<[Tok]>::from(tokenize(f))))?;
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    for (format, ts) in formats.into_iter().zip(a.datetimes(0, None)?) {
        match (format, ts) {
            (Some(format), Some(ts)) => out.append_value(format_tokens(&ts, &format, zone)),
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// `add_months`: the last day of a month maps to the last day of the result month.
fn add_months(a: &Args) -> Result<ArrayRef> {
    let mut out = Vec::with_capacity(a.rows());
    for (row, ts) in a.datetimes(0, None)?.into_iter().enumerate() {
        let (Some(ts), Some(n)) = (ts, a.int(1, row)?) else {
            out.push(None);
            continue;
        };
        let is_last = ts.date().succ_opt().is_none_or(|d| d.month() != ts.month());
        out.push(add_months_clamped(ts, n).map(|t| {
            if is_last {
                last_day_of(t.date()).and_time(t.time())
            } else {
                t
            }
        }));
    }
    Ok(timestamps(out))
}

/// `next_day(date, day)`: the first date after `date` that falls on `day`.
fn next_day(a: &Args, now: Option<NaiveDateTime>) -> Result<ArrayRef> {
    let days = a.each_text(1, |day| {
        weekday_named(day).map_or_else(|| exec_err!("\"{day}\" is not a day of the week"), Ok)
    })?;
    let next = a
        .datetimes(0, now)?
        .into_iter()
        .zip(days)
        .map(|(x, target)| {
            let (d, target) = (x?.date(), target?);
            let ahead =
                (7 + target.num_days_from_monday() - d.weekday().num_days_from_monday() - 1) % 7
                    + 1;
            d.checked_add_signed(Duration::days(i64::from(ahead)))
        });
    Ok(dates(next))
}

/// A function of two timestamps (`date_cmp`, `months_between`), NULL when either is.
fn of_two<T>(
    a: &Args,
    now: Option<NaiveDateTime>,
    f: impl Fn(NaiveDateTime, NaiveDateTime) -> T,
) -> Result<impl Iterator<Item = Option<T>>> {
    let pairs = a.datetimes(0, now)?.into_iter().zip(a.datetimes(1, now)?);
    Ok(pairs.map(move |(x, y)| Some(f(x?, y?))))
}

/// The run's time as a one-row column of `value`'s type.
fn run_value(value: ScalarValue) -> Result<ArrayRef> {
    value.to_array_of_size(1)
}

pub(super) fn udfs(run_time: NaiveDateTime) -> Vec<ScalarUDF> {
    let now = Some(run_time);
    vec![
        ColumnUdf::udf("getdate", 0..=0, TIMESTAMP, move |_| {
            run_value(timestamp_value(Some(
                run_time.with_nanosecond(0).unwrap_or(run_time),
            )))
        }),
        // SYSDATE keeps the microseconds that GETDATE() drops.
        ColumnUdf::udf("__rs_sysdate", 0..=0, TIMESTAMP, move |_| {
            run_value(timestamp_value(Some(run_time)))
        }),
        ColumnUdf::udf("timeofday", 0..=0, DataType::Utf8, move |_| {
            run_value(ScalarValue::Utf8(Some(
                run_time.format("%a %b %d %H:%M:%S%.6f %Y UTC").to_string(),
            )))
        }),
        ColumnUdf::udf("__rs_current_date", 0..=0, DataType::Date32, move |_| {
            run_value(date_value(Some(run_time.date())))
        }),
        ColumnUdf::typed(
            "dateadd",
            3..=3,
            |t| {
                Ok(if is_time(&t[2]) {
                    t[2].clone()
                } else {
                    TIMESTAMP
                })
            },
            move |a, _| dateadd(a, now),
        ),
        ColumnUdf::udf("__rs_date_part", 2..=2, DataType::Float64, move |a| {
            extract_column(a, now, true)
        }),
        ColumnUdf::udf("__rs_extract", 2..=2, DataType::Int64, move |a| {
            extract_column(a, now, false)
        }),
        ColumnUdf::udf("date_part_year", 1..=1, DataType::Int64, move |a| {
            let years = a.datetimes(0, now)?.into_iter();
            Ok(Arc::new(Int64Array::from_iter(
                years.map(|t| t.map(|t| i64::from(t.year()))),
            )))
        }),
        ColumnUdf::udf("date_cmp", 2..=2, DataType::Int64, move |a| {
            let order = of_two(a, now, |x, y| super::comparison(x.cmp(&y)))?;
            Ok(Arc::new(Int64Array::from_iter(order)))
        }),
        ColumnUdf::udf("months_between", 2..=2, DataType::Float64, move |a| {
            let months = of_two(a, now, |x, y| months_between(x.date(), y.date()))?;
            Ok(Arc::new(Float64Array::from_iter(months)))
        }),
        ColumnUdf::udf("next_day", 2..=2, DataType::Date32, move |a| {
            next_day(a, now)
        }),
        ColumnUdf::udf("datediff", 3..=3, DataType::Int64, move |a| {
            datediff_column(a, now)
        }),
        ColumnUdf::udf("convert_timezone", 2..=3, TIMESTAMP, convert_timezone),
        ColumnUdf::udf("add_months", 2..=2, TIMESTAMP, add_months),
        ColumnUdf::udf("last_day", 1..=1, DataType::Date32, |a| {
            let days = a.datetimes(0, None)?.into_iter();
            Ok(dates(days.map(|t| t.map(|t| last_day_of(t.date())))))
        }),
        ColumnUdf::typed(
            "trunc",
            1..=2,
            |t| {
                Ok(match &t[0] {
                    DataType::Date32
                    | DataType::Date64
                    | DataType::Timestamp(..)
                    | DataType::Utf8
                    | DataType::Utf8View
                    | DataType::LargeUtf8 => DataType::Date32,
                    t if t.is_integer() => t.clone(),
                    _ => DataType::Float64,
                })
            },
            |a, _| trunc(a),
        ),
        ColumnUdf::udf("to_date", 2..=3, DataType::Date32, to_date_formatted),
        ColumnUdf::udf(
            "to_timestamp",
            2..=3,
            super::casts::timestamptz(),
            to_timestamp_formatted,
        ),
        ColumnUdf::udf("to_char", 2..=2, DataType::Utf8, to_char),
    ]
}

/// Whole months between two dates, plus the rest as a fraction of a 31-day month; the last
/// days of two months, or the same day of the month, are whole months apart.
fn months_between(a: NaiveDate, b: NaiveDate) -> f64 {
    let whole = (i64::from(a.year()) - i64::from(b.year())) * 12 + i64::from(a.month())
        - i64::from(b.month());
    let both_last = last_day_of(a) == a && last_day_of(b) == b;
    if a.day() == b.day() || both_last {
        return whole as f64;
    }
    whole as f64 + (f64::from(a.day()) - f64::from(b.day())) / 31.0
}

/// A day of the week from its name or an abbreviation of it (`tu`, `Tues`, `Tuesday`).
fn weekday_named(name: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    let n = name.trim().to_ascii_lowercase();
    if n.len() < 2 {
        return None;
    }
    [
        ("monday", Mon),
        ("tuesday", Tue),
        ("wednesday", Wed),
        ("thursday", Thu),
        ("friday", Fri),
        ("saturday", Sat),
        ("sunday", Sun),
    ]
    .into_iter()
    .find(|(full, _)| full.starts_with(&n))
    .map(|(_, d)| d)
}

fn last_day_of(d: NaiveDate) -> NaiveDate {
    let first_next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    first_next.and_then(|f| f.pred_opt()).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_digit_years_pivot_at_70() {
        let d = |s| parse_with_format(s, "MM/DD/YY").unwrap().date().to_string();
        assert_eq!(d("5/16/94"), "1994-05-16");
        assert_eq!(d("05/16/23"), "2023-05-16");
        assert_eq!(d("1/2/69"), "2069-01-02");
        assert_eq!(d("1/2/70"), "1970-01-02");
    }

    #[test]
    fn formats_like_to_char() {
        let ts = parse_with_format("2024-05-16 19:04:11", "YYYY-MM-DD HH24:MI:SS").unwrap();
        assert_eq!(
            format_with(&ts, "Mon DD, YYYY HH12:MI AM"),
            "May 16, 2024 07:04 PM"
        );
        assert_eq!(format_with(&ts, "YYYY-Q"), "2024-2");
    }
}
