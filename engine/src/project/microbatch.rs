//! dbt's `microbatch` incremental strategy: the model runs once per batch of its
//! `event_time` (an hour, a day, a month or a year), each batch reading only the rows of
//! its window from the inputs that declare an `event_time`, and replacing that window's
//! rows in the table. A first run goes from `begin` to now; a later one redoes the last
//! `lookback` batches and the current one.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchSize {
    Hour,
    Day,
    Month,
    Year,
}

/// One batch: its window `[start, end)` and dbt's id for it (`20240115` for a day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub id: String,
}

/// A microbatch model's config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Microbatch {
    /// The model's own event-time column: a batch replaces the rows whose value is in it.
    pub event_time: String,
    #[serde(serialize_with = "as_text")]
    pub begin: NaiveDateTime,
    pub batch_size: BatchSize,
    pub lookback: u32,
}

impl BatchSize {
    pub fn parse(text: &str) -> Option<BatchSize> {
        Some(match text.trim().to_lowercase().as_str() {
            "hour" => BatchSize::Hour,
            "day" => BatchSize::Day,
            "month" => BatchSize::Month,
            "year" => BatchSize::Year,
            _ => return None,
        })
    }

    fn truncate(self, t: NaiveDateTime) -> NaiveDateTime {
        let date = t.date();
        let day = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or(t);
        match self {
            BatchSize::Hour => date.and_hms_opt(t.hour(), 0, 0).unwrap_or(t),
            BatchSize::Day => day(date),
            BatchSize::Month => {
                NaiveDate::from_ymd_opt(date.year(), date.month(), 1).map_or(t, day)
            }
            BatchSize::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1).map_or(t, day),
        }
    }

    /// `t` (already truncated) moved by `n` batches.
    fn offset(self, t: NaiveDateTime, n: i64) -> NaiveDateTime {
        match self {
            BatchSize::Hour => t + Duration::hours(n),
            BatchSize::Day => t + Duration::days(n),
            BatchSize::Month | BatchSize::Year => {
                let months = if self == BatchSize::Month { n } else { n * 12 };
                let total = i64::from(t.year()) * 12 + i64::from(t.month0()) + months;
                let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
                i32::try_from(year)
                    .ok()
                    .and_then(|y| NaiveDate::from_ymd_opt(y, month0 as u32 + 1, 1))
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .unwrap_or(t)
            }
        }
    }

    fn ceiling(self, t: NaiveDateTime) -> NaiveDateTime {
        let floor = self.truncate(t);
        if floor == t { t } else { self.offset(floor, 1) }
    }

    fn id(self, t: NaiveDateTime) -> String {
        let format = match self {
            BatchSize::Hour => "%Y%m%d%H",
            BatchSize::Day => "%Y%m%d",
            BatchSize::Month => "%Y%m",
            BatchSize::Year => "%Y",
        };
        t.format(format).to_string()
    }
}

impl Microbatch {
    /// The batches a run at `now` builds, as dbt computes them: up to the batch that holds
    /// `now`; from `begin` on a first run (or a full refresh), else from `lookback` batches
    /// before the current one (never before `begin`).
    pub fn batches(&self, now: NaiveDateTime, incremental: bool) -> Vec<Batch> {
        let size = self.batch_size;
        let end = size.ceiling(now);
        let start = if incremental {
            // An end on a batch boundary closes the batch before it: one more to look back.
            let lookback = i64::from(self.lookback) + i64::from(size.truncate(end) == end);
            size.truncate(self.begin.max(size.offset(size.truncate(end), -lookback)))
        } else {
            size.truncate(self.begin)
        };
        let mut out = Vec::new();
        let mut at = start;
        while at < end {
            let next = size.offset(at, 1);
            out.push(Batch {
                start: at,
                end: next,
                id: size.id(at),
            });
            at = next;
        }
        out
    }
}

fn as_text<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// dbt's rendering of a batch boundary in an event-time filter (Python's `str()` of a UTC
/// datetime).
pub fn boundary(t: NaiveDateTime) -> String {
    format!("{}+00:00", t.format("%Y-%m-%d %H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn config(size: BatchSize, lookback: u32) -> Microbatch {
        Microbatch {
            event_time: "ordered_at".into(),
            begin: at("2024-01-01 00:00:00"),
            batch_size: size,
            lookback,
        }
    }

    fn starts(batches: &[Batch]) -> Vec<String> {
        batches.iter().map(|b| b.id.clone()).collect()
    }

    #[test]
    fn a_first_run_goes_from_begin_to_the_batch_that_holds_now() {
        let mb = config(BatchSize::Day, 1);
        let b = mb.batches(at("2024-01-03 10:00:00"), false);
        assert_eq!(starts(&b), ["20240101", "20240102", "20240103"]);
        assert_eq!(b[2].end, at("2024-01-04 00:00:00"));
        // At midnight the day that starts is not a batch yet.
        assert_eq!(
            starts(&mb.batches(at("2024-01-03 00:00:00"), false)),
            ["20240101", "20240102"]
        );
    }

    #[test]
    fn a_later_run_redoes_the_lookback_and_the_current_batch() {
        let mb = config(BatchSize::Day, 1);
        assert_eq!(
            starts(&mb.batches(at("2024-01-05 10:00:00"), true)),
            ["20240104", "20240105"]
        );
        assert_eq!(
            starts(&mb.batches(at("2024-01-05 00:00:00"), true)),
            ["20240103", "20240104"]
        );
        // Never before `begin`.
        assert_eq!(
            starts(&mb.batches(at("2024-01-01 06:00:00"), true)),
            ["20240101"]
        );
    }

    #[test]
    fn months_and_years_step_by_the_calendar() {
        let mb = config(BatchSize::Month, 0);
        assert_eq!(
            starts(&mb.batches(at("2024-03-15 00:00:00"), false)),
            ["202401", "202402", "202403"]
        );
        let mb = config(BatchSize::Year, 1);
        assert_eq!(
            starts(&mb.batches(at("2025-06-01 00:00:00"), true)),
            ["2024", "2025"]
        );
        assert_eq!(
            boundary(at("2024-01-02 00:00:00")),
            "2024-01-02 00:00:00+00:00"
        );
    }
}
