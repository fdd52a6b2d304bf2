//! A CSV reader for the files agencies really send: quoted commas, doubled quotes, line
//! breaks inside quotes, CRLF, a byte-order mark, and the odd byte that is not UTF-8.
//!
//! It keeps one distinction general-purpose readers drop: an empty unquoted field is a
//! missing value (NULL), while `""` is a blank string, as Redshift's COPY loads them.

use std::borrow::Cow;

use datafusion::arrow::array::{Array, StringArray, StringBuilder};

use crate::diagnostic::{Code, Diagnostic, Location};

#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Headers as written in the file.
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// One record's fields as the scanner hands them over: `None` for an empty unquoted field.
pub type Fields<'a> = [Option<Cow<'a, str>>];

/// Walks the records of `bytes`, handing each (with the line it starts on) to `sink`.
/// Field bytes go into one buffer reused for every record, so reading allocates per
/// record at most, not per value. Bad bytes become U+FFFD, with a warning in the result.
pub fn scan_records(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
    sink: &mut dyn FnMut(usize, &Fields<'_>) -> Result<(), Diagnostic>,
) -> Result<Vec<Diagnostic>, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut buf: Vec<u8> = Vec::new();
    // (start, end, quoted) of each field of the record in `buf`.
    let mut spans: Vec<(usize, usize, bool)> = Vec::new();
    let mut field_start = 0;
    let mut quoted = false;
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut bad_utf8_lines: Vec<usize> = Vec::new();
    let mut emit = |buf: &mut Vec<u8>,
                    spans: &mut Vec<(usize, usize, bool)>,
                    record_line: usize,
                    bad: &mut Vec<usize>|
     -> Result<(), Diagnostic> {
        let blank = spans.len() == 1 && spans[0].0 == spans[0].1 && !spans[0].2;
        if !blank {
            let fields: Vec<Option<Cow<'_, str>>> = spans
                .iter()
                .map(|&(a, b, q)| {
                    let raw = buf.get(a..b).unwrap_or_default();
                    if raw.is_empty() && !q {
                        return None;
                    }
                    Some(match std::str::from_utf8(raw) {
                        Ok(text) => Cow::Borrowed(text),
                        Err(_) => {
                            bad.push(record_line);
                            Cow::Owned(String::from_utf8_lossy(raw).into_owned())
                        }
                    })
                })
                .collect();
            sink(record_line, &fields)?;
        }
        buf.clear();
        spans.clear();
        Ok(())
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => {
                    buf.push(b'"');
                    i += 1;
                }
                b'"' => in_quotes = false,
                b'\n' => {
                    line += 1;
                    buf.push(b);
                }
                _ => buf.push(b),
            }
        } else {
            match b {
                b'"' if buf.len() == field_start && !quoted => {
                    quoted = true;
                    in_quotes = true;
                }
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
                b'\n' | b'\r' => {
                    spans.push((field_start, buf.len(), quoted));
                    quoted = false;
                    emit(&mut buf, &mut spans, record_line, &mut bad_utf8_lines)?;
                    field_start = 0;
                    line += 1;
                    record_line = line;
                }
                d if d == delimiter => {
                    spans.push((field_start, buf.len(), quoted));
                    field_start = buf.len();
                    quoted = false;
                }
                _ => buf.push(b),
            }
        }
        i += 1;
    }
    if in_quotes {
        return Err(Diagnostic::error(
            Code::Data,
            Location::new(file, record_line, 0),
            "a quoted value is never closed: the file ends inside quotes",
        )
        .with_hint("check for a stray double quote on this row"));
    }
    if buf.len() > field_start || quoted || !spans.is_empty() {
        spans.push((field_start, buf.len(), quoted));
        emit(&mut buf, &mut spans, record_line, &mut bad_utf8_lines)?;
    }
    let mut warnings = Vec::new();
    bad_utf8_lines.dedup();
    if let Some(first) = bad_utf8_lines.first() {
        warnings.push(
            Diagnostic::warning(Code::Data,
                Location::new(file, *first, 0),
                format!(
                    "{} row(s) hold values that are not valid UTF-8; the bad bytes were replaced with U+FFFD",
                    bad_utf8_lines.len()
                ),
            )
            .with_hint("save the file as UTF-8 to keep those characters"),
        );
    }
    Ok(warnings)
}

fn wrong_width(file: &str, line: usize, fields: usize, headers: usize) -> Diagnostic {
    Diagnostic::error(
        Code::Data,
        Location::new(file, line, 0),
        format!("this row has {fields} fields but the header has {headers}"),
    )
    .with_hint("a value holding the delimiter must be quoted")
}

/// Parses `bytes` (the contents of `file`) into rows of text. Bad bytes become U+FFFD with a
/// warning; a row with the wrong number of fields is an error at its line.
pub fn parse_csv(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
) -> Result<(CsvTable, Vec<Diagnostic>), Diagnostic> {
    let (table, warnings) = read_columns(file, bytes, delimiter)?;
    let rows = (0..table.lines.len())
        .map(|row| {
            table
                .columns
                .iter()
                .map(|c| c.is_valid(row).then(|| c.value(row).to_string()))
                .collect()
        })
        .collect();
    Ok((
        CsvTable {
            headers: table.headers,
            rows,
        },
        warnings,
    ))
}

/// A CSV file read column by column into Arrow text arrays: the values of each column in
/// one buffer, rather than a string per value.
#[derive(Debug)]
pub struct CsvColumns {
    pub headers: Vec<String>,
    pub columns: Vec<StringArray>,
    /// The line each row starts on, for errors about a value.
    pub lines: Vec<u32>,
}

pub fn read_columns(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
) -> Result<(CsvColumns, Vec<Diagnostic>), Diagnostic> {
    let mut headers: Option<Vec<String>> = None;
    let mut builders: Vec<StringBuilder> = Vec::new();
    let mut lines: Vec<u32> = Vec::new();
    let warnings = scan_records(file, bytes, delimiter, &mut |line, fields| {
        match &headers {
            None => {
                let h: Vec<String> = fields
                    .iter()
                    .map(|f| f.as_deref().unwrap_or_default().to_string())
                    .collect();
                builders = h.iter().map(|_| StringBuilder::new()).collect();
                headers = Some(h);
            }
            Some(h) if h.len() != fields.len() => {
                return Err(wrong_width(file, line, fields.len(), h.len()));
            }
            Some(_) => {
                for (b, f) in builders.iter_mut().zip(fields) {
                    b.append_option(f.as_deref());
                }
                lines.push(u32::try_from(line).unwrap_or(u32::MAX));
            }
        }
        Ok(())
    })?;
    Ok((
        CsvColumns {
            headers: headers.unwrap_or_default(),
            columns: builders.iter_mut().map(StringBuilder::finish).collect(),
            lines,
        },
        warnings,
    ))
}

/// The header row alone, without reading the rest of the file.
pub fn headers(bytes: &[u8], delimiter: u8) -> Vec<String> {
    let end = header_end(bytes);
    parse_csv("", bytes.get(..end).unwrap_or(bytes), delimiter)
        .map(|(t, _)| t.headers)
        .unwrap_or_default()
}

/// Where the first record ends: the first line break outside quotes.
fn header_end(bytes: &[u8]) -> usize {
    let mut in_quotes = false;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => return i,
            _ => {}
        }
    }
    bytes.len()
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
    // Loaders' own columns start with one (`_fivetran_synced`, `_loaded_at`): kept, so that
    // the column is the one the sources YAML names.
    let out = if header.trim().starts_with('_') && !out.is_empty() {
        format!("_{out}")
    } else {
        out
    };
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
    fn columns_keep_nulls_blanks_and_the_line_of_each_row() {
        let (t, warnings) =
            read_columns("f.csv", b"a,b\r\n1,\"x\ny\"\r\n,\"\"\r\n3,z\xff\n", b',').unwrap();
        assert_eq!(t.headers, ["a", "b"]);
        assert_eq!(t.lines, [2, 4, 5]);
        let a: Vec<Option<&str>> = t.columns[0].iter().collect();
        let b: Vec<Option<&str>> = t.columns[1].iter().collect();
        assert_eq!(a, [Some("1"), None, Some("3")]);
        assert_eq!(b, [Some("x\ny"), Some(""), Some("z\u{fffd}")]);
        assert_eq!(warnings.len(), 1);
        let err = read_columns("f.csv", b"a,b\n1,2\n3\n", b',').unwrap_err();
        assert_eq!(err.location.line, 3);
        assert_eq!(headers(b"\"x,y\",z\nnot,read\n", b','), ["x,y", "z"]);
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
            "_fivetran_synced",
            "__Loaded At__",
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
                "last_name",
                "_fivetran_synced",
                "_loaded_at"
            ]
        );
    }
}
