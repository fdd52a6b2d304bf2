//! Redshift's date and time functions: `getdate`, `dateadd`, `datediff`, `add_months`,
//! `last_day`, `trunc`, `convert_timezone`, and `to_date`/`to_char`/`to_timestamp` with
//! Redshift's format strings (`MM/DD/YY` with its century rule).

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;

use super::casts::{TIMESTAMP, date_value, timestamp_value, to_datetime, to_text};
use super::{RowUdf, int, text};

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

fn dateadd(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(part), Some(n), Some(ts)) = (text(&args[0]), int(&args[1])?, to_datetime(&args[2])?)
    else {
        return Ok(timestamp_value(None));
    };
    let out = match date_part(&part)? {
        "millennium" => add_months_clamped(ts, n * 12_000),
        "century" => add_months_clamped(ts, n * 1_200),
        "decade" => add_months_clamped(ts, n * 120),
        "year" => add_months_clamped(ts, n * 12),
        "quarter" => add_months_clamped(ts, n * 3),
        "month" => add_months_clamped(ts, n),
        "week" => ts.checked_add_signed(Duration::weeks(n)),
        "day" => ts.checked_add_signed(Duration::days(n)),
        "hour" => ts.checked_add_signed(Duration::hours(n)),
        "minute" => ts.checked_add_signed(Duration::minutes(n)),
        "second" => ts.checked_add_signed(Duration::seconds(n)),
        "millisecond" => ts.checked_add_signed(Duration::milliseconds(n)),
        _ => ts.checked_add_signed(Duration::microseconds(n)),
    };
    Ok(timestamp_value(out))
}

/// Redshift counts the boundaries of `part` crossed between `a` and `b`.
fn datediff(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(part), Some(a), Some(b)) = (
        text(&args[0]),
        to_datetime(&args[1])?,
        to_datetime(&args[2])?,
    ) else {
        return Ok(ScalarValue::Int64(None));
    };
    let months = |t: &NaiveDateTime| i64::from(t.year()) * 12 + i64::from(t.month0());
    let floor = |t: &NaiveDateTime, unit: i64| t.and_utc().timestamp_micros().div_euclid(unit);
    let week_start = |t: &NaiveDateTime| {
        let d = t.date();
        d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
    };
    let n = match date_part(&part)? {
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
    };
    Ok(ScalarValue::Int64(Some(n)))
}

fn parse_tz(name: &str) -> Result<chrono_tz::Tz> {
    let canonical = match name.trim().to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" => "UTC",
        _ => name.trim(),
    };
    canonical
        .parse::<chrono_tz::Tz>()
        .or_else(|_| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(canonical))
                .copied()
                .ok_or(())
        })
        .or_else(|()| exec_err!("\"{name}\" is not a time zone Redshift knows"))
}

fn convert_timezone(args: &[ScalarValue]) -> Result<ScalarValue> {
    let (source, target, value) = match args {
        [t, v] => (Some("UTC".to_string()), text(t), v),
        [s, t, v] => (text(s), text(t), v),
        _ => return exec_err!("convert_timezone takes 2 or 3 arguments"),
    };
    let (Some(source), Some(target), Some(ts)) = (source, target, to_datetime(value)?) else {
        return Ok(timestamp_value(None));
    };
    let (src, tgt) = (parse_tz(&source)?, parse_tz(&target)?);
    let Some(local) = src.from_local_datetime(&ts).earliest() else {
        return exec_err!("{ts} does not exist in time zone {source}");
    };
    Ok(timestamp_value(Some(
        local.with_timezone(&tgt).naive_local(),
    )))
}

fn trunc(args: &[ScalarValue]) -> Result<ScalarValue> {
    let v = &args[0];
    match v.data_type() {
        DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(..)
        | DataType::Utf8
        | DataType::Utf8View
        | DataType::LargeUtf8 => Ok(date_value(to_datetime(v)?.map(|t| t.date()))),
        t if t.is_integer() => Ok(v.clone()),
        _ => {
            let scale = match args.get(1) {
                Some(s) => int(s)?.unwrap_or(0),
                None => 0,
            };
            let ScalarValue::Float64(f) = v.cast_to(&DataType::Float64)? else {
                return exec_err!("trunc() takes a number or a timestamp");
            };
            let factor = 10f64.powi(i32::try_from(scale).unwrap_or(0));
            Ok(ScalarValue::Float64(
                f.map(|f| (f * factor).trunc() / factor),
            ))
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
        ("yyyy", |_| Tok::Year4),
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

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
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
fn parse_with_format(input: &str, format: &str) -> Result<NaiveDateTime> {
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
            Tok::Quarter => take_digits(s, 1),
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
            Tok::Year4 => year = v,
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
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).unwrap_or(0),
        u32::try_from(month).unwrap_or(0),
        u32::try_from(day).unwrap_or(0),
    );
    let time = NaiveTime::from_hms_micro_opt(
        u32::try_from(hour).unwrap_or(99),
        u32::try_from(minute).unwrap_or(99),
        u32::try_from(second).unwrap_or(99),
        u32::try_from(micros).unwrap_or(0),
    );
    match (date, time) {
        (Some(d), Some(t)) => Ok(d.and_time(t)),
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
fn format_with(ts: &NaiveDateTime, format: &str) -> String {
    let mut out = String::new();
    let hour12 = match ts.hour() % 12 {
        0 => 12,
        h => h,
    };
    for tok in tokenize(format) {
        match tok {
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
            Tok::Literal(ch) => out.push(ch),
        }
    }
    out
}

pub(super) fn udfs(run_time: NaiveDateTime) -> Vec<ScalarUDF> {
    vec![
        RowUdf::udf(
            "getdate",
            0..=0,
            |_| Ok(TIMESTAMP),
            move |_| {
                Ok(timestamp_value(Some(
                    run_time.with_nanosecond(0).unwrap_or(run_time),
                )))
            },
        ),
        RowUdf::udf(
            "__rs_current_date",
            0..=0,
            |_| Ok(DataType::Date32),
            move |_| Ok(date_value(Some(run_time.date()))),
        ),
        RowUdf::udf("dateadd", 3..=3, |_| Ok(TIMESTAMP), dateadd),
        RowUdf::udf("datediff", 3..=3, |_| Ok(DataType::Int64), datediff),
        RowUdf::udf(
            "convert_timezone",
            2..=3,
            |_| Ok(TIMESTAMP),
            convert_timezone,
        ),
        RowUdf::udf(
            "add_months",
            2..=2,
            |_| Ok(TIMESTAMP),
            |a| {
                let (Some(ts), Some(n)) = (to_datetime(&a[0])?, int(&a[1])?) else {
                    return Ok(timestamp_value(None));
                };
                // Redshift: the last day of a month maps to the last day of the result month.
                let is_last = ts.date().succ_opt().is_none_or(|d| d.month() != ts.month());
                let out = add_months_clamped(ts, n).map(|t| {
                    if is_last {
                        last_day_of(t.date()).and_time(t.time())
                    } else {
                        t
                    }
                });
                Ok(timestamp_value(out))
            },
        ),
        RowUdf::udf(
            "last_day",
            1..=1,
            |_| Ok(DataType::Date32),
            |a| {
                Ok(date_value(
                    to_datetime(&a[0])?.map(|t| last_day_of(t.date())),
                ))
            },
        ),
        RowUdf::udf(
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
            trunc,
        ),
        RowUdf::udf(
            "to_date",
            2..=3,
            |_| Ok(DataType::Date32),
            |a| {
                let (Some(s), Some(f)) = (text(&a[0]), text(&a[1])) else {
                    return Ok(date_value(None));
                };
                Ok(date_value(Some(parse_with_format(&s, &f)?.date())))
            },
        ),
        RowUdf::udf(
            "to_timestamp",
            2..=3,
            |_| Ok(TIMESTAMP),
            |a| {
                let (Some(s), Some(f)) = (text(&a[0]), text(&a[1])) else {
                    return Ok(timestamp_value(None));
                };
                Ok(timestamp_value(Some(parse_with_format(&s, &f)?)))
            },
        ),
        RowUdf::udf(
            "to_char",
            2..=2,
            |_| Ok(DataType::Utf8),
            |a| {
                let Some(f) = text(&a[1]) else {
                    return Ok(ScalarValue::Utf8(None));
                };
                match a[0].data_type() {
                    DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => Ok(
                        ScalarValue::Utf8(to_datetime(&a[0])?.map(|t| format_with(&t, &f))),
                    ),
                    _ => Ok(ScalarValue::Utf8(to_text(&a[0])?)),
                }
            },
        ),
    ]
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
