//! Text read as a date, time or timestamp the way Redshift reads a literal (the MDY
//! DateStyle): `January 8, 1999`, `1/8/1999`, `01/02/00` (a two-digit year below 70 is in
//! 2000s), `2000-Jan-31`, `Jan-31-2000`, `31-Jan-2000`, `20080215`, `080215`, `2008.366`
//! (day of year), a time as `04:05:06.789`, `040506` or `04:05 PM`, a time zone that
//! names UTC or an offset (dropped, as a timestamp without time zone drops it), and the
//! special words `now`, `today`, `tomorrow`, `yesterday`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

pub(crate) const MONTHS: [&str; 12] = [
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

/// Time zone abbreviations and their offsets from UTC in hours. A timestamp without time
/// zone ignores them, as PostgreSQL's parser does; a TIMESTAMPTZ is moved to UTC by them.
pub(crate) const ZONES: &[(&str, i32)] = &[
    ("utc", 0),
    ("gmt", 0),
    ("z", 0),
    ("pst", -8),
    ("pdt", -7),
    ("mst", -7),
    ("mdt", -6),
    ("cst", -6),
    ("cdt", -5),
    ("est", -5),
    ("edt", -4),
    ("akst", -9),
    ("akdt", -8),
    ("hst", -10),
];

/// What a literal holds: a date, a time of day, or both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Parsed {
    pub date: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    /// The zone's offset from UTC in seconds, when the text names one.
    pub offset: Option<i32>,
}

impl Parsed {
    pub fn timestamp(self) -> Option<NaiveDateTime> {
        Some(self.date?.and_time(self.time.unwrap_or(NaiveTime::MIN)))
    }

    /// The instant in UTC, for a TIMESTAMPTZ: the local time less the zone's offset.
    pub fn utc(self) -> Option<NaiveDateTime> {
        let local = self.timestamp()?;
        local.checked_sub_signed(chrono::Duration::seconds(i64::from(
            self.offset.unwrap_or(0),
        )))
    }
}

/// A month's number from its name or an abbreviation of at least three letters.
fn month_of(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let w = if w == "sept" { "sep".to_string() } else { w };
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&w))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Years written with two digits: 70-99 are 1900s, 00-69 are 2000s.
fn full_year(digits: &str) -> Option<i32> {
    let y: i32 = digits.parse().ok()?;
    Some(if digits.len() <= 2 {
        if y < 70 { 2000 + y } else { 1900 + y }
    } else {
        y
    })
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `H:M[:S[.f]]`.
fn clock(text: &str) -> Option<NaiveTime> {
    let mut parts = text.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let (s, micros) = match parts.next() {
        Some(sec) => seconds(sec)?,
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_micro_opt(h, m, s, micros)
}

/// `S[.f]` as whole seconds and microseconds.
fn seconds(text: &str) -> Option<(u32, u32)> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let s: u32 = whole.parse().ok()?;
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = frac.chars().take(6).collect();
    while digits.len() < 6 {
        digits.push('0');
    }
    Some((s, digits.parse().ok()?))
}

/// A date written as one word: `1999-01-08`, `1/8/1999`, `2000-Jan-31`, `20080215`, ...
fn date_word(word: &str) -> Option<NaiveDate> {
    let digits_only = word.chars().all(|c| c.is_ascii_digit());
    if digits_only {
        return match word.len() {
            8 => ymd(
                word[..4].parse().ok()?,
                word[4..6].parse().ok()?,
                word[6..].parse().ok()?,
            ),
            6 => ymd(
                full_year(&word[..2])?,
                word[2..4].parse().ok()?,
                word[4..].parse().ok()?,
            ),
            _ => None,
        };
    }
    let fields: Vec<&str> = word.split(['-', '/', '.']).collect();
    if let [y, doy] = fields.as_slice()
        && word.contains('.')
        && y.len() == 4
        && doy.len() == 3
    {
        return NaiveDate::from_yo_opt(y.parse().ok()?, doy.parse().ok()?);
    }
    date_fields(&fields)
}

/// Three fields, numbers or a month name, in Redshift's MDY order unless a four-digit year
/// comes first.
fn date_fields(fields: &[&str]) -> Option<NaiveDate> {
    let [a, b, c] = fields else {
        return None;
    };
    let is_num = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some(pos) = fields.iter().position(|f| month_of(f).is_some()) {
        let month = month_of(fields[pos])?;
        let nums: Vec<&str> = fields
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != pos)
            .map(|(_, f)| *f)
            .collect();
        if !nums.iter().all(|n| is_num(n)) {
            return None;
        }
        let (year, day) = match (nums[0].len(), nums[1].len()) {
            (4, _) => (nums[0], nums[1]),
            (_, 4) => (nums[1], nums[0]),
            // `Jan-31-00` and `31-Jan-00`: the day comes before the year.
            _ => (nums[1], nums[0]),
        };
        return ymd(full_year(year)?, month, day.parse().ok()?);
    }
    if !(is_num(a) && is_num(b) && is_num(c)) {
        return None;
    }
    if a.len() == 4 {
        return ymd(a.parse().ok()?, b.parse().ok()?, c.parse().ok()?);
    }
    ymd(full_year(c)?, a.parse().ok()?, b.parse().ok()?)
}

/// Reads `text` as Redshift reads a date, time or timestamp literal; `now` is the current
/// transaction's start, for the words that need it (without it, they are not read).
pub(crate) fn parse(text: &str, now: Option<NaiveDateTime>) -> Option<Parsed> {
    if let Some(iso) = iso(text.trim()) {
        return Some(iso);
    }
    let lower = text.trim().to_ascii_lowercase();
    match lower.as_str() {
        "now" => return Some(split(now?)),
        "today" => return Some(midnight(now?.date())),
        "tomorrow" => return Some(midnight(now?.date().succ_opt()?)),
        "yesterday" => return Some(midnight(now?.date().pred_opt()?)),
        "epoch" => return Some(midnight(NaiveDate::from_ymd_opt(1970, 1, 1)?)),
        _ => {}
    }
    // ISO 8601's `T` between date and time.
    let spaced: String = {
        let chars: Vec<char> = lower.chars().collect();
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let digit_at = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(char::is_ascii_digit)
                };
                if *c == 't' && digit_at(i.checked_sub(1)) && digit_at(Some(i + 1)) {
                    ' '
                } else {
                    *c
                }
            })
            .collect()
    };
    let mut words: Vec<String> = spaced
        .split([' ', ','])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut offset = None;
    // A trailing offset glued to the time (`07:04:11+00`, `20:38:40-05`) is a zone.
    for w in &mut words {
        if let Some(i) = w.rfind(['+', '-'])
            && w[..i].contains(':')
        {
            offset = Some(offset_seconds(&w[i..])?);
            w.truncate(i);
        }
    }
    let mut date = None;
    let mut time = None;
    let mut pm = None;
    let mut month_words: Vec<String> = Vec::new();
    for w in &words {
        let w = w.as_str();
        if w == "am" || w == "pm" {
            pm = Some(w == "pm");
        } else if let Some((_, hours)) = ZONES.iter().find(|(z, _)| *z == w) {
            offset = Some(hours * 3600);
        } else if is_offset(w) {
            offset = Some(offset_seconds(w)?);
        } else if w.contains(':') {
            time = Some(clock(w)?);
        } else if date.is_none()
            && month_words.is_empty()
            && let Some(d) = date_word(w)
        {
            date = Some(d);
        } else if date.is_some() && w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()) {
            time = NaiveTime::from_hms_opt(
                w[..2].parse().ok()?,
                w[2..4].parse().ok()?,
                w[4..].parse().ok()?,
            );
        } else {
            month_words.push(w.to_string());
        }
    }
    if !month_words.is_empty() {
        // `January 8 1999`, `Jun 1 2008`: a date spread over words.
        if date.is_some() {
            return None;
        }
        let fields: Vec<&str> = month_words.iter().map(String::as_str).collect();
        date = Some(date_fields(&fields)?);
    }
    if let Some(pm) = pm {
        let t = time?;
        let h = chrono::Timelike::hour(&t);
        if h > 12 {
            return None;
        }
        let h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
        time = chrono::Timelike::with_hour(&t, h);
    }
    if date.is_none() && time.is_none() {
        return None;
    }
    Some(Parsed { date, time, offset })
}

/// The common case first, without the general reader's allocations: `YYYY-MM-DD`, with
/// `HH:MI:SS[.f]` after a space or `T`.
fn iso(t: &str) -> Option<Parsed> {
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok()?;
    let time = match t.get(10..)? {
        "" => None,
        rest if rest.starts_with([' ', 'T']) && rest.len() >= 9 => {
            Some(NaiveTime::parse_from_str(&rest[1..], "%H:%M:%S%.f").ok()?)
        }
        _ => return None,
    };
    Some(Parsed {
        date: Some(date),
        time,
        offset: None,
    })
}

/// `+05`, `-05:30`, `+0530` as seconds east of UTC.
fn offset_seconds(w: &str) -> Option<i32> {
    let (sign, rest) = match w.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, w.strip_prefix('+')?),
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    Some(sign * (h * 3600 + m * 60))
}

/// Text read as a TIME: `04:05:06.789`, `04:05 PM`, or six digits `HHMMSS`.
pub(crate) fn parse_time(text: &str) -> Option<NaiveTime> {
    let t = text.trim();
    if t.len() == 6 && t.chars().all(|c| c.is_ascii_digit()) {
        return NaiveTime::from_hms_opt(
            t[..2].parse().ok()?,
            t[2..4].parse().ok()?,
            t[4..].parse().ok()?,
        );
    }
    parse(t, None)?.time
}

fn is_offset(w: &str) -> bool {
    let Some(rest) = w.strip_prefix(['+', '-']) else {
        return false;
    };
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == ':')
}

fn split(ts: NaiveDateTime) -> Parsed {
    Parsed {
        date: Some(ts.date()),
        time: Some(ts.time()),
        offset: None,
    }
}

fn midnight(d: NaiveDate) -> Parsed {
    Parsed {
        date: Some(d),
        time: Some(NaiveTime::MIN),
        offset: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2009, 11, 16)
            .unwrap()
            .and_hms_opt(10, 45, 32)
            .unwrap()
    }

    fn date(s: &str) -> String {
        parse(s, Some(now())).unwrap().date.unwrap().to_string()
    }

    #[test]
    fn reads_every_date_form_redshift_documents() {
        for (input, expected) in [
            ("January 8, 1999", "1999-01-08"),
            ("1999-01-08", "1999-01-08"),
            ("1/8/1999", "1999-01-08"),
            ("01/02/00", "2000-01-02"),
            ("7/28/16", "2016-07-28"),
            ("2000-Jan-31", "2000-01-31"),
            ("Jan-31-2000", "2000-01-31"),
            ("31-Jan-2000", "2000-01-31"),
            ("20080215", "2008-02-15"),
            ("080215", "2008-02-15"),
            ("2008.366", "2008-12-31"),
            ("Jun 1,2008 09:59:59", "2008-06-01"),
            ("1.12.1997 07:37:16.00 PST", "1997-01-12"),
        ] {
            assert_eq!(date(input), expected, "{input}");
        }
    }

    #[test]
    fn reads_times_with_a_meridiem_and_without_colons() {
        let t = |s: &str| {
            parse(s, Some(now()))
                .unwrap()
                .timestamp()
                .unwrap()
                .to_string()
        };
        assert_eq!(t("20080215 04:05 PM"), "2008-02-15 16:05:00");
        assert_eq!(t("20080215 12:05 AM"), "2008-02-15 00:05:00");
        assert_eq!(t("20080215 040506"), "2008-02-15 04:05:06");
        assert_eq!(t("2024-05-16T07:04:11+00"), "2024-05-16 07:04:11");
        assert_eq!(t("today"), "2009-11-16 00:00:00");
        assert!(parse("2008-02-30", Some(now())).is_none());
        assert!(parse("13:00 PM", Some(now())).is_none());
        assert!(parse("banana", Some(now())).is_none());
    }
}
