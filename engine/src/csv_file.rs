//! A CSV reader for the files agencies really send: quoted commas, doubled quotes, line
//! breaks inside quotes, CRLF, a byte-order mark, and the odd byte that is not UTF-8.
//!
//! It keeps one distinction general-purpose readers drop: an empty unquoted field is a
//! missing value (NULL), while `""` is a blank string, as Redshift's COPY loads them.

use crate::diagnostic::{Diagnostic, Location};

#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Headers as written in the file.
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Parses `bytes` (the contents of `file`). Bad bytes become U+FFFD with a warning; a row
/// with the wrong number of fields is an error at its line.
pub fn parse_csv(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
) -> Result<(CsvTable, Vec<Diagnostic>), Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut warnings = Vec::new();
    let mut records: Vec<(usize, Vec<Option<String>>)> = Vec::new();
    let mut record: Vec<Option<String>> = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut bad_utf8_lines: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut finish_field =
        |field: &mut Vec<u8>, quoted: bool, record: &mut Vec<Option<String>>, line: usize| {
            let text = match String::from_utf8(std::mem::take(field)) {
                Ok(s) => s,
                Err(e) => {
                    bad_utf8_lines.push(line);
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                }
            };
            record.push(if text.is_empty() && !quoted {
                None
            } else {
                Some(text)
            });
        };
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => {
                    field.push(b'"');
                    i += 1;
                }
                b'"' => in_quotes = false,
                b'\n' => {
                    line += 1;
                    field.push(b);
                }
                _ => field.push(b),
            }
        } else {
            match b {
                b'"' if field.is_empty() && !quoted => {
                    quoted = true;
                    in_quotes = true;
                }
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
                b'\n' | b'\r' => {
                    finish_field(&mut field, quoted, &mut record, line);
                    quoted = false;
                    let done = std::mem::take(&mut record);
                    if !(done.len() == 1 && done[0].is_none()) {
                        records.push((record_line, done));
                    }
                    line += 1;
                    record_line = line;
                }
                d if d == delimiter => {
                    finish_field(&mut field, quoted, &mut record, line);
                    quoted = false;
                }
                _ => field.push(b),
            }
        }
        i += 1;
    }
    if in_quotes {
        return Err(Diagnostic::error(
            Location::new(file, record_line, 0),
            "a quoted value is never closed: the file ends inside quotes",
        )
        .with_hint("check for a stray double quote on this row"));
    }
    if !field.is_empty() || quoted || !record.is_empty() {
        finish_field(&mut field, quoted, &mut record, line);
        if !(record.len() == 1 && record[0].is_none()) {
            records.push((record_line, record));
        }
    }
    if let Some(first) = bad_utf8_lines.first() {
        warnings.push(
            Diagnostic::warning(
                Location::new(file, *first, 0),
                format!(
                    "{} value(s) are not valid UTF-8; the bad bytes were replaced with U+FFFD",
                    bad_utf8_lines.len()
                ),
            )
            .with_hint("save the file as UTF-8 to keep those characters"),
        );
    }
    let mut iter = records.into_iter();
    let Some((_, header)) = iter.next() else {
        return Ok((
            CsvTable {
                headers: Vec::new(),
                rows: Vec::new(),
            },
            warnings,
        ));
    };
    let headers: Vec<String> = header.into_iter().map(Option::unwrap_or_default).collect();
    let mut rows = Vec::new();
    for (row_line, row) in iter {
        if row.len() != headers.len() {
            return Err(Diagnostic::error(
                Location::new(file, row_line, 0),
                format!(
                    "this row has {} fields but the header has {}",
                    row.len(),
                    headers.len()
                ),
            )
            .with_hint("a value holding the delimiter must be quoted"));
        }
        rows.push(row);
    }
    Ok((CsvTable { headers, rows }, warnings))
}

/// A header as a loader such as Fivetran lands it: `Operation #` → `operation`,
/// `Credential Type` → `credential_type`, `Phone#` → `phone`.
pub fn snake_case(header: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower {
                out.push('_');
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            out.extend(c.to_lowercase());
        } else {
            prev_lower = false;
            if !out.ends_with('_') {
                out.push('_');
            }
        }
    }
    let out = out.trim_matches('_').to_string();
    match out.chars().next() {
        None => "column".into(),
        Some(c) if c.is_ascii_digit() => format!("_{out}"),
        Some(_) => out,
    }
}

/// Snake-cased headers, made unique with `_2`, `_3`, ... suffixes.
pub fn normalized_headers(headers: &[String]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for h in headers {
        let base = snake_case(h);
        let mut name = base.clone();
        let mut n = 2;
        while seen.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        seen.push(name);
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> CsvTable {
        parse_csv("f.csv", s, b',').unwrap().0
    }

    #[test]
    fn quoted_commas_quotes_and_line_breaks() {
        let t = parse(b"Name,Caregiver\r\n\"DOE, JANE\",\"Jane \"\"J\"\" Doe\r\nDirector\"\r\n");
        assert_eq!(t.headers, vec!["Name", "Caregiver"]);
        assert_eq!(
            t.rows,
            vec![vec![
                Some("DOE, JANE".to_string()),
                Some("Jane \"J\" Doe\r\nDirector".to_string())
            ]]
        );
    }

    #[test]
    fn blank_is_not_missing() {
        let t = parse(b"a,b,c\n,\"\",x\n");
        assert_eq!(
            t.rows,
            vec![vec![None, Some(String::new()), Some("x".into())]]
        );
    }

    #[test]
    fn stray_byte_is_a_warning_not_a_crash() {
        let (t, w) = parse_csv("f.csv", b"a\ncaf\xe9\n", b',').unwrap();
        assert_eq!(t.rows[0][0].as_deref(), Some("caf\u{fffd}"));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].location.line, 2);
    }

    #[test]
    fn ragged_row_is_an_error_at_its_line() {
        let e = parse_csv("f.csv", b"a,b\n1,2\n3\n", b',').unwrap_err();
        assert_eq!(e.location.line, 3);
    }

    #[test]
    fn headers_become_snake_case() {
        let h: Vec<String> = [
            "Operation #",
            "Credential Type",
            "Phone#",
            "Operation/Caregiver Name",
            "AA2",
            "LastName",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            normalized_headers(&h),
            vec![
                "operation",
                "credential_type",
                "phone",
                "operation_caregiver_name",
                "aa2",
                "last_name"
            ]
        );
    }
}
