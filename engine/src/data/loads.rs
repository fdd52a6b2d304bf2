//! Where a source's sample data lives.
//!
//! Convention: `data/<source name>/<table name>/<load timestamp>.csv` (or `.parquet`), one
//! file per load, the timestamp in the file name being the moment the load landed
//! (`2024-05-01.csv`, `2024-05-01T06-30-00.parquet` or `20240501T063000.csv`). A plain build
//! reads each source's latest load; a replay walks them in time order.

use crate::diagnostic::{Code, Diagnostic, Location};

/// `(source, table, path, loaded_at)` for a sample data file; `None` for files that do not
/// follow the convention's shape at all.
pub fn parse_load_path(path: &str) -> Option<Result<(String, String, String, String), Diagnostic>> {
    let rest = path.strip_prefix("data/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [source, table, file] = parts.as_slice() else {
        return None;
    };
    let stem = file
        .strip_suffix(".csv")
        .or_else(|| file.strip_suffix(".parquet"))?;
    Some(match load_timestamp(stem) {
        Some(ts) => Ok((source.to_string(), table.to_string(), path.to_string(), ts)),
        None => Err(Diagnostic::error(Code::Data,
            Location::file(path),
            format!("cannot read a load timestamp from the file name `{file}`"),
        )
        .with_hint(
            "name each load file by when it landed, e.g. 2024-05-01.csv or 2024-05-01T06-30-00.parquet",
        )),
    })
}

/// `YYYY-MM-DD HH:MI:SS` from a file stem made of the digits of a date and optional time.
pub fn load_timestamp(stem: &str) -> Option<String> {
    let digits: String = stem.chars().filter(char::is_ascii_digit).collect();
    let ok_len = matches!(digits.len(), 8 | 12 | 14);
    if !ok_len
        || stem
            .chars()
            .any(|c| !c.is_ascii_digit() && !"-_T:.".contains(c))
    {
        return None;
    }
    let padded = format!("{digits:0<14}");
    let field = |a: usize, b: usize| padded.get(a..b).and_then(|s| s.parse::<u32>().ok());
    let (y, mo, d, h, mi, s) = (
        field(0, 4)?,
        field(4, 6)?,
        field(6, 8)?,
        field(8, 10)?,
        field(10, 12)?,
        field(12, 14)?,
    );
    chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?.and_hms_opt(h, mi, s)?;
    Some(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_timestamp_spellings() {
        assert_eq!(
            load_timestamp("2024-05-01").as_deref(),
            Some("2024-05-01 00:00:00")
        );
        assert_eq!(
            load_timestamp("2024-05-01T06-30-00").as_deref(),
            Some("2024-05-01 06:30:00")
        );
        assert_eq!(
            load_timestamp("20240501T0630").as_deref(),
            Some("2024-05-01 06:30:00")
        );
        assert_eq!(load_timestamp("2024-13-01"), None);
        assert_eq!(load_timestamp("latest"), None);
    }

    #[test]
    fn maps_paths_to_source_tables() {
        let (s, t, _, ts) = parse_load_path("data/crm/leads/2024-05-02.csv")
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.as_str(), t.as_str(), ts.as_str()),
            ("crm", "leads", "2024-05-02 00:00:00")
        );
        assert!(parse_load_path("data/readme.md").is_none());
        assert!(
            parse_load_path("data/crm/leads/final.csv")
                .unwrap()
                .is_err()
        );
    }
}
