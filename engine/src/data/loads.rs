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

/// The columns of a load file, named as the engine names them.
pub fn load_columns(path: &str, bytes: &[u8]) -> Result<Vec<String>, String> {
    if super::parquet::is_parquet(path) {
        let schema = super::parquet::schema(path, bytes).map_err(|d| d.message)?;
        return Ok(schema.fields().iter().map(|f| f.name().clone()).collect());
    }
    Ok(super::csv::normalized_headers(&super::csv::headers(
        bytes, b',',
    )))
}

/// Why a load about to land at `target` with the bytes `new` cannot join the other loads of
/// its source table, if it cannot. Every load of a table is read into the same table, as
/// COPY loads each into it by column position: a load with other columns, or the same in
/// another order, would break the models or load values into the wrong columns.
/// `others` are the project's files; the newest other load of the table is the reference.
pub fn load_misfit<'a>(
    others: impl Iterator<Item = (&'a str, &'a [u8])>,
    target: &str,
    new: &[u8],
) -> Option<String> {
    let (source, table, _, _) = parse_load_path(target)?.ok()?;
    let reference = others
        .filter(|(path, _)| *path != target)
        .filter_map(|(path, bytes)| {
            let (s, t, _, at) = parse_load_path(path)?.ok()?;
            (s == source && t == table).then_some((at, path, bytes))
        })
        .max_by(|a, b| a.0.cmp(&b.0))?;
    let (_, reference_path, reference_bytes) = reference;
    let expected = load_columns(reference_path, reference_bytes).ok()?;
    let found = match load_columns(target, new) {
        Ok(found) => found,
        Err(why) => return Some(why),
    };
    if found == expected {
        return None;
    }
    let missing: Vec<&String> = expected.iter().filter(|c| !found.contains(c)).collect();
    let extra: Vec<&String> = found.iter().filter(|c| !expected.contains(c)).collect();
    let list = |cols: &[&String]| {
        cols.iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut what = Vec::new();
    if !missing.is_empty() {
        what.push(format!("it lacks {}", list(&missing)));
    }
    if !extra.is_empty() {
        what.push(format!("it has {} besides", list(&extra)));
    }
    if what.is_empty() {
        what.push("its columns are in another order".into());
    }
    Some(format!(
        "its columns do not match source `{source}.{table}`: {} (the table's loads have {}, as \
         in {reference_path}); every load of a table has the same columns in the same order",
        what.join("; "),
        expected.join(", "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_must_have_its_tables_columns_in_order() {
        let files = [
            ("data/crm/leads/2024-05-01.csv", &b"Lead Id,Name\n1,a\n"[..]),
            ("data/crm/leads/2024-05-02.csv", &b"lead_id,name\n2,b\n"[..]),
            ("data/crm/other/2024-05-03.csv", &b"x\n1\n"[..]),
        ];
        let fits = |target: &str, new: &[u8]| load_misfit(files.iter().copied(), target, new);
        assert_eq!(
            fits("data/crm/leads/2024-05-04.csv", b"LEAD ID,name\n3,c\n"),
            None
        );
        assert_eq!(
            fits("data/crm/leads/2024-05-04.csv", b"lead_id,email\n3,c\n").as_deref(),
            Some(
                "its columns do not match source `crm.leads`: it lacks `name`; it has `email` \
                 besides (the table's loads have lead_id, name, as in \
                 data/crm/leads/2024-05-02.csv); every load of a table has the same columns \
                 in the same order"
            )
        );
        assert!(
            fits("data/crm/leads/2024-05-04.csv", b"name,lead_id\nc,3\n")
                .unwrap()
                .contains("its columns are in another order")
        );
        // The first load of a table, and a file that is not a load, have nothing to match.
        assert_eq!(fits("data/crm/new/2024-05-04.csv", b"a\n1\n"), None);
        assert_eq!(fits("seeds/x.csv", b"a\n1\n"), None);
    }

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
