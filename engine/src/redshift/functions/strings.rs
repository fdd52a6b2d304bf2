//! Redshift's string functions whose semantics differ from DataFusion's: the regex family
//! (`regexp_substr` returns '' on no match, `regexp_replace` replaces every match),
//! and `split_part` (negative parts are an error).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use regex::Regex;

use super::columns::{Args, ColumnUdf};

/// A compiled pattern: POSIX (Redshift's default, the regex crate) or, with the `p` flag,
/// PCRE (lookaround and the like, fancy-regex).
enum Re {
    Posix(Regex),
    Pcre(fancy_regex::Regex),
}

/// The spans of one match: the whole match, then each group (`None` when it took no part).
type Spans = Vec<Option<(usize, usize)>>;

impl Re {
    /// The `n`th match in `s` (from 0), with its groups' spans.
    fn nth(&self, s: &str, n: usize) -> Result<Option<Spans>> {
        let spans = |len: usize, get: &dyn Fn(usize) -> Option<(usize, usize)>| {
            (0..len).map(get).collect::<Spans>()
        };
        match self {
            Re::Posix(re) => Ok(re
                .captures_iter(s)
                .nth(n)
                .map(|c| spans(c.len(), &|i| c.get(i).map(|m| (m.start(), m.end()))))),
            Re::Pcre(re) => match re.captures_iter(s).nth(n) {
                None => Ok(None),
                Some(Ok(c)) => Ok(Some(spans(c.len(), &|i| {
                    c.get(i).map(|m| (m.start(), m.end()))
                }))),
                Some(Err(e)) => exec_err!("regular expression failed: {e}"),
            },
        }
    }

    /// How many times the pattern matches in `s`.
    fn count(&self, s: &str) -> Result<usize> {
        match self {
            Re::Posix(re) => Ok(re.find_iter(s).count()),
            Re::Pcre(re) => {
                let mut n = 0;
                for m in re.find_iter(s) {
                    if let Err(e) = m {
                        return exec_err!("regular expression failed: {e}");
                    }
                    n += 1;
                }
                Ok(n)
            }
        }
    }

    fn replace_all(&self, s: &str, with: &str) -> Result<String> {
        match self {
            Re::Posix(re) => Ok(re.replace_all(s, with).into_owned()),
            Re::Pcre(re) => match re.try_replacen(s, 0, with) {
                Ok(r) => Ok(r.into_owned()),
                Err(e) => exec_err!("regular expression failed: {e}"),
            },
        }
    }
}

/// Compiled patterns, keyed by pattern and flags: the same pattern is used on every row.
#[derive(Default)]
struct Patterns(Mutex<HashMap<(String, bool, bool), Arc<Re>>>);

impl Patterns {
    fn get(&self, pattern: &str, params: Option<&str>) -> Result<Arc<Re>> {
        let insensitive = params.is_some_and(|p| p.contains('i'));
        let pcre = params.is_some_and(|p| p.contains('p'));
        let key = (pattern.to_string(), insensitive, pcre);
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(re) = cache.get(&key) {
            return Ok(re.clone());
        }
        let source = if insensitive {
            format!("(?i){pattern}")
        } else {
            pattern.to_string()
        };
        let compiled = if pcre {
            fancy_regex::Regex::new(&source)
                .map(Re::Pcre)
                .map_err(|e| e.to_string())
        } else {
            Regex::new(&source)
                .map(Re::Posix)
                .map_err(|e| e.to_string())
        };
        match compiled {
            Ok(re) => {
                let re = Arc::new(re);
                cache.insert(key, re.clone());
                Ok(re)
            }
            Err(e) => exec_err!("invalid regular expression \"{pattern}\": {e}"),
        }
    }
}

/// The span a regexp function reports: the whole match, or with `e` its first group.
fn reported(m: &Spans, subexpr: bool) -> Option<(usize, usize)> {
    if subexpr && m.len() > 1 {
        m[1]
    } else {
        m.first().copied().flatten()
    }
}

/// The part of `s` from 1-based `position` on, as byte offset.
fn from_position(s: &str, position: Option<i64>) -> Result<usize> {
    match position {
        None => Ok(0),
        Some(p) if p < 1 => exec_err!("the position argument must be 1 or more, got {p}"),
        Some(p) => Ok(s
            .char_indices()
            .nth(usize::try_from(p - 1).unwrap_or(usize::MAX))
            .map_or(s.len(), |(i, _)| i)),
    }
}

/// The compiled pattern of the row before, reused while the pattern and flags stay the same
/// (as they do when both are constants).
struct Memo<'p> {
    patterns: &'p Patterns,
    last: Option<(String, Option<String>, Arc<Re>)>,
}

impl<'p> Memo<'p> {
    fn new(patterns: &'p Patterns) -> Memo<'p> {
        Memo {
            patterns,
            last: None,
        }
    }

    fn get(&mut self, pattern: &str, params: Option<&str>) -> Result<Arc<Re>> {
        if let Some((p, f, re)) = &self.last
            && p == pattern
            && f.as_deref() == params
        {
            return Ok(re.clone());
        }
        let re = self.patterns.get(pattern, params)?;
        self.last = Some((pattern.to_string(), params.map(str::to_string), re.clone()));
        Ok(re)
    }
}

/// The span `regexp_substr` and `regexp_instr` report for the `occurrence`th match in `s`.
fn occurrence_span(
    re: &Re,
    s: &str,
    occurrence: i64,
    subexpr: bool,
) -> Result<Option<(usize, usize)>> {
    let n = usize::try_from(occurrence.max(1) - 1).unwrap_or(usize::MAX);
    Ok(re.nth(s, n)?.and_then(|m| reported(&m, subexpr)))
}

/// A row a search function answers: its text, the byte offset its position argument names,
/// the compiled pattern, and whether the flags ask for the first group (`e`).
struct Search<'a> {
    row: usize,
    text: std::borrow::Cow<'a, str>,
    start: usize,
    re: Arc<Re>,
    subexpr: bool,
}

/// Each row of a search function (text, pattern, position at argument `position`, flags at
/// argument `flags`): `None` for a row whose text or pattern is NULL, which answers NULL.
fn searches<'a>(
    p: &'a Patterns,
    a: &'a Args,
    position: usize,
    flags: usize,
) -> impl Iterator<Item = Result<Option<Search<'a>>>> + 'a {
    let mut memo = Memo::new(p);
    (0..a.rows()).map(move |row| {
        let (Some(text), Some(pattern)) = (a.text(0, row), a.text(1, row)) else {
            return Ok(None);
        };
        let start = from_position(&text, a.int(position, row)?)?;
        let params = a.text(flags, row);
        let re = memo.get(&pattern, params.as_deref())?;
        let subexpr = params.as_deref().is_some_and(|p| p.contains('e'));
        Ok(Some(Search {
            row,
            text,
            start,
            re,
            subexpr,
        }))
    })
}

fn regexp_substr(p: &Patterns, a: &Args) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    for search in searches(p, a, 2, 4) {
        let Some(m) = search? else {
            out.append_null();
            continue;
        };
        let occurrence = a.int(3, m.row)?.unwrap_or(1);
        let rest = &m.text[m.start..];
        let found = occurrence_span(&m.re, rest, occurrence, m.subexpr)?;
        out.append_value(found.map_or("", |(a, b)| &rest[a..b]));
    }
    Ok(Arc::new(out.finish()))
}

fn regexp_count(p: &Patterns, a: &Args) -> Result<ArrayRef> {
    let mut out = Int64Builder::with_capacity(a.rows());
    for search in searches(p, a, 2, 3) {
        match search? {
            Some(m) => out.append_value(m.re.count(&m.text[m.start..])? as i64),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

fn regexp_instr(p: &Patterns, a: &Args) -> Result<ArrayRef> {
    let mut out = Int64Builder::with_capacity(a.rows());
    for search in searches(p, a, 2, 5) {
        let Some(m) = search? else {
            out.append_null();
            continue;
        };
        let occurrence = a.int(3, m.row)?.unwrap_or(1);
        let after = a.int(4, m.row)?.unwrap_or(0) == 1;
        let hit = occurrence_span(&m.re, &m.text[m.start..], occurrence, m.subexpr)?;
        let position = hit.map_or(0, |(a, b)| {
            let byte = m.start + if after { b } else { a };
            m.text[..byte].chars().count() as i64 + 1
        });
        out.append_value(position);
    }
    Ok(Arc::new(out.finish()))
}

/// POSIX `\1` back-references in a replacement become the regex crate's `${1}`.
fn replacement(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(d)) if d.is_ascii_digit() => {
                out.push_str(&format!("${{{d}}}"));
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            ('$', _) => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

fn regexp_replace(p: &Patterns, a: &Args) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    let mut memo = Memo::new(p);
    let mut last_replacement: Option<(String, String)> = None;
    for row in 0..a.rows() {
        let (Some(s), Some(pat)) = (a.text(0, row), a.text(1, row)) else {
            out.append_null();
            continue;
        };
        let repl = if a.len() > 2 {
            match a.text(2, row) {
                Some(r) => r,
                None => {
                    out.append_null();
                    continue;
                }
            }
        } else {
            std::borrow::Cow::Borrowed("")
        };
        let start = from_position(&s, a.int(3, row)?)?;
        let re = memo.get(&pat, a.text(4, row).as_deref())?;
        let with = match &last_replacement {
            Some((r, with)) if *r == *repl => with,
            _ => {
                let with = replacement(&repl);
                &last_replacement.insert((repl.to_string(), with)).1
            }
        };
        let replaced = re.replace_all(&s[start..], with)?;
        out.append_value(format!("{}{replaced}", &s[..start]));
    }
    Ok(Arc::new(out.finish()))
}

fn split_part(a: &Args) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    for row in 0..a.rows() {
        let (Some(s), Some(delim), Some(n)) = (a.text(0, row), a.text(1, row), a.int(2, row)?)
        else {
            out.append_null();
            continue;
        };
        if n < 1 {
            return exec_err!("split_part: the part number must be greater than 0, got {n}");
        }
        let index = usize::try_from(n - 1).unwrap_or(usize::MAX);
        let part = if delim.is_empty() {
            (index == 0).then_some(&*s)
        } else {
            s.split(&*delim).nth(index)
        };
        out.append_value(part.unwrap_or_default());
    }
    Ok(Arc::new(out.finish()))
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    let p = Arc::new(Patterns::default());
    let (p1, p2, p3, p4) = (p.clone(), p.clone(), p.clone(), p);
    vec![
        ColumnUdf::udf("regexp_substr", 2..=5, DataType::Utf8, move |a| {
            regexp_substr(&p1, a)
        }),
        ColumnUdf::udf("regexp_count", 2..=4, DataType::Int64, move |a| {
            regexp_count(&p2, a)
        }),
        ColumnUdf::udf("regexp_instr", 2..=6, DataType::Int64, move |a| {
            regexp_instr(&p3, a)
        }),
        ColumnUdf::udf("regexp_replace", 2..=5, DataType::Utf8, move |a| {
            regexp_replace(&p4, a)
        }),
        ColumnUdf::udf("split_part", 3..=3, DataType::Utf8, split_part),
    ]
}
